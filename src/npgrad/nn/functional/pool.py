r"""The math of the pooling layers: max, average, adaptive, power-average (LP) pooling and max unpooling over
1, 2 or 3 spatial dims, with PyTorch's output sizes, tie rules, flat indices and error messages.

The windows are a strided view of the padded input, ``windows[..., o, j] = x[..., o*stride - padding +
j*dilation]`` per spatial dim. A reduction runs as one NumPy operation per kernel offset ``j`` over all windows
at once, and backward scatters the gradient with the same loop, adding strided slices.

As in PyTorch, a window of ``kernel_size`` elements along a dim of length ``L`` gives
:math:`\lfloor (L + 2p - d(k-1) - 1) / s \rfloor + 1` outputs (``ceil`` with ``ceil_mode``, where the last
window must still start inside the input or the left padding). The 1D functions run the 2D ones on the input
unsqueezed at dim -2, as PyTorch does.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...autograd.function import ArrayFunction as Function
from ...autograd.grad_mode import is_grad_enabled
from ...tensor import Tensor, _scalar_name
from .basic import _ntuple, _pair, _triple

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d"]

_FLOATS = frozenset({"float16", "float32", "float64"})
_INTS = frozenset({"int8", "int16", "int32", "int64", "uint8"})


# --------------------------------------------------------------------------- arguments and checks


def _type_name(v):
    """A type's name as PyTorch's argument parser prints it: bare for builtins and tensors, else qualified."""
    t = type(v)
    if t.__module__ == "builtins" or isinstance(v, Tensor):
        return t.__name__
    return f"{t.__module__}.{t.__qualname__}"


def _is_int(v, first):
    """An element PyTorch's parser takes in an int list: ints, NumPy ints and integer 0-dim tensors, and bools
    except in the first place."""
    if isinstance(v, Tensor):
        return v.ndim == 0 and v._data.dtype.kind in "iu"
    if isinstance(v, bool):
        return not first
    return isinstance(v, (int, np.integer))


def _int_list(value, n, fn, name, pos):
    """PyTorch's parsing of an int-list argument: an int repeated ``n`` times, a sequence of ints kept as it is,
    with its messages (the first element is checked when the call is matched, the others when unpacked)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, not {_type_name(value)}")
    if value and not _is_int(value[0], True):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, but found element of "
                        f"type {_type_name(value[0])} at pos 0")
    for i, v in enumerate(value):
        if not _is_int(v, i == 0):
            raise TypeError(f"{fn}(): argument '{name}' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {_type_name(v)}\"")
    return tuple(int(v.item()) if isinstance(v, Tensor) else int(v) for v in value)


def _expand(values, n):
    """A one-element sequence repeated ``n`` times; a longer one as it is."""
    return tuple(values) * n if len(values) == 1 else tuple(values)


def _list_with_default(out_size, defaults):
    """``output_size`` with its ``None`` entries replaced by the input's sizes (torch's helper of that name)."""
    if isinstance(out_size, (int, np.integer)):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def _check_dtype(input, op, allowed):
    """PyTorch's error for a dtype its kernel has no version for."""
    name = input._data.dtype.name
    if name not in allowed:
        raise NotImplementedError(f"\"{op}\" not implemented for '{_scalar_name(input._data.dtype)}'")


def _check_dim_range(input, lo, hi, fn):
    if not lo <= input.ndim < hi:
        raise RuntimeError(f"Expected {lo} to {hi - 1} dimensions, but got {input.ndim}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {fn})")


def _check_1d(values, fn, name):
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")


def _size(input, dim):
    """``input.size(dim)`` with PyTorch's errors for a dim the input lacks."""
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    n = input.ndim
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return input.shape[dim]


def _trunc_div(a, b):
    """C's integer division (rounds towards zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _out_len(size, k, pad, s, d, ceil_mode):
    """PyTorch's pooling output length; with ``ceil_mode`` the last window starts inside the input or the left
    padding."""
    out = (size + 2 * pad - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + pad:
        out -= 1
    return out


def _checked_out_len(size, k, pad, s, d, ceil_mode):
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > _trunc_div((k - 1) * d + 1, 2):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}, "
                           f"kernel_size={k} and dilation={d}")
    return _out_len(size, k, pad, s, d, ceil_mode)


def _pool2d_shape_check(shape, kernel, stride, padding, dilation, out):
    (kH, kW), (dH, dW), (pH, pW), (dilH, dilW), (oH, oW) = kernel, stride, padding, dilation, out
    if not (kW > 0 and kH > 0):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kH} kW: {kW}")
    if not (dW > 0 and dH > 0):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {dH} dW: {dW}")
    if not (dilH > 0 and dilW > 0):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilH} dilationW: {dilW}")
    ndim = len(shape)
    valid = shape[1] != 0 and shape[2] != 0
    if not ((ndim == 3 and shape[0] != 0 and valid) or (ndim == 4 and valid and shape[3] != 0)):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")
    if not (kW // 2 >= pW and kH // 2 >= pH):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pW}, "
                           f"padH = {pH}, kW = {kW}, kH = {kH}")
    if not (oW >= 1 and oH >= 1):
        c, h, w = shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oH}x{oW}). "
                           "Output size is too small")


def _pool3d_shape_check(shape, kernel, stride, padding, dilation, out, fn, check_input_size):
    (kT, kH, kW), (dT, dH, dW), (pT, pH, pW) = kernel, stride, padding
    (dilT, dilH, dilW), (oT, oH, oW) = dilation, out
    if not (kT > 0 and kW > 0 and kH > 0):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {kT} kH: {kH} kW: {kW}")
    if not (dT > 0 and dW > 0 and dH > 0):
        raise RuntimeError(f"stride should be greater than zero, but got dT: {dT} dH: {dH} dW: {dW}")
    if not (dilT > 0 and dilW > 0 and dilH > 0):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {dilT} dilationH: {dilH} "
                           f"dilationW: {dilW}")
    ndim = len(shape)
    for i in range(ndim):
        if ndim == 5 and i == 0:  # the batch may be empty
            continue
        if shape[i] <= 0:
            raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive length, but input has "
                               f"a shape of {list(shape)} and non-batch dimension {shape[i]} has length zero!")
    c, t, h, w = shape[-4:]
    if check_input_size and not (t >= kT and h >= kH and w >= kW):
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size (kT: {kT} kH: {kH} "
                           f"kW: {kW})")
    if not (kT // 2 >= pT and kW // 2 >= pW and kH // 2 >= pH):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {kT} kW: {kW} "
                           f"kH: {kH} padT: {pT} padW: {pW} padH: {pH}")
    if not (oT >= 1 and oW >= 1 and oH >= 1):
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: ({c}x{oT}x{oH}x{oW}). "
                           "Output size is too small")


# --------------------------------------------------------------------------- windows


class _Windows:
    """Where the pooling windows lie, per spatial dim: input and output sizes, kernel, stride, padding and
    dilation. ``view`` gives the windows of a padded array as a strided view."""

    def __init__(self, in_size, kernel, stride, padding, dilation, out_size):
        self.in_size, self.kernel, self.stride = tuple(in_size), tuple(kernel), tuple(stride)
        self.padding, self.dilation, self.out_size = tuple(padding), tuple(dilation), tuple(out_size)
        self.offsets = list(np.ndindex(*self.kernel))  # kernel offsets in scan order
        # elements after the input that the last windows reach (ceil_mode), padded too
        reach = [(o - 1) * s + (k - 1) * d + 1 for o, s, k, d in zip(out_size, stride, kernel, dilation)]
        self.after = tuple(max(0, r - p - n) for r, p, n in zip(reach, padding, in_size))
        # windows share input elements: gradients must be added, not written
        self.overlapping = any(s <= (k - 1) * d for s, k, d in zip(stride, kernel, dilation))

    def pad(self, x, fill):
        """``x`` with ``fill`` around each spatial dim, as far as the windows reach."""
        if not any(self.padding) and not any(self.after):
            return x
        n = len(self.kernel)
        padded = x.shape[:-n] + tuple(p + s + a for p, s, a in zip(self.padding, self.in_size, self.after))
        xp = np.full(padded, fill, dtype=x.dtype)
        xp[self._inside()] = x
        return xp

    def crop(self, xp):
        """The input's part of a padded array."""
        if not any(self.padding) and not any(self.after):
            return xp
        return xp[self._inside()]

    def _inside(self):
        return (Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(self.padding, self.in_size))

    def view(self, xp, writeable=False):
        """Strided view of a padded array: ``view[..., o, j] = xp[..., o*stride + j*dilation]`` per dim."""
        n = len(self.kernel)
        spatial = xp.strides[-n:]
        shape = xp.shape[:-n] + self.out_size + self.kernel
        strides = (xp.strides[:-n] + tuple(a * s for a, s in zip(spatial, self.stride))
                   + tuple(a * d for a, d in zip(spatial, self.dilation)))
        return as_strided(xp, shape, strides, writeable=writeable)

    def first_inside(self):
        """Scan-order kernel offset of the first element of each window that lies inside the input."""
        flat = np.zeros((), dtype=np.int64)
        for o, k, s, p, d in zip(self.out_size, self.kernel, self.stride, self.padding, self.dilation):
            start = np.arange(o) * s - p
            j = np.minimum(np.where(start < 0, (-start + d - 1) // d, 0), k - 1)
            flat = np.add.outer(flat * k, j)
        return flat

    def flat_indices(self, offset):
        """PyTorch's indices of the maxima, flat within each plane, from their kernel offsets."""
        plane = [int(np.prod(self.in_size[i + 1:])) for i in range(len(self.in_size))]
        starts = [(np.arange(o) * s - p) * a
                  for o, s, p, a in zip(self.out_size, self.stride, self.padding, plane)]
        base = sum(np.ix_(*starts))
        step = np.array([sum(j * d * a for j, d, a in zip(off, self.dilation, plane)) for off in self.offsets],
                        dtype=np.int64)
        return base + step[offset]

    def divisor(self, count_include_pad, divisor_override):
        """What each average divides by: the window's size, clipped to the padded input, or to the input alone
        without ``count_include_pad``."""
        if divisor_override:
            return divisor_override
        sizes = []
        for n, o, k, s, p in zip(self.in_size, self.out_size, self.kernel, self.stride, self.padding):
            start = np.arange(o) * s - p
            end = np.minimum(start + k, n + p)
            if not count_include_pad:
                start, end = np.maximum(start, 0), np.minimum(end, n)
            sizes.append(end - start)
        return math.prod(np.ix_(*sizes))


def _offset_dtype(count):
    return np.uint8 if count <= 256 else np.int32


def _opmath(dtype):
    """The dtype sums run in: float16 sums in float32, as PyTorch's kernels do."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _max_windows(x, w, argmax):
    """Max of every window (NaN if it holds one) and, with ``argmax``, the kernel offset of PyTorch's choice:
    the first maximum in scan order, the last NaN, the first element inside the input when all are -inf."""
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    win = w.view(w.pad(x, fill))
    at = [(Ellipsis,) + off for off in w.offsets]
    best = win[at[0]].copy()
    if not argmax:
        for a in at[1:]:
            np.maximum(best, win[a], out=best)
        return best, None
    kind = _offset_dtype(len(at))
    offset = np.zeros(best.shape, dtype=kind)
    better = np.empty(best.shape, dtype=bool)
    for k in range(1, len(at)):
        v = np.ascontiguousarray(win[at[k]])
        np.greater(v, best, out=better)  # strictly greater: a tie keeps the earlier offset
        np.maximum(best, v, out=best)
        # k exceeds every offset recorded so far, so the max records k exactly where v is better
        np.maximum(offset, better.astype(kind) * kind(k), out=offset)
    if x.dtype.kind == "f":
        nan = np.isnan(best)
        if nan.any():  # a NaN is the maximum, the last one in scan order
            for k in range(len(at)):
                np.copyto(offset, kind(k), where=np.isnan(win[at[k]]))
    if any(w.padding):
        empty = best == fill
        if empty.any():
            np.copyto(offset, w.first_inside().astype(kind), where=empty)
    return best, offset


def _scatter_windows(w, lead, dtype, values, offset=None):
    """Backward of a window reduction: ``values`` added at kernel offset ``j`` of each window (only where
    ``offset == j`` when given), summed into an input-shaped array."""
    padded = lead + tuple(p + s + a for p, s, a in zip(w.padding, w.in_size, w.after))
    gp = np.zeros(padded, dtype=dtype)
    win = w.view(gp, writeable=True)
    # multiplying by a 0/1 mask keeps zeros where nothing arrives, unless the gradient holds inf or NaN
    finite = offset is None or bool(np.isfinite(values).all())
    for k, off in enumerate(w.offsets):
        slot = win[(Ellipsis,) + off]
        if offset is None:
            part = values
        elif finite:
            part = values * (offset == k)
        else:
            part = np.where(offset == k, values, dtype.type(0))
        if w.overlapping:
            slot += part
        else:
            slot[...] = part
    return w.crop(gp)


def _sum_windows(x, w):
    win = w.view(w.pad(x, 0))
    at = [(Ellipsis,) + off for off in w.offsets]
    total = win[at[0]].astype(_opmath(x.dtype) if x.dtype.kind == "f" else np.int64)
    for a in at[1:]:
        total += win[a]
    return total


# --------------------------------------------------------------------------- max pooling


def _take_flat(t, index, k):
    """``t``'s values at the flat positions ``index`` within each plane of its last ``k`` dims (recorded):
    the transpose of the scatter of a max pooling's backward."""
    from ...ops.index import Gather

    lead = tuple(t.shape[:t.ndim - k])
    picked = Gather.apply(t.reshape(lead + (-1,)), len(lead), index.reshape(lead + (-1,)).astype(np.int64))
    return picked.reshape(index.shape)


class _MaxPoolNd(Function):
    """Max over each window; the flat per-plane index of each maximum too when asked (and kept for backward)."""

    follows_channels_last = True

    @staticmethod
    def forward(ctx, x, w, with_indices):
        argmax = with_indices or ctx.needs_input_grad[0]
        out, offset = _max_windows(x, w, argmax)
        if not argmax:
            return out
        ctx.save_for_backward(offset)
        ctx.windows = w
        if not with_indices:
            return out
        indices = w.flat_indices(offset)
        ctx.mark_non_differentiable(indices)
        return out, indices

    @staticmethod
    def backward(ctx, g, *unused):
        (offset,) = ctx.saved_tensors
        lead = g.shape[:g.ndim - len(ctx.windows.kernel)]
        return _scatter_windows(ctx.windows, lead, g.dtype, g, offset), None, None

    @staticmethod
    def graph_backward(ctx, saved, g, *unused):
        """Recorded (``create_graph``): the scatter is linear in ``g``; its transpose reads the maxima's places."""
        from ...autograd.graph import LinearMap

        (offset,) = ctx.saved_tensors
        index = ctx.windows.flat_indices(offset)
        spatial = len(ctx.windows.kernel)
        return LinearMap.apply(g, _MaxPoolNd.backward, ctx, 0, lambda gg: _take_flat(gg, index, spatial)), None, None


def _named(base, name):
    """Subclasses of ``base`` for 1, 2 and 3 spatial dims, named as PyTorch's backward nodes are."""
    return {n: type(f"_{name.format(n)}", (base,), {"__module__": __name__, "__doc__": base.__doc__})
            for n in (1, 2, 3)}


_MAX_POOL = _named(_MaxPoolNd, "MaxPool{}DWithIndices")


def _max_pool2d_windows(shape, kernel, stride, padding, dilation, ceil_mode):
    if len(kernel) not in (1, 2):
        raise RuntimeError("max_pool2d: kernel_size must either be a single int, or a tuple of two ints")
    kernel = _expand(kernel, 2)
    if len(stride) not in (0, 1, 2):
        raise RuntimeError("max_pool2d: stride must either be omitted, a single int, or a tuple of two ints")
    stride = _expand(stride, 2) if stride else kernel
    if len(padding) not in (1, 2):
        raise RuntimeError("max_pool2d: padding must either be a single int, or a tuple of two ints")
    padding = _expand(padding, 2)
    if len(dilation) not in (1, 2):
        raise RuntimeError("max_pool2d: dilation must be either a single int, or a tuple of two ints")
    dilation = _expand(dilation, 2)
    if len(shape) not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out = tuple(_checked_out_len(n, k, p, s, d, ceil_mode)
                for n, k, p, s, d in zip(shape[-2:], kernel, padding, stride, dilation))
    _pool2d_shape_check(shape, kernel, stride, padding, dilation, out)
    return _Windows(shape[-2:], kernel, stride, padding, dilation, out)


def _max_pool3d_windows(shape, kernel, stride, padding, dilation, ceil_mode):
    if len(kernel) not in (1, 3):
        raise RuntimeError("max_pool3d: kernel_size must either be a single int, or a tuple of three ints")
    kernel = _expand(kernel, 3)
    if len(stride) not in (0, 1, 3):
        raise RuntimeError("max_pool3d: stride must either be omitted, a single int, or a tuple of three ints")
    stride = _expand(stride, 3) if stride else kernel
    if len(padding) not in (1, 3):
        raise RuntimeError("max_pool3d: padding must either be a single int, or a tuple of three ints")
    padding = _expand(padding, 3)
    if len(dilation) not in (1, 3):
        raise RuntimeError("max_pool3d: dilation must be either a single int, or a tuple of three ints")
    dilation = _expand(dilation, 3)
    if len(shape) not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = tuple(_checked_out_len(n, k, p, s, d, ceil_mode)
                for n, k, p, s, d in zip(shape[-3:], kernel, padding, stride, dilation))
    _pool3d_shape_check(shape, kernel, stride, padding, dilation, out,
                        "max_pool3d_with_indices_out_cpu_template()", False)
    return _Windows(shape[-3:], kernel, stride, padding, dilation, out)


def _max_pool(input, n, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    fn = f"max_pool{n}d_with_indices" if with_indices else f"max_pool{n}d"
    kernel = _int_list(kernel_size, n, fn, "kernel_size", 2)
    stride = () if stride is None else _int_list(stride, n, fn, "stride", 3)
    padding = _int_list(padding, n, fn, "padding", 4)
    dilation = _int_list(dilation, n, fn, "dilation", 5)
    geometry = _max_pool2d_windows if n == 2 else _max_pool3d_windows
    w = geometry(tuple(input.shape), kernel, stride, padding, dilation, ceil_mode)
    _check_dtype(input, f"max_pool{n}d", _FLOATS | _INTS)
    return _MAX_POOL[n].apply(input, w, with_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """:func:`max_pool1d` that always returns ``(output, indices)``."""
    fn = "max_pool1d_with_indices"
    kernel = _int_list(kernel_size, 1, fn, "kernel_size", 2)
    stride = kernel if stride is None else _int_list(stride, 1, fn, "stride", 3) or kernel
    padding = _int_list(padding, 1, fn, "padding", 4)
    dilation = _int_list(dilation, 1, fn, "dilation", 5)
    _check_dim_range(input, 2, 4, "max_pool1d")
    for values, name in ((kernel, "kernel_size"), (stride, "stride"), (padding, "padding"),
                         (dilation, "dilation")):
        _check_1d(values, "max_pool1d", name)
    out, indices = _max_pool(input.unsqueeze(-2), 2, (1, kernel[0]), (1, stride[0]), (0, padding[0]),
                             (1, dilation[0]), ceil_mode, True)
    return out.squeeze(-2), indices.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""Max over windows of the last dim of a :math:`(N, C, L)` or :math:`(C, L)` input:
    :math:`y_{o} = \max_{j < k} x_{o s - p + j d}` (``-inf`` outside the input).

    ``padding`` is at most half the kernel; ties go to the first maximum, a NaN in a window is its maximum.
    With ``return_indices`` the flat position of each maximum comes too (for :func:`max_unpool1d`).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.max_pool1d(npgrad.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2).tolist()
        [[[3.0, 5.0]]]
    """
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    shape = tuple(input.shape)
    ndim = len(shape)
    if not ((ndim == 2 and shape[0] != 0 and shape[1] != 0) or (ndim == 3 and shape[1] != 0 and shape[2] != 0)):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(shape)}")
    kernel = _int_list(kernel_size, 1, "max_pool1d", "kernel_size", 2)
    stride = () if stride is None else _int_list(stride, 1, "max_pool1d", "stride", 3)
    padding = _int_list(padding, 1, "max_pool1d", "padding", 4)
    dilation = _int_list(dilation, 1, "max_pool1d", "dilation", 5)
    if len(kernel) != 1:
        raise RuntimeError(f"max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but "
                           f"got size {len(kernel)}")
    if len(stride) > 1:
        raise RuntimeError(f"max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 "
                           f"but got size {len(stride)}")
    if len(padding) != 1:
        raise RuntimeError(f"max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but got "
                           f"size {len(padding)}")
    if len(dilation) != 1:
        raise RuntimeError(f"max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but got "
                           f"size {len(dilation)}")
    (k,), (p,), (d,) = kernel, padding, dilation
    s = stride[0] if stride else k
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _checked_out_len(shape[-1], k, p, s, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    if input.requires_grad and is_grad_enabled():
        return max_pool1d_with_indices(input, kernel, (s,), padding, dilation, ceil_mode)[0]
    _check_dtype(input, "max_pool1d_impl", _FLOATS)
    w = _Windows(shape[-1:], kernel, (s,), padding, dilation, (out,))
    return _MAX_POOL[1].apply(input, w, False)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""Max over :math:`k_H \times k_W` windows of a :math:`(N, C, H, W)` or :math:`(C, H, W)` input:
    :math:`y_{o} = \max_{j} x_{o s - p + j d}` per spatial dim (``-inf`` outside the input).

    ``stride`` defaults to ``kernel_size``; ``padding`` is at most half the effective kernel. Ties go to the
    first maximum in scan order, a NaN in a window is its maximum. With ``return_indices`` the flat index
    :math:`h W + w` of each maximum in its plane comes too (for :func:`max_unpool2d`).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x = npgrad.arange(16.0).reshape(1, 1, 4, 4)
        >>> y, i = F.max_pool2d(x, 2, return_indices=True)
        >>> y.tolist(), i.tolist()
        ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
    """
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""Max over :math:`k_T \times k_H \times k_W` windows of a :math:`(N, C, T, H, W)` or :math:`(C, T, H, W)`
    input; as :func:`max_pool2d` with one more spatial dim (flat indices :math:`(t H + h) W + w`).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.max_pool3d(npgrad.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
        [[[[[7.0]]]]]
    """
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """:func:`max_pool2d` that always returns ``(output, indices)``."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """:func:`max_pool3d` that always returns ``(output, indices)``."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, True)


# --------------------------------------------------------------------------- average pooling


class _AvgPoolNd(Function):
    """Mean over each window: the window's sum over its divisor."""

    follows_channels_last = True

    @staticmethod
    def forward(ctx, x, w, count_include_pad, divisor_override):
        total = _sum_windows(x, w)
        divisor = w.divisor(count_include_pad, divisor_override)
        ctx.windows, ctx.divisor, ctx.arguments = w, divisor, (count_include_pad, divisor_override)
        if x.dtype.kind != "f":  # integer averages round towards zero, as C's division does
            quotient = np.abs(total) // np.abs(divisor)
            return np.where((total < 0) != (np.asarray(divisor) < 0), -quotient, quotient).astype(x.dtype)
        return (total / np.asarray(divisor, dtype=total.dtype)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        w = ctx.windows
        share = g / np.asarray(ctx.divisor, dtype=g.dtype)
        return _scatter_windows(w, g.shape[:g.ndim - len(w.kernel)], g.dtype, share), None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): the spreading is linear in ``g``; its transpose is the pooling itself."""
        from ...autograd.graph import LinearMap

        return LinearMap.apply(g, _AvgPoolNd.backward, ctx, 0,
                               lambda gg: _AvgPoolNd.apply(gg, ctx.windows, *ctx.arguments)), None, None, None


_AVG_POOL = _named(_AvgPoolNd, "AvgPool{}D")


def _avg_pool2d_windows(input, kernel, stride, padding, ceil_mode, divisor_override):
    if len(kernel) not in (1, 2):
        raise RuntimeError("avg_pool2d: kernel_size must either be a single int, or a tuple of two ints")
    kernel = _expand(kernel, 2)
    if len(stride) not in (0, 1, 2):
        raise RuntimeError("avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints")
    stride = _expand(stride, 2) if stride else kernel
    if len(padding) not in (1, 2):
        raise RuntimeError("avg_pool2d: padding must either be a single int, or a tuple of two ints")
    padding = _expand(padding, 2)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _size(input, -3)
    shape = tuple(input.shape)
    out = tuple(_checked_out_len(n, k, p, s, 1, ceil_mode)
                for n, k, p, s in zip(shape[-2:], kernel, padding, stride))
    _pool2d_shape_check(shape, kernel, stride, padding, (1, 1), out)
    return _Windows(shape[-2:], kernel, stride, padding, (1, 1), out)


def _avg_pool3d_windows(input, kernel, stride, padding, ceil_mode, divisor_override):
    if len(kernel) not in (1, 3):
        raise RuntimeError("avg_pool3d: kernel_size must be a single int, or a tuple of three ints")
    kernel = _expand(kernel, 3)
    if len(stride) not in (0, 1, 3):
        raise RuntimeError("avg_pool3d: stride must be omitted, a single int, or a tuple of three ints")
    stride = _expand(stride, 3) if stride else kernel
    if len(padding) not in (1, 3):
        raise RuntimeError("avg_pool3d: padding must be a single int, or a tuple of three ints")
    padding = _expand(padding, 3)
    shape = tuple(input.shape)
    if len(shape) not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = tuple(_checked_out_len(n, k, p, s, 1, ceil_mode)
                for n, k, p, s in zip(shape[-3:], kernel, padding, stride))
    _pool3d_shape_check(shape, kernel, stride, padding, (1, 1, 1), out, "avg_pool3d()", True)
    return _Windows(shape[-3:], kernel, stride, padding, (1, 1, 1), out)


def _avg_pool(input, n, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    fn = f"avg_pool{n}d"
    kernel = _int_list(kernel_size, n, fn, "kernel_size", 2)
    stride = () if stride is None else _int_list(stride, n, fn, "stride", 3)
    padding = _int_list(padding, n, fn, "padding", 4)
    if n == 2:
        w = _avg_pool2d_windows(input, kernel, stride, padding, ceil_mode, divisor_override)
        _check_dtype(input, "avg_pool2d", _FLOATS | {"int64"})
    else:
        w = _avg_pool3d_windows(input, kernel, stride, padding, ceil_mode, divisor_override)
        _check_dtype(input, "avg_pool3d_out_frame", {"float32", "float64", "int64"})
    return _AVG_POOL[n].apply(input, w, bool(count_include_pad), divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    r"""Mean over windows of the last dim of a :math:`(N, C, L)` or :math:`(C, L)` input:
    :math:`y_o = \frac{1}{k} \sum_{j < k} x_{o s - p + j}` (zeros outside the input).

    Without ``count_include_pad`` a window divides by the number of its elements inside the input; windows
    running past the padded input (``ceil_mode``) divide by the part inside it.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.avg_pool1d(npgrad.tensor([[[1.0, 3.0, 2.0, 6.0]]]), 2).tolist()
        [[[2.0, 4.0]]]
    """
    fn = "avg_pool1d"
    kernel = _int_list(kernel_size, 1, fn, "kernel_size", 2)
    stride = kernel if stride is None else _int_list(stride, 1, fn, "stride", 3) or kernel
    padding = _int_list(padding, 1, fn, "padding", 4)
    _check_dim_range(input, 2, 4, fn)
    for values, name in ((kernel, "kernel_size"), (stride, "stride"), (padding, "padding")):
        _check_1d(values, fn, name)
    out = _avg_pool(input.unsqueeze(-2), 2, (1, kernel[0]), (1, stride[0]), (0, padding[0]), ceil_mode,
                    count_include_pad, None)
    return out.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    r"""Mean over :math:`k_H \times k_W` windows of a :math:`(N, C, H, W)` or :math:`(C, H, W)` input:
    :math:`y_o = \frac{1}{D_o} \sum_{j} x_{o s - p + j}` (zeros outside the input).

    :math:`D_o` is ``divisor_override`` when given, else the window's size clipped to the padded input (to the
    input alone without ``count_include_pad``). Integer inputs give integer means rounded towards zero.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.avg_pool2d(npgrad.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
        [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    r"""Mean over :math:`k_T \times k_H \times k_W` windows of a :math:`(N, C, T, H, W)` or
    :math:`(C, T, H, W)` input; as :func:`avg_pool2d` with one more spatial dim.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.avg_pool3d(npgrad.arange(8.0).reshape(1, 1, 2, 2, 2), 2).tolist()
        [[[[[3.5]]]]]
    """
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


# --------------------------------------------------------------------------- adaptive pooling


def _adaptive_bounds(size, out):
    """PyTorch's adaptive windows: output ``i`` covers ``[floor(i L / out), ceil((i + 1) L / out))``."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_matrix(size, out, dtype):
    """``(out, size)`` matrix averaging each adaptive window."""
    start, end = _adaptive_bounds(size, out)
    pos = np.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _contract(x, mats):
    """``x`` with spatial dim ``i`` (of the last ``len(mats)``) replaced by ``mats[i] @ x`` along it.

    One matrix product per dim, from the last: the dim contracted is always the last and contiguous, and only
    the reduced result is transposed (its new dim moved to the front of the spatial dims) before the next."""
    n = len(mats)
    lead = x.shape[:-n]
    y = np.ascontiguousarray(x).reshape((-1,) + x.shape[-n:])
    for m in reversed(mats):
        y = (y.reshape(-1, m.shape[1]) @ m.T).reshape(y.shape[:-1] + (m.shape[0],))
        y = np.ascontiguousarray(np.moveaxis(y, -1, 1))
    return y.reshape(lead + tuple(m.shape[0] for m in mats))


class _AdaptiveAvgPoolNd(Function):
    """Mean over each adaptive window, as one averaging matrix per spatial dim."""

    follows_channels_last = True

    @staticmethod
    def forward(ctx, x, out_size):
        n = len(out_size)
        dtype = _opmath(x.dtype)
        mats = [_adaptive_matrix(size, out, dtype) for size, out in zip(x.shape[-n:], out_size)]
        ctx.mats = mats
        return _contract(x.astype(dtype, copy=False), mats).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return _contract(g.astype(ctx.mats[0].dtype, copy=False), [m.T for m in ctx.mats]).astype(g.dtype), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ...autograd.graph import LinearMap

        out_size = tuple(g.shape[g.ndim - len(ctx.mats):])
        return LinearMap.apply(g, _AdaptiveAvgPoolNd.backward, ctx, 0,
                               lambda gg: _AdaptiveAvgPoolNd.apply(gg, out_size)), None


_ADAPTIVE_AVG = _named(_AdaptiveAvgPoolNd, "AdaptiveAvgPool{}D")


def _adaptive_max_along(x, axis, out):
    """Max over the adaptive windows along one axis, and the position of PyTorch's choice in each: the first
    maximum, the last NaN."""
    start, end = _adaptive_bounds(x.shape[axis], out)
    shape = [1] * x.ndim
    shape[axis] = out
    best = np.take(x, start, axis=axis)
    where = np.broadcast_to(start.reshape(shape), best.shape).copy()
    floating = x.dtype.kind == "f"
    for j in range(1, int((end - start).max()) if out else 0):
        pos = np.minimum(start + j, end - 1)
        v = np.take(x, pos, axis=axis)
        better = v > best
        if floating:
            better |= np.isnan(v)
        np.copyto(best, v, where=better)
        np.copyto(where, pos.reshape(shape), where=better)
    return best, where


class _AdaptiveMaxPoolNd(Function):
    """Max over each adaptive window, reduced one spatial dim at a time (the last first), with the flat
    per-plane index of each maximum."""

    follows_channels_last = True

    @staticmethod
    def forward(ctx, x, out_size):
        n = len(out_size)
        in_size = x.shape[-n:]
        best, positions = x, []
        for i in range(n - 1, -1, -1):
            axis = x.ndim - n + i
            best, where = _adaptive_max_along(best, axis, out_size[i])
            # the positions found along later dims, taken at the rows chosen now
            positions = [np.take_along_axis(p, where, axis=axis) for p in positions]
            positions.insert(0, where)
        indices = np.zeros(best.shape, dtype=np.int64)
        for size, p in zip(in_size, positions):
            indices = indices * size + p
        ctx.save_for_backward(indices)
        ctx.in_size = in_size
        ctx.mark_non_differentiable(indices)
        return best, indices

    @staticmethod
    def backward(ctx, g, unused):
        (indices,) = ctx.saved_tensors
        plane = math.prod(ctx.in_size)
        lead = g.shape[:g.ndim - len(ctx.in_size)]
        if g.size == 0:
            return np.zeros(lead + tuple(ctx.in_size), dtype=g.dtype), None
        planes = math.prod(lead)
        at = indices.reshape(planes, -1) + (np.arange(planes) * plane)[:, None]
        gx = np.bincount(at.ravel(), weights=g.ravel(), minlength=planes * plane)
        return gx.astype(g.dtype, copy=False).reshape(lead + tuple(ctx.in_size)), None

    @staticmethod
    def graph_backward(ctx, saved, g, unused):
        from ...autograd.graph import LinearMap

        (indices,) = ctx.saved_tensors
        return LinearMap.apply(g, lambda c, a: _AdaptiveMaxPoolNd.backward(c, a, None), ctx, 0,
                               lambda gg: _take_flat(gg, indices, len(ctx.in_size))), None


_ADAPTIVE_MAX = _named(_AdaptiveMaxPoolNd, "AdaptiveMaxPool{}D")


def adaptive_avg_pool1d(input, output_size):
    r"""Mean over ``output_size`` windows spanning the last dim of a :math:`(N, C, L)` or :math:`(C, L)` input:
    output :math:`i` averages :math:`x_{\lfloor iL/o \rfloor}, \dots, x_{\lceil (i+1)L/o \rceil - 1}`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.adaptive_avg_pool1d(npgrad.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2).tolist()
        [[[2.0, 4.0]]]
    """
    size = _int_list(output_size, 1, "adaptive_avg_pool1d", "output_size", 2)
    _check_dim_range(input, 2, 4, "adaptive_avg_pool1d")
    _check_1d(size, "adaptive_avg_pool1d", "output_size")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size[0])).squeeze(-2)


def adaptive_avg_pool2d(input, output_size):
    r"""Mean over an ``output_size`` grid of windows spanning the last 2 dims (``None`` keeps a dim's size):
    window :math:`i` covers :math:`[\lfloor iL/o \rfloor, \lceil (i+1)L/o \rceil)` per dim.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.adaptive_avg_pool2d(npgrad.arange(16.0).reshape(1, 1, 4, 4), (1, 2)).tolist()
        [[[[6.5, 8.5]]]]
    """
    size = _int_list(_list_with_default(output_size, input.size()), 2, "adaptive_avg_pool2d", "output_size", 2)
    if len(size) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    if not (size[0] >= 0 and size[1] >= 0):
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{size[0]}, {size[1]}}}")
    if size == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    shape, ndim = tuple(input.shape), input.ndim
    if ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(shape)}")
    for i in (-2, -1):
        if shape[i] <= 0:
            raise RuntimeError("adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape)} with dimension {i + ndim} being empty")
    _check_dtype(input, "adaptive_avg_pool2d", _FLOATS)
    return _ADAPTIVE_AVG[2].apply(input, size)


def adaptive_avg_pool3d(input, output_size):
    r"""Mean over an ``output_size`` grid of windows spanning the last 3 dims (``None`` keeps a dim's size);
    as :func:`adaptive_avg_pool2d` with one more spatial dim.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.adaptive_avg_pool3d(npgrad.arange(8.0).reshape(1, 1, 2, 2, 2), (2, 1, 1)).tolist()
        [[[[[1.5]], [[5.5]]]]]
    """
    size = _int_list(_list_with_default(output_size, input.size()), 3, "adaptive_avg_pool3d", "output_size", 2)
    if len(size) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    if not all(s >= 0 for s in size):
        raise RuntimeError("adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but "
                           f"received {{{size[0]}, {size[1]},{size[2]}}}")
    if size == (1, 1, 1):
        return input.mean((-1, -2, -3), keepdim=True)
    shape, ndim = tuple(input.shape), input.ndim
    if ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {list(shape)}")
    for i in range(1, ndim):
        if shape[i] <= 0:
            raise RuntimeError("adaptive_avg_pool3d(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape)} with dimension {i} being empty")
    _check_dtype(input, "adaptive_avg_pool3d_cpu", _FLOATS)
    return _ADAPTIVE_AVG[3].apply(input, size)


def _adaptive_max(input, n, output_size, return_indices):
    fn = f"adaptive_max_pool{n}d"
    size = _int_list(_list_with_default(output_size, input.size()), n, fn, "output_size", 2)
    shape, ndim = tuple(input.shape), input.ndim
    if ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{fn}(): Expected {n + 1}D or {n + 2}D tensor, but got: {list(shape)}")
    for i in range(1, ndim):
        if shape[i] <= 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(shape)} with dimension {i} being empty")
    if len(size) != n:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {n}")
    out_shape = shape[:-n] + size
    for s in out_shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out_shape)}")
    _check_dtype(input, fn if n == 2 else f"{fn}_cpu", _FLOATS)
    out, indices = _ADAPTIVE_MAX[n].apply(input, size)
    return (out, indices) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    r"""Max over ``output_size`` windows spanning the last dim of a :math:`(N, C, L)` or :math:`(C, L)` input
    (the windows of :func:`adaptive_avg_pool1d`); the flat indices of the maxima too with ``return_indices``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.adaptive_max_pool1d(npgrad.tensor([[[1.0, 5.0, 3.0, 4.0, 2.0]]]), 2).tolist()
        [[[5.0, 4.0]]]
    """
    fn = "adaptive_max_pool1d"
    size = _int_list(output_size, 1, fn, "output_size", 2)
    _check_dim_range(input, 2, 4, fn)
    _check_1d(size, fn, "output_size")
    shape = tuple(input.shape)
    for i in range(1, input.ndim):
        if shape[i] <= 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(shape)} with dimension {i} being empty")
    out, indices = _adaptive_max(input.unsqueeze(-2), 2, (1, size[0]), True)
    return (out.squeeze(-2), indices.squeeze(-2)) if return_indices else out.squeeze(-2)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    r"""Max over an ``output_size`` grid of windows spanning the last 2 dims (``None`` keeps a dim's size);
    the flat indices :math:`h W + w` of the maxima too with ``return_indices``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.adaptive_max_pool2d(npgrad.arange(16.0).reshape(1, 1, 4, 4), 1, return_indices=True)[1].tolist()
        [[[[15]]]]
    """
    return _adaptive_max(input, 2, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    r"""Max over an ``output_size`` grid of windows spanning the last 3 dims; as :func:`adaptive_max_pool2d`
    with one more spatial dim.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.adaptive_max_pool3d(npgrad.arange(8.0).reshape(1, 1, 2, 2, 2), (2, 1, 1)).tolist()
        [[[[[3.0]], [[7.0]]]]]
    """
    return _adaptive_max(input, 3, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool1d` that always returns ``(output, indices)``."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool2d` that always returns ``(output, indices)``."""
    return _adaptive_max(input, 2, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool3d` that always returns ``(output, indices)``."""
    return _adaptive_max(input, 3, output_size, True)


# --------------------------------------------------------------------------- power-average pooling


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Power-average pooling over the last dim: :math:`y = \big(\sum_{j < k} x_j^p\big)^{1/p}` per window
    (:math:`p = \infty` is max pooling of :math:`|x|`), computed as PyTorch does, from :func:`avg_pool1d`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.lp_pool1d(npgrad.tensor([[[3.0, 4.0]]]), 2, 2).tolist()
        [[[5.0]]]
    """
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Power-average pooling over :math:`k_H \times k_W` windows:
    :math:`y = \big(\sum_{j} x_j^p\big)^{1/p}` (:math:`p = \infty` is max pooling of :math:`|x|`).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.lp_pool2d(npgrad.ones(1, 1, 2, 2), 2, 2).tolist()
        [[[[2.0]]]]
    """
    kw, kh = _pair(kernel_size)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Power-average pooling over :math:`k_T \times k_H \times k_W` windows:
    :math:`y = \big(\sum_{j} x_j^p\big)^{1/p}` (:math:`p = \infty` is max pooling of :math:`|x|`).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.lp_pool3d(npgrad.ones(1, 1, 2, 2, 2), 1, 2).tolist()
        [[[[[8.0]]]]]
    """
    kd, kw, kh = _triple(kernel_size)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool3d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kd * kw * kh).pow(1.0 / norm_type)


# --------------------------------------------------------------------------- max unpooling


class _MaxUnpoolNd(Function):
    """Each value written at its flat per-plane index of a zero output (a later duplicate index wins)."""

    @staticmethod
    def forward(ctx, x, indices, out_size):
        n = len(out_size)
        lead = x.shape[:-n]
        planes, plane = math.prod(lead), math.prod(out_size)
        out = np.zeros(lead + tuple(out_size), dtype=x.dtype)
        ctx.save_for_backward(indices)
        ctx.spatial = n
        if out.size == 0 or x.size == 0:
            return out
        at = indices.reshape(planes, -1)
        bad = ((at < 0) | (at >= plane)).ravel()
        if bad.any():  # PyTorch's loop runs on and reports the last invalid index it meets
            last = at.ravel()[bad.size - 1 - np.argmax(bad[::-1])]
            size = "x".join(str(s) for s in out_size)
            raise RuntimeError(f"Found an invalid max index: {last} (output volumes are of size {size})")
        np.put_along_axis(out.reshape(planes, plane), at, x.reshape(planes, -1), axis=1)
        return out

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        if indices.size == 0 or g.size == 0:
            return np.zeros(indices.shape, dtype=g.dtype), None, None
        planes = math.prod(g.shape[:g.ndim - ctx.spatial])
        at = indices.reshape(planes, -1)
        return np.take_along_axis(g.reshape(planes, -1), at, axis=1).reshape(indices.shape), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): the gradient reads ``g`` at the indices, a gather whose own gradient adds
        back at them (duplicates add up, as PyTorch's ``max_pool_double_backward``)."""
        from ...autograd.graph import LinearMap

        (indices,) = ctx.saved_tensors
        if indices.size == 0 or g.numel() == 0:  # nothing to read: a zero map
            shape = tuple(g.shape)
            return LinearMap.apply(g, _MaxUnpoolNd.backward, ctx, 0, lambda gg: gg.new_zeros(shape)), None, None
        return _take_flat(g, indices, ctx.spatial), None, None


_MAX_UNPOOL = _named(_MaxUnpoolNd, "MaxUnpool{}D")


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """The unpooled spatial size: the pooled input's size by default, or ``output_size`` (its last dims)."""
    input_size = input.size()
    default_size = [(input_size[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
                    for d in range(len(kernel_size))]
    if output_size is None:
        ret = default_size
    else:
        if len(output_size) == len(kernel_size) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(kernel_size):
            raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} or "
                             f"{len(kernel_size) + 2} elements, but it has a length of '{len(output_size)}'")
        for d in range(len(kernel_size)):
            min_size = default_size[d] - stride[d]
            max_size = default_size[d] + stride[d]
            if not (min_size < output_size[d] < max_size):
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {min_size} and '
                                 f'{max_size})')
        ret = output_size
    for d in range(len(kernel_size)):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return ret


def _check_unpool(input, indices, n):
    if indices._data.dtype != np.int64:
        but = f" but got: {_scalar_name(indices._data.dtype)}" if n == 2 else ""
        raise RuntimeError(f"elements in indices should be type int64{but}")
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Input to max_unpooling{n}d should be a {n + 1}d or {n + 2}d Tensor, but got a tensor "
                           f"with {input.ndim} dimensions.")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    for i in range(1, input.ndim):
        if input.shape[i] <= 0:
            raise RuntimeError(f"max_unpooling{n}d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {list(input.shape)} with dimension {i} being empty.")


def _max_unpool2d(input, indices, output_size):
    _check_unpool(input, indices, 2)
    _check_dtype(input, "max_unpool2d", _FLOATS)
    return _MAX_UNPOOL[2].apply(input, indices, tuple(output_size))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""The partial inverse of :func:`max_pool1d`: ``input`` written at ``indices`` of a zero signal, the rest
    zero. The length is :math:`(L - 1) s - 2p + k` unless ``output_size`` says otherwise.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> y, i = F.max_pool1d(npgrad.tensor([[[1.0, 3.0, 5.0, 2.0]]]), 2, return_indices=True)
        >>> F.max_unpool1d(y, i, 2).tolist()
        [[[0.0, 3.0, 5.0, 0.0]]]
    """
    kernel_size = _ntuple(1)(kernel_size)
    stride = _ntuple(1)(stride) if stride is not None else kernel_size
    padding = _ntuple(1)(padding)
    output_size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    output_size = list(output_size) + [1] if isinstance(output_size, list) else tuple(output_size) + (1,)
    return _max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), output_size).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""The partial inverse of :func:`max_pool2d`: ``input`` written at the flat per-plane ``indices`` of a
    zero image of size :math:`(H - 1) s - 2p + k` per dim (or ``output_size``).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> y, i = F.max_pool2d(npgrad.arange(4.0).reshape(1, 1, 2, 2), 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2).tolist()
        [[[[0.0, 0.0], [0.0, 3.0]]]]
    """
    kernel_size = _pair(kernel_size)
    stride = _pair(stride) if stride is not None else kernel_size
    padding = _pair(padding)
    output_size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool2d(input, indices, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""The partial inverse of :func:`max_pool3d`; as :func:`max_unpool2d` with one more spatial dim.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> y, i = F.max_pool3d(npgrad.arange(8.0).reshape(1, 1, 2, 2, 2), 2, return_indices=True)
        >>> F.max_unpool3d(y, i, 2).flatten().tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0]
    """
    kernel_size = _triple(kernel_size)
    stride = _triple(stride) if stride is not None else kernel_size
    padding = _triple(padding)
    output_size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    _check_unpool(input, indices, 3)
    if not all(s > 0 for s in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    _check_dtype(input, "max_unpool3d", _FLOATS)
    return _MAX_UNPOOL[3].apply(input, indices, tuple(output_size))
