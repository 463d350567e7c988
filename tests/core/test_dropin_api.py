"""PyTorch's API details that programs use as they are: ``out=`` on the functions that take it, the keyword names
PyTorch accepts (``dims=``, ``shape=``, NumPy's ``axis=`` / ``keepdims=``), the typed tensor classes
(``FloatTensor`` ...), ``layout``, the constants, ``_version`` / ``_base`` and ``Size`` arithmetic.

Each case runs the same code on npgrad and on torch and compares what comes back: values, dtypes and shapes,
whether ``out`` itself is returned, the warnings and the exceptions (type and message).
"""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("dropin_api")


def x(L):
    return L.tensor([[0.5, 1.5, 2.5], [3.5, 0.25, 1.0]])


def xi(L):
    return L.tensor([[1, 2, 3], [3, 0, 1]])


def e(L, *shape, dtype=None):
    """An out tensor: ``e(L)`` is empty, ``e(L, 3)`` holds three elements."""
    return L.zeros(*shape, dtype=dtype) if shape else L.empty(0, dtype=dtype)


def _describe(L, value):
    """``value`` as JSON: tensors as dtype, shape and values; tuples as lists; numbers as they are."""
    if isinstance(value, L.Tensor):
        return {"dtype": str(value.dtype).split(".")[-1], "shape": list(value.shape),
                "values": value.detach().double().tolist() if value.dtype != L.bool else value.tolist()}
    if isinstance(value, (tuple, list)):
        return [_describe(L, v) for v in value]
    if isinstance(value, L.dtype) or type(value).__name__ in ("layout", "tensortype"):
        return re.sub(r"^(torch|npgrad)\.", "", str(value)).replace("<class 'torch.", "<class '")\
            .replace("<class 'npgrad.", "<class '")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def run(L, fn):
    """What ``fn(L)`` gives: its result described, the warnings it raised, or its exception (type, first line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = {"result": _describe(L, fn(L))}
        except Exception as exc:  # noqa: BLE001  (the exception is what is compared)
            out = {"error": [type(exc).__name__, str(exc).split("\n")[0]]}
    out["warnings"] = [re.sub(r" \(Triggered internally at .*\)$", "", str(w.message)) for w in caught
                       if issubclass(w.category, UserWarning)]
    return out


def same(a, b, path="result"):
    """``a`` equals ``b``, floats to float32 accuracy."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{path}: {a.keys()} != {b.keys()}"
        for k in a:
            same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {a} != {b}"
        for i, (u, v) in enumerate(zip(a, b)):
            same(u, v, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), f"{path}: {a!r} != {b!r}"
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-7, err_msg=path)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def check(key, fn):
    expected = golden.json(key, lambda: run(torch, fn))
    same(run(npgrad, fn), expected)


# --------------------------------------------------------------------------- out=
def _returns_out(f, *args, out, **kwargs):
    """``[out after the call, whether the call returned out itself]``."""
    r = f(*args, out=out, **kwargs)
    if isinstance(out, tuple):
        return [list(out), isinstance(r, tuple) and all(a is b for a, b in zip(r, out)), list(r)]
    return [out, r is out]


def _o(name, *args, **kwargs):
    """A case: ``torch.<name>(*args(L), out=<out(L)>, **kwargs)``; ``args`` and ``out`` take the library."""
    *build, out = args
    return lambda L: _returns_out(getattr(L, name), *[a(L) if callable(a) else a for a in build], out=out(L),
                                  **kwargs)


def _pair(L, dtype=None, idx=None):
    return (e(L, dtype=dtype), e(L, dtype=L.long if idx is None else idx))


OUT_CASES = {
    # the tutorial's
    "matmul": _o("matmul", x, lambda L: x(L).T, e),
    "mul": _o("mul", x, x, e),
    "mul/same_shape": _o("mul", x, x, lambda L: e(L, 2, 3)),
    "mul/resized_warns": _o("mul", x, x, lambda L: e(L, 4)),
    "mul/view_of_out": lambda L: (lambda base: [_returns_out(L.mul, x(L)[0], 2.0, out=base[1]), base])(e(L, 2, 3)),
    "mul/float64_out": _o("mul", x, x, lambda L: e(L, dtype=L.float64)),
    "mul/long_out": _o("mul", x, x, lambda L: e(L, dtype=L.long)),
    "mul/int_into_float": _o("mul", xi, xi, e),
    "mul/int_into_bool": _o("mul", xi, xi, lambda L: e(L, dtype=L.bool)),
    "add": _o("add", x, 1.0, e),
    "add/alpha": _o("add", x, x, lambda L: e(L, 2, 3), alpha=2),
    "add/int_float_scalar_into_long": _o("add", xi, 1.5, lambda L: e(L, dtype=L.long)),
    "add/into_float16": _o("add", x, x, lambda L: e(L, dtype=L.float16)),
    "add/input_keywords": lambda L: _returns_out(L.add, input=x(L), other=x(L), out=e(L)),
    "sub": _o("sub", x, x, e),
    "subtract": _o("subtract", x, 1.0, e),
    "div": _o("div", x, 2.0, e),
    "div/int_into_long": _o("div", xi, xi, lambda L: e(L, dtype=L.long)),
    "div/floor_into_long": _o("div", xi, 2, lambda L: e(L, dtype=L.long), rounding_mode="floor"),
    "true_divide": _o("true_divide", x, 2.0, e),
    "exp": _o("exp", x, e),
    "exp/into_input": lambda L: (lambda t: [_returns_out(L.exp, t, out=t), t])(x(L)),
    "exp/int_into_long": _o("exp", xi, lambda L: e(L, dtype=L.long)),
    "sqrt": _o("sqrt", x, e),
    "sqrt/int_input": _o("sqrt", xi, e),
    "sin": _o("sin", x, lambda L: e(L, dtype=L.float64)),
    "abs": _o("abs", x, e),
    "abs/other_dtype": _o("abs", x, lambda L: e(L, dtype=L.float64)),
    "abs/int_into_float": _o("abs", xi, e),
    "neg/int_into_float": _o("neg", xi, e),
    "floor/into_float64": _o("floor", x, lambda L: e(L, dtype=L.float64)),
    "clamp": _o("clamp", x, 1.0, 2.0, e),
    "clamp/other_dtype": _o("clamp", x, 1.0, None, lambda L: e(L, dtype=L.float64)),
    "clamp/tensor_bounds": _o("clamp", x, lambda L: L.ones(3), None, lambda L: e(L, dtype=L.float64)),
    "clip": _o("clip", x, 1.0, 2.0, e),
    "pow": _o("pow", x, 2, e),
    "maximum": _o("maximum", x, lambda L: L.ones(3), e),
    "eq/bool": _o("eq", x, 1.5, lambda L: e(L, dtype=L.bool)),
    "eq/into_float": _o("eq", x, 1.5, e),
    "gt/into_long": _o("gt", x, 1.0, lambda L: e(L, dtype=L.long)),
    "logical_and": _o("logical_and", x, x, lambda L: e(L, dtype=L.bool)),
    "where": _o("where", lambda L: x(L) > 1, x, lambda L: L.zeros(2, 3), e),
    "where/other_dtype": _o("where", lambda L: x(L) > 1, x, lambda L: L.zeros(2, 3),
                            lambda L: e(L, dtype=L.float64)),
    "lerp": _o("lerp", x, lambda L: L.ones(2, 3), 0.25, e),
    "addcmul": _o("addcmul", x, x, x, e, value=0.5),
    "sigmoid": _o("sigmoid", x, e),
    "tanh": _o("tanh", x, e),
    "nan_to_num/other_dtype": _o("nan_to_num", x, lambda L: e(L, dtype=L.float64)),
    # reductions
    "sum": _o("sum", x, 0, e),
    "sum/keepdim": _o("sum", x, 1, True, e),
    "sum/float_into_long": _o("sum", x, 0, lambda L: e(L, dtype=L.long)),
    "sum/int_into_float": _o("sum", xi, 1, e),
    "sum/resized_warns": _o("sum", x, 0, lambda L: e(L, 2)),
    "mean": _o("mean", x, 1, e),
    "mean/into_long": _o("mean", x, 1, lambda L: e(L, dtype=L.long)),
    "mean/into_float64": _o("mean", x, 1, lambda L: e(L, dtype=L.float64)),
    "prod": _o("prod", x, 1, e),
    "std": _o("std", x, 1, e),
    "var": _o("var", x, 0, e),
    "amax": _o("amax", x, 1, e),
    "amax/other_dtype": _o("amax", x, 1, lambda L: e(L, dtype=L.float64)),
    "argmax": _o("argmax", x, lambda L: e(L, dtype=L.long)),
    "argmax/dim": _o("argmax", x, 1, lambda L: e(L, dtype=L.long)),
    "argmax/float_out": _o("argmax", x, lambda L: e(L)),
    "argmin/int32_out": _o("argmin", x, 0, lambda L: e(L, dtype=L.int32)),
    "all": _o("all", x, 1, lambda L: e(L, dtype=L.bool)),
    "all/float_out": _o("all", x, 1, e),
    "any": _o("any", x, 0, lambda L: e(L, dtype=L.bool)),
    "logsumexp": _o("logsumexp", x, 1, e),
    "logsumexp/float64_out": _o("logsumexp", x, 1, lambda L: e(L, dtype=L.float64)),
    "logsumexp/long_out": _o("logsumexp", x, 1, lambda L: e(L, dtype=L.long)),
    "norm": _o("norm", x, e),
    "max/all": _o("max", x, e),
    "max/all_float64": _o("max", x, lambda L: e(L, dtype=L.float64)),
    "max/all_into_long": _o("max", x, lambda L: e(L, dtype=L.long)),
    "max/other": _o("max", x, lambda L: L.ones(3), e),
    "max/dim": lambda L: _returns_out(L.max, x(L), 1, out=_pair(L)),
    "max/dim_keepdim": lambda L: _returns_out(L.max, x(L), 1, keepdim=True, out=_pair(L)),
    "max/dim_values_float64": lambda L: _returns_out(L.max, x(L), 1, out=_pair(L, L.float64)),
    "min/dim_indices_float": lambda L: _returns_out(L.min, x(L), 1, out=_pair(L, idx=L.float32)),
    "min/all": _o("min", x, e),
    "cumsum": _o("cumsum", x, 1, e),
    "cumsum/float_into_long": _o("cumsum", x, 1, lambda L: e(L, dtype=L.long)),
    "cumsum/int_into_float": _o("cumsum", xi, 0, e),
    "cumprod": _o("cumprod", x, 0, e),
    "softmax": _o("softmax", x, 1, e),
    "softmax/float64_out": _o("softmax", x, 1, lambda L: e(L, dtype=L.float64)),
    # sorting, selection
    "sort": lambda L: _returns_out(L.sort, x(L), out=_pair(L)),
    "sort/descending": lambda L: _returns_out(L.sort, x(L), 0, True, out=_pair(L)),
    "sort/list_out": lambda L: (lambda o: [L.sort(x(L), out=o).values is o[0], o])([e(L), e(L, dtype=L.long)]),
    "sort/resized_warns": lambda L: _returns_out(L.sort, x(L), out=(e(L, 2), e(L, 2, dtype=L.long))),
    "sort/float64_values": lambda L: _returns_out(L.sort, x(L), out=_pair(L, L.float64)),
    "sort/float_indices": lambda L: _returns_out(L.sort, x(L), out=_pair(L, idx=L.float32)),
    "sort/tensor_out": _o("sort", x, e),
    "sort/return_type": lambda L: [type(L.sort(x(L), out=_pair(L))).__name__, L.sort(x(L), out=_pair(L))._fields
                                   if hasattr(L.sort(x(L)), "_fields") else ("values", "indices")],
    "sort/one_out": lambda L: L.sort(x(L), out=(e(L),)),
    "topk": lambda L: _returns_out(L.topk, x(L), 2, out=_pair(L)),
    "topk/smallest": lambda L: _returns_out(L.topk, x(L), 1, 0, False, out=_pair(L)),
    "kthvalue": lambda L: _returns_out(L.kthvalue, x(L), 2, out=_pair(L)),
    "kthvalue/float64_values": lambda L: _returns_out(L.kthvalue, x(L), 2, out=_pair(L, L.float64)),
    "median/dim": lambda L: _returns_out(L.median, x(L), 1, out=_pair(L)),
    "mode/float_indices": lambda L: _returns_out(L.mode, x(L), 1, out=_pair(L, idx=L.float32)),
    "cummax": lambda L: _returns_out(L.cummax, x(L), 1, out=_pair(L)),
    "aminmax": lambda L: _returns_out(L.aminmax, x(L), out=(e(L), e(L))),
    "argsort": _o("argsort", x, lambda L: e(L, dtype=L.long), stable=True),
    "gather": _o("gather", x, 1, lambda L: L.tensor([[0], [2]]), e),
    "index_select": _o("index_select", x, 1, lambda L: L.tensor([2, 0]), e),
    "index_select/other_dtype": _o("index_select", x, 1, lambda L: L.tensor([2, 0]),
                                   lambda L: e(L, dtype=L.float64)),
    "masked_select": _o("masked_select", x, lambda L: x(L) > 1, e),
    "take": _o("take", x, lambda L: L.tensor([5, 0]), e),
    "nonzero": _o("nonzero", x, lambda L: e(L, dtype=L.long)),
    "nonzero/float_out": _o("nonzero", x, e),
    "isin": _o("isin", x, lambda L: L.tensor([1.5, 3.5]), lambda L: e(L, dtype=L.bool)),
    # joining, products
    "cat": _o("cat", lambda L: [x(L), x(L)], e),
    "cat/dim": _o("cat", lambda L: [x(L), x(L)], 1, e),
    "cat/resized_warns": _o("cat", lambda L: [x(L)], lambda L: e(L, 3)),
    "cat/into_long": _o("cat", lambda L: [x(L)], lambda L: e(L, dtype=L.long)),
    "cat/int_into_float": _o("cat", lambda L: [xi(L), xi(L)], e),
    "concat": _o("concat", lambda L: [x(L), x(L)], e),
    "stack": _o("stack", lambda L: [x(L), x(L)], 1, e),
    "hstack": _o("hstack", lambda L: [x(L), x(L)], e),
    "vstack": _o("vstack", lambda L: [x(L), x(L)], e),
    "mm": _o("mm", x, lambda L: x(L).T, e),
    "mm/float64_out": _o("mm", x, lambda L: x(L).T, lambda L: e(L, dtype=L.float64)),
    "bmm": _o("bmm", lambda L: x(L)[None], lambda L: x(L).T[None], e),
    "mv": _o("mv", x, lambda L: L.ones(3), e),
    "dot": _o("dot", lambda L: x(L)[0], lambda L: x(L)[1], e),
    "dot/other_dtype": _o("dot", lambda L: x(L)[0], lambda L: x(L)[1], lambda L: e(L, dtype=L.float64)),
    "outer": _o("outer", lambda L: x(L)[0], lambda L: x(L)[1], e),
    "addmm": _o("addmm", lambda L: L.ones(2, 2), x, lambda L: x(L).T, e),
    "kron": _o("kron", x, x, e),
    "tensordot": _o("tensordot", x, x, 2, e),
    "tril": _o("tril", x, e),
    "diff": _o("diff", x, e),
    "cross": _o("cross", lambda L: L.ones(3), lambda L: L.tensor([1.0, 2.0, 3.0]), e, dim=0),
    "searchsorted": _o("searchsorted", lambda L: L.tensor([1.0, 2.0]), x, lambda L: e(L, dtype=L.long)),
    "histc": _o("histc", x, e, bins=4),
    "frexp": lambda L: _returns_out(L.frexp, x(L), out=(e(L), e(L, dtype=L.int32))),
    "addr/float64_out": _o("addr", x, lambda L: L.ones(2), lambda L: L.ones(3), lambda L: e(L, dtype=L.float64)),
    "addmv/float64_out": _o("addmv", lambda L: L.ones(2), x, lambda L: L.ones(3), lambda L: e(L, dtype=L.float64)),
    "expand_copy": _o("expand_copy", lambda L: x(L)[:1], (2, 3), e),
    "t_copy/float64_out": _o("t_copy", x, lambda L: e(L, dtype=L.float64)),
    "narrow_copy/float64_out": _o("narrow_copy", x, 0, 0, 1, lambda L: e(L, dtype=L.float64)),
    # creation
    "zeros": _o("zeros", 2, 3, lambda L: e(L, 3)),
    "zeros/long_out": _o("zeros", 2, lambda L: e(L, 5, dtype=L.long)),
    "zeros/dtype_mismatch": lambda L: L.zeros(2, out=e(L), dtype=L.float64),
    "zeros/same_dtype_given": lambda L: _returns_out(L.zeros, 2, out=e(L), dtype=L.float32),
    "ones": _o("ones", 2, 2, e),
    "empty/shape": lambda L: list(L.empty(2, 3, out=e(L, 4)).shape),
    "full": _o("full", (2,), 1.5, lambda L: e(L, 3, dtype=L.long)),
    "arange": _o("arange", 5, e),
    "arange/resized_warns": _o("arange", 5, lambda L: e(L, 3)),
    "arange/same_size": _o("arange", 3, lambda L: e(L, 3)),
    "arange/float64_out": _o("arange", 0, 1, 0.25, lambda L: e(L, dtype=L.float64)),
    "arange/float_into_long": _o("arange", 5.0, lambda L: e(L, dtype=L.long)),
    "arange/dtype_mismatch": lambda L: L.arange(3, out=e(L, 3), dtype=L.float64),
    "linspace": _o("linspace", 0, 1, 5, lambda L: e(L, 3)),
    "linspace/float64_out": _o("linspace", 0, 1, 3, lambda L: e(L, dtype=L.float64)),
    "logspace": _o("logspace", 0, 1, 3, e),
    "eye": _o("eye", 2, 3, e),
    "eye/bool_out": _o("eye", 2, lambda L: e(L, dtype=L.bool)),
    "rand": lambda L: (L.manual_seed(0), _returns_out(L.rand, 2, 3, out=e(L, 6)))[1],
    "rand/float64_out": lambda L: (L.manual_seed(0), _returns_out(L.rand, 4, out=e(L, dtype=L.float64)))[1],
    "randn": lambda L: (L.manual_seed(1), _returns_out(L.randn, 20, out=e(L)))[1],
    "randint": lambda L: (L.manual_seed(2), _returns_out(L.randint, 5, (6,), out=e(L, dtype=L.long)))[1],
    "randint/float_out": lambda L: (L.manual_seed(2), _returns_out(L.randint, 5, (3,), out=e(L)))[1],
    "randperm": lambda L: (L.manual_seed(3), _returns_out(L.randperm, 6, out=e(L, 2, dtype=L.long)))[1],
    "normal": lambda L: (L.manual_seed(4), _returns_out(L.normal, 0.0, 1.0, (5,), out=e(L)))[1],
    "bernoulli": lambda L: (L.manual_seed(5), _returns_out(L.bernoulli, L.full((6,), 0.5), out=e(L)))[1],
    # errors of out itself
    "out_not_a_tensor": _o("exp", x, lambda L: 3.0),
    "out_list_for_one_result": _o("add", x, x, lambda L: [e(L)]),
    # an out tensor keeps counting its in-place writes
    "version_bumps": lambda L: (lambda o: [o._version, L.add(x(L), 1, out=o)._version > 0])(e(L, 2, 3)),
}


@pytest.mark.parametrize("case", OUT_CASES)
def test_out(case):
    check(f"out/{case}", OUT_CASES[case])


def _grad_input(L):
    return x(L).requires_grad_()


GRAD_CASES = {
    "add": lambda L: L.add(_grad_input(L), 1, out=e(L)),
    "multiply": lambda L: L.multiply(_grad_input(L), 2, out=e(L)),
    "absolute": lambda L: L.absolute(_grad_input(L), out=e(L)),
    "exp": lambda L: L.exp(_grad_input(L), out=e(L)),
    "sum": lambda L: L.sum(_grad_input(L), 0, out=e(L)),
    "matmul": lambda L: L.matmul(_grad_input(L), x(L).T, out=e(L)),
    "cat": lambda L: L.cat([x(L), _grad_input(L)], out=e(L)),
    "hstack": lambda L: L.hstack([x(L), _grad_input(L)], out=e(L)),
    "sort": lambda L: L.sort(_grad_input(L), out=_pair(L)),
    "max": lambda L: L.max(_grad_input(L), 1, out=_pair(L)),
    "clip": lambda L: L.clip(_grad_input(L), 0, 1, out=e(L)),
    "out_requires_grad": lambda L: L.add(x(L), 1, out=e(L, 2, 3).requires_grad_()),
    "zeros_out_requires_grad": lambda L: L.zeros(2, out=e(L, 3).requires_grad_()),
    "softmax_out_requires_grad": lambda L: L.softmax(x(L), 1, out=e(L, 2, 3).requires_grad_()),
    # results that are not differentiable take out= whatever their inputs
    "argmax": lambda L: L.argmax(_grad_input(L), out=e(L, dtype=L.long)),
    "eq": lambda L: L.eq(_grad_input(L), 1.5, out=e(L, dtype=L.bool)),
    # grad mode off: allowed
    "no_grad": lambda L: _no_grad(L, lambda: L.add(_grad_input(L), 1, out=e(L))),
}


def _no_grad(L, f):
    with L.no_grad():
        return f()


@pytest.mark.parametrize("case", GRAD_CASES)
def test_out_with_autograd(case):
    check(f"out_grad/{case}", GRAD_CASES[case])


def test_out_of_a_composite_function_carries_the_gradient():
    """``tensordot(..., out=o)`` with an input that requires grad: as in torch, no error, and ``o`` joins the
    graph."""
    for L in (npgrad, torch) if torch is not None else (npgrad,):
        a = x(L).requires_grad_()
        o = L.empty(2, 2)
        assert L.tensordot(a, x(L).T, 1, out=o) is o and o.requires_grad
        (o * L.tensor([1.0, 2.0])).sum().backward()
        grad = a.grad.numpy()
        if L is npgrad:
            ours = grad
        else:
            theirs = grad
    expected = golden("out_grad/softmax_backward", lambda: theirs)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)


def test_functions_without_out_refuse_it():
    for name, args in (("flip", (x(npgrad), [0])), ("relu", (x(npgrad),)), ("clone", (x(npgrad),)),
                       ("isnan", (x(npgrad),))):
        with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
            getattr(npgrad, name)(*args, out=npgrad.empty(0))


def test_lazily_loaded_functions_take_out_and_stay_their_modules_functions():
    import sys

    o = npgrad.empty(0)
    assert npgrad.kron(x(npgrad), x(npgrad), out=o) is o and o.shape == (4, 9)
    assert npgrad.kron is sys.modules["npgrad.ops.products"].kron
    assert npgrad.functions.addmm is npgrad.addmm


def test_out_keeps_signatures_for_introspection():
    import inspect

    assert list(inspect.signature(npgrad.cat).parameters)[:2] == ["tensors", "dim"]
    assert npgrad.add.__name__ == "add" and npgrad.zeros.__name__ == "zeros"


# --------------------------------------------------------------------------- keyword names
KEYWORD_CASES = {
    "flip/dims": lambda L: L.flip(x(L), dims=[0]),
    "Tensor.flip/dims": lambda L: x(L).flip(dims=(1,)),
    "Tensor.permute/dims": lambda L: x(L).permute(dims=(1, 0)),
    "permute/dims": lambda L: L.permute(x(L), dims=(1, 0)),
    "Tensor.reshape/shape": lambda L: x(L).reshape(shape=(3, 2)),
    "reshape/shape": lambda L: L.reshape(x(L), shape=(6,)),
    "reshape/input_shape": lambda L: L.reshape(input=x(L), shape=(6,)),
    "Tensor.tile/dims": lambda L: x(L).tile(dims=(2,)),
    "tile/dims": lambda L: L.tile(x(L), dims=(2, 1)),
    "Tensor.view/size": lambda L: x(L).view(size=(6,)),
    "Tensor.view/dtype": lambda L: x(L).view(dtype=L.int32),
    "Tensor.expand/size": lambda L: x(L)[:1].expand(size=(2, 2, 3)),
    "Tensor.repeat/repeats": lambda L: x(L).repeat(repeats=(1, 2)),
    "Tensor.split/split_size": lambda L: x(L).split(split_size=1),
    "split/split_size_or_sections": lambda L: L.split(x(L), split_size_or_sections=[1, 2], dim=1),
    "split/split_size": lambda L: L.split(x(L), split_size=1),
    "Tensor.mm/mat2": lambda L: x(L).mm(mat2=x(L).T),
    "mm/mat2": lambda L: L.mm(x(L), mat2=x(L).T),
    "bmm/mat2": lambda L: L.bmm(x(L)[None], mat2=x(L).T[None]),
    "matmul/input_other": lambda L: L.matmul(input=x(L), other=x(L).T),
    "Tensor.matmul/other": lambda L: x(L).matmul(other=x(L).T),
    "Tensor.tensor_split/indices": lambda L: x(L).tensor_split(indices=[1]),
    "Tensor.tensor_split/sections": lambda L: x(L).tensor_split(sections=2),
    "tensor_split/indices_dim": lambda L: L.tensor_split(x(L), indices=[1], dim=1),
    "Tensor.tensor_split/tensor": lambda L: x(L).tensor_split(tensor_indices_or_sections=L.tensor(2)),
    "Tensor.tensor_split/tensor_indices": lambda L: x(L).tensor_split(L.tensor([1, 2]), 1),
    "max/other": lambda L: L.max(x(L), other=L.ones(3)),
    "Tensor.max/other": lambda L: x(L).max(other=L.ones(3)),
    "min/other": lambda L: L.min(x(L), other=L.ones(3)),
    "cat/axis": lambda L: L.cat([x(L), x(L)], axis=1),
    "stack/axis": lambda L: L.stack([x(L), x(L)], axis=1),
    "concat/axis": lambda L: L.concat([x(L), x(L)], axis=1),
    "concatenate/axis": lambda L: L.concatenate([x(L), x(L)], axis=1),
    "std_mean/axis_keepdims": lambda L: L.std_mean(x(L), axis=1, keepdims=True),
    "var_mean/axis": lambda L: L.var_mean(x(L), axis=0),
    "max/axis_keepdims": lambda L: L.max(x(L), axis=1, keepdims=True),
    "sum/axis_tuple": lambda L: L.sum(x(L), axis=(0, 1)),
    "squeeze/axis": lambda L: L.squeeze(x(L)[None], axis=0),
    "Tensor.sum/dim_and_axis": lambda L: x(L).sum(dim=1, axis=1),
    "Tensor.sum/keepdim_and_keepdims": lambda L: x(L).sum(1, keepdim=True, keepdims=True),
    "Tensor.cumsum/keepdims": lambda L: x(L).cumsum(dim=1, keepdims=True),
    "Tensor.norm/axis": lambda L: x(L).norm(axis=1),
}
# the methods that take NumPy's names: (method, positional arguments before dim, whether keepdims is one)
NUMPY_METHODS = [("sum", (), True), ("mean", (), True), ("nansum", (), True), ("nanmean", (), True),
                 ("prod", (), True), ("max", (), True), ("min", (), True), ("amax", (), True), ("amin", (), True),
                 ("aminmax", (), True), ("argmax", (), True), ("argmin", (), True), ("std", (), True),
                 ("var", (), True), ("any", (), True), ("all", (), True), ("logsumexp", (), True),
                 ("median", (), True), ("nanmedian", (), True), ("mode", (), True), ("kthvalue", (1,), True),
                 ("quantile", (0.5,), True), ("nanquantile", (0.5,), True), ("count_nonzero", (), False),
                 ("softmax", (), False), ("log_softmax", (), False), ("cumsum", (), False), ("cumprod", (), False),
                 ("logcumsumexp", (), False), ("cummax", (), False), ("cummin", (), False), ("sort", (), False),
                 ("argsort", (), False), ("topk", (1,), False), ("diff", (), False), ("unbind", (), False),
                 ("tensor_split", (2,), False), ("repeat_interleave", (2,), False), ("chunk", (2,), False)]
for _name, _before, _keepdims in NUMPY_METHODS:
    KEYWORD_CASES[f"Tensor.{_name}/axis"] = lambda L, n=_name, b=_before: getattr(x(L), n)(*b, axis=1)
    KEYWORD_CASES[f"{_name}/axis"] = lambda L, n=_name, b=_before: getattr(L, n)(x(L), *b, axis=0)
    if _keepdims:
        KEYWORD_CASES[f"Tensor.{_name}/keepdims"] = \
            lambda L, n=_name, b=_before: getattr(x(L), n)(*b, dim=1, keepdims=True)
KEYWORD_CASES.update({
    "Tensor.squeeze/axis": lambda L: x(L)[:, None].squeeze(axis=1),
    "Tensor.unsqueeze/axis": lambda L: x(L).unsqueeze(axis=1),
    "Tensor.narrow/axis": lambda L: x(L).narrow(axis=1, start=1, length=2),
    "Tensor.select/axis": lambda L: x(L).select(axis=1, index=2),
    "Tensor.index_select/axis": lambda L: x(L).index_select(axis=1, index=L.tensor([2, 0])),
    "Tensor.gather/axis": lambda L: x(L).gather(axis=1, index=L.tensor([[2], [0]])),
    "Tensor.take_along_dim/axis": lambda L: x(L).take_along_dim(L.tensor([[2], [0]]), axis=1),
    "Tensor.scatter/axis": lambda L: x(L).scatter(axis=1, index=L.tensor([[2], [0]]), src=L.ones(2, 1)),
    "Tensor.scatter_add/axis": lambda L: x(L).scatter_add(axis=1, index=L.tensor([[2], [0]]), src=L.ones(2, 1)),
    "Tensor.index_add/axis": lambda L: x(L).index_add(axis=0, index=L.tensor([1]), source=L.ones(1, 3)),
    "Tensor.index_copy/axis": lambda L: x(L).index_copy(axis=0, index=L.tensor([1]), source=L.ones(1, 3)),
    "Tensor.index_fill/axis": lambda L: x(L).index_fill(axis=0, index=L.tensor([1]), value=7.0),
    "Tensor.cross/axis": lambda L: L.ones(3, 3).cross(L.eye(3), axis=0),
    "Tensor.renorm/axis": lambda L: x(L).renorm(2, axis=0, maxnorm=1.0),
})


@pytest.mark.parametrize("case", KEYWORD_CASES)
def test_keyword_names(case):
    check(f"keywords/{case}", KEYWORD_CASES[case])


def test_numpy_names_reach_the_methods_arguments():
    for name, _, keepdims in NUMPY_METHODS:
        import inspect

        params = inspect.signature(getattr(npgrad.Tensor, name)).parameters
        assert "dim" in params and ("keepdim" in params) == keepdims, name


# --------------------------------------------------------------------------- typed tensor classes, constants
TYPES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
         "ByteTensor", "BoolTensor"]

LEGACY_CASES = {
    "data": lambda L: [getattr(L, t)([1, 0, 2]) for t in TYPES],
    "nested": lambda L: L.FloatTensor([[1, 2], [3, 4]]),
    "truncates": lambda L: L.LongTensor([1.7, -1.7]),
    "sizes": lambda L: [list(getattr(L, t)(2, 3).shape) for t in TYPES] + [getattr(L, t)(2).dtype for t in TYPES],
    "size_object": lambda L: list(L.FloatTensor(L.Size([2, 3])).shape),
    "tuple_is_data": lambda L: L.FloatTensor((2, 3)),
    "no_argument": lambda L: L.FloatTensor(),
    "empty_list": lambda L: L.DoubleTensor([]),
    "numpy": lambda L: L.FloatTensor(np.array([1, 2])),
    "tensor_same_dtype": lambda L: (lambda t: [L.FloatTensor(t), L.FloatTensor(t).data_ptr() == t.data_ptr()])(
        L.ones(2)),
    "tensor_other_dtype": lambda L: L.FloatTensor(L.ones(2, dtype=L.long)),
    "device": lambda L: L.FloatTensor(2, device="cpu").shape,
    "dtype_keyword": lambda L: L.FloatTensor([1], dtype=L.float64),
    "string": lambda L: L.FloatTensor("a"),
    "float_size": lambda L: L.FloatTensor(2, 3.5),
    "negative_size": lambda L: L.FloatTensor(-1),
    "isinstance": lambda L: [[isinstance(L.ones(1, dtype=d), getattr(L, t)) for t in TYPES]
                             for d in (L.float32, L.float64, L.float16, L.long, L.int32, L.int16, L.int8, L.uint8,
                                       L.bool)],
    "isinstance_other": lambda L: [isinstance(1.0, L.FloatTensor), isinstance(L.nn.Parameter(L.ones(1)),
                                                                              L.FloatTensor),
                                   isinstance(L.ones(1), L.Tensor), issubclass(L.FloatTensor, L.Tensor)],
    "class_attributes": lambda L: [repr(L.FloatTensor).split(".")[-1], L.FloatTensor.__name__, L.LongTensor.dtype,
                                   L.FloatTensor.is_cuda, L.BoolTensor.dtype],
    "type_class": lambda L: [x(L).type(L.LongTensor), x(L).type(L.DoubleTensor).dtype],
    "type_string": lambda L: [x(L).type("torch.LongTensor"), x(L).type(dtype="torch.IntTensor")],
    "type_same_is_self": lambda L: (lambda t: [t.type(L.FloatTensor) is t, t.type("torch.FloatTensor") is t])(x(L)),
    "type_tensor_class": lambda L: xi(L).type(L.Tensor),
    "type_dtype": lambda L: x(L).type(L.float64, non_blocking=True),
    "type_invalid": lambda L: x(L).type("torch.FooTensor"),
    "type_python_type": lambda L: x(L).type(float),
    "type_name": lambda L: [xi(L).type().split(".")[-1], x(L).type().split(".")[-1]],
    "constants": lambda L: [L.pi, L.e, L.inf, L.nan, L.newaxis],
    "newaxis_indexing": lambda L: list(x(L)[L.newaxis].shape),
    "layout": lambda L: [L.strided, x(L).layout, x(L).layout is L.strided, L.zeros(2, layout=L.strided).shape,
                         isinstance(L.strided, L.layout)],
    "version": lambda L: (lambda t: [t._version, t.add_(1)._version, t[0:1]._version, t[0:1].mul_(2)._version,
                                     t._version])(x(L)),
    "base_of_views_of_leaves_that_require_grad": lambda L: (lambda a: [a[0:1]._base is a, a._base,
                                                                       a.view(6)._base is a, (a + 1)._base])(
        x(L).requires_grad_()),
}


@pytest.mark.parametrize("case", LEGACY_CASES)
def test_legacy_types_and_constants(case):
    check(f"legacy/{case}", LEGACY_CASES[case])


def _default_type_effects(L, t):
    old = L.get_default_dtype()
    try:
        L.set_default_tensor_type(t)
        return [L.get_default_dtype(), L.tensor([1.0]).dtype]
    finally:
        L.set_default_dtype(old)


DEFAULT_TYPE_CASES = {
    "double": lambda L: _default_type_effects(L, L.DoubleTensor),
    "double_name": lambda L: _default_type_effects(L, "torch.DoubleTensor"),
    "half_name": lambda L: _default_type_effects(L, "torch.HalfTensor"),
    "float": lambda L: _default_type_effects(L, L.FloatTensor),
    "long": lambda L: _default_type_effects(L, L.LongTensor),
    "long_name": lambda L: _default_type_effects(L, "torch.LongTensor"),
    "dtype": lambda L: _default_type_effects(L, L.float64),
    "tensor_class": lambda L: _default_type_effects(L, L.Tensor),
    "unknown_name": lambda L: _default_type_effects(L, "torch.FooTensor"),
    "no_module": lambda L: _default_type_effects(L, "foo"),
    "cuda": lambda L: _default_type_effects(L, "torch.cuda.FloatTensor"),
}


@pytest.mark.parametrize("case", DEFAULT_TYPE_CASES)
def test_set_default_tensor_type(case):
    expected = golden.json(f"default_type/{case}", lambda: run(torch, DEFAULT_TYPE_CASES[case]))
    ours = run(npgrad, DEFAULT_TYPE_CASES[case])
    # PyTorch warns once per process; which case comes first decides where its warning is, so compare without it
    ours["warnings"] = expected["warnings"] = []
    same(ours, expected)


def test_set_default_tensor_type_warns_once():
    from npgrad import _legacy

    _legacy._warned.clear()
    with pytest.warns(UserWarning, match=re.escape("torch.set_default_tensor_type() is deprecated as of PyTorch "
                                                   "2.1, please use torch.set_default_dtype() and "
                                                   "torch.set_default_device() as alternatives.")):
        npgrad.set_default_tensor_type(npgrad.FloatTensor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        npgrad.set_default_tensor_type("torch.FloatTensor")
    assert npgrad.get_default_dtype() == npgrad.float32


def test_base_of_a_view_taken_from_a_view_is_the_first_tensor():
    a = npgrad.ones(2, 3, requires_grad=True)
    v = a.view(6)
    assert v._base is a and v[1:]._base is a and a._base is None
    assert a.detach()._base is None


# --------------------------------------------------------------------------- Size
SIZE_CASES = {
    "times_int": lambda L: [L.Size([2]) * 2, 2 * L.Size([2, 3]), L.Size([2, 3]) * 0, type(L.Size([2]) * 2).__name__,
                            type(3 * L.Size([1])).__name__],
    "in_place_times": lambda L: (lambda s: [s, type(s).__name__])(_times_two(L.Size([2]))),
    "times_float": lambda L: L.Size([2]) * 2.0,
    "times_size": lambda L: L.Size([2]) * L.Size([2]),
    "tensor_items": lambda L: [L.Size([L.tensor(2), 3]), L.Size((L.tensor([2]), 3)),
                               type(L.Size([L.tensor(2)])[0]).__name__],
    "float_tensor_item": lambda L: L.Size([L.tensor(2.0)]),
    "two_element_tensor": lambda L: L.Size([L.tensor([1, 2])]),
    "float_item": lambda L: L.Size([2.5]),
    "string": lambda L: L.Size("ab"),
    "none_item": lambda L: L.Size([None]),
    "bool_item": lambda L: L.Size([True, 2]),
    "numpy_int_item": lambda L: (lambda s: [list(map(int, s)), type(s[0]).__name__])(L.Size([np.int64(2)])),
    "iterator": lambda L: L.Size(iter([1, 2])),
    "plus_tuple": lambda L: [L.Size([2]) + (3,), (1,) + L.Size([2]), type(L.Size([2]) + (3,)).__name__],
    "plus_list": lambda L: L.Size([2]) + [3],
    "slice": lambda L: [L.Size([2, 3, 4])[1:], type(L.Size([2, 3])[1:]).__name__],
    "numel": lambda L: [L.Size([2, 3]).numel(), L.Size([]).numel()],
    "shape": lambda L: [x(L).shape, x(L).size(), x(L).shape == (2, 3)],
}


def _times_two(s):
    s *= 2
    return s


@pytest.mark.parametrize("case", SIZE_CASES)
def test_size(case):
    check(f"size/{case}", SIZE_CASES[case])


def test_every_function_of_the_out_table_takes_out():
    from npgrad import functions

    for name in functions._OUT:
        assert getattr(getattr(npgrad, name), "keywords_given", False), name
    names = golden.json("out/torch_names", lambda: sorted(n for n in functions._OUT if hasattr(torch, n)))
    assert names == sorted(functions._OUT)
