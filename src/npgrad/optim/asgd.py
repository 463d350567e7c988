r"""ASGD: averaged stochastic gradient descent."""
from __future__ import annotations

from .optimizer import Optimizer, _grad_array, _is_tensor, _scalar_tensor, _to_scalar, _zeros_like, run_update

__all__ = ["ASGD", "asgd_update"]


def asgd_update(theta, g, ax, eta, decay, mu, weight_decay, averaging, maximize):
    r"""One ASGD step; returns the new ``(theta, ax)``.

    .. math::
        \theta \leftarrow (1 - \lambda\eta_t)\,\theta - \eta_t g,\quad
        \bar\theta \leftarrow \bar\theta + \mu_t(\theta - \bar\theta)
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * theta
    theta = theta * decay
    theta = theta - eta * g
    if averaging:
        ax = ax + (theta - ax) * mu
    else:
        ax = theta
    return theta, ax


class ASGD(Optimizer):
    r"""Averaged SGD, as ``torch.optim.ASGD``.

    .. math::
        \theta_t = (1-\lambda\eta_t)\theta_{t-1} - \eta_t g_t,\quad
        \bar\theta_t = \bar\theta_{t-1} + \mu_t(\theta_t - \bar\theta_{t-1}),\quad
        \eta_{t+1} = \frac{\gamma}{(1+\lambda\gamma t)^\alpha},\quad
        \mu_{t+1} = \frac{1}{\max(1, t - t_0)}

    The average :math:`\bar\theta` is kept in ``state["ax"]``. Polyak & Juditsky,
    *Acceleration of Stochastic Approximation by Averaging*, SIAM J. Control
    Optim. 1992.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.ASGD([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            for p in self._params_with_grad(group):
                g = _grad_array(p, "ASGD")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["eta"] = _scalar_tensor(lr)
                    state["mu"] = _scalar_tensor(1.0)
                    state["ax"] = _zeros_like(p)
                state["step"]._data += 1
                eta = float(state["eta"]._data)
                mu = float(state["mu"]._data)
                run_update(asgd_update, p._data, g, [state["ax"]._data],
                           (eta, 1 - lambd * eta, mu, float(group["weight_decay"]), mu != 1,
                            bool(group["maximize"])))
                t = float(state["step"]._data)
                state["eta"]._data[...] = lr / ((1 + lambd * lr * t) ** alpha)
                state["mu"]._data[...] = 1 / max(1, t - t0)
        return loss
