"""Products, constructions, scatters, splits and statistics with PyTorch's API.

Matrix products with a scaled input (``addmm``, ``baddbmm`` ...), ``kron``, ``tensordot`` and
``cross``; constructions (``block_diag``, ``diag_embed``, ``vander``, the ``*_scatter`` family ...);
``masked_scatter``, ``index_reduce`` and ``put``; the splitting helpers; ``cov``, ``quantile``,
``nanmedian``, ``histc``, ``histogram`` and the trapezoid rule. Most are compositions of
differentiable primitives; the few primitives of their own sit here as small ``Function`` classes.
"""
from __future__ import annotations

import functools
import itertools
import math
import numbers
import warnings

import numpy as np

from .. import _dtype as D
from ..autograd.function import ArrayFunction as Function
from .elementwise import Lerp
from ..tensor import (_C_NAMES, Size, Tensor, _category, _expand_shape, _labelled, _raw, _return_type,
                      _scalar_name, _shape_arg, _wrap_dim, broadcast_shape, cat, check_device, matmul, promote_types,
                      stack)

__all__ = ["addmm", "addmv", "addmv_", "addr", "baddbmm", "addbmm", "chain_matmul", "kron", "tensordot", "inner",
           "vdot", "ger", "cross", "dist", "renorm", "block_diag", "cartesian_prod", "combinations", "diag",
           "diag_embed", "diagflat", "diagonal_scatter", "select_scatter", "slice_scatter", "tril_indices",
           "triu_indices", "rot90", "vander", "empty_strided", "scalar_tensor", "range", "dstack", "atleast_1d",
           "atleast_2d", "atleast_3d", "meshgrid", "unravel_index", "trace", "masked_scatter", "index_reduce", "put",
           "isin", "vsplit", "hsplit", "dsplit", "split_with_sizes", "unsafe_chunk", "unsafe_split", "ravel",
           "narrow_copy", "msort", "unique_consecutive", "cov", "corrcoef", "quantile", "nanquantile", "nanmedian",
           "histc", "histogram", "bincount", "trapezoid", "trapz", "cumulative_trapezoid"]

_Histogram = _return_type("histogram", ("hist", "bin_edges"))
_NanMedian = _return_type("nanmedian")

# PyTorch warns once per process for these (TORCH_WARN_ONCE); the messages already given are kept here
_WARNED: set = set()


def _warn_once(message):
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def _c_name(dt):
    """The C type name PyTorch prints for a dtype in some messages ('float', 'double', 'long int')."""
    return _C_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


def _num(v):
    """A number as C++'s stream prints a double: 6 significant digits, no trailing zeros."""
    return f"{v:g}"


def _result_type(tensors):
    """``torch.result_type`` of several tensors: those with dimensions decide, unless a 0-d one is of a
    higher category (bool < integer < floating)."""
    with_dims = [t._data.dtype for t in tensors if t.ndim]
    zero_dim = [t._data.dtype for t in tensors if not t.ndim]
    dim_dt = functools.reduce(promote_types, with_dims) if with_dims else None
    zero_dt = functools.reduce(promote_types, zero_dim) if zero_dim else None
    if dim_dt is None:
        return zero_dt
    if zero_dt is None or _category(zero_dt.kind) <= _category(dim_dt.kind):
        return dim_dt
    return zero_dt


def _cast(t, dt):
    """``t`` in NumPy dtype ``dt`` (differentiably), unchanged when it already is."""
    return t if t._data.dtype == dt else t.to(D.from_numpy_dtype(dt))


def _check_expand(t, shape, type_name=None):
    """PyTorch's error when ``t`` does not broadcast to ``shape`` (as ``expand`` reports it)."""
    try:
        _expand_shape(t._data, tuple(shape))
    except RuntimeError as e:
        if type_name is None or not str(e).startswith("expand(npgrad."):
            raise
        raise RuntimeError(f"expand({type_name}{{" + str(e).split("{", 1)[1]) from None


# --------------------------------------------------------------------------- products with a scaled input


class AddScaled(Function):
    """``beta * input + alpha * product``; a zero ``beta`` (``alpha``) leaves the input (the product) out,
    NaN and inf included, as BLAS does.

    .. math:: \\mathrm{out} = \\beta\\,x + \\alpha\\,p
    """

    @staticmethod
    def forward(ctx, x, p, beta, alpha):
        ctx.c = (beta, alpha)
        shape = np.broadcast_shapes(x.shape, p.shape)
        if p.dtype == np.bool_:
            return np.broadcast_to((x & bool(beta)) | (p & bool(alpha)), shape).copy()
        if alpha == 0:
            out = np.zeros(shape, p.dtype)
        else:
            out = np.broadcast_to(p if alpha == 1 else p * alpha, shape).copy()
        if beta != 0:
            out += x if beta == 1 else x * beta
        return out

    @staticmethod
    def backward(ctx, g):
        beta, alpha = ctx.c
        gx = gp = None
        if ctx.needs_input_grad[0]:
            gx = np.zeros_like(g) if beta == 0 else (g if beta == 1 else g * beta)
        if ctx.needs_input_grad[1]:
            gp = np.zeros_like(g) if alpha == 0 else (g if alpha == 1 else g * alpha)
        return gx, gp, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        beta, alpha = ctx.c
        gx = (g * 0 if beta == 0 else (g if beta == 1 else g * beta)) if ctx.needs_input_grad[0] else None
        gp = (g * 0 if alpha == 0 else (g if alpha == 1 else g * alpha)) if ctx.needs_input_grad[1] else None
        return gx, gp, None, None


def _add_scaled(input, product, beta, alpha):
    """``beta * input + alpha * product`` with PyTorch's scalar rules: an integer result truncates a
    floating beta/alpha."""
    if product._data.dtype.kind in "iu":
        beta, alpha = int(beta), int(alpha)
    return AddScaled.apply(input, product, beta, alpha)


def _scaled_inplace(fn, self, a, b, beta, alpha):
    """The in-place form of ``fn(self, a, b, beta=beta, alpha=alpha)`` (``addmm_`` from ``addmm`` ...): the
    result is written into ``self``."""
    return self._apply_inplace((lambda s, x, y: fn(s, x, y, beta=beta, alpha=alpha), a, b))


def _check_same_shape(self, shape):
    if tuple(self.shape) != tuple(shape):
        raise RuntimeError(f"Bad in-place call: input tensor size {list(self.shape)} and output tensor size "
                           f"{list(shape)} should match")


def _check_bool_matmul(t, name):
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Bool'")


def _mm_checks(input, mat1, mat2):
    for t, name in ((mat1, "mat1"), (mat2, "mat2")):
        if t.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    _addmm_dtype_checks(input, mat1, mat2)
    return (mat1.shape[0], mat2.shape[1])


def _addmm_dtype_checks(input, mat1, mat2):
    """PyTorch's dtype checks of ``addmm`` (and of ``addbmm``, which runs it on the batch)."""
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_scalar_name(input._data.dtype)} and "
                           f"{_scalar_name(mat2._data.dtype)}")
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_scalar_name(mat1._data.dtype)} and "
                           f"{_scalar_name(mat2._data.dtype)}")
    _check_bool_matmul(mat1, "addmm_impl_cpu_")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``, the input broadcast to the product's shape.

    .. math:: \\mathrm{out} = \\beta\\,\\mathrm{input} + \\alpha\\,(\\mathrm{mat1} \\cdot \\mathrm{mat2})

    Example:
        >>> import npgrad
        >>> npgrad.addmm(npgrad.ones(2), npgrad.eye(2), npgrad.full((2, 2), 3.0), alpha=2)
        tensor([[7., 7.],
                [7., 7.]])
    """
    shape = _mm_checks(input, mat1, mat2)
    _check_expand(input, shape)
    return _labelled(_add_scaled(input, matmul(mat1, mat2), beta, alpha), True, "AddmmBackward0")


def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
    _check_same_shape(self, _mm_checks(self, mat1, mat2))
    return _scaled_inplace(addmm, self, mat1, mat2, beta, alpha)


def _mv_checks(input, mat, vec):
    if not (mat.ndim == 2 and vec.ndim == 1 and input.ndim <= 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    if mat.shape[1] != vec.shape[0] or (mat.shape[0] != input.numel() and input.numel() != 1):
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    dts = [t._data.dtype for t in (input, mat, vec)]
    if len(set(dts)) > 1:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{_scalar_name(dts[0])}, {_scalar_name(dts[1])}, and {_scalar_name(dts[2])}")
    _check_bool_matmul(mat, "addmv_impl_cpu")
    return (mat.shape[0],)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)`` for a matrix and a vector.

    .. math:: \\mathrm{out} = \\beta\\,\\mathrm{input} + \\alpha\\,(\\mathrm{mat} \\cdot \\mathrm{vec})

    Example:
        >>> import npgrad
        >>> npgrad.addmv(npgrad.tensor([1.0, 1.0]), npgrad.eye(2), npgrad.tensor([2.0, 3.0]), beta=0.5)
        tensor([2.5000, 3.5000])
    """
    _mv_checks(input, mat, vec)
    return _labelled(_add_scaled(input, matmul(mat, vec), beta, alpha), True, "AddmvBackward0")


def addmv_(self, mat, vec, *, beta=1, alpha=1):
    _check_same_shape(self, _mv_checks(self, mat, vec))
    return _scaled_inplace(addmv, self, mat, vec, beta, alpha)


def _check_addr_scalar(dt, value, label):
    if isinstance(value, (bool, np.bool_)) and dt != np.bool_:
        raise RuntimeError(f"Boolean {label} only supported for Boolean results.")
    if dt.kind in "iub" and not isinstance(value, numbers.Integral):
        raise RuntimeError(f"For integral input tensors, argument {label} must not be a floating point number.")


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``, with PyTorch's type promotion of the three.

    .. math:: \\mathrm{out} = \\beta\\,\\mathrm{input} + \\alpha\\,\\mathrm{vec1} \\otimes \\mathrm{vec2}

    Example:
        >>> import npgrad
        >>> npgrad.addr(npgrad.zeros(2, 2), npgrad.tensor([1.0, 2.0]), npgrad.tensor([3.0, 4.0]))
        tensor([[3., 4.],
                [6., 8.]])
    """
    for t, name in ((vec1, "vec1"), (vec2, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.ndim}-D")
    _check_expand(input, (vec1.shape[0], vec2.shape[0]))
    dt = _result_type([input, vec1, vec2])
    _check_addr_scalar(dt, beta, "beta")
    _check_addr_scalar(dt, alpha, "alpha")
    product = _cast(vec1, dt).reshape(-1, 1) * _cast(vec2, dt).reshape(1, -1)
    return _labelled(AddScaled.apply(_cast(input, dt), product, beta, alpha), True, "AddrBackward0")


def addr_(self, vec1, vec2, *, beta=1, alpha=1):
    if vec1.ndim == 1 and vec2.ndim == 1 and tuple(self.shape) != (vec1.shape[0], vec2.shape[0]):
        raise RuntimeError(f"size mismatch, input: {list(self.shape)}, v1: {list(vec1.shape)}, "
                           f"v2: {list(vec2.shape)}")
    return _scaled_inplace(addr, self, vec1, vec2, beta, alpha)


def _size(t, d):
    """``t.size(d)`` with PyTorch's error for a missing dimension."""
    return t.shape[_wrap_dim(d, t.ndim)]


def _check_batches(batch1, batch2):
    for t, name in ((batch1, "batch1"), (batch2, "batch2")):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")


def _bmm_checks(input, batch1, batch2):
    shape = (_size(batch1, 0), _size(batch1, 1), _size(batch2, 2))
    _check_expand(input, shape)
    _check_batches(batch1, batch2)
    if batch2.shape[:2] != (batch1.shape[0], batch1.shape[2]):
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch1.shape[0]}, {batch1.shape[2]}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")
    if batch1._data.dtype != batch2._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(batch1._data.dtype)} but found "
                           f"{_scalar_name(batch2._data.dtype)}")
    if input._data.dtype != batch1._data.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_c_name(input._data.dtype)}, batch1: "
                           f"{_c_name(batch1._data.dtype)}, batch2: {_c_name(batch2._data.dtype)}")
    _check_bool_matmul(batch1, "baddbmm_cpu")
    return shape


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices.

    .. math:: \\mathrm{out}_b = \\beta\\,\\mathrm{input}_b + \\alpha\\,\\mathrm{batch1}_b \\cdot \\mathrm{batch2}_b

    Example:
        >>> import npgrad
        >>> npgrad.baddbmm(npgrad.ones(1), npgrad.ones(2, 1, 3), npgrad.ones(2, 3, 1)).shape
        npgrad.Size([2, 1, 1])
    """
    _bmm_checks(input, batch1, batch2)
    return _labelled(_add_scaled(input, matmul(batch1, batch2), beta, alpha), True, "BaddbmmBackward0")


def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    _check_same_shape(self, _bmm_checks(self, batch1, batch2))
    return _scaled_inplace(baddbmm, self, batch1, batch2, beta, alpha)


def _addbmm_checks(input, batch1, batch2, inplace):
    shape = (_size(batch1, 1), _size(batch2, 2))
    if not inplace:
        _check_expand(input, shape)
    _check_batches(batch1, batch2)
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and "
                           f"{batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
                           f"{batch2.shape[1]}x{batch2.shape[2]})")
    if inplace and tuple(input.shape) != shape:
        raise RuntimeError("self tensor does not match matmul output shape")
    _addmm_dtype_checks(input, batch1, batch2)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``: the batch of products summed into one matrix.

    .. math:: \\mathrm{out} = \\beta\\,\\mathrm{input} + \\alpha \\sum_b \\mathrm{batch1}_b \\cdot \\mathrm{batch2}_b

    Example:
        >>> import npgrad
        >>> npgrad.addbmm(npgrad.zeros(1, 1), npgrad.ones(3, 1, 2), npgrad.ones(3, 2, 1))
        tensor([[6.]])
    """
    _addbmm_checks(input, batch1, batch2, False)
    b, n, k = batch1.shape
    # one (n, b*k) @ (b*k, p) product sums the batch
    product = matmul(batch1.permute(1, 0, 2).reshape(n, b * k), batch2.reshape(b * k, batch2.shape[2]))
    return _labelled(_add_scaled(input, product, beta, alpha), True, "AddbmmBackward0")


def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
    _addbmm_checks(self, batch1, batch2, True)
    return _scaled_inplace(addbmm, self, batch1, batch2, beta, alpha)


def chain_matmul(*matrices, out=None):
    """The product of matrices, multiplied in the order of least work (matrix chain order): ``linalg.multi_dot``
    of them (a copy of a single one).

    Deprecated in PyTorch in favour of ``linalg.multi_dot``; it warns once, as PyTorch does.

    Example:
        >>> import npgrad, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     npgrad.chain_matmul(npgrad.ones(2, 3), npgrad.ones(3, 4), npgrad.ones(4, 1))
        tensor([[12.],
                [12.]])
    """
    _warn_once("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
               "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
               "parameters.")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return matrices[0].clone()
    from ..linalg import multi_dot

    return multi_dot(matrices)


def kron(input, other):
    """The Kronecker product: every element of ``input`` times the whole of ``other``.

    .. math:: (a \\otimes b)_{i \\cdot m + k} = a_i\\, b_k \\quad\\text{(per dimension, } m = \\text{size of } b)

    Example:
        >>> import npgrad
        >>> npgrad.kron(npgrad.tensor([1, 2]), npgrad.tensor([1, 10]))
        tensor([ 1, 10,  2, 20])
    """
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    a = input.reshape(tuple(itertools.chain.from_iterable((s, 1) for s in sa)))
    b = other.reshape(tuple(itertools.chain.from_iterable((1, s) for s in sb)))
    out = (a * b).reshape(tuple(x * y for x, y in zip(sa, sb)))
    return _labelled(out, True, "UnsafeViewBackward0")      # PyTorch's product is a copy it reshapes


def tensordot(a, b, dims=2, out=None):
    """Contraction of ``a`` and ``b`` over ``dims``: the last ``dims`` of ``a`` with the first of ``b``, or
    the explicit lists ``(dims_a, dims_b)``; a contracted size 1 broadcasts against the other's.

    .. math:: r_{i, j} = \\sum_k a_{i, k}\\, b_{k, j}

    Example:
        >>> import npgrad
        >>> npgrad.tensordot(npgrad.ones(2, 3, 4), npgrad.ones(4, 3, 5), dims=([1, 2], [1, 0])).shape
        npgrad.Size([2, 5])
    """
    if isinstance(dims, Tensor):
        if dims.numel() > 1:
            dims_a, dims_b = dims[0].tolist(), dims[1].tolist()
        else:
            dims = int(dims.item())
            if dims < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
            dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (tuple, list)):
        dims_a, dims_b = dims
    elif isinstance(dims, numbers.Integral) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    dims_a, dims_b = list(dims_a), list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    wa = _unique_dims(dims_a, a.ndim)
    wb = _unique_dims(dims_b, b.ndim)
    for da, db, raw_a, raw_b in zip(wa, wb, dims_a, dims_b):
        sa, sb = a.shape[da], b.shape[db]
        if sb == 1:  # broadcast dimensions are summed right away
            a = a.sum(da, keepdim=True)
        elif sa == 1:
            b = b.sum(db, keepdim=True)
        elif sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in dim {raw_a} and "
                               f"second has size {sb} in dim {raw_b}")
    free_a = [d for d in range(a.ndim) if d not in wa]
    free_b = [d for d in range(b.ndim) if d not in wb]
    size = int(np.prod([a.shape[d] for d in wa], dtype=np.int64))
    left = a.permute(*free_a, *wa).reshape(-1, size)
    right = b.permute(*wb, *free_b).reshape(size, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return matmul(left, right).reshape(shape)


def _unique_dims(dims, ndim):
    wrapped = [_wrap_dim(d, ndim) for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return wrapped


def inner(input, other):
    """Sum of products over the last dimension of both tensors (a product when either is 0-d).

    .. math:: \\mathrm{out}_{i, j} = \\sum_k a_{i, k}\\, b_{j, k}

    Example:
        >>> import npgrad
        >>> npgrad.inner(npgrad.tensor([1.0, 2.0]), npgrad.tensor([[3.0, 4.0], [5.0, 6.0]]))
        tensor([11., 17.])
    """
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def vdot(input, other):
    """Dot product of two 1-D tensors (the first would be conjugated; npgrad's tensors are real).

    .. math:: \\sum_i \\bar a_i\\, b_i

    Example:
        >>> import npgrad
        >>> npgrad.vdot(npgrad.tensor([1.0, 2.0]), npgrad.tensor([3.0, 4.0]))
        tensor(11.)
    """
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_scalar_name(input._data.dtype)} and {_scalar_name(other._data.dtype)}")
    if input.shape[0] != other.shape[0]:
        n, m = input.shape[0], other.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                           f"of elements, but got {n} and {m} elements respectively")
    return _labelled(matmul(input, other), True, "VdotBackward0")


def ger(input, vec2):
    """The outer product of two 1-D tensors (an old name of ``outer``).

    .. math:: \\mathrm{out}_{i, j} = a_i\\, b_j

    Example:
        >>> import npgrad
        >>> npgrad.ger(npgrad.tensor([1, 2]), npgrad.tensor([3, 4]))
        tensor([[3, 4],
                [6, 8]])
    """
    for t, name in ((input, "self"), (vec2, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (without ``dim``: the first dimension of size 3, with
    PyTorch's deprecation warning), the other dimensions broadcast.

    .. math:: a \\times b = (a_1 b_2 - a_2 b_1,\\; a_2 b_0 - a_0 b_2,\\; a_0 b_1 - a_1 b_0)

    Example:
        >>> import npgrad
        >>> npgrad.cross(npgrad.tensor([1.0, 0.0, 0.0]), npgrad.tensor([0.0, 1.0, 0.0]), dim=0)
        tensor([0., 0., 1.])
    """
    if dim is None:
        _warn_once("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                   "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                   "with that of linalg.cross in a future release.")
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    from ..linalg import cross as linalg_cross

    return linalg_cross(input, other, dim=dim)


class Cdist(Function):
    r"""Distances between the rows of ``x1`` ``(..., P, M)`` and ``x2`` ``(..., R, M)``: ``(..., P, R)``.

    .. math:: d_{ij} = \Big(\sum_k |x_{1,ik} - x_{2,jk}|^p\Big)^{1/p}

    with :math:`p = 0` counting the differing coordinates and :math:`p = \infty` their largest difference.
    The gradient is PyTorch's: :math:`\partial d_{ij} / \partial x_{1,ik} = \Delta_k |\Delta_k|^{p-2} /
    d_{ij}^{p-1}` (:math:`\Delta = x_{1,i} - x_{2,j}`), zero where :math:`d_{ij} = 0` or :math:`\Delta_k = 0`;
    for :math:`p = 1` :math:`\operatorname{sign}\Delta_k`, for :math:`p = \infty` :math:`\operatorname{sign}\Delta_k`
    on every coordinate that attains the maximum, for :math:`p = 0` zero.
    """

    @staticmethod
    def forward(ctx, x1, x2, p):
        diff = x1[..., :, None, :] - x2[..., None, :, :]
        a = np.abs(diff)
        if p == 0:
            d = np.count_nonzero(a, axis=-1).astype(x1.dtype)
        elif p == math.inf:
            d = a.max(-1, initial=0)
        elif p == 1:
            d = a.sum(-1)
        elif p == 2:
            d = np.sqrt(np.einsum("...k,...k->...", diff, diff))
        else:
            d = (a ** p).sum(-1) ** (1 / p)
        ctx.p = p
        ctx.save_for_backward(diff, d)
        return d.astype(x1.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        diff, d = ctx.saved_tensors
        p = ctx.p
        d = d[..., None]
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 0:
                term = np.zeros_like(diff)
            elif p == 1:
                term = np.sign(diff)
            elif p == math.inf:
                term = np.sign(diff) * (np.abs(diff) == d)
            elif p == 2:
                term = np.where(d == 0, 0, diff / d)
            else:
                term = np.where((d == 0) | (diff == 0), 0, diff * np.abs(diff) ** (p - 2) / d ** (p - 1))
        term = term * g[..., None]
        return term.sum(-2), -term.sum(-3), None   # the engine sums broadcast batch dims back to each input


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise ``p``-norm distances between the rows of ``x1`` and ``x2`` (:class:`Cdist`), always from the
    differences: ``compute_mode`` is checked and accepted, PyTorch's matrix-product shortcut for ``p = 2``
    only changes the rounding (and loses digits for nearby points).

    Example:
        >>> import npgrad
        >>> npgrad.cdist(npgrad.tensor([[0.0, 0.0], [3.0, 4.0]]), npgrad.tensor([[0.0, 0.0]]))
        tensor([[0.],
                [5.]])
    """
    for name, t in (("X1", x1), ("X2", x2)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: {_scalar_name(t._data.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                            "donot_use_mm_for_euclid_dist"):
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    return Cdist.apply(x1, x2, float(p))


def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast).

    .. math:: \\lVert a - b \\rVert_p = \\Big(\\sum_i |a_i - b_i|^p\\Big)^{1/p}

    Example:
        >>> import npgrad
        >>> npgrad.dist(npgrad.tensor([3.0, 0.0]), npgrad.tensor([0.0, 4.0]))
        tensor(5.)
    """
    if not isinstance(other, Tensor):
        raise TypeError(f"dist(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    diff = input - other
    if diff._data.dtype.kind != "f":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. Got "
                           f"{_scalar_name(diff._data.dtype)} instead.")
    return _labelled(diff.norm(p), True, "DistBackward0")


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm ``maxnorm``.

    .. math:: \\mathrm{out}_i = x_i \\cdot \\begin{cases} \\frac{\\mathrm{maxnorm}}{\\lVert x_i \\rVert_p
        + 10^{-7}} & \\lVert x_i \\rVert_p > \\mathrm{maxnorm} \\\\ 1 & \\text{otherwise} \\end{cases}

    Example:
        >>> import npgrad
        >>> npgrad.renorm(npgrad.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {_num(maxnorm)}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = _wrap_dim(dim, input.ndim)
    norm = input.norm(p, [i for i in range(input.ndim) if i != d], keepdim=True)
    factor = (maxnorm / (norm + 1e-7)).masked_fill(~(norm > maxnorm)._data, 1.0)
    return _labelled(input * factor, True, "RenormBackward0")


# --------------------------------------------------------------------------- constructions


class BlockDiag(Function):
    """Matrices placed along the diagonal of a zero matrix, corner to corner."""

    @staticmethod
    def forward(ctx, *blocks):
        rows = sum(b.shape[0] for b in blocks)
        cols = sum(b.shape[1] for b in blocks)
        out = np.zeros((rows, cols), dtype=blocks[0].dtype)
        r = c = 0
        corners = []
        for b in blocks:
            out[r:r + b.shape[0], c:c + b.shape[1]] = b
            corners.append((r, c, b.shape))
            r, c = r + b.shape[0], c + b.shape[1]
        ctx.corners = corners
        return out

    @staticmethod
    def backward(ctx, g):
        return tuple(g[r:r + s[0], c:c + s[1]] for r, c, s in ctx.corners)

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .index import GetItem

        return tuple(GetItem.apply(g, (slice(r, r + s[0]), slice(c, c + s[1]))) for r, c, s in ctx.corners)


def block_diag(*tensors):
    """A block diagonal matrix of the given tensors (0-d ones as 1x1, 1-d ones as a row).

    Example:
        >>> import npgrad
        >>> npgrad.block_diag(npgrad.tensor([[1, 2]]), npgrad.tensor(3))
        tensor([[1, 2, 0],
                [0, 0, 3]])
    """
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
    if not tensors:
        return Tensor._wrap(np.zeros((1, 0), dtype=D.get_default_dtype().np))
    dt = _result_type(tensors)
    blocks = [_cast(t, dt).reshape(1, 1) if t.ndim == 0 else _cast(t, dt).reshape(1, -1) if t.ndim == 1
              else _cast(t, dt) for t in tensors]
    return BlockDiag.apply(*blocks)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 0-d or 1-d tensors: expanded views, one per tensor ('ij': matrix indexing,
    'xy': Cartesian, the first two dimensions swapped).

    Example:
        >>> import npgrad
        >>> x, y = npgrad.meshgrid(npgrad.tensor([1, 2]), npgrad.tensor([3, 4, 5]), indexing="ij")
        >>> y
        tensor([[3, 4, 5],
                [3, 4, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if indexing is None:
        _warn_once("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.")
        indexing = "ij"
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for a, b in zip(tensors[:-1], tensors[1:]):
        if a._data.dtype != b._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    elif indexing != "ij":
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    shape = tuple(t.numel() for t in tensors)
    grids = []
    for i, t in enumerate(tensors):
        view = [1] * len(tensors)
        view[i] = -1
        grids.append(t.reshape(view).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """All combinations of one element from each 1-d tensor, as rows (``itertools.product`` order).

    Example:
        >>> import npgrad
        >>> npgrad.cartesian_prod(npgrad.tensor([1, 2]), npgrad.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The ``r``-element combinations of a 1-d tensor's elements, as rows (``itertools.combinations``
    order; ``with_replacement`` as ``itertools.combinations_with_replacement``).

    Example:
        >>> import npgrad
        >>> npgrad.combinations(npgrad.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._wrap(np.empty((0,), dtype=input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    flat = np.fromiter(itertools.chain.from_iterable(pick(range(input.shape[0]), r)), dtype=np.int64)
    return input[flat.reshape(-1, r)]


class DiagEmbed(Function):
    """A tensor whose 2-d planes ``(dim1, dim2)`` hold the last dimension of ``x`` on diagonal ``offset``."""

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        n = x.shape[-1]
        m = n + abs(offset)
        shape = list(x.shape[:-1])
        for d in sorted((dim1, dim2)):
            shape.insert(d, m)
        out = np.zeros(shape, dtype=x.dtype)
        i = np.arange(n)
        rows, cols = i + max(-offset, 0), i + max(offset, 0)
        np.moveaxis(out, (dim1, dim2), (-2, -1))[..., rows, cols] = x
        ctx.c = (dim1, dim2, rows, cols)
        ctx.offset = offset
        return out

    @staticmethod
    def backward(ctx, g):
        dim1, dim2, rows, cols = ctx.c
        return np.moveaxis(g, (dim1, dim2), (-2, -1))[..., rows, cols], None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        dim1, dim2 = ctx.c[:2]
        offset = ctx.offset
        return (LinearMap.apply(g, DiagEmbed.backward, ctx, 0, lambda gg: DiagEmbed.apply(gg, offset, dim1, dim2)),
                None, None, None)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor with the last dimension of ``input`` on the diagonal ``offset`` of its ``(dim1, dim2)``
    planes, zeros elsewhere.

    Example:
        >>> import npgrad
        >>> npgrad.diag_embed(npgrad.tensor([[1, 2]]))
        tensor([[[1, 0],
                 [0, 2]]])
    """
    d1, d2 = _wrap_dim(dim1, input.ndim + 1), _wrap_dim(dim2, input.ndim + 1)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, offset, d1, d2)


def diag(input, diagonal=0):
    """A 1-d tensor as the ``diagonal``-th diagonal of a square matrix, or that diagonal of a matrix.

    Example:
        >>> import npgrad
        >>> npgrad.diag(npgrad.tensor([1, 2]), 1)
        tensor([[0, 1, 0],
                [0, 0, 2],
                [0, 0, 0]])
    """
    if input.ndim == 1:
        return DiagEmbed.apply(input, diagonal, 0, 1)
    if input.ndim == 2:
        copy = input.diagonal(diagonal).clone()   # a copy, as PyTorch's diag (diagonal() is a view)
        return _labelled(copy, True, "DiagonalBackward0_copy")
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def diagflat(input, offset=0):
    """The flattened ``input`` as diagonal ``offset`` of a square matrix.

    Example:
        >>> import npgrad
        >>> npgrad.diagflat(npgrad.tensor([[1, 2]]))
        tensor([[1, 0],
                [0, 2]])
    """
    return DiagEmbed.apply(input.reshape(-1), offset, 0, 1)


def _check_slice_size(src, slice_shape):
    if tuple(src.shape) != tuple(slice_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(slice_shape)}")


class DiagonalScatter(Function):
    """A copy of ``x`` with diagonal ``offset`` of its ``(dim1, dim2)`` planes replaced by ``src``."""

    @staticmethod
    def forward(ctx, x, src, offset, dim1, dim2):
        n = np.diagonal(x, offset, dim1, dim2).shape[-1]
        i = np.arange(n)
        rows, cols = i + max(-offset, 0), i + max(offset, 0)
        out = x.copy()
        np.moveaxis(out, (dim1, dim2), (-2, -1))[..., rows, cols] = src
        ctx.c = (dim1, dim2, rows, cols)
        ctx.shapes = (offset, x.shape, np.shape(src))
        return out

    @staticmethod
    def backward(ctx, g):
        dim1, dim2, rows, cols = ctx.c
        moved = np.moveaxis(g, (dim1, dim2), (-2, -1))
        gsrc = moved[..., rows, cols] if ctx.needs_input_grad[1] else None
        gx = None
        if ctx.needs_input_grad[0]:
            gx = g.copy()
            np.moveaxis(gx, (dim1, dim2), (-2, -1))[..., rows, cols] = 0
        return gx, gsrc, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        # PyTorch's: x gets g with the diagonal zeroed (a diagonal_scatter of zeros), src gets g's diagonal
        from ..autograd.graph import LinearMap

        dim1, dim2, rows, cols = ctx.c
        offset, shape, src_shape = ctx.shapes
        dt = g._data.dtype
        gx = gsrc = None
        if ctx.needs_input_grad[0]:
            gx = DiagonalScatter.apply(g, np.zeros(src_shape, dt), offset, dim1, dim2)
        if ctx.needs_input_grad[1]:
            gsrc = LinearMap.apply(g, lambda c, a: np.moveaxis(a, (dim1, dim2), (-2, -1))[..., rows, cols], None, 0,
                                   lambda gg: DiagonalScatter.apply(np.zeros(shape, dt), gg, offset, dim1, dim2))
        return gx, gsrc, None, None, None


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``.

    Example:
        >>> import npgrad
        >>> npgrad.diagonal_scatter(npgrad.zeros(2, 2), npgrad.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    _check_slice_size(src, np.diagonal(input._data, offset, d1, d2).shape)
    return DiagonalScatter.apply(input, _cast(src, input._data.dtype), offset, d1, d2)


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``input.select(dim, index)`` replaced by ``src``.

    Example:
        >>> import npgrad
        >>> npgrad.select_scatter(npgrad.zeros(2, 2), npgrad.ones(2), 0, 1)
        tensor([[0., 0.],
                [1., 1.]])
    """
    from .index import IndexPut
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    idx = (slice(None),) * d + (index,)
    _check_slice_size(src, input._data[idx].shape)
    return _labelled(IndexPut.apply(input, _cast(src, input._data.dtype), idx, False), True, "SelectScatterBackward0")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src``.

    Example:
        >>> import npgrad
        >>> npgrad.slice_scatter(npgrad.zeros(4), npgrad.ones(2), start=1, step=2)
        tensor([0., 1., 0., 1.])
    """
    from .index import IndexPut
    if input.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    idx = (slice(None),) * d + (slice(start, end, step),)
    _check_slice_size(src, input._data[idx].shape)
    return _labelled(IndexPut.apply(input, _cast(src, input._data.dtype), idx, False), True, "SliceScatterBackward0")


def _tri_indices(row, col, offset, dtype, name, upper):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = D.as_dtype(dtype if dtype is not None else D.int64).np
    if dt.kind not in "iu":
        raise NotImplementedError(f"\"{name}\" not implemented for '{_scalar_name(dt)}'")
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return Tensor._wrap(np.stack([rows, cols]).astype(dt))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the lower triangle (on and below diagonal ``offset``) of a
    ``row x col`` matrix, row by row, as a ``2 x N`` tensor.

    Example:
        >>> import npgrad
        >>> npgrad.tril_indices(3, 3)
        tensor([[0, 1, 1, 2, 2, 2],
                [0, 0, 1, 0, 1, 2]])
    """
    check_device(device)
    return _tri_indices(row, col, offset, dtype, "tril_indices", False)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the upper triangle (on and above diagonal ``offset``) of a
    ``row x col`` matrix, row by row, as a ``2 x N`` tensor.

    Example:
        >>> import npgrad
        >>> npgrad.triu_indices(2, 3, 1)
        tensor([[0, 0, 1],
                [1, 2, 2]])
    """
    check_device(device)
    return _tri_indices(row, col, offset, dtype, "triu_indices", True)


def rot90(input, k=1, dims=(0, 1)):
    """``input`` rotated by ``k`` quarter turns in the plane ``dims``, from the first towards the second.

    Example:
        >>> import npgrad
        >>> npgrad.rot90(npgrad.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k = k % 4
    if k == 1:
        out = input.flip(d1).transpose(d0, d1)
    elif k == 2:
        out = input.flip(d0, d1)
    elif k == 3:
        out = input.flip(d0).transpose(d0, d1)
    else:
        out = input.clone()
    return _labelled(out, True, "Rot90Backward0")


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-d tensor: columns ``x**(N-1), ..., x, 1`` (reversed if ``increasing``).

    .. math:: V_{i, j} = x_i^{N - 1 - j}

    Example:
        >>> import npgrad
        >>> npgrad.vander(npgrad.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [4, 2, 1],
                [9, 3, 1]])
    """
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dt = promote_types(x._data.dtype, np.dtype(np.int64))
    ones = Tensor._wrap(np.ones((x.shape[0], min(n, 1)), dtype=dt))
    if n > 1:
        powers = _cast(x, dt).reshape(-1, 1).expand(x.shape[0], n - 1).cumprod(1)
        out = cat([ones, powers], 1)
    else:
        out = ones
    return out if increasing else out.flip(1)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor of shape ``size`` whose ``stride()`` is ``stride`` (in elements).

    Example:
        >>> import npgrad
        >>> npgrad.empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
    """
    check_device(device)
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
                           f"({len(stride)})")
    dt = D.as_dtype(dtype if dtype is not None else D.get_default_dtype()).np
    extent = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    buffer = np.empty(extent, dtype=dt)
    data = np.lib.stride_tricks.as_strided(buffer, size, tuple(s * dt.itemsize for s in stride))
    return Tensor._wrap(data, requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A 0-d tensor holding ``s``, of the default floating dtype unless ``dtype`` says otherwise.

    Example:
        >>> import npgrad
        >>> npgrad.scalar_tensor(3)
        tensor(3.)
    """
    check_device(device)
    if not isinstance(s, (numbers.Number, np.generic)) or isinstance(s, Tensor):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    dt = D.as_dtype(dtype if dtype is not None else D.get_default_dtype()).np
    return Tensor._wrap(np.array(s, dtype=dt), requires_grad)


def inclusive_range(start, end, step=1, *, dtype=None, layout=None, device=None, requires_grad=False):
    """``torch.range``: ``start, start + step, ...`` up to and including ``end``, of the default floating
    dtype. Deprecated in PyTorch (it warns every call) in favour of ``arange``, which leaves ``end`` out.

    Example:
        >>> import npgrad, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     npgrad.range(1, 2, 0.5)
        tensor([1.0000, 1.5000, 2.0000])
    """
    check_device(device)
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    start, end, step = (_raw(v).item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = D.as_dtype(dtype if dtype is not None else D.get_default_dtype()).np
    n = int(np.floor((float(end) - float(start)) / float(step))) + 1
    values = float(start) + np.arange(n, dtype=np.float64) * float(step) if dt.kind == "f" else \
        int(start) + np.arange(n, dtype=np.int64) * int(step)
    return Tensor._wrap(values.astype(dt), requires_grad)


def __getattr__(name):
    # ``range`` is exported under PyTorch's name without shadowing the builtin inside this module
    if name == "range":
        return inclusive_range
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _at_least(tensors, fn):
    if len(tensors) == 1:
        tensors = tensors[0]
    if isinstance(tensors, Tensor):
        return fn(tensors)
    return tuple(fn(t) for t in tensors)


def atleast_1d(*tensors):
    """Each tensor viewed with at least one dimension (a 0-d one as shape ``(1,)``); a tuple for several.

    Example:
        >>> import npgrad
        >>> npgrad.atleast_1d(npgrad.tensor(2.0))
        tensor([2.])
    """
    return _at_least(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors):
    """Each tensor viewed with at least two dimensions (``(n,)`` as ``(1, n)``); a tuple for several.

    Example:
        >>> import npgrad
        >>> npgrad.atleast_2d(npgrad.tensor([1, 2])).shape
        npgrad.Size([1, 2])
    """
    return _at_least(tensors, lambda t: _labelled(t.reshape(1, -1), t.ndim == 1, "UnsqueezeBackward0") if t.ndim < 2
                     else t)


def _to_3d(t):
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    return t.unsqueeze(-1) if t.ndim == 2 else t


def atleast_3d(*tensors):
    """Each tensor viewed with at least three dimensions (``(n,)`` as ``(1, n, 1)``, ``(m, n)`` as
    ``(m, n, 1)``); a tuple for several.

    Example:
        >>> import npgrad
        >>> npgrad.atleast_3d(npgrad.zeros(2, 3)).shape
        npgrad.Size([2, 3, 1])
    """
    return _at_least(tensors, _to_3d)


def dstack(tensors):
    """Tensors joined along the third dimension (each seen with at least three dimensions).

    Example:
        >>> import npgrad
        >>> npgrad.dstack([npgrad.tensor([1, 2]), npgrad.tensor([3, 4])])
        tensor([[[1, 3],
                 [2, 4]]])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat([_to_3d(t) for t in tensors], 2)


def unravel_index(indices, shape):
    """Flat indices into a tensor of ``shape`` as one coordinate tensor per dimension (indices outside
    the shape wrap around, as in PyTorch).

    Example:
        >>> import npgrad
        >>> npgrad.unravel_index(npgrad.tensor([4, 1]), (3, 2))
        (tensor([2, 0]), tensor([0, 1]))
    """
    if indices.is_complex() or indices.is_floating_point() or indices.dtype == D.bool_:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if not isinstance(shape, (numbers.Integral, tuple, list, Size)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(shape)
    for s in shape:
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    coefs = np.cumprod((list(shape[1:]) + [1])[::-1], dtype=np.int64)[::-1]
    idx = indices._data.astype(np.int64)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        coords = np.floor_divide(idx, coefs) % np.asarray(shape, dtype=np.int64)
    return tuple(Tensor._wrap(np.array(coords[..., i])) for i in range(coords.shape[-1]))


def trace(input):
    """The sum of the main diagonal of a matrix (integers summed as int64).

    Example:
        >>> import npgrad
        >>> npgrad.trace(npgrad.tensor([[1, 2], [3, 4]]))
        tensor(5)
    """
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return _labelled(input.diagonal().sum(), True, "TraceBackward0")


# --------------------------------------------------------------------------- scatters and indices


class MaskedScatter(Function):
    """A copy of ``x`` whose elements where ``mask`` is true take ``src``'s leading elements in order."""

    @staticmethod
    def forward(ctx, x, mask, src):
        k = int(np.count_nonzero(mask))
        out = x.copy()
        out[mask] = src.reshape(-1)[:k]
        ctx.c = (mask, k, src.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        mask, k, sshape = ctx.c
        gx = np.where(mask, 0, g) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[2]:
            gsrc = np.zeros(int(np.prod(sshape, dtype=np.int64)), dtype=g.dtype)
            gsrc[:k] = g[mask]
            gsrc = gsrc.reshape(sshape)
        return gx, None, gsrc

    @staticmethod
    def graph_backward(ctx, saved, g):
        # x: g where the mask is false; source: g's masked elements in order (the adjoint scatters them back)
        from ..autograd.graph import LinearMap
        from .elementwise import _keep

        mask, k, sshape = ctx.c
        gx = _keep(~mask, g) if ctx.needs_input_grad[0] else None
        gsrc = None
        if ctx.needs_input_grad[2]:
            def taken(_ctx, a):
                out = np.zeros(int(np.prod(sshape, dtype=np.int64)), dtype=a.dtype)
                out[:k] = a[mask]
                return out.reshape(sshape)

            zeros = np.zeros(mask.shape, g._data.dtype)
            gsrc = LinearMap.apply(g, taken, None, 0, lambda gg: MaskedScatter.apply(zeros, mask, gg))
        return gx, None, gsrc


def _masked_scatter_checks(self, mask, source):
    if self._data.dtype != source._data.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_scalar_name(self._data.dtype)} and {_scalar_name(source._data.dtype)}")
    if _raw(mask).dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_scalar_name(_raw(mask).dtype)}")


def masked_scatter(input, mask, source):
    """A copy of ``input`` (broadcast with ``mask``) whose positions where ``mask`` is true take the
    elements of ``source`` in order.

    Example:
        >>> import npgrad
        >>> npgrad.masked_scatter(npgrad.zeros(4), npgrad.tensor([True, False, True, False]),
        ...                       npgrad.tensor([1.0, 2.0, 3.0]))
        tensor([1., 0., 2., 0.])
    """
    m = _raw(mask)
    shape = broadcast_shape(m.shape, tuple(input.shape))
    _masked_scatter_checks(input, mask, source)
    x = input if tuple(input.shape) == shape else input.expand(shape)
    return _masked_scatter(x, np.broadcast_to(m, shape), source)


def _masked_scatter(x, mask, source):
    if np.count_nonzero(mask) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(x, mask, source)


def masked_scatter_(self, mask, source):
    _masked_scatter_checks(self, mask, source)
    m = _raw(mask)
    _check_expand(Tensor._wrap(m), tuple(self.shape), "CPUBoolType")
    m = np.broadcast_to(m, tuple(self.shape))
    return self._apply_inplace((lambda s, src: _masked_scatter(s, m, src), source))


_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


def _index_reduce_checks(self, dim, index, source, reduce):
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d = _wrap_dim(dim, self.ndim)
    idx = _raw(index)
    if idx.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{_scalar_name(idx.dtype)} and size: {list(idx.shape)}")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {_scalar_name(idx.dtype)}")
    if self._data.dtype != source._data.dtype:
        raise RuntimeError(f"index_reduce_(): self ({_scalar_name(self._data.dtype)}) and source "
                           f"({_scalar_name(source._data.dtype)}) must have the same scalar type")
    if not (d == 0 or d < source.ndim):
        raise IndexError(f"index_reduce_(): Indexing dim {d} is out of bounds of the source tensor with dim "
                         f"{source.ndim}")
    n = 1 if source.ndim == 0 else source.shape[d]
    if idx.size != n:
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({n}), for dim: {d}")
    self_rest, source_rest = list(self.shape), list(source.shape)
    if self.ndim and source.ndim:
        del self_rest[d], source_rest[d]
    if self_rest != source_rest:
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(self.shape)} source.shape = {list(source.shape)}")
    size = self.shape[d] if self.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise IndexError("index out of range in self")
    return d, idx.reshape(-1).astype(np.int64)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """``source``'s slices along ``dim`` reduced into the slices of a copy of ``input`` that ``index``
    names, with ``prod``, ``mean``, ``amax`` or ``amin`` (``include_self=False`` leaves ``input``'s
    values out where something is reduced into them).

    Example:
        >>> import npgrad, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     npgrad.ones(2).index_reduce(0, npgrad.tensor([0, 0]), npgrad.tensor([2.0, 3.0]), "prod")
        tensor([6., 1.])
    """
    from .index import ScatterReduce
    d, idx = _index_reduce_checks(input, dim, index, source, reduce)
    _warn_once("index_reduce() is in beta and the API may change at any time.")
    x, src = (input, source) if input.ndim else (input.reshape(1), source.reshape(1))
    shape = [1] * x.ndim
    shape[d] = idx.size
    full_index = np.ascontiguousarray(np.broadcast_to(idx.reshape(shape), tuple(src.shape)))
    out = _labelled(ScatterReduce.apply(x, d, full_index, src, reduce, include_self), True, "IndexReduceBackward0")
    return out if input.ndim else out.reshape(())


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    _index_reduce_checks(self, dim, index, source, reduce)
    return self._apply_inplace((lambda s, src: index_reduce(s, dim, index, src, reduce, include_self=include_self),
                                source))


def _put_checks(self, index, source):
    idx = _raw(index)
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_scalar_name(idx.dtype)}")
    if self._data.dtype != source._data.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_scalar_name(self._data.dtype)} and source.dtype = {_scalar_name(source._data.dtype)}")
    if source.numel() != idx.size:
        raise IndexError("put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source.numel()}, index.numel() = {idx.size}")
    n = self.numel()
    flat = idx.reshape(-1)
    bad = flat[(flat >= n) | (flat < -n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {bad[0]} on a tensor of {n} elements.")
    return np.where(flat < 0, flat + n, flat)


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with the elements at flat positions ``index`` set to (``accumulate``: increased
    by) the elements of ``source``; negative positions count from the end.

    Example:
        >>> import npgrad
        >>> npgrad.put(npgrad.zeros(2, 2), npgrad.tensor([0, -1]), npgrad.tensor([1.0, 2.0]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    from .index import IndexPut
    flat = _put_checks(input, index, source)
    out = IndexPut.apply(input.reshape(-1), source.reshape(-1), (flat,), accumulate)
    return _labelled(out.reshape(tuple(input.shape)), True, "PutBackward0")


def put_(self, index, source, accumulate=False):
    _put_checks(self, index, source)
    return self._apply_inplace((lambda s, src: put(s, index, src, accumulate), source))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` occurs in ``test_elements`` (either may be a number).

    Example:
        >>> import npgrad
        >>> npgrad.isin(npgrad.tensor([1, 2, 3]), npgrad.tensor([2, 5]))
        tensor([False,  True, False])
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
                        f"{type(test_elements).__name__}), but expected one of: (Tensor elements, Tensor "
                        "test_elements) or (Number element, Tensor test_elements) or (Tensor elements, Number "
                        "test_element)")
    e, t = np.asarray(_raw(elements)), np.asarray(_raw(test_elements))
    if e.dtype == np.bool_ or t.dtype == np.bool_:
        raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    found = np.isin(e, t, assume_unique=assume_unique, invert=invert)
    return Tensor._wrap(np.asarray(found, dtype=bool))


# --------------------------------------------------------------------------- splitting and shape


def _split_at(input, bounds, dim):
    """Views of ``input`` between consecutive ``bounds`` along ``dim`` (Python slice rules)."""
    pieces = []
    for start, end in zip(bounds[:-1], bounds[1:]):
        pieces.append(input[(slice(None),) * dim + (slice(start, end),)])
    return tuple(pieces)


def _directional_split(input, indices_or_sections, name, min_dims, dim):
    if input.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {input.ndim} dimensions!")
    n = input.shape[dim]
    if isinstance(indices_or_sections, numbers.Integral):
        sections = int(indices_or_sections)
        if sections == 0 or n % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{n} is not divisible by the split_size {sections}!")
        if sections < 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        step = n // sections
        return _split_at(input, [i * step for i in range(sections + 1)], dim)
    return _split_at(input, [0] + [int(i) for i in indices_or_sections] + [None], dim)


def vsplit(input, indices_or_sections):
    """``input`` split along dimension 0 into equal ``sections`` or at the given indices.

    Example:
        >>> import npgrad
        >>> [t.shape[0] for t in npgrad.vsplit(npgrad.zeros(5, 2), [1, 3])]
        [1, 2, 2]
    """
    return _directional_split(input, indices_or_sections, "vsplit", 2, 0)


def hsplit(input, indices_or_sections):
    """``input`` split along dimension 1 (0 for a 1-d tensor) into equal sections or at the given indices.

    Example:
        >>> import npgrad
        >>> npgrad.hsplit(npgrad.arange(4), 2)
        (tensor([0, 1]), tensor([2, 3]))
    """
    return _directional_split(input, indices_or_sections, "hsplit", 1, 0 if input.ndim == 1 else 1)


def dsplit(input, indices_or_sections):
    """``input`` split along dimension 2 into equal sections or at the given indices.

    Example:
        >>> import npgrad
        >>> [t.shape for t in npgrad.dsplit(npgrad.zeros(1, 1, 4), 2)]
        [npgrad.Size([1, 1, 2]), npgrad.Size([1, 1, 2])]
    """
    return _directional_split(input, indices_or_sections, "dsplit", 3, 2)


def split_with_sizes(input, split_sizes, dim=0):
    """``input`` split along ``dim`` into pieces of the given sizes, which must add up to its size there.

    Example:
        >>> import npgrad
        >>> [t.tolist() for t in npgrad.split_with_sizes(npgrad.arange(5), [2, 3])]
        [[0, 1], [2, 3, 4]]
    """
    if input.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError("split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    return input.split(sizes, dim)


def unsafe_chunk(input, chunks, dim=0):
    """``chunk``: ``input`` split into ``chunks`` pieces of equal size (the last may be smaller).

    Example:
        >>> import npgrad
        >>> [t.shape[0] for t in npgrad.unsafe_chunk(npgrad.zeros(5), 2)]
        [3, 2]
    """
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    return input.chunk(chunks, dim)


def unsafe_split(input, split_size, dim=0):
    """``split`` with an integer ``split_size``: pieces of that size along ``dim`` (the last may be smaller).

    Example:
        >>> import npgrad
        >>> [t.shape[0] for t in npgrad.unsafe_split(npgrad.zeros(5), 2)]
        [2, 2, 1]
    """
    if not isinstance(split_size, numbers.Integral):
        raise TypeError(f"unsafe_split(): argument 'split_size' (position 2) must be int, not "
                        f"{type(split_size).__name__}")
    return input.split(int(split_size), dim)


def sum_to_size(input, *size):
    """``input`` summed down to ``size``, to which it must be expandable (the reverse of ``expand``).

    Example:
        >>> import npgrad
        >>> npgrad.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    shape = _shape_arg(size)
    have = tuple(input.shape)
    lead = len(have) - len(shape)
    if lead < 0 or any(s != h and s != 1 for s, h in zip(shape, have[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(have)}}}.")
    dims = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and have[lead + i] != 1]
    if not dims:
        return input
    out = input.sum(dims, keepdim=True)
    return out.reshape(shape) if lead else out


def ravel(input):
    """``input`` flattened to one dimension (a copy only when its memory is not contiguous).

    Example:
        >>> import npgrad
        >>> npgrad.ravel(npgrad.tensor([[1, 2], [3, 4]]))
        tensor([1, 2, 3, 4])
    """
    return _labelled(input.reshape(-1), True, "ViewBackward0")     # PyTorch: contiguous(), then a view


def narrow_copy(input, dim, start, length):
    """A copy of ``input.narrow(dim, start, length)``.

    Example:
        >>> import npgrad
        >>> npgrad.narrow_copy(npgrad.arange(5), 0, -2, 2)
        tensor([3, 4])
    """
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _labelled(input[(slice(None),) * d + (slice(start, start + length),)].clone(), True, "NarrowCopyBackward0")


def msort(input):
    """``input`` sorted along its first dimension (the values of ``sort(dim=0)``).

    Example:
        >>> import npgrad
        >>> npgrad.msort(npgrad.tensor([[3, 1], [1, 2]]))
        tensor([[1, 1],
                [3, 2]])
    """
    return input.sort(0).values


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive elements (slices along ``dim``) kept once; with the
    index of each element's run and the length of each run on request.

    Example:
        >>> import npgrad
        >>> npgrad.unique_consecutive(npgrad.tensor([1, 1, 2, 1]), return_counts=True)
        (tensor([1, 2, 1]), tensor([2, 1, 1]))
    """
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        keep = np.ones(flat.shape[0], dtype=bool)
        keep[1:] = flat[1:] != flat[:-1]
        out = flat[keep]
        inverse_shape = x.shape
    else:
        if x.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = _wrap_dim(dim, x.ndim)
        if any(s == 0 for i, s in enumerate(x.shape) if i != d):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
        rows = np.moveaxis(x, d, 0).reshape(x.shape[d], int(np.prod(x.shape)) // max(x.shape[d], 1))
        keep = np.ones(rows.shape[0], dtype=bool)
        keep[1:] = np.any(rows[1:] != rows[:-1], axis=1)
        out = np.compress(keep, x, axis=d)
        inverse_shape = (x.shape[d],)
    result = [Tensor._wrap(np.ascontiguousarray(out))]
    if return_inverse:
        result.append(Tensor._wrap((np.cumsum(keep) - 1).astype(np.int64).reshape(inverse_shape)))
    if return_counts:
        starts = np.flatnonzero(keep)
        result.append(Tensor._wrap(np.diff(np.append(starts, keep.shape[0])).astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


# --------------------------------------------------------------------------- statistics


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``input`` (observations in the columns), with
    integer frequency weights ``fweights`` and floating observation weights ``aweights``.

    .. math:: \\mathrm{cov}_w(x_i, x_j) = \\frac{\\sum_k w_k (x_{ik} - \\mu_i^*)(x_{jk} - \\mu_j^*)}
        {\\sum_k w_k - \\mathrm{correction}}, \\quad \\mu_i^* = \\frac{\\sum_k w_k x_{ik}}{\\sum_k w_k}

    (With ``aweights`` and a non-zero correction the denominator is
    :math:`\\sum w - \\mathrm{correction} \\cdot \\sum w a / \\sum w`.)

    Example:
        >>> import npgrad
        >>> npgrad.cov(npgrad.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{weights.ndim} dimensions")
        kind = weights._data.dtype.kind
        if name == "fweights" and kind not in "iu":
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{_scalar_name(weights._data.dtype)} dtype")
        if name == "aweights" and kind != "f":
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{_scalar_name(weights._data.dtype)} dtype")
        if weights.numel() != n:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {weights.numel()} != {n}")
        if n and weights._data.min() < 0:
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = weights if w is None else w * weights
    w_sum = w.sum() if w is not None else Tensor._wrap(np.array(n, dtype=np.int64))
    if w is not None and w_sum._data == 0:
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is None:
        norm_factor = Tensor._wrap(np.array(n - correction, dtype=np.int64))
    elif correction == 0:
        norm_factor = w_sum
    elif aweights is None:
        norm_factor = w_sum - correction
    elif fweights is None and n == 1 and correction == 1:
        norm_factor = Tensor._wrap(np.array(0, dtype=np.int64))  # exactly, as the algebra says
    else:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    if norm_factor._data <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm_factor = Tensor._wrap(np.zeros_like(norm_factor._data))
    if n == 1 and (fweights is None) != (aweights is None):
        # one observation with one kind of weights: the weighted mean is the observation itself, so the
        # centred data are exactly zero (PyTorch writes these zeros into the input; npgrad leaves it alone)
        x = Tensor._wrap(np.zeros(x.shape, dtype=x._data.dtype if x._data.dtype.kind == "f" else np.float32))
    else:
        x = x - avg.unsqueeze(1)
    c = matmul(x, (x * w if w is not None else x).t())
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input``, clipped to [-1, 1].

    .. math:: R_{ij} = \\frac{C_{ij}}{\\sqrt{C_{ii}\\, C_{jj}}}, \\quad C = \\mathrm{cov}(\\mathrm{input})

    Example:
        >>> import npgrad
        >>> npgrad.corrcoef(npgrad.tensor([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]]))
        tensor([[1., 1.],
                [1., 1.]])
    """
    if input.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:
        return c / c
    stddev = c.diagonal().sqrt()
    c = c / stddev.reshape(-1, 1)
    c = c / stddev.reshape(1, -1)
    return c.clamp(-1, 1)


class Interpolate(Lerp):
    """``a + w (b - a)`` computed as PyTorch's ``lerp`` does (from the nearer end, for accuracy); its
    gradients are :class:`~npgrad.ops.elementwise.Lerp`'s.

    .. math:: \\mathrm{out} = \\begin{cases} a + w (b - a) & |w| < 0.5 \\\\ b - (b - a)(1 - w) & \\text{otherwise}
        \\end{cases}
    """

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        with np.errstate(invalid="ignore"):
            return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    x = input._data
    if isinstance(q, Tensor):
        qa = q._data
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {_num(q)}")
        qa = np.array(q, dtype=x.dtype) if x.dtype.kind == "f" else np.array(q)
    if x.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if qa.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if qa.dtype != x.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if not np.all((qa >= 0) & (qa <= 1)):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    # the reduced values along the last axis, kept dimensions as the output wants them
    if dim is None:
        values = input.reshape(-1)
        kept_shape = (1,) * input.ndim if keepdim else ()
    else:
        d = _wrap_dim(dim, input.ndim)
        values = input.movedim(d, -1) if input.ndim else input.reshape(1)
        kept = list(input.shape)
        if input.ndim:
            if keepdim:
                kept[d] = 1
            else:
                del kept[d]
        kept_shape = tuple(kept)
    rows = values.reshape(-1, values.shape[-1]) if values.ndim else values.reshape(1, 1)
    data = rows._data
    order = np.argsort(data, axis=-1, kind="stable")  # NaN last, as PyTorch sorts
    ordered = np.take_along_axis(data, order, axis=-1)
    n = data.shape[-1]
    qs = qa.reshape(1, -1)
    if ignore_nan:
        ranks_scale = ((~np.isnan(ordered)).sum(-1, keepdims=True) - 1).astype(x.dtype)
        ranks = qs * ranks_scale
        rank_is_q = ranks >= 0
        ranks = np.where(rank_is_q, ranks, 0).astype(x.dtype)
    else:
        ranks_scale = x.dtype.type(n - 1)
        ranks = np.broadcast_to(qs * ranks_scale, (data.shape[0], qs.shape[1]))
        rank_is_q = ~np.isnan(ordered).any(-1, keepdims=True)
        ranks = np.where(rank_is_q, ranks, ranks_scale).astype(x.dtype)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)
    below = ranks.astype(np.int64)
    result = rows.gather(1, Tensor._wrap(np.take_along_axis(order, below, axis=1)))
    if interpolation in ("linear", "midpoint"):
        weights = Tensor._wrap(np.full_like(ranks, 0.5) if interpolation == "midpoint" else
                               (ranks - below).astype(x.dtype))
        if interpolation == "linear" and isinstance(q, Tensor) and q.requires_grad:
            # the weights depend on q through the ranks q * scale (scale 0 where the rank is fixed)
            scale = np.where(rank_is_q, ranks_scale, 0).astype(x.dtype)
            weights = q.reshape(1, -1) * scale - Tensor._wrap(qs * scale) + weights
        above = np.ceil(ranks).astype(np.int64)
        upper = rows.gather(1, Tensor._wrap(np.take_along_axis(order, above, axis=1)))
        result = Interpolate.apply(result, upper, weights)
    # rows x quantiles -> (quantiles,) + kept shape
    result = result.t().reshape((qa.size,) + kept_shape)
    return result.reshape(kept_shape) if qa.ndim == 0 else result


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-quantiles of ``input`` (flattened, or along ``dim``); a 1-d ``q`` puts the quantiles in
    a leading dimension. A NaN makes the quantile NaN. Between two data points the quantile is
    interpolated as ``interpolation`` says: linear, lower, higher, midpoint or nearest.

    .. math:: Q(q) = x_{(\\lfloor r \\rfloor)} + (r - \\lfloor r \\rfloor)(x_{(\\lceil r \\rceil)}
        - x_{(\\lfloor r \\rfloor)}), \\quad r = q (n - 1)

    Example:
        >>> import npgrad
        >>> npgrad.quantile(npgrad.tensor([0.0, 1.0, 2.0, 3.0]), npgrad.tensor([0.5, 0.9]))
        tensor([1.5000, 2.7000])
    """
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaN (a slice of NaN only gives NaN).

    Example:
        >>> import npgrad
        >>> npgrad.nanquantile(npgrad.tensor([0.0, float("nan"), 2.0]), 0.5)
        tensor(1.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, True)


class EvenSelect(Function):
    """A value chosen from ``x`` (the median, ...); its gradient is shared by the elements equal to it."""

    @staticmethod
    def forward(ctx, x, value):
        value = np.asarray(value, dtype=x.dtype)
        ctx.c = (np.isnan(x) if value.dtype.kind == "f" and np.isnan(value) else x == value)
        return value

    @staticmethod
    def backward(ctx, g):
        mask = ctx.c
        return np.where(mask, g / max(int(mask.sum()), 1), 0).astype(g.dtype), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import _keep

        mask = ctx.c
        return _keep(mask, g / max(int(mask.sum()), 1)), None


def nanmedian(input, dim=None, keepdim=False):
    """The lower median ignoring NaN: of all elements (a 0-d tensor; NaN when there is nothing else), or
    ``(values, indices)`` along ``dim``.

    Example:
        >>> import npgrad
        >>> npgrad.nanmedian(npgrad.tensor([2.0, float("nan"), 1.0, 3.0]))
        tensor(2.)
    """
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        if flat.dtype.kind == "f":
            flat = flat[~np.isnan(flat)]
        if flat.size == 0:
            value = np.nan if x.size == 0 or x.dtype.kind == "f" else 0
        else:
            value = np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]
        return _labelled(EvenSelect.apply(input, value), True, "NanmedianBackward0")
    d = _wrap_dim(dim, input.ndim) if input.ndim else 0
    src = input if input.ndim else input.reshape(1)
    data = src._data
    if data.shape[d] == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    nan = np.isnan(data).sum(axis=d, keepdims=True) if data.dtype.kind == "f" else np.zeros((), np.int64)
    if not nan.any():  # one position for every slice: a selection, not a sort
        k = (data.shape[d] - 1) // 2
        idx = np.take(np.argpartition(data, k, axis=d), [k], axis=d)
    else:  # NaN sorted last; the position depends on how many there are
        order = np.argsort(data, axis=d, kind="stable")
        position = np.maximum((data.shape[d] - nan - 1) // 2, 0)
        position = np.broadcast_to(position, order.shape[:d] + (1,) + order.shape[d + 1:])
        idx = np.take_along_axis(order, position, axis=d)
    idx = Tensor._wrap(idx.astype(np.int64))
    values = src.gather(d, idx)
    if not keepdim or not input.ndim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _NanMedian(_labelled(values, True, "NanmedianBackward1"), idx)


def _linspace_edges(left, right, steps, dt):
    """PyTorch's ``linspace`` in dtype ``dt``: stepping up from ``left`` for the first half, down from
    ``right`` for the second."""
    start, end = dt.type(left), dt.type(right)
    step = (end - start) / dt.type(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    low = start + step * i.astype(dt)
    high = end - step * (steps - i - 1).astype(dt)
    return np.where(i < half, low, high).astype(dt)


def _histogram_counts(x, edges, weights, search):
    """Counts (sums of ``weights``) of ``x`` in the bins between consecutive ``edges``; the last bin
    holds its right edge. ``search``: 'linear' (even edges), 'linear-local' (even edges checked against
    their neighbours) or 'binary'."""
    nb = edges.shape[0] - 1
    left, right = edges[0], edges[-1]
    inside = (x >= left) & (x <= right)
    v = x[inside]
    w = None if weights is None else weights[inside]
    if search == "binary":
        pos = np.searchsorted(edges, v, side="right") - 1
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            pos = ((v - left) * v.dtype.type(nb) / (right - left)).astype(np.int64)
        if search == "linear-local":
            count = np.zeros_like(pos)
            lo = np.maximum(pos - 1, 0)
            hi = np.minimum(pos + 2, nb + 1)
            for k in (-1, 0, 1):
                j = pos + k
                ok = (j >= lo) & (j < hi)
                count += ok & (edges[np.clip(j, 0, nb)] <= v)
            pos = lo + count - 1
    pos = np.where(pos == nb, nb - 1, pos)
    if w is None:
        return np.bincount(pos, minlength=nb).astype(x.dtype)
    return np.bincount(pos, weights=w, minlength=nb).astype(x.dtype)


def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """Counts of ``input``'s elements in ``bins`` equal bins between ``min`` and ``max`` (both 0: the
    data's range); elements outside are left out, and the last bin holds ``max``.

    Example:
        >>> import npgrad
        >>> npgrad.histc(npgrad.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    if not isinstance(bins, numbers.Integral):
        raise TypeError(f"histc(): argument 'bins' (position 2) must be int, not {type(bins).__name__}")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    x = input._data.reshape(-1)
    left, right = float(min), float(max)
    if left == right and x.size:
        left, right = float(x.min()), float(x.max())
    if left == right:
        left, right = left - 1, right + 1
    if not (np.isfinite(left) and np.isfinite(right)):
        raise RuntimeError(f"torch.histc: range of [{_num(left)}, {_num(right)}] is not finite")
    if not left < right:
        raise RuntimeError("torch.histc: max must be larger than min")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_scalar_name(x.dtype)}'")
    edges = _linspace_edges(left, right, bins + 1, x.dtype)
    return Tensor._wrap(_histogram_counts(x, edges, None, "linear"))


def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    """The histogram of ``input``: ``(hist, bin_edges)`` for ``bins`` equal bins over ``range`` (default:
    the data's range), or for the given increasing ``bins`` edges. ``weight`` weighs each element;
    ``density`` scales the histogram to integrate to 1.

    Example:
        >>> import npgrad
        >>> npgrad.histogram(npgrad.tensor([1.0, 2.0, 1.0, 4.0]), bins=3)
        torch.return_types.histogram(
        hist=tensor([2., 1., 1.]),
        bin_edges=tensor([1., 2., 3., 4.]))
    """
    x = input._data.reshape(-1)
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram() received an invalid combination of arguments - got (Tensor, Tensor, "
                            "range=tuple), but expected one of: (Tensor input, Tensor bins, *, Tensor weight, bool "
                            "density) or (Tensor input, int bins, *, tuple of floats range, Tensor weight, bool "
                            "density)")
        edges = bins._data
        if edges.ndim != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got {edges.ndim} "
                               "dimensions in the bins tensor for dimension 0")
        if edges.size - 1 <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {edges.size - 1} for dimension 0")
        search = "binary"
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if x.dtype.kind != "f":
            raise NotImplementedError(f"\"histogramdd\" not implemented for '{_scalar_name(x.dtype)}'")
        if range is not None:
            left, right = float(range[0]), float(range[1])
        elif x.size:
            left, right = float(x.min()), float(x.max())
        else:
            left, right = 0.0, 1.0
        if not (np.isfinite(left) and np.isfinite(right)):
            raise RuntimeError(f"torch.histogramdd: dimension 0's range [{_num(left)}, {_num(right)}] is not finite")
        if left > right:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_num(left)} max "
                               f"{_num(right)} for dimension 0")
        if left == right:
            left, right = left - 0.5, right + 0.5
        edges = _linspace_edges(left, right, bins + 1, x.dtype)
        search = "linear-local"
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_scalar_name(x.dtype)}'")
    if edges.dtype != x.dtype:
        raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
                           f"input with dtype {_c_name(x.dtype)} and bins for dimension 0 with dtype "
                           f"{_c_name(edges.dtype)}")
    w = None
    if weight is not None:
        w = weight._data
        if w.dtype != x.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
                               f"should have the same dtype, but got input({_c_name(x.dtype)}), and "
                               f"weight({_c_name(w.dtype)})")
        if w.shape != input._data.shape:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               f"input tensor excluding its innermost dimension, but got input with shape "
                               f"{[x.size, 1]} and weight with shape {list(w.shape)}")
        w = w.reshape(-1)
    hist = _histogram_counts(x, edges, w, search)
    if density:
        hist = hist / hist.sum()
        hist = (hist / np.diff(edges)).astype(x.dtype)
    return _Histogram(Tensor._wrap(hist), Tensor._wrap(np.array(edges, dtype=x.dtype)))


def bincount(input, weights=None, minlength=0):
    """The number of occurrences of each value 0, 1, ... in a 1-d non-negative integer tensor (the sum of
    ``weights`` there, as float32 for float32 weights and float64 otherwise).

    Example:
        >>> import npgrad
        >>> npgrad.bincount(npgrad.tensor([1, 3, 1]))
        tensor([0, 2, 0, 1])
    """
    x = _raw(input)
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_scalar_name(x.dtype)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim == 1 and x.size == 0:
        return Tensor._wrap(np.zeros(minlength, dtype=np.int64))
    if x.ndim != 1 or x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._wrap(np.bincount(x, minlength=minlength).astype(np.int64))
    w = _raw(weights)
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dt = w.dtype if w.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return Tensor._wrap(np.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(out_dt))


def _dx_number(dx, name):
    if isinstance(dx, Tensor):
        dx = dx.item()
    if isinstance(dx, (bool, np.bool_, complex)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return float(dx)


def _spacing(y, x, d, name):
    """The differences of the sample points ``x`` along ``d``, shaped to broadcast against ``y``'s."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = x.shape[0]
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    n = x.shape[d]
    return x.narrow(d, 1, max(n - 1, 0)) - x.narrow(d, 0, max(n - 1, 0))


def _left_right(y, d):
    n = y.shape[d]
    return y.narrow(d, 0, max(n - 1, 0)), y.narrow(d, 1, max(n - 1, 0))


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along ``dim``: the integral of samples ``y`` at points ``x`` (or spaced ``dx``,
    default 1).

    .. math:: \\int y \\approx \\sum_{i=1}^{n-1} \\frac{(x_i - x_{i-1})(y_i + y_{i-1})}{2}

    Example:
        >>> import npgrad
        >>> npgrad.trapezoid(npgrad.tensor([1.0, 2.0, 3.0]), npgrad.tensor([0.0, 1.0, 3.0]))
        tensor(6.5000)
    """
    if x is not None and not isinstance(x, Tensor):
        raise TypeError("trapezoid() received an invalid combination of arguments - got (Tensor, "
                        f"{type(x).__name__}), but expected one of: (Tensor y, Tensor x, *, int dim) or (Tensor y, "
                        "*, Number dx, int dim)")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, y.ndim)
    if y.shape[d] == 0:
        return Tensor._wrap(np.zeros(tuple(s for i, s in enumerate(y.shape) if i != d), dtype=y._data.dtype))
    if x is None:
        if y._data.dtype == np.bool_:
            raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported")
        step = _dx_number(1 if dx is None else dx, "trapezoid")
        ends = y.select(d, 0) + y.select(d, -1)
        return _labelled((y.sum(d) - ends * 0.5) * step, True, "MulBackward1")    # PyTorch: times a number
    if y._data.dtype == np.bool_ or x._data.dtype == np.bool_:
        raise RuntimeError("trapezoid: received a bool input for `x` or `y`, but bool is not supported")
    spacing = _spacing(y, x, d, "trapezoid")
    left, right = _left_right(y, d)
    return _labelled(((left + right) * spacing).sum(d) / 2.0, True, "DivBackward1")    # PyTorch: by a number


def trapz(y, x=None, *, dx=None, dim=-1):
    """``trapezoid`` under its older name.

    Example:
        >>> import npgrad
        >>> npgrad.trapz(npgrad.tensor([1.0, 2.0, 3.0]), dx=2.0)
        tensor(8.)
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along ``dim``: one value per interval between consecutive samples.

    .. math:: \\mathrm{out}_j = \\sum_{i=1}^{j} \\frac{(x_i - x_{i-1})(y_i + y_{i-1})}{2}

    Example:
        >>> import npgrad
        >>> npgrad.cumulative_trapezoid(npgrad.tensor([1.0, 2.0, 3.0]))
        tensor([1.5000, 4.0000])
    """
    if y.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, y.ndim)
    left, right = _left_right(y, d)
    if x is None:
        if y._data.dtype == np.bool_:
            raise RuntimeError("cumulative_trapezoid: received a bool input for `y`, but bool is not supported")
        step = _dx_number(1 if dx is None else dx, "cumulative_trapezoid")
        return (step / 2.0 * (left + right)).cumsum(d)
    if y._data.dtype == np.bool_ or x._data.dtype == np.bool_:
        raise RuntimeError("cumulative_trapezoid: received a bool input for `x` or `y`, but bool is not supported")
    spacing = _spacing(y, x, d, "cumulative_trapezoid")
    return ((left + right) * spacing).cumsum(d) / 2.0

