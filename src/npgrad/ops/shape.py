"""Shape primitives: reshape, permute, expand, cat, stack, split, flip, repeat, pad."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction as Function


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return np.reshape(g, ctx.shape), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return Reshape.apply(g, ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.axes)), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return Permute.apply(g, tuple(int(a) for a in np.argsort(ctx.axes))), None


class Expand(Function):
    """Broadcast to a larger shape; the engine sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return g, None


class Cat(Function):
    follows_channels_last = "all"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.c = (dim, [x.shape[dim] if x.ndim else 0 for x in xs])
        keep = [x for x in xs if not (x.ndim == 1 and x.shape[0] == 0)] or list(xs[:1])
        out = np.concatenate(keep, axis=dim)
        return out if out.flags.c_contiguous else np.array(out, order="C")

    @staticmethod
    def backward(ctx, g):
        dim, sizes = ctx.c
        splits = np.cumsum(sizes)[:-1]
        parts = np.split(g, splits, axis=dim)
        out = []
        for p, s in zip(parts, sizes):
            out.append(p)
        return (None, *out)

    @staticmethod
    def graph_backward(ctx, saved, g):
        dim, sizes = ctx.c
        parts = Split.apply(g, sizes, dim)
        return (None, *(parts if isinstance(parts, tuple) else (parts,)))


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        n = g.shape[ctx.dim]
        return (None, *[np.take(g, i, axis=ctx.dim) for i in range(n)])

    @staticmethod
    def graph_backward(ctx, saved, g):
        return (None, *[g.select(ctx.dim, i) for i in range(g.shape[ctx.dim])])


class Split(Function):
    """Split into pieces along ``dim`` (sizes given); one output per piece."""

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.c = (x.shape, dim)
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(x, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *gs):
        return np.concatenate(gs, axis=ctx.c[1]), None, None

    @staticmethod
    def graph_backward(ctx, saved, *gs):
        return Cat.apply(ctx.c[1], *gs), None, None


class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()  # a new tensor, as in PyTorch

    @staticmethod
    def backward(ctx, g):
        return np.flip(g, ctx.dims), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return Flip.apply(g, ctx.dims), None


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.c = (shifts, dims)
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        shifts, dims = ctx.c
        neg = -np.asarray(shifts) if not isinstance(shifts, int) else -shifts
        return np.roll(g, neg if isinstance(neg, int) else tuple(neg), dims), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        shifts, dims = ctx.c
        neg = -shifts if isinstance(shifts, int) else tuple(-int(s) for s in shifts)
        return Roll.apply(g, neg, dims), None, None


class Repeat(Function):
    @staticmethod
    def forward(ctx, x, reps):
        lead = len(reps) - x.ndim
        shape = (1,) * lead + x.shape
        ctx.c = (shape, reps, x.shape)
        return np.tile(x.reshape(shape), reps)

    @staticmethod
    def backward(ctx, g):
        shape, reps, orig = ctx.c
        inter = []
        for r, s in zip(reps, shape):
            inter += [r, s]
        g = g.reshape(inter).sum(axis=tuple(range(0, len(inter), 2)))
        return g.reshape(orig), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        shape, reps, orig = ctx.c
        inter = []
        for r, s in zip(reps, shape):
            inter += [r, s]
        g = Reshape.apply(g, tuple(inter)).sum(tuple(range(0, len(inter), 2)))
        return Reshape.apply(g, orig), None


class Tri(Function):
    """tril / triu: keep a triangle, zero the rest."""

    @staticmethod
    def forward(ctx, x, k, upper):
        ctx.c = (k, upper)
        return np.triu(x, k) if upper else np.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        k, upper = ctx.c
        return (np.triu(g, k) if upper else np.tril(g, k)), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        k, upper = ctx.c
        return Tri.apply(g, k, upper), None, None


class Pad(Function):
    """Constant padding as F.pad(x, pad, value): pad lists (left, right) from the last dim."""

    follows_channels_last = True

    @staticmethod
    def forward(ctx, x, pad, value):
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        ctx.widths, ctx.pad = widths, pad
        cropped = x
        slices = []
        for lo, hi in widths:  # negative padding crops
            slices.append(slice(-lo if lo < 0 else 0, hi if hi < 0 else None))
        cropped = x[tuple(slices)]
        return np.pad(cropped, [(max(lo, 0), max(hi, 0)) for lo, hi in widths], constant_values=value)

    @staticmethod
    def backward(ctx, g):
        slices = []
        for lo, hi in ctx.widths:
            slices.append(slice(max(lo, 0), g.shape[len(slices)] - max(hi, 0)))
        inner = g[tuple(slices)]
        back = [(-lo if lo < 0 else 0, -hi if hi < 0 else 0) for lo, hi in ctx.widths]
        return np.pad(inner, back), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        return LinearMap.apply(g, Pad.backward, ctx, 0, lambda gg: Pad.apply(gg, ctx.pad, 0)), None, None


class Diagonal(Function):
    """x.diagonal(offset, dim1, dim2): out[..., i] = x[..., i, i + offset] (dims dim1, dim2), a view of x.

    As in PyTorch, writes into the diagonal reach x (NumPy's diagonal is a read-only view; this one is
    writable where x is).

    Example:
        >>> import npgrad
        >>> K = npgrad.zeros(2, 2)
        >>> K.diagonal().add_(1.0)
        tensor([1., 1.])
        >>> K
        tensor([[1., 0.],
                [0., 1.]])
    """

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.c = (x.shape, offset, dim1, dim2)
        out = np.diagonal(x, offset, dim1, dim2)
        if x.flags.writeable:
            out.flags.writeable = True
        return out

    @staticmethod
    def backward(ctx, g):
        shape, offset, d1, d2 = ctx.c
        out = np.zeros(shape, dtype=g.dtype)
        moved = np.moveaxis(out, (d1, d2), (-2, -1))  # a view of out
        i = np.arange(g.shape[-1])
        moved[..., i + max(-offset, 0), i + max(offset, 0)] = g
        return out, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        _, offset, d1, d2 = ctx.c
        return LinearMap.apply(g, Diagonal.backward, ctx, 0, lambda gg: Diagonal.apply(gg, offset, d1, d2)), \
            None, None, None
