"""PixelShuffle and PixelUnshuffle: thin shells over ``nn.functional``."""
from __future__ import annotations

from .. import functional as F
from ..module import Module


class PixelShuffle(Module):
    r""":math:`(*, C r^2, H, W) \to (*, C, H r, W r)` with :math:`r` = ``upscale_factor`` (Shi et al., 2016)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r""":math:`(*, C, H r, W r) \to (*, C r^2, H, W)` with :math:`r` = ``downscale_factor``: the inverse of
    :class:`PixelShuffle`."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
