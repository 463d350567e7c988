"""``torch.nn.modules.distance``: ``PairwiseDistance`` and ``CosineSimilarity``."""
from ..layers.distance import CosineSimilarity, PairwiseDistance

__all__ = ["PairwiseDistance", "CosineSimilarity"]
