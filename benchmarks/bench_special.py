"""Special functions and triangular solves / LU: npgrad against torch in one process.

The special functions (erfinv, erfc, lgamma, digamma, i0, igamma) run on 1M elements, forward alone and
forward + backward (``y.backward(g)`` with a given gradient; igamma's gradient is in ``x``); the linear
algebra (solve_triangular, lu_factor, lu_solve with as many right-hand sides as rows, and with one) on a
stack of 64 matrices 64x64 and on one 256x256 matrix. torch runs with npgrad's thread count (``--threads``
to choose another). The two libraries take turns, ``--rounds`` times ``--calls`` calls each after one
untimed call; the figures are the fastest call and the median call of each, the ratio is npgrad's fastest
over torch's.

    PYTHONPATH=src python benchmarks/bench_special.py [--dtype float64] [--threads 1] [--only linalg]
"""
import argparse

import numpy as np
import torch
from bench_activations import call_times   # the steps take turns, calls at a time

import npgrad

N = 1_000_000
SPECIAL = {
    # name: (the function of (lib, x, a), x from a random generator; a is igamma's first argument)
    "erfinv": (lambda L, x, a: L.erfinv(x), lambda r: r.uniform(-1, 1, N)),
    "erfc": (lambda L, x, a: L.erfc(x), lambda r: r.uniform(-4, 10, N)),
    "lgamma": (lambda L, x, a: L.lgamma(x), lambda r: r.uniform(-10, 30, N)),
    "digamma": (lambda L, x, a: L.digamma(x), lambda r: r.uniform(-10, 30, N)),
    "i0": (lambda L, x, a: L.i0(x), lambda r: r.uniform(-30, 30, N)),
    "igamma": (lambda L, x, a: L.igamma(a, x), lambda r: r.uniform(0.01, 30, N)),
}
def special_cases(lib, dtype):
    """(name, mode) -> step; each step runs its function on its own tensors."""
    rng = np.random.default_rng(0)
    cases = {}
    for name, (fn, make) in SPECIAL.items():
        data = make(rng).astype(dtype)
        a = lib.tensor(rng.uniform(0.01, 30, N).astype(dtype))
        grad = lib.tensor(rng.standard_normal(N).astype(dtype))
        x = lib.tensor(data)
        xg = lib.tensor(data, requires_grad=True)

        def forward(fn=fn, x=x, a=a):
            fn(lib, x, a)

        def backward(fn=fn, x=xg, a=a, grad=grad):
            fn(lib, x, a).backward(grad)
            x.grad = None
        cases[name, "forward"] = forward
        cases[name, "forward+backward"] = backward
    return cases


def linalg_cases(lib, dtype):
    """(name, shape) -> step."""
    rng = np.random.default_rng(1)
    cases = {}
    for shape in [(64, 64, 64), (256, 256)]:
        n = shape[-1]
        A = lib.tensor((np.triu(rng.standard_normal(shape)) / n + 2 * np.eye(n)).astype(dtype))
        M = lib.tensor((rng.standard_normal(shape) + 3 * np.eye(n)).astype(dtype))
        LU, pivots = lib.linalg.lu_factor(M)
        for rhs in (n, 1):
            B = lib.tensor(rng.standard_normal(shape[:-1] + (rhs,)).astype(dtype))
            label = f"{'x'.join(map(str, shape))}, {rhs} rhs"
            cases["solve_triangular", label] = lambda A=A, B=B: lib.linalg.solve_triangular(A, B, upper=True)
            cases["lu_solve", label] = lambda B=B, LU=LU, pivots=pivots: lib.linalg.lu_solve(LU, pivots, B)
        cases["lu_factor", "x".join(map(str, shape))] = lambda M=M: lib.linalg.lu_factor(M)
    return cases


def report(title, ours, theirs, rounds, calls):
    print(title)
    for key in ours:
        t_np, t_pt = call_times([ours[key], theirs[key]], rounds, calls)
        best_np, best_pt = min(t_np), min(t_pt)
        print(f"  {key[0]:17s} {key[1]:22s} torch {1e3 * best_pt:8.3f} ({1e3 * np.median(t_pt):8.3f})   "
              f"npgrad {1e3 * best_np:8.3f} ({1e3 * np.median(t_np):8.3f})   ratio {best_np / best_pt:5.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--threads", type=int, default=None, help="torch's threads (default: npgrad's)")
    parser.add_argument("--only", choices=["special", "linalg"], default=None)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads or npgrad.get_num_threads())
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    for dtype in dtypes:
        head = f"{dtype}, torch with {torch.get_num_threads()} threads, {args.rounds * args.calls} calls each: " \
               "fastest (median) ms"
        if args.only != "linalg":
            report(f"special functions on {N} elements, {head}", special_cases(npgrad, dtype),
                   special_cases(torch, dtype), args.rounds, args.calls)
        if args.only != "special":
            report(f"triangular solve and LU, {head}", linalg_cases(npgrad, dtype), linalg_cases(torch, dtype),
                   args.rounds, 3 * args.calls)


if __name__ == "__main__":
    main()
