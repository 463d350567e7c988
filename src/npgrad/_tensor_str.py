"""How tensors print: ``repr(t)``, ``str(t)`` and ``print(t)`` give PyTorch's text (``torch._tensor_str``).

The layout follows PyTorch's rules:

* every element of a tensor gets the same width, the widest of the *shown* elements (a summarised tensor is
  measured on the elements it shows, not on the hidden ones);
* floats print in one of three modes chosen from the nonzero finite shown values: *int mode* (``1.``, all of
  them whole numbers), *fixed* (``1.2346``, ``precision`` decimals) or *scientific* (``1.2346e+05``), used when
  ``max / min > 1000``, ``max > 1e8`` or ``min < 1e-4`` of their magnitudes (or as ``sci_mode`` forces);
* a row holds ``floor((linewidth - indent) / (width + 2))`` elements, ``indent`` being the column the row's
  ``[`` opens in (``tensor(`` is 7 characters, each nesting level adds one);
* a tensor of more than ``threshold`` elements is summarised: ``edgeitems`` items at each end of every dim,
  with ``...`` in between;
* ``dtype=``, ``grad_fn=<...>`` or ``requires_grad=True`` follow the values, on a new line when the last line
  would grow past ``linewidth``.

Example:
    >>> import npgrad
    >>> npgrad.tensor([1.0, 2.5, -3.0])
    tensor([ 1.0000,  2.5000, -3.0000])
    >>> npgrad.set_printoptions(precision=2)
    >>> npgrad.tensor([1.0, 2.5, -3.0])
    tensor([ 1.00,  2.50, -3.00])
    >>> npgrad.set_printoptions(profile="default")
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from typing import Any

import numpy as np

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Set how tensors print (``torch.set_printoptions``).

    Args:
        precision: digits after the decimal point of floats (default 4).
        threshold: tensors of more elements than this are summarised (default 1000).
        edgeitems: items shown at each end of every dim of a summarised tensor (default 3).
        linewidth: characters per line, where rows wrap (default 80).
        profile: ``"default"``, ``"short"`` (precision 2, edgeitems 2) or ``"full"`` (never summarise),
            applied before the other arguments.
        sci_mode: ``True`` / ``False`` force scientific / fixed notation for floats; ``None`` (what every call
            that does not pass it sets) lets the values decide.

    Example:
        >>> import npgrad
        >>> npgrad.set_printoptions(threshold=5)
        >>> npgrad.arange(10)
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> npgrad.set_printoptions(profile="default")
        >>> npgrad.arange(10)
        tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = math.inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options as a dict that ``set_printoptions(**options)`` takes back.

    Example:
        >>> import npgrad
        >>> npgrad._tensor_str.get_printoptions()
        {'precision': 4, 'threshold': 1000, 'edgeitems': 3, 'linewidth': 80, 'sci_mode': None}
    """
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options inside a ``with`` block (the arguments of ``set_printoptions``).

    Example:
        >>> import npgrad
        >>> with npgrad._tensor_str.printoptions(precision=1):
        ...     print(npgrad.tensor([1.25, 2.0]))
        tensor([1.2, 2.0])
    """
    old_kwargs = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_kwargs)


class _Formatter:
    """The width and notation shared by all the elements of one tensor, measured on ``a`` (the shown values)."""

    def __init__(self, a):
        self.floating_dtype = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        values = a.reshape(-1)
        if not self.floating_dtype:
            if values.size:   # the longest text is that of the smallest or of the largest value
                self.max_width = max(1, len(str(values.min().item())), len(str(values.max().item())))
            return
        nonzero_finite = values[np.isfinite(values) & (values != 0)]
        if nonzero_finite.size == 0:
            return
        magnitude = np.abs(nonzero_finite.astype(np.float64))
        nonzero_min, nonzero_max = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = nonzero_max / nonzero_min > 1000.0 or nonzero_max > 1.0e8 or nonzero_min < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        # Rounding to a fixed number of digits is monotone, so the widest text is that of the value of largest
        # or of smallest magnitude among the positive or among the negative ones (the exponent of the
        # scientific notation grows at both ends).
        candidates = []
        for part in (nonzero_finite[nonzero_finite > 0], nonzero_finite[nonzero_finite < 0]):
            if part.size:
                part_abs = np.abs(part)
                candidates += [part[np.argmax(part_abs)].item(), part[np.argmin(part_abs)].item()]
        precision = PRINT_OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{precision}e}") for v in candidates]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in candidates]   # the "." that marks a float
        else:
            widths = [len(f"{v:.{precision}f}") for v in candidates]
        self.max_width = max([self.max_width] + widths)

    def width(self):
        return self.max_width

    def format(self, value):
        """The text of one Python number, right-aligned to the common width."""
        return self.format_all([value])[0]

    def format_all(self, values):
        """The texts of a list of Python numbers, each right-aligned to the common width."""
        width = self.max_width
        if not self.floating_dtype:
            return [f"{v}".rjust(width) for v in values]
        precision = PRINT_OPTS.precision
        if self.sci_mode:
            return [f"{v:{width}.{precision}e}".rjust(width) for v in values]
        if self.int_mode:
            return [(f"{v:.0f}." if math.isfinite(v) else f"{v:.0f}").rjust(width) for v in values]
        return [f"{v:.{precision}f}".rjust(width) for v in values]


def get_summarized_data(a):
    """The elements a summarised print shows: ``edgeitems`` at each end of every dim longer than twice that."""
    edge = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        if a.shape[0] > 2 * edge:
            return np.concatenate((a[:edge], a[-edge:]))   # edge == 0 keeps it all, as PyTorch does
        return a
    if not edge:
        return np.empty([0] * a.ndim, dtype=a.dtype)
    index = [np.r_[0:edge, n - edge:n] if n > 2 * edge else np.arange(n) for n in a.shape]
    return a[np.ix_(*index)]


def _vector_str(texts, summarized, indent, formatter):
    """One innermost row: its element texts joined by ``, ``, wrapped to ``linewidth``."""
    element_length = formatter.width() + 2
    elements_per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems
    if summarized and not edge:
        data = ["..."]
    elif summarized:
        data = list(texts[:edge]) + [" ..."] + list(texts[-edge:])
    else:
        data = list(texts)
    lines = [", ".join(data[i:i + elements_per_line]) for i in range(0, len(data), elements_per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(texts, summarized, indent, formatter):
    """Nested brackets over an array of element texts; ``summarized[d]``: dim ``d`` shows ``...``."""
    dim = texts.ndim
    if dim == 0:
        return str(texts[()])
    if dim == 1:
        return _vector_str(texts, summarized[0], indent, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarized[0]:
        slices = ([_tensor_str_with_formatter(texts[i], summarized[1:], indent + 1, formatter)
                   for i in range(edge)]
                  + ["..."]
                  + [_tensor_str_with_formatter(texts[i], summarized[1:], indent + 1, formatter)
                     for i in range(len(texts) - edge, len(texts))])
    else:
        slices = [_tensor_str_with_formatter(texts[i], summarized[1:], indent + 1, formatter)
                  for i in range(texts.shape[0])]
    tensor_str = ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices)
    return "[" + tensor_str + "]"


def _tensor_str(a, indent):
    """The bracketed values of array ``a`` printed from column ``indent`` on."""
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    shown = get_summarized_data(a) if summarize else a
    formatter = _Formatter(shown)
    flat = formatter.format_all(shown.reshape(-1).tolist())
    texts = np.empty(len(flat), dtype=object)
    texts[:] = flat
    texts = texts.reshape(shown.shape)
    summarized = [summarize and n > 2 * PRINT_OPTS.edgeitems for n in a.shape]
    return _tensor_str_with_formatter(texts, summarized, indent, formatter)


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    """``tensor_str`` followed by ``, suffix`` for each suffix, on a new line where the line would grow too long.

    A dtype counts with PyTorch's spelling (``torch.float16``, one character shorter than ``npgrad.float16``) so
    that the lines break where PyTorch's do.
    """
    tensor_strs = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix.replace("=npgrad.", "=torch."))
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


def _parameter_class():
    module = sys.modules.get("npgrad.nn.module")   # no Parameter exists before npgrad.nn is loaded
    return None if module is None else module.Parameter


def _str(t, *, tensor_contents=None):
    """``repr`` of tensor ``t`` (without the ``Parameter containing:`` line of a parameter)."""
    from . import _dtype as D
    from .tensor import Tensor

    parameter = _parameter_class()
    is_plain_tensor = type(t) is Tensor or (parameter is not None and type(t) is parameter)
    prefix = "tensor(" if is_plain_tensor else f"{type(t).__name__}("
    indent = len(prefix)
    suffixes = []
    a = t._data
    dtype = D.from_numpy_dtype(a.dtype)
    default_dtype = D.get_default_dtype()
    if a.size == 0:
        if a.ndim != 1:   # the shape is printed unless it is (0,), as NumPy does
            suffixes.append("size=" + str(tuple(a.shape)))
        if dtype != default_dtype:   # no element tells whether it is an integer tensor
            suffixes.append("dtype=" + str(dtype))
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(a.shape)))
        if dtype not in (default_dtype, D.int64, D.bool_):
            suffixes.append("dtype=" + str(dtype))
        tensor_str = _tensor_str(a, indent)
    if tensor_contents is not None:
        tensor_str = tensor_contents
    if t._node is not None:
        suffixes.append(f"grad_fn=<{t._node.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    string_repr = _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)
    if parameter is not None and isinstance(t, parameter) and not is_plain_tensor:
        string_repr = f"Parameter({string_repr})"
    return string_repr
