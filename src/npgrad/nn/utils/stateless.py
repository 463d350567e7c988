"""``torch.nn.utils.stateless``: call a module with other tensors in place of its parameters and buffers.

``functional_call(module, {"fc.weight": w, ...}, args)`` puts the given tensors where the module's
parameters and buffers are (they need not be ``Parameter``s: a gradient flows back to them),
runs the module, and puts the originals back, whatever happens inside. This spelling is
deprecated in PyTorch in favour of ``torch.func.functional_call``, which is the same call.
"""
import contextlib
import warnings

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _untie_named_tensors_map(module, parameters_and_buffers):
    """``parameters_and_buffers`` with every name tied to a given one (the same tensor in ``module``) added.

    Different values for two names of one tied tensor raise ``ValueError``.
    """
    all_named = dict(module.named_parameters(remove_duplicate=False))
    all_named.update(module.named_buffers(remove_duplicate=False))
    names_of = {}
    for name, tensor in all_named.items():
        names_of.setdefault(id(tensor), set()).add(name)
    tied = {}
    for names in names_of.values():
        if len(names) > 1:
            for name in names:
                tied[name] = names
    given_tied = {name for name in parameters_and_buffers if name in tied}
    for name in given_tied:
        names = tied[name]
        values = {id(parameters_and_buffers[n]) for n in names if n in parameters_and_buffers}
        if len(names & given_tied) > 1 and len(values) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, which are tied. "
                             "Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for name in given_tied:
        for other in tied[name]:
            untied[other] = parameters_and_buffers[name]
    return untied


def _get_submodule(module, path):
    for attr in path.split(".") if path else ():
        try:
            sub = getattr(module, attr)
        except AttributeError as ex:
            raise AttributeError(f"{module._get_name()} has no attribute `{attr}`") from ex
        from ..module import Module

        if not isinstance(sub, Module):
            raise TypeError(f"submodule `{path}`: {sub} is not an instance of torch.nn.Module")
        module = sub
    return module


def _swap_tensor(module, name, tensor):
    """Put ``tensor`` at ``module``'s dotted ``name`` (``_MISSING`` removes it); return what was there."""
    prefix, _, attr = name.rpartition(".")
    module = _get_submodule(module, prefix)
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    for table in (module._parameters, module._buffers):
        if attr in table:
            original = table[attr]
            if tensor is _MISSING:
                del table[attr]
            else:
                table[attr] = tensor
            return original
    original = getattr(module, attr) if hasattr(module, attr) else _MISSING
    if original is not _MISSING and original is not None and not isinstance(original, Tensor):
        raise TypeError(f"attribute `{attr}`: {original} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, attr, tensor)
    elif hasattr(module, attr):
        delattr(module, attr)
    return original


def _check_keys(module, keys):
    valid = {name for name, _ in module.named_parameters(remove_duplicate=False)}
    valid |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
    keys = set(keys)
    return sorted(valid - keys), sorted(keys - valid)


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    """Inside the block, ``module`` holds ``parameters_and_buffers`` instead of its own tensors."""
    given = parameters_and_buffers
    if tie_weights:
        parameters_and_buffers = _untie_named_tensors_map(module, parameters_and_buffers)
    if strict:
        missing, unexpected = _check_keys(module, parameters_and_buffers)
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(),
                                                                                  "\n\t".join(errors)))
    originals = {}
    try:
        for name, tensor in parameters_and_buffers.items():
            originals[name] = _swap_tensor(module, name, tensor)
        yield
    finally:
        # what the module holds now goes back into the caller's dict: a buffer it reassigned is seen there
        current = {name: _swap_tensor(module, name, original) for name, original in originals.items()}
        given.update({name: current[name] for name in given if name in current})


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` run with ``parameters_and_buffers`` (name to tensor) as its state.

    Deprecated in PyTorch 2.0: ``torch.func.functional_call`` is the same call.

    Example:
        >>> import warnings, npgrad, npgrad.nn as nn
        >>> lin = nn.Linear(2, 1)
        >>> w = npgrad.ones(1, 2, requires_grad=True)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     out = functional_call(lin, {"weight": w, "bias": npgrad.zeros(1)}, npgrad.tensor([[1., 2.]]))
        >>> out
        tensor([[3.]], grad_fn=<AddmmBackward0>)
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed "
                  "in a future version of PyTorch. Please use `torch.func.functional_call` instead which is a "
                  "drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
