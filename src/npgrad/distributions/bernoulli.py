r"""The Bernoulli distribution over :math:`\{0, 1\}`."""
from __future__ import annotations

import math

import npgrad
from npgrad.nn.functional import binary_cross_entropy_with_logits
from npgrad.tensor import Size

from . import constraints
from ._mixins import _ProbsOrLogits, _TensorParam
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Bernoulli"]


class Bernoulli(_ProbsOrLogits, _TensorParam, ExponentialFamily):
    r"""The Bernoulli distribution: 1 with probability ``probs``, 0 otherwise; or given by ``logits``
    (log-odds), :math:`p = \sigma(\mathrm{logits})`. Exactly one of the two is given; the other is
    computed on first use.

    .. math:: \log p(x) = x \log p + (1 - x) \log(1 - p)

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Bernoulli
        >>> m = Bernoulli(npgrad.tensor([0.3]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.logits
        (tensor([-1.2040]), tensor([-0.8473]))
        >>> m.enumerate_support()
        tensor([[0.],
                [1.]])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_probs_or_logits(probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_or_logits(Bernoulli, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs)
        mode[self.probs == 0.5] = math.nan
        return mode

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with npgrad.no_grad():
            return npgrad.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        return self._enumerated(npgrad.arange(2, dtype=self._param.dtype), expand)

    @property
    def _natural_params(self):
        return (npgrad.logit(self.probs),)

    def _log_normalizer(self, x):
        return npgrad.log1p(npgrad.exp(x))
