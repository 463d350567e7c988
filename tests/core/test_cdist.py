"""``cdist`` as PyTorch's: values, gradients (zero where two rows coincide, every tied coordinate for
p = inf), broadcasting of batch dims, errors; ``repeat_interleave``'s ``output_size`` and one-argument form,
``nansum(dtype=)``."""
from __future__ import annotations

import math

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("cdist")

PS = [2.0, 1.0, 3.0, 0.5, math.inf, 0.0]


def _values_and_grads(L, p):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4))
    b[1] = a[0, 1]          # a zero distance
    b[2, :2] = a[1, 2, :2]  # coordinates that tie
    x1, x2 = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
    d = L.cdist(x1, x2, p=p, compute_mode="donot_use_mm_for_euclid_dist")
    (d * L.arange(5.0, dtype=L.float64)).sum().backward()
    return [d.detach().numpy(), x1.grad.numpy(), x2.grad.numpy()]


@pytest.mark.parametrize("p", PS)
def test_cdist_as_torch(p):
    expected = golden(f"p={p}", lambda: _values_and_grads(torch, p))
    for a, e in zip(_values_and_grads(npgrad, p), expected):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_cdist_zero_distance_and_ties():
    x = npgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    npgrad.cdist(x, x).sum().backward()                      # d_ii = 0 contributes nothing, not NaN
    np.testing.assert_allclose(x.grad.numpy(), [[-math.sqrt(2)] * 2, [math.sqrt(2)] * 2])
    x = npgrad.tensor([[0.0, 0.0], [2.0, 2.0]], requires_grad=True)
    npgrad.cdist(x[:1], x[1:], p=math.inf).sum().backward()   # both coordinates attain the max
    np.testing.assert_array_equal(x.grad.numpy(), [[-1.0, -1.0], [1.0, 1.0]])
    assert type(npgrad.cdist(x, x).grad_fn).__name__ == "CdistBackward0"


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, math.inf])
def test_cdist_gradcheck(p):
    rng = np.random.default_rng(1)
    x1 = npgrad.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    x2 = npgrad.tensor(rng.standard_normal((1, 5, 4)), requires_grad=True)
    assert npgrad.autograd.gradcheck(lambda a, b: npgrad.cdist(a, b, p=p), (x1, x2))


def _shapes_and_errors(L):
    out = [list(L.cdist(L.zeros(2, 1, 2, 3), L.zeros(5, 4, 3)).shape),
           list(L.cdist(L.zeros(0, 3), L.zeros(2, 3)).shape)]
    for stmt in ("L.cdist(L.zeros(3), L.zeros(3))", "L.cdist(L.zeros(2, 2), L.zeros(2, 3))",
                 "L.cdist(L.zeros(2, 2), L.zeros(2, 2), p=-1)",
                 "L.cdist(L.zeros(2, 2), L.zeros(2, 2), compute_mode='x')",
                 "L.cdist(L.zeros(2, 3, dtype=L.int64), L.zeros(2, 3, dtype=L.int64))",
                 "L.repeat_interleave(L.tensor([1, 2]))", "L.repeat_interleave(L.tensor([2, 0, 1]), output_size=3)",
                 "L.tensor([[1, 2], [3, 4]]).repeat_interleave(2, output_size=5)",
                 "L.tensor([[1, 2], [3, 4]]).repeat_interleave(L.tensor([1, 2]), dim=1, output_size=4)",
                 "L.tensor([[1, 2], [3, 4]]).repeat_interleave(3, dim=1, output_size=6)",
                 "L.tensor([1.0, float('nan')]).nansum(dtype=L.float64)",
                 "L.nansum(L.tensor([1, 2]), dtype=L.float32)"):
        try:
            out.append(repr(eval(stmt, {"L": L})).replace("npgrad", "torch"))
        except Exception as e:  # noqa: BLE001  (the error is the outcome)
            out.append(f"{type(e).__name__}: {e}")
    return out


def test_shapes_and_errors_as_torch():
    assert _shapes_and_errors(npgrad) == golden.json("shapes_and_errors", lambda: _shapes_and_errors(torch))
