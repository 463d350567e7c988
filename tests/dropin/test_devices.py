"""Devices as PyTorch's CPU build has them: ``device`` objects of any type, and the error PyTorch gives
when a tensor, module or generator is asked for on a device it lacks ("Torch not compiled with CUDA
enabled" ...), from every function that takes ``device=``.

Each statement runs against torch and npgrad; the outcome (a repr, or the exception's type and message,
"npgrad" read as "torch") must be the same. Without torch the outcomes come from the golden file.
"""
from __future__ import annotations

import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("devices")

STATEMENTS = [
    # device objects
    'L.device("cpu", 0)', 'L.device("cpu:0").index', 'L.device("cuda:1")', 'str(L.device("cuda", 1))',
    'L.device("cuda:0", 1)', 'L.device("cpu", -1)', 'L.device("xyz")', 'L.device("")', 'L.device(0)',
    'L.device("cpu") == L.device("cpu", 0)', 'L.device("cpu") == "cpu"', 'x.device == L.device("cpu")',
    'x.device.type', '{L.device("cpu"): 1}[L.device("cpu")]', 'L.device("cuda", 0).index',
    # factories
    'L.zeros(1, device="cuda")', 'L.zeros(1, device="cuda:0")', 'L.zeros(1, device=L.device("cuda"))',
    'L.zeros(1, device="xpu")', 'L.zeros(1, device="cpu:1").device', 'L.zeros(1, device=0)',
    'L.ones(2, device="cuda")', 'L.empty(2, device="cuda")', 'L.full((2,), 1., device="cuda")',
    'L.arange(3, device="cuda")', 'L.linspace(0, 1, 3, device="cuda")', 'L.logspace(0, 1, 3, device="cuda")',
    'L.eye(2, device="cuda")', 'L.rand(2, device="cuda")', 'L.randn(2, device="cuda")',
    'L.randint(3, (2,), device="cuda")', 'L.randperm(3, device="cuda")', 'L.tensor([1.], device="cuda")',
    'L.as_tensor([1.], device="cuda")', 'L.zeros_like(x, device="cuda")', 'L.ones_like(x, device="cuda")',
    'L.full_like(x, 2, device="cuda")', 'L.empty_like(x, device="cuda")', 'L.rand_like(x, device="cuda")',
    'L.randn_like(x, device="cuda")', 'L.randint_like(x, 3, device="cuda")',
    'L.empty_strided((2,), (1,), device="cuda")', 'L.tril_indices(3, 3, device="cuda")',
    'L.triu_indices(3, 3, device="cuda")', 'L.hann_window(4, device="cuda")', 'L.scalar_tensor(1, device="cuda")',
    'L.zeros(1, device="cpu").device', 'L.tensor([1], device=L.device("cpu", 0)).device',
    # tensor methods
    'x.new_zeros(2, device="cuda")', 'x.new_ones(2, device="cuda")', 'x.new_empty(2, device="cuda")',
    'x.new_full((2,), 1., device="cuda")', 'x.new_tensor([1], device="cuda")',
    'x.new_zeros(2, requires_grad=True).requires_grad', 'x.new_ones(size=(2,)).shape',
    'x.to("cuda")', 'x.to("cuda:0")', 'x.to(L.device("cuda"))', 'x.to(device="cuda")', 'x.to("mps")', 'x.to(0)',
    'x.to("cpu").device', 'x.to("cpu:0").device', 'x.cuda()', 'x.to("cuda", L.float64)',
    'x.to(L.float64, True).dtype', 'x.to(L.float64, False, True).dtype', 'x.to(L.float32, False, True) is x',
    'x.to(L.float32) is x', 'x.to("cpu", L.float64, non_blocking=True, copy=True).dtype',
    # modules and generators
    'L.nn.Linear(2, 2, device="cuda")', 'L.nn.Linear(2, 2, device="cpu").weight.device',
    'L.nn.Linear(2, 2).to("cuda")', 'L.nn.Linear(2, 2).to(L.device("cuda"))', 'L.nn.Linear(2, 2).to(device="cuda")',
    'L.nn.Linear(2, 2).to("cpu").weight.device', 'L.nn.Linear(2, 2).cuda()',
    'L.nn.Linear(2, 2).to(L.float64, True).weight.dtype', 'L.nn.Linear(2, 2).to("cpu", L.float64, True).weight.dtype',
    'L.nn.Conv2d(1, 1, 1, device="cuda")',
    'L.nn.LayerNorm(2, device="cuda")', 'L.nn.Embedding(2, 2, device="cuda")', 'L.nn.LSTM(2, 2, device="cuda")',
    'L.nn.Transformer(8, 2, 1, 1, 16, device="cuda")', 'L.nn.Parameter(L.zeros(1)).to("cuda")',
    'L.nn.utils.skip_init(L.nn.Linear, 2, 2, device="cuda")', 'L.Generator(device="cpu").device',
    # loading a checkpoint
    'L.load(path, map_location="cuda")', 'L.load(path, map_location=L.device("cuda:0"))',
    'L.load(path, map_location={"cpu": "cuda"})', 'L.load(path, map_location="cpu")["a"].device',
    'L.load(path, map_location=lambda storage, location: storage)["a"].device',
]


def outcomes(L):
    import os
    import tempfile

    out = []
    with tempfile.TemporaryDirectory() as where:
        path = os.path.join(where, "checkpoint")
        L.save({"a": L.ones(2)}, path)
        for stmt in STATEMENTS:
            out.append(_outcome(L, stmt, path))
    return out


def _outcome(L, stmt, path):
    try:
        value = repr(eval(stmt, {"L": L, "x": L.zeros(2), "path": path}))
    except Exception as e:  # noqa: BLE001  (the error is the outcome)
        value = f"{type(e).__name__}: {e}"
    return f"{stmt} -> {value.replace('npgrad', 'torch')}"


def test_devices_as_torch():
    expected = golden.json("outcomes", lambda: outcomes(torch))
    actual = outcomes(npgrad)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a == e


def test_devices_npgrad_has_not():
    """Where torch's CPU build goes further than npgrad can: meta tensors, and a default device of "cuda"
    that PyTorch accepts and fails on at the next tensor (npgrad fails at once, with the same error)."""
    with pytest.raises(RuntimeError, match="npgrad runs on the CPU only; device 'meta' is not available"):
        npgrad.zeros(2, device="meta")
    try:
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            npgrad.set_default_device("cuda")
        assert npgrad.get_default_device() == npgrad.device("cpu")
    finally:
        npgrad.set_default_device(None)
    with pytest.raises(RuntimeError, match="Cannot get CUDA generator"):
        npgrad.Generator(device="cuda")
    with pytest.raises(TypeError, match=r"to\(\) received an invalid combination of arguments - got \(dtyp="):
        npgrad.zeros(1).to(dtyp=npgrad.float64)   # torch's message goes on to list its signatures
    with pytest.raises(TypeError, match=r"to\(\) received an invalid combination of arguments - got \(dtyp="):
        npgrad.nn.Linear(2, 2).to(dtyp=npgrad.float64)
