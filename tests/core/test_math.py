"""The math functions of ops/math.py against torch: values over wide ranges and at special points (float64,
float32, integer inputs), gradients (torch's and float64 gradcheck), boundary derivatives, errors, and the
in-place forms (values, dtype kept, version counter, leaf refusal, autograd through non-leaf tensors)."""
import numpy as np
import pytest

import npgrad
from npgrad.autograd import versions
from harness import Case, check_at, check_case, error_text, gradcheck_at
from oracle import Golden, torch

golden = Golden("math")


def _uniform(lo, hi, *shapes):
    return lambda r: [r.uniform(lo, hi, s) for s in shapes]


def _noninteger(r, shape, lo, hi):
    """Uniform draws kept at least 0.1 away from the integers (the poles of lgamma and digamma)."""
    x = r.uniform(lo, hi, shape)
    return np.where(np.abs(x - np.round(x)) < 0.1, x + 0.25, x)


CASES = [
    # unary
    Case("tan", lambda L, a: L.tan(a), None, inputs=_uniform(-1.3, 1.3, (3, 4))),
    Case("asin", lambda L, a: a.asin(), None, inputs=_uniform(-0.95, 0.95, (3, 4))),
    Case("acos", lambda L, a: L.acos(a), None, inputs=_uniform(-0.95, 0.95, (3, 4))),
    Case("atan", lambda L, a: a.atan(), [(3, 4)]),
    Case("arcsin_alias", lambda L, a: L.arcsin(a) + a.arccos() + L.arctan(a), None, inputs=_uniform(-0.9, 0.9, (5,))),
    Case("sinh", lambda L, a: a.sinh(), [(3, 4)]),
    Case("cosh", lambda L, a: L.cosh(a), [(3, 4)]),
    Case("asinh", lambda L, a: a.asinh(), [(3, 4)]),
    Case("acosh", lambda L, a: L.acosh(a), None, inputs=_uniform(1.05, 4.0, (3, 4))),
    Case("atanh", lambda L, a: a.atanh(), None, inputs=_uniform(-0.95, 0.95, (3, 4))),
    Case("arc_hyperbolic_aliases", lambda L, a: L.arcsinh(a) + a.arctanh() + L.arccosh(a + 2), None,
         inputs=_uniform(-0.9, 0.9, (5,))),
    Case("exp2", lambda L, a: L.exp2(a * 3), [(3, 4)]),
    Case("erfc", lambda L, a: L.erfc(a * 2), [(3, 4)]),
    Case("erfinv", lambda L, a: a.erfinv(), None, inputs=_uniform(-0.99, 0.99, (3, 4))),
    Case("lgamma", lambda L, a: L.lgamma(a), None, inputs=lambda r: [_noninteger(r, (3, 4), -6, 12)]),
    Case("digamma", lambda L, a: a.digamma(), None, inputs=lambda r: [_noninteger(r, (3, 4), -6, 12)]),
    Case("polygamma1", lambda L, a: L.polygamma(1, a), None, inputs=lambda r: [_noninteger(r, (3, 4), -4, 9)]),
    Case("polygamma2_method", lambda L, a: a.polygamma(2), None, inputs=_uniform(0.3, 9.0, (3, 4))),
    Case("polygamma4", lambda L, a: L.polygamma(4, a), None, inputs=_uniform(0.5, 6.0, (6,))),
    Case("mvlgamma_p1", lambda L, a: L.mvlgamma(a, 1), None, inputs=_uniform(0.5, 5.0, (6,))),
    Case("mvlgamma_p3", lambda L, a: a.mvlgamma(3), None, inputs=_uniform(1.2, 6.0, (3, 4))),
    Case("i0", lambda L, a: L.i0(a * 5), [(3, 4)]),
    Case("sinc", lambda L, a: L.sinc(a * 2), [(3, 4)]),
    Case("logit", lambda L, a: L.logit(a), None, inputs=_uniform(0.05, 0.95, (3, 4))),
    Case("logit_eps", lambda L, a: a.logit(eps=0.2), None, inputs=_uniform(0.05, 0.95, (3, 4)), gradcheck=False),
    Case("frac", lambda L, a: L.frac(a * 3), [(3, 4)]),
    Case("deg2rad", lambda L, a: L.deg2rad(a * 90), [(3, 4)]),
    Case("rad2deg", lambda L, a: a.rad2deg(), [(3, 4)]),
    Case("fix", lambda L, a: L.fix(a * 3) + a, [(3, 4)]),
    Case("positive", lambda L, a: L.positive(a) * 2, [(3,)]),
    Case("logcumsumexp_dim1", lambda L, a: L.logcumsumexp(a * 3, 1), [(3, 5)]),
    Case("logcumsumexp_dim0", lambda L, a: a.logcumsumexp(-2), [(4, 2, 3)]),
    Case("logcumsumexp_big", lambda L, a: L.logcumsumexp(a * 1000, 0), [(6,)], gradcheck=False),
    Case("frexp", lambda L, a: L.frexp(a * 50), [(3, 4)]),
    # binary, with broadcasting
    Case("atan2", lambda L, a, b: L.atan2(a, b), [(3, 4), (4,)]),
    Case("arctan2_method", lambda L, a, b: a.arctan2(b), [(3, 1), (1, 4)]),
    Case("hypot", lambda L, a, b: L.hypot(a, b), [(3, 4), (3, 1)]),
    Case("copysign", lambda L, a, b: L.copysign(a, b), [(3, 4), (4,)]),
    Case("copysign_scalar", lambda L, a: a.copysign(-2.0), [(3, 4)]),
    Case("fmax", lambda L, a, b: L.fmax(a, b), [(3, 4), (4,)]),
    Case("fmin", lambda L, a, b: a.fmin(b), [(3, 4), (3, 4)]),
    Case("float_power", lambda L, a, b: L.float_power(a, b), None, inputs=_uniform(0.5, 2.0, (3, 4), (4,))),
    Case("float_power_scalar", lambda L, a: a.float_power(2.5), None, inputs=_uniform(0.5, 2.0, (3, 4))),
    Case("float_power_scalar_base", lambda L, a: L.float_power(3.0, a), [(3, 4)]),
    Case("float_power_float32", lambda L, a: L.float_power(a.float(), 3), None, inputs=_uniform(0.5, 2.0, (5,)),
         gradcheck=False),
    Case("logaddexp", lambda L, a, b: L.logaddexp(a * 3, b), [(3, 4), (4,)]),
    Case("logaddexp2", lambda L, a, b: a.logaddexp2(b * 3), [(3, 1), (1, 4)]),
    Case("xlogy", lambda L, a, b: L.xlogy(a, b), None, inputs=lambda r: [r.standard_normal((3, 4)),
                                                                            r.uniform(0.2, 3, (4,))]),
    Case("xlogy_scalar_self", lambda L, b: L.xlogy(2.5, b), None, inputs=_uniform(0.2, 3.0, (3, 4))),
    Case("xlogy_scalar_other", lambda L, a: a.xlogy(3.0), [(3, 4)]),
    Case("nextafter", lambda L, a, b: L.nextafter(a, b), [(3, 4), (4,)], gradcheck=False),
    Case("ldexp", lambda L, a, e: L.ldexp(a, e), None, inputs=lambda r: [r.standard_normal((3, 4)),
                                                                            np.array([3, 0, 2, 1])]),
    # torch differentiates 2**e in integer arithmetic: a zero gradient where e < 0 (so no gradcheck)
    Case("ldexp_negative_exponent", lambda L, a, e: L.ldexp(a, e), None, gradcheck=False,
         inputs=lambda r: [r.standard_normal((3, 4)), np.array([-3, 0, 2, -1])]),
    Case("ldexp_float32", lambda L, a, e: L.ldexp(a.float(), e), None, gradcheck=False, rtol=1e-6,
         inputs=lambda r: [r.standard_normal((3, 4)), np.array([-3, 0, 2, -1])]),
    Case("ldexp_float_exponent", lambda L, a, e: a.ldexp(e), [(3, 4), (3, 4)]),
    Case("igamma_x", lambda L, x: L.igamma(L.tensor([0.5, 1.5, 4.0, 12.0], dtype=L.float64), x), None,
         inputs=_uniform(0.2, 10.0, (3, 4))),
    Case("igammac_x", lambda L, x: x.new_tensor([0.5, 1.5, 4.0, 12.0]).igammac(x), None,
         inputs=_uniform(0.2, 10.0, (3, 4))),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_case(case, golden)


# --------------------------------------------------------------------------- values over wide ranges

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 1e-8, -1e-8, 30.0, -30.0,
           700.0, -700.0, 1e300, -1e300, np.inf, -np.inf, np.nan]
WIDE = np.concatenate([np.linspace(-12, 12, 193), np.geomspace(1e-6, 1e6, 37), -np.geomspace(1e-6, 1e6, 37),
                       SPECIAL])
UNIT = np.concatenate([np.linspace(-1, 1, 101), [1 - 1e-12, -1 + 1e-12, 1e-300, 0.7, 0.7000001, 1.5, -1.5,
                                                 np.inf, np.nan]])
UNARY = {
    "tan": WIDE, "asin": UNIT, "acos": UNIT, "atan": WIDE, "sinh": WIDE, "cosh": WIDE, "asinh": WIDE,
    "acosh": WIDE, "atanh": UNIT, "exp2": WIDE, "erfc": WIDE, "erfinv": UNIT, "lgamma": WIDE, "digamma": WIDE,
    "i0": WIDE, "sinc": WIDE, "logit": np.concatenate([UNIT, [0.25, 0.75, 1e-20]]), "frac": WIDE, "fix": WIDE,
    "deg2rad": WIDE, "rad2deg": WIDE, "signbit": WIDE, "isposinf": WIDE, "isneginf": WIDE, "isreal": WIDE,
    "positive": WIDE,
}
# float32: torch computes in float32 (different rounding and, near zeros of the result, larger relative error)
TOL = {np.float64: dict(rtol=1e-12, atol=1e-300), np.float32: dict(rtol=4e-6, atol=2e-6)}
LOOSE64 = {"lgamma": dict(rtol=1e-12, atol=1e-13), "tan": dict(rtol=1e-12, atol=1e-15)}


def _compare(got, ref, dtype, name, **tol):
    ref = np.asarray(ref)
    assert got.dtype == ref.dtype, f"{name}: dtype {got.dtype} != torch {ref.dtype}"
    assert got.shape == ref.shape
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, ref, equal_nan=True, err_msg=name, **(tol or TOL[dtype]))
    else:
        np.testing.assert_array_equal(got, ref, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values(name, dtype):
    with np.errstate(over="ignore"):          # 1e300 in float32 is inf
        x = UNARY[name].astype(dtype)
    ref = golden(f"values/{name}/{np.dtype(dtype).name}", lambda: getattr(torch, name)(torch.tensor(x)))
    got = getattr(npgrad, name)(npgrad.tensor(x)).numpy()
    tol = LOOSE64.get(name, {}) if dtype == np.float64 else {}
    _compare(got, ref, dtype, name, **tol)
    if name not in ("positive", "isreal", "signbit", "isposinf", "isneginf", "fix"):
        method = getattr(npgrad.tensor(x), name)()
        np.testing.assert_array_equal(method.numpy(), got)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_integer_inputs(name):
    """Integer tensors: the default float dtype (or kept, or torch's error) as in torch."""
    x = np.array([-3, -1, 0, 1, 2, 5])

    def compute():
        try:
            return {"value": getattr(torch, name)(torch.tensor(x))}
        except Exception as e:  # noqa: BLE001 - the error is the reference
            return {"error": f"{type(e).__name__}: {e}"}

    ref = golden(f"int/{name}", compute)
    try:
        got = getattr(npgrad, name)(npgrad.tensor(x)).numpy()
    except Exception as e:  # noqa: BLE001
        assert "error" in ref, f"{name}: npgrad raised {e!r}, torch did not"
        assert f"{type(e).__name__}: {e}" == str(ref["error"])
        return
    assert "value" in ref, f"{name}: torch raised {ref.get('error')}"
    _compare(got, ref["value"], np.float32, name)


def test_polygamma_and_mvlgamma_values():
    x = np.concatenate([np.linspace(-5.3, 9.7, 61), [0.0, -0.0, -1.0, -2.0, 1.0, 1e-8, 40.0, 1e4, np.inf, np.nan]])
    for n in (0, 1, 2, 3, 6):
        ref = golden(f"polygamma/{n}", lambda: torch.polygamma(n, torch.tensor(x)))
        np.testing.assert_allclose(npgrad.polygamma(n, npgrad.tensor(x)).numpy(), ref, rtol=1e-12, atol=1e-12,
                                   equal_nan=True, err_msg=f"polygamma {n}")
    xm = np.concatenate([np.linspace(1.01, 12, 23), [0.5, 1e3, np.inf]])
    for p in (1, 2, 5):
        ref = golden(f"mvlgamma/{p}", lambda: torch.mvlgamma(torch.tensor(xm), p))
        np.testing.assert_allclose(npgrad.mvlgamma(npgrad.tensor(xm), p).numpy(), ref, rtol=1e-12, atol=1e-12)


def test_logcumsumexp_with_infinities():
    x = np.array([[-np.inf, -np.inf, 0.0, np.inf, 1.0], [np.nan, 1.0, 2.0, -np.inf, 3.0]])
    ref = golden("logcumsumexp/inf", lambda: torch.logcumsumexp(torch.tensor(x), 1))
    np.testing.assert_allclose(npgrad.logcumsumexp(npgrad.tensor(x), 1).numpy(), ref, equal_nan=True)
    ref = golden("logcumsumexp/0d", lambda: torch.logcumsumexp(torch.tensor(1.5), 0))
    np.testing.assert_allclose(npgrad.tensor(1.5).logcumsumexp(0).numpy(), ref)


BINARY = ["atan2", "hypot", "copysign", "fmax", "fmin", "float_power", "logaddexp", "logaddexp2", "xlogy",
          "nextafter", "heaviside", "igamma", "igammac"]
GRID = np.array([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, 1e-30, 40.0, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_values_and_broadcasting(name, dtype):
    r = np.random.default_rng(7)
    a = np.concatenate([GRID, r.uniform(-20, 20, 12)]).astype(dtype)[:, None]     # (25, 1)
    b = np.concatenate([GRID, r.uniform(-20, 20, 12)]).astype(dtype)[None, :]     # (1, 25)
    if name in ("igamma", "igammac"):
        a, b = np.abs(a), np.abs(b)
    ref = golden(f"binary/{name}/{np.dtype(dtype).name}",
                 lambda: getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    got = getattr(npgrad, name)(npgrad.tensor(a), npgrad.tensor(b)).numpy()
    tol = dict(rtol=1e-12, atol=1e-15) if name == "logaddexp2" and dtype == np.float64 else {}
    if name in ("igamma", "igammac"):
        # torch's uniform asymptotic branch (a ~ x > 20) carries float precision pi: 1e-9 relative
        tol = dict(rtol=1e-8, atol=1e-15) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-6)
    _compare(got, ref, dtype, name, **tol)


MIXED = [("float32", "float64"), ("int64", "float32"), ("float64", "int32"), ("int64", "int64"), ("bool", "float32")]


@pytest.mark.parametrize("name", ["atan2", "copysign", "fmax", "fmin", "float_power", "xlogy", "ldexp", "logaddexp",
                                  "hypot", "nextafter", "igamma", "gcd", "lcm", "heaviside", "bitwise_left_shift",
                                  "bitwise_right_shift"])
def test_binary_dtype_promotion(name):
    """The result dtype (or torch's error) for mixed and integer operand dtypes, tensor and number operands."""
    a, b = np.array([3.0, 2.0, 5.0, 0.0]), np.array([2.0, 1.0, 3.0, 2.0])

    def run(lib):
        out = {}
        for da, db in MIXED:
            for kind, args in (("tt", (lib.tensor(a, dtype=getattr(lib, da)), lib.tensor(b, dtype=getattr(lib, db)))),
                               ("ts", (lib.tensor(a, dtype=getattr(lib, da)), 2)),
                               ("tf", (lib.tensor(a, dtype=getattr(lib, da)), 2.0))):
                key = f"{da}/{db}/{kind}"
                try:
                    res = getattr(lib, name)(*args)
                    out[key] = [str(res.dtype).split(".")[-1], [float(v) for v in res.tolist()]]
                except (RuntimeError, NotImplementedError, TypeError) as e:
                    out[key] = [type(e).__name__, str(e).split("\n")[0]]
        return out

    ref = golden.json(f"promotion/{name}", lambda: run(torch))
    got = run(npgrad)
    for key, (what, value) in ref.items():
        if what == "TypeError":      # torch's argument parser refuses a number here; npgrad accepts it
            continue
        assert got[key][0] == what, f"{name} {key}: {got[key]} vs torch {what} {value}"
        if isinstance(value, list):
            np.testing.assert_allclose(got[key][1], value, rtol=1e-6, err_msg=f"{name} {key}")
        else:
            assert got[key][1] == value, f"{name} {key}"


def test_integer_functions():
    a = np.array([12, -18, 0, 7, 0, -5, 1 << 40])
    b = np.array([18, 12, 5, 0, 0, -10, 6])
    for name in ("gcd", "lcm"):
        ref = golden(f"int/{name}", lambda: getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
        got = getattr(npgrad, name)(npgrad.tensor(a), npgrad.tensor(b))
        np.testing.assert_array_equal(got.numpy(), ref)
        assert got.dtype == npgrad.int64
    s = np.array([-1, 0, 1, 5, 31, 32, 63, 64, 70])
    x = np.array([3, -8, 1, -1, 5, -5, 3, 7, -7])
    for dt in ("int64", "int32"):
        for name in ("bitwise_left_shift", "bitwise_right_shift"):
            ref = golden(f"shift/{name}/{dt}", lambda: getattr(torch, name)(
                torch.tensor(x, dtype=getattr(torch, dt)), torch.tensor(s, dtype=getattr(torch, dt))))
            got = getattr(npgrad, name)(npgrad.tensor(x, dtype=getattr(npgrad, dt)),
                                        npgrad.tensor(s, dtype=getattr(npgrad, dt)))
            np.testing.assert_array_equal(got.numpy(), ref)
    t = npgrad.tensor(x)
    np.testing.assert_array_equal((t << 2).numpy(), npgrad.bitwise_left_shift(t, 2).numpy())
    np.testing.assert_array_equal((t >> 1).numpy(), t.bitwise_right_shift(1).numpy())
    np.testing.assert_array_equal((3 << npgrad.tensor([1, 2])).numpy(), [6, 12])
    u = npgrad.tensor([1, 2])
    u <<= 3
    np.testing.assert_array_equal(u.numpy(), [8, 16])


def test_frexp_and_heaviside_and_predicates():
    x = np.array([0.0, -0.0, 1.0, -3.5, 1e-310, 1e300, np.inf, -np.inf, np.nan, 0.75], dtype=np.float64)
    for dt in (np.float64, np.float32):
        with np.errstate(over="ignore"):
            xd = x.astype(dt)
        m_ref, e_ref = golden(f"frexp/{np.dtype(dt).name}", lambda: tuple(torch.frexp(torch.tensor(xd))))
        res = npgrad.frexp(npgrad.tensor(xd))
        assert type(res).__name__ == "frexp" and res.mantissa is res[0] and res.exponent is res[1]
        np.testing.assert_array_equal(res.mantissa.numpy(), m_ref)
        fin = np.isfinite(xd)        # the exponent of inf/NaN is unspecified
        np.testing.assert_array_equal(res.exponent.numpy()[fin], np.asarray(e_ref)[fin])
        assert res.exponent.dtype == npgrad.int32
    v = np.array([0.0, -0.0, 2.0, -2.0, np.nan, np.inf])
    ref = golden("heaviside/values", lambda: torch.heaviside(torch.tensor(v), torch.tensor([0.25]).double()))
    got = npgrad.heaviside(npgrad.tensor(v), npgrad.tensor([0.25]).double())
    np.testing.assert_array_equal(got.numpy(), ref)
    ref = golden("heaviside/int", lambda: torch.heaviside(torch.tensor([-2, 0, 3]), torch.tensor([7])))
    np.testing.assert_array_equal(npgrad.tensor([-2, 0, 3]).heaviside(npgrad.tensor([7])).numpy(), ref)
    for name in ("signbit", "isposinf", "isneginf", "isreal"):
        ref = golden(f"predicate/{name}", lambda: getattr(torch, name)(torch.tensor(v)))
        got = getattr(npgrad.tensor(v), name)()
        assert got.dtype == npgrad.bool
        np.testing.assert_array_equal(got.numpy(), ref)


# --------------------------------------------------------------------------- gradients at the boundaries


BOUNDARY = [
    ("acos", lambda L, a: L.acos(a), [1.0, -1.0, 0.0, 0.5]),
    ("asin", lambda L, a: L.asin(a), [1.0, -1.0, 0.0, 1.5]),
    ("acosh", lambda L, a: L.acosh(a), [1.0, 0.5, 2.0]),
    ("atanh", lambda L, a: L.atanh(a), [1.0, -1.0, 0.0]),
    ("sinc", lambda L, a: L.sinc(a), [0.0, 1.0, -0.5, 1e-20]),
    ("logit", lambda L, a: L.logit(a), [0.0, 1.0, -0.5, 1.5, 0.5]),
    ("logit_eps", lambda L, a: L.logit(a, 0.1), [0.0, 1.0, 0.05, 0.1, 0.9, 0.95, 0.5]),
    ("lgamma", lambda L, a: L.lgamma(a), [0.0, -1.0, -2.5, 1.0]),
    ("digamma", lambda L, a: L.digamma(a), [0.0, -1.0, 1.0]),
    ("erfinv", lambda L, a: L.erfinv(a), [1.0, -1.0, 0.0]),
    ("i0", lambda L, a: L.i0(a), [0.0, -1.0]),
    ("frexp", lambda L, a: L.frexp(a)[0], [0.0, 1.0, -3.0, 1e-310]),
    ("exp2", lambda L, a: L.exp2(a), [-np.inf, 0.0]),
    ("xlogy_self_zero", lambda L, a: L.xlogy(a, a), [0.0, 1.0, 2.0]),
    ("xlogy_other_zero", lambda L, a: L.xlogy(a * 0 + 2.0, a), [0.0, -1.0, 1.0]),
    ("hypot_origin", lambda L, a: L.hypot(a, a * 0), [0.0, 1.0, -2.0]),
    ("atan2_origin", lambda L, a: L.atan2(a, a * 0), [0.0, 1.0, -1.0]),
    ("copysign_zero", lambda L, a: L.copysign(a, -1.0), [0.0, -0.0, 2.0]),
    ("fmax_ties_nan", lambda L, a: L.fmax(a, a * 0 + 1.0), [1.0, np.nan, 0.0, 2.0]),
    ("fmin_ties_nan", lambda L, a: L.fmin(a * 0 + 1.0, a), [1.0, np.nan, 0.0, 2.0]),
    ("float_power_zeros", lambda L, a: L.float_power(a, a * 0), [0.0, 2.0]),
    ("float_power_zero_base", lambda L, a: L.float_power(a * 0, a + 1), [0.0, 2.0]),
    ("nextafter_equal", lambda L, a: L.nextafter(a, a * 0 + 1.0), [1.0, 0.0, np.nan]),
    ("logaddexp_inf", lambda L, a: L.logaddexp(a, a), [-np.inf, 0.0]),
    ("frac", lambda L, a: L.frac(a), [1.0, -2.5]),
    ("logcumsumexp_neg_inf", lambda L, a: L.logcumsumexp(a, 0), [-np.inf, 0.0, -np.inf, 2.0]),
    ("polygamma_pole", lambda L, a: L.polygamma(2, a), [0.0, -1.0, 1.0]),
]


@pytest.mark.parametrize("name,fn,values", BOUNDARY, ids=[b[0] for b in BOUNDARY])
def test_boundary_gradients(name, fn, values):
    check_at(golden, f"boundary/{name}", fn, values)


def test_gradients_of_second_operand_are_zero_tensors():
    """copysign and nextafter give the second operand a zero gradient (not None), as torch."""
    for fn in (npgrad.copysign, npgrad.nextafter):
        a = npgrad.tensor([1.0, -2.0], dtype=npgrad.float64, requires_grad=True)
        b = npgrad.tensor([-1.0, 3.0], dtype=npgrad.float64, requires_grad=True)
        fn(a, b).sum().backward()
        np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0])


def test_float32_gradients_follow_the_input_dtype():
    x = npgrad.tensor([0.3, 0.6], requires_grad=True)
    npgrad.float_power(x, 2).sum().backward()       # computed in float64, the gradient comes back as float32
    assert x.grad.dtype == npgrad.float32
    np.testing.assert_allclose(x.grad.numpy(), [0.6, 1.2], rtol=1e-6)
    for name in ("lgamma", "erfinv", "i0", "tan", "atan2", "xlogy"):
        x = npgrad.tensor([0.3, 0.6], requires_grad=True)
        y = getattr(npgrad, name)(x, x) if name in ("atan2", "xlogy") else getattr(npgrad, name)(x)
        assert y.dtype == npgrad.float32
        y.sum().backward()
        assert x.grad.dtype == npgrad.float32


# what each op records: its grad_fn's name, and whether it keeps its output for backward (then writing into
# the output in place makes backward fail, as in PyTorch)
RECORDED = {
    **{name: lambda L, x, name=name: getattr(L, name)(x)
       for name in ("tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "sinc", "exp2", "erfc",
                    "erfinv", "lgamma", "digamma", "i0", "frac")},
    **{name: lambda L, x, name=name: getattr(L.special, name)(x)
       for name in ("i0e", "i1", "i1e", "ndtri", "log_ndtr", "erfcx", "entr")},
    **{name: lambda L, x, name=name: getattr(L, name)(x, x * 2)
       for name in ("atan2", "hypot", "copysign", "fmax", "fmin", "logaddexp", "logaddexp2", "xlogy", "nextafter")},
    "xlog1py": lambda L, x: L.special.xlog1py(x, x * 2),
    "zeta": lambda L, x: L.special.zeta(x.detach() + 1, x),
    "igamma": lambda L, x: L.igamma(x.detach(), x),
    "igammac": lambda L, x: L.igammac(x.detach(), x),
    "polygamma": lambda L, x: L.polygamma(2, x),
    "mvlgamma": lambda L, x: L.mvlgamma(x * 2, 2),
    "logit": lambda L, x: L.logit(x * 0.5),
    "logcumsumexp": lambda L, x: L.logcumsumexp(x, 0),
}


def _recorded(L, fn):
    x = L.tensor([0.3, 0.6], dtype=L.float64, requires_grad=True) * 1
    y = fn(L, x)
    name = y.grad_fn.name()
    y.mul_(2)
    try:
        y.sum().backward()
    except RuntimeError as e:
        return [name, "output saved" if "modified by an inplace operation" in str(e) else str(e)]
    return [name, "output not saved"]


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_grad_fn_and_saved_output_match_torch(name):
    expected = golden.json(f"recorded/{name}", lambda: _recorded(torch, RECORDED[name]))
    assert _recorded(npgrad, RECORDED[name]) == expected


def test_gradcheck_special_paths():
    """float64 gradcheck where the harness' random inputs do not reach: negative lgamma/digamma arguments,
    the far tails of erfinv and erfc."""
    cases = [(npgrad.lgamma, [-2.3, -0.7, 0.2, 15.5]), (npgrad.digamma, [-3.6, -0.4, 0.05, 30.0]),
             (npgrad.erfinv, [-0.9999, 0.999, 0.01]), (npgrad.erfc, [-3.0, 4.0, 9.0]),
             (lambda x: npgrad.polygamma(3, x), [-1.5, 0.4, 12.0]), (lambda x: npgrad.mvlgamma(x, 4), [2.0, 7.5])]
    for fn, values in cases:
        assert gradcheck_at(fn, values)


# --------------------------------------------------------------------------- errors


ERRORS = {
    "heaviside_backward": lambda L: L.heaviside(L.tensor([1.0, 0.0], requires_grad=True),
                                                L.tensor([0.5])).sum().backward(),
    "heaviside_dtypes": lambda L: L.heaviside(L.tensor([1.0]), L.tensor([1])),
    "igamma_backward_input": lambda L: L.igamma(L.tensor([1.0, 2.0], requires_grad=True),
                                                L.tensor([1.0, 3.0])).sum().backward(),
    "igammac_backward_input": lambda L: L.igammac(L.tensor([1.0, 2.0], requires_grad=True),
                                                  L.tensor([1.0, 3.0])).sum().backward(),
    "igamma_int": lambda L: L.igamma(L.tensor([1, 2]), L.tensor([1, 3])),
    "polygamma_negative": lambda L: L.polygamma(-1, L.tensor([1.0])),
    "polygamma_method_negative": lambda L: L.tensor([1.0]).polygamma(-2),
    "mvlgamma_p0": lambda L: L.mvlgamma(L.tensor([1.0]), 0),
    "gcd_float": lambda L: L.gcd(L.tensor([1.0]), L.tensor([2.0])),
    "gcd_bool": lambda L: L.gcd(L.tensor([True]), L.tensor([True])),
    "lcm_float": lambda L: L.lcm(L.tensor([1, 2]), L.tensor([2.0])),
    "shift_float": lambda L: L.bitwise_left_shift(L.tensor([1.0]), 1),
    "rshift_float": lambda L: L.bitwise_right_shift(L.tensor([1]), 1.5),
    "frexp_int": lambda L: L.frexp(L.tensor([1, 2])),
    "frac_int": lambda L: L.frac(L.tensor([1, 2])),
    "hypot_int": lambda L: L.hypot(L.tensor([1, 2]), L.tensor([1, 3])),
    "logaddexp_int": lambda L: L.logaddexp(L.tensor([1, 2]), L.tensor([1, 3])),
    "nextafter_int": lambda L: L.nextafter(L.tensor([1, 2]), L.tensor([1, 3])),
    "logcumsumexp_int": lambda L: L.logcumsumexp(L.tensor([1, 2]), 0),
    "logcumsumexp_dim": lambda L: L.logcumsumexp(L.tensor([1.0, 2.0]), 1),
    "positive_bool": lambda L: L.positive(L.tensor([True])),
    "atan2_shapes": lambda L: L.atan2(L.ones(2, 3), L.ones(4)),
    "xlogy_shapes": lambda L: L.xlogy(L.ones(3), L.ones(2, 2)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    ref = golden.json(f"errors/{name}", lambda: error_text(lambda: ERRORS[name](torch)))
    assert ref != "no error"
    assert error_text(lambda: ERRORS[name](npgrad)) == ref


# --------------------------------------------------------------------------- in-place forms

F = [0.3, -0.7, 0.9]
FP = [0.3, 0.7, 0.9]
I = [1, -2, 3]
# (method, arguments ("T", values) for a tensor), values of the tensor, dtype kind: f float32, i int64, d float64
INPLACE = [
    ("tan_", (), F, "f"), ("asin_", (), F, "f"), ("acos_", (), F, "f"), ("atan_", (), F, "f"),
    ("sinh_", (), F, "f"), ("cosh_", (), F, "f"), ("asinh_", (), F, "f"), ("acosh_", (), [1.5, 2.0, 3.0], "f"),
    ("atanh_", (), F, "f"), ("arcsin_", (), F, "f"), ("arccos_", (), F, "f"), ("arctan_", (), F, "f"),
    ("arcsinh_", (), F, "f"), ("arccosh_", (), [1.5, 2.0, 3.0], "f"), ("arctanh_", (), F, "f"),
    ("sin_", (), F, "f"), ("cos_", (), F, "f"), ("exp2_", (), F, "f"), ("expm1_", (), F, "f"),
    ("log2_", (), FP, "f"), ("log10_", (), FP, "f"), ("log1p_", (), FP, "f"), ("rsqrt_", (), FP, "f"),
    ("erf_", (), F, "f"), ("erfc_", (), F, "f"), ("erfinv_", (), F, "f"), ("lgamma_", (), F, "f"),
    ("digamma_", (), F, "f"), ("polygamma_", (2,), FP, "f"), ("mvlgamma_", (2,), [1.5, 2.0, 3.0], "f"),
    ("i0_", (), F, "f"), ("sinc_", (), F, "f"), ("logit_", (), FP, "f"), ("logit_", (0.35,), FP, "f"),
    ("frac_", (), [1.5, -2.25, 3.0], "f"), ("fix_", (), [1.5, -2.25, 3.0], "f"), ("deg2rad_", (), F, "f"),
    ("rad2deg_", (), F, "f"), ("sign_", (), F, "f"), ("sgn_", (), F, "f"), ("negative_", (), F, "f"),
    ("absolute_", (), F, "f"), ("nan_to_num_", (), [np.nan, np.inf, 1.0], "f"),
    ("nan_to_num_", (1.0, 2.0, -2.0), [np.nan, np.inf, -np.inf], "f"),
    ("clamp_min_", (0.0,), F, "f"), ("clamp_max_", (0.0,), F, "f"), ("clamp_min_", (0.5,), I, "i"),
    ("clamp_max_", (0,), I, "i"), ("cumsum_", (0,), F, "f"), ("cumprod_", (0,), F, "f"),
    ("atan2_", ("T", [0.5, 0.5, -1.0]), F, "f"), ("arctan2_", ("T", [0.5, 0.5, -1.0]), F, "f"),
    ("hypot_", ("T", [0.5, 0.5, -1.0]), F, "f"), ("copysign_", ("T", [0.5, -0.5, -1.0]), F, "f"),
    ("copysign_", (-1.0,), F, "f"), ("heaviside_", ("T", [0.5]), [0.0, -1.0, 2.0], "f"),
    ("xlogy_", ("T", [0.5, 2.0, 3.0]), F, "f"), ("xlogy_", (2.0,), F, "f"),
    ("nextafter_", ("T", [1.0, 1.0, 0.0]), F, "f"), ("ldexp_", ("T", [1, 2, 3]), F, "f"),
    ("igamma_", ("T", [0.5, 1.0, 2.0]), FP, "f"), ("igammac_", ("T", [0.5, 1.0, 2.0]), FP, "f"),
    ("gcd_", ("T", [4, 6, 9]), [6, 4, 3], "i"), ("lcm_", ("T", [4, 6, 9]), [6, 4, 3], "i"),
    ("bitwise_left_shift_", (2,), I, "i"), ("bitwise_right_shift_", (1,), I, "i"),
    ("bitwise_and_", (3,), I, "i"), ("bitwise_or_", (4,), I, "i"), ("bitwise_xor_", (5,), I, "i"),
    ("bitwise_not_", (), I, "i"), ("logical_and_", ("T", [1.0, 0.0, 2.0]), F, "f"),
    ("logical_or_", ("T", [1.0, 0.0, 0.0]), [0.0, 0.0, 1.0], "f"), ("logical_xor_", ("T", [1.0, 0.0, 2.0]), F, "f"),
    ("logical_not_", (), [0.0, 1.0, 2.0], "f"), ("eq_", (0.5,), [0.5, 1.0, -2.0], "f"),
    ("ne_", (0.5,), [0.5, 1.0, -2.0], "f"), ("lt_", (0.5,), [0.5, 1.0, -2.0], "f"),
    ("le_", (0.5,), [0.5, 1.0, -2.0], "f"), ("gt_", (0.5,), [0.5, 1.0, -2.0], "f"),
    ("ge_", (0.5,), [0.5, 1.0, -2.0], "f"), ("greater_", (0.5,), [0.5, 1.0, -2.0], "f"),
    ("less_", (0.5,), [0.5, 1.0, -2.0], "f"), ("greater_equal_", (0.5,), [0.5, 1.0, -2.0], "f"),
    ("less_equal_", (0.5,), [0.5, 1.0, -2.0], "f"), ("not_equal_", (0.5,), [0.5, 1.0, -2.0], "f"),
    ("eq_", ("T", [1, 0, 3]), I, "i"), ("lt_", ("T", [1.5, 0.0, 3.5]), I, "i"),
    ("multiply_", (2.0,), F, "f"), ("subtract_", (2.0,), F, "f"), ("subtract_", ("T", [1.0, 2.0, 3.0]), F, "f"),
    ("divide_", (2.0,), F, "f"), ("true_divide_", (2.0,), F, "f"), ("floor_divide_", (2,), I, "i"),
    ("fmod_", (2,), I, "i"), ("remainder_", (2,), I, "i"), ("fmod_", (0.25,), F, "f"), ("remainder_", (0.25,), F, "f"),
    ("float_power_", (2.0,), F, "d"), ("float_power_", (2.0,), F, "f"), ("conj_physical_", (), F, "f"),
]
_DT = {"f": "float32", "i": "int64", "d": "float64"}


def _run_inplace(lib, name, args, base, kind):
    x = lib.tensor(np.array(base), dtype=getattr(lib, _DT[kind]))
    a = [lib.tensor(np.array(args[1]))] if args and args[0] == "T" else \
        [getattr(lib, "float64") if a is npgrad.float64 else a for a in args]
    try:
        r = getattr(x, name)(*a)
    except Exception as e:  # noqa: BLE001 - the error is the result
        return {"error": f"{type(e).__name__}: {e}"}
    assert r is x
    return {"value": x.numpy().copy(), "dtype": str(x.dtype).split(".")[-1]}


def _int_values(base):
    return [int(v) if np.isfinite(v) else 0 for v in base]


@pytest.mark.parametrize("case", INPLACE, ids=[f"{c[0]}-{i}" for i, c in enumerate(INPLACE)])
def test_inplace_matches_torch(case):
    """Value and dtype (or torch's error: integer tensors cannot hold a float result) of ``x.name_(...)``."""
    name, args, base, kind = case
    kinds = [kind] + (["i"] if kind == "f" else [])
    for k in kinds:
        values = _int_values(base) if (k == "i" and kind == "f") else base
        ref = golden(f"inplace/{name}/{args!r}/{k}", lambda: _run_inplace(torch, name, args, values, k))
        got = _run_inplace(npgrad, name, args, values, k)
        if "error" in ref:
            assert got.get("error") == str(ref["error"]), f"{name} {k}: {got} vs torch {ref['error']}"
        else:
            assert "value" in got, f"{name} {k}: npgrad raised {got['error']}"
            assert got["dtype"] == str(ref["dtype"])
            np.testing.assert_allclose(got["value"], ref["value"], rtol=2e-6, equal_nan=True, err_msg=name)


def test_inplace_equals_out_of_place_and_bumps_version():
    x0 = np.array([0.3, -0.7, 0.9])
    for name in ("tan", "lgamma", "erfc", "sinc", "digamma", "exp2", "atan"):
        x = npgrad.tensor(x0)
        v = versions.version(x._data)
        expected = getattr(x, name)().numpy()
        getattr(x, name + "_")()
        np.testing.assert_array_equal(x.numpy(), expected)
        assert versions.version(x._data) == v + 1
    y = npgrad.tensor(x0)
    view = y[1:]
    view.atan2_(npgrad.tensor([1.0, 1.0]))     # through a view: the base sees it and its counter moves
    np.testing.assert_allclose(y.numpy()[1:], np.arctan2(x0[1:], 1.0))
    assert versions.version(y._data) >= 1


@pytest.mark.parametrize("name", ["tan_", "lgamma_", "erfinv_", "atan2_", "unsqueeze_", "t_", "eq_"])
def test_inplace_refuses_leaf_requiring_grad(name):
    args = {"atan2_": (npgrad.tensor([1.0, 2.0]),), "unsqueeze_": (0,), "eq_": (0.5,)}.get(name, ())
    x = npgrad.tensor([0.5, 0.25], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place "
                                           "operation."):
        getattr(x, name)(*args)
    with npgrad.no_grad():
        getattr(x, name)(*args)             # allowed without recording


INPLACE_GRAD = [
    ("tan_", lambda L, y, w: y.tan_()),
    ("lgamma_", lambda L, y, w: y.lgamma_()),
    ("digamma_", lambda L, y, w: y.digamma_()),
    ("erfinv_", lambda L, y, w: (y * 0.5).erfinv_()),
    ("logit_", lambda L, y, w: (y * 0.3 + 0.5).logit_(0.1)),
    ("atan2_", lambda L, y, w: y.atan2_(w)),
    ("hypot_", lambda L, y, w: y.hypot_(w)),
    ("xlogy_", lambda L, y, w: y.xlogy_(w.abs())),
    ("copysign_", lambda L, y, w: y.copysign_(w)),
    ("polygamma_", lambda L, y, w: (y.abs() + 1).polygamma_(1)),
    ("mvlgamma_", lambda L, y, w: (y.abs() + 2).mvlgamma_(2)),
    ("sinc_", lambda L, y, w: y.sinc_()),
    ("i0_", lambda L, y, w: y.i0_()),
    ("frac_", lambda L, y, w: (y * 3).frac_()),
    ("cumsum_", lambda L, y, w: y.cumsum_(0)),
    ("clamp_min_", lambda L, y, w: y.clamp_min_(0.0)),
    ("ldexp_", lambda L, y, w: y.ldexp_(L.tensor([1, 2, -1]))),
    ("unsqueeze_", lambda L, y, w: (y.unsqueeze_(0) * w).sum(1)),
    ("t_", lambda L, y, w: y.reshape(3, 1).t_() * w),
    ("transpose_", lambda L, y, w: y.reshape(1, 3).transpose_(0, 1).squeeze_(1) * w),
    ("swapaxes_", lambda L, y, w: y.reshape(1, 3, 1).swapaxes_(0, 2).swapdims_(1, 0).squeeze_() * w),
]


@pytest.mark.parametrize("name,fn", INPLACE_GRAD, ids=[c[0] for c in INPLACE_GRAD])
def test_inplace_through_non_leaf_is_differentiable(name, fn):
    def grads(lib):
        x = lib.tensor([0.3, -0.6, 0.8], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([0.5, -1.5, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 1.0
        out = fn(lib, y, w)
        out.backward(lib.ones_like(out))
        return out.detach(), x.grad, (w.grad if w.grad is not None else lib.zeros(3, dtype=lib.float64))

    ref = golden(f"inplace_grad/{name}", lambda: grads(torch))
    got = grads(npgrad)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g.numpy(), r, rtol=1e-10, atol=1e-12, err_msg=name)


def test_inplace_shape_changes():
    base = npgrad.arange(6.0)
    x = base.reshape(2, 1, 3)
    v = versions.version(x._data)
    assert x.squeeze_() is x and x.shape == (2, 3)
    assert x.unsqueeze_(-1).shape == (2, 3, 1)
    assert x.squeeze_(2).t_().shape == (3, 2)
    assert x.transpose_(0, 1).swapaxes_(0, 1).swapdims_(1, 0).shape == (2, 3)
    assert versions.version(x._data) == v + 7
    x[0, 0] = 100.0
    assert base[0].item() == 100.0          # still a view of the same memory
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        npgrad.zeros(2, 2, 2).t_()


def test_inplace_errors():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        npgrad.tensor([1, 2]).tan_()
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Float but the operation's "
                                           "result requires dtype Double"):
        npgrad.tensor([1.0]).float_power_(2)
    with pytest.raises(RuntimeError, match="Bad in-place call: input tensor dtype float and output tensor dtype "
                                           "double should match"):
        npgrad.tensor([1.0]).cumprod_(0, dtype=npgrad.float64)
    with pytest.raises(RuntimeError, match="Bad in-place call: input tensor dtype long int and output tensor dtype "
                                           "float should match"):
        npgrad.tensor([1, 2]).cumsum_(0, dtype=npgrad.float32)


# --------------------------------------------------------------------------- top-level functions

TOP_LEVEL_INPLACE = ["abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
                     "asin_", "asinh_", "atan_", "atanh_", "ceil_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_",
                     "exp2_", "exp_", "expm1_", "fix_", "floor_", "frac_", "i0_", "log10_", "log1p_", "log2_",
                     "log_", "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "round_",
                     "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_"]


@pytest.mark.parametrize("name", TOP_LEVEL_INPLACE)
def test_top_level_inplace_functions(name):
    x0 = [0.3, 0.45, 0.9]
    ref = golden(f"top_inplace/{name}", lambda: getattr(torch, name)(torch.tensor(x0, dtype=torch.float64)))
    x = npgrad.tensor(x0, dtype=npgrad.float64)
    assert getattr(npgrad, name)(x) is x
    np.testing.assert_allclose(x.numpy(), ref, rtol=1e-12)


def test_top_level_functions_exist_where_torch_has_them():
    names = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan",
             "arcsinh", "arccosh", "arctanh", "exp2", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma",
             "i0", "sinc", "logit", "frac", "fix", "deg2rad", "rad2deg", "positive", "signbit", "isposinf",
             "isneginf", "isreal", "logcumsumexp", "atan2", "arctan2", "hypot", "copysign", "fmax", "fmin",
             "float_power", "heaviside", "logaddexp", "logaddexp2", "xlogy", "nextafter", "ldexp", "gcd", "lcm",
             "frexp", "igamma", "igammac", "bitwise_left_shift", "bitwise_right_shift", "greater_equal",
             "less_equal", "not_equal", "clamp_", "clip_", "clamp_min_", "clamp_max_", "fill_", "zero_", "detach_",
             "index_put_", "xlogy_", "ldexp_", "gcd_", "lcm_", "dropout_", "alpha_dropout_", "feature_dropout_",
             "feature_alpha_dropout_", "embedding_renorm_", "conj_physical", "conj_physical_"]
    for n in names:
        assert callable(getattr(npgrad, n)), n
        if torch is not None:
            assert hasattr(torch, n), n
    methods = [n for n in names if n not in ("polygamma", "dropout_", "alpha_dropout_", "feature_dropout_",
                                             "feature_alpha_dropout_", "embedding_renorm_")]
    for n in methods:
        assert hasattr(npgrad.Tensor, n), n


def test_top_level_misc_inplace():
    x = npgrad.tensor([1.0, -2.0, 3.0])
    assert npgrad.clamp_(x, -1.0, 1.0) is x and x.tolist() == [1.0, -1.0, 1.0]
    assert npgrad.fill_(x, 2.5) is x and x.tolist() == [2.5] * 3
    assert npgrad.zero_(x) is x and x.tolist() == [0.0] * 3
    assert npgrad.xlogy(2.0, npgrad.tensor([1.0, np.e])).tolist() == pytest.approx([0.0, 2.0])
    ones = npgrad.ones(4, 3, 5)
    npgrad.manual_seed(0)
    out = npgrad.feature_dropout_(ones, 0.5, True)
    assert out is ones
    per_channel = ones.numpy()
    assert set(np.unique(per_channel).tolist()) <= {0.0, 2.0}
    assert np.all(per_channel == per_channel[:, :, :1])       # whole channels
    y = npgrad.ones(1000)
    assert npgrad.dropout_(y, 0.25, True) is y
    assert set(np.unique(y.numpy()).tolist()) <= {0.0, float(np.float32(1.0 / 0.75))}
    z = npgrad.ones(10)
    assert npgrad.dropout_(z, 0.5, False) is z and z.tolist() == [1.0] * 10
    a = npgrad.ones(200)
    assert npgrad.alpha_dropout_(a, 0.2, True) is a
    assert npgrad.feature_alpha_dropout_(npgrad.ones(2, 3, 4), 0.2, False).tolist() == np.ones((2, 3, 4)).tolist()


def test_embedding_renorm_matches_torch():
    w0 = np.arange(15, dtype=np.float64).reshape(5, 3) / 4 - 1.5
    idx = np.array([0, 2, 2, 4])
    for max_norm, p in ((1.0, 2.0), (2.5, 1.0), (0.5, 3.0)):
        ref = golden(f"embedding_renorm/{max_norm}/{p}", lambda: torch.embedding_renorm_(
            torch.tensor(w0), torch.tensor(idx), max_norm, p))
        w = npgrad.tensor(w0)
        assert npgrad.embedding_renorm_(w, npgrad.tensor(idx), max_norm, p) is w
        np.testing.assert_allclose(w.numpy(), ref, rtol=1e-12)
