r"""Convolutions, transposed convolutions, ``unfold`` (im2col) and ``fold`` (col2im), for 1, 2 and 3 spatial dims.

One N-d op, :class:`Convolution`, serves them all; a transposed convolution is the adjoint of a
convolution run forwards, and its input gradient is the convolution of the output gradient. Floating
inputs run on compiled kernels (:mod:`npgrad.kernels.conv`) in one of three ways:

* :class:`_Implicit` (implicit GEMM): the images of a block on a grid of padded cells, one after the
  other, so that each tap of the kernel is one matrix product on a shifted view of that grid; no column
  matrix is ever made. Taken when the channels are many and the padding of the cells costs little work.
* :class:`_Columns`: the classic ``im2col`` into a ``(C \cdot \prod k, n_b L)`` matrix (the images of a
  block side by side) and one BLAS product per group; the input gradient sums the columns back with
  ``col2im``. Taken for few channels (the first layer of a network) and small images.
* :class:`_Winograd`: stride-1 3x3 2-d convolutions with enough channels, on images and batches large
  enough (:meth:`_Winograd.takes`), forward and input gradient, in Winograd's 2x2 output tiles: 16
  products of the channels per tile instead of 36; the weight gradient stays on one of the two above.

The NumPy version of the columns (strided window views, ``np.matmul``) stays as the reference: integer
inputs run on it, and the tests compare both compiled ways with it (``KERNELS = False`` selects it).
The batch goes through in blocks of a few MB, so that what is made for a block is consumed while in
cache and never held for the whole batch (backward makes it again).
"""
from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np

from ... import memory
from ...autograd.function import ArrayFunction as Function
from .basic import _c_name

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "unfold", "fold"]

_TYPE_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


# --------------------------------------------------------------------------- the shared pieces


def _windows(big, kernel, stride, dilation, windows):
    """Read-only view ``(B, C, *kernel, *windows)`` of ``big`` with
    ``view[b, c, k, q] = big[b, c, q * stride + k * dilation]`` (per spatial dim).

    The positions are not bounds-checked: on the wide grid of :class:`_Shape` a window row runs on into
    the next row of ``big`` (and into the extra plane of zeros at its end)."""
    n = len(kernel)
    s = big.strides
    shape = big.shape[:2] + tuple(kernel) + tuple(windows)
    strides = (s[:2] + tuple(s[2 + i] * dilation[i] for i in range(n))
               + tuple(s[2 + i] * stride[i] for i in range(n)))
    return np.lib.stride_tricks.as_strided(big, shape, strides, writeable=False)


def _im2col(big, kernel, stride, dilation, windows):
    """The sliding blocks of ``big`` as one contiguous ``(B, C * prod(kernel), prod(windows))`` matrix."""
    cols = np.ascontiguousarray(_windows(big, kernel, stride, dilation, windows))
    return cols.reshape(big.shape[0], big.shape[1] * math.prod(kernel), math.prod(windows))


def _col2im(cols, size, kernel, stride, dilation, windows):
    """Adjoint of :func:`_im2col`: ``cols`` of shape ``(B, C, *kernel, *windows)`` summed into a zero
    array ``(B, C, *size)``, one strided view per kernel offset (overlapping blocks add up).

    As in :func:`_windows`, a window may run past the end of a row into the next one (see :class:`_Shape`);
    the positions of one kernel offset are still all distinct, so each ``+=`` is an ordinary add.
    """
    big = np.zeros(cols.shape[:2] + tuple(size), dtype=cols.dtype)
    if cols.size == 0:
        return big
    n = len(kernel)
    flat = big.reshape(big.shape[0], big.shape[1], math.prod(size))
    s = big.strides
    strides = s[:2] + tuple(s[2 + i] * stride[i] for i in range(n))
    every = (slice(None), slice(None))
    for k in np.ndindex(*kernel):
        offset = sum(k[i] * dilation[i] * s[2 + i] for i in range(n)) // big.itemsize
        target = np.lib.stride_tricks.as_strided(flat[:, :, offset:], cols.shape[:2] + tuple(windows), strides)
        target += cols[every + k]
    return big


def _place(a, lo, size):
    """``a`` written at offset ``lo`` (per spatial dim) into a zero array ``(B, C, *size)``: zero padding."""
    if all(p == 0 for p in lo) and tuple(size) == a.shape[2:]:
        return a
    big = np.zeros(a.shape[:2] + tuple(size), dtype=a.dtype)
    big[(slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(lo, a.shape[2:]))] = a
    return big


def _crop(big, lo, size):
    """The block ``big[..., lo:lo + size]`` (per spatial dim), a view."""
    return big[(slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(lo, size))]


def _sum_but_channels(g):
    """The bias gradient: ``g`` of shape ``(B, C, *spatial)`` summed over all dims but the channels (a
    broadcast ``g``, as ``y.sum().backward()`` gives, is summed as it is, never copied)."""
    return g.sum((0, *range(2, g.ndim)))


_BLOCK_BYTES = 4 << 20


def _blocks(batch, item_bytes):
    """The batch cut into blocks whose column matrices take about ``_BLOCK_BYTES``: a block's columns are
    made, multiplied and consumed while they are still in cache, and never exist for the whole batch.
    The blocks are of (nearly) equal size."""
    step = max(1, _BLOCK_BYTES // max(1, item_bytes))
    if batch:
        count = -(-batch // step)  # as few blocks as the budget allows,
        step = -(-batch // count)  # all about the same size
    return [slice(b, min(b + step, batch)) for b in range(0, batch, step)]


class Convolution(Function):
    r"""N-d convolution (``transposed=False``) or its adjoint (``transposed=True``) with bias, one node.

    Convolution, per group, with :math:`X_\text{col}` the ``im2col`` matrix of the padded input:

    .. math:: y = W X_\text{col} + b, \qquad \partial W = \textstyle\sum_b \partial y\, X_\text{col}^\top,
              \qquad \partial x = \text{col2im}(W^\top \partial y)

    The transposed convolution swaps the roles: :math:`y = \text{col2im}(W^\top x) + b`,
    :math:`\partial x = W\, \text{im2col}(\partial y)`,
    :math:`\partial W = \textstyle\sum_b x\, \text{im2col}(\partial y)^\top`.

    ``padding`` holds ``(lo, hi)`` per spatial dim (``'same'`` may be asymmetric) for a convolution and the
    symmetric ``p`` per dim for a transposed one; all checks are done by the caller. Floating inputs run
    on :func:`_chosen_path`, others on the NumPy reference below; either way the batch is processed in
    blocks (:func:`_blocks`) and nothing made for a block is kept for backward.

    Example:
        >>> import npgrad
        >>> x, w = npgrad.ones(1, 1, 3, 3), npgrad.ones(1, 1, 2, 2)
        >>> Convolution.apply(x, w, None, [1, 1], [(0, 0), (0, 0)], [1, 1], False, [0, 0], 1).tolist()
        [[[[4.0, 4.0], [4.0, 4.0]]]]
    """

    follows_channels_last = True

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, transposed, output_padding, groups):
        shape = _Shape(x.shape, w.shape, stride, padding, dilation, transposed, output_padding, groups)
        shape.arguments = (stride, padding, dilation, transposed, output_padding, groups)
        ctx.save_for_backward(x, w)
        ctx.shape = shape
        ctx.grads_owned = True  # backward hands over fresh arrays nobody else holds
        if _compiled(x, w):
            return _chosen_path(shape).forward(x, w, b)
        w_g = shape.grouped_weight(w)
        c_out = shape.c_out
        y = np.empty((shape.batch, c_out, *(shape.outer if transposed else shape.inner)), dtype=x.dtype)
        bias = b.reshape((c_out,) + (1,) * (y.ndim - 2)) if b is not None else 0
        for s in shape.blocks(x.dtype):
            if transposed:
                block = shape.crop(shape.col2im(np.matmul(w_g.transpose(0, 2, 1), shape.grid_of(x[s]))))
            else:
                block = shape.from_grid(np.matmul(w_g, shape.im2col(x[s])))
            np.add(block, bias, out=y[s])
        return y

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        shape = ctx.shape
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if _compiled(x, w):
            gx, gw, gb = _chosen_path(shape).backward(x, w, gy, need_x, need_w, need_b)
            return gx, gw, gb, None, None, None, None, None, None
        gb = _sum_but_channels(gy) if need_b else None
        w_g = shape.grouped_weight(w)
        gx = np.empty(x.shape, dtype=x.dtype) if need_x else None
        gw = np.zeros(w_g.shape, dtype=w.dtype) if need_w else None
        for s in shape.blocks(gy.dtype):
            if shape.transposed:
                # the output gradient read through the windows the forward wrote to: a convolution of gy
                gcols = shape.im2col(gy[s])
                if need_x:
                    gx[s] = shape.from_grid(np.matmul(w_g, gcols))
                if need_w:
                    gw += np.matmul(shape.grid_of(x[s]), gcols.transpose(0, 1, 3, 2)).sum(0)
            else:
                gy_s = shape.grid_of(gy[s])
                if need_w:
                    gw += np.matmul(gy_s, shape.im2col(x[s]).transpose(0, 1, 3, 2)).sum(0)
                if need_x:
                    gx[s] = shape.crop(shape.col2im(np.matmul(w_g.transpose(0, 2, 1), gy_s)))
        return gx, gw.reshape(w.shape) if need_w else None, gb, None, None, None, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, gy):
        """The backward recorded (``create_graph``): the two products of a bilinear map, each an op of its own.

        With :math:`f(x, W)` the convolution, :math:`\\partial x = A(\\partial y, W)` and
        :math:`\\partial W = B(\\partial y, x)`; their own gradients are convolutions and each other
        (:class:`_ConvGradProduct`).
        """
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gx = _ConvGradProduct.apply(gy, saved.input(1, w), ctx, x, 0) if need_x else None
        gw = _ConvGradProduct.apply(gy, saved.input(0, x), ctx, w, 1) if need_w else None
        gb = gy.sum((0, *range(2, gy.ndim))) if need_b else None
        return gx, gw, gb, None, None, None, None, None, None


class _ConvAdjoint:
    """What the two gradient products of a convolution share: the convolution's arguments, and running
    its array backward for one of its inputs."""

    @staticmethod
    def conv(x, w, conv_ctx):
        """:math:`f(x, W)` without bias, recorded: the convolution the gradients came from."""
        return Convolution.apply(x, w, None, *conv_ctx.shape.arguments)

    @staticmethod
    def run(conv_ctx, gy, x, w, which):
        stub = _ConvStub(x, w, conv_ctx.shape, which)
        return Convolution.backward(stub, gy)[which]


class _ConvStub:
    """A convolution's context, for running its backward on other arrays."""

    def __init__(self, x, w, shape, which):
        self.saved_tensors = (x, w)
        self.shape = shape
        self.needs_input_grad = tuple(k == which for k in range(3))


class _ConvGradProduct(Function):
    """One gradient product of a convolution :math:`f(x, W)`, as an op: ``which = 0`` gives
    :math:`A(\\partial y, W) = \\partial \\langle \\partial y, f(x, W)\\rangle / \\partial x`, ``which = 1``
    gives :math:`B(\\partial y, x) = \\partial \\langle \\partial y, f(x, W)\\rangle / \\partial W`.

    Each is linear in both arguments. For an incoming gradient :math:`g`:
    :math:`\\partial A/\\partial(\\partial y) = f(g, W)`, :math:`\\partial A/\\partial W = B(\\partial y, g)`;
    :math:`\\partial B/\\partial(\\partial y) = f(x, g)`, :math:`\\partial B/\\partial x = A(\\partial y, g)`.
    ``other`` is :math:`W` for ``A`` and :math:`x` for ``B``; ``fixed`` is the array of the remaining
    input (only its shape and dtype matter).
    """

    @staticmethod
    def forward(ctx, gy, other, conv_ctx, fixed, which):
        ctx.save_for_backward(gy, other)
        ctx.conv_ctx, ctx.which = conv_ctx, which
        x, w = (fixed, other) if which == 0 else (other, fixed)
        return _ConvAdjoint.run(conv_ctx, gy, x, w, which)

    @staticmethod
    def backward(ctx, g):
        from ...autograd.grad_mode import no_grad
        from ...tensor import Tensor

        gy, other = ctx.saved_tensors
        x_like, w_like = (g, other) if ctx.which == 0 else (other, g)
        with no_grad():
            g_gy = _ConvAdjoint.conv(Tensor._wrap(x_like), Tensor._wrap(w_like), ctx.conv_ctx)._data
        g_other = None
        if ctx.needs_input_grad[1]:     # the other product, with g in the place of the varying input
            x, w = (g, other) if ctx.which == 0 else (other, g)
            g_other = _ConvAdjoint.run(ctx.conv_ctx, gy, x, w, 1 - ctx.which)
        return g_gy, g_other, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        gy, other = ctx.saved_tensors
        other_t = saved.input(1, other)
        x_like, w_like = (g, other_t) if ctx.which == 0 else (other_t, g)
        g_gy = _ConvAdjoint.conv(x_like, w_like, ctx.conv_ctx)
        g_other = None
        if ctx.needs_input_grad[1]:
            g_other = _ConvGradProduct.apply(saved.input(0, gy), g, ctx.conv_ctx, other, 1 - ctx.which)
        return g_gy, g_other, None, None, None


class _Shape:
    """The geometry of one convolution, named as for a convolution; a transposed one runs it backwards.

    * ``big``: the zero-padded input (convolution) or the uncropped output (transposed), of which the
      block ``outer`` at offset ``lo`` is the input or the output;
    * ``inner``: the window positions, i.e. the output of a convolution or the input of a transposed one.

    With stride 1 the windows may be laid on a wider ``grid``: every dim but the first spans the whole of
    ``big``, so that a window row runs on into the next row of ``big``. The columns then copy and add
    whole images at a time instead of row by row; the extra positions are computed on zeros and dropped
    (``big`` gets one more plane of zeros to run into).
    """

    def __init__(self, x_shape, w_shape, stride, padding, dilation, transposed, output_padding, groups):
        kernel, n = tuple(w_shape[2:]), len(w_shape) - 2
        if transposed:
            inner = list(x_shape[2:])
            full = [(inner[i] - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 for i in range(n)]
            lo = list(padding)
            outer = [full[i] - 2 * padding[i] + output_padding[i] for i in range(n)]
            big = [max(full[i], lo[i] + outer[i]) for i in range(n)]
            self.c_in, self.c_out = x_shape[1], w_shape[1] * groups
        else:
            outer = list(x_shape[2:])
            lo = [p[0] for p in padding]
            big = [outer[i] + padding[i][0] + padding[i][1] for i in range(n)]
            inner = [(big[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(n)]
            self.c_in, self.c_out = x_shape[1], w_shape[0]
        self.batch, self.groups, self.transposed = x_shape[0], groups, transposed
        self.w_shape = tuple(w_shape)
        self.kernel, self.stride, self.dilation, self.taps = kernel, stride, dilation, math.prod(kernel)
        self.inner, self.outer, self.lo = inner, outer, lo
        # worth it where the columns outweigh the channels on the grid, which are cropped from it
        across = self.c_in if transposed else self.c_out
        spread = self.c_out if transposed else self.c_in
        wide = (n > 1 and all(s == 1 for s in stride) and big[1:] != inner[1:]
                and spread * math.prod(kernel) > across)
        self.grid = [inner[0], *big[1:]] if wide else inner
        self.big = [big[0] + 1, *big[1:]] if wide else big
        self.length = math.prod(self.grid)
        self.spread = spread  # the channels of ``big``

    def grouped_weight(self, w):
        """``w`` as ``(groups, its dim 0 / groups, its dim 1 * taps)``."""
        return w.reshape(self.groups, w.shape[0] // self.groups, w.shape[1] * self.taps)

    def blocks(self, dtype):
        return _blocks(self.batch, self.spread * self.taps * self.length * np.dtype(dtype).itemsize)

    def im2col(self, a):
        """The columns ``(b, groups, spread / groups * taps, length)`` of a block ``a`` of ``outer`` arrays."""
        cols = _im2col(_place(a, self.lo, self.big), self.kernel, self.stride, self.dilation, self.grid)
        return cols.reshape(a.shape[0], self.groups, self.spread // self.groups * self.taps, self.length)

    def col2im(self, cols):
        """The adjoint of :meth:`im2col`, before :meth:`crop`: the columns summed into ``big``."""
        cols = cols.reshape(cols.shape[0], self.spread, *self.kernel, *self.grid)
        return _col2im(cols, self.big, self.kernel, self.stride, self.dilation, self.grid)

    def crop(self, big):
        return _crop(big, self.lo, self.outer)

    def grid_of(self, a):
        """A block ``(b, channels, *inner)`` on the grid, as ``(b, groups, channels / groups, length)``."""
        a = _place(a, [0] * len(self.grid), self.grid)
        return a.reshape(a.shape[0], self.groups, a.shape[1] // self.groups, self.length)

    def from_grid(self, a):
        """The ``inner`` positions of a block ``(b, groups, channels / groups, length)`` on the grid."""
        a = a.reshape(a.shape[0], a.shape[1] * a.shape[2], *self.grid)
        return _crop(a, [0] * len(self.grid), self.inner)


# --------------------------------------------------------------------------- the compiled path

# Set to False to run every convolution through the NumPy reference above (the tests compare the two).
KERNELS = True


def _compiled(x, w):
    """Whether the compiled kernels take this convolution: floating arrays with no empty dim."""
    return KERNELS and x.dtype in (np.float32, np.float64) and x.size > 0 and w.size > 0


def _five(a, n):
    """``(B, C, *spatial)`` with ``n`` spatial dims as a ``(B, C, D, H, W)`` view."""
    return a[(slice(None), slice(None)) + (None,) * (3 - n)]


def _three(values, fill):
    return (fill,) * (3 - len(values)) + tuple(values)


class _Columns:
    r"""A convolution of :class:`_Shape` run on compiled im2col / col2im (:mod:`npgrad.kernels.conv`).

    For a block of ``nb`` images the columns are one ``(C k, n_b L)`` matrix, the images side by side
    (:math:`L` the window positions ``inner``):

    * convolution: :math:`y = W\, \text{im2col}(x) + b`, with one group as one product per image written
      straight into the output (the bias one more column of :math:`W`, against a row of ones), with
      groups as one product per group laid out afterwards; backward, :math:`G = \partial y` as
      ``(C_out, nb L)``, :math:`\partial W \mathrel{+}= G\, \text{im2col}(x)^\top`,
      :math:`\partial x = \text{col2im}(W^\top G)`;
    * transposed: :math:`y = \text{col2im}(W^\top X) + b` with ``X`` the input as ``(C_in, nb L)``;
      backward, :math:`C = \text{im2col}(\partial y)`, :math:`\partial x = W C` (per image),
      :math:`\partial W \mathrel{+}= X C^\top`.

    ``im2col`` and ``col2im`` handle the padding (and the crop of a transposed convolution) by bounds, so
    no padded copy is ever made; a convolution with few columns per output (``C_in k`` small) skips
    BLAS for a direct product (:func:`npgrad.kernels.conv.small_product`).
    """

    SMALL = 16  # C_in k at most this: the direct product

    def __init__(self, shape):
        from ...kernels import conv as kernels

        self.k, self.shape = kernels, shape
        n = len(shape.kernel)
        self.n = n
        self.geometry = (_three(shape.kernel, 1), _three(shape.stride, 1), _three(shape.dilation, 1),
                         _three(shape.lo, 0), _three(shape.inner, 1))
        self.length = math.prod(shape.inner)

    def blocks(self, dtype):
        shape = self.shape
        return _blocks(shape.batch, shape.spread * shape.taps * self.length * np.dtype(dtype).itemsize)

    def to_rows(self, a5, out, s, sums=None):
        """``out[c, b * L + position] = a[s.start + b, c, position]``: a block as ``(C, nb L)``."""
        self.k.to_grid(a5, out[None], s.start, s.stop - s.start, (0, 0, 0), (1, 1, 1), a5.shape[2:], sums)

    def from_rows(self, rows, out5, s, bias=None):
        """The inverse of :meth:`to_rows`, plus ``bias``, into the block ``s`` of ``out5``."""
        self.k.from_grid(rows[None], out5, s.start, s.stop - s.start, (0, 0, 0), (1, 1, 1), out5.shape[2:], bias)

    def forward(self, x, w, b):
        shape, k, length = self.shape, self.k, self.length
        dtype = x.dtype
        w_g = np.ascontiguousarray(shape.grouped_weight(w))
        groups, rows, depth = w_g.shape
        if shape.transposed:
            y = memory.empty((shape.batch, shape.c_out, *shape.outer), dtype)
            x5, y5 = _five(x, self.n), _five(y, self.n)
            for s in self.blocks(dtype):
                nb = s.stop - s.start
                xt = memory.empty((shape.c_in, nb * length), dtype)
                self.to_rows(x5, xt, s)
                cols = memory.empty((shape.c_out * shape.taps, nb * length), dtype)
                np.matmul(w_g.transpose(0, 2, 1), xt.reshape(groups, rows, nb * length),
                          out=cols.reshape(groups, depth, nb * length))
                k.col2im(cols, y5, s.start, nb, *self.geometry, bias=b)
            return y
        y = memory.empty((shape.batch, shape.c_out, length), dtype)
        y5 = _five(y.reshape(shape.batch, shape.c_out, *shape.inner), self.n)
        x5 = _five(np.ascontiguousarray(x), self.n)
        small = groups == 1 and depth <= self.SMALL
        fold = b is not None and groups == 1 and not small  # the bias: one more column of W, a row of ones
        if fold:
            w_g = np.concatenate([w_g, b.reshape(1, rows, 1).astype(dtype)], axis=2)
        for s in self.blocks(dtype):
            nb = s.stop - s.start
            cols = memory.empty((shape.c_in * shape.taps + fold, nb * length), dtype)
            k.im2col(x5, cols, s.start, nb, *self.geometry)
            if small:
                k.small_product(w_g[0], cols, y, s.start, nb, bias=b)
                continue
            if groups == 1:
                if fold:
                    cols[-1] = 1
                # one product per image, written straight into the output
                np.matmul(w_g[0], cols.reshape(-1, nb, length).transpose(1, 0, 2), out=y[s])
                continue
            out = memory.empty((shape.c_out, nb * length), dtype)
            np.matmul(w_g, cols.reshape(groups, depth, nb * length), out=out.reshape(groups, rows, nb * length))
            self.from_rows(out, y5, s, b)
        return y.reshape(shape.batch, shape.c_out, *shape.inner)

    def backward(self, x, w, gy, need_x, need_w, need_b):
        shape, k, length = self.shape, self.k, self.length
        dtype = x.dtype
        w_g = np.ascontiguousarray(shape.grouped_weight(w))
        groups, rows, depth = w_g.shape
        gx = memory.empty(x.shape, dtype) if need_x else None
        gw = None
        if shape.transposed:
            x5, gy5 = _five(x, self.n), _five(np.ascontiguousarray(gy), self.n)
            gx3 = gx.reshape(shape.batch, shape.c_in, length) if need_x else None
            gx5 = _five(gx, self.n) if need_x else None
            for s in self.blocks(dtype):
                nb = s.stop - s.start
                cols = memory.empty((shape.c_out * shape.taps, nb * length), dtype)
                k.im2col(gy5, cols, s.start, nb, *self.geometry)
                cols_g = cols.reshape(groups, depth, nb * length)
                if need_x and groups == 1:  # one product per image, straight into the gradient
                    np.matmul(w_g[0], cols.reshape(depth, nb, length).transpose(1, 0, 2), out=gx3[s])
                elif need_x:
                    out = memory.empty((shape.c_in, nb * length), dtype)
                    np.matmul(w_g, cols_g, out=out.reshape(groups, rows, nb * length))
                    self.from_rows(out, gx5, s)
                if need_w:
                    xt = memory.empty((shape.c_in, nb * length), dtype)
                    self.to_rows(x5, xt, s)
                    part = np.matmul(xt.reshape(groups, rows, nb * length), cols_g.transpose(0, 2, 1))
                    gw = part if gw is None else np.add(gw, part, out=gw)
            gb = _sum_but_channels(gy) if need_b else None
        else:
            x5, gy5 = _five(np.ascontiguousarray(x), self.n), _five(gy, self.n)
            gx5 = _five(gx, self.n) if need_x else None
            sums = np.zeros(shape.c_out) if need_b else None  # the bias gradient, summed in passing
            for s in self.blocks(dtype):
                nb = s.stop - s.start
                gt = memory.empty((shape.c_out, nb * length), dtype)
                self.to_rows(gy5, gt, s, sums)
                gt_g = gt.reshape(groups, rows, nb * length)
                if need_w:
                    cols = memory.empty((shape.c_in * shape.taps, nb * length), dtype)
                    k.im2col(x5, cols, s.start, nb, *self.geometry)
                    with _blas_threads_for(groups * rows * depth):
                        part = np.matmul(gt_g, cols.reshape(groups, depth, nb * length).transpose(0, 2, 1))
                    gw = part if gw is None else np.add(gw, part, out=gw)
                if need_x:
                    cols = memory.empty((shape.c_in * shape.taps, nb * length), dtype)
                    np.matmul(w_g.transpose(0, 2, 1), gt_g, out=cols.reshape(groups, depth, nb * length))
                    k.col2im(cols, gx5, s.start, nb, *self.geometry)
            gb = sums.astype(dtype) if need_b else None
        return gx, gw.reshape(w.shape) if need_w else None, gb


_SMALL_PRODUCT = 1024  # output elements of a product that runs on one BLAS thread


def _blas_threads_for(outputs):
    """One BLAS thread for a product with few outputs (a weight gradient of a few channels over a long
    batch): a second thread gains little there (1.3x on a 32x9 gradient), and OpenBLAS's threads spin
    for a while after every product they share, which slowed the next layer's own two threads (the
    Winograd path) by up to 2x. BLAS's own count otherwise."""
    from ...kernels import conv as kernels

    return kernels.one_blas_thread() if outputs <= _SMALL_PRODUCT else contextlib.nullcontext()


class _Implicit:
    r"""A convolution as one matrix product per tap, with no columns (implicit GEMM).

    The images of a block lie one after the other along the rows of a ``(channels, columns)`` matrix,
    each in a cell of ``grid`` size holding the padded image; the cells overlap where one image's
    padding after it can serve as the next one's padding before it. A stride :math:`s` splits the padded
    positions :math:`p = u s + f` into :math:`s` phases (per dim), each on a grid of its own (``B`` below
    has one grid per phase). Window :math:`q` reads :math:`p = q s + t d` for tap :math:`t`, which is
    phase :math:`f_t = t d \bmod s` at position :math:`q + \lfloor t d / s \rfloor`: the same shift
    :math:`\delta_t` for all windows of the block. With :math:`S_t` the grid of phase :math:`f_t` shifted
    by :math:`\delta_t` columns and :math:`W_t` the weight's slice for tap :math:`t`:

    .. math:: A = \sum_t W_t\, S_t(B), \qquad S_t(B) \mathrel{+}= W_t^\top A \ \text{(each } t),
              \qquad \partial W_t = A\, S_t(B)^\top

    ``A`` holds the channels of the weight's dim 0 at the window positions (``inner``) and ``B`` those
    of its dim 1 at the padded ``outer`` positions: a convolution runs the first product forwards and the
    second backwards, a transposed convolution the other way round. The windows that fall in the padding
    of a cell are computed and dropped, ``cells / prod(inner)`` times the work of the windows alone (1.07
    for 28x28 images, a 3x3 kernel and padding 1); the path is taken where that stays below
    :attr:`WASTE` and the channels keep the products long enough to run near peak.
    """

    WASTE = 1.25
    MIN_CHANNELS = 8

    @classmethod
    def takes(cls, shape):
        rows, depth = shape.w_shape[0] // shape.groups, shape.w_shape[1]
        if min(rows, depth) < cls.MIN_CHANNELS:
            return False
        return math.prod(cls._grid(shape)) <= cls.WASTE * math.prod(shape.inner)

    @staticmethod
    def _grid(shape):
        """The cell, per dim, in positions of one phase. Its period in padded positions holds the image
        after its padding before (``lo + outer``) and lets the windows of one image end before the next
        image starts (``span - lo``), and is a multiple of the stride."""
        grid = []
        for i in range(len(shape.kernel)):
            s, lo = shape.stride[i], shape.lo[i]
            span = (shape.inner[i] - 1) * s + shape.dilation[i] * (shape.kernel[i] - 1) + 1
            period = max(lo + shape.outer[i], span - lo, shape.inner[i] * s)
            grid.append(-(-period // s))
        return grid

    def __init__(self, shape):
        from ...kernels import conv as kernels

        self.k, self.shape, self.n = kernels, shape, len(shape.kernel)
        grid = _three(self._grid(shape), 1)
        self.grid, self.cells = grid, math.prod(grid)
        self.stride, self.lo = _three(shape.stride, 1), _three(shape.lo, 0)
        self.phases = math.prod(self.stride)
        steps = (grid[1] * grid[2], grid[2], 1)
        dilation = _three(shape.dilation, 1)
        self.taps = []  # (phase, shift) of each tap
        for t in np.ndindex(*_three(shape.kernel, 1)):
            reach = [t[i] * dilation[i] for i in range(3)]
            phase = np.ravel_multi_index([r % s for r, s in zip(reach, self.stride)], self.stride)
            self.taps.append((int(phase), sum(r // s * step for r, s, step in zip(reach, self.stride, steps))))
        self.extra = max(shift for _, shift in self.taps)  # B's columns beyond the cells

    def blocks(self, dtype):
        """Blocks of about ``_BLOCK_BYTES / 256`` grid columns (16384): the products run fastest on rows
        that long (shorter ones pay BLAS's start-up per call, longer ones leave the cache at every tap)."""
        w_shape = self.shape.w_shape
        channels = w_shape[0] + w_shape[1] * self.shape.groups * self.phases
        per_image = max(self.cells * 256, channels * self.cells * np.dtype(dtype).itemsize // 16)
        return _blocks(self.shape.batch, per_image)

    def weight_taps(self, w):
        """``w`` as ``(taps, dim 0, dim 1)``: the matrix of each tap contiguous."""
        return np.ascontiguousarray(w.reshape(w.shape[0], w.shape[1], -1).transpose(2, 0, 1))

    def per_group(self, w_t):
        """Taps, rows and columns of one group's matrix of ``w_t``."""
        taps, rows, depth = w_t.shape
        return taps, rows // self.shape.groups, depth

    # the three products, group by group and tap by tap; a matrix is (flat array, offset, leading dim)

    def _b(self, b_grid, g, t, depth):
        """The matrix of group ``g`` of ``B`` as tap ``t`` reads it: its phase's grid, shifted."""
        phase, shift = self.taps[t]
        channels, ld = b_grid.shape[1:]
        return b_grid.reshape(-1), (phase * channels + g * depth) * ld + shift, ld

    def gather(self, w_t, b_grid, a_grid, columns):
        """``A = sum_t W_t S_t(B)``."""
        groups, (taps, rows, depth), gemm = self.shape.groups, self.per_group(w_t), self.k.gemm
        w_flat, a_flat = w_t.reshape(-1), a_grid.reshape(-1)
        for g in range(groups):
            for t in range(taps):
                gemm(rows, columns, depth, (w_flat, (t * rows * groups + g * rows) * depth, depth),
                     self._b(b_grid, g, t, depth), (a_flat, g * rows * columns, columns), 0.0 if t == 0 else 1.0)

    def scatter(self, w_t, a_grid, b_grid, columns):
        """``S_t(B) += W_t^T A`` for every tap, ``B`` starting from zero: the first tap of each phase
        writes its columns (``beta = 0``), the columns it leaves out are zeroed first."""
        groups, (taps, rows, depth), gemm = self.shape.groups, self.per_group(w_t), self.k.gemm
        first = {}
        for t, (phase, shift) in enumerate(self.taps):
            first.setdefault(phase, (t, shift))
        for phase in range(self.phases):
            if phase not in first:
                b_grid[phase] = 0
            else:
                shift = first[phase][1]
                b_grid[phase, :, :shift] = 0
                b_grid[phase, :, shift + columns:] = 0
        w_flat, a_flat = w_t.reshape(-1), a_grid.reshape(-1)
        for g in range(groups):
            for t in range(taps):
                beta = 0.0 if first[self.taps[t][0]][0] == t else 1.0
                gemm(depth, columns, rows, (w_flat, (t * rows * groups + g * rows) * depth, depth),
                     (a_flat, g * rows * columns, columns), self._b(b_grid, g, t, depth), beta, trans_a=True)

    def weight_grad(self, a_grid, b_grid, gw_t, columns, beta):
        """``dW_t (+)= A S_t(B)^T``."""
        groups, (taps, rows, depth), gemm = self.shape.groups, self.per_group(gw_t), self.k.gemm
        g_flat, a_flat = gw_t.reshape(-1), a_grid.reshape(-1)
        for g in range(groups):
            for t in range(taps):
                gemm(rows, depth, columns, (a_flat, g * rows * columns, columns), self._b(b_grid, g, t, depth),
                     (g_flat, (t * rows * groups + g * rows) * depth, depth), beta, trans_b=True)

    # the passes

    def _grids(self, rows, depth, nb, dtype):
        columns = nb * self.cells
        groups = self.shape.groups
        a_grid = memory.empty((1, rows * groups, columns), dtype)
        b_grid = memory.empty((self.phases, depth * groups, columns + self.extra), dtype)
        return a_grid, b_grid, columns

    def forward(self, x, w, b):
        shape, k, n = self.shape, self.k, self.n
        dtype = x.dtype
        w_t = self.weight_taps(w)
        taps, rows, depth = self.per_group(w_t)
        out = memory.empty((shape.batch, shape.c_out, *(shape.outer if shape.transposed else shape.inner)), dtype)
        out5, x5, ones, zero = _five(out, n), _five(x, n), (1, 1, 1), (0, 0, 0)
        for s in self.blocks(dtype):
            nb = s.stop - s.start
            a_grid, b_grid, columns = self._grids(rows, depth, nb, dtype)
            if shape.transposed:
                k.to_grid(x5, a_grid, s.start, nb, zero, ones, self.grid)
                self.scatter(w_t, a_grid, b_grid, columns)
                k.from_grid(b_grid, out5, s.start, nb, self.lo, self.stride, self.grid, b)
            else:
                k.to_grid(x5, b_grid, s.start, nb, self.lo, self.stride, self.grid)
                self.gather(w_t, b_grid, a_grid, columns)
                k.from_grid(a_grid, out5, s.start, nb, zero, ones, self.grid, b)
        return out

    def backward(self, x, w, gy, need_x, need_w, need_b):
        shape, k, n = self.shape, self.k, self.n
        dtype = x.dtype
        w_t = self.weight_taps(w)
        taps, rows, depth = self.per_group(w_t)
        gx = memory.empty(x.shape, dtype) if need_x else None
        gw_t = np.empty(w_t.shape, dtype) if need_w else None
        sums = np.zeros(shape.c_out) if need_b else None
        x5, gy5, gx5 = _five(x, n), _five(gy, n), _five(gx, n) if need_x else None
        ones, zero = (1, 1, 1), (0, 0, 0)
        for i, s in enumerate(self.blocks(dtype)):
            nb = s.stop - s.start
            a_grid, b_grid, columns = self._grids(rows, depth, nb, dtype)
            if shape.transposed:
                k.to_grid(gy5, b_grid, s.start, nb, self.lo, self.stride, self.grid, sums)
                if need_w:
                    k.to_grid(x5, a_grid, s.start, nb, zero, ones, self.grid)
                    self.weight_grad(a_grid, b_grid, gw_t, columns, 1.0 if i else 0.0)
                if need_x:
                    self.gather(w_t, b_grid, a_grid, columns)
                    k.from_grid(a_grid, gx5, s.start, nb, zero, ones, self.grid)
            else:
                k.to_grid(gy5, a_grid, s.start, nb, zero, ones, self.grid, sums)
                if need_w:
                    k.to_grid(x5, b_grid, s.start, nb, self.lo, self.stride, self.grid)
                    self.weight_grad(a_grid, b_grid, gw_t, columns, 1.0 if i else 0.0)
                if need_x:
                    self.scatter(w_t, a_grid, b_grid, columns)
                    k.from_grid(b_grid, gx5, s.start, nb, self.lo, self.stride, self.grid)
        gw = np.ascontiguousarray(gw_t.transpose(1, 2, 0)).reshape(w.shape) if need_w else None
        gb = sums.astype(dtype) if need_b else None
        return gx, gw, gb


class _Winograd:
    r"""A stride-1 3x3 2-d convolution by Winograd's minimal filtering :math:`F(2 \times 2, 3 \times 3)`
    (Lavin & Gray, 2016): 16 matrix products of the channels per 2x2 output tile instead of 36.

    Each 4x4 tile :math:`d` of the padded input (the tiles two apart, overlapping by two) becomes
    :math:`U = B^\top d B`, each filter :math:`g` becomes :math:`V = G g G^\top` (16 values each), and
    with :math:`k` the 16 entries of the transforms

    .. math:: M_k = V_k U_k \ (C_\text{out} \times C_\text{in} \text{ by } C_\text{in} \times \text{tiles}),
              \qquad y_\text{tile} = A^\top M A + b

    the products on BLAS, the transforms (adds only) compiled (:func:`npgrad.kernels.conv.winograd_in`,
    :func:`~npgrad.kernels.conv.winograd_out`); odd output sizes get a last row or column of tiles that is
    cropped. The input gradient of such a convolution is the same kind of convolution of :math:`\partial y`,
    padded by ``2 - p``, with the filter turned by 180 degrees and its two channel dims swapped; it runs
    here too (for paddings up to 2). The weight gradient runs the transposed algorithm on the same input
    tiles (:meth:`weight_grad`), with the bias gradient summed on the way. The batch goes in blocks small
    enough for ``U`` and ``M`` to stay in cache, shared out between two threads; the weight gradient's blocks
    are larger (its products run over the tiles, and longer ones run nearer BLAS's peak).
    """

    BLOCK_BYTES = 1 << 20  # U and M of a block
    GRAD_BLOCK_BYTES = 32 << 20  # U and T of a block of the weight gradient
    MIN_CHANNELS = 32
    MIN_AREA = 400  # output positions per image
    MIN_BATCH = 4
    DTYPES = (np.float32, np.float64)

    @staticmethod
    def applies(shape):
        """A stride-1, undilated, ungrouped 3x3 2-d convolution (not transposed)."""
        return (not shape.transposed and len(shape.kernel) == 2 and tuple(shape.kernel) == (3, 3)
                and shape.groups == 1 and tuple(shape.stride) == (1, 1) and tuple(shape.dilation) == (1, 1))

    @classmethod
    def takes(cls, shape):
        """Where it measured faster than :func:`_compiled_path` (by 20 to 40 per cent, forward and input
        gradient, float32 and float64, on two cores): at least :attr:`MIN_CHANNELS` channels in and out
        (with 16 or 24 it gained nothing: the products run too far below BLAS's peak), images of at least
        :attr:`MIN_AREA` outputs (28x28 and 56x56 gained, 14x14 and 8x8 as often lost as gained) and a
        batch of :attr:`MIN_BATCH` or more (its blocks are what the two threads share)."""
        return (cls.applies(shape) and min(shape.c_in, shape.c_out) >= cls.MIN_CHANNELS
                and shape.inner[0] * shape.inner[1] >= cls.MIN_AREA and shape.batch >= cls.MIN_BATCH)

    def __init__(self, shape, fallback):
        from ...kernels import conv as kernels

        self.k, self.shape, self.fallback = kernels, shape, fallback
        # the padding after the image, per dim: inner = outer + lo + hi - 2
        self.hi = [shape.inner[i] + 2 - shape.outer[i] - shape.lo[i] for i in range(2)]

    def run(self, x, w, b, lo, size):
        """``y = conv(x, w) + b`` with ``x`` ``(B, C_in, H, W)`` lying at offset ``lo`` in the zeros of the
        padding, ``w`` ``(C_out, C_in, 3, 3)``, ``y`` of spatial size ``size``. Two threads take the blocks
        one at a time (a thread slowed down by other work takes fewer), each running its own transforms
        and products, the products on one BLAS thread each (:class:`npgrad.kernels.conv.one_blas_thread`)."""
        k = self.k
        dtype = x.dtype
        batch, c_in = x.shape[:2]
        c_out = w.shape[0]
        tiles = [-(-size[0] // 2), -(-size[1] // 2)]
        per_image = tiles[0] * (tiles[1] + 1)  # one tile more per row (see winograd_in)
        v = k.winograd_filters(w)
        x = np.ascontiguousarray(x)
        y = memory.empty((batch, c_out, *size), dtype)
        item = 16 * (c_in + c_out) * per_image * dtype.itemsize
        blocks = _blocks(batch, item * _BLOCK_BYTES // self.BLOCK_BYTES)
        most = max(s.stop - s.start for s in blocks) * per_image
        pending = iter(blocks)  # taken by the two threads in turn, as each gets through its last one

        def work():  # one U and one M for all the blocks of a thread (taken anew, they cost page faults)
            u_all, m_all = memory.empty((16 * c_in * most,), dtype), memory.empty((16 * c_out * most,), dtype)
            for s in pending:
                columns = (s.stop - s.start) * per_image
                u = u_all[:16 * c_in * columns].reshape(16, c_in, columns)
                m = m_all[:16 * c_out * columns].reshape(16, c_out, columns)
                k.winograd_in(x, u, s.start, s.stop - s.start, lo, tiles)
                np.matmul(v, u, out=m)
                k.winograd_out(m, y, s.start, s.stop - s.start, tiles, b)

        if len(blocks) == 1:
            work()
        else:
            self._two_threads(work, work)
        return y

    def _two_threads(self, mine, theirs):
        """``mine()`` in the calling thread while ``theirs()`` runs in the pool's, BLAS held to one thread
        each meanwhile (one after the other after ``npgrad.set_num_threads(1)``); returns both results."""
        if self.k._one_thread():
            return mine(), theirs()
        with self.k.one_blas_thread():
            other = self.k._pool().submit(theirs)
            try:
                first = mine()
            finally:
                second = other.result()
        return first, second

    def _halves(self, work, blocks):
        """``work`` on the first half of ``blocks`` in the calling thread and on the second half in another
        (a fixed split: a sum over the blocks comes out the same on every run). Returns the results, one per
        thread used."""
        if len(blocks) == 1:
            return [work(blocks)]
        half = len(blocks) // 2
        return list(self._two_threads(lambda: work(blocks[:half]), lambda: work(blocks[half:])))

    def weight_grad(self, x, gy, need_b):
        r"""The weight (and bias) gradient by the transposed algorithm, :math:`F(3 \times 3, 2 \times 2)`:
        each 2x2 tile :math:`g` of :math:`\partial y` becomes :math:`T = A g A^\top`, the input tiles the
        same :math:`U = B^\top d B` as in the forward pass, and

        .. math:: M_k = \textstyle\sum_\text{tiles} T_k U_k^\top, \qquad \partial W = G^\top M G

        16 products of :math:`C_\text{out} \times C_\text{in}` over the tiles, against 9 over every output
        position for the direct sum. Each of two threads sums half of the blocks into its own ``M``, always
        the same half, so the gradient is the same on every run."""
        k, shape = self.k, self.shape
        dtype = x.dtype
        batch, c_in = x.shape[:2]
        c_out = gy.shape[1]
        tiles = [-(-shape.inner[0] // 2), -(-shape.inner[1] // 2)]
        per_image = tiles[0] * (tiles[1] + 1)
        x, gy = np.ascontiguousarray(x), np.ascontiguousarray(gy)
        item = 16 * (c_in + c_out) * per_image * dtype.itemsize
        count = -(-batch * item // self.GRAD_BLOCK_BYTES)
        count = min(batch, count + count % 2)  # an even count: the two threads end together
        blocks = [slice(c * batch // count, (c + 1) * batch // count) for c in range(count)]
        most = max(s.stop - s.start for s in blocks) * per_image

        def work(mine):
            u_all, t_all = memory.empty((16 * c_in * most,), dtype), memory.empty((16 * c_out * most,), dtype)
            m = np.zeros((16, c_out, c_in), dtype)
            sums = np.zeros(c_out) if need_b else None
            m_flat = m.reshape(-1)
            for s in mine:
                columns = (s.stop - s.start) * per_image
                u = u_all[:16 * c_in * columns].reshape(16, c_in, columns)
                t = t_all[:16 * c_out * columns].reshape(16, c_out, columns)
                k.winograd_in(x, u, s.start, s.stop - s.start, shape.lo, tiles)
                k.winograd_grad_out(gy, t, s.start, s.stop - s.start, tiles, sums)
                for e in range(16):
                    k.gemm(c_out, c_in, columns, (t_all, e * c_out * columns, columns),
                           (u_all, e * c_in * columns, columns), (m_flat, e * c_out * c_in, c_in), 1.0, trans_b=True)
            return m, sums

        results = self._halves(work, blocks)
        m = results[0][0] if len(results) == 1 else results[0][0] + results[1][0]
        gb = None
        if need_b:
            gb = sum(r[1] for r in results).astype(dtype)
        return k.winograd_weight_grad(m), gb

    def forward(self, x, w, b):
        if x.dtype not in self.DTYPES:
            return self.fallback.forward(x, w, b)
        return self.run(x, w, b, self.shape.lo, self.shape.inner)

    def backward(self, x, w, gy, need_x, need_w, need_b):
        shape = self.shape
        fast = x.dtype in self.DTYPES
        winograd_x = need_x and fast and max(*shape.lo, *self.hi) <= 2
        gx, gw, gb = None, None, None
        if (need_x and not winograd_x) or ((need_w or need_b) and not fast):
            gx, gw, gb = self.fallback.backward(x, w, gy, need_x and not winograd_x, need_w and not fast,
                                                need_b and not fast)
        if fast and need_w:
            gw, gb = self.weight_grad(x, gy, need_b)
        elif fast and need_b:
            gb = gy.sum((0, 2, 3), dtype=np.float64).astype(x.dtype)
        if winograd_x:  # the full correlation of gy with the turned filter, padded by 2 - p
            turned = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
            gx = self.run(gy, turned, None, [2 - p for p in shape.lo], shape.outer)
        return gx, gw, gb


def _compiled_path(shape):
    """The implicit product where it applies, the columns otherwise."""
    if _Implicit.takes(shape):
        return _Implicit(shape)
    return _Columns(shape)


def _chosen_path(shape):
    """What :class:`Convolution` runs floating arrays on: Winograd's tiles where they measured faster
    (:meth:`_Winograd.takes`), with :func:`_compiled_path` for the rest of their work; that path alone
    otherwise."""
    path = _compiled_path(shape)
    return _Winograd(shape, path) if _Winograd.takes(shape) else path


# --------------------------------------------------------------------------- argument checks


def _int_list(fn, arg, value, n):
    """An int (repeated ``n`` times) or a sequence of ints, as a list: PyTorch's ``IntArrayRef[n]`` argument."""
    if isinstance(value, (int, np.integer)):
        return [int(value)] * n
    if isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            if not isinstance(v, (int, np.integer)):
                raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints, but found element of type "
                                f"{type(v).__name__} at pos {i}")
        return [int(v) for v in value]
    raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints, not {type(value).__name__}")


def _expand(arg, values, n):
    """A parameter given once or per spatial dim, as ``n`` values."""
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise RuntimeError(f"expected {arg} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {arg}={values}")
    return list(values)


def _as_2d(values, fill):
    """1-d parameters as the 2-d ones PyTorch's kernels report (a leading dim of ``fill``)."""
    return [fill] + list(values) if len(values) == 1 else list(values)


def _named(label, values, sep):
    """``label_height: 1 label_width: 2`` (and ``label_depth`` first in 3-d) as in PyTorch's messages."""
    names = ("depth", "height", "width")[3 - len(values):]
    return sep.join(f"{label}_{d}: {v}" for d, v in zip(names, values))


def _check_dtypes(x, w, b):
    if b is not None and b._data.dtype != x._data.dtype:
        raise RuntimeError(f"Input type ({_c_name(x)}) and bias type ({_c_name(b)}) should be the same")
    if w._data.dtype != x._data.dtype:
        xt, wt = _TYPE_NAMES.get(x._data.dtype.name), _TYPE_NAMES.get(w._data.dtype.name)
        if x._data.dtype == np.float32:
            raise RuntimeError(f"Input type (torch.{xt}Tensor) and weight type (torch.{wt}Tensor) should be the "
                               "same or input should be a MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {xt} but found {wt}")
    if x._data.dtype == np.bool_:
        raise NotImplementedError(f"\"slow_conv{max(2, w.ndim - 2)}d_cpu\" not implemented for 'Bool'")


def _convolution(x, w, b, stride, padding, dilation, transposed, output_padding, groups, shown_shape=None):
    """Checks of ``torch.convolution`` (shapes, then types, then the kernels' own), then the op.

    ``x`` is batched here; ``padding`` is ``(lo, hi)`` per dim for a convolution. ``shown_shape`` is the
    input shape PyTorch's messages show when ``'same'`` padded the input asymmetrically first.
    """
    n = w.ndim - 2
    stride = _expand("stride", stride, n)
    if not (padding and isinstance(padding[0], tuple)):  # 'same' gives (lo, hi) pairs already
        padding = _expand("padding", padding, n)
    if not transposed:
        padding = [p if isinstance(p, tuple) else (p, p) for p in padding]
    dilation = _expand("dilation", dilation, n)
    output_padding = _expand("output_padding", output_padding, n)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    pads = [p for pair in padding for p in pair] if not transposed else padding
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    w_shape, x_shape = list(w.shape), list(shown_shape or x.shape)
    if w.ndim != x.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight {w_shape}, but got "
                           f"{x.ndim}-dimensional input of size {x_shape} instead")
    if w_shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {w_shape} instead")
    if w_shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{w_shape}] instead")
    kernel = w_shape[2:]
    if not transposed:
        if x.shape[1] != w_shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {w_shape}, expected input{x_shape} to have "
                               f"{w_shape[1] * groups} channels, but got {x.shape[1]} channels instead")
        if b is not None and (b.ndim != 1 or b.shape[0] != w_shape[0]):
            raise RuntimeError(f"Given weight of size {w_shape}, expected bias to be 1-dimensional with "
                               f"{w_shape[0]} elements, but got bias of size {list(b.shape)} instead")
        padded = [x.shape[2 + i] + padding[i][0] + padding[i][1] for i in range(n)]
        spans = [dilation[i] * (kernel[i] - 1) + 1 for i in range(n)]
        if any(p < s for p, s in zip(padded, spans)):
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                               f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than "
                               "actual input size")
    else:
        if x.shape[1] != w_shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {w_shape}, expected input{x_shape} to have "
                               f"{w_shape[0]} channels, but got {x.shape[1]} channels instead")
        if b is not None and (b.ndim != 1 or b.shape[0] != w_shape[1] * groups):
            raise RuntimeError(f"Given transposed=1, weight of size {w_shape}, expected bias to be 1-dimensional "
                               f"with {w_shape[1] * groups} elements, but got bias of size {list(b.shape)} instead")
    _check_dtypes(x, w, b)
    if x._data.size == 0 and x.shape[0] != 0 and x.shape[1] != 0:
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got input shape: "
                           f"{list(x.shape)}")
    _check_kernel(transposed, kernel, stride, dilation, output_padding, padding, w_shape, x.shape)
    y = Convolution.apply(x, w, b, stride, padding, dilation, transposed, output_padding, groups)
    if x.shape[1] == 0 and x.shape[0] != 0:
        return y[:, :0]  # as PyTorch: an input without channels gives an output without channels
    return y


def _check_kernel(transposed, kernel, stride, dilation, output_padding, padding, w_shape, x_shape):
    """The checks of PyTorch's CPU kernels (a 1-d convolution runs as a 2-d one there)."""
    n = len(kernel)
    if not transposed and 0 in dilation:
        raise RuntimeError(f"dilation should be greater than zero, but got {_as_2d(dilation, 1)}")
    if 0 in kernel:
        if n == 3:
            raise RuntimeError(f"kernel size should be greater than zero, but got: {' x '.join(map(str, kernel))} "
                               "(TxHxW)")
        raise RuntimeError("kernel size should be greater than zero, but got "
                           f"{_named('kernel', _as_2d(kernel, 1), ' ')}")
    if not transposed:
        return
    if 0 in dilation:
        raise RuntimeError("dilation should be greater than zero, but got "
                           f"{_named('dilation', _as_2d(dilation, 1), ', ')}")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           f"{_named('output_padding', _as_2d(output_padding, 0), ' ')} "
                           f"{_named('stride', _as_2d(stride, 1), ' ')} {_named('dilation', _as_2d(dilation, 1), ' ')}")
    if 0 in w_shape:
        raise RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: {w_shape}")
    size = list(x_shape[2:])
    out = [(size[i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + output_padding[i] + 1
           for i in range(n)]
    if x_shape[0] != 0 and any(o < 1 for o in out):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, _as_2d(size, 1)))}). Calculated "
                           f"output size per channel: ({' x '.join(map(str, _as_2d(out, 1)))}). Output size is too "
                           "small")


def _batched(fn, n, input):
    """``input`` with its batch dim (an unbatched input gets one of size 1), and whether it had one."""
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {fn}, but got input of "
                           f"size: {list(input.shape)}")
    return (input, True) if input.ndim == n + 2 else (input.unsqueeze(0), False)


def _conv(fn, n, input, weight, bias, stride, padding, dilation, groups):
    x, batched = _batched(fn, n, input)
    stride = _int_list(fn, "stride", stride, n)
    dilation = _int_list(fn, "dilation", dilation, n)
    shown = None
    if isinstance(padding, str):
        padding, shown = _string_padding(padding, x, weight, stride, dilation, groups)
    else:
        padding = _int_list(fn, "padding", padding, n)
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    y = _convolution(x, weight, bias, stride, padding, dilation, False, [0], groups, shown)
    return y if batched else y.squeeze(0)


def _string_padding(padding, x, weight, stride, dilation, groups):
    """``'valid'`` (none) or ``'same'`` (output size = input size; the odd pixel of an even span goes on
    the high side, as in PyTorch), as ``(lo, hi)`` per dim, and the input shape PyTorch's messages show."""
    if padding == "valid":
        return [0], None
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    k = weight.ndim
    if k <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if k != x.ndim:
        raise RuntimeError(f"Expected {k}-dimensional input for {k}-dimensional weight{list(weight.shape)}, but got "
                           f"{x.ndim}-dimensional input of size {list(x.shape)} instead")
    n = k - 2
    if len(stride) not in (1, n):
        raise RuntimeError(f"stride cannot broadcast to {n} dimensions")
    if len(dilation) not in (1, n):
        raise RuntimeError(f"dilation cannot broadcast to {n} dimensions")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    pads = []
    for i in range(n):
        d = dilation[0] if len(dilation) == 1 else dilation[i]
        total = d * (weight.shape[2 + i] - 1)
        pads.append((total // 2, total - total // 2))
    if any(lo != hi for lo, hi in pads):
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                      "copy of the input be created", UserWarning, stacklevel=4)
        return pads, list(x.shape[:2]) + [x.shape[2 + i] + hi - lo for i, (lo, hi) in enumerate(pads)]
    return pads, None


def _conv_transpose(fn, n, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, batched = _batched(fn, n, input)
    stride = _int_list(fn, "stride", stride, n)
    padding = _int_list(fn, "padding", padding, n)
    output_padding = _int_list(fn, "output_padding", output_padding, n)
    dilation = _int_list(fn, "dilation", dilation, n)
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    y = _convolution(x, weight, bias, stride, padding, dilation, True, output_padding, groups)
    return y if batched else y.squeeze(0)


# --------------------------------------------------------------------------- public functions


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""1-d cross-correlation of ``(N, C_in, L)`` (or ``(C_in, L)``) with ``weight`` ``(C_out, C_in/groups, k)``:

    .. math:: y[n, o, l] = b[o] + \sum_{c, j} W[o, c, j]\, x_\text{pad}[n, c, l\,s + j\,d]

    ``padding`` is an int, a 1-tuple, ``'valid'`` or ``'same'`` (stride 1 only).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.conv1d(npgrad.ones(2, 3, 10), npgrad.ones(4, 3, 3), padding="same").shape
        npgrad.Size([2, 4, 10])
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""2-d cross-correlation of ``(N, C_in, H, W)`` (or ``(C_in, H, W)``) with ``(C_out, C_in/groups, kH, kW)``:

    .. math:: y[n, o, h, w] = b[o] + \sum_{c, i, j} W[o, c, i, j]\,
              x_\text{pad}[n, c, h s_0 + i d_0, w s_1 + j d_1]

    Output size per dim: :math:`\lfloor (L + 2p - d(k - 1) - 1) / s \rfloor + 1`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.conv2d(npgrad.ones(1, 3, 28, 28), npgrad.ones(8, 3, 3, 3), stride=2, padding=1).shape
        npgrad.Size([1, 8, 14, 14])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""3-d cross-correlation of ``(N, C_in, D, H, W)`` (or unbatched) with ``(C_out, C_in/groups, kD, kH, kW)``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.conv3d(npgrad.ones(1, 2, 4, 4, 4), npgrad.ones(3, 2, 2, 2, 2)).shape
        npgrad.Size([1, 3, 3, 3, 3])
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""1-d transposed convolution (the gradient of :func:`conv1d` with respect to its input), ``weight``
    of shape ``(C_in, C_out/groups, k)``. Output length:

    .. math:: (L - 1)s - 2p + d(k - 1) + \text{output\_padding} + 1

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.conv_transpose1d(npgrad.ones(2, 3, 5), npgrad.ones(3, 4, 3), stride=2).shape
        npgrad.Size([2, 4, 11])
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""2-d transposed convolution ("deconvolution"), ``weight`` of shape ``(C_in, C_out/groups, kH, kW)``:
    each input pixel scatters ``x[n, c, h, w] W[c, o]`` into the output at ``(h s_0 - p_0, w s_1 - p_1)``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.conv_transpose2d(npgrad.ones(1, 8, 7, 7), npgrad.ones(8, 4, 4, 4), stride=2, padding=1).shape
        npgrad.Size([1, 4, 14, 14])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""3-d transposed convolution, ``weight`` of shape ``(C_in, C_out/groups, kD, kH, kW)``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.conv_transpose3d(npgrad.ones(1, 2, 3, 3, 3), npgrad.ones(2, 1, 2, 2, 2), stride=2).shape
        npgrad.Size([1, 1, 6, 6, 6])
    """
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


# --------------------------------------------------------------------------- unfold and fold


class Im2Col(Function):
    """Sliding blocks of a zero-padded ``(B, C, H, W)`` input as ``(B, C kH kW, L)``; backward is col2im."""

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride, windows):
        big = [x.shape[2 + i] + 2 * padding[i] for i in range(2)]
        ctx.geometry = (kernel, stride, dilation, windows, padding, big, x.shape)
        return _im2col(_place(x, padding, big), kernel, stride, dilation, windows)

    @staticmethod
    def backward(ctx, g):
        kernel, stride, dilation, windows, padding, big, x_shape = ctx.geometry
        cols = np.ascontiguousarray(g).reshape(x_shape[:2] + tuple(kernel) + tuple(windows))
        big = _col2im(cols, big, kernel, stride, dilation, windows)
        return np.ascontiguousarray(_crop(big, padding, x_shape[2:])), *(None,) * 5

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): the gradient is col2im of ``g``, whose own gradient is im2col again."""
        kernel, stride, dilation, windows, padding, big, x_shape = ctx.geometry
        return Col2Im.apply(g, tuple(x_shape[2:]), kernel, dilation, padding, stride, windows), *(None,) * 5


class Col2Im(Function):
    """Sums ``(B, C kH kW, L)`` blocks into a zero-padded ``(B, C, H, W)`` output, cropped; backward is im2col."""

    @staticmethod
    def forward(ctx, cols, output_size, kernel, dilation, padding, stride, windows):
        channels = cols.shape[1] // math.prod(kernel)
        big = [output_size[i] + 2 * padding[i] for i in range(2)]
        ctx.geometry = (kernel, stride, dilation, windows, padding, big)
        cols = np.ascontiguousarray(cols).reshape((cols.shape[0], channels) + tuple(kernel) + tuple(windows))
        return np.ascontiguousarray(_crop(_col2im(cols, big, kernel, stride, dilation, windows), padding, output_size))

    @staticmethod
    def backward(ctx, g):
        kernel, stride, dilation, windows, padding, big = ctx.geometry
        return _im2col(_place(g, padding, big), kernel, stride, dilation, windows), *(None,) * 6

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): the gradient is im2col of ``g``, whose own gradient is col2im again."""
        kernel, stride, dilation, windows, padding, big = ctx.geometry
        return Im2Col.apply(g, kernel, dilation, padding, stride, windows), *(None,) * 6


def _pair_arg(name, value):
    """PyTorch's ``_pair`` followed by its check that the result has two entries."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
    return [int(v) for v in values]


def _check_block_args(kernel, dilation, padding, stride, order):
    """The positivity checks of im2col/col2im, in their order."""
    checks = {
        "kernel": (kernel[0] > 0 and kernel[1] > 0,
                   f"kernel size should be greater than zero, but got kernel_height: {kernel[0]} "
                   f"kernel_width: {kernel[1]}"),
        "dilation": (dilation[0] > 0 and dilation[1] > 0,
                     f"dilation should be greater than zero, but got dilation_height: {dilation[0]} "
                     f"dilation_width: {dilation[1]}"),
        "padding": (padding[0] >= 0 and padding[1] >= 0,
                    f"padding should be non-negative, but got pad_height: {padding[0]} pad_width: {padding[1]}"),
        "stride": (stride[0] > 0 and stride[1] > 0,
                   f"stride should be greater than zero, but got stride_height: {stride[0]} "
                   f"stride_width: {stride[1]}"),
    }
    for name in order:
        ok, message = checks[name]
        if not ok:
            raise RuntimeError(message)


def _block_counts(size, kernel, dilation, padding, stride):
    """Number of sliding blocks along each dim (floor division, as PyTorch's ``div_rtn``)."""
    return [(size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(2)]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    r"""Extract sliding local blocks (im2col): ``(N, C, H, W)`` (or ``(C, H, W)``) to
    ``(N, C \prod k, L)`` with :math:`L = \prod_d \lfloor (S_d + 2p_d - d_d(k_d - 1) - 1)/s_d \rfloor + 1`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.unfold(npgrad.ones(2, 3, 5, 5), kernel_size=2).shape
        npgrad.Size([2, 12, 16])
    """
    kernel, dilation = _pair_arg("kernel_size", kernel_size), _pair_arg("dilation", dilation)
    padding, stride = _pair_arg("padding", padding), _pair_arg("stride", stride)
    _check_block_args(kernel, dilation, padding, stride, ("kernel", "dilation", "padding", "stride"))
    if input.ndim < 3:
        if input.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], but "
                         f"got {input.ndim})")
    shape = list(input.shape)
    if input.ndim not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {shape}")
    windows = _block_counts(shape[-2:], kernel, dilation, padding, stride)
    if windows[0] < 1 or windows[1] < 1:
        raise RuntimeError(f"Given input with spatial size ({shape[-2]}, {shape[-1]}), kernel_size=({kernel[0]}, "
                           f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, "
                           f"{padding[1]}), calculated shape of the array of sliding blocks as ({windows[0]}, "
                           f"{windows[1]}), but its components must be at least one.")
    if input._data.dtype.kind in "iu":
        raise NotImplementedError(f"\"im2col_out_cpu\" not implemented for '{_TYPE_NAMES[input._data.dtype.name]}'")
    if input.ndim == 3:
        return Im2Col.apply(input.unsqueeze(0), kernel, dilation, padding, stride, windows).squeeze(0)
    return Im2Col.apply(input, kernel, dilation, padding, stride, windows)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""Combine sliding local blocks into a containing tensor (col2im, the adjoint of :func:`unfold`):
    ``(N, C \prod k, L)`` (or ``(C \prod k, L)``) to ``(N, C, *output_size)``, overlapping values summed.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.fold(npgrad.ones(1, 4, 16), output_size=(5, 5), kernel_size=2)[0, 0, :2].tolist()
        [[1.0, 2.0, 2.0, 2.0, 1.0], [2.0, 4.0, 4.0, 4.0, 2.0]]
    """
    size = _pair_arg("output_size", output_size)
    kernel, dilation = _pair_arg("kernel_size", kernel_size), _pair_arg("dilation", dilation)
    padding, stride = _pair_arg("padding", padding), _pair_arg("stride", stride)
    _check_block_args(kernel, dilation, padding, stride, ("kernel", "stride", "dilation", "padding"))
    shape = list(input.shape)
    if not ((input.ndim == 2 and 0 not in shape) or (input.ndim == 3 and 0 not in shape[1:])):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {shape}")
    planes, length = shape[-2:]  # PyTorch's messages count dims as if batched
    if planes % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={planes} and kernel_size=({kernel[0]}, {kernel[1]}).")
    windows = _block_counts(size, kernel, dilation, padding, stride)
    setting = (f"Given output_size=({size[0]}, {size[1]}), kernel_size=({kernel[0]}, {kernel[1]}), dilation="
               f"({dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), stride=({stride[0]}, "
               f"{stride[1]}), ")
    if length != windows[0] * windows[1]:
        raise RuntimeError(f"{setting}expected size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {windows[0]} * {windows[1]} = {windows[0] * windows[1]}, but got "
                           f"input.size(2)={length}.")
    if windows[0] < 1 or windows[1] < 1:
        raise RuntimeError(f"{setting}calculated shape of the array of sliding blocks as ({windows[0]}, "
                           f"{windows[1]}), which is too small (non-positive)")
    if input._data.dtype.kind in "iub":
        raise NotImplementedError(f"\"col2im_out_cpu\" not implemented for '{_TYPE_NAMES[input._data.dtype.name]}'")
    if input.ndim == 2:
        return Col2Im.apply(input.unsqueeze(0), size, kernel, dilation, padding, stride, windows).squeeze(0)
    return Col2Im.apply(input, size, kernel, dilation, padding, stride, windows)
