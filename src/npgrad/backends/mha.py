"""``torch.backends.mha``: whether ``TransformerEncoder``/``MultiheadAttention`` may take their fused fast path."""
__all__ = ["get_fastpath_enabled", "set_fastpath_enabled"]

_is_fastpath_enabled = True


def get_fastpath_enabled() -> bool:
    """Whether the fast path is enabled (``True`` unless set)."""
    return _is_fastpath_enabled


def set_fastpath_enabled(value: bool) -> None:
    """Enable or disable the fast path."""
    global _is_fastpath_enabled
    _is_fastpath_enabled = value
