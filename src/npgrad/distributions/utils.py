"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy properties."""
from __future__ import annotations

from functools import update_wrapper

import npgrad
from npgrad.tensor import Size, Tensor
from ..tensor import check_device

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant
_Number = (int, float, bool)  # the Python numbers taken where a tensor parameter may be given

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers take the dtype of the first tensor.

    With numbers only, they become scalar tensors of the default dtype.

    Example:
        >>> import npgrad
        >>> a, b = broadcast_all(npgrad.tensor([1.0, 2.0], dtype=npgrad.float64), 3)
        >>> b
        tensor([3., 3.], dtype=npgrad.float64)
    """
    if not all(isinstance(v, (Tensor,) + _Number) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        dtype = npgrad.get_default_dtype()
        for value in values:
            if isinstance(value, Tensor):
                dtype = value.dtype
                break
        values = [v if isinstance(v, Tensor) else npgrad.tensor(v, dtype=dtype) for v in values]
    return npgrad.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device=None):
    """Standard normal samples of ``shape`` in ``dtype``."""
    check_device(device)
    return npgrad.randn(tuple(shape), dtype=dtype)


def _new(like, *args):
    """``like.new(*args)``: an uninitialised tensor of a shape, or a tensor of data, in ``like``'s dtype."""
    if len(args) == 1 and not isinstance(args[0], int):
        args = args[0]
        if isinstance(args, Size):
            return npgrad.empty(tuple(args), dtype=like.dtype)
        return npgrad.tensor(args, dtype=like.dtype)
    return npgrad.empty(tuple(args), dtype=like.dtype)


def _sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    required_shape = value.shape[:-dim] + (-1,)
    return value.reshape(required_shape).sum(-1)


def logits_to_probs(logits, is_binary=False):
    r"""Probabilities from logits: :math:`\sigma(l)` for one event, the softmax over the last dim otherwise."""
    if is_binary:
        return npgrad.sigmoid(logits)
    return npgrad.nn.functional.softmax(logits, dim=-1)


def clamp_probs(probs):
    r"""Clamp probabilities into :math:`[\epsilon, 1 - \epsilon]`, :math:`\epsilon` the dtype's machine epsilon.

    Example:
        >>> import npgrad
        >>> clamp_probs(npgrad.tensor([0.0, 0.5, 1.0]))
        tensor([1.1921e-07, 5.0000e-01, 1.0000e+00])
    """
    eps = npgrad.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    r"""Logits from probabilities: :math:`\log p - \log(1 - p)` for one event, :math:`\log p` otherwise.

    The probabilities are clamped first (``clamp_probs``), so 0 and 1 give finite logits.
    """
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return npgrad.log(ps_clamped) - npgrad.log1p(-ps_clamped)
    return npgrad.log(ps_clamped)


class lazy_property:
    """A property computed (with grad mode on) on first access, then stored on the instance.

    Example:
        >>> class A:
        ...     @lazy_property
        ...     def x(self):
        ...         print("computing")
        ...         return 1
        >>> a = A()
        >>> a.x
        computing
        1
        >>> a.x
        1
    """

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with npgrad.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """A lazy property seen on the class: a ``property`` to documentation tools, a ``lazy_property`` to checks."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def _precision_to_scale_tril(P):
    r"""The lower Cholesky factor :math:`L` of :math:`P^{-1}`, without inverting :math:`P`: with
    :math:`L_f` the Cholesky factor of :math:`P` flipped in both dims, :math:`L^{-1}` is
    :math:`L_f` flipped back and transposed."""
    Lf = npgrad.linalg.cholesky(npgrad.flip(P, (-2, -1)))
    L_inv = npgrad.transpose(npgrad.flip(Lf, (-2, -1)), -2, -1)
    Id = npgrad.eye(P.shape[-1], dtype=P.dtype)
    return npgrad.linalg.solve_triangular(L_inv, Id, upper=False)


def _tril_mask(n, diag):
    arange = npgrad.arange(n)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The lower-triangular entries (on and below diagonal ``diag``) of a batch of matrices, in row order.

    Example:
        >>> import npgrad
        >>> tril_matrix_to_vec(npgrad.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([1., 3., 4.])
    """
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag)]


def vec_to_tril_matrix(vec, diag=0):
    """Lower-triangular matrices filled, in row order, from the last dim of ``vec``: the inverse of
    ``tril_matrix_to_vec``.

    Example:
        >>> import npgrad
        >>> vec_to_tril_matrix(npgrad.tensor([1.0, 3.0, 4.0]))
        tensor([[1., 0.],
                [3., 4.]])
    """
    # the positive root of D**2 + (1 + 2 diag) D - |diag| (diag + 1) - 2 len(vec) = 0
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = npgrad.finfo(vec.dtype).eps
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mask = _tril_mask(n, diag)
    # scatter the entries into place: a gather from [0, vec] with the index of each matrix entry
    index = npgrad.zeros(n * n, dtype=npgrad.int64)
    index[mask.reshape(-1)] = npgrad.arange(1, int(mask.sum()) + 1)
    padded = npgrad.cat([vec.new_zeros(vec.shape[:-1] + (1,)), vec], -1)
    return padded[..., index].reshape(vec.shape[:-1] + (n, n))
