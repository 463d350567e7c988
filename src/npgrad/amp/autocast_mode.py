"""``autocast``: the mixed-precision region of PyTorch, as it behaves without CUDA.

The autocast state (enabled flag and lower-precision dtype per device type, the weight-cache flag and
the nesting depth) is kept per thread, as in PyTorch, and read by ``npgrad.is_autocast_enabled`` and
friends. What a region does in npgrad:

* ``device_type="cuda"`` (or ``torch.cuda.amp.autocast``): CUDA is not available, so PyTorch warns
  "CUDA is not available or torch_xla is imported. Disabling autocast." and runs the region in full
  precision; npgrad does the same.
* ``enabled=False``: a no-op region, on every device.
* ``device_type="cpu"`` with a dtype other than bfloat16/float16: PyTorch's warning, then disabled.
* ``device_type="cpu"`` enabled with bfloat16 (the default) or float16: PyTorch runs matmuls,
  convolutions and linear layers in that dtype. npgrad has no bfloat16 dtype and does not recast ops
  inside a region, so entering such a region raises ``NotImplementedError`` rather than silently
  computing in float32.
* other device types PyTorch accepts (``"mps"``, ``"xpu"`` ...): the flag is set as in PyTorch; no
  npgrad tensor lives on those devices, so nothing is recast, as in PyTorch.
"""
from __future__ import annotations

import collections.abc
import functools
import threading
import warnings

import numpy as np

from .. import _dtype as D
from ..tensor import Tensor

__all__ = ["autocast", "is_autocast_available", "custom_fwd", "custom_bwd"]

# the dtypes PyTorch autocasts to by default; "bfloat16" stands for a dtype npgrad does not have
BFLOAT16 = "bfloat16"
_DEFAULT_DTYPE = {"cpu": BFLOAT16, "maia": BFLOAT16, "xla": BFLOAT16, "hpu": BFLOAT16}
_AVAILABLE = ("cpu", "cuda", "ipu", "xpu", "maia", "xla", "mps", "hpu", "mtia")
_state = threading.local()


def _device(device_type) -> str:
    from .._runtime import device_type as parse

    return parse(device_type)


def _dtypes():
    if not hasattr(_state, "dtype"):
        _state.dtype = {}
        _state.enabled = {}
        _state.cache = True
        _state.nesting = 0
    return _state


def _dtype_name(dtype) -> str:
    return "torch.bfloat16" if dtype == BFLOAT16 else str(dtype)


def _fast_dtype(device_type: str):
    """The autocast dtype of a device type, ``BFLOAT16`` standing for bfloat16."""
    if device_type not in _AVAILABLE + ("hip", "privateuseone"):
        raise RuntimeError("unsupported scalarType")
    return _dtypes().dtype.get(device_type, _DEFAULT_DTYPE.get(device_type, D.float16))


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can be used with ``device_type`` (``"cpu"``, ``"cuda"``, ``"mps"``, ...)."""
    return _device(device_type) in _AVAILABLE


def get_autocast_dtype(device_type: str):
    """The lower-precision dtype autocast uses on ``device_type`` (``float16`` for ``"cuda"``).

    The CPU's default is bfloat16, a dtype npgrad does not have: asking for it raises ``TypeError``.
    """
    dtype = _fast_dtype(_device(device_type))
    if dtype == BFLOAT16:
        raise TypeError(f"the autocast dtype of '{_device(device_type)}' is bfloat16, a dtype npgrad does not have")
    return dtype


def set_autocast_dtype(device_type: str, dtype) -> None:
    """Set the dtype autocast uses on ``device_type``."""
    _dtypes().dtype[_device(device_type)] = D.as_dtype(dtype) if dtype != BFLOAT16 else dtype


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` (CUDA when not given)."""
    return _dtypes().enabled.get("cuda" if device_type is None else _device(device_type), False)


def set_autocast_enabled(*args) -> None:
    """``set_autocast_enabled(device_type, enabled)``, or ``set_autocast_enabled(enabled)`` for CUDA.

    Turning it on for the CPU raises ``NotImplementedError``: npgrad runs no CPU op in bfloat16 or float16
    inside autocast regions (see the module docstring).
    """
    if len(args) == 1:
        device_type, enabled = "cuda", args[0]
    elif len(args) == 2:
        device_type, enabled = _device(args[0]), args[1]
    else:
        raise TypeError(f"set_autocast_enabled() takes 1 or 2 positional arguments but {len(args)} were given")
    if enabled and device_type == "cpu":
        dtype = _fast_dtype("cpu")
        if dtype == BFLOAT16:
            reason = "bfloat16, a dtype npgrad does not have"
        else:
            reason = f"{dtype}, and npgrad does not recast ops inside autocast regions (ops keep their inputs' dtype)"
        raise NotImplementedError(f"CPU autocast would run matmuls, convolutions and linear layers in {reason}; "
                                  "run the region in full precision with autocast(..., enabled=False)")
    _dtypes().enabled[device_type] = bool(enabled)


def is_autocast_cache_enabled() -> bool:
    """Whether autocast keeps lower-precision copies of weights within a region (a flag only in npgrad)."""
    return _dtypes().cache


def set_autocast_cache_enabled(enabled: bool) -> None:
    _dtypes().cache = bool(enabled)


def clear_autocast_cache() -> None:
    """Drop autocast's cached weight copies: npgrad keeps none."""


def autocast_increment_nesting() -> int:
    """One more autocast region entered; returns the depth."""
    _dtypes().nesting += 1
    return _state.nesting


def autocast_decrement_nesting() -> int:
    """One autocast region left; returns the depth."""
    _dtypes().nesting -= 1
    return _state.nesting


def _deprecated(old: str, new: str):
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.", DeprecationWarning,
                  stacklevel=3)


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _deprecated("set_autocast_cpu_enabled", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("set_autocast_cpu_dtype", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("set_autocast_gpu_dtype", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def autocast_decorator(autocast_instance, func):
    """``func`` run inside ``autocast_instance`` on every call."""
    @functools.wraps(func)
    def decorate_autocast(*args, **kwargs):
        with autocast_instance:
            return func(*args, **kwargs)

    return decorate_autocast


class autocast:
    """A region (context manager or decorator) where ops may run in a lower precision.

    ``device_type`` is ``"cuda"``, ``"cpu"``, ``"mps"`` ...; ``dtype`` defaults to
    ``get_autocast_dtype(device_type)``. See the module docstring for what a region does in npgrad:
    CUDA regions warn and run in full precision as they do in PyTorch without CUDA, and enabled CPU
    regions raise ``NotImplementedError``.

    Example:
        >>> import npgrad as torch
        >>> with torch.autocast(device_type="cpu", enabled=False):
        ...     y = torch.ones(2, 2) @ torch.ones(2, 2)
        >>> y.dtype
        npgrad.float32
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.fast_dtype = _fast_dtype(_device(device_type)) if dtype is None else dtype
        self.device = device_type
        if not is_autocast_available(self.device):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{self.device}'")
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else cache_enabled
        if enabled:
            if self.device == "cuda":
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                enabled = False
            elif self.fast_dtype not in (BFLOAT16, D.float16):
                name = self.device.upper()
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                              f"{name} Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                              stacklevel=2)
                enabled = False
        self._enabled = enabled

    def __enter__(self):
        self.prev_cache_enabled = is_autocast_cache_enabled()
        self.prev = is_autocast_enabled(self.device)
        self.prev_fastdtype = _fast_dtype(_device(self.device))
        set_autocast_dtype(self.device, self.fast_dtype)
        try:
            set_autocast_enabled(self.device, self._enabled)
        except NotImplementedError:
            set_autocast_dtype(self.device, self.prev_fastdtype)
            raise
        autocast_increment_nesting()
        set_autocast_cache_enabled(self._cache_enabled)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if autocast_decrement_nesting() == 0:
            clear_autocast_cache()
        set_autocast_enabled(self.device, self.prev)
        set_autocast_dtype(self.device, self.prev_fastdtype)
        set_autocast_cache_enabled(self.prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"autocast()(func) requires a callable, but got {type(func).__name__}. Did you mean to "
                            "use autocast as a context manager? For example:\n    with torch.autocast(device_type="
                            "...):\n        output = model(input)")
        return autocast_decorator(self, func)


def _cast(value, device_type: str, dtype):
    """Floating tensors on ``device_type`` (float64 excepted) in ``value``, cast to ``dtype``; containers recurse."""
    if isinstance(value, Tensor):
        eligible = (value.is_floating_point() and value.device.type == device_type
                    and value.dtype is not D.float64)
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes, np.ndarray)):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        iterable = (_cast(v, device_type, dtype) for v in value)
        return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
    return value


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorator for the ``forward`` of a custom ``autograd.Function`` under autocast.

    Inside an enabled autocast region with ``cast_inputs`` given, floating tensor inputs are cast to
    ``cast_inputs`` and ``forward`` runs with autocast off; otherwise ``forward`` runs as it is.
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = _fast_dtype(_device(device_type))
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        args[0]._fwd_used_autocast = False
        if is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for the ``backward`` of a custom ``autograd.Function``: runs with ``forward``'s autocast state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast, dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd
