"""Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d, their lazy variants, Fold and Unfold.

Thin shells over ``nn.functional``: a layer stores its configuration and its parameters (PyTorch's names,
shapes and initialisation) and calls ``F.conv2d`` & co. The padding modes other than ``'zeros'`` pad with
``F.pad`` first and convolve without padding, as PyTorch does.
"""
from __future__ import annotations

import math

from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import UninitializedParameter
from .lazy import LazyModuleMixin
from .linear import _param
from ..functional.basic import _ntuple, _single
from ...tensor import check_device

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """What every convolution layer shares: argument checks, parameters, initialisation and repr."""

    _dims = 0  # spatial dims, set by each layer

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        check_device(device)
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._pad_for_mode(padding, kernel_size, dilation)
        if transposed:
            self.weight = _param(in_channels, out_channels // groups, *kernel_size, dtype=dtype)
        else:
            self.weight = _param(out_channels, in_channels // groups, *kernel_size, dtype=dtype)
        if bias:
            self.bias = _param(out_channels, dtype=dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    @staticmethod
    def _pad_for_mode(padding, kernel_size, dilation):
        """``F.pad``'s argument (last dim first) for the non-zero padding modes; ``'same'`` puts the odd
        pixel of an even span on the high side."""
        if not isinstance(padding, str):
            return [p for p in reversed(padding) for _ in range(2)]
        pads = [0, 0] * len(kernel_size)
        if padding == "same":
            for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                total = d * (k - 1)
                pads[2 * i] = total // 2
                pads[2 * i + 1] = total - total // 2
        return pads

    def reset_parameters(self):
        r"""PyTorch's default: ``kaiming_uniform_(W, a=√5)``, i.e.
        :math:`W, b \sim U(\pm 1/\sqrt{\text{fan\_in}})` with ``fan_in = weight.shape[1] * prod(kernel_size)``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _has_bias(self):
        return self.bias is not None

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if not self._has_bias():
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class _Conv(_ConvNd):
    """A convolution over ``_dims`` spatial dims (``F.conv1d``, ``F.conv2d`` or ``F.conv3d``)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        check_device(device)
        ntuple = _ntuple(self._dims)
        super().__init__(in_channels, out_channels, ntuple(kernel_size), ntuple(stride),
                         padding if isinstance(padding, str) else ntuple(padding), ntuple(dilation), False,
                         ntuple(0), groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        conv = getattr(F, f"conv{self._dims}d")
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, _ntuple(self._dims)(0), self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    r"""1-d convolution over ``(N, C_in, L)`` or ``(C_in, L)``: :math:`y = b + W \star x` (cross-correlation).

    ``weight`` is ``(out_channels, in_channels / groups, k)``; ``padding`` an int, a tuple, ``'valid'`` or
    ``'same'``; ``padding_mode`` one of ``'zeros'``, ``'reflect'``, ``'replicate'``, ``'circular'``.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.Conv1d(16, 33, 3, stride=2)
        >>> m(npgrad.randn(20, 16, 50)).shape
        npgrad.Size([20, 33, 24])
    """

    _dims = 1


class Conv2d(_Conv):
    r"""2-d convolution over ``(N, C_in, H, W)`` or ``(C_in, H, W)``:

    .. math:: y[n, o] = b[o] + \sum_{c} W[o, c] \star x[n, c]

    with output size :math:`\lfloor (H + 2p - d(k - 1) - 1) / s \rfloor + 1` per dim.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.Conv2d(3, 8, 3, padding=1)
        >>> m(npgrad.randn(4, 3, 28, 28)).shape
        npgrad.Size([4, 8, 28, 28])
    """

    _dims = 2


class Conv3d(_Conv):
    r"""3-d convolution over ``(N, C_in, D, H, W)`` or ``(C_in, D, H, W)``.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.Conv3d(2, 4, (3, 3, 1))
        >>> m(npgrad.randn(1, 2, 5, 5, 5)).shape
        npgrad.Size([1, 4, 3, 3, 5])
    """

    _dims = 3


class _ConvTransposeNd(_ConvNd):
    """The base of transposed convolutions, with ``_ConvNd``'s arguments as in PyTorch (a subclass passes
    ``transposed=True`` and writes its own ``forward``, which ``_output_padding`` helps with)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding,
                 groups, bias, padding_mode, device=None, dtype=None):
        check_device(device)
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                         output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """``output_padding``, or the one that gives ``output_size`` (which must lie within one stride of the
        smallest output)."""
        if output_size is None:
            return _single(self.output_padding)
        has_batch_dim = input.dim() == num_spatial_dims + 2
        num_non_spatial_dims = 2 if has_batch_dim else 1
        if len(output_size) == num_non_spatial_dims + num_spatial_dims:
            output_size = output_size[num_non_spatial_dims:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have "
                             f"{num_spatial_dims} or {num_non_spatial_dims + num_spatial_dims} elements (got "
                             f"{len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            dim_size = ((input.size(d + num_non_spatial_dims) - 1) * stride[d] - 2 * padding[d]
                        + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            min_sizes.append(dim_size)
            max_sizes.append(min_sizes[d] + stride[d] - 1)
        for i in range(len(output_size)):
            if output_size[i] < min_sizes[i] or output_size[i] > max_sizes[i]:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of torch.Size({list(input.shape[2:])}))")
        return [output_size[d] - min_sizes[d] for d in range(num_spatial_dims)]


class _ConvTranspose(_ConvTransposeNd):
    """A transposed convolution over ``_dims`` spatial dims, with ConvTranspose's arguments; ``forward`` takes an
    optional ``output_size``."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        check_device(device)
        ntuple = _ntuple(self._dims)
        super().__init__(in_channels, out_channels, ntuple(kernel_size), ntuple(stride), ntuple(padding),
                         ntuple(dilation), True, ntuple(output_padding), groups, bias, padding_mode, device, dtype)

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for {self.__class__.__name__}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self._dims, self.dilation)
        conv_transpose = getattr(F, f"conv_transpose{self._dims}d")
        return conv_transpose(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                              self.dilation)


class ConvTranspose1d(_ConvTranspose):
    r"""1-d transposed convolution (the gradient of :class:`Conv1d` with respect to its input), output length
    :math:`(L - 1)s - 2p + d(k - 1) + \text{output\_padding} + 1`; ``weight`` is
    ``(in_channels, out_channels / groups, k)``.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.ConvTranspose1d(4, 2, 3, stride=2)
        >>> m(npgrad.randn(1, 4, 5)).shape
        npgrad.Size([1, 2, 11])
    """

    _dims = 1


class ConvTranspose2d(_ConvTranspose):
    r"""2-d transposed convolution ("deconvolution"); ``forward(input, output_size=None)`` picks the
    ``output_padding`` that gives ``output_size``.

    Example:
        >>> import npgrad
        >>> down = npgrad.nn.Conv2d(16, 16, 3, stride=2, padding=1)
        >>> up = npgrad.nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1)
        >>> x = npgrad.randn(1, 16, 12, 12)
        >>> up(down(x), output_size=x.size()).shape
        npgrad.Size([1, 16, 12, 12])
    """

    _dims = 2


class ConvTranspose3d(_ConvTranspose):
    r"""3-d transposed convolution; ``weight`` is ``(in_channels, out_channels / groups, kD, kH, kW)``.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.ConvTranspose3d(2, 3, 2, stride=2)
        >>> m(npgrad.randn(1, 2, 3, 3, 3)).shape
        npgrad.Size([1, 3, 6, 6, 6])
    """

    _dims = 3


class _LazyConvXdMixin(LazyModuleMixin):
    """``in_channels`` is taken from the first input (dim 1, or dim 0 unbatched); then the uninitialized
    parameters are created and initialised and the layer becomes ``cls_to_become``."""

    def _lazy_parameters(self, out_channels, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        """Take ``in_channels`` from ``input`` and create the parameters."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input):
        n = self._dims
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                               f"{self.__class__.__name__}, but got input of size: torch.Size({list(input.shape)})")
        return input.shape[1] if input.dim() == n + 2 else input.shape[0]


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        check_device(device)
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._lazy_parameters(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        check_device(device)
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode,
                         device, dtype)
        self._lazy_parameters(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """:class:`Conv1d` whose ``in_channels`` is taken from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """:class:`Conv2d` whose ``in_channels`` is taken from the first input."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """:class:`Conv3d` whose ``in_channels`` is taken from the first input."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """:class:`ConvTranspose1d` whose ``in_channels`` is taken from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """:class:`ConvTranspose2d` whose ``in_channels`` is taken from the first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """:class:`ConvTranspose3d` whose ``in_channels`` is taken from the first input."""

    cls_to_become = ConvTranspose3d


class Fold(Module):
    r"""Sums sliding local blocks ``(N, C \prod k, L)`` into ``(N, C, *output_size)`` (col2im,
    :func:`nn.functional.fold`).

    Example:
        >>> import npgrad
        >>> npgrad.nn.Fold(output_size=(4, 5), kernel_size=(2, 2))(npgrad.randn(1, 3 * 2 * 2, 12)).shape
        npgrad.Size([1, 3, 4, 5])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    r"""Extracts sliding local blocks: ``(N, C, H, W)`` to ``(N, C \prod k, L)`` (im2col,
    :func:`nn.functional.unfold`).

    Example:
        >>> import npgrad
        >>> npgrad.nn.Unfold(kernel_size=(2, 3))(npgrad.randn(2, 5, 3, 4)).shape
        npgrad.Size([2, 30, 4])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
