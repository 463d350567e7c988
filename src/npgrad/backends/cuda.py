"""``torch.backends.cuda``: CUDA is not built in; the cuBLAS and attention flags keep PyTorch's defaults.

``matmul.allow_tf32`` (False; tied to ``torch.set_float32_matmul_precision``),
``matmul.allow_fp16_reduced_precision_reduction`` / ``allow_bf16_reduced_precision_reduction`` (True,
settable as a bool or a ``(allow, allow_splitk)`` pair), ``matmul.allow_fp16_accumulation`` (False),
``matmul.fp32_precision``; the scaled-dot-product-attention switches (``enable_flash_sdp`` ...) and
``preferred_linalg_library`` / ``preferred_blas_library``. None changes an npgrad result.

Example:
    >>> import npgrad as torch
    >>> torch.backends.cuda.matmul.allow_tf32 = True
    >>> torch.get_float32_matmul_precision()
    'high'
"""
import contextlib
import enum
import warnings

from .._runtime import NO_CUDA, check_bool, context

__all__ = ["is_built", "matmul", "cufft_plan_cache", "preferred_linalg_library", "preferred_blas_library",
           "SDPBackend", "flash_sdp_enabled", "enable_flash_sdp", "mem_efficient_sdp_enabled",
           "enable_mem_efficient_sdp", "math_sdp_enabled", "enable_math_sdp", "cudnn_sdp_enabled",
           "enable_cudnn_sdp", "allow_fp16_bf16_reduction_math_sdp", "fp16_bf16_reduction_math_sdp_allowed",
           "is_flash_attention_available", "sdp_kernel"]


def is_built() -> bool:
    """Whether npgrad is built with CUDA support: ``False``."""
    return False


class cuBLASModule:
    """``torch.backends.cuda.matmul``: the cuBLAS switches."""

    @staticmethod
    def _parse_reduction_setting(value, attr_name: str):
        def ensure_bool(obj, which):
            if isinstance(obj, bool):
                return obj
            raise TypeError(f"{attr_name} expects a bool for {which}, but got {type(obj)!r}")

        if isinstance(value, bool):
            return value, True
        if isinstance(value, (list, tuple)):
            if not value:
                raise TypeError(f"{attr_name} expects at least one boolean argument")
            if len(value) > 2:
                raise TypeError(f"{attr_name} expects at most two boolean arguments")
            allow = ensure_bool(value[0], "allow_reduced_precision")
            return (allow, True) if len(value) == 1 else (allow, ensure_bool(value[1], "allow_splitk"))
        raise TypeError(f"{attr_name} expects a bool or a tuple/list of bools, but got {type(value)!r}")

    def __getattr__(self, name):
        cublas = context.cublas
        if name == "allow_tf32":
            return context.allow_tf32_cublas()
        if name == "allow_fp16_reduced_precision_reduction":
            return cublas["fp16_reduction"][0]
        if name == "allow_fp16_reduced_precision_reduction_split_k":
            return cublas["fp16_reduction"][1]
        if name == "allow_bf16_reduced_precision_reduction":
            return cublas["bf16_reduction"][0]
        if name == "allow_bf16_reduced_precision_reduction_split_k":
            return cublas["bf16_reduction"][1]
        if name == "allow_fp16_accumulation":
            return cublas["fp16_accumulation"]
        if name == "fp32_precision":
            return context.float32_precision("cuda", "matmul")
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            return context.set_allow_tf32_cublas(value)
        if name in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
            key = "fp16_reduction" if "fp16" in name else "bf16_reduction"
            context.cublas[key] = self._parse_reduction_setting(value, name)
            return None
        if name == "allow_fp16_accumulation":
            context.cublas["fp16_accumulation"] = check_bool(value, "set_allow_fp16_accumulation_cublas")
            return None
        if name == "fp32_precision":
            return context.set_float32_precision("cuda", "matmul", value)
        raise AttributeError("Unknown attribute " + name)


matmul = cuBLASModule()


class _PlanCache:
    """``cufft_plan_cache``: every use needs CUDA."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AssertionError(NO_CUDA)

    def __getitem__(self, device):
        raise AssertionError(NO_CUDA)


cufft_plan_cache = _PlanCache()


class _LinalgBackend(enum.Enum):
    Default = 0
    Cusolver = 1
    Magma = 2


class _BlasBackend(enum.Enum):
    Default = 0
    Cublas = 1
    Cublaslt = 2
    Ck = 3


_preferred = {"linalg": _LinalgBackend.Default}


def preferred_linalg_library(backend=None):
    """The preferred CUDA linear-algebra library; only ``"default"`` can be chosen without CUDA."""
    names = {"default": _LinalgBackend.Default, "cusolver": _LinalgBackend.Cusolver, "magma": _LinalgBackend.Magma}
    if isinstance(backend, str):
        if backend not in names:
            raise RuntimeError(f"Unknown input value. Choose from: {', '.join(names)}.")
        backend = names[backend]
    elif backend is not None and not isinstance(backend, _LinalgBackend):
        raise RuntimeError("Unknown input value type.")
    if backend is _LinalgBackend.Cusolver:
        raise RuntimeError("Cannot set preferred backend to cuSOLVER if PyTorch has not been compiled with cuSOLVER.")
    if backend is _LinalgBackend.Magma:
        raise RuntimeError("Cannot set preferred backend to MAGMA if PyTorch has not been compiled with MAGMA.")
    return _preferred["linalg"]


def preferred_blas_library(backend=None):
    """The preferred CUDA BLAS library: cuBLAS (cuBLASLt cannot be chosen without CUDA)."""
    names = {"default": _BlasBackend.Default, "cublas": _BlasBackend.Cublas, "hipblas": _BlasBackend.Cublas,
             "cublaslt": _BlasBackend.Cublaslt, "hipblaslt": _BlasBackend.Cublaslt, "ck": _BlasBackend.Ck}
    if isinstance(backend, str):
        if backend not in names:
            raise RuntimeError(f"Unknown input value. Choose from: {', '.join(names)}.")
        backend = names[backend]
    elif backend is not None and not isinstance(backend, _BlasBackend):
        raise RuntimeError("Unknown input value type.")
    if backend is _BlasBackend.Cublaslt:
        raise RuntimeError("Cannot set preferred backend to cuBLASLt if PyTorch has not been compiled with cuBLASLt.")
    if backend is _BlasBackend.Ck:
        warnings.warn("torch.backends.cuda.preferred_blas_library is an experimental feature. If you see any error "
                      "or unexpected behavior when this flag is set please file an issue on GitHub.", stacklevel=2)
    return _BlasBackend.Cublas


# --------------------------------------------------------------------------- scaled dot product attention


class SDPBackend(enum.IntEnum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


def _sdp_setter(key: str, setter: str):
    def set_enabled(enabled: bool) -> None:
        context.sdp[key] = check_bool(enabled, setter)

    return set_enabled


def flash_sdp_enabled() -> bool:
    return context.sdp["flash"]


def mem_efficient_sdp_enabled() -> bool:
    return context.sdp["mem_efficient"]


def math_sdp_enabled() -> bool:
    return context.sdp["math"]


def cudnn_sdp_enabled() -> bool:
    return context.sdp["cudnn"]


def fp16_bf16_reduction_math_sdp_allowed() -> bool:
    return context.sdp["fp16_bf16_reduction_math"]


enable_flash_sdp = _sdp_setter("flash", "set_sdp_use_flash")
enable_mem_efficient_sdp = _sdp_setter("mem_efficient", "set_sdp_use_mem_efficient")
enable_math_sdp = _sdp_setter("math", "set_sdp_use_math")
enable_cudnn_sdp = _sdp_setter("cudnn", "set_sdp_use_cudnn")
allow_fp16_bf16_reduction_math_sdp = _sdp_setter("fp16_bf16_reduction_math",
                                                 "set_math_sdp_allow_fp16_bf16_reduction")


def is_flash_attention_available() -> bool:
    """Whether FlashAttention is built in: ``False``."""
    return False


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True, enable_mem_efficient: bool = True,
               enable_cudnn: bool = True):
    """Deprecated: enable only the given attention backends inside the block (npgrad always runs the math one)."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=3)
    previous = dict(context.sdp)
    context.sdp.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient,
                       cudnn=enable_cudnn)
    try:
        yield {}
    finally:
        context.sdp.update(previous)
