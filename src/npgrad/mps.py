"""``torch.mps`` for a CPU-only library: no Apple GPU is available (``is_available()`` is False)."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0
