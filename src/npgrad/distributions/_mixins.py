"""Plumbing shared by the distribution families: the ``probs`` / ``logits`` parameterisation, the families
parameterised through a ``Categorical``, the relaxed families that take their parameters from their base
distribution, the positive-definite matrix parameter given as a covariance, a precision or a Cholesky factor,
and the half distributions folded at 0. Each family's own math stays in its module."""
from __future__ import annotations

import math

import npgrad

from .utils import _new, _precision_to_scale_tril, broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = []


class _TensorParam:
    """A distribution whose parameters are held by the tensor ``_param``: ``param_shape`` and ``_new``."""

    @property
    def param_shape(self):
        """The shape of the parameter tensor."""
        return self._param.size()

    def _new(self, *args):
        return _new(self._param, *args)


class _ProbsOrLogits:
    """The parameterisation by exactly one of ``probs`` and ``logits``: the given one is stored (and is
    ``_param``), the other is computed from it on first use. ``logits`` are log-odds when ``_binary``, else
    log probabilities over the last dim."""

    _binary = True

    @staticmethod
    def _probs_or_logits(probs, logits):
        """``("probs", probs)`` or ``("logits", logits)``, whichever is given (exactly one must be)."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        return ("probs", probs) if probs is not None else ("logits", logits)

    def _set_probs_or_logits(self, probs, logits, *others):
        """Store whichever of ``probs``, ``logits`` is given, broadcast after the parameters ``others``, which
        are returned broadcast."""
        name, param = self._probs_or_logits(probs, logits)
        *others, param = broadcast_all(*others, param)
        setattr(self, name, param)
        self._param = param
        return others

    def _expand_probs_or_logits(self, cls, batch_shape, _instance, *names, shared=()):
        """``_expand_params`` with ``probs`` and ``logits`` (those computed so far) among the ``names``."""
        new = self._expand_params(cls, batch_shape, _instance, *names, "probs", "logits", shared=shared)
        new._param = new.logits if "logits" in new.__dict__ else new.probs
        return new

    @lazy_property
    def logits(self):
        """The log-odds (``_binary``) or the log probabilities of the events."""
        return probs_to_logits(self.probs, is_binary=self._binary)

    @lazy_property
    def probs(self):
        """The probabilities of the events."""
        return logits_to_probs(self.logits, is_binary=self._binary)


class _CategoricalParams(_TensorParam):
    """A distribution parameterised through the ``Categorical`` ``_categorical``: its ``probs``, ``logits``
    and parameter tensor."""

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits


class _RelaxedParams:
    """A relaxed distribution (a transformed ``base_dist``) with its base distribution's ``temperature``,
    ``probs`` and ``logits``."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class _ScaleTrilParams:
    """A positive-definite matrix parameter given by exactly one of ``covariance_matrix``, ``precision_matrix``
    and ``scale_tril`` and held as the lower Cholesky factor ``_unbroadcasted_scale_tril``; the other two are
    computed on first use, expanded to the batch shape."""

    def _set_scale_tril(self, covariance_matrix, precision_matrix, scale_tril):
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = npgrad.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def _batch_matrix_shape(self):
        return self._batch_shape + self._unbroadcasted_scale_tril.shape[-2:]

    @lazy_property
    def scale_tril(self):
        """The lower Cholesky factor :math:`L` of the covariance."""
        return self._unbroadcasted_scale_tril.expand(self._batch_matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        """The covariance :math:`LL^T`."""
        L = self._unbroadcasted_scale_tril
        return npgrad.matmul(L, L.mT).expand(self._batch_matrix_shape())

    @lazy_property
    def precision_matrix(self):
        """The precision :math:`(LL^T)^{-1}`."""
        return npgrad.cholesky_inverse(self._unbroadcasted_scale_tril).expand(self._batch_matrix_shape())


class _Folded:
    """The distribution of :math:`|X|` for :math:`X` of ``base_dist``, symmetric about 0 with parameter ``scale``
    (a ``TransformedDistribution`` by ``AbsTransform``): the density, CDF, inverse CDF and entropy of :math:`X`
    folded onto :math:`[0, \\infty)`."""

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return npgrad.zeros_like(self.scale)

    def _folded_log_prob(self, value):
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return npgrad.where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)
