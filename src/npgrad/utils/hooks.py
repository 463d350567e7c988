"""``torch.utils.hooks``: ``RemovableHandle`` (what every ``register_*_hook`` returns),
``unserializable_hook`` and ``warn_if_has_hooks``.

Example:
    >>> import npgrad, npgrad.nn as nn
    >>> handle = nn.Linear(2, 2).register_forward_hook(lambda m, i, o: None)
    >>> isinstance(handle, npgrad.utils.hooks.RemovableHandle)
    True
"""
import warnings

from .._hooks import RemovableHandle

_FROM_NN = ("BackwardHook",)     # npgrad.nn.module's class, loaded on first use
__all__ = ["RemovableHandle", *_FROM_NN, "unserializable_hook", "warn_if_has_hooks"]


def __getattr__(name):
    # importing npgrad.nn takes a while: only a script that uses this class pays for it
    if name == "BackwardHook":
        from ..nn import module

        return module._BackwardHook
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def unserializable_hook(f):
    """Mark ``f`` as a hook that is not saved with its tensor (silences ``warn_if_has_hooks``)."""
    f.__torch_unserializable__ = True
    return f


def warn_if_has_hooks(tensor):
    """Warn for each backward hook of ``tensor`` that saving the tensor will drop."""
    hooks = list((tensor._hooks or {}).values())
    if tensor._node is not None and tensor._node.hooks:
        hooks += list(tensor._node.hooks.get(tensor._out_index, {}).values())
    for hook in hooks:
        if not hasattr(hook, "__torch_unserializable__"):
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.  If this is expected, you can "
                          "decorate the function with @torch.utils.hooks.unserializable_hook to suppress this warning",
                          stacklevel=2)
