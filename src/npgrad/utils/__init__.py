"""``npgrad.utils``: ``npgrad.utils.data`` mirrors ``torch.utils.data``."""
from . import data  # noqa: F401
