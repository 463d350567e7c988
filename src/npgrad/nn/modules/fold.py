"""``torch.nn.modules.fold``: ``Fold`` and ``Unfold``."""
from ..layers.conv import Fold, Unfold

__all__ = ["Fold", "Unfold"]
