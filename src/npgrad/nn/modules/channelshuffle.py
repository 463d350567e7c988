"""``torch.nn.modules.channelshuffle``: ``ChannelShuffle``."""
from ..layers.channelshuffle import ChannelShuffle

__all__ = ["ChannelShuffle"]
