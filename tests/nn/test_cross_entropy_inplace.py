"""In-place writes after ``cross_entropy``: PyTorch's node keeps log_softmax's output, the target and the weight,
so changing the logits afterwards is legal (the gradient is the one of the forward's values) while changing the
target or the weight is PyTorch's error. The fused kernel, the composed path (half precision, probability
targets) and ``nll_loss(log_softmax(x))`` are compared with torch."""
from __future__ import annotations

import numpy as np
import pytest

import npgrad
from npgrad.nn.functional.loss import _cross_entropy_composed
from oracle import Golden, torch

golden = Golden("cross_entropy_inplace")

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation"

LOSSES = {
    "mean": "F.cross_entropy(z, t)",
    "sum": "F.cross_entropy(z, t, reduction='sum')",
    "none": "F.cross_entropy(z, t, reduction='none')",
    "weight": "F.cross_entropy(z, t, weight=w)",
    "smoothing": "F.cross_entropy(z, t, label_smoothing=0.1)",
    "smoothing+weight": "F.cross_entropy(z, t, weight=w, label_smoothing=0.1)",
    "ignore_index": "F.cross_entropy(z, t, ignore_index=1)",
    "one sample": "F.cross_entropy(z[0], t[0])",
    "spatial": "F.cross_entropy(z.reshape(1, 2, 3).transpose(1, 2), t.reshape(1, 2))",
    "float64": "F.cross_entropy(z.double(), t)",
    "half (composed)": "F.cross_entropy(z.half(), t).float()",
    "composed": "composed(z, t, weight=w, label_smoothing=0.1)",
    "probabilities": "F.cross_entropy(z, q)",
    "probabilities+smoothing": "F.cross_entropy(z, q, label_smoothing=0.2)",
    "nll_loss(log_softmax)": "F.nll_loss(F.log_softmax(z, 1), t)",
}
EDITS = {"logits": "z.add_(1)", "target": "t.fill_(2)", "weight": "w.mul_(2)", "probabilities": "q.mul_(2)"}


def _outcome(L, loss, edit):
    """x.grad after the loss, an in-place edit and backward; or "error" (PyTorch's in-place error)."""
    F = L.nn.functional
    x = L.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=True)
    env = {"F": F, "z": x * 1, "t": L.tensor([0, 1]), "w": L.tensor([1.0, 2.0, 3.0]),
           "q": L.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]),
           "composed": _cross_entropy_composed if L is npgrad else F.cross_entropy}
    out = eval(LOSSES[loss], env).sum()
    exec(EDITS[edit], env)
    try:
        out.backward()
    except RuntimeError as e:
        assert str(e).startswith(MODIFIED) and "is at version 1; expected version 0 instead" in str(e), str(e)
        return "error"
    return x.grad.numpy()


CASES = [(loss, edit) for loss in LOSSES for edit in EDITS]


@pytest.mark.parametrize("loss,edit", CASES)
def test_inplace_edit_after_cross_entropy_as_torch(loss, edit):
    expected = golden(f"{loss} / {edit}", lambda: _outcome(torch, loss, edit))
    actual = _outcome(npgrad, loss, edit)
    if isinstance(expected, str):
        assert isinstance(actual, str), f"{loss}: torch refuses the edit of the {edit}, npgrad did not"
    else:
        assert not isinstance(actual, str), f"{loss}: npgrad refused the edit of the {edit}, torch did not"
        np.testing.assert_allclose(actual, expected, rtol=2e-3 if "half" in loss else 1e-5, atol=1e-7)


def _logits_modified_after_the_loss(L):
    x = L.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    xx = x * 1
    loss = L.nn.functional.cross_entropy(xx, L.tensor([0]))
    xx.add_(1)
    loss.backward()
    return x.grad


def test_logits_modified_after_the_loss():
    expected = golden("logits modified after the loss", lambda: _logits_modified_after_the_loss(torch))
    np.testing.assert_allclose(_logits_modified_after_the_loss(npgrad).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("second", ["retain_graph", "create_graph"])
def test_a_later_pass_refuses_modified_logits_rather_than_use_them(second):
    # the fused node keeps the logits, not log_softmax's output: the first backward does not read them, a second
    # pass or a recorded one would, and refuses (torch, which kept log-probabilities, goes on)
    x = npgrad.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=True)
    z = x * 1
    loss = npgrad.nn.functional.cross_entropy(z, npgrad.tensor([0, 1]))
    z.add_(1)
    if second == "retain_graph":
        loss.backward(retain_graph=True)
        expected = golden("retained / first", lambda: _torch_first_pass())
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)
    with pytest.raises(RuntimeError, match=r"\[npgrad.FloatTensor \[2, 3\]\], the input of cross_entropy, is at "
                                           r"version 1; expected version 0 instead. cross_entropy reads its input "
                                           r"again for a second backward pass"):
        if second == "retain_graph":
            loss.backward()
        else:
            npgrad.autograd.grad(loss, x, create_graph=True)


def _torch_first_pass(edit=True):
    x = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=True)
    z = x * 1
    loss = torch.nn.functional.cross_entropy(z, torch.tensor([0, 1]))
    if edit:
        z.add_(1)
    loss.backward(retain_graph=True)
    return x.grad


def test_later_passes_without_an_edit_still_work():
    x = npgrad.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], requires_grad=True)
    loss = npgrad.nn.functional.cross_entropy(x * 1, npgrad.tensor([0, 1]))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    np.testing.assert_allclose(first, golden("no edit", lambda: _torch_first_pass(edit=False)), rtol=1e-5)
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)
    (g,) = npgrad.autograd.grad(loss, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), first, rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1}, {"reduction": "none"}, {"dtype": "half"}])
def test_a_weight_that_requires_grad_is_refused_as_torch(kwargs):
    # the weight is kept by the node, and PyTorch's NLL loss has no gradient for it
    def outcome(L):
        kw = dict(kwargs)
        x = L.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        w = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        if kw.pop("dtype", None):
            x, w = x.half(), w.half()
        try:
            L.nn.functional.cross_entropy(x, L.tensor([0]), weight=w, **kw)
        except RuntimeError as e:
            return str(e)
        return "no error"

    assert outcome(npgrad) == golden.json(f"weight requires grad {kwargs}", lambda: outcome(torch))


def test_a_weight_that_requires_grad_is_used_under_no_grad():
    x = npgrad.tensor([[1.0, 2.0, 3.0]])
    w = npgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with npgrad.no_grad():
        loss = npgrad.nn.functional.cross_entropy(x, npgrad.tensor([0]), weight=w)
    expected = golden("weight requires grad, no_grad", lambda: _no_grad_torch())
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-6)


def _no_grad_torch():
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([0]), weight=w).item()
