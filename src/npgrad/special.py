"""``npgrad.special``: PyTorch's ``torch.special`` — the gamma family, error functions, Bessel functions,
orthogonal polynomials, and the numerically careful forms of common expressions.

Every function takes a Tensor (or a Python number where PyTorch takes one), gives integer inputs the
default floating dtype, and keeps float32/float64. The functions that PyTorch differentiates
(``erfcx``, ``i0e``, ``i1``, ``log_ndtr``, ``ndtri``, ``xlog1py``, ``zeta`` in its second argument, ...)
have its derivatives; the Bessel functions of ``bessel_*``/``modified_bessel_*``, ``airy_ai`` and the
polynomial families return tensors without a graph, as PyTorch's do. ``out=`` is accepted: the result is
copied into that tensor.

Example:
    >>> import npgrad
    >>> npgrad.special.gammaln(npgrad.tensor([0.5, 1.0, 10.0]))
    tensor([ 0.5724,  0.0000, 12.8018])
    >>> npgrad.special.chebyshev_polynomial_t(npgrad.tensor([0.5]), 3)
    tensor([-1.])
"""
from __future__ import annotations

import numpy as np

from . import _dtype as D
from .ops import _special_functions as S
from .ops import math as M
from .tensor import Tensor, _floatify, _raw, result_type, tensor

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf",
           "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln",
           "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
           "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]


def _tensor(x):
    return x if isinstance(x, Tensor) else tensor(x)


def _out(result, out):
    """``result``, or, with ``out``, ``result`` copied into ``out`` (PyTorch's ``out=``)."""
    if out is None:
        return result
    return out.copy_(result)


# --------------------------------------------------------------------------- differentiable functions


def expit(input, *, out=None):
    """Logistic sigmoid :math:`1/(1 + e^{-x})`."""
    return _out(_tensor(input).sigmoid(), out)


def logit(input, eps=None, *, out=None):
    """:math:`\\log(x/(1 - x))`, ``x`` clamped to :math:`[\\epsilon, 1 - \\epsilon]` when ``eps`` is given."""
    return _out(M.logit(input, eps), out)


def erf(input, *, out=None):
    """Error function :math:`\\tfrac{2}{\\sqrt\\pi}\\int_0^x e^{-t^2}dt`."""
    return _out(_tensor(input).erf(), out)


def erfc(input, *, out=None):
    """Complementary error function :math:`1 - \\operatorname{erf}(x)`."""
    return _out(M.erfc(input), out)


def erfcx(input, *, out=None):
    """Scaled complementary error function :math:`e^{x^2}\\operatorname{erfc}(x)`."""
    return _out(M.erfcx(input), out)


def erfinv(input, *, out=None):
    """Inverse error function."""
    return _out(M.erfinv(input), out)


def exp2(input, *, out=None):
    """:math:`2^x`."""
    return _out(M.exp2(input), out)


def expm1(input, *, out=None):
    """:math:`e^x - 1`, accurate near 0."""
    return _out(_tensor(input).expm1(), out)


def log1p(input, *, out=None):
    """:math:`\\log(1 + x)`, accurate near 0."""
    return _out(_tensor(input).log1p(), out)


def gammaln(input, *, out=None):
    """:math:`\\log|\\Gamma(x)|`."""
    return _out(M.lgamma(input), out)


def digamma(input, *, out=None):
    """:math:`\\psi(x) = \\Gamma'(x)/\\Gamma(x)`."""
    return _out(M.digamma(input), out)


psi = digamma


def polygamma(n, input, *, out=None):
    """:math:`\\psi^{(n)}(x)`."""
    return _out(M.polygamma(n, input), out)


def multigammaln(input, p, *, out=None):
    """Multivariate log-gamma :math:`\\log\\Gamma_p(x)`."""
    return _out(M.mvlgamma(input, p), out)


def xlogy(input, other, *, out=None):
    """:math:`x\\log y`, 0 where :math:`x = 0`."""
    return _out(M.xlogy(input, other), out)


def xlog1py(input, other, *, out=None):
    """:math:`x\\log(1 + y)`, 0 where :math:`x = 0`."""
    return _out(M.xlog1py(input, other), out)


def entr(input, *, out=None):
    """Elementwise entropy :math:`-x\\log x` (0 at 0, :math:`-\\infty` for :math:`x < 0`)."""
    return _out(M.entr(input), out)


def sinc(input, *, out=None):
    """Normalised sinc :math:`\\sin(\\pi x)/(\\pi x)`."""
    return _out(M.sinc(input), out)


def round(input, *, decimals=0, out=None):  # noqa: A001
    """Round half to even, to ``decimals`` decimal places."""
    return _out(_tensor(input).round(decimals=decimals), out)


def ndtr(input, *, out=None):
    """Standard normal CDF :math:`\\Phi(x)`."""
    return _out(M.ndtr(input), out)


def ndtri(input, *, out=None):
    """Standard normal quantile :math:`\\Phi^{-1}(p)`."""
    return _out(M.ndtri(input), out)


def log_ndtr(input, *, out=None):
    """:math:`\\log\\Phi(x)`, accurate far in both tails."""
    return _out(M.log_ndtr(input), out)


def i0(input, *, out=None):
    """Modified Bessel function of the first kind :math:`I_0(x)`."""
    return _out(M.i0(input), out)


def i0e(input, *, out=None):
    """:math:`e^{-|x|}I_0(x)`."""
    return _out(M.i0e(input), out)


def i1(input, *, out=None):
    """Modified Bessel function of the first kind :math:`I_1(x)`."""
    return _out(M.i1(input), out)


def i1e(input, *, out=None):
    """:math:`e^{-|x|}I_1(x)`."""
    return _out(M.i1e(input), out)


def logsumexp(input, dim, keepdim=False, *, out=None):
    """:math:`\\log\\sum e^{x}` over ``dim``, without overflow."""
    return _out(_tensor(input).logsumexp(dim, keepdim), out)


def softmax(input, dim, *, dtype=None):
    """:math:`e^{x_i}/\\sum_j e^{x_j}` along ``dim`` (computed in ``dtype`` when given)."""
    return _tensor(input).softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """:math:`x_i - \\log\\sum_j e^{x_j}` along ``dim`` (computed in ``dtype`` when given)."""
    return _tensor(input).log_softmax(dim, dtype=dtype)


def zeta(input, other, *, out=None):
    """Hurwitz zeta :math:`\\zeta(x, q) = \\sum_{k \\ge 0}(k + q)^{-x}`."""
    return _out(M.zeta(input, other), out)


def gammainc(input, other, *, out=None):
    """Regularised lower incomplete gamma :math:`P(a, x)`."""
    return _out(M.igamma(input, other), out)


def gammaincc(input, other, *, out=None):
    """Regularised upper incomplete gamma :math:`Q(a, x)`."""
    return _out(M.igammac(input, other), out)


# --------------------------------------------------------------------------- without a derivative in PyTorch


def _unary_nograd(fn):
    def apply(input, *, out=None):
        x = _floatify(_tensor(input))._data
        with np.errstate(over="ignore"):        # beyond float32's range: inf, as in torch
            y = fn(x) if x.dtype == np.float64 else fn(x.astype(np.float64)).astype(x.dtype)
        return _out(Tensor._wrap(np.asarray(y)), out)

    apply.__name__ = fn.__name__
    apply.__doc__ = fn.__doc__
    return apply


bessel_j0 = _unary_nograd(S.bessel_j0)
bessel_j1 = _unary_nograd(S.bessel_j1)
bessel_y0 = _unary_nograd(S.bessel_y0)
bessel_y1 = _unary_nograd(S.bessel_y1)
modified_bessel_i0 = _unary_nograd(S.i0)
modified_bessel_i0.__name__ = "modified_bessel_i0"
modified_bessel_i1 = _unary_nograd(S.i1)
modified_bessel_i1.__name__ = "modified_bessel_i1"
modified_bessel_k0 = _unary_nograd(S.modified_bessel_k0)
modified_bessel_k1 = _unary_nograd(S.modified_bessel_k1)
scaled_modified_bessel_k0 = _unary_nograd(S.scaled_modified_bessel_k0)
scaled_modified_bessel_k1 = _unary_nograd(S.scaled_modified_bessel_k1)
spherical_bessel_j0 = _unary_nograd(S.spherical_bessel_j0)
airy_ai = _unary_nograd(S.airy_ai)


def _polynomial(fn):
    def apply(input, n, *, out=None):
        if not isinstance(input, Tensor) and not isinstance(n, Tensor):
            input = tensor(input)
        dt = result_type(input, n) if isinstance(input, Tensor) else result_type(n, input)
        if dt.kind != "f":
            dt = D.get_default_dtype().np
        x = np.asarray(_raw(input), dtype=np.float64)
        degree = np.asarray(_raw(n))
        with np.errstate(over="ignore"):
            y = np.asarray(fn(x, degree)).astype(dt)
        return _out(Tensor._wrap(y), out)

    apply.__name__ = fn.__name__
    apply.__doc__ = fn.__doc__
    return apply


chebyshev_polynomial_t = _polynomial(S.chebyshev_polynomial_t)
chebyshev_polynomial_u = _polynomial(S.chebyshev_polynomial_u)
chebyshev_polynomial_v = _polynomial(S.chebyshev_polynomial_v)
chebyshev_polynomial_w = _polynomial(S.chebyshev_polynomial_w)
shifted_chebyshev_polynomial_t = _polynomial(S.shifted_chebyshev_polynomial_t)
shifted_chebyshev_polynomial_u = _polynomial(S.shifted_chebyshev_polynomial_u)
shifted_chebyshev_polynomial_v = _polynomial(S.shifted_chebyshev_polynomial_v)
shifted_chebyshev_polynomial_w = _polynomial(S.shifted_chebyshev_polynomial_w)
hermite_polynomial_h = _polynomial(S.hermite_polynomial_h)
hermite_polynomial_he = _polynomial(S.hermite_polynomial_he)
laguerre_polynomial_l = _polynomial(S.laguerre_polynomial_l)
legendre_polynomial_p = _polynomial(S.legendre_polynomial_p)
