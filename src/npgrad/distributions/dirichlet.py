r"""The Dirichlet distribution on the simplex."""
from __future__ import annotations

import npgrad
from npgrad.nn.functional import one_hot

from . import constraints
from ._samplers import sample_dirichlet
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    r"""The Dirichlet distribution with ``concentration`` :math:`\alpha` over the last dim (the event dim).

    .. math:: \log p(x) = \sum_i (\alpha_i - 1)\log x_i + \log\Gamma(\textstyle\sum_i\alpha_i)
              - \sum_i \log\Gamma(\alpha_i)

    ``rsample`` normalises gamma samples and is differentiable in :math:`\alpha` by implicit
    reparameterisation.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import Dirichlet
        >>> m = Dirichlet(npgrad.tensor([1.0, 2.0, 3.0]))
        >>> m.mean
        tensor([0.1667, 0.3333, 0.5000])
        >>> m.log_prob(npgrad.tensor([0.2, 0.3, 0.5]))
        tensor(1.5041)
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Dirichlet, batch_shape, _instance, "concentration")

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        concentration = self.concentration.expand(shape)
        return sample_dirichlet(concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (npgrad.xlogy(self.concentration - 1.0, value).sum(-1) + npgrad.lgamma(self.concentration.sum(-1))
                - npgrad.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentrationm1 / concentrationm1.sum(-1, True)
        # with every concentration below 1 the density peaks at a vertex
        mask = (self.concentration < 1).all(dim=-1)
        mode[mask] = one_hot(mode[mask].argmax(dim=-1), concentrationm1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (npgrad.lgamma(self.concentration).sum(-1) - npgrad.lgamma(a0) - (k - a0) * npgrad.digamma(a0)
                - ((self.concentration - 1.0) * npgrad.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - npgrad.lgamma(x.sum(-1))
