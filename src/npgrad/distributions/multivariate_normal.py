r"""The multivariate normal distribution."""
from __future__ import annotations

import math

import npgrad
from npgrad.tensor import Size

from . import constraints
from ._mixins import _ScaleTrilParams
from .distribution import Distribution
from .utils import _standard_normal

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    """Matrix-vector products of broadcast batches of matrices and vectors."""
    return npgrad.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL, bx):
    r"""The squared Mahalanobis distances :math:`x^T (LL^T)^{-1} x = \|L^{-1}x\|^2` for a batch of lower
    Cholesky factors ``bL`` and a batch of vectors ``bx`` whose batch shape broadcasts with it.

    The batch dims of ``bx`` are arranged so that ``bL``'s batch is solved once, against all the
    vectors that share it, as the columns of one right-hand side.
    """
    n = bx.size(-1)
    bx_batch_shape = bx.shape[:-1]

    # bx's batch dims are (outer, then the dims that broadcast with bL's batch)
    bx_batch_dims = len(bx_batch_shape)
    bL_batch_dims = bL.dim() - 2
    outer_batch_dims = bx_batch_dims - bL_batch_dims
    old_batch_dims = outer_batch_dims + bL_batch_dims
    new_batch_dims = outer_batch_dims + 2 * bL_batch_dims
    # reshape bx to (outer, sx // sL, sL, ..., n) for each batch dim of bL
    bx_new_shape = bx.shape[:outer_batch_dims]
    for sL, sx in zip(bL.shape[:-2], bx.shape[outer_batch_dims:-1]):
        bx_new_shape += (sx // sL, sL)
    bx_new_shape += (n,)
    bx = bx.reshape(bx_new_shape)
    # and permute to (outer, the sx // sL dims, the sL dims, n)
    permute_dims = (list(range(outer_batch_dims)) + list(range(outer_batch_dims, new_batch_dims, 2))
                    + list(range(outer_batch_dims + 1, new_batch_dims, 2)) + [new_batch_dims])
    bx = bx.permute(permute_dims)

    flat_L = bL.reshape(-1, n, n)  # (nL, n, n)
    flat_x = bx.reshape(-1, flat_L.size(0), n)  # (m, nL, n)
    flat_x_swap = flat_x.permute(1, 2, 0)  # (nL, n, m)
    M_swap = npgrad.linalg.solve_triangular(flat_L, flat_x_swap, upper=False).pow(2).sum(-2)  # (nL, m)
    M = M_swap.t()  # (m, nL)

    # undo the permutation and reshape
    permuted_M = M.reshape(bx.shape[:-1])
    permute_inv_dims = list(range(outer_batch_dims))
    for i in range(bL_batch_dims):
        permute_inv_dims += [outer_batch_dims + i, old_batch_dims + i]
    reshaped_M = permuted_M.permute(permute_inv_dims)
    return reshaped_M.reshape(bx_batch_shape)


class MultivariateNormal(_ScaleTrilParams, Distribution):
    r"""The multivariate normal distribution with mean ``loc`` and a positive-definite covariance given
    by exactly one of ``covariance_matrix`` :math:`\Sigma`, ``precision_matrix`` :math:`\Sigma^{-1}` or
    the lower Cholesky factor ``scale_tril`` :math:`L` (:math:`\Sigma = LL^T`, the cheapest).

    .. math:: \log p(x) = -\tfrac12 (x - \mu)^T\Sigma^{-1}(x - \mu) - \tfrac12\log|\Sigma| - \tfrac n2 \log 2\pi

    ``rsample`` is :math:`\mu + L\epsilon`.

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import MultivariateNormal
        >>> m = MultivariateNormal(npgrad.zeros(2), npgrad.tensor([[2.0, 1.0], [1.0, 2.0]]))
        >>> m.log_prob(npgrad.tensor([1.0, -1.0]))
        tensor(-3.3872)
        >>> m.scale_tril
        tensor([[1.4142, 0.0000],
                [0.7071, 1.2247]])
    """

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")

        if scale_tril is not None:
            if scale_tril.dim() < 2:
                raise ValueError("scale_tril matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = npgrad.broadcast_shapes(scale_tril.shape[:-2], loc.shape[:-1])
            self.scale_tril = scale_tril.expand(batch_shape + (-1, -1))
        elif covariance_matrix is not None:
            if covariance_matrix.dim() < 2:
                raise ValueError("covariance_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = npgrad.broadcast_shapes(covariance_matrix.shape[:-2], loc.shape[:-1])
            self.covariance_matrix = covariance_matrix.expand(batch_shape + (-1, -1))
        else:
            if precision_matrix.dim() < 2:
                raise ValueError("precision_matrix must be at least two-dimensional, "
                                 "with optional leading batch dimensions")
            batch_shape = npgrad.broadcast_shapes(precision_matrix.shape[:-2], loc.shape[:-1])
            self.precision_matrix = precision_matrix.expand(batch_shape + (-1, -1))
        self.loc = loc.expand(batch_shape + (-1,))

        event_shape = self.loc.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

        self._set_scale_tril(covariance_matrix, precision_matrix, scale_tril)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(MultivariateNormal, batch_shape, _instance, "loc", "covariance_matrix", "scale_tril",
                                   "precision_matrix", shared=("_unbroadcasted_scale_tril",))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return H
        return H.expand(self._batch_shape)
