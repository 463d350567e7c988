"""Elementwise primitives: arithmetic, math functions and activations.

Their forwards run inside :meth:`ArrayFunction.apply` and their backwards inside a backward pass, both with
NumPy's floating-point warnings off: ``x / 0``, ``log(0)`` or an overflow give inf and NaN silently, as in
PyTorch."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import ArrayFunction as Function
from .. import _layout, memory

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _erf(x):
    from ..kernels.special import erf

    return erf(x)


# --------------------------------------------------------------------------- activations: shared machinery
# The activations built on exp, log or erf compute their output and its derivative d = dy/dx in one
# pass (backward is then g * d): through the fused kernels of ``npgrad.kernels.activation`` for large
# C-contiguous float32/float64 arrays, through their NumPy reference (``*_reference`` below) otherwise.
ACTIVATION_KERNEL_MIN_SIZE = 4096   # below this, a kernel call (~2 us) is not worth it
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def use_activation_kernel(x) -> bool:
    """Whether the fused activation kernels take ``x``: C-contiguous float32/float64, >= 4096 elements."""
    return x.dtype in _KERNEL_DTYPES and x.size >= ACTIVATION_KERNEL_MIN_SIZE and x.flags.c_contiguous


def activation_kernels():
    """The module of fused activation kernels (imports Numba on first use)."""
    from ..kernels import activation

    return activation


def with_derivative(ctx, x, kernel, reference, *params):
    """``(y, dy/dx)`` of an activation, dy/dx only when ``x`` needs a gradient (else None):
    ``activation_kernels().<kernel>(x, grad, *params)`` where it applies, ``reference(x, grad, *params)``
    otherwise."""
    grad = ctx.needs_input_grad[0]
    ctx.grads_owned = True      # the backward, g * d, is a fresh array: a leaf may adopt it
    if use_activation_kernel(x):
        return getattr(activation_kernels(), kernel)(x, grad, *params)
    return reference(x, grad, *params)


def _keep(mask, g, anchor=None):
    """``g`` where ``mask`` holds and 0 elsewhere, as a recorded select (an infinite ``g`` elsewhere still gives 0).

    ``anchor``: the input the mask was read from; it receives a zero gradient, as PyTorch's double backward of a
    piecewise-linear op gives its input (so a parameter behind it gets ``.grad`` zeros, not None).
    """
    if anchor is None or not anchor.requires_grad:
        return Where.apply(np.asarray(mask), g, np.zeros((), g._data.dtype))
    return _MaskedGradient.apply(np.asarray(mask), g, anchor)


class _MaskedGradient(Function):
    """``where(mask, g, 0)`` whose gradient is ``where(mask, gg, 0)`` for ``g`` and zeros for ``anchor``."""

    @staticmethod
    def forward(ctx, mask, g, anchor):
        ctx.save_for_backward(mask)
        ctx.anchor_shape = anchor.shape
        return np.where(mask, g, np.zeros((), g.dtype))

    @staticmethod
    def backward(ctx, gg):
        (mask,) = ctx.saved_tensors
        return None, np.where(mask, gg, np.zeros((), gg.dtype)), np.zeros(ctx.anchor_shape, gg.dtype)

    @staticmethod
    def graph_backward(ctx, saved, gg):
        (mask,) = ctx.saved_tensors
        return None, _keep(mask, gg), gg.new_zeros(ctx.anchor_shape)


def times_derivative(g, d):
    """The backward of an activation that saved its derivative: ``g * d``."""
    if use_activation_kernel(d):
        return activation_kernels().times_derivative(g, d)
    return np.multiply(g, d, out=memory.like(g, d))


class Add(Function):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return np.add(a, b if alpha == 1 else alpha * b, out=memory.like(a, b))

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)

    @staticmethod
    def graph_backward(ctx, saved, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return np.subtract(a, b if alpha == 1 else alpha * b, out=memory.like(a, b))

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.alpha == 1 else -g * ctx.alpha)

    @staticmethod
    def graph_backward(ctx, saved, g):
        return g, (-g if ctx.alpha == 1 else -g * ctx.alpha)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None,
                              b if ctx.needs_input_grad[0] else None)
        return np.multiply(a, b, out=memory.like(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (np.multiply(g, b, out=memory.like(g, b)) if ctx.needs_input_grad[0] else None,
                np.multiply(g, a, out=memory.like(g, a)) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def graph_backward(ctx, saved, g):
        a, b = ctx.saved_tensors
        return (g * saved.input(1, b) if ctx.needs_input_grad[0] else None,
                g * saved.input(0, a) if ctx.needs_input_grad[1] else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.true_divide(a, b, out=memory.like(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * ((a / b) / b) if ctx.needs_input_grad[1] else None     # PyTorch's order: b * b may overflow
        return ga, gb

    @staticmethod
    def graph_backward(ctx, saved, g):
        a, b = ctx.saved_tensors
        b = saved.input(1, b)
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * ((saved.input(0, a) / b) / b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a, out=memory.like(a))

    @staticmethod
    def backward(ctx, g):
        return np.negative(g, out=memory.like(g))

    @staticmethod
    def graph_backward(ctx, saved, g):
        return -g


class Pow(Function):
    """x ** y for tensors x and y (either may be a Python number)."""

    @staticmethod
    def forward(ctx, x, y):
        out = np.power(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            if isinstance(y, (int, float)) and y == 0:
                gx = np.zeros_like(g * x)
            elif isinstance(y, (int, float)):
                gx = g * y * np.power(x, y - 1) if y != 1 else g
            else:   # PyTorch's select: exactly 0 where the exponent is 0 (0 ** 0 included)
                gx = np.where(y == 0, np.zeros((), np.result_type(g, x, y)), g * y * np.power(x, y - 1))
        if ctx.needs_input_grad[1]:
            gy = np.where((x == 0) & (np.asarray(y) >= 0), np.zeros((), np.result_type(g, out)),
                          g * out * np.log(x))
        return gx, gy

    @staticmethod
    def graph_backward(ctx, saved, g):
        x_array, y_array, out = ctx.saved_tensors
        x, y = saved.input(0, x_array), saved.input(1, y_array)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            if isinstance(y_array, (int, float)) and y_array == 0:
                gx = g * 0
            elif isinstance(y_array, (int, float)):     # x ** 0 too stays recorded, as in PyTorch
                gx = g * (y_array * x ** (y_array - 1))
            else:
                gx = _keep(np.asarray(y_array) != 0, g * y * x ** (y - 1))
        if ctx.needs_input_grad[1]:
            gy = _keep(~((x_array == 0) & (np.asarray(y_array) >= 0)), g * saved.output(0, out) * x.log())
        return gx, gy


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.exp(x, out=memory.like(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return np.multiply(g, y, out=memory.like(g, y))

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        return g * saved.output(0, y)


class Expm1(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        return g * (saved.output(0, y) + 1)


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return g / saved.input(0, x)


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return g / (1 + saved.input(0, x))


class PiecewiseConstant(Function):
    """``fn(x)`` for a function that is constant between its jumps (floor, ceil, round, trunc, sign): its
    gradient is zero wherever it has one, as PyTorch defines it."""

    @staticmethod
    def forward(ctx, x, fn):
        return np.asarray(fn(x))

    @staticmethod
    def backward(ctx, g):
        return np.zeros_like(g), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return g * 0, None


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g / (2 * y)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        return g / (2 * saved.output(0, y))


def sgn(a):
    """PyTorch's sign of an array: -1, 0 or 1, and 0 for NaN (NumPy's is NaN)."""
    out = np.sign(a)
    if out.dtype.kind == "f":
        out = np.where(np.isnan(a), out.dtype.type(0), out)
    return out


class Abs(Function):
    r"""|x|, whose gradient is PyTorch's :math:`g \cdot \operatorname{sgn}(x)`: 0 at 0 and at NaN."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sgn(x)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return _keep(np.ones(x.shape, bool), g * sgn(x), saved.input(0, x))


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.cos(x)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return g * saved.input(0, x).cos()


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * np.sin(x)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return -g * saved.input(0, x).sin()


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x, out=memory.like(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return np.multiply(g, 1 - y * y, out=memory.like(g, y))

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        y = saved.output(0, y)
        return g * (1 - y * y)


def sigmoid_array(x):
    """Logistic function :math:`1 / (1 + e^{-x})`, PyTorch's formula: for very negative ``x`` the
    exponential overflows to inf and the result is 0 (no branch per element, ~8x faster than a
    sign-split ``np.where`` on random signs)."""
    with np.errstate(over="ignore"):
        return np.true_divide(1, 1 + np.exp(-x), out=memory.like(x))


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        y = sigmoid_array(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return np.multiply(g * y, 1 - y, out=memory.like(g, y))

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        y = saved.output(0, y)
        return g * y * (1 - y)


def _sigmoid_of(z, u):
    """:math:`\\sigma(z)` from :math:`u = e^{-|z|}`: :math:`1/(1 + u)` for :math:`z \\ge 0`, :math:`u/(1 + u)`
    below (exact down to the smallest subnormal, where :math:`1/(1 + e^{-z})` underflows early)."""
    return np.where(z >= 0, 1, u) / (1 + u)


def logsigmoid_reference(x, grad):
    """:math:`\\log\\sigma(x) = \\min(x, 0) - \\log(1 + e^{-|x|})` (no overflow) and its derivative
    :math:`\\sigma(-x)`, in NumPy."""
    u = np.exp(-np.abs(x))
    y = np.minimum(x, 0) - np.log1p(u)
    return y, (_sigmoid_of(-x, u) if grad else None)


class LogSigmoid(Function):
    """log σ(x) = -softplus(-x), computed without overflow; d/dx = σ(-x)."""

    @staticmethod
    def forward(ctx, x):
        y, d = with_derivative(ctx, x, "logsigmoid", logsigmoid_reference)
        ctx.save_for_backward(d)
        ctx.x = x       # for a recorded backward (create_graph), which differentiates d
        return y

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return times_derivative(g, d)

    @staticmethod
    def graph_backward(ctx, saved, g):
        return g * (-saved.input(0, ctx.x)).sigmoid()


class Relu(Function):
    """max(x, 0), as PyTorch's: NaN and -0.0 stay; the gradient passes unless the output is <= 0 (so at NaN too),
    and is exactly 0 elsewhere. The output is what backward keeps (writing into it later is refused, as in
    PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        if use_activation_kernel(x):
            y = activation_kernels().relu(x)
        else:   # small or strided: a select keeps NaN and -0.0 (np.maximum would turn -0.0 into 0.0)
            y = np.where(x < 0, np.zeros((), x.dtype), x)
        ctx.save_for_backward(y)
        ctx.grads_owned = True      # backward's select is a fresh array: a leaf may adopt it
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if use_activation_kernel(y):
            return activation_kernels().relu_backward(g, y)
        return np.where(y <= 0, np.zeros((), g.dtype), g)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        return _keep(~(y <= 0), g, saved.output(0, y))


class LeakyRelu(Function):
    """x if x > 0 else slope * x, as PyTorch's select (so NaN and -0.0 take the slope); the gradient is g or
    slope * g by the same test on the saved input."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        ctx.save_for_backward(x)
        ctx.grads_owned = True
        if use_activation_kernel(x):
            return activation_kernels().leaky_relu(x, slope)
        return np.where(x > 0, x, x * x.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if use_activation_kernel(x):
            return activation_kernels().leaky_relu_backward(g, x, ctx.slope), None
        g = np.asarray(g, dtype=x.dtype)
        return np.where(x > 0, g, g * x.dtype.type(ctx.slope)), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        positive = np.asarray(x > 0)
        return _keep(positive, g, saved.input(0, x)) + _keep(~positive, g * x.dtype.type(ctx.slope)), None


def elu_reference(x, grad, negcoef, poscoef, negiptcoef, gradiptcoef=None):
    """PyTorch's ELU in NumPy: ``poscoef x`` for x > 0, else ``negcoef (exp(negiptcoef x) - 1)``, and its
    derivative ``poscoef`` / ``negcoef gradiptcoef exp(gradiptcoef x)`` (``gradiptcoef`` defaults to
    ``negiptcoef``)."""
    gradiptcoef = negiptcoef if gradiptcoef is None else gradiptcoef
    pos = x > 0
    with np.errstate(over="ignore", invalid="ignore"):
        neg = np.minimum(x, 0)
        y = np.where(pos, x * poscoef, negcoef * np.expm1(neg * negiptcoef)).astype(x.dtype, copy=False)
        if not grad:
            return y, None
        d = np.where(pos, poscoef, (negcoef * gradiptcoef) * np.exp(neg * gradiptcoef))
    return y, d.astype(x.dtype, copy=False)


class Elu(Function):
    """ELU / SELU / CELU family: scale * (x if x > 0 else alpha * (exp(x / beta) - 1)).

    As PyTorch: ``negcoef = alpha scale``, ``poscoef = scale``, ``negiptcoef = 1 / beta``; the derivative
    uses ``1 / grad_beta`` (default ``beta``) as its input scale: PyTorch's CELU derivative takes
    ``1 / float32(alpha)``.
    """

    @staticmethod
    def forward(ctx, x, alpha, scale=1.0, beta=1.0, grad_beta=None):
        grad_scale = 1.0 / (beta if grad_beta is None else grad_beta)
        y, d = with_derivative(ctx, x, "elu", elu_reference, alpha * scale, scale, 1.0 / beta, grad_scale)
        ctx.save_for_backward(d)
        ctx.x, ctx.coefficients = x, (alpha * scale, scale, grad_scale)
        return y

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return times_derivative(g, d), None, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        negcoef, poscoef, gradiptcoef = ctx.coefficients
        x = saved.input(0, ctx.x)
        positive = np.asarray(ctx.x > 0)
        negative_slope = (negcoef * gradiptcoef) * (x.clamp(max=0) * gradiptcoef).exp()
        return _keep(positive, g * poscoef) + _keep(~positive, g * negative_slope), None, None, None, None


def gelu_reference(x, grad, approximate="none"):
    """GELU in NumPy, PyTorch's formulas: :math:`x\\Phi(x)` with derivative :math:`\\Phi(x) + x\\varphi(x)`, or
    the tanh form :math:`\\tfrac12 x (1 + \\tanh(\\sqrt{2/\\pi}(x + 0.044715 x^3)))` and its derivative."""
    if approximate == "tanh":
        t = np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
        y = (0.5 * x * (1 + t)).astype(x.dtype, copy=False)
        if not grad:
            return y, None
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x))
        return y, d.astype(x.dtype, copy=False)
    erf1 = 1 + _erf(x * INV_SQRT_2)
    y = (x * 0.5 * erf1).astype(x.dtype, copy=False)
    if not grad:
        return y, None
    d = 0.5 * erf1 + x * (INV_SQRT_2PI * np.exp(-0.5 * x * x))
    return y, d.astype(x.dtype, copy=False)


class Gelu(Function):
    """x Φ(x) (or its tanh approximation); forward writes y and dy/dx in one pass."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        y, d = with_derivative(ctx, x, "gelu", gelu_reference, approximate)
        ctx.save_for_backward(d)
        ctx.x, ctx.approximate = x, approximate
        return y

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return times_derivative(g, d), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        x = saved.input(0, ctx.x)
        if ctx.approximate == "tanh":
            t = (SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)).tanh()
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x))
        else:
            d = 0.5 * (1 + (x * INV_SQRT_2).erf()) + x * INV_SQRT_2PI * (-0.5 * x * x).exp()
        return g * d, None


def silu_reference(x, grad):
    """SiLU in NumPy: :math:`x / (1 + e^{-x})` and its derivative :math:`\\sigma(x)(1 + x(1 - \\sigma(x)))`."""
    with np.errstate(over="ignore"):
        den = 1 + np.exp(-x)
    with np.errstate(invalid="ignore"):
        y = np.true_divide(x, den, out=memory.like(x))
    if not grad:
        return y, None
    s = 1 / den
    return y, s * (1 + x * (1 - s))


class Silu(Function):
    """x σ(x); forward writes y and dy/dx in one pass."""

    @staticmethod
    def forward(ctx, x):
        y, d = with_derivative(ctx, x, "silu", silu_reference)
        ctx.save_for_backward(d)
        ctx.x = x
        return y

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return times_derivative(g, d)

    @staticmethod
    def graph_backward(ctx, saved, g):
        x = saved.input(0, ctx.x)
        s = x.sigmoid()
        return g * (s * (1 + x * (1 - s)))


def softplus_reference(x, grad, beta, threshold):
    """Softplus in NumPy: :math:`(\\max(\\beta x, 0) + \\log(1 + e^{-|\\beta x|}))/\\beta`, ``x`` where
    :math:`\\beta x >` threshold; the derivative is :math:`\\sigma(\\beta x)` there, 1 beyond."""
    bx = beta * x
    linear = bx > threshold
    u = np.exp(-np.abs(bx))
    soft = (np.maximum(bx, 0) + np.log1p(u)) / beta
    y = np.where(linear, x, soft).astype(x.dtype, copy=False)
    d = np.where(linear, 1, _sigmoid_of(bx, u)).astype(x.dtype, copy=False) if grad else None
    return y, d


class Softplus(Function):
    """(1/β) log(1 + e^{βx}), linear above the threshold as in PyTorch."""

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        y, d = with_derivative(ctx, x, "softplus", softplus_reference, beta, threshold)
        ctx.save_for_backward(d)
        ctx.x, ctx.params = x, (beta, threshold)
        return y

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return times_derivative(g, d), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        beta, threshold = ctx.params
        x = saved.input(0, ctx.x)
        linear = np.asarray(beta * ctx.x > threshold)
        return _keep(linear, g) + _keep(~linear, g * (x * beta).sigmoid()), None, None


class Erf(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * np.exp(-x * x)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        x = saved.input(0, x)
        return g * (2 / math.sqrt(math.pi)) * (-x * x).exp()


class Clamp(Function):
    """min(max(x, lo), hi); the gradient flows where x is inside [lo, hi]."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        y = x
        if lo is not None:
            y = np.maximum(y, lo)
        if hi is not None:
            y = np.minimum(y, hi)
        ctx.save_for_backward(x, lo, hi)
        return np.asarray(y, dtype=np.result_type(x, y) if x.dtype.kind != "f" else x.dtype)

    @staticmethod
    def masks(ctx):
        """Where the gradient goes: to ``x`` inside ``[lo, hi]``, to ``lo`` below it, to ``hi`` above it
        (None for a bound that is absent or needs no gradient)."""
        x, lo, hi = ctx.saved_tensors
        inside = np.ones(x.shape, dtype=bool)
        below = above = None
        if lo is not None:
            inside = inside & (x >= lo)
            if ctx.needs_input_grad[1]:
                below = x < lo
        if hi is not None:
            inside = inside & (x <= hi)
            if ctx.needs_input_grad[2]:
                above = x > hi
                if lo is not None:
                    above = above & (np.asarray(hi) >= lo)
        return inside, below, above

    @staticmethod
    def backward(ctx, g):
        # selects, not products: an infinite or NaN gradient outside [lo, hi] still gives exactly 0
        g = np.asarray(g)
        zero = np.zeros((), g.dtype)
        return tuple(None if m is None else np.where(m, g, zero) for m in Clamp.masks(ctx))

    @staticmethod
    def graph_backward(ctx, saved, g):
        inside, below, above = Clamp.masks(ctx)
        return (_keep(inside, g, saved.input(0, ctx.saved_tensors[0])),
                None if below is None else _keep(below, g), None if above is None else _keep(above, g))


class Maximum(Function):
    """Elementwise max; ties split the gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a > b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)

    @staticmethod
    def graph_backward(ctx, saved, g):
        a, b = ctx.saved_tensors
        wa = (a > b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        wa = (a < b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)

    @staticmethod
    def graph_backward(ctx, saved, g):
        a, b = ctx.saved_tensors
        wa = (a < b) + 0.5 * (a == b)
        return g * wa, g * (1 - wa)


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        zero = np.zeros((), dtype=g.dtype)
        return None, np.where(cond, g, zero), np.where(cond, zero, g)

    @staticmethod
    def graph_backward(ctx, saved, g):
        (cond,) = ctx.saved_tensors
        cond = np.asarray(cond)
        return None, _keep(cond, g), _keep(~cond, g)


class Cast(Function):
    """Change of dtype; the gradient is cast back."""

    @staticmethod
    def forward(ctx, x, np_dtype, memory_format=None):
        ctx.src = x.dtype
        if memory_format is None:
            return x.astype(np_dtype)                    # keeps x's layout, as preserve_format does
        return _layout.copy(x, memory_format, np_dtype)

    @staticmethod
    def backward(ctx, g):
        return (g.astype(ctx.src) if ctx.src.kind == "f" else None), None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return (Cast.apply(g, ctx.src) if ctx.src.kind == "f" else None), None, None


class Clone(Function):
    """A copy in new memory, laid out as ``memory_format`` says (``preserve_format`` keeps x's layout)."""

    @staticmethod
    def forward(ctx, x, memory_format=_layout.preserve_format):
        return _layout.copy(x, memory_format)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return g, None


class Lerp(Function):
    """start + weight * (end - start)."""

    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        return start + weight * (end - start)

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx.saved_tensors
        gw = g * (end - start) if ctx.needs_input_grad[2] else None
        return g * (1 - w), g * w, gw

    @staticmethod
    def graph_backward(ctx, saved, g):
        start, end, w = ctx.saved_tensors
        w_t = saved.input(2, w)
        gw = g * (saved.input(1, end) - saved.input(0, start)) if ctx.needs_input_grad[2] else None
        return g * (1 - w_t), g * w_t, gw
