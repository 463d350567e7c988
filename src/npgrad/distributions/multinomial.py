r"""The multinomial distribution."""
from __future__ import annotations

import math

import numpy as np

import npgrad
from npgrad.tensor import Size, Tensor

from . import constraints
from ._mixins import _CategoricalParams
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(_CategoricalParams, Distribution):
    r"""The counts of ``total_count`` :math:`n` draws from a categorical distribution with ``probs``
    :math:`p` (or ``logits``) over the last dim:

    .. math:: \log p(x) = \log n! - \sum_i \log x_i! + \sum_i x_i\log p_i

    ``log_prob`` does not need ``total_count`` (it is taken from the counts); ``sample`` and
    ``entropy`` do.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Multinomial
        >>> m = Multinomial(4, npgrad.tensor([0.25, 0.25, 0.5]))
        >>> m.log_prob(npgrad.tensor([1.0, 1.0, 2.0])), m.mean
        (tensor(-1.6740), tensor([1., 1., 2.]))
        >>> m.sample().sum()
        tensor(4.)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Multinomial, batch_shape, _instance, "_categorical", shared=("total_count",))

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    def sample(self, sample_shape=Size()):
        sample_shape = Size(sample_shape)
        samples = self._categorical.sample(Size((self.total_count,)) + sample_shape)
        # (total_count, sample_shape, batch_shape) indices: count them per row along the last dim
        idx = np.moveaxis(samples._data, 0, -1)
        k = self._categorical._num_events
        rows = math.prod(idx.shape[:-1])
        flat = idx.reshape(rows, -1) + (np.arange(rows) * k)[:, None]
        counts = np.bincount(flat.reshape(-1), minlength=rows * k).reshape(self._extended_shape(sample_shape))
        return Tensor._wrap(counts.astype(self.probs._data.dtype))

    def entropy(self):
        n = npgrad.tensor(self.total_count)
        cat_entropy = self._categorical.entropy()
        term1 = n * cat_entropy - npgrad.lgamma(n + 1)

        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = npgrad.exp(self._binomial.log_prob(support))
        weights = npgrad.lgamma(support + 1)
        term2 = (binomial_probs * weights).sum([0, -1])
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.clone()
        log_factorial_n = npgrad.lgamma(value.sum(-1) + 1)
        log_factorial_xs = npgrad.lgamma(value + 1).sum(-1)
        logits[(value == 0) & (logits == -math.inf)] = 0  # 0 log 0 = 0
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
