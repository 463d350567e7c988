"""``set_num_threads``/``get_num_threads`` as PyTorch's: the count set is the count read back, bad counts get
PyTorch's errors, and one thread means one thread for npgrad's own kernels and for OpenBLAS."""
from __future__ import annotations

import numpy as np
import pytest

import npgrad
from npgrad import functions
from oracle import Golden, torch

golden = Golden("num_threads")


@pytest.fixture
def restore_threads():
    """Put every thread count back as it was before the test."""
    from npgrad.kernels.conv import _openblas

    lib = _openblas()
    blas = lib.scipy_openblas_get_num_threads64_() if lib is not None else None
    saved = list(functions._num_threads)
    torch_threads = torch.get_num_threads() if torch is not None else None
    yield
    functions._num_threads[:] = saved
    import numba

    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    if lib is not None:
        lib.scipy_openblas_set_num_threads64_(blas)
    if torch_threads is not None:
        torch.set_num_threads(torch_threads)


def _calls(L):
    out = []
    for n in (1, 3, 8, 0, -2, 2.5, "2", None):
        try:
            L.set_num_threads(n)
            out.append(f"{n!r} -> {L.get_num_threads()}")
        except Exception as e:  # noqa: BLE001  (the error is the result)
            out.append(f"{n!r} -> {type(e).__name__}: {e}")
    return out


def test_set_and_get_as_torch(restore_threads):
    expected = golden.json("calls", lambda: _calls(torch))
    assert _calls(npgrad) == expected


def test_default_is_the_usable_cpus(restore_threads):
    import os

    functions._num_threads.clear()   # as before any set_num_threads
    assert npgrad.get_num_threads() == len(os.sched_getaffinity(0))


def test_one_thread_runs_every_kernel_in_the_calling_thread(restore_threads, monkeypatch):
    """After set_num_threads(1): the optimizer's large and small updates, a convolution's split products and
    OpenBLAS all stay on one thread, and the results are those of the threaded run."""
    from npgrad.kernels import conv as conv_kernels
    from npgrad.kernels import optim as optim_kernels
    from npgrad.kernels.conv import _openblas

    def run(threads):
        npgrad.set_num_threads(threads)
        npgrad.manual_seed(0)
        big = npgrad.nn.Parameter(npgrad.randn(2 * optim_kernels._MIN_PER_THREAD + 3))
        small = [npgrad.nn.Parameter(npgrad.randn(300_000)) for _ in range(2)]
        for p in [big] + small:
            p.grad = npgrad.randn(p.shape)
        opt = npgrad.optim.AdamW([big] + small, lr=0.01)
        for _ in range(2):
            opt.step()
        conv = npgrad.nn.Conv2d(32, 32, 3, padding=1)   # Winograd, its tiles split between two threads
        x = npgrad.randn(16, 32, 32, 32, requires_grad=True)
        y = conv(x)
        y.square().sum().backward()
        return [big.detach().numpy().copy()] + [p.detach().numpy().copy() for p in small] + \
               [y.detach().numpy(), x.grad.numpy(), conv.weight.grad.numpy()]

    threaded = run(2)
    handed = []
    for module, name in ((optim_kernels, "_executor"), (conv_kernels, "_pool")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda original=original, name=name: handed.append(name) or original())
    parallel = {f: (lambda *a, run=run: handed.append("region") or run(*a))
                for f, run in optim_kernels.PARALLEL.items()}
    monkeypatch.setattr(optim_kernels, "PARALLEL", parallel)
    single = run(1)
    assert handed == []
    lib = _openblas()
    if lib is not None:
        assert lib.scipy_openblas_get_num_threads64_() == 1
    for a, b in zip(threaded, single):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # and the threaded run does use the threads
    handed.clear()
    run(2)
    assert {"region", "_executor", "_pool"} <= set(handed)
