"""Version counters of memory: how the engine notices values it saved being overwritten.

Every in-place write into a tensor (``add_``, ``t[i] = v``, ``copy_``, ``fill_`` ...)
bumps the counter of the memory it writes, keyed by the array that owns that memory,
so a write through a view counts for its base too. When an op records itself for
backward, the counters of the arrays its context holds are noted; if one has moved by
the time its backward runs, the saved values are no longer those of the forward pass
and the engine raises PyTorch's error instead of returning a wrong gradient.

:func:`alias` gives memory a second owner with a counter of its own: PyTorch's ``.data``
shares the storage of its tensor but not its version counter, so writing through it is
not counted against the values the graph saved (and ``.data``'s own views share its
counter).

Example::

    >>> import numpy as np
    >>> a = np.zeros(4)
    >>> version(a), version(a[1:])
    (0, 0)
    >>> bump(a[1:]); version(a)
    1
    >>> d = alias(a); bump(d); version(d), version(a)
    (1, 1)
"""
from __future__ import annotations

import weakref

import numpy as np

__all__ = ["bump", "version", "note", "modified", "alias", "Deferred"]

_counters: dict = {}   # id(owner array) -> [weakref to it, count]
_writes = [0]          # in-place writes so far, all memory together


def _owner(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _forget(key):
    _counters.pop(key, None)


def bump(a: np.ndarray) -> None:
    """Count one in-place write into ``a``'s memory."""
    owner = _owner(a)
    key = id(owner)
    entry = _counters.get(key)
    if entry is None or entry[0]() is not owner:
        entry = _counters[key] = [weakref.ref(owner, lambda _, k=key: _forget(k)), 0]
    entry[1] += 1
    _writes[0] += 1


def version(a: np.ndarray) -> int:
    """How many in-place writes ``a``'s memory has seen."""
    owner = _owner(a)
    entry = _counters.get(id(owner))
    return entry[1] if entry is not None and entry[0]() is owner else 0


class _SecondOwner:
    """Presents an array's memory to NumPy as its own: ``np.asarray`` of it is an array with no ndarray base,
    the owner of a new version counter (the original array is kept alive through this object)."""

    def __init__(self, array):
        self.__array_interface__ = array.__array_interface__
        self.array = array


def alias(a: np.ndarray, version: int = 0) -> np.ndarray:
    """An array on ``a``'s memory (same shape, strides and place in it) counting its writes apart from ``a``,
    from ``version`` on: the memory of PyTorch's ``.data``."""
    owner = _owner(a)
    second = _SecondOwner(owner)
    root = np.asarray(second)
    if a is owner:
        out = root
    else:
        try:     # a view of the new owner, at a's offset in the memory (storage_offset() stays)
            offset = a.__array_interface__["data"][0] - second.__array_interface__["data"][0]
            out = np.ndarray(a.shape, a.dtype, buffer=root, offset=offset, strides=a.strides)
        except (TypeError, ValueError):
            out = root = np.asarray(_SecondOwner(a))
        if not a.flags.writeable:
            out.flags.writeable = False
    if version:
        _counters[id(root)] = [weakref.ref(root, lambda _, k=id(root): _forget(k)), version]
    return out


class Deferred:
    """An array a context keeps for a later use only (an op that reads an input again for a second backward
    pass, not for the first): the engine does not check it before backward, the op checks it where it reads it.

    ``check()`` gives ``(array, version at record, version now)`` if it was written since, else None.
    """

    __slots__ = ("array", "recorded")

    def __init__(self, array):
        self.array = array
        self.recorded = version(array)

    def check(self):
        now = version(self.array)
        return None if now == self.recorded else (self.array, self.recorded, now)


def _held_arrays(ctx):
    """The arrays ``ctx`` holds, and the memory of the Tensors a user's Function saved with
    ``ctx.save_for_backward`` (PyTorch checks those, not Tensors kept as other attributes); not the
    arrays it keeps as :class:`Deferred`."""
    for name, value in vars(ctx).items():
        if isinstance(value, np.ndarray):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, np.ndarray):
                    yield item
                elif name == "saved_tensors" and isinstance(getattr(item, "_data", None), np.ndarray):
                    yield item._data


def note(ctx) -> None:
    """Remember, on ``ctx``, the versions of the arrays it holds (nothing to scan while no memory was written)."""
    ctx._writes_at_record = _writes[0]
    ctx._versions_at_record = {id(a): version(a) for a in _held_arrays(ctx)} if _counters else None


def modified(ctx):
    """``(array, version at record, version now)`` of an array ``ctx`` holds that was written since, else None."""
    if _writes[0] == getattr(ctx, "_writes_at_record", _writes[0]):
        return None      # no in-place write anywhere since the op was recorded
    recorded = ctx._versions_at_record or {}
    for a in _held_arrays(ctx):
        seen, now = recorded.get(id(a), 0), version(a)
        if now != seen:
            return a, seen, now
    return None
