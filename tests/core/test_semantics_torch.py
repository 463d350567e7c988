"""PyTorch's semantics at the edges, the same programs run on both libraries: Python ints wrapped into integer
dtypes by comparisons, division and bitwise ops (and integer division by zero), inference tensors, ``.data``'s
own version counter, ``ctx.mark_dirty`` and the checks on a custom Function's gradients, the legacy Function
call, and ``Module.register_backward_hook``.

Each program returns a record of what it observed (values, dtypes, flags, errors and warnings with their
messages); torch's record is the reference, kept in ``tests/golden/semantics_torch.npz`` for checkouts
without torch.
"""
import json
import math
import re
import warnings

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("semantics_torch")


# --------------------------------------------------------------------------- recording


def _tensor(t):
    """A tensor as values and dtype name (``uint8``, ``float32`` ...), both libraries alike."""
    return ["tensor", t.detach().numpy().tolist(), str(t.dtype).split(".")[-1]]


def _message(e):
    return re.sub(r" \(Triggered internally at .*\)$", "", str(e), flags=re.S)


def _observe(fn):
    """``fn()``'s result (tensors described) and its warnings, or the error it raised: type and message."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as e:       # noqa: BLE001 - the error is the observation
            return ["error", type(e).__name__, _message(e)]
    seen = [[w.category.__name__, _message(w.message)] for w in caught]
    return ["ok", _describe(value), seen] if seen else ["ok", _describe(value)]


def _describe(value):
    if hasattr(value, "detach") and hasattr(value, "dtype"):
        return _tensor(value)
    if isinstance(value, (tuple, list)):
        return [_describe(v) for v in value]
    if isinstance(value, dict):
        return {k: _describe(v) for k, v in value.items()}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if hasattr(value, "name") and callable(value.name):       # a grad_fn: its name
        return value.name()
    return value


def _json(record):
    return json.loads(json.dumps(record))


def _close(a, b, rtol):
    """Records equal, floats to ``rtol`` (NaN equal to NaN)."""
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or isinstance(a, bool) \
                or isinstance(b, bool):
            return False
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        # a signed zero counts: PyTorch's remainder of -4.0 by 2 is -0.0
        return (a == b or math.isclose(a, b, rel_tol=rtol, abs_tol=rtol)) and \
            math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol) for k in a)
    return a == b


def _check(key, program, rtol=1e-12):
    """``program(npgrad)`` observes what ``program(torch)`` does (torch's record from the golden file without it)."""
    expected = golden.json(key, lambda: program(torch))
    got = _json(program(npgrad))
    assert _close(got, expected, rtol), f"\nnpgrad: {got}\ntorch:  {expected}"


# --------------------------------------------------------------------------- Python ints and integer division

_SETUP = {"u": lambda lib: lib.tensor([0, 5, 255], dtype=lib.uint8),
          "b": lambda lib: lib.tensor([True, False]),
          "i8": lambda lib: lib.tensor([1, 2], dtype=lib.int8)}

_EXPRESSIONS = [
    # comparisons: a Python int wraps into the tensor's integer dtype
    "u > -1", "u == -6", "u < 256", "u >= 300", "u != -1", "-1 < u", "u == 2**63", "u.eq(-6)", "lib.eq(u, -6)",
    "u.lt(256)", "lib.gt(u, -1)", "u == lib.tensor(-6)", "u > lib.tensor(-1)", "i8 == 257", "lib.eq(i8, 258)",
    "lib.ne(i8, 258)", "lib.ge(i8, -255)", "i8 == lib.tensor(257)", "i8 == lib.tensor([257, 2])",
    "lib.tensor([5, 7], dtype=lib.int32) == 2**32 + 5", "u == 1.5", "u > 255.5", "b == 2", "b == True", "b > 0.5",
    "lib.tensor([1., 2.]) == lib.tensor([1, 2])", "lib.tensor([0.1]) == 0.1",
    "lib.tensor([0.1], dtype=lib.float64) == 0.1",
    "lib.tensor([1, 2]) < 1.5", "lib.tensor([1., 2.]) == lib.tensor(1., dtype=lib.float64)",
    "lib.tensor([1, 2], dtype=lib.uint8) == np.int64(-1)", "u == 2**64", "u == -2**63 - 1",
    # floor division, remainder and fmod in the promoted dtype
    "u // 300", "u // -1", "u % -1", "u % 300", "u.fmod(300)", "u.remainder(-1)", "u.fmod(-1)", "u // True",
    "lib.floor_divide(u, 300)", "lib.remainder(u, 300)", "lib.fmod(u, -1)", "i8 // 200", "i8 % 200",
    "lib.tensor([5], dtype=lib.int8) // lib.tensor(300)", "lib.tensor([-7, 7]) // 2", "lib.tensor([-7, 7]) % -2",
    "lib.tensor([-7, 7]).fmod(-2)", "lib.tensor([-7., 7.]).fmod(-2)", "lib.tensor([-7., 7.]) % -2",
    "lib.tensor([-7., 7.]) // -2", "7 // lib.tensor([2, -2])", "7 % lib.tensor([2, -2])", "7.5 % lib.tensor([2, -2])",
    "7.5 // lib.tensor([2, -2])", "lib.tensor([-2**63]) // -1", "lib.tensor([-2**63]) % -1",
    "lib.tensor([-128], dtype=lib.int8) // -1", "u // -1.0", "u // 2.5", "u % 2.5", "lib.tensor([-4., 4.]) % 2",
    "lib.tensor([-4., 4.]) % -2", "lib.tensor([-0., 0.]) % -2", "lib.tensor([3., -3.]).fmod(2)",
    "lib.tensor([5], dtype=lib.uint8) % lib.tensor([-3], dtype=lib.int8)", "lib.tensor([1.0]) // 0.1",
    "lib.tensor([1., 2.]) // lib.tensor([1, 2])", "lib.tensor([1.5, -2.5], dtype=lib.float16) % 1",
    "lib.tensor([1.5, -2.5]).fmod(lib.tensor([1., 2.], dtype=lib.float64))",
    "lib.tensor([7, -7], dtype=lib.int16) % lib.tensor([3, 3], dtype=lib.int32)", "lib.tensor(7) // lib.tensor([2, 3])",
    "lib.tensor(7, dtype=lib.uint8) // -1", "b // 1", "b % 2", "b.fmod(2)",
    "lib.tensor([-7, 7]).div(2, rounding_mode='trunc')", "lib.tensor([-7, 7]).div(2, rounding_mode='floor')",
    "lib.tensor([-7, 7, 5]).div(lib.tensor([2, -2, 5]), rounding_mode='trunc')",
    "lib.tensor([-7, 7], dtype=lib.int8).div(-2, rounding_mode='trunc')", "u.div(-1, rounding_mode='trunc')",
    "lib.tensor([2**62 + 1]).div(1, rounding_mode='floor')", "lib.tensor([1.0]).div(0.1, rounding_mode='floor')",
    "lib.tensor([-7.5, 7.5]).div(2, rounding_mode='trunc')", "lib.tensor([1, 2]).div(2.5, rounding_mode='floor')",
    "lib.tensor([1]).div(2, rounding_mode='bad')",
    # division by zero: integers raise, floats give inf / nan
    "u // 0", "u % 0", "u.fmod(0)", "u.remainder(0)", "lib.tensor([1, 2]) // 0", "lib.tensor([1, 2]) % 0",
    "lib.tensor([1, 2]) // lib.tensor([0, 1])", "lib.tensor([1, 2]) % lib.tensor([0, 1])",
    "lib.tensor([1, 2]).fmod(lib.tensor([0, 1]))", "lib.tensor([1, 2]).fmod(0)", "lib.tensor([1, 2]).remainder(0)",
    "5 // lib.tensor([0, 1])", "5 % lib.tensor([0, 1])", "lib.tensor([1, 2]).div(0, rounding_mode='floor')",
    "lib.tensor([1, 2]).div(0, rounding_mode='trunc')", "lib.tensor([1, 2]).floor_divide(0)",
    "lib.tensor([1, 2]).fmod(lib.tensor(0))", "lib.tensor([1, 2]) // lib.tensor(0)", "lib.fmod(lib.tensor([1, 2]), 0)",
    "lib.remainder(5, lib.tensor([0, 1]))", "lib.floor_divide(5, lib.tensor([2, 0]))", "u // lib.tensor(0)",
    "lib.tensor([1, 2]).div(lib.tensor([0, 1]), rounding_mode='trunc')", "u // 2**63",
    "lib.tensor([5, 7], dtype=lib.int32) // 2**40", "lib.tensor([1, 2]) // np.int64(0)",
    "lib.tensor([], dtype=lib.int64) // 0", "lib.zeros(0, dtype=lib.int64) % lib.tensor([0])",
    "lib.tensor([5]) // lib.zeros(0, dtype=lib.int64)", "lib.tensor([], dtype=lib.uint8) % 0",
    "lib.tensor([1., 2]) // 0", "lib.tensor([1., 2]) % 0", "lib.tensor([1., -2]).fmod(0)",
    "lib.tensor([-1.0, 1.0]) // -0.0", "lib.tensor([5.5]) // lib.tensor(0)", "lib.tensor([5]) // lib.tensor(0.)",
    "lib.tensor([1, 2]) % lib.tensor([1.5, 0.])", "lib.tensor([1, 2]) // 2**64",
    # bool tensors
    "b // b", "b % b", "b.fmod(b)", "b.remainder(b)", "b.div(b, rounding_mode='trunc')",
    "b.div(b, rounding_mode='floor')",
    # bitwise ops keep the tensor's dtype, the int wrapped into it
    "u & 257", "u | 256", "u ^ -1", "257 & u", "257 | u", "u & 2**63", "lib.bitwise_and(u, 257)",
    "u.bitwise_or(-1)", "u & lib.tensor(257)", "i8 & 200", "b & 3", "b | 256", "b & b", "b & True", "b | 1",
    "lib.tensor([5], dtype=lib.int32) & 2**40", "lib.tensor([5], dtype=lib.int32) & lib.tensor(2**40)",
    "lib.tensor([5], dtype=lib.int32) & lib.tensor([2**40])",
    "lib.tensor([7, -7], dtype=lib.int16) ^ lib.tensor([3, 3], dtype=lib.int32)",
    "lib.tensor([7, -7]) ^ lib.tensor([True, False])", "lib.tensor([5, 6]) & 1.5", "1.5 & lib.tensor([5])",
    "lib.bitwise_xor(lib.tensor([5, 6], dtype=lib.int16), 2**16 + 3)", "lib.bitwise_or(b, False)",
    # broadcasting errors
    "lib.tensor([[1, 2], [3, 4]]) // lib.tensor([1, 2, 3])", "lib.tensor([[1, 2], [3, 4]]) % lib.tensor([1, 2, 3])",
    "lib.tensor([[1, 2], [3, 4]]) & lib.tensor([1, 2, 3])", "lib.tensor([[1, 2], [3, 4]]) == lib.tensor([1, 2, 3])",
    # in place, the int wrapped the same way
    "u.clone().floor_divide_(300)", "u.clone().remainder_(-1)", "u.clone().fmod_(300)", "u.clone().bitwise_and_(257)",
    "u.clone().__iand__(257)", "u.clone().__ior__(256)", "u.clone().__ixor__(-1)", "u.clone().__ifloordiv__(300)",
    "u.clone().__imod__(300)", "u.clone().floor_divide_(0)", "u.clone().div_(300, rounding_mode='floor')",
    "u.clone().div_(2, rounding_mode='trunc')", "lib.tensor([1.5, -2.5]).div_(2, rounding_mode='floor')",
]


def _expression(expr):
    def program(lib):
        names = {name: make(lib) for name, make in _SETUP.items()}
        return _observe(lambda: eval(expr, {"lib": lib, "np": np, **names}))
    return program


@pytest.mark.parametrize("expr", _EXPRESSIONS)
def test_python_ints_and_integer_division(expr):
    _check(f"scalar/{expr}", _expression(expr))


def _remainder_gradients(lib):
    """The remainders of floating tensors are differentiable: 1 for the dividend, minus the quotient for the
    divisor (floor for remainder, trunc for fmod)."""
    x = lib.tensor([5.5, -1.5, 3.25], dtype=lib.float64, requires_grad=True)
    y = lib.tensor([2.0, -0.7, 1.5], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([1.0, 3.0, -2.0], dtype=lib.float64)
    out = {}
    for name, f in [("x % 2", lambda: x % 2), ("x % -2.5", lambda: x % -2.5), ("x.fmod(2.5)", lambda: x.fmod(2.5)),
                    ("x.remainder(y)", lambda: x.remainder(y)), ("x.fmod(y)", lambda: x.fmod(y)),
                    ("lib.remainder(x, y)", lambda: lib.remainder(x, y)), ("x % y.float()", lambda: x % y.float()),
                    ("x.detach() % y", lambda: x.detach() % y)]:
        r = f()
        gx, gy = lib.autograd.grad((r * w).sum(), [x, y], allow_unused=True)
        out[name] = [r.tolist(), r.grad_fn.name(), None if gx is None else gx.tolist(),
                     None if gy is None else gy.tolist()]
    gy, = lib.autograd.grad((x.remainder(y) * w).sum(), [y], create_graph=True)
    second = lib.autograd.grad(gy.sum(), [x, y], allow_unused=True)[1]
    out["recorded quotient"] = [gy.requires_grad, (second == 0).tolist()]       # zeros (of either sign)
    with lib.no_grad():
        out["no_grad"] = (x % 2).requires_grad
    out["integers"] = [(lib.tensor([5, -3]) % 2).tolist(), (lib.tensor([5, -3]).fmod(2)).tolist()]
    return out


def test_float_remainders_are_differentiable():
    _check("scalar/remainder gradients", _remainder_gradients)
    x = npgrad.tensor([5.5, -1.5, 3.25], dtype=npgrad.float64, requires_grad=True)
    y = npgrad.tensor([2.0, -0.7, 1.5], dtype=npgrad.float64, requires_grad=True)
    assert npgrad.autograd.gradcheck(lambda a, b: a.remainder(b), (x, y))
    assert npgrad.autograd.gradcheck(lambda a, b: a.fmod(b), (x, y))
    assert npgrad.autograd.gradcheck(lambda a: a.fmod(-0.8) * a, (x,))


# --------------------------------------------------------------------------- inference mode


def _inference_creation(lib):
    """Which tensors are inference tensors, and which require grad, inside and around inference_mode."""
    x = lib.ones(3)
    p = lib.ones(3, requires_grad=True)
    made = {}
    with lib.inference_mode():
        made["factory"] = lib.ones(3)
        made["op"] = x * 2
        made["view"] = x.view(-1)
        made["slice"] = x[1:]
        made["detach"] = x.detach()
        made["data"] = x.data
        made["view_of_inference"] = made["factory"].view(-1)
        made["param_op"] = p * 2
        made["clone"] = x.clone()
        made["advanced_index"] = x[[0]]
        made["same_dtype_to"] = x.to(lib.float32)
        with lib.enable_grad():
            grad_on = lib.is_grad_enabled()
            made["enable_grad_op"] = p * 2
        with lib.inference_mode(False):
            mode_off = lib.is_inference_mode_enabled()
            made["mode_off_op"] = p * 2
            made["mode_off_factory"] = lib.ones(2)
            made["mode_off_of_inference"] = made["factory"] * 2
        mode_on = lib.is_inference_mode_enabled()
        grad_in_mode = lib.is_grad_enabled()
        made["inplace_inside"] = made["factory"].clone().add_(1)
        made["requires_grad_inside"] = lib.ones(2).requires_grad_()
    flags = {k: [t.is_inference(), t.requires_grad, t.grad_fn is not None] for k, t in made.items()}
    out = lib.ones(3)
    with lib.inference_mode():
        inner = lib.ones(3)
    flags["outside_after"] = [out.is_inference(), lib.is_inference_mode_enabled(), lib.is_grad_enabled()]
    flags["views_outside"] = [inner.view(-1).is_inference(), inner[1:].is_inference(), inner.detach().is_inference(),
                              inner.data.is_inference(), (inner * 2).is_inference(), inner.clone().is_inference(),
                              inner.reshape(3, 1).is_inference(), inner.t().is_inference()]

    @lib.inference_mode()
    def decorated():
        return lib.ones(2), lib.is_inference_mode_enabled()

    t, on = decorated()
    flags["decorated"] = [t.is_inference(), on, lib.is_inference_mode_enabled()]
    flags["modes"] = [grad_on, mode_off, mode_on, grad_in_mode]
    return flags


def test_inference_tensors_are_made_inside_the_mode():
    _check("inference/creation", _inference_creation)


def _inference_restrictions(lib):
    """PyTorch's errors for inference tensors used outside the mode (and what stays allowed)."""
    p = lib.ones(3, requires_grad=True)
    x = lib.ones(3)

    def fresh():
        with lib.inference_mode():
            return lib.ones(3)

    out = {}
    for name, op in [("add_", lambda t: t.add_(1)), ("setitem", lambda t: t.__setitem__(0, 5.0)),
                     ("zero_", lambda t: t.zero_()), ("copy_", lambda t: t.copy_(x)), ("fill_", lambda t: t.fill_(2)),
                     ("uniform_", lambda t: t.uniform_()), ("normal_", lambda t: t.normal_()),
                     ("mul_ of a view", lambda t: t.view(-1).mul_(2)), ("clamp_", lambda t: t.clamp_(0, 0.5)),
                     ("exp_", lambda t: t.exp_()), ("masked_fill_", lambda t: t.masked_fill_(t > 0, 4.0)),
                     ("index_put_", lambda t: t.index_put_((lib.tensor([0]),), lib.tensor(9.0))),
                     ("bernoulli_", lambda t: t.bernoulli_(0.5)), ("random_", lambda t: t.random_(0, 3)),
                     ("exponential_", lambda t: t.exponential_()), ("iadd", lambda t: t.__iadd__(1)),
                     ("_version", lambda t: t._version),
                     ("requires_grad_()", lambda t: t.requires_grad_()),
                     ("requires_grad = True", lambda t: setattr(t, "requires_grad", True)),
                     ("requires_grad_(False)", lambda t: t.requires_grad_(False)),
                     ("Parameter", lambda t: lib.nn.Parameter(t)),
                     ("Parameter without grad", lambda t: lib.nn.Parameter(t, requires_grad=False).is_inference()),
                     ("detach().add_", lambda t: t.detach().add_(1)), ("data.add_", lambda t: t.data.add_(1)),
                     ("detach()._version", lambda t: t.detach()._version),
                     ("view of detach", lambda t: t.detach().view(-1).add_(1)),
                     ("clone().add_", lambda t: t.clone().add_(1)),
                     ("x.copy_(inference)", lambda t: x.clone().copy_(t)),
                     ("saved by mul", lambda t: t * p), ("saved by mul, other side", lambda t: p.exp() * t),
                     ("not saved by add", lambda t: (t + p).sum().backward() or p.grad),
                     ("saved by linear", lambda t: lib.nn.Linear(3, 2)(t).sum().backward()),
                     ("no grad: nothing saved", lambda t: (lib.relu(t).requires_grad, (t * x).requires_grad))]:
        out[name] = _observe(lambda: op(fresh()))
    with lib.inference_mode():
        inner = lib.ones(3)
        detached_inside = inner.detach()
        data_inside = inner.data
    out["detach inside, add_ outside"] = _observe(lambda: detached_inside.add_(1))
    out["data inside, add_ outside"] = _observe(lambda: data_inside.add_(1))
    return out


def test_inference_tensors_outside_the_mode():
    _check("inference/restrictions", _inference_restrictions)


def _inference_function(lib):
    """A custom Function that saves an inference tensor it was given."""

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, s):
            ctx.save_for_backward(s)
            return x * s

        @staticmethod
        def backward(ctx, g):
            (s,) = ctx.saved_tensors
            return g * s, None

    p = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        s = lib.full((2,), 3.0)
        inside = Scale.apply(p, s)
    return {"outside": _observe(lambda: Scale.apply(p, s)), "inside": [inside.requires_grad, inside.is_inference()]}


def test_custom_function_refuses_to_save_inference_tensors():
    _check("inference/function", _inference_function)


# --------------------------------------------------------------------------- .data and the version counter


def _data_versions(lib):
    """``.data`` shares memory but not the version counter; ``detach()`` shares both."""
    out = {}
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()
    d = b.data
    d.zero_()
    b.sum().backward()
    out["data write, then backward"] = [a.grad.tolist(), b._version, d._version, b.tolist()]
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()
    b.detach().zero_()
    error = _observe(lambda: b.sum().backward())
    out["detach write, then backward"] = [error[0], error[1], error[2].split(":")[0]]
    t = lib.tensor([1.0, 2.0, 3.0])
    d = t.data
    v = d[1:]
    v.add_(1)
    versions = [t._version, d._version, v._version]
    t.add_(1)
    versions += [t._version, d._version, v._version, t.tolist()]
    v2 = t[1:]
    dv = v2.data
    dv.add_(1)
    versions += [t._version, v2._version, dv._version, dv.storage_offset(), v2.storage_offset(), t.tolist()]
    out["counters"] = versions
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    z = w * w
    w.data.mul_(10)
    z.sum().backward()
    out["leaf written through data"] = [w.grad.tolist(), w._version]
    out["data flags"] = [w.data.requires_grad, w.data.is_leaf, w.data.grad_fn is None, (w * 2).data.requires_grad,
                         w.data is w.data, w.data.data_ptr() == w.data_ptr()]
    return out


def test_data_has_its_own_version_counter():
    _check("data/versions", _data_versions)


def _data_setter(lib):
    """``t.data = other``: other's memory, shape and dtype; t's own version counter kept."""
    out = {}
    x = lib.ones(3)
    x.add_(1)
    x.add_(1)
    y = lib.zeros(3)
    y.add_(1)
    x.data = y
    out["after set"] = [x._version, y._version, x.tolist()]
    y.add_(1)
    out["after y.add_"] = [x._version, y._version, x.tolist()]
    x.add_(1)
    out["after x.add_"] = [x._version, y._version, y.tolist()]
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    out["shape change"] = _observe(lambda: setattr(w, "data", lib.zeros(3)) or [w.tolist(), w.requires_grad])
    out["dtype change"] = _observe(lambda: setattr(w, "data", lib.zeros(2, dtype=lib.float64)) or str(w.dtype)[-7:])
    out["integer on a tensor requiring grad"] = _observe(lambda: setattr(w, "data", lib.zeros(3, dtype=lib.int64)))
    out["integer on a plain tensor"] = _observe(
        lambda: setattr(x, "data", lib.zeros(3, dtype=lib.int64)) or str(x.dtype)[-5:])
    out["not a tensor"] = _observe(lambda: setattr(w, "data", [1.0, 2.0]))
    n = lib.tensor([1.0, 2.0], requires_grad=True) * 2
    n.data = lib.zeros(2)
    out["non-leaf"] = [n.tolist(), n.requires_grad, n.grad_fn is not None]
    return out


def test_data_setter():
    _check("data/setter", _data_setter)


# --------------------------------------------------------------------------- custom Functions


def _dirty(lib):
    """``ctx.mark_dirty``: the input itself comes back, its history moved onto the Function."""

    class Dirty(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class DirtyTwo(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            x.add_(y)
            ctx.mark_dirty(x)
            return x, y * 2

        @staticmethod
        def backward(ctx, g1, g2):
            return g1, g1 + g2 * 2

    class MarkOnly(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class NotReturned(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return g

    class NotAnInput(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.clone()
            ctx.mark_dirty(y)
            return y

        @staticmethod
        def backward(ctx, g):
            return g

    class DirtySaved(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x

    out = {}
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = a * 1
    res = Dirty.apply(c)
    out["same object"] = [res is c, c.grad_fn.name(), c._version, c.requires_grad, c.is_leaf]
    (c * 3).sum().backward()
    out["backward through later uses"] = a.grad.tolist()
    out["leaf requiring grad"] = _observe(lambda: Dirty.apply(lib.tensor([1.0], requires_grad=True)))
    leaf = lib.tensor([1.0, 2.0])
    out["plain leaf"] = [Dirty.apply(leaf) is leaf, leaf.grad_fn is None, leaf._version, leaf.requires_grad,
                         leaf.tolist()]
    with lib.no_grad():
        c3 = a * 1
        out["under no_grad"] = [Dirty.apply(c3) is c3, c3.grad_fn is None, c3._version]
    base = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out["view of a leaf"] = _observe(lambda: Dirty.apply(base[:2]))
    x0 = lib.tensor([1.0, 2.0], requires_grad=True)
    y0 = lib.tensor([3.0, 4.0], requires_grad=True)
    xx = x0 * 1
    r1, r2 = DirtyTwo.apply(xx, y0)
    (r1 * r2).sum().backward()
    out["two outputs"] = [r1 is xx, r1.grad_fn.name(), r2.grad_fn is r1.grad_fn, r1._version, x0.grad.tolist(),
                          y0.grad.tolist()]
    x = lib.tensor([1.0, 2.0])
    y = lib.tensor([3.0, 4.0], requires_grad=True)
    res = DirtyTwo.apply(x, y)[0]
    (x * 2).sum().backward()
    out["plain input, other requires grad"] = [res is x, x.grad_fn.name(), x.requires_grad, x.is_leaf,
                                               y.grad.tolist()]
    m = lib.tensor([1.0], requires_grad=True) * 1
    out["marked, not modified"] = [MarkOnly.apply(m) is m, m._version, m.grad_fn.name()]
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = a * 1
    c.retain_grad()
    Dirty.apply(c).sum().backward()
    out["retain_grad"] = [c.grad.tolist(), a.grad.tolist()]
    out["not returned"] = _observe(lambda: NotReturned.apply(lib.tensor([1.0])))
    out["not an input"] = _observe(lambda: NotAnInput.apply(lib.tensor([1.0], requires_grad=True) * 1).tolist())
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    DirtySaved.apply(a * 1).sum().backward()
    out["saved"] = a.grad.tolist()
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = a * 1
    DirtySaved.apply(c)
    c.add_(1)
    error = _observe(lambda: c.sum().backward())
    out["saved, then modified"] = [error[0], error[1], error[2].split(":")[0]]
    return out


def test_mark_dirty_returns_the_input_itself():
    _check("function/mark_dirty", _dirty)


def _bad_gradients(lib):
    """What a Function's backward may return: PyTorch's checks of number, type and shape."""

    def function(backward, n_inputs=1):
        def forward(ctx, *args):
            return args[0] * 2

        return type("Bad", (lib.autograd.Function,), {"forward": staticmethod(forward),
                                                       "backward": staticmethod(backward)})

    cases = {
        "one element for two": (lambda ctx, g: g.sum().reshape(1), [2]),
        "column for a vector": (lambda ctx, g: g.reshape(2, 1), [2]),
        "broadcast of the input": (lambda ctx, g: g.expand(3, 2), [2]),
        "3-d broadcast": (lambda ctx, g: g.unsqueeze(0).expand(4, 2).unsqueeze(0), [2]),
        "(3, 1) for (3, 4)": (lambda ctx, g: lib.ones(3, 1), [3, 4]),
        "(3, 4) for (3, 1)": (lambda ctx, g: lib.ones(3, 4), [3, 1]),
        "scalar for a matrix": (lambda ctx, g: lib.ones(()), [1, 2]),
        "double for float": (lambda ctx, g: g.double(), [2]),
        "integers": (lambda ctx, g: lib.ones(2, dtype=lib.int64), [2]),
        "bools": (lambda ctx, g: lib.ones(2, dtype=lib.bool), [2]),
        "a float": (lambda ctx, g: 3.0, [2]),
        "a list": (lambda ctx, g: [g], [2]),
        "an ndarray": (lambda ctx, g: g.numpy(), [2]),
        "extra None": (lambda ctx, g: (g, None, None), [2]),
        "extra gradient": (lambda ctx, g: (g, g), [2]),
        "too few": (lambda ctx, g: (), [2]),
    }
    out = {}
    for name, (backward, shape) in cases.items():
        x = lib.ones(*shape, requires_grad=True)
        Bad = function(backward)
        out[name] = _observe(lambda: Bad.apply(x).sum().backward() or [x.grad.tolist(), str(x.grad.dtype)[-7:]])

    class WithNumber(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, lib.ones(3)

    class TwoInputs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, lib.ones(5)

    class BadSecond(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, lib.ones(5)

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    out["gradient for a number"] = _observe(lambda: WithNumber.apply(x, 3).sum().backward())
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    out["bad shape for an input needing none"] = _observe(
        lambda: TwoInputs.apply(x, lib.tensor([1.0, 2.0])).sum().backward() or x.grad.tolist())
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([1.0, 2.0], requires_grad=True)
    out["bad shape at index 1"] = _observe(lambda: BadSecond.apply(x, y).sum().backward())
    return out


def test_custom_function_gradients_are_checked():
    _check("function/gradients", _bad_gradients)


def _saved_in_backward(lib):
    """Saved inputs and outputs as a Function's backward sees them."""
    seen = []

    class SaveOut(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            seen.append([x.requires_grad, y.requires_grad, y.grad_fn.name(), x.grad_fn is None, g.requires_grad,
                         lib.is_grad_enabled(), y.tolist()])
            return g * y

    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    SaveOut.apply(x).sum().backward()
    x2 = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    SaveOut.apply(x2 * 1).sum().backward()
    seen[-1][3] = "non-leaf input: " + str(seen[-1][3])
    return [seen, x.grad.tolist(), x2.grad.tolist()]


def test_saved_outputs_require_grad_in_backward():
    _check("function/saved", _saved_in_backward)


def _legacy_call(lib):
    """Instantiating a Function warns; calling the instance is the legacy style, refused."""

    class Doubler(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class OldStyle(lib.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, g):
            return g

    x = lib.ones(2, requires_grad=True)
    made = _observe(lambda: type(Doubler()).__name__)
    return {"instantiate": made, "call": _observe(lambda: Doubler()(x)), "old style": _observe(lambda: OldStyle()(x)),
            "apply still works": Doubler.apply(x).tolist()}


def test_legacy_function_call():
    _check("function/legacy", _legacy_call)


# --------------------------------------------------------------------------- Module.register_backward_hook


def _hook_modules(lib):
    class Two(lib.nn.Module):
        def forward(self, a, b):
            return a * b

    class TupleOut(lib.nn.Module):
        def forward(self, a):
            return a * 2, a * 3

    class DictOut(lib.nn.Module):
        def forward(self, a):
            return {"a": a * 2}

    nn = lib.nn
    lib.manual_seed(0)
    x = lib.randn(4, 3, dtype=lib.float64, requires_grad=True)
    x3 = lib.randn(2, 4, 3, dtype=lib.float64, requires_grad=True)
    image = lib.randn(1, 2, 5, 5, dtype=lib.float64, requires_grad=True)
    weights = lib.arange(2.0, dtype=lib.float64)
    return [
        ("Linear", nn.Linear(3, 2).double(), (x,), lambda y: (y * weights).sum()),
        ("Linear without bias", nn.Linear(3, 2, bias=False).double(), (x,), lambda y: (y * weights).sum()),
        ("Linear, input needing no grad", nn.Linear(3, 2).double(), (x.detach(),), lambda y: y.sum()),
        ("Linear on 3-d input", nn.Linear(3, 2).double(), (x3,), lambda y: (y * weights).sum()),
        ("Linear on a vector", nn.Linear(3, 2).double(), (x[0],), lambda y: (y * weights).sum()),
        ("Conv2d", nn.Conv2d(2, 3, 3).double(), (image,), lambda y: y.sum()),
        ("Conv2d without bias", nn.Conv2d(2, 3, 3, bias=False).double(), (image,), lambda y: (y * y).sum()),
        ("Conv1d", nn.Conv1d(2, 3, 3).double(), (image[:, :, 0],), lambda y: y.sum()),
        ("ReLU", nn.ReLU(), (x,), lambda y: (y * 2).sum()),
        ("ReLU on a non-leaf", nn.ReLU(), (x * 1,), lambda y: (y * 2).sum()),
        ("Sigmoid", nn.Sigmoid(), (x,), lambda y: y.sum()),
        ("Tanh", nn.Tanh(), (x,), lambda y: y.sum()),
        ("Softmax", nn.Softmax(dim=1), (x,), lambda y: (y * lib.arange(3.0, dtype=lib.float64)).sum()),
        ("LeakyReLU", nn.LeakyReLU(0.1), (x,), lambda y: y.sum()),
        ("Flatten", nn.Flatten(), (image,), lambda y: y.sum()),
        ("Sequential", nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double(), (x,),
         lambda y: y.sum()),
        ("two inputs", Two(), (x, lib.randn(4, 3, dtype=lib.float64, requires_grad=True)), lambda y: y.sum()),
        ("tensor times a number", TupleOut(), (x,), lambda y: y[0].sum() + y[1].sum()),
        ("dict output", DictOut(), (x,), lambda y: y["a"].sum()),
        ("Identity", nn.Identity(), (x,), lambda y: y.sum()),
    ]


def _summary(grads):
    return [None if g is None else [list(g.shape), g.detach().numpy().ravel().tolist()] for g in grads]


def _backward_hooks(lib):
    """The hook's grad_input and grad_output for common modules, and the warnings of each call."""
    out = {}
    for name, module, inputs, loss in _hook_modules(lib):
        calls = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            handle = module.register_backward_hook(
                lambda m, gin, gout: calls.append([m is module, type(gin).__name__, _summary(gin), _summary(gout)]))
        registered = [[w.category.__name__, str(w.message)] for w in caught]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = module(*inputs)
        forward = [[w.category.__name__, str(w.message)] for w in caught]
        loss(y).backward()
        handle.remove()
        out[name] = {"registration warnings": registered, "forward warnings": forward, "calls": calls}
    return out


def test_backward_hook_arguments():
    _check("hooks/arguments", _backward_hooks, rtol=1e-10)


def _backward_hook_results(lib):
    """A hook's result replaces grad_input (mapped back through PyTorch's layout), checked as PyTorch checks it."""
    warnings.simplefilter("ignore", FutureWarning)
    lib.manual_seed(0)
    x = lib.randn(4, 3, dtype=lib.float64, requires_grad=True)
    out = {}
    for name, hook in [("scaled", lambda m, gin, gout: (gin[0] * 0, gin[1] * 2, gin[2] * 3)),
                       ("None for the bias", lambda m, gin, gout: (None, gin[1], gin[2])),
                       ("too few", lambda m, gin, gout: (gin[0],)),
                       ("not a tuple", lambda m, gin, gout: gin[0]),
                       ("a list", lambda m, gin, gout: list(gin)),
                       ("a changed size", lambda m, gin, gout: (gin[0], gin[1], lib.ones(5, dtype=lib.float64)))]:
        lin = lib.nn.Linear(3, 2).double()
        x.grad = None
        lin.register_backward_hook(hook)
        out[name] = _observe(lambda: lin(x).sum().backward() or [
            None if t.grad is None else t.grad.numpy().ravel().tolist() for t in (x, lin.weight, lin.bias)])
    x3 = lib.randn(2, 4, 3, dtype=lib.float64, requires_grad=True)
    lin = lib.nn.Linear(3, 2).double()
    lin.register_backward_hook(lambda m, gin, gout: (gin[0] * 2,))
    lin(x3).sum().backward()
    out["3-d input, product gradient doubled"] = [x3.grad.numpy().ravel().tolist(), lin.weight.grad.tolist(),
                                                  lin.bias.grad.tolist()]
    lin = lib.nn.Linear(3, 2)
    lin.register_backward_hook(lambda *a: None)
    out["then a full hook"] = _observe(lambda: lin.register_full_backward_hook(lambda *a: None))
    lin = lib.nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda *a: None)
    out["after a full hook"] = _observe(lambda: lin.register_backward_hook(lambda *a: None))
    lin = lib.nn.Linear(3, 2)
    calls = []
    lin.register_backward_hook(lambda *a: calls.append(1))
    with lib.no_grad():
        out["under no_grad"] = _observe(lambda: lin(x).requires_grad)
    out["calls"] = len(calls)
    return out


def test_backward_hook_results():
    with warnings.catch_warnings():
        _check("hooks/results", _backward_hook_results, rtol=1e-10)
