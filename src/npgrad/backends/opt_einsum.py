"""``torch.backends.opt_einsum``: PyTorch plans ``einsum`` contractions with the opt_einsum package if installed.

npgrad's ``einsum`` always lets NumPy choose the contraction order (``optimize=True``); these flags are
kept with PyTorch's values and read back: ``is_available()`` says whether opt_einsum is installed,
``enabled`` and ``strategy`` are plain attributes, as in PyTorch.
"""
import contextlib
import importlib.util

from . import _allow_nonbracketed_mutation

__all__ = ["is_available", "get_opt_einsum", "flags", "set_flags", "enabled", "strategy"]


def is_available() -> bool:
    """Whether the opt_einsum package is installed."""
    return importlib.util.find_spec("opt_einsum") is not None


def get_opt_einsum():
    """The opt_einsum package if installed, else ``None``."""
    return importlib.import_module("opt_einsum") if is_available() else None


def _set_enabled(_enabled: bool) -> None:
    if not is_available() and _enabled:
        raise ValueError(f"opt_einsum is not available, so setting `enabled` to {_enabled} will not reap the "
                         "benefits of calculating an optimal path for einsum. torch.einsum will fall back to "
                         "contracting from left to right. To enable this optimal path calculation, please install "
                         "opt-einsum.")
    global enabled
    enabled = _enabled


def _set_strategy(_strategy: str) -> None:
    if not is_available():
        raise ValueError(f"opt_einsum is not available, so setting `strategy` to {_strategy} will not be "
                         "meaningful. torch.einsum will bypass path calculation and simply contract from left to "
                         "right. Please install opt_einsum or unset `strategy`.")
    if not enabled:
        raise ValueError(f"opt_einsum is not enabled, so setting a `strategy` to {_strategy} will not be "
                         "meaningful. torch.einsum will bypass path calculation and simply contract from left to "
                         "right. Please set `enabled` to `True` as well or unset `strategy`.")
    if _strategy not in ["auto", "greedy", "optimal"]:
        raise ValueError(f"`strategy` must be one of the following: [auto, greedy, optimal] but is {_strategy}")
    global strategy
    strategy = _strategy


def set_flags(_enabled=None, _strategy=None):
    orig_flags = (enabled, None if not is_available() else strategy)
    if _enabled is not None:
        _set_enabled(_enabled)
    if _strategy is not None:
        _set_strategy(_strategy)
    return orig_flags


@contextlib.contextmanager
def flags(enabled=None, strategy=None):
    """Set ``enabled``/``strategy`` inside the block (checked as PyTorch checks them)."""
    with _allow_nonbracketed_mutation():
        orig_flags = set_flags(enabled, strategy)
    try:
        yield
    finally:
        with _allow_nonbracketed_mutation():
            set_flags(*orig_flags)


enabled = is_available()
strategy = "auto" if is_available() else None
