"""Reused memory for large temporaries: the page faults of a training step, paid once.

A training step allocates the same large arrays every time (activations, their
gradients, masks) and frees them all at its end. The C allocator hands such
blocks back to the operating system when they are freed (glibc trims the top of
its heap, and maps blocks of over 128 KiB separately), so the next step touches
fresh pages again: one page fault per 4 KiB, about a third of a 4096-row MLP
step on this kind of machine. PyTorch's CPU tensors pay the same.

:func:`empty` instead leases a block from a small cache: the array it returns is
an ordinary ``ndarray`` whose ``base`` is a lease; when the last array or view
of that memory dies, the lease's finalizer puts the block back for the next
array of that size. Memory is never handed out twice while any view of it is
alive (it returns only through reference counting), and blocks beyond
:data:`CACHE_LIMIT` bytes are freed at once. Small arrays (under
:data:`MIN_BYTES`) come from ``numpy.empty``, whose allocator already reuses them.

Example::

    >>> import numpy as np
    >>> from npgrad import memory
    >>> a = memory.empty((512, 512), np.float32)
    >>> a.shape, a.dtype, a.flags.c_contiguous
    ((512, 512), dtype('float32'), True)
    >>> address = a.ctypes.data
    >>> del a
    >>> memory.empty((512, 512), np.float32).ctypes.data == address   # the same block, no new pages
    True
    >>> memory.empty_cache()
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["empty", "empty_like", "like", "empty_cache", "cached_bytes", "stats", "MIN_BYTES", "CACHE_LIMIT"]

MIN_BYTES = 1 << 17            # below this, numpy.empty (the C allocator keeps small blocks)
CACHE_LIMIT = 1 << 28          # bytes kept for reuse at most; beyond, freed blocks go back to the system
_ALIGN = 64                    # a cache line: whole-vector loads never straddle two

_free: dict[int, list] = {}    # block size -> blocks ready for reuse
_cached = [0]                  # bytes held in _free
_counts = {"fresh": 0, "reused": 0}   # blocks taken from the system / from the cache, since import
_lock = threading.Lock()


class _Lease:
    """Owner of one leased block: NumPy arrays built on it keep it alive; its end returns the block."""

    __slots__ = ("__array_interface__", "block")

    def __init__(self, block, address, shape, typestr):
        self.block = block
        self.__array_interface__ = {"data": (address, False), "shape": shape, "typestr": typestr, "version": 3}

    def __del__(self):
        try:
            _give_back(self.block)
        except Exception:  # interpreter shutdown: the module may already be torn down
            pass


def _give_back(block) -> None:
    size = block.size
    with _lock:
        if _cached[0] + size <= CACHE_LIMIT:
            _free.setdefault(size, []).append(block)
            _cached[0] += size


def empty(shape, dtype) -> np.ndarray:
    """A C-contiguous uninitialised array, its memory reused from an earlier array of the same size."""
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    size = -(-nbytes // 4096) * 4096 + _ALIGN
    with _lock:
        blocks = _free.get(size)
        if blocks:
            block = blocks.pop()
            _cached[0] -= size
            _counts["reused"] += 1
        else:
            block = None
            _counts["fresh"] += 1
    if block is None:
        block = np.empty(size, np.uint8)
    address = block.ctypes.data
    address += -address % _ALIGN
    return np.asarray(_Lease(block, address, shape, dtype.str))


def empty_like(a: np.ndarray) -> np.ndarray:
    """:func:`empty` with ``a``'s shape and dtype (C order)."""
    return empty(a.shape, a.dtype)


def like(*operands):
    """The ``out=`` array for an elementwise ufunc over ``operands``, or ``None`` (NumPy allocates).

    A leased array when the operands are arrays of one floating dtype (and Python
    numbers, which take that dtype) and the result is large; ``None`` otherwise,
    so that NumPy's own rules decide every other result type::

        y = np.multiply(g, mask, out=memory.like(g, mask))   # mask bool: None, NumPy allocates
    """
    dtype = None
    big = False
    plain = True
    shapes = []
    for a in operands:
        if isinstance(a, np.ndarray):
            if dtype is None:
                dtype = a.dtype
            elif a.dtype != dtype:
                return None
            big = big or a.nbytes >= MIN_BYTES
            plain = plain and a.flags.c_contiguous
            shapes.append(a.shape)
        elif not isinstance(a, (int, float)) or isinstance(a, np.generic):
            return None
    if dtype is None or dtype.kind != "f":
        return None
    shape = np.broadcast_shapes(*shapes)
    lead = None if plain else next((a for a in operands if isinstance(a, np.ndarray) and a.shape == shape), None)
    if lead is not None:
        return _laid_out_like(lead, shape, dtype)
    return empty(shape, dtype) if big else None


def _laid_out_like(lead, shape, dtype):
    """The result of an elementwise op over operands not all in C order, laid out as PyTorch's TensorIterator
    lays it out: like ``lead``, its first operand of the result's full shape (a channels-last or transposed
    one keeps its order of dims in memory), or ``None`` (NumPy decides) where that operand has gaps."""
    from . import _layout

    if lead.flags.c_contiguous:
        return empty(shape, dtype)
    if not _layout.non_overlapping_and_dense(lead):
        return None
    return _layout.empty_in_order(shape, dtype, _layout.memory_order(lead), allocate=empty)


def empty_cache() -> None:
    """Free every block kept for reuse (arrays still alive keep theirs)."""
    with _lock:
        _free.clear()
        _cached[0] = 0


def cached_bytes() -> int:
    """Bytes kept for reuse now, not counting blocks in use."""
    return _cached[0]


def stats() -> dict:
    """``{"fresh": n, "reused": n, "cached_bytes": n}``: blocks taken from the system and from the cache so far."""
    with _lock:
        return dict(_counts, cached_bytes=_cached[0])
