"""Regenerate the golden values in tests/golden/ from PyTorch.

Run with torch installed::

    python tests/make_golden.py            # the whole suite
    python tests/make_golden.py tests/nn   # one part

Every test that asks ``Golden(...)`` for a reference records torch's value; the
files are then what a checkout without torch checks against.
"""
import os
import subprocess
import sys
import pathlib

if __name__ == "__main__":
    import torch  # noqa: F401  (fail early: golden values come from torch)

    here = pathlib.Path(__file__).parent
    args = sys.argv[1:] or [str(here)]
    env = dict(os.environ, NPGRAD_WRITE_GOLDEN="1")
    env.pop("NPGRAD_GOLDEN_ONLY", None)
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], env=env))
