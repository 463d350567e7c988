"""Storages as PyTorch's: ``untyped_storage()`` (the bytes of the whole block a tensor views), the deprecated
``storage()`` (that block in the tensor's dtype), ``is_storage``, ``is_set_to``, ``UntypedStorage(n)``."""
from __future__ import annotations

import warnings

import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("storage")


def _program(L):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # TypedStorage's deprecation
        x = L.arange(6.)
        s = x.untyped_storage()
        out += [type(s).__name__, s.nbytes(), s.size(), len(s), s.element_size(), s.data_ptr() == x.data_ptr(),
                str(s.device), s[0], s[4:8].tolist(), s.tolist()[:8], s.is_shared(), s.is_pinned()]
        out += [x[2:].untyped_storage().data_ptr() == s.data_ptr(), x[2:].untyped_storage().nbytes(),
                x.view(2, 3).t().untyped_storage().data_ptr() == s.data_ptr(),
                x.clone().untyped_storage().data_ptr() == s.data_ptr()]
        out.append(repr(L.arange(2, dtype=L.int8).untyped_storage()).replace("npgrad", "torch"))
        t = x[1:].storage()
        out += [type(t).__name__, t.size(), str(t.dtype).replace("npgrad", "torch"), t.tolist(),
                t.data_ptr() == x.data_ptr(), t.nbytes(), t.element_size(), len(t), t[1]]
        out.append(repr(x[:2].storage()).replace("npgrad", "torch"))
        out += [L.is_storage(s), L.is_storage(t), L.is_storage(x), L.UntypedStorage(4).nbytes()]
        y = L.zeros(3)
        y.storage()[1] = 5                                   # a view: the write lands in the tensor
        y.untyped_storage()[8:12] = 0x40                      # bytes of the last float: 0x40404040
        out.append(y.tolist())
        z = L.arange(4.).view(L.int32)
        out += [z.storage().tolist()[:2], str(z.storage().dtype).replace("npgrad", "torch")]
        out += [x.is_set_to(x), x.is_set_to(x[:]), x.is_set_to(x.clone()), x[1:].is_set_to(x),
                x.view(2, 3).is_set_to(x), L.zeros(0).untyped_storage().nbytes()]
    return out


def test_storages_as_torch():
    expected = golden.json("program", lambda: _program(torch))
    assert _program(npgrad) == expected


def test_typed_storage_warns_once_per_process(monkeypatch):
    from npgrad.storage import TypedStorage

    monkeypatch.setattr(TypedStorage, "_warned", False)
    x = npgrad.ones(2)
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        x.storage()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.storage()
