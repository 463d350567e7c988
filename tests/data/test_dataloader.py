"""DataLoader, samplers, collate and the dataset classes against torch.utils.data."""
import collections
import warnings

import numpy as np
import pytest

import npgrad
from npgrad.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                         SequentialSampler, Subset, TensorDataset, default_collate, random_split)
from oracle import Golden, torch

golden = Golden("data_loader")

N, D = 10, 3
X_NP = np.arange(N * D, dtype=np.float32).reshape(N, D)
Y_NP = np.arange(N, dtype=np.int64) % 3


def _np(batch):
    """A collated batch as nested lists/dicts of NumPy arrays (from npgrad or torch)."""
    if isinstance(batch, dict):
        return {k: _np(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [_np(v) for v in batch]
    if hasattr(batch, "numpy"):
        return batch.numpy()
    return np.asarray(batch)


def _assert_same(ours, ref):
    if isinstance(ref, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(ref)
        for k in ref:
            _assert_same(ours[k], ref[k])
    elif isinstance(ref, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(ref)
        for a, b in zip(ours, ref):
            _assert_same(a, b)
    else:
        ours = np.asarray(ours)
        assert ours.dtype == ref.dtype, (ours.dtype, ref.dtype)
        np.testing.assert_array_equal(ours, ref)


def _torch_tensor_dataset():
    return torch.utils.data.TensorDataset(torch.from_numpy(X_NP), torch.from_numpy(Y_NP))


@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (5, False), (1, False), (20, False)])
def test_batches_match_torch(batch_size, drop_last):
    ds = TensorDataset(npgrad.from_numpy(X_NP), npgrad.from_numpy(Y_NP))
    ours = [_np(b) for b in DataLoader(ds, batch_size=batch_size, drop_last=drop_last)]

    def ref():
        loader = torch.utils.data.DataLoader(_torch_tensor_dataset(), batch_size=batch_size, drop_last=drop_last)
        return [[x.numpy(), y.numpy()] for x, y in loader]

    expected = golden(f"tensor/{batch_size}/{drop_last}", ref)
    _assert_same(ours, expected)
    assert len(DataLoader(ds, batch_size=batch_size, drop_last=drop_last)) == len(expected)


class _Samples(Dataset):
    """Samples of every kind default_collate handles."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {
            "array": np.full((2,), i, dtype=np.float64),
            "int": i,
            "float": i / 2,
            "bool": bool(i % 2),
            "np_scalar": np.float32(i),
            "pair": (i, np.int32(-i)),
            "list": [i * 1.5, i],
        }


def test_collate_structure_matches_torch():
    ours = [_np(b) for b in DataLoader(_Samples(), batch_size=2)]

    def ref():
        class TorchSamples(torch.utils.data.Dataset):
            __len__ = _Samples.__len__
            __getitem__ = _Samples.__getitem__

        return [_np(b) for b in torch.utils.data.DataLoader(TorchSamples(), batch_size=2)]

    _assert_same(ours, golden("collate/dict", ref))


def test_collate_tuple_gives_list_and_strings_become_a_tuple():
    batch = default_collate([(npgrad.zeros(2), "a"), (npgrad.ones(2), "b")])
    assert isinstance(batch, list)
    assert batch[1] == ("a", "b")          # torch: strings inside a sequence collate to a tuple
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.dtype == npgrad.int64 and p.y.dtype == npgrad.float64


def test_collate_errors_match_torch():
    def message(fn):
        try:
            fn()
        except (TypeError, RuntimeError) as e:
            return f"{type(e).__name__}: {e}"
        return "no error"

    cases = {
        "uneven": lambda c: c([[1, 2], [3]]),
        "object": lambda c: c([object(), object()]),
    }
    for name, case in cases.items():
        ours = message(lambda: case(default_collate))
        ref = golden(f"collate_error/{name}", lambda: message(lambda: case(torch.utils.data.default_collate)))
        if name == "object":  # torch names its own class path; the wording before it must agree
            assert ours.split("found")[0] == str(ref).split("found")[0]
        else:
            assert ours == str(ref)


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=2, shuffle=True, sampler="seq"),
    dict(batch_sampler="bs", batch_size=2),
    dict(batch_sampler="bs", drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(batch_size=0),
])
def test_option_errors_match_torch(kwargs):
    def build(lib, ds):
        kw = dict(kwargs)
        if kw.get("sampler") == "seq":
            kw["sampler"] = lib.SequentialSampler(ds)
        if kw.get("batch_sampler") == "bs":
            kw["batch_sampler"] = lib.BatchSampler(lib.SequentialSampler(ds), 2, False)
        try:
            lib.DataLoader(ds, **kw)
        except ValueError as e:
            return str(e)
        return "no error"

    import npgrad.data as ours_lib

    ours = build(ours_lib, list(range(6)))
    ref = golden(f"option_error/{sorted(kwargs.items())}", lambda: build(torch.utils.data, list(range(6))))
    assert ours == str(ref)
    assert ours != "no error"


@pytest.mark.parametrize("n,lengths", [(10, [0.7, 0.3]), (11, [0.5, 0.25, 0.25]), (1797, [0.7, 0.15, 0.15]),
                                       (7, [3, 4]), (5, [0.1, 0.9])])
def test_random_split_lengths_match_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = random_split(range(n), lengths, generator=npgrad.Generator().manual_seed(0))
        ref = golden(f"split/{n}/{lengths}", lambda: [
            len(p) for p in torch.utils.data.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))])
    assert [len(p) for p in parts] == list(ref)
    merged = sorted(i for p in parts for i in p.indices)
    assert merged == list(range(n))


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(5), [2, 2])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(5), [1.5, -0.5])


def test_random_split_is_seeded():
    a = random_split(range(50), [0.5, 0.5], generator=npgrad.Generator().manual_seed(3))
    b = random_split(range(50), [0.5, 0.5], generator=npgrad.Generator().manual_seed(3))
    c = random_split(range(50), [0.5, 0.5], generator=npgrad.Generator().manual_seed(4))
    assert a[0].indices == b[0].indices
    assert a[0].indices != c[0].indices


def test_concat_and_subset_match_torch():
    parts = [list(range(3)), list(range(10, 15)), list(range(20, 22))]
    ours = ConcatDataset(parts)
    idx = [0, 2, 3, 7, 8, 9, -1, -10]
    ref = golden("concat", lambda: {"items": [torch.utils.data.ConcatDataset(parts)[i] for i in idx],
                                    "sizes": torch.utils.data.ConcatDataset(parts).cumulative_sizes})
    assert [ours[i] for i in idx] == list(ref["items"])
    assert ours.cumulative_sizes == list(ref["sizes"])
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        ours[-11]
    sub = Subset(ours, [9, 0, 4])
    assert [sub[i] for i in range(3)] == [21, 0, 11]
    assert len(sub + sub) == 6


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(npgrad.zeros(3, 2), npgrad.zeros(4))


def test_fast_path_equals_per_sample_collate():
    ds = Subset(TensorDataset(npgrad.from_numpy(X_NP), npgrad.from_numpy(Y_NP)), [5, 1, 7, 2, 9])
    fast = [_np(b) for b in DataLoader(ds, batch_size=2)]
    slow = [_np(b) for b in DataLoader(ds, batch_size=2, collate_fn=lambda s: default_collate(s))]
    _assert_same(fast, slow)


def test_shuffle_is_a_permutation_per_epoch_and_seeded():
    def epochs(seed):
        loader = DataLoader(list(range(10)), batch_size=4, shuffle=True,
                            generator=npgrad.Generator().manual_seed(seed))
        return [[b.tolist() for b in loader] for _ in range(2)]

    first = epochs(1)
    assert first == epochs(1)
    assert first != epochs(2)
    for epoch in first:
        assert sorted(i for b in epoch for i in b) == list(range(10))
        assert [len(b) for b in epoch] == [4, 4, 2]
    assert first[0] != first[1]


def test_batch_size_none_and_iterable_dataset():
    loader = DataLoader([np.float64(1.5), np.float64(2.5)], batch_size=None)
    assert [b.item() for b in loader] == [1.5, 2.5]

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


def test_samplers():
    assert list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, drop_last=False)) == 3
    draws = list(RandomSampler(range(4), num_samples=10, generator=npgrad.Generator().manual_seed(0)))
    assert len(draws) == 10 and sorted(draws[:4]) == [0, 1, 2, 3] and sorted(draws[4:8]) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)


@pytest.mark.parametrize("stop_after", [0, 1, 3, 4])
def test_resume_mid_epoch_gives_the_same_batches(stop_after):
    """A loader restored from state_dict() continues exactly as the original would."""
    def loader():
        return DataLoader(list(range(13)), batch_size=4, shuffle=True, generator=npgrad.Generator().manual_seed(7))

    reference = loader()
    full = [[b.tolist() for b in reference] for _ in range(3)]

    first = loader()
    it = iter(first)
    seen = [next(it).tolist() for _ in range(stop_after)]
    state = first.state_dict()
    del first, it  # as if the process died here

    restored = loader()
    restored.load_state_dict(state)
    rest = [b.tolist() for b in restored]
    later = [[b.tolist() for b in restored] for _ in range(2)]
    if stop_after == 0:  # state before any epoch began: a fresh first epoch
        assert [rest] + later == full
    else:
        assert seen + rest == full[0]
        assert later == full[1:]
