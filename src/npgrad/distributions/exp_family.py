r"""``ExponentialFamily``: distributions of the form :math:`p_F(x; \theta) = \exp(\langle t(x), \theta\rangle
- F(\theta) + k(x))`."""
from __future__ import annotations

import npgrad

from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    r"""The base class of exponential-family distributions
    :math:`p_F(x; \theta) = \exp(\langle t(x), \theta\rangle - F(\theta) + k(x))`.

    :math:`\theta` are the natural parameters (``_natural_params``), :math:`F` the log
    normalizer (``_log_normalizer``) and :math:`E[k(x)]` the mean carrier measure
    (``_mean_carrier_measure``). The entropy and the KL divergence between two members of one
    family follow from them as Bregman divergences (Nielsen & Nock, *Entropies and
    cross-entropies of exponential families*, 2010):

    .. math:: H = F(\theta) - \langle\theta, \nabla F(\theta)\rangle - E[k(x)]

    As in PyTorch the natural parameters are detached for this, so the result carries no
    gradient to the distribution's parameters.
    """

    @property
    def _natural_params(self):
        """The natural parameters :math:`\\theta`, a tuple of tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """The log normalizer :math:`F(\\theta)`."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        """The expected carrier measure :math:`E[k(x)]`."""
        raise NotImplementedError

    def entropy(self):
        """The entropy from the Bregman divergence of the log normalizer."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = npgrad.autograd.grad(lg_normal.sum(), nparams, retain_graph=True)
        result += lg_normal
        for nparam, g in zip(nparams, gradients):
            result -= (nparam * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
