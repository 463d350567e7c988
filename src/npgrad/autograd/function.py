"""Function: an op's forward and backward in one class, on NumPy arrays."""
from __future__ import annotations

import numpy as np

from .grad_mode import is_grad_enabled


class Context:
    """What ``forward`` leaves for ``backward``: saved arrays and flags."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self._non_differentiable = ()

    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays

    def mark_non_differentiable(self, *arrays):
        self._non_differentiable = tuple(id(a) for a in arrays)

    def set_materialize_grads(self, value: bool):  # accepted for PyTorch compatibility
        pass


class Node:
    """One recorded call of a Function: where its gradients come from and go to.

    ``next`` holds, per positional input, ``None`` (no gradient wanted), the leaf
    Tensor to accumulate into, or ``(node, output_index)`` of the op that made it.
    """

    __slots__ = ("fn", "ctx", "next", "in_shapes", "in_dtypes", "out_shapes", "out_dtypes",
                 "retained", "hooks", "__weakref__")

    def __init__(self, fn, ctx, next_edges, in_shapes, in_dtypes, out_shapes, out_dtypes):
        self.fn = fn
        self.ctx = ctx
        self.next = next_edges
        self.in_shapes = in_shapes
        self.in_dtypes = in_dtypes
        self.out_shapes = out_shapes
        self.out_dtypes = out_dtypes
        self.retained = None  # {output_index: weakref to Tensor} for retain_grad
        self.hooks = None  # {output_index: [hook, ...]} for Tensor.register_hook

    def name(self):
        return f"{self.fn.__name__}Backward"

    def __repr__(self):
        return f"<{self.name()} object>"

    @property
    def next_functions(self):
        out = []
        for e in self.next:
            if e is None:
                out.append((None, 0))
            elif isinstance(e, tuple):
                out.append(e)
            else:
                out.append((f"AccumulateGrad({tuple(e.shape)})", 0))
        return tuple(out)


class Function:
    """Base of every differentiable op: subclass with ``forward`` and ``backward``.

    ``forward(ctx, *args)`` gets NumPy arrays where Tensors were passed and returns an
    array or a tuple of arrays; ``backward(ctx, *grads)`` gets one gradient array per
    output and returns one gradient per positional input (``None`` where there is none).

    Example:
        >>> import numpy as np, npgrad
        >>> class Square(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * g
        >>> x = npgrad.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).sum().backward(); x.grad
        tensor([6.])
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor

        record = False
        if is_grad_enabled():
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    record = True
                    break
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args) if record \
            else (False,) * len(args)
        ctx = Context(needs)
        raw = [a._data if isinstance(a, Tensor) else a for a in args]
        out = cls.forward(ctx, *raw, **kwargs)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        results = tuple(Tensor._wrap(o if isinstance(o, np.ndarray) else np.asarray(o)) for o in outs)
        if record:
            edges = [a._edge() if isinstance(a, Tensor) and a.requires_grad else None for a in args]
            node = Node(cls, ctx, edges,
                        [a._data.shape if isinstance(a, Tensor) else None for a in args],
                        [a._data.dtype if isinstance(a, Tensor) else None for a in args],
                        [r._data.shape for r in results], [r._data.dtype for r in results])
            skip = ctx._non_differentiable
            for i, (r, o) in enumerate(zip(results, outs)):
                if r._data.dtype.kind == "f" and id(o) not in skip:
                    r.requires_grad = True
                    r._node = node
                    r._out_index = i
        return results if multi else results[0]
