"""cummax, cummin and mode against torch: values, indices (ties and NaN), gradients and return types."""
import numpy as np
import pytest

import npgrad
from oracle import Golden

golden = Golden("cummax_mode")
rng = np.random.default_rng(0)
INPUTS = {
    "ties": np.array([[1.0, 3.0, 3.0, 2.0, 5.0, 5.0], [2.0, 2.0, 1.0, 1.0, 0.0, 7.0]]),
    "small-ints-3d": rng.integers(0, 4, (3, 5, 4)).astype(np.float64),
    "nan": np.array([1.0, np.nan, 2.0, np.nan, 0.0]),
    "0d": np.array(2.5),
    "int64": rng.integers(0, 3, (4, 6)),
}
CASES = [(key, name, d) for key, x in INPUTS.items() for name in ("cummax", "cummin", "mode")
         for d in (range(-x.ndim, x.ndim) if x.ndim else [0]) if not (name == "mode" and key == "nan")]


@pytest.mark.parametrize("key,name,dim", CASES)
def test_matches_torch(key, name, dim):
    x = INPUTS[key]

    def reference():
        import torch

        out = getattr(torch.tensor(x), name)(dim)
        return out.values.numpy(), out.indices.numpy()

    values, indices = golden(f"{key}/{name}/{dim}", reference)
    out = getattr(npgrad.tensor(x), name)(dim)
    assert type(out).__name__ == name and out.indices.dtype == npgrad.int64
    np.testing.assert_array_equal(out.values.numpy(), values)
    np.testing.assert_array_equal(out.indices.numpy(), indices)
    assert out.values.numpy().dtype == np.asarray(values).dtype


def test_gradients_go_to_the_chosen_elements():
    x = npgrad.tensor([1.0, 3.0, 2.0, 5.0, 5.0], dtype=npgrad.float64, requires_grad=True)
    values, _ = npgrad.cummax(x, 0)
    (values * npgrad.arange(1.0, 6.0, dtype=npgrad.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 5.0, 0.0, 4.0, 5.0])
    y = npgrad.tensor([[1.0, 2.0, 2.0], [4.0, 4.0, 0.0]], requires_grad=True)
    y.mode(1, keepdim=True).values.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    assert npgrad.autograd.gradcheck(lambda t: t.cummin(0).values, (x.detach().requires_grad_(),))
