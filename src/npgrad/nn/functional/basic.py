"""The math of the basic layers: linear, activations, softmax, dropout, embedding, normalisation."""
from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import repeat

import numpy as np

from ...autograd.function import ArrayFunction as Function
from ... import memory
from ...ops import elementwise as E
from ...tensor import _C_NAMES, Tensor, _labelled, _raw, _wrap_dim

__all__ = ["linear", "bilinear", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu",
           "selu_", "celu", "celu_", "gelu", "silu", "mish", "sigmoid", "tanh", "softplus", "softsign", "hardtanh",
           "hardtanh_", "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "softshrink", "hardshrink",
           "threshold", "threshold_", "glu", "prelu", "rrelu", "rrelu_", "softmax", "softmin", "log_softmax",
           "gumbel_softmax", "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout", "embedding", "one_hot", "layer_norm", "rms_norm", "batch_norm",
           "instance_norm", "group_norm", "local_response_norm", "normalize", "pad", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "cosine_similarity",
           "pairwise_distance", "pdist"]


def _ntuple(n):
    """An iterable as a tuple, a single value repeated ``n`` times (the parser of PyTorch's ``_pair`` & co)."""

    def parse(x):
        if isinstance(x, Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    return parse


_single, _pair, _triple = _ntuple(1), _ntuple(2), _ntuple(3)


# --------------------------------------------------------------------------- linear


class _Linear(Function):
    """y = x Wᵀ + b in one node (the hottest op of an MLP)."""

    @staticmethod
    def forward(ctx, x, w, b):
        if x.shape[-1] != w.shape[1]:
            rows = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                               f"{w.shape[1]}x{w.shape[0]})")
        ctx.save_for_backward(x, w)
        ctx.grads_owned = True  # backward hands over fresh arrays nobody else holds: a leaf adopts them
        y = np.matmul(x, w.T, out=memory.empty(x.shape[:-1] + w.shape[:1], np.result_type(x, w)))
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = None
        if ctx.needs_input_grad[0]:
            gx = np.matmul(g, w, out=memory.empty(g.shape[:-1] + w.shape[1:], np.result_type(g, w)))
        gw = gb = None
        rows = math.prod(g.shape[:-1])     # explicit: a -1 cannot be inferred when a size is 0
        if ctx.needs_input_grad[1]:
            gw = np.matmul(g.reshape(rows, g.shape[-1]).T, x.reshape(rows, x.shape[-1]),
                           out=memory.empty(w.shape, np.result_type(g, x)))
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            gb = g.reshape(rows, g.shape[-1]).sum(0)
        return gx, gw, gb

    @staticmethod
    def graph_backward(ctx, saved, g):
        x_array, w_array = ctx.saved_tensors
        x, w = saved.input(0, x_array), saved.input(1, w_array)
        rows = math.prod(g.shape[:-1])
        g2 = g.reshape(rows, g.shape[-1])
        gx = g @ w if ctx.needs_input_grad[0] else None
        gw = g2.t() @ x.reshape(rows, x.shape[-1]) if ctx.needs_input_grad[1] else None
        gb = g2.sum(0) if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2] else None
        return gx, gw, gb


def linear(input, weight, bias=None):
    r"""Affine map :math:`y = x W^\top + b`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.linear(npgrad.ones(2, 3), npgrad.ones(4, 3)).shape
        npgrad.Size([2, 4])
    """
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.ndim}D and "
                           f"{weight.ndim}D")
    if input._data.dtype != weight._data.dtype:
        if bias is None:
            _check_mm_dtypes(input, weight)
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dtype_name(input)} and "
                           f"{_dtype_name(weight)}")
    if weight.ndim == 1:
        out = input @ weight
        return out + bias if bias is not None else out
    if bias is not None and bias.ndim == 1 and bias.shape[0] not in (1, weight.shape[0]):
        rows = int(np.prod(input.shape[:-1]))
        raise RuntimeError(f"The expanded size of the tensor ({weight.shape[0]}) must match the existing size "
                           f"({bias.shape[0]}) at non-singleton dimension 1.  Target sizes: [{rows}, "
                           f"{weight.shape[0]}].  Tensor sizes: [{bias.shape[0]}]")
    return _Linear.apply(input, weight, bias)


def _c_name(t):
    """The C++ name of a tensor's element type, as in some of PyTorch's messages."""
    return _C_NAMES.get(t._data.dtype.name, t._data.dtype.name)


def _check_mm_dtypes(input, weight):
    """PyTorch's dtype check of ``mm``, the product of a linear map without a bias."""
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c_name(input)} != "
                           f"{_c_name(weight)}")


def bilinear(input1, input2, weight, bias=None):
    r""":math:`y_k = x_1^\top A_k x_2 + b_k` over the last dim of both inputs (the other dims must agree)."""
    from ...tensor import einsum

    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{input1.shape[i]} and {input2.shape[i]}")
    for k, x in ((1, input1), (2, input2)):
        if x.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got {x.shape[-1]} but "
                               f"expected {weight.shape[k]}")
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                           f"{weight.shape[0]}")
    out = einsum("bi,kij,bj->bk", input1.reshape(-1, input1.shape[-1]), weight,
                 input2.reshape(-1, input2.shape[-1]))
    out = out.reshape(*input1.shape[:-1], weight.shape[0])
    return out + bias if bias is not None else out


# --------------------------------------------------------------------------- activations


def _unary(fn, input, inplace, names=(None, None)):
    """``fn(input)``, written back into ``input`` when ``inplace``; ``names`` are PyTorch's names of the node
    (out of place, in place) where they are not already ``fn``'s."""
    name = names[1] if inplace else names[0]
    if name is None:
        return input._apply_inplace((fn,)) if inplace else fn(input)

    def named(s):       # the node named as it is made (a fresh one)
        return _labelled(fn(s), True, name)
    return input._apply_inplace((named,)) if inplace else named(input)


def relu(input, inplace=False):
    r""":math:`\max(0, x)`."""
    return _unary(E.Relu.apply, input, inplace)


def relu_(input):
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    r""":math:`\min(\max(0, x), 6)`: :func:`hardtanh` on :math:`[0, 6]`."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    r""":math:`x` for :math:`x > 0`, else :math:`\text{negative\_slope} \cdot x`."""
    return _unary(lambda s: E.LeakyRelu.apply(s, negative_slope), input, inplace, (None, "LeakyReluBackward1"))


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)` (Clevert et al., 2015)."""
    return _unary(lambda s: E.Elu.apply(s, alpha), input, inplace, (None, "EluBackward1"))


def elu_(input, alpha=1.0):
    """In-place :func:`elu`."""
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    r""":math:`\lambda\,\mathrm{ELU}_\alpha(x)` with Klambauer et al.'s constants."""
    return _unary(lambda s: E.Elu.apply(s, _SELU_ALPHA, _SELU_SCALE), input, inplace, (None, "EluBackward1"))


def selu_(input):
    """In-place :func:`selu`."""
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    r""":math:`\max(0,x) + \min(0, \alpha(e^{x/\alpha} - 1))`."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # PyTorch's derivative of CELU divides by alpha rounded to float32 (``1.0 / alpha.toFloat()``)
    return _unary(lambda s: E.Elu.apply(s, alpha, 1.0, alpha, float(np.float32(alpha))), input, inplace,
                  ("CeluBackward0", "CeluBackward1"))


def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    return celu(input, alpha, True)


def gelu(input, approximate="none"):
    r""":math:`x\,\Phi(x)` (Hendrycks & Gimpel, 2016); ``approximate='tanh'`` uses the tanh form."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return E.Gelu.apply(input, approximate)


def silu(input, inplace=False):
    r""":math:`x\,\sigma(x)` (swish)."""
    return _unary(E.Silu.apply, input, inplace)


def _mish_reference(x, grad):
    """Mish in NumPy, PyTorch's formulas: :math:`x \\tanh(\\mathrm{softplus}(x))` and its derivative
    :math:`t + x \\sigma(x)(1 - t^2)`, :math:`t = \\tanh(\\mathrm{softplus}(x))`."""
    t = np.tanh(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))
    y = x * t
    return y, (t + x * E.sigmoid_array(x) * (1 - t * t) if grad else None)


class _Mish(Function):
    """:math:`x \\tanh(\\mathrm{softplus}(x))`; forward writes y and dy/dx in one pass."""

    @staticmethod
    def forward(ctx, x):
        y, d = E.with_derivative(ctx, x, "mish", _mish_reference)
        ctx.save_for_backward(d)
        ctx.x = x       # for a recorded backward (create_graph)
        return y

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return E.times_derivative(g, d)

    @staticmethod
    def graph_backward(ctx, saved, g):
        x = saved.input(0, ctx.x)
        t = E.Softplus.apply(x).tanh()
        return g * (t + x * x.sigmoid() * (1 - t * t))


def mish(input, inplace=False):
    r""":math:`x \tanh(\mathrm{softplus}(x))` (Misra, 2019)."""
    return _unary(_Mish.apply, input, inplace)


def sigmoid(input):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`."""
    return input.sigmoid()


def tanh(input):
    r""":math:`\tanh(x)`."""
    return input.tanh()


def softplus(input, beta=1.0, threshold=20.0):
    r""":math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, linear where :math:`\beta x >` threshold."""
    return E.Softplus.apply(input, beta, threshold)


def softsign(input):
    r""":math:`x / (1 + |x|)`."""
    return input / (1 + input.abs())


class _Hardtanh(Function):
    """:math:`\\min(\\max(x, a), b)` (NaN stays NaN); the gradient is 0 at and beyond the two corners and at NaN."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.grads_owned = True      # backward returns a fresh array: a leaf may adopt it
        ctx.bounds = (lo, hi)
        if E.use_activation_kernel(x):
            return E.activation_kernels().hardtanh(x, lo, hi)
        return np.minimum(np.maximum(x, lo), hi).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        if E.use_activation_kernel(x):
            return E.activation_kernels().hardtanh_backward(g, x, lo, hi), None, None
        return np.where((x > lo) & (x < hi), g, 0).astype(g.dtype, copy=False), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return E._keep((x > lo) & (x < hi), g, saved.input(0, x)), None, None


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    r""":math:`\min(\max(x, \text{min\_val}), \text{max\_val})`."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _unary(lambda s: _Hardtanh.apply(s, min_val, max_val), input, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, True)


_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))  # PyTorch's single-precision 1/6 in the gradient


class _Hardsigmoid(Function):
    """:math:`\\min(\\max(x + 3, 0), 6) / 6`; gradient 1/6 on :math:`(-3, 3)`, else 0 (and 0 at NaN)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.grads_owned = True      # backward returns a fresh array: a leaf may adopt it
        if E.use_activation_kernel(x):
            return E.activation_kernels().hardsigmoid(x)
        return (np.minimum(np.maximum(x + 3, 0), 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if E.use_activation_kernel(x):
            return E.activation_kernels().hardsigmoid_backward(g, x, _ONE_SIXTH)
        return np.where((x > -3) & (x < 3), g * _ONE_SIXTH, 0).astype(g.dtype, copy=False)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return E._keep((x > -3) & (x < 3), g * _ONE_SIXTH, saved.input(0, x))


class _Hardswish(Function):
    """:math:`x \\min(\\max(x + 3, 0), 6) / 6`; gradient 0 for :math:`x \\le -3`, :math:`x/3 + 1/2` below 3,
    1 from 3 on (NaN at NaN, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        if E.use_activation_kernel(x):
            return E.activation_kernels().hardswish(x)
        ctx.grads_owned = True      # backward returns a fresh array: a leaf may adopt it
        with np.errstate(over="ignore", invalid="ignore"):   # inf * 0 is NaN, silently as in PyTorch
            return (x * np.minimum(np.maximum(x + 3, 0), 6) / 6).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if E.use_activation_kernel(x):
            return E.activation_kernels().hardswish_backward(g, x)
        with np.errstate(invalid="ignore"):
            inner = np.where(x >= 3, g, g * (x / 3 + 0.5))
        return np.where(x <= -3, 0, inner).astype(g.dtype, copy=False)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x_array,) = ctx.saved_tensors
        x = saved.input(0, x_array)
        middle = (x_array > -3) & (x_array < 3)
        return E._keep(middle, g * (x / 3 + 0.5)) + E._keep(x_array >= 3, g)


def hardsigmoid(input, inplace=False):
    r""":math:`0` for :math:`x \le -3`, :math:`1` for :math:`x \ge 3`, else :math:`x/6 + 1/2`."""
    return _unary(_Hardsigmoid.apply, input, inplace)


def hardswish(input, inplace=False):
    r""":math:`x \cdot \mathrm{hardsigmoid}(x)` (Howard et al., 2019, MobileNetV3)."""
    return _unary(_Hardswish.apply, input, inplace)


def logsigmoid(input):
    r""":math:`\log \sigma(x)`, computed stably."""
    return E.LogSigmoid.apply(input)


def _tanhshrink_reference(x, grad):
    """:math:`x - \\tanh x` and :math:`\\operatorname{sech}^2 x = 1 - \\tanh^2 x`, in NumPy."""
    t = np.tanh(x)
    return x - t, (1 - t * t if grad else None)


class _Tanhshrink(Function):
    """:math:`x - \\tanh x`; forward computes :math:`\\operatorname{sech}^2 x` too, backward gives
    PyTorch's gradient of its composition: :math:`g - g \\operatorname{sech}^2 x`."""

    @staticmethod
    def forward(ctx, x):
        y, sech2 = E.with_derivative(ctx, x, "tanhshrink", _tanhshrink_reference)
        ctx.save_for_backward(sech2)
        ctx.x = x       # for a recorded backward (create_graph)
        return y

    @staticmethod
    def backward(ctx, g):
        (sech2,) = ctx.saved_tensors
        if E.use_activation_kernel(sech2):
            return E.activation_kernels().tanhshrink_backward(g, sech2)
        return g - g * sech2

    @staticmethod
    def graph_backward(ctx, saved, g):
        t = saved.input(0, ctx.x).tanh()
        return g - g * (1 - t * t)


def tanhshrink(input):
    r""":math:`x - \tanh(x)`."""
    return _labelled(_Tanhshrink.apply(input), True, "SubBackward0")    # PyTorch's x - tanh(x)


class _Shrink(Function):
    """Softshrink (:math:`x - \\mathrm{clamp}(x, -\\lambda, \\lambda)`) or hardshrink (0 where
    :math:`|x| \\le \\lambda`, else :math:`x`); NaN stays NaN. The gradient passes where :math:`|x| > \\lambda`
    (not at NaN, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, lambd, soft):
        ctx.save_for_backward(x)
        ctx.grads_owned = True      # backward returns a fresh array: a leaf may adopt it
        ctx.lambd = lambd
        if E.use_activation_kernel(x):
            kernels = E.activation_kernels()
            return (kernels.softshrink if soft else kernels.hardshrink)(x, lambd)
        if soft:
            return (x - np.clip(x, -lambd, lambd)).astype(x.dtype, copy=False)
        return np.where((x >= -lambd) & (x <= lambd), 0, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lambd = ctx.lambd
        if E.use_activation_kernel(x):
            return E.activation_kernels().shrink_backward(g, x, lambd), None, None
        return np.where((x > lambd) | (x < -lambd), g, 0).astype(g.dtype, copy=False), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return E._keep((x > ctx.lambd) | (x < -ctx.lambd), g, saved.input(0, x)), None, None


class _Softshrink(_Shrink):
    """:func:`softshrink` (its own class for the name of the backward node, as in PyTorch)."""


class _Hardshrink(_Shrink):
    """:func:`hardshrink` (its own class for the name of the backward node, as in PyTorch)."""


def softshrink(input, lambd=0.5):
    r""":math:`x - \lambda` for :math:`x > \lambda`, :math:`x + \lambda` for :math:`x < -\lambda`, else 0."""
    if lambd < 0:
        info = np.finfo(input._data.dtype) if input._data.dtype.kind == "f" else np.finfo(np.float32)
        names = {"float32": "Float", "float64": "Double", "float16": "Half"}
        raise RuntimeError(f"lambda must be in range [0, {float(info.max):g}] for input dtype "
                           f"{names.get(info.dtype.name, info.dtype.name)}, but found {lambd:g}")
    return _Softshrink.apply(input, lambd, True)


def hardshrink(input, lambd=0.5):
    r""":math:`x` where :math:`|x| > \lambda`, else 0."""
    return _Hardshrink.apply(input, lambd, False)


def _threshold(input, threshold, value, inplace=False):
    r""":math:`x` where :math:`x > \text{threshold}`, else ``value``."""
    return _unary(lambda s: s.where(s > threshold, value), input, inplace, ("ThresholdBackward0", "ThresholdBackward1"))


threshold = _threshold  # the argument named ``threshold`` hides the function inside its body


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return _threshold(input, threshold, value, True)


def glu(input, dim=-1):
    r"""Gated linear unit :math:`a \otimes \sigma(b)`, ``input`` split in halves :math:`a, b` along ``dim``
    (Dauphin et al., 2017)."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    a, b = input.chunk(2, d)
    return _labelled(a * b.sigmoid(), True, "GluBackward0")


def prelu(input, weight):
    r""":math:`\max(0, x) + w \min(0, x)`, one :math:`w` for all or one per channel (dim 1)."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    w = weight.reshape(()) if weight.numel() == 1 else weight
    if weight.numel() > 1:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
        w = weight.reshape([1, -1] + [1] * (input.ndim - 2))
    return _labelled(input.where(input > 0, input * w), True, "PreluKernelBackward0")


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    r"""Randomized leaky ReLU (Xu et al., 2015): :math:`x` for :math:`x > 0`, else :math:`a x` with
    :math:`a \sim U(\text{lower}, \text{upper})` per element while training and
    :math:`a = (\text{lower} + \text{upper}) / 2` otherwise."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    names = ("RreluWithNoiseBackward0", "RreluWithNoiseBackward1")
    if not training:
        negative_slope = (lower + upper) / 2
        return _unary(lambda s: E.LeakyRelu.apply(s, negative_slope), input, inplace, names)
    from ... import _sampling
    from ...random import default_generator

    # as PyTorch: one float64 uniform slope for each element <= 0, in order, none for the others, between
    # the bounds as the input's dtype rounds them
    dtype = input._data.dtype
    drawn = input._data <= 0
    lo, hi = float(dtype.type(lower)), float(dtype.type(upper))
    slopes = _sampling.uniform(default_generator, int(drawn.sum()), np.float64, lo, hi, fused=False)
    noise = np.ones(input.shape, dtype)
    noise[drawn] = slopes.astype(dtype)
    return _unary(lambda s: s * Tensor._wrap(noise), input, inplace, names)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, True)


def _softmax_dim(name, ndim, stacklevel):
    """The dimension PyTorch picks when ``dim`` is not given (with its deprecation warning)."""
    import warnings

    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    r""":math:`\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}` along ``dim``; ``dtype`` casts the input first."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return input.softmax(dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    r""":math:`\mathrm{softmax}(-x)` along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    return (-input).softmax(dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    r""":math:`x_i - \log \sum_j e^{x_j}` along ``dim``, without overflow."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return input.log_softmax(dim, dtype=dtype)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    r"""Samples of the Gumbel-softmax distribution (Jang et al., 2016; Maddison et al., 2016):
    :math:`y = \mathrm{softmax}((x + g) / \tau)` with :math:`g_i = -\log E_i`, :math:`E_i \sim \mathrm{Exp}(1)`.

    With ``hard=True`` the result is the one-hot of :math:`\arg\max y` in the forward pass and has the
    gradient of :math:`y` (:math:`y_{\text{hard}} - \mathrm{sg}(y) + y`).
    """
    if eps != 1e-10:
        import warnings

        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    from ... import _sampling
    from ...random import default_generator

    dtype = logits._data.dtype
    draws = _sampling.exponential(default_generator, logits.numel(), 1.0).astype(dtype).reshape(logits.shape)
    gumbels = Tensor._wrap(-np.log(draws))
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    d = _wrap_dim(dim, y_soft.ndim)
    index = np.expand_dims(np.argmax(y_soft._data, axis=d), d)
    y_hard = np.zeros(y_soft.shape, dtype=y_soft._data.dtype)
    np.put_along_axis(y_hard, index, 1.0, axis=d)
    return Tensor._wrap(y_hard) - y_soft.detach() + y_soft


# --------------------------------------------------------------------------- dropout


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_noise(input, noise, inplace, shift=None):
    """``input * noise (+ shift)``, in place when asked; ``noise`` broadcasts against ``input``."""
    dtype = input._data.dtype
    noise = Tensor._wrap(np.asarray(noise, dtype=dtype))
    if shift is None:
        return input.mul_(noise) if inplace else input * noise
    shift = Tensor._wrap(np.asarray(shift, dtype=dtype))
    return _unary(lambda s: s * noise + shift, input, inplace)


def _dropout(input, p, training, inplace, noise_shape, alpha, generator=None):
    """PyTorch's dropout kernel: zero with probability ``p`` and rescale, or, with ``alpha``, set to SELU's
    saturation value and restore zero mean and unit variance; ``noise_shape(input)`` is the mask's shape."""
    if p == 0.0 or not training or input.numel() == 0:
        return input
    shape = noise_shape(input)
    if p == 1.0:
        return _apply_noise(input, 0.0, inplace)
    from ... import _sampling
    from ...random import gen
    from ... import _layout
    from ...tensor import _fill_in_memory_order

    # the mask as PyTorch draws it (``noise.bernoulli_(1 - p)`` into a tensor of the input's layout, or a new
    # contiguous one of one entry per channel), then its scaling in the input's dtype
    real = input._data.dtype.type
    keep = _layout.empty_like(input._data) if tuple(shape) == tuple(input.shape) else np.empty(shape,
                                                                                              input._data.dtype)
    _fill_in_memory_order(keep, _sampling.bernoulli_scalar(gen(generator), keep.size, 1.0 - p).astype(keep.dtype))
    if not alpha:
        return _apply_noise(input, keep / real(1.0 - p), inplace)
    sat = _SELU_ALPHA * _SELU_SCALE
    a = 1.0 / math.sqrt((sat * sat * p + 1) * (1 - p))
    return _apply_noise(input, keep * real(a), inplace, (keep - real(1)) * real(sat * a) + real(sat * a * p))


def _feature_shape(input):
    """One mask entry per (sample, channel)."""
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return tuple(input.shape[:2]) + (1,) * (input.ndim - 2)


def _unbatched_feature_shape(input):
    """One mask entry per channel of an input without batch dimension."""
    if input.ndim < 1:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return (input.shape[0],) + (1,) * (input.ndim - 1)


def _element_shape(input):
    return tuple(input.shape)


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    r"""Zero each element with probability :math:`p`, scale the rest by :math:`1/(1-p)` (Srivastava et al., 2014)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, _element_shape, False, generator)


def _channel_dropout(input, p, training, inplace, batched):
    """Dropout of whole channels: dim 1 of a batched input, dim 0 of an unbatched one."""
    return _dropout(input, p, training, inplace, _feature_shape if batched else _unbatched_feature_shape, False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    r"""Zero whole channels of ``(N, C, L)`` or ``(C, L)`` input with probability :math:`p`, scale the rest by
    :math:`1/(1-p)`."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, input.ndim == 3)


def _warn_channel_dims(name, ndim, spatial):
    import warnings

    warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will result in an error "
                  "in a future release. To retain the behavior and silence this warning, please use dropout "
                  f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial} "
                  f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {spatial + 1}D "
                  f"or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    r"""Zero whole channels (dim 1) of ``(N, C, H, W)`` input with probability :math:`p`, scale the rest by
    :math:`1/(1-p)`. A 3-D input is read as ``(N, C, L)``, as in PyTorch."""
    import warnings

    _check_p(p)
    if input.ndim not in (3, 4):
        _warn_channel_dims("dropout2d", input.ndim, 2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    r"""Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input with probability :math:`p`, scale
    the rest by :math:`1/(1-p)`."""
    _check_p(p)
    if input.ndim not in (4, 5):
        _warn_channel_dims("dropout3d", input.ndim, 3)
    return _channel_dropout(input, p, training, inplace, input.ndim == 5)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    r"""Alpha dropout (Klambauer et al., 2017): dropped elements become :math:`-\lambda\alpha` (SELU's saturation
    value :math:`\alpha'`), then :math:`y = a(x m + \alpha'(1 - m)) + b` with
    :math:`a = ((1-p)(1 + p\alpha'^2))^{-1/2}` and :math:`b = -a \alpha' p` keep zero mean and unit variance."""
    _check_p(p)
    return _dropout(input, p, training, inplace, _element_shape, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    r""":func:`alpha_dropout` of whole channels (dim 1)."""
    _check_p(p)
    return _dropout(input, p, training, inplace, _feature_shape, True)


# --------------------------------------------------------------------------- embedding


class _Embedding(Function):
    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad):
        ctx.c = (weight.shape, idx, padding_idx, scale_grad)
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        shape, idx, padding_idx, scale_grad = ctx.c
        flat_idx = idx.reshape(-1)
        flat_g = g.reshape(-1, shape[1])
        if scale_grad:
            counts = np.bincount(flat_idx, minlength=shape[0]).astype(g.dtype)
            flat_g = flat_g / counts[flat_idx][:, None]
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, flat_idx, flat_g)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """The row sums as a recorded linear map of ``g``; its gradient looks the rows up again (0 at
        ``padding_idx``). As in PyTorch, ``scale_grad_by_freq`` scales the first backward only: it is a
        rescaling of the update, not part of a derivative."""
        from ...autograd.graph import LinearMap

        shape, idx, padding_idx, _ = ctx.c
        keep = np.ones((shape[0], 1), dtype=g._data.dtype)
        if padding_idx is not None:
            keep[padding_idx] = 0
        return LinearMap.apply(g, _Embedding.backward, ctx, 0,
                               lambda gg: _Embedding.apply(gg * keep, idx, None, False)), None, None, None


_LEGACY_TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
                      "uint8": "torch.ByteTensor", "int8": "torch.CharTensor", "int16": "torch.ShortTensor",
                      "bool": "CPUBoolType"}


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    r"""Rows of ``weight`` picked by the integer ``input``: :math:`y = W[i]`.

    ``padding_idx``: that row gets no gradient. ``max_norm``: the rows looked up are first rescaled in place
    to :math:`p`-norm at most ``max_norm`` (:math:`w \leftarrow w \cdot \text{max\_norm} / (\lVert w \rVert_p
    + 10^{-7})`). ``scale_grad_by_freq``: each row's gradient is divided by its count in ``input``.
    """
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += n
    idx = _raw(input)
    if max_norm is not None:
        rows = np.unique(idx)
        with np.errstate(all="ignore"):     # an infinite row becomes NaN (inf * 0), silently as in PyTorch
            norms = np.linalg.norm(weight._data[rows], ord=norm_type, axis=1)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            weight._data[rows] *= scale[:, None].astype(weight._data.dtype)
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.dtype not in (np.int64, np.int32):
        name = _LEGACY_TYPE_NAMES.get(idx.dtype.name, idx.dtype.name)
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {name} instead (while checking arguments for embedding)")
    if idx.size and (idx.max() >= n or idx.min() < 0):
        raise IndexError("index out of range in self")
    return _Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """Class indices (int64) of any shape to one-hot rows: shape ``(*, num_classes)``, int64."""
    idx = _raw(tensor)
    if idx.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if not idx.size:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._wrap(np.zeros(idx.shape + (num_classes,), dtype=np.int64))
    if idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1
    elif idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap(np.eye(num_classes, dtype=np.int64)[idx])


# --------------------------------------------------------------------------- normalisation


class _LayerNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        mean = x.mean(axis=dims, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=dims, keepdims=True)
        rstd = 1.0 / np.sqrt(var + eps)
        xhat = xc * rstd
        ctx.c = (xhat, rstd, weight, dims)
        ctx.x, ctx.eps = x, eps      # for a recorded backward (create_graph)
        y = xhat
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        return np.ascontiguousarray(y, dtype=x.dtype)     # C order whatever x's layout, as PyTorch's

    @staticmethod
    def backward(ctx, g):
        xhat, rstd, weight, dims = ctx.c
        lead = tuple(range(xhat.ndim - len(dims)))
        gw = (g * xhat).sum(axis=lead) if weight is not None and ctx.needs_input_grad[1] else None
        gb = g.sum(axis=lead) if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2] else None
        gx = None
        if ctx.needs_input_grad[0]:
            gh = g * weight if weight is not None else g
            m1 = gh.mean(axis=dims, keepdims=True)
            m2 = (gh * xhat).mean(axis=dims, keepdims=True)
            gx = rstd * (gh - m1 - xhat * m2)
        return gx, gw, gb, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """The same formulas on Tensors, with :math:`\\hat x` and :math:`1/\\sigma` recomputed from the input."""
        _, _, weight, dims = ctx.c
        x = saved.input(0, ctx.x)
        xc = x - x.mean(dims, keepdim=True)
        rstd = 1.0 / ((xc * xc).mean(dims, keepdim=True) + ctx.eps).sqrt()
        xhat = xc * rstd
        lead = tuple(range(x.ndim - len(dims)))
        gw = (g * xhat).sum(lead) if weight is not None and ctx.needs_input_grad[1] else None
        gb = g.sum(lead) if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2] else None
        gx = None
        if ctx.needs_input_grad[0]:
            gh = g * saved.input(1, weight) if weight is not None else g
            gx = rstd * (gh - gh.mean(dims, keepdim=True) - xhat * (gh * xhat).mean(dims, keepdim=True))
        return gx, gw, gb, None, None


def _norm_shape(input, normalized_shape, weight, bias, sep):
    """Check ``normalized_shape`` (and the affine parameters) against the input as PyTorch does."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*{sep}"
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    return tuple(range(input.ndim - len(shape), input.ndim))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r""":math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta` over the last dims
    (Ba et al., 2016)."""
    dims = _norm_shape(input, normalized_shape, weight, bias, ", ")
    return _LayerNorm.apply(input, weight, bias, dims, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    r""":math:`y = x / \sqrt{\mathrm{mean}(x^2) + \epsilon} \cdot \gamma` over the last dims; ``eps`` defaults to
    the machine epsilon of the input's dtype (Zhang & Sennrich, 2019)."""
    dims = _norm_shape(input, normalized_shape, weight, None, "")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def _check_channels(name, expected, t):
    if t is not None and t.numel() != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {t.numel()}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    r""":math:`y = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} \gamma + \beta` per channel (Ioffe & Szegedy, 2015).

    In training the batch statistics are used and the running ones (when given) updated in place,
    :math:`r \leftarrow (1 - m) r + m s` with the unbiased batch variance; in eval the running
    statistics are used.
    """
    if training:
        n = input.numel() // input.shape[1] if input.ndim > 1 and input.shape[1] else 0
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_torch_size(input.shape)}")
    channels = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
        _check_channels(name, channels, t)
    _check_channels("weight", channels, weight)
    _check_channels("bias", channels, bias)
    dims = (0,) + tuple(range(2, input.ndim))
    shape = [1, -1] + [1] * (input.ndim - 2)
    if training:
        mean = input.mean(dims)
        var = input.var(dims, unbiased=False)
        m = momentum
        if running_mean is not None:
            running_mean._data[...] = (1 - m) * running_mean._data + m * mean._data
        if running_var is not None:
            running_var._data[...] = (1 - m) * running_var._data + m * var._data * n / (n - 1)
    else:
        mean, var = running_mean.detach(), running_var.detach()
    y = (input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return _labelled(y, True, "NativeBatchNormBackward0")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    r""":math:`y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \gamma + \beta` with the statistics of each
    (sample, channel) over the spatial dims (Ulyanov et al., 2016).

    With ``use_input_stats`` the running statistics, when given, are updated in place with the mean over
    the batch of the per-instance updates; otherwise they are used instead of the input's.
    """
    if use_input_stats:
        spatial = int(np.prod(input.shape[2:]))
        if spatial == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{_torch_size(input.shape)}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    b, c = input.shape[0], input.shape[1]
    x = input.reshape(1, b * c, *input.shape[2:])
    stats = [None if t is None else Tensor._wrap(np.tile(t._data, b)) for t in (running_mean, running_var)]
    y = batch_norm(x, stats[0], stats[1], None, None, use_input_stats, momentum, eps).reshape(input.shape)
    if use_input_stats:
        for t, s in zip((running_mean, running_var), stats):
            if t is not None:
                t._data[...] = s._data.reshape(b, c).mean(0)
    shape = [1, -1] + [1] * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return _labelled(y, True, "ViewBackward0")     # PyTorch: a batch norm of the reshaped input, reshaped back


def _torch_size(shape):
    from .loss import _size

    return _size(shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    r""":math:`y = \frac{x - \mu_g}{\sqrt{\sigma_g^2 + \epsilon}} \gamma + \beta` with the statistics of each
    group of ``C / num_groups`` channels of each sample (Wu & He, 2018)."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t.shape)} and input of shape {list(input.shape)}")
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    y = ((x - mean) * (var + eps).rsqrt()).reshape(input.shape)
    shape = [1, -1] + [1] * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return _labelled(_layout_of(y, input), True, "NativeGroupNormBackward0")


def _layout_of(y, input):
    """``y`` laid out channels-last when ``input`` is, as PyTorch's group norm and pixel shuffles give it."""
    from ... import _layout

    fmt = _layout.suggest(input._data)
    return y if fmt is _layout.contiguous_format else y.contiguous(memory_format=fmt)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    r"""Local response normalisation across channels (Krizhevsky et al., 2012):
    :math:`y_c = x_c \big/ \big(k + \frac{\alpha}{n} \sum_{c'} x_{c'}^2\big)^{\beta}`, the sum over the
    ``n = size`` channels :math:`c - \lfloor n/2 \rfloor \le c' \le c + \lfloor (n-1)/2 \rfloor` (zero outside)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality{' ' * 26}input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, widths)
    total = padded[:, 0:c]
    for i in range(1, size):
        total = total + padded[:, i:i + c]
    return input / (total / size * alpha + k) ** beta


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    r""":math:`v / \max(\lVert v \rVert_p, \epsilon)` along ``dim``."""
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


# --------------------------------------------------------------------------- padding and reshuffles


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _padded_index(mode, size, lo, hi):
    """Source positions of the ``size + lo + hi`` outputs along one dimension."""
    k = np.arange(-lo, size + hi)
    if mode == "reflect":
        k = np.abs(k)
        return np.where(k >= size, 2 * (size - 1) - k, k)
    if mode == "replicate":
        return np.clip(k, 0, size - 1)
    start = max(-lo, 0)              # circular: wrap around what is left after cropping
    kept = size - start - max(-hi, 0)
    return start + np.arange(-max(lo, 0), kept + max(hi, 0)) % kept


def pad(input, pad, mode="constant", value=None):
    r"""Pad the last ``len(pad) // 2`` dims; ``pad = (left, right, top, bottom, front, back)`` from the last dim
    backwards (negative entries crop).

    ``constant`` fills with ``value`` (any number of dims). ``reflect`` mirrors without repeating the
    edge, ``replicate`` repeats the edge, ``circular`` wraps around: as in PyTorch these pad the last
    1, 2 or 3 dims of a 2D/3D, 3D/4D or 4D/5D input.
    """
    from ...ops.shape import Pad

    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    for i, w in enumerate(pad):
        if not isinstance(w, (int, np.integer)):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(w).__name__} at pos {i}")
    pad = tuple(int(w) for w in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    n = len(pad) // 2
    if mode == "constant":
        for i in range(n):
            if input.shape[input.ndim - 1 - i] + pad[2 * i] + pad[2 * i + 1] < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        return Pad.apply(input, pad, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if n not in (1, 2, 3) or input.ndim not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode != "circular" and 0 in input.shape[input.ndim - n - 1:]:  # only the batch dim may be empty
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(input.shape)}")
    out = input
    for i in range(n):
        d = input.ndim - 1 - i
        size, lo, hi = input.shape[d], pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                               f"{list(input.shape)}")
        if mode == "circular":
            if lo > size or hi > size:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if size + lo + hi < 0 or (size + lo + hi > 0 and size - max(-lo, 0) - max(-hi, 0) <= 0):
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        if mode != "circular" and n == 1 and size + lo + hi < 1:
            raise RuntimeError(f"input (W: {size}) is too small. Calculated output W: {size + lo + hi}")
        out = out.index_select(d, Tensor._wrap(_padded_index(mode, size, lo, hi)))
    # PyTorch's kernels: ReflectionPad2DBackward0 ...; circular padding writes slices into a new tensor
    name = {"reflect": f"ReflectionPad{n}DBackward0", "replicate": f"ReplicationPad{n}DBackward0"}.get(mode,
                                                                                                  "CopySlices")
    return _labelled(out, out is not input, name)


def pixel_shuffle(input, upscale_factor):
    r""":math:`(*, C r^2, H, W) \to (*, C, H r, W r)` (Shi et al., 2016):
    ``out[..., c, h*r + i, w*r + j] = in[..., c*r*r + i*r + j, h, w]``."""
    r = upscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return _labelled(_layout_of(x.reshape(*lead, c // (r * r), h * r, w * r), input), True, "PixelShuffleBackward0")


def pixel_unshuffle(input, downscale_factor):
    r"""The inverse of :func:`pixel_shuffle`: :math:`(*, C, H r, W r) \to (*, C r^2, H, W)`."""
    r = downscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{w} is not divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return _labelled(_layout_of(x.reshape(*lead, c * r * r, h // r, w // r), input), True, "PixelUnshuffleBackward0")


def channel_shuffle(input, groups):
    r"""Interleave the channels of ``groups`` groups (Zhang et al., 2017, ShuffleNet): the input viewed as
    ``(N, g, C/g, *)`` is transposed to ``(N, C/g, g, *)``, so output channel :math:`i g + j` is input channel
    :math:`j (C/g) + i`."""
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    out = input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(input.shape)
    return _labelled(out, True, "ChannelShuffleBackward0")


native_channel_shuffle = channel_shuffle


# --------------------------------------------------------------------------- distances


class _CosineSimilarity(Function):
    r"""PyTorch's form: :math:`\sum_d \frac{x_1}{\max(\lVert x_1\rVert, \epsilon)} \frac{x_2}{\max(\lVert x_2\rVert,
    \epsilon)}`, the clamp counting as constant in the gradient (its derivative is that of the norm)."""

    @staticmethod
    def forward(ctx, x1, x2, dim, eps):
        n1 = np.sqrt((x1 * x1).sum(axis=dim, keepdims=True))
        n2 = np.sqrt((x2 * x2).sum(axis=dim, keepdims=True))
        c1, c2 = np.maximum(n1, eps), np.maximum(n2, eps)
        u1, u2 = x1 / c1, x2 / c2
        y = (u1 * u2).sum(axis=dim, keepdims=True)
        ctx.c = (x1, x2, n1, n2, c1, c2, u1, u2, y, dim)
        ctx.eps = eps
        return np.squeeze(y, axis=dim)

    @staticmethod
    def backward(ctx, g):
        x1, x2, n1, n2, c1, c2, u1, u2, y, dim = ctx.c
        g = np.expand_dims(g, dim)
        with np.errstate(divide="ignore", invalid="ignore"):
            d1 = np.where(n1 == 0, 0, x1 / n1)
            d2 = np.where(n2 == 0, 0, x2 / n2)
        g1 = g * u2 / c1 - g * y / c1 * d1
        g2 = g * u1 / c2 - g * y / c2 * d2
        return g1, g2, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): PyTorch's composite form differentiated at the same inputs, the
        clamp of each norm at ``eps`` counting as the identity in the gradient."""
        x1, x2, _, _, _, _, _, _, _, dim = ctx.c

        def clamped_norm(x):
            n = x.norm(2, dim, keepdim=True)
            return n + (n.detach().clamp(min=ctx.eps) - n.detach())

        def composed(a, b):
            return ((a / clamped_norm(a)) * (b / clamped_norm(b))).sum(dim)

        return (*saved.vjp(composed, [saved.input(0, x1), saved.input(1, x2)], (g,)), None, None)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    r""":math:`\frac{x_1 \cdot x_2}{\max(\lVert x_1 \rVert_2, \epsilon) \max(\lVert x_2 \rVert_2, \epsilon)}`
    along ``dim`` (each vector is divided by its norm first, as in PyTorch)."""
    from .loss import _broadcast

    x1, x2 = _broadcast(x1, x2)
    if not (x1.dtype.is_floating_point or x2.dtype.is_floating_point):
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_dtype_name(x1)}")
    # named as PyTorch's composite ends: a sum over ``dim``
    return _labelled(_CosineSimilarity.apply(x1, x2, _wrap_dim(dim, x1.ndim), eps), True, "SumBackward1")


def _dtype_name(t):
    from .loss import _type_name

    return _type_name(t)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    r""":math:`\lVert x_1 - x_2 + \epsilon \rVert_p` over the last dim."""
    from .loss import _broadcast

    x1, x2 = _broadcast(x1, x2)
    d = x1 - x2 + eps
    if d.ndim == 0:
        d = d.reshape(1)
        return _labelled(d.norm(p, dim=0, keepdim=False), True, "NormBackward1")
    return _labelled(d.norm(p, dim=-1, keepdim=keepdim), True, "NormBackward1")


def pdist(input, p=2):
    r""":math:`\lVert x_i - x_j \rVert_p` for every pair of rows :math:`i < j` of the ``(N, M)`` input, in row-major
    order: the upper triangle of ``cdist(input, input)``, shape :math:`N(N-1)/2`."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = (Tensor._wrap(k.astype(np.int64)) for k in np.triu_indices(input.shape[0], 1))
    return _labelled((input.index_select(0, i) - input.index_select(0, j)).norm(p, dim=1), True, "PdistBackward0")
