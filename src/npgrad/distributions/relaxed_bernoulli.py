r"""The relaxed Bernoulli (binary Concrete) distribution."""
from __future__ import annotations

import npgrad
from npgrad.tensor import Size

from . import constraints
from ._mixins import _ProbsOrLogits, _RelaxedParams, _TensorParam
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from .utils import broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(_ProbsOrLogits, _TensorParam, Distribution):
    r"""The logit of a ``RelaxedBernoulli`` sample (Maddison et al., *The Concrete Distribution*, 2017):
    :math:`(\operatorname{logit} U + \operatorname{logit} p) / \tau` for a uniform :math:`U` and
    ``temperature`` :math:`\tau`.

    .. math:: \log p(x) = \log\tau + l - \tau x - 2\log(1 + e^{l - \tau x}), \quad l = \mathrm{logits}
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        self._set_probs_or_logits(probs, logits)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_or_logits(LogitRelaxedBernoulli, batch_shape, _instance, shared=("temperature",))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(npgrad.rand(shape, dtype=probs.dtype))
        return (uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(_RelaxedParams, TransformedDistribution):
    r"""A continuous relaxation of the Bernoulli distribution on :math:`(0, 1)` with ``temperature``
    :math:`\tau` and ``probs`` or ``logits``: the sigmoid of a ``LogitRelaxedBernoulli`` sample.
    Samples are reparameterised; low temperatures push them towards 0 and 1.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import RelaxedBernoulli
        >>> m = RelaxedBernoulli(npgrad.tensor([2.2]), npgrad.tensor([0.1, 0.2, 0.3, 0.99]))
        >>> m.log_prob(npgrad.tensor([0.5, 0.5, 0.5, 0.5]))
        tensor([-0.2332,  0.3422,  0.6141, -2.4405])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)
