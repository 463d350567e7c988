"""One training step of a small MLP (forward, cross-entropy, backward, AdamW): npgrad against torch.

The model is the one `npgrad train` builds by default for 64 features (64-128-64-10 with
ReLU); both libraries start from the same seed-free setup, run 20 warm-up steps, then the
best of 5 runs of ``--steps`` steps is kept, for each batch size, alternating libraries.
Small batches measure the per-op bookkeeping of the two autograd engines; large ones
their matrix products.

    PYTHONPATH=src python benchmarks/bench_mlp_step.py [--batches 64 512 4096] [--steps 200]
"""
import argparse
import time

import torch

import npgrad


def step_time(lib, batch, steps):
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = lib.optim.AdamW(model.parameters(), lr=1e-3)
    x, t = lib.randn(batch, 64), lib.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), t)
        loss.backward()
        opt.step()

    for _ in range(20):
        step()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 512, 4096])
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(npgrad.get_num_threads())
    print(f"MLP 64-128-64-10 training step (AdamW, cross-entropy), float32, {torch.get_num_threads()} threads")
    for batch in args.batches:
        steps = max(10, args.steps * 64 // batch)
        t_np = step_time(npgrad, batch, steps)
        t_pt = step_time(torch, batch, steps)
        print(f"  batch {batch:5d}: torch {1e6 * t_pt:8.0f} us   npgrad {1e6 * t_np:8.0f} us   "
              f"ratio {t_np / t_pt:.2f}")


if __name__ == "__main__":
    main()
