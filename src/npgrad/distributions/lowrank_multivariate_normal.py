r"""The multivariate normal distribution with a low-rank-plus-diagonal covariance."""
from __future__ import annotations

import math

import npgrad
from npgrad.tensor import Size

from . import constraints
from .distribution import Distribution
from .multivariate_normal import _batch_mahalanobis, _batch_mv
from .utils import _standard_normal, lazy_property

__all__ = ["LowRankMultivariateNormal"]


def _batch_capacitance_tril(W, D):
    r"""The Cholesky factor of the capacitance matrix :math:`I + W^T D^{-1} W` (:math:`D` diagonal)."""
    m = W.size(-1)
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    K = npgrad.matmul(Wt_Dinv, W) + npgrad.eye(m, dtype=W.dtype)
    return npgrad.linalg.cholesky(K)


def _batch_lowrank_logdet(W, D, capacitance_tril):
    r""":math:`\log|WW^T + D|` by the matrix determinant lemma: :math:`\log|C| + \log|D|` with
    :math:`C` the capacitance matrix."""
    return 2 * capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + D.log().sum(-1)


def _batch_lowrank_mahalanobis(W, D, x, capacitance_tril):
    r""":math:`x^T(WW^T + D)^{-1}x` by the Woodbury identity:
    :math:`x^T D^{-1} x - \|L_C^{-1} W^T D^{-1} x\|^2`."""
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    Wt_Dinv_x = _batch_mv(Wt_Dinv, x)
    mahalanobis_term1 = (x.pow(2) / D).sum(-1)
    mahalanobis_term2 = _batch_mahalanobis(capacitance_tril, Wt_Dinv_x)
    return mahalanobis_term1 - mahalanobis_term2


def _batch_lowrank_inverse_factor(W, D, capacitance_tril):
    r"""The factor :math:`A = L_C^{-1} W^T D^{-1}` of the Woodbury identity
    :math:`(WW^T + D)^{-1} = D^{-1} - A^T A`, :math:`L_C` the Cholesky factor of the capacitance matrix."""
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    return npgrad.linalg.solve_triangular(capacitance_tril, Wt_Dinv, upper=False)


class LowRankMultivariateNormal(Distribution):
    r"""The multivariate normal distribution with mean ``loc`` and covariance
    :math:`\Sigma = WW^T + D` from ``cov_factor`` :math:`W` (:math:`n \times m`, usually :math:`m \ll n`)
    and ``cov_diag`` (the diagonal of :math:`D`). Log-determinant and inverse go through the
    :math:`m \times m` capacitance matrix :math:`I + W^TD^{-1}W` (Woodbury identity), at
    :math:`O(m^2 n)` instead of :math:`O(n^3)`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import LowRankMultivariateNormal
        >>> m = LowRankMultivariateNormal(npgrad.zeros(2), npgrad.tensor([[1.0], [0.0]]), npgrad.ones(2))
        >>> m.covariance_matrix
        tensor([[2., 0.],
                [0., 1.]])
        >>> m.log_prob(npgrad.tensor([1.0, 1.0]))
        tensor(-2.9345)
    """

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = loc.shape[-1:]
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2:-1] != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if cov_diag.shape[-1:] != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")

        loc_ = loc.unsqueeze(-1)
        cov_diag_ = cov_diag.unsqueeze(-1)
        try:
            loc_, self.cov_factor, cov_diag_ = npgrad.broadcast_tensors(loc_, cov_factor, cov_diag_)
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {loc.shape}, cov_factor {cov_factor.shape}, "
                             f"cov_diag {cov_diag.shape}") from e
        self.loc = loc_[..., 0]
        self.cov_diag = cov_diag_[..., 0]
        batch_shape = self.loc.shape[:-1]

        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _batch_capacitance_tril(cov_factor, cov_diag)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(LowRankMultivariateNormal, batch_shape, _instance, "loc", "cov_diag", "cov_factor",
                                   shared=("_unbroadcasted_cov_factor", "_unbroadcasted_cov_diag", "_capacitance_tril"))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        return (self._unbroadcasted_cov_factor.pow(2).sum(-1) + self._unbroadcasted_cov_diag).expand(
            self._batch_shape + self._event_shape)

    @lazy_property
    def scale_tril(self):
        # D^{1/2} chol(I + D^{-1/2} W W^T D^{-1/2}): the Cholesky factor of W W^T + D, stable for small D
        n = self._event_shape[0]
        cov_diag_sqrt_unsqueeze = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        Dinvsqrt_W = self._unbroadcasted_cov_factor / cov_diag_sqrt_unsqueeze
        K = npgrad.matmul(Dinvsqrt_W, Dinvsqrt_W.mT) + npgrad.eye(n, dtype=Dinvsqrt_W.dtype)
        scale_tril = cov_diag_sqrt_unsqueeze * npgrad.linalg.cholesky(K)
        return scale_tril.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        covariance_matrix = (npgrad.matmul(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_factor.mT)
                             + npgrad.diag_embed(self._unbroadcasted_cov_diag))
        return covariance_matrix.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        # Woodbury: (W W^T + D)^{-1} = D^{-1} - A^T A
        A = _batch_lowrank_inverse_factor(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                                          self._capacitance_tril)
        precision_matrix = npgrad.diag_embed(self._unbroadcasted_cov_diag.reciprocal()) - A.mT @ A
        return precision_matrix.expand(self._batch_shape + self._event_shape + self._event_shape)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        W_shape = shape[:-1] + self.cov_factor.shape[-1:]
        eps_W = _standard_normal(W_shape, dtype=self.loc.dtype)
        eps_D = _standard_normal(shape, dtype=self.loc.dtype)
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, eps_W)
                + self._unbroadcasted_cov_diag.sqrt() * eps_D)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_lowrank_mahalanobis(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, diff,
                                       self._capacitance_tril)
        log_det = _batch_lowrank_logdet(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                                        self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + log_det + M)

    def entropy(self):
        log_det = _batch_lowrank_logdet(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                                        self._capacitance_tril)
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + log_det)
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
