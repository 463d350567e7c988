"""Linear cross-entropy (8192 rows x 1024 hidden x 32768 classes, float32): npgrad against torch.

torch runs its chunked ``F.linear_cross_entropy`` (``options=LinearCrossEntropyOptions()``);
npgrad runs ``F.linear_cross_entropy`` (always chunked).  Both compute the loss and the
gradients of the input and the weight, in this process, alternating, best of
``--repeat``.  It also times the three matrix products alone (logits, input
gradient, weight gradient, chunk by chunk through the same BLAS), which any exact
float32 implementation must do: their time over torch's is the floor of the ratio
on this machine.  Peak memory is the largest resident-set growth seen during the call
(sampled every millisecond from /proc/self/statm) beyond the inputs and the gradient
buffers both must return, smallest over the repeats (the first call also pays one-time
BLAS workspaces).  Goal: time ratio at most 0.5, no more memory than torch.

    PYTHONPATH=src python benchmarks/bench_linear_cross_entropy.py [--rows 8192] [--hidden 1024] [--classes 32768]
"""
import argparse
import gc
import os
import threading
import time

import numpy as np
import torch

import npgrad
import npgrad.nn as nn
import npgrad.nn.functional as F

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def measure(fn, reset):
    """(seconds, peak resident-set growth in bytes) of one call of ``fn``, after ``reset()``."""
    reset()
    gc.collect()
    base = rss()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], rss())
    return elapsed, peak[0] - base


def matmuls_alone(x, w, chunk):
    """Seconds for the three matrix products of the chunked computation, nothing else."""
    from npgrad.kernels.cross_entropy import accumulate_at_b

    z = np.empty((chunk, w.shape[0]), x.dtype)
    gx, gw = np.empty_like(x), np.zeros_like(w)
    start = time.perf_counter()
    for r0 in range(0, x.shape[0], chunk):
        x_chunk = x[r0:r0 + chunk]
        np.matmul(x_chunk, w.T, out=z[:len(x_chunk)])
        np.matmul(z[:len(x_chunk)], w, out=gx[r0:r0 + chunk])
        accumulate_at_b(gw, z[:len(x_chunk)], x_chunk)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8192)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--classes", type=int, default=32768)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    threads = npgrad.get_num_threads()
    torch.set_num_threads(threads)
    n, h, c = args.rows, args.hidden, args.classes

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h), dtype=np.float32)
    w = (0.02 * rng.standard_normal((c, h))).astype(np.float32)
    target = rng.integers(0, c, n)

    x_np, w_np, y_np = npgrad.tensor(x, requires_grad=True), npgrad.tensor(w, requires_grad=True), npgrad.tensor(target)
    x_pt, w_pt, y_pt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True), torch.tensor(target)
    # the gradient buffers are part of the result, not of the peak: allocate them up front
    x_pt.grad, w_pt.grad = torch.zeros_like(x_pt), torch.zeros_like(w_pt)
    options = torch.nn.LinearCrossEntropyOptions()

    def reset_npgrad():
        x_np.grad = w_np.grad = None

    def run_npgrad():
        F.linear_cross_entropy(x_np, w_np, y_np).backward()

    def reset_torch():
        x_pt.grad.zero_()
        w_pt.grad.zero_()

    def run_torch():
        torch.nn.functional.linear_cross_entropy(x_pt, w_pt, y_pt, options=options).backward()

    results = {"npgrad": [], "torch": []}
    for i in range(args.repeat):
        results["npgrad"].append(measure(run_npgrad, reset_npgrad))
        results["torch"].append(measure(run_torch, reset_torch))
        if i == 0:
            np.testing.assert_allclose(w_np.grad.numpy(), w_pt.grad.numpy(), rtol=2e-2, atol=1e-7)
    t_mm = min(matmuls_alone(x, w, nn.functional.loss._chunk_rows(n, h, c, None)) for _ in range(args.repeat))
    t_np = min(t for t, _ in results["npgrad"])
    t_pt = min(t for t, _ in results["torch"])
    # npgrad allocates its two gradients during the call; count only what lies beyond them.
    # The first call of each also pays one-time buffers (BLAS workspaces): keep the smallest.
    grads = x.nbytes + w.nbytes
    m_np = min(m for _, m in results["npgrad"]) - grads
    m_pt = min(m for _, m in results["torch"])
    chunk = nn.functional.loss._chunk_rows(n, h, c, None)
    print(f"linear_cross_entropy fwd+bwd, {n} rows x {h} hidden x {c} classes float32, {threads} threads")
    print(f"  one chunk of logits: {chunk} rows = {chunk * c * 4 / 2**20:.1f} MiB; "
          f"full logits would be {n * c * 4 / 2**20:.1f} MiB")
    print(f"  torch (chunked)  {t_pt:8.2f} s   peak extra memory {m_pt / 2**20:8.1f} MiB")
    print(f"  npgrad           {t_np:8.2f} s   peak extra memory {m_np / 2**20:8.1f} MiB")
    print(f"  the 3 matmuls    {t_mm:8.2f} s   ({6 * n * h * c / t_mm / 1e9:.0f} GFLOP/s)")
    print(f"  time ratio {t_np / t_pt:.3f}   memory ratio {m_np / max(m_pt, 1):.3f}   "
          f"floor (matmuls alone) {t_mm / t_pt:.3f}")


if __name__ == "__main__":
    main()
