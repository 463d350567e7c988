"""One harness for the op tables: forward against torch, float64 gradcheck, backward against torch.

A case names a function written against the shared API, so the same code runs on
npgrad and on torch: ``fn(lib, *inputs)`` where ``lib`` is the module (npgrad or torch).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import npgrad
from npgrad.autograd import gradcheck

from oracle import HAVE_TORCH, Golden, torch


@dataclass
class Case:
    name: str
    fn: object
    shapes: list
    grad: bool = True  # differentiable in the float inputs
    positive: bool = False  # draw inputs from (0.5, 2) instead of N(0, 1)
    inputs: object = None  # a callable(rng) returning arrays, overriding shapes
    rtol: float = 1e-7
    atol: float = 1e-9
    gradcheck: bool = True
    extra: dict = field(default_factory=dict)


def make_inputs(case: Case):
    rng = np.random.default_rng(abs(hash(case.name)) % (2 ** 32) if False else _seed(case.name))
    if case.inputs is not None:
        return list(case.inputs(rng))
    out = []
    for s in case.shapes:
        if case.positive:
            out.append(rng.uniform(0.5, 2.0, s))
        else:
            out.append(rng.standard_normal(s))
    return out


def _seed(name):
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % (2 ** 31)


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _diff(arr):
    return isinstance(arr, np.ndarray) and arr.dtype == np.float64


def torch_reference(case: Case, arrays):
    """Outputs and input gradients computed by torch (the oracle)."""
    ts = [torch.tensor(a, requires_grad=case.grad and _diff(a)) for a in arrays]
    outs = _flat(case.fn(torch, *ts))
    result = {"out": [o.detach().numpy() for o in outs]}
    if case.grad:
        rng = np.random.default_rng(_seed(case.name) + 1)
        total = 0
        for o in outs:
            if o.requires_grad:
                total = total + (o * torch.tensor(rng.standard_normal(o.shape))).sum()
        if not isinstance(total, int):
            total.backward()
        result["grads"] = [t.grad.numpy() if t.grad is not None else np.zeros(0) for t in ts if t.requires_grad]
    return result


def check_case(case: Case, golden: Golden):
    arrays = make_inputs(case)
    ref = golden(case.name, lambda: torch_reference(case, arrays))
    ts = [npgrad.tensor(a, requires_grad=case.grad and _diff(a)) for a in arrays]
    outs = _flat(case.fn(npgrad, *ts))
    assert len(outs) == len(ref["out"]), f"{case.name}: {len(outs)} outputs, torch has {len(ref['out'])}"
    for o, r in zip(outs, ref["out"]):
        got = o.detach().numpy()
        assert got.shape == np.shape(r), f"{case.name}: shape {got.shape} != torch {np.shape(r)}"
        assert got.dtype == np.asarray(r).dtype, f"{case.name}: dtype {got.dtype} != torch {np.asarray(r).dtype}"
        np.testing.assert_allclose(got, r, rtol=case.rtol, atol=case.atol, err_msg=f"{case.name} forward")
    if not case.grad:
        return
    rng = np.random.default_rng(_seed(case.name) + 1)
    total = None
    for o in outs:
        if o.requires_grad:
            term = (o * npgrad.tensor(rng.standard_normal(o.shape))).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = [t.grad.numpy() if t.grad is not None else np.zeros(0) for t in ts if t.requires_grad]
    for k, (g, r) in enumerate(zip(grads, ref["grads"])):
        np.testing.assert_allclose(g, r, rtol=1e-6, atol=1e-8, err_msg=f"{case.name} grad of input {k}")
    if case.gradcheck:
        diff = [npgrad.tensor(a, requires_grad=_diff(a)) for a in arrays]
        assert gradcheck(lambda *xs: case.fn(npgrad, *xs), diff, eps=1e-6, atol=1e-5, rtol=1e-4)
