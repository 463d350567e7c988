"""Values and gradients at the points where a formula is singular or ties (zero norms and distances, ties of
max/median, piecewise-constant functions, infinities, degenerate variances), against torch: the gradients
PyTorch defines there (zero for std at zero, shared evenly by tied medians, zero for sign ...), never a NaN
where PyTorch has a number (and NaN where PyTorch has NaN: ``F.kl_div``'s target gradient at a zero target)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("singular_gradients")

CASES = [
 ("F.pairwise_distance(x, y)", [[1., 2.]], [[1., 2.]]),
 ("F.normalize(x, dim=1)", [[0., 0.]]),
 ("F.cosine_similarity(x, y)", [[0., 0.]], [[1., 2.]]),
 ("torch.dist(x, y)", [1., 2.], [1., 2.]),
 ("torch.dist(x, y, p=1)", [1., 2.], [1., 2.]),
 ("torch.dist(x, y, p=3)", [1., 2.], [1., 2.]),
 ("torch.dist(x, y, p=float('inf'))", [1., 2.], [1., 3.]),
 ("torch.linalg.vector_norm(x)", [0., 0.]),
 ("torch.linalg.vector_norm(x, ord=1)", [0., 1.]),
 ("torch.linalg.vector_norm(x, ord=0.5)", [0., 1.]),
 ("torch.linalg.vector_norm(x, ord=3)", [0., 0.]),
 ("torch.linalg.vector_norm(x, ord=float('inf'))", [2., -2.]),
 ("torch.linalg.vector_norm(x, ord=-float('inf'))", [2., -2.]),
 ("x.norm()", [0., 0.]),
 ("x.norm(p=1)", [0., 3.]),
 ("x.sqrt()", [0., 4.]),
 ("x.abs()", [0., -1.]),
 ("x.pow(0.5)", [0., 4.]),
 ("x.pow(0)", [0., 4.]),
 ("x.pow(2)", [0., 4.]),
 ("x ** y", [0., 2.], [0., 0.5]),
 ("x.clamp(0, 1)", [0., 1.]),
 ("x.relu()", [0., 1.]),
 ("F.hardtanh(x)", [-1., 1.]),
 ("F.relu6(x)", [0., 6.]),
 ("x.max()", [1., 1.]),
 ("x.amax()", [1., 1., 0.]),
 ("x.min()", [1., 1.]),
 ("torch.maximum(x, y)", [1., 2.], [1., 3.]),
 ("torch.fmax(x, y)", [1., 2.], [1., 3.]),
 ("x.median()", [1., 1., 2., 2.]),
 ("x.sort().values[0]", [1., 1.]),
 ("x.topk(1).values", [1., 1.]),
 ("x.log()", [0., 1.]),
 ("x.xlogy(y)", [0., 1.], [0., 2.]),
 ("torch.special.xlog1py(x, y)", [0., 1.], [-1., 2.]),
 ("x.atan2(y)", [0., 1.], [0., 1.]),
 ("x.sign()", [0., 1.]),
 ("x.frac()", [1.5, -1.5]),
 ("x.round()", [1.5, 2.5]),
 ("x.logsumexp(0)", [-math.inf, -math.inf]),
 ("x.softmax(0)", [-math.inf, 0.]),
 ("x.log_softmax(0)", [-math.inf, 0.]),
 ("F.softplus(x)", [100., -100.]),
 ("F.logsigmoid(x)", [-800., 800.]),
 ("x.sigmoid().log()", [-800., 0.]),
 ("torch.special.entr(x)", [0., 1.]),
 ("torch.special.sinc(x)", [0., 1.]),
 ("x.std()", [1., 1.]),
 ("x.var()", [1.]),
 ("x.std(correction=0)", [1.]),
 ("x.prod()", [0., 2., 3.]),
 ("x.prod()", [0., 0., 3.]),
 ("x.cumprod(0)", [2., 0., 3.]),
 ("torch.linalg.det(x)", [[1., 2.], [2., 4.]]),
 ("F.binary_cross_entropy(x, y)", [0., 1.], [0., 1.]),
 ("F.poisson_nll_loss(x, y, log_input=False)", [0., 1.], [0., 1.]),
 ("F.smooth_l1_loss(x, y)", [1., 2.], [1., 3.]),
 ("F.huber_loss(x, y)", [1., 2.], [1., 3.]),
 ("F.l1_loss(x, y)", [1., 2.], [1., 3.]),
 ("F.margin_ranking_loss(x, y, torch.tensor([1., -1.], dtype=torch.float64))", [1., 2.], [1., 2.]),
 ("F.triplet_margin_loss(x, y, y.flip(0), margin=0.5)", [[1., 2.], [1., 2.]], [[1., 2.], [3., 4.]]),
 ("F.cosine_embedding_loss(x, y, torch.tensor([1., -1.], dtype=torch.float64))", [[0., 0.], [1., 2.]],
  [[1., 2.], [1., 2.]]),
 ("F.gaussian_nll_loss(x, y, torch.ones(2, dtype=torch.float64))", [1., 2.], [1., 2.]),
 ("F.layer_norm(x, (2,))", [[1., 1.]]),
 ("F.batch_norm(x, None, None, training=True)", [[1.], [1.]]),
 ("F.instance_norm(x)", [[[1., 1.]]]),
 ("F.group_norm(x, 1)", [[[1., 1.]]]),
 ("F.rms_norm(x, (2,))", [[0., 0.]]),
 ("x.renorm(2, 0, 1.0)", [[0., 0.], [3., 4.]]),
 ("torch.nn.utils.clip_grad_norm_([x], 1.0) + x.sum()", [1., 2.]),
 ("F.gumbel_softmax(x, tau=1, hard=True) * 0 + x", [1., 2.]),
 ("F.mse_loss(x, y)", [1., 2.], [1., 2.]),
 ("F.kl_div(x, y, reduction='sum')", [-1., -2., -0.5], [0., 0.5, -0.1]),
 ("F.kl_div(x, y, reduction='none')", [-1., -2., -0.5], [math.inf, 1., math.nan]),
 ("F.kl_div(x, y, reduction='sum', log_target=True)", [-1., -2.], [-math.inf, 0.]),
 ("x.nan_to_num()", [math.nan, 1.]),
 ("x.where(x > 0, torch.zeros(2, dtype=torch.float64))", [math.inf, -1.]),
 ("F.elu(x)", [0., -1.]),
 ("F.selu(x)", [0., -1.]),
 ("F.celu(x, alpha=0.5)", [0., -1.]),
 ("F.gelu(x)", [0., -1.]),
 ("F.silu(x)", [0., -1.]),
 ("F.mish(x)", [0., -1.]),
 ("F.hardswish(x)", [-3., 3.]),
 ("F.hardsigmoid(x)", [-3., 3.]),
 ("F.leaky_relu(x)", [0., -1.]),
 ("F.rrelu(x, training=False)", [0., -1.]),
 ("F.softshrink(x, 0.5)", [0.5, -0.5]),
 ("F.hardshrink(x, 0.5)", [0.5, -0.5]),
 ("F.tanhshrink(x)", [0., 1.]),
 ("F.threshold(x, 1., 0.)", [1., 2.]),
 ("F.prelu(x, torch.tensor([0.25], dtype=torch.float64))", [0., -1.]),
 ("torch.erfinv(x)", [1., 0.]),
 ("torch.lgamma(x)", [0., 1.]),
 ("torch.digamma(x)", [0., 1.]),
 ("x.acos()", [1., 0.]),
 ("x.asin()", [1., 0.]),
 ("x.atanh()", [1., 0.]),
 ("x.acosh()", [1., 2.]),
 ("x.rsqrt()", [0., 4.]),
 ("x.reciprocal()", [0., 4.]),
 ("x / y", [1., 0.], [0., 0.]),
 ("torch.special.i0e(x)", [0., 1.]),
 ("torch.special.ndtri(x)", [0., 0.5]),
 ("torch.special.log_ndtr(x)", [-40., 0.]),
 ("torch.special.erfcx(x)", [0., 30.]),
 # |x|' = sgn(x), and sgn(NaN) = 0: no NaN gradient from a NaN input or an inf - inf difference
 ("x.abs()", [math.nan, 0., -1.]),
 ("F.l1_loss(x, y, reduction='sum')", [math.nan, math.inf, 1.], [0., math.inf, math.nan]),
 ("F.l1_loss(x, y)", [math.inf, -math.inf], [math.inf, -math.inf]),
 ("F.smooth_l1_loss(x, y, beta=0.0, reduction='sum')", [math.nan, math.inf, 1.], [0., math.inf, math.nan]),
 ("F.smooth_l1_loss(x, y, reduction='sum')", [math.nan, math.inf, 1.], [0., math.inf, math.nan]),
 ("F.huber_loss(x, y, reduction='sum')", [math.nan, math.inf, 1.], [0., math.inf, math.nan]),
 ("x.norm(p=1)", [math.nan, 1.]),
 ("x.norm(p=0.5)", [math.nan, 1.]),
 ("x.norm(p=1.5)", [math.nan, 1.]),
 ("x.norm(p=3)", [math.nan, 1.]),
 ("torch.linalg.vector_norm(x, ord=float('inf'))", [math.nan, 1.]),
 ("torch.dist(x, y, p=1)", [math.nan, 1.], [0., 1.]),
 ("F.pairwise_distance(x, y, p=1)", [[math.nan, 1.]], [[0., 1.]]),
 ("torch.cdist(x, y, p=1)", [[math.nan, 1.]], [[0., 1.]]),     # NaN here: torch's cdist kernel is not sgn
]


def _run(L, expr, *values):
    F = L.nn.functional
    xs = [L.tensor(v, dtype=L.float64, requires_grad=True) for v in values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = eval(expr, {"torch": L, "F": F, "x": xs[0], "y": xs[1] if len(xs) > 1 else None, "math": math})
        y.sum().backward()
    grads = [x.grad.numpy().reshape(-1) if x.grad is not None else np.zeros(0) for x in xs]
    return [y.detach().numpy().reshape(-1), np.concatenate(grads)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_value_and_gradient_as_torch(case):
    expr, *values = case
    expected = golden(f"{expr} at {values}", lambda: _run(torch, expr, *values))
    actual = _run(npgrad, expr, *values)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=1e-6, atol=1e-12, equal_nan=True, err_msg=expr)


def test_piecewise_constant_ops_keep_infinities():
    x = npgrad.tensor([math.inf, -math.inf, 1.5, math.nan], requires_grad=True)
    for name in ("floor", "ceil", "round", "trunc"):
        np.testing.assert_array_equal(getattr(x, name)().detach().numpy(), getattr(np, name)(x.detach().numpy()))
    np.testing.assert_array_equal(x.sign().detach().numpy(), [1.0, -1.0, 1.0, 0.0])   # sign(nan) is 0, as torch's


def test_degenerate_variance_warns_as_torch():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        npgrad.tensor([1.0]).var()


@pytest.mark.parametrize("expr", ["x.abs()", "F.l1_loss(x, y, reduction='sum')",
                                  "F.smooth_l1_loss(x, y, beta=0.0, reduction='sum')"])
def test_abs_double_backward_at_nan_as_torch(expr):
    def run(L):
        F = L.nn.functional
        x = L.tensor([math.nan, math.inf, 0., -2.], dtype=L.float64, requires_grad=True)
        y = L.tensor([0., math.inf, 1., math.nan], dtype=L.float64, requires_grad=True)
        out = eval(expr, {"F": F, "x": x, "y": y}).sum()
        g = L.autograd.grad(out, [x, y], create_graph=True, allow_unused=True)
        g = [t for t in g if t is not None]
        w = L.tensor([1., 2., 3., 4.], dtype=L.float64)
        h = L.autograd.grad(sum((t * w).sum() for t in g), [x, y], allow_unused=True)
        return [t.detach().numpy() for t in g] + [np.zeros(4) if t is None else (t + 0).numpy() for t in h]

    expected = golden(f"double backward of {expr}", lambda: run(torch))
    actual = run(npgrad)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e, err_msg=expr)
