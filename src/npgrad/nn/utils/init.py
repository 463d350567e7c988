"""``skip_init``: build a module without spending time on its parameters' initial values."""
from __future__ import annotations

import inspect
from contextlib import contextmanager

from ...tensor import Tensor, check_device
from .. import init
from ..module import Module

__all__ = ["skip_init"]

# what fills a new module's parameters: the in-place initialisers and the random fills of Tensor
_INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                   "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                   "sparse_")
_TENSOR_FILLS = ("uniform_", "normal_", "bernoulli_", "random_", "exponential_")


def _leave_as_is(tensor, *args, **kwargs):
    return tensor


@contextmanager
def _initialisers_off():
    """Within the context the initialisers return their tensor untouched (and draw no random numbers)."""
    saved = [(init, name, getattr(init, name)) for name in _INIT_FUNCTIONS]
    saved += [(Tensor, name, Tensor.__dict__[name]) for name in _TENSOR_FILLS]
    try:
        for owner, name, _ in saved:
            setattr(owner, name, _leave_as_is)
        yield
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its parameters and buffers left uninitialized (as ``torch.empty``).

    As in PyTorch, the class must take a ``device`` argument, and its constructor must do nothing with its
    parameters but initialise them: the ``nn.init`` functions and the tensors' random fills are skipped while
    it runs (so no random numbers are drawn). Values written directly (e.g. a norm layer's ones) remain.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.utils.skip_init(npgrad.nn.Linear, 5, 1)
        >>> m.weight.shape
        npgrad.Size([1, 5])
    """
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    check_device(final_device)  # the CPU, or PyTorch's error for a device npgrad lacks
    kwargs["device"] = final_device
    with _initialisers_off():
        return module_cls(*args, **kwargs)
