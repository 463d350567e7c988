r"""``searchsorted`` and ``bucketize``: where values fall among sorted boundaries (no gradient).

For each value :math:`v` the index :math:`i` with :math:`b_{i-1} < v \le b_i` (``side='left'``, the first
:math:`i` with :math:`b_i \ge v`) or :math:`b_{i-1} \le v < b_i` (``side='right'``, the first :math:`i` with
:math:`b_i > v`), found by PyTorch's binary search: a NaN compares false both ways, so a NaN value, and a
value beside a NaN boundary, lands where that search lands. The boundaries are 1-d, or a batch of rows
whose leading sizes match the values'.

Example:
    >>> import npgrad
    >>> b = npgrad.tensor([1, 3, 5, 7])
    >>> npgrad.searchsorted(b, npgrad.tensor([3, 6]), side="right")
    tensor([2, 3])
    >>> npgrad.bucketize(npgrad.tensor([3, 6]), b)
    tensor([1, 3])
"""
from __future__ import annotations

import numpy as np

from .._ranges import scalar_value
from ..tensor import Tensor, _scalar_name, promote_types, result_type

__all__ = ["searchsorted", "bucketize"]


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """The indices at which ``input`` would be inserted into the last dim of ``sorted_sequence`` to keep it
    sorted (``sorter`` sorts it, if given); int64, or int32 with ``out_int32``."""
    right = _side(side, right)
    bounds = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    if scalar:
        input = scalar_value(input, "input")
    values = np.asarray(input._data if not scalar else input)
    if bounds.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if bounds.ndim > 1 and values.ndim == 0:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension "
                           f"is 1, but we got boundaries tensor dim({bounds.ndim}) and input value's "
                           f"dim({values.ndim}) numel({values.size})")
    if bounds.ndim > 1 and bounds.shape[:-1] != values.shape[:-1]:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got boundaries "
                           f"tensor {list(bounds.shape)} and input value tensor {list(values.shape)}")
    if sorter is not None:
        bounds = _sorted_by(bounds, sorter)
    dt = result_type(sorted_sequence, input) if scalar else promote_types(bounds.dtype, values.dtype)
    if dt == np.bool_:
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    bounds, values = bounds.astype(dt, copy=False), values.astype(dt, copy=False)
    index = np.int32 if out_int32 else np.int64
    if bounds.ndim == 1 and (bounds.size < 2 or bool(np.all(bounds[1:] >= bounds[:-1]))):
        # sorted without NaN: NumPy's search finds the same places
        found = np.searchsorted(bounds, values, side="right" if right else "left")
    else:
        found = _binary_search(bounds, values, right)
    return Tensor._wrap(np.asarray(found, dtype=index))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the 1-d sorted ``boundaries``: ``i`` with
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=False``) or ``boundaries[i-1] <= x < boundaries[i]``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _side(side, right):
    """Whether to search from the right, from ``side`` and ``right`` (PyTorch's errors when they disagree)."""
    if side is None:
        return bool(right)
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left while "
                           "right was True")
    return side == "right"


def _sorted_by(bounds, sorter):
    """``bounds`` reordered along its last dim by the index tensor ``sorter``, checked as PyTorch checks it."""
    order = sorter._data
    if order.shape != bounds.shape:
        raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                           f"tensor {list(bounds.shape)}and got sorter tensor {list(order.shape)}")
    if order.dtype != np.int64:
        raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                           f"{_scalar_name(order.dtype)}")
    if order.size and (order.min() < 0 or order.max() >= bounds.shape[-1]):
        raise RuntimeError("torch.searchsorted(): sorter index out of range")
    return np.take_along_axis(bounds, order, axis=-1)


def _binary_search(bounds, values, right):
    """PyTorch's lower (upper) bound, for all values at once: move right while not ``b[mid] >= v``
    (``b[mid] > v``), else left, over each value's row of ``bounds``."""
    n = bounds.shape[-1]
    if bounds.ndim == 1:
        rows, flat = np.zeros(values.shape, np.int64), bounds.reshape(1, n)
    else:
        lead = bounds.shape[:-1]
        flat = bounds.reshape(-1, n)
        rows = np.broadcast_to(np.arange(flat.shape[0]).reshape(lead + (1,)), values.shape)
    start = np.zeros(values.shape, np.int64)
    end = np.full(values.shape, n, np.int64)
    with np.errstate(invalid="ignore"):
        while True:
            active = start < end
            if not active.any():
                return start
            mid = start + ((end - start) >> 1)
            pivot = flat[rows, np.minimum(mid, n - 1)]
            go_right = ~(pivot > values) if right else ~(pivot >= values)
            start = np.where(active & go_right, mid + 1, start)
            end = np.where(active & ~go_right, mid, end)
