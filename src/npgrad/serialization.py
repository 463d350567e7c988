"""``save`` / ``load``: nested state (dicts, lists, tensors, numbers, strings) in one file.

The file is a safetensors file: the tensors are its arrays, and the structure around
them is JSON kept in the safetensors header metadata under ``"npgrad"``. Nothing is
pickled, so loading a file never runs code. Writes are atomic: a temporary file in the
same folder, flushed and fsynced, then renamed over the target.
"""
from __future__ import annotations

import collections
import io
import json
import math
import os
import tempfile

import numpy as np

FORMAT = "npgrad-state-v1"


def _encode(obj, arrays, memo=None):
    """JSON-ready structure for ``obj``; tensors and arrays go into ``arrays``.

    A tensor met twice (tied weights, the same tensor in two places) is stored once and
    loads back as one tensor, as with ``torch.save``.
    """
    from .tensor import Size, Tensor

    if memo is None:
        memo = {}
    if isinstance(obj, Tensor):
        if id(obj) in memo:
            return memo[id(obj)][0]
        key = f"t{len(arrays)}"
        arrays[key] = np.ascontiguousarray(obj._data)
        out = {"T": key, "s": list(obj._data.shape)}
        memo[id(obj)] = (out, obj)  # the object is kept alive so that its id stays unique
        if obj.requires_grad:
            out["rg"] = True
        if getattr(obj, "_is_param", False):
            out["param"] = True
        return out
    if isinstance(obj, np.ndarray):
        key = f"t{len(arrays)}"
        arrays[key] = np.ascontiguousarray(obj)
        return {"A": key, "s": list(obj.shape)}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else {"F": repr(f)}
    if isinstance(obj, dict):
        items = [[_encode(k, arrays, memo), _encode(v, arrays, memo)] for k, v in obj.items()]
        return {"O": items} if isinstance(obj, collections.OrderedDict) else {"D": items}
    if isinstance(obj, Size):
        return {"S": [int(v) for v in obj]}
    if isinstance(obj, tuple):
        return {"U": [_encode(v, arrays, memo) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays, memo) for v in obj]
    if hasattr(obj, "__dataclass_fields__") or hasattr(obj, "_asdict"):
        return _encode(obj._asdict() if hasattr(obj, "_asdict") else vars(obj), arrays, memo)
    from ._dtype import dtype

    if isinstance(obj, dtype):
        return {"dtype": obj.name}
    raise TypeError(f"npgrad.save cannot store an object of type {type(obj).__name__}: only tensors, arrays, "
                    "numbers, strings, None, and dicts/lists/tuples of those are supported")


def _decode(obj, arrays, memo=None):
    from .tensor import Size, Tensor

    if memo is None:
        memo = {}
    if isinstance(obj, list):
        return [_decode(v, arrays, memo) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "T" in obj:
        if obj["T"] in memo:
            return memo[obj["T"]]
        t = Tensor._wrap(arrays[obj["T"]].reshape(obj["s"]))
        if obj.get("param"):
            from .nn.module import Parameter

            t = Parameter(t, requires_grad=obj.get("rg", False))
        else:
            t.requires_grad = obj.get("rg", False)
        memo[obj["T"]] = t
        return t
    if "A" in obj:
        return arrays[obj["A"]].reshape(obj["s"])
    if "F" in obj:
        return float(obj["F"])
    if "D" in obj or "O" in obj:
        pairs = obj["D"] if "D" in obj else obj["O"]
        items = ((_hashable(_decode(k, arrays, memo)), _decode(v, arrays, memo)) for k, v in pairs)
        return dict(items) if "D" in obj else collections.OrderedDict(items)
    if "U" in obj:
        return tuple(_decode(v, arrays, memo) for v in obj["U"])
    if "S" in obj:
        return Size(obj["S"])
    if "dtype" in obj:
        from . import _dtype

        return _dtype._by_name(obj["dtype"])
    raise ValueError(f"unknown entry in npgrad file: {obj}")


def _hashable(k):
    return tuple(_hashable(x) for x in k) if isinstance(k, list) else k


def _to_bytes(obj) -> bytes:
    from safetensors.numpy import save

    arrays = {}
    structure = _encode(obj, arrays)
    meta = {"format": FORMAT, "npgrad": json.dumps(structure, allow_nan=False)}
    return save(arrays, metadata=meta)


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Write ``obj`` (a state dict, an optimizer state, nested containers of tensors) to ``f``.

    ``f`` is a path or a binary file object. A path is written atomically: a crash
    during ``save`` leaves the previous file intact.

    Example:
        >>> import npgrad, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> npgrad.save({"w": npgrad.ones(2)}, path)
        >>> npgrad.load(path)["w"]
        tensor([1., 1.])
    """
    data = _to_bytes(obj)
    if hasattr(f, "write"):
        f.write(data)
        return
    atomic_write_bytes(os.fspath(f), data)


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


_NO_CUDA_LOAD = ("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you "
                 "are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') "
                 "to map your storages to the CPU.")


def _check_map_location(map_location) -> None:
    """A ``map_location`` naming a device npgrad lacks gets PyTorch's error (a callable maps nothing here)."""
    from .tensor import check_device, device

    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if isinstance(target, (str, device)):
            if device(target).type == "cuda":
                raise RuntimeError(_NO_CUDA_LOAD)
            check_device(target)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Read what ``save`` wrote. A plain safetensors file loads as a flat dict of tensors.

    ``f`` is a path (``str`` or ``os.PathLike``) or a binary file object. Everything
    loads on the CPU, so ``map_location`` has nothing to move (one naming CUDA gets PyTorch's error, as on a
    machine without CUDA); nothing is unpickled, so
    ``weights_only`` changes nothing either.

    A truncated, corrupted or foreign file raises ``RuntimeError`` naming the file.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    _check_map_location(map_location)
    name = getattr(f, "name", None) or (os.fspath(f) if not hasattr(f, "read") else "<stream>")
    if hasattr(f, "read"):
        data = f.read()
    else:
        with open(os.fspath(f), "rb") as fh:
            data = fh.read()
    if (data[:2] == b"PK" or data[:1] == b"\x80") and data[8:9] != b"{":  # safetensors: u64 size, then JSON
        raise RuntimeError(f"{name} is not an npgrad file: it looks like a pickle/zip file (e.g. from torch.save). "
                           "npgrad never unpickles; save the state with safetensors instead")
    try:
        arrays = st_load(data)
        meta = _read_metadata(data)
    except (SafetensorError, ValueError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RuntimeError(f"{name} is not a valid npgrad/safetensors file (truncated or corrupted?): {e}") from None
    from .tensor import Tensor

    if meta is None or "npgrad" not in meta:
        return {k: Tensor._wrap(v) for k, v in arrays.items()}
    try:
        return _decode(json.loads(meta["npgrad"]), arrays)
    except (KeyError, ValueError, TypeError) as e:
        raise RuntimeError(f"{name} has a damaged npgrad structure: {e}") from None


def _read_metadata(data: bytes):
    if len(data) < 8:
        raise ValueError("file shorter than the safetensors header")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise ValueError("header length exceeds the file size")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    return header.get("__metadata__")


def save_bytes(obj) -> bytes:
    return _to_bytes(obj)


def load_bytes(data: bytes):
    return load(io.BytesIO(data))
