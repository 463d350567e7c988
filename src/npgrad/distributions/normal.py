r"""The normal distribution :math:`\mathcal{N}(\mu, \sigma^2)`."""
from __future__ import annotations

import math

import npgrad
from npgrad.tensor import Size

from . import constraints
from .exp_family import ExponentialFamily
from .utils import _Number, _standard_normal, broadcast_all

__all__ = ["Normal"]


class Normal(ExponentialFamily):
    r"""The normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``.

    .. math:: \log p(x) = -\frac{(x - \mu)^2}{2\sigma^2} - \log\sigma - \tfrac12\log 2\pi

    ``rsample`` is :math:`\mu + \sigma\epsilon` with :math:`\epsilon \sim \mathcal{N}(0, 1)`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Normal
        >>> m = Normal(npgrad.tensor([0.0]), npgrad.tensor([1.0]))
        >>> m.log_prob(npgrad.tensor([0.5]))
        tensor([-1.0439])
        >>> m.cdf(npgrad.tensor([0.0])), m.entropy()
        (tensor([0.5000]), tensor([1.4189]))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Normal, batch_shape, _instance, "loc", "scale")

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with npgrad.no_grad():
            return npgrad.normal(self.loc.expand(shape), self.scale.expand(shape))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        log_scale = math.log(self.scale) if isinstance(self.scale, _Number) else self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + npgrad.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * npgrad.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + npgrad.log(self.scale)

    @property
    def _natural_params(self):
        return self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal()

    def _log_normalizer(self, x, y):
        return -0.25 * x.pow(2) / y + 0.5 * npgrad.log(-math.pi / y)
