"""``torch.jit`` (TorchScript) for a library without a script compiler.

Decision: ``script`` and ``trace`` return the module or function they are given, unchanged, after
PyTorch's ``DeprecationWarning`` (TorchScript is deprecated in PyTorch 2.13). That is exactly what
PyTorch itself does with ``PYTORCH_JIT=0``: the returned object runs the same code and gives the same
numbers, keeps its parameters, state_dict keys and hooks, and can still be trained. What a real
``ScriptModule`` adds (a serialised graph for ``torch.jit.save``, a C++-loadable artifact) does not
exist in npgrad: ``save``/``load`` are not provided.

The decorators (``ignore``, ``unused``, ``export``) mark the function as PyTorch does and return it;
``is_scripting()`` and ``is_tracing()`` are ``False``; ``annotate`` returns its value; ``fork`` runs the
function at once and returns a completed ``Future``; ``freeze`` and ``optimize_for_inference`` return the
(eval-mode) module.

Example:
    >>> import npgrad as torch
    >>> torch.jit.is_scripting()
    False
    >>> torch.jit.annotate(int, 3)
    3
"""
from __future__ import annotations

import builtins
import functools
import typing
import warnings
from typing import Final  # noqa: F401  (torch.jit.Final is typing.Final)

__all__ = ["Attribute", "Final", "Future", "annotate", "export", "fork", "freeze", "ignore", "is_scripting",
           "is_tracing", "isinstance", "optimize_for_inference", "script", "script_if_tracing", "script_method",
           "trace", "trace_module", "unused", "wait"]


class FunctionModifiers:
    """How TorchScript would treat a decorated function (kept as ``fn._torchscript_modifier``)."""

    UNUSED = "unused (ignored and replaced with raising of an exception)"
    IGNORE = "ignore (leave as a call to Python, cannot be torch.jit.save'd)"
    EXPORT = "export (compile this function even if nothing calls it)"
    DEFAULT = "default (compile if called from an exported function / forward)"
    COPY_TO_SCRIPT_WRAPPER = "if this method is not scripted, copy the python method onto the scripted model"


class Attribute(typing.NamedTuple):
    """A module attribute with its TorchScript type; outside TorchScript just ``(value, type)``."""

    value: typing.Any
    type: typing.Any


builtins_isinstance = builtins.isinstance


def _deprecated(what: str, instead: str = "Please switch to `torch.compile` or `torch.export`.") -> None:
    warnings.warn(f"`torch.jit.{what}` is deprecated. {instead}", DeprecationWarning, stacklevel=3)


def is_scripting() -> bool:
    """Whether the code is being compiled by TorchScript: ``False``, npgrad runs Python."""
    return False


def is_tracing() -> bool:
    """Whether the code is being traced by ``torch.jit.trace``: ``False``, tracing records nothing."""
    return False


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``obj`` (a module, function or class) itself, after PyTorch's deprecation warning."""
    _deprecated("script")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=2)
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """``func`` (a module or function) itself, after PyTorch's deprecation warning."""
    _deprecated("trace")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with torch.jit.optimized_execution()` "
                      "instead", FutureWarning, stacklevel=2)
    return func


def script_method(fn):
    """``fn`` itself, after PyTorch's deprecation warning (a method of a ``ScriptModule`` subclass)."""
    _deprecated("script_method")
    return fn


def _script_module_base():
    from .nn.module import Module

    class ScriptModule(Module):
        """Base class of modules written for TorchScript; in npgrad an ordinary ``nn.Module``."""

    return ScriptModule


def __getattr__(name):
    if name in ("ScriptModule", "RecursiveScriptModule", "ScriptFunction"):
        if name == "ScriptFunction":
            value = type("ScriptFunction", (), {"__doc__": "Type of scripted functions; npgrad makes none."})
        else:
            value = globals().get("ScriptModule") or _script_module_base()
        globals()[name] = value
        return value
    raise AttributeError(f"module 'npgrad.jit' has no attribute '{name}'")


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
                 strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
                 example_inputs_is_kwarg=False, _store_inputs=True):
    """``mod`` itself, after PyTorch's deprecation warning."""
    _deprecated("trace_method")
    return mod


def script_if_tracing(fn):
    """A wrapper calling ``fn`` (it would be scripted only while tracing, and nothing is ever traced)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True):
    """``mod`` itself (freezing inlines parameters of a ScriptModule); it must be in eval mode, as in PyTorch."""
    _deprecated("freeze", "Please use `torch.compile` instead.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() "
                           "on your module before freezing.")
    return mod


def optimize_for_inference(mod, other_methods=None):
    """``mod`` itself, in eval mode (PyTorch freezes it and fuses ops; npgrad runs it as it is)."""
    _deprecated("optimize_for_inference", "Please use `torch.compile` instead.")
    return mod.eval() if mod.training else mod


def ignore(drop=False, **kwargs):
    """Leave a function to Python (``@ignore``) or drop it from the script (``@ignore(drop=True)``)."""
    if callable(drop):
        drop._torchscript_modifier = FunctionModifiers.IGNORE
        return drop
    if not builtins_isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}")
    drop_on_export = kwargs.pop("drop_on_export", None)
    if drop_on_export:
        warnings.warn("ignore(drop_on_export=True) has been deprecated. TorchScript will now drop the function "
                      "call on compilation. Use torch.jit.unused now. {}", FutureWarning, stacklevel=2)
        drop = drop_on_export
    elif drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function call on "
                      "compilation. Use torch.jit.unused now. {}", FutureWarning, stacklevel=2)

    def decorator(fn):
        fn._torchscript_modifier = FunctionModifiers.UNUSED if drop else FunctionModifiers.IGNORE
        return fn

    return decorator


def unused(fn):
    """Mark a method (or property) that TorchScript should replace with an exception; returns it."""
    if builtins_isinstance(fn, property):
        fn.fget._torchscript_modifier = FunctionModifiers.UNUSED
        if fn.fset:
            fn.fset._torchscript_modifier = FunctionModifiers.UNUSED
        return fn
    fn._torchscript_modifier = FunctionModifiers.UNUSED
    return fn


def export(fn):
    """Mark a method as a TorchScript entry point; returns it."""
    fn._torchscript_modifier = FunctionModifiers.EXPORT
    return fn


def annotate(the_type, the_value):
    """``the_value`` (the type hint is for TorchScript only)."""
    return the_value


class Future:
    """The result of ``fork``: already complete, since npgrad runs the forked function at once."""

    def __init__(self, value=None):
        self._value = value
        self._callbacks = []

    def done(self) -> bool:
        return True

    def wait(self):
        return self._value

    def value(self):
        return self._value

    def set_result(self, result) -> None:
        self._value = result

    def then(self, callback):
        return Future(callback(self))

    def add_done_callback(self, callback) -> None:
        callback(self)


def fork(func, *args, **kwargs) -> Future:
    """Run ``func(*args, **kwargs)`` (synchronously) and return its ``Future``."""
    _deprecated("fork", "Please use `torch.compile` instead.")
    return Future(func(*args, **kwargs))


def wait(future: Future):
    """The value of a ``Future`` from ``fork``."""
    _deprecated("wait", "Please use `torch.compile` instead.")
    return future.wait()


def isinstance(obj, target_type) -> bool:  # noqa: A001  (torch.jit.isinstance)
    """Whether ``obj`` matches ``target_type``, including parametrised containers (``list[int]``,
    ``dict[str, Tensor]``, ``Optional[T]``, ``tuple[...]``)."""
    origin = typing.get_origin(target_type)
    if origin is None:
        if target_type in (list, dict, tuple):
            raise RuntimeError(f"Attempted to use {target_type.__name__} without a contained type. Please add a "
                               f"contained type, e.g. {target_type.__name__}[int]")
        return builtins_isinstance(obj, target_type)
    args = typing.get_args(target_type)
    if origin is typing.Union:
        return any(isinstance(obj, a) if a is not type(None) else obj is None for a in args)
    if not builtins_isinstance(obj, origin):
        return False
    if origin is list:
        return all(isinstance(v, args[0]) for v in obj)
    if origin is dict:
        return all(isinstance(k, args[0]) and isinstance(v, args[1]) for k, v in obj.items())
    if origin is tuple:
        return len(obj) == len(args) and all(isinstance(v, a) for v, a in zip(obj, args))
    return True

