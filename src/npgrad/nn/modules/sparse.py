"""``torch.nn.modules.sparse``: ``Embedding`` and ``EmbeddingBag``."""
from ..layers.embedding import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
