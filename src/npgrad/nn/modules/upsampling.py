"""``torch.nn.modules.upsampling``: ``Upsample``, ``UpsamplingNearest2d`` and ``UpsamplingBilinear2d``."""
from ..layers.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
