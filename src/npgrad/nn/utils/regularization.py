r"""L1 and L2 penalties as explicit loss terms, and how they relate to weight decay.

Regularisation discourages large weights by adding a penalty to the loss:

* L1, :math:`\alpha\sum_i |w_i|`, pushes weights to exactly zero (sparse models);
* L2, :math:`\tfrac{\alpha}{2}\sum_i w_i^2`, shrinks all weights smoothly.

The gradient of the L2 term is :math:`\alpha w`, which is exactly what the
``weight_decay=alpha`` argument of SGD, Adam, RMSprop ... adds to the gradient:
``SGD(params, weight_decay=a)`` and ``SGD(params)`` on ``loss + l2_penalty(params, a)``
take the same steps. With an adaptive method (Adam) that L2 gradient is then
divided by :math:`\sqrt{\hat v}`, so weights with large gradients are barely
regularised. *Decoupled* weight decay (``AdamW``, ``decoupled_weight_decay=True``)
instead shrinks the weights directly, :math:`w \leftarrow (1 - \gamma\lambda)w`,
outside the adaptive step; it is not the gradient of any penalty, so no loss
term reproduces it (Loshchilov & Hutter, *Decoupled Weight Decay
Regularization*, ICLR 2019).

Example::

    >>> import npgrad
    >>> lin = npgrad.nn.Linear(3, 1)
    >>> x, y = npgrad.randn(8, 3), npgrad.randn(8, 1)
    >>> loss = ((lin(x) - y) ** 2).mean() + l2_penalty([lin.weight], 1e-2)
    >>> loss.backward()
"""
from __future__ import annotations

__all__ = ["l1_penalty", "l2_penalty"]


def _as_list(parameters):
    from npgrad.optim.optimizer import _is_tensor

    return [parameters] if _is_tensor(parameters) else list(parameters)


def l1_penalty(parameters, alpha: float):
    r"""The L1 (lasso) penalty :math:`\alpha\sum_i |w_i|` over ``parameters``, a differentiable scalar.

    Its subgradient is :math:`\alpha\,\operatorname{sign}(w)`. Tibshirani,
    *Regression Shrinkage and Selection via the Lasso*, JRSS B 1996.

    Example::

        >>> import npgrad
        >>> l1_penalty([npgrad.tensor([1.0, -2.0])], 0.5)
        tensor(1.5000)
    """
    params = _as_list(parameters)
    total = params[0].abs().sum()
    for p in params[1:]:
        total = total + p.abs().sum()
    return alpha * total


def l2_penalty(parameters, alpha: float):
    r"""The L2 (ridge) penalty :math:`\tfrac{\alpha}{2}\sum_i w_i^2` over ``parameters``, a differentiable scalar.

    Its gradient :math:`\alpha w` is what ``weight_decay=alpha`` adds inside SGD
    and Adam (not AdamW). Hoerl & Kennard, *Ridge Regression*, Technometrics 1970.

    Example::

        >>> import npgrad
        >>> l2_penalty([npgrad.tensor([1.0, -2.0])], 0.5)
        tensor(1.2500)
    """
    params = _as_list(parameters)
    total = (params[0] * params[0]).sum()
    for p in params[1:]:
        total = total + (p * p).sum()
    return 0.5 * alpha * total
