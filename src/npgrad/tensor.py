"""Tensor and the autograd engine.

A ``Tensor`` wraps a NumPy array. Operations on tensors that require grad record a
``Node`` (see ``autograd/function.py``); ``backward`` walks those nodes in an
iterative topological order and accumulates gradients into leaves with ``+=``.
"""
from __future__ import annotations

import builtins
import numbers
import weakref

import numpy as np

from . import _dtype as D
from .autograd.grad_mode import is_grad_enabled, no_grad


class device:
    """The only device npgrad has: the CPU."""

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type = type.type
        type = str(type).split(":")[0]
        if type != "cpu":
            raise RuntimeError(f"npgrad runs on the CPU only; device '{type}' is not available")
        self.type = "cpu"
        self.index = None

    def __repr__(self):
        return "device(type='cpu')"

    def __str__(self):
        return "cpu"

    def __eq__(self, other):
        if isinstance(other, str):
            return other.split(":")[0] == "cpu"
        return isinstance(other, device)

    def __hash__(self):
        return hash("cpu")


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


def _as_operand(x, dt):
    """A Tensor operand cast to ``dt`` (differentiably), or a Python number as a NumPy scalar."""
    if isinstance(x, Tensor):
        return x if x._data.dtype == dt else x.to(D.from_numpy_dtype(dt))
    if isinstance(x, np.ndarray):
        return Tensor._wrap(x.astype(dt, copy=False))
    return np.asarray(x, dtype=dt)


def _binary(fn, a, b, **kw):
    if not isinstance(b, (Tensor, numbers.Number, np.ndarray, np.generic)):
        return NotImplemented
    if isinstance(b, (np.ndarray, np.generic)) and not isinstance(b, Tensor):
        b = Tensor._wrap(np.asarray(b))
    dt = result_type(a, b)
    return fn.apply(_as_operand(a, dt), _as_operand(b, dt), **kw)


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

    def __init__(self, *args, **kwargs):
        # torch.Tensor(data) / torch.Tensor(2, 3): float tensors of the default dtype
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = np.array(_to_array(args[0]), dtype=D.get_default_dtype().np)
        else:
            data = np.empty(tuple(int(a) for a in args), dtype=D.get_default_dtype().np)
        self._init(data, kwargs.get("requires_grad", False))

    def _init(self, data, requires_grad=False):
        self._data = data
        self.requires_grad = requires_grad
        self.grad = None
        self._node = None
        self._out_index = 0
        self._retain = False
        self._hooks = None
        self._post_acc_hooks = None

    @classmethod
    def _wrap(cls, data, requires_grad=False):
        t = object.__new__(Tensor)
        t._init(data, requires_grad)
        return t

    def _edge(self):
        return self if self._node is None else (self._node, self._out_index)

    # ------------------------------------------------------------------ properties
    @property
    def data(self):
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
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
        return self._node

    @property
    def is_sparse(self):
        return False

    @property
    def layout(self):
        return "strided"

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
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, self.ndim)]

    def data_ptr(self):
        return self._data.ctypes.data

    def storage_offset(self):
        return 0

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
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
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
        dtype = kwargs.get("dtype")
        copy = kwargs.get("copy", False)
        for a in list(args) + [kwargs.get("device")]:
            if a is None:
                continue
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                device(a)
            else:
                dtype = D.as_dtype(a)
        if dtype is None or D.as_dtype(dtype).np == self._data.dtype:
            return self.clone() if copy else self
        from .ops.elementwise import Cast

        return Cast.apply(self, D.as_dtype(dtype).np)

    def type(self, dtype=None):
        if dtype is None:
            return f"npgrad.{_TYPE_NAMES.get(self._data.dtype.name, self._data.dtype.name)}"
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self):
        return self

    def cuda(self, *a, **k):
        raise RuntimeError("npgrad runs on the CPU only; CUDA is not available")

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

    def contiguous(self, memory_format=None):
        if self._data.flags.c_contiguous:
            return self
        out = self.clone()
        out._data = np.ascontiguousarray(out._data)
        return out

    def clone(self, memory_format=None):
        from .ops.elementwise import Clone

        return Clone.apply(self)

    def detach(self):
        return Tensor._wrap(self._data)

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to "
                               "use a computed variable in a subgraph that doesn't require differentiation "
                               "use var_no_grad = var.detach().")
        self.requires_grad = requires_grad
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
            self._hooks = (self._hooks or []) + [hook]
            holder, key = self, None
        else:
            node = self._node
            if node.hooks is None:
                node.hooks = {}
            node.hooks.setdefault(self._out_index, []).append(hook)
            holder, key = node, self._out_index
        return _RemovableHook(holder, key, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self._node is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        self._post_acc_hooks = (self._post_acc_hooks or []) + [hook]
        return _RemovableHook(self, "post", hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph's leaves."""
        backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # ------------------------------------------------------------------ repr
    def __repr__(self):
        body = _format_array(self._data)
        extras = []
        if self._data.dtype not in (D.get_default_dtype().np, np.int64, np.bool_):
            extras.append(f"dtype=npgrad.{D.from_numpy_dtype(self._data.dtype).name}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self._data.size == 0:
            body = "[]"
            extras.insert(0, f"size={tuple(self._data.shape)}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __str__ = __repr__

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        from .ops.elementwise import Add
        return _binary(Add, self, other)

    def __radd__(self, other):
        from .ops.elementwise import Add
        return _binary(Add, self, other)

    def __sub__(self, other):
        from .ops.elementwise import Sub
        return _binary(Sub, self, other)

    def __rsub__(self, other):
        from .ops.elementwise import Sub
        dt = result_type(self, other)
        return Sub.apply(_as_operand(other, dt), _as_operand(self, dt))

    def __mul__(self, other):
        from .ops.elementwise import Mul
        return _binary(Mul, self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        from .ops.elementwise import Div
        dt = _float_result(self, other)
        return Div.apply(_as_operand(self, dt), _as_operand(other, dt))

    def __rtruediv__(self, other):
        from .ops.elementwise import Div
        dt = _float_result(self, other)
        return Div.apply(_as_operand(other, dt), _as_operand(self, dt))

    def __floordiv__(self, other):
        dt = result_type(self, other)
        return Tensor._wrap(np.floor_divide(self._data.astype(dt), _raw(other)).astype(dt))

    def __rfloordiv__(self, other):
        dt = result_type(self, other)
        return Tensor._wrap(np.floor_divide(_raw(other), self._data.astype(dt)).astype(dt))

    def __mod__(self, other):
        dt = result_type(self, other)
        return Tensor._wrap(np.mod(self._data.astype(dt), _raw(other)).astype(dt))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __neg__(self):
        from .ops.elementwise import Neg
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
        return Pow.apply(_as_operand(base, dt), _as_operand(self, dt))

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_ensure_tensor(other), self)

    # comparisons and logic (never differentiable)
    def _cmp(self, other, fn):
        if not isinstance(other, (Tensor, numbers.Number, np.ndarray, np.generic)):
            return NotImplemented
        return Tensor._wrap(np.asarray(fn(self._data, _raw(other))))

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

    def __and__(self, other):
        return Tensor._wrap(np.asarray(self._data & _raw(other)))

    __rand__ = __and__

    def __or__(self, other):
        return Tensor._wrap(np.asarray(self._data | _raw(other)))

    __ror__ = __or__

    def __xor__(self, other):
        return Tensor._wrap(np.asarray(self._data ^ _raw(other)))

    def __invert__(self):
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
        return Tensor._wrap(np.logical_and(self._data, _raw(other)))

    def logical_or(self, other):
        return Tensor._wrap(np.logical_or(self._data, _raw(other)))

    def logical_xor(self, other):
        return Tensor._wrap(np.logical_xor(self._data, _raw(other)))

    def equal(self, other):
        return bool(self._data.shape == other._data.shape and np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return bool(np.allclose(self._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        return Tensor._wrap(np.isclose(self._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isnan(self):
        return Tensor._wrap(np.isnan(self._data))

    def isinf(self):
        return Tensor._wrap(np.isinf(self._data))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self._data))

    def sign(self):
        return Tensor._wrap(np.sign(self._data))

    sgn = sign

    def floor(self):
        return _zero_grad_op(self, np.floor)

    def ceil(self):
        return _zero_grad_op(self, np.ceil)

    def round(self, decimals=0):
        return _zero_grad_op(self, lambda a: np.round(a, decimals))

    def trunc(self):
        return _zero_grad_op(self, np.trunc)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return Tensor._wrap(np.nan_to_num(self._data, nan=nan, posinf=posinf, neginf=neginf))

    # named arithmetic
    def add(self, other, alpha=1):
        from .ops.elementwise import Add
        return _binary(Add, self, other, alpha=alpha) if alpha != 1 else self + other

    def sub(self, other, alpha=1):
        from .ops.elementwise import Sub
        return _binary(Sub, self, other, alpha=alpha) if alpha != 1 else self - other

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other, rounding_mode=None):
        if rounding_mode is None:
            return self / other
        out = self._data / _raw(other)
        out = np.floor(out) if rounding_mode == "floor" else np.trunc(out)
        return Tensor._wrap(out.astype(result_type(self, other)))

    divide = div
    true_divide = __truediv__

    def pow(self, exponent):
        from .ops.elementwise import Pow
        if isinstance(exponent, Tensor):
            dt = result_type(self, exponent)
            return Pow.apply(_as_operand(self, dt), _as_operand(exponent, dt))
        dt = result_type(self, exponent)
        return Pow.apply(_as_operand(self, dt), exponent)

    def square(self):
        return self * self

    def neg(self):
        return -self

    negative = neg

    def reciprocal(self):
        return 1.0 / self

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
        return self.log() / float(np.log(2.0))

    def log10(self):
        return self.log() / float(np.log(10.0))

    def log1p(self):
        from .ops.elementwise import Log1p
        return Log1p.apply(_floatify(self))

    def sqrt(self):
        from .ops.elementwise import Sqrt
        return Sqrt.apply(_floatify(self))

    def rsqrt(self):
        return 1.0 / self.sqrt()

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
        lo = _as_operand(min, dt) if min is not None else None
        hi = _as_operand(max, dt) if max is not None else None
        return Clamp.apply(_as_operand(self, dt), lo, hi)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

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
        return self + value * t1 * t2

    def addcdiv(self, t1, t2, value=1):
        return self + value * t1 / t2

    def where(self, condition, other):
        return where(condition, self, other)

    def masked_fill(self, mask, value):
        from .ops.index import MaskedFill
        m = _raw(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{D.from_numpy_dtype(m.dtype).name}")
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                                   f"with {value.ndim} dimension(s).")
            return MaskedFill.apply(self, m, value.to(self.dtype))
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
        return Sum.apply(x, normalize_dims(dim, self.ndim), keepdim)

    def nansum(self, dim=None, keepdim=False):
        return self.masked_fill(self.isnan(), 0).sum(dim, keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        from .ops.reduce import Mean, normalize_dims
        x = self.to(dtype) if dtype is not None else self
        if x._data.dtype.kind != "f":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {D.from_numpy_dtype(x._data.dtype).name.capitalize()}")
        return Mean.apply(x, normalize_dims(dim, self.ndim), keepdim)

    def nanmean(self, dim=None, keepdim=False):
        keep = (~self.isnan()).to(self.dtype)
        return self.nansum(dim, keepdim) / keep.sum(dim, keepdim)

    def prod(self, dim=None, keepdim=False, dtype=None):
        from .ops.reduce import Prod
        x = self.to(dtype) if dtype is not None else self
        return Prod.apply(x, None if dim is None else _wrap_dim(dim, self.ndim), keepdim)

    def _minmax(self, dim, keepdim, largest):
        from .ops.reduce import Amax, MaxDim, normalize_dims
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if dim is None:
            if self.numel() == 0:
                raise RuntimeError(f"{'max' if largest else 'min'}(): Expected reduction dim to be specified "
                                   "for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
            return Amax.apply(self, normalize_dims(None, self.ndim), False, largest)
        d = _wrap_dim(dim, self.ndim) if self.ndim else 0
        if self.ndim == 0:
            return _MinMax(self, Tensor._wrap(np.zeros((), np.int64)))
        values, indices = MaxDim.apply(self, d, keepdim, largest)
        return _MinMax(values, indices)

    def max(self, dim=None, keepdim=False):
        return self._minmax(dim, keepdim, True)

    def min(self, dim=None, keepdim=False):
        return self._minmax(dim, keepdim, False)

    def amax(self, dim=(), keepdim=False):
        from .ops.reduce import Amax, normalize_dims
        return Amax.apply(self, normalize_dims(dim, self.ndim), keepdim, True)

    def amin(self, dim=(), keepdim=False):
        from .ops.reduce import Amax, normalize_dims
        return Amax.apply(self, normalize_dims(dim, self.ndim), keepdim, False)

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
        if isinstance(unbiased, bool) or unbiased is None:
            corr = correction if correction is not None else (1 if unbiased is None or unbiased else 0)
        else:  # var(dim_as_positional, ...)
            corr = 1
        return Var.apply(self, normalize_dims(dim, self.ndim), corr, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        return self.var(dim, unbiased, keepdim, correction).sqrt()

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
        from .ops.reduce import CumSum
        x = self.to(dtype) if dtype is not None else self
        return CumSum.apply(x, _wrap_dim(dim, self.ndim))

    def cumprod(self, dim, dtype=None):
        from .ops.reduce import CumProd
        x = self.to(dtype) if dtype is not None else self
        return CumProd.apply(x, _wrap_dim(dim, self.ndim))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        from .ops.reduce import Norm2, normalize_dims
        x = self.to(dtype) if dtype is not None else self
        dims = normalize_dims(dim, self.ndim)
        if p in ("fro", 2, 2.0):
            return Norm2.apply(x, dims, keepdim)
        if p in (float("inf"), "inf"):
            return x.abs().amax(dims, keepdim)
        if p in (float("-inf"), "-inf"):
            return x.abs().amin(dims, keepdim)
        if p == 0:
            return (x != 0).to(x.dtype).sum(dims, keepdim)
        if p == 1:
            return x.abs().sum(dims, keepdim)
        return (x.abs() ** p).sum(dims, keepdim) ** (1.0 / p)

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
        d = _wrap_dim(dim, self.ndim)
        key = -self._data if descending and self._data.dtype.kind != "b" else self._data
        idx = np.argsort(key, axis=d, kind="stable").astype(np.int64)
        if descending and self._data.dtype.kind == "b":
            idx = np.flip(np.argsort(self._data, axis=d, kind="stable"), d).astype(np.int64)
        return _Sort(self.gather(d, Tensor._wrap(idx)), Tensor._wrap(idx))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        d = _wrap_dim(dim, self.ndim)
        s = self.sort(d, descending=largest)
        sl = [builtins.slice(None)] * self.ndim
        sl[d] = builtins.slice(0, k)
        return _TopK(s.values[tuple(sl)], s.indices[tuple(sl)])

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return unique(self, sorted, return_inverse, return_counts, dim)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        from .ops.shape import Reshape
        shape = _shape_arg(shape)
        _check_reshape(self._data.size, shape)
        return Reshape.apply(self, shape)

    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (D.dtype, np.dtype, type)):
            return Tensor._wrap(self._data.view(D.as_dtype(shape[0]).np))
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def permute(self, *dims):
        from .ops.shape import Permute
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                               f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                               f"is not equal to len(dims) = {len(dims)}")
        return Permute.apply(self, tuple(_wrap_dim(d, self.ndim) for d in dims))

    def transpose(self, dim0, dim1):
        if self.ndim < 2 and self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        a, b = _wrap_dim(dim0, self.ndim), _wrap_dim(dim1, self.ndim)
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(*axes)

    swapaxes = transpose
    swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

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
        return self.reshape(shape) if shape != self._data.shape else self.reshape(shape)

    def unsqueeze(self, dim):
        d = _wrap_dim(dim, self.ndim + 1)
        shape = list(self._data.shape)
        shape.insert(d, 1)
        return self.reshape(shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _wrap_dim(start_dim, self.ndim), _wrap_dim(end_dim, self.ndim)
        shape = self._data.shape
        return self.reshape(shape[:s] + (-1 if self.numel() else int(np.prod(shape[s:e + 1])),) + shape[e + 1:])

    def unflatten(self, dim, sizes):
        d = _wrap_dim(dim, self.ndim)
        shape = self._data.shape
        return self.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def expand(self, *shape):
        from .ops.shape import Expand
        shape = list(_shape_arg(shape))
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to "
                               f"the number of dimensions in the tensor ({self.ndim})")
        for i, s in enumerate(shape):
            if s == -1:
                shape[i] = self._data.shape[i - lead]
        for i, s in enumerate(self._data.shape):
            if s != 1 and s != shape[i + lead]:
                raise RuntimeError(f"The expanded size of the tensor ({shape[i + lead]}) must match the existing "
                                   f"size ({s}) at non-singleton dimension {i + lead}.  Target sizes: {shape}.  "
                                   f"Tensor sizes: {list(self._data.shape)}")
        return Expand.apply(self, tuple(shape))

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(shape)

    def repeat(self, *reps):
        from .ops.shape import Repeat
        return Repeat.apply(self, _shape_arg(reps))

    def repeat_interleave(self, repeats, dim=None):
        if dim is None:
            x, d = self.reshape(-1), 0
        else:
            x, d = self, _wrap_dim(dim, self.ndim)
        r = _raw(repeats)
        idx = np.repeat(np.arange(x.shape[d]), r)
        return x.index_select(d, Tensor._wrap(idx.astype(np.int64)))

    def flip(self, *dims):
        from .ops.shape import Flip
        dims = _shape_arg(dims)
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
        return Tri.apply(self, diagonal, False)

    def triu(self, diagonal=0):
        from .ops.shape import Tri
        return Tri.apply(self, diagonal, True)

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
        if len(sizes) == 1:
            return (self.reshape(self.shape),) if not self.requires_grad else (self[(builtins.slice(None),) * (d + 1)],)
        out = Split.apply(self, sizes, d)
        return tuple(out)

    def chunk(self, chunks, dim=0):
        n = self._data.shape[_wrap_dim(dim, self.ndim)]
        size = -(-n // chunks) if n else 1
        return self.split(size, dim)

    def tensor_split(self, sections, dim=0):
        d = _wrap_dim(dim, self.ndim)
        n = self._data.shape[d]
        if isinstance(sections, int):
            q, r = divmod(n, sections)
            sizes = [q + 1] * r + [q] * (sections - r)
        else:
            bounds = [0] + list(sections) + [n]
            sizes = [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
        return self.split(sizes, d)

    def unbind(self, dim=0):
        d = _wrap_dim(dim, self.ndim)
        return tuple(p.squeeze(d) for p in self.split(1, d))

    def narrow(self, dim, start, length):
        d = _wrap_dim(dim, self.ndim)
        sl = [builtins.slice(None)] * self.ndim
        sl[d] = builtins.slice(start, start + length)
        return self[tuple(sl)]

    def select(self, dim, index):
        d = _wrap_dim(dim, self.ndim)
        sl = [builtins.slice(None)] * self.ndim
        sl[d] = index
        return self[tuple(sl)]

    def unfold(self, dimension, size, step):
        d = _wrap_dim(dimension, self.ndim)
        n = (self._data.shape[d] - size) // step + 1
        idx = (np.arange(n)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
        out = self.index_select(d, Tensor._wrap(idx.astype(np.int64)))
        shape = list(self._data.shape)
        shape[d:d + 1] = [n, size]
        return out.reshape(shape).movedim(d + 1, -1)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, idx):
        from .ops.index import GetItem
        return GetItem.apply(self, _index_arg(idx, self))

    def __setitem__(self, idx, value):
        from .ops.index import IndexPut
        idx = _index_arg(idx, self)
        if is_grad_enabled() and (self.requires_grad or isinstance(value, Tensor) and value.requires_grad):
            self._apply_inplace((lambda s, v: IndexPut.apply(s, v, idx, False), value))
        else:
            self._data[idx] = _raw(value)

    def index_put_(self, indices, values, accumulate=False):
        from .ops.index import IndexPut
        idx = tuple(_raw(i) for i in indices)
        if is_grad_enabled() and (self.requires_grad or isinstance(values, Tensor) and values.requires_grad):
            return self._apply_inplace((lambda s, v: IndexPut.apply(s, v, idx, accumulate), values))
        if accumulate:
            np.add.at(self._data, idx, _raw(values))
        else:
            self._data[idx] = _raw(values)
        return self

    def index_put(self, indices, values, accumulate=False):
        from .ops.index import IndexPut
        return IndexPut.apply(self, values, tuple(_raw(i) for i in indices), accumulate)

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
        return Scatter.apply(self, _wrap_dim(dim, self.ndim), _raw(index),
                             src if isinstance(src, Tensor) else src, reduce)

    def scatter_add(self, dim, index, src):
        from .ops.index import ScatterAdd
        return ScatterAdd.apply(self, _wrap_dim(dim, self.ndim), _raw(index), src)

    def scatter_reduce(self, dim, index, src, reduce, include_self=True):
        if reduce == "sum":
            return self.scatter_add(dim, index, src)
        raise NotImplementedError(f"scatter_reduce with reduce='{reduce}' is not supported")

    def index_select(self, dim, index):
        from .ops.index import IndexSelect
        idx = _raw(index)
        if idx.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        return IndexSelect.apply(self, _wrap_dim(dim, self.ndim), idx.reshape(-1))

    def index_add(self, dim, index, source, alpha=1):
        from .ops.index import IndexAdd
        return IndexAdd.apply(self, _wrap_dim(dim, self.ndim), _raw(index), source, alpha)

    # ------------------------------------------------------------------ linear algebra
    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        if self.ndim != 2 or other.ndim != 2:
            raise RuntimeError("self must be a matrix")
        return matmul(self, other)

    def bmm(self, other):
        if self.ndim != 3 or other.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        return matmul(self, other)

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
        if out._data.shape != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(out._data.shape)}")
        np.copyto(self._data, out._data, casting="unsafe")
        if out.requires_grad:
            self.requires_grad = True
            self._node, self._out_index = out._node, out._out_index

    def _apply_inplace(self, compute):
        """In-place form of an out-of-place method (``add_`` from ``add``)."""
        if is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        if not is_grad_enabled() or not (self.requires_grad or _any_grad(compute)):
            with no_grad():
                out = compute[0](self.detach() if self.requires_grad else self, *compute[1:])
            out_data = out._data if isinstance(out, Tensor) else np.asarray(out)
            np.copyto(self._data, np.broadcast_to(out_data, self._data.shape) if out_data.shape != self._data.shape
                      and out_data.size == 1 else out_data, casting="unsafe")
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

    def index_add_(self, dim, index, source, alpha=1):
        return self._apply_inplace((lambda s, x: s.index_add(dim, index, x, alpha), source))

    def copy_(self, src, non_blocking=False):
        if isinstance(src, Tensor) and src.requires_grad and is_grad_enabled():
            return self._apply_inplace((lambda s, x: x.to(s.dtype).expand(s.shape) + s * 0, src))
        if is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        np.copyto(self._data, np.broadcast_to(_raw(src), self._data.shape), casting="unsafe")
        return self

    def zero_(self):
        return self.fill_(0)

    def fill_(self, value):
        if is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        self._data[...] = _raw(value)
        if self._node is not None and is_grad_enabled():
            self._node = None
            self.requires_grad = isinstance(value, Tensor) and value.requires_grad
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from .random import rng
        self._guard_leaf()
        self._data[...] = rng(generator).uniform(a, b, self._data.shape)
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from .random import rng
        self._guard_leaf()
        self._data[...] = rng(generator).normal(mean, std, self._data.shape)
        return self

    def bernoulli_(self, p=0.5, generator=None):
        from .random import rng
        self._data[...] = rng(generator).random(self._data.shape) < _raw(p)
        return self

    def random_(self, low=0, high=None, generator=None):
        from .random import rng
        if high is None:
            low, high = 0, low
        self._data[...] = rng(generator).integers(low, high, self._data.shape)
        return self

    def exponential_(self, lambd=1.0, generator=None):
        from .random import rng
        self._data[...] = rng(generator).exponential(1.0 / lambd, self._data.shape)
        return self

    def _guard_leaf(self):
        if is_grad_enabled() and self.requires_grad and self.is_leaf:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    # ------------------------------------------------------------------ new tensors
    def new_tensor(self, data, dtype=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, **kw):
        return zeros(*size, dtype=dtype or self.dtype)

    def new_ones(self, *size, dtype=None, **kw):
        return ones(*size, dtype=dtype or self.dtype)

    def new_full(self, size, fill_value, dtype=None, **kw):
        return full(size, fill_value, dtype=dtype or self.dtype)

    def new_empty(self, *size, dtype=None, **kw):
        return empty(*size, dtype=dtype or self.dtype)

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


def _element_formatter(a):
    """PyTorch's element format: ``1.`` for whole floats, 4 decimals, or scientific for wide ranges."""
    if a.dtype.kind == "b":
        return lambda v: "True" if v else "False"
    if a.dtype.kind != "f":
        return str
    finite = np.abs(a[np.isfinite(a)]).astype(np.float64)
    nonzero = finite[finite != 0]
    whole = finite.size == 0 or bool(np.all(finite == np.round(finite)))
    sci = nonzero.size > 0 and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8
                                or (not whole and nonzero.min() < 1e-4))
    if whole and not sci:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(float(v))
    if sci:
        return lambda v: f"{v:.4e}" if np.isfinite(v) else str(float(v))
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(float(v))


def _format_array(a):
    """The body of ``repr(tensor)`` as PyTorch prints it (right-aligned columns, ``, `` separators)."""
    fmt = _element_formatter(a)
    shown = a
    if a.size > 1000:  # summarised like torch: the first and last 3 of each dim
        return np.array2string(a, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                               formatter={"all": fmt})
    width = max((len(fmt(v)) for v in shown.reshape(-1)), default=0)
    return np.array2string(a, separator=", ", prefix="tensor(", threshold=1000,
                           formatter={"all": lambda v: fmt(v).rjust(width)}, max_line_width=80)


class Size(tuple):
    """A tensor's shape: a tuple of ints, as ``torch.Size``."""

    def __repr__(self):
        return f"npgrad.Size({list(self)})"

    def numel(self):
        return int(np.prod(self)) if self else 1

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, builtins.slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


class _NamedPair(tuple):
    _fields = ("values", "indices")

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


class _MinMax(_NamedPair):
    _name = "torch.return_types.max"


class _Sort(_NamedPair):
    _name = "torch.return_types.sort"


class _TopK(_NamedPair):
    _name = "torch.return_types.topk"


class _RemovableHook:
    def __init__(self, holder, key, hook):
        self.holder, self.key, self.hook = holder, key, hook

    def remove(self):
        if isinstance(self.holder, Tensor):
            attr = "_post_acc_hooks" if self.key == "post" else "_hooks"
            hooks = getattr(self.holder, attr) or []
            setattr(self.holder, attr, [h for h in hooks if h is not self.hook])
        else:
            hooks = self.holder.hooks.get(self.key, [])
            self.holder.hooks[self.key] = [h for h in hooks if h is not self.hook]


def _rebuild(data, requires_grad):
    return Tensor._wrap(data, requires_grad)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
               "int32": "IntTensor", "bool": "BoolTensor", "uint8": "ByteTensor", "float16": "HalfTensor"}


# --------------------------------------------------------------------------- helpers


def _raw(x):
    return x._data if isinstance(x, Tensor) else (x if isinstance(x, np.ndarray) else np.asarray(x))


def _snapshot(t):
    """A copy of ``t``'s values standing at the same place in the graph (for in-place ops on aliases)."""
    if t._node is None:
        return t
    c = Tensor._wrap(t._data.copy(), t.requires_grad)
    c._node, c._out_index = t._node, t._out_index
    return c


def _any_grad(compute):
    return builtins.any(isinstance(a, Tensor) and a.requires_grad for a in compute[1:])


def _floatify(t):
    return t if t._data.dtype.kind == "f" else t.to(D.get_default_dtype())


def _float_result(a, b):
    dt = result_type(a, b)
    return dt if dt.kind == "f" else D.get_default_dtype().np


def _ensure_tensor(x):
    return x if isinstance(x, Tensor) else tensor(x)


def _zero_grad_op(t, fn):
    out = Tensor._wrap(np.asarray(fn(t._data)))
    if t.requires_grad and is_grad_enabled():  # piecewise constant: zero gradient
        return out + t * 0
    return out


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


def _index_arg(idx, t):
    """Convert Tensor indices to arrays; check bounds with PyTorch's message."""
    items = idx if isinstance(idx, tuple) else (idx,)
    out = []
    dim = 0
    for it in items:
        if isinstance(it, Tensor):
            it = it._data
        if isinstance(it, list):
            it = np.asarray(it)
        if isinstance(it, np.ndarray) and it.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if isinstance(it, (int, np.integer)) and not isinstance(it, (bool, np.bool_)):
            if dim < t.ndim and not -t._data.shape[dim] <= it < t._data.shape[dim]:
                raise IndexError(f"index {it} is out of bounds for dimension {dim} with size {t._data.shape[dim]}")
        elif isinstance(it, np.ndarray) and it.dtype.kind in "iu" and dim < t.ndim and it.size:
            n = t._data.shape[dim]
            if it.max() >= n or it.min() < -n:
                bad = it.max() if it.max() >= n else it.min()
                raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")
        out.append(it)
        if it is None:
            continue
        dim += it.ndim if isinstance(it, np.ndarray) and it.dtype == np.bool_ else 1
    return tuple(out) if isinstance(idx, tuple) else out[0]


def _to_array(data, dtype=None):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)) and builtins.any(isinstance(d, Tensor) for d in _iter_flat(data)):
        data = _nested_to_array(data)
    return data


def _iter_flat(data):
    for d in data:
        if isinstance(d, (list, tuple)):
            yield from _iter_flat(d)
        else:
            yield d


def _nested_to_array(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return np.array([_nested_to_array(d) for d in data])
    return data


# --------------------------------------------------------------------------- creation


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data``: float32 for floats, int64 for ints, bool for bools.

    Example:
        >>> import npgrad
        >>> npgrad.tensor([[1, 2], [3, 4]]).dtype
        npgrad.int64
    """
    if device is not None:
        _CPU.__class__(device)  # only the CPU exists
    arr = _to_array(data)
    if dtype is not None:
        arr = np.array(arr, dtype=D.as_dtype(dtype).np)
    else:
        arr = np.array(arr)
        if arr.dtype.kind == "f" and not isinstance(data, (np.ndarray, Tensor)):
            arr = arr.astype(D.get_default_dtype().np)
        elif arr.dtype.kind == "i" and not isinstance(data, (np.ndarray, Tensor)):
            arr = arr.astype(np.int64)
        elif arr.dtype.kind in "OUS":
            raise TypeError(f"Could not infer dtype of {type(np.ravel(arr)[0]).__name__}")
        elif arr.dtype.kind == "f" and arr.dtype == np.float64 and arr.size == 0 and not isinstance(data, np.ndarray):
            arr = arr.astype(D.get_default_dtype().np)
        D.from_numpy_dtype(arr.dtype)
    if requires_grad and arr.dtype.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return Tensor._wrap(arr, requires_grad)


def as_tensor(data, dtype=None, device=None):
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


def _size_arg(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = size[0]
    for s in size:
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"size must be a sequence of ints, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _dt(dtype):
    return D.as_dtype(dtype).np


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return Tensor._wrap(np.zeros(_size_arg(size), dtype=_dt(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return Tensor._wrap(np.ones(_size_arg(size), dtype=_dt(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None):
    return Tensor._wrap(np.empty(_size_arg(size), dtype=_dt(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = D.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = D.int64
    return Tensor._wrap(np.full(_size_arg((size,) if isinstance(size, int) else (tuple(size),)),
                                fill_value, dtype=_dt(dtype)), requires_grad)


def _like_dtype(t, dtype):
    return t._data.dtype if dtype is None else _dt(dtype)


def zeros_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return Tensor._wrap(np.zeros(t._data.shape, dtype=_like_dtype(t, dtype)), requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return Tensor._wrap(np.ones(t._data.shape, dtype=_like_dtype(t, dtype)), requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False, memory_format=None):
    return Tensor._wrap(np.empty(t._data.shape, dtype=_like_dtype(t, dtype)), requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return Tensor._wrap(np.full(t._data.shape, fill_value, dtype=_like_dtype(t, dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [_raw(v).item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        dtype = D.int64 if builtins.all(isinstance(v, numbers.Integral) for v in vals) else D.get_default_dtype()
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    data = (vals[0] + np.arange(max(n, 0)) * vals[2])
    return Tensor._wrap(data.astype(_dt(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return Tensor._wrap(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    return Tensor._wrap(np.logspace(start, end, steps, base=base).astype(_dt(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
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
                           f"{D.from_numpy_dtype(cond.dtype).name.capitalize()}")
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        a = input if isinstance(input, Tensor) else None
        b = other if isinstance(other, Tensor) else None
        dt = result_type(a if a is not None else input, b if b is not None else other) \
            if a is not None and b is not None else (a if a is not None else b)._data.dtype
        if a is None or b is None:
            t = a if a is not None else b
            dt = result_type(t, input if a is None else other)
        return Where.apply(cond, _as_operand(input, dt), _as_operand(other, dt))
    return Tensor._wrap(np.where(cond, input, other))


def cat(tensors, dim=0, out=None):
    from .ops.shape import Cat
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
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
        dt = np.promote_types(dt, t._data.dtype)
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
        dt = np.promote_types(dt, t._data.dtype)
    return Stack.apply(_wrap_dim(dim, tensors[0].ndim + 1), *[_as_operand(t, dt) for t in tensors])


def unique(t, sorted=True, return_inverse=False, return_counts=False, dim=None):
    res = np.unique(t._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return Tensor._wrap(res)
    out = [Tensor._wrap(res[0])]
    if return_inverse:
        out.append(Tensor._wrap(res[1].reshape(t._data.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(res[-1].astype(np.int64)))
    return tuple(out)


def einsum(equation, *operands):
    from .ops.linalg import Einsum
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    eq = equation.replace(" ", "")
    if "->" not in eq:
        ins = eq.split(",")
        letters = "".join(ins)
        out = "".join(sorted(ch for ch in set(letters) if letters.count(ch) == 1))
        eq = eq + "->" + out
    if "." in eq:
        raise NotImplementedError("einsum with '...' is not supported")
    return Einsum.apply(eq, *operands)


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


def _accumulate_leaf(leaf, g, owned=False):
    if leaf._hooks:
        for h in leaf._hooks:
            r = h(Tensor._wrap(g))
            if r is not None:
                g = r._data
                owned = False
    if leaf.grad is None:
        if owned and g.dtype == leaf._data.dtype:
            # a backward that set ``ctx.grads_owned`` handed over fresh arrays: adopt, don't copy
            leaf.grad = Tensor._wrap(g)
        else:
            leaf.grad = Tensor._wrap(np.array(g, dtype=leaf._data.dtype, copy=True))
    else:
        leaf.grad._data = leaf.grad._data + g
    if leaf._post_acc_hooks:
        for h in leaf._post_acc_hooks:
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
    """Accumulate gradients of ``tensors`` into the leaves of their graph."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    if grad_tensors is None or isinstance(grad_tensors, Tensor) or np.isscalar(grad_tensors):
        grad_tensors = [grad_tensors] * len(tensors)
    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
    retain = bool(retain_graph)
    grads = {}
    roots = []
    for t, g in zip(tensors, grad_tensors):
        if not t.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.ones_like(t._data)
        else:
            g = _raw(g)
            if g.shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of {tuple(g.shape)} and "
                                   f"output[0] has a shape of {tuple(t._data.shape)}.")
            g = g.astype(t._data.dtype, copy=False)
        if t._node is None:
            _accumulate_leaf(t, g)
            continue
        slot = grads.setdefault(t._node, [None] * len(t._node.out_shapes))
        i = t._out_index
        slot[i] = g if slot[i] is None else slot[i] + g
        roots.append(t._node)
    only = None if inputs is None else {id(x) for x in ([inputs] if isinstance(inputs, Tensor) else inputs)}
    for node in _topo_order(roots):
        out_grads = grads.pop(node, None)
        if out_grads is None:
            continue
        if node.ctx is None:
            raise RuntimeError("Trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed). Saved intermediate values of the "
                               "graph are freed when you call .backward() or autograd.grad(). Specify "
                               "retain_graph=True if you need to backward through the graph a second time or if "
                               "you need to access saved tensors after calling backward.")
        if node.hooks:
            for i, hooks in node.hooks.items():
                for h in hooks:
                    if out_grads[i] is not None:
                        r = h(Tensor._wrap(out_grads[i]))
                        if r is not None:
                            out_grads[i] = r._data
        if node.retained:
            for i, ref in node.retained.items():
                t = ref()
                if t is not None and out_grads[i] is not None and t._node is node:
                    t.grad = Tensor._wrap(out_grads[i].copy()) if t.grad is None \
                        else Tensor._wrap(t.grad._data + out_grads[i])
        for i, g in enumerate(out_grads):
            if g is None and node.ctx.materialize_grads:
                out_grads[i] = np.zeros(node.out_shapes[i], dtype=node.out_dtypes[i])
        in_grads = node.fn.backward(node.ctx, *out_grads)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        for k, (edge, g) in enumerate(zip(node.next, in_grads)):
            if edge is None or g is None:
                continue
            g = np.asarray(g)
            g = _sum_to_shape(g, node.in_shapes[k])
            if g.dtype != node.in_dtypes[k]:
                g = g.astype(node.in_dtypes[k])
            if isinstance(edge, Tensor):
                if only is None or id(edge) in only:
                    _accumulate_leaf(edge, g, owned=getattr(node.ctx, "grads_owned", False))
            else:
                nxt, idx = edge
                slot = grads.setdefault(nxt, [None] * len(nxt.out_shapes))
                slot[idx] = g if slot[idx] is None else slot[idx] + g
        if not retain:
            node.ctx = None


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated."""
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    saved = [(x.grad, x._hooks, x._retain) for x in inputs]
    for x in inputs:
        x.grad = None
        if x._node is not None:
            x.retain_grad()
    try:
        backward(outputs, grad_outputs, retain_graph=retain_graph, create_graph=create_graph,
                 inputs=[x for x in inputs if x._node is None])
        result = []
        for x in inputs:
            if x.grad is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
            result.append(x.grad)
    finally:
        for x, (g, h, r) in zip(inputs, saved):
            x.grad = g
    return tuple(result)
