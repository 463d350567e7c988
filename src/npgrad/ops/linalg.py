"""Matrix products."""
from __future__ import annotations

import math

import numpy as np

from .. import memory
from ..autograd.function import ArrayFunction as Function


def _out(a, b):
    """A leased ``out=`` for ``a @ b`` when both are float matrices (or stacks) of one dtype, else None."""
    if a.ndim < 2 or b.ndim < 2 or a.dtype != b.dtype or a.dtype.kind != "f":
        return None
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    if math.prod(shape) * a.dtype.itemsize < memory.MIN_BYTES:
        return None
    return memory.empty(shape, a.dtype)


class MatMul(Function):
    """a @ b with NumPy's (= PyTorch's) rules for 1-D operands and batch broadcasting."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                               f"{a.ndim}D and {b.ndim}D")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            sa = "x".join(map(str, a.shape if a.ndim > 1 else (1,) + a.shape))
            sb = "x".join(map(str, b.shape if b.ndim > 1 else b.shape + (1,)))
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
        ctx.save_for_backward(a, b)
        return np.matmul(a, b, out=_out(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a  # (m, n) with m = 1 for a vector
        b2 = b[:, None] if b.ndim == 1 else b  # (n, p) with p = 1 for a vector
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = g.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            b2_t = np.swapaxes(b2, -1, -2)
            ga = np.matmul(g2, b2_t, out=_out(g2, b2_t))
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if ctx.needs_input_grad[1]:
            a2_t = np.swapaxes(a2, -1, -2)
            gb = np.matmul(a2_t, g2, out=_out(a2_t, g2))
            if b.ndim == 1:
                gb = gb[..., 0].reshape(-1, b.shape[0]).sum(0)
        return ga, gb

    @staticmethod
    def graph_backward(ctx, saved, g):
        a_array, b_array = ctx.saved_tensors
        a, b = saved.input(0, a_array), saved.input(1, b_array)
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(1) if b.ndim == 1 else b
        batch = np.broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
        g2 = g.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = g2 @ b2.transpose(-1, -2)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if ctx.needs_input_grad[1]:
            gb = a2.transpose(-1, -2) @ g2
            if b.ndim == 1:
                gb = gb[..., 0].reshape(-1, b.shape[0]).sum(0)
        return ga, gb


class Einsum(Function):
    """einsum over explicit subscripts ('ij,jk->ik'); each operand's gradient is an einsum."""

    @staticmethod
    def forward(ctx, eq, *ops):
        ins, out = eq.split("->")
        ins = ins.split(",")
        ctx.c = (ins, out, ops)
        return np.einsum(eq, *ops, optimize=True)

    @staticmethod
    def backward(ctx, g):
        ins, out, ops = ctx.c
        grads = [None]
        for i, sub in enumerate(ins):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ins) if j != i]
            arrays = [o for j, o in enumerate(ops) if j != i]
            # labels of operand i missing from the output and the others are summed: restore by broadcasting
            present = set(out).union(*others) if others else set(out)
            keep = "".join(ch for ch in sub if ch in present)
            eq = ",".join([out] + others) + "->" + "".join(dict.fromkeys(keep))
            gi = np.einsum(eq, g, *arrays, optimize=True)
            # map back to operand i's (possibly repeated / summed) labels
            uniq = "".join(dict.fromkeys(keep))
            full = np.zeros(ops[i].shape, dtype=g.dtype)
            src_labels = uniq
            # broadcast over labels summed away inside operand i
            expand = np.einsum(f"{src_labels}->{src_labels}", gi)
            shape_map = {ch: ops[i].shape[k] for k, ch in enumerate(sub)}
            target = np.broadcast_to(
                expand.reshape([shape_map[ch] if ch in src_labels else 1 for ch in dict.fromkeys(sub)]),
                [shape_map[ch] for ch in dict.fromkeys(sub)])
            if len(set(sub)) == len(sub):
                perm = [list(dict.fromkeys(sub)).index(ch) for ch in sub]
                full = np.transpose(target, perm) if perm != list(range(len(perm))) else target
                full = np.ascontiguousarray(full)
            else:  # repeated label (diagonal): write onto the diagonal
                view = np.einsum(f"{sub}->{''.join(dict.fromkeys(sub))}", full)
                view[...] = target
            grads.append(full)
        return tuple(grads)

    @staticmethod
    def graph_backward(ctx, saved, g):
        """Each operand's gradient as a recorded einsum of ``g`` and the other operands (labels summed away
        inside the operand are broadcast back); an operand with a repeated label (a diagonal) is refused."""
        ins, out, ops = ctx.c
        if any(len(set(sub)) != len(sub) for i, sub in enumerate(ins) if ctx.needs_input_grad[i + 1]):
            return saved.without_graph(g)
        operands = [saved.input(j + 1, o) for j, o in enumerate(ops)]
        grads = [None]
        for i, sub in enumerate(ins):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ins) if j != i]
            present = set(out).union(*others) if others else set(out)
            keep = "".join(ch for ch in sub if ch in present)
            gi = Einsum.apply(",".join([out] + others) + "->" + keep, g,
                              *[o for j, o in enumerate(operands) if j != i])
            if keep != sub:     # labels only operand i has: its gradient is constant along them
                gi = gi.reshape([ops[i].shape[k] if ch in present else 1 for k, ch in enumerate(sub)])
                gi = gi.expand(*ops[i].shape)
            grads.append(gi)
        return tuple(grads)
