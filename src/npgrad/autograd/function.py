"""Differentiable operations: forward and backward together in one class.

* :class:`ArrayFunction` is what every op of npgrad is built on: ``forward`` and
  ``backward`` work on NumPy arrays.
* :class:`Function` is ``torch.autograd.Function``: a user's own operation written
  on Tensors (``ctx.save_for_backward``, ``ctx.needs_input_grad``,
  ``mark_non_differentiable``, ``set_materialize_grads``, ``setup_context``).
"""
from __future__ import annotations

import functools
import warnings
import weakref

import numpy as np

from .. import _layout
from .grad_mode import _inference_state, is_grad_enabled, is_inference_mode_enabled, no_grad
from .versions import note as _note_versions


def _matmul_name(node):
    """``a @ b`` as PyTorch's matmul decomposes it for the operands' ranks: dot, mv, mm, or a batched product
    whose last op is a reshape (``_unsafe_view``), a squeeze (vector @ matrix) or a clone (matrix @ batch)."""
    ranks = (len(node.in_shapes[0]), len(node.in_shapes[1]))
    named = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4", (2, 2): "MmBackward0"}
    if ranks in named:
        return named[ranks]
    return "CloneBackward0" if ranks[0] == 2 else "UnsafeViewBackward0"


def _linear_name(node):
    """``F.linear`` as PyTorch runs it: addmm (mm without a bias) on a matrix; on a vector or a batch of more
    dims, an mm whose result is reshaped (a view of the addmm, or ``_unsafe_view``/squeeze without a bias)."""
    rank, bias = len(node.in_shapes[0]), node.in_shapes[2] is not None
    if rank == 2:
        return "AddmmBackward0" if bias else "MmBackward0"
    if bias:
        return "ViewBackward0"
    return "SqueezeBackward4" if rank == 1 else "UnsafeViewBackward0"


def _with_numbers(both, number_first, number_second):
    """The name of a binary op by which operand was a Python number (kept as no Tensor, so with no shape):
    ``2 ** x`` is ``PowBackward2``, ``x ** 2`` ``PowBackward0``, ``x ** y`` ``PowBackward1``."""
    def name(node):
        first, second = node.in_shapes[0], node.in_shapes[1]
        return number_first if first is None else number_second if second is None else both
    return name


def _by_rank(prefix):
    """``GridSampler2DBackward0`` / ``...3DBackward0``: PyTorch's op per number of spatial dims."""
    return lambda node: f"{prefix}{len(node.in_shapes[0]) - 2}DBackward0"


# npgrad ops whose PyTorch counterpart (in the common case) carries another name: the name without its
# ``Backward0``, or a function of the node giving the whole name (from the shapes the node keeps)
_TORCH_NAMES = {"_FusedCrossEntropy": "NllLoss", "_LayerNorm": "NativeLayerNorm", "_CTCLoss": "CtcLoss",
                "_Linear": _linear_name, "MatMul": _matmul_name, "Reshape": "View",
                "CumSum": "Cumsum", "CumProd": "Cumprod", "LogSumExp": "Logsumexp", "Log1p": "Log1P",
                "Cast": "ToCopy", "Pad": "ConstantPadNd", "_GridSample": _by_rank("GridSampler"),
                "_AffineGrid": "AffineGridGenerator",
                "_EmbeddingBagSum": "EmbeddingBag", "_EmbeddingBagMax": "EmbeddingBag",
                "Sub": _with_numbers("SubBackward0", "RsubBackward1", "SubBackward0"),
                "Div": _with_numbers("DivBackward0", "MulBackward0", "DivBackward0"),    # 1 / x: x.reciprocal() * 1
                "Pow": _with_numbers("PowBackward1", "PowBackward2", "PowBackward0"),
                "FloatPower": _with_numbers("PowBackward1", "PowBackward2", "PowBackward0"),
                "Xlogy": _with_numbers("XlogyBackward0", "XlogyBackward1", "XlogyBackward2")}

# one subclass of Node per name, so that ``type(t.grad_fn).__name__`` is the node's name, as in PyTorch
_NODE_CLASSES = {}

# ops whose output shares its input's memory
VIEW_FUNCTIONS = frozenset({"GetItem", "Reshape", "Permute", "Expand", "Split", "Diagonal", "Unfold"})


try:    # NumPy 2 keeps its floating-point error state in a context variable: setting it directly costs a
    # fifth of entering ``np.errstate`` (0.2 us against 1 us), which every op pays
    from numpy._core._ufunc_config import _extobj_contextvar as _fp_state, _make_extobj
    _IGNORE_ALL = _make_extobj(all="ignore")
except ImportError:     # NumPy 1: the same two calls on its thread's error state
    class _fp_state:
        @staticmethod
        def set(_):
            return np.seterr(all="ignore")

        @staticmethod
        def reset(old):
            np.seterr(**old)

    _IGNORE_ALL = None


def quietly(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with NumPy's floating-point warnings off: inf and NaN are values, as in PyTorch,
    whose kernels report nothing (``inf - inf`` is NaN and ``1e30 * 1e30`` is inf in float32, without a word).
    Every op's forward runs so (:meth:`ArrayFunction.apply`), and every backward pass."""
    token = _fp_state.set(_IGNORE_ALL)
    try:
        return fn(*args, **kwargs)
    finally:
        _fp_state.reset(token)


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
        """The inputs ``forward`` modified in place: they must be returned, and are returned as themselves, their
        history moved onto this op (PyTorch's rebase), their version counted once more."""
        self._dirty = tensors

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
        name = _TORCH_NAMES.get(fn.__name__)
        if name is None:
            return f"{fn.__name__.lstrip('_')}Backward0"
        return name(self) if callable(name) else f"{name}Backward0"

    def _named(self):
        """This node as an instance of the subclass of Node named as it is (``AddBackward0``)."""
        name = self.name()
        cls = _NODE_CLASSES.get(name)
        if cls is None:
            cls = _NODE_CLASSES[name] = type(name, (Node,), {"__slots__": (), "__module__": Node.__module__})
        if self.__class__ is not cls:
            self.__class__ = cls
        return self

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        out = []
        for e in self.next:
            if e is None:
                out.append((None, 0))
            elif isinstance(e, tuple):
                out.append((e[0]._named(), e[1]))
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

    # the class of a user's ``torch.autograd.Function`` this op runs (see :meth:`Function.apply`)
    user_function = None

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
        inference = _inference_state[1]     # inference tensors may exist
        if is_grad_enabled():
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    record = True
                    break
            if record and inference and is_inference_mode_enabled():
                record = False      # inference mode records nothing, even under enable_grad()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args) if record \
            else (False,) * len(args)
        ctx = Context(needs)
        raw = [a._data if isinstance(a, Tensor) else a for a in args]
        if cls.user_function is None:      # quietly(), inlined: every op pays for it
            token = _fp_state.set(_IGNORE_ALL)
            try:
                out = cls.forward(ctx, *raw, **kwargs)
            finally:
                _fp_state.reset(token)
        else:       # a user's forward: the ops it calls are quiet themselves, its own NumPy code is not
            out = cls.forward(ctx, *raw, **kwargs)
        if cls.follows_channels_last:
            out = _follow_channels_last(cls, ctx, raw, out)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        results = tuple(Tensor._wrap(o if isinstance(o, np.ndarray) else np.asarray(o)) for o in outs)
        if record:
            if inference:
                _refuse_saved_inference(args, ctx)
            _note_versions(ctx)
            edges = [a._edge() if isinstance(a, Tensor) and a.requires_grad else None for a in args]
            node = Node(cls, ctx, edges,
                        [a._data.shape if isinstance(a, Tensor) else None for a in args],
                        [a._data.dtype if isinstance(a, Tensor) else None for a in args],
                        [r._data.shape for r in results], [r._data.dtype for r in results])
            skip = ctx._non_differentiable
            for i, (r, o) in enumerate(zip(results, outs)):
                if r._data.dtype.kind == "f" and id(o) not in skip:
                    r._requires_grad = True     # a fresh floating tensor outside inference mode: no check needed
                    r._node = node
                    r._out_index = i
            if cls.__name__ in VIEW_FUNCTIONS:   # remember whose memory a view shares
                base = next((a for a in args if isinstance(a, Tensor)), None)
                for r in results:
                    if base is not None and np.may_share_memory(r._data, base._data):
                        r._view_base = weakref.ref(base)
        if inference and cls.__name__ in VIEW_FUNCTIONS:
            _view_inference(results, args)
        return results if multi else results[0]


def _view_inference(results, args):
    """A view is an inference tensor exactly when its base is (PyTorch's rule, inside inference mode or not),
    one without a version counter of its own."""
    from ..tensor import Tensor

    base = next((a for a in args if isinstance(a, Tensor)), None)
    if base is None:
        return
    inference = bool(base._inference)
    for r in results:
        if r._inference is not inference and np.may_share_memory(r._data, base._data):
            r._inference = inference


def _refuse_saved_inference(args, ctx):
    """PyTorch's error for an op recorded for backward that keeps an inference tensor it was given."""
    from ..tensor import Tensor
    from .versions import _held_arrays

    inference = [a._data for a in args if isinstance(a, Tensor) and a._inference]
    if not inference:
        return
    for held in _held_arrays(ctx):
        if any(np.may_share_memory(held, x) for x in inference):
            raise RuntimeError("Inference tensors cannot be saved for backward. Please do not use Tensors created "
                               "in inference mode in computation tracked by autograd. To work around this, you can "
                               "make a clone to get a normal tensor and use it in autograd, or use "
                               "`torch.no_grad()` instead of `torch.inference_mode()`.")


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

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will raise "
                      "an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        node_class = cls.__dict__.get("_node_class")
        if node_class is None:      # one ArrayFunction per user class, named after it (grad_fn's name)
            node_class = type(cls.__name__, (ArrayFunction,), {
                "forward": staticmethod(functools.partial(_user_forward, cls)),
                "backward": staticmethod(functools.partial(_user_backward, cls)),
                "user_function": cls, "__module__": cls.__module__, "__qualname__": cls.__qualname__})
            type.__setattr__(cls, "_node_class", node_class)
        call = {}       # what _user_forward reports: the ctx, plain (non-Tensor) outputs, modified inputs
        out = ArrayFunction.apply.__func__(node_class, *args, _user_inputs=args, _call=call, **kwargs)
        outs = list(out) if isinstance(out, tuple) else [out]
        node = next((r._node for r in outs if getattr(r, "_node", None) is not None), None)
        if node is not None:    # backward unpacks saved outputs as this node's outputs (weakly: no cycle)
            call["ctx"]._node_ref = weakref.ref(node)
        for i, t in call.get("dirty", {}).items():
            outs[i] = _rebase(t, outs[i])
        for i, o in call.get("plain", {}).items():
            outs[i] = o
        return tuple(outs) if isinstance(out, tuple) else outs[0]


def _rebase(t, result):
    """Input ``t``, modified in place by the forward, standing as the op's output ``result`` (PyTorch's
    ``rebase_history``): the same Tensor object, now produced by this op."""
    if result._node is not None:
        t._node, t._out_index, t._requires_grad = result._node, result._out_index, True
        if t._retain:
            t.retain_grad()
    return t


def _user_forward(user, ctx, *arrays, _user_inputs, _call, **kwargs):
    """Run a user Function's forward on the original Tensors; hand its outputs' arrays to the engine."""
    from ..tensor import Tensor

    with no_grad():
        if "setup_context" in _defined(user):
            output = user.forward(*_user_inputs, **kwargs)
            user.setup_context(ctx, _user_inputs, output)
        else:
            output = user.forward(ctx, *_user_inputs, **kwargs)
    outputs = output if isinstance(output, tuple) else (output,)
    _call["ctx"] = ctx
    ctx._user_outputs = outputs     # a saved output is this op's output in a recorded backward (create_graph)
    ctx._input_shapes = tuple(a._data.shape if isinstance(a, Tensor) else None for a in _user_inputs)
    if getattr(ctx, "_dirty", None):
        _call["dirty"] = _modified_inputs(ctx, _user_inputs, outputs)
    _plain_outputs = _call["plain"] = {}
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


def _modified_inputs(ctx, inputs, outputs):
    """``{output index: input}`` for the inputs ``ctx.mark_dirty`` names, with PyTorch's checks: each must be
    returned, and a leaf that requires grad (or a view of one) cannot be modified in a recorded call."""
    from ..tensor import _bump_version

    by_id = {id(t): t for t in inputs}
    dirty = {}
    for t in ctx._dirty:
        if id(t) not in by_id:
            warnings.warn("ctx.mark_dirty() received a tensor that was not an input. Only input Tensors that have "
                          "been mutated should be passed to ctx.mark_dirty().", UserWarning, stacklevel=5)
            continue
        places = [i for i, o in enumerate(outputs) if o is t]
        if not places:
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as "
                               "output. The inputs that are modified inplace must all be outputs of the Function.")
        if any(ctx.needs_input_grad):
            if t.requires_grad and t._node is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            t._guard_leaf()      # a view of a leaf, or of another tensor of the graph
        _bump_version(t._data)
        for i in places:
            dirty[i] = t
    return dirty


def _user_backward(user, ctx, *grads):
    """Run a user Function's backward on Tensors and check the gradients it gave as PyTorch does: their number,
    their type, and their shapes (a gradient of a shape the input broadcasts to is summed to it)."""
    from ..tensor import Tensor

    kept = ctx.saved_tensors
    node = ctx._node_ref() if getattr(ctx, "_node_ref", None) is not None else None
    outputs = {id(o): i for i, o in enumerate(getattr(ctx, "_user_outputs", ())) if isinstance(o, Tensor)}
    if node is not None and any(id(t) in outputs for t in kept):
        ctx.saved_tensors = tuple(_saved_output(t, node, outputs[id(t)]) if id(t) in outputs else t for t in kept)
    try:
        with no_grad():
            result = user.backward(ctx, *[None if g is None else Tensor._wrap(g) for g in grads])
    finally:
        ctx.saved_tensors = kept
    result = result if isinstance(result, tuple) else (result,)
    expected = len(ctx.needs_input_grad)
    if len(result) < expected or any(r is not None for r in result[expected:]):
        raise RuntimeError(f"function {user.__name__}Backward returned an incorrect number of gradients "
                           f"(expected {expected}, got {len(result)})")
    shapes = getattr(ctx, "_input_shapes", (None,) * expected)
    out = []
    for k, r in enumerate(result[:expected]):
        if r is None:
            out.append(None)
            continue
        if not isinstance(r, Tensor):
            kind = type(r)
            name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
            raise RuntimeError(f"expected Variable or None (got {name})")
        if shapes[k] is None:
            raise RuntimeError(f"function {user.__name__}Backward returned a gradient different than None at "
                               f"position {k + 1}, but the corresponding forward input was not a Variable")
        if ctx.needs_input_grad[k] and r._data.shape != shapes[k] and \
                not _expandable(shapes[k], r._data.shape):
            raise RuntimeError(f"Function {user.__name__}Backward returned an invalid gradient at index {k} - got "
                               f"{list(r._data.shape)} but expected shape compatible with {list(shapes[k])}")
        out.append(r._data)
    return tuple(out)


def _saved_output(t, node, i):
    """A saved output of a user Function as its backward sees it: the op's ``i``-th output, requiring grad."""
    from ..tensor import Tensor

    out = Tensor._wrap(t._data)
    out._requires_grad, out._node, out._out_index = True, node, i
    return out


def _expandable(shape, to):
    """Whether ``shape`` broadcasts to ``to`` (a gradient of shape ``to`` then sums down to ``shape``)."""
    if len(shape) > len(to):
        return False
    return all(s == 1 or s == d for s, d in zip(reversed(shape), reversed(to)))


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
