"""scaled_dot_product_attention and nn.MultiheadAttention against torch (float64)."""
import numpy as np
import pytest

import npgrad
import npgrad.nn.functional as F
from npgrad.autograd import gradcheck

from harness import _seed
from oracle import Golden, torch

golden = Golden("attention")
RTOL, ATOL = 1e-10, 1e-12


# --------------------------------------------------------------------------- SDPA
SDPA = {
    "plain": dict(),
    "bool-mask": dict(mask="bool"),
    "float-mask": dict(mask="float"),
    "causal": dict(is_causal=True),
    "causal-rectangular": dict(is_causal=True, unbatched=True),
    "scale": dict(scale=0.3),
    "fully-masked-row": dict(mask="row"),
    "gqa": dict(gqa=True),
    "unbatched": dict(unbatched=True),
}


def _sdpa_inputs(name, spec):
    rng = np.random.default_rng(_seed(name))
    if spec.get("unbatched"):
        q, k, v = rng.standard_normal((4, 5)), rng.standard_normal((6, 5)), rng.standard_normal((6, 3))
    else:
        heads_kv = 1 if spec.get("gqa") else 2
        q = rng.standard_normal((2, 2, 4, 5))
        k = rng.standard_normal((2, heads_kv, 6, 5))
        v = rng.standard_normal((2, heads_kv, 6, 3))
    mask = None
    if spec.get("mask") == "bool":
        mask = rng.random((4, 6)) > 0.3
        mask[:, 0] = True
    elif spec.get("mask") == "float":
        mask = rng.standard_normal((2, 1, 4, 6))
    elif spec.get("mask") == "row":
        mask = np.ones((4, 6), dtype=bool)
        mask[2] = False
    out_shape = q.shape[:-1] + (v.shape[-1],)
    return q, k, v, mask, rng.standard_normal(out_shape)


def _sdpa_run(lib, spec, q, k, v, mask, weights):
    ts = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
    kwargs = dict(is_causal=spec.get("is_causal", False))
    if mask is not None:
        kwargs["attn_mask"] = lib.tensor(mask)
    if "scale" in spec:
        kwargs["scale"] = spec["scale"]
    if spec.get("gqa"):
        kwargs["enable_gqa"] = True
    out = lib.nn.functional.scaled_dot_product_attention(*ts, **kwargs)
    (out * lib.tensor(weights)).sum().backward()
    return {"out": out.detach().numpy(), "grads": [t.grad.numpy() for t in ts]}


@pytest.mark.parametrize("name", list(SDPA))
def test_sdpa_matches_torch(name):
    spec = SDPA[name]
    q, k, v, mask, weights = _sdpa_inputs(name, spec)
    ref = golden(f"sdpa/{name}", lambda: _sdpa_run(torch, spec, q, k, v, mask, weights))
    got = _sdpa_run(npgrad, spec, q, k, v, mask, weights)
    np.testing.assert_allclose(got["out"], ref["out"], rtol=RTOL, atol=ATOL)
    for g, r in zip(got["grads"], ref["grads"]):
        np.testing.assert_allclose(g, r, rtol=RTOL, atol=ATOL)
    if name == "fully-masked-row":
        assert np.all(got["out"][:, :, 2] == 0)


def test_sdpa_causal_with_mask_is_an_error():
    q = npgrad.randn(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=npgrad.ones(3, 3, dtype=npgrad.bool), is_causal=True)


def test_sdpa_gradcheck():
    rng = np.random.default_rng(0)
    q, k, v = (npgrad.tensor(rng.standard_normal(s), requires_grad=True) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)])
    mask = npgrad.tensor(rng.standard_normal((3, 5)))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))


def test_sdpa_dropout():
    rng = np.random.default_rng(1)
    q, k = npgrad.tensor(rng.standard_normal((3, 4))), npgrad.tensor(rng.standard_normal((5, 4)))
    identity = npgrad.eye(5, dtype=npgrad.float64)          # output = the attention weights themselves
    plain = F.scaled_dot_product_attention(q, k, identity).numpy()
    npgrad.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, identity, dropout_p=0.5).numpy()
    kept = dropped != 0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(dropped[kept], 2 * plain[kept], rtol=1e-12)
    assert np.all(F.scaled_dot_product_attention(q, k, identity, dropout_p=1.0).numpy() == 0)


# --------------------------------------------------------------------------- MultiheadAttention
E, HEADS, L, S, N = 6, 2, 3, 4, 2
MHA = {
    "self": dict(),
    "batch-first": dict(batch_first=True),
    "no-bias": dict(bias=False),
    "bias-kv": dict(add_bias_kv=True),
    "zero-attn": dict(add_zero_attn=True),
    "bias-kv-zero-attn-masks": dict(add_bias_kv=True, add_zero_attn=True, key_padding_mask="bool",
                                    attn_mask="bool"),
    "kdim-vdim": dict(kdim=5, vdim=3),
    "key-padding-bool": dict(key_padding_mask="bool"),
    "key-padding-float": dict(key_padding_mask="float", attn_mask="float"),
    "attn-mask-3d": dict(attn_mask="3d"),
    "per-head-weights": dict(average_attn_weights=False, key_padding_mask="bool"),
    "no-weights": dict(need_weights=False, attn_mask="bool"),
    "no-weights-padding": dict(need_weights=False, key_padding_mask="float", attn_mask="float"),
    "causal-hint": dict(is_causal=True, attn_mask="causal", need_weights=False),
    "causal-hint-weights": dict(is_causal=True, attn_mask="causal"),
    "unbatched": dict(unbatched=True, key_padding_mask="bool"),
    "unbatched-no-weights": dict(unbatched=True, need_weights=False),
}
MODULE_KEYS = ("bias", "add_bias_kv", "add_zero_attn", "kdim", "vdim", "batch_first")


def _mha_data(name, spec):
    rng = np.random.default_rng(_seed(name))
    kdim, vdim = spec.get("kdim", E), spec.get("vdim", E)
    lead_q = (L,) if spec.get("unbatched") else ((N, L) if spec.get("batch_first") else (L, N))
    lead_k = (S,) if spec.get("unbatched") else ((N, S) if spec.get("batch_first") else (S, N))
    arrays = {"query": rng.standard_normal(lead_q + (E,)), "key": rng.standard_normal(lead_k + (kdim,)),
              "value": rng.standard_normal(lead_k + (vdim,))}
    kpm = spec.get("key_padding_mask")
    if kpm:
        shape = (S,) if spec.get("unbatched") else (N, S)
        blocked = rng.random(shape) > 0.6
        blocked[..., 0] = False
        arrays["key_padding_mask"] = blocked if kpm == "bool" else np.where(blocked, -2.0, 0.3)
    am = spec.get("attn_mask")
    if am == "bool":
        blocked = rng.random((L, S)) > 0.6
        blocked[:, 0] = False
        arrays["attn_mask"] = blocked
    elif am == "float":
        arrays["attn_mask"] = rng.standard_normal((L, S))
    elif am == "3d":
        arrays["attn_mask"] = rng.standard_normal((N * HEADS, L, S))
    elif am == "causal":
        arrays["attn_mask"] = np.triu(np.ones((L, S), dtype=bool), k=1)
    return arrays, rng


def _mha_run(lib, spec, params, arrays, weights):
    kwargs = {k: spec[k] for k in MODULE_KEYS if k in spec}
    module = lib.nn.MultiheadAttention(E, HEADS, dtype=lib.float64, **kwargs)
    if lib is torch:
        module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
    else:
        module.load_state_dict({k: npgrad.from_numpy(v.copy()) for k, v in params.items()})
    inputs = {k: lib.tensor(arrays[k], requires_grad=True) for k in ("query", "key", "value")}
    call = dict(need_weights=spec.get("need_weights", True),
                average_attn_weights=spec.get("average_attn_weights", True),
                is_causal=spec.get("is_causal", False))
    for k in ("key_padding_mask", "attn_mask"):
        if k in arrays:
            call[k] = lib.tensor(arrays[k])
    out, attn = module(inputs["query"], inputs["key"], inputs["value"], **call)
    loss = (out * lib.tensor(weights[0])).sum()
    if attn is not None:
        attn_weights = np.random.default_rng(weights[1]).standard_normal(tuple(attn.shape))
        loss = loss + (attn * lib.tensor(attn_weights)).sum()
    loss.backward()
    found = {"out": out.detach().numpy(), "inputs": {k: t.grad.numpy() for k, t in inputs.items()},
             "params": {k: p.grad.numpy() for k, p in module.named_parameters()}}
    if attn is not None:
        found["weights"] = attn.detach().numpy()
    return found


@pytest.mark.parametrize("name", list(MHA))
def test_multihead_attention_matches_torch(name):
    spec = MHA[name]
    kwargs = {k: spec[k] for k in MODULE_KEYS if k in spec}
    module = npgrad.nn.MultiheadAttention(E, HEADS, dtype=npgrad.float64, **kwargs)
    arrays, rng = _mha_data(name, spec)
    params = {k: rng.uniform(-0.5, 0.5, tuple(v.shape)) for k, v in module.state_dict().items()}
    out_shape = arrays["query"].shape
    weights = [rng.standard_normal(out_shape), _seed(name)]
    ref = golden(f"mha/{name}", lambda: _mha_run(torch, spec, params, arrays, weights))
    got = _mha_run(npgrad, spec, params, arrays, weights)
    assert sorted(got) == sorted(ref)
    np.testing.assert_allclose(got["out"], ref["out"], rtol=RTOL, atol=ATOL, err_msg="output")
    if "weights" in ref:
        np.testing.assert_allclose(got["weights"], ref["weights"], rtol=RTOL, atol=ATOL, err_msg="weights")
    for k in ref["inputs"]:
        np.testing.assert_allclose(got["inputs"][k], ref["inputs"][k], rtol=RTOL, atol=ATOL, err_msg=k)
    assert sorted(got["params"]) == sorted(ref["params"])
    for k in ref["params"]:
        np.testing.assert_allclose(got["params"][k], ref["params"][k], rtol=RTOL, atol=ATOL, err_msg=k)


@pytest.mark.parametrize("kwargs", [dict(), dict(kdim=5, vdim=3, add_bias_kv=True, bias=False)])
def test_multihead_attention_parameters_like_torch(kwargs):
    name = "names/" + "-".join(f"{k}{v}" for k, v in kwargs.items())
    module = npgrad.nn.MultiheadAttention(E, HEADS, **kwargs)
    ref = golden(name, lambda: np.array([f"{k}:{tuple(v.shape)}" for k, v in torch.nn.MultiheadAttention(
        E, HEADS, **kwargs).state_dict().items()]))
    assert [f"{k}:{tuple(v.shape)}" for k, v in module.state_dict().items()] == list(ref)
    if kwargs.get("bias", True):
        assert np.all(module.in_proj_bias.detach().numpy() == 0)
        assert np.all(module.out_proj.bias.detach().numpy() == 0)
    weight = module.in_proj_weight if module.in_proj_weight is not None else module.q_proj_weight
    bound = np.sqrt(6.0 / sum(weight.shape))               # xavier_uniform_
    assert 0.5 * bound < np.abs(weight.detach().numpy()).max() <= bound


def test_multihead_attention_dropout_only_in_training():
    npgrad.manual_seed(0)
    module = npgrad.nn.MultiheadAttention(E, HEADS, dropout=0.5, dtype=npgrad.float64)
    x = npgrad.randn(L, N, E, dtype=npgrad.float64)
    module.eval()
    first, w_first = module(x, x, x)
    second, _ = module(x, x, x)
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    module.train()
    _, w_train = module(x, x, x, average_attn_weights=False)
    dropped = w_train.detach().numpy()
    assert np.any(dropped == 0) and np.any(dropped > 0)


def test_multihead_attention_errors():
    module = npgrad.nn.MultiheadAttention(E, HEADS)
    x = npgrad.randn(L, N, E)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        module(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        npgrad.nn.MultiheadAttention(5, 2)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is \(2, 2\), but should be \(3, 3\)."):
        module(x, x, x, attn_mask=npgrad.zeros(2, 2))
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor"):
        module(x[None], x[None], x[None])
