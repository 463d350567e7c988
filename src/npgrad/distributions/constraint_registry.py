"""``biject_to`` and ``transform_to``: from a constraint to a transform onto it from unconstrained space.

``biject_to(constraint)`` gives a bijective transform (for samplers that need the
Jacobian of the inverse, such as HMC); ``transform_to(constraint)`` gives a transform that
need not be bijective but is well suited to optimisation. Both are registries: add a
constraint type with ``register``.

Example:
    >>> import npgrad
    >>> from npgrad.distributions import constraints, biject_to, transform_to
    >>> biject_to(constraints.positive)(npgrad.tensor([0.0]))
    tensor([1.])
    >>> transform_to(constraints.simplex)(npgrad.zeros(2))
    tensor([0.5000, 0.5000])
    >>> biject_to(constraints.simplex)(npgrad.zeros(1))
    tensor([0.5000, 0.5000])
"""
from __future__ import annotations

import functools

from . import constraints, transforms
from .utils import _Number

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A registry linking constraints to transform factories."""

    def __init__(self):
        self._registry = {}
        super().__init__()

    def register(self, constraint, factory=None):
        """Register ``factory(constraint) -> Transform`` for a ``Constraint`` subclass (or the type of an
        instance); usable as a decorator."""
        if factory is None:  # used as a decorator
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint, constraints.Constraint):
            raise TypeError(f"Expected constraint to be either a Constraint subclass or instance, but got "
                            f"{constraint}")
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints") from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _register_both(*constraint_types, recursive=False):
    """Register ``factory`` with both registries for each of ``constraint_types`` (its transform is bijective). A
    ``recursive`` factory is called as ``factory(registry, constraint)``: the constraint is made of others, and its
    transform of ``registry``'s transforms of those."""

    def decorator(factory):
        for registry in (biject_to, transform_to):
            registered = functools.partial(factory, registry) if recursive else factory
            for constraint in constraint_types:
                registry.register(constraint, registered)
        return factory

    return decorator


@_register_both(constraints.real)
def _transform_to_real(constraint):
    return transforms.identity_transform


@_register_both(constraints.independent, recursive=True)
def _transform_to_independent(registry, constraint):
    base_transform = registry(constraint.base_constraint)
    return transforms.IndependentTransform(base_transform, constraint.reinterpreted_batch_ndims)


@_register_both(constraints.positive, constraints.nonnegative)
def _transform_to_positive(constraint):
    return transforms.ExpTransform()


@_register_both(constraints.greater_than, constraints.greater_than_eq)
def _transform_to_greater_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.lower_bound, 1)])


@_register_both(constraints.less_than)
def _transform_to_less_than(constraint):
    return transforms.ComposeTransform([transforms.ExpTransform(),
                                        transforms.AffineTransform(constraint.upper_bound, -1)])


@_register_both(constraints.interval, constraints.half_open_interval)
def _transform_to_interval(constraint):
    # the unit interval needs no affine map
    lower_is_0 = isinstance(constraint.lower_bound, _Number) and constraint.lower_bound == 0
    upper_is_1 = isinstance(constraint.upper_bound, _Number) and constraint.upper_bound == 1
    if lower_is_0 and upper_is_1:
        return transforms.SigmoidTransform()
    loc = constraint.lower_bound
    scale = constraint.upper_bound - constraint.lower_bound
    return transforms.ComposeTransform([transforms.SigmoidTransform(), transforms.AffineTransform(loc, scale)])


@biject_to.register(constraints.simplex)
def _biject_to_simplex(constraint):
    return transforms.StickBreakingTransform()


@transform_to.register(constraints.simplex)
def _transform_to_simplex(constraint):
    return transforms.SoftmaxTransform()


@transform_to.register(constraints.lower_cholesky)
def _transform_to_lower_cholesky(constraint):
    return transforms.LowerCholeskyTransform()


@transform_to.register(constraints.positive_definite)
@transform_to.register(constraints.positive_semidefinite)
def _transform_to_positive_definite(constraint):
    return transforms.PositiveDefiniteTransform()


@_register_both(constraints.corr_cholesky)
def _transform_to_corr_cholesky(constraint):
    return transforms.CorrCholeskyTransform()


@_register_both(constraints.cat, recursive=True)
def _transform_to_cat(registry, constraint):
    return transforms.CatTransform([registry(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@_register_both(constraints.stack, recursive=True)
def _transform_to_stack(registry, constraint):
    return transforms.StackTransform([registry(c) for c in constraint.cseq], constraint.dim)
