"""``npgrad.nn.utils``: gradient clipping, parameter vectors, variable-length sequences, parametrizations,
weight and spectral normalisation, BatchNorm fusion and ``skip_init``."""
from . import rnn
from . import clip_grad, convert_parameters, regularization
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .regularization import l1_penalty, l2_penalty
from . import parametrizations, parametrize
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .init import skip_init
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm
from . import stateless  # noqa: F401,E402  (torch.nn.utils.stateless)
