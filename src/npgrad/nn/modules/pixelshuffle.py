"""``torch.nn.modules.pixelshuffle``: ``PixelShuffle`` and ``PixelUnshuffle``."""
from ..layers.pixelshuffle import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
