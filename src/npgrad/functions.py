"""Tensor methods as module-level functions (``npgrad.exp(x)`` = ``x.exp()``), as in PyTorch."""
from __future__ import annotations

import builtins

import numpy as np

from .tensor import Tensor, _raw, cat, tensor

_UNARY = ["exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "abs", "absolute", "sin", "cos",
          "tanh", "sigmoid", "relu", "erf", "neg", "negative", "reciprocal", "square", "sign", "sgn", "floor",
          "ceil", "round", "trunc", "isnan", "isinf", "isfinite", "logical_not", "nan_to_num", "t", "numel",
          "nonzero", "tril", "triu", "diagonal", "flatten", "unflatten", "squeeze", "unsqueeze", "reshape",
          "permute", "transpose", "swapaxes", "movedim", "moveaxis", "flip", "roll", "narrow", "select",
          "expand_copy", "chunk", "split", "tensor_split", "unbind", "repeat_interleave", "gather",
          "take_along_dim", "scatter", "scatter_add", "index_select", "index_add", "masked_fill", "masked_select",
          "sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "argmax", "argmin", "var", "std",
          "logsumexp", "softmax", "log_softmax", "cumsum", "cumprod", "all", "any", "count_nonzero",
          "sort", "argsort", "topk", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum", "lerp",
          "addcmul", "addcdiv", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
          "pow", "mm", "bmm", "mv", "dot", "outer", "eq", "ne", "lt", "le", "gt", "ge", "less", "greater",
          "logical_and", "logical_or", "logical_xor", "equal", "allclose", "isclose", "detach", "clone",
          "fliplr", "flipud", "broadcast_to", "std_mean", "var_mean", "is_floating_point", "is_tensor",
          "median", "kthvalue", "aminmax", "cummax", "cummin", "mode", "diff", "take", "argwhere", "tile", "remainder",
          "fmod", "floor_divide", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "index_fill", "index_copy"]

__all__ = []


def _make(name):
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = tensor(input)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``npgrad.{name}(x, ...)`` is ``x.{name}(...)``."
    return fn


# --------------------------------------------------------------------------- lazily loaded names
# The functions of these modules are attributes of ``npgrad`` (``npgrad.kron``, ``npgrad.hann_window``,
# ``npgrad.compile`` ...) but their modules load on first use, which keeps ``import npgrad`` light. The table is
# every name of each module's ``__all__`` (for ``ops.math`` and ``linalg``: the few that are top-level functions in
# PyTorch); tests/core/test_lazy_namespace.py checks it against the modules and prints the table when it drifts
# (``python tests/core/test_lazy_namespace.py``). A module of new top-level functions gets an entry here.
_LAZY_MODULES = {
    "._runtime": ("compile", "set_float32_matmul_precision", "get_float32_matmul_precision",
                  "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
                  "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
                  "get_deterministic_debug_mode", "set_default_device", "get_default_device", "set_flush_denormal",
                  "set_warn_always", "is_warn_always_enabled", "get_num_interop_threads", "set_num_interop_threads",
                  "typename", "is_storage", "is_complex", "is_nonzero", "is_same_size", "is_signed", "is_inference",
                  "autocast", "get_autocast_dtype", "set_autocast_dtype", "is_autocast_enabled",
                  "set_autocast_enabled", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
                  "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
                  "get_autocast_gpu_dtype", "get_autocast_cpu_dtype", "is_autocast_cpu_enabled",
                  "set_autocast_cpu_enabled", "set_autocast_cpu_dtype", "set_autocast_gpu_dtype"),
    ".ops.math": ("alpha_dropout_", "dropout_", "embedding_renorm_", "feature_alpha_dropout_", "feature_dropout_",
                  "polygamma"),
    ".ops.products": ("addmm", "addmv", "addmv_", "addr", "baddbmm", "addbmm", "chain_matmul", "kron", "tensordot",
                      "inner", "vdot", "ger", "cross", "dist", "renorm", "block_diag", "cartesian_prod",
                      "combinations", "diag", "diag_embed", "diagflat", "diagonal_scatter", "select_scatter",
                      "slice_scatter", "tril_indices", "triu_indices", "rot90", "vander", "empty_strided",
                      "scalar_tensor", "range", "dstack", "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid",
                      "unravel_index", "trace", "masked_scatter", "index_reduce", "put", "isin", "vsplit", "hsplit",
                      "dsplit", "split_with_sizes", "unsafe_chunk", "unsafe_split", "ravel", "narrow_copy", "msort",
                      "unique_consecutive", "cov", "corrcoef", "quantile", "nanquantile", "nanmedian", "histc",
                      "histogram", "bincount", "trapezoid", "trapz", "cumulative_trapezoid"),
    ".linalg": ("lu_unpack",),
    ".ops.extras": ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "poisson",
                    "binomial", "asarray", "frombuffer", "empty_permuted", "gradient", "view_copy", "expand_copy",
                    "permute_copy", "transpose_copy", "t_copy", "squeeze_copy", "unsqueeze_copy", "select_copy",
                    "slice_copy", "split_copy", "split_with_sizes_copy", "unbind_copy", "unfold_copy",
                    "diagonal_copy", "detach_copy", "alias_copy", "as_strided_copy", "as_strided", "as_strided_",
                    "as_strided_scatter", "rsub", "fill", "get_device", "nuclear_norm", "frobenius_norm",
                    "svd_lowrank", "pca_lowrank", "histogramdd", "constant_pad_nd", "native_layer_norm",
                    "native_batch_norm", "native_group_norm", "native_dropout", "feature_dropout", "embedding",
                    "instance_norm", "batch_norm", "kl_div", "binary_cross_entropy_with_logits",
                    "cosine_embedding_loss", "ctc_loss", "hinge_embedding_loss", "margin_ranking_loss",
                    "poisson_nll_loss", "triplet_margin_loss", "lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell",
                    "gru_cell", "rnn_tanh_cell", "rnn_relu_cell", "convolution", "conv_tbc", "grid_sampler",
                    "grid_sampler_2d", "grid_sampler_3d", "affine_grid_generator", "nonzero_static",
                    "unsafe_split_with_sizes", "resize_as_", "adjoint", "angle", "conj", "resolve_conj",
                    "resolve_neg", "is_conj", "is_neg", "real", "imag", "is_distributed", "solve", "lstsq", "eig",
                    "symeig", "matrix_rank"),
}
_LAZY = {name: module for module, names in _LAZY_MODULES.items() for name in names}


# more names that are both a Tensor method and a function, by the file that implements them
# ops/math.py
_MATH = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan",
         "arcsinh", "arccosh", "arctanh", "exp2", "erfc", "erfinv", "lgamma", "digamma", "mvlgamma", "i0", "sinc",
         "logit", "frac", "fix", "deg2rad", "rad2deg", "positive", "signbit", "isposinf", "isneginf", "isreal",
         "conj_physical", "logcumsumexp", "frexp", "atan2", "arctan2", "hypot", "copysign", "fmax", "fmin",
         "float_power", "heaviside", "logaddexp", "logaddexp2", "xlogy", "nextafter", "ldexp", "gcd", "lcm",
         "igamma", "igammac", "bitwise_left_shift", "bitwise_right_shift", "greater_equal", "less_equal",
         "not_equal", "tan_", "asin_", "acos_", "atan_", "sinh_", "cosh_", "asinh_", "acosh_", "atanh_", "arcsin_",
         "arccos_", "arctan_", "arcsinh_", "arccosh_", "arctanh_", "sin_", "cos_", "exp2_", "expm1_", "log2_",
         "log10_", "log1p_", "rsqrt_", "erf_", "erfc_", "i0_", "sinc_", "logit_", "frac_", "fix_", "deg2rad_",
         "rad2deg_", "negative_", "conj_physical_", "nan_to_num_", "clamp_min_", "clamp_max_", "xlogy_", "ldexp_",
         "gcd_", "lcm_", "abs_", "ceil_", "clamp_", "clip_", "detach_", "exp_", "fill_", "floor_", "index_put_",
         "log_", "neg_", "reciprocal_", "round_", "sigmoid_", "sqrt_", "square_", "tanh_", "trunc_", "zero_"]
_LINALG = ["det", "logdet", "slogdet", "inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "qr",
           "svd", "pinverse", "matrix_power", "matrix_exp", "lu", "lu_solve", "triangular_solve", "geqrf",
           "orgqr", "ormqr"]      # ops/decomp.py
_PRODUCTS = ["scatter_reduce", "index_put", "swapdims"]    # ops/products.py

for _name in _UNARY + _MATH + _LINALG + _PRODUCTS:
    if hasattr(Tensor, _name) and _name not in _LAZY:
        globals()[_name] = _make(_name)
        __all__.append(_name)


def max(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Largest element, or (values, indices) along ``dim``; with a tensor ``dim``, elementwise max."""
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    return input.min(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm``: ``input.norm(p, dim, keepdim, dtype=dtype)``, written into ``out`` when given."""
    if not isinstance(input, Tensor):
        input = tensor(input)
    result = input.norm(p, dim, keepdim, dtype=dtype)
    return result if out is None else out.copy_(result)


__all__ += ["norm"]


def std_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return input.std(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return input.var(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return t.is_floating_point()


def numel(t):
    return t.numel()


def broadcast_tensors(*tensors):
    """``tensors`` expanded to their common shape (views), with PyTorch's error for a mismatch."""
    from .tensor import broadcast_shape

    shape = ()
    for t in tensors:
        shape = broadcast_shape(shape, tuple(t.shape))
    return tuple(t.expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    """The shape that ``shapes`` broadcast to (an int is a 1-d shape), with PyTorch's errors."""
    from .tensor import Size

    sizes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    result = [1] * builtins.max((len(s) for s in sizes), default=0)
    for index, (shape, size) in enumerate(zip(shapes, sizes)):
        for i in builtins.range(-1, -1 - len(size), -1):
            if size[i] < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if size[i] == 1 or size[i] == result[i]:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {size[i]} at {i}! Mismatching "
                                   f"argument at index {index} had {shape}; but expected shape should be "
                                   f"broadcastable to {result}")
            result[i] = size[i]
    return Size(result)


def clamp(input, min=None, max=None):  # noqa: A002
    return input.clamp(min, max)


clip = clamp


def tanh(input):
    return input.tanh()


def cdist(x1, x2, p=2.0):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2.0:
        return (diff * diff).sum(-1).sqrt()
    return diff.norm(p=p, dim=-1)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def zeros_like_grad(x):
    return Tensor._wrap(np.zeros_like(_raw(x)))


def from_dlpack(ext):
    return Tensor._wrap(np.from_dlpack(ext))


def searchsorted(sorted_sequence, values, right=False):
    return Tensor._wrap(np.searchsorted(_raw(sorted_sequence), _raw(values),
                                        side="right" if right else "left").astype(np.int64))


def bucketize(input, boundaries, right=False):
    return Tensor._wrap(np.searchsorted(_raw(boundaries), _raw(input),
                                        side="left" if not right else "right").astype(np.int64))


def numpy_like(t):
    return t._data


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    kw = {k: v for k, v in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                                linewidth=linewidth).items() if v is not None}
    np.set_printoptions(**kw)


def set_num_threads(n):
    try:
        import numba

        numba.set_num_threads(builtins.max(1, builtins_min(n, numba.config.NUMBA_NUM_THREADS)))
    except Exception:  # numba missing or threads fixed: nothing to change
        pass


def get_num_threads():
    import os

    return os.cpu_count() or 1


builtins_min = builtins.min


def hstack(tensors):
    """Tensors joined along dim 1 (dim 0 for 1-d tensors)."""
    from .ops.products import atleast_1d

    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Tensors (1-d ones as rows) joined along dim 0."""
    from .ops.products import atleast_2d

    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def column_stack(tensors):
    """Tensors (1-d ones as columns) joined along dim 1."""
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


class finfo:
    """Limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``, ``resolution``."""

    def __init__(self, type=None):
        from . import _dtype as D

        d = D.as_dtype(type)
        if d.np.kind != "f":
            raise TypeError("finfo() requires a floating point input type. Use iinfo to handle 'finfo'")
        f = np.finfo(d.np)
        self.bits, self.dtype = int(f.bits), d.name
        self.eps, self.max, self.min = float(f.eps), float(f.max), float(f.min)
        self.tiny = self.smallest_normal = float(f.smallest_normal)
        self.resolution = float(f.resolution)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: ``bits``, ``max``, ``min``."""

    def __init__(self, type):
        from . import _dtype as D

        d = D.as_dtype(type)
        if d.np.kind not in "iub":
            raise TypeError("iinfo() requires an integer input type. Use finfo to handle 'iinfo'")
        i = np.iinfo(d.np) if d.np.kind != "b" else np.iinfo(np.uint8)
        self.bits, self.dtype = int(i.bits), d.name
        self.max, self.min = int(i.max), int(i.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(type1, type2):
    """The dtype PyTorch promotes two tensor dtypes to."""
    from . import _dtype as D
    from .tensor import promote_types as _promote

    return D.from_numpy_dtype(_promote(D.as_dtype(type1).np, D.as_dtype(type2).np))


def result_type(tensor1, tensor2):
    """The dtype of an arithmetic op between two tensors or numbers."""
    from . import _dtype as D
    from .tensor import result_type as _result_type

    if not isinstance(tensor1, Tensor):
        if not isinstance(tensor2, Tensor):
            tensor1 = tensor(tensor1)
        else:
            tensor1, tensor2 = tensor2, tensor1
    return D.from_numpy_dtype(_result_type(tensor1, tensor2))


def can_cast(from_, to):
    """Whether PyTorch casts ``from_`` to ``to`` implicitly: never to a lower category
    (bool < integer < floating)."""
    from . import _dtype as D

    rank = {"b": 0, "u": 1, "i": 1, "f": 2}
    return rank[D.as_dtype(from_).np.kind] <= rank[D.as_dtype(to).np.kind]


__all__ += ["max", "min", "std_mean", "var_mean", "is_tensor", "is_floating_point", "numel", "broadcast_tensors",
            "broadcast_shapes", "clamp", "clip", "tanh", "cdist", "flatten", "from_dlpack", "searchsorted",
            "bucketize", "set_printoptions", "set_num_threads", "get_num_threads", "hstack", "vstack", "row_stack",
            "column_stack", "finfo", "iinfo", "promote_types", "result_type", "can_cast"]


# --------------------------------------------------------------------------- nn.functional at the top level
# ``torch.conv2d``, ``torch.max_pool2d`` ...: the functions whose top-level form takes the same arguments as the
# ``nn.functional`` one (the others, e.g. ``torch.batch_norm`` or the losses with an integer ``reduction``, keep
# ATen's own argument lists and are left out). nn.functional is imported on the first call, not with npgrad.
_SAME_AS_FUNCTIONAL = {
    "conv1d": "conv1d", "conv2d": "conv2d", "conv3d": "conv3d", "conv_transpose1d": "conv_transpose1d",
    "conv_transpose2d": "conv_transpose2d", "conv_transpose3d": "conv_transpose3d",
    "max_pool1d": "max_pool1d", "max_pool2d": "max_pool2d", "max_pool3d": "max_pool3d",
    "max_pool1d_with_indices": "max_pool1d_with_indices", "avg_pool1d": "avg_pool1d",
    "adaptive_avg_pool1d": "adaptive_avg_pool1d", "adaptive_max_pool1d": "adaptive_max_pool1d_with_indices",
    "pixel_shuffle": "pixel_shuffle", "pixel_unshuffle": "pixel_unshuffle", "channel_shuffle": "channel_shuffle",
    "native_channel_shuffle": "native_channel_shuffle", "cosine_similarity": "cosine_similarity",
    "pairwise_distance": "pairwise_distance", "pdist": "pdist", "bilinear": "bilinear", "prelu": "prelu",
    "selu": "selu", "selu_": "selu_", "celu": "celu", "celu_": "celu_", "rrelu": "rrelu", "rrelu_": "rrelu_",
    "hardshrink": "hardshrink", "threshold": "threshold", "threshold_": "threshold_", "relu_": "relu_",
    "dropout": "dropout", "alpha_dropout": "alpha_dropout", "feature_alpha_dropout": "feature_alpha_dropout",
    "rms_norm": "rms_norm",
}


def _from_functional(name, target):
    def fn(*args, **kwargs):
        from .nn import functional as F

        return getattr(F, target)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``npgrad.{name}(...)`` is ``npgrad.nn.functional.{target}(...)``."
    return fn


for _name, _target in _SAME_AS_FUNCTIONAL.items():
    globals()[_name] = _from_functional(_name, _target)
__all__ += list(_SAME_AS_FUNCTIONAL)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """``torch.layer_norm``: ``nn.functional.layer_norm`` (``cudnn_enable`` has no effect on a CPU)."""
    from .nn import functional as F

    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """``torch.group_norm``: ``nn.functional.group_norm`` (``cudnn_enabled`` has no effect on a CPU)."""
    from .nn import functional as F

    return F.group_norm(input, num_groups, weight, bias, eps)


__all__ += ["layer_norm", "group_norm"]

def _weight_norm(v, g, dim=0):
    r"""``torch._weight_norm``: :math:`v \, g / \lVert v \rVert`, the norm over every dim but ``dim``."""
    from .nn.utils.weight_norm import _weight_norm as weight_norm

    return weight_norm(v, g, dim)


def norm_except_dim(v, pow=2, dim=0):
    """``torch.norm_except_dim``: the ``pow``-norm over every dim but ``dim`` (``dim=-1``: the whole tensor)."""
    from .nn.utils.weight_norm import norm_except_dim as norm

    return norm(v, pow, dim)


__all__ += ["_weight_norm", "norm_except_dim"]
__all__ = list(dict.fromkeys(__all__ + list(_LAZY)))  # each name once


def __getattr__(name):
    """Loads the module that defines the lazily exported ``name`` and returns its function."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __package__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
