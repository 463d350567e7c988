"""The differentiable remainders of floating tensors: ``remainder`` (``%``) and ``fmod``.

Both are ``a - q * b`` for a piecewise-constant quotient ``q`` (``floor(a / b)`` or ``trunc(a / b)``), so
their gradients are ``1`` for ``a`` and ``-q`` for ``b``, as PyTorch defines them. Integer remainders and
the floor division are not differentiable and are computed in ``Tensor`` directly.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import ArrayFunction as Function


def remainder(a, b):
    r"""PyTorch's ``remainder`` of floats: :math:`a - \lfloor a / b \rfloor b`, with the sign of ``b``; ``fmod``
    moved by ``b`` where their signs differ (a zero keeps ``fmod``'s sign).

    Example:
        >>> remainder(np.array([-7.0, 7.0]), np.array(-2.0)).tolist()
        [-1.0, -1.0]
    """
    mod = np.fmod(a, b)
    return np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


class _Remainder(Function):
    """``a - q(a, b) * b`` for a quotient ``q`` rounded by ``quotient``: d/da = 1, d/db = -q."""

    @classmethod
    def compute(cls, a, b):
        raise NotImplementedError

    @classmethod
    def quotient(cls, a, b):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[1] else None)
        with np.errstate(all="ignore"):    # x % 0 is NaN, silently as in PyTorch
            return np.asarray(cls.compute(a, b))

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        if not ctx.needs_input_grad[1]:
            return g, None
        with np.errstate(all="ignore"):
            return g, -g * cls.quotient(a, b)

    @classmethod
    def graph_backward(cls, ctx, saved, g):
        from ..tensor import Tensor

        a, b = ctx.saved_tensors
        if not ctx.needs_input_grad[1]:
            return g, None
        with np.errstate(all="ignore"):
            q = Tensor._wrap(np.asarray(cls.quotient(a, b)))
        # piecewise constant in a and b: a zero gradient to both, as PyTorch's recorded quotient gives
        q = q + saved.input(0, a) * 0 + saved.input(1, b) * 0
        return g, -g * q


class Remainder(_Remainder):
    r""":math:`a - \lfloor a / b \rfloor b` (``%``, ``torch.remainder``) of floats; d/db = :math:`-\lfloor a/b \rfloor`.

    Example:
        >>> import npgrad
        >>> x = npgrad.tensor([5.5, -1.5], requires_grad=True)
        >>> (x % 2).sum().backward(); x.grad
        tensor([1., 1.])
    """

    compute = staticmethod(remainder)

    @staticmethod
    def quotient(a, b):
        return np.floor_divide(a, b)


class Fmod(_Remainder):
    r""":math:`a - \operatorname{trunc}(a / b) b` (``torch.fmod``) of floats: the sign of ``a``;
    d/db = :math:`-\operatorname{trunc}(a/b)`.

    Example:
        >>> import npgrad
        >>> x = npgrad.tensor([5.5, -1.5], requires_grad=True)
        >>> x.fmod(2)
        tensor([ 1.5000, -1.5000], grad_fn=<FmodBackward0>)
    """

    compute = staticmethod(np.fmod)

    @staticmethod
    def quotient(a, b):
        return np.trunc(a / b)
