"""kl_divergence against torch for every registered pair (values, including the infinite ones, and gradients
with respect to both distributions' parameters, float64 and float32), the dispatch rules of register_kl, and
the closed forms against Monte Carlo estimates."""
import warnings

import numpy as np
import pytest

import npgrad
from dist_makers import D, _seed, pos, real, spd, torch_ref, unit
from oracle import Golden

golden = Golden("distributions")


# one maker per family, batch shape (3,): make(lib, *params) and the parameter makers
MAKERS = {
    "Bernoulli": (lambda t, p: D(t).Bernoulli(p), [unit(3)]),
    "Beta": (lambda t, a, b: D(t).Beta(a, b), [pos(3, lo=0.5, hi=3.0), pos(3, lo=0.5, hi=3.0)]),
    "Binomial": (lambda t, p: D(t).Binomial(t.tensor([10.0, 10.0, 10.0]), p), [unit(3)]),
    "Categorical": (lambda t, p: D(t).Categorical(p), [pos(3, 4)]),
    "Cauchy": (lambda t, m, s: D(t).Cauchy(m, s), [real(3), pos(3)]),
    "ContinuousBernoulli": (lambda t, p: D(t).ContinuousBernoulli(p), [unit(3)]),
    "Dirichlet": (lambda t, c: D(t).Dirichlet(c), [pos(3, 4)]),
    "Exponential": (lambda t, r: D(t).Exponential(r), [pos(3)]),
    "ExponentialFamily": (lambda t, df, c: D(t).Wishart(df, covariance_matrix=c), [pos(3, lo=3.0, hi=6.0),
                                                                                   spd(2, 3)]),
    "Gamma": (lambda t, a, b: D(t).Gamma(a, b), [pos(3), pos(3)]),
    "Geometric": (lambda t, p: D(t).Geometric(p), [unit(3)]),
    "Gumbel": (lambda t, m, s: D(t).Gumbel(m, s), [real(3), pos(3)]),
    "HalfNormal": (lambda t, s: D(t).HalfNormal(s), [pos(3)]),
    "Independent": (lambda t, m, s: D(t).Independent(D(t).Normal(m, s), 1), [real(3, 2), pos(3, 2)]),
    "Laplace": (lambda t, m, s: D(t).Laplace(m, s), [real(3), pos(3)]),
    "LowRankMultivariateNormal": (lambda t, m, w, d: D(t).LowRankMultivariateNormal(m, w, d),
                                  [real(3, 4), real(3, 4, 2), pos(3, 4)]),
    "MultivariateNormal": (lambda t, m, c: D(t).MultivariateNormal(m, c), [real(3, 4), spd(4, 3)]),
    "Normal": (lambda t, m, s: D(t).Normal(m, s), [real(3), pos(3)]),
    "OneHotCategorical": (lambda t, p: D(t).OneHotCategorical(p), [pos(3, 4)]),
    "Pareto": (lambda t, s, a: D(t).Pareto(s, a), [pos(3), pos(3, lo=0.5, hi=4.0)]),
    "Poisson": (lambda t, r: D(t).Poisson(r), [pos(3)]),
    "TransformedDistribution": (lambda t, m, s: D(t).LogNormal(m, s), [real(3), pos(3)]),
    "Uniform": (lambda t, a, w: D(t).Uniform(a, a + w), [unit(3, lo=-0.3, hi=0.4), unit(3, lo=0.3, hi=1.0)]),
}


def _pairs():
    return sorted((p.__name__, q.__name__) for p, q in npgrad.distributions.kl._KL_REGISTRY)


def _kl(lib, p_name, q_name, dtype):
    dt = getattr(lib, dtype)
    dists, leaves = [], []
    for role, name in (("p", p_name), ("q", q_name)):
        make, makers = MAKERS[name]
        rng = np.random.default_rng(_seed(role + name))
        ps = [lib.tensor(m(rng), dtype=dt, requires_grad=True) for m in makers]
        leaves += ps
        dists.append(make(lib, *ps))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kl = D(lib).kl_divergence(*dists)
    out = {"v": kl.detach().numpy(), "dtype": str(kl.dtype)[-7:]}
    if kl.requires_grad:
        w = lib.tensor(np.random.default_rng(_seed(p_name + q_name)).standard_normal(tuple(kl.shape)), dtype=dt)
        finite = lib.where(lib.isfinite(kl), kl, lib.zeros_like(kl))
        grads = lib.autograd.grad((finite * w).sum(), leaves, allow_unused=True)
        out["g"] = [np.zeros(0) if g is None else g.numpy() for g in grads]
    return out


def _check(got, ref, key, rtol, atol):
    assert got["dtype"] == str(ref["dtype"]), key
    np.testing.assert_allclose(got["v"], ref["v"], rtol=rtol, atol=atol, err_msg=key)
    assert ("g" in got) == ("g" in ref), key
    if "g" in ref:
        assert len(got["g"]) == len(ref["g"]), key
        for i, (a, b) in enumerate(zip(got["g"], ref["g"])):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{key} grad {i}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("pair", _pairs(), ids=[f"{p}-{q}" for p, q in _pairs()])
def test_kl_matches_torch(pair, dtype):
    expected = golden(f"kl/{pair[0]}/{pair[1]}/{dtype}", torch_ref(_kl, *pair, dtype))
    tol = 1e-10 if dtype == "float64" else 5e-5
    _check(_kl(npgrad, *pair, dtype), expected, f"{pair}", tol, tol)


def test_kl_infinite_branches_match_torch():
    """The pairs whose closed form is infinite where the supports do not nest."""
    def run(lib):
        Dl = lib.distributions
        t = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
        out = {
            "binomial_counts": Dl.kl_divergence(Dl.Binomial(t([3.0, 5.0]), t([0.3, 0.4])),
                                                Dl.Binomial(t([3.0, 3.0]), t([0.5, 0.5]))),
            "bernoulli_extremes": Dl.kl_divergence(Dl.Bernoulli(t([0.0, 1.0, 0.3, 0.3])),
                                                   Dl.Bernoulli(t([0.5, 0.5, 0.0, 1.0]))),
            "categorical_zero": Dl.kl_divergence(Dl.Categorical(t([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])),
                                                 Dl.Categorical(t([[0.3, 0.7, 0.0], [0.5, 0.5, 0.0]]))),
            "uniform_nesting": Dl.kl_divergence(Dl.Uniform(t([0.0, -1.0]), t([1.0, 1.0])),
                                                Dl.Uniform(t([-1.0, 0.0]), t([2.0, 1.0]))),
            "pareto_scales": Dl.kl_divergence(Dl.Pareto(t([1.0, 2.0]), t([3.0, 3.0])),
                                              Dl.Pareto(t([2.0, 1.0]), t([2.0, 2.0]))),
            "pareto_exponential": Dl.kl_divergence(Dl.Pareto(t([1.0, 2.0]), t([0.5, 3.0])), Dl.Exponential(t(1.0))),
            "pareto_normal": Dl.kl_divergence(Dl.Pareto(t([1.0, 2.0]), t([1.5, 3.0])), Dl.Normal(t(0.0), t(1.0))),
            "normal_uniform": Dl.kl_divergence(Dl.Normal(t([0.0]), t([1.0])), Dl.Uniform(t([0.0]), t([1.0]))),
        }
        return {k: v.numpy() for k, v in out.items()}

    expected = golden("kl_infinite", torch_ref(run))
    got = run(npgrad)
    for k in expected:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-12, err_msg=k)


def test_kl_against_monte_carlo():
    D_ = npgrad.distributions
    f = lambda *v: npgrad.tensor(np.array(v, dtype=np.float64))  # noqa: E731
    pairs = [(D_.Normal(f(0.5), f(1.2)), D_.Normal(f(-0.3), f(2.0))),
             (D_.Gamma(f(2.0), f(3.0)), D_.Gamma(f(1.5), f(1.0))),
             (D_.Beta(f(2.0), f(3.0)), D_.Beta(f(1.0), f(1.5))),
             (D_.Gumbel(f(0.5), f(1.0)), D_.Normal(f(0.0), f(2.0))),
             (D_.Laplace(f(0.0), f(1.0)), D_.Normal(f(0.5), f(1.5))),
             (D_.MultivariateNormal(f(0.0, 1.0), npgrad.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=npgrad.float64)),
              D_.LowRankMultivariateNormal(f(1.0, 0.0), npgrad.tensor([[1.0], [0.5]], dtype=npgrad.float64),
                                           f(1.0, 2.0)))]
    npgrad.manual_seed(8)
    for p, q in pairs:
        x = p.sample((40000,))
        d = (p.log_prob(x) - q.log_prob(x)).numpy()
        kl = D_.kl_divergence(p, q).numpy()
        assert np.all(np.abs(d.mean(0) - kl) <= 5 * d.std(0) / np.sqrt(len(d))), (type(p).__name__, d.mean(0), kl)


def test_register_kl_dispatch():
    D_ = npgrad.distributions

    class A(D_.Normal):
        pass

    class B(D_.Normal):
        pass

    @D_.register_kl(A, D_.Normal)
    def _kl_a(p, q):
        return npgrad.tensor(1.0)

    @D_.register_kl(D_.Normal, B)
    def _kl_b(p, q):
        return npgrad.tensor(2.0)

    a, b, n = A(0.0, 1.0), B(0.0, 1.0), D_.Normal(0.0, 1.0)
    assert D_.kl_divergence(a, n).item() == 1.0
    assert D_.kl_divergence(n, b).item() == 2.0
    assert abs(D_.kl_divergence(n, D_.Normal(1.0, 1.0)).item() - 0.5) < 1e-7
    with pytest.warns(RuntimeWarning, match=r"Ambiguous kl_divergence\(A, B\). Please register_kl\(A, B\)"):
        assert D_.kl_divergence(a, b).item() == 1.0
    D_.register_kl(A, B)(_kl_b)  # break the tie
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert D_.kl_divergence(a, b).item() == 2.0
    assert "KL divergence is currently implemented for the following distribution pairs" in D_.kl_divergence.__doc__
