"""Activation functions, forward+backward: npgrad against torch in one process.

Each case is ``y = f(x); y.sum().backward()`` on an ``x`` of shape (4096, 256) that requires grad
(``--upstream tensor``: ``y.backward(g)`` with a given gradient instead of the sum, which leaves out the
reduction and its broadcast gradient). torch runs with npgrad's thread count (``--threads`` to choose
another). The two libraries take turns, ``--rounds`` times ``--calls`` calls each after one untimed
call; the figures are the fastest call and the median call of each (the fastest is the one least
disturbed by whatever else the machine runs), the ratio is npgrad's fastest over torch's.

    PYTHONPATH=src python benchmarks/bench_activations.py [--dtype float64] [--threads 1]
"""
import argparse
import time

import numpy as np
import torch

import npgrad

ACTIVATIONS = ["elu", "selu", "celu", "softplus", "hardswish", "hardsigmoid", "hardtanh", "relu6", "gelu",
               "gelu_tanh", "silu", "mish", "softsign", "tanhshrink", "logsigmoid", "softshrink", "hardshrink",
               "relu", "leaky_relu"]


def make_cases(lib, dtype, upstream):
    """name -> step; each step runs one forward and backward on its own tensors."""
    F = lib.nn.functional
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4096, 256)).astype(dtype)
    grad = lib.tensor(rng.standard_normal((4096, 256)).astype(dtype))
    cases = {}
    for name in ACTIVATIONS:
        fn = (lambda t: F.gelu(t, approximate="tanh")) if name == "gelu_tanh" else getattr(F, name)
        x = lib.tensor(data, requires_grad=True)

        def step(fn=fn, x=x):
            y = fn(x)
            if upstream == "sum":
                y.sum().backward()
            else:
                y.backward(grad)
        cases[name] = step
    return cases


def call_times(steps, rounds, calls):
    """Seconds per call of each step: the steps take turns, ``calls`` calls at a time."""
    times = [[] for _ in steps]
    for _ in range(rounds):
        for step, kept in zip(steps, times):
            step()  # untimed: warm-up (the first call compiles npgrad's kernels)
            for _ in range(calls):
                start = time.perf_counter()
                step()
                kept.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--upstream", choices=["sum", "tensor"], default="sum")
    parser.add_argument("--threads", type=int, default=None, help="torch's threads (default: npgrad's)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads or npgrad.get_num_threads())
    print(f"activations (4096, 256) {args.dtype}, forward + {args.upstream}-backward, torch with "
          f"{torch.get_num_threads()} threads, {args.rounds * args.calls} calls each: fastest (median) ms")
    ours, theirs = make_cases(npgrad, args.dtype, args.upstream), make_cases(torch, args.dtype, args.upstream)
    for name in ours:
        t_np, t_pt = call_times([ours[name], theirs[name]], args.rounds, args.calls)
        best_np, best_pt = min(t_np), min(t_pt)
        print(f"  {name:12s} torch {1e3 * best_pt:6.2f} ({1e3 * np.median(t_pt):6.2f})   npgrad {1e3 * best_np:6.2f} "
              f"({1e3 * np.median(t_np):6.2f})   ratio {best_np / best_pt:5.2f}")


if __name__ == "__main__":
    main()
