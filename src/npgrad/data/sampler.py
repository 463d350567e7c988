"""Samplers: the order in which a DataLoader visits a map-style dataset.

As in ``torch.utils.data``: a sampler yields indices, a ``BatchSampler`` groups them into
lists. Random orders come from ``npgrad.random.rng(generator)``: the given
``npgrad.Generator``, or the default generator (``npgrad.manual_seed``) when ``None``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _rng(generator):
    from ..random import rng

    return rng(generator)


class Sampler:
    """Base class: subclasses define ``__iter__`` over indices (and ``__len__`` if known)."""

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Example:
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices (or ``num_samples`` draws with replacement).

    Without replacement and with ``num_samples > len(data_source)``, whole permutations
    follow one another and the last one is cut short, as in PyTorch.

    Example:
        >>> import npgrad
        >>> sorted(RandomSampler(range(4), generator=npgrad.Generator().manual_seed(0)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        rng = _rng(self.generator)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        order = []
        for _ in range(self.num_samples // n):
            order.extend(rng.permutation(n).tolist())
        if self.num_samples % n:
            order.extend(rng.permutation(n)[: self.num_samples % n].tolist())
        return iter(order)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order.

    Example:
        >>> import npgrad
        >>> sorted(SubsetRandomSampler([7, 3, 5], generator=npgrad.Generator().manual_seed(0)))
        [3, 5, 7]
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        order = _rng(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order.tolist()])

    def __len__(self) -> int:
        return len(self.indices)


def _multinomial(weights: np.ndarray, num_samples: int, replacement: bool, rng) -> np.ndarray:
    """``num_samples`` indices drawn with probability :math:`p_i = w_i / \\sum_j w_j`.

    With replacement the draws are independent. Without, index ``i`` is ranked by the key
    :math:`w_i / E_i` with :math:`E_i \\sim \\mathrm{Exp}(1)` and the largest keys are taken
    (sequential weighted sampling without replacement); once the indices of non-zero weight
    run out, zero-weight indices follow. Invalid weights raise PyTorch's ``multinomial`` errors.
    """
    if replacement:
        if np.any(weights < 0) or np.isnan(weights).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not np.isfinite(weights).all():
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if not weights.sum() > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        return rng.choice(len(weights), size=num_samples, replace=True, p=weights / weights.sum())
    if num_samples > len(weights):
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not (np.isfinite(weights).all() and np.all(weights >= 0)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if not weights.sum() > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    keys = weights / rng.exponential(size=len(weights))
    return np.argsort(-keys, kind="stable")[:num_samples]


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability :math:`p_i = w_i / \\sum_j w_j`.

    ``weights`` is kept as a float64 tensor. Without replacement, each index is drawn
    at most once (so ``num_samples <= len(weights)``).

    Example:
        >>> import npgrad
        >>> list(WeightedRandomSampler([0.0, 1.0], 3, generator=npgrad.Generator().manual_seed(0)))
        [1, 1, 1]
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        from ..tensor import Tensor

        weights = np.asarray(getattr(weights, "_data", weights), dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = Tensor._wrap(weights)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        weights = np.asarray(getattr(self.weights, "_data", self.weights), dtype=np.float64)
        yield from _multinomial(weights, self.num_samples, self.replacement, _rng(self.generator)).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    The last, shorter batch is kept unless ``drop_last``; so there are
    :math:`\\lceil n / b \\rceil` batches, or :math:`\\lfloor n / b \\rfloor` with ``drop_last``.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
