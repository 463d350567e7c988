r"""The relaxed one-hot categorical (Concrete, Gumbel-softmax) distribution."""
from __future__ import annotations

import npgrad
from npgrad.tensor import Size

from . import constraints
from ._mixins import _CategoricalParams, _RelaxedParams
from .categorical import Categorical
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from .utils import broadcast_all, clamp_probs

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(_CategoricalParams, Distribution):
    r"""The log of a ``RelaxedOneHotCategorical`` sample (Maddison et al., 2017): with Gumbel noise
    :math:`g_k`, :math:`y = s - \operatorname{logsumexp}(s)` for :math:`s = (l + g)/\tau`.

    .. math:: \log p(y) = \log\Gamma(K) + (K - 1)\log\tau + \sum_k (l_k - \tau y_k)
              - K \operatorname{logsumexp}(l - \tau y)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector  # the logarithm of the simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(ExpRelaxedCategorical, batch_shape, _instance, "_categorical",
                                   shared=("temperature",))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        uniforms = clamp_probs(npgrad.rand(shape, dtype=self.logits.dtype))
        gumbels = -((-(uniforms.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        K = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = npgrad.full_like(self.temperature, float(K)).lgamma() - self.temperature.log().mul(-(K - 1))
        score = logits - value.mul(self.temperature)
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_RelaxedParams, TransformedDistribution):
    r"""A continuous relaxation of ``OneHotCategorical`` on the simplex with ``temperature`` :math:`\tau`
    and ``probs`` or ``logits`` (the Gumbel-softmax of Jang et al., 2017): the exponential of an
    ``ExpRelaxedCategorical`` sample. Samples are reparameterised.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import RelaxedOneHotCategorical
        >>> m = RelaxedOneHotCategorical(npgrad.tensor([2.2]), npgrad.tensor([0.1, 0.2, 0.3, 0.4]))
        >>> m.log_prob(npgrad.tensor([0.1, 0.2, 0.3, 0.4]))
        tensor([3.8245])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)
