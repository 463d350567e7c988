"""Flatten parameters into one vector and back (``parameters_to_vector`` / ``vector_to_parameters``)."""
from __future__ import annotations

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    r"""Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable, a copy).

    .. math:: v = (\operatorname{vec}\theta_1, \dots, \operatorname{vec}\theta_n)

    Example::

        >>> import npgrad
        >>> lin = npgrad.nn.Linear(2, 1)
        >>> npgrad.nn.utils.parameters_to_vector(lin.parameters()).shape
        npgrad.Size([3])
    """
    import npgrad

    return npgrad.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters) -> None:
    r"""Make each parameter a view of its slice of ``vec`` (PyTorch's ``param.data = ...``).

    The parameters then share memory with ``vec``, as in PyTorch.

    Example::

        >>> import npgrad
        >>> lin = npgrad.nn.Linear(2, 1)
        >>> npgrad.nn.utils.vector_to_parameters(npgrad.zeros(3), lin.parameters())
        >>> lin.bias.detach()
        tensor([0.])
    """
    from npgrad.optim.optimizer import _is_tensor, _typename

    if not _is_tensor(vec):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    flat = vec._data.reshape(-1)
    for param in parameters:
        n = param._data.size
        param._data = flat[pointer:pointer + n].reshape(param._data.shape)
        pointer += n
