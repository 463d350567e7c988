"""optim.swa_utils against torch.optim.swa_utils: averaged weights, SWALR, update_bn."""
import copy

import numpy as np
import pytest

from oracle import Golden, torch

import npgrad
from npgrad.optim import swa_utils

golden = Golden("lr_scheduler_swa")  # tests/golden/lr_scheduler_swa.npz


# ---------------------------------------------------------------------------
# The same small model in both libraries, driven through the same weights
# ---------------------------------------------------------------------------

def make_model(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(4, 3)
            self.out = lib.nn.Linear(3, 2, bias=False)
            self.register_buffer("stat", lib.zeros(3))
            self.bn = lib.nn.BatchNorm1d(3)  # float and int64 buffers

        def forward(self, x):
            return self.out(self.bn(self.lin(x) + self.stat))

    return Net()


def trajectory(steps=6):
    """Weights and buffers of a model at successive steps (float32, fixed seed)."""
    rng = np.random.default_rng(0)
    shapes = {"lin.weight": (3, 4), "lin.bias": (3,), "out.weight": (2, 3), "stat": (3,),
              "bn.weight": (3,), "bn.bias": (3,), "bn.running_mean": (3,)}
    states = []
    for step in range(steps):
        arrays = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
        arrays["bn.running_var"] = rng.uniform(0.5, 2.0, 3).astype(np.float32)
        arrays["bn.num_batches_tracked"] = np.array(7 * step + 3, dtype=np.int64)
        states.append(arrays)
    return states


def load_arrays(lib, model, arrays):
    named = dict(model.named_parameters())
    named.update(dict(model.named_buffers()))
    for name, value in arrays.items():
        if lib is torch:
            with torch.no_grad():
                named[name].copy_(torch.from_numpy(value))
        else:
            named[name]._data[...] = value


def averaged_state(lib, kind, use_buffers=False):
    sw = lib.optim.swa_utils
    fns = {
        "swa": {},
        "swa_fn": {"avg_fn": sw.get_swa_avg_fn()},
        "swa_multi": {"multi_avg_fn": sw.get_swa_multi_avg_fn()},
        "ema_fn": {"avg_fn": sw.get_ema_avg_fn(0.9)},
        "ema_multi": {"multi_avg_fn": sw.get_ema_multi_avg_fn(0.9)},
        "ema_multi_slow": {"multi_avg_fn": sw.get_ema_multi_avg_fn(0.3)},  # lerp weight >= 0.5
        "custom": {"avg_fn": lambda avg, cur, n: 0.5 * avg + 0.5 * cur},
    }
    model = make_model(lib)
    averaged = sw.AveragedModel(model, use_buffers=use_buffers, **fns[kind])
    for arrays in trajectory():
        load_arrays(lib, model, arrays)
        averaged.update_parameters(model)
    return {k: np.asarray(v.detach().numpy()) for k, v in averaged.state_dict().items()}


KINDS = ["swa", "swa_fn", "swa_multi", "ema_fn", "ema_multi", "ema_multi_slow", "custom"]


def _averaged_or_error(lib, kind, use_buffers):
    try:
        return averaged_state(lib, kind, use_buffers)
    except RuntimeError as e:  # torch's SWA multi-average refuses integer buffers
        return {"error": str(e)}


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_averaged_model_matches_torch(kind, use_buffers):
    expected = golden(f"avg/{kind}/{use_buffers}", lambda: _averaged_or_error(torch, kind, use_buffers))
    got = _averaged_or_error(npgrad, kind, use_buffers)
    assert sorted(got) == sorted(expected)
    if "error" in expected:
        assert got["error"] == str(expected["error"])
        return
    for key in expected:
        assert got[key].dtype == np.asarray(expected[key]).dtype, key
        if "multi" in kind:
            # torch's CPU lerp uses fused multiply-adds on vectorised chunks: one float32 rounding apart
            np.testing.assert_allclose(got[key], expected[key], rtol=3e-7, atol=1e-7, err_msg=key)
        else:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


def test_swa_is_the_mean():
    states = trajectory()
    got = averaged_state(npgrad, "swa", use_buffers=True)
    for key in states[0]:
        if key == "bn.num_batches_tracked":
            continue  # an integer: each update truncates, as in torch
        mean = np.mean([s[key].astype(np.float64) for s in states], axis=0)
        np.testing.assert_allclose(got[f"module.{key}"], mean, rtol=1e-5, atol=1e-6)
    assert int(got["n_averaged"]) == len(states)


def test_buffers_follow_the_model_without_use_buffers():
    got = averaged_state(npgrad, "swa", use_buffers=False)
    np.testing.assert_array_equal(got["module.stat"], trajectory()[-1]["stat"])


def test_averaged_model_is_a_copy_and_forwards():
    model = make_model(npgrad)
    averaged = swa_utils.AveragedModel(model)
    assert averaged.module is not model
    assert averaged.module.lin.weight is not model.lin.weight
    x = npgrad.randn(5, 4)
    np.testing.assert_allclose(averaged(x).detach().numpy(), model(x).detach().numpy())
    averaged.update_parameters(model)
    model.lin.weight._data[...] += 1.0
    assert not np.allclose(averaged.module.lin.weight.detach().numpy(), model.lin.weight.detach().numpy())
    assert averaged.n_averaged.dtype == npgrad.int64


def test_both_avg_fns_rejected():
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
        swa_utils.AveragedModel(make_model(npgrad), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())


@pytest.mark.parametrize("make", [swa_utils.get_ema_avg_fn, swa_utils.get_ema_multi_avg_fn])
@pytest.mark.parametrize("decay", [-0.1, 1.5])
def test_bad_decay(make, decay):
    with pytest.raises(ValueError, match=rf"Invalid decay value {decay} provided. Please provide a value in \[0,1\] range."):
        make(decay)


# ---------------------------------------------------------------------------
# SWALR
# ---------------------------------------------------------------------------

def make_optimizer(lib):
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": 0.1},
              {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.02}]
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


SWALR_CASES = {
    "cos": lambda sw, o: sw.SWALR(o, swa_lr=0.05, anneal_epochs=5),
    "linear": lambda sw, o: sw.SWALR(o, swa_lr=[0.05, 0.01], anneal_epochs=8, anneal_strategy="linear"),
    "no_anneal": lambda sw, o: sw.SWALR(o, swa_lr=0.03, anneal_epochs=0),
    "after_cosine": None,  # built in run_swalr: cosine for 10 steps, then SWALR from the rate reached
}


def run_swalr(lib, name, steps=30):
    opt = make_optimizer(lib)
    sw = lib.optim.swa_utils
    if name == "after_cosine":
        cosine = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        for _ in range(10):
            opt.step()
            cosine.step()
        sched = sw.SWALR(opt, swa_lr=0.01, anneal_epochs=4)
    else:
        sched = SWALR_CASES[name](sw, opt)
    rows = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        sched.step()
        rows.append([g["lr"] for g in opt.param_groups] + list(sched.get_last_lr()))
    rows[0] += rows[0]
    return np.array(rows)


@pytest.mark.parametrize("name", list(SWALR_CASES))
def test_swalr_matches_torch(name):
    expected = golden(f"swalr/{name}", lambda: run_swalr(torch, name))
    np.testing.assert_array_equal(run_swalr(npgrad, name), expected)  # the same float operations as torch


def test_swalr_state_dict_resume():
    full = run_swalr(npgrad, "cos")
    opt = make_optimizer(npgrad)
    sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=5)
    for _ in range(3):
        opt.step()
        sched.step()
    opt_state, sched_state = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    assert "anneal_func" not in sched_state
    opt = make_optimizer(npgrad)
    sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=5)
    opt.load_state_dict(opt_state)
    sched.load_state_dict(sched_state)
    rows = []
    for _ in range(3, 30):
        opt.step()
        sched.step()
        rows.append([g["lr"] for g in opt.param_groups])
    np.testing.assert_array_equal(np.array(rows), full[4:, :2])


@pytest.mark.parametrize("kwargs, message", [
    ({"anneal_strategy": "exp"}, "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    ({"anneal_epochs": -1}, "anneal_epochs must be equal or greater than 0, got -1"),
    ({"anneal_epochs": 2.5}, "anneal_epochs must be equal or greater than 0, got 2.5"),
])
def test_swalr_errors(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        swa_utils.SWALR(make_optimizer(npgrad), swa_lr=0.05, **kwargs)


def test_swalr_warns_before_optimizer_step():
    opt = make_optimizer(npgrad)
    sched = swa_utils.SWALR(opt, swa_lr=0.05)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()


# ---------------------------------------------------------------------------
# update_bn
# ---------------------------------------------------------------------------

class RunningStats(npgrad.nn.Module):
    """A minimal batch-norm-like module: running mean and variance with torch's momentum rule.

    ``momentum=None`` gives the cumulative average, as torch's batch norm.
    """

    def __init__(self, features, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", npgrad.zeros(features))
        self.register_buffer("running_var", npgrad.ones(features))
        self.register_buffer("num_batches_tracked", npgrad.tensor(0))

    def forward(self, x):
        if self.training:
            data = x.detach().numpy().astype(np.float64)
            self.num_batches_tracked._data += 1
            rate = 1.0 / int(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
            mean, var = data.mean(0), data.var(0, ddof=1)
            self.running_mean._data[...] = (1 - rate) * self.running_mean._data + rate * mean
            self.running_var._data[...] = (1 - rate) * self.running_var._data + rate * var
        return x


def test_update_bn_cumulative_average():
    rng = np.random.default_rng(1)
    batches = [rng.normal(2.0, 3.0, size=(8, 5)).astype(np.float32) for _ in range(4)]
    model = npgrad.nn.Sequential(npgrad.nn.Linear(5, 5), RunningStats(5))
    model.eval()
    stats = model[1]
    stats.running_mean._data[...] = 100.0
    loader = [(npgrad.tensor(b), npgrad.zeros(8)) for b in batches]  # (input, target) pairs

    swa_utils.update_bn(loader, model)

    outputs = [model[0](npgrad.tensor(b)).detach().numpy().astype(np.float64) for b in batches]
    np.testing.assert_allclose(stats.running_mean.numpy(), np.mean([o.mean(0) for o in outputs], axis=0), rtol=1e-5)
    np.testing.assert_allclose(stats.running_var.numpy(), np.mean([o.var(0, ddof=1) for o in outputs], axis=0),
                               rtol=1e-5)
    assert stats.momentum == 0.1
    assert not model.training
    assert int(stats.num_batches_tracked.item()) == 4


def test_update_bn_without_stats_is_a_no_op():
    class Unreadable:
        def __iter__(self):
            raise AssertionError("the loader must not be read when there are no running statistics")

    model = npgrad.nn.Linear(3, 2)
    model.eval()
    swa_utils.update_bn(Unreadable(), model)
    assert not model.training


def test_update_bn_matches_torch_batchnorm():
    rng = np.random.default_rng(2)
    batches = [rng.normal(1.0, 2.0, size=(6, 4)).astype(np.float32) for _ in range(3)]

    def stats(lib):
        model = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.BatchNorm1d(4))
        weight = np.arange(16, dtype=np.float32).reshape(4, 4) / 10
        load = {"0.weight": weight, "0.bias": np.linspace(-1, 1, 4).astype(np.float32)}
        for name, p in model.named_parameters():
            if name in load:
                if lib is torch:
                    with torch.no_grad():
                        p.copy_(torch.from_numpy(load[name]))
                else:
                    p._data[...] = load[name]
        lib.optim.swa_utils.update_bn([lib.tensor(b) for b in batches], model)
        return [np.asarray(model[1].running_mean.detach().numpy()), np.asarray(model[1].running_var.detach().numpy())]

    expected = golden("update_bn/batchnorm1d", lambda: stats(torch))
    for got, exp in zip(stats(npgrad), expected):
        np.testing.assert_allclose(got, exp, rtol=1e-5)


def test_lerp_two_sided_formula():
    start = np.array([1.0, -2.0], dtype=np.float32)
    end = np.array([3.0, 5.0], dtype=np.float32)
    for weight in (0.1, 0.7):
        s = start.copy()
        swa_utils._lerp_(s, end, weight)
        expected = golden(f"lerp/{weight}", lambda: torch.lerp(torch.from_numpy(start), torch.from_numpy(end), weight))
        np.testing.assert_array_equal(s, expected)


def test_docstring_examples_run():
    import doctest
    import importlib

    module = importlib.import_module("npgrad.optim.swa_utils")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0
