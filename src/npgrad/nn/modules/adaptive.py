"""``torch.nn.modules.adaptive``: ``AdaptiveLogSoftmaxWithLoss`` and its ``_ASMoutput`` result."""
from ..layers.adaptive import AdaptiveLogSoftmaxWithLoss, _ASMoutput

__all__ = ["AdaptiveLogSoftmaxWithLoss"]
# the private names scripts import or subclass are exported too
__all__ += ["_ASMoutput"]
