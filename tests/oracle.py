"""PyTorch as the oracle, with committed golden values for checkouts without torch.

A test asks for a reference value by name::

    golden = Golden("losses")                     # tests/golden/losses.npz
    ref = golden("ce/mean/weight", lambda: torch_fn(...))

* torch importable: ``compute()`` runs and its result is the reference.
* ``NPGRAD_WRITE_GOLDEN=1`` (see ``tests/make_golden.py``): the torch results are
  also recorded into ``tests/golden/<name>.npz``.
* torch missing, or ``NPGRAD_GOLDEN_ONLY=1``: the value is read from the golden
  file; a missing key is a test failure, never a skip.

``compute`` returns an array, a number, or a tuple/list/dict of those; for
structures of strings and numbers, ``golden.json(key, compute)`` keeps the whole
result as one JSON string.
"""
from __future__ import annotations

import atexit
import json
import os
import pathlib

import numpy as np

try:  # the oracle; npgrad itself never imports torch
    if os.environ.get("NPGRAD_GOLDEN_ONLY") == "1":
        raise ImportError
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    torch = None
    HAVE_TORCH = False

GOLDEN_DIR = pathlib.Path(__file__).parent / "golden"
WRITE = os.environ.get("NPGRAD_WRITE_GOLDEN") == "1" and HAVE_TORCH

_registry: list["Golden"] = []


def _flatten(prefix, value, out):
    if isinstance(value, dict):
        out[f"{prefix}#keys"] = np.array([str(k) for k in value], dtype=str)
        for k, v in value.items():
            _flatten(f"{prefix}{{{k}", v, out)
    elif isinstance(value, (tuple, list)):
        out[f"{prefix}#len"] = np.array(len(value))
        out[f"{prefix}#type"] = np.array("tuple" if isinstance(value, tuple) else "list")
        for i, v in enumerate(value):
            _flatten(f"{prefix}[{i}", v, out)
    else:
        if HAVE_TORCH and isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        out[prefix] = np.asarray(value)


def _unflatten(prefix, store):
    if prefix in store:
        value = store[prefix]
        return value if value.ndim else value[()]
    if f"{prefix}#len" in store:
        n = int(store[f"{prefix}#len"])
        items = [_unflatten(f"{prefix}[{i}", store) for i in range(n)]
        return tuple(items) if str(store[f"{prefix}#type"]) == "tuple" else items
    if f"{prefix}#keys" in store:
        keys = [str(k) for k in store[f"{prefix}#keys"]]
        return {k: _unflatten(f"{prefix}{{{k}", store) for k in keys}
    keys = sorted({k[len(prefix) + 1:].split("{")[0].split("[")[0].split("#")[0]
                   for k in store if k.startswith(prefix + "{")})
    if not keys:
        raise KeyError(prefix)
    return {k: _unflatten(f"{prefix}{{{k}", store) for k in keys}


class Golden:
    """Reference values from torch, or from ``tests/golden/<name>.npz`` without it."""

    def __init__(self, name: str):
        self.name = name
        self.path = GOLDEN_DIR / f"{name}.npz"
        self._store = None
        self._recorded: dict[str, np.ndarray] = {}
        _registry.append(self)

    def _load(self):
        if self._store is None:
            if not self.path.exists():
                raise AssertionError(
                    f"golden file {self.path} is missing: run tests/make_golden.py with torch installed")
            with np.load(self.path, allow_pickle=False) as f:
                self._store = {k: f[k] for k in f.files}
        return self._store

    def __call__(self, key: str, compute):
        if HAVE_TORCH:
            value = compute()
            if WRITE:
                _flatten(key, value, self._recorded)
            return _normalise(value)
        store = self._load()
        try:
            return _unflatten(key, store)
        except KeyError:
            raise AssertionError(
                f"no golden value {key!r} in {self.path}: regenerate with tests/make_golden.py") from None

    def json(self, key: str, compute):
        """A structured reference (nested lists, dicts, strings, numbers), stored as one JSON string."""
        return json.loads(str(self(key, lambda: json.dumps(compute()))))

    def save(self):
        if not self._recorded:
            return
        GOLDEN_DIR.mkdir(exist_ok=True)
        merged = {}
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as f:
                merged = {k: f[k] for k in f.files}
        merged.update(self._recorded)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **merged)
        os.replace(tmp, self.path)


def _normalise(value):
    """Torch tensors in the result become NumPy arrays, as they would from the golden file."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_normalise(v) for v in value)
    if HAVE_TORCH and isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


@atexit.register
def _save_all():
    if WRITE:
        for g in _registry:
            g.save()
