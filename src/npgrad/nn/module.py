"""Module, Parameter and the containers (Sequential, ModuleList, ModuleDict, ParameterList/Dict)."""
from __future__ import annotations

import functools
import itertools
import operator
import weakref
from collections import OrderedDict, namedtuple
from collections import abc as container_abcs

import numpy as np

from .._hooks import RemovableHandle
from ..tensor import NO_CUDA, Tensor, _check_to_keywords, check_device


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the ``missing_keys`` and ``unexpected_keys`` lists."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


def _typename(obj):
    """The type name PyTorch puts in its messages: ``npgrad.FloatTensor`` for tensors, else ``module.qualname``."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module in ("", "builtins"):
        return qualname
    return f"{module}.{qualname}"


class Parameter(Tensor):
    """A tensor that a Module registers as a learnable parameter (``requires_grad=True``).

    Example:
        >>> import npgrad
        >>> p = npgrad.nn.Parameter(npgrad.zeros(3))
        >>> p.requires_grad
        True
    """

    _is_param = True

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            arr = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        if requires_grad and arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        if requires_grad and isinstance(data, Tensor) and data._inference:
            from ..tensor import _check_inference_requires_grad
            _check_inference_requires_grad()
        self._init(arr, requires_grad)
        if isinstance(data, Tensor) and data._inference:
            self._inference = data._inference

    def __new__(cls, data=None, requires_grad=True):
        return object.__new__(cls)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (Parameter, (Tensor._wrap(self._data), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        new = Parameter(Tensor._wrap(self._data.copy()), self.requires_grad)  # as in torch, without .grad
        memo[id(self)] = new
        return new


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is true for the tensors that ``Buffer(...)`` marked."""

    def __instancecheck__(cls, instance):
        if cls is Buffer and isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a buffer when assigned to a Module attribute (``nn.Buffer``).

    The result is a detached tensor with ``persistent`` (is it part of ``state_dict``) set.
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = Tensor._wrap(np.empty(0, dtype=np.float32))
        elif not isinstance(data, Tensor):
            data = Tensor._wrap(np.asarray(data))
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


def _addindent(s_, num_spaces):
    s = s_.split("\n")
    if len(s) == 1:
        return s_
    first = s.pop(0)
    s = [(num_spaces * " ") + line if line.strip() else "" for line in s]
    return first + "\n" + "\n".join(s)


class _BackwardHookFunction:
    """Identity on the tensors given; its backward hands the gradients to ``callback`` (which may replace them)."""

    _cls = None

    @classmethod
    def apply(cls, tensors, callback):
        if cls._cls is None:
            from ..autograd.function import ArrayFunction as Function

            class BackwardHookFunction(Function):
                @staticmethod
                def forward(ctx, *arrays, callback=None, requires=()):
                    ctx.callback = callback
                    ctx.mark_non_differentiable(*[a for a, r in zip(arrays, requires) if not r])
                    return tuple(arrays)

                @staticmethod
                def backward(ctx, *grads):
                    return ctx.callback(grads)

            cls._cls = BackwardHookFunction
        return cls._cls.apply(*tensors, callback=callback, requires=tuple(t.requires_grad for t in tensors))


class _BackwardHook:
    """Runs a module's full backward (pre-)hooks: wraps its tensor inputs and outputs in identities whose
    backward passes see ``grad_output`` and then ``grad_input``."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _apply_on_tensors(self, callback, args, received=None):
        from ..autograd.grad_mode import is_grad_enabled

        tensors_idx, tensors = [], []
        requires_grad = False
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensors_idx.append(i)
                tensors.append(arg)
                requires_grad |= arg.requires_grad
        if not (requires_grad and is_grad_enabled()):
            return args, None
        new_tensors = _BackwardHookFunction.apply(tensors, callback)
        if received is not None:  # which outputs get a gradient (the others' grad_output is None)
            for k, t in enumerate(new_tensors):
                if t.requires_grad:
                    t.register_hook(lambda g, k=k: received.add(k))
        arg_list = list(args)
        for idx, val in zip(tensors_idx, new_tensors):
            arg_list[idx] = val
        return tuple(arg_list), tensors_idx

    def setup_input_hook(self, args):
        def callback(grads):
            if self.grad_outputs is None:
                return grads
            res = self._pack_with_none(self.input_tensors_index, [Tensor._wrap(g) for g in grads], self.n_inputs)
            for hook in self.user_hooks:
                out = hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return tuple(None if res[i] is None else _raw_grad(res[i]) for i in self.input_tensors_index)

        res, self.input_tensors_index = self._apply_on_tensors(callback, args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        received = set()

        def callback(grads):
            self.grad_outputs = self._pack_with_none(
                self.output_tensors_index,
                [Tensor._wrap(g) if k in received else None for k, g in enumerate(grads)], self.n_outputs)
            for pre_hook in self.user_pre_hooks:
                new = pre_hook(self.module, self.grad_outputs)
                if new is None:
                    continue
                if len(new) != len(self.grad_outputs):
                    raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                       f"got {len(new)}, but expected {len(self.grad_outputs)}")
                self.grad_outputs = new
            local_grad_outputs = self.grad_outputs
            if self.input_tensors_index is None:
                import warnings

                warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                              "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                              "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more "
                              "details.", stacklevel=2)
                grad_inputs = (None,) * self.n_inputs
                for hook in self.user_hooks:
                    res = hook(self.module, grad_inputs, self.grad_outputs)
                    if res is not None and not (isinstance(res, tuple) and all(el is None for el in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                           "always return None or None for all gradients.")
                self.grad_outputs = None
            return tuple(None if local_grad_outputs[i] is None else _raw_grad(local_grad_outputs[i])
                         for i in self.output_tensors_index)

        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, self.output_tensors_index = self._apply_on_tensors(callback, args, received)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]


def _register_non_full_hooks(module, args, result):
    """Attach ``module``'s non-full backward hooks to the node of its first output tensor and warn as PyTorch
    does where the hooks will not see the module's own gradients."""
    import warnings

    var = result
    while not isinstance(var, Tensor):
        var = next(v for v in var.values() if isinstance(v, Tensor)) if isinstance(var, dict) else var[0]
    node = var.grad_fn
    if node is None:
        return
    for hook in list(module._backward_hooks.values()):
        _node_hooks.register(node, _ModuleHook(hook, module))
    message = _non_full_hook_problem(args, result, node)
    if message is not None:
        warnings.warn(message, FutureWarning, stacklevel=3)


class _ModuleHook:
    """A module's hook as a node hook: called with the module first; PyTorch's errors name the user's hook."""

    def __init__(self, hook, module):
        self.hook = hook
        self.module = weakref.ref(module)
        self.__name__ = getattr(hook, "__name__", type(hook).__name__)

    def __call__(self, grad_input, grad_output):
        module = self.module()
        return None if module is None else self.hook(module, grad_input, grad_output)


class _NodeHooks:
    """Hooks run after a recorded node's backward, with the gradients of its inputs and of its outputs
    (PyTorch's ``grad_fn.register_hook``, on which non-full module hooks are built).

    The node's op class is swapped for a subclass of the same name whose ``backward`` calls the hooks held by
    the node's ``ctx``; every other node of that op is untouched. The hooks see the gradients as PyTorch's node
    has them: summed to each input's shape, None for an input that needs none, in PyTorch's order of the
    node's inputs (``Linear``: bias, input, transposed weight; for an input of other than two dims, PyTorch's
    last node reshapes the product and its hooks see the product's gradient before the product's backward).
    A hook with the first-order engine only: under ``create_graph`` the recorded backward does not call it.
    """

    def __init__(self):
        self.classes = {}

    def register(self, node, hook):
        fn = node.fn
        if not getattr(fn, "_runs_node_hooks", False):
            hooked = self.classes.get(fn)
            if hooked is None:
                hooked = self.classes[fn] = type(fn.__name__, (fn,), {
                    "backward": staticmethod(functools.partial(self.backward, fn.backward)),
                    "_runs_node_hooks": True, "__module__": fn.__module__, "__qualname__": fn.__qualname__})
            node.fn = hooked
        ctx = node.ctx
        if getattr(ctx, "_node_hooks", None) is None:
            ctx._node_hooks, ctx._hooked_node = [], weakref.ref(node)
        ctx._node_hooks.append(hook)

    @staticmethod
    def places(node):
        """PyTorch's inputs of ``node`` as ``(npgrad input index, transposed)``, or None where PyTorch's node
        is a reshape of this op's output (``Linear`` on an input of other than two dims)."""
        name = node.fn.__name__
        if name == "_Linear":
            if len(node.in_shapes[0]) != 2:
                return None
            return [(2, False), (0, False), (1, True)] if node.in_shapes[2] is not None else [(0, False), (1, True)]
        if name == "Convolution":     # input, weight and the bias, a None one included
            return [(0, False), (1, False), (2, False)]
        if name in ("Add", "Sub", "Mul", "Div") and node.in_shapes[0] is not None:
            return [(0, False), (1, False)]     # a Python number is a second input of PyTorch's node
        return [(k, False) for k, shape in enumerate(node.in_shapes) if shape is not None]

    def next_nodes(self, node):
        """The ids of what PyTorch's ``grad_fn.next_functions`` would hold for ``node`` (ids of the producing
        nodes; an accumulator per leaf; None where no gradient is wanted)."""
        places = self.places(node)
        if places is None:
            return {id(node)}       # the product node: no input of the module
        out = set()
        for k, _ in places:
            edge = node.next[k] if k < len(node.next) else None
            out.add(None if edge is None else id(edge[0]) if isinstance(edge, tuple) else ("leaf", id(edge)))
        return out

    @staticmethod
    def call(hooks, grad_inputs, grad_outputs):
        """Run ``hooks``; a result replaces ``grad_inputs``, checked as PyTorch checks it."""
        for hook in hooks:
            res = hook(grad_inputs, grad_outputs)
            if res is None:
                continue
            if not isinstance(res, tuple):
                raise TypeError(f"expected tuple, but hook returned '{type(res).__name__}'")
            if len(res) != len(grad_inputs):
                raise RuntimeError(f"hook '{hook.__name__}' has returned an incorrect number of values (got "
                                   f"{len(res)}, but expected {len(grad_inputs)})")
            for new, old in zip(res, grad_inputs):
                if new is not None and old is not None and tuple(new.shape) != tuple(old.shape):
                    raise RuntimeError(f"hook '{hook.__name__}' has changed the size of value")
            grad_inputs = res
        return grad_inputs

    def backward(self, original, ctx, *grads):
        hooks = getattr(ctx, "_node_hooks", None)
        node = ctx._hooked_node() if hooks else None
        if node is None:
            return original(ctx, *grads)
        from ..tensor import _sum_to_shape

        ctx.grads_owned = False         # a hook may keep the gradients it is shown
        grad_outputs = tuple(None if g is None else Tensor._wrap(g) for g in grads)
        places = self.places(node)
        if places is None:      # hooks of PyTorch's reshape node: they see (and may replace) the product's gradient
            shape = node.out_shapes[0]
            rows = (int(np.prod(shape[:-1])), shape[-1])
            shown = (None if grads[0] is None else Tensor._wrap(grads[0].reshape(rows)),)
            new = self.call(hooks, shown, grad_outputs)[0]
            if new is None:
                return (None,) * len(node.next)
            return original(ctx, np.asarray(new._data, dtype=node.out_dtypes[0]).reshape(shape), *grads[1:])
        in_grads = original(ctx, *grads)
        in_grads = list(in_grads if isinstance(in_grads, tuple) else (in_grads,))
        shown = []
        for k, transposed in places:
            g = in_grads[k] if k < len(in_grads) else None
            if g is None or node.next[k] is None:
                shown.append(None)
                continue
            g = _sum_to_shape(np.asarray(g), node.in_shapes[k])
            if g.dtype != node.in_dtypes[k]:
                g = g.astype(node.in_dtypes[k])
            shown.append(Tensor._wrap(g.T if transposed else g))
        shown = tuple(shown)
        new = self.call(hooks, shown, grad_outputs)
        if new is not shown:
            for (k, transposed), g in zip(places, new):
                if k < len(in_grads):
                    in_grads[k] = None if g is None else (g._data.T if transposed else g._data)
        return tuple(in_grads)


_node_hooks = _NodeHooks()


def _non_full_hook_problem(inputs, result, node):
    """PyTorch's deprecation message for non-full backward hooks on this call, or None where there is none."""
    if not isinstance(result, Tensor):
        if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
            return ("Using non-full backward hooks on a Module that does not return a single Tensor or a tuple of "
                    "Tensors is deprecated and will be removed in future versions. This hook will be missing some "
                    "of the grad_output. Please use register_full_backward_hook to get the documented behavior.")
    else:
        result = (result,)
    if not isinstance(inputs, Tensor):
        if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
            return ("Using non-full backward hooks on a Module that does not take as input a single Tensor or a "
                    "tuple of Tensors is deprecated and will be removed in future versions. This hook will be "
                    "missing some of the grad_input. Please use register_full_backward_hook to get the documented "
                    "behavior.")
    else:
        inputs = (inputs,)
    out_nodes = {id(r.grad_fn) for r in result if r.grad_fn is not None}
    if not out_nodes or (len(out_nodes) == 1 and id(node) not in out_nodes):
        return ("Using a non-full backward hook when outputs are nested in python data structure is deprecated and "
                "will be removed in future versions. This hook will be missing some grad_output.")
    if len(out_nodes) > 1:
        return ("Using a non-full backward hook when outputs are generated by different autograd Nodes is "
                "deprecated and will be removed in future versions. This hook will be missing some grad_output. "
                "Please use register_full_backward_hook to get the documented behavior.")
    if {id(i.grad_fn) for i in inputs if i.grad_fn is not None} != _node_hooks.next_nodes(node):
        return ("Using a non-full backward hook when the forward contains multiple autograd Nodes is deprecated "
                "and will be removed in future versions. This hook will be missing some grad_input. Please use "
                "register_full_backward_hook to get the documented behavior.")
    return None


class _WithoutModule:
    """A load_state_dict pre-hook registered without the module: called with the remaining arguments."""

    def __init__(self, hook):
        self.hook = hook

    def __call__(self, module, *args):
        return self.hook(*args)


def _raw_grad(g):
    return g._data if isinstance(g, Tensor) else np.asarray(g)


def _forward_unimplemented(self, *input):
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class of every layer and model, with PyTorch's registration and state_dict rules.

    Assigning a ``Parameter``, a ``Module`` or (via ``register_buffer``) a buffer to an
    attribute registers it; ``state_dict`` keys are the dotted attribute paths.

    Example:
        >>> import npgrad.nn as nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> list(Net().state_dict())
        ['fc.weight', 'fc.bias']
    """

    training: bool
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if self.call_super_init is False and kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        if self.call_super_init is False and args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_backward_pre_hooks", OrderedDict())
        setattr_(self, "_backward_hooks", OrderedDict())
        setattr_(self, "_is_full_backward_hook", None)
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_hooks_with_kwargs", OrderedDict())
        setattr_(self, "_forward_hooks_always_called", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks_with_kwargs", OrderedDict())
        setattr_(self, "_state_dict_hooks", OrderedDict())
        setattr_(self, "_state_dict_pre_hooks", OrderedDict())
        setattr_(self, "_load_state_dict_pre_hooks", OrderedDict())
        setattr_(self, "_load_state_dict_post_hooks", OrderedDict())
        setattr_(self, "_modules", {})
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    forward = _forward_unimplemented

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, keep=self._parameters)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                self._remove_from(name, keep=modules)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                    "(torch.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = self.__dict__.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                        "(torch.nn.Buffer, torch.Tensor or None expected)")
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                    else:
                        persistent = name not in self._non_persistent_buffers_set
                    self.register_buffer(name, value, persistent)
                else:
                    object.__setattr__(self, name, value)

    def _remove_from(self, name, keep):
        """Forget ``name`` everywhere but in ``keep``, where a reassignment keeps its place (and state_dict order)."""
        for d in (self.__dict__, self._parameters, self._buffers, self._modules):
            if d is not keep and name in d:
                del d[name]
        if keep is not self._buffers:
            self._non_persistent_buffers_set.discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = (dir(self.__class__) + list(self.__dict__) + list(self._parameters) + list(self._modules)
                + list(self._buffers))
        return sorted(key for key in keys if not key[0].isdigit())

    def _get_name(self):
        return self.__class__.__name__

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter or None) under ``name``; None entries are left out of ``state_dict``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
        elif not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        elif param.grad_fn:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, "
                             "compute the value in the forward() method.")
        else:
            self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer (state that is not a parameter, e.g. running statistics).

        ``persistent`` buffers are part of ``state_dict``; None entries are left out of it.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register ``module`` (a Module or None) as the child ``name``."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` (``""`` is the module itself)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        """Replace (or, without ``strict``, add) the submodule at the dotted path ``target``."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        if len(atoms) == 1:
            parent = self
        else:
            parent = self.get_submodule(".".join(atoms[:-1]))
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(parent._get_name() + " has no attribute `" + atoms[-1] + "`")
        if hasattr(parent, atoms[-1]):
            mod = getattr(parent, atoms[-1])
            if not isinstance(mod, Module):
                raise AttributeError("`" + atoms[-1] + "` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    def get_parameter(self, target):
        """The parameter at the dotted path ``target``."""
        module_path, _, param_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, param_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + param_name + "`")
        param = getattr(mod, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at the dotted path ``target``."""
        module_path, _, buffer_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, buffer_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + buffer_name + "`")
        buffer = getattr(mod, buffer_name)
        if buffer_name not in mod._buffers:
            raise AttributeError("`" + buffer_name + "` is not a buffer")
        return buffer

    def get_extra_state(self):
        """What a subclass adds to its ``state_dict`` under ``_extra_state`` (override with :meth:`set_extra_state`)."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
            "to report this bug.")

    def set_extra_state(self, state):
        """Restore what :meth:`get_extra_state` saved."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
            "to report this bug.")

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        result = None
        called_always = set()
        try:
            for hook_id, hook in list(self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    args_kwargs = hook(self, args, kwargs)
                    if args_kwargs is not None:
                        if isinstance(args_kwargs, tuple) and len(args_kwargs) == 2:
                            args, kwargs = args_kwargs
                        else:
                            raise RuntimeError("forward pre-hook must return None or a tuple of "
                                               f"(new_args, new_kwargs), but got {args_kwargs}.")
                else:
                    new_args = hook(self, args)
                    if new_args is not None:
                        args = new_args if isinstance(new_args, tuple) else (new_args,)
            bw_hook = None
            if self._backward_pre_hooks or (self._is_full_backward_hook and self._backward_hooks):
                bw_hook = _BackwardHook(self, list(self._backward_hooks.values()) if self._is_full_backward_hook
                                        else [], list(self._backward_pre_hooks.values()))
                args = bw_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    called_always.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    hook_result = hook(self, args, kwargs, result)
                else:
                    hook_result = hook(self, args, result)
                if hook_result is not None:
                    result = hook_result
            if bw_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    import warnings

                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}", stacklevel=2)
                result = bw_hook.setup_output_hook(result)
            if self._backward_hooks and self._is_full_backward_hook is False:
                _register_non_full_hooks(self, args, result)
            return result
        except Exception:
            import warnings

            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called and hook_id not in called_always:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook_result = hook(self, args, kwargs, result)
                        else:
                            hook_result = hook(self, args, result)
                        if hook_result is not None:
                            result = hook_result
                    except Exception as e:
                        warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {str(e)}", stacklevel=2)
            raise

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Run ``hook(module, args)`` (or ``hook(module, args, kwargs)``) before every ``forward``.

        A non-None result replaces the inputs: ``args`` (a single value is wrapped in a tuple), or
        with ``with_kwargs`` the pair ``(args, kwargs)``.
        """
        handle = RemovableHandle(self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Run ``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)``) after every ``forward``.

        A non-None result replaces the output; with ``always_call`` the hook also runs when forward raises.
        """
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dict=[self._forward_hooks_with_kwargs, self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Run ``hook(module, grad_output)`` when the gradients of the module's outputs are computed.

        A non-None result (a tuple as long as ``grad_output``) replaces ``grad_output``.
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook):
        """Register a backward hook on the module: deprecated in favour of :meth:`register_full_backward_hook`.

        As in PyTorch, ``hook(module, grad_input, grad_output)`` is registered on the autograd node that
        made the module's (first) output, each call: ``grad_output`` holds the gradients of that node's
        outputs and ``grad_input`` those of its inputs, in the order and layout of PyTorch's node (for
        ``Linear``: bias, input and transposed weight, or the gradient of the reshaped product for inputs of
        other than two dims). A non-None result replaces ``grad_input``. Each forward warns (``FutureWarning``)
        where the node's inputs are not the module's inputs.
        """
        return self._add_backward_hook(hook, full=False)

    def register_full_backward_hook(self, hook, prepend=False):
        """Run ``hook(module, grad_input, grad_output)`` when the gradients of the module's inputs are computed.

        ``grad_input`` and ``grad_output`` have one entry per positional input / output (None for
        non-tensors and for outputs without a gradient); a non-None result replaces ``grad_input``.
        When no input requires a gradient the hook fires with the output gradients, ``grad_input``
        all None.
        """
        return self._add_backward_hook(hook, full=True, prepend=prepend)

    def _add_backward_hook(self, hook, full, prepend=False):
        """Store a full (or legacy) backward hook; a module holds hooks of one kind only, as in PyTorch."""
        if self._is_full_backward_hook is (not full):
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self._is_full_backward_hook = full
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook):
        """Run ``hook(module, prefix, keep_vars)`` before this module's ``state_dict`` entries are saved."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict``; it must return None."""
        hook._from_public_api = True
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook):
        """Post-hook whose non-None result replaces the state dict (of the root module)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook that was "
                               "previously registered via register_state_dict_post_hook")
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_pre_hook(self, hook):
        """Run ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` before this module loads its entries."""
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = hook
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """As :meth:`register_load_state_dict_pre_hook`, the hook called without the module unless ``with_module``."""
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = hook if with_module else _WithoutModule(hook)
        return handle

    def register_load_state_dict_post_hook(self, hook):
        """Run ``hook(module, incompatible_keys)`` after ``load_state_dict``; it may edit the key lists in place."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Pre-order ``(dotted name, module)`` pairs, this module first; shared modules once unless
        ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:  # pre-order, children in registration order, without recursion
            p, m = stack.pop()
            if m in memo:
                continue
            if remove_duplicate:
                memo.add(m)
            yield p, m
            children = [(p + ("." if p else "") + n, c) for n, c in m._modules.items() if c is not None]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate=True):
        for _, m in self.named_modules(remove_duplicate=remove_duplicate):
            yield m

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and m not in memo:
                memo.add(m)
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield module_prefix + ("." if module_prefix else "") + k, v

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        """Set training mode on this module and (through their own ``train``) its children."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad._data[...] = 0

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn):
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for k, t in store.items():
                    if t is None:
                        continue
                    new = fn(t._data)
                    if new is not t._data:
                        t._data = new
                        if t.grad is not None:
                            t.grad._data = fn(t.grad._data)
        return self

    def to(self, *args, **kwargs):
        """Cast the floating-point parameters and buffers to ``dtype`` (``to(dtype)``, ``to(tensor)``,
        ``to(device, dtype)``); integer ones keep their dtype."""
        from .. import _dtype as D

        from .. import _layout

        _check_to_keywords(kwargs, ("device", "dtype", "non_blocking", "memory_format"))
        dtype = kwargs.get("dtype")
        for a in [a for a in args if not isinstance(a, bool)] + [kwargs.get("device")]:   # bool: non_blocking
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif a is not None:
                check_device(a)   # the CPU, or PyTorch's error for a device npgrad lacks
        if dtype is not None:
            dtype = D.as_dtype(dtype)
            if dtype.np.kind not in "fc":
                raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but got desired "
                                f"dtype={dtype}")
            target = dtype.np
            self._apply(lambda a: a.astype(target) if a.dtype.kind == "f" and a.dtype != target else a)
        fmt = _layout.check(kwargs.get("memory_format"), "to")
        if fmt is not None:
            # as in PyTorch, only the 4-d and 5-d tensors (convolution weights) change layout
            self._apply(lambda a: _layout.as_format(a, fmt) if a.ndim in (4, 5) else a)
        return self

    def double(self):
        return self._apply(lambda a: a.astype(np.float64) if a.dtype.kind == "f" else a)

    def float(self):
        return self._apply(lambda a: a.astype(np.float32) if a.dtype.kind == "f" else a)

    def half(self):
        return self._apply(lambda a: a.astype(np.float16) if a.dtype.kind == "f" else a)

    def type(self, dst_type):
        return self.to(dst_type)

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise AssertionError(NO_CUDA)

    def share_memory(self):
        return self

    def compile(self, *args, **kwargs):
        """Compile this module's forward in place, as ``Module.compile``: the arguments are checked as
        :func:`npgrad.compile` checks them, and the module keeps running eagerly (same numbers, same
        state_dict keys). Returns None."""
        from ..compiler import _compile

        _compile(lambda *a, **k: None, *args, **kwargs)

    # ------------------------------------------------------------------ state
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if getattr(self.__class__, "get_extra_state", Module.get_extra_state) is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by ``prefix`` + dotted name, in registration order (PyTorch's keys).

        The values are detached tensors sharing memory with the module's (the tensors themselves
        with ``keep_vars=True``).
        """
        if args:  # old positional form state_dict(destination, prefix, keep_vars)
            import warnings

            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
                          " for details.", FutureWarning, stacklevel=2)
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            hook_result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if hook_result is not None:
                    destination = hook_result
            elif hook_result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        """Copy this module's own entries (not its children's) from ``state_dict``, collecting problems."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(), self._buffers.items())
                       if v is not None and k not in self._non_persistent_buffers_set}
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                                  f"Tensor-like object from checkpoint but received {type(input_param)}")
                continue
            is_param_lazy = getattr(param, "_is_lazy", False)  # uninitialized: no shape to compare yet
            if not is_param_lazy and param.ndim == 0 and input_param.ndim == 1 and input_param.shape[0] == 1:
                input_param = input_param[0]
            if not is_param_lazy and input_param.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{_torch_size(input_param.shape)} from checkpoint, the shape in current model "
                                  f"is {_torch_size(param.shape)}.")
                continue
            try:
                if assign:
                    if isinstance(param, Parameter):
                        if not isinstance(input_param, Parameter):
                            input_param = Parameter(input_param, requires_grad=param.requires_grad)
                        else:
                            input_param.requires_grad_(param.requires_grad)
                    setattr(self, name, input_param)
                elif not (is_param_lazy and getattr(input_param, "_is_lazy", False)):
                    np.copyto(param._data, input_param._data, casting="unsafe")
            except Exception as ex:  # e.g. read-only destination
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{_torch_size(param.size())} and whose dimensions in the checkpoint are "
                                  f"{_torch_size(input_param.size())}, an exception occurred : {ex.args}.")
        extra_state_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if getattr(self.__class__, "set_extra_state", Module.set_extra_state) is not Module.set_extra_state:
            if extra_state_key in state_dict:
                self.set_extra_state(state_dict[extra_state_key])
            elif strict:
                missing_keys.append(extra_state_key)
        elif strict and extra_state_key in state_dict:
            unexpected_keys.append(extra_state_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_state_key:
                    input_name = key[len(prefix):].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` into this module and its descendants.

        Returns the named tuple ``(missing_keys, unexpected_keys)``; with ``strict`` either being
        non-empty is an error.  ``assign=True`` puts the state dict's tensors in place of the
        module's (keeping each parameter's ``requires_grad``) instead of copying into them.
        """
        if not isinstance(state_dict, container_abcs.Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing_keys,
                                         unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state_dict = {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)}
                    load(child, child_state_dict, child_prefix)
            incompatible_keys = _IncompatibleKeys(missing_keys, unexpected_keys)
            for hook in module._load_state_dict_post_hooks.values():
                out = hook(module, incompatible_keys)
                if out is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not expected to return "
                        "new values, if incompatible_keys need to be modified, it should be done inplace.")

        load(self, state_dict)
        del load
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self.__class__.__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ------------------------------------------------------------------ repr
    def extra_repr(self):
        """The layer's settings shown inside ``repr``'s parentheses; empty by default."""
        return ""

    def __repr__(self):
        extra_lines = []
        extra_repr = self.extra_repr()
        if extra_repr:
            extra_lines = extra_repr.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        return main_str + ")"

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_backward_hooks" not in self.__dict__:
            self.__dict__["_backward_hooks"] = OrderedDict()
            self.__dict__["_is_full_backward_hook"] = None
        for name in ("_backward_pre_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                     "_forward_pre_hooks_with_kwargs", "_state_dict_pre_hooks", "_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                self.__dict__[name] = OrderedDict()


def _torch_size(shape):
    return f"torch.Size({list(shape)})"


# --------------------------------------------------------------------------- containers


def _abs_string_index(container, idx):
    """``str`` of the non-negative index for ``idx``, with PyTorch's IndexError when out of range."""
    idx = operator.index(idx)
    if not (-len(container) <= idx < len(container)):
        raise IndexError(f"index {idx} is out of range")
    if idx < 0:
        idx += len(container)
    return str(idx)


def _renumbered(modules):
    return OrderedDict(zip([str(i) for i in range(len(modules))], modules.values()))


class Sequential(Module):
    """Modules applied one after another; indexable, sliceable, appendable.

    ``Sequential(m1, m2, ...)`` names the children ``'0'``, ``'1'``, ...;
    ``Sequential(OrderedDict([(name, module), ...]))`` uses the given names.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def _get_item_by_idx(self, iterator, idx):
        size = len(self)
        idx = operator.index(idx)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range")
        idx %= size
        return next(itertools.islice(iterator, idx, None))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(self._modules.values(), idx)

    def __setitem__(self, idx, module):
        key = self._get_item_by_idx(self._modules.keys(), idx)
        return setattr(self, key, module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            delattr(self, self._get_item_by_idx(self._modules.keys(), idx))
        self._modules = _renumbered(self._modules)

    def __len__(self):
        return len(self._modules)

    def __add__(self, other):
        if isinstance(other, Sequential):
            ret = Sequential()
            for layer in self:
                ret.append(layer)
            for layer in other:
                ret.append(layer)
            return ret
        raise ValueError(f"add operator supports only objects of Sequential class, but {str(type(other))} is given.")

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def __iadd__(self, other):
        if isinstance(other, Sequential):
            offset = len(self)
            for i, module in enumerate(other):
                self.add_module(str(i + offset), module)
            return self
        raise ValueError(f"add operator supports only objects of Sequential class, but {str(type(other))} is given.")

    def __mul__(self, other):
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        combined = Sequential()
        offset = 0
        for _ in range(other):
            for module in self:
                combined.add_module(str(offset), module)
                offset += 1
        return combined

    def __rmul__(self, other):
        return self.__mul__(other)

    def __imul__(self, other):
        if not isinstance(other, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(other)}")
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")
        len_original = len(self)
        offset = len(self)
        for _ in range(other - 1):
            for i in range(len_original):
                self.add_module(str(i + offset), self._modules[str(i)])
            offset += len_original
        return self

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, input):
        for module in self:
            input = module(input)
        return input

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not (-n <= index <= n):
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, sequential):
        for layer in sequential:
            self.append(layer)
        return self


class ModuleList(Module):
    """A list of modules, registered so that their parameters are found."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self += modules

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[_abs_string_index(self, idx)]

    def __setitem__(self, idx, module):
        return setattr(self, _abs_string_index(self, idx), module)

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for k in range(len(self._modules))[idx]:
                delattr(self, str(k))
        else:
            delattr(self, _abs_string_index(self, idx))
        self._modules = _renumbered(self._modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        combined = ModuleList()
        for i, module in enumerate(itertools.chain(self, other)):
            combined.add_module(str(i), module)
        return combined

    def __repr__(self):
        """Runs of equal entries print once, as ``(start-end): n x <module>``."""
        list_of_reprs = [repr(item) for item in self]
        if not list_of_reprs:
            return self._get_name() + "()"
        start_end_indices = [[0, 0]]
        repeated_blocks = [list_of_reprs[0]]
        for i, r in enumerate(list_of_reprs[1:], 1):
            if r == repeated_blocks[-1]:
                start_end_indices[-1][1] += 1
                continue
            start_end_indices.append([i, i])
            repeated_blocks.append(r)
        lines = []
        for (start_id, end_id), b in zip(start_end_indices, repeated_blocks):
            local_repr = f"({start_id}): {b}"
            if start_id != end_id:
                local_repr = f"({start_id}-{end_id}): {end_id - start_id + 1} x {b}"
            lines.append(_addindent(local_repr, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def insert(self, index, module):
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def extend(self, modules):
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self


class ModuleDict(Module):
    """A dict of modules, registered under their keys (in insertion order)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        if not isinstance(modules, container_abcs.Iterable):
            raise TypeError("ModuleDict.update should be called with an iterable of key/value pairs, but got "
                            + type(modules).__name__)
        if isinstance(modules, (OrderedDict, ModuleDict, container_abcs.Mapping)):
            for key, module in modules.items():
                self[key] = module
        else:
            for j, m in enumerate(modules):
                if not isinstance(m, container_abcs.Iterable):
                    raise TypeError("ModuleDict update sequence element #" + str(j) + " should be Iterable; is"
                                    + type(m).__name__)
                if not len(m) == 2:
                    raise ValueError("ModuleDict update sequence element #" + str(j) + " has length "
                                     + str(len(m)) + "; 2 is required")
                self[m[0]] = m[1]


def _parameter_lines(items, type_name):
    """ParameterList/ParameterDict ``extra_repr``: a ``(key): Parameter containing: [type of size AxB]`` line each."""
    child_lines = []
    for k, p in items:
        if isinstance(p, Tensor):
            size_str = "x".join(str(size) for size in p.size())
            parastr = "{} containing: [{} of size {}]".format(
                "Parameter" if isinstance(p, Parameter) else "Tensor", type_name(p), size_str)
            child_lines.append("  (" + str(k) + "): " + parastr)
        else:
            child_lines.append("  (" + str(k) + "): Object of type: " + type(p).__name__)
    return "\n".join(child_lines)


class ParameterList(Module):
    """A list of parameters, registered under ``'0'``, ``'1'``, ...; tensors are wrapped in ``Parameter``."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            start, stop, step = idx.indices(len(self))
            out = self.__class__()
            for i in range(start, stop, step):
                out.append(self[i])
            return out
        return getattr(self, _abs_string_index(self, idx))

    def __setitem__(self, idx, param):
        idx = _abs_string_index(self, idx)
        if isinstance(param, Tensor) and not isinstance(param, Parameter):
            param = Parameter(param)
        return setattr(self, idx, param)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        new_idx = len(self)
        self._size += 1
        self[new_idx] = value
        return self

    def extend(self, values):
        if not isinstance(values, container_abcs.Iterable) or isinstance(values, Tensor):
            raise TypeError("ParameterList.extend should be called with an iterable, but got "
                            + type(values).__name__)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self):
        return _parameter_lines(enumerate(self), lambda p: str(p.dtype))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(Module):
    """A dict of parameters, registered under their keys; tensors are wrapped in ``Parameter``.

    As in PyTorch, a plain ``dict`` given to the constructor or ``update`` is added in sorted key
    order; an ``OrderedDict``, a ``ParameterDict`` or a sequence of pairs keeps its order.
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key):
        if not isinstance(key, str):
            raise TypeError("Index given to ParameterDict cannot be used as a key as it is not a string "
                            f"(type is '{type(key).__name__}'). Open an issue on github if you need non-string keys.")
        return key

    def __getitem__(self, key):
        return getattr(self, self._key_to_attr(key))

    def __setitem__(self, key, value):
        self._keys[key] = None
        attr = self._key_to_attr(key)
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, attr, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def copy(self):
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def __contains__(self, key):
        return key in self._keys

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self):
        for k in self._keys.copy():
            del self[k]

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def popitem(self):
        k, _ = self._keys.popitem()
        self._keys[k] = None
        val = self[k]
        del self[k]
        return k, val

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        return ParameterDict((k, default) for k in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def update(self, parameters):
        if not isinstance(parameters, container_abcs.Iterable):
            raise TypeError("ParametersDict.update should be called with an iterable of key/value pairs, but got "
                            + type(parameters).__name__)
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            for key, parameter in parameters.items():
                self[key] = parameter
        elif isinstance(parameters, container_abcs.Mapping):
            for key, parameter in sorted(parameters.items()):
                self[key] = parameter
        else:
            for j, p in enumerate(parameters):
                if not isinstance(p, container_abcs.Iterable):
                    raise TypeError("ParameterDict update sequence element #" + str(j) + " should be Iterable; is"
                                    + type(p).__name__)
                if not len(p) == 2:
                    raise ValueError("ParameterDict update sequence element #" + str(j) + " has length "
                                     + str(len(p)) + "; 2 is required")
                self[p[0]] = p[1]

    def extra_repr(self):
        return _parameter_lines(self.items(), _typename)

    def __call__(self, input):
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other):
        copy = self.copy()
        copy.update(other)
        return copy

    def __ror__(self, other):
        copy = other.copy()
        copy.update(self)
        return copy

    def __ior__(self, other):
        self.update(other)
        return self
