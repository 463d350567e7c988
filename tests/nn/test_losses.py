"""Every loss of torch.nn against torch: a table of cases (value and input gradients in
float64, then a float64 gradcheck), the loss modules, warnings and bad-input messages."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import npgrad
import npgrad.nn as nn
from harness import Case, check_case
from oracle import Golden, torch

golden = Golden("losses")
REDUCTIONS = ("none", "mean", "sum")


def F(lib):
    return lib.nn.functional


def const(lib, array):
    """A constant tensor (no gradient) in either library."""
    return lib.tensor(np.asarray(array))


_rng = np.random.default_rng(1234)
W5 = _rng.uniform(0.2, 2.0, 5)                 # class weights for C = 5
SIGNS = np.where(_rng.random((3, 4)) > 0.5, 1.0, -1.0)
SIGN3 = np.array([1.0, -1.0, 1.0])
PROBS = _rng.uniform(0.05, 0.95, (3, 4))
POSW = _rng.uniform(0.5, 3.0, 4)
EW = _rng.uniform(0.1, 1.5, (3, 4))            # elementwise weights


def uniform(lo, hi, *shapes):
    return lambda rng: [rng.uniform(lo, hi, s) for s in shapes]


def with_targets(shape, n_classes, target_shape, ignore_at=None):
    def make(rng):
        x = rng.standard_normal(shape)
        t = rng.integers(0, n_classes, target_shape).astype(np.int64)
        if ignore_at is not None:
            t.reshape(-1)[ignore_at] = -100
        return [x, t]
    return make


# --------------------------------------------------------------------------- the case table
CASES: list[Case] = []


def add(name, fn, shapes=(), **kw):
    CASES.append(Case(name=name, fn=fn, shapes=list(shapes), **kw))


for red in REDUCTIONS:
    add(f"l1/{red}", lambda lib, x, y, r=red: F(lib).l1_loss(x, y, reduction=r), [(3, 4), (3, 4)])
    add(f"l1/weight/{red}", lambda lib, x, y, r=red: F(lib).l1_loss(x, y, reduction=r, weight=const(lib, EW)),
        [(3, 4), (3, 4)])
    add(f"mse/{red}", lambda lib, x, y, r=red: F(lib).mse_loss(x, y, reduction=r), [(3, 4), (3, 4)])
    add(f"mse/weight/{red}", lambda lib, x, y, r=red: F(lib).mse_loss(x, y, reduction=r, weight=const(lib, EW)),
        [(3, 4), (3, 4)])
    add(f"huber/{red}", lambda lib, x, y, r=red: F(lib).huber_loss(x, y, reduction=r, delta=0.7),
        [(3, 4), (3, 4)])
    add(f"huber/weight/{red}",
        lambda lib, x, y, r=red: F(lib).huber_loss(x, y, reduction=r, delta=1.3, weight=const(lib, EW)),
        [(3, 4), (3, 4)])
    add(f"smooth_l1/{red}", lambda lib, x, y, r=red: F(lib).smooth_l1_loss(x, y, reduction=r, beta=0.6),
        [(3, 4), (3, 4)])
    add(f"smooth_l1/beta0/{red}", lambda lib, x, y, r=red: F(lib).smooth_l1_loss(x, y, reduction=r, beta=0.0),
        [(3, 4), (3, 4)])
    add(f"soft_margin/{red}", lambda lib, x, r=red: F(lib).soft_margin_loss(x, const(lib, SIGNS), reduction=r),
        [(3, 4)])
    add(f"bce/{red}", lambda lib, x, y, r=red: F(lib).binary_cross_entropy(x, y, reduction=r),
        inputs=uniform(0.05, 0.95, (3, 4), (3, 4)))
    add(f"bce/weight/{red}",
        lambda lib, x, r=red: F(lib).binary_cross_entropy(x, const(lib, PROBS), weight=const(lib, POSW),
                                                          reduction=r),
        inputs=uniform(0.05, 0.95, (3, 4)))
    add(f"bce_logits/{red}", lambda lib, x, y, r=red: F(lib).binary_cross_entropy_with_logits(x, y, reduction=r),
        inputs=lambda rng: [3 * rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))])
    add(f"bce_logits/weights/{red}",
        lambda lib, x, y, r=red: F(lib).binary_cross_entropy_with_logits(
            x, y, weight=const(lib, EW), pos_weight=const(lib, POSW), reduction=r),
        inputs=lambda rng: [3 * rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))])
    add(f"multilabel_soft_margin/{red}",
        lambda lib, x, r=red: F(lib).multilabel_soft_margin_loss(x, const(lib, PROBS > 0.5).double(),
                                                                 weight=const(lib, POSW), reduction=r), [(3, 4)])
    add(f"multilabel_margin/{red}",
        lambda lib, x, r=red: F(lib).multilabel_margin_loss(
            x, const(lib, np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 0, 0, 0]])), reduction=r), [(3, 4)])
    add(f"multilabel_margin/1d/{red}",
        lambda lib, x, r=red: F(lib).multilabel_margin_loss(x, const(lib, np.array([2, 1, -1, 0])), reduction=r),
        [(4,)])
    for p in (1, 2):
        add(f"multi_margin/p{p}/{red}",
            lambda lib, x, r=red, p=p: F(lib).multi_margin_loss(x, const(lib, np.array([0, 3, 2])), p=p,
                                                                margin=0.8, reduction=r), [(3, 4)])
        add(f"multi_margin/p{p}/weight/{red}",
            lambda lib, x, r=red, p=p: F(lib).multi_margin_loss(x, const(lib, np.array([1, 3, 2])), p=p,
                                                                weight=const(lib, POSW), reduction=r), [(3, 4)])
    add(f"margin_ranking/{red}",
        lambda lib, a, b, r=red: F(lib).margin_ranking_loss(a, b, const(lib, SIGN3), margin=0.3, reduction=r),
        [(3,), (3,)])
    add(f"hinge_embedding/{red}",
        lambda lib, x, r=red: F(lib).hinge_embedding_loss(x, const(lib, SIGNS), margin=0.9, reduction=r),
        [(3, 4)])
    add(f"cosine_embedding/{red}",
        lambda lib, a, b, r=red: F(lib).cosine_embedding_loss(a, b, const(lib, SIGN3), margin=0.2, reduction=r),
        [(3, 5), (3, 5)])
    add(f"cosine_embedding/0d/{red}",
        lambda lib, a, b, r=red: F(lib).cosine_embedding_loss(a, b, const(lib, -1.0), margin=-0.5, reduction=r),
        [(5,), (5,)])
    for p, swap in ((2, False), (1, True), (3, False)):
        add(f"triplet/p{p}/swap{swap}/{red}",
            lambda lib, a, b, c, r=red, p=p, s=swap: F(lib).triplet_margin_loss(a, b, c, margin=0.7, p=p, swap=s,
                                                                                reduction=r),
            [(3, 4), (3, 4), (3, 4)])
    add(f"triplet_distance/default/{red}",
        lambda lib, a, b, c, r=red: F(lib).triplet_margin_with_distance_loss(a, b, c, swap=True, reduction=r),
        [(3, 4), (3, 4), (3, 4)])
    add(f"triplet_distance/cosine/{red}",
        lambda lib, a, b, c, r=red: F(lib).triplet_margin_with_distance_loss(
            a, b, c, distance_function=lambda u, v: 1.0 - F(lib).cosine_similarity(u, v), margin=0.5,
            reduction=r),
        [(3, 4), (3, 4), (3, 4)])
    for log_input in (True, False):
        for full in (False, True):
            add(f"poisson/log{log_input}/full{full}/{red}",
                lambda lib, x, r=red, li=log_input, fu=full: F(lib).poisson_nll_loss(
                    x, const(lib, np.array([[0.0, 1.0, 2.0, 5.0], [3.0, 0.5, 1.5, 7.0]])), log_input=li, full=fu,
                    reduction=r),
                inputs=uniform(0.2, 2.0, (2, 4)))
    add(f"gaussian_nll/{red}", lambda lib, x, y, v, r=red: F(lib).gaussian_nll_loss(x, y, v, reduction=r),
        inputs=lambda rng: [rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0.1, 2, (3, 4))])
    add(f"gaussian_nll/var_per_row/full/{red}",
        lambda lib, x, y, v, r=red: F(lib).gaussian_nll_loss(x, y, v, full=True, reduction=r),
        inputs=lambda rng: [rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0.1, 2, (3,))])
    add(f"gaussian_nll/var_float/{red}",
        lambda lib, x, y, r=red: F(lib).gaussian_nll_loss(x, y, 0.5, eps=1e-3, reduction=r), [(3, 4), (3, 4)])
    add(f"gaussian_nll/var_clamped/{red}",
        lambda lib, x, y, v, r=red: F(lib).gaussian_nll_loss(x, y, v, eps=0.3, reduction=r),
        inputs=lambda rng: [rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0.0, 0.6, (3, 4))],
        gradcheck=False)  # the clamp's kink lies inside the sampled range
    for mode_target in (False, True):
        add(f"kl_div/log_target{mode_target}/{red}",
            lambda lib, x, y, r=red, lt=mode_target: F(lib).kl_div(x, y, reduction=r, log_target=lt),
            inputs=lambda rng: [np.log(rng.uniform(0.1, 1, (3, 4))), rng.uniform(0.1, 1, (3, 4))])
    add(f"sigmoid_focal/{red}", None, [(3, 4)])  # filled in below: torchvision's formula in torch
    add(f"softmax_focal/{red}", None, [(4, 5)])

for log_target in (False, True):
    add(f"kl_div/log_target{log_target}/batchmean",
        lambda lib, x, y, lt=log_target: F(lib).kl_div(x, y, reduction="batchmean", log_target=lt),
        inputs=lambda rng: [np.log(rng.uniform(0.1, 1, (3, 4))), rng.uniform(0.1, 1, (3, 4))])
add("kl_div/zero_target", lambda lib, x: F(lib).kl_div(x, const(lib, np.array([0.0, 0.5, 0.5])), reduction="sum"),
    [(3,)])
add("bce/clamped_log", lambda lib, x: F(lib).binary_cross_entropy(
    x, const(lib, np.array([1.0, 0.0, 1.0, 0.0])), reduction="none"),
    inputs=lambda rng: [np.array([0.0, 1.0, 1.0, 0.0])], gradcheck=False)
add("bce_logits/large", lambda lib, x: F(lib).binary_cross_entropy_with_logits(
    x, const(lib, np.array([1.0, 0.0, 0.0, 1.0])), pos_weight=const(lib, np.array([2.0])), reduction="none"),
    inputs=lambda rng: [np.array([800.0, -800.0, 800.0, -800.0])], gradcheck=False)


def _sigmoid_focal_torchvision(lib, x, t, alpha, gamma, reduction):
    """torchvision.ops.sigmoid_focal_loss, written out (the reference)."""
    p = lib.sigmoid(x)
    ce = F(lib).binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def _sigmoid_focal(lib, x, r):
    t = const(lib, PROBS > 0.5).double()
    if lib is npgrad:
        return F(npgrad).sigmoid_focal_loss(x, t, reduction=r)
    return _sigmoid_focal_torchvision(lib, x, t, 0.25, 2.0, r)


FOCAL_T = np.array([0, 4, -100, 2])


def _softmax_focal(lib, x, r):
    t = const(lib, FOCAL_T)
    if lib is npgrad:
        return F(npgrad).softmax_focal_loss(x, t, alpha=npgrad.tensor(W5), gamma=2.0, reduction=r)
    # the documented formula, composed in torch
    logp = x.log_softmax(1).gather(1, t.clamp_min(0)[:, None])[:, 0]
    valid = (t != -100).double()
    w = torch.tensor(W5)[t.clamp_min(0)] * valid
    loss = -w * (1 - logp.exp()) ** 2 * logp
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / w.sum()}[r]


for case in CASES:
    if case.name.startswith("sigmoid_focal/"):
        case.fn = (lambda lib, x, r=case.name.split("/")[-1]: _sigmoid_focal(lib, x, r))
    elif case.name.startswith("softmax_focal/"):
        case.fn = (lambda lib, x, r=case.name.split("/")[-1]: _softmax_focal(lib, x, r))


# --------------------------------------------------------------------------- nll / cross-entropy cases
CE_SHAPES = {"C": ((5,), ()), "NC": ((4, 5), (4,)), "NCd": ((2, 5, 3), (2, 3)), "NCdd": ((2, 5, 2, 3), (2, 2, 3))}
for shape_name, (x_shape, t_shape) in CE_SHAPES.items():
    for red in REDUCTIONS:
        for weighted in (False, True):
            for ignore in (False, True):
                ignore_at = 1 if ignore and t_shape else None
                tag = f"{shape_name}/{red}/w{int(weighted)}/ig{int(ignore)}"
                make = with_targets(x_shape, 5, t_shape, ignore_at)
                add(f"nll/{tag}",
                    lambda lib, x, t, r=red, w=weighted: F(lib).nll_loss(
                        x.log_softmax(0 if x.ndim == 1 else 1), t, weight=const(lib, W5) if w else None,
                        reduction=r), inputs=make)
                for ls in (0.0, 0.25):
                    add(f"ce/{tag}/ls{ls}",
                        lambda lib, x, t, r=red, w=weighted, ls=ls: F(lib).cross_entropy(
                            x, t, weight=const(lib, W5) if w else None, reduction=r, label_smoothing=ls),
                        inputs=make)
        for ls in (0.0, 0.3):
            add(f"ce/probs/{shape_name}/{red}/ls{ls}",
                lambda lib, x, q, r=red, ls=ls: F(lib).cross_entropy(x, q.softmax(0 if x.ndim == 1 else 1),
                                                                     weight=const(lib, W5), reduction=r,
                                                                     label_smoothing=ls),
                [x_shape, x_shape])

add("ce/ignore_index_in_range", lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=2, label_smoothing=0.1),
    inputs=lambda rng: [rng.standard_normal((6, 4)), np.array([2, 0, 1, 2, 3, 2])])
add("ce/all_ignored_mean_nan", lambda lib, x, t: F(lib).cross_entropy(x, t, weight=const(lib, W5[:4])),
    inputs=lambda rng: [rng.standard_normal((3, 4)), np.full(3, -100)], gradcheck=False)
add("ce/empty_batch_mean_nan", lambda lib, x, t: F(lib).cross_entropy(x, t),
    inputs=lambda rng: [rng.standard_normal((0, 4)), np.zeros(0, dtype=np.int64)], gradcheck=False)
add("ce/huge_logits", lambda lib, x, t: F(lib).cross_entropy(x * 1e8, t, label_smoothing=0.1, reduction="none"),
    inputs=lambda rng: [rng.standard_normal((4, 6)), np.array([0, 1, 5, 3])], gradcheck=False)
# torch computes these forwards but its backward rejects the (1,) target: values only
add("ce/C_with_target_of_size_1", lambda lib, x: F(lib).cross_entropy(x, const(lib, np.array([3])), reduction="none"),
    [(5,)], grad=False)
add("nll/C_with_target_of_size_1", lambda lib, x: F(lib).nll_loss(x, const(lib, np.array([3])), reduction="none"),
    [(5,)], grad=False)
add("ce/byte_target", lambda lib, x: F(lib).cross_entropy(x, const(lib, np.array([1, 0, 3], dtype=np.uint8))),
    [(3, 4)])


# --------------------------------------------------------------------------- CTC cases
def ctc_inputs(t_max, n, c, s_max, concat=False, lengths=None):
    def make(rng):
        x = rng.standard_normal((t_max, n, c))
        in_len = np.array(lengths[0] if lengths else [t_max] * n, dtype=np.int64)
        tg_len = np.array(lengths[1] if lengths else rng.integers(1, s_max + 1, n), dtype=np.int64)
        tg = rng.integers(1, c, (n, s_max)).astype(np.int64)
        tg[0, :2] = 2  # a repeated label needs a blank between
        if concat:
            tg = np.concatenate([tg[b, :tg_len[b]] for b in range(n)])
        return [x, tg, in_len, tg_len]
    return make


def _ctc(lib, x, tg, il, tl, r, zero_inf=False, raw=False, unbatched=False):
    lp = x if raw else x.log_softmax(-1)
    if unbatched:
        return F(lib).ctc_loss(lp[:, 0], tg[0, :int(tl[0])], il[0], tl[0], reduction=r, zero_infinity=zero_inf)
    return F(lib).ctc_loss(lp, tg, il, tl, blank=0, reduction=r, zero_infinity=zero_inf)


for red in REDUCTIONS:
    add(f"ctc/padded/{red}", lambda lib, *a, r=red: _ctc(lib, *a, r), inputs=ctc_inputs(7, 3, 4, 3,
                                                                                       lengths=([7, 5, 6], [3, 2, 1])))
    add(f"ctc/concat/{red}", lambda lib, *a, r=red: _ctc(lib, *a, r), inputs=ctc_inputs(6, 2, 5, 2, concat=True))
    add(f"ctc/raw_log_probs/{red}", lambda lib, *a, r=red: _ctc(lib, *a, r, raw=True),
        inputs=lambda rng: [np.log(rng.dirichlet(np.ones(4), (6, 2))), np.array([[1, 1], [2, 3]]),
                            np.array([6, 4]), np.array([2, 2])], gradcheck=False)
    add(f"ctc/zero_infinity/{red}", lambda lib, *a, r=red: _ctc(lib, *a, r, zero_inf=True),
        inputs=ctc_inputs(4, 2, 4, 3, lengths=([4, 2], [2, 3])))
    add(f"ctc/unbatched/{red}", lambda lib, *a, r=red: _ctc(lib, *a, r, unbatched=True),
        inputs=ctc_inputs(5, 1, 4, 2, lengths=([5], [2])))
add("ctc/impossible_is_inf", lambda lib, *a: _ctc(lib, *a, "none"),
    inputs=ctc_inputs(3, 2, 4, 3, lengths=([3, 2], [2, 3])), grad=False)


# --------------------------------------------------------------------------- linear cross-entropy cases
def _lce(lib, x, w, b, t, reduction, weighted, chunk):
    kwargs = dict(linear_bias=b, reduction=reduction, weight=const(lib, W5) if weighted else None,
                  ignore_index=-100)
    if lib is npgrad:
        kwargs["options"] = nn.LinearCrossEntropyOptions(batch_chunk_size=chunk)
    return F(lib).linear_cross_entropy(x, w, t, **kwargs)


for red in REDUCTIONS:
    for weighted in (False, True):
        add(f"linear_ce/{red}/w{int(weighted)}",
            lambda lib, x, w, b, t, r=red, wt=weighted: _lce(lib, x, w, b, t, r, wt, chunk=3),
            inputs=lambda rng: [rng.standard_normal((7, 3)), rng.standard_normal((5, 3)), rng.standard_normal(5),
                                np.array([0, 4, -100, 2, 2, 1, 3])])
add("linear_ce/unbatched", lambda lib, x, w, t: F(lib).linear_cross_entropy(x, w, t),
    inputs=lambda rng: [rng.standard_normal(3), rng.standard_normal((5, 3)), np.array(3)])
add("linear_ce/label_smoothing", lambda lib, x, w, t: F(lib).linear_cross_entropy(x, w, t, label_smoothing=0.2),
    inputs=lambda rng: [rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), np.array([0, 4, 1, 2])])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_loss_matches_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_case(case, golden)


# --------------------------------------------------------------------------- fused kernel vs composed
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 9), (9,), (3, 9, 4), (2, 9, 3, 2)])
def test_fused_cross_entropy_matches_composed(dtype, shape):
    from npgrad.nn.functional.loss import _cross_entropy_composed, _FusedCrossEntropy

    rng = np.random.default_rng(7)
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    t_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    t = rng.integers(0, 9, t_shape)
    if t.size > 1:
        t.reshape(-1)[0] = -100
    w = rng.uniform(0.1, 2, 9).astype(dtype)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for reduction in REDUCTIONS:
        for weight in (None, w):
            for ls in (0.0, 0.15):
                a = npgrad.tensor(x, requires_grad=True)
                b = npgrad.tensor(x, requires_grad=True)
                wt = None if weight is None else npgrad.tensor(weight)
                fused = F(npgrad).cross_entropy(a, npgrad.tensor(t), wt, reduction=reduction, label_smoothing=ls)
                ref = _cross_entropy_composed(b, npgrad.tensor(t), wt, -100, reduction, ls)
                if reduction != "none":      # the fused kernel ran (its node carries PyTorch's name for the call)
                    assert fused.grad_fn.fn is _FusedCrossEntropy
                np.testing.assert_allclose(fused.detach().numpy(), ref.detach().numpy(), **tol)
                cot = rng.standard_normal(fused.shape).astype(dtype)
                (fused * npgrad.tensor(cot)).sum().backward()
                (ref * npgrad.tensor(cot)).sum().backward()
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


def test_fused_backward_twice_with_retain_graph():
    rng = np.random.default_rng(3)
    x = npgrad.tensor(rng.standard_normal((4, 6)), requires_grad=True)
    loss = F(npgrad).cross_entropy(x, npgrad.tensor([1, 0, 5, 2]), label_smoothing=0.1)
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    (loss * 3).backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * first, rtol=1e-12)


def test_fused_without_grad_gives_same_loss():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 7)).astype(np.float32)
    t = npgrad.tensor(rng.integers(0, 7, 5))
    with npgrad.no_grad():
        a = F(npgrad).cross_entropy(npgrad.tensor(x, requires_grad=True), t)
    b = F(npgrad).cross_entropy(npgrad.tensor(x, requires_grad=True), t)
    assert a.grad_fn is None and not a.requires_grad
    assert a.item() == b.item()


def test_cross_entropy_finite_for_huge_logits_float32():
    x = npgrad.tensor([[1e8, -1e8, 0.0], [5e7, 5e7, -1e8]], requires_grad=True)
    loss = F(npgrad).cross_entropy(x, npgrad.tensor([1, 0]), label_smoothing=0.2)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    ref = golden("ce/huge_logits_float32", lambda: _torch_ce_huge())
    np.testing.assert_allclose(loss.item(), ref[0], rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), ref[1], rtol=1e-6, atol=1e-7)


def _torch_ce_huge():
    x = torch.tensor([[1e8, -1e8, 0.0], [5e7, 5e7, -1e8]], requires_grad=True)
    loss = torch.nn.functional.cross_entropy(x, torch.tensor([1, 0]), label_smoothing=0.2)
    loss.backward()
    return loss.detach().numpy(), x.grad.numpy()


# --------------------------------------------------------------------------- hypothesis fuzzing
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.integers(0, 3), st.integers(1, 6), st.integers(0, 2), st.sampled_from(REDUCTIONS), st.booleans(),
       st.sampled_from([-100, 0, 2]), st.sampled_from([0.0, 0.1, 1.0]), st.booleans(), st.integers(0, 2 ** 16))
def test_cross_entropy_fuzz(n_extra, n_classes, batch, reduction, weighted, ignore_index, ls, probs, seed):
    rng = np.random.default_rng(seed)
    spatial = tuple(rng.integers(1, 4, n_extra - 1)) if n_extra > 1 else ()
    shape = (n_classes,) if n_extra == 0 else (batch, n_classes, *spatial)
    x = 4 * rng.standard_normal(shape)
    w = rng.uniform(0.1, 2, n_classes) if weighted else None
    if probs:
        target = rng.dirichlet(np.ones(n_classes), shape[:1] + shape[2:] if n_extra else ()).astype(np.float64)
        target = np.moveaxis(target, -1, 0 if n_extra == 0 else 1)
        ignore_index = -100
    else:
        target = rng.integers(0, n_classes, shape[:1] + shape[2:] if n_extra else ())
        if target.size and ignore_index == -100:
            target.reshape(-1)[rng.integers(0, target.size)] = -100
    key = f"fuzz/{shape}/{reduction}/{weighted}/{ignore_index}/{ls}/{probs}/{seed}"

    def torch_ce():
        xt = torch.tensor(x, requires_grad=True)
        out = torch.nn.functional.cross_entropy(xt, torch.tensor(target), None if w is None else torch.tensor(w),
                                                ignore_index=ignore_index, reduction=reduction, label_smoothing=ls)
        out.sum().backward()
        return out.detach().numpy(), xt.grad.numpy()

    ref_out, ref_grad = golden(key, torch_ce)
    xn = npgrad.tensor(x, requires_grad=True)
    loss = nn.CrossEntropyLoss(None if w is None else npgrad.tensor(w), ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=ls)(xn, npgrad.tensor(target))
    np.testing.assert_allclose(loss.detach().numpy(), ref_out, rtol=1e-10, atol=1e-12)
    if loss.numel():
        loss.sum().backward()
        np.testing.assert_allclose(xn.grad.numpy(), ref_grad, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- modules
MODULES = [
    ("L1Loss", {}, "l1_loss", 2), ("MSELoss", {"reduction": "sum"}, "mse_loss", 2),
    ("SmoothL1Loss", {"beta": 0.5}, "smooth_l1_loss", 2), ("HuberLoss", {"delta": 0.5}, "huber_loss", 2),
    ("SoftMarginLoss", {}, "soft_margin_loss", 2), ("KLDivLoss", {"reduction": "batchmean"}, "kl_div", 2),
    ("PoissonNLLLoss", {"full": True}, "poisson_nll_loss", 2), ("HingeEmbeddingLoss", {"margin": 2.0},
                                                                "hinge_embedding_loss", 2),
    ("MarginRankingLoss", {"margin": 0.1}, "margin_ranking_loss", 3),
    ("TripletMarginLoss", {"swap": True}, "triplet_margin_loss", 3),
    ("TripletMarginWithDistanceLoss", {"margin": 2.0}, "triplet_margin_with_distance_loss", 3),
]


@pytest.mark.parametrize("name,kwargs,fn,n_args", MODULES, ids=[m[0] for m in MODULES])
def test_module_calls_functional(name, kwargs, fn, n_args):
    rng = np.random.default_rng(11)
    args = [npgrad.tensor(rng.uniform(0.1, 1.0, (3, 4))) for _ in range(n_args)]
    module = getattr(nn, name)(**kwargs)
    functional_kwargs = {k: v for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "TripletMarginWithDistanceLoss":
            functional_kwargs = {"margin": 2.0}
        np.testing.assert_array_equal(module(*args).numpy(), getattr(F(npgrad), fn)(*args, **functional_kwargs).numpy())


def test_linear_cross_entropy_module():
    npgrad.manual_seed(0)
    module = nn.LinearCrossEntropyLoss(4, 6, bias=True, label_smoothing=0.1)
    assert list(module.state_dict()) == ["linear.weight", "linear.bias"]
    x, t = npgrad.randn(5, 4), npgrad.tensor([0, 5, 2, 1, 3])
    expected = F(npgrad).cross_entropy(F(npgrad).linear(x, module.linear.weight, module.linear.bias), t,
                                       label_smoothing=0.1)
    np.testing.assert_allclose(module(x, t).item(), expected.item(), rtol=1e-6)


def test_module_buffers_and_config():
    w = npgrad.tensor(W5)
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=3, label_smoothing=0.2)
    assert list(ce.state_dict()) == ["weight"] and ce.ignore_index == 3 and ce.label_smoothing == 0.2
    bce = nn.BCEWithLogitsLoss(pos_weight=npgrad.tensor(POSW))
    assert list(bce.state_dict()) == ["pos_weight"]
    assert list(nn.BCEWithLogitsLoss(weight=npgrad.tensor(EW)).state_dict()) == ["weight"]
    for cls in (nn.NLLLoss, nn.BCELoss, nn.MultiLabelSoftMarginLoss, nn.MultiMarginLoss):
        assert list(cls(weight=w).state_dict()) == ["weight"]
    assert nn.CTCLoss(blank=2, zero_infinity=True).blank == 2
    assert nn.GaussianNLLLoss(full=True, eps=0.1).eps == 0.1


def test_legacy_size_average_and_reduce():
    cases = [((True, None), "mean"), ((False, None), "sum"), ((True, False), "none"), ((None, False), "none"),
             ((False, True), "sum")]
    for (size_average, reduce), expected in cases:
        with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
            module = nn.MSELoss(size_average=size_average, reduce=reduce)
        assert module.reduction == expected
    x, y = npgrad.tensor([1.0, 2.0]), npgrad.tensor([0.0, 0.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F(npgrad).l1_loss(x, y, size_average=False).item() == 3.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        out = F(npgrad).cross_entropy(npgrad.tensor([[1.0, 2.0]]), npgrad.tensor([0]), reduce=False)
    assert out.shape == (1,)


def test_size_mismatch_warnings():
    x, y = npgrad.zeros(3, 1), npgrad.zeros(3)
    for fn in ("l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"):
        with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is different to "
                                             r"the input size \(torch.Size\(\[3, 1\]\)\)"):
            assert getattr(F(npgrad), fn)(x, y).shape == ()
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F(npgrad).kl_div(npgrad.zeros(2), npgrad.ones(2))


# --------------------------------------------------------------------------- bad input
def _bad(lib):
    f = F(lib)
    t = lib.tensor
    x = t(np.zeros((3, 5)))
    return {
        "ce_target_oob": lambda: f.cross_entropy(x, t([0, 1, 7])),
        "ce_target_negative": lambda: f.cross_entropy(x, t([0, -1, 2])),
        "ce_batch": lambda: f.cross_entropy(x, t([0, 1])),
        "ce_1d_target_size": lambda: f.cross_entropy(t(np.zeros(5)), t([0, 1, 2])),
        "ce_reduction": lambda: f.cross_entropy(x, t([0, 1, 2]), reduction="avg"),
        "ce_probs_ignore": lambda: f.cross_entropy(x, t(np.full((3, 5), 0.2)), ignore_index=1),
        "ce_probs_long": lambda: f.cross_entropy(t(np.zeros(3)), t([0, 1, 2])),
        "ce_float_index": lambda: f.cross_entropy(x, t([0.0, 1.0, 2.0])),
        "ce_weight_shape": lambda: f.cross_entropy(x, t([0, 1, 2]), weight=t(np.ones(4))),
        "ce_smoothing": lambda: f.cross_entropy(x, t([0, 1, 2]), label_smoothing=1.5),
        "ce_spatial_target": lambda: f.cross_entropy(t(np.zeros((2, 5, 3))), t(np.zeros((2, 4), dtype=np.int64))),
        "ce_4d_target": lambda: f.cross_entropy(t(np.zeros((2, 5, 3, 2))), t(np.zeros((2, 3), dtype=np.int64))),
        "nll_multi_target": lambda: f.nll_loss(x, t(np.zeros((3, 2), dtype=np.int64))),
        "nll_4d_size": lambda: f.nll_loss(t(np.zeros((2, 5, 3, 4))), t(np.zeros((2, 3, 5), dtype=np.int64))),
        "nll_reduction": lambda: f.nll_loss(x, t([0, 1, 2]), reduction="bad"),
        "bce_input_range": lambda: f.binary_cross_entropy(t([1.5, 0.5]), t([1.0, 0.0])),
        "bce_input_nan": lambda: f.binary_cross_entropy(t([float("nan")]), t([1.0])),
        "bce_target_range": lambda: f.binary_cross_entropy(t([0.5]), t([2.0])),
        "bce_size": lambda: f.binary_cross_entropy(t([0.5]), t([1.0, 0.0])),
        "bce_logits_size": lambda: f.binary_cross_entropy_with_logits(t([0.5]), t([1.0, 0.0])),
        "l1_reduction": lambda: f.l1_loss(t([1.0]), t([1.0]), reduction="bad"),
        "l1_weight_size": lambda: f.l1_loss(t([1.0, 2.0]), t([1.0, 2.0]), weight=t([1.0])),
        "kl_reduction": lambda: f.kl_div(t([1.0]), t([1.0]), reduction="bad"),
        "poisson_reduction": lambda: f.poisson_nll_loss(t([1.0]), t([1.0]), reduction="bad"),
        "gaussian_negative_var": lambda: f.gaussian_nll_loss(t([1.0]), t([1.0]), t([-1.0])),
        "gaussian_var_size": lambda: f.gaussian_nll_loss(t(np.zeros((2, 3))), t(np.zeros((2, 3))), t(np.ones(4))),
        "gaussian_reduction": lambda: f.gaussian_nll_loss(t([1.0]), t([1.0]), t([1.0]), reduction="x"),
        "multi_margin_p": lambda: f.multi_margin_loss(x, t([0, 1, 2]), p=3),
        "multi_margin_target_range": lambda: f.multi_margin_loss(x, t([0, 1, 7])),
        "multi_margin_target_size": lambda: f.multi_margin_loss(x, t([0, 1])),
        "multi_margin_weight_size": lambda: f.multi_margin_loss(x, t([0, 1, 2]), weight=t(np.ones(3))),
        "multi_margin_3d": lambda: f.multi_margin_loss(t(np.zeros((2, 3, 4))), t([0, 1])),
        "multilabel_margin_range": lambda: f.multilabel_margin_loss(x, t(np.full((3, 5), 7))),
        "multilabel_margin_size": lambda: f.multilabel_margin_loss(x, t(np.zeros((3, 2), dtype=np.int64))),
        "multilabel_margin_3d": lambda: f.multilabel_margin_loss(t(np.zeros((2, 3, 4))),
                                                                 t(np.zeros((2, 3, 4), dtype=np.int64))),
        "huber_delta": lambda: f.huber_loss(x, x, delta=-1.0),
        "smooth_l1_beta": lambda: f.smooth_l1_loss(x, x, beta=-1.0),
        "ctc_dims": lambda: f.ctc_loss(t(np.zeros((4, 2, 3, 1))), t([[1, 1], [1, 2]]), t([4, 4]), t([2, 2])),
        "margin_ranking_dims": lambda: f.margin_ranking_loss(t([1.0]), t([[1.0]]), t([1.0])),
        "cosine_target_dims": lambda: f.cosine_embedding_loss(x, x, t(np.ones((3, 1)))),
        "cosine_input_dims": lambda: f.cosine_embedding_loss(t(np.ones(3)), t(np.ones(3)), t([1.0])),
        "triplet_margin": lambda: f.triplet_margin_loss(x, x, x, margin=0.0),
        "triplet_dims": lambda: f.triplet_margin_loss(x, x, t(np.zeros(5))),
        "triplet_distance_reduction": lambda: f.triplet_margin_with_distance_loss(x, x, x, reduction="x"),
        "ctc_input_length": lambda: f.ctc_loss(t(np.zeros((4, 2, 3))), t([[1, 1], [1, 2]]), t([5, 4]), t([2, 2])),
        "ctc_target_width": lambda: f.ctc_loss(t(np.zeros((4, 2, 3))), t([[1, 1], [1, 2]]), t([4, 4]), t([3, 2])),
        "ctc_concat_size": lambda: f.ctc_loss(t(np.zeros((4, 2, 3))), t([1, 1, 2]), t([4, 4]), t([2, 2])),
        "ctc_lengths_batch": lambda: f.ctc_loss(t(np.zeros((4, 2, 3))), t([[1, 1], [1, 2]]), t([4]), t([2, 2])),
        "ctc_negative_target_length": lambda: f.ctc_loss(t(np.zeros((4, 2, 3))), t([[1, 1], [1, 2]]), t([4, 4]),
                                                         t([-1, 2])),
        "ctc_blank": lambda: f.ctc_loss(t(np.zeros((4, 2, 3))), t([[1, 1], [1, 2]]), t([4, 4]), t([2, 2]),
                                        blank=3),
        "lce_probs_ignore": lambda: f.linear_cross_entropy(x, t(np.ones((4, 5))), t(np.full((3, 4), 0.25)),
                                                           ignore_index=1),
        "lce_in_features": lambda: f.linear_cross_entropy(x, t(np.ones((4, 3))), t([0, 1, 2])),
    }


BAD = sorted(_bad(npgrad))


@pytest.mark.parametrize("name", BAD)
def test_bad_input_message(name):
    def torch_error():
        try:
            _bad(torch)[name]()
        except Exception as e:  # noqa: BLE001  (the oracle's exception, whatever it is)
            return type(e).__name__, str(e)
        raise AssertionError(f"torch accepted {name}")

    ref_type, ref_msg = golden(f"error/{name}", torch_error)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:
            _bad(npgrad)[name]()
    assert type(info.value).__name__ == str(ref_type)
    assert str(info.value) == str(ref_msg)


# --------------------------------------------------------------------------- linear cross-entropy memory use
def test_linear_cross_entropy_chunk_rows():
    from npgrad.nn.functional.loss import _chunk_rows

    # a chunk of logits as large as the input (2 ** 16 x 1024 input, 32768 classes -> 2048 rows), at least 512
    assert _chunk_rows(2 ** 16, 1024, 32768, None) == 2048
    assert _chunk_rows(2 ** 16, 1024, 32768, nn.LinearCrossEntropyOptions(chunking_method="aspect_ratio:2")) == 1024
    assert _chunk_rows(8192, 1024, 32768, None) == 512
    assert _chunk_rows(100, 1024, 32768, None) == 100
    assert _chunk_rows(100, 8, 10, nn.LinearCrossEntropyOptions(batch_chunk_size=7)) == 7


def test_linear_cross_entropy_never_builds_full_logits(monkeypatch):
    import npgrad.kernels.cross_entropy as kernel

    seen = []
    original = kernel.cross_entropy_forward_backward

    def spy(x, *args, **kwargs):
        seen.append(x.shape)
        return original(x, *args, **kwargs)

    monkeypatch.setattr(kernel, "cross_entropy_forward_backward", spy)
    rng = np.random.default_rng(5)
    x = npgrad.tensor(rng.standard_normal((64, 4)), requires_grad=True)
    w = npgrad.tensor(rng.standard_normal((40, 4)), requires_grad=True)
    t = npgrad.tensor(rng.integers(0, 40, 64))
    F(npgrad).linear_cross_entropy(x, w, t, options=nn.LinearCrossEntropyOptions(batch_chunk_size=8)).backward()
    assert len(seen) == 8 and all(rows == 8 for rows, _ in seen)


# --------------------------------------------------------------------------- float32 stays float32
def _float32_calls():
    f = F(npgrad)
    rng = np.random.default_rng(9)

    def t32(shape, lo=None, hi=None):
        a = rng.uniform(lo, hi, shape) if lo is not None else rng.standard_normal(shape)
        return npgrad.tensor(a.astype(np.float32))

    idx = npgrad.tensor(np.array([0, 3, -100, 1]))
    w = t32(5, 0.5, 1.5)
    signs = npgrad.tensor(SIGNS.astype(np.float32))
    return {
        "l1": lambda x: f.l1_loss(x, t32((4, 5)), weight=t32((4, 5), 0, 1)),
        "mse": lambda x: f.mse_loss(x, t32((4, 5))),
        "huber": lambda x: f.huber_loss(x, t32((4, 5))),
        "smooth_l1": lambda x: f.smooth_l1_loss(x, t32((4, 5))),
        "ce": lambda x: f.cross_entropy(x, idx, weight=w, label_smoothing=0.1),
        "ce_composed": lambda x: __import__("npgrad.nn.functional.loss", fromlist=["x"])._cross_entropy_composed(
            x, idx, w, -100, "mean", 0.1),
        "ce_probs": lambda x: f.cross_entropy(x, t32((4, 5), 0, 1), weight=w),
        "nll": lambda x: f.nll_loss(x, idx, weight=w),
        "bce": lambda x: f.binary_cross_entropy(x.sigmoid(), t32((4, 5), 0, 1), weight=w),
        "bce_logits": lambda x: f.binary_cross_entropy_with_logits(x, t32((4, 5), 0, 1), pos_weight=w),
        "kl_div": lambda x: f.kl_div(x, t32((4, 5), 0, 1), reduction="batchmean"),
        "poisson": lambda x: f.poisson_nll_loss(x, t32((4, 5), 0, 3), full=True),
        "gaussian": lambda x: f.gaussian_nll_loss(x, t32((4, 5)), t32((4, 5), 0.1, 1)),
        "soft_margin": lambda x: f.soft_margin_loss(x[:3, :4], signs),
        "multilabel_soft_margin": lambda x: f.multilabel_soft_margin_loss(x, t32((4, 5), 0, 1), weight=w),
        "multilabel_margin": lambda x: f.multilabel_margin_loss(x, npgrad.tensor(np.tile([2, 0, -1, 1, 1], (4, 1)))),
        "multi_margin": lambda x: f.multi_margin_loss(x, npgrad.tensor([0, 3, 2, 1]), p=2, weight=w),
        "margin_ranking": lambda x: f.margin_ranking_loss(x[0], x[1], npgrad.tensor(np.ones(5, np.float32))),
        "hinge": lambda x: f.hinge_embedding_loss(x[:3, :4], signs),
        "cosine": lambda x: f.cosine_embedding_loss(x, x.flip(0), npgrad.tensor(np.array([1, -1, 1, -1], np.float32))),
        "triplet": lambda x: f.triplet_margin_loss(x, x.flip(0), x.flip(1)),
        "triplet_distance": lambda x: f.triplet_margin_with_distance_loss(x, x.flip(0), x.flip(1)),
        "ctc": lambda x: f.ctc_loss(x.reshape(4, 1, 5).log_softmax(2), npgrad.tensor([[1, 2]]), [4], [2]),
        "sigmoid_focal": lambda x: f.sigmoid_focal_loss(x, t32((4, 5), 0, 1), reduction="mean"),
        "softmax_focal": lambda x: f.softmax_focal_loss(x, idx, alpha=w),
        "linear_ce": lambda x: f.linear_cross_entropy(x, t32((7, 5)), npgrad.tensor([0, 6, 2, 1])),
    }


@pytest.mark.parametrize("name", sorted(_float32_calls()))
def test_float32_in_float32_out(name):
    x = npgrad.tensor(np.random.default_rng(10).standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    out = _float32_calls()[name](x)
    assert out.dtype == npgrad.float32
    out.sum().backward()
    assert x.grad.dtype == npgrad.float32 and np.isfinite(x.grad.numpy()).all()
