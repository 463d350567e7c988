r"""Learning-rate schedulers with PyTorch's classes, numbers and state dicts.

Every schedule is first a pure function of the step (the ``_*_at`` functions
below, each a few lines of the paper's formula). The classes wrap them with
PyTorch's names and behaviour:

* ``scheduler.step()`` after ``optimizer.step()`` moves ``last_epoch`` on by one
  and writes the new learning rates into ``optimizer.param_groups``;
* the schedulers that PyTorch computes *recursively* (each rate from the
  previous one, so that several schedulers can be chained on one optimizer:
  StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR,
  CosineAnnealingLR, MultiplicativeLR) do the same here, in the same order of
  floating-point operations, so the sequences equal PyTorch's bit for bit. Their
  closed form is ``_get_closed_form_lr()`` (used by the deprecated
  ``step(epoch)``) and agrees with the recursion to rounding;
* ``state_dict()`` holds everything but the optimizer (lambdas are not saved, as
  in PyTorch) and ``load_state_dict`` resumes mid-schedule with the same
  sequence.

Example::

    >>> import npgrad
    >>> model = npgrad.nn.Linear(2, 1)
    >>> opt = npgrad.optim.SGD(model.parameters(), lr=0.1)
    >>> sched = npgrad.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> for epoch in range(4):
    ...     opt.step()
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.025]
"""
from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from functools import partial, wraps
from weakref import ref

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)


# ---------------------------------------------------------------------------
# Schedules as pure functions of the step
# ---------------------------------------------------------------------------

def _step_at(base_lr, epoch, step_size, gamma):
    r"""StepLR: :math:`\eta_t = \eta_0\,\gamma^{\lfloor t / s\rfloor}`."""
    return base_lr * gamma ** (epoch // step_size)


def _multistep_at(base_lr, epoch, sorted_milestones, gamma):
    r"""MultiStepLR: :math:`\eta_t = \eta_0\,\gamma^{\#\{m_i \le t\}}`."""
    return base_lr * gamma ** bisect_right(sorted_milestones, epoch)


def _constant_at(base_lr, epoch, factor, total_iters):
    r"""ConstantLR: :math:`\eta_t = \eta_0 f` for :math:`t < T`, then :math:`\eta_0`."""
    return base_lr * (factor + (epoch >= total_iters) * (1 - factor))


def _linear_at(base_lr, epoch, start_factor, end_factor, total_iters):
    r"""LinearLR: :math:`\eta_t = \eta_0 (f_0 + (f_1 - f_0)\min(t, T)/T)`."""
    return base_lr * (start_factor + (end_factor - start_factor) * min(total_iters, epoch) / total_iters)


def _exponential_at(base_lr, epoch, gamma):
    r"""ExponentialLR: :math:`\eta_t = \eta_0 \gamma^t`."""
    return base_lr * gamma**epoch


def _polynomial_at(base_lr, epoch, total_iters, power):
    r"""PolynomialLR: :math:`\eta_t = \eta_0 (1 - \min(t, T)/T)^p`."""
    return base_lr * (1.0 - min(total_iters, epoch) / total_iters) ** power


def _cosine_at(base_lr, t, period, eta_min):
    r"""Cosine annealing: :math:`\eta_{min} + (\eta_0 - \eta_{min})(1 + \cos(\pi t / T))/2`."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def _cyclic_position(epoch, total_size, step_ratio):
    """CyclicLR: the cycle number (from 1) and the height in [0, 1] of the triangle at ``epoch``."""
    cycle = math.floor(1 + epoch / total_size)
    x = 1.0 + epoch / total_size - cycle
    if x <= step_ratio:
        scale_factor = x / step_ratio
    else:
        scale_factor = (x - 1) / (step_ratio - 1)
    return cycle, scale_factor


def _anneal_cos(start, end, pct):
    r"""Cosine interpolation: :math:`e + (s - e)(1 + \cos(\pi p))/2`."""
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


def _anneal_linear(start, end, pct):
    r"""Linear interpolation: :math:`s + (e - s) p`."""
    return (end - start) * pct + start


# ---------------------------------------------------------------------------
# Shared by the classes: param-group values, warnings, the optimizer.step wrapper
# ---------------------------------------------------------------------------

def _is_tensor(value):
    from ..tensor import Tensor

    return isinstance(value, Tensor)


def _to_scalar(value):
    if _is_tensor(value):
        return value.item()
    return value


def _check_optimizer(optimizer):
    """PyTorch's check: schedulers take an ``npgrad.optim.Optimizer``."""
    from .optimizer import Optimizer

    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _format_param(name, optimizer, param):
    """One value per param group: a scalar is repeated, a list must match the groups."""
    def _copy(value):
        return value.clone() if _is_tensor(value) else value

    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has {len(optimizer.param_groups)}."
            )
    else:
        param = [param] * len(optimizer.param_groups)
    return list(map(_copy, param))


def _param_groups_val_list(optimizer, key):
    """``[group[key] for group in optimizer.param_groups]``, tensors cloned."""
    return [group[key].clone() if _is_tensor(group[key]) else group[key]
            for group in optimizer.param_groups]


def _update_param_group_val(param_group, key, val):
    """Set ``param_group[key]``, in place when the value there is a tensor."""
    if _is_tensor(param_group[key]):
        param_group[key]._data[...] = _to_scalar(val)
    else:
        param_group[key] = val


def _warn_get_lr_called_within_step(scheduler):
    if not scheduler._get_lr_called_within_step:
        warnings.warn(
            "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
            UserWarning,
            stacklevel=3,
        )


class _enable_get_lr_call:
    def __init__(self, scheduler):
        self.scheduler = scheduler

    def __enter__(self):
        self.scheduler._get_lr_called_within_step = True
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.scheduler._get_lr_called_within_step = False


class _initial_mode:
    def __init__(self, scheduler):
        self.scheduler = scheduler

    def __enter__(self):
        self.scheduler._is_initial = True

    def __exit__(self, exc_type, exc_value, traceback):
        self.scheduler._is_initial = False


def _patch_track_step_called(optimizer):
    """Wrap ``optimizer.step`` so that it records being called (``optimizer._opt_called``).

    ``LRScheduler.step`` reads the flag to warn when it runs before the first
    ``optimizer.step()``, as PyTorch does. The wrapper keeps only a weak
    reference to the optimizer, so no reference cycle is made.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    step_fn = optimizer.step
    func = getattr(step_fn, "__func__", None)
    if func is None:  # a plain callable stored on the instance
        @wraps(step_fn)
        def wrapper(*args, **kwargs):
            optimizer._opt_called = True
            return step_fn(*args, **kwargs)
    else:
        opt_ref = ref(optimizer)

        @wraps(func)
        def wrapper(*args, **kwargs):
            opt = opt_ref()
            opt._opt_called = True
            return func.__get__(opt, opt.__class__)(*args, **kwargs)
    wrapper._wrapped_by_lr_sched = True
    optimizer.step = wrapper


# ---------------------------------------------------------------------------
# Base class
# ---------------------------------------------------------------------------

class LRScheduler:
    r"""Base class of the learning-rate schedulers: sets ``lr`` of every param group each step.

    At construction each group gets ``initial_lr`` (its ``lr``, unless already
    set), ``base_lrs`` copies them and one initial step sets the epoch-0 rates.
    ``last_epoch`` counts the calls to :meth:`step`; ``last_epoch >= 0`` resumes
    a schedule and then requires ``initial_lr`` in every group (PyTorch's
    ``KeyError``).

    Calling ``scheduler.step()`` before the first ``optimizer.step()`` warns
    (``UserWarning``), as in PyTorch 1.1 and later: the first rate of the
    schedule would be skipped.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = npgrad.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5**t)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.5]
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

        if last_epoch == -1:
            for group in optimizer.param_groups:
                initial_lr = group["lr"]
                if _is_tensor(initial_lr):
                    initial_lr = initial_lr.clone()
                group.setdefault("initial_lr", initial_lr)
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler "
                        "with last_epoch >= 0.\n"
                        "This typically happens when:\n"
                        "1. You're trying to resume training from a checkpoint but haven't properly loaded "
                        "the optimizer state\n"
                        "2. You're using last_epoch >= 0 for a fresh training run (not recommended)"
                    )
        self.base_lrs = _param_groups_val_list(optimizer, "initial_lr")
        self.last_epoch = last_epoch

        _patch_track_step_called(self.optimizer)
        self._initial_step()

    def _initial_step(self):
        """Set the rates of epoch ``last_epoch + 1`` without counting a user step."""
        self._step_count = 0
        with _initial_mode(self):
            self.step()

    def state_dict(self):
        """Every attribute but the optimizer."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)

    def get_last_lr(self):
        """The learning rates set by the last :meth:`step`, one per param group."""
        return self._last_lr

    def get_lr(self):
        """The rates of epoch ``last_epoch``; called by :meth:`step`."""
        raise NotImplementedError

    def step(self, epoch=None):
        """Move to the next epoch (or, deprecated, to ``epoch``) and set the param groups' ``lr``."""
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(
                    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
                    "initialization. Please, make sure to call `optimizer.step()` before "
                    "`lr_scheduler.step()`. See more details at "
                    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                    UserWarning,
                    stacklevel=2,
                )
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(
                    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
                    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
                    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
                    "will result in PyTorch skipping the first value of the learning rate schedule. "
                    "See more details at "
                    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                    UserWarning,
                    stacklevel=2,
                )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        with _enable_get_lr_call(self):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                if hasattr(self, "_get_closed_form_lr"):
                    values = self._get_closed_form_lr()
                else:
                    values = self.get_lr()
        for param_group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _update_param_group_val(param_group, "lr", lr)
        self._last_lr = _param_groups_val_list(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """The older name of :class:`LRScheduler`, kept as PyTorch keeps it."""


# ---------------------------------------------------------------------------
# Lambda schedulers
# ---------------------------------------------------------------------------

def _lambdas_per_group(optimizer, lr_lambda):
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(optimizer.param_groups)
    if len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


def _lambda_state_dict(scheduler):
    """State without the optimizer; functions and lambdas are not saved, callable objects' ``__dict__`` is."""
    state = {key: value for key, value in scheduler.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
    state["lr_lambdas"] = [None] * len(scheduler.lr_lambdas)
    for idx, fn in enumerate(scheduler.lr_lambdas):
        if not isinstance(fn, types.FunctionType):
            state["lr_lambdas"][idx] = fn.__dict__.copy()
    return state


def _lambda_load_state_dict(scheduler, state_dict):
    lr_lambdas = state_dict.pop("lr_lambdas")
    scheduler.__dict__.update(state_dict)
    state_dict["lr_lambdas"] = lr_lambdas  # leave the caller's dict as it was
    for idx, fn in enumerate(lr_lambdas):
        if fn is not None:
            scheduler.lr_lambdas[idx].__dict__.update(fn)


class LambdaLR(LRScheduler):
    r"""Learning rate = initial rate times a user function of the epoch.

    .. math:: \eta_t = \eta_0 \, \lambda(t)

    ``lr_lambda`` is one function or a list with one per param group. Functions
    and lambdas are not saved by :meth:`state_dict`; callable objects have their
    ``__dict__`` saved.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = npgrad.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.95**epoch)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_per_group(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        """The scheduler's state; functions and lambdas are stored as ``None``."""
        return _lambda_state_dict(self)

    def load_state_dict(self, state_dict):
        """Restore the state; callable objects get their saved ``__dict__`` back."""
        _lambda_load_state_dict(self, state_dict)

    def get_lr(self):
        """:math:`\\eta_0 \\lambda(t)` per group."""
        _warn_get_lr_called_within_step(self)
        return [base_lr * lmbda(self.last_epoch)
                for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(LRScheduler):
    r"""Multiply the learning rate by a user function of the epoch at every step.

    .. math:: \eta_t = \eta_{t-1} \, \lambda(t) \quad (t \ge 1)

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = npgrad.optim.lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.95)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_per_group(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        """The scheduler's state; functions and lambdas are stored as ``None``."""
        return _lambda_state_dict(self)

    def load_state_dict(self, state_dict):
        """Restore the state; callable objects get their saved ``__dict__`` back."""
        _lambda_load_state_dict(self, state_dict)

    def get_lr(self):
        """:math:`\\eta_{t-1} \\lambda(t)` per group (unchanged at the initial step)."""
        _warn_get_lr_called_within_step(self)
        if self._is_initial:
            return _param_groups_val_list(self.optimizer, "lr")
        return [group["lr"] * lmbda(self.last_epoch)
                for lmbda, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)]


# ---------------------------------------------------------------------------
# Step and warm-up schedules
# ---------------------------------------------------------------------------

class StepLR(LRScheduler):
    r"""Decay the learning rate by ``gamma`` every ``step_size`` epochs.

    .. math:: \eta_t = \eta_0 \, \gamma^{\lfloor t / s \rfloor}

    Computed recursively (multiply by :math:`\gamma` at each multiple of
    :math:`s`) as in PyTorch, so it chains with other schedulers.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.05)
        >>> sched = npgrad.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Multiply by :math:`\\gamma` when ``last_epoch`` is a positive multiple of ``step_size``."""
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _param_groups_val_list(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [_step_at(base_lr, self.last_epoch, self.step_size, self.gamma) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Decay the learning rate by ``gamma`` at each milestone epoch.

    .. math:: \eta_t = \eta_0 \, \gamma^{\#\{i : m_i \le t\}}

    A milestone listed twice decays twice.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.05)
        >>> sched = npgrad.optim.lr_scheduler.MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Multiply by :math:`\\gamma^k` at a milestone listed :math:`k` times."""
        _warn_get_lr_called_within_step(self)
        if self.last_epoch not in self.milestones:
            return _param_groups_val_list(self.optimizer, "lr")
        return [group["lr"] * self.gamma ** self.milestones[self.last_epoch]
                for group in self.optimizer.param_groups]

    def load_state_dict(self, state_dict):
        """Restore the state; ``milestones`` becomes a ``Counter`` again after a trip through a file."""
        super().load_state_dict(state_dict)
        self.milestones = Counter(self.milestones)

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [_multistep_at(base_lr, self.last_epoch, milestones, self.gamma) for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""Scale the learning rate by a constant ``factor`` for the first ``total_iters`` epochs.

    .. math:: \eta_t = \begin{cases} f\,\eta_0 & t < T \\ \eta_0 & t \ge T \end{cases}

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.05)
        >>> sched = npgrad.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=4)
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Multiply by ``factor`` at epoch 0 and by ``1 / factor`` at ``total_iters``."""
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _param_groups_val_list(self.optimizer, "lr")
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [_constant_at(base_lr, self.last_epoch, self.factor, self.total_iters) for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Change the learning rate linearly from ``start_factor`` to ``end_factor`` times the initial one.

    .. math:: \eta_t = \eta_0 \left(f_0 + (f_1 - f_0) \frac{\min(t, T)}{T}\right)

    The usual linear warm-up (Goyal et al., 2017, "Accurate, Large Minibatch
    SGD: Training ImageNet in 1 Hour"). Computed recursively as in PyTorch.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.05)
        >>> sched = npgrad.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=10)
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The ratio of consecutive closed-form factors, applied to the current rate."""
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _param_groups_val_list(self.optimizer, "lr")
        slope = self.end_factor - self.start_factor
        ratio = 1.0 + slope / (self.total_iters * self.start_factor + (self.last_epoch - 1) * slope)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [_linear_at(base_lr, self.last_epoch, self.start_factor, self.end_factor, self.total_iters)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Decay the learning rate by ``gamma`` every epoch.

    .. math:: \eta_t = \eta_0 \, \gamma^t

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.05)
        >>> sched = npgrad.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Multiply by :math:`\\gamma` (not at the initial step, so resuming does not skip ahead)."""
        _warn_get_lr_called_within_step(self)
        if self._is_initial:
            return _param_groups_val_list(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [_exponential_at(base_lr, self.last_epoch, self.gamma) for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay the learning rate polynomially to zero over ``total_iters`` epochs.

    .. math:: \eta_t = \eta_0 \left(1 - \frac{\min(t, T)}{T}\right)^p

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.05)
        >>> sched = npgrad.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The ratio of consecutive closed-form factors, applied to the current rate."""
        _warn_get_lr_called_within_step(self)
        if self._is_initial or self.last_epoch > self.total_iters:
            return _param_groups_val_list(self.optimizer, "lr")
        decay_factor = ((1.0 - self.last_epoch / self.total_iters)
                        / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [group["lr"] * decay_factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [_polynomial_at(base_lr, self.last_epoch, self.total_iters, self.power) for base_lr in self.base_lrs]


# ---------------------------------------------------------------------------
# Cosine schedules
# ---------------------------------------------------------------------------

class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial rate to ``eta_min`` over ``T_max`` epochs (SGDR without restarts).

    .. math:: \eta_t = \eta_{min} + \frac{1}{2}(\eta_0 - \eta_{min})\left(1 + \cos\frac{t\pi}{T_{max}}\right)

    Loshchilov & Hutter, 2017, "SGDR: Stochastic Gradient Descent with Warm
    Restarts". Like PyTorch, each rate is computed from the previous one,

    .. math:: \eta_{t} = \eta_{min} + (\eta_{t-1} - \eta_{min})
              \frac{1 + \cos(t\pi/T_{max})}{1 + \cos((t-1)\pi/T_{max})},

    so the schedule follows changes made to ``lr`` by other schedulers, agrees
    with the closed form to rounding, and continues past ``T_max`` as a cosine
    of period :math:`2T_{max}`.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = npgrad.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100, eta_min=1e-4)
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """PyTorch's recursive cosine step (closed form on the first step of a resumed run)."""
        _warn_get_lr_called_within_step(self)
        if self._is_initial:
            return _param_groups_val_list(self.optimizer, "lr")
        if self._step_count == 1 and self.last_epoch > 0:
            return [_cosine_at(base_lr, self.last_epoch, self.T_max, self.eta_min) for base_lr in self.base_lrs]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            # at the bottom of the cosine the ratio below is 0/0; step up from eta_min instead
            return [group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                    for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups, strict=True)]
        ratio = ((1 + math.cos(math.pi * self.last_epoch / self.T_max))
                 / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max)))
        return [ratio * (group["lr"] - self.eta_min) + self.eta_min for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [_cosine_at(base_lr, self.last_epoch, self.T_max, self.eta_min) for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing restarted every :math:`T_i` epochs, with :math:`T_{i+1} = T_{mult} T_i`.

    .. math:: \eta_t = \eta_{min} + \frac{1}{2}(\eta_0 - \eta_{min})\left(1 + \cos\frac{T_{cur}\pi}{T_i}\right)

    Loshchilov & Hutter, 2017, "SGDR: Stochastic Gradient Descent with Warm
    Restarts". ``step(epoch)`` accepts fractional epochs (for per-batch
    updates) as in PyTorch.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = npgrad.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The cosine at position ``T_cur`` of the current period ``T_i``."""
        _warn_get_lr_called_within_step(self)
        return [_cosine_at(base_lr, self.T_cur, self.T_i, self.eta_min) for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch, or jump to ``epoch`` (may be fractional), restarting where due."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0

        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** (n)
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)

        with _enable_get_lr_call(self):
            for param_group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
                _update_param_group_val(param_group, "lr", lr)
        self._last_lr = _param_groups_val_list(self.optimizer, "lr")


# ---------------------------------------------------------------------------
# Cyclical schedules
# ---------------------------------------------------------------------------

def _set_momentum(group, use_beta1, momentum):
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _check_cycle_momentum(optimizer):
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    return "betas" in optimizer.defaults


class CyclicLR(LRScheduler):
    r"""Cyclical learning rate between ``base_lr`` and ``max_lr``, stepped every batch.

    With :math:`c = \lfloor 1 + t / (s_{up} + s_{down}) \rfloor` the cycle and
    :math:`h \in [0, 1]` the height of the triangle at step :math:`t`,

    .. math:: \eta_t = \eta_{base} + (\eta_{max} - \eta_{base})\, h \, \mathrm{scale}(c \text{ or } t)

    with ``scale`` 1 (``triangular``), :math:`2^{1-c}` (``triangular2``),
    :math:`\gamma^t` (``exp_range``) or ``scale_fn``. With ``cycle_momentum``
    the momentum (or Adam's :math:`\beta_1`) moves the opposite way between
    ``max_momentum`` and ``base_momentum``.

    Smith, 2017, "Cyclical Learning Rates for Training Neural Networks".

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = npgrad.optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4)
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                _update_param_group_val(group, "lr", lr)

        self.max_lrs = _format_param("max_lr", optimizer, max_lr)

        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size

        if mode not in ["triangular", "triangular2", "exp_range"] and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")

        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _check_cycle_momentum(optimizer)
            self.base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            self.max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_momentum, b_momentum, group in zip(
                        self.max_momentums, self.base_momentums, optimizer.param_groups, strict=True):
                    _set_momentum(group, self.use_beta1, m_momentum)
                    group["max_momentum"] = m_momentum
                    group["base_momentum"] = b_momentum

        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = self._triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = self._triangular2_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = partial(self._exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x):
        """The amplitude scale at cycle (or iteration) ``x``: the custom ``scale_fn`` or the mode's."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma, x):
        return gamma**x

    def get_lr(self):
        """The rates at ``last_epoch``; also sets the cycled momentum of every group."""
        _warn_get_lr_called_within_step(self)
        cycle, scale_factor = _cyclic_position(self.last_epoch, self.total_size, self.step_ratio)
        scale_at = cycle if self.scale_mode == "cycle" else self.last_epoch

        lrs = []
        for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True):
            base_height = (max_lr - base_lr) * scale_factor
            lrs.append(base_lr + base_height * self.scale_fn(scale_at))

        if self.cycle_momentum:
            momentums = []
            for base_momentum, max_momentum in zip(self.base_momentums, self.max_momentums, strict=True):
                base_height = (max_momentum - base_momentum) * scale_factor
                momentums.append(max_momentum - base_height * self.scale_fn(scale_at))
            for group, momentum in zip(self.optimizer.param_groups, momentums, strict=True):
                _set_momentum(group, self.use_beta1, momentum)
        return lrs

    def state_dict(self):
        """The state without the bound scale function; a custom ``scale_fn`` object keeps its ``__dict__``."""
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict):
        """Restore the state and rebuild the mode's scale function."""
        fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal far below the start.

    In two phases (or three with ``three_phase``) the rate moves, by cosine or
    linear interpolation :math:`\mathrm{anneal}(s, e, p)`, from
    :math:`\eta_{max}/d` to :math:`\eta_{max}` over ``pct_start`` of the
    ``total_steps`` and then down to :math:`\eta_{max}/(d\,d_{final})`:

    .. math:: \mathrm{anneal}_{\cos}(s, e, p) = e + \frac{s - e}{2}(1 + \cos \pi p)

    With ``cycle_momentum`` the momentum (or Adam's :math:`\beta_1`) moves
    inversely between ``max_momentum`` and ``base_momentum``.

    Smith & Topin, 2018, "Super-Convergence: Very Fast Training of Neural
    Networks Using Large Learning Rates".

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        >>> sched = npgrad.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=100)
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")

        if three_phase:
            self._schedule_phases = [
                {"end_step": float(pct_start * self.total_steps) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * self.total_steps) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "initial_lr",
                 "end_lr": "min_lr", "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": float(pct_start * self.total_steps) - 1, "start_lr": "initial_lr",
                 "end_lr": "max_lr", "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "max_lr",
                 "end_lr": "min_lr", "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]

        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")

        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_func_type = anneal_strategy

        max_lrs = _format_param("max_lr", self.optimizer, max_lr)
        if last_epoch == -1:
            for idx, group in enumerate(self.optimizer.param_groups):
                group["initial_lr"] = max_lrs[idx] / div_factor
                group["max_lr"] = max_lrs[idx]
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if self.cycle_momentum:
            self.use_beta1 = _check_cycle_momentum(self.optimizer)
            max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m_momentum, b_momentum, group in zip(
                        max_momentums, base_momentums, optimizer.param_groups, strict=True):
                    _set_momentum(group, self.use_beta1, m_momentum)
                    group["max_momentum"] = m_momentum
                    group["base_momentum"] = b_momentum

        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return _anneal_cos(start, end, pct)
        return _anneal_linear(start, end, pct)

    _annealing_cos = staticmethod(_anneal_cos)
    _annealing_linear = staticmethod(_anneal_linear)

    def get_lr(self):
        """The rate of the phase holding ``last_epoch``; also sets the cycled momentum."""
        _warn_get_lr_called_within_step(self)
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"Tried to step {step_num} times. The specified number of total steps is {self.total_steps}")

        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    computed_lr = self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        computed_momentum = self._anneal_func(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(computed_lr)
            if self.cycle_momentum:
                _set_momentum(group, self.use_beta1, computed_momentum)
        return lrs


# ---------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------

def _check_schedulers(owner, optimizer, schedulers):
    for scheduler_idx, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(
                f"{owner.__class__.__name__} at index {scheduler_idx} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner.__class__.__name__} does not support `ReduceLROnPlateau` scheduler as it "
                "requires additional kwargs to be specified when calling `step`, "
                f"but got one at index {scheduler_idx} in the given schedulers sequence.")
        if optimizer != scheduler.optimizer:
            raise ValueError(
                f"{owner.__class__.__name__} expects all schedulers to belong to the same optimizer, but "
                f"got scheduler {scheduler.__class__.__name__} at index {scheduler_idx} has {scheduler.optimizer}, "
                f"which is different from {optimizer.__class__.__name__}.")


def _composite_state_dict(owner):
    state = {key: value for key, value in owner.__dict__.items() if key not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [s.state_dict() for s in owner._schedulers]
    return state


def _composite_load_state_dict(owner, state_dict):
    schedulers = state_dict.pop("_schedulers")
    owner.__dict__.update(state_dict)
    state_dict["_schedulers"] = schedulers  # leave the caller's dict as it was
    for idx, s in enumerate(schedulers):
        owner._schedulers[idx].load_state_dict(s)


class SequentialLR(LRScheduler):
    r"""Run schedulers one after another, switching at the milestone epochs.

    .. math:: \eta_t = S_k(t - m_{k-1}) \quad \text{for } m_{k-1} \le t < m_k

    At a milestone the next scheduler restarts from its own epoch 0. The usual
    warm-up then cosine::

        >>> import npgrad
        >>> from npgrad.optim import lr_scheduler as ls
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> warmup = ls.LinearLR(opt, start_factor=0.1, total_iters=5)
        >>> cosine = ls.CosineAnnealingLR(opt, T_max=95)
        >>> sched = ls.SequentialLR(opt, schedulers=[warmup, cosine], milestones=[5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError(
                f"{self.__class__.__name__} expects at least one scheduler, but got no scheduler.")
        _check_schedulers(self, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers {len(schedulers)} and the "
                f"number of milestones to be equal to {len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer

        # back to the initial rates, and undo the initial step of every scheduler
        for group in self.optimizer.param_groups:
            _update_param_group_val(group, "lr", group["initial_lr"])
        self.recursive_undo()

        # the initial step of the scheduler that runs at epoch 0 only
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None):
        """Step back the ``last_epoch`` of every scheduler inside (nested ones included)."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self):
        """Step the scheduler in charge; at a milestone, start the next one at its epoch 0."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """The state, with each inner scheduler's state dict under ``_schedulers``."""
        return _composite_state_dict(self)

    def load_state_dict(self, state_dict):
        """Restore the state and that of each inner scheduler."""
        _composite_load_state_dict(self, state_dict)


class ChainedScheduler(LRScheduler):
    r"""Step several schedulers together; their (recursive) effects multiply.

    .. math:: \eta_t = \eta_0 \prod_k \frac{S_k(t)}{S_k(0)} \quad \text{(for multiplicative schedules)}

    Example::

        >>> import npgrad
        >>> from npgrad.optim import lr_scheduler as ls
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ls.ChainedScheduler([ls.ConstantLR(opt, factor=0.1, total_iters=2),
        ...                              ls.ExponentialLR(opt, gamma=0.9)])
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError(
                f"{self.__class__.__name__} expects at least one scheduler to be chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers(self, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _param_groups_val_list(self._schedulers[-1].optimizer, "lr")

    def step(self):
        """Step every scheduler in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _param_groups_val_list(self._schedulers[-1].optimizer, "lr")

    def state_dict(self):
        """The state, with each inner scheduler's state dict under ``_schedulers``."""
        return _composite_state_dict(self)

    def load_state_dict(self, state_dict):
        """Restore the state and that of each inner scheduler."""
        _composite_load_state_dict(self, state_dict)


# ---------------------------------------------------------------------------
# Metric-driven schedule
# ---------------------------------------------------------------------------

class ReduceLROnPlateau(LRScheduler):
    r"""Reduce the learning rate by ``factor`` when a metric stops improving for ``patience`` epochs.

    A value :math:`a` improves on the best :math:`b` when (mode, threshold_mode):

    .. math::
        \text{min, rel: } a < b(1 - \epsilon) \qquad \text{min, abs: } a < b - \epsilon \\
        \text{max, rel: } a > b(1 + \epsilon) \qquad \text{max, abs: } a > b + \epsilon

    After more than ``patience`` non-improving epochs each group's rate becomes
    :math:`\max(\eta f, \eta_{min,i})` (skipped when the change is below
    ``eps``), then ``cooldown`` epochs pass before bad epochs count again.

    Example::

        >>> import npgrad
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = npgrad.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2)
        >>> for val_loss in [1.0, 1.0, 1.0, 1.0]:
        ...     opt.step()
        ...     sched.step(val_loss)
        >>> sched.get_last_lr()
        [0.010000000000000002]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor

        _check_optimizer(optimizer)
        self.optimizer = optimizer

        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)

        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _param_groups_val_list(self.optimizer, "lr")
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self):
        """Forget the best value, the bad epochs and the cooldown."""
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch=None):
        """Record one epoch's metric (a number or a one-element tensor) and reduce the rates if due."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch

        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count

        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

        self._last_lr = _param_groups_val_list(self.optimizer, "lr")

    def _reduce_lr(self, epoch):
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(self.optimizer.param_groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length "
                    "of the `optimizer` param groups.")
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)

        for i, param_group in enumerate(self.optimizer.param_groups):
            old_lr = float(param_group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                _update_param_group_val(param_group, "lr", new_lr)

    @property
    def in_cooldown(self):
        """Whether the scheduler is in its cooldown after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict):
        """Restore the state saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)
