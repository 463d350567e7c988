"""PyTorch's older names that programs still use: the typed tensor classes, ``layout``, the math constants.

* ``npgrad.FloatTensor``, ``DoubleTensor``, ``HalfTensor``, ``LongTensor``, ``IntTensor``, ``ShortTensor``,
  ``CharTensor``, ``ByteTensor``, ``BoolTensor``: each builds a tensor of its dtype (``FloatTensor([1, 2])`` from
  data, ``FloatTensor(2, 3)`` uninitialised of that shape) and is what ``isinstance`` checks a tensor's dtype
  against (``isinstance(x, npgrad.FloatTensor)`` for a float32 ``x``). Tensors stay of the one class
  ``npgrad.Tensor``; as in PyTorch, the check is the metaclass's ``__instancecheck__``.
* ``layout`` and ``strided``, the one layout of npgrad's tensors (``Tensor.layout``).
* ``pi``, ``e``, ``inf``, ``nan`` and ``newaxis`` (``None``), as in NumPy.
* ``set_default_tensor_type``, the deprecated form of ``set_default_dtype``.

Example:
    >>> import npgrad
    >>> x = npgrad.FloatTensor([1, 2])
    >>> isinstance(x, npgrad.FloatTensor), isinstance(x, npgrad.LongTensor)
    (True, False)
    >>> x.type(npgrad.LongTensor)
    tensor([1, 2])
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import _dtype as D
from ._layout import layout, strided
from .tensor import _C_NAMES

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor", "layout", "strided", "pi", "e", "inf", "nan", "newaxis",
           "set_default_tensor_type"]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None


def _options(dt):
    return (f"TensorOptions(dtype={_C_NAMES[dt.name]}, device=cpu, layout=Strided, requires_grad=false (default), "
            "pinned_memory=false (default), memory_format=(nullopt))")


_SIGNATURES = ("new() received an invalid combination of arguments - got ({got}), but expected one of:\n"
               " * (*, torch.device device = None)\n"
               " * (torch.Storage storage)\n"
               " * (Tensor other)\n"
               " * (tuple of ints size, *, torch.device device = None)\n"
               " * (object data, *, torch.device device = None)\n")


class tensortype(type):
    """The metaclass of the typed tensor classes: calling one builds a tensor, ``isinstance`` checks the dtype."""

    def __instancecheck__(cls, obj):
        from .tensor import Tensor

        return isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __call__(cls, *args, **kwargs):
        """PyTorch's legacy constructor: no argument (an empty tensor), sizes (``2, 3`` or a ``Size``, values
        uninitialised), data (a sequence or an array, converted), or a tensor of this dtype (the same memory)."""
        from .tensor import Size, Tensor, _to_array

        device = kwargs.pop("device", None)
        if kwargs:
            got = ", ".join([type(a).__name__ for a in args] + [f"{k}={_kind(v)}" for k, v in kwargs.items()])
            raise TypeError(_SIGNATURES.format(got=got))
        if device is not None:
            from .tensor import check_device

            check_device(device)                    # anything but the CPU is refused there
        dt = cls.dtype
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        if not args:
            return Tensor._wrap(np.empty(0, dtype=dt.np))
        if isinstance(args[0], (int, np.integer)) and not isinstance(args[0], bool):
            for i, size in enumerate(args):
                if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
                    raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                                    f"\"type must be tuple of ints,but got {type(size).__name__}\"")
                if size < 0:
                    raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {list(args)}")
            return Tensor._wrap(np.empty(tuple(int(s) for s in args), dtype=dt.np))
        if len(args) > 1:
            raise TypeError(_SIGNATURES.format(got=", ".join(type(a).__name__ for a in args)))
        data = args[0]
        if isinstance(data, Tensor):
            if data._data.dtype != dt.np:
                raise TypeError(f"expected {_options(dt)} (got {_options(data.dtype)})")
            return Tensor._wrap(data._data)
        if isinstance(data, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        return Tensor._wrap(np.array(_to_array(data), dtype=dt.np))

    def __repr__(cls):
        return f"<class 'npgrad.{cls.__name__}'>"


def _kind(value):
    """How PyTorch's argument parser names the type of ``value``."""
    return "torch.dtype" if isinstance(value, D.dtype) else type(value).__name__


def _typed(name, dt):
    namespace = {"__doc__": f"Tensors of dtype ``{dt!r}``: ``{name}(data)``, ``{name}(*sizes)``, and "
                            f"``isinstance(x, {name})`` for a tensor ``x`` of that dtype.",
                 "__module__": __name__, "dtype": dt, "is_cuda": False, "is_sparse": False, "layout": strided}
    return tensortype(name, (), namespace)


FloatTensor = _typed("FloatTensor", D.float32)
DoubleTensor = _typed("DoubleTensor", D.float64)
HalfTensor = _typed("HalfTensor", D.float16)
LongTensor = _typed("LongTensor", D.int64)
IntTensor = _typed("IntTensor", D.int32)
ShortTensor = _typed("ShortTensor", D.int16)
CharTensor = _typed("CharTensor", D.int8)
ByteTensor = _typed("ByteTensor", D.uint8)
BoolTensor = _typed("BoolTensor", D.bool_)

_TYPES = {t.__name__: t for t in (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor,
                                  CharTensor, ByteTensor, BoolTensor)}


def tensor_type(name):
    """The typed class that ``name`` spells (``'torch.LongTensor'`` or ``'npgrad.LongTensor'``), else None."""
    prefix, _, short = name.rpartition(".")
    return _TYPES.get(short) if prefix in ("torch", "npgrad") else None


_warned: list = []


def set_default_tensor_type(t):
    """Deprecated form of :func:`npgrad.set_default_dtype`: ``FloatTensor``, ``DoubleTensor`` or ``HalfTensor``
    (the class or its name) makes that dtype the default of new floating tensors."""
    if not _warned:                          # once per process, as PyTorch warns
        _warned.append(True)
        warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                      "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                      stacklevel=2)
    if isinstance(t, str):
        found = tensor_type(t)
        if found is None:
            module, _, attr = t.rpartition(".")
            if not module:
                raise ModuleNotFoundError(f"No module named '{t}'")
            if module in ("torch.cuda", "npgrad.cuda"):
                raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
            raise AttributeError(f"module '{module}' has no attribute '{attr}'")
        t = found
    elif not isinstance(t, tensortype):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    D.set_default_dtype(t.dtype)
