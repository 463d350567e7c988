r"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from .optimizer import (Optimizer, _check_fused_dtype, _check_fused_foreach, _grad_array, _to_scalar,
                        _zeros_like, run_update)

__all__ = ["SGD", "sgd_update"]


def sgd_update(w, g, v, lr, mu, one_minus_tau, weight_decay, nesterov, maximize, momentum_on, first):
    r"""One SGD step on ``w`` with momentum buffer ``v``; returns the new ``(w, v)``.

    .. math::
        g \leftarrow g + \lambda w,\quad
        v \leftarrow \mu v + (1 - \tau) g \;(v_1 = g),\quad
        w \leftarrow w - \gamma\,(g + \mu v \text{ if Nesterov else } v)
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * w
    if momentum_on:
        if first:
            v = g
        else:
            v = mu * v + one_minus_tau * g
        if nesterov:
            g = g + mu * v
        else:
            g = v
    w = w - lr * g
    return w, v


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    .. math::
        v_t = \mu v_{t-1} + (1 - \tau) g_t, \qquad \theta_t = \theta_{t-1} - \gamma v_t

    with :math:`v_1 = g_1`, :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}` for weight
    decay, and Nesterov's variant :math:`\theta_t = \theta_{t-1} - \gamma (g_t + \mu v_t)`
    (Sutskever et al., *On the importance of initialization and momentum in deep
    learning*, ICML 2013). This is PyTorch's form of momentum — the learning rate
    multiplies the buffer — as the seed tutorial writes ``v = m*v + g; w = w - lr*v``.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([ 0.8000, -1.6000])
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused_foreach(fused, foreach, differentiable)

    _group_flag_defaults = dict(nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            mu = group["momentum"]
            weight_decay = float(_to_scalar(group["weight_decay"]))
            for p in self._params_with_grad(group):
                if group["fused"]:
                    _check_fused_dtype(p)
                g = _grad_array(p, "SGD")
                buffer, first = None, False
                if mu != 0:
                    state = self.state[p]
                    if state.get("momentum_buffer") is None:
                        state["momentum_buffer"] = _zeros_like(g)   # torch clones the gradient (its layout)
                        first = True
                    buffer = state["momentum_buffer"]._data
                run_update(sgd_update, p._data, g, [buffer],
                           (lr, float(mu), float(1 - group["dampening"]), float(weight_decay),
                            bool(group["nesterov"]), bool(group["maximize"]), mu != 0, first),
                           fused=group["fused"])
        return loss
