"""Automatic differentiation: Function, grad mode, backward, grad and gradcheck."""
from . import function
from .function import ArrayFunction, Context, Function, FunctionCtx, Node, once_differentiable
from .grad_mode import (detect_anomaly, enable_grad, inference_mode, is_anomaly_check_nan_enabled,
                        is_anomaly_enabled, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_detect_anomaly, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from . import functional  # noqa: F401  (torch.autograd.functional)


def _as_list(tensors):
    from ..tensor import Tensor

    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` (weighted by ``grad_tensors``) into the leaves' ``.grad``."""
    from ..tensor import backward as _backward

    if inputs is not None:
        inputs = _as_list(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        for x in inputs:
            if not x.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if grad_tensors is not None and not _is_single(grad_tensors):
        n_out, n_grad = len(_as_list(tensors)), len(grad_tensors)
        if n_out != n_grad:
            raise RuntimeError(f"got {n_out} tensors and {n_grad} gradients")
    _backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def _is_single(g):
    from ..tensor import Tensor

    return isinstance(g, (Tensor, int, float))


def Variable(data, requires_grad=False, volatile=False):
    """The old ``Variable`` wrapper: a tensor sharing ``data``'s values, a leaf with ``requires_grad``."""
    from ..tensor import Tensor

    out = Tensor._wrap(data._data)
    return out.requires_grad_(requires_grad) if requires_grad else out


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    :math:`\\sum_k v_k^\\top \\partial y_k / \\partial x_i` for each input :math:`x_i`, with
    :math:`v_k` the ``grad_outputs`` (ones for scalar outputs). ``inputs`` may be a tensor,
    a sequence (a tuple comes back) or a dict of name to tensor (a dict comes back). An
    input the outputs do not depend on raises, gives None with ``allow_unused=True``, or
    zeros with ``materialize_grads=True``. ``create_graph=True`` records the gradients so they
    can be differentiated again; ``is_grads_batched=True`` reads the first dimension of each
    grad_output as a batch of cotangents (npgrad runs one backward pass per batch entry and
    stacks the results; PyTorch vectorises them, the numbers are the same).
    """
    from ..tensor import grad as _grad, zeros_like

    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         f"but got: allow_unused={allow_unused}.")
    if allow_unused is None:
        allow_unused = materialize_grads
    names = None
    if isinstance(inputs, dict):
        names, inputs = list(inputs), list(inputs.values())
    inputs = _as_list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    for x in inputs:
        if not x.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if grad_outputs is not None and not _is_single(grad_outputs):
        n_out, n_grad = len(_as_list(outputs)), len(grad_outputs)
        if n_out != n_grad:
            raise RuntimeError(f"got {n_out} tensors and {n_grad} gradients")
    if is_grads_batched:
        result = _batched_grads(outputs, inputs, grad_outputs, retain_graph, create_graph)
    else:
        result = list(_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, True))
    for i, (x, g) in enumerate(zip(inputs, result)):
        if g is None:
            if materialize_grads:
                result[i] = zeros_like(x)       # without the batch dimension, as PyTorch gives it
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    return dict(zip(names, result)) if names is not None else tuple(result)


def _batched_grads(outputs, inputs, grad_outputs, retain_graph, create_graph):
    """``is_grads_batched``: the first dimension of each grad_output indexes separate vector-Jacobian
    products, stacked along a new first dimension of each result (one backward pass per index)."""
    from ..tensor import grad as _grad, stack

    outputs = _as_list(outputs)
    grad_outputs = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None or g.ndim == 0:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that input is a "
                             "Tensor of dimensionality 0 so expected in_dim to satisfy 0 <= in_dim < 0.")
        if tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output as "
                               "the batch dimension. The sizes of the remaining dimensions are expected to match the "
                               f"shape of corresponding output, but a mismatch was detected: grad_output[{i}] has a "
                               f"shape of {g.shape[1:]!r} and output[{i}] has a shape of {o.shape!r}. If you only "
                               "want some tensors in `grad_output` to be considered batched, consider using vmap.")
    sizes = [int(g.shape[0]) for g in grad_outputs]
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    rows = []
    for b in range(sizes[0]):
        keep = True if b < sizes[0] - 1 else retain_graph
        rows.append(_grad(outputs, inputs, [g[b] for g in grad_outputs], keep, create_graph, True))
    result = []
    for k, x in enumerate(inputs):
        column = [row[k] for row in rows]
        result.append(None if not column or any(g is None for g in column) else stack(column, 0))
    return result


__all__ = ["Function", "ArrayFunction", "Context", "FunctionCtx", "Node", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "detect_anomaly", "set_detect_anomaly", "backward", "grad", "Variable", "gradcheck", "gradgradcheck",
           "GradcheckError"]
