r"""The Poisson distribution."""
from __future__ import annotations

import npgrad
from npgrad.tensor import Size

from . import constraints
from ._samplers import poisson
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    r"""The Poisson distribution with ``rate`` :math:`\lambda`:
    :math:`\log p(k) = k\log\lambda - \lambda - \log k!`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Poisson
        >>> m = Poisson(npgrad.tensor([4.0]))
        >>> m.log_prob(npgrad.tensor([3.0]))
        tensor([-1.6329])
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Poisson, batch_shape, _instance, "rate")

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with npgrad.no_grad():
            return poisson(self.rate.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()

    @property
    def _natural_params(self):
        return (npgrad.log(self.rate),)

    def _log_normalizer(self, x):
        return npgrad.exp(x)
