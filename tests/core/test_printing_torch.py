"""``repr`` / ``str`` / ``print`` / f-strings of tensors give PyTorch's text, under every print option.

Each case builds the same tensor in npgrad and in torch (``L`` is the library) from fixed NumPy data; torch's
text, with ``torch.`` spelled ``npgrad.``, is the reference.
"""
import math

import numpy as np
import pytest

import npgrad
from oracle import Golden

golden = Golden("printing_torch")

NAN, INF = math.nan, math.inf


def R(*shape, seed=0, scale=1.0, dtype=np.float32):
    """Fixed normal data of ``shape`` (float32 unless told)."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def _grad_leaf(L, data, dtype=None):
    return L.tensor(data, dtype=dtype, requires_grad=True)


# name -> builder of the tensor from the library ``L``
CASES = {
    # floats: fixed, int mode, scientific
    "randn_3x4": lambda L: L.tensor(R(3, 4)),
    "randn_2x3_f64": lambda L: L.tensor(R(2, 3, seed=1, dtype=np.float64)),
    "wide_range": lambda L: L.tensor([1e-5, 1.0, 1e5]),
    "tiny_and_one": lambda L: L.tensor([1e-10, 1.0]),
    "whole": lambda L: L.tensor([1.0, 2.0, 3.0]),
    "whole_neg": lambda L: L.tensor([-1.0, 20.0, -300.0]),
    "fixed_mixed": lambda L: L.tensor([0.1, 100.25]),
    "big_whole": lambda L: L.tensor([123456789.0]),
    "big_whole_1e8": lambda L: L.tensor([1e8, 1.0]),
    "whole_ratio_1000": lambda L: L.tensor([1000.0, 1.0]),
    "whole_ratio_1001": lambda L: L.tensor([1001.0, 1.0]),
    "huge_tiny": lambda L: L.tensor([1e20, 1e-20]),
    "exp3digits": lambda L: L.tensor([1e-200, 1.0, 1e200], dtype=L.float64),
    "rounds_up": lambda L: L.tensor([9.99996, 0.5]),
    "small_fixed": lambda L: L.tensor([0.0001, 0.05]),
    "just_below_1e-4": lambda L: L.tensor([0.0000999, 0.05]),
    "nan_inf_mix": lambda L: L.tensor([NAN, INF, -INF, 1.5]),
    "nan_inf_whole": lambda L: L.tensor([NAN, INF, -INF, 2.0]),
    "nan_inf_sci": lambda L: L.tensor([NAN, INF, 1e-6, 2.0]),
    "only_nan": lambda L: L.tensor([NAN, NAN]),
    "only_inf": lambda L: L.tensor([INF, -INF]),
    "neg_zero": lambda L: L.tensor([-0.0, 0.0]),
    "neg_zero_whole": lambda L: L.tensor([-0.0, 1.0, -2.0]),
    "neg_zero_fixed": lambda L: L.tensor([-0.0, 0.5]),
    "zeros": lambda L: L.zeros(2, 3),
    "neg_tiny_fixed": lambda L: L.tensor([-0.00011, 3.25]),
    # 0-d
    "scalar_fixed": lambda L: L.tensor(1e-3),
    "scalar_big": lambda L: L.tensor(12345.678),
    "scalar_whole": lambda L: L.tensor(3.0, dtype=L.float64),
    "scalar_neg_zero": lambda L: L.tensor(-0.0),
    "scalar_nan": lambda L: L.tensor(NAN),
    "scalar_tiny": lambda L: L.tensor(1e-10),
    "scalar_int16": lambda L: L.tensor(5, dtype=L.int16),
    "scalar_int": lambda L: L.tensor(-7),
    "scalar_bool": lambda L: L.tensor(True),
    # other dtypes
    "int64": lambda L: L.tensor([1, -20, 300]),
    "int64_extreme": lambda L: L.tensor([-9223372036854775808, 9223372036854775807, 0]),
    "int32": lambda L: L.tensor([1, 2], dtype=L.int32),
    "uint8": lambda L: L.tensor([0, 7, 255], dtype=L.uint8),
    "int8_2d": lambda L: L.tensor([[1, 2], [30, -4]], dtype=L.int8),
    "bool": lambda L: L.tensor([True, False]),
    "bool_true": lambda L: L.tensor([True, True]),
    "bool_2d": lambda L: L.tensor([[True, False, True], [False, False, True]]),
    "float16": lambda L: L.tensor([1.0, 2.0], dtype=L.float16),
    "float16_fixed": lambda L: L.tensor([0.1, 3.3, -65504.0], dtype=L.float16),
    "float16_sci": lambda L: L.tensor([1e-4, 1.0, 1000.5], dtype=L.float16),
    "float64_fixed": lambda L: L.tensor([1.5, 2.25], dtype=L.float64),
    # wrapping of rows
    "randn_2x12": lambda L: L.tensor(R(2, 12, seed=2)),
    "randn_3x30": lambda L: L.tensor(R(3, 30, seed=3)),
    "arange_30": lambda L: L.arange(30),
    "arange_100": lambda L: L.arange(100),
    "randn_1x8_sci": lambda L: L.tensor(R(1, 8, seed=4, scale=1e-6)),
    "thirds_2x20": lambda L: L.arange(40.0).reshape(2, 20) / 3,
    "randn_40": lambda L: L.tensor(R(40, seed=5)),
    "randn_4d": lambda L: L.tensor(R(2, 2, 2, 3, seed=6)),
    "arange_5d": lambda L: L.arange(32).reshape(2, 2, 2, 2, 2),
    "randn_3d_wrap": lambda L: L.tensor(R(2, 2, 11, seed=7)),
    # summarised (more than threshold elements)
    "arange_2000": lambda L: L.arange(2000),
    "arange_1001_float": lambda L: L.arange(1001.0),
    "arange_1000_float": lambda L: L.arange(1000.0),
    "arange_100x100": lambda L: L.arange(10000).reshape(100, 100),
    "zeros_2x1000": lambda L: L.zeros(2, 1000),
    "arange_10x10x30": lambda L: L.arange(3000).reshape(10, 10, 30),
    "arange_30x100": lambda L: L.arange(3000).reshape(30, 100),
    "randn_2000": lambda L: L.tensor(R(2000, seed=8)),
    "randn_100x100": lambda L: L.tensor(R(100, 100, seed=9)),
    "randn_50x50": lambda L: L.tensor(R(50, 50, seed=10)),
    "randn_1001_tiny": lambda L: L.tensor(R(1001, seed=11, scale=1e-5)),
    "bool_1500": lambda L: L.tensor([True] * 1500),
    "hidden_outlier": lambda L: L.tensor(np.r_[np.full(500, 0.5), 1e9, np.full(1000, 0.25)].astype(np.float32)),
    "summarised_4x5x60": lambda L: L.tensor(R(4, 5, 60, seed=12)),
    "summarised_short_dims": lambda L: L.tensor(R(6, 2, 100, seed=13)),
    # empty
    "empty_float": lambda L: L.tensor([]),
    "empty_int64": lambda L: L.tensor([], dtype=L.int64),
    "empty_bool": lambda L: L.zeros(0, dtype=L.bool),
    "empty_0x3": lambda L: L.zeros(0, 3),
    "empty_2x0": lambda L: L.zeros(2, 0),
    "empty_2x0x3_f64": lambda L: L.zeros(2, 0, 3, dtype=L.float64),
    "empty_grad": lambda L: L.zeros(0, requires_grad=True),
    "empty_0x2_f64_grad_fn": lambda L: L.zeros(0, 2, dtype=L.float64, requires_grad=True) * 2,
    # autograd suffixes
    "requires_grad": lambda L: _grad_leaf(L, [1.0, 2.0]),
    "grad_fn": lambda L: _grad_leaf(L, [1.0, 2.0]) * 2,
    "grad_fn_scalar": lambda L: (_grad_leaf(L, [1.0, 2.0]) * 2).sum(),
    "grad_fn_2d": lambda L: _grad_leaf(L, [1.0, 2.0]).view(2, 1),
    "requires_grad_scalar": lambda L: L.tensor(1.0, requires_grad=True),
    "f64_requires_grad": lambda L: _grad_leaf(L, [1.5, 2.0], L.float64),
    "f64_grad_fn_wraps": lambda L: _grad_leaf(L, R(9, seed=14, dtype=np.float64), L.float64) * 2,
    "grad_fn_long_row": lambda L: _grad_leaf(L, R(8, seed=15)).exp(),
    "requires_grad_long_row": lambda L: _grad_leaf(L, R(9, seed=16)),
    "requires_grad_wrapped": lambda L: _grad_leaf(L, R(30, seed=17)),
    "f16_requires_grad": lambda L: _grad_leaf(L, [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0], L.float16),
    "grad_fn_summarised": lambda L: _grad_leaf(L, R(1200, seed=18)) * 3,
}

# print options -> the cases they are checked on (the default options are checked on every case)
SOME = ["randn_3x4", "randn_2x3_f64", "wide_range", "whole", "fixed_mixed", "huge_tiny", "nan_inf_mix",
        "neg_zero_whole", "scalar_fixed", "scalar_whole", "int64", "bool", "float16_fixed", "randn_3x30",
        "arange_30", "randn_4d", "arange_2000", "arange_100x100", "randn_2000", "randn_100x100",
        "arange_10x10x30", "empty_0x3", "empty_int64", "f64_grad_fn_wraps", "requires_grad_wrapped",
        "summarised_short_dims", "hidden_outlier"]
OPTIONS = {
    "precision2": dict(precision=2),
    "precision0": dict(precision=0),
    "precision8": dict(precision=8),
    "sci_on": dict(sci_mode=True),
    "sci_off": dict(sci_mode=False),
    "threshold5": dict(threshold=5),
    "threshold0": dict(threshold=0),
    "edgeitems1": dict(edgeitems=1),
    "edgeitems0": dict(edgeitems=0),
    "edgeitems0_threshold5": dict(edgeitems=0, threshold=5),
    "edgeitems5_threshold10": dict(edgeitems=5, threshold=10),
    "linewidth20": dict(linewidth=20),
    "linewidth1": dict(linewidth=1),
    "linewidth200": dict(linewidth=200),
    "short": dict(profile="short"),
    "full": dict(profile="full"),
    "full_linewidth120": dict(profile="full", linewidth=120),
    "short_precision5": dict(profile="short", precision=5),
    "mixed": dict(threshold=5, edgeitems=2, precision=3, sci_mode=False),
    "unknown_profile": dict(profile="nonsense", precision=1),
}
BIG = {"arange_100x100", "randn_100x100", "arange_10x10x30"}   # printed whole, these would make huge goldens
TABLE = [("default", name) for name in CASES] + [(opt, name) for opt in OPTIONS for name in SOME
                                                 if not (opt.startswith("full") and name in BIG)]


def _texts(L, case, options):
    """repr, str, the f-string and ``%s`` of one case under ``options``, with PyTorch's dtype prefix as npgrad's."""
    L.set_printoptions(**options)
    try:
        t = CASES[case](L)
        texts = [repr(t), str(t), f"{t}", "%s" % (t,)]
    finally:
        L.set_printoptions(profile="default")
    return [s.replace("torch.", "npgrad.") for s in texts]


def _torch_texts(case, options):
    """torch's repr, and its f-string where that differs (a 0-d tensor formats as its number)."""
    text, as_str, as_fstring, as_percent = _texts(__import__("torch"), case, options)
    assert as_str == as_percent == text, "torch's str and %s are its repr"
    return [text, None if as_fstring == text else as_fstring]


@pytest.fixture(autouse=True)
def _reset_print_options():
    yield
    npgrad.set_printoptions(profile="default")
    npgrad.set_default_dtype(npgrad.float32)


@pytest.mark.parametrize("option, case", TABLE, ids=[f"{o}-{c}" for o, c in TABLE])
def test_repr_matches_torch(option, case):
    options = OPTIONS.get(option, {})
    text, fstring = golden.json(f"{option}/{case}", lambda: _torch_texts(case, options))
    assert _texts(npgrad, case, options) == [text, text, text if fstring is None else fstring, text]


def test_print_writes_the_repr(capsys):
    t = npgrad.tensor([[1.5, -2.0], [3.25, 4.0]], requires_grad=True)
    print(t)
    assert capsys.readouterr().out == repr(t) + "\n"
    assert repr(t) == "tensor([[ 1.5000, -2.0000],\n        [ 3.2500,  4.0000]], requires_grad=True)"


def _options_run(L):
    get = L._tensor_str.get_printoptions   # torch has it there only
    out = [hasattr(L, "get_printoptions"), get()]
    L.set_printoptions(precision=2, threshold=7, edgeitems=1, linewidth=40, sci_mode=True)
    out.append(get())
    L.set_printoptions(linewidth=50)   # sci_mode is reset by every call that does not pass it
    out.append(get())
    L.set_printoptions(profile="short")
    out.append(get())
    L.set_printoptions(profile="full")
    out.append({k: (str(v) if isinstance(v, float) else v) for k, v in get().items()})
    L.set_printoptions(**dict(get(), threshold=10))   # what get_printoptions gives goes back in
    out.append(get())
    L.set_printoptions(profile="default")
    out.append(get())
    with L._tensor_str.printoptions(precision=1, sci_mode=False):
        out.append([get(), repr(L.tensor([1.25, 1e-6]))])
    out.append([get(), repr(L.tensor([1.25, 1e-6]))])
    return out


def test_get_set_printoptions_match_torch():
    ref = golden.json("options/get_set", lambda: _options_run(__import__("torch")))
    assert _options_run(npgrad) == ref


def _format_run(L):
    out = []
    for build, spec in [(lambda: L.tensor(3.14159), ".2f"), (lambda: L.tensor(3.14159), ""),
                        (lambda: L.tensor(5), "d"), (lambda: L.tensor(5), ">4"), (lambda: L.tensor(True), ""),
                        (lambda: L.tensor([1.0, 2.0]), ""), (lambda: L.tensor([1.0, 2.0]), ".2f"),
                        (lambda: L.tensor(2.5, requires_grad=True), ".3f"),
                        (lambda: L.nn.Parameter(L.tensor(2.0)), ""),
                        (lambda: L.nn.Parameter(L.tensor(2.0)), ".1f")]:
        try:
            out.append(format(build(), spec))
        except Exception as e:  # noqa: BLE001  (the error is part of what is compared)
            out.append([type(e).__name__, str(e)])
    return out


def test_format_specs_match_torch():
    ref = golden.json("format", lambda: _format_run(__import__("torch")))
    assert _format_run(npgrad) == ref


def _parameter_run(L):
    torch_like = [L.nn.Parameter(L.tensor([1.0, 2.0])), L.nn.Parameter(L.tensor(R(3, 4, seed=20))),
                  L.nn.Parameter(L.tensor([1, 2]), requires_grad=False),
                  L.nn.Parameter(L.tensor([0.5], dtype=L.float64)), L.nn.Parameter(L.zeros(0, 2)),
                  L.nn.Linear(3, 2).requires_grad_(False).bias.fill_(0.5)]
    return [[repr(p), str(p), f"{p}"] for p in torch_like]


def test_parameter_repr_matches_torch():
    ref = golden.json("parameter", lambda: [[s.replace("torch.", "npgrad.") for s in row]
                                            for row in _parameter_run(__import__("torch"))])
    assert _parameter_run(npgrad) == ref


def _default_float64_run(L):
    L.set_default_dtype(L.float64)
    try:
        return [repr(t).replace("torch.", "npgrad.")
                for t in (L.tensor([1.5, 2.0]), L.tensor([1.5, 2.0], dtype=L.float32), L.tensor([]),
                          L.tensor([], dtype=L.float32), L.zeros(0, 2, dtype=L.float64), L.arange(3),
                          L.tensor([1.0], requires_grad=True) * 2)]
    finally:
        L.set_default_dtype(L.float32)


def test_default_dtype_float64_changes_the_dtype_suffix():
    ref = golden.json("default_float64", lambda: _default_float64_run(__import__("torch")))
    assert _default_float64_run(npgrad) == ref


def test_tensor_contents_replaces_the_values():
    def run(L):
        return L.tensor([1.0], requires_grad=True).__repr__(tensor_contents="[...]")

    assert run(npgrad) == golden.json("tensor_contents", lambda: run(__import__("torch")))


def test_full_profile_of_a_large_tensor_prints_every_element():
    npgrad.set_printoptions(profile="full")
    text = repr(npgrad.arange(5000.0).reshape(50, 100) / 7)
    # scientific notation, 10 characters an element: 6 elements a line, 17 lines a row of 100
    assert "..." not in text and text.count("\n") == 50 * 17 - 1
    assert text.startswith("tensor([[0.0000e+00, 1.4286e-01,")
