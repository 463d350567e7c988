"""npgrad.nn.GRU against torch.nn.GRU: forward + backward, side by side in one process.

Configuration from the issue: batch 64, sequence 100, input 64, hidden 128,
bidirectional, 2 layers, float32.  Both models hold the same weights; the
outputs are checked to agree before timing.  Prints the median times and the
ratio npgrad / torch (below 1.0 means npgrad is faster).

    PYTHONPATH=src python benchmarks/bench_gru.py [--repeats 10] [--backend numba|numpy]
"""
import argparse
import statistics
import time

import numpy as np
import torch

import npgrad
from npgrad.nn.functional.rnn import RecurrentSequence


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seq", type=int, default=100)
    parser.add_argument("--input", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--backend", default="numba", choices=["numba", "numpy"])
    args = parser.parse_args()
    RecurrentSequence.backend = args.backend

    torch.manual_seed(0)
    t_model = torch.nn.GRU(args.input, args.hidden, num_layers=args.layers, bidirectional=True)
    n_model = npgrad.nn.GRU(args.input, args.hidden, num_layers=args.layers, bidirectional=True)
    n_model.load_state_dict({k: npgrad.from_numpy(v.detach().numpy().copy())
                             for k, v in t_model.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.seq, args.batch, args.input)).astype(np.float32)
    g = rng.standard_normal((args.seq, args.batch, 2 * args.hidden)).astype(np.float32)

    def run_torch():
        xt = torch.from_numpy(x).requires_grad_()
        out, h = t_model(xt)
        ((out * torch.from_numpy(g)).sum() + h.sum()).backward()
        return out

    def run_npgrad():
        xt = npgrad.from_numpy(x).requires_grad_()
        out, h = n_model(xt)
        ((out * npgrad.from_numpy(g)).sum() + h.sum()).backward()
        return out

    diff = np.abs(run_torch().detach().numpy() - run_npgrad().detach().numpy()).max()
    assert diff < 1e-4, f"outputs differ by {diff}"
    times = {"torch": [], "npgrad": []}
    for _ in range(args.repeats):            # interleaved, so both see the same machine load
        for name, fn in (("torch", run_torch), ("npgrad", run_npgrad)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    t_med, n_med = statistics.median(times["torch"]), statistics.median(times["npgrad"])
    print(f"GRU forward+backward: batch {args.batch}, seq {args.seq}, input {args.input}, "
          f"hidden {args.hidden}, {args.layers} layers, bidirectional, float32, "
          f"torch threads {torch.get_num_threads()}, gate kernels {args.backend}")
    print(f"  torch  {t_med * 1e3:8.1f} ms (median of {args.repeats})")
    print(f"  npgrad {n_med * 1e3:8.1f} ms (median of {args.repeats})")
    print(f"  ratio npgrad / torch = {n_med / t_med:.2f}x")


if __name__ == "__main__":
    main()
