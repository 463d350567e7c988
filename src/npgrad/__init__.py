"""npgrad: neural-network training on NumPy with PyTorch's API.

``import npgrad as torch`` runs PyTorch programs in npgrad's scope: tensors with
autograd, ``nn`` layers and losses, ``optim`` optimizers and schedulers.
"""
from . import _dtype
from ._dtype import (bool_ as bool, double, dtype, float, float16, float32, float64, get_default_dtype, half,
                     int, int8, int16, int32, int64, long, set_default_dtype, short, uint8)
from .autograd.grad_mode import (enable_grad, inference_mode, is_anomaly_check_nan_enabled, is_anomaly_enabled,
                                 is_grad_enabled, is_inference_mode_enabled, no_grad, set_anomaly_enabled,
                                 set_grad_enabled)
from .random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed,
                     multinomial, normal, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                     seed, set_rng_state)
from .tensor import (Size, Tensor, arange, as_tensor, cat, concat, concatenate, device, einsum, empty,
                     empty_like, eye, from_numpy, full, full_like, linspace, logspace, matmul, ones, ones_like,
                     stack, tensor, unique, where, zeros, zeros_like)
from .functions import *  # noqa: F401,F403  (torch.exp, torch.sum, ... as functions)
from .serialization import load, save
from . import autograd, cuda, random  # noqa: E402

__version__ = "0.1.0"


def __getattr__(name):
    # subpackages load on first use so that `import npgrad` stays light
    import importlib

    if name in ("nn", "optim", "data", "train", "utils", "kernels", "cli", "linalg", "special", "backends", "amp",
                "testing", "compiler", "jit", "cpu", "distributions", "version", "func"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'npgrad' has no attribute '{name}'")
