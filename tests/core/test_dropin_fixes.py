"""Behaviours PyTorch programs rely on: a user Function's saved tensors are checked for in-place writes, every
optimizer steps float16 parameters, and the device queries of PyTorch's quickstart answer "cpu"."""
from __future__ import annotations

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("dropin_fixes")


def _square(L):
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Square


def test_a_saved_tensor_written_in_place_raises():
    """As in torch (checked too when it is installed)."""
    for L in (npgrad, torch) if torch is not None else (npgrad,):
        a = L.ones(2, requires_grad=True)
        b = a * 1
        out = _square(L).apply(b)
        b.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_a_saved_tensor_left_alone_gives_the_gradient():
    a = npgrad.ones(2, requires_grad=True)
    b = a * 3
    _square(npgrad).apply(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [18.0, 18.0])


def _half_steps(L, name):
    L.manual_seed(0)
    m = L.nn.Linear(3, 2).half()
    kwargs = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    opt = getattr(L.optim, name)(m.parameters(), **kwargs)
    x = L.randn(4, 3).half()
    for _ in range(3):
        opt.zero_grad()
        m(x).float().square().sum().backward()
        opt.step()
    return [m.weight.detach().numpy(), m.bias.detach().numpy()]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizers_step_float16_parameters_as_torch(name):
    expected = golden(f"half_{name}", lambda: _half_steps(torch, name))
    for a, e in zip(_half_steps(npgrad, name), expected):
        assert a.dtype == np.float16
        np.testing.assert_allclose(a.astype(np.float32), np.asarray(e, np.float32), rtol=2e-3, atol=2e-3)


def test_device_queries_of_the_quickstart():
    device = npgrad.accelerator.current_accelerator().type if npgrad.accelerator.is_available() else "cpu"
    assert device == "cpu"
    assert npgrad.accelerator.device_count() == 0 and not npgrad.xpu.is_available() and not npgrad.mps.is_available()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available."):
        npgrad.accelerator.current_device_index()
