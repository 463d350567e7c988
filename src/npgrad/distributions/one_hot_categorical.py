"""The one-hot categorical distribution, and its straight-through variant."""
from __future__ import annotations

import npgrad
from npgrad.nn.functional import one_hot
from npgrad.tensor import Size

from . import constraints
from ._mixins import _CategoricalParams
from .categorical import Categorical
from .distribution import Distribution

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]


class OneHotCategorical(_CategoricalParams, Distribution):
    """The categorical distribution with samples as one-hot vectors of length :math:`K` (the event dim).

    Parameters as ``Categorical``: ``probs`` or ``logits`` over the last dim.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import OneHotCategorical
        >>> m = OneHotCategorical(npgrad.tensor([0.25, 0.25, 0.5]))
        >>> m.log_prob(npgrad.tensor([0.0, 0.0, 1.0])), m.mode
        (tensor(-0.6931), tensor([0., 0., 1.]))
        >>> m.sample().shape
        npgrad.Size([3])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(OneHotCategorical, batch_shape, _instance, "_categorical")

    @property
    def mean(self):
        return self._categorical.probs

    @property
    def mode(self):
        probs = self._categorical.probs
        mode = probs.argmax(dim=-1)
        return one_hot(mode, num_classes=probs.shape[-1]).to(probs)

    @property
    def variance(self):
        return self._categorical.probs * (1 - self._categorical.probs)

    def sample(self, sample_shape=Size()):
        sample_shape = Size(sample_shape)
        probs = self._categorical.probs
        num_events = self._categorical._num_events
        indices = self._categorical.sample(sample_shape)
        return one_hot(indices, num_events).to(probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        indices = value.max(-1)[1]
        return self._categorical.log_prob(indices)

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand=True):
        return self._enumerated(npgrad.eye(self.event_shape[0], dtype=self._param.dtype), expand)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    r"""``OneHotCategorical`` with the straight-through gradient estimator (Bengio et al., 2013):
    ``rsample`` returns the one-hot sample :math:`s` as :math:`s + p - \mathrm{detach}(p)`, so its
    gradient is that of the probabilities.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import OneHotCategoricalStraightThrough
        >>> p = npgrad.tensor([0.2, 0.8], requires_grad=True)
        >>> s = OneHotCategoricalStraightThrough(p).rsample()
        >>> (s * npgrad.tensor([1.0, 2.0])).sum().backward()
        >>> p.grad
        tensor([-0.8000,  0.2000])
    """

    has_rsample = True

    def rsample(self, sample_shape=Size()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs  # cached via lazy_property
        return samples + (probs - probs.detach())
