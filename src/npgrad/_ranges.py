r"""PyTorch's CPU range kernels (``arange``, ``linspace``, ``logspace``) bit for bit.

PyTorch computes each value from the start, not by accumulating steps, and its vectorised CPU kernels
fuse the multiply-add (one rounding, on CPUs with FMA: AVX2, AVX512, ARM):

* ``arange``: in the accumulate type (float64 for float32 and float64, int64 for the integer types),
  blocks of one SIMD register: :math:`b = \mathrm{fl}(s + h\,i_0)` for the block's first index
  :math:`i_0`, rounded to the tensor's type, then :math:`b + h\,k` for the block's lanes; the indices left
  over after the last pair of blocks (of each thread's share, for more than 32768 values) are
  :math:`s + h\,i` one by one;
* ``linspace``: in the tensor's type (float64 for integers), :math:`h = (e - s) / (n - 1)`, then
  :math:`s + h\,i` for the first half and :math:`e - h\,(n - 1 - i)` for the second;
* ``logspace``: the same split, in float64 without fusing, then ``pow(base, x)`` of the C library.

A fused multiply-add :math:`a b + c` is emulated exactly with NumPy (Dekker's exact product, an exact sum,
and rounding to odd, Boldo and Melquiond 2008); from 65536 values on, a compiled loop runs the CPU's own
(:mod:`npgrad.kernels.ranges`).

Example:
    >>> from npgrad._ranges import linspace_values
    >>> float(linspace_values(0, 1, 7, np.dtype(np.float32))[4])
    0.6666666269302368
"""
from __future__ import annotations

import functools
import math
import numbers

import numpy as np

__all__ = ["scalar_value", "checked_scalar", "arange_size", "arange_values", "linspace_values", "logspace_values"]

_GRAIN_SIZE = 32768
# the C++ type names PyTorch's checked scalar conversion prints
_CPP_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
              "float16": "c10::Half", "float32": "float", "float64": "double", "bool": "bool"}


@functools.lru_cache(maxsize=None)
def _fused():
    """Whether PyTorch's CPU kernels fuse multiply-adds here, and its SIMD register width in bytes."""
    from .backends.cpu import get_cpu_capability

    cap = get_cpu_capability()
    return cap != "DEFAULT" or not _is_x86(), 64 if cap == "AVX512" else 32


def _is_x86():
    import platform

    return platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


# --------------------------------------------------------------------------- exact fused multiply-add


def _split(a):
    """Dekker's split of float64 ``a`` into two halves of 26 bits: ``hi + lo == a``."""
    t = a * 134217729.0  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _two_prod(a, b):
    """``p, e`` with ``p = fl(a b)`` and ``p + e == a b`` exactly."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _two_sum(a, b):
    """``s, e`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _round_odd(s, err):
    """``s + err`` (``s`` its rounding to nearest) rounded to odd: where inexact, the neighbour of the exact
    value whose last mantissa bit is 1."""
    even = (s.view(np.int64) & 1) == 0
    fix = (err != 0) & even
    if fix.any():
        s = np.where(fix, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s


def fma(a, b, c, dtype):
    r"""``a b + c`` rounded once to ``dtype`` (float64 or float32; the inputs are taken in ``dtype``).

    float64 is Boldo and Melquiond's :math:`\mathrm{RN}(t_h + \mathrm{RO}(t_l + u_l))` on the exact product
    :math:`u_h + u_l` and the exact sum :math:`t_h + t_l = c + u_h`; a float32 product is exact in float64, so
    rounding its sum with ``c`` to odd in float64 and then to nearest in float32 rounds once.
    """
    dtype = np.dtype(dtype)
    a, b, c = (np.asarray(x, dtype).astype(np.float64) for x in (a, b, c))
    with np.errstate(all="ignore"):
        p = a * b
        plain = p + c
        if dtype == np.float64:
            uh, ul = _two_prod(a, b)
            th, tl = _two_sum(c, uh)
            out = th + _round_odd(*_two_sum(tl, ul))
        else:
            out = _round_odd(*_two_sum(c, p))
        ok = np.isfinite(plain) & (np.abs(p) < 1e300)  # Dekker's split needs headroom
        return np.where(ok, out, plain).astype(dtype)


_COMPILED_FROM = 1 << 16  # from this many values on, the compiled loop beats the emulation


def _mul_add(a, b, c, dtype, fused):
    """``a b + c`` as PyTorch's kernel computes it in ``dtype`` (``a`` a number, ``b`` an array, ``c`` a number
    or an array like ``b``): fused, or rounded twice."""
    dtype = np.dtype(dtype)
    if not fused:
        with np.errstate(all="ignore"):
            return dtype.type(a) * np.asarray(b, dtype) + np.asarray(c, dtype)
    if np.size(b) >= _COMPILED_FROM:
        from .kernels.ranges import fma_scalar_a

        b = np.ascontiguousarray(b, dtype).reshape(-1)
        c = np.ascontiguousarray(np.broadcast_to(np.asarray(c, dtype), b.shape))
        return fma_scalar_a(a, b, c)
    return fma(a, b, c, dtype)


# --------------------------------------------------------------------------- scalars


def scalar_value(v, name=None):
    """A Python number from a number, a NumPy scalar or a one-element tensor; PyTorch's errors for ints
    beyond 64 bits."""
    if hasattr(v, "_data"):  # a Tensor
        v = v._data.item()
    elif isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return v
    if isinstance(v, numbers.Integral):
        v = int(v)
        if v >= 1 << 64:
            raise OverflowError("int too big to convert")
        if v < -(1 << 63):
            raise OverflowError("can't convert negative int to unsigned")
        return v
    if isinstance(v, numbers.Real):
        return float(v)
    raise TypeError(f"{name or 'value'} must be Number, not {type(v).__name__}")


@functools.lru_cache(maxsize=None)
def _limits(dtype):
    if dtype.kind == "f":
        return float(np.finfo(dtype).min), float(np.finfo(dtype).max)
    return int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)


def checked_scalar(v, dtype):
    """PyTorch's checked conversion of a number to ``dtype`` (``Scalar::to<T>``), or its
    "value cannot be converted" error; integers wrap like C++ casts."""
    dtype = np.dtype(dtype)
    bad = False
    if dtype.kind == "b":
        return np.bool_(v)
    if dtype.kind == "f":
        v = float(v)
        if not math.isinf(v) and not math.isnan(v):
            lo, hi = _limits(dtype)
            bad = v < lo or v > hi
        if bad:
            raise RuntimeError(f"value cannot be converted to type {_CPP_NAMES[dtype.name]} without overflow")
        return dtype.type(v)
    lo, hi = _limits(dtype)
    if isinstance(v, float):
        bad = math.isnan(v) or v < lo or v > hi
        if not bad:
            v = int(v)  # C++ truncates toward zero
    elif isinstance(v, int):
        if v >= 1 << 63 and dtype == np.int64:
            bad = True
        elif dtype.kind == "u":
            bad = v > hi or (v < 0 and -v > hi)
        else:
            bad = v < lo or v > hi
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_CPP_NAMES[dtype.name]} without overflow")
    return _wrap_int(int(v), dtype)


def _wrap_int(v, dtype):
    """A Python int as ``dtype`` would hold it after a C++ cast (modulo :math:`2^{bits}`)."""
    bits = dtype.itemsize * 8
    v %= 1 << bits
    if dtype.kind == "i" and v >= 1 << (bits - 1):
        v -= 1 << bits
    return dtype.type(v)


# --------------------------------------------------------------------------- arange


def arange_size(start, end, step, dtype):
    """The length PyTorch gives ``arange(start, end, step)``, after its checks of the bounds."""
    ds, de, dh = float(start), float(end), float(step)
    if not (dh > 0 or dh < 0):
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(ds) and math.isfinite(de)):
        raise RuntimeError(f"unsupported range: {_fmt(ds)} -> {_fmt(de)}")
    if not ((dh > 0 and de >= ds) or (dh < 0 and de <= ds)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype == np.int64:
        xs, xe, xh = (int(checked_scalar(v, dtype)) for v in (start, end, step))
        if xh == 0:
            raise ValueError("step must be nonzero")
        sgn = (xh > 0) - (xh < 0)
        num = xe - xs + xh - sgn
        size = abs(num) // abs(xh) * (1 if (num >= 0) == (xh > 0) else -1)  # C's truncating division
    else:
        size = math.ceil((de - ds) / dh)
    if not 0 <= size <= 2 ** 63 - 1:
        raise RuntimeError("invalid size, possible overflow?")
    return int(size)


def _fmt(v):
    return "inf" if v == math.inf else "-inf" if v == -math.inf else "nan" if math.isnan(v) else f"{v:g}"


def arange_values(start, end, step, dtype):
    """``torch.arange(start, end, step, dtype=dtype)``'s values as a NumPy array."""
    dtype = np.dtype(dtype)
    if dtype == np.int64 and all(type(v) is int and abs(v) < 1 << 62 for v in (start, end, step)):
        if step != 0 and (end - start) * step >= 0:  # what NumPy computes is exact: skip the float checks
            return np.arange(start, end, step, dtype=np.int64)
    n = arange_size(start, end, step, dtype)
    # the kernel takes start and step in the accumulate type, checked
    acc = np.int64 if dtype.kind in "iu" else np.float32 if dtype == np.float16 else np.float64
    s, h = checked_scalar(start, acc), checked_scalar(step, acc)
    if dtype.kind in "iu":
        with np.errstate(over="ignore"):
            return (s + h * np.arange(n, dtype=np.int64)).astype(dtype)
    s, h = float(s), float(h)
    if n == 0:
        return np.empty(0, dtype)
    if _exact_range(s, h, n, dtype):
        return (s + h * np.arange(n, dtype=acc)).astype(dtype)
    fused, width = _fused()
    lanes = width // (2 if dtype == np.float16 else dtype.itemsize)
    with np.errstate(over="ignore", invalid="ignore"):
        return _arange_blocks(n, s, h, dtype, acc, lanes, fused)


def _exact_range(s, h, n, dtype):
    """Whether every ``s + h i`` is an integer that ``dtype`` holds exactly (then no rounding can differ)."""
    limit = 2.0 ** (np.finfo(dtype).nmant + 1)
    return s.is_integer() and h.is_integer() and abs(s) + abs(h) * n < limit


def _threads(n):
    """How many threads PyTorch's ``parallel_for`` splits ``n`` indices over (grain 32768)."""
    if n <= _GRAIN_SIZE:
        return 1
    from .functions import get_num_threads

    return max(1, min(get_num_threads(), -(-n // _GRAIN_SIZE)))


def _arange_blocks(n, s, h, dtype, acc, lanes, fused):
    """Each thread's share of the ``n`` indices: pairs of SIMD blocks from the share's first index, where lane
    ``k`` of a block is ``b + h k`` (``b = s + h i_0`` rounded to ``dtype``), then the rest, ``s + h i``."""
    chunk = -(-n // _threads(n))
    if fused and n >= _COMPILED_FROM and dtype != np.float16:
        from .kernels.ranges import arange_blocks

        return arange_blocks(s, h, chunk, lanes, np.empty(n, dtype))
    mult, add = np.empty(n, acc), np.empty(n, acc)
    for begin in range(0, n, chunk):
        end = min(n, begin + chunk)
        n_vec = (end - begin) // (2 * lanes) * (2 * lanes)
        firsts = np.arange(begin, begin + n_vec, lanes, dtype=np.int64).astype(acc)
        bases = _mul_add(h, firsts, s, acc, fused).astype(dtype).astype(acc)
        mult[begin:begin + n_vec] = np.tile(np.arange(lanes, dtype=acc), n_vec // lanes)
        add[begin:begin + n_vec] = np.repeat(bases, lanes)
        mult[begin + n_vec:end] = np.arange(begin + n_vec, end, dtype=np.int64)
        add[begin + n_vec:end] = s
    return _mul_add(h, mult, add, acc, fused).astype(dtype)


# --------------------------------------------------------------------------- linspace, logspace


def linspace_values(start, end, steps, dtype):
    """``torch.linspace(start, end, steps, dtype=dtype)``'s values as a NumPy array."""
    dtype = np.dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype.kind == "b":
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    s, e = checked_scalar(start, dtype), checked_scalar(end, dtype)
    if steps <= 1:
        return np.full(steps, s, dtype)
    fused, _ = _fused()
    calc = np.float64 if dtype.kind in "iu" else dtype.type
    with np.errstate(all="ignore"):
        h = (calc(e) - calc(s)) / calc(steps - 1)
        half = steps // 2
        first = np.arange(half, dtype=np.int64).astype(calc)
        second = np.arange(steps - half - 1, -1, -1, dtype=np.int64).astype(calc)
        if dtype == np.float16:  # c10::Half: each operation rounded to half
            return np.concatenate([s + h * first, e - h * second])
        vals = np.concatenate([_mul_add(h, first, calc(s), calc, fused), _mul_add(-h, second, calc(e), calc, fused)])
    return _double_to_int(vals, dtype) if dtype.kind in "iu" else vals


def _double_to_int(vals, dtype):
    """float64 values stored into an integer tensor: truncated toward zero, as C++ converts."""
    with np.errstate(invalid="ignore"):
        return np.trunc(vals).astype(np.int64).astype(dtype)


def logspace_values(start, end, steps, base, dtype):
    """``torch.logspace(start, end, steps, base, dtype=dtype)``'s values as a NumPy array."""
    dtype = np.dtype(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype.kind == "b":
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    base = float(base)
    if steps == 0:
        return np.empty(0, dtype)
    if steps == 1:
        return _store(np.array([_pow(base, float(start))]), dtype)
    s, e = checked_scalar(start, dtype), checked_scalar(end, dtype)
    with np.errstate(all="ignore"):
        if dtype.kind in "iu":  # C++ integer arithmetic: int8, int16 and uint8 are promoted to int
            diff = int(e) - int(s)
            if dtype.itemsize >= 4:
                diff = int(_wrap_int(diff, dtype))
            diff = float(diff)
        else:
            diff = float(e - s)  # in the tensor's type
        h = diff / (steps - 1)
        half = steps // 2
        i = np.arange(steps, dtype=np.int64)
        x = np.where(i < half, float(s) + h * i.astype(np.float64), float(e) - h * (steps - 1 - i).astype(np.float64))
    return _store(np.array([_pow(base, v) for v in x.tolist()]), dtype)


def _pow(b, x):
    """The C library's ``pow`` (through Python's math module), with C's special cases."""
    try:
        return math.pow(b, x)
    except ValueError:
        return math.nan
    except OverflowError:
        return math.inf if b > 0 or float(x).is_integer() and int(x) % 2 == 0 else -math.inf


def _store(vals, dtype):
    if dtype.kind in "iu":
        return _double_to_int(vals, dtype)
    with np.errstate(over="ignore"):
        return vals.astype(dtype)
