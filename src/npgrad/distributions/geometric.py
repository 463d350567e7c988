r"""The geometric distribution."""
from __future__ import annotations

import npgrad
from npgrad.nn.functional import binary_cross_entropy_with_logits
from npgrad.tensor import Size

from . import constraints
from ._mixins import _ProbsOrLogits
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Geometric"]


class Geometric(_ProbsOrLogits, Distribution):
    r"""The number of failures before the first success in Bernoulli trials of probability ``probs``
    :math:`p` (or ``logits``): :math:`P(k) = (1 - p)^k p` for :math:`k = 0, 1, \ldots`

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Geometric
        >>> m = Geometric(npgrad.tensor([0.3]))
        >>> m.log_prob(npgrad.tensor([2.0])), m.mean
        (tensor([-1.9173]), tensor([2.3333]))
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._set_probs_or_logits(probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)
        if self._validate_args and probs is not None:
            # add an extra check beyond unit_interval: p = 0 is no distribution
            value = self.probs
            valid = value > 0
            if not valid.all():
                invalid_value = value.data[~valid]
                raise ValueError("Expected parameter probs "
                                 f"({type(value).__name__} of shape {tuple(value.shape)}) "
                                 f"of distribution {repr(self)} "
                                 f"to be positive but found invalid values:\n{invalid_value}")

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_or_logits(Geometric, batch_shape, _instance)

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return npgrad.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()):
        """Samples by inversion: :math:`\\lfloor \\log U / \\log(1 - p) \\rfloor`."""
        shape = self._extended_shape(sample_shape)
        tiny = npgrad.finfo(self.probs.dtype).tiny
        with npgrad.no_grad():
            u = npgrad.empty(shape, dtype=self.probs.dtype).uniform_(tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = probs.clone()
        probs[(probs == 1) & (value == 0)] = 0  # 0 log 0 = 0
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
