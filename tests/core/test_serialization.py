"""npgrad.save / npgrad.load: round trips, atomic writes and clear errors."""
import os

import numpy as np
import pytest

import npgrad
import npgrad.nn as nn


def test_round_trip_nested_state(tmp_path):
    state = {
        "model": nn.Linear(3, 2).state_dict(),
        "optimizer": {"state": {0: {"step": npgrad.tensor(3.0), "exp_avg": npgrad.zeros(2, 3)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                                        "foreach": None, "name": "main", "eps": float("inf")}]},
        "epoch": 7, "ints": npgrad.arange(5), "mask": npgrad.tensor([True, False]), "empty": npgrad.zeros(0, 3),
        "scalar64": npgrad.tensor(2.5, dtype=npgrad.float64), "arr": np.arange(3),
    }
    path = tmp_path / "state.safetensors"
    npgrad.save(state, path)
    back = npgrad.load(path)
    assert list(back["model"].keys()) == ["weight", "bias"]
    assert back["model"]["weight"].equal(state["model"]["weight"])
    assert back["optimizer"]["state"][0]["step"].item() == 3.0
    assert 0 in back["optimizer"]["state"]  # integer keys survive
    g = back["optimizer"]["param_groups"][0]
    assert g["betas"] == (0.9, 0.999) and g["foreach"] is None and g["eps"] == float("inf")
    assert back["epoch"] == 7 and back["ints"].dtype == npgrad.int64
    assert back["mask"].dtype == npgrad.bool and back["empty"].shape == (0, 3)
    assert back["scalar64"].dtype == npgrad.float64 and back["scalar64"].ndim == 0
    assert isinstance(back["arr"], np.ndarray)


def test_file_is_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file

    path = tmp_path / "m.safetensors"
    npgrad.save({"w": npgrad.ones(2)}, path)
    arrays = load_file(str(path))
    assert list(arrays.values())[0].tolist() == [1.0, 1.0]


def test_plain_safetensors_loads_as_flat_dict(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "plain.safetensors"
    save_file({"fc.weight": np.ones((2, 2), np.float32)}, str(path))
    d = npgrad.load(path)
    assert d["fc.weight"].shape == (2, 2)


def test_truncated_and_foreign_files_give_clear_errors(tmp_path):
    path = tmp_path / "s.safetensors"
    npgrad.save({"w": npgrad.ones(100)}, path)
    data = path.read_bytes()
    (tmp_path / "trunc.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="not a valid npgrad/safetensors file"):
        npgrad.load(tmp_path / "trunc.safetensors")
    (tmp_path / "pickle.pt").write_bytes(b"\x80\x04\x95...")
    with pytest.raises(RuntimeError, match="pickle"):
        npgrad.load(tmp_path / "pickle.pt")
    (tmp_path / "junk").write_bytes(b"hello world, not a model")
    with pytest.raises(RuntimeError, match="not a valid"):
        npgrad.load(tmp_path / "junk")


def test_unsupported_object_is_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        npgrad.save({"x": object()}, tmp_path / "x")


def test_atomic_write_keeps_previous_file_on_crash(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    npgrad.save({"v": npgrad.tensor([1.0])}, path)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        npgrad.save({"v": npgrad.tensor([2.0])}, path)
    monkeypatch.undo()
    assert npgrad.load(path)["v"].tolist() == [1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]  # no temp file left behind


def test_save_to_file_object():
    import io

    buf = io.BytesIO()
    npgrad.save({"a": npgrad.ones(2)}, buf)
    buf.seek(0)
    assert npgrad.load(buf)["a"].tolist() == [1.0, 1.0]
