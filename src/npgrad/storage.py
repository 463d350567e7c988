"""Storages, as ``torch.UntypedStorage`` and the deprecated ``torch.TypedStorage``.

A tensor's storage is the whole block of memory its values lie in: the array at the root of its chain
of NumPy views (``x[2:]``, ``x.t()`` and ``x.view(2, 3)`` all have ``x``'s storage). An
``UntypedStorage`` shows that block as bytes, a ``TypedStorage`` as elements of the tensor's dtype;
both are views, so writing through them writes the tensor.

Example::

    >>> import npgrad
    >>> x = npgrad.arange(6.)
    >>> s = x.untyped_storage()
    >>> s.nbytes(), x[2:].untyped_storage().data_ptr() == s.data_ptr()
    (24, True)
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["UntypedStorage", "TypedStorage"]


def _root(a: np.ndarray) -> np.ndarray:
    """The array at the root of ``a``'s chain of views, as one flat run of its memory in order."""
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    flat = root.ravel(order="K")
    if (flat.flags.c_contiguous and np.shares_memory(flat, root)) or root.size == 0:
        return flat
    return a.ravel(order="K")  # a root that is itself strided: the tensor's own elements  # pragma: no cover


class _Storage:
    """What both kinds of storage share: ``_a``, the NumPy view of the memory (bytes, or elements)."""

    device = property(lambda self: _cpu())
    is_cuda = property(lambda self: False)

    def nbytes(self) -> int:
        return int(self._a.nbytes)

    def element_size(self) -> int:
        return self._a.itemsize

    def data_ptr(self) -> int:
        return self._a.ctypes.data

    def tolist(self) -> list:
        return self._a.tolist()

    def __getitem__(self, index):
        return self._like(self._a[index]) if isinstance(index, slice) else self._a[index].item()

    def __setitem__(self, index, value):
        self._a[index] = value

    def fill_(self, value):
        self._a.fill(value)
        return self

    def is_shared(self) -> bool:
        return False

    def is_pinned(self, device=None) -> bool:
        return False

    def __repr__(self):
        footer = f"[npgrad.storage.{self._header()} of size {len(self)}]"
        return "\n".join([f" {v}" for v in self._a.tolist()] + [footer])

    __str__ = __repr__


class UntypedStorage(_Storage):
    """The bytes of a block of memory (``torch.UntypedStorage``); ``UntypedStorage(n)`` makes ``n`` zero bytes."""

    def __init__(self, *args, device=None):
        from .tensor import check_device

        check_device(device)
        if len(args) == 1 and isinstance(args[0], int):
            self._a = np.zeros(args[0], np.uint8)
        elif len(args) == 1:
            self._a = np.asarray(list(args[0]), dtype=np.uint8)
        elif not args:
            self._a = np.zeros(0, np.uint8)
        else:
            raise TypeError("UntypedStorage(): takes a size or a sequence of bytes")

    @classmethod
    def _of(cls, a: np.ndarray) -> "UntypedStorage":
        return cls._like(_root(a).view(np.uint8))

    @classmethod
    def _like(cls, bytes_: np.ndarray) -> "UntypedStorage":
        storage = cls.__new__(cls)
        storage._a = bytes_
        return storage

    def size(self) -> int:
        return self.nbytes()

    __len__ = size

    def type(self) -> str:
        return "npgrad.storage.UntypedStorage"

    def untyped(self) -> "UntypedStorage":
        return self

    def _header(self):
        return "UntypedStorage(device=cpu)"


class TypedStorage(_Storage):
    """The elements of a tensor's storage in its dtype (``tensor.storage()``, deprecated in PyTorch)."""

    def __init__(self, values, dtype):
        self._a = values
        self.dtype = dtype

    _warned = False   # PyTorch warns once per process

    @classmethod
    def _of(cls, tensor) -> "TypedStorage":
        if not TypedStorage._warned:
            TypedStorage._warned = True
            warnings.warn(
                "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                "storage class. This should only matter to you if you are using storages directly.  To access "
                "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
                UserWarning, stacklevel=3)
        return cls(_root(tensor._data).view(tensor._data.dtype), tensor.dtype)

    def _like(self, values: np.ndarray) -> "TypedStorage":
        return TypedStorage(values, self.dtype)

    def size(self) -> int:
        return int(self._a.size)

    __len__ = size

    def untyped(self) -> UntypedStorage:
        return UntypedStorage._of(self._a)

    def _header(self):
        return f"TypedStorage(dtype={self.dtype}, device=cpu)"


def _cpu():
    from .tensor import _CPU

    return _CPU
