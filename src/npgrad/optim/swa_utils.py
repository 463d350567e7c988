r"""Weight averaging: stochastic weight averaging (SWA), EMA, and the SWA learning rate.

``AveragedModel`` keeps a running average of a model's parameters,

.. math:: \bar\theta_{n+1} = \bar\theta_n + \frac{\theta - \bar\theta_n}{n + 1} \quad\text{(SWA)}, \qquad
          \bar\theta_{n+1} = d\,\bar\theta_n + (1 - d)\,\theta \quad\text{(EMA)},

``SWALR`` anneals the learning rate to a constant SWA rate, and ``update_bn``
recomputes batch-norm running statistics for the averaged weights.

Izmailov et al., 2018, "Averaging Weights Leads to Wider Optima and Better
Generalization".

Example::

    >>> import npgrad
    >>> from npgrad.optim.swa_utils import AveragedModel, SWALR
    >>> model = npgrad.nn.Linear(3, 1)
    >>> opt = npgrad.optim.SGD(model.parameters(), lr=0.1)
    >>> swa_model = AveragedModel(model)
    >>> swa_sched = SWALR(opt, swa_lr=0.05, anneal_epochs=2)
    >>> for epoch in range(3):
    ...     opt.step()
    ...     swa_model.update_parameters(model)
    ...     swa_sched.step()
    >>> int(swa_model.n_averaged)
    3
"""
import itertools
import math
import warnings
from copy import deepcopy

import numpy as np

from .._dtype import get_default_dtype
from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from .lr_scheduler import LRScheduler, _format_param
from ..tensor import check_device

__all__ = [
    "AveragedModel",
    "update_bn",
    "SWALR",
    "get_ema_multi_avg_fn",
    "get_swa_multi_avg_fn",
    "get_ema_avg_fn",
    "get_swa_avg_fn",
]


def _lerp_(start, end, weight):
    r"""``start += weight * (end - start)`` in place on arrays, with PyTorch's two-sided formula.

    .. math:: \text{lerp}(s, e, w) = \begin{cases} s + w (e - s) & |w| < 0.5 \\
              e - (e - s)(1 - w) & \text{otherwise} \end{cases}

    computed in the arrays' precision (as ``torch.lerp``).
    """
    w = np.asarray(weight, dtype=start.dtype)
    if abs(float(w)) < 0.5:
        start += w * (end - start)
    else:
        start[...] = end - (end - start) * (np.asarray(1, dtype=start.dtype) - w)


def _is_floating(t):
    return np.issubdtype(t._data.dtype, np.floating) or np.issubdtype(t._data.dtype, np.complexfloating)


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    r"""An in-place EMA over lists of tensors: :math:`\bar\theta \leftarrow \text{lerp}(\bar\theta, \theta, 1 - d)`.

    Example::

        >>> import npgrad
        >>> from npgrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
        >>> ema = AveragedModel(npgrad.nn.Linear(3, 1), multi_avg_fn=get_ema_multi_avg_fn(0.99))
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        if _is_floating(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                _lerp_(p_ema._data, p_model._data, 1 - decay)
        else:
            # integer buffers: computed in the default float dtype, then truncated (PyTorch's copy_)
            real = np.dtype(get_default_dtype().np).type
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema._data[...] = (p_ema._data.astype(real) * real(decay)
                                    + p_model._data.astype(real) * real(1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    r"""An in-place running mean over lists of tensors: :math:`\bar\theta \leftarrow \text{lerp}(\bar\theta, \theta, 1/(n+1))`.

    Example::

        >>> import npgrad
        >>> from npgrad.optim.swa_utils import AveragedModel, get_swa_multi_avg_fn
        >>> swa = AveragedModel(npgrad.nn.Linear(3, 1), multi_avg_fn=get_swa_multi_avg_fn())
    """

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = _count(num_averaged)
        if _is_floating(averaged_param_list[0]):
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                weight = np.asarray(1, dtype=np.float32) / np.asarray(n + 1, dtype=np.float32)
                _lerp_(p_avg._data, p_model._data, weight)
        elif _is_tensor(num_averaged):
            # PyTorch's foreach addcdiv refuses integer division
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
                "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
                "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
                "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
                "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.")
        else:
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")

    return swa_update


def get_ema_avg_fn(decay=0.999):
    r"""The EMA of one tensor, returned: :math:`d\,\bar\theta + (1 - d)\,\theta`.

    Example::

        >>> import npgrad
        >>> from npgrad.optim.swa_utils import AveragedModel, get_ema_avg_fn
        >>> ema = AveragedModel(npgrad.nn.Linear(3, 1), avg_fn=get_ema_avg_fn(0.99))
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    r"""The running mean of one tensor, returned: :math:`\bar\theta + (\theta - \bar\theta)/(n + 1)`.

    Example::

        >>> import npgrad
        >>> from npgrad.optim.swa_utils import AveragedModel, get_swa_avg_fn
        >>> swa = AveragedModel(npgrad.nn.Linear(3, 1), avg_fn=get_swa_avg_fn())
    """

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _is_tensor(value):
    from ..tensor import Tensor

    return isinstance(value, Tensor)


def _count(num_averaged):
    """``n_averaged`` as a Python int (it may be a 0-d tensor)."""
    if hasattr(num_averaged, "item"):
        return int(num_averaged.item())
    return int(num_averaged)


class AveragedModel(Module):
    r"""A copy of a model whose parameters are the running average of the model's.

    By default the average is the SWA mean of all parameters passed to
    :meth:`update_parameters`,

    .. math:: \bar\theta_{n+1} = \bar\theta_n + \frac{\theta - \bar\theta_n}{n + 1},

    the first call copying the parameters. ``avg_fn(averaged, current, n)``
    (returning the new average) or ``multi_avg_fn(averaged_list, current_list, n)``
    (updating in place) replace it, e.g. with :func:`get_ema_multi_avg_fn` for an
    exponential moving average. With ``use_buffers=True`` the buffers are
    averaged too; otherwise they are copied from the model at every update.
    ``n_averaged`` is an int64 buffer.

    Izmailov et al., 2018, "Averaging Weights Leads to Wider Optima and Better
    Generalization".

    Example::

        >>> import npgrad
        >>> from npgrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
        >>> model = npgrad.nn.Linear(3, 1)
        >>> ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999))
        >>> ema_model.update_parameters(model)
        >>> y = ema_model(npgrad.randn(2, 3))
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        check_device(device)
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        from ..tensor import Tensor

        self.register_buffer("n_averaged", Tensor._wrap(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged module."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold the current parameters (and buffers, with ``use_buffers``) of ``model`` into the average."""
        if self.use_buffers:
            self_params = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            model_params = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            self_params = list(self.parameters())
            model_params = list(model.parameters())

        n = _count(self.n_averaged)
        self_detached, model_detached = [], []
        for p_averaged, p_model in zip(self_params, model_params):
            self_detached.append(p_averaged.detach())
            model_detached.append(p_model.detach())
            if n == 0:
                p_averaged._data[...] = p_model._data

        if n > 0:
            if self.multi_avg_fn is not None:
                for group_avg, group_model in _group_by_dtype(self_detached, model_detached):
                    self.multi_avg_fn(group_avg, group_model, self.n_averaged)
            else:
                avg_fn = self.avg_fn if self.avg_fn is not None else get_swa_avg_fn()
                for p_averaged, p_model in zip(self_detached, model_detached, strict=True):
                    new = avg_fn(p_averaged, p_model, self.n_averaged)
                    p_averaged._data[...] = new._data if hasattr(new, "_data") else new

        if not self.use_buffers:
            # buffers are not averaged: keep them in sync with the model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa._data[...] = b_model._data
        self.n_averaged._data += 1


def _group_by_dtype(averaged, current):
    """Pairs of lists of tensors sharing a dtype, in order of first appearance (PyTorch groups so)."""
    groups = {}
    for p_avg, p_model in zip(averaged, current, strict=True):
        key = p_avg._data.dtype
        groups.setdefault(key, ([], []))
        groups[key][0].append(p_avg)
        groups[key][1].append(p_model)
    return list(groups.values())


def _has_running_stats(module):
    """BatchNorm-like: a ``momentum`` attribute and ``running_mean`` / ``running_var`` buffers.

    Instance norms are left alone, as PyTorch's ``update_bn`` leaves them.
    """
    if any(cls.__name__ == "_InstanceNorm" for cls in type(module).__mro__):
        return False
    return (hasattr(module, "momentum") and getattr(module, "running_mean", None) is not None
            and getattr(module, "running_var", None) is not None)


def _reset_running_stats(module):
    if hasattr(module, "reset_running_stats"):
        module.reset_running_stats()
        return
    module.running_mean._data[...] = 0
    module.running_var._data[...] = 1
    tracked = getattr(module, "num_batches_tracked", None)
    if tracked is not None:
        tracked._data[...] = 0


def update_bn(loader, model, device=None):
    r"""Recompute the running statistics of every batch-norm layer of ``model`` over ``loader``.

    Each module with ``momentum`` and ``running_mean`` / ``running_var``
    buffers has its statistics reset and its momentum set to ``None`` (a
    cumulative average over the batches), then one pass of ``loader`` in
    training mode refills them:

    .. math:: \hat\mu = \frac{1}{K}\sum_{k=1}^K \mu_k, \qquad \hat\sigma^2 = \frac{1}{K}\sum_{k=1}^K \sigma^2_k

    Batches that are lists or tuples contribute their first element. The
    momenta and the training flag are restored afterwards. Nothing happens
    when the model has no such layer.

    Example::

        >>> import npgrad
        >>> from npgrad.optim.swa_utils import update_bn
        >>> model = npgrad.nn.Linear(3, 1)
        >>> update_bn([npgrad.randn(4, 3)], model)
    """
    momenta = {}
    for module in model.modules():
        if _has_running_stats(module):
            _reset_running_stats(module)
            momenta[module] = module.momentum

    if not momenta:
        return

    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None

    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)

    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's learning rate to a constant ``swa_lr`` over ``anneal_epochs``, then hold it.

    With :math:`t = \min(1, \text{step}/\text{anneal\_epochs})` and
    :math:`\alpha(t) = (1 - \cos \pi t)/2` (``"cos"``) or :math:`t` (``"linear"``),

    .. math:: \eta_t = \alpha(t)\,\eta_{swa} + (1 - \alpha(t))\,\eta_{start}

    where :math:`\eta_{start}` is recovered each step from the current rate, as
    in PyTorch, so the schedule starts from whatever rate the optimizer has.

    Izmailov et al., 2018, "Averaging Weights Leads to Wider Optima and Better
    Generalization".

    Example::

        >>> import npgrad
        >>> from npgrad.optim.swa_utils import SWALR
        >>> opt = npgrad.optim.SGD([npgrad.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = SWALR(opt, swa_lr=0.05, anneal_epochs=5, anneal_strategy="linear")
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        """The interpolated rates at the current step."""
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        if anneal_strategy == "cos":
            self.anneal_func = self._cosine_anneal
        else:
            self.anneal_func = self._linear_anneal

    def state_dict(self):
        """The state without the annealing function (rebuilt from its name on load)."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        """Restore the state and the annealing function."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
