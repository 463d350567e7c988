"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal) and the hook-based
weight_norm / spectral_norm against torch: reprs, state_dict keys and values, forward values and gradients
(float64, and float32), power-iteration buffers, right_inverse, removal, caching, errors and warnings, and a
short training run. Random initial state (spectral norm's u/v, orthogonal's base) is copied from torch."""
import copy
import pickle
import re
import warnings

import numpy as np
import pytest

import npgrad
from npgrad.autograd import gradcheck
from harness import _seed, assert_tree_close, libraries
from oracle import Golden, torch

golden = Golden("parametrize")


def _state(mod):
    return {k: v.detach().numpy().copy() for k, v in mod.state_dict().items()}


def _load(lib, mod, arrays):
    return mod.load_state_dict({k: lib.tensor(v) for k, v in arrays.items()})


def _fill(lib, mod, rng, dtype):
    """Parameters drawn from ``rng`` in name order (the same values for both libraries)."""
    params = dict(mod.named_parameters())
    with lib.no_grad():
        for name in sorted(params):
            params[name].copy_(lib.tensor(rng.standard_normal(tuple(params[name].shape)).astype(dtype)))
    return mod


def _grads(mod):
    return {k: p.grad.numpy().copy() for k, p in mod.named_parameters() if p.grad is not None}


def _norm_names(text):
    return text.replace("npgrad.", "torch.")


# --------------------------------------------------------------------------- parametrizations of one's own


def _customs(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

    class Scale(lib.nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def forward(self, X):
            return X * self.s

        def right_inverse(self, X):
            return X / self.s

    class Split(lib.nn.Module):  # right_inverse returns two tensors: original0, original1
        def forward(self, a, b):
            return a + 2.0 * b

        def right_inverse(self, X):
            return X * 0.5, X * 0.25

    class Tanh(lib.nn.Module):
        def forward(self, X):
            return X.tanh()

    return {"Symmetric": Symmetric, "Scale": Scale, "Split": Split, "Tanh": Tanh}


# (id, module, {tensor name: [parametrization (name, args)]}, input shape)
CUSTOM = [
    ("sym", ("Linear", (4, 4)), {"weight": [("Symmetric", ())]}, (3, 4)),
    ("scale_sym", ("Linear", (3, 3)), {"weight": [("Scale", (2.0,)), ("Symmetric", ())]}, (2, 3)),
    ("split", ("Linear", (3, 2)), {"weight": [("Split", ())]}, (4, 3)),
    ("split_scale", ("Linear", (3, 2)), {"weight": [("Split", ()), ("Scale", (3.0,))]}, (4, 3)),
    ("weight_and_bias", ("Linear", (3, 3)), {"weight": [("Tanh", ())], "bias": [("Scale", (0.5,))]}, (2, 3)),
    ("conv_scale", ("Conv2d", (2, 3, 2)), {"weight": [("Scale", (-1.5,))]}, (1, 2, 4, 4)),
    ("bn_buffer", ("BatchNorm1d", (3,)), {"running_mean": [("Scale", (4.0,))]}, (5, 3)),
]


def _custom_run(lib, case):
    case_id, (cls, args), spec, shape = case
    rng = np.random.default_rng(_seed(case_id))
    P = lib.nn.utils.parametrize
    kinds = _customs(lib)
    mod = _fill(lib, getattr(lib.nn, cls)(*args).double(), rng, np.float64)
    if cls == "BatchNorm1d":
        mod.running_mean.copy_(lib.tensor(rng.standard_normal(3)))
        mod.eval()
    before = {name: getattr(mod, name) for name in spec}
    for name, plist in spec.items():
        for kind, kargs in plist:
            P.register_parametrization(mod, name, kinds[kind](*kargs))
    out = {"repr": _norm_names(repr(mod)), "class": type(mod).__name__,
           "type_before": P.type_before_parametrizations(mod).__name__,
           "keys": list(mod.state_dict()), "params": [k for k, _ in mod.named_parameters()],
           "buffers": [k for k, _ in mod.named_buffers()],
           "is_parametrized": [P.is_parametrized(mod), P.is_parametrized(mod, "weight"),
                               P.is_parametrized(mod, "bias"), P.is_parametrized(mod, "running_mean")],
           "kept": [(name in mod.parametrizations and hasattr(mod.parametrizations[name], "original")
                     and mod.parametrizations[name].original is before[name]) for name in spec]}
    x = lib.tensor(rng.standard_normal(shape), requires_grad=True)
    y = mod(x)
    (y * lib.tensor(rng.standard_normal(tuple(y.shape)))).sum().backward()
    values = {"out": y.detach().numpy(), "xgrad": x.grad.numpy(), "grads": _grads(mod), "state": _state(mod),
              "values": {name: getattr(mod, name).detach().numpy() for name in spec}}
    # assigning to the parametrized tensor goes through right_inverse
    assigned = {}
    for name in spec:
        target = lib.tensor(rng.standard_normal(tuple(getattr(mod, name).shape)))
        try:
            setattr(mod, name, target)
            assigned[name] = getattr(mod, name).detach().numpy()
        except RuntimeError as e:
            out.setdefault("assign_errors", []).append(str(e))
    values["assigned"] = assigned
    values["assigned_state"] = _state(mod)
    # remove: the first name keeps its parametrized value, the others go back to their original
    for i, name in enumerate(spec):
        leave = i == 0
        try:
            P.remove_parametrizations(mod, name, leave_parametrized=leave)
        except ValueError as e:
            out.setdefault("remove_errors", []).append(str(e))
            P.remove_parametrizations(mod, name, leave_parametrized=True)
        out.setdefault("same_object", []).append(getattr(mod, name) is before[name])
    out["after_remove"] = {"repr": repr(mod), "class": type(mod).__name__, "keys": list(mod.state_dict()),
                           "has_attr": hasattr(mod, "parametrizations")}
    values["removed_state"] = _state(mod)
    return out, values


@pytest.mark.parametrize("case", CUSTOM, ids=[c[0] for c in CUSTOM])
def test_custom_parametrizations_match_torch(case):
    info, values = _custom_run(npgrad, case)
    assert info == golden.json(f"custom/{case[0]}/info", lambda: _custom_run(torch, case)[0])
    assert_tree_close(values, golden(f"custom/{case[0]}/values", lambda: _custom_run(torch, case)[1]), case[0])


def test_parametrized_module_basics():
    P = npgrad.nn.utils.parametrize
    kinds = _customs(npgrad)
    lin = npgrad.nn.Linear(3, 3)
    w = lin.weight
    P.register_parametrization(lin, "weight", kinds["Scale"](2.0))
    assert lin.parametrizations.weight.original is w  # the optimizer's tensor is kept
    assert [p is w for p in lin.parameters()] == [False, True]
    assert type(lin).__bases__ == (npgrad.nn.Linear,)
    assert isinstance(lin, npgrad.nn.Linear)
    with P.cached():
        first = lin.weight
        assert lin.weight is first
        with P.cached():
            assert lin.weight is first
        assert lin.weight is first  # the outer context still caches
    assert lin.weight is not first
    np.testing.assert_allclose(lin.weight.detach().numpy(), 2 * w.detach().numpy())
    clone = copy.deepcopy(lin)  # deepcopy works, pickling does not
    assert type(clone).__name__ == "ParametrizedLinear"
    np.testing.assert_array_equal(clone.weight.detach().numpy(), lin.weight.detach().numpy())
    assert clone.parametrizations.weight.original is not w
    with pytest.raises(RuntimeError, match=r"^Serialization of parametrized modules is only supported through "
                                           r"state_dict\(\)\. See:\n"):
        pickle.dumps(lin)
    # gradients reach the original; an optimizer over module.parameters() trains it
    opt = npgrad.optim.SGD(lin.parameters(), lr=0.1)
    before = w.detach().numpy().copy()
    lin(npgrad.ones(2, 3)).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), before - 0.1 * 2 * 2.0 * np.ones((3, 3)))
    # training mode follows the module at registration
    lin2 = npgrad.nn.Linear(2, 2).eval()
    scale = kinds["Scale"](1.0)
    P.register_parametrization(lin2, "weight", scale)
    assert scale.training is False


def test_transfer_parametrizations_and_params():
    def run(lib):
        P = lib.nn.utils.parametrize
        kinds = _customs(lib)
        rng = np.random.default_rng(3)
        src = _fill(lib, lib.nn.Linear(3, 3).double(), rng, np.float64)
        P.register_parametrization(src, "weight", kinds["Split"]())
        P.register_parametrization(src, "weight", kinds["Scale"](2.0))
        P.register_parametrization(src, "bias", kinds["Scale"](3.0))
        dst = _fill(lib, lib.nn.Linear(3, 3).double(), rng, np.float64)
        P.transfer_parametrizations_and_params(src, dst, "weight")
        one = {"repr": repr(dst), "keys": list(dst.state_dict()),
               "shared": dst.parametrizations.weight.original0 is src.parametrizations.weight.original0}
        dst2 = lib.nn.Module()
        P.transfer_parametrizations_and_params(src, dst2)
        two = {"repr": repr(dst2), "keys": list(dst2.state_dict()), "class": type(dst2).__name__}
        unchanged = P.transfer_parametrizations_and_params(lib.nn.Linear(2, 2), dst2)
        values = {"w": dst.weight.detach().numpy(), "b": dst.bias.detach().numpy(),
                  "w2": dst2.weight.detach().numpy(), "b2": dst2.bias.detach().numpy()}
        return [one, two, unchanged is dst2], values

    info, values = run(npgrad)
    assert info == golden.json("transfer/info", lambda: run(torch)[0])
    assert_tree_close(values, golden("transfer/values", lambda: run(torch)[1]), "transfer")


def _custom_errors(lib):
    P = lib.nn.utils.parametrize
    kinds = _customs(lib)

    class ToFloat32(lib.nn.Module):
        def forward(self, X):
            return X.float()

    class Shrink(lib.nn.Module):
        def forward(self, X):
            return X[:-1]

    class NotTensor(lib.nn.Module):
        def forward(self, X):
            return 3

    class BadInverse(lib.nn.Module):
        def forward(self, X):
            return X

        def right_inverse(self, X):
            return 3

    messages = []

    def expect(exc, fn):
        with pytest.raises(exc) as info:
            fn()
        messages.append(_norm_names(str(info.value)))

    lin = lambda: lib.nn.Linear(2, 2).double()  # noqa: E731
    expect(ValueError, lambda: P.register_parametrization(lin(), "weight", ToFloat32()))
    expect(ValueError, lambda: P.register_parametrization(lin(), "weight", Shrink()))
    expect(ValueError, lambda: P.register_parametrization(lin(), "weight", NotTensor()))
    expect(ValueError, lambda: P.register_parametrization(lin(), "weight", BadInverse()))
    expect(ValueError, lambda: P.register_parametrization(lib.nn.ReLU(), "weight", kinds["Tanh"]()))
    m = P.register_parametrization(lin(), "weight", kinds["Tanh"]())
    expect(ValueError, lambda: P.register_parametrization(m, "weight", ToFloat32()))
    expect(ValueError, lambda: P.register_parametrization(m, "weight", Shrink()))
    expect(RuntimeError, lambda: setattr(m, "weight", lib.zeros(2, 2, dtype=lib.float64)))
    expect(ValueError, lambda: P.remove_parametrizations(m, "bias"))
    split = P.register_parametrization(lin(), "weight", kinds["Split"]())
    expect(ValueError, lambda: P.remove_parametrizations(split, "weight", leave_parametrized=False))
    # unsafe: shape and dtype may change
    u = P.register_parametrization(lin(), "weight", ToFloat32(), unsafe=True)
    P.register_parametrization(u, "weight", Shrink(), unsafe=True)
    messages.append([str(u.weight.dtype).split(".")[-1], list(u.weight.shape), u.parametrizations.weight.unsafe])
    expect(ValueError, lambda: lib.nn.utils.parametrize.ParametrizationList([], lib.zeros(2)))
    return messages


def test_parametrize_errors_match_torch():
    assert _custom_errors(npgrad) == golden.json("errors/custom", lambda: _custom_errors(torch))


# --------------------------------------------------------------------------- weight_norm (parametrization)

WEIGHT_NORM = [
    ("linear_dim0", ("Linear", (5, 3)), {}, (4, 5)),
    ("linear_dim1", ("Linear", (5, 3)), {"dim": 1}, (4, 5)),
    ("linear_dim_none", ("Linear", (5, 3)), {"dim": None}, (4, 5)),
    ("linear_dim_neg2", ("Linear", (4, 3)), {"dim": -2}, (2, 4)),
    ("conv2d_dim0", ("Conv2d", (2, 3, 3)), {}, (2, 2, 5, 5)),
    ("conv1d_last_dim", ("Conv1d", (2, 3, 3)), {"dim": 2}, (2, 2, 6)),
    ("convT2d_dim1", ("ConvTranspose2d", (3, 2, 2)), {"dim": 1}, (1, 3, 3, 3)),
    ("bias", ("Linear", (3, 4)), {"name": "bias"}, (2, 3)),
]


def _weight_norm_run(lib, case, dtype=np.float64):
    case_id, (cls, args), kwargs, shape = case
    rng = np.random.default_rng(_seed(case_id))
    mod = getattr(lib.nn, cls)(*args)
    mod = _fill(lib, mod.double() if dtype == np.float64 else mod, rng, dtype)
    name = kwargs.get("name", "weight")
    lib.nn.utils.parametrizations.weight_norm(mod, **kwargs)
    x = lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    y = mod(x)
    (y * lib.tensor(rng.standard_normal(tuple(y.shape)).astype(dtype))).sum().backward()
    info = {"repr": repr(mod), "keys": list(mod.state_dict()), "params": [k for k, _ in mod.named_parameters()]}
    values = {"out": y.detach().numpy(), "xgrad": x.grad.numpy(), "grads": _grads(mod), "state": _state(mod),
              "weight": getattr(mod, name).detach().numpy()}
    lib.nn.utils.parametrize.remove_parametrizations(mod, name)
    values["removed"] = _state(mod)
    return info, values


@pytest.mark.parametrize("case", WEIGHT_NORM, ids=[c[0] for c in WEIGHT_NORM])
def test_weight_norm_matches_torch(case):
    info, values = _weight_norm_run(npgrad, case)
    assert info == golden.json(f"weight_norm/{case[0]}/info", lambda: _weight_norm_run(torch, case)[0])
    assert_tree_close(values, golden(f"weight_norm/{case[0]}", lambda: _weight_norm_run(torch, case)[1]), case[0])


@pytest.mark.parametrize("case", WEIGHT_NORM[:5:2], ids=[c[0] for c in WEIGHT_NORM[:5:2]])
def test_weight_norm_float32_matches_torch(case):
    _, values = _weight_norm_run(npgrad, case, np.float32)
    ref = golden(f"weight_norm32/{case[0]}", lambda: _weight_norm_run(torch, case, np.float32)[1])
    assert_tree_close(values, ref, case[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_weight_norm_gradcheck(dim):
    from npgrad.nn.utils.weight_norm import _weight_norm, norm_except_dim

    rng = np.random.default_rng(dim + 7)
    v = npgrad.tensor(rng.standard_normal((3, 4, 2)), requires_grad=True)
    g = npgrad.tensor(norm_except_dim(v, 2, dim).detach().numpy() * 1.5, requires_grad=True)
    assert gradcheck(lambda v, g: _weight_norm(v, g, dim), (v, g))
    assert gradcheck(lambda v: norm_except_dim(v, 2, dim), (v,))


def test_weight_norm_functions_match_torch():
    def run(lib):
        from_lib = (lib._weight_norm, lib.norm_except_dim)
        rng = np.random.default_rng(11)
        v = lib.tensor(rng.standard_normal((3, 4, 2)))
        out = {}
        for dim in (0, 1, 2, -1, -2):
            g = from_lib[1](v, 2, dim) * 2.0
            out[str(dim)] = [from_lib[1](v, 2, dim).numpy(), from_lib[0](v, g, dim).numpy()]
        return out

    assert_tree_close(run(npgrad), golden("weight_norm_functions", lambda: run(torch)), "weight_norm_functions")


def test_weight_norm_loads_old_state_dict():
    def run(lib):
        rng = np.random.default_rng(5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            old = lib.nn.utils.weight_norm(_fill(lib, lib.nn.Linear(3, 2).double(), rng, np.float64))
        old_state = old.state_dict()
        new = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(3, 2).double())
        result = new.load_state_dict(old_state)
        x = lib.tensor(rng.standard_normal((2, 3)))
        return [list(old_state), repr(result)], {"state": _state(new), "out": new(x).detach().numpy(),
                                                  "old_out": old(x).detach().numpy()}

    info, values = run(npgrad)
    assert info == golden.json("weight_norm_compat/info", lambda: run(torch)[0])
    assert_tree_close(values, golden("weight_norm_compat", lambda: run(torch)[1]), "compat")


# --------------------------------------------------------------------------- spectral_norm (parametrization)

SPECTRAL = [
    ("linear", ("Linear", (5, 3)), {}, (4, 5)),
    ("linear_3iter", ("Linear", (4, 6)), {"n_power_iterations": 3}, (2, 4)),
    ("linear_dim1_eps", ("Linear", (4, 3)), {"dim": 1, "eps": 1e-3}, (2, 4)),
    ("conv2d", ("Conv2d", (2, 3, 3)), {}, (2, 2, 5, 5)),
    ("convT2d_default_dim1", ("ConvTranspose2d", (3, 2, 2)), {}, (1, 3, 3, 3)),
    ("conv1d_dim_neg1", ("Conv1d", (2, 4, 3)), {"dim": -1}, (2, 2, 6)),
    ("bias_vector", ("Linear", (3, 4)), {"name": "bias"}, (2, 3)),
]


def _spectral_run(lib, case, init_state=None, dtype=np.float64):
    """Two training-mode forwards (each one power-iteration step) and an eval-mode one, with backward."""
    case_id, (cls, args), kwargs, shape = case
    rng = np.random.default_rng(_seed(case_id))
    mod = getattr(lib.nn, cls)(*args)
    mod = _fill(lib, mod.double() if dtype == np.float64 else mod, rng, dtype)
    name = kwargs.get("name", "weight")
    lib.nn.utils.parametrizations.spectral_norm(mod, **kwargs)
    state0 = _state(mod)
    if init_state is not None:  # torch's random u, v
        _load(lib, mod, init_state)
    info = {"repr": repr(mod), "keys": list(mod.state_dict()), "params": [k for k, _ in mod.named_parameters()],
            "buffers": [k for k, _ in mod.named_buffers()], "attrs": [
                getattr(mod.parametrizations[name][0], a, None) for a in ("dim", "eps", "n_power_iterations")]}
    values = {"state0": state0, "steps": []}
    xs = [lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for _ in range(3)]
    ws = [rng.standard_normal(3).astype(dtype) for _ in range(3)]
    for i, x in enumerate(xs):
        if i == 2:
            mod.eval()
        mod.zero_grad()
        y = mod(x)
        (y * lib.tensor(np.resize(ws[i], tuple(y.shape)))).sum().backward()
        values["steps"].append({"out": y.detach().numpy(), "xgrad": x.grad.numpy(), "grads": _grads(mod),
                                "state": _state(mod)})
    values["weight"] = getattr(mod, name).detach().numpy()
    return info, values


@pytest.mark.parametrize("case", SPECTRAL, ids=[c[0] for c in SPECTRAL])
def test_spectral_norm_matches_torch(case):
    ref = golden(f"spectral/{case[0]}", lambda: _spectral_run(torch, case)[1])
    info, values = _spectral_run(npgrad, case, ref["state0"])
    assert info == golden.json(f"spectral/{case[0]}/info", lambda: _spectral_run(torch, case)[0])
    # the power iteration at registration starts from random vectors: everything after it is torch's
    values["state0"] = ref["state0"]
    assert_tree_close(values, ref, case[0])


def test_spectral_norm_float32_matches_torch():
    case = SPECTRAL[3]
    ref = golden("spectral32", lambda: _spectral_run(torch, case, dtype=np.float32)[1])
    _, values = _spectral_run(npgrad, case, ref["state0"], np.float32)
    values["state0"] = ref["state0"]
    assert_tree_close(values, ref, "spectral32", rtol=2e-5, atol=1e-5)


def test_spectral_norm_registration_converges():
    """The 15 power-iteration steps at registration find the top singular vectors of a well-separated matrix."""
    w = np.diag([5.0, 1.0, 0.5]) @ np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    lin = npgrad.nn.Linear(3, 3).double()
    with npgrad.no_grad():
        lin.weight.copy_(npgrad.tensor(w))
    npgrad.nn.utils.parametrizations.spectral_norm(lin)
    lin.eval()
    np.testing.assert_allclose(np.linalg.norm(lin.weight.detach().numpy(), 2), 1.0, rtol=1e-9)
    sn = lin.parametrizations.weight[0]
    assert gradcheck(lambda W: sn(W), (npgrad.tensor(w, requires_grad=True),))


def _spectral_errors(lib):
    PZ = lib.nn.utils.parametrizations
    messages = []
    for fn in (lambda: PZ.spectral_norm(lib.nn.Linear(2, 2), dim=2),
               lambda: PZ.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0),
               lambda: PZ.spectral_norm(lib.nn.ReLU()),
               lambda: PZ.orthogonal(lib.nn.Linear(2, 2), name="bias"),
               lambda: PZ.orthogonal(lib.nn.Linear(2, 2), orthogonal_map="qr")):
        with pytest.raises((ValueError, IndexError)) as info:
            fn()
        messages.append([type(info.value).__name__, str(info.value)])
    return messages


def test_parametrizations_errors_match_torch():
    assert _spectral_errors(npgrad) == golden.json("errors/parametrizations", lambda: _spectral_errors(torch))


# --------------------------------------------------------------------------- orthogonal

ORTHOGONAL = [
    ("square_exp", (4, 4), {}),
    ("square_cayley", (4, 4), {"orthogonal_map": "cayley"}),
    ("square_householder", (4, 4), {"orthogonal_map": "householder"}),
    ("tall_default", (3, 5), {}),
    ("wide_exp", (5, 3), {"orthogonal_map": "matrix_exp"}),
    ("wide_cayley", (5, 3), {"orthogonal_map": "cayley"}),
    ("square_exp_notriv", (3, 3), {"use_trivialization": False}),
    ("tall_cayley_notriv", (2, 4), {"orthogonal_map": "cayley", "use_trivialization": False}),
    ("tall_householder_notriv", (3, 5), {"orthogonal_map": "householder", "use_trivialization": False}),
    ("wide_householder_notriv", (5, 3), {"orthogonal_map": "householder", "use_trivialization": False}),
]


def _orthogonal_run(lib, case, init_state=None):
    """Registration, three SGD steps (forward values and gradients) and an assignment through right_inverse."""
    case_id, (fan_in, fan_out), kwargs = case
    rng = np.random.default_rng(_seed(case_id))
    mod = _fill(lib, lib.nn.Linear(fan_in, fan_out).double(), rng, np.float64)
    lib.nn.utils.parametrizations.orthogonal(mod, **kwargs)
    values = {"state0": _state(mod)}
    if init_state is not None:  # torch's random completion of the base
        _load(lib, mod, init_state)
    info = {"repr": repr(mod), "keys": list(mod.state_dict()), "params": [k for k, _ in mod.named_parameters()],
            "map": mod.parametrizations.weight[0].orthogonal_map.name}
    opt = lib.optim.SGD(mod.parameters(), lr=0.2)
    values["steps"] = []
    for _ in range(3):
        opt.zero_grad()
        x = lib.tensor(rng.standard_normal((3, fan_in)))
        y = mod(x)
        (y * lib.tensor(rng.standard_normal(tuple(y.shape)))).sum().backward()
        values["steps"].append({"out": y.detach().numpy(), "grads": _grads(mod), "w": mod.weight.detach().numpy()})
        opt.step()
    q = np.linalg.qr(rng.standard_normal((max(fan_in, fan_out), min(fan_in, fan_out))))[0]
    target = q if fan_out >= fan_in else q.T
    try:
        mod.weight = lib.tensor(target)
        values["assigned"] = mod.weight.detach().numpy()
        values["assigned_state"] = _state(mod)
    except NotImplementedError as e:
        info["assign_error"] = str(e)
    return info, values


@pytest.mark.parametrize("case", ORTHOGONAL, ids=[c[0] for c in ORTHOGONAL])
def test_orthogonal_matches_torch(case):
    ref = golden(f"orthogonal/{case[0]}", lambda: _orthogonal_run(torch, case)[1])
    info, values = _orthogonal_run(npgrad, case, ref["state0"])
    assert info == golden.json(f"orthogonal/{case[0]}/info", lambda: _orthogonal_run(torch, case)[0])
    fan_in, fan_out = case[1]
    if fan_in == fan_out or not case[2].get("use_trivialization", True):
        # deterministic registration
        assert_tree_close(values["state0"], ref["state0"], "state0", rtol=1e-9, atol=1e-12)
    values["state0"] = ref["state0"]
    if fan_in != fan_out and "parametrizations.weight.0.base" in ref.get("assigned_state", {}):  # random completion
        key = "parametrizations.weight.0.base"
        k = min(fan_in, fan_out)
        ref = dict(ref, assigned_state=dict(ref["assigned_state"], **{key: ref["assigned_state"][key][:, :k]}))
        values["assigned_state"][key] = values["assigned_state"][key][:, :k]
    assert_tree_close(values, ref, case[0], rtol=1e-9, atol=1e-11)


def test_orthogonal_weight_is_orthogonal_and_gradcheck():
    rng = np.random.default_rng(2)
    PZ = npgrad.nn.utils.parametrizations
    for kwargs in ({}, {"orthogonal_map": "cayley"}, {"orthogonal_map": "householder"},
                   {"orthogonal_map": "householder", "use_trivialization": False}):
        for shape in ((4, 4), (3, 5), (5, 2)):
            mod = PZ.orthogonal(npgrad.nn.Linear(shape[0], shape[1]).double(), **kwargs)
            q = mod.weight.detach().numpy()
            gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
            np.testing.assert_allclose(gram, np.eye(min(q.shape)), atol=1e-12)
            orth = mod.parametrizations.weight[0]
            X = npgrad.tensor(rng.standard_normal(q.shape) * 0.5, requires_grad=True)
            assert gradcheck(lambda X: orth(X), (X,)), (kwargs, shape)
    # batched weights (a stack of matrices)
    holder = npgrad.nn.Module()
    holder.weight = npgrad.nn.Parameter(npgrad.tensor(rng.standard_normal((2, 4, 3))))
    PZ.orthogonal(holder)
    q = holder.weight.detach().numpy()
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)
    X = npgrad.tensor(rng.standard_normal((2, 4, 3)) * 0.5, requires_grad=True)
    assert gradcheck(lambda X: holder.parametrizations.weight[0](X), (X,))


def test_orthogonal_batched_matches_torch():
    def run(lib, init_state=None):
        rng = np.random.default_rng(9)
        holder = lib.nn.Module()
        holder.weight = lib.nn.Parameter(lib.tensor(rng.standard_normal((2, 3, 3))))
        lib.nn.utils.parametrizations.orthogonal(holder, orthogonal_map="cayley")
        state0 = _state(holder)
        if init_state is not None:
            _load(lib, holder, init_state)
        w = holder.weight
        (w * lib.tensor(rng.standard_normal((2, 3, 3)))).sum().backward()
        return {"state0": state0, "w": w.detach().numpy(), "grads": _grads(holder)}

    ref = golden("orthogonal_batched", lambda: run(torch))
    assert_tree_close(run(npgrad, ref["state0"]), ref, "orthogonal_batched", rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- the hook-based API


def _old_weight_norm_run(lib, dim):
    rng = np.random.default_rng(17 + (dim or 5))
    mod = _fill(lib, lib.nn.Conv1d(2, 3, 2).double(), rng, np.float64)
    with pytest.warns(FutureWarning) as record:
        lib.nn.utils.weight_norm(mod, dim=dim)
    messages = [str(r.message) for r in record if issubclass(r.category, FutureWarning)]
    info = {"warning": messages, "repr": repr(mod), "keys": list(mod.state_dict()),
            "params": [k for k, _ in mod.named_parameters()], "weight_is_param": "weight" in mod._parameters}
    with pytest.raises(RuntimeError) as err:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            lib.nn.utils.weight_norm(mod, dim=dim)
    info["twice"] = str(err.value)
    x = lib.tensor(rng.standard_normal((2, 2, 5)), requires_grad=True)
    y = mod(x)
    (y * lib.tensor(rng.standard_normal(tuple(y.shape)))).sum().backward()
    values = {"out": y.detach().numpy(), "xgrad": x.grad.numpy(), "grads": _grads(mod), "state": _state(mod)}
    with lib.no_grad():
        mod.weight_v.mul_(2.0)
        mod.weight_g.add_(1.0)
    lib.nn.utils.remove_weight_norm(mod)
    values["removed"] = _state(mod)
    info["removed_params"] = [k for k, _ in mod.named_parameters()]
    with pytest.raises(ValueError) as err:
        lib.nn.utils.remove_weight_norm(mod)
    info["remove_twice"] = str(err.value)
    return info, values


@pytest.mark.parametrize("dim", [0, 2, None])
def test_old_weight_norm_matches_torch(dim):
    info, values = _old_weight_norm_run(npgrad, dim)
    assert info == golden.json(f"old_weight_norm/{dim}/info", lambda: _old_weight_norm_run(torch, dim)[0])
    assert_tree_close(values, golden(f"old_weight_norm/{dim}", lambda: _old_weight_norm_run(torch, dim)[1]), str(dim))


def _old_spectral_run(lib, case, init=None):
    case_id, (cls, args), kwargs, shape = case
    rng = np.random.default_rng(_seed(case_id) + 1)
    mod = _fill(lib, getattr(lib.nn, cls)(*args).double(), rng, np.float64)
    lib.nn.utils.spectral_norm(mod, **kwargs)
    state0 = _state(mod)
    if init is not None:
        _load(lib, mod, init)
    sd = mod.state_dict()
    info = {"repr": repr(mod), "keys": list(sd), "params": [k for k, _ in mod.named_parameters()],
            "buffers": [k for k, _ in mod.named_buffers()], "metadata": sd._metadata[""].get("spectral_norm")}
    values = {"state0": state0, "steps": []}
    for i in range(3):
        if i == 2:
            mod.eval()
        mod.zero_grad()
        x = lib.tensor(rng.standard_normal(shape), requires_grad=True)
        y = mod(x)
        (y * lib.tensor(rng.standard_normal(tuple(y.shape)))).sum().backward()
        values["steps"].append({"out": y.detach().numpy(), "xgrad": x.grad.numpy(), "grads": _grads(mod),
                                "state": _state(mod), "weight": mod.weight.detach().numpy()})
    # a state dict of the format before version 1 (with the normalised weight, without v)
    old = {k: v for k, v in _state(mod).items() if not k.endswith("weight_v")}
    old["weight"] = mod.weight.detach().numpy()
    fresh = lib.nn.utils.spectral_norm(getattr(lib.nn, cls)(*args).double(), **kwargs)
    result = _load(lib, fresh, old)
    values["old_format_v"] = fresh.weight_v.numpy()
    info["old_format"] = repr(result)
    lib.nn.utils.remove_spectral_norm(mod)
    values["removed"] = _state(mod)
    info["removed"] = [list(mod.state_dict()), len(mod._forward_pre_hooks), len(mod._state_dict_hooks),
                       len(mod._load_state_dict_pre_hooks)]
    # as in torch, the load pre-hook (registered wrapped) stays, and then asks for weight_orig and weight_u
    with pytest.raises(RuntimeError) as err:
        mod.load_state_dict(mod.state_dict())
    info["reload_after_remove"] = str(err.value)
    with pytest.raises(ValueError) as err:
        lib.nn.utils.remove_spectral_norm(mod)
    info["remove_twice"] = str(err.value)
    with pytest.raises(RuntimeError) as err:
        lib.nn.utils.spectral_norm(fresh)
    info["twice"] = str(err.value)
    return info, values


OLD_SPECTRAL = [
    ("linear", ("Linear", (5, 3)), {}, (4, 5)),
    ("linear_2iter", ("Linear", (3, 4)), {"n_power_iterations": 2, "eps": 1e-6}, (2, 3)),
    ("convT1d", ("ConvTranspose1d", (3, 2, 2)), {}, (2, 3, 4)),
]


@pytest.mark.parametrize("case", OLD_SPECTRAL, ids=[c[0] for c in OLD_SPECTRAL])
def test_old_spectral_norm_matches_torch(case):
    ref = golden(f"old_spectral/{case[0]}", lambda: _old_spectral_run(torch, case)[1])
    info, values = _old_spectral_run(npgrad, case, ref["state0"])
    assert info == golden.json(f"old_spectral/{case[0]}/info", lambda: _old_spectral_run(torch, case)[0])
    values["state0"] = ref["state0"]
    assert_tree_close(values, ref, case[0], rtol=1e-9, atol=1e-12)


def test_old_api_refuses_uninitialized_parameters():
    for lib in libraries():
        with pytest.raises(ValueError, match="^The module passed to `WeightNorm` can't have uninitialized "
                                             "parameters. Make sure to run the dummy forward before applying "
                                             "weight normalization$"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                lib.nn.utils.weight_norm(lib.nn.LazyLinear(3))
        with pytest.raises(ValueError, match="^The module passed to `SpectralNorm` can't have uninitialized "
                                             "parameters. Make sure to run the dummy forward before applying "
                                             "spectral normalization$"):
            lib.nn.utils.spectral_norm(lib.nn.LazyLinear(3))
        with pytest.raises(ValueError, match=r"^`SpectralNorm` cannot be applied as parameter `bias` is None$"):
            lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2, bias=False), name="bias")
        with pytest.raises(ValueError, match=r"^Expected n_power_iterations to be positive, but got "
                                             r"n_power_iterations=0$"):
            lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0)


# --------------------------------------------------------------------------- a short training run


def _train_run(lib, init_state=None):
    """An MLP with a weight-normed and a spectral-normed layer, five Adam steps on an MSE loss."""
    rng = np.random.default_rng(123)
    PZ = lib.nn.utils.parametrizations
    model = lib.nn.Sequential(PZ.weight_norm(lib.nn.Linear(4, 8)), lib.nn.Tanh(),
                              lib.nn.Linear(8, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2)).double()
    _fill(lib, model, rng, np.float64)
    PZ.spectral_norm(model[2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lib.nn.utils.weight_norm(model[4], dim=None)
    state0 = _state(model)
    if init_state is not None:
        _load(lib, model, init_state)
    opt = lib.optim.Adam(model.parameters(), lr=0.05)
    x = lib.tensor(rng.standard_normal((16, 4)))
    target = lib.tensor(rng.standard_normal((16, 2)))
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = lib.nn.functional.mse_loss(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"state0": state0, "losses": np.array(losses), "state": _state(model)}


def test_training_run_matches_torch():
    ref = golden("train", lambda: _train_run(torch))
    values = _train_run(npgrad, ref["state0"])
    values["state0"] = ref["state0"]
    assert_tree_close(values, ref, "train", rtol=1e-9, atol=1e-12)
    assert ref["losses"][-1] < ref["losses"][0]


def test_repr_messages_use_torch_wording():
    lin = npgrad.nn.Linear(2, 2)
    with pytest.raises(ValueError, match=re.escape("Module 'Linear(in_features=2, out_features=2, bias=True)' "
                                                   "does not have a parameter, a buffer, or a parametrized "
                                                   "element with name 'kernel'")):
        npgrad.nn.utils.parametrize.register_parametrization(lin, "kernel", npgrad.nn.Identity())
