"""``torch.nn.modules.conv``: the convolution layers and their bases ``_ConvNd`` and ``_ConvTransposeNd``."""
import warnings

from ..layers.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, LazyConv1d,
                           LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d,
                           _ConvNd, _ConvTransposeNd, _LazyConvXdMixin)
from ...tensor import check_device

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"]
# the private names scripts import or subclass are exported too
__all__ += ["_ConvNd", "_LazyConvXdMixin"]


class _ConvTransposeMixin(_ConvTransposeNd):
    """PyTorch's deprecated internal base of transposed convolutions, kept for old subclasses.

    It takes ``_ConvNd``'s arguments (``in_channels, out_channels, kernel_size, stride, padding,
    dilation, transposed, output_padding, groups, bias, padding_mode``), as in PyTorch.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding,
                 groups, bias, padding_mode, device=None, dtype=None):
        check_device(device)
        warnings.warn("`_ConvTransposeMixin` is a deprecated internal class. Please consider using public APIs.",
                      FutureWarning, stacklevel=2)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                         output_padding, groups, bias, padding_mode, device, dtype)
