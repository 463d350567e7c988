"""The fused activation kernels (``npgrad.kernels.activation``) and the vectorisable erf / expm1 / tanh
against their NumPy references and against torch: values and input gradients, float32 and float64, on
arrays large enough for the kernels, with NaN, +-inf, +-0, subnormals, overflow, the corners of the
piecewise functions and NaN/inf in the upstream gradient."""
import math

import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
from npgrad.autograd import gradcheck
from npgrad.kernels import activation as K
from npgrad.kernels import special
from npgrad.nn.functional import basic
from npgrad.ops import elementwise as E
from oracle import Golden

golden = Golden("activation_kernels")

N = E.ACTIVATION_KERNEL_MIN_SIZE            # 4096: the smallest input the kernels take
CHECKED = 1024                              # the part compared with torch: every special value is in it
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40, 1e-30, -1e-30, 1e-8, -1e-8,
           1e-4, -1e-4, 0.25, -0.25, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, 3.0, -3.0, 5.0, -5.0, 6.0, -6.0, 10.0,
           -10.0, 20.0, -20.0, 30.0, -30.0, 44.0, -44.0, 88.0, -88.0, 89.0, -89.0, 100.0, -100.0, 103.0,
           -104.0, 700.0, -700.0, 710.0, -746.0, 1e4, -1e4, 1e20, -1e20, 3e38, -3e38]


def _input():
    """4096 float32-representable values: the special ones, values around erf's split (|x|/sqrt 2 near
    0.84375), a wide uniform range, small values, then normal ones."""
    rng = np.random.default_rng(7)
    parts = [np.array(SPECIAL), rng.uniform(1.1, 1.3, 60) * rng.choice([-1, 1], 60), rng.uniform(-30, 30, 200),
             rng.uniform(-1, 1, 100)]
    head = np.concatenate(parts)
    x = np.concatenate([head, 3 * rng.standard_normal(N - len(head))])
    return x.astype(np.float32).reshape(4, N // 4)


X32 = _input()
X64 = X32.astype(np.float64)
UPSTREAM = np.random.default_rng(8).standard_normal(X32.shape)
UPSTREAM.reshape(-1)[[500, 501, 502]] = [np.nan, np.inf, -np.inf]     # in the normal part of the checked block

# name -> (fn(lib, F, x), error kind): "rel" within a few ulp of the result; "rel_x" within |x| times that
# (e^{c x} with c x rounded: PyTorch rounds its product, CELU's gradient uses another c); "abs_x" within a few
# ulp of |x| (cancellation: x - tanh x, 1 + erf(x) for x << 0, derivatives that pass through zero).
ACTIVATIONS = {
    "elu": (lambda L, F, x: F.elu(x), "rel"),
    "elu-0.7": (lambda L, F, x: F.elu(x, 0.7), "rel"),
    "selu": (lambda L, F, x: F.selu(x), "rel"),
    "celu-1.3": (lambda L, F, x: F.celu(x, 1.3), "rel_x"),
    "celu-negative": (lambda L, F, x: F.celu(x, -0.75), "rel_x"),
    "softplus": (lambda L, F, x: F.softplus(x), "rel"),
    "softplus-beta-threshold": (lambda L, F, x: F.softplus(x, beta=2.0, threshold=5.0), "rel"),
    "softplus-beta-0.5": (lambda L, F, x: F.softplus(x, beta=0.5), "rel"),
    "logsigmoid": (lambda L, F, x: F.logsigmoid(x), "rel"),
    "gelu": (lambda L, F, x: F.gelu(x), "abs_x"),
    "gelu-tanh": (lambda L, F, x: F.gelu(x, approximate="tanh"), "abs_x"),
    "silu": (lambda L, F, x: F.silu(x), "abs_x"),
    "mish": (lambda L, F, x: F.mish(x), "abs_x"),
    "tanhshrink": (lambda L, F, x: F.tanhshrink(x), "abs_x"),
    "relu": (lambda L, F, x: F.relu(x), "rel"),
    "leaky_relu": (lambda L, F, x: F.leaky_relu(x), "rel"),
    "leaky_relu-0.2": (lambda L, F, x: F.leaky_relu(x, 0.2), "rel"),
    "hardtanh": (lambda L, F, x: F.hardtanh(x), "rel"),
    "hardtanh-range": (lambda L, F, x: F.hardtanh(x, -2.5, 3.0), "rel"),
    "relu6": (lambda L, F, x: F.relu6(x), "rel"),
    "hardsigmoid": (lambda L, F, x: F.hardsigmoid(x), "rel"),
    "hardswish": (lambda L, F, x: F.hardswish(x), "abs_x"),
    "softshrink": (lambda L, F, x: F.softshrink(x), "rel"),
    "softshrink-1": (lambda L, F, x: F.softshrink(x, 1.0), "rel"),
    "hardshrink": (lambda L, F, x: F.hardshrink(x), "rel"),
    "hardshrink-1": (lambda L, F, x: F.hardshrink(x, 1.0), "rel"),
}


def _run(lib, fn, x, upstream):
    """Output and input gradient of ``fn`` at ``x`` through the upstream gradient ``upstream``."""
    t = lib.tensor(x, requires_grad=True)
    y = fn(lib, lib.nn.functional, t)
    y.backward(lib.tensor(upstream.astype(x.dtype)))
    return y.detach().numpy(), t.grad.numpy()


def _torch():
    import torch

    return torch


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts the calls into the kernel module's entry points."""
    calls = []
    for name in K.__all__:
        fn = getattr(K, name)

        def counted(*args, _fn=fn, _name=name, **kwargs):
            calls.append(_name)
            return _fn(*args, **kwargs)
        monkeypatch.setattr(K, name, counted)
    return calls


def _assert_close(got, ref, x, upstream, rtol, atol, kind, what):
    """NaN and infinities where ``ref`` has them; elsewhere ``|got - ref| <= s (atol + rtol r)`` with
    ``r = |ref|`` (kind "rel"), ``|ref| |x|`` ("rel_x") or ``|ref| + |x|`` ("abs_x"), ``|x|`` taken as at
    least 1, and ``s`` the size of the upstream gradient (at least 1)."""
    got = got.astype(np.float64)
    ref = ref.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=f"{what}: NaN positions")
    inf = np.isinf(ref)
    np.testing.assert_array_equal(got[inf], ref[inf], err_msg=f"{what}: infinities")
    fin = np.isfinite(ref)
    size = np.where(np.isfinite(x), np.maximum(np.abs(x), 1.0), 1.0)[fin]
    r = {"rel": np.abs(ref[fin]), "rel_x": np.abs(ref[fin]) * size, "abs_x": np.abs(ref[fin]) + size}[kind]
    s = np.where(np.isfinite(upstream), np.maximum(np.abs(upstream), 1.0), 1.0)[fin]
    bound = s * (atol + rtol * r)
    err = np.abs(got[fin] - ref[fin])
    worst = np.argmax(err - bound)
    assert np.all(err <= bound), (f"{what}: |{got[fin][worst]} - {ref[fin][worst]}| = {err[worst]:.3g} > "
                                  f"{bound[worst]:.3g} at x = {x[fin][worst]}")


# --------------------------------------------------------------------------- against torch
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_float64_kernel_matches_torch(name, kernel_calls):
    fn, kind = ACTIVATIONS[name]
    ref_y, ref_g = golden(f"{name}/float64", lambda: [a.reshape(-1)[:CHECKED] for a in
                                                      _run(_torch(), fn, X64, UPSTREAM)])
    y, g = _run(npgrad, fn, X64, UPSTREAM)
    assert kernel_calls, "the kernel did not run"
    x, up = X64.reshape(-1)[:CHECKED], UPSTREAM.reshape(-1)[:CHECKED]
    eps = np.finfo(np.float64).eps
    _assert_close(y.reshape(-1)[:CHECKED], ref_y, x, np.ones_like(up), 8 * eps, 1e-300, kind, f"{name} value")
    _assert_close(g.reshape(-1)[:CHECKED], ref_g, x, up, 8 * eps, 1e-300, kind, f"{name} gradient")


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_float32_kernel_matches_torch(name, kernel_calls):
    """Against torch in float32 (its NaN/inf pattern, loosely the values: PyTorch's float32 GELU uses a
    1.5e-7 approximation of erf) and against torch in float64 where torch's float32 result is finite."""
    fn, kind = ACTIVATIONS[name]
    ref32_y, ref32_g = golden(f"{name}/float32", lambda: [a.reshape(-1)[:CHECKED] for a in
                                                          _run(_torch(), fn, X32, UPSTREAM)])
    ref64_y, ref64_g = golden(f"{name}/float64", lambda: [a.reshape(-1)[:CHECKED] for a in
                                                          _run(_torch(), fn, X64, UPSTREAM)])
    y, g = _run(npgrad, fn, X32, UPSTREAM)
    assert kernel_calls, "the kernel did not run"
    assert y.dtype == g.dtype == np.float32
    x, up = X64.reshape(-1)[:CHECKED], UPSTREAM.reshape(-1)[:CHECKED].astype(np.float32)
    y, g = y.reshape(-1)[:CHECKED], g.reshape(-1)[:CHECKED]
    _assert_close(y, ref32_y, x, np.ones_like(up), 1e-5, 2e-6, "abs_x", f"{name} value vs torch float32")
    _assert_close(g, ref32_g, x, up, 1e-5, 2e-6, "abs_x", f"{name} gradient vs torch float32")
    eps = np.finfo(np.float32).eps
    for got, ref32, ref64, u, what in ((y, ref32_y, ref64_y, np.ones_like(up), "value"),
                                       (g, ref32_g, ref64_g, up, "gradient")):
        keep = np.isfinite(ref32)
        _assert_close(got[keep], ref64[keep].astype(np.float32), x[keep], u[keep], 8 * eps,
                      float(np.finfo(np.float32).smallest_subnormal), kind, f"{name} {what} vs exact")


# --------------------------------------------------------------------------- against the NumPy references
def _kernel_and_reference(name, x, grad=True):
    """``(kernel (y, d), reference (y, d))`` of the activations that compute their derivative in forward."""
    selu = (basic._SELU_ALPHA * basic._SELU_SCALE, basic._SELU_SCALE, 1.0, 1.0)
    table = {
        "elu": (K.elu, E.elu_reference, (1.0, 1.0, 1.0, 1.0)),
        "selu": (K.elu, E.elu_reference, selu),
        "celu": (K.elu, E.elu_reference, (1.3, 1.0, 1 / 1.3, 1 / float(np.float32(1.3)))),
        "gelu": (K.gelu, E.gelu_reference, ("none",)),
        "gelu-tanh": (K.gelu, E.gelu_reference, ("tanh",)),
        "silu": (K.silu, E.silu_reference, ()),
        "softplus": (K.softplus, E.softplus_reference, (1.0, 20.0)),
        "softplus-beta": (K.softplus, E.softplus_reference, (0.5, 3.0)),
        "logsigmoid": (K.logsigmoid, E.logsigmoid_reference, ()),
        "mish": (K.mish, basic._mish_reference, ()),
        "tanhshrink": (K.tanhshrink, basic._tanhshrink_reference, ()),
    }
    kernel, reference, params = table[name]
    with np.errstate(all="ignore"):
        return kernel(x, grad, *params), reference(x, grad, *params)


FUSED = ["elu", "selu", "celu", "gelu", "gelu-tanh", "silu", "softplus", "softplus-beta", "logsigmoid", "mish",
         "tanhshrink"]
KIND = {"celu": "rel_x", "gelu": "abs_x", "gelu-tanh": "abs_x", "silu": "abs_x", "mish": "abs_x", "tanhshrink": "abs_x"}


def _with_subnormals(dtype):
    x = (X32 if dtype == np.float32 else X64).copy()
    flat = x.reshape(-1)
    tiny = np.finfo(dtype).smallest_subnormal
    flat[-6:] = [tiny, -tiny, 3 * tiny, -3 * tiny, np.finfo(dtype).tiny, -np.finfo(dtype).tiny]
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUSED)
def test_fused_kernel_matches_numpy_reference(name, dtype):
    x = _with_subnormals(dtype)
    (y, d), (ref_y, ref_d) = _kernel_and_reference(name, x)
    assert y.dtype == d.dtype == ref_y.dtype == ref_d.dtype == dtype and y.shape == d.shape == x.shape
    eps = float(np.finfo(dtype).eps)
    tiny = float(np.finfo(dtype).smallest_subnormal)
    flat = x.reshape(-1).astype(np.float64)
    ones = np.ones(x.size)
    kind = KIND.get(name, "rel")
    _assert_close(y.reshape(-1), ref_y.reshape(-1), flat, ones, 8 * eps, 2 * tiny, kind, f"{name} value")
    _assert_close(d.reshape(-1), ref_d.reshape(-1), flat, ones, 8 * eps, 2 * tiny, kind, f"{name} derivative")
    # without the derivative: the same output, bit for bit
    (y2, d2), _ = _kernel_and_reference(name, x, grad=False)
    assert d2 is None
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_signed_zeros_and_infinities_of_the_fused_kernels(dtype):
    x = np.zeros(N, dtype)
    x[:4] = [-0.0, 0.0, np.inf, -np.inf]
    expected = {  # name: (y at -0, +0, inf, -inf), (d at the same)
        "elu": ([-0.0, 0.0, np.inf, -1.0], [1.0, 1.0, 1.0, 0.0]),
        "silu": ([-0.0, 0.0, np.inf, np.nan], [0.5, 0.5, np.nan, np.nan]),
        "gelu": ([-0.0, 0.0, np.inf, np.nan], [0.5, 0.5, np.nan, np.nan]),
        "gelu-tanh": ([-0.0, 0.0, np.inf, np.nan], [0.5, 0.5, np.nan, np.nan]),
        "mish": ([-0.0, 0.0, np.inf, np.nan], [0.6, 0.6, np.nan, np.nan]),
        "tanhshrink": ([0.0, 0.0, np.inf, -np.inf], [1.0, 1.0, 0.0, 0.0]),     # d: 1 - tanh^2
        "softplus": ([math.log(2), math.log(2), np.inf, 0.0], [0.5, 0.5, 1.0, 0.0]),
        "logsigmoid": ([-math.log(2), -math.log(2), 0.0, -np.inf], [0.5, 0.5, 0.0, 1.0]),
    }
    for name, (ey, ed) in expected.items():
        (y, d), _ = _kernel_and_reference(name, x)
        np.testing.assert_allclose(y[:4], np.array(ey, dtype), rtol=2 * np.finfo(dtype).eps, err_msg=name)
        np.testing.assert_allclose(d[:4], np.array(ed, dtype), rtol=2 * np.finfo(dtype).eps, err_msg=name)
        if name in ("elu", "silu", "gelu", "gelu-tanh", "mish"):
            assert np.signbit(y[0]) and not np.signbit(y[1]), name


PIECEWISE = {  # name -> (kernel forward, kernel backward, reference Function, params)
    "hardtanh": (lambda x: K.hardtanh(x, -1.0, 1.0), lambda g, x: K.hardtanh_backward(g, x, -1.0, 1.0),
                 lambda t: F.hardtanh(t)),
    "relu6": (lambda x: K.hardtanh(x, 0.0, 6.0), lambda g, x: K.hardtanh_backward(g, x, 0.0, 6.0),
              lambda t: F.relu6(t)),
    "hardsigmoid": (K.hardsigmoid, lambda g, x: K.hardsigmoid_backward(g, x, basic._ONE_SIXTH),
                    lambda t: F.hardsigmoid(t)),
    "hardswish": (K.hardswish, K.hardswish_backward, lambda t: F.hardswish(t)),
    "leaky_relu": (lambda x: K.leaky_relu(x, 0.01), lambda g, x: K.leaky_relu_backward(g, x, 0.01),
                   lambda t: F.leaky_relu(t)),
    "softshrink": (lambda x: K.softshrink(x, 0.5), lambda g, x: K.shrink_backward(g, x, 0.5),
                   lambda t: F.softshrink(t)),
    "hardshrink": (lambda x: K.hardshrink(x, 0.5), lambda g, x: K.shrink_backward(g, x, 0.5),
                   lambda t: F.hardshrink(t)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(PIECEWISE))
def test_piecewise_kernels_match_numpy_reference_exactly(name, dtype):
    """The kernels against the NumPy path of the same Function (small pieces of the input, below the
    kernels' size), bit for bit but for the sign of zero, with NaN and inf in the upstream gradient."""
    forward, backward, fn = PIECEWISE[name]
    x = _with_subnormals(dtype)
    g = UPSTREAM.astype(dtype)
    y = forward(x)
    gx = backward(g, x)
    ref_y, ref_g = [], []
    for xs, gs in zip(np.array_split(x.reshape(-1), 8), np.array_split(g.reshape(-1), 8)):
        assert xs.size < N
        t = npgrad.tensor(xs, requires_grad=True)
        out = fn(t)
        out.backward(npgrad.tensor(gs))
        ref_y.append(out.detach().numpy())
        ref_g.append(t.grad.numpy())
    np.testing.assert_array_equal(y.reshape(-1), np.concatenate(ref_y))
    np.testing.assert_array_equal(gx.reshape(-1), np.concatenate(ref_g))
    assert y.dtype == gx.dtype == dtype


def test_piecewise_signed_zeros_follow_torch():
    """hardtanh and relu6 keep -0.0 (torch's clamp does), hardshrink gives +0.0 inside its band."""
    x = np.zeros(N, np.float32)
    x[:3] = [-0.0, 0.0, -0.25]
    assert np.signbit(K.hardtanh(x, -1.0, 1.0)[0]) and np.signbit(K.hardtanh(x, 0.0, 6.0)[0])
    assert not np.signbit(K.hardtanh(x, 0.0, 6.0)[1])
    assert not np.any(np.signbit(K.hardshrink(x, 0.5)[:3]))


# --------------------------------------------------------------------------- layouts, sizes, modes
@pytest.mark.parametrize("name", ["elu", "gelu", "hardtanh", "hardswish", "softshrink"])
def test_upstream_gradient_layouts(name):
    """Contiguous, broadcast from one value (``sum``), transposed and row-broadcast upstream gradients."""
    fn, _ = ACTIVATIONS[name]
    x = X64.reshape(64, 64)
    rng = np.random.default_rng(3)
    dense = rng.standard_normal((64, 64))
    cases = {"contiguous": dense, "scalar": np.full((64, 64), 2.5), "transposed": dense.T.copy(),
             "row": np.broadcast_to(rng.standard_normal(64), (64, 64)).copy()}

    def grad_of(make_loss):
        t = npgrad.tensor(x, requires_grad=True)
        make_loss(fn(npgrad, F, t)).backward()
        return t.grad.numpy()

    got = {"contiguous": grad_of(lambda y: (y * npgrad.tensor(dense)).sum()),
           "scalar": grad_of(lambda y: y.sum() * 2.5),
           "transposed": grad_of(lambda y: (y.T * npgrad.tensor(dense)).sum()),
           "row": grad_of(lambda y: (y * npgrad.tensor(cases["row"][0])).sum())}
    for key, upstream in cases.items():
        t = npgrad.tensor(x, requires_grad=True)
        fn(npgrad, F, t).backward(npgrad.tensor(np.ascontiguousarray(upstream)))
        np.testing.assert_array_equal(got[key], t.grad.numpy(), err_msg=key)


@pytest.mark.parametrize("name", ["elu", "gelu", "mish", "tanhshrink", "hardswish", "hardshrink"])
def test_small_and_strided_inputs_take_the_reference(name, kernel_calls):
    """Below 4096 elements, and for non-contiguous arrays, the NumPy reference runs; it agrees with the kernel."""
    fn, _ = ACTIVATIONS[name]
    x = 3 * np.random.default_rng(5).standard_normal((64, 64))
    upstream = np.random.default_rng(6).standard_normal((64, 64))

    def run(view):
        t = npgrad.tensor(x, requires_grad=True)
        y = fn(npgrad, F, view(t))
        y.backward(npgrad.tensor(view(npgrad.tensor(upstream)).numpy()))
        return y.detach().numpy(), t.grad.numpy()

    y_k, g_k = run(lambda t: t)
    assert kernel_calls
    del kernel_calls[:]
    y_t, g_t = run(lambda t: t.T)                  # a transposed view: not C-contiguous
    y_s, g_s = run(lambda t: t[:63])               # 4032 elements
    assert kernel_calls == []
    for got, ref in ((y_t, y_k.T), (g_t, g_k), (y_s, y_k[:63]), (g_s[:63], g_k[:63])):
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)
    assert np.all(g_s[63] == 0)


@pytest.mark.parametrize("name", ["elu", "selu", "celu-1.3", "silu", "mish", "hardtanh", "relu6", "hardsigmoid",
                                  "hardswish", "leaky_relu-0.2"])
def test_inplace_forms_on_kernel_sized_tensors(name):
    inplace = {"elu": lambda x: F.elu_(x), "selu": lambda x: F.selu_(x), "celu-1.3": lambda x: F.celu_(x, 1.3),
               "silu": lambda x: F.silu(x, inplace=True), "mish": lambda x: F.mish(x, inplace=True),
               "hardtanh": lambda x: F.hardtanh_(x), "relu6": lambda x: F.relu6(x, inplace=True),
               "hardsigmoid": lambda x: F.hardsigmoid(x, inplace=True),
               "hardswish": lambda x: F.hardswish(x, inplace=True),
               "leaky_relu-0.2": lambda x: F.leaky_relu_(x, 0.2)}[name]
    fn, _ = ACTIVATIONS[name]
    x = 3 * np.random.default_rng(9).standard_normal((64, 64))
    a = npgrad.tensor(x, requires_grad=True)
    h = a * 1.0
    out = inplace(h)
    assert out is h
    out.sum().backward()
    b = npgrad.tensor(x, requires_grad=True)
    ref = fn(npgrad, F, b)
    ref.sum().backward()
    np.testing.assert_array_equal(h.detach().numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


@pytest.mark.parametrize("name", ["elu", "gelu", "softplus", "hardtanh"])
def test_no_grad_gives_the_same_output(name, kernel_calls):
    fn, _ = ACTIVATIONS[name]
    with_grad = fn(npgrad, F, npgrad.tensor(X32, requires_grad=True)).detach().numpy()
    with npgrad.no_grad():
        without = fn(npgrad, F, npgrad.tensor(X32, requires_grad=True))
    assert not without.requires_grad
    np.testing.assert_array_equal(without.numpy(), with_grad)
    assert len(kernel_calls) == 2


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_gradcheck_through_the_kernels(name, kernel_calls):
    """float64 gradcheck of 24 inputs placed in front of a kernel-sized constant, away from the corners."""
    fn, _ = ACTIVATIONS[name]
    rng = np.random.default_rng(11)
    corners = np.array([-6.0, -3.0, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 10.0, 20.0])
    pts = rng.uniform(-8, 8, 200)
    pts = pts[np.min(np.abs(pts[:, None] - corners[None, :]), axis=1) > 1e-2][:24]
    rest = npgrad.tensor(rng.standard_normal(N))

    def f(small):
        return fn(npgrad, F, npgrad.cat([small, rest]))[:24]
    assert gradcheck(f, (npgrad.tensor(pts, requires_grad=True),), eps=1e-6, atol=1e-7, rtol=1e-5)
    assert kernel_calls


# --------------------------------------------------------------------------- erf, expm1, tanh
def _ulps(got, ref, dtype):
    """|got - ref| in units of the spacing of ``ref`` rounded to ``dtype``; ``ref`` in float64 or better."""
    return np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(ref).astype(dtype)).astype(np.float64)


@pytest.mark.parametrize("dtype,bound", [(np.float32, 1.25), (np.float64, 1.0)])
def test_fast_erf_within_about_one_ulp(dtype, bound):
    """Against a 40-digit erf (mpmath), or libm's erf, itself within an ulp, where mpmath is missing."""
    rng = np.random.default_rng(2)
    x = np.concatenate([np.linspace(-7, 7, 20_001), rng.uniform(0.8, 0.9, 5000), 10.0 ** rng.uniform(-40, 0.7, 5000),
                        -(10.0 ** rng.uniform(-40, 0.7, 2000))]).astype(dtype)
    got = np.empty_like(x)
    special.fast_erf_array(x, got)
    try:
        import mpmath
    except ImportError:
        ref, bound = special.erf(x.astype(np.float64)), bound + 1.0
    else:
        mpmath.mp.dps = 40
        ref = np.array([float(mpmath.erf(mpmath.mpf(float(v)))) for v in x])
    assert _ulps(got, ref, dtype).max() <= bound


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_erf_special_values_and_libm_agreement(dtype):
    info = np.finfo(dtype)
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal, -info.smallest_subnormal,
                  info.tiny, 1e-30, 0.84375, -0.84375, 4.0, 6.0, 30.0, -30.0, info.max, -info.max], dtype)
    got = np.empty_like(x)
    special.fast_erf_array(x, got)
    ref = special.erf(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=2 * info.eps, atol=0)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))
    y = np.linspace(-6, 6, 100_001).astype(dtype)
    out = np.empty_like(y)
    special.fast_erf_array(y, out)
    assert _ulps(out, special.erf(y.astype(np.float64)), dtype).max() <= 2.0


@pytest.mark.parametrize("dtype,lo,hi,bounds", [(np.float32, -110.0, 95.0, (1.5, 2.5)),
                                                (np.float64, -760.0, 720.0, (2.0, 3.0))])
def test_expm1_and_tanh_kernels(dtype, lo, hi, bounds):
    """Within 2 and 3 ulp of libm's expm1 and tanh (themselves within 1 ulp), NaN, +-inf and +-0 as libm."""
    info = np.finfo(dtype)
    x = np.concatenate([np.linspace(lo, hi, 100_001), np.linspace(-1, 1, 100_001),
                        np.geomspace(float(info.smallest_subnormal), 1.0, 5000),
                        -np.geomspace(float(info.smallest_subnormal), 1.0, 5000)]).astype(dtype)
    x = np.concatenate([x, np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype)])
    e = np.empty_like(x)
    K.expm1_array(x, e)
    t = np.empty_like(x)
    K.tanh_array(x, t)
    with np.errstate(over="ignore"):
        ref_e = np.expm1(x.astype(np.float64))
    ref_t = np.tanh(x.astype(np.float64))
    for got, ref, bound, what in ((e, ref_e, bounds[0], "expm1"), (t, ref_t, bounds[1], "tanh")):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=what)
        big = np.abs(ref) > info.max
        assert np.all(np.isinf(got[big]) & (np.sign(got[big]) == np.sign(ref[big]))), what
        normal = np.isfinite(ref) & ~big & (np.abs(ref) >= info.tiny)
        assert _ulps(got[normal], ref[normal], dtype).max() <= bound, what
        sub = np.isfinite(ref) & (np.abs(ref) < info.tiny)
        assert np.abs(got[sub] - ref[sub]).max() <= info.smallest_subnormal, what
        np.testing.assert_array_equal(np.signbit(got[x == 0]), np.signbit(x[x == 0]), err_msg=what)


@pytest.mark.parametrize("n", [5, N])
def test_relu_keeps_its_output_for_backward_as_torch(n):
    """relu saves its output: writing into it afterwards is refused (PyTorch's version-counter error), writing
    into its input is not."""
    x = npgrad.randn(n, requires_grad=True)
    h = x * 1.0
    y = F.relu(h)
    h.add_(1.0)                                  # the input: allowed, as in torch
    y.sum().backward()
    z = F.relu(x * 1.0)
    z.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
