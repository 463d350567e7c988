"""Time ``import npgrad`` (fresh interpreter each time) next to ``import torch``.

    python benchmarks/bench_import.py
"""
import statistics
import subprocess
import sys

CODE = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"


def measure(module, repeats=5):
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", CODE.format(m=module)], capture_output=True, text=True,
                             check=True)
        times.append(float(out.stdout))
    return statistics.median(times)


if __name__ == "__main__":
    ours = measure("npgrad")
    print(f"import npgrad: {ours * 1000:.0f} ms")
    try:
        theirs = measure("torch")
        print(f"import torch:  {theirs * 1000:.0f} ms   ratio npgrad/torch = {ours / theirs:.2f}x")
    except subprocess.CalledProcessError:
        print("torch not installed")
