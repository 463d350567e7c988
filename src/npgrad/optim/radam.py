r"""RAdam: Adam with a rectified variance of the adaptive learning rate."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters, _grad_array, _scalar_tensor, _to_scalar,
                        _zeros_like, run_update)

__all__ = ["RAdam", "radam_update"]


def radam_update(theta, g, m, v, lr, one_minus_beta1, beta2, one_minus_beta2, bias_correction1,
                 bias_correction2_sqrt, rect, eps, weight_decay, decay, decoupled, rectified, maximize):
    r"""One RAdam step; returns the new ``(theta, m, v)``.

    .. math::
        \hat m = \frac{m}{1-\beta_1^t},\quad
        \theta \leftarrow \theta - \gamma\,\hat m\, r_t\,\frac{\sqrt{1-\beta_2^t}}{\sqrt{v}+\epsilon}
        \ \text{ if } \rho_t > 5, \text{ else } \theta - \gamma\hat m
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled:
            theta = theta * decay
        else:
            g = g + weight_decay * theta
    m = m + one_minus_beta1 * (g - m)
    v = v * beta2 + one_minus_beta2 * g * g
    if rectified:
        theta = theta - m / bias_correction1 * lr * (bias_correction2_sqrt / (np.sqrt(v) + eps)) * rect
    else:
        theta = theta - m / bias_correction1 * lr
    return theta, m, v


class RAdam(Optimizer):
    r"""RAdam, as ``torch.optim.RAdam``.

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1,\quad
        \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t},\quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    and the Adam step is multiplied by :math:`r_t` once :math:`\rho_t > 5`
    (before that, SGD with momentum). Liu et al., *On the Variance of the Adaptive
    Learning Rate and Beyond*, ICLR 2020.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.RAdam([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(foreach=None, maximize=False, differentiable=False, decoupled_weight_decay=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            for p in self._params_with_grad(group):
                g = _grad_array(p, "RAdam")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                bias_correction1 = 1 - beta1 ** t
                bias_correction2 = 1 - beta2 ** t
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
                rectified = rho_t > 5.0
                rect = 1.0
                if rectified:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                run_update(radam_update, p._data, g, [state["exp_avg"]._data, state["exp_avg_sq"]._data],
                           (lr, 1 - beta1, beta2, 1 - beta2, bias_correction1, bias_correction2 ** 0.5, rect,
                            float(group["eps"]), weight_decay, 1 - lr * weight_decay,
                            bool(group["decoupled_weight_decay"]), bool(rectified), bool(group["maximize"])))
        return loss
