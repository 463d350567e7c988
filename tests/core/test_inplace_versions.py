"""In-place writes after a value was saved for backward: PyTorch's error, never a wrong gradient."""
import numpy as np
import pytest

import npgrad
from npgrad.autograd import versions
from oracle import HAVE_TORCH

MODIFIED = "one of the variables needed for gradient computation has been modified by an inplace operation"

# code run on both libraries with x = [1, 2, 3] (requires grad); torch's outcome: an error or x.grad
CASES = [
    ("y = x.exp(); y.add_(1); y.sum().backward()", "error"),
    ("y = x.sigmoid(); y.mul_(2); y.sum().backward()", "error"),
    ("w = lib.ones(3); y = x * w; w.add_(1); y.sum().backward()", "error"),
    ("w = lib.ones(3); y = x * w\nwith lib.no_grad():\n    w[0] = 5.0\ny.sum().backward()", "error"),
    ("w = lib.ones(3); y = x * w; w.fill_(2.0); y.sum().backward()", "error"),
    ("w = lib.ones(3); y = x * w; w[1:].zero_(); y.sum().backward()", "error"),   # through a view
    ("y = x * 2; y.add_(1); y.sum().backward()", [2.0, 2.0, 2.0]),
    ("y = (x * 2).view(3); y.mul_(3); y.sum().backward()", [6.0, 6.0, 6.0]),
    ("y = x * 1; y[0] = 0.0; y.sum().backward()", [0.0, 1.0, 1.0]),
    ("w = lib.ones(3); y = x * w; y.sum().backward(); w.add_(1)", [1.0, 1.0, 1.0]),
    ("y = x.exp(); z = y.clone(); z.add_(1); y.sum().backward()", [np.e, np.e ** 2, np.e ** 3]),
]


def _outcome(lib, code):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    try:
        exec(code, {"x": x, "lib": lib})
    except RuntimeError as e:
        assert str(e).startswith(MODIFIED), str(e)
        return "error"
    return x.grad.tolist()


@pytest.mark.parametrize("code,expected", CASES)
def test_inplace_after_save_matches_torch(code, expected):
    outcomes = [_outcome(npgrad, code)]
    if HAVE_TORCH:
        import torch

        outcomes.append(_outcome(torch, code))
    for out in outcomes:
        if expected == "error":
            assert out == "error"
        else:
            np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_error_names_the_tensor_and_the_versions():
    x = npgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[npgrad.FloatTensor \[3\]\], which is saved by ExpBackward0, is at "
                                           r"version 2; expected version 0 instead"):
        y.sum().backward()


def test_inplace_through_a_view_of_a_graph_tensor_is_refused_not_wrong():
    # torch folds the write back into the base's graph; npgrad refuses rather than give a wrong gradient
    x = npgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y[:2]
    with pytest.raises(RuntimeError, match=r"an in-place operation on a view \(SliceBackward0\) of a tensor that "
                                           r"is part of the autograd graph is not supported"):
        z.mul_(3)
    with pytest.raises(RuntimeError, match="in-place operation on a view"):
        z[0] = 1.0
    z2 = y[:2].clone()
    z2.mul_(3)                     # a copy is free to change
    (y.sum() + z2.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 8.0, 2.0])


def test_counters_follow_the_memory_owner():
    a = np.zeros(6)
    assert versions.version(a) == 0
    versions.bump(a[2:4])
    versions.bump(a.reshape(2, 3))
    assert versions.version(a) == versions.version(a[::2]) == 2
    assert versions.version(np.zeros(6)) == 0
