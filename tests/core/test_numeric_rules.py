"""PyTorch's numeric rules where NumPy's differ, compared with torch.

* ``arange``, ``linspace`` and ``logspace`` values bit for bit (PyTorch's kernels compute from both ends,
  fuse multiply-adds and work in SIMD blocks), with their errors;
* ``tensor()``'s dtype inference (ranges, NumPy scalars, tensors in lists) and its overflow checks;
* Python ints wrapping into integer tensors (``uint8 + 1000``), checked where PyTorch checks them;
* ``cumsum``/``cumprod`` dtypes and float32 accumulation, ``diff`` with ``prepend``/``append``,
  ``unique`` along a dim, ``searchsorted``/``bucketize`` (``side``, ``sorter``, batched boundaries);
* ``einsum`` with ``...``, broadcasting and the sublist form: values, gradients, gradcheck and errors.
"""
import hashlib
import json
import random
import warnings

import numpy as np
import pytest

import npgrad
from harness import Case, check_case
from oracle import Golden, torch

golden = Golden("numeric_rules")


def _encode(v):
    """A result as JSON-able data: a tensor as [dtype, shape, values], containers recursively."""
    if hasattr(v, "dtype") and hasattr(v, "shape") and hasattr(v, "tolist"):
        return ["T", str(v.dtype).split(".")[-1], list(v.shape), v.tolist()]
    if isinstance(v, (tuple, list)):
        return [_encode(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v).replace("npgrad.", "torch.")  # a dtype


def _run(lib, expr):
    """``expr`` evaluated with ``lib`` as ``torch``: its encoded value, or ``["error", type, message]``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _encode(eval(expr, {"torch": lib, "np": np, "lib": lib}))
    except Exception as e:  # noqa: BLE001 - the error is the result
        return ["error", type(e).__name__, str(e).splitlines()[0] if str(e) else ""]


def _same(got, ref):
    """Exact equality, NaN equal to NaN and -0.0 told from 0.0 (both as JSON text)."""
    return json.dumps(got) == json.dumps(ref)


def _check(key, expr):
    ref = golden.json(key, lambda: _run(torch, expr))
    got = _run(npgrad, expr)
    assert _same(got, ref), f"{expr}\n npgrad: {json.dumps(got)[:600]}\n torch:  {json.dumps(ref)[:600]}"


# --------------------------------------------------------------------------- ranges, bit for bit

def _capability():
    """The CPU capability PyTorch's kernels ran with when the references were made: arange's SIMD blocks
    (and fused multiply-adds) depend on it."""
    return golden.json("cpu_capability", lambda: torch.backends.cpu.get_cpu_capability())


def _same_capability():
    return npgrad.backends.cpu.get_cpu_capability() == _capability()


def _range_cases():
    rng = random.Random(13)
    lin = [(0, 1, 7), (-1.3, 2.9, 13), (0, 100, 33), (1e-3, 1.0, 10), (3, -2, 9), (0.1, 0.7, 6), (0, 1, 1),
           (0, 1, 0), (2.5, 1, 1), (-1, 3, 3), (0, 255, 4), (-5.5, 5.5, 7), (0, 10, 4), (3, 3, 4), (0, 1, 2),
           (2 ** 62, 2 ** 62 + 100, 3), (0.1, 0.9, 1001)]
    for _ in range(40):
        lin.append((round(rng.uniform(-100, 100), rng.randint(0, 5)), round(rng.uniform(-100, 100),
                                                                              rng.randint(0, 5)), rng.randint(2, 90)))
    log = [(0, 1, 7), (-2, 2, 9), (0, 3, 4, 2), (1, 5, 5, 10.0), (0, 2, 1), (0.5, 2.5, 5), (1, 0, 5, 3),
           (0, 3, 4, -2), (0, 2, 3, 2.5), (-1, 1, 0)]
    for _ in range(25):
        log.append((round(rng.uniform(-5, 5), rng.randint(0, 3)), round(rng.uniform(-5, 5), rng.randint(0, 3)),
                    rng.randint(2, 40), rng.choice([10.0, 2.0, 2.5, 0.5, 7.3])))
    ar = [(1, 2.2, 0.1), (0, 0.3, 0.1), (-1, 1, 0.3), (0, 5, 1.5), (0, 10, 3), (0.5, 3.7, 1), (0, 1, 0.1),
          (0.1, 2.3, 0.13), (3.0, -7.7, -0.37), (250, 260, 1), (-3, 3, 1), (-0.5, 3.7, 0.9), (0, 2 ** 40, 2 ** 38),
          (2 ** 24 + 1, 2 ** 24 + 50, 1.0), (0, 3, 1e300), (0, 20.0, 0.01)]
    for _ in range(40):
        step = round(rng.uniform(0.001, 3), rng.randint(1, 4)) * rng.choice([1, -1])
        start = round(rng.uniform(-50, 50), rng.randint(0, 3))
        ar.append((start, start + step * rng.randint(1, 300) + rng.uniform(-step / 2, step / 2), step))
    return lin, log, ar


LINSPACE, LOGSPACE, ARANGE = _range_cases()
RANGE_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "uint8"]


def _range_values(lib, fn, args, dtype, digest=False):
    """The values, or for long ranges their SHA-256 and every 997th value; an error as its text."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = getattr(lib, fn)(*args, dtype=getattr(lib, dtype)).numpy()
    except Exception as e:  # noqa: BLE001 - the error is the result
        return f"{type(e).__name__}: {e}"
    if digest:
        return [hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest(), values[::997]]
    return values


def _check_range(fn, args, dtype, blocks=False, digest=False):
    ref = golden(f"{fn}/{dtype}/{args}", lambda: _range_values(torch, fn, args, dtype, digest))
    got = _range_values(npgrad, fn, args, dtype, digest)
    if isinstance(ref, str) or isinstance(got, str):
        assert str(got) == str(ref)
        return
    if digest:
        if not blocks or _same_capability():
            assert got[0] == str(ref[0]), "the values differ"
        got, ref = got[1], ref[1]
    assert got.dtype == ref.dtype and got.shape == ref.shape, (got.dtype, ref.dtype, got.shape, ref.shape)
    if blocks and not _same_capability() and got.dtype.kind == "f":
        # references from a CPU with other SIMD blocks: within rounding of each other
        np.testing.assert_allclose(got, ref, rtol=4 * np.finfo(got.dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(got.view(f"u{got.itemsize}") if got.dtype.kind == "f" else got,
                                      ref.view(f"u{ref.itemsize}") if ref.dtype.kind == "f" else ref)


@pytest.mark.parametrize("dtype", RANGE_DTYPES)
@pytest.mark.parametrize("args", LINSPACE, ids=[str(a) for a in LINSPACE])
def test_linspace_bits(args, dtype):
    _check_range("linspace", args, dtype)


@pytest.mark.parametrize("dtype", RANGE_DTYPES)
@pytest.mark.parametrize("args", LOGSPACE, ids=[str(a) for a in LOGSPACE])
def test_logspace_bits(args, dtype):
    _check_range("logspace", args, dtype)


@pytest.mark.parametrize("dtype", RANGE_DTYPES)
@pytest.mark.parametrize("args", ARANGE, ids=[str(a) for a in ARANGE])
def test_arange_bits(args, dtype):
    _check_range("arange", args, dtype, blocks=True)


@pytest.mark.parametrize("args", [(0, 10000.0, 0.1), (-3.3, 7.1, 0.0001), (0.1, 0.9, 1e-5)])
def test_long_arange_bits(args):
    """More than 32768 values: the compiled path, split over threads as PyTorch splits them."""
    for dtype in ("float32", "float64"):
        _check_range("arange", args, dtype, blocks=True, digest=True)


@pytest.mark.parametrize("args", [(0.1, 0.9, 100001), (-3.3, 7.1, 70000)])
def test_long_linspace_bits(args):
    for dtype in ("float32", "float64", "int64"):
        _check_range("linspace", args, dtype, digest=True)


def test_probe_values():
    assert npgrad.linspace(-1.3, 2.9, 13)[3].item() == -0.2499999701976776
    assert npgrad.linspace(0, 1, 7)[4].item() == 0.6666666269302368
    assert npgrad.arange(1, 2.2, 0.1, dtype=npgrad.float64)[6].item() == 1.5999999999999999


RANGE_EXPRS = [
    "torch.arange(5)", "torch.arange(end=4)", "torch.arange(start=1, end=4)", "torch.arange(2, 10, torch.tensor(2))",
    "torch.arange(torch.tensor(3.))", "torch.arange(torch.tensor(3., dtype=torch.float64))", "torch.arange(True)",
    "torch.arange(0.5, 3)", "torch.arange(0, 10, 2.5)", "torch.arange(3, dtype=torch.float32, requires_grad=True)",
    "torch.arange(3, requires_grad=True)", "torch.arange(5, 0)", "torch.arange(0, 5, -1)", "torch.arange(0, 5, 0)",
    "torch.arange(0, float('inf'))", "torch.arange(float('nan'))", "torch.arange(torch.tensor([3]))",
    "torch.arange(0, 3, dtype=torch.bool)", "torch.arange(1e20)", "torch.arange(0, 5, 0.5, dtype=torch.int64)",
    "torch.arange(0, 1e20, 1, dtype=torch.int64)", "torch.arange(0, 1e300, 1e299, dtype=torch.int32)",
    "torch.arange(0, 1e300, 1e299, dtype=torch.float16)", "torch.arange(2**62, 2**62 + 10, 3)",
    "torch.linspace(0, 1, -1)", "torch.linspace(torch.tensor(0.), torch.tensor(1.), 3)",
    "torch.linspace(torch.tensor([0.]), 1, 3)", "torch.linspace(0, torch.ones(2), 3)",
    "torch.linspace(0, 1, 3, dtype=torch.bool)",
    "torch.linspace(0, 1, 2.5)", "torch.linspace(0, 1, torch.tensor(3))", "torch.linspace(0, 1, 5, requires_grad=True)",
    "torch.linspace(1, 1e30, 3, dtype=torch.float16)", "torch.linspace(0, 40000, 3, dtype=torch.int16)",
    "torch.linspace(0, 2**40, 3, dtype=torch.int32)", "torch.linspace(-300, 3, 3, dtype=torch.uint8)",
    "torch.linspace(-1.5, 3, 3, dtype=torch.uint8)", "torch.linspace(0, 1e300, 3)",
    "torch.linspace(0, float('inf'), 3)",
    "torch.linspace(0, float('nan'), 3, dtype=torch.int64)", "torch.linspace(0, 2**63, 3, dtype=torch.int64)",
    "torch.linspace(0, 2**64, 3)", "torch.linspace(True, False, 3)", "torch.logspace(0, 1, -2)",
    "torch.logspace(0, 1, 3, dtype=torch.bool)", "torch.logspace(0, 2, 3, dtype=torch.float64).dtype == torch.float64",
]


@pytest.mark.parametrize("expr", RANGE_EXPRS)
def test_range_arguments_and_errors(expr):
    _check(f"range_expr/{expr}", expr)


# --------------------------------------------------------------------------- tensor()

TENSOR_EXPRS = [
    "torch.tensor(range(4))", "torch.tensor(range(0))", "torch.tensor((range(2), range(2)))",
    "torch.tensor([range(2), range(2)])", "torch.tensor([[1, 2], range(2)])", "torch.tensor([np.int32(1), 2])",
    "torch.tensor([np.int32(1), np.int32(2)])", "torch.tensor([np.float64(1.5), 2])", "torch.tensor([np.float16(1.5)])",
    "torch.tensor([np.uint8(1), np.uint8(2)])", "torch.tensor([np.bool_(True), False])",
    "torch.tensor(np.float32(1.5))",
    "torch.tensor(np.int16(3))", "torch.tensor(np.float64(1.5))", "torch.tensor([np.float32(0.1), 0.2])",
    "torch.tensor([np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)])",
    "torch.tensor([torch.tensor(1., dtype=torch.float64), 2.])",
    "torch.tensor([torch.tensor(1, dtype=torch.int32), 2])",
    "torch.tensor([torch.tensor([1]), torch.tensor([2])])", "torch.tensor([torch.tensor([1, 2])])",
    "torch.tensor([True, 2])", "torch.tensor([1, 2.5])", "torch.tensor([True, 1.5])", "torch.tensor([2**62, 1])",
    "torch.tensor(-2**63)", "torch.tensor(2**63)", "torch.tensor(2**70)", "torch.tensor([2**70, 1])",
    "torch.tensor([2**63, 1])", "torch.tensor([2**70, 1.5])", "torch.tensor([-2**70, 1.0])",
    "torch.tensor(2**63, dtype=torch.float64)", "torch.tensor(2**63, dtype=torch.int64)",
    "torch.tensor([2**63], dtype=torch.float32)", "torch.tensor(300, dtype=torch.uint8)",
    "torch.tensor(-1, dtype=torch.uint8)", "torch.tensor([-255], dtype=torch.uint8)",
    "torch.tensor([-256], dtype=torch.uint8)",
    "torch.tensor([-128, 127], dtype=torch.int8)", "torch.tensor([200], dtype=torch.int8)",
    "torch.tensor([[1, 2**40]], dtype=torch.int16)", "torch.tensor([1.7, -1.7], dtype=torch.int64)",
    "torch.tensor([1e10], dtype=torch.int32)", "torch.tensor([2147483647.0], dtype=torch.int32)",
    "torch.tensor([-1.5], dtype=torch.uint8)", "torch.tensor([255.9], dtype=torch.uint8)",
    "torch.tensor([float('inf')], dtype=torch.int64)", "torch.tensor(float('nan'), dtype=torch.int32)",
    "torch.tensor([2, 0, -1], dtype=torch.bool)", "torch.tensor([0.5, 0.0, float('nan')], dtype=torch.bool)",
    "torch.tensor([1e300], dtype=torch.float32)", "torch.tensor([70000.0], dtype=torch.float16)",
    "torch.tensor(np.array([300, -1]), dtype=torch.uint8)", "torch.tensor(np.int64(300), dtype=torch.uint8)",
    "torch.tensor([torch.tensor(300)], dtype=torch.uint8)", "torch.tensor([np.int64(-1)], dtype=torch.uint8)",
    "torch.tensor([True], dtype=torch.uint8)", "torch.tensor([16777217], dtype=torch.float32)",
    "torch.tensor([2**53 + 1], dtype=torch.float32)", "torch.tensor(x for x in range(3))", "torch.tensor({1: 2})",
    "torch.tensor(None)", "torch.tensor([None])", "torch.tensor([1, None])", "torch.tensor('a')", "torch.tensor(['a'])",
    "torch.tensor([1, 'a'])", "torch.tensor([['a'], [1]])", "torch.tensor(b'ab')", "torch.tensor(())",
    "torch.tensor([[], []])", "torch.tensor(torch.Size([2, 3]))", "torch.tensor([[1, 2], [3]])",
    "torch.tensor([1, 2], requires_grad=True)", "torch.tensor(range(3), dtype=torch.float64)",
    "torch.tensor([np.array(1.5), 2])", "torch.as_tensor([np.array(1.5)])", "torch.as_tensor(range(3))",
]


@pytest.mark.parametrize("expr", TENSOR_EXPRS)
def test_tensor_inference(expr):
    _check(f"tensor/{expr}", expr)


# --------------------------------------------------------------------------- Python ints into integer tensors

U8 = "torch.tensor([250, 3], dtype=torch.uint8)"
I8 = "torch.tensor([1, -2], dtype=torch.int8)"
H = "torch.zeros(2, dtype=torch.float16)"
C = "torch.tensor([True, False])"
SCALAR_EXPRS = [
    f"{U8} + 1000", f"1000 + {U8}", f"{U8} * 256", f"{U8} - 300", f"300 - {U8}", f"{U8} / 300",
    f"torch.add({U8}, 1000)", f"torch.add({U8}, 3, alpha=100)", f"{U8}.clone().add_(1000)", f"{U8}.clone().mul_(300)",
    f"{U8}.clone().sub_(300)", f"{I8} + 200", f"{I8} * 129", f"{I8} - 129", f"{U8} + np.int64(1000)",
    "torch.tensor([1], dtype=torch.int32) + 2**40", "torch.tensor([1]) + (2**64 - 1)",
    "torch.tensor([1, 2]) + 2**63 - 1",
    "torch.tensor([1, 2]) * 2**63", "torch.tensor([1.]) + 2**64", "torch.tensor([1.]) + (-2**63 - 1)",
    "torch.tensor([1]) + 2**64", f"torch.where({U8} > 5, {U8}, -1)", f"torch.where({U8} > 5, 300, {U8})",
    f"torch.where({U8} > 5, {U8}, -256)", f"torch.where({I8} > 0, {I8}, 200)",
    "torch.where(torch.tensor([True]), torch.tensor([1]), 2**63)", f"{U8}.clamp(min=-1)", f"{U8}.clamp(max=1000)",
    f"{U8}.clamp(min=300)", f"{I8}.clamp(max=200)", f"{I8}.clamp(min=-129)", "torch.tensor([1]).clamp(max=2**63)",
    f"{U8} ** 260", f"{U8} ** -1", f"{U8} ** 2", f"300 ** {U8}", f"2 ** {U8}", f"torch.pow({U8}, 256)",
    f"{H} ** 70000.0", f"{H}.clamp(max=1e5)", f"{H}.clamp(max=70000)", f"torch.where({C}, {H}, 1e5)",
    f"torch.where({C}, {H}, 70000)", f"torch.where({C}, torch.zeros(2), 1e300)", "torch.zeros(2).clamp(max=1e300)",
    "torch.zeros(2).clamp(max=float('inf'))", f"{H} + 1e6", f"torch.where({C}, torch.tensor([1, 2]), True)",
    f"torch.where({C}, torch.tensor([True, True]), 5)", "torch.tensor([1, 5]).clamp(max=2.5)",
    "torch.ones(2) ** 1e300", "torch.ones(2) ** (2**70)", "torch.tensor([1, 2]) ** (2**63)", "torch.tensor([2, 3]) ** True",
    "torch.tensor([2, 3], dtype=torch.uint8).pow_(300)",
]


@pytest.mark.parametrize("expr", SCALAR_EXPRS)
def test_python_int_operands(expr):
    _check(f"scalar/{expr}", expr)


# --------------------------------------------------------------------------- cumsum, diff, unique, search

CUM_EXPRS = [f"torch.tensor([1, 1, 0], dtype=torch.{dt}).{fn}(0){tail}"
             for dt in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
             for fn in ("cumsum", "cumprod") for tail in ("", ".dtype")]
CUM_EXPRS += [
    "torch.tensor([200, 100], dtype=torch.uint8).cumsum(0)",
    "torch.tensor([200, 100], dtype=torch.uint8).cumsum(0, dtype=torch.uint8)",
    "torch.tensor([200, 100], dtype=torch.uint8).cumprod(0)",
    "torch.cumsum(torch.tensor([1, 2]), 0, dtype=torch.int32)",
    "torch.tensor([1, 2]).cumsum(0, dtype=torch.float64)", "torch.tensor([1, 2], dtype=torch.uint8).cumsum_(0)",
    "torch.tensor([1, 2]).cumsum_(0, dtype=torch.float32)", "torch.tensor(5, dtype=torch.uint8).cumsum(0)",
    "torch.tensor(2.5).cumprod(0)", "torch.tensor([[True, False, True]]).cumsum(1)",
]


@pytest.mark.parametrize("expr", CUM_EXPRS)
def test_cumulative_dtypes(expr):
    _check(f"cum/{expr}", expr)


def _cumulative_bits(lib):
    g = np.random.default_rng(5)
    x32 = lib.tensor(g.standard_normal(3000).astype(np.float32))
    x16 = lib.tensor(g.standard_normal(300).astype(np.float16))
    m = lib.tensor((1 + 0.01 * g.standard_normal((4, 300))).astype(np.float32))
    return [x32.cumsum(0).numpy(), x16.cumsum(0).numpy(), m.cumprod(1).numpy(), m.cumsum(0).numpy()]


def test_cumulative_accumulate_in_wider_type():
    """float32 runs sum in float64 (float16 in float32), each value rounded once: bit for bit."""
    ref = golden("cum_bits", lambda: _cumulative_bits(torch))
    for got, r in zip(_cumulative_bits(npgrad), ref):
        np.testing.assert_array_equal(got, r)


CUM_GRAD_CASES = [
    Case("cumsum", lambda L, a: a.cumsum(1), [(3, 5)]),
    Case("cumsum_dim0", lambda L, a: L.cumsum(a, 0), [(4, 2, 3)]),
    Case("cumprod", lambda L, a: a.cumprod(-1), [(3, 5)], positive=True),
    Case("diff_prepend_append", lambda L, a, p, q: L.diff(a, n=2, dim=1, prepend=p, append=q),
         [(3, 5), (3, 2), (3, 1)]),
    Case("diff_dim0", lambda L, a, q: a.diff(dim=0, append=q), [(3, 4), (2, 4)]),
]


@pytest.mark.parametrize("case", CUM_GRAD_CASES, ids=[c.name for c in CUM_GRAD_CASES])
def test_cumulative_and_diff_gradients(case):
    check_case(case, golden)


X2 = "torch.tensor([[1., 3., 6.], [2., 2., 9.]])"
DIFF_EXPRS = [
    f"torch.diff({X2}, prepend=torch.zeros(2, 1))", f"torch.diff({X2}, dim=0, append=torch.ones(1, 3))",
    f"torch.diff({X2}, n=2, prepend=torch.zeros(2, 2), append=torch.ones(2, 1))", f"torch.diff({X2}, prepend=0)",
    f"torch.diff({X2}, prepend=torch.tensor(0.))", f"torch.diff({X2}, prepend=torch.zeros(2))",
    f"torch.diff({X2}, prepend=torch.zeros(3, 1))", f"torch.diff({X2}, prepend=torch.zeros(2, 1, dtype=torch.int64))",
    f"torch.diff({X2}, n=0)", f"torch.diff({X2}, n=-1)", "torch.diff(torch.tensor(1.))",
    "torch.diff(torch.tensor([True, False, False, True]))", "torch.diff(torch.tensor([True, False, False, True]), n=2)",
    "torch.diff(torch.tensor([1, 2]), n=5)", "torch.diff(torch.tensor([5, 2], dtype=torch.uint8))",
    f"torch.diff({X2}, dim=2)",
    f"{X2}.diff(prepend=torch.zeros(2, 1), n=1)", "torch.diff(torch.tensor([True, False]), prepend=torch.tensor([1]))",
    "torch.diff(torch.tensor([1, 2]), append=torch.tensor([0, 9]))", "torch.diff(torch.tensor([1, 4, 9, 16]), n=2)",
]


@pytest.mark.parametrize("expr", DIFF_EXPRS)
def test_diff(expr):
    _check(f"diff/{expr}", expr)


Y = "torch.tensor([[1, 2, 1], [1, 2, 1], [0, 5, 0]])"
Z = "torch.tensor([[[1, 2], [1, 2]], [[0, 1], [1, 2]]])"
UNIQUE_EXPRS = [
    f"torch.unique({Y}, dim=1)", f"torch.unique({Y}, dim=1, return_inverse=True, return_counts=True)",
    f"torch.unique({Y}, dim=0, return_inverse=True, return_counts=True)", f"torch.unique({Y}, dim=-1)",
    f"torch.unique({Z}, dim=1, return_inverse=True)", f"torch.unique({Z}, dim=2, return_counts=True)",
    f"torch.unique({Y}, dim=3)", f"torch.unique({Y}, return_inverse=True)",
    "torch.unique(torch.tensor([2., float('nan'), 1., float('nan')]), return_inverse=True, return_counts=True)",
    "torch.unique(torch.tensor([3, 1, 2, 1]), sorted=False)",
    "torch.unique(torch.tensor([[True, False], [True, True]]), dim=0)",
    "torch.unique(torch.zeros(0, 3), dim=0)",
    "torch.unique(torch.tensor([[1.5, 0.], [1.5, 0.]]), dim=0, return_counts=True)",
    f"{Y}.unique(dim=1, return_counts=True)", "torch.unique(torch.tensor(3))",
    "torch.unique(torch.tensor(3), return_inverse=True)",
    "torch.unique(torch.zeros(2, 0), dim=1)", "torch.unique(torch.tensor([3., -0., 0., 1.]))",
    "torch.unique(torch.tensor([], dtype=torch.int64))",
]


@pytest.mark.parametrize("expr", UNIQUE_EXPRS)
def test_unique(expr):
    _check(f"unique/{expr}", expr)


B = "torch.tensor([1, 3, 5, 7])"
V = "torch.tensor([[0, 3, 6], [7, 8, 1]])"
SS = "torch.tensor([[1, 3, 5], [2, 4, 6]])"
FB = "torch.tensor([1., 2., 2., 3.])"
NB = "torch.tensor([1., 2., float('nan')])"
SEARCH_EXPRS = [
    f"torch.searchsorted({B}, {V})", f"torch.searchsorted({B}, {V}, right=True)",
    f"torch.searchsorted({B}, {V}, side='right')",
    f"torch.searchsorted({B}, {V}, side='left')", f"torch.searchsorted({B}, {V}, side='left', right=True)",
    f"torch.searchsorted({B}, {V}, side='right', right=True)", f"torch.searchsorted({B}, {V}, side='middle')",
    f"torch.searchsorted({B}, {V}, out_int32=True)", f"torch.bucketize({V}, {B}, out_int32=True, right=True)",
    f"torch.bucketize({V}, {B})", f"torch.bucketize({V}, {B}, right=True)",
    f"torch.searchsorted({SS}, torch.tensor([[3], [3]]))",
    f"torch.searchsorted({SS}, torch.tensor([[3, 4], [3, 7]]), right=True)",
    f"torch.searchsorted({SS}, torch.tensor([[3], [3], [1]]))", f"torch.searchsorted({SS}, torch.tensor([3]))",
    f"torch.searchsorted({SS}, 3)",
    "torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([2, 3]), sorter=torch.tensor([1, 2, 0]))",
    "torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([2, 3]), sorter=torch.tensor([1, 2, 0]), right=True)",
    "torch.searchsorted(torch.tensor([[5, 1, 3], [2, 9, 4]]), torch.tensor([[3], [5]]), "
    "sorter=torch.tensor([[1, 2, 0], [0, 2, 1]]))",
    "torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([2]), sorter=torch.tensor([1, 2]))",
    "torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([2]), sorter=torch.tensor([1., 2., 0.]))",
    "torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([2]), sorter=torch.tensor([1, 2, 5]))",
    f"torch.searchsorted({B}, 4)", f"torch.searchsorted({FB}, 2.0, right=True)", f"torch.searchsorted({FB}, 2.0)",
    f"torch.bucketize(4, {B})", f"torch.bucketize(5, {B}, right=True)",
    f"torch.bucketize(torch.tensor(4.5), {B}.float())",
    f"torch.bucketize({V}, {SS})", f"torch.bucketize({V}, torch.tensor(3))",
    f"torch.searchsorted({B}, torch.tensor([2.5, 3.0]))", f"torch.searchsorted({FB}, torch.tensor([2, 3]))",
    f"torch.bucketize(torch.tensor([2.5, 3.0]), {B})",
    f"torch.searchsorted({NB}, torch.tensor([float('nan'), 1.5, float('inf')]))",
    f"torch.searchsorted({NB}, torch.tensor([float('nan'), 1.5, float('inf')]), right=True)",
    "torch.searchsorted(torch.tensor([1., 2.]), torch.tensor([float('nan'), float('-inf')]))",
    "torch.searchsorted(torch.tensor([3, 1, 2, 5, 4]), torch.tensor([0, 2, 4, 6]))",
    "torch.searchsorted(torch.tensor([]), torch.tensor([1.]))",
    f"torch.searchsorted({B}, torch.tensor([], dtype=torch.int64))",
    "torch.searchsorted(torch.tensor(3), torch.tensor([1]))",
    "torch.searchsorted(torch.tensor([False, True]), torch.tensor([True]))",
    f"torch.searchsorted(sorted_sequence={B}, input={V})", f"torch.bucketize(input={V}, boundaries={B})",
    f"torch.searchsorted({B}, 2**70)",
    "torch.searchsorted(torch.arange(12).reshape(2, 2, 3), torch.tensor([[[4, 0]], [[7, 11]]]).expand(2, 2, 2))",
    "torch.searchsorted(torch.arange(12).reshape(2, 2, 3), torch.tensor([1]))",
    "torch.searchsorted(torch.tensor([1., 2.], dtype=torch.float16), torch.tensor([1.5], dtype=torch.float16))",
    "torch.searchsorted(torch.tensor([1, 3], dtype=torch.int32), torch.tensor([2]))",
    f"torch.searchsorted({B}, {V}, out=torch.empty(2, 3, dtype=torch.int64))",
    f"torch.searchsorted({B}, {V}, out=torch.empty(2, 3, dtype=torch.int32))",
]


@pytest.mark.parametrize("expr", SEARCH_EXPRS)
def test_searchsorted_bucketize(expr):
    _check(f"search/{expr}", expr)


def _random_search(lib):
    g = np.random.default_rng(3)
    b = lib.tensor(np.sort(g.standard_normal((3, 50)), axis=1))
    v = lib.tensor(g.standard_normal((3, 40)))
    flat = lib.tensor(np.sort(g.integers(0, 20, 100)))
    w = lib.tensor(g.integers(-2, 22, 200))
    return [lib.searchsorted(b, v).numpy(), lib.searchsorted(b, v, right=True).numpy(),
            lib.searchsorted(flat, w).numpy(), lib.bucketize(w, flat, right=True).numpy()]


def test_searchsorted_random_tables():
    ref = golden("search_random", lambda: _random_search(torch))
    for got, r in zip(_random_search(npgrad), ref):
        np.testing.assert_array_equal(got, r)


# --------------------------------------------------------------------------- einsum

EINSUM_CASES = [
    Case("einsum/...ij->...ji", lambda L, a: L.einsum("...ij->...ji", a), [(2, 3, 4)]),
    Case("einsum/...ij,...jk", lambda L, a, b: L.einsum("...ij,...jk", a, b), [(2, 3, 4), (2, 4, 5)]),
    Case("einsum/...ij,...jk->...ik_bcast", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b),
         [(2, 1, 3, 4), (5, 4, 2)]),
    Case("einsum/...j,...j->..._bcast", lambda L, a, b: L.einsum("...j,...j->...", a, b), [(2, 1, 3), (4, 3)]),
    Case("einsum/...ij->ij", lambda L, a: L.einsum("...ij->ij", a), [(2, 3, 4)]),
    Case("einsum/i...j->ji...", lambda L, a: L.einsum("i...j->ji...", a), [(2, 3, 5, 4)]),
    Case("einsum/implicit_...ij", lambda L, a: L.einsum("...ij", a), [(2, 3, 4)]),
    Case("einsum/i...->...", lambda L, a: L.einsum("i...->...", a), [(2, 3)]),
    Case("einsum/...ii->...i", lambda L, a: L.einsum("...ii->...i", a), [(2, 3, 3)]),
    Case("einsum/bij,bjk->bik", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    Case("einsum/ij,ij->ij_size1", lambda L, a, b: L.einsum("ij,ij->ij", a, b), [(1, 3), (2, 3)]),
    Case("einsum/ij,jk->ik_size1", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(2, 1), (3, 4)]),
    Case("einsum/ii", lambda L, a: L.einsum("ii", a), [(3, 3)]),
    Case("einsum/Ab,bC->AC", lambda L, a, b: L.einsum("Ab,bC->AC", a, b), [(2, 3), (3, 4)]),
    Case("einsum/aB_implicit", lambda L, a: L.einsum("aB", a), [(2, 3)]),
    Case("einsum/spaces", lambda L, a: L.einsum(" i j -> j i ", a), [(2, 3)]),
    Case("einsum/list_operands", lambda L, a, b: L.einsum("ij,jk", [a, b]), [(2, 3), (3, 4)]),
    Case("einsum/three", lambda L, a, b, c: L.einsum("...i,ij,...j->...", a, b, c), [(2, 3), (3, 4), (5, 1, 4)]),
    Case("einsum/sublist", lambda L, a, b: L.einsum(a, [0, 1, 2], b, [0, 2, 3], [0, 1, 3]), [(2, 3, 4), (2, 4, 3)]),
    Case("einsum/sublist_implicit", lambda L, a, b: L.einsum(a, [0, 1, 2], b, [0, 2, 3]), [(2, 3, 4), (2, 4, 3)]),
    Case("einsum/sublist_ellipsis", lambda L, a, b: L.einsum(a, [..., 1, 2], b, [..., 2, 51], [..., 1, 51]),
         [(2, 3, 4), (4, 3)]),
    Case("einsum/sublist_out_ellipsis", lambda L, a: L.einsum(a, [Ellipsis, 0], [0, Ellipsis]), [(2, 3)]),
    Case("einsum/outer", lambda L, a, b: L.einsum("i,j->ij", a, b), [(3,), (4,)]),
    Case("einsum/scalar", lambda L, a, b: L.einsum(",->", a, b), [(), ()]),
]


@pytest.mark.parametrize("case", EINSUM_CASES, ids=[c.name for c in EINSUM_CASES])
def test_einsum_values_and_gradients(case):
    """float64 values and gradients against torch, and float64 gradcheck."""
    check_case(case, golden)


def _einsum32(lib):
    g = np.random.default_rng(11)
    a = lib.tensor(g.standard_normal((2, 3, 4)).astype(np.float32))
    b = lib.tensor(g.standard_normal((4, 5)).astype(np.float32))
    return [lib.einsum("...ij,jk->...ik", a, b).numpy(), lib.einsum("...ij->...ji", a).numpy()]


def test_einsum_float32():
    ref = golden("einsum_float32", lambda: _einsum32(torch))
    for got, r in zip(_einsum32(npgrad), ref):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, r, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("eq,shapes", [("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]), ("...ij->...ji", [(2, 3, 3)]),
                                       ("...j,...j->...", [(2, 1, 3), (4, 3)])])
def test_einsum_second_derivatives(eq, shapes):
    g = np.random.default_rng(2)
    xs = [npgrad.tensor(g.standard_normal(s), requires_grad=True) for s in shapes]
    assert npgrad.autograd.gradgradcheck(lambda *t: npgrad.einsum(eq, *t) ** 2, xs)


EINSUM_ERRORS = [
    "torch.einsum('ij,jk->ik', torch.ones(2, 3), torch.ones(2, 3))", "torch.einsum('ijk->i', torch.ones(2, 3))",
    "torch.einsum('i->i', torch.ones(2, 3))", "torch.einsum('...ijk->i', torch.ones(2, 3))",
    "torch.einsum('ij->ii', torch.ones(2, 3))", "torch.einsum('ij->k', torch.ones(2, 3))",
    "torch.einsum('i1->i', torch.ones(2, 3))", "torch.einsum('ij->ij', torch.ones(2, 3), torch.ones(2, 3))",
    "torch.einsum('ij,jk->ik', torch.ones(2, 3))", "torch.einsum('......i->i', torch.ones(3))",
    "torch.einsum('..i->i', torch.ones(3))", "torch.einsum('i->......i', torch.ones(3))",
    "torch.einsum('i->..i', torch.ones(3))", "torch.einsum('i,i->', torch.ones(3), torch.ones(3, dtype=torch.float64))",
    "torch.einsum('i->i')", "torch.einsum('ij-ji', torch.ones(2, 3))", "torch.einsum('i->i->i', torch.ones(2))",
    "torch.einsum('i->i', [1, 2])", "torch.einsum('...,...->...', torch.ones(2, 3), torch.ones(2))",
    "torch.einsum('ii->i', torch.ones(2, 3))", "torch.einsum(torch.ones(2, 3), [52, 0])",
    "torch.einsum(torch.ones(2, 3), [-1, 0])", "torch.einsum(torch.ones(2, 3), [0, 'a'])",
    "torch.einsum('i,i->', torch.arange(3), torch.arange(3))", "torch.einsum('i->...i', torch.ones(3))",
    "torch.einsum('', torch.tensor(3.))", "torch.einsum('...->...', torch.tensor(5.))",
    "torch.einsum('ij->', [torch.ones(2, 3)])",
    "torch.einsum('ij->ji', [])",
]


@pytest.mark.parametrize("expr", EINSUM_ERRORS)
def test_einsum_errors_and_edge_cases(expr):
    _check(f"einsum_expr/{expr}", expr)
