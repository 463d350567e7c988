"""The continuous uniform distribution on :math:`[\\mathrm{low}, \\mathrm{high})`."""
from __future__ import annotations

import math

import npgrad
from npgrad.tensor import Size

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    r"""The uniform distribution on the half-open interval :math:`[\mathrm{low}, \mathrm{high})`.

    .. math:: \log p(x) = -\log(\mathrm{high} - \mathrm{low}) \text{ on the interval}, -\infty \text{ outside}

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Uniform
        >>> m = Uniform(npgrad.tensor([0.0]), npgrad.tensor([5.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.cdf(npgrad.tensor([1.0]))
        (tensor([-1.6094]), tensor([0.2000]))
    """

    has_rsample = True

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Uniform, batch_shape, _instance, "low", "high")

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        rand = npgrad.rand(shape, dtype=self.low.dtype)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lb = self.low.le(value).type_as(self.low)
        ub = self.high.gt(value).type_as(self.low)
        return npgrad.log(lb.mul(ub)) - npgrad.log(self.high - self.low)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return npgrad.log(self.high - self.low)
