"""Tensor semantics: creation, dtypes, autograd engine behaviour, errors."""
import numpy as np
import pytest

import npgrad
from oracle import HAVE_TORCH, Golden

golden = Golden("tensor")


def test_creation_dtypes_follow_torch():
    assert npgrad.tensor([1.0, 2.0]).dtype == npgrad.float32
    assert npgrad.tensor([1, 2]).dtype == npgrad.int64
    assert npgrad.tensor([True]).dtype == npgrad.bool
    assert npgrad.tensor(np.zeros(2)).dtype == npgrad.float64  # NumPy's dtype is kept
    assert npgrad.zeros(2, 3).shape == (2, 3)
    assert npgrad.ones((2, 3), dtype=npgrad.float64).dtype == npgrad.float64
    assert npgrad.full((2,), 3).dtype == npgrad.int64
    assert npgrad.full((2,), 3.0).dtype == npgrad.float32
    assert npgrad.arange(5).dtype == npgrad.int64
    assert npgrad.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert npgrad.eye(3).sum().item() == 3.0
    assert npgrad.zeros_like(npgrad.ones(2, dtype=npgrad.float64)).dtype == npgrad.float64
    assert npgrad.randn(2, 3).dtype == npgrad.float32
    assert npgrad.randint(0, 5, (10,)).dtype == npgrad.int64
    assert npgrad.empty(0).numel() == 0


def test_from_numpy_shares_memory():
    a = np.zeros(3)
    t = npgrad.from_numpy(a)
    t.add_(1.0)
    assert a.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("expr", ["int_float", "int_tensor_float_tensor", "f32_f64_0d", "f32_f64", "bool_int"])
def test_type_promotion_matches_torch(expr):
    def build(L):
        i = L.tensor([1, 2, 3])
        f = L.tensor([0.5, 1.5, 2.5])
        d = L.tensor([0.5, 1.5, 2.5], dtype=L.float64)
        return {
            "int_float": i * 0.5,
            "int_tensor_float_tensor": i + f,
            "f32_f64_0d": f + L.tensor(2.0, dtype=L.float64),
            "f32_f64": f + d,
            "bool_int": L.tensor([True, False]) + 1,
        }[expr]

    ref = golden(f"promotion/{expr}", lambda: build(__import__("torch")).numpy())
    got = build(npgrad).numpy()
    assert got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref)


def test_grad_accumulates_and_zero_grad():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_backward_with_gradient_argument():
    x = npgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.backward(npgrad.tensor([1.0, 0.1, 0.01]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.2, 0.02], rtol=1e-6)


def test_backward_needs_scalar_or_gradient():
    x = npgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        npgrad.ones(2).sum().backward()


def test_second_backward_without_retain_graph_errors():
    x = npgrad.ones(3, requires_grad=True)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.e * np.ones(3), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_deep_chain_backprop_is_iterative():
    x = npgrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert abs(x.grad.item() - 1.0001 ** 10_000) < 1e-2


def test_shared_subgraph_diamond():
    x = npgrad.tensor(2.0, requires_grad=True)
    a = x * x
    y = a * a + a  # x^4 + x^2
    y.backward()
    assert x.grad.item() == pytest.approx(4 * 8 + 2 * 2)


def test_no_grad_and_set_grad_enabled():
    x = npgrad.ones(2, requires_grad=True)
    with npgrad.no_grad():
        y = x * 2
    assert not y.requires_grad
    with npgrad.set_grad_enabled(False):
        assert not npgrad.is_grad_enabled()
        with npgrad.enable_grad():
            assert (x * 2).requires_grad
    assert npgrad.is_grad_enabled()
    npgrad.set_grad_enabled(False)
    assert not npgrad.is_grad_enabled()
    npgrad.set_grad_enabled(True)

    @npgrad.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad


def test_retain_grad_and_hooks():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(seen[0], [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [180.0, 360.0])


def test_detach_and_data():
    x = npgrad.ones(2, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d._data is x._data
    with npgrad.no_grad():
        x.data.mul_(3)
    assert x.tolist() == [3.0, 3.0]


def test_inplace_on_leaf_requiring_grad_errors():
    x = npgrad.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with npgrad.no_grad():
        x.add_(1)
    assert x.tolist() == [2.0, 2.0]


def test_inplace_on_nonleaf_keeps_gradient_right():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(y)  # y = (2x)^2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])


def test_setitem_on_nonleaf_is_differentiable():
    x = npgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    y[1] = 0.0
    (y * npgrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0, 3.0])


def test_item_numpy_and_errors():
    x = npgrad.tensor([1.5], requires_grad=True)
    assert x.item() == 1.5
    with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\) instead"):
        x.numpy()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        npgrad.ones(2).item()
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        npgrad.ones(6).reshape(4, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        npgrad.ones(2, 3).sum(2)
    with pytest.raises(IndexError, match="out of bounds"):
        npgrad.ones(2, 3)[5]
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        npgrad.ones(2, 3) @ npgrad.ones(2, 3)


def test_to_and_dtype_conversions():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == npgrad.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == npgrad.float32
    assert x.to("cpu") is x
    assert x.to(npgrad.float64).dtype == npgrad.float64
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):   # as torch's CPU build
        x.to("cuda")
    assert npgrad.tensor([1.7]).long().tolist() == [1]


def test_dlpack_round_trip():
    x = npgrad.arange(6).reshape(2, 3)
    y = np.from_dlpack(x)
    assert y.tolist() == [[0, 1, 2], [3, 4, 5]]
    if HAVE_TORCH:
        import torch

        t = torch.from_dlpack(npgrad.tensor([1.0, 2.0]))
        assert t.tolist() == [1.0, 2.0]


def test_manual_seed_reproducible():
    npgrad.manual_seed(0)
    a = npgrad.randn(5)
    npgrad.manual_seed(0)
    b = npgrad.randn(5)
    assert a.equal(b)
    g = npgrad.Generator().manual_seed(3)
    s = g.get_state()
    c = npgrad.rand(4, generator=g)
    g.set_state(s)
    assert npgrad.rand(4, generator=g).equal(c)


def test_split_and_max_namedtuple():
    x = npgrad.arange(10.0).reshape(2, 5)
    v, i = x.max(1)
    assert v.tolist() == [4.0, 9.0] and i.tolist() == [4, 4]
    assert x.max(dim=1).indices.tolist() == [4, 4]
    assert [p.shape[1] for p in x.split(2, 1)] == [2, 2, 1]


def test_gradcheck_detects_wrong_gradient():
    from npgrad.autograd import Function, GradcheckError, gradcheck

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2x g

    x = npgrad.randn(3, dtype=npgrad.float64, requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(Wrong.apply, (x,))


def test_autograd_grad_function():
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    (g,) = npgrad.autograd.grad((x ** 3).sum(), x)
    assert g.tolist() == [3.0, 12.0]
    assert x.grad is None


REPR_CASES = {
    "half": "L.tensor(0.5)", "mixed": "L.tensor([0.9, -1.9])", "whole": "L.tensor([1., 2.])",
    "bools": "L.tensor([True, False])", "one_bool": "L.tensor([True])", "small": "L.tensor([1e-5, 1.0])",
    "big": "L.tensor([1e9, 2.0])", "nonfinite": "L.tensor([[1.5, float('nan')], [float('inf'), -2.25]])",
    "ints": "L.tensor([1, 20, 300])", "scalar_whole": "L.tensor(6.)", "grad": "L.ones(2, requires_grad=True)",
}


@pytest.mark.parametrize("name", sorted(REPR_CASES))
def test_repr_matches_torch(name):
    import importlib

    expr = REPR_CASES[name]
    ref = golden(f"repr/{name}", lambda: repr(eval(expr, {"L": importlib.import_module("torch")})))
    assert repr(eval(expr, {"L": npgrad})) == str(ref)


def test_format_spec_as_torch():
    # a 0-d tensor formats as its number ("loss: {loss:.4f}"); other tensors only take an empty spec
    t = npgrad.tensor(0.0123456)
    assert f"{t:.3f}" == "0.012" and f"{t}" == "0.012345599941909313"
    assert f"{npgrad.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{npgrad.tensor([1.0]):.2f}"
    if HAVE_TORCH:
        import torch

        assert f"{torch.tensor(0.0123456):.3f}" == "0.012" and f"{torch.tensor(0.0123456)}" == "0.012345599941909313"


def test_relu_keeps_nan_as_torch():
    x = npgrad.tensor([float("nan"), -1.0, 0.0, 2.0], requires_grad=True)
    y = x.relu()
    np.testing.assert_array_equal(y.detach().numpy(), [np.nan, 0.0, 0.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0, 1.0])   # torch: grad unless result <= 0
    if HAVE_TORCH:
        import torch

        xt = torch.tensor([float("nan"), -1.0, 0.0, 2.0], requires_grad=True)
        yt = xt.relu()
        yt.sum().backward()
        np.testing.assert_array_equal(yt.detach().numpy(), y.detach().numpy())
        np.testing.assert_array_equal(xt.grad.numpy(), x.grad.numpy())
