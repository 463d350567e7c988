"""``torch.backends.nnpack``: NNPACK convolutions, not used by npgrad."""
import contextlib

from . import _allow_nonbracketed_mutation

__all__ = ["is_available", "flags", "set_flags"]

_enabled = [True]


def is_available() -> bool:
    """Whether npgrad uses NNPACK: ``False``."""
    return False


def set_flags(_enabled_flag):
    """Set whether NNPACK is enabled; returns the previous flags."""
    orig_flags = (_enabled[0],)
    _enabled[0] = _enabled_flag
    return orig_flags


@contextlib.contextmanager
def flags(enabled=False):
    """Set whether NNPACK is enabled inside the block."""
    with _allow_nonbracketed_mutation():
        orig_flags = set_flags(enabled)
    try:
        yield
    finally:
        with _allow_nonbracketed_mutation():
            set_flags(orig_flags[0])
