r"""The Fisher-Snedecor (F) distribution."""
from __future__ import annotations

import math

import npgrad
from npgrad.tensor import Size

from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    r"""The F distribution with ``df1`` :math:`d_1` and ``df2`` :math:`d_2` degrees of freedom: the ratio
    :math:`(X_1/d_1)/(X_2/d_2)` of chi-squared variables.

    .. math:: \log p(x) = \log\frac{\Gamma(\frac{d_1 + d_2}{2})}{\Gamma(\frac{d_1}{2})\Gamma(\frac{d_2}{2})}
              + \frac{d_1}{2}\log\frac{d_1}{d_2} + (\tfrac{d_1}{2} - 1)\log x
              - \frac{d_1 + d_2}{2}\log\left(1 + \frac{d_1}{d_2}x\right)

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import FisherSnedecor
        >>> m = FisherSnedecor(npgrad.tensor([3.0]), npgrad.tensor([5.0]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.mean
        (tensor([-1.0184]), tensor([1.6667]))
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(self.df1.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(FisherSnedecor, batch_shape, _instance, "df1", "df2", "_gamma1", "_gamma2")

    @property
    def mean(self):
        df2 = self.df2.clone()
        df2[df2 <= 2] = math.nan
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        mode[self.df1 <= 2] = math.nan
        return mode

    @property
    def variance(self):
        df2 = self.df2.clone()
        df2[df2 <= 4] = math.nan
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=Size(())):
        shape = self._extended_shape(sample_shape)
        # X1 ~ Gamma(df1 / 2, 1 / df1), X2 ~ Gamma(df2 / 2, 1 / df2), Y = df2 * df1 * X1 / (df1 * df2 * X2) = X1 / X2
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = npgrad.finfo(x2.dtype).tiny
        x2 = x2.clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1 = self.df1 * 0.5
        ct2 = self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * npgrad.log(value)
        t3 = (ct1 + ct2) * npgrad.log1p(ct3 * value)
        return t1 + t2 - t3
