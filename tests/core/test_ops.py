"""The op table: every differentiable primitive against torch, with float64 gradcheck."""
import math

import numpy as np
import pytest

import npgrad
from harness import Case, check_case
from oracle import Golden, torch

golden = Golden("ops")


def _ints(rng, shape, hi):
    return rng.integers(0, hi, shape)


def _ties(rng):
    a = rng.standard_normal((3, 4))
    a[0, 1] = a[0, 2] = a[0].max() + 1  # ties in a row
    return [a]


def _zero_vectors(rng):
    """A (3, 4, 5) input holding zero vectors along every dim (and a zero (4, 5) matrix), where a norm is not
    differentiable and PyTorch's gradient is 0."""
    a = rng.standard_normal((3, 4, 5))
    a[1] = 0
    a[0, :, 2] = 0
    a[2, 1, :] = 0
    return [a]


# the orders of Tensor.norm / npgrad.norm, and the (dim, keepdim) they reduce over
NORM_ORDERS = [0, 1, 1.5, 2, 3, math.inf, -math.inf, 0.5, -1, "fro"]
NORM_DIMS = [(None, False), (1, True), (-1, False), ((0, 2), False), ((1, 2), True)]


CASES = [
    # arithmetic with broadcasting
    Case("add", lambda L, a, b: a + b, [(3, 4), (4,)]),
    Case("add_scalar", lambda L, a: 2.5 + a, [(3,)]),
    Case("add_alpha", lambda L, a, b: L.add(a, b, alpha=0.5), [(2, 3), (2, 3)]),
    Case("sub", lambda L, a, b: a - b, [(3, 1), (1, 4)]),
    Case("rsub", lambda L, a: 1.0 - a, [(5,)]),
    Case("mul", lambda L, a, b: a * b, [(2, 3, 4), (3, 1)]),
    Case("div", lambda L, a, b: a / b, [(3, 4), (4,)], positive=True),
    Case("rdiv", lambda L, a: 2.0 / a, [(3,)], positive=True),
    Case("neg", lambda L, a: -a, [(3, 2)]),
    Case("pow_scalar", lambda L, a: a ** 3, [(4,)]),
    Case("pow_frac", lambda L, a: a ** 0.5, [(4,)], positive=True),
    Case("pow_tensor", lambda L, a, b: a ** b, [(3,), (3,)], positive=True),
    Case("rpow", lambda L, a: 2.0 ** a, [(3,)]),
    Case("matmul_2d", lambda L, a, b: a @ b, [(3, 4), (4, 5)]),
    Case("matmul_batched_bcast", lambda L, a, b: a @ b, [(2, 3, 4), (4, 5)]),
    Case("matmul_batched_both", lambda L, a, b: L.matmul(a, b), [(2, 1, 3, 4), (3, 4, 2)]),
    Case("matmul_vec_mat", lambda L, a, b: a @ b, [(4,), (4, 5)]),
    Case("matmul_mat_vec", lambda L, a, b: a @ b, [(3, 4), (4,)]),
    Case("matmul_vec_vec", lambda L, a, b: a @ b, [(4,), (4,)]),
    Case("matmul_batch_vec", lambda L, a, b: a @ b, [(2, 3, 4), (4,)]),
    # math
    Case("exp", lambda L, a: a.exp(), [(3, 4)]),
    Case("expm1", lambda L, a: L.expm1(a), [(5,)]),
    Case("log", lambda L, a: a.log(), [(3, 4)], positive=True),
    Case("log1p", lambda L, a: a.log1p(), [(3,)], positive=True),
    Case("log2", lambda L, a: a.log2(), [(3,)], positive=True),
    Case("sqrt", lambda L, a: a.sqrt(), [(3, 4)], positive=True),
    Case("rsqrt", lambda L, a: a.rsqrt(), [(3,)], positive=True),
    Case("abs", lambda L, a: a.abs(), [(3, 4)]),
    Case("sin_cos", lambda L, a: a.sin() * a.cos(), [(6,)]),
    Case("tanh", lambda L, a: a.tanh(), [(3, 4)]),
    Case("sigmoid", lambda L, a: a.sigmoid(), [(3, 4)]),
    Case("sigmoid_extreme", lambda L, a: (a * 800).sigmoid(), [(6,)], gradcheck=False),
    Case("relu", lambda L, a: a.relu(), [(3, 4)]),
    Case("erf", lambda L, a: L.erf(a), [(3, 4)]),
    Case("clamp", lambda L, a: a.clamp(-0.5, 0.5), [(4, 5)]),
    Case("clamp_min", lambda L, a: a.clamp(min=0.1), [(4, 5)]),
    Case("clamp_tensor_bounds", lambda L, a, lo, hi: a.clamp(lo, hi + 1.5), [(4,), (4,), (4,)]),
    Case("maximum", lambda L, a, b: L.maximum(a, b), [(3, 4), (4,)]),
    Case("minimum", lambda L, a, b: L.minimum(a, b), [(3, 4), (3, 4)]),
    Case("where", lambda L, a, b: L.where(a > 0, a, b), [(3, 4), (3, 4)]),
    Case("where_scalar", lambda L, a: L.where(a > 0, a, 0.0), [(3, 4)]),
    Case("lerp", lambda L, a, b: L.lerp(a, b, 0.3), [(3,), (3,)]),
    Case("square", lambda L, a: a.square(), [(3,)]),
    Case("reciprocal", lambda L, a: a.reciprocal(), [(3,)], positive=True),
    # reductions
    Case("sum_all", lambda L, a: a.sum(), [(3, 4)]),
    Case("sum_dim", lambda L, a: a.sum(1), [(3, 4, 2)]),
    Case("sum_dims_keepdim", lambda L, a: a.sum((0, 2), keepdim=True), [(3, 4, 2)]),
    Case("sum_neg_dim", lambda L, a: a.sum(dim=-1), [(3, 4)]),
    Case("mean_all", lambda L, a: a.mean(), [(3, 4)]),
    Case("mean_dim_keepdim", lambda L, a: a.mean(0, keepdim=True), [(3, 4)]),
    Case("prod_dim", lambda L, a: a.prod(1), [(3, 4)]),
    Case("prod_all", lambda L, a: a.prod(), [(2, 3)]),
    Case("max_dim", lambda L, a: a.max(1), [(3, 4)]),
    Case("min_dim_keepdim", lambda L, a: a.min(0, keepdim=True), [(3, 4)]),
    Case("max_all", lambda L, a: a.max(), [(3, 4)]),
    Case("max_all_ties", lambda L, a: a.max(), None, inputs=_ties, gradcheck=False),
    Case("amax_ties", lambda L, a: a.amax(1), None, inputs=_ties, gradcheck=False),
    Case("amin_dims", lambda L, a: a.amin((0, 1)), [(3, 4, 2)]),
    Case("argmax", lambda L, a: a.argmax(1), [(3, 4)], grad=False),
    Case("argmin_all", lambda L, a: a.argmin(), [(3, 4)], grad=False),
    Case("var", lambda L, a: a.var(1), [(3, 5)]),
    Case("var_biased", lambda L, a: a.var(0, unbiased=False), [(4, 3)]),
    Case("var_correction", lambda L, a: a.var(dim=1, correction=0, keepdim=True), [(4, 3)]),
    Case("std_all", lambda L, a: a.std(), [(4, 3)]),
    Case("logsumexp", lambda L, a: a.logsumexp(1), [(3, 5)]),
    Case("logsumexp_big", lambda L, a: (a * 1e4).logsumexp(0), [(4,)], gradcheck=False),
    Case("softmax", lambda L, a: a.softmax(-1), [(3, 5)]),
    Case("softmax_dim0", lambda L, a: L.softmax(a, 0), [(3, 5)]),
    Case("log_softmax", lambda L, a: a.log_softmax(1), [(3, 5)]),
    Case("log_softmax_3d", lambda L, a: L.log_softmax(a, dim=1), [(2, 4, 3)]),
    Case("cumsum", lambda L, a: a.cumsum(1), [(3, 4)]),
    Case("cumprod", lambda L, a: a.cumprod(0), [(4, 3)]),
    Case("norm2", lambda L, a: a.norm(), [(3, 4)]),
    Case("norm_dim_p1", lambda L, a: a.norm(p=1, dim=1), [(3, 4)]),
    Case("norm_p3", lambda L, a: a.norm(p=3, dim=0), [(3, 4)]),
    *[Case(f"norm_{p}_{dim}_{keepdim}_zero_vectors",
           lambda L, a, p=p, dim=dim, keepdim=keepdim: a.norm(p, dim, keepdim), None, inputs=_zero_vectors)
      for p in NORM_ORDERS for dim, keepdim in NORM_DIMS],
    *[Case(f"norm_nuc_{dim}_{keepdim}", lambda L, a, dim=dim, keepdim=keepdim: a.norm("nuc", dim, keepdim),
           [(3, 4, 5)]) for dim in ((1, 2), (0, 2), (-1, 0)) for keepdim in (False, True)],
    Case("norm_nuc_matrix", lambda L, a: L.norm(a, "nuc"), [(4, 3)]),
    Case("norm_fro_matrix_fn", lambda L, a: L.norm(a, "fro", dim=1), [(4, 3)]),
    # shape
    Case("reshape", lambda L, a: a.reshape(4, -1) * 2, [(2, 3, 2)]),
    Case("view", lambda L, a: a.view(6, 2), [(3, 4)]),
    Case("permute", lambda L, a: a.permute(2, 0, 1), [(2, 3, 4)]),
    Case("transpose", lambda L, a: a.transpose(0, 2), [(2, 3, 4)]),
    Case("t", lambda L, a: a.t(), [(2, 3)]),
    Case("mT", lambda L, a: a.mT, [(2, 3, 4)]),
    Case("squeeze", lambda L, a: a.squeeze(), [(1, 3, 1, 2)]),
    Case("squeeze_dim", lambda L, a: a.squeeze(2), [(1, 3, 1, 2)]),
    Case("unsqueeze", lambda L, a: a.unsqueeze(-1), [(3, 2)]),
    Case("flatten", lambda L, a: a.flatten(1), [(2, 3, 4)]),
    Case("unflatten", lambda L, a: a.unflatten(1, (2, 3)), [(2, 6)]),
    Case("expand", lambda L, a: a.expand(2, 3, 4), [(3, 1)]),
    Case("expand_as", lambda L, a, b: a.expand_as(b) * b, [(1, 4), (3, 4)]),
    Case("repeat", lambda L, a: a.repeat(2, 3), [(2, 3)]),
    Case("repeat_lead", lambda L, a: a.repeat(2, 1, 2), [(2, 3)]),
    Case("cat", lambda L, a, b: L.cat([a, b], dim=1), [(2, 3), (2, 4)]),
    Case("cat_neg_dim", lambda L, a, b, c: L.cat((a, b, c), -1), [(2, 1), (2, 2), (2, 3)]),
    Case("stack", lambda L, a, b: L.stack([a, b], 1), [(2, 3), (2, 3)]),
    Case("split", lambda L, a: a.split(2, dim=1), [(3, 5)]),
    Case("split_sizes", lambda L, a: a.split([1, 3], 0), [(4, 2)]),
    Case("chunk", lambda L, a: a.chunk(3, 0), [(7, 2)]),
    Case("unbind", lambda L, a: a.unbind(1), [(2, 3)]),
    Case("flip", lambda L, a: a.flip(0, 1), [(3, 4)]),
    Case("roll", lambda L, a: a.roll(1, 0), [(3, 4)]),
    Case("tril", lambda L, a: a.tril(), [(4, 4)]),
    Case("triu_k", lambda L, a: a.triu(1), [(3, 4)]),
    Case("narrow", lambda L, a: a.narrow(1, 1, 2), [(3, 4)]),
    Case("movedim", lambda L, a: a.movedim(0, -1), [(2, 3, 4)]),
    Case("diagonal", lambda L, a: a.diagonal(), [(3, 3)]),
    Case("diagonal_offset", lambda L, a: a.diagonal(1), [(3, 4)]),
    Case("contiguous_T", lambda L, a: a.T.contiguous() * 1.0, [(3, 4)]),
    # indexing
    Case("getitem_int", lambda L, a: a[1], [(3, 4)]),
    Case("getitem_slice", lambda L, a: a[1:, ::2], [(3, 4)]),
    Case("getitem_neg_ellipsis", lambda L, a: a[..., -1], [(2, 3, 4)]),
    Case("getitem_none", lambda L, a: a[None, :, 1], [(3, 4)]),
    Case("getitem_repeated_index", lambda L, a, i: a[i], None,
         inputs=lambda r: [r.standard_normal((4, 3)), np.array([0, 2, 0, 0, 3])]),
    Case("getitem_two_arrays", lambda L, a, i, j: a[i, j], None,
         inputs=lambda r: [r.standard_normal((4, 3)), np.array([0, 1, 1]), np.array([2, 2, 2])]),
    Case("getitem_bool_mask", lambda L, a: a[a > 0], [(4, 3)]),
    Case("getitem_mixed", lambda L, a, i: a[:, i], None,
         inputs=lambda r: [r.standard_normal((2, 4)), np.array([3, 3, 1])]),
    Case("gather", lambda L, a, i: a.gather(1, i), None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.integers(0, 4, (3, 5))]),
    Case("scatter_add", lambda L, a, i, s: a.scatter_add(0, i, s), None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.integers(0, 3, (2, 4)), r.standard_normal((2, 4))]),
    Case("scatter_unique", lambda L, a, i, s: a.scatter(1, i, s), None,
         inputs=lambda r: [r.standard_normal((2, 4)), np.array([[3, 1], [0, 2]]), r.standard_normal((2, 2))]),
    Case("index_select", lambda L, a, i: a.index_select(0, i), None,
         inputs=lambda r: [r.standard_normal((4, 3)), np.array([3, 0, 3])]),
    Case("index_add", lambda L, a, i, s: a.index_add(0, i, s), None,
         inputs=lambda r: [r.standard_normal((4, 3)), np.array([1, 1, 2]), r.standard_normal((3, 3))]),
    Case("masked_fill", lambda L, a: a.masked_fill(a > 0.3, -1.0), [(3, 4)]),
    Case("masked_select", lambda L, a: a.masked_select(a < 0), [(3, 4)]),
    Case("take_along_dim", lambda L, a, i: L.take_along_dim(a, i, 1), None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.integers(0, 4, (3, 2))]),
    Case("sort", lambda L, a: a.sort(1, descending=True), [(3, 5)]),
    Case("topk", lambda L, a: a.topk(2, dim=1), [(3, 5)]),
    Case("einsum_matmul", lambda L, a, b: L.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    Case("einsum_batched", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 4)]),
    Case("einsum_outer_sum", lambda L, a, b: L.einsum("i,j->ij", a, b).sum(0), [(3,), (4,)]),
    Case("outer", lambda L, a, b: L.outer(a, b), [(3,), (2,)]),
    Case("dot", lambda L, a, b: L.dot(a, b), [(4,), (4,)]),
    Case("bmm", lambda L, a, b: L.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    # comparisons and dtypes (forward only)
    Case("compare", lambda L, a, b: (a > b, a <= b, a == a, a != b), [(3,), (3,)], grad=False),
    Case("to_float32", lambda L, a: a.float() * 2, [(3,)], grad=False, rtol=1e-6),
    Case("int_plus_float_scalar", lambda L, i: i + 0.5, None, grad=False,
         inputs=lambda r: [r.integers(0, 5, (3,))]),
    Case("int_div", lambda L, i: i / 2, None, grad=False, inputs=lambda r: [r.integers(0, 5, (3,))]),
    Case("int_sum", lambda L, i: i.sum(), None, grad=False, inputs=lambda r: [r.integers(0, 5, (3, 2))]),
    Case("float32_plus_float64_scalar_tensor", lambda L, a, s: a.float() + s, [(3,), ()], grad=False,
         rtol=1e-6),
    # activations from functional
    Case("F_gelu", lambda L, a: L.nn.functional.gelu(a), [(3, 4)]),
    Case("F_gelu_tanh", lambda L, a: L.nn.functional.gelu(a, approximate="tanh"), [(3, 4)]),
    Case("F_silu", lambda L, a: L.nn.functional.silu(a), [(3, 4)]),
    Case("F_elu", lambda L, a: L.nn.functional.elu(a, 0.7), [(3, 4)]),
    Case("F_selu", lambda L, a: L.nn.functional.selu(a), [(3, 4)]),
    Case("F_celu", lambda L, a: L.nn.functional.celu(a, 1.3), [(3, 4)]),
    Case("F_leaky_relu", lambda L, a: L.nn.functional.leaky_relu(a, 0.2), [(3, 4)]),
    Case("F_softplus", lambda L, a: L.nn.functional.softplus(a * 10, beta=2, threshold=5), [(3, 4)]),
    Case("F_logsigmoid", lambda L, a: L.nn.functional.logsigmoid(a * 30), [(3, 4)]),
    Case("F_mish", lambda L, a: L.nn.functional.mish(a), [(3, 4)]),
    Case("F_hardtanh", lambda L, a: L.nn.functional.hardtanh(a), [(3, 4)]),
    Case("F_softsign", lambda L, a: L.nn.functional.softsign(a), [(3, 4)]),
    Case("F_glu", lambda L, a: L.nn.functional.glu(a), [(3, 4)]),
    Case("F_linear", lambda L, x, w, b: L.nn.functional.linear(x, w, b), [(5, 3), (4, 3), (4,)]),
    Case("F_linear_3d", lambda L, x, w: L.nn.functional.linear(x, w), [(2, 5, 3), (4, 3)]),
    Case("F_layer_norm", lambda L, x, w, b: L.nn.functional.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    Case("F_layer_norm_2d", lambda L, x: L.nn.functional.layer_norm(x, (3, 4), eps=1e-3), [(2, 3, 4)]),
    Case("F_normalize", lambda L, x: L.nn.functional.normalize(x, dim=1), [(3, 4)]),
    Case("F_cosine_similarity", lambda L, a, b: L.nn.functional.cosine_similarity(a, b), [(3, 4), (3, 4)]),
    Case("F_pairwise_distance", lambda L, a, b: L.nn.functional.pairwise_distance(a, b), [(3, 4), (3, 4)]),
    Case("F_pad", lambda L, x: L.nn.functional.pad(x, (1, 2, 0, 1), value=0.5), [(2, 3, 4)]),
    Case("F_embedding", lambda L, i, w: L.nn.functional.embedding(i, w), None,
         inputs=lambda r: [np.array([[0, 2], [2, 2]]), r.standard_normal((3, 4))]),
    Case("F_embedding_padding", lambda L, i, w: L.nn.functional.embedding(i, w, padding_idx=1), None,
         inputs=lambda r: [np.array([0, 1, 1, 2]), r.standard_normal((3, 2))], gradcheck=False),
    Case("F_batch_norm_train", lambda L, x, w, b: L.nn.functional.batch_norm(
        x, None, None, w, b, training=True), [(6, 3), (3,), (3,)]),
    Case("F_one_hot", lambda L, i: L.nn.functional.one_hot(i, 5), None, grad=False,
         inputs=lambda r: [r.integers(0, 5, (4,))]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_case(case, golden)


# --------------------------------------------------------------------------- Tensor.norm in float32 and float64


def _norm_run(L, p, dim, keepdim, dtype, out_dtype, method):
    x = L.tensor(_zero_vectors(np.random.default_rng(7))[0], dtype=getattr(L, dtype), requires_grad=True)
    kwargs = {} if out_dtype is None else {"dtype": getattr(L, out_dtype)}
    y = x.norm(p, dim, keepdim, **kwargs) if method else L.norm(x, p, dim, keepdim, **kwargs)
    g = np.random.default_rng(8).standard_normal(tuple(y.shape))
    y.backward(L.tensor(g, dtype=y.dtype))
    grad = np.zeros(0) if x.grad is None else x.grad.numpy()
    return {"y": y.detach().numpy(), "grad": grad, "info": np.array([y.grad_fn.name(), str(y.dtype).split(".")[-1],
                                                                     str(grad.dtype)])}


NORM_RUNS = [(p, dim, keepdim, dtype, out_dtype, method)
             for p in NORM_ORDERS
             for dim, keepdim, method in ((None, False, True), (-1, True, False), ((1, 2), False, True))
             for dtype, out_dtype in (("float32", None), ("float64", None), ("float32", "float64"))]


@pytest.mark.parametrize("run", NORM_RUNS, ids=["-".join(map(str, r)) for r in NORM_RUNS])
def test_norm_matches_torch(run):
    """Values, gradients (0 at zero vectors, as PyTorch's), dtypes and grad_fn of ``Tensor.norm`` /
    ``npgrad.norm`` in float32 and float64, and with ``dtype=``."""
    key = "norm/" + "/".join(map(str, run))
    ref = golden(key, lambda: _norm_run(torch, *run))
    got = _norm_run(npgrad, *run)
    assert list(got["info"]) == [str(v) for v in ref["info"]], key
    tol = 2e-6 if run[3] == "float32" else 1e-12
    for k in ("y", "grad"):
        assert got[k].shape == ref[k].shape, (key, k)
        np.testing.assert_allclose(got[k], ref[k], rtol=tol, atol=tol, err_msg=f"{key} {k}")
    assert not np.isnan(got["grad"]).any(), key


def test_norm_nuc_and_out():
    """``'nuc'`` is ``linalg.matrix_norm`` (over all dims without ``dim``); ``npgrad.norm`` writes into ``out``."""
    x = npgrad.tensor(np.random.default_rng(3).standard_normal((3, 4)))
    np.testing.assert_allclose(x.norm("nuc").item(), np.linalg.norm(x.numpy(), "nuc"), rtol=1e-12)
    out = npgrad.empty((), dtype=npgrad.float64)
    assert npgrad.norm(x, 1, out=out) is out
    np.testing.assert_allclose(out.item(), np.abs(x.numpy()).sum(), rtol=1e-12)
