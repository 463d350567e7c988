"""``import npgrad`` stays light: it loads neither torch nor Numba (timing: benchmarks/bench_import.py)."""
import subprocess
import sys


def test_import_does_not_load_torch_or_numba():
    code = ("import sys; import npgrad; assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'numba' not in sys.modules, 'numba imported at import time'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_subpackages_import_without_torch():
    code = ("import sys; import npgrad, npgrad.nn, npgrad.optim, npgrad.nn.functional; "
            "assert 'torch' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
