"""``torch.nn.modules.batchnorm``: batch normalisation and the bases ``_NormBase``, ``_BatchNorm`` and
``_LazyNormBase``.

``SyncBatchNorm`` (batch statistics synchronised across processes) is not provided: npgrad has no
process groups.
"""
from ..layers.norm import (BatchNorm1d, BatchNorm2d, BatchNorm3d, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d,
                           _BatchNorm, _LazyNormBase, _NormBase)

__all__ = ["BatchNorm1d", "LazyBatchNorm1d", "BatchNorm2d", "LazyBatchNorm2d", "BatchNorm3d", "LazyBatchNorm3d"]
# the private names scripts import or subclass are exported too
__all__ += ["_BatchNorm", "_LazyNormBase", "_NormBase"]
