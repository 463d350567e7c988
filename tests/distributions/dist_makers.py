"""What the tests of npgrad.distributions share: the torch reference for ``golden``, a seed from a name and the
makers of parameter arrays (each maker takes a NumPy ``Generator`` and returns a float64 array)."""
import numpy as np


def D(lib):
    return lib.distributions


def torch_ref(fn, *args):
    """The reference ``fn(torch, *args)`` for ``golden`` (torch is imported only when the golden value is made)."""
    def ref():
        import torch

        return fn(torch, *args)
    return ref


def _seed(name):
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % (2 ** 31)


def real(*shape):
    return lambda rng: rng.standard_normal(shape)


def pos(*shape, lo=0.5, hi=2.0):
    return lambda rng: rng.uniform(lo, hi, shape)


def unit(*shape, lo=0.05, hi=0.95):
    return lambda rng: rng.uniform(lo, hi, shape)


def simplex(*shape):
    return lambda rng: rng.dirichlet(np.ones(shape[-1]), shape[:-1])


def ints(lo, hi, *shape):
    return lambda rng: rng.integers(lo, hi, shape).astype(np.float64)


def onehot(k, *shape):
    return lambda rng: np.eye(k)[rng.integers(0, k, shape)]


def spd(n, *batch):
    def make(rng):
        a = rng.standard_normal(batch + (n, n))
        return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    return make


def tril(n, *batch):
    def make(rng):
        a = np.tril(rng.standard_normal(batch + (n, n)), -1)
        return a + np.eye(n) * rng.uniform(0.5, 1.5, batch + (n,))[..., None]
    return make


def corr_cholesky(n, *batch):
    def make(rng):
        a = rng.standard_normal(batch + (n, n))
        cov = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
        d = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
        return np.linalg.cholesky(cov / d[..., :, None] / d[..., None, :])
    return make


def wishart_value(n, *batch):
    def make(rng):
        a = rng.standard_normal(batch + (n, n + 2))
        return a @ np.swapaxes(a, -1, -2)
    return make
