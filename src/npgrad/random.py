"""Random number generators: ``manual_seed`` and ``Generator``.

npgrad draws from NumPy's PCG64. The bits differ from PyTorch's, so tests that compare
with torch copy weights across instead of relying on equal seeds.
"""
from __future__ import annotations

import contextlib

import numpy as np


class Generator:
    """A seeded source of random numbers, as ``torch.Generator``.

    Example:
        >>> import npgrad
        >>> g = npgrad.Generator().manual_seed(0)
        >>> a = npgrad.randn(3, generator=g)
    """

    def __init__(self, device="cpu"):
        from .tensor import device as _device

        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        self.device = _device(device) if isinstance(device, str) else device

    def manual_seed(self, seed):
        """Reseed with ``seed`` (taken modulo 2**64, as PyTorch does); returns the generator."""
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        """Reseed from fresh OS entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (restorable with ``set_state``)."""
        from .tensor import Tensor
        import json

        blob = json.dumps({"seed": self._seed, "state": self._rng.bit_generator.state}).encode()
        return Tensor._wrap(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, state):
        """Restore a state returned by ``get_state``; returns the generator."""
        import json

        data = getattr(state, "_data", None)
        if data is None or data.dtype != np.uint8:
            raise TypeError("RNG state must be a npgrad.ByteTensor")
        try:
            obj = json.loads(bytes(data).decode())
            bg = np.random.PCG64()
            bg.state = obj["state"]
            seed = int(obj["seed"])
        except (ValueError, KeyError, TypeError):
            raise RuntimeError(f"Expected an RNG state from get_state() or get_rng_state(), "
                               f"but found an input RNG state of size {data.size} that is not one") from None
        self._seed = seed
        self._rng = np.random.Generator(bg)
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator from fresh OS entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed of the default generator."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(state):
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(state)


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one for None)."""
    return (generator or default_generator)._rng


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Run the block with the default generator's state saved before and restored after.

    With ``enabled=False`` the block runs without saving anything. ``devices`` is accepted
    for compatibility: npgrad has the CPU generator only.
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# --------------------------------------------------------------------------- sampling


def _t(arr, dtype, requires_grad=False):
    from . import _dtype as D
    from .tensor import Tensor

    return Tensor._wrap(np.asarray(arr).astype(D.as_dtype(dtype).np, copy=False), requires_grad)


def _size(size):
    from .tensor import _size_arg

    return _size_arg(size)


def _shape(name, args, size):
    """The shape from ``name(*args)`` or ``name(size=...)``, as PyTorch takes either."""
    if size is not None:
        if args:
            raise TypeError(f"{name}() received an invalid combination of arguments - got both a positional "
                            "size and size=")
        args = (size,)
    elif not args:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"size\"")
    return _size(args)


def _float_dtype(dtype, kernel):
    """``dtype`` (the default one for None), which must be floating point for ``kernel``."""
    from . import _dtype as D

    dt = D.as_dtype(dtype)
    if dt.np.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dt)}'")
    return dt


def _type_name(dt):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float16": "Half", "float32": "Float", "float64": "Double"}[dt.name]


def _check_requires_grad(dt, requires_grad):
    if requires_grad and dt.np.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def rand(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
         requires_grad=False):
    """Uniform samples on :math:`[0, 1)` of the given size: ``rand(2, 3)``, ``rand((2, 3))``, ``rand(size=(2, 3))``."""
    shape = _shape("rand", args, size)
    return _t(rng(generator).random(shape), _float_dtype(dtype, "check_uniform_bounds"), requires_grad)


def randn(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
          requires_grad=False):
    """Standard normal samples of the given size: ``randn(2, 3)``, ``randn((2, 3))``, ``randn(size=(2, 3))``."""
    shape = _shape("randn", args, size)
    return _t(rng(generator).standard_normal(shape), _float_dtype(dtype, "normal_kernel_cpu"), requires_grad)


def _int_range(low, high, dt):
    """Check ``low < high`` and that ``[low, high)`` fits ``dt``, with PyTorch's messages."""
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            pos = 0 if name == "low" else 1
            raise TypeError(f"randint(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dt.np.kind in "iub":
        lo, hi = (0, 1) if dt.np.kind == "b" else (int(np.iinfo(dt.np).min), int(np.iinfo(dt.np).max))
        c_name = {"int8": "signed char", "uint8": "unsigned char", "int16": "short int", "int32": "int",
                  "int64": "long int", "bool": "bool"}[dt.name]
        if low < lo:
            raise RuntimeError(f"from is out of bounds for {c_name}")
        if high - 1 > hi:
            raise RuntimeError(f"to - 1 is out of bounds for {c_name}")


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            pin_memory=False, requires_grad=False):
    """Integers drawn uniformly from :math:`[low, high)`: ``randint(high, size)`` or ``randint(low, high, size)``.

    The result is int64 unless ``dtype`` says otherwise.
    """
    from . import _dtype as D

    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing 1 required positional arguments: \"size\"")
    dt = D.as_dtype(dtype or D.int64)
    _check_requires_grad(dt, requires_grad)
    _int_range(low, high, dt)
    return _t(rng(generator).integers(low, high, _size((size,))), dt, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False):
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    from . import _dtype as D

    dt = D.as_dtype(dtype or D.int64)
    _check_requires_grad(dt, requires_grad)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dt.np.kind == "b":
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    return _t(rng(generator).permutation(n), dt, requires_grad)


def _like(t, dtype):
    from . import _dtype as D

    return D.from_numpy_dtype(t._data.dtype) if dtype is None else D.as_dtype(dtype)


def rand_like(t, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    """Uniform samples on :math:`[0, 1)` with the shape (and dtype, unless given) of ``t``."""
    dt = _float_dtype(_like(t, dtype), "check_uniform_bounds")
    return _t(rng(generator).random(t.shape), dt, requires_grad)


def randn_like(t, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    """Standard normal samples with the shape (and dtype, unless given) of ``t``."""
    dt = _float_dtype(_like(t, dtype), "normal_kernel_cpu")
    return _t(rng(generator).standard_normal(t.shape), dt, requires_grad)


def randint_like(t, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    """Integers from :math:`[low, high)` with the shape (and dtype, unless given) of ``t``."""
    if high is None:
        low, high = 0, low
    dt = _like(t, dtype)
    _check_requires_grad(dt, requires_grad)
    _int_range(low, high, dt)
    return _t(rng(generator).integers(low, high, t.shape), dt, requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    r"""Normal samples :math:`\mathcal{N}(\mathrm{mean}, \mathrm{std}^2)`, in PyTorch's argument forms.

    ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)`` (the shape of the tensor argument or of both, broadcast),
    or ``normal(mean, std, size)`` with two numbers.
    """
    from .tensor import Tensor

    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts and size is None:
        raise TypeError(f"normal() received an invalid combination of arguments - got ({type(mean).__name__}, "
                        f"{type(std).__name__}), but expected one of:\n"
                        " * (Tensor mean, Tensor std, *, npgrad.Generator generator = None, Tensor out = None)\n"
                        " * (Tensor mean, float std = 1, *, npgrad.Generator generator = None, Tensor out = None)\n"
                        " * (float mean, Tensor std, *, npgrad.Generator generator = None, Tensor out = None)\n"
                        " * (float mean, float std, tuple of ints size, *, npgrad.Generator generator = None, "
                        "Tensor out = None, npgrad.dtype dtype = None, npgrad.layout layout = None, "
                        "npgrad.device device = None, bool pin_memory = False, bool requires_grad = False)\n")
    if (tm or ts) and size is not None:
        raise TypeError("normal() received an invalid combination of arguments - a tensor mean or std "
                        "takes no size")
    if ts:
        if np.any(std._data < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    m = mean._data if tm else mean
    s = std._data if ts else std
    shape = _size((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    out = rng(generator).normal(m, s, shape)
    ref = mean if tm else std if ts else None
    dt = dtype if ref is None else ref.dtype
    return _t(out, dt, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    """Zeros and ones drawn with probability ``input`` (or ``p`` everywhere), in ``input``'s dtype."""
    from .tensor import Tensor

    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{_type_name(_like(input, None))}'")
    probs = input._data if p is None else np.full(input.shape, p)
    if np.any(~((probs >= 0) & (probs <= 1))):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    return Tensor._wrap((rng(generator).random(input.shape) < probs).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, generator=None):
    r"""Indices drawn from the rows of ``input`` taken as (unnormalised) category weights.

    Without replacement each row is an exponential race: with :math:`E_c \sim
    \mathrm{Exp}(1)` the categories sorted by :math:`p_c / E_c`, largest first,
    are drawn in the order of successive sampling without replacement, and
    zero-weight categories come last, as in PyTorch. Errors follow PyTorch's
    checks and wording.
    """
    from .tensor import Tensor

    probs = np.atleast_2d(input._data).astype(np.float64)
    n_categories = probs.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement:
        if num_samples > n_categories:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    g = rng(generator)
    out = np.empty((probs.shape[0], num_samples), dtype=np.int64)
    # PyTorch checks one draw, or draws without replacement, as an exponential race,
    # and two or more draws with replacement in a kernel of its own, with other messages
    race = not replacement or num_samples == 1
    for i, p in enumerate(probs):
        if race and (np.any(p < 0) or not np.isfinite(p).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if not race and not np.all(p >= 0):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        if not race and np.any(np.isinf(p)):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
        if p.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out[i] = g.choice(n_categories, size=num_samples, replace=True, p=p / p.sum())
        else:
            keys = p / g.exponential(size=n_categories)
            out[i] = np.argsort(-keys, kind="stable")[:num_samples]
    return Tensor._wrap(out if input.ndim == 2 else out[0])
