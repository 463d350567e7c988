"""Variable-length batches for recurrent layers, as ``torch.nn.utils.rnn``.

A :class:`PackedSequence` stores a batch of sequences time step by time step:
``data`` holds, for each step :math:`t`, the rows of the :math:`b_t` sequences
that are still running (``batch_sizes[t]`` = :math:`b_t`, non-increasing),
sequences ordered by decreasing length.  Recurrent layers then never compute on
padding, and each sequence's final state is taken at its own last step.

Example::

    import npgrad
    from npgrad.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    x = npgrad.randn(4, 3, 2)                      # (T, B, features)
    packed = pack_padded_sequence(x, [4, 2, 3], enforce_sorted=False)
    padded, lengths = pad_packed_sequence(packed)  # padded: (4, 3, 2), lengths: [4, 2, 3]
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

import npgrad
from npgrad.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences in packed, time-major layout.

    Build it with :func:`pack_padded_sequence` or :func:`pack_sequence`, never by
    hand.  ``data`` is ``(sum(lengths), *)``, ``batch_sizes`` an int64 tensor of
    length ``max(lengths)``; ``sorted_indices`` orders the original batch by
    decreasing length and ``unsorted_indices`` undoes it (``None`` when the batch
    was already sorted).

    Example::

        import npgrad
        from npgrad.nn.utils.rnn import pack_sequence
        p = pack_sequence([npgrad.ones(3), npgrad.ones(1)])
        p.batch_sizes                                   # tensor([2, 1, 1])
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _replace_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace_data(data)

    def cpu(self):
        return self

    def double(self):
        return self._replace_data(self.data.double())

    def float(self):
        return self._replace_data(self.data.float())

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def invert_permutation(permutation: Optional[Tensor]) -> Optional[Tensor]:
    """The permutation :math:`q` with :math:`q[p[i]] = i`; ``None`` stays ``None``."""
    if permutation is None:
        return None
    p = np.asarray(permutation._data if isinstance(permutation, Tensor) else permutation, dtype=np.int64)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(len(p), dtype=np.int64)
    return npgrad.from_numpy(inverse)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.ndim}D {lengths.dtype} tensor")
        return lengths._data.astype(np.int64)
    return np.asarray(list(lengths), dtype=np.int64).reshape(-1)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (or ``(B, T, *)``) of sequences of the given lengths.

    With ``enforce_sorted=True`` the lengths must be non-increasing; otherwise the
    batch is sorted by decreasing length and the permutation is kept in the result.

    Example::

        import npgrad
        from npgrad.nn.utils.rnn import pack_padded_sequence
        p = pack_padded_sequence(npgrad.randn(3, 2, 5), [3, 1])
        p.data.shape, p.batch_sizes                     # (4, 5), tensor([2, 1, 1])
    """
    lengths = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if len(lengths) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lengths)} (batch_size={input.shape[batch_dim]})")
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                "to sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = npgrad.from_numpy(order.astype(np.int64))
        input = input.index_select(batch_dim, sorted_indices)
    if len(lengths) and lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if len(lengths) and lengths[0] > steps:
        raise RuntimeError(f"Expected sequence length to be larger than or equal to the maximum "
                           f"length, but got {steps} and {lengths[0]}")
    max_length = int(lengths[0]) if len(lengths) else 0
    batch_sizes = (lengths[None, :] > np.arange(max_length)[:, None]).sum(axis=1).astype(np.int64)
    rows = np.concatenate([t * batch + np.arange(b) for t, b in enumerate(batch_sizes)]) \
        if max_length else np.zeros(0, np.int64)
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat.index_select(0, npgrad.from_numpy(rows.astype(np.int64)))
    return PackedSequence(data, npgrad.from_numpy(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: Optional[int] = None):
    """Inverse of :func:`pack_padded_sequence`: a padded batch and the lengths (int64).

    The batch comes back in the original order; ``total_length`` pads the time
    dimension beyond the longest sequence.

    Example::

        import npgrad
        from npgrad.nn.utils.rnn import pack_sequence, pad_packed_sequence
        padded, lengths = pad_packed_sequence(pack_sequence([npgrad.ones(2), npgrad.ones(3)],
                                                            enforce_sorted=False))
        lengths                                          # tensor([2, 3])
    """
    data, batch_sizes = sequence.data, sequence.batch_sizes._data.astype(np.int64)
    max_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_length:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, "
                f"but got total_length={total_length} and max sequence length being {max_length}")
    else:
        total_length = max_length
    batch = int(batch_sizes[0]) if max_length else 0
    # index into [data; padding row]: every padded slot points at the padding row
    rows = np.full((total_length, batch), data.shape[0], dtype=np.int64)
    start = 0
    for t, b in enumerate(batch_sizes):
        rows[t, :b] = np.arange(start, start + b)
        start += b
    pad = npgrad.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    source = npgrad.cat([data, pad], 0)
    padded = source.index_select(0, npgrad.from_numpy(rows.reshape(-1)))
    padded = padded.reshape(total_length, batch, *data.shape[1:])
    lengths = (batch_sizes[:, None] > np.arange(batch)[None, :]).sum(axis=0).astype(np.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(1, unsorted)
        lengths = lengths[unsorted._data]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, npgrad.from_numpy(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (or ``(B, max L, *)``).

    Example::

        import npgrad
        from npgrad.nn.utils.rnn import pad_sequence
        pad_sequence([npgrad.ones(2), npgrad.ones(3)], batch_first=True)   # shape (2, 3)
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_length = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = max_length - s.shape[0]
        if missing:
            pad = npgrad.full((missing, *s.shape[1:]), padding_value, dtype=s.dtype)
            s = npgrad.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return npgrad.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False):
    """Split a padded batch back into a list of tensors of the given lengths."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors ``(L_i, *)``: :func:`pad_sequence` then :func:`pack_padded_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence):
    """Inverse of :func:`pack_sequence`: the list of tensors, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
