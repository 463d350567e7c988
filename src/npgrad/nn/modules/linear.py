"""``torch.nn.modules.linear``: ``Identity``, ``Linear``, ``Bilinear``, ``LazyLinear`` and
``NonDynamicallyQuantizableLinear`` (the class of ``MultiheadAttention.out_proj``)."""
from ..layers import attention as _attention
from ..layers.linear import Bilinear, Identity, LazyLinear, Linear
from ...tensor import check_device

__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear"]


class _OutProjLinear(Linear):
    """A ``Linear`` under another name: the type of ``MultiheadAttention.out_proj``, as in PyTorch.

    Example:
        >>> import npgrad.nn as nn
        >>> isinstance(nn.MultiheadAttention(4, 2).out_proj, NonDynamicallyQuantizableLinear)
        True
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        check_device(device)
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)


_OutProjLinear.__name__ = _OutProjLinear.__qualname__ = "NonDynamicallyQuantizableLinear"

# MultiheadAttention builds its out_proj from one cached class: make it this one, so that isinstance holds
if not _attention._OUT_PROJ_CLASS:
    _attention._OUT_PROJ_CLASS.append(_OutProjLinear)
NonDynamicallyQuantizableLinear = _attention._OUT_PROJ_CLASS[0]
