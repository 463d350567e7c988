"""``RemovableHandle``: what every ``register_*_hook`` of npgrad returns (``torch.utils.hooks.RemovableHandle``).

Kept in a module of its own, with no imports, so that tensors, modules and optimizers share one class
without loading each other.

Example::

    >>> from collections import OrderedDict
    >>> hooks = OrderedDict()
    >>> handle = RemovableHandle(hooks)
    >>> hooks[handle.id] = print
    >>> handle.remove(); len(hooks)
    0
"""
import weakref

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """A handle that removes one hook from the dict(s) it was registered in (also as a context manager).

    ``hooks_dict`` maps ``handle.id`` to the hook; ``extra_dict`` (a dict or a list of dicts) holds
    entries under the same id that go with it. The dicts are held weakly, as in PyTorch.
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
