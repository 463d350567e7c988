"""The classification losses at their edges, against torch: ignored targets (a batch of padding gives a NaN
'mean' and a zero gradient; an ignored position reads nothing), hinge terms exactly at zero or not finite,
class weights summing to zero, double backward of the NLL loss, and PyTorch's argument, dtype and
differentiability errors in its order of checks."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("loss_edges_classification")

INF, NAN = math.inf, math.nan

# (expression, x) with x a float64 leaf requiring grad; `t` builds an int64 tensor
VALUE_CASES = [
    ("F.nll_loss(F.log_softmax(x, 1), t([-100, -100]))", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.nll_loss(x, t([-100, -100]))", [[-1., -2., -3.], [-.5, -1., -2.]]),
    ("F.nll_loss(x, t([-100, -100]), reduction='sum')", [[-1., -2., -3.], [-.5, -1., -2.]]),
    ("F.nll_loss(x, t([-100, 1]), reduction='none')", [[-INF, -1.], [-.5, -1.]]),
    ("F.nll_loss(F.log_softmax(x, 1), t([-100, 1]))", [[-INF, -INF], [0., 1.]]),
    ("F.nll_loss(x, t([-100, 1]), weight=w([NAN, 1., 2.]), reduction='sum')", [[-1., -2., -3.], [-.5, -1., -2.]]),
    ("F.nll_loss(x, t([-100, 1]), weight=w([INF, 1., 2.]))", [[-1., -2., -3.], [-.5, -1., -2.]]),
    ("F.nll_loss(x, t([0, 1]), weight=w([1., -1., 2.]))", [[1., 2., 3.], [3., 4., 5.]]),
    ("F.nll_loss(x, t([[-100, 2], [1, -100]]), reduction='none')", [[[-1., -2.], [-3., -4.], [-5., -6.]],
                                                                     [[-1., -2.], [-3., -4.], [-5., -6.]]]),
    ("F.nll_loss(x, t([[-100, -100], [-100, -100]]))", [[[-1., -2.], [-3., -4.], [-5., -6.]],
                                                         [[-1., -2.], [-3., -4.], [-5., -6.]]]),
    ("F.nll_loss(x, t(-100))", [-1., -2., -3.]),
    ("F.cross_entropy(x, t([-100, 1]), weight=w([NAN, 1., 2.]))", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([-100, 1]), weight=w([INF, 1., 2.]), reduction='none')", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([0, 1]), weight=w([1., -1., 0.]))", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([-100, -100]))", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([-100, 1]), label_smoothing=0.1)", [[-INF, -INF, 0.], [1., 2., 0.]]),
    ("F.cross_entropy(x, t([-100, -100]), label_smoothing=0.1)", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([-100, 2]), weight=w([INF, 1., 2.]).unsqueeze(1).expand(3, 2)[:, 0], reduction='sum')",
     [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([[-100, 2], [1, -100]]), weight=w([NAN, 1., 2.]))",
     [[[1., 2.], [2., 3.], [3., 4.]], [[0., 1.], [1., 0.], [0., 1.]]]),
    ("F.cross_entropy(x, t([[0, 1], [1, 1]]), weight=w([1., -1., 2.]))",
     [[[1., 2.], [2., 3.], [3., 4.]], [[0., 1.], [1., 0.], [0., 1.]]]),
    ("F.linear_cross_entropy(x, w([[1., 0.], [0., 1.], [1., 1.]]), t([0, 1]), weight=w([1., -1., 0.]))",
     [[1., 2.], [0., 1.]]),
    ("F.multi_margin_loss(x, t([0]))", [[0., -1., .5]]),
    ("F.multi_margin_loss(x, t([0, 2]), p=2, weight=w([1., 2., 3.]))", [[0., -1., .5], [1., 1., 1.]]),
    ("F.multi_margin_loss(x, t([0, 0]), reduction='none')", [[INF, 0., 1.], [0., NAN, 1.]]),
    ("F.multi_margin_loss(x, t([1, 0]), margin=0.5, reduction='sum')", [[1., 1.5, 0.], [2., 1., 1.5]]),
    ("F.multilabel_margin_loss(x, t([[0, -1, 0, 0]]))", [[1., 0., 0., 2.]]),
    ("F.multilabel_margin_loss(x, t([[0, -1, 0], [0, -1, 0]]), reduction='none')", [[INF, 0., 1.], [0., NAN, 1.]]),
    ("F.multilabel_margin_loss(x, t([[3, 0, -1, 1], [1, 2, 3, -1]]), reduction='sum')",
     [[.1, .2, .4, .8], [1., 0., 0., 1.]]),
]


def _run_value(L, expr, x_value):
    F = L.nn.functional
    x = L.tensor(x_value, dtype=L.float64, requires_grad=True)
    scope = {"F": F, "x": x, "t": lambda v: L.tensor(v, dtype=L.int64),
             "w": lambda v: L.tensor(v, dtype=L.float64), "INF": INF, "NAN": NAN, "torch": L}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = eval(expr, scope)
        y.sum().backward()
    return [y.detach().numpy().reshape(-1), x.grad.numpy().reshape(-1)]


@pytest.mark.parametrize("case", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_and_gradient_as_torch(case):
    expr, x_value = case
    expected = golden(f"value {expr} at {x_value}", lambda: _run_value(torch, expr, x_value))
    actual = _run_value(npgrad, expr, x_value)
    for a, e, what in zip(actual, expected, ("value", "gradient")):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=f"{what} of {expr}")


DOUBLE_CASES = [
    ("F.nll_loss(x, t([0, 2]))", [[-1., -2., -3.], [-.5, -1., -2.]]),
    ("F.nll_loss(x, t([0, -100]), reduction='none') * w([2., 3.])", [[-1., -2., -3.], [-.5, -1., -2.]]),
    ("F.nll_loss(x, t([[[0]], [[2]]]), weight=w([1., 2., 3.]))", [[[[-1.]], [[-2.]], [[-3.]]],
                                                                    [[[-.5]], [[-1.]], [[-2.]]]]),
    ("F.nll_loss(x, t([[0], [2]]))", [[[-1.], [-2.], [-3.]], [[-.5], [-1.], [-2.]]]),
    ("F.nll_loss(x, t(1), reduction='sum')", [-1., -2., -3.]),
    ("F.nll_loss(F.log_softmax(x, 1), t([0, 2]))", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([-100, -100]))", [[1., 2., 3.], [0., 1., 0.]]),
    ("F.cross_entropy(x, t([-100, 1]), weight=w([1., 2., 3.]), label_smoothing=0.1)", [[1., 2., 3.], [0., 1., 0.]]),
]


def _run_double(L, expr, x_value):
    """The first gradient (recorded), whether it requires grad, its node, and the gradient of its square."""
    F = L.nn.functional
    x = L.tensor(x_value, dtype=L.float64, requires_grad=True)
    scope = {"F": F, "x": x, "t": lambda v: L.tensor(v, dtype=L.int64),
             "w": lambda v: L.tensor(v, dtype=L.float64), "INF": INF, "NAN": NAN, "torch": L}
    loss = eval(expr, scope).sum()
    g, = L.autograd.grad(loss, x, create_graph=True)
    gg, = L.autograd.grad(g.pow(2).sum() + g.sum(), x, allow_unused=True)
    gg = np.zeros(x.shape) if gg is None else gg.detach().numpy()
    return [g.detach().numpy().reshape(-1), gg.reshape(-1), np.array(g.requires_grad), np.array(g.grad_fn.name())]


@pytest.mark.parametrize("case", DOUBLE_CASES, ids=[c[0] for c in DOUBLE_CASES])
def test_double_backward_as_torch(case):
    expr, x_value = case
    expected = golden(f"double {expr} at {x_value}", lambda: _run_double(torch, expr, x_value))
    actual = _run_double(npgrad, expr, x_value)
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=expr)
    np.testing.assert_allclose(actual[1], expected[1], rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=expr)
    assert actual[2] == expected[2] and str(actual[3]) == str(expected[3]), expr


ERROR_CASES = [
    # argument types, as PyTorch's parser words them
    "F.cross_entropy(x, [0, 1])",
    "F.cross_entropy(x.numpy(), y)",
    "F.cross_entropy(None, y)",
    "F.cross_entropy(x, 1)",
    "F.cross_entropy(x, y, 'mean')",
    "F.cross_entropy(x, y, weight=[1., 1., 1.])",
    "F.cross_entropy(x, y, ignore_index=1.0)",
    "F.cross_entropy(x, y, ignore_index=True)",
    "F.cross_entropy(x, y, label_smoothing=None)",
    "F.cross_entropy(x, y, ignore_index=torch.tensor(1.0))",
    "F.cross_entropy(x, y, label_smoothing=torch.tensor([0.1]))",
    "F.nll_loss(x, [0, 1])",
    "F.nll_loss(x, y, ignore_index=None)",
    "F.nll_loss(x, y, ignore_index=1.5)",
    "F.multi_margin_loss(x, [0, 1])",
    "F.multi_margin_loss([[1.]], y)",
    "F.multilabel_margin_loss(x, [[0, 1, -1], [0, -1, 0]])",
    # a 0-d target for a batch
    "F.cross_entropy(x[:1], torch.tensor(1))",
    "F.cross_entropy(x, torch.tensor(1))",
    "F.nll_loss(x[:1], torch.tensor(1))",
    "F.nll_loss(x, torch.tensor(1))",
    # class weights: no gradient, the input's dtype, checked in PyTorch's order
    "F.cross_entropy(x, y, weight=torch.ones(3, requires_grad=True))",
    "F.cross_entropy(x, y, weight=torch.ones(3, requires_grad=True), label_smoothing=0.1)",
    "F.cross_entropy(x, y, weight=torch.ones(3, dtype=torch.float64, requires_grad=True))",
    "F.cross_entropy(x.unsqueeze(2), y.unsqueeze(1), weight=torch.ones(3, requires_grad=True))",
    "F.nll_loss(x, y, weight=torch.ones(3, requires_grad=True), reduction='none')",
    "F.nll_loss(x, y, weight=torch.ones(4, requires_grad=True))",
    "F.multi_margin_loss(x, y, weight=torch.ones(3, requires_grad=True))",
    "F.multi_margin_loss(x, y, weight=torch.ones(4, requires_grad=True))",
    "F.cross_entropy(x, y, weight=torch.ones(3, dtype=torch.float64))",
    "F.cross_entropy(x.double(), y, weight=torch.ones(3))",
    "F.cross_entropy(x.double(), y, weight=torch.ones(3, dtype=torch.int64))",
    "F.cross_entropy(x.double(), y, weight=torch.ones(3), label_smoothing=0.1)",
    "F.cross_entropy(x.half(), y, weight=torch.ones(3))",
    "F.nll_loss(x.double(), y, weight=torch.ones(3))",
    "F.nll_loss(x, y, weight=torch.ones(3, dtype=torch.float16))",
    "F.nll_loss(x, torch.tensor([0, 5]), weight=torch.ones(3, dtype=torch.float64))",
    "F.multi_margin_loss(x.double(), y, weight=torch.ones(3))",
    "F.multi_margin_loss(x, y, weight=torch.ones(3, dtype=torch.int32))",
    # integer inputs: PyTorch's kernels are for floating point
    "F.cross_entropy(xi, y)",
    "F.cross_entropy(xi.unsqueeze(2), y.unsqueeze(1))",
    "F.cross_entropy(xi.bool(), y)",
    "F.cross_entropy(xi, y, label_smoothing=0.1)",
    "F.cross_entropy(xi, y, weight=torch.ones(4))",
    "F.cross_entropy(xi, xi)",
    "F.nll_loss(xi, y)",
    "F.nll_loss(xi.int(), y)",
    "F.nll_loss(xi.bool(), y)",
    "F.nll_loss(xi.unsqueeze(2), y.unsqueeze(1))",
    "F.nll_loss(xi, y.int())",
    "F.nll_loss(xi, y, weight=torch.ones(3, dtype=torch.float64))",
    "F.multi_margin_loss(xi, y)",
    "F.multi_margin_loss(xi.bool(), y)",
    "F.multilabel_margin_loss(xi, torch.tensor([[0, 1, -1], [0, -1, 0]]))",
    "F.multilabel_soft_margin_loss(xi, torch.tensor([[0, 1, 1], [0, 1, 0]]))",
    "F.multilabel_soft_margin_loss(xi.bool(), torch.tensor([[0, 1, 1], [0, 1, 0]]))",
    # class targets of the margin losses are int64
    "F.multi_margin_loss(x, y.int())",
    "F.multi_margin_loss(x, y.to(torch.uint8))",
    "F.multi_margin_loss(x, y.float())",
    "F.multi_margin_loss(x.double(), y.int())",
    "F.multilabel_margin_loss(x, torch.tensor([[0, 1, -1], [0, -1, 0]], dtype=torch.int32))",
    "F.multilabel_margin_loss(x, torch.tensor([[0, 1, -1], [0, -1, 0]], dtype=torch.float32))",
    "F.multilabel_margin_loss(x, torch.tensor([[0, 1, 5], [0, -1, 0]]))",
    "F.multilabel_margin_loss(torch.zeros(0, 0), torch.zeros(0, 0, dtype=torch.int64))",
    "F.multilabel_soft_margin_loss(x, torch.tensor([[1, 0, 1], [0, 1, 0]], dtype=torch.bool))",
    "F.multilabel_soft_margin_loss(torch.tensor(1.), torch.tensor(1.))",
]


def _run_error(L, expr):
    F = L.nn.functional
    scope = {"F": F, "torch": L, "x": L.ones(2, 3), "y": L.tensor([0, 1]), "xi": L.tensor([[1, 2, 3], [4, 5, 6]])}
    try:
        eval(expr, scope)
    except Exception as e:     # noqa: BLE001 - the type is part of what is compared
        return [type(e).__name__, str(e).split("\n")[0]]
    return ["no error", ""]


@pytest.mark.parametrize("expr", ERROR_CASES)
def test_error_as_torch(expr):
    expected = golden.json(f"error {expr}", lambda: _run_error(torch, expr))
    assert expected[0] != "no error", expr
    assert _run_error(npgrad, expr) == expected


def test_no_error_where_torch_has_none():
    """Under no_grad a class weight may require grad; integer soft-margin targets and probability targets
    with a weight that requires grad are fine."""
    F = npgrad.nn.functional
    x, y = npgrad.ones(2, 3), npgrad.tensor([0, 1])
    with npgrad.no_grad():
        F.cross_entropy(x, y, weight=npgrad.ones(3, requires_grad=True))
    F.multilabel_soft_margin_loss(x, npgrad.tensor([[1, 0, 1], [0, 1, 0]]))
    plain = F.cross_entropy(x, y, ignore_index=1).item()
    assert F.cross_entropy(x, y, ignore_index=npgrad.tensor([[1]])).item() == plain    # one integer element
    assert F.cross_entropy(x, y, label_smoothing=npgrad.tensor(0)).item() == F.cross_entropy(x, y).item()
    weight = npgrad.ones(3, requires_grad=True)
    F.cross_entropy(x, x.softmax(1), weight=weight).backward()
    assert weight.grad is not None


def test_softmax_focal_loss_of_padding_has_zero_gradient():
    """An all-ignored batch: NaN loss (a mean over nothing), zero gradient, even for a fully masked row."""
    F = npgrad.nn.functional
    x = npgrad.tensor([[-INF, -INF, 0.], [1., 2., 0.]], requires_grad=True)
    loss = F.softmax_focal_loss(x, npgrad.tensor([-100, -100]), alpha=npgrad.tensor([NAN, 1., 1.]))
    loss.backward()
    assert math.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    x.grad = None
    loss = F.softmax_focal_loss(x, npgrad.tensor([-100, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_array_equal(x.grad.numpy()[0], 0.0)


@pytest.mark.parametrize("target, weight", [([-100, -100], None), ([0, 1], [1., -1., 0.])])
def test_chunked_linear_cross_entropy_as_its_reference_path(target, weight):
    """With options, an all-padding batch and a zero total weight give what the path without options (and
    cross_entropy) gives: PyTorch's chunked op alone turns them into a NaN gradient and a NaN value."""
    F = npgrad.nn.functional
    results = []
    for options in (None, npgrad.nn.LinearCrossEntropyOptions()):
        x = npgrad.tensor([[1., 2.], [0., 1.]], dtype=npgrad.float64, requires_grad=True)
        w = None if weight is None else npgrad.tensor(weight, dtype=npgrad.float64)
        loss = F.linear_cross_entropy(x, npgrad.tensor([[1., 0.], [0., 1.], [1., 1.]], dtype=npgrad.float64),
                                      npgrad.tensor(target), weight=w, options=options)
        loss.backward()
        results.append((loss.item(), x.grad.numpy()))
    (value, grad), (chunked_value, chunked_grad) = results
    np.testing.assert_array_equal(chunked_value, value)
    np.testing.assert_array_equal(chunked_grad, grad)
    assert math.isnan(value) if weight is None else value == math.inf


@pytest.mark.parametrize("options", [False, True])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_linear_cross_entropy_of_an_empty_batch(options, reduction):
    """No rows: the weight's gradient is zeros (it was left as uninitialised memory), the value torch's."""
    def run(L):
        W = L.arange(6.).reshape(2, 3).requires_grad_()
        loss = L.nn.functional.linear_cross_entropy(
            L.zeros(0, 3), W, L.zeros(0, dtype=L.int64), reduction=reduction,
            options=L.nn.LinearCrossEntropyOptions() if options else None)
        loss.backward()
        return [loss.detach().numpy(), W.grad.numpy()]

    expected = golden(f"linear_cross_entropy empty {reduction} options={options}", lambda: run(torch))
    for a, e in zip(run(npgrad), expected):
        np.testing.assert_array_equal(a, e)
