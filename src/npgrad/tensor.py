"""Tensor and the autograd engine.

A ``Tensor`` wraps a NumPy array. Operations on tensors that require grad record a
``Node`` (see ``autograd/function.py``); ``backward`` walks those nodes in an
iterative topological order and accumulates gradients into leaves with ``+=``.
"""
from __future__ import annotations

import builtins
import numbers
import warnings
import weakref
from collections import OrderedDict

import numpy as np

from . import _dtype as D
from . import _layout, memory
from .autograd.function import quietly
from .autograd.grad_mode import is_grad_enabled, is_inference_mode_enabled, no_grad
from .autograd.versions import alias as _alias_memory, bump as _bump_version, modified as _versions_modified


DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
NO_CUDA = "Torch not compiled with CUDA enabled"
NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def _parse_device(spec):
    """``(type, index)`` of a device string (``"cuda:1"`` -> ``("cuda", 1)``), with PyTorch's errors."""
    import re

    if not spec:
        raise RuntimeError("Device string must not be empty")
    match = re.fullmatch(r"([a-zA-Z_]+)(?::(0|[1-9][0-9]*))?", spec)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{spec}'")
    if match.group(1) not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: "
                           f"{match.group(1)}")
    return match.group(1), None if match.group(2) is None else int(match.group(2))


def _check_to_keywords(kwargs, allowed):
    """PyTorch's ``TypeError`` for a keyword ``Tensor.to``/``Module.to`` does not take (one of ``allowed``)."""
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        got = ", ".join(f"{k}={_kind_name(kwargs[k])}" for k in unknown)
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}, ), but expected one of: "
                        f"({', '.join(_TO_KEYWORDS[k] for k in allowed if k != 'memory_format')}, *, "
                        "memory_format memory_format = None)")


_TO_KEYWORDS = {"device": "device device = None", "dtype": "dtype dtype = None",
                "non_blocking": "bool non_blocking = False", "copy": "bool copy = False"}


def _kind_name(value):
    """How PyTorch's argument errors name a value's type (``torch.dtype``, ``Tensor``, ``int`` ...)."""
    if isinstance(value, D.dtype):
        return "torch.dtype"
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


class device:
    """A device, as ``torch.device``: any of PyTorch's device types can be named (``device("cuda", 1)``),
    but npgrad's tensors live on the CPU only, so a tensor asked for elsewhere gets PyTorch's error for a
    build without that device (:func:`check_device`)."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, own = type.type, type.index
        elif isinstance(type, builtins.int) and not isinstance(type, bool):
            raise RuntimeError(NO_ACCELERATOR)
        elif type == "cpu":
            own = None
        elif isinstance(type, str):
            type, own = _parse_device(type)
        else:
            raise TypeError("device() received an invalid combination of arguments - got "
                            f"({builtins.type(type).__name__})")
        if index is not None:
            if own is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                                   f"{type}:{own}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
            own = builtins.int(index)
        self.type = type
        self.index = own

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return device, (self.type, self.index)


def check_device(spec) -> None:
    """Refuse to place a tensor anywhere but the CPU, with the error PyTorch's CPU build gives there:
    "Torch not compiled with CUDA enabled" for ``"cuda"``, and so on. ``None`` means the CPU."""
    if spec is None or spec == "cpu":
        return
    kind = device(spec).type
    if kind == "cpu":
        return
    if kind == "cuda":
        raise AssertionError(NO_CUDA)
    if kind == "xpu":
        raise AssertionError("Torch not compiled with XPU enabled")
    if kind == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"npgrad runs on the CPU only; device '{kind}' is not available")


_CPU = device("cpu")

# --------------------------------------------------------------------------- dtype rules


def _category(kind):
    return {"b": 0, "u": 1, "i": 1, "f": 2}[kind]


def result_type(a, b):
    """PyTorch's type promotion for a binary op between tensors and/or Python numbers."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        ca, cb = _category(da.kind), _category(db.kind)
        if ca != cb:
            if ca > cb:
                return da if a.ndim or not b.ndim else _default_of(ca, da)
            return db if b.ndim or not a.ndim else _default_of(cb, db)
        if a.ndim and not b.ndim:
            return da
        if b.ndim and not a.ndim:
            return db
        return np.promote_types(da, db)
    t, s = (a, b) if ta else (b, a)
    dt = t._data.dtype
    c = _category(dt.kind)
    if isinstance(s, (bool, np.bool_)):
        sc = 0
    elif isinstance(s, numbers.Integral):
        sc = 1
    else:
        sc = 2
    if sc > c:
        return D.get_default_dtype().np if sc == 2 else np.dtype(np.int64)
    return dt


def _default_of(cat, dt):
    return dt


def promote_types(da, db):
    """PyTorch's promotion of two tensor dtypes of equal standing: the higher category wins
    (bool < integer < floating), and within a category the wider type."""
    ca, cb = _category(da.kind), _category(db.kind)
    if ca != cb:
        return da if ca > cb else db
    return np.promote_types(da, db)


# PyTorch's names of the scalar types, as its error messages print them
_SCALAR_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                 "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _scalar_name(dt):
    return _SCALAR_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


def broadcast_shape(sa, sb):
    """The broadcast of two shapes, or PyTorch's error naming the first mismatch from the right."""
    if sa == sb:
        return tuple(sa)
    n = max(len(sa), len(sb))
    out = [1] * n
    for i in range(n - 1, -1, -1):
        a = sa[i - n + len(sa)] if i - n + len(sa) >= 0 else 1
        b = sb[i - n + len(sb)] if i - n + len(sb) >= 0 else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                               f"non-singleton dimension {i}")
        out[i] = b if a == 1 else a
    return tuple(out)


def _check_inplace_shape(out_shape, other_shape):
    """PyTorch's shape check of an in-place op writing into a tensor of ``out_shape`` (``x.copy_(y)``,
    ``x.mul_(y)``): ``other_shape`` must broadcast to it."""
    shape = broadcast_shape(tuple(out_shape), tuple(other_shape))
    if shape != tuple(out_shape):
        raise RuntimeError(f"output with shape {list(out_shape)} doesn't match the broadcast shape {list(shape)}")


def _cumulative_input(t, dtype):
    """The input of cumsum / cumprod: cast to ``dtype``, or, for integer and bool tensors, to int64."""
    if dtype is not None:
        return t.to(dtype)
    return t.to(D.int64) if t._data.dtype.kind in "biu" and t._data.dtype != np.int64 else t


def _as_operand(x, dt, checked=False):
    """A Tensor operand cast to ``dt`` (differentiably), or a Python number as a NumPy scalar.

    A Python int is read as PyTorch reads a scalar (any int from :math:`-2^{63}` to :math:`2^{64} - 1`, else
    its ``OverflowError``) and wraps into an integer ``dt`` modulo :math:`2^{bits}`, as C++ casts do:
    ``uint8`` tensor ``+ 1000`` adds 232. ``checked`` numbers (the bounds of ``clamp``, the values of
    ``where``, exponents) get PyTorch's checked conversion instead: "value cannot be converted" where ``dt``
    (or the dtype ``checked`` names) cannot hold them (an unsigned type takes ints down to ``-max``, wrapped)."""
    if isinstance(x, Tensor):
        return x if x._data.dtype == dt else x.to(D.from_numpy_dtype(dt))
    if isinstance(x, np.ndarray):
        return Tensor._wrap(x.astype(dt, copy=False))
    if checked is not False and isinstance(x, (int, float)):
        from ._ranges import checked_scalar, scalar_value
        value = checked_scalar(scalar_value(x), dt if checked is True else checked)
        with np.errstate(over="ignore"):
            return np.asarray(value, dtype=dt)
    if type(x) is int:
        if x >= 1 << 64:
            raise OverflowError("int too big to convert")
        if x < -(1 << 63):
            raise OverflowError("can't convert negative int to unsigned")
        if dt.kind in "iu":
            bits = dt.itemsize * 8
            x %= 1 << bits
            if dt.kind == "i" and x >= 1 << (bits - 1):
                x -= 1 << bits
    if dt.kind == "f" and dt.itemsize < 8 and not abs(x) <= 65504.0:      # past half's largest number
        return quietly(np.asarray, x, dtype=dt)     # beyond the type's range: inf, as PyTorch gives
    return np.asarray(x, dtype=dt)


def _fill_number(value, dt):
    """A Python number written into a tensor of NumPy type ``dt`` (``full``, ``fill_``, ``masked_fill``,
    ``x[i] = v``) as PyTorch converts it, with its error for a number the type cannot hold (1e300 in float32,
    NaN in int64); any other value as it is."""
    return _as_operand(value, dt, checked=True) if isinstance(value, (int, float)) else value


def _binary(fn, a, b, **kw):
    if not isinstance(b, (Tensor, numbers.Number, np.ndarray, np.generic)):
        return NotImplemented
    if isinstance(b, (np.ndarray, np.generic)) and not isinstance(b, Tensor):
        b = Tensor._wrap(np.asarray(b))
    dt = result_type(a, b)
    return _bapply(fn, _as_operand(a, dt), _as_operand(b, dt), **kw)


def _bapply(fn, a, b, **kw):
    """``fn.apply(a, b)`` with PyTorch's error for shapes that do not broadcast."""
    try:
        return fn.apply(a, b, **kw)
    except ValueError:
        broadcast_shape(np.shape(_raw(a)), np.shape(_raw(b)))
        raise


# --------------------------------------------------------------------------- the Tensor


class Tensor:
    """A multi-dimensional array that records operations for automatic differentiation.

    Example:
        >>> import npgrad
        >>> x = npgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    __array_priority__ = 1000
    _is_param = False
    # an inference tensor: True for one made inside inference_mode (or a view of one), which has no version
    # counter and refuses in-place writes outside the mode; _COUNTED for .data / detach() of one made outside
    # the mode, which has a counter (as in PyTorch); set on the instance, False for every other tensor
    _inference = False

    def __init__(self, *args, **kwargs):
        # torch.Tensor(data) / torch.Tensor(2, 3): float tensors of the default dtype
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = np.array(_to_array(args[0]), dtype=D.get_default_dtype().np)
        else:
            data = np.empty(tuple(int(a) for a in args), dtype=D.get_default_dtype().np)
        self._init(data, kwargs.get("requires_grad", False))

    def _init(self, data, requires_grad=False):
        self._data = data
        self._requires_grad = requires_grad
        self.grad = None
        self._node = None
        self._out_index = 0
        self._view_base = None
        self._retain = False
        self._hooks = None
        self._post_acc_hooks = None

    _init_plain = _init

    def _init_checking_inference(self, data, requires_grad=False):
        """``_init`` while an inference_mode block runs somewhere: a tensor made in this thread's block is an
        inference tensor (views of ordinary tensors are made ordinary again by the ops that make them)."""
        self._init_plain(data, requires_grad)
        if is_inference_mode_enabled():
            self._inference = True

    @classmethod
    def _wrap(cls, data, requires_grad=False):
        t = object.__new__(Tensor)
        t._init(data, requires_grad)
        return t

    def _edge(self):
        return self if self._node is None else (self._node, self._out_index)

    # ------------------------------------------------------------------ properties
    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if value and self._inference:
            _check_inference_requires_grad()
        if self._node is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables." if value else
                               "you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        self._requires_grad = bool(value)

    @property
    def data(self):
        """This tensor's values as a tensor outside the graph, with a version counter of its own (PyTorch's
        ``.data``): writing through it is not checked against what backward saved, unlike ``detach()``."""
        out = Tensor._wrap(_alias_memory(self._data))
        if self._inference or out._inference:
            out._inference = _detached_inference(self)
        return out

    @data.setter
    def data(self, value):
        """Make this tensor use ``value``'s memory (shape and dtype included), keeping its own version counter."""
        from .autograd.versions import version
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and value._data.dtype.kind != "f":
            raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex dtype")
        self._data = _alias_memory(value._data, version(self._data))

    @property
    def shape(self):
        return _new_size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return _new_size(self._data.shape)
        if self.ndim == 0 and dim in (0, -1):
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_wrap_dim(dim, self.ndim)]

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def dtype(self):
        return D.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self):
        return False

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        node = self._node
        return node if node is None else node._named()

    @property
    def is_sparse(self):
        return False

    @property
    def layout(self):
        from ._legacy import strided
        return strided

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has seen (shared with its views and base)."""
        from .autograd.versions import version
        if self._inference is True:
            raise RuntimeError("Inference tensors do not track version counter.")
        return version(self._data)

    @property
    def _base(self):
        """The tensor this one is a view of (the first that is no view itself), or None."""
        base = self._view_base() if self._view_base is not None else None
        while base is not None and base._view_base is not None and base._view_base() is not None:
            base = base._view_base()
        return base

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        """Are the elements packed in C order (or in the order ``memory_format`` names, e.g. ``channels_last``)?"""
        return _layout.is_contiguous(self._data, _layout.check(memory_format, "is_contiguous"))

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self.ndim)]

    def data_ptr(self):
        return self._data.ctypes.data

    def untyped_storage(self):
        """The bytes of the whole block of memory this tensor's values lie in (:mod:`npgrad.storage`)."""
        from .storage import UntypedStorage

        return UntypedStorage._of(self._data)

    def storage(self):
        """That block as elements of this tensor's dtype; deprecated, as in PyTorch (use ``untyped_storage``)."""
        from .storage import TypedStorage

        return TypedStorage._of(self)

    def is_set_to(self, other):
        """Whether both tensors view the same memory with the same offset, sizes and strides."""
        return (self.untyped_storage().data_ptr() == other.untyped_storage().data_ptr()
                and self.data_ptr() == other.data_ptr() and self.shape == other.shape
                and self._data.strides == other._data.strides)

    def storage_offset(self):
        """Elements between the start of the storage (the array this one is a view of) and the first element."""
        root = self._data
        while isinstance(root.base, np.ndarray):
            root = root.base
        start = self._data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return start // self._data.itemsize if self._data.itemsize else 0

    def get_device(self):
        return -1

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    # ------------------------------------------------------------------ conversion
    def numpy(self, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with "
                               f"{'more than one value' if self._data.size else 'no values'} is ambiguous")
        return bool(self._data.reshape(()))

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __dlpack__(self, stream=None, **kwargs):
        return self._data.__dlpack__(**kwargs) if kwargs else self._data.__dlpack__()

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        new = type(self).__new__(type(self))
        new._init(self._data.copy(), self.requires_grad)
        if self.grad is not None:
            new.grad = Tensor._wrap(self.grad._data.copy())
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in new.__dict__})
        memo[id(self)] = new
        return new

    def to(self, *args, **kwargs):
        """Return the tensor in another dtype (devices other than 'cpu' are refused)."""
        _check_to_keywords(kwargs, ("device", "dtype", "non_blocking", "copy", "memory_format"))
        dtype = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        flags = [a for a in args if isinstance(a, bool)]   # after the target: non_blocking, then copy
        if len(flags) > 1:
            copy = flags[1]
        for a in [a for a in args if not isinstance(a, bool)] + [kwargs.get("device")]:
            if a is None:
                continue
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)) or (isinstance(a, builtins.int) and not isinstance(a, bool)):
                check_device(a)
            else:
                dtype = D.as_dtype(a)
        fmt = kwargs.get("memory_format")
        if fmt is not None:
            fmt = _layout.check(fmt, "to")
            if fmt is not _layout.preserve_format and not _layout.is_contiguous(self._data, fmt):
                copy = True                                     # a new layout needs a copy
        if dtype is None or D.as_dtype(dtype).np == self._data.dtype:
            return self.clone(memory_format=fmt) if copy else self
        from .ops.elementwise import Cast

        return Cast.apply(self, D.as_dtype(dtype).np, fmt)

    def type(self, dtype=None, non_blocking=False, **kwargs):
        """The type's name (``'npgrad.FloatTensor'``), or the tensor converted to ``dtype``: a dtype, a typed
        class (``npgrad.LongTensor``) or its name (``'torch.LongTensor'`` or ``'npgrad.LongTensor'``)."""
        if dtype is None:
            return f"npgrad.{_TYPE_NAMES.get(self._data.dtype.name, self._data.dtype.name)}"
        from . import _legacy
        if dtype is Tensor:
            dtype = D.get_default_dtype()
        elif isinstance(dtype, _legacy.tensortype):
            dtype = dtype.dtype
        elif not isinstance(dtype, D.dtype):
            name = dtype if isinstance(dtype, str) else getattr(dtype, "__name__", str(dtype))
            typed = _legacy.tensor_type(name) if isinstance(dtype, str) else None
            if typed is None:
                raise ValueError(f"invalid type: '{name}'")
            dtype = typed.dtype
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self):
        return self

    def cuda(self, *a, **k):
        raise AssertionError(NO_CUDA)

    def float(self):
        return self.to(D.float32)

    def double(self):
        return self.to(D.float64)

    def half(self):
        return self.to(D.float16)

    def long(self):
        return self.to(D.int64)

    def int(self):
        return self.to(D.int32)

    def bool(self):
        return self.to(D.bool_)

    def short(self):
        return self.to(D.int16)

    def char(self):
        return self.to(D.int8)

    def byte(self):
        return self.to(D.uint8)

    def contiguous(self, memory_format=None):
        """The tensor itself when its elements are packed in C order (or in ``memory_format``'s order), else a
        copy that is."""
        fmt = _layout.check(memory_format, "contiguous") or _layout.contiguous_format
        if _layout.is_contiguous(self._data, fmt):
            return self
        if fmt is _layout.preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return self.clone(memory_format=fmt)

    def clone(self, memory_format=None):
        """A copy with its own memory, in the input's layout (``preserve_format``) or ``memory_format``'s."""
        from . import _layout
        from .ops.elementwise import Clone

        return Clone.apply(self, _layout.check(memory_format, "clone") or _layout.preserve_format)

    def detach(self):
        out = Tensor._wrap(self._data)
        if self._inference or out._inference:   # an inference tensor only if this one is
            out._inference = _detached_inference(self)
        return out

    def detach_(self):
        self._node = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if requires_grad and self._inference:
            _check_inference_requires_grad()
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        self._requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None:
            if self._node.retained is None:
                self._node.retained = {}
            self._node.retained[self._out_index] = weakref.ref(self)
        self._retain = True

    @property
    def retains_grad(self):
        return self._retain and self._node is not None

    def register_hook(self, hook):
        """Call ``hook(grad)`` when the gradient of this tensor is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._node is None:
            if self._hooks is None:
                self._hooks = OrderedDict()
            hooks = self._hooks
        else:
            node = self._node
            if node.hooks is None:
                node.hooks = {}
            hooks = node.hooks.setdefault(self._out_index, OrderedDict())
        return _register(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self._node is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = OrderedDict()
        return _register(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph's leaves."""
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # ------------------------------------------------------------------ repr
    def __format__(self, format_spec):
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in PyTorch; others as ``str``."""
        if self._data.ndim == 0 and type(self) is Tensor:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __repr__(self, *, tensor_contents=None):
        """PyTorch's text for the tensor (``str`` and ``print`` give the same); see ``_tensor_str``."""
        from ._tensor_str import _str
        return _str(self, tensor_contents=tensor_contents)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        from .ops.elementwise import Add
        return _binary(Add, self, other)

    def __radd__(self, other):
        from .ops.elementwise import Add
        return _binary(Add, self, other)

    def __sub__(self, other):
        from .ops.elementwise import Sub
        _check_bool_sub(self, other)
        return _binary(Sub, self, other)

    def __rsub__(self, other):
        from .ops.elementwise import Sub
        _check_bool_sub(self, other)
        dt = result_type(self, other)
        return _bapply(Sub, _as_operand(other, dt), _as_operand(self, dt))

    def __mul__(self, other):
        from .ops.elementwise import Mul
        return _binary(Mul, self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        from .ops.elementwise import Div
        dt = _float_result(self, other)
        return _bapply(Div, _as_operand(self, dt), _as_operand(other, dt))

    def __rtruediv__(self, other):
        from .ops.elementwise import Div
        dt = _float_result(self, other)
        return _bapply(Div, _as_operand(other, dt), _as_operand(self, dt))

    def __floordiv__(self, other):
        return _division(np.floor_divide, "div_floor", self, other)

    def __rfloordiv__(self, other):
        return _division(np.floor_divide, "div_floor", other, self)

    def __mod__(self, other):
        return _division(_remainder, "remainder", self, other)

    def __rmod__(self, other):
        return _division(_remainder, "remainder", other, self)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def remainder(self, other):
        """``self - floor(self / other) * other``: the result has the sign of ``other``."""
        out = self % other
        if out is NotImplemented:
            raise TypeError(f"remainder(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
        return out

    def fmod(self, other):
        """``self - trunc(self / other) * other``: the result has the sign of ``self``."""
        out = _division(np.fmod, "fmod", self, other)
        if out is NotImplemented:
            raise TypeError(f"fmod(): argument 'other' must be Tensor or Number, not {type(other).__name__}")
        return out

    def floor_divide(self, other):
        return self // other

    def bitwise_and(self, other):
        return self & other

    def bitwise_or(self, other):
        return self | other

    def bitwise_xor(self, other):
        return self ^ other

    def bitwise_not(self):
        return ~self

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self._apply_inplace((Tensor.__and__, other))

    def __ior__(self, other):
        return self._apply_inplace((Tensor.__or__, other))

    def __ixor__(self, other):
        return self._apply_inplace((Tensor.__xor__, other))

    def __neg__(self):
        from .ops.elementwise import Neg
        if self._data.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                               "to invert a mask, use the `~` or `logical_not()` operator instead.")
        return Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        from .ops.elementwise import Pow
        dt = result_type(self, base)
        if dt.kind != "f" and isinstance(base, float):
            dt = D.get_default_dtype().np
        try:
            return Pow.apply(_as_operand(base, dt), _as_operand(self, dt))
        except ValueError as e:
            if "negative integer powers" in str(e):
                raise RuntimeError("Integers to negative integer powers are not allowed.") from None
            raise

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_ensure_tensor(other), self)

    # comparisons and logic (never differentiable)
    def _cmp(self, other, fn):
        if not isinstance(other, (Tensor, numbers.Number, np.ndarray, np.generic)):
            return NotImplemented
        if isinstance(other, (Tensor, numbers.Number)) and not isinstance(other, np.generic):
            # compared in PyTorch's promoted type: a float32 tensor meets 0.3 as float32(0.3), and a Python int
            # wraps into an integer type as PyTorch's scalars do (a uint8 tensor meets -1 as 255)
            a, b = _promoted_operands(self, other)
            return _on_arrays(fn, a, b)
        return _elementwise(fn, self, other)

    def __eq__(self, other):
        return self._cmp(other, np.equal)

    def __ne__(self, other):
        return self._cmp(other, np.not_equal)

    def __lt__(self, other):
        return self._cmp(other, np.less)

    def __le__(self, other):
        return self._cmp(other, np.less_equal)

    def __gt__(self, other):
        return self._cmp(other, np.greater)

    def __ge__(self, other):
        return self._cmp(other, np.greater_equal)

    def _bitwise(self, other, fn, name):
        if not isinstance(other, (Tensor, numbers.Number, np.ndarray, np.generic)):
            return NotImplemented
        for x in (self, other):
            kind = _raw(x).dtype.kind if isinstance(x, (Tensor, np.ndarray)) else \
                ("f" if isinstance(x, float) else "i")
            if kind == "f":
                dt = _raw(x).dtype if isinstance(x, (Tensor, np.ndarray)) else D.get_default_dtype().np
                raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_scalar_name(dt)}\'')
        # in PyTorch's promoted type, a Python int wrapped into it: uint8 & 257 is uint8 & 1
        a, b = _promoted_operands(self, other)
        return _on_arrays(fn, a, b)

    def __and__(self, other):
        return self._bitwise(other, np.bitwise_and, "bitwise_and")

    __rand__ = __and__

    def __or__(self, other):
        return self._bitwise(other, np.bitwise_or, "bitwise_or")

    __ror__ = __or__

    def __xor__(self, other):
        return self._bitwise(other, np.bitwise_xor, "bitwise_xor")

    __rxor__ = __xor__

    def __invert__(self):
        if self._data.dtype.kind == "f":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return Tensor._wrap(~self._data)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__
    less = __lt__
    greater = __gt__

    def logical_not(self):
        return Tensor._wrap(np.logical_not(self._data))

    def logical_and(self, other):
        return _elementwise(np.logical_and, self, other)

    def logical_or(self, other):
        return _elementwise(np.logical_or, self, other)

    def logical_xor(self, other):
        return _elementwise(np.logical_xor, self, other)

    def equal(self, other):
        return bool(self._data.shape == other._data.shape and np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        """Whether ``|self - other| <= atol + rtol * |other|`` everywhere (both of one dtype)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def isclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        """Elementwise ``|self - other| <= atol + rtol * |other|`` (both of one dtype)."""
        o = _raw(other)
        if o.dtype != self._data.dtype:
            raise RuntimeError(f"{_scalar_name(self._data.dtype)} did not match {_scalar_name(o.dtype)}")
        return _elementwise(lambda a, b: np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), self, o)

    def isnan(self):
        return Tensor._wrap(np.isnan(self._data))

    def isinf(self):
        return Tensor._wrap(np.isinf(self._data))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self._data))

    def sign(self):
        from .ops.elementwise import sgn
        return _labelled(_zero_grad_op(self, sgn), True, "SignBackward0")

    def sgn(self):
        from .ops.elementwise import sgn
        return _labelled(_zero_grad_op(self, sgn), True, "SgnBackward0")

    def floor(self):
        return _labelled(_zero_grad_op(self, np.floor), True, "FloorBackward0")

    def ceil(self):
        return _labelled(_zero_grad_op(self, np.ceil), True, "CeilBackward0")

    def round(self, decimals=0):
        return _labelled(_zero_grad_op(self, lambda a: np.round(a, decimals)), True,
                         "RoundBackward1" if decimals else "RoundBackward0")

    def trunc(self):
        return _labelled(_zero_grad_op(self, np.trunc), True, "TruncBackward0")

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN and infinities replaced; the gradient flows where the input was finite, as in PyTorch."""
        replaced = Tensor._wrap(np.nan_to_num(self._data, nan=nan, posinf=posinf, neginf=neginf))
        if not (self.requires_grad and is_grad_enabled()) or self._data.dtype.kind != "f":
            return replaced
        return _labelled(self.where(Tensor._wrap(np.isfinite(self._data)), replaced), True, "NanToNumBackward0")

    # named arithmetic
    def add(self, other, alpha=1):
        from .ops.elementwise import Add
        return _binary(Add, self, other, alpha=alpha) if alpha != 1 else self + other

    def sub(self, other, alpha=1):
        from .ops.elementwise import Sub
        if alpha == 1:
            return self - other
        _check_bool_sub(self, other)
        return _binary(Sub, self, other, alpha=alpha)

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return _division(np.floor_divide, "div_floor", self, other)
        if rounding_mode == "trunc":
            return _division(_truncated_division, "div_trunc", self, other)
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")

    divide = div
    true_divide = __truediv__

    def pow(self, exponent):
        from .ops.elementwise import Pow
        dt = result_type(self, exponent)
        try:
            if isinstance(exponent, Tensor):
                return _bapply(Pow, _as_operand(self, dt), _as_operand(exponent, dt))
            if dt.kind in "iu" and isinstance(exponent, int) and exponent < 0:
                raise ValueError("negative integer powers")
            if isinstance(exponent, (int, float)) and (dt.kind in "iu" or dt == np.float16):
                _as_operand(exponent, dt, checked=True)  # PyTorch's error for an exponent the type cannot hold
            elif type(exponent) is int:
                _as_operand(exponent, dt)  # PyTorch's error for an int beyond 64 bits
            return Pow.apply(_as_operand(self, dt), exponent)
        except ValueError as e:
            if "negative integer powers" in str(e):
                raise RuntimeError("Integers to negative integer powers are not allowed.") from None
            raise

    def square(self):
        return _labelled(self * self, True, "PowBackward0")

    def neg(self):
        return -self

    negative = neg

    def reciprocal(self):
        return _labelled(1.0 / self, True, "ReciprocalBackward0")

    def exp(self):
        from .ops.elementwise import Exp
        return Exp.apply(_floatify(self))

    def expm1(self):
        from .ops.elementwise import Expm1
        return Expm1.apply(_floatify(self))

    def log(self):
        from .ops.elementwise import Log
        return Log.apply(_floatify(self))

    def log2(self):
        return _labelled(self.log() / float(np.log(2.0)), True, "Log2Backward0")

    def log10(self):
        return _labelled(self.log() / float(np.log(10.0)), True, "Log10Backward0")

    def log1p(self):
        from .ops.elementwise import Log1p
        return Log1p.apply(_floatify(self))

    def sqrt(self):
        from .ops.elementwise import Sqrt
        return Sqrt.apply(_floatify(self))

    def rsqrt(self):
        return _labelled(1.0 / self.sqrt(), True, "RsqrtBackward0")

    def abs(self):
        from .ops.elementwise import Abs
        return Abs.apply(self)

    absolute = abs

    def sin(self):
        from .ops.elementwise import Sin
        return Sin.apply(_floatify(self))

    def cos(self):
        from .ops.elementwise import Cos
        return Cos.apply(_floatify(self))

    def tanh(self):
        from .ops.elementwise import Tanh
        return Tanh.apply(_floatify(self))

    def sigmoid(self):
        from .ops.elementwise import Sigmoid
        return Sigmoid.apply(_floatify(self))

    def relu(self):
        from .ops.elementwise import Relu
        return Relu.apply(self)

    def erf(self):
        from .ops.elementwise import Erf
        return Erf.apply(_floatify(self))

    def clamp(self, min=None, max=None):
        from .ops.elementwise import Clamp
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        dt = self._data.dtype
        if dt.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
            dt = D.get_default_dtype().np
        lo = _as_operand(min, dt, checked=True) if min is not None else None
        hi = _as_operand(max, dt, checked=True) if max is not None else None
        # PyTorch's node: ClampBackward1 for number bounds, ClampBackward0 for tensor ones
        tensors = isinstance(min, Tensor) or isinstance(max, Tensor)
        return _labelled(Clamp.apply(_as_operand(self, dt), lo, hi), True,
                         "ClampBackward0" if tensors else "ClampBackward1")

    clip = clamp

    def clamp_min(self, min):
        return _labelled(self.clamp(min=min), True, "ClampMinBackward0")

    def clamp_max(self, max):
        return _labelled(self.clamp(max=max), True, "ClampMaxBackward0")

    def maximum(self, other):
        from .ops.elementwise import Maximum
        return _binary(Maximum, self, other)

    def minimum(self, other):
        from .ops.elementwise import Minimum
        return _binary(Minimum, self, other)

    def lerp(self, end, weight):
        from .ops.elementwise import Lerp
        dt = result_type(self, end)
        return Lerp.apply(_as_operand(self, dt), _as_operand(end, dt), _as_operand(weight, dt))

    def addcmul(self, t1, t2, value=1):
        return _labelled(self + value * t1 * t2, True, "AddcmulBackward0")

    def addcdiv(self, t1, t2, value=1):
        return _labelled(self + value * t1 / t2, True, "AddcdivBackward0")

    def where(self, condition, other):
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        from .ops.index import MaskedFill
        m = _raw(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{_C_NAMES.get(m.dtype.name, m.dtype.name)}")
        if m.shape != self._data.shape:
            broadcast_shape(m.shape, self._data.shape)
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                                   f"with {value.ndim} dimension(s).")
            return _labelled(MaskedFill.apply(self, m, value.to(self.dtype)), True, "MaskedFillBackward1")
        value = _fill_number(value, self._data.dtype)
        return MaskedFill.apply(self, m, value)

    def masked_select(self, mask):
        from .ops.index import MaskedSelect
        return MaskedSelect.apply(self, _raw(mask))

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        from .ops.reduce import Sum, normalize_dims
        x = self.to(dtype) if dtype is not None else self
        if x._data.dtype.kind in "biu" and dtype is None:
            x = x.to(D.int64)
        return _labelled(Sum.apply(x, normalize_dims(dim, self.ndim), keepdim), dim is not None, "SumBackward1")

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _labelled(self.masked_fill(self.isnan(), 0).sum(dim, keepdim, dtype=dtype), True, "NansumBackward0")

    def mean(self, dim=None, keepdim=False, dtype=None):
        from .ops.reduce import Mean, normalize_dims
        x = self.to(dtype) if dtype is not None else self
        if x._data.dtype.kind != "f":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {_scalar_name(x._data.dtype)}")
        return _labelled(Mean.apply(x, normalize_dims(dim, self.ndim), keepdim), dim is not None, "MeanBackward1")

    def nanmean(self, dim=None, keepdim=False):
        keep = (~self.isnan()).to(self.dtype)
        return self.nansum(dim, keepdim) / keep.sum(dim, keepdim)

    def prod(self, dim=None, keepdim=False, dtype=None):
        from .ops.reduce import Prod
        x = self.to(dtype) if dtype is not None else self
        out = Prod.apply(x, None if dim is None else _wrap_dim(dim, self.ndim), keepdim)
        return _labelled(out, dim is not None, "ProdBackward1")

    def _minmax(self, dim, keepdim, largest):
        from .ops.reduce import Amax, MaxDim, normalize_dims
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"{'max' if largest else 'min'}(): Expected reduction dim to be specified "
                                   "for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
            out = Amax.apply(self, normalize_dims(None, self.ndim), False, largest)
            return _labelled(out, True, "MaxBackward1" if largest else "MinBackward1")
        d = _wrap_dim(dim, self.ndim) if self.ndim else 0
        kind = _Max if largest else _Min
        if self.ndim == 0:
            return kind(self, Tensor._wrap(np.zeros((), np.int64)))
        values, indices = MaxDim.apply(self, d, keepdim, largest)
        return kind(_labelled(values, True, "MaxBackward0" if largest else "MinBackward0"), indices)

    def max(self, dim=None, keepdim=False, *, other=None):
        return self._minmax(dim if other is None else other, keepdim, True)

    def median(self, dim=None, keepdim=False):
        """The lower median: of all elements (a 0-d tensor), or (values, indices) along ``dim``."""
        if dim is None:
            flat = self.reshape(-1)
            if flat.numel() == 0:
                return Tensor._wrap(np.array(np.nan, dtype=self._data.dtype))
            from .ops.reduce import EvenlyAt
            return _labelled(EvenlyAt.apply(flat, flat._data[int(_median_index(flat._data, 0))]), True,
                             "MedianBackward0")
        values, indices = self._kth(None, dim, keepdim)
        return _Median(_labelled(values, True, "MedianBackward1"), indices)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest element (counting from 1) along ``dim``, and its index."""
        values, indices = self._kth(k, dim, keepdim)
        return _KthValue(_labelled(values, True, "KthvalueBackward0"), indices)

    def _kth(self, k, dim, keepdim):
        d = _wrap_dim(dim, self.ndim) if self.ndim else 0
        x = self._data if self.ndim else self._data.reshape(1)
        idx = np.expand_dims(_median_index(x, d) if k is None else
                             np.take(np.argsort(x, axis=d, kind="stable"), k - 1, axis=d), d)
        idx = Tensor._wrap(idx.astype(np.int64, copy=False))
        src = self if self.ndim else self.reshape(1)
        values = src.gather(d, idx)
        if not keepdim or not self.ndim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return values, idx

    def cummax(self, dim):
        """Running maximum along ``dim`` and where it was reached (the latest index on ties); NaN propagates."""
        values, indices = self._running(dim, np.maximum)
        return _CumMax(_labelled(values, True, "CummaxBackward0"), indices)

    def cummin(self, dim):
        """Running minimum along ``dim`` and where it was reached (the latest index on ties); NaN propagates."""
        values, indices = self._running(dim, np.minimum)
        return _CumMin(_labelled(values, True, "CumminBackward0"), indices)

    def _running(self, dim, ufunc):
        d = _wrap_dim(dim, self.ndim) if self.ndim else 0
        x = self._data if self.ndim else self._data.reshape(1)
        best = ufunc.accumulate(x, axis=d)
        # a position that equals the running extreme (or is the NaN that made it NaN) resets the index
        reached = (x == best) | (np.isnan(x) & np.isnan(best)) if x.dtype.kind == "f" else (x == best)
        shape = [1] * x.ndim
        shape[d] = x.shape[d]
        positions = np.where(reached, np.arange(x.shape[d]).reshape(shape), 0)
        idx = Tensor._wrap(np.maximum.accumulate(positions, axis=d).astype(np.int64))
        src = self if self.ndim else self.reshape(1)
        values = src.gather(d, idx)
        if not self.ndim:
            values, idx = values.reshape(()), idx.reshape(())
        return values, idx

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along ``dim`` (the smallest on ties) and its last index."""
        d = _wrap_dim(dim, self.ndim) if self.ndim else 0
        x = self._data if self.ndim else self._data.reshape(1)
        rows = np.moveaxis(x, d, -1).reshape(-1, x.shape[d])
        found = np.empty(rows.shape[0], dtype=np.int64)
        for r, row in enumerate(rows):
            values, counts = np.unique(row, return_counts=True)
            found[r] = np.flatnonzero(row == values[np.argmax(counts)])[-1]
        shape = list(np.moveaxis(x, d, -1).shape[:-1])
        idx = Tensor._wrap(np.expand_dims(found.reshape(shape), d))
        src = self if self.ndim else self.reshape(1)
        values = src.gather(d, idx)
        if not keepdim or not self.ndim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return _Mode(_labelled(values, True, "ModeBackward0"), idx)

    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)`` of all elements or along ``dim``."""
        if dim is None:
            low, high = (self.amin(keepdim=keepdim) if keepdim else self.min(),
                         self.amax(keepdim=keepdim) if keepdim else self.max())
        else:
            low, high = self.amin(dim, keepdim), self.amax(dim, keepdim)
        return _AMinMax(_labelled(low, True, "AminmaxBackward0"), _labelled(high, True, "AminmaxBackward0"))

    def min(self, dim=None, keepdim=False, *, other=None):
        return self._minmax(dim if other is None else other, keepdim, False)

    def amax(self, dim=(), keepdim=False):
        from .ops.reduce import Amax, normalize_dims
        return Amax.apply(self, normalize_dims(dim, self.ndim), keepdim, True)

    def amin(self, dim=(), keepdim=False):
        from .ops.reduce import Amax, normalize_dims
        return _labelled(Amax.apply(self, normalize_dims(dim, self.ndim), keepdim, False), True, "AminBackward0")

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return Tensor._wrap(np.asarray(np.argmax(self._data), dtype=np.int64))
        return self.max(dim, keepdim).indices

    def argmin(self, dim=None, keepdim=False):
        if dim is None:
            return Tensor._wrap(np.asarray(np.argmin(self._data), dtype=np.int64))
        return self.min(dim, keepdim).indices

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        from .ops.reduce import Var, normalize_dims
        if self._data.dtype.kind != "f":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        if isinstance(unbiased, bool) or unbiased is None:
            corr = correction if correction is not None else (1 if unbiased is None or unbiased else 0)
        else:  # var(dim_as_positional, ...)
            corr = 1
        return Var.apply(self, normalize_dims(dim, self.ndim), corr, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        from .ops.reduce import StdFromVar
        return _labelled(StdFromVar.apply(self.var(dim, unbiased, keepdim, correction)), True, "StdBackward0")

    def logsumexp(self, dim, keepdim=False):
        from .ops.reduce import LogSumExp, normalize_dims
        return LogSumExp.apply(_floatify(self), normalize_dims(dim, self.ndim), keepdim)

    def softmax(self, dim, dtype=None):
        from .ops.reduce import Softmax
        x = self.to(dtype) if dtype is not None else _floatify(self)
        return Softmax.apply(x, _wrap_dim(dim, self.ndim))

    def log_softmax(self, dim, dtype=None):
        from .ops.reduce import LogSoftmax
        x = self.to(dtype) if dtype is not None else _floatify(self)
        return LogSoftmax.apply(x, _wrap_dim(dim, self.ndim))

    def cumsum(self, dim, dtype=None):
        """Running sums along ``dim``; integer and bool tensors sum in int64 unless ``dtype`` says otherwise."""
        from .ops.reduce import CumSum
        return CumSum.apply(_cumulative_input(self, dtype), _wrap_dim(dim, self.ndim))

    def cumprod(self, dim, dtype=None):
        """Running products along ``dim``; integer and bool tensors multiply in int64 unless ``dtype`` says
        otherwise."""
        from .ops.reduce import CumProd
        return CumProd.apply(_cumulative_input(self, dtype), _wrap_dim(dim, self.ndim))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """``torch.norm``: ``linalg.vector_norm`` of order ``p`` over ``dim`` (all elements by default;
        ``'fro'`` over at most two dims is the 2-norm), or, for ``'nuc'`` (and ``'fro'`` over more dims),
        ``linalg.matrix_norm`` over ``dim`` (all dims by default)."""
        from .linalg import matrix_norm, vector_norm

        dims = [dim] if isinstance(dim, int) else dim
        if isinstance(p, str):
            if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
                return vector_norm(self, 2, dims, keepdim, dtype=dtype)
            return matrix_norm(self, p, list(range(self.ndim)) if dims is None else dims, keepdim, dtype=dtype)
        return vector_norm(self, 2.0 if p is None else p, dims, keepdim, dtype=dtype)

    def all(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(np.all(self._data, axis=dim, keepdims=keepdim)))

    def any(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(np.any(self._data, axis=dim, keepdims=keepdim)))

    def count_nonzero(self, dim=None):
        return Tensor._wrap(np.asarray(np.count_nonzero(self._data, axis=dim), dtype=np.int64))

    def nonzero(self, as_tuple=False):
        idx = np.nonzero(self._data)
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in idx)
        return Tensor._wrap(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((1, 0), np.int64))

    def sort(self, dim=-1, descending=False, stable=False):
        """Values and indices sorted along ``dim``; equal values keep their order, NaN counts as
        the largest value."""
        name = "SortBackward1" if stable else "SortBackward0"
        if self.ndim == 0:
            return _Sort(_labelled(self.clone(), True, name), Tensor._wrap(np.zeros((), np.int64)))
        d = _wrap_dim(dim, self.ndim)
        x = self._data
        if not descending:
            idx = np.argsort(x, axis=d, kind="stable")
        elif x.dtype.kind == "f":
            idx = np.argsort(-x, axis=d, kind="stable")  # NaN last: move them to the front
            nan_last = ~np.isnan(np.take_along_axis(x, idx, axis=d))
            idx = np.take_along_axis(idx, np.argsort(nan_last, axis=d, kind="stable"), axis=d)
        else:
            idx = np.argsort(-x.astype(np.int64), axis=d, kind="stable")
        idx = Tensor._wrap(idx.astype(np.int64, copy=False))
        return _Sort(_labelled(self.gather(d, idx), True, name), idx)

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        d = _wrap_dim(dim, self.ndim)
        if not 0 <= k <= (self._data.shape[d] if self.ndim else 1):
            raise RuntimeError("selected index k out of range")
        s = self.sort(d, descending=largest)
        sl = [builtins.slice(None)] * self.ndim
        sl[d] = builtins.slice(0, k)
        return _TopK(_labelled(s.values[tuple(sl)], True, "TopkBackward0"), s.indices[tuple(sl)])

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """Differences of neighbours along ``dim``, ``n`` times: ``x[1:] - x[:-1]`` (``x[1:] ^ x[:-1]`` for bool),
        of ``self`` with ``prepend`` and ``append`` concatenated before and after it along ``dim``."""
        if self.ndim < 1:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        d = _wrap_dim(dim, self.ndim)
        parts = [self]
        for name, other in (("prepend", prepend), ("append", append)):
            if other is None:
                continue
            if not isinstance(other, Tensor):
                raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(other).__name__}")
            if other.ndim != self.ndim:
                raise RuntimeError("diff expects prepend or append to be the same dimension as input")
            for i in range(self.ndim):
                if i != d and other.shape[i] != self.shape[i]:
                    raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input "
                                       f"except along the differencing dimension; input.size({i}) = {self.shape[i]}, "
                                       f"but got tensor.size({i}) = {other.shape[i]}")
            parts.insert(0 if name == "prepend" else len(parts), other)
        out = cat(parts, d) if len(parts) > 1 else self
        for _ in range(n):
            m = max(out._data.shape[d] - 1, 0)
            hi, lo = out.narrow(d, 1, m), out.narrow(d, 0, m)
            out = hi ^ lo if out._data.dtype == np.bool_ else hi - lo
        return out

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return unique(self, sorted, return_inverse, return_counts, dim)

    # ------------------------------------------------------------------ shape
    def reshape(self, *args, shape=None):
        from .ops.shape import Reshape
        shape = _shape_arg(args if shape is None else (shape,))
        _check_reshape(self._data.size, shape)
        out = Reshape.apply(self, shape)
        if out._node is not None and not self._data.flags.c_contiguous:   # PyTorch: a strided view, or a copy
            out._node.label = "ReshapeAliasBackward0" if np.may_share_memory(out._data, self._data) \
                else "UnsafeViewBackward0"
        return out

    def view(self, *shape, size=None, dtype=None):
        """The same data seen with another shape; the strides must allow it without a copy."""
        if size is not None or dtype is not None:
            shape = (size if size is not None else dtype,)
        if len(shape) == 1 and isinstance(shape[0], (D.dtype, np.dtype, type)):
            return Tensor._wrap(self._data.view(D.as_dtype(shape[0]).np))
        if not self._data.flags.c_contiguous and self._data.base is not None:  # a strided view
            target = _shape_arg(shape)
            _check_reshape(self._data.size, target)
            if not _viewable(self._data, _infer_shape(self._data.size, target)):
                raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                                   "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return _labelled(self.reshape(*shape), True, "ViewBackward0")

    def view_as(self, other):
        return _labelled(self.reshape(other.shape), True, "ViewBackward0")

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def permute(self, *args, dims=None):
        from .ops.shape import Permute
        dims = _shape_arg(args if dims is None else (dims,))
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                               f"is not equal to len(dims) = {len(dims)}")
        dims = tuple(_wrap_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        if self.ndim < 2 and self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        a, b = _wrap_dim(dim0, self.ndim), _wrap_dim(dim1, self.ndim)
        axes[a], axes[b] = axes[b], axes[a]
        return _labelled(self.permute(*axes), True, "TransposeBackward0")

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return _labelled(self.permute(*reversed(range(self.ndim))), True, "TBackward0")

    def movedim(self, source, destination):
        src = [source] if isinstance(source, int) else list(source)
        dst = [destination] if isinstance(destination, int) else list(destination)
        src = [_wrap_dim(d, self.ndim) for d in src]
        dst = [_wrap_dim(d, self.ndim) for d in dst]
        order = [i for i in range(self.ndim) if i not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(s for s in self._data.shape if s != 1)
        else:
            dims = (dim,) if isinstance(dim, int) else tuple(dim)
            dims = {_wrap_dim(d, self.ndim) for d in dims} if self.ndim else set()
            shape = tuple(s for i, s in enumerate(self._data.shape) if not (i in dims and s == 1))
        kind = 0 if dim is None else 1 if isinstance(dim, int) else 2    # squeeze(), squeeze(dim), squeeze(dims)
        return _labelled(self.reshape(shape), True, f"SqueezeBackward{kind}")

    def unsqueeze(self, dim):
        d = _wrap_dim(dim, self.ndim + 1)
        shape = list(self._data.shape)
        shape.insert(d, 1)
        return _labelled(self.reshape(shape), True, "UnsqueezeBackward0")

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _wrap_dim(start_dim, self.ndim), _wrap_dim(end_dim, self.ndim)
        if s == e:          # nothing to merge: the tensor itself, as in PyTorch
            return self
        shape = self._data.shape
        return self.reshape(shape[:s] + (-1 if self.numel() else int(np.prod(shape[s:e + 1])),) + shape[e + 1:])

    def unflatten(self, dim, sizes):
        d = _wrap_dim(dim, self.ndim)
        shape = self._data.shape
        sizes = tuple(sizes)
        known = int(np.prod([s for s in sizes if s != -1]))
        if (-1 not in sizes and known != shape[d]) or (-1 in sizes and (known == 0 or shape[d] % known)):
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                               f"({shape[d]}) in the input tensor")
        return _labelled(self.reshape(shape[:d] + sizes + shape[d + 1:]), True, "ViewBackward0")

    def expand(self, *shape, size=None):
        from .ops.shape import Expand
        return Expand.apply(self, _expand_shape(self._data, _shape_arg(shape if size is None else (size,))))

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def repeat(self, *reps, repeats=None):
        from .ops.shape import Repeat
        reps = _shape_arg(reps if repeats is None else (repeats,))
        if len(reps) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                               "of tensor")
        return Repeat.apply(self, reps)

    def tile(self, *args, dims=None):
        """``repeat`` with ``dims`` padded by leading ones to the tensor's rank."""
        dims = _shape_arg(args if dims is None else (dims,))
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        if repeats is None:   # torch.repeat_interleave(repeats): each index i repeated repeats[i] times
            return arange(self.numel()).repeat_interleave(self, output_size=output_size)
        if output_size is not None:
            n = self.numel() if dim is None else self.shape[_wrap_dim(dim, self.ndim)]
            if np.ndim(_raw(repeats)) == 0 and int(_raw(repeats)) * n != output_size:
                raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {int(_raw(repeats)) * n} but "
                                   f"got {output_size}")
            if np.ndim(_raw(repeats)) and int(np.sum(_raw(repeats))) != output_size:
                raise RuntimeError("allocated size does not match required size")
        if dim is None:
            x, d = self.reshape(-1), 0
        else:
            x, d = self, _wrap_dim(dim, self.ndim)
        r = _raw(repeats)
        idx = np.repeat(np.arange(x.shape[d]), r)
        out = x.index_select(d, Tensor._wrap(idx.astype(np.int64)))
        return _labelled(out, isinstance(repeats, int), "ViewBackward0")    # PyTorch: an expand and a reshape

    def flip(self, *args, dims=None):
        from .ops.shape import Flip
        dims = _shape_arg(args if dims is None else (dims,))
        return Flip.apply(self, tuple(_wrap_dim(d, self.ndim) for d in dims))

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def roll(self, shifts, dims=None):
        from .ops.shape import Roll
        return Roll.apply(self, shifts, dims)

    def tril(self, diagonal=0):
        from .ops.shape import Tri
        return _labelled(Tri.apply(self, diagonal, False), True, "TrilBackward0")

    def triu(self, diagonal=0):
        from .ops.shape import Tri
        return _labelled(Tri.apply(self, diagonal, True), True, "TriuBackward0")

    def diagonal(self, offset=0, dim1=0, dim2=1):
        from .ops.shape import Diagonal
        return Diagonal.apply(self, offset, _wrap_dim(dim1, self.ndim), _wrap_dim(dim2, self.ndim))

    def split(self, split_size, dim=0):
        from .ops.shape import Split
        d = _wrap_dim(dim, self.ndim)
        n = self._data.shape[d]
        if isinstance(split_size, int):
            if split_size <= 0 and n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else []) \
                if split_size else [0]
        else:
            sizes = list(split_size)
            if builtins.sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                                   f"at dimension {d}), but got split_sizes={sizes}")
        name = "SplitBackward0" if isinstance(split_size, int) else "SplitWithSizesBackward0"
        if len(sizes) == 1:
            return (self.reshape(self.shape),) if not self.requires_grad else \
                (_labelled(self[(builtins.slice(None),) * (d + 1)], True, name),)
        out = Split.apply(self, sizes, d)
        return tuple(_labelled(o, o is out[0], name) for o in out)

    def chunk(self, chunks, dim=0):
        n = self._data.shape[_wrap_dim(dim, self.ndim)]
        size = -(-n // chunks) if n else 1
        return self.split(size, dim)

    def tensor_split(self, sections=None, dim=0, *, indices=None, tensor_indices_or_sections=None):
        """Pieces along ``dim``: ``sections`` pieces of (nearly) equal size, or the pieces between ``indices``."""
        if indices is not None:
            sections = indices
        elif tensor_indices_or_sections is not None:
            sections = tensor_indices_or_sections
        if isinstance(sections, Tensor):
            sections = int(sections.item()) if sections.ndim == 0 else sections.tolist()
        d = _wrap_dim(dim, self.ndim)
        n = self._data.shape[d]
        if isinstance(sections, int):
            q, r = divmod(n, sections)
            sizes = [q + 1] * r + [q] * (sections - r)
        else:
            bounds = [0] + list(sections) + [n]
            sizes = [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
        pieces = self.split(sizes, d)     # PyTorch slices each piece
        return tuple(_labelled(p, i == 0, "SliceBackward0") for i, p in enumerate(pieces))

    def unbind(self, dim=0):
        d = _wrap_dim(dim, self.ndim)
        return tuple(_labelled(p.squeeze(d), True, "UnbindBackward0") for p in self.split(1, d))

    def narrow(self, dim, start, length):
        d = _wrap_dim(dim, self.ndim)
        sl = [builtins.slice(None)] * self.ndim
        sl[d] = builtins.slice(start, start + length)
        return _labelled(self[tuple(sl)], True, "SliceBackward0")

    def select(self, dim, index):
        """The slice at ``index`` along ``dim`` (that dim removed): a view, a 0-d one for an element."""
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = _wrap_dim(dim, self.ndim)
        n = self._data.shape[d]
        if not -n <= index < n:
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(self._data.shape)} "
                             f"at dimension {d}")
        sl = [builtins.slice(None)] * self.ndim
        sl[d] = index
        return self[tuple(sl)]

    def unfold(self, dimension, size, step):
        """The windows of ``size`` elements every ``step`` along ``dimension``, on a new last dim: a view."""
        from .ops.index import Unfold
        d = _wrap_dim(dimension, self.ndim)
        most = self._data.shape[d] if self.ndim else 1
        if size > most:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {most} but size is {size}")
        if size < 0:
            raise RuntimeError(f"size is {size} but must be >= 0")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if self.ndim == 0:   # as a 1-element vector, with the windows' dim left out
            return Unfold.apply(self.reshape(1), 0, size, step)[0]
        return Unfold.apply(self, d, size, step)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, idx):
        from .ops.index import GetItem
        idx = _index_arg(idx, self)
        out = GetItem.apply(self, idx)
        if out._node is not None:
            out._node.label = _index_node_name(idx, self._data.shape)
        return out

    def __setitem__(self, idx, value):
        from .ops.index import IndexPut, index_parts
        if self._inference is True:
            _check_inference_write()
        items = tuple(idx) if isinstance(idx, tuple) or _sequence_as_tuple(idx) else (idx,)
        _check_mask_fill(_setitem_tensors(items), value)
        value = _fill_number(value, self._data.dtype)
        idx = _index_arg(idx, self)
        if is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError(f"a {'view of a ' if _is_view_index(idx, self) else ''}leaf Variable that requires "
                               "grad is being used in an in-place operation.")
        try:
            if is_grad_enabled() and (self.requires_grad or isinstance(value, Tensor) and value.requires_grad):
                self._apply_inplace((lambda s, v: IndexPut.apply(s, v, idx, False), value))
                _labelled(self, True, _setitem_node_name(idx, self._data.shape, value))
            else:
                target, sub = index_parts(self._data, idx)
                target[sub] = _raw(value)
                _bump_version(self._data)
        except ValueError:
            _setitem_error(self, idx, value)
            raise

    def index_put_(self, indices, values, accumulate=False):
        from .ops.index import IndexPut
        if self._inference is True:
            _check_inference_write()
        if not accumulate:
            _check_mask_fill([i for i in indices if i is not None], values)
        idx = _put_indices(indices)
        if is_grad_enabled() and (self.requires_grad or isinstance(values, Tensor) and values.requires_grad):
            return self._apply_inplace((lambda s, v: IndexPut.apply(s, v, idx, accumulate), values))
        if accumulate:
            np.add.at(self._data, idx, _raw(values))
        else:
            self._data[idx] = _raw(values)
        _bump_version(self._data)
        return self

    def index_put(self, indices, values, accumulate=False):
        from .ops.index import IndexPut
        if not accumulate:
            _check_mask_fill([i for i in indices if i is not None], values)
        return IndexPut.apply(self, values, _put_indices(indices), accumulate)

    def gather(self, dim, index):
        from .ops.index import Gather
        return Gather.apply(self, _wrap_dim(dim, self.ndim), _raw(index))

    def take_along_dim(self, indices, dim=None):
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        return self.gather(dim, indices)

    def scatter(self, dim, index, src=None, value=None, reduce=None):
        from .ops.index import Scatter
        if src is None:
            src = value
        out = Scatter.apply(self, _wrap_dim(dim, self.ndim), _raw(index), src, reduce)
        return _labelled(out, not isinstance(src, Tensor), "ScatterBackward1")     # a number scattered

    def scatter_add(self, dim, index, src):
        from .ops.index import ScatterAdd
        return ScatterAdd.apply(self, _wrap_dim(dim, self.ndim), _raw(index), src)

    def scatter_reduce(self, dim, index, src, reduce, include_self=True):
        """``src`` reduced into a copy of this tensor at ``index`` along ``dim`` with ``reduce``
        (sum, prod, mean, amax, amin)."""
        from .ops.index import ScatterReduce
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
        return ScatterReduce.apply(self, _wrap_dim(dim, self.ndim), _raw(index), src, reduce, include_self)

    def scatter_reduce_(self, dim, index, src, reduce, include_self=True):
        return self._apply_inplace((lambda s, x: s.scatter_reduce(dim, index, x, reduce, include_self), src))

    def index_select(self, dim, index):
        from .ops.index import IndexSelect
        idx = _raw(index)
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        return IndexSelect.apply(self, _wrap_dim(dim, self.ndim), idx.reshape(-1))

    def index_fill(self, dim, index, value):
        """A copy with the slices at ``index`` along ``dim`` set to ``value``."""
        d = _wrap_dim(dim, self.ndim)
        mask = np.zeros(self._data.shape[d] if self.ndim else 1, dtype=bool)
        mask[_raw(index)] = True
        shape = [1] * self.ndim
        if self.ndim:
            shape[d] = -1
        return _labelled(self.masked_fill(mask.reshape(shape), value), True,
                         "IndexFillBackward1" if isinstance(value, Tensor) else "IndexFillBackward0")

    def index_copy(self, dim, index, source):
        """A copy with the slices at ``index`` along ``dim`` replaced by those of ``source``."""
        from .ops.index import IndexPut
        d = _wrap_dim(dim, self.ndim)
        idx = (builtins.slice(None),) * d + (_raw(index),)
        return _labelled(IndexPut.apply(self, source, idx, False), True, "IndexCopyBackward0")

    def take(self, index):
        """Elements of the flattened tensor at ``index`` (shaped like ``index``)."""
        return _labelled(self.reshape(-1)[_raw(index)], True, "TakeBackward0")

    def argwhere(self):
        return self.nonzero()

    def index_add(self, dim, index, source, alpha=1):
        from .ops.index import IndexAdd
        return IndexAdd.apply(self, _wrap_dim(dim, self.ndim), _raw(index), source, alpha)

    # ------------------------------------------------------------------ linear algebra
    def matmul(self, other):
        return matmul(self, other)

    def mm(self, mat2):
        if self.ndim != 2 or mat2.ndim != 2:
            raise RuntimeError("self must be a matrix")
        return matmul(self, mat2)

    def bmm(self, mat2):
        if self.ndim != 3 or mat2.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        return _labelled(matmul(self, mat2), True, "BmmBackward0")

    def mv(self, vec):
        return matmul(self, vec)

    def dot(self, other):
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        return matmul(self, other)

    def outer(self, other):
        return self.reshape(-1, 1) * other.reshape(1, -1)

    # ------------------------------------------------------------------ in-place
    def _write(self, out):
        """Store ``out`` (a Tensor or an array) into this tensor's memory, with PyTorch's checks."""
        if self._inference is True:
            _check_inference_write()
        data = out._data if isinstance(out, Tensor) else np.asarray(out)
        if data.dtype != self._data.dtype and _category(data.dtype.kind) > _category(self._data.dtype.kind):
            raise RuntimeError(f"result type {_scalar_name(data.dtype)} can't be cast to the desired output type "
                               f"{_scalar_name(self._data.dtype)}")
        if data.shape != self._data.shape:
            if data.size != 1 or data.ndim > self.ndim:
                raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                                   f"{list(data.shape)}")
            data = np.broadcast_to(data, self._data.shape)
        quietly(np.copyto, self._data, data, casting="unsafe")     # float64 beyond float32's range: inf
        _bump_version(self._data)
        if isinstance(out, Tensor) and out.requires_grad:
            self._requires_grad = True
            self._node, self._out_index = out._node, out._out_index

    def _apply_inplace(self, compute):
        """In-place form of an out-of-place method (``add_`` from ``add``)."""
        if self._inference is True:
            _check_inference_write()
        if is_grad_enabled() and self.requires_grad:
            self._guard_leaf()
        if not is_grad_enabled() or not (self.requires_grad or _any_grad(compute)):
            with no_grad():
                out = compute[0](self.detach() if self.requires_grad else self, *compute[1:])
            self._write(out._data if isinstance(out, Tensor) else out)
            return self
        src = Tensor._wrap(self._data.copy(), self.requires_grad)
        src._node, src._out_index = self._node, self._out_index
        args = [src if a is self else _snapshot(a) if isinstance(a, Tensor) and np.may_share_memory(a._data, self._data)
                else a for a in compute[1:]]
        out = compute[0](src, *args)
        self._write(out)
        return self

    def add_(self, other, alpha=1):
        return self._apply_inplace((lambda s, o: s.add(o, alpha=alpha), other))

    def sub_(self, other, alpha=1):
        return self._apply_inplace((lambda s, o: s.sub(o, alpha=alpha), other))

    def mul_(self, other):
        return self._apply_inplace((Tensor.mul, other))

    def div_(self, other, rounding_mode=None):
        return self._apply_inplace((lambda s, o: s.div(o, rounding_mode=rounding_mode), other))

    def pow_(self, e):
        return self._apply_inplace((Tensor.pow, e))

    def neg_(self):
        return self._apply_inplace((Tensor.neg,))

    def exp_(self):
        return self._apply_inplace((Tensor.exp,))

    def log_(self):
        return self._apply_inplace((Tensor.log,))

    def sqrt_(self):
        return self._apply_inplace((Tensor.sqrt,))

    def abs_(self):
        return self._apply_inplace((Tensor.abs,))

    def tanh_(self):
        return self._apply_inplace((Tensor.tanh,))

    def sigmoid_(self):
        return self._apply_inplace((Tensor.sigmoid,))

    def relu_(self):
        return self._apply_inplace((Tensor.relu,))

    def clamp_(self, min=None, max=None):
        return self._apply_inplace((lambda s: s.clamp(min, max),))

    clip_ = clamp_

    def lerp_(self, end, weight):
        return self._apply_inplace((lambda s, e: s.lerp(e, weight), end))

    def addcmul_(self, t1, t2, value=1):
        return self._apply_inplace((lambda s, a, b: s.addcmul(a, b, value), t1, t2))

    def addcdiv_(self, t1, t2, value=1):
        return self._apply_inplace((lambda s, a, b: s.addcdiv(a, b, value), t1, t2))

    def masked_fill_(self, mask, value):
        return self._apply_inplace((lambda s: s.masked_fill(mask, value),))

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        return self._apply_inplace((lambda s: s.scatter(dim, index, src, value, reduce),))

    def scatter_add_(self, dim, index, src):
        return self._apply_inplace((lambda s, x: s.scatter_add(dim, index, x), src))

    def index_fill_(self, dim, index, value):
        return self._apply_inplace((lambda s, v: s.index_fill(dim, index, v), value))

    def index_copy_(self, dim, index, source):
        return self._apply_inplace((lambda s, x: s.index_copy(dim, index, x), source))

    def floor_(self):
        return self._apply_inplace((Tensor.floor,))

    def ceil_(self):
        return self._apply_inplace((Tensor.ceil,))

    def round_(self, decimals=0):
        return self._apply_inplace((lambda s: s.round(decimals),))

    def trunc_(self):
        return self._apply_inplace((Tensor.trunc,))

    def reciprocal_(self):
        return self._apply_inplace((Tensor.reciprocal,))

    def square_(self):
        return self._apply_inplace((Tensor.square,))

    def tril_(self, diagonal=0):
        return self._apply_inplace((lambda s: s.tril(diagonal),))

    def triu_(self, diagonal=0):
        return self._apply_inplace((lambda s: s.triu(diagonal),))

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal (all indices equal) to ``fill_value``."""
        n = builtins.min(self._data.shape)
        idx = np.arange(n)
        if wrap and self.ndim == 2 and self._data.shape[0] > self._data.shape[1] + 1:
            rows = np.arange(self._data.shape[0])
            keep = rows % (self._data.shape[1] + 1) < self._data.shape[1]
            rows = rows[keep]
            idx = (rows, rows % (self._data.shape[1] + 1))
            self[idx] = fill_value
            return self
        self[(idx,) * self.ndim] = fill_value
        return self

    def index_add_(self, dim, index, source, alpha=1):
        return self._apply_inplace((lambda s, x: s.index_add(dim, index, x, alpha), source))

    def copy_(self, src, non_blocking=False):
        """Copy ``src`` (broadcast to this shape, cast to this dtype) into this tensor."""
        if self._inference is True:
            _check_inference_write()
        if not isinstance(src, Tensor):
            src = tensor(src)
        _check_inplace_shape(self._data.shape, src._data.shape)
        if is_grad_enabled() and (self.requires_grad or src.requires_grad):
            return _labelled(self._apply_inplace((_overwrite, src)), True, "CopyBackwards")
        # NaN and values beyond the type's range convert as C casts do, silently, as in PyTorch
        quietly(np.copyto, self._data, np.broadcast_to(src._data, self._data.shape), casting="unsafe")
        _bump_version(self._data)
        return self

    def zero_(self):
        out = self.fill_(0)
        return _labelled(out, is_grad_enabled() and self.requires_grad, "ZeroBackward0")

    def fill_(self, value):
        """Set every element to ``value`` (a number or a 0-d tensor)."""
        if self._inference is True:
            _check_inference_write()
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                               "dimensions.")
        value = _fill_number(value, self._data.dtype)
        if is_grad_enabled() and (self.requires_grad or isinstance(value, Tensor) and value.requires_grad):
            out = self._apply_inplace((lambda s, v: _overwrite(s, v if isinstance(v, Tensor) else
                                                                Tensor._wrap(np.asarray(v, s._data.dtype))), value))
            return _labelled(out, True, "FillBackward3" if isinstance(value, Tensor) else "FillBackward2")
        self._data[...] = _raw(value)
        _bump_version(self._data)
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from . import _sampling
        from .random import gen
        self._guard_leaf()
        if a > b:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
        _fill_in_memory_order(self._data, _sampling.uniform(gen(generator), self._data.size,
                                                             _random_dtype(self, "check_uniform_bounds"), a, b))
        _bump_version(self._data)
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from . import _sampling
        from .random import gen
        self._guard_leaf()
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        values = _sampling.normal(gen(generator), self._data.size, _random_dtype(self, "normal_kernel_cpu"), mean, std,
                                  contiguous=self._data.flags.c_contiguous)
        _fill_in_memory_order(self._data, values)
        _bump_version(self._data)
        return self

    def bernoulli(self, p=None, generator=None):
        """0/1 draws, each 1 with the probability this tensor (or ``p``) gives; same dtype."""
        from .random import bernoulli

        return bernoulli(self, p=p, generator=generator)

    def bernoulli_(self, p=0.5, generator=None):
        if self._inference is True:
            _check_inference_write()
        from . import _sampling
        from .random import gen
        if isinstance(p, Tensor):
            probs = np.ascontiguousarray(np.broadcast_to(p._data, self._data.shape))
            self._data[...] = _sampling.bernoulli_tensor(gen(generator), probs)
        else:
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
            _fill_in_memory_order(self._data, _sampling.bernoulli_scalar(gen(generator), self._data.size, float(p)))
        _bump_version(self._data)
        return self

    def random_(self, low=None, high=None, generator=None):
        if self._inference is True:
            _check_inference_write()
        from . import _sampling
        from .random import _int_range, gen
        from . import _dtype as D
        if low is None and high is None:  # random_(): [0, max] of an integer dtype, [0, 2^digits] of a float one
            values = _sampling.random_full(gen(generator), self._data.size, self._data.dtype)
        else:
            if high is None:
                low, high = 0, low
            low = 0 if low is None else low
            _int_range(low, high, D.from_numpy_dtype(self._data.dtype))
            values = _sampling.random_from_to(gen(generator), self._data.size, low, high, self._data.dtype)
        _fill_in_memory_order(self._data, values)
        _bump_version(self._data)
        return self

    def exponential_(self, lambd=1.0, generator=None):
        if self._inference is True:
            _check_inference_write()
        from . import _sampling
        from .random import gen
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        dtype = _random_dtype(self, "exponential_cpu")
        _fill_in_memory_order(self._data, _sampling.exponential(gen(generator), self._data.size, lambd).astype(dtype))
        _bump_version(self._data)
        return self

    def _guard_leaf(self):
        """PyTorch's errors for writing in place into an inference tensor outside inference mode, into a leaf
        that requires grad, or into a view of one."""
        if self._inference is True:
            _check_inference_write()
        if is_grad_enabled() and self.requires_grad:
            if self.is_leaf:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            if _views_leaf(self):
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")
            base = self._view_base() if self._view_base is not None else None
            if base is not None and base.requires_grad:
                raise RuntimeError(f"an in-place operation on a view ({self._node.name()}) of a tensor that is "
                                   "part of the autograd graph is not supported: the change would not reach "
                                   "the base tensor's gradient. Write into the base tensor, or clone() the view "
                                   "first.")

    # ------------------------------------------------------------------ more math functions (ops/math.py)
    def tan(self):
        from .ops.math import tan
        return tan(self)

    def asin(self):
        from .ops.math import asin
        return asin(self)

    def acos(self):
        from .ops.math import acos
        return acos(self)

    def atan(self):
        from .ops.math import atan
        return atan(self)

    def sinh(self):
        from .ops.math import sinh
        return sinh(self)

    def cosh(self):
        from .ops.math import cosh
        return cosh(self)

    def asinh(self):
        from .ops.math import asinh
        return asinh(self)

    def acosh(self):
        from .ops.math import acosh
        return acosh(self)

    def atanh(self):
        from .ops.math import atanh
        return atanh(self)

    arcsin = asin
    arccos = acos
    arctan = atan
    arcsinh = asinh
    arccosh = acosh
    arctanh = atanh

    def exp2(self):
        from .ops.math import exp2
        return exp2(self)

    def erfc(self):
        from .ops.math import erfc
        return erfc(self)

    def erfinv(self):
        from .ops.math import erfinv
        return erfinv(self)

    def lgamma(self):
        from .ops.math import lgamma
        return lgamma(self)

    def digamma(self):
        from .ops.math import digamma
        return digamma(self)

    def polygamma(self, n):
        from .ops.math import polygamma
        return polygamma(n, self)

    def mvlgamma(self, p):
        from .ops.math import mvlgamma
        return mvlgamma(self, p)

    def i0(self):
        from .ops.math import i0
        return i0(self)

    def sinc(self):
        from .ops.math import sinc
        return sinc(self)

    def logit(self, eps=None):
        from .ops.math import logit
        return logit(self, eps)

    def frac(self):
        from .ops.math import frac
        return frac(self)

    def fix(self):
        from .ops.math import fix
        return fix(self)

    def deg2rad(self):
        from .ops.math import deg2rad
        return deg2rad(self)

    def rad2deg(self):
        from .ops.math import rad2deg
        return rad2deg(self)

    def positive(self):
        from .ops.math import positive
        return positive(self)

    def signbit(self):
        from .ops.math import signbit
        return signbit(self)

    def isposinf(self):
        from .ops.math import isposinf
        return isposinf(self)

    def isneginf(self):
        from .ops.math import isneginf
        return isneginf(self)

    def isreal(self):
        from .ops.math import isreal
        return isreal(self)

    def conj_physical(self):
        return self

    def logcumsumexp(self, dim):
        from .ops.math import logcumsumexp
        return logcumsumexp(self, dim)

    def frexp(self):
        from .ops.math import frexp
        return frexp(self)

    def atan2(self, other):
        from .ops.math import atan2
        return atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        from .ops.math import hypot
        return hypot(self, other)

    def copysign(self, other):
        from .ops.math import copysign
        return copysign(self, other)

    def fmax(self, other):
        from .ops.math import fmax
        return fmax(self, other)

    def fmin(self, other):
        from .ops.math import fmin
        return fmin(self, other)

    def float_power(self, exponent):
        from .ops.math import float_power
        return float_power(self, exponent)

    def heaviside(self, values):
        from .ops.math import heaviside
        return heaviside(self, values)

    def logaddexp(self, other):
        from .ops.math import logaddexp
        return logaddexp(self, other)

    def logaddexp2(self, other):
        from .ops.math import logaddexp2
        return logaddexp2(self, other)

    def xlogy(self, other):
        from .ops.math import xlogy
        return xlogy(self, other)

    def nextafter(self, other):
        from .ops.math import nextafter
        return nextafter(self, other)

    def ldexp(self, other):
        from .ops.math import ldexp
        return ldexp(self, other)

    def gcd(self, other):
        from .ops.math import gcd
        return gcd(self, other)

    def lcm(self, other):
        from .ops.math import lcm
        return lcm(self, other)

    def igamma(self, other):
        from .ops.math import igamma
        return igamma(self, other)

    def igammac(self, other):
        from .ops.math import igammac
        return igammac(self, other)

    def bitwise_left_shift(self, other):
        from .ops.math import bitwise_left_shift
        return bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        from .ops.math import bitwise_right_shift
        return bitwise_right_shift(self, other)

    def __lshift__(self, other):
        return self.bitwise_left_shift(other)

    def __rshift__(self, other):
        return self.bitwise_right_shift(other)

    def __rlshift__(self, other):
        from .ops.math import bitwise_left_shift
        return bitwise_left_shift(other, self)

    def __rrshift__(self, other):
        from .ops.math import bitwise_right_shift
        return bitwise_right_shift(other, self)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    greater_equal = ge
    less_equal = le
    not_equal = ne

    # in place: the out-of-place method written back (version bump, leaf check, dtype kept)
    def tan_(self):
        return self._apply_inplace((Tensor.tan,))

    def asin_(self):
        return self._apply_inplace((Tensor.asin,))

    def acos_(self):
        return self._apply_inplace((Tensor.acos,))

    def atan_(self):
        return self._apply_inplace((Tensor.atan,))

    def sinh_(self):
        return self._apply_inplace((Tensor.sinh,))

    def cosh_(self):
        return self._apply_inplace((Tensor.cosh,))

    def asinh_(self):
        return self._apply_inplace((Tensor.asinh,))

    def acosh_(self):
        return self._apply_inplace((Tensor.acosh,))

    def atanh_(self):
        return self._apply_inplace((Tensor.atanh,))

    arcsin_ = asin_
    arccos_ = acos_
    arctan_ = atan_
    arcsinh_ = asinh_
    arccosh_ = acosh_
    arctanh_ = atanh_

    def sin_(self):
        return self._apply_inplace((Tensor.sin,))

    def cos_(self):
        return self._apply_inplace((Tensor.cos,))

    def exp2_(self):
        return self._apply_inplace((Tensor.exp2,))

    def expm1_(self):
        return self._apply_inplace((Tensor.expm1,))

    def log2_(self):
        return self._apply_inplace((Tensor.log2,))

    def log10_(self):
        return self._apply_inplace((Tensor.log10,))

    def log1p_(self):
        return self._apply_inplace((Tensor.log1p,))

    def rsqrt_(self):
        return self._apply_inplace((Tensor.rsqrt,))

    def erf_(self):
        return self._apply_inplace((Tensor.erf,))

    def erfc_(self):
        return self._apply_inplace((Tensor.erfc,))

    def erfinv_(self):
        return self._apply_inplace((Tensor.erfinv,))

    def lgamma_(self):
        return self._apply_inplace((Tensor.lgamma,))

    def digamma_(self):
        return self._apply_inplace((Tensor.digamma,))

    def polygamma_(self, n):
        return self._apply_inplace((lambda s: s.polygamma(n),))

    def mvlgamma_(self, p):
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"mvlgamma: result type {_scalar_name(self._data.dtype)} can't be cast to the desired "
                               "output type Float")
        return self._apply_inplace((lambda s: s.mvlgamma(p),))

    def i0_(self):
        return self._apply_inplace((Tensor.i0,))

    def sinc_(self):
        return self._apply_inplace((Tensor.sinc,))

    def logit_(self, eps=None):
        return self._apply_inplace((lambda s: s.logit(eps),))

    def frac_(self):
        return self._apply_inplace((Tensor.frac,))

    def fix_(self):
        return self._apply_inplace((Tensor.fix,))

    def deg2rad_(self):
        return self._apply_inplace((Tensor.deg2rad,))

    def rad2deg_(self):
        return self._apply_inplace((Tensor.rad2deg,))

    def sign_(self):
        return self._apply_inplace((Tensor.sign,))

    def sgn_(self):
        return self._apply_inplace((Tensor.sgn,))

    def negative_(self):
        return self._apply_inplace((Tensor.negative,))

    def absolute_(self):
        return self._apply_inplace((Tensor.absolute,))

    def conj_physical_(self):
        return self

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._apply_inplace((lambda s: s.nan_to_num(nan, posinf, neginf),))

    def clamp_min_(self, min):
        from .ops.math import check_bound_cast
        check_bound_cast(self, min)
        return self._apply_inplace((lambda s: s.clamp_min(min),))

    def clamp_max_(self, max):
        from .ops.math import check_bound_cast
        check_bound_cast(self, max)
        return self._apply_inplace((lambda s: s.clamp_max(max),))

    def cumsum_(self, dim, *, dtype=None):
        from .ops.math import check_same_dtype
        check_same_dtype(self, dtype)
        return self._apply_inplace((lambda s: s.cumsum(dim, dtype=s.dtype),))

    def cumprod_(self, dim, *, dtype=None):
        from .ops.math import check_same_dtype
        check_same_dtype(self, dtype)
        return self._apply_inplace((lambda s: s.cumprod(dim, dtype=s.dtype),))

    def atan2_(self, other):
        return self._apply_inplace((Tensor.atan2, other))

    arctan2_ = atan2_

    def hypot_(self, other):
        return self._apply_inplace((Tensor.hypot, other))

    def copysign_(self, other):
        return self._apply_inplace((Tensor.copysign, other))

    def float_power_(self, exponent):
        if self._data.dtype != np.float64:
            raise RuntimeError(f"the base given to float_power_ has dtype {_scalar_name(self._data.dtype)} but "
                               "the operation's result requires dtype Double")
        return self._apply_inplace((Tensor.float_power, exponent))

    def heaviside_(self, values):
        return self._apply_inplace((Tensor.heaviside, values))

    def xlogy_(self, other):
        return self._apply_inplace((Tensor.xlogy, other))

    def nextafter_(self, other):
        return self._apply_inplace((Tensor.nextafter, other))

    def ldexp_(self, other):
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"ldexp can't be cast to the desired output type {_scalar_name(self._data.dtype)}")
        return self._apply_inplace((Tensor.ldexp, other))

    def gcd_(self, other):
        return self._apply_inplace((Tensor.gcd, other))

    def lcm_(self, other):
        return self._apply_inplace((Tensor.lcm, other))

    def igamma_(self, other):
        return self._apply_inplace((Tensor.igamma, other))

    def igammac_(self, other):
        return self._apply_inplace((Tensor.igammac, other))

    def bitwise_left_shift_(self, other):
        return self._apply_inplace((Tensor.bitwise_left_shift, other))

    def bitwise_right_shift_(self, other):
        return self._apply_inplace((Tensor.bitwise_right_shift, other))

    def bitwise_and_(self, other):
        return self._apply_inplace((Tensor.bitwise_and, other))

    def bitwise_or_(self, other):
        return self._apply_inplace((Tensor.bitwise_or, other))

    def bitwise_xor_(self, other):
        return self._apply_inplace((Tensor.bitwise_xor, other))

    def bitwise_not_(self):
        return self._apply_inplace((Tensor.bitwise_not,))

    def logical_and_(self, other):
        return self._apply_inplace((Tensor.logical_and, other))

    def logical_or_(self, other):
        return self._apply_inplace((Tensor.logical_or, other))

    def logical_xor_(self, other):
        return self._apply_inplace((Tensor.logical_xor, other))

    def logical_not_(self):
        return self._apply_inplace((Tensor.logical_not,))

    def eq_(self, other):
        return self._apply_inplace((Tensor.eq, other))

    def ne_(self, other):
        return self._apply_inplace((Tensor.ne, other))

    def lt_(self, other):
        return self._apply_inplace((Tensor.lt, other))

    def le_(self, other):
        return self._apply_inplace((Tensor.le, other))

    def gt_(self, other):
        return self._apply_inplace((Tensor.gt, other))

    def ge_(self, other):
        return self._apply_inplace((Tensor.ge, other))

    greater_ = gt_
    less_ = lt_
    greater_equal_ = ge_
    less_equal_ = le_
    not_equal_ = ne_

    def multiply_(self, other):
        return self.mul_(other)

    def subtract_(self, other, alpha=1):
        return self.sub_(other, alpha=alpha)

    def divide_(self, other, rounding_mode=None):
        return self.div_(other, rounding_mode=rounding_mode)

    def true_divide_(self, other):
        return self.div_(other)

    def floor_divide_(self, other):
        return self._apply_inplace((Tensor.floor_divide, other))

    def fmod_(self, other):
        return self._apply_inplace((Tensor.fmod, other))

    def remainder_(self, other):
        return self._apply_inplace((Tensor.remainder, other))

    # in-place changes of shape: the tensor becomes the view
    def _view_inplace(self, view):
        """Make this tensor ``view(self)`` (same memory, new shape or strides), adopting its graph node."""
        if is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        out = view(self)
        self._data = out._data
        _bump_version(self._data)
        if out.requires_grad:
            self._node, self._out_index = out._node, out._out_index
        return self

    def squeeze_(self, dim=None):
        kind = 3 if dim is None else 4 if isinstance(dim, int) else 5     # PyTorch's in-place squeeze nodes
        return self._view_inplace(lambda s: _labelled(s.squeeze(dim), True, f"SqueezeBackward{kind}"))

    def unsqueeze_(self, dim):
        return self._view_inplace(lambda s: _labelled(s.unsqueeze(dim), True, "UnsqueezeBackward1"))

    def t_(self):
        return self._view_inplace(lambda s: _labelled(s.t(), True, "TBackward1"))

    def transpose_(self, dim0, dim1):
        return self._view_inplace(lambda s: _labelled(s.transpose(dim0, dim1), True, "TransposeBackward1"))

    swapaxes_ = transpose_
    swapdims_ = transpose_


    # ------------------------------------------------------------------ linear algebra (ops/decomp.py)
    def det(self):
        from .linalg import det
        return det(self)

    def logdet(self):
        from .linalg import _logdet
        return _logdet(self)

    def slogdet(self):
        from .linalg import _slogdet
        return _slogdet(self)

    def inverse(self):
        from .linalg import inv
        return inv(self)

    def cholesky(self, upper=False):
        from .linalg import _cholesky_legacy
        return _cholesky_legacy(self, upper)

    def cholesky_solve(self, input2, upper=False):
        from .linalg import _cholesky_solve
        return _cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        from .linalg import _cholesky_inverse
        return _cholesky_inverse(self, upper)

    def qr(self, some=True):
        from .linalg import _qr_legacy
        return _qr_legacy(self, some)

    def svd(self, some=True, compute_uv=True):
        from .linalg import _svd_legacy
        return _svd_legacy(self, some, compute_uv)

    def pinverse(self, rcond=1e-15):
        from .linalg import _pinverse
        return _pinverse(self, rcond)

    def matrix_power(self, n):
        from .linalg import matrix_power
        return matrix_power(self, n)

    def matrix_exp(self):
        from .linalg import matrix_exp
        return matrix_exp(self)

    def lu(self, pivot=True, get_infos=False):
        from .linalg import _lu_legacy
        return _lu_legacy(self, pivot, get_infos)

    def lu_solve(self, LU_data, LU_pivots):
        from .linalg import _lu_solve_legacy
        return _lu_solve_legacy(self, LU_data, LU_pivots)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        from .linalg import _triangular_solve
        return _triangular_solve(self, A, upper, transpose, unitriangular)

    def geqrf(self):
        from .linalg import _geqrf
        return _geqrf(self)

    def orgqr(self, input2):
        from .linalg import householder_product
        return householder_product(self, input2)

    def ormqr(self, input2, input3, left=True, transpose=False):
        from .linalg import _ormqr
        return _ormqr(self, input2, input3, left, transpose)


    # ------------------------------------------------------------------ products and constructions (ops/products.py)
    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        from .ops import products
        return products.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        from .ops import products
        return products.addmm_(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        from .ops import products
        return products.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        from .ops import products
        return products.addmv_(self, mat, vec, beta=beta, alpha=alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        from .ops import products
        return products.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        from .ops import products
        return products.addr_(self, vec1, vec2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        from .ops import products
        return products.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        from .ops import products
        return products.baddbmm_(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        from .ops import products
        return products.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        from .ops import products
        return products.addbmm_(self, batch1, batch2, beta=beta, alpha=alpha)

    def kron(self, other):
        from .ops import products
        return products.kron(self, other)

    def inner(self, other):
        from .ops import products
        return products.inner(self, other)

    def vdot(self, other):
        from .ops import products
        return products.vdot(self, other)

    def ger(self, vec2):
        from .ops import products
        return products.ger(self, vec2)

    def cross(self, other, dim=None):
        from .ops import products
        return products.cross(self, other, dim)

    def dist(self, other, p=2):
        from .ops import products
        return products.dist(self, other, p)

    def renorm(self, p, dim, maxnorm):
        from .ops import products
        return products.renorm(self, p, dim, maxnorm)

    def renorm_(self, p, dim, maxnorm):
        from .ops import products
        return self._apply_inplace((lambda s: products.renorm(s, p, dim, maxnorm),))

    def diag(self, diagonal=0):
        from .ops import products
        return products.diag(self, diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        from .ops import products
        return products.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        from .ops import products
        return products.diagflat(self, offset)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        from .ops import products
        return products.diagonal_scatter(self, src, offset, dim1, dim2)

    def select_scatter(self, src, dim, index):
        from .ops import products
        return products.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        from .ops import products
        return products.slice_scatter(self, src, dim, start, end, step)

    def rot90(self, k=1, dims=(0, 1)):
        from .ops import products
        return products.rot90(self, k, dims)

    def trace(self):
        from .ops import products
        return products.trace(self)

    def masked_scatter(self, mask, source):
        from .ops import products
        return products.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        from .ops import products
        return products.masked_scatter_(self, mask, source)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        from .ops import products
        return products.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        from .ops import products
        return products.index_reduce_(self, dim, index, source, reduce, include_self=include_self)

    def put(self, index, source, accumulate=False):
        from .ops import products
        return products.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        from .ops import products
        return products.put_(self, index, source, accumulate)

    def vsplit(self, indices_or_sections):
        from .ops import products
        return products.vsplit(self, indices_or_sections)

    def hsplit(self, indices_or_sections):
        from .ops import products
        return products.hsplit(self, indices_or_sections)

    def dsplit(self, indices_or_sections):
        from .ops import products
        return products.dsplit(self, indices_or_sections)

    def split_with_sizes(self, split_sizes, dim=0):
        from .ops import products
        return products.split_with_sizes(self, split_sizes, dim)

    def unsafe_chunk(self, chunks, dim=0):
        from .ops import products
        return products.unsafe_chunk(self, chunks, dim)

    def unsafe_split(self, split_size, dim=0):
        from .ops import products
        return products.unsafe_split(self, split_size, dim)

    def sum_to_size(self, *size):
        from .ops import products
        return products.sum_to_size(self, *size)

    def ravel(self):
        from .ops import products
        return products.ravel(self)

    def narrow_copy(self, dim, start, length):
        from .ops import products
        return products.narrow_copy(self, dim, start, length)

    def msort(self):
        from .ops import products
        return products.msort(self)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        from .ops import products
        return products.unique_consecutive(self, return_inverse, return_counts, dim)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        from .ops import products
        return products.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        from .ops import products
        return products.corrcoef(self)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        from .ops import products
        return products.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        from .ops import products
        return products.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanmedian(self, dim=None, keepdim=False):
        from .ops import products
        return products.nanmedian(self, dim, keepdim)

    def histc(self, bins=100, min=0, max=0):
        from .ops import products
        return products.histc(self, bins, min, max)

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        from .ops import products
        return products.histogram(self, bins, range=range, weight=weight, density=density)

    def bincount(self, weights=None, minlength=0):
        from .ops import products
        return products.bincount(self, weights, minlength)

    # ------------------------------------------------------------------ runtime attributes (_runtime.py)
    # the device and layout queries of PyTorch's Tensor: an npgrad tensor is a dense CPU array
    is_cpu = True
    is_meta = is_mps = is_xpu = is_ipu = is_xla = is_mtia = is_maia = is_vulkan = False
    is_quantized = is_sparse_csr = is_mkldnn = is_nested = False

    @property
    def itemsize(self):
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self):
        """Bytes of the elements: ``numel() * itemsize`` (whatever the strides)."""
        return self._data.size * self._data.itemsize

    def is_inference(self):
        """Whether this is an inference tensor: one made inside ``inference_mode()`` (or a view of one)."""
        return bool(self._inference)

    def is_signed(self):
        """Whether the dtype is signed: floating and signed integer dtypes."""
        return self._data.dtype.kind in "fi"

    def is_nonzero(self):
        """Whether the single value of a one-element tensor is nonzero (NaN counts as nonzero)."""
        if self._data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self._data.size > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()) != 0)

    def is_same_size(self, other):
        """Whether ``other`` has the same shape."""
        if not isinstance(other, Tensor):
            raise TypeError(f"is_same_size(): argument 'other' (position 1) must be Tensor, not "
                            f"{type(other).__name__}")
        return self._data.shape == other._data.shape

    def is_shared(self):
        """Whether the memory is shared between processes: ``False``, NumPy arrays live in one process."""
        return False

    def share_memory_(self):
        """Returns ``self``: npgrad keeps tensors in one process (``is_shared()`` stays ``False``)."""
        return self

    def is_pinned(self, device=None):
        """Whether the memory is pinned for fast copies to an accelerator: ``False``, there is none."""
        if device is not None:
            import warnings

            warnings.warn("The argument 'device' of Tensor.is_pinned() is deprecated. Please do not pass this "
                          "argument.", DeprecationWarning, stacklevel=2)
        return False

    def pin_memory(self, device=None):
        """Pinning needs an accelerator, and none is available: PyTorch's RuntimeError."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    # ------------------------------------------------------------------ more tensor methods (ops/extras.py)
    def prelu(self, weight):
        from .nn.functional import prelu
        return prelu(self, weight)

    def hardshrink(self, lambd=0.5):
        from .nn.functional import hardshrink
        return hardshrink(self, lambd)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .ops.extras import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    def new(self, *args, **kwargs):
        from .ops.extras import new
        return new(self, *args, **kwargs)

    def new_empty_strided(self, size, stride, **kwargs):
        from .ops.extras import new_empty_strided
        return new_empty_strided(self, size, stride, **kwargs)

    def as_strided(self, size, stride, storage_offset=None):
        from .ops.extras import as_strided
        return as_strided(self, size, stride, storage_offset)

    def as_strided_(self, size, stride, storage_offset=None):
        from .ops.extras import as_strided_
        return as_strided_(self, size, stride, storage_offset)

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        from .ops.extras import as_strided_scatter
        return as_strided_scatter(self, src, size, stride, storage_offset)

    def resize_(self, *sizes, memory_format=None):
        from .ops.extras import resize_
        return resize_(self, *sizes, memory_format=memory_format)

    def resize_as_(self, the_template, memory_format=None):
        from .ops.extras import resize_as_
        return resize_as_(self, the_template, memory_format=memory_format)

    def resize(self, *sizes):
        from .ops.extras import resize
        return resize(self, *sizes)

    def resize_as(self, tensor):
        from .ops.extras import resize
        return resize(self, tuple(tensor.shape), _name="resize_as")

    def set_(self, source=None, storage_offset=None, size=None, stride=None):
        from .ops.extras import set_
        return set_(self, source, storage_offset, size, stride)

    def is_set_to(self, tensor):
        from .ops.extras import is_set_to
        return is_set_to(self, tensor)

    def map_(self, other, callable):
        from .ops.extras import map_
        return map_(self, other, callable)

    def map2_(self, x, y, callable):
        from .ops.extras import map2_
        return map2_(self, x, y, callable)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        from .ops.extras import cauchy_
        return cauchy_(self, median, sigma, generator=generator)

    def geometric_(self, p, *, generator=None):
        from .ops.extras import geometric_
        return geometric_(self, p, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        from .ops.extras import log_normal_
        return log_normal_(self, mean, std, generator=generator)

    def conj(self):
        return self

    def resolve_conj(self):
        return self

    def resolve_neg(self):
        return self

    def is_conj(self):
        return False

    def is_neg(self):
        return False

    @property
    def real(self):
        """The real part: the tensor itself, for a real dtype."""
        return self

    @property
    def imag(self):
        """The imaginary part: PyTorch's error for a real dtype."""
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def adjoint(self):
        from .ops.extras import adjoint
        return adjoint(self)

    @property
    def mH(self):
        """The conjugate transpose of the last two dims (their transpose, for real tensors)."""
        if self.ndim == 0:
            import warnings
            warnings.warn("Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().", UserWarning,
                          stacklevel=2)
            return self
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got "
                               f"{self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self):
        """The conjugate transpose of a matrix (its transpose, for real tensors)."""
        if self.ndim == 0:
            import warnings
            warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning,
                          stacklevel=2)
            return self
        if self.ndim != 2:
            extra = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D "
                               f"tensor.{extra}")
        return self.transpose(0, 1)

    def angle(self):
        from .ops.extras import angle
        return angle(self)

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        from .ops.extras import unsafe_split_with_sizes
        return unsafe_split_with_sizes(self, split_sizes, dim)

    def nonzero_static(self, *, size, fill_value=-1):
        from .ops.extras import nonzero_static
        return nonzero_static(self, size=size, fill_value=fill_value)

    def dim_order(self, *, ambiguity_check=False):
        from .ops.extras import dim_order
        return dim_order(self, ambiguity_check=ambiguity_check)

    @property
    def grad_dtype(self):
        """The dtype of this leaf's gradient: its own dtype (or ``None`` once set so)."""
        from .ops.extras import grad_dtype
        return grad_dtype(self)

    @grad_dtype.setter
    def grad_dtype(self, value):
        from .ops.extras import set_grad_dtype
        set_grad_dtype(self, value)

    @property
    def output_nr(self):
        """Which output of the op that made this tensor it is (0 for a leaf)."""
        return self._out_index if self._node is not None else 0

    @property
    def name(self):
        """The name of an unnamed tensor: ``None`` (npgrad has no named tensors)."""
        return None

    @property
    def volatile(self):
        """Removed in PyTorch (always ``False``, with PyTorch's warning)."""
        import warnings
        warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
        return False

    def module_load(self, other, assign=False):
        from .ops.extras import module_load
        return module_load(self, other, assign)

    def as_subclass(self, cls):
        from .ops.extras import as_subclass
        return as_subclass(self, cls)

    def const_data_ptr(self):
        return self.data_ptr()

    def to_dense(self, dtype=None, *, masked_grad=None):
        """A strided tensor is already dense: itself (cast when ``dtype`` is given)."""
        return self if dtype is None else self.to(dtype)

    def dense_dim(self):
        return self.ndim

    def sparse_dim(self):
        return 0

    def is_distributed(self):
        return False

    def solve(self, *args, **kwargs):
        from .ops.extras import solve
        return solve(self, *args, **kwargs)

    def lstsq(self, *args, **kwargs):
        from .ops.extras import lstsq
        return lstsq(self, *args, **kwargs)

    def eig(self, *args, **kwargs):
        from .ops.extras import eig
        return eig(self, *args, **kwargs)

    def symeig(self, *args, **kwargs):
        from .ops.extras import symeig
        return symeig(self, *args, **kwargs)

    # ------------------------------------------------------------------ new tensors
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
                  **kwargs):   # size=
        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad, **kwargs)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
                 **kwargs):   # size=
        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad, **kwargs)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
                  **kwargs):   # size=
        return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad, **kwargs)

    def apply_(self, fn):
        self._data[...] = np.vectorize(fn)(self._data)
        return self


# activations and math as methods that live in functional
def _method(name):
    def m(self, *a, **k):
        from .nn import functional as F
        return getattr(F, name)(self, *a, **k)
    m.__name__ = name
    return m


for _n in ("softplus", "gelu", "silu", "elu", "leaky_relu", "logsigmoid"):
    setattr(Tensor, _n, _method(_n))


# PyTorch's argument parser takes NumPy's ``axis=`` for ``dim=`` (and ``keepdims=`` for ``keepdim=``) wherever an op
# has those arguments: the methods that reduce along a dim (they take both), then those that work along one
_WITH_KEEPDIM = ("sum", "mean", "nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax", "argmax",
                 "argmin", "std", "var", "any", "all", "logsumexp", "median", "nanmedian", "mode", "kthvalue",
                 "quantile", "nanquantile")
_WITH_DIM = ("count_nonzero", "softmax", "log_softmax", "cumsum", "cumprod", "logcumsumexp", "cummax", "cummin",
             "sort", "argsort", "topk", "squeeze", "unsqueeze", "diff", "unbind", "tensor_split", "repeat_interleave",
             "narrow", "select", "index_select", "gather", "chunk", "scatter", "scatter_add", "scatter_reduce",
             "index_add", "index_copy", "index_fill", "index_reduce", "take_along_dim", "cross", "renorm")


def numpy_names(kwargs, name, keepdim=True):
    """``kwargs`` with ``axis`` renamed ``dim`` and (where ``keepdim`` is one of the arguments) ``keepdims``
    renamed ``keepdim``; PyTorch's TypeError when both spellings are given."""
    for alias, arg in (("axis", "dim"), ("keepdims", "keepdim")):
        if alias in kwargs:
            if arg in kwargs or not (keepdim or arg == "dim"):
                raise TypeError(f"{name}() got an unexpected keyword argument '{alias}'")
            kwargs[arg] = kwargs.pop(alias)
    return kwargs


def _taking_numpy_names(method, keepdim):
    def m(*args, **kwargs):
        if "axis" in kwargs or "keepdims" in kwargs:
            numpy_names(kwargs, method.__name__, keepdim)
        return method(*args, **kwargs)

    m.__name__, m.__qualname__, m.__doc__, m.__wrapped__ = method.__name__, method.__qualname__, method.__doc__, method
    return m


for _n in _WITH_KEEPDIM + _WITH_DIM:
    setattr(Tensor, _n, _taking_numpy_names(getattr(Tensor, _n), _n in _WITH_KEEPDIM))


class Size(tuple):
    """A tensor's shape: a tuple of ints, as ``torch.Size``. A one-element integer tensor among the sizes counts
    as its int; ``+`` with a tuple and ``*`` by an int give a ``Size``."""

    def __new__(cls, sizes=()):
        items = []
        for i, s in enumerate(sizes):
            if isinstance(s, Tensor) and s._data.size == 1 and s._data.dtype.kind in "iu":
                s = int(s._data.reshape(-1)[0])
            elif isinstance(s, bool):
                s = int(s)
            elif not isinstance(s, (int, np.integer)):
                raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is '{type(s).__name__}')")
            items.append(s)
        return tuple.__new__(cls, items)

    def __repr__(self):
        return f"npgrad.Size({list(self)})"

    def numel(self):
        return int(np.prod(self)) if self else 1

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return _new_size(r) if isinstance(i, builtins.slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to torch.Size")
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        if not hasattr(n, "__index__"):
            kind = "torch.Size" if isinstance(n, Size) else type(n).__name__
            raise TypeError(f"can't multiply sequence by non-int of type '{kind}'")
        return _new_size(tuple.__mul__(self, n))

    __rmul__ = __mul__


def _new_size(shape):
    """``Size(shape)`` for a tuple of ints (a NumPy shape), without checking its items."""
    return tuple.__new__(Size, shape)


class _NamedPair(tuple):
    """The (values, indices) structure that max/min/sort/topk... return, as ``torch.return_types``."""

    _fields = ("values", "indices")

    def __new__(cls, first, second):
        return tuple.__new__(cls, (first, second))

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"


def _return_type(name, fields=("values", "indices")):
    cls = type(name, (_NamedPair,), {"_fields": fields, "__match_args__": fields, "n_fields": len(fields)})
    for i, f in enumerate(fields):
        setattr(cls, f, property(lambda self, i=i: self[i]))
    return cls


_Max = _MinMax = _return_type("max")
_Min = _return_type("min")
_Sort = _return_type("sort")
_TopK = _return_type("topk")
_Median = _return_type("median")
_KthValue = _return_type("kthvalue")
_AMinMax = _return_type("aminmax", ("min", "max"))
_CumMax = _return_type("cummax")
_CumMin = _return_type("cummin")
_Mode = _return_type("mode")


def _median_index(x, axis):
    """Index of the lower median along ``axis`` (the first NaN where there is one)."""
    order = np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    idx = np.take(order, (n - 1) // 2, axis=axis)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        if nan.any():
            idx = np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), idx)
    return idx


def _register(hooks, hook):
    """Add ``hook`` to the ordered dict ``hooks`` under a new handle's id; the handle removes it."""
    from ._hooks import RemovableHandle

    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _rebuild(data, requires_grad):
    return Tensor._wrap(data, requires_grad)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
               "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "bool": "BoolTensor",
               "uint8": "ByteTensor", "float16": "HalfTensor"}


# --------------------------------------------------------------------------- helpers


def _raw(x):
    return x._data if isinstance(x, Tensor) else (x if isinstance(x, np.ndarray) else np.asarray(x))


def _overwrite(s, src):
    """``src`` cast and broadcast to ``s``: what ``s.copy_(src)`` leaves, with no gradient to ``s``."""
    from .ops.elementwise import Where
    return Where.apply(np.ones(s._data.shape, dtype=bool), src.to(s.dtype), s)


_VIEW_FUNCTIONS = ("GetItem", "Reshape", "Permute", "Expand", "Split", "Diagonal", "Unfold")


def _views_leaf(t):
    """Whether non-leaf ``t`` is a view (through view ops) of a leaf that requires grad."""
    stack = [t._node]
    while stack:
        node = stack.pop()
        if node.fn.__name__ not in _VIEW_FUNCTIONS:
            continue
        for e in node.next:
            if isinstance(e, Tensor):
                if e.requires_grad and np.may_share_memory(e._data, t._data):
                    return True
            elif e is not None:
                stack.append(e[0])
    return False


def _snapshot(t):
    """A copy of ``t``'s values standing at the same place in the graph (for in-place ops on aliases)."""
    if t._node is None:
        return t
    c = Tensor._wrap(t._data.copy(), t.requires_grad)
    c._node, c._out_index = t._node, t._out_index
    return c


def _any_grad(compute):
    return builtins.any(isinstance(a, Tensor) and a.requires_grad for a in compute[1:])


_COUNTED = "inference tensor with a version counter"


def _detached_inference(t):
    """``Tensor._inference`` of ``t.detach()`` / ``t.data``: an inference tensor when ``t`` is one, with a
    version counter of its own (so writable) when made outside inference mode."""
    if not t._inference:
        return False
    return True if is_inference_mode_enabled() else _COUNTED


def _check_inference_write():
    """An inference tensor is being written in place: PyTorch's error outside inference mode."""
    if not is_inference_mode_enabled():
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
                           "clone to get a normal tensor before doing inplace update.See "
                           "https://github.com/pytorch/rfcs/pull/17 for more details.")


def _check_inference_requires_grad():
    """An inference tensor is asked to require grad: PyTorch's error outside inference mode."""
    if not is_inference_mode_enabled():
        raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")


def _check_bool_sub(a, b):
    """PyTorch refuses subtraction with a bool operand (a Python ``bool`` counts as one)."""
    a_bool = _raw(a).dtype == np.bool_
    b_bool = isinstance(b, (bool, np.bool_)) or (isinstance(b, (Tensor, np.ndarray)) and _raw(b).dtype == np.bool_)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _elementwise(fn, a, b):
    """A non-differentiable elementwise op (comparison, logic) on a tensor and a tensor or number."""
    try:
        return Tensor._wrap(np.asarray(fn(a._data, _raw(b))))
    except ValueError:
        broadcast_shape(a._data.shape, np.shape(_raw(b)))
        raise


def _promoted_operands(a, b):
    """The arrays of ``a`` and ``b`` (Tensors, arrays or Python numbers, one a Tensor) in PyTorch's promoted dtype:
    tensors cast (wrapping, as C++ casts do), a Python number read as PyTorch reads a scalar (``_as_operand``)."""
    if isinstance(a, (np.ndarray, np.generic)):
        a = Tensor._wrap(np.asarray(a))
    if isinstance(b, (np.ndarray, np.generic)):
        b = Tensor._wrap(np.asarray(b))
    dt = result_type(a, b)
    if isinstance(a, Tensor):
        x = a._data if a._data.dtype == dt else a._data.astype(dt)
    else:
        x = _as_operand(a, dt)
    if isinstance(b, Tensor):
        y = b._data if b._data.dtype == dt else b._data.astype(dt)
    else:
        y = _as_operand(b, dt)
    return x, y


def _on_arrays(fn, a, b):
    """``fn(a, b)`` on arrays as a new Tensor, with PyTorch's error for shapes that do not broadcast."""
    try:
        return Tensor._wrap(np.asarray(fn(a, b)))
    except ValueError:
        broadcast_shape(a.shape, b.shape)
        raise


def _division(fn, name, a, b):
    """``fn(a, b)`` (``floor_divide``, ``_remainder``, ``fmod``, ``_truncated_division``) in PyTorch's promoted
    dtype: an integer division by zero raises PyTorch's ``RuntimeError: ZeroDivisionError`` (no value is
    produced), bool tensors are refused, and a float division by zero gives IEEE's inf or NaN. The remainders
    of a floating tensor are differentiable (``ops/division.py``)."""
    if not isinstance(a if isinstance(b, Tensor) else b, (Tensor, numbers.Number, np.ndarray, np.generic)):
        return NotImplemented
    x, y = _promoted_operands(a, b)
    kind = x.dtype.kind
    if kind == "b":
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Bool\'')
    if kind == "f":
        if name in ("remainder", "fmod") and isinstance(a, Tensor) and is_grad_enabled() \
                and (a.requires_grad or isinstance(b, Tensor) and b.requires_grad):
            from .ops.division import Fmod, Remainder
            out = (Remainder if name == "remainder" else Fmod).apply(_as_operand(a, x.dtype), _as_operand(b, x.dtype))
            return _labelled(out, isinstance(b, Tensor),
                             "RemainderBackward1" if name == "remainder" else "FmodBackward1")
        with np.errstate(all="ignore"):     # x / 0 is inf or NaN, silently
            return _on_arrays(fn, x, y)
    if not y.all() and 0 not in broadcast_shape(x.shape, y.shape):
        raise RuntimeError("ZeroDivisionError")
    if kind == "i" and fn is not _remainder and fn is not np.fmod and (y < 0).any():
        with np.errstate(over="ignore"):    # the most negative integer // -1 wraps, silently
            return _on_arrays(fn, x, y)
    return _on_arrays(fn, x, y)


def _remainder(x, y):
    """PyTorch's ``remainder``: ``x - floor(x / y) * y`` (the sign of ``y``); a zero of floats with the sign of
    ``x`` (``fmod``'s zero, where NumPy's ``mod`` gives ``y``'s sign)."""
    r = np.remainder(x, y)
    if x.dtype.kind == "f":
        zero = r == 0
        if zero.any():
            r = np.where(zero, np.copysign(r, x), r)
    return r


def _truncated_division(x, y):
    """``x / y`` rounded towards zero, exact for integers (``trunc`` of the float quotient otherwise)."""
    if x.dtype.kind == "f":
        return np.trunc(x / y)
    q = np.floor_divide(x, y)
    if x.dtype.kind == "i":     # floor and trunc differ for an inexact negative quotient
        q = q + ((np.remainder(x, y) != 0) & ((x < 0) != (y < 0))).astype(x.dtype)
    return q


def _floatify(t):
    return t if t._data.dtype.kind == "f" else t.to(D.get_default_dtype())


def _float_result(a, b):
    dt = result_type(a, b)
    return dt if dt.kind == "f" else D.get_default_dtype().np


def _ensure_tensor(x):
    return x if isinstance(x, Tensor) else tensor(x)


def _zero_grad_op(t, fn):
    """``fn`` of ``t``'s values, recorded (when ``t`` needs a gradient) with the zero gradient of a piecewise
    constant function (:class:`npgrad.ops.elementwise.PiecewiseConstant`)."""
    if t.requires_grad and is_grad_enabled() and t._data.dtype.kind == "f":
        from .ops.elementwise import PiecewiseConstant
        return PiecewiseConstant.apply(t, fn)
    return Tensor._wrap(np.asarray(fn(t._data)))


def _labelled(out, when, label):
    """``out`` with its node named as PyTorch names it for this form of the call (``SumBackward1`` ...)."""
    if when and out._node is not None:
        out._node.label = label
    return out


def _index_node_name(idx, shape):
    """PyTorch's node for ``x[idx]`` (``idx`` as :func:`_index_arg` gives it): the last view op of its basic
    indexing (an int selects, a slice slices, None unsqueezes; a full slice inside a tuple is skipped, and an
    index of nothing else is an alias), or ``IndexBackward0`` for any advanced index."""
    if type(idx) is int:
        return "SelectBackward0"
    if not isinstance(idx, tuple):
        if isinstance(idx, builtins.slice):
            return "SliceBackward0"
        if idx is None:
            return "UnsqueezeBackward0"
        return "AliasBackward0" if idx is Ellipsis else "SelectBackward0" if _is_int(idx) else "IndexBackward0"
    name, dim = "AliasBackward0", 0
    for it in idx:
        kind = type(it)
        if kind is builtins.slice:
            if (it.start is not None or it.stop is not None or it.step is not None) and not _full_slice(it, shape[dim]):
                name = "SliceBackward0"
            dim += 1
        elif kind is int or _is_int(it):
            name, dim = "SelectBackward0", dim + 1
        elif it is None:
            name = "UnsqueezeBackward0"
        elif it is Ellipsis:
            dim += len(shape) - builtins.sum(1 for i in idx if i is not None and i is not Ellipsis)
        else:
            return "IndexBackward0"
    return name


def _full_slice(it, size):
    """Whether slice ``it`` takes all ``size`` elements in order (PyTorch's indexing skips it then)."""
    try:
        return it.indices(size) == (0, size, 1)
    except TypeError:       # bounds given as tensors
        return False


def _setitem_node_name(idx, shape, value):
    """PyTorch's node for ``x[idx] = value``: the write of a view into its base (``CopySlices``) when the
    index has a basic part that is not the whole tensor, ``IndexPutBackward0`` for advanced indices alone,
    ``fill_``'s or ``copy_``'s node for an index that takes everything."""
    if not isinstance(idx, tuple):
        if isinstance(idx, (np.ndarray, bool)):
            return "IndexPutBackward0"
        if idx is not Ellipsis and not isinstance(idx, builtins.slice):
            return "CopySlices"     # x[0] = v, x[None] = v, or ints with advanced indices (two steps)
        idx = (idx,)
    advanced = [isinstance(it, (np.ndarray, bool)) for it in idx]
    basic = tuple(builtins.slice(None) if a else it for it, a in zip(idx, advanced))
    if _index_node_name(basic, shape) != "AliasBackward0":
        return "CopySlices"
    if builtins.any(advanced):
        return "IndexPutBackward0"
    return "CopyBackwards" if isinstance(value, Tensor) and value.ndim else "FillBackward3"


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _check_reshape(size, shape):
    known = 1
    unknown = 0
    for s in shape:
        if s == -1:
            unknown += 1
        else:
            known *= s
    if unknown > 1:
        raise RuntimeError("only one dimension can be inferred")
    if (unknown == 0 and known != size) or (unknown and (known == 0 or size % known)):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")


def _expand_shape(a, size):
    """The shape that ``expand(*size)`` gives array ``a`` (-1 keeps a size), with PyTorch's errors."""
    lead = len(size) - a.ndim
    if lead < 0:
        raise RuntimeError(f"expand(npgrad.{_TYPE_NAMES.get(a.dtype.name, a.dtype.name)}{{{list(a.shape)}}}, "
                           f"size={list(size)}): the number of sizes provided ({len(size)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({a.ndim})")
    out = list(size)
    for i in range(len(size) - 1, -1, -1):
        if i < lead:
            if size[i] < 0:
                raise RuntimeError(f"The expanded size of the tensor ({size[i]}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            continue
        s = a.shape[i - lead]
        if size[i] == -1:
            out[i] = s
        elif s != 1 and s != size[i]:
            raise RuntimeError(f"The expanded size of the tensor ({size[i]}) must match the existing size ({s}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(size)}.  Tensor sizes: "
                               f"{list(a.shape)}")
    return tuple(out)


def _setitem_error(t, idx, value):
    """Raise PyTorch's error for a value whose shape does not fit ``t[idx]``."""
    from .ops.index import _is_basic, index_array
    target = index_array(np.broadcast_to(np.empty((), np.int8), t._data.shape), idx).shape
    v = _raw(value)
    if not _is_basic(idx):
        try:
            np.broadcast_shapes(v.shape, target)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to "
                               f"indexing result of shape {list(target)}") from None
        return
    shape = v.shape
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    _expand_shape(v.reshape(shape), target)


def _is_view_index(idx, t):
    """Whether ``t[idx] = v`` writes through a view of ``t`` (an int, a part-slice or None in idx)."""
    from .ops.index import TwoStepIndex
    if isinstance(idx, TwoStepIndex):
        idx = idx.basic
    items = idx if isinstance(idx, tuple) else (idx,)
    dim = 0
    for it in items:
        if it is None or isinstance(it, (int, np.integer)) and not isinstance(it, (bool, np.bool_)):
            return True
        if isinstance(it, builtins.slice):
            if dim < t.ndim and it.indices(t._data.shape[dim]) != (0, t._data.shape[dim], 1):
                return True
        dim += 1
    return False


def _infer_shape(size, shape):
    """``shape`` with its -1 (if any) replaced by the size that makes ``size`` elements."""
    if -1 not in shape:
        return shape
    known = int(np.prod([s for s in shape if s != -1]))
    return tuple(size // known if s == -1 else s for s in shape)


def _viewable(a, shape):
    """Whether ``a`` can be seen with ``shape`` without copying (PyTorch's stride computation)."""
    if a.size == 0 or a.ndim == 0:
        return True
    old_shape = a.shape
    old_stride = [st // a.itemsize for st in a.strides]
    view_d = len(shape) - 1
    chunk_base = old_stride[-1]
    tensor_numel = view_numel = 1
    for d in range(a.ndim - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_stride[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                chunk_base = old_stride[d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


_SEQUENCE_INDEX_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; "
    "use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result")
_UINT8_INDEX_WARNING = "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead."


def _sequence_as_tuple(idx):
    """PyTorch's rule (old NumPy's): a list of fewer than 32 items holding a tensor, a sequence, a slice, None
    or Ellipsis is a tuple of indices, with a warning (``x[[t0, t1]]`` is ``x[t0, t1]``); any other list is
    one index (``x[[0, 2]]`` takes rows 0 and 2)."""
    return isinstance(idx, list) and len(idx) < 32 and builtins.any(
        isinstance(it, (Tensor, np.ndarray, list, tuple, range, builtins.slice)) or it is None or it is Ellipsis
        for it in idx)


def _index_item(it):
    """One item of an index in NumPy's terms, as PyTorch takes it: a 0-d integer tensor is an int, a 0-d bool
    or uint8 tensor a bool, a uint8 tensor a bool mask (with a warning), a list an array."""
    if isinstance(it, Tensor):
        it = it._data
    elif isinstance(it, (list, tuple, range)):
        it = np.asarray(it)
        if it.size == 0 and it.dtype.kind == "f":   # [] indexes nothing, as an empty long tensor
            it = it.astype(np.int64)
    elif isinstance(it, np.bool_):
        return bool(it)
    if isinstance(it, np.ndarray):
        if it.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if it.ndim == 0:
            return bool(it) if it.dtype.kind == "b" or it.dtype == np.uint8 else int(it)
        if it.dtype == np.uint8:
            warnings.warn(_UINT8_INDEX_WARNING, UserWarning, stacklevel=4)
            it = it.astype(bool)
    return it


def _is_int(it):
    return isinstance(it, (int, np.integer)) and not isinstance(it, bool)


def _put_indices(indices):
    """The index tensors of ``index_put_`` as NumPy arrays (all of them advanced indices, as in PyTorch);
    a uint8 one is a bool mask, with PyTorch's warning."""
    out = []
    for i in indices:
        a = _raw(i)
        if a.dtype == np.uint8:
            warnings.warn(_UINT8_INDEX_WARNING, UserWarning, stacklevel=3)
            a = a.astype(bool)
        out.append(a)
    return tuple(out)


def _setitem_tensors(items):
    """The items of a ``t[items] = v`` index that PyTorch turns into index tensors (all but ints, 0-d integer
    tensors, slices, None and Ellipsis)."""
    return [it for it in items if isinstance(it, (Tensor, np.ndarray)) and (it.ndim or _raw(it).dtype.kind in "bu")
            or isinstance(it, (list, tuple, range, bool, np.bool_))]


def _check_mask_fill(tensors, value):
    """PyTorch's error for ``t[mask] = v`` with a uint8 mask as the only index tensor and one value: that case
    goes to ``masked_fill_``, which takes bool masks only."""
    if len(tensors) == 1 and isinstance(tensors[0], (Tensor, np.ndarray)) and tensors[0].ndim \
            and _raw(tensors[0]).dtype == np.uint8 and np.size(_raw(value)) == 1:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")


def _index_arg(idx, t):
    """An index of ``t`` in NumPy's terms, checked with PyTorch's errors, taken in PyTorch's order.

    PyTorch indexes in two steps. First the ints (selects), slices, None (a new dim of size 1), Ellipsis and
    bools (a new dim of size 1, indexed by ``[0]`` for True, ``[]`` for False), one after another: a view.
    Then the advanced indices (integer arrays and bool masks) index that view, by NumPy's rule. When the
    index holds both ints (or None, or bools) and advanced indices the result is a
    :class:`~npgrad.ops.index.TwoStepIndex`, else a plain NumPy index, the same in both rules. See
    :func:`_sequence_as_tuple` and :func:`_index_item` for how lists and tensors are read.
    """
    if _sequence_as_tuple(idx):
        warnings.warn(_SEQUENCE_INDEX_WARNING, UserWarning, stacklevel=3)
        idx = tuple(idx)
    if type(idx) is int and t._data.ndim:   # the common x[i], a select
        n = t._data.shape[0]
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of bounds for dimension 0 with size {n}")
        return idx
    if t.ndim == 0 and _is_int(idx):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                         "in C++ to convert a 0-dim tensor to a number")
    if t.ndim == 0 and isinstance(idx, builtins.slice):
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    items = [_index_item(it) for it in (idx if isinstance(idx, tuple) else (idx,))]
    for it in items:
        if isinstance(it, builtins.slice) and it.step is not None:
            step = it.step._data.item() if isinstance(it.step, Tensor) else it.step
            if step == 0:
                raise ValueError("slice step cannot be zero")
            if step < 0:
                raise ValueError("step must be greater than zero")
    used = builtins.sum(it.ndim if isinstance(it, np.ndarray) and it.dtype == np.bool_ else 1
                        for it in items if it is not None and it is not Ellipsis and not isinstance(it, bool))
    if used > t.ndim:
        raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
    shape = list(t._data.shape)  # the first step's result, built one item after another as PyTorch does
    places = []  # (dim of that result, array) of each advanced index
    basic = []
    cur = 0
    for pos, it in enumerate(items):
        if it is Ellipsis:
            cur += t.ndim - used
            basic.append(it)
        elif it is None or isinstance(it, bool):
            shape.insert(cur, 1)
            if it is not None:
                places.append((cur, np.zeros(int(it), np.int64)))
            cur += 1
            basic.append(None)
        elif _is_int(it):
            n = shape[cur]
            if not -n <= it < n:
                raise IndexError(f"index {it} is out of bounds for dimension {pos} with size {n}")
            del shape[cur]
            basic.append(it)
        elif isinstance(it, builtins.slice):
            shape[cur] = len(range(*it.indices(shape[cur])))
            cur += 1
            basic.append(it)
        else:
            places.append((cur, it))
            width = it.ndim if it.dtype == np.bool_ else 1
            cur += width
            basic += [builtins.slice(None)] * width
    if not places:
        return tuple(items) if isinstance(idx, tuple) else items[0]
    _check_advanced(places, shape)
    if not builtins.any(it is None or isinstance(it, (int, np.integer)) for it in items):
        return tuple(items) if isinstance(idx, tuple) else items[0]
    advanced, reached = [], 0   # the advanced indices at their places in the first step's result
    for dim, a in places:
        advanced += [builtins.slice(None)] * (dim - reached) + [a]
        reached = dim + (a.ndim if a.dtype == np.bool_ else 1)
    from .ops.index import TwoStepIndex
    return TwoStepIndex(tuple(basic), tuple(advanced))


def _check_advanced(places, shape):
    """PyTorch's checks of the advanced indices on the first step's result of ``shape``: bool masks fit their
    dims, the indices broadcast together (a mask of k dims as k index arrays), integers are in bounds (the
    dims numbered among the advanced ones)."""
    shapes = []
    for dim, a in places:
        if a.dtype == np.bool_:
            for k in range(a.ndim):
                if a.shape[k] != shape[dim + k]:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {k} does not match the shape "
                                     f"of the indexed tensor {shape} at index {dim + k}")
            if len(places) > 1:
                shapes += [(int(np.count_nonzero(a)),)] * a.ndim
        else:
            shapes.append(a.shape)
    try:
        if len(places) > 1:
            np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes "
                         + ", ".join(str(list(s)) for s in shapes)) from None
    k = 0
    for dim, a in places:
        if a.dtype != np.bool_ and a.size:
            n = shape[dim]
            hi, lo = a.max(), a.min()
            if hi >= n or lo < -n:
                raise IndexError(f"index {hi if hi >= n else lo} is out of bounds for dimension {k} with size {n}")
        k += a.ndim if a.dtype == np.bool_ else 1


def _to_array(data, dtype=None):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and builtins.any(isinstance(d, Tensor) for d in _iter_flat(data)):
        data = _nested_to_array(data)
    return data


def _iter_flat(data):
    for d in data:
        if isinstance(d, (list, tuple, range)):
            yield from _iter_flat(d)
        else:
            yield d


def _is_sequence(data):
    """Whether ``tensor()`` reads ``data`` as a sequence of values (as Python's ``PySequence_Check``):
    lists, tuples, ranges and other indexable sized objects, but not strings, mappings or arrays."""
    if isinstance(data, (list, tuple, range)):
        return True
    if isinstance(data, (str, bytes, bytearray, dict, np.ndarray, np.generic, Tensor)):
        return False
    return hasattr(type(data), "__getitem__") and hasattr(type(data), "__len__")


def _check_nested_lengths(data, dim=0):
    """PyTorch's error for ragged nested lists."""
    if not isinstance(data, (list, tuple)) or not data:
        return
    first = data[0]
    n = len(first) if isinstance(first, (list, tuple)) else None
    for d in data[1:]:
        if n is None and isinstance(d, (list, tuple)):
            raise TypeError("'list' object cannot be interpreted as an integer")
        if n is not None and not isinstance(d, (list, tuple)):
            raise TypeError("not a sequence")
        if n is not None and len(d) != n:
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(d)})")
    for d in data:
        _check_nested_lengths(d, dim + 1)


def _nested_to_array(data):
    if isinstance(data, Tensor):  # a value: PyTorch reads a tensor inside a list as its one element
        if data._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return data._data.reshape(())
    if isinstance(data, (list, tuple)):
        return np.array([_nested_to_array(d) for d in data])
    return data


# --------------------------------------------------------------------------- creation


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data``: float32 for floats, int64 for ints, bool for bools.

    Nested sequences (lists, tuples, ranges) take the promotion of their values' types; a value that
    ``dtype`` cannot hold raises PyTorch's error (a negative int in an unsigned type wraps, as in C).
    Arrays and tensors are converted without checks.

    Example:
        >>> import npgrad
        >>> npgrad.tensor([[1, 2], [3, 4]]).dtype
        npgrad.int64
        >>> npgrad.tensor(range(3))
        tensor([0, 1, 2])
    """
    check_device(device)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    target = None if dtype is None else D.as_dtype(dtype).np
    if isinstance(data, (Tensor, np.ndarray)):
        arr = quietly(np.array, _to_array(data), dtype=target)     # converted as C casts do, silently
    else:
        if _is_sequence(data) and not isinstance(data, (list, tuple)):
            data = list(data)
        arr = _python_to_array(data, target)
    D.from_numpy_dtype(arr.dtype)
    if requires_grad and arr.dtype.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return Tensor._wrap(arr, requires_grad)


def _python_to_array(data, target):
    """``tensor()`` of Python data (a number, a NumPy scalar, nested sequences of them or of tensors): the
    dtype PyTorch infers (or ``target``), values checked as PyTorch stores them."""
    is_seq = isinstance(data, (list, tuple))
    try:
        arr = np.array(_to_array(data))
    except ValueError:
        if is_seq:
            _check_nested_lengths(data)
        raise
    kind = arr.dtype.kind
    if kind == "c":
        D.from_numpy_dtype(arr.dtype)  # no complex dtypes: the error says which types there are
    unusual = kind in "OUSV" or arr.dtype == np.uint64
    if kind in "US" and _first_is_str(data):
        raise ValueError("too many dimensions 'str'")  # PyTorch's sizes reach a string through the first items
    if unusual or (target is None and (kind == "f" or (kind in "iu" and arr.dtype != np.int64))):
        # the leaves decide: their promoted type, and whether an int lies beyond 64 bits
        inferred, big = _infer_leaves(_iter_flat(data) if is_seq else [data])
        if big and (target if target is not None else inferred).kind != "f":
            raise ValueError("Overflow when unpacking long long")
        if unusual:
            arr = np.array(_to_array(data), dtype=np.float64)
        if target is None:
            return quietly(arr.astype, inferred, copy=False)    # 1e300 as float32 is inf, as in PyTorch
    if target is None:
        return arr
    return _checked_cast(arr, target)


def _first_is_str(data):
    """Whether following the first item of each nested sequence ends at a string."""
    while isinstance(data, (list, tuple, range)) and len(data):
        data = data[0]
    return isinstance(data, str)


def _infer_leaves(leaves):
    """The dtype PyTorch infers from the values of nested sequences (the promotion of the values' own types,
    a Python float counting as the default dtype, an int as int64, a bool as bool) and whether one is an int
    beyond 64 bits; PyTorch's error for a value of no number type."""
    leaves = leaves if isinstance(leaves, list) else list(leaves)
    dt, big = None, False
    for tp in set(map(type, leaves)):
        if tp is float:
            vts = [D.get_default_dtype().np]
        elif tp is int:
            ints = [v for v in leaves if type(v) is int]
            big = builtins.min(ints) < -(1 << 63) or builtins.max(ints) >= 1 << 63
            vts = [np.dtype(np.int64)]
        elif issubclass(tp, (Tensor, np.ndarray)):
            if issubclass(tp, np.ndarray) and builtins.any(v.ndim == 0 for v in leaves if type(v) is tp):
                raise TypeError("len() of unsized object")  # PyTorch reads an array in a list as a sequence
            vts = {_raw(v).dtype for v in leaves if type(v) is tp}
        elif issubclass(tp, (numbers.Number, np.generic)):
            vts = [_scalar_dtype(next(v for v in leaves if type(v) is tp))]
        elif issubclass(tp, str):
            raise TypeError("new(): invalid data type 'str'")
        else:
            raise RuntimeError(f"Could not infer dtype of {tp.__name__}")
        for vt in vts:
            dt = vt if dt is None else promote_types(dt, vt)
    return (D.get_default_dtype().np if dt is None else dt), big


def _checked_cast(arr, target):
    """``arr`` as ``target``, or PyTorch's error for a value the type cannot hold (``tensor()``'s check:
    floats must lie in the integer range, ints too, except that unsigned types take ints down to ``-max``)."""
    kind = arr.dtype.kind
    if target.kind in "iu" and kind in "iuf" and arr.size:
        info = np.iinfo(target)
        lo, hi = arr.min(), arr.max()
        if kind == "f":
            bad = np.isnan(lo) or np.isnan(hi) or lo < info.min or hi > info.max
        elif target.kind == "u":
            bad = hi > info.max or lo < -int(info.max)
        else:
            bad = lo < info.min or hi > info.max
        if bad:
            raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")
    if target.kind == "f" and kind in "iu" and target != np.float64:
        arr = arr.astype(np.float64)  # PyTorch reads a Python int as a double first
    with np.errstate(over="ignore", invalid="ignore"):
        return arr.astype(target, copy=False)


def as_tensor(data, dtype=None, device=None):
    check_device(device)
    if isinstance(data, Tensor) and (dtype is None or D.as_dtype(dtype).np == data._data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or D.as_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    D.from_numpy_dtype(array.dtype)
    return Tensor._wrap(array)


def _size_arg(size, fn=None):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    for s in size:
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"size must be a sequence of ints, got {type(s).__name__}")
        if s < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _dt(dtype):
    return D.as_dtype(dtype).np


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, **kwargs):
    check_device(device)
    shape = _size_arg(_creation_size(size, kwargs, "zeros"), "zeros")
    _no_more(kwargs, "zeros")
    return Tensor._wrap(np.zeros(shape, dtype=_dt(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, **kwargs):
    check_device(device)
    shape = _size_arg(_creation_size(size, kwargs, "ones"))
    _no_more(kwargs, "ones")
    return Tensor._wrap(np.ones(shape, dtype=_dt(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None,
          **kwargs):
    check_device(device)
    shape = _size_arg(_creation_size(size, kwargs, "empty"))
    _no_more(kwargs, "empty")
    return Tensor._wrap(_layout.empty(shape, _dt(dtype), _layout.check(memory_format, "empty")), requires_grad)


def _creation_size(size, kwargs, name):
    """The size of ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``; none at all is torch's TypeError."""
    if "size" in kwargs:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        return (kwargs.pop("size"),)
    if not size:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    return size


def _no_more(kwargs, name):
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    check_device(device)
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = D.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = D.int64
    dt = _dt(dtype)
    return Tensor._wrap(np.full(_size_arg((size,) if isinstance(size, int) else (tuple(size),)),
                                _fill_number(fill_value, dt), dtype=dt), requires_grad)


def _like_dtype(t, dtype):
    return t._data.dtype if dtype is None else _dt(dtype)


def _like(t, dtype, memory_format, name):
    """An uninitialised array for ``name(t, ...)``: ``t``'s shape and, unless told otherwise, its dtype and
    layout (PyTorch's ``preserve_format``)."""
    fmt = _layout.check(memory_format, name) or _layout.preserve_format
    return _layout.empty_like(t._data, _like_dtype(t, dtype), fmt)


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    check_device(device)
    out = _like(t, dtype, memory_format, "zeros_like")
    out.fill(0)
    return Tensor._wrap(out, requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    check_device(device)
    out = _like(t, dtype, memory_format, "ones_like")
    out.fill(1)
    return Tensor._wrap(out, requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    check_device(device)
    return Tensor._wrap(_like(t, dtype, memory_format, "empty_like"), requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    check_device(device)
    out = _like(t, dtype, memory_format, "full_like")
    out[...] = fill_value
    return Tensor._wrap(out, requires_grad)


def arange(start=None, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` (0 by default) up to, not including, ``end``, ``step`` apart: int64 when all three
    are integers, the default float dtype otherwise; value ``i`` is ``start + i * step`` as PyTorch's CPU kernel
    computes it (:mod:`npgrad._ranges`).

    Example:
        >>> import npgrad
        >>> npgrad.arange(1, 2.2, 0.1, dtype=npgrad.float64)[6].item()
        1.5999999999999999
    """
    check_device(device)
    from . import _ranges

    if end is None:
        if start is None:
            raise TypeError("arange() missing required argument 'end' (pos 1)")
        start, end = 0, start
        names = (("start", 0), ("end", 1), ("step", 2))
    else:
        names = (("start", 1), ("end", 2), ("step", 3))
    start = 0 if start is None else start
    vals = []
    for v, (name, pos) in zip((start, end, step), names):
        if isinstance(v, Tensor) and v.ndim:
            raise TypeError(f"arange(): argument '{name}' (position {pos}) must be Number, not Tensor")
        vals.append(_ranges.scalar_value(v, name))
    if dtype is None:
        dtype = D.int64 if builtins.all(isinstance(v, int) for v in vals) else D.get_default_dtype()
    dt = _dt(dtype)
    if dt.kind == "b":
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    return _range_result(_ranges.arange_values(*vals, dt), requires_grad)


def _range_result(data, requires_grad):
    if requires_grad and data.dtype.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return Tensor._wrap(data, requires_grad)


def _space_args(fn, start, end, steps):
    """``start``, ``end`` (numbers or 0-dim tensors) and ``steps`` (an int) of linspace and logspace."""
    from . import _ranges

    bad = [n for n, v in (("start", start), ("end", end)) if isinstance(v, Tensor) and v.ndim]
    if bad:
        got = " and ".join(f"{n} with {(start if n == 'start' else end).ndim} dimension(s)" for n in bad)
        raise RuntimeError(f"{fn} only supports 0-dimensional start and end tensors, but got {got}.")
    if isinstance(steps, Tensor) and not steps.ndim and steps._data.dtype.kind in "iu":
        steps = steps._data.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, (bool, np.bool_)):
        got = ", ".join(type(v).__name__ for v in (start, end, steps))
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), but expected one of:")
    return _ranges.scalar_value(start, "start"), _ranges.scalar_value(end, "end"), int(steps)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` values evenly spaced from ``start`` to ``end``, both included: value ``i`` is
    ``start + i * step`` for the first half and ``end - (steps - 1 - i) * step`` for the rest, with
    ``step = (end - start) / (steps - 1)``, computed as PyTorch's CPU kernel does (:mod:`npgrad._ranges`).

    Example:
        >>> import npgrad
        >>> npgrad.linspace(0, 1, 7)[4].item()
        0.6666666269302368
    """
    check_device(device)
    from . import _ranges

    start, end, steps = _space_args("linspace", start, end, steps)
    data = _ranges.linspace_values(start, end, steps, _dt(dtype))
    return _range_result(data, requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """``base ** x`` for ``x`` the ``steps`` exponents evenly spaced from ``start`` to ``end`` (as
    :func:`linspace` splits them, in float64, with the C library's ``pow``).

    Example:
        >>> import npgrad
        >>> npgrad.logspace(0, 2, 3).tolist()
        [1.0, 10.0, 100.0]
    """
    check_device(device)
    from . import _ranges

    start, end, steps = _space_args("logspace", start, end, steps)
    data = _ranges.logspace_values(start, end, steps, base, _dt(dtype))
    return _range_result(data, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    check_device(device)
    return Tensor._wrap(np.eye(n, m, dtype=_dt(dtype)), requires_grad)


# --------------------------------------------------------------------------- functions


def matmul(a, b):
    from .ops.linalg import MatMul
    a, b = _ensure_tensor(a), _ensure_tensor(b)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{D.from_numpy_dtype(a._data.dtype).name} != {D.from_numpy_dtype(b._data.dtype).name}")
    return MatMul.apply(a, b)


def where(condition, input=None, other=None):
    from .ops.elementwise import Where
    cond = _raw(condition)
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_scalar_name(cond.dtype)}")
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        a = input if isinstance(input, Tensor) else None
        b = other if isinstance(other, Tensor) else None
        dt = result_type(a if a is not None else input, b if b is not None else other) \
            if a is not None and b is not None else (a if a is not None else b)._data.dtype
        if a is None or b is None:
            t = a if a is not None else b
            dt = result_type(t, input if a is None else other)
        checked = np.dtype(np.float32) if dt == np.float16 else True  # a half tensor's scalar: checked as float
        x, y = _as_operand(input, dt, checked=checked), _as_operand(other, dt, checked=checked)
        try:
            return Where.apply(cond, x, y)
        except ValueError:
            broadcast_shape(broadcast_shape(cond.shape, np.shape(_raw(x))), np.shape(_raw(y)))
            raise
    dt = promote_types(_scalar_dtype(input), _scalar_dtype(other))
    return Tensor._wrap(np.where(cond, np.asarray(input, dt), np.asarray(other, dt)))


def _scalar_dtype(v):
    """The dtype PyTorch gives a Python number: bool, int64, or the default floating dtype."""
    if isinstance(v, (np.ndarray, np.generic)):
        return v.dtype
    if isinstance(v, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(v, numbers.Integral):
        return np.dtype(np.int64)
    return D.get_default_dtype().np


def cat(tensors, dim=0, out=None):
    from .ops.shape import Cat
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    ref = next((t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)), tensors[0])
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if t.ndim == 1 and t.shape[0] == 0:
            continue
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    dt = ref._data.dtype
    for t in tensors:
        dt = promote_types(dt, t._data.dtype)
    return Cat.apply(d, *[_as_operand(t, dt) for t in tensors])


concat = cat
concatenate = cat


def stack(tensors, dim=0, out=None):
    from .ops.shape import Stack
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    dt = tensors[0]._data.dtype
    for t in tensors:
        dt = promote_types(dt, t._data.dtype)
    return Stack.apply(_wrap_dim(dim, tensors[0].ndim + 1), *[_as_operand(t, dt) for t in tensors])


def unique(t, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of ``t`` in ascending order (each NaN counts as distinct), or, along ``dim``, its
    distinct slices in lexicographic order; ``return_inverse`` gives each value's (slice's) index among them,
    ``return_counts`` how often each occurs."""
    data = t._data
    flags = dict(return_inverse=return_inverse, return_counts=return_counts)
    if dim is None:
        res = np.unique(data.reshape(-1), equal_nan=False, **flags)
        inverse_shape = data.shape
    else:
        d = _wrap_dim(dim, t.ndim)
        res = np.unique(data, axis=d, **flags)
        inverse_shape = (data.shape[d],)
    if not (return_inverse or return_counts):
        return Tensor._wrap(res)
    out = [Tensor._wrap(res[0])]
    if return_inverse:
        out.append(Tensor._wrap(res[1].reshape(inverse_shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(res[-1].astype(np.int64)))
    return tuple(out)


def einsum(*args):
    """Einstein summation over an equation (``'...ij,...jk->...ik'``) or in the sublist form
    (:mod:`npgrad.ops.einsum`)."""
    from .ops.einsum import einsum as _einsum
    return _einsum(*args)


# --------------------------------------------------------------------------- the engine


def _sum_to_shape(g, shape):
    """Undo broadcasting: sum ``g`` down to ``shape`` (DESIGN example 3)."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if g.shape != shape else g


def _fill_in_memory_order(a, values):
    """Write the flat ``values`` into ``a`` in the order of its memory (PyTorch's samplers walk a strided
    tensor that way): C order for a contiguous array, storage order for a transposed one."""
    order = _layout.memory_order(a)
    view = a.transpose(order) if order != list(range(a.ndim)) else a
    view[...] = values.reshape(view.shape)


def _random_dtype(t, kernel):
    """The float dtype a sampler fills ``t`` in, or PyTorch's error for an integer tensor."""
    dtype = t._data.dtype
    if dtype.kind != "f":
        from .random import _float_dtype
        from . import _dtype as D

        _float_dtype(D.from_numpy_dtype(dtype), kernel)
    return dtype


def _accumulate_leaf(leaf, g, owned=False, graph=False):
    """Add a leaf's total gradient of one backward pass into ``leaf.grad``, then run its post-accumulate hooks.

    Without a graph the sum is in place (PyTorch's first-order rule); with ``create_graph`` it is
    ``leaf.grad + g``, a new recorded tensor, as in PyTorch.
    """
    g, owned = _leaf_hooks(leaf, g, graph, owned)
    if graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        # PyTorch's layout contract: the gradient of a dense leaf has the leaf's strides (a channels-last or
        # transposed weight gets a gradient laid out the same way), any other leaf's is C-contiguous
        data = leaf._data
        keep_layout = not data.flags.c_contiguous and _layout.non_overlapping_and_dense(data)
        if owned and g.dtype == data.dtype and (g.strides == data.strides if keep_layout else g.flags.c_contiguous):
            # a backward that set ``ctx.grads_owned`` handed over fresh arrays: adopt, don't copy
            leaf.grad = Tensor._wrap(g)
        else:
            # reused memory: no fresh pages each step
            copy = _layout.empty_like(data) if keep_layout else memory.empty(g.shape, data.dtype)
            np.copyto(copy, g, casting="unsafe")
            leaf.grad = Tensor._wrap(copy)
    else:
        acc = leaf.grad._data
        if acc.flags.writeable and acc.shape == np.broadcast_shapes(acc.shape, g.shape):
            np.add(acc, g, out=acc, casting="same_kind")   # in place, as PyTorch's first-order backward does
            _bump_version(acc)
        else:
            leaf.grad._data = acc + g
    if leaf._post_acc_hooks:
        for h in tuple(leaf._post_acc_hooks.values()):
            h(leaf)


def _topo_order(roots):
    """Nodes reachable from ``roots``, each after every node that feeds it a gradient."""
    order, seen = [], set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.next))]
        while stack:
            node, it = stack[-1]
            advanced = False
            for e in it:
                if isinstance(e, tuple) and id(e[0]) not in seen:
                    seen.add(id(e[0]))
                    stack.append((e[0], iter(e[0].next)))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate gradients of ``tensors`` into the leaves of their graph (or into ``inputs`` only).

    With ``create_graph=True`` the backward pass is itself recorded, so the gradients can be differentiated
    again; ``retain_graph`` then defaults to True, as in PyTorch.

    NumPy's floating-point warnings are off while the graph runs: an infinite or NaN gradient is a value, as
    in PyTorch, not an event to report (``1 / x`` at ``x = 0`` differentiates to ``-inf`` without a word).
    """
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for x in inputs:
            x.retain_grad()          # as PyTorch: a non-leaf input gets its .grad through retain_grad
    if create_graph and not _warned_create_graph:
        _warned_create_graph.append(True)      # once per process, as PyTorch's TORCH_WARN_ONCE
        warnings.warn("Using backward() with create_graph=True will create a reference cycle between the parameter "
                      "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
                      "creating the graph to avoid this. If you have to use this function, make sure to reset the "
                      ".grad fields of your parameters to None after use to break the cycle and avoid the leak.",
                      UserWarning, stacklevel=3)
    with np.errstate(all="ignore"):
        _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate=True)


_warned_create_graph = []


def _root_gradients(tensors, grad_tensors, graph):
    """The starting gradient of each output tensor (ones for a scalar), checked against its shape."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    if grad_tensors is None or isinstance(grad_tensors, Tensor) or np.isscalar(grad_tensors):
        grad_tensors = [grad_tensors] * len(tensors)
    pairs = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.ones_like(t._data)
        else:
            shape = tuple(g.shape) if isinstance(g, Tensor) else np.shape(g)
            if shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {Size(shape)!r} and "
                                   f"output[{i}] has a shape of {Size(t._data.shape)!r}.")
            if graph and isinstance(g, Tensor):
                g = g if g._data.dtype == t._data.dtype else g.to(t.dtype)
            else:
                g = _raw(g).astype(t._data.dtype, copy=False)
        pairs.append((t, Tensor._wrap(g) if graph and not isinstance(g, Tensor) else g))
    return pairs


def _nodes_needed(order, inputs):
    """The nodes whose backward leads to one of ``inputs``, and the nodes that produce a non-leaf input."""
    leaves = {id(x) for x in inputs if x._node is None}
    targets = {id(x._node) for x in inputs if x._node is not None}
    needed = set()
    for node in reversed(order):     # every node after the nodes it sends gradients to
        for e in node.next:
            if e is None:
                continue
            if (id(e[0]) in needed or id(e[0]) in targets) if isinstance(e, tuple) else id(e) in leaves:
                needed.add(id(node))
                break
    return needed, targets


def _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate, hooks=True):
    """Walk the graph from ``tensors`` back to the leaves.

    ``accumulate``: gradients of leaves go into ``.grad`` (``backward``); otherwise the gradients of
    ``inputs`` are returned in their order and no ``.grad`` changes (``autograd.grad``). With ``inputs``
    only the nodes on a path to one of them run. With ``create_graph`` every gradient is a Tensor whose
    computation is recorded (``npgrad.autograd.graph``); otherwise gradients are plain arrays.
    ``hooks=False`` runs no tensor hook (a recorded backward differentiating an op's composed form).
    """
    _passes.append(inputs is not None)
    try:
        return _walk(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate, hooks)
    finally:
        _passes.pop()


_passes = []    # per backward pass running now (nested ones last): whether it was asked for chosen inputs


def backward_has_inputs() -> bool:
    """Whether the innermost backward pass running now computes chosen inputs only (``autograd.grad``,
    ``backward(inputs=...)``): the reentrant checkpoint refuses those, as in PyTorch."""
    return bool(_passes) and _passes[-1]


def _walk(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate, hooks):
    graph = bool(create_graph)
    if graph:
        from .autograd import graph as _graph
    retain = graph if retain_graph is None else bool(retain_graph)
    grads = {}
    roots = []
    leaves = {}     # id(leaf) -> [leaf, summed gradient, owned]: hooks see the total, as in PyTorch
    captured = {}   # id(input) -> its gradient (autograd.grad)
    only = None if inputs is None else {id(x) for x in inputs}
    for t, g in _root_gradients(tensors, grad_tensors, graph):
        if t._node is None:
            if only is None or id(t) in only:
                _add_leaf_grad(leaves, t, g, False)
            continue
        slot = grads.setdefault(t._node, [None] * len(t._node.out_shapes))
        i = t._out_index
        slot[i] = g if slot[i] is None else slot[i] + g
        roots.append(t._node)
    order = _topo_order(roots)
    needed, targets = (None, None) if inputs is None else _nodes_needed(order, inputs)
    wanted_outputs = {}    # (id(node), index) -> non-leaf inputs whose gradient that output is
    if not accumulate and inputs is not None:
        for x in inputs:
            if x._node is not None:
                wanted_outputs.setdefault((id(x._node), x._out_index), []).append(x)
    for node in order:
        out_grads = grads.pop(node, None)
        if out_grads is None:
            continue
        if needed is not None and id(node) not in needed and id(node) not in targets:
            continue                # leads to none of the inputs: not run, as in PyTorch
        if node.ctx is None:
            raise RuntimeError("Trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed). Saved intermediate values of the "
                               "graph are freed when you call .backward() or autograd.grad(). Specify "
                               "retain_graph=True if you need to backward through the graph a second time or if "
                               "you need to access saved tensors after calling backward.")
        if node.hooks and hooks:
            for i, registered in node.hooks.items():
                for h in tuple(registered.values()):
                    if out_grads[i] is not None:
                        r = h(out_grads[i] if graph else Tensor._wrap(out_grads[i]))
                        if r is not None:
                            out_grads[i] = r if graph else r._data
        if node.retained and accumulate:
            for i, ref in node.retained.items():
                t = ref()
                if t is not None and out_grads[i] is not None and t._node is node:
                    _retain_into(t, out_grads[i], graph)
        if wanted_outputs:
            for i, g in enumerate(out_grads):
                for x in wanted_outputs.get((id(node), i), ()):
                    captured[id(x)] = g
        if needed is not None and id(node) not in needed:
            continue
        changed = _versions_modified(node.ctx)
        if changed is not None:
            array, seen, now = changed
            raise RuntimeError("one of the variables needed for gradient computation has been modified by an "
                               f"inplace operation: [{Tensor._wrap(array).type()} {list(array.shape)}], which is "
                               f"saved by {node.name()}, is at version {now}; expected version {seen} instead. Hint: "
                               "enable anomaly detection to find the operation that failed to compute its gradient, "
                               "with torch.autograd.set_detect_anomaly(True, check_nan=False).")
        if graph:
            in_grads = _graph.node_backward(node, out_grads)     # summed to shape and cast already
        else:
            in_grads = _array_backward(node, out_grads)
        owned = getattr(node.ctx, "grads_owned", False)
        for k, (edge, g) in enumerate(zip(node.next, in_grads)):
            if edge is None or g is None:
                continue
            if not graph:
                g = _sum_to_shape(np.asarray(g), node.in_shapes[k])
                if g.dtype != node.in_dtypes[k]:
                    g = g.astype(node.in_dtypes[k])
            if isinstance(edge, Tensor):
                if only is None or id(edge) in only:
                    _add_leaf_grad(leaves, edge, g, owned)
            else:
                nxt, idx = edge
                slot = grads.setdefault(nxt, [None] * len(nxt.out_shapes))
                slot[idx] = g if slot[idx] is None else slot[idx] + g
        if not retain:
            node.ctx = None
    for leaf, g, owned in leaves.values():
        if accumulate:
            _accumulate_leaf(leaf, g, owned, graph)
        else:
            captured[id(leaf)] = _leaf_hooks(leaf, g, graph)[0] if hooks else g
    if not accumulate:
        return [_as_result(captured.get(id(x)), graph) for x in inputs]
    return None


def _array_backward(node, out_grads):
    """Run a node's backward on arrays (the engine then sums each gradient to its input's shape)."""
    for i, g in enumerate(out_grads):
        if g is None and node.ctx.materialize_grads:
            out_grads[i] = np.zeros(node.out_shapes[i], dtype=node.out_dtypes[i])
    in_grads = node.fn.backward(node.ctx, *out_grads)
    return in_grads if isinstance(in_grads, tuple) else (in_grads,)


def _retain_into(t, g, graph):
    """``t.grad`` of a tensor that called ``retain_grad``: the first gradient, or the sum with it."""
    if graph:
        t.grad = g if t.grad is None else t.grad + g
    else:
        t.grad = Tensor._wrap(g.copy()) if t.grad is None else Tensor._wrap(t.grad._data + g)


def _as_result(g, graph):
    """A gradient returned by ``autograd.grad``: a Tensor of its own (arrays may be shared inside the pass)."""
    if g is None or graph:
        return g
    copy = memory.empty(g.shape, g.dtype)
    np.copyto(copy, g)
    return Tensor._wrap(copy)


def _leaf_hooks(leaf, g, graph, owned=False):
    """Run the hooks registered on a leaf on its total gradient: ``(gradient, still owned)``."""
    if leaf._hooks:
        for h in tuple(leaf._hooks.values()):
            r = h(g if graph else Tensor._wrap(g))
            if r is not None:
                g = r if graph else r._data
                owned = False
    return g, owned


def _add_leaf_grad(leaves, leaf, g, owned):
    """Sum the gradients reaching ``leaf`` during one backward pass (accumulated into .grad at its end)."""
    entry = leaves.get(id(leaf))
    if entry is None:
        leaves[id(leaf)] = [leaf, g, owned]
    else:
        entry[1] = entry[1] + g
        entry[2] = True


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    Only the part of the graph that leads to ``inputs`` runs; no ``.grad`` changes and no
    post-accumulate hook fires (hooks registered on the tensors do).
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    with np.errstate(all="ignore"):
        result = _run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate=False)
    if not allow_unused:
        for x, g in zip(inputs, result):
            if g is None:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
    return tuple(result)
