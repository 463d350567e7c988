r"""The exponential distribution."""
from __future__ import annotations

import npgrad
from npgrad.tensor import Size

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Exponential"]


class Exponential(ExponentialFamily):
    r"""The exponential distribution with ``rate`` :math:`\lambda`: :math:`\log p(x) = \log\lambda - \lambda x`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Exponential
        >>> m = Exponential(npgrad.tensor([2.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.icdf(npgrad.tensor([0.5]))
        (tensor([-1.3069]), tensor([0.3466]))
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return npgrad.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Exponential, batch_shape, _instance, "rate")

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return npgrad.empty(shape, dtype=self.rate.dtype).exponential_() / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - npgrad.exp(-self.rate * value)

    def icdf(self, value):
        return -npgrad.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - npgrad.log(self.rate)

    @property
    def _natural_params(self):
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -npgrad.log(-x)
