r"""Ready-made parametrizations (``torch.nn.utils.parametrizations``): ``weight_norm``, ``spectral_norm`` and
``orthogonal``, each registered with :func:`npgrad.nn.utils.parametrize.register_parametrization`.
"""
from __future__ import annotations

from enum import Enum, auto

import numpy as np

from ... import linalg
from ...autograd.grad_mode import no_grad
from ...random import randn
from ...tensor import Tensor, cat, eye
from .. import functional as F
from ..module import Module
from . import parametrize
from .spectral_norm import _normalized
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# --------------------------------------------------------------------------- orthogonal


def _is_orthogonal(Q):
    """Whether the columns of ``Q`` (a NumPy stack) are orthonormal, to ``10 n eps``."""
    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * np.finfo(Q.dtype).eps
    return bool(np.allclose(np.swapaxes(Q, -1, -2) @ Q, np.eye(k, dtype=Q.dtype), rtol=1e-5, atol=eps))


def _make_orthogonal(A):
    """The Q of ``A = QR`` (``A`` tall) with the signs that make ``diag(R)`` non-negative."""
    q, r = np.linalg.qr(A)
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    r"""Maps a matrix (or stack) to an orthogonal one: :math:`e^A`, the Cayley map
    :math:`(I - A/2)^{-1}(I + A/2)` of the skew-symmetric :math:`A` made from its lower triangle, or a
    product of Householder reflectors; with trivialization the result is multiplied by the stored ``base``."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        # here n >= k: X is tall
        if self.orthogonal_map == _OrthMaps.matrix_exp or self.orthogonal_map == _OrthMaps.cayley:
            X = X.tril()  # n k - k (k - 1) / 2 parameters
            if n != k:  # embed into a square matrix
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mT  # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = linalg.matrix_exp(A)
            else:  # (I - A/2)^{-1} (I + A/2)
                Id = eye(n, dtype=A.dtype)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            # the diagonal of X holds the signs, not trained through
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            q = Q._data
            if transpose:
                q = np.swapaxes(q, -1, -2)
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map == _OrthMaps.cayley or self.orthogonal_map == _OrthMaps.matrix_exp:
                    raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                              "or the Cayley parametrizations when use_trivialization=False.")
                # householder: the reflectors of Q = QR, with the signs of diag(R) on the diagonal
                h, tau = np.linalg.qr(q, mode="raw")
                A = np.swapaxes(h, -1, -2).copy()
                idx = np.arange(k)
                diag = np.sign(A[..., idx, idx])
                A[..., idx, idx] = np.where(tau == 0.0, -diag, diag)  # LAPACK skips a reflection with tau = 0
                return Tensor._wrap(np.swapaxes(A, -1, -2) if transpose else A)
            if n == k:
                base = q.copy() if _is_orthogonal(q) else _make_orthogonal(q)
            else:  # complete Q to an n x n orthogonal matrix
                N = randn(*(q.shape[:-2] + (n, n - k)), dtype=Q.dtype)._data
                base = _make_orthogonal(np.concatenate([q, N], axis=-1))
            self.base = Tensor._wrap(base)
            # -Id, so that householder(zeros) is the identity
            neg_id = np.zeros(Q_init.shape, dtype=q.dtype)
            idx = np.arange(min(Q_init.shape[-2:]))
            neg_id[..., idx, idx] = -1.0
            return Tensor._wrap(neg_id)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    r"""Parametrize ``module.<name>`` (a matrix or a stack of them) to have orthonormal columns, or rows
    when it is wide: :math:`Q^\top Q = I`.

    ``orthogonal_map``: ``"matrix_exp"`` (default for square matrices), ``"cayley"`` or ``"householder"``
    (default otherwise). With ``use_trivialization`` (the dynamic trivialization of Lezcano-Casado, 2019)
    an extra orthogonal matrix is kept as ``module.parametrizations.<name>[0].base`` and the map's output is
    multiplied by it; the weight starts as itself when orthogonal, else as the Q of its QR decomposition.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.utils.parametrizations.orthogonal(npgrad.nn.Linear(3, 5))
        >>> Q = m.weight
        >>> bool((Q.T @ Q - npgrad.eye(3)).abs().max() < 1e-5)
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    r""":math:`w = g \, v / \lVert v \rVert` from ``(g, v)``; ``right_inverse`` splits a weight into them."""

    def __init__(self, dim=0):
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        weight_g = norm_except_dim(weight, 2, self.dim)
        weight_v = weight
        return weight_g, weight_v


def weight_norm(module, name="weight", dim=0):
    r"""Weight-normalise ``module.<name>``: :math:`w = g \, v / \lVert v \rVert` (Salimans & Kingma, 2016).

    The magnitude ``g`` is ``parametrizations.<name>.original0`` and the direction ``v`` is
    ``original1``; the norm runs over every dim but ``dim`` (the whole tensor for ``dim=None``). State
    dicts of the hook-based :func:`npgrad.nn.utils.weight_norm` (``<name>_g``, ``<name>_v``) load into it.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.utils.parametrizations.weight_norm(npgrad.nn.Linear(20, 40))
        >>> m.parametrizations.weight.original0.shape, m.parametrizations.weight.original1.shape
        (npgrad.Size([40, 1]), npgrad.Size([40, 20]))
    """
    _weight_norm_module = _WeightNorm(dim)
    parametrize.register_parametrization(module, name, _weight_norm_module, unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                 error_msgs):
        g_key = f"{prefix}{name}_g"
        v_key = f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    r""":math:`W / \sigma(W)` with :math:`\sigma = u^\top W v` from power iteration on the buffers ``_u``,
    ``_v`` (updated in place in training mode); a vector is simply normalised."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] "
                             f"but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:  # a vector needs no approximation (see forward)
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # start from reasonable singular vectors
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if weight.ndim <= 1:
            raise AssertionError(f"Expected weight to have more than 1 dimension, got {weight.ndim}")
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        r"""``n_power_iterations`` in-place updates :math:`u \leftarrow W v / \lVert W v \rVert`,
        :math:`v \leftarrow W^\top u / \lVert W^\top u \rVert` (no gradient)."""
        if weight_mat.ndim <= 1:
            raise AssertionError(f"Expected weight_mat to have more than 1 dimension, got {weight_mat.ndim}")
        mat = weight_mat._data
        for _ in range(n_power_iterations):
            self._u._data[...] = _normalized(mat @ self._v._data, self.eps)
            self._v._data[...] = _normalized(mat.T @ self._u._data, self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies, so that a second forward's update does not change what the first one's backward uses
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Spectrally normalise ``module.<name>``: :math:`W / \sigma(W)` (Miyato et al., 2018).

    :math:`\sigma` is estimated by power iteration on the weight reshaped to a matrix with ``dim`` first
    (default 0, or 1 for the transposed convolutions): 15 steps at registration from random normal
    vectors, then ``n_power_iterations`` steps at every access in training mode. The vectors are the
    buffers ``parametrizations.<name>.0._u`` and ``._v``.

    Example:
        >>> import npgrad
        >>> m = npgrad.nn.utils.parametrizations.spectral_norm(npgrad.nn.Linear(20, 40))
        >>> list(m.state_dict())
        ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0._u', 'parametrizations.weight.0._v']
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..layers.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d

        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
