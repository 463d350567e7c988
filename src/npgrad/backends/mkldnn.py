"""``torch.backends.mkldnn``: oneDNN, which npgrad does not use; its flags keep PyTorch's defaults.

``enabled`` (True), ``deterministic`` (False), ``allow_tf32`` (``None``; setting it warns that TF32 on
oneDNN needs an Intel GPU), ``fp32_precision`` and ``matmul``/``conv``/``rnn.fp32_precision``.
"""
import contextlib
import warnings

from .._runtime import check_bool, context
from . import ContextProp, FP32Precision, _allow_nonbracketed_mutation, install, precision_prop

__all__ = ["is_available", "is_acl_available", "flags", "set_flags", "verbose", "VERBOSE_OFF", "VERBOSE_ON",
           "VERBOSE_ON_CREATION"]

VERBOSE_OFF = 0
VERBOSE_ON = 1
VERBOSE_ON_CREATION = 2


def is_available() -> bool:
    """Whether npgrad uses oneDNN (MKL-DNN): ``False``."""
    return False


def is_acl_available() -> bool:
    """Whether oneDNN with the Arm Compute Library is used: ``False``."""
    return False


class verbose:
    """On-demand oneDNN verbose output: nothing to print, npgrad runs no oneDNN kernel."""

    def __init__(self, level):
        self.level = level

    def __enter__(self):
        return None if self.level == VERBOSE_OFF else self

    def __exit__(self, exc_type, exc_val, exc_tb):
        return False


def _flag(name: str, setter: str) -> ContextProp:
    def set_value(value):
        context.mkldnn[name] = check_bool(value, setter)

    return ContextProp(lambda: context.mkldnn[name], set_value)


def _set_allow_tf32(value) -> None:
    check_bool(value, "_set_onednn_allow_tf32")
    warnings.warn("TF32 acceleration on top of oneDNN is available for Intel GPUs. The current Torch version does "
                  "not have Intel GPU Support.", UserWarning, stacklevel=3)


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    """Set the given flags; returns the previous ones."""
    orig_flags = (context.mkldnn["enabled"], context.mkldnn["deterministic"], None,
                  context.float32_precision("mkldnn", "all"))
    if _enabled is not None:
        context.mkldnn["enabled"] = check_bool(_enabled, "set_enabled_mkldnn")
    if _deterministic is not None:
        context.mkldnn["deterministic"] = check_bool(_deterministic, "set_deterministic_mkldnn")
    if _allow_tf32 is not None:
        _set_allow_tf32(_allow_tf32)
    if _fp32_precision is not None:
        context.set_float32_precision("mkldnn", "all", _fp32_precision)
    return orig_flags


@contextlib.contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """Set the oneDNN flags inside the block, restoring them after."""
    with _allow_nonbracketed_mutation():
        orig_flags = set_flags(enabled, deterministic, allow_tf32, fp32_precision)
    try:
        yield
    finally:
        with _allow_nonbracketed_mutation():
            set_flags(*orig_flags)


install(__name__, {
    "enabled": _flag("enabled", "set_enabled_mkldnn"),
    "deterministic": _flag("deterministic", "set_deterministic_mkldnn"),
    "allow_tf32": ContextProp(lambda: None, _set_allow_tf32),
    "matmul": FP32Precision("mkldnn", "matmul"),
    "conv": FP32Precision("mkldnn", "conv"),
    "rnn": FP32Precision("mkldnn", "rnn"),
    # PyTorch reads oneDNN's "all" but writes the generic one
    "fp32_precision": precision_prop("mkldnn", "all", setter_backend="generic"),
})
