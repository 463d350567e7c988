r"""The binomial distribution."""
from __future__ import annotations

import npgrad
from npgrad.tensor import Size

from . import constraints
from ._mixins import _ProbsOrLogits, _TensorParam
from ._samplers import binomial
from .distribution import Distribution

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # max(x, 0) with a gradient of 1/2 at 0, as PyTorch has it
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(_ProbsOrLogits, _TensorParam, Distribution):
    r"""The number of successes in ``total_count`` :math:`n` independent trials of probability ``probs``
    :math:`p` (or ``logits``; ``total_count`` broadcasts with them):

    .. math:: \log p(k) = \log\binom{n}{k} + k\log p + (n - k)\log(1 - p)

    computed from the logits in a form that is stable for large :math:`|\mathrm{logits}|`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Binomial
        >>> m = Binomial(10, npgrad.tensor([0.3]))
        >>> m.log_prob(npgrad.tensor([3.0])), m.mean
        (tensor([-1.3211]), tensor([3.]))
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        (total_count,) = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_or_logits(Binomial, batch_shape, _instance, "total_count")

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with npgrad.no_grad():
            return binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = npgrad.lgamma(self.total_count + 1)
        log_factorial_k = npgrad.lgamma(value + 1)
        log_factorial_nmk = npgrad.lgamma(self.total_count - value + 1)
        # k log p + (n - k) log(1 - p) = k l - n log(1 + e^l), written as
        # k l - n max(l, 0) - n log(1 + e^-|l|) to stay finite for large |l|
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * npgrad.log1p(npgrad.exp(-npgrad.abs(self.logits)))
                          - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(npgrad.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        return self._enumerated(npgrad.arange(1 + total_count, dtype=self._param.dtype), expand)
