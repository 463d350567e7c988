"""``torch.nn.modules.linear_cross_entropy_options``: :class:`LinearCrossEntropyOptions`, the chunking options
of :func:`npgrad.nn.functional.linear_cross_entropy`."""
from ..functional.loss import LinearCrossEntropyOptions

__all__ = ["LinearCrossEntropyOptions"]
