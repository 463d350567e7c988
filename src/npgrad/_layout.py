"""Memory formats (``contiguous_format``, ``channels_last`` ...) and PyTorch's rules for the strides they give.

A tensor's elements sit in memory in some order of its dims. PyTorch names three orders:

* ``contiguous_format``: the last dim fastest (C order), for every rank;
* ``channels_last``: N, H, W, C from slowest to fastest, for 4-d tensors (``N C H W`` in shape);
* ``channels_last_3d``: N, D, H, W, C, for 5-d tensors;

and ``preserve_format``, which keeps the order the input has. The order decides nothing about values; it
decides which views are possible without a copy and the order in which samplers fill a tensor.
"""
from __future__ import annotations

import numpy as np


class _Named:
    """A named constant that prints as ``npgrad.<name>`` and unpickles to itself."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"npgrad.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


class memory_format(_Named):
    """One of PyTorch's memory formats (``npgrad.channels_last`` ...)."""


class layout(_Named):
    """How a tensor's elements are stored; npgrad's tensors are all ``strided`` (dense)."""


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

# the dims from the fastest to the slowest in memory, and the rank each format needs
_CHANNELS_LAST = {channels_last: ((1, 3, 2, 0), 4), channels_last_3d: ((1, 4, 3, 2, 0), 5)}


def _by_name(name):
    return globals()[name]


def check(fmt, where):
    """``fmt`` itself, or PyTorch's TypeError naming the function when it is not a memory format."""
    if fmt is not None and not isinstance(fmt, memory_format):
        raise TypeError(f"{where}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}")
    return fmt


def strides(a):
    """The strides of array ``a`` in elements, as PyTorch counts them."""
    return tuple(s // a.itemsize for s in a.strides) if a.itemsize else (0,) * a.ndim


def is_contiguous(a, fmt=None):
    """PyTorch's ``is_contiguous(memory_format=fmt)``: are ``a``'s elements packed in the order ``fmt`` names?
    Dims of size 1 may have any stride."""
    if fmt in _CHANNELS_LAST:
        order, rank = _CHANNELS_LAST[fmt]
        if a.ndim != rank:
            return False
        expected, st = 1, strides(a)
        for d in order:
            if a.shape[d] != 1:
                if st[d] != expected:
                    return False
                expected *= a.shape[d]
        return True
    return bool(a.flags.c_contiguous)


def empty(shape, dtype, fmt=None):
    """An uninitialised array of ``shape`` whose elements lie in the order ``fmt`` names."""
    if fmt is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    if fmt in _CHANNELS_LAST:
        order, rank = _CHANNELS_LAST[fmt]
        if len(shape) != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
        return empty_in_order(shape, dtype, order[::-1])
    return np.empty(shape, dtype)


def empty_in_order(shape, dtype, slowest_first, allocate=np.empty):
    """An uninitialised array of ``shape`` whose dims lie in memory in the order ``slowest_first``, its memory
    from ``allocate(shape, dtype)`` (``npgrad.memory.empty`` reuses blocks)."""
    return allocate(tuple(shape[d] for d in slowest_first), dtype).transpose(np.argsort(slowest_first))


def memory_order(a):
    """The dims of ``a`` from the slowest to the fastest in memory (largest stride first)."""
    return sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))


def empty_like(a, dtype=None, fmt=preserve_format, allocate=np.empty):
    """PyTorch's ``empty_like(a, memory_format=fmt)``. For ``preserve_format``: ``a``'s own strides when ``a``
    is dense (no gaps, no overlaps), else packed strides in the order of ``a``'s dims in memory. The memory
    comes from ``allocate(shape, dtype)`` (``npgrad.memory.empty`` gives 64-byte aligned, reused blocks)."""
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if fmt is not None and fmt is not preserve_format:
        return empty(a.shape, dtype, fmt)
    if a.flags.c_contiguous:
        return allocate(a.shape, dtype)
    st = strides(a) if non_overlapping_and_dense(a) else infer_dense_strides(a)
    flat = allocate((a.size,), dtype)
    return np.lib.stride_tricks.as_strided(flat, a.shape, tuple(s * dtype.itemsize for s in st))


def copy(a, fmt=preserve_format, dtype=None):
    """A copy of ``a`` laid out as :func:`empty_like` lays it out (``Tensor.clone``, ``contiguous``)."""
    out = empty_like(a, dtype, fmt)
    np.copyto(out, a, casting="unsafe")
    return out


def non_overlapping_and_dense(a):
    """PyTorch's ``is_non_overlapping_and_dense``: the elements fill a block of memory exactly, in some order."""
    if a.ndim == 1:
        return a.shape[0] < 2 or a.strides[0] == a.itemsize
    st = strides(a)
    # dims of size < 2 go last, as in PyTorch's sort
    perm = sorted(range(a.ndim), key=lambda d: (a.shape[d] < 2, st[d] if a.shape[d] >= 2 else 0))
    required = 1
    for d in perm:
        if a.shape[d] < 2:
            return True
        if st[d] != required:
            return False
        required *= a.shape[d]
    return True


def infer_dense_strides(a):
    """PyTorch's ``infer_dense_strides``: packed strides that keep the order of ``a``'s dims in memory."""
    return _packed(a.shape, sorted_dims(a.shape, strides(a)))


def _packed(sizes, fastest_first):
    """The strides of a packed array whose dims lie in memory in the order ``fastest_first`` (a dim of size 0
    or 1 counts as 1)."""
    out, current = [0] * len(sizes), 1
    for d in fastest_first:
        out[d] = current
        current *= max(sizes[d], 1)
    return tuple(out)


def sorted_dims(sizes, st):
    """The dims from the fastest to the slowest in memory, as PyTorch orders them (TensorIterator's rule): a
    stable insertion sort from the last dim by stride, the smaller size first on equal strides, and a stride
    of 0 keeping its dim's place."""
    def should_swap(d0, d1):
        s0, s1 = st[d0], st[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if sizes[d0] > sizes[d1] else 0

    perm = list(reversed(range(len(sizes))))       # fastest first
    for i in range(1, len(sizes)):
        d1 = i
        for d0 in reversed(range(i)):
            comparison = should_swap(perm[d0], perm[d1])
            if comparison > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif comparison < 0:
                break
    return perm


def suggest(a):
    """PyTorch's ``suggest_memory_format``: ``channels_last`` (or ``_3d``) when ``a``'s strides look like it,
    else ``contiguous_format``. Layers that support both (convolution, pooling, normalisation) give their
    output the format of their input."""
    for fmt, (order, rank) in _CHANNELS_LAST.items():
        if a.ndim == rank and _strides_like(a, order):
            return fmt
    return contiguous_format


def _strides_like(a, order):
    """PyTorch's ``is_channels_last_strides_2d``/``_3d`` heuristic."""
    st = strides(a)
    if st[1] == 0:
        return False
    smallest = 0
    for d in order:
        if a.shape[d] == 0 or st[d] < smallest:
            return False
        if d == 0 and smallest == st[1]:
            return False
        smallest = st[d] * (a.shape[d] if a.shape[d] > 1 else 1)
    return True


def format_strides(shape, fmt):
    """The strides PyTorch gives a new tensor of ``shape`` in format ``fmt`` (dims of size 1 included)."""
    return _packed(shape, _CHANNELS_LAST[fmt][0] if fmt in _CHANNELS_LAST else tuple(reversed(range(len(shape)))))


def as_format(a, fmt, exact=False):
    """``a`` itself when it is already laid out as ``fmt`` names, else a copy that is. ``exact`` also asks for
    PyTorch's strides on the dims of size 1 (which no view depends on, but ``stride()`` shows)."""
    if fmt is None or fmt is preserve_format:
        return a
    if is_contiguous(a, fmt) and (not exact or strides(a) == format_strides(a.shape, fmt)):
        return a
    return copy(a, fmt)
