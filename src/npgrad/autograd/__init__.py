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
    zeros with ``materialize_grads=True``.
    """
    from ..tensor import grad as _grad, zeros_like

    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         f"but got: allow_unused={allow_unused}.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True (batched vector-Jacobian products) is not supported")
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
    result = list(_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, True))
    for i, (x, g) in enumerate(zip(inputs, result)):
        if g is None:
            if materialize_grads:
                result[i] = zeros_like(x)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
    return dict(zip(names, result)) if names is not None else tuple(result)


__all__ = ["Function", "ArrayFunction", "Context", "FunctionCtx", "Node", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "detect_anomaly", "set_detect_anomaly", "backward", "grad", "Variable", "gradcheck", "gradgradcheck",
           "GradcheckError"]
