"""``torch.amp``: automatic mixed precision, as PyTorch behaves without CUDA.

``autocast`` regions and ``GradScaler`` loss scaling; see ``autocast_mode`` and ``grad_scaler`` for what
each does on a CPU-only library. ``torch.cuda.amp`` and ``torch.cpu.amp`` are the deprecated
device-specific spellings of the same classes (``_cuda_amp`` and ``_cpu_amp``).

Example:
    >>> import npgrad as torch
    >>> scaler = torch.amp.GradScaler("cpu")
    >>> scaler.get_scale()
    65536.0
"""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
