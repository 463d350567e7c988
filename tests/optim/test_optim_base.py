"""The Optimizer contract: validation errors and messages, param groups, state dicts, hooks.

Error messages are compared with the ones torch raises for the same call (through
the golden files when torch is absent); ``torch.`` in a message reads ``npgrad.``.
"""
import copy
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from oracle import Golden, torch  # noqa: E402

import npgrad  # noqa: E402

golden = Golden("optim_base")


def params(lib, shapes=((2,), (3,))):
    return [lib.zeros(*s, requires_grad=True) for s in shapes]


def raised(fn):
    """(exception class name, message) of what ``fn`` raises."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    raise AssertionError("no exception raised")


INVALID = [  # (optimizer, options): each must be refused, with torch's exception and message
    ("SGD", dict(lr=-1.0)),
    ("SGD", dict(momentum=-0.5)),
    ("SGD", dict(weight_decay=-1.0)),
    ("SGD", dict(nesterov=True)),
    ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("SGD", dict(fused=True, foreach=True)),
    ("SGD", dict(fused=True, differentiable=True)),
    ("Adam", dict(lr=-1e-3)),
    ("Adam", dict(eps=-1.0)),
    ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))),
    ("Adam", dict(weight_decay=-0.1)),
    ("Adam", dict(betas=(0, 0.999))),
    ("Adam", dict(fused=True, foreach=True)),
    ("AdamW", dict(betas=(0.9, 1.5))),
    ("Adagrad", dict(lr=-1.0)),
    ("Adagrad", dict(lr_decay=-1.0)),
    ("Adagrad", dict(weight_decay=-1.0)),
    ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)),
    ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(eps=-1.0)),
    ("Adadelta", dict(weight_decay=-1.0)),
    ("Adamax", dict(betas=(0.9, 1.0))),
    ("Adamax", dict(eps=-1.0)),
    ("NAdam", dict(momentum_decay=-1.0)),
    ("NAdam", dict(betas=(-0.1, 0.9))),
    ("RAdam", dict(weight_decay=-1.0)),
    ("RMSprop", dict(alpha=-1.0)),
    ("RMSprop", dict(momentum=-1.0)),
    ("RMSprop", dict(eps=-1.0)),
    ("Rprop", dict(etas=(1.5, 2.0))),
    ("Rprop", dict(etas=(0.5, 0.9))),
    ("ASGD", dict(lr=-1.0)),
    ("ASGD", dict(weight_decay=-1.0)),
    ("LBFGS", dict(lr=-1.0)),
    ("SparseAdam", dict(lr=0.0)),
    ("SparseAdam", dict(eps=0.0)),
    ("SparseAdam", dict(betas=(0.9, 1.0))),
    ("Adafactor", dict(lr=-1.0)),
    ("Adafactor", dict(beta2_decay=0.5)),
    ("Adafactor", dict(eps=(-1.0, 1e-3))),
    ("Adafactor", dict(eps=(None, -1.0))),
    ("Adafactor", dict(d=0.5)),
    ("Adafactor", dict(weight_decay=-1.0)),
    ("Muon", dict(lr=-1.0)),
    ("Muon", dict(momentum=-1.0)),
    ("Muon", dict(weight_decay=-1.0)),
    ("Muon", dict(adjust_lr_fn="spectral")),
]


@pytest.mark.parametrize("name, options", INVALID, ids=lambda v: str(v))
def test_invalid_hyper_parameters_raise_like_torch(name, options):
    shapes = ((2, 2),) if name == "Muon" else ((2,),)
    ref = golden(f"invalid/{name}/{options}",
                 lambda: list(raised(lambda: getattr(torch.optim, name)(params(torch, shapes), **options))))
    kind, message = raised(lambda: getattr(npgrad.optim, name)(params(npgrad, shapes), **options))
    assert [kind, message] == [str(ref[0]), str(ref[1]).replace("torch.", "npgrad.")]


BAD_PARAMS = {
    "empty": lambda lib: [],
    "tensor": lambda lib: lib.zeros(2, requires_grad=True),
    "not a tensor": lambda lib: [1.0],
    "a set": lambda lib: [{"params": {lib.zeros(2, requires_grad=True)}}],
    "non-leaf": lambda lib: [lib.zeros(2, requires_grad=True) * 2],
    "shared between groups": lambda lib: (lambda p: [{"params": [p]}, {"params": [p]}])(lib.zeros(2, requires_grad=True)),
    "names missing": lambda lib: [("a", lib.zeros(2, requires_grad=True)), lib.zeros(2, requires_grad=True)],
    "Muon 1-D": lambda lib: [lib.zeros(3, requires_grad=True)],
}


@pytest.mark.parametrize("what", sorted(BAD_PARAMS))
def test_bad_parameter_lists_raise_like_torch(what):
    name = "Muon" if what.startswith("Muon") else "SGD"
    make = BAD_PARAMS[what]
    ref = golden(f"params/{what}", lambda: list(raised(lambda: getattr(torch.optim, name)(make(torch), lr=0.1))))
    kind, message = raised(lambda: getattr(npgrad.optim, name)(make(npgrad), lr=0.1))
    assert [kind, message] == [str(ref[0]), str(ref[1]).replace("torch.", "npgrad.")]


def test_lbfgs_refuses_param_groups_and_needs_one_group():
    groups = lambda lib: [{"params": [lib.zeros(2, requires_grad=True)]},  # noqa: E731
                          {"params": [lib.zeros(2, requires_grad=True)]}]
    ref = golden("lbfgs/groups", lambda: list(raised(lambda: torch.optim.LBFGS(groups(torch)))))
    assert list(raised(lambda: npgrad.optim.LBFGS(groups(npgrad)))) == [str(r) for r in ref]


def test_duplicate_parameters_in_a_group_warn():
    p = npgrad.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        npgrad.optim.SGD([p, p], lr=0.1)


def test_param_groups_and_defaults():
    a, b = params(npgrad)
    opt = npgrad.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["params"] == [b]
    assert opt.defaults["lr"] == 0.1
    c = npgrad.zeros(4, requires_grad=True)
    opt.add_param_group({"params": c, "nesterov": False})
    assert opt.param_groups[2]["params"] == [c] and opt.param_groups[2]["lr"] == 0.1
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([c])
    named = npgrad.optim.Adam([("w", a), ("b", b)])
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="cannot add param group without names"):
        named.add_param_group({"params": [c]})
    assert "Parameter Group 0" in repr(opt) and "    lr: 0.1" in repr(opt)


def test_state_dict_structure_matches_torch():
    """state_dict after two steps of a two-group Adam: indices, per-parameter step, group hyper-parameters."""
    def build(lib):
        ws = [lib.tensor(np.arange(1.0, 4.0 + k), requires_grad=True) for k in range(3)]
        opt = lib.optim.Adam([{"params": ws[:1]}, {"params": ws[1:], "lr": 0.1, "amsgrad": True}], lr=0.01)
        for _ in range(2):
            opt.zero_grad()
            sum((w * w).sum() for w in ws[:2]).backward()  # the third parameter gets no gradient
            opt.step()
        return opt.state_dict()

    def describe(sd, lib):
        state = {str(i): {k: (v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)) for k, v in s.items()}
                 for i, s in sd["state"].items()}
        dtypes = {f"{i}/{k}": str(v.dtype) for i, s in sd["state"].items() for k, v in s.items()}
        groups = [{k: repr(v) for k, v in g.items()} for g in sd["param_groups"]]
        return {"state": state, "dtypes": dtypes, "groups": groups}

    ref = golden("state_dict/adam", lambda: describe(build(torch), torch))
    sd = build(npgrad)
    assert sorted(sd) == ["param_groups", "state"]
    assert list(sd["state"]) == [0, 1]  # integer indices; no entry for the parameter without grad
    mine = describe(sd, npgrad)
    assert mine["groups"] == [dict(g) for g in ref["groups"]]
    assert mine["dtypes"] == {k: str(v).replace("torch.", "npgrad.") for k, v in ref["dtypes"].items()}
    assert mine["state"].keys() == ref["state"].keys()
    for i in mine["state"]:
        assert mine["state"][i].keys() == ref["state"][i].keys()
        for k in mine["state"][i]:
            np.testing.assert_allclose(mine["state"][i][k], ref["state"][i][k], rtol=1e-6)


def test_load_state_dict_checks():
    a, b = params(npgrad)
    opt = npgrad.optim.SGD([a, b], lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    other = npgrad.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        other.load_state_dict(sd)
    third = npgrad.optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match "
                                         "the size of optimizer's group"):
        third.load_state_dict(sd)


def test_load_state_dict_restores_groups_and_casts_state():
    a = npgrad.nn.Parameter(npgrad.tensor([1.0, 2.0], dtype=npgrad.float64))
    opt = npgrad.optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = npgrad.tensor([1.0, 1.0], dtype=npgrad.float64)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["param_groups"][0]["lr"] = 0.25
    sd["state"][0]["momentum_buffer"] = npgrad.tensor([3.0, 4.0])  # float32: cast to the parameter's dtype
    fresh = npgrad.optim.SGD([a], lr=0.1, momentum=0.9)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.25 and fresh.param_groups[0]["params"] == [a]
    assert fresh.state[a]["momentum_buffer"]._data.dtype == np.float64
    np.testing.assert_array_equal(fresh.state[a]["momentum_buffer"].numpy(), [3.0, 4.0])


def test_save_load_round_trip_of_every_state(tmp_path):
    """npgrad.save / npgrad.load keep an optimizer state dict: tensors, ints, tuples, None, strings."""
    w = npgrad.nn.Parameter(npgrad.tensor(np.ones((2, 2))))
    for name, options in [("Adam", dict(amsgrad=True)), ("NAdam", {}), ("ASGD", {}), ("SparseAdam", {}),
                          ("LBFGS", dict(line_search_fn="strong_wolfe")), ("Adafactor", dict(eps=(None, 1e-3))),
                          ("Muon", {}), ("Rprop", {})]:
        opt = getattr(npgrad.optim, name)([w], **options)

        def closure():
            opt.zero_grad()
            loss = (w * w * w).sum()
            loss.backward()
            return loss

        opt.step(closure)
        sd = opt.state_dict()
        npgrad.save(sd, tmp_path / "opt.npgrad")
        back = npgrad.load(tmp_path / "opt.npgrad")
        assert back["param_groups"] == sd["param_groups"], name
        assert back["state"].keys() == sd["state"].keys()
        for key, value in sd["state"][0].items():
            loaded = back["state"][0][key]
            if hasattr(value, "_data"):
                np.testing.assert_array_equal(loaded._data, value._data)
                assert loaded._data.dtype == value._data.dtype
            elif isinstance(value, list):
                assert len(loaded) == len(value)
            else:
                assert loaded == value, (name, key)


def test_step_hooks_and_state_dict_hooks():
    calls = []
    p = npgrad.nn.Parameter(npgrad.tensor([1.0]))
    opt = npgrad.optim.SGD([p], lr=0.1)
    p.grad = npgrad.tensor([1.0])
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))
    g1 = npgrad.optim.register_optimizer_step_pre_hook(lambda o, args, kwargs: calls.append("global pre"))
    g2 = npgrad.optim.register_optimizer_step_post_hook(lambda o, args, kwargs: calls.append("global post"))
    opt.step()
    assert calls == ["global pre", "pre", "post", "global post"]
    for handle in (h1, h2, g1, g2):
        handle.remove()
    calls.clear()
    opt.step()
    assert calls == []

    # a pre hook may replace the arguments of step
    opt.register_step_pre_hook(lambda o, args, kwargs: (args, {"closure": lambda: 7.0}))  # args holds the optimizer
    assert opt.step() == 7.0
    bad = npgrad.optim.Adam([p])
    bad.register_step_pre_hook(lambda o, args, kwargs: 3)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        bad.step()

    opt.register_state_dict_pre_hook(lambda o: calls.append("sd pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    assert opt.state_dict()["extra"] == 1 and calls == ["sd pre"]
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "extra"})
    opt.register_load_state_dict_post_hook(lambda o: calls.append("load post"), prepend=True)
    opt.load_state_dict(opt.state_dict())
    assert calls[-1] == "load post"


def test_tensor_learning_rate():
    p = npgrad.nn.Parameter(npgrad.tensor([1.0, 2.0], dtype=npgrad.float64))
    opt = npgrad.optim.Adam([p], lr=npgrad.tensor(0.1))
    p.grad = npgrad.tensor([1.0, -1.0], dtype=npgrad.float64)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 2.1])
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        npgrad.optim.SGD([p], lr=npgrad.tensor([0.1, 0.2]))


def test_fused_requires_floating_point_parameters():
    p = npgrad.tensor([1, 2])
    p.grad = npgrad.tensor([1, 1])
    opt = npgrad.optim.Adam([p], fused=True)
    with pytest.raises(RuntimeError, match="`fused=True` requires all the params to be floating point"):
        opt.step()


def test_closure_runs_with_grad_enabled():
    p = npgrad.nn.Parameter(npgrad.tensor([1.0]))
    opt = npgrad.optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with npgrad.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 1.0
    np.testing.assert_allclose(p.detach().numpy(), [0.8])


def test_lbfgs_only_strong_wolfe():
    p = npgrad.nn.Parameter(npgrad.tensor([1.0]))
    opt = npgrad.optim.LBFGS([p], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)


ALL = ["SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop", "ASGD",
       "LBFGS", "SparseAdam", "Adafactor", "Muon"]


@pytest.mark.parametrize("name", ALL)
def test_defaults_match_torch(name):
    """Every constructor argument and default of torch 2.13, as stored in ``defaults``."""
    shapes = ((2, 2),)
    ref = golden(f"defaults/{name}",
                 lambda: {k: repr(v) for k, v in getattr(torch.optim, name)(params(torch, shapes)).defaults.items()})
    mine = {k: repr(v) for k, v in getattr(npgrad.optim, name)(params(npgrad, shapes)).defaults.items()}
    assert mine == dict(ref)
