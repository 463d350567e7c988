"""``torch.backends.mps``: Apple's Metal backend, not available to npgrad (nor to PyTorch off macOS)."""

__all__ = ["is_built", "is_available", "is_macos13_or_newer", "is_macos_or_newer"]


def is_built() -> bool:
    """Whether npgrad can use MPS: ``False``."""
    return False


def is_available() -> bool:
    """Whether an MPS device can be used: ``False``."""
    return False


def is_macos_or_newer(major: int, minor: int) -> bool:
    raise RuntimeError("Cannot execute isOnMacOSorNewer() without MPS backend.")


def is_macos13_or_newer(minor: int = 0) -> bool:
    raise RuntimeError("Cannot execute isOnMacOSorNewer() without MPS backend.")
