"""``torch.backends.mkl``: npgrad does not call Intel MKL itself (NumPy's BLAS does the products)."""
__all__ = ["is_available", "verbose", "VERBOSE_OFF", "VERBOSE_ON"]

VERBOSE_OFF = 0
VERBOSE_ON = 1


def is_available() -> bool:
    """Whether npgrad uses MKL: ``False``."""
    return False


class verbose:
    """On-demand MKL verbose output: nothing to print, npgrad does not call MKL."""

    def __init__(self, enable):
        self.enable = enable

    def __enter__(self):
        return None if self.enable == VERBOSE_OFF else self

    def __exit__(self, exc_type, exc_val, exc_tb):
        return False
