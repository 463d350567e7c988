"""Padding modules: constant, zero, reflection, replication and circular padding of the last 1, 2 or 3 dims,
thin shells over ``nn.functional.pad``.

``padding`` is an int (the same on every side) or a tuple ``(left, right, top, bottom, front, back)``.
"""
from __future__ import annotations

from .. import functional as F
from ..functional.basic import _ntuple
from ..module import Module

_pair, _quadruple, _sextuple = _ntuple(2), _ntuple(4), _ntuple(6)


class _ConstantPadNd(Module):
    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``."""

    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _pair(padding)


class ConstantPad2d(_ConstantPadNd):
    """Pad the last 2 dims with ``value``."""

    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _quadruple(padding)


class ConstantPad3d(_ConstantPadNd):
    """Pad the last 3 dims with ``value``."""

    def __init__(self, padding, value):
        super().__init__(value)
        self.padding = _sextuple(padding)


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last 2 dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last 3 dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ModePadNd(Module):
    """Padding in one of ``F.pad``'s non-constant modes, set by the subclass as ``_mode``."""

    _mode = None

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ReflectionPadNd(_ModePadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Mirror the last dim at its edges, without repeating the edge: a 2D or 3D input."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _pair(padding)


class ReflectionPad2d(_ReflectionPadNd):
    """Mirror the last 2 dims at their edges, without repeating the edge: a 3D or 4D input."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _quadruple(padding)


class ReflectionPad3d(_ReflectionPadNd):
    """Mirror the last 3 dims at their edges, without repeating the edge: a 4D or 5D input."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _sextuple(padding)


class _ReplicationPadNd(_ModePadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Repeat the edge values of the last dim: a 2D or 3D input."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _pair(padding)


class ReplicationPad2d(_ReplicationPadNd):
    """Repeat the edge values of the last 2 dims: a 3D or 4D input."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _quadruple(padding)


class ReplicationPad3d(_ReplicationPadNd):
    """Repeat the edge values of the last 3 dims: a 4D or 5D input."""

    def __init__(self, padding):
        super().__init__()
        self.padding = _sextuple(padding)


class _CircularPadNd(_ModePadNd):
    _mode = "circular"
    _dims = 0

    def _check_input_dim(self, input):
        n = self._dims
        if input.ndim not in (n + 1, n + 2):
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.ndim}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Wrap the last dim around: a 2D or 3D input."""

    _dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _pair(padding)


class CircularPad2d(_CircularPadNd):
    """Wrap the last 2 dims around: a 3D or 4D input."""

    _dims = 2

    def __init__(self, padding):
        super().__init__()
        self.padding = _quadruple(padding)


class CircularPad3d(_CircularPadNd):
    """Wrap the last 3 dims around: a 4D or 5D input."""

    _dims = 3

    def __init__(self, padding):
        super().__init__()
        self.padding = _sextuple(padding)
