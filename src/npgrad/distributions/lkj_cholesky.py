r"""The LKJ distribution over lower Cholesky factors of correlation matrices."""
from __future__ import annotations

import math

import npgrad
from npgrad.tensor import Size

from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    r"""The LKJ distribution (Lewandowski, Kurowicka & Joe, 2009) over the lower Cholesky factors
    :math:`L` of ``dim`` :math:`\times` ``dim`` correlation matrices, with ``concentration`` :math:`\eta`:

    .. math:: p(L) \propto |L L^T|^{\eta - 1} = \prod_{i=2}^{D} L_{ii}^{2(\eta - 1)}

    (times the Jacobian of :math:`L \mapsto LL^T`). Sampling is the onion method (Lewandowski et
    al., section 3.2): the off-diagonal part of row :math:`i` is :math:`\sqrt{y_i}\,u_i` with
    :math:`u_i` uniform on the unit sphere and
    :math:`y_i \sim \mathrm{Beta}(\frac i2, \eta + \frac{D - 2}{2} - \frac{i - 1}{2})`, and the
    diagonal completes the row to unit norm. (PyTorch 2.13 draws :math:`y_i` from
    :math:`\mathrm{Beta}(i - \frac12, \ldots)`, which biases rows :math:`i \ge 2` towards larger
    correlations; here every correlation has the LKJ marginal, a Beta on :math:`(-1, 1)`.)

    Example:
        >>> import npgrad
        >>> from npgrad.distributions import LKJCholesky
        >>> m = LKJCholesky(3, npgrad.tensor(0.5))
        >>> L = m.sample()
        >>> L.shape, bool(npgrad.allclose((L * L).sum(-1), npgrad.ones(3)))
        (npgrad.Size([3, 3]), True)
        >>> m.log_prob(npgrad.eye(3))
        tensor(-2.5310)
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = Size((dim, dim))
        # the squared norm of the off-diagonal part of row i is Beta(i / 2, eta + (D - 2) / 2 - (i - 1) / 2)
        # (row 0 has none; its Beta is not used)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = npgrad.arange(self.dim - 1, dtype=self.concentration.dtype)
        offset = npgrad.cat([offset.new_zeros((1,)), offset])
        beta_conc1 = 0.5 * offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(LKJCholesky, batch_shape, _instance, "concentration", "_beta", shared=("dim",))

    def sample(self, sample_shape=Size()):
        with npgrad.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = npgrad.randn(self._extended_shape(sample_shape), dtype=y.dtype).tril(-1)
            u_hypersphere = u_normal / u_normal.norm(dim=-1, keepdim=True)
            u_hypersphere[..., 0, :] = 0.0  # the first row is all zeros, not NaN
            w = npgrad.sqrt(y) * u_hypersphere
            # the diagonal completes each row to unit norm
            eps = npgrad.finfo(w.dtype).tiny
            diag_elems = npgrad.clamp(1 - npgrad.sum(w ** 2, dim=-1), min=eps).sqrt()
            return w + npgrad.diag_embed(diag_elems)

    def log_prob(self, value):
        # p(corr) is proportional to det ** (concentration - 1) = prod L_ii ** (2 (concentration - 1)) and
        # the Jacobian of L -> L L^T is prod L_ii ** (D - i): so p(L) ~ prod L_ii ** order_i
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = npgrad.arange(2, self.dim + 1)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = npgrad.sum(order * diag_elems.log(), dim=-1)
        # the normaliser
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = npgrad.lgamma(alpha) * dm1
        numerator = npgrad.mvlgamma(alpha - 0.5, dm1)
        # the normaliser's pi term is D (D - 1) / 4 log pi, mvlgamma's (D - 1) (D - 2) / 4 log pi
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        normalize_term = pi_constant + numerator - denominator
        return unnormalized_log_pdf - normalize_term
