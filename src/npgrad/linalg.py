r"""``npgrad.linalg``: PyTorch's ``torch.linalg`` on stacks of matrices ``(*, m, n)``.

Decompositions (``cholesky``, ``qr``, ``eigh``, ``svd``, ``lu``), solvers (``solve``,
``solve_triangular``, ``lu_solve``, ``lstsq``), inverses and determinants, norms and the matrix
functions, all batched over the leading dimensions and differentiable with PyTorch's gradients.
The primitives live in ``npgrad.ops.decomp``; what is composed of other ops is written here.

Errors follow PyTorch: a singular matrix given to ``inv`` or ``solve``, or a matrix that is not
positive-definite given to ``cholesky``, raises :class:`LinAlgError` (a ``RuntimeError``) naming
the failing batch element; the ``*_ex`` variants return LAPACK's ``info`` instead.

Eigenvectors and singular vectors are defined up to sign; npgrad returns LAPACK's, which may
differ from PyTorch's in sign, so compare them through sign-free quantities (reconstructions).
``eig``/``eigvals`` (complex results) and the LDL factorisation are not available (see their
docstrings).

Example:
    >>> import npgrad
    >>> A = npgrad.tensor([[4.0, 1.0], [2.0, 3.0]])
    >>> npgrad.linalg.det(A)
    tensor(10.)
    >>> npgrad.linalg.solve(A, npgrad.tensor([6.0, 8.0]))
    tensor([1., 2.])
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import _dtype as D
from .ops import decomp as _D
from .ops.decomp import LinAlgError
from .ops.reduce import normalize_dims
from .tensor import (_C_NAMES, Tensor, _ensure_tensor, _NamedPair, _overwrite, _scalar_name, _wrap_dim,
                     broadcast_shape, cat, matmul)

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve",
           "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
           "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"]


def _result_type(name, fields):
    """``torch.return_types.<name>``: a tuple whose items are also attributes named ``fields``."""

    def __new__(cls, *items):
        return tuple.__new__(cls, items)

    cls = type(name, (_NamedPair,), {"_fields": fields, "__new__": __new__, "__match_args__": fields,
                                     "n_fields": len(fields)})
    for i, f in enumerate(fields):
        setattr(cls, f, property(lambda self, i=i: self[i]))
    return cls


_Slogdet = _result_type("linalg_slogdet", ("sign", "logabsdet"))
_SlogdetLegacy = _result_type("slogdet", ("sign", "logabsdet"))
_InvEx = _result_type("linalg_inv_ex", ("inverse", "info"))
_SolveEx = _result_type("linalg_solve_ex", ("result", "info"))
_CholeskyEx = _result_type("linalg_cholesky_ex", ("L", "info"))
_Qr = _result_type("linalg_qr", ("Q", "R"))
_QrLegacy = _result_type("qr", ("Q", "R"))
_Eigh = _result_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_Svd = _result_type("linalg_svd", ("U", "S", "Vh"))
_SvdLegacy = _result_type("svd", ("U", "S", "V"))
_Lstsq = _result_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_Lu = _result_type("linalg_lu", ("P", "L", "U"))
_LuFactor = _result_type("linalg_lu_factor", ("LU", "pivots"))
_LuFactorEx = _result_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_LuWithInfo = _result_type("_lu_with_info", ("LU", "pivots", "info"))
_LuUnpack = _result_type("lu_unpack", ("P", "L", "U"))
_TriangularSolve = _result_type("triangular_solve", ("solution", "cloned_coefficient"))
_Geqrf = _result_type("geqrf", ("a", "tau"))


# --------------------------------------------------------------------------- input checks (PyTorch's wording)


def _check_dims(name, A, what="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")


def _check_square(name, A):
    _check_dims(name, A)
    m, n = A.shape[-2:]
    if m != n:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {m} by {n} matrices")


def _check_float(name, A):
    dt = A._data.dtype
    if dt.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_scalar_name(dt)}")
    if dt.itemsize < 4:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {_scalar_name(dt)}")


def _check_kernel(kernel, A):
    """PyTorch's error for a LAPACK kernel that has no integer (or half) version."""
    dt = A._data.dtype
    if dt.kind != "f" or dt.itemsize < 4:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_scalar_name(dt)}\'')


def _check_same_dtype(name, A, B, a="A", b="B"):
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected {a} and {b} to have the same dtype, but found {a} of type "
                           f"{_scalar_name(A._data.dtype)} and {b} of type {_scalar_name(B._data.dtype)} instead")


def _matrix(name, A, square=True):
    """``A`` as a tensor, checked to be a (square) float matrix stack."""
    A = _ensure_tensor(A)
    (_check_square if square else _check_dims)(name, A)
    _check_float(name, A)
    return A


def _is_vector_rhs(A, B):
    """PyTorch's rule: ``B`` is a (batch of) vector(s) when 1-D or of shape ``A.shape[:-1]``."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _check_solve_shapes(name, A, B, left):
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({A.shape[-2]}x{n} and {B.shape[-2]}x{B.shape[-1]})")


def _fmt(p):
    """A norm order as PyTorch prints it (``3``, ``3.5``, ``inf``)."""
    return p if isinstance(p, str) else f"{float(p):g}"


# --------------------------------------------------------------------------- inverses and determinants


def det(A):
    r"""Determinant :math:`\det A` of a square matrix or a stack of them.

    The gradient is :math:`\bar d \det(A) A^{-T}`, and 0 at a singular matrix (PyTorch's value).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.det(npgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(-2.)
    """
    return _D.LinalgDet.apply(_matrix("linalg.det", A))


def slogdet(A):
    r"""``(sign, logabsdet)`` with :math:`\det A = \mathrm{sign}\cdot e^{\mathrm{logabsdet}}`; a
    singular matrix gives ``(0, -inf)``.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.slogdet(npgrad.tensor([[2.0, 0.0], [0.0, -3.0]])).sign
        tensor(-1.)
    """
    sign, logabsdet = _D.LinalgSlogdet.apply(_matrix("linalg.slogdet", A))
    return _Slogdet(sign, logabsdet)


def inv(A):
    r"""Inverse :math:`A^{-1}`; a singular matrix raises :class:`LinAlgError`.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.inv(npgrad.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    return _D.LinalgInvEx.apply(_matrix("linalg.inv", A), "linalg.inv")[0]


def inv_ex(A, *, check_errors=False):
    """``(inverse, info)``: the inverse and LAPACK's ``info`` (the order of the first zero pivot of a
    singular matrix, whose "inverse" then holds inf/nan; 0 where all went well).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.inv_ex(npgrad.tensor([[1.0, 0.0], [0.0, 0.0]])).info
        tensor(2, dtype=npgrad.int32)
    """
    X, info = _D.LinalgInvEx.apply(_matrix("linalg.inv", A), "linalg.inv_ex" if check_errors else None)
    return _InvEx(X, info)


def _solve(name, error_name, A, B, left):
    A = _matrix(name, A)
    B = _ensure_tensor(B)
    _check_float(name, B)
    _check_same_dtype(name, A, B)
    vector = _is_vector_rhs(A, B)
    B_ = B.unsqueeze(-1) if vector else B
    _check_solve_shapes(name, A, B_, left)
    if vector and not left:
        raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not supported for "
                           "left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)")
    if left:
        X, info = _D.LinalgSolveEx.apply(A, B_, error_name)
    else:
        X, info = _D.LinalgSolveEx.apply(A.mT, B_.mT, error_name)
        X = X.mT
    return (X.squeeze(-1) if vector else X), info


def solve(A, B, *, left=True):
    r"""The solution :math:`X` of :math:`AX = B` (``left=False``: :math:`XA = B`) for square ``A``.

    ``B`` is a matrix stack, or a vector (stack) when 1-D or of shape ``A.shape[:-1]``; batch
    dimensions broadcast. A singular ``A`` raises :class:`LinAlgError`. Gradients:
    :math:`\bar B = A^{-T}\bar X`, :math:`\bar A = -\bar B X^T`.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.solve(npgrad.tensor([[2.0, 0.0], [0.0, 4.0]]), npgrad.tensor([2.0, 2.0]))
        tensor([1.0000, 0.5000])
    """
    return _solve("linalg.solve", "torch.linalg.solve", A, B, left)[0]


def solve_ex(A, B, *, left=True, check_errors=False):
    """``(result, info)``: :func:`solve` that reports a singular ``A`` through ``info`` instead of raising.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.solve_ex(npgrad.eye(2), npgrad.tensor([1.0, 2.0]))
        torch.return_types.linalg_solve_ex(
        result=tensor([1., 2.]),
        info=tensor(0, dtype=npgrad.int32))
    """
    X, info = _solve("linalg.solve", "torch.linalg.solve_ex" if check_errors else None, A, B, left)
    return _SolveEx(X, info)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    r""":math:`X = A^{-1}B` (``left=False``: :math:`BA^{-1}`) for triangular ``A``: only its upper
    (``upper=True``) or lower triangle is read, and its diagonal is taken as ones with ``unitriangular``.

    The gradient of ``A`` lies in the triangle that is read. The result has ``A``'s dtype.

    Example:
        >>> import npgrad
        >>> A = npgrad.tensor([[2.0, 1.0], [0.0, 4.0]])
        >>> npgrad.linalg.solve_triangular(A, npgrad.tensor([[4.0], [8.0]]), upper=True)
        tensor([[1.],
                [2.]])
    """
    name = "linalg.solve_triangular"
    A, B = _ensure_tensor(A), _ensure_tensor(B)
    _check_square(name, A)
    _check_dims(name, B, "B")
    _check_kernel("triangular_solve_cpu", A)
    if B.dtype != A.dtype:
        B = B.to(A.dtype)
    _check_solve_shapes(name, A, B, left)
    if left:
        return _D.LinalgSolveTriangular.apply(A, B, upper, unitriangular)
    return _D.LinalgSolveTriangular.apply(A.mT, B.mT, not upper, unitriangular).mT


# --------------------------------------------------------------------------- decompositions


def _cholesky(name, A, upper, error_name):
    A = _ensure_tensor(A)
    _check_square(name, A)
    _check_float(name, A)
    return _D.LinalgCholeskyEx.apply(A, upper, error_name)


def cholesky(A, *, upper=False):
    r"""Cholesky factor of a symmetric positive-definite matrix: lower :math:`L` with :math:`A = LL^T`
    (``upper=True``: :math:`U` with :math:`A = U^TU`). Only the lower (upper) triangle of ``A`` is read;
    a matrix that is not positive-definite raises :class:`LinAlgError`.

    The gradient is PyTorch's, a symmetric matrix.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.cholesky(npgrad.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    return _cholesky("linalg.cholesky", A, upper, "linalg.cholesky")[0]


def cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: :func:`cholesky` with LAPACK's ``info`` (the order of the first leading minor that is
    not positive-definite, 0 where all went well; ``L`` is then only partly computed).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.cholesky_ex(npgrad.tensor([[1.0, 2.0], [2.0, 1.0]])).info
        tensor(2, dtype=npgrad.int32)
    """
    L, info = _cholesky("linalg.cholesky", A, upper, "linalg.cholesky_ex" if check_errors else None)
    return _CholeskyEx(L, info)


def qr(A, mode="reduced"):
    r"""QR decomposition :math:`A = QR` with orthonormal columns in ``Q`` and upper-triangular ``R``.

    ``mode``: ``'reduced'`` (``Q`` is m x k, ``R`` k x n, :math:`k = \min(m, n)`), ``'complete'``
    (``Q`` m x m) or ``'r'`` (``R`` only, ``Q`` empty). LAPACK's Householder QR, as in PyTorch, so the
    signs agree with PyTorch's.

    Example:
        >>> import npgrad
        >>> Q, R = npgrad.linalg.qr(npgrad.tensor([[3.0, 1.0], [4.0, 2.0]]))
        >>> R
        tensor([[-5.0000, -2.2000],
                [ 0.0000,  0.4000]])
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    Q, R = _D.LinalgQr.apply(_matrix("linalg.qr", A, square=False), mode)
    return _Qr(Q, R)


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L"):
    r"""Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices, reading the lower
    (``UPLO='L'``) or upper triangle.

    Eigenvectors are defined up to sign (LAPACK's signs, not always PyTorch's); the gradient is
    PyTorch's and is defined for distinct eigenvalues when the eigenvectors are used.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.eigh(npgrad.tensor([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
        tensor([1., 3.])
    """
    A = _ensure_tensor(A)
    _check_square("linalg.eigh", A)
    _check_kernel("linalg_eigh_cpu", A)
    _check_uplo(UPLO)
    L, V = _D.LinalgEigh.apply(A, UPLO, True)
    return _Eigh(L, V)


def eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of symmetric matrices; see :func:`eigh`.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.eigvalsh(npgrad.tensor([[2.0, 0.0], [0.0, 1.0]]))
        tensor([1., 2.])
    """
    A = _ensure_tensor(A)
    _check_square("linalg.eigh", A)
    _check_kernel("linalg_eigh_cpu", A)
    _check_uplo(UPLO)
    return _D.LinalgEigh.apply(A, UPLO, False)[0]


def _check_driver(driver):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None):
    r"""Singular value decomposition :math:`A = U\,\mathrm{diag}(S)\,V^h`, ``S`` descending.

    ``full_matrices=False`` gives the reduced factors (``U`` m x k, ``Vh`` k x n). Singular vectors are
    defined up to sign (LAPACK's ``gesdd`` signs); the gradient is PyTorch's ``svd_backward``.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.svd(npgrad.tensor([[3.0, 0.0], [0.0, -4.0]])).S
        tensor([4., 3.])
    """
    _check_driver(driver)
    U, S, Vh = _D.LinalgSvd.apply(_matrix("linalg.svd", A, square=False), full_matrices, True)
    return _Svd(U, S, Vh)


def svdvals(A, *, driver=None):
    """Singular values, descending; the gradient is :math:`U\\,\\mathrm{diag}(\\bar S)\\,V^h`.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.svdvals(npgrad.tensor([[0.0, 2.0], [1.0, 0.0]]))
        tensor([2., 1.])
    """
    _check_driver(driver)
    return _D.LinalgSvd.apply(_matrix("linalg.svd", A, square=False), False, False)[1]


def eig(A, *, out=None):
    """Not available: the eigenvalues and eigenvectors of a general real matrix are complex, and npgrad
    has no complex dtype. Symmetric matrices: :func:`eigh`."""
    raise NotImplementedError("linalg.eig: the eigenvalues and eigenvectors of a general real matrix are "
                              "complex and npgrad has no complex dtype; for a symmetric matrix use linalg.eigh")


def eigvals(A, *, out=None):
    """Not available (complex results, see :func:`eig`). Symmetric matrices: :func:`eigvalsh`."""
    raise NotImplementedError("linalg.eigvals: the eigenvalues of a general real matrix are complex and npgrad "
                              "has no complex dtype; for a symmetric matrix use linalg.eigvalsh")


def _ldl_missing(name):
    raise NotImplementedError(f"linalg.{name}: the LDL^T (Bunch-Kaufman) factorization is not available in "
                              "npgrad; use linalg.cholesky, linalg.lu_factor or linalg.solve")


def ldl_factor(A, *, hermitian=False, out=None):
    """Not available: npgrad has no Bunch-Kaufman LDL^T factorisation (use :func:`cholesky`,
    :func:`lu_factor` or :func:`solve`)."""
    _ldl_missing("ldl_factor")


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """Not available: see :func:`ldl_factor`."""
    _ldl_missing("ldl_factor_ex")


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """Not available: see :func:`ldl_factor`."""
    _ldl_missing("ldl_solve")


# --------------------------------------------------------------------------- LU


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    r"""``(LU, pivots, info)``: :math:`A = PLU` with partial pivoting, packed as LAPACK's ``getrf`` packs
    it (``L`` below the diagonal, unit diagonal not stored); ``pivots`` are the 1-based row interchanges
    (int32), ``info`` the order of the first zero pivot (0 if none).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.lu_factor_ex(npgrad.tensor([[0.0, 1.0], [0.0, 2.0]])).info
        tensor(1, dtype=npgrad.int32)
    """
    return _lu_factor("torch.linalg.lu_factor_ex" if check_errors else None, A, pivot)


def _lu_factor(error_name, A, pivot):
    A = _ensure_tensor(A)
    if A.ndim < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    _check_kernel("lu_cpu", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, piv, info = _D.LinalgLuFactorEx.apply(A)
    if error_name is not None and info._data.any():
        raise _D._batch_error(error_name, info._data, lambda i: f"U[{i},{i}] is zero and using it on lu_solve "
                              "would result in a division by zero. If you still want to perform the "
                              "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, "
                              "pivot)", A.ndim > 2, RuntimeError)
    return _LuFactorEx(LU, piv, info)


def lu_factor(A, *, pivot=True):
    """``(LU, pivots)`` of :func:`lu_factor_ex`; an exactly singular matrix is an error (its factors
    cannot be used by :func:`lu_solve`).

    Example:
        >>> import npgrad
        >>> LU, pivots = npgrad.linalg.lu_factor(npgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> pivots
        tensor([2, 2], dtype=npgrad.int32)
    """
    LU, piv, _ = _lu_factor("torch.linalg.lu_factor", A, pivot)
    return _LuFactor(LU, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from :func:`lu_factor`'s packed factors (``torch.lu_unpack``); an item not asked
    for is an empty tensor. ``L`` and ``U`` are differentiable in ``LU_data``.

    Example:
        >>> import npgrad
        >>> P, L, U = npgrad.lu_unpack(*npgrad.linalg.lu_factor(npgrad.tensor([[1.0, 2.0], [3.0, 4.0]])))
        >>> P
        tensor([[0., 1.],
                [1., 0.]])
    """
    LU, piv = _ensure_tensor(LU_data), _ensure_tensor(LU_pivots)
    if piv._data.dtype != np.int32:
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.")
    m, n = LU.shape[-2:]
    k = min(m, n)
    if piv._data.size and (piv._data.min() < 1 or piv._data.max() > m):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive."
                           "Did you properly pass the result of lu_factor?")
    empty = Tensor._wrap(np.empty((0,), LU._data.dtype))
    P = Tensor._wrap(_D._perm_matrix(piv._data, m, LU._data.dtype)) if unpack_pivots else empty
    if not unpack_data:
        return _LuUnpack(P, empty, empty)
    eye = Tensor._wrap(np.eye(m, k, dtype=LU._data.dtype))
    L = LU.narrow(-1, 0, k).tril(-1) + eye
    U = LU.narrow(-2, 0, k).triu()
    return _LuUnpack(P, L, U)


def lu(A, *, pivot=True):
    """``(P, L, U)`` with :math:`A = PLU`: permutation ``P``, unit lower-triangular ``L`` (m x k) and
    upper-triangular ``U`` (k x n); gradients as PyTorch's ``linalg_lu_backward``.

    Example:
        >>> import npgrad
        >>> P, L, U = npgrad.linalg.lu(npgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> U
        tensor([[3.0000, 4.0000],
                [0.0000, 0.6667]])
    """
    LU, piv, _ = _lu_factor(None, A, pivot)
    return _Lu(*lu_unpack(LU, piv))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    r"""The solution of :math:`AX = B` from :func:`lu_factor`'s factors of ``A`` (``adjoint``:
    :math:`A^TX = B`; ``left=False``: :math:`XA = B` or :math:`XA^T = B`). Differentiable in ``LU``
    and ``B``.

    Example:
        >>> import npgrad
        >>> A = npgrad.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> npgrad.linalg.lu_solve(*npgrad.linalg.lu_factor(A), npgrad.tensor([[5.0], [11.0]]))
        tensor([[1.],
                [2.]])
    """
    LU, pivots, B = _ensure_tensor(LU), _ensure_tensor(pivots), _ensure_tensor(B)
    _check_square("torch.linalg.lu_solve", LU)
    _check_dims("linalg.lu_solve", B, "B")
    _check_same_dtype("linalg.lu_solve", LU, B, "LU", "B")
    if pivots._data.dtype != np.int32:
        raise RuntimeError("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32")
    _check_kernel("lu_solve_cpu", LU)
    _check_solve_shapes("linalg.lu_solve", LU, B, left)
    if left:
        return _D.LinalgLuSolve.apply(LU, pivots, B, adjoint)
    return _D.LinalgLuSolve.apply(LU, pivots, B.mT, not adjoint).mT


# --------------------------------------------------------------------------- pseudo-inverse, rank, least squares


def _tolerances(A, atol, rtol):
    """PyTorch's ``get_atol_rtol``: ``rtol`` defaults to eps * max(m, n), or 0 where ``atol > 0`` is given."""
    atol_v = np.zeros(()) if atol is None else np.asarray(atol._data if isinstance(atol, Tensor) else atol,
                                                          np.float64)
    if rtol is not None:
        return atol_v, np.asarray(rtol._data if isinstance(rtol, Tensor) else rtol, np.float64)
    default = np.finfo(A._data.dtype).eps * max(A.shape[-1], A.shape[-2])
    return atol_v, (np.full((), default) if atol is None else np.where(atol_v > 0, 0.0, default))


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    r"""Moore-Penrose pseudo-inverse :math:`A^+` through the SVD (``hermitian``: the eigendecomposition,
    reading the lower triangle). Singular values up to :math:`\max(\mathrm{atol}, \mathrm{rtol}\cdot
    \sigma_1)` count as zero; ``rtol`` defaults to :math:`\epsilon\max(m, n)` (0 when ``atol > 0`` is
    given); ``rcond`` is the older name of ``rtol``.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.pinv(npgrad.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    A = _ensure_tensor(A)
    dt = A._data.dtype
    if A.ndim < 2 or dt.kind != "f" or dt.itemsize < 4:
        raise RuntimeError(f"linalg.pinv({_scalar_name(dt)}{{{list(A.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    if rcond is not None:
        atol, rtol = 0.0, rcond
    atol_v, rtol_v = _tolerances(A, atol, rtol)
    return _D.LinalgPinv.apply(A, atol_v, rtol_v, hermitian)


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    r"""Number of singular values (``hermitian``: absolute eigenvalues) above
    :math:`\max(\mathrm{atol}, \mathrm{rtol}\cdot\sigma_1)`, as int64; tolerances as in :func:`pinv`
    (``tol`` is the older name of ``atol``, with ``rtol = 0``).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.matrix_rank(npgrad.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    A = _ensure_tensor(A)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if A._data.dtype.kind != "f" or A._data.dtype.itemsize < 4:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol_v, rtol_v = _tolerances(A, atol, rtol)
    a = A._data
    if hermitian:
        S = np.abs(np.linalg.eigvalsh(a))
    else:
        S = np.linalg.svd(a, compute_uv=False)
    big = S.max(axis=-1, keepdims=True) if S.shape[-1] else np.zeros(S.shape[:-1] + (1,), S.dtype)
    tol_ = np.maximum(atol_v[..., None], rtol_v[..., None] * big)
    return Tensor._wrap(np.asarray(np.sum(S > tol_, axis=-1), np.int64))


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    r"""Least-squares solution of :math:`AX = B`: ``(solution, residuals, rank, singular_values)``.

    The minimum-norm solution, singular values up to ``rcond`` times the largest (default
    :math:`\epsilon\max(m, n)`) counting as zero. The other fields are filled as PyTorch fills them on
    the CPU for ``driver`` (default ``'gelsy'``): ``residuals`` (:math:`\lVert AX - B\rVert^2` per
    column) only for m > n with drivers other than ``'gelsy'`` (``'gelsd'``/``'gelss'``: full rank only),
    ``rank`` for all drivers but ``'gels'``, ``singular_values`` for ``'gelsd'`` and ``'gelss'``; empty
    tensors otherwise.

    Example:
        >>> import npgrad
        >>> A = npgrad.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> npgrad.linalg.lstsq(A, npgrad.tensor([1.0, 1.0, 3.0])).solution
        tensor([1.3333, 1.3333])
    """
    A, B = _ensure_tensor(A), _ensure_tensor(B)
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    for t in (A, B):
        if t._data.dtype.kind != "f" or t._data.dtype.itemsize < 4:
            raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype != B.dtype:
        raise RuntimeError("torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_scalar_name(A._data.dtype)} and other's dtype {_scalar_name(B._data.dtype)}")
    vector = _is_vector_rhs(A, B)
    B_ = B.unsqueeze(-1) if vector else B
    if B_.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if rcond is None:
        rcond = float(np.finfo(A._data.dtype).eps) * max(A.shape[-2], A.shape[-1])
    X, residuals, rank, sv = _D.LinalgLstsq.apply(A, B_, rcond, driver)
    return _Lstsq(X.squeeze(-1) if vector else X, residuals, rank, sv)


# --------------------------------------------------------------------------- matrix functions


def matrix_power(A, n):
    r""":math:`A^n` for an integer ``n`` by repeated squaring (``n < 0``: powers of :math:`A^{-1}`;
    ``n = 0``: the identity, with zero gradient).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.matrix_power(npgrad.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    if not isinstance(n, numbers.Integral) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    A = _ensure_tensor(A)
    _check_square("linalg.matrix_power", A)
    n = int(n)
    if n == 0:
        return _overwrite(A, Tensor._wrap(np.eye(A.shape[-1], dtype=A._data.dtype)))
    if n < 0:
        A = inv(A)
        n = -n
    if n == 1:
        return A.clone()
    if n == 2:
        return matmul(A, A)
    if n == 3:
        return matmul(matmul(A, A), A)
    z = result = None   # binary decomposition of n, least significant bit first (as PyTorch)
    while n > 0:
        bit, n = n % 2, n // 2
        z = A if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def matrix_exp(A):
    r"""Matrix exponential :math:`e^A = \sum_k A^k / k!` (scaling and squaring with a Padé approximant).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.matrix_exp(npgrad.tensor([[0.0, 1.0], [0.0, 0.0]]))
        tensor([[1., 1.],
                [0., 1.]])
    """
    return _D.LinalgMatrixExp.apply(_matrix("linalg.matrix_exp", A))


# --------------------------------------------------------------------------- norms


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    r""":math:`\lVert x\rVert_p = (\sum_i |x_i|^p)^{1/p}` over ``dim`` (all elements by default);
    ``ord`` = inf / -inf: the largest / smallest :math:`|x_i|`, 0: the number of non-zeros. ``dtype``
    casts ``x`` first (only to an equal or wider float type).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.vector_norm(npgrad.tensor([3.0, -4.0]))
        tensor(5.)
        >>> npgrad.linalg.vector_norm(npgrad.tensor([3.0, -4.0]), ord=1)
        tensor(7.)
    """
    if isinstance(ord, str) or not isinstance(ord, numbers.Real):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        f"{type(ord).__name__}")
    x = _ensure_tensor(x)
    if x._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_scalar_name(x._data.dtype)}")
    dims = normalize_dims(dim, x.ndim)
    p = float(ord)
    if p < 0 or p == math.inf:
        if dim is None or (not isinstance(dim, int) and len(dim) == 0):
            if x.numel() == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt(p)} norm on an empty tensor "
                                   "because the operation does not have an identity")
        else:
            for d in dims:
                if x.shape[d] == 0:
                    raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt(p)} norm on the dimension "
                                       f"{d}because this dimension is empty and the operation does not have an "
                                       "identity")
    if dtype is not None:
        x = x.to(_norm_dtype("linalg.vector_norm", x, dtype))
    return _D.LinalgVectorNorm.apply(x, p, dims, keepdim)


def _norm_dtype(name, x, dtype):
    """The ``dtype`` asked of a norm, with PyTorch's errors: it must be floating, and no narrower than ``x``'s."""
    d = D.as_dtype(dtype)
    if d.np.kind != "f":
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got {_scalar_name(d.np)}")
    if x._data.dtype.itemsize > d.np.itemsize:
        raise RuntimeError(f"{name}: the dtype of the input ({_scalar_name(x._data.dtype)}) should be convertible "
                           f"without narrowing to the specified dtype ({_scalar_name(d.np)})")
    return d


def _matrix_dims(A, dim):
    """The two distinct (wrapped) dims of a matrix norm, with PyTorch's errors."""
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = _wrap_dim(dims[0], A.ndim), _wrap_dim(dims[1], A.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    r"""Matrix norm over the two dims ``dim``: ``'fro'`` (Frobenius), ``'nuc'`` (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (largest / smallest column sum of :math:`|a_{ij}|`),
    inf / -inf (largest / smallest row sum).

    Example:
        >>> import npgrad
        >>> A = npgrad.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> npgrad.linalg.matrix_norm(A, ord=1)
        tensor(6.)
        >>> npgrad.linalg.matrix_norm(A, ord=float("inf"))
        tensor(7.)
    """
    A = _ensure_tensor(A)
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif abs(float(ord)) not in (1.0, 2.0, math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {_fmt(ord)} not supported.")
    _check_dims("linalg.matrix_norm", A)
    _check_float("linalg.matrix_norm", A)
    d0, d1 = _matrix_dims(A, dim)
    if dtype is not None:
        dtype = _norm_dtype("linalg.matrix_norm", A, dtype)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord == "nuc" or abs(float(ord)) == 2.0:
        A_ = A.to(dtype) if dtype is not None else A
        perm = [d for d in range(A.ndim) if d not in (d0, d1)] + [d0, d1]
        S = svdvals(A_.permute(*perm))
        if S.shape[-1] == 0:
            result = Tensor._wrap(np.zeros(S.shape[:-1], S._data.dtype))
        elif ord == "nuc":
            result = S.sum(-1)
        else:
            result = S.amax(-1) if float(ord) > 0 else S.amin(-1)
        if keepdim:
            inverse = [perm.index(d) for d in range(A.ndim)]
            result = result.unsqueeze(-1).unsqueeze(-1).permute(*inverse)
        return result
    p = float(ord)
    first, second = (d1, d0) if abs(p) == math.inf else (d0, d1)
    if first < second and not keepdim:
        second -= 1
    col = vector_norm(A, 1.0, first, keepdim, dtype=dtype)
    return col.amax(second, keepdim) if p > 0 else col.amin(second, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    r"""A vector or matrix norm: with ``ord`` a string or ``dim`` a 2-tuple (or no ``dim`` and a 2-D
    input with ``ord`` given), :func:`matrix_norm`; otherwise :func:`vector_norm` (``ord=None``: the
    2-norm of the flattened input).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.norm(npgrad.tensor([[3.0, 0.0], [0.0, 4.0]]))
        tensor(5.)
    """
    A = _ensure_tensor(A)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    elif ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.ndim}D.")
    if isinstance(ord, str):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    if ord is not None and ((dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2)):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, 2.0 if ord is None else ord, dim, keepdim, dtype=dtype)


def _cond_order(p):
    """Whether ``p`` is one of the orders :func:`cond` accepts."""
    if p is None:
        return True
    if isinstance(p, str):
        return p in ("fro", "nuc")
    return isinstance(p, numbers.Real) and float(p) in (2.0, -2.0, 1.0, -1.0, math.inf, -math.inf)


def cond(A, p=None):
    r"""Condition number :math:`\kappa_p(A) = \lVert A\rVert_p \lVert A^{-1}\rVert_p`; ``p`` None or 2 (-2):
    the ratio of the largest to the smallest singular value (its inverse), for any shape. For the
    other orders ``A`` must be square; a singular matrix gives inf.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.cond(npgrad.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    if not _cond_order(p):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    A = _ensure_tensor(A)
    if p is None or (not isinstance(p, str) and abs(float(p)) == 2.0):
        if A.ndim < 2:
            raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
        if A.numel() == 0:
            _check_float("linalg.svd", A)
            return Tensor._wrap(np.zeros(A.shape[:-2], A._data.dtype))
        S = svdvals(A)
        k = S.shape[-1]
        smax, smin = S.narrow(-1, 0, 1), S.narrow(-1, k - 1, 1)
        return (smin / smax if p is not None and float(p) < 0 else smax / smin).squeeze(-1)
    ord_str = p if isinstance(p, str) else (str(int(p)) if abs(float(p)) == 1.0 else _fmt(p))
    _check_square(f"linalg.cond(ord={ord_str})", A)
    if A.numel() == 0:
        _check_float("linalg.inv", A)
        return Tensor._wrap(np.zeros(A.shape[:-2], A._data.dtype))
    inverse, info = inv_ex(A)
    inverse = inverse.masked_fill(Tensor._wrap((info._data > 0)[..., None, None]), math.inf)
    return matrix_norm(A, p) * matrix_norm(inverse, p)


# --------------------------------------------------------------------------- tensor forms


def tensorinv(A, ind=2):
    r"""The inverse of ``A`` seen as a linear map from its first ``ind`` dims to the others:
    ``tensordot(tensorinv(A, ind), A, ind)`` is the identity; the result has shape
    ``A.shape[ind:] + A.shape[:ind]``.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.tensorinv(npgrad.eye(4).reshape(4, 2, 2), ind=1).shape
        npgrad.Size([2, 2, 4])
    """
    A = _ensure_tensor(A)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    outer, inner = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    rows, cols = math.prod(outer), math.prod(inner)
    if rows != cols:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(inner + outer)


def tensorsolve(A, B, dims=None):
    r"""``X`` with ``tensordot(A, X, X.ndim) = B``: ``A`` seen as a matrix from its last dims (of
    ``X``'s shape ``A.shape[B.ndim:]``) to its first (``B``'s); ``dims`` moves those dims of ``A`` to
    the end first.

    Example:
        >>> import npgrad
        >>> A = npgrad.eye(6).reshape(2, 3, 6)
        >>> npgrad.linalg.tensorsolve(A, npgrad.ones(2, 3)).shape
        npgrad.Size([6])
    """
    A, B = _ensure_tensor(A), _ensure_tensor(B)
    if dims is not None:
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        A = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim)))
    result_shape = tuple(A.shape[B.ndim:])
    cols, rows = math.prod(result_shape), math.prod(A.shape[:B.ndim])
    if cols != rows:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {rows}")
    return solve(A.reshape(rows, cols), B.flatten()).reshape(result_shape)


# --------------------------------------------------------------------------- products and views


def cross(input, other, *, dim=-1):
    r"""Cross product of 3-vectors along ``dim`` (other dims broadcast):
    :math:`(a_2b_3 - a_3b_2,\ a_3b_1 - a_1b_3,\ a_1b_2 - a_2b_1)`.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.cross(npgrad.tensor([1.0, 0.0, 0.0]), npgrad.tensor([0.0, 1.0, 0.0]))
        tensor([0., 0., 1.])
    """
    a, b = _ensure_tensor(input), _ensure_tensor(other)
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and "
                           f"{b.shape[d]}")
    broadcast_shape(tuple(a.shape), tuple(b.shape))
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(a._data.dtype)} but found "
                           f"{_scalar_name(b._data.dtype)}")
    return a.roll(-1, d) * b.roll(-2, d) - a.roll(-2, d) * b.roll(-1, d)


def vecdot(x, y, *, dim=-1):
    r"""Dot product of vectors along ``dim``, other dims broadcast: :math:`\sum_i x_i y_i`.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.vecdot(npgrad.tensor([1.0, 2.0]), npgrad.tensor([3.0, 4.0]))
        tensor(11.)
    """
    x, y = _ensure_tensor(x), _ensure_tensor(y)
    _check_float("linalg.vecdot", x)
    if x.dtype != y.dtype:
        raise RuntimeError("linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_scalar_name(x._data.dtype)} and y of type {_scalar_name(y._data.dtype)} instead")
    return (x * y).sum(dim)


def multi_dot(tensors):
    r"""Product of a chain of matrices in the cheapest order (the first may be a row vector, the last a
    column vector, as 1-D tensors), PyTorch's order.

    Example:
        >>> import npgrad
        >>> npgrad.linalg.multi_dot([npgrad.ones(2), npgrad.ones(2, 3), npgrad.ones(3)])
        tensor(6.)
    """
    ts = [_ensure_tensor(t) for t in tensors]
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    if ts[0].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {ts[0].ndim}D")
    if ts[-1].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {ts[-1].ndim}D")
    for i in range(1, n - 1):
        if ts[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i].ndim}D")
    out_shape = []
    mats = list(ts)
    if ts[0].ndim == 1:
        mats[0] = ts[0].unsqueeze(0)
    else:
        out_shape.append(ts[0].shape[0])
    if ts[-1].ndim == 1:
        mats[-1] = ts[-1].unsqueeze(-1)
    else:
        out_shape.append(ts[-1].shape[1])
    for i in range(1, n):
        if mats[i]._data.dtype != mats[0]._data.dtype:
            name = lambda t: _C_NAMES.get(t._data.dtype.name, t._data.dtype.name)  # noqa: E731
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{name(mats[0])} and tensor {i} {name(mats[i])}")
        if mats[i - 1].shape[-1] != mats[i].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes {list(ts[i - 1].shape)} and "
                               f"{list(ts[i].shape)} cannot be multiplied")
    return _chain(mats).reshape(out_shape)


def _chain(mats):
    """PyTorch's ``multi_dot_impl``: 2 factors directly, 3 by comparing the two orders, more by the
    classic dynamic programme over split points."""
    n = len(mats)
    if n == 2:
        return matmul(mats[0], mats[1])
    if n == 3:
        a, b, c, d = mats[0].shape[0], mats[1].shape[0], mats[2].shape[0], mats[2].shape[1]
        if (a * c) * (b + d) > (b * d) * (a + c):
            return matmul(mats[0], matmul(mats[1], mats[2]))
        return matmul(matmul(mats[0], mats[1]), mats[2])
    p = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k

    def product(i, j):
        if i == j:
            return mats[i]
        return matmul(product(i, split[i][j]), product(split[i][j] + 1, j))

    return product(0, n - 1)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """Diagonal of every matrix of a stack (``Tensor.diagonal`` with the last two dims by default).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.diagonal(npgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([1., 4.])
    """
    return _ensure_tensor(A).diagonal(offset, dim1, dim2)


def vander(x, *, N=None):
    r"""Vandermonde matrix with increasing powers: ``[1, x, x**2, ..., x**(N-1)]`` along a new last dim
    (``N`` defaults to ``x.shape[-1]``).

    Example:
        >>> import npgrad
        >>> npgrad.linalg.vander(npgrad.tensor([1.0, 2.0, 3.0]))
        tensor([[1., 1., 1.],
                [1., 2., 4.],
                [1., 3., 9.]])
    """
    x = _ensure_tensor(x)
    if x._data.dtype.kind not in "fiu":
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got "
                           f"{_scalar_name(x._data.dtype)}")
    x_ = x.unsqueeze(-1) if x.ndim == 0 else x
    n = x_.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    shape = tuple(x_.shape)
    powers = x_.unsqueeze(-1).expand(*shape, n - 1).cumprod(-1)
    ones = Tensor._wrap(np.ones(shape + (1,), x_._data.dtype))
    return cat([ones, powers], -1)


def householder_product(A, tau):
    r"""The first n columns of :math:`H_1 \cdots H_k`, :math:`H_i = I - \tau_i v_i v_i^T`, where
    :math:`v_i` is column i of ``A`` below the diagonal with a 1 on it (LAPACK's ``orgqr``; with
    :func:`npgrad.geqrf`'s output it gives Q of the QR decomposition).

    Example:
        >>> import npgrad
        >>> A = npgrad.tensor([[3.0, 1.0], [4.0, 2.0]])
        >>> a, tau = npgrad.geqrf(A)
        >>> npgrad.linalg.householder_product(a, tau) @ a.triu()
        tensor([[3.0000, 1.0000],
                [4.0000, 2.0000]])
    """
    name = "torch.linalg.householder_product"
    A, tau = _ensure_tensor(A), _ensure_tensor(tau)
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < k:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got tau.ndim equal "
                           f"to {tau.ndim} and input.ndim is equal to {A.ndim}")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    if tau.dtype != A.dtype:
        raise RuntimeError(f"{name}: tau dtype {_scalar_name(tau._data.dtype)} does not match input dtype "
                           f"{_scalar_name(A._data.dtype)}")
    _check_kernel("orgqr_cpu", A)
    Q = Tensor._wrap(np.broadcast_to(np.eye(m, n, dtype=A._data.dtype), tuple(A.shape[:-2]) + (m, n)).copy())
    return _reflect(A, tau, Q, left=True, forward=False)


def _reflect(A, tau, C, left, forward):
    r"""``C`` multiplied by the reflectors :math:`H_i = I - \tau_i v_i v_i^T` stored in ``A`` and ``tau``:
    from the left (``H C``) or the right (``C H``), applying :math:`H_1` first (``forward``) or last."""
    k = tau.shape[-1]
    rows = A.shape[-2]
    V = A.tril(-1) + Tensor._wrap(np.eye(rows, A.shape[-1], dtype=A._data.dtype))
    for i in (range(k) if forward else range(k - 1, -1, -1)):
        v = V.narrow(-1, i, 1)                       # (*, rows, 1)
        t = tau.narrow(-1, i, 1).unsqueeze(-1)      # (*, 1, 1)
        if left:
            C = C - (t * v) @ (v.mT @ C)
        else:
            C = C - (C @ v) @ (t * v.mT)
    return C


# --------------------------------------------------------------------------- the torch namespace's older forms
# (Tensor methods and npgrad.<name>: torch.svd, torch.qr, torch.cholesky, torch.lu ...; see tensor.py)


def _logdet(A):
    """``torch.logdet``: :math:`\\log\\det A`, NaN for a negative determinant, -inf for a singular matrix."""
    A = _matrix("logdet", A)
    sign, logabsdet = _D.LinalgSlogdet.apply(A)
    return logabsdet.masked_fill(sign == -1, math.nan)


def _slogdet(A):
    """``torch.slogdet``: :func:`slogdet` as ``torch.return_types.slogdet``."""
    return _SlogdetLegacy(*slogdet(A))


def _cholesky_legacy(A, upper=False):
    """``torch.cholesky`` (its errors say ``cholesky``)."""
    A = _ensure_tensor(A)
    _check_square("cholesky", A)
    _check_kernel("cholesky_cpu", A)
    return _D.LinalgCholeskyEx.apply(A, upper, "cholesky")[0]


def _cholesky_solve(B, L, upper=False):
    r"""``torch.cholesky_solve(B, L, upper)``: :math:`(LL^T)^{-1}B` (``upper``: :math:`(U^TU)^{-1}B`)."""
    B, L = _ensure_tensor(B), _ensure_tensor(L)
    if B.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B.ndim} dimensions instead")
    if L.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {L.ndim} dimensions instead")
    _linear_solve_checks("cholesky_solve", B, L)
    return _D.CholeskySolve.apply(B, L, upper)


def _linear_solve_checks(name, b, A):
    """PyTorch's checks of the operands of ``cholesky_solve`` and ``triangular_solve``: square ``A``, a
    floating ``b`` of ``A``'s dtype, as many rows as ``A`` has columns."""
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"A must be batches of square matrices, but they are {A.shape[-2]} by {A.shape[-1]} "
                           "matrices")
    _check_kernel(f"{name}_cpu", b)
    if b.dtype != A.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_scalar_name(b._data.dtype)} and A of type {_scalar_name(A._data.dtype)} instead.")
    if b.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is {A.shape[-2]} by "
                           f"{A.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")


def _cholesky_inverse(L, upper=False):
    r"""``torch.cholesky_inverse``: :math:`(LL^T)^{-1}` (``upper``: :math:`(U^TU)^{-1}`)."""
    L = _ensure_tensor(L)
    _check_square("cholesky_inverse", L)
    _check_kernel("cholesky_inverse_out_cpu", L)
    return _D.CholeskyInverse.apply(L, upper)


def _triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """``torch.triangular_solve(b, A)``: ``(solution, cloned_coefficient)`` of :math:`AX = b`
    (``transpose``: :math:`A^TX = b`)."""
    b, A = _ensure_tensor(b), _ensure_tensor(A)
    for name, t in (("b", b), ("A", A)):
        if t.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 dimensions, but it has "
                               f"{t.ndim} dimensions instead")
    _linear_solve_checks("triangular_solve", b, A)
    X = _D.LinalgSolveTriangular.apply(A.mT if transpose else A, b, upper != transpose, unitriangular)
    return _TriangularSolve(X, A.clone())


def _qr_legacy(A, some=True):
    """``torch.qr(A, some)``: :func:`qr` with mode 'reduced' (``some``) or 'complete'."""
    return _QrLegacy(*qr(A, "reduced" if some else "complete"))


def _svd_legacy(A, some=True, compute_uv=True):
    """``torch.svd``: ``(U, S, V)`` with :math:`A = U\\,\\mathrm{diag}(S)\\,V^T`; without ``compute_uv``,
    ``U`` and ``V`` are zero matrices of orders m and n."""
    if compute_uv:
        U, S, Vh = svd(A, full_matrices=not some)
        return _SvdLegacy(U, S, Vh.mT)
    S = svdvals(A)
    A = _ensure_tensor(A)
    batch, (m, n) = tuple(A.shape[:-2]), A.shape[-2:]
    dt = A._data.dtype
    return _SvdLegacy(Tensor._wrap(np.zeros(batch + (m, m), dt)), S, Tensor._wrap(np.zeros(batch + (n, n), dt)))


def _lu_legacy(A, pivot=True, get_infos=False):
    """``torch.lu``: ``(LU, pivots)``, with ``infos`` as a third item when ``get_infos``."""
    LU, piv, info = _lu_factor(None, A, pivot)
    return _LuWithInfo(LU, piv, info) if get_infos else (LU, piv)


def _lu_solve_legacy(b, LU_data, LU_pivots):
    """``torch.lu_solve(b, LU_data, LU_pivots)``: :func:`lu_solve` with the right side first."""
    return lu_solve(LU_data, LU_pivots, b)


def _geqrf(A):
    """``torch.geqrf``: ``(a, tau)`` of LAPACK's Householder QR (R on and above the diagonal of ``a``,
    the reflectors below it); not differentiable."""
    A = _ensure_tensor(A)
    if A.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _check_kernel("geqrf_cpu", A)
    return _Geqrf(*_D.Geqrf.apply(A))


def _ormqr(A, tau, other, left=True, transpose=False):
    r"""``torch.ormqr``: ``other`` multiplied by the Q of :func:`householder_product`, from the left
    (``left``) or the right, transposed with ``transpose``."""
    A, tau, C = _ensure_tensor(A), _ensure_tensor(tau), _ensure_tensor(other)
    for name, t in (("input", A), ("other", C)):
        if t.ndim < 2:
            raise RuntimeError(f"torch.ormqr: {name} must have at least 2 dimensions.")
    side = -2 if left else -1
    if C.shape[side] != A.shape[-2]:
        raise RuntimeError(f"torch.ormqr: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.ndim == 0 or tau.shape[-1] > min(C.shape[side], A.shape[-1]):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           "input.shape[-1])")
    _check_kernel("ormqr_cpu", A)
    return _reflect(A, tau, C, left, forward=(left == transpose))


def _pinverse(A, rcond=1e-15):
    """``torch.pinverse(A, rcond)``: :func:`pinv` with ``rtol=rcond``."""
    return pinv(A, rcond=rcond)
