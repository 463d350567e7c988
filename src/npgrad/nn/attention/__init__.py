"""``torch.nn.attention``: choose the kernels of ``scaled_dot_product_attention``.

``sdpa_kernel(backends)`` enables only the given ``SDPBackend`` members inside its block (the
switches of ``npgrad.backends.cuda``: ``flash_sdp_enabled()`` ...) and restores the previous
ones after it; with ``set_priority=True`` their order also becomes the priority order. npgrad
computes attention with one NumPy kernel, the same numbers whichever backend is chosen, and takes
or refuses inputs as PyTorch does on a CPU: there only ``FLASH_ATTENTION`` (4-d inputs without
dropout, tried first whatever the priority) and ``MATH`` (any input) run, so a block that enables
neither raises ``RuntimeError("No viable backend ...")``, and one whose flash kernel cannot take
the inputs without ``MATH`` warns why and raises ``RuntimeError("No available kernel. ...")``.

Not provided: ``torch.nn.attention.flex_attention`` (its score and block-mask functions are
compiled into fused kernels by ``torch.compile``; npgrad has no compiler), ``bias``, ``varlen``,
``experimental`` and the flash-attention implementation registry.

Example:
    >>> import npgrad
    >>> from npgrad.nn.attention import SDPBackend, sdpa_kernel
    >>> with sdpa_kernel(SDPBackend.MATH):
    ...     npgrad.backends.cuda.flash_sdp_enabled()
    False
    >>> npgrad.backends.cuda.flash_sdp_enabled()
    True
"""
import contextlib

from ..._runtime import context
from ...backends.cuda import SDPBackend

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False

# each backend's switch in npgrad's runtime context, in PyTorch's order
_backend_names = {
    "cudnn": SDPBackend.CUDNN_ATTENTION,
    "flash": SDPBackend.FLASH_ATTENTION,
    "mem_efficient": SDPBackend.EFFICIENT_ATTENTION,
    "math": SDPBackend.MATH,
    "overrideable": SDPBackend.OVERRIDEABLE,
}

# PyTorch's default priority order of the backends (by their integer values)
_priority = [1, 2, 0, 3, 4]


def _cur_sdpa_kernel_backends(with_priority=False):
    """The backends enabled now, by default in PyTorch's fixed order, else in priority order."""
    backends = [b for name, b in _backend_names.items() if context.sdp.get(name, True)]   # all on by default
    if with_priority:
        backends = sorted(backends, key=lambda b: _priority.index(int(b)))
    return backends


def _sdpa_kernel(backends, set_priority=False):
    """Enable exactly ``backends``; with ``set_priority``, make their order the priority order."""
    global _priority
    for name, backend in _backend_names.items():
        context.sdp[name] = backend in backends
    if set_priority:
        user = [int(b) for b in backends]
        _priority = user + [b for b in _priority if b not in user]


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Enable only ``backends`` (an ``SDPBackend`` or a list of them) for attention inside the block.

    The previous switches (and, with ``set_priority=True``, the previous priority order) are
    restored on leaving the block.
    """
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
                             f"got {type(backends).__name__}")
    if isinstance(backends, SDPBackend):
        backends = [backends]
    backends = list(dict.fromkeys(backends))
    previous = _cur_sdpa_kernel_backends(with_priority=set_priority)
    try:
        _sdpa_kernel(backends, set_priority)
        yield {}
    finally:
        _sdpa_kernel(previous, set_priority)
