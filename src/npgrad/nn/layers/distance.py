"""Distance modules: CosineSimilarity and PairwiseDistance, thin shells over ``nn.functional``."""
from __future__ import annotations

from .. import functional as F
from ..module import Module


class CosineSimilarity(Module):
    r""":math:`\frac{x_1 \cdot x_2}{\max(\lVert x_1 \rVert_2, \epsilon) \max(\lVert x_2 \rVert_2, \epsilon)}`
    along ``dim``."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    r""":math:`\lVert x_1 - x_2 + \epsilon \rVert_p` over the last dim; the order ``p`` is kept as ``norm``."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
