"""Parameters and buffers, including the uninitialized ones of lazy modules (``torch.nn.parameter``).

``UninitializedParameter`` and ``UninitializedBuffer`` stand in for tensors whose shape is not known
yet. They hold an empty array of their dtype that refuses every NumPy computation, so using one
before ``materialize(shape)`` raises instead of silently computing on nothing. Changing their dtype
(``module.double()``) is allowed and decides the dtype they materialize with.
"""
from __future__ import annotations

import sys

import numpy as np

from .. import _dtype as D
from ..tensor import Size, Tensor, check_device
from .module import Buffer, Parameter

__all__ = ["Parameter", "UninitializedParameter", "is_lazy", "Buffer", "UninitializedBuffer",
           "UninitializedTensorMixin"]


def _use_error(cls_name, func):
    return ValueError(
        f"Attempted to use an uninitialized parameter in {func}. This error happens when you are using a "
        f"`LazyModule` or explicitly manipulating `torch.nn.parameter.{cls_name}` objects. When using LazyModules "
        "Call `forward` with a dummy batch to initialize the parameters before calling torch functions")


class _Unset(np.ndarray):
    """The empty array behind an uninitialized tensor: any ufunc or NumPy function applied to it raises, and so
    does reading its ``shape`` (what every op checks first)."""

    owner = "UninitializedParameter"

    def __array_finalize__(self, obj):
        self.owner = getattr(obj, "owner", _Unset.owner)

    @property
    def shape(self):
        code = sys._getframe(1).f_code
        raise _use_error(self.owner, f"<function {getattr(code, 'co_qualname', code.co_name)}>")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise _use_error(self.owner, repr(ufunc) if method == "__call__" else f"{ufunc!r}.{method}")

    def __array_function__(self, func, types, args, kwargs):
        raise _use_error(self.owner, f"<function {func.__name__}>")


def _unset(dtype, owner):
    arr = np.empty(0, dtype=D.get_default_dtype().np if dtype is None else D.as_dtype(dtype).np).view(_Unset)
    arr.owner = owner
    return arr


class UninitializedTensorMixin:
    """What uninitialized parameters and buffers share: no shape, no computation, ``materialize``."""

    _is_lazy = True
    cls_to_become = Tensor

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor its ``shape`` (uninitialized values, as ``torch.empty``); it becomes ``cls_to_become``.

        ``dtype`` defaults to the tensor's own dtype.
        """
        check_device(device)
        if dtype is None:
            dtype = self.dtype
        self._data = np.empty(shape, dtype=D.as_dtype(dtype).np)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    @property
    def data(self):
        return Tensor._wrap(self._data.view(np.ndarray))

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize the "
            "parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))

    def size(self, dim=None):
        shape = Size(self._data.view(np.ndarray).shape)
        return shape if dim is None else shape[dim]

    def to(self, *args, **kwargs):
        """The same tensor for its own dtype; a plain empty tensor of the new dtype otherwise (as PyTorch)."""
        plain = self.data.requires_grad_(self.requires_grad)
        out = Tensor.to(plain, *args, **kwargs)
        return self if out is plain else out

    def _refuse(self, name):
        return _use_error(type(self).__name__, f"<method '{name}' of 'Tensor' objects>")

    def detach(self):
        raise self._refuse("detach")

    def numel(self):
        raise self._refuse("numel")

    def dim(self):
        raise self._refuse("dim")

    def clone(self, memory_format=None):
        raise self._refuse("clone")

    def numpy(self, force=False):
        raise self._refuse("numpy")

    def item(self):
        raise self._refuse("item")

    def tolist(self):
        raise self._refuse("tolist")

    def __getitem__(self, index):
        raise self._refuse("__getitem__")

    def __deepcopy__(self, memo):
        raise _use_error(type(self).__name__, "<function Tensor.__deepcopy__>")


def is_lazy(param):
    """Whether ``param`` is an :class:`UninitializedParameter` or :class:`UninitializedBuffer`."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (lazy modules); ``materialize`` makes it a :class:`Parameter`.

    Example:
        >>> import npgrad
        >>> p = npgrad.nn.UninitializedParameter()
        >>> p
        <UninitializedParameter>
        >>> p.materialize((2, 3)); type(p).__name__, tuple(p.shape)
        ('Parameter', (2, 3))
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        check_device(device)
        return object.__new__(cls)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        check_device(device)
        self._init(_unset(dtype, "UninitializedParameter"), requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, None, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (lazy modules); ``materialize`` makes it a plain tensor.

    Example:
        >>> import npgrad
        >>> b = npgrad.nn.UninitializedBuffer()
        >>> b.materialize(3); tuple(b.shape)
        (3,)
    """

    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        check_device(device)
        self._init(_unset(dtype, "UninitializedBuffer"), requires_grad)
        self.persistent = persistent
        self._is_buffer = True
