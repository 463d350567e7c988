"""``npgrad.nn.utils``: gradient clipping, parameter vectors and variable-length sequences."""
from . import rnn
from . import clip_grad, convert_parameters, regularization
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .regularization import l1_penalty, l2_penalty
