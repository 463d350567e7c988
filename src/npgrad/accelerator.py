"""``torch.accelerator`` answers for a CPU-only library: no accelerator is present.

PyTorch's current quickstart picks its device with
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"``; these
functions answer as PyTorch 2.13 does on a machine without one, and the calls that need a device raise
its error.

Example:
    >>> import npgrad as torch
    >>> torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    'cpu'
"""

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator's device type, or ``None``: there is none."""
    return None


def device_count() -> int:
    return 0


def current_device_index() -> int:
    raise RuntimeError(_NONE)


current_device_idx = current_device_index


def set_device_index(device) -> None:
    raise RuntimeError(_NONE)


set_device_idx = set_device_index


def synchronize(device=None) -> None:
    raise RuntimeError(_NONE)
