r"""Muon: momentum orthogonalized by a Newton-Schulz iteration, for 2-D weights."""
from __future__ import annotations

import math

import numpy as np

from ._elementwise import lerp
from .optimizer import Optimizer, _grad_array, _is_tensor, _tensor_type, _to_scalar

__all__ = ["Muon", "zeropower_via_newtonschulz", "round_to_bfloat16"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def round_to_bfloat16(x: np.ndarray) -> np.ndarray:
    """Round float32 values to the nearest bfloat16 (ties to even), kept as float32.

    PyTorch runs Muon's Newton-Schulz iteration in bfloat16; NumPy has no such
    dtype, so each operation's float32 result is rounded to bfloat16 here.

    Example::

        >>> round_to_bfloat16(np.array([1.0 + 2 ** -9], dtype=np.float32))
        array([1.], dtype=float32)
    """
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = (bits + (((bits >> 16) & 1) + 0x7FFF)) & 0xFFFF0000
    rounded = np.where(np.isnan(x), bits, rounded).astype(np.uint32)
    return rounded.view(np.float32)


def zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    r"""Approximate :math:`UV^\top` of :math:`G = U\Sigma V^\top` by a quintic Newton-Schulz iteration.

    .. math::
        X_0 = G/\lVert G\rVert_F,\qquad
        X_{k+1} = aX_k + (bA_k + cA_k^2)X_k,\quad A_k = X_kX_k^\top

    in bfloat16 arithmetic (float32 accumulation, one rounding per operation),
    as PyTorch does. Jordan et al., *Muon: An optimizer for hidden layers in
    neural networks*, 2024.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(k) for k in ns_coefficients)
    bf16 = round_to_bfloat16
    x = bf16(grad.astype(np.float32))
    transposed = grad.shape[0] > grad.shape[1]
    if transposed:
        x = x.T
    norm = bf16(np.array(np.sqrt(np.sum(x.astype(np.float64) ** 2)), dtype=np.float32))
    norm = np.maximum(norm, bf16(np.array(eps, dtype=np.float32)))
    x = bf16(x / norm)
    for _ in range(ns_steps):
        gram = bf16(x @ x.T)
        gram_update = bf16(b * gram + c * (gram @ gram))
        x = bf16(a * x + gram_update @ x)
    if transposed:
        x = x.T
    return x


def _adjust_lr(lr, adjust_lr_fn, shape):
    """Muon's learning-rate scale for an ``A x B`` matrix."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Muon, as ``torch.optim.Muon`` (2-D parameters only).

    .. math::
        B_t = \mu B_{t-1} + (1-\mu) G_t,\quad
        O_t = \operatorname{NS}(\,G_t + \mu(B_t - G_t)\text{ if Nesterov else } B_t),\quad
        \theta_t = (1-\gamma\lambda)\theta_{t-1} - \gamma\, s\, O_t

    where NS is :func:`zeropower_via_newtonschulz` and :math:`s` the shape scale
    ``adjust_lr_fn`` picks (:math:`\sqrt{\max(1, A/B)}` by default). Not a single
    pass: the orthogonalization is a chain of matrix products. Jordan et al.,
    *Muon*, 2024; Liu et al., *Muon is Scalable for LLM Training*, 2025.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.ones(3, 2))
        >>> opt = npgrad.optim.Muon([w], lr=0.02)
        >>> (w ** 2).sum().backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        if _is_tensor(lr) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        f"Muon only supports 2D parameters whereas we found a parameter with size: {p.size()}")

    def step(self, closure=None):
        """Perform a single optimization step."""
        loss = self._closure_loss(closure)
        Tensor = _tensor_type()
        for group in self.param_groups:
            lr = float(_to_scalar(group["lr"]))
            mu = group["momentum"]
            for p in self._params_with_grad(group):
                g = _grad_array(p, "Muon")
                if g.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = Tensor._wrap(np.zeros_like(g))
                b = state["momentum_buffer"]._data
                b[...] = lerp(b, g, 1 - mu)
                update = lerp(g, b, mu) if group["nesterov"] else b
                update = zeropower_via_newtonschulz(update, group["ns_coefficients"], group["ns_steps"],
                                                    group["eps"])
                adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
                w = p._data
                w *= 1 - lr * group["weight_decay"]
                w += -adjusted_lr * update.astype(w.dtype)
        return loss
