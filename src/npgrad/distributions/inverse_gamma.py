r"""The inverse gamma distribution."""
from __future__ import annotations

import math

import npgrad

from . import constraints
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    r"""The distribution of :math:`1/X` for :math:`X \sim \Gamma(\alpha, \beta)` (``concentration``,
    ``rate``):

    .. math:: \log p(x) = \alpha\log\beta - \log\Gamma(\alpha) - (\alpha + 1)\log x - \beta / x

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import InverseGamma
        >>> m = InverseGamma(npgrad.tensor([3.0]), npgrad.tensor([2.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.mean
        (tensor([-0.6137]), tensor([1.]))
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base_dist = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base_dist.rate.new_ones(())
        super().__init__(base_dist, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        result = self.rate / (self.concentration - 1)
        return npgrad.where(self.concentration > 1, result, math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        result = self.rate.square() / ((self.concentration - 1).square() * (self.concentration - 2))
        return npgrad.where(self.concentration > 2, result, math.inf)

    def entropy(self):
        return (self.concentration + self.rate.log() + self.concentration.lgamma()
                - (1 + self.concentration) * self.concentration.digamma())
