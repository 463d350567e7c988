r"""RMSprop: gradients divided by a running root mean square, optionally centered, with momentum."""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _grad_array, _is_tensor, _scalar_tensor, _to_scalar, _zeros_like, run_update

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(theta, g, v, g_avg, b, lr, alpha, one_minus_alpha, eps, weight_decay, mu,
                   centered, momentum_on, maximize):
    r"""One RMSprop step; returns the new ``(theta, v, g_avg, b)``.

    .. math::
        v \leftarrow \alpha v + (1-\alpha) g^2,\quad
        \tilde v = v - \bar g^2 \text{ (centered)},\quad
        b \leftarrow \mu b + \frac{g}{\sqrt{\tilde v} + \epsilon},\quad
        \theta \leftarrow \theta - \gamma b
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    v = v * alpha + one_minus_alpha * g * g
    if centered:
        g_avg = g_avg + one_minus_alpha * (g - g_avg)
        avg = np.sqrt(v - g_avg * g_avg) + eps
    else:
        avg = np.sqrt(v) + eps
    if momentum_on:
        b = b * mu + g / avg
        theta = theta - lr * b
    else:
        theta = theta - lr * g / avg
    return theta, v, g_avg, b


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
        \theta_t = \theta_{t-1} - \gamma\,\frac{g_t}{\sqrt{v_t} + \epsilon}

    ``centered`` subtracts the squared running mean of the gradient from
    :math:`v_t` (Graves, *Generating Sequences With Recurrent Neural Networks*,
    2013); ``momentum`` accumulates the normalised step in a buffer. Hinton,
    *Neural Networks for Machine Learning*, lecture 6e.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.RMSprop([w], lr=0.01)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(momentum=0, centered=False, foreach=None, maximize=False, differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            alpha = float(group["alpha"])
            momentum_on = group["momentum"] > 0
            for p in self._params_with_grad(group):
                g = _grad_array(p, "RMSprop")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["square_avg"] = _zeros_like(p)
                    if momentum_on:
                        state["momentum_buffer"] = _zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = _zeros_like(p)
                state["step"]._data += 1
                g_avg = state["grad_avg"]._data if group["centered"] else None
                b = state["momentum_buffer"]._data if momentum_on else None
                run_update(rmsprop_update, p._data, g, [state["square_avg"]._data, g_avg, b],
                           (lr, alpha, 1 - alpha, float(group["eps"]), float(group["weight_decay"]),
                            float(group["momentum"]), bool(group["centered"]), bool(momentum_on),
                            bool(group["maximize"])))
        return loss
