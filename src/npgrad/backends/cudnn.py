"""``torch.backends.cudnn``: cuDNN is not available, its flags are kept with PyTorch's defaults.

``enabled`` (True), ``benchmark`` (False), ``deterministic`` (False), ``allow_tf32`` (True),
``benchmark_limit`` (None: cuDNN is not available), ``depthwise_kernel`` ("auto"), ``fp32_precision`` and
``conv``/``rnn.fp32_precision``; ``flags(...)`` sets several inside a block. None changes an npgrad
result (npgrad runs no cuDNN kernel; its convolutions are deterministic).

Example:
    >>> import npgrad as torch
    >>> torch.backends.cudnn.deterministic = True
    >>> torch.backends.cudnn.is_available()
    False
"""
import contextlib

from .._runtime import check_bool, context
from . import ContextProp, FP32Precision, _allow_nonbracketed_mutation, install, precision_prop

__all__ = ["version", "is_available", "is_acceptable", "flags", "set_flags"]

CUDNN_TENSOR_DTYPES = ()


def version():
    """The cuDNN version: ``None``, cuDNN is not available."""
    return None


def is_available() -> bool:
    """Whether cuDNN can be used: ``False``."""
    return False


def is_acceptable(tensor) -> bool:
    """Whether cuDNN would take ``tensor``: ``False`` (it is not on a CUDA device)."""
    return False


def _flag(name: str, setter: str) -> ContextProp:
    def set_value(value):
        context.cudnn[name] = check_bool(value, setter)

    return ContextProp(lambda: context.cudnn[name], set_value)


def _set_depthwise_kernel(mode) -> None:
    if mode not in ("auto", "cudnn", "native"):
        raise RuntimeError(f"Unknown cuDNN depthwise kernel mode: {mode}. Expected one of: auto, cudnn, native")
    context.cudnn["depthwise_kernel"] = mode


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None,
              _fp32_precision="none", _depthwise_kernel=None):
    """Set the given flags; returns the previous ones, in this order."""
    orig_flags = (context.cudnn["enabled"], context.cudnn["benchmark"], None, context.cudnn["deterministic"],
                  context.allow_tf32_cudnn(), context.float32_precision("cuda", "all"),
                  context.cudnn["depthwise_kernel"])
    if _enabled is not None:
        context.cudnn["enabled"] = check_bool(_enabled, "set_enabled_cudnn")
    if _benchmark is not None:
        context.cudnn["benchmark"] = check_bool(_benchmark, "set_benchmark_cudnn")
    if _deterministic is not None:
        context.cudnn["deterministic"] = check_bool(_deterministic, "set_deterministic_cudnn")
    if _allow_tf32 is not None:
        context.set_allow_tf32_cudnn(_allow_tf32)
    if _fp32_precision is not None:
        context.set_float32_precision("cuda", "all", _fp32_precision)
    if _depthwise_kernel is not None:
        _set_depthwise_kernel(_depthwise_kernel)
    return orig_flags


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True,
          fp32_precision="none", depthwise_kernel="auto"):
    """Set the cuDNN flags inside the block (every one, to its argument), restoring them after."""
    with _allow_nonbracketed_mutation():
        orig_flags = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32, fp32_precision,
                               depthwise_kernel)
    try:
        yield
    finally:
        with _allow_nonbracketed_mutation():
            set_flags(*orig_flags)


rnn = FP32Precision("cuda", "rnn")
benchmark_limit = None  # settable by cuDNN only; a plain attribute here, as in PyTorch without cuDNN

install(__name__, {
    "enabled": _flag("enabled", "set_enabled_cudnn"),
    "deterministic": _flag("deterministic", "set_deterministic_cudnn"),
    "benchmark": _flag("benchmark", "set_benchmark_cudnn"),
    "allow_tf32": ContextProp(context.allow_tf32_cudnn, context.set_allow_tf32_cudnn),
    "conv": FP32Precision("cuda", "conv"),
    "fp32_precision": precision_prop("cuda", "all"),
    "depthwise_kernel": ContextProp(lambda: context.cudnn["depthwise_kernel"], _set_depthwise_kernel),
})
