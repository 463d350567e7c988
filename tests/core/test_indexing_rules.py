"""PyTorch's indexing rules where they differ from NumPy's, compared with torch.

* integers (and 0-d integer tensors) are applied first, as selects, and then the advanced indices:
  ``zeros(3, 4, 5)[0, :, [1, 2]]`` is ``[4, 2]`` (NumPy: ``(2, 4)``);
* a list holding tensors, sequences, slices, None or Ellipsis is a tuple of indices; a uint8 tensor is a mask;
* an element ``x[i]``, ``x.select(0, i)``, iteration, ``diagonal()`` and ``unfold()`` are views: in-place
  writes through them reach the base.

Each expression runs on both libraries; values, gradients, writes and errors must be torch's.
"""
import warnings

import numpy as np
import pytest

import npgrad
from harness import error_of, libraries
from oracle import Golden, torch

golden = Golden("indexing_rules")

# (shape of x, expression of x and lib): a read of x
GETITEM = [
    ((3, 4, 5), "x[0, :, [1, 2]]"),
    ((2, 3, 4, 5), "x[1, :, [0, 1], 2]"),
    ((2, 3, 4, 5), "x[0, ..., [1, 2]]"),
    ((2, 3, 4, 5), "x[..., 0, [1, 2]]"),
    ((2, 3, 4, 5), "x[[0, 1], ..., [1, 2]]"),
    ((2, 3, 4, 5), "x[None, 0, None, [1, 2]]"),
    ((2, 3, 4, 5), "x[:, None, [0, 1], 0]"),
    ((2, 3, 4, 5), "x[[1, 0], None, [0, 2]]"),
    ((2, 3, 4, 5), "x[:, [0, 2], :, [1, 3]]"),
    ((2, 3, 4, 5), "x[0, [0, 2], :, [1, 3]]"),
    ((2, 3, 4, 5), "x[0, 1, [0, 3], 1:3]"),
    ((2, 3, 4, 5), "x[-1, -1, [-1, -2]]"),
    ((2, 3, 4, 5), "x[[[0, 1], [1, 0]], :, 0, [[1], [2]]]"),
    ((2, 3, 4, 5), "x[0, :, :, [4, 0, 4]]"),
    ((2, 3, 4, 5), "x[lib.tensor(1), :, lib.tensor([0, 1])]"),
    ((2, 3, 4, 5), "x[lib.tensor(1), lib.tensor([0, 2]), :, lib.tensor(3)]"),
    ((2, 3, 4, 5), "x[1, :, lib.tensor([True, False, True, True])]"),
    ((2, 3, 4, 5), "x[1, :, lib.tensor([True, False, True, False]), 2]"),
    ((2, 3, 4, 5), "x[0, lib.tensor([[True, False, True, True]] * 3)]"),
    ((2, 3, 4, 5), "x[lib.tensor([[True, False, True], [False, True, True]]), 1]"),
    ((2, 3, 4, 5), "x[:, lib.tensor([[True, False, True, True], [False] * 4, [True] * 4]), 0]"),
    ((2, 3, 4, 5), "x[None, lib.tensor([True, False]), ..., 3]"),
    ((2, 3, 4, 5), "x[0, True]"),
    ((2, 3, 4, 5), "x[0, False]"),
    ((2, 3, 4, 5), "x[True, [0, 1], 2]"),
    ((2, 3, 4, 5), "x[lib.tensor(True), 0]"),
    ((2, 3, 4, 5), "x[lib.tensor(1, dtype=lib.uint8), [0, 1]]"),
    ((2, 3, 4, 5), "x[lib.tensor([1, 0], dtype=lib.uint8), 0]"),
    ((2, 3, 4, 5), "x[0, :, lib.tensor([0, 1, 1, 0], dtype=lib.uint8)]"),
    ((2, 3, 4, 5), "x[1, 2]"),
    ((2, 3, 4, 5), "x[1, 2, 3, 4]"),
    ((2, 3, 4, 5), "x[..., 1]"),
    ((5,), "x[3]"),
    ((5,), "x[-1]"),
    ((5,), "x[lib.tensor(2)]"),
    ((5,), "x[lib.tensor([1, 0, 1, 0, 1], dtype=lib.uint8)]"),
    ((5,), "x[[1, True]]"),
    ((5,), "x[[0, 2]]"),
    ((5,), "x[[]]"),
    ((5,), "x[[0] * 32]"),
    ((3, 4), "x[[lib.tensor(0), lib.tensor(2)]]"),
    ((3, 4), "x[[lib.tensor([0, 1]), [1, 2]]]"),
    ((3, 4), "x[[[0, 1], [1, 2]]]"),
    ((3, 4), "x[[0, slice(1, 3)]]"),
    ((3, 4), "x[[None, 1]]"),
    ((3, 4), "x[[Ellipsis, 1]]"),
    ((3, 4), "x[[[]]]"),
    ((3, 4), "x[[True, False, True]]"),
    ((), "x[()]"),
    ((), "x[...]"),
    ((), "x[None]"),
    ((), "x[True]"),
    ((3, 4), "x.select(1, 2)"),
    ((3, 4), "x.select(0, -1)"),
    ((3, 4), "x.diagonal()"),
    ((3, 4), "x.diagonal(1)"),
    ((3, 4), "x.diagonal(-2)"),
    ((3, 4), "x.diagonal(5)"),
    ((3, 4, 5), "x.diagonal(1, 0, 2)"),
    ((3, 4, 5), "x.diagonal(-1, -1, 1)"),
    ((3, 4), "x.t().diagonal(1)"),
    ((7,), "x.unfold(0, 2, 1)"),
    ((7,), "x.unfold(0, 2, 3)"),
    ((7,), "x.unfold(0, 3, 2)"),
    ((7,), "x.unfold(0, 0, 2)"),
    ((7,), "x.unfold(-1, 7, 1)"),
    ((2, 7, 3), "x.unfold(1, 3, 2)"),
    ((2, 7, 3), "x.unfold(2, 2, 1)"),
    ((2, 7, 3), "x.unfold(0, 1, 1)"),
    ((2, 7, 3), "x.transpose(0, 1).unfold(0, 4, 3)"),
    ((2, 7, 3), "x[:, 1:].unfold(1, 2, 2)[0]"),
    ((), "x.unfold(0, 1, 1)"),
    ((), "x.unfold(0, 0, 1)"),
    ((0,), "x.unfold(0, 0, 1)"),
]


def _read(lib, shape, expr, dtype):
    """The expression's value and dtype, the gradient of a weighted sum of it, and the base after the result
    is written in place (changed where the result is a view)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn = eval(f"lambda x, lib: {expr}")
        n = int(np.prod(shape))
        x = lib.arange(float(n), dtype=dtype).reshape(shape).requires_grad_()
        y = fn(x, lib)
        w = lib.arange(1.0, y.numel() + 1.0, dtype=dtype).reshape(y.shape)
        (y * w).sum().backward()
        base = lib.arange(float(n), dtype=dtype).reshape(shape)
        fn(base, lib).fill_(-7)
    return {"shape": list(y.shape), "dtype": str(y.dtype).split(".")[-1], "value": y.detach().tolist(),
            "grad": x.grad.tolist(), "base_after_write": base.tolist()}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,expr", GETITEM, ids=[e for _, e in GETITEM])
def test_read_matches_torch(shape, expr, dtype):
    ref = golden.json(f"read/{dtype}/{shape}/{expr}", lambda: _read(torch, shape, expr, getattr(torch, dtype)))
    assert _read(npgrad, shape, expr, getattr(npgrad, dtype)) == ref


# reads whose gradient is checked numerically, and twice differentiated
GRADCHECK = ["x[0, :, [1, 2]]", "x[None, 1, None, [1, 0], 1:3]", "x[:, lib.tensor([True, False, True]), 2]",
             "x[[0, 0, 1], ..., [1, 1, 3]]", "x.diagonal(1, 1, 2)", "x.unfold(2, 2, 1)", "x.unfold(1, 2, 1)[1]",
             "x[1].unfold(0, 2, 1).diagonal()", "x[0, 1, 2]"]


@pytest.mark.parametrize("expr", GRADCHECK)
def test_gradcheck(expr):
    fn = eval(f"lambda x, lib: {expr}")
    x = npgrad.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    assert npgrad.autograd.gradcheck(lambda t: fn(t, npgrad) ** 2, [x])
    assert npgrad.autograd.gradgradcheck(lambda t: fn(t, npgrad) ** 2, [x])


def _second_derivative(lib, expr):
    """The gradient at x of the sum of (d/dx sum(f(x)^3))^2, with f the expression: a recorded backward."""
    fn = eval(f"lambda x, lib: {expr}")
    x = lib.tensor(np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4), requires_grad=True)
    (g,) = lib.autograd.grad((fn(x, lib) ** 3).sum(), x, create_graph=True)
    (g ** 2).sum().backward()
    return x.grad.tolist()


@pytest.mark.parametrize("expr", GRADCHECK)
def test_second_derivative_matches_torch(expr):
    ref = golden.json(f"second/{expr}", lambda: _second_derivative(torch, expr))
    np.testing.assert_allclose(_second_derivative(npgrad, expr), ref, rtol=1e-12, atol=1e-14)


def test_strides_of_views_match_torch():
    def strides(lib):
        x = lib.zeros(2, 7, 3)
        return [list(v.stride()) for v in (x.unfold(1, 3, 2), x.unfold(2, 2, 1), x.diagonal(0, 0, 2),
                                           x.diagonal(1, 2, 1), x.transpose(0, 1).unfold(0, 4, 3), x[1, 2, 0])]
    assert strides(npgrad) == golden.json("strides", lambda: strides(torch))


# (shape of x, index, value): a write x[index] = value into zeros
SETITEM = [
    ((2, 3, 4), "0, :, [1, 2]", "lib.arange(6.).reshape(3, 2)"),
    ((2, 3, 4), "0, :, [1, 2]", "lib.arange(6.).reshape(1, 3, 2)"),
    ((2, 3, 4), "0, :, [1, 2]", "lib.arange(2.)"),
    ((2, 3, 4), "0, :, [1, 2]", "5.0"),
    ((2, 3, 4), ":, 0, [1, 2]", "lib.arange(4.).reshape(2, 2)"),
    ((2, 3, 4), "[0, 1], :, 0", "lib.arange(6.).reshape(2, 3)"),
    ((2, 3, 4), "0, [0, 1], 1", "lib.arange(2.) + 1"),
    ((2, 3, 4), "None, 1, None, [2, 0]", "lib.arange(8.).reshape(1, 1, 2, 4)"),
    ((2, 3, 4), "lib.tensor([True, False]), 1", "lib.arange(4.) + 1"),
    ((2, 3, 4), "1, lib.tensor([True, False, True])", "lib.arange(8.).reshape(2, 4)"),
    ((2, 3, 4), "lib.tensor(1), :, lib.tensor([3, 1])", "lib.arange(6.).reshape(3, 2)"),
    ((2, 3, 4), "0, True", "lib.arange(12.).reshape(1, 3, 4)"),
    ((2, 3, 4), "lib.tensor([1, 0], dtype=lib.uint8)", "lib.arange(12.).reshape(3, 4)"),
    ((2, 3, 4), "[lib.tensor(0), lib.tensor(2)]", "7.0"),
    ((2, 3, 4), "[[0, 1], [1, 2]]", "lib.arange(8.).reshape(2, 4)"),
    ((2, 3, 4), "[0, 1]", "lib.arange(4.)"),
    ((2, 3, 4), "[0, 0], [1, 1], [2, 3]", "lib.arange(2.) + 1"),
    ((2, 3, 4), "1, 2, 3", "9.0"),
]


def _write(lib, shape, index, value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = lib.zeros(shape)
        exec(f"x[{index}] = v", {"x": x, "v": eval(value, {"lib": lib}), "lib": lib})
    return x.tolist()


@pytest.mark.parametrize("shape,index,value", SETITEM, ids=[f"{i}={v}" for _, i, v in SETITEM])
def test_write_matches_torch(shape, index, value):
    ref = golden.json(f"write/{index}={value}", lambda: _write(torch, shape, index, value))
    assert _write(npgrad, shape, index, value) == ref


def _write_grads(lib, shape, index, value):
    """Gradients through out[index] = v (out a function of x): x's where out keeps it, v's where it lands."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = int(np.prod(shape))
        x = lib.arange(float(n), dtype=lib.float64).reshape(shape).requires_grad_()
        v = eval(value, {"lib": lib})
        v = (v if isinstance(v, lib.Tensor) else lib.tensor(v)).double().requires_grad_()
        out = x * 1
        exec(f"out[{index}] = v * 2", {"out": out, "v": v, "lib": lib})
        (out * lib.arange(1.0, n + 1.0, dtype=lib.float64).reshape(shape)).sum().backward()
    return {"out": out.tolist(), "x": x.grad.tolist(), "v": v.grad.tolist()}


@pytest.mark.parametrize("shape,index,value", SETITEM, ids=[f"{i}={v}" for _, i, v in SETITEM])
def test_write_gradients_match_torch(shape, index, value):
    ref = golden.json(f"write_grads/{index}={value}", lambda: _write_grads(torch, shape, index, value))
    assert _write_grads(npgrad, shape, index, value) == ref


def _second_derivative_of_a_write(lib):
    """Gradients of the squared gradients through out[0, :, [1, 2]] = v ** 3 (a recorded backward of a write)."""
    x = lib.tensor(np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4), requires_grad=True)
    v = lib.tensor(np.linspace(0.5, 2.0, 6).reshape(3, 2), requires_grad=True)
    out = x * x
    out[0, :, [1, 2]] = v ** 3
    gx, gv = lib.autograd.grad((out ** 2).sum(), (x, v), create_graph=True)
    ((gx ** 2).sum() + (gv ** 2).sum()).backward()
    return [x.grad.tolist(), v.grad.tolist()]


def test_second_derivative_of_a_write_matches_torch():
    ref = golden.json("second/write", lambda: _second_derivative_of_a_write(torch))
    np.testing.assert_allclose(_second_derivative_of_a_write(npgrad)[0], ref[0], rtol=1e-12)
    np.testing.assert_allclose(_second_derivative_of_a_write(npgrad)[1], ref[1], rtol=1e-12)


def _index_puts(lib):
    out = []
    for accumulate in (False, True):
        x = lib.zeros(3, 4, dtype=lib.float64, requires_grad=True)
        v = lib.arange(1.0, 4.0, dtype=lib.float64, requires_grad=True)
        idx = (lib.tensor(1), lib.tensor([0, 2, 2]))   # all index tensors, the 0-d one broadcast
        y = x.index_put(idx, v, accumulate=accumulate)
        (y * lib.arange(12.0, dtype=lib.float64).reshape(3, 4)).sum().backward()
        z = lib.zeros(3, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.index_put_((lib.tensor([1, 0, 1], dtype=lib.uint8),), lib.arange(4.0), accumulate=accumulate)
        out.append({"y": y.tolist(), "x": x.grad.tolist(), "v": v.grad.tolist(), "uint8": z.tolist()})
    return out


def test_index_put_matches_torch():
    assert _index_puts(npgrad) == golden.json("index_put", lambda: _index_puts(torch))


# (name, program): code run on both libraries; what it leaves in ``out`` is compared
PROGRAMS = [
    ("iterate and add_", "x = lib.zeros(4)\nfor v in x: v.add_(1)\nout = x"),
    ("nested iteration", "x = lib.zeros(2, 3)\nfor row in x:\n    for v in row: v.fill_(2)\nout = x"),
    ("element fill_ and add_", "x = lib.zeros(2, 2); x[1, 1].fill_(5); x[0][1].add_(3); out = x"),
    ("element +=", "x = lib.zeros(3); e = x[1]; e += 4; out = x"),
    ("0-d tensor index and select", "x = lib.zeros(3); x[lib.tensor(2)].fill_(1); x.select(0, 0).fill_(7); out = x"),
    ("unbind", "x = lib.zeros(3); x.unbind()[1].fill_(9); out = x"),
    ("element sees later writes", "x = lib.arange(4.); y = x[2]; x[2] = 100; out = [y, x[1, ...]]"),
    ("element sees mul_", "x = lib.arange(4.); y = x[2]; x.mul_(0); out = y"),
    ("element of 2-d", "x = lib.arange(4.).reshape(2, 2); v = x[1, 0]; x.zero_(); out = v"),
    ("element copy_", "x = lib.zeros(3); x[0].copy_(lib.tensor(4.)); out = x"),
    ("diagonal fill_", "x = lib.zeros(3, 3); x.diagonal().fill_(1); out = x"),
    ("diagonal add_ eps", "K = lib.ones(2, 2); K.diagonal().add_(0.5); out = K"),
    ("off-diagonals", "x = lib.zeros(3, 4); x.diagonal(1).fill_(2); x.diagonal(-1).fill_(3); out = x"),
    ("batched diagonal", "x = lib.zeros(2, 3, 3); x.diagonal(0, -2, -1).add_(lib.tensor([1., 2., 3.])); out = x"),
    ("diagonal of a view", "x = lib.zeros(3, 4); x[:, 1:].diagonal().fill_(6); out = x"),
    ("diagonal sees writes", "x = lib.zeros(3, 3); d = x.diagonal(); x.fill_(2); out = d"),
    ("diag is a copy", "x = lib.zeros(3, 3); lib.diag(x).fill_(1); out = x"),
    ("unfold element fill_", "x = lib.zeros(6); x.unfold(0, 2, 2)[0].fill_(1); out = x"),
    ("overlapping windows", "x = lib.zeros(5); x.unfold(0, 3, 1)[1].add_(1); out = x"),
    ("unfold of 3-d", "x = lib.zeros(2, 5, 2); x.unfold(1, 2, 2)[1, 1].fill_(4); out = x"),
    ("unfold sees writes", "x = lib.zeros(4); u = x.unfold(0, 2, 1); x[2] = 3; out = u"),
    ("no_grad write through diagonal", "w = lib.ones(2, 2, requires_grad=True)\nwith lib.no_grad():\n"
                                       "    w.diagonal().mul_(3)\nout = w.detach()"),
    ("advanced index is a copy", "x = lib.zeros(2, 3); x[0, [1, 2]].fill_(1); x[[0], 1].fill_(1); out = x"),
]


def _run(lib, code):
    scope = {"lib": lib}
    exec(code, scope)
    out = scope["out"]
    return [t.tolist() for t in out] if isinstance(out, list) else out.tolist()


@pytest.mark.parametrize("name,code", PROGRAMS, ids=[n for n, _ in PROGRAMS])
def test_programs_match_torch(name, code):
    assert _run(npgrad, code) == golden.json(f"program/{name}", lambda: _run(torch, code))


# (name, program) where a saved value is overwritten through a view before backward: torch's error
MODIFIED_THROUGH_VIEW = [
    ("element", "a = lib.arange(3.); y = x * a; a[1].fill_(5)"),
    ("iterated element", "a = lib.arange(3.); y = x * a\nfor e in a: e.add_(1)"),
    ("diagonal", "d = lib.ones(3, 3); y = x * d.diagonal(); d.mul_(2)"),
    ("diagonal written", "d = lib.ones(3, 3); y = x * d.diagonal(); d.diagonal().mul_(2)"),
    ("unfold", "a = lib.arange(6.); y = x.sum() * a.unfold(0, 2, 2); a.add_(1)"),
    ("unfold written", "a = lib.arange(6.); y = x.sum() * a; a.unfold(0, 2, 2)[1].zero_()"),
]


def _modified(lib, code):
    x = lib.ones(3, requires_grad=True)
    scope = {"lib": lib, "x": x}
    exec(code, scope)
    return error_of(lib, lambda lib: scope["y"].sum().backward(), lambda m: m[:88])


@pytest.mark.parametrize("name,code", MODIFIED_THROUGH_VIEW, ids=[n for n, _ in MODIFIED_THROUGH_VIEW])
def test_writes_through_views_count_for_the_base(name, code):
    got = _modified(npgrad, code)
    assert got == golden.json(f"modified/{name}", lambda: _modified(torch, code))
    assert got[0] == "RuntimeError"


# (name, call of lib): errors, their type and wording
ERRORS = [
    ("value shape in torch's layout", lambda lib: lib.zeros(2, 3, 4).__setitem__((0, slice(None), [1, 2]),
                                                                               lib.ones(2, 3))),
    ("indices do not broadcast", lambda lib: lib.zeros(2, 3, 4)[[0, 1], [0, 1, 2]]),
    ("mask with indices that do not broadcast", lambda lib: lib.zeros(2, 3, 4)[lib.ones(2, 3).bool(), [0, 1]]),
    ("False with an index", lambda lib: lib.zeros(3, 4)[0, False, [0, 1]]),
    ("index out of bounds after a select", lambda lib: lib.zeros(2, 3, 4)[0, [5]]),
    ("index out of bounds after None", lambda lib: lib.zeros(2, 3, 4)[None, 0, :, [7]]),
    ("third index out of bounds", lambda lib: lib.zeros(2, 3, 4)[[1], [0], [9]]),
    ("mask after a mask", lambda lib: lib.zeros(2, 3, 4)[lib.ones(2, 3).bool(), [9]]),
    ("int out of bounds", lambda lib: lib.zeros(2, 3, 4)[None, 0, 5]),
    ("0-d int tensor out of bounds", lambda lib: lib.zeros(2, 3, 4)[..., lib.tensor(7)]),
    ("mask after a select", lambda lib: lib.zeros(2, 3, 4)[[True, False, True], 0]),
    ("mask of the wrong size", lambda lib: lib.zeros(2, 3, 4)[:, :, [True, False, True]]),
    ("list of tensors is a tuple", lambda lib: lib.arange(5)[[lib.tensor(0), lib.tensor(2)]]),
    ("float index", lambda lib: lib.arange(5)[lib.tensor([0.5])]),
    ("int into a 0-d tensor", lambda lib: lib.tensor(5.0)[0]),
    ("slice of a 0-d tensor", lambda lib: lib.tensor(5.0)[0:1]),
    ("0-d tensor index into a 0-d tensor", lambda lib: lib.tensor(5.0)[lib.tensor(0)]),
    ("too many indices", lambda lib: lib.zeros(2, 3)[0, 1, [0]]),
    ("select of a 0-d tensor", lambda lib: lib.tensor(5.0).select(0, 0)),
    ("select out of range", lambda lib: lib.zeros(2, 3).select(1, 3)),
    ("select out of range below", lambda lib: lib.zeros(2, 3).select(1, -4)),
    ("uint8 mask filled with a number", lambda lib: lib.zeros(3, 4).__setitem__(
        lib.tensor([1, 0, 1], dtype=lib.uint8), 7.0)),
    ("uint8 mask after a select filled", lambda lib: lib.zeros(3, 4).__setitem__(
        (0, lib.tensor([1, 0, 1, 1], dtype=lib.uint8)), lib.tensor(7.0))),
    ("index_put_ of a uint8 mask and one value", lambda lib: lib.zeros(3, 4).index_put_(
        (lib.tensor([[1, 0, 1, 0]] * 3, dtype=lib.uint8),), lib.tensor(1.0))),
    ("unfold larger than the dim", lambda lib: lib.zeros(4).unfold(0, 5, 1)),
    ("unfold step 0", lambda lib: lib.zeros(4).unfold(0, 2, 0)),
    ("unfold negative size", lambda lib: lib.zeros(4).unfold(0, -1, 1)),
    ("unfold dim out of range", lambda lib: lib.zeros(4).unfold(1, 2, 1)),
    ("unfold of a 0-d tensor too large", lambda lib: lib.tensor(3.0).unfold(0, 2, 1)),
    ("leaf diagonal written", lambda lib: lib.ones(3, 3, requires_grad=True).diagonal().fill_(1)),
    ("leaf unfold written", lambda lib: lib.ones(4, requires_grad=True).unfold(0, 2, 1).fill_(1)),
    ("leaf element written", lambda lib: lib.ones(3, requires_grad=True)[0].fill_(1)),
    ("leaf written at int and index", lambda lib: lib.ones(2, 3, requires_grad=True).__setitem__(
        (0, [1, 2]), 1.0)),
]


def _error(lib, call):
    return error_of(lib, call, lambda m: m.split(" (Triggered internally")[0])


@pytest.mark.parametrize("name,call", ERRORS, ids=[n for n, _ in ERRORS])
def test_errors_match_torch(name, call):
    got = _error(npgrad, call)
    assert got == golden.json(f"error/{name}", lambda: _error(torch, call))
    assert got[0] != "no error"


def test_in_place_on_a_view_of_a_graph_tensor_is_refused():
    """PyTorch rebases the graph; npgrad says clearly that it does not (never a wrong gradient)."""
    h = npgrad.ones(3, 3, requires_grad=True) * 2
    for view in (lambda: h.diagonal(), lambda: h.unfold(0, 2, 1), lambda: h[1, 1], lambda: h.select(0, 2)):
        with pytest.raises(RuntimeError, match="in-place operation on a view"):
            view().fill_(1)


# (name, call of lib): PyTorch's deprecation warnings
WARNINGS = [
    ("uint8 mask", lambda lib: lib.arange(4)[lib.tensor([1, 0, 1, 0], dtype=lib.uint8)]),
    ("uint8 mask in index_put_", lambda lib: lib.zeros(2, 3).index_put_((lib.tensor([1, 0], dtype=lib.uint8),),
                                                                        lib.arange(3.0))),
    ("list as a tuple", lambda lib: lib.arange(4)[[[0, 2]]]),
    ("list with None", lambda lib: lib.zeros(2, 3)[[None, 1]]),
    ("no warning: list of ints", lambda lib: lib.arange(4)[[0, 2]]),
    ("no warning: 0-d uint8", lambda lib: lib.arange(4)[lib.tensor(1, dtype=lib.uint8)]),
]


def _warnings(lib, call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(lib)
    return [[w.category.__name__, str(w.message).split(" (Triggered internally")[0]] for w in caught]


@pytest.mark.parametrize("name,call", WARNINGS, ids=[n for n, _ in WARNINGS])
def test_warnings_match_torch(name, call):
    assert _warnings(npgrad, call) == golden.json(f"warning/{name}", lambda: _warnings(torch, call))


def test_both_libraries_agree_on_a_training_idiom():
    """K.diagonal().add_(eps) on a no-grad kernel matrix, then a solve: the jitter must be there."""
    for lib in libraries():
        K = lib.ones(3, 3, dtype=lib.float64)
        K.diagonal().add_(1e-1)
        assert float(K.trace()) == pytest.approx(3.3)
        assert float(lib.linalg.det(K)) == pytest.approx(0.31 * 0.1, rel=1e-9)

