"""PyTorch-named dtypes mapped onto NumPy's."""
from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type (``npgrad.float32`` ...), wrapping a NumPy dtype."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"npgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        return self

    @property
    def is_complex(self):
        return False


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

half = float16
float = float32  # noqa: A001  (torch.float)
double = float64
int = int32  # noqa: A001  (torch.int)
long = int64
short = int16

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, bool_]
_FROM_NP = {d.np: d for d in _ALL}


def _by_name(name):
    return {d.name: d for d in _ALL}[name]


_default = [float32]


def get_default_dtype() -> dtype:
    """The floating dtype that new tensors get (``float32`` unless changed)."""
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    """Set the floating dtype of new tensors: ``float32`` or ``float64``."""
    d = as_dtype(d)
    if d not in (float32, float64, float16):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def as_dtype(d) -> dtype:
    """An npgrad dtype from an npgrad dtype, a NumPy dtype or a Python type."""
    if isinstance(d, dtype):
        return d
    if d is None:
        return get_default_dtype()
    if d is builtins_float:
        return get_default_dtype()
    if d is builtins_int:
        return int64
    if d is builtins_bool:
        return bool_
    try:
        return _FROM_NP[np.dtype(d)]
    except (KeyError, TypeError):
        raise TypeError(f"unsupported dtype: {d!r}") from None


def from_numpy_dtype(d) -> dtype:
    try:
        return _FROM_NP[np.dtype(d)]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(d)}. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


import builtins as _b  # noqa: E402

builtins_float, builtins_int, builtins_bool = _b.float, _b.int, _b.bool
