r"""The beta distribution on :math:`[0, 1]`."""
from __future__ import annotations

import npgrad

from . import constraints
from .dirichlet import Dirichlet
from .exp_family import ExponentialFamily
from .utils import _Number, broadcast_all

__all__ = ["Beta"]


class Beta(ExponentialFamily):
    r"""The beta distribution with concentrations :math:`\alpha` = ``concentration1`` and
    :math:`\beta` = ``concentration0``: the first coordinate of a two-category Dirichlet.

    .. math:: \log p(x) = (\alpha - 1)\log x + (\beta - 1)\log(1 - x) - \log B(\alpha, \beta)

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Beta
        >>> m = Beta(npgrad.tensor([2.0]), npgrad.tensor([3.0]))
        >>> m.mean, m.log_prob(npgrad.tensor([0.25]))
        (tensor([0.4000]), tensor([0.5232]))
    """

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, _Number) and isinstance(concentration0, _Number):
            concentration1_concentration0 = npgrad.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            concentration1_concentration0 = npgrad.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(concentration1_concentration0, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Beta, batch_shape, _instance, "_dirichlet")

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = npgrad.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def concentration1(self):
        return self._concentration(0)

    @property
    def concentration0(self):
        return self._concentration(1)

    def _concentration(self, index):
        result = self._dirichlet.concentration[..., index]
        if isinstance(result, _Number):
            return npgrad.tensor([result])
        return result

    @property
    def _natural_params(self):
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x, y):
        return npgrad.lgamma(x) + npgrad.lgamma(y) - npgrad.lgamma(x + y)
