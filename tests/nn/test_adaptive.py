"""nn.AdaptiveLogSoftmaxWithLoss against torch.nn.AdaptiveLogSoftmaxWithLoss with the same weights: output, loss,
gradients of the input and of every parameter (float64 and float32), log_prob, predict, batched, unbatched and
empty inputs, float64 gradcheck, constructor and forward errors, repr, state_dict keys and shapes, reset."""
import math

import numpy as np
import pytest

import npgrad
from npgrad.autograd import gradcheck
from harness import _seed
from oracle import Golden

golden = Golden("adaptive")

# in_features // div_value**i is 0 for some clusters here, as in torch, whose init warns about the empty weights
pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")


def _torch():
    import torch

    return torch


# (id, constructor keywords, batch size or None for an unbatched row, targets)
CASES = [
    ("three_clusters", dict(in_features=8, n_classes=20, cutoffs=[4, 10, 15], div_value=2.0), 9,
     [0, 3, 4, 9, 10, 14, 15, 19, 2]),
    ("head_bias", dict(in_features=8, n_classes=20, cutoffs=[4, 10, 15], div_value=2.0, head_bias=True), 9,
     [0, 3, 4, 9, 10, 14, 15, 19, 2]),
    ("default_div", dict(in_features=16, n_classes=30, cutoffs=[6]), 7, [0, 5, 6, 29, 17, 3, 6]),
    ("cluster_unused", dict(in_features=8, n_classes=20, cutoffs=[4, 10, 15], div_value=2.0), 6,
     [1, 16, 19, 0, 3, 17]),
    ("shortlist_only", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0), 5, [0, 1, 2, 3, 1]),
    ("clusters_only", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0), 5, [4, 19, 12, 9, 10]),
    ("repeated_targets", dict(in_features=6, n_classes=12, cutoffs=[2, 5], div_value=1.5, head_bias=True), 8,
     [7, 7, 7, 3, 3, 0, 0, 11]),
    ("batch_one", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0), 1, [12]),
    ("batch_one_shortlist", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0), 1, [2]),
    ("unbatched_cluster", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0), None, 13),
    ("unbatched_shortlist", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0), None, 3),
    ("zero_hidden", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=4.0), 4, [0, 5, 11, 19]),
    ("int32_targets", dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0), 4, [0, 5, 11, 19]),
    ("large", dict(in_features=16, n_classes=200, cutoffs=[20, 60, 120], div_value=2.0, head_bias=True), 32, None),
]


# cases checked forward only (none: a zero-width bottleneck, in_features // div_value**i == 0, is checked in full)
FORWARD_ONLY = set()


def _weights(case_id, module):
    """Weights for every parameter of the npgrad module (its names and shapes are checked against torch's)."""
    rng = np.random.default_rng(_seed(case_id))
    return {k: rng.uniform(-0.8, 0.8, tuple(v.shape)) for k, v in module.state_dict().items()}


def _make(lib, kwargs, weights, dtype):
    m = lib.nn.AdaptiveLogSoftmaxWithLoss(**kwargs)
    if dtype == np.float64:
        m = m.double()
    m.load_state_dict({k: lib.tensor(v.astype(dtype)) for k, v in weights.items()})
    return m


def _data(case):
    case_id, kwargs, batch, targets = case
    rng = np.random.default_rng(_seed(case_id) + 1)
    x = rng.standard_normal((kwargs["in_features"],) if batch is None else (batch, kwargs["in_features"]))
    if targets is None:  # Zipf-like targets, as the module is meant for
        targets = np.minimum(rng.zipf(1.5, batch) - 1, kwargs["n_classes"] - 1)
    y = np.asarray(targets, dtype=np.int32 if case_id == "int32_targets" else np.int64)
    return x, y


def _numpy(grad):
    """A gradient as an array; an empty one where none arrived."""
    return grad.numpy() if grad is not None else np.zeros(0)


def _run(lib, case, dtype):
    case_id, kwargs, batch, targets = case
    weights = _weights(case_id, npgrad.nn.AdaptiveLogSoftmaxWithLoss(**kwargs))
    m = _make(lib, kwargs, weights, dtype)
    x, y = _data(case)
    xt = lib.tensor(x.astype(dtype), requires_grad=True)
    out = m(xt, lib.tensor(y))
    assert type(out).__name__ == "_ASMoutput" and out._fields == ("output", "loss")
    w = np.random.default_rng(_seed(case_id) + 2).standard_normal(tuple(out.output.shape)).astype(dtype)
    if case_id not in FORWARD_ONLY:
        (out.loss * 3 + (out.output * lib.tensor(w)).sum()).backward()
    grads = {name: _numpy(p.grad) for name, p in m.named_parameters()}
    rows = xt.detach() if batch is not None else xt.detach().unsqueeze(0)
    return {"output": out.output.detach().numpy(), "loss": out.loss.detach().numpy(), "grad_input": _numpy(xt.grad),
            "grads": grads, "log_prob": m.log_prob(rows).detach().numpy(), "predict": m.predict(rows).numpy()}


def _compare(got, ref, rtol, atol, key):
    for name in ("output", "loss", "grad_input", "log_prob", "predict"):
        g, r = got[name], np.asarray(ref[name])
        assert g.shape == r.shape and g.dtype == r.dtype, f"{key} {name}: {g.shape} {g.dtype} vs {r.shape} {r.dtype}"
        if r.dtype.kind == "f":
            np.testing.assert_allclose(g, r, rtol=rtol, atol=atol, err_msg=f"{key} {name}")
        else:
            np.testing.assert_array_equal(g, r, err_msg=f"{key} {name}")
    assert sorted(got["grads"]) == sorted(ref["grads"])
    for name, g in got["grads"].items():
        r = np.asarray(ref["grads"][name])
        assert g.shape == r.shape and g.dtype == r.dtype, f"{key} grad {name}"
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol, err_msg=f"{key} grad {name}")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_float64_matches_torch(case):
    ref = golden(f"{case[0]}/float64", lambda: _run(_torch(), case, np.float64))
    got = _run(npgrad, case, np.float64)
    _compare(got, ref, 1e-10, 1e-12, case[0])
    # the weighting reaches every cluster that a target uses: those weights get nonzero gradients
    x, y = _data(case)
    cutoffs = case[1]["cutoffs"] + [case[1]["n_classes"]]
    for i in range(len(cutoffs) - 1):
        used = bool(((y >= cutoffs[i]) & (y < cutoffs[i + 1])).any())
        grad = got["grads"][f"tail.{i}.1.weight"]
        if case[0] not in FORWARD_ONLY:
            assert (grad.size > 0 and np.abs(grad).sum() > 0) == (used and grad.size > 0), (case[0], i)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_float32_matches_torch(case):
    ref = golden(f"{case[0]}/float32", lambda: _run(_torch(), case, np.float32))
    _compare(_run(npgrad, case, np.float32), ref, 2e-5, 1e-5, case[0])


def test_empty_batch():
    """No rows: an empty output, a NaN loss (the mean of nothing), zero gradients for the head."""
    kwargs = dict(in_features=8, n_classes=20, cutoffs=[4, 10], div_value=2.0)

    def run(lib):
        m = _make(lib, kwargs, _weights("empty", npgrad.nn.AdaptiveLogSoftmaxWithLoss(**kwargs)), np.float64)
        x = lib.zeros(0, 8, dtype=lib.float64, requires_grad=True)
        out = m(x, lib.zeros(0, dtype=lib.int64))
        out.loss.backward()
        return {"output": out.output.detach().numpy(), "loss": out.loss.detach().numpy(), "grad": x.grad.numpy(),
                "head": m.head.weight.grad.numpy(), "tail_grad": [p.grad is None for p in m.tail.parameters()],
                "log_prob": m.log_prob(x.detach()).detach().numpy(), "predict": m.predict(x.detach()).numpy()}

    ref = golden("empty", lambda: run(_torch()))
    got = run(npgrad)
    assert np.isnan(got["loss"]) and np.isnan(ref["loss"])
    for key in ("output", "grad", "head", "log_prob", "predict"):
        assert got[key].shape == np.shape(ref[key]) and got[key].dtype == np.asarray(ref[key]).dtype, key
    np.testing.assert_array_equal(got["head"], ref["head"])
    assert got["tail_grad"] == list(ref["tail_grad"])


@pytest.mark.parametrize("mode", ["shortlist", "clusters", "mixed"])
def test_predict_paths(mode):
    """predict takes three paths: every row's head argmax in the shortlist, none, or some."""
    kwargs = dict(in_features=8, n_classes=40, cutoffs=[5, 15, 30], div_value=2.0, head_bias=True)
    weights = _weights(f"predict_{mode}", npgrad.nn.AdaptiveLogSoftmaxWithLoss(**kwargs))
    if mode == "shortlist":
        weights["head.bias"][:5] += 20
    elif mode == "clusters":
        weights["head.bias"][5:] += 20
    else:
        weights["head.weight"][5:, 0] += 10  # rows with a large first feature go to a cluster
    x = np.random.default_rng(3).standard_normal((50, 8))

    def run(lib):
        m = _make(lib, kwargs, weights, np.float64)
        return {"predict": m.predict(lib.tensor(x)).numpy(),
                "argmax": m.log_prob(lib.tensor(x)).argmax(1).numpy()}

    ref = golden(f"predict/{mode}", lambda: run(_torch()))
    got = run(npgrad)
    np.testing.assert_array_equal(got["predict"], ref["predict"])
    np.testing.assert_array_equal(got["predict"], got["argmax"])
    in_shortlist = got["predict"] < 5
    expected = {"shortlist": in_shortlist.all(), "clusters": not in_shortlist.any(),
                "mixed": 0 < in_shortlist.sum() < len(x)}
    assert expected[mode]


def test_log_prob_is_a_distribution():
    m = npgrad.nn.AdaptiveLogSoftmaxWithLoss(12, 60, [5, 20, 40], div_value=2.0).double()
    lp = m.log_prob(npgrad.randn(7, 12, dtype=npgrad.float64))
    assert lp.shape == (7, 60)
    np.testing.assert_allclose(np.exp(lp.detach().numpy()).sum(1), np.ones(7), rtol=1e-12)
    # forward's output is log_prob at the targets
    x = npgrad.randn(7, 12, dtype=npgrad.float64)
    y = npgrad.tensor([0, 4, 5, 19, 20, 39, 59])
    np.testing.assert_allclose(m(x, y).output.detach().numpy(),
                               m.log_prob(x).detach().numpy()[np.arange(7), y.numpy()], rtol=1e-12)


@pytest.mark.parametrize("case_id", ["three_clusters", "head_bias", "unbatched_cluster", "repeated_targets"])
def test_gradcheck(case_id):
    case = next(c for c in CASES if c[0] == case_id)
    _, kwargs, batch, targets = case
    m = _make(npgrad, kwargs, _weights(case_id, npgrad.nn.AdaptiveLogSoftmaxWithLoss(**kwargs)), np.float64)
    x, y = _data(case)
    xt = npgrad.tensor(x, requires_grad=True)
    yt = npgrad.tensor(y)
    params = list(m.parameters())
    assert gradcheck(lambda x, *ps: tuple(m(x, yt)), [xt] + params, eps=1e-6, atol=1e-7, rtol=1e-5)


def test_float32_module_and_dtype_argument():
    m = npgrad.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 10])
    assert all(p.dtype == npgrad.float32 for p in m.parameters())
    out = m(npgrad.randn(3, 8), npgrad.tensor([0, 5, 15]))
    assert out.output.dtype == npgrad.float32 and out.loss.dtype == npgrad.float32
    m64 = npgrad.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 10], dtype=npgrad.float64)
    assert all(p.dtype == npgrad.float64 for p in m64.parameters())


def test_structure_matches_torch():
    configs = [dict(in_features=8, n_classes=20, cutoffs=[4, 10, 15], div_value=2.0),
               dict(in_features=16, n_classes=100, cutoffs=(10, 50), head_bias=True),
               dict(in_features=8, n_classes=20, cutoffs=[4, 10]),
               dict(in_features=64, n_classes=1000, cutoffs=range(100, 1000, 300), div_value=3.0)]

    def describe(lib):
        out = []
        for kw in configs:
            m = lib.nn.AdaptiveLogSoftmaxWithLoss(**kw)
            out.append({"repr": repr(m), "keys": [[k, list(v.shape)] for k, v in m.state_dict().items()],
                        "attrs": [m.in_features, m.n_classes, list(m.cutoffs), m.div_value, m.head_bias,
                                  m.shortlist_size, m.n_clusters, m.head_size]})
        return out

    ref = golden.json("structure", lambda: describe(_torch()))
    assert describe(npgrad) == ref


def test_reset_parameters():
    npgrad.manual_seed(0)
    m = npgrad.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10, 40], head_bias=True)
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    m.reset_parameters()
    for k, v in m.state_dict().items():
        assert not np.array_equal(v.numpy(), before[k]), k
        fan_in = v.shape[-1] if k != "head.bias" else 16
        bound = 1 / math.sqrt(fan_in)
        assert np.abs(v.numpy()).max() <= bound
        assert np.abs(v.numpy()).max() > 0.5 * bound  # drawn over the whole range


def _error_cases():
    F32 = "float32"

    def mod(lib):
        m = lib.nn.AdaptiveLogSoftmaxWithLoss(8, 20, [4, 10])
        return m

    def call(x_shape, target, dtype="int64"):
        def run(lib):
            return mod(lib)(lib.zeros(*x_shape), lib.tensor(np.asarray(target).astype(dtype)))
        return run

    def ctor(*args, **kwargs):
        return lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs)

    return {
        "ctor/empty": ctor(8, 20, []),
        "ctor/unsorted": ctor(8, 20, [10, 4]),
        "ctor/duplicate": ctor(8, 20, [4, 4, 10]),
        "ctor/zero": ctor(8, 20, [0, 4]),
        "ctor/negative": ctor(8, 20, [-2, 4]),
        "ctor/too_large": ctor(8, 20, [4, 20]),
        "ctor/fraction": ctor(8, 20, [4.5, 10]),
        "fwd/target_2d": call((3, 8), [[1, 2, 3]]),
        "fwd/batch_mismatch": call((3, 8), [1, 2]),
        "fwd/batch_mismatch_1d_input": call((8,), [1, 2, 3]),
        "fwd/input_3d": call((3, 2, 8), [1, 2, 3]),
        "fwd/unbatched_2d_input": call((3, 8), 3),
        "fwd/target_high": call((3, 8), [1, 5, 25]),
        "fwd/target_negative": call((3, 8), [-1, 5, 19]),
        "fwd/target_float_cluster": call((3, 8), [1, 5, 12], F32),
        "fwd/target_float_shortlist": call((3, 8), [1, 2, 3], F32),
        "fwd/target_float_out_of_range": call((3, 8), [-1, 2, 30], F32),
        "fwd/unbatched_out_of_range": call((8,), 20),
        "log_prob/1d": lambda lib: mod(lib).log_prob(lib.zeros(8)),
        "predict/1d": lambda lib: mod(lib).predict(lib.zeros(8)),
    }


ERRORS = _error_cases()


def _error(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return [type(e).__name__, str(e)]
    return ["no error", ""]


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    ref = golden.json(f"error/{name}", lambda: _error(ERRORS[name], _torch()))
    got = _error(ERRORS[name], npgrad)
    assert ref[0] != "no error"
    assert got == ref
