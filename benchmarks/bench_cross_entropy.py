"""Cross-entropy forward + backward on 4096 x 32768 float32 logits: npgrad against torch.

Both run in this process on the same data, alternating, best of ``--repeat``;
the ratio is npgrad's time over torch's (goal: at most 0.2).

    PYTHONPATH=src python benchmarks/bench_cross_entropy.py [--rows 4096] [--classes 32768]
"""
import argparse
import time

import numpy as np
import torch

import npgrad
import npgrad.nn.functional as F
from npgrad.kernels.cross_entropy import cross_entropy_forward_backward


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--classes", type=int, default=32768)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    args = parser.parse_args()
    threads = npgrad.get_num_threads()
    torch.set_num_threads(threads)

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((args.rows, args.classes), dtype=np.float32)
    target = rng.integers(0, args.classes, args.rows)
    ls = args.label_smoothing

    x_np = npgrad.tensor(logits, requires_grad=True)
    y_np = npgrad.tensor(target)
    x_pt = torch.tensor(logits, requires_grad=True)
    y_pt = torch.tensor(target)

    def run_npgrad():
        x_np.grad = None
        F.cross_entropy(x_np, y_np, label_smoothing=ls).backward()

    def run_torch():
        x_pt.grad = None
        torch.nn.functional.cross_entropy(x_pt, y_pt, label_smoothing=ls).backward()

    def run_kernel():
        cross_entropy_forward_backward(logits, target, label_smoothing=ls)

    # warm up (Numba compilation / cache load, allocator)
    run_npgrad(), run_torch(), run_kernel()
    np.testing.assert_allclose(x_np.grad.numpy(), x_pt.grad.numpy(), rtol=1e-3, atol=1e-9)

    times = {"npgrad": [], "torch": [], "kernel": []}
    for _ in range(args.repeat):
        times["npgrad"].append(timed(run_npgrad, 1))
        times["torch"].append(timed(run_torch, 1))
        times["kernel"].append(timed(run_kernel, 1))
    t_np, t_pt, t_k = min(times["npgrad"]), min(times["torch"]), min(times["kernel"])
    print(f"cross_entropy fwd+bwd, {args.rows} x {args.classes} float32, label_smoothing={ls}, "
          f"{threads} threads")
    print(f"  torch                       {t_pt * 1e3:8.1f} ms")
    print(f"  npgrad (loss.backward())    {t_np * 1e3:8.1f} ms   ratio {t_np / t_pt:.3f}")
    print(f"  npgrad kernel alone         {t_k * 1e3:8.1f} ms   ratio {t_k / t_pt:.3f}")


if __name__ == "__main__":
    main()
