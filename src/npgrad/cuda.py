"""``torch.cuda`` answers for a CPU-only library: nothing is available.

Lets device-agnostic programs (``"cuda" if torch.cuda.is_available() else "cpu"``) run unchanged.
"""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    """No CUDA generator to seed."""


manual_seed_all = manual_seed


def synchronize(device=None) -> None:
    """Nothing to wait for on the CPU."""


def empty_cache() -> None:
    """No device cache to free."""
