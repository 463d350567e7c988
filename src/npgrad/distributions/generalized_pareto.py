r"""The generalised Pareto distribution."""
from __future__ import annotations

import math
from numbers import Real

import npgrad
from npgrad.tensor import Size

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    r"""The generalised Pareto distribution with ``loc`` :math:`\mu`, ``scale`` :math:`\sigma` and
    ``concentration`` (shape) :math:`\xi`; with :math:`z = (x - \mu)/\sigma`:

    .. math:: \log p(x) = -\log\sigma - (1/\xi + 1)\log(1 + \xi z) \quad (\xi \ne 0), \qquad
              -\log\sigma - z \quad (\xi = 0)

    The support is :math:`[\mu, \infty)` for :math:`\xi \ge 0` and
    :math:`[\mu, \mu - \sigma/\xi]` for :math:`\xi < 0`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import GeneralizedPareto
        >>> m = GeneralizedPareto(npgrad.tensor([0.0]), npgrad.tensor([1.0]), npgrad.tensor([0.5]))
        >>> m.log_prob(npgrad.tensor([1.0])), m.cdf(npgrad.tensor([1.0]))
        (tensor([-1.2164]), tensor([0.5556]))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(GeneralizedPareto, batch_shape, _instance, "loc", "scale", "concentration")

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = npgrad.rand(shape, dtype=self.loc.dtype)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        y = 1 / safe_conc + npgrad.ones_like(z)
        where_nonzero = npgrad.where(y == 0, y, y * npgrad.log1p(safe_conc * z))
        log_scale = math.log(self.scale) if isinstance(self.scale, Real) else self.scale.log()
        return -log_scale - npgrad.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value):
        """:math:`\\log(1 - F(x))`."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        where_nonzero = -npgrad.log1p(safe_conc * z) / safe_conc
        return npgrad.where(eq_zero, -z, where_nonzero)

    def log_cdf(self, value):
        """:math:`\\log F(x)`."""
        return npgrad.log1p(-npgrad.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return npgrad.exp(self.log_cdf(value))

    def icdf(self, value):
        loc = self.loc
        scale = self.scale
        eq_zero, safe_conc = self._safe_concentration()
        logu = npgrad.log1p(-value)
        where_nonzero = loc + scale / safe_conc * npgrad.expm1(-safe_conc * logu)
        where_zero = loc - scale * logu
        return npgrad.where(eq_zero, where_zero, where_nonzero)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def _safe_concentration(self):
        """Where the concentration is (close to) 0, and the concentration with 1 there (the branch for 0 is
        taken there)."""
        eq_zero = npgrad.isclose(self.concentration, npgrad.zeros_like(self.concentration))
        return eq_zero, npgrad.where(eq_zero, npgrad.ones_like(self.concentration), self.concentration)

    @property
    def mean(self):
        concentration = self.concentration
        valid = concentration < 1
        safe_conc = npgrad.where(valid, concentration, 0.5)
        result = self.loc + self.scale / (1 - safe_conc)
        return npgrad.where(valid, result, math.nan)

    @property
    def variance(self):
        concentration = self.concentration
        valid = concentration < 0.5
        safe_conc = npgrad.where(valid, concentration, 0.25)
        result = self.scale ** 2 / ((1 - safe_conc) ** 2 * (1 - 2 * safe_conc))
        return npgrad.where(valid, result, math.nan)

    def entropy(self):
        ans = npgrad.log(self.scale) + self.concentration + 1
        return npgrad.broadcast_to(ans, self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = npgrad.where(self.concentration < 0, lower - self.scale / self.concentration, math.inf)
        return constraints.interval(lower, upper)
