"""Branch-free polynomial ``exp`` and ``log`` for Numba kernels.

The pip build of Numba has no SVML, so ``np.exp`` inside a compiled loop is a
scalar call into libm and the loop does not vectorise.  The functions here are
straight-line arithmetic on the IEEE-754 bit pattern, which LLVM turns into
SIMD code:

* ``fast_exp(x)``: Cody-Waite range reduction :math:`x = n \\ln 2 + r`,
  :math:`|r| \\le \\tfrac12 \\ln 2`, a polynomial for :math:`e^r`, and
  :math:`2^n` assembled directly in the exponent bits.
* ``fast_log(x)``: :math:`x = 2^e m` with :math:`m \\in [\\sqrt{1/2}, \\sqrt 2)`
  read from the bits, then :math:`\\log m = 2\\,\\operatorname{artanh} s`,
  :math:`s = (m - 1)/(m + 1)`, as an odd series in :math:`s`.

Both dispatch on the argument type: float32 uses the Cephes single-precision
polynomial (about 1 ulp), float64 a degree-13 Taylor polynomial (about 1-2 ulp).
Out-of-range arguments follow IEEE: ``fast_exp`` stays accurate through the
subnormal range, gives 0 below it and ``inf`` past the overflow threshold;
``fast_log(0) = -inf`` and ``fast_log(x < 0) = nan``; subnormal arguments of
``fast_log`` are scaled into the normal range first.

* ``exp_for_float32(x)`` and ``log_for_float32(x)``: the same reductions in float64,
  with :math:`e^r` by a [4/4] Padé approximant and a shorter artanh series, accurate to
  :math:`3 \\cdot 10^{-12}` (relative, ``exp``) and :math:`6 \\cdot 10^{-12}` (absolute,
  ``log``) rather than to the last float64 bit. They serve kernels that read and write
  float32 but compute in float64 registers, so that the one rounding at the end gives
  the correctly rounded float32 value but for near-ties. No range handling: ``exp``
  wants :math:`-707 \\le x \\le 709`, ``log`` a positive normal finite ``x`` (the
  callers' arguments stay inside, or they select the ends themselves). Their parts,
  ``_exp_pade_f64`` (:math:`e^x` as a scaled quotient) and ``_log_reduce_f64``
  (:math:`x = 2^e (1 + s)/(1 - s)`), serve kernels that fold them into their own
  division or constants.

Reference: S. L. Moshier, *Methods and Programs for Mathematical Functions*
(Cephes), 1989; W. J. Cody and W. Waite, *Software Manual for the Elementary
Functions*, 1980.

Example (inside any ``@numba.njit`` function)::

    from npgrad.kernels._fastmath import FASTMATH, fast_exp, fast_log

    @numba.njit(fastmath=FASTMATH)
    def softplus(x):
        return fast_log(1.0 + fast_exp(x))
"""
import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload
from llvmlite import ir

__all__ = ["fast_exp", "fast_log", "exp_reference", "log_reference", "FASTMATH", "exp_for_float32",
           "log_for_float32", "exp_for_float32_array", "log_for_float32_array"]

# every fast-math flag except "nnan"/"ninf": kernels must keep IEEE inf and nan
FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
# the polynomials themselves must not be reassociated (it would undo the
# Cody-Waite split); they are compiled apart and inlined by LLVM, which keeps
# each instruction's own flags
_POLY_FLAGS = {"nsz", "arcp", "contract", "afn"}


# --------------------------------------------------------------------------- bit casts
def _bitcast_intrinsic(src, dst, src_ir, dst_ir):
    @intrinsic
    def cast(typingctx, value):
        if value != src:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], dst_ir)

        return dst(src), codegen

    return cast


_f32_from_i32 = _bitcast_intrinsic(types.int32, types.float32, ir.IntType(32), ir.FloatType())
_i32_from_f32 = _bitcast_intrinsic(types.float32, types.int32, ir.FloatType(), ir.IntType(32))
_f64_from_i64 = _bitcast_intrinsic(types.int64, types.float64, ir.IntType(64), ir.DoubleType())
_i64_from_f64 = _bitcast_intrinsic(types.float64, types.int64, ir.DoubleType(), ir.IntType(64))


# --------------------------------------------------------------------------- exp
_LOG2E = 1.4426950408889634
_LN2_HI_F = 0.693359375          # ln 2 split so that n * hi is exact in float32
_LN2_LO_F = -2.12194440e-4
_LN2_HI_D = 6.93147180369123816490e-01   # fdlibm split for float64
_LN2_LO_D = 1.90821492927058770002e-10


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _exp_reduce_f32(x):
    """``x = n ln2 + r`` with ``|r| <= ln2/2`` (``x`` already clamped): ``(n, e^r - 1)``."""
    # round to nearest by the 1.5 * 2^23 shifter: stays in float32 and vectorises
    n = (x * np.float32(_LOG2E) + np.float32(12582912.0)) - np.float32(12582912.0)
    r = x - n * np.float32(_LN2_HI_F)
    r = r - n * np.float32(_LN2_LO_F)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    return n, p * (r * r) + r


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _two_pow_f32(ni):
    """``2^ni`` as two factors ``2^h, 2^(ni-h)``: both stay normal over the whole clamp range."""
    h = ni >> np.int32(1)
    two_h = _f32_from_i32(np.int32((h + np.int32(127)) << np.int32(23)))
    two_rest = _f32_from_i32(np.int32((ni - h + np.int32(127)) << np.int32(23)))
    return two_h, two_rest


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _exp_f32(x):
    # below -103 the true result rounds to 0 in float32
    x = min(max(x, np.float32(-103.0)), np.float32(88.72283))
    n, p = _exp_reduce_f32(x)
    two_h, two_rest = _two_pow_f32(np.int32(n))
    return (p + np.float32(1.0)) * two_h * two_rest


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _exp_reduce_f64(x):
    """``x = n ln2 + r`` with ``|r| <= ln2/2`` (``x`` already clamped): ``(shifted, n, r, q)`` with
    ``e^r = 1 + r + r^2 q`` (``shifted`` holds ``n`` in its low mantissa bits)."""
    shifted = x * _LOG2E + 6755399441055744.0
    n = shifted - 6755399441055744.0
    r = x - n * _LN2_HI_D
    r = r - n * _LN2_LO_D
    # Taylor series of e^r to degree 13; |r| <= ln2/2 so the tail is < 1e-17
    q = 1.6059043836821613e-10
    q = q * r + 2.08767569878681e-09
    q = q * r + 2.505210838544172e-08
    q = q * r + 2.755731922398589e-07
    q = q * r + 2.7557319223985893e-06
    q = q * r + 2.48015873015873e-05
    q = q * r + 0.0001984126984126984
    q = q * r + 0.001388888888888889
    q = q * r + 0.008333333333333333
    q = q * r + 0.041666666666666664
    q = q * r + 0.16666666666666666
    q = q * r + 0.5
    return shifted, n, r, q


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _two_pow_f64(shifted):
    """``2^n`` as two normal factors, ``n`` taken from the shifter's low mantissa bits: AVX2 has no
    vector float64 -> int64 conversion, but integer subtraction vectorises."""
    ni = _i64_from_f64(shifted) - np.int64(0x4338000000000000)
    h = ni >> np.int64(1)
    two_h = _f64_from_i64(np.int64((h + np.int64(1023)) << np.int64(52)))
    two_rest = _f64_from_i64(np.int64((ni - h + np.int64(1023)) << np.int64(52)))
    return two_h, two_rest


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _exp_f64(x):
    x = min(max(x, -745.2), 709.782712893384)
    shifted, n, r, q = _exp_reduce_f64(x)
    p = q * r + 1.0
    p = p * r + 1.0
    two_h, two_rest = _two_pow_f64(shifted)
    return p * two_h * two_rest


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _exp_f32_full(x):
    y = _exp_f32(x)
    if x < np.float32(-103.0):
        y = np.float32(0.0)
    if x > np.float32(88.72283):
        y = np.float32(np.inf)
    if x != x:
        y = x
    return y


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _exp_f64_full(x):
    y = _exp_f64(x)
    if x < -745.2:
        y = 0.0
    if x > 709.782712893384:
        y = np.inf
    if x != x:
        y = x
    return y


def fast_exp(x):
    """:math:`e^x` by range reduction and a polynomial; usable only inside Numba code."""
    raise NotImplementedError("fast_exp is callable from Numba-compiled code only")


@overload(fast_exp, inline="always")
def _fast_exp_overload(x):
    if x == types.float32:
        return lambda x: _exp_f32_full(x)
    if x == types.float64:
        return lambda x: _exp_f64_full(x)
    return None


# --------------------------------------------------------------------------- log
_SQRT_HALF = 0.7071067811865476
_LN2 = 0.6931471805599453


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _two_artanh_f32(s):
    """:math:`2\\operatorname{artanh} s = \\log\\frac{1+s}{1-s}` for :math:`|s| \\le 0.1716`, as an odd series."""
    z = s * s
    p = np.float32(2.0 / 11.0)
    p = p * z + np.float32(2.0 / 9.0)
    p = p * z + np.float32(2.0 / 7.0)
    p = p * z + np.float32(2.0 / 5.0)
    p = p * z + np.float32(2.0 / 3.0)
    p = p * z + np.float32(2.0)
    return p * s


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _two_artanh_f64(s):
    """:func:`_two_artanh_f32` in float64 (terms up to :math:`s^{23}`)."""
    z = s * s
    p = 2.0 / 23.0
    p = p * z + 2.0 / 21.0
    p = p * z + 2.0 / 19.0
    p = p * z + 2.0 / 17.0
    p = p * z + 2.0 / 15.0
    p = p * z + 2.0 / 13.0
    p = p * z + 2.0 / 11.0
    p = p * z + 2.0 / 9.0
    p = p * z + 2.0 / 7.0
    p = p * z + 2.0 / 5.0
    p = p * z + 2.0 / 3.0
    p = p * z + 2.0
    return p * s


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _log_f32(x):
    scale = np.float32(0.0)
    if x < np.float32(1.1754944e-38):           # subnormal: scale by 2^23 first
        x = x * np.float32(8388608.0)
        scale = np.float32(-23.0)
    bits = _i32_from_f32(x)
    # exponent relative to [sqrt(1/2), sqrt(2)): subtract the bits of sqrt(1/2)
    offset = bits - np.int32(0x3F3504F3)
    e = offset >> np.int32(23)
    m = _f32_from_i32(np.int32(bits - (e << np.int32(23))))
    s = (m - np.float32(1.0)) / (m + np.float32(1.0))
    y = _two_artanh_f32(s) + (np.float32(e) + scale) * np.float32(_LN2)
    if x == np.float32(0.0):
        y = np.float32(-np.inf)
    if x < np.float32(0.0) or x != x:
        y = np.float32(np.nan)
    if x == np.float32(np.inf):
        y = np.float32(np.inf)
    return y


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _log_f64(x):
    scale = 0.0
    if x < 2.2250738585072014e-308:
        x = x * 4503599627370496.0               # 2^52
        scale = -52.0
    bits = _i64_from_f64(x)
    offset = bits - np.int64(0x3FE6A09E667F3BCD)
    e = offset >> np.int64(52)
    m = _f64_from_i64(np.int64(bits - (e << np.int64(52))))
    s = (m - 1.0) / (m + 1.0)
    y = _two_artanh_f64(s) + (np.float64(e) + scale) * _LN2
    if x == 0.0:
        y = -np.inf
    if x < 0.0 or x != x:
        y = np.nan
    if x == np.inf:
        y = np.inf
    return y


def fast_log(x):
    """:math:`\\log x` from the exponent bits and an artanh series; Numba code only."""
    raise NotImplementedError("fast_log is callable from Numba-compiled code only")


@overload(fast_log, inline="always")
def _fast_log_overload(x):
    if x == types.float32:
        return lambda x: _log_f32(x)
    if x == types.float64:
        return lambda x: _log_f64(x)
    return None


# --------------------------------------------------------------------------- float64 exp and log for float32 results
# (2 artanh(s) - 2s) / s^3 as a polynomial in z = s^2 on [0, (3 - 2 sqrt 2)^2] (the Chebyshev interpolant of
# degree 3: absolute error of the logarithm below 6e-12)
_LOG_FOR_FLOAT32 = np.array([0.23331367483766569, 0.28550781106736645, 0.4000012227736828, 0.6666666655378406])
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _horner_f64(x, c):
    """Horner's scheme, highest power first (the loop over the coefficient table is unrolled)."""
    p = c[0]
    for k in range(1, c.shape[0]):
        p = p * x + c[k]
    return p


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _exp_pade_f64(x):
    """``(num, den, scale)`` with :math:`e^x = \\mathit{scale} \\cdot \\mathit{num}/\\mathit{den}`: the reduction
    :math:`x = n \\ln 2 + r` of :func:`_exp_reduce_f64`, :math:`e^r` by its [4/4] Padé approximant
    :math:`N(r)/N(-r)`, :math:`N(r) = 1 + r/2 + 3r^2/28 + r^3/84 + r^4/1680` (relative error below
    :math:`3 \\cdot 10^{-12}` for :math:`|r| \\le \\tfrac12 \\ln 2`), ``scale`` :math:`= 2^n`. A kernel that divides
    anyway folds ``num`` and ``den`` into its own division."""
    shifted = x * _LOG2E + 6755399441055744.0
    n = shifted - 6755399441055744.0
    r = x - n * _LN2_HI_D
    r = r - n * _LN2_LO_D
    ni = _i64_from_f64(shifted) - np.int64(0x4338000000000000)        # n, from the shifter's low bits
    z = r * r
    even = (z * (1.0 / 1680.0) + 3.0 / 28.0) * z + 1.0
    odd = r * (z * (1.0 / 84.0) + 0.5)
    return even + odd, even - odd, _f64_from_i64(np.int64((ni + np.int64(1023)) << np.int64(52)))


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _exp_for_float32_f64(x):
    num, den, scale = _exp_pade_f64(x)
    return scale * (num / den)


@njit(fastmath=_POLY_FLAGS, error_model="numpy", inline="always")
def _log_reduce_f64(x):
    """``(s, e)`` with :math:`x = 2^e (1 + s)/(1 - s)`, :math:`|s| \\le 3 - 2\\sqrt 2`, for a positive normal
    finite ``x``: :math:`x = 2^e m`, :math:`m \\in [\\sqrt{1/2}, \\sqrt 2)` taken from the bits (biased by
    1024 so that a logical shift gives :math:`e`, and :math:`e` read back as a float by the :math:`2^{52}`
    shifter: AVX2 has neither a 64-bit arithmetic shift nor an int64 -> float64 conversion), and
    :math:`s = (m - 1)/(m + 1)`."""
    u = np.uint64(_i64_from_f64(x) + np.int64(0x4000000000000000 - _SQRT_HALF_BITS))
    m = _f64_from_i64(np.int64(u & np.uint64(0x000FFFFFFFFFFFFF)) + np.int64(_SQRT_HALF_BITS))
    e = _f64_from_i64(np.int64((u >> np.uint64(52)) | np.uint64(0x4330000000000000))) - 4503599627371520.0
    return (m - 1.0) / (m + 1.0), e


@njit(fastmath=_POLY_FLAGS, error_model="numpy")
def _log_for_float32_f64(x):
    s, e = _log_reduce_f64(x)
    z = s * s
    return s * (2.0 + z * _horner_f64(z, _LOG_FOR_FLOAT32)) + e * _LN2


def exp_for_float32(x):
    """:math:`e^x` in float64 to :math:`3 \\cdot 10^{-12}`, for :math:`-707 \\le x \\le 709`; Numba code only."""
    raise NotImplementedError("exp_for_float32 is callable from Numba-compiled code only")


@overload(exp_for_float32, inline="always")
def _exp_for_float32_overload(x):
    if x == types.float64:
        return lambda x: _exp_for_float32_f64(x)
    return None


def log_for_float32(x):
    """:math:`\\log x` in float64 to :math:`6 \\cdot 10^{-12}`, for positive normal finite ``x``; Numba code only."""
    raise NotImplementedError("log_for_float32 is callable from Numba-compiled code only")


@overload(log_for_float32, inline="always")
def _log_for_float32_overload(x):
    if x == types.float64:
        return lambda x: _log_for_float32_f64(x)
    return None


# --------------------------------------------------------------------------- array entry points
@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def exp_reference(x, out):
    """Elementwise ``fast_exp`` over a 1-D array (for tests against ``np.exp``)."""
    for i in range(x.shape[0]):
        out[i] = fast_exp(x[i])


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def log_reference(x, out):
    """Elementwise ``fast_log`` over a 1-D array (for tests against ``np.log``)."""
    for i in range(x.shape[0]):
        out[i] = fast_log(x[i])


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def exp_for_float32_array(x, out):
    """Elementwise ``exp_for_float32`` over a 1-D float64 array (for tests)."""
    for i in range(x.shape[0]):
        out[i] = exp_for_float32(x[i])


@njit(cache=True, fastmath=FASTMATH, error_model="numpy")
def log_for_float32_array(x, out):
    """Elementwise ``log_for_float32`` over a 1-D float64 array (for tests)."""
    for i in range(x.shape[0]):
        out[i] = log_for_float32(x[i])
