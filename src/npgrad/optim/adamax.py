r"""Adamax: Adam with the infinity norm of past gradients."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters, _grad_array, _scalar_tensor, _to_scalar,
                        _zeros_like, run_update)

__all__ = ["Adamax", "adamax_update"]


def adamax_update(theta, g, m, u, clr, one_minus_beta1, beta2, eps, weight_decay, maximize):
    r"""One Adamax step; returns the new ``(theta, m, u)``.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        u \leftarrow \max(\beta_2 u, |g| + \epsilon),\quad
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,\frac{m}{u}
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    m = m + one_minus_beta1 * (g - m)
    u = np.maximum(u * beta2, np.abs(g) + eps)
    theta = theta - clr * m / u
    return theta, m, u


class Adamax(Optimizer):
    r"""Adamax, as ``torch.optim.Adamax``.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\frac{m_t}{u_t}

    Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015, section 7.
    State keys: ``exp_avg`` (:math:`m`), ``exp_inf`` (:math:`u`).

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.Adamax([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in self._params_with_grad(group):
                g = _grad_array(p, "Adamax")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                state["step"]._data += 1
                clr = lr / (1 - beta1 ** float(state["step"]._data))
                run_update(adamax_update, p._data, g, [state["exp_avg"]._data, state["exp_inf"]._data],
                           (clr, 1 - beta1, beta2, float(group["eps"]), float(group["weight_decay"]),
                            bool(group["maximize"])))
        return loss
