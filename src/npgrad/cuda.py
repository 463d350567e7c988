"""``torch.cuda`` answers for a CPU-only library: nothing is available.

Lets device-agnostic programs (``"cuda" if torch.cuda.is_available() else "cpu"``) run unchanged. Every
function answers as PyTorch 2.13 built without CUDA does: the queries a CPU program may make anyway
(``is_available``, ``device_count``, ``memory_allocated``, ``manual_seed``, ``empty_cache`` ...) return
their "no GPU" values, the ones that need a device (``synchronize``, ``current_device``,
``get_device_name`` ...) raise PyTorch's ``AssertionError("Torch not compiled with CUDA enabled")``.
``torch.cuda.amp`` holds the deprecated ``autocast``/``GradScaler``, which warn and disable themselves.

Example:
    >>> import npgrad as torch
    >>> "cuda" if torch.cuda.is_available() else "cpu"
    'cpu'
"""
import sys
import warnings
from collections import OrderedDict

from .amp import _cuda_amp as amp

sys.modules[__name__ + ".amp"] = amp  # ``from torch.cuda.amp import GradScaler``

_NO_CUDA = "Torch not compiled with CUDA enabled"


def _lazy_init():
    raise AssertionError(_NO_CUDA)


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def init() -> None:
    _lazy_init()


def device_count() -> int:
    return 0


def _is_compiled() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def is_tf32_supported() -> bool:
    return False


def get_arch_list() -> list:
    return []


def get_gencode_flags() -> str:
    return ""


# --------------------------------------------------------------------------- random numbers


def manual_seed(seed) -> None:
    """No CUDA generator to seed (the seed is still checked to be an integer)."""
    int(seed)


def manual_seed_all(seed) -> None:
    int(seed)


def seed() -> None:
    """No CUDA generator to reseed."""


def seed_all() -> None:
    """No CUDA generator to reseed."""


def initial_seed() -> int:
    _lazy_init()


def get_rng_state(device="cuda"):
    _lazy_init()


def get_rng_state_all() -> list:
    return []


def set_rng_state(new_state, device="cuda") -> None:
    """No CUDA generator to restore."""


def set_rng_state_all(new_states) -> None:
    """No CUDA generator to restore."""


default_generators = ()

# --------------------------------------------------------------------------- devices and streams


def synchronize(device=None) -> None:
    """Waits for a CUDA device, which does not exist: PyTorch's AssertionError."""
    _lazy_init()


def current_device() -> int:
    _lazy_init()


def get_device_name(device=None) -> str:
    _lazy_init()


def get_device_capability(device=None):
    _lazy_init()


def get_device_properties(device=None):
    _lazy_init()


def mem_get_info(device=None):
    _lazy_init()


def set_per_process_memory_fraction(fraction, device=None) -> None:
    _lazy_init()


def ipc_collect() -> None:
    _lazy_init()


def current_stream(device=None):
    _lazy_init()


def default_stream(device=None):
    _lazy_init()


class device:
    """Context manager selecting a CUDA device: only ``device(-1)`` (no device) can be entered."""

    def __init__(self, device):
        if isinstance(device, int):
            self.idx = device
        elif isinstance(device, str):
            self.idx = int(device.split(":")[1]) if ":" in device else None
        else:
            self.idx = getattr(device, "index", None)

    def __enter__(self):
        if self.idx == -1:
            return None
        if self.idx is None:
            raise TypeError("'<' not supported between instances of 'NoneType' and 'int'")
        raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, *exc):
        return False


class device_of(device):
    """Context manager selecting the device of a tensor: a CPU tensor selects nothing."""

    def __init__(self, obj):
        super().__init__(-1)


class StreamContext:
    """Context manager selecting a stream: ``stream(None)`` selects nothing."""

    def __init__(self, stream):
        if stream is not None:
            _lazy_init()
        self.stream = stream

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def stream(stream):
    return StreamContext(stream)


class Stream:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class Event:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("Tried to instantiate dummy base class Event")


# --------------------------------------------------------------------------- memory


def empty_cache() -> None:
    """No device cache to free."""


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


def memory_cached(device=None) -> int:
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`", FutureWarning,
                  stacklevel=2)
    return 0


def max_memory_cached(device=None) -> int:
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
                  FutureWarning, stacklevel=2)
    return 0


def memory_stats(device=None) -> OrderedDict:
    return OrderedDict()
