r"""Student's t-distribution."""
from __future__ import annotations

import math

import npgrad
from npgrad.tensor import Size

from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import _standard_normal, broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    r"""Student's t-distribution with ``df`` :math:`\nu`, ``loc`` :math:`\mu` and ``scale`` :math:`\sigma`;
    with :math:`y = (x - \mu)/\sigma`:

    .. math:: \log p(x) = -\tfrac{\nu + 1}{2}\log(1 + y^2/\nu) - \log\sigma - \tfrac12\log\nu\pi
              - \log\Gamma(\tfrac\nu2) + \log\Gamma(\tfrac{\nu + 1}{2})

    Samples are :math:`\mu + \sigma X / \sqrt{Z/\nu}` for :math:`X` standard normal and :math:`Z`
    chi-squared (reparameterised).

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import StudentT
        >>> m = StudentT(npgrad.tensor([3.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.variance
        (tensor([-1.5763]), tensor([3.]))
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self):
        m = self.loc.clone()
        m[self.df <= 1] = math.nan
        return m

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        m = self.df.clone()
        m[self.df > 2] = self.scale[self.df > 2].pow(2) * self.df[self.df > 2] / (self.df[self.df > 2] - 2)
        m[(self.df <= 2) & (self.df > 1)] = math.inf
        m[self.df <= 1] = math.nan
        return m

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(StudentT, batch_shape, _instance, "df", "loc", "scale", "_chi2")

    def rsample(self, sample_shape=Size()):
        # X ~ Normal(0, 1), Z ~ Chi2(df), Y = X / sqrt(Z / df) ~ StudentT(df)
        shape = self._extended_shape(sample_shape)
        X = _standard_normal(shape, dtype=self.df.dtype)
        Z = self._chi2.rsample(sample_shape)
        Y = X * npgrad.rsqrt(Z / self.df)
        return self.loc + self.scale * Y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + npgrad.lgamma(0.5 * self.df)
             - npgrad.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * npgrad.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        lbeta = npgrad.lgamma(0.5 * self.df) + math.lgamma(0.5) - npgrad.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1)
                * (npgrad.digamma(0.5 * (self.df + 1)) - npgrad.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
