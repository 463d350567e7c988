"""``torch.cpu``: the ``torch.cuda``-shaped functions for the CPU, so device-agnostic code runs unchanged.

``torch.get_device_module(device)`` style code calls ``is_available``, ``device_count``,
``synchronize`` or ``current_stream`` on whichever module its device names; for the CPU they answer
trivially. ``torch.cpu.amp`` holds the deprecated CPU ``autocast``/``GradScaler``.

Example:
    >>> import npgrad as torch
    >>> torch.cpu.is_available(), torch.cpu.device_count(), torch.cpu.current_device()
    (True, 1, 'cpu')
"""
import sys

from .amp import _cpu_amp as amp

sys.modules[__name__ + ".amp"] = amp  # ``from torch.cpu.amp import autocast``

__all__ = ["is_available", "is_initialized", "synchronize", "current_device", "current_stream", "stream",
           "set_device", "device_count", "Stream", "StreamContext", "Event"]


def is_available() -> bool:
    """Always ``True``."""
    return True


def is_initialized() -> bool:
    """Always ``True``."""
    return True


def synchronize(device=None) -> None:
    """Nothing to wait for: CPU work is finished when its call returns."""


def device_count() -> int:
    """Number of CPU devices (not cores): 1."""
    return 1


def set_device(device) -> None:
    """Nothing to select: there is one CPU device."""


def current_device() -> str:
    """Always ``"cpu"``."""
    return "cpu"


class Stream:
    """A stream, for device-agnostic code: every method is a no-op."""

    def __init__(self, priority: int = -1) -> None:
        pass

    def wait_stream(self, stream) -> None:
        pass

    def record_event(self) -> None:
        pass

    def wait_event(self, event) -> None:
        pass


class Event:
    """An event, for device-agnostic code: always complete."""

    def query(self) -> bool:
        return True

    def record(self, stream=None) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def wait(self, stream=None) -> None:
        pass


_default_cpu_stream = Stream()
_current_stream = _default_cpu_stream


def current_stream(device=None) -> Stream:
    """The stream selected by ``stream(...)``, the default one otherwise."""
    return _current_stream


class StreamContext:
    """Context manager selecting a stream (``None`` selects nothing)."""

    def __init__(self, stream):
        self.stream = stream
        self.prev_stream = _default_cpu_stream

    def __enter__(self):
        global _current_stream
        if self.stream is None:
            return
        self.prev_stream = _current_stream
        _current_stream = self.stream

    def __exit__(self, *exc) -> None:
        global _current_stream
        if self.stream is None:
            return
        _current_stream = self.prev_stream


def stream(stream) -> StreamContext:
    """``with torch.cpu.stream(s):`` selects ``s``."""
    return StreamContext(stream)
