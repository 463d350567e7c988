"""Pooling against torch.nn.functional and torch.nn: max, average, adaptive, power-average (LP) pooling and max
unpooling over 1, 2 and 3 dims. Values, flat indices and input gradients (float64 and float32), ties with
integer-valued inputs, NaN and -inf windows, integer dtypes, empty batches, float64 gradcheck, error types and
messages, module reprs and state_dict keys."""
import re

import numpy as np
import pytest

import npgrad
from npgrad.autograd import gradcheck
from harness import _seed
from oracle import Golden

golden = Golden("pool")


def _torch():
    import torch

    return torch


def _input(case_id, shape, kind):
    """``perm``: distinct values 0.25 apart (no ties, so max pooling is differentiable); ``normal``;
    ``positive``: in (0.5, 2); ``ties``: the integers 0, 1, 2."""
    rng = np.random.default_rng(_seed(case_id))
    n = int(np.prod(shape))
    if kind == "perm":
        return rng.permutation(n).reshape(shape) * 0.25 - n / 8
    if kind == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "ties":
        return rng.integers(0, 3, shape).astype(np.float64)
    return rng.standard_normal(shape)


# (id, function of nn.functional and the input, input shape, input kind)
CASES = [
    # max_pool1d
    ("mp1_k3", lambda F, x: F.max_pool1d(x, 3), (2, 3, 10), "perm"),
    ("mp1_s2_p1", lambda F, x: F.max_pool1d(x, 3, 2, 1), (2, 3, 11), "perm"),
    ("mp1_dil", lambda F, x: F.max_pool1d(x, 2, 1, 0, 2), (2, 2, 9), "perm"),
    ("mp1_dil_pad", lambda F, x: F.max_pool1d(x, 3, 2, 1, 2, return_indices=True), (2, 2, 9), "perm"),
    ("mp1_ceil", lambda F, x: F.max_pool1d(x, 3, 2, ceil_mode=True, return_indices=True), (2, 2, 10), "perm"),
    ("mp1_ceil_drop", lambda F, x: F.max_pool1d(x, 2, 2, 1, ceil_mode=True, return_indices=True), (1, 2, 5),
     "perm"),
    ("mp1_unbatched", lambda F, x: F.max_pool1d(x, 2), (3, 8), "perm"),
    ("mp1_indices", lambda F, x: F.max_pool1d(x, 4, 3, 2, return_indices=True), (2, 3, 13), "perm"),
    ("mp1_with_indices", lambda F, x: F.max_pool1d_with_indices(x, (3,), (1,), (1,)), (3, 7), "perm"),
    # max_pool2d
    ("mp2_k2", lambda F, x: F.max_pool2d(x, 2), (2, 3, 8, 8), "perm"),
    ("mp2_k3_s2_p1", lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True), (2, 3, 9, 9), "perm"),
    ("mp2_rect", lambda F, x: F.max_pool2d(x, (2, 3), (1, 2), (1, 1), (2, 1), return_indices=True), (2, 2, 7, 7),
     "perm"),
    ("mp2_ceil", lambda F, x: F.max_pool2d(x, 3, 2, ceil_mode=True, return_indices=True), (2, 2, 8, 7), "perm"),
    ("mp2_ceil_pad", lambda F, x: F.max_pool2d(x, (3, 2), (2, 1), (1, 0), ceil_mode=True, return_indices=True),
     (1, 2, 6, 5), "perm"),
    ("mp2_dil_pad", lambda F, x: F.max_pool2d(x, 3, 1, 1, 2, return_indices=True), (1, 2, 7, 6), "perm"),
    ("mp2_one_tuple", lambda F, x: F.max_pool2d(x, (2,), (1,), (1,)), (2, 2, 5, 5), "perm"),
    ("mp2_unbatched", lambda F, x: F.max_pool2d(x, 2, return_indices=True), (3, 6, 6), "perm"),
    ("mp2_with_indices", lambda F, x: F.max_pool2d_with_indices(x, 2, 1), (2, 2, 4, 5), "perm"),
    ("mp2_empty_batch", lambda F, x: F.max_pool2d(x, 2, return_indices=True), (0, 3, 4, 4), "perm"),
    # max_pool3d
    ("mp3_k2", lambda F, x: F.max_pool3d(x, 2), (1, 2, 4, 4, 4), "perm"),
    ("mp3_k3_s2_p1", lambda F, x: F.max_pool3d(x, 3, 2, 1, return_indices=True), (2, 1, 5, 5, 5), "perm"),
    ("mp3_mixed", lambda F, x: F.max_pool3d(x, (2, 3, 2), (1, 2, 1), 1, (1, 1, 2), ceil_mode=True,
                                            return_indices=True), (2, 4, 5, 6), "perm"),
    ("mp3_unbatched", lambda F, x: F.max_pool3d(x, 2, return_indices=True), (2, 4, 4, 4), "perm"),
    ("mp3_with_indices", lambda F, x: F.max_pool3d_with_indices(x, (1, 2, 2)), (1, 2, 3, 4, 4), "perm"),
    # avg_pool1d
    ("ap1_k3", lambda F, x: F.avg_pool1d(x, 3), (2, 3, 10), "normal"),
    ("ap1_s2_p1", lambda F, x: F.avg_pool1d(x, 3, 2, 1), (2, 3, 11), "normal"),
    ("ap1_nopad_count", lambda F, x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), (2, 3, 11), "normal"),
    ("ap1_ceil", lambda F, x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True), (2, 2, 6), "normal"),
    ("ap1_ceil_nopad", lambda F, x: F.avg_pool1d(x, 3, 2, 1, True, False), (2, 2, 6), "normal"),
    ("ap1_unbatched", lambda F, x: F.avg_pool1d(x, 2), (3, 9), "normal"),
    # avg_pool2d
    ("ap2_k2", lambda F, x: F.avg_pool2d(x, 2), (2, 3, 8, 8), "normal"),
    ("ap2_k3_s2_p1", lambda F, x: F.avg_pool2d(x, 3, 2, 1), (2, 3, 9, 9), "normal"),
    ("ap2_ceil_nopad", lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     (2, 2, 8, 7), "normal"),
    ("ap2_rect", lambda F, x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 1), ceil_mode=True), (2, 3, 9, 8), "normal"),
    ("ap2_divisor", lambda F, x: F.avg_pool2d(x, 3, 2, 1, divisor_override=5), (3, 9, 8), "normal"),
    ("ap2_divisor_neg", lambda F, x: F.avg_pool2d(x, 2, 1, 1, True, False, -3), (2, 5, 5), "normal"),
    ("ap2_overlap", lambda F, x: F.avg_pool2d(x, 3, 1), (1, 2, 6, 6), "normal"),
    ("ap2_empty_batch", lambda F, x: F.avg_pool2d(x, 2), (0, 3, 4, 4), "normal"),
    # avg_pool3d
    ("ap3_k2", lambda F, x: F.avg_pool3d(x, 2), (1, 2, 4, 4, 4), "normal"),
    ("ap3_ceil_nopad", lambda F, x: F.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
     (2, 2, 5, 6, 7), "normal"),
    ("ap3_mixed", lambda F, x: F.avg_pool3d(x, (1, 3, 2), (1, 2, 1), (0, 1, 1), divisor_override=2),
     (2, 3, 5, 4), "normal"),
    ("ap3_unbatched_ceil", lambda F, x: F.avg_pool3d(x, 2, ceil_mode=True), (2, 3, 5, 5), "normal"),
    # adaptive_avg_pool
    ("aap1_even", lambda F, x: F.adaptive_avg_pool1d(x, 4), (2, 3, 8), "normal"),
    ("aap1_overlap", lambda F, x: F.adaptive_avg_pool1d(x, 3), (2, 3, 7), "normal"),
    ("aap1_up", lambda F, x: F.adaptive_avg_pool1d(x, 7), (2, 2, 5), "normal"),
    ("aap1_mean", lambda F, x: F.adaptive_avg_pool1d(x, 1), (3, 6), "normal"),
    ("aap1_zero", lambda F, x: F.adaptive_avg_pool1d(x, 0), (2, 3, 6), "normal"),
    ("aap2_grid", lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)), (2, 3, 7, 9), "normal"),
    ("aap2_none", lambda F, x: F.adaptive_avg_pool2d(x, (None, 2)), (2, 3, 5, 7), "normal"),
    ("aap2_up", lambda F, x: F.adaptive_avg_pool2d(x, (5, 4)), (2, 2, 3, 3), "normal"),
    ("aap2_mean", lambda F, x: F.adaptive_avg_pool2d(x, 1), (2, 3, 5, 4), "normal"),
    ("aap2_mean_5d", lambda F, x: F.adaptive_avg_pool2d(x, (1, 1)), (2, 1, 2, 3, 4), "normal"),
    ("aap2_unbatched", lambda F, x: F.adaptive_avg_pool2d(x, (2, 1)), (3, 5, 4), "normal"),
    ("aap3_grid", lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 2)), (2, 2, 5, 4, 5), "normal"),
    ("aap3_none", lambda F, x: F.adaptive_avg_pool3d(x, (None, 2, None)), (1, 2, 3, 5, 2), "normal"),
    ("aap3_mean", lambda F, x: F.adaptive_avg_pool3d(x, 1), (2, 2, 3, 3, 2), "normal"),
    ("aap3_unbatched", lambda F, x: F.adaptive_avg_pool3d(x, 2), (2, 3, 5, 4), "normal"),
    # adaptive_max_pool
    ("amp1_even", lambda F, x: F.adaptive_max_pool1d(x, 4, return_indices=True), (2, 3, 8), "perm"),
    ("amp1_overlap", lambda F, x: F.adaptive_max_pool1d(x, 3, True), (2, 3, 7), "perm"),
    ("amp1_up", lambda F, x: F.adaptive_max_pool1d(x, 7), (2, 2, 5), "perm"),
    ("amp1_unbatched", lambda F, x: F.adaptive_max_pool1d_with_indices(x, 2), (3, 7), "perm"),
    ("amp2_grid", lambda F, x: F.adaptive_max_pool2d(x, (3, 4), return_indices=True), (2, 3, 7, 9), "perm"),
    ("amp2_none", lambda F, x: F.adaptive_max_pool2d(x, (None, 3), True), (2, 2, 4, 7), "perm"),
    ("amp2_up", lambda F, x: F.adaptive_max_pool2d(x, (5, 4), True), (2, 2, 3, 3), "perm"),
    ("amp2_global", lambda F, x: F.adaptive_max_pool2d(x, 1, True), (2, 3, 4, 5), "perm"),
    ("amp2_with_indices", lambda F, x: F.adaptive_max_pool2d_with_indices(x, 2), (3, 5, 5), "perm"),
    ("amp2_zero", lambda F, x: F.adaptive_max_pool2d(x, (0, 2), True), (2, 3, 4, 4), "perm"),
    ("amp3_grid", lambda F, x: F.adaptive_max_pool3d(x, (2, 3, 2), return_indices=True), (2, 2, 5, 4, 5),
     "perm"),
    ("amp3_none", lambda F, x: F.adaptive_max_pool3d(x, (None, 2, 3)), (1, 2, 3, 5, 4), "perm"),
    ("amp3_unbatched", lambda F, x: F.adaptive_max_pool3d_with_indices(x, 2), (2, 3, 5, 4), "perm"),
    # lp_pool
    ("lp1_p2", lambda F, x: F.lp_pool1d(x, 2, 3), (2, 3, 9), "positive"),
    ("lp1_p3_s2_ceil", lambda F, x: F.lp_pool1d(x, 3, 3, 2, True), (2, 3, 8), "positive"),
    ("lp1_inf", lambda F, x: F.lp_pool1d(x, float("inf"), 2), (2, 2, 6), "perm"),
    ("lp2_p2", lambda F, x: F.lp_pool2d(x, 2, 2), (2, 3, 6, 6), "positive"),
    ("lp2_p1_5", lambda F, x: F.lp_pool2d(x, 1.5, (3, 2), (2, 1), ceil_mode=True), (2, 2, 7, 5), "positive"),
    ("lp2_neg_inf", lambda F, x: F.lp_pool2d(x, -float("inf"), 2), (1, 2, 4, 4), "perm"),
    ("lp3_p2", lambda F, x: F.lp_pool3d(x, 2, 2), (1, 2, 4, 4, 4), "positive"),
    ("lp3_p4_stride", lambda F, x: F.lp_pool3d(x, 4, (2, 1, 2), 1), (2, 3, 3, 4), "positive"),
    # max_unpool, fed by max_pool's indices (gradients flow through both)
    ("mu1", lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2), (2, 3, 8), "perm"),
    ("mu1_size", lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 3, 2, return_indices=True), 3, 2,
                                             output_size=[10]), (2, 2, 9), "perm"),
    ("mu1_overlap", lambda F, x: F.max_unpool1d(*F.max_pool1d(x, 3, 1, return_indices=True), 3, 1), (2, 2, 8),
     "perm"),
    ("mu2", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), (2, 3, 4, 4), "perm"),
    ("mu2_pad_size", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 3, 2, 1, return_indices=True), 3, 2, 1,
                                                 output_size=(2, 2, 7, 8)), (2, 2, 7, 8), "perm"),
    ("mu2_overlap", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 3, 1, 1, return_indices=True), 3, 1, 1),
     (1, 2, 5, 5), "perm"),
    ("mu2_unbatched", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, (2, 1), return_indices=True), (2, 1)),
     (3, 4, 3), "perm"),
    ("mu3", lambda F, x: F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True), 2), (1, 2, 4, 4, 4), "perm"),
    ("mu3_size", lambda F, x: F.max_unpool3d(*F.max_pool3d(x, 2, 2, 1, return_indices=True), 2, 2, 1,
                                             output_size=[5, 4, 5]), (2, 5, 4, 5), "perm"),
]


def _run(lib, case, dtype):
    """Outputs of the case and the input's gradient for a fixed random weighting of the first output."""
    case_id, fn, shape, kind = case
    x = lib.tensor(_input(case_id, shape, kind).astype(dtype), requires_grad=True)
    out = fn(lib.nn.functional, x)
    outs = out if isinstance(out, tuple) else (out,)
    if outs[0].numel() == 0:  # torch's adaptive backward refuses an empty gradient: forward only
        return {"out": [o.detach().numpy() for o in outs], "grad": np.zeros(shape, dtype=dtype)}
    weight = np.random.default_rng(_seed(case_id) + 1).standard_normal(tuple(outs[0].shape)).astype(dtype)
    (outs[0] * lib.tensor(weight)).sum().backward()
    return {"out": [o.detach().numpy() for o in outs], "grad": x.grad.numpy()}


def _compare(got, ref, rtol, atol, key):
    assert len(got["out"]) == len(ref["out"]), f"{key}: {len(got['out'])} outputs, torch has {len(ref['out'])}"
    for i, (g, r) in enumerate(zip(got["out"] + [got["grad"]], list(ref["out"]) + [ref["grad"]])):
        r = np.asarray(r)
        assert g.shape == r.shape, f"{key}[{i}]: shape {g.shape} != torch {r.shape}"
        assert g.dtype == r.dtype, f"{key}[{i}]: dtype {g.dtype} != torch {r.dtype}"
        if r.dtype.kind == "f":
            np.testing.assert_allclose(g, r, rtol=rtol, atol=atol, err_msg=f"{key}[{i}]")
        else:
            np.testing.assert_array_equal(g, r, err_msg=f"{key}[{i}]")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_float64_matches_torch(case):
    ref = golden(f"{case[0]}/float64", lambda: _run(_torch(), case, np.float64))
    _compare(_run(npgrad, case, np.float64), ref, 1e-10, 1e-12, case[0])


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_float32_matches_torch(case):
    ref = golden(f"{case[0]}/float32", lambda: _run(_torch(), case, np.float32))
    _compare(_run(npgrad, case, np.float32), ref, 1e-5, 1e-6, case[0])


# Overlapping pooling windows can pick one element twice; unpooling then writes it twice (the last write wins) but
# torch's backward gathers the gradient for every copy, which these cases match and central differences do not.
DUPLICATE_INDICES = {"mu1_size", "mu1_overlap", "mu2_pad_size", "mu2_overlap"}
GRADCHECK = [c for c in CASES if not c[0].endswith(("empty_batch", "zero")) and c[0] not in DUPLICATE_INDICES]


@pytest.mark.parametrize("case", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_gradcheck(case):
    case_id, fn, shape, kind = case
    x = npgrad.tensor(_input(case_id, shape, kind), requires_grad=True)
    assert gradcheck(lambda t: fn(npgrad.nn.functional, t), [x], eps=1e-6, atol=1e-7, rtol=1e-5)


# ----------------------------------------------------------------------------- ties, NaN, -inf, dtypes

# integer-valued inputs: many equal values in every window; torch keeps the first maximum in scan order
TIES = [
    ("ties_mp1", lambda F, x: F.max_pool1d(x, 3, 1, 1, return_indices=True), (2, 3, 12)),
    ("ties_mp1_dil", lambda F, x: F.max_pool1d(x, 3, 2, 1, 2, return_indices=True), (2, 3, 12)),
    ("ties_mp2_k2", lambda F, x: F.max_pool2d(x, 2, return_indices=True), (2, 3, 6, 6)),
    ("ties_mp2_overlap", lambda F, x: F.max_pool2d(x, 3, 1, 1, return_indices=True), (2, 3, 6, 5)),
    ("ties_mp2_ceil", lambda F, x: F.max_pool2d(x, (3, 2), 2, (1, 0), 1, True, True), (2, 2, 7, 6)),
    ("ties_mp3", lambda F, x: F.max_pool3d(x, 3, 2, 1, return_indices=True), (1, 2, 5, 5, 5)),
    ("ties_amp1", lambda F, x: F.adaptive_max_pool1d(x, 3, True), (2, 3, 7)),
    ("ties_amp2", lambda F, x: F.adaptive_max_pool2d(x, (3, 4), True), (2, 3, 7, 9)),
    ("ties_amp3", lambda F, x: F.adaptive_max_pool3d(x, (2, 3, 2), True), (2, 2, 5, 4, 5)),
    ("ties_unpool", lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 3, 1, return_indices=True), 3, 1), (1, 2, 5, 5)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", TIES, ids=[c[0] for c in TIES])
def test_ties_go_to_the_first_maximum(case, dtype):
    case_id, fn, shape = case
    full = (case_id, fn, shape, "ties")
    ref = golden(f"{case_id}/{np.dtype(dtype).name}", lambda: _run(_torch(), full, dtype))
    got = _run(npgrad, full, dtype)
    assert np.unique(_input(case_id, shape, "ties")).size == 3  # the input really is full of ties
    _compare(got, ref, 1e-12 if dtype == np.float64 else 1e-6, 1e-12 if dtype == np.float64 else 1e-6, case_id)


def _special_input(kind, shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    if kind == "nan":
        x.reshape(-1)[rng.choice(x.size, x.size // 5, replace=False)] = np.nan
    elif kind == "neginf":
        x.reshape(-1)[rng.choice(x.size, x.size // 2, replace=False)] = -np.inf
    elif kind == "allneginf":
        x[...] = -np.inf
    return x


SPECIAL = [
    ("mp1", lambda F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True), (2, 2, 11)),
    ("mp2", lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True), (2, 2, 7, 7)),
    ("mp2_dil", lambda F, x: F.max_pool2d(x, 3, 1, 1, 2, True, True), (1, 2, 6, 7)),
    ("mp3", lambda F, x: F.max_pool3d(x, 2, 1, 1, return_indices=True), (1, 2, 4, 3, 4)),
    ("amp2", lambda F, x: F.adaptive_max_pool2d(x, (3, 2), True), (2, 2, 7, 5)),
    ("amp3", lambda F, x: F.adaptive_max_pool3d(x, 2, True), (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("kind", ["nan", "neginf", "allneginf"])
@pytest.mark.parametrize("case", SPECIAL, ids=[c[0] for c in SPECIAL])
def test_nan_and_neginf_windows(case, kind):
    """A NaN is the maximum of its window (the last NaN's index is kept); a window of -inf points at its first
    element inside the input, padding included."""
    name, fn, shape = case

    def run(lib):
        x = lib.tensor(_special_input(kind, shape), requires_grad=True)
        out, indices = fn(lib.nn.functional, x)
        weight = np.random.default_rng(3).uniform(0.5, 2.0, tuple(out.shape))  # -inf * w stays -inf
        (out * lib.tensor(weight)).sum().backward()
        return {"out": out.detach().numpy(), "indices": indices.numpy(), "grad": x.grad.numpy()}

    ref = golden(f"special/{name}/{kind}", lambda: run(_torch()))
    got = run(npgrad)
    np.testing.assert_allclose(got["out"], ref["out"], rtol=0, atol=0)  # NaN == NaN, -inf == -inf here
    np.testing.assert_array_equal(got["indices"], ref["indices"])
    np.testing.assert_allclose(got["grad"], ref["grad"], rtol=1e-12, atol=1e-12)
    if kind == "nan":
        assert np.isnan(got["out"]).any() and not np.isnan(got["out"]).all()


def test_max_pool1d_without_grad_propagates_nan():
    x = _special_input("nan", (2, 2, 11))

    def run(lib):
        return lib.nn.functional.max_pool1d(lib.tensor(x), 3, 2, 1).numpy()

    ref = golden("special/mp1_nograd", lambda: run(_torch()))
    np.testing.assert_allclose(run(npgrad), ref, rtol=0, atol=0)
    assert np.isnan(ref).any()


INTEGER = [
    ("int_mp2", lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True), (2, 2, 7, 7), "int64"),
    ("int_mp2_min", lambda F, x: F.max_pool2d(x, 2, 1, 1, return_indices=True), (1, 1, 3, 3), "int64"),
    ("int_mp2_int32", lambda F, x: F.max_pool2d(x, 2), (1, 2, 4, 4), "int32"),
    ("int_mp1_indices", lambda F, x: F.max_pool1d(x, 3, 2, 1, return_indices=True), (2, 6), "int64"),
    ("int_mp3", lambda F, x: F.max_pool3d(x, 2, 1, 1, ceil_mode=True, return_indices=True), (1, 2, 3, 3, 3),
     "int64"),
    ("int_ap2", lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (2, 2, 6, 7), "int64"),
    ("int_ap2_nopad", lambda F, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), (2, 2, 6, 7), "int64"),
    ("int_ap2_divisor", lambda F, x: F.avg_pool2d(x, 2, divisor_override=-3), (1, 2, 4, 4), "int64"),
    ("int_ap1", lambda F, x: F.avg_pool1d(x, 2), (2, 3, 7), "int64"),
    ("int_ap3", lambda F, x: F.avg_pool3d(x, 2, divisor_override=3), (1, 2, 2, 4, 4), "int64"),
]


@pytest.mark.parametrize("case", INTEGER, ids=[c[0] for c in INTEGER])
def test_integer_inputs(case):
    """Integer max pools keep the dtype; integer averages round towards zero (C's division)."""
    name, fn, shape, dtype = case
    x = np.random.default_rng(_seed(name)).integers(-9, 10, shape).astype(dtype)
    if name == "int_mp2_min":
        x[...] = np.iinfo(np.int64).min

    def run(lib):
        out = fn(lib.nn.functional, lib.tensor(x))
        return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]

    ref = golden(name, lambda: run(_torch()))
    got = run(npgrad)
    for g, r in zip(got, ref):
        assert g.dtype == r.dtype
        np.testing.assert_array_equal(g, r)


def test_float32_stays_float32_and_grad_mode_off():
    x = _input("f32", (2, 3, 8, 8), "perm").astype(np.float32)
    F = npgrad.nn.functional
    with npgrad.no_grad():
        t = npgrad.tensor(x, requires_grad=True)
        for out in (F.max_pool2d(t, 2), F.avg_pool2d(t, 2), F.adaptive_avg_pool2d(t, 3), F.adaptive_max_pool2d(t, 3),
                    F.max_pool1d(t[0], 2), F.lp_pool2d(t.abs(), 2, 2)):
            assert out.dtype == npgrad.float32 and not out.requires_grad
    y, i = F.max_pool2d(npgrad.tensor(x, requires_grad=True), 2, return_indices=True)
    assert y.dtype == npgrad.float32 and y.requires_grad and i.dtype == npgrad.int64 and not i.requires_grad


def test_max_pool1d_with_and_without_grad_agree():
    """max_pool1d takes one path with gradients (through the 2D kernel) and another without."""
    x = _input("mp1paths", (2, 3, 11), "perm")
    F = npgrad.nn.functional
    with_grad = F.max_pool1d(npgrad.tensor(x, requires_grad=True), 3, 2, 1, 2, ceil_mode=True)
    plain = F.max_pool1d(npgrad.tensor(x), 3, 2, 1, 2, ceil_mode=True)
    np.testing.assert_array_equal(with_grad.detach().numpy(), plain.numpy())
    assert with_grad.requires_grad and not plain.requires_grad


# ----------------------------------------------------------------------------- errors


def _idx(lib, values, dtype="int64"):
    return lib.tensor(np.asarray(values).astype(dtype))


def _pooled(lib, n):
    """A pooled tensor and its indices: 1D (2, 3, 3) from (2, 3, 6); 2D (2, 3, 2, 2); 3D (1, 2, 2, 2, 2)."""
    F = lib.nn.functional
    shape = {1: (2, 3, 6), 2: (2, 3, 4, 4), 3: (1, 2, 4, 4, 4)}[n]
    x = lib.tensor(_input(f"pooled{n}", shape, "perm"))
    return getattr(F, f"max_pool{n}d")(x, 2, return_indices=True)


def _error_cases():
    F = lambda lib: lib.nn.functional  # noqa: E731
    cases = {}
    # one plane: torch reports the last invalid unpooling index it meets, and runs planes in parallel threads
    one = {"y": lambda y: y[:1, :1], "i": lambda i: i[:1, :1]}
    shapes = {1: (2, 3, 5), 2: (2, 3, 5, 5), 3: (1, 2, 4, 4, 4)}
    for n in (1, 2, 3):
        s = shapes[n]
        for ri in (False, True):
            name = f"max_pool{n}d" + ("_ri" if ri else "")

            def mp(lib, *a, _n=n, _ri=ri, x=None, **k):
                x = lib.zeros(*shapes[_n]) if x is None else x
                return getattr(F(lib), f"max_pool{_n}d")(x, *a, return_indices=_ri, **k)

            cases.update({
                f"{name}/k0": lambda lib, mp=mp: mp(lib, 0),
                f"{name}/kneg": lambda lib, mp=mp: mp(lib, -1),
                f"{name}/k0_s1": lambda lib, mp=mp: mp(lib, 0, 1),
                f"{name}/s0": lambda lib, mp=mp: mp(lib, 2, 0),
                f"{name}/sneg": lambda lib, mp=mp: mp(lib, 2, -1),
                f"{name}/d0": lambda lib, mp=mp: mp(lib, 2, 1, 0, 0),
                f"{name}/pbig": lambda lib, mp=mp: mp(lib, 2, 1, 2),
                f"{name}/pneg": lambda lib, mp=mp: mp(lib, 2, 1, -1),
                f"{name}/pad_dilation": lambda lib, mp=mp: mp(lib, 2, 1, 2, 3),
                f"{name}/too_small": lambda lib, mp=mp: mp(lib, 6),
                f"{name}/ktuple": lambda lib, mp=mp: mp(lib, (2, 2, 2, 2)),
                f"{name}/ktuple0": lambda lib, mp=mp: mp(lib, ()),
                f"{name}/stuple": lambda lib, mp=mp: mp(lib, 2, (1, 1, 1, 1)),
                f"{name}/ptuple": lambda lib, mp=mp: mp(lib, 2, 1, (1, 1, 1, 1)),
                f"{name}/dtuple": lambda lib, mp=mp: mp(lib, 2, 1, 0, (1, 1, 1, 1)),
                f"{name}/kfloat": lambda lib, mp=mp: mp(lib, 2.0),
                f"{name}/kfloat_second": lambda lib, mp=mp: mp(lib, (2, 2.0)),   # torch's "failed to unpack"
                f"{name}/kbool_first": lambda lib, mp=mp: mp(lib, (True, 2)),
                f"{name}/sfloat_second": lambda lib, mp=mp: mp(lib, 2, (1, 1.0)),
                f"{name}/dim_low": lambda lib, mp=mp, s=s: mp(lib, 2, x=lib.zeros(tuple(s[2:]))),
                f"{name}/dim_high": lambda lib, mp=mp, s=s: mp(lib, 2, x=lib.zeros(1, *s)),
                f"{name}/empty_channels": lambda lib, mp=mp, s=s: mp(lib, 2, x=lib.zeros(s[0], 0, *s[2:])),
                f"{name}/empty_last": lambda lib, mp=mp, s=s: mp(lib, 2, x=lib.zeros(*s[:-1], 0)),
                f"{name}/bool": lambda lib, mp=mp, s=s: mp(lib, 2, x=lib.zeros(*s, dtype=lib.bool)),
                f"{name}/long": lambda lib, mp=mp, s=s: mp(lib, 2, x=lib.zeros(*s, dtype=lib.int64)),
                f"{name}/grad_pbig": lambda lib, mp=mp, s=s: mp(lib, 2, 1, 2, x=lib.zeros(*s, requires_grad=True)),
                f"{name}/grad_too_small": lambda lib, mp=mp, s=s: mp(lib, 6, x=lib.zeros(*s, requires_grad=True)),
            })

        def ap(lib, *a, _n=n, x=None, **k):
            x = lib.zeros(*shapes[_n]) if x is None else x
            return getattr(F(lib), f"avg_pool{_n}d")(x, *a, **k)

        name = f"avg_pool{n}d"
        cases.update({
            f"{name}/k0": lambda lib, ap=ap: ap(lib, 0),
            f"{name}/k0_s1": lambda lib, ap=ap: ap(lib, 0, 1),
            f"{name}/kneg": lambda lib, ap=ap: ap(lib, -1),
            f"{name}/s0": lambda lib, ap=ap: ap(lib, 2, 0),
            f"{name}/sneg": lambda lib, ap=ap: ap(lib, 2, -1),
            f"{name}/pbig": lambda lib, ap=ap: ap(lib, 2, 1, 2),
            f"{name}/pbig3": lambda lib, ap=ap: ap(lib, 3, 1, 2),
            f"{name}/pneg": lambda lib, ap=ap: ap(lib, 2, 1, -1),
            f"{name}/too_small": lambda lib, ap=ap: ap(lib, 6),
            f"{name}/ktuple": lambda lib, ap=ap: ap(lib, (2, 2, 2, 2)),
            f"{name}/ktuple0": lambda lib, ap=ap: ap(lib, ()),
            f"{name}/stuple": lambda lib, ap=ap: ap(lib, 2, (1, 1, 1, 1)),
            f"{name}/ptuple": lambda lib, ap=ap: ap(lib, 2, 1, (1, 1, 1, 1)),
            f"{name}/dim_low": lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(tuple(s[2:]))),
            f"{name}/dim_lower": lambda lib, ap=ap, s=s: ap(lib, 1, x=lib.zeros(tuple(s[3:]))),
            f"{name}/dim_high": lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(1, *s)),
            f"{name}/scalar": lambda lib, ap=ap: ap(lib, 1, x=lib.zeros(())),
            f"{name}/empty_channels": lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(s[0], 0, *s[2:])),
            f"{name}/empty_last": lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(*s[:-1], 0)),
            f"{name}/unbatched_empty_channels": lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(0, *s[2:])),
            f"{name}/bool": lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(*s, dtype=lib.bool)),
            f"{name}/int32": lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(*s, dtype=lib.int32)),
        })
        if n > 1:
            cases[f"{name}/divisor0"] = lambda lib, ap=ap: ap(lib, 2, divisor_override=0)
            cases[f"{name}/divisor0_dim_low"] = lambda lib, ap=ap: ap(lib, 2, divisor_override=0, x=lib.zeros(3))
        if n == 3:
            cases[f"{name}/half"] = lambda lib, ap=ap, s=s: ap(lib, 2, x=lib.zeros(*s, dtype=lib.float16))

        for kind in ("avg", "max"):
            fn = f"adaptive_{kind}_pool{n}d"

            def ad(lib, o, _fn=fn, _n=n, x=None):
                x = lib.zeros(*shapes[_n]) if x is None else x
                return getattr(F(lib), _fn)(x, o)

            cases.update({
                f"{fn}/oneg": lambda lib, ad=ad: ad(lib, -1),
                f"{fn}/oneg_tuple": lambda lib, ad=ad, n=n: ad(lib, (2,) * (n - 1) + (-2,)),
                f"{fn}/otuple_long": lambda lib, ad=ad, n=n: ad(lib, (2,) * (n + 1)),
                f"{fn}/otuple_short": lambda lib, ad=ad, n=n: ad(lib, (2,) * (n - 1)),
                f"{fn}/otuple0": lambda lib, ad=ad: ad(lib, ()),
                f"{fn}/none_entries": lambda lib, ad=ad, n=n: ad(lib, (None,) * n),
                f"{fn}/none": lambda lib, ad=ad: ad(lib, None),
                f"{fn}/float": lambda lib, ad=ad: ad(lib, 2.0),
                f"{fn}/dim_low": lambda lib, ad=ad, s=s: ad(lib, 2, x=lib.zeros(tuple(s[2:]))),
                f"{fn}/dim_lower": lambda lib, ad=ad, s=s: ad(lib, 2, x=lib.zeros(tuple(s[3:]))),
                f"{fn}/dim_low_none": lambda lib, ad=ad, s=s, n=n: ad(lib, (None,) * n, x=lib.zeros(tuple(s[2:]))),
                f"{fn}/dim_low_mean": lambda lib, ad=ad, s=s: ad(lib, 1, x=lib.zeros(tuple(s[3:]))),
                f"{fn}/dim_high": lambda lib, ad=ad, s=s: ad(lib, 2, x=lib.zeros(1, *s)),
                f"{fn}/empty_channels": lambda lib, ad=ad, s=s: ad(lib, 2, x=lib.zeros(s[0], 0, *s[2:])),
                f"{fn}/empty_last": lambda lib, ad=ad, s=s: ad(lib, 2, x=lib.zeros(*s[:-1], 0)),
                f"{fn}/long": lambda lib, ad=ad, s=s: ad(lib, 2, x=lib.zeros(*s, dtype=lib.int64)),
                f"{fn}/long_mean": lambda lib, ad=ad, s=s: ad(lib, 1, x=lib.zeros(*s, dtype=lib.int64)),
            })

        fn = f"max_unpool{n}d"

        def mu(lib, *a, _n=n, _fn=fn, y=None, i=None, **k):
            yy, ii = _pooled(lib, _n)
            return getattr(F(lib), _fn)(yy if y is None else y(yy), ii if i is None else i(ii), *a, **k)

        cases.update({
            f"{fn}/int32_indices": lambda lib, mu=mu: mu(lib, 2, i=lambda i: i.int()),
            f"{fn}/float_indices": lambda lib, mu=mu: mu(lib, 2, i=lambda i: i.double()),
            f"{fn}/invalid_index": lambda lib, mu=mu: mu(lib, 2, i=lambda i: i * 0 + 500),
            f"{fn}/negative_index": lambda lib, mu=mu: mu(lib, 2, i=lambda i: i * 0 - 3),
            f"{fn}/stride1_invalid": lambda lib, mu=mu: mu(lib, 2, 1, **one),
            f"{fn}/shape_mismatch": lambda lib, mu=mu: mu(lib, 2, i=lambda i: i[..., :1]),
            f"{fn}/output_size": lambda lib, mu=mu, n=n: mu(lib, 2, output_size=[9] * n),
            f"{fn}/output_size_len": lambda lib, mu=mu, n=n: mu(lib, 2, output_size=[4] * (n + 1)),
            f"{fn}/s0": lambda lib, mu=mu: mu(lib, 2, 0, **one),
            f"{fn}/sneg": lambda lib, mu=mu: mu(lib, 2, -1, **one),
            f"{fn}/pad_big": lambda lib, mu=mu: mu(lib, 2, 2, 3, **one),
            f"{fn}/several_invalid": lambda lib, mu=mu: mu(lib, 2, i=lambda i: (i * 7)[:1, :1]),
            f"{fn}/dim_low": lambda lib, mu=mu: mu(lib, 2, y=lambda y: y[0, 0], i=lambda i: i[0, 0]),
            f"{fn}/dim_high": lambda lib, mu=mu: mu(lib, 2, y=lambda y: y[None], i=lambda i: i[None]),
            f"{fn}/empty_channels": lambda lib, mu=mu: mu(lib, 2, y=lambda y: y[:, :0], i=lambda i: i[:, :0]),
            f"{fn}/ktuple": lambda lib, mu=mu: mu(lib, (2,) * 5),
            f"{fn}/long_input": lambda lib, mu=mu: mu(lib, 2, y=lambda y: y.long()),
        })
    cases.update({
        "lp_pool2d/ktuple3": lambda lib: F(lib).lp_pool2d(lib.ones(1, 1, 4, 4), 2, (2, 2, 2)),
        "lp_pool3d/ktuple2": lambda lib: F(lib).lp_pool3d(lib.ones(1, 1, 4, 4, 4), 2, (2, 2)),
        "lp_pool1d/dim": lambda lib: F(lib).lp_pool1d(lib.ones(4), 2, 2),
        "max_pool1d/dim_first": lambda lib: F(lib).max_pool1d(lib.zeros(5), (2, 2)),
        "max_pool1d_ri/dim_first": lambda lib: F(lib).max_pool1d(lib.zeros(5), (2, 2), return_indices=True),
        "max_pool2d/stride_second_zero": lambda lib: F(lib).max_pool2d(lib.zeros(1, 1, 5, 5), 2, (1, 0)),
        "max_pool2d/pad_second_negative": lambda lib: F(lib).max_pool2d(lib.zeros(1, 1, 5, 5), 2, 1, (0, -1)),
        "max_pool3d/empty_depth": lambda lib: F(lib).max_pool3d(lib.zeros(1, 2, 0, 4, 4), 2),
        "max_pool3d/empty_unbatched": lambda lib: F(lib).max_pool3d(lib.zeros(0, 4, 4, 4), 2),
        "avg_pool3d/too_small_ceil": lambda lib: F(lib).avg_pool3d(lib.zeros(1, 1, 3, 3, 1), 2, ceil_mode=True),
    })
    return cases


ERRORS = _error_cases()


# unpooling with several distinct invalid indices: torch's threads race to report one of them
RACY_INDEX = ("/s0", "/sneg", "/stride1_invalid", "/several_invalid")


def _outcome(lib, call, key=""):
    try:
        out = call(lib)
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        message = str(e)
        if key.startswith("max_unpool") and key.endswith(RACY_INDEX):
            message = re.sub(r"invalid max index: -?[0-9]+", "invalid max index: N", message)
        return {"error": type(e).__name__, "message": message}
    outs = out if isinstance(out, tuple) else (out,)
    return {"shapes": [list(o.shape) for o in outs]}


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_errors_match_torch(key):
    expected = golden.json(f"error/{key}", lambda: _outcome(_torch(), ERRORS[key], key))
    assert _outcome(npgrad, ERRORS[key], key) == expected


def test_error_table_raises():
    """Most entries of the table are errors in torch (the rest: inputs torch accepts that look wrong)."""
    outcomes = [golden.json(f"error/{key}", lambda key=key: _outcome(_torch(), ERRORS[key], key)) for key in ERRORS]
    assert sum("error" in o for o in outcomes) > 0.8 * len(outcomes)


# ----------------------------------------------------------------------------- modules

MODULES = [
    ("MaxPool1d", (3,), {}, (2, 3, 10)),
    ("MaxPool1d", (3, 2, 1, 2), {"return_indices": True, "ceil_mode": True}, (2, 3, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6)),
    ("MaxPool2d", ((3, 2),), {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "return_indices": True},
     (2, 3, 7, 7)),
    ("MaxPool3d", (2,), {"stride": 1, "ceil_mode": True}, (1, 2, 3, 4, 4)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, (2, 3, 8)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "divisor_override": 4}, (2, 3, 7, 7)),
    ("AvgPool2d", ((2, 3),), {}, (3, 6, 6)),
    ("AvgPool3d", (2,), {"ceil_mode": True}, (1, 2, 3, 5, 5)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 5, 7)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 3, 5, 4)),
    ("AdaptiveMaxPool1d", (3,), {"return_indices": True}, (2, 3, 7)),
    ("AdaptiveMaxPool2d", ((2, None),), {}, (2, 3, 5, 4)),
    ("AdaptiveMaxPool3d", ((1, 2, 3),), {"return_indices": True}, (1, 2, 3, 5, 4)),
    ("LPPool1d", (2, 3), {}, (2, 3, 8)),
    ("LPPool2d", (1.5, (2, 3)), {"stride": 1, "ceil_mode": True}, (2, 3, 5, 6)),
    ("LPPool3d", (3, 2), {"stride": (1, 2, 2)}, (1, 2, 3, 4, 4)),
]
MODULE_IDS = [f"{m[0]}-{i}" for i, m in enumerate(MODULES)]


def _module_run(lib, case, case_id):
    name, args, kwargs, shape = case
    mod = getattr(lib.nn, name)(*args, **kwargs)
    kind = "positive" if name.startswith("LP") else ("perm" if "Max" in name else "normal")
    x = lib.tensor(_input(case_id, shape, kind), requires_grad=True)
    out = mod(x)
    outs = out if isinstance(out, tuple) else (out,)
    weight = np.random.default_rng(_seed(case_id)).standard_normal(tuple(outs[0].shape))
    (outs[0] * lib.tensor(weight)).sum().backward()
    return {"out": [o.detach().numpy() for o in outs], "grad": x.grad.numpy()}


@pytest.mark.parametrize("case", MODULES, ids=MODULE_IDS)
def test_module_matches_torch(case):
    case_id = MODULE_IDS[MODULES.index(case)]
    ref = golden(f"module/{case_id}", lambda: _module_run(_torch(), case, case_id))
    _compare(_module_run(npgrad, case, case_id), ref, 1e-10, 1e-12, case_id)


UNPOOL_MODULES = [  # (class, args, kwargs, dims, output_size), fed by MaxPool(2, return_indices=True)
    ("MaxUnpool1d", (2,), {}, 1, None),
    ("MaxUnpool1d", (2,), {}, 1, [9]),
    ("MaxUnpool1d", (2, None, 0), {}, 1, (2, 3, 8)),
    ("MaxUnpool2d", (2,), {"stride": 2, "padding": 0}, 2, None),
    ("MaxUnpool2d", (2,), {}, 2, [2, 3, 5, 7]),
    ("MaxUnpool2d", ((2, 3),), {"stride": 2}, 2, None),
    ("MaxUnpool3d", (2,), {}, 3, None),
    ("MaxUnpool3d", (2,), {}, 3, (5, 4, 7)),
    ("MaxUnpool3d", ((2, 3, 2),), {"stride": 2}, 3, None),
]
UNPOOL_IDS = [f"{c[0]}-{i}" for i, c in enumerate(UNPOOL_MODULES)]


@pytest.mark.parametrize("case", UNPOOL_MODULES, ids=UNPOOL_IDS)
def test_unpool_module_matches_torch(case):
    name, args, kwargs, n, output_size = case
    key = f"unpool_module/{UNPOOL_IDS[UNPOOL_MODULES.index(case)]}"

    def run(lib):
        pool = getattr(lib.nn, f"MaxPool{n}d")(2, return_indices=True)
        x = lib.tensor(_input(key, {1: (2, 3, 8), 2: (2, 3, 4, 6), 3: (1, 2, 4, 4, 6)}[n], "perm"),
                       requires_grad=True)
        y, i = pool(x)
        try:
            out = getattr(lib.nn, name)(*args, **kwargs)(y, i, output_size)
        except (RuntimeError, ValueError) as e:
            return {"error": f"{type(e).__name__}: {e}"}
        weight = np.random.default_rng(_seed(key)).standard_normal(tuple(out.shape))
        (out * lib.tensor(weight)).sum().backward()
        return {"out": out.detach().numpy(), "grad": x.grad.numpy()}

    ref = golden(key, lambda: run(_torch()))
    got = run(npgrad)
    assert sorted(got) == sorted(ref)
    for k in ref:
        if k == "error":
            assert got[k] == str(ref[k])
        else:
            np.testing.assert_allclose(got[k], ref[k], rtol=1e-12, atol=0)


DESCRIBE = [
    ("MaxPool1d", (3,), {}),
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((3, 2),), {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "return_indices": True}),
    ("MaxPool3d", (2,), {"stride": 1, "ceil_mode": True}),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1}),
    ("AvgPool1d", (2,), {}),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", ((2, 3), 1, (1, 0)), {"ceil_mode": True, "count_include_pad": False, "divisor_override": 3}),
    ("AvgPool3d", (2,), {"stride": (1, 2, 2)}),
    ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool3d", (2,), {}),
    ("AdaptiveMaxPool1d", (3,), {"return_indices": True}),
    ("AdaptiveMaxPool2d", ((2, None),), {}),
    ("AdaptiveMaxPool3d", ((1, 2, 3),), {}),
    ("LPPool1d", (2, 3), {}),
    ("LPPool2d", (1.5, (2, 3)), {"stride": 1, "ceil_mode": True}),
    ("LPPool3d", (3, 2), {}),
    ("MaxUnpool1d", (2,), {}),
    ("MaxUnpool2d", (2,), {"stride": 1}),
    ("MaxUnpool2d", ((2, 3), (1, 2), 1), {}),
    ("MaxUnpool3d", (2,), {"padding": 1}),
]


def _describe(lib, case):
    name, args, kwargs = case
    mod = getattr(lib.nn, name)(*args, **kwargs)
    return {"repr": repr(mod), "keys": list(mod.state_dict().keys()), "params": len(list(mod.parameters()))}


@pytest.mark.parametrize("case", DESCRIBE, ids=[f"{c[0]}-{i}" for i, c in enumerate(DESCRIBE)])
def test_repr_and_state_dict_match_torch(case):
    expected = golden.json(f"describe/{case[0]}/{case[1]}/{case[2]}", lambda: _describe(_torch(), case))
    assert _describe(npgrad, case) == expected


def test_repr_examples():
    assert repr(npgrad.nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(npgrad.nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    assert repr(npgrad.nn.MaxUnpool2d(2)) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(npgrad.nn.LPPool2d(2, 3)) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(npgrad.nn.AdaptiveAvgPool2d((None, 7))) == "AdaptiveAvgPool2d(output_size=(None, 7))"
