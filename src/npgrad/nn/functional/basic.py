"""The math of the basic layers: linear, activations, softmax, dropout, embedding, normalisation."""
from __future__ import annotations

import math

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled
from ...ops import elementwise as E
from ...random import rng
from ...tensor import Tensor, _raw, _wrap_dim

__all__ = ["linear", "bilinear", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "selu", "celu",
           "gelu", "silu", "mish", "sigmoid", "tanh", "softplus", "softsign", "hardtanh", "hardsigmoid",
           "hardswish", "logsigmoid", "tanhshrink", "softshrink", "hardshrink", "threshold", "glu", "prelu",
           "softmax", "softmin", "log_softmax", "dropout", "dropout1d", "dropout2d", "alpha_dropout",
           "embedding", "one_hot", "layer_norm", "rms_norm", "batch_norm", "group_norm", "normalize",
           "pad", "cosine_similarity", "pairwise_distance"]


# --------------------------------------------------------------------------- linear


class _Linear(Function):
    """y = x Wᵀ + b in one node (the hottest op of an MLP)."""

    @staticmethod
    def forward(ctx, x, w, b):
        if x.shape[-1] != w.shape[1]:
            rows = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                               f"{w.shape[1]}x{w.shape[0]})")
        ctx.save_for_backward(x, w)
        y = x @ w.T
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = g @ w if ctx.needs_input_grad[0] else None
        gw = gb = None
        if ctx.needs_input_grad[1]:
            g2 = g.reshape(-1, g.shape[-1])
            gw = g2.T @ x.reshape(-1, x.shape[-1])
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            gb = g.reshape(-1, g.shape[-1]).sum(0)
        return gx, gw, gb


def linear(input, weight, bias=None):
    r"""Affine map :math:`y = x W^\top + b`.

    Example:
        >>> import npgrad, npgrad.nn.functional as F
        >>> F.linear(npgrad.ones(2, 3), npgrad.ones(4, 3)).shape
        npgrad.Size([2, 4])
    """
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype.name.capitalize()} and {weight.dtype.name.capitalize()}")
    if weight.ndim == 1:
        out = input @ weight
        return out + bias if bias is not None else out
    return _Linear.apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    r""":math:`y_k = x_1^\top A_k x_2 + b_k`."""
    from ...tensor import einsum

    out = einsum("bi,kij,bj->bk", input1.reshape(-1, input1.shape[-1]), weight,
                 input2.reshape(-1, input2.shape[-1]))
    out = out.reshape(*input1.shape[:-1], weight.shape[0])
    return out + bias if bias is not None else out


# --------------------------------------------------------------------------- activations


def relu(input, inplace=False):
    r""":math:`\max(0, x)`."""
    if inplace:
        return input._apply_inplace((lambda s: E.Relu.apply(s),))
    return E.Relu.apply(input)


def relu_(input):
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    r""":math:`x` for :math:`x > 0`, else :math:`\text{negative\_slope} \cdot x`."""
    if inplace:
        return input._apply_inplace((lambda s: E.LeakyRelu.apply(s, negative_slope),))
    return E.LeakyRelu.apply(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)` (Clevert et al., 2015)."""
    f = lambda s: E.Elu.apply(s, alpha)  # noqa: E731
    return input._apply_inplace((f,)) if inplace else f(input)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    r""":math:`\lambda\,\mathrm{ELU}_\alpha(x)` with Klambauer et al.'s constants."""
    f = lambda s: E.Elu.apply(s, _SELU_ALPHA, _SELU_SCALE)  # noqa: E731
    return input._apply_inplace((f,)) if inplace else f(input)


def celu(input, alpha=1.0, inplace=False):
    r""":math:`\max(0,x) + \min(0, \alpha(e^{x/\alpha} - 1))`."""
    f = lambda s: E.Elu.apply(s, alpha, 1.0, alpha)  # noqa: E731
    return input._apply_inplace((f,)) if inplace else f(input)


def gelu(input, approximate="none"):
    r""":math:`x\,\Phi(x)` (Hendrycks & Gimpel, 2016); ``approximate='tanh'`` uses the tanh form."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return E.Gelu.apply(input, approximate)


def silu(input, inplace=False):
    r""":math:`x\,\sigma(x)` (swish)."""
    return input._apply_inplace((E.Silu.apply,)) if inplace else E.Silu.apply(input)


def mish(input, inplace=False):
    r""":math:`x \tanh(\mathrm{softplus}(x))`."""
    return input * softplus(input).tanh()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def softplus(input, beta=1.0, threshold=20.0):
    r""":math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, linear where :math:`\beta x >` threshold."""
    return E.Softplus.apply(input, beta, threshold)


def softsign(input):
    return input / (1 + input.abs())


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if inplace:
        return input.clamp_(min_val, max_val)
    return input.clamp(min_val, max_val)


def hardsigmoid(input, inplace=False):
    return (input / 6 + 0.5).clamp(0.0, 1.0)


def hardswish(input, inplace=False):
    return input * (input + 3).clamp(0.0, 6.0) / 6


def logsigmoid(input):
    r""":math:`\log \sigma(x)`, computed stably."""
    return E.LogSigmoid.apply(input)


def tanhshrink(input):
    return input - input.tanh()


def softshrink(input, lambd=0.5):
    return input.where(input.abs() > lambd, 0.0) - lambd * input.sign() * (input.abs() > lambd).to(input.dtype)


def hardshrink(input, lambd=0.5):
    return input.where(input.abs() > lambd, 0.0)


def threshold(input, threshold, value, inplace=False):
    return input.where(input > threshold, value)


def glu(input, dim=-1):
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def prelu(input, weight):
    w = weight
    if input.ndim >= 2 and weight.numel() > 1:
        w = weight.reshape([1, -1] + [1] * (input.ndim - 2))
    return input.where(input > 0, input * w)


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    r""":math:`\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}` along ``dim``."""
    if dim is None:
        import warnings

        warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X "
                      "as an argument.", stacklevel=2)
        dim = _softmax_dim(input.ndim)
    return input.softmax(dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    r""":math:`x_i - \log \sum_j e^{x_j}` along ``dim``, without overflow."""
    if dim is None:
        import warnings

        warnings.warn("Implicit dimension choice for log_softmax has been deprecated. Change the call to include "
                      "dim=X as an argument.", stacklevel=2)
        dim = _softmax_dim(input.ndim)
    return input.log_softmax(dim, dtype=dtype)


# --------------------------------------------------------------------------- dropout


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    r"""Zero each element with probability :math:`p`, scale the rest by :math:`1/(1-p)` (Srivastava et al., 2014)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        mask = np.zeros(input.shape, dtype=input._data.dtype)
    else:
        mask = (rng(generator).random(input.shape) >= p).astype(input._data.dtype) / (1.0 - p)
    if inplace:
        return input.mul_(Tensor._wrap(mask))
    return input * Tensor._wrap(mask)


def _feature_dropout(input, p, training, batched_dims, generator=None):
    _check_p(p)
    if not training or p == 0.0:
        return input
    shape = list(input.shape[:batched_dims]) + [1] * (input.ndim - batched_dims)
    keep = (rng(generator).random(shape) >= p).astype(input._data.dtype)
    return input * Tensor._wrap(keep / (1.0 - p) if p < 1 else keep)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, 2 if input.ndim == 3 else 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout(input, p, training, 2 if input.ndim == 4 else 1)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    keep = (rng().random(input.shape) >= p).astype(input._data.dtype)
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    k = Tensor._wrap(keep)
    return (input * k + alpha_p * (1 - k)) * a + b


# --------------------------------------------------------------------------- embedding


class _Embedding(Function):
    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad):
        ctx.c = (weight.shape, idx, padding_idx, scale_grad)
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        shape, idx, padding_idx, scale_grad = ctx.c
        flat_idx = idx.reshape(-1)
        flat_g = g.reshape(-1, shape[1])
        if scale_grad:
            counts = np.bincount(flat_idx, minlength=shape[0]).astype(g.dtype)
            flat_g = flat_g / counts[flat_idx][:, None]
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, flat_idx, flat_g)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out, None, None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    r"""Rows of ``weight`` picked by the integer ``input``: :math:`y = W[i]`."""
    idx = _raw(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.dtype.name} instead")
    n = weight.shape[0]
    if idx.size and (idx.max() >= n or idx.min() < 0):
        raise IndexError("index out of range in self")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        rows = np.unique(idx)
        norms = np.linalg.norm(weight._data[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight._data[rows] *= scale[:, None].astype(weight._data.dtype)
    return _Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """Class indices to one-hot rows (int64)."""
    idx = _raw(tensor)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    elif idx.size and idx.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap(np.eye(num_classes, dtype=np.int64)[idx])


# --------------------------------------------------------------------------- normalisation


class _LayerNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, dims, eps):
        mean = x.mean(axis=dims, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=dims, keepdims=True)
        rstd = 1.0 / np.sqrt(var + eps)
        xhat = xc * rstd
        ctx.c = (xhat, rstd, weight, dims)
        y = xhat
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        return y.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xhat, rstd, weight, dims = ctx.c
        lead = tuple(range(xhat.ndim - len(dims)))
        gw = (g * xhat).sum(axis=lead) if weight is not None and ctx.needs_input_grad[1] else None
        gb = g.sum(axis=lead) if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2] else None
        gx = None
        if ctx.needs_input_grad[0]:
            gh = g * weight if weight is not None else g
            m1 = gh.mean(axis=dims, keepdims=True)
            m2 = (gh * xhat).mean(axis=dims, keepdims=True)
            gx = rstd * (gh - m1 - xhat * m2)
        return gx, gw, gb, None, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r""":math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta` over the last dims
    (Ba et al., 2016)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    return _LayerNorm.apply(input, weight, bias, dims, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    r""":math:`y = x / \sqrt{\mathrm{mean}(x^2) + \epsilon} \cdot \gamma`."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    r""":math:`y = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} \gamma + \beta` per channel (Ioffe & Szegedy, 2015).

    In training the batch statistics are used and the running ones updated with the unbiased
    variance; in eval the running statistics are used.
    """
    dims = (0,) + tuple(range(2, input.ndim))
    shape = [1, -1] + [1] * (input.ndim - 2)
    if training:
        n = input.numel() // input.shape[1]
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(input.shape)}")
        mean = input.mean(dims)
        var = input.var(dims, unbiased=False)
        if running_mean is not None:
            m = momentum
            running_mean._data[...] = (1 - m) * running_mean._data + m * mean._data
            running_var._data[...] = (1 - m) * running_var._data + m * var._data * n / (n - 1)
    else:
        mean, var = running_mean.detach(), running_var.detach()
    y = (input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    n, c = input.shape[0], input.shape[1]
    x = input.reshape(n, num_groups, -1)
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)
    y = ((x - mean) * (var + eps).rsqrt()).reshape(input.shape)
    shape = [1, -1] + [1] * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    r""":math:`v / \max(\lVert v \rVert_p, \epsilon)` along ``dim``."""
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


def pad(input, pad, mode="constant", value=None):
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)``; constant mode."""
    from ...ops.shape import Pad

    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    if mode != "constant":
        raise NotImplementedError(f"padding mode '{mode}' is not supported (only 'constant')")
    return Pad.apply(input, tuple(pad), 0.0 if value is None else value)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    r""":math:`\frac{x_1 \cdot x_2}{\max(\lVert x_1 \rVert \lVert x_2 \rVert, \epsilon)}` (PyTorch's form)."""
    x1, x2 = _bcast(x1, x2)
    w12 = (x1 * x2).sum(dim)
    n1 = (x1 * x1).sum(dim)
    n2 = (x2 * x2).sum(dim)
    return w12 / (n1 * n2).clamp_min(eps * eps).sqrt()


def _bcast(a, b):
    shape = np.broadcast_shapes(a.shape, b.shape)
    return a.expand(shape), b.expand(shape)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    r""":math:`\lVert x_1 - x_2 + \epsilon \rVert_p` over the last dim."""
    d = x1 - x2 + eps
    return d.norm(p, dim=-1, keepdim=keepdim)
