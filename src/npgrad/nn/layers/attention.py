"""Multi-head attention with PyTorch's parameters (``in_proj_weight``, ``out_proj`` ...).

Example::

    import npgrad
    mha = npgrad.nn.MultiheadAttention(16, 4, batch_first=True)
    x = npgrad.randn(2, 5, 16)
    out, weights = mha(x, x, x)                    # (2, 5, 16), (2, 5, 5)
"""
from __future__ import annotations

import npgrad
from npgrad.nn import init
from npgrad.nn.module import Module, Parameter
from npgrad.nn.functional import attention as F_attention
from ...tensor import check_device

__all__ = ["MultiheadAttention"]


_OUT_PROJ_CLASS = []


def _make_out_proj(embed_dim, bias, dtype):
    """``out_proj``: a ``Linear`` under PyTorch's class name ``NonDynamicallyQuantizableLinear``."""
    if not _OUT_PROJ_CLASS:
        from npgrad.nn.layers.linear import Linear

        _OUT_PROJ_CLASS.append(type("NonDynamicallyQuantizableLinear", (Linear,), {}))
    return _OUT_PROJ_CLASS[0](embed_dim, embed_dim, bias=bias, dtype=dtype)


class MultiheadAttention(Module):
    """Multi-head attention, :math:`[\\mathrm{head}_1; \\dots; \\mathrm{head}_h] W^O` with
    :math:`\\mathrm{head}_i = \\operatorname{softmax}(Q W_i^Q (K W_i^K)^\\top / \\sqrt{d}) V W_i^V`.

    Arguments as ``torch.nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0,
    bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None,
    batch_first=False)``.  With ``kdim``/``vdim`` equal to ``embed_dim`` the
    projections are packed in ``in_proj_weight`` ``(3E, E)``; otherwise they are
    ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight``.  ``forward(query,
    key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``.
    Reference: Vaswani et al., 2017, arXiv:1706.03762.

    Example::

        import npgrad
        mha = npgrad.nn.MultiheadAttention(8, 2)
        q = npgrad.randn(4, 3, 8)                     # (L, N, E)
        out, w = mha(q, q, q)                         # (4, 3, 8), (3, 4, 4)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        check_device(device)
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                             f"and num_heads={num_heads} instead")
        super().__init__()
        dtype = npgrad.get_default_dtype() if dtype is None else dtype
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(npgrad.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(npgrad.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(npgrad.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(npgrad.empty(3 * embed_dim, embed_dim, dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(npgrad.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = _make_out_proj(embed_dim, bias, dtype)
        if add_bias_kv:
            self.bias_k = Parameter(npgrad.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(npgrad.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        is_batched = query.dim() == 3
        key_padding_mask = F_attention._canonical_mask(
            key_padding_mask, "key_padding_mask", None if attn_mask is None else attn_mask.dtype,
            "attn_mask", query.dtype)
        attn_mask = F_attention._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                                check_other=False)
        if self.batch_first and is_batched:
            query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        common = dict(training=self.training, key_padding_mask=key_padding_mask,
                      need_weights=need_weights, attn_mask=attn_mask,
                      average_attn_weights=average_attn_weights, is_causal=is_causal)
        if not self._qkv_same_embed_dim:
            output, weights = F_attention.multi_head_attention_forward(
                query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
                self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
                self.out_proj.weight, self.out_proj.bias, use_separate_proj_weight=True,
                q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
                v_proj_weight=self.v_proj_weight, **common)
        else:
            output, weights = F_attention.multi_head_attention_forward(
                query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
                self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
                self.out_proj.weight, self.out_proj.bias, **common)
        if self.batch_first and is_batched:
            return output.transpose(1, 0), weights
        return output, weights
