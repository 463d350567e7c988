r"""Compiled pieces of the triangular solve and the LU factorisation of :mod:`npgrad.ops.decomp`.

The work of both is matrix products, and NumPy's ``matmul`` (BLAS) does it; what BLAS leaves is compiled
here, loops over the batch inside the kernels:

* :func:`trsm`: :math:`X = T^{-1}B` for the lower or upper triangle :math:`T` of ``A``. Blocks of
  :data:`BLOCK` rows are solved one after the other: the block's rows of :math:`B` less the product of
  :math:`T`'s rows there with the rows of :math:`X` solved already (one ``matmul`` for the whole batch),
  then substitution inside the block's diagonal triangle (:func:`_solve_rows`). Up to :data:`_FEW`
  right-hand sides are solved one by one instead, as contiguous vectors whose sums are dot products
  along the rows of :math:`T` (:func:`_solve_vectors`). A zero on the diagonal gives inf/NaN, as
  LAPACK's ``trsm`` does.
* :func:`getrf`: LU factorisation with partial pivoting, blocked as LAPACK's ``getrf``: a panel of
  :data:`BLOCK` columns is factorised column by column (:func:`_lu_panel`: the pivot, the row
  interchange across the whole matrix, the column of L and a rank-1 update of the panel), then the rows
  of U to its right are a unit-lower triangular solve and the trailing matrix is updated by one
  ``matmul``. The pivots are LAPACK's (1-based, int32), ``info`` the order of the first zero pivot.
* :func:`getrs`: the solve from the factors, the row interchanges applied in order
  (:func:`_interchange_rows`) and two triangular solves.

Every function takes float32 or float64 stacks ``(*, m, n)`` whose batch dimensions broadcast, and
computes in their common dtype.

Example:
    >>> import numpy as np
    >>> from npgrad.kernels import linalg
    >>> A = np.array([[2.0, 0.0], [1.0, 4.0]])
    >>> linalg.trsm(A, np.array([[2.0], [9.0]]), lower=True, unit=False)
    array([[1.],
           [2.]])
    >>> LU, piv, info = linalg.getrf(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv, info
    (array([2, 2], dtype=int32), array(0, dtype=int32))
    >>> linalg.getrs(LU, piv, np.array([[5.0], [11.0]]), adjoint=False)
    array([[1.],
           [2.]])
"""
import math

import numpy as np
from numba import njit

__all__ = ["BLOCK", "trsm", "getrf", "getrs"]

BLOCK = 64   # rows of a triangular solve, columns of an LU panel, handled by the compiled loops at a time

# the substitutions and updates run along contiguous rows (vectorised); a single right-hand side
# sums dot products, which vectorise with reassociation
_kernel = njit(cache=True, nogil=True, error_model="numpy", fastmath={"nsz", "contract"})
_dot_kernel = njit(cache=True, nogil=True, error_model="numpy", fastmath={"nsz", "contract", "reassoc"})
_inner = njit(nogil=True, error_model="numpy", fastmath={"nsz", "contract"})


# --------------------------------------------------------------------------- kernels
@_inner
def _subtract_product(out, i, left, right, k0, k1, c0, c1):
    """``out[i, c0:c1] -= left[i, k0:k1] @ right[k0:k1, c0:c1]``, the products subtracted in the order of
    ``k``: eight rows of ``right`` per pass over the row of ``out`` (a vectorised loop over its columns),
    so that the row is loaded and stored once for eight of them."""
    o = out[i, c0:c1]
    k = k0
    while k + 8 <= k1:
        f0, f1, f2, f3 = left[i, k], left[i, k + 1], left[i, k + 2], left[i, k + 3]
        f4, f5, f6, f7 = left[i, k + 4], left[i, k + 5], left[i, k + 6], left[i, k + 7]
        r0, r1, r2, r3 = right[k, c0:c1], right[k + 1, c0:c1], right[k + 2, c0:c1], right[k + 3, c0:c1]
        r4, r5, r6, r7 = right[k + 4, c0:c1], right[k + 5, c0:c1], right[k + 6, c0:c1], right[k + 7, c0:c1]
        for c in range(o.shape[0]):
            v = ((o[c] - f0 * r0[c]) - f1 * r1[c]) - f2 * r2[c]
            v = (((v - f3 * r3[c]) - f4 * r4[c]) - f5 * r5[c]) - f6 * r6[c]
            o[c] = v - f7 * r7[c]
        k += 8
    while k < k1:
        f = left[i, k]
        r = right[k, c0:c1]
        for c in range(o.shape[0]):
            o[c] -= f * r[c]
        k += 1


@_kernel
def _solve_rows(A, ia, X, r0, r1, c0, c1, lower, unit):
    """In place, for every matrix ``b`` of ``X``: ``X[b, r0:r1, c0:c1]`` becomes :math:`T^{-1}` times
    itself, :math:`T` the lower (``lower``) or upper triangle of ``A[ia[b], r0:r1, r0:r1]`` (ones on its
    diagonal with ``unit``)."""
    for b in range(X.shape[0]):
        a = A[ia[b]]
        x = X[b]
        for step in range(r1 - r0):
            i = r0 + step if lower else r1 - 1 - step
            if lower:
                _subtract_product(x, i, a, x, r0, i, c0, c1)
            else:
                _subtract_product(x, i, a, x, i + 1, r1, c0, c1)
            if not unit:
                d = a[i, i]
                row = x[i, c0:c1]
                for j in range(row.shape[0]):
                    row[j] /= d


@_dot_kernel
def _solve_vectors(A, ia, X, lower, unit):
    """In place, for every row ``b`` of ``X``: ``X[b]`` becomes :math:`T^{-1}` times itself, :math:`T` the
    lower or upper triangle of ``A[ia[b]]``. Each unknown is its right-hand side less a dot product along
    a row of :math:`T`, divided by the diagonal (the dot products vectorise)."""
    n = X.shape[1]
    for b in range(X.shape[0]):
        a = A[ia[b]]
        x = X[b]
        for step in range(n):
            i = step if lower else n - 1 - step
            k0, k1 = (0, i) if lower else (i + 1, n)
            row = a[i, k0:k1]           # slices: indices from 0 that cannot wrap around, loads in a row
            known = x[k0:k1]
            total = 0.0
            for k in range(row.shape[0]):
                total += row[k] * known[k]
            x[i] -= total
            if not unit:
                x[i] /= a[i, i]


_STRIP = 8   # columns of an LU panel factorised one by one before the rest of the panel is updated


@_kernel
def _lu_panel(a, piv, info, j0, j1):
    """Columns ``j0:j1`` of every matrix of ``a`` factorised with partial pivoting (rows ``j0:``), the
    row interchanges made across whole rows; ``piv`` gets the 1-based pivot rows, ``info`` the order of
    the first zero pivot (where it is still 0). The largest magnitude is the pivot, the first of equals
    (or the first NaN) as ``argmax`` takes it. Blocked in strips of ``_STRIP`` columns as the whole
    factorisation is: a strip column by column, then its rows of U to the right and the panel below."""
    m, n = a.shape[1], a.shape[2]
    for b in range(a.shape[0]):
        x = a[b]
        for jb in range(j0, j1, _STRIP):
            je = min(jb + _STRIP, j1)
            for j in range(jb, je):
                p = j
                best = -1.0
                for i in range(j, m):
                    v = abs(x[i, j])
                    if v != v:
                        p = i
                        break
                    if v > best:
                        best = v
                        p = i
                piv[b, j] = p + 1
                if p != j:
                    for c in range(n):
                        t = x[j, c]
                        x[j, c] = x[p, c]
                        x[p, c] = t
                d = x[j, j]
                if d == 0.0:
                    if info[b] == 0:
                        info[b] = j + 1
                    d = 1.0          # the column below is zero as well
                for i in range(j + 1, m):
                    x[i, j] /= d
                    f = x[i, j]
                    for c in range(j + 1, je):
                        x[i, c] -= f * x[j, c]
            for i in range(jb + 1, je):
                _subtract_product(x, i, x, x, jb, i, je, j1)
            for i in range(je, m):
                _subtract_product(x, i, x, x, jb, je, je, j1)


@_kernel
def _interchange_rows(X, piv, ip, reverse):
    """LAPACK's ``laswp`` on every matrix ``b`` of ``X``: row ``i`` exchanged with row ``piv[ip[b], i] - 1``
    for ``i = 0, 1, ...`` (``reverse``: in the opposite order, which undoes it)."""
    k, m = piv.shape[1], X.shape[2]
    for b in range(X.shape[0]):
        x = X[b]
        p = piv[ip[b]]
        for step in range(k):
            i = k - 1 - step if reverse else step
            r = p[i] - 1
            if r != i:
                for c in range(m):
                    t = x[i, c]
                    x[i, c] = x[r, c]
                    x[r, c] = t


# --------------------------------------------------------------------------- drivers
def _batch_shape(A, B):
    """The broadcast batch shape of two stacks (without NumPy's general machinery where they agree)."""
    a, b = A.shape[:-2], B.shape[:-2]
    if a == b or not a:
        return b
    return a if not b else np.broadcast_shapes(a, b)


def _batch_index(batch_shape, batch):
    """For each matrix of the broadcast ``batch``, the index of its matrix in a stack of ``batch_shape``."""
    count = math.prod(batch_shape)
    if tuple(batch_shape) == tuple(batch):
        return np.arange(count)
    return np.ascontiguousarray(np.broadcast_to(np.arange(count).reshape(batch_shape), batch).reshape(-1))


def _stack(A, dtype):
    """``A`` as a C-contiguous ``(count, n, n)`` stack of ``dtype`` (no copy where it is one)."""
    return np.ascontiguousarray(A, dtype=dtype).reshape((math.prod(A.shape[:-2]),) + A.shape[-2:])


def _right_side(B, batch, dtype):
    """A C-contiguous copy of ``B`` broadcast to ``batch``, of ``dtype``: the solution is written into it."""
    if B.shape[:-2] != batch:
        B = np.broadcast_to(B, batch + B.shape[-2:])
    return np.array(B, dtype=dtype, order="C")


_FEW = 8   # right-hand sides up to which they are solved one by one, as vectors


def _solve_in_place(A, A3, ia, X, lower, unit):
    """``X`` (a C-contiguous stack) becomes :math:`T^{-1}X`; ``A`` is the stack of triangles as given
    (for the products), ``A3`` the same C-contiguous ``(count, n, n)`` and ``ia`` the map of ``X``'s
    matrices to ``A3``'s."""
    n, m = X.shape[-2:]
    X3 = X.reshape(-1, n, m)
    if m <= _FEW:           # few right-hand sides: each on its own, a contiguous vector
        if m == 1:
            _solve_vectors(A3, ia, X3.reshape(-1, n), lower, unit)
            return
        columns = np.ascontiguousarray(np.swapaxes(X3, 1, 2)).reshape(-1, n)
        _solve_vectors(A3, np.repeat(ia, m), columns, lower, unit)
        X3[...] = np.swapaxes(columns.reshape(-1, m, n), 1, 2)
        return
    starts = range(0, n, BLOCK) if lower else range((n - 1) // BLOCK * BLOCK, -1, -BLOCK)
    for r0 in starts:
        r1 = min(r0 + BLOCK, n)
        if lower and r0 > 0:
            X[..., r0:r1, :] -= A[..., r0:r1, :r0] @ X[..., :r0, :]
        elif not lower and r1 < n:
            X[..., r0:r1, :] -= A[..., r0:r1, r1:] @ X[..., r1:, :]
        _solve_rows(A3, ia, X3, r0, r1, 0, m, lower, unit)


def trsm(A, B, lower, unit):
    r""":math:`X = T^{-1}B` for the lower (``lower``) or upper triangle :math:`T` of ``A`` (ones on the
    diagonal with ``unit``); ``A (*, n, n)`` and ``B (*, n, m)`` broadcast in their batch dimensions."""
    dtype = np.result_type(A, B)
    batch = _batch_shape(A, B)
    X = _right_side(B, batch, dtype)
    if X.size:
        A = np.asarray(A, dtype=dtype)
        _solve_in_place(A, _stack(A, dtype), _batch_index(A.shape[:-2], batch), X, lower, unit)
    return X


def getrf(A):
    """``(LU, pivots, info)`` of LU factorisation with partial pivoting of the stack ``A (*, m, n)``, as
    LAPACK's ``getrf`` (L below the diagonal, its unit diagonal not stored, and U packed in one array)."""
    batch, (m, n) = A.shape[:-2], A.shape[-2:]
    k = min(m, n)
    a = np.array(A, order="C").reshape((math.prod(batch), m, n))
    piv = np.zeros((a.shape[0], k), np.int32)
    info = np.zeros(a.shape[0], np.int32)
    if a.size:
        identity = np.arange(a.shape[0])
        for j0 in range(0, k, BLOCK):
            j1 = min(j0 + BLOCK, k)
            _lu_panel(a, piv, info, j0, j1)
            if j1 < n:
                _solve_rows(a, identity, a, j0, j1, j1, n, True, True)      # U12 = L11^-1 A12
                if j1 < m:
                    a[:, j1:, j1:] -= a[:, j1:, j0:j1] @ a[:, j0:j1, j1:]
    return a.reshape(A.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def getrs(LU, piv, B, adjoint):
    r""":math:`X = A^{-1}B` (``adjoint``: :math:`A^{-T}B`) for :math:`A = PLU` packed by :func:`getrf`;
    ``LU (*, n, n)`` with its ``piv (*, n)`` and ``B (*, n, m)`` broadcast in their batch dimensions."""
    dtype = np.result_type(LU, B)
    batch = _batch_shape(LU, B)
    X = _right_side(B, batch, dtype)
    if not X.size:
        return X
    n, m = X.shape[-2:]
    index = _batch_index(LU.shape[:-2], batch)
    pivots = np.ascontiguousarray(piv, dtype=np.int32).reshape(-1, piv.shape[-1])
    LU = np.asarray(LU, dtype=dtype)
    if adjoint:
        LU = np.swapaxes(LU, -1, -2)           # A^T = U^T L^T P^T: U^T is lower, L^T unit upper
    LU3 = _stack(LU, dtype)
    if not adjoint:
        _interchange_rows(X.reshape(-1, n, m), pivots, index, False)
    _solve_in_place(LU, LU3, index, X, True, not adjoint)       # L, or U^T
    _solve_in_place(LU, LU3, index, X, False, adjoint)          # U, or L^T
    if adjoint:
        _interchange_rows(X.reshape(-1, n, m), pivots, index, True)
    return X
