"""``nn.attention.sdpa_kernel`` and ``F.scaled_dot_product_attention`` against PyTorch on a CPU: for each choice of
backends (MATH, FLASH_ATTENTION, EFFICIENT_ATTENTION, CUDNN_ATTENTION, OVERRIDEABLE, lists of them, priorities) and
inputs that the flash kernel takes or refuses (dropout, ranks, broadcast batch or heads, grouped-query attention,
mask shapes, strides, dtypes), the same result, the same warnings and the same error (type and message)."""
import re
import warnings

import numpy as np
import pytest

import npgrad
from oracle import Golden

golden = Golden("sdpa_kernel")


def _array(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _inputs(lib, name, spec):
    """query, key, value and the keyword arguments of the inputs ``name``, the same numbers for both libraries
    and every choice of backends."""
    rng = np.random.default_rng(sum(map(ord, name)))
    dtype = spec.get("dtype", "float64")
    q_shape = spec.get("q", (2, 3, 4, 8))
    k_shape = spec.get("k", q_shape)
    v_shape = spec.get("v", k_shape)
    leaves, tensors = [], []
    grad = dtype != "float16"
    for name, shape in (("q", q_shape), ("k", k_shape), ("v", v_shape)):
        if name in spec.get("transposed", ()):  # stride(-1) != 1: the transpose of a contiguous tensor
            leaf = lib.tensor(_array(rng, shape[:-2] + shape[:-3:-1], dtype), requires_grad=grad)
            t = leaf.transpose(-1, -2)
        elif name in spec.get("expanded", ()):  # stride(-1) == 0
            leaf = lib.tensor(_array(rng, shape[:-1] + (1,), dtype), requires_grad=grad)
            t = leaf.expand(*shape)
        else:
            leaf = t = lib.tensor(_array(rng, shape, dtype), requires_grad=grad)
        leaves.append(leaf)
        tensors.append(t)
    kwargs = {k: spec[k] for k in ("dropout_p", "is_causal", "scale", "enable_gqa") if k in spec}
    mask = spec.get("mask")
    if mask is not None:
        shape, kind = mask
        if kind == "bool":
            kwargs["attn_mask"] = lib.tensor(rng.random(shape) > 0.3)
        else:
            value = lib.tensor(_array(rng, shape, "float64")).to(getattr(lib, kind if kind[:5] == "float" else dtype))
            if kind == "transposed":
                value = value.transpose(-1, -2)
            kwargs["attn_mask"] = value.requires_grad_() if kind == "requires_grad" else value
    return leaves, tensors, kwargs


def _clean(message):
    return re.sub(r" \(Triggered internally at .*\)$", "", str(message)).replace("torch.", "npgrad.")


def _run(lib, case_id, backends, spec, set_priority=False):
    """``{"error", "warnings", "shape"}`` and the output (``None`` when it raises) of one call."""
    from importlib import import_module

    attention = import_module(f"{lib.__name__}.nn.attention")
    leaves, tensors, kwargs = _inputs(lib, case_id.split("/")[1], spec)
    if backends is not None:
        backends = (getattr(attention.SDPBackend, backends) if isinstance(backends, str)
                    else [getattr(attention.SDPBackend, b) for b in backends])
    out, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if backends is None:
                out = lib.nn.functional.scaled_dot_product_attention(*tensors, **kwargs)
            else:
                with attention.sdpa_kernel(backends, set_priority=set_priority):
                    out = lib.nn.functional.scaled_dot_product_attention(*tensors, **kwargs)
        except Exception as e:  # noqa: BLE001  (the type and the message are compared)
            error = [type(e).__name__, _clean(e)]
    described = {"error": error, "warnings": [_clean(w.message) for w in caught],
                 "shape": None if out is None else list(out.shape)}
    if out is None or spec.get("dropout_p"):
        return described, None
    numbers = {"out": out.detach().numpy()}
    if out.requires_grad:
        weights = np.random.default_rng(7).standard_normal(tuple(out.shape))
        (out * lib.tensor(weights, dtype=out.dtype)).sum().backward()
        numbers["grads"] = [leaf.grad.numpy() for leaf in leaves]
    return described, numbers


ALL = ["MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION", "OVERRIDEABLE"]
BACKENDS = {
    "default": None, "math": "MATH", "flash": "FLASH_ATTENTION", "flash_list": ["FLASH_ATTENTION"],
    "efficient": "EFFICIENT_ATTENTION", "cudnn": "CUDNN_ATTENTION", "overrideable": "OVERRIDEABLE",
    "error": ["ERROR"], "none": [], "efficient_cudnn": ["EFFICIENT_ATTENTION", "CUDNN_ATTENTION"],
    "flash_efficient": ["FLASH_ATTENTION", "EFFICIENT_ATTENTION"], "flash_cudnn_overrideable":
    ["FLASH_ATTENTION", "CUDNN_ATTENTION", "OVERRIDEABLE"], "math_efficient": ["MATH", "EFFICIENT_ATTENTION"],
    "all": ALL,
}

INPUTS = {
    "plain": {},
    "float32": {"dtype": "float32"},
    "float16": {"dtype": "float16"},
    "dropout": {"dropout_p": 0.5},
    "causal": {"is_causal": True, "k": (2, 3, 6, 8)},
    "bool_mask": {"mask": ((4, 4), "bool")},
    "float_mask_4d": {"mask": ((2, 1, 4, 4), "float")},
    "3d": {"q": (3, 4, 8)},
    "2d": {"q": (4, 8)},
    "5d": {"q": (1, 2, 3, 4, 8)},
    "value_dim": {"v": (2, 3, 4, 5)},
}

# the flash kernel's other checks, with only FLASH_ATTENTION enabled, then by default (math as fallback)
EDGES = {
    "broadcast_batch": {"k": (1, 3, 4, 8)},
    "broadcast_heads": {"k": (2, 1, 4, 8)},
    "batch_and_heads": {"k": (1, 1, 4, 8), "v": (1, 1, 4, 8)},
    "gqa": {"q": (2, 4, 4, 8), "k": (2, 2, 4, 8), "enable_gqa": True},
    "gqa_same_heads": {"enable_gqa": True},
    "gqa_kv_heads_differ": {"q": (2, 4, 4, 8), "k": (2, 2, 4, 8), "v": (2, 1, 4, 8), "enable_gqa": True},
    "gqa_not_dividing": {"q": (2, 3, 4, 8), "k": (2, 2, 4, 8), "enable_gqa": True},
    "gqa_3d": {"q": (4, 4, 8), "k": (2, 4, 8), "enable_gqa": True},
    "mask_3d": {"mask": ((3, 4, 4), "float")},
    "mask_5d": {"mask": ((1, 1, 1, 4, 4), "float")},
    "mask_bad_batch": {"mask": ((3, 1, 4, 4), "float")},
    "mask_bad_heads": {"mask": ((1, 2, 4, 4), "float")},
    "mask_full_4d": {"mask": ((2, 3, 4, 4), "bool")},
    "mask_row": {"mask": ((1, 4), "float")},
    "mask_column": {"mask": ((4, 1), "float")},
    "mask_wrong_length": {"mask": ((3, 3), "float")},
    "mask_requires_grad": {"mask": ((4, 4), "requires_grad")},
    "mask_1d": {"mask": ((4,), "float")},
    "mask_0d": {"mask": ((), "float")},
    "mask_transposed": {"mask": ((4, 4), "transposed")},
    "key_dim": {"k": (2, 3, 4, 6), "v": (2, 3, 4, 8)},
    "query_transposed": {"transposed": ("q",)},
    "value_transposed": {"transposed": ("v",), "mask": ((4, 4), "transposed")},
    "query_expanded": {"expanded": ("q",)},
    "empty_query": {"q": (2, 3, 0, 8)},
    "empty_keys": {"k": (2, 3, 0, 8)},
    "dropout_3d": {"q": (3, 4, 8), "dropout_p": 0.25},
    "3d_float16": {"q": (3, 4, 8), "dtype": "float16"},
    "causal_and_mask": {"is_causal": True, "mask": ((4, 6), "float"), "k": (2, 3, 6, 8)},
    "causal_and_bool_mask": {"is_causal": True, "mask": ((4, 4), "bool")},
    "causal_and_mask_3d": {"is_causal": True, "mask": ((4, 4), "bool"), "q": (3, 4, 8)},
    "causal_and_mask_dropout": {"is_causal": True, "mask": ((4, 4), "bool"), "dropout_p": 0.1},
    "causal_and_mask_1d": {"is_causal": True, "mask": ((4,), "float")},
    "scale": {"scale": 0.3, "dtype": "float32"},
    "mismatched_dtypes": {"dtype": "float32", "mask": ((4, 4), "float64")},
}

CASES = [(f"{b}/{i}", BACKENDS[b], INPUTS[i]) for b in BACKENDS for i in INPUTS]
CASES += [(f"{b}/{e}", BACKENDS[b], EDGES[e]) for b in ("flash", "default", "math") for e in EDGES]


def _tolerance(spec):
    return {"float64": 1e-10, "float32": 1e-5, "float16": 3e-3}[spec.get("dtype", "float64")]


def _check(case_id, backends, spec, set_priority=False):
    cache = []

    def ref():
        import torch

        if not cache:
            cache.append(_run(torch, case_id, backends, spec, set_priority))
        return cache[0]

    described, numbers = _run(npgrad, case_id, backends, spec, set_priority)
    expected = golden.json(f"{case_id}/described", lambda: ref()[0])
    assert described == expected
    if numbers is not None:
        # the numbers do not depend on the backend that computes them: one reference per inputs
        expected_numbers = golden(f"numbers/{case_id.split('/')[1]}", lambda: ref()[1])
        assert sorted(numbers) == sorted(expected_numbers)
        tol = _tolerance(spec)
        for got, want in zip([numbers["out"]] + numbers.get("grads", []),
                             [expected_numbers["out"]] + list(expected_numbers.get("grads", []))):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    return described


@pytest.mark.parametrize("case_id, backends, spec", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case_id, backends, spec):
    _check(case_id, backends, spec)


PRIORITIES = [("priority_math_first", ["MATH", "FLASH_ATTENTION"]), ("priority_flash_first", ["FLASH_ATTENTION",
                                                                                               "MATH"]),
              ("priority_efficient_math", ["EFFICIENT_ATTENTION", "MATH"])]


@pytest.mark.parametrize("name, backends", PRIORITIES, ids=[p[0] for p in PRIORITIES])
@pytest.mark.parametrize("inputs", ["causal_and_mask", "mask_1d", "broadcast_heads"])
def test_priority_does_not_change_the_cpu_choice(name, backends, inputs):
    # on a CPU flash attention is tried first whatever the priority order
    _check(f"{name}/{inputs}", backends, EDGES[inputs], set_priority=True)


def test_no_kernel_texts():
    # the texts the torch-less run checks against, spelled out once
    described = _check("flash/dropout", "FLASH_ATTENTION", INPUTS["dropout"])
    assert described["error"] == ["RuntimeError", "No available kernel.  Aborting execution."]
    assert described["warnings"] == ["Flash attention kernel not used because:",
                                     "Both fused kernels do not support non-zero dropout."]
    described = _check("efficient/plain", "EFFICIENT_ATTENTION", INPUTS["plain"])
    assert described == {"error": ["RuntimeError", "No viable backend for scaled_dot_product_attention was found. "
                                   "This is likely due to turning off both the math kernel and the fused kernels."],
                         "warnings": [], "shape": None}


def _global_switches(lib, flash, math_kernel):
    """The call with ``torch.backends.cuda.enable_flash_sdp`` / ``enable_math_sdp`` set, then restored."""
    cuda = lib.backends.cuda
    before = cuda.flash_sdp_enabled(), cuda.math_sdp_enabled()
    try:
        cuda.enable_flash_sdp(flash)
        cuda.enable_math_sdp(math_kernel)
        q = lib.zeros(2, 3, 4, 8)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                lib.nn.functional.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
                error = None
            except RuntimeError as e:
                error = _clean(e)
        return {"error": error, "warnings": [_clean(w.message) for w in caught]}
    finally:
        cuda.enable_flash_sdp(before[0])
        cuda.enable_math_sdp(before[1])


@pytest.mark.parametrize("flash, math_kernel", [(True, False), (False, False), (False, True)])
def test_backend_switches_decide_too(flash, math_kernel):
    def ref():
        import torch

        return _global_switches(torch, flash, math_kernel)

    assert _global_switches(npgrad, flash, math_kernel) == golden.json(f"switches/{flash}/{math_kernel}", ref)
    assert npgrad.backends.cuda.flash_sdp_enabled() and npgrad.backends.cuda.math_sdp_enabled()


def _multi_head(lib, backend):
    """nn.MultiheadAttention without weights (it calls scaled_dot_product_attention) under one backend."""
    from importlib import import_module

    attention = import_module(f"{lib.__name__}.nn.attention")
    mha = lib.nn.MultiheadAttention(8, 2, batch_first=True, dtype=lib.float64)
    x = lib.tensor(np.random.default_rng(3).standard_normal((2, 5, 8)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with attention.sdpa_kernel(getattr(attention.SDPBackend, backend)):
                mha(x, x, x, need_weights=False)
            error = None
        except RuntimeError as e:
            error = _clean(e)
    return {"error": error, "warnings": [_clean(w.message) for w in caught]}


@pytest.mark.parametrize("backend", ["MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION"])
def test_multi_head_attention_follows(backend):
    def ref():
        import torch

        return _multi_head(torch, backend)

    assert _multi_head(npgrad, backend) == golden.json(f"mha/{backend}", ref)


def test_switches_are_restored_after_an_error():
    from npgrad.nn.attention import SDPBackend, sdpa_kernel

    q = npgrad.zeros(2, 3, 4, 8)
    with pytest.raises(RuntimeError, match="No viable backend"):
        with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
            npgrad.nn.functional.scaled_dot_product_attention(q, q, q)
    cuda = npgrad.backends.cuda
    assert cuda.flash_sdp_enabled() and cuda.math_sdp_enabled() and cuda.mem_efficient_sdp_enabled()
    assert npgrad.nn.functional.scaled_dot_product_attention(q, q, q).shape == (2, 3, 4, 8)


def test_causal_and_mask_gradcheck():
    # the flash kernel takes both: the mask is added and the future keys are masked
    rng = np.random.default_rng(5)
    q, k, v = (npgrad.tensor(rng.standard_normal(s), requires_grad=True) for s in [(1, 2, 3, 4), (1, 2, 5, 4),
                                                                                  (1, 2, 5, 4)])
    mask = npgrad.tensor(rng.standard_normal((3, 5)))
    sdpa = npgrad.nn.functional.scaled_dot_product_attention
    assert npgrad.autograd.gradcheck(lambda q, k, v: sdpa(q, k, v, attn_mask=mask, is_causal=True), (q, k, v))


def test_value_rows_must_match_key_rows_whatever_the_kernel():
    # PyTorch's flash kernel runs with fewer key than value rows and reads past the keys; npgrad refuses
    q = npgrad.zeros(2, 3, 4, 8)
    with pytest.raises(RuntimeError, match=r"Expected size for first two dimensions of batch2 tensor to be: "
                                           r"\[6, 5\] but got: \[6, 7\]\."):
        npgrad.nn.functional.scaled_dot_product_attention(q, npgrad.zeros(2, 3, 5, 8), npgrad.zeros(2, 3, 7, 8))
