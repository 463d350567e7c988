"""Numerical gradient checks by central differences (float64)."""
from __future__ import annotations

import numpy as np


def _outputs(fn, inputs):
    from ..tensor import Tensor

    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """d(outputs)/d(input) for every float64 input that requires grad, by central differences."""
    from ..autograd.grad_mode import no_grad

    jac = []
    for x in inputs:
        if not getattr(x, "requires_grad", False):
            jac.append(None)
            continue
        flat = x._data.reshape(-1)
        cols = []
        for k in range(flat.size):
            orig = flat[k]
            with no_grad():
                flat[k] = orig + eps
                plus = [o._data.copy().reshape(-1) for o in _outputs(fn, inputs)]
                flat[k] = orig - eps
                minus = [o._data.copy().reshape(-1) for o in _outputs(fn, inputs)]
            flat[k] = orig
            cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jac


def analytical_jacobian(fn, inputs):
    from ..tensor import Tensor

    outs = _outputs(fn, inputs)
    sizes = [o._data.size for o in outs]
    total = sum(sizes)
    jac = [np.zeros((total, x._data.size)) if getattr(x, "requires_grad", False) else None for x in inputs]
    row = 0
    for oi, o in enumerate(outs):
        for k in range(o._data.size):
            outs_k = _outputs(fn, inputs)
            for x in inputs:
                if isinstance(x, Tensor):
                    x.grad = None
            seed = np.zeros(outs_k[oi]._data.shape)
            seed.reshape(-1)[k] = 1.0
            if outs_k[oi].requires_grad:
                outs_k[oi].backward(Tensor._wrap(seed))
            for j, x in enumerate(inputs):
                if jac[j] is not None and x.grad is not None:
                    jac[j][row] = x.grad._data.reshape(-1)
            row += 1
    for x in inputs:
        if isinstance(x, Tensor):
            x.grad = None
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored):
    """Check ``func``'s analytical gradients against central differences.

    Every input that requires grad must be float64. Returns True, or raises a
    ``GradcheckError`` naming the input and the largest mismatch.

    Example:
        >>> import npgrad
        >>> x = npgrad.randn(3, dtype=npgrad.float64, requires_grad=True)
        >>> npgrad.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
        True
    """
    from ..tensor import Tensor

    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x._data.dtype != np.float64:
            raise ValueError(f"gradcheck expects float64 inputs; input {i} is {x._data.dtype}")
    num = numerical_jacobian(func, inputs, eps)
    ana = analytical_jacobian(func, inputs)
    for i, (n, a) in enumerate(zip(num, ana)):
        if n is None:
            continue
        if n.shape != a.shape or not np.allclose(a, n, atol=atol, rtol=rtol):
            err = np.max(np.abs(a - n)) if n.shape == a.shape else "shape"
            msg = (f"Jacobian mismatch for output 0 with respect to input {i},\n"
                   f"numerical:{n}\nanalytical:{a}\nmax abs difference: {err}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


class GradcheckError(RuntimeError):
    pass
