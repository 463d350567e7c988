"""``npgrad.nn``: modules, layers, losses, initialisers and utilities (``torch.nn``)."""
from . import functional, init
from .layers.activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh,
                                LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU,
                                Softmax, Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .layers.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d
from .layers.embedding import Embedding
from .layers.linear import Bilinear, Flatten, Identity, LazyLinear, Linear, Unflatten
from .layers.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from .module import (Buffer, Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList,
                     Sequential)
from .layers.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .layers.attention import MultiheadAttention
from . import utils
from .loss import *  # noqa: F401,F403
