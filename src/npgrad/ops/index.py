"""Indexing primitives: getitem, index_put, gather, scatter, index_select, masked_fill."""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction as Function


def _is_basic(idx):
    """True when an index uses only ints, slices, None and Ellipsis (a view, no repeats)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, np.integer, slice, type(None))) or i is Ellipsis for i in items)


class TwoStepIndex:
    """An index in PyTorch's order: ``x[basic][advanced]``.

    PyTorch applies the integers of an index first, as selects (with the slices, None and Ellipsis: a view),
    and only then the advanced indices (integer and bool arrays), by NumPy's rule on that view: adjacent
    advanced indices put their broadcast shape in their place, separated ones put it first. NumPy instead
    counts the integers among the advanced indices, which moves the result's dims::

        zeros(3, 4, 5)[0, :, [1, 2]]     # PyTorch: (4, 2) = zeros(4, 5)[:, [1, 2]]; NumPy: (2, 4)

    ``basic`` holds the ints, slices, None and Ellipsis, with a full slice for each dim an advanced index
    takes; ``advanced`` holds the advanced indices at their places in ``x[basic]``, full slices elsewhere.
    """

    __slots__ = ("basic", "advanced")

    def __init__(self, basic, advanced):
        self.basic, self.advanced = basic, advanced

    def __repr__(self):
        return f"TwoStepIndex({self.basic!r}, {self.advanced!r})"


def index_parts(a, idx):
    """``(target, sub)`` with ``target[sub]`` standing for ``a[idx]`` (to read it, write it or add to it);
    ``target`` is ``a`` or a view of it."""
    if isinstance(idx, TwoStepIndex):
        return a[idx.basic], idx.advanced
    return a, idx


def index_array(a, idx):
    """``a[idx]`` for an index made by ``Tensor.__getitem__`` (plain, or a :class:`TwoStepIndex`)."""
    target, sub = index_parts(a, idx)
    return target[sub]


class GetItem(Function):
    """x[idx]; repeated advanced indices add up in backward (scatter-add).

    Basic indices give a view, an element included (a 0-d view, as in PyTorch, where NumPy gives a copy).
    """

    @staticmethod
    def forward(ctx, x, idx):
        ctx.c = (x.shape, x.dtype, idx)
        if _is_basic(idx):
            out = x[idx]  # a view, as in PyTorch
            if not isinstance(out, np.ndarray):  # one element: NumPy's scalar is a copy; "..." makes it a view
                out = x[(*idx, Ellipsis) if isinstance(idx, tuple) else (idx, Ellipsis)]
            return out
        out = index_array(x, idx)  # advanced indexing makes a new tensor, contiguous as in PyTorch
        return out if out.flags.c_contiguous else np.array(out, order="C")

    @staticmethod
    def backward(ctx, g):
        shape, dtype, idx = ctx.c
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(idx):
            out[idx] = g
        else:
            np.add.at(*index_parts(out, idx), g)
        return out, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        idx = ctx.c[2]
        return LinearMap.apply(g, GetItem.backward, ctx, 0, lambda gg: GetItem.apply(gg, idx)), None


class IndexPut(Function):
    """out = x with out[idx] = value (accumulate=True adds instead).

    value broadcasts to out[idx] as in PyTorch, leading dims of size 1 beyond out[idx]'s included.
    """

    @staticmethod
    def forward(ctx, x, value, idx, accumulate):
        out = x.copy()
        value = np.asarray(value, dtype=x.dtype)
        target, sub = index_parts(out, idx)
        if accumulate:
            np.add.at(target, sub, value)
        else:
            target[sub] = value
        ctx.c = (idx, accumulate, value.ndim)
        return out

    @staticmethod
    def backward(ctx, g):
        idx, accumulate, value_ndim = ctx.c
        gx = g
        if not accumulate and ctx.needs_input_grad[0]:
            gx = g.copy()
            target, sub = index_parts(gx, idx)
            target[sub] = 0
        gv = None
        if ctx.needs_input_grad[1]:   # the engine sums it down to value's shape
            gv = index_array(g, idx)
            gv = gv.reshape((1,) * (value_ndim - gv.ndim) + gv.shape)
        return gx, gv, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        idx, accumulate, value_ndim = ctx.c
        gx = g
        if not accumulate and ctx.needs_input_grad[0]:
            gx = IndexPut.apply(g, np.zeros((), g._data.dtype), idx, False)
        gv = None
        if ctx.needs_input_grad[1]:
            gv = GetItem.apply(g, idx)
            gv = gv.reshape((1,) * (value_ndim - gv.ndim) + tuple(gv.shape))
        return gx, gv, None, None


def check_index(index, size, dim_size, what):
    """PyTorch's error for an index outside ``[0, dim_size)`` (gather/scatter/index_select take no
    negative indices)."""
    if index.size and (index.max() >= dim_size or index.min() < 0):
        bad = index.max() if index.max() >= dim_size else index.min()
        if what == "index_select":
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={dim_size}")
        raise RuntimeError(f"index {bad} is out of bounds for dimension {size} with size {dim_size}")


def check_gather_shapes(x, dim, index, src_name="input"):
    """PyTorch's checks on the index of gather/scatter: same rank, no larger than the tensor."""
    if index.ndim != x.ndim and index.size:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {src_name} tensor")
    for d in range(index.ndim):
        if d != dim and index.shape[d] > x.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index {list(index.shape)} to be no "
                               f"larger than self {list(x.shape)} apart from dimension {dim}")


class Gather(Function):
    @staticmethod
    def forward(ctx, x, dim, index):
        if index.dtype.kind not in "iu":
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        check_gather_shapes(x, dim, index)
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

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        _, dim, index = ctx.c
        return LinearMap.apply(g, Gather.backward, ctx, 0, lambda gg: Gather.apply(gg, dim, index)), None, None


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

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        dim, index, sshape = ctx.c
        gsrc = None
        if ctx.needs_input_grad[3]:
            zeros = np.zeros(g.shape, g._data.dtype)
            gsrc = LinearMap.apply(g, ScatterAdd.backward, ctx, 3,
                                   lambda gg: ScatterAdd.apply(zeros, dim, index, gg))
        return g, None, None, gsrc


def _gather_any(x, dim, index):
    """x gathered along ``dim`` at ``index``, which may be smaller than x along the other dims."""
    sl = tuple(slice(0, s) if d != dim else slice(None) for d, s in enumerate(index.shape))
    return np.take_along_axis(x[sl], index, axis=dim)


class Scatter(Function):
    """out = x with out[..., index, ...] = src along dim (last write wins, as on CPU).

    With ``reduce`` ("add" or "multiply") there is no derivative, as in PyTorch.
    """

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
        ctx.reduce = reduce
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.reduce is not None:
            raise RuntimeError("derivative for aten::scatter is not implemented")
        dim, idx, sshape = ctx.c
        gx = g.copy()
        gx[idx] = 0
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = np.zeros(sshape, dtype=g.dtype)
            gsrc[tuple(slice(0, s) for s in idx[dim].shape)] = g[idx]
        return gx, None, None, gsrc, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        # x: g with the written places zeroed (a scatter of 0); src: g read at them (a gather)
        if ctx.reduce is not None:
            return saved.without_graph(g)
        dim, idx, sshape = ctx.c
        gx = Scatter.apply(g, dim, idx[dim], np.zeros((), g._data.dtype)) if ctx.needs_input_grad[0] else None
        gsrc = _padded(GetItem.apply(g, idx), sshape) if ctx.needs_input_grad[3] else None
        return gx, None, None, gsrc, None


def _padded(g, shape):
    """A recorded Tensor ``g`` placed at the start of zeros of ``shape`` (the transpose of taking that corner)."""
    from ..autograd.graph import LinearMap

    if tuple(g.shape) == tuple(shape):
        return g
    corner = tuple(slice(0, s) for s in g.shape)

    def pad(_ctx, a):
        out = np.zeros(shape, dtype=a.dtype)
        out[corner] = a
        return out

    return LinearMap.apply(g, pad, None, 0, lambda gg: GetItem.apply(gg, corner))


class ScatterReduce(Function):
    """out = x with src reduced into it along ``dim`` at ``index``: sum, prod, mean, amax or amin.

    ``include_self=False`` leaves x's values out of the reduction where something is scattered.
    The gradient of amax/amin is shared evenly by the elements equal to the result; that of prod
    is ``out / value`` (its inputs must not be zero).
    """

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        check_gather_shapes(x, dim, index)
        check_gather_shapes(src, dim, index, "src")
        check_index(index, dim, x.shape[dim], "scatter_reduce")
        idx = list(np.indices(index.shape, sparse=True))
        idx[dim] = index
        idx = tuple(idx)
        vals = src[tuple(slice(0, s) for s in index.shape)]
        hit = np.zeros(x.shape, dtype=bool)
        hit[idx] = True
        count = np.zeros(x.shape, dtype=np.int64)
        np.add.at(count, idx, 1)
        start = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
        out = x.copy()
        if not include_self:
            out[hit] = start if x.dtype.kind == "f" or reduce in ("sum", "mean", "prod") else \
                (np.iinfo(x.dtype).min if reduce == "amax" else np.iinfo(x.dtype).max)
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
        ufunc.at(out, idx, vals)
        if reduce == "mean":
            n = count + (1 if include_self else 0)
            n = np.where(hit, n, 1)
            out = out / n if x.dtype.kind == "f" else np.floor_divide(out, n)
            out = out.astype(x.dtype, copy=False)
        ctx.c = (dim, idx, vals, hit, count, reduce, include_self, x if reduce != "sum" else None, out,
                 np.shape(src))
        ctx.src = src if reduce == "prod" else None     # for a recorded backward (create_graph)
        return out

    @staticmethod
    def backward(ctx, g):
        dim, idx, vals, hit, count, reduce, include_self, x, out, sshape = ctx.c
        gsrc = None
        if reduce == "sum":
            gx = g if include_self else np.where(hit, 0, g)
            gv = g[idx]
        elif reduce == "mean":
            n = np.where(hit, count + (1 if include_self else 0), 1)
            gx = g / n if include_self else np.where(hit, 0, g)
            gv = (g / n)[idx]
        elif reduce == "prod":
            # product of the other contributors, exact where a contributor is zero
            own = include_self | ~hit
            nz = np.where(own & (x != 0), x, 1).astype(g.dtype)
            np.multiply.at(nz, idx, np.where(vals != 0, vals, 1))
            zeros = (own & (x == 0)).astype(np.int64)
            np.add.at(zeros, idx, (vals == 0).astype(np.int64))
            with np.errstate(divide="ignore", invalid="ignore"):
                others_x = np.where(x != 0, out / np.where(x != 0, x, 1), np.where(zeros == 1, nz, 0))
                others_v = np.where(vals != 0, out[idx] / np.where(vals != 0, vals, 1),
                                    np.where(zeros[idx] == 1, nz[idx], 0))
            gx = np.where(own, g * others_x, 0)
            gv = g[idx] * others_v
        else:
            # amax/amin: the gradient is shared by every element equal to the result (x's own value counts
            # among them even when it is left out of the reduction)
            ties = (x == out).astype(np.int64)
            np.add.at(ties, idx, (vals == out[idx]).astype(np.int64))
            share = g / np.maximum(ties, 1)
            gx = np.where((x == out) & (include_self | ~hit), share, 0)
            gv = np.where(vals == out[idx], share[idx], 0)
        if ctx.needs_input_grad[3]:
            gsrc = np.zeros(sshape, dtype=g.dtype)
            gsrc[tuple(slice(0, s) for s in idx[dim].shape)] = gv
        return gx, None, None, gsrc, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import _keep

        dim, idx, vals, hit, count, reduce, include_self, x, out, sshape = ctx.c
        if reduce == "prod":
            return _scatter_prod_vjp(ctx, saved, g)
        # sum, mean, amax, amin: g divided by how many share it, masked to the contributors that get a share
        dt = g._data.dtype
        own = None if include_self else ~hit
        took = None
        if reduce == "sum":
            scaled = g
        elif reduce == "mean":
            scaled = g / np.where(hit, count + (1 if include_self else 0), 1).astype(dt)
        else:
            ties = (x == out).astype(np.int64)
            np.add.at(ties, idx, (vals == out[idx]).astype(np.int64))
            scaled = g / np.maximum(ties, 1).astype(dt)
            own = (x == out) if include_self else (x == out) & ~hit
            took = vals == out[idx]
        gx = gsrc = None
        if ctx.needs_input_grad[0]:
            gx = scaled if own is None else _keep(own, scaled)
        if ctx.needs_input_grad[3]:
            gv = GetItem.apply(scaled, idx)
            gsrc = _padded(gv if took is None else _keep(took, gv), sshape)
        return gx, None, None, gsrc, None, None


def _scatter_prod_vjp(ctx, saved, g):
    """The recorded backward of ``scatter_reduce(..., "prod")``: the op composed of a gather of each place's
    contributors into a row (padded with ones) and a product along the rows, differentiated (exact with zeros,
    and so are the higher derivatives)."""
    from ..tensor import Tensor, cat
    from .reduce import Prod

    dim, idx, vals, hit, count, reduce, include_self, x, out, sshape = ctx.c
    n_x, n_src = x.size, vals.size
    dest = np.ravel_multi_index(np.broadcast_arrays(*idx), x.shape).reshape(-1) if n_src else \
        np.zeros(0, np.int64)
    places = np.flatnonzero(hit)                            # the places something is scattered into
    group = np.searchsorted(places, dest)
    order = np.argsort(group, kind="stable")
    rank = np.empty(n_src, np.int64)
    starts = np.searchsorted(group[order], group[order], side="left")
    rank[order] = np.arange(n_src) - starts                 # the position of each element among its place's
    first = 1 if include_self else 0
    width = first + (int(count.max()) if n_src else 0)
    rows = np.full((places.size, width), n_x + n_src, np.int64)     # the last slot of the joined values: a one
    if include_self:
        rows[:, 0] = places
    rows[group, first + rank] = n_x + np.arange(n_src)
    corner = tuple(slice(0, s) for s in vals.shape)
    one = Tensor._wrap(np.ones(1, out.dtype))

    def composed(x, _dim, _index, src):
        joined = cat([x.reshape(-1), src[corner].reshape(-1), one])
        products = Prod.apply(GetItem.apply(joined, rows), 1, False)
        return IndexPut.apply(x.reshape(-1), products, (places,), False).reshape(x.shape)

    inputs = [saved.input(0, x), None, None, saved.input(3, ctx.src)]
    return (*saved.vjp(composed, inputs, (g,)), None, None)


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

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        _, dim, index = ctx.c
        return LinearMap.apply(g, IndexSelect.backward, ctx, 0,
                               lambda gg: IndexSelect.apply(gg, dim, index)), None, None


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

    @staticmethod
    def graph_backward(ctx, saved, g):
        dim, index, alpha = ctx.c
        return g, None, None, IndexSelect.apply(g, dim, index) * alpha, None


class MaskedFill(Function):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.save_for_backward(mask)
        out = np.where(mask, np.asarray(value, dtype=x.dtype), x)
        return out if out.flags.c_contiguous else np.array(out, order="C")

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        gv = None
        if ctx.needs_input_grad[2]:
            gv = np.sum(np.where(mask, g, 0))
        return np.where(mask, 0, g), None, gv

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import Where

        (mask,) = ctx.saved_tensors
        zero = np.zeros((), g._data.dtype)
        gv = Where.apply(mask, g, zero).sum() if ctx.needs_input_grad[2] else None
        return Where.apply(mask, zero, g), None, gv


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

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        mask = ctx.c[1]
        return LinearMap.apply(g, MaskedSelect.backward, ctx, 0, lambda gg: MaskedSelect.apply(gg, mask)), None


def strided_view(x, shape, strides):
    """The view of ``x``'s memory with ``shape`` and byte ``strides`` that starts at ``x``'s first element.

    Writable where ``x`` is. Built on the array owning the memory, so its chain of bases ends there as for
    any NumPy view and writes through it count for ``x``'s version (``as_strided``'s base would not).
    """
    owner = x
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    try:
        out = np.ndarray(shape, x.dtype, buffer=owner, offset=x.ctypes.data - owner.ctypes.data, strides=strides)
    except (TypeError, ValueError, BufferError):  # memory NumPy does not hand out as one buffer
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=x.flags.writeable)
    if not x.flags.writeable:
        out.flags.writeable = False
    return out


class Unfold(Function):
    """x.unfold(dim, size, step): the windows of ``size`` elements every ``step`` along ``dim``, a view of x.

    out[..., i, ..., j] = x[..., i * step + j, ...] (the window's elements on a new last dim); the gradient
    adds every window back into place.

    Example:
        >>> import npgrad
        >>> npgrad.arange(5.0).unfold(0, 2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """

    @staticmethod
    def forward(ctx, x, dim, size, step):
        ctx.c = (x.shape, dim, size, step)
        n = (x.shape[dim] - size) // step + 1
        st = x.strides
        return strided_view(x, x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,),
                            st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],))

    @staticmethod
    def backward(ctx, g):
        shape, dim, size, step = ctx.c
        out = np.zeros(shape, dtype=g.dtype)
        n = g.shape[dim]
        for j in range(size):   # offset j of every window: x[j], x[j + step], ... along dim
            out[(slice(None),) * dim + (slice(j, j + (n - 1) * step + 1, step),)] += g[..., j]
        return out, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ..autograd.graph import LinearMap

        _, dim, size, step = ctx.c
        return LinearMap.apply(g, Unfold.backward, ctx, 0, lambda gg: Unfold.apply(gg, dim, size, step)), \
            None, None, None
