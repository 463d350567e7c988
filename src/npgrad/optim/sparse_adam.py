r"""SparseAdam: Adam restricted to the coordinates that received a gradient."""
from __future__ import annotations

import numpy as np

from ._elementwise import where
from .optimizer import Optimizer, _is_tensor, _to_scalar, _zeros_like, run_update

__all__ = ["SparseAdam", "sparse_adam_update"]


def sparse_adam_update(theta, g, m, v, step_size, one_minus_beta1, one_minus_beta2, eps, zero, maximize):
    r"""One SparseAdam step; returns the new ``(theta, m, v)``, changed only where :math:`g \ne 0`.

    .. math::
        m \leftarrow m + (1-\beta_1)(g - m),\quad
        v \leftarrow v + (1-\beta_2)(g^2 - v),\quad
        \theta \leftarrow \theta - \gamma\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\frac{m}{\sqrt{v}+\epsilon}
    """
    if maximize:
        g = -g
    active = g != zero
    dm = (g - m) * one_minus_beta1
    dv = (g * g - v) * one_minus_beta2
    new_theta = theta - step_size * ((dm + m) / (np.sqrt(dv + v) + eps))
    return where(active, new_theta, theta), where(active, m + dm, m), where(active, v + dv, v)


class SparseAdam(Optimizer):
    r"""SparseAdam, as ``torch.optim.SparseAdam``: moments and weights move only where the gradient is non-zero.

    .. math::
        \theta_i \leftarrow \theta_i - \gamma\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
            \frac{m_i}{\sqrt{v_i}+\epsilon} \quad \text{for } g_i \ne 0

    npgrad has no sparse tensor layout: the gradient is a dense array and its
    non-zero entries play the role of the values a sparse gradient would hold
    (the rows an ``nn.Embedding`` lookup touched). The result equals
    ``torch.optim.SparseAdam`` fed ``grad.to_sparse()``. ``step`` is a Python
    int, as in PyTorch. Kingma & Ba, *Adam*, ICLR 2015.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.SparseAdam([w], lr=0.1)
        >>> w.grad = npgrad.tensor([0.0, 1.0]); opt.step()
        >>> w.detach()
        tensor([ 1.0000, -2.1000])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = dict(lr=lr, betas=betas, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta1, beta2 = (float(b) for b in group["betas"])
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                state["step"] += 1
                t = state["step"]
                step_size = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
                run_update(sparse_adam_update, p._data, p.grad._data,
                           [state["exp_avg"]._data, state["exp_avg_sq"]._data],
                           (float(step_size), 1 - beta1, 1 - beta2, float(group["eps"]), 0.0,
                            bool(group.get("maximize", False))))
        return loss
