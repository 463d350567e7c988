"""``npgrad.nn.functional``: the math of every layer and loss, as plain functions."""
from .basic import *  # noqa: F401,F403
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .loss import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .sampling import *  # noqa: F401,F403
from .embedding_bag import *  # noqa: F401,F403
from .fractional_pool import *  # noqa: F401,F403
