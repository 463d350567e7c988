"""The Optimizer base class: parameter groups, per-parameter state, state dicts and hooks.

Every algorithm in :mod:`npgrad.optim` subclasses :class:`Optimizer` and follows
PyTorch's contract (``torch.optim.Optimizer``):

* ``param_groups`` is a list of dicts; each holds ``"params"`` (a list of
  tensors) and one value per hyper-parameter, filled from ``defaults``.
* ``state`` maps a parameter to its dict of buffers (``"step"``, ``"exp_avg"``
  ...), created lazily at its first step.
* ``state_dict()`` replaces the tensors by their integer index (in group order),
  and ``load_state_dict()`` maps them back, with PyTorch's checks.

The update itself is a pure function written once in each algorithm's file, in
the paper's symbols (:func:`run_update` runs it). The SGD-with-momentum update
the seeds describe reads there as::

    v = mu * v + g          # momentum buffer
    w = w - lr * v

``fused`` / ``foreach`` arguments: npgrad runs every elementwise update as one
fused in-place Numba pass per parameter (the formula compiled by
:mod:`npgrad.kernels.optim`). ``fused=False`` runs the very same formula on whole
NumPy arrays instead (the reference). ``foreach`` is accepted and stored for
compatibility; npgrad has one device and no multi-tensor launches to batch, so
it changes nothing.

Example::

    >>> import npgrad
    >>> w = npgrad.nn.Parameter(npgrad.ones(3))
    >>> opt = npgrad.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> w.sum().backward(); opt.step()
    >>> w
    Parameter containing:
    tensor([0.9000, 0.9000, 0.9000], requires_grad=True)
"""
from __future__ import annotations

import contextlib
import functools
import threading
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable

import numpy as np

from .. import _layout, memory
from .._hooks import RemovableHandle

__all__ = [
    "Optimizer",
    "required",
    "register_optimizer_step_pre_hook",
    "register_optimizer_step_post_hook",
    "run_update",
    "numpy_reference",
]


class _RequiredParameter:
    """Singleton for a hyper-parameter without a default."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


_global_optimizer_pre_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_optimizer_post_hooks: "OrderedDict[int, Callable]" = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` run before every ``step``."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register ``hook(optimizer, args, kwargs)`` run after every ``step``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


# --------------------------------------------------------------------------- helpers shared by the algorithms
def _tensor_type():
    global _Tensor
    if _Tensor is None:     # imported on first use: npgrad.tensor imports this package
        from npgrad.tensor import Tensor

        _Tensor = Tensor
    return _Tensor


_Tensor = None


def _is_tensor(x) -> bool:
    return isinstance(x, _tensor_type())


def _check_adam_hyperparameters(lr, eps, betas, weight_decay) -> None:
    """The range checks the Adam family shares, in PyTorch's order and wording."""
    if _is_tensor(lr) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _typename(obj) -> str:
    """``torch.typename``: ``npgrad.FloatTensor`` for tensors, the class path otherwise."""
    if _is_tensor(obj):
        names = {"float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor",
                 "int8": "CharTensor", "int16": "ShortTensor", "int32": "IntTensor",
                 "int64": "LongTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
        return "npgrad." + names.get(obj._data.dtype.name, "Tensor")
    module = type(obj).__module__
    if module in (None, "builtins"):
        return type(obj).__qualname__
    return f"{module}.{type(obj).__qualname__}"


def _to_scalar(x):
    """A 1-element tensor hyper-parameter (``lr=npgrad.tensor(0.01)``) as a Python float."""
    if _is_tensor(x):
        return float(x._data.reshape(-1)[0])
    return x


def _scalar_dtype():
    """dtype of the ``step`` counters: float32, or float64 when that is the default dtype."""
    import npgrad

    get_default = getattr(npgrad, "get_default_dtype", None)
    if get_default is not None and get_default() is getattr(npgrad, "float64", None):
        return np.float64
    return np.float32


def _scalar_tensor(value: float):
    """A 0-d tensor holding a per-parameter scalar such as ``step`` (as PyTorch keeps it)."""
    return _tensor_type()._wrap(np.array(value, dtype=_scalar_dtype()))


def _zeros_like(p):
    return _full_like(p, 0)


def _full_like(p, value):
    """A state buffer for the tensor or array ``p`` (the parameter, or its gradient where PyTorch's state
    starts from it): laid out as ``p`` (PyTorch's ``preserve_format``), in 64-byte aligned memory as
    PyTorch's allocator gives, so that the fused pass's vector loads of it never straddle two cache lines."""
    state = _layout.empty_like(p if isinstance(p, np.ndarray) else p._data, allocate=memory.empty)
    state.fill(value)
    return _tensor_type()._wrap(state)


def _check_fused_dtype(p) -> None:
    if p._data.dtype.kind != "f":
        raise RuntimeError(
            "`fused=True` requires all the params to be floating point Tensors of "
            f"supported devices: ['cpu'] but {p.dtype} and cpu")


def _check_fused_foreach(fused, foreach, differentiable) -> None:
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _grad_array(p, name: str) -> np.ndarray:
    grad = p.grad
    if getattr(grad, "is_sparse", False):
        raise RuntimeError(f"{name} does not support sparse gradients")
    return grad._data


# --------------------------------------------------------------------------- running one update formula
_use_kernels = True
_batch = threading.local()  # the fused updates collected during one step (per thread)


def _stepping_ids() -> set:
    """Ids of the optimizers whose ``step`` is running in this thread (their hooks already ran)."""
    ids = getattr(_batch, "stepping", None)
    if ids is None:
        ids = _batch.stepping = set()
    return ids


@contextlib.contextmanager
def _batched_updates():
    """Collect the fused updates of one ``step`` and run them together (one hand-off to the threads)."""
    if getattr(_batch, "jobs", None) is not None:  # a step inside a step
        yield
        return
    _batch.jobs = []
    try:
        yield
    finally:
        jobs, _batch.jobs = _batch.jobs, None
        if jobs:
            from npgrad.kernels import optim as kernels

            kernels.run_all(jobs)


@contextlib.contextmanager
def numpy_reference():
    """Run every optimizer update as plain NumPy on whole arrays inside this block (the reference)."""
    global _use_kernels
    previous = _use_kernels
    _use_kernels = False
    try:
        yield
    finally:
        _use_kernels = previous


def run_update(formula, w: np.ndarray, g: np.ndarray, buffers, scalars, fused=None) -> None:
    """Apply ``formula`` to one parameter in place.

    ``formula(w, g, *buffers, *scalars)`` returns the new ``(w, *buffers)``. An
    absent optional buffer is passed as ``None``: the NumPy reference hands the
    formula ``w`` in its place and writes the outputs last to first, so the
    parameter's own write wins; the fused pass never writes it.

    By default the formula compiled by Numba runs as one fused pass over the
    elements (:mod:`npgrad.kernels.optim`); ``fused=False`` (or inside
    :func:`numpy_reference`) evaluates the same function on whole arrays.
    Float hyper-parameters are cast to the parameter's dtype first, so float32
    parameters are updated in float32 arithmetic by both engines.
    """
    if g.dtype != w.dtype:
        g = g.astype(w.dtype)
    contiguous = w.flags.c_contiguous
    if not contiguous and _layout.non_overlapping_and_dense(w) and min(w.strides, default=0) > 0 \
            and all(b is None or b.strides == w.strides for b in buffers):
        # a transposed or channels-last parameter whose state is laid out as it (preserve_format): the same
        # permutation of dims makes every array C-contiguous, and the pass runs over memory in order
        order = _layout.memory_order(w)
        w, g = w.transpose(order), g.transpose(order)
        buffers = [None if b is None else b.transpose(order) for b in buffers]
        contiguous = w.flags.c_contiguous
    for b in buffers:
        if b is not None and not b.flags.c_contiguous:
            contiguous = False
    if fused is not False and _use_kernels and contiguous and w.dtype != np.float16:   # no float16 in Numba
        # the compiled pass casts the float hyper-parameters to w's dtype itself
        flat = [None if b is None else b.reshape(-1) for b in buffers]
        if not g.flags.c_contiguous:
            g = np.ascontiguousarray(g)
        job = (formula, w.reshape(-1), g.reshape(-1), flat, tuple(scalars))
        pending = getattr(_batch, "jobs", None)
        if pending is not None:  # inside Optimizer.step: run with the other parameters' updates
            pending.append(job)
        else:
            from npgrad.kernels import optim as kernels

            kernels.run_all([job])
        return
    dtype = w.dtype.type
    scalars = tuple(dtype(s) if isinstance(s, float) else s for s in scalars)
    outputs = [w] + [w if b is None else b for b in buffers]
    results = formula(w, g, *outputs[1:], *scalars)
    for target, value in reversed(list(zip(outputs, results))):
        if value is not target:
            target[...] = value


# --------------------------------------------------------------------------- the base class
class Optimizer:
    r"""Base class for all optimizers (``torch.optim.Optimizer``).

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts
            defining parameter groups.
        defaults: default values of the optimization options, used when a
            parameter group does not set them.

    Parameters are kept in the order given (never a set), so state dicts
    round-trip between runs.
    """

    # flags a subclass fills into param groups loaded from an older state (each torch optimizer's __setstate__)
    _group_flag_defaults: dict = {}

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()

        if _is_tensor(params):
            raise TypeError(
                "params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got " + _typename(params))

        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __init_subclass__(cls, **kwargs):
        """Wrap each subclass's ``step`` so the step pre/post hooks run around it."""
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = Optimizer._with_step_hooks(step)

    @staticmethod
    def _with_step_hooks(step):
        @functools.wraps(step)
        def wrapper(*args, **kwargs):
            # the hooks see the bound optimizer as ``args[0]``, as in PyTorch
            self = args[0]
            stepping = _stepping_ids()
            if id(self) in stepping:  # a subclass's step calling super().step(): hooks run once
                return step(*args, **kwargs)
            stepping.add(id(self))
            try:
                return Optimizer._hooked_step(step, self, args, kwargs)
            finally:
                stepping.discard(id(self))

        wrapper._hooked = True
        return wrapper

    @staticmethod
    def _hooked_step(step, self, args, kwargs):
        """Run the pre hooks, ``step`` (its fused updates batched together), then the post hooks."""
        for pre_hook in chain(_global_optimizer_pre_hooks.values(),
                              self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(
                        f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
        with _batched_updates():
            out = step(*args, **kwargs)
        for post_hook in chain(self._optimizer_step_post_hooks.values(),
                               _global_optimizer_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:  # groups saved before a flag existed get its default
            for key, value in self._group_flag_defaults.items():
                group.setdefault(key, value)

    def __repr__(self) -> str:
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    value = group[key]
                    if _is_tensor(value) and value.ndim == 0:  # f"{t}" of a 0-d tensor is f"{t.item()}"
                        value = value.item()
                    format_string += f"    {key}: {value}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs) -> None or (args, kwargs)`` run before ``step``."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Register ``hook(optimizer, args, kwargs)`` run after ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    @staticmethod
    def _register(hooks: OrderedDict, hook: Callable, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer)`` run before :meth:`state_dict`."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None`` run after :meth:`state_dict`."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer, state_dict) -> state_dict or None`` run before :meth:`load_state_dict`."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register ``hook(optimizer)`` run after :meth:`load_state_dict`."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """The optimizer state as ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are replaced by their position, counted across the groups in
        order; the state tensors are the live buffers (not copies), as in PyTorch.
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings: dict[int, int] = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if _is_tensor(k) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        """Cast a loaded state tensor to the parameter's float dtype; ``step`` stays as saved."""
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        Tensor = _tensor_type()
        if key == "step":
            if capturable or fused:
                return Tensor._wrap(np.asarray(value._data, dtype=np.float32))
            return value
        if param._data.dtype.kind == "f" and value._data.dtype != param._data.dtype:
            return Tensor._wrap(value._data.astype(param._data.dtype))
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by :meth:`state_dict` (PyTorch's structure and checks)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group "
                             "that doesn't match the size of optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, param_id=None, param_groups=None, key=None):
            if _is_tensor(value):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v, param_id=param_id, param_groups=param_groups)
                                   for v in value)
            return value

        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, param_id=k, param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ------------------------------------------------------------------ the rest of the contract
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to ``None`` (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        grad = p.grad
                        if getattr(grad, "_node", None) is not None:
                            grad = grad.detach()
                            p.grad = grad
                        grad.requires_grad = False
                        grad._data[...] = 0

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (e.g. layers unfrozen while fine-tuning), filled from ``defaults``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if _is_tensor(params):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are missing")

        for param in param_group["params"]:
            if not _is_tensor(param):
                raise TypeError("optimizer can only optimize Tensors, "
                                "but one of the params is " + _typename(param))
            is_leaf = getattr(param, "is_leaf", getattr(param, "_node", None) is None)
            if not self.defaults.get("differentiable", None) and not (
                    is_leaf or getattr(param, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3)

        param_ids: set[int] = set()
        for group in self.param_groups:
            param_ids.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {current} to the optimizer")
        if not param_ids.isdisjoint(id(p) for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ used by the algorithms
    def _closure_loss(self, closure):
        """Evaluate ``closure`` with gradients enabled (``step`` itself runs under no_grad)."""
        if closure is None:
            return None
        import npgrad

        with npgrad.enable_grad():
            return closure()

    def _params_with_grad(self, group):
        return [p for p in group["params"] if p.grad is not None]
