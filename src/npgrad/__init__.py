"""npgrad: neural-network training on NumPy with PyTorch's API.

``import npgrad as torch`` runs PyTorch programs in npgrad's scope: tensors with
autograd, ``nn`` layers and losses, ``optim`` optimizers and schedulers.
"""
from . import _dtype
from ._dtype import (bool_ as bool, double, dtype, float, float16, float32, float64, get_default_dtype, half,
                     int, int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from ._layout import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from ._legacy import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
                      LongTensor, ShortTensor, e, inf, layout, nan, newaxis, pi, set_default_tensor_type,
                      strided)
from .autograd.grad_mode import (enable_grad, inference_mode, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                                 is_grad_enabled, is_inference_mode_enabled, no_grad, set_anomaly_enabled,
                                 set_grad_enabled)
from .random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed,
                     multinomial, normal, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                     seed, set_rng_state)
from .tensor import (Size, Tensor, arange, as_tensor, cat, concat, concatenate, device, einsum, empty,
                     empty_like, eye, from_numpy, full, full_like, linspace, logspace, matmul, ones, ones_like,
                     stack, tensor, unique, where, zeros, zeros_like)
from .storage import TypedStorage, UntypedStorage
from . import functions as _functions  # torch.exp, torch.sum, ... as functions
from . import autograd, random

# the functions' names; those of the modules in functions._LAZY (npgrad.kron, npgrad.compile, ...) load on first use
globals().update((_name, getattr(_functions, _name)) for _name in _functions.__all__ if _name not in _functions._LAZY)

__version__ = "0.1.0"

_SUBPACKAGES = frozenset(("nn", "optim", "data", "train", "utils", "kernels", "cli", "linalg", "special", "backends",
                          "amp", "testing", "compiler", "jit", "cpu", "cuda", "distributions", "version", "func",
                          "serialization", "ops", "accelerator", "xpu", "mps", "storage"))
# the names whose modules load on first use: the functions in functions._LAZY, torch.save and torch.load
_LAZY = dict(_functions._LAZY, load=".serialization", save=".serialization")

# torch.__all__'s kind: every public name but the modules
__all__ = [_name for _name, _value in globals().items() if not _name.startswith("_") and _name not in _SUBPACKAGES
           and not isinstance(_value, type(_functions))]
__all__ += [_name for _name in _functions.__all__ if _name in _LAZY] + ["load", "save"]


def __getattr__(name):
    # subpackages and the functions of _LAZY load on first use so that `import npgrad` stays light
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'npgrad' has no attribute '{name}'")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBPACKAGES)
