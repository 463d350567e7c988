"""Reductions over dimensions: sum, mean, max/min, var, logsumexp, softmax, cumsum, prod."""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.function import ArrayFunction as Function
from .elementwise import Sqrt
from .shape import Expand, Reshape


def normalize_dims(dim, ndim):
    """A sorted tuple of non-negative dims (all dims for None), with PyTorch's range error."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) == 0:
        return tuple(range(ndim))
    out = []
    for d in dims:
        n = max(ndim, 1)
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        if ndim:  # a 0-d tensor accepts dim 0 or -1 and has nothing to reduce
            out.append(d % n)
    return tuple(sorted(set(out)))


def _c(a):
    """``a`` in C order: reductions make new contiguous tensors, as in PyTorch."""
    return a if a.flags.c_contiguous else np.array(a, order="C")


def _kept(g, shape, dims, keepdim):
    """A reduced Tensor gradient reshaped to broadcast against the input shape (recorded: ``create_graph``)."""
    if not keepdim and len(shape):
        return Reshape.apply(g, tuple(1 if i in dims else s for i, s in enumerate(shape)))
    return g


def _expand_back(g, shape, dims, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input shape."""
    if not keepdim and len(shape):
        kshape = [1 if i in dims else s for i, s in enumerate(shape)]
        g = g.reshape(kshape)
    return g


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.c = (x.shape, dims, keepdim)
        return _c(np.sum(x, axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.c
        return np.broadcast_to(_expand_back(g, shape, dims, keepdim), shape), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        shape, dims, keepdim = ctx.c
        return Expand.apply(_kept(g, shape, dims, keepdim), shape), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.c = (x.shape, dims, keepdim)
        n = int(np.prod([x.shape[d] for d in dims])) if x.ndim else 1
        ctx.n = n
        with np.errstate(invalid="ignore", divide="ignore"):
            if n == 0:
                return np.full([1 if i in dims else s for i, s in enumerate(x.shape)] if keepdim else
                               [s for i, s in enumerate(x.shape) if i not in dims], np.nan, dtype=x.dtype)
            return _c(np.mean(x, axis=dims, keepdims=keepdim).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        shape, dims, keepdim = ctx.c
        return np.broadcast_to(_expand_back(g, shape, dims, keepdim) / max(ctx.n, 1), shape), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        shape, dims, keepdim = ctx.c
        return Expand.apply(_kept(g, shape, dims, keepdim) / max(ctx.n, 1), shape), None, None


class Prod(Function):
    """Product of the elements (of all, or along ``dim``); :math:`\\partial/\\partial x_i = \\prod_{j \\ne i} x_j`,
    exact where elements are zero (and so are the higher derivatives)."""

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.c = (x, dim, keepdim)
        if dim is None or x.ndim == 0:      # a 0-d tensor takes dim 0 and has nothing to reduce
            out = np.prod(x)
        else:
            out = _c(np.prod(x, axis=dim, keepdims=keepdim))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        x, dim, keepdim = ctx.c
        if x.ndim == 0:
            return g, None, None
        if dim is None:
            flat = x.reshape(-1)
            return (_prod_others(flat, 0) * g).reshape(x.shape), None, None
        if not keepdim:
            g = np.expand_dims(g, dim)
        return _prod_others(x, dim) * g, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        # PyTorch's formula: g * result / x without zeros; else the products of the others, from cumprods
        x, dim, keepdim = ctx.c
        if x.ndim == 0:
            return g, None, None
        x_t = saved.input(0, x)
        dims = tuple(range(x.ndim)) if dim is None else (dim,)
        g = _kept(g, x.shape, dims, keepdim or dim is None)
        if np.all(x != 0):
            result = _kept(saved.output(0, ctx.out), x.shape, dims, keepdim or dim is None)
            return g * (result / x_t), None, None
        if dim is None:
            return g * _prod_others_tensor(x_t.reshape(-1), 0).reshape(x.shape), None, None
        return g * _prod_others_tensor(x_t, dim), None, None


def _prod_others(x, axis):
    """Product of all other elements along ``axis`` (exact with zeros)."""
    x = np.moveaxis(x, axis, -1)
    ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
    left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis(left * right, -1, axis)


def _prod_others_tensor(x, axis):
    """:func:`_prod_others` on a Tensor, recorded: the exclusive products from both ends, multiplied."""
    from ..tensor import Tensor, cat

    n = x.shape[axis]
    if n == 0:
        return x
    shape = list(x.shape)
    shape[axis] = 1
    ones = Tensor._wrap(np.ones(shape, dtype=x._data.dtype))
    left = cat([ones, x.narrow(axis, 0, n - 1)], axis).cumprod(axis)
    right = cat([ones, x.narrow(axis, 1, n - 1).flip(axis)], axis).cumprod(axis).flip(axis)
    return left * right


class MaxDim(Function):
    """max/min along one dim: values and indices; the gradient goes to the index."""

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        idx = np.argmax(x, axis=dim) if largest else np.argmin(x, axis=dim)
        if x.dtype.kind == "f":  # NaN propagates as in PyTorch
            nan = np.isnan(x)
            if nan.any():
                idx = np.where(nan.any(axis=dim), np.argmax(nan, axis=dim), idx)
        idx = np.expand_dims(idx, dim)
        values = np.take_along_axis(x, idx, axis=dim)
        ctx.c = (x.shape, dim, keepdim, idx)
        if not keepdim:
            values, idx = np.squeeze(values, dim), np.squeeze(idx, dim)
        idx = idx.astype(np.int64)
        ctx.mark_non_differentiable(idx)
        return values, idx

    @staticmethod
    def backward(ctx, g, _gi):
        shape, dim, keepdim, idx = ctx.c
        if not keepdim:
            g = np.expand_dims(g, dim)
        out = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(out, idx, g, axis=dim)
        return out, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g, _gi):
        from ..autograd.graph import LinearMap
        from .index import Gather

        shape, dim, keepdim, idx = ctx.c
        out_shape = g.shape
        return LinearMap.apply(g, lambda c, a: MaxDim.backward(c, a, None), ctx, 0,
                               lambda gg: Reshape.apply(Gather.apply(gg, dim, idx), out_shape)), None, None, None


class Amax(Function):
    """amax/amin (and full max/min): ties share the gradient evenly."""

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest):
        y = (np.max if largest else np.min)(x, axis=dims, keepdims=True)
        ctx.c = (x, y, dims, keepdim)
        return _c(y if keepdim else np.squeeze(y, axis=dims) if dims else y.reshape(()))

    @staticmethod
    def backward(ctx, g, *_):
        x, y, dims, keepdim = ctx.c
        mask = (x == y)
        count = mask.sum(axis=dims, keepdims=True)
        g = _expand_back(g, x.shape, dims, keepdim)
        return g * mask / count, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g, *_):
        x, y, dims, keepdim = ctx.c
        mask = (x == y)
        return _kept(g, x.shape, dims, keepdim) * (mask / mask.sum(axis=dims, keepdims=True)), None, None, None


class Var(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        n = int(np.prod([x.shape[d] for d in dims])) if x.ndim else 1
        mean = np.mean(x, axis=dims, keepdims=True) if n else np.zeros([1] * x.ndim, x.dtype)
        diff = x - mean
        if n - correction <= 0:
            warnings.warn("var(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                          "factor (input numel divided by output numel).", UserWarning, stacklevel=4)
        denom = max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.sum(diff * diff, axis=dims, keepdims=keepdim) / denom
        ctx.c = (diff, dims, keepdim, denom)
        ctx.x = x       # for a recorded backward (create_graph)
        return _c(out.astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, g):
        diff, dims, keepdim, denom = ctx.c
        g = _expand_back(g, diff.shape, dims, keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2 * g * diff / denom, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        diff, dims, keepdim, denom = ctx.c
        x = saved.input(0, ctx.x)
        centred = x - x.mean(dims, keepdim=True)
        return 2 * _kept(g, diff.shape, dims, keepdim) * centred / denom, None, None, None


class StdFromVar(Sqrt):
    r""":math:`\sqrt{v}` of a variance, with PyTorch's gradient for ``std``: zero where the result is zero
    (``sqrt``'s own would be :math:`\infty \cdot 0`)."""

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y == 0, 0, g / (2 * y)).astype(g.dtype, copy=False)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        out = saved.output(0, y)
        return (g / (2 * out)).masked_fill(out == 0, 0)


class EvenlyAt(Function):
    """A value chosen among the elements of ``x`` (the median of all of them), whose gradient is shared evenly
    by every element equal to it (NaN matching NaN), as PyTorch's ``evenly_distribute_backward``."""

    @staticmethod
    def forward(ctx, x, value):
        value = np.asarray(value, dtype=x.dtype)
        mask = (x == value) | (np.isnan(x) & np.isnan(value))
        ctx.c = (mask / max(int(mask.sum()), 1)).astype(x.dtype)
        return value

    @staticmethod
    def backward(ctx, g):
        return g * ctx.c, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..tensor import Tensor
        return g * Tensor._wrap(ctx.c), None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        m = np.max(x, axis=dims, keepdims=True) if x.size else np.zeros([1] * x.ndim, x.dtype)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=dims, keepdims=True)) + m
        ctx.c = (x, out, dims, keepdim)
        return _c(out if keepdim else np.squeeze(out, axis=dims) if dims else out.reshape(()))

    @staticmethod
    def backward(ctx, g):
        x, out, dims, keepdim = ctx.c
        g = _expand_back(g, x.shape, dims, keepdim)
        return g * np.exp(x - out), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        x, out, dims, keepdim = ctx.c
        out_shape = g.shape
        lse = _kept(saved.output(0, out.reshape(out_shape)), x.shape, dims, keepdim)
        return _kept(g, x.shape, dims, keepdim) * (saved.input(0, x) - lse).exp(), None, None


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))
        y = _c(e / np.sum(e, axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - np.sum(g * y, axis=ctx.dim, keepdims=True)), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        y = saved.output(0, y)
        from ..tensor import _labelled

        return _labelled(y * (g - (g * y).sum(ctx.dim, keepdim=True)), True, "SoftmaxBackwardDataBackward0"), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        m = np.max(x, axis=dim, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        shifted = x - m
        y = _c(shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True)))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - np.exp(y) * np.sum(g, axis=ctx.dim, keepdims=True), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        from ..tensor import _labelled

        grad = g - saved.output(0, y).exp() * g.sum(ctx.dim, keepdim=True)
        return _labelled(grad, True, "LogSoftmaxBackwardDataBackward0"), None


_CUM_ACC = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}


def cumulative(fn, x, axis):
    """``np.cumsum`` or ``np.cumprod`` as PyTorch's CPU kernel runs them: the running value kept in the
    accumulate type (float64 for float32, float32 for float16; integers wrap in their own type), each
    output rounded to ``x``'s type."""
    acc = _CUM_ACC.get(x.dtype, x.dtype)
    if x.ndim == 0:  # a 0-dim tensor stays 0-dim
        return fn(x.reshape(1), dtype=acc).astype(x.dtype).reshape(())
    return _c(fn(x, axis=axis, dtype=acc).astype(x.dtype, copy=False))


class CumSum(Function):
    """Running sums along ``dim``; the gradient is the reversed running sum of ``g``."""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return cumulative(np.cumsum, x, dim)

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        return np.flip(cumulative(np.cumsum, np.flip(g, d), d), d), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        d = ctx.dim
        return g.flip(d).cumsum(d).flip(d), None


class CumProd(Function):
    @staticmethod
    def forward(ctx, x, dim):
        y = cumulative(np.cumprod, x, dim)
        ctx.c = (x, y, dim)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y, d = ctx.c
        # reference formula valid for non-zero inputs; zeros use the exact O(n^2) path
        if np.all(x != 0):
            return np.flip(cumulative(np.cumsum, np.flip(g * y, d), d), d) / x, None
        xm = np.moveaxis(x, d, -1)
        gm = np.moveaxis(g, d, -1)
        n = xm.shape[-1]
        out = np.zeros_like(xm)
        for k in range(n):
            others = xm.copy()
            others[..., k] = 1
            cp = np.cumprod(others, axis=-1)
            out[..., k] = np.sum(gm[..., k:] * cp[..., k:], axis=-1)
        return np.moveaxis(out, -1, d), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        # PyTorch's formula: reversed cumsum of g y, over x, without zeros; with a zero, for each k the
        # cumulative products that leave x_k out (exact, so that its derivatives are too)
        x, y, d = ctx.c
        if x.size <= 1 or x.shape[d] == 1:
            return g, None
        x_t = saved.input(0, x)
        if np.all(x != 0):
            return (g * saved.output(0, y)).flip(d).cumsum(d).flip(d) / x_t, None
        return _cumprod_grad_with_zeros(g, x_t, d), None


def _cumprod_grad_with_zeros(g, x, d):
    """The gradient of cumprod along ``d`` on Tensors, any zeros in ``x``: for each position k, the sum over
    i >= k of g_i times the product of x_0..x_i without x_k (all k at once, along a new dim)."""
    from .elementwise import Where

    n = x.shape[d]
    rows = x.movedim(d, -1).unsqueeze(-2).expand(*x.shape[:d], *x.shape[d + 1:], n, n)
    eye = np.eye(n, dtype=bool)
    left_out = Where.apply(eye, np.ones((), x._data.dtype), rows).cumprod(-1)   # [..., k, i]: x_k left out
    upper = np.triu(np.ones((n, n), dtype=x._data.dtype))                         # i >= k
    out = (g.movedim(d, -1).unsqueeze(-2) * left_out * upper).sum(-1)
    return out.movedim(-1, d)
