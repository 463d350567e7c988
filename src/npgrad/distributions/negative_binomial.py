r"""The negative binomial distribution."""
from __future__ import annotations

import npgrad
import npgrad.nn.functional as F
from npgrad.tensor import Size

from . import constraints
from ._mixins import _ProbsOrLogits, _TensorParam
from ._samplers import poisson
from .distribution import Distribution
from .gamma import Gamma
from .utils import lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(_ProbsOrLogits, _TensorParam, Distribution):
    r"""The number of successes, each of probability ``probs`` :math:`p` (or ``logits``), before
    ``total_count`` :math:`r` failures (:math:`r` need not be an integer):

    .. math:: \log p(k) = \log\Gamma(r + k) - \log\Gamma(r) - \log k! + r\log(1 - p) + k\log p

    Samples are Poisson with a gamma-distributed rate.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import NegativeBinomial
        >>> m = NegativeBinomial(3.0, npgrad.tensor([0.4]))
        >>> m.log_prob(npgrad.tensor([2.0])), m.mean
        (tensor([-1.5733]), tensor([2.]))
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        (total_count,) = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_or_logits(NegativeBinomial, batch_shape, _instance, "total_count")

    @property
    def mean(self):
        return self.total_count * npgrad.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / npgrad.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        # the rate of the Poisson mixture: Gamma(total_count, 1 / odds)
        return Gamma(concentration=self.total_count, rate=npgrad.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=Size()):
        with npgrad.no_grad():
            rate = self._gamma.sample(sample_shape=sample_shape)
            return poisson(rate)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = self.total_count * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        log_normalization = (-npgrad.lgamma(self.total_count + value) + npgrad.lgamma(1.0 + value)
                             + npgrad.lgamma(self.total_count))
        # the normaliser is 1 for total_count + value == 0 (a point mass at 0), where lgamma is infinite
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization
