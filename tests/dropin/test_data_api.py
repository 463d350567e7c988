"""``npgrad.utils.data`` against ``torch.utils.data``: datasets, samplers, collation and DataLoader options.

Each case is written once as ``fn(data, lib)`` (``data`` is ``torch.utils.data`` or
``npgrad.utils.data``, ``lib`` is ``torch`` or ``npgrad``) and its result is described as plain
values (Python types, dtypes, arrays), so npgrad's answer is compared with torch's structure
for structure. Shuffled orders come from NumPy's bits in npgrad and differ from torch's, so
random cases compare invariants only (lengths, value ranges, partitions).
"""
import collections
import json
import re
import warnings

import numpy as np
import pytest

import npgrad
import npgrad.utils.data as ND
from oracle import HAVE_TORCH, Golden

golden = Golden("data_api")


# -- helpers ----------------------------------------------------------------------------

def _is_tensor(x) -> bool:
    return type(x).__name__ == "Tensor" and hasattr(x, "detach") and hasattr(x, "dtype")


def describe(x):
    """``x`` as JSON-ready plain values: each container and scalar tagged with its Python type,
    tensors and arrays with their dtype, shape and values."""
    if _is_tensor(x):
        a = x.detach().numpy()
        return ["tensor", str(x.dtype).split(".")[-1], list(a.shape), a.tolist()]
    if isinstance(x, np.ndarray):
        return ["ndarray", str(x.dtype), list(x.shape), x.tolist()]
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ["namedtuple:" + type(x).__name__, [describe(v) for v in x]]
    if isinstance(x, collections.abc.Mapping):
        return ["mapping:" + type(x).__name__, {str(k): describe(v) for k, v in x.items()}]
    if isinstance(x, (list, tuple)):
        return [type(x).__name__, [describe(v) for v in x]]
    if isinstance(x, bytes):
        return ["bytes", x.decode()]
    if x is None:
        return ["None", ""]
    if isinstance(x, (bool, int, float, str)):
        return [type(x).__name__, x]
    return ["other:" + type(x).__name__, str(x)]


def assert_same(ours, ref, where="result"):
    """Equal JSON structures; on a difference, the path to it."""
    if isinstance(ref, dict):
        assert isinstance(ours, dict) and list(ours) == list(ref), (where, ours, ref)
        for k in ref:
            assert_same(ours[k], ref[k], f"{where}[{k!r}]")
    elif isinstance(ref, list):
        assert isinstance(ours, list) and len(ours) == len(ref), (where, ours, ref)
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert type(ours) is type(ref) and ours == ref, (where, ours, ref)


def both(key, fn):
    """Run ``fn(data, lib)`` on npgrad and on torch (or its golden record) and compare."""
    ours = json.dumps(describe(fn(ND, npgrad)))

    def ref():
        import torch
        import torch.utils.data as TD

        return json.dumps(describe(fn(TD, torch)))

    expected = str(golden(key, ref))
    assert_same(json.loads(ours), json.loads(expected))
    assert ours == expected


def raises_like_torch(exc, message, fn):
    """``fn(data, lib)`` raises ``exc`` with ``message`` on torch (when present) and on npgrad."""
    if HAVE_TORCH:
        import torch
        import torch.utils.data as TD

        with pytest.raises(exc, match=re.escape(message) if message else None):
            fn(TD, torch)
    with pytest.raises(exc, match=re.escape(message) if message else None):
        fn(ND, npgrad)


def tensor_ds(d, lib, n=10):
    return d.TensorDataset(lib.arange(2 * n, dtype=lib.float32).reshape(n, 2), lib.arange(n))


def stream(d, n=7, with_len=False):
    class Stream(d.IterableDataset):
        def __iter__(self):
            return iter(range(n))

    class SizedStream(Stream):
        def __len__(self):
            return n

    return SizedStream() if with_len else Stream()


Point = collections.namedtuple("Point", "x label")


# -- public names -----------------------------------------------------------------------

USER_NAMES = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
              "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler",
              "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info",
              "random_split"]


def test_public_names_and_submodules():
    if HAVE_TORCH:
        import torch.utils.data as TD

        assert set(USER_NAMES) <= set(TD.__all__)
        assert TD.get_worker_info() is None
    missing = [name for name in USER_NAMES if not hasattr(ND, name)]
    assert missing == []
    assert ND.get_worker_info() is None
    from npgrad.utils.data.dataloader import DataLoader, default_collate
    from npgrad.utils.data.dataset import Dataset
    from npgrad.utils.data.sampler import Sampler
    assert (DataLoader, default_collate, Dataset, Sampler) == (ND.DataLoader, ND.default_collate, ND.Dataset,
                                                              ND.Sampler)


# -- Dataset, IterableDataset, ChainDataset ---------------------------------------------

def test_dataset_base_class():
    raises_like_torch(NotImplementedError, "Subclasses of Dataset should implement __getitem__.",
                      lambda d, lib: d.Dataset()[0])
    raises_like_torch(TypeError, "object of type 'Dataset' has no len()", lambda d, lib: len(d.Dataset()))

    def added(d, lib):
        class Pairs(d.Dataset):
            def __len__(self):
                return 2

            def __getitem__(self, i):
                return (i, f"s{i}")

        joined = Pairs() + Pairs()
        return type(joined).__name__, len(joined), [joined[i] for i in range(4)], joined.cumulative_sizes

    both("dataset/add", added)


def test_iterable_dataset_is_abstract_and_chains():
    raises_like_torch(TypeError, "Can't instantiate abstract class IterableDataset",
                      lambda d, lib: d.IterableDataset())

    def chained(d, lib):
        c = stream(d, 2) + stream(d, 3) + stream(d, 1)
        sized = d.ChainDataset([stream(d, 2, True), stream(d, 3, True)])
        return (type(c).__name__, isinstance(c, d.IterableDataset), list(c), len(sized), list(sized),
                [b.tolist() for b in d.DataLoader(sized, batch_size=2)])

    both("chain", chained)
    raises_like_torch(AssertionError, "ChainDataset only supports IterableDataset",
                      lambda d, lib: list(d.ChainDataset([stream(d, 2), [1, 2]])))
    raises_like_torch(AssertionError, "ChainDataset only supports IterableDataset",
                      lambda d, lib: len(d.ChainDataset([[1, 2]])))
    raises_like_torch(TypeError, "has no len()", lambda d, lib: len(d.ChainDataset([stream(d, 2)])))


def test_iterable_dataset_with_dataloader():
    def loaders(d, lib):
        out = {}
        for bs in (None, 1, 3, 7, 8):
            for drop_last in ((False,) if bs is None else (False, True)):
                loader = d.DataLoader(stream(d, 7), batch_size=bs, drop_last=drop_last)
                sized = d.DataLoader(stream(d, 7, True), batch_size=bs, drop_last=drop_last)
                out[f"{bs}/{drop_last}"] = [list(loader), list(loader), len(sized),
                                            type(loader.sampler).__name__, type(loader.batch_sampler).__name__,
                                            loader.collate_fn.__name__]
        out["shuffle=False"] = list(d.DataLoader(stream(d, 4), batch_size=3, shuffle=False))
        out["collate_fn"] = list(d.DataLoader(stream(d, 7), batch_size=3, collate_fn=sum))
        return out

    both("iterable/loaders", loaders)
    raises_like_torch(TypeError, "has no len()", lambda d, lib: len(d.DataLoader(stream(d), batch_size=2)))
    raises_like_torch(ValueError, "DataLoader with IterableDataset: expected unspecified shuffle option, "
                                  "but got shuffle=True", lambda d, lib: d.DataLoader(stream(d), shuffle=True))
    raises_like_torch(ValueError, "DataLoader with IterableDataset: expected unspecified sampler option, "
                                  "but got sampler=[0]", lambda d, lib: d.DataLoader(stream(d), sampler=[0]))
    raises_like_torch(ValueError, "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                  "but got batch_sampler=[[0]]",
                      lambda d, lib: d.DataLoader(stream(d), batch_sampler=[[0]]))
    raises_like_torch(ValueError, "batch_size=None option disables auto-batching and is mutually exclusive "
                                  "with drop_last", lambda d, lib: d.DataLoader(stream(d), batch_size=None,
                                                                                drop_last=True))
    raises_like_torch(ValueError, "batch_size should be a positive integer value, but got batch_size=0",
                      lambda d, lib: d.DataLoader(stream(d), batch_size=0))


# -- TensorDataset, StackDataset, Subset, ConcatDataset ---------------------------------

def test_tensor_dataset():
    def items(d, lib):
        ds = d.TensorDataset(lib.arange(6).reshape(3, 2), lib.tensor([1.0, 2.0, 3.0]))
        return (len(ds), ds[1], ds[-1], ds[0:2], ds[[2, 0]], type(ds.tensors).__name__, len(ds.tensors),
                list(d.DataLoader(ds, batch_size=2)))

    both("tensor_dataset", items)
    raises_like_torch(AssertionError, "Size mismatch between tensors",
                      lambda d, lib: d.TensorDataset(lib.zeros(3, 2), lib.zeros(4)))
    raises_like_torch(IndexError, "Dimension specified as 0 but tensor has no dimensions",
                      lambda d, lib: d.TensorDataset(lib.tensor(1.0)))
    raises_like_torch(IndexError, "index 3 is out of bounds for dimension 0 with size 3",
                      lambda d, lib: d.TensorDataset(lib.zeros(3))[3])


def test_stack_dataset():
    def stacked(d, lib):
        t = d.StackDataset([1, 2, 3], "abc")
        k = d.StackDataset(x=[1, 2, 3], name="abc")
        nested = d.StackDataset(tensor_ds(d, lib, 4), d.Subset(tensor_ds(d, lib, 6), [5, 4, 3, 2]))
        return (len(t), t[1], t.__getitems__([0, 2]), list(d.DataLoader(t, batch_size=2)),
                len(k), k[1], k.__getitems__([2, 0]), list(d.DataLoader(k, batch_size=2)),
                list(d.DataLoader(nested, batch_size=3)))

    both("stack_dataset", stacked)
    raises_like_torch(ValueError, "Size mismatch between datasets", lambda d, lib: d.StackDataset([1], [2, 3]))
    raises_like_torch(ValueError, "Size mismatch between datasets", lambda d, lib: d.StackDataset(a=[1], b=[2, 3]))
    raises_like_torch(ValueError, "At least one dataset should be passed", lambda d, lib: d.StackDataset())
    raises_like_torch(ValueError, "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                                  "input/output, but both types are given.",
                      lambda d, lib: d.StackDataset([1], b=[2]))


def test_subset():
    def subsets(d, lib):
        s = d.Subset(list("abcdef"), [4, 0, 2])
        t = d.Subset(tensor_ds(d, lib, 6), [5, 1, 3])

        class Doubled(d.Subset):
            def __getitem__(self, i):
                x, y = self.dataset[self.indices[i]]
                return x * 2, y

            def __getitems__(self, indices):
                return [self[i] for i in indices]

        return (len(s), s[0], s[-1], s.__getitems__([2, 0]), s.indices, t[[0, 2]],
                list(d.DataLoader(t, batch_size=2)), list(d.DataLoader(Doubled(tensor_ds(d, lib, 6), [5, 1, 3]),
                                                                      batch_size=2)),
                type(s + s).__name__, len(s + s))

    both("subset", subsets)

    def only_getitem(d, lib):
        class Shifted(d.Subset):
            def __getitem__(self, i):
                return self.dataset[self.indices[i]] + 1

        return Shifted([1, 2, 3], [0])

    raises_like_torch(NotImplementedError, "Shifted overrides __getitem__ but not __getitems__. When subclassing "
                                           "Subset and overriding __getitem__, you must also override __getitems__",
                      only_getitem)


def test_tensor_dataset_subclass_with_getitems_is_used_by_dataloader():
    def loader(d, lib):
        class Scaled(d.TensorDataset):
            def __getitems__(self, indices):
                return [(self.tensors[0][i] * 10,) for i in indices]

        return list(d.DataLoader(Scaled(lib.arange(5)), batch_size=2))

    both("tensor_dataset/getitems", loader)


def test_concat_dataset():
    def concat(d, lib):
        c = d.ConcatDataset([[1, 2], [3, 4, 5], [], [6]])
        return (len(c), [c[i] for i in range(-6, 6)], c.cumulative_sizes, type(c.datasets).__name__,
                d.ConcatDataset.cumsum([[1], [2, 3], []]), len(d.ConcatDataset(x for x in [[1], [2]])),
                list(d.DataLoader(c, batch_size=4)))

    both("concat", concat)
    raises_like_torch(ValueError, "absolute value of index should not exceed dataset length",
                      lambda d, lib: d.ConcatDataset([[1, 2], [3]])[-4])
    raises_like_torch(IndexError, "list index out of range", lambda d, lib: d.ConcatDataset([[1, 2], [3]])[3])
    raises_like_torch(AssertionError, "datasets should not be an empty iterable", lambda d, lib: d.ConcatDataset([]))
    raises_like_torch(AssertionError, "ConcatDataset does not support IterableDataset",
                      lambda d, lib: d.ConcatDataset([[1], stream(d, 2)]))


# -- random_split -----------------------------------------------------------------------

SPLITS = [(10, [0.7, 0.3]), (11, [0.5, 0.25, 0.25]), (10, [0.33, 0.33, 0.34]), (7, [0.2] * 5),
          (3, [0.1, 0.1, 0.8]), (1797, [0.7, 0.15, 0.15]), (10, [3, 7]), (10, [0, 10]), (10, (0.5, 0.5)),
          (10, [1]), (10, [1.0]), (0, [0.5, 0.5])]


@pytest.mark.parametrize("n,lengths", SPLITS)
def test_random_split_lengths_and_partition(n, lengths):
    def split(d, lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = d.random_split(range(n), lengths, generator=lib.Generator().manual_seed(0))
        return ([len(p) for p in parts], [type(p).__name__ for p in parts],
                [f"{w.category.__name__}: {w.message}" for w in caught])

    both(f"split/{n}/{lengths}", split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = ND.random_split(range(n), lengths, generator=npgrad.Generator().manual_seed(0))
    assert sorted(i for p in parts for i in p.indices) == list(range(n))
    assert all(p.dataset == range(n) for p in parts)


def test_random_split_other_inputs_and_errors():
    def split(d, lib):
        ds = tensor_ds(d, lib, 6)
        parts = d.random_split(ds, lib.tensor([2, 4]))
        arrays = d.random_split(range(10), np.array([0.5, 0.5]))
        return ([len(p) for p in parts], parts[0].dataset is ds, type(parts[0].indices).__name__,
                [type(i).__name__ for i in parts[0].indices], [len(p) for p in arrays])

    both("split/inputs", split)
    a = ND.random_split(range(50), [0.5, 0.5], generator=npgrad.Generator().manual_seed(3))
    b = ND.random_split(range(50), [0.5, 0.5], generator=npgrad.Generator().manual_seed(3))
    assert [p.indices for p in a] == [p.indices for p in b]
    raises_like_torch(ValueError, "Sum of input lengths does not equal the length of the input dataset!",
                      lambda d, lib: d.random_split(range(10), [2, 2]))
    raises_like_torch(ValueError, "Sum of input lengths does not equal the length of the input dataset!",
                      lambda d, lib: d.random_split(range(10), [0.5, 0.4]))
    raises_like_torch(ValueError, "Fraction at index 0 is not between 0 and 1",
                      lambda d, lib: d.random_split(range(10), [1.5, -0.5]))
    raises_like_torch(TypeError, "", lambda d, lib: d.random_split(range(10), [5.0, 5.0]))
    for lib_name in (["torch"] if HAVE_TORCH else []) + ["npgrad"]:
        if lib_name == "torch":
            import torch.utils.data as d
        else:
            d = ND
        with pytest.warns(UserWarning, match=re.escape("Length of split at index 1 is 0. This might result in an "
                                                       "empty dataset.")):
            d.random_split(range(3), [0.1, 0.1, 0.8])


# -- default_collate / default_convert --------------------------------------------------

class _Plain:
    pass


COLLATE_CASES = {
    "tensors": lambda d, lib: [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
    "tensors_0d": lambda d, lib: [lib.tensor(1), lib.tensor(2)],
    "tensors_int_float": lambda d, lib: [lib.tensor([1, 2]), lib.tensor([1.0, 2.0])],
    "tensors_bool_int": lambda d, lib: [lib.tensor([True]), lib.tensor([3])],
    "tensors_f16": lambda d, lib: [lib.zeros(2, dtype=lib.float16)] * 2,
    "numpy_f32": lambda d, lib: [np.zeros(2, np.float32), np.ones(2, np.float32)],
    "numpy_i32": lambda d, lib: [np.zeros((2, 1), np.int32), np.ones((2, 1), np.int32)],
    "numpy_u8": lambda d, lib: [np.zeros(3, np.uint8)] * 2,
    "numpy_mixed": lambda d, lib: [np.array([1, 2]), np.array([1.0, 2.0])],
    "numpy_0d": lambda d, lib: [np.array(1.0), np.array(2.0)],
    "numpy_noncontiguous": lambda d, lib: [np.arange(6).reshape(2, 3).T] * 2,
    "numpy_scalar_f32": lambda d, lib: [np.float32(1), np.float32(2)],
    "numpy_scalar_i16": lambda d, lib: [np.int16(1), np.int16(2)],
    "numpy_scalar_bool": lambda d, lib: [np.bool_(True), np.bool_(False)],
    "numpy_scalar_mixed": lambda d, lib: [np.int32(1), np.float64(2)],
    "numpy_str_scalar": lambda d, lib: [np.str_("a"), np.str_("b")],
    "ints": lambda d, lib: [1, 2, 3],
    "big_ints": lambda d, lib: [2 ** 40, 1],
    "floats": lambda d, lib: [1.0, 2.5],
    "int_then_float": lambda d, lib: [2, 1.5],
    "float_then_int": lambda d, lib: [1.5, 2],
    "bools": lambda d, lib: [True, False],
    "bool_then_int": lambda d, lib: [True, 2],
    "strings": lambda d, lib: ["a", "b"],
    "bytes": lambda d, lib: [b"a", b"b"],
    "dict": lambda d, lib: [{"x": 1, "y": "s", "z": np.zeros(2)}, {"x": 2, "y": "t", "z": np.ones(2)}],
    "ordered_dict": lambda d, lib: [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
    "defaultdict": lambda d, lib: [collections.defaultdict(list, x=1), collections.defaultdict(list, x=2)],
    "tuples": lambda d, lib: [(1, 2.0, "a"), (3, 4.0, "b")],
    "lists": lambda d, lib: [[1, 2.0, "a"], [3, 4.0, "b"]],
    "namedtuples": lambda d, lib: [Point(lib.zeros(2), "a"), Point(lib.ones(2), "b")],
    "ranges": lambda d, lib: [range(2), range(2)],
    "nested": lambda d, lib: [{"a": (1, [2.0, np.zeros(1)]), "b": {"c": lib.ones(2), "s": ("u", "v")}},
                              {"a": (3, [4.0, np.ones(1)]), "b": {"c": lib.zeros(2), "s": ("w", "x")}}],
    "requires_grad": lambda d, lib: [lib.ones(2, requires_grad=True), lib.zeros(2)],
}


@pytest.mark.parametrize("name", sorted(COLLATE_CASES))
def test_default_collate(name):
    both(f"collate/{name}", lambda d, lib: d.default_collate(COLLATE_CASES[name](d, lib)))


def test_default_collate_keeps_autograd():
    a = npgrad.ones(2, requires_grad=True)
    batch = ND.default_collate([a, npgrad.tensor([1, 2])])
    assert batch.requires_grad and batch.dtype == npgrad.float32
    batch.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


def test_default_collate_errors():
    raises_like_torch(RuntimeError, "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] "
                                    "at entry 1", lambda d, lib: d.default_collate([lib.zeros(2), lib.zeros(3)]))
    raises_like_torch(RuntimeError, "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and "
                                    "[3, 2] at entry 2",
                      lambda d, lib: d.default_collate([lib.zeros(2, 3), lib.zeros(2, 3), lib.zeros(3, 2)]))
    raises_like_torch(RuntimeError, "stack expects each tensor to be equal size, but got [2] at entry 0 and [3] "
                                    "at entry 1", lambda d, lib: d.default_collate([np.zeros(2), np.zeros(3)]))
    raises_like_torch(RuntimeError, "each element in list of batch should be of equal size",
                      lambda d, lib: d.default_collate([[1, 2], [3]]))
    raises_like_torch(TypeError, "expected Tensor as element 1 in argument 0, but got int",
                      lambda d, lib: d.default_collate([lib.ones(2), 1]))
    raises_like_torch(TypeError, "expected Tensor as element 1 in argument 0, but got numpy.ndarray",
                      lambda d, lib: d.default_collate([lib.ones(2), np.ones(2)]))
    prefix = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
    raises_like_torch(TypeError, prefix + "<class 'object'>", lambda d, lib: d.default_collate([object()] * 2))
    raises_like_torch(TypeError, prefix + "<class 'NoneType'>", lambda d, lib: d.default_collate([None, None]))
    raises_like_torch(TypeError, prefix + "<class 'set'>", lambda d, lib: d.default_collate([{1}, {2}]))
    raises_like_torch(TypeError, prefix + "<class 'numpy.datetime64'>",
                      lambda d, lib: d.default_collate([np.datetime64("2020-01-01")] * 2))
    raises_like_torch(TypeError, prefix + "<U1", lambda d, lib: d.default_collate([np.array(["a"]), np.array(["b"])]))
    raises_like_torch(TypeError, prefix + "object",
                      lambda d, lib: d.default_collate([np.array([_Plain()]), np.array([_Plain()])]))
    raises_like_torch(IndexError, "list index out of range", lambda d, lib: d.default_collate([]))


CONVERT_CASES = {
    "numpy": lambda d, lib: np.zeros(2, np.float32),
    "numpy_0d": lambda d, lib: np.array(3),
    "numpy_scalar": lambda d, lib: np.float32(2),
    "numpy_bool": lambda d, lib: np.bool_(True),
    "numpy_str": lambda d, lib: np.array(["a"]),
    "int": lambda d, lib: 3,
    "str": lambda d, lib: "abc",
    "tensor": lambda d, lib: lib.ones(2),
    "tuple": lambda d, lib: (np.zeros(2), 1, "a"),
    "list": lambda d, lib: [np.zeros(2), 1],
    "namedtuple": lambda d, lib: Point(np.zeros(2), 1),
    "dict": lambda d, lib: {"a": np.int64(3), "b": [np.ones(1), (np.zeros(1),)]},
    "defaultdict": lambda d, lib: collections.defaultdict(int, a=np.int64(3)),
}


@pytest.mark.parametrize("name", sorted(CONVERT_CASES))
def test_default_convert(name):
    both(f"convert/{name}", lambda d, lib: d.default_convert(CONVERT_CASES[name](d, lib)))


# -- DataLoader -------------------------------------------------------------------------

def _epochs(loader):
    """Two passes: the shape of every batch's first field and its labels."""
    out = []
    for _ in range(2):
        shapes, labels = [], []
        for x, y in loader:
            shapes.append(list(x.shape))
            labels.extend(y.reshape(-1).tolist())
        out.append([shapes, labels])
    return out


def test_dataloader_len_and_batches_for_every_combination():
    def grid(d, lib):
        ds = tensor_ds(d, lib, 10)
        out = {}
        for bs in (None, 1, 3, 5, 10, 11):
            for drop_last in ((False,) if bs is None else (False, True)):
                for shuffle in (False, True):
                    loader = d.DataLoader(ds, batch_size=bs, drop_last=drop_last, shuffle=shuffle)
                    (shapes, labels), (shapes2, labels2) = _epochs(loader)
                    if shuffle:  # the order (and, with drop_last, which samples) is random
                        labels, labels2 = [[len(ls), len(set(ls)), set(ls) <= set(range(10))]
                                           for ls in (labels, labels2)]
                    out[f"bs={bs}/drop_last={drop_last}/shuffle={shuffle}"] = [
                        len(loader), len(iter(loader)), shapes, shapes2, labels, labels2]
        for num_samples in (3, 7, 25):
            for bs in (2, 4):
                for drop_last in (False, True):
                    sampler = d.RandomSampler(ds, num_samples=num_samples)
                    loader = d.DataLoader(ds, batch_size=bs, drop_last=drop_last, sampler=sampler)
                    (shapes, labels), _ = _epochs(loader)
                    out[f"sampler/{num_samples}/{bs}/{drop_last}"] = [len(loader), shapes, len(labels)]
        for drop_last in (False, True):
            loader = d.DataLoader(ds, batch_sampler=d.BatchSampler(d.SequentialSampler(ds), 3, drop_last))
            out[f"batch_sampler/{drop_last}"] = [len(loader), _epochs(loader)]
        loader = d.DataLoader(ds, batch_sampler=[[4, 0], [2], [1, 1, 3]])
        out["batch_sampler/list"] = [len(loader), _epochs(loader)]
        loader = d.DataLoader(ds, sampler=[9, 0, 4], batch_size=2)
        out["sampler/list"] = [len(loader), _epochs(loader)]
        loader = d.DataLoader(ds, sampler=[9, 0, 4], batch_size=None)
        out["sampler/list/no_batching"] = [len(loader), [(x.tolist(), y.tolist()) for x, y in loader]]
        return out

    both("loader/grid", grid)


def test_dataloader_contents_and_collate_fn():
    def contents(d, lib):
        class Records(d.Dataset):
            def __len__(self):
                return 5

            def __getitem__(self, i):
                return {"x": lib.full((2,), float(i)), "y": i, "w": i / 2, "name": f"s{i}",
                        "pair": (np.int32(-i), f"p{i}"), "point": Point(i, str(i))}

        records = Records()
        return {
            "default": list(d.DataLoader(records, batch_size=2)),
            "no_batching": list(d.DataLoader(records, batch_size=None)),
            "batch_of_one": list(d.DataLoader([np.float64(1.5), np.float64(2.5)])),
            "no_batching_numpy": list(d.DataLoader([np.zeros(2), (1, np.int32(2))], batch_size=None)),
            "collate_fn": list(d.DataLoader(list(range(5)), batch_size=2, collate_fn=lambda b: [x * 10 for x in b])),
            "collate_fn_no_batching": list(d.DataLoader(list(range(3)), batch_size=None, collate_fn=lambda b: -b)),
            "num_workers": list(d.DataLoader(list(range(5)), batch_size=2, num_workers=0)),
            "generator_sequential": list(d.DataLoader([1, 2, 3], batch_size=2,
                                                      generator=lib.Generator().manual_seed(0))),
        }

    both("loader/contents", contents)


def test_dataloader_attributes():
    def attributes(d, lib):
        ds = list(range(5))
        g = lib.Generator()
        plain = d.DataLoader(ds, batch_size=2)
        unbatched = d.DataLoader(ds, batch_size=None)
        bs = d.BatchSampler(range(5), 2, True)
        custom = d.DataLoader(ds, batch_sampler=bs)
        shuffled = d.DataLoader(ds, shuffle=True, generator=g)
        workers = d.DataLoader(ds, batch_size=2, num_workers=2)
        return {
            "plain": [plain.batch_size, plain.drop_last, type(plain.sampler).__name__,
                      type(plain.batch_sampler).__name__, plain.num_workers, plain.collate_fn.__name__,
                      plain.dataset is ds, plain.generator is None, plain.pin_memory, plain.timeout,
                      plain.worker_init_fn is None, plain.prefetch_factor is None, plain.persistent_workers,
                      plain.pin_memory_device, plain.in_order, plain.multiprocessing_context is None],
            "unbatched": [unbatched.batch_size, unbatched.drop_last, type(unbatched.sampler).__name__,
                          unbatched.batch_sampler is None, unbatched.collate_fn.__name__],
            "batch_sampler": [custom.batch_size, custom.drop_last, type(custom.sampler).__name__,
                              custom.batch_sampler is bs, custom.collate_fn.__name__, len(custom)],
            "shuffled": [type(shuffled.sampler).__name__, shuffled.generator is g, shuffled.sampler.generator is g],
            "workers": [workers.num_workers, workers.prefetch_factor, len(workers)],
            "shuffle=None": type(d.DataLoader(ds, shuffle=None).sampler).__name__,
        }

    both("loader/attributes", attributes)


def test_dataloader_iterators():
    def iterators(d, lib):
        loader = d.DataLoader(list(range(5)), batch_size=2)
        it = iter(loader)
        first = next(it)
        fresh = iter(loader)
        unbatched = iter(d.DataLoader(list(range(5)), batch_size=None))
        return (len(it), iter(it) is it, first, list(fresh), list(it), list(loader), len(unbatched))

    both("loader/iterators", iterators)
    raises_like_torch(TypeError, "'DataLoader' object is not an iterator",
                      lambda d, lib: next(d.DataLoader(list(range(5)), batch_size=2)))
    raises_like_torch(TypeError, "has no len()",
                      lambda d, lib: len(iter(d.DataLoader(stream(d, 5, True), batch_size=2))))


@pytest.mark.parametrize("attr", ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                  "persistent_workers"])
def test_dataloader_attributes_are_frozen(attr):
    def assign(d, lib):
        loader = d.DataLoader(list(range(5)), batch_size=2)
        setattr(loader, attr, None)

    raises_like_torch(ValueError, f"{attr} attribute should not be set after DataLoader is initialized", assign)
    loader = ND.DataLoader(list(range(5)), batch_size=2)
    loader.collate_fn = lambda b: b
    assert list(loader) == [[0, 1], [2, 3], [4]]


def test_dataloader_shuffle_and_generator():
    def shuffled(d, lib):
        def epochs(seed):
            loader = d.DataLoader(list(range(20)), batch_size=6, shuffle=True,
                                  generator=lib.Generator().manual_seed(seed))
            return [[b.tolist() for b in loader] for _ in range(2)]

        first = epochs(1)
        return (first == epochs(1), first == epochs(2), first[0] == first[1],
                [sorted(i for b in e for i in b) for e in first], [[len(b) for b in e] for e in first])

    both("loader/shuffle", shuffled)


OPTION_ERRORS = [
    (dict(batch_size=2, shuffle=True, sampler="seq"), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler="bs", batch_size=2), "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                             "sampler, and drop_last"),
    (dict(batch_sampler="bs", batch_size=None), "batch_sampler option is mutually exclusive with batch_size, "
                                                "shuffle, sampler, and drop_last"),
    (dict(batch_sampler="bs", shuffle=True), "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                             "sampler, and drop_last"),
    (dict(batch_sampler="bs", sampler="seq"), "batch_sampler option is mutually exclusive with batch_size, "
                                              "shuffle, sampler, and drop_last"),
    (dict(batch_sampler="bs", drop_last=True), "batch_sampler option is mutually exclusive with batch_size, "
                                               "shuffle, sampler, and drop_last"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching and is mutually "
                                            "exclusive with drop_last"),
    (dict(num_workers=-1), "num_workers option should be non-negative; use num_workers=0 to disable "
                           "multiprocessing."),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing.let num_workers "
                              "> 0 to enable multiprocessing, otherwise set prefetch_factor to None."),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(batch_size=2.0), "batch_size should be a positive integer value, but got batch_size=2.0"),
    (dict(batch_size=2, drop_last=1), "drop_last should be a boolean value, but got drop_last=1"),
]


@pytest.mark.parametrize("kwargs,message", OPTION_ERRORS)
def test_dataloader_option_errors(kwargs, message):
    def build(d, lib):
        ds = list(range(6))
        kw = dict(kwargs)
        if kw.get("sampler") == "seq":
            kw["sampler"] = d.SequentialSampler(ds)
        if kw.get("batch_sampler") == "bs":
            kw["batch_sampler"] = d.BatchSampler(d.SequentialSampler(ds), 2, False)
        d.DataLoader(ds, **kw)

    raises_like_torch(ValueError, message, build)


# -- samplers ---------------------------------------------------------------------------

def test_sequential_random_and_subset_samplers():
    def samplers(d, lib):
        data = list(range(10))
        seq = d.SequentialSampler(data)
        out = {"sequential": [list(seq), len(seq)]}
        for replacement in (False, True):
            for num_samples in (None, 4, 10, 25):
                s = d.RandomSampler(data, replacement=replacement, num_samples=num_samples)
                draws = list(s)
                row = [len(s), len(draws), s.num_samples, min(draws) >= 0, max(draws) < 10,
                       sorted({type(i).__name__ for i in draws})]
                if not replacement:
                    full = len(draws) // 10 * 10
                    row += [[sorted(draws[i:i + 10]) for i in range(0, full, 10)], len(set(draws[full:]))]
                out[f"random/{replacement}/{num_samples}"] = row
        sub = d.SubsetRandomSampler([7, 3, 5])
        out["subset_random"] = [sorted(sub), len(sub), sorted({type(i).__name__ for i in sub})]
        out["subset_random/range"] = [sorted(d.SubsetRandomSampler(range(3, 7))), len(d.SubsetRandomSampler(range(4)))]
        ds = tensor_ds(d, lib, 10)
        batches = [y.tolist() for _, y in d.DataLoader(ds, batch_size=2, sampler=d.SubsetRandomSampler([1, 3, 5]))]
        out["subset_random/loader"] = [sorted(i for b in batches for i in b), [len(b) for b in batches]]
        return out

    both("samplers", samplers)
    raises_like_torch(TypeError, "replacement should be a boolean value, but got replacement=1",
                      lambda d, lib: d.RandomSampler(range(3), replacement=1))
    for bad in (0, 2.0, -1):
        raises_like_torch(ValueError, f"num_samples should be a positive integer value, but got num_samples={bad}",
                          lambda d, lib: d.RandomSampler(range(3), num_samples=bad))
    raises_like_torch(ValueError, "num_samples should be a positive integer value, but got num_samples=0",
                      lambda d, lib: d.RandomSampler([]))


def test_sampler_base_class():
    raises_like_torch(NotImplementedError, "", lambda d, lib: iter(d.Sampler()))
    raises_like_torch(TypeError, "object of type 'Sampler' has no len()", lambda d, lib: len(d.Sampler()))

    def custom(d, lib):
        class Reverse(d.Sampler):
            def __init__(self, n):
                super().__init__()
                self.n = n

            def __iter__(self):
                return iter(range(self.n - 1, -1, -1))

            def __len__(self):
                return self.n

        loader = d.DataLoader(list(range(5)), sampler=Reverse(5), batch_size=2)
        return list(loader), len(loader)

    both("sampler/custom", custom)


def test_weighted_random_sampler():
    def weighted(d, lib):
        out = {}
        s = d.WeightedRandomSampler([0.1, 0.9, 0.0, 0.4], 50)
        draws = list(s)
        out["replacement"] = [len(s), len(draws), min(draws) >= 0, max(draws) <= 3, 2 in draws,
                              sorted({type(i).__name__ for i in draws}), s.num_samples, s.replacement]
        s = d.WeightedRandomSampler([0.1, 0.9, 0.2, 0.4], 4, replacement=False)
        out["no_replacement"] = [sorted(s), len(s)]
        s = d.WeightedRandomSampler([0.0, 1.0, 0.0, 2.0, 0.0], 5, replacement=False)
        draws = list(s)
        out["zero_weights_last"] = [sorted(draws[:2]), sorted(draws[2:])]
        s = d.WeightedRandomSampler([0.0, 1.0, 0.0, 2.0, 0.0], 2, replacement=False)
        out["zero_weights_skipped"] = sorted(s)
        out["weights"] = [d.WeightedRandomSampler([1, 2], 3).weights,
                          d.WeightedRandomSampler(lib.tensor([1.0, 2.0]), 3).weights,
                          d.WeightedRandomSampler(np.array([1.0, 2.0], np.float32), 3).weights]
        ds = tensor_ds(d, lib, 4)
        batches = [y.tolist() for _, y in d.DataLoader(ds, batch_size=3,
                                                        sampler=d.WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], 7))]
        out["loader"] = [[len(b) for b in batches], sorted({i for b in batches for i in b} - {1, 3})]
        return out

    both("weighted", weighted)
    raises_like_torch(ValueError, "num_samples should be a positive integer value, but got num_samples=0",
                      lambda d, lib: d.WeightedRandomSampler([1.0, 2.0], 0))
    raises_like_torch(ValueError, "num_samples should be a positive integer value, but got num_samples=2.0",
                      lambda d, lib: d.WeightedRandomSampler([1.0, 2.0], 2.0))
    raises_like_torch(ValueError, "replacement should be a boolean value, but got replacement=0",
                      lambda d, lib: d.WeightedRandomSampler([1.0, 2.0], 2, replacement=0))
    raises_like_torch(ValueError, "weights should be a 1d sequence but given weights have shape (1, 2)",
                      lambda d, lib: d.WeightedRandomSampler([[1.0, 2.0]], 2))
    bad_draws = [
        ([-1.0, 2.0], 2, True, "invalid multinomial distribution (encountering probability entry < 0)"),
        ([float("inf"), 2.0], 2, True, "invalid multinomial distribution (encountering probability entry = "
                                       "infinity or NaN)"),
        ([0.0, 0.0], 2, True, "invalid multinomial distribution (sum of probabilities <= 0)"),
        ([-1.0, 2.0], 2, False, "probability tensor contains either `inf`, `nan` or element < 0"),
        ([0.0, 0.0], 2, False, "invalid multinomial distribution (sum of probabilities <= 0)"),
        ([1.0, 2.0], 3, False, "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    ]
    for weights, n, replacement, message in bad_draws:
        raises_like_torch(RuntimeError, message,
                          lambda d, lib: list(d.WeightedRandomSampler(weights, n, replacement=replacement)))


def test_batch_sampler():
    def batches(d, lib):
        out = {}
        for bs in (1, 3, 5, 10, 11):
            for drop_last in (False, True):
                b = d.BatchSampler(d.SequentialSampler(range(10)), bs, drop_last)
                out[f"{bs}/{drop_last}"] = [len(b), list(b), list(b)]
        b = d.BatchSampler([5, 2, 9], 2, False)
        out["list"] = [len(b), list(b), b.batch_size, b.drop_last]
        shuffled = list(d.BatchSampler(d.RandomSampler(range(7)), 3, True))
        out["random"] = [[len(x) for x in shuffled], len(set(i for x in shuffled for i in x))]
        return out

    both("batch_sampler", batches)
    for bad in (0, 2.0, True):
        raises_like_torch(ValueError, f"batch_size should be a positive integer value, but got batch_size={bad}",
                          lambda d, lib: d.BatchSampler(range(3), bad, False))
    raises_like_torch(ValueError, "drop_last should be a boolean value, but got drop_last=1",
                      lambda d, lib: d.BatchSampler(range(3), 2, 1))
