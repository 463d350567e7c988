"""``torch.nn.modules.instancenorm``: instance normalisation and its base ``_InstanceNorm``."""
from ..layers.norm import (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LazyInstanceNorm1d, LazyInstanceNorm2d,
                           LazyInstanceNorm3d, _InstanceNorm)

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]
# the private names scripts import or subclass are exported too
__all__ += ["_InstanceNorm"]
