r"""Gradient clipping: by total norm (``clip_grad_norm_``) or by value (``clip_grad_value_``).

Example::

    >>> import npgrad
    >>> w = npgrad.nn.Parameter(npgrad.ones(4))
    >>> (3 * w).sum().backward()
    >>> npgrad.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    tensor(6.)
    >>> w.grad
    tensor([0.5000, 0.5000, 0.5000, 0.5000])
"""
from __future__ import annotations

import types
import warnings

import numpy as np

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _tensor_cls():
    from npgrad.tensor import Tensor

    return Tensor


def _as_list(tensors):
    if isinstance(tensors, _tensor_cls()):
        return [tensors]
    return list(tensors)


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    r""":math:`\lVert x\rVert_p` of the flattened array, in its own dtype (``torch.linalg.vector_norm``)."""
    a = np.abs(x.reshape(-1))
    if p == float("inf"):
        value = a.max() if a.size else 0.0
    elif p == float("-inf"):
        value = a.min() if a.size else float("inf")
    elif p == 0:
        value = np.count_nonzero(a)
    elif p == 1:
        value = a.sum(dtype=np.float64)
    elif p == 2:
        value = np.sqrt(np.dot(a.astype(np.float64), a.astype(np.float64)))
    else:
        value = np.sum(a.astype(np.float64) ** p) ** (1.0 / p)
    return np.asarray(value, dtype=x.dtype)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""The p-norm of all ``tensors`` together, as if concatenated into one vector.

    .. math:: \lVert (x_1, \dots, x_n)\rVert_p = \bigl\lVert (\lVert x_1\rVert_p, \dots, \lVert x_n\rVert_p)\bigr\rVert_p

    ``norm_type`` may be ``inf`` (largest absolute value). The result has the
    promoted dtype of the tensors (float32 ``0.`` for an empty list), as in PyTorch.
    ``foreach`` is accepted for compatibility and changes nothing.

    Example::

        >>> import npgrad
        >>> npgrad.nn.utils.get_total_norm([npgrad.tensor([3.0]), npgrad.tensor([4.0])])
        tensor(5.)
    """
    Tensor = _tensor_cls()
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return Tensor._wrap(np.array(0.0, dtype=np.float32))
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    dtype = np.result_type(*[n.dtype for n in norms])
    total = _vector_norm(np.stack([n.astype(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable "
            "this error and scale the gradients by the non-finite norm anyway, "
            "set `error_if_nonfinite=False`")
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    r"""Scale the gradients in place by :math:`\min\bigl(1, \frac{\text{max\_norm}}{\text{total\_norm} + 10^{-6}}\bigr)`.

    The coefficient is computed in ``total_norm``'s dtype, as in PyTorch.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.ones(2)); w.grad = npgrad.tensor([3.0, 4.0])
        >>> npgrad.nn.utils.clip_grads_with_norm_([w], 1.0, npgrad.tensor(5.0))
        >>> w.grad
        tensor([0.6000, 0.8000])
    """
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    total = np.asarray(total_norm._data)
    dtype = total.dtype.type
    clip_coef = dtype(max_norm) / (total + dtype(1e-6))
    clip_coef_clamped = np.minimum(clip_coef, dtype(1.0))
    with np.errstate(invalid="ignore"):  # inf * 0 = nan, silently, as in PyTorch
        for g in grads:
            g._data *= clip_coef_clamped


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""Clip the gradients of ``parameters`` in place to a total p-norm of at most ``max_norm``; return the norm.

    .. math::
        g \leftarrow g \cdot \min\Bigl(1, \frac{\text{max\_norm}}{\lVert g\rVert_p + 10^{-6}}\Bigr)

    where :math:`\lVert g\rVert_p` is :func:`get_total_norm` over all the gradients
    (``norm_type=inf`` for the largest absolute value). With ``error_if_nonfinite``
    a nan or inf norm raises instead. Pascanu, Mikolov & Bengio, *On the
    difficulty of training recurrent neural networks*, ICML 2013.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.ones(2)); w.grad = npgrad.tensor([3.0, 4.0])
        >>> npgrad.nn.utils.clip_grad_norm_(w, max_norm=1.0)
        tensor(5.)
    """
    if isinstance(parameters, _tensor_cls()):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_` (warns ``FutureWarning``, as PyTorch)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated "
                  "in favor of `torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    r"""Clamp every gradient element in place to :math:`[-\text{clip\_value}, \text{clip\_value}]`.

    Example::

        >>> import npgrad
        >>> w = npgrad.nn.Parameter(npgrad.ones(3)); w.grad = npgrad.tensor([-2.0, 0.5, 3.0])
        >>> npgrad.nn.utils.clip_grad_value_(w, 1.0)
        >>> w.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    parameters = _as_list(parameters)
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            g = p.grad._data
            np.clip(g, -clip_value, clip_value, out=g)
