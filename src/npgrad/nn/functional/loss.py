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
import numbers
import sys
import warnings

import numpy as np

from ... import _dtype as D
from ...autograd.function import ArrayFunction as Function
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.versions import Deferred
from ...functions import broadcast_shapes
from ...ops import elementwise as E
from ...ops.math import _NoDerivative, xlogy
from ...ops.products import _addmm_dtype_checks
from ...tensor import (Tensor, _category, _check_bool_sub, _check_inplace_shape, _labelled, _scalar_name,
                       broadcast_shape, promote_types, result_type, where)
from .basic import _c_name, _check_mm_dtypes, linear, pairwise_distance

__all__ = ["l1_loss", "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
           "huber_loss", "smooth_l1_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
           "multilabel_margin_loss", "multi_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
           "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "ctc_loss", "linear_cross_entropy", "LinearCrossEntropyOptions", "sigmoid_focal_loss",
           "softmax_focal_loss"]


# =========================================================================== reduction
_WRAPPER_CODES = set()      # the code of _node_name's wrapper: a warning steps over its frame to the user's call


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
        _WRAPPER_CODES.add(named.__code__)
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
        return loss.sum() * float("nan")
    return loss.mean()


# =========================================================================== helpers
def _type_name(t):
    """A tensor's scalar type as PyTorch names it in messages (``Float``, ``Long`` ...)."""
    return _scalar_name(t._data.dtype)


def _parser_type(value, items=False):
    """The type of an argument as PyTorch's argument parser names it; with ``items``, a list's or tuple's
    item types too (``list of [int, float]``, ``tuple of (int,)``)."""
    if isinstance(value, Tensor):
        return "Tensor"
    kind = type(value)
    package = kind.__module__.split(".")[0]
    name = kind.__qualname__ if package == "builtins" else f"{package}.{kind.__qualname__}"
    if items and isinstance(value, list):
        return f"{name} of [{', '.join(_parser_type(v) for v in value)}]"
    if items and isinstance(value, tuple):
        return f"{name} of ({', '.join(_parser_type(v) for v in value)}{',' if len(value) == 1 else ''})"
    return name


def _is_int_argument(value):
    """Whether PyTorch's parser takes ``value`` as an ``int``: an int or a NumPy integer (a bool is not one),
    or an integer Tensor of one element."""
    if isinstance(value, Tensor):
        return value._data.dtype.kind in "iu" and value._data.size == 1
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


_ARGUMENT_KINDS = {
    "Tensor": lambda v: isinstance(v, Tensor),
    "Tensor?": lambda v: v is None or isinstance(v, Tensor),
    "int": _is_int_argument,
    "float": lambda v: isinstance(v, numbers.Real) or (isinstance(v, Tensor) and v.ndim == 0),
}


def _check_argument_types(op, arguments):
    """PyTorch's argument parser: ``arguments`` lists ``(name, value, kind)`` in the order of the C++
    signature of ``op`` (``None`` for a slot not checked here); ``kind`` is a key of ``_ARGUMENT_KINDS``."""
    for position, argument in enumerate(arguments, 1):
        if argument is None:
            continue
        name, value, kind = argument
        if not _ARGUMENT_KINDS[kind](value):
            raise TypeError(f"{op}(): argument '{name}' (position {position}) must be {kind.rstrip('?')}, "
                            f"not {_parser_type(value)}")


def _check_not_differentiable(tensor, name, op):
    """PyTorch's kernels give no gradient for some arguments (a class weight, a target), and refuse one that
    requires it."""
    if isinstance(tensor, Tensor) and tensor.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{name}'. "
                           "This input cannot have requires_grad True.")


def _check_floating(input, kernel):
    """The kernels of the classification losses exist for floating-point inputs only."""
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(input)}'")


def _check_dtype(tensor, dtype):
    """A class weight must have the input's dtype, a class target int64's: PyTorch's kernels do not convert."""
    if tensor is not None and tensor._data.dtype != dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(dtype)} but found {_type_name(tensor)}")


def _size(shape):
    """``torch.Size([...])`` as PyTorch prints it in its messages."""
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


def _list(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _warn_size_mismatch(input, target):
    if target.size() != input.size():      # .size() as PyTorch's check: a list target has no attribute 'size'
        warnings.warn(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                      f"({_size(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=_past_wrapper(3))


def _past_wrapper(stacklevel):
    """``stacklevel`` for a warning issued ``stacklevel - 1`` frames below the call of a loss, plus one where that
    call went through the :func:`_node_name` wrapper, so that decorated and plain losses both point at their
    caller's line (PyTorch's ``stacklevel=2`` from the functional)."""
    frame = sys._getframe(stacklevel)   # 0: here, 1: the warning's function, ... stacklevel: the loss's caller
    return stacklevel + 1 if frame.f_code in _WRAPPER_CODES else stacklevel


def _broadcast(a, b):
    shape = broadcast_shape(tuple(a.shape), tuple(b.shape))
    return (a if tuple(a.shape) == shape else a.expand(shape),
            b if tuple(b.shape) == shape else b.expand(shape))


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


def _kernel_operands(kernel, x, y, out_dtype=None):
    """``x`` and ``y`` (broadcast) in their common dtype, after the dtype checks of PyTorch's fused elementwise
    loss kernel ``kernel``: the common dtype must cast to the output's (``out_dtype``: the input's, for a kernel
    that writes into a tensor like the input) and be floating."""
    common = promote_types(x._data.dtype, y._data.dtype)
    if out_dtype is not None and _category(common.kind) > _category(np.dtype(out_dtype).kind):
        raise RuntimeError(f"result type {_scalar_name(common)} can't be cast to the desired output type "
                           f"{_scalar_name(out_dtype)}")
    if common.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_scalar_name(common)}'")
    return (x if x._data.dtype == common else x.to(D.from_numpy_dtype(common)),
            y if y._data.dtype == common else y.to(D.from_numpy_dtype(common)))


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
    if weight is None:
        reduction = _check_reduction(reduction)
        x, y = _kernel_operands("mse_cpu", x, y)
    diff = x - y
    loss = diff * diff
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=True)
    return _reduce(loss, reduction)


def _quadratic_then_linear(diff, bound, quadratic, linear):
    r"""``quadratic(d)`` where :math:`|d| <` ``bound``, ``linear(|d|)`` elsewhere (NaN included), as the Huber and
    smooth-L1 kernels choose.

    Each branch sees only its own elements (zeros in the other's places), so the branch not taken never forms
    :math:`0 \cdot \infty` in the gradient: an infinite difference (or one overflowing float32) has the slope
    of the linear part, and an infinite bound the slope of the quadratic part, as in PyTorch. :math:`|d|` is
    :math:`d \operatorname{sign}(d)` with the sign a constant, so its slope is the sign (NaN at a NaN difference,
    as PyTorch's backward gives) whatever ``abs``'s gradient does there."""
    d = diff._data
    with np.errstate(invalid="ignore"):
        small = np.abs(d) < bound
    inside = where(small, diff, 0.0)
    outside = where(small, 0.0, diff) * _const(np.sign(d), diff)
    return where(small, quadratic(inside), linear(outside))


@_node_name(lambda a: "HuberLossBackward0" if a["weight"] is None else None)
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    r"""Huber loss: quadratic near zero, linear beyond ``delta``.

    .. math::
        \ell_i = \begin{cases} \tfrac12 d_i^2 & |d_i| < \delta \\
                 \delta (|d_i| - \tfrac12 \delta) & \text{otherwise} \end{cases},
        \qquad d_i = x_i - y_i

    P. J. Huber, *Robust Estimation of a Location Parameter*, 1964.  A weighted
    ``'mean'`` divides by the number of elements (as PyTorch does).  The loss has
    the input's dtype (computed in the common dtype of input and target).

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.huber_loss(npgrad.tensor([0.5, 3.0]), npgrad.zeros(2)).item()
        1.3125
    """
    _warn_size_mismatch(input, target)
    x, y = _broadcast(input, target)
    if weight is None:
        reduction = _check_reduction(reduction)
    elif tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    if not delta > 0:       # NaN too
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, y = _kernel_operands("huber_cpu", x, y, input._data.dtype)
    loss = _quadratic_then_linear(x - y, delta, lambda d: 0.5 * d * d, lambda a: delta * (a - 0.5 * delta))
    if loss._data.dtype != input._data.dtype:
        loss = loss.to(input.dtype)
    if weight is not None:
        return _weighted(loss, weight, input, reduction, mean_by_weight=False)
    return _reduce(loss, reduction)


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
    reduction = _resolve_reduction(size_average, reduce, reduction)
    x, y = _broadcast(input, target)
    reduction = _check_reduction(reduction)
    if beta == 0.0:
        return _reduce((x - y).abs(), reduction)
    if not beta >= 0:       # NaN too
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _kernel_operands("smooth_l1_cpu", x, y)
    loss = _quadratic_then_linear(x - y, beta, lambda d: 0.5 * d * d / beta, lambda a: a - 0.5 * beta)
    return _reduce(loss, reduction)


# =========================================================================== cross-entropy family
def _check_class_weight(weight, n_classes):
    if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                           f"but got weight tensor of shape: {_list(weight.shape)}")


def _check_index_target(input, target, weight, nll_kernel=True):
    """PyTorch's shape, dtype and weight checks for class-index targets (``nll_loss_nd``), in its order.

    With ``nll_kernel`` also those of the NLL kernel itself: ``weight`` takes no gradient and has the
    input's dtype, and the input is floating point.
    """
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    target_batch = target.shape[0] if target.ndim >= 1 else 0       # PyTorch reads a 0-d target's size as 0
    if input.ndim != 1 and input.shape[0] != target_batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target_batch}).")
    if (input.ndim == 3 or input.ndim > 4) and tuple(target.shape[1:]) != tuple(input.shape[2:]):
        expected = [input.shape[0], *input.shape[2:]]
        raise RuntimeError(f"Expected target size {_list(expected)}, got {_list(target.shape)}")
    if nll_kernel:
        _check_not_differentiable(weight, "weight", "nll_loss_forward" if input.ndim <= 2 else "nll_loss2d_forward")
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
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    _check_class_weight(weight, n_classes)
    if target._data.dtype not in (np.dtype(np.int64), np.dtype(np.uint8)):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(target)}")
    if nll_kernel:
        _check_floating(input, "nll_loss_out_frame" if input.ndim <= 2 else "nll_loss2d_forward_out_frame")
        _check_dtype(weight, input._data.dtype)
    return n_classes


def _check_bounds(target_array, n_classes, ignore_index):
    bad = ((target_array < 0) | (target_array >= n_classes)) & (target_array != ignore_index)
    if bad.any():
        raise IndexError(f"Target {int(target_array[bad].flat[0])} is out of bounds.")


class _NllLoss(Function):
    r"""The NLL loss of log-probabilities at class indices, as PyTorch's kernel computes it.

    An ignored position reads nothing: a :math:`-\infty` log-probability or a NaN class weight there never
    reaches the loss, and its gradient is 0, even for a 'mean' over nothing (whose value is NaN).
    ``logp`` is ``(C)`` with a 0-d target, or ``(N, C, d1, ...)`` with an ``(N, d1, ...)`` target.
    """

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        class_dim = 0 if logp.ndim == 1 else 1
        valid = target != ignore_index
        index = np.expand_dims(np.where(valid, target, 0), class_dim)
        if weight is None:
            w_t = valid.astype(logp.dtype)
        else:
            w_t = np.where(valid, weight[index.squeeze(class_dim)], 0).astype(logp.dtype)
        picked = np.take_along_axis(logp, index, class_dim).squeeze(class_dim)
        loss = np.where(valid, -picked * w_t, 0).astype(logp.dtype)
        total = w_t.sum()
        ctx.save_for_backward(logp, target, weight)      # as PyTorch's node, which holds them (for the checks)
        ctx.nll = (logp.shape, class_dim, valid, index, w_t, total, reduction)
        if reduction == "none":
            return loss
        if reduction == "sum":
            return np.asarray(loss.sum(), logp.dtype)
        return np.asarray(loss.sum() / total, logp.dtype)

    @staticmethod
    def _coefficients(ctx, scale):
        r""":math:`\partial \ell / \partial \log p_{i, y_i} = -w_{y_i}` times ``scale``, 0 where ignored."""
        shape, class_dim, valid, index, w_t, total, reduction = ctx.nll
        if reduction == "mean":
            scale = scale / total
        coefficient = np.where(valid, -w_t * scale, 0).astype(w_t.dtype)
        grad = np.zeros(shape, w_t.dtype)
        np.put_along_axis(grad, index, np.expand_dims(coefficient, class_dim), class_dim)
        return grad

    @staticmethod
    def backward(ctx, g):
        return _NllLoss._coefficients(ctx, g), None, None, None, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): linear in the upstream gradient ``g``, and recorded against the input
        with a zero gradient, as PyTorch's ``NllLossBackwardBackward0`` is."""
        shape, class_dim, reduction = ctx.nll[0], ctx.nll[1], ctx.nll[-1]
        per_position = Tensor._wrap(_NllLoss._coefficients(ctx, np.ones((), ctx.nll[4].dtype)))
        grad = per_position * (g.unsqueeze(class_dim) if reduction == "none" else g)
        grad = E._keep(np.ones(shape, bool), grad, anchor=saved.input(0, ctx.saved_tensors[0]))
        ndim = len(shape)
        label = ("NllLossBackwardBackward0" if ndim <= 2 else "NllLoss2DBackwardBackward0" if ndim == 4
                 else "ViewBackward0")
        return _labelled(grad, True, label), None, None, None, None


@_node_name(_nll_node)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    r"""Negative log-likelihood of log-probabilities ``input`` at class indices ``target``.

    .. math::
        \ell_i = -w_{y_i} x_{i, y_i}, \qquad
        \text{mean} = \frac{\sum_i \ell_i}{\sum_{i: y_i \ne \text{ignore}} w_{y_i}}

    Targets equal to ``ignore_index`` contribute nothing (their gradient is 0); the
    mean over nothing is NaN.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> logp = npgrad.tensor([[-0.1, -2.3], [-1.2, -0.4]])
        >>> round(F.nll_loss(logp, npgrad.tensor([0, 1])).item(), 4)
        0.25
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    _check_argument_types("nll_loss_nd", [("input", input, "Tensor"), ("target", target, "Tensor"),
                                          ("weight", weight, "Tensor?"), None, ("ignore_index", ignore_index, "int")])
    ignore_index = int(ignore_index)
    n_classes = _check_index_target(input, target, weight)
    t = target._data.astype(np.int64, copy=False)     # the target itself, so that editing it later is noticed
    _check_bounds(t, n_classes, ignore_index)
    if input.ndim == 1:
        t = t.reshape(())             # a (1,) target of a (C,) input is one sample
    w = None if weight is None else weight._data
    return _NllLoss.apply(input, t, w, ignore_index, reduction)


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
    smooth = where(Tensor._wrap(np.asarray(valid)), smooth, _const(np.zeros(()), input))    # masked_fill
    if reduction == "mean":
        w = np.ones(n_classes) if weight is None else weight._data.astype(np.float64)
        total = float(np.where(valid, w[np.where(valid, t, 0)], 0).sum())
        smooth = smooth.sum() / np.asarray(total, input._data.dtype)
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
        w_t = np.where(valid, w[t], 0)          # an ignored position reads no weight
        w_target = np.expand_dims(w_t, 1)
        q = (1 - label_smoothing) * w_target * onehot
        if label_smoothing > 0:
            q = q + (label_smoothing / n_classes) * np.expand_dims(valid, 1) * w.reshape(class_axis)
        if reduction == "mean":        # folded into q, so an ignored position keeps its 0 when the total is 0
            total = w_t.sum(dtype=np.float64)
            q = np.divide(q, total, out=np.zeros_like(q), where=q != 0)
        q = q.astype(logits.dtype, copy=False)
        p = saved.input(0, logits).softmax(1)
        grad = p * q.sum(axis=1, keepdims=True) - q
        grad = grad * (g.unsqueeze(1) if reduction == "none" else g)
        return _labelled(grad, True, "LogSoftmaxBackwardDataBackward0"), None, None, None, None, None


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
    _check_argument_types("cross_entropy_loss", [
        ("input", input, "Tensor"), ("target", target, "Tensor"), ("weight", weight, "Tensor?"), None,
        ("ignore_index", ignore_index, "int"), ("label_smoothing", label_smoothing, "float")])
    ignore_index, label_smoothing = int(ignore_index), float(label_smoothing)
    # PyTorch's log_softmax comes first, then its NLL loss
    log_softmax_kernel = "log_softmax_lastdim_kernel_impl" if input.ndim <= 2 else "log_softmax_kernel_impl"
    if tuple(input.shape) == tuple(target.shape):
        if target._data.dtype.kind != "f":
            raise RuntimeError("Expected floating point type for target with class probabilities, "
                               f"got {_type_name(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_floating(input, log_softmax_kernel)
        n_classes = input.shape[0 if input.ndim == 1 else 1]
        if weight is not None and (weight.ndim != 1 or weight.numel() != n_classes):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n_classes} "
                               f"classes or no classes but got weight tensor of shape: {_list(weight.shape)}")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    _check_floating(input, log_softmax_kernel)
    n_classes = _check_index_target(input, target, weight)
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
    out = _FusedCrossEntropy.apply(logits, rows, weight, ignore_index, smoothing, reduction)
    if reduction == "none":
        out = out.reshape(tuple(target.shape) if input.ndim != 1 else ())
    if out._node is not None:     # PyTorch's node: its NLL loss's (or the smoothing's sum)
        out._node.label = _nll_node({"input": input, "reduction": reduction, "label_smoothing": smoothing})
    return out


# =========================================================================== binary losses
_BCE_EPS = 1e-12


class _BinaryCrossEntropy(Function):
    """Elementwise BCE with PyTorch's clamped logs and its gradient formula (inputs checked by the caller)."""

    @staticmethod
    def forward(ctx, x, y, w):
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
            gx = scale * (x - y) / np.maximum((1 - x) * x, _BCE_EPS)
        if ctx.needs_input_grad[1]:
            gy = scale * (np.log1p(-x) - np.log(x))
        return gx, gy, None

    @staticmethod
    def graph_backward(ctx, saved, g):
        x_array, y_array, w = ctx.saved_tensors
        x, y = saved.input(0, x_array), saved.input(1, y_array)
        gx = _BinaryCrossEntropyGrad.apply(g, x, y, w) if ctx.needs_input_grad[0] else None
        gy = None
        if ctx.needs_input_grad[1]:
            gy = (g if w is None else g * Tensor._wrap(w)) * ((-x).log1p() - x.log())
        return gx, gy, None


class _BinaryCrossEntropyGrad(Function):
    r"""BCE's input gradient :math:`g w (x - y) / \max(x (1 - x), \varepsilon)` as an op of its own, differentiated
    by PyTorch's formulas (``binary_cross_entropy_double_backward`` and its siblings), which shift by
    :math:`\varepsilon = 10^{-12}` rather than clamp:

    .. math::
        \partial_g = \frac{w (x - y)}{(x + \varepsilon)(1 - x + \varepsilon)},\quad
        \partial_x = g w \frac{x^2 - 2 x y + y}{(x + \varepsilon)^2 (1 - x + \varepsilon)^2},\quad
        \partial_y = \frac{-g w}{\max(x (1 - x), \varepsilon)}
    """

    @staticmethod
    def forward(ctx, g, x, y, w):
        ctx.save_for_backward(g, x, y, w)
        out = g * (x - y) / np.maximum((1 - x) * x, _BCE_EPS)
        return (out if w is None else out * w).astype(x.dtype, copy=False)

    @staticmethod
    def _derivatives(need, gg, g, x, y, w, clamp_min):
        """The derivatives for ``g``, ``x`` and ``y``, on arrays (backward) or on recorded Tensors
        (graph_backward); ``clamp_min`` clamps without a gradient, as PyTorch."""
        d_g = d_x = d_y = None
        if need[0]:
            d_g = (x - y) / ((x + _BCE_EPS) * (1 - x + _BCE_EPS)) * gg
            d_g = d_g if w is None else d_g * w
        if need[1]:
            d_x = (x * x - 2 * x * y + y) / ((x + _BCE_EPS) ** 2 * (1 - x + _BCE_EPS) ** 2) * (gg * g)
            d_x = d_x if w is None else d_x * w
        if need[2]:
            d_y = -gg * g if w is None else -gg * g * w
            d_y = d_y / clamp_min((1 - x) * x, _BCE_EPS)
        return d_g, d_x, d_y, None

    @staticmethod
    def backward(ctx, gg):
        g, x, y, w = ctx.saved_tensors
        return _BinaryCrossEntropyGrad._derivatives(ctx.needs_input_grad, gg, g, x, y, w, np.maximum)

    @staticmethod
    def graph_backward(ctx, saved, gg):
        g_array, x_array, y_array, w = ctx.saved_tensors
        g, x, y = saved.input(0, g_array), saved.input(1, x_array), saved.input(2, y_array)
        w = None if w is None else Tensor._wrap(w)
        return _BinaryCrossEntropyGrad._derivatives(ctx.needs_input_grad, gg, g, x, y, w, _ClampValue.apply)


def _bce_weight_shape(target, weight):
    """``torch.broadcast_shapes(target.size(), weight.size())`` as ``F.binary_cross_entropy`` calls it, its message
    naming the sizes as PyTorch's messages do."""
    try:
        return tuple(broadcast_shapes(target.shape, weight.shape))
    except RuntimeError as e:
        raise RuntimeError(str(e).replace("npgrad.Size(", "torch.Size(")) from None


@_node_name("BinaryCrossEntropyBackward0")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r"""Binary cross-entropy of probabilities: :math:`\ell_i = -w_i [y_i \log x_i + (1 - y_i) \log(1 - x_i)]`.

    Each log is clamped at -100 (so :math:`x = 0` or 1 gives a finite loss), as in
    PyTorch; inputs outside [0, 1] are an error, and so is a target whose dtype is not
    the input's.  ``weight`` broadcasts to the input's shape and takes no gradient.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.binary_cross_entropy(npgrad.tensor([0.9, 0.2]), npgrad.tensor([1.0, 0.0])).item(), 4)
        0.1643
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                         f"({_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    weight_shape = None if weight is None else _bce_weight_shape(target, weight)
    _check_not_differentiable(weight, "weight", "binary_cross_entropy")
    x, y = input._data, target._data
    if y.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {_type_name(target)} but expected {_type_name(input)}")
    _check_floating(input, "binary_cross_entropy")
    if np.any(~((x >= 0) & (x <= 1))):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if np.any(~((y >= 0) & (y <= 1))):
        raise RuntimeError("all elements of target should be between 0 and 1")
    w = None
    if weight is not None:
        _check_inplace_shape(x.shape, weight_shape)      # PyTorch's loss.mul_(weight)
        w = np.broadcast_to(weight._data, x.shape).astype(x.dtype)
    loss = _BinaryCrossEntropy.apply(input, target, w)
    return _reduce(loss, reduction)


def _into(t, like):
    """``t`` as an in-place op on ``like`` stores it: in ``like``'s dtype."""
    return t if t._data.dtype == like._data.dtype else t.to(like.dtype)


@_node_name("BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    r"""Binary cross-entropy on logits, in the stable log-sigmoid form.

    .. math::
        \ell_i = w_i \big[(1 - y_i) x_i - (1 + (p_c - 1) y_i) \log \sigma(x_i)\big]

    which equals :math:`-w_i [p_c y_i \log \sigma(x_i) + (1 - y_i) \log(1 - \sigma(x_i))]`
    without overflow for large :math:`|x|`; ``pos_weight`` :math:`p_c` broadcasts
    over the last (class) dimension.  As PyTorch computes it (in place on ``1 - y``), the
    loss has the target's dtype, and neither weight may broadcast the loss to a larger shape.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> round(F.binary_cross_entropy_with_logits(npgrad.tensor([2.0, -1.0]), npgrad.tensor([1.0, 0.0])).item(), 4)
        0.2201
    """
    reduction = _check_reduction(_resolve_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size "
                         f"({_size(input.shape)})")
    _check_not_differentiable(weight, "weight", "binary_cross_entropy_with_logits")
    _check_not_differentiable(pos_weight, "pos_weight", "binary_cross_entropy_with_logits")
    _check_floating(input, "log_sigmoid_cpu")
    log_sig = E.LogSigmoid.apply(input)
    if pos_weight is not None:
        log_weight = (pos_weight - 1) * target + 1
        _check_inplace_shape(log_sig.shape, log_weight.shape)
        log_sig = _into(log_sig * log_weight, log_sig)
    if target._data.dtype == np.bool_:      # PyTorch's 1 - target, computed in the target's dtype
        _check_bool_sub(target, True)
    if target._data.dtype.kind != "f":
        raise RuntimeError(f"result type {_scalar_name(promote_types(target._data.dtype, input._data.dtype))} "
                           f"can't be cast to the desired output type {_type_name(target)}")
    loss = _into(_into((1 - target) * input, target) - log_sig, target)
    if weight is not None:
        _check_inplace_shape(loss.shape, weight.shape)
        loss = _into(loss * weight, target)
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
    n_classes = _check_index_target(input, target, alpha, nll_kernel=False)
    t = target._data.astype(np.int64)
    _check_bounds(t, n_classes, ignore_index)
    class_dim = 0 if input.ndim == 1 else 1
    if input.ndim == 1:
        t = t.reshape(())
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    logp_t = input.log_softmax(class_dim).gather(class_dim, Tensor._wrap(np.expand_dims(safe, class_dim)))
    # an ignored position reads 0, so nothing there (a -inf log-probability, a NaN weight) reaches the loss
    logp_t = where(Tensor._wrap(np.asarray(valid)), logp_t.squeeze(class_dim), _const(np.zeros(()), input))
    w = np.ones(n_classes) if alpha is None else alpha._data.astype(np.float64)
    w_t = np.where(valid, w[safe], 0.0)
    focus = (1 - logp_t.exp()) ** gamma if gamma != 0 else 1.0
    loss = -focus * logp_t * _const(w_t, input)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / np.asarray(w_t.sum(), input._data.dtype)


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
    if input._data.dtype.kind in "biu" or target._data.dtype.kind in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = xlogy(target, target) - target * input     # y log y is 0 at y = 0
    out = _reduce(loss, red)
    if reduction == "batchmean" and input.ndim != 0:    # even with the legacy arguments, as PyTorch
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
        # Stirling's term computed everywhere, then zeroed where y <= 1: as PyTorch's masked_fill, which still
        # backpropagates 0 * log(y) there (NaN at y <= 0)
        small = target._data <= 1
        if target.requires_grad:
            stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
            loss = loss + stirling.masked_fill(small, 0)
        else:
            y = target._data
            with np.errstate(divide="ignore", invalid="ignore"):
                stirling = y * np.log(y) - y + 0.5 * np.log(2 * math.pi * y)
            loss = loss + _const(np.where(small, 0.0, stirling), loss)
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
    else:
        negative = var < 0       # a list fails here, with Python's message, as in PyTorch
        if not isinstance(negative, Tensor):
            raise TypeError(f"any() received an invalid combination of arguments - got "
                            f"({type(negative).__name__}), but expected one of:\n"
                            " * (Tensor input, *, Tensor out = None)\n"
                            " * (Tensor input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)\n"
                            " * (Tensor input, int dim, bool keepdim = False, *, Tensor out = None)\n")
        if bool(np.any(negative._data)):
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
    clamped = result_type(var, eps)     # PyTorch clamps in place: an integral var cannot hold a float eps
    if _category(np.dtype(clamped).kind) > _category(var._data.dtype.kind):
        raise RuntimeError(f"result type {_scalar_name(clamped)} can't be cast to the desired output type "
                           f"{_c_name(var)}")
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
    _check_not_differentiable(target, "target", "soft_margin_loss")
    # PyTorch's neg_out(output, input).mul_(target).exp_().log1p_(): the loss has the input's shape and dtype
    negative = -input
    _check_inplace_shape(input.shape, target.shape)
    if input._data.dtype.kind != "f":
        promoted = promote_types(input._data.dtype, target._data.dtype)
        promoted = promoted if promoted.kind == "f" else D.get_default_dtype().np     # exp_ of an integer
        raise RuntimeError(f"result type {_scalar_name(promoted)} can't be cast to the desired output type "
                           f"{_type_name(input)}")
    loss = _into(negative * target, input).exp().log1p()
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
    _check_floating(input, "log_sigmoid_cpu")
    loss = -(target * E.LogSigmoid.apply(input) + (1 - target) * E.LogSigmoid.apply(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.size(class_dim)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return _reduce(loss, "mean")
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def _check_margin_input(input):
    if not ((input.ndim == 2 and input.shape[1] != 0) or (input.ndim == 1 and input.numel() != 0)
            or input.ndim == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{_list(input.shape)}")


def _hinge(z, terms):
    r"""The hinge terms :math:`\max(0, z)` of PyTorch's margin kernels: a term counts where ``terms`` holds
    and :math:`z > 0`, so a term exactly at 0 (or NaN) adds nothing and has no gradient."""
    active = terms & (z._data > 0)
    return where(Tensor._wrap(active), z, _const(np.zeros(()), z))


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
    _check_argument_types("multilabel_margin_loss", [("input", input, "Tensor"), ("target", target, "Tensor")])
    _check_margin_input(input)
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {_list(target.shape)} for input of size: "
                           f"{_list(input.shape)}")
    _check_floating(input, "multilabel_margin_loss_forward_out_frame")
    _check_dtype(target, np.int64)
    squeeze = input.ndim <= 1
    x = input.reshape(1, -1) if squeeze else input
    t = target._data.reshape(x.shape)
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
    loss = _hinge(margins, mask).sum((1, 2)) / c
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
    _check_argument_types("multi_margin_loss", [("input", input, "Tensor"), ("target", target, "Tensor")])
    _check_not_differentiable(weight, "weight", "multi_margin_loss")
    _check_margin_input(input)
    squeeze = input.ndim <= 1
    x = input.reshape(1, -1) if squeeze else input
    n, c = x.shape
    if target.ndim > 1 or target.numel() != n:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {_list(target.shape)}. "
                           f"Input has shape {_list(input.shape)}.")
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {_list(weight.shape)}")
    _check_floating(input, "multi_margin_loss_cpu_kernel")
    _check_dtype(target, np.int64)
    _check_dtype(weight, input._data.dtype)
    t = target._data.reshape(-1)
    if ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    x_y = x.gather(1, Tensor._wrap(t[:, None]))
    others = np.ones((n, c), dtype=bool)
    others[np.arange(n), t] = False
    z = _hinge(margin - x_y + x, others)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * _const(weight._data[t][:, None], x)
    loss = z.sum(1) / c
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
    if input._data.dtype == np.bool_:       # PyTorch's margin - input, on a tensor like the input
        _check_bool_sub(input, True)
    if input._data.dtype.kind != "f":
        margin = int(margin)        # filled into a tensor like the input: an integral input truncates the margin
    zeros = _const(np.zeros(broadcast_shape(tuple(target.shape), tuple(input.shape))), input)
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
    if isinstance(p, Tensor):       # PyTorch reads a one-element tensor as the number
        p = p.item()
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
        d_swap = distance(positive, negative)
        for argument, position, value in (("input", 1, d_neg), ("other", 2, d_swap)):
            if not isinstance(value, Tensor):
                raise TypeError(f"minimum(): argument '{argument}' (position {position}) must be Tensor, not "
                                f"{type(value).__name__}")
        d_neg = d_neg.minimum(d_swap)
    excess = margin + d_pos - d_neg
    if not isinstance(excess, Tensor):      # a distance that gave a number: PyTorch's torch.clamp_min refuses it
        raise TypeError(f"clamp_min() received an invalid combination of arguments - got "
                        f"({type(excess).__name__}, int), but expected one of:\n"
                        " * (Tensor input, Tensor min, *, Tensor out = None)\n"
                        " * (Tensor input, Number min, *, Tensor out = None)\n")
    loss = excess.clamp_min(0)
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

    @staticmethod
    def graph_backward(ctx, saved, g):
        """The gradient, recorded (``create_graph``) as a value that cannot be differentiated again: PyTorch has
        no derivative for ``_ctc_loss_backward``."""
        grad = _CTCLoss.backward(ctx, g._data)[0]
        out = _NoDerivative.apply(saved.input(0, ctx.state[0]), g, "_ctc_loss_backward", lambda a, b: grad)
        return _labelled(out, True, "NotImplemented"), None, None, None, None, None


# PyTorch's two signatures of ctc_loss: the lengths as sequences of ints, or as Tensors
_CTC_SIGNATURES = ("(Tensor log_probs, Tensor targets, tuple of ints input_lengths, tuple of ints target_lengths, "
                   "int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)",
                   "(Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, "
                   "int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)")


def _check_ctc_arguments(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    """PyTorch's argument parsing of ``ctc_loss``: both lengths sequences of ints, or both Tensors; anything
    else is a TypeError naming the type of each argument."""
    args = (log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    lengths = (input_lengths, target_lengths)
    as_ints = all(isinstance(x, (list, tuple)) and all(_is_int_argument(v) for v in x) for x in lengths)
    as_tensors = all(isinstance(x, Tensor) for x in lengths)
    if (isinstance(log_probs, Tensor) and isinstance(targets, Tensor) and (as_ints or as_tensors)
            and _is_int_argument(blank) and isinstance(zero_infinity, (bool, np.bool_))):
        return
    got = ", ".join(_parser_type(a) for a in args)
    lines = [f"ctc_loss() received an invalid combination of arguments - got ({got}), but expected one of:"]
    # as PyTorch marks them: every argument after the Tensors of a signature, and a non-Tensor given for one
    for signature, n_tensors in zip(_CTC_SIGNATURES, (2, 4)):
        marked = [_parser_type(a, items=True) if k < n_tensors and isinstance(a, Tensor)
                  else f"!{_parser_type(a, items=True)}!" for k, a in enumerate(args)]
        lines += [f" * {signature}",
                  f"      didn't match because some of the arguments have invalid types: ({', '.join(marked)})"]
    raise TypeError("\n".join(lines) + "\n")


def _lengths(x, name):
    """A sequence of lengths as int64: a Tensor must be of an integer type."""
    if isinstance(x, Tensor):
        if x._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return x._data.reshape(-1).astype(np.int64)
    return np.array([int(v) for v in x], dtype=np.int64)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    r"""Connectionist Temporal Classification loss.

    :math:`-\log \sum_{\pi \in \mathcal{B}^{-1}(y)} \prod_t p_t(\pi_t)` by the
    forward-backward recursion over the blank-extended label sequence.
    ``log_probs`` is ``(T, N, C)`` (or ``(T, C)``) log-softmax output; ``targets``
    is ``(N, S)`` padded or the 1-D concatenation of all targets.  ``'mean'``
    divides each loss by its target length, then averages over the batch.
    The lengths are both sequences of ints or both integer Tensors, as in PyTorch.
    A. Graves et al., *Connectionist Temporal Classification*, ICML 2006.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> lp = npgrad.randn(6, 1, 4).log_softmax(2)
        >>> F.ctc_loss(lp, npgrad.tensor([[1, 2]]), [6], [2]).item() > 0
        True
    """
    reduction = _check_reduction(reduction)
    _check_ctc_arguments(log_probs, targets, input_lengths, target_lengths, blank,
                         {"none": 0, "mean": 1, "sum": 2}[reduction], zero_infinity)
    blank = int(blank)
    in_len = _lengths(input_lengths, "input_lengths")
    tg_len = _lengths(target_lengths, "target_lengths")
    if log_probs._data.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise NotImplementedError(f'"ctc_loss_cpu" not implemented for \'{_scalar_name(log_probs._data.dtype)}\'')
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    unbatched = log_probs.ndim != 3
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    tg = targets._data
    if unbatched:
        tg = tg[None, :] if tg.ndim == 1 else tg
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
# PyTorch's picks for the "auto" acc_policy and chunking_method of the options, per (device, input dtype)
_LCE_AUTO_DEFAULTS = {("cpu", "float16"): ("accurate", "aspect_ratio"),
                      ("cpu", "bfloat16"): ("accurate", "aspect_ratio")}
_LCE_AUTO_FALLBACK = ("compact", "aspect_ratio:2")


def _lce_acc_dtypes():
    """The dtypes the chunked path may accumulate in."""
    from ... import _dtype as D

    return {getattr(D, name) for name in ("float16", "bfloat16", "float32", "float64") if hasattr(D, name)}


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    r"""How :func:`linear_cross_entropy` splits the batch into chunks (PyTorch's options, validated as PyTorch
    validates them).

    ``batch_chunk_size`` rows per chunk, or a ``chunking_method``: ``'aspect_ratio'`` sizes a chunk of logits
    ``(rows, C)`` to take about as much memory as the input ``(N, in_features)``,

    .. math:: \text{rows} = \min\left(\left\lfloor 2^{\lceil \log_2 \lceil N / \lceil C / F \rceil \rceil \rceil}
              / k \right\rfloor,\ N\right)

    for ``'aspect_ratio:k'``; ``'auto'`` is PyTorch's pick for the device and dtype.  ``acc_policy`` and
    ``acc_dtype`` choose PyTorch's accumulation precision (npgrad accumulates in the input's dtype).
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            if not sep:
                factor = "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None
                or (isinstance(self.batch_chunk_size, int) and self.batch_chunk_size > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {self.batch_chunk_size!r}")
        if self.acc_dtype is not None and self.acc_dtype not in _lce_acc_dtypes():
            raise ValueError("acc_dtype must be one of {None, npgrad.float16, npgrad.bfloat16, npgrad.float32, "
                             f"npgrad.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op pick "
                             "automatically.")

    @staticmethod
    def _aspect_ratio_rows(n_rows, in_features, n_classes, method):
        """Rows per chunk by the 'aspect_ratio[:k]' rule (a zero dimension counts as 1)."""
        factor = int(method.partition(":")[2] or 1)
        ratio = max(1, -(-n_classes // max(in_features, 1)))
        target = -(-n_rows // ratio)
        return min((1 << (target - 1).bit_length()) // factor, n_rows)

    def _adjust(self, num_batches, in_features, num_classes, dtype):
        """The options of one call as PyTorch resolves them: the 'auto' picks, the chunk size and the
        accumulation dtype; an explicit ``batch_chunk_size`` that the chunking method contradicts is refused."""
        from ... import _dtype as D

        acc_policy, chunking_method = self.acc_policy, self.chunking_method
        if chunking_method == "auto" and self.batch_chunk_size is not None:
            chunking_method = None
        auto_policy, auto_method = _LCE_AUTO_DEFAULTS.get(("cpu", dtype.name), _LCE_AUTO_FALLBACK)
        acc_policy = auto_policy if acc_policy == "auto" else acc_policy
        chunking_method = auto_method if chunking_method == "auto" else chunking_method
        rows = num_batches if self.batch_chunk_size is None else min(self.batch_chunk_size, num_batches)
        if chunking_method is not None:
            rows = self._aspect_ratio_rows(num_batches, in_features, num_classes, chunking_method)
            if self.batch_chunk_size is not None and self.batch_chunk_size != rows:
                raise ValueError(f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method "
                                 f"('{chunking_method}') give different chunk sizes ({self.batch_chunk_size} vs "
                                 f"{rows}); pass only one.")
        acc_dtype = self.acc_dtype
        if acc_dtype is None:
            low = dtype.name in ("float16", "bfloat16")
            acc_dtype = D.float32 if low and self.acc_policy == "auto" else dtype
        return dataclasses.replace(self, acc_policy=acc_policy, chunking_method=chunking_method,
                                   batch_chunk_size=max(1, rows), acc_dtype=acc_dtype)


def _chunk_rows(n_rows, in_features, n_classes, options):
    """Rows per chunk: ``options.batch_chunk_size``, else PyTorch's 'aspect_ratio' rule.

    'aspect_ratio' makes a chunk of logits ``(rows, C)`` as large as the input
    ``(N, in_features)`` (rounded up to a power of two, divided by ``k`` for
    'aspect_ratio:k'), but never fewer than ``MIN_CHUNK_ROWS`` rows, below which
    the matrix products lose their efficiency.
    """
    if options is not None and options.batch_chunk_size is not None:
        return max(1, int(options.batch_chunk_size))
    method = None if options is None else options.chunking_method
    rows = LinearCrossEntropyOptions._aspect_ratio_rows(n_rows, in_features, n_classes,
                                                        "aspect_ratio" if method in (None, "auto") else method)
    return max(rows, min(MIN_CHUNK_ROWS, n_rows), 1)


MIN_CHUNK_ROWS = 512


class _LinearCrossEntropy(Function):
    """Chunked ``cross_entropy(x W^T + b, y)``: one chunk of logits at a time.

    Forward computes the loss and, when gradients are wanted, the gradients of
    ``x``, ``W`` and ``b`` for an upstream gradient of 1; backward scales them.
    For ``reduction='none'`` the upstream gradient differs per row, so backward
    recomputes the chunks instead.

    ``options`` (the call's resolved :class:`LinearCrossEntropyOptions`, or None for
    the reference path) makes it PyTorch's chunked op: a second backward of a
    reduced loss is refused unless ``allow_retain_graph``, and its gradients are
    not differentiable.
    """

    @staticmethod
    def forward(ctx, x, w, b, target, weight, ignore_index, reduction, chunk, options):
        needs = ctx.needs_input_grad
        want = any(needs[:3]) and reduction != "none"
        loss, grads = _lce_sweep(x, w, b, target, weight, ignore_index, reduction, chunk, want, needs, None)
        ctx.grads = grads
        ctx.saved = (x, w, b, target, weight, ignore_index, reduction, chunk)
        ctx.options = options
        ctx.grads_owned = True          # backward hands over fresh arrays nobody else holds
        return loss

    @staticmethod
    def backward(ctx, g):
        x, w, b, target, weight, ignore_index, reduction, chunk = ctx.saved
        needs = ctx.needs_input_grad
        if reduction == "none":
            _, grads = _lce_sweep(x, w, b, target, weight, ignore_index, reduction, chunk, True, needs,
                                  np.asarray(g, dtype=x.dtype))
            return (*grads, None, None, None, None, None, None)
        grads = ctx.grads
        if grads is None:
            if ctx.options is not None and not ctx.options.allow_retain_graph:
                raise RuntimeError("linear_cross_entropy chunked backward called twice; retain_graph=True / "
                                   "double backward are not supported.")
            _, grads = _lce_sweep(x, w, b, target, weight, ignore_index, reduction, chunk, True, needs, None)
        ctx.grads = None
        g = float(g)
        scaled = tuple(None if a is None else (a if g == 1.0 else a * g) for a in grads)
        return (*scaled, None, None, None, None, None, None)

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Recorded (``create_graph``): ``cross_entropy(linear(x, W, b), y)`` composed, differentiated at the
        same inputs (the logits are made whole here: this path is for differentiating twice, not for memory).
        PyTorch's chunked op records nothing: its gradients are constants times the upstream gradient."""
        x, w, b, target, weight, ignore_index, reduction, _ = ctx.saved
        if ctx.options is not None:
            if reduction == "none":
                grads = _LinearCrossEntropy.backward(ctx, g._data)[:3]
                return (*(None if a is None else Tensor._wrap(a) for a in grads), *(None,) * 6)
            unit = _LinearCrossEntropy.backward(ctx, 1.0)[:3]
            return (*(None if a is None else Tensor._wrap(a) * g for a in unit), *(None,) * 6)
        inputs = [saved.input(0, x), saved.input(1, w), None if b is None else saved.input(2, b)]
        class_weight = None if weight is None else Tensor._wrap(weight)

        def composed(x, w, b):
            logits = linear(x, w, b)
            return cross_entropy(logits, Tensor._wrap(target), class_weight, ignore_index=ignore_index,
                                 reduction=reduction)

        return (*saved.vjp(composed, inputs, (g,)), None, None, None, None, None, None)


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
    # the first chunk writes the weight's gradient whole; with no rows there is no chunk and it is 0
    gw = (np.empty_like(w) if n_rows else np.zeros_like(w)) if want and needs[1] else None
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
        loss = np.asarray(np.float64(acc) / total, dtype)       # over nothing NaN; a total weight of 0 +-inf
    return loss, (gx, gw, gb)


def _check_linear_dtypes(input, linear_weight, linear_bias):
    """PyTorch's dtype checks of the projection: ``mm`` without a bias; ``addmm`` with one, which compares the
    bias with the weight first."""
    if linear_bias is None:
        _check_mm_dtypes(input, linear_weight)
    else:
        _addmm_dtype_checks(linear_bias, input, linear_weight)


def _check_reference_call(input, target, weight, n_classes, ignore_index):
    """The checks of ``cross_entropy(logits, target, weight)`` for a 1-D or 2-D input and class indices,
    in PyTorch's order (the path without options)."""
    if input.ndim == 2 and (target.ndim == 0 or target.shape[0] != input.shape[0]):
        batch = target.shape[0] if target.ndim else 0
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch}).")
    _check_not_differentiable(weight, "weight", "nll_loss_forward")
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    _check_class_weight(weight, n_classes)
    _check_dtype(weight, input._data.dtype)
    _check_bounds(target._data, n_classes, ignore_index)


def _check_chunked_call(x, linear_weight, target, weight, ignore_index, options):
    """Where PyTorch's chunked op fails, its error: the accumulation dtype, then chunk by chunk
    (``options.batch_chunk_size`` rows of ``x``, 2-D) the slice of the targets, the class weights of all
    targets (with the first chunk), the product's dtypes (first chunk) and the logits at the targets."""
    dtype, acc = x.dtype, options.acc_dtype
    if dtype != acc and not (dtype.name in ("float16", "bfloat16") and acc.name == "float32"):
        raise RuntimeError("linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 inputs, but "
                           f"got {acc} acc_dtype and {dtype} inputs.")
    n_rows, n_classes, chunk = x.shape[0], linear_weight.shape[0], options.batch_chunk_size
    t = target._data
    if n_rows == 0:
        return
    if t.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    n_targets = t.shape[0]
    short = n_targets // chunk if n_targets < n_rows else None      # the first chunk past the targets

    def narrow_error(k):
        start = k * chunk
        return RuntimeError(f"start ({start}) + length ({min(chunk, n_rows - start)}) exceeds dimension size "
                            f"({n_targets}).")

    if short == 0:
        raise narrow_error(0)
    # ignored targets outside the classes are read as class 0
    corrected = np.where(t == ignore_index, 0, t) if not 0 <= ignore_index < n_classes else t
    if weight is not None and weight.ndim:
        if t.ndim != 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if ((corrected < 0) | (corrected >= weight.shape[0])).any():
            raise IndexError("index out of range in self")
    if dtype == acc:
        _check_mm_dtypes(x, linear_weight)
    if t.ndim != 1:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    rows = corrected[:n_rows]
    bad = np.flatnonzero((rows < 0) | (rows >= n_classes))
    if short is not None and (not bad.size or short <= bad[0] // chunk):
        raise narrow_error(short)
    if bad.size:
        raise RuntimeError(f"index {rows[bad[0]]} is out of bounds for dimension 1 with size {n_classes}")


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

    With ``options`` (:class:`LinearCrossEntropyOptions`) the call is PyTorch's
    chunked op, with its checks and errors; a reduced loss can then be
    backpropagated once (unless ``allow_retain_graph``) and not twice over.  A
    call that op does not support (label smoothing, a target not int64,
    K-dimensional weights) warns that the options are ignored.

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
    int64_target = target._data.dtype == np.dtype(np.int64)
    chunked_op = (options is not None and not out_features and reduction in ("mean", "sum", "none")
                  and label_smoothing == 0.0 and int64_target)
    if options is not None and not chunked_op:
        bias_shape = None if linear_bias is None else tuple(linear_bias.shape)
        warnings.warn("linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
                      "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, out_features == (). "
                      f"Got reduction={reduction!r}, label_smoothing={label_smoothing}, "
                      f"target.dtype={target.dtype}, out_features={out_features}, tracing=False, "
                      f"linear_bias.shape={bias_shape}.", stacklevel=2)
    reduction = _check_reduction(reduction)
    # the rows: an unbatched call is a batch of one
    x = input.reshape(1, in_features) if input.ndim == 1 else input
    resolved = None
    if chunked_op:
        resolved = options._adjust(x.shape[0], in_features, n_classes, input.dtype)
        t = target.reshape((1, *target.shape)) if input.ndim == 1 else target
        _check_chunked_call(x, linear_weight, t, weight, ignore_index, resolved)
        if tuple(t.shape) != (x.shape[0],):     # more targets than rows, which PyTorch's op lets through
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                             f"({t.shape[0] if t.ndim else 0}).")
        if weight is not None and weight.ndim != 1:
            _check_class_weight(weight, n_classes)
        name = ("SqueezeBackward1" if input.ndim == 1 else "GeneratedBackwardFor_torch_nn__linear_cross_entropy_"
                f"batch_chunked{'_no_reduction' if reduction == 'none' else ''}_defaultBackward")
    else:
        _check_linear_dtypes(input, linear_weight, linear_bias)
        name = "NllLossBackward0"       # the reference path's node: its NLL loss
    fused = (not out_features and not probabilities and label_smoothing == 0.0 and int64_target
             and input._data.dtype in (np.dtype(np.float32), np.dtype(np.float64)))
    if not fused:
        if chunked_op:      # the chunked op casts the projection to the input's precision (or wider)
            linear_weight = linear_weight.to(input.dtype)
            linear_bias = None if linear_bias is None else linear_bias.to(input.dtype)
        w2 = linear_weight.reshape(-1, in_features) if out_features else linear_weight
        b2 = linear_bias.reshape(-1) if (linear_bias is not None and out_features) else linear_bias
        logits = linear(input, w2, b2).reshape(logits_shape)
        out = cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                            label_smoothing=label_smoothing)
        return _labelled(out, chunked_op, name)
    if not chunked_op:
        _check_reference_call(input, target, weight, n_classes, ignore_index)
    chunk = _chunk_rows(x.shape[0], in_features, n_classes, options)
    t = target._data.reshape(-1)
    w = None if weight is None else np.ascontiguousarray(weight._data, dtype=input._data.dtype)
    out = _LinearCrossEntropy.apply(x, linear_weight, linear_bias, t, w, int(ignore_index), reduction, chunk,
                                    resolved)
    if input.ndim == 1 and reduction == "none":
        out = out.reshape(())
    return _labelled(out, True, name)
