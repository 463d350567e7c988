"""nn.init against torch.nn.init: gains, fans, errors, distributions, structure.

Random initialisers cannot match torch value for value (different generators),
so their *distributions* are compared: the deciles of 60 000 draws of ours and
of torch's agree within 4% of the scale (about four standard errors), and the
moments and bounds are checked against the formulas. Seeds are fixed, so every
run draws the same numbers.
"""
import math

import numpy as np
import pytest

from oracle import Golden, torch

import npgrad
from npgrad.nn import init

golden = Golden("init")

DECILES = np.linspace(0.1, 0.9, 9)
BIG = (200, 300)  # 60 000 draws, fan_in 300, fan_out 200


def empty(lib, shape, dtype="float32"):
    return lib.empty(*shape, dtype=getattr(lib, dtype))


def values(t):
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def init_fn(lib):
    return lib.nn.init


# ---------------------------------------------------------------------------
# Gains and fans
# ---------------------------------------------------------------------------

GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
         ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", 0), ("leaky_relu", math.sqrt(5)),
         ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", GAINS)
def test_calculate_gain_exact(nonlinearity, param):
    expected = golden(f"gain/{nonlinearity}/{param}", lambda: torch.nn.init.calculate_gain(nonlinearity, param))
    got = init.calculate_gain(nonlinearity, param)
    assert got == float(expected)
    assert isinstance(got, int) == (nonlinearity in ("linear", "sigmoid") or nonlinearity.startswith("conv"))


FAN_SHAPES = [(3, 5), (4, 3, 2), (6, 4, 3, 3), (2, 3, 1, 2, 2), (1, 7)]


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_fans_match_torch(shape):
    expected = golden(f"fans/{shape}", lambda: torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape)))
    got = init._calculate_fan_in_and_fan_out(npgrad.empty(*shape))
    assert got == tuple(int(v) for v in expected)


# ---------------------------------------------------------------------------
# Errors: type and message as torch
# ---------------------------------------------------------------------------

BAD_CALLS = {
    "gain/unknown": lambda lib: init_fn(lib).calculate_gain("softmax"),
    "gain/bool_slope": lambda lib: init_fn(lib).calculate_gain("leaky_relu", True),
    "gain/str_slope": lambda lib: init_fn(lib).calculate_gain("leaky_relu", "0.1"),
    "fan/1d": lambda lib: init_fn(lib).xavier_uniform_(lib.empty(5)),
    "fan/0d_kaiming": lambda lib: init_fn(lib).kaiming_normal_(lib.empty(())),
    "kaiming/mode": lambda lib: init_fn(lib).kaiming_uniform_(lib.empty(3, 4), mode="fan_avg"),
    "kaiming/nonlinearity": lambda lib: init_fn(lib).kaiming_normal_(lib.empty(3, 4), nonlinearity="gelu"),
    "eye/3d": lambda lib: init_fn(lib).eye_(lib.empty(2, 2, 2)),
    "dirac/2d": lambda lib: init_fn(lib).dirac_(lib.empty(2, 2)),
    "dirac/groups": lambda lib: init_fn(lib).dirac_(lib.empty(5, 2, 3), groups=2),
    "orthogonal/1d": lambda lib: init_fn(lib).orthogonal_(lib.empty(4)),
    "sparse/3d": lambda lib: init_fn(lib).sparse_(lib.empty(2, 3, 4), 0.5),
}


def _error_of(call, lib):
    try:
        call(lib)
    except Exception as e:  # noqa: BLE001  (the point is to capture it)
        return [type(e).__name__, str(e)]
    return ["", ""]


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_errors_match_torch(name):
    expected = [str(v) for v in golden(f"error/{name}", lambda: _error_of(BAD_CALLS[name], torch))]
    assert expected[0], "torch raised nothing: the case is wrong"
    assert _error_of(BAD_CALLS[name], npgrad) == expected


# ---------------------------------------------------------------------------
# Distributions: deciles against torch's, moments and bounds against formulas
# ---------------------------------------------------------------------------

# name -> (call(init module, tensor, generator), shape)
RANDOM = {
    "uniform": (lambda m, t, g: m.uniform_(t, -0.3, 0.7, generator=g), BIG),
    "normal": (lambda m, t, g: m.normal_(t, 0.5, 2.0, generator=g), BIG),
    "trunc_normal/wide": (lambda m, t, g: m.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0, generator=g), BIG),
    "trunc_normal/tail": (lambda m, t, g: m.trunc_normal_(t, 0.0, 1.0, 1.0, 3.0, generator=g), BIG),
    "trunc_normal/vit": (lambda m, t, g: m.trunc_normal_(t, std=0.02, a=-0.04, b=0.04, generator=g), BIG),
    "xavier_uniform": (lambda m, t, g: m.xavier_uniform_(t, gain=2.0, generator=g), BIG),
    "xavier_normal": (lambda m, t, g: m.xavier_normal_(t, generator=g), BIG),
    "xavier_uniform/conv": (lambda m, t, g: m.xavier_uniform_(t, generator=g), (40, 30, 5, 10)),
    "kaiming_uniform/default": (lambda m, t, g: m.kaiming_uniform_(t, generator=g), BIG),
    "kaiming_uniform/linear": (lambda m, t, g: m.kaiming_uniform_(t, a=math.sqrt(5), generator=g), BIG),
    "kaiming_uniform/fan_out_relu": (
        lambda m, t, g: m.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu", generator=g), BIG),
    "kaiming_normal/relu": (lambda m, t, g: m.kaiming_normal_(t, nonlinearity="relu", generator=g), BIG),
    "kaiming_normal/fan_out_leaky": (
        lambda m, t, g: m.kaiming_normal_(t, a=0.2, mode="fan_out", generator=g), (30, 20, 10, 10)),
    "kaiming_normal/tanh": (lambda m, t, g: m.kaiming_normal_(t, nonlinearity="tanh", generator=g), BIG),
    "orthogonal": (lambda m, t, g: m.orthogonal_(t, gain=3.0, generator=g), (250, 240)),
    "sparse": (lambda m, t, g: m.sparse_(t, 0.3, std=0.5, generator=g), BIG),
}


def _draw(lib, name, seed=0, dtype="float32"):
    call, shape = RANDOM[name]
    gen = lib.Generator()
    gen.manual_seed(seed)
    t = empty(lib, shape, dtype)
    out = call(init_fn(lib), t, gen)
    assert out is t
    return t


def decile_tolerance(sample):
    """About five standard errors of the difference of two samples' deciles.

    The standard error of a decile is at most :math:`2.5\\sigma/\\sqrt{n}` for the
    uniform and normal shapes here; the difference of two samples' has
    :math:`\\sqrt 2` times that.
    """
    return 12 * sample.std() / math.sqrt(sample.size)


@pytest.mark.parametrize("name", list(RANDOM))
def test_distribution_matches_torch(name):
    expected = golden(f"deciles/{name}", lambda: np.quantile(values(_draw(torch, name)), DECILES))
    sample = values(_draw(npgrad, name))
    np.testing.assert_allclose(np.quantile(sample, DECILES), expected, rtol=0, atol=decile_tolerance(sample))


def _check_uniform(w, bound):
    n = w.size
    edge = bound * (1 + 2**-23)  # float32 rounding of a value drawn just inside the bound
    assert w.min() >= -edge and w.max() <= edge
    assert w.max() > 0.999 * bound and w.min() < -0.999 * bound
    assert abs(w.mean()) < 4 * bound / math.sqrt(3 * n)
    assert w.var() == pytest.approx(bound**2 / 3, rel=0.02)


def _check_normal(w, mean, std):
    n = w.size
    assert abs(w.mean() - mean) < 4 * std / math.sqrt(n)
    assert w.std() == pytest.approx(std, rel=0.02)
    z = (w - mean) / std
    assert np.mean(z**4) == pytest.approx(3.0, rel=0.05)  # kurtosis of a normal


def test_uniform_moments_and_bounds():
    _check_uniform(values(_draw(npgrad, "uniform")) - 0.2, 0.5)


def test_normal_moments():
    _check_normal(values(_draw(npgrad, "normal")), 0.5, 2.0)


def test_xavier_bounds_and_std():
    fan_in, fan_out = 300, 200
    _check_uniform(values(_draw(npgrad, "xavier_uniform")), 2.0 * math.sqrt(6.0 / (fan_in + fan_out)))
    _check_normal(values(_draw(npgrad, "xavier_normal")), 0.0, math.sqrt(2.0 / (fan_in + fan_out)))
    _check_uniform(values(_draw(npgrad, "xavier_uniform/conv")), math.sqrt(6.0 / (30 * 50 + 40 * 50)))


def test_kaiming_bounds_and_std():
    # a=0 by default: the leaky_relu gain with slope 0 is sqrt(2)
    _check_uniform(values(_draw(npgrad, "kaiming_uniform/default")), math.sqrt(2.0) * math.sqrt(3 / 300))
    _check_uniform(values(_draw(npgrad, "kaiming_uniform/linear")), 1 / math.sqrt(300))
    _check_uniform(values(_draw(npgrad, "kaiming_uniform/fan_out_relu")), math.sqrt(2.0) * math.sqrt(3 / 200))
    _check_normal(values(_draw(npgrad, "kaiming_normal/relu")), 0.0, math.sqrt(2.0 / 300))
    _check_normal(values(_draw(npgrad, "kaiming_normal/fan_out_leaky")), 0.0,
                  math.sqrt(2.0 / (1 + 0.2**2)) / math.sqrt(30 * 100))
    _check_normal(values(_draw(npgrad, "kaiming_normal/tanh")), 0.0, 5.0 / 3 / math.sqrt(300))


def _truncated_normal_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / z
    v = std**2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2)
    return m, v


@pytest.mark.parametrize("name, mean, std, a, b", [
    ("trunc_normal/wide", 0.0, 1.0, -2.0, 2.0),      # most of the mass inside: redraw outside values
    ("trunc_normal/tail", 0.0, 1.0, 1.0, 3.0),       # 16% inside: uniform proposals with rejection
    ("trunc_normal/vit", 0.0, 0.02, -0.04, 0.04),
])
def test_trunc_normal_bounds_and_moments(name, mean, std, a, b):
    w = values(_draw(npgrad, name))
    lo, hi = float(np.float32(a)), float(np.float32(b))
    assert w.min() >= lo and w.max() <= hi
    m, v = _truncated_normal_moments(mean, std, a, b)
    assert abs(w.mean() - m) < 4 * math.sqrt(v / w.size)
    assert w.var() == pytest.approx(v, rel=0.03)


def test_trunc_normal_float32_bounds_are_the_rounded_ones():
    t = npgrad.empty(400, 300)
    init.trunc_normal_(t, mean=0.0, std=1.0, a=-0.1, b=0.1, generator=npgrad.Generator().manual_seed(3))
    w = t.numpy()
    assert w.min() >= np.float32(-0.1) and w.max() <= np.float32(0.1)


def test_trunc_normal_warns_far_mean():
    with pytest.warns(UserWarning, match=r"mean is more than 2 std from \[a, b\] in nn.init.trunc_normal_"):
        init.trunc_normal_(npgrad.empty(10), mean=0.0, std=0.1, a=0.5, b=1.0)


# ---------------------------------------------------------------------------
# Structure: orthogonal, sparse, eye, dirac, constants
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3), (6, 2, 2)])
@pytest.mark.parametrize("dtype, tol", [("float32", 2e-5), ("float64", 1e-12)])
def test_orthogonal(shape, dtype, tol):
    t = init.orthogonal_(empty(npgrad, shape, dtype), gain=2.0, generator=npgrad.Generator().manual_seed(1))
    w = values(t).reshape(shape[0], -1)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=4 * tol)


def test_orthogonal_is_haar_not_biased():
    """Sign correction: the diagonal of Q has no preferred sign (mean near 0 over many draws)."""
    gen = npgrad.Generator().manual_seed(5)
    diag = [np.diag(values(init.orthogonal_(npgrad.empty(4, 4), generator=gen))) for _ in range(400)]
    assert abs(np.mean(diag)) < 0.05


@pytest.mark.parametrize("rows, cols, sparsity", [(20, 30, 0.25), (15, 8, 0.1), (10, 4, 0.0), (7, 3, 1.0)])
def test_sparse_zeros_per_column(rows, cols, sparsity):
    w = values(init.sparse_(npgrad.empty(rows, cols), sparsity, std=0.5, generator=npgrad.Generator().manual_seed(2)))
    zeros_per_column = (w == 0).sum(axis=0)
    np.testing.assert_array_equal(zeros_per_column, math.ceil(sparsity * rows))


def test_sparse_nonzeros_are_normal():
    w = values(_draw(npgrad, "sparse"))
    nonzero = w[w != 0]
    assert nonzero.size == 300 * (200 - 60)
    _check_normal(nonzero, 0.0, 0.5)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_matches_torch(shape):
    expected = golden(f"eye/{shape}", lambda: torch.nn.init.eye_(torch.empty(shape)))
    np.testing.assert_array_equal(values(init.eye_(npgrad.empty(*shape))), expected)


@pytest.mark.parametrize("shape, groups", [((4, 2, 3), 1), ((4, 2, 3), 2), ((6, 3, 3, 4), 3),
                                           ((2, 5, 3, 3), 1), ((4, 2, 3, 3, 2), 2)])
def test_dirac_matches_torch(shape, groups):
    expected = golden(f"dirac/{shape}/{groups}", lambda: torch.nn.init.dirac_(torch.empty(shape), groups))
    np.testing.assert_array_equal(values(init.dirac_(npgrad.full(shape, 7.0), groups)), expected)


def test_dirac_is_identity_convolution():
    w = values(init.dirac_(npgrad.empty(3, 3, 5)))
    x = np.random.default_rng(0).standard_normal((3, 9))
    padded = np.pad(x, ((0, 0), (2, 2)))
    out = np.stack([sum(np.convolve(padded[i], w[o, i][::-1], mode="valid") for i in range(3)) for o in range(3)])
    np.testing.assert_allclose(out, x)


def test_constants():
    t = npgrad.empty(3, 4)
    assert init.constant_(t, 0.25) is t
    np.testing.assert_array_equal(t.numpy(), np.full((3, 4), 0.25, np.float32))
    np.testing.assert_array_equal(init.ones_(t).numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(init.zeros_(t).numpy(), np.zeros((3, 4)))
    d = npgrad.empty(2, 2, dtype=npgrad.float64)
    assert init.constant_(d, 1 / 3).numpy()[0, 0] == 1 / 3


# ---------------------------------------------------------------------------
# Generators, autograd, no-ops, deprecated names
# ---------------------------------------------------------------------------

def test_generator_reproducible_and_separate_from_default():
    a = _draw(npgrad, "kaiming_uniform/default", seed=11)
    b = _draw(npgrad, "kaiming_uniform/default", seed=11)
    c = _draw(npgrad, "kaiming_uniform/default", seed=12)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())

    npgrad.manual_seed(0)
    first = init.normal_(npgrad.empty(5)).numpy().copy()
    npgrad.manual_seed(0)
    init.normal_(npgrad.empty(50), generator=npgrad.Generator().manual_seed(0))  # must not touch the default
    np.testing.assert_array_equal(init.normal_(npgrad.empty(5)).numpy(), first)


@pytest.mark.parametrize("name", ["uniform", "normal", "trunc_normal/wide", "orthogonal", "sparse"])
def test_float64_tensors_keep_dtype(name):
    t = _draw(npgrad, name, dtype="float64")
    assert t.dtype == npgrad.float64
    assert np.unique(t.numpy()).size > t.numpy().size // 2


def test_init_of_parameter_records_no_graph():
    w = npgrad.nn.Parameter(npgrad.empty(4, 3))
    out = init.kaiming_uniform_(w, a=math.sqrt(5))
    assert out is w
    assert w.requires_grad and w.grad is None
    assert w._node is None
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((4, 3), 2.0))


def test_zero_element_kaiming_is_a_no_op_with_warning():
    for fn in (init.kaiming_uniform_, init.kaiming_normal_):
        t = npgrad.empty(0, 3)
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            assert fn(t) is t
    assert init.orthogonal_(npgrad.empty(0, 3)).shape == (0, 3)


def test_deprecated_names_warn():
    with pytest.warns(FutureWarning, match=r"`nn.init.normal` is now deprecated in favor of `nn.init.normal_`."):
        init.normal(npgrad.empty(3))
    assert init.xavier_uniform.__name__ == "xavier_uniform"


# ---------------------------------------------------------------------------
# Default initialisation of layers, against torch's layers
# ---------------------------------------------------------------------------

def _layer_parameters(lib, make):
    lib.manual_seed(0)
    return {name: values(p) for name, p in make(lib.nn).named_parameters()}


LAYERS = {
    "linear": lambda nn: nn.Linear(100, 5000),
    "linear/no_bias": lambda nn: nn.Linear(64, 1000, bias=False),
    "embedding": lambda nn: nn.Embedding(2000, 32),
    "embedding/padding": lambda nn: nn.Embedding(3000, 16, padding_idx=0),
    "layernorm": lambda nn: nn.LayerNorm(16),
    "gru": lambda nn: nn.GRU(10, 200, num_layers=2),
    "gru_cell": lambda nn: nn.GRUCell(30, 400),
    "lstm": lambda nn: nn.LSTM(8, 150, bidirectional=True),
    "lstm_cell": lambda nn: nn.LSTMCell(20, 200),
    "rnn": lambda nn: nn.RNN(12, 300),
    "batchnorm": lambda nn: nn.BatchNorm1d(10),
    "groupnorm": lambda nn: nn.GroupNorm(2, 8),
    "rmsnorm": lambda nn: nn.RMSNorm(8),
    "bilinear": lambda nn: nn.Bilinear(20, 30, 40),
    "prelu": lambda nn: nn.PReLU(5),
    "multihead_attention": lambda nn: nn.MultiheadAttention(64, 4),
    "multihead_attention/kdim": lambda nn: nn.MultiheadAttention(64, 4, kdim=32, vdim=16, add_bias_kv=True),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_default_init_matches_torch(name):
    make = LAYERS[name]
    expected = golden(f"layer/{name}", lambda: {k: np.quantile(v, DECILES)
                                                 for k, v in _layer_parameters(torch, make).items()})
    got = _layer_parameters(npgrad, make)
    assert sorted(got) == sorted(expected)
    for pname, sample in got.items():
        np.testing.assert_allclose(np.quantile(sample, DECILES), expected[pname], rtol=0,
                                   atol=decile_tolerance(sample), err_msg=pname)


def test_linear_default_bounds():
    npgrad.manual_seed(0)
    layer = npgrad.nn.Linear(400, 150)
    _check_uniform(values(layer.weight), 1 / math.sqrt(400))
    b = values(layer.bias)
    assert np.abs(b).max() <= 1 / math.sqrt(400) * (1 + 2**-23)


def test_embedding_default_and_padding_row():
    npgrad.manual_seed(0)
    emb = npgrad.nn.Embedding(2000, 32, padding_idx=3)
    w = values(emb.weight)
    np.testing.assert_array_equal(w[3], 0.0)
    _check_normal(np.delete(w, 3, axis=0), 0.0, 1.0)


def test_layernorm_default():
    ln = npgrad.nn.LayerNorm((4, 5))
    np.testing.assert_array_equal(values(ln.weight), np.ones((4, 5)))
    np.testing.assert_array_equal(values(ln.bias), np.zeros((4, 5)))


def test_gru_default_bounds():
    """Every GRU weight and bias is drawn from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    npgrad.manual_seed(0)
    gru = npgrad.nn.GRU(10, 200, num_layers=2, bias=True)
    bound = 1 / math.sqrt(200)
    everything = np.concatenate([values(p).ravel() for p in gru.parameters()])
    _check_uniform(everything, bound)


def test_docstring_examples_run():
    import doctest
    import importlib

    module = importlib.import_module("npgrad.nn.init")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0
