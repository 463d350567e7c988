r"""The gamma distribution."""
from __future__ import annotations

import numpy as np

import npgrad
from npgrad.tensor import Size

from . import constraints
from ._samplers import standard_gamma
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma"]


def _standard_gamma(concentration):
    return standard_gamma(concentration)


class Gamma(ExponentialFamily):
    r"""The gamma distribution with shape ``concentration`` :math:`\alpha` and ``rate`` :math:`\beta`.

    .. math:: \log p(x) = \alpha\log\beta + (\alpha - 1)\log x - \beta x - \log\Gamma(\alpha)

    ``rsample`` draws by Marsaglia & Tsang and is differentiable in :math:`\alpha` by implicit
    reparameterisation.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Gamma
        >>> m = Gamma(npgrad.tensor([2.0]), npgrad.tensor([3.0]))
        >>> m.mean, m.log_prob(npgrad.tensor([0.5]))
        (tensor([0.6667]), tensor([0.0041]))
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, _instance, "concentration", "rate")

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        tiny = npgrad.finfo(value.dtype).tiny
        np.maximum(value._data, tiny, out=value._data)  # the division may underflow: keep samples positive
        return value

    def log_prob(self, value):
        value = npgrad.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (npgrad.xlogy(self.concentration, self.rate) + npgrad.xlogy(self.concentration - 1, value)
                - self.rate * value - npgrad.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - npgrad.log(self.rate) + npgrad.lgamma(self.concentration)
                + (1.0 - self.concentration) * npgrad.digamma(self.concentration))

    @property
    def _natural_params(self):
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x, y):
        return npgrad.lgamma(x + 1) + (x + 1) * npgrad.log(-y.reciprocal())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return npgrad.special.gammainc(self.concentration, self.rate * value)
