"""``torch.testing``: ``assert_close`` with PyTorch's tolerances and messages, and ``make_tensor``.

``assert_close(actual, expected)`` passes when, elementwise,

.. math:: |\\text{actual} - \\text{expected}| \\le \\text{atol} + \\text{rtol} \\cdot |\\text{expected}|

with ``rtol``/``atol`` from the dtype when not given (both or neither): float16 (1e-3, 1e-5), float32
(1.3e-6, 1e-5), float64 (1e-7, 1e-7), exact equality for integers and bools. Inputs may be tensors,
NumPy arrays, Python numbers or nested sequences/mappings of them. A failure raises PyTorch's
``AssertionError`` text::

    Tensor-likes are not close!

    Mismatched elements: 1 / 3 (33.3%)
    Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)
    Greatest relative difference: 0.2 at index (1,) (up to 1.3e-06 allowed)

Example:
    >>> import npgrad as torch
    >>> torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
"""
from __future__ import annotations

import cmath
import collections.abc
import contextlib
import math
import warnings

import numpy as np

from . import _dtype as D
from .tensor import Tensor, as_tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

_DTYPE_PRECISIONS = {D.float16: (0.001, 1e-5), D.float32: (1.3e-6, 1e-5), D.float64: (1e-7, 1e-7)}
_NUMBER_DTYPES = {int: D.int64, float: D.float64, complex: D.float64}  # complex128's tolerances are float64's


class ErrorMeta(Exception):
    """A comparison failure: the exception type and message to raise, and where in a nested input it is."""

    def __init__(self, type, msg, *, id=()):
        super().__init__(msg)
        self.type = type
        self.msg = msg
        self.id = id

    def to_error(self, msg=None) -> Exception:
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class UnsupportedInputs(Exception):
    """Raised by a pair type that cannot handle the inputs, so the next one is tried."""


def default_tolerances(*inputs, dtype_precisions=None):
    """The loosest (rtol, atol) of the inputs' dtypes (tensors or dtypes)."""
    dtypes = []
    for x in inputs:
        if isinstance(x, Tensor):
            dtypes.append(x.dtype)
        elif isinstance(x, D.dtype):
            dtypes.append(x)
        else:
            raise TypeError(f"Expected a torch.Tensor or a torch.dtype, but got {type(x)} instead.")
    precisions = dtype_precisions or _DTYPE_PRECISIONS
    rtols, atols = zip(*[precisions.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def get_tolerances(*inputs, rtol, atol, id=()):
    if (rtol is None) ^ (atol is None):
        raise ErrorMeta(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                        f"{'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    return default_tolerances(*inputs)


def _make_mismatch_msg(*, default_identifier, identifier=None, extra=None, abs_diff, abs_diff_idx=None, atol,
                       rel_diff, rel_diff_idx=None, rtol):
    equality = rtol == 0 and atol == 0

    def make_diff_msg(*, type, diff, idx, tol):
        if idx is None:
            msg = f"{type.title()} difference: {diff}"
        else:
            msg = f"Greatest {type} difference: {diff} at index {idx}"
        if not equality:
            msg += f" (up to {tol} allowed)"
        return msg + "\n"

    if identifier is None:
        identifier = default_identifier
    elif callable(identifier):
        identifier = identifier(default_identifier)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += make_diff_msg(type="absolute", diff=abs_diff, idx=abs_diff_idx, tol=atol)
    msg += make_diff_msg(type="relative", diff=rel_diff, idx=rel_diff_idx, tol=rtol)
    return msg.strip()


def make_scalar_mismatch_msg(actual, expected, *, rtol, atol, identifier=None):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _make_mismatch_msg(default_identifier="Scalars", identifier=identifier,
                              extra=f"Expected {expected} but got {actual}.", abs_diff=abs_diff, atol=atol,
                              rel_diff=rel_diff, rtol=rtol)


def make_tensor_mismatch_msg(actual: np.ndarray, expected: np.ndarray, matches: np.ndarray, *, rtol, atol,
                             identifier=None):
    """The message for arrays that differ where ``matches`` is False (differences computed as PyTorch does:
    in the arrays' dtype, integers through int64, relative differences of integers in the default dtype)."""
    n = matches.size
    mismatches = n - int(matches.sum())
    extra = f"Mismatched elements: {mismatches} / {n} ({mismatches / n:.1%})"
    a, e = actual.ravel(), expected.ravel()
    if a.dtype.kind in "biu":
        a, e = a.astype(np.int64), e.astype(np.int64)
    abs_diff = np.abs(a - e)
    abs_diff[matches.ravel()] = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if abs_diff.dtype.kind == "f":
            rel_diff = abs_diff / np.abs(e)
        else:
            fdt = D.get_default_dtype().np
            rel_diff = abs_diff.astype(fdt) / np.abs(e).astype(fdt)
    rel_diff[matches.ravel()] = 0
    abs_idx, rel_idx = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))
    return _make_mismatch_msg(default_identifier="Tensor-likes", identifier=identifier, extra=extra,
                              abs_diff=abs_diff[abs_idx].item(),
                              abs_diff_idx=tuple(int(i) for i in np.unravel_index(abs_idx, matches.shape)),
                              atol=atol, rel_diff=rel_diff[rel_idx].item(),
                              rel_diff_idx=tuple(int(i) for i in np.unravel_index(rel_idx, matches.shape)),
                              rtol=rtol)


# --------------------------------------------------------------------------- pairs of inputs


class Pair:
    """Two inputs to compare; subclasses raise ``UnsupportedInputs`` in ``__init__`` for inputs they don't take."""

    def __init__(self, actual, expected, *, id=(), **unknown_parameters):
        self.actual = actual
        self.expected = expected
        self.id = id

    @staticmethod
    def _inputs_not_supported():
        raise UnsupportedInputs

    @staticmethod
    def _check_inputs_isinstance(*inputs, cls):
        if not all(isinstance(x, cls) for x in inputs):
            Pair._inputs_not_supported()

    def _fail(self, type, msg):
        raise ErrorMeta(type, msg, id=self.id)

    def compare(self):
        raise NotImplementedError


class NonePair(Pair):
    def __init__(self, actual, expected, **other_parameters):
        if not (actual is None or expected is None):
            self._inputs_not_supported()
        super().__init__(actual, expected, **other_parameters)

    def compare(self):
        if not (self.actual is None and self.expected is None):
            self._fail(AssertionError, f"None mismatch: {self.actual} is not {self.expected}")


class BooleanPair(Pair):
    def __init__(self, actual, expected, *, id, **other_parameters):
        self._check_inputs_isinstance(actual, expected, cls=(bool, np.bool_))
        actual, expected = (bool(x) for x in (actual, expected))
        super().__init__(actual, expected, id=id, **other_parameters)

    def compare(self):
        if self.actual is not self.expected:
            self._fail(AssertionError, f"Booleans mismatch: {self.actual} is not {self.expected}")


class NumberPair(Pair):
    def __init__(self, actual, expected, *, id=(), rtol=None, atol=None, equal_nan=False, check_dtype=False,
                 **other_parameters):
        self._check_inputs_isinstance(actual, expected, cls=(int, float, complex, np.number))
        actual, expected = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
        super().__init__(actual, expected, id=id, **other_parameters)
        self.rtol, self.atol = get_tolerances(*[_NUMBER_DTYPES[type(x)] for x in (actual, expected)], rtol=rtol,
                                              atol=atol, id=id)
        self.equal_nan = equal_nan
        self.check_dtype = check_dtype

    def compare(self):
        if self.check_dtype and type(self.actual) is not type(self.expected):
            self._fail(AssertionError, f"The (d)types do not match: {type(self.actual)} != {type(self.expected)}.")
        if self.actual == self.expected:
            return
        if self.equal_nan and cmath.isnan(self.actual) and cmath.isnan(self.expected):
            return
        abs_diff = abs(self.actual - self.expected)
        tolerance = self.atol + self.rtol * abs(self.expected)
        if cmath.isfinite(abs_diff) and abs_diff <= tolerance:
            return
        self._fail(AssertionError, make_scalar_mismatch_msg(self.actual, self.expected, rtol=self.rtol,
                                                            atol=self.atol))


def _isclose(a: np.ndarray, b: np.ndarray, rtol, atol, equal_nan) -> np.ndarray:
    """PyTorch's ``isclose``: equal values (infinities of one sign included), NaNs if ``equal_nan``, and finite
    differences within ``atol + rtol * |b|``, computed in the inputs' dtype."""
    close = a == b
    if a.dtype.kind == "f":
        if equal_nan:
            close |= np.isnan(a) & np.isnan(b)
        if rtol or atol:
            with np.errstate(invalid="ignore", over="ignore"):
                allowed = a.dtype.type(atol) + np.abs(a.dtype.type(rtol) * b)
                error = np.abs(a - b)
                close |= np.isfinite(error) & (error <= allowed)
    elif rtol or atol:
        fdt = D.get_default_dtype().np
        return _isclose(a.astype(fdt), b.astype(fdt), rtol, atol, equal_nan)
    return close


class TensorLikePair(Pair):
    def __init__(self, actual, expected, *, id=(), allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, **other_parameters):
        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not allow_subclasses and type(actual) is not type(expected)):
            self._inputs_not_supported()
        actual, expected = (self._to_tensor(x) for x in (actual, expected))
        super().__init__(actual, expected, id=id, **other_parameters)
        self.rtol, self.atol = get_tolerances(actual, expected, rtol=rtol, atol=atol, id=self.id)
        self.equal_nan = equal_nan
        self.check_device = check_device
        self.check_dtype = check_dtype
        self.check_layout = check_layout
        self.check_stride = check_stride

    def _to_tensor(self, tensor_like):
        if isinstance(tensor_like, Tensor):
            return tensor_like
        try:
            return as_tensor(tensor_like)
        except Exception:
            self._inputs_not_supported()

    def compare(self):
        actual, expected = self.actual, self.expected

        def mismatch(attribute, a, e):
            self._fail(AssertionError, f"The values for attribute '{attribute}' do not match: {a} != {e}.")

        if actual.shape != expected.shape:
            mismatch("shape", actual.shape, expected.shape)
        if self.check_stride and actual.stride() != expected.stride():
            mismatch("stride()", actual.stride(), expected.stride())
        if self.check_device and actual.device != expected.device:
            mismatch("device", actual.device, expected.device)
        if self.check_dtype and actual.dtype != expected.dtype:
            mismatch("dtype", actual.dtype, expected.dtype)
        a, e = actual._data, expected._data
        if a.dtype != e.dtype:
            from .functions import promote_types

            common = promote_types(actual.dtype, expected.dtype).np
            a, e = a.astype(common), e.astype(common)
        matches = _isclose(a, e, self.rtol, self.atol, self.equal_nan)
        if matches.all():
            return
        if a.ndim == 0:
            msg = make_scalar_mismatch_msg(a.item(), e.item(), rtol=self.rtol, atol=self.atol)
        else:
            msg = make_tensor_mismatch_msg(a, e, matches, rtol=self.rtol, atol=self.atol)
        self._fail(AssertionError, msg)


def originate_pairs(actual, expected, *, pair_types, id=(), **options):
    """The pairs to compare, recursing through sequences (not strings) and mappings."""
    sequence = collections.abc.Sequence
    if (isinstance(actual, sequence) and not isinstance(actual, str) and isinstance(expected, sequence)
            and not isinstance(expected, str)):
        if len(actual) != len(expected):
            raise ErrorMeta(AssertionError, f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}", id=id)
        pairs = []
        for idx in range(len(actual)):
            pairs.extend(originate_pairs(actual[idx], expected[idx], pair_types=pair_types, id=(*id, idx),
                                         **options))
        return pairs
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            raise ErrorMeta(AssertionError, "The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                            f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}", id=id)
        keys = actual_keys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        pairs = []
        for key in keys:
            pairs.extend(originate_pairs(actual[key], expected[key], pair_types=pair_types, id=(*id, key),
                                         **options))
        return pairs
    for pair_type in pair_types:
        try:
            return [pair_type(actual, expected, id=id, **options)]
        except UnsupportedInputs:
            continue
        except ErrorMeta:
            raise
        except Exception as error:
            raise RuntimeError(f"Originating a {pair_type.__name__}() at item {''.join(str([i]) for i in id)} "
                               f"with\n\n{type(actual).__name__}(): {actual}\n\nand\n\n{type(expected).__name__}(): "
                               f"{expected}\n\nresulted in the unexpected exception above.") from error
    raise ErrorMeta(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.", id=id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Assert that ``actual`` and ``expected`` are close (see the module docstring).

    ``msg`` replaces the generated message, or (a callable) rewrites it. With ``check_dtype=False``
    tensors of different dtypes are compared after promotion to a common dtype, and Python numbers of
    different types are compared.
    """
    __tracebackhide__ = True
    try:
        pairs = originate_pairs(actual, expected, pair_types=(NonePair, BooleanPair, NumberPair, TensorLikePair),
                                allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                                check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
                                check_stride=check_stride)
    except ErrorMeta as error_meta:
        raise error_meta.to_error() from None
    for pair in pairs:
        try:
            pair.compare()
        except ErrorMeta as error_meta:
            raise error_meta.to_error(msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated since PyTorch 1.12: ``assert_close`` with looser defaults and ``check_dtype=False``."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
                  "release. Please use `torch.testing.assert_close()` instead. You can find detailed upgrade "
                  "instructions in https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    from .tensor import tensor

    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = default_tolerances(actual, expected, dtype_precisions={
            D.float16: (1e-3, 1e-3), D.float32: (1e-4, 1e-5), D.float64: (1e-5, 1e-8)})
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False,
                 check_stride=False, msg=msg or None)


# --------------------------------------------------------------------------- make_tensor

_INTEGRAL = (D.uint8, D.int8, D.int16, D.int32, D.int64)
_FLOATING = (D.float16, D.float32, D.float64)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)`` (defaults by dtype: bool [0, 2),
    uint8 [0, 10), signed integers [-9, 10), floats [-9, 9)); values clamped to the dtype's finite range.

    The values are drawn as PyTorch's draws them (``randint``, or ``uniform_`` on half the range when the
    range is wider than the dtype's largest value), so a seed gives PyTorch's tensor.
    """
    from . import _sampling
    from .random import default_generator
    from .tensor import check_device

    check_device(device)  # the CPU, or PyTorch's error for a device npgrad lacks

    def modify_low_high(low, high, *, lowest_inclusive, highest_exclusive, default_low, default_high):
        low = default_low if low is None else low
        high = default_high if high is None else high
        if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
        if low == high and dtype in _FLOATING:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is "
                          "deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                          FutureWarning, stacklevel=3)
        elif low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        elif high < lowest_inclusive or low >= highest_exclusive:
            raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} only "
                             f"supports [{lowest_inclusive}, {highest_exclusive})")
        low = min(max(low, lowest_inclusive), highest_exclusive)
        high = min(max(high, lowest_inclusive), highest_exclusive)
        if dtype is D.bool_ or dtype in _INTEGRAL:
            return math.ceil(low), math.ceil(high)
        return low, high

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    dtype = D.as_dtype(dtype)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and (dtype is D.bool_ or dtype in _INTEGRAL):
        raise ValueError("`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype is D.bool_:
        low, high = modify_low_high(low, high, lowest_inclusive=0, highest_exclusive=2, default_low=0,
                                    default_high=2)
        values = _sampling.random_from_to(default_generator, math.prod(shape), low, high, np.bool_).reshape(shape)
    elif dtype in _INTEGRAL:
        info = np.iinfo(dtype.np)
        low, high = modify_low_high(low, high, lowest_inclusive=int(info.min),
                                    highest_exclusive=int(info.max) + (1 if dtype is not D.int64 else 0),
                                    default_low=-9, default_high=10)
        values = _sampling.random_from_to(default_generator, math.prod(shape), low, high, dtype.np).reshape(shape)
    elif dtype in _FLOATING:
        info = np.finfo(dtype.np)
        low, high = modify_low_high(low, high, lowest_inclusive=float(info.min), highest_exclusive=float(info.max),
                                    default_low=-9, default_high=9)
        n = math.prod(shape)
        if high - low >= float(info.max):  # uniform_ needs high - low to be finite: the range halved, then doubled
            values = _sampling.uniform(default_generator, n, dtype.np, low / 2, high / 2) * dtype.np.type(2)
        else:
            values = _sampling.uniform(default_generator, n, dtype.np, low, high)
        values = values.reshape(shape)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor(). To request "
                        "support, file an issue at: https://github.com/pytorch/pytorch/issues")
    if noncontiguous:
        values = values[..., 1::2]
    if exclude_zero:
        values[values == 0] = 1 if dtype is D.bool_ or dtype in _INTEGRAL else np.finfo(dtype.np).tiny
    result = Tensor._wrap(values)
    if dtype in _FLOATING:
        result.requires_grad = requires_grad
    return result
