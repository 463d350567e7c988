"""npgrad.linalg and the linear-algebra functions of the npgrad namespace against torch.

Values and gradients (float64, with gradcheck), float32 values, errors and their messages.
Eigenvectors and singular vectors are defined up to sign (LAPACK builds differ), so the cases
that use them compare sign-free quantities: ``V * V``, rank-one terms ``u_i v_i^T``, reconstructions.
Symmetric / positive-definite inputs are built inside the case (``a + a^T``, ``a a^T + nI``) so
that gradcheck perturbs free parameters, as PyTorch's own tests do.
"""
import math
import warnings

import numpy as np
import pytest

import npgrad
from harness import Case, check_case, error_of
from oracle import Golden

golden = Golden("linalg")
INF = math.inf
pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")  # torch.qr, torch.svd ...


# --------------------------------------------------------------------------- inputs


def well(*shape, boost=3.0):
    """A random matrix stack made well conditioned by ``boost`` on the (leading) diagonal."""
    def make(r):
        a = r.standard_normal(shape)
        return [a + boost * np.eye(shape[-2], shape[-1])]
    return make


def arrays(*makers):
    """Inputs from several makers (each ``rng -> array``)."""
    return lambda r: [m(r) for m in makers]


def normal(*shape):
    return lambda r: r.standard_normal(shape)


def conditioned(*shape, boost=3.0):
    return lambda r: r.standard_normal(shape) + boost * np.eye(shape[-2], shape[-1])


def spd(L, a):
    """A symmetric positive-definite matrix made of the free parameters ``a``."""
    return a @ a.mT + a.shape[-1] * L.eye(a.shape[-1], dtype=a.dtype)


def sym(L, a):
    return a + a.mT


def singular(r):
    a = r.standard_normal((3, 3))
    a[2] = a[0] + 2 * a[1]
    return [a]


def hilbert(n):
    """The Hilbert matrix (condition number about 1.5e7 for n = 6)."""
    i = np.arange(n)
    return 1.0 / (i[:, None] + i[None, :] + 1)


def rank_deficient(r):
    a = r.standard_normal((5, 2)) @ r.standard_normal((2, 4))  # rank 2
    return [a]


def f32(maker):
    """The float32 version of an input maker (no gradients)."""
    return lambda r: [np.asarray(a, np.float32) if np.asarray(a).dtype == np.float64 else a for a in maker(r)]


def lu_inputs(*shape):
    return arrays(conditioned(*shape))


def geqrf_inputs(m, n, batch=()):
    """A matrix and the reflectors of its QR decomposition (torch's geqrf, as golden values)."""
    def make(r):
        a = r.standard_normal(batch + (m, n))
        h, tau = np.linalg.qr(a, mode="raw")
        return [np.swapaxes(h, -1, -2).copy(), tau]
    return make


# --------------------------------------------------------------------------- sign-free views of eigh / svd


def eigh_view(L, a, uplo="L"):
    w, v = L.linalg.eigh(sym(L, a), UPLO=uplo)
    return w, v * v


def svd_view(L, a, full=False):
    U, S, Vh = L.linalg.svd(a, full_matrices=full)
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    first = U[..., :, :1] @ Vh[..., :1, :]          # u_1 v_1^T
    return S, U * U, Vh * Vh, first


def svd_u_only(L, a):
    U, S, Vh = L.linalg.svd(a, full_matrices=False)
    return U * U


def svd_vh_only(L, a):
    U, S, Vh = L.linalg.svd(a, full_matrices=False)
    return (Vh * Vh).sum(-2) + (Vh[..., :1, :] * Vh[..., :1, :])


def torch_svd_view(L, a, some=True):
    U, S, V = L.svd(a, some=some)
    k = S.shape[-1]
    return S, U[..., :k] * U[..., :k], V[..., :, :k] * V[..., :, :k]


# --------------------------------------------------------------------------- the table (float64: values, grads)

CASES = [
    # determinants and inverses
    Case("det", lambda L, a: L.linalg.det(a), None, inputs=well(3, 3, boost=0)),
    Case("det_batch", lambda L, a: L.linalg.det(a), None, inputs=well(2, 3, 3, boost=0)),
    Case("det_1x1", lambda L, a: L.linalg.det(a), None, inputs=well(1, 1)),
    Case("det_singular", lambda L, a: L.linalg.det(a), None, inputs=singular, gradcheck=False, atol=1e-12),
    Case("det_exact_singular", lambda L, a: L.linalg.det(a * L.tensor([[1.0], [0.0], [1.0]], dtype=a.dtype)),
         None, inputs=well(3, 3), gradcheck=False),
    Case("slogdet", lambda L, a: tuple(L.linalg.slogdet(a)), None, inputs=well(3, 3, boost=0)),
    Case("slogdet_batch", lambda L, a: L.linalg.slogdet(a).logabsdet, None, inputs=well(2, 2, 4, 4, boost=0)),
    Case("logdet", lambda L, a: L.logdet(spd(L, a)), [(3, 3)]),
    Case("logdet_negative", lambda L, a: L.logdet(a), None, grad=False,
         inputs=lambda r: [np.diag([1.0, -2.0, 3.0]), ]),
    Case("inv", lambda L, a: L.linalg.inv(a), None, inputs=well(3, 3)),
    Case("inv_batch", lambda L, a: L.linalg.inv(a), None, inputs=well(2, 3, 4, 4)),
    Case("inv_1x1", lambda L, a: L.linalg.inv(a), None, inputs=well(1, 1)),
    Case("inv_ex", lambda L, a: tuple(L.linalg.inv_ex(a)), None, inputs=well(2, 3, 3)),
    Case("inv_ill_conditioned", lambda L, a: L.linalg.inv(a), None, inputs=lambda r: [hilbert(6)], rtol=1e-6,
         gradcheck=False),
    Case("solve_ill_conditioned", lambda L, a, b: L.linalg.solve(a, b), None, rtol=1e-6, gradcheck=False,
         inputs=lambda r: [hilbert(6), r.standard_normal((6, 2))]),
    Case("inverse", lambda L, a: L.inverse(a), None, inputs=well(3, 3)),
    Case("inverse_method", lambda L, a: a.inverse(), None, inputs=well(2, 2)),
    # solves
    Case("solve", lambda L, a, b: L.linalg.solve(a, b), None, inputs=arrays(conditioned(3, 3), normal(3, 2))),
    Case("solve_vector", lambda L, a, b: L.linalg.solve(a, b), None, inputs=arrays(conditioned(3, 3), normal(3))),
    Case("solve_batch_vector", lambda L, a, b: L.linalg.solve(a, b), None,
         inputs=arrays(conditioned(2, 3, 3), normal(2, 3))),
    Case("solve_batch_1d", lambda L, a, b: L.linalg.solve(a, b), None,
         inputs=arrays(conditioned(2, 3, 3), normal(3))),
    Case("solve_broadcast", lambda L, a, b: L.linalg.solve(a, b), None,
         inputs=arrays(conditioned(2, 1, 3, 3), normal(4, 3, 2))),
    Case("solve_right", lambda L, a, b: L.linalg.solve(a, b, left=False), None,
         inputs=arrays(conditioned(3, 3), normal(2, 3))),
    Case("solve_ex", lambda L, a, b: tuple(L.linalg.solve_ex(a, b)), None,
         inputs=arrays(conditioned(3, 3), normal(3, 2))),
    Case("solve_triangular_upper", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True), None,
         inputs=arrays(conditioned(3, 3), normal(3, 2))),
    Case("solve_triangular_lower_unit", lambda L, a, b: L.linalg.solve_triangular(
        a, b, upper=False, unitriangular=True), None, inputs=arrays(normal(4, 4), normal(4, 2))),
    Case("solve_triangular_right", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, left=False), None,
         inputs=arrays(conditioned(3, 3), normal(2, 3))),
    Case("solve_triangular_broadcast", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True), None,
         inputs=arrays(conditioned(2, 1, 3, 3), normal(3, 3, 2))),
    Case("solve_triangular_blocks", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False), None,
         inputs=arrays(conditioned(20, 20, boost=6.0), normal(20, 1)), gradcheck=False),
    Case("solve_triangular_zero_diagonal", lambda L, a, b: (L.linalg.solve_triangular(a, b, upper=True),
                                                             L.linalg.solve_triangular(a.mT, b, upper=False)),
         None, grad=False, inputs=lambda r: [np.array([[1.0, 2, 3], [0, 0, 1], [0, 0, 2]]), np.ones((3, 2))]),
    Case("triangular_solve", lambda L, b, a: tuple(L.triangular_solve(b, a)), None,
         inputs=arrays(normal(3, 2), conditioned(3, 3))),
    Case("triangular_solve_transpose_lower", lambda L, b, a: tuple(L.triangular_solve(
        b, a, upper=False, transpose=True)), None, inputs=arrays(normal(3, 2), conditioned(3, 3))),
    Case("triangular_solve_unit_method", lambda L, b, a: b.triangular_solve(a, unitriangular=True).solution, None,
         inputs=arrays(normal(2, 3, 1), normal(2, 3, 3))),
    # Cholesky
    Case("cholesky", lambda L, a: L.linalg.cholesky(spd(L, a)), [(3, 3)]),
    Case("cholesky_upper", lambda L, a: L.linalg.cholesky(spd(L, a), upper=True), [(3, 3)]),
    Case("cholesky_batch", lambda L, a: L.linalg.cholesky(spd(L, a)), [(2, 4, 4)]),
    Case("cholesky_ex", lambda L, a: tuple(L.linalg.cholesky_ex(spd(L, a))), [(3, 3)]),
    Case("cholesky_torch", lambda L, a: L.cholesky(spd(L, a)), [(3, 3)]),
    Case("cholesky_torch_upper", lambda L, a: spd(L, a).cholesky(upper=True), [(3, 3)]),
    Case("cholesky_solve", lambda L, b, a: L.cholesky_solve(b, L.linalg.cholesky(spd(L, a))), [(3, 2), (3, 3)]),
    Case("cholesky_solve_upper", lambda L, b, a: L.cholesky_solve(b, L.linalg.cholesky(spd(L, a), upper=True),
                                                                   upper=True), [(2, 3, 2), (3, 3)]),
    Case("cholesky_solve_factor", lambda L, b, f: L.cholesky_solve(b, f.tril()), None,
         inputs=arrays(normal(3, 2), conditioned(3, 3))),
    Case("cholesky_inverse", lambda L, a: L.cholesky_inverse(L.linalg.cholesky(spd(L, a))), [(3, 3)]),
    Case("cholesky_inverse_upper", lambda L, f: f.triu().cholesky_inverse(upper=True), None,
         inputs=arrays(conditioned(2, 3, 3))),
    # QR
    Case("qr", lambda L, a: tuple(L.linalg.qr(a)), [(3, 3)]),
    Case("qr_tall", lambda L, a: tuple(L.linalg.qr(a)), [(5, 3)]),
    Case("qr_wide", lambda L, a: tuple(L.linalg.qr(a)), [(3, 5)]),
    Case("qr_batch_r_grad", lambda L, a: L.linalg.qr(a).R, [(2, 4, 3)]),
    Case("qr_q_grad", lambda L, a: L.linalg.qr(a).Q, [(4, 3)]),
    Case("qr_complete_wide", lambda L, a: tuple(L.linalg.qr(a, mode="complete")), [(2, 4)]),
    Case("qr_complete_tall", lambda L, a: tuple(L.linalg.qr(a, mode="complete")), [(4, 2)], grad=False),
    Case("qr_r", lambda L, a: L.linalg.qr(a, mode="r").R, [(4, 3)], grad=False),
    Case("qr_torch_some", lambda L, a: tuple(L.qr(a)), [(4, 3)]),
    Case("qr_torch_full", lambda L, a: tuple(a.qr(some=False)), [(4, 3)], grad=False),
    # eigh / svd (sign-free views)
    Case("eigh", eigh_view, [(3, 3)]),
    Case("eigh_upper", lambda L, a: eigh_view(L, a, "U"), [(2, 4, 4)]),
    Case("eigh_values_grad", lambda L, a: L.linalg.eigh(sym(L, a)).eigenvalues, [(3, 3)]),
    Case("eigh_vectors_grad", lambda L, a: L.linalg.eigh(sym(L, a)).eigenvectors.abs(), [(3, 3)]),
    Case("eigvalsh", lambda L, a: L.linalg.eigvalsh(sym(L, a)), [(2, 3, 3)]),
    Case("eigvalsh_upper", lambda L, a: L.linalg.eigvalsh(a, UPLO="U"), [(4, 4)], gradcheck=False),
    Case("eigvalsh_degenerate", lambda L, a: L.linalg.eigvalsh(a), None, gradcheck=False,
         inputs=lambda r: [np.diag([1.0, 1.0, 2.0])]),
    Case("svd", svd_view, [(3, 3)]),
    Case("svd_tall", svd_view, [(5, 3)]),
    Case("svd_wide", svd_view, [(2, 3, 5)]),
    Case("svd_full_tall", lambda L, a: svd_view(L, a, True), [(5, 3)]),
    Case("svd_full_wide", lambda L, a: svd_view(L, a, True), [(3, 4)]),
    Case("svd_values_grad", lambda L, a: L.linalg.svd(a).S, [(3, 4)]),
    Case("svd_u_only", svd_u_only, [(4, 3)]),
    Case("svd_vh_only", svd_vh_only, [(3, 4)]),
    Case("svdvals", lambda L, a: L.linalg.svdvals(a), [(2, 4, 3)]),
    Case("svdvals_wide", lambda L, a: L.linalg.svdvals(a), [(2, 5)]),
    Case("svd_torch", torch_svd_view, [(4, 3)]),
    Case("svd_torch_full", lambda L, a: torch_svd_view(L, a, some=False), [(3, 4)]),
    Case("svd_torch_no_uv", lambda L, a: tuple(L.svd(a, compute_uv=False)), [(4, 3)]),
    # pseudo-inverse, rank, least squares
    Case("pinv", lambda L, a: L.linalg.pinv(a), None, inputs=well(3, 3)),
    Case("pinv_tall", lambda L, a: L.linalg.pinv(a), [(5, 3)]),
    Case("pinv_wide", lambda L, a: L.linalg.pinv(a), [(2, 3, 5)]),
    Case("pinv_hermitian", lambda L, a: L.linalg.pinv(sym(L, a), hermitian=True), [(3, 3)]),
    Case("pinv_rank_deficient", lambda L, a: L.linalg.pinv(a), None, inputs=rank_deficient, gradcheck=False,
         atol=1e-8),
    Case("pinv_atol", lambda L, a: L.linalg.pinv(a, atol=1.5), [(4, 4)], gradcheck=False),
    Case("pinv_rtol", lambda L, a: L.linalg.pinv(a, rtol=0.3), [(4, 4)], gradcheck=False),
    Case("pinv_rcond", lambda L, a: L.linalg.pinv(a, 0.3), [(4, 4)], gradcheck=False),
    Case("pinv_tensor_tolerances", lambda L, a: (L.linalg.pinv(a, atol=L.tensor([0.5, 2.5], dtype=a.dtype)),
                                                  L.linalg.pinv(a, rtol=L.tensor([0.1, 0.6], dtype=a.dtype))),
         [(2, 4, 4)], gradcheck=False),
    Case("pinverse", lambda L, a: L.pinverse(a), [(3, 4)]),
    Case("matrix_rank", lambda L, a: L.linalg.matrix_rank(a), None, grad=False, inputs=rank_deficient),
    Case("matrix_rank_batch_tol", lambda L, a: (L.linalg.matrix_rank(a, tol=1.0), L.linalg.matrix_rank(a, atol=0.5),
                                                L.linalg.matrix_rank(a, rtol=0.4)), [(2, 4, 3)], grad=False),
    Case("matrix_rank_tensor_atol", lambda L, a: L.linalg.matrix_rank(a, atol=L.tensor([0.5, 2.5], dtype=a.dtype)),
         [(2, 4, 3)], grad=False),
    Case("matrix_rank_hermitian", lambda L, a: L.linalg.matrix_rank(a @ a.mT, hermitian=True), [(4, 2)],
         grad=False),
    Case("lstsq_tall", lambda L, a, b: tuple(L.linalg.lstsq(a, b)), [(5, 3), (5, 2)]),
    Case("lstsq_wide", lambda L, a, b: tuple(L.linalg.lstsq(a, b)), [(3, 5), (3, 2)]),
    Case("lstsq_vector", lambda L, a, b: tuple(L.linalg.lstsq(a, b)), [(5, 3), (5,)]),
    Case("lstsq_batch_broadcast", lambda L, a, b: tuple(L.linalg.lstsq(a, b)), [(1, 5, 3), (2, 5, 2)]),
    Case("lstsq_gels", lambda L, a, b: tuple(L.linalg.lstsq(a, b, driver="gels")), [(5, 3), (5, 2)]),
    Case("lstsq_gelsd", lambda L, a, b: tuple(L.linalg.lstsq(a, b, driver="gelsd")), [(2, 5, 3), (2, 5, 2)],
         gradcheck=False),   # singular_values has no gradient (as in torch): gradcheck on the next cases
    Case("lstsq_gelsd_residuals", lambda L, a, b: tuple(L.linalg.lstsq(a, b, driver="gelsd")[:2]),
         [(2, 5, 3), (2, 5, 2)]),
    Case("lstsq_gelss_wide", lambda L, a, b: tuple(L.linalg.lstsq(a, b, driver="gelss")), [(3, 4), (3, 1)],
         gradcheck=False),
    Case("lstsq_gelsd_vector", lambda L, a, b: tuple(L.linalg.lstsq(a, b, driver="gelsd")[:2]), [(5, 3), (5,)]),
    Case("lstsq_rank_deficient", lambda L, a, b: tuple(L.linalg.lstsq(a, b, driver="gelsd")), None, grad=False,
         inputs=lambda r: rank_deficient(r) + [r.standard_normal((5, 2))]),
    Case("lstsq_rank_deficient_gelsy", lambda L, a, b: tuple(L.linalg.lstsq(a, b)), None, grad=False,
         inputs=lambda r: rank_deficient(r) + [r.standard_normal((5, 2))], atol=1e-8),
    Case("lstsq_rcond", lambda L, a, b: tuple(L.linalg.lstsq(a, b, rcond=0.2, driver="gelss")), None, grad=False,
         inputs=lambda r: [r.standard_normal((5, 4)) @ np.diag([3.0, 2.0, 1.0, 0.1]), r.standard_normal((5, 2))]),
    # matrix functions
    Case("matrix_power_0", lambda L, a: L.linalg.matrix_power(a, 0), [(2, 3, 3)]),
    Case("matrix_power_1", lambda L, a: L.linalg.matrix_power(a, 1), [(3, 3)]),
    Case("matrix_power_3", lambda L, a: L.linalg.matrix_power(a, 3), [(3, 3)]),
    Case("matrix_power_6", lambda L, a: L.linalg.matrix_power(a, 6), [(2, 3, 3)]),
    Case("matrix_power_7", lambda L, a: L.matrix_power(a, 7), None, inputs=well(3, 3, boost=0.0)),
    Case("matrix_power_neg1", lambda L, a: L.linalg.matrix_power(a, -1), None, inputs=well(3, 3)),
    Case("matrix_power_neg5", lambda L, a: a.matrix_power(-5), None, inputs=well(3, 3)),
    Case("matrix_power_int", lambda L, a: L.linalg.matrix_power(a, 5), None, grad=False,
         inputs=lambda r: [r.integers(-3, 4, (3, 3))]),
    Case("matrix_exp", lambda L, a: L.linalg.matrix_exp(a), [(3, 3)]),
    Case("matrix_exp_batch", lambda L, a: L.matrix_exp(a), [(2, 2, 2)]),
    Case("matrix_exp_large", lambda L, a: L.linalg.matrix_exp(4 * a), [(3, 3)], rtol=1e-9),
    Case("matrix_exp_tiny", lambda L, a: L.linalg.matrix_exp(1e-4 * a), [(3, 3)]),
    Case("matrix_exp_1x1", lambda L, a: a.matrix_exp(), [(1, 1)]),
    # norms
    Case("vector_norm_2", lambda L, x: L.linalg.vector_norm(x), [(3, 4)]),
    Case("vector_norm_1_dim", lambda L, x: L.linalg.vector_norm(x, 1, dim=1), [(3, 4)]),
    Case("vector_norm_inf", lambda L, x: L.linalg.vector_norm(x, INF, dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    Case("vector_norm_neg_inf", lambda L, x: L.linalg.vector_norm(x, -INF, dim=-1), [(3, 4)]),
    Case("vector_norm_0", lambda L, x: L.linalg.vector_norm(x * (x > 0), 0, dim=0), [(3, 4)]),
    Case("vector_norm_3", lambda L, x: L.linalg.vector_norm(x, 3, dim=(0, 1)), [(3, 4)]),
    Case("vector_norm_1_5", lambda L, x: L.linalg.vector_norm(x, 1.5), [(5,)]),
    Case("vector_norm_0_5", lambda L, x: L.linalg.vector_norm(x, 0.5, dim=1, keepdim=True), [(2, 3)]),
    Case("vector_norm_neg_1", lambda L, x: L.linalg.vector_norm(x, -1, dim=1), [(2, 3)]),
    Case("vector_norm_inf_ties", lambda L, x: L.linalg.vector_norm(x, INF), None, gradcheck=False,
         inputs=lambda r: [np.array([1.0, -3.0, 3.0, 2.0])]),
    Case("vector_norm_zero_vector", lambda L, x: (L.linalg.vector_norm(x * 0, 2), L.linalg.vector_norm(x * 0, 3),
                                                 L.linalg.vector_norm(x * 0, 1.5)), [(4,)], gradcheck=False),
    Case("vector_norm_dtype", lambda L, x: L.linalg.vector_norm(x.float(), dtype=L.float64), [(3,)], grad=False),
    Case("matrix_norm_fro", lambda L, a: L.linalg.matrix_norm(a), [(2, 3, 4)]),
    Case("matrix_norm_nuc", lambda L, a: L.linalg.matrix_norm(a, "nuc"), [(2, 3, 4)]),
    Case("matrix_norm_2", lambda L, a: L.linalg.matrix_norm(a, 2), [(3, 4)]),
    Case("matrix_norm_neg2", lambda L, a: L.linalg.matrix_norm(a, -2), [(4, 3)]),
    Case("matrix_norm_1", lambda L, a: L.linalg.matrix_norm(a, 1), [(2, 3, 4)]),
    Case("matrix_norm_neg1", lambda L, a: L.linalg.matrix_norm(a, -1), [(3, 4)]),
    Case("matrix_norm_inf", lambda L, a: L.linalg.matrix_norm(a, INF), [(2, 3, 4)]),
    Case("matrix_norm_neg_inf", lambda L, a: L.linalg.matrix_norm(a, -INF), [(3, 4)]),
    Case("matrix_norm_dims_keepdim", lambda L, a: tuple(L.linalg.matrix_norm(a, o, dim=(2, 0), keepdim=True)
                                                         for o in ("fro", "nuc", 2, -1, INF)), [(3, 2, 4)]),
    Case("matrix_norm_dims", lambda L, a: tuple(L.linalg.matrix_norm(a, o, dim=(0, 2)) for o in (1, -INF, -2)),
         [(3, 2, 4)]),
    Case("norm_default", lambda L, a: L.linalg.norm(a), [(2, 3, 4)]),
    Case("norm_matrix", lambda L, a: (L.linalg.norm(a, 2), L.linalg.norm(a, "fro"), L.linalg.norm(a, 1)), [(3, 4)]),
    Case("norm_vector", lambda L, x: (L.linalg.norm(x, 3), L.linalg.norm(x, INF)), [(5,)]),
    Case("norm_dims", lambda L, a: (L.linalg.norm(a, 1, dim=(1, 2)), L.linalg.norm(a, 4, dim=1, keepdim=True)),
         [(2, 3, 4)]),
    Case("cond", lambda L, a: tuple(L.linalg.cond(a, p) for p in (None, 2, -2)), [(2, 4, 3)]),
    # torch's cond writes into the inverse in place and cannot differentiate these orders: values only
    Case("cond_square", lambda L, a: tuple(L.linalg.cond(a, p) for p in (1, -1, INF, -INF, "fro", "nuc")), None,
         inputs=well(3, 3, boost=1.0), grad=False),
    Case("cond_singular", lambda L, a: tuple(L.linalg.cond(a, p) for p in (1, "fro", None, -2)), None, grad=False,
         inputs=lambda r: [np.stack([np.diag([1.0, 0.0, 2.0]), np.eye(3)])]),
    # LU
    Case("lu_factor", lambda L, a: tuple(L.linalg.lu_factor(a)), None, inputs=lu_inputs(3, 3)),
    Case("lu_factor_tall", lambda L, a: tuple(L.linalg.lu_factor(a)), None, inputs=lu_inputs(2, 5, 3)),
    Case("lu_factor_wide", lambda L, a: tuple(L.linalg.lu_factor(a)), None, inputs=lu_inputs(3, 5)),
    Case("lu_factor_ex", lambda L, a: tuple(L.linalg.lu_factor_ex(a)), None, inputs=lu_inputs(2, 4, 4)),
    Case("lu", lambda L, a: tuple(L.linalg.lu(a)), None, inputs=lu_inputs(4, 4)),
    Case("lu_tall", lambda L, a: tuple(L.linalg.lu(a)), None, inputs=lu_inputs(5, 3)),
    Case("lu_wide", lambda L, a: tuple(L.linalg.lu(a)), None, inputs=lu_inputs(2, 3, 5)),
    Case("lu_l_only", lambda L, a: L.linalg.lu(a).L, None, inputs=lu_inputs(5, 3)),
    Case("lu_u_only", lambda L, a: L.linalg.lu(a).U, None, inputs=lu_inputs(3, 5)),
    Case("lu_torch", lambda L, a: tuple(L.lu(a, get_infos=True)), None, inputs=lu_inputs(3, 3)),
    Case("lu_torch_method", lambda L, a: a.lu()[0], None, inputs=lu_inputs(3, 3)),
    Case("lu_unpack", lambda L, a: tuple(L.lu_unpack(*L.linalg.lu_factor(a))), None, inputs=lu_inputs(4, 3)),
    Case("lu_unpack_parts", lambda L, a: (L.lu_unpack(*L.linalg.lu_factor(a), unpack_data=False).P,
                                          L.lu_unpack(*L.linalg.lu_factor(a), unpack_pivots=False).L),
         None, inputs=lu_inputs(3, 4)),
    Case("lu_solve", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b), None,
         inputs=arrays(conditioned(3, 3), normal(3, 2))),
    Case("lu_solve_adjoint", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, adjoint=True), None,
         inputs=arrays(conditioned(2, 3, 3), normal(3, 2))),
    Case("lu_solve_right", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, left=False), None,
         inputs=arrays(conditioned(3, 3), normal(2, 3))),
    Case("lu_solve_right_adjoint", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, left=False,
                                                                    adjoint=True), None,
         inputs=arrays(conditioned(2, 3, 3), normal(2, 4, 3))),
    Case("lu_solve_factors", lambda L, lu, b: L.linalg.lu_solve(lu, L.tensor([2, 3, 3], dtype=L.int32), b), None,
         inputs=arrays(conditioned(3, 3), normal(3, 2))),
    Case("lu_solve_factors_adjoint", lambda L, lu, b: L.linalg.lu_solve(lu, L.tensor([3, 2, 3], dtype=L.int32), b,
                                                                       adjoint=True), None,
         inputs=arrays(conditioned(3, 3), normal(3, 2))),
    Case("lu_solve_torch", lambda L, b, a: L.lu_solve(b, *L.linalg.lu_factor(a)), None,
         inputs=arrays(normal(3, 1), conditioned(3, 3))),
    Case("lu_solve_large", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b), None, gradcheck=False,
         inputs=arrays(conditioned(40, 40, boost=8.0), normal(40, 3))),
    # Householder products
    Case("householder_product", lambda L, a, tau: L.linalg.householder_product(a, tau), None,
         inputs=geqrf_inputs(4, 3)),
    Case("householder_product_batch", lambda L, a, tau: L.linalg.householder_product(a, tau[..., :2]), None,
         inputs=geqrf_inputs(3, 3, (2,))),
    Case("orgqr", lambda L, a, tau: L.orgqr(a, tau), None, inputs=geqrf_inputs(3, 2)),
    Case("ormqr_left", lambda L, a, tau, c: L.ormqr(a, tau, c), None,
         inputs=lambda r: geqrf_inputs(4, 3)(r) + [r.standard_normal((4, 2))]),
    Case("ormqr_left_t", lambda L, a, tau, c: L.ormqr(a, tau, c, transpose=True), None,
         inputs=lambda r: geqrf_inputs(4, 3)(r) + [r.standard_normal((4, 2))]),
    Case("ormqr_right", lambda L, a, tau, c: a.ormqr(tau, c, left=False), None,
         inputs=lambda r: geqrf_inputs(4, 3)(r) + [r.standard_normal((2, 4))]),
    Case("ormqr_right_t", lambda L, a, tau, c: L.ormqr(a, tau, c, left=False, transpose=True), None,
         inputs=lambda r: geqrf_inputs(4, 3)(r) + [r.standard_normal((2, 4))]),
    Case("geqrf", lambda L, a: tuple(L.geqrf(a)), [(2, 4, 3)], grad=False),
    # tensor forms, products, views
    Case("tensorinv", lambda L, a: L.linalg.tensorinv(a.reshape(4, 2, 2), ind=1), None, inputs=well(4, 4)),
    Case("tensorinv_2", lambda L, a: L.linalg.tensorinv(a.reshape(2, 3, 6), ind=2), None, inputs=well(6, 6)),
    Case("tensorsolve", lambda L, a, b: L.linalg.tensorsolve(a.reshape(2, 3, 6), b), None,
         inputs=arrays(conditioned(6, 6), normal(2, 3))),
    Case("tensorsolve_dims", lambda L, a, b: L.linalg.tensorsolve(a.reshape(2, 3, 2, 3).permute(0, 2, 1, 3), b,
                                                                   dims=(1,)), None,
         inputs=arrays(conditioned(6, 6), normal(2, 3))),
    Case("cross", lambda L, a, b: L.linalg.cross(a, b), [(4, 3), (4, 3)]),
    Case("cross_broadcast_dim", lambda L, a, b: L.linalg.cross(a, b, dim=1), [(2, 3, 4), (1, 3, 4)]),
    Case("cross_int", lambda L, a, b: L.linalg.cross(a, b), None, grad=False,
         inputs=lambda r: [r.integers(-5, 5, (2, 3)), r.integers(-5, 5, (2, 3))]),
    Case("vecdot", lambda L, a, b: L.linalg.vecdot(a, b), [(3, 4), (4,)]),
    Case("vecdot_dim", lambda L, a, b: L.linalg.vecdot(a, b, dim=0), [(3, 4), (3, 1)]),
    Case("linalg_matmul", lambda L, a, b: L.linalg.matmul(a, b), [(2, 3, 4), (4, 2)]),
    Case("multi_dot_2", lambda L, a, b: L.linalg.multi_dot([a, b]), [(3, 4), (4, 2)]),
    Case("multi_dot_3", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [(2, 5), (5, 3), (3, 4)]),
    Case("multi_dot_3_other_order", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [(6, 2), (2, 5), (5, 1)]),
    Case("multi_dot_5_vectors", lambda L, a, b, c, d, e: L.linalg.multi_dot([a, b, c, d, e]),
         [(3,), (3, 6), (6, 2), (2, 5), (5,)]),
    Case("multi_dot_4", lambda L, a, b, c, d: L.linalg.multi_dot((a, b, c, d)), [(4, 1), (1, 5), (5, 2), (2, 3)]),
    Case("linalg_diagonal", lambda L, a: L.linalg.diagonal(a, offset=1), [(2, 3, 4)]),
    Case("linalg_diagonal_dims", lambda L, a: L.linalg.diagonal(a, dim1=0, dim2=2), [(3, 2, 4)]),
    Case("vander", lambda L, x: L.linalg.vander(x), [(3,)]),
    Case("vander_batch_N", lambda L, x: L.linalg.vander(x, N=5), [(2, 3)]),
    Case("vander_zeros", lambda L, x: L.linalg.vander(x * L.tensor([0.0, 1.0, 0.0], dtype=x.dtype), N=4), [(3,)],
         gradcheck=False),
    Case("vander_int", lambda L, x: L.linalg.vander(x, N=4), None, grad=False,
         inputs=lambda r: [r.integers(-3, 4, (2, 3))]),
    # Tensor methods and npgrad.<name> forms of the rest
    Case("det_method", lambda L, a: (a.det(), L.det(a), a.logdet(), *a.slogdet()), None, inputs=well(3, 3)),
    # empty and 1x1 stacks (values)
    Case("empty_stacks", lambda L, a, b: (L.linalg.det(a), L.linalg.inv(a), L.linalg.slogdet(a).logabsdet,
                                          L.linalg.matrix_exp(a), L.linalg.svdvals(b), L.linalg.qr(b).R,
                                          L.linalg.pinv(b), L.linalg.eigvalsh(a), L.linalg.cholesky(a),
                                          L.linalg.lu_factor(b).LU, L.linalg.matrix_norm(b, 2),
                                          L.linalg.cond(a), L.linalg.lstsq(b, b.new_zeros(3, 2)).solution),
         None, grad=False, inputs=lambda r: [np.zeros((2, 0, 0)), np.zeros((3, 0))]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_linalg(case):
    check_case(case, golden)


# --------------------------------------------------------------------------- float32 values

F32_CASES = [
    Case("f32/det", lambda L, a: L.linalg.det(a), None, inputs=f32(well(2, 3, 3, boost=0)), rtol=1e-5, atol=1e-6),
    Case("f32/slogdet", lambda L, a: tuple(L.linalg.slogdet(a)), None, inputs=f32(well(3, 3)), rtol=1e-5,
         atol=1e-6),
    Case("f32/inv", lambda L, a: L.linalg.inv(a), None, inputs=f32(well(2, 3, 3)), rtol=1e-5, atol=1e-6),
    Case("f32/solve", lambda L, a, b: L.linalg.solve(a, b), None, inputs=f32(arrays(conditioned(3, 3), normal(3))),
         rtol=1e-5, atol=1e-6),
    Case("f32/solve_triangular", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True), None,
         inputs=f32(arrays(conditioned(3, 3), normal(3, 2))), rtol=1e-5, atol=1e-6),
    Case("f32/cholesky", lambda L, a: L.linalg.cholesky(spd(L, a)), None, inputs=f32(arrays(normal(3, 3))),
         rtol=1e-5, atol=1e-6),
    Case("f32/qr", lambda L, a: tuple(L.linalg.qr(a)), None, inputs=f32(arrays(normal(4, 3))), rtol=1e-5,
         atol=1e-6),
    Case("f32/eigh", lambda L, a: eigh_view(L, a), None, inputs=f32(arrays(normal(3, 3))), rtol=1e-4, atol=1e-5),
    Case("f32/svd", svd_view, None, inputs=f32(arrays(normal(3, 4))), rtol=1e-4, atol=1e-5),
    Case("f32/pinv", lambda L, a: L.linalg.pinv(a), None, inputs=f32(arrays(normal(4, 3))), rtol=1e-4, atol=1e-5),
    Case("f32/lstsq", lambda L, a, b: L.linalg.lstsq(a, b).solution, None,
         inputs=f32(arrays(normal(5, 3), normal(5, 2))), rtol=1e-4, atol=1e-5),
    Case("f32/matrix_exp", lambda L, a: L.linalg.matrix_exp(a), None, inputs=f32(arrays(normal(2, 3, 3))),
         rtol=1e-5, atol=1e-6),
    Case("f32/matrix_power", lambda L, a: L.linalg.matrix_power(a, -2), None, inputs=f32(well(3, 3)), rtol=1e-5,
         atol=1e-6),
    Case("f32/norms", lambda L, a: (L.linalg.vector_norm(a, 3), L.linalg.matrix_norm(a, "nuc"),
                                    L.linalg.matrix_norm(a, -INF), L.linalg.cond(a)), None,
         inputs=f32(arrays(normal(3, 4))), rtol=1e-5, atol=1e-6),
    Case("f32/lu", lambda L, a: tuple(L.linalg.lu(a)), None, inputs=f32(lu_inputs(4, 3)), rtol=1e-5, atol=1e-6),
    Case("f32/lu_solve", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b), None,
         inputs=f32(arrays(conditioned(3, 3), normal(3, 2))), rtol=1e-5, atol=1e-6),
    Case("f32/cholesky_solve", lambda L, b, a: L.cholesky_solve(b, L.linalg.cholesky(spd(L, a))), None,
         inputs=f32(arrays(normal(3, 2), normal(3, 3))), rtol=1e-5, atol=1e-6),
    Case("f32/householder", lambda L, a, tau: L.linalg.householder_product(a, tau), None,
         inputs=f32(geqrf_inputs(4, 3)), rtol=1e-5, atol=1e-6),
]


@pytest.mark.parametrize("case", F32_CASES, ids=[c.name for c in F32_CASES])
def test_linalg_float32(case):
    check_case(case, golden)


F32_GRADS = {
    "det": lambda L, a: L.linalg.det(a),
    "inv": lambda L, a: L.linalg.inv(a),
    "solve": lambda L, a: L.linalg.solve(a, a[..., :1]),
    "cholesky": lambda L, a: L.linalg.cholesky(spd(L, a)),
    "qr": lambda L, a: L.linalg.qr(a).R,
    "eigvalsh": lambda L, a: L.linalg.eigvalsh(sym(L, a)),
    "svdvals": lambda L, a: L.linalg.svdvals(a),
    "pinv": lambda L, a: L.linalg.pinv(a),
    "matrix_exp": lambda L, a: L.linalg.matrix_exp(a),
    "lu_factor": lambda L, a: L.linalg.lu_factor(a).LU,
    "vector_norm": lambda L, a: L.linalg.vector_norm(a, 3, dim=-1),
}


@pytest.mark.parametrize("name", list(F32_GRADS))
def test_float32_gradients(name):
    """float32 inputs get float32 gradients, close to the float64 ones."""
    a = np.random.default_rng(7).standard_normal((2, 3, 3)) + 3 * np.eye(3)
    grads = []
    for dt in (npgrad.float32, npgrad.float64):
        x = npgrad.tensor(a, dtype=dt, requires_grad=True)
        out = F32_GRADS[name](npgrad, x)
        assert out.dtype == dt
        (out * npgrad.linspace(0.5, 1.5, out.numel()).to(dt).reshape(out.shape)).sum().backward()
        assert x.grad.dtype == dt
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-3, atol=1e-4)


# --------------------------------------------------------------------------- errors (type and message as torch's)


SING = [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
NOT_PD = [[1.0, 2.0], [2.0, 1.0]]


ERRORS = {
    "inv_not_square": lambda L: L.linalg.inv(L.ones(3, 4)),
    "inv_1d": lambda L: L.linalg.inv(L.ones(3)),
    "inv_int": lambda L: L.linalg.inv(L.ones(3, 3, dtype=L.int64)),
    "inv_half": lambda L: L.linalg.inv(L.ones(3, 3, dtype=L.float16)),
    "inv_singular": lambda L: L.linalg.inv(L.tensor(SING)),
    "inv_singular_batch": lambda L: L.linalg.inv(L.stack([L.eye(3), L.tensor(SING)])),
    "inv_ex_check": lambda L: L.linalg.inv_ex(L.tensor(SING), check_errors=True),
    "inverse_singular": lambda L: L.inverse(L.tensor(SING)),
    "det_not_square": lambda L: L.linalg.det(L.ones(3, 4)),
    "det_int": lambda L: L.linalg.det(L.ones(3, 3, dtype=L.int64)),
    "slogdet_1d": lambda L: L.linalg.slogdet(L.ones(3)),
    "logdet_not_square": lambda L: L.logdet(L.ones(3, 4)),
    "solve_singular": lambda L: L.linalg.solve(L.tensor(SING), L.ones(3)),
    "solve_singular_batch": lambda L: L.linalg.solve(L.stack([L.eye(3), L.tensor(SING)]), L.ones(2, 3)),
    "solve_ex_check": lambda L: L.linalg.solve_ex(L.tensor(SING), L.ones(3), check_errors=True),
    "solve_dtype": lambda L: L.linalg.solve(L.eye(3), L.ones(3, dtype=L.float64)),
    "solve_shape": lambda L: L.linalg.solve(L.eye(3), L.ones(4, 2)),
    "solve_shape_vector": lambda L: L.linalg.solve(L.eye(3), L.ones(4)),
    "solve_right_vector": lambda L: L.linalg.solve(L.eye(3), L.ones(3), left=False),
    "solve_right_1x1_vector": lambda L: L.linalg.solve(L.ones(3, 1, 1), L.ones(3, 1), left=False),
    "solve_int": lambda L: L.linalg.solve(L.ones(3, 3, dtype=L.int64), L.ones(3, dtype=L.int64)),
    "solve_1d": lambda L: L.linalg.solve(L.ones(3), L.ones(3)),
    "solve_triangular_1d_b": lambda L: L.linalg.solve_triangular(L.eye(3), L.ones(3), upper=True),
    "solve_triangular_shape": lambda L: L.linalg.solve_triangular(L.eye(3), L.ones(4, 2), upper=True),
    "solve_triangular_shape_right": lambda L: L.linalg.solve_triangular(L.eye(3), L.ones(4, 2), upper=True,
                                                                        left=False),
    "solve_triangular_int": lambda L: L.linalg.solve_triangular(L.ones(3, 3, dtype=L.int64),
                                                                L.ones(3, 2, dtype=L.int64), upper=True),
    "cholesky_not_pd": lambda L: L.linalg.cholesky(L.tensor(NOT_PD)),
    "cholesky_not_pd_batch": lambda L: L.linalg.cholesky(L.stack([L.eye(2), L.tensor(NOT_PD)])),
    "cholesky_not_pd_order3": lambda L: L.linalg.cholesky(L.tensor([[4.0, 2, 0], [2, 5, 3], [0, 3, 1]]),
                                                          upper=True),
    "cholesky_ex_check": lambda L: L.linalg.cholesky_ex(L.tensor(NOT_PD), check_errors=True),
    "cholesky_torch_not_pd": lambda L: L.cholesky(L.tensor(NOT_PD)),
    "cholesky_not_square": lambda L: L.linalg.cholesky(L.ones(3, 4)),
    "cholesky_int": lambda L: L.linalg.cholesky(L.ones(3, 3, dtype=L.int64)),
    "cholesky_torch_int": lambda L: L.cholesky(L.ones(3, 3, dtype=L.int64)),
    "cholesky_solve_1d": lambda L: L.cholesky_solve(L.ones(3), L.eye(3)),
    "cholesky_solve_shape": lambda L: L.cholesky_solve(L.ones(4, 2), L.eye(3)),
    "cholesky_solve_dtype": lambda L: L.cholesky_solve(L.ones(3, 2), L.eye(3, dtype=L.float64)),
    "cholesky_solve_not_square": lambda L: L.cholesky_solve(L.ones(3, 2), L.ones(3, 4)),
    "cholesky_inverse_1d": lambda L: L.cholesky_inverse(L.ones(3)),
    "cholesky_inverse_int": lambda L: L.cholesky_inverse(L.ones(3, 3, dtype=L.int64)),
    "qr_mode": lambda L: L.linalg.qr(L.ones(3, 3), mode="foo"),
    "qr_int": lambda L: L.linalg.qr(L.ones(3, 3, dtype=L.int64)),
    "qr_1d": lambda L: L.linalg.qr(L.ones(3)),
    "qr_r_backward": lambda L: L.linalg.qr(L.ones(3, 3, requires_grad=True), mode="r").R.sum().backward(),
    "qr_complete_backward": lambda L: L.linalg.qr(L.ones(4, 3, requires_grad=True),
                                                  mode="complete").Q.sum().backward(),
    "eigh_int": lambda L: L.linalg.eigh(L.ones(3, 3, dtype=L.int64)),
    "eigh_uplo": lambda L: L.linalg.eigh(L.eye(3), UPLO="X"),
    "eigh_not_square": lambda L: L.linalg.eigh(L.ones(3, 4)),
    "eigvalsh_int": lambda L: L.linalg.eigvalsh(L.ones(3, 3, dtype=L.int64)),
    "svd_int": lambda L: L.linalg.svd(L.ones(3, 3, dtype=L.int64)),
    "svd_1d": lambda L: L.linalg.svd(L.ones(3)),
    "svd_driver": lambda L: L.linalg.svd(L.ones(3, 3), driver="gesvd"),
    "svdvals_int": lambda L: L.linalg.svdvals(L.ones(3, 3, dtype=L.int64)),
    "pinv_int": lambda L: L.linalg.pinv(L.ones(3, 3, dtype=L.int64)),
    "pinv_1d": lambda L: L.linalg.pinv(L.ones(3)),
    "matrix_rank_int": lambda L: L.linalg.matrix_rank(L.ones(3, 3, dtype=L.int64)),
    "matrix_rank_1d": lambda L: L.linalg.matrix_rank(L.ones(3)),
    "lstsq_shape": lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(4, 2)),
    "lstsq_driver": lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(5, 2), driver="foo"),
    "lstsq_dtype": lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(5, 2, dtype=L.float64)),
    "lstsq_1d": lambda L: L.linalg.lstsq(L.ones(5), L.ones(5)),
    "lstsq_int": lambda L: L.linalg.lstsq(L.ones(3, 3, dtype=L.int64), L.ones(3, 3, dtype=L.int64)),
    "matrix_power_not_square": lambda L: L.linalg.matrix_power(L.ones(3, 4), 2),
    "matrix_power_1d": lambda L: L.linalg.matrix_power(L.ones(3), 2),
    "matrix_power_float_n": lambda L: L.linalg.matrix_power(L.eye(3), 1.5),
    "matrix_power_int_negative": lambda L: L.linalg.matrix_power(L.ones(3, 3, dtype=L.int64), -1),
    "matrix_power_singular": lambda L: L.matrix_power(L.tensor(SING), -2),
    "matrix_exp_int": lambda L: L.linalg.matrix_exp(L.ones(3, 3, dtype=L.int64)),
    "matrix_exp_not_square": lambda L: L.linalg.matrix_exp(L.ones(3, 4)),
    "vector_norm_int": lambda L: L.linalg.vector_norm(L.ones(3, dtype=L.int64)),
    "vector_norm_str": lambda L: L.linalg.vector_norm(L.ones(3), "fro"),
    "vector_norm_empty_inf": lambda L: L.linalg.vector_norm(L.ones(0, 3), INF),
    "vector_norm_empty_neg": lambda L: L.linalg.vector_norm(L.ones(0), -1),
    "vector_norm_empty_dim": lambda L: L.linalg.vector_norm(L.ones(0, 3), -INF, dim=0),
    "vector_norm_dtype_narrow": lambda L: L.linalg.vector_norm(L.ones(3, dtype=L.float64), dtype=L.float32),
    "vector_norm_dtype_int": lambda L: L.linalg.vector_norm(L.ones(3), dtype=L.int64),
    "vector_norm_dim_range": lambda L: L.linalg.vector_norm(L.ones(3), 2, dim=5),
    "matrix_norm_order": lambda L: L.linalg.matrix_norm(L.ones(3, 3), 3),
    "matrix_norm_order_str": lambda L: L.linalg.matrix_norm(L.ones(3, 3), "foo"),
    "matrix_norm_1d": lambda L: L.linalg.matrix_norm(L.ones(3)),
    "matrix_norm_int": lambda L: L.linalg.matrix_norm(L.ones(3, 3, dtype=L.int64)),
    "matrix_norm_same_dims": lambda L: L.linalg.matrix_norm(L.ones(3, 3), dim=(1, 1)),
    "matrix_norm_three_dims": lambda L: L.linalg.matrix_norm(L.ones(3, 3, 3), dim=(0, 1, 2)),
    "norm_3d_ord": lambda L: L.linalg.norm(L.ones(2, 3, 3), 2),
    "norm_dim_length": lambda L: L.linalg.norm(L.ones(3, 3, 3), dim=(0, 1, 2)),
    "norm_str_1d": lambda L: L.linalg.norm(L.ones(3), "fro"),
    "norm_order": lambda L: L.linalg.norm(L.ones(3, 3), 3.5),
    "cond_order": lambda L: L.linalg.cond(L.ones(3, 3), "foo"),
    "cond_order_3": lambda L: L.linalg.cond(L.ones(3, 3), 3),
    "cond_1d": lambda L: L.linalg.cond(L.ones(3)),
    "cond_fro_1d": lambda L: L.linalg.cond(L.ones(3), "fro"),
    "cond_1_not_square": lambda L: L.linalg.cond(L.ones(3, 4), 1),
    "cond_inf_not_square": lambda L: L.linalg.cond(L.ones(3, 4), INF),
    "cond_int": lambda L: L.linalg.cond(L.ones(3, 3, dtype=L.int64)),
    "lu_factor_singular": lambda L: L.linalg.lu_factor(L.tensor(SING)),
    "lu_factor_singular_batch": lambda L: L.linalg.lu_factor(L.stack([L.eye(3), L.tensor(SING)])),
    "lu_factor_ex_check": lambda L: L.linalg.lu_factor_ex(L.tensor(SING), check_errors=True),
    "lu_factor_no_pivot": lambda L: L.linalg.lu_factor(L.eye(3), pivot=False),
    "lu_no_pivot": lambda L: L.linalg.lu(L.eye(3), pivot=False),
    "lu_factor_int": lambda L: L.linalg.lu_factor(L.ones(3, 3, dtype=L.int64)),
    "lu_factor_1d": lambda L: L.linalg.lu_factor(L.ones(3)),
    "lu_solve_1d_b": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(L.eye(3)), L.ones(3)),
    "lu_solve_not_square": lambda L: L.linalg.lu_solve(L.ones(3, 4), L.tensor([1, 2, 3], dtype=L.int32),
                                                       L.ones(3, 2)),
    "lu_solve_dtype": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(L.eye(3)), L.ones(3, 2, dtype=L.float64)),
    "lu_solve_pivots_dtype": lambda L: L.linalg.lu_solve(L.eye(3), L.tensor([1, 2, 3]), L.ones(3, 2)),
    "lu_solve_shape": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(L.eye(3)), L.ones(4, 2)),
    "lu_solve_shape_right": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(L.eye(3)), L.ones(4, 2), left=False),
    "lu_unpack_pivots_dtype": lambda L: L.lu_unpack(L.eye(3), L.tensor([1, 2, 3])),
    "lu_unpack_pivots_range": lambda L: L.lu_unpack(L.eye(3), L.tensor([1, 5, 3], dtype=L.int32)),
    "triangular_solve_1d": lambda L: L.triangular_solve(L.ones(3), L.eye(3)),
    "triangular_solve_not_square": lambda L: L.triangular_solve(L.ones(3, 2), L.ones(3, 4)),
    "triangular_solve_shape": lambda L: L.triangular_solve(L.ones(4, 2), L.eye(3)),
    "triangular_solve_dtype": lambda L: L.triangular_solve(L.ones(3, 2), L.eye(3, dtype=L.float64)),
    "triangular_solve_int": lambda L: L.triangular_solve(L.ones(3, 2, dtype=L.int64), L.ones(3, 3, dtype=L.int64)),
    "householder_wide": lambda L: L.linalg.householder_product(L.ones(3, 4), L.ones(2)),
    "householder_tau": lambda L: L.linalg.householder_product(L.ones(4, 3), L.ones(4)),
    "householder_tau_ndim": lambda L: L.linalg.householder_product(L.ones(4, 3), L.ones(2, 3)),
    "householder_batch": lambda L: L.linalg.householder_product(L.ones(2, 4, 3), L.ones(3, 3)),
    "householder_dtype": lambda L: L.linalg.householder_product(L.ones(4, 3), L.ones(3, dtype=L.float64)),
    "householder_int": lambda L: L.linalg.householder_product(L.ones(4, 3, dtype=L.int64),
                                                              L.ones(3, dtype=L.int64)),
    "householder_1d": lambda L: L.linalg.householder_product(L.ones(4), L.ones(3)),
    "ormqr_shape": lambda L: L.ormqr(L.ones(4, 3), L.ones(3), L.ones(5, 2)),
    "ormqr_tau": lambda L: L.ormqr(L.ones(4, 3), L.ones(4), L.ones(4, 2)),
    "geqrf_1d": lambda L: L.geqrf(L.ones(3)),
    "geqrf_int": lambda L: L.geqrf(L.ones(3, 3, dtype=L.int64)),
    "geqrf_backward": lambda L: L.geqrf(L.ones(3, 3, requires_grad=True))[0].sum().backward(),
    "tensorinv_ind": lambda L: L.linalg.tensorinv(L.ones(4, 4), ind=0),
    "tensorinv_shape": lambda L: L.linalg.tensorinv(L.ones(4, 6, 8, 2), ind=2),
    "tensorsolve_shape": lambda L: L.linalg.tensorsolve(L.ones(2, 3, 5), L.ones(2, 3)),
    "cross_length": lambda L: L.linalg.cross(L.ones(4), L.ones(4)),
    "cross_ndim": lambda L: L.linalg.cross(L.ones(2, 3), L.ones(3)),
    "cross_dtype": lambda L: L.linalg.cross(L.ones(3), L.ones(3, dtype=L.float64)),
    "cross_shapes_before_dtype": lambda L: L.linalg.cross(L.ones(2, 3), L.ones(4, 3, dtype=L.float64)),
    "vecdot_int": lambda L: L.linalg.vecdot(L.ones(3, dtype=L.int64), L.ones(3, dtype=L.int64)),
    "vecdot_dtype": lambda L: L.linalg.vecdot(L.ones(3), L.ones(3, dtype=L.float64)),
    "multi_dot_one": lambda L: L.linalg.multi_dot([L.ones(3, 3)]),
    "multi_dot_first_3d": lambda L: L.linalg.multi_dot([L.ones(2, 3, 3), L.ones(3, 3)]),
    "multi_dot_last_3d": lambda L: L.linalg.multi_dot([L.ones(3, 3), L.ones(2, 3, 3)]),
    "multi_dot_middle_1d": lambda L: L.linalg.multi_dot([L.ones(3, 3), L.ones(3), L.ones(3, 3)]),
    "multi_dot_shapes": lambda L: L.linalg.multi_dot([L.ones(3, 3), L.ones(4, 3)]),
    "multi_dot_dtype": lambda L: L.linalg.multi_dot([L.ones(3, 3), L.ones(3, 3, dtype=L.float64)]),
    "vander_bool": lambda L: L.linalg.vander(L.tensor([True, False])),
    "vander_0d": lambda L: L.linalg.vander(L.tensor(2.0)),
    "diagonal_1d": lambda L: L.linalg.diagonal(L.ones(3)),
}


def _first_line(message):
    return message.split("\n")[0].replace("torch.", "npgrad.")


def _error(lib, call):
    return error_of(lib, call, _first_line)


@pytest.mark.parametrize("key", list(ERRORS))
def test_errors_match_torch(key):
    expected = golden.json(f"error/{key}", lambda: _error(__import__("torch"), ERRORS[key]))
    assert expected[0] != "no error"
    assert _error(npgrad, ERRORS[key]) == expected


def test_linalg_error_is_a_runtime_error():
    assert issubclass(npgrad.linalg.LinAlgError, RuntimeError)
    with pytest.raises(npgrad.linalg.LinAlgError, match=r"\(Batch element 1\): The diagonal element 2 is zero"):
        npgrad.linalg.inv(npgrad.stack([npgrad.eye(3), npgrad.tensor(SING)]))


# --------------------------------------------------------------------------- *_ex info, structure, names


def test_ex_functions_report_info():
    A = npgrad.stack([npgrad.eye(3), npgrad.tensor(SING)])
    ref = golden("ex_info", lambda: [np.asarray(t.numpy()) for t in _ex_infos(__import__("torch"))])
    got = [t.numpy() for t in _ex_infos(npgrad)]
    for g, r in zip(got, ref):
        assert g.dtype == r.dtype and np.array_equal(g, r)
    inverse, info = npgrad.linalg.inv_ex(A)
    assert np.array_equal(inverse[0].numpy(), np.eye(3))   # the regular matrix is still inverted


def _ex_infos(L):
    A = L.stack([L.eye(3), L.tensor(SING)])
    return [L.linalg.inv_ex(A).info, L.linalg.solve_ex(A, L.ones(2, 3)).info,
            L.linalg.cholesky_ex(L.stack([L.eye(2), L.tensor(NOT_PD)])).info, L.linalg.lu_factor_ex(A).info,
            L.lu(A, get_infos=True).info, L.linalg.cholesky_ex(L.tensor([[4.0, 2, 0], [2, 5, 3], [0, 3, 1]])).info]


def test_return_types_and_fields():
    assert _return_types(npgrad) == golden.json("return_types", lambda: _return_types(__import__("torch")))
    assert type(npgrad.lu(npgrad.eye(3) + 0.1)) is tuple


def _return_types(L):
    A = L.eye(3) + 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fields = {
            "slogdet": L.linalg.slogdet(A), "inv_ex": L.linalg.inv_ex(A),
            "solve_ex": L.linalg.solve_ex(A, A), "cholesky_ex": L.linalg.cholesky_ex(A),
            "qr": L.linalg.qr(A), "eigh": L.linalg.eigh(A), "svd": L.linalg.svd(A),
            "lstsq": L.linalg.lstsq(A, A), "lu": L.linalg.lu(A), "lu_factor": L.linalg.lu_factor(A),
            "lu_factor_ex": L.linalg.lu_factor_ex(A), "lu_unpack": L.lu_unpack(*L.linalg.lu_factor(A)),
            "torch_slogdet": L.slogdet(A), "torch_qr": L.qr(A), "torch_svd": L.svd(A),
            "triangular_solve": L.triangular_solve(A, A), "geqrf": L.geqrf(A),
            "torch_lu": L.lu(A, get_infos=True),
        }
    return {k: [type(v).__name__, list(type(v).__match_args__)] for k, v in fields.items()}


def test_namespace_matches_torch():
    names = golden.json("namespace", lambda: sorted(n for n in dir(__import__("torch").linalg)
                                                    if not n.startswith("_") and n != "common_notes"))
    assert sorted(n for n in npgrad.linalg.__all__) == names
    for name in ("det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "qr",
                 "svd", "pinverse", "matrix_power", "matrix_exp", "lu_solve", "lu_unpack", "triangular_solve",
                 "lu", "geqrf", "orgqr", "ormqr"):
        assert callable(getattr(npgrad, name)), name
    for name in ("det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "qr",
                 "svd", "pinverse", "matrix_power", "matrix_exp", "lu_solve", "triangular_solve", "lu", "geqrf",
                 "orgqr", "ormqr"):
        assert callable(getattr(npgrad.Tensor, name)), name


def _grad_fn_names(L):
    a = L.eye(3, dtype=L.float64, requires_grad=True) * 2 + L.ones(3, 3, dtype=L.float64)
    s = a @ a.mT
    lu = L.linalg.lu_factor(a)
    outs = [L.linalg.det(a), L.linalg.slogdet(a).logabsdet, L.linalg.inv(a), L.linalg.solve(a, a),
            L.linalg.solve_triangular(a, a, upper=True), L.linalg.cholesky(s), L.linalg.qr(a).R,
            L.linalg.eigh(s).eigenvectors, L.linalg.eigvalsh(s), L.linalg.svd(a).S, L.linalg.svdvals(a),
            L.linalg.pinv(a), L.linalg.lstsq(a, a).solution, L.linalg.matrix_exp(a), lu.LU,
            L.linalg.lu_solve(*lu, a), L.linalg.vector_norm(a, 3), L.cholesky_solve(a, s), L.cholesky_inverse(s)]
    return [o.grad_fn.name() for o in outs]


def test_grad_fn_names_match_torch():
    assert _grad_fn_names(npgrad) == golden.json("grad_fn_names", lambda: _grad_fn_names(__import__("torch")))


def test_complex_and_ldl_are_reported_missing():
    A = npgrad.eye(3)
    for fn in (npgrad.linalg.eig, npgrad.linalg.eigvals):
        with pytest.raises(NotImplementedError, match="no complex dtype"):
            fn(A)
    for fn in (npgrad.linalg.ldl_factor, npgrad.linalg.ldl_factor_ex):
        with pytest.raises(NotImplementedError, match="LDL"):
            fn(A)
    with pytest.raises(NotImplementedError, match="LDL"):
        npgrad.linalg.ldl_solve(A, npgrad.ones(3, dtype=npgrad.int32), A)


# --------------------------------------------------------------------------- properties without a torch oracle


def test_eigh_and_svd_reconstruct():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 5, 4))
    U, S, Vh = npgrad.linalg.svd(npgrad.tensor(a), full_matrices=True)
    recon = (U[..., :, :4] * S.unsqueeze(-2)) @ Vh
    np.testing.assert_allclose(recon.numpy(), a, atol=1e-12)
    np.testing.assert_allclose((U.mT @ U).numpy(), np.broadcast_to(np.eye(5), (2, 5, 5)), atol=1e-12)
    s = a[0, :4] + a[0, :4].T
    w, V = npgrad.linalg.eigh(npgrad.tensor(s))
    np.testing.assert_allclose((V @ npgrad.diag(w) @ V.mT).numpy(), s, atol=1e-12)


def test_triangular_helpers_against_substitution():
    """The blocked triangular solve and LU (used for sizes above one block) against plain references."""
    from npgrad.ops import decomp

    rng = np.random.default_rng(4)
    for n in (1, 15, 16, 17, 50):
        A = rng.standard_normal((2, n, n)) + 4 * np.eye(n)
        B = rng.standard_normal((2, n, 3))
        for lower in (True, False):
            for unit in (False, True):
                T = np.tril(A) if lower else np.triu(A)
                if unit:
                    T = T - np.einsum("...ii->...i", T)[..., None] * np.eye(n) + np.eye(n)
                X = decomp._trsm(A, B, lower, unit)
                np.testing.assert_allclose(T @ X, B, atol=1e-10)
        LU, piv, info = decomp._getrf(A)
        Lm, Um = decomp._unpack(LU, n)
        P = decomp._perm_matrix(piv, n, A.dtype)
        np.testing.assert_allclose(P @ Lm @ Um, A, atol=1e-10)
        assert not info.any()
        np.testing.assert_allclose(decomp._getrs(LU, piv, B), np.linalg.solve(A, B), atol=1e-10)
        np.testing.assert_allclose(decomp._getrs(LU, piv, B, adjoint=True),
                                   np.linalg.solve(np.swapaxes(A, -1, -2), B), atol=1e-10)


def test_singular_solves_give_inf_or_nan_not_garbage():
    A = npgrad.tensor(SING)
    X, info = npgrad.linalg.solve_ex(A, npgrad.ones(3))
    assert int(info) == 2 and not np.isfinite(X.numpy()).all()
    inverse, info = npgrad.linalg.inv_ex(A)
    assert int(info) == 2 and not np.isfinite(inverse.numpy()).all()


def test_no_grad_paths_skip_the_vectors():
    """eigvalsh / svdvals without a gradient still give the values of the full decompositions."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((4, 4))
    s = npgrad.tensor(a + a.T)
    np.testing.assert_allclose(npgrad.linalg.eigvalsh(s).numpy(), npgrad.linalg.eigh(s)[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(npgrad.linalg.svdvals(npgrad.tensor(a)).numpy(),
                               npgrad.linalg.svd(npgrad.tensor(a))[1].numpy(), atol=1e-12)


def test_qr_signs_match_torch_on_large_inputs():
    """LAPACK's Householder QR in both: the signs of R's diagonal (hence of Q's columns) agree."""
    a = np.random.default_rng(6).standard_normal((3, 40, 30))
    Q, R = npgrad.linalg.qr(npgrad.tensor(a))
    signs = golden("qr_signs", lambda: np.sign(np.diagonal(__import__("torch").linalg.qr(
        __import__("torch").tensor(a)).R.numpy(), axis1=-2, axis2=-1)))
    assert np.array_equal(np.sign(np.diagonal(R.numpy(), axis1=-2, axis2=-1)), signs)
    np.testing.assert_allclose((Q @ R).numpy(), a, atol=1e-12)


def test_matrix_power_zero_has_zero_gradient():
    a = npgrad.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=npgrad.float64, requires_grad=True)
    out = npgrad.linalg.matrix_power(a, 0)
    assert out.requires_grad
    out.sum().backward()
    assert np.array_equal(a.grad.numpy(), np.zeros((2, 2)))
    assert np.array_equal(out.detach().numpy(), np.eye(2))
