"""Double backward (``create_graph=True``) of products and cumulative products (zeros included), scatters and
gathers, diagonal and block ops, the binary and special math functions and the storage ops, against torch.

Each case runs ``f`` on float64 inputs, takes the gradients of ``sum(w * y) + sum(y^2)`` with
``create_graph=True`` (the fixed signed weights ``w`` make the incoming gradient of even a linear op depend on
the inputs), builds the penalty :math:`\\sum g^3 + \\sum g \\odot (x + 1/2)` from them and differentiates that again;
torch gives the first gradients, whether each requires grad, and the second ones. ``gradgradcheck`` checks
the same second derivatives by finite differences where the function is smooth at the inputs.
"""
import warnings

import numpy as np
import pytest

import npgrad
from npgrad.autograd import gradgradcheck
from oracle import Golden, torch
from harness import NONE, as_arrays, assert_grads_close, libraries, second_order

golden = Golden("higher_order_ops")


def _normal(*shapes, seed=0, shift=0.0):
    def make():
        rng = np.random.default_rng(seed)
        return [rng.standard_normal(s) + shift for s in shapes]
    return make


def _uniform(lo, hi, *shapes, seed=0):
    def make():
        rng = np.random.default_rng(seed)
        return [rng.uniform(lo, hi, s) for s in shapes]
    return make


def _given(*arrays):
    return lambda: [np.array(a, dtype=np.float64) for a in arrays]


def _with_zeros(shape, flat_positions, seed=0):
    def make():
        x = np.random.default_rng(seed).standard_normal(shape) + 0.3
        x.reshape(-1)[list(flat_positions)] = 0.0
        return [x]
    return make


def _tensor(L, a):
    return L.tensor(np.asarray(a))


IDX = np.array([[0, 1, 2, 0], [2, 0, 1, 1]])          # two rows scattered into a (3, 4) tensor along dim 0
IDX_SHARED = np.array([[0, 1, 2, 0], [2, 1, 1, 1]])   # column 1: both rows into place (1, 1)
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
X_TIES = np.array([[5.0, 0.3, -1.2, 0.8], [0.1, -0.4, 2.0, 1.1], [0.7, 0.2, -0.6, -2.0]])
A_GAMMA = np.random.default_rng(35).uniform(0.5, 3.0, (3, 4))      # igamma's first argument, zeta's (+ 1)
SRC_TIES = np.array([[5.0, 1.5, 0.7, -0.3], [0.1, 5.0, 0.2, 0.4]])    # ties with x and among themselves

# rank n - 1 with distinct singular values, where the cofactor matrix is not 0 (det's create_graph
# gradient then comes from the SVD); the 2x2 zero matrix is left out: its singular values repeat, and
# the SVD's derivative gives NaN there in PyTorch
SINGULAR_2X2 = [[[1.0, 2.0], [2.0, 4.0]], [[3.0, 1.0], [0.0, 0.0]]]
SINGULAR_3X3 = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],     # det ~ 1e-16 from LU, not 0
                [[2.0, -1.0, 0.5], [0.0, 3.0, 1.0], [2.0, -1.0, 0.5]],
                [[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]]]
MIXED_3X3 = [SINGULAR_3X3[1], [[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.5, 0.0, 1.5]], SINGULAR_3X3[2]]


def _scatter_reduce(reduce, include_self, index=IDX):
    return lambda L, x, s: x.scatter_reduce(0, _tensor(L, index), s, reduce, include_self=include_self)


# name -> (f(lib, *tensors) -> tensor, inputs() -> arrays, smooth: whether gradgradcheck applies at the inputs)
CASES = {
    # products (zeros: PyTorch's double backward is exact with one or more of them)
    "prod": (lambda L, a: a.prod(), _normal((3, 4), shift=0.3), True),
    "prod_dim": (lambda L, a: a.prod(1), _normal((3, 4), seed=1), True),
    "prod_keepdim": (lambda L, a: a.prod(0, keepdim=True), _normal((3, 4), seed=2), True),
    "prod_0d": (lambda L, a: a.prod(0) * a, _given(1.7), True),
    "prod_one_zero": (lambda L, a: a.prod(), _with_zeros((3, 4), [5]), True),
    "prod_two_zeros": (lambda L, a: a.prod(), _with_zeros((3, 4), [5, 9]), True),
    "prod_dim_zeros": (lambda L, a: a.prod(1), _with_zeros((3, 4), [1, 5, 6, 8, 9, 11]), True),
    "prod_keepdim_zeros": (lambda L, a: a.prod(0, keepdim=True), _with_zeros((3, 4), [0, 4, 6]), True),
    "cumprod": (lambda L, a: a.cumprod(1), _normal((3, 5), seed=3), True),
    "cumprod_dim0": (lambda L, a: a.cumprod(0), _normal((4, 2), seed=4), True),
    "cumprod_one_zero": (lambda L, a: a.cumprod(1), _with_zeros((3, 5), [7]), True),
    "cumprod_zeros": (lambda L, a: a.cumprod(1), _with_zeros((3, 5), [0, 7, 9, 10, 14]), True),
    "cumprod_size_one": (lambda L, a: a.cumprod(1) * a, _with_zeros((3, 1), [1]), True),
    # selections and scatters
    "masked_select": (lambda L, a: a.masked_select(_tensor(L, MASK)), _normal((3, 4), seed=5), True),
    "masked_select_broadcast": (lambda L, a: a.masked_select(_tensor(L, MASK)), _normal((4,), seed=6), True),
    "scatter": (lambda L, a, s: a.scatter(0, _tensor(L, IDX), s), _normal((3, 4), (2, 4), seed=7), True),
    "scatter_value": (lambda L, a: a.scatter(1, _tensor(L, IDX[:, :3]), 2.5), _normal((3, 4), seed=8), True),
    **{f"scatter_reduce_{r}{'' if inc else '_exclude_self'}": (_scatter_reduce(r, inc),
                                                               _normal((3, 4), (2, 4), seed=9), True)
       for r in ("sum", "mean", "amax", "amin", "prod") for inc in (True, False)},
    **{f"scatter_reduce_{r}_ties{'' if inc else '_exclude_self'}": (_scatter_reduce(r, inc),
                                                                    _given(X_TIES, SRC_TIES), False)
       for r in ("amax", "amin") for inc in (True, False)},
    "scatter_reduce_prod_zeros": (_scatter_reduce("prod", True), _given(
        [[0.4, 0.0, 1.2, 0.8], [0.0, -0.4, 2.0, 1.1], [0.7, 0.2, -0.6, -2.0]],
        [[0.3, 1.5, 0.7, -0.3], [0.1, 0.0, 0.2, 0.4]]), True),
    "scatter_reduce_prod_zeros_exclude_self": (_scatter_reduce("prod", False), _given(
        [[0.4, 0.0, 1.2, 0.8], [0.0, -0.4, 2.0, 1.1], [0.7, 0.2, -0.6, -2.0]],
        [[0.0, 1.5, 0.7, -0.3], [0.1, 0.0, 0.2, 0.4]]), True),
    "scatter_reduce_prod_dim1": (lambda L, x, s: x.scatter_reduce(1, _tensor(L, IDX[:, :3]), s, "prod"),
                                 _normal((3, 4), (2, 3), seed=10), True),
    "index_reduce_prod": (lambda L, x, s: x.index_reduce(0, _tensor(L, [0, 2, 0]), s, "prod"),
                          _normal((3, 4), (3, 4), seed=11), True),
    "index_reduce_mean": (lambda L, x, s: x.index_reduce(0, _tensor(L, [0, 2, 0]), s, "mean", include_self=False),
                          _normal((3, 4), (3, 4), seed=12), True),
    "index_reduce_amax": (lambda L, x, s: x.index_reduce(1, _tensor(L, [3, 0]), s, "amax"),
                          _normal((3, 4), (3, 2), seed=13), True),
    # diagonals, blocks, masks
    "block_diag": (lambda L, a, b, c, d: L.block_diag(a, b, c, d), _normal((3, 4), (2, 3), (3,), (), seed=14), True),
    "diag_embed": (lambda L, a: L.diag_embed(a, 1, 0, 2), _normal((3, 4), seed=15), True),
    "diag_embed_negative_offset": (lambda L, a: L.diag_embed(a, -2, -1, 0), _normal((3, 4), seed=16), True),
    "diag": (lambda L, a: L.diag(a, -1), _normal((3,), seed=17), True),
    "diagflat": (lambda L, a: L.diagflat(a, 1), _normal((2, 3), seed=18), True),
    "diagonal_scatter": (lambda L, a, s: L.diagonal_scatter(a, s, 1), _normal((3, 4), (3,), seed=19), True),
    "diagonal_scatter_3d": (lambda L, a, s: L.diagonal_scatter(a, s, -1, 2, 1), _normal((2, 4, 3), (2, 2), seed=20),
                            True),
    "nanmedian": (lambda L, a: a.nanmedian() * a, _normal((7,), seed=21), True),
    "nanmedian_ties": (lambda L, a: a.nanmedian() * a, _given([1.0, 2.0, 2.0, 3.0, 2.0, 0.5]), False),
    "nanmedian_nan": (lambda L, a: a.nanmedian() ** 2, _given([1.0, np.nan, 0.5, 3.0, -1.0]), False),
    "masked_scatter": (lambda L, a, s: a.masked_scatter(_tensor(L, MASK), s), _normal((3, 4), (3, 5), seed=22), True),
    "masked_scatter_broadcast": (lambda L, a, s: L.masked_scatter(a, _tensor(L, MASK[0]), s),
                                 _normal((3, 4), (4, 3), seed=23), True),
    # binary and special math
    "copysign": (lambda L, a, b: L.copysign(a, b) * a, _normal((3, 4), (4,), seed=24), True),
    "copysign_zeros": (lambda L, a, b: L.copysign(a, b) * b, _given([0.0, 1.0, -2.0, 0.5], [1.0, -1.0, 0.5, -0.0]),
                       False),
    "fmax": (lambda L, a, b: L.fmax(a, b) * a, _normal((3, 4), (4,), seed=25), True),
    "fmin": (lambda L, a, b: L.fmin(a, b) * b, _normal((3, 4), (4,), seed=26), True),
    "fmax_ties": (lambda L, a, b: L.fmax(a, b) * (a + 2 * b), _given(X_TIES[:2], X_TIES[0]), False),
    "fmin_ties": (lambda L, a, b: L.fmin(a, b) * (a + 2 * b), _given(X_TIES[:2], X_TIES[0]), False),
    "ldexp": (lambda L, a: L.ldexp(a, _tensor(L, [1, 0, 2, 3])) * a, _normal((3, 4), seed=27), True),
    "ldexp_negative_exponent": (lambda L, a: L.ldexp(a, _tensor(L, [1, -1, 2, -3])) * a, _normal((3, 4), seed=28),
                                False),     # PyTorch's derivative is 0 where the exponent is negative
    "logcumsumexp": (lambda L, a, b: L.logcumsumexp(a, 1) * b, _normal((3, 4), (4,), seed=29), True),
    "logcumsumexp_dim0": (lambda L, a, b: L.logcumsumexp(a, 0) * b, _normal((3, 4), (4,), seed=30), True),
    "logcumsumexp_0d": (lambda L, a: L.logcumsumexp(a, 0) ** 2, _given(0.7), True),
    "mvlgamma": (lambda L, a: L.mvlgamma(a, 1) * a + L.mvlgamma(a, 3), _uniform(2.0, 4.0, (3, 4), seed=31), True),
    **{f"polygamma_{n}": (lambda L, a, n=n: L.polygamma(n, a) * a, _uniform(0.5, 3.0, (6,), seed=32 + n), True)
       for n in range(4)},
    "lgamma": (lambda L, a: L.lgamma(a) * a, _uniform(0.2, 6.0, (3, 4), seed=52), True),
    "lgamma_negative": (lambda L, a: L.lgamma(a), _given([-2.5, -0.9, -3.7, 60.0]), True),
    "lgamma_tiny_and_large": (lambda L, a: L.lgamma(a), _given([1e-8, -1e-8, 1e5, 1e15]), False),
    "lgamma_poles": (lambda L, a: L.lgamma(a), _given([0.0, -1.0, -2.0, 1.0, 2.0]), False),
    "gammaln": (lambda L, a: L.special.gammaln(a) * a, _uniform(0.5, 3.0, (5,), seed=53), True),
    "digamma": (lambda L, a: L.digamma(a) * a, _uniform(0.2, 6.0, (3, 4), seed=54), True),
    "digamma_negative": (lambda L, a: L.digamma(a), _given([-2.5, -0.9, -3.7, 60.0]), True),
    "digamma_tiny_and_large": (lambda L, a: L.digamma(a), _given([1e-4, -1e-4, 1e5, 1e15]), False),
    "digamma_poles": (lambda L, a: L.special.psi(a), _given([0.0, -1.0, -2.0, 1.0]), False),
    "polygamma_1_negative": (lambda L, a: L.polygamma(1, a), _given([-2.5, -0.5, 1e-2, 50.0]), True),
    "mvlgamma_large": (lambda L, a: L.special.multigammaln(a, 4), _given([1.6, 2.5, 40.0, 1e4]), True),
    "i0": (lambda L, a: L.i0(a) * a, _normal((3, 4), seed=55), True),
    "i0_special": (lambda L, a: L.special.i0(a), _given([0.0, -0.0, 1e-300, 30.0, -30.0, 3.75, -3.75]), True),
    "i0e": (lambda L, a: L.special.i0e(a) * a, _normal((3, 4), seed=56), True),
    "i0e_special": (lambda L, a: L.special.i0e(a), _given([0.0, -0.0, 1e-20, -1e-20, 8.0, -8.0, 1e3, -1e3]), False),
    "i1": (lambda L, a: L.special.i1(a) * a, _normal((3, 4), seed=57), True),
    "i1_special": (lambda L, a: L.special.i1(a), _given([0.0, -0.0, 1e-17, -1e-17, 2.3e-16, 30.0, -30.0, 8.0]),
                   False),
    "i1e": (lambda L, a: L.special.i1e(a) * a, _normal((3, 4), seed=58), True),
    "i1e_special": (lambda L, a: L.special.i1e(a), _given([0.0, -0.0, 1e-17, -1e-17, 1e-6, 8.0, -8.0, 1e3, -1e3]),
                    False),
    "sinc": (lambda L, a: L.sinc(a) * a, _normal((3, 4), seed=59), True),
    "sinc_special": (lambda L, a: L.special.sinc(a), _given([0.0, -0.0, 1e-170, -1e-170, 0.1, 1.0, -2.0, 0.5, 1e6]),
                     False),
    "igamma": (lambda L, x: L.igamma(_tensor(L, A_GAMMA), x) * x, _uniform(0.5, 3.0, (3, 4), seed=36), True),
    "igammac": (lambda L, x: L.igammac(_tensor(L, A_GAMMA), x) * x, _uniform(0.5, 3.0, (3, 4), seed=37), True),
    "frexp": (lambda L, a: L.frexp(a * 3)[0] * a, _normal((3, 4), seed=38), True),
    "nextafter": (lambda L, a, b: L.nextafter(a, b) * a, _normal((3, 4), (4,), seed=39), True),
    "nextafter_equal": (lambda L, a, b: L.nextafter(a, b) * a, _given(X_TIES[:2], X_TIES[0]), False),
    "zeta": (lambda L, q: L.special.zeta(_tensor(L, A_GAMMA + 1.0), q) * q, _uniform(1.5, 4.0, (3, 4), seed=40),
             True),
    # determinants of singular matrices
    "det_singular_2x2": (lambda L, a: L.linalg.det(a), _given(SINGULAR_2X2), True),
    "det_singular_3x3": (lambda L, a: L.det(a), _given(SINGULAR_3X3), True),
    "det_singular_batch_dims": (lambda L, a: L.linalg.det(a.reshape(2, 2, 2, 2)), _given(SINGULAR_2X2 * 2), True),
    "det_singular_and_invertible": (lambda L, a: L.linalg.det(a), _given(MIXED_3X3), True),
    # storage ops and the rest
    "angle": (lambda L, a: L.angle(a) * a, _normal((3, 4), seed=41), True),
    "angle_alone": (lambda L, a: L.angle(a), _normal((3, 4), seed=41), True),     # a gradient that is a constant
    "as_strided": (lambda L, a: L.as_strided(a, (3, 3), (1, 2), 1), _normal((3, 4), seed=42), True),
    "as_strided_overlapping": (lambda L, a: L.as_strided(a, (3, 3), (1, 1), 1), _normal((3, 4), seed=43), True),
    "as_strided_transposed_input": (lambda L, a: L.as_strided(a.t(), (2, 3), (3, 1), 2), _normal((3, 4), seed=44),
                                    True),
    "as_strided_expanded_input": (lambda L, a: L.as_strided(a.expand(3, 4), (2, 3), (1, 1), 0),
                                  _normal((4,), seed=45), True),
    "as_strided_of_a_view": (lambda L, a: L.as_strided(a[1:], (2, 2), (4, 1)), _normal((3, 4), seed=46), True),
    "as_strided_scatter_src": (lambda L, s: L.as_strided_scatter(_tensor(L, np.arange(12.0).reshape(3, 4)), s,
                                                                 (2, 2), (1, 2), 1), _normal((2, 2), seed=47), True),
    "fill": (lambda L, a, v: L.fill(a, v) * a, _normal((3, 4), (), seed=48), True),
    "fill_alone": (lambda L, a, v: L.fill(a, v), _normal((3, 4), (), seed=48), True),
    "resize": (lambda L, a: a.resize(4, 3) * a.reshape(4, 3), _normal((3, 4), seed=49), True),
}

FLOAT32 = ["prod_one_zero", "cumprod_zeros", "scatter_reduce_prod", "scatter_reduce_mean", "logcumsumexp",
           "mvlgamma", "polygamma_2", "igamma", "as_strided_overlapping", "masked_scatter", "diag_embed", "fmax",
           "lgamma", "digamma", "i0", "i0e", "i1", "i1e", "sinc"]


def _second_order(lib, name, dtype="float64"):
    fn, inputs, _ = CASES[name]
    xs = [lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True) for x in inputs()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # resize's deprecation, index_reduce's beta warning
        y = fn(lib, *xs)
    w = lib.tensor(np.linspace(-1.0, 2.0, y.numel()).reshape(tuple(y.shape)), dtype=getattr(lib, dtype))
    grads, second = second_order(lib, (w * y).sum() + (y * y).sum(), xs, shift=0.5)
    return as_arrays(grads), [NONE if g is None else bool(g.requires_grad) for g in grads], as_arrays(second)


@pytest.mark.parametrize("name", list(CASES))
def test_second_order_matches_torch(name):
    ref = golden(f"second/{name}", lambda: _second_order(torch, name))
    got = _second_order(npgrad, name)
    assert_grads_close(got[0], ref[0], 1e-10, 1e-12, np.float64)
    assert [str(f) for f in got[1]] == [str(f) for f in ref[1]]      # the same first gradients are constants
    assert_grads_close(got[2], ref[2], 1e-9, 1e-11, np.float64)


@pytest.mark.parametrize("name", FLOAT32)
def test_second_order_float32(name):
    ref = golden(f"second32/{name}", lambda: _second_order(torch, name, "float32"))
    got = _second_order(npgrad, name, "float32")
    assert_grads_close(got[0], ref[0], 1e-4, 1e-4, np.float32)
    assert_grads_close(got[2], ref[2], 1e-3, 1e-3, np.float32)


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case[2]])
def test_gradgradcheck(name):
    fn, inputs, _ = CASES[name]
    xs = tuple(npgrad.tensor(x, requires_grad=True) for x in inputs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradgradcheck(lambda *t: fn(npgrad, *t), xs, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_scatter_reduce_prod_with_several_zeros_in_one_place():
    """Two zeros scattered into one place: PyTorch refuses this double backward; npgrad gives the derivative
    (the product of the other contributors, whose own derivatives are exact too)."""
    x = np.array([[0.4, 0.0, 1.2, 0.8], [0.0, -0.4, 2.0, 1.1], [0.7, 0.2, -0.6, -2.0]])
    src = np.array([[0.3, 0.0, 0.7, -0.3], [0.1, 0.0, 0.2, 0.4]])
    for include_self in (True, False):
        fn = _scatter_reduce("prod", include_self, IDX_SHARED)
        xs = (npgrad.tensor(x, requires_grad=True), npgrad.tensor(src, requires_grad=True))
        assert gradgradcheck(lambda *t: fn(npgrad, *t), xs, eps=1e-6, atol=1e-5, rtol=1e-4)
        (gx, gs) = npgrad.autograd.grad(fn(npgrad, *xs).sum(), xs, create_graph=True)
        ref = golden(f"prod_two_zeros_first/{include_self}", lambda: _first_gradients(fn, (x, src)))
        np.testing.assert_allclose(gx.detach().numpy(), ref[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(gs.detach().numpy(), ref[1], rtol=1e-12, atol=1e-15)
        # the mixed derivative of the two zeros at place (1, 1): the product of the others there
        (h,) = npgrad.autograd.grad(gs[0, 1], xs[1])
        assert h[1, 1].item() == pytest.approx(x[1, 1] if include_self else 1.0)


def _first_gradients(fn, arrays):
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return [g.numpy() for g in torch.autograd.grad(fn(torch, *xs).sum(), xs)]


def _third_order(lib, name):
    fn, inputs, _ = CASES[name]
    xs = [lib.tensor(x, requires_grad=True) for x in inputs()]
    (g,) = lib.autograd.grad((fn(lib, *xs) ** 2).sum(), xs, create_graph=True)
    (h,) = lib.autograd.grad((g ** 3).sum(), xs, create_graph=True)
    (k,) = lib.autograd.grad((h ** 2).sum(), xs)
    return [g.detach().numpy(), h.detach().numpy(), k.numpy()]


@pytest.mark.parametrize("name", ["prod_two_zeros", "prod_dim_zeros", "cumprod_zeros", "cumprod", "polygamma_1",
                                  "logcumsumexp_0d", "masked_select", "as_strided_overlapping", "lgamma", "i0e",
                                  "i1", "i1e", "sinc"])
def test_third_order_matches_torch(name):
    ref = golden(f"third/{name}", lambda: _third_order(torch, name))
    got = _third_order(npgrad, name)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


def _dropout_second_order(lib, mask, scale):
    x = lib.tensor(np.random.default_rng(50).standard_normal((4, 5)), requires_grad=True)
    if lib is npgrad:
        npgrad.manual_seed(0)
        y = npgrad.native_dropout(x, 0.4, True)[0]
    else:   # torch's own mask is another draw: the same op written out with npgrad's mask
        y = x * lib.tensor(mask) * scale
    w = lib.tensor(np.linspace(-1.0, 2.0, 20).reshape(4, 5))
    (g,) = lib.autograd.grad((w * y).sum() + (y * y).sum(), x, create_graph=True)
    (h,) = lib.autograd.grad((g ** 3).sum() + (g * x).sum(), x)
    return [g.detach().numpy(), h.numpy()]


def test_native_dropout():
    npgrad.manual_seed(0)
    mask = npgrad.native_dropout(npgrad.zeros(4, 5, dtype=npgrad.float64), 0.4, True)[1].numpy()
    assert 0 < mask.sum() < mask.size
    ref = golden("native_dropout", lambda: _dropout_second_order(torch, mask, 1 / 0.6))
    got = _dropout_second_order(npgrad, mask, 1 / 0.6)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)

    def dropped(t):
        npgrad.manual_seed(0)
        return npgrad.native_dropout(t, 0.4, True)[0]
    assert gradgradcheck(dropped, (npgrad.tensor(np.ones((4, 5)), requires_grad=True),))


def test_as_strided_scatter_input_gradient_is_differentiated():
    """The input's gradient (the derivative: the overwritten elements zeroed, see ``as_strided_scatter``) and
    the source's, differentiated again: checked by finite differences."""
    rng = np.random.default_rng(51)
    for size, stride, offset in [((2, 2), (4, 1), 1), ((2, 2), (1, 2), 1), ((3,), (5,), 0)]:
        xs = (npgrad.tensor(rng.standard_normal((3, 4)), requires_grad=True),
              npgrad.tensor(rng.standard_normal(size), requires_grad=True))
        assert gradgradcheck(lambda a, s: npgrad.as_strided_scatter(a, s, size, stride, offset), xs)


def _expect_error(run, exc, message):
    for lib in libraries():
        with pytest.raises(exc, match=message):
            run(lib)


def test_kept_errors():
    """What PyTorch cannot differentiate stays an error, with its message, with create_graph as without."""
    def detach_copy(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        lib.autograd.grad((lib.detach_copy(x) * x).sum(), x, create_graph=True)

    def scatter_with_reduce(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x.scatter(0, lib.tensor([[1, 0]]), x[:1] * 2, reduce="multiply")
        lib.autograd.grad(y.sum(), x, create_graph=True)

    def igamma_input(lib):
        a = lib.tensor([1.5, 2.0], dtype=lib.float64, requires_grad=True)
        lib.autograd.grad(lib.igamma(a, lib.tensor([0.5, 1.0], dtype=lib.float64)).sum(), a, create_graph=True)

    def zeta_x(lib):
        x = lib.tensor([2.5, 3.0], dtype=lib.float64, requires_grad=True)
        lib.autograd.grad(lib.special.zeta(x, lib.tensor([1.5, 2.0], dtype=lib.float64)).sum(), x,
                          create_graph=True)

    _expect_error(detach_copy, RuntimeError, "derivative for aten::detach_copy is not implemented")
    _expect_error(scatter_with_reduce, RuntimeError, "derivative for aten::scatter is not implemented")
    _expect_error(igamma_input, NotImplementedError, "the derivative for 'igamma: input' is not implemented.")
    _expect_error(zeta_x, NotImplementedError, "the derivative for 'zeta' is not implemented.")


def test_scatter_with_reduce_has_no_first_derivative_either():
    for lib in libraries():
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = x.scatter(0, lib.tensor([[1, 0]]), 2.0, reduce="add")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            y.sum().backward()
