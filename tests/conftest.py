import os
import sys

sys.path.insert(0, os.path.dirname(__file__))  # tests/oracle.py and tests/harness.py

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
