"""``torch.nn.modules.module``: the ``Module`` base class.

PyTorch's process-wide hooks (``register_module_forward_hook`` and the other
``register_module_*_hook`` functions) are not provided: npgrad's ``Module.__call__``
runs the hooks registered on the module itself only.
"""
from ..module import Module, _addindent, _forward_unimplemented, _IncompatibleKeys

__all__ = ["Module"]
# the private names scripts import or subclass are exported too
__all__ += ["_addindent", "_forward_unimplemented", "_IncompatibleKeys"]
