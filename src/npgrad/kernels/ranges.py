"""The fused multiply-adds of PyTorch's range kernels (:mod:`npgrad._ranges`) for long ranges: one
``a * b[i] + c[i]`` rounded once per value, LLVM's ``fma`` (an instruction on CPUs with FMA).

Example::

    >>> import numpy as np
    >>> from npgrad.kernels.ranges import fma_scalar_a
    >>> float(fma_scalar_a(0.1, np.array([10.0]), np.array([-1.0]))[0])  # 0.1 * 10 - 1 rounded once
    5.551115123125783e-17
"""
from __future__ import annotations

import numba
import numpy as np

from .random import _fma

__all__ = ["fma_scalar_a", "arange_blocks"]


@numba.njit(cache=True, nogil=True)
def _fma_loop(a, b, c, out):
    for i in range(b.shape[0]):
        out[i] = _fma(a, b[i], c[i])


def fma_scalar_a(a, b, c):
    """``a * b + c`` with one rounding, for a number ``a`` and 1-d arrays ``b``, ``c`` of one float dtype."""
    out = np.empty_like(b)
    _fma_loop(b.dtype.type(a), b, c, out)
    return out


@numba.njit(cache=True, nogil=True)
def _arange_loop(s, h, chunk, lanes, out):
    n = out.shape[0]
    for begin in range(0, n, chunk):
        end = min(n, begin + chunk)
        stop = begin + (end - begin) // (2 * lanes) * (2 * lanes)
        for first in range(begin, stop, lanes):
            out[first] = _fma(h, float(first), s)  # rounded to the tensor's type on the store
            base = np.float64(out[first])
            for k in range(1, lanes):
                out[first + k] = _fma(h, float(k), base)
        for i in range(stop, end):
            out[i] = _fma(h, float(i), s)


def arange_blocks(s, h, chunk, lanes, out):
    """PyTorch's vectorised arange into ``out`` (float32 or float64, accumulating in float64): per share of
    ``chunk`` indices, pairs of ``lanes``-wide blocks ``b + h k`` with ``b = s + h i_0`` rounded to ``out``'s
    type, then ``s + h i`` for the indices left; every multiply-add rounded once."""
    _arange_loop(float(s), float(h), int(chunk), int(lanes), out)
    return out
