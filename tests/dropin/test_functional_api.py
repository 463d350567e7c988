"""torch.nn.functional outside the losses against torch: values and input gradients (float64),
argument handling, warnings and error messages."""
import re
import warnings

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
from harness import _seed
from oracle import HAVE_TORCH, Golden

golden = Golden("functional_api")
RTOL, ATOL = 1e-10, 1e-12


def _randn(name, *shape, scale=1.0):
    return np.random.default_rng(_seed(name)).standard_normal(shape) * scale


def _run(lib, fn, arrays):
    """``fn(lib, F, *tensors)``: the output and, through a fixed upstream gradient, the float inputs' gradients."""
    ts = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(lib, lib.nn.functional, *ts)
    res = {"out": out.detach().numpy()}
    if out.requires_grad:
        upstream = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
        (out * upstream).sum().backward()
        res["grads"] = [t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for t in ts if t.requires_grad]
    return res


def _check(key, fn, *arrays, rtol=RTOL, atol=ATOL):
    ref = golden(key, lambda: _run(_torch(), fn, arrays))
    got = _run(npgrad, fn, arrays)
    assert sorted(got) == sorted(ref)
    assert got["out"].shape == ref["out"].shape and got["out"].dtype == ref["out"].dtype
    np.testing.assert_allclose(got["out"], ref["out"], rtol=rtol, atol=atol)
    for g, r in zip(got.get("grads", []), ref.get("grads", [])):
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol)
    return got


def _torch():
    import torch

    return torch


def _raises(fn, exc, msg):
    """``fn(lib)`` raises ``exc`` with exactly ``msg``: checked on torch (when present), then on npgrad."""
    pattern = "^" + re.escape(msg) + "$"
    if HAVE_TORCH:
        with pytest.raises(exc, match=pattern):
            fn(_torch())
    with pytest.raises(exc, match=pattern):
        fn(npgrad)


def _warns(fn, msg):
    """``fn(lib)`` warns (UserWarning) with exactly ``msg``, pointing at the caller."""
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(lib)
        messages = [str(w.message) for w in caught]
        assert msg in messages, (lib.__name__, messages)
        assert all(w.filename == __file__ for w in caught if str(w.message) == msg)


# --------------------------------------------------------------------------- the names


# Public names of torch.nn.functional that npgrad provides (convolution, pooling, sparse and low-precision
# matrix products, interpolation and sampling grids are not in npgrad, see the README).
NAMES = sorted("""
alpha_dropout batch_norm bilinear celu celu_ channel_shuffle cosine_similarity dropout dropout1d dropout2d
dropout3d elu elu_ embedding feature_alpha_dropout gelu glu group_norm gumbel_softmax hardshrink hardsigmoid
hardswish hardtanh hardtanh_ instance_norm layer_norm leaky_relu leaky_relu_ linear local_response_norm
log_softmax logsigmoid mish multi_head_attention_forward native_channel_shuffle normalize one_hot pad
pairwise_distance pdist pixel_shuffle pixel_unshuffle prelu relu relu6 relu_ rms_norm rrelu rrelu_
scaled_dot_product_attention selu selu_ sigmoid silu softmax softmin softplus softshrink softsign tanh
tanhshrink threshold threshold_
""".split())


def test_functional_names_exist():
    if HAVE_TORCH:
        assert all(callable(getattr(_torch().nn.functional, n)) for n in NAMES)
    missing = [n for n in NAMES if not callable(getattr(F, n, None))]
    assert missing == []


# --------------------------------------------------------------------------- activations

# The corners of the piecewise activations (0, ±1, ±3, 6, the shrink thresholds, softplus' threshold)
# are in the input, where the gradient convention matters.
X = np.concatenate([np.array([-7, -3, -2.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 2.5, 3, 6, 7, 25.0]),
                    _randn("activation input", 15, scale=3.0)]).reshape(3, 10)

ACTIVATIONS = {
    "relu": lambda L, F, x: F.relu(x),
    "relu6": lambda L, F, x: F.relu6(x),
    "leaky_relu": lambda L, F, x: F.leaky_relu(x),
    "leaky_relu-0.2": lambda L, F, x: F.leaky_relu(x, 0.2),
    "elu": lambda L, F, x: F.elu(x),
    "elu-0.7": lambda L, F, x: F.elu(x, alpha=0.7),
    "selu": lambda L, F, x: F.selu(x),
    "celu": lambda L, F, x: F.celu(x),
    "celu-1.5": lambda L, F, x: F.celu(x, alpha=1.5),
    "gelu": lambda L, F, x: F.gelu(x),
    "gelu-tanh": lambda L, F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda L, F, x: F.silu(x),
    "mish": lambda L, F, x: F.mish(x),
    "softplus": lambda L, F, x: F.softplus(x),
    "softplus-beta-threshold": lambda L, F, x: F.softplus(x, beta=2.0, threshold=5.0),
    "softsign": lambda L, F, x: F.softsign(x),
    "hardtanh": lambda L, F, x: F.hardtanh(x),
    "hardtanh-range": lambda L, F, x: F.hardtanh(x, -2.5, 3.0),
    "hardsigmoid": lambda L, F, x: F.hardsigmoid(x),
    "hardswish": lambda L, F, x: F.hardswish(x),
    "tanhshrink": lambda L, F, x: F.tanhshrink(x),
    "softshrink": lambda L, F, x: F.softshrink(x),
    "softshrink-1": lambda L, F, x: F.softshrink(x, 1.0),
    "hardshrink": lambda L, F, x: F.hardshrink(x),
    "hardshrink-1": lambda L, F, x: F.hardshrink(x, lambd=1.0),
    "logsigmoid": lambda L, F, x: F.logsigmoid(x),
    "glu": lambda L, F, x: F.glu(x),
    "glu-dim0": lambda L, F, x: F.glu(x[:2], 0),
    "threshold": lambda L, F, x: F.threshold(x, 0.5, -2.0),
    "threshold-at-zero": lambda L, F, x: F.threshold(x, 0.0, 0.0),
    "sigmoid": lambda L, F, x: F.sigmoid(x),
    "tanh": lambda L, F, x: F.tanh(x),
    "rrelu-eval": lambda L, F, x: F.rrelu(x),
    "rrelu-eval-bounds": lambda L, F, x: F.rrelu(x, 0.1, 0.5, training=False),
    "prelu-scalar": lambda L, F, x: F.prelu(x, L.tensor([0.25], dtype=L.float64, requires_grad=True)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_torch(name):
    _check(f"act/{name}", ACTIVATIONS[name], X)


PRELU = {
    "per-channel-3d": ((4, 3, 5), (3,)),
    "per-channel-4d": ((2, 3, 2, 2), (3,)),
    "one-weight": ((4, 3, 5), (1,)),
    "0d-weight": ((4, 3), ()),
    "1d-input": ((5,), (1,)),
    "0d-input": ((), (1,)),
}


@pytest.mark.parametrize("name", list(PRELU))
def test_prelu_matches_torch(name):
    xs, ws = PRELU[name]
    _check(f"prelu/{name}", lambda L, F, x, w: F.prelu(x, w), _randn(name, *xs), _randn(name + "w", *ws))


INPLACE = {
    "relu_": (lambda F, x: F.relu_(x), lambda F, x: F.relu(x)),
    "relu-inplace": (lambda F, x: F.relu(x, inplace=True), lambda F, x: F.relu(x)),
    "relu6-inplace": (lambda F, x: F.relu6(x, inplace=True), lambda F, x: F.relu6(x)),
    "leaky_relu_": (lambda F, x: F.leaky_relu_(x, 0.2), lambda F, x: F.leaky_relu(x, 0.2)),
    "elu_": (lambda F, x: F.elu_(x, 0.5), lambda F, x: F.elu(x, 0.5)),
    "selu_": (lambda F, x: F.selu_(x), lambda F, x: F.selu(x)),
    "celu_": (lambda F, x: F.celu_(x, 2.0), lambda F, x: F.celu(x, 2.0)),
    "hardtanh_": (lambda F, x: F.hardtanh_(x, -0.5, 0.5), lambda F, x: F.hardtanh(x, -0.5, 0.5)),
    "threshold_": (lambda F, x: F.threshold_(x, 0.1, 20.0), lambda F, x: F.threshold(x, 0.1, 20.0)),
    "rrelu_": (lambda F, x: F.rrelu_(x), lambda F, x: F.rrelu(x)),
    "silu-inplace": (lambda F, x: F.silu(x, inplace=True), lambda F, x: F.silu(x)),
    "mish-inplace": (lambda F, x: F.mish(x, inplace=True), lambda F, x: F.mish(x)),
    "hardsigmoid-inplace": (lambda F, x: F.hardsigmoid(x, inplace=True), lambda F, x: F.hardsigmoid(x)),
    "hardswish-inplace": (lambda F, x: F.hardswish(x, inplace=True), lambda F, x: F.hardswish(x)),
    "elu-inplace": (lambda F, x: F.elu(x, inplace=True), lambda F, x: F.elu(x)),
    "threshold-inplace": (lambda F, x: F.threshold(x, 0.0, 1.0, inplace=True), lambda F, x: F.threshold(x, 0.0, 1.0)),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_activation_writes_into_its_input(name):
    inplace, plain = INPLACE[name]
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        x = lib.tensor(X)
        expected = plain(lib.nn.functional, lib.tensor(X)).numpy()
        out = inplace(lib.nn.functional, x)
        assert out is x
        np.testing.assert_allclose(x.numpy(), expected, rtol=1e-15, atol=0)
        # through autograd: the in-place op on a non-leaf gives the out-of-place gradient
        a = lib.tensor(X, requires_grad=True)
        h = a * 1.0
        inplace(lib.nn.functional, h).sum().backward()
        b = lib.tensor(X, requires_grad=True)
        plain(lib.nn.functional, b).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=0)


def test_inplace_activation_on_leaf_is_an_error():
    _raises(lambda L: L.nn.functional.relu(L.ones(2, requires_grad=True), inplace=True), RuntimeError,
            "a leaf Variable that requires grad is being used in an in-place operation.")


def test_rrelu_training_draws_slopes_between_the_bounds():
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        lib.manual_seed(0)
        x = lib.tensor(-np.ones((50, 40)), requires_grad=True)
        y = lib.nn.functional.rrelu(x, 0.1, 0.3, training=True)
        slopes = -y.detach().numpy()
        assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-15)
        pos = lib.nn.functional.rrelu(lib.tensor(np.arange(1.0, 5.0)), training=True)
        assert pos.tolist() == [1.0, 2.0, 3.0, 4.0]


ACTIVATION_ERRORS = {
    "hardtanh-range": (lambda L: L.nn.functional.hardtanh(L.ones(3), 2.0, 1.0), ValueError,
                       "min_val cannot be greater than max_val"),
    "softshrink-negative-double": (lambda L: L.nn.functional.softshrink(L.ones(3, dtype=L.float64), -0.5),
                                   RuntimeError,
                                   "lambda must be in range [0, 1.79769e+308] for input dtype Double, but found -0.5"),
    "softshrink-negative-float": (lambda L: L.nn.functional.softshrink(L.ones(3), -1.5), RuntimeError,
                                  "lambda must be in range [0, 3.40282e+38] for input dtype Float, but found -1.5"),
    "glu-odd": (lambda L: L.nn.functional.glu(L.ones(4, 5)), RuntimeError,
                "Halving dimension must be even, but dimension 1 is size 5"),
    "glu-scalar": (lambda L: L.nn.functional.glu(L.tensor(1.0)), RuntimeError,
                   "glu does not support scalars because halving size must be even"),
    "gelu-approximate": (lambda L: L.nn.functional.gelu(L.ones(3), approximate="fast"), RuntimeError,
                         "approximate argument must be either none or tanh."),
    "celu-alpha-0": (lambda L: L.nn.functional.celu(L.ones(3), 0.0), RuntimeError,
                     "ZeroDivisionError: alpha cannot be 0 for CELU"),
    "prelu-channels": (lambda L: L.nn.functional.prelu(L.ones(4, 3, 5), L.ones(2)), RuntimeError,
                       "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and "
                       "channel size = 3."),
    "prelu-weight-2d": (lambda L: L.nn.functional.prelu(L.ones(4, 3), L.ones(3, 1)), RuntimeError,
                        "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"),
    "rrelu-bounds": (lambda L: L.nn.functional.rrelu(L.ones(3), 0.5, 0.1), RuntimeError,
                     "Lower bound should be less than or equal to the upper bound"),
}


@pytest.mark.parametrize("name", list(ACTIVATION_ERRORS))
def test_activation_errors(name):
    _raises(*ACTIVATION_ERRORS[name])


# --------------------------------------------------------------------------- softmax family

SM = _randn("softmax input", 4, 3, 5)
SOFTMAX = {
    "softmax-dim1": lambda L, F, x: F.softmax(x, 1),
    "softmax-dim-neg": lambda L, F, x: F.softmax(x, dim=-1),
    "log_softmax-dim0": lambda L, F, x: F.log_softmax(x, 0),
    "log_softmax-dim2": lambda L, F, x: F.log_softmax(x, dim=2),
    "softmin-dim1": lambda L, F, x: F.softmin(x, 1),
    "softmin-dim-neg": lambda L, F, x: F.softmin(x, dim=-1),
    "softmax-0d": lambda L, F, x: F.softmax(x[0, 0, 0], 0),
    "softmax-dtype": lambda L, F, x: F.softmax(x.float(), 1, dtype=L.float64),
    "log_softmax-dtype": lambda L, F, x: F.log_softmax(x.float(), -1, dtype=L.float64),
    "softmin-dtype": lambda L, F, x: F.softmin(x.float(), 0, dtype=L.float64),
    "softmax-large": lambda L, F, x: F.softmax(x * 1000, 2),
    "log_softmax-large": lambda L, F, x: F.log_softmax(x * 1000, 2),
}


@pytest.mark.parametrize("name", list(SOFTMAX))
def test_softmax_family_matches_torch(name):
    _check(f"softmax/{name}", SOFTMAX[name], SM)


def test_softmax_to_lower_dtype():
    got = _check("softmax/to-float32", lambda L, F, x: F.softmax(x, 1, dtype=L.float32), SM, rtol=1e-6, atol=1e-7)
    assert got["out"].dtype == np.float32


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_softmax_implicit_dim_warns_and_picks_torchs_dim(fn, ndim):
    x = _randn(f"implicit {ndim}", *(2, 3, 4, 5)[:ndim])
    msg = f"Implicit dimension choice for {fn} has been deprecated. Change the call to include dim=X as an argument."
    _warns(lambda L: getattr(L.nn.functional, fn)(L.tensor(x)), msg)
    dim = 0 if ndim in (0, 1, 3) else 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = getattr(F, fn)(npgrad.tensor(x)).numpy()
        if HAVE_TORCH:
            torch = _torch()
            np.testing.assert_allclose(getattr(torch.nn.functional, fn)(torch.tensor(x)).numpy(),
                                       getattr(torch.nn.functional, fn)(torch.tensor(x), dim).numpy(), rtol=1e-15)
    np.testing.assert_allclose(got, getattr(F, fn)(npgrad.tensor(x), dim).numpy(), rtol=1e-15)


def test_softmax_dim_out_of_range():
    _raises(lambda L: L.nn.functional.softmax(L.ones(4, 5), 2), IndexError,
            "Dimension out of range (expected to be in range of [-2, 1], but got 2)")


# --------------------------------------------------------------------------- normalize, distances

NORMALIZE = {
    "default": lambda L, F, x: F.normalize(x),
    "p1-dim0": lambda L, F, x: F.normalize(x, p=1, dim=0),
    "pinf": lambda L, F, x: F.normalize(x, p=float("inf"), dim=-1),
    "p3": lambda L, F, x: F.normalize(x, p=3.0, dim=2),
    "eps": lambda L, F, x: F.normalize(x * 1e-3, dim=1, eps=0.01),
    "zero-rows": lambda L, F, x: F.normalize(x * L.tensor([[[1.0]], [[0.0]], [[1.0]], [[1.0]]]), dim=2),
    "1d": lambda L, F, x: F.normalize(x[0, 0], dim=0),
}


@pytest.mark.parametrize("name", list(NORMALIZE))
def test_normalize_matches_torch(name):
    _check(f"normalize/{name}", NORMALIZE[name], SM)


def test_normalize_default_dim_needs_two_dims():
    _raises(lambda L: L.nn.functional.normalize(L.ones(5)), IndexError,
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)")


A, B = _randn("distance a", 4, 3, 5), _randn("distance b", 4, 3, 5)
DISTANCES = {
    "cosine": (lambda L, F, a, b: F.cosine_similarity(a, b), A, B),
    "cosine-dim-neg-eps": (lambda L, F, a, b: F.cosine_similarity(a, b, dim=-1, eps=0.5), A, B),
    "cosine-broadcast": (lambda L, F, a, b: F.cosine_similarity(a, b[0], dim=-1), A, B),
    "cosine-zero-vector": (lambda L, F, a, b: F.cosine_similarity(a * 0, b, dim=0), A[0], B[0]),
    "cosine-tiny-vector": (lambda L, F, a, b: F.cosine_similarity(a * 1e-10, b, dim=1), A[0], B[0]),
    "cosine-1d": (lambda L, F, a, b: F.cosine_similarity(a, b, dim=0), A[0, 0], B[0, 0]),
    "pairwise": (lambda L, F, a, b: F.pairwise_distance(a, b), A[0], B[0]),
    "pairwise-p1-keepdim": (lambda L, F, a, b: F.pairwise_distance(a, b, p=1, keepdim=True), A[0], B[0]),
    "pairwise-pinf-eps": (lambda L, F, a, b: F.pairwise_distance(a, b, p=float("inf"), eps=0.1), A[0], B[0]),
    "pairwise-p3": (lambda L, F, a, b: F.pairwise_distance(a, b, 3.0), A[0], B[0]),
    "pairwise-3d": (lambda L, F, a, b: F.pairwise_distance(a, b), A, B),
    "pairwise-broadcast": (lambda L, F, a, b: F.pairwise_distance(a, b[0, 0]), A[0], B),
    "pairwise-1d": (lambda L, F, a, b: F.pairwise_distance(a, b), A[0, 0], B[0, 0]),
    "pdist": (lambda L, F, a, b: F.pdist(a), A[0], B),
    "pdist-p1": (lambda L, F, a, b: F.pdist(a, 1), A[1], B),
    "pdist-p3": (lambda L, F, a, b: F.pdist(a, p=3.0), A[1], B),
    "pdist-pinf": (lambda L, F, a, b: F.pdist(a, float("inf")), A[2], B),
    "pdist-equal-rows": (lambda L, F, a, b: F.pdist(L.cat([a, a[:1]])), A[2], B),
}


@pytest.mark.parametrize("name", list(DISTANCES))
def test_distance_matches_torch(name):
    fn, a, b = DISTANCES[name]
    _check(f"distance/{name}", fn, a, b)


DISTANCE_ERRORS = {
    "cosine-shapes": (lambda L: L.nn.functional.cosine_similarity(L.ones(4, 5), L.ones(3, 5)), RuntimeError,
                      "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 0"),
    "cosine-int": (lambda L: L.nn.functional.cosine_similarity(L.tensor([[1, 2]]), L.tensor([[3, 4]])),
                   RuntimeError, "expected common dtype to be floating point, yet common dtype is Long"),
    "pairwise-shapes": (lambda L: L.nn.functional.pairwise_distance(L.ones(4, 5), L.ones(3, 5)), RuntimeError,
                        "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 0"),
    "pdist-3d": (lambda L: L.nn.functional.pdist(L.ones(2, 3, 4)), RuntimeError,
                 "pdist only supports 2D tensors, got: 3D"),
    "pdist-negative-p": (lambda L: L.nn.functional.pdist(L.ones(2, 3), -1), RuntimeError,
                         "pdist only supports non-negative p values"),
}


@pytest.mark.parametrize("name", list(DISTANCE_ERRORS))
def test_distance_errors(name):
    _raises(*DISTANCE_ERRORS[name])


# --------------------------------------------------------------------------- one_hot


ONE_HOT = {
    "inferred": ([[0, 3], [2, 1]], -1),
    "given": ([[0, 3], [2, 1]], 5),
    "1d": ([4, 0, 0], -1),
    "0d": (2, 4),
    "empty-given": (np.zeros((0, 2), dtype=np.int64), 3),
}


@pytest.mark.parametrize("name", list(ONE_HOT))
def test_one_hot_matches_torch(name):
    idx, n = ONE_HOT[name]
    ref = golden(f"one_hot/{name}", lambda: _torch().nn.functional.one_hot(_torch().tensor(idx), n).numpy())
    got = F.one_hot(npgrad.tensor(idx), n).numpy()
    assert got.dtype == ref.dtype == np.int64 and got.shape == ref.shape
    assert np.array_equal(got, ref)


ONE_HOT_ERRORS = {
    "too-small": (lambda L: L.nn.functional.one_hot(L.tensor([1, 2]), num_classes=2), RuntimeError,
                  "Class values must be smaller than num_classes."),
    "negative-class": (lambda L: L.nn.functional.one_hot(L.tensor([-1, 2])), RuntimeError,
                       "Class values must be non-negative."),
    "float": (lambda L: L.nn.functional.one_hot(L.tensor([0.0, 1.0]), 3), RuntimeError,
              "one_hot is only applicable to index tensor of type LongTensor."),
    "bool": (lambda L: L.nn.functional.one_hot(L.tensor([True])), RuntimeError,
             "one_hot is only applicable to index tensor of type LongTensor."),
    "int32": (lambda L: L.nn.functional.one_hot(L.tensor([0, 1], dtype=L.int32)), RuntimeError,
              "one_hot is only applicable to index tensor of type LongTensor."),
    "empty-inferred": (lambda L: L.nn.functional.one_hot(L.zeros(0, dtype=L.int64)), RuntimeError,
                       "Can not infer total number of classes from empty tensor."),
    "num-classes-0": (lambda L: L.nn.functional.one_hot(L.tensor([0, 2]), 0), RuntimeError,
                      "Class values must be smaller than num_classes."),
}


@pytest.mark.parametrize("name", list(ONE_HOT_ERRORS))
def test_one_hot_errors(name):
    _raises(*ONE_HOT_ERRORS[name])


# --------------------------------------------------------------------------- pad

PAD = {
    "constant-1d": ("constant", (1, 2), (2, 3, 5)),
    "constant-value": ("constant", (1, 1, 0, 2), (2, 3, 5), 3.5),
    "constant-negative": ("constant", (-1, 2), (2, 3, 5)),
    "constant-all-dims": ("constant", (1, 0, 0, 1, 2, 1), (2, 3, 5)),
    "constant-crop-to-empty": ("constant", (-3, 0), (2, 3)),
}
for _mode in ("reflect", "replicate", "circular"):
    PAD.update({
        f"{_mode}-1d-batched": (_mode, (1, 2), (2, 3, 5)),
        f"{_mode}-1d-unbatched": (_mode, (2, 1), (3, 5)),
        f"{_mode}-2d-batched": (_mode, (2, 1, 1, 2), (2, 2, 3, 4)),
        f"{_mode}-2d-unbatched": (_mode, (1, 2, 2, 0), (2, 3, 4)),
        f"{_mode}-3d-batched": (_mode, (1, 1, 2, 0, 1, 2), (1, 2, 3, 4, 4)),
        f"{_mode}-3d-unbatched": (_mode, (0, 1, 1, 1, 2, 1), (2, 3, 4, 4)),
        f"{_mode}-negative": (_mode, (-1, 2), (2, 3, 5)),
        f"{_mode}-zero-value": (_mode, (1, 1), (2, 3, 5), 0.0),
    })
PAD["reflect-widest"] = ("reflect", (4, 4), (2, 3, 5))
PAD["circular-whole"] = ("circular", (5, 5), (2, 3, 5))
PAD["circular-crop-then-wrap"] = ("circular", (2, -1, -1, 2), (2, 3, 5))
PAD["reflect-empty-batch"] = ("reflect", (2, 1), (0, 3, 5))
PAD["circular-empty-channels"] = ("circular", (2, 1), (2, 0, 5))


@pytest.mark.parametrize("name", list(PAD))
def test_pad_matches_torch(name):
    mode, widths, shape, *value = PAD[name]
    kwargs = {"value": value[0]} if value else {}
    _check(f"pad/{name}", lambda L, F, x: F.pad(x, widths, mode=mode, **kwargs), _randn(name, *shape))


def test_pad_keeps_integer_and_bool_dtypes():
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        F_ = lib.nn.functional
        ints = F_.pad(lib.tensor([[1, 2, 3]]), (1, 1), value=7)
        assert ints.dtype == lib.int64 and ints.tolist() == [[7, 1, 2, 3, 7]]
        assert F_.pad(lib.tensor([[1, 2, 3]]), (2, 1), mode="reflect").tolist() == [[3, 2, 1, 2, 3, 2]]
        assert F_.pad(lib.tensor([[1, 2, 3]]), (1, 2), mode="replicate").tolist() == [[1, 1, 2, 3, 3, 3]]
        flags = F_.pad(lib.tensor([[True, False]]), (1, 1), mode="circular")
        assert flags.dtype == lib.bool and flags.tolist() == [[False, True, False, True]]
        assert F_.pad(lib.tensor([[True]]), (1, 0)).tolist() == [[False, True]]


_NON_CONSTANT = ("Supported combinations for non-constant padding:\n"
                 "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                 "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                 "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
PAD_ERRORS = {
    "unknown-mode": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1, 1), mode="wrap"), NotImplementedError,
                     "Unrecognised padding mode wrap"),
    "odd-length": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1, 2, 3)), RuntimeError,
                   "Padding length must be divisible by 2"),
    "odd-length-reflect": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1,), mode="reflect"), RuntimeError,
                           "Padding length must be divisible by 2"),
    "too-long": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1,) * 6), RuntimeError,
                 "Padding length should be less than or equal to two times the input dimension but got padding "
                 "length 6 and input of dimension 2"),
    "float-width": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1.0, 1)), TypeError,
                    "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type float at "
                    "pos 0"),
    "constant-crop-too-much": (lambda L: L.nn.functional.pad(L.ones(1, 2, 3, 4), (0, 0, -4, 0)), RuntimeError,
                               "narrow(): length must be non-negative."),
    "reflect-value": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1, 1), mode="reflect", value=2.0), RuntimeError,
                      'Padding mode "reflect" doesn\'t take in value argument'),
    "circular-value": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1, 1), mode="circular", value=1.0),
                       RuntimeError, 'Padding mode "circular" doesn\'t take in value argument'),
    "reflect-1d-input": (lambda L: L.nn.functional.pad(L.ones(3), (1, 1), mode="reflect"), NotImplementedError,
                         "Padding size 2 is not supported for 1D input tensor.\n" + _NON_CONSTANT),
    "replicate-4d-two-widths": (lambda L: L.nn.functional.pad(L.ones(1, 2, 3, 4), (1, 1), mode="replicate"),
                                NotImplementedError,
                                "Padding size 2 is not supported for 4D input tensor.\n" + _NON_CONSTANT),
    "circular-2d-four-widths": (lambda L: L.nn.functional.pad(L.ones(2, 3), (1, 1, 1, 1), mode="circular"),
                                NotImplementedError,
                                "Padding size 4 is not supported for 2D input tensor.\n" + _NON_CONSTANT),
    "reflect-too-wide": (lambda L: L.nn.functional.pad(L.ones(2, 3), (3, 1), mode="reflect"), RuntimeError,
                         "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                         "padding (3, 1) at dimension 1 of input [2, 3]"),
    "reflect-too-high": (lambda L: L.nn.functional.pad(L.ones(1, 2, 3, 4), (1, 1, 3, 1), mode="reflect"),
                         RuntimeError,
                         "Argument #6: Padding size should be less than the corresponding input dimension, but got: "
                         "padding (3, 1) at dimension 2 of input [1, 2, 3, 4]"),
    "reflect-too-deep": (lambda L: L.nn.functional.pad(L.ones(1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 0), mode="reflect"),
                         RuntimeError,
                         "Argument #8: Padding size should be less than the corresponding input dimension, but got: "
                         "padding (3, 0) at dimension 2 of input [1, 2, 3, 4, 5]"),
    "circular-wraps-twice": (lambda L: L.nn.functional.pad(L.ones(2, 3), (0, 4), mode="circular"), RuntimeError,
                             "Padding value causes wrapping around more than once."),
    "circular-crop-too-much": (lambda L: L.nn.functional.pad(L.ones(2, 3, 4), (-3, -2), mode="circular"),
                               RuntimeError, "Negative padding value is resulting in an empty dimension"),
    "reflect-empty-dim": (lambda L: L.nn.functional.pad(L.ones(2, 0, 4), (1, 1), mode="reflect"), RuntimeError,
                          "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
                          "dimensions for input, but got: [2, 0, 4]"),
    "replicate-empty-dim": (lambda L: L.nn.functional.pad(L.ones(1, 0, 3, 4), (1, 1, 1, 1), mode="replicate"),
                            RuntimeError, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                                          "non-zero dimensions for input, but got: [1, 0, 3, 4]"),
    "replicate-crop-to-empty": (lambda L: L.nn.functional.pad(L.ones(2, 3, 4), (-2, -2), mode="replicate"),
                                RuntimeError, "input (W: 4) is too small. Calculated output W: 0"),
}


@pytest.mark.parametrize("name", list(PAD_ERRORS))
def test_pad_errors(name):
    _raises(*PAD_ERRORS[name])


# --------------------------------------------------------------------------- dropout

DROPOUT_EVAL = {
    "dropout": lambda F, x: F.dropout(x, 0.5, training=False),
    "dropout-p0": lambda F, x: F.dropout(x, 0.0),
    "dropout-inplace-eval": lambda F, x: F.dropout(x, 0.3, False, True),
    "dropout1d": lambda F, x: F.dropout1d(x, 0.5, training=False),
    "dropout2d": lambda F, x: F.dropout2d(x[None], 0.5, training=False)[0],
    "dropout3d": lambda F, x: F.dropout3d(x[None, None], 0.5, training=False)[0, 0],
    "alpha_dropout": lambda F, x: F.alpha_dropout(x, 0.5),
    "alpha_dropout-eval": lambda F, x: F.alpha_dropout(x, 0.5, training=False),
    "feature_alpha_dropout": lambda F, x: F.feature_alpha_dropout(x, 0.5),
}


@pytest.mark.parametrize("name", list(DROPOUT_EVAL))
def test_dropout_outside_training_is_the_identity(name):
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        x = lib.tensor(SM, requires_grad=True)
        y = DROPOUT_EVAL[name](lib.nn.functional, x * 1.0)
        np.testing.assert_array_equal(y.detach().numpy(), SM)
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(SM))


# What is zeroed together: the mask's shape for each call (1 where the input is one piece).
DROPOUT_MASKS = {
    "dropout": (lambda F, x: F.dropout(x, 0.5), (6, 8, 10), (6, 8, 10)),
    "dropout1d-batched": (lambda F, x: F.dropout1d(x, 0.5), (6, 8, 10), (6, 8, 1)),
    "dropout1d-unbatched": (lambda F, x: F.dropout1d(x, 0.5), (40, 10), (40, 1)),
    "dropout2d-4d": (lambda F, x: F.dropout2d(x, 0.5), (6, 8, 5, 2), (6, 8, 1, 1)),
    "dropout2d-3d-reads-NCL": (lambda F, x: F.dropout2d(x, 0.5), (6, 8, 10), (6, 8, 1)),
    "dropout2d-2d": (lambda F, x: F.dropout2d(x, 0.5), (6, 8), (6, 8)),
    "dropout3d-5d": (lambda F, x: F.dropout3d(x, 0.5), (6, 8, 2, 5, 1), (6, 8, 1, 1, 1)),
    "dropout3d-4d-unbatched": (lambda F, x: F.dropout3d(x, 0.5), (40, 2, 5, 2), (40, 1, 1, 1)),
    "alpha_dropout": (lambda F, x: F.alpha_dropout(x, 0.5, True), (6, 8, 10), (6, 8, 10)),
    "feature_alpha_dropout": (lambda F, x: F.feature_alpha_dropout(x, 0.5, True), (6, 8, 10), (6, 8, 1)),
}


@pytest.mark.parametrize("name", list(DROPOUT_MASKS))
def test_dropout_training_masks_and_scaling(name):
    fn, shape, mask_shape = DROPOUT_MASKS[name]
    alpha = "alpha" in name
    sat = 1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = 1.0 / np.sqrt((sat * sat * 0.5 + 1) * 0.5)
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        lib.manual_seed(0)
        x = lib.tensor(np.random.default_rng(0).uniform(1.0, 2.0, shape), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = fn(lib.nn.functional, x)
        y.sum().backward()
        ratio = x.grad.numpy()                       # the mask times the scale, per element
        kept = ratio != 0
        assert 0 < kept.mean() < 1
        scale = a if alpha else 2.0
        np.testing.assert_allclose(ratio[kept], scale, rtol=1e-12)
        axes = tuple(i for i, (s, m) in enumerate(zip(shape, mask_shape)) if m == 1 and s > 1)
        assert np.array_equal(kept.all(axis=axes), kept.any(axis=axes))   # constant over the shared dims
        assert 0 < kept.all(axis=axes).mean() < 1
        expected = np.where(kept, x.detach().numpy() * scale, 0.0)
        if alpha:
            expected = expected + np.where(kept, 0.0, -sat * a) + sat * a * 0.5
        np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


def test_dropout_p1_and_inplace_training():
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        F_ = lib.nn.functional
        x = lib.tensor(SM)
        for fn in (F_.dropout, F_.dropout1d, F_.alpha_dropout, F_.feature_alpha_dropout):
            assert np.all(fn(x, 1.0, True).numpy() == 0)
        y = lib.tensor(SM)
        assert F_.dropout(y, 0.5, True, inplace=True) is y
        assert set(np.unique(y.numpy() / SM)) <= {0.0, 2.0}
        z = lib.tensor(SM)
        assert F_.dropout1d(z, 0.5, True, inplace=True) is z
        assert set(np.unique(z.numpy() / SM)) <= {0.0, 2.0}


DROPOUT_ERRORS = {
    "p-above-1": (lambda L: L.nn.functional.dropout(L.ones(3), 1.5), ValueError,
                  "dropout probability has to be between 0 and 1, but got 1.5"),
    "p-negative-eval": (lambda L: L.nn.functional.dropout(L.ones(3), -0.1, training=False), ValueError,
                        "dropout probability has to be between 0 and 1, but got -0.1"),
    "dropout2d-p": (lambda L: L.nn.functional.dropout2d(L.ones(1, 2, 3, 4), 2), ValueError,
                    "dropout probability has to be between 0 and 1, but got 2"),
    "alpha-p": (lambda L: L.nn.functional.alpha_dropout(L.ones(3), -1.0), ValueError,
                "dropout probability has to be between 0 and 1, but got -1.0"),
    "dropout1d-4d": (lambda L: L.nn.functional.dropout1d(L.ones(1, 2, 3, 4)), RuntimeError,
                     "dropout1d: Expected 2D or 3D input, but received a 4D input. Note that dropout1d exists to "
                     "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an "
                     "optional batch dimension (i.e. 2D or 3D inputs)."),
    "dropout1d-1d-eval": (lambda L: L.nn.functional.dropout1d(L.ones(3), training=False), RuntimeError,
                          "dropout1d: Expected 2D or 3D input, but received a 1D input. Note that dropout1d exists "
                          "to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, "
                          "and an optional batch dimension (i.e. 2D or 3D inputs)."),
}


@pytest.mark.parametrize("name", list(DROPOUT_ERRORS))
def test_dropout_errors(name):
    _raises(*DROPOUT_ERRORS[name])


@pytest.mark.parametrize("fn,ndim,msg", [
    ("dropout2d", 3, "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                     "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                     "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                     "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                     "dropout1d instead."),
    ("dropout2d", 5, "dropout2d: Received a 5-D input to dropout2d, which is deprecated and will result in an error "
                     "in a future release. To retain the behavior and silence this warning, please use dropout "
                     "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                     "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs)."),
    ("dropout3d", 3, "dropout3d: Received a 3-D input to dropout3d, which is deprecated and will result in an error "
                     "in a future release. To retain the behavior and silence this warning, please use dropout "
                     "instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial "
                     "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs)."),
])
def test_channel_dropout_warnings(fn, ndim, msg):
    _warns(lambda L: getattr(L.nn.functional, fn)(L.ones(*(2,) * ndim), 0.5, training=False), msg)


# --------------------------------------------------------------------------- embedding

IDX = np.array([[0, 3, 3], [1, 0, 2]])
EMB_W = _randn("embedding weight", 4, 3)
EMBEDDING = {
    "plain": dict(),
    "padding": dict(padding_idx=3),
    "padding-negative": dict(padding_idx=-1),
    "padding-zero": dict(padding_idx=0),
    "scale-grad-by-freq": dict(scale_grad_by_freq=True),
    "scale-and-padding": dict(scale_grad_by_freq=True, padding_idx=0),
}


@pytest.mark.parametrize("name", list(EMBEDDING))
def test_embedding_matches_torch(name):
    kwargs = EMBEDDING[name]
    _check(f"embedding/{name}", lambda L, F, i, w: F.embedding(i, w, **kwargs), IDX, EMB_W)


def test_embedding_int32_and_0d_indices():
    _check("embedding/int32", lambda L, F, i, w: F.embedding(i.int(), w), IDX, EMB_W)
    _check("embedding/0d", lambda L, F, i, w: F.embedding(i[1, 2], w), IDX, EMB_W)


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (1.5, 1.0), (0.5, 3.0)])
def test_embedding_max_norm_renormalises_the_rows_used(max_norm, norm_type):
    weight = EMB_W * 2

    def run(L, F, i, w):
        table = w.detach().clone()
        out = F.embedding(i, table, max_norm=max_norm, norm_type=norm_type)
        return L.cat([out.reshape(-1), table.reshape(-1)])

    _check(f"embedding/max_norm-{max_norm}-{norm_type}", run, IDX[:1], weight)


EMBEDDING_ERRORS = {
    "index-too-big": (lambda L: L.nn.functional.embedding(L.tensor([[0, 4]]), L.ones(4, 3)), IndexError,
                      "index out of range in self"),
    "index-negative": (lambda L: L.nn.functional.embedding(L.tensor([-1]), L.ones(4, 3)), IndexError,
                       "index out of range in self"),
    "float-indices": (lambda L: L.nn.functional.embedding(L.tensor([0.0, 2.0]), L.ones(4, 3)), RuntimeError,
                      "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                      "Int; but got torch.FloatTensor instead (while checking arguments for embedding)"),
    "double-indices": (lambda L: L.nn.functional.embedding(L.tensor([0.0], dtype=L.float64), L.ones(4, 3)),
                       RuntimeError,
                       "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                       "Int; but got torch.DoubleTensor instead (while checking arguments for embedding)"),
    "padding-too-big": (lambda L: L.nn.functional.embedding(L.tensor([0]), L.ones(4, 3), padding_idx=4),
                        AssertionError, "Padding_idx must be within num_embeddings"),
    "padding-too-small": (lambda L: L.nn.functional.embedding(L.tensor([0]), L.ones(4, 3), padding_idx=-5),
                          AssertionError, "Padding_idx must be within num_embeddings"),
    "weight-1d": (lambda L: L.nn.functional.embedding(L.tensor([0]), L.ones(4)), RuntimeError,
                  "'weight' must be 2-D"),
}


@pytest.mark.parametrize("name", list(EMBEDDING_ERRORS))
def test_embedding_errors(name):
    _raises(*EMBEDDING_ERRORS[name])


# --------------------------------------------------------------------------- linear, bilinear

LIN_X, LIN_W, LIN_B = _randn("linear x", 4, 3, 5), _randn("linear w", 2, 5), _randn("linear b", 2)
LINEAR = {
    "3d": (lambda L, F, x, w, b: F.linear(x, w, b), LIN_X, LIN_W, LIN_B),
    "2d-no-bias": (lambda L, F, x, w, b: F.linear(x[0], w), LIN_X, LIN_W, LIN_B),
    "1d-input": (lambda L, F, x, w, b: F.linear(x[0, 0], w, b), LIN_X, LIN_W, LIN_B),
    "1d-weight": (lambda L, F, x, w, b: F.linear(x, w[0]), LIN_X, LIN_W, LIN_B),
    "1d-weight-0d-bias": (lambda L, F, x, w, b: F.linear(x, w[0], b[0]), LIN_X, LIN_W, LIN_B),
    "bilinear": (lambda L, F, a, b, w, c: F.bilinear(a, b, w, c), _randn("bl a", 4, 3), _randn("bl b", 4, 2),
                 _randn("bl w", 5, 3, 2), _randn("bl c", 5)),
    "bilinear-3d-no-bias": (lambda L, F, a, b, w: F.bilinear(a, b, w), _randn("bl a3", 2, 4, 3),
                            _randn("bl b3", 2, 4, 2), _randn("bl w3", 5, 3, 2)),
    "bilinear-1d": (lambda L, F, a, b, w: F.bilinear(a, b, w), _randn("bl a1", 3), _randn("bl b1", 2),
                    _randn("bl w1", 5, 3, 2)),
}


@pytest.mark.parametrize("name", list(LINEAR))
def test_linear_matches_torch(name):
    fn, *arrays = LINEAR[name]
    _check(f"linear/{name}", fn, *arrays)


LINEAR_ERRORS = {
    "shapes": (lambda L: L.nn.functional.linear(L.ones(4, 5), L.ones(3, 4)), RuntimeError,
               "mat1 and mat2 shapes cannot be multiplied (4x5 and 4x3)"),
    "shapes-3d": (lambda L: L.nn.functional.linear(L.ones(2, 4, 5), L.ones(3, 4)), RuntimeError,
                  "mat1 and mat2 shapes cannot be multiplied (8x5 and 4x3)"),
    "shapes-1d": (lambda L: L.nn.functional.linear(L.ones(5), L.ones(3, 4)), RuntimeError,
                  "mat1 and mat2 shapes cannot be multiplied (1x5 and 4x3)"),
    "dtype-no-bias": (lambda L: L.nn.functional.linear(L.ones(4, 5, dtype=L.float64), L.ones(3, 5)), RuntimeError,
                      "expected m1 and m2 to have the same dtype, but got: double != float"),
    "dtype-bias": (lambda L: L.nn.functional.linear(L.ones(4, 5, dtype=L.float64), L.ones(3, 5), L.ones(3)),
                   RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float"),
    "0d-input": (lambda L: L.nn.functional.linear(L.tensor(1.0), L.ones(3, 4)), RuntimeError,
                 "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    "bias-size": (lambda L: L.nn.functional.linear(L.ones(4, 5), L.ones(3, 5), L.ones(2)), RuntimeError,
                  "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
                  "dimension 1.  Target sizes: [4, 3].  Tensor sizes: [2]"),
    "bias-size-3d": (lambda L: L.nn.functional.linear(L.ones(2, 4, 5), L.ones(3, 5), L.ones(2)), RuntimeError,
                     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
                     "dimension 1.  Target sizes: [8, 3].  Tensor sizes: [2]"),
    "bilinear-ndim": (lambda L: L.nn.functional.bilinear(L.ones(4, 3), L.ones(2), L.ones(5, 3, 2)),
                      RuntimeError, "bilinear(): input dimensions do not match: got 2 and 1"),
    "bilinear-input1": (lambda L: L.nn.functional.bilinear(L.ones(4, 3), L.ones(4, 2), L.ones(5, 2, 2)),
                        RuntimeError, "bilinear(): input1 size does not match weight size: got 3 but expected 2"),
    "bilinear-input2": (lambda L: L.nn.functional.bilinear(L.ones(4, 3), L.ones(4, 4), L.ones(5, 3, 2)),
                        RuntimeError, "bilinear(): input2 size does not match weight size: got 4 but expected 2"),
    "bilinear-batch": (lambda L: L.nn.functional.bilinear(L.ones(4, 3), L.ones(3, 2), L.ones(5, 3, 2)),
                       RuntimeError, "bilinear(): input batch dimensions do not match at dim 0: got 4 and 3"),
    "bilinear-bias": (lambda L: L.nn.functional.bilinear(L.ones(4, 3), L.ones(4, 2), L.ones(5, 3, 2), L.ones(4)),
                      RuntimeError, "bilinear(): bias size does not match weight size: got 4 but expected 5"),
}


@pytest.mark.parametrize("name", list(LINEAR_ERRORS))
def test_linear_errors(name):
    _raises(*LINEAR_ERRORS[name])


# --------------------------------------------------------------------------- normalisation

NX = _randn("norm input", 4, 6, 5)
NORMS = {
    "layer_norm": (lambda L, F, x, w, b: F.layer_norm(x, (6, 5), w, b, eps=1e-3),
                   NX, _randn("ln w", 6, 5), _randn("ln b", 6, 5)),
    "layer_norm-last-dim": (lambda L, F, x, w, b: F.layer_norm(x, [5], w[0], b[0]), NX, _randn("ln w", 6, 5),
                            _randn("ln b", 6, 5)),
    "layer_norm-size": (lambda L, F, x, w, b: F.layer_norm(x, x.shape[1:]), NX, _randn("ln w", 6, 5),
                        _randn("ln b", 6, 5)),
    "rms_norm": (lambda L, F, x, w: F.rms_norm(x, (5,), w), NX, _randn("rms w", 5)),
    "rms_norm-eps": (lambda L, F, x, w: F.rms_norm(x, [6, 5], eps=0.1), NX, _randn("rms w", 5)),
    "rms_norm-default-eps": (lambda L, F, x, w: F.rms_norm(x * 1e-9, [5]), NX, _randn("rms w", 5)),
    "group_norm": (lambda L, F, x, w, b: F.group_norm(x, 3, w, b), NX, _randn("gn w", 6), _randn("gn b", 6)),
    "group_norm-one-group-4d": (lambda L, F, x, w, b: F.group_norm(x.reshape(2, 6, 2, 5), 1, w, eps=0.1), NX,
                                _randn("gn w", 6), _randn("gn b", 6)),
    "group_norm-2d": (lambda L, F, x, w, b: F.group_norm(x[:, :, 0], 2), NX, _randn("gn w", 6), _randn("gn b", 6)),
    "instance_norm": (lambda L, F, x, w, b: F.instance_norm(x, weight=w, bias=b), NX, _randn("in w", 6),
                      _randn("in b", 6)),
    "instance_norm-4d-eps": (lambda L, F, x: F.instance_norm(x.reshape(2, 6, 2, 5), eps=0.1), NX),
    "local_response_norm-3d": (lambda L, F, x: F.local_response_norm(x, 3), NX),
    "local_response_norm-4d": (lambda L, F, x: F.local_response_norm(x.reshape(2, 6, 2, 5), 4, 0.1, 0.5, 2.0), NX),
    "local_response_norm-size-1": (lambda L, F, x: F.local_response_norm(x, 1, alpha=1.0), NX),
}


@pytest.mark.parametrize("name", list(NORMS))
def test_normalisation_matches_torch(name):
    fn, *arrays = NORMS[name]
    _check(f"norm/{name}", fn, *arrays)


def _batch_norm_run(training, affine=True, momentum=0.1, stats=True, ndim=3):
    def run(L, F, x, w, b):
        x = x.reshape(*x.shape[:2], *(-1, 1, 1)[:ndim - 2]) if ndim > 2 else x[:, :, 0]
        mean = L.tensor(np.arange(6.0)) if stats else None
        var = L.tensor(np.arange(1.0, 7.0)) if stats else None
        y = F.batch_norm(x, mean, var, w if affine else None, b if affine else None, training=training,
                         momentum=momentum, eps=1e-3)
        return L.cat([y.reshape(-1)] + ([mean, var] if stats else []))
    return run


BATCH_NORM = {
    "train": dict(training=True),
    "train-2d": dict(training=True, ndim=2),
    "train-4d-momentum": dict(training=True, ndim=4, momentum=0.3),
    "train-no-affine": dict(training=True, affine=False),
    "train-no-running-stats": dict(training=True, stats=False),
    "eval": dict(training=False),
    "eval-2d": dict(training=False, ndim=2),
    "eval-no-affine": dict(training=False, affine=False),
}


@pytest.mark.parametrize("name", list(BATCH_NORM))
def test_batch_norm_matches_torch_with_running_stats(name):
    _check(f"batch_norm/{name}", _batch_norm_run(**BATCH_NORM[name]), NX, _randn("bn w", 6), _randn("bn b", 6))


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_running_stats(use_input_stats):
    def run(L, F, x):
        mean, var = L.tensor(np.arange(6.0)), L.tensor(np.arange(1.0, 7.0))
        y = F.instance_norm(x, mean, var, use_input_stats=use_input_stats, momentum=0.2)
        return L.cat([y.reshape(-1), mean, var])

    _check(f"instance_norm/stats-{use_input_stats}", run, NX)


NORM_ERRORS = {
    "layer_norm-shape": (lambda L: L.nn.functional.layer_norm(L.ones(4, 5), (4,)), RuntimeError,
                         "Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[4, 5]"),
    "layer_norm-weight": (lambda L: L.nn.functional.layer_norm(L.ones(4, 5), (5,), L.ones(4)), RuntimeError,
                          "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
                          "normalized_shape = [5]"),
    "layer_norm-bias": (lambda L: L.nn.functional.layer_norm(L.ones(4, 5), (5,), None, L.ones(4)), RuntimeError,
                        "Expected bias to be of same shape as normalized_shape, but got bias of shape [4] and "
                        "normalized_shape = [5]"),
    "rms_norm-shape": (lambda L: L.nn.functional.rms_norm(L.ones(4, 4, 4), (3, 5)), RuntimeError,
                       "Given normalized_shape=[3, 5], expected input with shape [*3, 5], but got input of "
                       "size[4, 4, 4]"),
    "rms_norm-weight": (lambda L: L.nn.functional.rms_norm(L.ones(4, 5), (5,), L.ones(4)), RuntimeError,
                        "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
                        "normalized_shape = [5]"),
    "group_norm-groups": (lambda L: L.nn.functional.group_norm(L.ones(4, 5), 2), RuntimeError,
                          "Expected number of channels in input to be divisible by num_groups, but got input of "
                          "shape [4, 5] and num_groups=2"),
    "group_norm-weight": (lambda L: L.nn.functional.group_norm(L.ones(4, 5, 1), 5, L.ones(4)), RuntimeError,
                          "Expected weight to be a vector of size equal to the number of channels in input, but got "
                          "weight of shape [4] and input of shape [4, 5, 1]"),
    "group_norm-1d": (lambda L: L.nn.functional.group_norm(L.ones(5), 5), RuntimeError,
                      "Expected at least 2 dimensions for input tensor but received 1"),
    "batch_norm-one-value": (lambda L: L.nn.functional.batch_norm(L.ones(1, 3), L.zeros(3), L.ones(3),
                                                                  training=True),
                             ValueError, "Expected more than 1 value per channel when training, got input size "
                                         "torch.Size([1, 3])"),
    "batch_norm-eval-no-stats": (lambda L: L.nn.functional.batch_norm(L.ones(2, 3), None, None), RuntimeError,
                                 "running_mean must be defined in evaluation mode"),
    "batch_norm-stats-size": (lambda L: L.nn.functional.batch_norm(L.ones(4, 2), L.zeros(3), L.ones(3)),
                              RuntimeError, "running_mean should contain 2 elements not 3"),
    "batch_norm-weight-size": (lambda L: L.nn.functional.batch_norm(L.ones(4, 5), L.zeros(5), L.ones(5),
                                                                    L.ones(4)),
                               RuntimeError, "weight should contain 5 elements not 4"),
    "instance_norm-one-element": (lambda L: L.nn.functional.instance_norm(L.ones(2, 3, 1)), ValueError,
                                  "Expected more than 1 spatial element when training, got input size "
                                  "torch.Size([2, 3, 1])"),
    "local_response_norm-2d": (lambda L: L.nn.functional.local_response_norm(L.ones(2, 3), 2), ValueError,
                               "Expected 3D or higher dimensionality" + " " * 26 + "input (got 2 dimensions)"),
}


@pytest.mark.parametrize("name", list(NORM_ERRORS))
def test_normalisation_errors(name):
    _raises(*NORM_ERRORS[name])


# --------------------------------------------------------------------------- reshuffles

SHUFFLE = {
    "pixel_shuffle": lambda L, F, x: F.pixel_shuffle(x.reshape(2, 8, 3, 2), 2),
    "pixel_shuffle-5d": lambda L, F, x: F.pixel_shuffle(x.reshape(2, 1, 12, 2, 2), 2),
    "pixel_shuffle-3d": lambda L, F, x: F.pixel_shuffle(x[:72].reshape(9, 2, 4), 3),
    "pixel_unshuffle": lambda L, F, x: F.pixel_unshuffle(x.reshape(2, 2, 4, 6), 2),
    "channel_shuffle": lambda L, F, x: F.channel_shuffle(x.reshape(2, 6, 8), 3),
    "channel_shuffle-4d": lambda L, F, x: F.channel_shuffle(x.reshape(2, 6, 4, 2), 2),
}


@pytest.mark.parametrize("name", list(SHUFFLE))
def test_reshuffle_matches_torch(name):
    _check(f"shuffle/{name}", SHUFFLE[name], _randn("shuffle", 96))


def test_pixel_unshuffle_inverts_pixel_shuffle():
    x = npgrad.tensor(_randn("roundtrip", 2, 12, 3, 2))
    assert np.array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(), x.numpy())


SHUFFLE_ERRORS = {
    "pixel_shuffle-channels": (lambda L: L.nn.functional.pixel_shuffle(L.ones(1, 5, 2, 2), 2), RuntimeError,
                               "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                               "of upscale_factor, but input.size(-3)=5 is not divisible by 4"),
    "pixel_shuffle-2d": (lambda L: L.nn.functional.pixel_shuffle(L.ones(4, 4), 2), RuntimeError,
                         "pixel_shuffle expects input to have at least 3 dimensions, but got input with 2 "
                         "dimension(s)"),
    "pixel_unshuffle-height": (lambda L: L.nn.functional.pixel_unshuffle(L.ones(1, 1, 3, 4), 2), RuntimeError,
                               "pixel_unshuffle expects height to be divisible by downscale_factor, but "
                               "input.size(-2)=3 is not divisible by 2"),
    "pixel_unshuffle-width": (lambda L: L.nn.functional.pixel_unshuffle(L.ones(1, 1, 4, 3), 2), RuntimeError,
                              "pixel_unshuffle expects width to be divisible by downscale_factor, but "
                              "input.size(-1)=3 is not divisible by 2"),
    "channel_shuffle-groups": (lambda L: L.nn.functional.channel_shuffle(L.ones(1, 5, 2), 2), RuntimeError,
                               "Number of channels must be divisible by groups. Got 5 channels and 2 groups."),
}


@pytest.mark.parametrize("name", list(SHUFFLE_ERRORS))
def test_reshuffle_errors(name):
    _raises(*SHUFFLE_ERRORS[name])


# --------------------------------------------------------------------------- gumbel softmax


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_samples(hard):
    logits = _randn("gumbel", 200, 4)
    for lib in ([_torch()] if HAVE_TORCH else []) + [npgrad]:
        lib.manual_seed(0)
        x = lib.tensor(logits, requires_grad=True)
        y = lib.nn.functional.gumbel_softmax(x, tau=0.5, hard=hard)
        out = y.detach().numpy()
        np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-12)
        if hard:
            assert set(np.unique(out)) == {0.0, 1.0}
        (y * lib.tensor(np.arange(4.0))).sum().backward()
        assert np.abs(x.grad.numpy()).sum() > 0
        np.testing.assert_allclose(x.grad.numpy().sum(-1), 0.0, atol=1e-12)   # softmax's gradient


# --------------------------------------------------------------------------- scaled_dot_product_attention

SQ, SK, SV = _randn("sdpa q", 2, 4, 5, 8), _randn("sdpa k", 2, 4, 7, 8), _randn("sdpa v", 2, 4, 7, 3)
_BOOL_MASK = np.random.default_rng(5).random((5, 7)) > 0.4
_BOOL_MASK[:, 0] = True
_FLOAT_MASK = _randn("sdpa float mask", 4, 5, 7)
_INF_MASK = _randn("sdpa inf mask", 5, 7)
_INF_MASK[2] = -np.inf
_ROW_MASK = _BOOL_MASK.copy()
_ROW_MASK[3] = False
SDPA = {
    "dropout-0": (dict(dropout_p=0.0), None),
    "causal-rectangular": (dict(is_causal=True), None),
    "scale": (dict(scale=0.1), None),
    "causal-scale": (dict(is_causal=True, scale=0.5, dropout_p=0.0), None),
    "gqa-same-heads": (dict(enable_gqa=True), None),
    "gqa-2-kv-heads": (dict(enable_gqa=True), "gqa"),
    "gqa-3d": (dict(enable_gqa=True), "gqa-3d"),
    "bool-mask-2d": (dict(), _BOOL_MASK),
    "bool-mask-4d": (dict(), np.broadcast_to(_BOOL_MASK, (2, 1, 5, 7)).copy()),
    "bool-mask-one-row": (dict(), _BOOL_MASK[:1]),
    "bool-mask-masked-row": (dict(), _ROW_MASK),
    "float-mask": (dict(), _FLOAT_MASK),
    "float-mask-inf-row": (dict(), _INF_MASK),
    "float32-mask": (dict(), _INF_MASK.astype(np.float32)),
    "batch-broadcast": (dict(), "broadcast"),
}


@pytest.mark.parametrize("name", list(SDPA))
def test_sdpa_arguments_match_torch(name):
    kwargs, extra = SDPA[name]
    q, k, v = SQ, SK, SV
    mask = None
    if isinstance(extra, np.ndarray):
        mask = extra
    elif extra == "gqa":
        k, v = SK[:, :2], SV[:, :1]
    elif extra == "gqa-3d":
        q, k, v = SQ[0], SK[0, :2], SV[0, :2]
    elif extra == "broadcast":
        k, v = SK[:1], SV[:1, :1]

    def run(L, F, q, k, v):
        extra_kw = {} if mask is None else {"attn_mask": L.tensor(mask)}
        return F.scaled_dot_product_attention(q, k, v, **kwargs, **extra_kw)

    got = _check(f"sdpa/{name}", run, q, k, v)
    if name == "bool-mask-masked-row":
        assert np.all(got["out"][:, :, 3] == 0)


SDPA_ERRORS = {
    "causal-and-mask": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(3, 4), L.ones(3, 4), L.ones(3, 4), attn_mask=L.ones(3, 3, dtype=L.bool), is_causal=True),
        RuntimeError, "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"),
    "gqa-heads": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(1, 4, 3, 2), L.ones(1, 3, 3, 2), L.ones(1, 3, 3, 2), enable_gqa=True),
        RuntimeError, "Number of heads in key and value must divide the number of heads in "),
    "gqa-2d": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(3, 2), L.ones(3, 2), L.ones(3, 2), enable_gqa=True),
        IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    "heads-without-gqa": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(2, 4, 3, 2), L.ones(2, 2, 3, 2), L.ones(2, 2, 3, 2)),
        RuntimeError, "The size of tensor a (4) must match the size of tensor b (2) at non-singleton dimension 1"),
    "int-mask": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(3, 2, dtype=L.float64), L.ones(3, 2, dtype=L.float64), L.ones(3, 2, dtype=L.float64),
        attn_mask=L.ones(3, 3, dtype=L.int64)),
        RuntimeError, "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                      "attn_mask.dtype: long int and  query.dtype: double instead."),
    "dtypes": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(3, 2, dtype=L.float64), L.ones(3, 2), L.ones(3, 2, dtype=L.float64)),
        RuntimeError, "Expected query, key, and value to have the same dtype, but got query.dtype: double "
                      "key.dtype: float and value.dtype: double instead."),
    "1d-query": (lambda L: L.nn.functional.scaled_dot_product_attention(L.ones(2), L.ones(3, 2), L.ones(3, 2)),
                 RuntimeError, "Expected query, key, and value to all be  at least 2 dimensional, but got "
                               "query.dim: 1 key.dim: 2 and value.dim: 2 instead."),
    "mask-shape": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(2, 5, 4), L.ones(2, 5, 4), L.ones(2, 5, 4), attn_mask=L.ones(3, 5, dtype=L.bool)),
        RuntimeError, "The size of tensor a (5) must match the size of tensor b (3) at non-singleton dimension 1"),
    "key-width": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(2, 4, 5, 8), L.ones(2, 4, 7, 4), L.ones(2, 4, 7, 3)),
        RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [8, 8] but got: [8, 4]."),
    "value-length": (lambda L: L.nn.functional.scaled_dot_product_attention(
        L.ones(2, 4, 5, 8), L.ones(2, 4, 7, 8), L.ones(2, 4, 6, 3)),
        RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [8, 7] but got: [8, 6]."),
}


@pytest.mark.parametrize("name", list(SDPA_ERRORS))
def test_sdpa_errors(name):
    _raises(*SDPA_ERRORS[name])
