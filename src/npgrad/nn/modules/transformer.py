"""``torch.nn.modules.transformer``: the Transformer layers and their helpers."""
from ..layers.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                                  TransformerEncoderLayer, _detect_is_causal_mask, _generate_square_subsequent_mask,
                                  _get_activation_fn, _get_clones, _get_seq_len)

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]
# the private names scripts import or subclass are exported too
__all__ += ["_detect_is_causal_mask", "_generate_square_subsequent_mask", "_get_activation_fn", "_get_clones",
            "_get_seq_len"]
