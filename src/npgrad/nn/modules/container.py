"""``torch.nn.modules.container``: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
``ParameterDict`` and the deprecated ``Container``."""
import warnings

from ..module import Module, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential, _addindent

__all__ = ["Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
# the private names scripts import or subclass are exported too
__all__ += ["_addindent"]


class Container(Module):
    """Deprecated: a ``Module`` whose keyword arguments become its submodules (subclass ``Module`` instead).

    Example:
        >>> import npgrad.nn as nn
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     c = Container(fc=nn.Linear(2, 2))
        >>> list(c.state_dict())
        ['fc.weight', 'fc.bias']
    """

    def __init__(self, **kwargs):
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
                      "Subclass that instead.", FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)
