r"""``einsum``: PyTorch's equation parsing, checks and broadcasting, computed by NumPy's ``einsum``.

An equation names each operand's dims with letters (``'bij,bjk->bik'``); ``...`` stands for the dims not
named, aligned from the right and broadcast across operands; without ``->`` the output is ``...`` followed by
the letters that occur once, in alphabetical order (capitals first). Letters missing from the output are
summed; a letter repeated within an operand takes its diagonal; a dim of size 1 broadcasts against the
same letter's size elsewhere. The sublist form ``einsum(x, [0, 1], y, [1, 2], [0, 2])`` numbers the dims
instead (0-25 are ``A``-``Z``, 26-51 ``a``-``z``, ``Ellipsis`` is ``...``).

Here the ellipsis dims get letters of their own, operands of size 1 along a broadcast dim are expanded
(so their gradients sum back), and :class:`npgrad.ops.linalg.Einsum` computes the explicit equation:

.. math:: \text{out}[o] = \sum_{s} \prod_k \text{op}_k[\text{labels}_k]

Example:
    >>> import npgrad
    >>> x = npgrad.ones(2, 3, 4)
    >>> npgrad.einsum('...ij->...ji', x).shape
    npgrad.Size([2, 4, 3])
    >>> npgrad.einsum(x, [0, 1, 2], npgrad.ones(2, 4, 5), [0, 2, 3], [0, 1, 3]).shape
    npgrad.Size([2, 3, 5])
"""
from __future__ import annotations

import string

from ..tensor import Tensor, _scalar_name

__all__ = ["einsum"]

_ELLIPSIS = "..."


def einsum(*args):
    """``torch.einsum(equation, *operands)`` or the sublist form ``torch.einsum(op, sublist, ..., [out])``."""
    from .linalg import Einsum

    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _from_sublists(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
    operands = list(operands)
    for i, op in enumerate(operands):
        if not isinstance(op, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got {type(op).__name__}")
    if not operands:  # an empty list of operands: as if none were given
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    inputs, output = _parse(equation, len(operands))
    equation, operands = _explicit(inputs, output, operands)
    first = operands[0]._data.dtype
    for op in operands[1:]:
        if op._data.dtype != first:
            raise RuntimeError(f"expected scalar type {_scalar_name(first)} but found {_scalar_name(op._data.dtype)}")
    return Einsum.apply(equation, *operands)


def _from_sublists(args):
    """The equation and operands of the sublist form (PyTorch's ``parse_subscript``)."""
    def letter(n):
        if n == Ellipsis:
            return _ELLIPSIS
        if n >= 0 and n < 26:
            return chr(ord("A") + n)
        if n >= 26 and n < 52:
            return chr(ord("a") + n - 26)
        raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")

    equation = ",".join("".join(letter(s) for s in sub) for sub in args[1::2])
    if len(args) % 2 == 1:
        return equation + "->" + "".join(letter(s) for s in args[-1]), args[:-1:2]
    return equation, args[::2]


def _parse(equation, num_ops):
    """Each operand's labels (letters and ``...``) and the output's (``None`` when implicit), with PyTorch's
    errors: the index of a bad character counts every character of the equation, spaces included."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    inputs, cur, seen_ell, i = [[]], 0, False, 0
    while i < len(lhs):
        ch = lhs[i]
        if ch == ".":
            if seen_ell:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an ellipsis was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part of any ellipsis")
            inputs[cur].append(_ELLIPSIS)
            seen_ell, i = True, i + 2
        elif ch == ",":
            cur += 1
            if cur >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            inputs.append([])
            seen_ell = False
        elif ch != " ":
            _check_letter(ch, i)
            inputs[cur].append(ch)
        i += 1
    if cur != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if arrow < 0:
        return inputs, None
    rhs, output, seen_ell, i = equation[arrow + 2:], [], False, 0
    counts = {ch for labels in inputs for ch in labels}
    while i < len(rhs):
        ch = rhs[i]
        if ch == ".":
            if seen_ell:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
            if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
            output.append(_ELLIPSIS)
            seen_ell, i = True, i + 2
        elif ch != " ":
            _check_letter(ch, len(lhs) + 2 + i)
            if ch in output:
                raise RuntimeError(f"einsum(): output subscript {ch} appears more than once in the output")
            if ch not in counts:
                raise RuntimeError(f"einsum(): output subscript {ch} does not appear in the equation for any input "
                                   "operand")
            output.append(ch)
        i += 1
    return inputs, output


def _check_letter(ch, index):
    if not ("a" <= ch <= "z" or "A" <= ch <= "Z"):
        raise RuntimeError(f"einsum(): invalid subscript given at index {index} in the equation string, subscripts "
                           "must be in [a-zA-Z]")


def _explicit(inputs, output, operands):
    """The equation with letters for the ellipsis dims and an explicit output, and the operands expanded
    where a dim of size 1 broadcasts; PyTorch's checks of ranks and sizes."""
    ell_num_dim = 0
    for i, (labels, op) in enumerate(zip(inputs, operands)):
        named = sum(1 for ch in labels if ch != _ELLIPSIS)
        has_ell = _ELLIPSIS in labels
        if has_ell:
            ell_num_dim = max(ell_num_dim, op.ndim - named)
        if (named > op.ndim) if has_ell else (named != op.ndim):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               + ("is more than" if has_ell else "does not match")
                               + f" the number of dimensions ({op.ndim}) for operand {i}"
                               + ("" if has_ell else " and no ellipsis was given"))
    used = {ch for labels in inputs for ch in labels}
    free = [ch for ch in string.ascii_letters if ch not in used]
    ell_letters = free[:ell_num_dim]
    # each operand's letters, one per dim; the sizes seen for each letter
    letters, sizes = [], {}
    for i, (labels, op) in enumerate(zip(inputs, operands)):
        own, dim = [], 0
        for ch in labels:
            if ch == _ELLIPSIS:
                n = op.ndim - (len(labels) - 1)
                for letter in ell_letters[ell_num_dim - n:]:
                    size = op.shape[dim]
                    if size != 1:
                        if sizes.get(letter, 1) not in (1, size):
                            raise RuntimeError(f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size "
                                               f"{size} which does not broadcast with previously seen ellipsis with "
                                               f"size {sizes[letter]} for the respective dimension")
                        sizes[letter] = size
                    own.append(letter)
                    dim += 1
                continue
            size = op.shape[dim]
            if ch in own:
                prev = op.shape[own.index(ch)]
                if size != prev:
                    raise RuntimeError(f"einsum(): subscript {ch} is repeated for operand {i} but the sizes don't "
                                       f"match, {size} != {prev}")
            elif size != 1:
                if sizes.get(ch, 1) not in (1, size):
                    raise RuntimeError(f"einsum(): subscript {ch} has size {size} for operand {i} which does not "
                                       f"broadcast with previously seen size {sizes[ch]}")
                sizes[ch] = size
            own.append(ch)
            dim += 1
        letters.append(own)
    ops = []
    for own, op in zip(letters, operands):
        shape = tuple(sizes.get(ch, 1) for ch in own)
        ops.append(op if shape == tuple(op.shape) else op.expand(shape))
    if output is None:
        counts = {}
        for labels in inputs:
            for ch in labels:
                counts[ch] = counts.get(ch, 0) + 1
        out = ell_letters + sorted(ch for ch, c in counts.items() if c == 1 and ch != _ELLIPSIS)
    else:
        out = []
        for ch in output:
            out.extend(ell_letters if ch == _ELLIPSIS else [ch])
    return ",".join("".join(own) for own in letters) + "->" + "".join(out), ops
