r"""Fractional max pooling (B. Graham, "Fractional Max-Pooling", 2014): max over :math:`k`-sized windows whose
starts advance by pseudo-random steps, so that a dim of length :math:`L` shrinks to any ``out`` sizes, not only
to :math:`L / s`.

Each plane (one channel of one sample) draws one number :math:`u \in [0, 1)` per spatial dim. Along a dim the
windows start at

.. math::
    s_i = \lfloor (i + u)\,\alpha \rfloor - \lfloor u\,\alpha \rfloor \quad (i < out - 1), \qquad
    s_{out-1} = L - k, \qquad \alpha = \frac{L - k}{out - 1},

so consecutive starts differ by :math:`\lfloor\alpha\rfloor` or :math:`\lceil\alpha\rceil`. As in PyTorch the
formula runs in the input's dtype and rounds towards zero as C's ``int`` cast does (a value outside the ``int``
range becomes its minimum). The window maximum follows PyTorch's scan: the first maximum in row-major order, the
last NaN if there is one. Backward adds each output's gradient at its maximum.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.function import ArrayFunction as Function
from ...tensor import Tensor, _labelled, _scalar_name
from .pool import _int_list, _pair, _triple, _type_name

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]

_FLOATS = frozenset({"float16", "float32", "float64"})
_INT_MIN = -(2 ** 31)


def _c_int(v):
    """C's ``static_cast<int>`` of floating values on x86: rounds towards zero; NaN and values outside the
    ``int`` range give its minimum."""
    with np.errstate(invalid="ignore"):
        t = np.trunc(v.astype(np.float64))
        ok = np.abs(t) < 2.0 ** 31
    return np.where(ok, np.where(ok, t, 0).astype(np.int64), _INT_MIN)


def _wrap_int32(v):
    """An ``int64`` array wrapped to C's 32-bit ``int``, as a difference of two ``int`` values is."""
    return (v - _INT_MIN) % 2 ** 32 + _INT_MIN


def _intervals(u, size, out, k):
    """Window starts along one dim, one row per plane: ``u`` holds each plane's sample (in the input's dtype)."""
    starts = np.empty((u.shape[0], out), dtype=np.int64)
    if out > 1:
        real = u.dtype.type
        alpha = real(size - k) / real(out - 1)
        i = np.arange(out - 1).astype(u.dtype)
        starts[:, :-1] = _wrap_int32(_c_int((i + u[:, None]) * alpha) - _c_int(u * alpha)[:, None])
    if out > 0:
        starts[:, -1] = size - k
    return starts


class _FractionalMaxPool(Function):
    """Max over the windows of each plane; the flat per-plane index of each maximum comes too."""

    @staticmethod
    def forward(ctx, x, starts, kernel):
        n = len(kernel)
        in_size = x.shape[-n:]
        lead = x.shape[:-n]
        out_size = tuple(s.shape[1] for s in starts)
        planes = starts[0].shape[0]
        strides = [int(np.prod(in_size[d + 1:])) for d in range(n)]
        # index of each window's first element within its plane, shape (planes, *out_size)
        base = np.zeros((planes,) + (1,) * n, dtype=np.int64)
        for d in range(n):
            shape = [planes] + [1] * n
            shape[d + 1] = out_size[d]
            base = base + starts[d].reshape(shape) * strides[d]
        x_flat = np.ascontiguousarray(x).reshape(-1)
        plane_start = (np.arange(planes, dtype=np.int64) * int(np.prod(in_size))).reshape((planes,) + (1,) * n)
        first = base + plane_start
        # flat step of each kernel offset, in scan order; none when a kernel size is <= 0
        steps = np.array([sum(j * s for j, s in zip(offset, strides)) for offset in np.ndindex(*kernel)],
                         dtype=np.int64)
        if steps.size == 0:  # an empty window: -inf at its start, as PyTorch's loop leaves it
            best, index = np.full(first.shape, -np.inf, dtype=x.dtype), np.array(base)
        else:
            # PyTorch's scan keeps a value when ``val > maxVal``: the first maximum wins a tie. The offset of the
            # current best is kept as a small int: k exceeds every offset so far, so max(offset, k * better)
            # records k exactly where the new value is better.
            kind = np.uint8 if steps.size <= 256 else np.int32
            best = x_flat.take(first)
            offset = np.zeros(first.shape, dtype=kind)
            better = np.empty(first.shape, dtype=bool)
            at = np.empty(first.shape, dtype=np.int64)
            for k in range(1, steps.size):
                v = x_flat.take(np.add(first, steps[k], out=at))
                np.greater(v, best, out=better)
                np.maximum(best, v, out=best)  # a NaN stays: it is the window's maximum
                np.maximum(offset, better.astype(kind) * kind(k), out=offset)
            if best.dtype.kind == "f" and np.isnan(best).any():  # ``|| isnan(val)``: the last NaN wins
                for k in range(steps.size):
                    np.copyto(offset, kind(k), where=np.isnan(x_flat.take(np.add(first, steps[k], out=at))))
            index = base + steps[offset]
        ctx.plane_start = plane_start
        ctx.in_shape = x.shape
        ctx.save_for_backward(index)
        index = index.reshape(lead + out_size)
        ctx.mark_non_differentiable(index)
        return best.reshape(lead + out_size), index

    @staticmethod
    def backward(ctx, g, unused):
        (index,) = ctx.saved_tensors
        n = index.ndim - 1
        size = int(np.prod(ctx.in_shape[-n:]))
        if index.size and (index.min() < 0 or index.max() >= size):
            raise RuntimeError(f"fractional max pooling backward: index out of range for an input plane of {size} "
                               "elements (kernel_size must be positive)")
        grad = np.zeros(int(np.prod(ctx.in_shape)), dtype=g.dtype)
        # one add per output in order, as PyTorch's loop does (np.add.at does not buffer repeated indices)
        np.add.at(grad, (index + ctx.plane_start).reshape(-1), np.ascontiguousarray(g).reshape(-1))
        return grad.reshape(ctx.in_shape), None, None

    @staticmethod
    def graph_backward(ctx, saved, g, unused):
        """Recorded (``create_graph``): the scatter is linear in ``g``; its transpose reads the maxima's places."""
        from ...autograd.graph import LinearMap
        from .pool import _take_flat

        (index,) = ctx.saved_tensors
        n = index.ndim - 1
        index = index.reshape(tuple(ctx.in_shape[:-n]) + index.shape[1:])
        shape = tuple(g.shape)

        def adjoint(gg):
            return _take_flat(gg, index, n) if index.size else gg.new_zeros(shape)

        return LinearMap.apply(g, lambda c, a: _FractionalMaxPool.backward(c, a, None), ctx, 0, adjoint), None, None


def _draw_samples(input, n):
    """Uniform samples of shape ``(N, C, n)`` in the input's dtype, from the default generator."""
    batch = 1 if input.ndim == n + 1 else input.size(0)
    shape = (batch, input.size(-n - 1), n)
    dtype = input._data.dtype
    if dtype.name not in _FLOATS:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{_scalar_name(dtype)}'")
    from ... import _sampling
    from ...random import default_generator

    u = _sampling.uniform(default_generator, math.prod(shape), dtype)  # PyTorch's ``torch.rand``
    return Tensor._wrap(u.reshape(shape))


def _fractional_max_pool(input, n, kernel_size, output_size, samples):
    fn = f"fractional_max_pool{n}d"
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {_type_name(input)}")
    kernel = _int_list(kernel_size, n, fn, "kernel_size", 2)
    out = _int_list(output_size, n, fn, "output_size", 3)
    if not isinstance(samples, Tensor):
        raise TypeError(f"{fn}(): argument 'random_samples' (position 4) must be Tensor, not "
                        f"{_type_name(samples)}")
    what = "Ints" if n == 2 else "three Ints"
    if len(kernel) != n:
        raise RuntimeError(f"{fn}: kernel_size must either be a single Int or tuple of {what}")
    if len(out) != n:
        raise RuntimeError(f"{fn}: output_size must either be a single Int or tuple of {what}")
    shape = tuple(input.shape)
    where = f"{fn}()" if n == 2 else f"{fn}_out()"
    if len(shape) not in (n + 1, n + 2):
        raise RuntimeError(f"{where}: Expected {n + 1}D or {n + 2}D tensor, but got: {list(shape)}")
    for i in range(1, len(shape)):
        if shape[i] <= 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch dimensions, but "
                               f"got{list(shape)} with dimension {i} being empty.")
    in_size = shape[-n:]
    if n == 2:
        for name, o, k, size in (("height", out[0], kernel[0], in_size[0]), ("width", out[1], kernel[1], in_size[1])):
            if not o + k - 1 <= size:
                raise RuntimeError(f"{where}: pool {name} {k} too large relative to input {name} {size}")
    else:  # PyTorch's 3D check is one stricter than its 2D one
        for d, name in ((0, "time"), (2, "width"), (1, "height")):
            o, k, size = out[d], kernel[d], in_size[d]
            if not (k <= size and o + k - 1 < size):
                raise RuntimeError(f"{where}: pool {name} {k} too large relative to input {name} {size}")
    lead = shape[:-n]
    if any(o < 0 for o in out):
        bad = next(o for o in out if o < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {list(lead + out)}")
    # the samples: one row per sample of the batch (at least), one per channel, one value per spatial dim
    if samples._data.dtype != input._data.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    batch, channels = (1, shape[0]) if len(shape) == n + 1 else shape[:2]
    if not samples.shape[0] >= batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != n:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got {samples.shape[2]}.")
    empty = int(np.prod(lead + out)) == 0
    if not empty and input._data.dtype.name not in _FLOATS:
        raise NotImplementedError(f"\"{fn}_out_frame\" not implemented for '{_scalar_name(input._data.dtype)}'")
    u = samples._data[:batch].reshape(batch * channels, n)
    # the sample of each spatial dim: PyTorch's 2D kernel reads (W, H), its 3D one (T, H, W)
    column = (1, 0) if n == 2 else (0, 1, 2)
    starts = [_intervals(u[:, c], size, o, k) for c, size, o, k in zip(column, in_size, out, kernel)]
    if not empty:
        for s, size, k in zip(starts, in_size, kernel):
            if k > 0 and s.size and (s.min() < 0 or s.max() > size - k):
                raise RuntimeError(f"{fn}(): a pooling window falls outside the input (check _random_samples)")
    if empty and input._data.dtype.name not in _FLOATS:  # nothing to compute, nothing to differentiate
        values = Tensor._wrap(np.empty(lead + out, dtype=input._data.dtype))
        return values, Tensor._wrap(np.empty(lead + out, dtype=np.int64))
    values, indices = _FractionalMaxPool.apply(input, starts, kernel)
    return _labelled(values, True, f"FractionalMaxPool{n}DBackward0"), indices


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    r"""Fractional max pooling over the last 2 dims of a :math:`(N, C, H, W)` or :math:`(C, H, W)` input;
    returns ``(output, indices)``.

    :math:`y_{ij} = \max_{a < k_H, b < k_W} x_{s^H_i + a,\; s^W_j + b}` with the window starts :math:`s` of the
    module docstring, drawn per plane from ``_random_samples`` (shape :math:`(N, C, 2)`, the W sample first) or
    from npgrad's default generator. ``output_size`` :math:`(o_H, o_W)` needs :math:`o + k - 1 \le` the input
    size; ``output_ratio`` :math:`r` gives :math:`o = \lfloor L r \rfloor`. The indices are flat within each
    plane, :math:`h W + w`, as :func:`max_unpool2d` takes them.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x = npgrad.arange(25.0).reshape(1, 1, 5, 5)
        >>> u = npgrad.full((1, 1, 2), 0.5)
        >>> y, i = F.fractional_max_pool2d_with_indices(x, 2, output_size=3, _random_samples=u)
        >>> y.tolist()
        [[[[6.0, 8.0, 9.0], [16.0, 18.0, 19.0], [21.0, 23.0, 24.0]]]]
        >>> i.tolist()
        [[[[6, 8, 9], [16, 18, 19], [21, 23, 24]]]]
    """
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = _pair(output_ratio)
        output_size = [int(input.size(-2) * ratio[0]), int(input.size(-1) * ratio[1])]
    if _random_samples is None:
        _random_samples = _draw_samples(input, 2)
    return _fractional_max_pool(input, 2, kernel_size, output_size, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    r"""Fractional max pooling over the last 3 dims of a :math:`(N, C, T, H, W)` or :math:`(C, T, H, W)` input;
    returns ``(output, indices)``.

    As :func:`fractional_max_pool2d_with_indices` with one more dim: ``_random_samples`` has shape
    :math:`(N, C, 3)` in the order (T, H, W), ``output_size`` needs :math:`k \le L` and :math:`o + k - 1 < L`
    (PyTorch's 3D check), and the indices are :math:`(t H + h) W + w`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x = npgrad.arange(64.0).reshape(1, 1, 4, 4, 4)
        >>> u = npgrad.full((1, 1, 3), 0.5)
        >>> F.fractional_max_pool3d_with_indices(x, 2, output_size=2, _random_samples=u)[1].flatten().tolist()
        [21, 23, 29, 31, 53, 55, 61, 63]
    """
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool3d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = _triple(output_ratio)
        output_size = [int(input.size(-3) * ratio[0]), int(input.size(-2) * ratio[1]),
                       int(input.size(-1) * ratio[2])]
    if _random_samples is None:
        _random_samples = _draw_samples(input, 3)
    return _fractional_max_pool(input, 3, kernel_size, output_size, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r"""Fractional max pooling over the last 2 dims: :func:`fractional_max_pool2d_with_indices`, whose output
    alone comes back unless ``return_indices``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.fractional_max_pool2d(npgrad.randn(2, 3, 10, 9), 3, output_ratio=(0.5, 0.5)).shape
        npgrad.Size([2, 3, 5, 4])
    """
    out = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, return_indices,
                                             _random_samples)
    return out if return_indices else out[0]


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r"""Fractional max pooling over the last 3 dims: :func:`fractional_max_pool3d_with_indices`, whose output
    alone comes back unless ``return_indices``.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.fractional_max_pool3d(npgrad.randn(2, 3, 8, 9, 7), 2, output_size=(4, 5, 3)).shape
        npgrad.Size([2, 3, 4, 5, 3])
    """
    out = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, return_indices,
                                             _random_samples)
    return out if return_indices else out[0]
