r"""The math of every loss of ``torch.nn``, as plain functions (``torch.nn.functional``).

Every function takes PyTorch's arguments, including the legacy ``size_average`` /
``reduce`` pair, which :func:`_legacy_reduction` maps onto ``reduction`` exactly as
PyTorch's ``_Reduction.legacy_get_string`` does.  One helper, :func:`_reduce`,
applies ``'none' | 'mean' | 'sum'``.

Where PyTorch's behaviour is surprising we match it:

* a weighted ``'mean'`` of :func:`cross_entropy` / :func:`nll_loss` divides by the
  sum of the weights of the non-ignored targets, not by the number of targets;
* a ``'mean'`` over nothing (every target ignored, or an empty batch) is NaN;
* :func:`binary_cross_entropy` clamps each log at -100, and its gradient is
  :math:`(x - y) / \max(x(1 - x), 10^{-12})` rather than the clamped log's;
* :func:`kl_div` with ``'mean'`` averages over every element (use ``'batchmean'``
  for the mathematical KL divergence);
* :func:`ctc_loss`'s gradient with respect to ``log_probs`` is PyTorch's
  :math:`e^{\log p} - \text{posterior}`, which equals the true gradient once it
  passes back through the ``log_softmax`` that made ``log_probs``.

:func:`cross_entropy` with class-index targets runs the fused Numba kernel of
``npgrad.kernels.cross_entropy`` (loss and gradient in one pass);
:func:`_cross_entropy_composed` is the same loss composed from ``log_softmax`` and
:func:`nll_loss`, kept as the reference the tests compare the kernel with.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import warnings

import numpy as np

from ...autograd.function import ArrayFunction as Function
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.versions import Deferred
from ...ops import elementwise as E
from ...ops.math import xlogy
from ...tensor import Tensor, _labelled, where
from .basic import linear, pairwise_distance

__all__ = ["l1_loss", "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
           "huber_loss", "smooth_l1_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
           "multilabel_margin_loss", "multi_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "ctc_loss", "linear_cross_entropy", "LinearCrossEntropyOptions", "sigmoid_focal_loss",
           "softmax_focal_loss"]


# =========================================================================== reduction
def _node_name(name):
    """Name a loss's output node as PyTorch's own loss op names it, so ``print(loss)`` shows
    ``grad_fn=<MseLossBackward0>``. ``name`` is the name, or a function of the call's arguments giving it
    (``None`` where PyTorch composes the loss from other ops and our node's own name is already its)."""
    def decorate(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def named(*args, **kwargs):
            out = fn(*args, **kwargs)
            if isinstance(out, Tensor) and out._node is not None:
                if callable(name):
                    call = signature.bind(*args, **kwargs)
                    call.apply_defaults()
                    label = name(call.arguments)
                else:
                    label = name
                if label is not None:
                    out._node.label = label
            return out
        return named
    return decorate


def _nll_node(a):
    """PyTorch's node of an NLL loss: 2-d kernels for spatial inputs (a 3-d input goes through 4-d and back)."""
    ndim = a["input"].ndim
    reduction = _resolve_reduction(a.get("size_average"), a.get("reduce"), a["reduction"])
    if a.get("label_smoothing", 0.0) > 0:
        return "AddBackward0"
    if ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if ndim != 4 and reduction == "none" else "NllLoss2DBackward0"


def _legacy_reduction(size_average, reduce, emit_warning=True):
    """PyTorch's ``_Reduction.legacy_get_string``: the old flag pair as a ``reduction``."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _resolve_reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    return reduction


def _check_reduction(reduction):
    """PyTorch's ``_Reduction.get_enum``: validate ``reduction`` (and map the old alias)."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    """Apply ``reduction`` to an elementwise loss; the mean of nothing is NaN."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.numel() == 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            return loss.sum() * float("nan")
    return loss.mean()


# =========================================================================== helpers
_TYPE_NAMES = {np.dtype(np.int64): "Long", np.dtype(np.int32): "Int", np.dtype(np.int16): "Short",
               np.dtype(np.int8): "Char", np.dtype(np.uint8): "Byte", np.dtype(np.bool_): "Bool",
               np.dtype(np.float32): "Float", np.dtype(np.float64): "Double", np.dtype(np.float16): "Half"}


def _type_name(t):
    return _TYPE_NAMES.get(t._data.dtype, str(t._data.dtype))


def _size(shape):
    """``torch.Size([...])`` as PyTorch prints it in its messages."""
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


def _list(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _warn_size_mismatch(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                      f"({_size(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _broadcast(a, b):
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        _raise_broadcast_error(a.shape, b.shape)
    return (a if tuple(a.shape) == shape else a.expand(shape),
            b if tuple(b.shape) == shape else b.expand(shape))


def _raise_broadcast_error(sa, sb):
    sa, sb = tuple(sa), tuple(sb)
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + sa
    pb = (1,) * (n - len(sb)) + sb
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            raise RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                               f"at non-singleton dimension {i}")
    raise RuntimeError("shapes cannot be broadcast")


def _const(array, like):
    """A constant (no-grad) tensor from an array, in ``like``'s dtype."""
    return Tensor._wrap(np.asarray(array, dtype=like._data.dtype))


# =========================================================================== regression losses
def _weighted(loss, weight, input, reduction, mean_by_weight):
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean absolute error :math:`\ell_i = w_i |x_i - y_i|`.

    A weighted ``'mean'`` divides by :math:`\sum_i w_i`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.l1_loss(npgrad.tensor([1.0, 2.0]), npgrad.tensor([0.0, 4.0])).item()
        1.5
    """
    _warn_size_mismatch(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    x, y = _broadcast(input, target)
    loss = (x - y).abs()
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=True)
    return _reduce(loss, _check_reduction(reduction))


@_node_name(lambda a: "MseLossBackward0" if a["weight"] is None else None)
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean squared error :math:`\ell_i = w_i (x_i - y_i)^2`.

    A weighted ``'mean'`` divides by :math:`\sum_i w_i`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.mse_loss(npgrad.tensor([1.0, 2.0]), npgrad.tensor([0.0, 4.0])).item()
        2.5
    """
    _warn_size_mismatch(input, target)
    reduction = _resolve_reduction(size_average, reduce, reduction)
    x, y = _broadcast(input, target)
    diff = x - y
    loss = diff * diff
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=True)
    return _reduce(loss, _check_reduction(reduction))


@_node_name(lambda a: "HuberLossBackward0" if a["weight"] is None else None)
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    r"""Huber loss: quadratic near zero, linear beyond ``delta``.

    .. math::
        \ell_i = \begin{cases} \tfrac12 d_i^2 & |d_i| < \delta \\
                 \delta (|d_i| - \tfrac12 \delta) & \text{otherwise} \end{cases},
        \qquad d_i = x_i - y_i

    P. J. Huber, *Robust Estimation of a Location Parameter*, 1964.  A weighted
    ``'mean'`` divides by the number of elements (as PyTorch does).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.huber_loss(npgrad.tensor([0.5, 3.0]), npgrad.zeros(2)).item()
        1.3125
    """
    _warn_size_mismatch(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, y = _broadcast(input, target)
    diff = x - y
    adiff = diff.abs()
    loss = where(adiff < delta, 0.5 * diff * diff, delta * (adiff - 0.5 * delta))
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=False)
    return _reduce(loss, _check_reduction(reduction))


@_node_name(lambda a: "SmoothL1LossBackward0" if a["beta"] != 0 else None)
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    r"""Smooth L1 loss: :math:`\tfrac12 d^2 / \beta` for :math:`|d| < \beta`, else :math:`|d| - \tfrac12 \beta`.

    R. Girshick, *Fast R-CNN*, ICCV 2015.  ``beta = 0`` is the L1 loss.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.smooth_l1_loss(npgrad.tensor([0.5, 3.0]), npgrad.zeros(2)).item()
        1.3125
    """
    _warn_size_mismatch(input, target)
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _broadcast(input, target)
    diff = x - y
    adiff = diff.abs()
    if beta == 0.0:
        return _reduce(adiff, reduction)
    loss = where(adiff < beta, 0.5 * diff * diff / beta, adiff - 0.5 * beta)
    return _reduce(loss, reduction)


# =========================================================================== cross-entropy family
def _check_class_weight(weight, n_classes):
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                           f"but got weight tensor of shape: {_list(weight.shape)}")


def _check_index_target(input, target, weight):
    """PyTorch's shape, dtype and weight checks for class-index targets (``nll_loss_nd``)."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    if input.ndim != 1 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        no_batch = input.ndim == 1 and target.ndim <= 1
        if not no_batch and input.shape[0] != (target.shape[0] if target.ndim else 1):
            raise RuntimeError(f"size mismatch (got input: {_list(input.shape)}, target: {_list(target.shape)})")
    elif input.ndim == 4:
        if target.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {target.ndim}")
        if (input.shape[0], input.shape[2], input.shape[3]) != tuple(target.shape):
            raise RuntimeError(f"size mismatch (got input: {_list(input.shape)} , target: {_list(target.shape)}")
    else:
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            expected = [input.shape[0], *input.shape[2:]]
            raise RuntimeError(f"Expected target size {_list(expected)}, got {_list(target.shape)}")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    _check_class_weight(weight, n_classes)
    if target._data.dtype not in (np.dtype(np.int64), np.dtype(np.uint8)):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(target)}")
    return n_classes


def _check_bounds(target_array, n_classes, ignore_index):
    bad = ((target_array < 0) | (target_array >= n_classes)) & (target_array != ignore_index)
    if bad.any():
        raise IndexError(f"Target {int(target_array[bad].flat[0])} is out of bounds.")


@_node_name(_nll_node)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    r"""Negative log-likelihood of log-probabilities ``input`` at class indices ``target``.

    .. math::
        \ell_i = -w_{y_i} x_{i, y_i}, \qquad
        \text{mean} = \frac{\sum_i \ell_i}{\sum_{i: y_i \ne \text{ignore}} w_{y_i}}

    Targets equal to ``ignore_index`` contribute nothing; the mean over nothing is NaN.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> logp = npgrad.tensor([[-0.1, -2.3], [-1.2, -0.4]])
        >>> round(F.nll_loss(logp, npgrad.tensor([0, 1])).item(), 4)
        0.25
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    n_classes = _check_index_target(input, target, weight)
    t = target._data.astype(np.int64)
    _check_bounds(t, n_classes, ignore_index)
    class_dim = 0 if input.ndim == 1 else 1
    if input.ndim == 1:
        t = t.reshape(())             # a (1,) target of a (C,) input is one sample
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    index = Tensor._wrap(np.expand_dims(safe, class_dim))
    picked = input.gather(class_dim, index).squeeze(class_dim)
    w = np.ones(n_classes, dtype=input._data.dtype) if weight is None else weight._data
    w_t = (w[safe] * valid).astype(input._data.dtype)
    loss = -picked * _const(w_t, input)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    total = float(w_t.sum(dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() * (1.0 / total if total != 0 else math.inf)


def _cross_entropy_composed(input, target, weight=None, ignore_index=-100, reduction="mean",
                            label_smoothing=0.0):
    """Cross-entropy for class-index targets composed of autograd ops (the kernel's reference).

    Follows PyTorch's ``cross_entropy_loss_label_smoothing``: both terms share the
    'mean' denominator, the total weight of the non-ignored targets.
    """
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    logp = input.log_softmax(class_dim)
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0.0:
        return nll
    t = target._data.astype(np.int64).reshape(() if input.ndim == 1 else target.shape)
    valid = t != ignore_index
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = n_classes
        smooth = -(logp * _const(weight._data.reshape(shape), input)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth * _const(valid, input)
    if reduction == "mean":
        w = np.ones(n_classes) if weight is None else weight._data.astype(np.float64)
        total = float((w[np.where(valid, t, 0)] * valid).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            smooth = smooth.sum() * (1.0 / total if total != 0 else math.inf)
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    """Cross-entropy against class probabilities: :math:`-\\sum_c w_c q_c \\log p_c`."""
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    logp = input.log_softmax(class_dim)
    q = target * (1 - label_smoothing) + label_smoothing / n_classes if label_smoothing > 0 else target
    prod = logp * q
    if weight is not None:
        shape = [1] * input.ndim
        shape[class_dim] = n_classes
        prod = prod * weight.reshape(shape)
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    if input.numel() == 0:
        with np.errstate(invalid="ignore"):
            return -prod.sum() * float("nan")
    # PyTorch divides by the count as a number (``div.Scalar``): DivBackward1
    return _labelled(-prod.sum() / (input.numel() // n_classes), True, "DivBackward1")


class _FusedCrossEntropy(Function):
    """Cross-entropy whose forward also writes the gradient (``npgrad.kernels.cross_entropy``).

    ``logits`` is ``(R, C)`` or ``(N, C, D)``.  The gradient computed in forward is
    handed to the first backward; a later backward (``retain_graph=True``) or a
    recorded one (``create_graph=True``) computes it again from the logits.

    PyTorch's node keeps log_softmax's output, not the logits, so modifying the
    logits in place after the loss is no error there, and none here for the first
    backward, which does not read them. The later passes do: they refuse logits
    modified since the forward (copying them at every forward would cost a pass
    over the logits). The target and the weight are checked before any backward,
    as PyTorch's node checks the ones it keeps.
    """

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, label_smoothing, reduction):
        from ...kernels.cross_entropy import cross_entropy_forward_backward

        logits = np.ascontiguousarray(logits)
        want = bool(ctx.needs_input_grad[0])
        out, grad, _ = cross_entropy_forward_backward(logits, target, weight, ignore_index, label_smoothing,
                                                      reduction, want_grad=want)
        if want:
            ctx.grad = grad
            ctx.logits = Deferred(logits)
            ctx.saved = (target, weight, ignore_index, label_smoothing, reduction)
            ctx.grads_owned = True      # backward hands over a fresh array nobody else holds
        return out

    @staticmethod
    def _recomputed_from(ctx):
        """What forward kept, for computing the gradient again: the logits, unless modified since."""
        changed = ctx.logits.check()
        if changed is not None:
            array, seen, now = changed
            raise RuntimeError("one of the variables needed for gradient computation has been modified by an "
                               f"inplace operation: [{Tensor._wrap(array).type()} {list(array.shape)}], the input "
                               f"of cross_entropy, is at version {now}; expected version {seen} instead. "
                               "cross_entropy reads its input again for a second backward pass (retain_graph=True) "
                               "or a recorded one (create_graph=True): modify a clone of the input instead.")
        return (ctx.logits.array,) + ctx.saved

    @staticmethod
    def backward(ctx, g):
        from ...kernels.cross_entropy import cross_entropy_forward_backward, scale_rows

        grad = ctx.grad
        ctx.grad = None
        if grad is None:
            _, grad, _ = cross_entropy_forward_backward(*_FusedCrossEntropy._recomputed_from(ctx), want_grad=True)
        g = np.asarray(g, dtype=grad.dtype)
        if g.ndim == 0:
            if g != 1:
                grad *= g
        elif grad.ndim == 2:
            scale_rows(grad, g)
        else:
            grad *= g[:, None, :]
        return grad, None, None, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        r"""The gradient as a recorded function of the logits (``create_graph``):

        .. math::
            \frac{\partial \ell_i}{\partial x_{i,c}} = p_{i,c} \sum_k q_{i,k} - q_{i,c},\qquad
            q_{i,c} = (1 - \varepsilon)\, w_{y_i} [c = y_i] + \tfrac{\varepsilon}{C} w_c

        for the positions whose target is not ignored, divided by the total weight for 'mean'.
        """
        logits, target, weight, ignore_index, label_smoothing, reduction = _FusedCrossEntropy._recomputed_from(ctx)
        n_classes = logits.shape[1]
        valid = target != ignore_index
        t = np.where(valid, target, 0)
        w = np.ones(n_classes, logits.dtype) if weight is None else weight.astype(logits.dtype, copy=False)
        class_axis = [1, n_classes] + [1] * (logits.ndim - 2)
        onehot = np.moveaxis(np.eye(n_classes, dtype=logits.dtype)[t], -1, 1)      # like the logits
        w_target = np.expand_dims(w[t] * valid, 1)
        q = (1 - label_smoothing) * w_target * onehot
        if label_smoothing > 0:
            q = q + (label_smoothing / n_classes) * np.expand_dims(valid, 1) * w.reshape(class_axis)
        q = q.astype(logits.dtype, copy=False)
        p = saved.input(0, logits).softmax(1)
        grad = p * q.sum(axis=1, keepdims=True) - q
        if reduction == "none":
            return grad * g.unsqueeze(1), None, None, None, None, None
        if reduction == "mean":
            total = float((w[t] * valid).sum(dtype=np.float64))
            with np.errstate(divide="ignore", invalid="ignore"):
                grad = grad * (1.0 / total if total != 0 else math.inf)
        return grad * g, None, None, None, None, None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    r"""Cross-entropy between logits and class indices or class probabilities.

    For class indices :math:`y`, weights :math:`w` and label smoothing :math:`\varepsilon`:

    .. math::
        \ell_i = (1 - \varepsilon)\, w_{y_i} (-\log p_{i, y_i})
                 + \frac{\varepsilon}{C} \sum_c w_c (-\log p_{i, c}),
        \qquad p_i = \operatorname{softmax}(x_i)

    and a weighted 'mean' divides by :math:`\sum_{i: y_i \ne \text{ignore}} w_{y_i}`
    (NaN when nothing is left).  For probabilities :math:`q` (same shape as the
    input) :math:`\ell_i = -\sum_c w_c \tilde q_{i,c} \log p_{i,c}` with
    :math:`\tilde q = (1-\varepsilon) q + \varepsilon / C`, and 'mean' divides by the
    number of positions.  Inputs are ``(C)``, ``(N, C)`` or ``(N, C, d1, ..., dk)``.

    Class-index targets run a fused kernel (one pass for max and sum of
    exponentials, the gradient written once).  Label smoothing: C. Szegedy et
    al., *Rethinking the Inception Architecture for Computer Vision*, CVPR 2016.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x = npgrad.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
        >>> loss = F.cross_entropy(x, npgrad.tensor([0]))
        >>> loss.backward(); round(loss.item(), 4)
        0.2413
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if tuple(input.shape) == tuple(target.shape):
        if target._data.dtype.kind != "f":
            raise RuntimeError("Expected floating point type for target with class probabilities, "
                               f"got {_type_name(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        n_classes = input.shape[0 if input.ndim == 1 else 1]
        if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: {_list(weight.shape)}")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    n_classes = _check_index_target(input, target, weight)
    if weight is not None and weight.requires_grad and is_grad_enabled():
        raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect to argument 'weight'. "
                           "This input cannot have requires_grad True.")
    t = np.ascontiguousarray(target._data, dtype=np.int64)
    _check_bounds(t, n_classes, ignore_index)
    smoothing = float(label_smoothing) if label_smoothing > 0 else 0.0
    if input._data.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        return _cross_entropy_composed(input, target, weight, ignore_index, reduction, smoothing)
    # the kernel's layouts: rows (R, C) or (N, C, D)
    if input.ndim == 1:
        logits, rows = input.reshape(1, n_classes), t.reshape(1)
    elif input.ndim == 2:
        logits, rows = input, t
    else:
        n, depth = input.shape[0], int(np.prod(input.shape[2:]))
        logits, rows = input.reshape(n, n_classes, depth), t.reshape(n, depth)
    # the weight is kept as it is (not a cast copy): an in-place change of it is refused, as in PyTorch
    out = _FusedCrossEntropy.apply(logits, rows, weight, int(ignore_index), smoothing, reduction)
    if reduction == "none":
        out = out.reshape(tuple(target.shape) if input.ndim != 1 else ())
    if out._node is not None:     # PyTorch's node: its NLL loss's (or the smoothing's sum)
        out._node.label = _nll_node({"input": input, "reduction": reduction, "label_smoothing": smoothing})
    return out


# =========================================================================== binary losses
class _BinaryCrossEntropy(Function):
    """Elementwise BCE with PyTorch's clamped logs and its gradient formula."""

    @staticmethod
    def forward(ctx, x, y, w):
        if np.any(~((x >= 0) & (x <= 1))):
            raise RuntimeError("all elements of input should be between 0 and 1")
        if np.any(~((y >= 0) & (y <= 1))):
            raise RuntimeError("all elements of target should be between 0 and 1")
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log1p(-x), -100.0)
        loss = (y - 1) * log_1mx - y * log_x
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, y, w)
        return loss.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y, w = ctx.saved_tensors
        scale = g if w is None else g * w
        gx = gy = None
        if ctx.needs_input_grad[0]:
            gx = scale * (x - y) / np.maximum((1 - x) * x, 1e-12)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gy = scale * (np.log1p(-x) - np.log(x))
        return gx, gy, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        x_array, y_array, w = ctx.saved_tensors
        x, y = saved.input(0, x_array), saved.input(1, y_array)
        scale = g if w is None else g * w
        gx = scale * (x - y) / ((1 - x) * x).clamp(min=1e-12) if ctx.needs_input_grad[0] else None
        gy = scale * ((-x).log1p() - x.log()) if ctx.needs_input_grad[1] else None
        return gx, gy, None


@_node_name("BinaryCrossEntropyBackward0")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r"""Binary cross-entropy of probabilities: :math:`\ell_i = -w_i [y_i \log x_i + (1 - y_i) \log(1 - x_i)]`.

    Each log is clamped at -100 (so :math:`x = 0` or 1 gives a finite loss), as in
    PyTorch; inputs outside [0, 1] are an error.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.binary_cross_entropy(npgrad.tensor([0.9, 0.2]), npgrad.tensor([1.0, 0.0])).item(), 4)
        0.1643
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                         f"({_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    w = None
    if weight is not None:
        shape = np.broadcast_shapes(tuple(target.shape), tuple(weight.shape))
        w = np.broadcast_to(weight._data, shape).astype(input._data.dtype)
    loss = _BinaryCrossEntropy.apply(input, target, w)
    return _reduce(loss, reduction)


@_node_name("BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    r"""Binary cross-entropy on logits, in the stable log-sigmoid form.

    .. math::
        \ell_i = w_i \big[(1 - y_i) x_i - (1 + (p_c - 1) y_i) \log \sigma(x_i)\big]

    which equals :math:`-w_i [p_c y_i \log \sigma(x_i) + (1 - y_i) \log(1 - \sigma(x_i))]`
    without overflow for large :math:`|x|`; ``pos_weight`` :math:`p_c` broadcasts
    over the last (class) dimension.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.binary_cross_entropy_with_logits(npgrad.tensor([2.0, -1.0]), npgrad.tensor([1.0, 0.0])).item(), 4)
        0.2201
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size "
                         f"({_size(input.shape)})")
    log_sig = E.LogSigmoid.apply(input)
    if pos_weight is not None:
        _broadcast(pos_weight, target)
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    r"""Focal loss on logits for dense binary detection (torchvision's ``sigmoid_focal_loss``).

    .. math::
        \ell_i = \alpha_t (1 - p_t)^\gamma \, \mathrm{BCE}(x_i, y_i), \quad
        p_t = p y + (1 - p)(1 - y), \quad \alpha_t = \alpha y + (1 - \alpha)(1 - y)

    with :math:`p = \sigma(x)`; a negative ``alpha`` turns the class weighting off.
    T.-Y. Lin et al., *Focal Loss for Dense Object Detection*, ICCV 2017.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x, y = npgrad.tensor([3.0, -1.0]), npgrad.tensor([1.0, 0.0])
        >>> round(F.sigmoid_focal_loss(x, y, reduction="sum").item(), 4)
        0.017
    """
    p = inputs.sigmoid()
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: "
                     "'none', 'mean', 'sum'")


def softmax_focal_loss(input, target, alpha=None, gamma=2.0, ignore_index=-100, reduction="mean"):
    r"""Multi-class focal loss on logits with class-index targets.

    .. math::
        \ell_i = -\alpha_{y_i} (1 - p_{i, y_i})^\gamma \log p_{i, y_i},
        \qquad p_i = \operatorname{softmax}(x_i)

    ``alpha`` is an optional per-class weight of shape ``(C)`` (like
    ``cross_entropy``'s ``weight``), ``gamma >= 0`` focuses on hard examples, and
    shapes, ``ignore_index`` and ``reduction`` follow :func:`cross_entropy`: a
    'mean' divides by the sum of :math:`\alpha_{y_i}` over the non-ignored targets
    (the count without ``alpha``).  With ``gamma = 0`` it is exactly
    ``cross_entropy(input, target, weight=alpha)``.
    T.-Y. Lin et al., *Focal Loss for Dense Object Detection*, ICCV 2017.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x = npgrad.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
        >>> round(F.softmax_focal_loss(x, npgrad.tensor([0, 2]), gamma=2.0).item(), 4)
        0.4838
    """
    reduction = _check_reduction(reduction)
    if gamma < 0:
        raise ValueError(f"gamma must be non-negative, got {gamma}")
    n_classes = _check_index_target(input, target, alpha)
    t = target._data.astype(np.int64)
    _check_bounds(t, n_classes, ignore_index)
    class_dim = 0 if input.ndim == 1 else 1
    if input.ndim == 1:
        t = t.reshape(())
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    logp_t = input.log_softmax(class_dim).gather(class_dim, Tensor._wrap(np.expand_dims(safe, class_dim)))
    logp_t = logp_t.squeeze(class_dim)
    w = np.ones(n_classes) if alpha is None else alpha._data.astype(np.float64)
    w_t = np.where(valid, w[safe], 0.0)       # an ignored target weighs 0, even under an infinite alpha
    focus = (1 - logp_t.exp()) ** gamma if gamma != 0 else 1.0
    loss = -focus * logp_t * _const(w_t, input)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    total = float(w_t.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() * (1.0 / total if total != 0 else math.inf)


# =========================================================================== divergences and likelihoods
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    r"""Kullback-Leibler divergence with ``input`` as log-probabilities.

    .. math::
        \ell_i = y_i (\log y_i - x_i) \quad (\text{or } e^{y_i}(y_i - x_i) \text{ with log\_target})

    ``'batchmean'`` divides the sum by the batch size (the true KL divergence);
    ``'mean'`` divides by the number of elements and warns, as in PyTorch.
    S. Kullback and R. A. Leibler, *On Information and Sufficiency*, 1951.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.kl_div(npgrad.tensor([[-1.0, -0.5]]), npgrad.tensor([[0.3, 0.7]]), reduction="batchmean").item() > 0
        True
    """
    if size_average is not None or reduce is not None:
        red = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support "
                          "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                          "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                          "major release.", stacklevel=2)
        red = "sum" if reduction == "batchmean" else _check_reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = xlogy(target, target) - target * input     # y log y is 0 at y = 0
    out = _reduce(loss, red)
    if reduction == "batchmean" and size_average is None and reduce is None and input.ndim != 0:
        out = out / input.shape[0]
    return out


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    r"""Negative log-likelihood of a Poisson target.

    .. math::
        \ell_i = e^{x_i} - y_i x_i \;(\text{log\_input}), \qquad
        \ell_i = x_i - y_i \log(x_i + \varepsilon) \;(\text{otherwise})

    ``full`` adds Stirling's term :math:`y \log y - y + \tfrac12 \log(2\pi y)` for :math:`y > 1`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.poisson_nll_loss(npgrad.tensor([0.0, 1.0]), npgrad.tensor([1.0, 2.0])).item(), 4)
        0.8591
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        y = target._data
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = y * np.log(y) - y + 0.5 * np.log(2 * math.pi * y)
        stirling = np.where(y <= 1, 0.0, stirling)
        if target.requires_grad:
            big = _const(y > 1, target)
            safe = where(target > 1, target, _const(np.full_like(y, 2.0), target))
            loss = loss + (safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()) * big
        else:
            loss = loss + _const(stirling, loss)
    return _reduce(loss, reduction)


class _ClampValue(Function):
    """``max(v, eps)`` in the forward pass, identity in the backward pass.

    PyTorch clamps the variance of ``gaussian_nll_loss`` in place under
    ``no_grad``, so the gradient flows as if no clamp happened.
    """

    @staticmethod
    def forward(ctx, v, eps):
        return np.maximum(v, eps).astype(v.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        return g, None


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    r"""Negative log-likelihood of a Gaussian with predicted mean and variance.

    .. math::
        \ell_i = \tfrac12 \big(\log \max(\sigma_i^2, \varepsilon)
                 + (x_i - y_i)^2 / \max(\sigma_i^2, \varepsilon)\big)
                 \;[+ \tfrac12 \log 2\pi \text{ with full}]

    D. A. Nix and A. S. Weigend, *Estimating the Mean and Variance of the Target
    Probability Distribution*, ICNN 1994.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.gaussian_nll_loss(npgrad.tensor([0.0]), npgrad.tensor([1.0]), npgrad.tensor([1.0])).item()
        0.5
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._wrap(np.full(input._data.shape, var, dtype=input._data.dtype))
    elif bool(np.any(var._data < 0)):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = _ClampValue.apply(var, eps)
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# =========================================================================== margin losses
@_node_name("SoftMarginLossBackward0")
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""Two-class logistic loss :math:`\ell_i = \log(1 + e^{-y_i x_i})`, :math:`y_i \in \{-1, 1\}`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.soft_margin_loss(npgrad.tensor([2.0, -1.0]), npgrad.tensor([1.0, -1.0])).item(), 4)
        0.2201
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    loss = (-input * target).exp().log1p()
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r"""Multi-label one-versus-all logistic loss, averaged over the C classes.

    .. math::
        \ell_i = -\frac1C \sum_c w_c \big[y_{ic} \log \sigma(x_{ic})
                 + (1 - y_{ic}) \log \sigma(-x_{ic})\big]

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.multilabel_soft_margin_loss(npgrad.tensor([[2.0, -1.0]]), npgrad.tensor([[1.0, 0.0]])).item(), 4)
        0.2201
    """
    reduction = _resolve_reduction(size_average, reduce, reduction)
    loss = -(target * E.LogSigmoid.apply(input) + (1 - target) * E.LogSigmoid.apply(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    if reduction == "none":
        return loss
    if reduction == "mean":
        return _reduce(loss, "mean")
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


@_node_name("MultilabelMarginLossBackward0")
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""Multi-class multi-label hinge loss.

    ``target`` holds class indices, ended by the first -1.  With :math:`J` the
    target classes of a sample:

    .. math::
        \ell = \frac1C \sum_{j \in J} \sum_{k \notin J} \max(0, 1 - (x_j - x_k))

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x = npgrad.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> round(F.multilabel_margin_loss(x, npgrad.tensor([[3, 0, -1, 1]])).item(), 4)
        0.85
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if input.ndim > 2 or (input.ndim == 2 and input.shape[1] == 0 and input.shape[0] != 0) or \
            (input.ndim <= 1 and input.numel() == 0 and input.ndim == 1):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{_list(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {_list(target.shape)} for input of size: "
                           f"{_list(input.shape)}")
    squeeze = input.ndim <= 1
    x = input.reshape(1, -1) if squeeze else input
    t = target._data.reshape(x.shape).astype(np.int64)
    n, c = x.shape
    if ((t < -1) | (t >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    # the targets of each row are the entries before the first -1
    ended = np.cumsum(t == -1, axis=1) > 0
    is_target_slot = ~ended
    safe = np.where(is_target_slot, t, 0)
    is_target_class = np.zeros((n, c), dtype=bool)
    rows = np.repeat(np.arange(n), c)[is_target_slot.reshape(-1)]
    is_target_class[rows, safe[is_target_slot]] = True
    x_j = x.gather(1, Tensor._wrap(safe))                             # (N, J)
    margins = 1 - x_j.unsqueeze(2) + x.unsqueeze(1)                  # (N, J, K)
    mask = is_target_slot[:, :, None] & ~is_target_class[:, None, :]
    loss = (margins.clamp_min(0) * _const(mask, x)).sum((1, 2)) / c
    if squeeze:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


@_node_name("MultiMarginLossBackward0")
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    r"""Multi-class hinge loss.

    .. math::
        \ell_i = \frac1C \sum_{j \ne y_i} \big(w_{y_i} \max(0, \text{margin} - x_{i y_i} + x_{ij})\big)^p

    (the weight multiplies after the power, as PyTorch computes it), :math:`p \in \{1, 2\}`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.multi_margin_loss(npgrad.tensor([[0.1, 0.2, 0.4, 0.8]]), npgrad.tensor([3])).item(), 4)
        0.325
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    if not ((input.ndim == 2 and input.shape[1] != 0) or (input.ndim <= 1 and input.numel() != 0)):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{_list(input.shape)}")
    squeeze = input.ndim <= 1
    x = input.reshape(1, -1) if squeeze else input
    n, c = x.shape
    t = target._data.reshape(-1).astype(np.int64)
    if target.ndim > 1 or t.size != n:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {_list(target.shape)}. "
                           f"Input has shape {_list(input.shape)}.")
    if ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {_list(weight.shape)}")
    x_y = x.gather(1, Tensor._wrap(t[:, None]))
    z = (margin - x_y + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * _const(weight._data[t][:, None], x)
    others = np.ones((n, c), dtype=bool)
    others[np.arange(n), t] = False
    loss = (z * _const(others, x)).sum(1) / c
    if squeeze:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    r"""Ranking hinge loss :math:`\ell_i = \max(0, -y_i (x_{1i} - x_{2i}) + \text{margin})`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x1, x2 = npgrad.tensor([1.0, 0.0]), npgrad.tensor([0.0, 1.0])
        >>> F.margin_ranking_loss(x1, x2, npgrad.tensor([1.0, 1.0])).item()
        0.5
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1.shape)}, input2: {_size(input2.shape)}, "
                           f"target: {_size(target.shape)} ")
    loss = (-target * (input1 - input2) + margin).clamp_min(0)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    r"""Hinge embedding loss for similar (:math:`y = 1`) and dissimilar (:math:`y = -1`) pairs.

    .. math:: \ell_i = x_i \;(y_i = 1), \qquad \ell_i = \max(0, \text{margin} - x_i) \;(y_i = -1)

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.hinge_embedding_loss(npgrad.tensor([0.3, 0.4]), npgrad.tensor([1.0, -1.0])).item(), 4)
        0.45
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    zeros = _const(np.zeros(np.broadcast_shapes(tuple(input.shape), tuple(target.shape))), input)
    margin_part = where(target != 1, (margin - input).clamp_min(0), zeros)
    self_part = where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    r"""Cosine embedding loss: pull pairs together (:math:`y = 1`) or apart (:math:`y = -1`).

    .. math:: \ell = 1 - \cos(x_1, x_2) \;(y = 1), \qquad
              \ell = \max(0, \cos(x_1, x_2) - \text{margin}) \;(y = -1)

    The cosine is :math:`x_1 \cdot x_2 / \sqrt{(\lVert x_1\rVert^2 + 10^{-12})(\lVert x_2\rVert^2 + 10^{-12})}`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> a = npgrad.tensor([[1.0, 0.0]]); b = npgrad.tensor([[0.0, 1.0]])
        >>> F.cosine_embedding_loss(a, b, npgrad.tensor([1.0])).item()
        1.0
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    dim = target.ndim
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if dim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{_list(input1.shape)} and {_list(input2.shape)}.")
    if dim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{_list(input1.shape)} and {_list(input2.shape)}.")
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    zeros = _const(np.zeros(cos.shape), cos)
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(pos + neg, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    r"""Triplet loss :math:`\max(0, d(a, p) - d(a, n) + \text{margin})` with the p-norm distance.

    :math:`d(x, y) = \lVert x - y + \varepsilon \rVert_p`; ``swap`` uses
    :math:`\min(d(a, n), d(p, n))` (V. Balntas et al., *Learning Shallow
    Convolutional Feature Descriptors with Triplet Losses*, BMVC 2016).
    F. Schroff et al., *FaceNet*, CVPR 2015.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> a, p, n = npgrad.zeros(1, 2), npgrad.ones(1, 2), npgrad.zeros(1, 2)
        >>> round(F.triplet_margin_loss(a, p, n).item(), 4)
        2.4142
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = d_neg.minimum(d_swap)
    loss = (margin + d_pos - d_neg).clamp_min(0)
    return _reduce(loss, reduction)


def _check_triplet_dims(anchor, positive, negative):
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == p and p == n):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    r"""Triplet loss :math:`\max(0, d(a, p) - d(a, n) + \text{margin})` with any distance ``d``.

    ``distance_function`` defaults to :func:`pairwise_distance`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> a, p, n = npgrad.zeros(1, 2), npgrad.ones(1, 2), npgrad.zeros(1, 2)
        >>> round(F.triplet_margin_with_distance_loss(a, p, n).item(), 4)
        2.4142
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance(positive, negative))
    loss = (margin + d_pos - d_neg).clamp_min(0)
    return _reduce(loss, reduction)


# =========================================================================== CTC
def _ctc_extended(targets, b, length, offsets, blank):
    """The blank-interleaved label sequence l' of sample ``b`` (length 2S + 1)."""
    if targets.ndim == 1:
        labels = targets[offsets[b]:offsets[b] + length]
    else:
        labels = targets[b, :length]
    ext = np.full(2 * length + 1, blank, dtype=np.int64)
    ext[1::2] = labels
    return ext


def _ctc_alpha(lp, ext, t_len):
    """Forward variables :math:`\\log \\alpha_t(s)` over the extended labels (Graves et al., eq. 5-7)."""
    n_ext = ext.shape[0]
    alpha = np.full((max(t_len, 1), n_ext), -np.inf)
    if t_len == 0:
        return alpha
    skip = np.zeros(n_ext, dtype=bool)
    # a label may be reached from two places back (skipping a blank) unless it repeats
    skip[2:] = (ext[2:] != ext[:-2]) & (np.arange(2, n_ext) % 2 == 1)
    alpha[0, 0] = lp[0, ext[0]]
    if n_ext > 1:
        alpha[0, 1] = lp[0, ext[1]]
    for t in range(1, t_len):
        prev = alpha[t - 1]
        a = prev.copy()
        a[1:] = np.logaddexp(a[1:], prev[:-1])
        a[2:] = np.where(skip[2:], np.logaddexp(a[2:], prev[:-2]), a[2:])
        alpha[t] = a + lp[t, ext]
    return alpha


def _ctc_beta(lp, ext, t_len):
    n_ext = ext.shape[0]
    beta = np.full((max(t_len, 1), n_ext), -np.inf)
    if t_len == 0:
        return beta
    skip = np.zeros(n_ext, dtype=bool)
    skip[:-2] = (ext[:-2] != ext[2:]) & (np.arange(n_ext - 2) % 2 == 1)
    beta[t_len - 1, n_ext - 1] = lp[t_len - 1, ext[n_ext - 1]]
    if n_ext > 1:
        beta[t_len - 1, n_ext - 2] = lp[t_len - 1, ext[n_ext - 2]]
    for t in range(t_len - 2, -1, -1):
        nxt = beta[t + 1]
        b = nxt.copy()
        b[:-1] = np.logaddexp(b[:-1], nxt[1:])
        b[:-2] = np.where(skip[:-2], np.logaddexp(b[:-2], nxt[2:]), b[:-2])
        beta[t] = b + lp[t, ext]
    return beta


class _CTCLoss(Function):
    """Per-sample CTC negative log-likelihood (N,), with PyTorch's gradient."""

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        lp64 = log_probs.astype(np.float64)
        n_batch = lp64.shape[1]
        offsets = np.concatenate([[0], np.cumsum(target_lengths)[:-1]]) if targets.ndim == 1 else None
        nll = np.empty(n_batch)
        cache = []
        with np.errstate(invalid="ignore", divide="ignore"):
            for b in range(n_batch):
                t_len, s_len = int(input_lengths[b]), int(target_lengths[b])
                ext = _ctc_extended(targets, b, s_len, offsets, blank)
                lp = lp64[:, b, :]
                alpha = _ctc_alpha(lp, ext, t_len)
                if t_len == 0:
                    nll[b] = 0.0 if s_len == 0 else np.inf
                else:
                    last = alpha[t_len - 1, -1]
                    if ext.shape[0] > 1:
                        last = np.logaddexp(last, alpha[t_len - 1, -2])
                    nll[b] = -last
                cache.append((ext, alpha))
        ctx.state = (lp64, cache, input_lengths, blank, zero_infinity, nll, log_probs.dtype)
        return nll.astype(log_probs.dtype)

    @staticmethod
    def backward(ctx, g):
        lp64, cache, input_lengths, blank, zero_infinity, nll, dtype = ctx.state
        grad = np.zeros_like(lp64)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            for b, (ext, alpha) in enumerate(cache):
                t_len = int(input_lengths[b])
                if t_len == 0 or (zero_infinity and np.isinf(nll[b])):
                    continue
                lp = lp64[:t_len, b, :]
                beta = _ctc_beta(lp64[:, b, :], ext, t_len)
                log_ab = alpha[:t_len] + beta[:t_len]                   # (T, 2S+1)
                acc = np.full((t_len, lp64.shape[2]), -np.inf)
                for s in range(ext.shape[0]):
                    acc[:, ext[s]] = np.logaddexp(acc[:, ext[s]], log_ab[:, s])
                grad[:t_len, b, :] = (np.exp(lp) - np.exp(acc + nll[b] - lp)) * g[b]
        return grad.astype(dtype), None, None, None, None, None


def _lengths(x):
    if isinstance(x, Tensor):
        return x._data.reshape(-1).astype(np.int64)
    return np.asarray(list(x), dtype=np.int64).reshape(-1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    r"""Connectionist Temporal Classification loss.

    :math:`-\log \sum_{\pi \in \mathcal{B}^{-1}(y)} \prod_t p_t(\pi_t)` by the
    forward-backward recursion over the blank-extended label sequence.
    ``log_probs`` is ``(T, N, C)`` (or ``(T, C)``) log-softmax output; ``targets``
    is ``(N, S)`` padded or the 1-D concatenation of all targets.  ``'mean'``
    divides each loss by its target length, then averages over the batch.
    A. Graves et al., *Connectionist Temporal Classification*, ICML 2006.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> lp = npgrad.randn(6, 1, 4).log_softmax(2)
        >>> F.ctc_loss(lp, npgrad.tensor([[1, 2]]), [6], [2]).item() > 0
        True
    """
    reduction = _check_reduction(reduction)
    unbatched = log_probs.ndim != 3
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    tg = targets._data
    if unbatched:
        tg = tg[None, :] if tg.ndim == 1 else tg
    in_len = _lengths(input_lengths)
    tg_len = _lengths(target_lengths)
    who = "(while checking arguments for ctc_loss_allocate_outputs)"
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument "
                           f"#1 'log_probs' {who}")
    n_batch, n_labels = lp.shape[1], lp.shape[2]
    if not 0 <= blank < n_labels:
        raise RuntimeError("blank must be in label range")
    if in_len.shape[0] != n_batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tg_len.shape[0] != n_batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    for length in tg_len:
        if length < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {length} {who}")
    if tg.ndim == 1:
        if tg.shape[0] != tg_len.sum():
            raise RuntimeError(f"Expected tensor to have size {tg_len.sum()} at dimension 0, but got size "
                               f"{tg.shape[0]} for argument #2 'targets' {who}")
    else:
        if tg.shape[0] != n_batch:
            raise RuntimeError(f"Expected tensor to have size {n_batch} at dimension 0, but got size "
                               f"{tg.shape[0]} for argument #2 'targets' {who}")
        longest = int(tg_len.max()) if n_batch else 0
        if tg.shape[1] < longest:
            raise RuntimeError(f"Expected tensor to have size at least {longest} at dimension 1, but got size "
                               f"{tg.shape[1]} for argument #2 'targets' {who}")
    t_max = lp.shape[0]
    for length in in_len:
        if length < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {length} {who}")
        if length > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {length} "
                               f"{who}")
    nll = _CTCLoss.apply(lp, tg.astype(np.int64), in_len, tg_len, int(blank), bool(zero_infinity))
    if zero_infinity:
        nll = where(Tensor._wrap(np.isinf(nll._data)), _const(np.zeros(nll.shape), nll), nll)
    if reduction == "mean":
        out = (nll / _const(np.maximum(tg_len, 1), nll)).mean()
    elif reduction == "sum":
        out = nll.sum()
    else:
        out = nll
    if unbatched and reduction == "none":
        out = out.squeeze(0)
    return out


# =========================================================================== linear cross-entropy
@dataclasses.dataclass(frozen=True)
class LinearCrossEntropyOptions:
    """How :func:`linear_cross_entropy` splits the batch into chunks (PyTorch's options).

    ``batch_chunk_size`` rows per chunk; without it the chunk is sized so that a
    chunk of logits ``(rows, C)`` takes about as much memory as the input
    ``(N, in_features)`` (``chunking_method='aspect_ratio'``), divided by ``N`` for
    ``'aspect_ratio:N'``.  The other fields are accepted for compatibility.
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None


def _chunk_rows(n_rows, in_features, n_classes, options):
    """Rows per chunk: ``options.batch_chunk_size``, else PyTorch's 'aspect_ratio' rule.

    'aspect_ratio' makes a chunk of logits ``(rows, C)`` as large as the input
    ``(N, in_features)`` (rounded up to a power of two, divided by ``k`` for
    'aspect_ratio:k'), but never fewer than ``MIN_CHUNK_ROWS`` rows, below which
    the matrix products lose their efficiency.
    """
    if options is not None and options.batch_chunk_size is not None:
        return max(1, int(options.batch_chunk_size))
    factor = 1
    method = None if options is None else options.chunking_method
    if method not in (None, "auto"):
        _, _, tail = method.partition(":")
        factor = int(tail) if tail else 1
    ratio = max(1, -(-n_classes // max(in_features, 1)))
    rows = max(1, -(-n_rows // ratio) // factor)
    rows = 1 << (rows - 1).bit_length()
    return max(rows, min(MIN_CHUNK_ROWS, n_rows))


MIN_CHUNK_ROWS = 512


class _LinearCrossEntropy(Function):
    """Chunked ``cross_entropy(x W^T + b, y)``: one chunk of logits at a time.

    Forward computes the loss and, when gradients are wanted, the gradients of
    ``x``, ``W`` and ``b`` for an upstream gradient of 1; backward scales them.
    For ``reduction='none'`` the upstream gradient differs per row, so backward
    recomputes the chunks instead.
    """

    @staticmethod
    def forward(ctx, x, w, b, target, weight, ignore_index, reduction, chunk):
        needs = ctx.needs_input_grad
        want = any(needs[:3]) and reduction != "none"
        loss, grads = _lce_sweep(x, w, b, target, weight, ignore_index, reduction, chunk, want, needs, None)
        ctx.grads = grads
        ctx.saved = (x, w, b, target, weight, ignore_index, reduction, chunk)
        ctx.grads_owned = True          # backward hands over fresh arrays nobody else holds
        return loss

    @staticmethod
    def backward(ctx, g):
        x, w, b, target, weight, ignore_index, reduction, chunk = ctx.saved
        needs = ctx.needs_input_grad
        if reduction == "none":
            _, grads = _lce_sweep(x, w, b, target, weight, ignore_index, reduction, chunk, True, needs,
                                  np.asarray(g, dtype=x.dtype))
            return (*grads, None, None, None, None, None)
        grads = ctx.grads
        if grads is None:
            _, grads = _lce_sweep(x, w, b, target, weight, ignore_index, reduction, chunk, True, needs, None)
        ctx.grads = None
        g = float(g)
        scaled = tuple(None if a is None else (a if g == 1.0 else a * g) for a in grads)
        return (*scaled, None, None, None, None, None)

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): ``cross_entropy(linear(x, W, b), y)`` composed, differentiated at the
        same inputs (the logits are made whole here: this path is for differentiating twice, not for memory)."""
        from ...tensor import Tensor

        x, w, b, target, weight, ignore_index, reduction, _ = ctx.saved
        inputs = [saved.input(0, x), saved.input(1, w), None if b is None else saved.input(2, b)]
        class_weight = None if weight is None else Tensor._wrap(weight)

        def composed(x, w, b):
            logits = linear(x, w, b)
            return cross_entropy(logits, Tensor._wrap(target), class_weight, ignore_index=ignore_index,
                                 reduction=reduction)

        return (*saved.vjp(composed, inputs, (g,)), None, None, None, None, None)


def _lce_sweep(x, w, b, target, weight, ignore_index, reduction, chunk, want, needs, row_scale):
    """One pass over the row chunks: the loss and (if ``want``) the three gradients."""
    from ...kernels.cross_entropy import accumulate_at_b, cross_entropy_forward_backward, scale_rows

    x = np.ascontiguousarray(x)
    w = np.ascontiguousarray(w)
    n_rows = x.shape[0]
    n_classes = w.shape[0]
    dtype = x.dtype
    valid = target != ignore_index
    if weight is None:
        total = float(np.count_nonzero(valid))
    else:
        total = float(weight[target[valid]].sum(dtype=np.float64))
    # each chunk is reduced with 'sum' and the 'mean' scale applied to the whole
    grad_scale = (1.0 / total if total != 0 else math.inf) if reduction == "mean" else 1.0
    losses = np.empty(n_rows, dtype) if reduction == "none" else None
    acc = 0.0
    gx = np.empty_like(x) if want and needs[0] else None
    gw = np.empty_like(w) if want and needs[1] else None
    gb = np.zeros_like(b) if want and b is not None and needs[2] else None
    logits = np.empty((min(chunk, n_rows), n_classes), dtype)
    for start in range(0, n_rows, chunk):
        stop = min(n_rows, start + chunk)
        x_chunk = x[start:stop]
        z = logits[:stop - start]
        np.matmul(x_chunk, w.T, out=z)
        if b is not None:
            z += b
        part, grad, _ = cross_entropy_forward_backward(z, target[start:stop], weight, ignore_index, 0.0,
                                                       "none" if reduction == "none" else "sum",
                                                       want_grad=want, grad_out=z, grad_scale=grad_scale)
        if reduction == "none":
            losses[start:stop] = part
        else:
            acc += float(part)
        if not want:
            continue
        if row_scale is not None:
            scale_rows(grad, row_scale[start:stop])
        if gx is not None:
            np.matmul(grad, w, out=gx[start:stop])
        if gw is not None and start == 0:
            np.matmul(grad.T, x_chunk, out=gw)
        elif gw is not None:
            accumulate_at_b(gw, grad, x_chunk)
        if gb is not None:
            gb += grad.sum(0)
    if reduction == "none":
        loss = losses
    elif reduction == "sum":
        loss = np.asarray(acc, dtype)
    else:
        loss = np.asarray(acc / total if total != 0 else math.nan, dtype)
    return loss, (gx, gw, gb)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    r"""Cross-entropy of a linear layer's output, without ever holding all the logits.

    Equals ``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``:

    .. math:: \ell = \mathrm{CE}(x W^\top + b,\, y)

    The rows are processed in chunks: each chunk's logits are computed, turned
    into loss and gradient by the fused cross-entropy kernel in place, and
    folded into the gradients of ``input``, ``linear_weight`` and
    ``linear_bias``, so the extra memory is one chunk of logits.
    Probability targets, label smoothing and K-dimensional weights take the
    composed path.  ``ignore_index=None`` means -100.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> x, W = npgrad.randn(8, 4), npgrad.randn(10, 4, requires_grad=True)
        >>> F.linear_cross_entropy(x, W, npgrad.randint(0, 10, (8,))).backward()
        >>> W.grad.shape
        npgrad.Size([10, 4])
    """
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.ndim}")
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), "
                           f"got {input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    n_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (n_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(n_classes, *out_features)}, "
                           f"got {tuple(linear_bias.shape)}")
    if out_features and input.ndim == 1:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
                           f"requires batched input, (N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*input.shape[:-1], n_classes, *out_features)
    probabilities = tuple(target.shape) == logits_shape
    if probabilities and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    reduction = _check_reduction(reduction)
    chunked = (not out_features and not probabilities and label_smoothing == 0.0
               and input._data.dtype in (np.dtype(np.float32), np.dtype(np.float64))
               and target._data.dtype == np.dtype(np.int64))
    if not chunked:
        from .basic import linear

        w2 = linear_weight.reshape(-1, in_features) if out_features else linear_weight
        b2 = linear_bias.reshape(-1) if (linear_bias is not None and out_features) else linear_bias
        logits = linear(input, w2, b2).reshape(logits_shape)
        return cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                             label_smoothing=label_smoothing)
    x = input.reshape(1, in_features) if input.ndim == 1 else input
    t = target._data.reshape(-1).astype(np.int64)
    if x.shape[0] != t.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({t.shape[0]}).")
    _check_class_weight(weight, n_classes)
    _check_bounds(t, n_classes, ignore_index)
    chunk = _chunk_rows(x.shape[0], in_features, n_classes, options)
    w = None if weight is None else np.ascontiguousarray(weight._data, dtype=input._data.dtype)
    out = _LinearCrossEntropy.apply(x, linear_weight, linear_bias, t, w, int(ignore_index), reduction, chunk)
    if input.ndim == 1 and reduction == "none":
        out = out.reshape(())
    return out

