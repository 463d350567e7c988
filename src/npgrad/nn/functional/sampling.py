"""Resampling: ``interpolate`` (nearest, linear, cubic, area), ``grid_sample`` and ``affine_grid``.

Every resize mode of :func:`interpolate` is separable: along each spatial axis an output position ``o``
reads a few input positions ``index_k[o]`` with weights ``weight_k[o]`` ("taps"). The forward pass
gathers and weights along one axis at a time (last axis first, as PyTorch nests its loops). The
backward pass is a gather too: the taps are transposed once per axis (for every input position, the
outputs that read it), so no scatter is needed.

The source coordinates follow PyTorch's CPU kernels to the rounding: they are computed in the
input's precision (``float32`` for ``float32``/``float16`` inputs), ``floorf`` rounds its argument to
``float32`` first, and the fused multiply-add of ``scale * (o + 0.5) - 0.5`` is reproduced.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np

from ...autograd.function import ArrayFunction as Function
from ...tensor import Tensor, _labelled, _raw
from .basic import pad
from .embedding_bag import _jit

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample", "affine_grid"]

_CUBIC_A = -0.75

_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


# --------------------------------------------------------------------------- source coordinates


def _arith_type(dtype):
    """The type PyTorch computes coordinates in (its ``opmath`` type): double for double, else float."""
    return np.float64 if dtype == np.float64 else np.float32


def _floorf(values):
    """C's ``floorf``: the argument is rounded to ``float32`` before the floor."""
    return np.floor(np.asarray(values).astype(np.float32)).astype(np.int64)


def _scale_value(in_size, out_size, align_corners, scale, ft):
    """PyTorch's ``area_pixel_compute_scale``: input pixels per output pixel."""
    if align_corners:
        return ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(in_size) / ft(out_size)


def _product_error(a, b):
    """``(p, e)`` with ``p = fl(a * b)`` and ``p + e == a * b`` exactly (Dekker's two-product, float64)."""

    def split(x):
        c = 134217729.0 * x  # 2**27 + 1
        high = c - (c - x)
        return high, x - high

    p = a * b
    a_hi, a_lo = split(a)
    b_hi, b_lo = split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _source_index(scale, out_size, align_corners, cubic, ft):
    r"""Source coordinate of every output position: :math:`s\,o` (align_corners) or
    :math:`s\,(o + \tfrac12) - \tfrac12`, rounded once as a fused multiply-add; clamped at 0 unless cubic."""
    o = np.arange(out_size).astype(ft)
    if align_corners:
        return scale * o
    half = o + ft(0.5)
    if ft == np.float32:  # the float64 product of two float32 is exact: one rounding, as the FMA
        src = (np.float64(scale) * half.astype(np.float64) - 0.5).astype(np.float32)
    else:
        p, e = _product_error(np.float64(scale), half)
        src = (p - 0.5) + e
    return src if cubic else np.where(src < 0, ft(0), src)


def _nearest_index(in_size, out_size, scale, exact, ft, special):
    """Source pixel of every output pixel in the forward pass (``special``: 1x and 2x shortcuts of 2-D)."""
    o = np.arange(out_size)
    if special and out_size == in_size:
        return o
    if special and out_size == 2 * in_size:
        return o >> 1
    s = _scale_value(in_size, out_size, False, scale, ft)
    if exact:
        src = _source_index(s, out_size, False, False, ft)
        idx = _floorf(src.astype(np.float64) + 0.5)
    else:
        idx = _floorf(s * o.astype(ft))
    return np.minimum(idx, in_size - 1)


def _nearest_index_backward(in_size, out_size, scale, exact):
    """Source pixel of every output pixel as PyTorch's backward computes it (single precision scale)."""
    o = np.arange(out_size)
    if not exact and out_size == in_size:
        return o
    if not exact and out_size == 2 * in_size:
        return o >> 1
    s = _scale_value(in_size, out_size, False, scale, np.float32)
    if exact:
        idx = _floorf((o + 0.5) * np.float64(s))
    else:
        idx = _floorf(o.astype(np.float32) * s)
    return np.minimum(idx, in_size - 1)


def _linear_taps(in_size, out_size, scale, align_corners, ft):
    """Two taps per output: ``(i0, 1 - t)`` and ``(i1, t)``; a same-size resize is a copy."""
    if out_size == in_size:
        o = np.arange(out_size)
        return [(o, np.ones(out_size, ft), None), (o, np.zeros(out_size, ft), None)]
    s = _scale_value(in_size, out_size, align_corners, scale, ft)
    src = _source_index(s, out_size, align_corners, False, ft)
    i0 = np.minimum(_floorf(src), in_size - 1)
    t = np.minimum(np.maximum(src - i0.astype(ft), ft(0)), ft(1))
    i1 = i0 + (i0 < in_size - 1)
    return [(i0, ft(1) - t, None), (i1, t, None)]


def _upsample_cubic_weights(t, ft):
    """Keys' cubic convolution weights (A = -0.75) of the 4 taps around a point at fraction ``t``."""
    a = ft(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    u = ft(1) - t
    return [far(t + ft(1)), near(t), near(u), far(u + ft(1))]


def _cubic_taps(in_size, out_size, scale, align_corners, ft):
    """Four taps per output at ``floor(src) - 1 .. floor(src) + 2``, clamped to the border."""
    s = _scale_value(in_size, out_size, align_corners, scale, ft)
    src = _source_index(s, out_size, align_corners, True, ft)
    i0 = np.minimum(_floorf(src), in_size - 1)
    t = np.minimum(np.maximum(src - i0.astype(ft), ft(0)), ft(1))
    weights = _upsample_cubic_weights(t, ft)
    return [(np.clip(i0 - 1 + k, 0, in_size - 1), weights[k], None) for k in range(4)]


def _area_taps(in_size, out_size):
    """Adaptive average windows ``[floor(o n / m), ceil((o + 1) n / m))``: one tap per offset in the window;
    also the window bounds for long windows (summed with ``np.add.reduceat`` instead), else ``None``."""
    o = np.arange(out_size)
    start = (o * in_size) // out_size
    end = -((-(o + 1) * in_size) // out_size)
    length = end - start
    taps = []
    for k in range(int(length.max()) if out_size else 0):
        valid = k < length
        taps.append((np.minimum(start + k, end - 1), None, None if valid.all() else valid))
    bounds = None
    if out_size and length.max() > 4 and np.all(end[:-1] < in_size):
        bounds = np.stack([start, end], axis=1).ravel()[:-1]  # the last window runs to the end
    return taps, length, bounds


class _AxisPlan:
    """The resampling of one spatial axis: forward taps, the taps PyTorch's backward uses (transposed on
    first use) and, for ``area``, the window lengths."""

    __slots__ = ("forward_taps", "backward_taps", "lengths", "bounds", "in_size", "_adjoint")

    def __init__(self, forward_taps, backward_taps, lengths, in_size, bounds=None):
        self.forward_taps = forward_taps
        self.backward_taps = backward_taps
        self.lengths = lengths
        self.bounds = bounds
        self.in_size = in_size
        self._adjoint = None

    def apply(self, x, axis):
        """The forward resampling of ``x`` along ``axis`` (window sums without the division for ``area``)."""
        if self.bounds is not None:
            return np.add.reduceat(x, self.bounds, axis=axis).take(np.arange(0, self.bounds.size, 2), axis=axis)
        return _gather_axis(x, axis, self.forward_taps)

    def adjoint_taps(self):
        if self._adjoint is None:
            self._adjoint = _transpose_taps(self.backward_taps, self.in_size)
        return self._adjoint


def _axis_plan(mode, in_size, out_size, scale, align_corners, ft, ndim):
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        fwd = _nearest_index(in_size, out_size, scale, exact, ft, special=ndim == 2 and not exact)
        bwd = _nearest_index_backward(in_size, out_size, scale, exact)
        return _AxisPlan([(fwd, None, None)], [(bwd, None, None)], None, in_size)
    if mode == "area":
        taps, lengths, bounds = _area_taps(in_size, out_size)
        return _AxisPlan(taps, taps, lengths, in_size, bounds)
    if mode == "bicubic":
        taps = _cubic_taps(in_size, out_size, scale, align_corners, ft)
    else:
        taps = _linear_taps(in_size, out_size, scale, align_corners, ft)
    return _AxisPlan(taps, taps, None, in_size)


# --------------------------------------------------------------------------- separable gather / scatter


def _along(values, axis, ndim):
    """``values`` (one entry per position of ``axis``) shaped to broadcast along ``axis``."""
    return values.reshape(values.shape + (1,) * (ndim - axis - 1))


def _gather_axis(x, axis, taps, size=0):
    r""":math:`y_o = \sum_k w_k[o]\, x_{i_k[o]}` along ``axis`` (a tap whose ``valid`` is false adds nothing);
    no taps at all give zeros of length ``size``."""
    if not taps:
        shape = list(x.shape)
        shape[axis] = size
        return np.zeros(shape, dtype=x.dtype)
    out = None
    for index, weight, valid in taps:
        t = np.take(x, index, axis=axis)
        if weight is not None:
            t *= _along(weight, axis, x.ndim).astype(t.dtype, copy=False)
        if out is None:
            out = t if valid is None else np.where(_along(valid, axis, x.ndim), t, t.dtype.type(0))
        elif valid is None:
            out += t
        else:
            np.add(out, t, out=out, where=_along(valid, axis, x.ndim))
    return out


def _transpose_taps(taps, in_size):
    """The taps of the adjoint map: for every input position, the outputs that read it and with which weight.

    The backward pass is then a gather along the axis like the forward (no scatter): the ``f``-th tap of
    input ``j`` holds its ``f``-th reader, ``valid`` marks the inputs that have that many readers."""
    outs, ins, weights = [], [], []
    for index, weight, valid in taps:
        o = np.arange(index.size) if valid is None else np.flatnonzero(valid)
        outs.append(o)
        ins.append(index[o])
        weights.append(None if weight is None else weight[o])
    o, j = np.concatenate(outs), np.concatenate(ins)
    w = None if weights[0] is None else np.concatenate(weights)
    order = np.lexsort((o, j))
    o, j = o[order], j[order]
    if w is not None:
        w = w[order]
    readers = np.bincount(j, minlength=in_size)
    rank = np.arange(j.size) - (np.cumsum(readers) - readers)[j]
    result = []
    for f in range(int(readers.max()) if j.size else 0):
        pick = rank == f
        index = np.zeros(in_size, dtype=np.int64)
        index[j[pick]] = o[pick]
        weight = None
        if w is not None:
            weight = np.zeros(in_size, dtype=w.dtype)
            weight[j[pick]] = w[pick]
        valid = readers > f
        result.append((index, weight, None if valid.all() else valid))
    return result


def _window_sizes(plans, first_axis, ndim):
    """The product of the area window lengths, shaped to broadcast over the output."""
    size = None
    for k, plan in enumerate(plans):
        if plan.lengths is not None:
            term = _along(plan.lengths.astype(np.float64), first_axis + k, ndim)
            size = term if size is None else size * term
    return size


class _Resample(Function):
    """Separable resampling of the spatial axes (2, 3, ...) of ``x`` by the per-axis plans."""

    follows_channels_last = True

    @staticmethod
    def forward(ctx, x, plans, mode):
        ctx.plans, ctx.mode = plans, mode
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        y = work
        for k in reversed(range(len(plans))):
            y = plans[k].apply(y, 2 + k)
        size = _window_sizes(plans, 2, y.ndim)
        if size is not None:
            y = y / size.astype(y.dtype)
        if y is work:
            y = y.copy()
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        plans = ctx.plans
        if ctx.mode == "area":
            _check_area_gradient(g.shape)
        work = g.astype(np.float32) if g.dtype == np.float16 else g
        size = _window_sizes(plans, 2, work.ndim)
        if size is not None:
            work = work / size.astype(work.dtype)
        for k in range(len(plans)):
            work = _gather_axis(work, 2 + k, plans[k].adjoint_taps(), plans[k].in_size)
        return work.astype(g.dtype, copy=False), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): the backward is linear in ``g``, and its transpose is the resampling."""
        from ...autograd.graph import LinearMap

        return LinearMap.apply(g, _Resample.backward, ctx, 0,
                               lambda gg: _Resample.apply(gg, ctx.plans, ctx.mode)), None, None


def _check_area_gradient(shape):
    """PyTorch's adaptive average pooling refuses to backpropagate an output with an empty non-batch dim."""
    seen = list(shape) if len(shape) > 3 else [shape[0], shape[1], 1, shape[2]]
    name = "adaptive_avg_pool3d_backward" if len(seen) == 5 else "adaptive_avg_pool2d_backward"
    for d in range(1, len(seen)):
        if seen[d] == 0:
            raise RuntimeError(f"{name}(): Expected grad_output to have non-zero size for non-batch dimensions, but "
                               f"grad_output has sizes {seen} with dimension {d} being empty")


# --------------------------------------------------------------------------- interpolate


def _is_integer(x):
    if isinstance(x, (int, np.integer)):
        return True
    return isinstance(x, Tensor) and not x.is_floating_point()


_MODE_NAMES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def _kernel_name(mode, ndim):
    """The name under which PyTorch's CPU kernel rejects an unsupported dtype."""
    if mode == "area":
        return "adaptive_avg_pool3d_cpu" if ndim == 5 else "adaptive_avg_pool2d"
    if mode in ("nearest", "nearest-exact"):
        return "upsample_nearest2d_channels_last" if ndim == 4 else "compute_indices_weights_nearest"
    if mode == "bilinear":
        return "upsample_bilinear2d_channels_last"
    return "compute_indices_weights_cubic" if mode == "bicubic" else "compute_indices_weights_linear"


def _size_text(sizes):
    names = ("D", "H", "W")[3 - len(sizes):]
    return ", ".join(f"{n}: {s}" for n, s in zip(names, sizes))


def _check_sizes(input, out_size, mode):
    """PyTorch's checks of the input and output sizes (``upsample_*`` and ``adaptive_avg_pool*``)."""
    shape = tuple(input.shape)
    in_size = shape[2:]
    if mode == "area":
        dims = len(in_size)
        if min(out_size) < 0:
            if dims == 3:
                text = f"{{{out_size[0]}, {out_size[1]},{out_size[2]}}}"
                raise RuntimeError(f"adaptive_avg_pool3d: elements of output_size must be greater than or equal "
                                   f"to 0 but received {text}")
            shown = (1,) + tuple(out_size) if dims == 1 else tuple(out_size)
            raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 "
                               f"but received {{{shown[0]}, {shown[1]}}}")
        if dims == 3:
            first, name = 1, "adaptive_avg_pool3d"
        else:
            first, name = len(shape) - 2 if dims == 2 else 3, "adaptive_avg_pool2d"
        as_seen = list(shape) if dims > 1 else [shape[0], shape[1], 1, shape[2]]
        for d in range(first, len(as_seen)):
            if as_seen[d] == 0:
                raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                                   f"input has sizes {as_seen} with dimension {d} being empty")
        return
    if min(in_size) <= 0 or min(out_size) <= 0:
        joint = " and output" if len(in_size) == 1 else " output"
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({_size_text(in_size)})"
                           f"{joint} ({_size_text(out_size)})")
    if shape[1] == 0:
        raise RuntimeError(f"Non-empty {len(shape)}D data tensor expected but got a tensor with sizes {list(shape)}")


def _output_size(in_size, scale):
    """``int64(in * scale)``: the C++ conversion, which refuses values out of the int64 range."""
    value = float(in_size) * float(scale)
    if not np.isfinite(value) or abs(value) >= 2.0 ** 63:
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    return int(value)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    r"""Resize the spatial dims of ``(N, C, *spatial)`` to ``size`` or ``spatial * scale_factor``.

    Modes: ``'nearest'`` (:math:`i = \lfloor o\,s \rfloor`, PyTorch's legacy rule), ``'nearest-exact'``
    (:math:`i = \lfloor (o + \frac12)\,s \rfloor`), ``'linear'``/``'bilinear'``/``'trilinear'`` (separable
    linear interpolation), ``'bicubic'`` (Keys' cubic convolution, :math:`A = -0.75`, indices clamped to the
    border) and ``'area'`` (adaptive average pooling). The source coordinate of output pixel :math:`o` is
    :math:`s\,(o + \frac12) - \frac12` (or :math:`s\,o` with ``align_corners=True``, where
    :math:`s = (n_{in} - 1) / (n_{out} - 1)`). When ``scale_factor`` is given and ``recompute_scale_factor``
    is not true, :math:`s = 1 / \text{scale\_factor}` as given, as in PyTorch; otherwise
    :math:`s = n_{in} / n_{out}`. ``antialias=True`` is not supported.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.interpolate(npgrad.ones(1, 2, 3, 4), scale_factor=2, mode="bilinear").shape
        npgrad.Size([1, 2, 6, 8])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    scale_factors = None
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(x) for x in size]}")
            output_size = [int(x) for x in size]
        else:
            if not _is_integer(size):
                raise TypeError(f"interpolate(): expected size to be an int or a tuple of ints, but got "
                                f"{type(size).__name__}")
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
                                 f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                                 "format and scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = list(scale_factor)
        else:
            scale_factors = [scale_factor] * dim
        if any(isinstance(s, Tensor) for s in scale_factors):
            raise TypeError("interpolate(): expected scale_factor to be a float or a tuple of floats, not a Tensor")
        scale_factors = [float(s) for s in scale_factors]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                         "4-D tensor as input")
    nd = input.dim()
    expected = {"nearest": (3, 4, 5), "nearest-exact": (3, 4, 5), "area": (3, 4, 5), "linear": (3,),
                "bilinear": (4,), "bicubic": (4,), "trilinear": (5,), "lanczos": (4,)}
    if mode == "lanczos" and nd == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if nd not in expected.get(mode, ()):
        needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
        if nd in (3, 4, 5) and mode in needs:
            raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {needs[mode]}D input")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the "
                                  f"modes: {_MODE_NAMES} (got {mode})")
    if antialias:
        raise NotImplementedError(f"interpolate(): antialias=True (mode={mode!r}) is not supported by npgrad")
    if output_size is None:
        output_size = [_output_size(input.shape[i + 2], scale_factors[i]) for i in range(dim)]
    _check_sizes(input, output_size, mode)
    x = _raw(input)
    if x.dtype.kind != "f" and not (x.dtype == np.uint8 and mode in ("nearest", "nearest-exact")):
        if x.dtype == np.uint8 and mode in ("bilinear", "bicubic"):
            raise NotImplementedError(f"interpolate(): uint8 input is supported for the nearest modes only, "
                                      f"not for mode={mode!r}")
        raise NotImplementedError(f'"{_kernel_name(mode, nd)}" not implemented for '
                                  f"'{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}'")
    ft = _arith_type(x.dtype)
    scales = scale_factors or [None] * dim
    plans = tuple(_axis_plan(mode, int(input.shape[2 + k]), int(output_size[k]), scales[k], align_corners, ft, dim)
                  for k in range(dim))
    return _labelled(_Resample.apply(input, plans, mode), True, _resample_node_name(mode, dim))


def _resample_node_name(mode, dim):
    """PyTorch's kernel for ``mode`` on ``dim`` spatial dims: ``UpsampleBilinear2DBackward0`` ...; ``area`` is
    adaptive average pooling (in 1-d, a 2-d one whose result is squeezed)."""
    if mode == "area":
        return "SqueezeBackward1" if dim == 1 else f"AdaptiveAvgPool{dim}DBackward0"
    kernel = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear", "bilinear": "Bilinear",
              "bicubic": "Bicubic", "trilinear": "Trilinear"}[mode]
    return f"Upsample{kernel}{dim}DBackward0"


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with ``mode='nearest'`` (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with ``mode='bilinear', align_corners=True`` (warns, as PyTorch does)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --------------------------------------------------------------------------- grid_sample


def _unnormalize(coord, size, align_corners, two_d):
    r"""Grid coordinate in :math:`[-1, 1]` to pixel coordinate, and its derivative.

    ``align_corners``: :math:`(c + 1)(n - 1)/2`; else :math:`((c + 1)\,n - 1)/2`. The 2-D kernel of PyTorch
    writes it as :math:`(c + 1)\cdot f - \frac12` with :math:`f = n/2`; the rounding follows each form."""
    ft = coord.dtype.type
    if align_corners:
        factor = ft((size - 1) / 2)
        pos = (coord + 1) * factor if two_d else ((coord + 1) / 2) * ft(size - 1)
    else:
        factor = ft(size / 2)
        pos = (coord + 1) * factor - ft(0.5) if two_d else ((coord + 1) * ft(size) - 1) / 2
    return pos, factor


def _clip(pos, size):
    """Clamp to ``[0, size - 1]``; the derivative is 1 strictly inside, 0 on and beyond the borders."""
    ft = pos.dtype.type
    out = np.minimum(np.maximum(pos, ft(0)), ft(size - 1))
    grad = ((pos > 0) & (pos < size - 1)).astype(pos.dtype)
    return out, grad


def _reflect(pos, size, align_corners):
    """Reflect by the borders (pixel centres with align_corners, pixel edges without) until inside; and the
    derivative (+1 or -1)."""
    ft = pos.dtype.type
    twice_span = 2 * (size - 1) if align_corners else 2 * size
    if twice_span == 0:
        return np.zeros_like(pos), np.zeros_like(pos)
    shifted = pos if align_corners else pos + ft(0.5)
    negative = shifted < 0
    dist = np.abs(shifted)
    span = ft(twice_span)
    extra = dist - np.trunc(dist / span) * span
    flipped = span - extra
    one_more = extra > flipped
    out = np.where(one_more, flipped, extra)
    if not align_corners:
        out = out - ft(0.5)
    grad = np.where(one_more ^ negative, ft(-1), ft(1))
    return out, grad


def _pad_coordinate(pos, size, padding_mode, align_corners):
    """Pixel coordinate after the padding rule (``border``: clamp; ``reflection``: reflect, then clamp),
    with its derivative."""
    if padding_mode == "border":
        return _clip(pos, size)
    if padding_mode == "reflection":
        pos, grad_reflect = _reflect(pos, size, align_corners)
        pos, grad_clip = _clip(pos, size)
        return pos, grad_reflect * grad_clip
    return pos, np.ones_like(pos)


def _grid_cubic_weights(t, derivatives=True):
    """The 4 cubic convolution weights at fraction ``t`` and (``derivatives``) their derivatives in ``t`` (as
    grid_sample); ``t`` an array or a Tensor (every constant is exact in single precision)."""
    a = _CUBIC_A
    x0, x2, x3 = t + 1, 1 - t, 2 - t
    w = [((a * x0 - 5 * a) * x0 + 8 * a) * x0 - 4 * a,
         ((a + 2) * t - (a + 3)) * t * t + 1,
         ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1,
         ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a]
    if not derivatives:
        return w
    y0, y1 = -1 - t, -t
    neg = [(-3 * a * y0 - 10 * a) * y0 - 8 * a,
           (-3 * (a + 2) * y1 - 2 * (a + 3)) * y1,
           (3 * (a + 2) * x2 - 2 * (a + 3)) * x2,
           (3 * a * x3 - 10 * a) * x3 + 8 * a]
    return w, [-d for d in neg]


def _grid_taps(grid, sizes, mode, padding_mode, align_corners):
    """The input pixels each grid point reads.

    Returns ``(taps, mults)``: each tap is ``(flat_index, weight, dweights)`` over the grid points
    ``(N, P)``, ``flat_index`` pointing one past the end (a zero) where the pixel is outside; ``dweights``
    are the derivatives of ``weight`` in each pixel coordinate (``None`` for nearest), and ``mults`` the
    derivatives of the pixel coordinates in the grid coordinates."""
    dims = len(sizes)  # sizes in grid order: (W, H) or (W, H, D)
    two_d = dims == 2
    n, points = grid.shape[0], int(np.prod(grid.shape[1:-1]))
    coords = [grid[..., d].reshape(n, points) for d in range(dims)]
    strides = [int(np.prod(sizes[:d])) for d in range(dims)]
    outside = int(np.prod(sizes))
    per_dim = []  # per dim: list of (int position, weight, dweight) alternatives
    mults = []
    with np.errstate(invalid="ignore"):
        for c, size in zip(coords, sizes):
            pos, mult = _unnormalize(c, size, align_corners, two_d)
            if mode == "bicubic":
                lo = np.floor(pos)
                w, dw = _grid_cubic_weights(pos - lo)
                options = []
                for k in range(4):
                    tap, _ = _pad_coordinate(lo + (k - 1), size, padding_mode, align_corners)
                    options.append((tap, w[k], dw[k]))
                mults.append(np.full_like(pos, mult))
            else:
                pos, grad = _pad_coordinate(pos, size, padding_mode, align_corners)
                mults.append(grad * mult)
                if mode == "nearest":
                    options = [(np.rint(pos), None, None)]
                else:
                    lo = np.floor(pos)
                    one = pos.dtype.type(1)
                    options = [(lo, (lo + one) - pos, -np.ones_like(pos)), (lo + one, pos - lo, np.ones_like(pos))]
            converted = []
            for p, w, dw in options:
                p = np.where(np.isfinite(p), p, -1).astype(np.int64)
                converted.append((p, (p >= 0) & (p < size), w, dw))
            per_dim.append(converted)
    taps = []
    for combo in itertools.product(*per_dim):
        valid = combo[0][1]
        flat = combo[0][0] * strides[0]
        for d in range(1, dims):
            valid = valid & combo[d][1]
            flat = flat + combo[d][0] * strides[d]
        flat = np.where(valid, flat, outside)
        if mode == "nearest":
            taps.append((flat, None, None))
            continue
        weight = combo[0][2]
        for d in range(1, dims):
            weight = weight * combo[d][2]
        dweights = []
        for d in range(dims):
            term = combo[d][3]
            for e in range(dims):
                if e != d:
                    term = term * combo[e][2]
            dweights.append(term)
        taps.append((flat, weight, dweights))
    return taps, mults


def _tap_weights(grid, sizes, mode, padding_mode, align_corners):
    """The weight of every tap of :func:`_grid_taps` (in its order) as a Tensor function of the Tensor ``grid``.

    The pixel coordinate is piecewise linear in the grid coordinate: near the sampled points it is its
    value plus its slope times the change of ``grid``, which gives the weights their exact values and
    first and second derivatives."""
    values = _raw(grid)
    n, points = values.shape[0], int(np.prod(values.shape[1:-1]))
    per_dim = []
    with np.errstate(invalid="ignore"):
        for d, size in enumerate(sizes):
            coord = values[..., d].reshape(n, points)
            pos, slope = _unnormalize(coord, size, align_corners, len(sizes) == 2)
            if mode != "bicubic":  # bicubic pads the taps, not the coordinate
                pos, grad = _pad_coordinate(pos, size, padding_mode, align_corners)
                slope = grad * slope
            change = grid[..., d].reshape(n, points) - Tensor._wrap(coord)
            at = change * Tensor._wrap(np.asarray(slope, dtype=pos.dtype)) + Tensor._wrap(pos)
            lo = np.floor(pos)
            if mode == "bicubic":
                per_dim.append(_grid_cubic_weights(at - Tensor._wrap(lo), derivatives=False))
            else:
                per_dim.append([Tensor._wrap(lo + pos.dtype.type(1)) - at, at - Tensor._wrap(lo)])
    weights = []
    for combo in itertools.product(*per_dim):
        weight = combo[0]
        for factor in combo[1:]:
            weight = weight * factor
        weights.append(weight)
    return weights


def _pixel_rows(x):
    """``x`` as rows of channels, ``(N * (cells + 1), C)``: pixel ``p`` of image ``n`` is row
    ``n * (cells + 1) + p``, and the extra last row of each image is the zero that outside taps read.
    Returns the rows and the row offset of every image, shaped ``(N, 1)``."""
    n, c = x.shape[:2]
    cells = int(np.prod(x.shape[2:]))
    rows = np.zeros((n, cells + 1, c), dtype=x.dtype)
    rows[:, :-1] = x.reshape(n, c, cells).transpose(0, 2, 1)
    return rows.reshape(n * (cells + 1), c), (np.arange(n, dtype=np.int64) * (cells + 1))[:, None]


def _scatter_rows_loop(g, rows, weight, out):
    """``out[rows[n, p]] += weight[n, p] * g[n, p]`` over the grid points (rows of channels; compiled by Numba)."""
    for n in range(g.shape[0]):
        for p in range(g.shape[1]):
            r = rows[n, p]
            w = weight[n, p]
            for c in range(g.shape[2]):
                out[r, c] += w * g[n, p, c]


class _RowsAt(Function):
    """The rows of a ``(R, C)`` matrix at the indices ``(N, P)``, as ``(N, P, C)``: the gathers of grid_sample's
    recorded form, whose gradient adds back with the compiled scatter."""

    @staticmethod
    def forward(ctx, rows, index):
        ctx.index, ctx.count = index, rows.shape[0]
        return np.take(rows, index, axis=0)

    @staticmethod
    def backward(ctx, g):
        out = np.zeros((ctx.count, g.shape[-1]), dtype=g.dtype)
        if g.size:
            _jit(_scatter_rows_loop)(np.ascontiguousarray(g), ctx.index, np.ones(ctx.index.shape, g.dtype), out)
        return out, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from ...autograd.graph import LinearMap

        return LinearMap.apply(g, _RowsAt.backward, ctx, 0, lambda gg: _RowsAt.apply(gg, ctx.index)), None


def _single_if_half(a):
    return a.astype(np.float32) if a.dtype == np.float16 else a


def _grid_sizes(x):
    """Spatial sizes in grid order (x = W first)."""
    return tuple(int(s) for s in x.shape[2:][::-1])


class _GridSample(Function):
    """Sample ``input`` at the points of ``grid`` (bilinear/trilinear, nearest or bicubic): every tap gathers
    whole rows of channels, ``(N, P, C)``."""

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        dtype = x.dtype
        x, grid = _single_if_half(x), _single_if_half(grid)  # half precision is computed in single
        ctx.save_for_backward(x, grid)
        taps, mults = _grid_taps(grid, _grid_sizes(x), mode, padding_mode, align_corners)
        ctx.taps = (taps, mults, mode, dtype)
        ctx.options = (padding_mode, align_corners)
        rows, first = _pixel_rows(x)
        out = None
        for index, weight, _ in taps:
            values = np.take(rows, index + first, axis=0)
            if weight is not None:
                values *= weight[..., None]
            out = values if out is None else out + values
        return out.transpose(0, 2, 1).reshape(x.shape[:2] + grid.shape[1:-1]).astype(dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, grid = ctx.saved_tensors
        taps, mults, mode, dtype = ctx.taps
        n, c = x.shape[:2]
        points = int(np.prod(grid.shape[1:-1]))
        g = _single_if_half(g).reshape(n, c, points).transpose(0, 2, 1)  # (N, P, C)
        gx = ggrid = None
        if ctx.needs_input_grad[0]:
            cells = int(np.prod(x.shape[2:])) + 1
            first = (np.arange(n, dtype=np.int64) * cells)[:, None]
            total = np.zeros((n * cells, c), dtype=x.dtype)
            g_rows = np.ascontiguousarray(g)
            for index, weight, _ in taps:
                weight = np.ones(index.shape, dtype=x.dtype) if weight is None else weight
                if g_rows.size:
                    _jit(_scatter_rows_loop)(g_rows, index + first, weight, total)
            gx = total.reshape(n, cells, c)[:, :-1].transpose(0, 2, 1).reshape(x.shape).astype(dtype, copy=False)
        if ctx.needs_input_grad[1]:
            ggrid = np.zeros_like(grid)
            if mode != "nearest":
                rows, first = _pixel_rows(x)
                parts = [np.zeros(g.shape[:2], dtype=grid.dtype) for _ in mults]
                for index, _, dweights in taps:
                    sensitivity = np.einsum("npc,npc->np", np.take(rows, index + first, axis=0), g)
                    for d, dw in enumerate(dweights):
                        parts[d] += sensitivity * dw
                for d, mult in enumerate(mults):
                    ggrid[..., d] = (parts[d] * mult).reshape(grid.shape[:-1])
            ggrid = ggrid.astype(dtype, copy=False)
        return gx, ggrid, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): the sampling written with Tensor operations (the taps' pixels gathered,
        their weights functions of ``grid``, :func:`_tap_weights`) and differentiated at the joined inputs, in
        every mode as PyTorch's double backward; the compiled loops stay the first-order path."""
        x, grid = ctx.saved_tensors
        taps, _, mode, dtype = ctx.taps
        padding_mode, align_corners = ctx.options
        sizes = _grid_sizes(x)
        n, c = x.shape[:2]
        cells = int(np.prod(x.shape[2:])) + 1
        first = (np.arange(n, dtype=np.int64) * cells)[:, None]

        def composed(image, points):
            if dtype == np.float16:  # computed in single precision, as forward
                image, points = image.float(), points.float()
            pixels = image.reshape(n, c, cells - 1).transpose(1, 2)
            rows = pad(pixels, (0, 0, 0, 1)).reshape(n * cells, c)  # a zero row after each image's pixels
            if mode == "nearest":
                weights = [None] * len(taps)
            else:
                weights = _tap_weights(points, sizes, mode, padding_mode, align_corners)
            out = None
            for (index, _, _), weight in zip(taps, weights):
                values = _RowsAt.apply(rows, index + first)
                if weight is not None:
                    values = values * weight.unsqueeze(-1)
                out = values if out is None else out + values
            out = out.transpose(1, 2).reshape((n, c) + tuple(grid.shape[1:-1]))
            return out.half() if dtype == np.float16 else out

        gx, ggrid = saved.vjp(composed, [saved.input(0, x), saved.input(1, grid)], (g,))
        if ggrid is None and saved.needs(1):  # nearest: the grid's gradient is zero, a zero map of the grid
            from ...autograd.graph import LinearMap

            shape = tuple(grid.shape)
            ggrid = LinearMap.apply(saved.input(1, grid), lambda _, a: np.zeros(shape, dtype=dtype), None, 0,
                                    lambda gg: gg.new_zeros(shape))
        return gx, ggrid, None, None, None


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    r"""Sample ``input`` :math:`(N, C, H, W)` (or :math:`(N, C, D, H, W)`) at the normalised points of ``grid``
    :math:`(N, H_o, W_o, 2)` (or :math:`(N, D_o, H_o, W_o, 3)`), the last dim holding :math:`(x, y[, z])`.

    A grid value :math:`c \in [-1, 1]` maps to pixel :math:`(c + 1)(n - 1)/2` with ``align_corners=True`` and
    to :math:`((c + 1)\,n - 1)/2` otherwise. ``mode``: ``'bilinear'`` (trilinear for 5-D),
    ``'nearest'`` (round half to even) or ``'bicubic'`` (4-D only, :math:`A = -0.75`). ``padding_mode``:
    ``'zeros'``, ``'border'`` (clamp) or ``'reflection'``. Differentiable in ``input`` and ``grid``
    (the gradient in ``grid`` is zero for ``'nearest'``).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.grid_sample(npgrad.ones(1, 1, 4, 4), npgrad.zeros(1, 2, 3, 2), align_corners=False).shape
        npgrad.Size([1, 1, 2, 3])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                      "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                      "documentation of grid_sample for details.", stacklevel=2)
        align_corners = False
    x, g = _raw(input), _raw(grid)
    if x.dtype != g.dtype:
        raise RuntimeError(f"expected scalar type {_SCALAR_NAMES.get(x.dtype.name, x.dtype.name)} but found "
                           f"{_SCALAR_NAMES.get(g.dtype.name, g.dtype.name)}")
    if input.ndim == 0 or grid.ndim == 0 or x.shape[0] != g.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(x.shape)} and grid with sizes {list(g.shape)}")
    if g.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last dimension, but got "
                           f"grid with sizes {list(g.shape)}")
    for d in range(2, x.ndim):
        if x.shape[d] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(x.shape)} with dimension {d} being empty")
    if x.ndim not in (4, 5) or x.ndim != g.ndim:
        wanted = 4 if x.ndim == 4 else 5
        raise RuntimeError(f"grid_sampler(): expected {wanted}D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(x.shape)} and grid with sizes {list(g.shape)}")
    if x.ndim == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if x.dtype.kind != "f":
        kernel = "grid_sampler_2d_cpu_kernel_impl" if x.ndim == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}\'')
    return _GridSample.apply(input, grid, mode, padding_mode, bool(align_corners))


_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


# --------------------------------------------------------------------------- affine_grid


def _linspace_from_neg_one(steps, align_corners, ft):
    """PyTorch's ``linspace(-1, 1, steps)`` (filled from both ends), shrunk by ``(steps - 1) / steps`` unless
    ``align_corners``; a single step is 0."""
    if steps <= 1:
        return np.zeros(1, dtype=ft)
    step = (ft(1) - ft(-1)) / ft(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    values = np.where(i < half, ft(-1) + step * i.astype(ft), ft(1) - step * (steps - 1 - i).astype(ft)).astype(ft)
    if not align_corners:
        values = values * ft(steps - 1) / ft(steps)
    return values


def _base_grid(spatial, align_corners, ft):
    """Homogeneous pixel-centre coordinates ``(prod(spatial), dims + 1)`` in (x, y[, z], 1) order."""
    axes = [_linspace_from_neg_one(s, align_corners, ft) for s in spatial]  # (D,) H, W order
    mesh = np.meshgrid(*axes, indexing="ij")
    columns = [m.reshape(-1) for m in mesh[::-1]]  # x (W) first
    columns.append(np.ones(columns[0].shape, dtype=ft))
    return np.stack(columns, axis=1).astype(ft)


class _AffineGrid(Function):
    r""":math:`g_{n,p} = \Theta_n\,b_p` for the homogeneous base points :math:`b_p`."""

    @staticmethod
    def forward(ctx, theta, base, grid_shape):
        ctx.base = base
        return np.matmul(base, np.swapaxes(theta, 1, 2)).reshape(grid_shape)

    @staticmethod
    def backward(ctx, g):
        base = ctx.base
        g = g.reshape(g.shape[0], base.shape[0], -1)
        return np.swapaxes(np.matmul(np.swapaxes(base, 0, 1), g), 1, 2), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): the gradient is linear in ``g``, and its transpose is the map itself."""
        from ...autograd.graph import LinearMap

        shape = tuple(g.shape)

        def adjoint(theta):
            return _AffineGrid.apply(theta, ctx.base, shape)

        return LinearMap.apply(g, _AffineGrid.backward, ctx, 0, adjoint), None, None


def affine_grid(theta, size, align_corners=None):
    r"""Sampling grid of the affine maps ``theta`` (:math:`N \times 2 \times 3` or :math:`N \times 3 \times 4`)
    for an output of ``size`` :math:`(N, C, H, W)` or :math:`(N, C, D, H, W)`: each output pixel centre
    :math:`b = (x, y[, z], 1)` in normalised coordinates maps to :math:`\Theta b`. Differentiable in
    ``theta``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> theta = npgrad.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> F.affine_grid(theta, (1, 1, 2, 3), align_corners=False).shape
        npgrad.Size([1, 2, 3, 2])
    """
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                      "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                      "documentation of grid_sample for details.", stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got torch.{theta.dtype.name}")
    shown = _show_size(size)
    size = list(size)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {shown}. Got "
                             f"{_show_shape(theta)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {shown}. Got "
                             f"{_show_shape(theta)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {shown}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {shown}")
    rows, cols = theta.shape[1], theta.shape[2]
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {cols}] but "
                           f"got: [{theta.shape[0]}, {cols}].")
    t = _raw(theta)
    ft = t.dtype.type if t.dtype != np.float16 else np.float32
    base = _base_grid([int(s) for s in spatial], bool(align_corners), ft).astype(t.dtype)
    return _AffineGrid.apply(theta, base, (int(size[0]),) + tuple(int(s) for s in spatial) + (rows,))


def _show_size(size):
    """A size as PyTorch's messages print the caller's sequence."""
    if isinstance(size, (list, tuple)) and type(size) not in (list, tuple):  # a Size
        return "torch.Size([" + ", ".join(str(s) for s in size) + "])"
    return str(size)


def _show_shape(t):
    return "torch.Size([" + ", ".join(str(s) for s in t.shape) + "])"
