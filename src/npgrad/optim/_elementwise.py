"""Elementwise helpers the update formulas may call besides NumPy's ufuncs.

A formula runs on whole arrays (the NumPy reference) and, compiled by Numba, on
one element at a time (:mod:`npgrad.kernels.optim`). ``np.where`` on scalars
would build a 0-d array inside a compiled loop, so formulas call :func:`where`,
which :mod:`npgrad.kernels.optim` compiles to a plain select.
"""
import numpy as np

__all__ = ["where"]


def where(condition, x, y):
    """``x`` where ``condition`` holds, else ``y`` (``np.where``; one select per element when compiled).

    Example::

        >>> where(np.array([True, False]), 1.0, 2.0)
        array([1., 2.])
    """
    return np.where(condition, x, y)


def lerp(start, end, weight):
    r"""``start + weight * (end - start)``, evaluated as PyTorch's ``lerp`` does (NumPy only).

    .. math:: \operatorname{lerp}(a, b, w) = a + w(b - a) \;\; (|w| < \tfrac12), \qquad b - (b - a)(1 - w)

    The second form keeps ``lerp(a, b, 1) == b`` exactly.

    Example::

        >>> lerp(np.array([0.0]), np.array([2.0]), 0.75)
        array([1.5])
    """
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)
