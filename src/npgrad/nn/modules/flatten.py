"""``torch.nn.modules.flatten``: ``Flatten`` and ``Unflatten``."""
from ..layers.linear import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
