r"""The Weibull distribution."""
from __future__ import annotations

import npgrad

from . import constraints
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .utils import broadcast_all, euler_constant

__all__ = ["Weibull"]


class Weibull(TransformedDistribution):
    r"""The two-parameter Weibull distribution with ``scale`` :math:`\lambda` and ``concentration``
    :math:`k`: :math:`p(x) = \frac{k}{\lambda}(x/\lambda)^{k - 1}e^{-(x/\lambda)^k}`, the law of
    :math:`\lambda E^{1/k}` for :math:`E` standard exponential.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Weibull
        >>> m = Weibull(npgrad.tensor([1.0]), npgrad.tensor([2.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.mean
        (tensor([-0.3069]), tensor([0.8862]))
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base_dist = Exponential(npgrad.ones_like(self.scale), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration_reciprocal), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Weibull, _instance)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        base_dist = self.base_dist.expand(batch_shape)
        transforms = [PowerTransform(exponent=new.concentration_reciprocal), AffineTransform(loc=0, scale=new.scale)]
        super(Weibull, new).__init__(base_dist, transforms, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return self.scale * npgrad.exp(npgrad.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self):
        return self.scale * ((self.concentration - 1) / self.concentration) ** self.concentration.reciprocal()

    @property
    def variance(self):
        return self.scale.pow(2) * (npgrad.exp(npgrad.lgamma(1 + 2 * self.concentration_reciprocal))
                                    - npgrad.exp(2 * npgrad.lgamma(1 + self.concentration_reciprocal)))

    def entropy(self):
        return (euler_constant * (1 - self.concentration_reciprocal)
                + npgrad.log(self.scale * self.concentration_reciprocal) + 1)
