"""Edges of ``ctc_loss`` and ``linear_cross_entropy`` against torch: argument checks and their messages, the
chunked path's errors, warnings and autograd rules (``options=LinearCrossEntropyOptions(...)``), the reference
path's dtype and weight checks, ``LinearCrossEntropyOptions``' validation, and ``grad_fn`` names."""
from __future__ import annotations

import dataclasses
import importlib
import os
import warnings

import numpy as np
import pytest

import npgrad
from harness import error_of
from oracle import Golden, torch

golden = Golden("loss_edges_ctc_lce")

_rng = np.random.default_rng(31)
LP = np.log(_rng.dirichlet(np.ones(4), (5, 1)))          # (T, N, C) log-probabilities
X = _rng.standard_normal((5, 3)).astype(np.float32)     # (N, in_features)
W = _rng.standard_normal((4, 3)).astype(np.float32)     # (C, in_features)
B = _rng.standard_normal(4).astype(np.float32)
T5 = [0, 3, 1, 2, 3]


def F(L):
    return L.nn.functional


def opts(L, **kwargs):
    return L.nn.LinearCrossEntropyOptions(**kwargs)


def lp(L, dtype=None):
    return L.tensor(LP if dtype is None else LP.astype(dtype))


def lce(L, target=T5, *, x=X, w=W, options=None, **kwargs):
    """``linear_cross_entropy`` of the shared data; ``options`` is a dict of LinearCrossEntropyOptions fields."""
    if options is not None:
        kwargs["options"] = opts(L, **options)
    return F(L).linear_cross_entropy(L.tensor(x), L.tensor(w), L.tensor(target), **kwargs)


def in_torch_words(message):
    return message.replace("torch.", "npgrad.")


def assert_same_error(key, call):
    """npgrad raises what torch raises (type and message), or nothing where torch raises nothing."""
    ref = golden.json(f"error/{key}", lambda: error_of(torch, call))
    assert error_of(npgrad, call) == [ref[0], in_torch_words(ref[1])]


# --------------------------------------------------------------------------- ctc_loss: argument checks
def _ctc_second_order(L, reduction="mean", tensors=False):
    x = L.tensor(LP, requires_grad=True)
    lengths = (L.tensor([5]), L.tensor([2])) if tensors else ([5], [2])
    loss = F(L).ctc_loss(x, L.tensor([[1, 2]]), *lengths, reduction=reduction)
    (g,) = L.autograd.grad(loss, x, create_graph=True)
    return L.autograd.grad(g.pow(2).sum(), x)


def _ctc_second_backward(L):
    x = L.tensor(LP, requires_grad=True)
    (g,) = L.autograd.grad(F(L).ctc_loss(x, L.tensor([[1, 2]]), [5], [2], reduction="sum"), x, create_graph=True)
    g.sum().backward()


CTC_ERRORS = {
    # empty log_probs
    "empty_batch": lambda L: F(L).ctc_loss(L.zeros(5, 0, 4), L.zeros(0, 2, dtype=L.long), L.zeros(0, dtype=L.long),
                                           L.zeros(0, dtype=L.long)),
    "empty_time": lambda L: F(L).ctc_loss(L.zeros(0, 2, 3), L.tensor([[1], [2]]), [0, 0], [0, 0]),
    "empty_classes": lambda L: F(L).ctc_loss(L.zeros(5, 2, 0), L.tensor([[1], [2]]), [5, 5], [1, 1]),
    "empty_lists": lambda L: F(L).ctc_loss(L.zeros(5, 0, 4), L.zeros(0, 2, dtype=L.long), [], []),
    "empty_unbatched": lambda L: F(L).ctc_loss(L.zeros(0, 3), L.tensor([1]), [0], [1]),
    "empty_4d": lambda L: F(L).ctc_loss(L.zeros(0, 1, 4, 1), L.tensor([[1, 2]]), [0], [2]),
    "empty_batch_lengths_mismatch": lambda L: F(L).ctc_loss(L.zeros(5, 0, 4), L.tensor([[1, 2]]), [5], [2]),
    # lengths that are not integers
    "float_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([5.0]), L.tensor([2.0])),
    "float_input_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([5.0]), L.tensor([2])),
    "float_target_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([5]), L.tensor([2.0])),
    "bool_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([True]), L.tensor([2])),
    "float_lengths_before_empty": lambda L: F(L).ctc_loss(L.zeros(0, 1, 4), L.tensor([[1, 2]]), L.tensor([0.0]),
                                                          L.tensor([2])),
    # lengths neither both sequences of ints nor both Tensors
    "tensor_and_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([5]), [2]),
    "list_and_tensor": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5], L.tensor([2])),
    "tensor_and_tuple": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([5]), (2,)),
    "numpy_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), np.array([5]), np.array([2])),
    "tensor_and_numpy": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([5]), np.array([2])),
    "float_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5.0], [2.0]),
    "float_and_int_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5.0], [2]),
    "numpy_float_in_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [np.float64(5)], [2]),
    "bool_in_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [True], [2]),
    "float_tensor_in_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [L.tensor(5.0)], [2]),
    "mixed_tuple": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), (5, 2.0, None), L.tensor([2])),
    "long_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), list(range(12)), L.tensor([2])),
    "nested_list": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [[5]], [2]),
    "empty_tuple": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), (), L.tensor([2])),
    "int_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), 5, 2),
    "int_lengths_unbatched": lambda L: F(L).ctc_loss(lp(L)[:, 0], L.tensor([1, 2]), 5, 2),
    "none_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), None, [2]),
    "generator_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), (n for n in [5]), [2]),
    "range_lengths": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), range(5, 6), [2]),
    "list_targets": lambda L: F(L).ctc_loss(lp(L), [[1, 2]], [5], [2]),
    "numpy_targets": lambda L: F(L).ctc_loss(lp(L), np.array([[1, 2]]), [5], [2]),
    "numpy_log_probs": lambda L: F(L).ctc_loss(LP, L.tensor([[1, 2]]), [5], [2]),
    "float_blank": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5], [2], blank=1.0),
    "bool_blank": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5], [2], blank=True),
    "int_zero_infinity": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5], [2], zero_infinity=1),
    "bad_reduction_first": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), 5, [2], reduction="x"),
    # log_probs of a type the kernel lacks: before the emptiness check
    "long_log_probs": lambda L: F(L).ctc_loss(L.zeros(4, 1, 3, dtype=L.long), L.tensor([[1]]), [4], [1]),
    "long_log_probs_empty": lambda L: F(L).ctc_loss(L.zeros(0, 1, 3, dtype=L.long), L.tensor([[1]]), [4], [1]),
    "half_log_probs": lambda L: F(L).ctc_loss(L.zeros(4, 1, 3, dtype=L.half), L.tensor([[1]]), [7], [1]),
    "bool_log_probs": lambda L: F(L).ctc_loss(L.zeros(4, 1, 3, dtype=L.bool), L.tensor([[1]]), [4], [1]),
    "long_log_probs_float_lengths": lambda L: F(L).ctc_loss(L.zeros(4, 1, 3, dtype=L.long), L.tensor([[1]]),
                                                            L.tensor([4.0]), L.tensor([1])),
    # no second derivative
    "double_backward": _ctc_second_order,
    "double_backward_tensor_lengths": lambda L: _ctc_second_order(L, "none", tensors=True),
    "backward_of_gradient": _ctc_second_backward,
}


@pytest.mark.parametrize("key", sorted(CTC_ERRORS))
def test_ctc_loss_errors(key):
    assert_same_error(f"ctc/{key}", CTC_ERRORS[key])


CTC_ACCEPTED = {
    "tuples": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), (5,), (2,)),
    "size": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.Size([5]), L.Size([2])),
    "tensors_in_lists": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [L.tensor(5)], [L.tensor([2])]),
    "numpy_ints_in_lists": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [np.int64(5)], [np.int32(2)]),
    "int8_tensors": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([5], dtype=L.int8),
                                            L.tensor([2], dtype=L.uint8)),
    "2d_length_tensors": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), L.tensor([[5]]), L.tensor([[2]])),
    "0d_lengths_unbatched": lambda L: F(L).ctc_loss(lp(L)[:, 0], L.tensor([1, 2]), L.tensor(5), L.tensor(2),
                                                    reduction="none"),
    "numpy_and_tensor_blank": lambda L: (F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5], [2], blank=np.int64(3))
                                         + F(L).ctc_loss(lp(L), L.tensor([[1, 2]]), [5], [2], blank=L.tensor(3))),
    "float_targets": lambda L: F(L).ctc_loss(lp(L), L.tensor([[1.0, 2.0]]), [5], [2]),
}


@pytest.mark.parametrize("key", sorted(CTC_ACCEPTED))
def test_ctc_loss_accepted_arguments(key):
    ref = golden(f"ctc_value/{key}", lambda: CTC_ACCEPTED[key](torch).detach().numpy())
    got = CTC_ACCEPTED[key](npgrad)
    np.testing.assert_allclose(got.detach().numpy(), ref, rtol=1e-10)


def test_ctc_loss_first_gradient_with_create_graph():
    """The gradient itself (create_graph) is PyTorch's: exact, recorded, and named ``NotImplemented``."""
    def first(L):
        x = L.tensor(LP, requires_grad=True)
        (g,) = L.autograd.grad(F(L).ctc_loss(x, L.tensor([[1, 2]]), [5], [2]), x, create_graph=True)
        return g

    g_ref = golden.json("ctc_create_graph/meta", lambda: [first(torch).requires_grad,
                                                          type(first(torch).grad_fn).__name__])
    values = golden("ctc_create_graph/value", lambda: first(torch).detach().numpy())
    g = first(npgrad)
    assert [g.requires_grad, type(g.grad_fn).__name__] == g_ref
    np.testing.assert_allclose(g.detach().numpy(), values, rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------- LinearCrossEntropyOptions
OPTIONS_ERRORS = {
    "acc_policy": lambda L: opts(L, acc_policy="fast"),
    "batch_chunk_size_zero": lambda L: opts(L, batch_chunk_size=0),
    "batch_chunk_size_negative": lambda L: opts(L, batch_chunk_size=-3),
    "batch_chunk_size_float": lambda L: opts(L, batch_chunk_size=2.0),
    "chunking_method_name": lambda L: opts(L, chunking_method="foo"),
    "chunking_method_zero": lambda L: opts(L, chunking_method="aspect_ratio:0"),
    "chunking_method_empty_factor": lambda L: opts(L, chunking_method="aspect_ratio:"),
    "chunking_method_signed_factor": lambda L: opts(L, chunking_method="aspect_ratio:+2"),
    "chunking_method_int": lambda L: opts(L, chunking_method=3),
    "acc_dtype_int": lambda L: opts(L, acc_dtype=L.int32),
    "acc_dtype_string": lambda L: opts(L, acc_dtype="float32"),
    "acc_dtype_numpy": lambda L: opts(L, acc_dtype=np.float32),
    "replace_checks": lambda L: dataclasses.replace(opts(L), acc_policy="x"),
    "frozen": lambda L: setattr(opts(L), "acc_policy", "compact"),
    "no_new_attributes": lambda L: setattr(opts(L), "other", 1),
    # accepted
    "positional": lambda L: opts(L, True, 4, None, "compact", L.float32),
    "bool_chunk_size": lambda L: opts(L, batch_chunk_size=True),
    "factor": lambda L: opts(L, chunking_method="aspect_ratio:16", acc_dtype=L.float16),
}


@pytest.mark.parametrize("key", sorted(OPTIONS_ERRORS))
def test_options_validation(key):
    assert_same_error(f"options/{key}", OPTIONS_ERRORS[key])


def test_options_class_shell():
    def shell(L):
        module = importlib.import_module(f"{L.__name__}.nn.modules.linear_cross_entropy_options")
        cls = L.nn.LinearCrossEntropyOptions
        o = cls(batch_chunk_size=4, acc_dtype=L.float64)
        return {"slots": list(cls.__slots__), "dict": hasattr(o, "__dict__"), "all": module.__all__,
                "same": module.LinearCrossEntropyOptions is cls, "repr": in_torch_words(repr(o)),
                "fields": [[f.name, f.default] for f in dataclasses.fields(cls)],
                "eq": [cls() == cls(acc_policy="auto"), cls() == cls(acc_policy="compact"), hash(cls()) == hash(cls())]}

    ref = golden.json("options/shell", lambda: shell(torch))
    assert shell(npgrad) == ref


# --------------------------------------------------------------------------- linear_cross_entropy: errors
def _second_backward(L, reduction="mean", grads=("x", "w"), bias=False, **options):
    x = L.tensor(X, requires_grad="x" in grads)
    w = L.tensor(W, requires_grad="w" in grads)
    b = L.tensor(B, requires_grad=True) if bias else None
    loss = F(L).linear_cross_entropy(x, w, L.tensor(T5), linear_bias=b, reduction=reduction,
                                     options=opts(L, **options))
    loss = loss.sum()
    loss.backward(retain_graph=True)
    loss.backward()
    return [t.grad.numpy() for t in (x, w, b) if t is not None and t.grad is not None]


def _grad_twice(L, second):
    x, w = L.tensor(X, requires_grad=True), L.tensor(W, requires_grad=True)
    loss = F(L).linear_cross_entropy(x, w, L.tensor(T5), options=opts(L))
    L.autograd.grad(loss, w, retain_graph=True)
    return L.autograd.grad(loss, x if second == "x" else w)


def _second_order(L, options, reduction="mean"):
    x, w = L.tensor(X, requires_grad=True), L.tensor(W, requires_grad=True)
    loss = F(L).linear_cross_entropy(x, w, L.tensor(T5), reduction=reduction, options=options and opts(L))
    (g,) = L.autograd.grad(loss.sum(), x, create_graph=True)
    return L.autograd.grad(g.pow(2).sum(), x)


def _class_weight(L, values=(1.0, 2.0, 0.5, 1.5), **kwargs):
    return L.tensor(np.asarray(values), **kwargs)


LCE_ERRORS = {
    # options that contradict each other or the input
    "chunk_size_vs_method": lambda L: lce(L, options=dict(batch_chunk_size=3, chunking_method="aspect_ratio")),
    "chunk_size_vs_method_factor": lambda L: lce(L, options=dict(batch_chunk_size=3,
                                                                 chunking_method="aspect_ratio:2")),
    "chunk_size_vs_method_large": lambda L: lce(L, options=dict(batch_chunk_size=9, chunking_method="aspect_ratio")),
    "chunk_size_vs_method_empty": lambda L: lce(L, np.zeros(0, np.int64), x=X[:0], options=dict(
        batch_chunk_size=1, chunking_method="aspect_ratio")),
    "acc_dtype_float32_double_input": lambda L: lce(L, x=X.astype(np.float64), w=W.astype(np.float64),
                                                    options=dict(acc_dtype=L.float32)),
    "acc_dtype_double_float_input": lambda L: lce(L, options=dict(acc_dtype=L.float64)),
    "acc_dtype_half_float_input": lambda L: lce(L, options=dict(acc_dtype=L.float16)),
    "acc_dtype_double_half_input": lambda L: lce(L, x=X.astype(np.float16), w=W.astype(np.float16),
                                                 options=dict(acc_dtype=L.float64)),
    "acc_dtype_before_short_target": lambda L: lce(L, [0], options=dict(acc_dtype=L.float64)),
    "integer_input_chunked": lambda L: lce(L, x=np.ones((5, 3), np.int64), w=np.ones((4, 3), np.int64),
                                           options={}),
    "integer_input_acc_float": lambda L: lce(L, x=np.ones((5, 3), np.int64), w=np.ones((4, 3), np.int64),
                                             options=dict(acc_dtype=L.float32)),
    # a second backward of the chunked op
    "second_backward": lambda L: _second_backward(L),
    "second_backward_weight_only": lambda L: _second_backward(L, grads=("w",)),
    "second_backward_bias_only": lambda L: _second_backward(L, grads=(), bias=True),
    "second_grad_call": lambda L: _grad_twice(L, "w"),
    "second_grad_call_other_input": lambda L: _grad_twice(L, "x"),
    "double_backward_chunked": lambda L: _second_order(L, True),
    "double_backward_chunked_none": lambda L: _second_order(L, True, "none"),
    # targets the chunked op cannot read
    "short_target": lambda L: lce(L, [0, 3, 1], options={}),
    "short_target_chunk_size": lambda L: lce(L, [0, 3, 1], options=dict(batch_chunk_size=4)),
    "short_target_none": lambda L: lce(L, [0, 3, 1], reduction="none", options={}),
    "short_target_one_chunk": lambda L: lce(L, [0, 1, 2], x=np.ones((9, 3), np.float32), options=dict(
        chunking_method=None)),
    "half_input_short_target": lambda L: lce(L, [0, 1, 2], x=X.astype(np.float16), w=W.astype(np.float16),
                                             options={}),
    "target_out_of_range": lambda L: lce(L, [0, 3, 1, 2, 4], options={}),
    "target_negative": lambda L: lce(L, [0, -1, 1, 2, 3], options={}),
    "target_out_of_range_none": lambda L: lce(L, [0, 5, 1, 2, 3], reduction="none", options={}),
    "targets_out_of_range_first": lambda L: lce(L, [0, 1, 7, 2, 5], options={}),
    "target_out_of_range_weighted": lambda L: lce(L, [0, 4, 1, 2, 3], weight=_class_weight(L), options={}),
    "target_negative_weighted": lambda L: lce(L, [0, -2, 1, 2, 3], weight=_class_weight(L), options={}),
    "ignore_index_in_classes": lambda L: lce(L, [0, -100, 1, 2, 3], ignore_index=2, options={}),
    "ignore_index_in_classes_weighted": lambda L: lce(L, [0, -100, 1, 2, 3], ignore_index=2,
                                                      weight=_class_weight(L), options={}),
    "out_of_range_before_short": lambda L: lce(L, [0, 9, 1], options={}),
    "short_before_out_of_range": lambda L: lce(L, [0, 1, 9], options={}),
    "weights_before_short": lambda L: lce(L, [0, 1, 9], weight=_class_weight(L), options={}),
    "weight_too_short_for_target": lambda L: lce(L, [0, 3, 1, 2, 1], weight=_class_weight(L, (1.0, 2.0, 3.0)),
                                                 options={}),
    "target_2d": lambda L: lce(L, [[0], [3], [1], [2], [3]], options={}),
    "target_2d_none": lambda L: lce(L, [[0], [3], [1], [2], [3]], reduction="none", options={}),
    "target_2d_weighted": lambda L: lce(L, [[0], [3], [1], [2], [3]], weight=_class_weight(L), options={}),
    "target_2d_short": lambda L: lce(L, [[0], [1]], options={}),
    "target_2d_out_of_range": lambda L: lce(L, [[0], [9], [1], [2], [3]], options={}),
    "target_0d": lambda L: lce(L, 2, x=X[:1], options={}),
    "target_0d_none": lambda L: lce(L, 1, reduction="none", options={}),
    "unbatched_target_1d": lambda L: lce(L, [2], x=X[0], options={}),
    "unbatched_target_2": lambda L: lce(L, [2, 1], x=X[0], options={}),
    "unbatched_out_of_range": lambda L: lce(L, 7, x=X[0], options={}),
    "input_weight_dtypes_chunked": lambda L: lce(L, [0, 1], x=X[:2], w=W.astype(np.float64), options={}),
    "weight_input_dtypes_chunked": lambda L: lce(L, [0, 1], x=X[:2].astype(np.float64), options={}),
    "dtypes_after_short_target": lambda L: lce(L, [0, 1, 2], w=W.astype(np.float64), options={}),
    "short_target_before_dtypes": lambda L: lce(L, [0], w=W.astype(np.float64), options={}),
    "dtypes_before_out_of_range": lambda L: lce(L, [0, 9, 1, 2, 3], w=W.astype(np.float64), options={}),
    "unbatched_dtypes_chunked": lambda L: lce(L, 1, x=X[0], w=W.astype(np.float64), options={}),
    # the reference path (options=None): the projection's dtypes ...
    "input_weight_dtypes": lambda L: lce(L, [0, 1], x=X[:2], w=W.astype(np.float64)),
    "double_input_float_weight": lambda L: lce(L, [0, 1], x=X[:2].astype(np.float64)),
    "unbatched_input_weight_dtypes": lambda L: lce(L, 1, x=X[0], w=W.astype(np.float64)),
    "half_input_float_weight": lambda L: lce(L, x=X.astype(np.float16), linear_bias=L.tensor(B)),
    "bias_dtype": lambda L: lce(L, linear_bias=L.tensor(B.astype(np.float64))),
    "bias_and_weight_dtype": lambda L: lce(L, w=W.astype(np.float64), linear_bias=L.tensor(B.astype(np.float64))),
    "bias_dtype_double_input": lambda L: lce(L, x=X.astype(np.float64), linear_bias=L.tensor(B.astype(np.float64))),
    "input_dtype_with_bias": lambda L: lce(L, x=X.astype(np.float64), linear_bias=L.tensor(B)),
    "unbatched_bias_dtype": lambda L: lce(L, 1, x=X[0], linear_bias=L.tensor(B.astype(np.float64))),
    "weight_dtype_with_label_smoothing": lambda L: lce(L, w=W.astype(np.float64), label_smoothing=0.1),
    "k_dim_weight_dtype": lambda L: lce(L, np.zeros((5, 2), np.int64), w=np.ones((4, 2, 3))),
    "input_dtype_before_batch": lambda L: lce(L, [0, 1], w=W.astype(np.float64)),
    # ... and the class weight: no gradient, its dtype, the target's shape
    "class_weight_requires_grad": lambda L: lce(L, weight=_class_weight(L, dtype=L.float32, requires_grad=True)),
    "class_weight_requires_grad_none": lambda L: lce(L, reduction="none", weight=_class_weight(
        L, dtype=L.float32, requires_grad=True)),
    "class_weight_requires_grad_unbatched": lambda L: lce(L, 1, x=X[0], weight=_class_weight(
        L, dtype=L.float32, requires_grad=True)),
    "class_weight_requires_grad_empty": lambda L: lce(L, np.zeros(0, np.int64), x=X[:0], weight=_class_weight(
        L, dtype=L.float32, requires_grad=True)),
    "class_weight_requires_grad_after_batch": lambda L: lce(L, [0, 1], weight=_class_weight(
        L, dtype=L.float32, requires_grad=True)),
    "class_weight_requires_grad_before_size": lambda L: lce(L, weight=L.ones(3, requires_grad=True)),
    "class_weight_requires_grad_before_bounds": lambda L: lce(L, [0, 5, 1, 2, 3], weight=_class_weight(
        L, dtype=L.float32, requires_grad=True)),
    "class_weight_double": lambda L: lce(L, weight=_class_weight(L)),
    "class_weight_long": lambda L: lce(L, weight=L.tensor([1, 2, 3, 4])),
    "class_weight_half": lambda L: lce(L, weight=L.ones(4, dtype=L.half)),
    "class_weight_double_unbatched": lambda L: lce(L, 1, x=X[0], weight=_class_weight(L)),
    "class_weight_double_none": lambda L: lce(L, reduction="none", weight=_class_weight(L)),
    "class_weight_double_empty": lambda L: lce(L, np.zeros(0, np.int64), x=X[:0], weight=_class_weight(L)),
    "class_weight_size_before_dtype": lambda L: lce(L, weight=L.ones(3, dtype=L.float64)),
    "class_weight_dtype_before_bounds": lambda L: lce(L, [0, 5, 1, 2, 3], weight=_class_weight(L)),
    "class_weight_2d": lambda L: lce(L, weight=L.ones(4, 1)),
    "target_2d_reference": lambda L: lce(L, [[0], [3], [1], [2], [3]]),
    "target_2d_reference_weight_grad": lambda L: lce(L, [[0], [3], [1], [2], [3]], weight=L.ones(
        4, requires_grad=True)),
    "target_0d_reference": lambda L: lce(L, 2, x=X[:1]),
    "target_0d_reference_batch": lambda L: lce(L, 2),
    "unbatched_target_2_reference": lambda L: lce(L, [2, 1], x=X[0]),
    "unbatched_target_2d_reference": lambda L: lce(L, [[2]], x=X[0]),
    "target_out_of_range_reference": lambda L: lce(L, [0, 3, 1, 2, -5]),
    # with options, a bad reduction is refused after the warning
    "bad_reduction_with_options": lambda L: lce(L, reduction="avg", options={}),
    "int_target_with_options": lambda L: lce(L, np.array(T5, np.int32), options={}),
}


@pytest.mark.parametrize("key", sorted(LCE_ERRORS))
def test_linear_cross_entropy_errors(key):
    assert_same_error(f"lce/{key}", LCE_ERRORS[key])


# --------------------------------------------------------------------------- linear_cross_entropy: values
def _weight_requires_grad(L):
    x = L.tensor(X, requires_grad=True)
    w = _class_weight(L, dtype=L.float32, requires_grad=True)
    loss = F(L).linear_cross_entropy(x, L.tensor(W), L.tensor(T5), weight=w, options=opts(L))
    loss.backward()
    return [loss.detach().numpy(), x.grad.numpy(), "None" if w.grad is None else w.grad.numpy()]


def _grads(L, reduction="mean", bias=None, options=None, x=X, w=W, target=T5, **kwargs):
    xt, wt = L.tensor(x, requires_grad=True), L.tensor(w, requires_grad=True)
    bt = None if bias is None else L.tensor(bias, requires_grad=True)
    loss = F(L).linear_cross_entropy(xt, wt, L.tensor(target), linear_bias=bt, reduction=reduction,
                                     options=None if options is None else opts(L, **options), **kwargs)
    upstream = L.tensor(np.linspace(0.5, 1.5, loss.numel()).reshape(loss.shape).astype(np.float32))
    (loss * upstream).sum().backward()
    grads = [t.grad.numpy() for t in (xt, wt, bt) if t is not None]
    return [loss.detach().numpy(), *grads]


def _two_backwards(L, reduction="mean", **options):
    xt, wt = L.tensor(X, requires_grad=True), L.tensor(W, requires_grad=True)
    loss = F(L).linear_cross_entropy(xt, wt, L.tensor(T5), reduction=reduction, options=opts(L, **options)).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    return [xt.grad.numpy(), wt.grad.numpy()]


LCE_VALUES = {
    # the chunked op reads only the class weights of the targets, cast to the input's dtype
    "class_weight_shorter": lambda L: _grads(L, target=[0, 2, 1, 2, 1], weight=_class_weight(L, (1.0, 2.0, 3.0)),
                                             options={}),
    "class_weight_longer": lambda L: _grads(L, weight=_class_weight(L, (1.0, 2.0, 3.0, 0.5, 4.0)), options={}),
    "class_weight_double_chunked": lambda L: _grads(L, weight=_class_weight(L), options={}),
    "class_weight_long_chunked": lambda L: _grads(L, reduction="none", weight=L.tensor([1, 2, 3, 4]), options={}),
    "class_weight_double_input_chunked": lambda L: _grads(L, x=X.astype(np.float64), w=W.astype(np.float64),
                                                          weight=_class_weight(L, dtype=L.float32), options={}),
    "class_weight_requires_grad_chunked": _weight_requires_grad,
    "bias_double_chunked": lambda L: _grads(L, bias=B.astype(np.float64), options={}),
    "half_input_float_weight_chunked": lambda L: _grads(L, x=X.astype(np.float16), options={}),
    "ignored_outside_classes_weighted": lambda L: _grads(L, target=[0, -100, 1, 2, 3], weight=_class_weight(L),
                                                         options={}),
    "ignore_index_beyond_classes": lambda L: _grads(L, target=[0, 7, 1, 2, 3], ignore_index=7,
                                                    options=dict(batch_chunk_size=2)),
    "chunk_size_agrees_with_method": lambda L: _grads(L, options=dict(batch_chunk_size=4,
                                                                     chunking_method="aspect_ratio")),
    "allow_retain_graph": lambda L: _two_backwards(L, allow_retain_graph=True),
    "retain_graph_none": lambda L: _two_backwards(L, reduction="none"),
    "unbatched_chunked": lambda L: _grads(L, x=X[0], target=2, options={}),
    "unbatched_chunked_none": lambda L: _grads(L, reduction="none", x=X[0], target=2, options={}),
    "empty_chunked": lambda L: [lce(L, np.zeros(0, np.int64), x=X[:0], options=dict(batch_chunk_size=3)).numpy(),
                                lce(L, np.zeros(0, np.int64), x=X[:0], reduction="sum", options={}).numpy(),
                                lce(L, np.zeros(0, np.int64), x=X[:0], reduction="none", options={}).numpy()],
}


@pytest.mark.parametrize("key", sorted(LCE_VALUES))
def test_linear_cross_entropy_values(key):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = golden(f"lce_value/{key}", lambda: LCE_VALUES[key](torch))
        got = LCE_VALUES[key](npgrad)
    assert len(got) == len(ref)
    for a, b in zip(got, ref):
        if isinstance(b, str) or (isinstance(b, np.ndarray) and b.dtype.kind == "U"):
            assert isinstance(a, str) and a == str(b)
            continue
        b = np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        # a half-precision input is computed in half precision (PyTorch accumulates in float32)
        rtol, atol = (5e-3, 5e-4) if key.startswith("half") else (1e-5, 1e-6)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_create_graph_on_the_chunked_path():
    """PyTorch's chunked op records no graph for its gradients: a constant, times the upstream gradient (which
    may itself be recorded); the reference path's gradient stays differentiable."""
    def meta(L):
        out = {}
        for name, options, reduction, scale in (("chunked", True, "mean", False), ("chunked_none", True, "none", False),
                                                ("chunked_scaled", True, "sum", True),
                                                ("reference", False, "mean", False)):
            x, w = L.tensor(X, requires_grad=True), L.tensor(W, requires_grad=True)
            y = L.tensor(2.0, requires_grad=True)
            loss = F(L).linear_cross_entropy(x, w, L.tensor(T5), reduction=reduction,
                                             options=opts(L) if options else None).sum()
            (g,) = L.autograd.grad(loss * y if scale else loss, x, create_graph=True)
            out[name] = [g.requires_grad, None if g.grad_fn is None else type(g.grad_fn).__name__,
                         g.detach().numpy().round(5).tolist()]
        return out

    ref = golden.json("create_graph_meta", lambda: meta(torch))
    got = meta(npgrad)
    assert got.keys() == ref.keys()
    for key in ref:
        assert got[key][:2] == ref[key][:2], key
        np.testing.assert_allclose(got[key][2], ref[key][2], atol=2e-5, err_msg=key)


# --------------------------------------------------------------------------- the "options ignored" warning
def _with_warnings(L, call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(L)
            outcome = ["value", float(result.detach().numpy().sum())]
        except Exception as e:  # noqa: BLE001 - the error is part of the outcome
            outcome = [type(e).__name__, str(e)]
    ours = [w for w in caught if "options`` ignored" in str(w.message)]
    return {"warnings": [[w.category.__name__, str(w.message)] for w in caught], "outcome": outcome,
            "here": [os.path.basename(w.filename) == os.path.basename(__file__) for w in ours]}


def _module_loss(L):
    module = L.nn.LinearCrossEntropyLoss(3, 4, label_smoothing=0.2, options=opts(L))
    with L.no_grad():
        module.linear.weight.copy_(L.tensor(W))
    return module(L.tensor(X), L.tensor(T5))


WARNING_CALLS = {
    "label_smoothing": lambda L: lce(L, label_smoothing=0.1, options={}),
    "negative_label_smoothing": lambda L: lce(L, label_smoothing=-0.5, options={}),
    "probabilities": lambda L: lce(L, np.full((5, 4), 0.25, np.float32), options={}),
    "int32_target": lambda L: lce(L, np.array(T5, np.int32), options={}),
    "uint8_target": lambda L: lce(L, np.array(T5, np.uint8), options=dict(batch_chunk_size=2)),
    "k_dim": lambda L: lce(L, np.zeros((5, 2), np.int64), w=np.ones((4, 2, 3), np.float32),
                           linear_bias=L.zeros(4, 2), options={}),
    "bad_reduction": lambda L: lce(L, reduction="avg", options={}),
    "elementwise_mean": lambda L: lce(L, reduction="elementwise_mean", options={}),
    "label_smoothing_and_conflicting_options": lambda L: lce(L, label_smoothing=0.1, options=dict(
        batch_chunk_size=3, chunking_method="aspect_ratio")),
    "module": lambda L: _module_loss(L),
    # no warning
    "chunked": lambda L: lce(L, options={}),
    "reference_label_smoothing": lambda L: lce(L, label_smoothing=0.1),
}


@pytest.mark.parametrize("key", sorted(WARNING_CALLS))
def test_options_ignored_warning(key):
    ref = golden.json(f"warning/{key}", lambda: _with_warnings(torch, WARNING_CALLS[key]))
    got = _with_warnings(npgrad, WARNING_CALLS[key])
    assert got["warnings"] == [[c, in_torch_words(m)] for c, m in ref["warnings"]]
    assert got["here"] == ref["here"] and got["outcome"][0] == ref["outcome"][0]
    if ref["outcome"][0] == "value":
        assert got["outcome"][1] == pytest.approx(ref["outcome"][1], rel=1e-5)
    else:
        assert got["outcome"][1] == in_torch_words(ref["outcome"][1])


# --------------------------------------------------------------------------- grad_fn names and module shells
def _node_names(L):
    def name(call):
        out = call()
        return None if out.grad_fn is None else type(out.grad_fn).__name__

    def run(target=T5, x=X, w_grad=False, **kwargs):
        return lambda: F(L).linear_cross_entropy(L.tensor(x, requires_grad=not w_grad),
                                                 L.tensor(W, requires_grad=w_grad), L.tensor(target), **kwargs)

    names = {}
    for reduction in ("mean", "sum", "none"):
        names[f"reference/{reduction}"] = name(run(reduction=reduction))
        names[f"reference_unbatched/{reduction}"] = name(run(2, X[0], reduction=reduction))
        names[f"chunked/{reduction}"] = name(run(reduction=reduction, options=opts(L)))
        names[f"chunked_unbatched/{reduction}"] = name(run(2, X[0], reduction=reduction, options=opts(L)))
        names[f"chunked_weight_grad/{reduction}"] = name(run(reduction=reduction, w_grad=True, options=opts(L)))
    names["reference_smoothing"] = name(run(label_smoothing=0.1))
    names["no_grad"] = name(lambda: F(L).linear_cross_entropy(L.tensor(X), L.tensor(W), L.tensor(T5),
                                                              options=opts(L)))
    return names


def test_grad_fn_names():
    assert _node_names(npgrad) == golden.json("grad_fn_names", lambda: _node_names(torch))


def test_loss_module_constants():
    def constants(L):
        return {"ctc": L.nn.CTCLoss.__constants__, "lce": L.nn.LinearCrossEntropyLoss.__constants__}

    assert constants(npgrad) == golden.json("module_constants", lambda: constants(torch))
