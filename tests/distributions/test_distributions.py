"""npgrad.distributions against torch.distributions: every family's log_prob, cdf, icdf, entropy, mean, mode,
variance, stddev, enumerate_support, expand and parameter conversions, values and gradients (with respect to
the parameters and the value) in float64 and float32; shapes, reprs and flags; and the validation errors."""
import inspect
import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import npgrad
from dist_makers import (D, _seed, corr_cholesky, ints, onehot, pos, real, simplex, spd, torch_ref, tril, unit,
                         wishart_value)
from oracle import Golden

golden = Golden("distributions")


@dataclass
class DCase:
    name: str
    make: object  # make(lib, *params) -> distribution
    params: list  # makers of the float64 parameter arrays
    value: object = None  # maker of the value scored by log_prob / cdf
    methods: tuple = ("log_prob", "entropy", "mean", "variance")
    nograd: tuple = ()  # methods whose gradients are not compared
    value_grad: bool = True  # compare gradients with respect to the value as well
    expand: tuple = (2,)  # leading batch dims added by the expand check
    rtol32: float = 2e-5


CONT = ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev", "perplexity")

CASES = [
    DCase("normal", lambda t, m, s: D(t).Normal(m, s), [real(2, 3), pos(2, 3)], real(4, 2, 3), CONT),
    DCase("normal_scalar_args", lambda t: D(t).Normal(0.5, 2.0), [], real(3), CONT),
    DCase("normal_broadcast", lambda t, m, s: D(t).Normal(m, s), [real(3), pos(2, 1)], real(2, 3), CONT),
    DCase("bernoulli_probs", lambda t, p: D(t).Bernoulli(probs=p), [unit(5)], ints(0, 2, 3, 5),
          ("log_prob", "entropy", "mean", "mode", "variance", "logits", "enumerate_support",
           "enumerate_support_noexpand", "perplexity"), value_grad=False),
    DCase("bernoulli_logits", lambda t, l: D(t).Bernoulli(logits=l), [real(2, 3)], ints(0, 2, 2, 3),
          ("log_prob", "entropy", "mean", "mode", "variance", "probs", "enumerate_support"), value_grad=False),
    DCase("bernoulli_half_mode", lambda t: D(t).Bernoulli(t.tensor([0.5, 0.2, 0.7, 0.0, 1.0])), [],
          ints(0, 2, 5), ("log_prob", "entropy", "mode", "logits"), value_grad=False),
    DCase("categorical_probs", lambda t, p: D(t).Categorical(probs=p), [pos(2, 4)], ints(0, 4, 3, 2),
          ("log_prob", "entropy", "mode", "mean", "variance", "probs", "logits", "enumerate_support",
           "enumerate_support_noexpand")),
    DCase("categorical_logits", lambda t, l: D(t).Categorical(logits=l), [real(3, 5)], ints(0, 5, 3),
          ("log_prob", "entropy", "mode", "probs", "logits", "enumerate_support")),
    DCase("categorical_1d", lambda t, p: D(t).Categorical(p), [simplex(4)], ints(0, 4, 6),
          ("log_prob", "entropy", "mode", "enumerate_support", "perplexity")),
    DCase("categorical_zero_prob", lambda t: D(t).Categorical(t.tensor([0.0, 0.3, 0.7])), [], ints(0, 3, 4),
          ("log_prob", "entropy", "logits")),
    DCase("onehot_probs", lambda t, p: D(t).OneHotCategorical(p), [pos(2, 3)], onehot(3, 4, 2),
          ("log_prob", "entropy", "mean", "mode", "variance", "probs", "logits", "enumerate_support",
           "enumerate_support_noexpand"), value_grad=False),
    DCase("onehot_logits", lambda t, l: D(t).OneHotCategorical(logits=l), [real(4)], onehot(4, 3),
          ("log_prob", "entropy", "probs", "mode"), value_grad=False),
    DCase("uniform", lambda t, a, w: D(t).Uniform(a, a + w), [real(3), pos(3)], None,
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev")),
    DCase("beta", lambda t, a, b: D(t).Beta(a, b), [pos(2, 3, lo=0.5, hi=3.0), pos(2, 3, lo=0.5, hi=3.0)],
          unit(4, 2, 3), ("log_prob", "entropy", "mean", "mode", "variance", "stddev")),
    DCase("beta_scalar_args", lambda t: D(t).Beta(2.0, 3.0), [], unit(3), ("log_prob", "entropy", "mean", "mode")),
    DCase("gamma", lambda t, a, b: D(t).Gamma(a, b), [pos(2, 3, lo=0.3, hi=4.0), pos(2, 3)], pos(4, 2, 3),
          ("log_prob", "cdf", "entropy", "mean", "mode", "variance"), nograd=("cdf",)),
    DCase("dirichlet", lambda t, c: D(t).Dirichlet(c), [pos(2, 4, lo=0.3, hi=3.0)], simplex(3, 2, 4),
          ("log_prob", "entropy", "mean", "mode", "variance")),
    DCase("dirichlet_small_mode", lambda t, c: D(t).Dirichlet(c), [pos(3, lo=0.2, hi=0.9)], simplex(3),
          ("log_prob", "entropy", "mode")),
    DCase("exponential", lambda t, r: D(t).Exponential(r), [pos(2, 3)], pos(4, 2, 3), CONT),
    DCase("laplace", lambda t, m, s: D(t).Laplace(m, s), [real(2, 3), pos(2, 3)], real(4, 2, 3), CONT),
    DCase("lognormal", lambda t, m, s: D(t).LogNormal(m, s), [real(3), pos(3)], pos(2, 3),
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    DCase("mvn_cov", lambda t, m, c: D(t).MultivariateNormal(m, covariance_matrix=c), [real(2, 3), spd(3, 2)],
          real(4, 2, 3), ("log_prob", "entropy", "mean", "mode", "variance", "scale_tril", "precision_matrix",
                          "covariance_matrix")),
    DCase("mvn_prec", lambda t, m, p: D(t).MultivariateNormal(m, precision_matrix=p), [real(3), spd(3)],
          real(5, 3), ("log_prob", "entropy", "variance", "scale_tril", "covariance_matrix", "precision_matrix")),
    DCase("mvn_tril", lambda t, m, l: D(t).MultivariateNormal(m, scale_tril=l), [real(4, 1, 2), tril(2, 3)],
          real(4, 3, 2), ("log_prob", "entropy", "variance", "covariance_matrix", "precision_matrix", "scale_tril")),
    DCase("lowrank_mvn", lambda t, m, w, d: D(t).LowRankMultivariateNormal(m, w, d),
          [real(2, 4), real(2, 4, 2), pos(2, 4)], real(3, 2, 4),
          ("log_prob", "entropy", "mean", "variance", "scale_tril", "covariance_matrix", "precision_matrix")),
    DCase("independent_normal", lambda t, m, s: D(t).Independent(D(t).Normal(m, s), 1), [real(2, 3), pos(2, 3)],
          real(4, 2, 3), ("log_prob", "entropy", "mean", "mode", "variance")),
    DCase("independent_2", lambda t, m, s: D(t).Independent(D(t).Normal(m, s), 2), [real(2, 3), pos(2, 3)],
          real(2, 3), ("log_prob", "entropy")),
    DCase("transformed_affine_exp",
          lambda t, m, s, a: D(t).TransformedDistribution(
              D(t).Normal(m, s), [D(t).transforms.AffineTransform(1.0, a), D(t).transforms.ExpTransform()]),
          [real(3), pos(3), pos(3)], pos(2, 3), ("log_prob", "cdf", "icdf")),
    DCase("transformed_negative_scale",
          lambda t, m, s: D(t).TransformedDistribution(D(t).Normal(m, s), D(t).transforms.AffineTransform(0.0, -2.0)),
          [real(3), pos(3)], real(2, 3), ("log_prob", "cdf", "icdf")),
    DCase("transformed_stickbreaking",
          lambda t, m, s: D(t).TransformedDistribution(D(t).Normal(m, s), D(t).transforms.StickBreakingTransform()),
          [real(2, 3), pos(2, 3)], simplex(2, 4), ("log_prob",)),
    DCase("poisson", lambda t, r: D(t).Poisson(r), [pos(2, 3, lo=0.5, hi=6.0)], ints(0, 8, 4, 2, 3),
          ("log_prob", "mean", "mode", "variance")),
    DCase("poisson_zero_rate", lambda t: D(t).Poisson(t.tensor([0.0, 1.0])), [], ints(0, 1, 2),
          ("log_prob",), value_grad=False),
    DCase("binomial_probs", lambda t, p: D(t).Binomial(10, probs=p), [unit(2, 3)], ints(0, 11, 4, 2, 3),
          ("log_prob", "entropy", "mean", "mode", "variance", "logits", "enumerate_support",
           "enumerate_support_noexpand")),
    DCase("binomial_logits", lambda t, l: D(t).Binomial(t.tensor([5.0, 8.0, 3.0]), logits=l), [real(3)],
          ints(0, 4, 2, 3), ("log_prob", "mean", "mode", "variance", "probs")),
    DCase("binomial_extreme_logits", lambda t: D(t).Binomial(6, logits=t.tensor([-40.0, 0.0, 40.0])), [],
          ints(0, 7, 3), ("log_prob", "entropy", "probs")),
    DCase("multinomial", lambda t, p: D(t).Multinomial(6, p), [pos(2, 3)],
          lambda rng: rng.multinomial(6, [0.2, 0.3, 0.5], (4, 2)).astype(float),
          ("log_prob", "entropy", "mean", "variance", "probs", "logits")),
    DCase("multinomial_logits", lambda t, l: D(t).Multinomial(4, logits=l), [real(4)],
          lambda rng: rng.multinomial(4, [0.25] * 4, 3).astype(float), ("log_prob", "entropy", "probs")),
    DCase("geometric", lambda t, p: D(t).Geometric(p), [unit(2, 3)], ints(0, 6, 4, 2, 3),
          ("log_prob", "entropy", "mean", "mode", "variance", "logits")),
    DCase("geometric_logits", lambda t, l: D(t).Geometric(logits=l), [real(3)], ints(0, 6, 3),
          ("log_prob", "entropy", "mean", "probs")),
    DCase("geometric_p1", lambda t: D(t).Geometric(t.tensor([1.0, 0.5])), [], ints(0, 1, 2), ("log_prob",),
          value_grad=False),
    DCase("negative_binomial", lambda t, n, p: D(t).NegativeBinomial(n, p), [pos(2, 3, lo=0.5, hi=5.0), unit(2, 3)],
          ints(0, 8, 4, 2, 3), ("log_prob", "mean", "mode", "variance", "logits")),
    DCase("negative_binomial_logits", lambda t, n, l: D(t).NegativeBinomial(n, logits=l), [pos(3), real(3)],
          ints(0, 5, 3), ("log_prob", "mean", "variance", "probs")),
    DCase("studentt", lambda t, df, m, s: D(t).StudentT(df, m, s), [pos(2, 3, lo=0.5, hi=5.0), real(2, 3), pos(2, 3)],
          real(4, 2, 3), ("log_prob", "entropy", "mean", "mode", "variance")),
    DCase("studentt_df_only", lambda t, df: D(t).StudentT(df), [pos(4, lo=0.8, hi=4.0)], real(4),
          ("log_prob", "entropy", "mean", "variance")),
    DCase("cauchy", lambda t, m, s: D(t).Cauchy(m, s), [real(2, 3), pos(2, 3)], real(4, 2, 3),
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    DCase("gumbel", lambda t, m, s: D(t).Gumbel(m, s), [real(2, 3), pos(2, 3)], real(4, 2, 3),
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev")),
    DCase("gumbel_scalar_args", lambda t: D(t).Gumbel(1.0, 2.0), [], real(3), ("log_prob", "cdf", "entropy")),
    DCase("halfnormal", lambda t, s: D(t).HalfNormal(s), [pos(2, 3)], pos(4, 2, 3, lo=0.0, hi=3.0),
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    DCase("halfcauchy", lambda t, s: D(t).HalfCauchy(s), [pos(2, 3)], pos(4, 2, 3, lo=0.0, hi=3.0),
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    DCase("chi2", lambda t, df: D(t).Chi2(df), [pos(2, 3, lo=0.5, hi=6.0)], pos(4, 2, 3, lo=0.1, hi=5.0),
          ("log_prob", "entropy", "mean", "mode", "variance", "df")),
    DCase("fishersnedecor", lambda t, a, b: D(t).FisherSnedecor(a, b), [pos(2, 3, lo=1.0, hi=8.0),
                                                                        pos(2, 3, lo=1.0, hi=8.0)],
          pos(4, 2, 3, lo=0.1, hi=3.0), ("log_prob", "mean", "mode", "variance")),
    DCase("continuous_bernoulli", lambda t, p: D(t).ContinuousBernoulli(p), [unit(2, 3)], unit(4, 2, 3),
          ("log_prob", "cdf", "icdf", "entropy", "mean", "variance", "stddev", "logits")),
    DCase("continuous_bernoulli_half", lambda t: D(t).ContinuousBernoulli(t.tensor([0.4995, 0.5, 0.5008, 0.1])),
          [], unit(3, 4), ("log_prob", "cdf", "icdf", "entropy", "mean", "variance")),
    DCase("continuous_bernoulli_logits", lambda t, l: D(t).ContinuousBernoulli(logits=l), [real(3)], unit(2, 3),
          ("log_prob", "cdf", "entropy", "mean", "variance", "probs")),
    DCase("relaxed_bernoulli", lambda t, tau, p: D(t).RelaxedBernoulli(tau, probs=p), [pos(1), unit(2, 3)],
          unit(4, 2, 3), ("log_prob", "probs", "logits")),
    DCase("relaxed_bernoulli_logits", lambda t, tau, l: D(t).RelaxedBernoulli(tau, logits=l), [pos(), real(3)],
          unit(2, 3), ("log_prob", "probs")),
    DCase("relaxed_onehot", lambda t, tau, p: D(t).RelaxedOneHotCategorical(tau, p), [pos(), pos(2, 3)],
          simplex(4, 2, 3), ("log_prob", "probs", "logits")),
    DCase("relaxed_onehot_logits", lambda t, tau, l: D(t).RelaxedOneHotCategorical(tau, logits=l), [pos(1), real(4)],
          simplex(2, 4), ("log_prob", "probs")),
    DCase("logistic_normal", lambda t, m, s: D(t).LogisticNormal(m, s), [real(2, 3), pos(2, 3)], simplex(5, 2, 4),
          ("log_prob",)),
    DCase("mixture_normal", lambda t, w, m, s: D(t).MixtureSameFamily(D(t).Categorical(w), D(t).Normal(m, s)),
          [pos(2, 3), real(2, 3), pos(2, 3)], real(4, 2), ("log_prob", "cdf", "mean", "variance")),
    DCase("mixture_mvn",
          lambda t, w, m, s: D(t).MixtureSameFamily(D(t).Categorical(logits=w),
                                                    D(t).Independent(D(t).Normal(m, s), 1)),
          [real(3), real(3, 2), pos(3, 2)], real(4, 2), ("log_prob", "mean", "variance")),
    DCase("pareto", lambda t, s, a: D(t).Pareto(s, a), [pos(2, 3), pos(2, 3, lo=0.5, hi=4.0)], None,
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    DCase("weibull", lambda t, s, k: D(t).Weibull(s, k), [pos(2, 3), pos(2, 3, lo=0.5, hi=3.0)], pos(4, 2, 3),
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance")),
    DCase("kumaraswamy", lambda t, a, b: D(t).Kumaraswamy(a, b), [pos(2, 3, lo=0.5, hi=3.0), pos(2, 3, lo=0.5, hi=3.0)],
          unit(4, 2, 3), ("log_prob", "entropy", "mean", "mode", "variance"), rtol32=1e-4),
    DCase("vonmises", lambda t, m, k: D(t).VonMises(m, k), [real(2, 3), pos(2, 3, lo=0.5, hi=8.0)], real(4, 2, 3),
          ("log_prob", "mean", "mode", "variance")),
    DCase("wishart_cov", lambda t, df, c: D(t).Wishart(df, covariance_matrix=c), [pos(2, lo=3.0, hi=6.0), spd(3, 2)],
          wishart_value(3, 4, 2), ("log_prob", "entropy", "mean", "mode", "variance", "scale_tril",
                                   "precision_matrix"), rtol32=1e-4),
    DCase("wishart_tril", lambda t, l: D(t).Wishart(t.tensor(4.5, dtype=l.dtype), scale_tril=l), [tril(2)],
          wishart_value(2, 3), ("log_prob", "entropy", "mean", "variance", "covariance_matrix"), rtol32=1e-4),
    DCase("wishart_prec", lambda t, p: D(t).Wishart(5.0, precision_matrix=p), [spd(2)], wishart_value(2),
          ("log_prob", "entropy", "covariance_matrix", "scale_tril"), rtol32=1e-4),
    DCase("lkj", lambda t, c: D(t).LKJCholesky(3, c), [pos(2, lo=0.5, hi=3.0)], corr_cholesky(3, 4, 2),
          ("log_prob",)),
    DCase("lkj_scalar", lambda t: D(t).LKJCholesky(4, 1.5), [], corr_cholesky(4, 2), ("log_prob",)),
    DCase("generalized_pareto", lambda t, m, s, c: D(t).GeneralizedPareto(m, s, c),
          [real(4), pos(4), lambda rng: np.array([0.3, -0.2, 0.0, 0.6])], None,
          ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "log_cdf", "log_survival_function")),
    DCase("inverse_gamma", lambda t, a, b: D(t).InverseGamma(a, b), [pos(2, 3, lo=0.5, hi=4.0), pos(2, 3)],
          pos(4, 2, 3), ("log_prob", "entropy", "mean", "mode", "variance")),
]

# values inside supports that depend on the parameters
_VALUE_FROM_PARAMS = {
    "uniform": lambda rng, a, w: a + w * rng.uniform(0.02, 0.98, (4, 3)),
    "pareto": lambda rng, s, a: s * (1 + rng.uniform(0.0, 3.0, (4, 2, 3))),
    "generalized_pareto": lambda rng, m, s, c: m + s * np.where(c < 0, rng.uniform(0.0, 0.9, (3, 4)) / -c,
                                                                rng.uniform(0.0, 3.0, (3, 4))),
}


def _inputs(case):
    rng = np.random.default_rng(_seed(case.name))
    params = [p(rng) for p in case.params]
    if case.name in _VALUE_FROM_PARAMS:
        value = _VALUE_FROM_PARAMS[case.name](rng, *params)
    else:
        value = case.value(rng)
    u = rng.uniform(0.05, 0.95, value.shape)
    return params, np.asarray(value, dtype=np.float64), u


def _method(lib, d, name, value, u):
    if name == "log_prob":
        return d.log_prob(value)
    if name in ("cdf", "log_cdf", "log_survival_function"):
        return getattr(d, name)(value)
    if name == "icdf":
        return d.icdf(u)
    if name in ("entropy", "perplexity"):
        return getattr(d, name)()
    if name == "enumerate_support":
        return d.enumerate_support()
    if name == "enumerate_support_noexpand":
        return d.enumerate_support(expand=False)
    return getattr(d, name)


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _dtype_name(x):
    return str(x.dtype).replace("torch.", "").replace("npgrad.", "")


def _evaluate(lib, case, dtype):
    """Every method of ``case`` on ``lib``, with the gradients of a random projection of each output; the
    default dtype is ``dtype`` meanwhile (for the constants the cases build)."""
    before = lib.get_default_dtype()
    lib.set_default_dtype(getattr(lib, dtype))
    try:
        return _evaluate_methods(lib, case, dtype)
    finally:
        lib.set_default_dtype(before)


def _evaluate_methods(lib, case, dtype):
    params, value, u = _inputs(case)
    dt = getattr(lib, dtype)
    ps = [lib.tensor(p, dtype=dt, requires_grad=True) for p in params]
    v = lib.tensor(value, dtype=dt, requires_grad=case.value_grad)
    ut = lib.tensor(u, dtype=dt, requires_grad=True)
    d = case.make(lib, *ps)
    out = {}
    for m in case.methods:
        y = _method(lib, d, m, v, ut)
        entry = {"v": _np(y), "dtype": _dtype_name(y)}
        if getattr(y, "requires_grad", False) and m not in case.nograd:
            inputs = ps + ([v] if case.value_grad and m in ("log_prob", "cdf", "log_cdf", "log_survival_function")
                           else []) + ([ut] if m == "icdf" else [])
            w = lib.tensor(np.random.default_rng(_seed(case.name + m)).standard_normal(tuple(y.shape)), dtype=dt)
            y_finite = lib.where(lib.isfinite(y), y, lib.zeros_like(y))
            grads = lib.autograd.grad((y_finite * w).sum(), inputs, retain_graph=True, allow_unused=True)
            entry["g"] = [np.zeros(0) if g is None else _np(g) for g in grads]
        out[m] = entry
    # expand: the batch shape grows on the left; log_prob broadcasts
    if "log_prob" in case.methods:
        e = d.expand(tuple(case.expand) + tuple(d.batch_shape))
        ve = v.unsqueeze(v.dim() - len(d.batch_shape) - len(d.event_shape))  # a dim for the new batch dim
        lp = e.log_prob(ve)
        out["expand"] = {"v": _np(lp), "dtype": _dtype_name(lp), "batch_shape": np.array(list(e.batch_shape))}
    return out


def _close(actual, expected, key, rtol, atol):
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected), f"{key}: {sorted(actual)} != {sorted(expected)}"
        for k in expected:
            _close(actual[k], expected[k], f"{key}/{k}", rtol, atol)
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), key
        for i, (a, e) in enumerate(zip(actual, expected)):
            _close(a, e, f"{key}[{i}]", rtol, atol)
    else:
        expected = np.asarray(expected)
        actual = np.asarray(actual)
        assert actual.shape == expected.shape, f"{key}: shape {actual.shape} != torch {expected.shape}"
        if expected.dtype.kind in "fc":
            assert actual.dtype == expected.dtype, f"{key}: dtype {actual.dtype} != torch {expected.dtype}"
            np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=key)
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=key)


def _torch_eval(case, dtype):
    import torch

    return _evaluate(torch, case, dtype)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_family_float64_matches_torch(case):
    ref = golden(f"family/{case.name}/float64", lambda: _torch_eval(case, "float64"))
    _close(_evaluate(npgrad, case, "float64"), ref, case.name, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_family_float32_matches_torch(case):
    ref = golden(f"family/{case.name}/float32", lambda: _torch_eval(case, "float32"))
    got = _evaluate(npgrad, case, "float32")
    # values to float32 accuracy; gradients (longer chains) a little looser
    for m, entry in ref.items():
        _close(got[m]["v"], entry["v"], f"{case.name}/{m}", rtol=case.rtol32, atol=case.rtol32)
        assert got[m]["dtype"] == entry["dtype"], f"{case.name}/{m} dtype"
        if "g" in entry:
            _close(got[m]["g"], entry["g"], f"{case.name}/{m}/grad", rtol=10 * case.rtol32, atol=10 * case.rtol32)


def _describe(lib, case):
    params, _, _ = _inputs(case)
    d = case.make(lib, *[lib.tensor(p) for p in params])
    text = {"batch_shape": list(d.batch_shape), "event_shape": list(d.event_shape), "repr": repr(d),
            "has_rsample": bool(d.has_rsample), "has_enumerate_support": bool(d.has_enumerate_support),
            "support": repr(d.support), "arg_constraints": sorted(d.arg_constraints),
            "sample_shape": list(d.sample((2,)).shape), "sample_dtype": _dtype_name(d.sample()),
            "support_event_dim": d.support.event_dim, "support_is_discrete": d.support.is_discrete}
    return _normalise(text)


def _normalise(obj):
    """torch's names as npgrad's, for comparing texts."""
    if isinstance(obj, str):
        return obj.replace("torch.distributions", "npgrad.distributions").replace("torch.", "npgrad.")
    if isinstance(obj, dict):
        return {k: _normalise(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    return obj


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_shapes_reprs_and_flags_match_torch(case):
    assert _describe(npgrad, case) == golden.json(f"describe/{case.name}", torch_ref(_describe, case))


# --------------------------------------------------------------------------- methods that torch does not have

# (family case, method): each raises NotImplementedError in torch, and so in npgrad
MISSING = [("poisson", "entropy"), ("gamma", "icdf"), ("beta", "cdf"), ("categorical_probs", "cdf"),
           ("mvn_cov", "cdf"), ("vonmises", "entropy"), ("vonmises", "cdf"), ("studentt", "cdf"),
           ("dirichlet", "cdf"), ("mixture_normal", "entropy"), ("lkj", "entropy"), ("lkj", "mean"),
           ("multinomial", "cdf"), ("geometric", "cdf"), ("fishersnedecor", "entropy")]


def _missing(lib, case_name, method):
    case = next(c for c in CASES if c.name == case_name)
    params, value, u = _inputs(case)
    d = case.make(lib, *[lib.tensor(p) for p in params])
    try:
        _method(lib, d, method, lib.tensor(value), lib.tensor(u))
    except NotImplementedError as e:
        return ["NotImplementedError", _normalise(str(e))]
    return ["no error", ""]


@pytest.mark.parametrize("case_name,method", MISSING, ids=[f"{c}-{m}" for c, m in MISSING])
def test_missing_methods_raise_as_torch(case_name, method):
    expected = golden.json(f"missing/{case_name}/{method}", torch_ref(_missing, case_name, method))
    assert expected[0] == "NotImplementedError"
    got = _missing(npgrad, case_name, method)
    assert got[0] == expected[0]
    assert re.sub(r"<class '[\w.]+\.(\w+)'>", r"\1", got[1]) == re.sub(r"<class '[\w.]+\.(\w+)'>", r"\1", expected[1])


# --------------------------------------------------------------------------- validation and its messages


def _raises(lib, code):
    D = lib.distributions
    t = lib.tensor
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code(D, t, lib)
    except (ValueError, NotImplementedError, RuntimeError, TypeError, AssertionError) as e:
        return [type(e).__name__, _normalise(str(e))]
    return ["no error", ""]


ERRORS = {
    "normal_negative_scale": lambda D, t, lib: D.Normal(0.0, -1.0),
    "normal_tensor_scale": lambda D, t, lib: D.Normal(t([0.0, 1.0]), t([1.0, -2.0])),
    "normal_nan_loc": lambda D, t, lib: D.Normal(t([math.nan, 1.0]), t([1.0, 2.0])),
    "exponential_value_outside": lambda D, t, lib: D.Exponential(t(1.0)).log_prob(t(-1.0)),
    "bernoulli_value_outside": lambda D, t, lib: D.Bernoulli(t([0.3, 0.6])).log_prob(t([1.0, 0.5])),
    "bernoulli_probs_and_logits": lambda D, t, lib: D.Bernoulli(probs=t(0.3), logits=t(0.1)),
    "bernoulli_neither": lambda D, t, lib: D.Bernoulli(),
    "bernoulli_probs_above_1": lambda D, t, lib: D.Bernoulli(t([0.3, 1.2])),
    "categorical_scalar_probs": lambda D, t, lib: D.Categorical(t(0.3)),
    "categorical_scalar_logits": lambda D, t, lib: D.Categorical(logits=t(0.3)),
    "categorical_negative_probs": lambda D, t, lib: D.Categorical(t([0.5, -0.1, 0.6])),
    "categorical_value_outside": lambda D, t, lib: D.Categorical(t([0.5, 0.5])).log_prob(t(2)),
    "event_shape_mismatch": lambda D, t, lib: D.Dirichlet(t([1.0, 2.0, 3.0])).log_prob(t([0.5, 0.5])),
    "batch_shape_mismatch": lambda D, t, lib: D.Normal(t([0.0, 1.0]), 1.0).log_prob(t([0.0, 1.0, 2.0])),
    "value_not_tensor": lambda D, t, lib: D.Normal(t(0.0), t(1.0)).log_prob(0.5),
    "uniform_low_above_high": lambda D, t, lib: D.Uniform(t([0.0, 2.0]), t([1.0, 1.0])),
    "uniform_value_outside": lambda D, t, lib: D.Uniform(t(0.0), t(1.0)).log_prob(t(1.5)),
    "beta_negative": lambda D, t, lib: D.Beta(t([1.0]), t([-1.0])),
    "gamma_value_negative": lambda D, t, lib: D.Gamma(t(2.0), t(1.0)).log_prob(t(-0.5)),
    "dirichlet_scalar": lambda D, t, lib: D.Dirichlet(t(1.0)),
    "dirichlet_value_off_simplex": lambda D, t, lib: D.Dirichlet(t([1.0, 2.0])).log_prob(t([0.5, 0.6])),
    "poisson_negative_rate": lambda D, t, lib: D.Poisson(t([-1.0])),
    "poisson_fraction": lambda D, t, lib: D.Poisson(t([1.0])).log_prob(t([0.5])),
    "binomial_fractional_count": lambda D, t, lib: D.Binomial(t([2.5]), t([0.5])),
    "binomial_value_above_count": lambda D, t, lib: D.Binomial(3, t([0.5])).log_prob(t([4.0])),
    "binomial_inhomogeneous_support": lambda D, t, lib: D.Binomial(t([2.0, 3.0]), t([0.5, 0.5])).enumerate_support(),
    "binomial_inhomogeneous_entropy": lambda D, t, lib: D.Binomial(t([2.0, 3.0]), t([0.5, 0.5])).entropy(),
    "multinomial_tensor_count": lambda D, t, lib: D.Multinomial(t(3), t([0.5, 0.5])),
    "multinomial_value_over_count": lambda D, t, lib: D.Multinomial(3, t([0.5, 0.5])).log_prob(t([3.0, 2.0])),
    "geometric_zero_probs": lambda D, t, lib: D.Geometric(t([0.0, 0.5])),
    "negative_binomial_probs_1": lambda D, t, lib: D.NegativeBinomial(2.0, t([1.0])),
    "mvn_two_covariances": lambda D, t, lib: D.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=lib.eye(2),
                                                                 scale_tril=lib.eye(2)),
    "mvn_scalar_loc": lambda D, t, lib: D.MultivariateNormal(t(0.0), covariance_matrix=lib.eye(2)),
    "mvn_vector_cov": lambda D, t, lib: D.MultivariateNormal(t([0.0]), covariance_matrix=t([1.0])),
    "mvn_vector_tril": lambda D, t, lib: D.MultivariateNormal(t([0.0]), scale_tril=t([1.0])),
    "mvn_vector_prec": lambda D, t, lib: D.MultivariateNormal(t([0.0]), precision_matrix=t([1.0])),
    "mvn_not_pd": lambda D, t, lib: D.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t([[1.0, 2.0],
                                                                                            [2.0, 1.0]])),
    "mvn_not_symmetric": lambda D, t, lib: D.MultivariateNormal(t([0.0, 0.0]), precision_matrix=t([[1.0, 0.5],
                                                                                                  [0.0, 1.0]])),
    "mvn_tril_not_lower": lambda D, t, lib: D.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 0.5],
                                                                                             [0.0, 1.0]])),
    "lowrank_bad_factor": lambda D, t, lib: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0]]), t([1.0, 1.0])),
    "lowrank_bad_diag": lambda D, t, lib: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [0.0]]), t([1.0])),
    "lowrank_vector_factor": lambda D, t, lib: D.LowRankMultivariateNormal(t([0.0, 0.0]), t([1.0, 0.0]),
                                                                          t([1.0, 1.0])),
    "lowrank_scalar_loc": lambda D, t, lib: D.LowRankMultivariateNormal(t(0.0), t([[1.0]]), t([1.0])),
    "independent_too_many": lambda D, t, lib: D.Independent(D.Normal(t([0.0]), t([1.0])), 2),
    "transformed_bad_transforms": lambda D, t, lib: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"),
    "transformed_bad_list": lambda D, t, lib: D.TransformedDistribution(D.Normal(0.0, 1.0), ["exp"]),
    "transformed_event_dim": lambda D, t, lib: D.TransformedDistribution(D.Normal(0.0, 1.0),
                                                                          D.transforms.StickBreakingTransform()),
    "lkj_dim_1": lambda D, t, lib: D.LKJCholesky(1, 1.0),
    "lkj_value_not_corr": lambda D, t, lib: D.LKJCholesky(2, 1.0).log_prob(t([[1.0, 0.0], [0.5, 1.0]])),
    "wishart_small_df": lambda D, t, lib: D.Wishart(t(1.0), covariance_matrix=lib.eye(3)),
    "wishart_vector": lambda D, t, lib: D.Wishart(t(4.0), covariance_matrix=t([1.0, 2.0])),
    "wishart_two_params": lambda D, t, lib: D.Wishart(t(4.0), covariance_matrix=lib.eye(2), scale_tril=lib.eye(2)),
    "mixture_not_categorical": lambda D, t, lib: D.MixtureSameFamily(D.Normal(t([0.0]), t([1.0])),
                                                                      D.Normal(t([0.0]), t([1.0]))),
    "mixture_not_distribution": lambda D, t, lib: D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])), t([0.0, 1.0])),
    "mixture_component_count": lambda D, t, lib: D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])),
                                                                      D.Normal(t([0.0, 1.0, 2.0]), 1.0)),
    "mixture_batch": lambda D, t, lib: D.MixtureSameFamily(D.Categorical(t([[0.5, 0.5]] * 3)),
                                                            D.Normal(lib.zeros(2, 2), 1.0)),
    "continuous_bernoulli_bad_probs": lambda D, t, lib: D.ContinuousBernoulli(t([1.5]), validate_args=True),
    "von_mises_negative": lambda D, t, lib: D.VonMises(t([0.0]), t([-1.0])),
    "student_negative_df": lambda D, t, lib: D.StudentT(t([-1.0])),
    "pareto_value_below_scale": lambda D, t, lib: D.Pareto(t(2.0), t(1.0)).log_prob(t(1.0)),
    "halfnormal_negative_value": lambda D, t, lib: D.HalfNormal(t(1.0)).log_prob(t(-1.0)),
    "set_default_validate_args_bad": lambda D, t, lib: D.Distribution.set_default_validate_args("yes"),
    "kl_not_implemented": lambda D, t, lib: D.kl_divergence(D.Normal(0.0, 1.0), D.Poisson(t(1.0))),
    "kl_binomial_counts": lambda D, t, lib: D.kl_divergence(D.Binomial(2, t([0.5])), D.Binomial(3, t([0.5]))),
    "kl_mvn_event_shapes": lambda D, t, lib: D.kl_divergence(D.MultivariateNormal(lib.zeros(2), lib.eye(2)),
                                                               D.MultivariateNormal(lib.zeros(3), lib.eye(3))),
    "kl_expfamily_cross": lambda D, t, lib: D.kl._kl_expfamily_expfamily(D.Normal(0.0, 1.0), D.Exponential(t(1.0))),
    "transform_cache_size": lambda D, t, lib: D.transforms.ExpTransform(cache_size=2),
    "reshape_transform_numel": lambda D, t, lib: D.transforms.ReshapeTransform((2, 3), (4,)),
    "reshape_transform_shape": lambda D, t, lib: D.transforms.ReshapeTransform((2, 2), (4,)).forward_shape((3, 4)),
    "corr_cholesky_bad_length": lambda D, t, lib: D.transforms.CorrCholeskyTransform().forward_shape((4,)),
    "biject_to_unknown": lambda D, t, lib: D.biject_to(D.constraints.positive_definite),
    "register_non_constraint": lambda D, t, lib: D.transform_to.register(int, lambda c: None),
    "dependent_check": lambda D, t, lib: D.constraints.dependent.check(t(1.0)),
    "dependent_event_dim": lambda D, t, lib: D.constraints.dependent.event_dim,
    "vec_to_tril_bad_size": lambda D, t, lib: D.utils.vec_to_tril_matrix(t([1.0, 2.0])),
    "tril_to_vec_bad_diag": lambda D, t, lib: D.utils.tril_matrix_to_vec(lib.eye(2), diag=3),
    "broadcast_all_bad_type": lambda D, t, lib: D.utils.broadcast_all(t([1.0]), "a"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    expected = golden.json(f"errors/{name}", torch_ref(_raises, ERRORS[name]))
    assert expected[0] != "no error", f"torch raises nothing for {name}"
    assert _raises(npgrad, ERRORS[name]) == expected


def test_validation_off():
    """With validate_args=False (or set_default_validate_args(False)) nothing is checked; values follow the
    formulas as torch's do."""
    D = npgrad.distributions

    def run(lib):
        Dl = lib.distributions
        t = lib.tensor
        out = {}
        out["normal"] = Dl.Normal(t([0.0]), t([-1.0]), validate_args=False).log_prob(t([1.0])).numpy()
        out["exp_outside"] = Dl.Exponential(t([1.0]), validate_args=False).log_prob(t([-1.0])).numpy()
        out["uniform_outside"] = Dl.Uniform(t([0.0]), t([1.0]), validate_args=False).log_prob(t([2.0])).numpy()
        out["bern_half"] = Dl.Bernoulli(t([0.3]), validate_args=False).log_prob(t([0.5])).numpy()
        Dl.Distribution.set_default_validate_args(False)
        try:
            out["default_off"] = Dl.Normal(t([0.0]), t([-1.0])).log_prob(t([1.0])).numpy()
        finally:
            Dl.Distribution.set_default_validate_args(True)
        return out

    expected = golden("validation_off", torch_ref(run))
    got = run(npgrad)
    for k in expected:
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-6, err_msg=k)
    assert D.Distribution._validate_args is True
    with pytest.raises(ValueError):
        D.Normal(npgrad.tensor([0.0]), npgrad.tensor([-1.0]))


def test_sample_n_is_deprecated():
    d = npgrad.distributions.Normal(npgrad.zeros(2), npgrad.ones(2))
    with pytest.warns(FutureWarning, match="sample_n"):
        assert d.sample_n(3).shape == (3, 2)


def test_lazy_probs_logits_and_param_shape():
    D = npgrad.distributions
    p = npgrad.tensor([0.2, 0.5], dtype=npgrad.float64)
    b = D.Bernoulli(p)
    assert "logits" not in b.__dict__ and b.param_shape == (2,)
    logits = b.logits
    assert b.__dict__["logits"] is logits  # computed once, then kept
    c = D.Categorical(logits=npgrad.tensor([[1.0, 2.0, 3.0]], dtype=npgrad.float64))
    np.testing.assert_allclose(c.probs.sum(-1).numpy(), [1.0], rtol=1e-12)
    assert c.param_shape == (1, 3) and c._num_events == 3
    assert isinstance(inspect.getattr_static(type(b), "logits"), D.utils.lazy_property)


def test_expand_shares_parameters_and_checks_subclass():
    D = npgrad.distributions
    loc = npgrad.tensor([0.0, 1.0], requires_grad=True)
    d = D.Normal(loc, npgrad.tensor([1.0, 2.0]))
    e = d.expand((3, 2))
    assert e.batch_shape == (3, 2) and e.loc.shape == (3, 2)
    e.log_prob(npgrad.zeros(3, 2)).sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [0.0, -0.75])

    class MyNormal(D.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)

    with pytest.raises(NotImplementedError, match="must also define a custom .expand"):
        MyNormal(npgrad.zeros(2)).expand((3, 2))


def test_utils_match_torch():
    def run(lib):
        U = lib.distributions.utils
        t = lib.tensor
        x = t([[0.2, 0.8], [0.0, 1.0]], dtype=lib.float64)
        out = {"p2l": U.probs_to_logits(x).numpy(), "p2l_bin": U.probs_to_logits(x, is_binary=True).numpy(),
               "l2p": U.logits_to_probs(t([[1.0, -2.0, 0.5]], dtype=lib.float64)).numpy(),
               "l2p_bin": U.logits_to_probs(t([1.0, -2.0], dtype=lib.float64), is_binary=True).numpy(),
               "clamp32": U.clamp_probs(t([0.0, 1.0])).numpy(), "clamp64": U.clamp_probs(x).numpy()}
        m = lib.arange(16.0, dtype=lib.float64).reshape(4, 4)
        for diag in (-2, -1, 0, 1):
            vec = U.tril_matrix_to_vec(m, diag)
            out[f"tril{diag}"] = vec.numpy()
            out[f"vec{diag}"] = U.vec_to_tril_matrix(vec, diag).numpy()
        out["batch_vec"] = U.vec_to_tril_matrix(lib.arange(12.0).reshape(2, 6)).numpy()
        a, b = U.broadcast_all(t([1.0, 2.0], dtype=lib.float64), 3)
        out["ba"] = (a.numpy(), b.numpy())
        out["ba_numbers"] = tuple(v.numpy() for v in U.broadcast_all(1, 2.5))
        return out

    expected = golden("utils", torch_ref(run))
    got = run(npgrad)
    _close(got, expected, "utils", rtol=1e-12, atol=0)


def test_vec_to_tril_gradient():
    v = npgrad.tensor([1.0, 2.0, 3.0], dtype=npgrad.float64, requires_grad=True)
    m = npgrad.distributions.utils.vec_to_tril_matrix(v)
    (m * npgrad.tensor([[1.0, 5.0], [2.0, 3.0]], dtype=npgrad.float64)).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [1.0, 2.0, 3.0])


def _exports(lib):
    D = lib.distributions
    return {"all": sorted(D.__all__), "transforms": sorted(D.transforms.__all__),
            "constraints": sorted(D.constraints.__all__), "utils": sorted(D.utils.__all__),
            # the library's own pairs (a docstring example registers one of its own classes)
            "kl": sorted([p.__name__, q.__name__] for p, q in D.kl._KL_REGISTRY
                         if getattr(D, p.__name__, None) is p and getattr(D, q.__name__, None) is q)}


def test_exports_match_torch():
    assert _exports(npgrad) == golden.json("exports", torch_ref(_exports))


def test_base_class_warnings_and_defaults():
    D = npgrad.distributions

    class NoConstraints(D.Distribution):
        pass

    with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
        d = NoConstraints(validate_args=True)
    assert d.batch_shape == () and d.event_shape == ()
    for name in ("mean", "variance"):
        with pytest.raises(NotImplementedError):
            getattr(d, name)
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        d.mode
    for call in (d.rsample, d.sample, d.entropy, lambda: d.log_prob(npgrad.tensor(0.0)),
                 lambda: d.cdf(npgrad.tensor(0.0)), lambda: d.icdf(npgrad.tensor(0.5)), d.enumerate_support,
                 lambda: d.expand((2,))):
        with pytest.raises(NotImplementedError):
            call()

    class NoSupport(D.Distribution):
        arg_constraints = {}

    with pytest.warns(UserWarning, match="does not define `support` to enable sample validation"):
        NoSupport(validate_args=True)._validate_sample(npgrad.tensor(0.0))
    assert D.Distribution._validate_args is True and not D.Distribution.has_rsample
    assert not D.Distribution.has_enumerate_support
    n = D.Normal(npgrad.tensor([0.0]), npgrad.tensor([1.0]))
    assert n._extended_shape((2, 3)) == (2, 3, 1)
    np.testing.assert_allclose(n.perplexity().numpy(), np.exp(n.entropy().numpy()))
