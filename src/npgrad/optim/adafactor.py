r"""Adafactor: Adam-like steps with a factored (row x column) second moment."""
from __future__ import annotations

import math

import numpy as np

from ._elementwise import lerp
from .optimizer import Optimizer, _grad_array, _is_tensor, _scalar_tensor, _tensor_type, _to_scalar

__all__ = ["Adafactor", "adafactor_update"]


def adafactor_update(theta, g, row_var, col_var, variance, lr, rho, alpha, one_minus_beta2, eps1, d,
                     weight_decay):
    r"""One Adafactor step on NumPy arrays, in place on ``theta``; returns ``(theta, row_var, col_var, variance)``.

    .. math::
        R \leftarrow \operatorname{lerp}(R, \overline{g^2}^{\,cols}, 1-\beta_{2,t}),\quad
        C \leftarrow \operatorname{lerp}(C, \overline{g^2}^{\,rows}, 1-\beta_{2,t}),\quad
        \hat V = \frac{R\,C}{\operatorname{mean}(R)},\quad
        U = \frac{g}{\sqrt{\max(\hat V, \epsilon_1^2)}},\quad
        \theta \leftarrow (1-\gamma\lambda)\theta - \frac{\alpha_t}{\max(1, \mathrm{RMS}(U)/d)} U

    Not a single pass: the clipping by :math:`\mathrm{RMS}(U)` needs the whole
    update before any weight can move, and the factored moments are reductions.
    One scratch array (first :math:`g^2`, then :math:`\hat V`, then :math:`U`) is
    reused throughout, so a step allocates nothing parameter-sized beyond it.
    """
    if weight_decay != 0:
        theta *= 1 - lr * weight_decay
    work = np.multiply(g, g)  # g^2
    if g.ndim > 1:
        row_mean = np.square(np.sqrt(np.sum(work, axis=-1, keepdims=True))) / g.shape[-1]
        row_var = lerp(row_var, row_mean, one_minus_beta2)
        col_mean = np.square(np.sqrt(np.sum(work, axis=-2, keepdims=True))) / g.shape[-2]
        col_var = lerp(col_var, col_mean, one_minus_beta2)
        np.multiply(row_var, col_var, out=work)  # V = R C / mean(R)
        work /= np.maximum(np.mean(row_var, axis=-2, keepdims=True), eps1)
    else:
        variance = lerp(variance, work, one_minus_beta2)
        work[...] = variance
    # U = g / sqrt(max(V, eps1^2)), as rsqrt then multiply, in place in the scratch array
    np.maximum(work, eps1 * eps1, out=work)
    np.sqrt(work, out=work)
    np.reciprocal(work, out=work)
    work *= g
    denom = max(1.0, float(np.linalg.norm(work.reshape(-1))) / (math.sqrt(work.size) * d))
    work *= -alpha / denom
    theta += work
    return theta, row_var, col_var, variance


class Adafactor(Optimizer):
    r"""Adafactor, as ``torch.optim.Adafactor``.

    .. math::
        \rho_t = \min(\gamma, 1/\sqrt t),\quad
        \alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\,\rho_t,\quad
        1-\beta_{2,t} = t^{c}

    with :math:`c` = ``beta2_decay``; the second moment of a matrix gradient is
    kept as its row and column means only (``row_var``, ``col_var``), of a vector
    as ``variance``. Shazeer & Stern, *Adafactor: Adaptive Learning Rates with
    Sublinear Memory Cost*, ICML 2018.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.ones(2, 3))
        >>> opt = npgrad.optim.Adafactor([w], lr=0.01)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    _group_flag_defaults = dict(foreach=None)

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        Tensor = _tensor_type()
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            eps1, eps2 = group["eps"]
            for p in self._params_with_grad(group):
                g = _grad_array(p, "Adafactor")
                if group["maximize"]:
                    g = -g
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor(0.0)
                    if g.ndim > 1:
                        state["row_var"] = Tensor._wrap(np.zeros(g.shape[:-1] + (1,), dtype=g.dtype))
                        state["col_var"] = Tensor._wrap(np.zeros(g.shape[:-2] + (1, g.shape[-1]), dtype=g.dtype))
                    else:
                        state["variance"] = Tensor._wrap(np.zeros_like(g))
                state["step"]._data += 1
                t = float(state["step"]._data)
                w = p._data
                rho = min(lr, 1 / (t ** 0.5))
                alpha = max(eps2, float(np.linalg.norm(w.reshape(-1))) / (w.size ** 0.5)) * rho
                e1 = float(np.finfo(w.dtype).eps) if eps1 is None else eps1
                names = ("row_var", "col_var", "variance")
                buffers = [state[k]._data if k in state else None for k in names]
                theta, *new_buffers = adafactor_update(
                    w, g, *buffers, lr, rho, alpha, t ** group["beta2_decay"], e1, group["d"],
                    float(group["weight_decay"]))
                if theta is not w:
                    w[...] = theta
                for name, value in zip(names, new_buffers):
                    if name in state:
                        state[name]._data[...] = value
        return loss
