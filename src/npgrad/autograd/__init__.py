"""Automatic differentiation: Function, grad mode, backward, grad and gradcheck."""
from . import function
from .function import ArrayFunction, Context, Function, FunctionCtx, Node, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    from ..tensor import backward as _backward

    _backward(tensors, grad_tensors, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    from ..tensor import grad as _grad

    return _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)


__all__ = ["Function", "ArrayFunction", "Context", "FunctionCtx", "Node", "once_differentiable", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "backward", "grad", "gradcheck", "GradcheckError"]
