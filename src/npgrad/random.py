"""Random number generators: ``manual_seed`` and ``Generator``, on PyTorch's Mersenne Twister.

A generator is an MT19937 engine seeded as PyTorch seeds its CPU generator, and the samplers of
``rand``, ``randn``, ``randint``, ``randperm``, ``uniform_``, ``normal_``, ``random_``,
``bernoulli``, ``multinomial``, dropout and the rest turn its words into numbers as PyTorch's CPU
kernels do (:mod:`npgrad._sampling`): the same seed and the same calls give PyTorch's numbers, and
so do the default initialisations of the layers and the order of a shuffled ``DataLoader``.
"""
from __future__ import annotations

import contextlib
import struct

import numpy as np

from . import _sampling
from .tensor import _fill_in_memory_order, _like as _empty_like, check_device

_STATE_BYTES = 5056  # PyTorch's CPUGeneratorImplState
_MT_N = 624


def _init_genrand(seed):
    """The MT19937 state that ``init_genrand(seed)`` makes (the 32-bit seed spread over 624 words)."""
    key = np.empty(_MT_N, np.uint32)
    x = seed & 0xFFFF_FFFF
    key[0] = x
    for j in range(1, _MT_N):
        x = (1812433253 * (x ^ (x >> 30)) + j) & 0xFFFF_FFFF
        key[j] = x
    return key


class Generator:
    """A seeded source of random numbers, as ``torch.Generator``: PyTorch's CPU engine, so that the same
    seed gives the same numbers.

    Example:
        >>> import npgrad
        >>> g = npgrad.Generator().manual_seed(0)
        >>> npgrad.rand(3, generator=g)
        tensor([0.4963, 0.7682, 0.0885])
    """

    def __init__(self, device="cpu"):
        from .tensor import device as _device

        self._engine = np.random.MT19937()
        self._refusal = None  # a message: every draw raises it (``vmap(randomness="error")``)
        self.manual_seed(67280421310721)  # PyTorch's default seed
        self.device = _device(device)
        if self.device.type != "cpu":   # PyTorch's CPU build has no generator for another device
            raise RuntimeError("Cannot get CUDA generator without ATen_cuda library" if self.device.type == "cuda"
                               else f"npgrad runs on the CPU only; device '{self.device.type}' has no generator")

    def manual_seed(self, seed):
        """Reseed with ``seed`` (taken modulo 2**64, as PyTorch does); returns the generator."""
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._engine.state = {"bit_generator": "MT19937", "state": {"key": _init_genrand(self._seed), "pos": _MT_N}}
        self._next_double_normal = None  # the other half of the last Box-Muller pair of a short normal draw
        self._next_float_normal = None
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
        """The generator state as a uint8 tensor of PyTorch's layout (``torch.set_rng_state`` takes it)."""
        from .tensor import Tensor

        state = self._engine.state["state"]
        key, pos = state["key"], int(state["pos"])
        if pos >= _MT_N:  # nothing left of the current block: PyTorch's ``left == 1``
            fresh = int(key[0]) == self._seed & 0xFFFF_FFFF and np.array_equal(key, _init_genrand(self._seed))
            left, nxt = 1, 0 if fresh else _MT_N
        else:
            left, nxt = _MT_N + 1 - pos, pos
        blob = bytearray(_STATE_BYTES)
        struct.pack_into("<QiiQ", blob, 0, self._seed, left, 1, nxt)
        blob[24:24 + 8 * _MT_N] = key.astype("<u8").tobytes()
        cached = self._next_double_normal
        struct.pack_into("<3di", blob, 24 + 8 * _MT_N, 0.0, 0.0 if cached is None else cached, 0.0,
                         int(cached is not None))
        f_cached = self._next_float_normal
        struct.pack_into("<f?", blob, 5048, 0.0 if f_cached is None else f_cached, f_cached is not None)
        return Tensor._wrap(np.frombuffer(bytes(blob), dtype=np.uint8).copy())

    def set_state(self, state):
        """Restore a state from ``get_state`` (npgrad's or PyTorch's); returns the generator."""
        data = getattr(state, "_data", None)
        if data is None or data.dtype != np.uint8:
            raise TypeError("RNG state must be a npgrad.ByteTensor")
        if data.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input RNG "
                               f"state size to be {data.size}")
        blob = np.ascontiguousarray(data).reshape(-1).tobytes()
        seed, left, _, nxt = struct.unpack_from("<QiiQ", blob, 0)
        key = np.frombuffer(blob, "<u8", _MT_N, 24)
        if np.any(key > 0xFFFF_FFFF) or not 1 <= left <= _MT_N or nxt > _MT_N:
            raise RuntimeError("Invalid mt19937 state")
        _, normal_y, _, normal_valid = struct.unpack_from("<3di", blob, 24 + 8 * _MT_N)
        f_normal, f_valid = struct.unpack_from("<f?", blob, 5048)
        pos = _MT_N if left == 1 else nxt
        self._engine.state = {"bit_generator": "MT19937", "state": {"key": key.astype(np.uint32), "pos": pos}}
        self._seed = seed
        self._next_double_normal = normal_y if normal_valid else None
        self._next_float_normal = f_normal if f_valid else None
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


def gen(generator=None) -> Generator:
    """``generator``, or the default one for None."""
    return generator or default_generator


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


def _count(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


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
    check_device(device)
    shape = _shape("rand", args, size)
    dt = _float_dtype(dtype, "check_uniform_bounds")
    return _t(_sampling.uniform(gen(generator), _count(shape), dt.np).reshape(shape), dt, requires_grad)


def randn(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
          requires_grad=False):
    """Standard normal samples of the given size: ``randn(2, 3)``, ``randn((2, 3))``, ``randn(size=(2, 3))``."""
    check_device(device)
    shape = _shape("randn", args, size)
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    return _t(_sampling.normal(gen(generator), _count(shape), dt.np).reshape(shape), dt, requires_grad)


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
    check_device(device)
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
    shape = _size((size,))
    return _t(_sampling.random_from_to(gen(generator), _count(shape), low, high, dt.np).reshape(shape), dt,
              requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False):
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    check_device(device)
    from . import _dtype as D

    dt = D.as_dtype(dtype or D.int64)
    _check_requires_grad(dt, requires_grad)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dt.np.kind == "b":
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    return _t(_sampling.randperm(gen(generator), n), dt, requires_grad)


def _like(t, dtype):
    from . import _dtype as D

    return D.from_numpy_dtype(t._data.dtype) if dtype is None else D.as_dtype(dtype)


def rand_like(t, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    """Uniform samples on :math:`[0, 1)` with the shape (and dtype, unless given) of ``t``."""
    check_device(device)
    dt = _float_dtype(_like(t, dtype), "check_uniform_bounds")
    out = _empty_like(t, dt, memory_format, "rand_like")
    _fill_in_memory_order(out, _sampling.uniform(gen(generator), out.size, dt.np))
    return _t(out, dt, requires_grad)


def randn_like(t, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    """Standard normal samples with the shape (and dtype, unless given) of ``t``."""
    check_device(device)
    dt = _float_dtype(_like(t, dtype), "normal_kernel_cpu")
    out = _empty_like(t, dt, memory_format, "randn_like")
    _fill_in_memory_order(out, _sampling.normal(gen(generator), out.size, dt.np, contiguous=out.flags.c_contiguous))
    return _t(out, dt, requires_grad)


def randint_like(t, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    """Integers from :math:`[low, high)` with the shape (and dtype, unless given) of ``t``."""
    check_device(device)
    if high is None:
        low, high = 0, low
    dt = _like(t, dtype)
    _check_requires_grad(dt, requires_grad)
    _int_range(low, high, dt)
    out = _empty_like(t, dt, memory_format, "randint_like")
    _fill_in_memory_order(out, _sampling.random_from_to(gen(generator), out.size, low, high, dt.np))
    return _t(out, dt, requires_grad)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    r"""Normal samples :math:`\mathcal{N}(\mathrm{mean}, \mathrm{std}^2)`, in PyTorch's argument forms.

    ``normal(mean_tensor, std_tensor)``, ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)`` (the shape of the tensor argument or of both, broadcast),
    or ``normal(mean, std, size)`` with two numbers.
    """
    check_device(device)
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
    g = gen(generator)
    if not tm and not ts:  # empty(size).normal_(mean, std)
        dt = _float_dtype(dtype, "normal_kernel_cpu")
        shape = _size((size,))
        return _t(_sampling.normal(g, _count(shape), dt.np, mean, std).reshape(shape), dt, requires_grad)
    ref = mean if tm else std
    np_dtype = ref._data.dtype
    m = mean._data if tm else np_dtype.type(mean)
    s = std._data if ts else std
    shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    n = _count(shape)
    if ts:  # PyTorch: normal_(0, 1), then times std plus mean
        out = _sampling.normal(g, n, np_dtype).reshape(shape) * s.astype(np_dtype, copy=False) + m
    else:  # normal_(0, std), then plus mean
        out = _sampling.normal(g, n, np_dtype, 0.0, s).reshape(shape) + m
    return _t(out.astype(np_dtype, copy=False), ref.dtype, requires_grad)


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
    if p is None:
        draws = _sampling.bernoulli_tensor(gen(generator), np.ascontiguousarray(probs))
    else:
        draws = _sampling.bernoulli_scalar(gen(generator), input.numel(), float(p)).reshape(input.shape)
    return Tensor._wrap(draws.astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, generator=None):
    r"""Indices drawn from the rows of ``input`` taken as (unnormalised) category weights.

    Drawn as PyTorch draws them (:func:`npgrad._sampling.multinomial`): one draw, or draws without
    replacement, are an exponential race (with :math:`E_c \sim \mathrm{Exp}(1)` the categories
    sorted by :math:`p_c / E_c`, largest first: successive sampling without replacement, zero-weight
    categories last); two or more with replacement locate uniforms among the running sums. Errors
    follow PyTorch's checks and wording.
    """
    from .tensor import Tensor

    weights = np.atleast_2d(input._data)
    probs = weights.astype(np.float64)
    n_categories = probs.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement:
        if num_samples > n_categories:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
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
    if weights.dtype.kind != "f":
        weights = probs
    out = _sampling.multinomial(gen(generator), np.ascontiguousarray(weights), num_samples, replacement)
    return Tensor._wrap(out if input.ndim == 2 else out[0])
