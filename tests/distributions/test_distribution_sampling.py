"""Sampling of npgrad.distributions: shapes, dtypes, supports and statistics of 20000 seeded samples against
each distribution's own mean, variance, CDF (Kolmogorov-Smirnov) or probabilities (all at about five standard
errors), and the reparameterised gradients of rsample: pathwise against finite differences of seeded samples,
implicit (gamma, beta, Dirichlet, ...) against analytic derivatives of expectations, and the implicit-gradient
approximations against torch's."""
import math

import numpy as np
import pytest

import npgrad
from oracle import Golden

golden = Golden("distributions")
D = npgrad.distributions
N = 20000
Z = 5.0  # standard errors allowed


def f64(*values):
    return npgrad.tensor(np.array(values, dtype=np.float64))


def _cases():
    eye2 = npgrad.eye(2, dtype=npgrad.float64)
    cov = npgrad.tensor([[2.0, 0.6], [0.6, 1.0]], dtype=npgrad.float64)
    return {
        "normal": D.Normal(f64(0.0, 1.5), f64(1.0, 0.3)),
        "bernoulli": D.Bernoulli(f64(0.2, 0.7)),
        "categorical": D.Categorical(f64(0.2, 0.0, 0.3, 0.5)),
        "categorical_batch": D.Categorical(logits=npgrad.tensor([[0.0, 1.0, -1.0], [2.0, 0.0, 0.5]],
                                                                dtype=npgrad.float64)),
        "onehot": D.OneHotCategorical(f64(0.2, 0.3, 0.5)),
        "uniform": D.Uniform(f64(-1.0, 2.0), f64(1.0, 2.5)),
        "beta": D.Beta(f64(0.5, 2.0, 8.0), f64(3.0, 0.7, 9.0)),
        "gamma": D.Gamma(f64(0.3, 1.0, 5.0, 20.0), f64(2.0, 1.0, 0.5, 3.0)),
        "dirichlet": D.Dirichlet(f64(0.5, 1.0, 3.0)),
        "dirichlet_large": D.Dirichlet(f64(10.0, 20.0, 7.0)),
        "exponential": D.Exponential(f64(2.0, 0.5)),
        "laplace": D.Laplace(f64(0.0, 3.0), f64(1.0, 0.2)),
        "lognormal": D.LogNormal(f64(0.0, 1.0), f64(0.5, 0.3)),
        "mvn": D.MultivariateNormal(f64(0.0, 1.0), cov),
        "mvn_prec": D.MultivariateNormal(f64(0.0, 1.0), precision_matrix=cov),
        "lowrank_mvn": D.LowRankMultivariateNormal(f64(0.0, 1.0), npgrad.tensor([[1.0], [0.5]], dtype=npgrad.float64),
                                                   f64(1.0, 2.0)),
        "poisson": D.Poisson(f64(0.5, 4.0, 30.0)),
        "binomial": D.Binomial(f64(10.0, 10.0, 40.0), f64(0.3, 0.9, 0.5)),
        "multinomial": D.Multinomial(7, f64(0.2, 0.3, 0.5)),
        "geometric": D.Geometric(f64(0.3, 0.8)),
        "negative_binomial": D.NegativeBinomial(f64(3.0, 0.7), f64(0.4, 0.6)),
        "studentt": D.StudentT(f64(5.0, 1.5), f64(1.0, 0.0), f64(2.0, 1.0)),
        "cauchy": D.Cauchy(f64(0.0, 2.0), f64(1.0, 0.5)),
        "gumbel": D.Gumbel(f64(1.0, -1.0), f64(2.0, 0.5)),
        "halfnormal": D.HalfNormal(f64(1.0, 3.0)),
        "halfcauchy": D.HalfCauchy(f64(1.0, 0.2)),
        "chi2": D.Chi2(f64(3.0, 0.8)),
        "fishersnedecor": D.FisherSnedecor(f64(5.0, 2.0), f64(10.0, 12.0)),
        "continuous_bernoulli": D.ContinuousBernoulli(f64(0.3, 0.5, 0.9)),
        "relaxed_bernoulli": D.RelaxedBernoulli(f64(0.5), f64(0.3, 0.8)),
        "relaxed_onehot": D.RelaxedOneHotCategorical(f64(0.5), f64(0.2, 0.3, 0.5)),
        "logistic_normal": D.LogisticNormal(f64(0.0, 1.0), f64(1.0, 0.5)),
        "mixture": D.MixtureSameFamily(D.Categorical(f64(0.3, 0.7)), D.Normal(f64(-1.0, 1.0), f64(1.0, 0.5))),
        "pareto": D.Pareto(f64(1.0, 2.0), f64(5.0, 1.5)),
        "weibull": D.Weibull(f64(1.0, 2.0), f64(2.0, 0.7)),
        "kumaraswamy": D.Kumaraswamy(f64(2.0, 0.5), f64(3.0, 0.8)),
        "vonmises": D.VonMises(f64(1.0, -3.0), f64(2.0, 0.3)),
        "wishart": D.Wishart(f64(4.0), covariance_matrix=cov),
        "wishart_low_df": D.Wishart(f64(1.5), scale_tril=eye2),
        "lkj": D.LKJCholesky(3, f64(1.5)),
        "generalized_pareto": D.GeneralizedPareto(f64(0.0, 1.0), f64(1.0, 2.0), f64(0.2, -0.3)),
        "inverse_gamma": D.InverseGamma(f64(5.0, 3.0), f64(2.0, 1.0)),
        "independent": D.Independent(D.Normal(npgrad.zeros(2, 3, dtype=npgrad.float64),
                                              npgrad.ones(2, 3, dtype=npgrad.float64)), 1),
    }


CASES = _cases()
# heavy tails or no finite (co)variance: moments are not tested
NO_MOMENTS = {"cauchy", "halfcauchy"}
NO_VARIANCE = {"studentt", "fishersnedecor", "pareto", "inverse_gamma"}
CONTINUOUS_CDF = {"normal", "uniform", "exponential", "laplace", "lognormal", "cauchy", "gumbel", "halfnormal",
                  "halfcauchy", "continuous_bernoulli", "pareto", "weibull", "generalized_pareto", "mixture"}
DISCRETE = {"bernoulli": 2, "categorical": 4, "categorical_batch": 3, "poisson": 60, "binomial": 41,
            "geometric": 40, "negative_binomial": 40}


def _draw(name):
    npgrad.manual_seed(1234 + sum(map(ord, name)))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Wishart with a low df warns of singular samples
        return CASES[name].sample((N,))


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shape_dtype_support(name):
    d = CASES[name]
    s = _draw(name)
    assert s.shape == (N,) + d.batch_shape + d.event_shape
    expected = npgrad.int64 if name.startswith("categorical") else npgrad.float64
    assert s.dtype == expected
    assert not s.requires_grad
    if name != "wishart_low_df":  # singular samples are possible there
        assert bool(d.support.check(s).all()), name
    assert d.sample().shape == d.batch_shape + d.event_shape
    assert d.sample((2, 3)).shape == (2, 3) + d.batch_shape + d.event_shape


@pytest.mark.parametrize("name", sorted(set(CASES) - NO_MOMENTS - {"vonmises", "lkj", "relaxed_bernoulli",
                                                                   "relaxed_onehot", "logistic_normal",
                                                                   "wishart_low_df", "categorical",
                                                                   "categorical_batch"}))
def test_sample_mean_and_variance(name):
    d = CASES[name]
    x = _draw(name).numpy()
    mean, var = d.mean.detach().numpy(), d.variance.detach().numpy()
    xm = x.mean(0)
    se = np.sqrt(var / N)
    assert np.all(np.abs(xm - mean) <= Z * se + 1e-12), f"{name}: mean {xm} vs {mean} (se {se})"
    if name in NO_VARIANCE:
        return
    xc = x - xm
    s2 = (xc ** 2).mean(0)
    se_var = np.sqrt(np.maximum((xc ** 4).mean(0) - s2 ** 2, 0) / N)
    assert np.all(np.abs(s2 - var) <= Z * se_var + 1e-12), f"{name}: variance {s2} vs {var} (se {se_var})"


@pytest.mark.parametrize("name", sorted(CONTINUOUS_CDF))
def test_sample_matches_cdf_kolmogorov_smirnov(name):
    d = CASES[name]
    x = _draw(name)
    F = d.cdf(x).detach().numpy().reshape(N, -1)  # F(x) of each sample: uniform on (0, 1) under the law
    F = np.sort(F, axis=0)
    ecdf_hi = np.arange(1, N + 1)[:, None] / N
    ecdf_lo = np.arange(0, N)[:, None] / N
    ks = np.maximum(np.abs(ecdf_hi - F), np.abs(F - ecdf_lo)).max(0)
    assert np.all(ks < 1.95 / math.sqrt(N)), f"{name}: KS statistic {ks}"  # a 0.1% test


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_sample_frequencies_match_probabilities(name):
    d = CASES[name]
    x = _draw(name).numpy()
    k = np.arange(DISCRETE[name], dtype=np.float64).reshape((-1,) + (1,) * len(d.batch_shape))
    k = np.broadcast_to(k, (len(k),) + d.batch_shape)
    value = npgrad.tensor(k) if not name.startswith("categorical") else npgrad.tensor(k.astype(np.int64))
    unchecked = d.expand(d.batch_shape)
    unchecked._validate_args = False  # values beyond a row's support have probability 0
    p = np.where(d.support.check(value).numpy(), unchecked.log_prob(value).exp().detach().numpy(), 0.0)
    freq = (x[None] == k[:, None]).mean(1)
    se = np.sqrt(p * (1 - p) / N)
    assert np.all(np.abs(freq - p) <= Z * se + 1.0 / N), f"{name}: frequencies {freq} vs {p}"
    assert np.all(p.sum(0) > 0.999)  # the values tried cover the distribution


def test_mvn_sample_covariance():
    for name in ("mvn", "mvn_prec", "lowrank_mvn"):
        d = CASES[name]
        x = _draw(name).numpy()
        cov = d.covariance_matrix.detach().numpy()
        xc = x - x.mean(0)
        s = xc.T @ xc / N
        se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / N)  # of a Gaussian sample covariance
        assert np.all(np.abs(s - cov) <= Z * se), f"{name}: {s} vs {cov}"


def test_vonmises_circular_moments():
    d = CASES["vonmises"]
    x = _draw("vonmises").numpy()
    loc = d.loc.numpy()
    c, s = np.cos(x - loc), np.sin(x - loc)
    r = 1 - d.variance.numpy()  # I1(k) / I0(k) = E cos(x - loc)
    assert np.all(np.abs(c.mean(0) - r) <= Z * c.std(0) / math.sqrt(N))
    assert np.all(np.abs(s.mean(0)) <= Z * s.std(0) / math.sqrt(N))
    assert np.all((x >= -math.pi) & (x < math.pi))


def test_lkj_marginal_correlations():
    # each correlation of LKJ(eta) in dimension d is 2 B - 1 with B ~ Beta(eta - 1 + d / 2, eta - 1 + d / 2)
    L = _draw("lkj").numpy()[:, 0]
    corr = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(corr, axis1=-2, axis2=-1), 1.0, rtol=1e-12)
    r = corr[:, [1, 2, 2], [0, 0, 1]]
    eta, dim = 1.5, 3
    var = 1.0 / (2 * eta + dim - 1)
    assert np.all(np.abs(r.mean(0)) <= Z * math.sqrt(var / N))
    fourth = 3 * var ** 2 * (2 * eta + dim - 1) / (2 * eta + dim + 1)  # E r^4 of the scaled Beta
    assert np.all(np.abs((r ** 2).mean(0) - var) <= Z * math.sqrt((fourth - var ** 2) / N))


def test_relaxed_samples_threshold_to_their_categorical():
    x = _draw("relaxed_bernoulli").numpy()
    p = CASES["relaxed_bernoulli"].probs.numpy()
    assert np.all(np.abs((x > 0.5).mean(0) - p) <= Z * np.sqrt(p * (1 - p) / N))
    y = _draw("relaxed_onehot").numpy()
    p = CASES["relaxed_onehot"].probs.numpy()
    freq = np.bincount(y.argmax(-1), minlength=3) / N  # the Gumbel-max trick
    assert np.all(np.abs(freq - p) <= Z * np.sqrt(p * (1 - p) / N))
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-12)


def test_logistic_normal_inverts_to_its_normal():
    d = CASES["logistic_normal"]
    y = _draw("logistic_normal")
    x = D.transforms.StickBreakingTransform().inv(y).numpy()
    loc, scale = d.loc.numpy(), d.scale.numpy()
    assert np.all(np.abs(x.mean(0) - loc) <= Z * scale / math.sqrt(N))
    assert np.all(np.abs(x.std(0) - scale) <= Z * scale / math.sqrt(2 * N))


def test_sampling_is_seeded_and_float32():
    npgrad.manual_seed(7)
    a = D.Gamma(npgrad.tensor([0.5, 3.0]), npgrad.tensor(1.0)).sample((5,))
    npgrad.manual_seed(7)
    b = D.Gamma(npgrad.tensor([0.5, 3.0]), npgrad.tensor(1.0)).sample((5,))
    assert a.dtype == npgrad.float32
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    for d in (D.Normal(0.0, 1.0), D.Beta(npgrad.tensor(2.0), npgrad.tensor(3.0)), D.Poisson(npgrad.tensor(3.0)),
              D.Dirichlet(npgrad.ones(3)), D.Binomial(5, npgrad.tensor(0.3)), D.VonMises(npgrad.tensor(0.0),
                                                                                       npgrad.tensor(1.0)),
              D.MultivariateNormal(npgrad.zeros(2), npgrad.eye(2)), D.Cauchy(npgrad.tensor(0.0), 1.0)):
        s = d.sample((3,))
        assert s.dtype == npgrad.float32, type(d).__name__


# --------------------------------------------------------------------------- rsample gradients


def _pathwise(make, params, shape=(4,), h=1e-6, matrix=None):
    """Autograd of sum(w * rsample) against central differences of rsample with the same seed.

    ``matrix="tril"``: a matrix parameter is perturbed in its lower triangle only; ``"sym"``: entries
    (i, j) and (j, i) are perturbed together (the gradient then is g_ij + g_ji).
    """
    ps = [npgrad.tensor(p, dtype=npgrad.float64, requires_grad=True) for p in params]
    npgrad.manual_seed(99)
    x = make(*ps).rsample(shape)
    w = np.random.default_rng(0).standard_normal(tuple(x.shape))
    (x * npgrad.tensor(w)).sum().backward()
    for i, p in enumerate(params):
        got = ps[i].grad.numpy()
        is_matrix = matrix is not None and np.ndim(p) == 2
        if is_matrix and matrix == "sym":
            got = np.tril(got + got.T - np.diag(np.diag(got)))
        num = np.zeros(np.shape(p))
        for idx in np.ndindex(np.shape(p)):
            if is_matrix and idx[1] > idx[0]:
                continue
            vals = []
            for sign in (1, -1):
                q = [np.array(a, dtype=np.float64) for a in params]
                q[i][idx] += sign * h
                if is_matrix and matrix == "sym" and idx[0] != idx[1]:
                    q[i][idx[::-1]] += sign * h
                npgrad.manual_seed(99)
                with npgrad.no_grad():
                    vals.append((make(*[npgrad.tensor(a) for a in q]).rsample(shape).numpy() * w).sum())
            num[idx] = (vals[0] - vals[1]) / (2 * h)
        if is_matrix:
            got = np.tril(got)
        np.testing.assert_allclose(got, num, rtol=1e-5, atol=1e-6, err_msg=f"parameter {i}")


PATHWISE = {
    "normal": (lambda m, s: D.Normal(m, s), [[0.5, -1.0], [1.0, 2.0]]),
    "uniform": (lambda a, b: D.Uniform(a, b), [[0.0, 1.0], [2.0, 1.5]]),
    "exponential": (lambda r: D.Exponential(r), [[0.5, 2.0]]),
    "laplace": (lambda m, s: D.Laplace(m, s), [[0.5, -1.0], [1.0, 2.0]]),
    "lognormal": (lambda m, s: D.LogNormal(m, s), [[0.5, -1.0], [1.0, 0.3]]),
    "cauchy": (lambda m, s: D.Cauchy(m, s), [[0.5, -1.0], [1.0, 2.0]]),
    "gumbel": (lambda m, s: D.Gumbel(m, s), [[0.5, -1.0], [1.0, 2.0]]),
    "halfnormal": (lambda s: D.HalfNormal(s), [[1.0, 2.0]]),
    "halfcauchy": (lambda s: D.HalfCauchy(s), [[1.0, 0.5]]),
    "weibull": (lambda s, k: D.Weibull(s, k), [[1.0, 2.0], [2.0, 0.7]]),
    "kumaraswamy": (lambda a, b: D.Kumaraswamy(a, b), [[2.0, 0.5], [3.0, 0.8]]),
    "pareto": (lambda s, a: D.Pareto(s, a), [[1.0, 2.0], [3.0, 1.5]]),
    "continuous_bernoulli": (lambda p: D.ContinuousBernoulli(p), [[0.3, 0.8]]),
    "generalized_pareto": (lambda m, s, c: D.GeneralizedPareto(m, s, c), [[0.0, 1.0], [1.0, 2.0], [0.2, -0.3]]),
    "mvn_tril": (lambda m, l: D.MultivariateNormal(m, scale_tril=l), [[0.5, -1.0], [[1.0, 0.0], [0.3, 2.0]]], "tril"),
    "mvn_cov": (lambda m, c: D.MultivariateNormal(m, covariance_matrix=c), [[0.5, -1.0], [[2.0, 0.3], [0.3, 1.0]]],
                "sym"),
    "mvn_prec": (lambda m, c: D.MultivariateNormal(m, precision_matrix=c), [[0.5, -1.0], [[2.0, 0.3], [0.3, 1.0]]],
                 "sym"),
    "lowrank_mvn": (lambda m, w, d: D.LowRankMultivariateNormal(m, w, d), [[0.5, -1.0], [[1.0], [0.3]], [1.0, 2.0]]),
    "relaxed_bernoulli": (lambda t, p: D.RelaxedBernoulli(t, probs=p), [[0.5], [0.3, 0.8]]),
    "relaxed_onehot": (lambda t, lg: D.RelaxedOneHotCategorical(t, logits=lg), [[0.7], [0.0, 1.0, -0.5]]),
    "logistic_normal": (lambda m, s: D.LogisticNormal(m, s), [[0.0, 1.0], [1.0, 0.5]]),
    "independent": (lambda m, s: D.Independent(D.Normal(m, s), 1), [[0.5, -1.0], [1.0, 2.0]]),
}


@pytest.mark.parametrize("name", sorted(PATHWISE))
def test_rsample_pathwise_gradients(name):
    make, params, *matrix = PATHWISE[name]
    assert make(*[npgrad.tensor(p, dtype=npgrad.float64) for p in params]).has_rsample
    _pathwise(make, params, matrix=matrix[0] if matrix else None)


def _expectation_grad(make, params, f, n=N):
    """The Monte Carlo estimate of the gradient of E f(X) and its standard error, per parameter.

    The parameters are repeated ``n`` times as leaves, one row per sample, so that one backward pass
    gives every sample's gradient.
    """
    reps = [npgrad.tensor(np.broadcast_to(np.asarray(p, dtype=np.float64), (n,) + np.shape(p)).copy(),
                          requires_grad=True) for p in params]
    npgrad.manual_seed(5)
    f(make(*reps).rsample()).sum().backward()
    grads = [r.grad.numpy() for r in reps]
    return [g.mean(0) for g in grads], [g.std(0) / math.sqrt(n) for g in grads]


def _numeric_grads(fn, *params, h=1e-6):
    """Central differences of an elementwise closed form in each parameter."""
    out = []
    for i in range(len(params)):
        up = [np.array(p, dtype=np.float64) for p in params]
        down = [np.array(p, dtype=np.float64) for p in params]
        up[i] = up[i] + h
        down[i] = down[i] - h
        out.append((fn(*up) - fn(*down)) / (2 * h))
    return out


def _trigamma(x):
    return npgrad.tensor(x, dtype=npgrad.float64).polygamma(1).numpy()


IMPLICIT = {
    # name: (make, params, f, analytic gradients of E f)
    "gamma_mean": (lambda a, b: D.Gamma(a, b), [[0.3, 1.5, 9.0], [2.0, 1.0, 0.5]], lambda x: x,
                   lambda a, b: [1 / b, -a / b ** 2]),
    "gamma_log": (lambda a, b: D.Gamma(a, b), [[0.4, 2.5, 12.0], [1.0, 2.0, 1.0]], lambda x: x.log(),
                  lambda a, b: [_trigamma(a), -1 / b]),
    "beta_mean": (lambda a, b: D.Beta(a, b), [[0.5, 2.0, 8.0], [3.0, 0.7, 9.0]], lambda x: x,
                  lambda a, b: [b / (a + b) ** 2, -a / (a + b) ** 2]),
    "beta_square": (lambda a, b: D.Beta(a, b), [[0.5, 2.0, 8.0], [3.0, 0.7, 9.0]], lambda x: x * x,
                    lambda a, b: _numeric_grads(lambda a, b: a * (a + 1) / ((a + b) * (a + b + 1)), a, b)),
    "dirichlet_mean": (lambda c: D.Dirichlet(c), [[0.5, 1.0, 3.0]], lambda x: x * npgrad.tensor([1.0, -2.0, 0.5]),
                       lambda c: [np.array([1.0, -2.0, 0.5]) / c.sum()
                                  - (np.array([1.0, -2.0, 0.5]) * c).sum() / c.sum() ** 2]),
    "chi2_mean": (lambda df: D.Chi2(df), [[0.8, 3.0]], lambda x: x, lambda df: [np.ones_like(df)]),
    "studentt_square": (lambda df, m, s: D.StudentT(df, m, s), [[6.0, 9.0], [0.5, 1.0], [1.0, 2.0]],
                        lambda x: x * x, lambda df, m, s: [-2 * s ** 2 / (df - 2) ** 2, 2 * m,
                                                           2 * s * df / (df - 2)]),
    "fishersnedecor_mean": (lambda a, b: D.FisherSnedecor(a, b), [[3.0, 6.0], [8.0, 12.0]], lambda x: x,
                            lambda a, b: [np.zeros_like(a), -2 / (b - 2) ** 2]),
    "inverse_gamma_mean": (lambda a, b: D.InverseGamma(a, b), [[4.0, 6.0], [2.0, 1.0]], lambda x: x,
                           lambda a, b: [-b / (a - 1) ** 2, 1 / (a - 1)]),
}


@pytest.mark.parametrize("name", sorted(IMPLICIT))
def test_rsample_implicit_gradients_match_analytic(name):
    make, params, f, analytic = IMPLICIT[name]
    est, se = _expectation_grad(make, params, f)
    exact = analytic(*[np.array(p, dtype=np.float64) for p in params])
    for i, (e, s, a) in enumerate(zip(est, se, exact)):
        assert np.all(np.abs(e - a) <= Z * s + 1e-9), f"{name} parameter {i}: {e} vs {a} (se {s})"


def test_wishart_rsample_gradient():
    # E[tr X] = df tr(L L^T): d/dL = 2 df L (lower part), d/ddf = tr(L L^T)
    L0 = np.array([[1.0, 0.0], [0.4, 0.8]])
    df = npgrad.tensor(5.0, dtype=npgrad.float64, requires_grad=True)
    L = npgrad.tensor(L0, requires_grad=True)
    npgrad.manual_seed(3)
    x = D.Wishart(df, scale_tril=L).rsample((N,))
    tr = x.diagonal(dim1=-2, dim2=-1).sum(-1)
    gdf, gL = npgrad.autograd.grad(tr.mean(), [df, L])
    se = tr.detach().numpy().std() / math.sqrt(N)
    assert abs(tr.mean().item() - 5.0 * (L0 ** 2).sum()) <= Z * se
    assert abs(gdf.item() - (L0 ** 2).sum()) <= 0.05 * (L0 ** 2).sum()
    np.testing.assert_allclose(np.tril(gL.numpy()), 2 * 5.0 * L0, rtol=0.05, atol=0.05)


def test_one_hot_straight_through_gradient():
    p = npgrad.tensor([0.2, 0.3, 0.5], dtype=npgrad.float64, requires_grad=True)
    d = D.OneHotCategoricalStraightThrough(p)
    s = d.rsample((5,))
    assert set(np.unique(s.detach().numpy())) <= {0.0, 1.0}
    (s * npgrad.tensor([1.0, 2.0, 3.0], dtype=npgrad.float64)).sum().backward()
    # the gradient of 5 * (probs . w) with probs = p / sum(p)
    pp = np.array([0.2, 0.3, 0.5])
    expected = 5 * (np.array([1.0, 2.0, 3.0]) / pp.sum() - (pp * [1.0, 2.0, 3.0]).sum() / pp.sum() ** 2)
    np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-12)


def test_sample_has_no_gradient_but_rsample_has():
    m = npgrad.tensor([0.0, 1.0], requires_grad=True)
    d = D.Normal(m, 1.0)
    assert not d.sample().requires_grad
    assert d.rsample().requires_grad
    with pytest.raises(NotImplementedError):
        D.Poisson(npgrad.tensor(1.0)).rsample()


# --------------------------------------------------------------------------- the implicit-gradient approximations


def _grad_inputs():
    rng = np.random.default_rng(11)
    alpha = np.concatenate([rng.uniform(0.05, 1.0, 40), rng.uniform(1.0, 8.0, 40), rng.uniform(8.0, 60.0, 40)])
    # x around the distribution's bulk and in the tails, covering every branch of the approximations
    x = alpha * np.exp(rng.uniform(-3.0, 1.5, alpha.shape))
    x[::7] = rng.uniform(0.01, 0.79, len(x[::7]))
    x[3::11] = alpha[3::11] * rng.uniform(0.9, 1.1, len(x[3::11]))
    a = rng.uniform(0.1, 12.0, 200)
    b = rng.uniform(0.1, 12.0, 200)
    bx = rng.beta(a, b)
    bx[::9] = rng.uniform(0.001, 0.05, len(bx[::9]))
    bx[5::9] = rng.uniform(0.95, 0.999, len(bx[5::9]))
    return alpha, x, bx, a, a + b


def test_standard_gamma_and_dirichlet_grads_match_torch():
    from npgrad.distributions import _samplers

    alpha, x, bx, a, total = _grad_inputs()

    def ref():
        import torch

        return {"gamma": torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy(),
                "dirichlet": torch._dirichlet_grad(torch.tensor(bx), torch.tensor(a), torch.tensor(total)).numpy()}

    expected = golden("implicit_grads", ref)
    np.testing.assert_allclose(_samplers._standard_gamma_grad(alpha, x), expected["gamma"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(_samplers._dirichlet_grad(bx, a, total), expected["dirichlet"], rtol=1e-10,
                               atol=1e-13)
