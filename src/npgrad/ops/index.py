"""Indexing primitives: getitem, index_put, gather, scatter, index_select, masked_fill."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction as Function


def _is_basic(idx):
    """True when an index uses only ints, slices, None and Ellipsis (a view, no repeats)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, np.integer, slice, type(None))) or i is Ellipsis for i in items)


class GetItem(Function):
    """x[idx]; repeated advanced indices add up in backward (scatter-add)."""

    @staticmethod
    def forward(ctx, x, idx):
        ctx.c = (x.shape, x.dtype, idx)
        return x[idx]

    @staticmethod
    def backward(ctx, g):
        shape, dtype, idx = ctx.c
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(idx):
            out[idx] = g
        else:
            np.add.at(out, idx, g)
        return out, None


class IndexPut(Function):
    """out = x with out[idx] = value (accumulate=True adds instead)."""

    @staticmethod
    def forward(ctx, x, value, idx, accumulate):
        out = x.copy()
        value = np.asarray(value, dtype=x.dtype)
        if accumulate:
            np.add.at(out, idx, value)
        else:
            out[idx] = value
        ctx.c = (idx, accumulate)
        return out

    @staticmethod
    def backward(ctx, g):
        idx, accumulate = ctx.c
        gx = g
        if not accumulate and ctx.needs_input_grad[0]:
            gx = g.copy()
            gx[idx] = 0
        gv = g[idx] if ctx.needs_input_grad[1] else None  # the engine sums it down to value's shape
        return gx, gv, None, None


def check_index(index, size, dim_size, what):
    if index.size and (index.max() >= dim_size or index.min() < -dim_size):
        bad = index.max() if index.max() >= dim_size else index.min()
        raise IndexError(f"index {bad} is out of bounds for dimension {size} with size {dim_size}")


class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        if index.dtype.kind not in "iu":
            raise RuntimeError("gather(): Expected dtype int64 for index")
        check_index(index, dim, x.shape[dim], "gather")
        ctx.c = (x.shape, dim, index)
        return _gather_any(x, dim, index)

    @staticmethod
    def backward(ctx, g):
        shape, dim, index = ctx.c
        out = np.zeros(shape, dtype=g.dtype)
        sl = tuple(slice(0, s) if d != dim else slice(None) for d, s in enumerate(index.shape))
        view = out[sl]
        _scatter_add_into(view, dim, index, g)
        return out, None, None


def _scatter_add_into(out, dim, index, src):
    idx = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    np.add.at(out, tuple(idx), src[tuple(slice(0, s) for s in index.shape)])


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        check_index(index, dim, x.shape[dim], "scatter_add")
        out = x.copy()
        _scatter_add_into(out, dim, index, src)
        ctx.c = (dim, index, src.shape if hasattr(src, "shape") else ())
        return out

    @staticmethod
    def backward(ctx, g):
        dim, index, sshape = ctx.c
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = np.zeros(sshape, dtype=g.dtype)
            sl = tuple(slice(0, s) for s in index.shape)
            gsrc[sl] = _gather_any(g, dim, index)
        return g, None, None, gsrc


def _gather_any(x, dim, index):
    """x gathered along ``dim`` at ``index``, which may be smaller than x along the other dims."""
    sl = tuple(slice(0, s) if d != dim else slice(None) for d, s in enumerate(index.shape))
    return np.take_along_axis(x[sl], index, axis=dim)


class Scatter(Function):
    """out = x with out[..., index, ...] = src along dim (last write wins, as on CPU)."""

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce=None):
        check_index(index, dim, x.shape[dim], "scatter")
        out = x.copy()
        idx = list(np.indices(index.shape, sparse=True))
        idx[dim] = index
        idx = tuple(idx)
        if np.ndim(src) == 0:
            vals = np.full(index.shape, src, dtype=x.dtype)
        else:
            vals = src[tuple(slice(0, s) for s in index.shape)]
        if reduce is None:
            out[idx] = vals
        elif reduce == "add":
            np.add.at(out, idx, vals)
        elif reduce == "multiply":
            np.multiply.at(out, idx, vals)
        else:
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        ctx.c = (dim, idx, np.shape(src))
        return out

    @staticmethod
    def backward(ctx, g):
        dim, idx, sshape = ctx.c
        gx = g.copy()
        gx[idx] = 0
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = np.zeros(sshape, dtype=g.dtype)
            gsrc[tuple(slice(0, s) for s in idx[dim].shape)] = g[idx]
        return gx, None, None, gsrc, None


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        check_index(index, dim, x.shape[dim], "index_select")
        ctx.c = (x.shape, dim, index)
        return np.take(x, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        shape, dim, index = ctx.c
        out = np.zeros(shape, dtype=g.dtype)
        moved = np.moveaxis(out, dim, 0)
        np.add.at(moved, index, np.moveaxis(g, dim, 0))
        return out, None, None


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, x, dim, index, src, alpha):
        out = x.copy()
        np.add.at(np.moveaxis(out, dim, 0), index, alpha * np.moveaxis(src, dim, 0))
        ctx.c = (dim, index, alpha)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, index, alpha = ctx.c
        return g, None, None, alpha * np.take(g, index, axis=dim), None


class MaskedFill(Function):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        gv = None
        if ctx.needs_input_grad[2]:
            gv = np.sum(np.where(mask, g, 0))
        return np.where(mask, 0, g), None, gv


class MaskedSelect(Function):
    @staticmethod
    def forward(ctx, x, mask):
        xb, mb = np.broadcast_arrays(x, mask)
        ctx.c = (xb.shape, mb)
        return xb[mb]

    @staticmethod
    def backward(ctx, g):
        shape, mask = ctx.c
        out = np.zeros(shape, dtype=g.dtype)
        out[mask] = g
        return out, None
