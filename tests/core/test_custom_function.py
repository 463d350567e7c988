"""A user's own ``autograd.Function`` on Tensors, as in PyTorch: the same program runs on both libraries."""
import numpy as np
import pytest

import npgrad
from oracle import Golden

golden = Golden("custom_function")


def _program(lib):
    """Custom Functions in the styles PyTorch documents; returns every value and gradient."""

    class MyExp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class ScaledMul(lib.autograd.Function):           # a non-Tensor argument and a keyword
        @staticmethod
        def forward(ctx, a, b, k, shift=0.0):
            ctx.save_for_backward(a, b)
            ctx.k = k
            return a * b * k + shift

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ga = grad * b * ctx.k if ctx.needs_input_grad[0] else None
            gb = grad * a * ctx.k if ctx.needs_input_grad[1] else None
            return ga, gb, None, None

    class MaxWithIndex(lib.autograd.Function):          # an integer output and a plain Python one
        @staticmethod
        def forward(ctx, x):
            index = x.argmax()
            ctx.mark_non_differentiable(index)
            ctx.save_for_backward(x, index)
            return x.max(), index, 7

        @staticmethod
        def backward(ctx, grad, grad_index, grad_seven):
            x, index = ctx.saved_tensors
            out = lib.zeros_like(x)
            out[index] = grad
            return out

    class Square(lib.autograd.Function):                # forward without ctx, plus setup_context
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    class Split(lib.autograd.Function):                 # unused output: None, not zeros
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1.0, x * 2.0

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            total = lib.zeros_like(g1 if g1 is not None else g2)
            if g1 is not None:
                total = total + g1
            if g2 is not None:
                total = total + 2 * g2
            return total

    seen = []
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(5), requires_grad=True)
    a = lib.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = lib.tensor(rng.standard_normal((2, 3)))
    y = MyExp.apply(x)
    z = ScaledMul.apply(a, b, 3.0, shift=1.5)
    m, i, seven = MaxWithIndex.apply(x)
    s = Square.apply(x)
    p, q = Split.apply(x)
    (y.sum() + z.sum() + 2 * m + s.sum() + p.sum()).backward()
    info = [y.grad_fn.name(), z.grad_fn.name(), seven, bool(i.requires_grad),
            bool(b.grad is None), seen]
    return {"y": y.detach().numpy(), "z": z.detach().numpy(), "m": m.detach().numpy(),
            "i": i.numpy(), "s": s.detach().numpy(), "x.grad": x.grad.numpy(), "a.grad": a.grad.numpy(),
            "info": repr(info)}


def test_custom_functions_match_torch():
    def reference():
        import torch

        torch.set_default_dtype(torch.float64)
        try:
            return _program(torch)
        finally:
            torch.set_default_dtype(torch.float32)

    npgrad.set_default_dtype(npgrad.float64)
    try:
        ours = _program(npgrad)
    finally:
        npgrad.set_default_dtype(npgrad.float32)
    ref = golden("program", reference)
    assert ours["info"] == str(ref["info"])
    for key in ("y", "z", "m", "i", "s", "x.grad", "a.grad"):
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-12, err_msg=key)


def test_forward_and_backward_run_without_recording():
    modes = []

    class Probe(npgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            modes.append(npgrad.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            modes.append(npgrad.is_grad_enabled())
            return g * 2

    x = npgrad.ones(3, requires_grad=True)
    out = Probe.apply(x)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    assert modes == [False, False]
    with npgrad.no_grad():
        assert not Probe.apply(x).requires_grad


@pytest.mark.parametrize("returned,expected", [(1, 2), (3, 2)])
def test_wrong_number_of_gradients_is_torch_error(returned, expected):
    class Bad(npgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return (g,) * returned

    x = npgrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"function BadBackward returned an incorrect number of gradients "
                                           rf"\(expected {expected}, got {returned}\)"):
        Bad.apply(x, x).sum().backward()


def test_extra_none_gradients_are_allowed_and_gradcheck_passes():
    class Cube(npgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g, None

    x = npgrad.tensor(np.linspace(-1, 1, 7), dtype=npgrad.float64, requires_grad=True)
    assert npgrad.autograd.gradcheck(Cube.apply, (x,))


def test_custom_function_trains_inside_a_module():
    class ClampedReLU(npgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * (x > 0).to(g.dtype)

    npgrad.manual_seed(0)
    lin = npgrad.nn.Linear(4, 3)
    opt = npgrad.optim.SGD(lin.parameters(), lr=0.1)
    x, t = npgrad.randn(16, 4), npgrad.randint(0, 3, (16,))
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = npgrad.nn.functional.cross_entropy(ClampedReLU.apply(lin(x)), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(p.grad is not None for p in lin.parameters())


def test_function_without_forward_says_so():
    class Empty(npgrad.autograd.Function):
        pass

    with pytest.raises(NotImplementedError, match="You must implement the forward function for custom "
                                                  "autograd.Function."):
        Empty.apply(npgrad.ones(1))
