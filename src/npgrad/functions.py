"""Tensor methods as module-level functions (``npgrad.exp(x)`` = ``x.exp()``), as in PyTorch."""
from __future__ import annotations

import numpy as np

from .tensor import Tensor, _raw, tensor

_UNARY = ["exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "abs", "absolute", "sin", "cos",
          "tanh", "sigmoid", "relu", "erf", "neg", "negative", "reciprocal", "square", "sign", "sgn", "floor",
          "ceil", "round", "trunc", "isnan", "isinf", "isfinite", "logical_not", "nan_to_num", "t", "numel",
          "nonzero", "tril", "triu", "diagonal", "flatten", "unflatten", "squeeze", "unsqueeze", "reshape",
          "permute", "transpose", "swapaxes", "movedim", "moveaxis", "flip", "roll", "narrow", "select",
          "expand_copy", "chunk", "split", "tensor_split", "unbind", "repeat_interleave", "gather",
          "take_along_dim", "scatter", "scatter_add", "index_select", "index_add", "masked_fill", "masked_select",
          "sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "argmax", "argmin", "var", "std",
          "logsumexp", "softmax", "log_softmax", "cumsum", "cumprod", "norm", "all", "any", "count_nonzero",
          "sort", "argsort", "topk", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "lerp",
          "addcmul", "addcdiv", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
          "pow", "mm", "bmm", "mv", "dot", "outer", "eq", "ne", "lt", "le", "gt", "ge", "less", "greater",
          "logical_and", "logical_or", "logical_xor", "equal", "allclose", "isclose", "detach", "clone",
          "fliplr", "flipud", "broadcast_to", "std_mean", "var_mean", "is_floating_point", "is_tensor"]

__all__ = []


def _make(name):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = tensor(input)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``npgrad.{name}(x, ...)`` is ``x.{name}(...)``."
    return fn


for _name in _UNARY:
    if hasattr(Tensor, _name):
        globals()[_name] = _make(_name)
        __all__.append(_name)


def max(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Largest element, or (values, indices) along ``dim``; with a tensor ``dim``, elementwise max."""
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    return input.min(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return input.std(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return input.var(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.is_floating_point()


def numel(t):
    return t.numel()


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    from .tensor import Size

    return Size(np.broadcast_shapes(*shapes))


def clamp(input, min=None, max=None):  # noqa: A002
    return input.clamp(min, max)


clip = clamp


def tanh(input):
    return input.tanh()


def cdist(x1, x2, p=2.0):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2.0:
        return (diff * diff).sum(-1).sqrt()
    return diff.norm(p=p, dim=-1)


def diag(input, diagonal=0):
    if input.ndim == 1:
        n = input.shape[0] + abs(diagonal)
        out = Tensor._wrap(np.zeros((n, n), dtype=input._data.dtype))
        idx = np.arange(input.shape[0])
        r, c = idx + max(-diagonal, 0), idx + max(diagonal, 0)
        from .ops.index import IndexPut

        return IndexPut.apply(out, input, (r, c), False)
    return input.diagonal(diagonal)


def trace(input):
    return input.diagonal().sum()


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def zeros_like_grad(x):
    return Tensor._wrap(np.zeros_like(_raw(x)))


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    grids = np.meshgrid(*[t._data for t in tensors], indexing=indexing)
    return tuple(Tensor._wrap(g.copy()) for g in grids)


def from_dlpack(ext):
    return Tensor._wrap(np.from_dlpack(ext))


def searchsorted(sorted_sequence, values, right=False):
    return Tensor._wrap(np.searchsorted(_raw(sorted_sequence), _raw(values),
                                        side="right" if right else "left").astype(np.int64))


def bucketize(input, boundaries, right=False):
    return Tensor._wrap(np.searchsorted(_raw(boundaries), _raw(input),
                                        side="left" if not right else "right").astype(np.int64))


def atleast_1d(t):
    return t.reshape(1) if t.ndim == 0 else t


def atleast_2d(t):
    return t.reshape(1, -1) if t.ndim < 2 else t


def numpy_like(t):
    return t._data


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    kw = {k: v for k, v in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                                linewidth=linewidth).items() if v is not None}
    np.set_printoptions(**kw)


def use_deterministic_algorithms(mode, warn_only=False):
    """npgrad's CPU kernels are deterministic already; accepted for compatibility."""


def set_num_threads(n):
    try:
        import numba

        numba.set_num_threads(max(1, builtins_min(n, numba.config.NUMBA_NUM_THREADS)))
    except Exception:  # numba missing or threads fixed: nothing to change
        pass


def get_num_threads():
    import os

    return os.cpu_count() or 1


builtins_min = __builtins__["min"] if isinstance(__builtins__, dict) else __builtins__.min

__all__ += ["max", "min", "std_mean", "var_mean", "is_tensor", "is_floating_point", "numel", "broadcast_tensors",
            "broadcast_shapes", "clamp", "clip", "tanh", "cdist", "diag", "trace", "flatten", "meshgrid",
            "from_dlpack", "searchsorted", "bucketize", "atleast_1d", "atleast_2d", "set_printoptions",
            "use_deterministic_algorithms", "set_num_threads", "get_num_threads"]
