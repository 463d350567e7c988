r"""The half-normal distribution."""
from __future__ import annotations

import math

from . import constraints
from ._mixins import _Folded
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

__all__ = ["HalfNormal"]


class HalfNormal(_Folded, TransformedDistribution):
    r"""The distribution of :math:`|X|` for :math:`X \sim \mathcal{N}(0, \mathrm{scale}^2)`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import HalfNormal
        >>> m = HalfNormal(npgrad.tensor([1.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.mean
        (tensor([-0.7258]), tensor([0.7979]))
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        base_dist = Normal(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._folded_log_prob(value)
