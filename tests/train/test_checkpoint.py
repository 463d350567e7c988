"""Atomic checkpoint writes: a crash during a save leaves the previous checkpoint loadable."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import npgrad
from npgrad.train.checkpoint import atomic_write_text, load_checkpoint, save_checkpoint


def _state(value):
    return {"model": {"w": npgrad.full((3,), float(value))}, "trainer": {"epoch": value, "history": [1.5, value]}}


def test_round_trip(tmp_path):
    path = tmp_path / "c" / "checkpoint.safetensors"
    save_checkpoint(_state(2), path)
    loaded = load_checkpoint(path)
    assert loaded["trainer"] == {"epoch": 2, "history": [1.5, 2]}
    np.testing.assert_array_equal(loaded["model"]["w"].numpy(), [2.0, 2.0, 2.0])


def test_crash_before_the_rename_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(_state(1), path)

    def crash(src, dst):
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(_state(2), path)
    monkeypatch.undo()
    assert load_checkpoint(path)["trainer"]["epoch"] == 1
    assert os.listdir(tmp_path) == ["checkpoint.safetensors"]  # the temporary file was removed


def test_kill_during_the_write_keeps_the_previous_checkpoint(tmp_path):
    """SIGKILL after the new data is on disk but before the rename: no cleanup runs at all."""
    path = tmp_path / "checkpoint.safetensors"
    save_checkpoint(_state(1), path)
    script = textwrap.dedent(f"""
        import os, signal
        import npgrad
        from npgrad.train.checkpoint import save_checkpoint
        def die(src, dst):
            os.kill(os.getpid(), signal.SIGKILL)
        os.replace = die
        save_checkpoint({{"trainer": {{"epoch": 2}}, "w": npgrad.zeros(1000)}}, {str(path)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=dict(os.environ))
    assert proc.returncode == -9
    leftovers = [name for name in os.listdir(tmp_path) if name != "checkpoint.safetensors"]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # the half-finished write
    assert load_checkpoint(path)["trainer"]["epoch"] == 1


def test_atomic_text(tmp_path):
    path = tmp_path / "metrics.csv"
    atomic_write_text(path, "a\n")
    atomic_write_text(path, "b\n")
    assert path.read_text() == "b\n"
