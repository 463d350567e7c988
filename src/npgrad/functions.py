"""Tensor methods as module-level functions (``npgrad.exp(x)`` = ``x.exp()``), as in PyTorch."""
from __future__ import annotations

import builtins
import functools
import sys
import warnings

import numpy as np

from .tensor import _C_NAMES, Tensor, _raw, _scalar_name, _taking_numpy_names, numpy_names, tensor

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
    return _with_out(name, fn) if name in _OUT else fn


# --------------------------------------------------------------------------- out=
# ``npgrad.add(a, b, out=c)`` as PyTorch: the result is computed, checked against ``c``'s dtype (the table below),
# ``c`` is resized to the result's shape (with PyTorch's warning when it held elements) and the values are written
# into its memory; ``c`` itself is returned (for a tuple result, ``out`` is a tuple and the result's kind of tuple
# holding those tensors is). A function with ``out=`` is not differentiable: an input that requires grad (while grad
# mode is on) is PyTorch's RuntimeError. Which functions take ``out=``, and what they ask of its dtype, follow
# PyTorch's: ``_OUT`` maps each name to one of
#   "cast"         the result is cast to out's dtype where PyTorch casts implicitly (bool < integer < floating);
#   "same"         out's dtype must be the result's (a message per function, ``_SAME_DTYPE``);
#   "float"        out's dtype must be floating;
#   "accumulate"   the result is computed in out's dtype (``sum``, ``cumsum`` ... with ``dtype=out.dtype``);
#   "creation"     out's dtype is the dtype of the new tensor (``zeros``, ``arange``, ``rand`` ...).
_CAST, _SAME, _FLOAT, _ACCUMULATE, _CREATION = "cast", "same", "float", "accumulate", "creation"
_CAST_MESSAGE = "result type {res} can't be cast to the desired output type {out}"
_EXPECTED = "Expected out tensor to have dtype {res_c}, but got {out_c} instead"
_FOUND = "Found dtype {out} but expected {res}"
_COPIES = ["alias_copy", "as_strided_copy", "detach_copy", "diagonal_copy", "expand_copy", "permute_copy",
           "select_copy", "slice_copy", "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
           "unsqueeze_copy", "view_copy"]
_SAME_DTYPE = {
    **dict.fromkeys(["abs", "absolute", "ceil", "floor", "trunc", "fix", "round", "neg", "negative", "sign", "sgn",
                     "conj_physical", "frac", "clamp", "clip", "clamp_min", "clamp_max", "hardshrink", "bitwise_not"],
                    _FOUND),
    **dict.fromkeys(["msort", "argsort", "argmax", "argmin", "tril", "triu", "diag", "gather", "cross", "mv", "mm",
                     "bmm", "matmul", "addmm", "addmv", "baddbmm", "addbmm", "scatter", "scatter_add",
                     "scatter_reduce", "index_copy", "index_add", "index_reduce", "renorm", "norm", "frobenius_norm",
                     "softmax", "log_softmax", "isin", "inverse", "cholesky", "cholesky_inverse", "cholesky_solve",
                     "matrix_power", "lu_solve", "orgqr", "ormqr", "slice_scatter", "polygamma", "sort", "topk",
                     "max", "min", "aminmax", "geqrf", "qr", "svd", "slogdet", "lu_unpack", "triangular_solve",
                     "histogram", *_COPIES], _EXPECTED),
    "narrow_copy": "Expected self.dtype() == output.dtype() to be true, but got false.  (Could this error message be "
                   "improved?  If so, please report an enhancement request to PyTorch.)",
    **dict.fromkeys(["cummax", "cummin", "logcumsumexp"], "expected scalar_type {res} but found {out}"),
    "kthvalue": ("output values must be of same type as input", "output indices must be of scalar type Long"),
    **dict.fromkeys(["median", "nanmedian"], (
        "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type "
        "torch.{out}Tensor does not equal torch.{res}Tensor (while checking arguments for median)",
        "Expected tensor for argument #1 'indices' to have scalar type Long; but got torch.{out}Tensor instead "
        "(while checking arguments for median)")),
    "mode": ("expected scalar type '{res}' but got '{out}' for values output",
             "expected scalar type '{res}' but got '{out}' for indices output"),
    **dict.fromkeys(["amax", "amin"], "Expected the dtype for input and out to match, but got {res} for input's "
                                      "dtype and {out} for out's dtype."),
    "where": "Expected out type to be {res} but got {out}",
    **dict.fromkeys(["all", "any"], "{name} only supports bool tensor for result, got: {out}"),
    "take": "take(): self and out expected to have the same dtype, but got self.dtype = {res} and out.dtype = {out}",
    **dict.fromkeys(["index_select", "masked_select"], "{name}(): self and result must have the same scalar type"),
    **dict.fromkeys(["dot", "vdot"], "result dtype {out} does not match input dtype {res}"),
    **dict.fromkeys(["tensordot", "inner"], "tensordot: Expected the output tensor to have dtype {res}, but got an "
                                            "output tensor with dtype {out}"),
    **dict.fromkeys(["quantile", "nanquantile"], "quantile() out tensor must be same dtype as the input tensor"),
    "nan_to_num": "nan_to_num: dtype of out: {out} should be same as input: {res}",
    **dict.fromkeys(["isposinf", "isneginf", "signbit"], "{name} does not support non-boolean outputs."),
    "float_power": "the output given to float_power has dtype {out} but the operation's result requires dtype {res}",
    **dict.fromkeys(["searchsorted", "bucketize"], "torch.searchsorted(): output tensor's dtype is wrong, it can only "
                    "be Int(int32) or Long(int64) depending on whether out_int32 flag is True, but we got output "
                    "tensor's dtype {out} and out_int32 flag is {int32}"),
    "histc": "torch.histogram: input tensor and hist tensor should have the same dtype, but got input {res_c} and "
             "hist {out_c}",
    "heaviside": "heaviside is not yet implemented for tensors with different dtypes.",
    "nonzero": "nonzero: Expected out tensor to have scalar type Long but got scalar type{out}",
    "frexp": ("torch.frexp() expects mantissa to have dtype {res_c} but got {out_c}",
              "torch.frexp() expects exponent to have int dtype but got {out_c}"),
    "chain_matmul": "multi_dot(): expected out tensor to have dtype {res_c} but got {out_c}",
    "nuclear_norm": "linalg.matrix_norm expected out tensor dtype {res} but got: {out}",
}
_CAST_MESSAGES = {  # the functions that cast with another message than _CAST_MESSAGE
    **dict.fromkeys(["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
                     "column_stack"], "torch.cat(): input types can't be cast to the desired output type {out}"),
    "ldexp": "ldexp can't be cast to the desired output type {out}",
    "logsumexp": "logsumexp(): Expected floating point type for result tensor, but got: {out}",
}
_CREATE = ["zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye", "rand", "randn", "randint",
           "randperm", "normal"]
_CASTING = [
    "acos", "acosh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "asin", "asinh", "atan", "atanh",
    "cos", "cosh", "deg2rad", "digamma", "erf", "erfc", "erfinv", "exp", "exp2", "expm1", "i0", "lgamma", "log",
    "log10", "log1p", "log2", "logical_not", "logit", "rad2deg", "reciprocal", "rsqrt", "sigmoid", "sin", "sinc",
    "sinh", "sqrt", "square", "tan", "tanh", "angle", "add", "arctan2", "atan2", "bitwise_and", "bitwise_left_shift",
    "bitwise_or", "bitwise_right_shift", "bitwise_xor", "copysign", "div", "divide", "eq", "floor_divide", "fmax",
    "fmin", "fmod", "gcd", "ge", "greater", "greater_equal", "gt", "hypot", "igamma", "igammac", "lcm", "ldexp", "le",
    "less", "less_equal", "logaddexp", "logaddexp2", "logical_and", "logical_or", "logical_xor", "lt", "maximum",
    "minimum", "mul", "multiply", "ne", "nextafter", "not_equal", "pow", "remainder", "sub", "subtract",
    "true_divide", "xlogy", "kron", "outer", "ger", "mean", "nanmean", "std", "var", "diff", "addcmul",
    "addcdiv", "lerp", "threshold", "mvlgamma", "take_along_dim", "cat", "concat", "concatenate", "stack", "hstack",
    "vstack", "row_stack", "dstack", "column_stack", "bernoulli", "multinomial", "addr"]
_OUT = {**dict.fromkeys(_CASTING, _CAST), **dict.fromkeys(_SAME_DTYPE, _SAME), "logsumexp": _FLOAT,
        **dict.fromkeys(["sum", "nansum", "prod", "cumsum", "cumprod"], _ACCUMULATE),
        **dict.fromkeys(_CREATE, _CREATION)}
# the name PyTorch's autograd error gives, where it is not the function's own
_ATEN_NAME = {"absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh",
              "arctan": "atan", "arctanh": "atanh", "arctan2": "atan2", "fix": "trunc", "negative": "neg",
              "square": "pow", "float_power": "pow", "multiply": "mul", "subtract": "sub", "divide": "div",
              "true_divide": "div", "clip": "clamp", "msort": "sort", "argsort": "sort", "kron": "mul", "outer": "mul",
              "ger": "mul", "nanmean": "nansum", "norm": "linalg_vector_norm", "diff": "sub", "cross": "linalg_cross",
              "inverse": "linalg_inv_ex", "matrix_power": "matmul", "frobenius_norm": "norm", "chain_matmul": "mm",
              **dict.fromkeys(["concat", "concatenate", "hstack", "vstack", "row_stack", "dstack", "column_stack"],
                              "cat")}
# composite functions whose result is copied into out with its gradient (no error), and those that are not recorded
_COPIED = {"softmax", "log_softmax", "tensordot", "inner", "quantile", "nanquantile", "nuclear_norm", "diag",
           "conj_physical", "floor_divide", "heaviside", *_COPIES}
_UNRECORDED = {"take_along_dim", "histc"}


def _with_out(name, fn):
    """``fn`` taking PyTorch's ``out=`` keyword (see ``_into_out``)."""
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return _into_out(name, fn, args, kwargs, out)

    functools.update_wrapper(with_out, fn)
    with_out.__name__ = with_out.__qualname__ = name
    with_out.keywords_given = True
    return with_out


def _into_out(name, fn, args, kwargs, out):
    """``fn(*args, **kwargs)`` written into ``out`` as PyTorch's ``out=`` (the table above), returning ``out``."""
    from .autograd.grad_mode import is_grad_enabled, no_grad

    rule = _OUT[name]
    outs = _out_tensors(name, out)
    if rule == _CREATION and (name != "normal" or not _any_tensor(args, kwargs)):
        kwargs = _creation_dtype(kwargs, outs[0])
    elif rule == _ACCUMULATE and kwargs.get("dtype") is None:
        kwargs = dict(kwargs, dtype=outs[0].dtype)
    inputs_grad = is_grad_enabled() and _requires_grad(args, kwargs)
    out_grad = is_grad_enabled() and builtins.any(o.requires_grad for o in outs)
    copied = name in _COPIED and not out_grad
    if copied and inputs_grad:
        result = fn(*args, **kwargs)      # recorded: the copy into out carries the gradient
    else:
        with no_grad():
            result = fn(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if isinstance(out, Tensor) and isinstance(result, tuple):
        got = ", ".join([_type_name(a) for a in args] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()])
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}, out=Tensor), but "
                        "expected one of:")
    if not isinstance(out, Tensor) and not isinstance(result, tuple):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if len(outs) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(outs)}")
    differentiable = builtins.any(isinstance(r, Tensor) and r._data.dtype.kind == "f" for r in results)
    if (inputs_grad or out_grad) and differentiable and not copied and name not in _UNRECORDED:
        aten = f"aten::{name}" if rule == _CREATION or (out_grad and name in _COPIED) else _ATEN_NAME.get(name, name)
        raise RuntimeError(f"{aten}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")
    messages = _dtype_messages(name, rule, args, kwargs, len(results))
    for o, r, message in zip(outs, results, messages):
        _check_out_dtype(name, message, r._data.dtype, o._data.dtype)
    for o, r in zip(outs, results):
        _write_out(name, o, r, rule, copied)
    if isinstance(out, Tensor):
        return out
    if hasattr(result, "_make"):                 # a collections.namedtuple
        return result._make(outs)
    return tuple(outs) if type(result) is tuple else _out_kind(type(result))(*outs)


@functools.lru_cache(maxsize=None)
def _out_kind(kind):
    """The kind of ``torch.return_types`` tuple of an out= call: ``sort_out`` for ``sort``."""
    return type(f"{kind.__name__}_out", (kind,), {"__slots__": ()})


def _out_tensors(name, out):
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            if isinstance(out, (tuple, list)):
                raise TypeError(f"expected Tensor as element {i} in argument 'out', but got {type(o).__name__}")
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(o).__name__}")
    return outs


def _type_name(a):
    return "Tensor" if isinstance(a, Tensor) else type(a).__name__


def _any_tensor(args, kwargs):
    return builtins.any(isinstance(a, Tensor) for a in (*args, *kwargs.values()))


def _requires_grad(args, kwargs):
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor) and a.requires_grad:
            return True
        if isinstance(a, (list, tuple)) and builtins.any(isinstance(t, Tensor) and t.requires_grad for t in a):
            return True
    return False


def _creation_dtype(kwargs, o):
    """``kwargs`` with out's dtype as ``dtype`` (PyTorch's error when another one is asked for)."""
    from . import _dtype as D

    dtype = kwargs.get("dtype")
    if dtype is not None and D.as_dtype(dtype).np != o._data.dtype:
        raise RuntimeError(f"dtype {_scalar(D.as_dtype(dtype).np)} does not match dtype of out parameter "
                           f"({_scalar(o._data.dtype)})")
    return dict(kwargs, dtype=o.dtype)


def _dtype_messages(name, rule, args, kwargs, n):
    """The dtype check of each output: (kind, message) pairs, ``kind`` one of "cast", "same", "float", None."""
    if name in ("max", "min") and n == 1:          # max(x, other) casts; max(x) must be castable
        other = len(args) > 1 and isinstance(args[1], Tensor) or isinstance(kwargs.get("other"), Tensor)
        return [(_CAST, _CAST_MESSAGE if other else
                 "Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType(out.dtype())) to be "
                 "true, but got false.  (Could this error message be improved?  If so, please report an "
                 "enhancement request to PyTorch.)")]
    if name in ("clamp", "clip") and (_any_tensor(args[1:], {k: v for k, v in kwargs.items() if k != "input"})):
        return [(_CAST, _CAST_MESSAGE)]              # tensor bounds: a broadcasting op that casts
    if rule == _SAME:
        messages = _SAME_DTYPE[name]
        messages = messages if isinstance(messages, tuple) else (messages,) * n
        return [(_SAME, m) for m in messages]
    if rule in (_CAST, _FLOAT):
        return [(rule, _CAST_MESSAGES.get(name, _CAST_MESSAGE))] * n
    return [(None, "")] * n


def _check_out_dtype(name, check, res, out):
    kind, message = check
    if kind == _CAST:
        ok = _category(res) <= _category(out)
    elif kind == _SAME:
        ok = res == out
    elif kind == _FLOAT:
        ok = out.kind == "f"
    else:
        return
    if not ok:
        error = TypeError if message.startswith("torch.cat()") else RuntimeError
        raise error(message.format(name=name, res=_scalar(res), out=_scalar(out), res_c=_C_NAMES[res.name],
                                   out_c=_C_NAMES[out.name], int32=res == np.int32))


def _category(dt):
    return {"b": 0, "u": 1, "i": 1, "f": 2}[dt.kind]


def _scalar(dt):
    return _scalar_name(np.dtype(dt))


def _write_out(name, o, r, rule, copied):
    """Write result ``r`` into ``o``: resized first when the shapes differ, values cast to ``o``'s dtype."""
    from .autograd.versions import bump

    shape = r._data.shape
    if o._data.shape != shape:
        if rule == _CREATION:
            if name == "arange" and o._data.size:
                warnings.warn(f"The number of elements in the out tensor of shape {list(o._data.shape)} is "
                              f"{o._data.size} which does not match the computed number of elements {r._data.size}. "
                              "Note that this may occur as a result of rounding error. The out tensor will be "
                              f"resized to a tensor of shape ({r._data.size},).", UserWarning, stacklevel=4)
        elif o._data.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(o._data.shape)}, "
                          f"which does not match the required output shape {list(shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                          "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                          "elements with t.resize_(0).", UserWarning, stacklevel=4)
        _resize(o, shape)
    if copied and r.requires_grad:
        o.copy_(r)
        return
    np.copyto(o._data, r._data, casting="unsafe")
    bump(o._data)


def _resize(o, shape):
    """``o`` given ``shape``, in its own memory when that holds enough elements (as PyTorch's ``resize_``)."""
    a = o._data
    n = int(np.prod(shape))
    if a.flags.c_contiguous and a.size >= n:
        o._data = a.reshape(-1)[:n].reshape(shape)
    else:
        o._data = np.empty(shape, a.dtype)


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
_LAZY_HOME = {name: module for module, names in _LAZY_MODULES.items() for name in names}
# the lazy functions with a dim that PyTorch's parser also takes as NumPy's ``axis`` (True: and keepdim as keepdims)
_LAZY_NUMPY_NAMES = {"quantile": True, "nanquantile": True, "nanmedian": True, "trapezoid": False, "trapz": False,
                     "cumulative_trapezoid": False, "renorm": False, "cross": False, "index_reduce": False,
                     "select_scatter": False, "slice_scatter": False, "split_with_sizes": False}
# a lazy function that PyTorch gives out= (or NumPy's names) is reached through this module's __getattr__, which
# gives it those keywords when its module loads
_LAZY = {name: ".functions" if name in _OUT or name in _LAZY_NUMPY_NAMES else module
         for name, module in _LAZY_HOME.items()}


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


def max(input, *args, **kwargs):  # noqa: A001
    """Largest element, or (values, indices) along ``dim``; with a tensor ``other``, elementwise max."""
    return input.max(*args, **kwargs)


def min(input, *args, **kwargs):  # noqa: A001
    """Smallest element, or (values, indices) along ``dim``; with a tensor ``other``, elementwise min."""
    return input.min(*args, **kwargs)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm``: ``input.norm(p, dim, keepdim, dtype=dtype)``, written into ``out`` when given."""
    if out is not None:
        return _into_out("norm", norm, (input, p, dim, keepdim), {"dtype": dtype}, out)
    if not isinstance(input, Tensor):
        input = tensor(input)
    return input.norm(p, dim, keepdim, dtype=dtype)


norm.keywords_given = True
__all__ += ["norm"]


def _numpy_dim(name, dim, keepdim, axis, keepdims):
    """``dim`` and ``keepdim`` given as themselves or as NumPy's ``axis`` and ``keepdims``."""
    kwargs = {k: v for k, v in (("axis", axis), ("keepdims", keepdims)) if v is not None}
    if dim is not None:
        kwargs["dim"] = dim
    numpy_names(kwargs, name)
    return kwargs.get("dim"), kwargs.get("keepdim", keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, correction=None, *, axis=None, keepdims=None):
    """The standard deviation and the mean over ``dim`` (see ``Tensor.std``)."""
    dim, keepdim = _numpy_dim("std_mean", dim, keepdim, axis, keepdims)
    return input.std(dim, unbiased, keepdim, correction), input.mean(dim, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, correction=None, *, axis=None, keepdims=None):
    """The variance and the mean over ``dim`` (see ``Tensor.var``)."""
    dim, keepdim = _numpy_dim("var_mean", dim, keepdim, axis, keepdims)
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


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise ``p``-norm distances between rows (:func:`npgrad.ops.products.cdist`)."""
    from .ops.products import cdist as distances
    return distances(x1, x2, p, compute_mode)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def zeros_like_grad(x):
    return Tensor._wrap(np.zeros_like(_raw(x)))


def from_dlpack(ext):
    return Tensor._wrap(np.from_dlpack(ext))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion indices of ``input`` into the sorted last dim of ``sorted_sequence`` (:mod:`npgrad.ops.searching`)."""
    from .ops.searching import searchsorted as search
    return search(sorted_sequence, input, out_int32=out_int32, right=right, side=side, sorter=sorter)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the 1-d sorted ``boundaries`` (:mod:`npgrad.ops.searching`)."""
    from .ops.searching import bucketize as buckets
    return buckets(input, boundaries, out_int32=out_int32, right=right)


def numpy_like(t):
    return t._data


from . import _tensor_str  # noqa: E402  (how tensors print)

set_printoptions = _tensor_str.set_printoptions   # get_printoptions stays in _tensor_str, as in PyTorch


_num_threads = []   # the count given to set_num_threads, once it was called


def set_num_threads(n):
    """The number of threads npgrad's kernels run on (its compiled loops and NumPy's OpenBLAS products), as
    ``torch.set_num_threads`` sets the threads of torch's intra-op work; :func:`get_num_threads` returns it."""
    if not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _num_threads[:] = [int(n)]
    try:
        import numba

        numba.set_num_threads(builtins.max(1, builtins_min(n, numba.config.NUMBA_NUM_THREADS)))
    except Exception:  # numba missing or threads fixed: nothing to change
        pass
    from .kernels.conv import _openblas

    lib = _openblas()
    if lib is not None:
        lib.scipy_openblas_set_num_threads64_(int(n))


def get_num_threads():
    """The count of the last :func:`set_num_threads`, else the CPUs this process may run on (read once)."""
    if not _num_threads:
        import os

        try:
            _num_threads.append(len(os.sched_getaffinity(0)) or 1)
        except AttributeError:  # not on Linux
            _num_threads.append(os.cpu_count() or 1)
    return _num_threads[0]


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


# --------------------------------------------------------------------------- functions of tensor.py and random.py
# with PyTorch's argument names (``matmul(input, other)``, ``split(tensor, split_size_or_sections)``, NumPy's
# ``axis`` for ``cat``/``stack``) and, below, ``out=``
def cat(tensors, dim=0, *, axis=None):
    """``tensors`` joined along ``dim`` (see ``npgrad.tensor.cat``)."""
    return _tensor.cat(tensors, dim if axis is None else axis)


def stack(tensors, dim=0, *, axis=None):
    """``tensors`` stacked along a new dim ``dim`` (see ``npgrad.tensor.stack``)."""
    return _tensor.stack(tensors, dim if axis is None else axis)


concat = concatenate = cat


def matmul(input, other):
    """The matrix product of ``input`` and ``other``, broadcast over batch dims (see ``npgrad.tensor.matmul``)."""
    return _tensor.matmul(input, other)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size_or_sections`` elements (or of the sizes it lists) along ``dim``."""
    return tensor.split(split_size_or_sections, dim)


_tensor = sys.modules[f"{__package__}.tensor"]
_random = sys.modules[f"{__package__}.random"]
for _module, _names in ((_tensor, ("where", "zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye")),
                        (_random, ("rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial"))):
    for _name in _names:
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
__all__ += ["cat", "stack", "concat", "concatenate", "matmul", "split"]

# every function above that PyTorch gives ``out=`` takes it (those of _make already do)
for _name in __all__:
    _value = globals().get(_name)
    if _name in _OUT and callable(_value) and not getattr(_value, "keywords_given", False):
        globals()[_name] = _with_out(_name, _value)
__all__ = list(dict.fromkeys(__all__ + list(_LAZY)))  # each name once


def __getattr__(name):
    """Loads the module that defines the lazily exported ``name`` and returns its function (given ``out=`` where
    PyTorch's takes it, in its module too, so that both names stay the one function)."""
    module = _LAZY_HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    mod = importlib.import_module(module, __package__)
    value = getattr(mod, name)
    given = name in _OUT or name in _LAZY_NUMPY_NAMES
    if given and name in vars(mod) and not getattr(value, "keywords_given", False):
        if name in _LAZY_NUMPY_NAMES:
            value = _taking_numpy_names(value, _LAZY_NUMPY_NAMES[name])
        value = _with_out(name, value) if name in _OUT else value
        value.keywords_given = True
        setattr(mod, name, value)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
