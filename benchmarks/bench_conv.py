"""Convolutions, forward and forward+backward: npgrad against torch in one process, float32.

Cases: the two convolutions of a small MNIST-style CNN (batch 64, 1->32->64 channels, 28x28, 3x3,
padding 1) alone and chained with ReLU, a strided transposed convolution (a decoder's upsampling)
and a 1-d convolution over sequences. torch runs with npgrad's thread count. The two libraries take
turns, ``--rounds`` times ``--calls`` calls each after one untimed call (their thread pools keep
spinning for a moment after a call, which would slow down the other library on alternate calls); the
figures are the fastest call and the median call of each (the fastest is the one least disturbed by
whatever else the machine runs).

    PYTHONPATH=src python benchmarks/bench_conv.py [--rounds 3] [--calls 10]
"""
import argparse
import time

import numpy as np
import torch

import npgrad


def make_cases(lib):
    """name -> (setup, step); ``setup`` builds the tensors once, ``step`` runs on them."""
    F = lib.nn.functional
    rng = np.random.default_rng(0)

    def tensor(*shape, grad=True):
        return lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad)

    def layer(batch, c_in, c_out, size, k, fn, backward, **kw):
        x, w, b = tensor(batch, c_in, *size), tensor(c_out, c_in, *k), tensor(c_out)
        if fn is F.conv_transpose2d:
            w = tensor(c_in, c_out, *k)

        def step():
            y = fn(x, w, b, **kw)
            if backward:
                y.sum().backward()
        return step

    def cnn(backward):
        x = tensor(64, 1, 28, 28, grad=False)
        w1, b1, w2, b2 = tensor(32, 1, 3, 3), tensor(32), tensor(64, 32, 3, 3), tensor(64)

        def step():
            h = F.relu(F.conv2d(x, w1, b1, padding=1))
            y = F.relu(F.conv2d(h, w2, b2, padding=1))
            if backward:
                y.sum().backward()
        return step

    cases = {}
    for backward in (False, True):
        tag = "fwd+bwd" if backward else "fwd"
        cases[f"conv2d 1->32, 64x28x28, 3x3      {tag}"] = layer(64, 1, 32, (28, 28), (3, 3), F.conv2d, backward,
                                                                 padding=1)
        cases[f"conv2d 32->64, 64x28x28, 3x3     {tag}"] = layer(64, 32, 64, (28, 28), (3, 3), F.conv2d, backward,
                                                                 padding=1)
        cases[f"CNN conv-relu-conv-relu          {tag}"] = cnn(backward)
        cases[f"conv_transpose2d 64->32, s2, 14  {tag}"] = layer(64, 64, 32, (14, 14), (4, 4), F.conv_transpose2d,
                                                                 backward, stride=2, padding=1)
        cases[f"conv1d 64->64, 32x512, k5        {tag}"] = layer(32, 64, 64, (512,), (5,), F.conv1d, backward,
                                                                 padding=2)
    return cases


def call_times(steps, rounds, calls):
    """Seconds per call of each step: the steps take turns, ``calls`` calls at a time."""
    times = [[] for _ in steps]
    for _ in range(rounds):
        for step, kept in zip(steps, times):
            step()  # untimed: warm-up, and the other library's threads settle
            for _ in range(calls):
                start = time.perf_counter()
                step()
                kept.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(npgrad.get_num_threads())
    print(f"convolutions, float32, {torch.get_num_threads()} threads, {args.rounds * args.calls} calls each: "
          "fastest (median) ms")
    ours, theirs = make_cases(npgrad), make_cases(torch)
    for name in ours:
        t_np, t_pt = call_times([ours[name], theirs[name]], args.rounds, args.calls)
        best_np, best_pt = min(t_np), min(t_pt)
        print(f"  {name}: torch {1e3 * best_pt:6.2f} ({1e3 * np.median(t_pt):6.2f})   npgrad {1e3 * best_np:6.2f} "
              f"({1e3 * np.median(t_np):6.2f})   ratio {best_np / best_pt:5.2f}")


if __name__ == "__main__":
    main()
