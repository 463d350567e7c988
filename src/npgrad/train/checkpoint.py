"""Checkpoint files: written atomically, read back whole.

A write goes to a temporary file in the target's folder, is flushed and fsynced, then
renamed over the target with ``os.replace`` (atomic on POSIX and Windows), and the folder
is fsynced. A crash or ``kill -9`` at any moment therefore leaves either the previous
file or the new one, never a mixture. The state itself is stored with ``npgrad.save``
(safetensors with a JSON structure; nothing pickled).

A training checkpoint holds everything the next step depends on: the model, the
optimizer and the scheduler states, the random state (``npgrad.get_rng_state``), the
training loader's position in its epoch and the trainer's own counters and history.
"""
from __future__ import annotations

import os

from ..serialization import atomic_write_bytes, load, save

__all__ = ["atomic_write_bytes", "atomic_write_text", "save_checkpoint", "load_checkpoint",
           "CHECKPOINT_FILE"]

CHECKPOINT_FILE = "checkpoint.safetensors"


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
        >>> atomic_write_text(path, "hello")
        >>> open(path).read()
        'hello'
    """
    atomic_write_bytes(os.fspath(path), text.encode("utf-8"))


def save_checkpoint(state: dict, path) -> None:
    """Write a checkpoint ``state`` (nested dicts of tensors, arrays, numbers, strings) atomically.

    Example:
        >>> import npgrad, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
        >>> save_checkpoint({"epoch": 3, "w": npgrad.ones(2)}, path)
        >>> load_checkpoint(path)["epoch"]
        3
    """
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    save(state, path)


def load_checkpoint(path) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    return load(os.fspath(path))
