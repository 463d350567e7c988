"""Transformer encoder/decoder layers and stacks with PyTorch's structure and parameter names.

Every module is composed of ``MultiheadAttention``, ``Linear``, ``Dropout`` and
``LayerNorm``, so gradients come from their autograd graphs.  Submodule names
(``self_attn``, ``linear1``, ``norm1``, ``layers.0`` ...) are PyTorch's, so a
``state_dict`` from ``torch.nn.Transformer`` loads unchanged.

Example::

    import npgrad
    layer = npgrad.nn.TransformerEncoderLayer(d_model=16, nhead=4, batch_first=True)
    encoder = npgrad.nn.TransformerEncoder(layer, num_layers=2)
    out = encoder(npgrad.randn(2, 5, 16))            # (2, 5, 16)
"""
from __future__ import annotations

import copy
import warnings

import numpy as np

import npgrad
from npgrad.nn import functional as F
from npgrad.nn.functional import attention as F_attention
from npgrad.nn.init import xavier_uniform_
from npgrad.nn.layers.activation import GELU, ReLU
from npgrad.nn.layers.attention import MultiheadAttention
from npgrad.nn.layers.dropout import Dropout
from npgrad.nn.layers.linear import Linear
from npgrad.nn.layers.norm import LayerNorm
from npgrad.nn.module import Module, ModuleList
from ...tensor import check_device

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    """The ``(sz, sz)`` causal mask: ``-inf`` above the diagonal, ``0`` elsewhere."""
    check_device(device)
    return npgrad.full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(diagonal=1)


def _get_seq_len(src, batch_first):
    """Sequence length of ``src``: ``(S, E)``, ``(N, S, E)`` or ``(S, N, E)``."""
    size = src.size()
    if len(size) == 2:
        return size[0]
    return size[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """``is_causal`` when given; otherwise whether ``mask`` equals the causal mask of ``size``."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.size(-2)
        causal_comparison = _generate_square_subsequent_mask(sz, dtype=mask.dtype)
        if mask.size() == causal_comparison.size():
            make_causal = bool((mask == causal_comparison).all())
        else:
            make_causal = False
    return make_causal


def _get_clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _none_or_dtype(mask):
    return None if mask is None else mask.dtype


def _left_aligned(keep):
    """Whether every row of the boolean ``(N, S)`` ``keep`` mask is a run of ``True`` then ``False``."""
    keep = np.asarray(keep.numpy(), dtype=bool)
    if keep.ndim != 2:
        return False
    counts = keep.sum(axis=1)
    return bool((keep == (np.arange(keep.shape[1])[None, :] < counts[:, None])).all())


class Transformer(Module):
    """Encoder-decoder transformer (Vaswani et al., 2017, arXiv:1706.03762).

    Arguments as ``torch.nn.Transformer(d_model=512, nhead=8, num_encoder_layers=6,
    num_decoder_layers=6, dim_feedforward=2048, dropout=0.1, activation=relu,
    custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5, batch_first=False,
    norm_first=False, bias=True)``.  The encoder and decoder stacks end with a
    ``LayerNorm``; every parameter with more than one dimension is re-initialised
    with ``xavier_uniform_``.  ``forward(src, tgt, ...)`` returns the decoder output,
    shaped as ``tgt``.

    Example::

        import npgrad
        model = npgrad.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2,
                                      num_decoder_layers=2, dim_feedforward=32)
        src, tgt = npgrad.randn(10, 3, 16), npgrad.randn(7, 3, 16)
        mask = npgrad.nn.Transformer.generate_square_subsequent_mask(7)
        out = model(src, tgt, tgt_mask=mask)          # (7, 3, 16)
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        check_device(device)
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                    layer_norm_eps, batch_first, norm_first, bias,
                                                    **factory_kwargs)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory_kwargs)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                    layer_norm_eps, batch_first, norm_first, bias,
                                                    **factory_kwargs)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory_kwargs)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None,
                tgt_is_causal=None, memory_is_causal=False):
        """``decoder(tgt, encoder(src))`` with the given masks."""
        is_batched = src.dim() == 3
        if not self.batch_first and src.size(1) != tgt.size(1) and is_batched:
            raise RuntimeError("the batch number of src and tgt must be equal")
        elif self.batch_first and src.size(0) != tgt.size(0) and is_batched:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The ``(sz, sz)`` causal mask: ``-inf`` above the diagonal, ``0.0`` elsewhere."""
        check_device(device)
        return _generate_square_subsequent_mask(sz, dtype=dtype, device=device)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                xavier_uniform_(p)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer``, then ``norm`` if given.

    Arguments as ``torch.nn.TransformerEncoder(encoder_layer, num_layers, norm=None,
    enable_nested_tensor=True, mask_check=True)``.  ``forward(src, mask=None,
    src_key_padding_mask=None, is_causal=None)``: with ``is_causal=None`` a ``mask``
    equal to the causal mask is detected.  In evaluation mode without gradients,
    with a left-aligned ``src_key_padding_mask``, no ``mask`` and
    ``use_nested_tensor``, the padded positions of the output are zero (before
    ``norm``), as PyTorch's nested-tensor path returns them.

    Example::

        import npgrad
        layer = npgrad.nn.TransformerEncoderLayer(d_model=8, nhead=2)
        encoder = npgrad.nn.TransformerEncoder(layer, num_layers=3)
        out = encoder(npgrad.randn(5, 2, 8))          # (5, 2, 8)
    """

    __constants__ = ["norm"]

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

        enc_layer = "encoder_layer"
        why_not = ""
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            why_not = f"{enc_layer} was not TransformerEncoderLayer"
        elif encoder_layer.norm_first:
            why_not = f"{enc_layer}.norm_first was True"
        elif not encoder_layer.self_attn.batch_first:
            why_not = (f"{enc_layer}.self_attn.batch_first was not True"
                       "(use batch_first for better inference performance)")
        elif not encoder_layer.self_attn._qkv_same_embed_dim:
            why_not = f"{enc_layer}.self_attn._qkv_same_embed_dim was not True"
        elif encoder_layer.self_attn.in_proj_bias is None:
            why_not = f"{enc_layer}.self_attn was passed bias=False"
        elif not encoder_layer.activation_relu_or_gelu:
            why_not = f"{enc_layer}.activation_relu_or_gelu was not True"
        elif encoder_layer.norm1.eps != encoder_layer.norm2.eps:
            why_not = f"{enc_layer}.norm1.eps was not equal to {enc_layer}.norm2.eps"
        elif encoder_layer.self_attn.num_heads % 2 == 1:
            why_not = f"{enc_layer}.self_attn.num_heads is odd"
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def _zero_padded(self, src, mask, src_key_padding_mask):
        """Whether the padded positions of the output are zeroed (PyTorch's nested-tensor path)."""
        first_layer = self.layers[0]
        if (not getattr(self, "use_nested_tensor", False) or first_layer.training or src.dim() != 3
                or src_key_padding_mask is None or mask is not None):
            return False
        if getattr(self, "mask_check", True) and not _left_aligned(src_key_padding_mask == 0):
            return False
        attn = first_layer.self_attn
        tensor_args = (src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias,
                       first_layer.norm1.weight, first_layer.norm1.bias, first_layer.norm2.weight,
                       first_layer.norm2.bias, first_layer.linear1.weight, first_layer.linear1.bias,
                       first_layer.linear2.weight, first_layer.linear2.bias)
        return not (npgrad.is_grad_enabled() and any(x is not None and x.requires_grad for x in tensor_args))

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """Each layer in turn on ``src``, then ``norm``."""
        src_key_padding_mask = F_attention._canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", _none_or_dtype(mask), "mask", src.dtype)
        mask = F_attention._canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        zero_padded = self._zero_padded(src, mask, src_key_padding_mask)
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _get_seq_len(src, batch_first))
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if zero_padded:
            keep = (src_key_padding_mask == 0).to(output.dtype)       # (N, S)
            keep = keep.unsqueeze(-1) if batch_first else keep.transpose(0, 1).unsqueeze(-1)
            output = output * keep
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of ``num_layers`` deep copies of ``decoder_layer``, then ``norm`` if given.

    Arguments as ``torch.nn.TransformerDecoder(decoder_layer, num_layers, norm=None)``.
    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)``: with
    ``tgt_is_causal=None`` a ``tgt_mask`` equal to the causal mask is detected.

    Example::

        import npgrad
        layer = npgrad.nn.TransformerDecoderLayer(d_model=8, nhead=2)
        decoder = npgrad.nn.TransformerDecoder(layer, num_layers=2)
        out = decoder(npgrad.randn(4, 2, 8), npgrad.randn(6, 2, 8))   # (4, 2, 8)
    """

    __constants__ = ["norm"]

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """Each layer in turn on ``(tgt, memory)``, then ``norm``."""
        output = tgt
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each with a residual connection and ``LayerNorm``.

    With ``norm_first=False`` (post-norm):
    :math:`x = \\mathrm{LN}_1(x + \\mathrm{SA}(x))`, :math:`x = \\mathrm{LN}_2(x + \\mathrm{FF}(x))`;
    with ``norm_first=True`` (pre-norm):
    :math:`x = x + \\mathrm{SA}(\\mathrm{LN}_1(x))`, :math:`x = x + \\mathrm{FF}(\\mathrm{LN}_2(x))`,
    where :math:`\\mathrm{FF}(x) = W_2\\,\\mathrm{drop}(\\sigma(W_1 x + b_1)) + b_2`.
    Arguments as ``torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048,
    dropout=0.1, activation=relu, layer_norm_eps=1e-5, batch_first=False,
    norm_first=False, bias=True)``; ``activation`` is ``"relu"``, ``"gelu"`` or a callable.
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``.

    Example::

        import npgrad
        layer = npgrad.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        out = layer(npgrad.randn(5, 3, 8))            # (5, 3, 8)
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        check_device(device)
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **factory_kwargs)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory_kwargs)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory_kwargs)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory_kwargs)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory_kwargs)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "activation"):
            self.activation = F.relu

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """The layer on ``src`` (``(S, E)``, ``(S, N, E)``, or ``(N, S, E)`` with ``batch_first``)."""
        src_key_padding_mask = F_attention._canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", _none_or_dtype(src_mask), "src_mask", src.dtype)
        src_mask = F_attention._canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal=is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal=is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """Self-attention, cross-attention on ``memory``, then a feed-forward block.

    Each block has a residual connection and a ``LayerNorm``: post-norm
    (:math:`x = \\mathrm{LN}_i(x + \\mathrm{block}_i(x))`) by default, pre-norm
    (:math:`x = x + \\mathrm{block}_i(\\mathrm{LN}_i(x))`) with ``norm_first=True``.
    Arguments as ``torch.nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048,
    dropout=0.1, activation=relu, layer_norm_eps=1e-5, batch_first=False,
    norm_first=False, bias=True)``.  ``forward(tgt, memory, tgt_mask=None,
    memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    tgt_is_causal=False, memory_is_causal=False)``.

    Example::

        import npgrad
        layer = npgrad.nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        out = layer(npgrad.randn(4, 3, 8), npgrad.randn(6, 3, 8))   # (4, 3, 8)
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        check_device(device)
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            **factory_kwargs)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first,
                                                 bias=bias, **factory_kwargs)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory_kwargs)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory_kwargs)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory_kwargs)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory_kwargs)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory_kwargs)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        if isinstance(activation, str):
            self.activation = _get_activation_fn(activation)
        else:
            self.activation = activation

    def __setstate__(self, state):
        if "activation" not in state:
            state["activation"] = F.relu
        super().__setstate__(state)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """The layer on ``tgt`` attending to ``memory``."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)
