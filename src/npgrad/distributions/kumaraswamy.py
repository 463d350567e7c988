r"""The Kumaraswamy distribution on :math:`[0, 1]`."""
from __future__ import annotations

import math

import npgrad

from . import constraints
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all, euler_constant

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    r"""The ``n``-th moment :math:`b\,B(1 + n/a, b)` of a Kumaraswamy distribution."""
    arg1 = 1 + n / a
    log_value = npgrad.lgamma(arg1) + npgrad.lgamma(b) - npgrad.lgamma(arg1 + b)
    return b * npgrad.exp(log_value)


class Kumaraswamy(TransformedDistribution):
    r"""The Kumaraswamy distribution with :math:`a` = ``concentration1`` and :math:`b` =
    ``concentration0``: :math:`p(x) = a b x^{a - 1}(1 - x^a)^{b - 1}`.

    Samples are :math:`(1 - U^{1/b})^{1/a}` for a uniform :math:`U`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Kumaraswamy
        >>> m = Kumaraswamy(npgrad.tensor([2.0]), npgrad.tensor([3.0]))
        >>> m.log_prob(npgrad.tensor([0.5])), m.mean
        (tensor([0.5232]), tensor([0.4571]))
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base_dist = Uniform(npgrad.full_like(self.concentration0, 0), npgrad.full_like(self.concentration0, 1),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        # evaluated in log space for stability
        log_mode = (self.concentration0.reciprocal() * (-self.concentration0).log1p()
                    - (-self.concentration0 * self.concentration1).log1p())
        log_mode[(self.concentration0 < 1) | (self.concentration1 < 1)] = math.nan
        return log_mode.exp()

    @property
    def variance(self):
        return _moments(self.concentration1, self.concentration0, 2) - npgrad.pow(self.mean, 2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = npgrad.digamma(self.concentration0 + 1) + euler_constant
        return t0 + t1 * H0 - npgrad.log(self.concentration1) - npgrad.log(self.concentration0)
