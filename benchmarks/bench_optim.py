"""One optimizer step on 25M float32 parameters: npgrad against torch, side by side, in one process.

For every optimizer, torch runs in its fastest CPU mode (``fused=True`` where
torch has a fused CPU kernel, else ``foreach=True`` where it has one, else its
plain loop) and npgrad in its default mode (the fused Numba pass). Both start
from the same weights and gradients; the printed time is the median of
``--repeat`` steps after two warm-up steps (the first allocates the state),
torch's and npgrad's steps alternating (each going first in half of the pairs)
so that both see the same load (Muon: one warm-up and one timed step, as
torch's CPU bfloat16 matmuls take minutes).

The memory floor of AdamW: each step reads the parameter, gradient and both
moments and writes the parameter and both moments back, 7 x 4 = 28 bytes per
float32 parameter. The machine's copy bandwidth is measured with
``numpy.copyto`` and with torch's multi-threaded ``copy_`` on a 25M-float array
(bytes read + bytes written, per second); the faster one sets the floor.
A copy also reads each destination line before writing it, so that floor is
pessimistic; the tighter one is measured too: a pass over four 25M-float arrays
that reads all four and writes three back with no arithmetic at all (the
traffic of a one-pass AdamW), split over the same threads. No AdamW can be
faster than that pass.

A second table times a small model's step, where the per-step bookkeeping
outweighs the arithmetic: the six tensors of a 64-128-64-10 MLP (17K
parameters), the best of five runs of 500 steps each (Muon: its three weight
matrices; SparseAdam is left out, as torch's needs sparse gradients).

Run::

    PYTHONPATH=src python benchmarks/bench_optim.py            # all optimizers, both tables
    PYTHONPATH=src python benchmarks/bench_optim.py AdamW SGD  # a few
    PYTHONPATH=src python benchmarks/bench_optim.py --small    # the small-model table only
"""
import argparse
import gc
import statistics
import time


import numba
import numpy as np
import torch

import npgrad

N_PARAMS = 25_000_000
N_TENSORS = 5

# optimizer -> (torch's fastest CPU options, shared hyper-parameters)
OPTIMIZERS = {
    "SGD": (dict(fused=True), dict(lr=0.01, momentum=0.9)),
    "Adam": (dict(fused=True), dict(lr=1e-3)),
    "AdamW": (dict(fused=True), dict(lr=1e-3, weight_decay=0.01)),
    "Adagrad": (dict(fused=True), dict(lr=0.01)),
    "Adadelta": (dict(foreach=True), dict()),
    "Adamax": (dict(foreach=True), dict(lr=2e-3)),
    "NAdam": (dict(foreach=True), dict(lr=2e-3)),
    "RAdam": (dict(foreach=True), dict(lr=1e-3)),
    "RMSprop": (dict(foreach=True), dict(lr=0.01)),
    "Rprop": (dict(foreach=True), dict(lr=0.01)),
    "ASGD": (dict(foreach=True), dict(lr=0.01)),
    "Adafactor": (dict(foreach=True), dict(lr=0.01)),
    "SparseAdam": (dict(), dict(lr=1e-3)),
    "LBFGS": (dict(), dict(lr=0.1, max_iter=1, history_size=5)),
    "Muon": (dict(), dict(lr=0.02)),
}


def shapes_for(name):
    if name == "Muon":  # 2-D only: 25 tall matrices
        return [(4096, 244)] * 25
    if name in ("Adafactor", "SparseAdam"):  # matrices (factored moments; embedding-like rows)
        return [(N_PARAMS // N_TENSORS // 1000, 1000)] * N_TENSORS
    return [(N_PARAMS // N_TENSORS,)] * N_TENSORS


def make_data(name, rng):
    shapes = shapes_for(name)
    weights = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    if name == "SparseAdam":  # 10% of the rows receive a gradient
        for g in grads:
            g[rng.random(g.shape[0]) > 0.1] = 0.0
    return weights, grads


def timed(step, repeat):
    step()
    step()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def torch_step(name, weights, grads):
    mode, options = OPTIMIZERS[name]
    params = [torch.from_numpy(w.copy()).requires_grad_() for w in weights]
    for p, g in zip(params, grads):
        p.grad = torch.from_numpy(g).to_sparse() if name == "SparseAdam" else torch.from_numpy(g.copy())
    opt = getattr(torch.optim, name)(params, **mode, **options)
    loss = torch.tensor(1.0)
    return lambda: opt.step(lambda: loss)


def npgrad_step(name, weights, grads):
    _, options = OPTIMIZERS[name]
    params = [npgrad.nn.Parameter(npgrad.from_numpy(w.copy())) for w in weights]
    for p, g in zip(params, grads):
        p.grad = npgrad.from_numpy(g.copy())
    opt = getattr(npgrad.optim, name)(params, **options)
    loss = npgrad.tensor(1.0)
    return lambda: opt.step(lambda: loss)


def interleaved(step_a, step_b, repeat, warmup=2):
    """Median times of two steps run alternately (so both see the same machine load)."""
    for _ in range(warmup):  # state allocation, compilation
        step_a()
        step_b()
    times_a, times_b = [], []
    for k in range(repeat):
        pairs = ((step_a, times_a), (step_b, times_b))
        for step, times in pairs if k % 2 == 0 else pairs[::-1]:  # each goes first half of the time
            time.sleep(0.05)  # let the other library's worker threads go idle (OpenMP spins after a region)
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    return statistics.median(times_a), statistics.median(times_b)


def copy_bandwidth(repeat=7):
    src = np.random.default_rng(0).standard_normal(N_PARAMS, dtype=np.float32)
    dst = np.empty_like(src)
    numpy_time = timed(lambda: np.copyto(dst, src), repeat)[1]
    t_src, t_dst = torch.from_numpy(src), torch.from_numpy(dst)
    torch_time = timed(lambda: t_dst.copy_(t_src), repeat)[1]
    moved = 2 * src.nbytes
    return moved / numpy_time, moved / torch_time


@numba.njit(nogil=True, error_model="numpy")
def _touch(p, g, m, v):
    for i in range(p.size):
        m[i] = m[i] + g[i]
        v[i] = v[i] + g[i]
        p[i] = p[i] + g[i]


@numba.njit(nogil=True, error_model="numpy", parallel=True)
def _touch_on_threads(p, g, m, v, chunks):
    """``_touch`` with one contiguous chunk per thread, as npgrad runs a large parameter's pass."""
    n = p.size
    for c in numba.prange(chunks):
        lo = (c * n // chunks) // 64 * 64
        hi = n if c == chunks - 1 else ((c + 1) * n // chunks) // 64 * 64
        _touch(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi])


def adamw_traffic_time(repeat):
    """Seconds for the AdamW memory traffic alone (read 4 arrays, write 3), on npgrad's threads."""
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(N_PARAMS, dtype=np.float32) for _ in range(4)]
    threads = npgrad.get_num_threads()
    _touch_on_threads(*arrays, threads)
    times = []
    for _ in range(repeat):
        time.sleep(0.05)
        t0 = time.perf_counter()
        _touch_on_threads(*arrays, threads)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


SMALL_SHAPES = [(128, 64), (128,), (64, 128), (64,), (10, 64), (10,)]


def small_model_step_times(name, weights, grads, runs=5, steps=500):
    """Best seconds per step of torch and npgrad over ``runs`` alternating runs of ``steps`` steps."""
    steps_of = [torch_step(name, weights, grads), npgrad_step(name, weights, grads)]
    best = [float("inf"), float("inf")]
    for step in steps_of:
        for _ in range(5):
            step()
    for _ in range(runs):
        for k, step in enumerate(steps_of):
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            best[k] = min(best[k], (time.perf_counter() - t0) / steps)
    return best


def small_model_table(names):
    print(f"\nsmall model: one step on the {len(SMALL_SHAPES)} tensors of a 64-128-64-10 MLP "
          f"({sum(int(np.prod(s)) for s in SMALL_SHAPES) / 1e3:.0f}K parameters), best of 5 x 500 steps")
    print(f"{'optimizer':<11} {'torch mode':<13} {'torch us':>9} {'npgrad us':>10} {'ratio':>7}")
    rng = np.random.default_rng(0)
    for name in names:
        if name == "SparseAdam":
            continue
        shapes = [s for s in SMALL_SHAPES if len(s) == 2] if name == "Muon" else SMALL_SHAPES
        weights = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
        grads = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
        t_torch, t_np = small_model_step_times(name, weights, grads)
        mode = ",".join(f"{k}=True" for k in OPTIMIZERS[name][0]) or "default"
        print(f"{name:<11} {mode:<13} {1e6 * t_torch:9.1f} {1e6 * t_np:10.1f} {t_np / t_torch:7.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", default=list(OPTIMIZERS))
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--small", action="store_true", help="only the small-model table")
    args = parser.parse_args()
    if args.small:
        small_model_table(args.names)
        return

    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}, "
          f"{N_PARAMS / 1e6:.0f}M float32 parameters in {N_TENSORS} tensors (Muon: 25 matrices)")
    bw_numpy, bw_torch = copy_bandwidth()
    bandwidth = max(bw_numpy, bw_torch)
    print(f"copy bandwidth (read + write): numpy.copyto {bw_numpy / 1e9:.1f} GB/s, "
          f"torch copy_ {bw_torch / 1e9:.1f} GB/s")
    print(f"{'optimizer':<11} {'torch mode':<13} {'torch ms':>9} {'npgrad ms':>10} {'ratio':>7}"
          f"   (median of {args.repeat}; ratio = npgrad / torch, < 1 is faster)")
    rng = np.random.default_rng(0)
    results = {}
    for name in args.names:
        weights, grads = make_data(name, rng)
        mode = ",".join(f"{k}=True" for k in OPTIMIZERS[name][0]) or "default"
        warmup, repeat = (1, 1) if name == "Muon" else (2, args.repeat)  # torch's bfloat16 matmuls: ~100 s a step
        t_torch, t_np = interleaved(torch_step(name, weights, grads), npgrad_step(name, weights, grads),
                                    repeat, warmup)
        results[name] = (t_torch, t_np)
        print(f"{name:<11} {mode:<13} {1e3 * t_torch:9.1f} {1e3 * t_np:10.1f} {t_np / t_torch:7.2f}")
        del weights, grads
        gc.collect()

    if "AdamW" in results:
        floor = 28 * N_PARAMS / bandwidth
        t_torch, t_np = results["AdamW"]
        print(f"AdamW floor (28 B/param at {bandwidth / 1e9:.1f} GB/s): {1e3 * floor:.1f} ms; "
              f"npgrad {t_np / floor:.2f}x the floor, torch fused {t_torch / floor:.2f}x the floor")
        traffic = adamw_traffic_time(args.repeat)
        print(f"AdamW traffic alone (read 4 arrays, write 3, no arithmetic): {1e3 * traffic:.1f} ms "
              f"({28 * N_PARAMS / traffic / 1e9:.1f} GB/s); npgrad {t_np / traffic:.2f}x it, "
              f"torch fused {t_torch / traffic:.2f}x it")
    small_model_table(args.names)


if __name__ == "__main__":
    main()
