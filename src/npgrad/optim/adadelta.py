r"""Adadelta: unit-correct steps from running averages of squared gradients and updates."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _grad_array, _is_tensor, _scalar_tensor, _to_scalar, _zeros_like, run_update

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(theta, g, v, u, lr, rho, one_minus_rho, eps, weight_decay, maximize):
    r"""One Adadelta step; returns the new ``(theta, v, u)``.

    .. math::
        v \leftarrow \rho v + (1-\rho) g^2,\quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g,\quad
        u \leftarrow \rho u + (1-\rho)\Delta^2,\quad
        \theta \leftarrow \theta - \gamma\Delta
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    v = v * rho + one_minus_rho * g * g
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u = u * rho + one_minus_rho * delta * delta
    theta = theta - lr * delta
    return theta, v, u


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t,\quad
        u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\quad
        \theta_t = \theta_{t-1} - \gamma\Delta_t

    Zeiler, *ADADELTA: An Adaptive Learning Rate Method*, 2012. State keys:
    ``square_avg`` (:math:`v`) and ``acc_delta`` (:math:`u`).

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.Adadelta([w])
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            rho = float(group["rho"])
            for p in self._params_with_grad(group):
                g = _grad_array(p, "Adadelta")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                state["step"]._data += 1
                run_update(adadelta_update, p._data, g, [state["square_avg"]._data, state["acc_delta"]._data],
                           (lr, rho, 1 - rho, float(group["eps"]), float(group["weight_decay"]),
                            bool(group["maximize"])))
        return loss
