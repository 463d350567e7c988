"""nn.Module and the layer classes' API as everyday PyTorch code uses it, against torch.

Each check builds the same thing with ``L = torch`` and ``L = npgrad`` (the helpers take the
library as their argument) and compares what user code sees: ``repr`` strings, the layers'
attributes, traversal order with shared modules and tied weights, ``state_dict`` /
``load_state_dict`` (prefix, keep_vars, strict=False, assign), hooks, modes, dtype casts,
registration errors, containers and ``copy.deepcopy``.  Type names differ only in the
namespace (``torch.float32`` / ``npgrad.float32``), which ``_ns`` maps.
"""
import copy
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import npgrad
from oracle import HAVE_TORCH, Golden

golden = Golden("module_api")


_TORCH_NAMES = re.compile(r"torch\.(float\d+|int\d+|bool|\w+Tensor)\b")
_CLASS_PATHS = re.compile(r"<class '[\w.]+\.(\w+)'>")


def _ns(value):
    """Map torch's dtype and tensor type names to npgrad's in strings (nested in lists/tuples/dicts too)."""
    if isinstance(value, str):
        return _TORCH_NAMES.sub(r"npgrad.\1", value)
    if isinstance(value, dict):
        return {k: _ns(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_ns(v) for v in value)
    return value


def _torch():
    import torch

    return torch


def _plain(value):
    """Lists for tuples, Python scalars for NumPy ones and "None" for None, as the golden file stores them."""
    if value is None:
        return "None"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _reference(key, build):
    """``build(torch)``, kept in the golden file as one JSON string."""
    return golden.json(key, lambda: _plain(build(_torch())))


def _compare(key, build, ns=False):
    """``build(npgrad)`` against ``build(torch)`` (or its golden value), key by key for dicts."""
    want = _reference(key, build)
    got = _plain(build(npgrad))
    if ns:
        want = _ns(want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert got[k] == want[k], k
    else:
        assert got == want


# --------------------------------------------------------------------------- layer reprs and attributes
LAYERS = [
    "L.nn.Linear(3, 4)",
    "L.nn.Linear(3, 4, bias=False)",
    "L.nn.Bilinear(2, 3, 4)",
    "L.nn.Embedding(10, 3)",
    "L.nn.Embedding(10, 3, padding_idx=0)",
    "L.nn.Embedding(10, 3, padding_idx=-1)",
    "L.nn.Embedding(10, 3, max_norm=1.0)",
    "L.nn.Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True)",
    "L.nn.LayerNorm(4)",
    "L.nn.LayerNorm([4, 5], eps=1e-6, elementwise_affine=False)",
    "L.nn.LayerNorm(4, bias=False)",
    "L.nn.BatchNorm1d(4)",
    "L.nn.BatchNorm1d(4, bias=False)",
    "L.nn.BatchNorm2d(4, momentum=None, affine=False, track_running_stats=False)",
    "L.nn.GroupNorm(2, 4)",
    "L.nn.GroupNorm(2, 4, eps=1e-3, affine=False)",
    "L.nn.GroupNorm(2, 4, bias=False)",
    "L.nn.RMSNorm(4)",
    "L.nn.RMSNorm([4, 5], eps=1e-6, elementwise_affine=False)",
    "L.nn.Dropout()",
    "L.nn.Dropout(0.1, inplace=True)",
    "L.nn.Dropout1d(0.2)",
    "L.nn.Dropout2d()",
    "L.nn.AlphaDropout(0.3)",
    "L.nn.ReLU()",
    "L.nn.ReLU(inplace=True)",
    "L.nn.ReLU6()",
    "L.nn.ReLU6(inplace=True)",
    "L.nn.LeakyReLU()",
    "L.nn.LeakyReLU(0.2)",
    "L.nn.LeakyReLU(0.2, inplace=True)",
    "L.nn.ELU()",
    "L.nn.ELU(alpha=0.5, inplace=True)",
    "L.nn.CELU(0.5)",
    "L.nn.SELU()",
    "L.nn.SELU(inplace=True)",
    "L.nn.GELU()",
    "L.nn.GELU(approximate='tanh')",
    "L.nn.SiLU()",
    "L.nn.SiLU(inplace=True)",
    "L.nn.Mish(inplace=True)",
    "L.nn.Sigmoid()",
    "L.nn.Tanh()",
    "L.nn.Softplus()",
    "L.nn.Softplus(beta=2, threshold=10)",
    "L.nn.Softsign()",
    "L.nn.Hardtanh()",
    "L.nn.Hardtanh(-2, 2, inplace=True)",
    "L.nn.Hardsigmoid(inplace=True)",
    "L.nn.Hardswish()",
    "L.nn.LogSigmoid()",
    "L.nn.Tanhshrink()",
    "L.nn.Softshrink()",
    "L.nn.Hardshrink(0.3)",
    "L.nn.Threshold(0.1, 20)",
    "L.nn.Threshold(0.1, 20, inplace=True)",
    "L.nn.GLU()",
    "L.nn.GLU(dim=1)",
    "L.nn.PReLU()",
    "L.nn.PReLU(3, init=0.1)",
    "L.nn.Softmax()",
    "L.nn.Softmax(dim=1)",
    "L.nn.Softmin(dim=-1)",
    "L.nn.LogSoftmax(dim=1)",
    "L.nn.Flatten()",
    "L.nn.Flatten(0, 2)",
    "L.nn.Unflatten(1, (2, 3))",
    "L.nn.Unflatten(1, [2, 3])",
    "L.nn.Identity()",
    "L.nn.Identity(54, unused='x')",
    "L.nn.Sequential()",
    "L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU(), L.nn.Dropout(0.1))",
    "L.nn.Sequential(OrderedDict([('fc', L.nn.Linear(2, 3)), ('act', L.nn.Tanh())]))",
    "L.nn.ModuleList()",
    "L.nn.ModuleList([L.nn.Linear(2, 2) for _ in range(3)])",
    "L.nn.ModuleList([L.nn.Linear(2, 2), L.nn.ReLU(), L.nn.Linear(2, 2), L.nn.Linear(2, 2)])",
    "L.nn.ModuleList([L.nn.Sequential(L.nn.Linear(2, 2), L.nn.ReLU()) for _ in range(2)])",
    "L.nn.ModuleDict({'b': L.nn.Linear(2, 2), 'a': L.nn.ReLU()})",
    "L.nn.ModuleDict()",
    "L.nn.ParameterList([L.nn.Parameter(L.zeros(2, 3)), L.nn.Parameter(L.zeros(4, dtype=L.float64))])",
    "L.nn.ParameterList()",
    "L.nn.ParameterList([L.nn.Parameter(L.zeros(2), requires_grad=False)])",
    "L.nn.ParameterDict({'b': L.nn.Parameter(L.zeros(2, 3)), 'a': L.zeros(4)})",
    "L.nn.ParameterDict(OrderedDict([('b', L.nn.Parameter(L.zeros(1))), ('a', L.nn.Parameter(L.zeros(2)))]))",
    "L.nn.RNN(3, 4)",
    "L.nn.RNN(3, 4, 2, nonlinearity='relu', bias=False, batch_first=True, dropout=0.5, bidirectional=True)",
    "L.nn.GRU(3, 4, num_layers=2)",
    "L.nn.LSTM(3, 4, proj_size=2)",
    "L.nn.LSTM(3, 4, batch_first=True)",
    "L.nn.RNNCell(3, 4)",
    "L.nn.RNNCell(3, 4, bias=False, nonlinearity='relu')",
    "L.nn.GRUCell(3, 4)",
    "L.nn.LSTMCell(3, 4, bias=False)",
    "L.nn.MultiheadAttention(8, 2)",
    "L.nn.MultiheadAttention(8, 2, dropout=0.1, batch_first=True, kdim=4, vdim=5)",
    "L.nn.MultiheadAttention(8, 2, bias=False, add_bias_kv=True)",
]


def _build(L, expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(expr, {"L": L, "OrderedDict": OrderedDict})


def _describe(L, m):
    """What user code reads off a layer: public attributes, parameters and buffers, repr."""
    attrs = {k: repr(v) for k, v in sorted(vars(m).items())
             if not k.startswith("_") and not isinstance(v, L.Tensor)}
    attrs["training"] = repr(m.training)
    params = [f"{k} {tuple(v.shape)} {v.dtype} {v.requires_grad}" for k, v in m.named_parameters()]
    buffers = [f"{k} {tuple(v.shape)} {v.dtype}" for k, v in m.named_buffers()]
    nones = [k for k, v in list(m._parameters.items()) + list(m._buffers.items()) if v is None]
    return {"repr": repr(m), "attrs": attrs, "params": params, "buffers": buffers, "nones": nones,
            "state_dict": list(m.state_dict())}


def test_layer_reprs_attributes_and_parameters_match_torch():
    ref = _reference("layers", lambda L: [_describe(L, _build(L, e)) for e in LAYERS])
    assert len(ref) == len(LAYERS)
    for expr, want in zip(LAYERS, ref):
        got = _plain(_describe(npgrad, _build(npgrad, expr)))
        for part in want:
            assert got[part] == _ns(want[part]), (expr, part)


def test_model_repr_matches_torch():
    def build(L):
        class Block(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.norm = L.nn.LayerNorm(8)
                self.attn = L.nn.MultiheadAttention(8, 2, batch_first=True)
                self.mlp = L.nn.Sequential(L.nn.Linear(8, 16), L.nn.GELU(approximate="tanh"), L.nn.Linear(16, 8),
                                           L.nn.Dropout(0.1))

        class Net(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = L.nn.Embedding(20, 8, padding_idx=0)
                self.blocks = L.nn.ModuleList([Block() for _ in range(3)])
                self.heads = L.nn.ModuleDict({"cls": L.nn.Linear(8, 3), "reg": L.nn.Linear(8, 1)})
                self.lstm = L.nn.LSTM(8, 4, batch_first=True, bidirectional=True)
                self.act = L.nn.LeakyReLU(0.2)
                self.none = None

            def extra_repr(self):
                return "vocab=20\nwidth=8"

        return Net()

    _compare("model_repr", lambda L: repr(build(L)))


def test_activation_class_hierarchy_matches_torch():
    names = ["ReLU", "ReLU6", "Hardtanh", "ELU", "CELU", "SiLU", "Mish", "Hardsigmoid", "Hardswish",
             "Softshrink", "Hardshrink", "Softmax", "Softmin", "LogSoftmax", "Dropout", "Dropout1d",
             "AlphaDropout", "BatchNorm1d", "BatchNorm2d", "Linear", "Identity", "RNN", "LSTM", "RNNBase"]

    def pairs(L):
        return [[issubclass(getattr(L.nn, a), getattr(L.nn, b)) for b in names] for a in names]

    _compare("subclasses", pairs)


# --------------------------------------------------------------------------- traversal, shared modules, tying
def _tied_model(L):
    class Tied(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = L.nn.Embedding(6, 4)
            shared = L.nn.Linear(4, 4)
            self.enc = L.nn.Sequential(shared, L.nn.ReLU(), shared)
            self.bn = L.nn.BatchNorm1d(4)
            self.head = L.nn.Linear(4, 6, bias=False)
            self.head.weight = self.emb.weight               # weight tying
            self.alias = self.bn                               # the same module under two names
            self.register_buffer("step", L.zeros(()))
            self.register_buffer("cache", L.ones(2), persistent=False)
            self.scale = L.nn.Parameter(L.ones(1))
            self.missing = None

    return Tied()


def _traversal(L):
    m = _tied_model(L)
    names = lambda it: [n for n, _ in it]  # noqa: E731
    return {
        "named_modules": names(m.named_modules()),
        "named_modules_dup": names(m.named_modules(remove_duplicate=False)),
        "named_modules_prefix": names(m.named_modules(prefix="model")),
        "modules": [type(x).__name__ for x in m.modules()],
        "children": names(m.named_children()),
        "children_types": [type(x).__name__ for x in m.children()],
        "named_parameters": names(m.named_parameters()),
        "named_parameters_dup": names(m.named_parameters(remove_duplicate=False)),
        "named_parameters_prefix": names(m.named_parameters(prefix="net")),
        "named_parameters_local": names(m.named_parameters(recurse=False)),
        "enc_parameters": names(m.enc.named_parameters()),
        "n_parameters": len(list(m.parameters())),
        "n_elements": sum(p.numel() for p in m.parameters()),
        "named_buffers": names(m.named_buffers()),
        "named_buffers_dup": names(m.named_buffers(remove_duplicate=False)),
        "named_buffers_local": names(m.named_buffers(recurse=False, prefix="p")),
        "state_dict": list(m.state_dict()),
        "state_dict_prefix": list(m.state_dict(prefix="model.")),
        "state_dict_prefix_nodot": list(m.bn.state_dict(prefix="x"))[:2],
        "metadata": {k: v["version"] for k, v in m.state_dict()._metadata.items()},
        "keep_vars": [m.state_dict(keep_vars=True)["emb.weight"] is m.emb.weight,
                      m.state_dict()["emb.weight"] is m.emb.weight,
                      m.state_dict()["emb.weight"].requires_grad,
                      m.state_dict(keep_vars=True)["scale"].requires_grad,
                      type(m.state_dict()).__name__],
    }


def test_traversal_order_prefixes_and_duplicates_match_torch():
    _compare("traversal", _traversal)


def test_state_dict_shares_memory_with_the_parameters():
    m = _tied_model(npgrad)
    sd = m.state_dict()
    sd["emb.weight"][0, 0] = 5.0                   # the state dict holds views of the weights
    assert m.head.weight[0, 0].item() == 5.0
    assert sd["head.weight"][0, 0].item() == 5.0


# --------------------------------------------------------------------------- load_state_dict
def _loading(L):
    out = {}
    m = L.nn.Sequential(L.nn.Linear(3, 2), L.nn.BatchNorm1d(2))
    sd = m.state_dict()
    del sd["0.bias"]
    sd["extra"] = L.zeros(1)
    sd["1.unknown"] = L.zeros(1)
    sd["5.weight"] = L.zeros(1)
    res = m.load_state_dict(sd, strict=False)
    out["strict_false"] = [res.missing_keys, res.unexpected_keys, repr(res), str(res), type(res).__name__,
                           isinstance(res, tuple), list(res._fields), res[0]]
    ok = m.load_state_dict(m.state_dict())
    out["matched"] = [repr(ok), str(ok), ok.missing_keys, ok.unexpected_keys, len(ok)]
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    out["strict_error"] = str(e.value)
    # a state dict without metadata and without num_batches_tracked (saved by an older version)
    old = {k: v for k, v in m.state_dict().items() if "num_batches" not in k}
    out["old_bn"] = repr(m.load_state_dict(old))
    bad = dict(m.state_dict())
    bad["0.weight"] = L.zeros(3, 3)
    bad["0.bias"] = 3
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(bad, strict=False)
    out["value_errors"] = str(e.value)
    with pytest.raises(TypeError) as e:
        m.load_state_dict([("0.weight", L.zeros(2, 3))])
    out["not_mapping"] = str(e.value)
    # a 0-d buffer loads from a one-element 1-d tensor
    bn = L.nn.BatchNorm1d(2)
    sd = bn.state_dict()
    sd["num_batches_tracked"] = L.tensor([7])
    bn.load_state_dict(sd)
    out["one_element"] = [int(bn.num_batches_tracked), tuple(bn.num_batches_tracked.shape)]
    # loading copies into the existing tensors; assign=True puts the given tensors in place
    lin = L.nn.Linear(2, 2)
    w_before = lin.weight
    new = {"weight": L.ones(2, 2, dtype=L.float64), "bias": L.zeros(2, dtype=L.float64)}
    lin.load_state_dict(new)
    out["copy"] = [lin.weight is w_before, str(lin.weight.dtype), float(lin.weight.detach().sum()),
                   type(lin.weight).__name__]
    lin.load_state_dict(new, assign=True)
    out["assign"] = [lin.weight is w_before, str(lin.weight.dtype), type(lin.weight).__name__,
                     lin.weight.requires_grad, list(lin.state_dict())]
    lin.requires_grad_(False)
    lin.load_state_dict({"weight": L.nn.Parameter(L.ones(2, 2)), "bias": L.zeros(2)}, assign=True)
    out["assign_keeps_requires_grad"] = [lin.weight.requires_grad, lin.bias.requires_grad]
    return out


def test_load_state_dict_results_and_errors_match_torch():
    want = _reference("loading", _loading)
    got = _plain(_loading(npgrad))
    assert list(got) == list(want)
    for key in want:
        assert got[key] == _ns(want[key]), key


def test_load_state_dict_assign_shares_the_given_tensor():
    lin = npgrad.nn.Linear(2, 2)
    w = npgrad.zeros(2, 2)
    lin.load_state_dict({"weight": w, "bias": npgrad.zeros(2)}, assign=True)
    w[0, 0] = 3.0
    assert lin.weight[0, 0].item() == 3.0
    lin.load_state_dict({"weight": npgrad.ones(2, 2), "bias": npgrad.zeros(2)})
    assert w.sum().item() == 4.0


def test_state_dict_and_load_hooks_match_torch():
    def run(L):
        calls = []
        m = L.nn.Sequential(L.nn.Linear(2, 2))
        m[0].register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix)))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append(("post", prefix, len(sd))))
        m[0].register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, *rest: calls.append(("load_pre", prefix, sorted(sd))))
        m.register_load_state_dict_post_hook(
            lambda mod, keys: calls.append(("load_post", list(keys.missing_keys), list(keys.unexpected_keys))))
        sd = m.state_dict(prefix="top.")
        m.load_state_dict({k[4:]: v for k, v in sd.items() if k != "top.0.bias"}, strict=False)
        return [list(c) for c in calls]

    _compare("state_hooks", run)


def test_extra_state_round_trips_like_torch():
    def run(L):
        class WithExtra(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = L.nn.Linear(1, 1)
                self.counter = 3

            def get_extra_state(self):
                return {"counter": self.counter}

            def set_extra_state(self, state):
                self.counter = state["counter"]

        m = L.nn.Sequential(WithExtra())
        sd = m.state_dict()
        keys = list(sd)
        sd["0._extra_state"] = {"counter": 9}
        m.load_state_dict(sd)
        missing = m.load_state_dict({k: v for k, v in sd.items() if "extra" not in k}, strict=False)
        return [keys, m[0].counter, missing.missing_keys]

    _compare("extra_state", run)


# --------------------------------------------------------------------------- lookups
GET_CASES = [
    ("get_submodule", ""), ("get_submodule", "enc"), ("get_submodule", "enc.0"), ("get_submodule", "enc.9"),
    ("get_submodule", "enc.0.weight"), ("get_submodule", "nothing.deeper"), ("get_parameter", "emb.weight"),
    ("get_parameter", "head.weight"), ("get_parameter", "scale"), ("get_parameter", "bn.running_mean"),
    ("get_parameter", "enc.0.nothing"), ("get_parameter", "enc.7.weight"), ("get_buffer", "bn.running_mean"),
    ("get_buffer", "step"), ("get_buffer", "cache"), ("get_buffer", "scale"), ("get_buffer", "bn.nothing"),
    ("get_parameter", "missing"), ("get_submodule", "missing"),
]


def _lookups(L):
    m = _tied_model(L)
    out = []
    for method, target in GET_CASES:
        try:
            r = getattr(m, method)(target)
            out.append(type(r).__name__ if isinstance(r, L.nn.Module) else f"{type(r).__name__} {tuple(r.shape)}")
        except Exception as e:
            out.append(f"{type(e).__name__}: {e}")
    return out


def test_get_submodule_parameter_buffer_and_errors_match_torch():
    _compare("lookups", _lookups)
    m = _tied_model(npgrad)
    assert m.get_parameter("head.weight") is m.emb.weight
    with pytest.raises(AttributeError, match=re.escape("Sequential has no attribute `9`")):
        m.get_submodule("enc.9")
    with pytest.raises(AttributeError, match=re.escape("`running_mean` is not an nn.Parameter")):
        m.get_parameter("bn.running_mean")
    with pytest.raises(AttributeError, match=re.escape("`scale` is not a buffer")):
        m.get_buffer("scale")


# --------------------------------------------------------------------------- hooks
def _hooks(L):
    log = []

    class Scale(L.nn.Module):
        def forward(self, x, factor=1.0):
            log.append(("forward", float(x.sum()), factor))
            return x * factor

    m = Scale()
    x = L.ones(2)
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))))
    h2 = m.register_forward_pre_hook(lambda mod, args: args[0] * 2)                  # a single value: wrapped
    h3 = m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), {"factor": 10.0}),
                                     with_kwargs=True)
    h4 = m.register_forward_hook(lambda mod, args, out: log.append(("post", float(args[0].sum()),
                                                                    float(out.sum()))))
    h5 = m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["factor"], with_kwargs=True)
    h6 = m.register_forward_hook(lambda mod, args, out: log.append(("first",)), prepend=True)
    h7 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre_first",)), prepend=True)
    out1 = m(x, factor=3.0)
    log.append(("out", out1.tolist()))
    for h in (h2, h3, h5):
        h.remove()
    h2.remove()                                                                       # a second remove is a no-op
    out2 = m(x)
    log.append(("out", out2.tolist()))
    for h in (h1, h4, h6, h7):
        h.remove()
    with m.register_forward_hook(lambda mod, args, out: out * 0):
        log.append(("ctx", m(x).tolist()))
    log.append(("after_ctx", m(x).tolist()))
    # always_call runs the hook when forward raises
    bad = L.nn.Linear(2, 2)
    bad.register_forward_hook(lambda mod, args, out: log.append(("always", out is None)), always_call=True)
    try:
        bad(L.ones(3))
    except RuntimeError:
        log.append(("raised",))
    # a with_kwargs pre-hook must return None or (args, kwargs)
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    try:
        m(x)
    except RuntimeError as e:
        log.append(("bad_pre", str(e)))
    return [list(e) for e in log]


def test_forward_hooks_and_handles_match_torch():
    _compare("hooks", _hooks)


def test_hooks_see_submodule_inputs_in_call_order():
    def run(L):
        net = L.nn.Sequential(L.nn.Linear(3, 4), L.nn.ReLU(), L.nn.Linear(4, 2))
        with L.no_grad():
            for p in net.parameters():
                p.fill_(0.5)
        seen = []
        handles = [mod.register_forward_hook(
            lambda mod, args, out, name=name: seen.append([name, list(out.shape), round(float(out.detach().sum()), 6)]))
            for name, mod in net.named_modules()]
        net(L.ones(5, 3))
        for h in handles:
            h.remove()
        net(L.ones(5, 3))
        return seen

    _compare("hook_order", run)


def _backward_hooks(L):
    shapes = lambda gs: [None if g is None else list(g.shape) for g in gs]  # noqa: E731
    log = []

    def watch(tag, m, *args):
        m.register_full_backward_hook(lambda mod, gi, go: log.append([tag, "full", shapes(gi), shapes(go)]))
        m.register_full_backward_pre_hook(lambda mod, go: log.append([tag, "pre", shapes(go)]))
        out = m(*args)
        (out[0] if isinstance(out, tuple) else out).sum().backward()

    class Two(L.nn.Module):
        def forward(self, a, b, k=3):
            return a * 2, b * 3, 5

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # torch warns when no input requires grad
        watch("input requires grad", L.nn.Linear(2, 3), L.ones(4, 2, requires_grad=True))
        watch("input without grad", L.nn.Linear(2, 3), L.ones(4, 2))
        watch("two outputs", Two(), L.ones(2, requires_grad=True), L.ones(3))
        watch("unused output", Two(), L.ones(2, requires_grad=True), L.ones(3, requires_grad=True))
        watch("integer input", L.nn.Embedding(5, 2), L.tensor([1, 2]))
        net = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU(), L.nn.Linear(3, 1))
        for name, mod in net.named_modules():
            mod.register_full_backward_hook(lambda m, gi, go, name=name: log.append(["order", name, shapes(gi)]))
        net(L.ones(4, 2)).sum().backward()
    # hooks that replace grad_input / grad_output, and one that returns too many
    lin = L.nn.Linear(2, 2)
    with L.no_grad():
        lin.weight.fill_(1.0)
    x = L.ones(1, 2, requires_grad=True)
    handle = lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
    lin(x).sum().backward()
    log.append(["scaled grad_input", x.grad.tolist(), lin.weight.grad.tolist()])
    handle.remove()
    x.grad = None
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
    lin(x).sum().backward()
    log.append(["zeroed grad_output", x.grad.tolist()])
    lin = L.nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    try:
        lin(x).sum().backward()
    except RuntimeError as e:
        log.append(["too many", str(e)])
    return log


def test_full_backward_hooks_match_torch():
    _compare("backward_hooks", _backward_hooks)


# --------------------------------------------------------------------------- modes, grads, dtypes
def _modes(L):
    class FrozenNorm(L.nn.Module):
        """A child whose own train() keeps its batch norm in eval mode."""

        def __init__(self):
            super().__init__()
            self.bn = L.nn.BatchNorm1d(2)

        def train(self, mode=True):
            super().train(mode)
            self.bn.eval()
            return self

        def forward(self, x):
            return self.bn(x)

    m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.Dropout(), FrozenNorm())
    flags = lambda: [x.training for x in m.modules()]  # noqa: E731
    out = {"init": flags()}
    out["eval_returns_self"] = m.eval() is m
    out["eval"] = flags()
    out["train"] = [m.train() is m] + flags()
    m[1].eval()
    out["child_eval"] = flags()
    m.train(False)
    out["train_false"] = flags()
    try:
        m.train("yes")
    except ValueError as e:
        out["train_error"] = str(e)
    m.train()
    m[0].requires_grad_(False)
    out["frozen"] = [p.requires_grad for p in m.parameters()]
    out["trainable"] = sum(p.numel() for p in m.parameters() if p.requires_grad)
    out["requires_grad_returns_self"] = m.requires_grad_() is m
    m(L.ones(3, 2)).sum().backward()
    out["grads"] = [p.grad is not None for p in m.parameters()]
    m.zero_grad(set_to_none=False)
    out["zeroed"] = [float(p.grad.abs().sum()) for p in m.parameters()]
    out["zeroed_requires_grad"] = [p.grad.requires_grad for p in m.parameters()]
    m.zero_grad()
    out["none"] = [p.grad is None for p in m.parameters()]
    visited = []
    out["apply_returns_self"] = m.apply(lambda mod: visited.append(type(mod).__name__)) is m
    out["apply_order"] = visited
    return out


def test_train_eval_freezing_zero_grad_and_apply_match_torch():
    _compare("modes", _modes)


def _dtypes(L):
    m = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2), L.nn.Embedding(3, 2))
    dt = lambda: [str(t.dtype) for t in list(m.parameters()) + list(m.buffers())]  # noqa: E731
    out = {"init": dt()}
    out["double_returns_self"] = m.double() is m
    out["double"] = dt()
    m.float()
    out["float"] = dt()
    m.to(L.float64)
    out["to_dtype"] = dt()
    m.to(dtype=L.float32)
    out["to_kw"] = dt()
    m.to(L.zeros(1, dtype=L.float64))
    out["to_tensor"] = dt()
    m.to("cpu")
    out["to_device"] = dt()
    w = m[0].weight
    m.float()
    out["same_parameter_object"] = m[0].weight is w
    try:
        m.to(L.int64)
    except TypeError as e:
        out["int_error"] = str(e)
    lin = L.nn.Linear(2, 2)
    lin(L.ones(1, 2)).sum().backward()
    lin.double()
    out["grad_cast"] = str(lin.weight.grad.dtype)
    return out


def test_dtype_casts_match_torch():
    _compare("dtypes", _dtypes, ns=True)


# --------------------------------------------------------------------------- registration errors
def _registration_errors(L):
    cases = []

    def attempt(label, fn):
        try:
            fn()
            cases.append([label, "ok"])
        except Exception as e:
            cases.append([label, type(e).__name__, str(e)])

    m = L.nn.Linear(2, 2)
    attempt("add_module int", lambda: m.add_module("x", 3))
    attempt("add_module name int", lambda: m.add_module(3, L.nn.ReLU()))
    attempt("add_module existing", lambda: m.add_module("weight", L.nn.ReLU()))
    attempt("add_module dot", lambda: m.add_module("a.b", L.nn.ReLU()))
    attempt("add_module empty", lambda: m.add_module("", L.nn.ReLU()))
    attempt("add_module none", lambda: m.add_module("nothing", None))
    attempt("register_module", lambda: m.register_module("act", L.nn.ReLU()))
    attempt("register_module linear", lambda: m.register_module("inner", L.nn.Linear(1, 1)))
    attempt("register_parameter tensor", lambda: m.register_parameter("p", L.zeros(1)))
    attempt("register_parameter name", lambda: m.register_parameter(1, None))
    attempt("register_parameter dot", lambda: m.register_parameter("a.b", None))
    attempt("register_parameter empty", lambda: m.register_parameter("", None))
    attempt("register_parameter existing", lambda: m.register_parameter("in_features", None))
    attempt("register_parameter module", lambda: m.register_parameter("act", None))
    attempt("register_buffer int", lambda: m.register_buffer("b", 3))
    attempt("register_buffer name", lambda: m.register_buffer(2.5, None))
    attempt("register_buffer dot", lambda: m.register_buffer("a.b", None))
    attempt("register_buffer empty", lambda: m.register_buffer("", None))
    attempt("register_buffer existing", lambda: m.register_buffer("weight", L.zeros(1)))
    attempt("assign int to parameter", lambda: setattr(m, "weight", 3))
    attempt("assign tensor to parameter", lambda: setattr(m, "weight", L.zeros(2, 2)))
    attempt("assign int to module", lambda: setattr(m, "act", 3))
    m.register_buffer("buf", L.zeros(1))
    attempt("assign int to buffer", lambda: setattr(m, "buf", 3))
    attempt("assign tensor to buffer", lambda: setattr(m, "buf", L.ones(3)))
    attempt("assign none to parameter", lambda: setattr(m, "bias", None))
    attempt("assign none to module", lambda: setattr(m, "act", None))

    class Early(L.nn.Module):
        def __init__(self, what):
            if what == "param":
                self.p = L.nn.Parameter(L.zeros(1))
            elif what == "module":
                self.m = L.nn.ReLU()
            elif what == "buffer":
                self.register_buffer("b", L.zeros(1))
            else:
                self.register_parameter("q", None)
            super().__init__()

    for what in ("param", "module", "buffer", "register_parameter"):
        attempt(f"before init {what}", lambda what=what: Early(what))
    attempt("init kwargs", lambda: L.nn.Module(foo=1))
    attempt("init args", lambda: L.nn.Module(1, 2))
    attempt("getattr missing", lambda: m.nothing)
    attempt("forward missing", lambda: L.nn.Module()(1))
    attempt("delattr missing", lambda: delattr(m, "nothing"))
    state = [sorted(m._parameters), sorted(m._buffers), sorted(m._modules), list(m.state_dict()),
             m.bias is None, m.act is None, tuple(m.buf.shape)]
    return cases, state


def test_registration_errors_match_torch():
    want_cases, want_state = _ns(_reference("registration", _registration_errors))
    got_cases, got_state = _plain(_registration_errors(npgrad))
    assert len(got_cases) == len(want_cases)
    for got, want in zip(got_cases, want_cases):
        assert got == want, got[0]
    assert got_state == want_state


def test_registration_errors_use_torch_exception_types_and_wording():
    cases = [
        (lambda L, m: m.add_module("x", 3), TypeError, "int is not a Module subclass"),
        (lambda L, m: m.add_module("a.b", L.nn.ReLU()), KeyError, 't contain ".", got: a.b'),
        (lambda L, m: m.register_parameter("p", L.zeros(1)), TypeError,
         "cannot assign '{ns}.FloatTensor' object to parameter 'p' (torch.nn.Parameter or None required)"),
        (lambda L, m: m.register_buffer("weight", L.zeros(1)), KeyError, "attribute 'weight' already exists"),
        (lambda L, m: setattr(m, "weight", 3), TypeError,
         "cannot assign 'int' as parameter 'weight' (torch.nn.Parameter or None expected)"),
        (lambda L, m: L.nn.Module(foo=1), TypeError, "Module.__init__() got an unexpected keyword argument 'foo'"),
        (lambda L, m: m.to(L.int64), TypeError,
         "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={ns}.int64"),
    ]
    libs = [("torch", _torch())] if HAVE_TORCH else []
    for name, L in libs + [("npgrad", npgrad)]:
        for fn, exc, msg in cases:
            with pytest.raises(exc, match=re.escape(msg.format(ns=name))):
                fn(L, L.nn.Linear(2, 2))


def _attributes_and_buffers(L):
    m = L.nn.Linear(2, 2)
    out = {}
    m.extra = L.nn.ReLU()
    m.note = "text"
    m.register_buffer("running", L.zeros(2))
    m.kept = L.nn.Buffer(L.ones(1))
    m.temp = L.nn.Buffer(L.ones(1), persistent=False)
    out["buffer_isinstance"] = [isinstance(m.kept, L.nn.Buffer), isinstance(L.ones(1), L.nn.Buffer),
                                isinstance(m.kept, L.Tensor)]
    out["buffers"] = [n for n, _ in m.named_buffers()]
    out["state_dict"] = list(m.state_dict())
    m.running = L.ones(3)                                  # a tensor assigned to a buffer name stays a buffer
    out["reassigned_buffer"] = [n for n, _ in m.named_buffers()]
    m.temp = L.zeros(1)
    out["temp_stays_non_persistent"] = list(m.state_dict())
    out["dir"] = [k in dir(m) for k in ("weight", "bias", "extra", "running", "note", "forward", "in_features")]
    out["seq_dir_digits"] = any(k.isdigit() for k in dir(L.nn.Sequential(L.nn.ReLU())))
    del m.extra
    del m.running
    del m.bias
    del m.note
    out["after_del"] = [sorted(m._parameters), sorted(m._buffers), sorted(m._modules), list(m.state_dict()),
                        hasattr(m, "note"), hasattr(m, "bias")]
    m.weight = L.nn.Parameter(L.zeros(3))                # reassigning a parameter
    m.kept = L.nn.Parameter(L.zeros(1))                  # a parameter replaces a buffer of the same name
    m.extra = L.nn.Linear(1, 1)
    m.extra = L.nn.ReLU()                                 # a module replaces a module in place
    out["reassigned"] = [list(m.state_dict()), [n for n, _ in m.named_parameters()], sorted(m._buffers)]
    return out


def test_buffers_attribute_assignment_deletion_and_dir_match_torch():
    _compare("attributes", _attributes_and_buffers)


# --------------------------------------------------------------------------- containers
def _containers(L):
    out = {}
    lin = lambda n: L.nn.Linear(1, n)  # noqa: E731
    seq = L.nn.Sequential(lin(1), lin(2), lin(3))
    sliced = seq[1:]
    out["slice"] = [type(sliced).__name__, list(sliced._modules), [x.out_features for x in sliced]]
    out["neg_index"] = seq[-1].out_features
    added = seq + L.nn.Sequential(lin(4))
    out["add"] = [type(added).__name__, list(added._modules), len(added)]
    out["mul"] = [len(seq * 2), (seq * 2)[3] is seq[0], len(2 * seq)]
    popped = seq.pop(0)
    out["pop"] = [popped.out_features, list(seq._modules), [x.out_features for x in seq]]
    for label, fn in [("seq index", lambda: seq[5]), ("seq insert", lambda: seq.insert(9, lin(1))),
                      ("seq add", lambda: seq + [lin(1)]), ("seq mul", lambda: seq * 0),
                      ("list index", lambda: L.nn.ModuleList([lin(1)])[3]),
                      ("list extend", lambda: L.nn.ModuleList().extend(3)),
                      ("dict update", lambda: L.nn.ModuleDict().update(3)),
                      ("dict update pair", lambda: L.nn.ModuleDict().update([("a", lin(1), 1)])),
                      ("param list call", lambda: L.nn.ParameterList()(1)),
                      ("param dict call", lambda: L.nn.ParameterDict()(1)),
                      ("param dict key", lambda: L.nn.ParameterDict()[1]),
                      ("param list index", lambda: L.nn.ParameterList([L.zeros(1)])[2])]:
        try:
            fn()
            out[label] = "ok"
        except Exception as e:
            out[label] = [type(e).__name__, _CLASS_PATHS.sub(r"<class '\1'>", str(e))]
    ml = L.nn.ModuleList([lin(1), lin(2)])
    ml2 = ml + [lin(3)]
    out["list_add"] = [type(ml2).__name__, len(ml2), ml2[0] is ml[0]]
    out["list_pop"] = [ml.pop(-1).out_features, len(ml)]
    md = L.nn.ModuleDict({"z": lin(1), "a": lin(2)})
    md.update([("m", lin(3))])
    md["b"] = lin(4)
    out["dict"] = [list(md), list(md.keys()), [v.out_features for v in md.values()], "a" in md, len(md),
                   md.pop("z").out_features, [k for k, _ in md.items()]]
    out["dict_params"] = [n for n, _ in md.named_parameters()]
    pl = L.nn.ParameterList([L.zeros(1), L.nn.Parameter(L.ones(2))])
    pl.append(L.zeros(3))
    pl.extend([L.zeros(4)])
    pl += [L.zeros(5)]
    out["plist"] = [len(pl), type(pl[0]).__name__, [p.numel() for p in pl], [n for n, _ in pl.named_parameters()],
                    len(pl[1:3]), type(pl[1:3]).__name__, pl[-1].numel()]
    pd = L.nn.ParameterDict({"b": L.zeros(1), "a": L.ones(2)})
    pd["c"] = L.zeros(3)
    pd.update(OrderedDict([("z", L.zeros(1)), ("y", L.zeros(1))]))
    pd.update([("x", L.zeros(1))])
    out["pdict"] = [list(pd), list(pd.keys()), [n for n, _ in pd.named_parameters()], type(pd["a"]).__name__,
                    "a" in pd, len(pd), pd.get("nothing") is None, pd.pop("z").numel(), list(pd)]
    return out


def test_containers_match_torch():
    _compare("containers", _containers, ns=True)


# --------------------------------------------------------------------------- deepcopy
def _deepcopied(L):
    m = _tied_model(L)
    m.enc[0].weight.grad = L.ones(4, 4)
    c = copy.deepcopy(m)
    return {
        "n_parameters": [len(list(m.parameters())), len(list(c.parameters()))],
        "tied": [c.head.weight is c.emb.weight, c.enc[0] is c.enc[2], c.alias is c.bn],
        "fresh": [c.emb.weight is m.emb.weight, c.bn is m.bn],
        "equal": all(bool((a == b).all()) for a, b in zip(m.state_dict().values(), c.state_dict().values())),
        "types": [type(c.emb.weight).__name__, c.emb.weight.requires_grad, c.enc[0].weight.grad is not None],
        "keys": list(c.state_dict()),
        "repr": repr(c) == repr(m),
    }


def test_deepcopy_keeps_shared_parameters_shared():
    _compare("deepcopy", _deepcopied)
    m = _tied_model(npgrad)
    c = copy.deepcopy(m)
    with npgrad.no_grad():
        c.emb.weight.fill_(1.0)
    assert c.head.weight.sum().item() == c.head.weight.numel()
    assert m.emb.weight.sum().item() != m.emb.weight.numel()


# --------------------------------------------------------------------------- layer defaults users read
def _defaults(L):
    out = {}
    lin = L.nn.Linear(3, 5)
    out["linear"] = [lin.in_features, lin.out_features, list(lin.weight.shape), lin.bias is None,
                     L.nn.Linear(3, 5, bias=False).bias is None]
    emb = L.nn.Embedding(7, 2, padding_idx=3)
    out["embedding"] = [emb.num_embeddings, emb.embedding_dim, emb.padding_idx,
                        float(emb.weight.detach()[3].abs().sum()),
                        emb.max_norm, emb.norm_type, emb.scale_grad_by_freq, emb.sparse]
    pre = L.nn.Embedding.from_pretrained(L.ones(4, 3))
    out["from_pretrained"] = [pre.weight.requires_grad, pre.num_embeddings,
                              L.nn.Embedding.from_pretrained(L.ones(4, 3), freeze=False).weight.requires_grad]
    ln = L.nn.LayerNorm(6)
    out["layernorm"] = [ln.normalized_shape, type(ln.normalized_shape).__name__, ln.eps, ln.elementwise_affine,
                        float(ln.weight.detach().sum()), float(ln.bias.detach().sum())]
    bn = L.nn.BatchNorm2d(3)
    out["batchnorm"] = [bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats,
                        int(bn.num_batches_tracked), str(bn.num_batches_tracked.dtype),
                        float(bn.running_var.sum()), float(bn.weight.detach().sum())]
    gn = L.nn.GroupNorm(2, 4)
    out["groupnorm"] = [gn.num_groups, gn.num_channels, gn.eps, gn.affine, float(gn.weight.detach().sum())]
    rms = L.nn.RMSNorm([2, 3])
    out["rmsnorm"] = [rms.normalized_shape, rms.eps, list(rms.weight.shape)]
    drop = L.nn.Dropout()
    out["dropout"] = [drop.p, drop.inplace]
    out["activations"] = [L.nn.LeakyReLU().negative_slope, L.nn.Softmax().dim, L.nn.GELU().approximate,
                          L.nn.ELU().alpha, L.nn.ReLU6().min_val, L.nn.ReLU6().max_val, L.nn.PReLU().init,
                          list(L.nn.PReLU().weight.shape), L.nn.Flatten().start_dim, L.nn.Flatten().end_dim]
    lstm = L.nn.LSTM(3, 4, 2)
    out["lstm"] = [lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.bias, lstm.batch_first, lstm.dropout,
                   lstm.bidirectional, lstm.proj_size, lstm.mode]
    mha = L.nn.MultiheadAttention(8, 2)
    out["mha"] = [mha.embed_dim, mha.num_heads, mha.head_dim, mha.dropout, mha.batch_first, mha.kdim, mha.vdim,
                  mha._qkv_same_embed_dim, type(mha.out_proj).__name__, mha.bias_k is None]
    return out


def test_layer_defaults_match_torch():
    _compare("defaults", _defaults, ns=True)


def test_layer_construction_errors_match_torch():
    cases = [
        (lambda L: L.nn.GroupNorm(3, 4), ValueError, "num_channels (4) must be divisible by num_groups (3)"),
        (lambda L: L.nn.Embedding(4, 2, padding_idx=4), AssertionError, "Padding_idx must be within num_embeddings"),
        (lambda L: L.nn.Embedding(4, 2, _weight=L.zeros(3, 2)), AssertionError,
         "Shape of weight does not match num_embeddings and embedding_dim"),
        (lambda L: L.nn.Embedding.from_pretrained(L.zeros(3)), AssertionError,
         "Embeddings parameter is expected to be 2-dimensional"),
        (lambda L: L.nn.Hardtanh(1.0, -1.0), AssertionError, "max_val (-1.0) must be greater than min_val (1.0)"),
        (lambda L: L.nn.Dropout(1.5), ValueError, "dropout probability has to be between 0 and 1, but got 1.5"),
        (lambda L: L.nn.Unflatten(1, 6), TypeError, "unflattened_size must be a tuple of ints, but found type int"),
        (lambda L: L.nn.Unflatten(1, (2, 3.0)), TypeError,
         "unflattened_size must be tuple of ints, but found element of type float at pos 1"),
        (lambda L: L.nn.BatchNorm1d(3)(L.zeros(2, 3, 4, 5)), ValueError, "expected 2D or 3D input (got 4D input)"),
    ]
    libs = [_torch()] if HAVE_TORCH else []
    for L in libs + [npgrad]:
        for fn, exc, msg in cases:
            with pytest.raises(exc, match=re.escape(msg)):
                fn(L)


def test_batchnorm_in_eval_without_running_stats_uses_batch_statistics():
    def run(L):
        bn = L.nn.BatchNorm1d(2, momentum=None)
        x = L.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 1.0]])
        bn(x)
        bn(x * 2)
        out = [bn.running_mean.tolist(), int(bn.num_batches_tracked)]
        bn.eval()
        out.append(np.round(bn(x).detach().numpy(), 5).tolist())
        bn.track_running_stats = False                    # buffers still there: eval keeps using them
        out.append(np.round(bn(x).detach().numpy(), 5).tolist())
        bn.running_mean = None
        bn.running_var = None
        out.append(np.round(bn(x).detach().numpy(), 5).tolist())
        return out

    want = _reference("bn_eval", run)
    got = _plain(run(npgrad))
    assert got[:2] == want[:2]
    for g, w in zip(got[2:], want[2:]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_parameter_repr_and_lazy_linear_match_torch():
    def run(L):
        lazy = L.nn.LazyLinear(4)
        before = repr(lazy)
        lazy(L.ones(2, 3))
        return [repr(L.nn.Parameter(L.zeros(2))), str(L.nn.Parameter(L.zeros(2), requires_grad=False)),
                repr(L.nn.Parameter(L.zeros(2, dtype=L.float64))), str(L.nn.Linear(1, 1, bias=False).bias),
                before, repr(lazy), type(lazy).__name__, isinstance(lazy, L.nn.LazyLinear), list(lazy.state_dict())]

    _compare("parameter_repr", run, ns=True)
