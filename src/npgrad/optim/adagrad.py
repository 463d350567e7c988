r"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_fused_dtype, _check_fused_foreach, _full_like, _grad_array,
                        _is_tensor, _scalar_tensor, _to_scalar, run_update)

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(theta, g, s, clr, eps, weight_decay, maximize):
    r"""One Adagrad step; returns the new ``(theta, s)``.

    .. math::
        s \leftarrow s + g^2,\quad
        \theta \leftarrow \theta - \tilde\gamma\,\frac{g}{\sqrt{s} + \epsilon},\quad
        \tilde\gamma = \frac{\gamma}{1 + (t-1)\eta}
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    s = s + g * g
    theta = theta - clr * g / (np.sqrt(s) + eps)
    return theta, s


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    .. math::
        s_t = s_{t-1} + g_t^2,\qquad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1 + (t-1)\eta}\,\frac{g_t}{\sqrt{s_t} + \epsilon}

    with :math:`s_0` = ``initial_accumulator_value`` and :math:`\eta` = ``lr_decay``.
    Duchi, Hazan & Singer, *Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization*, JMLR 2011. As in PyTorch, the state of every
    parameter is created by the constructor.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.Adagrad([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([ 0.9000, -1.9000])
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused_foreach(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _scalar_tensor(0.0)
                state["sum"] = _full_like(p, initial_accumulator_value)

    _group_flag_defaults = dict(foreach=None, maximize=False, differentiable=False, fused=None)

    def __setstate__(self, state):
        super().__setstate__(state)
        for s in self.state.values():
            if "step" in s and not _is_tensor(s["step"]):
                s["step"] = _scalar_tensor(float(s["step"]))

    def share_memory(self) -> None:
        """No-op kept for PyTorch compatibility (NumPy buffers live in one process)."""

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            for p in self._params_with_grad(group):
                if group["fused"]:
                    _check_fused_dtype(p)
                g = _grad_array(p, "Adagrad")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["sum"] = _full_like(p, self.defaults["initial_accumulator_value"])
                state["step"]._data += 1
                t = float(state["step"]._data)
                clr = lr / (1 + (t - 1) * group["lr_decay"])
                run_update(adagrad_update, p._data, g, [state["sum"]._data],
                           (clr, float(group["eps"]), float(group["weight_decay"]), bool(group["maximize"])),
                           fused=group["fused"])
        return loss
