r"""Adam and AdamW (Adam with decoupled weight decay), with AMSGrad."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters, _check_fused_dtype, _check_fused_foreach,
                        _grad_array, _is_tensor, _scalar_tensor, _to_scalar, _zeros_like, run_update)

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_update(theta, g, m, v, v_max, step_size, one_minus_beta1, beta2, one_minus_beta2, eps,
                bias_correction2_sqrt, weight_decay, decay, decoupled, amsgrad, maximize):
    r"""One Adam/AdamW step; returns the new ``(theta, m, v, v_max)``.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}

    ``decay`` is :math:`1 - \gamma\lambda` (AdamW); otherwise
    :math:`g \leftarrow g + \lambda\theta` (Adam's L2 term).
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
    if amsgrad:
        v_max = np.maximum(v_max, v)
        denom = np.sqrt(v_max) / bias_correction2_sqrt + eps
    else:
        denom = np.sqrt(v) / bias_correction2_sqrt + eps
    theta = theta - step_size * m / denom
    return theta, m, v, v_max


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (and AdamW with ``decoupled_weight_decay=True``).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
        \theta_t = \theta_{t-1} - \gamma\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    PyTorch's numerics: :math:`\epsilon` is added outside the square root of the
    bias-corrected second moment. AMSGrad replaces :math:`v_t` by its running
    maximum. Kingma & Ba, *Adam: A Method for Stochastic Optimization*, ICLR 2015;
    Reddi et al., *On the Convergence of Adam and Beyond*, ICLR 2018.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.Adam([w], lr=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([ 0.9000, -1.9000])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if _is_tensor(lr) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (_is_tensor(betas[0]) and _is_tensor(betas[1]))):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        _check_fused_foreach(fused, foreach, differentiable)

    _group_flag_defaults = dict(amsgrad=False, maximize=False, foreach=None, capturable=False, differentiable=False,
                                decoupled_weight_decay=False, fused=None)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not _is_tensor(p_state["step"]):
                    p_state["step"] = _scalar_tensor(float(p_state["step"]))

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            beta1, beta2 = (float(_to_scalar(b)) for b in group["betas"])
            weight_decay = float(group["weight_decay"])
            for p in self._params_with_grad(group):
                g = _grad_array(p, "Adam")
                state = self.state[p]
                if len(state) == 0:
                    if group["fused"]:
                        _check_fused_dtype(p)
                    state["step"] = _scalar_tensor(0.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                state["step"]._data += 1
                t = float(state["step"]._data)
                bias_correction1 = 1 - beta1 ** t
                bias_correction2 = 1 - beta2 ** t
                v_max = state["max_exp_avg_sq"]._data if group["amsgrad"] else None
                run_update(adam_update, p._data, g,
                           [state["exp_avg"]._data, state["exp_avg_sq"]._data, v_max],
                           (lr / bias_correction1, 1 - beta1, beta2, 1 - beta2, float(group["eps"]),
                            bias_correction2 ** 0.5, weight_decay, 1 - lr * weight_decay,
                            bool(group["decoupled_weight_decay"]), bool(group["amsgrad"]),
                            bool(group["maximize"])),
                           fused=group["fused"])
        return loss


class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    .. math::
        \theta_t = (1 - \gamma\lambda)\,\theta_{t-1}
            - \gamma\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    The decay multiplies the weights directly instead of entering the gradient
    (an L2 penalty would be rescaled by Adam's adaptive denominator). Loshchilov &
    Hutter, *Decoupled Weight Decay Regularization*, ICLR 2019. Same class as
    :class:`Adam` with ``decoupled_weight_decay=True`` and ``weight_decay=1e-2``.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.tensor([1.0, -2.0]))
        >>> opt = npgrad.optim.AdamW([w], lr=0.1, weight_decay=0.1)
        >>> (w ** 2).sum().backward(); opt.step()
        >>> w.detach()
        tensor([ 0.8900, -1.8800])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
