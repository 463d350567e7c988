"""F.embedding_bag and nn.EmbeddingBag against torch: sum / mean / max, 2-D input or 1-D input with offsets,
include_last_offset, per_sample_weights, padding_idx, max_norm (in-place renormalisation), empty bags,
scale_grad_by_freq; outputs and gradients to the weight and the per-sample weights (float64 and float32),
gradcheck, errors, warnings, module repr / state_dict / from_pretrained."""
import importlib
import warnings

import numpy as np
import pytest

import npgrad
import npgrad.nn as nn
import npgrad.nn.functional as F
from npgrad.autograd import gradcheck
from harness import _seed
from oracle import Golden

golden = Golden("embedding_bag")

TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


def _torch():
    import torch

    return torch


# (id, num_embeddings, dim, input (list or nested list), offsets or None, keyword arguments)
CASES = [
    ("sum_offsets", 10, 3, [1, 2, 4, 5, 4, 3, 2, 9], [0, 4], dict(mode="sum")),
    ("mean_offsets", 10, 3, [1, 2, 4, 5, 4, 3, 2, 9], [0, 4], dict(mode="mean")),
    ("max_offsets", 10, 3, [1, 2, 4, 5, 4, 3, 2, 9], [0, 4], dict(mode="max")),
    ("sum_2d", 6, 4, [[0, 1, 1], [5, 2, 0]], None, dict(mode="sum")),
    ("mean_2d", 6, 4, [[0, 1, 1], [5, 2, 0]], None, dict()),
    ("max_2d", 6, 4, [[0, 1, 1], [5, 2, 0], [3, 3, 3]], None, dict(mode="max")),
    ("empty_bags_sum", 7, 2, [1, 2, 3, 6], [0, 0, 2, 2, 4], dict(mode="sum")),
    ("empty_bags_mean", 7, 2, [1, 2, 3, 6], [0, 0, 2, 2, 4], dict(mode="mean")),
    ("empty_bags_max", 7, 2, [1, 2, 3, 6], [0, 0, 2, 2, 4], dict(mode="max")),
    ("empty_input", 5, 3, [], [0, 0], dict(mode="mean")),
    ("last_offset_sum", 8, 3, [0, 7, 3, 3, 1, 2], [0, 2, 6], dict(mode="sum", include_last_offset=True)),
    ("last_offset_mean", 8, 3, [0, 7, 3, 3, 1, 2], [0, 2, 2, 6], dict(include_last_offset=True)),
    ("last_offset_max", 8, 3, [0, 7, 3, 3, 1, 2], [0, 3, 6], dict(mode="max", include_last_offset=True)),
    ("psw_1d", 9, 3, [1, 2, 4, 5, 4, 3, 2, 8], [0, 3, 5], dict(mode="sum", psw=True)),
    ("psw_2d", 9, 2, [[1, 2, 4], [5, 4, 3]], None, dict(mode="sum", psw=True)),
    ("psw_padding", 9, 3, [1, 0, 4, 0, 4, 3], [0, 3], dict(mode="sum", psw=True, padding_idx=0)),
    ("psw_last_offset", 9, 3, [1, 0, 4, 0, 4, 3], [0, 2, 6], dict(mode="sum", psw=True, include_last_offset=True)),
    ("padding_sum", 6, 3, [2, 2, 2, 2, 4, 3, 2, 5], [0, 4], dict(mode="sum", padding_idx=2)),
    ("padding_mean", 6, 3, [2, 2, 2, 2, 4, 3, 2, 5], [0, 4], dict(mode="mean", padding_idx=2)),
    ("padding_max", 6, 3, [2, 2, 2, 2, 4, 3, 2, 5], [0, 4], dict(mode="max", padding_idx=2)),
    ("padding_negative", 6, 3, [[5, 1], [5, 5]], None, dict(mode="mean", padding_idx=-1)),
    ("freq_sum", 6, 2, [3, 1, 2, 0, 0, 0, 1, 5, 4], [0, 5], dict(mode="sum", scale_grad_by_freq=True)),
    ("freq_mean", 6, 2, [1, 1, 1, 3, 4, 4], [0, 2], dict(mode="mean", scale_grad_by_freq=True)),
    ("freq_psw", 4, 2, [0, 1, 0, 0, 1, 0, 0, 0], [0, 6], dict(mode="sum", scale_grad_by_freq=True, psw=True)),
    ("freq_padding", 5, 2, [0, 4, 4, 2, 0, 1], [0, 3], dict(mode="mean", scale_grad_by_freq=True, padding_idx=4)),
    ("max_norm_sum", 6, 3, [0, 2, 2, 5], [0, 1], dict(mode="sum", max_norm=1.0)),
    ("max_norm_p1_mean", 6, 3, [0, 2, 3, 5], [0, 3], dict(mode="mean", max_norm=1.5, norm_type=1.0)),
    ("max_ties", 5, 3, [0, 1, 2, 3, 4], [0, 2], dict(mode="max", ties=True)),
    ("int32_indices", 6, 2, [1, 2, 3, 4], [0, 1], dict(mode="sum", int32=True)),
    ("sparse_flag", 6, 2, [1, 2, 3, 4], [0, 1], dict(mode="sum", sparse=True)),
]


def _run(lib, case, dtype):
    name, num, dim, idx, offsets, kwargs = case
    kwargs = dict(kwargs)
    rng = np.random.default_rng(_seed(name))
    weight = rng.standard_normal((num, dim))
    if kwargs.pop("ties", False):
        weight = np.round(weight)
    index_dtype = lib.int32 if kwargs.pop("int32", False) else lib.int64
    w = lib.tensor(weight.astype(dtype), requires_grad=True)
    x = lib.tensor(np.array(idx, dtype=np.int64), dtype=index_dtype)
    off = None if offsets is None else lib.tensor(np.array(offsets, dtype=np.int64), dtype=index_dtype)
    psw = None
    if kwargs.pop("psw", False):
        psw = lib.tensor(rng.standard_normal(np.shape(idx)).astype(dtype), requires_grad=True)
    y = lib.nn.functional.embedding_bag(x, w, off, per_sample_weights=psw, **kwargs)
    g = rng.standard_normal(tuple(y.shape)).astype(dtype)
    (y * lib.tensor(g)).sum().backward()
    grad = w.grad.to_dense() if getattr(w.grad, "is_sparse", False) else w.grad  # torch's sparse=True layout
    out = {"out": y.detach().numpy(), "grad_weight": grad.numpy(), "weight_after": w.detach().numpy()}
    if psw is not None:
        out["grad_psw"] = psw.grad.numpy()
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_embedding_bag_matches_torch(case, dtype):
    key = f"{case[0]}/{np.dtype(dtype).name}"
    ours, ref = _run(npgrad, case, dtype), golden(key, lambda: _run(_torch(), case, dtype))
    assert sorted(ours) == sorted(ref)
    for k in ref:
        assert ours[k].shape == ref[k].shape and ours[k].dtype == ref[k].dtype, f"{key}/{k}"
        np.testing.assert_allclose(ours[k], ref[k], err_msg=f"{key}/{k}", **TOL[dtype])


# max_norm edits the weight in place, ties make max non-differentiable, and scale_grad_by_freq rescales the
# gradient on purpose: none of them is checked against finite differences
_SMOOTH = [c for c in CASES if "max_norm" not in c[5] and not c[5].get("ties") and c[3]
           and not c[5].get("scale_grad_by_freq")]


@pytest.mark.parametrize("case", _SMOOTH, ids=[c[0] for c in _SMOOTH])
def test_embedding_bag_gradcheck(case):
    name, num, dim, idx, offsets, kwargs = case
    kwargs = {k: v for k, v in kwargs.items() if k not in ("psw", "int32")}
    rng = np.random.default_rng(_seed(name) + 1)
    w = npgrad.tensor(rng.standard_normal((num, dim)), requires_grad=True)
    x = npgrad.tensor(np.array(idx, dtype=np.int64))
    off = None if offsets is None else npgrad.tensor(np.array(offsets, dtype=np.int64))
    inputs = [w]
    if case[5].get("psw"):
        inputs.append(npgrad.tensor(rng.standard_normal(np.shape(idx)), requires_grad=True))

    def fn(weight, psw=None):
        return F.embedding_bag(x, weight, off, per_sample_weights=psw, **kwargs)

    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_compiled_loops_match_numpy_references(dtype):
    E = importlib.import_module("npgrad.nn.functional.embedding_bag")  # the module, not the function

    rng = np.random.default_rng(11)
    weight = np.round(rng.standard_normal((50, 7)) * 2).astype(dtype)  # rounded: ties for max
    rows = rng.integers(0, 50, 300)
    bag = np.sort(rng.choice(np.arange(0, 80, 2), 300))  # non-decreasing, with empty bags between
    runs = np.flatnonzero(np.concatenate(([True], bag[1:] != bag[:-1])))
    scale = rng.standard_normal(300).astype(dtype)
    for s in (scale, np.zeros(0, dtype=dtype)):
        compiled = E.bag_sum(weight, rows, bag, s, 80)
        np.testing.assert_allclose(compiled, E.bag_sum_reference(weight, rows, bag, runs, s, 80), rtol=1e-5, atol=1e-5)
    out, argmax = E.bag_max(weight, rows, bag, 80)
    ref_out, ref_argmax = E.bag_max_reference(weight, rows, bag, runs, 80)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(argmax, ref_argmax)


def test_half_weights():
    def run(lib):
        w = lib.tensor(np.random.default_rng(9).standard_normal((6, 3)).astype(np.float16), requires_grad=True)
        y = lib.nn.functional.embedding_bag(_x(lib, [0, 2, 2, 5, 1]), w, _x(lib, [0, 2]), mode="mean")
        y.sum().backward()
        return {"out": y.detach().numpy(), "grad": w.grad.numpy()}

    ours, ref = run(npgrad), golden("half", lambda: run(_torch()))
    for k in ref:
        assert ours[k].dtype == np.float16
        np.testing.assert_allclose(ours[k].astype(np.float64), ref[k].astype(np.float64), rtol=2e-3, atol=2e-3)


def test_max_norm_renormalises_rows_in_place():
    w = npgrad.tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]]))
    F.embedding_bag(npgrad.tensor([0, 1]), w, npgrad.tensor([0]), max_norm=1.0)
    np.testing.assert_allclose(w.numpy()[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(w.numpy()[1], [0.3, 0.4])
    np.testing.assert_array_equal(w.numpy()[2], [6.0, 8.0])  # not looked up: untouched


def test_single_last_offset_gives_no_bags():
    w = npgrad.randn(8, 3, dtype=npgrad.float64, requires_grad=True)
    y = F.embedding_bag(npgrad.tensor([0, 7, 3]), w, npgrad.tensor([0]), mode="sum", include_last_offset=True)
    assert tuple(y.shape) == (0, 3)
    y.sum().backward()
    assert np.all(w.grad.numpy() == 0)


def test_sparse_gradient_is_dense_with_the_same_values():
    w = npgrad.tensor(np.random.default_rng(0).standard_normal((5, 2)), requires_grad=True)
    F.embedding_bag(npgrad.tensor([[1, 3]]), w, mode="sum", sparse=True).sum().backward()
    expected = np.zeros((5, 2))
    expected[[1, 3]] = 1.0
    np.testing.assert_array_equal(w.grad.numpy(), expected)


def test_float32_stays_float32():
    w = npgrad.randn(6, 3, requires_grad=True)
    for mode in ("sum", "mean", "max"):
        y = F.embedding_bag(npgrad.tensor([[0, 1], [2, 5]]), w, mode=mode)
        assert y.dtype == npgrad.float32
        y.sum().backward()
        assert w.grad.dtype == npgrad.float32


def _x(lib, values, dtype="int64"):
    return lib.tensor(np.array(values), dtype=getattr(lib, dtype))


W = np.arange(30.0).reshape(10, 3)
W32 = W.astype(np.float32)
IDX = [1, 2, 4, 5, 4, 3, 2, 9]

ERRORS = [
    ("no_offsets", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W))),
    ("offsets_2d", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [[0, 4]]))),
    ("offsets_with_2d", lambda L: L.nn.functional.embedding_bag(_x(L, [IDX]), L.tensor(W), _x(L, [0]))),
    ("input_3d", lambda L: L.nn.functional.embedding_bag(_x(L, [[IDX]]), L.tensor(W))),
    ("bad_mode", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), mode="min")),
    ("max_freq", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), mode="max",
                                                         scale_grad_by_freq=True)),
    ("max_sparse", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), mode="max",
                                                           sparse=True)),
    ("psw_mean", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]),
                                                         per_sample_weights=L.ones(8, dtype=L.float64))),
    ("psw_max", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), mode="max",
                                                        per_sample_weights=L.ones(8, dtype=L.float64))),
    ("psw_shape", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), mode="sum",
                                                          per_sample_weights=L.ones(7, dtype=L.float64))),
    ("psw_dtype", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), mode="sum",
                                                          per_sample_weights=L.ones(8))),
    ("weight_1d", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W[0]), _x(L, [0]))),
    ("weight_long", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), _x(L, [[1, 2]] * 10), _x(L, [0]))),
    ("float_indices", lambda L: L.nn.functional.embedding_bag(L.tensor([1.0, 2.0]), L.tensor(W), _x(L, [0]))),
    ("float_offsets", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), L.tensor([0.0]))),
    ("first_offset", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [1, 4]))),
    ("first_offset_int", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W),
                                                                 _x(L, [2, 4], "int32"))),
    ("last_offset", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0, 9]))),
    ("decreasing", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W32), _x(L, [0, 5, 3]))),
    ("index_high", lambda L: L.nn.functional.embedding_bag(_x(L, [1, 10]), L.tensor(W), _x(L, [0]))),
    ("index_negative", lambda L: L.nn.functional.embedding_bag(_x(L, [1, 2, -1, 12]), L.tensor(W), _x(L, [0]))),
    ("index_high_f32", lambda L: L.nn.functional.embedding_bag(_x(L, [1, 10]), L.tensor(W32), _x(L, [0]))),
    ("index_negative_f32", lambda L: L.nn.functional.embedding_bag(_x(L, [1, -1, 12]), L.tensor(W32), _x(L, [0]),
                                                                   mode="sum")),
    ("index_high_f32_max", lambda L: L.nn.functional.embedding_bag(_x(L, [1, 10]), L.tensor(W32), _x(L, [0]),
                                                                   mode="max")),
    ("int32_offsets_float_input", lambda L: L.nn.functional.embedding_bag(L.tensor([1.0]), L.tensor(W),
                                                                          _x(L, [0], "int32"))),
    ("last_offset_empty", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, []),
                                                                  include_last_offset=True)),
    ("padding_high", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), padding_idx=10)),
    ("padding_low", lambda L: L.nn.functional.embedding_bag(_x(L, IDX), L.tensor(W), _x(L, [0]), padding_idx=-11)),
    ("zero_width", lambda L: L.nn.functional.embedding_bag(_x(L, np.zeros((3, 0), dtype=np.int64)), L.tensor(W))),
    ("module_padding", lambda L: L.nn.EmbeddingBag(10, 3, padding_idx=10)),
    ("module_padding_low", lambda L: L.nn.EmbeddingBag(10, 3, padding_idx=-11)),
    ("module_weight_shape", lambda L: L.nn.EmbeddingBag(10, 3, _weight=L.zeros(3, 3))),
    ("from_pretrained_1d", lambda L: L.nn.EmbeddingBag.from_pretrained(L.zeros(3))),
]


def _error(lib, fn):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception itself is the result
        return [type(e).__name__, str(e)]
    return None


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(case):
    name, fn = case
    expected = golden.json(f"error/{name}", lambda: _error(_torch(), fn))
    assert expected is not None, f"{name}: torch raised nothing"
    # the message names the type of the offsets passed in
    expected[1] = expected[1].replace("<class 'torch.Tensor'>", "<class 'npgrad.tensor.Tensor'>")
    assert _error(npgrad, fn) == expected


def test_old_argument_order_warns_and_swaps():
    def run(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = lib.nn.functional.embedding_bag(lib.tensor(W), _x(lib, IDX), _x(lib, [0, 4]))
        return {"out": y.numpy().tolist(), "warnings": [[w.category.__name__, str(w.message)] for w in caught]}

    assert run(npgrad) == golden.json("old_order", lambda: run(_torch()))


def test_mixed_index_and_offset_types_are_accepted():
    def run(lib):
        a = lib.nn.functional.embedding_bag(_x(lib, IDX), lib.tensor(W), _x(lib, [0, 4], "int32"), mode="sum")
        b = lib.nn.functional.embedding_bag(_x(lib, IDX, "int32"), lib.tensor(W), _x(lib, [0, 4]), mode="max")
        return {"a": a.numpy(), "b": b.numpy()}

    ours, ref = run(npgrad), golden("mixed_types", lambda: run(_torch()))
    for k in ref:
        np.testing.assert_array_equal(ours[k], ref[k])


# --------------------------------------------------------------------------- the module

MODULES = [
    ("default", (10, 3), {}),
    ("everything", (10, 3), dict(max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode="sum", sparse=True,
                                 include_last_offset=True, padding_idx=-2)),
    ("max", (7, 2), dict(mode="max", padding_idx=0)),
    ("norm_type_int", (4, 2), dict(norm_type=3)),
]


def _describe(lib, case):
    name, args, kwargs = case
    m = lib.nn.EmbeddingBag(*args, **kwargs)
    return {"repr": repr(m), "keys": list(m.state_dict().keys()), "shape": list(m.weight.shape),
            "padding_idx": m.padding_idx, "mode": m.mode, "include_last_offset": m.include_last_offset,
            "sparse": m.sparse, "requires_grad": m.weight.requires_grad,
            "padding_row_zero": bool(m.padding_idx is None or np.all(m.weight.detach().numpy()[m.padding_idx] == 0))}


@pytest.mark.parametrize("case", MODULES, ids=[c[0] for c in MODULES])
def test_module_describe_matches_torch(case):
    assert _describe(npgrad, case) == golden.json(f"module/{case[0]}", lambda: _describe(_torch(), case))


def test_module_forward_backward_match_torch():
    def run(lib):
        m = lib.nn.EmbeddingBag(8, 3, mode="sum", padding_idx=1, include_last_offset=True).double()
        with lib.no_grad():
            m.weight.copy_(lib.tensor(np.random.default_rng(5).standard_normal((8, 3))))
        x, off = _x(lib, [1, 2, 3, 1, 7, 0]), _x(lib, [0, 2, 6])
        psw = lib.tensor(np.linspace(0.5, 2.0, 6), requires_grad=True)
        y = m(x, off, per_sample_weights=psw)
        (y * lib.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
        return {"out": y.detach().numpy(), "grad": m.weight.grad.numpy(), "psw": psw.grad.numpy()}

    ours, ref = run(npgrad), golden("module/forward", lambda: run(_torch()))
    for k in ref:
        np.testing.assert_allclose(ours[k], ref[k], rtol=1e-12, atol=1e-14)


def test_from_pretrained_matches_torch():
    def run(lib):
        w = lib.tensor(np.arange(8.0).reshape(4, 2))
        frozen = lib.nn.EmbeddingBag.from_pretrained(w)
        free = lib.nn.EmbeddingBag.from_pretrained(w, freeze=False, mode="max", padding_idx=2)
        y = free(_x(lib, [[0, 2, 3], [2, 2, 1]]))
        return {"frozen": [frozen.weight.requires_grad, repr(frozen)], "free": [free.weight.requires_grad, repr(free)],
                "out": y.detach().numpy().tolist(),
                "shares": bool(np.shares_memory(w.numpy(), free.weight.detach().numpy()))}

    assert run(npgrad) == golden.json("from_pretrained", lambda: run(_torch()))


def test_module_reset_parameters_zeroes_padding_row():
    npgrad.manual_seed(0)
    m = nn.EmbeddingBag(5, 4, padding_idx=3)
    rows = m.weight.detach().numpy()
    assert np.all(rows[3] == 0) and np.any(rows[0] != 0)
    assert m.weight.dtype == npgrad.float32
    assert nn.EmbeddingBag(5, 4, dtype=npgrad.float64).weight.dtype == npgrad.float64
