"""``torch.backends.openmp``: npgrad does not run OpenMP-parallel kernels."""


def is_available() -> bool:
    """Whether npgrad's kernels use OpenMP: ``False``."""
    return False
