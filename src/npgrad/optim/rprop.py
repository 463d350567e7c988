r"""Rprop: sign-based steps with per-coordinate step sizes adapted from sign changes."""
from __future__ import annotations

import numpy as np

from ._elementwise import where
from .optimizer import Optimizer, _full_like, _grad_array, _is_tensor, _scalar_tensor, _to_scalar, _zeros_like, run_update

__all__ = ["Rprop", "rprop_update"]


def rprop_update(theta, g, prev, step_size, eta_minus, eta_plus, step_size_min, step_size_max, one, zero,
                 maximize):
    r"""One Rprop step; returns the new ``(theta, prev, step_size)``.

    .. math::
        \eta = \begin{cases}\eta_+ & g\,g_{prev} > 0\\ \eta_- & g\,g_{prev} < 0\\ 1 & \text{else}\end{cases},\quad
        \Delta \leftarrow \operatorname{clip}(\eta\Delta, \Delta_{min}, \Delta_{max}),\quad
        g \leftarrow 0 \text{ where } \eta = \eta_-,\quad
        \theta \leftarrow \theta - \operatorname{sign}(g)\,\Delta
    """
    if maximize:
        g = -g
    s = np.sign(g * prev)
    eta = where(s > zero, eta_plus, where(s < zero, eta_minus, where(s == zero, one, s)))
    step_size = np.minimum(np.maximum(step_size * eta, step_size_min), step_size_max)
    g = where(eta == eta_minus, zero, g)
    theta = theta - np.sign(g) * step_size
    return theta, g, step_size


class Rprop(Optimizer):
    r"""Resilient backpropagation, as ``torch.optim.Rprop``.

    .. math::
        \Delta_t = \operatorname{clip}\bigl(\eta_t\Delta_{t-1}, \Delta_{min}, \Delta_{max}\bigr),\qquad
        \theta_t = \theta_{t-1} - \operatorname{sign}(g_t)\,\Delta_t

    where :math:`\eta_t` is :math:`\eta_+` when the gradient kept its sign,
    :math:`\eta_-` when it flipped (and that coordinate's gradient is then
    treated as zero). Riedmiller & Braun, *A Direct Adaptive Method for Faster
    Backpropagation Learning: The RPROP Algorithm*, ICNN 1993.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.Rprop([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([ 0.9000, -1.9000])
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
                 foreach=None, maximize=False, differentiable=False):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = (float(e) for e in group["etas"])
            step_size_min, step_size_max = (float(s) for s in group["step_sizes"])
            for p in self._params_with_grad(group):
                g = _grad_array(p, "Rprop")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    state["prev"] = _zeros_like(p)
                    state["step_size"] = _full_like(g, float(_to_scalar(group["lr"])))   # torch: full_like(grad, lr)
                state["step"]._data += 1
                run_update(rprop_update, p._data, g, [state["prev"]._data, state["step_size"]._data],
                           (eta_minus, eta_plus, step_size_min, step_size_max, 1.0, 0.0,
                            bool(group["maximize"])))
        return loss
