"""``torch.backends``: the switches of PyTorch's compute libraries, as PyTorch 2.13 keeps them without CUDA.

npgrad computes with NumPy, its BLAS and Numba kernels, never with cuDNN, cuBLAS, oneDNN (mkldnn),
MKL, NNPACK or MPS. Each submodule therefore reports those libraries as npgrad uses them (``cudnn``,
``mps``, ``mkldnn``, ``mkl``, ``openmp``, ``nnpack``: not available) and keeps every flag a program may
set or read (``cudnn.benchmark``, ``cudnn.deterministic``, ``cuda.matmul.allow_tf32``,
``fp32_precision`` ...), with PyTorch's defaults, type checks, ``flags()`` context managers and
legacy/new TF32 API consistency errors. No flag changes an npgrad result: float32 products always run in
full float32 and every kernel is deterministic.

Example:
    >>> import npgrad as torch
    >>> torch.backends.cudnn.benchmark = True
    >>> torch.backends.mps.is_available()
    False
"""
import contextlib
import sys
import types

from .._runtime import context

__all__ = ["disable_global_flags", "flags_frozen", "flags", "set_flags", "cpu", "cuda", "cudnn", "mha", "mkl", "mkldnn",
           "mps", "nnpack", "openmp", "opt_einsum"]

_mutation_allowed = [True]


def disable_global_flags() -> None:
    """Refuse plain assignments to backend flags from now on; only ``flags()`` blocks may change them."""
    _mutation_allowed[0] = False


def flags_frozen() -> bool:
    """Whether ``disable_global_flags()`` was called."""
    return not _mutation_allowed[0]


@contextlib.contextmanager
def _allow_nonbracketed_mutation():
    old = _mutation_allowed[0]
    _mutation_allowed[0] = True
    try:
        yield
    finally:
        _mutation_allowed[0] = old


class ContextProp:
    """A module attribute read through ``getter`` and assigned through ``setter``."""

    def __init__(self, getter, setter):
        self.getter = getter
        self.setter = setter

    def __get__(self, obj, objtype):
        return self.getter()

    def __set__(self, obj, val):
        if flags_frozen():
            raise RuntimeError(f"not allowed to set {obj.__name__} flags after disable_global_flags; please use "
                               "flags() context manager instead")
        self.setter(val)


def install(module_name: str, props: dict) -> None:
    """Give the module ``module_name`` the properties ``props`` (name -> ContextProp) by swapping its class."""
    module = sys.modules[module_name]
    module.__class__ = type(f"{module_name.rsplit('.', 1)[-1].capitalize()}Module", (types.ModuleType,), props)


def precision_prop(backend: str, op: str, setter_backend: str | None = None) -> ContextProp:
    """The ``fp32_precision`` of (backend, op) as a module property."""
    return ContextProp(lambda: context.float32_precision(backend, op),
                       lambda p: context.set_float32_precision(setter_backend or backend, op, p))


class FP32Precision:
    """``torch.backends.<backend>.<op>.fp32_precision``: "ieee", "tf32", "bf16" or "none" (inherit)."""

    def __init__(self, backend: str, op: str):
        object.__setattr__(self, "backend", backend)
        object.__setattr__(self, "op", op)

    def __setattr__(self, name, value):
        if name != "fp32_precision":
            raise AttributeError("Unknown attribute " + name)
        context.set_float32_precision(self.backend, self.op, value)

    def __getattr__(self, name):
        if name != "fp32_precision":
            raise AttributeError("Unknown attribute " + name)
        return context.float32_precision(self.backend, self.op)


def set_flags(_fp32_precision="none"):
    orig_flags = (context.float32_precision("generic", "all"),)
    if _fp32_precision is not None:
        context.set_float32_precision("generic", "all", _fp32_precision)
    return orig_flags


@contextlib.contextmanager
def flags(fp32_precision="none"):
    """Set the generic fp32 precision inside the block, restoring it after."""
    with _allow_nonbracketed_mutation():
        orig_flags = set_flags(fp32_precision)
    try:
        yield
    finally:
        with _allow_nonbracketed_mutation():
            set_flags(*orig_flags)


install(__name__, {"fp32_precision": precision_prop("generic", "all")})

from . import cpu, cuda, cudnn, mha, mkl, mkldnn, mps, nnpack, openmp, opt_einsum  # noqa: E402
