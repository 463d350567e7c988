"""``torch.cpu.amp``: the deprecated CPU spellings of ``autocast`` and ``GradScaler`` (each warns PyTorch's
``FutureWarning``). An enabled CPU autocast region raises ``NotImplementedError`` in npgrad (see
``npgrad.amp.autocast_mode``); the CPU ``GradScaler`` scales as PyTorch's does.
"""
import warnings

from . import autocast_mode as _autocast_mode
from .grad_scaler import GradScaler as _GradScaler

__all__ = ["autocast", "GradScaler"]


class autocast(_autocast_mode.autocast):
    """``torch.cpu.amp.autocast(args...)``: deprecated, ``torch.amp.autocast("cpu", args...)``."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True):
        warnings.warn("`torch.cpu.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast('cpu', "
                      "args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cpu", enabled=enabled, dtype=_autocast_mode.BFLOAT16 if dtype is None else dtype,
                         cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    """``torch.cpu.amp.GradScaler(args...)``: deprecated, ``torch.amp.GradScaler("cpu", args...)``."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        warnings.warn("`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use `torch.amp.GradScaler('cpu', "
                      "args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cpu", init_scale=init_scale, growth_factor=growth_factor, backoff_factor=backoff_factor,
                         growth_interval=growth_interval, enabled=enabled)
