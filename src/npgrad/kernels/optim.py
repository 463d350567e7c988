"""Fused optimizer updates: each algorithm's formula compiled into one in-place pass.

The math of every update lives once, in its algorithm's file
(``npgrad/optim/adam.py: adam_update`` ...), as a function of arrays written with
plain arithmetic and NumPy ufuncs. Run on whole arrays it is the NumPy
reference. Here the same function is compiled by Numba for scalars and called
from a loop that reads each element of the parameter, its gradient and its
state buffers once and writes the results back in place: one pass over memory
per parameter per step, no temporaries.

Conventions shared with :func:`npgrad.optim.optimizer.run_update`:

* ``formula(w, g, *buffers, *scalars)`` returns ``(w, *buffers)``;
* an absent optional buffer is ``None``: the loop compiled for that case reads
  the gradient in its place and writes nothing, so no two arrays overlap;
* float hyper-parameters arrive as Python floats and each loop first rounds
  them to the parameter's dtype (:func:`_in_dtype_of`), so float32 stays
  float32 (torch's arithmetic for float32 tensors) without a NumPy scalar
  built per parameter per step.

A large parameter is cut into one contiguous chunk per thread, run in one
parallel region of Numba's threading layer; small ones go whole to the threads
of a small pool (the loops release the GIL, ``nogil=True``), the calling thread
taking the first share. During ``Optimizer.step`` the updates of all parameters
are collected and run together (:func:`run_all`).

Numba only sees a change to this file when deciding whether its on-disk cache
is stale, so a digest of the formulas' source is kept next to the cache and the
cache is flushed when a formula changes.

Example::

    >>> import numpy as np
    >>> from npgrad.optim.sgd import sgd_update
    >>> from npgrad.kernels.optim import run
    >>> w, g = np.ones(4), np.full(4, 0.5)
    >>> run(sgd_update, w, g, [None], (0.1, 0.0, 1.0, 0.0, False, False, False, False))
    >>> w
    array([0.95, 0.95, 0.95, 0.95])
"""
from __future__ import annotations

import hashlib
import inspect
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba.extending import overload

from npgrad.functions import get_num_threads
from npgrad.optim import _elementwise
from npgrad.optim.adadelta import adadelta_update
from npgrad.optim.adagrad import adagrad_update
from npgrad.optim.adam import adam_update
from npgrad.optim.adamax import adamax_update
from npgrad.optim.asgd import asgd_update
from npgrad.optim.nadam import nadam_update
from npgrad.optim.radam import radam_update
from npgrad.optim.rmsprop import rmsprop_update
from npgrad.optim.rprop import rprop_update
from npgrad.optim.sgd import sgd_update
from npgrad.optim.sparse_adam import sparse_adam_update

__all__ = ["run", "run_all", "PASSES"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@overload(_elementwise.where)
def _where_scalar(condition, x, y):
    """``where`` on one element: a select (``np.where`` would build a 0-d array)."""
    def impl(condition, x, y):
        return x if condition else y
    return impl


def _in_dtype_of(w, scalars):
    """``scalars`` with each float cast to ``w``'s dtype (ints and bools kept); compiled code only."""
    raise NotImplementedError("callable from Numba-compiled code only")


@overload(_in_dtype_of)
def _in_dtype_of_impl(w, scalars):
    # built for each tuple type: float32 parameters get float32 hyper-parameters,
    # rounded once per call exactly as numpy.float32(x) rounds
    real = np.float32 if w.dtype == numba.types.float32 else np.float64
    items = [f"real(scalars[{k}])" if isinstance(t, numba.types.Float) else f"scalars[{k}]"
             for k, t in enumerate(scalars)]
    namespace = {"real": real}
    exec(f"def impl(w, scalars):\n    return ({', '.join(items)},)\n", namespace)
    return namespace["impl"]


def _scalar(formula):
    return numba.njit(error_model="numpy")(formula)


_sgd = _scalar(sgd_update)
_adam = _scalar(adam_update)
_adagrad = _scalar(adagrad_update)
_adadelta = _scalar(adadelta_update)
_adamax = _scalar(adamax_update)
_nadam = _scalar(nadam_update)
_radam = _scalar(radam_update)
_rmsprop = _scalar(rmsprop_update)
_rprop = _scalar(rprop_update)
_asgd = _scalar(asgd_update)
_sparse_adam = _scalar(sparse_adam_update)


# --------------------------------------------------------------------------- one loop per formula
# Each loop reads element i of every array, applies the formula, writes the
# buffers back and the parameter last. An absent optional buffer is ``None``:
# Numba compiles a version of the loop without it (the gradient is read in its
# place and nothing is written), so every loop is branch-free and vectorises.

@numba.njit(**_JIT)
def _sgd_pass(w, g, v, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, v_i = _sgd(w[i], g[i], g[i] if v is None else v[i], *scalars)
        if v is not None:
            v[i] = v_i
        w[i] = w_i


@numba.njit(**_JIT)
def _adam_pass(w, g, m, v, v_max, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, m_i, v_i, v_max_i = _adam(w[i], g[i], m[i], v[i], g[i] if v_max is None else v_max[i], *scalars)
        if v_max is not None:
            v_max[i] = v_max_i
        v[i] = v_i
        m[i] = m_i
        w[i] = w_i


@numba.njit(**_JIT)
def _adagrad_pass(w, g, s, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, s_i = _adagrad(w[i], g[i], s[i], *scalars)
        s[i] = s_i
        w[i] = w_i


@numba.njit(**_JIT)
def _adadelta_pass(w, g, v, u, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, v_i, u_i = _adadelta(w[i], g[i], v[i], u[i], *scalars)
        u[i] = u_i
        v[i] = v_i
        w[i] = w_i


@numba.njit(**_JIT)
def _adamax_pass(w, g, m, u, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, m_i, u_i = _adamax(w[i], g[i], m[i], u[i], *scalars)
        u[i] = u_i
        m[i] = m_i
        w[i] = w_i


@numba.njit(**_JIT)
def _nadam_pass(w, g, m, v, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, m_i, v_i = _nadam(w[i], g[i], m[i], v[i], *scalars)
        v[i] = v_i
        m[i] = m_i
        w[i] = w_i


@numba.njit(**_JIT)
def _radam_pass(w, g, m, v, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, m_i, v_i = _radam(w[i], g[i], m[i], v[i], *scalars)
        v[i] = v_i
        m[i] = m_i
        w[i] = w_i


@numba.njit(**_JIT)
def _rmsprop_pass(w, g, v, g_avg, b, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, v_i, g_avg_i, b_i = _rmsprop(w[i], g[i], v[i], g[i] if g_avg is None else g_avg[i], g[i] if b is None else b[i], *scalars)
        if b is not None:
            b[i] = b_i
        if g_avg is not None:
            g_avg[i] = g_avg_i
        v[i] = v_i
        w[i] = w_i


@numba.njit(**_JIT)
def _rprop_pass(w, g, prev, eta, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, prev_i, eta_i = _rprop(w[i], g[i], prev[i], eta[i], *scalars)
        eta[i] = eta_i
        prev[i] = prev_i
        w[i] = w_i


@numba.njit(**_JIT)
def _asgd_pass(w, g, ax, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, ax_i = _asgd(w[i], g[i], ax[i], *scalars)
        ax[i] = ax_i
        w[i] = w_i


@numba.njit(**_JIT)
def _sparse_adam_pass(w, g, m, v, raw):
    scalars = _in_dtype_of(w, raw)
    for i in range(w.size):
        w_i, m_i, v_i = _sparse_adam(w[i], g[i], m[i], v[i], *scalars)
        v[i] = v_i
        m[i] = m_i
        w[i] = w_i


# --------------------------------------------------------------------------- the passes on all threads
# A large parameter is cut into one contiguous chunk per thread (bounds on 64-element multiples, so
# every chunk starts where the parameter's alignment does), each chunk run by its formula's pass in
# one parallel region of Numba's threading layer. Its threads start together on each parameter and
# wait at its end; measured on 25M float32 parameters this ran the memory-bound passes 10-15% faster
# than handing the chunks to Python threads, whose start and end wait in the kernel.

def _part(a, lo, hi):
    """``a[lo:hi]``, or ``None`` for an absent buffer; compiled code only."""
    raise NotImplementedError("callable from Numba-compiled code only")


@overload(_part)
def _part_impl(a, lo, hi):
    if isinstance(a, numba.types.NoneType):
        return lambda a, lo, hi: None
    return lambda a, lo, hi: a[lo:hi]


def _chunk(n, c, chunks):
    """Bounds of chunk ``c`` of ``chunks`` over ``n`` elements, cut on 64-element multiples."""
    lo = (c * n // chunks) // 64 * 64
    hi = n if c == chunks - 1 else ((c + 1) * n // chunks) // 64 * 64
    return lo, hi


_bounds = numba.njit(inline="always")(_chunk)   # the same bounds in the compiled drivers


_PARALLEL_JIT = dict(cache=True, nogil=True, parallel=True)


@numba.njit(**_PARALLEL_JIT)
def _sgd_parallel(w, g, v, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _sgd_pass(w[lo:hi], g[lo:hi], _part(v, lo, hi), raw)


@numba.njit(**_PARALLEL_JIT)
def _adam_parallel(w, g, m, v, v_max, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _adam_pass(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], _part(v_max, lo, hi), raw)


@numba.njit(**_PARALLEL_JIT)
def _adagrad_parallel(w, g, s, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _adagrad_pass(w[lo:hi], g[lo:hi], s[lo:hi], raw)


@numba.njit(**_PARALLEL_JIT)
def _adadelta_parallel(w, g, v, u, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _adadelta_pass(w[lo:hi], g[lo:hi], v[lo:hi], u[lo:hi], raw)


@numba.njit(**_PARALLEL_JIT)
def _adamax_parallel(w, g, m, u, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _adamax_pass(w[lo:hi], g[lo:hi], m[lo:hi], u[lo:hi], raw)


@numba.njit(**_PARALLEL_JIT)
def _nadam_parallel(w, g, m, v, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _nadam_pass(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], raw)


@numba.njit(**_PARALLEL_JIT)
def _radam_parallel(w, g, m, v, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _radam_pass(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], raw)


@numba.njit(**_PARALLEL_JIT)
def _rmsprop_parallel(w, g, v, g_avg, b, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _rmsprop_pass(w[lo:hi], g[lo:hi], v[lo:hi], _part(g_avg, lo, hi), _part(b, lo, hi), raw)


@numba.njit(**_PARALLEL_JIT)
def _rprop_parallel(w, g, prev, eta, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _rprop_pass(w[lo:hi], g[lo:hi], prev[lo:hi], eta[lo:hi], raw)


@numba.njit(**_PARALLEL_JIT)
def _asgd_parallel(w, g, ax, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _asgd_pass(w[lo:hi], g[lo:hi], ax[lo:hi], raw)


@numba.njit(**_PARALLEL_JIT)
def _sparse_adam_parallel(w, g, m, v, raw, chunks):
    for c in numba.prange(chunks):
        lo, hi = _bounds(w.size, c, chunks)
        _sparse_adam_pass(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], raw)


# formula (as written in its algorithm's file) -> its fused pass
PASSES = {
    sgd_update: _sgd_pass, adam_update: _adam_pass, adagrad_update: _adagrad_pass,
    adadelta_update: _adadelta_pass, adamax_update: _adamax_pass, nadam_update: _nadam_pass,
    radam_update: _radam_pass, rmsprop_update: _rmsprop_pass, rprop_update: _rprop_pass,
    asgd_update: _asgd_pass, sparse_adam_update: _sparse_adam_pass,
}


# formula -> its pass over all threads
PARALLEL = {
    sgd_update: _sgd_parallel, adam_update: _adam_parallel, adagrad_update: _adagrad_parallel,
    adadelta_update: _adadelta_parallel, adamax_update: _adamax_parallel, nadam_update: _nadam_parallel,
    radam_update: _radam_parallel, rmsprop_update: _rmsprop_parallel, rprop_update: _rprop_parallel,
    asgd_update: _asgd_parallel, sparse_adam_update: _sparse_adam_parallel,
}


# --------------------------------------------------------------------------- threads
_MIN_PER_THREAD = 1 << 18
_pool = None


_NUMBA_THREADS = max(1, int(numba.config.NUMBA_NUM_THREADS))


def _threads() -> int:
    """``npgrad.get_num_threads()``, at most the threads Numba started with."""
    return min(get_num_threads(), _NUMBA_THREADS)


def _executor():
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, _threads() - 1), thread_name_prefix="npgrad-optim")
    return _pool


def run(formula, w, g, buffers, scalars) -> None:
    """Apply ``formula`` in place over flat contiguous arrays ``w``, ``g`` and ``buffers``.

    ``None`` in ``buffers`` means an absent optional buffer: the loop compiled
    for it reads the gradient in its place and skips its write.
    """
    run_all([(formula, w, g, buffers, scalars)])


def run_all(jobs) -> None:
    """Run many ``(formula, w, g, buffers, scalars)`` updates, in order for any one parameter.

    A large parameter (``2 * _MIN_PER_THREAD`` elements or more) runs on all threads at
    once: one contiguous chunk each, in one parallel region (:data:`PARALLEL`; on Numba's
    workqueue layer, through the thread pool). The small ones then go whole to the least
    loaded of the threads, handed over once; a parameter listed twice goes to the thread
    that has it already, which runs its list in order.
    Below ``2 * _MIN_PER_THREAD`` elements in all, they run in the calling thread.
    """
    threads = _threads()
    if threads == 1 or sum(job[1].size for job in jobs) < 2 * _MIN_PER_THREAD:
        for formula, w, g, buffers, scalars in jobs:
            PASSES[formula](w, g, *buffers, tuple(scalars))
        return
    work = [[] for _ in range(threads)]
    load = [0] * threads
    owner = {}  # address of a small parameter -> the thread that updates it
    regions = _regions()
    for formula, w, g, buffers, scalars in jobs:
        n = w.size
        if n >= 2 * _MIN_PER_THREAD and regions:
            PARALLEL[formula](w, g, *buffers, tuple(scalars), threads)
            continue
        if n >= 2 * _MIN_PER_THREAD:   # one chunk per thread of the pool
            for t in range(threads):
                lo, hi = _chunk(n, t, threads)
                work[t].append((PASSES[formula], [None if a is None else a[lo:hi] for a in [w, g] + list(buffers)],
                                tuple(scalars)))
                load[t] += hi - lo
            continue
        t = owner.setdefault(w.ctypes.data, load.index(min(load)))
        work[t].append((PASSES[formula], [w, g] + list(buffers), tuple(scalars)))
        load[t] += n
    if sum(load) < 2 * _MIN_PER_THREAD:
        for items in work:
            _run_list(items)
        return
    futures = [_executor().submit(_run_list, items) for items in work[1:] if items]
    _run_list(work[0])  # the calling thread takes the first share
    for future in futures:
        future.result()


_LAYER = []


def _regions() -> bool:
    """Whether large parameters run in parallel regions. Numba's OpenMP and TBB layers take regions launched
    from several threads at once; its fallback, the workqueue layer (when neither is installed), aborts the
    process on that, so there every chunk goes to the thread pool instead."""
    if not _LAYER:
        numba.get_num_threads()   # starts the threading layer
        _LAYER.append(numba.threading_layer())
    return _LAYER[0] != "workqueue"


def _run_list(items) -> None:
    for loop, arrays, scalars in items:
        loop(*arrays, scalars)


# --------------------------------------------------------------------------- cache freshness
def _flush_stale_cache() -> None:
    """Drop the compiled loops from Numba's cache when a formula's source changed."""
    try:
        sources = "".join(inspect.getsource(f) for f in PASSES)
        sources += inspect.getsource(_elementwise)
        digest = hashlib.sha256(sources.encode()).hexdigest()
        cache_path = _sgd_pass._cache._cache_path
        stamp = os.path.join(cache_path, "optim_formulas.sha256")
        if os.path.exists(stamp):
            with open(stamp) as f:
                if f.read() == digest:
                    return
        for loop in list(PASSES.values()) + list(PARALLEL.values()):   # the parallel ones hold a pass inlined
            loop._cache.flush()
        os.makedirs(cache_path, exist_ok=True)
        with open(stamp, "w") as f:
            f.write(digest)
    except (AttributeError, OSError, TypeError):  # no sources or no cache: Numba's own checks stand
        pass


_flush_stale_cache()
