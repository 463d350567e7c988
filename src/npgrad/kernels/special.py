"""Special functions compiled elementwise (NumPy has no erf).

* :data:`erf` is a NumPy ufunc on libm's ``erf``: accurate, but one scalar libm call per
  element.
* :func:`fast_erf` and :func:`erf_with_exp` are for Numba kernels: straight-line
  arithmetic that LLVM turns into SIMD code (the pip build of Numba has no SVML, so
  ``math.erf`` inside a compiled loop stays a scalar call). With
  :math:`z = x^2` and the split point :math:`\\tau = 0.84375`:

  .. math::

      \\operatorname{erf}(x) = \\begin{cases}
          x + x\\,q(z) & |x| < \\tau \\\\
          \\operatorname{sign}(x)\\,\\bigl(1 - e^{-x^2}\\, R(t) / S(t)\\bigr),
          \\quad t = \\min(|x|, T) & |x| \\ge \\tau
      \\end{cases}

  :math:`q(z) \\approx \\operatorname{erf}(\\sqrt z)/\\sqrt z - 1` is a polynomial and
  :math:`R/S \\approx \\operatorname{erfc}(t)\\,e^{t^2}` a rational function with positive
  coefficients (no cancellation in Horner's scheme), both fitted for the smallest relative
  error on their interval: degree 6 and (4, 4) on :math:`T = 4` for float32 (fit errors
  1.2e-10 and 1.6e-10), degree 10 and (7, 8) on :math:`T = 6` for float64 (1e-17 and 4e-18).
  Beyond :math:`T` the result is :math:`\\pm 1` in the type's precision. Both sides are
  computed for every element and one is selected, so the loop has no branch. Measured
  against a 40-digit erf: within 1.25 ulp in float32 and 1 ulp in float64 of the correctly
  rounded value (the error of ``fast_exp`` included); NaN stays NaN,
  :math:`\\operatorname{erf}(\\pm\\infty) = \\pm 1`, :math:`\\operatorname{erf}(-0) = -0`.

  ``erf_with_exp(x, e)`` takes :math:`e = e^{-x^2}` from the caller: GELU has
  :math:`e^{-u^2/2}` at hand for its derivative anyway and passes it for
  :math:`\\operatorname{erf}(u/\\sqrt 2)`.

* ``erfc``, ``erfinv``, ``lgamma``, ``digamma``, ``trigamma``, ``i0``, ``i0e``, ``i1``, ``i1e``,
  ``igamma`` and ``igammac`` map float64 arrays to float64 arrays: the compiled forms of the NumPy
  functions of :mod:`npgrad.ops._special_functions` (which call them from 256 elements on), giving
  their values to an ulp or two. Each loop is vectorised like ``fast_erf``: every branch of
  the function is computed and one selected, with ``fast_exp``/``fast_log`` and the
  coefficient tables unrolled into the code:

  - ``erfc``: :math:`1 - \\operatorname{erf}` from the polynomial above below :math:`\\tau`
    (as :math:`\\tfrac12 - ((x - \\tfrac12) + x q)` from 1/4 on), else
    :math:`e^{-x^2}\\operatorname{erfcx}(|x|)` with :math:`R/S` up to 6 and beyond a
    polynomial in :math:`36/x^2` (fit error 7e-19) for :math:`\\sqrt\\pi\\,x\\operatorname{erfcx}(x)`;
    :math:`x^2` is split exactly into :math:`h^2 + l` for :math:`e^{-x^2}`. Within 4 ulp.
  - ``erfinv``: :math:`y\\,p(w)` with :math:`w = -\\log(1 - y^2)` and polynomials fitted (in
    40-digit arithmetic) to :math:`\\operatorname{erfinv}(y)/y`: in :math:`w` up to
    :math:`w = 2.5` (:math:`|y| \\le 0.958`, 18 terms), and for the tail in :math:`w` up to 6.25
    and in :math:`\\sqrt w` on :math:`[2.5, 4]` and :math:`[4, 6.2]` (22 terms). The tail is
    evaluated, block by block, only for the elements gathered into a buffer. Within 2 ulp.
  - ``lgamma``, ``digamma``, ``trigamma``, ``i0``..``i1e``: the reference's formulas (the
    recurrences unrolled with selects, :math:`\\sin\\pi x` by a polynomial on the exactly
    reduced argument); ``trigamma`` takes :math:`\\sin` of the rounded :math:`\\pi x` as
    PyTorch does (finite at the negative integers), the rounding error found by Dekker's
    exact product.
  - ``igamma``/``igammac``: :math:`x^a e^{-x}/\\Gamma(a)` in a vectorised loop, then the
    series (four terms per division) or the continued fraction of each element until it
    converges.

* ``erfc_f32`` and ``erfinv_f32`` map float32 arrays to float32 arrays: they read and write
  float32 and compute in float64 registers, with rational functions fitted for the smallest
  relative error (linearised least squares with Lawson's reweighting, in 30-digit arithmetic)
  and the float64 exp and log of :mod:`._fastmath` (``_exp_pade_f64``, ``_log_reduce_f64``),
  so that the one rounding at the end gives the correctly rounded value but for near-ties
  (within 0.5005 ulp, where PyTorch's float32 results are within 0.834 ulp for ``erfc`` and
  0.501 for ``erfinv``):

  - ``erfc_f32``: :math:`e^{-a^2} P(a - 5.05)/Q(a - 5.05)`, :math:`a = \\min(|x|, 10.1)`
    (:math:`P/Q \\approx \\operatorname{erfcx}`, degree (6, 6), relative error
    :math:`2.7 \\cdot 10^{-11}`; float32's erfc rounds to 0 from 10.0542 on), :math:`2 - {}` that
    below 0; :math:`a^2` of a float32 :math:`a` is exact in float64, and :math:`e^{-a^2}` comes as
    the quotient of a Padé approximant, so that one division serves both quotients.
  - ``erfinv_f32``: :math:`y\\,P(u)/Q(u)`, :math:`u = w/8 - 1`, :math:`w = -\\log(1 - y^2)`
    (degree (7, 8) on :math:`0 \\le w \\le 16`, relative error :math:`2.7 \\cdot 10^{-11}`: every
    float32 :math:`|y| < 1` has :math:`w < 15.95`, so there is no tail to gather);
    :math:`\\pm\\infty` at :math:`\\pm 1`, NaN beyond. Block by block in two vectorised loops, the
    logarithm and then the rational function: as one loop, its long chain of dependent
    operations (a division in each part) keeps fewer elements in flight and runs a quarter slower.

Reference: the split and the form :math:`x + x\\,q(x^2)` follow Sun's fdlibm ``s_erf.c``
(1993); W. J. Cody, *Rational Chebyshev approximations for the error function*,
Math. Comp. 23 (1969).

Example (inside any ``@numba.njit`` function)::

    from npgrad.kernels.special import fast_erf

    @numba.njit
    def gaussian_cdf(x):
        return 0.5 * (1.0 + fast_erf(x * 0.7071067811865476))
"""
import math

import numpy as np
from numba import njit, types, vectorize
from numba.extending import overload

from ..ops import _special_functions as S
from ._fastmath import (_LOG_FOR_FLOAT32, _POLY_FLAGS, FASTMATH, _exp_pade_f64, _f64_from_i64, _i64_from_f64,
                        _log_reduce_f64, fast_exp, fast_log)

__all__ = ["erf", "fast_erf", "erf_with_exp", "fast_erf_array", "erfc", "erfinv", "lgamma", "digamma",
           "trigamma", "i0", "i0e", "i1", "i1e", "igamma", "igammac", "erfc_f32", "erfinv_f32"]


@vectorize(["float32(float32)", "float64(float64)"], cache=True)
def erf(x):
    """The error function erf(x) = 2/√π ∫₀ˣ e^{-t²} dt (libm's)."""
    return math.erf(x)


# --------------------------------------------------------------------------- vectorisable erf
_TAU = 0.84375


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _erf_f32(x, e):
    z = x * x
    q = np.float32(8.8761895e-05)
    q = q * z + np.float32(-8.252239e-04)
    q = q * z + np.float32(5.2098883e-03)
    q = q * z + np.float32(-2.6862683e-02)
    q = q * z + np.float32(1.128375e-01)
    q = q * z + np.float32(-3.7612638e-01)
    q = q * z + np.float32(1.2837917e-01)
    small = x + x * q
    t = min(max(abs(x), np.float32(_TAU)), np.float32(4.0))
    r = np.float32(3.5507107e-06)
    r = r * t + np.float32(8.8581234e-02)
    r = r * t + np.float32(4.4599064e-01)
    r = r * t + np.float32(9.757916e-01)
    r = r * t + np.float32(9.999433e-01)
    s = np.float32(1.5716708e-01)
    s = s * t + np.float32(7.8861805e-01)
    s = s * t + np.float32(1.8214084e+00)
    s = s * t + np.float32(2.1037296e+00)
    s = s * t + np.float32(1.0)
    large = math.copysign(np.float32(1.0) - e * (r / s), x)
    y = small if abs(x) < np.float32(_TAU) else large
    if x != x:
        y = x
    return y


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _erf_q_f64(z):
    """:math:`q(z) \\approx \\operatorname{erf}(\\sqrt z)/\\sqrt z - 1` for :math:`z < \\tau^2` (float64)."""
    q = 1.0713803612522945e-08
    q = q * z + -1.570990311381987e-07
    q = q * z + 1.6400938037805765e-06
    q = q * z + -1.4922063443351044e-05
    q = q * z + 1.205519698774711e-04
    q = q * z + -8.548323698255472e-04
    q = q * z + 5.2239775745983544e-03
    q = q * z + -2.6866170640584157e-02
    q = q * z + 1.128379167093422e-01
    q = q * z + -3.7612638903183376e-01
    q = q * z + 1.2837916709551256e-01
    return q


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _erfcx_mid_f64(t):
    """``(R(t), S(t))`` with :math:`R(t)/S(t) \\approx e^{t^2}\\operatorname{erfc}(t)` for
    :math:`\\tau \\le t \\le 6` (float64)."""
    r = 9.250707489723380583e-04
    r = r * t + 1.253891613432543114e-02
    r = r * t + 8.305990703504092279e-02
    r = r * t + 3.399068547968413551e-01
    r = r * t + 9.201268028760895823e-01
    r = r * t + 1.648193007257837250
    r = r * t + 1.827245439308811031
    r = r * t + 9.999999970457786684e-01
    s = 1.639645233891434965e-03
    s = s * t + 2.222464882833428728e-02
    s = s * t + 1.480397136844189143e-01
    s = s * t + 6.135808320155609525e-01
    s = s * t + 1.703681489924753545
    s = s * t + 3.211380092622067946
    s = s * t + 3.983258395869671000
    s = s * t + 2.955624571594163368
    s = s * t + 1.0
    return r, s


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _erf_f64(x, e):
    small = x + x * _erf_q_f64(x * x)
    t = min(max(abs(x), _TAU), 6.0)
    r, s = _erfcx_mid_f64(t)
    large = math.copysign(1.0 - e * (r / s), x)
    y = small if abs(x) < _TAU else large
    if x != x:
        y = x
    return y


def erf_with_exp(x, e):
    """:math:`\\operatorname{erf}(x)` given :math:`e = e^{-x^2}`; usable only inside Numba code."""
    raise NotImplementedError("erf_with_exp is callable from Numba-compiled code only")


@overload(erf_with_exp, inline="always")
def _erf_with_exp_overload(x, e):
    if x == types.float32 and e == types.float32:
        return lambda x, e: _erf_f32(x, e)
    if x == types.float64 and e == types.float64:
        return lambda x, e: _erf_f64(x, e)
    return None


def fast_erf(x):
    """:math:`\\operatorname{erf}(x)`, branch-free and vectorisable; usable only inside Numba code."""
    raise NotImplementedError("fast_erf is callable from Numba-compiled code only")


@overload(fast_erf, inline="always")
def _fast_erf_overload(x):
    if x in (types.float32, types.float64):
        return lambda x: erf_with_exp(x, fast_exp(-(x * x)))
    return None


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def fast_erf_array(x, out):
    """Elementwise ``fast_erf`` over a 1-D array (for tests against :data:`erf`)."""
    for i in range(x.shape[0]):
        out[i] = fast_erf(x[i])


# --------------------------------------------------------------------------- shared pieces of the array kernels
# No reassociation (it would undo the exact splits and the Clenshaw sums) and no reciprocals for divisions.
_FLAGS = {"nsz", "contract", "afn"}
_kernel = njit(cache=True, nogil=True, error_model="numpy", fastmath=_FLAGS)
_element = njit(inline="always", error_model="numpy", fastmath=_FLAGS)
# the loops over one block of a kernel: compiled as functions of their own, they vectorise as a loop over a
# whole array does (inlined into the loop over the blocks, they run a fifth slower)
_block_loop = njit(nogil=True, error_model="numpy", fastmath=_FLAGS)
# coefficient tables are module-level arrays: Numba freezes them into the code, and a loop over
# ``range(c.shape[0])`` is unrolled and vectorised (a loop over a tuple is not)
# log Gamma(2 + t) / t, |t| <= 1/2: the Chebyshev expansion of _special_functions as a polynomial in t
# (computed in 40-digit arithmetic; the sum of its terms' magnitudes is within 7% of its value)
_LGAMMA_NEAR = np.array([6.473973449314896e-08, -1.341570273460026e-07, 2.0192169921430407e-07,
                         -4.3032346929567314e-07, 9.584290249224467e-07, -2.044935323180052e-06,
                         4.374221208333783e-06, -9.438454884054723e-06, 2.0507292365464966e-05,
                         -4.492635166770342e-05, 9.945750665169757e-05, -0.00022315475069647703,
                         0.0005096695250262799, -0.0011927539120033873, 0.0028905103307343394,
                         -0.007385551028668096, 0.02058080842778463, -0.06735230105319814, 0.3224670334241132,
                         0.42278433509846713])
_STIRLING = np.array((1.0 / 156.0,) + S._STIRLING)
_DIGAMMA_A = np.array(S._DIGAMMA_A)
# sin(pi d) / d as a polynomial in d^2 (Taylor series to d^21; the next term is below 1.2e-18 for d <= 1/2)
_SINPI = np.array([(-1) ** k * math.pi ** (2 * k + 1) / math.factorial(2 * k + 1) for k in range(10, -1, -1)])
# the double pi split into its top 26 bits and the rest: products with 26-bit numbers are exact
_PI_HI = float((np.array([math.pi]).view(np.int64) & np.int64(-134217728)).view(np.float64)[0])
_PI_LO = math.pi - _PI_HI
# sqrt(pi) x erfcx(x) as a polynomial in s = 36 / x^2, 6 <= x < inf (Chebyshev fit, relative error 7e-19)
_ERFCX_FAR = np.array((-1.0172082450261322e-11, 1.0073907459766254e-10, -5.700709105452986e-10,
                       2.7272998669062617e-09, -1.3425441826300748e-08, 7.459674673533136e-08,
                       -4.883878245994582e-07, 3.907142191845507e-06, -4.018775711286306e-05,
                       0.0005787037036989947, -0.013888888888888791, 1.0))
# erfinv(a) / a as polynomials in u on [-1, 1], u a linear map of w = -log(1 - a^2) on [0, 2.5] (a up to
# 0.958), and in the tail on [2.5, 6.25] (a up to 0.998) and of sqrt(w) on [2.5, 4] and [4, 6.2]
# (Chebyshev fits, relative error below 2e-18; an even number of coefficients for _polevl2)
_ERFINV_CENTRAL = np.array([
    -1.8877674961998379e-13, 1.4331307663176525e-13, 5.824707412945286e-12, -1.5170953409922512e-11,
    -1.3339752893766875e-10, 7.123051585423091e-10, 2.2622485457776794e-09, -2.5343811947543152e-08,
    -9.267349110112546e-09, 7.603751196503089e-07, -1.4905888513106647e-06, -1.924593226853621e-05,
    9.508025210691429e-05, 0.00035056319039469477, -0.004401911358260522, 0.003924508156289218,
    0.31189954165688405, 1.1895615771387744])
_ERFINV_TAIL = np.array([
    [0.0, 0.0, -1.973733110083487e-13, 1.9708723415577375e-12, -5.022924629312835e-12, -1.562516955944068e-11,
     1.6201712596912e-10, -4.966047744548057e-10, -4.663166747731149e-10, 1.1114171943376651e-08,
     -4.5951320554569016e-08, 2.5734708471740592e-08, 7.021864339993635e-07, -3.9596875750593125e-06,
     7.145580755499878e-06, 3.603556694815205e-05, -0.0003242238780452885, 0.0011259109852928318,
     -0.0003088329022759847, -0.025868804601570254, 0.41789326162397217, 1.9433881388590748],
    [-3.42833449329419e-12, 2.410988140506669e-11, -4.6670908711308964e-11, -1.1668488242884922e-10,
     9.484146288570452e-10, -2.4631252310387788e-09, -3.1762860610433224e-10, 2.640207676146399e-08,
     -9.472931730402785e-08, 9.289123106534858e-08, 5.264816664010632e-07, -2.6647929019048458e-06,
     5.1273107998549535e-06, 2.405864553961797e-06, -4.739182621090278e-05, 0.00016966502201395562,
     -0.0004006356984658501, 0.0007883078513037062, -0.0015825410894020754, 0.003021139436374796,
     0.7539442257706239, 3.0838856104922208],
    [1.7175725950014974e-13, -5.821851081779831e-12, 2.4429037634458073e-11, -3.6533489364315383e-11,
     -2.389937020052092e-11, 3.0413804478692347e-10, -1.1515300240115223e-09, 3.166491583728335e-09,
     -7.041769598088791e-09, 1.3385583700581898e-08, -2.328284275842306e-08, 4.294006815085063e-08,
     -1.0711432557157544e-07, 3.839834973488879e-07, -1.619526893696317e-06, 6.891264352084969e-06,
     -2.764059169788463e-05, 9.780198006578781e-05, -0.0002482488260306424, -0.00024061923103055346,
     1.1112932209525204, 4.950934853078874]])


def _padded(far, near):
    """``far`` with leading zeros to the length of ``near``: the Clenshaw sum is the same, and both
    expansions run in one loop."""
    return np.concatenate([np.zeros(len(near) - len(far)), np.array(far)])


_I0E_A, _I0E_B = np.array(S._I0E_A), _padded(S._I0E_B, S._I0E_A)
_I1E_A, _I1E_B = np.array(S._I1E_A), _padded(S._I1E_B, S._I1E_A)


@_element
def _polevl(x, c):
    """Horner's scheme, highest power first."""
    p = c[0]
    for k in range(1, c.shape[0]):
        p = p * x + c[k]
    return p


@_element
def _polevl2(x, c):
    """Horner's scheme on the odd and the even powers apart, :math:`p(x) = x\\,O(x^2) + E(x^2)`: two independent
    chains, half the latency (an even number of coefficients, highest power first)."""
    x2 = x * x
    odd = 0.0
    even = 0.0
    for k in range(0, c.shape[0], 2):
        odd = odd * x2 + c[k]
        even = even * x2 + c[k + 1]
    return odd * x + even


@_element
def _sinpi(d):
    """:math:`\\sin(\\pi d)` for :math:`0 \\le d \\le 1/2`."""
    return d * _polevl(d * d, _SINPI)


@_element
def _offset_from_integer(x):
    """:math:`x - n` for the nearest integer :math:`n` (within :math:`[-1/2, 1/2]` but for a rounding, exact;
    0 from :math:`2^{52}` on, where every float is an integer)."""
    t = x - np.floor(x + 0.5)
    return t if abs(x) < 4503599627370496.0 else 0.0


@njit(fastmath={"nsz", "afn"}, error_model="numpy")        # no contraction: fl(pi x) must be rounded
def _pi_times_error(x):
    """:math:`\\delta = \\mathrm{fl}(\\pi x) - \\pi x`: the rounding error of the product as PyTorch forms it
    (exact, by Dekker's two-product), plus that of the double :math:`\\pi`; small for :math:`|x| < 2^{26}`."""
    p = math.pi * x
    xh = _f64_from_i64(_i64_from_f64(x) & np.int64(-134217728))
    xl = x - xh
    err = ((_PI_HI * xh - p) + _PI_HI * xl + _PI_LO * xh) + _PI_LO * xl    # pi x - p, pi the double
    return -1.2246467991473532e-16 * x - err                               # p - pi x, pi the real


@_element
def _sin_cos_of_pi_times(x):
    """:math:`\\pm(\\sin, \\cos)(\\mathrm{fl}(\\pi x))`, the functions of the rounded product as PyTorch takes
    them (finite at the integers), for :math:`|x| < 2^{26}`: :math:`\\mathrm{fl}(\\pi x) = \\pi n + \\pi t +
    \\delta` with :math:`t = x - n` and the sum formulas to second order in :math:`\\delta`; one sign
    :math:`(-1)^n` for both."""
    delta = _pi_times_error(x)
    t = _offset_from_integer(x)
    s = math.copysign(_sinpi(abs(t)), t)
    c = _sinpi(0.5 - abs(t))
    second = 1.0 - 0.5 * delta * delta
    return s * second + c * delta, c * second - s * delta


# --------------------------------------------------------------------------- erfc and erfinv
@_element
def _exp_minus_square(a):
    """:math:`e^{-a^2}` with :math:`a^2 = h^2 + l` split exactly (:math:`h`: the top 26 bits of :math:`a`,
    :math:`h^2` exact) and :math:`e^{-l} = 1 - l + l^2/2 - l^3/6` (:math:`|l| < 3 \\cdot 10^{-5}` up to 28)."""
    h = _f64_from_i64(_i64_from_f64(a) & np.int64(-134217728))
    lo = (a - h) * (a + h)
    return fast_exp(-(h * h)) * (1.0 - lo * (1.0 - lo * (0.5 - lo * (1.0 / 6.0))))


@_element
def _erfc_f64(x):
    a = abs(x)
    xq = x * _erf_q_f64(x * x)
    small = 1.0 - (x + xq) if x < 0.25 else 0.5 - ((x - 0.5) + xq)
    # erfcx(a) = num / den: R/S up to 6, the polynomial in 36/a^2 beyond
    num, den = _erfcx_mid_f64(min(max(a, _TAU), 6.0))
    u = min(a, 28.0)
    if a > 6.0:
        num = _polevl(36.0 / (u * u), _ERFCX_FAR)
        den = u * 1.7724538509055160273
    e = _exp_minus_square(u) * (num / den)          # u = a up to 28, beyond which erfc underflows
    y = small if a < _TAU else (e if x > 0.0 else 2.0 - e)
    if a == math.inf:
        y = 0.0 if x > 0.0 else 2.0
    if x != x:
        y = x
    return y


@_element
def _erfinv_central(y):
    """:math:`\\operatorname{erfinv}(y)` for :math:`w = -\\log(1 - y^2) \\le 2.5` (NaN passes)."""
    a = abs(y)
    w = -fast_log((1.0 - a) * (1.0 + a))
    return _polevl2((w - 1.25) * 0.8, _ERFINV_CENTRAL) * y


@_element
def _erfinv_tail(y):
    """:math:`\\operatorname{erfinv}(y)` for :math:`w = -\\log(1 - y^2) \\ge 2.5`, :math:`\\pm\\infty` at
    :math:`\\pm 1`, NaN beyond."""
    a = abs(y)
    w = -fast_log((1.0 - a) * (1.0 + a))
    t = math.sqrt(w)
    u = (w - 4.375) * 0.5333333333333333
    if w >= 6.25:
        u = (t - 3.25) * 1.3333333333333333
    if w >= 16.0:
        u = (t - 5.1) * 0.9090909090909091
    u2 = u * u
    odd = 0.0
    even = 0.0
    for j in range(0, _ERFINV_TAIL.shape[1], 2):
        # the coefficients of the interval, chosen by selects (vectorised; an index would be a gather)
        c_odd = _ERFINV_TAIL[0, j]
        c_even = _ERFINV_TAIL[0, j + 1]
        if w >= 6.25:
            c_odd = _ERFINV_TAIL[1, j]
            c_even = _ERFINV_TAIL[1, j + 1]
        if w >= 16.0:
            c_odd = _ERFINV_TAIL[2, j]
            c_even = _ERFINV_TAIL[2, j + 1]
        odd = odd * u2 + c_odd
        even = even * u2 + c_even
    x = (odd * u + even) * y
    if a == 1.0:
        x = math.copysign(math.inf, y)
    if a > 1.0:
        x = math.nan
    return x


_BLOCK = 1024
_ERFINV_TAIL_FROM = math.sqrt(-math.expm1(-2.5))    # |y| where w = -log(1 - y^2) reaches 2.5


@_block_loop
def _gather_beyond(src, bound, values, where):
    """Copy the elements of ``src`` with :math:`|x| >` ``bound`` (NaN not) to the front of ``values``, their
    positions to ``where``, without a branch; their number."""
    count = 0
    for i in range(src.shape[0]):
        values[count] = src[i]
        where[count] = i
        count += abs(src[i]) > bound
    return count


@_block_loop
def _erfinv_central_block(y, out):
    for i in range(y.shape[0]):
        out[i] = _erfinv_central(y[i])


@_block_loop
def _erfinv_tail_block(values, count, out, where):
    result = np.empty(count)
    for j in range(count):
        result[j] = _erfinv_tail(values[j])
    for j in range(count):
        out[where[j]] = result[j]


@_kernel
def _erfinv_loop(y, out):
    # block by block: the central polynomial for every element, then those of the tail for the elements
    # beyond it, gathered into a buffer first so that they vectorise too
    values = np.empty(_BLOCK)
    where = np.empty(_BLOCK, np.intp)
    for start in range(0, y.shape[0], _BLOCK):
        y_block = y[start:start + _BLOCK]
        out_block = out[start:start + _BLOCK]
        _erfinv_central_block(y_block, out_block)
        count = _gather_beyond(y_block, _ERFINV_TAIL_FROM, values, where)
        if count:
            _erfinv_tail_block(values, count, out_block, where)


@_kernel
def _erfc_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = _erfc_f64(x[i])


# --------------------------------------------------------------------------- float32 erfc and erfinv
# erfcx(a) = P(d) / Q(d), d = a - 5.05, 0 <= a <= 10.1 (relative error 2.7e-11), highest power first
_ERFC_F32_P = np.array([1.2273203760228677e-12, 5.793670966588923e-06, 0.00020231163609235662,
                        0.0028602038022504995, 0.020479659933966124, 0.07434432456546594, 0.10964800671135286])
_ERFC_F32_Q = np.array([1.0269063475568437e-05, 0.0004104461455006162, 0.006885587532048095,
                        0.06205395293532101, 0.3168386095650353, 0.8689498947520123, 1.0])
_ERFC_F32_MID = 5.05
_ERFC_F32_END = 10.1          # erfc(10.1) = 2.8e-46 rounds to 0 in float32, as does erfc beyond
# erfinv(y) / y = P(u) / Q(u), u = w/8 - 1, w = -log(1 - y^2) in [0, 16] (relative error 2.7e-11)
_ERFINV_F32_P = np.array([0.13501931798716324, 1.0757199957349923, 3.7868168074081416, 7.87316860117934,
                          10.982985480842451, 10.89247337914896, 7.366456472309858, 2.6614386415104527])
_ERFINV_F32_Q = np.array([-0.00017123120333506622, 0.008126960341684577, 0.15456784219665834, 0.7074792423444637,
                          1.7784913152016972, 2.7463211799633704, 3.0280211035987143, 2.237736437386991, 1.0])
# u = -(e log 2 + s (2 + z L(z))) / 8 - 1, z = s^2 (log_for_float32's series, the -1/8 folded in)
_ERFINV_F32_L = -_LOG_FOR_FLOAT32 / 8.0
_ERFINV_F32_E = -math.log(2.0) / 8.0
_BLOCK_F32 = 2048


@_element
def _erfc_f32(x32):
    x = np.float64(x32)
    a = min(abs(x), _ERFC_F32_END)
    d = a - _ERFC_F32_MID
    num, den, scale = _exp_pade_f64(-(a * a))            # e^(-a^2) = scale num / den: one division for both
    e = scale * ((num * _polevl(d, _ERFC_F32_P)) / (den * _polevl(d, _ERFC_F32_Q)))
    y = e if x >= 0.0 else 2.0 - e
    if x != x:
        y = x
    return np.float32(y)


@_kernel
def _erfc_f32_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = _erfc_f32(x[i])


@_block_loop
def _erfinv_f32_u_block(y, u):
    """:math:`u = w/8 - 1`, :math:`w = -\\log(1 - y^2)` (anything where :math:`|y| \\ge 1` or NaN: the next
    step replaces those)."""
    for i in range(y.shape[0]):
        a = np.float64(y[i])
        s, e = _log_reduce_f64(1.0 - a * a)
        z = s * s
        u[i] = s * (z * _polevl(z, _ERFINV_F32_L) - 0.25) + (e * _ERFINV_F32_E - 1.0)


@_block_loop
def _erfinv_f32_block(y, u, out):
    for i in range(y.shape[0]):
        v = np.float64(y[i])
        x = v * (_polevl(u[i], _ERFINV_F32_P) / _polevl(u[i], _ERFINV_F32_Q))
        if abs(v) == 1.0:
            x = v * math.inf
        if not abs(v) <= 1.0:
            x = math.nan
        out[i] = np.float32(x)


@_kernel
def _erfinv_f32_loop(y, out):
    u = np.empty(_BLOCK_F32)
    for start in range(0, y.shape[0], _BLOCK_F32):
        y_block = y[start:start + _BLOCK_F32]
        u_block = u[:y_block.shape[0]]
        _erfinv_f32_u_block(y_block, u_block)
        _erfinv_f32_block(y_block, u_block, out[start:start + _BLOCK_F32])


# --------------------------------------------------------------------------- lgamma, digamma, trigamma
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


@_element
def _lgamma_f64(x):
    # reflection below -1/2: lgamma(x) = log(pi) - log|sin(pi x)| - lgamma(1 - x), 1 - x >= 3/2
    reflect = x <= -0.5
    v = 1.0 - x if reflect else x
    # below 13: Gamma(v) = Gamma(y) (v - 1)...(v - n) (or / v (v + 1) for n = -1, -2), y = v - n in
    # [3/2, 5/2), log Gamma(y) = t C(2t) with t = y - 2 (no cancellation at the zeros 1 and 2)
    c = min(v, 13.0)
    n = np.floor(c - 1.5)
    prod = 1.0
    for k in range(1, 12):
        prod *= c - k if k <= n else 1.0
    if n < 0.0:
        prod = c if n == -1.0 else c * (c + 1.0)
    t = c - (n + 2.0)                      # exact
    near = t * _polevl2(t, _LGAMMA_NEAR)
    # from 13 on: Stirling's series; one logarithm serves both (of v there, of the product here)
    big = v >= 13.0
    log_arg = fast_log(v if big else abs(prod))
    z = 1.0 / v
    stirling = (v - 0.5) * log_arg - v + _HALF_LOG_2PI + z * _polevl(z * z, _STIRLING)
    r = near + (log_arg if n >= 0.0 else -log_arg)
    if big:
        r = stirling
    d = abs(_offset_from_integer(x))
    if reflect:
        r = _LOG_PI - fast_log(_sinpi(d)) - r
    if d == 0.0 and x <= 0.0 or abs(x) == math.inf:
        r = math.inf                          # the poles, and +-inf
    if x != x:
        r = x
    return r


@_element
def _digamma_f64(x):
    # reflection below 0: psi(x) = psi(1 - x) - pi cot(pi x)
    reflect = x < 0.0
    v = 1.0 - x if reflect else x
    # up to 10 by psi(v) = psi(v + 1) - 1/v, then the asymptotic series (Cephes, as PyTorch)
    acc = 0.0
    for _ in range(10):
        low = v < 10.0
        acc = acc - 1.0 / v if low else acc
        v = v + 1.0 if low else v
    z = 1.0 / (v * v)
    y = z * _polevl(z, _DIGAMMA_A) if v < 1.0e17 else 0.0
    r = acc + fast_log(v) - 0.5 / v - y
    if v == 10.0:
        r = acc + 2.25175258906672110764
    # PyTorch's pi / tan(pi r), r = fmod(x, 1) (exact), pi r rounded
    sin, cos = _sin_cos_of_pi_times(x - np.trunc(x))
    if reflect:
        r = r - math.pi * cos / sin
    d = abs(_offset_from_integer(x))
    if reflect and d == 0.0:
        r = math.nan                          # the negative integers, and -inf
    if x == 0.0:
        r = math.copysign(math.inf, -x)
    return r


@_element
def _trigamma_f64(x):
    # reflection below 1/2: psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x); up to 6 more by
    # psi'(v) = psi'(v + 1) + 1/v^2, then the asymptotic series (PyTorch's)
    reflect = x < 0.5
    s, _ = _sin_cos_of_pi_times(x)                                        # PyTorch's sin(pi x), pi x rounded
    acc = -(math.pi * math.pi) / (s * s) if reflect else 0.0
    v = 1.0 - x if reflect else x
    for _ in range(6):
        acc += 1.0 / (v * v)
        v += 1.0
    ixx = 1.0 / (v * v)
    acc += (1.0 + 1.0 / (2.0 * v) + ixx * (1.0 / 6.0 - ixx * (1.0 / 30.0 - ixx * (1.0 / 42.0)))) / v
    return -acc if reflect else acc


@_kernel
def _lgamma_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = _lgamma_f64(x[i])


@_kernel
def _digamma_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = _digamma_f64(x[i])


@_kernel
def _trigamma_loop(x, out):
    for i in range(x.shape[0]):
        out[i] = _trigamma_f64(x[i])


# --------------------------------------------------------------------------- modified Bessel functions I0, I1
@_element
def _bessel_i_f64(x, near, far, order, scaled):
    """Cephes' :math:`I_0`/:math:`I_1` (``order``), or :math:`e^{-|x|}` times them (``scaled``): Chebyshev
    expansions in :math:`|x|/2 - 2` up to 8 and in :math:`32/|x| - 2` beyond, in one loop over the
    coefficients of either."""
    a = abs(x)
    low = a <= 8.0
    arg = a * 0.5 - 2.0 if low else 32.0 / a - 2.0
    b0 = near[0] if low else far[0]
    b1 = 0.0
    b2 = 0.0
    for k in range(1, near.shape[0]):
        b2 = b1
        b1 = b0
        b0 = arg * b1 - b2 + (near[k] if low else far[k])
    r = 0.5 * (b0 - b2)
    if order == 1 and low:
        r = r * a
    if not scaled:
        r = fast_exp(a) * r
    if not low:
        r = r / math.sqrt(a)
    if order == 1 and x < 0.0:
        r = -r
    return r


@_kernel
def _bessel_i_loop(x, out, order, scaled):
    # a loop of its own for each function: the coefficients and the element function's branches are
    # constants in it
    if order == 0 and not scaled:
        for i in range(x.shape[0]):
            out[i] = _bessel_i_f64(x[i], _I0E_A, _I0E_B, 0, False)
    elif order == 0:
        for i in range(x.shape[0]):
            out[i] = _bessel_i_f64(x[i], _I0E_A, _I0E_B, 0, True)
    elif not scaled:
        for i in range(x.shape[0]):
            out[i] = _bessel_i_f64(x[i], _I1E_A, _I1E_B, 1, False)
    else:
        for i in range(x.shape[0]):
            out[i] = _bessel_i_f64(x[i], _I1E_A, _I1E_B, 1, True)


# --------------------------------------------------------------------------- incomplete gamma functions
# One element at a time (the series and the continued fraction run until they converge, a different
# number of terms for each element), as the NumPy reference in _special_functions writes them.
_scalar = njit(error_model="numpy", fastmath=_FLAGS)
_MACHEP = S.MACHEP
# Boost's Lanczos sum is a rational function with its coefficients listed from the highest power of a
# down: Horner's scheme in a, and in 1/a on the reversed lists
_LANCZOS_NUM = np.array(S._LANCZOS_NUM)
_LANCZOS_DEN = np.array(S._LANCZOS_DEN)
_LANCZOS_NUM_INV = np.array(S._LANCZOS_NUM[::-1])
_LANCZOS_DEN_INV = np.array(S._LANCZOS_DEN[::-1])


@_element
def _igam_fac(a, x):
    """:math:`x^a e^{-x}/\\Gamma(a)`, through Boost's Lanczos sum where :math:`a \\approx x` (both forms computed
    and one chosen, so that it vectorises)."""
    ax = a * fast_log(x) - x - _lgamma_f64(a)
    far = 0.0 if ax < -S._MAXLOG else fast_exp(ax)
    inverse = abs(a) > 1.0
    y = 1.0 / a if inverse else a
    num = 0.0
    den = 0.0
    for k in range(_LANCZOS_NUM.shape[0]):
        num = num * y + (_LANCZOS_NUM_INV[k] if inverse else _LANCZOS_NUM[k])
        den = den * y + (_LANCZOS_DEN_INV[k] if inverse else _LANCZOS_DEN[k])
    fac = a + S._LANCZOS_G - 0.5
    res = math.sqrt(fac / math.e) * den / num
    # e^(a - x) (x / fac)^a below 200; beyond, with log1p(u) - u, log1p(u) = log(1 + u) u / ((1 + u) - 1)
    near = res * fast_exp((a - x) + a * fast_log(x / fac))
    u = (x - a - S._LANCZOS_G + 0.5) / fac
    w = 1.0 + u
    log1p = fast_log(w) * (u / (w - 1.0)) if w != 1.0 else u
    if not (a < 200.0 and x < 200.0):
        near = res * fast_exp(a * (log1p - u) + x * (0.5 - S._LANCZOS_G) / fac)
    return far if abs(a - x) > 0.4 * abs(a) else near


@_scalar
def _igam_series(a, x, ax):
    """Regularised lower incomplete gamma by its power series (DLMF 8.11.4); ``ax`` is
    :math:`x^a e^{-x}/\\Gamma(a)`."""
    if ax == 0.0:
        return 0.0
    r = a
    c = 1.0
    ans = 1.0
    if x < 1e30:
        # four terms at a time with one division: c x/r1 (1 + x/r2 (1 + x/r3 (1 + x/r4))) =
        # c x (r2 r3 r4 + x (r3 r4 + x (r4 + x))) / (r1 r2 r3 r4), r_j = a + n + j; the next term is
        # c x^4 / (r1 r2 r3 r4)
        n = 0.0
        for _ in range(S._IGAM_MAXITER // 4):
            r1 = a + (n + 1.0)
            r2 = a + (n + 2.0)
            r3 = a + (n + 3.0)
            r4 = a + (n + 4.0)
            n += 4.0
            r34 = r3 * r4
            r234 = r2 * r34
            inv = 1.0 / (r1 * r234)
            ans += c * x * (r234 + x * (r34 + x * (r4 + x))) * inv
            c *= (x * x) * (x * x) * inv
            if c <= _MACHEP * ans:
                break
        return ans * ax / a
    for _ in range(S._IGAM_MAXITER):
        r += 1.0
        c *= x / r
        ans += c
        if c <= _MACHEP * ans:
            break
    return ans * ax / a


@_scalar
def _igamc_series(a, x):
    """Regularised upper incomplete gamma for small :math:`x` (DLMF 8.7.3), without cancellation."""
    fac = 1.0
    total = 0.0
    for n in range(1, S._IGAM_MAXITER):
        fac *= -x / n
        term = fac / (a + n)
        total += term
        if abs(term) <= _MACHEP * abs(total):
            break
    logx = math.log(x)
    return -math.expm1(a * logx - _lgamma_f64(1.0 + a)) - math.exp(a * logx - _lgamma_f64(a)) * total


@_scalar
def _igamc_continued_fraction(a, x, ax):
    """Regularised upper incomplete gamma by its continued fraction (DLMF 8.9.2), the numerators and
    denominators rescaled when they grow past :math:`2^{52}`; ``ax`` is :math:`x^a e^{-x}/\\Gamma(a)`."""
    if ax == 0.0:
        return 0.0
    y = 1.0 - a
    z = x + y + 1.0
    c = 0.0
    pkm2 = 1.0
    qkm2 = x
    pkm1 = x + 1.0
    qkm1 = z * x
    ans = pkm1 / qkm1
    for _ in range(S._IGAM_MAXITER):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        converged = False
        if qk != 0.0:
            r = pk / qk
            converged = abs(ans - r) <= _MACHEP * abs(r)       # |(ans - r) / r| <= MACHEP, without a division
            ans = r
        pkm2 = pkm1
        pkm1 = pk
        qkm2 = qkm1
        qkm1 = qk
        if abs(pk) > 4.503599627370496e15:
            pkm2 *= 2.22044604925031308085e-16
            pkm1 *= 2.22044604925031308085e-16
            qkm2 *= 2.22044604925031308085e-16
            qkm1 *= 2.22044604925031308085e-16
        if converged:
            break
    return ans * ax


@_scalar
def _igammac_regular(a, x, ax):
    """Upper incomplete gamma for finite :math:`a, x > 0`."""
    if x > 1.1:
        if x < a:
            return 1.0 - _igam_series(a, x, ax)
        return _igamc_continued_fraction(a, x, ax)
    if (-0.4 / math.log(x) < a) if x <= 0.5 else (x * 1.1 < a):
        return 1.0 - _igam_series(a, x, ax)
    return _igamc_series(a, x)


@_scalar
def _incomplete_gamma(a, x, ax, upper):
    """:math:`P(a, x)` (``upper``: :math:`Q(a, x)`) with PyTorch's values at the boundaries, in its order;
    ``ax`` is :math:`x^a e^{-x}/\\Gamma(a)`."""
    if x < 0.0 or a < 0.0:
        return math.nan
    at_zero, at_inf = (1.0, 0.0) if upper else (0.0, 1.0)
    if a == 0.0:
        return at_inf if x > 0.0 else math.nan
    if x == 0.0:
        return at_zero
    if a == math.inf:
        return math.nan if x == math.inf else at_zero
    if x == math.inf:
        return at_inf
    if a != a or x != x:
        return math.nan
    if upper:
        return _igammac_regular(a, x, ax)
    if x > 1.0 and x > a:
        return 1.0 - _igammac_regular(a, x, ax)
    return _igam_series(a, x, ax)


@_block_loop
def _igam_fac_block(a, x, out):
    for i in range(a.shape[0]):
        out[i] = _igam_fac(a[i], x[i])


@_kernel
def _igamma_loop(a, x, out, upper):
    # block by block: the factor x^a e^-x / Gamma(a) in a vectorised loop, then the series or continued
    # fractions element by element
    ax = np.empty(_BLOCK)
    for start in range(0, a.shape[0], _BLOCK):
        a_block = a[start:start + _BLOCK]
        x_block = x[start:start + _BLOCK]
        _igam_fac_block(a_block, x_block, ax)
        for i in range(a_block.shape[0]):
            out[start + i] = _incomplete_gamma(a_block[i], x_block[i], ax[i], upper)


# --------------------------------------------------------------------------- array entry points
def _map(loop, x, *params):
    """``loop(x, out, *params)`` over a C-contiguous float64 copy of ``x`` (none if it is one already), into
    a new array ``out``."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    if x.size:
        loop(x.reshape(-1), out.reshape(-1), *params)
    return out


def _unary(loop, name, doc, *params):
    """The function ``name`` of float64 arrays that runs ``loop`` (see :func:`_map`)."""
    def apply(x):
        return _map(loop, x, *params)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = doc
    return apply


erfc = _unary(_erfc_loop, "erfc", ":math:`1 - \\operatorname{erf}(x)`.")
erfinv = _unary(_erfinv_loop, "erfinv", "The inverse error function.")
lgamma = _unary(_lgamma_loop, "lgamma", ":math:`\\log|\\Gamma(x)|`.")
digamma = _unary(_digamma_loop, "digamma", ":math:`\\psi(x) = \\Gamma'(x)/\\Gamma(x)`.")
i0 = _unary(_bessel_i_loop, "i0", "Modified Bessel function :math:`I_0(x)`.", 0, False)
i0e = _unary(_bessel_i_loop, "i0e", ":math:`e^{-|x|} I_0(x)`.", 0, True)
i1 = _unary(_bessel_i_loop, "i1", "Modified Bessel function :math:`I_1(x)`.", 1, False)
i1e = _unary(_bessel_i_loop, "i1e", ":math:`e^{-|x|} I_1(x)`.", 1, True)


def _map_float32(loop, x):
    """``loop(x, out)`` over a C-contiguous float32 copy of ``x`` (none if it is one already), into a new
    float32 array ``out`` of ``x``'s shape."""
    x = np.asarray(x, dtype=np.float32)
    out = np.empty(x.shape, np.float32)
    if x.size:
        loop(np.ascontiguousarray(x).reshape(-1), out.reshape(-1))
    return out


def erfc_f32(x):
    """:math:`1 - \\operatorname{erf}(x)` of a float32 array, in float32."""
    return _map_float32(_erfc_f32_loop, x)


def erfinv_f32(y):
    """The inverse error function of a float32 array, in float32."""
    return _map_float32(_erfinv_f32_loop, y)


def trigamma(x):
    """:math:`\\psi'(x)` (below :math:`-2^{26}`, where PyTorch takes :math:`\\sin` of a product
    :math:`\\pi x` rounded by more than the kernel follows, by the reference)."""
    out = _map(_trigamma_loop, x)
    far = np.asarray(x) < -67108864.0
    if far.any():
        out[far] = S.trigamma.reference(np.asarray(x, dtype=np.float64)[far])
    return out


def _incomplete(a, x, upper):
    a, x = (np.ascontiguousarray(v, dtype=np.float64) for v in np.broadcast_arrays(a, x))
    out = np.empty(a.shape)
    if out.size:
        _igamma_loop(a.reshape(-1), x.reshape(-1), out.reshape(-1), upper)
    return out


def igamma(a, x):
    """Regularised lower incomplete gamma :math:`P(a, x)` of float64 arrays (broadcast)."""
    return _incomplete(a, x, False)


def igammac(a, x):
    """Regularised upper incomplete gamma :math:`Q(a, x)` of float64 arrays (broadcast)."""
    return _incomplete(a, x, True)
