"""``npgrad.optim``: every optimizer of ``torch.optim``, each update one fused pass.

Each algorithm's math is one function in its own file, in the paper's symbols
(``adam_update`` in ``adam.py`` ...); it runs on NumPy arrays as the reference
and, compiled by Numba (:mod:`npgrad.kernels.optim`), as one in-place pass per
parameter.
"""
from .optimizer import Optimizer, register_optimizer_step_post_hook, register_optimizer_step_pre_hook
from .sgd import SGD
from .adam import Adam, AdamW
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .asgd import ASGD
from .lbfgs import LBFGS
from .sparse_adam import SparseAdam
from .adafactor import Adafactor
from .muon import Muon

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "RMSprop",
           "Rprop", "ASGD", "LBFGS", "SparseAdam", "Adafactor", "Muon",
           "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]
from . import lr_scheduler, swa_utils  # noqa: E402
