r"""The half-Cauchy distribution."""
from __future__ import annotations

import math

import npgrad

from . import constraints
from ._mixins import _Folded
from .cauchy import Cauchy
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform

__all__ = ["HalfCauchy"]


class HalfCauchy(_Folded, TransformedDistribution):
    r"""The distribution of :math:`|X|` for :math:`X` Cauchy with location 0 and ``scale``.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import HalfCauchy
        >>> m = HalfCauchy(npgrad.tensor([1.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.cdf(npgrad.tensor([1.0]))
        (tensor([-1.1447]), tensor([0.5000]))
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        base_dist = Cauchy(0, scale, validate_args=False)
        super().__init__(base_dist, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return npgrad.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = npgrad.as_tensor(value, dtype=self.base_dist.scale.dtype)
        return self._folded_log_prob(value)
