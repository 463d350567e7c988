"""A loss's ``grad_fn`` is named as PyTorch names it, so ``print(loss)`` reads the same
(``tensor(0.5, grad_fn=<MseLossBackward0>)``): PyTorch's fused loss ops for every reduction, its NLL kernels
for spatial inputs, and the ops it composes the other losses from; ``clamp``'s node names by its bounds."""
from __future__ import annotations

import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("loss_node_names")


def _losses(L):
    F = L.nn.functional
    L.manual_seed(0)
    x = L.randn(4, 5, requires_grad=True)
    y = L.randn(4, 5)
    p = L.rand(4, 5, requires_grad=True)
    t, w = L.rand(4, 5), L.rand(4, 5)
    cls = L.tensor([0, 1, 2, 4])
    logp = F.log_softmax(x, 1)
    calls = {
        "mse": lambda r: F.mse_loss(x, y, reduction=r),
        "mse_weight": lambda r: F.mse_loss(x, y, weight=w, reduction=r),
        "l1": lambda r: F.l1_loss(x, y, reduction=r),
        "smooth_l1": lambda r: F.smooth_l1_loss(x, y, reduction=r),
        "smooth_l1_beta0": lambda r: F.smooth_l1_loss(x, y, beta=0.0, reduction=r),
        "huber": lambda r: F.huber_loss(x, y, reduction=r),
        "huber_weight": lambda r: F.huber_loss(x, y, weight=w, reduction=r),
        "bce": lambda r: F.binary_cross_entropy(p, t, reduction=r),
        "bce_weight": lambda r: F.binary_cross_entropy(p, t, weight=w, reduction=r),
        "bce_logits": lambda r: F.binary_cross_entropy_with_logits(x, t, pos_weight=L.ones(5), reduction=r),
        "nll": lambda r: F.nll_loss(logp, cls, reduction=r),
        "nll_1d": lambda r: F.nll_loss(logp[0], cls[0], reduction=r),
        "nll_3d": lambda r: F.nll_loss(x.view(2, 2, 5).log_softmax(1), L.zeros(2, 5, dtype=L.long), reduction=r),
        "nll_4d": lambda r: F.nll_loss(x.view(1, 4, 5, 1).log_softmax(1), L.zeros(1, 5, 1, dtype=L.long),
                                       reduction=r),
        "ce": lambda r: F.cross_entropy(x, cls, reduction=r),
        "ce_3d": lambda r: F.cross_entropy(x.view(1, 4, 5), L.zeros(1, 5, dtype=L.long), reduction=r),
        "ce_4d": lambda r: F.cross_entropy(x.view(1, 4, 5, 1), L.zeros(1, 5, 1, dtype=L.long), reduction=r),
        "ce_smoothing": lambda r: F.cross_entropy(x, cls, label_smoothing=0.1, reduction=r),
        "soft_margin": lambda r: F.soft_margin_loss(x, y.sign(), reduction=r),
        "multilabel_margin": lambda r: F.multilabel_margin_loss(x, L.tensor([[0, 1, -1, 0, 0]] * 4), reduction=r),
        "multi_margin": lambda r: F.multi_margin_loss(x, cls, reduction=r),
        "margin_ranking": lambda r: F.margin_ranking_loss(x[:, 0], x[:, 1], y[:, 0].sign(), reduction=r),
        "triplet": lambda r: F.triplet_margin_loss(x, y, p, reduction=r),
        "module_mse": lambda r: L.nn.MSELoss(reduction=r)(x, y),
        "module_ce": lambda r: L.nn.CrossEntropyLoss(reduction=r)(x, cls),
    }
    return {k: [f(r).grad_fn.name() for r in ("mean", "sum", "none")] for k, f in calls.items()}


def _clamps(L):
    x = L.randn(3, requires_grad=True)
    return [f(x).grad_fn.name() for f in (lambda v: v.clamp(min=0), lambda v: v.clamp(max=0), lambda v: v.clamp(0, 2),
                                          lambda v: L.clamp(v, min=L.zeros(3)), lambda v: v.clamp_min(0),
                                          lambda v: v.clamp_max(1), lambda v: v.clip(0, 1))]


@pytest.mark.parametrize("key,program", [("losses", _losses), ("clamps", _clamps)])
def test_node_names_as_torch(key, program):
    expected = golden(key, lambda: program(torch))
    assert program(npgrad) == expected


def test_printed_loss_as_torch():
    x = npgrad.tensor([[1.0, 2.0]], requires_grad=True)
    loss = npgrad.nn.functional.mse_loss(x, npgrad.zeros(1, 2))
    assert repr(loss) == "tensor(2.5000, grad_fn=<MseLossBackward0>)"
