"""nn.utils fusion (fuse_conv_bn_eval / _weights, fuse_linear_bn_eval / _weights) and skip_init against torch:
fused parameters, their dtypes and requires_grad flags, outputs of the fused layer (float64 and float32),
errors, and that skip_init builds the module without drawing random numbers."""
import re

import numpy as np
import pytest

import npgrad
from harness import _seed, assert_tree_close, libraries
from oracle import Golden, torch

golden = Golden("fusion")


def _fill(lib, mod, rng, dtype, positive=()):
    with lib.no_grad():
        for name, t in sorted(list(mod.named_parameters()) + list(mod.named_buffers())):
            if t.dtype == lib.int64:
                continue
            values = rng.uniform(0.5, 2.0, tuple(t.shape)) if name in positive else rng.standard_normal(tuple(t.shape))
            t.copy_(lib.tensor(values.astype(dtype)))
    return mod


# (id, conv class, conv args, conv kwargs, bn class, bn kwargs, input shape, transpose)
CONV = [
    ("conv2d", "Conv2d", (3, 4, 3), {}, "BatchNorm2d", {}, (2, 3, 5, 5), False),
    ("conv1d_nobias", "Conv1d", (2, 3, 2), {"bias": False}, "BatchNorm1d", {"eps": 1e-3}, (2, 2, 6), False),
    ("conv3d_groups", "Conv3d", (4, 2, 2), {"groups": 2, "padding": 1}, "BatchNorm3d", {}, (1, 4, 3, 3, 3), False),
    ("conv2d_bn_noaffine", "Conv2d", (2, 3, 1), {}, "BatchNorm2d", {"affine": False}, (1, 2, 3, 3), False),
    ("convT2d", "ConvTranspose2d", (3, 2, 2), {"stride": 2}, "BatchNorm2d", {}, (1, 3, 3, 3), True),
    ("convT1d_nobias", "ConvTranspose1d", (2, 4, 3), {"bias": False}, "BatchNorm1d", {"momentum": 0.5},
     (2, 2, 5), True),
]


def _conv_run(lib, case, dtype=np.float64):
    case_id, cname, cargs, ckw, bname, bkw, shape, transpose = case
    rng = np.random.default_rng(_seed(case_id))
    conv = getattr(lib.nn, cname)(*cargs, **ckw)
    bn = getattr(lib.nn, bname)(conv.out_channels, **bkw)
    if dtype == np.float64:
        conv, bn = conv.double(), bn.double()
    _fill(lib, conv, rng, dtype)
    _fill(lib, bn, rng, dtype, positive=("running_var",))
    conv.eval()
    bn.eval()
    fused = lib.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    x = lib.tensor(rng.standard_normal(shape).astype(dtype))
    with lib.no_grad():
        out, unfused = fused(x), bn(conv(x))
    info = {"repr": repr(fused), "class": type(fused).__name__, "same": fused is conv,
            "flags": {k: [p.requires_grad, type(p).__name__] for k, p in fused.named_parameters()},
            "conv_bias_still_none": conv.bias is None}
    values = {"state": {k: v.numpy() for k, v in fused.state_dict().items()}, "out": out.numpy(),
              "unfused": unfused.numpy()}
    return info, values


@pytest.mark.parametrize("case", CONV, ids=[c[0] for c in CONV])
def test_fuse_conv_bn_matches_torch(case):
    info, values = _conv_run(npgrad, case)
    assert info == golden.json(f"conv/{case[0]}/info", lambda: _conv_run(torch, case)[0])
    assert_tree_close(values, golden(f"conv/{case[0]}", lambda: _conv_run(torch, case)[1]), case[0], 1e-10, 1e-12)
    np.testing.assert_allclose(values["out"], values["unfused"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CONV[::2], ids=[c[0] for c in CONV[::2]])
def test_fuse_conv_bn_float32_matches_torch(case):
    _, values = _conv_run(npgrad, case, np.float32)
    ref = golden(f"conv32/{case[0]}", lambda: _conv_run(torch, case, np.float32)[1])
    assert_tree_close(values, ref, case[0], 1e-5, 1e-5)


# (id, linear args, bn kwargs / num_features, input shape)
LINEAR = [
    ("linear", (4, 3), {}, 3, (5, 4)),
    ("linear_nobias", (4, 3), {"eps": 1e-2}, 3, (5, 4)),
    ("linear_bn1", (3, 2), {}, 1, (4, 1, 3)),
]


def _linear_run(lib, case, dtype=np.float64):
    case_id, largs, bkw, nf, shape = case
    rng = np.random.default_rng(_seed(case_id))
    lin = lib.nn.Linear(*largs, bias=case_id != "linear_nobias")
    bn = lib.nn.BatchNorm1d(nf, **bkw)
    if dtype == np.float64:
        lin, bn = lin.double(), bn.double()
    _fill(lib, lin, rng, dtype)
    _fill(lib, bn, rng, dtype, positive=("running_var",))
    lin.eval()
    bn.eval()
    fused = lib.nn.utils.fuse_linear_bn_eval(lin, bn)
    x = lib.tensor(rng.standard_normal(shape).astype(dtype))
    with lib.no_grad():
        out = fused(x)
        unfused = bn(lin(x)) if nf != 1 else None
    info = {"repr": repr(fused), "flags": {k: p.requires_grad for k, p in fused.named_parameters()}}
    values = {"state": {k: v.numpy() for k, v in fused.state_dict().items()}, "out": out.numpy()}
    if unfused is not None:
        values["unfused"] = unfused.numpy()
    return info, values


@pytest.mark.parametrize("case", LINEAR, ids=[c[0] for c in LINEAR])
def test_fuse_linear_bn_matches_torch(case):
    info, values = _linear_run(npgrad, case)
    assert info == golden.json(f"linear/{case[0]}/info", lambda: _linear_run(torch, case)[0])
    assert_tree_close(values, golden(f"linear/{case[0]}", lambda: _linear_run(torch, case)[1]), case[0], 1e-10, 1e-12)
    if "unfused" in values:
        np.testing.assert_allclose(values["out"], values["unfused"], rtol=1e-10, atol=1e-12)


def _weights_run(lib):
    """The *_weights functions directly, with missing biases and BN affine parameters, on mixed dtypes."""
    rng = np.random.default_rng(31)
    t = lambda *s, dtype=np.float64: lib.tensor(rng.standard_normal(s).astype(dtype))  # noqa: E731
    rm, rv = t(3), lib.tensor(rng.uniform(0.5, 2, 3))
    w32 = lib.nn.Parameter(t(3, 2, 2, dtype=np.float32), requires_grad=False)
    results = {
        "conv_none": lib.nn.utils.fuse_conv_bn_weights(t(3, 2, 2), None, rm, rv, 1e-5, None, None),
        "conv_T": lib.nn.utils.fuse_conv_bn_weights(lib.nn.Parameter(t(2, 3, 2)), lib.nn.Parameter(t(3)), rm, rv,
                                                    1e-3, t(3), t(3), transpose=True),
        "conv_f32": lib.nn.utils.fuse_conv_bn_weights(w32, None, rm, rv, 1e-5, t(3), t(3)),
        "linear": lib.nn.utils.fuse_linear_bn_weights(t(3, 4), None, rm, rv, 1e-5, t(3), t(3)),
    }
    info = {k: [[type(p).__name__, p.requires_grad, str(p.dtype).split(".")[-1]] for p in v]
            for k, v in results.items()}
    values = {k: [p.detach().numpy() for p in v] for k, v in results.items()}
    return info, values


def test_fuse_weights_match_torch():
    info, values = _weights_run(npgrad)
    assert info == golden.json("weights/info", lambda: _weights_run(torch)[0])
    assert_tree_close(values, golden("weights", lambda: _weights_run(torch)[1]), "weights", 1e-6, 1e-7)


def test_fusion_errors_match_torch():
    for lib in libraries():
        conv, bn = lib.nn.Conv2d(2, 3, 1), lib.nn.BatchNorm2d(3)
        with pytest.raises(AssertionError, match="^Fusion only for eval!$"):
            lib.nn.utils.fuse_conv_bn_eval(conv, bn)
        with pytest.raises(AssertionError, match="^Fusion only for eval!$"):
            lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(2, 3).eval(), bn)
        with pytest.raises(AssertionError, match=r"^bn.running_mean and bn.running_var must not be None$"):
            lib.nn.utils.fuse_conv_bn_eval(conv.eval(), lib.nn.BatchNorm2d(3, track_running_stats=False).eval())
        with pytest.raises(AssertionError, match=re.escape(
                "To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
                "linear.out_features=3 and bn.num_features=2")):
            lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(2, 3).eval(), lib.nn.BatchNorm1d(2).eval())


# --------------------------------------------------------------------------- skip_init


def _skip_init_run(lib):
    lib.manual_seed(0)
    reference = lib.rand(4).numpy()
    lib.manual_seed(0)
    mods = [lib.nn.utils.skip_init(lib.nn.Linear, 5, 3), lib.nn.utils.skip_init(lib.nn.Conv2d, 2, 4, 3, bias=False),
            lib.nn.utils.skip_init(lib.nn.Embedding, 6, 2, dtype=lib.float64),
            lib.nn.utils.skip_init(lib.nn.GRUCell, 3, 4, device="cpu")]
    after = lib.rand(4).numpy()
    info = {"reprs": [repr(m) for m in mods],
            "params": [[[k, list(p.shape), str(p.dtype).split(".")[-1], p.requires_grad]
                        for k, p in m.named_parameters()] for m in mods],
            "rng_untouched": bool(np.array_equal(reference, after))}
    messages = []
    for fn in (lambda: lib.nn.utils.skip_init(lib.nn.ReLU), lambda: lib.nn.utils.skip_init(int),
               lambda: lib.nn.utils.skip_init(lib.nn.LSTM, 3, 4)):
        with pytest.raises(RuntimeError) as err:
            fn()
        messages.append(str(err.value).replace("torch.", "npgrad."))
    info["errors"] = [re.sub(r"<class '[\w.]+\.(\w+)'>", r"<class '\1'>", m) for m in messages]
    return info


def test_skip_init_matches_torch():
    info = _skip_init_run(npgrad)
    assert info == golden.json("skip_init", lambda: _skip_init_run(torch))
    assert info["rng_untouched"]
    m = npgrad.nn.utils.skip_init(npgrad.nn.Linear, 3, 2)  # a working module, trained as usual
    with npgrad.no_grad():
        m.weight.fill_(1.0)
        m.bias.zero_()
    np.testing.assert_array_equal(m(npgrad.ones(1, 3)).detach().numpy(), [[3.0, 3.0]])
    assert npgrad.nn.init.kaiming_uniform_.__name__ == "kaiming_uniform_"  # the initialisers are back
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):   # as torch's CPU build
        npgrad.nn.utils.skip_init(npgrad.nn.Linear, 3, 2, device="cuda")
