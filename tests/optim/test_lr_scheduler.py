"""Learning-rate schedulers against torch.optim.lr_scheduler.

Every case builds the same optimizer (two param groups) and scheduler in npgrad
and in torch, steps 100 times and compares the learning rates (and cycled
momenta) of every group after every step. Every schedule uses the same
floating-point operations as torch, so the sequences must be equal bit for bit
(``RTOL = 0``): torch's recursive form and the closed form differ by up to
1e-14, so a looser tolerance could not tell which one is computed.
"""
import copy
import math
import warnings

import numpy as np
import pytest

from oracle import Golden, torch

import npgrad
from npgrad.optim import lr_scheduler as nls

golden = Golden("lr_scheduler")

STEPS = 100
RTOL = 0


# ---------------------------------------------------------------------------
# Optimizers on both sides
# ---------------------------------------------------------------------------

def make_optimizer(lib, kind="sgd", lrs=(0.1, 0.05), extra=None):
    """An optimizer of ``lib`` (npgrad or torch) with one param group per entry of ``lrs``."""
    groups = []
    for i, lr in enumerate(lrs):
        group = {"params": [lib.zeros(2, requires_grad=True)], "lr": lr}
        if extra is not None:
            group.update(extra[i])
        groups.append(group)
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == "sgd_nomomentum":
        return lib.optim.SGD(groups, lr=0.1)
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1, betas=(0.9, 0.999))
    raise ValueError(kind)


def lr_scheduler_of(lib):
    return lib.optim.lr_scheduler


def snapshot(opt, sched):
    """Rates, momenta (or beta1) of every group and ``get_last_lr()`` as one flat row."""
    row = []
    for group in opt.param_groups:
        row.append(float(group["lr"]))
        if "betas" in group:
            row.append(float(group["betas"][0]))
        elif "momentum" in group:
            row.append(float(group["momentum"]))
    row.extend(float(v) for v in sched.get_last_lr())
    return row


def run(lib, case, steps=STEPS):
    opt = make_optimizer(lib, case.get("opt", "sgd"), case.get("lrs", (0.1, 0.05)), case.get("extra"))
    sched = case["make"](lr_scheduler_of(lib), opt)
    rows = [snapshot(opt, sched)]
    metrics = case.get("metrics")
    for t in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[t])
        rows.append(snapshot(opt, sched))
    return np.array(rows)


# ---------------------------------------------------------------------------
# The table of settings
# ---------------------------------------------------------------------------

def _plateau_losses():
    """A loss with plateaus and small wiggles (both threshold modes matter)."""
    return [1.0 / (1 + t // 15) + 1e-3 * ((7 * t) % 5) for t in range(STEPS)]


LOSSES = _plateau_losses()
ACCURACIES = [1.0 - v for v in LOSSES]


class Halving:
    """A callable object (its ``__dict__`` is saved by LambdaLR.state_dict, unlike a lambda)."""

    def __init__(self, every):
        self.every = every

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


CASES = {
    "lambda": dict(make=lambda ls, o: ls.LambdaLR(o, lambda e: 0.95**e)),
    "lambda/per_group": dict(make=lambda ls, o: ls.LambdaLR(o, [lambda e: 0.9**e, Halving(7)])),
    "multiplicative": dict(make=lambda ls, o: ls.MultiplicativeLR(o, lambda e: 0.97 if e % 3 else 0.99)),
    "step": dict(make=lambda ls, o: ls.StepLR(o, step_size=7, gamma=0.5)),
    "multistep": dict(make=lambda ls, o: ls.MultiStepLR(o, milestones=[10, 30, 30, 70], gamma=0.3)),
    "constant": dict(make=lambda ls, o: ls.ConstantLR(o, factor=0.25, total_iters=13)),
    "linear/warmup": dict(make=lambda ls, o: ls.LinearLR(o, start_factor=0.1, total_iters=20)),
    "linear/decay": dict(make=lambda ls, o: ls.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=40)),
    "exponential": dict(make=lambda ls, o: ls.ExponentialLR(o, gamma=0.97)),
    "polynomial/2": dict(make=lambda ls, o: ls.PolynomialLR(o, total_iters=50, power=2.0)),
    "polynomial/0.5": dict(make=lambda ls, o: ls.PolynomialLR(o, total_iters=120, power=0.5)),
    "cosine/past_tmax": dict(make=lambda ls, o: ls.CosineAnnealingLR(o, T_max=30, eta_min=1e-3)),
    "cosine/100": dict(make=lambda ls, o: ls.CosineAnnealingLR(o, T_max=100)),
    "cosine/resumed": dict(
        make=lambda ls, o: ls.CosineAnnealingLR(o, T_max=40, eta_min=0.01, last_epoch=10),
        extra=[{"initial_lr": 0.2}, {"initial_lr": 0.1}]),
    "step/resumed": dict(
        make=lambda ls, o: ls.StepLR(o, step_size=6, gamma=0.5, last_epoch=20),
        extra=[{"initial_lr": 0.2}, {"initial_lr": 0.1}]),
    "warm_restarts/mult2": dict(make=lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3)),
    "warm_restarts/mult1": dict(make=lambda ls, o: ls.CosineAnnealingWarmRestarts(o, T_0=7)),
    "cyclic/triangular": dict(make=lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=5, step_size_down=8)),
    "cyclic/triangular2": dict(
        make=lambda ls, o: ls.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], step_size_up=6, mode="triangular2")),
    "cyclic/exp_range": dict(
        make=lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.98,
                                       base_momentum=[0.8, 0.7], max_momentum=0.95)),
    "cyclic/scale_fn_cycle": dict(
        make=lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 1 / (1 + 0.5 * x))),
    "cyclic/scale_fn_iterations": dict(
        make=lambda ls, o: ls.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.99**x,
                                       scale_mode="iterations")),
    "cyclic/adam_betas": dict(opt="adam", make=lambda ls, o: ls.CyclicLR(o, 1e-3, 1e-2, step_size_up=10)),
    "cyclic/no_momentum": dict(
        opt="sgd_nomomentum", make=lambda ls, o: ls.CyclicLR(o, 1e-3, 1e-2, step_size_up=10, cycle_momentum=False)),
    "onecycle/cos": dict(make=lambda ls, o: ls.OneCycleLR(o, max_lr=0.5, total_steps=STEPS)),
    "onecycle/linear": dict(
        make=lambda ls, o: ls.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=STEPS, anneal_strategy="linear",
                                         pct_start=0.25)),
    "onecycle/three_phase": dict(
        make=lambda ls, o: ls.OneCycleLR(o, max_lr=0.3, epochs=10, steps_per_epoch=10, three_phase=True,
                                         div_factor=10.0, final_div_factor=100.0)),
    "onecycle/adam": dict(opt="adam", make=lambda ls, o: ls.OneCycleLR(o, max_lr=1e-2, total_steps=STEPS + 1)),
    "onecycle/no_momentum": dict(
        opt="sgd_nomomentum",
        make=lambda ls, o: ls.OneCycleLR(o, max_lr=0.1, total_steps=STEPS, cycle_momentum=False)),
    "sequential/warmup_cosine": dict(
        make=lambda ls, o: ls.SequentialLR(
            o, [ls.LinearLR(o, start_factor=0.01, total_iters=10), ls.CosineAnnealingLR(o, T_max=90, eta_min=1e-4)],
            milestones=[10])),
    "sequential/three": dict(
        make=lambda ls, o: ls.SequentialLR(
            o, [ls.ConstantLR(o, factor=0.5, total_iters=5), ls.ExponentialLR(o, gamma=0.95),
                ls.StepLR(o, step_size=10, gamma=0.5)],
            milestones=[20, 50])),
    "chained": dict(
        make=lambda ls, o: ls.ChainedScheduler(
            [ls.ConstantLR(o, factor=0.1, total_iters=4), ls.ExponentialLR(o, gamma=0.98),
             ls.StepLR(o, step_size=25, gamma=0.5)])),
    "plateau/min_rel": dict(make=lambda ls, o: ls.ReduceLROnPlateau(o, patience=3), metrics=LOSSES),
    "plateau/min_abs_cooldown": dict(
        make=lambda ls, o: ls.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=0.01, threshold_mode="abs",
                                                cooldown=4),
        metrics=LOSSES),
    "plateau/max_rel_min_lr": dict(
        make=lambda ls, o: ls.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=1, min_lr=[0.01, 0.001]),
        metrics=ACCURACIES),
    "plateau/max_abs_eps": dict(
        make=lambda ls, o: ls.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=0, threshold=0.05,
                                                threshold_mode="abs", min_lr=0.0124, eps=1e-3),
        metrics=ACCURACIES),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_matches_torch(name):
    case = CASES[name]
    expected = golden(f"seq/{name}", lambda: run(torch, case))
    got = run(npgrad, case)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)  # bit for bit


def test_cases_move():
    """Guard against a table whose schedules do nothing: every case changes the rate."""
    for name, case in CASES.items():
        rows = run(npgrad, case, steps=STEPS)
        assert np.ptp(rows[:, 0]) > 0, name


# ---------------------------------------------------------------------------
# state_dict and resuming
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("through", ["memory", "file"])
@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resume(name, through, tmp_path):
    """Save at step 37, rebuild optimizer and scheduler, load both: the rest of the sequence is the same.

    ``file`` goes through ``npgrad.save`` / ``npgrad.load`` (JSON and safetensors, no pickle).
    """
    case = CASES[name]
    full = run(npgrad, case)
    metrics = case.get("metrics")

    def advance(opt, sched, t):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[t])

    opt = make_optimizer(npgrad, case.get("opt", "sgd"), case.get("lrs", (0.1, 0.05)), case.get("extra"))
    sched = case["make"](nls, opt)
    for t in range(37):
        advance(opt, sched, t)
    if through == "file":
        npgrad.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "ckpt")
        loaded = npgrad.load(tmp_path / "ckpt")
        opt_state, sched_state = loaded["optimizer"], loaded["scheduler"]
    else:
        opt_state = copy.deepcopy(opt.state_dict())
        sched_state = copy.deepcopy(sched.state_dict())
    del opt, sched

    opt = make_optimizer(npgrad, case.get("opt", "sgd"), case.get("lrs", (0.1, 0.05)), case.get("extra"))
    sched = case["make"](nls, opt)
    opt.load_state_dict(opt_state)
    sched.load_state_dict(sched_state)
    rows = [snapshot(opt, sched)]
    for t in range(37, STEPS):
        advance(opt, sched, t)
        rows.append(snapshot(opt, sched))
    np.testing.assert_array_equal(np.array(rows), full[37:])


def test_state_dict_keys_match_torch():
    for name in ["step", "multistep", "cosine/100", "cyclic/triangular", "onecycle/cos", "plateau/min_rel",
                 "warm_restarts/mult2", "lambda", "sequential/warmup_cosine", "chained"]:
        case = CASES[name]

        def keys(lib):
            opt = make_optimizer(lib, case.get("opt", "sgd"))
            return sorted(case["make"](lr_scheduler_of(lib), opt).state_dict())

        expected = golden(f"keys/{name}", lambda: keys(torch))
        assert keys(npgrad) == [str(k) for k in expected], name


def test_lambdas_not_saved_but_callable_objects_are():
    opt = make_optimizer(npgrad)
    halving = Halving(7)
    sched = nls.LambdaLR(opt, [lambda e: 1.0, halving])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"every": 7}]
    assert "optimizer" not in state
    halving.every = 3
    sched.load_state_dict(state)
    assert halving.every == 7
    assert state["lr_lambdas"] == [None, {"every": 7}]  # the caller's dict is left whole


# ---------------------------------------------------------------------------
# closed form equals stepping
# ---------------------------------------------------------------------------

CLOSED_FORM = ["step", "multistep", "constant", "linear/warmup", "linear/decay", "exponential",
               "polynomial/2", "polynomial/0.5", "cosine/past_tmax", "cosine/100"]


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_closed_form_equals_stepping(name):
    opt = make_optimizer(npgrad)
    sched = CASES[name]["make"](nls, opt)
    for _ in range(STEPS):
        np.testing.assert_allclose(sched.get_last_lr(), sched._get_closed_form_lr(), rtol=1e-10, atol=1e-15)
        opt.step()
        sched.step()


@pytest.mark.parametrize("name", ["step", "multistep", "cosine/past_tmax", "polynomial/2", "warm_restarts/mult2"])
def test_step_with_epoch_matches_torch(name):
    """The deprecated ``step(epoch)`` jumps with the closed form and warns, as in torch."""
    epochs = [3, 8, 8, 17, 40, 5, 33, 2, 64]

    def jumps(lib):
        opt = make_optimizer(lib)
        sched = CASES[name]["make"](lr_scheduler_of(lib), opt)
        out = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for e in epochs:
                opt.step()
                sched.step(e)
                out.append(snapshot(opt, sched))
        warned = any("epoch parameter in `scheduler.step()`" in str(w.message) for w in caught)
        assert warned == (name != "warm_restarts/mult2")  # torch's warm restarts take epochs silently
        return np.array(out)

    np.testing.assert_allclose(jumps(npgrad), golden(f"epoch/{name}", lambda: jumps(torch)), rtol=RTOL, atol=0)


def test_warm_restarts_fractional_epochs():
    def fractional(lib):
        opt = make_optimizer(lib)
        sched = lr_scheduler_of(lib).CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.001)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(60):
                opt.step()
                sched.step(i / 5)
                out.append(snapshot(opt, sched) + [sched.T_cur, sched.T_i])
        return np.array(out)

    np.testing.assert_allclose(fractional(npgrad), golden("warm_restarts/fractional", lambda: fractional(torch)),
                               rtol=RTOL, atol=0)


# ---------------------------------------------------------------------------
# Bookkeeping: initial_lr, last_epoch, warnings, errors
# ---------------------------------------------------------------------------

def test_initial_lr_and_last_epoch():
    opt = make_optimizer(npgrad)
    sched = nls.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.base_lrs == [0.1, 0.05]
    assert sched.last_epoch == 0
    for _ in range(5):
        opt.step()
        sched.step()
    assert sched.last_epoch == 5
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]


def test_resume_without_initial_lr_raises():
    opt = make_optimizer(npgrad)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        nls.StepLR(opt, step_size=2, last_epoch=3)


def test_not_an_optimizer():
    class Fake:
        param_groups = [{"lr": 0.1}]

    for make in [lambda o: nls.StepLR(o, 2), lambda o: nls.ReduceLROnPlateau(o),
                 lambda o: nls.CyclicLR(o, 0.1, 1.0), lambda o: nls.OneCycleLR(o, 1.0, total_steps=10)]:
        with pytest.raises(TypeError, match="Fake is not an Optimizer"):
            make(Fake())


def test_warning_when_scheduler_steps_before_optimizer():
    opt = make_optimizer(npgrad)
    sched = nls.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = make_optimizer(npgrad)
    sched = nls.ExponentialLR(opt, gamma=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()


def test_warning_when_optimizer_step_replaced():
    opt = make_optimizer(npgrad)
    sched = nls.StepLR(opt, step_size=2)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match=r"Seems like `optimizer.step\(\)` has been overridden"):
        sched.step()


def test_optimizer_step_wrapped_once_and_still_steps():
    p = npgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = npgrad.optim.SGD([p], lr=0.5)
    nls.StepLR(opt, step_size=2)
    nls.ExponentialLR(opt, gamma=0.5)
    assert getattr(opt.step, "_wrapped_by_lr_sched", False)
    p.grad = npgrad.tensor([1.0, 1.0])
    opt.step()
    assert opt._opt_called
    np.testing.assert_allclose(p.detach().numpy(), [0.5, 1.5])  # lr 0.5: ExponentialLR leaves epoch 0 alone


def test_get_lr_outside_step_warns():
    opt = make_optimizer(npgrad)
    sched = nls.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


@pytest.mark.parametrize("make, error, message", [
    (lambda o: nls.ConstantLR(o, factor=1.5), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1."),
    (lambda o: nls.LinearLR(o, start_factor=0), ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    (lambda o: nls.LinearLR(o, end_factor=1.5), ValueError,
     "Ending multiplicative factor expected to be between 0 and 1."),
    (lambda o: nls.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda o: nls.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function, but got float"),
    (lambda o: nls.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0, but got 0"),
    (lambda o: nls.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError,
     "Expected integer T_mult >= 1, but got 1.5"),
    (lambda o: nls.CyclicLR(o, 0.1, 1.0, mode="square"), ValueError, "mode is invalid and scale_fn is None"),
    (lambda o: nls.CyclicLR(o, [0.1], 1.0), ValueError, "base_lr must have the same length as optimizer.param_groups"),
    (lambda o: nls.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps OR"),
    (lambda o: nls.OneCycleLR(o, 1.0, total_steps=0), ValueError, "Expected positive integer total_steps, but got 0"),
    (lambda o: nls.OneCycleLR(o, 1.0, total_steps=10, pct_start=1), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1"),
    (lambda o: nls.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda o: nls.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda o: nls.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode avg is unknown!"),
    (lambda o: nls.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold mode pct is unknown!"),
    (lambda o: nls.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda o: nls.SequentialLR(o, [], milestones=[]), ValueError,
     "SequentialLR expects at least one scheduler, but got no scheduler."),
    (lambda o: nls.SequentialLR(o, [nls.StepLR(o, 2), nls.StepLR(o, 3)], milestones=[]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more"),
    (lambda o: nls.SequentialLR(o, [nls.ReduceLROnPlateau(o)], milestones=[]), ValueError,
     "SequentialLR does not support `ReduceLROnPlateau` scheduler"),
    (lambda o: nls.ChainedScheduler([]), ValueError,
     "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler."),
])
def test_errors_match_torch(make, error, message):
    with pytest.raises(error, match=_escape(message)):
        make(make_optimizer(npgrad))


def _escape(message):
    import re

    return re.escape(message)


def test_cycle_momentum_needs_momentum():
    opt = make_optimizer(npgrad, "sgd_nomomentum")
    opt.defaults.pop("momentum", None)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        nls.CyclicLR(opt, 0.01, 0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        nls.OneCycleLR(opt, 0.1, total_steps=10)


def test_onecycle_past_total_steps_raises():
    opt = make_optimizer(npgrad)
    sched = nls.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        opt.step()
        sched.step()


def test_plateau_accepts_tensor_metric_and_resets():
    opt = make_optimizer(npgrad)
    sched = nls.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    sched.step(npgrad.tensor(1.0))
    sched.step(npgrad.tensor(2.0))
    assert sched.get_last_lr() == [0.05, 0.025]
    assert sched.best == 1.0
    sched._reset()
    assert sched.best == math.inf and sched.num_bad_epochs == 0


def test_legacy_base_class_name():
    assert issubclass(nls._LRScheduler, nls.LRScheduler)
    assert nls._LRScheduler.__name__ == "_LRScheduler"


def test_docstring_examples_run():
    import doctest
    import importlib

    module = importlib.import_module("npgrad.optim.lr_scheduler")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0


@pytest.mark.parametrize("name", ["step", "cosine/past_tmax", "linear/warmup", "exponential", "chained"])
def test_tensor_lr_updated_in_place(name):
    """A tensor ``lr`` (as torch allows) keeps its identity: the scheduler writes into it."""
    def tensor_run(lib):
        p = lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=lib.tensor(0.1, dtype=lib.float64), momentum=0.9)
        lr_tensor = opt.param_groups[0]["lr"]
        sched = CASES[name]["make"](lr_scheduler_of(lib), opt)
        out = []
        for _ in range(40):
            opt.step()
            sched.step()
            assert opt.param_groups[0]["lr"] is lr_tensor
            assert sched.get_last_lr()[0] is not lr_tensor  # a copy, as torch
            out.append(float(lr_tensor))
        return np.array(out)

    np.testing.assert_allclose(tensor_run(npgrad), golden(f"tensor_lr/{name}", lambda: tensor_run(torch)),
                               rtol=RTOL, atol=0)
