"""Datasets: the map-style ``Dataset`` and its building blocks, as in ``torch.utils.data``.

A map-style dataset answers ``len(ds)`` and ``ds[i]``; ``TensorDataset`` wraps tensors
that share their first dimension, ``Subset`` picks indices, ``ConcatDataset`` chains
datasets and ``random_split`` cuts one into random, non-overlapping parts.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings


__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``).

    ``a + b`` concatenates two datasets into a :class:`ConcatDataset`.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i * i
        >>> [Squares()[i] for i in range(4)]
        [0, 1, 4, 9]
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset read as a stream: subclasses define ``__iter__``.

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(3))
        >>> list(Count())
        [0, 1, 2]
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        raise TypeError("ChainDataset of IterableDatasets is not supported; use itertools.chain")


def _first_dim(tensor) -> int:
    shape = tensor.shape
    if len(shape) == 0:
        raise IndexError("tensors in a TensorDataset need at least one dimension")
    return shape[0]


class TensorDataset(Dataset):
    """Samples are the rows of tensors that share their first dimension.

    ``ds[i] == tuple(t[i] for t in tensors)``.

    Example:
        >>> import npgrad
        >>> ds = TensorDataset(npgrad.arange(6).reshape(3, 2), npgrad.tensor([0, 1, 0]))
        >>> len(ds), ds[1][1].item()
        (3, 1)
    """

    def __init__(self, *tensors):
        if tensors and not all(_first_dim(tensors[0]) == _first_dim(t) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return _first_dim(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Example:
        >>> Subset(list("abcdef"), [4, 0])[0]
        'e'
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[idx] for idx in indices])
        return [self.dataset[self.indices[idx]] for idx in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after the other.

    Sample ``i`` comes from the dataset ``d`` with ``c_{d-1} \\le i < c_d``, where
    :math:`c_d = \\sum_{k \\le d} |D_k|` are the ``cumulative_sizes``.

    Example:
        >>> ds = ConcatDataset([[1, 2], [3, 4, 5]])
        >>> len(ds), ds[2], ds.cumulative_sizes
        (5, 3, [2, 5])
    """

    @staticmethod
    def cumsum(sequence) -> list[int]:
        sizes, total = [], 0
        for dataset in sequence:
            total += len(dataset)
            sizes.append(total)
        return sizes

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


def _split_lengths(n: int, lengths) -> list[int]:
    """Turn fractions summing to 1 into counts (floors, then the remainder round-robin)."""
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        remainder = n - sum(counts)
        for i in range(remainder):
            counts[i % len(counts)] += 1
        for i, length in enumerate(counts):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        lengths = counts
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    return lengths


def random_split(dataset, lengths, generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1: each
    split gets :math:`\\lfloor n f_i \\rfloor` items and the remaining items go one each to
    the splits in order, as in PyTorch. The order is a permutation drawn from
    ``generator`` (the default generator when ``None``), so the same seed gives the same
    split.

    Example:
        >>> import npgrad
        >>> train, val = random_split(range(10), [0.7, 0.3], generator=npgrad.Generator().manual_seed(0))
        >>> len(train), len(val)
        (7, 3)
    """
    from ..random import rng

    lengths = _split_lengths(len(dataset), lengths)
    indices = rng(generator).permutation(sum(lengths)).tolist()
    return [Subset(dataset, indices[offset - length:offset])
            for offset, length in zip(itertools.accumulate(lengths), lengths)]

