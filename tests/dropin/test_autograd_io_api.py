"""The autograd API, save/load and the random-number API against torch.

Each case is a function ``fn(L)`` written against the shared API (``L`` is npgrad or torch)
that returns plain values (numbers, strings, arrays, and tuples/lists/dicts of them); the
result is compared with torch's. Random values differ from torch's by design (NumPy's bits),
so the random cases return shapes, dtypes, ranges and whether draws reproduce, not values.
Error cases give torch's exception type and wording, checked against torch when installed.
"""
import collections
import functools
import io

import numpy as np
import pytest

import npgrad
from harness import check_encoded, encode as enc
from oracle import HAVE_TORCH, Golden

golden = Golden("autograd_io_api")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def dt(t):
    return str(t.dtype).split(".")[-1]


check = functools.partial(check_encoded, tol=(1e-4, 1e-5), scalar_tol=(1e-6, 1e-7))


def leaf(L, values=(1., 2., 3.), dtype=None):
    return L.tensor(list(values), dtype=dtype, requires_grad=True)


# --------------------------------------------------------------------------- autograd.grad / backward

def grad_scalar(L):
    x = leaf(L)
    g = L.autograd.grad((x ** 2).sum(), x)
    return type(g).__name__, enc(g), enc(x.grad)


def grad_list_inputs(L):
    x, w = leaf(L), leaf(L, (0.5, -1., 2.))
    return enc(L.autograd.grad((x * w).sum(), [x, w]))


def grad_outputs_tensor(L):
    x = leaf(L)
    return enc(L.autograd.grad(x * x, x, grad_outputs=L.tensor([1., 0.5, 2.])))


def grad_outputs_list(L):
    x = leaf(L)
    return enc(L.autograd.grad([x * 2, x.sum()], x, grad_outputs=[L.ones(3), None]))


def grad_outputs_scalar_output(L):
    x = leaf(L)
    return enc(L.autograd.grad((x * 2).sum(), x, grad_outputs=L.tensor(3.)))


def grad_multiple_outputs(L):
    x = leaf(L)
    return enc(L.autograd.grad([(x * x).sum(), (3 * x).sum()], x))


def grad_retain_graph(L):
    x = leaf(L)
    y = (x ** 3).sum()
    a = L.autograd.grad(y, x, retain_graph=True)
    b = L.autograd.grad(y, x)
    return enc((a, b))


def grad_allow_unused(L):
    x, z = leaf(L), leaf(L, (1., 1.))
    return enc(L.autograd.grad((x * 2).sum(), (x, z), allow_unused=True))


def grad_materialize(L):
    x, z = leaf(L), leaf(L, (1., 1.))
    return enc(L.autograd.grad((x * 2).sum(), (x, z), materialize_grads=True))


def grad_non_leaf_input(L):
    x = leaf(L)
    h = x * 2
    g = L.autograd.grad((h ** 2).sum(), h)
    return enc((g, x.grad, h.grad))


def grad_non_leaf_input_not_retained(L):
    x = leaf(L)
    h = x * 2
    y = (h * h).sum()
    g = L.autograd.grad(y, h, retain_graph=True)
    flag = h.retains_grad
    y.backward()
    return enc((g, h.grad, x.grad)), flag


def grad_leaves_untouched(L):
    x = leaf(L)
    (x * 5).sum().backward()
    g = L.autograd.grad((x * x).sum(), x)
    return enc((g, x.grad))


def grad_float64(L):
    x = leaf(L, dtype=L.float64)
    return enc(L.autograd.grad((x.exp()).sum(), x))


def grad_dict_inputs(L):
    x, w = leaf(L), leaf(L, (2., 2., 2.))
    return enc(L.autograd.grad((x * w).sum(), {"x": x, "w": w}))


def backward_gradient(L):
    x = leaf(L)
    y = x * x
    y.backward(gradient=L.tensor([1., 0., 2.]))
    return enc(x.grad)


def backward_accumulates(L):
    x = leaf(L)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    return enc(x.grad)


def backward_retain_graph_twice(L):
    x = leaf(L)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return enc(x.grad)


def backward_inputs_subset(L):
    x, w = leaf(L), leaf(L, (0.5, 0.5, 0.5))
    (x * w).sum().backward(inputs=[x])
    return enc((x.grad, w.grad))


def backward_inputs_single_tensor(L):
    x, w = leaf(L), leaf(L, (0.5, 0.5, 0.5))
    (x * w).sum().backward(inputs=w)
    return enc((x.grad, w.grad))


def autograd_backward_fn(L):
    x = leaf(L)
    L.autograd.backward([(x * x).sum(), (2 * x).sum()])
    return enc(x.grad)


def autograd_backward_grad_tensors(L):
    x = leaf(L)
    L.autograd.backward(x * x, grad_tensors=L.ones(3))
    return enc(x.grad)


def grad_zero_and_none(L):
    x = leaf(L)
    (x * 2).sum().backward()
    x.grad.zero_()
    a = enc(x.grad)
    x.grad = None
    (x * 3).sum().backward()
    return a, enc(x.grad)


def retain_grad_non_leaf(L):
    x = leaf(L)
    h = x * 2
    h.retain_grad()
    y = h * h
    y.sum().backward()
    return enc((h.grad, x.grad)), h.retains_grad, y.retains_grad, h.is_leaf, x.is_leaf, x.retains_grad


def retain_grad_twice_accumulates(L):
    x = leaf(L)
    h = x * 2
    h.retain_grad()
    y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    return enc(h.grad)


def retain_grad_on_leaf(L):
    x = leaf(L)
    x.retain_grad()
    (x * 2).sum().backward()
    return enc(x.grad), x.retains_grad


def hook_modifies_leaf(L):
    x = leaf(L)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    x.register_hook(lambda g: g * 10)
    (x * x.detach()).sum().backward()
    return enc((seen, x.grad))


def hook_modifies_non_leaf(L):
    x = leaf(L)
    h = x * 2
    h.register_hook(lambda g: g + 1)
    (h * h).sum().backward()
    return enc(x.grad)


def hook_removed(L):
    x = leaf(L)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    h = x * 2
    handle2 = h.register_hook(lambda g: g * 100)
    handle2.remove()
    (h * x).sum().backward()
    return enc(x.grad)


def hook_sees_grad_in_autograd_grad(L):
    x = leaf(L)
    h = x * 3
    h.register_hook(lambda g: g * 2)
    return enc(L.autograd.grad(h.sum(), x))


def requires_grad_flags(L):
    t = L.ones(2)
    r = t.requires_grad_()
    out = [r is t, t.requires_grad, t.is_leaf]
    t.requires_grad_(False)
    out.append(t.requires_grad)
    y = L.ones(2, requires_grad=True) * 2
    out += [y.requires_grad, y.is_leaf, y.grad_fn is not None, L.ones(2).grad_fn is None]
    return out


def detach_flags(L):
    x = leaf(L)
    y = x * 2
    d = y.detach()
    out = [d.requires_grad, d.is_leaf, d.grad_fn is None]
    d[0] = 100.  # shares storage with y
    out.append(float(y[0]))
    y2 = x * 3
    r = y2.detach_()
    out += [r is y2, y2.requires_grad, y2.is_leaf, y2.grad_fn is None]
    return out


# --------------------------------------------------------------------------- grad modes

def no_grad_context(L):
    x = leaf(L)
    with L.no_grad():
        y = x * 2
        inside = L.is_grad_enabled()
    return y.requires_grad, y.grad_fn is None, inside, L.is_grad_enabled()


def no_grad_decorator(L):
    @L.no_grad()
    def f(t):
        return t * 2, L.is_grad_enabled()

    @L.no_grad
    def g(t):
        return t * 3

    y, inside = f(leaf(L))
    return y.requires_grad, inside, g(leaf(L)).requires_grad, f.__name__, L.is_grad_enabled()


def no_grad_generator(L):
    @L.no_grad()
    def gen():
        for _ in range(3):
            yield L.is_grad_enabled()

    out = []
    for flag in gen():
        out.append((flag, L.is_grad_enabled()))
    return out


def enable_grad_inside_no_grad(L):
    x = leaf(L)
    with L.no_grad():
        with L.enable_grad():
            y = x * 2
            inner = L.is_grad_enabled()
        z = x * 2

    @L.enable_grad()
    def f(t):
        return t * 2

    with L.no_grad():
        w = f(x)
    return y.requires_grad, inner, z.requires_grad, w.requires_grad


def set_grad_enabled_call(L):
    x = leaf(L)
    L.set_grad_enabled(False)
    try:
        off = (L.is_grad_enabled(), (x * 2).requires_grad)
    finally:
        L.set_grad_enabled(True)
    with L.set_grad_enabled(False):
        ctx = (L.is_grad_enabled(), (x * 2).requires_grad)
    with L.no_grad():
        with L.set_grad_enabled(True):
            on = (L.is_grad_enabled(), (x * 2).requires_grad)
        after = L.is_grad_enabled()
    return off, ctx, on, after, L.is_grad_enabled()


def set_grad_enabled_decorator(L):
    @L.set_grad_enabled(False)
    def f():
        return L.is_grad_enabled()

    return f(), L.is_grad_enabled()


def nested_modes_restore_on_error(L):
    try:
        with L.no_grad():
            raise ValueError
    except ValueError:
        pass
    return L.is_grad_enabled()


def inference_mode_flags(L):
    x = leaf(L)
    out = [L.is_inference_mode_enabled()]
    with L.inference_mode():
        y = x * 2
        out += [L.is_inference_mode_enabled(), L.is_grad_enabled(), y.requires_grad]
        with L.inference_mode(False):
            out += [L.is_inference_mode_enabled(), L.is_grad_enabled()]
    with L.inference_mode(mode=False):
        out += [L.is_inference_mode_enabled(), (x * 2).requires_grad]

    @L.inference_mode()
    def f():
        return L.is_inference_mode_enabled(), L.is_grad_enabled()

    @L.inference_mode
    def g():
        return L.is_inference_mode_enabled()

    out += [f(), g(), L.is_inference_mode_enabled(), L.is_grad_enabled()]
    return out


def anomaly_mode(L):
    out = [L.is_anomaly_enabled()]
    with L.autograd.detect_anomaly():
        x = leaf(L)
        (x * 2).sum().backward()
        out.append(enc(x.grad))
    with L.autograd.set_detect_anomaly(True):
        out.append(L.is_anomaly_enabled())
    L.autograd.set_detect_anomaly(False)
    out.append(L.is_anomaly_enabled())
    return out


def gradcheck_ok(L):
    x = L.tensor([0.3, -0.7, 1.2], dtype=L.float64, requires_grad=True)
    w = L.tensor([[1.0, 2.0], [0.5, -1.0], [0.1, 0.2]], dtype=L.float64, requires_grad=True)
    a = L.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    b = L.autograd.gradcheck(lambda t, m: (t @ m).tanh(), (x, w), eps=1e-6, atol=1e-5, rtol=1e-3,
                             raise_exception=True, fast_mode=False, check_undefined_grad=True)
    c = L.autograd.gradcheck(lambda t: t * 2, x)
    d = L.autograd.gradcheck(lambda t: t.exp(), (x,), raise_exception=False)
    return a, b, c, d


def gradcheck_failure(L):
    class Bad(L.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = L.tensor([0.3, -0.7], dtype=L.float64, requires_grad=True)
    return L.autograd.gradcheck(Bad.apply, (x,), raise_exception=False)


# --------------------------------------------------------------------------- save / load

def sample_state(L):
    return {
        "w": L.tensor([[1., 2.], [3., 4.]]),
        "i": L.tensor([1, 2, 3]),
        "b": L.tensor([True, False]),
        "d": L.tensor([1.5], dtype=L.float64),
        "scalar": L.tensor(2.5),
        "empty": L.zeros(0, 3),
        "nested": {"list": [1, 2.5, "s", None, L.ones(2)], "tuple": (3, (4, L.zeros(1))), 7: "int key"},
        "flags": [True, False],
        "neg": -3,
        "inf": float("inf"),
    }


def roundtrip(L, obj, **load_kw):
    buf = io.BytesIO()
    L.save(obj, buf)
    buf.seek(0)
    return L.load(buf, **load_kw)


def describe(v):
    """Structure with Python types named, tensors as (dtype, array, requires_grad)."""
    if hasattr(v, "detach") and hasattr(v, "dtype"):
        return ("T", type(v).__name__, dt(v), np.array(v.detach().numpy()), bool(v.requires_grad))
    if isinstance(v, dict):
        return {"__type__": type(v).__name__, **{repr(k): describe(x) for k, x in v.items()}}
    if isinstance(v, (tuple, list)):
        return [type(v).__name__] + [describe(x) for x in v]
    return (type(v).__name__, "None" if v is None else v)


def save_bytesio_structure(L):
    return describe(roundtrip(L, sample_state(L)))


def save_path_forms(L, tmp):
    out = []
    obj = {"a": L.arange(4), "b": [L.ones(2, 2)]}
    p = tmp / f"{L.__name__}_x.pt"
    L.save(obj, str(p))
    out.append(describe(L.load(str(p))))
    L.save(obj, p)
    out.append(describe(L.load(p)))
    with open(p, "wb") as f:
        L.save(obj, f)
    with open(p, "rb") as f:
        out.append(describe(L.load(f)))
    out.append(describe(L.load(p, map_location="cpu")))
    out.append(describe(L.load(p, map_location=L.device("cpu"))))
    out.append(describe(L.load(p, weights_only=True)))
    out.append(describe(L.load(p, weights_only=False)))
    out.append(describe(L.load(p, map_location="cpu", weights_only=True)))
    return out


def save_ordered_dict(L):
    od = collections.OrderedDict([("z", L.ones(1)), ("a", 2)])
    return describe(roundtrip(L, od))


def save_requires_grad_and_parameter(L):
    p = L.nn.Parameter(L.ones(2))
    t = L.ones(2, requires_grad=True)
    return describe(roundtrip(L, {"p": p, "t": t, "tup": (p,)}))


def save_non_contiguous(L):
    t = L.arange(6.).reshape(2, 3).t()
    return describe(roundtrip(L, {"t": t, "s": L.arange(10)[::3]}))


def save_tensor_top_level(L):
    return describe(roundtrip(L, L.tensor([[1, 2], [3, 4]], dtype=L.int32)))


def save_list_top_level(L):
    return describe(roundtrip(L, [L.ones(1), 3, "x"]))


def save_special_floats(L):
    r = roundtrip(L, {"nan": float("nan"), "ninf": float("-inf"), "big": 1e300, "i": 2 ** 62})
    return [np.isnan(r["nan"]), r["ninf"], r["big"], r["i"]]


def model_and_optimizer(L):
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Linear(3, 4, bias=False), L.nn.BatchNorm1d(4), L.nn.Tanh(), L.nn.Linear(4, 2))
    with L.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(L.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1) / 4)
    opt = L.optim.Adam(model.parameters(), lr=0.1)
    sched = L.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    x = L.tensor([[0.1, 0.2, 0.3], [-0.3, 0.5, 1.0], [0.0, -1.0, 0.4]])
    for _ in range(3):
        opt.zero_grad()
        (model(x) * L.tensor([[1., -2.], [0.5, 1.], [3., 0.]])).sum().backward()
        opt.step()
        sched.step()
    return model, opt, sched


def save_model_state_dict(L):
    model, _, _ = model_and_optimizer(L)
    sd = roundtrip(L, model.state_dict())
    fresh = L.nn.Sequential(L.nn.Linear(3, 4, bias=False), L.nn.BatchNorm1d(4), L.nn.Tanh(), L.nn.Linear(4, 2))
    res = fresh.load_state_dict(sd)
    return describe(sd), list(res.missing_keys), list(res.unexpected_keys)


def save_optimizer_state_dict(L):
    model, opt, sched = model_and_optimizer(L)
    sd = roundtrip(L, {"opt": opt.state_dict(), "sched": sched.state_dict()})
    opt2 = L.optim.Adam(model.parameters(), lr=1.0)
    opt2.load_state_dict(sd["opt"])
    sched2 = L.optim.lr_scheduler.StepLR(opt2, step_size=5)
    sched2.load_state_dict(sd["sched"])
    st = sd["opt"]["state"]
    return (sorted(sd["opt"]), sorted(st), sorted(st[0]), enc(st[0]["exp_avg"]), enc(st[0]["step"]),
            describe(sd["opt"]["param_groups"]), describe(sd["sched"]),
            opt2.param_groups[0]["lr"], sched2.get_last_lr(), sorted(opt2.state_dict()["state"][1]))


# --------------------------------------------------------------------------- random numbers

def manual_seed_return(L):
    g = L.manual_seed(3)
    return (type(g).__name__, g is L.default_generator, g.initial_seed(), L.initial_seed(),
            L.random.initial_seed())


def seed_and_initial_seed(L):
    s = L.seed()
    ok = [isinstance(s, int), 0 <= s < 2 ** 64, L.initial_seed() == s]
    L.manual_seed(123)
    ok.append(L.initial_seed())
    a = L.rand(3)
    L.manual_seed(123)
    ok.append(bool((L.rand(3) == a).all()))
    r = L.random.manual_seed(5)
    ok += [type(r).__name__, L.random.initial_seed()]
    return ok


def rng_state_roundtrip(L):
    L.manual_seed(7)
    state = L.get_rng_state()
    a = L.randn(4)
    b = L.randint(0, 100, (5,))
    L.set_rng_state(state)
    a2 = L.randn(4)
    b2 = L.randint(0, 100, (5,))
    st2 = L.random.get_rng_state()
    c = L.rand(2)
    L.random.set_rng_state(st2)
    return (type(state).__name__, dt(state), state.dim(), bool((a == a2).all()), bool((b == b2).all()),
            bool((L.rand(2) == c).all()), bool((L.randn(4) == a).all()))


def generator_api(L):
    g = L.Generator()
    r = g.manual_seed(11)
    a = L.randn(2, 3, generator=g)
    g2 = L.Generator().manual_seed(11)
    b = L.randn(2, 3, generator=g2)
    st = g.get_state()
    c = L.rand(4, generator=g)
    g.set_state(st)
    d = L.rand(4, generator=g)
    L.manual_seed(0)
    e = L.randn(2, 3)  # the default generator is independent of g
    g3 = L.Generator(device="cpu")
    return (r is g, type(g).__name__, str(g.device), g.initial_seed(), bool((a == b).all()),
            bool((c == d).all()), dt(st), g2.initial_seed(), str(g3.device), tuple(e.shape),
            L.Generator().manual_seed(-1).initial_seed())


def generator_forms(L):
    g = L.Generator().manual_seed(0)
    outs = [L.rand(3, generator=g), L.randn((2, 2), generator=g), L.randint(0, 5, (4,), generator=g),
            L.randint(5, (4,), generator=g), L.randperm(6, generator=g), L.normal(0., 1., (3,), generator=g),
            L.normal(L.zeros(3), L.ones(3), generator=g), L.bernoulli(L.full((3,), 0.5), generator=g),
            L.rand_like(L.ones(2), generator=g) if L.__name__ == "npgrad" else L.rand(2)]
    return [(dt(o), tuple(o.shape)) for o in outs]


def rand_forms(L):
    cases = [L.rand(2, 3), L.rand((2, 3)), L.rand([2, 3]), L.rand(size=(2, 3)), L.rand(size=[4]),
             L.rand(L.Size([2, 1])), L.rand(()), L.rand(0), L.rand(2, dtype=L.float64),
             L.randn(2, 3), L.randn((2, 3)), L.randn(size=(3,)), L.randn(4, dtype=L.float64),
             L.randn(2, requires_grad=True), L.rand(3, requires_grad=True), L.randn([])]
    out = [(dt(c), tuple(c.shape), c.requires_grad) for c in cases]
    r = L.rand(1000)
    out.append(bool(((r >= 0) & (r < 1)).all()))
    n = L.randn(20000, dtype=L.float64)
    out.append(bool(abs(float(n.mean())) < 0.05 and abs(float(n.std()) - 1) < 0.05))
    return out


def randint_forms(L):
    cases = [L.randint(10, (3,)), L.randint(3, 10, (2, 2)), L.randint(10, size=(4,)),
             L.randint(low=2, high=5, size=(6,)), L.randint(high=4, size=[2, 3]),
             L.randint(0, 3, (5,), dtype=L.int32), L.randint(0, 2, (3,), dtype=L.float32),
             L.randint(-5, 5, (100,)), L.randint(2, 3, (4,)), L.randint(0, 256, (3,), dtype=L.uint8),
             L.randint(0, 2, (2,), dtype=L.bool), L.randint(5, ())]
    out = [(dt(c), tuple(c.shape), c.requires_grad) for c in cases]
    out.append(sorted(set(int(v) for v in L.randint(-5, 5, (500,)).tolist())))
    out.append(sorted(set(int(v) for v in L.randint(3, (200,)).tolist())))
    return out


def randperm_forms(L):
    p = L.randperm(10)
    q = L.randperm(7, dtype=L.int32)
    f = L.randperm(5, dtype=L.float32)
    e = L.randperm(0)
    return (dt(p), sorted(p.tolist()), dt(q), sorted(q.tolist()), dt(f), sorted(f.tolist()), dt(e),
            tuple(e.shape), L.randperm(1).tolist())


def normal_forms(L):
    m = L.tensor([0., 10., 100.])
    s = L.tensor([1e-6, 1e-6, 1e-6])
    cases = [L.normal(m, s), L.normal(m, 1e-6), L.normal(5., s), L.normal(2., 1e-6, size=(2, 3)),
             L.normal(2., 1e-6, (4,)), L.normal(mean=m, std=s), L.normal(0., 1., size=(3,), dtype=L.float64),
             L.normal(m.double(), s.double()), L.normal(L.zeros(2, 3), L.ones(2, 3)),
             L.normal(L.zeros(2, 1), L.ones(3))]
    out = [(dt(c), tuple(c.shape), c.requires_grad) for c in cases]
    out.append(np.round(cases[0].numpy(), 3))
    out.append(np.round(cases[2].numpy(), 3))
    out.append(np.round(cases[3].numpy(), 3))
    return out


def bernoulli_forms(L):
    p = L.tensor([[0., 1., 0.], [1., 0., 1.]])
    a = L.bernoulli(p)
    b = L.bernoulli(L.full((1000,), 0.3))
    c = L.bernoulli(L.zeros(3, dtype=L.float64), p=1.0)
    d = L.bernoulli(L.full((4,), 0.5, dtype=L.float64))
    return (dt(a), a.numpy(), dt(b), sorted(set(b.tolist())), abs(float(b.mean()) - 0.3) < 0.06, dt(c),
            c.tolist(), dt(d), tuple(d.shape))


def empty_like_forms(L):
    t = L.ones(2, 3)
    i = L.ones(2, dtype=L.int64)
    cases = [L.empty(2, 3), L.empty((2, 3)), L.empty(2, dtype=L.int64), L.empty(0),
             L.empty(2, requires_grad=True), L.empty_like(t), L.empty_like(t, dtype=L.float64),
             L.zeros_like(t, dtype=L.int32), L.ones_like(i, dtype=L.float32), L.full_like(t, 7, dtype=L.int64),
             L.rand_like(t), L.rand_like(t, dtype=L.float64), L.randn_like(t, dtype=L.float64),
             L.randint_like(t, 10), L.randint_like(t, 3, 6), L.randint_like(i, 5),
             L.randint_like(t, 10, dtype=L.int64), L.zeros_like(t, requires_grad=True),
             L.randn_like(t, requires_grad=True), L.rand_like(t.double())]
    out = [(dt(c), tuple(c.shape), c.requires_grad) for c in cases]
    r = L.randint_like(t, 3, 6)
    out.append(bool(((r >= 3) & (r < 6)).all()))
    return out


CASES = [grad_scalar, grad_list_inputs, grad_outputs_tensor, grad_outputs_list, grad_outputs_scalar_output,
         grad_multiple_outputs, grad_retain_graph, grad_allow_unused, grad_materialize, grad_non_leaf_input,
         grad_non_leaf_input_not_retained,
         grad_leaves_untouched, grad_float64, grad_dict_inputs, backward_gradient, backward_accumulates,
         backward_retain_graph_twice, backward_inputs_subset, backward_inputs_single_tensor,
         autograd_backward_fn, autograd_backward_grad_tensors, grad_zero_and_none,
         retain_grad_non_leaf, retain_grad_twice_accumulates, retain_grad_on_leaf, hook_modifies_leaf,
         hook_modifies_non_leaf, hook_removed, hook_sees_grad_in_autograd_grad, requires_grad_flags,
         detach_flags, no_grad_context, no_grad_decorator, no_grad_generator, enable_grad_inside_no_grad,
         set_grad_enabled_call, set_grad_enabled_decorator, nested_modes_restore_on_error,
         inference_mode_flags, anomaly_mode, gradcheck_ok, gradcheck_failure,
         save_bytesio_structure, save_ordered_dict, save_requires_grad_and_parameter, save_non_contiguous,
         save_tensor_top_level, save_list_top_level, save_special_floats, save_model_state_dict,
         save_optimizer_state_dict,
         manual_seed_return, seed_and_initial_seed, rng_state_roundtrip, generator_api, generator_forms,
         rand_forms, randint_forms, randperm_forms, normal_forms, bernoulli_forms, empty_like_forms]


def normalise(v):
    """Torch's names in strings become npgrad's; NumPy scalars become Python ones."""
    if isinstance(v, dict):
        return {k: normalise(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return type(v)(normalise(x) for x in v)
    if isinstance(v, str):
        return v.replace("torch", "npgrad")
    return v


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_case(fn):
    def compute():
        import torch

        return normalise(fn(torch))

    ref = golden(fn.__name__, compute)
    check(normalise(fn(npgrad)), ref)


def test_save_path_forms(tmp_path):
    def compute():
        import torch

        return normalise(save_path_forms(torch, tmp_path))

    ref = golden("save_path_forms", compute)
    check(normalise(save_path_forms(npgrad, tmp_path)), ref)


# --------------------------------------------------------------------------- errors

def _second_backward(L):
    x = leaf(L)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _bad_function(L):
    class Bad(L.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2, t * 3

        @staticmethod
        def backward(ctx, g, h):
            return g * 2 + h * 4

    return Bad


ERRORS = [
    ("grad_unused_single", lambda L: L.autograd.grad((leaf(L) * 2).sum(), leaf(L)), RuntimeError,
     "The differentiated Tensor at index 0 appears to not have been used in the graph. Set allow_unused=True "
     "if this is the desired behavior."),
    ("grad_unused_second", lambda L: (lambda x: L.autograd.grad((x * 2).sum(), [x, leaf(L, (1.,))]))(leaf(L)),
     RuntimeError, "The differentiated Tensor at index 1 appears to not have been used in the graph"),
    ("grad_unused_allow_false", lambda L: (lambda x: L.autograd.grad((x * 2).sum(), [x, leaf(L)], allow_unused=False))(leaf(L)),
     RuntimeError, "The differentiated Tensor at index 1 appears"),
    ("grad_non_scalar", lambda L: (lambda x: L.autograd.grad(x * 2, x))(leaf(L)), RuntimeError,
     "grad can be implicitly created only for scalar outputs"),
    ("backward_non_scalar", lambda L: (leaf(L) * 2).backward(), RuntimeError,
     "grad can be implicitly created only for scalar outputs"),
    ("grad_input_no_grad", lambda L: L.autograd.grad((leaf(L) * 2).sum(), L.ones(3)), RuntimeError,
     "One of the differentiated Tensors does not require grad"),
    ("grad_output_no_grad", lambda L: L.autograd.grad(L.ones(3).sum(), leaf(L)), RuntimeError,
     "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("backward_no_grad", lambda L: L.ones(3).sum().backward(), RuntimeError,
     "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("grad_inputs_empty", lambda L: L.autograd.grad((leaf(L) * 2).sum(), []), RuntimeError,
     "`inputs` argument to `grad\\(\\)` cannot be empty."),
    ("backward_inputs_empty", lambda L: L.autograd.backward((leaf(L) * 2).sum(), inputs=[]), RuntimeError,
     "`inputs` argument to `backward\\(\\)` cannot be empty."),
    ("materialize_not_unused", lambda L: (lambda x: L.autograd.grad(x.sum(), x, allow_unused=False,
                                                                    materialize_grads=True))(leaf(L)),
     ValueError, "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                 "allow_unused=False."),
    ("grad_outputs_shape", lambda L: (lambda x: L.autograd.grad(x * 2, x, grad_outputs=L.ones(2)))(leaf(L)),
     RuntimeError, r"Mismatch in shape: grad_output\[0\] has a shape of \w+\.Size\(\[2\]\) and output\[0\] has a "
                   r"shape of \w+\.Size\(\[3\]\)\."),
    ("grad_outputs_count", lambda L: (lambda x: L.autograd.grad([x.sum(), x.sum()], x,
                                                                grad_outputs=[L.tensor(1.)]))(leaf(L)),
     RuntimeError, "got 2 tensors and 1 gradients"),
    ("backward_twice", _second_backward, RuntimeError, "Trying to backward through the graph a second time"),
    ("requires_grad_int", lambda L: L.tensor([1, 2]).requires_grad_(), RuntimeError,
     "only Tensors of floating point dtype can require gradients"),
    ("requires_grad_false_non_leaf", lambda L: (leaf(L) * 2).requires_grad_(False), RuntimeError,
     "you can only change requires_grad flags of leaf variables."),
    ("retain_grad_no_grad", lambda L: L.ones(2).retain_grad(), RuntimeError,
     "can't retain_grad on Tensor that has requires_grad=False"),
    ("hook_no_grad", lambda L: L.ones(2).register_hook(lambda g: g), RuntimeError,
     "cannot register a hook on a tensor that doesn't require gradient"),
    ("gradcheck_mismatch", lambda L: L.autograd.gradcheck(_bad_function(L).apply, (L.tensor(
        [0.3, -0.7], dtype=L.float64, requires_grad=True),)), RuntimeError,
     r"Jacobian mismatch for output 1 with respect to input 0,\nnumerical:tensor\(\[\[3\.0000, 0\.0000\],"),
    ("gradcheck_unknown_kwarg", lambda L: L.autograd.gradcheck(lambda t: t, (leaf(L, dtype=L.float64),), bogus=1),
     TypeError, "gradcheck\\(\\) got an unexpected keyword argument 'bogus'"),
    # random numbers
    ("randint_low_ge_high", lambda L: L.randint(5, 2, (3,)), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    ("randint_float_high", lambda L: L.randint(3.5, (2,)), TypeError,
     "randint\\(\\): argument 'high' \\(position 1\\) must be int, not float"),
    ("randint_uint8_high", lambda L: L.randint(0, 300, (2,), dtype=L.uint8), RuntimeError,
     "to - 1 is out of bounds for unsigned char"),
    ("randint_uint8_low", lambda L: L.randint(-1, 1, (2,), dtype=L.uint8), RuntimeError,
     "from is out of bounds for unsigned char"),
    ("randint_int32_high", lambda L: L.randint(0, 2 ** 40, (2,), dtype=L.int32), RuntimeError,
     "to - 1 is out of bounds for int"),
    ("randint_bool_high", lambda L: L.randint(0, 3, (2,), dtype=L.bool), RuntimeError,
     "to - 1 is out of bounds for bool"),
    ("randint_int16_low", lambda L: L.randint(-2 ** 40, 0, (2,), dtype=L.int16), RuntimeError,
     "from is out of bounds for short int"),
    ("randint_requires_grad", lambda L: L.randint(3, (2,), requires_grad=True), RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
    ("randint_like_low_ge_high", lambda L: L.randint_like(L.ones(2), 5, 2), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    ("randperm_negative", lambda L: L.randperm(-1), RuntimeError,
     r"Trying to create tensor with negative dimension -1: \[-1\]"),
    ("randperm_bool", lambda L: L.randperm(3, dtype=L.bool), NotImplementedError,
     "\"randperm\" not implemented for 'Bool'"),
    ("rand_negative", lambda L: L.rand(2, -1), RuntimeError,
     r"Trying to create tensor with negative dimension -1: \[2, -1\]"),
    ("rand_int_dtype", lambda L: L.rand(2, dtype=L.int64), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    ("randn_int_dtype", lambda L: L.randn(2, dtype=L.int64), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    ("rand_like_int", lambda L: L.rand_like(L.tensor([1, 2])), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    ("normal_tensor_std_negative", lambda L: L.normal(L.zeros(2), -L.ones(2)), RuntimeError,
     "normal expects all elements of std >= 0.0"),
    ("normal_float_std_negative", lambda L: L.normal(0., -1., (2,)), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),
    ("normal_no_size", lambda L: L.normal(0., 1.), TypeError,
     r"normal\(\) received an invalid combination of arguments - got \(float, float\), but expected one of:"),
    ("bernoulli_p_range", lambda L: L.bernoulli(L.tensor([1.5])), RuntimeError,
     r"Expected p_in >= 0 && p_in <= 1 to be true, but got false\."),
    ("bernoulli_int", lambda L: L.bernoulli(L.tensor([1, 0])), NotImplementedError,
     "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"),
    ("manual_seed_overflow", lambda L: L.manual_seed(2 ** 64), ValueError, "Overflow when unpacking long long"),
    ("generator_seed_overflow", lambda L: L.Generator().manual_seed(-2 ** 63 - 1), ValueError,
     "Overflow when unpacking long long"),
    ("set_rng_state_float", lambda L: L.set_rng_state(L.zeros(3)), TypeError,
     r"RNG state must be a \w+\.ByteTensor"),
    # save / load
    ("load_missing_file", lambda L: L.load("/nonexistent-dir/x.pt"), FileNotFoundError,
     "No such file or directory: '/nonexistent-dir/x.pt'"),
]


@pytest.mark.parametrize("fn,exc,match", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_error(fn, exc, match):
    if HAVE_TORCH:
        import torch

        with pytest.raises(exc, match=match):
            fn(torch)
    with pytest.raises(exc, match=match):
        fn(npgrad)


def test_grad_modes_restored_after_errors():
    """A mode left by an exception is restored, and a failed backward leaves grad mode on."""
    for L in ([npgrad] + ([__import__("torch")] if HAVE_TORCH else [])):
        with pytest.raises(RuntimeError):
            with L.set_grad_enabled(False):
                raise RuntimeError("inside")
        with pytest.raises(RuntimeError):
            with L.inference_mode():
                raise RuntimeError("inside")
        assert L.is_grad_enabled() and not L.is_inference_mode_enabled()


def test_gradcheck_warns_for_float32():
    x = npgrad.tensor([0.3, -0.7], requires_grad=True)
    expected = "Input #0 requires gradient and is not a double precision floating point or complex."
    if HAVE_TORCH:
        import torch

        with pytest.warns(UserWarning, match=expected):
            torch.autograd.gradcheck(lambda t: t * 2, (torch.tensor([0.3, -0.7], requires_grad=True),),
                                     raise_exception=False)
    with pytest.warns(UserWarning, match=expected):
        npgrad.autograd.gradcheck(lambda t: t * 2, (x,), raise_exception=False)


def test_load_rejects_torch_files(tmp_path):
    """A file written by torch.save (zip or legacy pickle) gives a clear error; npgrad never unpickles."""
    def torch_bytes():
        import torch

        out = []
        for new_zip in (True, False):
            buf = io.BytesIO()
            torch.save({"w": torch.ones(2)}, buf, _use_new_zipfile_serialization=new_zip)
            out.append(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())
        return out

    for i, blob in enumerate(golden("torch_saved_files", torch_bytes)):
        p = tmp_path / f"torch{i}.pt"
        p.write_bytes(blob.tobytes())
        with pytest.raises(RuntimeError, match="is not an npgrad file: it looks like a pickle/zip file"):
            npgrad.load(p)
        with pytest.raises(RuntimeError, match="is not an npgrad file"):
            npgrad.load(io.BytesIO(blob.tobytes()))


def test_load_rejects_truncated_file(tmp_path):
    p = tmp_path / "w.pt"
    npgrad.save({"w": npgrad.ones(3)}, p)
    p.write_bytes(p.read_bytes()[:-5])
    with pytest.raises(RuntimeError, match="is not a valid npgrad/safetensors file"):
        npgrad.load(p)


def save_shared_and_size(L):
    w = L.ones(2, 2)
    r = roundtrip(L, {"a": w, "b": w, "c": [w], "size": L.Size([2, 3]), "dtype": L.float64})
    return (r["a"] is r["b"], r["c"][0] is r["a"], type(r["size"]).__name__, list(r["size"]), str(r["dtype"]))


def fork_rng_and_misc(L):
    L.manual_seed(1)
    with L.random.fork_rng():
        a = L.rand(3)
    b = L.rand(3)
    with L.random.fork_rng(enabled=False):
        c = L.rand(3)
    d = L.rand(3)
    with L.no_grad() as ctx:
        pass
    v = L.autograd.Variable(L.ones(2), requires_grad=True)
    g = L.Generator()
    return (bool((a == b).all()), bool((c == d).all()), ctx is None, repr(L.set_grad_enabled(True)),
            type(v).__name__, v.requires_grad, v.is_leaf, g.seed() == g.initial_seed(),
            L.is_anomaly_check_nan_enabled(), L.is_inference_mode_enabled())


CASES += [save_shared_and_size, fork_rng_and_misc]
