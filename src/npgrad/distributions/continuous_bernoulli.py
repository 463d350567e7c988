r"""The continuous Bernoulli distribution on :math:`[0, 1]`."""
from __future__ import annotations

import math

import npgrad
from npgrad.nn.functional import binary_cross_entropy_with_logits
from npgrad.tensor import Size

from . import constraints
from ._mixins import _ProbsOrLogits, _TensorParam
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(_ProbsOrLogits, _TensorParam, ExponentialFamily):
    r"""The continuous Bernoulli distribution (Loaiza-Ganem & Cunningham, 2019) with parameter
    :math:`\lambda` = ``probs`` (or ``logits``):

    .. math:: p(x) = C(\lambda)\,\lambda^x (1 - \lambda)^{1 - x}, \quad
              C(\lambda) = \frac{2\tanh^{-1}(1 - 2\lambda)}{1 - 2\lambda}

    For :math:`\lambda` in ``lims`` (around 1/2, where the closed forms cancel) the normaliser,
    mean and variance use their Taylor expansions.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import ContinuousBernoulli
        >>> m = ContinuousBernoulli(npgrad.tensor([0.3]))
        >>> m.log_prob(npgrad.tensor([0.5])), m.mean
        (tensor([-0.0297]), tensor([0.4302]))
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        self._set_probs_or_logits(probs, logits)
        if probs is not None:
            # validate 'probs' here if necessary as it is later clamped for numerical stability
            # close to 0 and 1, later on; otherwise the clamped 'probs' would always pass
            if validate_args is not None:
                if not self.arg_constraints["probs"].check(self.probs).all():
                    raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_or_logits(ContinuousBernoulli, batch_shape, _instance, shared=("_lims",))

    def _outside_unstable_region(self):
        return npgrad.max(npgrad.le(self.probs, self._lims[0]), npgrad.gt(self.probs, self._lims[1]))

    def _cut_probs(self):
        return npgrad.where(self._outside_unstable_region(), self.probs, self._lims[0] * npgrad.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """The log normaliser :math:`\\log C(\\lambda)` (a Taylor expansion near 1/2)."""
        cut_probs = self._cut_probs()
        cut_probs_below_half = npgrad.where(npgrad.le(cut_probs, 0.5), cut_probs, npgrad.zeros_like(cut_probs))
        cut_probs_above_half = npgrad.where(npgrad.ge(cut_probs, 0.5), cut_probs, npgrad.ones_like(cut_probs))
        log_norm = npgrad.log(npgrad.abs(npgrad.log1p(-cut_probs) - npgrad.log(cut_probs))) - npgrad.where(
            npgrad.le(cut_probs, 0.5), npgrad.log1p(-2.0 * cut_probs_below_half),
            npgrad.log(2.0 * cut_probs_above_half - 1.0))
        x = npgrad.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return npgrad.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (npgrad.log1p(-cut_probs) - npgrad.log(cut_probs))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * npgrad.pow(x, 2)) * x
        return npgrad.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return npgrad.sqrt(self.variance)

    @property
    def variance(self):
        cut_probs = self._cut_probs()
        vars = cut_probs * (cut_probs - 1.0) / npgrad.pow(1.0 - 2.0 * cut_probs, 2) + 1.0 / npgrad.pow(
            npgrad.log1p(-cut_probs) - npgrad.log(cut_probs), 2)
        x = npgrad.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return npgrad.where(self._outside_unstable_region(), vars, taylor)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = npgrad.rand(shape, dtype=self.probs.dtype)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none") + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = (npgrad.pow(cut_probs, value) * npgrad.pow(1.0 - cut_probs, 1.0 - value) + cut_probs - 1.0) / (
            2.0 * cut_probs - 1.0)
        unbounded_cdfs = npgrad.where(self._outside_unstable_region(), cdfs, value)
        return npgrad.where(npgrad.le(value, 0.0), npgrad.zeros_like(value),
                            npgrad.where(npgrad.ge(value, 1.0), npgrad.ones_like(value), unbounded_cdfs))

    def icdf(self, value):
        cut_probs = self._cut_probs()
        return npgrad.where(
            self._outside_unstable_region(),
            (npgrad.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0)) - npgrad.log1p(-cut_probs))
            / (npgrad.log(cut_probs) - npgrad.log1p(-cut_probs)),
            value)

    def entropy(self):
        log_probs0 = npgrad.log1p(-self.probs)
        log_probs1 = npgrad.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """The log normaliser in the natural parameter (a Taylor expansion near 0)."""
        out_unst_reg = npgrad.max(npgrad.le(x, self._lims[0] - 0.5), npgrad.gt(x, self._lims[1] - 0.5))
        cut_nat_params = npgrad.where(out_unst_reg, x, (self._lims[0] - 0.5) * npgrad.ones_like(x))
        log_norm = npgrad.log(npgrad.abs(npgrad.expm1(cut_nat_params))) - npgrad.log(npgrad.abs(cut_nat_params))
        taylor = 0.5 * x + npgrad.pow(x, 2) / 24.0 - npgrad.pow(x, 4) / 2880.0
        return npgrad.where(out_unst_reg, log_norm, taylor)
