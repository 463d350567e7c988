"""Special functions on NumPy arrays: the gamma family, error functions, Bessel and Airy functions, the
normal distribution's quantile and log-CDF, incomplete gamma functions, orthogonal polynomials.

Every function takes and returns float64 arrays (the callers cast float32 in and out), is vectorised
(loops run over series terms or recurrence steps, never over elements) and follows PyTorch's special
values: poles and out-of-domain arguments give ``inf`` or NaN where PyTorch gives them. From
``KERNEL_MIN_SIZE`` elements on, ``erfc``, ``erfinv``, ``lgamma``, ``digamma``, ``trigamma``, ``i0``,
``i0e``, ``i1``, ``i1e``, ``igamma`` and ``igammac`` run as the compiled loops of
:mod:`npgrad.kernels.special` (the same values to an ulp or two); the NumPy code here stays their
reference, as each function's ``.reference``. ``erfc_float32`` and ``erfinv_float32`` take float32
arrays and return float32 ones, from ``KERNEL_MIN_SIZE`` elements on through the float32 loops of
:mod:`npgrad.kernels.special` (float64 inside, one rounding at the end).

Sources of the methods:

* ``lgamma``: a Chebyshev expansion of :math:`\\log\\Gamma(2 + t)/t` on :math:`|t| \\le 1/2` (which keeps
  the zeros at 1 and 2 exact in relative terms), the recurrence :math:`\\Gamma(x + 1) = x\\Gamma(x)`
  below 13, Stirling's series above, and the reflection formula for negative arguments.
* ``erfcx`` and ``erfc``: a Chebyshev expansion of :math:`e^{x^2}\\operatorname{erfc}(x)` in
  :math:`y = 4/(4 + x)` on :math:`0 \\le x \\le 50` and a continued fraction beyond (the change of
  variable is S. G. Johnson's, *Faddeeva package*, 2012); :math:`e^{-x^2}` is formed from an exact
  split of :math:`x^2`. ``erfinv``: a rational first guess and Newton steps on ``erf`` (``erfc`` above 1/2).
* The Chebyshev coefficients of ``lgamma`` and ``erfcx`` were computed in 40-digit arithmetic and rounded
  to double precision.
* ``digamma``, ``trigamma``, the Hurwitz ``zeta``, ``i0``/``i0e``/``i1``/``i1e`` and ``ndtri`` follow the
  Cephes Math Library (S. L. Moshier, 3-clause BSD licence) as PyTorch does; ``igamma``/``igammac``
  follow Cephes and Boost's Lanczos sum (DLMF 8.7.3, 8.9.2, 8.11.4; PyTorch's uniform asymptotic
  expansion for :math:`a \\approx x > 20` is replaced by the series and the continued fraction, which are
  exact there too). The Bessel functions of ``torch.special``, ``airy_ai`` and the polynomial families
  follow PyTorch's own evaluation, so that they give its numbers.

Example:
    >>> import numpy as np
    >>> from npgrad.ops._special_functions import lgamma
    >>> float(lgamma(np.array(0.5)))   # log(sqrt(pi))
    0.5723649429247001
"""
from __future__ import annotations

import functools
import math

import numpy as np

MACHEP = 1.11022302462515654042e-16
INF = np.inf
NAN = np.nan


def _quiet(fn):
    """Run ``fn`` with NumPy's floating-point warnings off: overflow to inf, 0/0 to NaN are results here."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    return wrapper


def _f64(x):
    return np.asarray(x, dtype=np.float64)


KERNEL_MIN_SIZE = 256   # elements from which the compiled loops run (below, the NumPy code is as fast)


def _with_kernel(reference):
    """``reference`` for fewer than ``KERNEL_MIN_SIZE`` elements, else the compiled loop of the same name
    in :mod:`npgrad.kernels.special` (the same values to an ulp or two); ``.reference`` keeps the NumPy
    function."""
    name = reference.__name__

    @functools.wraps(reference)
    def dispatch(*args):
        arrays = [_f64(a) for a in args]
        if math.prod(np.broadcast_shapes(*(a.shape for a in arrays))) < KERNEL_MIN_SIZE:
            return reference(*arrays)
        from ..kernels import special

        return getattr(special, name)(*arrays)

    dispatch.reference = reference
    return dispatch


def _float32_kernel(fn, name, x):
    """``fn`` of the float32 array ``x`` in float32: the compiled float32 loop ``name`` of
    :mod:`npgrad.kernels.special` from ``KERNEL_MIN_SIZE`` elements on, below the float64 reference rounded once
    (the same values but for near-ties)."""
    x = np.asarray(x, dtype=np.float32)
    if x.size < KERNEL_MIN_SIZE:
        with np.errstate(all="ignore"):
            return fn.reference(x.astype(np.float64)).astype(np.float32)
    from ..kernels import special

    return getattr(special, name)(x)


def _variant(fn, name, doc, *params):
    """``fn(x, *params)`` as a function of its own, named ``name`` and documented by ``doc``."""
    def variant(x):
        return fn(x, *params)

    variant.__name__ = variant.__qualname__ = name
    variant.__doc__ = doc
    return _quiet(variant)


def _cheb(t, coeffs):
    """:math:`c_0/2 + \\sum_{j \\ge 1} c_j T_j(t)` by Clenshaw's recurrence (coefficients in ascending order):
    :math:`b_j = 2t\\,b_{j+1} - b_{j+2} + c_j`, written into three buffers that take turns."""
    t2 = 2.0 * t
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    b0 = np.empty_like(t)
    for c in coeffs[:0:-1]:
        np.multiply(t2, b1, out=b0)
        b0 -= b2
        b0 += c
        b0, b1, b2 = b2, b0, b1
    return t * b1 - b2 + 0.5 * coeffs[0]


def _chbevl(x, coeffs):
    """Cephes' Chebyshev sum at ``x/2`` (coefficients in descending order, the constant term last):
    :math:`b_0 \\leftarrow x b_1 - b_2 + c`, in three buffers that take turns."""
    b0 = np.full_like(x, coeffs[0])
    b1 = np.zeros_like(x)
    b2 = np.zeros_like(x)
    for c in coeffs[1:]:
        b0, b1, b2 = b2, b0, b1          # the new b1, b2 are the old b0, b1; the old b2 is free
        np.multiply(x, b1, out=b0)
        b0 -= b2
        b0 += c
    return 0.5 * (b0 - b2)


def _polevl(x, coeffs):
    """Horner's scheme, highest power first."""
    out = np.zeros_like(x)
    for c in coeffs:
        out *= x
        out += c
    return out


def _on(mask, out, fn, *arrays):
    """``out[mask] = fn(*(a[mask] for a in arrays))`` when ``mask`` selects anything."""
    if mask.any():
        out[mask] = fn(*(a[mask] for a in arrays))


def _sinpi_abs(x):
    """:math:`|\\sin(\\pi x)|`, exact in the reduction (:math:`x` minus its nearest integer is exact)."""
    d = np.abs(x - np.round(x))
    return np.sin(np.pi * d)


# --------------------------------------------------------------------------- lgamma
# Chebyshev coefficients of log(Gamma(2 + t)) / t on -1/2 <= t <= 1/2 (the value at t = 0 is 1 - Euler's gamma)
_LGAMMA_H = (0.8283722498431335, 0.16322170068760064, -0.008658972394126285, 0.0006727515726001485,
             -6.139556963628233e-05, 6.110065797003576e-06, -6.410003033826223e-07, 6.962242692768951e-08,
             -7.747248733788217e-09, 8.774075140687239e-10, -1.0070266869830198e-10, 1.1678602130652374e-11,
             -1.3656871334744932e-12, 1.6079351149711552e-13, -1.9039501088488732e-14, 2.2653768767833064e-15,
             -2.706656814831896e-16, 3.245660731626191e-17, -3.904483378457447e-18, 4.710435641256405e-19)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)
_STIRLING = (-691.0 / 360360.0, 1.0 / 1188.0, -1.0 / 1680.0, 1.0 / 1260.0, -1.0 / 360.0, 1.0 / 12.0)


def _lgamma_near_2(t):
    """:math:`\\log\\Gamma(2 + t)` for :math:`|t| \\le 1/2`."""
    return t * _cheb(2.0 * t, _LGAMMA_H)


def _lgamma_stirling(x):
    """Stirling's series, for :math:`x \\ge 13` (the next term is below :math:`10^{-17}`)."""
    z = 1.0 / x
    z2 = z * z
    series = z * _polevl(z2, (1.0 / 156.0,) + _STIRLING)
    with np.errstate(over="ignore", invalid="ignore"):
        return (x - 0.5) * np.log(x) - x + _HALF_LOG_2PI + series


def _lgamma_recurrence(x):
    """:math:`\\log\\Gamma(x)` for :math:`2.5 \\le x < 13`: down to :math:`[1.5, 2.5)` by
    :math:`\\Gamma(x) = (x - 1)\\cdots(x - n)\\,\\Gamma(x - n)`."""
    n = np.floor(x - 1.5)
    y = x - n
    prod = np.ones_like(x)
    for k in range(1, int(n.max()) + 1):
        prod = np.where(k <= n, prod * (x - k), prod)
    return _lgamma_near_2(y - 2.0) + np.log(prod)


def _lgamma_positive(x):
    """:math:`\\log\\Gamma(x)` for finite :math:`x > 0`."""
    out = np.empty_like(x)
    _on(x >= 13.0, out, _lgamma_stirling, x)
    _on((x >= 2.5) & (x < 13.0), out, _lgamma_recurrence, x)
    _on((x >= 1.5) & (x < 2.5), out, lambda v: _lgamma_near_2(v - 2.0), x)
    # Gamma(x) = Gamma(x + 1) / x: log(x) = log1p(t) with t = x - 1 exact
    _on((x >= 0.5) & (x < 1.5), out, lambda v: _lgamma_near_2(v - 1.0) - np.log1p(v - 1.0), x)
    _on(x < 0.5, out, lambda v: _lgamma_near_2(v) - np.log1p(v) - np.log(v), x)
    return out


@_with_kernel
@_quiet
def lgamma(x):
    """:math:`\\log|\\Gamma(x)|`: ``inf`` at 0, the negative integers and :math:`\\pm\\infty`."""
    x = _f64(x)
    out = np.full(x.shape, INF)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out[np.isnan(x)] = NAN
        pos = np.isfinite(x) & (x > 0)
        _on(pos, out, _lgamma_positive, x)
        small_neg = (x < 0) & (x > -0.5)       # Gamma(x) = Gamma(x + 1) / x, x + 1 in (1/2, 1)
        _on(small_neg, out, lambda v: _lgamma_near_2(v) - np.log1p(v) - np.log(-v), x)
        neg = np.isfinite(x) & (x <= -0.5) & (x != np.floor(x))
        _on(neg, out, lambda v: _LOG_PI - np.log(_sinpi_abs(v)) - _lgamma_positive(1.0 - v), x)
    return out


# --------------------------------------------------------------------------- digamma, trigamma, zeta, polygamma
_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
              -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
              8.33333333333333333333e-2)


def _digamma_positive(x):
    """:math:`\\psi(x)` for :math:`x > 0`: up to 10 by :math:`\\psi(x) = \\psi(x + 1) - 1/x`, then the
    asymptotic series."""
    x = x.copy()
    result = np.zeros_like(x)
    low = x < 10.0
    while low.any():
        result = np.where(low, result - 1.0 / np.where(low, x, 1.0), result)
        x = np.where(low, x + 1.0, x)
        low = x < 10.0
    z = 1.0 / (x * x)
    y = np.where(x < 1.0e17, z * _polevl(z, _DIGAMMA_A), 0.0)
    with np.errstate(invalid="ignore"):
        series = result + np.log(x) - 0.5 / x - y
    return np.where(x == 10.0, result + _PSI_10, series)


@_with_kernel
@_quiet
def digamma(x):
    """:math:`\\psi(x) = \\Gamma'(x)/\\Gamma(x)`: :math:`\\mp\\infty` at :math:`\\pm 0`, NaN at the negative
    integers and :math:`-\\infty`."""
    x = _f64(x)
    out = np.empty_like(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        zero = x == 0
        out[zero] = np.copysign(INF, -x[zero])
        integer = x == np.trunc(x)
        out[(x < 0) & integer] = NAN
        _on(~(x <= 0), out, _digamma_positive, x)     # NaN included: it stays NaN
        neg = (x < 0) & ~integer

        def reflect(v):
            return _digamma_positive(1.0 - v) - np.pi / np.tan(np.pi * np.fmod(v, 1.0))

        _on(neg, out, reflect, x)
    return out


@_with_kernel
@_quiet
def trigamma(x):
    """:math:`\\psi'(x)`, by recurrence to :math:`x + 6` and the asymptotic series (reflection below 1/2)."""
    x = _f64(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        reflect = x < 0.5
        sin_pi_x = np.sin(np.pi * x)
        result = np.where(reflect, -(np.pi * np.pi) / (sin_pi_x * sin_pi_x), 0.0)
        sign = np.where(reflect, -1.0, 1.0)
        x = np.where(reflect, 1.0 - x, x)
        for _ in range(6):
            result = result + 1.0 / (x * x)
            x = x + 1.0
        ixx = 1.0 / (x * x)
        result = result + (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx * (1.0 / 42.0)))) / x
    return sign * result


_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)


@_quiet
def zeta(x, q):
    """Hurwitz zeta :math:`\\zeta(x, q) = \\sum_{k \\ge 0} (k + q)^{-x}`: direct sum until the terms are
    negligible (at least 9 terms and up to :math:`q + k > 9`), then the Euler-Maclaurin tail. ``inf`` at
    :math:`x = 1` and at :math:`q = 0, -1, \\ldots`; NaN for :math:`x < 1`."""
    x, q = np.broadcast_arrays(_f64(x), _f64(q))
    shape = x.shape
    x, q = x.ravel(), q.ravel()
    out = np.full(x.shape, NAN)
    with np.errstate(all="ignore"):
        # PyTorch's order: x = 1 (a pole), x < 1 (NaN), q a non-positive integer (a pole), q < 0 with x not an
        # integer (NaN); anything else, NaN included, goes through the sum
        pole = (x == 1.0) | (~(x < 1.0) & (q <= 0) & (q == np.floor(q)))
        out[pole] = INF
        regular = ~pole & ~(x < 1.0) & ~((q <= 0) & (x != np.floor(x)))
        idx = np.flatnonzero(regular)
        xs, qs = x[idx], q[idx]
        s = np.power(qs, -xs)
        a = qs.copy()
        b = np.zeros_like(s)
        live = np.arange(idx.size)          # positions still in the direct sum
        i = 0
        tail = []                           # positions that go on to the Euler-Maclaurin tail
        while live.size:
            i += 1
            a[live] += 1.0
            b[live] = np.power(a[live], -xs[live])
            s[live] += b[live]
            sl, bl = s[live], b[live]
            converged = (-MACHEP * sl < bl) & (bl < MACHEP * sl)
            more = ~converged & ((i < 9) | (a[live] <= 9.0))
            tail.append(live[~converged & ~more])
            live = live[more]
        t_idx = np.concatenate(tail) if tail else np.zeros(0, dtype=np.intp)
        if t_idx.size:
            xt, w, bt, st = xs[t_idx], a[t_idx].copy(), b[t_idx], s[t_idx]
            st = st + bt * w / (xt - 1.0)
            st = st - 0.5 * bt
            at = np.ones_like(xt)
            k = 0.0
            active = np.ones(xt.shape, dtype=bool)
            for coef in _ZETA_A:
                at = at * (xt + k)
                bt = bt / w
                t = at * bt / coef
                st = np.where(active, st + t, st)
                active &= ~(np.abs(t / st) < MACHEP)
                k += 1.0
                at = at * (xt + k)
                bt = bt / w
                k += 1.0
            s[t_idx] = st
        out[idx] = s
    return out.reshape(shape)


@_quiet
def polygamma(n, x):
    """:math:`\\psi^{(n)}(x)`: digamma, trigamma, and :math:`(-1)^{n+1} n!\\,\\zeta(n + 1, x)` beyond."""
    if n == 0:
        return digamma(x)
    if n == 1:
        return trigamma(x)
    sign = 1.0 if n % 2 else -1.0
    return sign * math.exp(math.lgamma(n + 1.0)) * zeta(float(n + 1), x)


@_quiet
def mvlgamma(x, p):
    """Multivariate log-gamma :math:`\\tfrac{p(p-1)}{4}\\log\\pi + \\sum_{j=0}^{p-1} \\log\\Gamma(x - j/2)`."""
    x = _f64(x)
    total = np.zeros_like(x)
    for j in range(p):
        total = total + lgamma(x - j / 2.0)
    return total + p * (p - 1) / 4.0 * _LOG_PI


# --------------------------------------------------------------------------- erfc, erfcx
# Chebyshev coefficients of erfcx(4/y - 4) for 4/54 <= y <= 1 (0 <= x <= 50)
_ERFCX = (0.6280543719042815, 0.4303108482202982, 0.173179984894548, 0.059522558058757745, 0.0175049030696404,
          0.004373142938659199, 0.0009105286994575534, 0.00015165249492105908, 1.828692707327363e-05,
          1.0647762365847692e-06, -1.19284584278641e-07, -3.5061292859289076e-08, -2.212665098516534e-09,
          4.4193853380803637e-10, 8.920766688674645e-11, -2.0981430512475486e-12, -2.206001821534468e-12,
          -8.640650534833909e-14, 5.081686075438975e-14, 4.352432698422307e-15, -1.231336498133137e-15,
          -1.4928816451444365e-16, 3.3305421147134705e-17, 4.609536397913383e-18, -1.0243484462955077e-18)
_ERFCX_Y0 = 4.0 / 54.0
_INV_SQRT_PI = 0.56418958354775628694807945156


def _erfcx_nonneg(x):
    """:math:`e^{x^2}\\operatorname{erfc}(x)` for :math:`x \\ge 0` (NaN passes)."""
    out = np.empty_like(x)
    with np.errstate(invalid="ignore", over="ignore"):
        mid = ~(x > 50.0)
        y = 4.0 / (4.0 + x[mid])
        out[mid] = _cheb((2.0 * y - (1.0 + _ERFCX_Y0)) / (1.0 - _ERFCX_Y0), _ERFCX)
        far = x > 50.0
        v = x[far]
        v2 = v * v
        # the continued fraction 1/sqrt(pi) / (x + 1/2 / (x + 1 / (x + 3/2 / (x + 2 / x)))), simplified
        out[far] = np.where(v > 5e7, _INV_SQRT_PI / v,
                            _INV_SQRT_PI * (v2 * (v2 + 4.5) + 2.0) / (v * (v2 * (v2 + 5.0) + 3.75)))
    return out


@_quiet
def erfcx(x):
    """Scaled complementary error function :math:`e^{x^2}\\operatorname{erfc}(x)`; for :math:`x < 0`,
    :math:`2e^{x^2} - \\operatorname{erfcx}(-x)` (``inf`` below -26.7)."""
    x = _f64(x)
    out = np.empty_like(x)
    neg = x < 0
    _on(~neg, out, _erfcx_nonneg, x)
    with np.errstate(over="ignore"):
        v = x[neg]
        e = 2.0 * np.exp(v * v)
        mid = v >= -6.1
        e[mid] -= _erfcx_nonneg(-v[mid])
        e[v < -26.7] = INF
        out[neg] = e
    return out


def _exp_minus_square(x):
    """:math:`e^{-x^2}` with :math:`x^2` split exactly: :math:`x = h + l`, :math:`h` of 26 bits."""
    h = (x.view(np.uint64) & np.uint64(0xFFFFFFFFF8000000)).view(np.float64)
    with np.errstate(under="ignore"):
        return np.exp(-h * h) * np.exp(-(x - h) * (x + h))


@_with_kernel
@_quiet
def erfc(x):
    """Complementary error function :math:`1 - \\operatorname{erf}(x)`, accurate in relative terms for
    large :math:`x` (:math:`e^{-x^2}\\operatorname{erfcx}(x)`)."""
    x = _f64(x)
    a = np.abs(x)
    with np.errstate(invalid="ignore", under="ignore"):
        e = _exp_minus_square(np.where(np.isfinite(a), a, 0.0)) * _erfcx_nonneg(np.where(np.isnan(a), 0.0, a))
        e = np.where(a == INF, 0.0, e)
        out = np.where(x < 0, 2.0 - e, e)
    return np.where(np.isnan(x), NAN, out)


def _erf(x):
    from ..kernels.special import erf

    return erf(x)


_ERFINV_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_ERFINV_B = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_ERFINV_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ERFINV_D = (3.543889200, 1.637067800)


def _erfinv_central_step(x, a):
    """A Newton step on :math:`\\operatorname{erf}(x) = a`."""
    return x - (_erf(x) - a) / ((2.0 * _INV_SQRT_PI) * np.exp(-x * x))


def _erfinv_tail_step(x, a):
    """A Newton step on :math:`\\operatorname{erfc}(x) = 1 - a` (exact for :math:`a \\ge 1/2`)."""
    return x - ((1.0 - a) - erfc(x)) / ((2.0 * _INV_SQRT_PI) * np.exp(-x * x))


@_with_kernel
@_quiet
def erfinv(y):
    """Inverse error function: a rational first guess (central part :math:`|y| \\le 0.7`, tail in
    :math:`\\sqrt{-\\log((1 - |y|)/2)}`), then two (three near :math:`\\pm 1`) Newton steps on
    :math:`\\operatorname{erf}(x) - |y|`, written as :math:`(1 - |y|) - \\operatorname{erfc}(x)` above
    :math:`|y| = 1/2` (exact there), so the result is within an ulp or two everywhere; :math:`\\pm\\infty` at
    :math:`\\pm 1`, NaN beyond."""
    y = _f64(y)
    a = np.abs(y)
    x = np.zeros_like(a)
    central = a <= 0.5
    v = a[central]
    z = v * v
    num = ((_ERFINV_A[3] * z + _ERFINV_A[2]) * z + _ERFINV_A[1]) * z + _ERFINV_A[0]
    den = (((_ERFINV_B[3] * z + _ERFINV_B[2]) * z + _ERFINV_B[1]) * z + _ERFINV_B[0]) * z + 1.0
    r = v * num / den
    for _ in range(2):
        r = _erfinv_central_step(r, v)
    x[central] = r
    tail = (a > 0.5) & (a < 1.0)
    v = a[tail]
    z = v * v
    num = ((_ERFINV_A[3] * z + _ERFINV_A[2]) * z + _ERFINV_A[1]) * z + _ERFINV_A[0]
    den = (((_ERFINV_B[3] * z + _ERFINV_B[2]) * z + _ERFINV_B[1]) * z + _ERFINV_B[0]) * z + 1.0
    w = np.sqrt(-np.log((1.0 - v) / 2.0))
    r = np.where(v <= 0.7, v * num / den,
                 (((_ERFINV_C[3] * w + _ERFINV_C[2]) * w + _ERFINV_C[1]) * w + _ERFINV_C[0])
                 / ((_ERFINV_D[1] * w + _ERFINV_D[0]) * w + 1.0))
    for _ in range(2):
        r = _erfinv_tail_step(r, v)
    far = (1.0 - v) < 1e-6                # where the first guess is least accurate: one step more
    r[far] = _erfinv_tail_step(r[far], v[far])
    x[tail] = r
    x[a == 1.0] = INF
    x[~(a <= 1.0)] = NAN                  # beyond 1, and NaN
    return np.copysign(x, y)


def erfc_float32(x):
    """:func:`erfc` of a float32 array, in float32 (see :func:`_float32_kernel`)."""
    return _float32_kernel(erfc, "erfc_f32", x)


def erfinv_float32(y):
    """:func:`erfinv` of a float32 array, in float32 (see :func:`_float32_kernel`)."""
    return _float32_kernel(erfinv, "erfinv_f32", y)


# --------------------------------------------------------------------------- the normal distribution
_NDTRI_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0)
_NDTRI_Q0 = (1.00000000000000000000e0, 1.95448858338141759834e0, 4.67627912898881538453e0,
             8.63602421390890590575e1, -2.25462687854119370527e2, 2.00260212380060660359e2,
             -8.20372256168333339912e1, 1.59056225126211695515e1, -1.18331621121330003142e0)
_NDTRI_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_NDTRI_Q1 = (1.00000000000000000000e0, 1.57799883256466749731e1, 4.53907635128879210584e1,
             4.13172038254672030440e1, 1.50425385692907503408e1, 2.50464946208309415979e0,
             -1.42182922854787788574e-1, -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_NDTRI_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_NDTRI_Q2 = (1.00000000000000000000e0, 6.02427039364742014255e0, 3.67983563856160859403e0,
             1.37702099489081330271e0, 2.16236993594496635890e-1, 1.34204006088543189037e-2,
             3.28014464682127739104e-4, 2.89247864745380683936e-6, 6.79019408009981274425e-9)
_EXP_M2 = 0.13533528323661269189          # exp(-2)
_SQRT_2PI = 2.50662827463100050242


@_quiet
def ndtri(p):
    """Quantile of the standard normal distribution: the :math:`x` with :math:`\\Phi(x) = p`."""
    p = _f64(p)
    out = np.full(p.shape, NAN)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[p == 0.0] = -INF
        out[p == 1.0] = INF
        inside = (p > 0.0) & (p < 1.0)
        upper = p > 1.0 - _EXP_M2
        y = np.where(upper, 1.0 - p, p)
        central = inside & (y > _EXP_M2)
        v = y[central] - 0.5
        v2 = v * v
        out[central] = (v + v * (v2 * _polevl(v2, _NDTRI_P0) / _polevl(v2, _NDTRI_Q0))) * _SQRT_2PI
        tail = inside & ~(y > _EXP_M2)
        t = np.sqrt(-2.0 * np.log(y[tail]))
        x0 = t - np.log(t) / t
        z = 1.0 / t
        x1 = np.where(t < 8.0, z * _polevl(z, _NDTRI_P1) / _polevl(z, _NDTRI_Q1),
                      z * _polevl(z, _NDTRI_P2) / _polevl(z, _NDTRI_Q2))
        r = x0 - x1
        out[tail] = np.where(upper[tail], r, -r)
    return out


@_quiet
def log_ndtr(x):
    """:math:`\\log\\Phi(x)`: :math:`\\log(\\operatorname{erfcx}(-x/\\sqrt2)/2) - x^2/2` below -1, else
    :math:`\\operatorname{log1p}(-\\operatorname{erfc}(x/\\sqrt 2)/2)`."""
    x = _f64(x)
    t = x * 0.70710678118654752440
    out = np.empty_like(x)
    low = x < -1.0
    _on(low, out, lambda v: np.log(erfcx(-v) / 2.0) - v * v, t)
    _on(~low, out, lambda v: np.log1p(-erfc(v) / 2.0), t)
    return out


# --------------------------------------------------------------------------- modified Bessel functions
_I0E_A = (-4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
          1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
          -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
          9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
          -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
          1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
          -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
          1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
          -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
          1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1)
_I0E_B = (-7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
          3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
          1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
          -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
          7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
          -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
          3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
          2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
          8.04490411014108831608e-1)
_I1E_A = (2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
          -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
          3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
          -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
          9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
          -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
          4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
          -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
          2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
          -1.76416518357834055153e-1, 2.52587186443633654823e-1)
_I1E_B = (7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
          -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
          -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
          4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
          -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
          3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
          -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
          -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
          7.78576235018280120474e-1)


def _bessel_i(x, near, far, order, scaled):
    """:math:`I_0`/:math:`I_1` (``order``), or their :math:`e^{-|x|}`-scaled forms, from Cephes' Chebyshev
    expansions on :math:`[0, 8]` and in :math:`32/x` beyond."""
    x = _f64(x)
    a = np.abs(x)
    out = np.empty_like(a)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        low = a <= 8.0
        v = a[low]
        r = _chbevl(v / 2.0 - 2.0, near)
        if order == 1:
            r = r * v
        out[low] = r if scaled else np.exp(v) * r
        high = ~low
        v = a[high]
        r = _chbevl(32.0 / v - 2.0, far)
        out[high] = r / np.sqrt(v) if scaled else np.exp(v) * r / np.sqrt(v)
    if order == 1:
        out = np.where(x < 0, -out, out)
    return out


i0 = _with_kernel(_variant(_bessel_i, "i0", "Modified Bessel function of the first kind, order 0.",
                           _I0E_A, _I0E_B, 0, False))
i0e = _with_kernel(_variant(_bessel_i, "i0e", ":math:`e^{-|x|} I_0(x)`.", _I0E_A, _I0E_B, 0, True))
i1 = _with_kernel(_variant(_bessel_i, "i1", "Modified Bessel function of the first kind, order 1.",
                           _I1E_A, _I1E_B, 1, False))
i1e = _with_kernel(_variant(_bessel_i, "i1e", ":math:`e^{-|x|} I_1(x)`.", _I1E_A, _I1E_B, 1, True))


# --------------------------------------------------------------------------- incomplete gamma functions
_LANCZOS_NUM = (0.006061842346248906525783753964555936883222, 0.5098416655656676188125178644804694509993,
                19.51992788247617482847860966235652136208, 449.9445569063168119446858607650988409623,
                6955.999602515376140356310115515198987526, 75999.29304014542649875303443598909137092,
                601859.6171681098786670226533699352302507, 3481712.15498064590882071018964774556468,
                14605578.08768506808414169982791359218571, 43338889.32467613834773723740590533316085,
                86363131.28813859145546927288977868422342, 103794043.1163445451906271053616070238554,
                56906521.91347156388090791033559122686859)
_LANCZOS_DEN = (1.0, 66.0, 1925.0, 32670.0, 357423.0, 2637558.0, 13339535.0, 45995730.0, 105258076.0,
                150917976.0, 120543840.0, 39916800.0, 0.0)
_LANCZOS_G = 6.024680040776729583740234375
_MAXLOG = 7.09782712893383996843e2
_IGAM_MAXITER = 20000


def _lanczos_sum_expg_scaled(a):
    """Boost's Lanczos sum (scaled by :math:`e^{-g}`), a rational function evaluated in :math:`a` or
    :math:`1/a`."""
    big = np.abs(a) > 1.0
    y = np.where(big, 1.0 / a, a)
    # in a, the coefficients from the constant term up; in 1/a, from the highest power down
    num = np.where(big, _polevl(y, _LANCZOS_NUM[::-1]), _polevl(y, _LANCZOS_NUM))
    den = np.where(big, _polevl(y, _LANCZOS_DEN[::-1]), _polevl(y, _LANCZOS_DEN))
    return num / den


def _igam_fac(a, x):
    """:math:`x^a e^{-x} / \\Gamma(a)`, through the Lanczos sum where :math:`a \\approx x`."""
    out = np.empty_like(a)
    far = np.abs(a - x) > 0.4 * np.abs(a)
    ax = a[far] * np.log(x[far]) - x[far] - lgamma(a[far])
    out[far] = np.where(ax < -_MAXLOG, 0.0, np.exp(ax))
    near = ~far
    an, xn = a[near], x[near]
    fac = an + _LANCZOS_G - 0.5
    res = np.sqrt(fac / math.e) / _lanczos_sum_expg_scaled(an)
    small = (an < 200) & (xn < 200)
    num = xn - an - _LANCZOS_G + 0.5
    numfac = num / fac
    res = np.where(small, res * np.exp(an - xn) * np.power(xn / fac, an),
                   res * np.exp(an * (np.log1p(numfac) - numfac) + xn * (0.5 - _LANCZOS_G) / fac))
    out[near] = res
    return out


class _Live:
    """The per-element state of an iteration, kept for the elements that have not converged yet: ``drop(done)``
    stores ``done`` elements' ``value`` into the result and removes them from every state array."""

    def __init__(self, n, **state):
        self.result = np.empty(n)
        self.index = np.arange(n)
        self.state = state

    def __getattr__(self, name):
        return self.__dict__["state"][name]

    def set(self, **state):
        self.state.update(state)

    def drop(self, done, value):
        """Record ``value`` where ``done``; return whether any element is left."""
        if done.any():
            self.result[self.index[done]] = value[done]
            keep = ~done
            self.index = self.index[keep]
            self.state = {k: v[keep] for k, v in self.state.items()}
        return self.index.size > 0

    def finish(self, value):
        """Record ``value`` for the elements that never converged; the results in the original order."""
        self.result[self.index] = value
        return self.result


def _igam_series(a, x):
    """Regularised lower incomplete gamma by its power series (DLMF 8.11.4)."""
    ax = _igam_fac(a, x)
    it = _Live(a.size, r=a.copy(), c=np.ones_like(a), ans=np.ones_like(a), x=x)
    for _ in range(_IGAM_MAXITER):
        r = it.r + 1.0
        c = it.c * (it.x / r)
        ans = it.ans + c
        it.set(r=r, c=c, ans=ans)
        if not it.drop(c <= MACHEP * ans, ans):
            break
    ans = it.finish(it.ans)
    return np.where(ax == 0.0, 0.0, ans * ax / a)


def _igamc_series(a, x):
    """Regularised upper incomplete gamma for small :math:`x` (DLMF 8.7.3), without cancellation."""
    it = _Live(a.size, fac=np.ones_like(a), total=np.zeros_like(a), a=a, x=x)
    for n in range(1, _IGAM_MAXITER):
        fac = it.fac * (-it.x / n)
        term = fac / (it.a + n)
        total = it.total + term
        it.set(fac=fac, total=total)
        if not it.drop(np.abs(term) <= MACHEP * np.abs(total), total):
            break
    total = it.finish(it.total)
    logx = np.log(x)
    term = -np.expm1(a * logx - lgamma(1.0 + a))
    return term - np.exp(a * logx - lgamma(a)) * total


def _igamc_continued_fraction(a, x):
    """Regularised upper incomplete gamma by its continued fraction (DLMF 8.9.2), with the numerators and
    denominators rescaled when they grow past :math:`2^{52}`."""
    ax = _igam_fac(a, x)
    big, biginv = 4.503599627370496e15, 2.22044604925031308085e-16
    y = 1.0 - a
    z = x + y + 1.0
    it = _Live(a.size, y=y, z=z, pkm2=np.ones_like(a), qkm2=x.copy(), pkm1=x + 1.0, qkm1=z * x)
    it.set(ans=it.pkm1 / it.qkm1)
    c = 0.0
    for _ in range(_IGAM_MAXITER):
        c += 1.0
        y = it.y + 1.0
        z = it.z + 2.0
        yc = y * c
        pk = it.pkm1 * z - it.pkm2 * yc
        qk = it.qkm1 * z - it.qkm2 * yc
        nonzero = qk != 0
        r = pk / np.where(nonzero, qk, 1.0)
        t = np.where(nonzero, np.abs((it.ans - r) / r), 1.0)
        ans = np.where(nonzero, r, it.ans)
        scale = np.where(np.abs(pk) > big, biginv, 1.0)
        it.set(y=y, z=z, ans=ans, pkm2=it.pkm1 * scale, pkm1=pk * scale, qkm2=it.qkm1 * scale, qkm1=qk * scale)
        if not it.drop(t <= MACHEP, ans):
            break
    ans = it.finish(it.ans)
    return np.where(ax == 0.0, 0.0, ans * ax)


def _igammac_regular(a, x):
    """Upper incomplete gamma for finite :math:`a, x > 0`."""
    out = np.empty_like(a)
    lower_route = np.where(x > 1.1, x < a, np.where(x <= 0.5, -0.4 / np.log(x) < a, x * 1.1 < a))
    cf = (x > 1.1) & ~lower_route
    small = (x <= 1.1) & ~lower_route
    _on(lower_route, out, lambda a_, x_: 1.0 - _igam_series(a_, x_), a, x)
    _on(cf, out, _igamc_continued_fraction, a, x)
    _on(small, out, _igamc_series, a, x)
    return out


def _incomplete_gamma(a, x, upper):
    a, x = np.broadcast_arrays(_f64(a), _f64(x))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    out = np.full(a.shape, NAN)
    lo, hi = (1.0, 0.0) if upper else (0.0, 1.0)     # the values at x = 0 and at x = inf
    decided = np.zeros(a.shape, dtype=bool)

    def assign(cond, value):                         # the boundary cases in PyTorch's order (NaN included)
        m = cond & ~decided
        out[m] = np.broadcast_to(value, a.shape)[m]
        decided[m] = True

    with np.errstate(all="ignore"):
        assign((x < 0) | (a < 0), NAN)
        assign(a == 0, np.where(x > 0, hi, NAN))
        assign(x == 0, lo)
        assign(np.isinf(a), np.where(np.isinf(x), NAN, lo))
        assign(np.isinf(x), hi)
        regular = ~decided & ~np.isnan(a) & ~np.isnan(x)
        a_r, x_r = a[regular], x[regular]
        if upper:
            out[regular] = _igammac_regular(a_r, x_r)
        else:
            res = np.empty_like(a_r)
            via_upper = (x_r > 1.0) & (x_r > a_r)
            _on(via_upper, res, lambda a_, x_: 1.0 - _igammac_regular(a_, x_), a_r, x_r)
            _on(~via_upper, res, _igam_series, a_r, x_r)
            out[regular] = res
    return out.reshape(shape)


@_with_kernel
@_quiet
def igamma(a, x):
    """Regularised lower incomplete gamma :math:`P(a, x) = \\gamma(a, x)/\\Gamma(a)`."""
    return _incomplete_gamma(a, x, upper=False)


@_with_kernel
@_quiet
def igammac(a, x):
    """Regularised upper incomplete gamma :math:`Q(a, x) = 1 - P(a, x)`."""
    return _incomplete_gamma(a, x, upper=True)


# --------------------------------------------------------------------------- Bessel functions of integer order
# PyTorch's ``torch.special`` evaluations (Cephes' rational approximations as PyTorch writes them; for |x| > 5
# the J and Y functions of PyTorch differ from the exact ones by up to about 1e-5, and npgrad gives PyTorch's
# numbers).
_J0_PP = (7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00,
          5.44725003058768775090e+00, 8.74716500199817011941e+00, 5.30324038235394892183e+00,
          9.99999999999999997821e-01)
_J0_PQ = (9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00,
          5.47097740330417105182e+00, 8.76190883237069594232e+00, 5.30605288235394617618e+00,
          1.00000000000000000218e+00)
_J0_QP = (-1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
          -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
          -5.14105326766599330220e+01, -6.05014350600728481186e+00)
_J0_QQ = (6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03,
          7.24046774195652478189e+03, 5.93072701187316984827e+03, 2.06209331660327847417e+03,
          2.42005740240291393179e+02)
_J0_RP = (-4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14,
          9.70862251047306323952e+15)
_J0_RQ = (4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07,
          1.11855537045356834862e+10, 2.11277520115489217587e+12, 3.10518229857422583814e+14,
          3.18121955943204943306e+16, 1.71086294081043136091e+18)
_J1_PP = (7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00,
          5.11207951146807644818e+00, 8.42404590141772420927e+00, 5.21451598682361504063e+00,
          1.00000000000000000254e+00)
_J1_PQ = (5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00,
          5.07386386128601488557e+00, 8.39985554327604159757e+00, 5.20982848682361821619e+00,
          9.99999999999999997461e-01)
_J1_QP = (5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01,
          3.66779609360150777800e+02, 7.10856304998926107277e+02, 5.97489612400613639965e+02,
          2.11688757100572135698e+02, 2.52070205858023719784e+01)
_J1_QQ = (7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03,
          9.56231892404756170795e+03, 7.99704160447350683650e+03, 2.82619278517639096600e+03,
          3.36093607810698293419e+02)
_J1_RP = (-8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13,
          3.68295732863852883286e+15)
_J1_RQ = (6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07,
          2.21511595479792499675e+10, 4.74914122079991414898e+12, 7.84369607876235854894e+14,
          8.95222336184627338078e+16, 5.32278620332680085395e+18)
_Y0_YP = (1.55924367855235737965e+04, -1.46639295903971606143e+07, 5.43526477051876500413e+09,
          -9.82136065717911466409e+11, 8.75906394395366999549e+13, -3.46628303384729719441e+15,
          4.42733268572569800351e+16, -1.84950800436986690637e+16)
_Y0_YQ = (1.04128353664259848412e+03, 6.26107330137134956842e+05, 2.68919633393814121987e+08,
          8.64002487103935000337e+10, 2.02979612750105546709e+13, 3.17157752842975028269e+15,
          2.50596256172653059228e+17)
_Y1_YP = (1.26320474790178026440e+09, -6.47355876379160291031e+11, 1.14509511541823727583e+14,
          -8.12770255501325109621e+15, 2.02439475713594898196e+17, -7.78877196265950026825e+17)
_Y1_YQ = (5.94301592346128195359e+02, 2.35564092943068577943e+05, 7.34811944459721705660e+07,
          1.87601316108706159478e+10, 3.88231277496238566008e+12, 6.20557727146953693363e+14,
          6.87141087355300489866e+16, 3.97270608116560655612e+18)
_PIO4 = 0.785398163397448309615660845819875721
_THPIO4 = 2.356194490192344928846982537459627163
_SQ2OPI = 0.797884560802865355879892119868763737
_TWOOPI = 0.636619772367581343075535053490057448


def _bessel_far(x, pp, pq, qp, qq, phase, z, second_kind):
    """The large-argument form :math:`\\sqrt{2/(\\pi x)}\\,(P\\cos(x - \\phi) - (5/x) Q\\sin(x - \\phi))` (the
    second kind: :math:`\\sin` and :math:`\\cos` exchanged, plus), with :math:`P, Q` rational in ``z``."""
    p = _polevl(z, pp) / _polevl(z, pq)
    q = 5.0 / x * (_polevl(z, qp) / _polevl(z, qq))
    if second_kind:
        r = p * np.sin(x - phase) + q * np.cos(x - phase)
    else:
        r = p * np.cos(x - phase) - q * np.sin(x - phase)
    return r * _SQ2OPI / np.sqrt(x)


def _near_and_far(x, near, far):
    """``near(v)`` for :math:`v \\le 5` (and NaN), ``far(v)`` beyond."""
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        low = ~(x > 5.0)
        out[low] = near(x[low])
        out[~low] = far(x[~low])
    return out


def _j0_near(v):
    v2 = v * v
    r = (v2 - 5.78318596294678452118e+00) * (v2 - 3.04712623436620863991e+01) * _polevl(v2, _J0_RP) \
        / _polevl(v2, _J0_RQ)
    return np.where(v < 0.00001, 1.0 - v2 / 4.0, r)


def _j1_near(v):
    v2 = v * v
    return _polevl(v2, _J1_RP) / _polevl(v2, _J1_RQ) * v * (v2 - 1.46819706421238932572e+01) \
        * (v2 - 4.92184563216946036703e+01)


def _order0_far(v, second_kind):
    return _bessel_far(v, _J0_PP, _J0_PQ, _J0_QP, _J0_QQ, _PIO4, 25.0 / (v * v), second_kind)


def _order1_far(v, second_kind):
    return _bessel_far(v, _J1_PP, _J1_PQ, _J1_QP, _J1_QQ, _THPIO4, 5.0 / v * (5.0 / v), second_kind)


def _at_zero_and_below(v, r):
    """``r``, but ``-inf`` at 0 and NaN below (the functions of the second kind)."""
    return np.where(v == 0, -INF, np.where(v < 0, NAN, r))


@_quiet
def bessel_j0(x):
    """Bessel function of the first kind, order 0."""
    return _near_and_far(np.abs(_f64(x)), _j0_near, lambda v: _order0_far(v, False))


@_quiet
def bessel_j1(x):
    """Bessel function of the first kind, order 1."""
    x = _f64(x)
    out = _near_and_far(np.abs(x), _j1_near, lambda v: _order1_far(v, False))
    return np.where(x < 0, -out, out)


@_quiet
def bessel_y0(x):
    """Bessel function of the second kind, order 0 (``-inf`` at 0, NaN below)."""
    def near(v):
        r = _polevl(v * v, _Y0_YP) / _polevl(v * v, _Y0_YQ) + _TWOOPI * np.log(v) * bessel_j0(v)
        return _at_zero_and_below(v, r)
    return _near_and_far(_f64(x), near, lambda v: _order0_far(v, True))


@_quiet
def bessel_y1(x):
    """Bessel function of the second kind, order 1 (``-inf`` at 0, NaN below)."""
    def near(v):
        r = v * (_polevl(v * v, _Y1_YP) / _polevl(v * v, _Y1_YQ)) + _TWOOPI * (bessel_j1(v) * np.log(v) - 1.0 / v)
        return _at_zero_and_below(v, r)
    return _near_and_far(_f64(x), near, lambda v: _order1_far(v, True))


_K0_A = (1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
         1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
         1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
         -5.35327393233902768720e-01)
_K0_B = (5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
         -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
         6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
         -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
         1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
         -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
         2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
         -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
         2.44030308206595545468e+00)
_K1_A = (-7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
         -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
         -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
         -3.53155960776544875667e-01, 1.52530022733894777053e+00)
_K1_B = (-5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
         1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
         -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
         3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
         -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
         2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
         -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
         1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
         2.72062619048444266945e+00)


def _bessel_k(x, order, scaled):
    """:math:`K_0`/:math:`K_1` (``order``), or :math:`e^x K`: Cephes' expansions on :math:`(0, 2]` (through
    :math:`I_0`/:math:`I_1` and :math:`\\log(x/2)`) and in :math:`8/x - 2` beyond; ``inf`` at 0, NaN below."""
    x = _f64(x)
    out = np.full(x.shape, NAN)
    near_c, far_c = (_K0_A, _K0_B) if order == 0 else (_K1_A, _K1_B)
    with np.errstate(all="ignore"):
        out[x == 0] = INF
        near = (x > 0) & (x <= 2.0)
        v = x[near]
        series = _chbevl(v * v - 2.0, near_c)
        if order == 0:
            r = series - np.log(0.5 * v) * i0(v)
        else:
            r = np.log(0.5 * v) * i1(v) + series / v
        out[near] = r * np.exp(v) if scaled else r
        far = x > 2.0
        v = x[far]
        r = _chbevl(8.0 / v - 2.0, far_c)
        out[far] = r / np.sqrt(v) if scaled else np.exp(-v) * r / np.sqrt(v)
    return out


modified_bessel_k0 = _variant(_bessel_k, "modified_bessel_k0", "Modified Bessel function of the second kind, order 0.",
                              0, False)
modified_bessel_k1 = _variant(_bessel_k, "modified_bessel_k1", "Modified Bessel function of the second kind, order 1.",
                              1, False)
scaled_modified_bessel_k0 = _variant(_bessel_k, "scaled_modified_bessel_k0", ":math:`e^x K_0(x)`.", 0, True)
scaled_modified_bessel_k1 = _variant(_bessel_k, "scaled_modified_bessel_k1", ":math:`e^x K_1(x)`.", 1, True)


@_quiet
def spherical_bessel_j0(x):
    """:math:`\\sin(x)/x` (a Taylor polynomial below 1/2, 0 at :math:`\\pm\\infty`)."""
    x = _f64(x)
    x2 = x * x
    poly = 1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (
        1.0 / 362880.0 + x2 * (-1.0 / 39916800.0 + x2 * (1.0 / 6227020800.0))))))
    with np.errstate(all="ignore"):
        out = np.where(np.abs(x) < 0.5, poly, np.sin(x) / x)
    return np.where(np.isinf(x), 0.0, out)


_AIRY_AN = (3.46538101525629032477e-01, 1.20075952739645805542e+01, 7.62796053615234516538e+01,
            1.68089224934630576269e+02, 1.59756391350164413639e+02, 7.05360906840444183113e+01,
            1.40264691163389668864e+01, 9.99999999999999995305e-01)
_AIRY_AD = (5.67594532638770212846e-01, 1.47562562584847203173e+01, 8.45138970141474626562e+01,
            1.77318088145400459522e+02, 1.64234692871529701831e+02, 7.14778400825575695274e+01,
            1.40959135607834029598e+01, 1.00000000000000000470e+00)
_AIRY_AFN = (-1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
             -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
             -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08)
_AIRY_AFD = (1.33560420706553243746e+01, 3.26825032795224613948e+01, 2.67367040941499554804e+01,
             9.18707402907259625840e+00, 1.47529146771666414581e+00, 1.15687173795188044134e-01,
             4.40291641615211203805e-03, 7.54720348287414296618e-05, 4.51850092970580378464e-07)
_AIRY_AGN = (1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e+00,
             9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
             5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
             8.11789239554389293311e-08, 3.41551784765923618484e-10)
_AIRY_AGD = (9.30892908077441974853e+00, 1.98352928718312140417e+01, 1.55646628932864612953e+01,
             5.47686069422975497931e+00, 9.54293611618961883998e-01, 8.64580826352392193095e-02,
             4.12656523824222607191e-03, 1.01259085116509135510e-04, 1.17166733214413521882e-06,
             4.91834570062930015649e-09)


def _airy_series(x):
    """Maclaurin series of Ai: :math:`c_1 f(x) - c_2 g(x)`, summed until the term is below the epsilon."""
    f = np.ones_like(x)
    g = x.copy()
    k = np.ones_like(x)
    m = np.ones_like(x)
    n = x.copy()
    z = x * x * x
    live = np.ones(x.shape, dtype=bool)
    eps = np.finfo(np.float64).eps
    while live.any():
        m = m * z
        k = k + 1.0
        m = m / k
        n = n * z
        k = k + 1.0
        n = n / k
        m = m / k
        f = np.where(live, f + m, f)
        k = k + 1.0
        n = n / k
        g = np.where(live, g + n, g)
        live &= np.abs(m / f) > eps
    return 0.355028053887817239260 * f - 0.258819403792806798405 * g


@_quiet
def airy_ai(x):
    """Airy function :math:`\\operatorname{Ai}(x)`: oscillatory asymptotic form below -2.09, decaying
    asymptotic form above 2.09 (0 beyond 103.892), Maclaurin series between; NaN at :math:`\\pm\\infty`."""
    x = _f64(x)
    out = np.full(x.shape, NAN)
    with np.errstate(all="ignore"):
        out[np.isfinite(x) & (x > 103.892)] = 0.0
        low = np.isfinite(x) & (x < -2.09)
        v = x[low]
        s = -2.0 * v * np.sqrt(-v) / 3.0
        z = 1.0 / s
        zz = z * z
        t = s + 0.25 * np.pi
        out[low] = 5.64189583547756286948e-01 / np.sqrt(np.sqrt(-v)) * (
            np.sin(t) * (1.0 + zz * _polevl(zz, _AIRY_AFN) / _polevl(zz, _AIRY_AFD))
            - np.cos(t) * (z * _polevl(zz, _AIRY_AGN) / _polevl(zz, _AIRY_AGD)))
        high = (x >= 2.09) & (x <= 103.892)
        v = x[high]
        zeta_ = 2.0 * v * np.sqrt(v) / 3.0
        out[high] = 5.64189583547756286948e-01 * (_polevl(1.0 / zeta_, _AIRY_AN) / _polevl(1.0 / zeta_, _AIRY_AD)) \
            / (2.0 * np.sqrt(np.sqrt(v)) * np.exp(zeta_))
        mid = ~(x < -2.09) & ~(x >= 2.09) & ~np.isinf(x)        # NaN included
        _on(mid, out, _airy_series, x)
    return out


# --------------------------------------------------------------------------- orthogonal polynomials
# PyTorch's evaluation: special values first, a closed form for large degree inside the interval, and the
# three-term recurrence otherwise; a negative (or non-finite) degree gives 0, a NaN argument NaN.


def _degree(n, shape):
    """The integer degree (truncated as PyTorch's cast does; NaN and infinities count as -1), broadcast."""
    n = np.asarray(n)
    if n.dtype.kind == "f":
        n = np.where(np.isfinite(n), np.trunc(np.where(np.isfinite(n), n, 0)), -1)
    return np.broadcast_to(n.astype(np.int64), shape)


def _cases(x, n, cases, recurrence):
    """The first matching ``(condition, value)`` of ``cases`` for each element, else ``recurrence(x, n)`` (on
    the remaining elements)."""
    x = _f64(x)
    shape = np.broadcast_shapes(x.shape, np.shape(n))
    x = np.broadcast_to(x, shape)
    n = _degree(n, shape)
    out = np.empty(shape)
    done = np.zeros(shape, dtype=bool)
    with np.errstate(all="ignore"):
        for cond, value in cases(x, n):
            take = np.broadcast_to(cond, shape) & ~done
            out[take] = np.broadcast_to(value, shape)[take]
            done |= take
        rest = ~done
        if rest.any():
            out[rest] = recurrence(x[rest], n[rest])
    return out


def _three_term(n, first, step, start):
    """:math:`p_0 = 1`, :math:`p_1 =` ``first``, :math:`p_j = ` ``step(j, p_{j-1}, p_{j-2})`` for
    :math:`j = 2, \\ldots, n` (``start``: the degree the loop starts at is ``start``)."""
    p = np.ones_like(first)
    q = first.copy()
    out = np.where(n == 0, 1.0, first)
    top = int(n.max()) if n.size else 0
    for j in range(start, top + 1):
        r = step(j, p, q)
        keep = j <= n
        p = np.where(keep, q, p)
        q = np.where(keep, r, q)
        out = np.where(keep, r, out)
    return out


def _chebyshev_like(first_of):
    def recurrence(x, n):
        return _three_term(n, first_of(x), lambda j, p, q: (x + x) * q - p, 2)
    return recurrence


@_quiet
def chebyshev_polynomial_t(x, n):
    """Chebyshev polynomial of the first kind :math:`T_n(x)`."""
    def cases(x, n):
        return [(n < 0, 0.0), (np.abs(x) == 1, np.where((x > 0) | (n % 2 == 0), 1.0, -1.0)),
                ((n > 6) & (np.abs(x) < 1), np.cos(n * np.arccos(x)))]
    return _cases(x, n, cases, _chebyshev_like(lambda x: x))


@_quiet
def chebyshev_polynomial_u(x, n):
    """Chebyshev polynomial of the second kind :math:`U_n(x)`."""
    def cases(x, n):
        theta = np.arccos(x)
        s = np.sin(theta)
        big = np.where(s != 0, np.sin((n + 1) * theta) / s, (n + 1) * np.cos((n + 1) * theta) / x)
        return [(n < 0, 0.0), (np.abs(x) == 1, np.where((x > 0) | (n % 2 == 0), n + 1.0, -(n + 1.0))),
                ((n > 8) & (np.abs(x) < 1), big)]
    return _cases(x, n, cases, _chebyshev_like(lambda x: x + x))


@_quiet
def chebyshev_polynomial_v(x, n):
    """Chebyshev polynomial of the third kind :math:`V_n(x)`."""
    def cases(x, n):
        theta = np.arccos(x)
        odd_sign = np.where(n % 2 == 0, n + n + 1.0, -(n + n + 1.0))
        big = np.where(np.sin(theta / 2) != 1, np.cos((n + 0.5) * theta) / np.cos(theta / 2), odd_sign)
        return [(n < 0, 0.0), (np.abs(x) == 1, np.where(x > 0, 1.0, odd_sign)),
                ((n > 8) & (np.abs(x) < 1), big)]
    return _cases(x, n, cases, _chebyshev_like(lambda x: x + x - 1.0))


@_quiet
def chebyshev_polynomial_w(x, n):
    """Chebyshev polynomial of the fourth kind :math:`W_n(x)`."""
    def cases(x, n):
        theta = np.arccos(x)
        at_one = np.where(x > 0, n + n + 1.0, np.where(n % 2 == 0, 1.0, -1.0))
        big = np.where(np.cos(theta / 2) != 1, np.sin((n + 0.5) * theta) / np.sin(theta / 2), at_one)
        return [(n < 0, 0.0), (np.abs(x) == 1, at_one), ((n > 8) & (np.abs(x) < 1), big)]
    return _cases(x, n, cases, _chebyshev_like(lambda x: x + x + 1.0))


def _shifted(first_of):
    def recurrence(x, n):
        y = x + x - 1.0
        return _three_term(n, first_of(y), lambda j, p, q: (y + y) * q - p, 2)
    return recurrence


@_quiet
def shifted_chebyshev_polynomial_t(x, n):
    """:math:`T_n(2x - 1)`."""
    def cases(x, n):
        y = x + x - 1.0
        return [(n < 0, 0.0), (x == 1, 1.0), (x == 0, np.where(n % 2 == 0, 1.0, -1.0)),
                ((n > 6) & (np.abs(y) < 1), np.cos(n * np.arccos(y)))]
    return _cases(x, n, cases, _shifted(lambda y: y))


@_quiet
def shifted_chebyshev_polynomial_u(x, n):
    """:math:`U_n(2x - 1)`."""
    def cases(x, n):
        y = x + x - 1.0
        theta = np.arccos(y)
        s = np.sin(theta)
        big = np.where(s != 0, np.sin((n + 1) * theta) / s, (n + 1) * np.cos((n + 1) * theta) / y)
        return [(n < 0, 0.0), (x == 1, n + 1.0), (x == 0, np.where(n % 2 == 0, n + 1.0, -(n + 1.0))),
                ((n > 6) & (np.abs(y) < 1), big)]
    return _cases(x, n, cases, _shifted(lambda y: y + y))


@_quiet
def shifted_chebyshev_polynomial_v(x, n):
    """:math:`V_n(2x - 1)`."""
    def cases(x, n):
        y = x + x - 1.0
        theta = np.arccos(y)
        odd_sign = np.where(n % 2 == 0, n + n + 1.0, -(n + n + 1.0))
        big = np.where(np.sin(theta / 2) != 1, np.cos((n + 0.5) * theta) / np.cos(theta / 2), odd_sign)
        return [(n < 0, 0.0), (x == 1, 1.0), (x == 0, odd_sign), ((n > 6) & (np.abs(y) < 1), big)]
    return _cases(x, n, cases, _shifted(lambda y: y + y - 1.0))


@_quiet
def shifted_chebyshev_polynomial_w(x, n):
    """:math:`W_n(2x - 1)`."""
    def cases(x, n):
        y = x + x - 1.0
        theta = np.arccos(y)
        alternating = np.where(n % 2 == 0, 1.0, -1.0)
        big = np.where(np.cos(theta / 2) != 1, np.sin((n + 0.5) * theta) / np.sin(theta / 2), alternating)
        return [(n < 0, 0.0), (x == 1, n + n + 1.0), (x == 0, alternating), ((n > 4) & (np.abs(y) < 1), big)]
    return _cases(x, n, cases, _shifted(lambda y: y + y + 1.0))


_HERMITE_LIMIT = 512


@_quiet
def hermite_polynomial_h(x, n):
    """Physicists' Hermite polynomial :math:`H_n(x)` (NaN above degree 512, as PyTorch)."""
    def cases(x, n):
        return [(n < 0, 0.0), (n == 0, 1.0), (n == 1, x + x), (n > _HERMITE_LIMIT, NAN)]

    def recurrence(x, n):
        return _three_term(n, x + x, lambda j, p, q: (x + x) * q - (2 * (j - 1)) * p, 2)
    return _cases(x, n, cases, recurrence)


@_quiet
def hermite_polynomial_he(x, n):
    """Probabilists' Hermite polynomial :math:`He_n(x)` (NaN above degree 512, as PyTorch)."""
    def cases(x, n):
        return [(n < 0, 0.0), (n == 0, 1.0), (n == 1, x), (n > _HERMITE_LIMIT, NAN)]

    def recurrence(x, n):
        return _three_term(n, x.copy(), lambda j, p, q: x * q - (j - 1) * p, 2)
    return _cases(x, n, cases, recurrence)


@_quiet
def laguerre_polynomial_l(x, n):
    """Laguerre polynomial :math:`L_n(x)`."""
    def cases(x, n):
        return [(n < 0, 0.0), (np.abs(x) == 0, 1.0)]

    def recurrence(x, n):
        def step(j, p, q):
            k = j - 1
            return (((k + k) + (1.0 - x)) * q - k * p) / (k + 1)
        return _three_term(n, 1.0 - x, step, 2)
    return _cases(x, n, cases, recurrence)


@_quiet
def legendre_polynomial_p(x, n):
    """Legendre polynomial :math:`P_n(x)`."""
    def cases(x, n):
        return [(n < 0, 0.0), (np.abs(x) == 1, np.where((x > 0) | (n % 2 == 0), 1.0, -1.0))]

    def recurrence(x, n):
        def step(j, p, q):
            k = j - 1
            return ((k + k + 1) * x * q - k * p) / (k + 1)
        return _three_term(n, x.copy(), step, 2)
    return _cases(x, n, cases, recurrence)
