"""``torch.version``: npgrad's version, and no CUDA or ROCm build (scripts test ``version.cuda is None``)."""
from . import __version__

cuda = None
hip = None
rocm = None
xpu = None
debug = False
git_version = None

__all__ = ["__version__", "cuda", "hip", "rocm", "xpu", "debug", "git_version"]
