"""The float32 kernels of erfc and erfinv (``npgrad.kernels.special.erfc_f32`` / ``erfinv_f32``, float64
inside) and the float64 exp and log they are built on (``npgrad.kernels._fastmath``): accuracy in float32
ulps against float64 truth rounded once over dense grids (the whole of erfinv's domain bit pattern by bit
pattern, erfc from -10 to 11 with its subnormal results), against torch's float32 results on a wide grid,
the special values (+-0, +-1, beyond 1, +-inf, NaN, subnormal arguments and results), every entry point
(Tensor methods, ``npgrad.erfc``, ``npgrad.special``, in place), sizes around the kernels' thresholds and
blocks, layouts, and the gradients."""
import numpy as np
import pytest

import npgrad
from npgrad.kernels import special as K
from npgrad.kernels._fastmath import exp_for_float32_array, log_for_float32_array
from npgrad.ops import _special_functions as S
from oracle import Golden, torch

golden = Golden("special_float32")

F32_MAX_BELOW_ONE = np.nextafter(np.float32(1), np.float32(0))


def _ulps(got, truth):
    """``|got - truth|`` in float32 spacings at ``truth`` (``2^-149`` below the normal range)."""
    exponent = np.floor(np.log2(np.maximum(np.abs(truth), 2.0 ** -126)))
    return np.abs(got.astype(np.float64) - truth) / 2.0 ** (exponent - 23)


def _floats(lo_bits, hi_bits, step):
    """Every ``step``-th float32 by bit pattern from ``lo_bits`` up to ``hi_bits``."""
    return np.arange(lo_bits, hi_bits, step, dtype=np.int32).view(np.float32)


def _erfinv_grid():
    """Bit patterns across [0, 1) (every 389th, from the subnormals up), all 65536 floats just below 1, both
    signs."""
    y = np.concatenate([_floats(0, 0x3F800000, 389), _floats(0x3F7F0000, 0x3F800000, 1)])
    return np.concatenate([y, -y])


def _erfc_grid():
    """A fine linear grid over [-10, 11] (subnormal results from 9.2 on, 0 from 10.0542) and bit patterns
    across [2^-126, 11] and [-4, -2^-126]."""
    return np.concatenate([np.linspace(-10, 11, 1_000_003, dtype=np.float32),
                           _floats(0x00800000, 0x41300000, 1019), -_floats(0x00800000, 0x40800000, 1019)])


# --------------------------------------------------------------------------- the float64 exp and log
def test_fastmath_exp_for_float32():
    """Relative error below 3.5e-12 over the whole documented range, 0 -> 1 exactly."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-707, 709, 100_000), np.linspace(-0.35, 0.35, 20_001),
                        [0.0, -0.0, 1e-300, -707.0, 709.0, np.log(2) / 2, -np.log(2) / 2]])
    got = np.empty_like(x)
    exp_for_float32_array(x, got)
    assert np.max(np.abs(got / np.exp(x) - 1)) < 3.5e-12
    assert got[-7] == 1.0 and got[-6] == 1.0


def test_fastmath_log_for_float32():
    """Absolute error below 7e-12 for every positive normal argument, across the reduction's split at
    sqrt(1/2) and sqrt(2), exactly 0 at 1 and exactly e log 2 at the powers of two."""
    rng = np.random.default_rng(1)
    powers = 2.0 ** np.arange(-1022, 1024)
    x = np.concatenate([rng.uniform(0, 4, 100_000), np.geomspace(2.3e-308, 1.7e308, 100_000),
                        1 + rng.uniform(-1e-6, 1e-6, 1000), np.nextafter(np.sqrt([0.5, 2.0]), 0),
                        np.sqrt([0.5, 2.0]), np.nextafter(np.sqrt([0.5, 2.0]), 3), [1.0]])
    x = x[x >= 2.2250738585072014e-308]
    got = np.empty_like(x)
    log_for_float32_array(x, got)
    assert np.max(np.abs(got - np.log(x))) < 7e-12
    assert got[-1] == 0.0
    at_powers = np.empty_like(powers)
    log_for_float32_array(powers, at_powers)
    np.testing.assert_allclose(at_powers, np.log(powers), rtol=1e-15, atol=0)


# --------------------------------------------------------------------------- accuracy against float64 truth
@pytest.mark.parametrize("name", ["erfinv", "erfc"])
def test_float32_ulps_against_float64_truth(name):
    """Within 0.501 ulp of the exact value everywhere (the correctly rounded value but for near-ties), 0.25 ulp
    on average, and the correctly rounded value itself for all but a few in ten thousand: a float32
    evaluation, a float64 result cast late or early, or a wrong coefficient is off by far more."""
    x = _erfinv_grid() if name == "erfinv" else _erfc_grid()
    got = getattr(K, f"{name}_f32")(x)
    truth = getattr(S, name)(x.astype(np.float64))
    assert got.dtype == np.float32 and got.shape == x.shape
    finite = np.isfinite(truth)
    assert finite.all()
    ulps = _ulps(got, truth)
    assert ulps.max() < 0.501
    assert ulps.mean() < 0.2501
    assert np.mean(got != truth.astype(np.float32)) < 5e-4


def test_erfc_float32_subnormal_results():
    """erfc's results below float32's normal range are rounded once, from the float64 value, to the nearest
    subnormal, and are 0 from 10.0542 on (erfc <= 2^-150)."""
    x = np.linspace(9.1, 10.2, 100_001, dtype=np.float32)
    got = K.erfc_f32(x)
    truth = S.erfc(x.astype(np.float64))
    sub = truth < 2.0 ** -126
    assert sub.sum() > 50_000
    assert _ulps(got, truth)[sub].max() < 0.501
    assert np.all(got[truth < 2.0 ** -150] == 0)
    assert np.all(got[truth > 2.0 ** -149] > 0)


# --------------------------------------------------------------------------- special values
def test_erfinv_float32_special_values():
    y = np.array([0.0, -0.0, 1.0, -1.0, 1.5, -1.5, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 2.0 ** -126,
                  F32_MAX_BELOW_ONE, -F32_MAX_BELOW_ONE], np.float32)
    got = K.erfinv_f32(np.repeat(y, 40))[::40]                       # the kernel, past KERNEL_MIN_SIZE
    np.testing.assert_array_equal(got[:2], [0.0, 0.0])
    assert not np.signbit(got[0]) and np.signbit(got[1])
    np.testing.assert_array_equal(got[2:4], [np.inf, -np.inf])
    assert np.isnan(got[4:9]).all()
    np.testing.assert_array_equal(got[9:11], np.float32([1.401298464e-45, -1.401298464e-45]))  # sqrt(pi)/2 y
    assert got[11] == np.float32(2.0 ** -126 * np.sqrt(np.pi) / 2)
    np.testing.assert_array_equal(got[12:], S.erfinv(y[12:].astype(np.float64)).astype(np.float32))
    assert got[12] == np.float32(3.8325068569)                      # erfinv(1 - 2^-24), 30 digits


def test_erfc_float32_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 10.0548, 10.1, 30.0, 1e30, -3.92, -4.0,
                  -1e30, 0.84375, -0.84375, 9.5], np.float32)
    got = K.erfc_f32(np.repeat(x, 40))[::40]
    np.testing.assert_array_equal(got[:4], [1.0, 1.0, 0.0, 2.0])
    assert np.isnan(got[4])
    np.testing.assert_array_equal(got[5:13], [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0])
    assert got[13] == 2.0
    np.testing.assert_array_equal(got[14:], S.erfc(x[14:].astype(np.float64)).astype(np.float32))
    assert 0 < got[-1] < 2.0 ** -126


# --------------------------------------------------------------------------- against torch
def _torch_grid(name):
    """A wide float32 grid (tails, subnormal arguments and results, the special values) of ~40000 points."""
    if name == "erfinv":
        y = np.concatenate([_floats(0, 0x3F800000, 60_000), _floats(0x3F7FF000, 0x3F800000, 1)])
        special_values = [0.0, -0.0, 1.0, -1.0, 1.5, np.inf, -np.inf, np.nan]
        return np.concatenate([y, -y, np.array(special_values, np.float32)])
    x = np.concatenate([np.linspace(-10, 11, 20_001, dtype=np.float32), _floats(0x00800000, 0x41300000, 80_000),
                        -_floats(0x00800000, 0x40800000, 80_000)])
    return np.concatenate([x, np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 30.0], np.float32)])


@pytest.mark.parametrize("name, same", [("erfinv", 0.995), ("erfc", 0.96)])
def test_float32_against_torch(name, same):
    """torch's float32 results (within 0.834 ulp of the truth for erfc, 0.501 for erfinv): the same NaN,
    infinities and signed zeros, within one ulp everywhere, the same float for most of the grid, and where
    not, closer to the truth than torch (but for near-ties)."""
    x = _torch_grid(name)
    ref = golden(f"grid/{name}", lambda: getattr(torch, name)(torch.tensor(x)))
    got = getattr(npgrad, name)(npgrad.tensor(x)).numpy()
    assert got.dtype == np.float32 and ref.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(got[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)])
    np.testing.assert_array_equal(np.signbit(got[ref == 0]), np.signbit(ref[ref == 0]))
    spacing = np.abs(np.spacing(ref[finite]))
    assert np.all(np.abs(got[finite].astype(np.float64) - ref[finite]) <= spacing)
    assert np.mean(got[finite] == ref[finite]) > same
    truth = getattr(S, name)(x[finite].astype(np.float64))
    assert np.all(_ulps(got[finite], truth) <= np.maximum(_ulps(ref[finite], truth), 0.501))


GRADIENTS = {
    "erfinv": lambda r: r.uniform(-0.999, 0.999, 3000),
    "erfc": lambda r: r.uniform(-6, 10, 3000),
}


@pytest.mark.parametrize("name", GRADIENTS)
def test_float32_gradients_against_torch(name):
    """Forward and backward in float32 on 3000 elements (through the kernel; the backward of erfinv
    recomputes erfinv in float32) against torch's float32 results."""
    x = GRADIENTS[name](np.random.default_rng(7)).astype(np.float32)
    g = np.random.default_rng(8).standard_normal(x.shape).astype(np.float32)

    def run(L):
        t = L.tensor(x, requires_grad=True)
        y = getattr(L, name)(t)
        y.backward(L.tensor(g))
        return y.detach(), t.grad

    ref_y, ref_g = golden(f"grad/{name}", lambda: run(torch))
    y, grad = run(npgrad)
    assert y.dtype == npgrad.float32 and grad.dtype == npgrad.float32
    np.testing.assert_allclose(y.numpy(), ref_y, rtol=1.2e-7, atol=0)
    np.testing.assert_allclose(grad.numpy(), ref_g, rtol=2e-6, atol=1e-30)


@pytest.mark.parametrize("name", GRADIENTS)
def test_float32_gradient_formula(name):
    """The float32 backward is the derivative's formula in float32 at the kernel's forward value."""
    x = GRADIENTS[name](np.random.default_rng(9)).astype(np.float32)
    g = np.random.default_rng(10).standard_normal(x.shape).astype(np.float32)
    t = npgrad.tensor(x, requires_grad=True)
    getattr(npgrad, name)(t).backward(npgrad.tensor(g))
    if name == "erfinv":
        v = K.erfinv_f32(x)
        expected = g * (np.float32(0.5 * np.sqrt(np.pi)) * np.exp(v * v))
    else:
        expected = g * (np.float32(-2 / np.sqrt(np.pi)) * np.exp(-x * x))
    assert t.grad.dtype == npgrad.float32
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-6, atol=0)


# --------------------------------------------------------------------------- entry points, sizes, layouts
@pytest.mark.parametrize("name", ["erfinv", "erfc"])
def test_entry_points_take_the_float32_kernel(name):
    """Tensor method, npgrad.<name>, npgrad.special.<name>, out= and in place: float32 results, the kernel's."""
    rng = np.random.default_rng(12)
    x = (rng.uniform(-1, 1, (40, 50)) if name == "erfinv" else rng.uniform(-5, 11, (40, 50))).astype(np.float32)
    expected = getattr(K, f"{name}_f32")(x)
    t = npgrad.tensor(x)
    results = [getattr(t, name)(), getattr(npgrad, name)(t), getattr(npgrad.special, name)(t)]
    out = npgrad.empty(40, 50)
    getattr(npgrad.special, name)(t, out=out)
    inplace = t.clone()
    getattr(inplace, name + "_")()
    for r in results + [out, inplace]:
        assert r.dtype == npgrad.float32
        np.testing.assert_array_equal(r.numpy(), expected)


@pytest.mark.parametrize("n", [1, 7, S.KERNEL_MIN_SIZE - 1, S.KERNEL_MIN_SIZE, 2047, 2048, 2049, 6145])
@pytest.mark.parametrize("name", ["erfinv", "erfc"])
def test_sizes(name, n):
    """Below KERNEL_MIN_SIZE the float64 reference rounded once, from it on the kernel (block ends at 2048):
    both within 0.501 ulp of the truth."""
    rng = np.random.default_rng(n)
    x = (rng.uniform(-1, 1, n) if name == "erfinv" else rng.uniform(-5, 11, n)).astype(np.float32)
    got = getattr(npgrad, name)(npgrad.tensor(x)).numpy()
    truth = getattr(S, name).reference(x.astype(np.float64))
    if n < S.KERNEL_MIN_SIZE:
        np.testing.assert_array_equal(got, truth.astype(np.float32))
    else:
        np.testing.assert_array_equal(got, getattr(K, f"{name}_f32")(x))
    assert _ulps(got, truth).max() < 0.501


@pytest.mark.parametrize("name", ["erfinv", "erfc"])
def test_layouts(name):
    """Strided, transposed, 0-d and empty inputs; float64 input to the float32 kernel is rounded first."""
    rng = np.random.default_rng(13)
    x = (rng.uniform(-1, 1, (30, 40)) if name == "erfinv" else rng.uniform(-5, 11, (30, 40))).astype(np.float32)
    fn = getattr(K, f"{name}_f32")
    ref = fn(x.copy())
    np.testing.assert_array_equal(fn(np.asfortranarray(x)), ref)
    np.testing.assert_array_equal(fn(x.T), ref.T)
    np.testing.assert_array_equal(fn(x[::2, 1::3]), ref[::2, 1::3])
    assert fn(x[3, 4]).shape == () and fn(x[3, 4]) == ref[3, 4]
    assert fn(np.zeros((0, 3), np.float32)).shape == (0, 3)
    np.testing.assert_array_equal(fn(x.astype(np.float64)), ref)
    t = npgrad.tensor(x).t()
    np.testing.assert_array_equal(getattr(t, name)().numpy(), ref.T)


@pytest.mark.parametrize("name", ["erfinv", "erfc"])
def test_float64_path_unchanged(name):
    """float64 tensors still take the float64 functions."""
    x = np.random.default_rng(14).uniform(-0.99, 0.99, 1000) * (1 if name == "erfinv" else 8)
    np.testing.assert_array_equal(getattr(npgrad, name)(npgrad.tensor(x)).numpy(), getattr(S, name)(x))
