r"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters, _grad_array, _scalar_tensor, _to_scalar,
                        _zeros_like, run_update)

__all__ = ["NAdam", "nadam_update"]


def nadam_update(theta, g, m, v, c_g, c_m, one_minus_beta1, beta2, one_minus_beta2, bias_correction2, eps,
                 weight_decay, decay, decoupled, maximize):
    r"""One NAdam step; returns the new ``(theta, m, v)``.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        \theta \leftarrow \theta
            - \gamma\frac{(1-\mu_t)}{1-\prod_{i\le t}\mu_i}\frac{g}{\sqrt{\hat v} + \epsilon}
            - \gamma\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m}{\sqrt{\hat v} + \epsilon}

    with :math:`\hat v = v/(1-\beta_2^t)`; ``c_g`` and ``c_m`` are the two
    (negative) coefficients.
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
    denom = np.sqrt(v / bias_correction2) + eps
    theta = theta + c_g * g / denom
    theta = theta + c_m * m / denom
    return theta, m, v


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam``.

    .. math::
        \mu_t = \beta_1\bigl(1 - \tfrac12 \cdot 0.96^{t\psi}\bigr),\quad
        \theta_t = \theta_{t-1}
            - \gamma\frac{(1-\mu_t)\, g_t}{(1-\prod_{i=1}^{t}\mu_i)(\sqrt{\hat v_t}+\epsilon)}
            - \gamma\frac{\mu_{t+1}\, m_t}{(1-\prod_{i=1}^{t+1}\mu_i)(\sqrt{\hat v_t}+\epsilon)}

    with :math:`\psi` = ``momentum_decay``. Dozat, *Incorporating Nesterov Momentum
    into Adam*, ICLR 2016 workshop. ``decoupled_weight_decay=True`` gives NAdamW.
    State keys: ``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.NAdam([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(maximize=False, foreach=None, capturable=False, differentiable=False, decoupled_weight_decay=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta1, beta2 = (float(b) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            psi = group["momentum_decay"]
            for p in self._params_with_grad(group):
                g = _grad_array(p, "NAdam")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["mu_product"] = _scalar_tensor(1.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
                mu_product = state["mu_product"]._data
                mu_product *= mu_product.dtype.type(mu)  # kept in the step dtype, as PyTorch does
                mu_product_t = float(mu_product)
                c_g = -lr * (1.0 - mu) / (1.0 - mu_product_t)
                c_m = (-lr * mu_next) / (1.0 - mu_product_t * mu_next)
                run_update(nadam_update, p._data, g, [state["exp_avg"]._data, state["exp_avg_sq"]._data],
                           (c_g, c_m, 1 - beta1, beta2, 1 - beta2, 1 - beta2 ** t, float(group["eps"]),
                            weight_decay, 1 - lr * weight_decay, bool(group["decoupled_weight_decay"]),
                            bool(group["maximize"])))
        return loss
