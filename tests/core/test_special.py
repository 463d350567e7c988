"""npgrad.special against torch.special: every function's values over wide ranges and at special points
(float64, float32, integer inputs), gradients where torch has them (torch's values and float64 gradcheck),
no graph where torch has no derivative, the polynomial families, errors and ``out=``."""
import numpy as np
import pytest

import npgrad
import npgrad.special as special
from harness import Case, check_at, check_case, error_text, gradcheck_at
from oracle import Golden, torch

golden = Golden("special")


def _uniform(lo, hi, *shapes):
    return lambda r: [r.uniform(lo, hi, s) for s in shapes]


CASES = [
    Case("expit", lambda L, a: L.special.expit(a * 4), [(3, 4)]),
    Case("logit", lambda L, a: L.special.logit(a), None, inputs=_uniform(0.05, 0.95, (3, 4))),
    Case("logit_eps", lambda L, a: L.special.logit(a, eps=1e-2), None, inputs=_uniform(0.05, 0.95, (3, 4))),
    Case("erf", lambda L, a: L.special.erf(a), [(3, 4)]),
    Case("erfc", lambda L, a: L.special.erfc(a * 3), [(3, 4)]),
    Case("erfcx", lambda L, a: L.special.erfcx(a * 5), [(3, 4)]),
    Case("erfinv", lambda L, a: L.special.erfinv(a), None, inputs=_uniform(-0.99, 0.99, (3, 4))),
    Case("exp2", lambda L, a: L.special.exp2(a), [(3, 4)]),
    Case("expm1", lambda L, a: L.special.expm1(a), [(3, 4)]),
    Case("log1p", lambda L, a: L.special.log1p(a), None, inputs=_uniform(-0.9, 3.0, (3, 4))),
    Case("gammaln", lambda L, a: L.special.gammaln(a), None, inputs=_uniform(0.1, 20.0, (3, 4))),
    Case("digamma", lambda L, a: L.special.digamma(a), None, inputs=_uniform(0.1, 20.0, (3, 4))),
    Case("psi", lambda L, a: L.special.psi(a), None, inputs=_uniform(0.1, 20.0, (3, 4))),
    Case("polygamma3", lambda L, a: L.special.polygamma(3, a), None, inputs=_uniform(0.3, 8.0, (3, 4))),
    Case("multigammaln", lambda L, a: L.special.multigammaln(a, 4), None, inputs=_uniform(1.6, 8.0, (3, 4))),
    Case("xlogy", lambda L, a, b: L.special.xlogy(a, b), None, inputs=lambda r: [r.standard_normal((3, 4)),
                                                                                    r.uniform(0.1, 3, (4,))]),
    Case("xlog1py", lambda L, a, b: L.special.xlog1py(a, b), None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.uniform(-0.9, 3, (3, 1))]),
    Case("xlog1py_scalar_other", lambda L, a: L.special.xlog1py(a, 2.0), [(3, 4)]),
    Case("entr", lambda L, a: L.special.entr(a), None, inputs=_uniform(0.05, 3.0, (3, 4))),
    Case("sinc", lambda L, a: L.special.sinc(a * 3), [(3, 4)]),
    Case("round", lambda L, a: L.special.round(a * 10, decimals=1), [(3, 4)], gradcheck=False),
    Case("ndtr", lambda L, a: L.special.ndtr(a * 3), [(3, 4)]),
    Case("ndtri", lambda L, a: L.special.ndtri(a), None, inputs=_uniform(0.01, 0.99, (3, 4))),
    Case("log_ndtr", lambda L, a: L.special.log_ndtr(a * 6), [(3, 4)]),
    Case("i0", lambda L, a: L.special.i0(a * 6), [(3, 4)]),
    Case("i0e", lambda L, a: L.special.i0e(a * 6), [(3, 4)]),
    Case("i1", lambda L, a: L.special.i1(a * 6), [(3, 4)]),
    Case("i1e", lambda L, a: L.special.i1e(a * 6), [(3, 4)]),
    Case("logsumexp", lambda L, a: L.special.logsumexp(a, 1), [(3, 4)]),
    Case("logsumexp_keepdim", lambda L, a: L.special.logsumexp(a, (0, 1), keepdim=True), [(3, 4)]),
    Case("softmax", lambda L, a: L.special.softmax(a, 0), [(3, 4)]),
    Case("log_softmax", lambda L, a: L.special.log_softmax(a, -1), [(3, 4)]),
    Case("zeta_q", lambda L, q: L.special.zeta(L.tensor([2.0, 3.5, 6.0, 1.5], dtype=L.float64), q), None,
         inputs=_uniform(0.2, 5.0, (3, 4))),
    Case("zeta_scalar_x", lambda L, q: L.special.zeta(2.5, q), None, inputs=_uniform(0.2, 5.0, (3, 4))),
    Case("gammainc", lambda L, x: L.special.gammainc(L.tensor([0.5, 2.0, 7.0, 30.0], dtype=L.float64), x), None,
         inputs=_uniform(0.1, 40.0, (3, 4))),
    Case("gammaincc", lambda L, x: L.special.gammaincc(L.tensor([0.5, 2.0, 7.0, 30.0], dtype=L.float64), x), None,
         inputs=_uniform(0.1, 40.0, (3, 4))),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_case(case, golden)


# --------------------------------------------------------------------------- values over wide ranges

POINTS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 5.0, -5.0, 8.0, -8.0, 2.09, -2.09, 1e-5, 1e-8, -1e-8, 26.0,
          -26.0, 27.0, 50.0, 51.0, -6.1, -26.7, 103.0, 104.0, 700.0, -700.0, 1e5, 1e10, 1e300, np.inf, -np.inf, np.nan]
WIDE = np.concatenate([np.linspace(-30, 30, 241), np.geomspace(1e-6, 1e4, 41), -np.geomspace(1e-6, 1e4, 41),
                       POINTS])
PROB = np.concatenate([np.linspace(0, 1, 101), np.geomspace(1e-300, 0.1, 40), 1 - np.geomspace(1e-16, 0.1, 30),
                       [-0.5, 1.5, np.exp(-2.0), 1 - np.exp(-2.0), np.nan]])
UNARY = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "digamma", "entr", "erf", "erfc", "erfcx",
         "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "logit",
         "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "ndtr", "ndtri",
         "psi", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "sinc", "spherical_bessel_j0"]
DOMAIN = {"erfinv": np.concatenate([PROB * 2 - 1, [1 - 1e-16, -1 + 1e-16]]), "ndtri": PROB, "logit": PROB}
TOL64 = {"bessel_y0": dict(rtol=1e-12, atol=1e-14), "bessel_y1": dict(rtol=1e-12, atol=1e-14),
         "bessel_j1": dict(rtol=1e-12, atol=1e-14), "bessel_j0": dict(rtol=1e-12, atol=1e-14),
         "airy_ai": dict(rtol=1e-12, atol=1e-14), "gammaln": dict(rtol=1e-12, atol=1e-13),
         "log_ndtr": dict(rtol=1e-12, atol=1e-300)}
OSCILLATING = ("airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values(name, dtype):
    with np.errstate(over="ignore"):
        x = DOMAIN.get(name, WIDE).astype(dtype)
    ref = golden(f"values/{name}/{np.dtype(dtype).name}", lambda: getattr(torch.special, name)(torch.tensor(x)))
    got = getattr(special, name)(npgrad.tensor(x)).numpy()
    assert got.dtype == ref.dtype
    if dtype == np.float64:
        tol = TOL64.get(name, dict(rtol=1e-12, atol=1e-300))
    else:          # torch computes in float32; near the zeros of the result only the absolute error is small
        tol = dict(rtol=2e-5, atol=2e-6)
        if name in OSCILLATING:   # and float32 arguments far out have no accurate phase (x - pi/4 in float32)
            keep = ~(np.abs(x) > 50)
            got, ref = got[keep], np.asarray(ref)[keep]
    np.testing.assert_allclose(got, ref, equal_nan=True, err_msg=name, **tol)


@pytest.mark.parametrize("name", UNARY)
def test_integer_inputs_give_float32(name):
    x = np.array([-3, -1, 0, 1, 2, 7])
    ref = golden(f"int/{name}", lambda: getattr(torch.special, name)(torch.tensor(x)))
    got = getattr(special, name)(npgrad.tensor(x))
    assert got.dtype == npgrad.float32
    np.testing.assert_allclose(got.numpy(), ref, rtol=2e-5, atol=2e-6, equal_nan=True)


def test_polygamma_zeta_gammainc_values():
    x = np.concatenate([np.linspace(-6.5, 12.5, 39), [0.0, -1.0, 1e-8, 60.0, 1e5, np.inf, np.nan]])
    for n in (0, 1, 2, 5, 9):
        ref = golden(f"polygamma/{n}", lambda: torch.special.polygamma(n, torch.tensor(x)))
        np.testing.assert_allclose(special.polygamma(n, npgrad.tensor(x)).numpy(), ref, rtol=1e-11, atol=1e-12,
                                   equal_nan=True, err_msg=f"polygamma {n}")
    s = np.array([1.0, 1.5, 2.0, 3.0, 6.5, 30.0, 0.5, np.inf, np.nan])[:, None]
    q = np.array([-2.0, -1.5, 0.0, 1e-3, 0.5, 1.0, 3.0, 20.0, 1e4, np.inf, np.nan])[None, :]
    ref = golden("zeta/grid", lambda: torch.special.zeta(torch.tensor(s), torch.tensor(q)))
    np.testing.assert_allclose(special.zeta(npgrad.tensor(s), npgrad.tensor(q)).numpy(), ref, rtol=1e-12,
                               equal_nan=True)
    a = np.array([1e-3, 0.5, 1.0, 3.0, 25.0, 150.0, 1e3])[:, None]
    xs = np.array([1e-4, 0.3, 0.9, 1.0, 2.0, 10.0, 24.0, 140.0, 1e3, 5e3])[None, :]
    for name in ("gammainc", "gammaincc"):
        ref = golden(f"{name}/grid", lambda: getattr(torch.special, name)(torch.tensor(a), torch.tensor(xs)))
        # torch's asymptotic series (a > 20, x within 30% of a) carries float precision pi: 1e-9 relative
        np.testing.assert_allclose(getattr(special, name)(npgrad.tensor(a), npgrad.tensor(xs)).numpy(), ref,
                                   rtol=1e-8, atol=1e-300, err_msg=name)


def test_accuracy_beyond_torch_where_torch_is_exact():
    """Reference values at 30 digits (lgamma near its zeros, erfcx and erfc far out, erfinv next to 1)."""
    pairs = [
        (special.gammaln, [1.0000001, 1.9999999, 2.5, 0.1, 100.5],
         [-5.772155829918507e-08, -4.2278430309861296e-08, 0.2846828704729192, 2.252712651734206,
          361.4355404677776]),
        (special.erfcx, [30.0, 100.0, -3.0], [0.01879588886141675, 0.005641613782989433, 16205.988853999586]),
        (special.erfc, [10.0, 26.0], [2.088487583762545e-45, 5.663192408856143e-296]),
        (special.erfinv, [1 - 2 ** -52, -0.5], [5.805018683193453, -0.4769362762044699]),
    ]
    for fn, x, expected in pairs:
        got = fn(npgrad.tensor(x, dtype=npgrad.float64)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-14)


# --------------------------------------------------------------------------- the polynomial families

POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
         "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
         "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLYS)
def test_polynomials(name):
    xs = np.array([-1.5, -1.0, -0.73, -0.2, 0.0, 0.31, 0.5, 0.96, 1.0, 1.7, 3.0])[:, None]
    ns = np.array([-2, 0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 20])[None, :]
    ref = golden(f"poly/{name}/grid", lambda: getattr(torch.special, name)(torch.tensor(xs), torch.tensor(ns)))
    got = getattr(special, name)(npgrad.tensor(xs), npgrad.tensor(ns))
    assert got.dtype == npgrad.float64 and not got.requires_grad
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-10, err_msg=name)
    # a Python int degree, a float32 argument, integer arguments, a float degree (truncated), a scalar argument
    x32 = np.linspace(-1.2, 1.2, 13).astype(np.float32)
    for key, args in (("int_n", lambda L: (L.tensor(x32), 4)), ("int_x", lambda L: (L.tensor([0, 1, 2, -1]), 3)),
                      ("float_n", lambda L: (L.tensor(x32).double(), L.tensor([2.7] * 13))),
                      ("scalar_x", lambda L: (0.25, L.tensor([0, 1, 2, 3, 10])))):
        ref = golden(f"poly/{name}/{key}", lambda: getattr(torch.special, name)(*args(torch)))
        got = getattr(special, name)(*args(npgrad))
        assert got.dtype == getattr(npgrad, str(ref.dtype)), key
        np.testing.assert_allclose(got.numpy(), ref, rtol=2e-5, atol=2e-5, err_msg=f"{name} {key}")


def test_hermite_degree_limit():
    for name in ("hermite_polynomial_h", "hermite_polynomial_he"):
        ref = golden(f"poly/{name}/limit", lambda: getattr(torch.special, name)(
            torch.tensor([0.5, 0.5], dtype=torch.float64), torch.tensor([512, 513])))
        got = getattr(special, name)(npgrad.tensor([0.5, 0.5], dtype=npgrad.float64), npgrad.tensor([512, 513]))
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-9, equal_nan=True)


# --------------------------------------------------------------------------- gradients, graphs, errors

NO_GRAPH = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
            "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
            "scaled_modified_bessel_k1", "spherical_bessel_j0"]


def test_functions_without_derivative_record_no_graph():
    x = npgrad.tensor([0.5, 1.5], requires_grad=True)
    for name in NO_GRAPH:
        y = getattr(special, name)(x)
        assert not y.requires_grad and y.grad_fn is None, name
        if torch is not None:
            assert not getattr(torch.special, name)(torch.tensor([0.5, 1.5], requires_grad=True)).requires_grad
    for name in POLYS:
        assert not getattr(special, name)(x, 3).requires_grad


BOUNDARY = [
    ("i1_zero", lambda L, a: L.special.i1(a), [0.0, 1e-300, 1.0]),
    ("i1e_zero", lambda L, a: L.special.i1e(a), [0.0, -1e-20, 2.0]),
    ("i0e_zero", lambda L, a: L.special.i0e(a), [0.0, -3.0, 3.0]),
    ("entr_zero", lambda L, a: L.special.entr(a), [0.0, 1.0, -1.0]),
    ("xlog1py_minus_one", lambda L, a: L.special.xlog1py(a, a - 1), [0.0, 1.0, 2.0]),
    ("xlog1py_self_zero", lambda L, a: L.special.xlog1py(a * 0, a - 2), [0.0, 1.0, 3.0]),
    ("ndtri_ends", lambda L, a: L.special.ndtri(a), [0.0, 1.0, 0.5]),
    ("log_ndtr_tails", lambda L, a: L.special.log_ndtr(a), [-40.0, -1.0, 0.0, 10.0, 40.0]),
    ("erfcx_far", lambda L, a: L.special.erfcx(a), [-10.0, 0.0, 60.0, 1e8]),
    ("zeta_q", lambda L, a: L.special.zeta(3.0, a), [0.0, 1.0, -1.5]),
    ("gammaincc_x0", lambda L, a: L.special.gammaincc(a.detach() * 0 + 1.0, a), [0.0, 1.0]),
    ("logit_eps_edges", lambda L, a: L.special.logit(a, 0.25), [0.25, 0.75, 0.1, 0.9]),
    ("sinc_zero", lambda L, a: L.special.sinc(a), [0.0, 0.5]),
    ("multigammaln_edge", lambda L, a: L.special.multigammaln(a, 2), [0.5, 1.0]),
]


@pytest.mark.parametrize("name,fn,values", BOUNDARY, ids=[b[0] for b in BOUNDARY])
def test_boundary_gradients(name, fn, values):
    check_at(golden, f"boundary/{name}", fn, values)


def test_gradcheck_tails():
    cases = [(special.erfcx, [-4.0, 2.0, 30.0, 80.0]), (special.log_ndtr, [-30.0, -2.0, 0.5, 7.0]),
             (special.ndtri, [1e-4, 0.3, 1 - 1e-4]), (special.i1e, [-9.0, 0.3, 20.0]),
             (lambda x: special.zeta(4.0, x), [0.3, 2.5, 40.0]),
             (lambda x: special.gammainc(npgrad.tensor([3.0, 40.0, 0.5], dtype=npgrad.float64), x), [2.0, 38.0, 9.0])]
    for fn, values in cases:
        assert gradcheck_at(fn, values)


ERRORS = {
    "zeta_backward_x": lambda L: L.special.zeta(L.tensor([2.0], requires_grad=True), L.tensor([1.0])).sum().backward(),
    "gammainc_backward_a": lambda L: L.special.gammainc(L.tensor([2.0], requires_grad=True),
                                                        L.tensor([1.0])).sum().backward(),
    "gammaincc_int": lambda L: L.special.gammaincc(L.tensor([2]), L.tensor([1])),
    "polygamma_negative": lambda L: L.special.polygamma(-1, L.tensor([1.0])),
    "multigammaln_p0": lambda L: L.special.multigammaln(L.tensor([1.0]), 0),
    "xlog1py_shapes": lambda L: L.special.xlog1py(L.ones(3), L.ones(2, 2)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    ref = golden.json(f"errors/{name}", lambda: error_text(lambda: ERRORS[name](torch)))
    assert ref != "no error"
    assert error_text(lambda: ERRORS[name](npgrad)) == ref


def test_out_argument_and_namespace():
    out = npgrad.empty(3)
    x = npgrad.tensor([0.5, 1.0, 2.0])
    assert special.gammaln(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), special.gammaln(x).numpy())
    assert special.bessel_j0(x, out=out) is out
    assert special.chebyshev_polynomial_t(x, 2, out=out) is out
    np.testing.assert_allclose(out.numpy(), 2 * x.numpy() ** 2 - 1, rtol=1e-6)
    assert npgrad.special is special
    names = [n for n in special.__all__]
    if torch is not None:
        theirs = [n for n in dir(torch.special) if not n.startswith("_") and n not in ("Tensor", "torch")
                  and callable(getattr(torch.special, n))]
        assert sorted(theirs) == sorted(names)
    for n in names:
        fn = getattr(special, n)
        assert callable(fn) and fn.__doc__, n
