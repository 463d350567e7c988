"""nn.utils: gradient clipping, parameter vectors and the L1/L2 penalty helpers, against torch."""
import pathlib
import sys

import numpy as np
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from oracle import Golden, torch  # noqa: E402

import npgrad  # noqa: E402
from npgrad.nn import utils  # noqa: E402

golden = Golden("optim_clip_grad")

_rng = np.random.default_rng(11)
GRADS = [_rng.standard_normal(s) * 3 for s in [(3, 4), (5,), (2, 2, 2)]]


def with_grads(lib, grads, dtype="float64"):
    out = []
    for g in grads:
        p = lib.zeros(*g.shape, dtype=getattr(lib, dtype), requires_grad=True)
        p.grad = lib.tensor(g.astype(dtype))
        out.append(p)
    return out


def torch_clip(max_norm, norm_type, dtype, grads=GRADS, **kwargs):
    ps = with_grads(torch, grads, dtype)
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, **kwargs)
    return {"total": total, "grads": [p.grad for p in ps]}


NORMS = [2.0, 1.0, float("inf"), 3.0, 0.5, 0.0, float("-inf"), "inf"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("norm_type", NORMS, ids=str)
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ref = golden(f"clip/{norm_type}/{max_norm}/{dtype}", lambda: torch_clip(max_norm, norm_type, dtype))
    ps = with_grads(npgrad, GRADS, dtype)
    total = utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == "float64" else 2e-6
    assert total._data.dtype == np.dtype(dtype) and total.shape == ()
    np.testing.assert_allclose(total.numpy(), ref["total"], rtol=rtol)
    for p, g in zip(ps, ref["grads"]):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=rtol, atol=1e-30)
    if max_norm == 1e6:  # never scales up
        for p, g in zip(ps, GRADS):
            np.testing.assert_array_equal(p.grad.numpy(), g.astype(dtype))


def test_mixed_dtypes_promote_the_total_norm():
    def build(lib):
        ps = with_grads(lib, GRADS[:1], "float32") + with_grads(lib, GRADS[1:], "float64")
        return ps, lib.nn.utils.clip_grad_norm_(ps, 1.0)

    ref = golden("clip/mixed", lambda: {"total": build(torch)[1], "grads": [p.grad for p in build(torch)[0]]})
    ps, total = build(npgrad)
    assert total._data.dtype == np.float64
    np.testing.assert_allclose(total.numpy(), ref["total"], rtol=1e-6)
    for p, g in zip(ps, ref["grads"]):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-6)


def test_non_finite_norm():
    grads = [np.array([1.0, np.inf]), np.array([2.0])]

    def torch_error():
        try:
            torch.nn.utils.clip_grad_norm_(with_grads(torch, grads), 1.0, error_if_nonfinite=True)
        except RuntimeError as e:
            return str(e)

    message = golden("nonfinite/message", torch_error)
    with pytest.raises(RuntimeError) as info:
        utils.clip_grad_norm_(with_grads(npgrad, grads), 1.0, error_if_nonfinite=True)
    assert str(info.value) == str(message)

    ref = golden("nonfinite/scaled", lambda: torch_clip(1.0, 2.0, "float64", grads=grads))
    ps = with_grads(npgrad, grads)
    total = utils.clip_grad_norm_(ps, 1.0)
    assert np.isinf(total.item()) and np.isinf(ref["total"])
    for p, g in zip(ps, ref["grads"]):
        np.testing.assert_array_equal(p.grad.numpy(), g)  # nan where inf was, zeros elsewhere


def test_single_tensor_empty_and_gradless():
    p = npgrad.zeros(3, dtype=npgrad.float64, requires_grad=True)
    p.grad = npgrad.tensor([3.0, 0.0, 4.0], dtype=npgrad.float64)
    assert utils.clip_grad_norm_(p, 1.0).item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), np.array([3.0, 0.0, 4.0]) / (5.0 + 1e-6))

    q = npgrad.zeros(2, requires_grad=True)
    total = utils.clip_grad_norm_([q], 1.0)  # no gradients at all
    assert total.item() == 0.0 and total._data.dtype == np.float32 and q.grad is None
    with pytest.warns(UserWarning, match="empty generator"):
        utils.clip_grad_norm_((x for x in []), 1.0)
    with pytest.warns(FutureWarning, match="deprecated"):
        utils.clip_grad_norm([q], 1.0)


def test_get_total_norm_and_clip_grads_with_norm():
    def run(lib):
        ps = with_grads(lib, GRADS)
        total = lib.nn.utils.get_total_norm([p.grad for p in ps], norm_type=3.0)
        lib.nn.utils.clip_grads_with_norm_(ps, 2.0, total)
        return {"total": total, "grads": [p.grad for p in ps]}

    ref = golden("total_norm/3", lambda: run(torch))
    mine = run(npgrad)
    np.testing.assert_allclose(mine["total"].numpy(), ref["total"], rtol=1e-12)
    for g, r in zip(mine["grads"], ref["grads"]):
        np.testing.assert_allclose(g.numpy(), r, rtol=1e-12)


def test_clip_grad_value():
    def run(lib):
        ps = with_grads(lib, GRADS)
        lib.nn.utils.clip_grad_value_(ps, 1.5)
        return [p.grad for p in ps]

    ref = golden("value/1.5", lambda: run(torch))
    for g, r in zip(run(npgrad), ref):
        np.testing.assert_array_equal(g.numpy(), r)
        assert np.abs(g.numpy()).max() <= 1.5


def test_parameters_to_vector_and_back():
    arrays = [np.arange(6.0).reshape(2, 3), np.array([7.0, 8.0])]
    ps = [npgrad.nn.Parameter(npgrad.tensor(a, dtype=npgrad.float64)) for a in arrays]
    vec = utils.parameters_to_vector(ps)
    ref = golden("vector", lambda: torch.nn.utils.parameters_to_vector(
        [torch.tensor(a, requires_grad=True) for a in arrays]))
    np.testing.assert_array_equal(vec.detach().numpy(), ref)
    # differentiable: d(sum(v * c))/dp = c reshaped
    c = np.arange(8.0)
    (vec * npgrad.tensor(c, dtype=npgrad.float64)).sum().backward()
    np.testing.assert_array_equal(ps[0].grad.numpy(), c[:6].reshape(2, 3))
    np.testing.assert_array_equal(ps[1].grad.numpy(), c[6:])

    new = npgrad.tensor(np.arange(10.0, 18.0), dtype=npgrad.float64)
    utils.vector_to_parameters(new, ps)
    np.testing.assert_array_equal(ps[0].detach().numpy(), np.arange(10.0, 16.0).reshape(2, 3))
    np.testing.assert_array_equal(ps[1].detach().numpy(), [16.0, 17.0])
    new._data[0] = -1.0  # the parameters are views of the vector, as in PyTorch
    assert ps[0].detach().numpy()[0, 0] == -1.0

    def torch_error():
        try:
            torch.nn.utils.vector_to_parameters([1.0], [torch.zeros(1)])
        except TypeError as e:
            return str(e)

    with pytest.raises(TypeError) as info:
        utils.vector_to_parameters([1.0], ps)
    assert str(info.value) == str(golden("vector/error", torch_error))


# ---------------------------------------------------------------------------
# L1 / L2 penalties: explicit loss terms; L2 equals coupled weight decay, not AdamW's
# ---------------------------------------------------------------------------

def test_penalty_values_and_gradients():
    arrays = [np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([3.0, -0.25])]

    def torch_values():
        ps = [torch.tensor(a, requires_grad=True) for a in arrays]
        l1 = 0.3 * sum(p.abs().sum() for p in ps)
        l2 = 0.5 * 0.3 * sum((p * p).sum() for p in ps)
        (l1 + l2).backward()
        return {"l1": l1, "l2": l2, "grads": [p.grad for p in ps]}

    ref = golden("penalties", torch_values)
    ps = [npgrad.nn.Parameter(npgrad.tensor(a, dtype=npgrad.float64)) for a in arrays]
    l1, l2 = utils.l1_penalty(ps, 0.3), utils.l2_penalty(ps, 0.3)
    np.testing.assert_allclose(l1.item(), ref["l1"], rtol=1e-15)
    np.testing.assert_allclose(l2.item(), ref["l2"], rtol=1e-15)
    (l1 + l2).backward()
    for p, g in zip(ps, ref["grads"]):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-15)


def _train(name, options, penalty, steps=10):
    rng = np.random.default_rng(5)
    x, y = npgrad.tensor(rng.standard_normal((6, 3))), npgrad.tensor(rng.standard_normal((6, 1)))
    w = npgrad.nn.Parameter(npgrad.tensor(rng.standard_normal((3, 1))))
    opt = getattr(npgrad.optim, name)([w], **options)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        if penalty:
            loss = loss + utils.l2_penalty([w], penalty)
        loss.backward()
        opt.step()
    return w.detach().numpy()


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_l2_penalty_equals_coupled_weight_decay(name):
    with_decay = _train(name, dict(lr=0.05, weight_decay=0.1), penalty=0.0)
    with_penalty = _train(name, dict(lr=0.05), penalty=0.1)
    np.testing.assert_allclose(with_penalty, with_decay, rtol=1e-12)


def test_l2_penalty_is_not_decoupled_weight_decay():
    decoupled = _train("AdamW", dict(lr=0.05, weight_decay=0.1), penalty=0.0)
    penalised = _train("AdamW", dict(lr=0.05, weight_decay=0.0), penalty=0.1)
    assert np.max(np.abs(decoupled - penalised)) > 1e-4
