"""``torch.nn.modules.lazy``: ``LazyModuleMixin``, the base of the ``Lazy*`` layers."""
from ..layers.lazy import LazyModuleMixin

__all__ = ["LazyModuleMixin"]
