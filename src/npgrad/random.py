"""Random number generators: ``manual_seed`` and ``Generator``.

npgrad draws from NumPy's PCG64. The bits differ from PyTorch's, so tests that compare
with torch copy weights across instead of relying on equal seeds.
"""
from __future__ import annotations

import numpy as np


class Generator:
    """A seeded source of random numbers, as ``torch.Generator``.

    Example:
        >>> import npgrad
        >>> g = npgrad.Generator().manual_seed(0)
        >>> a = npgrad.randn(3, generator=g)
    """

    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        self.device = device

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < -0x8000_0000_0000_0000 or seed > 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError(f"Overflow when unpacking long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (restorable with ``set_state``)."""
        from .tensor import Tensor
        import json

        blob = json.dumps({"seed": self._seed, "state": self._rng.bit_generator.state}).encode()
        return Tensor._wrap(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, state):
        import json

        data = state._data if hasattr(state, "_data") else np.asarray(state)
        obj = json.loads(bytes(data.astype(np.uint8)).decode())
        self._seed = obj["seed"]
        bg = np.random.PCG64()
        bg.state = obj["state"]
        self._rng = np.random.Generator(bg)
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one for None)."""
    return (generator or default_generator)._rng


def fork_rng(*args, **kwargs):
    import contextlib

    @contextlib.contextmanager
    def ctx():
        state = get_rng_state()
        try:
            yield
        finally:
            set_rng_state(state)

    return ctx()


# --------------------------------------------------------------------------- sampling


def _t(arr, dtype, requires_grad=False):
    from . import _dtype as D
    from .tensor import Tensor

    return Tensor._wrap(np.asarray(arr).astype(D.as_dtype(dtype).np, copy=False), requires_grad)


def _size(size):
    from .tensor import _size_arg

    return _size_arg(size)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _t(rng(generator).random(_size(size)), dtype, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _t(rng(generator).standard_normal(_size(size)), dtype, requires_grad)


def randint(low=0, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    from . import _dtype as D

    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    return _t(rng(generator).integers(low, high, tuple(size)), dtype or D.int64)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    from . import _dtype as D

    return _t(rng(generator).permutation(n), dtype or D.int64)


def rand_like(t, dtype=None, generator=None, **kw):
    return _t(rng(generator).random(t.shape), dtype or t.dtype)


def randn_like(t, dtype=None, generator=None, **kw):
    return _t(rng(generator).standard_normal(t.shape), dtype or t.dtype)


def randint_like(t, low=0, high=None, dtype=None, generator=None, **kw):
    if high is None:
        low, high = 0, low
    return _t(rng(generator).integers(low, high, t.shape), dtype or t.dtype)


def normal(mean, std, size=None, generator=None, dtype=None, requires_grad=False):
    from .tensor import Tensor, _raw

    m, s = _raw(mean), _raw(std)
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    out = rng(generator).normal(m, s, shape)
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    return _t(out, dtype or (ref.dtype if ref is not None else None), requires_grad)


def bernoulli(input, p=None, generator=None):
    from .tensor import Tensor

    probs = input._data if p is None else np.full(input.shape, p)
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
