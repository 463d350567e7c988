"""Thin nn modules over nn.functional against torch.nn: distances, pixel/channel shuffles, Softmax2d, RReLU,
Dropout3d, FeatureAlphaDropout, LocalResponseNorm, InstanceNorm1d/2d/3d, BatchNorm3d and the padding modules:
outputs, input and parameter gradients (float64), running statistics, repr, state_dict keys and errors."""
import re
from collections import OrderedDict

import numpy as np
import pytest

import npgrad
import npgrad.nn as nn
from oracle import HAVE_TORCH, Golden

golden = Golden("thin_modules")

# (id, class name, args, kwargs, input shapes, train): ``train`` runs a forward/backward in training mode,
# then compares the buffers and an eval-mode forward as well.
CASES = [
    ("cos", "CosineSimilarity", (), {}, [(3, 5), (3, 5)], False),
    ("cos_dim0", "CosineSimilarity", (), {"dim": 0, "eps": 1e-6}, [(4, 3), (4, 1)], False),
    ("pdist", "PairwiseDistance", (), {}, [(3, 5), (3, 5)], False),
    ("pdist_p1", "PairwiseDistance", (), {"p": 1.0, "eps": 1e-4, "keepdim": True}, [(2, 3, 4), (2, 3, 4)], False),
    ("pixel_shuffle", "PixelShuffle", (2,), {}, [(2, 8, 3, 3)], False),
    ("pixel_unshuffle", "PixelUnshuffle", (2,), {}, [(2, 2, 4, 6)], False),
    ("channel_shuffle", "ChannelShuffle", (3,), {}, [(2, 6, 2, 2)], False),
    ("softmax2d", "Softmax2d", (), {}, [(2, 3, 4, 4)], False),
    ("softmax2d_3d", "Softmax2d", (), {}, [(3, 2, 5)], False),
    ("rrelu", "RReLU", (), {}, [(3, 5)], False),
    ("rrelu_args", "RReLU", (0.1, 0.3), {}, [(2, 3, 4)], False),
    ("rrelu_fixed_train", "RReLU", (0.2, 0.2), {}, [(3, 5)], True),
    ("dropout3d", "Dropout3d", (0.3,), {}, [(2, 3, 2, 2, 2)], False),
    ("dropout3d_p0", "Dropout3d", (0.0,), {}, [(2, 3, 2, 2, 2)], True),
    ("fadrop", "FeatureAlphaDropout", (0.2,), {}, [(2, 3, 4)], False),
    ("fadrop_p0", "FeatureAlphaDropout", (0.0,), {}, [(2, 3, 4)], True),
    ("lrn", "LocalResponseNorm", (3,), {}, [(2, 5, 4)], False),
    ("lrn_args", "LocalResponseNorm", (2,), {"alpha": 0.01, "beta": 0.5, "k": 2.0}, [(2, 6, 3, 3)], False),
    ("in1d", "InstanceNorm1d", (3,), {}, [(2, 3, 5)], False),
    ("in1d_unbatched", "InstanceNorm1d", (3,), {"affine": True}, [(3, 5)], False),
    ("in2d_affine", "InstanceNorm2d", (3,), {"affine": True, "eps": 1e-3}, [(2, 3, 4, 4)], False),
    ("in2d_nobias", "InstanceNorm2d", (3,), {"affine": True, "bias": False}, [(2, 3, 3, 2)], False),
    ("in2d_track", "InstanceNorm2d", (3,), {"track_running_stats": True, "momentum": 0.3}, [(2, 3, 4, 3)], True),
    ("in3d_track_affine", "InstanceNorm3d", (2,), {"affine": True, "track_running_stats": True},
     [(2, 2, 3, 2, 2)], True),
    ("in3d_unbatched_cma", "InstanceNorm3d", (2,), {"track_running_stats": True, "momentum": None},
     [(2, 3, 2, 2)], True),
    ("bn3d", "BatchNorm3d", (3,), {}, [(2, 3, 2, 3, 2)], True),
    ("bn3d_noaffine_cma", "BatchNorm3d", (3,), {"affine": False, "momentum": None}, [(3, 3, 2, 2, 2)], True),
    ("bn3d_nostats", "BatchNorm3d", (3,), {"track_running_stats": False, "eps": 1e-3}, [(2, 3, 2, 2, 2)], True),
    ("cpad1", "ConstantPad1d", (2, 1.5), {}, [(2, 3, 4)], False),
    ("cpad2", "ConstantPad2d", ((1, 0, 2, -1), -1.0), {}, [(2, 3, 4)], False),
    ("cpad3", "ConstantPad3d", (1, 0.25), {}, [(1, 2, 2, 2, 2)], False),
    ("zpad1", "ZeroPad1d", ((1, 2),), {}, [(3, 4)], False),
    ("zpad2", "ZeroPad2d", (1,), {}, [(2, 3, 3, 2)], False),
    ("zpad3", "ZeroPad3d", ((1, 0, 0, 1, 2, 0),), {}, [(2, 2, 2, 3)], False),
    ("rpad1", "ReflectionPad1d", (2,), {}, [(2, 3, 5)], False),
    ("rpad2", "ReflectionPad2d", ((1, 2, 0, 1),), {}, [(3, 4, 4)], False),
    ("rpad3", "ReflectionPad3d", (1,), {}, [(1, 2, 3, 3, 3)], False),
    ("reppad1", "ReplicationPad1d", ((0, 3),), {}, [(2, 4)], False),
    ("reppad2", "ReplicationPad2d", (2,), {}, [(1, 2, 3, 3)], False),
    ("reppad3", "ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), {}, [(2, 2, 2, 3)], False),
    ("circpad1", "CircularPad1d", (2,), {}, [(2, 3, 4)], False),
    ("circpad2", "CircularPad2d", ((1, 1, 2, 0),), {}, [(2, 3, 3)], False),
    ("circpad3", "CircularPad3d", (1,), {}, [(1, 2, 2, 3, 2)], False),
]


def _data(case_id, shapes):
    rng = np.random.default_rng(sum(map(ord, case_id)))
    inputs = [rng.standard_normal(s) for s in shapes]
    return rng, inputs


def _run(lib, case):
    """Forward and backward of the module built by ``lib.nn``; returns the reference structure."""
    case_id, name, args, kwargs, shapes, train = case
    rng, inputs = _data(case_id, shapes)
    mod = getattr(lib.nn, name)(*args, **kwargs).double()
    params = dict(mod.named_parameters())
    for pname in sorted(params):
        value = rng.standard_normal(tuple(params[pname].shape))
        with lib.no_grad():
            params[pname].copy_(lib.tensor(value))
    mod.train(train)
    xs = [lib.tensor(a, requires_grad=True) for a in inputs]
    y = mod(*xs)
    w = rng.standard_normal(tuple(y.shape))
    (y * lib.tensor(w)).sum().backward()
    result = {"out": y.detach().numpy(), "grads": [x.grad.numpy() for x in xs]}
    if params:
        result["pgrads"] = {k: p.grad.numpy() for k, p in params.items()}
    buffers = {k: b.numpy() for k, b in mod.named_buffers()}
    if train:
        if buffers:
            result["buffers"] = buffers
        mod.eval()
        with lib.no_grad():
            result["eval_out"] = mod(*[lib.tensor(a) for a in inputs]).numpy()
    return result


def _close(actual, expected, key):
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected), key
        for k in expected:
            _close(actual[k], expected[k], f"{key}/{k}")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), key
        for i, (a, e) in enumerate(zip(actual, expected)):
            _close(a, e, f"{key}[{i}")
    else:
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, key
        assert actual.dtype == expected.dtype, key
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_forward_backward_match_torch(case):
    def ref():
        import torch

        return _run(torch, case)

    _close(_run(npgrad, case), golden(case[0], ref), case[0])


def _describe(lib, case):
    _, name, args, kwargs, _, _ = case
    mod = getattr(lib.nn, name)(*args, **kwargs)
    return {"repr": repr(mod), "keys": list(mod.state_dict().keys())}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_repr_and_state_dict_keys_match_torch(case):
    def ref():
        import torch

        return _describe(torch, case)

    assert _describe(npgrad, case) == golden.json(f"describe/{case[0]}", ref)


def test_attributes_match_torch():
    expected = {
        "pdist": {"norm": 1.0, "eps": 1e-4, "keepdim": True},
        "cos": {"dim": 0, "eps": 1e-8},
        "rrelu": {"lower": 0.125, "upper": 1.0 / 3, "inplace": False},
        "pad": {"padding": (1, 2), "value": 3.0},  # a tuple is kept as given
        "zpad": {"padding": (2, 2, 2, 2, 2, 2), "value": 0.0},
        "inorm": {"num_features": 4, "eps": 1e-5, "momentum": 0.1, "affine": False, "track_running_stats": False,
                  "running_mean": None, "running_var": None, "num_batches_tracked": None, "weight": None,
                  "bias": None},
    }

    def attributes(lib):
        m = lib.nn
        mods = {"pdist": m.PairwiseDistance(p=1.0, eps=1e-4, keepdim=True), "cos": m.CosineSimilarity(dim=0),
                "rrelu": m.RReLU(), "pad": m.ConstantPad2d((1, 2), 3.0), "zpad": m.ZeroPad3d(2),
                "inorm": m.InstanceNorm2d(4)}
        return {k: {a: getattr(mods[k], a) for a in attrs} for k, attrs in expected.items()}

    if HAVE_TORCH:
        import torch

        assert attributes(torch) == expected
    assert attributes(npgrad) == expected


def test_instance_norm_unexpected_running_stats_in_old_state_dict():
    state = OrderedDict(running_mean=np.zeros(3), running_var=np.ones(3))
    message = ('Unexpected running stats buffer(s) "running_mean" and "running_var" for InstanceNorm1d with '
               "track_running_stats=False. If state_dict is a checkpoint saved before 0.4.0")
    if HAVE_TORCH:
        import torch

        with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for InstanceNorm1d:\n\t"
                           + re.escape(message)):
            torch.nn.InstanceNorm1d(3).load_state_dict(
                OrderedDict((k, torch.tensor(v)) for k, v in state.items()))
    with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for InstanceNorm1d:\n\t"
                       + re.escape(message)):
        nn.InstanceNorm1d(3).load_state_dict(OrderedDict((k, npgrad.tensor(v)) for k, v in state.items()))


def test_instance_norm_num_features_mismatch():
    def check(lib):
        with pytest.raises(ValueError,
                           match=r"expected input's size at dim=1 to match num_features \(3\), but got: 4\."):
            lib.nn.InstanceNorm1d(3, affine=True)(lib.zeros(2, 4, 5))
        with pytest.warns(UserWarning, match="input's size at dim=0 does not match num_features. You can silence "
                                             "this warning by not passing in num_features"):
            y = lib.nn.InstanceNorm1d(3)(lib.tensor(np.arange(20.0).reshape(4, 5)))
        return tuple(y.shape)

    if HAVE_TORCH:
        import torch

        assert check(torch) == (4, 5)
    assert check(npgrad) == (4, 5)


ERRORS = [
    ("Dropout3d", (1.5,), None, ValueError, "dropout probability has to be between 0 and 1, but got 1.5"),
    ("FeatureAlphaDropout", (-0.1,), None, ValueError, "dropout probability has to be between 0 and 1, but got -0.1"),
    ("Softmax2d", (), (2, 3), ValueError, "Softmax2d: expected input to be 3D or 4D, got 2D instead"),
    ("InstanceNorm2d", (3,), (3, 4), ValueError, r"expected 3D or 4D input \(got 2D input\)"),
    ("InstanceNorm3d", (3,), (3, 4, 2), ValueError, r"expected 4D or 5D input \(got 3D input\)"),
    ("BatchNorm3d", (3,), (2, 3, 4, 4), ValueError, r"expected 5D input \(got 4D input\)"),
    ("CircularPad2d", (1,), (2, 2), ValueError, r"expected 3D or 4D input \(got 2D input\)"),
    ("CircularPad1d", (1,), (1, 2, 2, 2), ValueError, r"expected 2D or 3D input \(got 4D input\)"),
    ("ReflectionPad1d", (3,), (1, 2, 3), RuntimeError,
     r"Argument #4: Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) "
     r"at dimension 2 of input \[1, 2, 3\]"),
    ("PixelShuffle", (2,), (1, 6, 2, 2), RuntimeError,
     r"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but "
     r"input.size\(-3\)=6 is not divisible by 4"),
    ("ChannelShuffle", (4,), (2, 6, 2), RuntimeError,
     "Number of channels must be divisible by groups. Got 6 channels and 4 groups."),
    ("RReLU", (0.5, 0.1), (2,), RuntimeError, "Lower bound should be less than or equal to the upper bound"),
    ("LocalResponseNorm", (2,), (2, 3), ValueError, "Expected 3D or higher dimensionality"),
]


@pytest.mark.parametrize("name,args,shape,exc,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_match_torch(name, args, shape, exc, match):
    def check(lib):
        with pytest.raises(exc, match=match):
            mod = getattr(lib.nn, name)(*args)
            mod(lib.zeros(*shape))

    if HAVE_TORCH:
        import torch

        check(torch)
    check(npgrad)
