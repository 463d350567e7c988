"""npgrad.distributions.transforms, constraints and the constraint registry against torch: forward, inverse
and log-det-Jacobians with their gradients (float64 and float32), the log-det-Jacobians against numerical
Jacobians, caching, shapes, equality, reprs, constraint checks and biject_to / transform_to."""
import numpy as np
import pytest

import npgrad
from dist_makers import _seed, torch_ref
from oracle import Golden

golden = Golden("distributions")


def T(lib):
    return lib.distributions.transforms


# (name, make(lib) -> transform, input maker (a float64 array in the domain))
TRANSFORMS = [
    ("exp", lambda t: T(t).ExpTransform(), lambda r: r.standard_normal((3, 4))),
    ("exp_inv", lambda t: T(t).ExpTransform().inv, lambda r: r.uniform(0.2, 3.0, (3, 4))),
    ("affine_numbers", lambda t: T(t).AffineTransform(1.5, -2.0), lambda r: r.standard_normal((3, 4))),
    ("affine_tensors", lambda t: T(t).AffineTransform(t.tensor([1.0, 2.0, 3.0, 4.0], dtype=t.float64),
                                                      t.tensor([0.5, -1.0, 2.0, 3.0], dtype=t.float64)),
     lambda r: r.standard_normal((3, 4))),
    ("affine_event_dim", lambda t: T(t).AffineTransform(0.0, t.tensor([[0.5, 2.0], [1.0, -3.0]], dtype=t.float64),
                                                        event_dim=2), lambda r: r.standard_normal((3, 2, 2))),
    ("sigmoid", lambda t: T(t).SigmoidTransform(), lambda r: 3 * r.standard_normal((3, 4))),
    ("sigmoid_inv", lambda t: T(t).SigmoidTransform().inv, lambda r: r.uniform(0.05, 0.95, (3, 4))),
    ("tanh", lambda t: T(t).TanhTransform(), lambda r: 2 * r.standard_normal((3, 4))),
    ("tanh_inv", lambda t: T(t).TanhTransform().inv, lambda r: r.uniform(-0.95, 0.95, (3, 4))),
    ("softplus", lambda t: T(t).SoftplusTransform(), lambda r: 3 * r.standard_normal((3, 4))),
    ("softplus_inv", lambda t: T(t).SoftplusTransform().inv, lambda r: r.uniform(0.1, 4.0, (3, 4))),
    ("power", lambda t: T(t).PowerTransform(t.tensor(2.5, dtype=t.float64)), lambda r: r.uniform(0.2, 3.0, (3, 4))),
    ("power_tensor", lambda t: T(t).PowerTransform(t.tensor([0.5, -1.0, 2.0, 3.0], dtype=t.float64)),
     lambda r: r.uniform(0.2, 3.0, (3, 4))),
    ("abs", lambda t: T(t).AbsTransform(), lambda r: r.standard_normal((3, 4))),
    ("softmax", lambda t: T(t).SoftmaxTransform(), lambda r: r.standard_normal((3, 4))),
    ("stick_breaking", lambda t: T(t).StickBreakingTransform(), lambda r: r.standard_normal((3, 4))),
    ("stick_breaking_inv", lambda t: T(t).StickBreakingTransform().inv, lambda r: r.dirichlet(np.ones(5), 3)),
    ("lower_cholesky", lambda t: T(t).LowerCholeskyTransform(), lambda r: r.standard_normal((2, 3, 3))),
    ("positive_definite", lambda t: T(t).PositiveDefiniteTransform(), lambda r: r.standard_normal((2, 3, 3))),
    ("corr_cholesky", lambda t: T(t).CorrCholeskyTransform(), lambda r: r.standard_normal((2, 6))),
    ("corr_cholesky_inv", lambda t: T(t).CorrCholeskyTransform().inv,
     lambda r: np.linalg.cholesky(np.corrcoef(r.standard_normal((4, 8))))),
    ("reshape", lambda t: T(t).ReshapeTransform((2, 3), (3, 2)), lambda r: r.standard_normal((4, 2, 3))),
    ("independent", lambda t: T(t).IndependentTransform(T(t).ExpTransform(), 1), lambda r: r.standard_normal((3, 4))),
    ("independent_2", lambda t: T(t).IndependentTransform(T(t).SigmoidTransform(), 2),
     lambda r: r.standard_normal((2, 3, 4))),
    ("compose", lambda t: T(t).ComposeTransform([T(t).AffineTransform(0.5, 2.0), T(t).ExpTransform(),
                                                 T(t).PowerTransform(t.tensor(0.5, dtype=t.float64))]),
     lambda r: r.standard_normal((3, 4))),
    ("compose_event", lambda t: T(t).ComposeTransform([T(t).ExpTransform(), T(t).StickBreakingTransform()]),
     lambda r: r.standard_normal((3, 4))),
    ("compose_empty", lambda t: T(t).ComposeTransform([]), lambda r: r.standard_normal((3, 4))),
    ("cat", lambda t: T(t).CatTransform([T(t).ExpTransform(), T(t).AffineTransform(1.0, 3.0),
                                         T(t).SigmoidTransform()], dim=1, lengths=[1, 2, 1]),
     lambda r: r.standard_normal((3, 4))),
    ("cat_event", lambda t: T(t).CatTransform([T(t).IndependentTransform(T(t).ExpTransform(), 1),
                                               T(t).IndependentTransform(T(t).SigmoidTransform(), 1)],
                                              dim=0, lengths=[2, 1]),
     lambda r: r.standard_normal((3, 4))),
    ("cat_event_last", lambda t: T(t).CatTransform([T(t).IndependentTransform(T(t).ExpTransform(), 1),
                                                    T(t).IndependentTransform(T(t).TanhTransform(), 1)],
                                                   dim=-1, lengths=[2, 2]),
     lambda r: r.standard_normal((3, 4))),
    ("stack", lambda t: T(t).StackTransform([T(t).ExpTransform(), T(t).AffineTransform(1.0, 2.0),
                                             T(t).TanhTransform()], dim=1), lambda r: r.standard_normal((4, 3))),
    ("cdf", lambda t: T(t).CumulativeDistributionTransform(
        t.distributions.Normal(t.tensor(0.5, dtype=t.float64), t.tensor(2.0, dtype=t.float64))),
     lambda r: r.standard_normal((3, 4))),
]


def _run(lib, name, make, inp, dtype):
    t = make(lib)
    x = lib.tensor(inp(np.random.default_rng(_seed(name))), dtype=getattr(lib, dtype), requires_grad=True)
    y = t(x)
    x2 = t.inv(y)
    out = {"y": y, "inv": x2}
    res = {}
    try:
        out["ladj"] = t.log_abs_det_jacobian(x, y)
    except NotImplementedError:  # the transforms that are not bijective
        res["ladj"] = {"v": np.array("NotImplementedError")}
    for k, v in out.items():
        w = lib.tensor(np.random.default_rng(_seed(name + k)).standard_normal(tuple(v.shape)), dtype=v.dtype)
        entry = {"v": v.detach().numpy()}
        if v.requires_grad:
            entry["g"] = lib.autograd.grad((v * w).sum(), [x], retain_graph=True)[0].numpy()
        res[k] = entry
    return res


def _describe(lib, make):
    t = make(lib)
    norm = lambda s: s.replace("torch.", "npgrad.")  # noqa: E731
    out = {"repr": norm(repr(t)), "bijective": bool(t.bijective), "domain": norm(repr(t.domain)),
           "codomain": norm(repr(t.codomain)), "domain_event_dim": t.domain.event_dim,
           "codomain_event_dim": t.codomain.event_dim, "inv_repr": norm(repr(t.inv))}
    try:
        sign = t.sign
        out["sign"] = sign if isinstance(sign, int) else sign.tolist()
    except NotImplementedError:
        out["sign"] = "NotImplementedError"
    for shape in ((5, 4), (4, 3, 3), (2, 6), (4, 2, 3), (2, 3, 4), (4, 3)):
        try:
            out[f"forward_shape{shape}"] = list(t.forward_shape(shape))
        except (ValueError, RuntimeError) as e:
            out[f"forward_shape{shape}"] = type(e).__name__
        try:
            out[f"inverse_shape{shape}"] = list(t.inverse_shape(shape))
        except (ValueError, RuntimeError) as e:
            out[f"inverse_shape{shape}"] = type(e).__name__
    return out


def _close(got, ref, key, rtol, atol):
    assert sorted(got) == sorted(ref), key
    for k in ref:
        if np.asarray(ref[k]["v"]).dtype.kind == "U":
            assert str(got[k]["v"]) == str(ref[k]["v"]), f"{key}/{k}"
            continue
        np.testing.assert_allclose(got[k]["v"], ref[k]["v"], rtol=rtol, atol=atol, err_msg=f"{key}/{k}")
        assert np.asarray(got[k]["v"]).dtype == np.asarray(ref[k]["v"]).dtype, f"{key}/{k} dtype"
        assert ("g" in got[k]) == ("g" in ref[k]), f"{key}/{k} requires_grad"
        if "g" in ref[k]:
            np.testing.assert_allclose(got[k]["g"], ref[k]["g"], rtol=rtol, atol=atol, err_msg=f"{key}/{k}/grad")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,make,inp", TRANSFORMS, ids=[c[0] for c in TRANSFORMS])
def test_transform_matches_torch(name, make, inp, dtype):
    expected = golden(f"transform/{name}/{dtype}", torch_ref(_run, name, make, inp, dtype))
    tol = 1e-10 if dtype == "float64" else 2e-5
    _close(_run(npgrad, name, make, inp, dtype), expected, name, tol, tol)


@pytest.mark.parametrize("name,make,inp", TRANSFORMS, ids=[c[0] for c in TRANSFORMS])
def test_transform_description_matches_torch(name, make, inp):
    assert _describe(npgrad, make) == golden.json(f"transform_describe/{name}", torch_ref(_describe, make))


ELEMENTWISE = ["exp", "exp_inv", "affine_numbers", "affine_tensors", "sigmoid", "sigmoid_inv", "tanh", "tanh_inv",
               "softplus", "softplus_inv", "power", "power_tensor", "compose", "cdf"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_ladj_is_log_derivative(name):
    make, inp = next((m, i) for n, m, i in TRANSFORMS if n == name)
    t = make(npgrad)
    x = npgrad.tensor(inp(np.random.default_rng(_seed(name))), requires_grad=True)
    y = t(x)
    (dy,) = npgrad.autograd.grad(y.sum(), [x])
    np.testing.assert_allclose(t.log_abs_det_jacobian(x, y).detach().numpy(), np.log(np.abs(dy.numpy())),
                               rtol=1e-9, atol=1e-10)


def _jacobian(fn, x, h=1e-6):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        cols.append((fn(x + e) - fn(x - e)) / (2 * h))
    return np.stack(cols, -1)


def test_vector_ladj_against_numerical_jacobians():
    T_ = npgrad.distributions.transforms
    rng = np.random.default_rng(3)
    # stick breaking: K - 1 free coordinates; the Jacobian of y[:-1] with respect to x is square
    x = rng.standard_normal(4)
    sb = T_.StickBreakingTransform()
    jac = _jacobian(lambda v: sb(npgrad.tensor(v)).numpy()[:-1], x)
    ladj = sb.log_abs_det_jacobian(npgrad.tensor(x), sb(npgrad.tensor(x))).item()
    np.testing.assert_allclose(ladj, np.linalg.slogdet(jac)[1], rtol=1e-7)
    # corr cholesky: the strictly lower triangle as a function of the unconstrained vector
    x = rng.standard_normal(6)
    cc = T_.CorrCholeskyTransform()
    tri = np.tril_indices(4, -1)
    jac = _jacobian(lambda v: cc(npgrad.tensor(v)).numpy()[tri], x)
    ladj = cc.log_abs_det_jacobian(npgrad.tensor(x), cc(npgrad.tensor(x))).item()
    np.testing.assert_allclose(ladj, np.linalg.slogdet(jac)[1], rtol=1e-7)
    # affine with an event dim: the sum of log |scale|
    scale = np.array([[0.5, 2.0], [1.0, -3.0]])
    af = T_.AffineTransform(0.0, npgrad.tensor(scale), event_dim=2)
    xx = npgrad.tensor(rng.standard_normal((2, 2)))
    np.testing.assert_allclose(af.log_abs_det_jacobian(xx, af(xx)).item(), np.log(np.abs(scale)).sum())


def test_cache():
    T_ = npgrad.distributions.transforms
    x = npgrad.tensor([0.3, -2.0], dtype=npgrad.float64)
    t = T_.ExpTransform(cache_size=1)
    y = t(x)
    assert t(x) is y and t.inv(y) is x
    assert T_.ExpTransform()(x) is not T_.ExpTransform()(x)
    # a saturated tanh inverts exactly through the cache
    th = T_.TanhTransform(cache_size=1)
    big = npgrad.tensor([25.0], dtype=npgrad.float64)
    yb = th(big)
    assert th.inv(yb) is big
    assert not np.isfinite(T_.TanhTransform().inv(yb).numpy()).all()
    # with_cache
    assert t.with_cache(1) is t
    t0 = t.with_cache(0)
    assert t0._cache_size == 0 and isinstance(t0, T_.ExpTransform)
    c = T_.ComposeTransform([T_.ExpTransform(), T_.AffineTransform(1.0, 2.0)], cache_size=1)
    assert all(p._cache_size == 1 for p in c.parts)
    z = c(x)
    assert c.inv(z) is x
    assert T_.AffineTransform(1.0, 2.0).with_cache(1)._cache_size == 1
    assert T_.IndependentTransform(T_.ExpTransform(), 1).with_cache(1).base_transform._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T_.ExpTransform(cache_size=2)


def test_equality_and_inverse_identity():
    T_ = npgrad.distributions.transforms
    t = T_.ExpTransform()
    assert t == T_.ExpTransform() and t != T_.SigmoidTransform()
    assert t.inv.inv is t and t.inv == T_.ExpTransform().inv
    assert T_.AffineTransform(1.0, 2.0) == T_.AffineTransform(1.0, 2.0)
    assert T_.AffineTransform(1.0, 2.0) != T_.AffineTransform(1.0, 3.0)
    assert T_.AffineTransform(npgrad.tensor([1.0]), 2.0) == T_.AffineTransform(npgrad.tensor([1.0]), 2.0)
    assert T_.PowerTransform(npgrad.tensor(2.0)) == T_.PowerTransform(npgrad.tensor(2.0))
    c = T_.ComposeTransform([T_.ExpTransform(), T_.AffineTransform(1.0, 2.0)])
    assert c == T_.ComposeTransform([T_.ExpTransform(), T_.AffineTransform(1.0, 2.0)])
    assert c.inv.inv is c and c.inv.parts[0] == T_.AffineTransform(1.0, 2.0).inv
    assert T_.identity_transform == T_.ComposeTransform([])
    with pytest.raises(TypeError):
        hash(T_.ExpTransform())  # as in torch: transforms define __eq__ without __hash__


# --------------------------------------------------------------------------- constraints


def _constraint_cases(lib):
    C = lib.distributions.constraints
    t = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    eye = np.eye(3)
    return [
        ("real", C.real, t([0.0, np.inf, -np.inf, np.nan])),
        ("positive", C.positive, t([1.0, 0.0, -1.0, np.inf])),
        ("nonnegative", C.nonnegative, t([1.0, 0.0, -1.0])),
        ("unit_interval", C.unit_interval, t([0.0, 0.5, 1.0, 1.5, -0.1])),
        ("greater_than", C.greater_than(2.0), t([3.0, 2.0, 1.0])),
        ("greater_than_tensor", C.greater_than(t([0.0, 1.0, 2.0])), t([0.5, 0.5, 2.5])),
        ("greater_than_eq", C.greater_than_eq(2.0), t([3.0, 2.0, 1.0])),
        ("less_than", C.less_than(2.0), t([3.0, 2.0, 1.0])),
        ("interval", C.interval(-1.0, 1.0), t([-1.0, 0.0, 1.0, 2.0])),
        ("half_open_interval", C.half_open_interval(-1.0, 1.0), t([-1.0, 0.0, 1.0, 2.0])),
        ("integer_interval", C.integer_interval(0, 3), t([0.0, 1.5, 3.0, 4.0, -1.0])),
        ("nonnegative_integer", C.nonnegative_integer, t([0.0, 2.0, 2.5, -1.0])),
        ("positive_integer", C.positive_integer, t([0.0, 1.0, 2.5, 3.0])),
        ("boolean", C.boolean, t([0.0, 1.0, 0.5, 2.0])),
        ("real_vector", C.real_vector, t([[0.0, 1.0], [np.nan, 1.0]])),
        ("independent", C.independent(C.positive, 2), t([[[1.0, 2.0], [3.0, 4.0]], [[1.0, -2.0], [3.0, 4.0]]])),
        ("simplex", C.simplex, t([[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1], [1.0, 0.0]])),
        ("one_hot", C.one_hot, t([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.5, 0.5, 0.0]])),
        ("multinomial", C.multinomial(3), t([[1.0, 2.0], [2.0, 2.0], [-1.0, 1.0]])),
        ("lower_triangular", C.lower_triangular, t(np.stack([np.tril(np.ones((3, 3))), np.ones((3, 3))]))),
        ("lower_cholesky", C.lower_cholesky, t(np.stack([np.tril(np.ones((3, 3))), np.tril(-np.ones((3, 3))),
                                                         np.ones((3, 3))]))),
        ("corr_cholesky", C.corr_cholesky, t(np.stack([eye, np.linalg.cholesky(np.corrcoef(
            np.random.default_rng(0).standard_normal((3, 6)))), np.tril(np.ones((3, 3)))]))),
        ("square", C.square, t(np.ones((2, 3, 3)))),
        ("square_not", C.square, t(np.ones((2, 3, 2)))),
        ("symmetric", C.symmetric, t(np.stack([eye, np.triu(np.ones((3, 3)))]))),
        ("positive_definite", C.positive_definite, t(np.stack([eye, -eye, np.ones((3, 3))]))),
        ("positive_semidefinite", C.positive_semidefinite, t(np.stack([eye, -eye, np.ones((3, 3))]))),
        ("cat", C.cat([C.positive, C.real, C.unit_interval], dim=1, lengths=[1, 2, 1]),
         t([[1.0, -5.0, 2.0, 0.5], [-1.0, 0.0, 0.0, 2.0]])),
        ("stack", C.stack([C.positive, C.unit_interval], dim=1), t([[1.0, 0.5], [-1.0, 0.5], [1.0, 2.0]])),
        ("mixture", C.MixtureSameFamilyConstraint(C.positive), t([1.0, -1.0, 2.0])),
    ]


def _constraints(lib):
    out = {}
    for name, c, value in _constraint_cases(lib):
        check = c.check(value)
        out[name] = {"check": check.numpy().tolist(), "repr": repr(c).replace("torch.", "npgrad."),
                     "event_dim": c.event_dim, "is_discrete": c.is_discrete, "dtype": str(check.dtype)[-4:]}
    return out


def test_constraints_match_torch():
    expected = golden.json("constraints", torch_ref(_constraints))
    got = _constraints(npgrad)
    for name in expected:
        assert got[name] == expected[name], name


def test_dependent_constraints():
    C = npgrad.distributions.constraints
    dep = C.dependent(is_discrete=True, event_dim=1)
    assert C.is_dependent(dep) and dep.is_discrete and dep.event_dim == 1
    assert not C.is_dependent(C.real)
    with pytest.raises(NotImplementedError, match="cannot be determined statically"):
        C.dependent.is_discrete
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        dep.check(npgrad.tensor(1.0))
    D = npgrad.distributions
    assert C.is_dependent(D.Uniform.support) and D.Uniform.support.event_dim == 0
    assert C.is_dependent(D.Binomial.support) and D.Binomial.support.is_discrete


# --------------------------------------------------------------------------- biject_to and transform_to


def _registry_cases(lib):
    C = lib.distributions.constraints
    t = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    return [
        ("real", C.real, (3,)), ("positive", C.positive, (3,)), ("nonnegative", C.nonnegative, (3,)),
        ("greater_than", C.greater_than(t([1.0, 2.0, 3.0])), (3,)), ("greater_than_eq", C.greater_than_eq(-2.0), (3,)),
        ("less_than", C.less_than(2.0), (3,)), ("unit_interval", C.unit_interval, (3,)),
        ("interval", C.interval(-2.0, t([1.0, 2.0, 3.0])), (3,)), ("half_open", C.half_open_interval(1.0, 4.0), (3,)),
        ("simplex", C.simplex, (2, 3)), ("lower_cholesky", C.lower_cholesky, (2, 3, 3)),
        ("positive_definite", C.positive_definite, (2, 3, 3)), ("corr_cholesky", C.corr_cholesky, (2, 3)),
        ("independent", C.independent(C.positive, 1), (2, 3)),
        ("cat", C.cat([C.positive, C.real], dim=0, lengths=[1, 2]), (3,)),
        ("stack", C.stack([C.positive, C.unit_interval], dim=0), (2, 3)),
    ]


def _registry(lib, which):
    D = lib.distributions
    registry = D.biject_to if which == "biject_to" else D.transform_to
    out = {}
    for name, c, shape in _registry_cases(lib):
        try:
            tr = registry(c)
        except NotImplementedError as e:
            out[name] = {"error": str(e)}
            continue
        x = lib.tensor(np.random.default_rng(_seed(name)).standard_normal(shape), dtype=lib.float64,
                       requires_grad=True)
        y = tr(x)
        try:
            ladj = tr.log_abs_det_jacobian(x, y)
        except NotImplementedError:  # transform_to's transforms need not be bijective
            ladj = lib.zeros(())
        (g,) = lib.autograd.grad(y.sum() + ladj.sum(), [x])
        out[name] = {"y": y.detach().numpy(), "ladj": ladj.detach().numpy(), "g": g.numpy(),
                     "valid": bool(c.check(y.detach()).all()), "repr": repr(tr).replace("torch.", "npgrad.")}
    return out


@pytest.mark.parametrize("which", ["biject_to", "transform_to"])
def test_constraint_registry_matches_torch(which):
    expected = golden(f"registry/{which}", torch_ref(_registry, which))
    got = _registry(npgrad, which)
    assert sorted(got) == sorted(expected)
    for name, entry in expected.items():
        if "error" in entry:
            assert got[name] == {"error": str(entry["error"])}, name
            continue
        assert got[name]["valid"] and bool(entry["valid"]), name
        assert got[name]["repr"] == str(entry["repr"]), name
        for k in ("y", "ladj", "g"):
            np.testing.assert_allclose(got[name][k], entry[k], rtol=1e-10, atol=1e-12, err_msg=f"{name}/{k}")


def test_registry_register():
    D = npgrad.distributions
    C = D.constraints

    class _Odd(C.Constraint):
        pass

    reg = D.constraint_registry.ConstraintRegistry()
    reg.register(_Odd, lambda c: D.transforms.ExpTransform())
    assert isinstance(reg(_Odd()), D.transforms.ExpTransform)

    @reg.register(C.positive)
    def _softplus(c):
        return D.transforms.SoftplusTransform()

    assert isinstance(reg(C.positive), D.transforms.SoftplusTransform)
    with pytest.raises(TypeError, match="Expected constraint to be either a Constraint subclass or instance"):
        reg.register(int, lambda c: None)
    with pytest.raises(NotImplementedError, match="Cannot transform _Real constraints"):
        reg(C.real)
