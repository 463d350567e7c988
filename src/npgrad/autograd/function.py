"""Differentiable operations: forward and backward together in one class.

* :class:`ArrayFunction` is what every op of npgrad is built on: ``forward`` and
  ``backward`` work on NumPy arrays.
* :class:`Function` is ``torch.autograd.Function``: a user's own operation written
  on Tensors (``ctx.save_for_backward``, ``ctx.needs_input_grad``,
  ``mark_non_differentiable``, ``set_materialize_grads``, ``setup_context``).
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from .. import _layout
from .grad_mode import is_grad_enabled, no_grad
from .versions import note as _note_versions

# npgrad ops whose PyTorch counterpart (in the common case) carries another name
_TORCH_NAMES = {"_FusedCrossEntropy": "NllLoss", "_LayerNorm": "NativeLayerNorm", "_CTCLoss": "CtcLoss",
                "_Linear": "Addmm", "MatMul": "Mm", "Reshape": "View",
                "CumSum": "Cumsum", "CumProd": "Cumprod", "LogSumExp": "Logsumexp"}

# ops whose output shares its input's memory
VIEW_FUNCTIONS = frozenset({"GetItem", "Reshape", "Permute", "Expand", "Split", "Diagonal", "Unfold"})


class Context:
    """What ``forward`` leaves for ``backward``: saved arrays and flags."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self._non_differentiable = ()
        self.materialize_grads = True

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def mark_non_differentiable(self, *arrays):
        self._non_differentiable = tuple(id(a) for a in arrays)

    def mark_dirty(self, *tensors):
        """Accepted as in PyTorch; the output is a new tensor sharing the modified input's memory."""

    def set_materialize_grads(self, value: bool):
        """``False``: ``backward`` gets ``None`` (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)


FunctionCtx = Context


class Node:
    """One recorded call of a Function: where its gradients come from and go to.

    ``next`` holds, per positional input, ``None`` (no gradient wanted), the leaf
    Tensor to accumulate into, or ``(node, output_index)`` of the op that made it.
    """

    __slots__ = ("fn", "ctx", "next", "in_shapes", "in_dtypes", "out_shapes", "out_dtypes",
                 "retained", "hooks", "label", "__weakref__")

    def __init__(self, fn, ctx, next_edges, in_shapes, in_dtypes, out_shapes, out_dtypes):
        self.fn = fn
        self.ctx = ctx
        self.next = next_edges
        self.in_shapes = in_shapes
        self.in_dtypes = in_dtypes
        self.out_shapes = out_shapes
        self.out_dtypes = out_dtypes
        self.retained = None  # {output_index: weakref to Tensor} for retain_grad
        self.hooks = None  # {output_index: {handle id: hook}} for Tensor.register_hook
        self.label = None  # PyTorch's name where it depends on the call (SumBackward1 for a sum over dims)

    def name(self):
        """PyTorch's name for this node: ``MulBackward0`` for npgrad's ops, ``MyFnBackward`` for a user's Function."""
        fn = self.fn
        if self.label is not None:
            return self.label
        if getattr(fn, "user_function", None) is not None:
            return f"{fn.__name__}Backward"
        return f"{_TORCH_NAMES.get(fn.__name__, fn.__name__.lstrip('_'))}Backward0"

    def __repr__(self):
        return f"<{self.name()} object>"

    @property
    def next_functions(self):
        out = []
        for e in self.next:
            if e is None:
                out.append((None, 0))
            elif isinstance(e, tuple):
                out.append(e)
            else:
                out.append((f"AccumulateGrad({tuple(e.shape)})", 0))
        return tuple(out)


class ArrayFunction:
    """Base of every differentiable op of npgrad: subclass with ``forward`` and ``backward``.

    ``forward(ctx, *args)`` gets NumPy arrays where Tensors were passed and returns an
    array or a tuple of arrays; ``backward(ctx, *grads)`` gets one gradient array per
    output and returns one gradient per positional input (``None`` where there is none).

    Example:
        >>> import numpy as np, npgrad
        >>> class Square(ArrayFunction):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * g
        >>> x = npgrad.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).sum().backward(); x.grad
        tensor([6.])
    """

    # True for the layers whose output PyTorch lays out channels-last when an input is (convolution, pooling,
    # interpolation, padding), "all" where every input must be (cat): see :func:`_follow_channels_last`
    follows_channels_last = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor

        record = False
        if is_grad_enabled():
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    record = True
                    break
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args) if record \
            else (False,) * len(args)
        ctx = Context(needs)
        raw = [a._data if isinstance(a, Tensor) else a for a in args]
        out = cls.forward(ctx, *raw, **kwargs)
        if cls.follows_channels_last:
            out = _follow_channels_last(cls, ctx, raw, out)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        results = tuple(Tensor._wrap(o if isinstance(o, np.ndarray) else np.asarray(o)) for o in outs)
        if record:
            _note_versions(ctx)
            edges = [a._edge() if isinstance(a, Tensor) and a.requires_grad else None for a in args]
            node = Node(cls, ctx, edges,
                        [a._data.shape if isinstance(a, Tensor) else None for a in args],
                        [a._data.dtype if isinstance(a, Tensor) else None for a in args],
                        [r._data.shape for r in results], [r._data.dtype for r in results])
            skip = ctx._non_differentiable
            for i, (r, o) in enumerate(zip(results, outs)):
                if r._data.dtype.kind == "f" and id(o) not in skip:
                    r.requires_grad = True
                    r._node = node
                    r._out_index = i
            if cls.__name__ in VIEW_FUNCTIONS:   # remember whose memory a view shares
                base = next((a for a in args if isinstance(a, Tensor)), None)
                for r in results:
                    if base is not None and np.may_share_memory(r._data, base._data):
                        r._view_base = weakref.ref(base)
        return results if multi else results[0]


def _follow_channels_last(cls, ctx, raw, out):
    """``out`` laid out channels-last where PyTorch's would be: when an input of the same rank suggests that
    format (every such input for ``follows_channels_last == "all"``). The values are the same either way; the
    layout decides which views are possible and where a later sampler (dropout) puts its draws. Arrays the
    op saved are swapped too."""
    outs = out if isinstance(out, tuple) else (out,)
    rank = next((o.ndim for o in outs if isinstance(o, np.ndarray)), None)
    if rank not in (4, 5):
        return out
    formats = {_layout.suggest(a) for a in raw if isinstance(a, np.ndarray) and a.ndim == rank}
    if cls.follows_channels_last == "all":       # torch.cat: channels-last only when every input is
        fmt = formats.pop() if len(formats) == 1 else None
    else:
        fmt = next((f for f in formats if f is not _layout.contiguous_format), None)
    if fmt is None or fmt is _layout.contiguous_format:
        return out
    new = tuple(_layout.as_format(o, fmt, exact=True) if isinstance(o, np.ndarray) and o.ndim == rank else o
                for o in outs)
    swapped = {id(o): n for o, n in zip(outs, new) if n is not o}
    if swapped:
        ctx.saved_tensors = tuple(swapped.get(id(a), a) for a in ctx.saved_tensors)
        ctx._non_differentiable = tuple(id(swapped[i]) if i in swapped else i for i in ctx._non_differentiable)
    return new if isinstance(out, tuple) else new[0]


class Function(ArrayFunction):
    r"""An operation of the user's own, on Tensors, with its gradient: ``torch.autograd.Function``.

    ``forward(ctx, *args, **kwargs)`` runs with gradient recording off and returns a
    Tensor or a tuple (non-Tensor items are returned as they are);
    ``backward(ctx, *grad_outputs)`` gets one gradient Tensor per output and returns
    one per positional input of ``forward`` (``None`` where there is none). With a
    ``setup_context(ctx, inputs, output)`` method, ``forward`` takes no ``ctx``.

    Example:
        >>> import npgrad
        >>> class Exp(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         y = x.exp()
        ...         ctx.save_for_backward(y)
        ...         return y
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (y,) = ctx.saved_tensors
        ...         return grad * y                 # d/dx e^x = e^x
        >>> x = npgrad.tensor([0.0, 1.0], requires_grad=True)
        >>> Exp.apply(x).sum().backward(); x.grad
        tensor([1.0000, 2.7183])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        node_class = cls.__dict__.get("_node_class")
        if node_class is None:      # one ArrayFunction per user class, named after it (grad_fn's name)
            node_class = type(cls.__name__, (ArrayFunction,), {
                "forward": staticmethod(functools.partial(_user_forward, cls)),
                "backward": staticmethod(functools.partial(_user_backward, cls)),
                "user_function": cls, "__module__": cls.__module__, "__qualname__": cls.__qualname__})
            type.__setattr__(cls, "_node_class", node_class)
        plain = {}
        out = ArrayFunction.apply.__func__(node_class, *args, _user_inputs=args, _plain_outputs=plain, **kwargs)
        if not plain:
            return out
        return tuple(plain.get(i, o) for i, o in enumerate(out))


def _user_forward(user, ctx, *arrays, _user_inputs, _plain_outputs, **kwargs):
    """Run a user Function's forward on the original Tensors; hand its outputs' arrays to the engine."""
    from ..tensor import Tensor

    with no_grad():
        if "setup_context" in _defined(user):
            output = user.forward(*_user_inputs, **kwargs)
            user.setup_context(ctx, _user_inputs, output)
        else:
            output = user.forward(ctx, *_user_inputs, **kwargs)
    outputs = output if isinstance(output, tuple) else (output,)
    ctx._user_outputs = outputs     # a saved output is this op's output in a recorded backward (create_graph)
    marked = set(ctx._non_differentiable)
    arrays_out, non_differentiable = [], []
    for i, o in enumerate(outputs):
        if isinstance(o, Tensor):
            arrays_out.append(o._data)
            if id(o) in marked:
                non_differentiable.append(o._data)
        else:
            _plain_outputs[i] = o
            arrays_out.append(np.zeros(0))
            non_differentiable.append(arrays_out[-1])
    ctx._non_differentiable = tuple(id(a) for a in non_differentiable)
    return tuple(arrays_out) if isinstance(output, tuple) else arrays_out[0]


def _user_backward(user, ctx, *grads):
    """Run a user Function's backward on Tensors and check how many gradients it gave."""
    from ..tensor import Tensor

    with no_grad():
        result = user.backward(ctx, *[None if g is None else Tensor._wrap(g) for g in grads])
    result = result if isinstance(result, tuple) else (result,)
    expected = len(ctx.needs_input_grad)
    if len(result) < expected or any(r is not None for r in result[expected:]):
        raise RuntimeError(f"function {user.__name__}Backward returned an incorrect number of gradients "
                           f"(expected {expected}, got {len(result)})")
    return tuple(r._data if isinstance(r, Tensor) else r for r in result[:expected])


def _defined(user):
    """Names a user Function class defines itself or inherits from its own bases (not from Function)."""
    names = set()
    for klass in user.__mro__:
        if klass in (Function, ArrayFunction, object):
            break
        names.update(klass.__dict__)
    return names


def once_differentiable(fn):
    """Marks a user Function's ``backward`` as not differentiable itself (it runs without recording).

    Under ``create_graph=True`` its gradients come out as constants when the incoming gradients are, and
    otherwise as tensors whose differentiation raises PyTorch's error.
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    wrapper.once_differentiable = True
    return wrapper
