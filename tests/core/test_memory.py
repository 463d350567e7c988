"""The block cache behind large temporaries (``npgrad.memory``): reuse only after the last view dies, the size
limit, the result-type rules of ``like``, and a training step that, once warm, takes no new memory."""
import threading

import numpy as np
import pytest

import npgrad
from npgrad import memory


@pytest.fixture(autouse=True)
def fresh_cache():
    memory.empty_cache()
    yield
    memory.empty_cache()


SHAPE = (256, 256)  # 256 KiB of float32: above MIN_BYTES


def test_large_arrays_are_leased_and_small_ones_are_not():
    a = memory.empty(SHAPE, np.float32)
    assert a.shape == SHAPE and a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable
    assert a.ctypes.data % 64 == 0
    assert type(a.base).__name__ == "_Lease"
    small = memory.empty((4, 4), np.float32)
    assert small.base is None and memory.stats()["fresh"] >= 1


def test_a_block_returns_only_when_its_last_view_dies():
    a = memory.empty(SHAPE, np.float32)
    a[:] = 7.0
    address = a.ctypes.data
    view = a[10:20].T
    del a
    assert memory.cached_bytes() == 0           # the view still holds the block
    b = memory.empty(SHAPE, np.float32)
    assert b.ctypes.data != address
    b[:] = -1.0
    np.testing.assert_array_equal(view, 7.0)    # never handed out twice
    del view
    assert memory.cached_bytes() > 0
    c = memory.empty(SHAPE, np.float32)
    assert c.ctypes.data == address             # now reused
    assert memory.cached_bytes() == 0


def test_reuse_goes_by_size_across_dtypes_and_shapes():
    a = memory.empty((128, 512), np.float32)
    address = a.ctypes.data
    del a
    assert memory.empty((64, 512), np.float64).ctypes.data == address   # the same number of bytes
    del_me = memory.empty((128, 513), np.float32)   # a larger size class takes a block of its own
    assert del_me.ctypes.data != address


def test_cache_limit_frees_what_does_not_fit(monkeypatch):
    monkeypatch.setattr(memory, "CACHE_LIMIT", 300 * 1024)
    a, b = memory.empty(SHAPE, np.float32), memory.empty(SHAPE, np.float32)
    del a
    kept = memory.cached_bytes()
    assert 256 * 1024 < kept <= 300 * 1024
    del b                                       # over the limit: back to the system
    assert memory.cached_bytes() == kept


def test_empty_cache_and_stats():
    a = memory.empty(SHAPE, np.float32)
    del a
    before = memory.stats()
    assert before["cached_bytes"] > 0
    memory.empty_cache()
    assert memory.cached_bytes() == 0 and memory.stats()["fresh"] == before["fresh"]
    memory.empty(SHAPE, np.float32)
    assert memory.stats()["fresh"] == before["fresh"] + 1


def test_release_from_another_thread():
    a = memory.empty(SHAPE, np.float32)
    address = a.ctypes.data
    holder = [a]
    del a
    t = threading.Thread(target=holder.clear)
    t.start()
    t.join()
    assert memory.empty(SHAPE, np.float32).ctypes.data == address


@pytest.mark.parametrize("operands, expected", [
    (lambda a: (a, a), ("float32", SHAPE)),
    (lambda a: (a, 2.0), ("float32", SHAPE)),
    (lambda a: (a, 3), ("float32", SHAPE)),
    (lambda a: (a, a[:1]), ("float32", SHAPE)),            # broadcast
    (lambda a: (a[:, :1], a[:1]), None),                     # both small: NumPy allocates
    (lambda a: (a, np.float64(2.0)), None),                  # a NumPy scalar takes part in promotion
    (lambda a: (a, a.astype(np.float64)), None),             # mixed dtypes
    (lambda a: (a.astype(np.int64),), None),                 # not floating
    (lambda a: (a, a > 0), None),                            # bool operand
    (lambda a: (a, 1j), None),
])
def test_like_follows_numpy_result_types(operands, expected):
    a = np.ones(SHAPE, np.float32)
    out = memory.like(*operands(a))
    if expected is None:
        assert out is None
    else:
        assert (str(out.dtype), out.shape) == expected


def test_ops_write_the_same_values_through_leased_outputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    y = rng.standard_normal(SHAPE).astype(np.float32)
    tx, ty = npgrad.tensor(x, requires_grad=True), npgrad.tensor(y)
    out = (npgrad.relu(tx) * ty + npgrad.tanh(tx) - ty / 3.0) @ ty.T
    out.sum().backward()
    expected = (np.maximum(x, 0) * y + np.tanh(x) - y / np.float32(3.0)) @ y.T
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-4)
    assert out.dtype == npgrad.float32 and tx.grad.dtype == npgrad.float32


def test_a_warm_training_step_takes_no_new_memory():
    npgrad.manual_seed(0)
    nn = npgrad.nn
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10))
    opt = npgrad.optim.AdamW(model.parameters(), lr=1e-3)
    x, t = npgrad.randn(1024, 64), npgrad.randint(0, 10, (1024,))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), t).backward()
        opt.step()

    step()
    step()
    warm = memory.stats()
    for _ in range(3):
        step()
    after = memory.stats()
    assert after["fresh"] == warm["fresh"]
    assert after["reused"] > warm["reused"]     # the activations do come from the cache
