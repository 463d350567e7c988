r"""The negative binomial distribution."""
from __future__ import annotations

import npgrad
import npgrad.nn.functional as F
from npgrad.tensor import Size

from . import constraints
from ._samplers import poisson
from .distribution import Distribution
from .gamma import Gamma
from .utils import _new, broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["NegativeBinomial"]


class NegativeBinomial(Distribution):
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
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)

        self._param = self.probs if probs is not None else self.logits
        batch_shape = self._param.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(NegativeBinomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(NegativeBinomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args):
        return _new(self._param, *args)

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
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

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
