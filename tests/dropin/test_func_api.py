"""torch.func, torch.autograd.functional, torch.utils.checkpoint and torch's module import paths, against torch.

Each case is a function ``fn(L)`` written against the shared API (``L`` is npgrad or torch)
that returns plain values (numbers, strings, arrays and tuples/lists/dicts of them); the result
is compared with torch's (float64 values to ~1e-10). Error cases give torch's exception type and
wording, checked against torch when it is installed.
"""
import collections
import functools
import importlib
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import npgrad
from harness import check_encoded, encode as enc
from oracle import HAVE_TORCH, Golden

golden = Golden("func_api")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def mod(L, path):
    """``L.<path>`` imported by name (``torch.func``, ``npgrad.utils.checkpoint`` ...)."""
    return importlib.import_module(f"{L.__name__}.{path}")


check = functools.partial(check_encoded, tol=(1e-5, 1e-6), tol64=(1e-10, 1e-12), scalar_tol=(1e-10, 1e-12))


def normalise(v):
    """Torch's names in strings become npgrad's."""
    if isinstance(v, dict):
        return {k: normalise(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return type(v)(normalise(x) for x in v)
    if isinstance(v, str):
        return v.replace("torch", "npgrad")
    return v


def T(L, seed, *shape, grad=False, dtype=None):
    """A float64 tensor of standard normal values (the same for both libraries)."""
    t = L.tensor(np.random.RandomState(seed).randn(*shape), requires_grad=grad)
    return t if dtype is None else t.to(dtype)


def linear(L, n_in, n_out, seed=0):
    """A float64 ``Linear`` with fixed weights."""
    layer = L.nn.Linear(n_in, n_out).double()
    rs = np.random.RandomState(seed)
    with L.no_grad():
        layer.weight.copy_(L.tensor(rs.randn(n_out, n_in)))
        layer.bias.copy_(L.tensor(rs.randn(n_out)))
    return layer


# --------------------------------------------------------------------------- torch.func: grad


def grad_basic(L):
    F = mod(L, "func")
    x = T(L, 0, 3, 4)
    return enc(F.grad(lambda t: (t.sin() * t).sum())(x))


def grad_argnums(L):
    F = mod(L, "func")
    x, y = T(L, 1, 3), T(L, 2, 3)

    def f(a, b):
        return (a * b.exp()).sum() + (a ** 3).sum()

    return [enc(F.grad(f, argnums=a)(x, y)) for a in (0, 1, -1, -2, (0, 1), (1, 0))]


def grad_has_aux(L):
    F = mod(L, "func")
    x = T(L, 3, 4)
    g, aux = F.grad(lambda t: ((t ** 2).sum(), {"m": t.mean(), "l": [t * 2]}), has_aux=True)(x)
    return enc(g), enc(aux)


def grad_and_value_forms(L):
    F = mod(L, "func")
    x = T(L, 4, 2, 3)
    g, v = F.grad_and_value(lambda t: t.tanh().sum() * 3)(x)
    (g2, (v2, aux)) = F.grad_and_value(lambda t: (t.exp().mean(), t.max()), has_aux=True)(x)
    return enc(g), enc(v), enc(g2), enc(v2), enc(aux)


def grad_unused_int_constant(L):
    F = mod(L, "func")
    x, y = T(L, 5, 3), T(L, 6, 2)
    unused = F.grad(lambda a, b: (a * 2).sum(), argnums=(0, 1))(x, y)
    int_out = F.grad(lambda a: (a > 0).sum())(x)
    const = F.grad(lambda a: L.ones((), dtype=L.float64))(x)
    return enc(unused), enc(int_out), enc(const)


def grad_pytree_input(L):
    F = mod(L, "func")
    p = {"w": T(L, 7, 3, 2), "b": [T(L, 8, 2), T(L, 9, 2)]}
    x = T(L, 10, 4, 3)

    def f(params, inp):
        return ((inp @ params["w"] + params["b"][0]) * params["b"][1]).pow(2).sum()

    g = F.grad(f)(p, x)
    g_both = F.grad(f, argnums=(0, 1))(p, x)
    return enc(g), enc(g_both)


def grad_repeated_tensor(L):
    """A tensor passed twice is two inputs, each with its own gradient, as in PyTorch."""
    F = mod(L, "func")
    x = T(L, 18, 2)
    return (enc(F.grad(lambda d: (d["a"] * d["b"].exp()).sum())({"a": x, "b": x})),
            enc(F.grad(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(x, x)))


def grad_kwargs(L):
    F = mod(L, "func")
    x = T(L, 11, 3)
    return enc(F.grad(lambda t, scale=1.0: (t * scale).sin().sum())(x, scale=2.5))


def grad_per_sample(L):
    """The per-sample-gradient recipe: vmap(grad(loss)) over a model's parameters with functional_call."""
    F = mod(L, "func")
    model = linear(L, 4, 3)
    params = {k: v.detach() for k, v in model.named_parameters()}
    X, Y = T(L, 12, 5, 4), T(L, 13, 5, 3)

    def loss(p, x, y):
        out = F.functional_call(model, p, (x.unsqueeze(0),))
        return L.nn.functional.mse_loss(out, y.unsqueeze(0))

    per_sample = F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, X, Y)
    return enc(per_sample), enc(dict(model.named_parameters()))


def grad_nested_vmap_jacrev(L):
    F = mod(L, "func")
    x = T(L, 14, 4, 3)
    return enc(F.vmap(F.jacrev(L.sin))(x)), enc(F.vmap(F.grad(lambda r: (r ** 3).sum()))(x))


def grad_outer_first_order(L):
    """Inputs and captured tensors that require grad outside: the value stays differentiable (first order)."""
    F = mod(L, "func")
    x, w = T(L, 15, 3, grad=True), T(L, 16, 3, grad=True)
    g, v = F.grad_and_value(lambda t: ((t * w).sum()) ** 2)(x)
    (v * 3).backward()
    out, vjp_fn = F.vjp(lambda t: t.exp() * w, x)
    out.sum().backward()
    return bool(g.requires_grad), bool(v.requires_grad), enc(g.detach()), enc(x.grad), enc(w.grad)


def nested_transform_values(L):
    """A transform inside another: first-order quantities (the inner value) stay differentiable by the outer one."""
    F = mod(L, "func")
    x = T(L, 19, 3)
    f = lambda t: (t ** 3).sum()    # noqa: E731
    out, fn = F.vjp(lambda t: F.grad_and_value(f)(t)[1] * t, x)
    jac = F.jacrev(lambda t: F.vmap(lambda r: F.grad_and_value(f)(r)[1])(t.reshape(3, 1)))(x)
    return enc(out), enc(fn(T(L, 25, 3))), enc(jac)


def grad_outer_no_grad(L):
    F = mod(L, "func")
    x = T(L, 17, 3, grad=True)
    with L.no_grad():
        g, v = F.grad_and_value(lambda t: (t ** 2).sum())(x)
    g2, v2 = F.grad_and_value(lambda t: (t ** 2).sum())(x.detach())
    return enc(g), enc(v), enc(g2), enc(v2)


# --------------------------------------------------------------------------- torch.func: vjp, jacobians


def vjp_forms(L):
    F = mod(L, "func")
    x, y = T(L, 20, 3), T(L, 21, 3)
    u, v = T(L, 22, 3), T(L, 23, 3)
    out, fn = F.vjp(lambda a, b: (a * b, (a + b).sin()), x, y)
    first = fn((u, v))
    second = fn((u * 2, v))
    d_out, d_fn = F.vjp(lambda a: {"s": a.sum(), "c": a.cos()}, x)
    d = d_fn({"s": L.tensor(2.0, dtype=L.float64), "c": u})
    a_out, a_fn, aux = F.vjp(lambda a: (a ** 2, a.sum()), x, has_aux=True)
    return enc(out), enc(first), enc(second), enc(d_out), enc(d), enc(a_out), enc(a_fn(u)), enc(aux)


def jacrev_forms(L):
    F = mod(L, "func")
    A = L.tensor(np.random.RandomState(30).randn(2, 3))
    x, y = T(L, 31, 3), T(L, 32, 3)
    basic = F.jacrev(lambda t: A @ t.sin())(x)
    multi = F.jacrev(lambda a, b: (a * b, (a ** 2).sum()), argnums=(0, 1))(x, y)
    second = F.jacrev(lambda a, b: a * b.exp(), argnums=1)(x, y)
    pytree = F.jacrev(lambda d: d["u"] * d["v"].sum())({"u": x, "v": y})
    aux = F.jacrev(lambda t: (t.exp(), t.sum()), has_aux=True)(x)
    chunked = F.jacrev(lambda t: t.outer(t), chunk_size=2)(x)
    return enc(basic), enc(multi), enc(second), enc(pytree), enc(aux), enc(chunked)


def jacfwd_forms(L):
    F = mod(L, "func")
    x, y = T(L, 33, 3), T(L, 34, 2)
    basic = F.jacfwd(lambda t: t.sin().cumsum(0))(x)
    multi = F.jacfwd(lambda a, b: (a.sum() * b, a.outer(b)), argnums=(0, 1))(x, y)
    aux = F.jacfwd(lambda t: (t ** 3, t.mean()), has_aux=True)(x)
    same = F.jacfwd(lambda t: t * 2, randomness="same")(x)
    return enc(basic), enc(multi), enc(aux), enc(same)


def jacobian_dtypes(L):
    """jacrev takes each input's dtype, jacfwd each output's."""
    F = mod(L, "func")
    x = T(L, 35, 3, dtype=L.float32)
    f = lambda t: t.double() * 2     # noqa: E731
    return enc(F.jacrev(f)(x)), enc(F.jacfwd(f)(x)), enc(F.jacrev(lambda t: t.exp())(x))


def jvp_forms(L):
    F = mod(L, "func")
    x, y = T(L, 40, 3), T(L, 41, 3)
    u, v = T(L, 42, 3), T(L, 43, 3)
    out, tan = F.jvp(lambda a, b: (a * b).sin(), (x, y), (u, v))
    out2, tan2, aux = F.jvp(lambda a: ((a.exp(), {"k": a.sum()}), a.max()), (x,), (u,), has_aux=True)
    const = F.jvp(lambda a: L.ones(2, dtype=L.float64), (x,), (u,))
    return enc(out), enc(tan), enc(out2), enc(tan2), enc(aux), enc(const)


def linearize_forms(L):
    F = mod(L, "func")
    x, u = T(L, 44, 3), T(L, 45, 3)
    out, jvp_fn = F.linearize(lambda t: (t.sin() * t, t.sum()), x)
    return enc(out), enc(jvp_fn(u)), enc(jvp_fn(u * 3))


# --------------------------------------------------------------------------- torch.func: vmap


def vmap_in_dims(L):
    F = mod(L, "func")
    x, y = T(L, 50, 3, 4), T(L, 51, 4, 3)
    a = F.vmap(L.mul, in_dims=(0, 1))(x, y)
    b = F.vmap(lambda s, t: s + t, in_dims=(1, None))(x, T(L, 52, 3))
    c = F.vmap(lambda s: s * 2, in_dims=-1)(x)
    d = F.vmap(lambda pair, k: pair[0] * pair[1] + k, in_dims=((0, 1), None))((x, y), 1.5)
    e = F.vmap(lambda dd: dd["a"] - dd["b"], in_dims=({"a": 0, "b": None},))({"a": x, "b": x[0]})
    f = F.vmap(lambda dd: dd["a"].sum())({"a": x})
    return enc(a), enc(b), enc(c), enc(d), enc(e), enc(f)


def vmap_out_dims(L):
    F = mod(L, "func")
    x = T(L, 53, 3, 4)
    a = F.vmap(lambda t: t.outer(t), out_dims=1)(x)
    b = F.vmap(lambda t: t * 2, out_dims=-1)(x)
    c = F.vmap(lambda t: (t, t.sum()), out_dims=(1, 0))(x)
    d = F.vmap(lambda t: {"u": t, "v": [t, t.mean()]}, out_dims={"u": 1, "v": 0})(x)
    e = F.vmap(lambda t: (t, L.ones(2, dtype=L.float64)), out_dims=(0, None))(x)
    g = F.vmap(lambda t: (t.sum(), 3), out_dims=(0, None))(x)
    h = F.vmap(lambda t: L.ones(2, dtype=L.float64))(x)
    return enc(a), enc(b), enc(c), enc(d), enc(e), enc(g), enc(h)


def vmap_nested_chunks_kwargs(L):
    F = mod(L, "func")
    x, y = T(L, 54, 3, 2), T(L, 55, 4, 2)
    nested = F.vmap(F.vmap(L.dot, in_dims=(None, 0)), in_dims=(0, None))(x, y)
    chunked = F.vmap(lambda t: t.exp().sum(), chunk_size=2)(T(L, 56, 5, 3))
    kw = F.vmap(lambda t, scale=1.0: t * scale)(x, scale=3.0)
    module = F.vmap(linear(L, 2, 3))(x)
    best = F.vmap(lambda r: r.max(0))(y)        # a (values, indices) result is a container too
    return enc(nested), enc(chunked), enc(kw), enc(module), type(best).__name__, enc(best.values), enc(best.indices)


def vmap_gradients(L):
    F = mod(L, "func")
    x, w = T(L, 57, 4, 3, grad=True), T(L, 58, 3, grad=True)
    y = F.vmap(lambda r: (r * w).sin().sum() * r)(x)
    (y ** 2).sum().backward()
    return enc(y), enc(x.grad), enc(w.grad)


def vmap_empty_batch(L):
    F = mod(L, "func")
    a = F.vmap(L.sin)(L.zeros(0, 3, dtype=L.float64))
    b = F.vmap(lambda t: t.sum(0), out_dims=1)(L.zeros(0, 3, 2, dtype=L.float64))
    return enc(a), enc(b)


def vmap_randomness(L):
    F = mod(L, "func")
    x = L.zeros(4, 50, dtype=L.float64)
    same = F.vmap(lambda t: t + L.rand(50, dtype=L.float64), randomness="same")(x)
    diff = F.vmap(lambda t: t + L.rand_like(t), randomness="different")(x)
    drop = F.vmap(lambda t: L.nn.functional.dropout(t + 1, 0.5), randomness="same")(x)
    eval_drop = F.vmap(lambda t: L.nn.functional.dropout(t + 1, 0.5, training=False))(x)
    return (bool((same == same[0]).all()), bool((diff[0] != diff[1]).any()), bool((drop == drop[0]).all()),
            tuple(same.shape), enc(eval_drop))


def stack_module_state_ensemble(L):
    F = mod(L, "func")
    models = [linear(L, 3, 2, seed=s) for s in range(4)]
    params, buffers = F.stack_module_state(models)
    x = T(L, 60, 5, 3)

    def call(p, b, inp):
        return F.functional_call(models[0], (p, b), (inp,))

    out = F.vmap(call, in_dims=(0, 0, None))(params, buffers, x)
    return (enc(out), {k: (tuple(v.shape), bool(v.requires_grad), v.grad_fn is None) for k, v in params.items()},
            enc(buffers))


def replace_batch_norm(L):
    F = mod(L, "func")
    net = L.nn.Sequential(L.nn.Linear(2, 2), L.nn.BatchNorm1d(2), L.nn.Sequential(L.nn.BatchNorm1d(2)))
    F.replace_all_batch_norm_modules_(net)
    return [(m.track_running_stats, m.running_mean is None, m.num_batches_tracked is None)
            for m in net.modules() if isinstance(m, L.nn.BatchNorm1d)], list(net.state_dict())


def functionalize_debug_unwrap(L):
    F = mod(L, "func")
    x = T(L, 61, 4)

    def f(t):
        y = t.clone()
        y.add_(1)
        return y * 2, t[:2]

    a = F.functionalize(f)(x)
    b = F.functionalize(f, remove="mutations_and_views")(x)
    return enc(a), enc(b), enc(F.debug_unwrap(x))


# --------------------------------------------------------------------------- functional_call


def functional_call_forms(L):
    F = mod(L, "func")
    model = L.nn.Sequential(linear(L, 3, 4, seed=1), L.nn.Tanh(), linear(L, 4, 2, seed=2))
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    new = {k: T(L, 70 + i, *v.shape, grad=True) for i, (k, v) in enumerate(model.named_parameters())}
    x = T(L, 80, 5, 3)
    out = F.functional_call(model, new, x)
    out.sum().backward()
    partial = F.functional_call(model, {"0.weight": L.zeros(4, 3, dtype=L.float64)}, (x,))
    after = model.state_dict()
    unchanged = all(bool((after[k] == before[k]).all()) for k in before)
    kw = F.functional_call(L.nn.Bilinear(2, 2, 1).double(), {}, args=(T(L, 81, 3, 2),),
                           kwargs={"input2": T(L, 82, 3, 2)})
    return enc(out), {k: enc(v.grad) for k, v in new.items()}, enc(partial), unchanged, tuple(kw.shape)


def functional_call_buffers(L):
    F = mod(L, "func")
    bn = L.nn.BatchNorm1d(3).double()
    params = {k: v.detach().clone() for k, v in bn.named_parameters()}
    buffers = {k: v.clone() for k, v in bn.named_buffers()}
    out = F.functional_call(bn, (params, buffers), (T(L, 83, 6, 3),))
    return enc(out), enc(buffers), enc(dict(bn.named_buffers()))


class _Tied:
    @staticmethod
    def make(L):
        class Tied(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = L.nn.Linear(2, 2, bias=False).double()
                self.b = L.nn.Linear(2, 2, bias=False).double()
                self.b.weight = self.a.weight
                self.register_buffer("count", L.zeros(1, dtype=L.float64))

            def forward(self, x):
                self.count = self.count + 1
                return self.b(self.a(x))

        return Tied()


def functional_call_tied(L):
    F = mod(L, "func")
    model = _Tied.make(L)
    with L.no_grad():
        model.a.weight.copy_(L.tensor([[1.0, 2.0], [3.0, 4.0]]))
    x = T(L, 84, 3, 2)
    w = L.tensor([[0.5, 0.0], [0.0, 2.0]], dtype=L.float64)
    tied = F.functional_call(model, {"a.weight": w}, x)
    untied = F.functional_call(model, {"a.weight": w}, x, tie_weights=False)
    state = {"count": L.zeros(1, dtype=L.float64)}
    F.functional_call(model, state, x)
    stateless = mod(L, "nn.utils.stateless")
    old = stateless.functional_call(model, {"a.weight": w}, x)
    return enc(tied), enc(untied), enc(state), enc(model.count), enc(old)


# --------------------------------------------------------------------------- torch.autograd.functional


def af_jacobian(L):
    AF = mod(L, "autograd.functional")
    x, y = T(L, 90, 3), T(L, 91, 2)
    single = AF.jacobian(lambda t: t.sin() * t.sum(), x)
    tuples = AF.jacobian(lambda a, b: (a.outer(b), (a ** 2).sum() * b), (x, y))
    one_tuple = AF.jacobian(lambda a: (a * 2,), (x,))
    vec = AF.jacobian(lambda a, b: a.exp().sum() * b, (x, y), vectorize=True)
    fwd = AF.jacobian(lambda a: a.cumsum(0), x, vectorize=True, strategy="forward-mode")
    unused = AF.jacobian(lambda a, b: a * 2, (x, y))
    f32 = AF.jacobian(lambda a: a.tanh(), x.float())
    return enc(single), enc(tuples), enc(one_tuple), enc(vec), enc(fwd), enc(unused), enc(f32)


def af_vjp_jvp(L):
    AF = mod(L, "autograd.functional")
    x, y = T(L, 92, 3), T(L, 93, 3)
    u = T(L, 94, 3)
    a = AF.vjp(lambda t: t.exp() * t, x, u)
    b = AF.vjp(lambda t: (t ** 2).sum(), x)
    c = AF.vjp(lambda s, t: (s * t, s.sum() * t), (x, y), (u, u * 2))
    d = AF.vjp(lambda s, t: s * 2, (x, y), u)
    e = AF.jvp(lambda t: t.exp() * t, x, u)
    f = AF.jvp(lambda s, t: (s * t, (s + t).sum()), (x, y), (u, u))
    g = AF.jvp(lambda t: t * 3, L.tensor([2.0], dtype=L.float64))
    return enc(a), enc(b), enc(c), enc(d), enc(e), enc(f), enc(g)


# --------------------------------------------------------------------------- torch.utils.checkpoint


def _ckpt_run(L, reentrant, variant):
    """Gradients through a checkpointed block (forward counted) next to those without checkpointing."""
    ck = mod(L, "utils.checkpoint")
    w1, w2 = T(L, 100, 4, 5, grad=True), T(L, 101, 5, 3, grad=True)
    x = T(L, 102, 2, 4, grad=True)
    h = [None]                # a tensor computed outside and used inside (captured)
    calls = [0]

    def block(t, scale=1.0):
        calls[0] += 1
        a = (t @ w1).sin()
        if variant == "captured":
            a = a + h[0].sum()
        out = (a @ w2) * scale
        if variant == "structure":
            return {"out": out, "extra": [a.sum(), 7]}
        return out, a.sum()

    def loss_of(result):
        if variant == "structure":
            return (result["out"] ** 2).sum() + result["extra"][0]
        return (result[0] ** 2).sum() + result[1]

    kwargs = {"scale": 3.0} if variant == "kwargs" else {}
    h[0] = (x * 2).tanh()
    plain_loss = loss_of(block(x, **kwargs))
    plain = [g.numpy().copy() for g in L.autograd.grad(plain_loss, [x, w1, w2])]
    calls[0] = 0
    h[0] = (x * 2).tanh()
    loss = loss_of(ck.checkpoint(block, x, use_reentrant=reentrant, **kwargs))
    forward_calls = calls[0]
    loss.backward()
    grads = [x.grad.numpy(), w1.grad.numpy(), w2.grad.numpy()]
    same = all(np.allclose(a, b, rtol=1e-12, atol=1e-14) for a, b in zip(plain, grads))
    return forward_calls, calls[0], same, enc(loss), grads


def ckpt_reentrant(L):
    return [_ckpt_run(L, True, v) for v in ("plain", "captured")]


def ckpt_non_reentrant(L):
    return [_ckpt_run(L, False, v) for v in ("plain", "captured", "kwargs", "structure")]


def ckpt_module_and_buffers(L):
    """A module with BatchNorm: the recomputation updates the running statistics again, as in PyTorch."""
    ck = mod(L, "utils.checkpoint")
    out = []
    for reentrant in (True, False):
        net = L.nn.Sequential(linear(L, 3, 4), L.nn.BatchNorm1d(4).double(), L.nn.ReLU(), linear(L, 4, 2, seed=3))
        x = T(L, 103, 6, 3, grad=True)
        ck.checkpoint(net, x, use_reentrant=reentrant).pow(2).sum().backward()
        out.append((enc(x.grad), {k: enc(p.grad) for k, p in net.named_parameters()}, enc(dict(net.named_buffers()))))
    return out


def ckpt_autograd_grad_and_inputs(L):
    """use_reentrant=False works with autograd.grad and backward(inputs=...)."""
    ck = mod(L, "utils.checkpoint")
    w, x = T(L, 104, 3, 3, grad=True), T(L, 105, 2, 3, grad=True)
    f = lambda t: (t @ w).exp()     # noqa: E731
    y = ck.checkpoint(f, x, use_reentrant=False).sum()
    gx, gw = L.autograd.grad(y, [x, w])
    z = ck.checkpoint(f, x, use_reentrant=False).sum()
    z.backward(inputs=[w])
    return enc(gx), enc(gw), enc(w.grad), x.grad is None


def ckpt_retain_graph_twice(L):
    ck = mod(L, "utils.checkpoint")
    x = T(L, 106, 3, grad=True)
    calls = [0]

    def f(t):
        calls[0] += 1
        return t.sin() * t

    y = ck.checkpoint(f, x, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    y.backward()
    return calls[0], enc(x.grad)


def ckpt_nested(L):
    ck = mod(L, "utils.checkpoint")
    x, w = T(L, 107, 2, 3, grad=True), T(L, 108, 3, grad=True)
    calls = {"inner": 0, "outer": 0}

    def inner(t):
        calls["inner"] += 1
        return (t * w).tanh()

    def outer(t):
        calls["outer"] += 1
        return ck.checkpoint(inner, t * 2, use_reentrant=False).exp()

    ck.checkpoint(outer, x, use_reentrant=False).sum().backward()
    return calls, enc(x.grad), enc(w.grad)


def ckpt_inputs_without_grad(L):
    """Reentrant: parameters get no gradient when no input requires grad; non-reentrant: they do."""
    ck = mod(L, "utils.checkpoint")
    out = []
    for reentrant in (True, False):
        layer = linear(L, 3, 2)
        y = ck.checkpoint(layer, T(L, 109, 4, 3), use_reentrant=reentrant)
        if y.requires_grad:
            y.sum().backward()
        out.append((bool(y.requires_grad), enc(layer.weight.grad)))
    return out


def ckpt_no_grad(L):
    ck = mod(L, "utils.checkpoint")
    x = T(L, 110, 3, grad=True)
    calls = [0]

    def f(t):
        calls[0] += 1
        return t * 2

    with L.no_grad():
        a = ck.checkpoint(f, x, use_reentrant=False)
        b = ck.checkpoint(f, x, use_reentrant=True)
    return enc(a), enc(b), calls[0]


def ckpt_sequential(L):
    ck = mod(L, "utils.checkpoint")
    out = []
    for reentrant in (True, False):
        model = L.nn.Sequential(*[m for i in range(4) for m in (linear(L, 3, 3, seed=i), L.nn.Tanh())])
        calls = [0]
        for m in model:
            m.register_forward_hook(lambda *a: calls.__setitem__(0, calls[0] + 1))
        x = T(L, 111, 2, 3, grad=True)
        with ck.set_checkpoint_early_stop(False):     # npgrad recomputes whole functions (module hooks count)
            y = ck.checkpoint_sequential(model, 3, x, use_reentrant=reentrant)
        forward_calls = calls[0]
        y.sum().backward()
        out.append((forward_calls, calls[0], enc(y), enc(x.grad), enc(model[0].weight.grad)))
    return out


def ckpt_context_fn(L):
    ck = mod(L, "utils.checkpoint")
    entered = []

    class Tag:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            return False

    x = T(L, 112, 3, grad=True)
    y = ck.checkpoint(lambda t: t.exp(), x, use_reentrant=False, context_fn=lambda: (Tag("fwd"), Tag("recompute")))
    before = list(entered)
    y.sum().backward()
    return before, list(entered), enc(x.grad)


def ckpt_preserve_rng(L):
    """Dropout inside: the recomputation draws the same mask (preserve_rng_state=True) or new ones."""
    ck = mod(L, "utils.checkpoint")

    def run(use_ckpt, reentrant, preserve):
        L.manual_seed(1234)
        w = T(L, 113, 200, grad=True)
        f = lambda t: L.nn.functional.dropout(t * w, 0.5).sum()   # noqa: E731
        x = T(L, 114, 200, grad=True)
        y = ck.checkpoint(f, x, use_reentrant=reentrant, preserve_rng_state=preserve) if use_ckpt else f(x)
        y.backward()
        return y.item(), x.grad.numpy().copy(), L.rand(1).item()

    out = []
    for reentrant in (True, False):
        plain = run(False, reentrant, True)
        kept = run(True, reentrant, True)
        fresh = run(True, reentrant, False)
        out.append((kept[0] == plain[0], bool(np.array_equal(kept[1], plain[1])),
                    bool(np.array_equal(fresh[1], plain[1])), kept[2] == plain[2]))
    return out


# --------------------------------------------------------------------------- module paths


MODULE_NAMES = {
    "module": ["Module", "_IncompatibleKeys", "_addindent"],
    "linear": ["Identity", "Linear", "Bilinear", "LazyLinear", "NonDynamicallyQuantizableLinear"],
    "conv": ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
             "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
             "_ConvNd", "_ConvTransposeNd", "_ConvTransposeMixin", "_LazyConvXdMixin"],
    "loss": ["_Loss", "_WeightedLoss"],
    "batchnorm": ["_NormBase", "_BatchNorm", "_LazyNormBase"],
    "instancenorm": ["_InstanceNorm"],
    "normalization": [],
    "activation": [],
    "container": ["Container", "_addindent"],
    "dropout": ["_DropoutNd"],
    "pooling": ["_MaxPoolNd", "_AvgPoolNd", "_AdaptiveAvgPoolNd", "_AdaptiveMaxPoolNd", "_LPPoolNd",
                "_MaxUnpoolNd"],
    "padding": ["_ConstantPadNd", "_ReflectionPadNd", "_ReplicationPadNd", "_CircularPadNd"],
    "rnn": ["apply_permutation", "_apply_permutation"],
    "sparse": [], "transformer": ["_get_clones", "_get_activation_fn", "_generate_square_subsequent_mask"],
    "pixelshuffle": [], "upsampling": [], "distance": [], "flatten": [], "fold": [], "lazy": [],
    "utils": ["_single", "_pair", "_triple", "_quadruple", "_ntuple", "_reverse_repeat_tuple", "_list_with_default"],
    "channelshuffle": [], "adaptive": ["_ASMoutput"],
}
# public names of torch.nn.modules that npgrad does not provide (see npgrad.nn.modules' docstring)
NOT_PROVIDED = {"SyncBatchNorm", "CrossMapLRN2d", "register_module_forward_pre_hook", "register_module_forward_hook",
                "register_module_full_backward_pre_hook", "register_module_backward_hook",
                "register_module_full_backward_hook", "register_module_buffer_registration_hook",
                "register_module_module_registration_hook", "register_module_parameter_registration_hook"}


def test_module_paths_export_torch_names():
    def compute():
        import torch.nn.modules as tm

        names = {sub: sorted(set(getattr(importlib.import_module(f"torch.nn.modules.{sub}"), "__all__", []))
                             | set(extra)) for sub, extra in MODULE_NAMES.items()}
        names["__init__"] = sorted(tm.__all__)
        return names

    ref = golden.json("module_paths", compute)
    for sub, names in ref.items():
        where = "npgrad.nn.modules" if sub == "__init__" else f"npgrad.nn.modules.{sub}"
        module = importlib.import_module(where)
        missing = [n for n in names if n not in NOT_PROVIDED and not hasattr(module, n)]
        assert not missing, f"{where} lacks {missing}"


def test_submodules_are_attributes_after_import():
    """``torch.nn.modules.utils._pair`` ... reached as attributes after a plain ``import``, as scripts do."""
    paths = ["nn.modules.utils._pair", "nn.modules.loss._Loss", "nn.utils.stateless.functional_call",
             "utils.checkpoint.checkpoint", "utils.hooks.RemovableHandle", "autograd.functional.jacobian",
             "nn.attention.sdpa_kernel", "func.vmap", "func.functional_call"]
    code = "import npgrad\n" + "\n".join(f"npgrad.{p}" for p in paths)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr


ISINSTANCE = [
    ("nn.BatchNorm2d(3)", "batchnorm", "_BatchNorm"), ("nn.BatchNorm2d(3)", "batchnorm", "_NormBase"),
    ("nn.InstanceNorm1d(3)", "instancenorm", "_InstanceNorm"), ("nn.InstanceNorm1d(3)", "batchnorm", "_NormBase"),
    ("nn.InstanceNorm1d(3)", "batchnorm", "_BatchNorm"), ("nn.LazyBatchNorm1d()", "batchnorm", "_LazyNormBase"),
    ("nn.LazyInstanceNorm2d()", "batchnorm", "_LazyNormBase"), ("nn.LayerNorm(3)", "batchnorm", "_NormBase"),
    ("nn.Conv2d(2, 2, 3)", "conv", "_ConvNd"), ("nn.ConvTranspose2d(2, 2, 3)", "conv", "_ConvTransposeNd"),
    ("nn.ConvTranspose1d(2, 2, 3)", "conv", "_ConvNd"), ("nn.Conv2d(2, 2, 3)", "conv", "_ConvTransposeNd"),
    ("nn.LazyConv2d(3, 3)", "conv", "_LazyConvXdMixin"), ("nn.LazyConv2d(3, 3)", "lazy", "LazyModuleMixin"),
    ("nn.LazyLinear(3)", "lazy", "LazyModuleMixin"), ("nn.LazyLinear(3)", "linear", "Linear"),
    ("nn.MSELoss()", "loss", "_Loss"), ("nn.CrossEntropyLoss()", "loss", "_WeightedLoss"),
    ("nn.MSELoss()", "loss", "_WeightedLoss"), ("nn.BCEWithLogitsLoss()", "loss", "_WeightedLoss"),
    ("nn.NLLLoss2d()", "loss", "NLLLoss"), ("nn.Dropout(0.1)", "dropout", "_DropoutNd"),
    ("nn.AlphaDropout(0.1)", "dropout", "_DropoutNd"), ("nn.MaxPool2d(2)", "pooling", "_MaxPoolNd"),
    ("nn.AvgPool2d(2)", "pooling", "_AvgPoolNd"), ("nn.AvgPool1d(2)", "pooling", "_AvgPoolNd"),
    ("nn.AdaptiveAvgPool2d(2)", "pooling", "_AdaptiveAvgPoolNd"),
    ("nn.AdaptiveMaxPool1d(2)", "pooling", "_AdaptiveMaxPoolNd"), ("nn.LPPool2d(2, 2)", "pooling", "_LPPoolNd"),
    ("nn.MaxUnpool2d(2)", "pooling", "_MaxUnpoolNd"), ("nn.FractionalMaxPool2d(2, output_size=3)", "pooling",
                                                      "_MaxPoolNd"),
    ("nn.ReflectionPad2d(1)", "padding", "_ReflectionPadNd"), ("nn.ZeroPad2d(1)", "padding", "_ConstantPadNd"),
    ("nn.ReplicationPad1d(1)", "padding", "_ReplicationPadNd"), ("nn.CircularPad3d(1)", "padding",
                                                                "_CircularPadNd"),
    ("nn.LSTM(2, 3)", "rnn", "RNNBase"), ("nn.GRUCell(2, 3)", "rnn", "RNNCellBase"),
    ("nn.Linear(2, 3)", "module", "Module"), ("nn.Sequential()", "container", "Sequential"),
    ("nn.ModuleList()", "container", "ModuleList"), ("nn.MultiheadAttention(4, 2)", "activation",
                                                     "MultiheadAttention"),
    ("nn.MultiheadAttention(4, 2).out_proj", "linear", "NonDynamicallyQuantizableLinear"),
    ("nn.MultiheadAttention(4, 2).out_proj", "linear", "Linear"), ("nn.Linear(2, 2)", "linear",
                                                                    "NonDynamicallyQuantizableLinear"),
    ("nn.Flatten()", "flatten", "Flatten"), ("nn.Fold(3, 2)", "fold", "Fold"), ("nn.Embedding(3, 2)", "sparse",
                                                                                "Embedding"),
    ("nn.TransformerEncoderLayer(4, 2)", "transformer", "TransformerEncoderLayer"),
    ("nn.AdaptiveLogSoftmaxWithLoss(4, 10, [5])", "adaptive", "AdaptiveLogSoftmaxWithLoss"),
    ("nn.Upsample(scale_factor=2)", "upsampling", "Upsample"), ("nn.PixelShuffle(2)", "pixelshuffle",
                                                                "PixelShuffle"),
    ("nn.CosineSimilarity()", "distance", "CosineSimilarity"), ("nn.ChannelShuffle(2)", "channelshuffle",
                                                                 "ChannelShuffle"),
    ("nn.GroupNorm(1, 2)", "normalization", "GroupNorm"), ("nn.ReLU6()", "activation", "Hardtanh"),
]


def test_isinstance_against_reexported_bases():
    def relations(L):
        return [isinstance(eval(expr, {"nn": L.nn}), getattr(mod(L, f"nn.modules.{sub}"), name))
                for expr, sub, name in ISINSTANCE]

    ref = golden.json("isinstance", lambda: relations(__import__("torch")))
    got = relations(npgrad)
    wrong = [ISINSTANCE[i] for i, (g, r) in enumerate(zip(got, ref)) if g != r]
    assert not wrong, wrong
    assert sum(ref) > len(ref) // 2        # mostly True: a table of False would not test the bases


def subclass_bases(L):
    """Scripts' own layers on the private bases, written as for PyTorch."""
    M = "nn.modules"
    loss, bn, conv, drop = mod(L, f"{M}.loss"), mod(L, f"{M}.batchnorm"), mod(L, f"{M}.conv"), mod(L, f"{M}.dropout")
    pool, inst, Fn = mod(L, f"{M}.pooling"), mod(L, f"{M}.instancenorm"), L.nn.functional

    class CubeLoss(loss._Loss):
        def forward(self, a, b):
            d = (a - b).abs() ** 3
            return d.mean() if self.reduction == "mean" else d.sum()

    class WeightedSq(loss._WeightedLoss):
        def forward(self, a, b):
            return (self.weight * (a - b) ** 2).sum()

    class MyBN(bn._BatchNorm):
        def _check_input_dim(self, input):
            if input.dim() != 2:
                raise ValueError("2D only")

    class MyConv(conv._ConvNd):
        def __init__(self):
            super().__init__(2, 4, (3,), (1,), (1,), (1,), False, (0,), 1, True, "zeros")

        def forward(self, x):
            return Fn.conv1d(x, self.weight, self.bias, self.stride, self.padding)

    class MyDrop(drop._DropoutNd):
        def forward(self, x):
            return Fn.dropout(x, self.p, self.training, self.inplace)

    class MyPool(pool._MaxPoolNd):
        def forward(self, x):
            return Fn.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                                 ceil_mode=self.ceil_mode)

    class MyAdaptive(pool._AdaptiveAvgPoolNd):
        def forward(self, x):
            return Fn.adaptive_avg_pool1d(x, self.output_size)

    class MyIN(inst._InstanceNorm):
        def _get_no_batch_dim(self):
            return 2

        def _check_input_dim(self, input):
            pass

    x, y = T(L, 120, 4, 3), T(L, 121, 4, 3)
    sig = T(L, 122, 2, 2, 6)
    c = MyConv().double()
    with L.no_grad():
        c.weight.copy_(L.tensor(np.random.RandomState(123).randn(4, 2, 3)))
        c.bias.fill_(0.5)
    b = MyBN(3).double()
    b(x)
    w = WeightedSq(weight=L.tensor([1.0, 2.0, 3.0], dtype=L.float64))
    inorm = MyIN(2, affine=True).double()
    return {
        "loss": enc(CubeLoss()(x, y)), "loss_sum": enc(CubeLoss(reduction="sum")(x, y)),
        "weighted": enc(w(x, y)), "weighted_keys": list(w.state_dict()),
        "bn": (enc(dict(b.named_buffers())), repr(b), list(b.state_dict())),
        "conv": (enc(c(sig)), repr(c), list(c.state_dict()), tuple(c.weight.shape)),
        "drop": (repr(MyDrop(0.25)), enc(MyDrop(0.25).eval()(x))),
        "pool": (repr(MyPool(2)), enc(MyPool(2)(sig))), "adaptive": (repr(MyAdaptive(3)), enc(MyAdaptive(3)(sig))),
        "instance": (repr(inorm), enc(inorm(sig)), list(inorm.state_dict())),
    }


def module_utils(L):
    U = mod(L, "nn.modules.utils")
    sd = collections.OrderedDict([("module.fc.weight", 1), ("module.fc.bias", 2), ("head", 3)])
    sd._metadata = collections.OrderedDict([("", {}), ("module", {"v": 1}), ("module.fc", {"v": 1})])
    U.consume_prefix_in_state_dict_if_present(sd, "module.")
    return (U._single(2), U._pair(3), U._triple((1, 2, 3)), U._quadruple(0), U._ntuple(3)("ab"), U._pair.__name__,
            U._reverse_repeat_tuple((1, 2), 2), U._list_with_default([None, 3], [8, 9, 10]), list(sd),
            list(sd._metadata))


def module_paths_misc(L):
    R = mod(L, "nn.modules.rnn")
    t = T(L, 124, 2, 3)
    perm = R.apply_permutation(t, L.tensor([2, 0, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        container = mod(L, "nn.modules.container").Container(fc=L.nn.Linear(2, 2))
    mha = L.nn.MultiheadAttention(4, 2)
    clones = mod(L, "nn.modules.transformer")._get_clones(L.nn.Linear(2, 2), 3)
    return (enc(perm), list(container.state_dict()), repr(mha.out_proj), type(mha.out_proj).__name__, len(clones),
            repr(mod(L, "nn.modules.conv").ConvTranspose1d(2, 2, 3)))


def hooks_api(L):
    H = mod(L, "utils.hooks")
    layer = L.nn.Linear(2, 2)
    handles = [layer.register_forward_hook(lambda *a: None), layer.register_forward_pre_hook(lambda *a: None),
               layer.register_full_backward_hook(lambda *a: None)]
    hooks = collections.OrderedDict()
    extra = collections.OrderedDict()
    h = H.RemovableHandle(hooks, extra_dict=extra)
    hooks[h.id], extra[h.id] = "hook", "extra"
    sizes = [len(hooks), len(extra)]
    h.remove()
    with H.RemovableHandle(hooks) as h2:
        hooks[h2.id] = "other"
        inside = len(hooks)
    fn = H.unserializable_hook(lambda g: g)
    return ([isinstance(x, H.RemovableHandle) for x in handles], sizes, [len(hooks), len(extra)], inside,
            getattr(fn, "__torch_unserializable__", None), h2.id > h.id)


def attention_api(L):
    A = mod(L, "nn.attention")
    cuda = L.backends.cuda

    def flags():
        return [cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(), cuda.math_sdp_enabled(),
                cuda.cudnn_sdp_enabled()]

    out = [flags()]
    with A.sdpa_kernel(A.SDPBackend.MATH) as r:
        out.append(flags())
        out.append(r)
    with A.sdpa_kernel([A.SDPBackend.FLASH_ATTENTION, A.SDPBackend.MATH, A.SDPBackend.MATH], set_priority=True):
        out.append(flags())
    out.append(flags())
    q = T(L, 125, 1, 2, 3, 4)
    with A.sdpa_kernel([A.SDPBackend.MATH]):
        out.append(enc(L.nn.functional.scaled_dot_product_attention(q, q, q)))
    out.append(sorted((k, int(v)) for k, v in A.SDPBackend.__members__.items()))
    out.append(A.WARN_FOR_UNFUSED_KERNELS)
    return out


CASES = [grad_basic, grad_argnums, grad_has_aux, grad_and_value_forms, grad_unused_int_constant, grad_pytree_input,
         grad_repeated_tensor, grad_kwargs, grad_per_sample, grad_nested_vmap_jacrev, grad_outer_first_order,
         nested_transform_values, grad_outer_no_grad,
         vjp_forms, jacrev_forms, jacfwd_forms, jacobian_dtypes, jvp_forms, linearize_forms, vmap_in_dims,
         vmap_out_dims, vmap_nested_chunks_kwargs, vmap_gradients, vmap_empty_batch, vmap_randomness,
         stack_module_state_ensemble, replace_batch_norm, functionalize_debug_unwrap, functional_call_forms,
         functional_call_buffers, functional_call_tied, af_jacobian, af_vjp_jvp, ckpt_reentrant, ckpt_non_reentrant,
         ckpt_module_and_buffers, ckpt_autograd_grad_and_inputs, ckpt_retain_graph_twice, ckpt_nested,
         ckpt_inputs_without_grad, ckpt_no_grad, ckpt_sequential, ckpt_context_fn, ckpt_preserve_rng,
         subclass_bases, module_utils, module_paths_misc, hooks_api, attention_api]


@pytest.mark.parametrize("fn", CASES, ids=lambda f: f.__name__)
def test_case(fn):
    def compute():
        import torch

        return normalise(fn(torch))

    ref = golden(fn.__name__, compute)
    check(normalise(fn(npgrad)), ref)


# --------------------------------------------------------------------------- errors


def _x(L, *shape):
    return L.tensor(np.random.RandomState(0).randn(*shape))


def _vmap(L, fn, *args, **kw):
    return mod(L, "func").vmap(fn, **kw)(*args)


def _grad(L, fn, *args, **kw):
    return mod(L, "func").grad(fn, **kw)(*args)


def _vjp_bad_cotangent(L):
    out, fn = mod(L, "func").vjp(lambda t: (t, t * 2), _x(L, 3))
    fn(_x(L, 3))


def _strict_call(L):
    mod(L, "func").functional_call(L.nn.Linear(2, 2), {"weight": L.zeros(2, 2), "extra": L.zeros(1)}, (L.zeros(1, 2),),
                                   strict=True)


def _tied_conflict(L):
    model = _Tied.make(L)
    values = {"a.weight": L.zeros(2, 2, dtype=L.float64), "b.weight": L.ones(2, 2, dtype=L.float64)}
    mod(L, "func").functional_call(model, values, (L.zeros(1, 2, dtype=L.float64),))


def _reentrant_autograd_grad(L):
    x = _x(L, 3).requires_grad_()
    y = mod(L, "utils.checkpoint").checkpoint(lambda t: t.exp(), x, use_reentrant=True).sum()
    L.autograd.grad(y, x)


def _checkpoint_inplace(L):
    x = _x(L, 3).requires_grad_()
    a = x * 1
    y = mod(L, "utils.checkpoint").checkpoint(lambda t: t.exp(), a, use_reentrant=False).sum()
    with L.no_grad():
        a.add_(1)
    y.backward()


def _checkpoint_inplace_inside(L):
    x = _x(L, 3).requires_grad_()

    def f(t):
        t.mul_(2)
        return t.exp()

    mod(L, "utils.checkpoint").checkpoint(f, x * 1, use_reentrant=False).sum().backward()


def _checkpoint_nondeterministic(L):
    x = _x(L, 4).requires_grad_()
    calls = [0]

    def f(t):
        calls[0] += 1
        return t.exp() if calls[0] == 1 else t[:2].exp()

    mod(L, "utils.checkpoint").checkpoint(f, x, use_reentrant=False).sum().backward()


def _linearize_bad_tangent(L):
    out, fn = mod(L, "func").linearize(lambda t: t.sin(), _x(L, 3))
    fn(_x(L, 4))


ERRORS = [
    (lambda L: _vmap(L, lambda t: t + L.rand(4), _x(L, 3, 4)), RuntimeError,
     "vmap: called random operation while in randomness error mode"),
    (lambda L: _vmap(L, lambda t: L.nn.functional.dropout(t, 0.5), _x(L, 3, 4)), RuntimeError,
     "randomness error mode"),
    (lambda L: _vmap(L, L.sin, _x(L, 3, 4), out_dims=None), ValueError,
     r"vmap\(sin, \.\.\.\): `sin` can not return a BatchedTensor when out_dim is None"),
    (lambda L: _vmap(L, lambda t: 3, _x(L, 3)), ValueError,
     r"`<lambda>` must only return Tensors, got type <class 'int'>\. Did you mean to set out_dims= to None"),
    (lambda L: _vmap(L, L.sin, _x(L, 3, 4), in_dims=2), ValueError,
     r"Got in_dim=2 for some input, but that input is a Tensor of dimensionality 2 so expected in_dim to satisfy "
     r"-2 <= in_dim < 2\."),
    (lambda L: _vmap(L, L.sin, _x(L, 3, 4), in_dims=[0]), ValueError,
     r"expected `in_dims` to be int or a \(potentially nested\) tuple matching the structure of inputs, got: "
     r"<class 'list'>\."),
    (lambda L: _vmap(L, L.add, _x(L, 3), _x(L, 3), in_dims=(0,)), ValueError,
     r"vmap\(add, in_dims=\(0,\), \.\.\.\)\(<inputs>\): in_dims is not compatible with the structure of `inputs`\. "
     r"in_dims has structure TreeSpec\(tuple, None, \[\*\]\) but inputs has structure TreeSpec\(tuple, None, \[\*,\n"
     r"  \*\]\)\."),
    (lambda L: _vmap(L, lambda a, b: a, _x(L, 3), 3, in_dims=(0, 0)), ValueError,
     r"Got in_dim=0 for an input but the input is of type <class 'int'>\. We cannot vmap over non-Tensor arguments"),
    (lambda L: _vmap(L, lambda: 1), ValueError, r"vmap\(<lambda>\)\(<inputs>\): got no inputs\."),
    (lambda L: _vmap(L, L.add, _x(L, 3), _x(L, 4)), ValueError,
     r"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes \[3, 4\] for the mapped "
     r"dimension"),
    (lambda L: _vmap(L, L.add, _x(L, 3), _x(L, 3), in_dims=(None, None)), ValueError,
     "vmap: Expected at least one Tensor to vmap over"),
    (lambda L: mod(L, "func").vmap(L.sin, chunk_size=0), ValueError,
     r"vmap: chunk_size should be None or greater than 0\. \(got 0\)"),
    (lambda L: mod(L, "func").vmap(L.sin, randomness="foo"), RuntimeError,
     "Only allowed values for randomness are 'error', 'different', or 'same'. Got foo"),
    (lambda L: _vmap(L, L.sin, _x(L, 3), out_dims="a"), ValueError, "`out_dims` must be an int, None or a python"),
    (lambda L: _vmap(L, lambda t: [t], _x(L, 3), out_dims=[0, 1]), ValueError,
     "out_dims is not compatible with the structure of `outputs`"),
    (lambda L: _vmap(L, L.sin, _x(L, 3, 2), out_dims=5), IndexError, r"Dimension out of range"),
    (lambda L: _grad(L, L.sin, _x(L, 3, 4)), RuntimeError,
     r"grad_and_value\(f\)\(\*args\): Expected f\(\*args\) to return a scalar Tensor, got tensor with 2 dims\. "
     r"Maybe you wanted to use the vjp or jacrev APIs instead\?"),
    (lambda L: _grad(L, lambda t: t.sum(), L.arange(3)), RuntimeError,
     "only Tensors of floating point dtype can require gradients"),
    (lambda L: _grad(L, lambda t: t, 3.0), ValueError, "Thing passed to transform API must be Tensor, got <class"),
    (lambda L: _grad(L, lambda t: 3.0, _x(L, 3)), RuntimeError,
     r"Expected f\(\*args\) to return a Tensor, got <class 'float'>"),
    (lambda L: _grad(L, lambda t: t.sum(), _x(L, 3), has_aux=True), RuntimeError,
     r"output of function f should be a tuple: \(output, aux\) if has_aux is True"),
    (lambda L: _grad(L, lambda t: (t.sum(), 3.0), _x(L, 3), has_aux=True), RuntimeError,
     "Expected tensors, got unsupported type <class 'float'>"),
    (lambda L: _grad(L, lambda t: t.sum(), _x(L, 3), argnums=1), RuntimeError,
     "Got argnum=1, but only 1 positional inputs"),
    (lambda L: _grad(L, lambda t: t.sum(), _x(L, 3), argnums=[0]), RuntimeError,
     r"argnums must be int or Tuple\[int, \.\.\.\], got: <class 'list'>"),
    (lambda L: _grad(L, lambda t: t.sum(), _x(L, 3), argnums=()), RuntimeError, "argnums must be non-empty"),
    (lambda L: _grad(L, lambda t, u: t.sum(), _x(L, 3), _x(L, 3), argnums=(0, 0)), RuntimeError,
     r"argnums elements must be unique, got \(0, 0\)"),
    (lambda L: mod(L, "func").vjp(lambda t: t.long(), _x(L, 3)), RuntimeError,
     r"vjp\(f, \.\.\.\): All outputs of f must be floating-point or complex Tensors, got Tensor with dtype"),
    (lambda L: mod(L, "func").vjp(lambda t: None, _x(L, 3)), RuntimeError,
     r"Expected f to be a function that has non-empty output \(got output = \[None\]\)"),
    (_vjp_bad_cotangent, RuntimeError,
     r"Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function\. "
     r"cotangents: \*, primal output: \(\*, \*\)"),
    (lambda L: mod(L, "func").jvp(lambda t: t, _x(L, 3), (_x(L, 3),)), RuntimeError,
     r"jvp\(f, primals, tangents\): Expected primals to be a tuple\."),
    (lambda L: mod(L, "func").jvp(lambda t: t, (_x(L, 3),), [_x(L, 3)]), RuntimeError,
     r"Got primals with structure TreeSpec\(tuple, None, \[\*\]\) and tangents with structure "
     r"TreeSpec\(list, None, \[\*\]\)"),
    (lambda L: mod(L, "func").jvp(lambda t: t, (_x(L, 3),), (_x(L, 4),)), RuntimeError,
     r"Tensor is of size \[3\] while the given forward gradient is of size \[4\]\."),
    (lambda L: mod(L, "func").jvp(lambda t: L.ones(2), (_x(L, 3),), (_x(L, 3),), strict=True), RuntimeError,
     r"The output of f is independent of the inputs\. This is not allowed with strict=True\."),
    (lambda L: mod(L, "func").jvp(lambda t: t, (), ()), RuntimeError, "Expected primals to contain at least one"),
    (lambda L: mod(L, "func").jacrev(L.sin, chunk_size=0), ValueError, "jacrev: `chunk_size` should be greater"),
    (lambda L: mod(L, "func").jacfwd(lambda t: t * L.rand(3))(_x(L, 3)), RuntimeError, "randomness error mode"),
    (_linearize_bad_tangent, RuntimeError,
     r"tangent:0 with shape .*4.* in flattened pytree doesn't match the shape .*3.* of the corresponding primal"),
    (_strict_call, RuntimeError,
     r"Error\(s\) in reparametrizing for Linear:\n\tUnexpected key\(s\): 'extra'\.\n\tMissing key\(s\): 'bias'\."),
    (_tied_conflict, ValueError,
     r"functional_call got multiple values for keys \['a\.weight', 'b\.weight'\], which are tied\. "
     r"Consider using tie_weights=False"),
    (lambda L: mod(L, "func").functional_call(L.nn.Linear(2, 2), ({"weight": L.zeros(2, 2)},
                                                                   {"weight": L.zeros(2, 2)}), (L.zeros(1, 2),)),
     ValueError, r"\['weight'\] appeared in multiple dictionaries; behavior of functional call is ambiguous"),
    (lambda L: mod(L, "func").functional_call(L.nn.Linear(2, 2), 3, (L.zeros(1, 2),)), ValueError,
     "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got <class 'int'>"),
    (lambda L: mod(L, "func").stack_module_state([]), RuntimeError,
     r"stack_module_state: Expected at least one model, got 0\."),
    (lambda L: mod(L, "func").stack_module_state([L.nn.Linear(2, 2), L.nn.Linear(2, 2).eval()]), RuntimeError,
     "Expected all models to have the same training/eval mode"),
    (lambda L: mod(L, "func").functionalize(L.sin, remove="x"), RuntimeError,
     r"functionalize\(f, remove='mutations'\): received invalid argument for remove=x\."),
    (lambda L: mod(L, "autograd.functional").jacobian(L.sin, _x(L, 3), strategy="x"), AssertionError,
     'Expected strategy to be either "forward-mode" or "reverse-mode"'),
    (lambda L: mod(L, "autograd.functional").jacobian(L.sin, _x(L, 3), strategy="forward-mode"),
     NotImplementedError, "only implemented for `vectorize=True`"),
    (lambda L: mod(L, "autograd.functional").jacobian(L.sin, _x(L, 3), strict=True, vectorize=True), RuntimeError,
     "`strict=True` and `vectorized=True` are not supported together"),
    (lambda L: mod(L, "autograd.functional").jacobian(lambda a, b: a * 2, (_x(L, 3), _x(L, 2)), strict=True),
     RuntimeError, r"Output 0 of the user-provided function is independent of input 1\. This is not allowed in strict"),
    (lambda L: mod(L, "autograd.functional").jacobian(lambda a: L.ones(2), _x(L, 3), strict=True), RuntimeError,
     r"Output 0 of the user-provided function does not require gradients\."),
    (lambda L: mod(L, "autograd.functional").jacobian(L.sin, [3.0]), TypeError,
     r"The inputs given to jacobian must be either a Tensor or a tuple of Tensors but the given inputs has type "
     r"<class 'list'>\."),
    (lambda L: mod(L, "autograd.functional").vjp(L.sin, _x(L, 3)), RuntimeError,
     "The vector v can only be None if the user-provided function returns a single Tensor with a single element."),
    (lambda L: mod(L, "autograd.functional").vjp(L.sin, _x(L, 3), _x(L, 4)), RuntimeError,
     r"v has invalid size: should be .*3.* but got .*4.*\."),
    (lambda L: mod(L, "autograd.functional").vjp(lambda a, b: a.sum(), (_x(L, 3), _x(L, 3)), strict=True),
     RuntimeError, r"The output of the user-provided function is independent of input 1\."),
    (lambda L: mod(L, "autograd.functional").jvp(L.sin, _x(L, 3)), RuntimeError,
     "The vector v can only be None if the input to the user-provided function is a single Tensor"),
    (lambda L: mod(L, "autograd.functional").jvp(L.sin, (_x(L, 3),), (_x(L, 3), _x(L, 3))), RuntimeError,
     r"v is a tuple of invalid length: should be 1 but got 2\."),
    (lambda L: mod(L, "autograd.functional").jvp(lambda a, b: a * 2, (_x(L, 3), _x(L, 3)), (_x(L, 3), _x(L, 3)),
                                                 strict=True),
     RuntimeError, r"The output of the user-provided function is independent of input 1\."),
    (lambda L: mod(L, "utils.checkpoint").checkpoint(L.sin, _x(L, 3), use_reentrant=True, foo=1), ValueError,
     "Unexpected keyword arguments: foo"),
    (lambda L: mod(L, "utils.checkpoint").checkpoint(L.sin, _x(L, 3), use_reentrant=True, debug=True), ValueError,
     r"Passing `context_fn` or `debug` is only supported when use_reentrant=False\."),
    (lambda L: mod(L, "utils.checkpoint").checkpoint(L.sin, _x(L, 3), use_reentrant=False, determinism_check="x"),
     ValueError, r"determinism_check should be one of \['default', 'none'\], but got x"),
    (lambda L: mod(L, "utils.checkpoint").checkpoint_sequential(L.nn.Sequential(L.nn.Tanh()), 1, _x(L, 3),
                                                                use_reentrant=False, foo=1),
     ValueError, "Unexpected keyword arguments: foo"),
    (_reentrant_autograd_grad, RuntimeError,
     r"When use_reentrant=True, torch.utils.checkpoint is incompatible with \.grad\(\) or passing an `inputs` "
     r"parameter to \.backward\(\)\."),
    (_checkpoint_inplace, RuntimeError, "one of the variables needed for gradient computation has been modified by an "
                                        "inplace operation"),
    (_checkpoint_inplace_inside, RuntimeError, "one of the variables needed for gradient computation has been "
                                               "modified by an inplace operation"),
    (_checkpoint_nondeterministic, RuntimeError, "torch.utils.checkpoint: "),
    (lambda L: mod(L, "nn.attention").sdpa_kernel("math").__enter__(), AssertionError,
     "Backend must be an instance of SDPBackend or a list of SDPBackend instances, got str"),
]


@pytest.mark.parametrize("fn, exc, match", ERRORS, ids=range(len(ERRORS)))
def test_error(fn, exc, match):
    if HAVE_TORCH:
        import torch

        with pytest.raises(exc, match=match):
            fn(torch)
    with pytest.raises(exc, match=match.replace("torch.utils", "(torch|npgrad).utils")):
        fn(npgrad)


def test_checkpoint_nondeterminism_is_a_checkpoint_error():
    ck = npgrad.utils.checkpoint
    with pytest.raises(ck.CheckpointError, match="different metadata than during the forward pass"):
        _checkpoint_nondeterministic(npgrad)
    assert issubclass(ck.CheckpointError, RuntimeError)


# --------------------------------------------------------------------------- warnings


def _warns(L, fn, category, match):
    with pytest.warns(category, match=match):
        fn(L)


def _hooked_tensor_warning(L):
    t = _x(L, 3).requires_grad_()
    t.register_hook(lambda g: g)
    mod(L, "utils.hooks").warn_if_has_hooks(t)


WARNINGS = [
    (_hooked_tensor_warning, UserWarning, "on tensor will not be serialized.  If this is expected, you can decorate"),
    (lambda L: mod(L, "utils.checkpoint").checkpoint(L.sin, _x(L, 3).requires_grad_()), UserWarning,
     "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly"),
    (lambda L: mod(L, "utils.checkpoint").checkpoint_sequential(L.nn.Sequential(L.nn.Tanh(), L.nn.Tanh()), 2,
                                                                _x(L, 3).requires_grad_()),
     UserWarning, "checkpoint_sequential: the use_reentrant parameter should be passed explicitly"),
    (lambda L: mod(L, "utils.checkpoint").checkpoint(L.sin, _x(L, 3), use_reentrant=True), UserWarning,
     "None of the inputs have requires_grad=True. Gradients will be None"),
    (lambda L: mod(L, "nn.utils.stateless").functional_call(L.nn.Linear(2, 2), {}, (L.zeros(1, 2),)), FutureWarning,
     r"`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0"),
    (lambda L: mod(L, "nn.modules.container").Container(), FutureWarning, "`nn.Container` is deprecated"),
    (lambda L: mod(L, "nn.modules.rnn").apply_permutation(L.zeros(2, 2), L.tensor([1, 0])), FutureWarning,
     "`apply_permutation` is deprecated"),
    (lambda L: mod(L, "nn.modules.conv")._ConvTransposeMixin(2, 2, (3,), (1,), (0,), (1,), True, (0,), 1, True,
                                                             "zeros"),
     FutureWarning, "`_ConvTransposeMixin` is a deprecated internal class"),
]


@pytest.mark.filterwarnings("default")
@pytest.mark.parametrize("fn, category, match", WARNINGS, ids=range(len(WARNINGS)))
def test_warning(fn, category, match):
    if HAVE_TORCH:
        import torch

        _warns(torch, fn, category, match)
    _warns(npgrad, fn, category, match.replace("torch.utils", "(torch|npgrad).utils"))


# --------------------------------------------------------------------------- higher order


def test_higher_order_derivatives_through_transforms():
    """Transforms record their gradients when their inputs require grad outside them (create_graph)."""
    F = npgrad.func
    x = npgrad.tensor([0.3, -0.7], dtype=npgrad.float64, requires_grad=True)
    f = lambda t: (t ** 3).sum()   # noqa: E731
    g = F.grad(f)(x)
    assert g.requires_grad
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2, rtol=1e-14)
    g.sum().backward()                                             # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy(), rtol=1e-14)
    d2 = F.grad(lambda t: F.grad(f)(t).sum())(x.detach())
    np.testing.assert_allclose(d2.numpy(), 6 * x.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(F.jacrev(F.jacrev(f))(x.detach()).numpy(), np.diag(6 * x.detach().numpy()),
                               rtol=1e-14)
    np.testing.assert_allclose(F.hessian(f)(x.detach()).numpy(), np.diag(6 * x.detach().numpy()), rtol=1e-14)
    # an input that needs no gradient outside the transform: the result is a plain tensor
    assert not F.grad(f)(x.detach()).requires_grad
    assert not F.hessian(f)(x.detach()).requires_grad


def test_vmap_loops_and_counts_calls():
    """vmap calls the function once per element (the docstring says it loops); chunking does not change that."""
    calls = []
    x = npgrad.arange(12.0).reshape(4, 3)
    out = npgrad.func.vmap(lambda r: calls.append(1) or r * 2, chunk_size=3)(x)
    assert len(calls) == 4 and np.array_equal(out.numpy(), x.numpy() * 2)
    assert "loop" in npgrad.func.vmap.__doc__


def test_checkpoint_gradcheck():
    """float64 gradcheck through both checkpoint variants."""
    ck = npgrad.utils.checkpoint
    w = npgrad.tensor(np.random.RandomState(3).randn(3, 3), requires_grad=True)
    for reentrant in (True, False):
        def f(x):
            return ck.checkpoint(lambda t: (t @ w).tanh() * t, x, use_reentrant=reentrant)

        x = npgrad.tensor(np.random.RandomState(4).randn(2, 3), requires_grad=True)
        assert npgrad.autograd.gradcheck(f, (x,))
        assert npgrad.autograd.gradcheck(lambda ww: ck.checkpoint(lambda t: (t @ ww).sin(), x.detach(),
                                                                  use_reentrant=False), (w,))


def test_vmap_grad_gradcheck():
    """float64 gradcheck of gradients flowing through vmap's slicing and stacking."""
    w = npgrad.tensor(np.random.RandomState(5).randn(3), requires_grad=True)
    x = npgrad.tensor(np.random.RandomState(6).randn(4, 3), requires_grad=True)
    f = npgrad.func.vmap(lambda r, v: (r * v).sin().sum() * r, in_dims=(0, None))
    assert npgrad.autograd.gradcheck(f, (x, w))


def test_float32_transforms_match_float64():
    F = npgrad.func
    x = npgrad.tensor(np.random.RandomState(7).randn(3, 4))
    for fn in (F.vmap(F.grad(lambda r: (r.sin() * r).sum())), F.jacrev(lambda t: t.tanh().sum(0))):
        a, b = fn(x.float()), fn(x)
        assert a.dtype == npgrad.float32 and b.dtype == npgrad.float64
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
