"""``npgrad.nn``: modules, layers, losses, initialisers and utilities (``torch.nn``)."""
from . import functional, init
from .layers.activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh,
                                LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, Sigmoid, SiLU,
                                Softmax, Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .layers.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d
from .layers.activation import RReLU, Softmax2d
from .layers.channelshuffle import ChannelShuffle
from .layers.distance import CosineSimilarity, PairwiseDistance
from .layers.dropout import Dropout3d, FeatureAlphaDropout
from .layers.embedding import Embedding
from .layers.linear import Bilinear, Flatten, Identity, LazyLinear, Linear, Unflatten
from .layers.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, RMSNorm
from .layers.norm import BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm
from .layers.padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d,
                             ConstantPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d,
                             ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .layers.pixelshuffle import PixelShuffle, PixelUnshuffle
from .module import (Buffer, Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList,
                     Sequential)
from .layers.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .layers.attention import MultiheadAttention
from .layers.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                                 TransformerEncoderLayer)
from . import utils
from .loss import *  # noqa: F401,F403
from .layers.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, Fold, LazyConv1d,
                          LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, Unfold)
from .layers.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d,
                             AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, LPPool1d, LPPool2d,
                             LPPool3d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)
from .layers.embedding import EmbeddingBag
from .layers.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .layers.adaptive import AdaptiveLogSoftmaxWithLoss
from .layers.pooling import FractionalMaxPool2d, FractionalMaxPool3d
from .layers.norm import (LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyInstanceNorm1d, LazyInstanceNorm2d,
                          LazyInstanceNorm3d)
from .parameter import UninitializedBuffer, UninitializedParameter
from . import attention, modules  # noqa: F401,E402  (torch.nn.attention, torch.nn.modules)
