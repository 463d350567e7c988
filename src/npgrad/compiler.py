"""``torch.compiler`` and ``torch.compile`` for a library that runs every program eagerly.

npgrad has no graph capture or code generation: its speed comes from NumPy and the fused Numba kernels
every op already uses. ``compile`` therefore returns something that runs the original code with the same
numbers, shaped as PyTorch returns it:

* a module becomes an ``OptimizedModule`` holding it as ``_orig_mod``: attribute reads and writes go to
  the original, ``state_dict`` keys get PyTorch's ``_orig_mod.`` prefix, ``train``/``eval`` reach it;
* a function becomes a wrapper calling it (``functools.wraps``, so ``__wrapped__`` is the original);
* with ``disable=True`` the argument itself comes back.

``mode`` and ``backend`` are checked as PyTorch checks them; ``fullgraph``, ``dynamic`` and ``options``
are accepted and have no effect. ``is_compiling()`` is ``False`` everywhere (nothing is ever traced).

Example:
    >>> import npgrad as torch
    >>> model = torch.compile(torch.nn.Linear(2, 3))
    >>> list(model.state_dict())
    ['_orig_mod.weight', '_orig_mod.bias']
"""
from __future__ import annotations

import contextlib
import functools

from .nn.module import Module

__all__ = ["compile", "disable", "reset", "allow_in_graph", "assume_constant_result", "substitute_in_graph",
           "list_backends", "set_default_backend", "get_default_backend", "set_stance",
           "cudagraph_mark_step_begin", "wrap_numpy", "is_compiling", "is_dynamo_compiling", "is_exporting",
           "nested_compile_region", "OptimizedModule"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")
_DEBUG_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_decomp_partition_crossref",
                   "aot_eager_decomp_partition_with_mode", "aot_eager_default_partitioner", "aot_ts",
                   "dynamo_accuracy_minifier_backend", "dynamo_minifier_backend", "eager", "eager_debug",
                   "eager_noexcept", "invoke_subgraph", "openxla_eval", "pre_dispatch_eager", "ts")
_default_backend = ["inductor"]


class InvalidBackend(RuntimeError):
    """An unknown ``backend=`` name (PyTorch's ``torch._dynamo.exc.InvalidBackend``)."""

    def __init__(self, name):
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for available backends.")


class OptimizedModule(Module):
    """A compiled module, as ``torch.compile(module)`` returns it: runs ``_orig_mod`` unchanged.

    Reads and writes of attributes other than its own go to the original module, so
    ``compiled.fc.weight`` and ``compiled.my_flag = True`` behave as on the original; ``state_dict``
    keys are prefixed with ``_orig_mod.`` as in PyTorch.
    """

    _opt_mod_attributes = {"_orig_mod", "dynamo_ctx", "forward", "__dict__", "_super_module_initialized"}

    def __init__(self, mod: Module, dynamo_ctx=None) -> None:
        object.__setattr__(self, "_orig_mod", mod)
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        self._super_module_initialized = True
        self._orig_mod = mod  # registered as the only child
        self.dynamo_ctx = dynamo_ctx
        self.forward = mod.__call__  # the original's hooks run as they would uncompiled

    def __len__(self) -> int:
        if hasattr(self._orig_mod, "__len__"):
            return len(self._orig_mod)
        raise TypeError(f"{type(self._orig_mod).__name__} does not support len()")

    @property
    def training(self) -> bool:
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        if self.__dict__.get("_super_module_initialized"):
            self._orig_mod.training = value

    def __getattr__(self, name):
        if name == "_orig_mod":
            return self._modules["_orig_mod"]
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name):
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __reduce__(self):
        return (self.__class__, (self._orig_mod, self.dynamo_ctx))

    def __dir__(self):
        orig = self._orig_mod.__dir__()
        return orig + [attr for attr in super().__dir__() if attr not in orig]


def _check_backend(backend):
    if backend is None or callable(backend):
        return
    if backend not in _BACKENDS + _DEBUG_BACKENDS:
        raise InvalidBackend(backend)


def _wrap(model, backend=None):
    """``model`` as ``compile`` returns it: modules wrapped in ``OptimizedModule``, functions in a wrapper."""
    if isinstance(model, Module):
        return OptimizedModule(model, backend)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled


def _compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None, name=None,
             disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """``torch.compile`` (see ``npgrad.compile``)."""
    if backend is None:
        backend = _default_backend[0]
    if model is None:
        def decorator(model):
            if model is None:
                raise RuntimeError("Model can't be None")
            return _compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                            options=options, name=name, disable=disable, recompile_limit=recompile_limit,
                            isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)

        return decorator
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if backend == "inductor" and mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    _check_backend(backend)
    if dynamic is not None and not isinstance(dynamic, bool):
        raise AssertionError(f"Expected enable to be a bool, got {type(dynamic)}")
    if disable:
        return model
    return _wrap(model, backend)


compile = _compile


def disable(fn=None, recursive=True, *, reason=None):
    """Mark ``fn`` as never compiled: it runs as it is (as every npgrad function does). Usable as
    ``@disable`` and ``@disable(recursive=False)``."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)
    return _wrap(fn)


def reset() -> None:
    """Clear compilation caches: npgrad keeps none."""


def allow_in_graph(fn):
    """Let ``fn`` appear in compiled graphs as it is: returns ``fn``."""
    if not callable(fn) and not isinstance(fn, (list, tuple)):
        raise AssertionError("allow_in_graph expects a callable")
    return fn


def assume_constant_result(fn):
    """Treat ``fn``'s result as a constant when compiling: returns ``fn``."""
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    """Decorator registering a traceable replacement for ``original_fn``: returns the replacement."""
    def register(fn):
        return fn

    return register


def nested_compile_region(fn=None, *, options=None, max_reuse_entries=8, reuse_hash_fn=None):
    """Mark ``fn`` as a region compiled once and reused: returns a wrapper calling it."""
    if fn is None:
        return functools.partial(nested_compile_region, options=options, max_reuse_entries=max_reuse_entries,
                                 reuse_hash_fn=reuse_hash_fn)
    return _wrap(fn)


def wrap_numpy(fn):
    """Let ``fn`` (written for NumPy arrays) take and return tensors: arrays in, tensors out."""
    from .tensor import Tensor, from_numpy

    def unwrap(x):
        if isinstance(x, Tensor):
            return x.detach().numpy()
        if isinstance(x, (list, tuple)):
            return type(x)(unwrap(v) for v in x)
        if isinstance(x, dict):
            return {k: unwrap(v) for k, v in x.items()}
        return x

    def rewrap(x):
        import numpy as np

        if isinstance(x, np.ndarray):
            return from_numpy(x)
        if isinstance(x, (list, tuple)):
            return type(x)(rewrap(v) for v in x)
        if isinstance(x, dict):
            return {k: rewrap(v) for k, v in x.items()}
        return x

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        return rewrap(fn(*unwrap(args), **unwrap(kwargs)))

    return wrapped


def list_backends(exclude_tags=("debug", "experimental")) -> list:
    """The backend names ``compile`` accepts (all run the model eagerly in npgrad)."""
    return sorted(_BACKENDS if exclude_tags else _BACKENDS + _DEBUG_BACKENDS)


def set_default_backend(backend) -> None:
    """The backend ``compile`` uses when none is given (``None``: back to ``"inductor"``)."""
    _default_backend[0] = "inductor" if backend is None else backend


def get_default_backend():
    return _default_backend[0]


class set_stance(contextlib.ContextDecorator):
    """Set how compiled code runs (``"default"``, ``"force_eager"`` ...): npgrad always runs eagerly.

    Usable as a call, a context manager and a decorator."""

    def __init__(self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False, force_backend=None):
        self.stance = stance

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def cudagraph_mark_step_begin() -> None:
    """Mark the start of an iteration for CUDA graphs: nothing to mark without CUDA."""


def is_compiling() -> bool:
    """Whether the code runs inside a compiler trace: ``False``, npgrad never traces."""
    return False


def is_dynamo_compiling() -> bool:
    """``False``: npgrad never traces."""
    return False


def is_exporting() -> bool:
    """``False``: npgrad never exports."""
    return False
