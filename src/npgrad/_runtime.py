"""The runtime switches a PyTorch program sets at its top: matmul precision, determinism, the default
device, threads, warnings, ``torch.compile`` and the autocast state functions.

npgrad runs on the CPU only, so every switch answers as PyTorch 2.13 does on a machine without CUDA:
flags that only steer CUDA, cuDNN or oneDNN kernels are kept and read back (they change no npgrad
result), requests npgrad cannot honour raise or say so, never silently pretend.

Example:
    >>> import npgrad as torch
    >>> torch.set_float32_matmul_precision("high")
    >>> torch.get_float32_matmul_precision()
    'high'
    >>> torch.backends.cuda.matmul.allow_tf32
    True
"""
from __future__ import annotations

import builtins
import os
import warnings

from .amp.autocast_mode import (autocast, autocast_decrement_nesting, autocast_increment_nesting,
                                clear_autocast_cache, get_autocast_cpu_dtype, get_autocast_dtype,
                                get_autocast_gpu_dtype, is_autocast_cache_enabled, is_autocast_cpu_enabled,
                                is_autocast_enabled, set_autocast_cache_enabled, set_autocast_cpu_dtype,
                                set_autocast_cpu_enabled, set_autocast_dtype, set_autocast_enabled,
                                set_autocast_gpu_dtype)
from .tensor import NO_CUDA, Tensor, check_device, device as _Device

__all__ = ["compile", "set_float32_matmul_precision", "get_float32_matmul_precision",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_default_device", "get_default_device", "set_flush_denormal",
           "set_warn_always", "is_warn_always_enabled", "get_num_interop_threads", "set_num_interop_threads",
           "typename", "is_storage", "is_complex", "is_nonzero", "is_same_size", "is_signed", "is_inference",
           "autocast", "get_autocast_dtype", "set_autocast_dtype", "is_autocast_enabled", "set_autocast_enabled",
           "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
           "autocast_increment_nesting", "autocast_decrement_nesting", "get_autocast_gpu_dtype",
           "get_autocast_cpu_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
           "set_autocast_cpu_dtype", "set_autocast_gpu_dtype"]

# --------------------------------------------------------------------------- device strings

def device_type(spec) -> str:
    """The device type of a device string (``"cuda:0"`` -> ``"cuda"``), with PyTorch's errors for bad strings."""
    if isinstance(spec, _Device):
        return spec.type
    if not isinstance(spec, str):
        raise TypeError(f"expected a device string, got {type(spec).__name__}")
    return _Device(spec).type


def check_bool(value, setter: str) -> bool:
    """``value`` if it is a bool, else PyTorch's ``"<setter> expects a bool, but got <type>"`` error."""
    if not isinstance(value, bool):
        raise RuntimeError(f"{setter} expects a bool, but got {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- the global context
# The switches PyTorch keeps in ``at::globalContext()``. The fp32 precision of each (backend, op) is a tree:
# "none" defers to the backend's "all", which defers to ("generic", "all"); cuDNN's conv and rnn read "tf32"
# where that chain ends in "none" until they are first assigned, and CUDA cannot hold "bf16" (it reads as
# "none").

PRECISIONS = ("none", "ieee", "tf32", "bf16")
FP32_KEYS = (("generic", "all"), ("cuda", "all"), ("cuda", "matmul"), ("cuda", "conv"), ("cuda", "rnn"),
             ("mkldnn", "all"), ("mkldnn", "matmul"), ("mkldnn", "conv"), ("mkldnn", "rnn"))


class _Context:
    def __init__(self):
        self.fp32 = dict.fromkeys(FP32_KEYS, "none")
        self.fp32_unassigned = {("cuda", "conv"), ("cuda", "rnn")}  # these default to "tf32"
        self.matmul_precision = "highest"
        self.cudnn = {"enabled": True, "benchmark": False, "benchmark_limit": 10, "deterministic": False,
                      "allow_tf32": True, "depthwise_kernel": "auto"}
        self.mkldnn = {"enabled": True, "deterministic": False}
        self.cublas = {"fp16_reduction": (True, True), "bf16_reduction": (True, True), "fp16_accumulation": False}
        self.sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True,
                    "fp16_bf16_reduction_math": False}
        self.deterministic = (False, False)  # (enabled, warn_only)
        self.warn_always = False
        self.interop_threads = None  # set once, as PyTorch allows
        self.default_device = _Device("cpu")

    def float32_precision(self, backend: str, op: str) -> str:
        p = self.fp32[(backend, op)]
        if p == "none":
            p = self.fp32[(backend, "all")]
        if p == "none":
            p = self.fp32[("generic", "all")]
        if p == "none" and (backend, op) in self.fp32_unassigned:
            return "tf32"
        if backend == "cuda" and p == "bf16":
            return "none"
        return p

    def set_float32_precision(self, backend: str, op: str, precision) -> None:
        if not isinstance(precision, str):
            raise TypeError("_set_fp32_precision_setter(): incompatible function arguments. The following argument "
                            "types are supported:\n    1. (arg0: str, arg1: str, arg2: str) -> str\n\n"
                            f"Invoked with: '{backend}', '{op}', {precision!r}")
        if precision not in PRECISIONS:
            raise RuntimeError(f"Unknown precision: {precision}")
        if backend == "cuda" and precision == "bf16":
            raise RuntimeError("backend 'cuda' does not support precision 'bf16'")
        self.fp32[(backend, op)] = precision
        self.fp32_unassigned.discard((backend, op))

    def allow_tf32_cublas(self) -> bool:
        legacy = self.matmul_precision != "highest"
        new = self.float32_precision("cuda", "matmul") == "tf32"
        if legacy != new:
            raise RuntimeError(
                "PyTorch is checking whether allow_tf32_new is enabled for cuBlas matmul,Current status indicate "
                "that you have used mix of the legacy and new APIs to set the TF32 status for cublas matmul. We "
                "suggest only using the new API to set the TF32 flag. See also: "
                "https://pytorch.org/docs/main/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices")
        return new

    def set_allow_tf32_cublas(self, value) -> None:
        check_bool(value, "set_allow_tf32_cublas")
        self.matmul_precision = "high" if value else "highest"
        self.fp32[("cuda", "matmul")] = "tf32" if value else "ieee"

    def allow_tf32_cudnn(self) -> bool:
        rnn = self.float32_precision("cuda", "rnn") == "tf32"
        conv = self.float32_precision("cuda", "conv") == "tf32"
        if not rnn == conv == self.cudnn["allow_tf32"]:
            raise RuntimeError(
                "PyTorch is checking whether allow_tf32 is enabled for cuDNN without a specific operator name,but "
                "the current flag(s) indicate that cuDNN conv and cuDNN RNN have different TF32 flags.This "
                "combination indicates that you have used a mix of the legacy and new APIs to set the TF32 flags. "
                "We suggest only using the new API to set the TF32 flag(s). See also: "
                "https://pytorch.org/docs/main/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices")
        return self.cudnn["allow_tf32"]

    def set_allow_tf32_cudnn(self, value) -> None:
        check_bool(value, "set_allow_tf32_cublas")  # PyTorch's message names cuBLAS here too
        self.fp32[("cuda", "rnn")] = self.fp32[("cuda", "conv")] = "tf32" if value else "none"
        self.fp32_unassigned.clear()
        self.cudnn["allow_tf32"] = value

    def float32_matmul_precision(self) -> str:
        cuda, mkldnn = self.float32_precision("cuda", "matmul"), self.float32_precision("mkldnn", "matmul")
        invalid = ((cuda == "tf32" and self.matmul_precision == "highest")
                   or (mkldnn == "bf16" and self.matmul_precision != "medium")
                   or (mkldnn == "tf32" and self.matmul_precision != "high"))
        if invalid:
            raise RuntimeError(
                "PyTorch is checking the matmul precision without a specific backend name,Current status indicate "
                "that you have used mix of the legacy and new APIs to set the matmul precision. We suggest only "
                "using the new API for matmul precision. See also: "
                "https://pytorch.org/docs/main/notes/cuda.html#tensorfloat-32-tf32-on-ampere-and-later-devices")
        return self.matmul_precision


context = _Context()

# --------------------------------------------------------------------------- matmul precision


def set_float32_matmul_precision(precision: str) -> None:
    """Set the internal precision of float32 matrix products: ``"highest"``, ``"high"`` or ``"medium"``.

    ``"high"`` and ``"medium"`` let CUDA (TF32) and oneDNN (BF16) kernels compute float32 products in lower
    precision. npgrad's products always run in full float32 through NumPy's BLAS, so this only sets the
    flags that ``get_float32_matmul_precision`` and ``torch.backends`` read back.
    """
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    internal = {"highest": ("ieee", "ieee"), "high": ("tf32", "tf32"), "medium": ("tf32", "bf16")}
    if precision not in internal:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the "
                      "currentsetFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    context.matmul_precision = precision
    context.fp32[("cuda", "matmul")], context.fp32[("mkldnn", "matmul")] = internal[precision]


def get_float32_matmul_precision() -> str:
    """The float32 matmul precision set by ``set_float32_matmul_precision`` (``"highest"`` at start)."""
    return context.float32_matmul_precision()


# --------------------------------------------------------------------------- determinism


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (``warn_only``: warn instead of raising where there is none).

    Every npgrad kernel is deterministic on the CPU, so no operation ever warns or raises for this; the
    flags are kept for ``are_deterministic_algorithms_enabled`` and ``get_deterministic_debug_mode``.
    """
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            where = " (position 1)" if name == "mode" else ""
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{where} must be bool, not "
                            f"{type(value).__name__}")
    context.deterministic = (mode, warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in force."""
    return context.deterministic[0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether ``use_deterministic_algorithms`` was called with ``warn_only=True``."""
    return context.deterministic[1]


def set_deterministic_debug_mode(debug_mode) -> None:
    """``"default"``/0: off, ``"warn"``/1: deterministic with warnings, ``"error"``/2: deterministic."""
    if isinstance(debug_mode, str):
        names = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in names:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = names[debug_mode]
    elif not isinstance(debug_mode, builtins.int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    context.deterministic = (debug_mode != 0, debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 when determinism is off, 1 when it only warns, 2 when it raises."""
    enabled, warn_only = context.deterministic
    return 0 if not enabled else 1 if warn_only else 2


# --------------------------------------------------------------------------- default device, threads, warnings


def set_default_device(device) -> None:
    """Make ``device`` the default of new tensors; ``None`` or ``"cpu"`` (the only device npgrad has).

    PyTorch built without CUDA accepts ``"cuda"`` here and fails on the next tensor it makes with
    "Torch not compiled with CUDA enabled"; npgrad raises that error at once, and PyTorch's error for any
    other device it lacks (:func:`npgrad.tensor.check_device`).
    """
    if device is None:
        context.default_device = _Device("cpu")
        return
    kind = "cuda" if isinstance(device, builtins.int) and not isinstance(device, bool) else device_type(device)
    check_device(kind)   # "cpu", or PyTorch's error for a build without that device
    context.default_device = _Device("cpu")


def get_default_device():
    """The device new tensors are made on: ``device(type='cpu')``."""
    return context.default_device


def set_flush_denormal(mode: bool) -> bool:
    """Whether denormal floats could be flushed to zero: ``False``, npgrad cannot switch NumPy's CPU into
    flush-to-zero mode (PyTorch returns ``False`` too where the CPU does not support it)."""
    check_bool(mode, "flush_denormal")
    return False


def set_warn_always(b: bool, /) -> None:
    """Warn every time rather than once for warnings PyTorch gives once per process."""
    context.warn_always = check_bool(b, "setWarnOnlyOnce")


def is_warn_always_enabled() -> bool:
    return context.warn_always


def get_num_interop_threads() -> int:
    """Threads for inter-op parallelism (npgrad runs ops one after another; the CPU count unless set)."""
    return context.interop_threads or os.cpu_count() or 1


def set_num_interop_threads(num: int, /) -> None:
    """Set the inter-op thread count; as in PyTorch only once per process."""
    if not isinstance(num, builtins.int) or isinstance(num, bool):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if context.interop_threads is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    context.interop_threads = num


# --------------------------------------------------------------------------- type queries


_TENSOR_TYPES = {"float16": "HalfTensor", "float32": "FloatTensor", "float64": "DoubleTensor", "int8": "CharTensor",
                 "int16": "ShortTensor", "int32": "IntTensor", "int64": "LongTensor", "uint8": "ByteTensor",
                 "bool": "BoolTensor"}


def typename(obj, /) -> str:
    """The type of ``obj`` as a string: ``"npgrad.FloatTensor"`` for tensors, else ``module.QualName``."""
    if isinstance(obj, Tensor):
        return f"npgrad.{_TENSOR_TYPES[obj._data.dtype.name]}"
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_storage(obj, /) -> bool:
    """Whether ``obj`` is a storage (``tensor.untyped_storage()``, ``tensor.storage()``; :mod:`npgrad.storage`)."""
    from .storage import TypedStorage, UntypedStorage

    return isinstance(obj, (UntypedStorage, TypedStorage))


def _tensor_arg(fn, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input


def is_complex(input) -> bool:
    """Whether ``input`` has a complex dtype: always ``False``, npgrad has no complex dtypes."""
    return _tensor_arg("is_complex", input).is_complex()


def is_nonzero(input) -> bool:
    """Whether the single value of a one-element tensor is nonzero."""
    return _tensor_arg("is_nonzero", input).is_nonzero()


def is_same_size(input, other) -> bool:
    """Whether two tensors have the same shape."""
    return _tensor_arg("is_same_size", input).is_same_size(other)


def is_signed(input) -> bool:
    """Whether ``input``'s dtype is signed (floating or signed integer)."""
    return _tensor_arg("is_signed", input).is_signed()


def is_inference(input) -> bool:
    """Whether ``input`` is an inference tensor: ``False``, npgrad's ``inference_mode`` makes ordinary tensors."""
    return _tensor_arg("is_inference", input).is_inference()


# --------------------------------------------------------------------------- torch.compile


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend=None, mode=None, options=None,
            name=None, disable: bool = False, recompile_limit=None, isolate_recompiles: bool = False,
            shapes_spec=None):
    """``torch.compile``: the model or function runs as it is, eagerly (npgrad has no graph compiler).

    A module comes back wrapped as PyTorch's ``OptimizedModule`` does (its state_dict keys start with
    ``_orig_mod.``); a function comes back as a wrapper calling it. With ``disable=True`` the argument
    itself comes back. Works as ``@compile`` and ``@compile(mode=...)``; ``mode`` and ``backend`` are
    checked as PyTorch checks them. See ``npgrad.compiler``.

    Example:
        >>> import npgrad as torch
        >>> f = torch.compile(lambda x: x * 2)
        >>> f(torch.tensor([1.0]))
        tensor([2.])
    """
    from .compiler import _compile

    return _compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                    name=name, disable=disable, recompile_limit=recompile_limit,
                    isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)

