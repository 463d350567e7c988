"""ChannelShuffle: a thin shell over ``nn.functional.channel_shuffle``."""
from __future__ import annotations

from .. import functional as F
from ..module import Module


class ChannelShuffle(Module):
    r"""Interleave the channels of ``groups`` groups (Zhang et al., 2017, ShuffleNet): ``(N, g, C/g, *)`` is
    transposed to ``(N, C/g, g, *)``."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
