"""``npgrad.utils``: ``npgrad.utils.data`` mirrors ``torch.utils.data``."""
from . import data  # noqa: F401
from . import checkpoint, hooks  # noqa: F401
