r"""The logistic-normal distribution on the simplex."""
from __future__ import annotations

from . import constraints
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    r"""A normal distribution with ``loc`` and ``scale`` pushed onto the simplex by stick breaking:
    :math:`X \sim \mathcal{N}(\mathrm{loc}, \mathrm{scale})`, :math:`Y` = ``StickBreakingTransform()(X)``
    (a vector one longer than :math:`X`).

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import LogisticNormal
        >>> m = LogisticNormal(npgrad.tensor([0.0, 0.0]), npgrad.tensor([1.0, 1.0]))
        >>> m.event_shape
        npgrad.Size([3])
        >>> m.log_prob(npgrad.tensor([0.2, 0.3, 0.5]))
        tensor(1.2980)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base_dist = Normal(loc, scale, validate_args=validate_args)
        if not base_dist.batch_shape:
            base_dist = base_dist.expand([1])
        super().__init__(base_dist, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
