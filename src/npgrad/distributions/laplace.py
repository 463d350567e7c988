r"""The Laplace distribution."""
from __future__ import annotations

import npgrad
from npgrad.tensor import Size

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Laplace"]


class Laplace(Distribution):
    r"""The Laplace distribution with location ``loc`` :math:`\mu` and ``scale`` :math:`b`:
    :math:`\log p(x) = -\log 2b - |x - \mu| / b`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Laplace
        >>> m = Laplace(npgrad.tensor([0.0]), npgrad.tensor([1.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.cdf(npgrad.tensor([1.0]))
        (tensor([-1.6931]), tensor([0.8161]))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Laplace, batch_shape, _instance, "loc", "scale")

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        finfo = npgrad.finfo(self.loc.dtype)
        # u uniform on (-1, 1): the open end at -1 keeps log1p(-|u|) finite
        u = npgrad.empty(shape, dtype=self.loc.dtype).uniform_(finfo.eps - 1, 1)
        return self.loc - self.scale * u.sign() * npgrad.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -npgrad.log(2 * self.scale) - npgrad.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * npgrad.expm1(-(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * npgrad.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + npgrad.log(2 * self.scale)
