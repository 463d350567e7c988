r"""Matrix decompositions and solvers: the differentiable primitives behind ``npgrad.linalg``.

Every op works on stacks of matrices ``(*, m, n)`` through NumPy's batched LAPACK wrappers
(``np.linalg.inv / solve / det / slogdet / cholesky / qr / eigh / svd``); what NumPy lacks is
written here on whole stacks, with Python loops over matrix columns only, never over the batch:
the LU factorisation with partial pivoting (``_getrf``, LAPACK's ``getrf``), the triangular solve
(``_trsm``), the solve from LU factors (``_getrs``) and the matrix exponential (``_expm``). The first
three run as the blocked algorithms of :mod:`npgrad.kernels.linalg` (BLAS products and compiled
loops) for float32/float64 stacks of ``KERNEL_MIN_SIZE`` elements or more; the NumPy versions here
(``*_reference``) serve smaller ones and other dtypes.

The gradients are PyTorch's (``FunctionsManual.cpp``), written with :math:`X^T` for the
adjoint since npgrad is real: e.g. ``svd_backward``, ``linalg_eig_backward`` (Hermitian case),
``linalg_qr_backward``, ``cholesky_backward``, ``linalg_det_backward``, ``pinv_backward``,
``linalg_lu_backward``, ``linalg_lu_solve_LU`` and ``norm_backward``.

Gradients can be differentiated again (``create_graph=True``), as in PyTorch: each formula is written
once against a small namespace of array functions, run with :class:`_OnArrays` (NumPy) by the op's
``backward`` and with :class:`_OnTensors` (recorded Tensor operations, the saved factors joined to the
graph) by its ``graph_backward``; the solves inside a formula are then these same ops, so every order
is available. ``geqrf`` has no derivative at all, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction as Function
from .elementwise import sgn
from .reduce import _prod_others_tensor


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (singular or not positive-definite matrix):
    ``torch.linalg.LinAlgError``, a ``RuntimeError``."""


# --------------------------------------------------------------------------- array helpers


def _mT(a):
    """The transpose of every matrix of a stack."""
    return np.swapaxes(a, -1, -2)


def _eye(n, dtype, batch=()):
    return np.broadcast_to(np.eye(n, dtype=dtype), tuple(batch) + (n, n))


def _batch_error(name, info, message, batched, error=LinAlgError):
    """The error PyTorch raises for the first failing matrix of a stack (``info`` > 0 there)."""
    flat = info.reshape(-1)
    i = int(np.flatnonzero(flat)[0])
    where = f"(Batch element {i}): " if batched else ""
    return error(f"{name}: {where}{message(int(flat[i]))}")


KERNEL_MIN_SIZE = 64   # elements of the largest operand from which the compiled kernels run
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _kernels(*arrays):
    """:mod:`npgrad.kernels.linalg` where it takes these operands (float32/float64, large enough), else None."""
    if all(a.dtype in _KERNEL_DTYPES for a in arrays) and max(a.size for a in arrays) >= KERNEL_MIN_SIZE:
        from ..kernels import linalg

        return linalg
    return None


def _trsm(A, B, lower, unit=False):
    r"""X with :math:`AX = B` for triangular ``A`` (only its lower or upper triangle is read), batched; a
    zero on the diagonal gives inf/nan as LAPACK's ``trsm`` does."""
    kernels = _kernels(A, B)
    if kernels is not None:
        return kernels.trsm(A, B, lower, unit)
    return _trsm_reference(A, B, lower, unit)


_LEAF = 32  # triangular blocks up to this order are solved by LAPACK directly


def _trsm_reference(A, B, lower, unit=False):
    """:func:`_trsm` in NumPy: blocks of half the order solved recursively, so that the work is matrix
    products."""
    n = A.shape[-1]
    if n <= _LEAF:
        return _trsm_leaf(A, B, lower, unit)
    shape = np.broadcast_shapes(A.shape[:-2], B.shape[:-2]) + B.shape[-2:]
    h = n // 2
    if lower:
        X1 = _trsm_reference(A[..., :h, :h], B[..., :h, :], True, unit)
        X2 = _trsm_reference(A[..., h:, h:], B[..., h:, :] - A[..., h:, :h] @ X1, True, unit)
    else:
        X2 = _trsm_reference(A[..., h:, h:], B[..., h:, :], False, unit)
        X1 = _trsm_reference(A[..., :h, :h], B[..., :h, :] - A[..., :h, h:] @ X2, False, unit)
    X1, X2 = np.broadcast_to(X1, shape[:-2] + X1.shape[-2:]), np.broadcast_to(X2, shape[:-2] + X2.shape[-2:])
    return np.concatenate([X1, X2], axis=-2)


def _trsm_leaf(A, B, lower, unit):
    """A small triangular solve: LAPACK's LU of an upper-triangular matrix makes no row interchange
    (every entry below the diagonal is zero), so ``np.linalg.solve`` is then back substitution; a
    lower-triangular system is turned upper by reversing the order of rows and columns."""
    T = np.tril(A) if lower else np.triu(A)
    if unit:
        np.einsum("...ii->...i", T)[...] = 1
    if lower:
        T, B = T[..., ::-1, ::-1], B[..., ::-1, :]
    try:
        X = np.linalg.solve(T, B)
    except np.linalg.LinAlgError:   # a zero on the diagonal
        X = _back_substitute(T, B)
    return X[..., ::-1, :] if lower else X


def _back_substitute(U, B):
    """Row-by-row back substitution for upper-triangular ``U`` (a zero pivot gives inf/nan)."""
    n = U.shape[-1]
    X = np.empty(np.broadcast_shapes(U.shape[:-2], B.shape[:-2]) + B.shape[-2:], np.result_type(U, B))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n - 1, -1, -1):
            r = B[..., i, :] - np.matmul(U[..., i:i + 1, i + 1:], X[..., i + 1:, :])[..., 0, :]
            X[..., i, :] = r / U[..., i, i, None]
    return X


_PANEL = 32  # columns factorised together by _getrf before the trailing update


def _getrf(A):
    """LU factorisation with partial pivoting of a stack, as LAPACK's ``getrf``.

    Returns ``(LU, pivots, info)``: L (unit diagonal, not stored) and U packed in one array, the
    1-based row interchanges (int32) and the order of the first exactly-zero pivot (0 if none).
    """
    kernels = _kernels(A)
    if kernels is not None:
        return kernels.getrf(A)
    return _getrf_reference(A)


def _getrf_reference(A):
    """:func:`_getrf` in NumPy, blocked: ``_PANEL`` columns are factorised column by column, then the rows
    to their right are solved for and the trailing matrix updated by one matrix product."""
    batch, (m, n) = A.shape[:-2], A.shape[-2:]
    k = min(m, n)
    a = np.array(A, copy=True).reshape((int(np.prod(batch)), m, n))
    nb = a.shape[0]
    piv = np.empty((nb, k), np.int32)
    info = np.zeros(nb, np.int32)
    rows = np.arange(nb)
    for j0 in range(0, k, _PANEL):
        j1 = min(j0 + _PANEL, k)
        for j in range(j0, j1):
            p = j + np.argmax(np.abs(a[:, j:, j]), axis=1)
            piv[:, j] = p + 1
            if np.any(p != j):
                row = a[rows, j, :].copy()
                a[rows, j, :] = a[rows, p, :]
                a[rows, p, :] = row
            d = a[:, j, j]
            zero = d == 0
            info[(info == 0) & zero] = j + 1
            if j + 1 < m:
                a[:, j + 1:, j] /= np.where(zero, 1, d)[:, None]
                if j + 1 < j1:
                    a[:, j + 1:, j + 1:j1] -= a[:, j + 1:, j, None] * a[:, j, None, j + 1:j1]
        if j1 < n:
            a[:, j0:j1, j1:] = _trsm_reference(a[:, j0:j1, j0:j1], a[:, j0:j1, j1:], lower=True, unit=True)
            if j1 < m:
                a[:, j1:, j1:] -= a[:, j1:, j0:j1] @ a[:, j0:j1, j1:]
    return a.reshape(A.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _permutation(piv, m):
    """The row order ``perm`` of ``P^T A = A[perm]`` from LAPACK's interchanges (1-based)."""
    batch, k = piv.shape[:-1], piv.shape[-1]
    p = piv.reshape((int(np.prod(batch)), k)).astype(np.intp) - 1
    if p.shape[0] == 1:   # one matrix: the swaps on a list are much cheaper than array steps
        order = list(range(m))
        for i, j in enumerate(p[0].tolist()):
            order[i], order[j] = order[j], order[i]
        return np.array(order, np.intp).reshape(batch + (m,))
    perm = np.tile(np.arange(m), (p.shape[0], 1))
    rows = np.arange(p.shape[0])
    for i in range(k):
        j = p[:, i]
        first = perm[:, i].copy()
        perm[:, i] = perm[rows, j]
        perm[rows, j] = first
    return perm.reshape(batch + (m,))


def _getrs(LU, piv, B, adjoint=False):
    r"""X with :math:`AX = B` (``adjoint``: :math:`A^TX = B`) for :math:`A = PLU` packed by ``_getrf``."""
    kernels = _kernels(LU, B)
    if kernels is not None:
        return kernels.getrs(LU, piv, B, adjoint)
    return _getrs_reference(LU, piv, B, adjoint)


def _getrs_reference(LU, piv, B, adjoint=False):
    """:func:`_getrs` in NumPy: the rows of ``B`` permuted, and two triangular solves."""
    n = LU.shape[-1]
    batch = np.broadcast_shapes(LU.shape[:-2], B.shape[:-2])
    LU = np.broadcast_to(LU, batch + LU.shape[-2:])
    B = np.broadcast_to(B, batch + B.shape[-2:])
    perm = np.broadcast_to(_permutation(piv, n)[..., None], B.shape)
    if not adjoint:
        Y = _trsm_reference(LU, np.take_along_axis(B, perm, axis=-2), lower=True, unit=True)
        return _trsm_reference(LU, Y, lower=False)
    Y = _trsm_reference(_mT(LU), _trsm_reference(_mT(LU), B, lower=True), lower=False, unit=True)
    X = np.empty_like(Y)
    np.put_along_axis(X, perm, Y, axis=-2)
    return X


def _inv(A):
    """``np.linalg.inv``, or the LU solve giving inf/nan (as LAPACK does) where a matrix is singular."""
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        LU, piv, _ = _getrf(A)
        return _getrs(LU, piv, _eye(A.shape[-1], A.dtype, A.shape[:-2]))


def _solve(A, B):
    """``np.linalg.solve`` for a matrix right side, or the LU solve (inf/nan) where ``A`` is singular."""
    try:
        return np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        LU, piv, _ = _getrf(A)
        return _getrs(LU, piv, B)


def _potrf(A):
    """Lower Cholesky factor of a stack column by column, with the order of the first leading minor
    that is not positive-definite (0 if none); the failing column is left as LAPACK leaves it."""
    batch, n = A.shape[:-2], A.shape[-1]
    a = np.tril(A).reshape((int(np.prod(batch)), n, n)).copy()
    info = np.zeros(a.shape[0], np.int32)
    for j in range(n):
        live = info == 0
        d = a[:, j, j] - np.einsum("bk,bk->b", a[:, j, :j], a[:, j, :j])
        bad = live & ~(d > 0)
        info[bad] = j + 1
        live &= ~bad
        a[live, j, j] = np.sqrt(d[live])
        a[bad, j, j] = d[bad]
        if j + 1 < n and live.any():
            s = a[live, j + 1:, j] - np.einsum("bik,bk->bi", a[live, j + 1:, :j], a[live, j, :j])
            a[live, j + 1:, j] = s / a[live, j, j, None]
    return a.reshape(A.shape), info.reshape(batch)


# --------------------------------------------------------------------------- one gradient formula, two passes


class _OnArrays:
    """What the gradient formulas below call besides ``@`` and arithmetic, on NumPy arrays: the
    first-order pass. Each formula takes such a namespace as its ``xp`` argument."""

    mT = staticmethod(_mT)
    tril = staticmethod(np.tril)
    triu = staticmethod(np.triu)
    trsm = staticmethod(_trsm)              # trsm(A, B, lower, unit=False): A^{-1} B, A triangular
    cat = staticmethod(np.concatenate)      # cat(items, axis)
    zeros_like = staticmethod(np.zeros_like)

    @staticmethod
    def add_to_diagonal(X, d):
        """``X`` with ``d`` (a number or a stack of vectors) added to the diagonal of every matrix; ``X`` is a
        temporary of the formula and is changed in place."""
        np.einsum("...ii->...i", X)[...] += d
        return X

    @staticmethod
    def unpack(LU, k):
        return _unpack(LU, k)

    @staticmethod
    def permutation(piv, m, like):
        return _perm_matrix(piv, m, like.dtype)


class _OnTensors:
    """The same functions as Tensor operations: a formula run with them is recorded, and is the
    ``graph_backward`` (``create_graph=True``) of the op whose ``backward`` runs it with :class:`_OnArrays`."""

    @staticmethod
    def mT(x):
        return x.mT

    @staticmethod
    def tril(x, k=0):
        return x.tril(k)

    @staticmethod
    def triu(x, k=0):
        return x.triu(k)

    @staticmethod
    def trsm(A, B, lower, unit=False):
        return LinalgSolveTriangular.apply(A, B, not lower, unit)

    @staticmethod
    def cat(items, axis):
        from ..tensor import cat

        return cat(items, axis)

    @staticmethod
    def zeros_like(x):
        return _constant(np.zeros_like(x._data))

    @staticmethod
    def add_to_diagonal(X, d):
        eye = _constant(np.eye(X.shape[-1], dtype=X._data.dtype))
        return X + (eye * d if isinstance(d, (int, float)) else d.unsqueeze(-1) * eye)

    @staticmethod
    def unpack(LU, k):
        """Unit-lower ``L`` and upper ``U`` read from packed factors (``lu_unpack``), differentiable in ``LU``."""
        m = LU.shape[-2]
        eye = _constant(np.eye(m, k, dtype=LU._data.dtype))
        return LU.narrow(-1, 0, k).tril(-1) + eye, LU.narrow(-2, 0, k).triu()

    @staticmethod
    def permutation(piv, m, like):
        return _constant(_perm_matrix(piv, m, like._data.dtype))


def _constant(array):
    """A Tensor that needs no gradient, for the constants of a recorded formula."""
    from ..tensor import Tensor

    return Tensor._wrap(array)


# --------------------------------------------------------------------------- inverse, determinants, solves


class LinalgInvEx(Function):
    r"""Inverse :math:`A^{-1}` of a stack of square matrices, with LAPACK's ``info`` (int32).

    :math:`\bar A = -A^{-T}\,\bar X\,A^{-T}`. With ``name`` a singular matrix raises PyTorch's error.
    """

    @staticmethod
    def forward(ctx, A, name):
        try:
            X = np.linalg.inv(A)
            info = np.zeros(A.shape[:-2], np.int32)
        except np.linalg.LinAlgError:
            LU, piv, info = _getrf(A)
            if name is not None and info.any():
                raise _batch_error(name, info, lambda i: f"The diagonal element {i} is zero, the inversion "
                                   "could not be completed because the input matrix is singular.",
                                   A.ndim > 2) from None
            X = _getrs(LU, piv, _eye(A.shape[-1], A.dtype, A.shape[:-2]))
        ctx.save_for_backward(X)
        return X, info

    @staticmethod
    def backward(ctx, g, _):
        (X,) = ctx.saved_tensors
        Xt = _mT(X)
        return -(Xt @ g @ Xt), None

    @staticmethod
    def graph_backward(ctx, saved, g, _):
        (X,) = ctx.saved_tensors
        Xt = saved.output(0, X).transpose(-1, -2)
        return -(Xt @ g @ Xt), None


class LinalgDet(Function):
    r"""Determinant of a stack of square matrices.

    :math:`\bar A = \bar d\,\det(A)\,A^{-T}` (the cofactor matrix), and 0 where :math:`\det A = 0`,
    as PyTorch's first-order backward gives. Recorded (``create_graph=True``), the cofactor matrix of a
    (nearly) singular matrix comes from its SVD instead (PyTorch's ``linalg_det_backward``), so that it
    is right there and can be differentiated again.
    """

    @staticmethod
    def forward(ctx, A):
        d = np.asarray(np.linalg.det(A))
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        if A.size == 0:
            return np.zeros_like(A)
        gd = g * d
        live = (gd != 0)[..., None, None]
        safe = np.where(live, A, _eye(A.shape[-1], A.dtype))
        return np.where(live, gd[..., None, None] * _mT(_inv(safe)), 0)

    @staticmethod
    def graph_backward(ctx, saved, g):
        A, d = ctx.saved_tensors
        if A.size == 0:
            return saved.without_graph(g)
        A_t, d_t = saved.input(0, A), saved.output(0, d)
        singular = np.abs(d) < 100 * np.finfo(A.dtype).eps     # PyTorch's mask
        if not singular.any():
            return _det_backward_invertible(A_t, d_t, g)
        if singular.all():
            return _det_backward_singular(A_t, g)
        # a mixed stack: each formula on its own matrices, the results put back in batch order
        n = A.shape[-1]
        rows_s, rows_i = np.flatnonzero(singular), np.flatnonzero(~singular)
        A_t, d_t, g = A_t.reshape(-1, n, n), d_t.reshape(-1), g.reshape(-1)
        gA = _OnTensors.cat([_det_backward_singular(A_t[rows_s], g[rows_s]),
                             _det_backward_invertible(A_t[rows_i], d_t[rows_i], g[rows_i])], 0)
        return gA[np.argsort(np.concatenate([rows_s, rows_i]))].reshape(A.shape)


def _det_backward_invertible(A, d, g):
    r"""The cofactor matrix :math:`\bar d\,\det(A)\,A^{-T}` of invertible matrices, recorded."""
    inverse = LinalgInvEx.apply(A, None)[0]
    return (g * d)[..., None, None] * inverse.transpose(-1, -2)


def _det_backward_singular(A, g):
    r"""The cofactor matrix of any matrices through :math:`A = U\,\mathrm{diag}(S)\,V^h`, recorded:
    :math:`\bar A = U\,\mathrm{diag}(D)\,V^h` with :math:`D_i = \bar d\,\det(U)\det(V^h)\prod_{j\ne i} S_j`.

    Its derivative is the SVD's, which breaks down (inf/nan) where singular values repeat, as in PyTorch.
    """
    U, S, Vh = LinalgSvd.apply(A, False, True)
    alpha = LinalgDet.apply(U) * LinalgDet.apply(Vh)
    D = (g * alpha).unsqueeze(-1) * _prod_others_tensor(S, -1)
    return (U * D.unsqueeze(-2)) @ Vh


class LinalgSlogdet(Function):
    r"""Sign and :math:`\log|\det A|`; the sign of a real matrix has zero gradient.

    :math:`\bar A = \bar\ell\,A^{-T}` (inf/nan at a singular matrix, where it is not differentiable).
    """

    @staticmethod
    def forward(ctx, A):
        sign, logabsdet = np.linalg.slogdet(A)
        ctx.save_for_backward(A)
        return np.asarray(sign), np.asarray(logabsdet)

    @staticmethod
    def backward(ctx, g_sign, g_log):
        (A,) = ctx.saved_tensors
        if A.size == 0:
            return np.zeros_like(A)
        return g_log[..., None, None] * _mT(_inv(A))

    @staticmethod
    def graph_backward(ctx, saved, g_sign, g_log):
        (A,) = ctx.saved_tensors
        if A.size == 0:
            return saved.without_graph(g_sign, g_log)
        inverse = LinalgInvEx.apply(saved.input(0, A), None)[0]
        return g_log[..., None, None] * inverse.transpose(-1, -2)


class LinalgSolveEx(Function):
    r""":math:`X = A^{-1}B` for a stack of square ``A`` and matrices ``B`` (batch dims broadcast), with
    the ``info`` of ``A``'s LU factorisation.

    :math:`\bar B = A^{-T}\bar X`, :math:`\bar A = -\bar B X^T`. With ``name`` a singular ``A`` raises.
    """

    @staticmethod
    def forward(ctx, A, B, name):
        try:
            X = np.linalg.solve(A, B)
            info = np.zeros(A.shape[:-2], np.int32)
        except np.linalg.LinAlgError:
            LU, piv, info = _getrf(A)
            if name is not None and info.any():
                raise _batch_error(name, info, lambda i: "The solver failed because the input matrix is "
                                   "singular.", A.ndim > 2) from None
            X = _getrs(LU, piv, B)
        ctx.save_for_backward(A, X)
        return X, info

    @staticmethod
    def backward(ctx, g, _):
        A, X = ctx.saved_tensors
        gB = _solve(_mT(A), g)
        gA = -(gB @ _mT(X)) if ctx.needs_input_grad[0] else None
        return gA, gB, None

    @staticmethod
    def graph_backward(ctx, saved, g, _):
        A, X = ctx.saved_tensors
        gB = LinalgSolveEx.apply(saved.input(0, A).transpose(-1, -2), g, None)[0]
        gA = -(gB @ saved.output(0, X).transpose(-1, -2)) if ctx.needs_input_grad[0] else None
        return gA, gB, None


class LinalgSolveTriangular(Function):
    r""":math:`X = A^{-1}B` for triangular ``A`` (``upper``; ``unit``: ones on the diagonal), batched.

    :math:`\bar B = A^{-T}\bar X`; :math:`\bar A = -\bar B X^T` projected on the triangle that is read
    (without its diagonal when ``unit``).
    """

    @staticmethod
    def forward(ctx, A, B, upper, unit):
        X = _trsm(A, B, lower=not upper, unit=unit)
        ctx.save_for_backward(A, X)
        ctx.c = (upper, unit)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        upper, unit = ctx.c
        gB = _trsm(_mT(A), g, lower=upper, unit=unit)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB @ _mT(X))
            gA = np.triu(gA, int(unit)) if upper else np.tril(gA, -int(unit))
        return gA, gB, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        A, X = ctx.saved_tensors
        upper, unit = ctx.c
        gB = LinalgSolveTriangular.apply(saved.input(0, A).mT, g, not upper, unit)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -(gB @ saved.output(0, X).mT)
            gA = gA.triu(int(unit)) if upper else gA.tril(-int(unit))
        return gA, gB, None, None


# --------------------------------------------------------------------------- Cholesky


class LinalgCholeskyEx(Function):
    r"""Cholesky factor :math:`A = LL^T` (``upper``: :math:`A = U^TU`), reading one triangle of ``A``,
    with the order of the first leading minor that is not positive-definite (int32, 0 if none).

    :math:`\bar A = L^{-T}\,\Phi(L^T\bar L)\,L^{-1}` with :math:`\Phi(X) = \tfrac12(\mathrm{tril}(X) +
    \mathrm{tril}_{-1}(X)^T)`, a symmetric matrix. With ``name`` a failure raises PyTorch's error.
    """

    @staticmethod
    def forward(ctx, A, upper, name):
        At = _mT(A) if upper else A  # the lower triangle of At is the triangle of A that is read
        try:
            L = np.linalg.cholesky(At)
            info = np.zeros(A.shape[:-2], np.int32)
        except np.linalg.LinAlgError:
            L, info = _potrf(At)
            if name is not None and info.any():
                raise _batch_error(name, info, lambda i: "The factorization could not be completed because the "
                                   f"input is not positive-definite (the leading minor of order {i} is not "
                                   "positive-definite).", A.ndim > 2) from None
        ctx.save_for_backward(L)
        ctx.upper = upper
        return (_mT(L) if upper else L), info

    @staticmethod
    def backward(ctx, g, _):
        (L,) = ctx.saved_tensors
        return _cholesky_backward(_mT(g) if ctx.upper else g, L, _OnArrays), None, None

    @staticmethod
    def graph_backward(ctx, saved, g, _):
        (L,) = ctx.saved_tensors
        if ctx.upper:
            return _cholesky_backward(g.mT, saved.output(0, _mT(L)).mT, _OnTensors), None, None
        return _cholesky_backward(g, saved.output(0, L), _OnTensors), None, None


def _cholesky_backward(gL, L, xp):
    """PyTorch's ``cholesky_backward`` for the lower factor ``L``."""
    gA = xp.tril(xp.mT(L) @ gL)
    gA = 0.5 * (gA + xp.mT(xp.tril(gA, -1)))
    gA = xp.trsm(xp.mT(L), gA, lower=False)                    # L^{-T} gA
    return xp.mT(xp.trsm(xp.mT(L), xp.mT(gA), lower=False))   # gA L^{-1}


class CholeskySolve(Function):
    r""":math:`X = (LL^T)^{-1}B` from a Cholesky factor (``upper``: :math:`(U^TU)^{-1}B`), batched.

    :math:`\bar B = (LL^T)^{-1}\bar X`, :math:`\bar L = -(\bar B X^T + X\bar B^T)L`
    (``upper``: :math:`-U(\bar B X^T + X\bar B^T)`), PyTorch's formula over the whole factor.
    """

    @staticmethod
    def forward(ctx, B, F, upper):
        X = CholeskySolve.solve(F, B, upper)
        ctx.save_for_backward(F, X)
        ctx.upper = upper
        return X

    @staticmethod
    def solve(F, B, upper):
        L = _mT(F) if upper else F
        return _trsm(_mT(L), _trsm(L, B, lower=True), lower=False)

    @staticmethod
    def backward(ctx, g):
        F, X = ctx.saved_tensors
        gB = CholeskySolve.solve(F, g, ctx.upper)
        gF = None
        if ctx.needs_input_grad[1]:
            common = gB @ _mT(X)
            common = common + _mT(common)
            gF = -(F @ common) if ctx.upper else -(common @ F)
        return gB, gF, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        F, X = ctx.saved_tensors
        F = saved.input(1, F)
        gB = CholeskySolve.apply(g, F, ctx.upper)
        gF = None
        if ctx.needs_input_grad[1]:
            common = gB @ saved.output(0, X).mT
            common = common + common.mT
            gF = -(F @ common) if ctx.upper else -(common @ F)
        return gB, gF, None


class CholeskyInverse(Function):
    r""":math:`(LL^T)^{-1}` from a Cholesky factor (``upper``: :math:`(U^TU)^{-1}`).

    With :math:`C = A^{-1}(\bar X + \bar X^T)A^{-1}`: :math:`\bar L = -CL` (``upper``: :math:`-UC`).
    """

    @staticmethod
    def forward(ctx, F, upper):
        n = F.shape[-1]
        if upper:
            Finv = _trsm(F, _eye(n, F.dtype), lower=False)
            X = Finv @ _mT(Finv)
        else:
            Finv = _trsm(F, _eye(n, F.dtype), lower=True)
            X = _mT(Finv) @ Finv
        ctx.save_for_backward(F, X)
        ctx.upper = upper
        return X

    @staticmethod
    def backward(ctx, g):
        F, X = ctx.saved_tensors
        common = X @ (g + _mT(g)) @ X
        return (-(F @ common) if ctx.upper else -(common @ F)), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        F, X = ctx.saved_tensors
        F, X = saved.input(0, F), saved.output(0, X)
        common = X @ (g + g.mT) @ X
        return (-(F @ common) if ctx.upper else -(common @ F)), None


# --------------------------------------------------------------------------- QR, eigh, SVD


class LinalgQr(Function):
    r"""QR decomposition (``mode`` 'reduced', 'complete' or 'r'), LAPACK's ``geqrf`` + ``orgqr``.

    For :math:`m \ge n` (PyTorch's ``linalg_qr_backward``): :math:`\bar A = (\bar Q + Q\,\sigma(\mathrm{triu}
    (\bar R R^T - Q^T\bar Q)))R^{-T}` with :math:`\sigma(X) = X + X^T` halved on the diagonal; the wide case
    (:math:`m < n`) follows PyTorch's formula too.
    """

    @staticmethod
    def forward(ctx, A, mode):
        ctx.set_materialize_grads(False)
        ctx.mode = mode
        if mode == "r":
            return np.empty((0,), A.dtype), np.linalg.qr(A, mode="r")
        Q, R = np.linalg.qr(A, mode=mode)
        ctx.save_for_backward(Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = LinalgQr.factors(ctx)
        if gQ is None and gR is None:
            return None, None
        return _qr_backward(gQ, gR, Q, R, _OnArrays), None

    @staticmethod
    def graph_backward(ctx, saved, gQ, gR):
        Q, R = LinalgQr.factors(ctx)
        if gQ is None and gR is None:
            return None, None
        return _qr_backward(gQ, gR, saved.output(0, Q), saved.output(1, R), _OnTensors), None

    @staticmethod
    def factors(ctx):
        """The saved ``Q`` and ``R``, or PyTorch's error for a mode whose QR has no gradient."""
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        Q, R = ctx.saved_tensors
        if ctx.mode == "complete" and Q.shape[-2] > R.shape[-1]:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        return Q, R


def _qr_backward(gQ, gR, Q, R, xp):
    """PyTorch's ``linalg_qr_backward`` (``gQ`` or ``gR`` may be None)."""
    m, n = Q.shape[-2], R.shape[-1]
    if gQ is None:
        gA = gR @ xp.mT(R)
    elif gR is None:
        gA = -(xp.mT(Q) @ gQ)
    else:
        gA = gR @ xp.mT(R) - xp.mT(Q) @ gQ
    if m >= n:
        gA = Q @ (xp.triu(gA) + xp.mT(xp.triu(gA, 1)))     # Q sym(triu(gA)), the diagonal taken once
        if gQ is not None:
            gA = gA + gQ
        return xp.mT(xp.trsm(R, xp.mT(gA), lower=False))    # gA R^{-T}
    gA = Q @ xp.tril(xp.mT(gA) - gA)
    gA = xp.mT(xp.trsm(R[..., :m], xp.mT(gA), lower=False))
    gA = xp.cat([gA, xp.zeros_like(R[..., m:])], axis=-1)
    if gR is not None:
        gA = gA + Q @ gR
    return gA


def _eigh_backward(gL, gV, L, V, xp):
    r"""PyTorch's ``linalg_eig_backward`` for a symmetric matrix: :math:`V(\mathrm{diag}(\bar\lambda) +
    \mathrm{skew}(V^T\bar V)/E)V^T` with :math:`E_{ij} = \lambda_j - \lambda_i`."""
    if gV is None:
        if gL is None:
            return None
        return (V * gL[..., None, :]) @ xp.mT(V)
    VgV = xp.mT(V) @ gV
    VgV = 0.5 * (VgV - xp.mT(VgV))
    E = xp.add_to_diagonal(L[..., None, :] - L[..., :, None], 1)    # the diagonal (0) made 1
    inner = VgV / E
    if gL is not None:
        inner = xp.add_to_diagonal(inner, gL)   # the diagonal of a skew matrix is 0: this sets it to gL
    return V @ inner @ xp.mT(V)


class LinalgEigh(Function):
    r"""Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices (``uplo``: the
    triangle read), LAPACK's ``syevd``; with ``vectors=False`` the eigenvectors are computed only when
    a gradient will need them (as PyTorch's ``_linalg_eigh``), an empty array returned in their place
    otherwise.

    The gradient is PyTorch's, a symmetric matrix: :math:`\bar A = V(\mathrm{diag}(\bar\lambda) +
    \tfrac12(V^T\bar V - \bar V^TV)/E)V^T`, :math:`E_{ij} = \lambda_j - \lambda_i`.
    """

    @staticmethod
    def forward(ctx, A, uplo, vectors):
        ctx.set_materialize_grads(False)
        if not (vectors or ctx.needs_input_grad[0]):
            return np.linalg.eigvalsh(A, UPLO=uplo), np.empty((0,), A.dtype)
        L, V = np.linalg.eigh(A, UPLO=uplo)
        ctx.save_for_backward(L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        return _eigh_backward(gL, gV, L, V, _OnArrays), None, None

    @staticmethod
    def graph_backward(ctx, saved, gL, gV):
        L, V = ctx.saved_tensors
        return _eigh_backward(gL, gV, saved.output(0, L), saved.output(1, V), _OnTensors), None, None


def _svd_backward(gU, gS, gVh, U, S, Vh, xp):
    r"""PyTorch's ``svd_backward`` (real case) for the reduced factors ``U (m, k)``, ``S (k)``, ``Vh (k, n)``."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        if gS is None:
            return None
        return U @ (gS[..., None] * Vh) if m >= n else (U * gS[..., None, :]) @ Vh
    S2 = S * S
    E = xp.add_to_diagonal(S2[..., None, :] - S2[..., :, None], 1)   # the diagonal (0) made 1
    UgU = None if gU is None else xp.mT(U) @ gU
    VgV = None if gVh is None else Vh @ xp.mT(gVh)
    if UgU is not None:
        UgU = UgU - xp.mT(UgU)
    if VgV is not None:
        VgV = VgV - xp.mT(VgV)
    if UgU is not None and VgV is not None:
        gA = (UgU * S[..., None, :] + S[..., :, None] * VgV) / E
    elif UgU is not None:
        gA = (UgU / E) * S[..., None, :]
    else:
        gA = S[..., :, None] * (VgV / E)
    if gS is not None:
        gA = xp.add_to_diagonal(gA, gS)
    if m > n and gU is not None:
        gA = U @ gA
        gUSinv = gU / S[..., None, :]
        gA = gA + gUSinv - U @ (xp.mT(U) @ gUSinv)
        return gA @ Vh
    if m < n and gVh is not None:
        gA = gA @ Vh
        SinvgVh = gVh / S[..., :, None]
        gA = gA + SinvgVh - (SinvgVh @ xp.mT(Vh)) @ Vh
        return U @ gA
    return U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh


class LinalgSvd(Function):
    r"""Singular value decomposition :math:`A = U\,\mathrm{diag}(S)\,V^h` (LAPACK's ``gesdd``); with
    ``vectors=False`` the singular values, the (reduced) vectors computed only when a gradient will need
    them (as PyTorch's ``_linalg_svd``), empty arrays returned in their place otherwise.

    The gradient is PyTorch's ``svd_backward``; with ``full_matrices`` only the first
    :math:`\min(m, n)` columns of ``U`` and rows of ``Vh`` carry gradient, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, A, full_matrices, vectors):
        ctx.set_materialize_grads(False)
        if not (vectors or ctx.needs_input_grad[0]):
            empty = np.empty((0,), A.dtype)
            return empty, np.linalg.svd(A, compute_uv=False), empty
        U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices and vectors)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]
        gU = None if gU is None else gU[..., :k]
        gVh = None if gVh is None else gVh[..., :k, :]
        return _svd_backward(gU, gS, gVh, U, S, Vh, _OnArrays), None, None

    @staticmethod
    def graph_backward(ctx, saved, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        U, S, Vh = saved.output(0, U)[..., :k], saved.output(1, S), saved.output(2, Vh)[..., :k, :]
        gU = None if gU is None else gU[..., :k]
        gVh = None if gVh is None else gVh[..., :k, :]
        return _svd_backward(gU, gS, gVh, U, S, Vh, _OnTensors), None, None


# --------------------------------------------------------------------------- pseudo-inverse and least squares


def _pinv(A, atol, rtol, hermitian):
    """Pseudo-inverse keeping the singular values (|eigenvalues| when ``hermitian``) above
    ``max(atol, rtol * largest)``; ``atol`` and ``rtol`` broadcast against the batch shape."""
    atol = np.asarray(atol, A.dtype)[..., None]
    rtol = np.asarray(rtol, A.dtype)[..., None]
    with np.errstate(divide="ignore"):
        if hermitian:
            S, U = np.linalg.eigh(A)
            big = np.abs(S).max(-1, keepdims=True) if S.shape[-1] else np.zeros(S.shape[:-1] + (1,), A.dtype)
            tol = np.maximum(atol, rtol * big)
            Sinv = np.where(np.abs(S) > tol, 1 / S, 0).astype(A.dtype)
            return (U * Sinv[..., None, :]) @ _mT(U)
        U, S, Vh = np.linalg.svd(A, full_matrices=False)
        big = S[..., :1] if S.shape[-1] else np.zeros(S.shape[:-1] + (1,), A.dtype)
        tol = np.maximum(atol, rtol * big)
        Sinv = np.where(S > tol, 1 / S, 0).astype(A.dtype)
        return (_mT(Vh) * Sinv[..., None, :]) @ _mT(U)


def _pinv_backward(g, P, A, xp):
    """PyTorch's ``pinv_backward``: the gradient of :math:`A^+` (``P``) with respect to ``A``."""
    m, n = A.shape[-2], A.shape[-1]
    Pt, gt = xp.mT(P), xp.mT(g)
    if m <= n:
        K = gt @ P
        KPt = K @ Pt
        return -xp.mT(P @ K) + KPt - (A @ P) @ KPt + (Pt @ P) @ (gt - K @ A)
    K = P @ gt
    PtK = Pt @ K
    return -xp.mT(K @ P) + (gt - A @ K) @ P @ Pt + PtK - PtK @ P @ A


class LinalgPinv(Function):
    r"""Moore-Penrose pseudo-inverse through the SVD (``hermitian``: the eigendecomposition), singular
    values at most ``max(atol, rtol * largest)`` counting as zero; PyTorch's ``pinv_backward``."""

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        P = _pinv(A, atol, rtol, hermitian)
        ctx.save_for_backward(A, P)
        return P

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        return _pinv_backward(g, P, A, _OnArrays), None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        A, P = ctx.saved_tensors
        return _pinv_backward(g, saved.output(0, P), saved.input(0, A), _OnTensors), None, None, None


class LinalgLstsq(Function):
    r"""Least-squares solution of :math:`AX = B` (minimum norm where ``A`` is rank deficient), with
    ``residuals``, ``rank`` and ``singular_values`` filled as PyTorch fills them for ``driver``.

    Singular values up to ``rcond`` times the largest count as zero. Backward (PyTorch's
    ``linalg_lstsq_backward``): :math:`\bar B = A^{+T}\bar X`, :math:`\bar A` through the gradient of
    :math:`A^+`; the residuals :math:`\lVert AX-B\rVert^2` add :math:`2r\bar\ell` terms.
    """

    @staticmethod
    def forward(ctx, A, B, rcond, driver):
        m, n = A.shape[-2:]
        batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
        U, S, Vh = np.linalg.svd(A, full_matrices=False)
        big = S[..., :1] if S.shape[-1] else np.zeros(S.shape[:-1] + (1,), A.dtype)
        keep = S > rcond * big
        with np.errstate(divide="ignore"):
            Sinv = np.where(keep, 1 / S, 0).astype(A.dtype)
        X = (_mT(Vh) * Sinv[..., None, :]) @ (_mT(U) @ B)
        X = np.broadcast_to(X, batch + X.shape[-2:]).copy()
        rank = keep.sum(-1).astype(np.int64)
        full_rank = bool(np.all(rank == n))
        residuals = np.empty((0,), A.dtype)
        if m > n and driver != "gelsy" and (driver == "gels" or full_rank):
            Q = np.linalg.qr(A, mode="complete")[0][..., n:]
            residuals = np.sum(np.square(_mT(Q) @ B), axis=-2)
            residuals = np.broadcast_to(residuals, batch + residuals.shape[-1:]).copy()
        if driver == "gels":
            rank = np.empty((0,), np.int64)
        sv = S.copy() if driver in ("gelsd", "gelss") else np.empty((0,), A.dtype)
        ctx.save_for_backward(A, B, X)
        ctx.has_residuals = residuals.size > 0
        ctx.mark_non_differentiable(sv)
        return X, residuals, rank, sv

    @staticmethod
    def backward(ctx, gX, gL, *_):
        A, B, X = ctx.saved_tensors
        m, n = A.shape[-2:]
        P = _pinv(A, 0.0, np.finfo(A.dtype).eps * max(m, n), False)
        return LinalgLstsq.gradients(ctx, gX, gL, A, B, X, P, _OnArrays)

    @staticmethod
    def graph_backward(ctx, saved, gX, gL, *_):
        A, B, X = ctx.saved_tensors
        eps = np.finfo(A.dtype).eps * max(A.shape[-2:])
        A, B, X = saved.input(0, A), saved.input(1, B), saved.output(0, X)
        P = LinalgPinv.apply(A, 0.0, eps, False)     # recorded: A^+ is differentiated too
        return LinalgLstsq.gradients(ctx, gX, gL, A, B, X, P, _OnTensors)

    @staticmethod
    def gradients(ctx, gX, gL, A, B, X, P, xp):
        """PyTorch's ``linalg_lstsq_backward`` given :math:`A^+` (``P``)."""
        gA = _pinv_backward(gX @ xp.mT(B), P, A, xp) if ctx.needs_input_grad[0] else None
        gB = xp.mT(P) @ gX
        if ctx.has_residuals:
            r = A @ X - B
            gLr = gL[..., None, :] * r
            if gA is not None:
                gA = gA + 2 * gLr @ xp.mT(X)
            gB = gB - 2 * gLr
        return gA, gB, None, None


# --------------------------------------------------------------------------- matrix exponential

# coefficients of the [13/13] Pade approximant of exp and its scaling threshold (Higham 2005)
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0,
           960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(A):
    r""":math:`e^A` of a stack by scaling and squaring: :math:`e^A = (r_{13}(A/2^s))^{2^s}` with the
    [13/13] Padé approximant :math:`r_{13}` and :math:`\lVert A/2^s\rVert_1 \le \theta_{13}` (Higham 2005),
    computed in float64 and returned in ``A``'s dtype."""
    if A.size == 0:
        return A.copy()
    a = A.astype(np.float64)
    norm = np.abs(a).sum(axis=-2).max(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.ceil(np.log2(norm / _THETA13))
    s = np.where(np.isfinite(s) & (s > 0), s, 0).astype(np.int64)
    a = a / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = _eye(a.shape[-1], np.float64)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = _solve(v - u, v + u)
    for k in range(int(s.max(initial=0))):
        more = s > k
        r = np.where(more[..., None, None], r @ r, r)
    return r.astype(A.dtype)


class LinalgMatrixExp(Function):
    r""":math:`e^A` of a stack of square matrices.

    The gradient is the upper-right block of :math:`\exp\begin{pmatrix}A^T & \bar X\\ 0 & A^T\end{pmatrix}`
    (Mathias 1996), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return _expm(A)

    @staticmethod
    def backward(ctx, g):
        (A,) = ctx.saved_tensors
        n = A.shape[-1]
        batch = np.broadcast_shapes(A.shape[:-2], g.shape[:-2])
        big = np.zeros(batch + (2 * n, 2 * n), np.result_type(A, g))
        big[..., :n, :n] = _mT(A)
        big[..., n:, n:] = _mT(A)
        big[..., :n, n:] = g
        return _expm(big)[..., :n, n:]

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..tensor import cat

        (A,) = ctx.saved_tensors
        n = A.shape[-1]
        At = saved.input(0, A).mT
        big = cat([cat([At, g], -1), cat([_OnTensors.zeros_like(At), At], -1)], -2)
        return LinalgMatrixExp.apply(big)[..., :n, n:]


# --------------------------------------------------------------------------- LU


def _unpack(LU, k):
    """Unit-lower ``L (m, k)`` and upper ``U (k, n)`` from packed LU factors."""
    m = LU.shape[-2]
    L = np.tril(LU[..., :, :k], -1) + np.eye(m, k, dtype=LU.dtype)
    return L, np.triu(LU[..., :k, :])


def _lu_backward(gL, gU, P, L, U, xp):
    """PyTorch's ``linalg_lu_backward`` (both gradients given) for :math:`A = PLU`."""
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    if m == n:
        gA = xp.tril(xp.mT(L) @ gL, -1) + xp.triu(gU @ xp.mT(U))
        gA = xp.mT(xp.trsm(U, xp.mT(gA), lower=False))
        gA = xp.trsm(xp.mT(L), gA, lower=False, unit=True)
    elif m < n:
        gA = xp.mT(L) @ gL - xp.triu(gU) @ xp.mT(U)
        gA = xp.mT(xp.trsm(U[..., :k], xp.mT(xp.tril(gA, -1)), lower=False))
        gA = xp.cat([gA + xp.triu(gU[..., :k]), gU[..., k:]], axis=-1)
        gA = xp.trsm(xp.mT(L), gA, lower=False, unit=True)
    else:
        gA = gU @ xp.mT(U) - xp.mT(L) @ xp.tril(gL, -1)
        gA = xp.trsm(xp.mT(L[..., :k, :]), xp.triu(gA), lower=False, unit=True)
        gA = xp.cat([gA + xp.tril(gL[..., :k, :], -1), gL[..., k:, :]], axis=-2)
        gA = xp.mT(xp.trsm(U, xp.mT(gA), lower=False))
    return P @ gA


def _perm_matrix(piv, m, dtype):
    """``P`` of :math:`A = PLU`."""
    perm = _permutation(piv, m)
    P = np.zeros(perm.shape + (m,), dtype)
    np.put_along_axis(P, perm[..., None, :], 1, axis=-2)
    return P


class LinalgLuFactorEx(Function):
    r"""LU factorisation with partial pivoting :math:`A = PLU` packed as LAPACK's ``getrf`` packs it,
    with the pivots (int32, 1-based) and ``info`` (order of the first zero pivot); PyTorch's
    ``lu_factor_ex_backward``."""

    @staticmethod
    def forward(ctx, A):
        LU, piv, info = _getrf(A)
        ctx.save_for_backward(LU, piv)
        return LU, piv, info

    @staticmethod
    def backward(ctx, g, *_):
        LU, piv = ctx.saved_tensors
        return LinalgLuFactorEx.gradient(g, LU, piv, _OnArrays)

    @staticmethod
    def graph_backward(ctx, saved, g, *_):
        LU, piv = ctx.saved_tensors
        return LinalgLuFactorEx.gradient(g, saved.output(0, LU), piv, _OnTensors)

    @staticmethod
    def gradient(g, LU, piv, xp):
        """PyTorch's ``lu_factor_ex_backward``: ``linalg_lu_backward`` of the unpacked factors."""
        m, n = LU.shape[-2:]
        k = min(m, n)
        L, U = xp.unpack(LU, k)
        return _lu_backward(g[..., :, :k], g[..., :k, :], xp.permutation(piv, m, LU), L, U, xp)


class LinalgLuSolve(Function):
    r""":math:`X = A^{-1}B` (``adjoint``: :math:`A^{-T}B`) from the factors of :math:`A = PLU`.

    :math:`\bar B` is the solve with the other orientation; the gradient of the packed factors is
    PyTorch's ``linalg_lu_solve_LU``.
    """

    @staticmethod
    def forward(ctx, LU, piv, B, adjoint):
        X = _getrs(LU, piv, B, adjoint)
        ctx.save_for_backward(LU, piv, X)
        ctx.adjoint = adjoint
        return X

    @staticmethod
    def backward(ctx, g):
        LU, piv, X = ctx.saved_tensors
        gB = _getrs(LU, piv, g, not ctx.adjoint)
        gLU = _lu_solve_LU(g, LU, piv, X, ctx.adjoint, _OnArrays) if ctx.needs_input_grad[0] else None
        return gLU, None, gB, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        LU, piv, X = ctx.saved_tensors
        LU, X = saved.input(0, LU), saved.output(0, X)
        gB = LinalgLuSolve.apply(LU, piv, g, not ctx.adjoint)
        gLU = _lu_solve_LU(g, LU, piv, X, ctx.adjoint, _OnTensors) if ctx.needs_input_grad[0] else None
        return gLU, None, gB, None


def _lu_solve_LU(g, LU, piv, X, adjoint, xp):
    """PyTorch's ``linalg_lu_solve_LU``: the gradient of the packed factors of :math:`X = A^{-1}B`
    (``adjoint``: :math:`A^{-T}B`)."""
    n = LU.shape[-1]
    L, U = xp.unpack(LU, n)
    if not adjoint:
        gR = xp.trsm(xp.mT(U), -(g @ xp.mT(X)), lower=True)        # U^{-T} (-gX X^T)
        gL = xp.tril(xp.trsm(xp.mT(L), gR @ xp.mT(U), lower=False, unit=True), -1)
        return gL + xp.triu(gR)
    P = xp.permutation(piv, n, LU)
    gR = -(xp.mT(P) @ X @ xp.mT(g) @ P)
    gR = xp.mT(xp.trsm(L, xp.mT(gR), lower=True, unit=True))             # gR L^{-T}
    gU = xp.triu(xp.mT(xp.trsm(U, xp.mT(xp.mT(L) @ gR), lower=False)))   # (L^T gR) U^{-T}
    return xp.tril(gR, -1) + gU


class Geqrf(Function):
    """LAPACK's ``geqrf``: R above the diagonal, the Householder vectors below it, and ``tau``.
    Not differentiable, as in PyTorch."""

    @staticmethod
    def forward(ctx, A):
        h, tau = np.linalg.qr(A, mode="raw")
        return np.ascontiguousarray(_mT(h)).astype(A.dtype), tau.astype(A.dtype)

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


# --------------------------------------------------------------------------- vector norm


class LinalgVectorNorm(Function):
    r""":math:`\lVert x\rVert_p = (\sum|x_i|^p)^{1/p}` over ``dims`` (:math:`p = \pm\infty`: max / min of
    :math:`|x_i|`; :math:`p = 0`: the number of non-zeros), with PyTorch's ``norm_backward``: zero
    gradient where the norm is 0, ties of the inf-norm sharing it evenly."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        a = np.abs(x) if p != 2 else None
        if p == 2:
            y = np.sqrt(np.sum(x * x, axis=dims, keepdims=True))
        elif p == 1:
            y = np.sum(a, axis=dims, keepdims=True)
        elif p == np.inf:
            y = np.max(a, axis=dims, keepdims=True)
        elif p == -np.inf:
            y = np.min(a, axis=dims, keepdims=True)
        elif p == 0:
            y = np.sum(a != 0, axis=dims, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):
                y = np.power(np.sum(np.power(a, p), axis=dims, keepdims=True), 1.0 / p)
        y = np.asarray(y, x.dtype)
        ctx.save_for_backward(x, y)
        ctx.c = (p, dims)
        return y if keepdim else y.reshape([s for i, s in enumerate(y.shape) if i not in dims])

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p, dims = ctx.c
        g = g.reshape(y.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                return None, None, None, None    # PyTorch: no gradient at all
            if p == 1:
                out = sgn(x) * g
            elif p == 2:
                out = g * np.where(y == 0, 0, x / y)
            elif np.isinf(p):
                a = np.abs(x)
                mask = (a == y) | np.isnan(a)
                out = sgn(x) * (g / mask.sum(axis=dims, keepdims=True) * mask)
            elif p < 1:
                scaled = np.where(x == 0, 0, sgn(x) * np.power(np.abs(x), p - 1))
                out = scaled * g * np.power(y, 1 - p)
            else:
                scaled = sgn(x) * np.power(np.abs(x), p - 1) if p < 2 else x * np.power(np.abs(x), p - 2)
                out = scaled * np.where(y == 0, 0, g / np.power(y, p - 1))
        return out.astype(x.dtype, copy=False), None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """The same ``norm_backward`` on Tensors (the masks, signs and tie counts are constants)."""
        from .elementwise import _keep

        x_array, y_array = ctx.saved_tensors
        p, dims = ctx.c
        if p == 0:
            return None, None, None, None
        x = saved.input(0, x_array)
        y = saved.output(0, y_array.reshape(g.shape)).reshape(y_array.shape)
        g = g.reshape(y_array.shape)
        sign = sgn(x_array)
        if p == 1:
            return g * sign, None, None, None
        if p == 2:      # PyTorch's order: g times the masked x / y (so d/dg is finite where y = 0)
            return g * _keep(y_array != 0, x / y), None, None, None
        if np.isinf(p):
            a = np.abs(x_array)
            mask = (a == y_array) | np.isnan(a)
            return g * (sign * mask / mask.sum(axis=dims, keepdims=True)), None, None, None
        if p < 1:
            scaled = _keep(x_array != 0, sign * x.abs() ** (p - 1))
            return scaled * g * y ** (1 - p), None, None, None
        scaled = sign * x.abs() ** (p - 1) if p < 2 else x * x.abs() ** (p - 2)
        return scaled * _keep(y_array != 0, g / y ** (p - 1)), None, None, None
