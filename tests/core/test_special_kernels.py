"""The compiled special functions (``npgrad.kernels.special``) and the compiled triangular solve and LU
factorisation (``npgrad.kernels.linalg``) against their NumPy references (``npgrad.ops._special_functions``,
``npgrad.ops.decomp``) and against torch: values over wide ranges and at the special points (0, -0, +-inf,
NaN, the poles, the ends of erfinv's domain, the splits between approximations, subnormal and huge
arguments), float64 and float32, gradients through the kernels; batched and broadcast stacks, one and
many right-hand sides, blocks beyond the kernels' block size, singular matrices."""
import numpy as np
import pytest

import npgrad
import npgrad.special as special
from npgrad.kernels import linalg as KL
from npgrad.kernels import special as K
from npgrad.ops import _special_functions as S
from npgrad.ops import decomp as D
from oracle import Golden, torch

golden = Golden("special_kernels")

SPECIAL_POINTS = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e-300, -1e-300, 1e-20, -1e-20, 1e300, -1e300]


def _inputs(name):
    """Wide ranges, the function's own special points, and the general ones (>= KERNEL_MIN_SIZE elements)."""
    rng = np.random.default_rng(11)
    if name == "erfinv":
        near_one = 1 - np.geomspace(1.2e-16, 0.2, 300)
        tiny = np.geomspace(1e-300, 1e-2, 100)
        splits = np.sqrt(-np.expm1(-np.array([2.5, 6.25, 16.0])))        # where the polynomials change
        edges = np.concatenate([splits, np.nextafter(splits, 0), np.nextafter(splits, 2),
                                [0.5, 0.7, 1.0, 1.5, 2.0, 1 - 2 ** -53, 2 ** -1074]])
        x = np.concatenate([rng.uniform(-1, 1, 1500), near_one, -near_one, tiny, -tiny, edges, -edges])
    elif name == "erfc":
        splits = [0.25, 0.84375, 6.0, 26.5, 27.2, 27.3, 28.0, 28.5, -6.0, -0.84375, -27.0]
        x = np.concatenate([rng.uniform(-8, 30, 1500), np.geomspace(1e-300, 28, 200), -np.geomspace(1e-300, 28, 200),
                            splits, np.nextafter([0.25, 0.84375, 6.0, 28.0], 0)])
    elif name in ("lgamma", "digamma", "trigamma"):
        integers = np.arange(-20.0, 21.0)
        points = [1 + 2 ** -40, 2 - 2 ** -40, 13.0, np.nextafter(13.0, 0), 10.0, 1.4616321449683622, 1e17,
                  2.5e305, 3e307, -4503599627370497.0, -67108865.5, -1e20]
        x = np.concatenate([rng.uniform(-30, 40, 1500), np.geomspace(1e-300, 1e300, 200),
                            -np.geomspace(1e-300, 1e15, 200), integers, integers + 1e-9, integers - 1e-9,
                            integers + 0.5, points])
    else:   # the Bessel functions
        x = np.concatenate([rng.uniform(-30, 30, 1500), np.geomspace(1e-300, 750, 200),
                            -np.geomspace(1e-300, 750, 200), [8.0, -8.0, np.nextafter(8.0, 0), 709.0, 713.0, 714.0]])
    return np.concatenate([x, SPECIAL_POINTS])


# name: (npgrad function, torch function name, relative / absolute tolerance of kernel against reference)
UNARY = {
    "erfc": (special.erfc, "erfc", 5e-15, 0.0),
    "erfinv": (special.erfinv, "erfinv", 2e-15, 0.0),
    "lgamma": (special.gammaln, "gammaln", 5e-14, 1e-15),        # cancellation at lgamma's negative zeros
    "digamma": (special.digamma, "digamma", 1e-13, 1e-15),       # and at digamma's
    "trigamma": (lambda x: special.polygamma(1, x), None, 5e-15, 0.0),
    "i0": (special.i0, "i0", 5e-15, 0.0),
    "i0e": (special.i0e, "i0e", 5e-15, 0.0),
    "i1": (special.i1, "i1", 5e-15, 0.0),
    "i1e": (special.i1e, "i1e", 5e-15, 0.0),
}


def _torch_unary(name, x):
    fn, torch_name = UNARY[name][:2]
    t = torch.tensor(x)
    return torch.special.polygamma(1, t) if torch_name is None else getattr(torch.special, torch_name)(t)


def _assert_same_specials(got, ref):
    """NaN where ``ref`` is NaN, the same infinities, and zeros of the same sign."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    inf = np.isinf(ref)
    np.testing.assert_array_equal(got[inf], ref[inf])
    zero = ref == 0
    np.testing.assert_array_equal(got[zero], 0)
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(ref[zero]))


def _assert_close(got, ref, rtol, atol):
    _assert_same_specials(got, ref)
    finite = np.isfinite(ref)
    np.testing.assert_allclose(got[finite], ref[finite], rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- special functions


@pytest.mark.parametrize("name", UNARY)
def test_kernel_against_reference(name):
    x = _inputs(name)
    got = getattr(K, name)(x)
    with np.errstate(all="ignore"):
        ref = getattr(S, name).reference(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    _assert_close(got, ref, *UNARY[name][2:])
    # the public function takes the kernel from KERNEL_MIN_SIZE elements on, the reference below
    assert x.size >= S.KERNEL_MIN_SIZE
    np.testing.assert_array_equal(getattr(S, name)(x), got)
    small = x[:S.KERNEL_MIN_SIZE - 1]
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(getattr(S, name)(small), getattr(S, name).reference(small))


@pytest.mark.parametrize("name", UNARY)
def test_kernel_shapes_and_layouts(name):
    """Any shape, 0-d and empty included, strided input, and float32 input (computed in float64)."""
    x = _inputs(name)[:600].reshape(20, 30)
    ref = getattr(K, name)(x.copy())
    np.testing.assert_array_equal(getattr(K, name)(np.asfortranarray(x)), ref)
    np.testing.assert_array_equal(getattr(K, name)(x.T), ref.T)
    np.testing.assert_array_equal(getattr(K, name)(x[3, 4]), ref[3, 4])
    assert getattr(K, name)(np.zeros((0, 3))).shape == (0, 3)
    x32 = np.asarray(x[np.abs(x) < 1e30], np.float32)
    np.testing.assert_array_equal(getattr(K, name)(x32), getattr(K, name)(x32.astype(np.float64)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", UNARY)
def test_values_against_torch(name, dtype):
    x = _inputs(name)
    if dtype == np.float32:
        x = x[np.abs(x) < 3e38]
        if name == "trigamma":      # torch reflects with sin(pi x) in float32: no accuracy below 0
            x = x[~(x < 0)]
    x = x.astype(dtype)
    ref = golden(f"values/{name}/{np.dtype(dtype).name}", lambda: _torch_unary(name, x))
    with np.errstate(over="ignore"):
        got = UNARY[name][0](npgrad.tensor(x)).numpy()
    assert got.dtype == dtype
    if dtype == np.float32:
        finite = np.isfinite(ref)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
        np.testing.assert_allclose(got[finite], ref[finite], rtol=2e-5, atol=2e-6)
    elif name in ("lgamma", "digamma"):
        _assert_close(got, ref, rtol=1e-12, atol=1e-13)
    else:
        _assert_close(got, ref, rtol=1e-12, atol=1e-300)


GRADIENTS = {
    "lgamma": (lambda L, x: L.lgamma(x), lambda r: r.uniform(0.1, 30, 1024) * r.choice([-1, 1], 1024)),
    "digamma": (lambda L, x: L.digamma(x), lambda r: r.uniform(0.1, 30, 1024) * r.choice([-1, 1], 1024)),
    "erfinv": (lambda L, x: L.erfinv(x), lambda r: r.uniform(-0.999, 0.999, 1024)),
    "erfc": (lambda L, x: L.erfc(x), lambda r: r.uniform(-6, 10, 1024)),
    "i0": (lambda L, x: L.i0(x), lambda r: r.uniform(-20, 20, 1024)),
    "i0e": (lambda L, x: L.special.i0e(x), lambda r: r.uniform(-20, 20, 1024)),
    "i1": (lambda L, x: L.special.i1(x), lambda r: r.uniform(-20, 20, 1024)),
    "i1e": (lambda L, x: L.special.i1e(x), lambda r: r.uniform(-20, 20, 1024)),
    "polygamma2": (lambda L, x: L.polygamma(2, x), lambda r: r.uniform(0.3, 20, 1024)),
}


def _keep_off_integers(x):
    return np.where(np.abs(x - np.round(x)) < 0.05, x + 0.1, x)


@pytest.mark.parametrize("name", GRADIENTS)
def test_gradients_against_torch(name):
    """Forward and backward on 1024 elements (the backward of lgamma is digamma, of digamma trigamma: kernels)."""
    fn, make = GRADIENTS[name]
    x = _keep_off_integers(make(np.random.default_rng(5)))
    g = np.random.default_rng(6).standard_normal(x.shape)

    def run(L):
        t = L.tensor(x, requires_grad=True)
        y = fn(L, t)
        y.backward(L.tensor(g))
        return y.detach(), t.grad

    ref_y, ref_g = golden(f"grad/{name}", lambda: run(torch))
    y, grad = run(npgrad)
    np.testing.assert_allclose(y.numpy(), ref_y, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad.numpy(), ref_g, rtol=1e-11, atol=1e-14)


def _incomplete_gamma_grid():
    values = np.array([0.0, 1e-300, 1e-5, 0.01, 0.3, 0.5, 0.9, 1.0, 1.1, 2.0, 5.5, 10.0, 24.0, 30.0, 150.0, 199.0,
                       250.0, 1e3, 1e5, np.inf, np.nan, -1.0])
    a, x = np.meshgrid(values, values, indexing="ij")
    rng = np.random.default_rng(3)
    ar, xr = rng.uniform(0.01, 40, 1500), rng.uniform(0.01, 40, 1500)
    near = rng.uniform(20, 400, 300)                           # a close to x: the Lanczos form of x^a e^-x
    return (np.concatenate([a.ravel(), ar, near]), np.concatenate([x.ravel(), xr, near * rng.uniform(0.8, 1.2, 300)]))


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_incomplete_gamma_kernel(name):
    a, x = _incomplete_gamma_grid()
    got = getattr(K, name)(a, x)
    with np.errstate(all="ignore"):
        ref = getattr(S, name).reference(a, x)
    _assert_close(got, ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(getattr(S, name)(a, x), got)
    # broadcasting
    np.testing.assert_array_equal(getattr(K, name)(a[:40, None], x[None, :30]),
                                  getattr(K, name)(*np.broadcast_arrays(a[:40, None], x[None, :30])))
    torch_name = "gammainc" if name == "igamma" else "gammaincc"
    ref_t = golden(f"{name}/torch", lambda: getattr(torch.special, torch_name)(torch.tensor(a), torch.tensor(x)))
    got_t = getattr(special, torch_name)(npgrad.tensor(a), npgrad.tensor(x)).numpy()
    # torch's asymptotic series (a > 20, x within 30% of a) carries float precision pi: 1e-9 relative
    _assert_close(got_t, ref_t, rtol=1e-8, atol=1e-300)


# --------------------------------------------------------------------------- triangular solve and LU


def _triangular(rng, shape, dtype=np.float64):
    """Well-conditioned matrices (small off-diagonal part, diagonal near 2) whose triangles are solved."""
    n = shape[-1]
    return (rng.standard_normal(shape) / n + 2 * np.eye(n)).astype(dtype)


TRSM_SHAPES = [((5, 5), (5, 3)), ((7, 7), (7, 1)), ((3, 64, 64), (3, 64, 64)), ((65, 65), (65, 9)),
               ((2, 1, 130, 130), (3, 130, 70)), ((130, 130), (4, 130, 1)), ((200, 200), (200, 5)),
               ((1, 1), (2, 1, 8)), ((0, 6, 6), (6, 2)), ((6, 6), (6, 0))]


@pytest.mark.parametrize("unit", [False, True], ids=["diag", "unit"])
@pytest.mark.parametrize("lower", [True, False], ids=["lower", "upper"])
@pytest.mark.parametrize("shapes", TRSM_SHAPES, ids=[f"{a}{b}" for a, b in TRSM_SHAPES])
def test_trsm_against_reference(shapes, lower, unit):
    rng = np.random.default_rng(1)
    A, B = _triangular(rng, shapes[0]), rng.standard_normal(shapes[1])
    got = KL.trsm(A, B, lower, unit)
    ref = D._trsm_reference(A, B, lower, unit)
    assert got.shape == ref.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    got32 = KL.trsm(A.astype(np.float32), B.astype(np.float32), lower, unit)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, ref, rtol=2e-5, atol=2e-5)
    # the unread triangle does not matter; strided operands are read as they are
    other = np.triu(A, 1) if lower else np.tril(A, -1)
    np.testing.assert_array_equal(KL.trsm(A + 5 * other, B, lower, unit), got)
    np.testing.assert_array_equal(KL.trsm(np.swapaxes(np.swapaxes(A, -1, -2).copy(), -1, -2), B, lower, unit), got)


def test_trsm_zero_diagonal_gives_inf_and_nan_as_the_reference():
    """The rows that depend on the zero pivot are inf or NaN (which of the two depends on the order of the
    sums, as in LAPACK), the others are the reference's."""
    rng = np.random.default_rng(2)
    for n, m in [(6, 1), (6, 4), (70, 1), (70, 12), (140, 20)]:
        A = _triangular(rng, (n, n))
        A[n // 2, n // 2] = 0.0
        B = rng.standard_normal((n, m))
        for lower in (True, False):
            with np.errstate(all="ignore"):
                got, ref = KL.trsm(A, B, lower, False), D._trsm_reference(A, B, lower, False)
            rows = np.arange(n)[:, None]
            depends = rows >= n // 2 if lower else rows <= n // 2
            np.testing.assert_array_equal(np.isfinite(got), np.broadcast_to(~depends, got.shape))
            np.testing.assert_array_equal(np.isfinite(ref), np.isfinite(got))
            np.testing.assert_allclose(got[np.isfinite(got)], ref[np.isfinite(ref)], rtol=1e-12, atol=1e-14)


LU_SHAPES = [(4, 4), (3, 7, 7), (5, 3), (3, 5), (2, 150, 150), (130, 70), (70, 130), (64, 64), (65, 65), (0, 4, 4),
             (2, 0, 3)]


@pytest.mark.parametrize("shape", LU_SHAPES, ids=[str(s) for s in LU_SHAPES])
def test_getrf_against_reference(shape):
    A = np.random.default_rng(4).standard_normal(shape)
    LU, piv, info = KL.getrf(A)
    LU_r, piv_r, info_r = D._getrf_reference(A)
    np.testing.assert_array_equal(piv, piv_r)
    np.testing.assert_array_equal(info, info_r)
    assert piv.dtype == np.int32 and info.dtype == np.int32 and LU.shape == A.shape
    np.testing.assert_allclose(LU, LU_r, rtol=1e-11, atol=1e-12)
    LU32, piv32, _ = KL.getrf(A.astype(np.float32))
    assert LU32.dtype == np.float32
    if A.size:
        k = min(shape[-2:])
        L = np.tril(LU32[..., :, :k], -1) + np.eye(shape[-2], k)
        P = D._perm_matrix(piv32, shape[-2], np.float64)
        np.testing.assert_allclose(P @ L @ np.triu(LU32[..., :k, :]), A, atol=1e-4)


def test_getrf_singular_and_nan():
    A = np.zeros((5, 80, 80))
    rng = np.random.default_rng(6)
    A[1] = rng.standard_normal((80, 80))
    A[1, :, 70] = 0.0                        # a zero column past the first panel
    A[2] = rng.standard_normal((80, 80))
    A[2, 3] = A[2, 5]                        # equal rows
    A[3] = rng.standard_normal((80, 80))
    A[3, 10, 2] = np.nan                     # a NaN is taken as the pivot, as argmax takes it
    A[4] = np.abs(rng.standard_normal((80, 80)))
    A[4, :, 0] = 1.0                         # ties: the first of equals
    with np.errstate(all="ignore"):
        LU, piv, info = KL.getrf(A)
        LU_r, piv_r, info_r = D._getrf_reference(A)
    np.testing.assert_array_equal(piv, piv_r)
    np.testing.assert_array_equal(info, info_r)
    assert info[0] == 1 and info[1] > 0 and info[4] == 0
    # how far a NaN spreads depends on the blocking; here it is the pivot of column 2: the rows below are
    # NaN, the rows of U down to its own stay as they are
    assert np.isnan(LU[3, 3:, 2:]).all() and np.isnan(LU[3, 2, 2]) and np.isfinite(LU[3, 2, 3:]).all()
    assert np.isfinite(LU[3, :2]).all()
    others = [0, 1, 2, 4]
    np.testing.assert_allclose(LU[others], LU_r[others], rtol=1e-9, atol=1e-9)


GETRS_SHAPES = [((6, 6), (6, 2)), ((2, 100, 100), (3, 2, 100, 3)), ((150, 150), (150, 1)), ((2, 70, 70), (70, 40)),
                ((3, 65, 65), (3, 65, 65))]


@pytest.mark.parametrize("adjoint", [False, True], ids=["plain", "adjoint"])
@pytest.mark.parametrize("shapes", GETRS_SHAPES, ids=[f"{a}{b}" for a, b in GETRS_SHAPES])
def test_getrs_against_reference(shapes, adjoint):
    rng = np.random.default_rng(8)
    A, B = rng.standard_normal(shapes[0]) + 3 * np.eye(shapes[0][-1]), rng.standard_normal(shapes[1])
    LU, piv, _ = D._getrf_reference(A)
    got = KL.getrs(LU, piv, B, adjoint)
    np.testing.assert_allclose(got, D._getrs_reference(LU, piv, B, adjoint), rtol=1e-11, atol=1e-12)
    At = np.swapaxes(A, -1, -2) if adjoint else A
    np.testing.assert_allclose(At @ got, np.broadcast_to(B, got.shape), atol=1e-10)


def test_decomp_dispatch():
    """float32/float64 operands of KERNEL_MIN_SIZE elements take the kernels, others the reference."""
    rng = np.random.default_rng(9)
    A, B = _triangular(rng, (12, 12)), rng.standard_normal((12, 2))
    assert A.size >= D.KERNEL_MIN_SIZE
    np.testing.assert_array_equal(D._trsm(A, B, True), KL.trsm(A, B, True, False))
    np.testing.assert_array_equal(D._getrf(A)[0], KL.getrf(A)[0])
    small = A[:4, :4]
    np.testing.assert_array_equal(D._trsm(small, B[:4], True), D._trsm_reference(small, B[:4], True))
    np.testing.assert_array_equal(D._getrf(small)[0], D._getrf_reference(small)[0])


TORCH_LINALG = {
    "solve_triangular_upper": lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True),
    "solve_triangular_lower_unit": lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
    "solve_triangular_right": lambda L, a, b: L.linalg.solve_triangular(a, b.mT, upper=False, left=False),
    "solve_triangular_vector": lambda L, a, b: L.linalg.solve_triangular(a, b[..., :1], upper=True),
    "lu_factor": lambda L, a, b: tuple(L.linalg.lu_factor(a)),
    "lu_solve": lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b),
    "lu_solve_adjoint_vector": lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b[..., :1], adjoint=True),
}


@pytest.mark.parametrize("name", TORCH_LINALG)
def test_linalg_against_torch(name):
    """Values and gradients through npgrad.linalg on stacks larger than the kernels' block."""
    rng = np.random.default_rng(10)
    A = rng.standard_normal((2, 90, 90)) / 10 + 2 * np.eye(90)
    B = rng.standard_normal((2, 90, 20))

    def run(L):
        a, b = L.tensor(A, requires_grad=True), L.tensor(B, requires_grad=True)
        out = TORCH_LINALG[name](L, a, b)
        outs = out if isinstance(out, tuple) else (out,)
        upstream = L.tensor(np.random.default_rng(12).standard_normal(tuple(outs[0].shape)))
        (outs[0] * upstream).sum().backward()
        grads = tuple(L.zeros_like(t) if t.grad is None else t.grad for t in (a, b))
        return tuple(o.detach() for o in outs) + grads

    ref = golden(f"linalg/{name}", lambda: run(torch))
    got = run(npgrad)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        g = g.numpy()
        assert g.dtype == np.asarray(r).dtype
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-11)
