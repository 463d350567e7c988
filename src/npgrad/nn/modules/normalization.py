"""``torch.nn.modules.normalization``: ``LayerNorm``, ``GroupNorm``, ``RMSNorm`` and ``LocalResponseNorm``.

``CrossMapLRN2d`` (the legacy Lua-torch cross-channel LRN) is not provided.
"""
from ..layers.norm import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm

__all__ = ["LocalResponseNorm", "LayerNorm", "GroupNorm", "RMSNorm"]
