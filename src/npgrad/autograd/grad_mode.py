"""Switching gradient recording on and off: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each mode is a context manager and a decorator, as in PyTorch. Decorating a generator
function applies the mode each time the generator runs, between its ``yield``s, and
restores the caller's mode while the caller runs. Inside ``inference_mode()`` nothing is
recorded, even under ``enable_grad()``, and the tensors created are inference tensors
(``Tensor.is_inference()``) with PyTorch's restrictions outside the mode. The anomaly-detection switches
(``set_detect_anomaly``, ``detect_anomaly``) are kept as flags only: npgrad's backward
records no forward traces and adds no NaN checks.
"""
from __future__ import annotations

import functools
import inspect
import sys
import threading
import warnings

_state = threading.local()

# [inference_mode(True) blocks running now, in any thread; whether one ever ran (inference tensors may exist)]
_inference_state = [0, False]


def is_grad_enabled() -> bool:
    """Whether operations are being recorded for backward."""
    return getattr(_state, "enabled", True)


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode()`` block is active."""
    return getattr(_state, "inference", False)


def _set(mode: bool) -> None:
    _state.enabled = bool(mode)


def _wrap_generator(ctx_factory, func):
    """``func`` (a generator function) with every step of the generator run inside ``ctx_factory()``."""

    @functools.wraps(func)
    def generator_context(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException:
                    with ctx_factory():
                        response = gen.throw(*sys.exc_info())
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return generator_context


def _decorate(ctx_factory, func):
    """``func`` run inside a fresh ``ctx_factory()`` on every call."""
    if inspect.isclass(func):
        warnings.warn("Decorating classes is deprecated and will be disabled in future versions. You should only "
                      "decorate functions or methods. To preserve the current behavior of class decoration, you "
                      "can directly decorate the `__init__` method and nothing else.", FutureWarning, stacklevel=3)
        cls = func
        func = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
    if inspect.isgeneratorfunction(func):
        return _wrap_generator(ctx_factory, func)

    @functools.wraps(func)
    def decorate_context(*args, **kwargs):
        with ctx_factory():
            return func(*args, **kwargs)

    return decorate_context


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring it on exit.

    Usable with or without parentheses as a decorator: ``@no_grad()`` and ``@no_grad``.
    """

    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(self.mode)

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        return _decorate(self.clone, fn)

    def clone(self):
        return self.__class__()


class no_grad(_GradMode):
    """Disable gradient recording inside the block (or the decorated function)."""

    mode = False


class enable_grad(_GradMode):
    """Enable gradient recording inside the block (or the decorated function)."""

    mode = True


class inference_mode:
    """Inference mode on (``mode=True``) or off inside the block, or the decorated function.

    Inside ``inference_mode()`` gradient recording is off, as in ``no_grad``, and stays off under
    ``enable_grad()``; ``inference_mode(False)`` turns it back on. Tensors created inside are
    inference tensors (``is_inference()``; views of ordinary tensors stay ordinary): outside the mode
    they refuse in-place updates and ``requires_grad_()``, and an op recorded for backward refuses to
    save them, with PyTorch's errors.

    Example:
        >>> import npgrad
        >>> with npgrad.inference_mode():
        ...     y = npgrad.ones(2) * 2
        >>> y.is_inference(), y.requires_grad
        (True, False)
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __enter__(self):
        self._prev = (is_grad_enabled(), is_inference_mode_enabled())
        _set(not self.mode)
        _state.inference = bool(self.mode)
        if self.mode:
            _inference_state[0] += 1
            _inference_state[1] = True
            if _inference_state[0] == 1:
                _mark_new_tensors(True)

    def __exit__(self, *exc):
        _set(self._prev[0])
        _state.inference = self._prev[1]
        if self.mode:
            _inference_state[0] -= 1
            if _inference_state[0] == 0:
                _mark_new_tensors(False)
        return False

    def __call__(self, fn):
        return _decorate(self.clone, fn)

    def clone(self):
        return self.__class__(self.mode)


def _mark_new_tensors(on: bool) -> None:
    """While some inference_mode block runs, tensors check the mode when created (see ``Tensor._init``)."""
    from ..tensor import Tensor

    Tensor._init = Tensor._init_checking_inference if on else Tensor._init_plain


class set_grad_enabled:
    """Set grad mode to ``mode``: at once as a call, for a ``with`` block, or for a decorated function."""

    def __init__(self, mode: bool):
        self.prev = is_grad_enabled()
        self.mode = mode
        _set(mode)

    def __call__(self, fn):
        _set(self.prev)
        return _decorate(self.clone, fn)

    def __enter__(self):
        _set(self.mode)

    def __exit__(self, *exc):
        _set(self.prev)
        return False

    def __repr__(self):
        return f"{type(self).__module__}.{type(self).__qualname__}(mode={self.mode})"

    __str__ = __repr__

    def clone(self):
        return self.__class__(self.mode)


# --------------------------------------------------------------------------- anomaly detection


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is switched on (a flag only in npgrad)."""
    return getattr(_state, "anomaly", False)


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection asks for NaN checks (a flag only in npgrad)."""
    return getattr(_state, "anomaly_check_nan", True)


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    _state.anomaly = bool(enabled)
    _state.anomaly_check_nan = bool(check_nan)


class detect_anomaly:
    """Anomaly detection switched on inside the block: a flag only, with PyTorch's warning on creation."""

    def __init__(self, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                      "be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Set anomaly detection on or off: at once as a call, or for a ``with`` block (a flag only)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
