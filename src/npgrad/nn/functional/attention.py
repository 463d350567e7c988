"""Attention: scaled dot-product attention and the multi-head attention forward.

.. math::

    \\operatorname{Attention}(Q, K, V) = \\operatorname{softmax}\\!\\left(
        \\frac{Q K^\\top}{\\sqrt{d_k}} + M\\right) V

where the additive mask :math:`M` is :math:`-\\infty` at masked positions (boolean
masks are ``True`` where attention is *allowed*, PyTorch's convention) or the
given float mask.  A query row whose every key is masked gets weights of zero
(PyTorch's "safe softmax"), not NaN.

Reference: A. Vaswani et al., *Attention Is All You Need*, 2017, arXiv:1706.03762.

Example::

    import npgrad
    import npgrad.nn.functional as F
    q = k = v = npgrad.randn(2, 4, 6, 8)           # (batch, heads, length, head_dim)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)   # (2, 4, 6, 8)
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import npgrad
from npgrad.autograd.function import ArrayFunction as Function
from npgrad.tensor import _check_inplace_shape, _labelled, broadcast_shape

from .basic import _c_name

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


class SafeSoftmax(Function):
    """Softmax over the last dimension whose fully ``-inf`` rows give zeros instead of NaN.

    :math:`y_i = e^{x_i - m} / \\sum_j e^{x_j - m}` with :math:`m = \\max_j x_j`;
    backward :math:`\\partial x = y \\odot (g - \\sum_j g_j y_j)`.
    """

    @staticmethod
    def forward(ctx, x):
        if x.size == 0:  # no keys (or no queries): nothing to normalise
            y = x.copy()
            ctx.save_for_backward(y)
            return y
        top = x.max(axis=-1, keepdims=True)
        empty = np.isneginf(top)
        shifted = np.exp(x - np.where(empty, 0.0, top))
        y = shifted / np.where(empty, 1.0, shifted.sum(axis=-1, keepdims=True))
        y = np.where(empty, 0.0, y).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - (grad * y).sum(axis=-1, keepdims=True))

    @staticmethod
    def graph_backward(ctx, saved, grad):
        (y,) = ctx.saved_tensors
        y = saved.output(0, y)
        return y * (grad - (grad * y).sum(-1, keepdim=True))


def _attention_bias(mask, is_causal, length, source, dtype):
    """The additive float bias of a boolean or float ``mask``, or of the causal mask."""
    bias = None
    if is_causal:
        future = np.triu(np.ones((length, source), dtype=bool), k=1)
        bias = npgrad.from_numpy(np.where(future, -np.inf, 0.0)).to(dtype)
    if mask is not None:
        if mask.dtype == npgrad.bool:
            mask = npgrad.from_numpy(np.where(mask._data, 0.0, -np.inf)).to(dtype)
        bias = mask if bias is None else bias + mask
    return bias


def _check_sdpa_inputs(query, key, value, attn_mask):
    """PyTorch's checks of dtypes and ranks, with its messages."""
    if not query._data.dtype == key._data.dtype == value._data.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_c_name(query)} key.dtype: {_c_name(key)} and value.dtype: {_c_name(value)} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if attn_mask is not None and attn_mask._data.dtype not in (np.bool_, np.float32, query._data.dtype):
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_c_name(attn_mask)} and  query.dtype: {_c_name(query)} instead.")


def _check_sdpa_shapes(query, key, value):
    """The batched matrix products' checks: broadcastable batch dims, matching feature and key lengths."""
    batch = tuple(query.shape[:-2])
    for other in (key, value):
        batch = broadcast_shape(batch, tuple(other.shape[:-2]))
    n = int(np.prod(batch))
    if key.shape[-1] != query.shape[-1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, "
                           f"{query.shape[-1]}] but got: [{n}, {key.shape[-1]}].")
    if value.shape[-2] != key.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, "
                           f"{key.shape[-2]}] but got: [{n}, {value.shape[-2]}].")


def _repeat_heads(t, heads):
    """Each of ``t``'s heads (dim -3) repeated in place to make ``heads`` heads (grouped-query attention)."""
    if t.shape[-3] == heads:
        return t
    index = npgrad.from_numpy(np.repeat(np.arange(t.shape[-3]), heads // t.shape[-3]))
    return t.index_select(t.dim() - 3, index)


# --------------------------------------------------------------------------- the kernel PyTorch would pick
# On a CPU PyTorch has two attention kernels: flash attention, tried first when it is enabled, and the math
# fallback (``torch.nn.attention.sdpa_kernel`` and ``torch.backends.cuda.enable_*_sdp`` switch them; the other
# backends do not run on a CPU). npgrad computes both with the one implementation below, but accepts and refuses
# inputs as the kernel PyTorch picks does, with its warnings and errors when no enabled kernel takes them.
_NO_VIABLE_BACKEND = ("No viable backend for scaled_dot_product_attention was found. This is likely due to turning "
                      "off both the math kernel and the fused kernels.")
_NO_KERNEL = "No available kernel.  Aborting execution."
_BROADCAST_HINT = (" instead. To broadcast dense inputs, try using unsqueeze and expand_to before passing them into "
                   "the kernel.")
_FLASH_DTYPES = ("float32", "float64", "float16")


def _last_stride(t):
    """``t.stride(-1)`` as PyTorch has it: 1 for a contiguous tensor, even an empty one."""
    return 1 if t._data.size == 0 and t._data.flags.c_contiguous else t.stride(-1)


def _flash_refusal(query, key, value, attn_mask, dropout_p, enable_gqa):
    """Why PyTorch's CPU flash-attention kernel refuses these inputs: ``None`` when it takes them, else its
    message (``""`` where PyTorch gives none). Its checks in its order; a mask of fewer than 2 dims is an
    ``IndexError`` there, as in PyTorch."""
    if dropout_p > 0.0:
        return "Both fused kernels do not support non-zero dropout."
    if not query.dim() == key.dim() == value.dim() == 4:
        return (f"All fused kernels requires query, key and value to be 4 dimensional, but got Query dim: "
                f"{query.dim()}, Key dim: {key.dim()}, Value dim: {value.dim()} instead.")
    q_size, k_size, v_size = list(query.shape), list(key.shape), list(value.shape)
    if not q_size[0] == k_size[0] == v_size[0]:
        return (f"For dense inputs, both fused kernels require query, key and value to have the same batch_size. "
                f"Query.sizes(): {q_size}, Key.sizes(): {k_size}, Value.sizes(): {v_size}" + _BROADCAST_HINT)
    q_heads, k_heads, v_heads = q_size[1], k_size[1], v_size[1]
    if enable_gqa:
        if k_heads != v_heads:
            return (f"Both fused kernels require key and value to have the same num_heads and batch_size but got: "
                    f"Key sizes: {k_size}, Value sizes: {v_size}, Query sizes: {q_size} instead.")
        if q_heads % k_heads:
            return (f"The number of heads in key/value must divide number of heads in query.Got input Key sizes(): "
                    f"{k_heads}, Value sizes(): {v_heads}, Query sizes(): {q_heads} instead.")
    elif not q_heads == k_heads == v_heads:
        return (f"For dense input, both fused kernels require query, key and value to have the same num_heads. "
                f"Query.sizes(): {q_size}, Key sizes(): {k_size}, Value sizes(): {v_size}" + _BROADCAST_HINT)
    if attn_mask is not None:
        if attn_mask.requires_grad:
            return ""
        if attn_mask.dim() == 0:
            raise IndexError("Dimension specified as -2 but tensor has no dimensions")
        if attn_mask.size(-2) not in (q_size[2], 1) or attn_mask.size(-1) not in (k_size[2], 1):
            return ""
        mask_size = list(attn_mask.shape)
        if not (attn_mask.dim() == 2 or attn_mask.dim() == 4 and mask_size[0] in (1, q_size[0])
                and mask_size[1] in (1, q_heads)):
            return ("Please use the following attn mask shapes: 2d - ({Q_seq_len, 1}  x {KV_seq_len, 1}); "
                    "4d - ({Batch, 1} x {Num_heads, 1} x {Q_seq_len, 1}  x {KV_seq_len, 1})")
    if not q_size[3] == k_size[3] == v_size[3]:
        return (f"Flash attention requires q,k,v to have the same last dimension. Got Query.size(-1): {q_size[3]}, "
                f"Key.size(-1): {k_size[3]}, Value.size(-1): {v_size[3]} instead.")
    strides = [_last_stride(t) for t in (query, key, value)]
    if strides != [1, 1, 1]:
        message = ("All fused kernels require the last dimension of the input to have stride 1. Got "
                   "Query.stride(-1): {}, Key.stride(-1): {}, Value.stride(-1): {}".format(*strides))
        if attn_mask is not None:
            message += (f", Attn_mask.stride(-1): {_last_stride(attn_mask)} (GPU backends require attn_mask's last "
                        "dimension to have stride 1 while the CPU does not).")
        return message
    if query._data.dtype.name not in _FLASH_DTYPES:
        return (f"Expected query, key and value to all be of dtype: {{Float, Double, BFloat16, Half}}. Got Query "
                f"dtype: {_c_name(query)}, Key dtype: {_c_name(key)}, and Value dtype: {_c_name(value)} instead.")
    return None


def _sdpa_kernel(query, key, value, attn_mask, dropout_p, enable_gqa):
    """``"flash"`` or ``"math"``: the kernel PyTorch runs on a CPU with the enabled backends, or its error
    (after its warnings) when none of them takes the inputs."""
    from ..._runtime import context

    flash, math_kernel = context.sdp["flash"], context.sdp["math"]
    if not flash and not math_kernel:
        raise RuntimeError(_NO_VIABLE_BACKEND)
    if flash:
        refusal = _flash_refusal(query, key, value, attn_mask, dropout_p, enable_gqa)
        if refusal is None:
            return "flash"
    if math_kernel:
        return "math"
    warnings.warn("Flash attention kernel not used because:", stacklevel=3)
    if refusal:
        warnings.warn(refusal, stacklevel=3)
    raise RuntimeError(_NO_KERNEL)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """Scaled dot-product attention over the last two dimensions, as in PyTorch.

    ``query`` ``(..., L, E)``, ``key`` ``(..., S, E)``, ``value`` ``(..., S, Ev)``.
    ``attn_mask``: boolean (``True`` = may attend) or float (added to the scores),
    broadcastable to ``(..., L, S)``.  ``is_causal`` masks keys after the query
    position (top-left aligned when :math:`L \\ne S`); giving both is an error unless the
    flash kernel takes the inputs (then both apply, as in PyTorch).  ``scale``
    defaults to :math:`1/\\sqrt{E}`.  ``dropout_p`` drops attention weights (always,
    as in PyTorch: pass 0 in evaluation).  ``enable_gqa`` lets ``key`` and ``value``
    have fewer heads (dimension -3) than ``query`` (numbers that divide its number
    of heads), each shared by a group of query heads.  The backends enabled by
    ``nn.attention.sdpa_kernel`` decide, as in PyTorch on a CPU, which inputs are taken
    (flash attention: 4-d, no dropout, ...; math: any) and what is raised otherwise; the
    numbers are the same whichever backend takes them.

    .. math::

        \\operatorname{softmax}(s\\, Q K^\\top + M)\\, V, \\quad s = 1/\\sqrt{E}

    Reference: Vaswani et al., 2017, arXiv:1706.03762; grouped-query attention:
    J. Ainslie et al., 2023, arXiv:2305.13245.

    Example::

        import npgrad, npgrad.nn.functional as F
        q, k, v = npgrad.randn(3, 5), npgrad.randn(7, 5), npgrad.randn(7, 2)
        F.scaled_dot_product_attention(q, k, v).shape          # (3, 2)
    """
    _check_sdpa_inputs(query, key, value, attn_mask)
    kernel = _sdpa_kernel(query, key, value, attn_mask, dropout_p, enable_gqa)
    if is_causal and attn_mask is not None and kernel == "math":
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    length, source = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa:
        if query.dim() < 3:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-query.dim()}, "
                             f"{query.dim() - 1}], but got -3)")
        heads = query.shape[-3]
        if heads % key.shape[-3] or heads % value.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        key, value = _repeat_heads(key, heads), _repeat_heads(value, heads)
    _check_sdpa_shapes(query, key, value)
    scores = query.matmul(key.transpose(-2, -1)) * scale
    bias = _attention_bias(attn_mask, is_causal, length, source, scores.dtype)
    if bias is not None:
        _check_inplace_shape(scores.shape, bias.shape)     # PyTorch adds the mask to the scores in place
        scores = scores + bias
    weights = SafeSoftmax.apply(scores)
    if dropout_p > 0.0:
        from .basic import dropout

        weights = dropout(weights, p=dropout_p, training=True)
    out = weights.matmul(value)
    return _labelled(out, kernel == "flash", "ScaledDotProductFlashAttentionForCpuBackward0")


# --------------------------------------------------------------------------- multi-head attention
def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """Boolean masks become float masks with ``-inf`` where ``True`` (PyTorch's helper)."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype != npgrad.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", stacklevel=3)
    if not is_float:
        mask = npgrad.zeros(mask.shape, dtype=target_type).masked_fill(mask, float("-inf"))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                                 f" but found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` "
                                 f"or 2-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D"
                                 f" but found {key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` "
                                 f"or 1-D but found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, "
                                     f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _linear(x, weight, bias):
    out = x.matmul(weight.t())
    return out if bias is None else out + bias


def _pad_last(mask):
    """Append one zero column to a float mask (the key added by bias_k or add_zero_attn)."""
    zeros = npgrad.zeros(*mask.shape[:-1], 1, dtype=mask.dtype)
    return npgrad.cat([mask, zeros], -1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True, key_padding_mask=None,
                                 need_weights=True, attn_mask=None, use_separate_proj_weight=False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
                                 static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention on sequence-first inputs ``(L, N, E)``, as PyTorch's function.

    .. math::

        \\operatorname{MultiHead}(Q, K, V) = [\\mathrm{head}_1; \\dots; \\mathrm{head}_h] W^O, \\quad
        \\mathrm{head}_i = \\operatorname{Attention}(Q W_i^Q, K W_i^K, V W_i^V)

    Returns ``(output, weights)``; ``weights`` is ``None`` unless ``need_weights``,
    averaged over heads when ``average_attn_weights``.
    Reference: Vaswani et al., 2017, arXiv:1706.03762.

    Example::

        import npgrad, npgrad.nn.functional as F
        mha = npgrad.nn.MultiheadAttention(8, 2)
        x = npgrad.randn(5, 3, 8)
        out, w = F.multi_head_attention_forward(
            x, x, x, 8, 2, mha.in_proj_weight, mha.in_proj_bias, None, None, False, 0.0,
            mha.out_proj.weight, mha.out_proj.bias)           # (5, 3, 8), (3, 5, 5)
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       None if attn_mask is None else attn_mask.dtype,
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to create "
                           "this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, "
                             f"but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match "
                                 f"value's {tuple(value.shape[:2])}")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q = _linear(query, q_proj_weight, b_q)
        k = _linear(key, k_proj_weight, b_k)
        v = _linear(value, v_proj_weight, b_v)
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        w_q, w_k, w_v = in_proj_weight.chunk(3)
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _linear(query, w_q, b_q), _linear(key, w_k, b_k), _linear(value, w_v, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, key.shape[0]):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {(tgt_len, key.shape[0])}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            expected = (bsz * num_heads, tgt_len, key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                                   f"should be {expected}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = npgrad.cat([k, bias_k.repeat(1, bsz, 1)])
        v = npgrad.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_k is None else static_k
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1) if static_v is None else static_v
    if add_zero_attn:
        zeros = npgrad.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)
        k = npgrad.cat([k, zeros], 1)
        v = npgrad.cat([v, zeros], 1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(
            bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = SafeSoftmax.apply(scores)
        if dropout_p > 0.0:
            from .basic import dropout

            weights = dropout(weights, p=dropout_p, training=True)
        output = weights.matmul(v)
        output = output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        output = _linear(output, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            output, weights = output.squeeze(1), weights.squeeze(0)
        return output, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    output = output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    output = _linear(output, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not is_batched:
        output = output.squeeze(1)
    return output, None
