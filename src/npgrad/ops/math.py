"""More elementwise math: trigonometric and hyperbolic functions and their inverses, the gamma family,
error functions, Bessel functions, and binary functions such as ``atan2``, ``hypot``, ``xlogy`` or
``igamma``.

Each differentiable primitive is one small ``Function`` with PyTorch's derivative (including its
values at the boundaries: ``acos`` at :math:`\\pm 1`, ``xlogy`` at 0, ``hypot`` at the origin, ``fmax``
on ties). The module-level functions below take Tensors, apply PyTorch's dtype rules (integer inputs to
a floating function give the default float dtype) and call the primitives; ``Tensor`` methods,
``npgrad.<name>`` and ``npgrad.special`` are thin shells over them. The special functions themselves
(lgamma, digamma, zeta, erfcx, i0, ...) are in ``_special_functions.py``; float32 inputs are computed
in float64 there and rounded once (``erfc`` and ``erfinv``: by float32 kernels that do the same in registers).

Example:
    >>> import npgrad
    >>> x = npgrad.tensor([0.5, 2.0], requires_grad=True)
    >>> y = npgrad.lgamma(x)
    >>> y.sum().backward()
    >>> x.grad                                  # digamma(x)
    tensor([-1.9635,  0.4228])
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _dtype as D
from ..autograd.function import ArrayFunction as Function
from ..tensor import (_C_NAMES, Tensor, _as_operand, _bapply, _floatify, _labelled, _raw, _return_type, _scalar_name,
                      _wrap_dim, result_type, tensor)
from . import _special_functions as S

LN2 = math.log(2.0)
SQRT_PI = math.sqrt(math.pi)
TWO_OVER_SQRT_PI = 2.0 / SQRT_PI
SQRT_2PI = math.sqrt(2.0 * math.pi)


def _in_float64(fn, x, *args):
    """``fn(x, *args)`` computed in float64 (``x`` and the arrays among ``args``) and returned in ``x``'s
    floating dtype."""
    if x.dtype == np.float64:
        return fn(x, *args)
    with _ignore():                           # float64 results beyond float32's range round to inf
        args = [a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in args]
        return fn(x.astype(np.float64), *args).astype(x.dtype)


def _ignore():
    return np.errstate(all="ignore")


def _zeros_like(x, g):
    return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(g)), dtype=g.dtype)


class _Unary(Function):
    """Base of the one-input ops below, whose math is two short functions: ``forward`` returns
    ``value(x)`` (a NumPy ufunc or a static method) and keeps what ``saves`` names (the input ``"x"``, the
    output ``"y"``, both ``"xy"``, or nothing), ``backward`` returns ``grad(g, *kept)``. NumPy's warnings
    are off in both (inf and NaN come out silently, as in PyTorch). Each subclass is its own op: ``Sinh``
    records ``SinhBackward0``."""

    saves = "x"
    recordable = False      # whether ``grad`` calls only what :class:`_OnTensors` and :class:`_Special` provide

    @classmethod
    def forward(cls, ctx, x):
        with _ignore():
            y = cls.value(x)
        ctx.save_for_backward(*(x if kept == "x" else y for kept in cls.saves))
        return y

    @classmethod
    def backward(cls, ctx, g):
        with _ignore():
            return cls.grad(g, *ctx.saved_tensors)

    @classmethod
    def graph_backward(cls, ctx, saved, g):
        """The same ``grad`` formula run on Tensors (``create_graph``), its NumPy calls made Tensor ops."""
        if not cls.recordable:
            return saved.without_graph(g)
        kept = [saved.input(0, a) if k == "x" else saved.output(0, a) for k, a in zip(cls.saves, ctx.saved_tensors)]
        return _on_tensors(cls.grad)(g, *kept)


class _OnTensors:
    """The NumPy functions the ``grad`` formulas call, as Tensor operations: a formula run with these in
    place of ``np`` is recorded, so the one formula serves the first and the higher-order backward."""

    sqrt = staticmethod(lambda t: t.sqrt())
    exp = staticmethod(lambda t: t.exp())
    log = staticmethod(lambda t: t.log())
    sin = staticmethod(lambda t: t.sin())
    cos = staticmethod(lambda t: t.cos())
    sinh = staticmethod(lambda t: t.sinh())
    cosh = staticmethod(lambda t: t.cosh())
    abs = staticmethod(lambda t: t.abs())
    sign = staticmethod(lambda t: t.sign())

    @staticmethod
    def where(cond, a, b):
        from .elementwise import Where

        return Where.apply(_raw(cond), a, b)


class _Special:
    """The special functions the ``grad`` formulas call, on arrays: float32 is computed in float64 and rounded
    once."""

    digamma = staticmethod(lambda x: _in_float64(S.digamma, x))
    trigamma = staticmethod(lambda x: _in_float64(S.trigamma, x))
    i0 = staticmethod(lambda x: _in_float64(S.i0, x))
    i1 = staticmethod(lambda x: _in_float64(S.i1, x))
    i0e = staticmethod(lambda x: _in_float64(S.i0e, x))
    i1e = staticmethod(lambda x: _in_float64(S.i1e, x))


class _SpecialOnTensors:
    """:class:`_Special` as the recorded ops, so that their derivatives are differentiable again."""

    digamma = staticmethod(lambda t: Digamma.apply(t))
    trigamma = staticmethod(lambda t: Polygamma.apply(t, 1))
    i0 = staticmethod(lambda t: I0.apply(t))
    i1 = staticmethod(lambda t: SpecialI1.apply(t))
    i0e = staticmethod(lambda t: SpecialI0E.apply(t))
    i1e = staticmethod(lambda t: SpecialI1E.apply(t))


def _on_tensors(formula):
    """``formula`` with ``np`` meaning :class:`_OnTensors` and ``_Special`` :class:`_SpecialOnTensors`."""
    import types

    names = {**formula.__globals__, "np": _OnTensors, "_Special": _SpecialOnTensors}
    return types.FunctionType(formula.__code__, names, formula.__name__, formula.__defaults__, formula.__closure__)


# --------------------------------------------------------------------------- trigonometric and hyperbolic


class Tan(_Unary):
    """:math:`\\tan x`; :math:`d/dx = 1 + \\tan^2 x`."""

    saves = "y"
    value = np.tan

    @staticmethod
    def grad(g, y):
        return g * (1 + y * y)


class Asin(_Unary):
    """:math:`\\arcsin x`; :math:`d/dx = 1/\\sqrt{1 - x^2}` (``inf`` at :math:`\\pm 1`)."""

    value = np.arcsin

    @staticmethod
    def grad(g, x):
        return g / np.sqrt(1 - x * x)


class Acos(_Unary):
    """:math:`\\arccos x`; :math:`d/dx = -1/\\sqrt{1 - x^2}` (``-inf`` at :math:`\\pm 1`)."""

    value = np.arccos

    @staticmethod
    def grad(g, x):
        return -g / np.sqrt(1 - x * x)


class Atan(_Unary):
    """:math:`\\arctan x`; :math:`d/dx = 1/(1 + x^2)`."""

    value = np.arctan

    @staticmethod
    def grad(g, x):
        return g / (x * x + 1)


class Sinh(_Unary):
    """:math:`\\sinh x`; :math:`d/dx = \\cosh x`."""

    value = np.sinh

    @staticmethod
    def grad(g, x):
        return g * np.cosh(x)


class Cosh(_Unary):
    """:math:`\\cosh x`; :math:`d/dx = \\sinh x`."""

    value = np.cosh

    @staticmethod
    def grad(g, x):
        return g * np.sinh(x)


class Asinh(_Unary):
    """:math:`\\operatorname{arsinh} x`; :math:`d/dx = 1/\\sqrt{x^2 + 1}`."""

    value = np.arcsinh

    @staticmethod
    def grad(g, x):
        return g / np.sqrt(x * x + 1)


class Acosh(_Unary):
    """:math:`\\operatorname{arcosh} x`; :math:`d/dx = 1/\\sqrt{x^2 - 1}` (NaN below 1, ``inf`` at 1)."""

    value = np.arccosh

    @staticmethod
    def grad(g, x):
        return g / np.sqrt(x * x - 1)


class Atanh(_Unary):
    """:math:`\\operatorname{artanh} x`; :math:`d/dx = 1/(1 - x^2)`."""

    value = np.arctanh

    @staticmethod
    def grad(g, x):
        return g / (1 - x * x)


class Sinc(_Unary):
    """Normalised sinc :math:`\\sin(\\pi x)/(\\pi x)`, 1 at 0, computed in the input's precision as PyTorch does;
    :math:`d/dx = (\\pi x\\cos\\pi x - \\sin\\pi x)/(\\pi x^2)`, 0 where :math:`\\pi x^2` is 0 (also when it
    underflows), PyTorch's formula."""

    @staticmethod
    def value(x):
        px = x * x.dtype.type(math.pi)
        return np.where(x == 0, x.dtype.type(1), np.sin(px) / px)

    @staticmethod
    def grad(g, x):
        px = x * math.pi
        pxx = x * x * math.pi
        return np.where(pxx == 0, 0.0, g * (px * np.cos(px) - np.sin(px)) / pxx)


# --------------------------------------------------------------------------- exponential, error and gamma functions


class Exp2(_Unary):
    """:math:`2^x`; :math:`d/dx = 2^x \\log 2`."""

    saves = "y"
    value = np.exp2

    @staticmethod
    def grad(g, y):
        return g * (y * LN2)


class Erfc(_Unary):
    """:math:`\\operatorname{erfc} x = 1 - \\operatorname{erf} x`; :math:`d/dx = -2e^{-x^2}/\\sqrt\\pi`
    (float32 by a float32 kernel)."""

    @staticmethod
    def value(x):
        return S.erfc_float32(x) if x.dtype == np.float32 else _in_float64(S.erfc, x)

    @staticmethod
    def grad(g, x):
        return g * (-TWO_OVER_SQRT_PI * np.exp(-x * x))


class Erfinv(_Unary):
    """Inverse error function; :math:`d/dy = \\tfrac{\\sqrt\\pi}{2} e^{x^2}`, :math:`x = \\operatorname{erfinv} y`
    (recomputed from the input in backward, as PyTorch does: the output may be written in place; float32 by
    a float32 kernel)."""

    @staticmethod
    def value(y):
        return S.erfinv_float32(y) if y.dtype == np.float32 else _in_float64(S.erfinv, y)

    @staticmethod
    def grad(g, y):
        x = Erfinv.value(y)
        return g * (0.5 * SQRT_PI * np.exp(x * x))

    @staticmethod
    def graph_backward(ctx, saved, g):
        (y,) = ctx.saved_tensors
        x = Erfinv.apply(saved.input(0, y))
        return g * (0.5 * SQRT_PI * (x * x).exp())


class Lgamma(_Unary):
    """:math:`\\log|\\Gamma(x)|`; :math:`d/dx = \\psi(x)`."""

    @staticmethod
    def value(x):
        return _in_float64(S.lgamma, x)

    @staticmethod
    def grad(g, x):
        return g * _Special.digamma(x)


class Digamma(_Unary):
    """:math:`\\psi(x) = \\Gamma'(x)/\\Gamma(x)`; :math:`d/dx = \\psi'(x)`."""

    value = staticmethod(_Special.digamma)

    @staticmethod
    def grad(g, x):
        return g * _Special.trigamma(x)


class Polygamma(Function):
    """:math:`\\psi^{(n)}(x)`; :math:`d/dx = \\psi^{(n+1)}(x)`."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return _in_float64(lambda v: S.polygamma(n, v), x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * _in_float64(lambda v: S.polygamma(ctx.n + 1, v), x), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(saved.input(0, x), ctx.n + 1), None


class Mvlgamma(Function):
    """Multivariate log-gamma of dimension :math:`p`; :math:`d/dx = \\sum_{j<p} \\psi(x - j/2)`."""

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        return _in_float64(S.mvlgamma, x, p)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        total = sum(S.digamma(x.astype(np.float64) - j / 2.0) for j in range(ctx.p))
        return g * total.astype(x.dtype), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (x,) = ctx.saved_tensors
        x = saved.input(0, x)
        return g * sum(Polygamma.apply(x - j / 2.0, 0) for j in range(ctx.p)), None


class I0(_Unary):
    """Modified Bessel function :math:`I_0(x)`; :math:`d/dx = I_1(x)`."""

    value = staticmethod(_Special.i0)

    @staticmethod
    def grad(g, x):
        return g * _Special.i1(x)


class SpecialI0E(_Unary):
    """:math:`e^{-|x|} I_0(x)`; :math:`d/dx = e^{-|x|} I_1(x) - \\operatorname{sgn}(x)\\,e^{-|x|} I_0(x)`."""

    saves = "xy"

    value = staticmethod(_Special.i0e)

    @staticmethod
    def grad(g, x, y):
        return g * (_Special.i1e(x) - np.sign(x) * y)


def _safe_away_from_zero(x, ops):
    """``x`` with the entries of magnitude up to the dtype's epsilon replaced by epsilon, and that mask (``ops``:
    NumPy, or :class:`_OnTensors` in a recorded formula)."""
    eps = np.finfo(_raw(x).dtype).eps
    not_tiny = ops.abs(x) > eps
    return ops.where(not_tiny, x, eps), not_tiny


class SpecialI1(_Unary):
    """:math:`I_1(x)`; :math:`d/dx = I_0(x) - I_1(x)/x`, exactly 1/2 at 0."""

    saves = "xy"

    value = staticmethod(_Special.i1)

    @staticmethod
    def grad(g, x, y):
        safe, not_tiny = _safe_away_from_zero(x, np)
        return g * np.where(not_tiny, _Special.i0(safe) - y * (1 / safe), 0.5)


class SpecialI1E(_Unary):
    """:math:`e^{-|x|} I_1(x)`; :math:`d/dx = e^{-|x|} I_0(x) - e^{-|x|} I_1(x)(\\operatorname{sgn} x + 1/x)`,
    exactly 1/2 at 0."""

    saves = "xy"

    value = staticmethod(_Special.i1e)

    @staticmethod
    def grad(g, x, y):
        safe, not_tiny = _safe_away_from_zero(x, np)
        return g * np.where(not_tiny, _Special.i0e(safe) - y * (np.sign(safe) + 1 / safe), 0.5)


class SpecialNdtri(_Unary):
    """Standard normal quantile :math:`\\Phi^{-1}(p)`; :math:`d/dp = \\sqrt{2\\pi}\\,e^{x^2/2}`."""

    saves = "y"

    @staticmethod
    def value(x):
        return _in_float64(S.ndtri, x)

    @staticmethod
    def grad(g, y):
        return g * (SQRT_2PI * np.exp(y * y / 2))


class SpecialLogNdtr(_Unary):
    """:math:`\\log\\Phi(x)`; :math:`d/dx = e^{-x^2/2 - \\log\\Phi(x)}/\\sqrt{2\\pi}`."""

    saves = "xy"

    @staticmethod
    def value(x):
        return _in_float64(S.log_ndtr, x)

    @staticmethod
    def grad(g, x, y):
        return g / SQRT_2PI * np.exp(-(y + x * x / 2))


class SpecialErfcx(_Unary):
    """:math:`e^{x^2}\\operatorname{erfc} x`; :math:`d/dx = 2x\\operatorname{erfcx}(x) - 2/\\sqrt\\pi`."""

    saves = "xy"

    @staticmethod
    def value(x):
        return _in_float64(S.erfcx, x)

    @staticmethod
    def grad(g, x, y):
        return g * (2 * x * y - TWO_OVER_SQRT_PI)


class SpecialEntr(_Unary):
    """Entropy term :math:`-x\\log x` (0 at 0, :math:`-\\infty` below); :math:`d/dx = -(1 + \\log x)`."""

    @staticmethod
    def value(x):
        y = np.where(x > 0, -x * np.log(x), np.where(x == 0, x.dtype.type(0), x.dtype.type(-np.inf)))
        return np.where(np.isnan(x), x, y).astype(x.dtype, copy=False)

    @staticmethod
    def grad(g, x):
        return g * -(1 + np.log(x))


class Logit(Function):
    """:math:`\\log(z/(1 - z))` with :math:`z = x` clamped to :math:`[\\epsilon, 1 - \\epsilon]` when ``eps`` is
    given; :math:`d/dx = 1/(x(1 - x))`, 0 outside the clamp (NaN outside [0, 1] without ``eps``)."""

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x
        if eps is not None:
            lo, hi = x.dtype.type(eps), x.dtype.type(1 - eps)
            z = np.where(x < lo, lo, np.where(x > hi, hi, x))
        with _ignore():
            return np.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        eps = ctx.eps
        with _ignore():
            d = g / (x * (1 - x))
        if eps is None:
            outside, fill = (x < 0) | (x > 1), np.nan
        else:
            outside, fill = (x < x.dtype.type(eps)) | (x > x.dtype.type(1 - eps)), 0.0
        return np.where(outside, g.dtype.type(fill), d), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import Where

        (x_array,) = ctx.saved_tensors
        x = saved.input(0, x_array)
        eps = ctx.eps
        if eps is None:
            outside, fill = (x_array < 0) | (x_array > 1), np.nan
        else:
            outside = (x_array < x_array.dtype.type(eps)) | (x_array > x_array.dtype.type(1 - eps))
            fill = 0.0
        return Where.apply(outside, np.asarray(fill, g._data.dtype), g / (x * (1 - x))), None


class Frac(_Unary):
    """Fractional part :math:`x - \\operatorname{trunc}(x)`; the gradient passes unchanged."""

    saves = ""

    @staticmethod
    def value(x):
        return x - np.trunc(x)

    @staticmethod
    def grad(g):
        return g


for _op in (Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Sinc, Exp2, Erfc, Lgamma, Digamma, I0,
            SpecialI0E, SpecialI1, SpecialI1E, SpecialNdtri, SpecialLogNdtr, SpecialErfcx, SpecialEntr, Frac):
    _op.recordable = True     # their grad formulas use only arithmetic, _OnTensors' and _Special's functions


class Logcumsumexp(Function):
    """:math:`y_i = \\log\\sum_{j \\le i} e^{x_j}` along ``dim``; :math:`\\partial L/\\partial x_j =
    \\sum_{i \\ge j} g_i e^{x_j - y_i}`, summed in log space for the positive and negative parts of
    :math:`g` separately (PyTorch's formula)."""

    @staticmethod
    def forward(ctx, x, dim):
        with _ignore():
            y = np.logaddexp.accumulate(x, axis=dim) if x.ndim else x.copy()
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if not x.ndim:
            return g, None
        d = ctx.dim
        lowest = np.finfo(g.dtype).min

        def reverse_logcumsumexp(v):
            return np.flip(np.logaddexp.accumulate(np.flip(v, d), axis=d), d)

        with _ignore():
            log_abs = np.log(np.abs(g))
            pos = np.where(g > 0, log_abs, lowest)
            neg = np.where(g < 0, log_abs, lowest)
            out = np.exp(reverse_logcumsumexp(pos - y) + x) - np.exp(reverse_logcumsumexp(neg - y) + x)
        return out.astype(g.dtype, copy=False), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import Where

        x_array, y_array = ctx.saved_tensors
        if not x_array.ndim:
            return g, None
        d = ctx.dim
        x, y = saved.input(0, x_array), saved.output(0, y_array)
        lowest = np.asarray(np.finfo(g._data.dtype).min)

        def reverse_logcumsumexp(v):
            return Logcumsumexp.apply(v.flip(d), d).flip(d)

        log_abs = g.abs().log()
        pos = Where.apply(g._data > 0, log_abs, lowest)
        neg = Where.apply(g._data < 0, log_abs, lowest)
        return (reverse_logcumsumexp(pos - y) + x).exp() - (reverse_logcumsumexp(neg - y) + x).exp(), None


class Frexp(Function):
    """``(mantissa, exponent)`` with :math:`x = m\\,2^e`, :math:`|m| \\in [1/2, 1)`; the mantissa's gradient
    is :math:`g/2^e`, the exponent (int32) has none."""

    @staticmethod
    def forward(ctx, x):
        m, e = np.frexp(x)
        e = e.astype(np.int32)
        ctx.save_for_backward(e)
        ctx.mark_non_differentiable(e)
        return m, e

    @staticmethod
    def backward(ctx, gm, ge):
        (e,) = ctx.saved_tensors
        with _ignore():
            return gm / np.exp2(e.astype(gm.dtype))

    @staticmethod
    def graph_backward(ctx, saved, gm, ge):
        (e,) = ctx.saved_tensors
        with _ignore():
            return gm / np.exp2(e.astype(gm._data.dtype))


# --------------------------------------------------------------------------- binary functions


class Atan2(Function):
    """:math:`\\operatorname{atan2}(a, b)`; :math:`\\partial/\\partial a = b/(a^2 + b^2)`,
    :math:`\\partial/\\partial b = -a/(a^2 + b^2)`, both 0 at the origin."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        den = a * a + b * b
        with _ignore():
            recip = np.where(den == 0, den.dtype.type(0), 1 / den)
        ga = g * b * recip if ctx.needs_input_grad[0] else None
        gb = g * -a * recip if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import _keep

        a_array, b_array = ctx.saved_tensors
        a, b = saved.input(0, a_array), saved.input(1, b_array)
        origin = (a_array * a_array + b_array * b_array) == 0
        recip = _keep(~origin, 1 / (a * a + b * b))
        return (g * b * recip if ctx.needs_input_grad[0] else None,
                g * -a * recip if ctx.needs_input_grad[1] else None)


class Hypot(Function):
    """:math:`\\sqrt{a^2 + b^2}`; :math:`\\partial/\\partial a = a/h`, :math:`\\partial/\\partial b = b/h`
    (NaN at the origin, as in PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        h = np.hypot(a, b)
        ctx.save_for_backward(a, b, h)
        return h

    @staticmethod
    def backward(ctx, g):
        a, b, h = ctx.saved_tensors
        with _ignore():
            return (g * a / h if ctx.needs_input_grad[0] else None,
                    g * b / h if ctx.needs_input_grad[1] else None)

    @staticmethod
    def graph_backward(ctx, saved, g):
        a, b, h = ctx.saved_tensors
        h = saved.output(0, h)
        return (g * saved.input(0, a) / h if ctx.needs_input_grad[0] else None,
                g * saved.input(1, b) / h if ctx.needs_input_grad[1] else None)


class Copysign(Function):
    """:math:`|a|` with the sign of :math:`b`; :math:`\\partial/\\partial a = y/a` (0 where :math:`a = 0`),
    and a zero gradient for :math:`b`."""

    @staticmethod
    def forward(ctx, a, b):
        y = np.copysign(a, b)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        with _ignore():
            ratio = np.where(a == 0, a.dtype.type(0), y / a)
        gb = _zeros_like(y, g) if ctx.needs_input_grad[1] else None
        return g * ratio, gb

    @staticmethod
    def graph_backward(ctx, saved, g):
        # PyTorch's formula: the quotient y / a (sign(a) sign(b): its derivative is zero up to rounding, NaN
        # where a = 0); b's gradient is zeros that depend on nothing
        from .elementwise import _keep

        a, y = ctx.saved_tensors
        ratio = _keep(a != 0, saved.output(0, y) / saved.input(0, a))
        gb = Tensor._wrap(_zeros_like(y, g._data)) if ctx.needs_input_grad[1] else None
        return g * ratio, gb


class Fmax(Function):
    """Elementwise maximum that ignores NaN (a NaN only where both are NaN); on ties the gradient goes to
    ``a``, and where ``b`` is NaN too."""

    value, a_wins = np.fmax, np.greater_equal

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return cls.value(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        with _ignore():
            to_a = cls.a_wins(a, b) | np.isnan(b)
        zero = g.dtype.type(0)
        return np.where(to_a, g, zero), np.where(to_a, zero, g)

    @classmethod
    def graph_backward(cls, ctx, saved, g):
        from .elementwise import _keep

        a, b = ctx.saved_tensors
        with _ignore():
            to_a = cls.a_wins(a, b) | np.isnan(b)
        return _keep(to_a, g), _keep(~to_a, g)


class Fmin(Fmax):
    """Elementwise minimum that ignores NaN; on ties the gradient goes to ``a``, and where ``b`` is NaN."""

    value, a_wins = np.fmin, np.less_equal


class FloatPower(Function):
    """:math:`a^b` (float64); :math:`\\partial/\\partial a = b a^{b-1}` (0 where :math:`b = 0`),
    :math:`\\partial/\\partial b = a^b\\log a` (0 where :math:`a = 0, b \\ge 0`)."""

    @staticmethod
    def forward(ctx, a, b):
        with _ignore():
            y = np.power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        ga = gb = None
        with _ignore():
            if ctx.needs_input_grad[0]:
                ga = np.where(b == 0, 0.0, g * (b * np.power(a, b - 1)))
            if ctx.needs_input_grad[1]:
                gb = g * np.where((a == 0) & (b >= 0), 0.0, y * np.log(a))
        return ga, gb

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import _keep

        a_array, b_array, y = ctx.saved_tensors
        a, b = saved.input(0, a_array), saved.input(1, b_array)
        ga = _keep(np.asarray(b_array) != 0, g * (b * a ** (b - 1))) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            gb = _keep(~((a_array == 0) & (np.asarray(b_array) >= 0)), g * (saved.output(0, y) * a.log()))
        return ga, gb


class Logaddexp(Function):
    """:math:`\\log(e^a + e^b)`; :math:`\\partial/\\partial a = 1/(1 + e^{b - a})`."""

    value, exp = np.logaddexp, np.exp
    tensor_exp = "exp"              # the Tensor method of ``exp``, for the recorded backward

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        with _ignore():
            return cls.value(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        with _ignore():
            return g / (1 + cls.exp(b - a)), g / (1 + cls.exp(a - b))

    @classmethod
    def graph_backward(cls, ctx, saved, g):
        a_array, b_array = ctx.saved_tensors
        a, b = saved.input(0, a_array), saved.input(1, b_array)
        return (g / (1 + getattr(b - a, cls.tensor_exp)()), g / (1 + getattr(a - b, cls.tensor_exp)()))


class Logaddexp2(Logaddexp):
    """:math:`\\log_2(2^a + 2^b)`; :math:`\\partial/\\partial a = 1/(1 + 2^{b - a})`."""

    value, exp = np.logaddexp2, np.exp2
    tensor_exp = "exp2"


def _x_log(x, y, log):
    """``x * log(y)`` (``log`` is ``np.log`` or ``np.log1p``), 0 where :math:`x = 0` (unless :math:`y` is NaN)."""
    with _ignore():
        out = np.where(x == 0, x.dtype.type(0), x * log(y))
    return np.where(np.isnan(y), y, out).astype(np.result_type(x, y), copy=False)


class Xlogy(Function):
    """:math:`x\\log y` (0 at :math:`x = 0`); :math:`\\partial/\\partial x = \\log y` (0 where :math:`x = 0,
    y \\le 0`), :math:`\\partial/\\partial y = x/y`."""

    log, pole = np.log, 0           # log(y) goes to -inf as y goes to pole

    @classmethod
    def forward(cls, ctx, x, y):
        ctx.save_for_backward(x, y)
        return _x_log(x, y, cls.log)

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        gx = gy = None
        with _ignore():
            if ctx.needs_input_grad[0]:
                gx = np.where((x == 0) & (y <= cls.pole), g.dtype.type(0), _x_log(g, y, cls.log))
            if ctx.needs_input_grad[1]:
                gy = g * x / (y - cls.pole)
        return gx, gy

    @classmethod
    def graph_backward(cls, ctx, saved, g):
        from .elementwise import _keep

        x_array, y_array = ctx.saved_tensors
        x, y = saved.input(0, x_array), saved.input(1, y_array)
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = _keep(~((x_array == 0) & (y_array <= cls.pole)), cls.apply(g, y))
        if ctx.needs_input_grad[1]:
            gy = g * x / (y - cls.pole)
        return gx, gy


class SpecialXlog1Py(Xlogy):
    """:math:`x\\log(1 + y)`; :math:`\\partial/\\partial x = \\log(1 + y)` (0 where :math:`x = 0, y \\le -1`),
    :math:`\\partial/\\partial y = x/(1 + y)`."""

    log, pole = np.log1p, -1        # log1p(y) goes to -inf as y goes to -1


class Nextafter(Function):
    """The next floating-point value after ``a`` towards ``b``; the gradient passes to ``a`` where
    :math:`a \\ne b`, ``b`` gets zeros."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.nextafter(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        zero = g.dtype.type(0)
        gb = _zeros_like(b, g) if ctx.needs_input_grad[1] else None
        return np.where(a == b, zero, g), gb

    @staticmethod
    def graph_backward(ctx, saved, g):
        from .elementwise import _keep

        a, b = ctx.saved_tensors
        gb = Tensor._wrap(_zeros_like(b, g._data)) if ctx.needs_input_grad[1] else None
        return _keep(a != b, g), gb


class Igamma(Function):
    """Regularised lower incomplete gamma :math:`P(a, x)`;
    :math:`\\partial P/\\partial x = x^{a-1}e^{-x}/\\Gamma(a)`. PyTorch has no derivative in :math:`a`."""

    upper = False

    @classmethod
    def forward(cls, ctx, a, x):
        ctx.save_for_backward(a, x)
        return _in_float64(S.igammac if cls.upper else S.igamma, a, x)

    @classmethod
    def backward(cls, ctx, g):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{cls.__name__.lower()}: input' is not implemented.")
        with _ignore():
            d = np.exp((a - 1) * np.log(x) - x - _in_float64(S.lgamma, a))
        return None, (-g * d if cls.upper else g * d)

    @classmethod
    def graph_backward(cls, ctx, saved, g):
        a_array, x_array = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{cls.__name__.lower()}: input' is not implemented.")
        a, x = saved.input(0, a_array), saved.input(1, x_array)
        d = ((a - 1) * x.log() - x - Lgamma.apply(a)).exp()
        return None, (-g * d if cls.upper else g * d)


class Igammac(Igamma):
    """Regularised upper incomplete gamma :math:`Q(a, x) = 1 - P(a, x)`; :math:`\\partial Q/\\partial x =
    -x^{a-1}e^{-x}/\\Gamma(a)`."""

    upper = True


class SpecialZeta(Function):
    """Hurwitz zeta :math:`\\zeta(x, q)`; :math:`\\partial/\\partial q = -x\\,\\zeta(x + 1, q)`. PyTorch has no
    derivative in :math:`x`."""

    @staticmethod
    def forward(ctx, x, q):
        ctx.save_for_backward(x, q)
        return _in_float64(S.zeta, x, q)

    @staticmethod
    def backward(ctx, g):
        x, q = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        z = S.zeta(x.astype(np.float64) + 1, q.astype(np.float64)).astype(g.dtype)
        return None, g * -x * z

    @staticmethod
    def graph_backward(ctx, saved, g):
        x_array, q_array = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = saved.input(0, x_array), saved.input(1, q_array)
        return None, g * -x * SpecialZeta.apply(x + 1, q)


# --------------------------------------------------------------------------- functions on Tensors
# What the Tensor methods, ``npgrad.<name>`` and ``npgrad.special`` call: dtype rules, then the primitive.


def _tensor(x):
    return x if isinstance(x, Tensor) else tensor(x)


def _unary(fn, name):
    """The function on Tensors for the primitive ``fn``: integer inputs become the default float dtype."""
    def apply(x):
        return fn.apply(_floatify(_tensor(x)))

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = fn.__doc__
    return apply


tan = _unary(Tan, "tan")
asin = _unary(Asin, "asin")
acos = _unary(Acos, "acos")
atan = _unary(Atan, "atan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
asinh = _unary(Asinh, "asinh")
acosh = _unary(Acosh, "acosh")
atanh = _unary(Atanh, "atanh")
sinc = _unary(Sinc, "sinc")
exp2 = _unary(Exp2, "exp2")
erfc = _unary(Erfc, "erfc")
erfinv = _unary(Erfinv, "erfinv")
lgamma = _unary(Lgamma, "lgamma")
digamma = _unary(Digamma, "digamma")
i0 = _unary(I0, "i0")
i0e = _unary(SpecialI0E, "i0e")
i1 = _unary(SpecialI1, "i1")
i1e = _unary(SpecialI1E, "i1e")
ndtri = _unary(SpecialNdtri, "ndtri")
log_ndtr = _unary(SpecialLogNdtr, "log_ndtr")
erfcx = _unary(SpecialErfcx, "erfcx")
entr = _unary(SpecialEntr, "entr")


def polygamma(n, x):
    """:math:`\\psi^{(n)}(x)`, the ``n``-th derivative of the digamma function (``torch.polygamma(n, input)``)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(_floatify(_tensor(x)), int(n))


def mvlgamma(x, p):
    """Multivariate log-gamma
    :math:`\\log\\Gamma_p(x) = \\tfrac{p(p-1)}{4}\\log\\pi + \\sum_{j<p}\\log\\Gamma(x - j/2)`."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return Mvlgamma.apply(_floatify(_tensor(x)), int(p))


def logit(x, eps=None):
    """:math:`\\log(x/(1 - x))`, with ``x`` clamped to :math:`[\\epsilon, 1 - \\epsilon]` when ``eps`` is given."""
    return Logit.apply(_floatify(_tensor(x)), None if eps is None else float(eps))


def _not_for(name, dt):
    return NotImplementedError(f'"{name}_cpu" not implemented for \'{_scalar_name(dt)}\'')


def frac(x):
    """Fractional part :math:`x - \\operatorname{trunc}(x)`, with the sign of ``x`` (floating dtypes only)."""
    x = _tensor(x)
    if x._data.dtype.kind != "f":
        raise _not_for("frac", x._data.dtype)
    return Frac.apply(x)


def deg2rad(x):
    """Degrees to radians: :math:`x\\pi/180`."""
    return _labelled(_floatify(_tensor(x)) * (math.pi / 180.0), True, "Deg2RadBackward0")


def rad2deg(x):
    """Radians to degrees: :math:`180x/\\pi`."""
    return _labelled(_floatify(_tensor(x)) * (180.0 / math.pi), True, "Rad2DegBackward0")


def logcumsumexp(x, dim):
    """:math:`\\log\\sum_{j \\le i} e^{x_j}` along ``dim``."""
    x = _tensor(x)
    if x._data.dtype.kind != "f":
        raise _not_for("logcumsumexp_out", x._data.dtype)
    return Logcumsumexp.apply(x, _wrap_dim(dim, x.ndim))


def frexp(x):
    """Mantissa and exponent, :math:`x = m\\,2^e` with :math:`|m| \\in [1/2, 1)` (``torch.return_types.frexp``)."""
    x = _tensor(x)
    if x._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    return _FrexpResult(*Frexp.apply(x))


_FrexpResult = _return_type("frexp", ("mantissa", "exponent"))


def _promoted(a, b):
    """PyTorch's common dtype of a binary op between tensors and/or numbers, and the two operands in it."""
    a, b = _binary_operands(a, b)
    dt = result_type(a, b)
    return dt, a, b


def _binary_operands(a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = _tensor(a)
    if isinstance(a, np.ndarray):
        a = Tensor._wrap(a)
    if isinstance(b, np.ndarray):
        b = Tensor._wrap(b)
    return a, b


def _float_binary(fn, a, b, name=None):
    """A binary op computed in the promoted floating dtype (integers give the default float, or, with
    ``name``, PyTorch's "not implemented" error)."""
    dt, a, b = _promoted(a, b)
    if dt.kind != "f":
        if name is not None:
            raise _not_for(name, dt)
        dt = D.get_default_dtype().np
    return _bapply(fn, _as_operand(a, dt), _as_operand(b, dt))


def atan2(a, b):
    """:math:`\\operatorname{atan2}(a, b)`: the angle of the point :math:`(b, a)`."""
    return _float_binary(Atan2, a, b)


def hypot(a, b):
    """:math:`\\sqrt{a^2 + b^2}` without overflow."""
    return _float_binary(Hypot, a, b, "hypot")


def copysign(a, b):
    """:math:`|a|` with the sign of :math:`b` (the sign bit: -0.0 counts as negative)."""
    return _float_binary(Copysign, a, b)


def logaddexp(a, b):
    """:math:`\\log(e^a + e^b)` without overflow."""
    return _float_binary(Logaddexp, a, b, "logaddexp")


def logaddexp2(a, b):
    """:math:`\\log_2(2^a + 2^b)` without overflow."""
    return _float_binary(Logaddexp2, a, b, "logaddexp2")


def xlogy(x, y):
    """:math:`x\\log y`, 0 where :math:`x = 0` (unless ``y`` is NaN); either may be a number."""
    return _float_binary(Xlogy, x, y)


def xlog1py(x, y):
    """:math:`x\\log(1 + y)`, 0 where :math:`x = 0` (unless ``y`` is NaN); either may be a number."""
    return _float_binary(SpecialXlog1Py, x, y)


def nextafter(a, b):
    """The next floating-point value after ``a`` in the direction of ``b``."""
    return _float_binary(Nextafter, a, b, "nextafter")


def _igamma(a, x, upper):
    dt, a, x = _promoted(a, x)
    if dt.kind != "f":
        raise _not_for("igammac" if upper else "igamma", dt)
    return _bapply(Igammac if upper else Igamma, _as_operand(a, dt), _as_operand(x, dt))


def igamma(a, x):
    """Regularised lower incomplete gamma :math:`P(a, x) = \\frac{1}{\\Gamma(a)}\\int_0^x t^{a-1}e^{-t}\\,dt`."""
    return _igamma(a, x, False)


def igammac(a, x):
    """Regularised upper incomplete gamma :math:`Q(a, x) = 1 - P(a, x)`."""
    return _igamma(a, x, True)


def zeta(x, q):
    """Hurwitz zeta :math:`\\zeta(x, q) = \\sum_{k \\ge 0} (k + q)^{-x}`; either may be a number."""
    return _float_binary(SpecialZeta, x, q)


def fmax(a, b):
    """Elementwise maximum that ignores NaN (any dtype)."""
    return _nan_ignoring(Fmax, np.maximum, a, b)


def fmin(a, b):
    """Elementwise minimum that ignores NaN (any dtype)."""
    return _nan_ignoring(Fmin, np.minimum, a, b)


def _nan_ignoring(fn, integer_fn, a, b):
    """``fn`` in the promoted dtype of ``a`` and ``b``; integers (no NaN, no gradient) take ``integer_fn``."""
    dt, a, b = _promoted(a, b)
    if dt.kind != "f":
        return Tensor._wrap(np.asarray(integer_fn(_as_array(a, dt), _as_array(b, dt))))
    return _bapply(fn, _as_operand(a, dt), _as_operand(b, dt))


def _as_array(x, dt):
    return np.asarray(_raw(x)).astype(dt, copy=False)


def float_power(a, b):
    """:math:`a^b` computed and returned in float64, as PyTorch does."""
    a, b = _binary_operands(a, b)
    f64 = np.dtype(np.float64)
    return _bapply(FloatPower, _as_operand(a, f64), _as_operand(b, f64))


class Ldexp(Function):
    """:math:`x\\,2^e` for an integer exponent tensor; :math:`\\partial/\\partial x = 2^e` evaluated, as PyTorch
    does, in integer arithmetic: 0 for :math:`e < 0`."""

    @staticmethod
    def forward(ctx, x, e):
        ctx.save_for_backward(e)
        return x * np.exp2(e.astype(x.dtype))

    @staticmethod
    def backward(ctx, g):
        (e,) = ctx.saved_tensors
        return g * np.where(e < 0, 0.0, np.exp2(e.astype(g.dtype))).astype(g.dtype), None

    @staticmethod
    def graph_backward(ctx, saved, g):
        (e,) = ctx.saved_tensors
        dt = g._data.dtype
        return g * np.where(e < 0, 0.0, np.exp2(e.astype(dt))).astype(dt), None


def ldexp(x, e):
    """:math:`x\\,2^e`, computed as PyTorch does: ``x * 2.0 ** e`` (the gradient of ``x`` with an integer
    exponent tensor is PyTorch's: 0 where :math:`e < 0`)."""
    x, e = _binary_operands(x, _tensor(e))
    if e._data.dtype.kind in "iub":
        dt = result_type(x, Tensor._wrap(np.zeros(e._data.shape, D.get_default_dtype().np)))
        if dt.kind != "f":
            dt = D.get_default_dtype().np
        return _bapply(Ldexp, _as_operand(x, dt), e)
    return x * 2.0 ** e


def heaviside(x, values):
    """Step function: 0 for :math:`x < 0`, ``values`` at 0, 1 for :math:`x > 0` (no gradient; NaN gives 0)."""
    x, values = _tensor(x), _tensor(values)
    if x._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    if x.requires_grad or values.requires_grad:
        return _NoDerivative.apply(x, values, "heaviside",
                                   lambda a, v: np.where(a == 0, v, (a > 0).astype(a.dtype)))
    return Tensor._wrap(np.asarray(np.where(x._data == 0, values._data, (x._data > 0).astype(x._data.dtype))))


class _NoDerivative(Function):
    """An op that PyTorch records but cannot differentiate: its backward raises PyTorch's error."""

    @staticmethod
    def forward(ctx, a, b, name, fn):
        ctx.name = name
        return np.asarray(fn(a, b))

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(f"derivative for aten::{ctx.name} is not implemented")


def _integer_binary(name, fn, a, b):
    dt, a, b = _promoted(a, b)
    if dt.kind not in "iu":
        raise _not_for(name, dt)
    return Tensor._wrap(np.asarray(fn(_as_array(a, dt), _as_array(b, dt))).astype(dt, copy=False))


def gcd(a, b):
    """Greatest common divisor (integer dtypes); :math:`\\gcd(0, 0) = 0`."""
    return _integer_binary("gcd", np.gcd, a, b)


def lcm(a, b):
    """Least common multiple (integer dtypes); 0 if either is 0."""
    return _integer_binary("lcm", np.lcm, a, b)


def _shift(a, b, left):
    """PyTorch's shifts: by a negative amount or by the bit width or more, 0 (or -1 for a negative value
    shifted right)."""
    dt, a, b = _promoted(a, b)
    name = "lshift" if left else "rshift"
    if dt.kind not in "iub":
        raise _not_for(name, dt)
    x, s = _as_array(a, dt), _as_array(b, dt)
    bits = dt.itemsize * 8
    out_of_range = (s < 0) | (s >= bits)
    safe = np.where(out_of_range, 0, s).astype(dt)
    if left:
        out = np.where(out_of_range, 0, np.left_shift(x, safe))
    else:
        out = np.where(out_of_range, np.where(x < 0, -1, 0), np.right_shift(x, safe))
    return Tensor._wrap(np.asarray(out).astype(dt, copy=False))


def bitwise_left_shift(a, b):
    """``a << b`` elementwise (integer dtypes)."""
    return _shift(a, b, True)


def bitwise_right_shift(a, b):
    """``a >> b`` elementwise, arithmetic for signed dtypes."""
    return _shift(a, b, False)


def signbit(x):
    """Whether the sign bit is set (True for -0.0 and negative NaN)."""
    return Tensor._wrap(np.asarray(np.signbit(_tensor(x)._data)))


def isposinf(x):
    """Where the value is :math:`+\\infty`."""
    d = _tensor(x)._data
    return Tensor._wrap(np.asarray(np.isposinf(d) if d.dtype.kind == "f" else np.zeros(d.shape, bool)))


def isneginf(x):
    """Where the value is :math:`-\\infty`."""
    d = _tensor(x)._data
    return Tensor._wrap(np.asarray(np.isneginf(d) if d.dtype.kind == "f" else np.zeros(d.shape, bool)))


def isreal(x):
    """Where the value has no imaginary part: everywhere, npgrad's tensors being real."""
    return Tensor._wrap(np.ones(_tensor(x)._data.shape, dtype=bool))


def positive(x):
    """The tensor itself (``+x``); refused for bool tensors as in PyTorch."""
    x = _tensor(x)
    if x._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return x


def fix(x):
    """Rounding towards zero: ``trunc``."""
    return _tensor(x).trunc()


def ndtr(x):
    """Standard normal CDF :math:`\\Phi(x) = (1 + \\operatorname{erf}(x/\\sqrt 2))/2` (PyTorch's formula, so
    it underflows to 0 below about -8.3 as PyTorch's does)."""
    x = _floatify(_tensor(x))
    return (1 + (x * 0.70710678118654752440).erf()) * 0.5


# --------------------------------------------------------------------------- checks of the in-place forms


def check_bound_cast(t, bound):
    """PyTorch's error for an in-place clamp of an integer tensor to a floating bound."""
    kind = _raw(bound).dtype.kind if isinstance(bound, (Tensor, np.ndarray)) else \
        ("f" if isinstance(bound, float) else "i")
    if kind == "f" and t._data.dtype.kind != "f":
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{_C_NAMES.get(t._data.dtype.name, t._data.dtype.name)}")


def check_same_dtype(t, dtype):
    """PyTorch's error for an in-place op asked for a result dtype other than the tensor's own."""
    if dtype is not None and D.as_dtype(dtype).np != t._data.dtype:
        raise RuntimeError(f"Bad in-place call: input tensor dtype {_C_NAMES.get(t._data.dtype.name)} and output "
                           f"tensor dtype {_C_NAMES.get(D.as_dtype(dtype).np.name)} should match")


# --------------------------------------------------------------------------- top-level in-place functions
# ``torch.dropout_`` and its kind: ATen's argument lists ``(input, p, train)``, in place.


def dropout_(input, p, train):
    """``nn.functional.dropout(input, p, train, inplace=True)``."""
    from ..nn import functional as F

    return F.dropout(input, p, train, inplace=True)


def alpha_dropout_(input, p, train):
    """``nn.functional.alpha_dropout(input, p, train, inplace=True)``."""
    from ..nn import functional as F

    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input, p, train):
    """``nn.functional.feature_alpha_dropout(input, p, train, inplace=True)``: whole channels (dim 1)."""
    from ..nn import functional as F

    return F.feature_alpha_dropout(input, p, train, inplace=True)


def feature_dropout_(input, p, train):
    """Dropout of whole channels (dim 1) of an input of at least 2 dimensions, in place."""
    from ..nn.functional.basic import _check_p, _dropout, _feature_shape

    _check_p(p)
    return _dropout(input, p, train, True, _feature_shape, False)


def embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rescale the rows of ``weight`` named in ``indices`` whose ``norm_type``-norm exceeds ``max_norm`` to
    norm ``max_norm / (norm + 1e-7)`` times their norm, in place (what ``embedding(max_norm=...)`` does)."""
    from ..autograd.grad_mode import no_grad

    w = weight._data
    if w.ndim != 2:
        raise RuntimeError(f"embedding_renorm_(): expected self to have 2 dimensions, but got {w.ndim}")
    rows = np.unique(_raw(indices).reshape(-1))
    scale = np.ones((w.shape[0], 1), dtype=w.dtype)
    if rows.size:
        norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
        scale[rows, 0] = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    with no_grad():
        return weight.mul_(Tensor._wrap(scale))
