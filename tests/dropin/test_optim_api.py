"""The torch.optim API outside the update math, against torch: reprs, param groups, state dicts, hooks,
user-written optimizers and schedulers, and the learning-rate schedulers' public attributes.

Each check builds the same thing with ``L = torch`` and ``L = npgrad`` and compares plain values
(strings, numbers, lists); torch's results are kept in the golden file for runs without torch.
"""
import io
import json
import re
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

import npgrad
from oracle import HAVE_TORCH, Golden

golden = Golden("optim_api")


def _torch():
    import torch

    return torch


def _plain(value):
    """JSON-able form: tensors as ("tensor", shape, dtype, values), tuples as lists."""
    if value is None:
        return "None"
    if hasattr(value, "detach") and hasattr(value, "shape"):
        arr = value.detach().cpu().numpy() if hasattr(value, "cpu") else value.detach().numpy()
        return ["tensor", list(arr.shape), str(arr.dtype), np.round(arr.astype(np.float64), 6).tolist()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _reference(key, build):
    """``build(torch)``, kept in the golden file as one JSON string."""
    return golden.json(key, lambda: _plain(build(_torch())))


def _compare(key, build):
    want = _reference(key, build)
    got = json.loads(json.dumps(_plain(build(npgrad))))
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert got[k] == want[k], k
    else:
        assert got == want


def _caught(fn):
    """(result, [warning messages]) of ``fn()``, or (exception type name, message) when it raises."""
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            value = fn()
        return ["ok", _plain(value), [str(x.message) for x in w]]
    except Exception as e:  # noqa: BLE001
        return [type(e).__name__, str(e)]


def _linear(L):
    """A Linear(3, 2) with fixed weights."""
    m = L.nn.Linear(3, 2)
    with L.no_grad():
        m.weight.copy_(L.tensor([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6]]))
        m.bias.copy_(L.tensor([0.01, -0.02]))
    return m


X = [[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, 1.0, -1.0]]
Y = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]


# --------------------------------------------------------------------------- repr / print
REPRS = {
    "sgd_two_groups": lambda L, m: L.optim.SGD(
        [{"params": [m.weight]}, {"params": [m.bias], "lr": 0.5, "momentum": 0.0}], lr=0.1, momentum=0.9,
        nesterov=True),
    "adam_amsgrad": lambda L, m: L.optim.Adam(m.parameters(), lr=3e-4, betas=(0.8, 0.95), amsgrad=True),
    "adamw_groups": lambda L, m: L.optim.AdamW(
        [{"params": [m.weight], "weight_decay": 0.05}, {"params": [m.bias], "weight_decay": 0.0}], lr=1e-3),
    "adam_tensor_lr": lambda L, m: L.optim.Adam(m.parameters(), lr=L.tensor(0.01)),
    "rmsprop": lambda L, m: L.optim.RMSprop(m.parameters(), lr=0.01, alpha=0.9, centered=True),
    "adagrad_named": lambda L, m: L.optim.Adagrad(m.named_parameters(), lr=0.1),
    "lbfgs": lambda L, m: L.optim.LBFGS(m.parameters(), line_search_fn="strong_wolfe"),
    "rprop": lambda L, m: L.optim.Rprop([m.weight], etas=(0.4, 1.3)),
    "nadam_groups": lambda L, m: L.optim.NAdam([{"params": [m.weight]}, {"params": [m.bias], "lr": 1.0}]),
}


@pytest.mark.parametrize("name", sorted(REPRS))
def test_optimizer_repr_and_print_match_torch(name):
    def build(L):
        opt = REPRS[name](L, _linear(L))
        buf = io.StringIO()
        with redirect_stdout(buf):
            print(opt)
        return {"repr": repr(opt), "print": buf.getvalue(), "defaults": repr(opt.defaults),
                "group_keys": [list(g) for g in opt.param_groups]}

    _compare(f"repr/{name}", build)


# --------------------------------------------------------------------------- a user-written optimizer
def _user_optimizers(torch):
    """Optimizers written the way PyTorch's tutorials write them."""

    class MySGD(torch.optim.Optimizer):
        def __init__(self, params, lr=0.01, momentum=0.0):
            if lr < 0.0:
                raise ValueError(f"Invalid learning rate: {lr}")
            defaults = dict(lr=lr, momentum=momentum)
            super().__init__(params, defaults)

        def __setstate__(self, state):
            super().__setstate__(state)

        @torch.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group['params']:
                    if p.grad is None:
                        continue
                    d_p = p.grad
                    state = self.state[p]
                    if group['momentum'] != 0:
                        if 'momentum_buffer' not in state:
                            buf = state['momentum_buffer'] = torch.clone(d_p).detach()
                        else:
                            buf = state['momentum_buffer']
                            buf.mul_(group['momentum']).add_(d_p)
                        d_p = buf
                    state['step'] = state.get('step', 0) + 1
                    p.add_(d_p, alpha=-group['lr'])
            return loss

    class DataSGD(torch.optim.Optimizer):
        def __init__(self, params, lr=0.01):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            loss = closure() if closure is not None else None
            for group in self.param_groups:
                for p in group['params']:
                    if p.grad is not None:
                        p.data.add_(p.grad.data, alpha=-group['lr'])
            return loss

    class MyAdam(torch.optim.Adam):
        calls = 0

        def step(self, closure=None):
            MyAdam.calls += 1
            return super().step(closure)

    return {"MySGD": (MySGD, dict(lr=0.05, momentum=0.9)), "DataSGD": (DataSGD, dict(lr=0.05)),
            "MyAdam": (MyAdam, dict(lr=0.05))}


@pytest.mark.parametrize("name", ["MySGD", "DataSGD", "MyAdam"])
def test_user_optimizer_subclass_runs_like_torch(name):
    def build(L):
        cls, kwargs = _user_optimizers(L)[name]
        m = _linear(L)
        opt = cls(m.parameters(), **kwargs)
        x, y = L.tensor(X), L.tensor(Y)
        hooks = []
        if name == "MyAdam":   # torch runs the hooks of a subclass calling super().step() once or twice,
            hooks = None       # depending on whether a plain Adam was built before in the process
        else:
            opt.register_step_pre_hook(
                lambda o, args, kw: hooks.append(("pre", len(args), args[0] is o, sorted(kw))))
            opt.register_step_post_hook(lambda o, args, kw: hooks.append(("post", len(args), sorted(kw))))
        losses, lrs = [], []
        for i in range(6):
            if i == 3:
                opt.param_groups[0]['lr'] = 0.01     # a change mid-run takes effect at the next step
            opt.zero_grad()
            loss = ((m(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            lrs.append(opt.param_groups[0]['lr'])

        def closure():
            opt.zero_grad()
            out = ((m(x) - y) ** 2).mean()
            out.backward()
            return out

        losses.append(opt.step(closure).item())
        sd = opt.state_dict()
        return {"losses": losses, "lrs": lrs, "repr": repr(opt), "defaults": repr(opt.defaults),
                "groups": repr(sd["param_groups"]), "state_keys": [[k, list(v)] for k, v in sd["state"].items()],
                "weight": m.weight.detach(), "hooks": hooks}

    want = _reference(f"user/{name}", build)
    got = json.loads(json.dumps(_plain(build(npgrad))))
    np.testing.assert_allclose(got.pop("losses"), want.pop("losses"), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got["weight"][3], want["weight"][3], rtol=1e-5, atol=1e-6)
    got["weight"][3] = want["weight"][3]
    assert got == want


def test_user_optimizer_rejects_like_torch():
    MySGD = _user_optimizers(npgrad)["MySGD"][0]
    with pytest.raises(ValueError, match=r"^Invalid learning rate: -1\.0$"):
        MySGD([npgrad.zeros(2, requires_grad=True)], lr=-1.0)
    if HAVE_TORCH:
        import torch

        with pytest.raises(ValueError, match=r"^Invalid learning rate: -1\.0$"):
            _user_optimizers(torch)["MySGD"][0]([torch.zeros(2, requires_grad=True)], lr=-1.0)


# --------------------------------------------------------------------------- param groups, zero_grad
def test_add_param_group_and_zero_grad_match_torch():
    def build(L):
        m = _linear(L)
        opt = L.optim.SGD([m.weight], lr=0.1, momentum=0.9)
        opt.add_param_group({"params": m.bias, "lr": 0.5})
        out = {"groups": [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
               "n_params": [len(g["params"]) for g in opt.param_groups],
               "params_type": type(opt.param_groups[1]["params"]).__name__,
               "same_object": opt.param_groups[1]["params"][0] is m.bias}
        opt.add_param_group({"params": [L.zeros(2, requires_grad=True)], "custom": 5})
        out["extra_key"] = [list(opt.param_groups[2]), sorted(opt.defaults)]
        out["repr"] = repr(opt)
        m(L.ones(1, 3)).sum().backward()
        grad = m.weight.grad
        opt.zero_grad(set_to_none=False)
        out["zeroed"] = [m.weight.grad, m.bias.grad, m.weight.grad is grad]
        opt.zero_grad()
        out["none"] = [m.weight.grad is None, m.bias.grad is None]
        out["step_returns"] = repr(opt.step())
        return out

    _compare("param_groups/add", build)


GROUP_ERRORS = [  # (what, exception, torch's message)
    ("overlap", ValueError, "some parameters appear in more than one parameter group"),
    ("no_params", KeyError, "'params'"),
    ("non_tensor", TypeError, "optimizer can only optimize Tensors, but one of the params is float"),
    ("not_dict", TypeError, "param_group must be a dict, but got <class 'list'>"),
    ("set", TypeError, "optimizer parameters need to be organized in ordered collections, but the ordering of "
                       "tensors in sets will change between runs. Please use a list instead."),
    ("non_leaf", ValueError, "can't optimize a non-leaf Tensor"),
    ("named_into_unnamed", ValueError, "all optimizer param groups should be with/without names. cannot add param "
                                       "group with names to the optimizer"),
    ("partial_names", ValueError, "all optimizer params should be with/without names. Some param names are missing"),
    ("required_lr", ValueError, "parameter group didn't specify a value of required optimization parameter lr"),
    ("empty", ValueError, "optimizer got an empty parameter list"),
    ("lbfgs_groups", ValueError, "LBFGS doesn't support per-parameter options (parameter groups)"),
]


def _group_error(L, what):
    w, b = L.zeros(2, requires_grad=True), L.zeros(1, requires_grad=True)
    opt = L.optim.SGD([w], lr=0.1)
    if what == "overlap":
        opt.add_param_group({"params": [b, w]})
    elif what == "no_params":
        opt.add_param_group({"lr": 0.1})
    elif what == "non_tensor":
        opt.add_param_group({"params": [1.0]})
    elif what == "not_dict":
        opt.add_param_group([b])
    elif what == "set":
        opt.add_param_group({"params": {b}})
    elif what == "non_leaf":
        opt.add_param_group({"params": [b * 2]})
    elif what == "named_into_unnamed":
        opt.add_param_group({"params": [("b", b)]})
    elif what == "partial_names":
        L.optim.SGD([("w", w), b], lr=0.1)
    elif what == "required_lr":
        L.optim.Optimizer([w], {"lr": _required(L)})
    elif what == "empty":
        L.optim.SGD([], lr=0.1)
    elif what == "lbfgs_groups":
        L.optim.LBFGS([{"params": [w]}, {"params": [b]}])


def _required(L):
    import importlib

    return importlib.import_module(L.__name__ + ".optim.optimizer").required


@pytest.mark.parametrize("what,error,message", GROUP_ERRORS, ids=[e[0] for e in GROUP_ERRORS])
def test_param_group_errors_match_torch(what, error, message):
    if HAVE_TORCH:
        with pytest.raises(error) as info:
            _group_error(_torch(), what)
        assert str(info.value) == message
    with pytest.raises(error) as info:
        _group_error(npgrad, what)
    assert str(info.value) == message


# --------------------------------------------------------------------------- state dicts
STATE_OPTIMIZERS = {
    "SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=0.1, amsgrad=True), "AdamW": dict(lr=0.1),
    "Adagrad": dict(lr=0.1), "Adadelta": dict(), "Adamax": dict(), "NAdam": dict(), "RAdam": dict(),
    "RMSprop": dict(momentum=0.5, centered=True), "Rprop": dict(), "ASGD": dict(), "Adafactor": dict(),
    "LBFGS": dict(lr=0.5, max_iter=3),
}


@pytest.mark.parametrize("name", sorted(STATE_OPTIMIZERS))
@pytest.mark.parametrize("named", [False, True], ids=["plain", "named"])
def test_state_dict_structure_matches_torch(name, named):
    def build(L):
        m = _linear(L)
        params = m.named_parameters() if named else m.parameters()
        opt = getattr(L.optim, name)(params, **STATE_OPTIMIZERS[name])
        x, y = L.tensor(X), L.tensor(Y)

        def closure():
            opt.zero_grad()
            loss = ((m(x) - y) ** 2).mean()
            loss.backward()
            return loss

        opt.step(closure)
        opt.step(closure)
        sd = opt.state_dict()

        def describe(v):
            if isinstance(v, list):
                return [describe(e) for e in v]
            if hasattr(v, "shape"):
                return ["tensor", list(v.shape), str(v.dtype).split(".")[-1]]
            return type(v).__name__

        return {"top": list(sd), "groups": [list(g.items()) for g in sd["param_groups"]],
                "state": [[k, [[sk, describe(sv)] for sk, sv in v.items()]] for k, v in sd["state"].items()]}

    _compare(f"state_dict/{name}/{'named' if named else 'plain'}", build)


LOAD_ERRORS = [
    ("groups", "loaded state dict has a different number of parameter groups"),
    ("size", "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"),
]


def _load_error(L, what):
    m = _linear(L)
    opt = L.optim.Adam(m.parameters(), lr=0.1)
    if what == "groups":
        other = L.optim.Adam([{"params": [m.weight]}, {"params": [m.bias]}], lr=0.1)
    else:
        other = L.optim.Adam([m.weight], lr=0.1)
    opt.load_state_dict(other.state_dict())


@pytest.mark.parametrize("what,message", LOAD_ERRORS, ids=[e[0] for e in LOAD_ERRORS])
def test_load_state_dict_errors_match_torch(what, message):
    if HAVE_TORCH:
        with pytest.raises(ValueError) as info:
            _load_error(_torch(), what)
        assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        _load_error(npgrad, what)
    assert str(info.value) == message


def test_load_state_dict_into_other_hyper_parameters_matches_torch():
    def build(L):
        m = _linear(L)
        src = L.optim.Adam(m.parameters(), lr=0.1, betas=(0.8, 0.9))
        m(L.ones(1, 3)).sum().backward()
        src.step()
        dst = L.optim.Adam(m.parameters(), lr=0.001, betas=(0.5, 0.6), weight_decay=0.1)
        dst.load_state_dict(src.state_dict())
        out = {"group": {k: v for k, v in dst.param_groups[0].items() if k != "params"},
               "defaults": dst.defaults, "state": [sorted(v) for v in dst.state.values()],
               "step": dst.state[m.weight]["step"], "params_kept": dst.param_groups[0]["params"][0] is m.weight}
        dst.step()
        out["after"] = m.weight.detach()
        sgd = L.optim.SGD(m.parameters(), lr=0.3)
        sgd.load_state_dict(src.state_dict())     # another algorithm's state loads as it is
        out["sgd_group"] = sorted(sgd.param_groups[0])
        named = L.optim.SGD(m.named_parameters(), lr=0.1)
        plain = L.optim.SGD(m.parameters(), lr=0.2)
        plain.load_state_dict(named.state_dict())
        out["names_kept"] = list(plain.param_groups[0])
        named.load_state_dict(L.optim.SGD(m.parameters(), lr=0.3).state_dict())
        out["names_added"] = [list(named.param_groups[0]), named.state_dict()["param_groups"]]
        return out

    _compare("load_state_dict/hyper", build)


# --------------------------------------------------------------------------- hooks
def test_optimizer_hooks_match_torch():
    def build(L):
        import importlib

        module = importlib.import_module(L.__name__ + ".optim.optimizer")
        log = []
        m = _linear(L)
        opt = L.optim.SGD(m.parameters(), lr=0.1)
        h1 = opt.register_step_pre_hook(
            lambda o, args, kwargs: log.append(["pre", type(o).__name__, len(args), args[0] is o, sorted(kwargs)]))
        opt.register_step_post_hook(lambda o, args, kwargs: log.append(["post", len(args), sorted(kwargs)]))

        def swap_closure(o, args, kwargs):     # a pre hook may replace step's arguments
            log.append("swap")
            return args, {"closure": lambda: 7.0}

        h3 = opt.register_step_pre_hook(swap_closure)
        g1 = module.register_optimizer_step_pre_hook(lambda o, a, k: log.append("global pre"))
        g2 = module.register_optimizer_step_post_hook(lambda o, a, k: log.append("global post"))
        m(L.ones(1, 3)).sum().backward()
        log.append(["returned", opt.step()])
        for h in (h1, h3, g1, g2):
            h.remove()
        log.append(["returned", opt.step()])
        log.append(type(h1).__name__)
        bad = opt.register_step_pre_hook(lambda o, a, k: 5)
        try:
            opt.step()
        except RuntimeError as e:
            log.append(str(e).split(" must ")[1])
        bad.remove()

        opt.register_state_dict_pre_hook(lambda o: log.append("sd pre"))

        def sd_post(o, sd):
            log.append(["sd post", list(sd)])
            sd["extra"] = 1
            return sd

        opt.register_state_dict_post_hook(sd_post)
        opt.register_state_dict_post_hook(lambda o, sd: log.append("sd post first"), prepend=True)
        sd = opt.state_dict()
        log.append(list(sd))

        def load_pre(o, sd):
            log.append(["load pre", list(sd)])
            sd = dict(sd)
            sd.pop("extra")
            sd["param_groups"][0]["lr"] = 0.7
            return sd

        opt.register_load_state_dict_pre_hook(load_pre)
        opt.register_load_state_dict_post_hook(lambda o: log.append(["load post", o.param_groups[0]["lr"]]))
        opt.register_load_state_dict_post_hook(lambda o: log.append("load post first"), prepend=True)
        opt.load_state_dict(sd)
        log.append([opt.param_groups[0]["lr"], sd["param_groups"][0]["lr"]])
        return log

    _compare("hooks", build)


# --------------------------------------------------------------------------- lr schedulers
def _scheduler_setup(L, groups=2):
    ps = [L.nn.Parameter(L.zeros(2)) for _ in range(groups)]
    opt = L.optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)], lr=0.1, momentum=0.9)
    return opt


def test_user_lr_scheduler_subclass_matches_torch():
    def build(L):
        class Halve(L.optim.lr_scheduler.LRScheduler):
            def __init__(self, optimizer, factor=0.5, last_epoch=-1):
                self.factor = factor
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                return [base_lr * self.factor ** self.last_epoch for base_lr in self.base_lrs]

        opt = _scheduler_setup(L)
        s = Halve(opt)
        out = {"init": [s.last_epoch, s.base_lrs, s.get_last_lr(), [g["initial_lr"] for g in opt.param_groups],
                        s.optimizer is opt]}
        seq = []
        for _ in range(4):
            opt.step()
            s.step()
            seq.append([s.last_epoch, s.get_last_lr(), [g["lr"] for g in opt.param_groups]])
        out["seq"] = seq
        out["state_dict"] = s.state_dict()
        s2 = Halve(_scheduler_setup(L))
        s2.load_state_dict(s.state_dict())
        out["loaded"] = [s2.last_epoch, s2.get_last_lr(), s2.factor]
        return out

    _compare("sched/user", build)


def test_lambda_lr_with_a_list_of_lambdas_matches_torch():
    def build(L):
        opt = _scheduler_setup(L)
        s = L.optim.lr_scheduler.LambdaLR(opt, [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)])
        seq = []
        for _ in range(5):
            opt.step()
            s.step()
            seq.append(s.get_last_lr())
        return {"seq": seq, "state_dict": s.state_dict(),
                "wrong_len": _caught(lambda: L.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0] * 3))}

    _compare("sched/lambda_list", build)


SCHEDULERS = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[4, 2, 4], gamma=0.5),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
    "OneCycleLR": lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=20),
    "CyclicLR": lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=3),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=4),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=3),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=4, power=2.0),
    "ReduceLROnPlateau": lambda S, o: S.ReduceLROnPlateau(o, patience=1),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_attributes_and_state_dict_keys_match_torch(name):
    def build(L):
        opt = _scheduler_setup(L)
        s = SCHEDULERS[name](L.optim.lr_scheduler, opt)
        out = {"keys": list(s.state_dict()), "last_epoch": s.last_epoch, "last_lr": s.get_last_lr(),
               "base_lrs": getattr(s, "base_lrs", None), "group_keys": [sorted(g) for g in opt.param_groups]}
        seq = []
        for i in range(3):
            opt.step()
            s.step(1.0) if name == "ReduceLROnPlateau" else s.step()
            seq.append([s.last_epoch, s.get_last_lr()])
        out["seq"] = seq
        return out

    _compare(f"sched/attrs/{name}", build)


def test_scheduler_step_before_optimizer_step_warns_like_torch():
    def build(L):
        out = {}
        opt = _scheduler_setup(L)
        s = L.optim.lr_scheduler.StepLR(opt, 2)
        out["before"] = _caught(s.step)
        opt = _scheduler_setup(L)
        s = L.optim.lr_scheduler.StepLR(opt, 2)
        out["after"] = _caught(lambda: (opt.step(), s.step())[1])
        MySGD = _user_optimizers(L)["MySGD"][0]
        opt = MySGD([L.nn.Parameter(L.zeros(2))], lr=0.1)
        s = L.optim.lr_scheduler.ExponentialLR(opt, 0.5)
        out["user_before"] = _caught(s.step)
        out["user_after"] = _caught(lambda: (opt.step(), s.step(), s.get_last_lr())[2])
        return out

    _compare("sched/warnings", build)


def test_reduce_lr_on_plateau_attributes_match_torch():
    def build(L):
        opt = _scheduler_setup(L)
        s = L.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1, factor=0.5, min_lr=[0.0, 0.01])
        seq = []
        for metric in [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9]:
            opt.step()
            s.step(metric)
            seq.append([s.num_bad_epochs, s.best, s.cooldown_counter, s.last_epoch, s.get_last_lr(), s.in_cooldown])
        attrs = [s.mode, s.factor, s.patience, s.threshold, s.threshold_mode, s.min_lrs, s.eps, s.mode_worse,
                 s.cooldown]
        S = L.optim.lr_scheduler
        errors = {
            "mode": _caught(lambda: S.ReduceLROnPlateau(opt, mode="x")),
            "factor": _caught(lambda: S.ReduceLROnPlateau(opt, factor=1.0)),
            "threshold_mode": _caught(lambda: S.ReduceLROnPlateau(opt, threshold_mode="x")),
            "min_lr": _caught(lambda: S.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2, 0.3])),
        }
        return {"seq": seq, "attrs": attrs, "errors": errors, "state_dict": s.state_dict()}

    _compare("sched/plateau", build)


def test_chained_and_sequential_schedulers_match_torch():
    def build(L):
        S = L.optim.lr_scheduler
        o1, o2 = _scheduler_setup(L, 1), _scheduler_setup(L, 1)
        errors = {
            "chained_two_optimizers": _caught(lambda: S.ChainedScheduler([S.StepLR(o1, 2), S.StepLR(o2, 2)])),
            "chained_optimizer_mismatch": _caught(lambda: S.ChainedScheduler([S.StepLR(o1, 2)], optimizer=o2)),
            "chained_not_scheduler": _caught(lambda: S.ChainedScheduler([S.StepLR(o1, 2), 5])),
            "sequential_two_optimizers": _caught(
                lambda: S.SequentialLR(o1, [S.StepLR(o1, 2), S.StepLR(o2, 2)], milestones=[2])),
            "sequential_milestones": _caught(
                lambda: S.SequentialLR(o1, [S.StepLR(o1, 2), S.StepLR(o1, 2)], milestones=[2, 3])),
            "sequential_plateau": _caught(
                lambda: S.SequentialLR(o1, [S.StepLR(o1, 2), S.ReduceLROnPlateau(o1)], milestones=[2])),
            "sequential_other_optimizer": _caught(
                lambda: S.SequentialLR(o2, [S.StepLR(o1, 2), S.StepLR(o1, 2)], milestones=[2])),
            "sequential_not_scheduler": _caught(lambda: S.SequentialLR(o1, [S.StepLR(o1, 2), 5], milestones=[2])),
            "not_an_optimizer": _caught(lambda: S.StepLR(5, 2)),
            "resume_without_initial_lr": _caught(lambda: S.StepLR(_scheduler_setup(L, 1), 2, last_epoch=3)),
        }
        o = _scheduler_setup(L)
        chained = S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=2), S.ExponentialLR(o, 0.9)])
        seq_c = []
        for _ in range(5):
            o.step()
            chained.step()
            seq_c.append(chained.get_last_lr())
        o = _scheduler_setup(L)
        seqlr = S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=2), S.ExponentialLR(o, 0.9)], milestones=[3])
        seq_s = []
        for _ in range(6):
            o.step()
            seqlr.step()
            seq_s.append([seqlr.last_epoch, seqlr.get_last_lr()])
        return {"errors": errors, "chained": [seq_c, list(chained.state_dict())],
                "sequential": [seq_s, list(seqlr.state_dict()), seqlr._milestones]}

    _compare("sched/composite", build)


# --------------------------------------------------------------------------- a program, unchanged
LR_PROGRAM = '''
import torch
import torch.nn as nn

model = nn.Linear(4, 2)
for name, make in [
    ("step", lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.1)),
    ("multistep", lambda opt: torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.5)),
    ("exp", lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)),
    ("cosine", lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)),
    ("onecycle", lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)),
    ("warmup", lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: min(1.0, (epoch + 1) / 4))),
    ("linear", lambda opt: torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)),
]:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = make(optimizer)
    for epoch in range(10):
        optimizer.step()
        scheduler.step()
        print(name, epoch, scheduler.get_last_lr()[0], optimizer.param_groups[0]["lr"])
'''


def test_scheduler_program_prints_the_same_learning_rates():
    def run(lib):
        code = LR_PROGRAM.replace("import torch.nn as nn", f"import {lib}.nn as nn")
        code = re.sub(r"^import torch$", f"import {lib} as torch", code, flags=re.M)
        buf = io.StringIO()
        with redirect_stdout(buf):
            exec(compile(code, f"<{lib} program>", "exec"), {})
        return buf.getvalue()

    want = golden("program/lrs", lambda: run("torch"))
    assert run("npgrad") == str(want)
