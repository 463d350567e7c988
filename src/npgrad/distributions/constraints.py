r"""Constraints: the regions over which a distribution's parameters and values are valid.

``constraint.check(value)`` returns a bool tensor of ``sample_shape + batch_shape`` (the
``event_dim`` rightmost dims are reduced) saying which events satisfy the constraint.

The constraints: ``boolean``, ``cat``, ``corr_cholesky``, ``dependent``, ``greater_than(lower_bound)``,
``greater_than_eq(lower_bound)``, ``independent(constraint, reinterpreted_batch_ndims)``,
``integer_interval(lower_bound, upper_bound)``, ``interval(lower_bound, upper_bound)``,
``half_open_interval(lower_bound, upper_bound)``, ``less_than(upper_bound)``, ``lower_cholesky``,
``lower_triangular``, ``MixtureSameFamilyConstraint(base_constraint)``, ``multinomial``, ``nonnegative``,
``nonnegative_integer``, ``one_hot``, ``positive_integer``, ``positive``, ``positive_semidefinite``,
``positive_definite``, ``real_vector``, ``real``, ``simplex``, ``symmetric``, ``stack``, ``square``,
``unit_interval``.

Example:
    >>> import npgrad
    >>> from npgrad.distributions import constraints
    >>> constraints.positive.check(npgrad.tensor([1.0, -1.0]))
    tensor([ True, False])
    >>> constraints.simplex.check(npgrad.tensor([[0.5, 0.5], [0.5, 0.6]]))
    tensor([ True, False])
"""
from __future__ import annotations

import numpy as np

import npgrad
from npgrad.tensor import Tensor

__all__ = ["Constraint", "boolean", "cat", "corr_cholesky", "dependent", "dependent_property", "greater_than",
           "greater_than_eq", "independent", "integer_interval", "interval", "half_open_interval", "is_dependent",
           "less_than", "lower_cholesky", "lower_triangular", "MixtureSameFamilyConstraint", "multinomial",
           "nonnegative", "nonnegative_integer", "one_hot", "positive", "positive_semidefinite",
           "positive_definite", "positive_integer", "real", "real_vector", "simplex", "square", "stack",
           "symmetric", "unit_interval"]


def _bool(array):
    return Tensor._wrap(np.asarray(array, dtype=bool))


class Constraint:
    """A region over which a variable is valid.

    ``is_discrete`` says whether the region is discrete; ``event_dim`` is the number of
    rightmost dims that together form one event (``check`` reduces them).
    """

    is_discrete = False
    event_dim = 0

    def check(self, value):
        """A bool tensor of ``sample_shape + batch_shape``: whether each event of ``value`` satisfies the
        constraint."""
        raise NotImplementedError

    def __repr__(self):
        return self.__class__.__name__[1:] + "()"


class _Dependent(Constraint):
    """A placeholder for a variable whose support depends on other variables (it cannot be checked).

    ``is_discrete`` and ``event_dim`` may be given when they are known statically; reading
    them otherwise raises ``NotImplementedError``.
    """

    def __init__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        self._is_discrete = is_discrete
        self._event_dim = event_dim
        super().__init__()

    @property
    def is_discrete(self):
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self):
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        """A new dependent constraint with ``is_discrete`` / ``event_dim`` set."""
        if is_discrete is NotImplemented:
            is_discrete = self._is_discrete
        if event_dim is NotImplemented:
            event_dim = self._event_dim
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, x):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint):
    """Whether ``constraint`` is a ``dependent`` one (whose validity cannot be checked).

    Example:
        >>> from npgrad.distributions import constraints
        >>> constraints.is_dependent(constraints.dependent), constraints.is_dependent(constraints.real)
        (True, False)
    """
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property that is also a dependent constraint, for a support that depends on the parameters.

    Example:
        >>> from npgrad.distributions import constraints
        >>> class Uniform:
        ...     def __init__(self, low, high):
        ...         self.low, self.high = low, high
        ...     @constraints.dependent_property(is_discrete=False, event_dim=0)
        ...     def support(self):
        ...         return constraints.interval(self.low, self.high)
        >>> Uniform(0.0, 1.0).support
        Interval(lower_bound=0.0, upper_bound=1.0)
        >>> Uniform.support.event_dim
        0
    """

    def __init__(self, fn=None, *, is_discrete=NotImplemented, event_dim=NotImplemented):
        property.__init__(self, fn)
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


def _all_rightmost(result, keep):
    """Whether all of ``result`` beyond its first ``keep`` dims holds, for each index of those."""
    return result.reshape(result.shape[:keep] + (-1,)).all(-1)


class _OnConstraint(Constraint):
    """A constraint built on ``base_constraint``: discrete when it is."""

    def __init__(self, base_constraint):
        if not isinstance(base_constraint, Constraint):
            raise AssertionError(f"base_constraint must be a Constraint, got {type(base_constraint).__name__}")
        self.base_constraint = base_constraint
        super().__init__()

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete


class _IndependentConstraint(_OnConstraint):
    """``base_constraint`` with ``reinterpreted_batch_ndims`` more dims treated as one event."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        super().__init__(base_constraint)
        if not isinstance(reinterpreted_batch_ndims, int):
            raise AssertionError("reinterpreted_batch_ndims must be an int, got "
                                 f"{type(reinterpreted_batch_ndims).__name__}")
        if reinterpreted_batch_ndims < 0:
            raise AssertionError(f"reinterpreted_batch_ndims must be >= 0, got {reinterpreted_batch_ndims}")
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        if result.dim() < self.reinterpreted_batch_ndims:
            expected = self.base_constraint.event_dim + self.reinterpreted_batch_ndims
            raise ValueError(f"Expected value.dim() >= {expected} but got {value.dim()}")
        return _all_rightmost(result, result.dim() - self.reinterpreted_batch_ndims)

    def __repr__(self):
        return f"{self.__class__.__name__[1:]}({repr(self.base_constraint)}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(_OnConstraint):
    """The support of a ``MixtureSameFamily``: a value is valid when the component distributions'
    constraint holds for it."""

    @property
    def event_dim(self):
        return self.base_constraint.event_dim

    def check(self, value):
        unsqueezed_value = value.unsqueeze(-1 - self.event_dim)
        result = self.base_constraint.check(unsqueezed_value)
        if value.dim() < self.event_dim:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {value.dim()}")
        return _all_rightmost(result, value.dim() - self.event_dim)

    def __repr__(self):
        return f"{self.__class__.__name__}({repr(self.base_constraint)})"


class _Bounded(Constraint):
    """A constraint given by its bounds, ``lower_bound`` and / or ``upper_bound``: they make its repr."""

    def __repr__(self):
        bounds = ", ".join(f"{name}={getattr(self, name)}" for name in ("lower_bound", "upper_bound")
                           if name in self.__dict__)
        return f"{self.__class__.__name__[1:]}({bounds})"


class _LowerBounded(_Bounded):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound
        super().__init__()


class _UpperBounded(_Bounded):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound
        super().__init__()


class _IntervalBounded(_Bounded):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        super().__init__()


class _Boolean(Constraint):
    """The set :math:`\\{0, 1\\}`."""

    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _OneHot(Constraint):
    """One-hot vectors: entries in :math:`\\{0, 1\\}` summing to 1."""

    is_discrete = True
    event_dim = 1

    def check(self, value):
        is_boolean = (value == 0) | (value == 1)
        is_normalized = value.sum(-1).eq(1)
        return is_boolean.all(-1) & is_normalized


class _IntegerInterval(_IntervalBounded):
    """Integers in :math:`[\\mathrm{lower\\_bound}, \\mathrm{upper\\_bound}]`."""

    is_discrete = True

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)


class _IntegerLessThan(_UpperBounded):
    """Integers :math:`\\le` ``upper_bound``."""

    is_discrete = True

    def check(self, value):
        return (value % 1 == 0) & (value <= self.upper_bound)


class _IntegerGreaterThan(_LowerBounded):
    """Integers :math:`\\ge` ``lower_bound``."""

    is_discrete = True

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)


class _Real(Constraint):
    """The extended real line :math:`[-\\infty, \\infty]` (anything but NaN)."""

    def check(self, value):
        return value == value  # False for NaN


class _GreaterThan(_LowerBounded):
    """The open half line :math:`(\\mathrm{lower\\_bound}, \\infty]`."""

    def check(self, value):
        return self.lower_bound < value


class _GreaterThanEq(_LowerBounded):
    """The closed half line :math:`[\\mathrm{lower\\_bound}, \\infty]`."""

    def check(self, value):
        return self.lower_bound <= value


class _LessThan(_UpperBounded):
    """The open half line :math:`[-\\infty, \\mathrm{upper\\_bound})`."""

    def check(self, value):
        return value < self.upper_bound


class _Interval(_IntervalBounded):
    """The closed interval :math:`[\\mathrm{lower\\_bound}, \\mathrm{upper\\_bound}]`."""

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)


class _HalfOpenInterval(_IntervalBounded):
    """The half-open interval :math:`[\\mathrm{lower\\_bound}, \\mathrm{upper\\_bound})`."""

    def check(self, value):
        return (self.lower_bound <= value) & (value < self.upper_bound)


class _Simplex(Constraint):
    """The unit simplex of the last dim: :math:`x_i \\ge 0` and :math:`|\\sum_i x_i - 1| < 10^{-6}`."""

    event_dim = 1

    def check(self, value):
        return npgrad.all(value >= 0, dim=-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _Multinomial(Constraint):
    """Nonnegative vectors of integers summing to at most ``upper_bound`` (the sum is not checked to be
    integral, as in PyTorch)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, x):
        return (x >= 0).all(dim=-1) & (x.sum(dim=-1) <= self.upper_bound)


def _lower_triangular(value):
    v = np.asarray(value._data)
    return (np.tril(v) == v).reshape(v.shape[:-2] + (-1,)).all(-1)


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices."""

    event_dim = 2

    def check(self, value):
        return _bool(_lower_triangular(value))


class _LowerCholesky(Constraint):
    """Lower-triangular square matrices with a positive diagonal."""

    event_dim = 2

    def check(self, value):
        positive_diagonal = (np.diagonal(value._data, axis1=-2, axis2=-1) > 0).all(-1)
        return _bool(_lower_triangular(value) & positive_diagonal)


class _CorrCholesky(Constraint):
    """Lower Cholesky factors of correlation matrices: lower-triangular, a positive diagonal, and rows
    of unit Euclidean norm (to within ``10 * n * eps``)."""

    event_dim = 2

    def check(self, value):
        tol = npgrad.finfo(value.dtype).eps * value.size(-1) * 10
        row_norm = npgrad.linalg.norm(value.detach(), dim=-1)
        unit_row_norm = (row_norm - 1.0).abs().le(tol).all(dim=-1)
        return _LowerCholesky().check(value) & unit_row_norm


class _Square(Constraint):
    """Square matrices."""

    event_dim = 2

    def check(self, value):
        return npgrad.full(value.shape[:-2], value.shape[-2] == value.shape[-1], dtype=npgrad.bool)


class _Symmetric(_Square):
    """Symmetric square matrices (to within an absolute 1e-6)."""

    def check(self, value):
        square_check = super().check(value)
        if not square_check.all():
            return square_check
        return npgrad.isclose(value, value.mT, atol=1e-6).all(-2).all(-1)


class _PositiveSemidefinite(_Symmetric):
    """Positive-semidefinite symmetric matrices (no negative eigenvalue)."""

    def check(self, value):
        sym_check = super().check(value)
        if not sym_check.all():
            return sym_check
        return npgrad.linalg.eigvalsh(value).ge(0).all(-1)


class _PositiveDefinite(_Symmetric):
    """Positive-definite symmetric matrices (those with a Cholesky factorisation)."""

    def check(self, value):
        sym_check = super().check(value)
        if not sym_check.all():
            return sym_check
        return npgrad.linalg.cholesky_ex(value).info.eq(0)


class _Slices(Constraint):
    """The constraints ``cseq`` applied to slices along ``dim`` (the base of ``_Cat`` and ``_Stack``)."""

    def __init__(self, cseq, dim):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq = list(cseq)
        self.dim = dim
        super().__init__()

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    def _check_dim(self, value):
        if not -value.dim() <= self.dim < value.dim():
            raise AssertionError(f"dim {self.dim} out of range for value with {value.dim()} dimensions")


class _Cat(_Slices):
    """The constraints ``cseq`` applied to consecutive slices of ``lengths`` along ``dim``."""

    def __init__(self, cseq, dim=0, lengths=None):
        super().__init__(cseq, dim)
        if lengths is None:
            lengths = [1] * len(self.cseq)
        self.lengths = list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match cseq ({len(self.cseq)})")

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        self._check_dim(value)
        checks = []
        start = 0
        for constr, length in zip(self.cseq, self.lengths):
            v = value.narrow(self.dim, start, length)
            checks.append(constr.check(v))
            start = start + length
        return npgrad.cat(checks, self.dim)


class _Stack(_Slices):
    """The constraints ``cseq`` applied to the slices along ``dim``."""

    def __init__(self, cseq, dim=0):
        super().__init__(cseq, dim)

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        if self.dim + dim < 0:
            dim += 1
        return dim

    def check(self, value):
        self._check_dim(value)
        vs = [value.select(self.dim, i) for i in range(value.size(self.dim))]
        return npgrad.stack([constr.check(v) for v, constr in zip(vs, self.cseq)], self.dim)


# public aliases
dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
multinomial = _Multinomial
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
cat = _Cat
stack = _Stack
