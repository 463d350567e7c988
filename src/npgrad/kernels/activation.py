"""Fused activation kernels: an activation's output and the derivative its backward needs, in one pass.

For the activations built on :math:`e^x`, :math:`\\log` or :math:`\\operatorname{erf}` (the ELU family,
GELU, SiLU, softplus, log-sigmoid, Mish) one loop over the input writes

.. math::

    y_i = f(x_i), \\qquad d_i = f'(x_i),

so that the backward pass is the product :math:`g \\odot d` and no transcendental function is
evaluated twice (tanhshrink keeps :math:`\\operatorname{sech}^2 x` instead and its backward is
:math:`g - g \\operatorname{sech}^2 x`, the gradient of PyTorch's composition :math:`x - \\tanh x`).
``d`` is skipped when no gradient is needed. The piecewise-linear activations (hardtanh,
hardsigmoid, hardswish, softshrink, hardshrink) have a forward loop and a backward loop
``(g, x) -> dL/dx``, as PyTorch has: their derivative costs nothing to recompute, and the masked
entries are exactly 0 even where ``g`` is NaN or infinite.

Every loop is branch-free straight-line arithmetic that LLVM turns into SIMD code: :math:`e^x` is
``fast_exp`` of :mod:`npgrad.kernels._fastmath`, :math:`\\operatorname{erf}` is
:func:`npgrad.kernels.special.erf_with_exp`, and :math:`e^x - 1`, :math:`\\tanh x` and
:math:`\\log(1 + u)` for :math:`0 \\le u \\le 1` come from the range reductions below (Cody and Waite's
for :math:`e^x`, the artanh series of ``fast_log`` for the logarithm). The formulas are PyTorch's
(``aten/src/ATen/native/cpu/Activation.cpp``, ``derivatives.yaml``), so values agree to a few ulp,
and so do NaN, :math:`\\pm\\infty`, signed zeros and the gradient at the corners of the piecewise
functions. Where PyTorch's formula would overflow or underflow early (softplus, log-sigmoid, Mish
for large :math:`|x|`), the equivalent form in :math:`e^{-|x|}` is used.

The loops take C-contiguous 1-D float32/float64 arrays and run on the calling thread (they release
the GIL); the activation classes in :mod:`npgrad.ops.elementwise` and
:mod:`npgrad.nn.functional.basic` call them for arrays of at least 4096 elements
(``ACTIVATION_KERNEL_MIN_SIZE`` there) and use their NumPy reference otherwise; tests compare the two.

Reference: W. J. Cody and W. Waite, *Software Manual for the Elementary Functions*, 1980;
S. L. Moshier, *Methods and Programs for Mathematical Functions* (Cephes), 1989.

Example::

    import numpy as np
    from npgrad.kernels import activation
    x = np.random.randn(4096, 256).astype(np.float32)
    y, d = activation.gelu(x, True)      # y = x Phi(x), d = Phi(x) + x phi(x)
"""
import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from .. import memory
from ._fastmath import (_POLY_FLAGS, _exp_reduce_f32, _exp_reduce_f64, _two_artanh_f32, _two_artanh_f64,
                        _two_pow_f32, _two_pow_f64, fast_exp)
from .special import erf_with_exp

__all__ = ["relu", "relu_backward", "leaky_relu", "leaky_relu_backward", "elu", "gelu", "silu", "softplus",
           "logsigmoid", "mish", "tanhshrink", "hardtanh", "hardtanh_backward", "hardsigmoid", "hardsigmoid_backward",
           "hardswish", "hardswish_backward", "softshrink", "hardshrink", "shrink_backward", "times_derivative",
           "tanhshrink_backward", "expm1_array", "tanh_array"]

# The loops have no reductions, so they need no reassociation, and it would do harm: it folds
# (1 + u) - 1 to u. Nor do they take 1/d for x / d (divisions stay exact, and y is the same whether
# or not the loop also writes dy/dx, where 1/d is at hand). The element functions are inlined into
# the loops by Numba (an LLVM call in the loop would stop vectorisation); exp, log and erf are
# separate functions with their own flags, inlined by LLVM.
_FLAGS = {"nsz", "contract", "afn"}
_kernel = njit(cache=True, nogil=True, error_model="numpy", fastmath=_FLAGS)
_element = njit(inline="always", error_model="numpy", fastmath=_FLAGS)


def _c(value, like):
    """The number ``value`` in the floating type of ``like``; Numba code only."""
    raise NotImplementedError("_c is callable from Numba-compiled code only")


@overload(_c, inline="always")
def _c_overload(value, like):
    if like == types.float32:
        return lambda value, like: np.float32(value)
    if like == types.float64:
        return lambda value, like: np.float64(value)
    return None


def _at(g, i):
    """``g[i]`` for an array, ``g`` itself for a scalar (an upstream gradient broadcast from one value)."""
    raise NotImplementedError("_at is callable from Numba-compiled code only")


@overload(_at, inline="always")
def _at_overload(g, i):
    if isinstance(g, types.Array):
        return lambda g, i: g[i]
    return lambda g, i: g


# --------------------------------------------------------------------------- e^x and e^x - 1 together
# x = n ln2 + r as in _fastmath: e^x = 2^n (1 + p(r)) and e^x - 1 = 2^n p(r) + (2^n - 1), with
# p(r) = e^r - 1 from the same polynomial; from n = 25 (float32) or 54 (float64) on, e^x - 1 is e^x
# minus 1, which loses nothing there.


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _exp_expm1_f32(x):
    xc = min(max(x, np.float32(-103.0)), np.float32(88.72283))
    n, p = _exp_reduce_f32(xc)
    two_h, two_rest = _two_pow_f32(np.int32(n))
    e = (p + np.float32(1.0)) * two_h * two_rest
    t = two_h * two_rest
    em1 = t * p + (t - np.float32(1.0)) if n < np.float32(25.0) else e - np.float32(1.0)
    if x < np.float32(-103.0):
        e = np.float32(0.0)
        em1 = np.float32(-1.0)
    if x > np.float32(88.72283):
        e = np.float32(np.inf)
        em1 = np.float32(np.inf)
    if x == np.float32(0.0):        # e^x - 1 keeps the sign of zero
        em1 = x
    if x != x:
        e = x
        em1 = x
    return e, em1


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _exp_expm1_f64(x):
    xc = min(max(x, -745.2), 709.782712893384)
    shifted, n, r, q = _exp_reduce_f64(xc)
    p = q * (r * r) + r
    two_h, two_rest = _two_pow_f64(shifted)
    e = (p + 1.0) * two_h * two_rest
    t = two_h * two_rest
    em1 = t * p + (t - 1.0) if n < 54.0 else e - 1.0
    if x < -745.2:
        e = 0.0
        em1 = -1.0
    if x > 709.782712893384:
        e = np.inf
        em1 = np.inf
    if x == 0.0:
        em1 = x
    if x != x:
        e = x
        em1 = x
    return e, em1


def _exp_expm1(x):
    """``(e^x, e^x - 1)``: e^x as ``fast_exp``, e^x - 1 within 1.5 ulp (float32) and 2 ulp (float64), its
    sign of zero kept; Numba code only."""
    raise NotImplementedError("_exp_expm1 is callable from Numba-compiled code only")


@overload(_exp_expm1, inline="always")
def _exp_expm1_overload(x):
    if x == types.float32:
        return lambda x: _exp_expm1_f32(x)
    if x == types.float64:
        return lambda x: _exp_expm1_f64(x)
    return None


@_element
def _tanh(x):
    """tanh(x) = -expm1(-2|x|) / (expm1(-2|x|) + 2), with the sign of x: within 2.5 ulp (float32) and
    3 ulp (float64)."""
    em1 = _exp_expm1(_c(-2.0, x) * abs(x))[1]
    return math.copysign(-em1 / (em1 + _c(2.0, x)), x)


def _log1p(u):
    """log(1 + u) for 0 <= u <= 1, about 1 ulp; Numba code only."""
    raise NotImplementedError("_log1p is callable from Numba-compiled code only")


# log(1 + u) = k ln2 + 2 artanh(s) with s = u / (2 + u) (k = 0) for 1 + u < sqrt 2, else
# s = (u - 1) / (u + 3) (k = 1, from (1 + u) / 2): |s| <= 0.1716 either way, and 1 + u is never rounded.
@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _log1p_f32(u):
    low = u < np.float32(0.41421356)
    s = (u if low else u - np.float32(1.0)) / (u + (np.float32(2.0) if low else np.float32(3.0)))
    return _two_artanh_f32(s) + (np.float32(0.0) if low else np.float32(0.6931472))


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _log1p_f64(u):
    low = u < 0.41421356237309503
    s = (u if low else u - 1.0) / (u + (2.0 if low else 3.0))
    return _two_artanh_f64(s) + (0.0 if low else 0.6931471805599453)


@overload(_log1p, inline="always")
def _log1p_overload(u):
    if u == types.float32:
        return lambda u: _log1p_f32(u)
    if u == types.float64:
        return lambda u: _log1p_f64(u)
    return None


# --------------------------------------------------------------------------- elementwise (y, dy/dx)
@_element
def _elu(x, negcoef, poscoef, negiptcoef, gradiptcoef):
    """``gradiptcoef`` is ``negiptcoef`` but for CELU, where PyTorch's derivative takes 1/alpha with alpha
    rounded to float32: then e^{x gradiptcoef} = e^{x negiptcoef} e^t, t = x (gradiptcoef - negiptcoef)
    tiny, and e^t = 1 + t + t^2/2 to within 1e-18."""
    one = _c(1.0, x)
    e, em1 = _exp_expm1(x * negiptcoef)
    t = x * (gradiptcoef - negiptcoef)
    e_grad = e * (one + t * (one + _c(0.5, x) * t)) if abs(t) < one else e
    pos = x > _c(0.0, x)
    y = x * poscoef if pos else negcoef * em1
    d = poscoef if pos else negcoef * gradiptcoef * e_grad
    return y, d


@_element
def _gelu(x):
    half = _c(0.5, x)
    e = fast_exp(-(x * x * half))
    erf1 = _c(1.0, x) + erf_with_exp(x * _c(0.7071067811865476, x), e)
    y = x * half * erf1
    d = half * erf1 + x * (_c(0.3989422804014327, x) * e)
    return y, d


@_element
def _gelu_tanh(x):
    one = _c(1.0, x)
    half = _c(0.5, x)
    beta = _c(0.7978845608028654, x)
    kappa = _c(0.044715, x)
    x_sq = x * x
    t = _tanh(beta * (x + kappa * (x_sq * x)))
    y = half * x * (one + t)
    d = half * (one + t) + half * x * (one - t * t) * (beta * (one + _c(3.0, x) * kappa * x_sq))
    return y, d


@_element
def _silu(x):
    one = _c(1.0, x)
    den = one + fast_exp(-x)
    s = one / den
    return x / den, s * (one + x * (one - s))


@_element
def _softplus(x, beta, threshold):
    one = _c(1.0, x)
    bx = x * beta
    u = fast_exp(-abs(bx))                # e^{-|bx|} never overflows
    soft = (max(bx, _c(0.0, x)) + _log1p(u)) / beta
    s = (one if bx >= _c(0.0, x) else u) / (one + u)       # sigmoid(bx)
    linear = bx > threshold
    return (x if linear else soft), (one if linear else s)


@_element
def _logsigmoid(x):
    one = _c(1.0, x)
    u = fast_exp(-abs(x))
    y = min(x, _c(0.0, x)) - _log1p(u)
    d = (u if x >= _c(0.0, x) else one) / (one + u)        # sigmoid(-x)
    return y, d


@_element
def _mish(x):
    """tanh(softplus(x)) = num / den in u = e^{-|x|}: (1 + 2u) / (1 + 2u + 2u^2) for x >= 0,
    (u^2 + 2u) / (u^2 + 2u + 2) below; 1 - tanh^2 = (den - num)(den + num) / den^2."""
    one = _c(1.0, x)
    two = _c(2.0, x)
    u = fast_exp(-abs(x))
    pos = x >= _c(0.0, x)
    num = (one + two * u) if pos else u * (u + two)
    gap = two * u * u if pos else two                      # den - num
    den = num + gap
    inv = one / den
    t = num * inv
    s = (one if pos else u) / (one + u)                    # sigmoid(x)
    return x * t, t + x * s * (gap * (num + den) * inv * inv)


@_element
def _tanhshrink(x):
    """``x - tanh x`` and ``1 - tanh^2 x``: PyTorch composes tanhshrink, its gradient is g - g (1 - tanh^2)."""
    t = _tanh(x)
    return x - t, _c(1.0, x) - t * t


# --------------------------------------------------------------------------- loops: y and (if d has room) dy/dx
@_kernel
def _elu_loop(x, y, d, negcoef, poscoef, negiptcoef, gradiptcoef):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _elu(x[i], negcoef, poscoef, negiptcoef, gradiptcoef)
        y[i] = yi
        if grad:
            d[i] = di


@_kernel
def _gelu_loop(x, y, d):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _gelu(x[i])
        y[i] = yi
        if grad:
            d[i] = di


@_kernel
def _gelu_tanh_loop(x, y, d):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _gelu_tanh(x[i])
        y[i] = yi
        if grad:
            d[i] = di


@_kernel
def _silu_loop(x, y, d):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _silu(x[i])
        y[i] = yi
        if grad:
            d[i] = di


@_kernel
def _softplus_loop(x, y, d, beta, threshold):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _softplus(x[i], beta, threshold)
        y[i] = yi
        if grad:
            d[i] = di


@_kernel
def _logsigmoid_loop(x, y, d):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _logsigmoid(x[i])
        y[i] = yi
        if grad:
            d[i] = di


@_kernel
def _mish_loop(x, y, d):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _mish(x[i])
        y[i] = yi
        if grad:
            d[i] = di


@_kernel
def _tanhshrink_loop(x, y, d):
    grad = d.shape[0] > 0
    for i in range(x.shape[0]):
        yi, di = _tanhshrink(x[i])
        y[i] = yi
        if grad:
            d[i] = di


# --------------------------------------------------------------------------- piecewise-linear: forward, backward
@_kernel
def _hardtanh_loop(x, y, lo, hi):
    for i in range(x.shape[0]):
        v = x[i]
        v = lo if v < lo else v                              # NaN stays NaN
        y[i] = hi if v > hi else v


@_kernel
def _hardtanh_backward_loop(g, x, out, lo, hi):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = _at(g, i) if (v > lo) & (v < hi) else _c(0.0, v)


@_kernel
def _relu_loop(x, y):
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = _c(0.0, v) if v < _c(0.0, v) else v           # NaN and -0.0 stay, as PyTorch's


@_kernel
def _relu_backward_loop(g, y, out):
    for i in range(y.shape[0]):
        v = y[i]
        out[i] = _c(0.0, v) if v <= _c(0.0, v) else _at(g, i)      # passes unless the output is <= 0 (NaN passes)


@_kernel
def _leaky_relu_loop(x, y, slope):
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = v if v > _c(0.0, v) else v * slope                 # NaN and -0.0 take the slope, as PyTorch's


@_kernel
def _leaky_relu_backward_loop(g, x, out, slope):
    for i in range(x.shape[0]):
        gi = _at(g, i)
        out[i] = gi if x[i] > _c(0.0, gi) else gi * slope


@_kernel
def _hardsigmoid_loop(x, y):
    for i in range(x.shape[0]):
        t = x[i] + _c(3.0, x[i])
        t = _c(0.0, t) if t < _c(0.0, t) else t
        t = _c(6.0, t) if t > _c(6.0, t) else t
        y[i] = t / _c(6.0, t)


@_kernel
def _hardsigmoid_backward_loop(g, x, out, one_sixth):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = _at(g, i) * one_sixth if (v > _c(-3.0, v)) & (v < _c(3.0, v)) else _c(0.0, v)


@_kernel
def _hardswish_loop(x, y):
    for i in range(x.shape[0]):
        v = x[i]
        t = v + _c(3.0, v)
        t = _c(0.0, v) if t < _c(0.0, v) else t
        t = _c(6.0, v) if t > _c(6.0, v) else t
        y[i] = v * t / _c(6.0, v)


@_kernel
def _hardswish_backward_loop(g, x, out):
    for i in range(x.shape[0]):
        v = x[i]
        gi = _at(g, i)
        inner = gi if v >= _c(3.0, v) else gi * (v / _c(3.0, v) + _c(0.5, v))    # NaN gives NaN
        out[i] = _c(0.0, v) if v <= _c(-3.0, v) else inner


@_kernel
def _softshrink_loop(x, y, lambd):
    for i in range(x.shape[0]):
        v = x[i]
        c = -lambd if v < -lambd else v                    # clamp to [-lambd, lambd], NaN stays NaN
        c = lambd if c > lambd else c
        y[i] = v - c


@_kernel
def _hardshrink_loop(x, y, lambd):
    for i in range(x.shape[0]):
        v = x[i]
        y[i] = _c(0.0, v) if (v >= -lambd) & (v <= lambd) else v


@_kernel
def _shrink_backward_loop(g, x, out, lambd):
    for i in range(x.shape[0]):
        v = x[i]
        out[i] = _at(g, i) if (v > lambd) | (v < -lambd) else _c(0.0, v)     # 0 at NaN, as PyTorch


# --------------------------------------------------------------------------- array entry points
@_kernel
def expm1_array(x, out):
    """Elementwise ``e^x - 1`` over a 1-D array (for tests against ``np.expm1``)."""
    for i in range(x.shape[0]):
        out[i] = _exp_expm1(x[i])[1]


@_kernel
def tanh_array(x, out):
    """Elementwise ``tanh`` over a 1-D array (for tests against ``np.tanh``)."""
    for i in range(x.shape[0]):
        out[i] = _tanh(x[i])


@_kernel
def _times_loop(g, d, out):
    for i in range(d.shape[0]):
        out[i] = _at(g, i) * d[i]


@_kernel
def _tanhshrink_backward_loop(g, sech2, out):
    for i in range(sech2.shape[0]):
        gi = _at(g, i)
        out[i] = gi - gi * sech2[i]


# --------------------------------------------------------------------------- running the loops
def _typed(x, params):
    return tuple(x.dtype.type(p) for p in params)


def _fused(loop, x, grad, *params):
    """``(y, dy/dx)`` of a C-contiguous float array through ``loop``; ``dy/dx`` is None unless ``grad``."""
    y = memory.empty(x.shape, x.dtype)
    d = memory.empty(x.shape, x.dtype) if grad else np.empty(0, x.dtype)
    loop(x.reshape(-1), y.reshape(-1), d.reshape(-1), *_typed(x, params))
    return y, (d if grad else None)


def _forward(loop, x, *params):
    y = memory.empty(x.shape, x.dtype)
    loop(x.reshape(-1), y.reshape(-1), *_typed(x, params))
    return y


def _flat_grad(g, x):
    """The upstream gradient as a 1-D C-contiguous array of ``x``'s dtype, or one number when it is
    broadcast from a single value (as ``y.sum().backward()`` gives)."""
    g = np.broadcast_to(np.asarray(g, dtype=x.dtype), x.shape)
    if not any(g.strides):
        return x.dtype.type(g.reshape(-1)[0])
    return np.ascontiguousarray(g).reshape(-1)


def _backward(loop, g, x, *params):
    out = memory.empty(x.shape, x.dtype)
    loop(_flat_grad(g, x), x.reshape(-1), out.reshape(-1), *_typed(x, params))
    return out


def times_derivative(g, d):
    """``g * d``, the backward of the fused activations (``d = dy/dx`` from their forward)."""
    return _backward(_times_loop, g, d)


def elu(x, grad, negcoef, poscoef, negiptcoef, gradiptcoef=None):
    """ELU family: ``poscoef x`` for x > 0, else ``negcoef (e^{x negiptcoef} - 1)``; ``(y, dy/dx)``, the
    derivative with ``gradiptcoef`` in place of ``negiptcoef`` when given (PyTorch's CELU)."""
    gradiptcoef = negiptcoef if gradiptcoef is None else gradiptcoef
    return _fused(_elu_loop, x, grad, negcoef, poscoef, negiptcoef, gradiptcoef)


def gelu(x, grad, approximate="none"):
    """``x Phi(x)`` (erf form) or its tanh approximation; ``(y, dy/dx)``."""
    return _fused(_gelu_tanh_loop if approximate == "tanh" else _gelu_loop, x, grad)


def silu(x, grad):
    """``x / (1 + e^{-x})``; ``(y, dy/dx)``."""
    return _fused(_silu_loop, x, grad)


def softplus(x, grad, beta, threshold):
    """``log(1 + e^{beta x}) / beta``, ``x`` where ``beta x > threshold``; ``(y, dy/dx)``."""
    return _fused(_softplus_loop, x, grad, beta, threshold)


def logsigmoid(x, grad):
    """``log sigmoid(x)``; ``(y, dy/dx)``."""
    return _fused(_logsigmoid_loop, x, grad)


def mish(x, grad):
    """``x tanh(softplus(x))``; ``(y, dy/dx)``."""
    return _fused(_mish_loop, x, grad)


def tanhshrink(x, grad):
    """``x - tanh(x)``; ``(y, 1 - tanh^2 x)`` (see :func:`tanhshrink_backward`)."""
    return _fused(_tanhshrink_loop, x, grad)


def tanhshrink_backward(g, sech2):
    """``g - g sech2``: PyTorch's gradient of the composition ``x - tanh(x)``."""
    return _backward(_tanhshrink_backward_loop, g, sech2)


def hardtanh(x, lo, hi):
    """``min(max(x, lo), hi)``."""
    return _forward(_hardtanh_loop, x, lo, hi)


def hardtanh_backward(g, x, lo, hi):
    """``g`` where ``lo < x < hi``, else 0."""
    return _backward(_hardtanh_backward_loop, g, x, lo, hi)


def relu(x):
    """``max(x, 0)``, keeping NaN and -0.0."""
    return _forward(_relu_loop, x)


def relu_backward(g, y):
    """``g`` where the output ``y`` is not <= 0, else exactly 0 (even where ``g`` is NaN or inf)."""
    return _backward(_relu_backward_loop, g, y)


def leaky_relu(x, slope):
    """``x`` where ``x > 0``, else ``slope x``."""
    return _forward(_leaky_relu_loop, x, slope)


def leaky_relu_backward(g, x, slope):
    """``g`` where ``x > 0``, else ``slope g``."""
    return _backward(_leaky_relu_backward_loop, g, x, slope)


def hardsigmoid(x):
    """``min(max(x + 3, 0), 6) / 6``."""
    return _forward(_hardsigmoid_loop, x)


def hardsigmoid_backward(g, x, one_sixth):
    """``g one_sixth`` where ``-3 < x < 3``, else 0."""
    return _backward(_hardsigmoid_backward_loop, g, x, one_sixth)


def hardswish(x):
    """``x min(max(x + 3, 0), 6) / 6``."""
    return _forward(_hardswish_loop, x)


def hardswish_backward(g, x):
    """0 for ``x <= -3``, ``g (x/3 + 1/2)`` below 3, ``g`` from 3 on."""
    return _backward(_hardswish_backward_loop, g, x)


def softshrink(x, lambd):
    """``x - clamp(x, -lambd, lambd)``."""
    return _forward(_softshrink_loop, x, lambd)


def hardshrink(x, lambd):
    """0 where ``|x| <= lambd``, else ``x``."""
    return _forward(_hardshrink_loop, x, lambd)


def shrink_backward(g, x, lambd):
    """``g`` where ``|x| > lambd``, else 0 (softshrink and hardshrink alike)."""
    return _backward(_shrink_backward_loop, g, x, lambd)
