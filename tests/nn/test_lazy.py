"""Lazy modules and uninitialized parameters against torch: LazyBatchNorm1d/2d/3d, LazyInstanceNorm1d/2d/3d,
LazyLinear and LazyConv* (reprs and state dicts before and after the first call, the class they become, values
and gradients in float64, loading state dicts into uninitialized modules), UninitializedParameter /
UninitializedBuffer (repr, errors, materialize, dtype changes) and LazyModuleMixin."""
import copy
import re
import warnings

import numpy as np
import pytest

import npgrad
import npgrad.nn as nn
from harness import _seed, assert_tree_close, libraries
from oracle import Golden, torch

golden = Golden("lazy")


def _entries(state):
    """A state dict as ``name: repr`` for uninitialized entries, ``name: [shape, dtype]`` for the others."""
    out = {}
    for k, v in state.items():
        if type(v).__name__.startswith("Uninitialized"):
            out[k] = repr(v)
        else:
            out[k] = [list(v.shape), str(v.dtype).split(".")[-1]]
    return out


# (id, class, kwargs, input shape, double before the first call)
NORMS = [
    ("bn1d", "LazyBatchNorm1d", {}, (4, 3), False),
    ("bn1d_3d_input", "LazyBatchNorm1d", {"momentum": 0.3}, (4, 3, 5), True),
    ("bn2d", "LazyBatchNorm2d", {"eps": 1e-3}, (2, 3, 4, 4), True),
    ("bn2d_noaffine", "LazyBatchNorm2d", {"affine": False}, (2, 3, 2, 2), True),
    ("bn2d_nobias", "LazyBatchNorm2d", {"bias": False}, (2, 3, 2, 2), True),
    ("bn3d_nostats", "LazyBatchNorm3d", {"track_running_stats": False}, (2, 2, 2, 3, 2), True),
    ("bn3d_cma", "LazyBatchNorm3d", {"momentum": None}, (3, 2, 2, 2, 2), True),
    ("in1d", "LazyInstanceNorm1d", {}, (2, 3, 5), True),
    ("in1d_plain", "LazyInstanceNorm1d", {"affine": False, "track_running_stats": False}, (2, 3, 5), True),
    ("in2d", "LazyInstanceNorm2d", {"momentum": 0.5}, (2, 3, 3, 4), True),
    ("in2d_affine_only", "LazyInstanceNorm2d", {"track_running_stats": False}, (2, 3, 3, 3), True),
    ("in3d", "LazyInstanceNorm3d", {"eps": 1e-2}, (2, 2, 2, 3, 2), True),
    ("in3d_float32", "LazyInstanceNorm3d", {}, (1, 2, 2, 2, 3), False),
]


def _norm_run(lib, case):
    case_id, name, kwargs, shape, double = case
    rng = np.random.default_rng(_seed(case_id))
    mod = getattr(lib.nn, name)(**kwargs)
    before = {"repr": repr(mod), "class": type(mod).__name__, "state": _entries(mod.state_dict()),
              "params": [k for k, _ in mod.named_parameters()], "buffers": [k for k, _ in mod.named_buffers()],
              "uninitialized": mod.has_uninitialized_params(),
              "flags": [mod.affine, mod.track_running_stats, mod.num_features]}
    if double:
        mod.double()
    dtype = np.float64 if double else np.float32
    x = lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        y = mod(x)
    (y * lib.tensor(rng.standard_normal(shape).astype(dtype))).sum().backward()
    before["warnings"] = sorted({str(w.message) for w in record})
    after = {"repr": repr(mod), "class": type(mod).__name__, "state": _entries(mod.state_dict()),
             "uninitialized": mod.has_uninitialized_params() if hasattr(mod, "has_uninitialized_params") else None,
             "hooks": [len(mod._forward_pre_hooks), len(mod._load_state_dict_pre_hooks)],
             "attrs": [hasattr(mod, "_initialize_hook"), hasattr(mod, "_load_hook")]}
    values = {"out": y.detach().numpy(), "xgrad": x.grad.numpy(),
              "grads": {k: p.grad.numpy() for k, p in mod.named_parameters()},
              "state": {k: v.numpy() for k, v in mod.state_dict().items()}}
    mod.eval()
    with lib.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the num_features warning, recorded above
        values["eval"] = mod(lib.tensor(rng.standard_normal(shape).astype(dtype))).numpy()
    return [before, after], values


@pytest.mark.parametrize("case", NORMS, ids=[c[0] for c in NORMS])
def test_lazy_norms_match_torch(case):
    info, values = _norm_run(npgrad, case)
    assert info == golden.json(f"norm/{case[0]}/info", lambda: _norm_run(torch, case)[0])
    tol = {"rtol": 1e-10, "atol": 1e-12} if case[4] else {"rtol": 2e-5, "atol": 2e-6}
    assert_tree_close(values, golden(f"norm/{case[0]}", lambda: _norm_run(torch, case)[1]), case[0], **tol)


def _load_run(lib):
    """State dicts into uninitialized modules: initialized ones materialize, uninitialized ones stay lazy."""
    rng = np.random.default_rng(8)
    full = lib.nn.BatchNorm2d(3)
    with lib.no_grad():
        for t in (full.weight, full.bias, full.running_mean, full.running_var):
            t.copy_(lib.tensor(rng.uniform(0.5, 1.5, 3).astype(np.float32)))
    full.num_batches_tracked.fill_(4)
    lazy = lib.nn.LazyBatchNorm2d()
    result = lazy.load_state_dict(full.state_dict())
    info = {"result": repr(result), "class": type(lazy).__name__, "repr": repr(lazy),
            "uninitialized": lazy.has_uninitialized_params(), "state": _entries(lazy.state_dict()),
            "param_types": [type(p).__name__ for p in lazy.parameters()]}
    x = lib.tensor(rng.standard_normal((2, 3, 2, 2)).astype(np.float32))
    lazy.eval()
    out = lazy(x)
    info["after_call"] = [type(lazy).__name__, repr(lazy)]
    # an uninitialized state dict into an uninitialized module: it stays uninitialized
    lazy2 = lib.nn.LazyBatchNorm1d()
    info["lazy_into_lazy"] = repr(lazy2.load_state_dict(lib.nn.LazyBatchNorm1d().state_dict()))
    info["lazy_into_lazy_state"] = _entries(lazy2.state_dict())
    # LazyLinear: in_features stays 0 after loading; the first call takes it from the input
    src = lib.nn.Linear(4, 2)
    lin = lib.nn.LazyLinear(2)
    lin.load_state_dict(src.state_dict())
    info["linear"] = [lin.in_features, repr(lin), _entries(lin.state_dict())]
    lin_out = lin(lib.ones(3, 4))
    info["linear_after"] = [lin.in_features, repr(lin), type(lin).__name__]
    lin_bad = lib.nn.LazyLinear(2)
    lin_bad.load_state_dict(src.state_dict())
    with pytest.raises(AssertionError) as err:
        lin_bad(lib.ones(3, 5))
    info["linear_mismatch"] = str(err.value)
    # an uninitialized state dict into an initialized module
    with pytest.raises(RuntimeError) as err:
        lib.nn.BatchNorm1d(3).load_state_dict(lib.nn.LazyBatchNorm1d().state_dict())
    info["lazy_into_initialized"] = str(err.value)
    values = {"state": {k: v.numpy() for k, v in lazy.state_dict().items()}, "out": out.detach().numpy(),
              "linear": (lin_out - src(lib.ones(3, 4))).detach().numpy()}
    return info, values


def test_load_state_dict_into_lazy_modules_matches_torch():
    info, values = _load_run(npgrad)
    assert info == golden.json("load/info", lambda: _load_run(torch)[0])
    assert_tree_close(values, golden("load", lambda: _load_run(torch)[1]), "load", rtol=1e-6, atol=1e-7)


def _linear_conv_run(lib):
    """Uninitialized entries of LazyLinear / LazyConv*, a dtype change before the first call, Sequential use."""
    info = {}
    for name, args, kwargs, shape in [("LazyLinear", (3,), {}, (2, 5)), ("LazyLinear", (3,), {"bias": False}, (5,)),
                                      ("LazyConv2d", (4, 3), {"padding": 1}, (1, 2, 5, 5)),
                                      ("LazyConv1d", (4, 2), {"bias": False}, (2, 3, 6)),
                                      ("LazyConvTranspose2d", (2, 2), {"stride": 2}, (1, 3, 3, 3))]:
        mod = getattr(lib.nn, name)(*args, **kwargs)
        entry = [repr(mod), _entries(mod.state_dict()), mod.has_uninitialized_params(),
                 [type(p).__name__ for p in mod.parameters()]]
        mod.double()
        y = mod(lib.zeros(*shape, dtype=lib.float64))
        entry += [repr(mod), type(mod).__name__, _entries(mod.state_dict()), str(y.dtype).split(".")[-1]]
        info[f"{name}{kwargs}"] = entry
    mlp = lib.nn.Sequential(lib.nn.LazyLinear(6), lib.nn.ReLU(), lib.nn.LazyBatchNorm1d(), lib.nn.LazyLinear(2))
    info["mlp_before"] = [repr(mlp), _entries(mlp.state_dict())]
    mlp(lib.ones(4, 3))
    info["mlp_after"] = [repr(mlp), _entries(mlp.state_dict()), [k for k, _ in mlp.named_parameters()]]
    return info


def test_lazy_linear_and_conv_match_torch():
    assert _linear_conv_run(npgrad) == golden.json("linear_conv", lambda: _linear_conv_run(torch))


def test_lazy_values_after_sync_match_torch():
    """A lazy MLP trained for three SGD steps (weights copied after the first call) gives torch's numbers."""
    def run(lib):
        rng = np.random.default_rng(21)
        mlp = lib.nn.Sequential(lib.nn.LazyLinear(5), lib.nn.LazyBatchNorm1d(), lib.nn.Tanh(), lib.nn.LazyLinear(1))
        mlp.double()
        x = lib.tensor(rng.standard_normal((8, 3)))
        mlp(x)
        mlp[1].reset_running_stats()  # the first call ran with each library's own random weights
        with lib.no_grad():
            for name, p in sorted(mlp.named_parameters()):
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape))))
        opt = lib.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = (mlp(x) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return {"losses": np.array(losses), "state": {k: v.numpy() for k, v in mlp.state_dict().items()}}

    assert_tree_close(run(npgrad), golden("mlp_sgd", lambda: run(torch)), "mlp_sgd")


# --------------------------------------------------------------------------- uninitialized tensors

_SHAPE_MESSAGE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
                  "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
                  "`forward` to initialize the parameters before accessing their attributes.")


def _uninitialized_info(lib):
    P = lib.nn.parameter
    p = lib.nn.UninitializedParameter()
    b = lib.nn.UninitializedBuffer()
    q = lib.nn.UninitializedParameter(requires_grad=False, dtype=lib.float64)
    info = {"repr": [repr(p), str(p), repr(b), repr(q)],
            "attrs": [p.requires_grad, b.requires_grad, q.requires_grad, b.persistent,
                      str(p.dtype), str(q.dtype), list(p.size()), p.ndim, p.is_leaf, p.grad is None,
                      p.is_floating_point()],
            "types": [isinstance(p, lib.nn.Parameter), isinstance(b, lib.nn.Parameter),
                      isinstance(b, lib.nn.Buffer), isinstance(p, lib.Tensor), P.is_lazy(p), P.is_lazy(b),
                      P.is_lazy(lib.nn.Parameter(lib.zeros(2))), P.is_lazy(3),
                      isinstance(p, P.UninitializedTensorMixin)],
            "same_dtype": type(p.float()).__name__,
            "other_dtype": [type(p.double()).__name__, str(p.double().dtype)],
            "copy": [repr(copy.deepcopy(p)), copy.deepcopy(q).requires_grad, str(copy.deepcopy(q).dtype)]}
    p.materialize((2, 3))
    q.materialize(4, dtype=lib.float32)
    b.materialize((3,))
    info["materialized"] = [type(p).__name__, list(p.shape), p.requires_grad, type(q).__name__, list(q.shape),
                            str(q.dtype), q.requires_grad, type(b).__name__, list(b.shape), b.requires_grad,
                            P.is_lazy(p)]
    return info


def test_uninitialized_tensors_match_torch():
    info = _uninitialized_info(npgrad)
    ref = golden.json("uninitialized", lambda: _uninitialized_info(torch))
    ref["attrs"] = [a.replace("torch.", "npgrad.") if isinstance(a, str) else a for a in ref["attrs"]]
    ref["other_dtype"][1] = ref["other_dtype"][1].replace("torch.", "npgrad.")
    ref["copy"][2] = ref["copy"][2].replace("torch.", "npgrad.")
    ref["materialized"][5] = ref["materialized"][5].replace("torch.", "npgrad.")
    assert info == ref


def test_uninitialized_tensors_refuse_use():
    use = re.escape("Attempted to use an uninitialized parameter in ")
    tail = re.escape(". This error happens when you are using a `LazyModule` or explicitly manipulating "
                     "`torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call `forward` "
                     "with a dummy batch to initialize the parameters before calling torch functions")
    for lib in libraries():
        p = lib.nn.UninitializedParameter()
        with pytest.raises(RuntimeError, match="^" + re.escape(_SHAPE_MESSAGE) + "$"):
            p.shape
        for fn in (lambda: p + 1, lambda: p * p, lambda: p.sum(), lambda: p.exp(), lambda: p.mean(),
                   lambda: p.view(-1), lambda: p[0], lambda: p.detach(), lambda: p.numel(), lambda: p.dim(),
                   lambda: p.clone(), lambda: lib.nn.functional.relu(p),
                   lambda: lib.nn.functional.linear(lib.ones(2, 2), p)):
            with pytest.raises(ValueError, match="^" + use + ".*" + tail + "$"):
                fn()
        with pytest.raises(ValueError, match="^" + use + ".*" + tail.replace("Parameter", "Buffer") + "$"):
            copy.deepcopy(lib.nn.UninitializedBuffer())
        with pytest.raises(RuntimeError, match=r"^Can't share memory on an uninitialized parameter or buffer\. "
                                               r"Call `forward` to initialize the parameters before calling "
                                               r"`module.share_memory\(\)`\.$"):
            p.share_memory_()
        lazy = lib.nn.LazyLinear(3)
        with pytest.raises(ValueError, match="^" + use):
            lazy.state_dict(keep_vars=False)["weight"].detach()
        with pytest.raises(NotImplementedError, match="^initialize_parameters is not implemented for Holder$"):
            class Holder(lib.nn.modules.lazy.LazyModuleMixin if lib is not npgrad else _mixin(), lib.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.w = lib.nn.UninitializedParameter()

                def forward(self, x):
                    return x

            Holder()(lib.ones(2))


def _mixin():
    from npgrad.nn.layers.lazy import LazyModuleMixin

    return LazyModuleMixin


def test_lazy_module_mixin_with_own_module():
    """A user's lazy module: initialize_parameters materializes its parameters, then it becomes cls_to_become."""
    def run(lib, mixin):
        class Plain(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.zeros(0))

            def forward(self, x):
                return x * self.w

        class LazyScale(mixin, Plain):
            cls_to_become = Plain

            def __init__(self):
                super().__init__()
                self.w = lib.nn.UninitializedParameter()

            def initialize_parameters(self, x):
                if self.has_uninitialized_params():
                    with lib.no_grad():
                        self.w.materialize(x.shape[-1:])
                        self.w.fill_(2.0)

        class Incomplete(mixin, Plain):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.UninitializedParameter()

            def initialize_parameters(self, x):
                pass

        m = LazyScale()
        keys = _entries(m.state_dict())
        y = m(lib.ones(2, 3))
        with pytest.raises(RuntimeError) as err:
            Incomplete()(lib.ones(2))
        return [keys, type(m).__name__, y.tolist(), str(err.value)]

    ref = golden.json("mixin", lambda: run(torch, torch.nn.modules.lazy.LazyModuleMixin))
    assert run(npgrad, _mixin()) == ref


def test_norm_input_checks_after_lazy_init():
    for lib in libraries():
        with pytest.raises(ValueError, match=r"^expected 4D input \(got 3D input\)$"):
            lib.nn.LazyBatchNorm2d()(lib.zeros(2, 3, 4))
        with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 4D input\)$"):
            lib.nn.LazyInstanceNorm1d()(lib.zeros(2, 3, 4, 4))
        m = lib.nn.LazyInstanceNorm1d()
        # unbatched: num_features is taken from dim 1 (the length), as in torch, which then refuses the input
        with pytest.raises(ValueError, match=r"^expected input's size at dim=0 to match num_features \(5\), "
                                             r"but got: 3\.$"):
            m(lib.ones(3, 5))
        assert m.num_features == 5 and type(m).__name__ == "InstanceNorm1d"


def test_lazy_module_deepcopy_and_repr():
    m = nn.LazyBatchNorm2d()
    with pytest.raises(ValueError, match="UninitializedBuffer"):
        copy.deepcopy(m)  # as in torch: an uninitialized buffer cannot be copied
    lin = nn.LazyLinear(3)
    clone = copy.deepcopy(lin)
    assert repr(clone.weight) == "<UninitializedParameter>" and clone.weight is not lin.weight
    assert repr(lin.state_dict()["weight"]) == "<UninitializedParameter>"
