"""Products, constructions, scatters, splits and statistics against torch: values, dtypes, input
gradients (float64, with gradcheck), error messages and warnings."""
import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import npgrad
from npgrad.ops import products
from harness import Case, check_case, error_of
from oracle import Golden

golden = Golden("products")


def _ints(shape, hi, lo=0):
    return lambda r: [r.integers(lo, hi, shape)]


def _no_ties(shape):
    """Distinct values (a permutation scaled), so that sorting and selection have one answer."""
    def make(r):
        n = int(np.prod(shape))
        return [(r.permutation(n) + r.uniform(0.1, 0.9, n)).reshape(shape) / n]
    return make


def _with_nan(r):
    x = _no_ties((3, 5))(r)[0]
    x[0, 1] = x[0, 3] = x[2, 0] = np.nan
    return [x]


def _all_nan_row(r):
    x = _no_ties((3, 5))(r)[0]
    x[1] = np.nan
    x[0, 2] = np.nan
    return [x]


def _q(values):
    return lambda r: [_no_ties((3, 5))(r)[0], np.array(values)]


def _float32(fn):
    """A case run in float32: the inputs are cast first (no gradients)."""
    return lambda L, *xs: fn(L, *[x.float() if x.is_floating_point() else x for x in xs])


CASES = [
    # products with a scaled input
    Case("addmm", lambda L, x, a, b: L.addmm(x, a, b), [(2, 3), (2, 4), (4, 3)]),
    Case("addmm_broadcast_scaled", lambda L, x, a, b: L.addmm(x, a, b, beta=0.5, alpha=-2.0), [(3,), (2, 4), (4, 3)]),
    Case("addmm_method_beta0", lambda L, x, a, b: x.addmm(a, b, beta=0), [(1, 3), (2, 4), (4, 3)]),
    Case("addmm_beta0_ignores_nan", lambda L, x, a, b: L.addmm(x, a, b, beta=0.0), None,
         inputs=lambda r: [np.full((2, 3), np.nan), r.standard_normal((2, 4)), r.standard_normal((4, 3))]),
    Case("addmm_alpha0", lambda L, x, a, b: L.addmm(x, a, b, alpha=0), [(2, 3), (2, 4), (4, 3)]),
    Case("addmm_float32", _float32(lambda L, x, a, b: L.addmm(x, a, b, alpha=1.5)), [(2, 3), (2, 4), (4, 3)],
         grad=False, rtol=1e-6),
    Case("addmm_int", lambda L, x, a, b: L.addmm(x, a, b, beta=1.5, alpha=2.5), None, grad=False,
         inputs=lambda r: [r.integers(-3, 4, (2, 3)), r.integers(-3, 4, (2, 4)), r.integers(-3, 4, (4, 3))]),
    Case("addmm_empty_inner", lambda L, x, a, b: L.addmm(x, a, b), [(2, 3), (2, 0), (0, 3)], gradcheck=False),
    Case("addmv", lambda L, x, m, v: L.addmv(x, m, v, beta=2.0, alpha=0.5), [(3,), (3, 4), (4,)]),
    Case("addmv_scalar_input", lambda L, x, m, v: x.addmv(m, v), [(1,), (3, 4), (4,)]),
    Case("addmv_int", lambda L, x, m, v: L.addmv(x, m, v, beta=0.5, alpha=2.5), None, grad=False,
         inputs=lambda r: [r.integers(-3, 4, (2,)), r.integers(-3, 4, (2, 3)), r.integers(-3, 4, (3,))]),
    Case("addr", lambda L, x, a, b: L.addr(x, a, b, beta=-1.0, alpha=3.0), [(3, 2), (3,), (2,)]),
    Case("addr_broadcast", lambda L, x, a, b: x.addr(a, b), [(1,), (3,), (4,)]),
    Case("addr_promotes", lambda L, x, a, b: L.addr(x, a, b), None, grad=False,
         inputs=lambda r: [r.integers(0, 4, (2, 3)), r.integers(0, 4, (2,)), r.standard_normal(3).astype(np.float32)],
         rtol=1e-6),
    Case("addr_bool", lambda L, x, a, b: L.addr(x, a, b), None, grad=False,
         inputs=lambda r: [r.random((2, 3)) < 0.5, r.random(2) < 0.5, r.random(3) < 0.5]),
    Case("baddbmm", lambda L, x, a, b: L.baddbmm(x, a, b, beta=0.3, alpha=1.7), [(2, 3, 4), (2, 3, 5), (2, 5, 4)]),
    Case("baddbmm_broadcast", lambda L, x, a, b: x.baddbmm(a, b), [(3, 1), (2, 3, 5), (2, 5, 4)]),
    Case("addbmm", lambda L, x, a, b: L.addbmm(x, a, b, beta=2.0, alpha=0.5), [(3, 4), (5, 3, 2), (5, 2, 4)]),
    Case("addbmm_broadcast", lambda L, x, a, b: x.addbmm(a, b), [(4,), (2, 3, 2), (2, 2, 4)]),
    Case("addbmm_no_batches", lambda L, x, a, b: L.addbmm(x, a, b, beta=2.0), [(3, 4), (0, 3, 2), (0, 2, 4)],
         gradcheck=False),
    Case("chain_matmul_2", lambda L, a, b: L.chain_matmul(a, b), [(2, 3), (3, 4)]),
    Case("chain_matmul_3", lambda L, a, b, c: L.chain_matmul(a, b, c), [(5, 2), (2, 6), (6, 3)]),
    Case("chain_matmul_5", lambda L, *ms: L.chain_matmul(*ms), [(3, 7), (7, 2), (2, 8), (8, 1), (1, 4)]),
    Case("chain_matmul_1", lambda L, a: L.chain_matmul(a), [(2, 3)]),
    Case("kron_2d", lambda L, a, b: L.kron(a, b), [(2, 3), (3, 2)]),
    Case("kron_mixed_ndim", lambda L, a, b: a.kron(b), [(2,), (3, 2, 2)]),
    Case("kron_0d", lambda L, a, b: L.kron(a, b), [(), (3,)]),
    Case("kron_int_promotes", lambda L, a, b: L.kron(a, b), None, grad=False,
         inputs=lambda r: [r.integers(0, 5, (2, 2)), r.standard_normal(3)]),
    Case("tensordot_int", lambda L, a, b: L.tensordot(a, b, 1), [(2, 3), (3, 4)]),
    Case("tensordot_default", lambda L, a, b: L.tensordot(a, b), [(2, 3, 4), (3, 4, 5)]),
    Case("tensordot_lists", lambda L, a, b: L.tensordot(a, b, ([1, 0], [0, 1])), [(3, 4, 5), (4, 3, 2)]),
    Case("tensordot_negative_dims", lambda L, a, b: L.tensordot(a, b, ([-2, -1], [1, 0])), [(2, 3, 4), (4, 3, 5)]),
    Case("tensordot_broadcast_1", lambda L, a, b: L.tensordot(a, b, ([1], [1])), [(2, 1, 4), (4, 3, 5)]),
    Case("tensordot_broadcast_2", lambda L, a, b: L.tensordot(a, b, ([1], [1])), [(2, 3, 4), (4, 1, 5)]),
    Case("tensordot_zero", lambda L, a, b: L.tensordot(a, b, 0), [(2,), (3,)]),
    Case("tensordot_tensor_dims", lambda L, a, b: L.tensordot(a, b, L.tensor([[1], [0]])), [(2, 3), (3, 4)]),
    Case("inner", lambda L, a, b: L.inner(a, b), [(2, 3), (4, 3)]),
    Case("inner_vectors", lambda L, a, b: a.inner(b), [(5,), (5,)]),
    Case("inner_scalar", lambda L, a, b: L.inner(a, b), [(), (2, 3)]),
    Case("vdot", lambda L, a, b: L.vdot(a, b), [(5,), (5,)]),
    Case("vdot_int", lambda L, a, b: a.vdot(b), None, grad=False,
         inputs=lambda r: [r.integers(-5, 5, 4), r.integers(-5, 5, 4)]),
    Case("ger", lambda L, a, b: L.ger(a, b), [(3,), (4,)]),
    Case("cross_dim", lambda L, a, b: L.cross(a, b, dim=1), [(4, 3), (4, 3)]),
    Case("cross_broadcast", lambda L, a, b: a.cross(b, dim=-1), [(2, 4, 3), (1, 4, 3)]),
    Case("cross_default_dim", lambda L, a, b: L.cross(a, b), [(3, 5), (3, 5)]),
    Case("cross_int", lambda L, a, b: L.cross(a, b, dim=0), None, grad=False,
         inputs=lambda r: [r.integers(-5, 5, (3, 2)), r.integers(-5, 5, (3, 2))]),
    Case("dist", lambda L, a, b: L.dist(a, b), [(3, 4), (4,)]),
    Case("dist_p3", lambda L, a, b: a.dist(b, 3), [(3, 4), (3, 4)]),
    Case("dist_p_half", lambda L, a, b: L.dist(a, b, 0.5), [(5,), (5,)]),
    Case("dist_inf", lambda L, a, b: L.dist(a, b, float("inf")), [(6,), (6,)]),
    Case("dist_neg_inf", lambda L, a, b: L.dist(a, b, float("-inf")), [(6,), (6,)]),
    Case("dist_p1", lambda L, a, b: L.dist(a, b, 1), [(6,), (6,)]),
    Case("dist_p0", lambda L, a, b: L.dist(a, b, 0), [(6,), (6,)], grad=False),
    Case("renorm", lambda L, x: L.renorm(x * 3, 2, 0, 2.5), [(4, 3)]),
    Case("renorm_dim1_p1", lambda L, x: x.renorm(1, 1, 1.0), [(3, 4)]),
    Case("renorm_3d_inf", lambda L, x: L.renorm(x, float("inf"), -1, 0.8), [(2, 3, 4)]),
    Case("renorm_p3_zero_max", lambda L, x: L.renorm(x, 3, 0, 0.0), [(3, 2)]),
    # constructions
    Case("block_diag", lambda L, a, b, c, d: L.block_diag(a, b, c, d), [(2, 3), (3,), (), (0, 2)], gradcheck=False),
    Case("block_diag_gradcheck", lambda L, a, b, c: L.block_diag(a, b, c), [(2, 3), (3,), ()]),
    Case("block_diag_one", lambda L, a: L.block_diag(a), [(2, 2)]),
    Case("block_diag_promotes", lambda L, a, b, c: L.block_diag(a, b, c), None, grad=False,
         inputs=lambda r: [r.standard_normal((2, 2)).astype(np.float32), r.integers(0, 5, 3), np.array(1.5)]),
    Case("block_diag_int_with_0d_float", lambda L, a, b: L.block_diag(a, b), None, grad=False,
         inputs=lambda r: [r.integers(0, 5, (2, 2)), np.array(1.5)]),
    Case("block_diag_none", lambda L: L.block_diag(), [], grad=False),
    Case("cartesian_prod", lambda L, a, b, c: L.cartesian_prod(a, b, c), [(2,), (3,), (2,)]),
    Case("cartesian_prod_one", lambda L, a: L.cartesian_prod(a) * 1, [(3,)]),
    Case("combinations", lambda L, a: L.combinations(a), [(4,)]),
    Case("combinations_r3", lambda L, a: L.combinations(a, 3), [(5,)]),
    Case("combinations_replacement", lambda L, a: L.combinations(a, 2, with_replacement=True), [(3,)]),
    Case("combinations_r1", lambda L, a: L.combinations(a, r=1), [(3,)]),
    Case("combinations_too_many", lambda L, a: L.combinations(a, 4), [(3,)], grad=False),
    Case("combinations_r0", lambda L, a: L.combinations(a, 0), [(3,)], grad=False),
    Case("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij"), [(2,), (3,)]),
    Case("meshgrid_xy", lambda L, a, b, c: L.meshgrid([a, b, c], indexing="xy"), [(2,), (3,), (4,)]),
    Case("meshgrid_0d", lambda L, a, b: L.meshgrid(a, b, indexing="xy"), [(2,), ()]),
    Case("diag_vector", lambda L, a: L.diag(a), [(3,)]),
    Case("diag_vector_offset", lambda L, a: a.diag(2), [(3,)]),
    Case("diag_vector_negative", lambda L, a: L.diag(a, -1), [(3,)]),
    Case("diag_matrix", lambda L, a: a.diag(), [(3, 4)]),
    Case("diag_matrix_offset", lambda L, a: L.diag(a, 1), [(3, 4)]),
    Case("diag_matrix_far", lambda L, a: L.diag(a, 5), [(3, 4)], gradcheck=False),
    Case("diag_int", lambda L, a: L.diag(a), None, grad=False, inputs=_ints((3,), 9)),
    Case("diag_embed", lambda L, a: L.diag_embed(a), [(2, 3)]),
    Case("diag_embed_dims", lambda L, a: a.diag_embed(1, 0, 2), [(2, 3)]),
    Case("diag_embed_negative", lambda L, a: L.diag_embed(a, -1, 2, 0), [(2, 3)]),
    Case("diagflat", lambda L, a: L.diagflat(a), [(2, 3)]),
    Case("diagflat_offset", lambda L, a: a.diagflat(-1), [(2, 2)]),
    Case("diagflat_0d", lambda L, a: L.diagflat(a), [()]),
    Case("diagonal_scatter", lambda L, x, s: L.diagonal_scatter(x, s), [(3, 4), (3,)]),
    Case("diagonal_scatter_offset", lambda L, x, s: x.diagonal_scatter(s, 1), [(3, 4), (3,)]),
    Case("diagonal_scatter_dims", lambda L, x, s: L.diagonal_scatter(x, s, -1, 2, 0), [(3, 2, 4), (2, 3)]),
    Case("diagonal_scatter_cast", lambda L, x, s: L.diagonal_scatter(x.float(), s), [(3, 3), (3,)], rtol=1e-6,
         gradcheck=False),
    Case("select_scatter", lambda L, x, s: L.select_scatter(x, s, 0, 1), [(3, 4), (4,)]),
    Case("select_scatter_negative", lambda L, x, s: x.select_scatter(s, -1, -2), [(2, 3, 4), (2, 3)]),
    Case("slice_scatter", lambda L, x, s: L.slice_scatter(x, s, 0, 2, 6, 2), [(8, 3), (2, 3)]),
    Case("slice_scatter_tail", lambda L, x, s: x.slice_scatter(s, 1, -2), [(3, 5), (3, 2)]),
    Case("slice_scatter_default", lambda L, x, s: L.slice_scatter(x, s), [(3, 5), (3, 5)]),
    Case("slice_scatter_cast", lambda L, x, s: L.slice_scatter(x.float(), s, end=2), [(3, 2), (2, 2)], rtol=1e-6,
         gradcheck=False),
    Case("tril_indices", lambda L: L.tril_indices(3, 4), [], grad=False),
    Case("tril_indices_offset", lambda L: L.tril_indices(4, 3, -1, dtype=L.int32), [], grad=False),
    Case("triu_indices", lambda L: L.triu_indices(3, 4, 1), [], grad=False),
    Case("triu_indices_far", lambda L: (L.triu_indices(3, 4, -100), L.tril_indices(0, 3)), [], grad=False),
    Case("rot90", lambda L, x: L.rot90(x), [(2, 3)]),
    Case("rot90_k2", lambda L, x: x.rot90(2, [1, 2]), [(2, 3, 4)]),
    Case("rot90_k3", lambda L, x: L.rot90(x, 3, [0, -1]), [(2, 3, 4)]),
    Case("rot90_k_negative", lambda L, x: L.rot90(x, -1, [1, 0]), [(2, 3)]),
    Case("rot90_k0", lambda L, x: L.rot90(x, 4), [(2, 3)]),
    # torch's own backward of vander fails (it writes into a tensor it saved): values only, gradcheck below
    Case("vander", lambda L, x: L.vander(x), [(4,)], grad=False),
    Case("vander_increasing", lambda L, x: L.vander(x, 5, increasing=True), [(3,)], grad=False),
    Case("vander_n1", lambda L, x: L.vander(x, N=1), [(3,)]),
    Case("vander_n0", lambda L, x: L.vander(x, N=0), [(3,)], grad=False),
    Case("vander_int32", lambda L, x: L.vander(x.int()), None, grad=False, inputs=_ints((3,), 5)),
    Case("vander_bool", lambda L, x: L.vander(x > 2), None, grad=False, inputs=_ints((3,), 5)),
    Case("scalar_tensor", lambda L: (L.scalar_tensor(3), L.scalar_tensor(True), L.scalar_tensor(2, dtype=L.int64),
                                     L.scalar_tensor(1.5, dtype=L.float64)), [], grad=False),
    Case("dstack", lambda L, a, b: L.dstack([a, b]), [(3,), (3,)]),
    Case("dstack_mixed", lambda L, a, b, c: L.dstack((a, b, c)), [(3, 2), (3, 2, 2), (3, 2)]),
    Case("atleast_3d", lambda L, a, b, c, d: L.atleast_3d(a, b, c, d), [(), (3,), (3, 2), (3, 2, 1, 2)]),
    Case("atleast_3d_list", lambda L, a, b: L.atleast_3d([a, b]), [(2,), ()]),
    Case("atleast_3d_one", lambda L, a: L.atleast_3d(a), [(2,)]),
    Case("atleast_2d_many", lambda L, a, b: L.atleast_2d(a, b), [(2,), ()]),
    Case("atleast_1d_many", lambda L, a, b: L.atleast_1d((a, b)), [(2, 1), ()]),
    Case("unravel_index", lambda L, i: L.unravel_index(i, (2, 4)), None, grad=False,
         inputs=lambda r: [np.array([4, 7, 0, 8, -1, -9])]),
    Case("unravel_index_0d", lambda L, i: L.unravel_index(i, 7), None, grad=False, inputs=lambda r: [np.array(5)]),
    Case("unravel_index_3d", lambda L, i: L.unravel_index(i.int(), L.Size([3, 4, 5])), None, grad=False,
         inputs=_ints((2, 3), 60)),
    Case("unravel_index_empty_shape", lambda L, i: L.unravel_index(i, ()), None, grad=False,
         inputs=lambda r: [np.array([0])]),
    Case("trace", lambda L, x: L.trace(x), [(3, 4)]),
    Case("trace_method", lambda L, x: x.trace(), [(4, 2)]),
    Case("trace_int32", lambda L, x: L.trace(x.int()), None, grad=False, inputs=_ints((3, 3), 9)),
    # scatters and indices
    Case("masked_scatter", lambda L, x, s: L.masked_scatter(x, x > 0, s), [(3, 4), (12,)]),
    Case("masked_scatter_broadcast", lambda L, x, m, s: x.masked_scatter(m > 0.5, s), None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.random(4), r.standard_normal((2, 7))]),
    Case("masked_scatter_broadcast_self", lambda L, x, m, s: L.masked_scatter(x, m > 0.5, s), None,
         inputs=lambda r: [r.standard_normal(4), r.random((3, 4)), r.standard_normal(12)]),
    Case("index_reduce_prod", lambda L, x, i, s: x.index_reduce(0, i, s, "prod"), None,
         inputs=lambda r: [r.uniform(0.5, 2, (3, 4)), np.array([0, 2, 0, 0]), r.uniform(0.5, 2, (4, 4))]),
    Case("index_reduce_prod_exclude", lambda L, x, i, s: x.index_reduce(1, i, s, "prod", include_self=False), None,
         inputs=lambda r: [r.uniform(0.5, 2, (3, 4)), np.array([3, 1, 3]), r.uniform(0.5, 2, (3, 3))]),
    Case("index_reduce_mean", lambda L, x, i, s: x.index_reduce(0, i, s, "mean"), None,
         inputs=lambda r: [r.standard_normal((3, 2)), np.array([1, 1, 0, 1]), r.standard_normal((4, 2))]),
    Case("index_reduce_mean_exclude", lambda L, x, i, s: x.index_reduce(0, i, s, "mean", include_self=False), None,
         inputs=lambda r: [r.standard_normal((3, 2)), np.array([1, 1, 0, 1]), r.standard_normal((4, 2))]),
    Case("index_reduce_amax", lambda L, x, i, s: x.index_reduce(-1, i, s, "amax"), None,
         inputs=lambda r: [r.standard_normal((2, 3)), np.array([0, 2, 0, 0, 1]), r.standard_normal((2, 5))]),
    Case("index_reduce_amin_exclude", lambda L, x, i, s: x.index_reduce(0, i, s, "amin", include_self=False),
         None, inputs=lambda r: [r.standard_normal((3, 2)), np.array([2, 2, 0]), r.standard_normal((3, 2))]),
    Case("index_reduce_int_mean", lambda L, x, i, s: x.index_reduce(0, i, s, "mean"), None, grad=False,
         inputs=lambda r: [r.integers(0, 9, (2, 3)), np.array([0, 0, 1]), r.integers(0, 9, (3, 3))]),
    Case("index_reduce_int32_index", lambda L, x, i, s: x.index_reduce(0, i.int(), s, "amax"), None,
         inputs=lambda r: [r.standard_normal((2, 3)), np.array([1, 1, 0]), r.standard_normal((3, 3))]),
    Case("put", lambda L, x, i, s: L.put(x, i, s), None,
         inputs=lambda r: [r.standard_normal((2, 3)), np.array([0, 5, -2]), r.standard_normal(3)]),
    Case("put_accumulate", lambda L, x, i, s: x.put(i, s, accumulate=True), None,
         inputs=lambda r: [r.standard_normal((2, 3)), np.array([[0, 1], [0, -1]]), r.standard_normal((2, 2))]),
    Case("scatter_reduce_top_level", lambda L, x, i, s: L.scatter_reduce(x, 0, i, s, "sum"), None,
         inputs=lambda r: [r.standard_normal(3), np.array([0, 1, 0, 2]), r.standard_normal(4)]),
    Case("index_put_top_level", lambda L, x, i, v: L.index_put(x, (i,), v, accumulate=True), None,
         inputs=lambda r: [r.standard_normal(4), np.array([0, 3, 0]), r.standard_normal(3)]),
    Case("isin", lambda L, a, b: L.isin(a, b), None, grad=False,
         inputs=lambda r: [r.integers(0, 6, (3, 4)), r.integers(0, 6, 3)]),
    Case("isin_invert_unique", lambda L, a, b: L.isin(a, b, assume_unique=True, invert=True), None, grad=False,
         inputs=lambda r: [np.array([1, 4, 2, 7]), np.array([2, 3, 4])]),
    Case("isin_scalars", lambda L, a: (L.isin(a, 2), L.isin(2, a), L.isin(a.double(), a)), None, grad=False,
         inputs=_ints((5,), 4)),
    Case("isin_nan", lambda L, a: L.isin(a, a), None, grad=False, inputs=lambda r: [np.array([1.0, np.nan, 2.0])]),
    # splitting and shape
    Case("vsplit_sections", lambda L, x: L.vsplit(x, 3), [(6, 2)]),
    Case("vsplit_indices", lambda L, x: x.vsplit([1, 3]), [(5, 2)]),
    Case("hsplit_1d", lambda L, x: L.hsplit(x, 3), [(6,)]),
    Case("hsplit_2d", lambda L, x: x.hsplit([2, -1]), [(2, 6)]),
    Case("dsplit_beyond", lambda L, x: L.dsplit(x, (1, 7)), [(2, 2, 6)]),
    Case("dsplit_sections", lambda L, x: x.dsplit(2), [(2, 1, 4)]),
    Case("split_with_sizes", lambda L, x: L.split_with_sizes(x, [2, 3]), [(5, 2)]),
    Case("split_with_sizes_dim", lambda L, x: x.split_with_sizes([1, 0, 1], dim=1), [(5, 2)]),
    Case("unsafe_chunk", lambda L, x: L.unsafe_chunk(x, 2), [(5, 2)]),
    Case("unsafe_chunk_dim", lambda L, x: x.unsafe_chunk(4, -1), [(2, 5)]),
    Case("unsafe_split", lambda L, x: L.unsafe_split(x, 2), [(5, 2)]),
    Case("unsafe_split_method", lambda L, x: x.unsafe_split(3, 1), [(2, 7)]),
    Case("sum_to_size", lambda L, x: x.sum_to_size(1, 3), [(2, 3)]),
    Case("sum_to_size_leading", lambda L, x: x.sum_to_size((3, 1)), [(2, 3, 4)]),
    Case("sum_to_size_same", lambda L, x: x.sum_to_size(2, 3) * 1, [(2, 3)]),
    Case("sum_to_size_int", lambda L, x: (x.sum_to_size(1, 3), x.int().sum_to_size(1, 3), x.int().sum_to_size(2, 3),
                                          (x > 2).sum_to_size(3)), None, grad=False, inputs=_ints((2, 3), 5)),
    Case("ravel", lambda L, x: L.ravel(x.t()), [(2, 3)]),
    Case("swapdims", lambda L, x: L.swapdims(x, 0, 2), [(2, 3, 4)]),
    Case("narrow_copy", lambda L, x: L.narrow_copy(x, 0, 1, 2), [(4, 3)]),
    # torch's own backward of narrow_copy with a negative start fails: values only, gradcheck below
    Case("narrow_copy_negative", lambda L, x: x.narrow_copy(-1, -2, 2), [(4, 3)], grad=False),
    Case("msort", lambda L, x: L.msort(x), None, inputs=_no_ties((4, 3))),
    Case("msort_0d", lambda L, x: x.msort(), [()]),
    Case("unique_consecutive", lambda L, x: L.unique_consecutive(x, return_inverse=True, return_counts=True), None,
         grad=False, inputs=lambda r: [np.array([1, 1, 2, 2, 3, 1, 1, 2])]),
    Case("unique_consecutive_plain", lambda L, x: x.unique_consecutive(), None, grad=False,
         inputs=lambda r: [np.array([[1.0, 1.0], [np.nan, np.nan]])]),
    Case("unique_consecutive_counts", lambda L, x: L.unique_consecutive(x, return_counts=True), None, grad=False,
         inputs=_ints((3, 4), 2)),
    Case("unique_consecutive_dim0", lambda L, x: L.unique_consecutive(x, True, True, dim=0), None, grad=False,
         inputs=lambda r: [np.array([[1, 1], [1, 1], [2, 3], [1, 1]])]),
    Case("unique_consecutive_dim1", lambda L, x: x.unique_consecutive(return_inverse=True, dim=-1), None,
         grad=False, inputs=lambda r: [np.array([[1, 1, 2], [1, 1, 3]])]),
    Case("unique_consecutive_0d", lambda L, x: L.unique_consecutive(x, return_inverse=True), None, grad=False,
         inputs=lambda r: [np.array(2.0)]),
    Case("unique_consecutive_empty", lambda L, x: L.unique_consecutive(x, True, True, dim=0), None, grad=False,
         inputs=lambda r: [np.zeros((0, 2))]),
    # statistics
    Case("cov", lambda L, x: L.cov(x), [(3, 5)]),
    Case("cov_correction0", lambda L, x: x.cov(correction=0), [(2, 4)]),
    Case("cov_vector", lambda L, x: L.cov(x), [(5,)]),
    Case("cov_fweights", lambda L, x, f: L.cov(x, fweights=f), None,
         inputs=lambda r: [r.standard_normal((3, 4)), np.array([1, 2, 0, 3])]),
    Case("cov_aweights", lambda L, x, a: L.cov(x, aweights=a), None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.uniform(0.5, 2, 4)]),
    Case("cov_both_weights", lambda L, x, f, a: L.cov(x, correction=2, fweights=f, aweights=a), None,
         inputs=lambda r: [r.standard_normal((2, 5)), np.array([1, 2, 1, 3, 1]), r.uniform(0.5, 2, 5)]),
    Case("cov_float32_aweights64", lambda L, x, a: L.cov(x.float(), aweights=a), None, grad=False,
         inputs=lambda r: [r.standard_normal((3, 4)), r.uniform(0.5, 2, 4)]),
    Case("cov_int", lambda L, x, f: L.cov(x, fweights=f), None, grad=False,
         inputs=lambda r: [r.integers(0, 9, (3, 4)), np.array([1, 2, 1, 1])], rtol=1e-6),
    Case("cov_no_freedom", lambda L, x: L.cov(x, correction=4), [(2, 4)], grad=False),
    Case("cov_one_observation", lambda L, x, f, a: (
        L.cov(x.clone(), aweights=a), L.cov(x.clone(), fweights=f), L.cov(x.clone(), fweights=f, aweights=a),
        L.cov(x.clone()), L.cov(x.clone(), correction=0, aweights=a), L.cov((x * 10).long(), fweights=f)), None,
        grad=False, inputs=lambda r: [r.standard_normal((3, 1)), np.array([2]), r.uniform(0.1, 1, 1)]),
    Case("cov_0d", lambda L, x: L.cov(x), [()], grad=False),
    Case("cov_empty", lambda L, x: (L.cov(x), L.cov(x.t())), [(3, 0)], grad=False),
    Case("corrcoef", lambda L, x: L.corrcoef(x), [(3, 5)]),
    Case("corrcoef_vector", lambda L, x: x.corrcoef(), [(4,)], gradcheck=False),
    Case("corrcoef_int", lambda L, x: L.corrcoef(x), None, grad=False, inputs=_ints((2, 5), 9), rtol=1e-6),
    *[Case(f"quantile_{mode}", lambda L, x, q, m=mode: L.quantile(x, q, dim=1, interpolation=m), None,
           inputs=_q([0.1, 0.3, 0.55, 0.625, 0.95]), gradcheck=mode != "nearest")
      for mode in ("linear", "lower", "higher", "midpoint", "nearest")],
    *[Case(f"quantile_ends_{mode}", lambda L, x, m=mode: x.quantile(L.tensor([0.0, 0.5, 1.0], dtype=L.float64),
                                                                    dim=0, interpolation=m), None,
           inputs=_no_ties((5, 3)), gradcheck=False)
      for mode in ("linear", "lower", "higher", "midpoint", "nearest")],
    Case("quantile_all", lambda L, x: L.quantile(x, 0.3), None, inputs=_no_ties((3, 4))),
    Case("quantile_all_keepdim", lambda L, x, q: x.quantile(q, keepdim=True), None, inputs=_q([0.2, 0.9])),
    Case("quantile_dim0_keepdim", lambda L, x: L.quantile(x, 0.75, 0, True, interpolation="higher"), None,
         inputs=_no_ties((3, 4))),
    Case("quantile_0d_q", lambda L, x, q: L.quantile(x, q, -1), None, inputs=lambda r: [_no_ties((2, 5))(r)[0],
                                                                                       np.array(0.4)]),
    Case("quantile_0d_input", lambda L, x: (L.quantile(x, 0.5, keepdim=True), L.quantile(x, 0.5, dim=0)), [()]),
    Case("quantile_nan", lambda L, x: L.quantile(x, 0.5, dim=1), None, inputs=_with_nan, gradcheck=False),
    Case("quantile_float32", lambda L, x: L.quantile(x.float(), L.tensor([0.1, 0.33, 0.9]), dim=0), None,
         inputs=_no_ties((5, 3)), grad=False, rtol=1e-6),
    Case("quantile_empty_q", lambda L, x: L.quantile(x, x.new_zeros(0)), [(3,)], grad=False),
    Case("nanquantile", lambda L, x, q: L.nanquantile(x, q, dim=1), None, inputs=lambda r: [_with_nan(r)[0],
                                                                                           np.array([0.25, 0.6])],
         gradcheck=False),
    Case("nanquantile_all_nan_row", lambda L, x: x.nanquantile(0.5, 1, keepdim=True, interpolation="midpoint"),
         None, inputs=_all_nan_row, gradcheck=False),
    Case("nanquantile_flat", lambda L, x: L.nanquantile(x, 0.8, interpolation="nearest"), None, inputs=_with_nan,
         gradcheck=False),
    Case("nanmedian_all", lambda L, x: L.nanmedian(x), None, inputs=_with_nan, gradcheck=False),
    Case("nanmedian_ties_share_gradient", lambda L, x: L.nanmedian(x), None,
         inputs=lambda r: [np.array([1.0, 2.0, np.nan, 2.0, 3.0, 0.5])], gradcheck=False),
    Case("nanmedian_dim", lambda L, x: L.nanmedian(x, 1), None, inputs=_with_nan, gradcheck=False),
    Case("nanmedian_dim_keepdim", lambda L, x: x.nanmedian(0, keepdim=True), None, inputs=_no_ties((4, 3))),
    Case("nanmedian_only_nan", lambda L, x: L.nanmedian(x), None, inputs=lambda r: [np.full(3, np.nan)],
         gradcheck=False),
    Case("nanmedian_0d_dim", lambda L, x: L.nanmedian(x, 0), [()]),
    Case("nanmedian_int", lambda L, x: (L.nanmedian(x), *L.nanmedian(x, 1)), None, grad=False,
         inputs=lambda r: [np.array([[5, 1, 3, 2], [9, 8, 0, 4]])]),
    Case("nanmedian_empty", lambda L, x: (L.nanmedian(x), *L.nanmedian(x, 1)), None, grad=False,
         inputs=lambda r: [np.zeros((0, 3))]),
    Case("histc", lambda L, x: L.histc(x, 4), None, grad=False, inputs=lambda r: [np.array([1.0, 2, 1, 4, 2.5])]),
    Case("histc_range", lambda L, x: x.histc(7, -1.0, 1.5), [(50,)], grad=False),
    Case("histc_float32", lambda L, x: L.histc(x.float(), 10), [(200,)], grad=False),
    Case("histc_one_value", lambda L, x: L.histc(x, 4), None, grad=False, inputs=lambda r: [np.array([2.0, 2.0])]),
    Case("histc_on_edges", lambda L, x: (L.histc(x, 10), L.histc(x.float(), 10), L.histc(x, 7, 0.1, 0.8)), None,
         grad=False, inputs=lambda r: [np.arange(11) / 10]),
    Case("histc_empty", lambda L, x: L.histc(x, 3), [(0,)], grad=False),
    Case("histc_2d", lambda L, x: L.histc(x, 5, 0, 1), None, grad=False, inputs=lambda r: [r.random((4, 6))]),
    Case("histogram", lambda L, x: L.histogram(x, 4), None, grad=False,
         inputs=lambda r: [np.array([1.0, 2, 1, 4, 2.5])]),
    Case("histogram_range_weight", lambda L, x, w: x.histogram(6, range=(-1.0, 2.0), weight=w), [(30,), (30,)],
         grad=False),
    Case("histogram_edges", lambda L, x, w: L.histogram(x, L.tensor([-2.0, -0.5, 0.0, 1.0, 3.0],
                                                                      dtype=L.float64), weight=w, density=True),
         [(40,), (40,)], grad=False),
    Case("histogram_density", lambda L, x: L.histogram(x.float(), 7, density=True), [(300,)], grad=False,
         rtol=1e-6),
    Case("histogram_on_edges", lambda L, x: (*L.histogram(x, 10), *L.histogram(x.float(), 10),
                                              *L.histogram(x, 7, range=(0.1, 0.8))), None,
         grad=False, inputs=lambda r: [np.arange(11) / 10]),
    Case("histogram_one_value", lambda L, x: L.histogram(x, 2), None, grad=False,
         inputs=lambda r: [np.array([2.0, 2.0])]),
    Case("histogram_empty", lambda L, x: L.histogram(x, 2), [(0,)], grad=False),
    Case("histogram_2d_input", lambda L, x: L.histogram(x, 3), [(4, 5)], grad=False),
    Case("bincount", lambda L, x: (L.bincount(x), x.bincount(minlength=8)), None, grad=False, inputs=_ints(10, 5)),
    Case("bincount_weights", lambda L, x, w: (L.bincount(x, w), L.bincount(x, w.float()), x.bincount(x)), None,
         grad=False, inputs=lambda r: [r.integers(0, 5, 6), r.standard_normal(6)], rtol=1e-6),
    Case("bincount_empty", lambda L, x: (L.bincount(x), L.bincount(x, minlength=3)), None, grad=False,
         inputs=lambda r: [np.zeros(0, np.int64)]),
    Case("bincount_int32", lambda L, x: L.bincount(x.int()), None, grad=False, inputs=_ints(7, 4)),
    Case("trapezoid", lambda L, y: L.trapezoid(y), [(3, 4)]),
    Case("trapezoid_dx", lambda L, y: L.trapezoid(y, dx=0.5, dim=0), [(3, 4)]),
    Case("trapezoid_x1d", lambda L, y, x: L.trapezoid(y, x), [(3, 4), (4,)]),
    Case("trapezoid_x1d_dim0", lambda L, y, x: L.trapezoid(y, x, dim=0), [(3, 4), (3,)]),
    Case("trapezoid_x_same_shape", lambda L, y, x: L.trapezoid(y, x), [(3, 4), (3, 4)]),
    Case("trapezoid_x_broadcast", lambda L, y, x: L.trapezoid(y, x, dim=1), [(2, 3, 4), (3, 4)]),
    Case("trapezoid_int", lambda L, y, x: (L.trapezoid(y), L.trapezoid(y, dx=2), L.trapezoid(y, x)), None,
         grad=False, inputs=lambda r: [r.integers(0, 9, (3, 4)), r.integers(0, 9, 4)]),
    Case("trapezoid_empty", lambda L, y: (L.trapezoid(y), L.trapezoid(y, y)), [(3, 0)], grad=False),
    Case("trapezoid_single", lambda L, y: L.trapezoid(y), [(3, 1)]),
    Case("trapezoid_dx_tensor", lambda L, y: L.trapezoid(y, dx=L.tensor(2.0)), [(3, 4)]),
    Case("trapz", lambda L, y, x: (L.trapz(y, x), L.trapz(y, dx=2), L.trapz(y, dim=0)), [(3, 4), (4,)]),
    Case("cumulative_trapezoid", lambda L, y: L.cumulative_trapezoid(y), [(3, 4)]),
    Case("cumulative_trapezoid_dx", lambda L, y: L.cumulative_trapezoid(y, dx=2, dim=0), [(3, 4)]),
    Case("cumulative_trapezoid_x", lambda L, y, x: L.cumulative_trapezoid(y, x), [(3, 4), (4,)]),
    Case("cumulative_trapezoid_int", lambda L, y, x: (L.cumulative_trapezoid(y), L.cumulative_trapezoid(y, x)), None,
         grad=False, inputs=lambda r: [r.integers(0, 9, (3, 4)), r.integers(0, 9, 4)]),
    # float32 runs (values and dtypes)
    *[Case(f"float32_{name}", _float32(fn), shapes, grad=False, rtol=2e-6, atol=1e-6) for name, fn, shapes in [
        ("baddbmm", lambda L, x, a, b: L.baddbmm(x, a, b, alpha=0.5), [(2, 3, 4), (2, 3, 5), (2, 5, 4)]),
        ("addbmm", lambda L, x, a, b: L.addbmm(x, a, b), [(3, 4), (2, 3, 5), (2, 5, 4)]),
        ("addr", lambda L, x, a, b: L.addr(x, a, b, beta=2), [(3, 2), (3,), (2,)]),
        ("kron", lambda L, a, b: L.kron(a, b), [(2, 3), (3, 2)]),
        ("tensordot", lambda L, a, b: L.tensordot(a, b, ([0, 2], [2, 0])), [(3, 4, 5), (5, 2, 3)]),
        ("cross", lambda L, a, b: L.cross(a, b, dim=0), [(3, 4), (3, 4)]),
        ("dist", lambda L, a, b: L.dist(a, b, 3), [(3, 4), (4,)]),
        ("renorm", lambda L, x: L.renorm(x, 2, 1, 0.5), [(3, 4)]),
        ("diag_embed", lambda L, x: L.diag_embed(x, 1), [(2, 3)]),
        ("masked_scatter", lambda L, x, s: L.masked_scatter(x, x > 0, s), [(3, 4), (12,)]),
        ("cov", lambda L, x, a: L.cov(x, aweights=a.abs()), [(3, 5), (5,)]),
        ("corrcoef", lambda L, x: L.corrcoef(x), [(3, 5)]),
        ("trapezoid", lambda L, y, x: (L.trapezoid(y, x), L.cumulative_trapezoid(y, dx=0.3)), [(3, 4), (4,)]),
        ("nanmedian", lambda L, x: (L.nanmedian(x), *L.nanmedian(x, 0)), [(5, 3)]),
    ]],
    Case("index_reduce_amax_ties", lambda L, x, i, s: x.index_reduce(0, i, s, "amax"), None, gradcheck=False,
         inputs=lambda r: [r.integers(0, 3, (2, 3)).astype(float), np.array([0, 1, 0, 0]),
                           r.integers(0, 3, (4, 3)).astype(float)]),
    Case("index_reduce_amin_ties_exclude", lambda L, x, i, s: x.index_reduce(1, i, s, "amin", include_self=False),
         None, gradcheck=False, inputs=lambda r: [r.integers(0, 3, (2, 3)).astype(float), np.array([2, 2, 0]),
                                                  r.integers(0, 3, (2, 3)).astype(float)]),
    Case("cumulative_trapezoid_short", lambda L, y: (L.cumulative_trapezoid(y), L.cumulative_trapezoid(y[:, :0])),
         [(3, 1)], grad=False),
]


def _quiet(fn):
    def run(L, *xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(L, *xs)
    return run


for _case in CASES:
    _case.fn = _quiet(_case.fn)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_against_torch(case):
    check_case(case, golden)


# --------------------------------------------------------------------------- in-place forms


INPLACE = [
    Case("addmm_", lambda L, x, a, b: (x * 1).addmm_(a, b, beta=0.5, alpha=2), [(2, 3), (2, 4), (4, 3)]),
    Case("addmv_", lambda L, x, m, v: (x * 1).addmv_(m, v, alpha=-1), [(3,), (3, 4), (4,)]),
    Case("addmv_top_level", lambda L, x, m, v: L.addmv_(x * 1, m, v), [(3,), (3, 4), (4,)]),
    Case("addr_", lambda L, x, a, b: (x * 1).addr_(a, b, beta=2), [(3, 2), (3,), (2,)]),
    Case("baddbmm_", lambda L, x, a, b: (x * 1).baddbmm_(a, b), [(2, 3, 4), (2, 3, 5), (2, 5, 4)]),
    Case("addbmm_", lambda L, x, a, b: (x * 1).addbmm_(a, b, beta=0), [(3, 4), (5, 3, 2), (5, 2, 4)]),
    Case("renorm_", lambda L, x: (x * 1).renorm_(2, 1, 1.0), [(3, 4)]),
    Case("masked_scatter_", lambda L, x, s: (x * 1).masked_scatter_(x > 0, s), [(3, 4), (12,)]),
    Case("masked_scatter_broadcast_mask_", lambda L, x, m, s: (x * 1).masked_scatter_(m > 0.5, s), None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.random(4), r.standard_normal(12)]),
    Case("index_reduce_", lambda L, x, i, s: (x * 1).index_reduce_(0, i, s, "amin"), None,
         inputs=lambda r: [r.standard_normal((3, 2)), np.array([1, 1, 0, 1]), r.standard_normal((4, 2))]),
    Case("put_", lambda L, x, i, s: (x * 1).put_(i, s), None,
         inputs=lambda r: [r.standard_normal((2, 3)), np.array([0, 5, -2]), r.standard_normal(3)]),
    Case("put_accumulate_", lambda L, x, i, s: (x * 1).put_(i, s, accumulate=True), None,
         inputs=lambda r: [r.standard_normal((2, 3)), np.array([0, 0, 1]), r.standard_normal(3)]),
]
for _case in INPLACE:
    _case.name, _case.fn = f"inplace/{_case.name}", _quiet(_case.fn)


@pytest.mark.parametrize("case", INPLACE, ids=[c.name for c in INPLACE])
def test_inplace_against_torch(case):
    check_case(case, golden)


def test_gradcheck_where_torch_cannot_differentiate():
    """vander and narrow_copy(negative start): torch's backward raises; npgrad's passes gradcheck."""
    x = npgrad.tensor([0.5, -1.2, 2.0], dtype=npgrad.float64, requires_grad=True)
    assert npgrad.autograd.gradcheck(lambda t: npgrad.vander(t), (x,))
    assert npgrad.autograd.gradcheck(lambda t: npgrad.vander(t, 5, increasing=True), (x,))
    y = npgrad.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert npgrad.autograd.gradcheck(lambda t: t.narrow_copy(-1, -2, 2), (y,))


def test_inplace_writes_into_the_tensor():
    x = npgrad.zeros(2, 3)
    assert x.addmm_(npgrad.ones(2, 4), npgrad.ones(4, 3)) is x
    np.testing.assert_array_equal(x.numpy(), np.full((2, 3), 4.0))
    x = npgrad.zeros(5)
    x.put_(npgrad.tensor([0, 4]), npgrad.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.numpy(), [1, 0, 0, 0, 2])
    leaf = npgrad.ones(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        leaf.renorm_(2, 0, 1.0)


# --------------------------------------------------------------------------- errors

ERRORS = {
    "addmm_shapes": lambda L: L.addmm(L.zeros(2, 3), L.zeros(2, 4), L.zeros(5, 3)),
    "addmm_mat1_dims": lambda L: L.addmm(L.zeros(2, 3), L.zeros(2, 4, 1), L.zeros(4, 3)),
    "addmm_mat2_dims": lambda L: L.addmm(L.zeros(2, 3), L.zeros(2, 4), L.zeros(4, 3, 1)),
    "addmm_input_shape": lambda L: L.addmm(L.zeros(4, 3), L.zeros(2, 4), L.zeros(4, 3)),
    "addmm_input_dtype": lambda L: L.addmm(L.zeros(2, 3, dtype=L.float64), L.zeros(2, 4), L.zeros(4, 3)),
    "addmm_mat_dtype": lambda L: L.addmm(L.zeros(2, 3), L.zeros(2, 4, dtype=L.float64), L.zeros(4, 3)),
    "addmm_bool": lambda L: L.addmm(*[L.zeros(2, 2, dtype=L.bool)] * 3),
    "addmm__shape": lambda L: L.zeros(1, 3).addmm_(L.zeros(2, 4), L.zeros(4, 3)),
    "addmv_size": lambda L: L.addmv(L.zeros(2), L.zeros(2, 3), L.zeros(4)),
    "addmv_input_size": lambda L: L.addmv(L.zeros(3), L.zeros(2, 3), L.zeros(3)),
    "addmv_vec_dims": lambda L: L.addmv(L.zeros(2), L.zeros(2, 3), L.zeros(3, 1)),
    "addmv_mat_dims": lambda L: L.addmv(L.zeros(2), L.zeros(2, 3, 1), L.zeros(3)),
    "addmv_dtype": lambda L: L.addmv(L.zeros(2), L.zeros(2, 2), L.zeros(2, dtype=L.float64)),
    "addmv__shape": lambda L: L.zeros(1).addmv_(L.zeros(2, 4), L.zeros(4)),
    "addr_vec1": lambda L: L.addr(L.zeros(2, 3), L.zeros(2, 1), L.zeros(3)),
    "addr_vec2": lambda L: L.addr(L.zeros(2, 3), L.zeros(2), L.zeros(3, 1)),
    "addr_input": lambda L: L.addr(L.zeros(2, 3), L.zeros(2), L.zeros(4)),
    "addr_float_beta_int": lambda L: L.addr(L.zeros(2, 3, dtype=L.int64), L.zeros(2, dtype=L.int64),
                                            L.zeros(3, dtype=L.int64), beta=0.5),
    "addr_float_alpha_int": lambda L: L.addr(L.zeros(2, 3, dtype=L.int64), L.zeros(2, dtype=L.int64),
                                             L.zeros(3, dtype=L.int64), alpha=2.5),
    "addr_bool_beta": lambda L: L.addr(L.zeros(2, 3), L.zeros(2), L.zeros(3), beta=True),
    "addr__shape": lambda L: L.zeros(1, 3).addr_(L.zeros(2), L.zeros(3)),
    "addr__dtype": lambda L: L.zeros(2, 3, dtype=L.int64).addr_(L.zeros(2), L.zeros(3)),
    "baddbmm_batch2": lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(2, 3, 5), L.zeros(2, 6, 4)),
    "baddbmm_batches": lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(2, 3, 5), L.zeros(3, 5, 4)),
    "baddbmm_2d_batch1": lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(3, 5), L.zeros(2, 5, 4)),
    "baddbmm_2d_batch2": lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(2, 3, 5), L.zeros(5, 4)),
    "baddbmm_input": lambda L: L.baddbmm(L.zeros(5, 3, 4), L.zeros(2, 3, 5), L.zeros(2, 5, 4)),
    "baddbmm_input_dtype": lambda L: L.baddbmm(L.zeros(2, 3, 4, dtype=L.float64), L.zeros(2, 3, 5),
                                               L.zeros(2, 5, 4)),
    "baddbmm_batch_dtype": lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(2, 3, 5), L.zeros(2, 5, 4,
                                                                                         dtype=L.float64)),
    "baddbmm__shape": lambda L: L.zeros(1, 2, 3).baddbmm_(L.zeros(2, 2, 4), L.zeros(2, 4, 3)),
    "addbmm_sizes": lambda L: L.addbmm(L.zeros(3, 4), L.zeros(2, 3, 5), L.zeros(2, 6, 4)),
    "addbmm_batches": lambda L: L.addbmm(L.zeros(3, 4), L.zeros(2, 3, 5), L.zeros(3, 5, 4)),
    "addbmm_input": lambda L: L.addbmm(L.zeros(4, 4), L.zeros(2, 3, 5), L.zeros(2, 5, 4)),
    "addbmm_2d": lambda L: L.addbmm(L.zeros(3, 4), L.zeros(3, 5), L.zeros(2, 5, 4)),
    "addbmm_dtype": lambda L: L.addbmm(L.zeros(3, 4), L.zeros(2, 3, 5), L.zeros(2, 5, 4, dtype=L.float64)),
    "addbmm_input_dtype": lambda L: L.addbmm(L.zeros(3, 4, dtype=L.float64), L.zeros(2, 3, 5), L.zeros(2, 5, 4)),
    "chain_matmul_none": lambda L: L.chain_matmul(),
    "chain_matmul_vector": lambda L: L.chain_matmul(L.zeros(3)),
    "chain_matmul_vector_2": lambda L: L.chain_matmul(L.zeros(2, 3), L.zeros(3)),
    "chain_matmul_shapes": lambda L: L.chain_matmul(L.zeros(2, 3), L.zeros(4, 4)),
    "chain_matmul_dtype": lambda L: L.chain_matmul(L.zeros(2, 3), L.zeros(3, 4), L.zeros(4, 2, dtype=L.float64)),
    "tensordot_sizes": lambda L: L.tensordot(L.zeros(2, 3), L.zeros(4, 4), dims=1),
    "tensordot_negative": lambda L: L.tensordot(L.zeros(2, 3), L.zeros(3, 4), dims=-1),
    "tensordot_lengths": lambda L: L.tensordot(L.zeros(2, 3), L.zeros(3, 4), dims=([1], [0, 1])),
    "tensordot_too_many": lambda L: L.tensordot(L.zeros(2, 3), L.zeros(3, 4), dims=3),
    "tensordot_dtype": lambda L: L.tensordot(L.zeros(2, 3), L.zeros(3, 4, dtype=L.float64), dims=1),
    "tensordot_repeated": lambda L: L.tensordot(L.zeros(2, 3, 4), L.zeros(4, 3, 5), ([1, 1], [1, 1])),
    "tensordot_dim_range": lambda L: L.tensordot(L.zeros(2, 3, 4), L.zeros(4, 3, 5), ([3], [1])),
    "tensordot_float_dims": lambda L: L.tensordot(L.zeros(2, 3), L.zeros(3, 4), 1.5),
    "inner_sizes": lambda L: L.inner(L.zeros(2, 3), L.zeros(4)),
    "inner_dtype": lambda L: L.inner(L.zeros(2, 3), L.zeros(4, 3, dtype=L.float64)),
    "vdot_sizes": lambda L: L.vdot(L.zeros(2), L.zeros(3)),
    "vdot_dims": lambda L: L.vdot(L.zeros(2, 1), L.zeros(3)),
    "vdot_dtype": lambda L: L.vdot(L.zeros(2), L.zeros(2, dtype=L.float64)),
    "ger_dims": lambda L: L.ger(L.zeros(2, 1), L.zeros(3)),
    "ger_dims_2": lambda L: L.zeros(2).ger(L.zeros(3, 1)),
    "cross_length": lambda L: L.cross(L.zeros(4, 3), L.zeros(4, 3), dim=0),
    "cross_no_3": lambda L: L.cross(L.zeros(4, 4), L.zeros(4, 4)),
    "cross_dtype": lambda L: L.cross(L.zeros(4, 3), L.zeros(4, 3, dtype=L.float64), dim=1),
    "cross_other_length": lambda L: L.cross(L.zeros(4, 3), L.zeros(4, 2), dim=1),
    "cross_default_dim_other": lambda L: L.cross(L.zeros(3, 3), L.zeros(4, 3)),
    "cross_ndim": lambda L: L.cross(L.zeros(2, 3), L.zeros(5, 2, 3), dim=-1),
    "cross_dim_range": lambda L: L.cross(L.zeros(4, 3), L.zeros(4, 3), dim=2),
    "dist_broadcast": lambda L: L.dist(L.zeros(4, 3), L.zeros(2)),
    "dist_int": lambda L: L.dist(L.zeros(4, 3, dtype=L.int64), L.zeros(3, dtype=L.int64)),
    "dist_number": lambda L: L.dist(L.zeros(2), 1.0),
    "renorm_p": lambda L: L.renorm(L.zeros(3, 4), -1, 0, 1),
    "renorm_maxnorm": lambda L: L.renorm(L.zeros(3, 4), 2, 0, -1),
    "renorm_maxnorm_frac": lambda L: L.renorm(L.zeros(3, 4), 2, 0, -0.25),
    "renorm_dims": lambda L: L.renorm(L.zeros(3), 2, 0, 1),
    "renorm_0d": lambda L: L.renorm(L.tensor(3.0), 2, 0, 1),
    "renorm_dim_range": lambda L: L.renorm(L.zeros(3, 4), 2, 2, 1),
    "renorm_int": lambda L: L.renorm(L.zeros(3, 4, dtype=L.int64), 2, 0, 1),
    "block_diag_3d": lambda L: L.block_diag(L.zeros(2, 2), L.zeros(2, 3, 1)),
    "cartesian_prod_2d": lambda L: L.cartesian_prod(L.zeros(2, 2)),
    "cartesian_prod_dtype": lambda L: L.cartesian_prod(L.zeros(2), L.zeros(3, dtype=L.int64)),
    "cartesian_prod_none": lambda L: L.cartesian_prod(),
    "combinations_2d": lambda L: L.combinations(L.zeros(2, 2)),
    "combinations_negative": lambda L: L.combinations(L.zeros(3), -1),
    "meshgrid_indexing": lambda L: L.meshgrid(L.zeros(2), L.zeros(3), indexing="foo"),
    "meshgrid_dtype": lambda L: L.meshgrid(L.zeros(2), L.zeros(3, dtype=L.int64), indexing="ij"),
    "meshgrid_none": lambda L: L.meshgrid(indexing="ij"),
    "diag_3d": lambda L: L.diag(L.zeros(2, 3, 4)),
    "diag_0d": lambda L: L.diag(L.tensor(2.0)),
    "diag_embed_same_dims": lambda L: L.diag_embed(L.zeros(2, 3), 0, 1, 1),
    "diag_embed_dim_range": lambda L: L.diag_embed(L.zeros(2, 3), 0, 1, 3),
    "diag_embed_0d": lambda L: L.diag_embed(L.tensor(2.0)),
    "diagonal_scatter_size": lambda L: L.diagonal_scatter(L.zeros(3, 4), L.zeros(2)),
    "diagonal_scatter_size_1": lambda L: L.diagonal_scatter(L.zeros(3, 4), L.zeros(1)),
    "select_scatter_size": lambda L: L.select_scatter(L.zeros(3, 4), L.zeros(3), 0, 1),
    "select_scatter_index": lambda L: L.select_scatter(L.zeros(3, 4), L.zeros(4), 0, 3),
    "select_scatter_dim": lambda L: L.select_scatter(L.zeros(3, 4), L.zeros(4), 2, 0),
    "slice_scatter_size": lambda L: L.slice_scatter(L.zeros(8, 4), L.zeros(3, 4), 0, 2, 6, 2),
    "slice_scatter_step": lambda L: L.slice_scatter(L.zeros(8, 4), L.zeros(8, 4), 1, step=0),
    "slice_scatter_negative_step": lambda L: L.slice_scatter(L.zeros(8, 4), L.zeros(8, 4), 1, step=-1),
    "tril_indices_row": lambda L: L.tril_indices(-1, 4, 1),
    "triu_indices_col": lambda L: L.triu_indices(3, -4, 1),
    "tril_indices_float": lambda L: L.tril_indices(3, 4, dtype=L.float32),
    "rot90_dims_len": lambda L: L.rot90(L.zeros(2, 3), 1, [0]),
    "rot90_1d": lambda L: L.rot90(L.zeros(3), 1),
    "rot90_same": lambda L: L.rot90(L.zeros(2, 3), 1, [0, 0]),
    "rot90_same_wrapped": lambda L: L.rot90(L.zeros(2, 3), 1, [0, -2]),
    "rot90_range": lambda L: L.rot90(L.zeros(2, 3), 1, [0, 2]),
    "vander_negative": lambda L: L.vander(L.zeros(3), -1),
    "vander_2d": lambda L: L.vander(L.zeros(2, 2)),
    "empty_strided_dims": lambda L: L.empty_strided((2, 3), (1, 2, 3)),
    "scalar_tensor_tensor": lambda L: L.scalar_tensor(L.zeros(1)),
    "range_step": lambda L: L.range(4, 1, 0),
    "range_sign": lambda L: L.range(4, 1),
    "dstack_sizes": lambda L: L.dstack([L.zeros(3), L.zeros(2)]),
    "dstack_empty": lambda L: L.dstack([]),
    "unravel_index_float": lambda L: L.unravel_index(L.tensor([1.0]), (2, 4)),
    "unravel_index_negative_shape": lambda L: L.unravel_index(L.tensor([1]), (2, -4)),
    "trace_3d": lambda L: L.trace(L.zeros(2, 3, 4)),
    "trace_1d": lambda L: L.zeros(3).trace(),
    "trace_bool": lambda L: L.trace(L.ones(2, 3, dtype=L.bool)),
    "masked_scatter_count": lambda L: L.masked_scatter(L.zeros(2, 3), L.ones(2, 3, dtype=L.bool), L.zeros(5)),
    "masked_scatter_mask_dtype": lambda L: L.masked_scatter(L.zeros(2, 3), L.ones(2, 3, dtype=L.int64), L.zeros(6)),
    "masked_scatter_dtype": lambda L: L.masked_scatter(L.zeros(2, 3), L.ones(2, 3, dtype=L.bool),
                                                       L.zeros(6, dtype=L.float64)),
    "masked_scatter_broadcast": lambda L: L.masked_scatter(L.zeros(2, 3), L.ones(2, 2, dtype=L.bool), L.zeros(6)),
    "masked_scatter__expand": lambda L: L.zeros(3).masked_scatter_(L.ones(2, 3, dtype=L.bool), L.zeros(6)),
    "masked_scatter__size": lambda L: L.zeros(2, 3).masked_scatter_(L.ones(2, 2, dtype=L.bool), L.zeros(6)),
    "index_reduce_sum": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([0, 1, 0]), L.ones(3, 3), "sum"),
    "index_reduce_count": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([0, 1]), L.ones(3, 3), "prod"),
    "index_reduce_range": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([0, 1, 2]), L.ones(3, 3), "prod"),
    "index_reduce_negative": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([0, 1, -1]), L.ones(3, 3), "prod"),
    "index_reduce_index_dtype": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([0.0, 1, 0]), L.ones(3, 3),
                                                                     "prod"),
    "index_reduce_index_dims": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([[0, 1, 0]]), L.ones(3, 3),
                                                                    "prod"),
    "index_reduce_shape": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([0, 1, 0]), L.ones(3, 2), "prod"),
    "index_reduce_dtype": lambda L: L.zeros(2, 3).index_reduce(0, L.tensor([0, 1, 0]),
                                                               L.ones(3, 3, dtype=L.float64), "prod"),
    "index_reduce_0d": lambda L: L.tensor(2.0).index_reduce(0, L.tensor([0, 0]), L.tensor([3.0, 4.0]), "amax"),
    "put_range": lambda L: L.put(L.zeros(2, 3), L.tensor([0, 6]), L.tensor([1.0, 2.0])),
    "put_negative_range": lambda L: L.put(L.zeros(2, 3), L.tensor([0, -7]), L.tensor([1.0, 2.0])),
    "put_numel": lambda L: L.put(L.zeros(2, 3), L.tensor([0, 1]), L.tensor([1.0, 2.0, 3.0])),
    "put_index_dtype": lambda L: L.put(L.zeros(2, 3), L.tensor([0.0, 1.0]), L.tensor([1.0, 2.0])),
    "put_int32_index": lambda L: L.put(L.zeros(2, 3), L.tensor([0, 1], dtype=L.int32), L.tensor([1.0, 2.0])),
    "put_dtype": lambda L: L.zeros(2, 3).put_(L.tensor([0, 1]), L.tensor([1.0, 2.0], dtype=L.float64)),
    "isin_bool": lambda L: L.isin(L.tensor([1.0, 2.0]), L.tensor([True])),
    "vsplit_divisible": lambda L: L.vsplit(L.zeros(5, 2), 2),
    "vsplit_zero": lambda L: L.vsplit(L.zeros(5, 2), 0),
    "vsplit_1d": lambda L: L.vsplit(L.zeros(5), 2),
    "hsplit_1d_divisible": lambda L: L.hsplit(L.zeros(6), 4),
    "hsplit_2d_divisible": lambda L: L.hsplit(L.zeros(2, 6), 4),
    "hsplit_0d": lambda L: L.hsplit(L.tensor(2.0), 4),
    "dsplit_2d": lambda L: L.dsplit(L.zeros(2, 6), 4),
    "dsplit_divisible": lambda L: L.dsplit(L.zeros(2, 2, 6), 4),
    "split_with_sizes_sum": lambda L: L.split_with_sizes(L.zeros(5, 2), [2, 2]),
    "split_with_sizes_negative": lambda L: L.split_with_sizes(L.zeros(5, 2), [2, -1, 4]),
    "unsafe_chunk_zero": lambda L: L.unsafe_chunk(L.zeros(5, 2), 0),
    "unsafe_split_list": lambda L: L.unsafe_split(L.zeros(5, 2), [2, 3]),
    "sum_to_size_larger": lambda L: L.zeros(2, 3).sum_to_size(4, 3),
    "sum_to_size_more_dims": lambda L: L.zeros(2, 3).sum_to_size(1, 2, 3),
    "narrow_copy_length": lambda L: L.narrow_copy(L.zeros(4, 3), 0, 3, 2),
    "narrow_copy_start": lambda L: L.narrow_copy(L.zeros(4, 3), 0, 5, 0),
    "narrow_copy_negative_start": lambda L: L.narrow_copy(L.zeros(4, 3), 0, -5, 0),
    "narrow_copy_negative_length": lambda L: L.narrow_copy(L.zeros(4, 3), 0, 1, -1),
    "unique_consecutive_0d_dim": lambda L: L.unique_consecutive(L.tensor(2.0), dim=0),
    "unique_consecutive_zero_size": lambda L: L.unique_consecutive(L.zeros(0, 2), dim=1),
    "cov_3d": lambda L: L.cov(L.zeros(2, 3, 4)),
    "cov_bool": lambda L: L.cov(L.zeros(2, 3, dtype=L.bool)),
    "cov_fweights_float": lambda L: L.cov(L.zeros(3, 4), fweights=L.tensor([1.0, 2, 1, 1])),
    "cov_fweights_dims": lambda L: L.cov(L.zeros(3, 4), fweights=L.tensor([[1, 2, 1, 1]])),
    "cov_fweights_numel": lambda L: L.cov(L.zeros(3, 4), fweights=L.tensor([1, 2, 1])),
    "cov_fweights_0d": lambda L: L.cov(L.zeros(3, 4), fweights=L.tensor(2)),
    "cov_fweights_negative": lambda L: L.cov(L.zeros(3, 4), fweights=L.tensor([1, -2, 1, 1])),
    "cov_aweights_int": lambda L: L.cov(L.zeros(3, 4), aweights=L.tensor([1, 2, 1, 1])),
    "cov_aweights_negative": lambda L: L.cov(L.zeros(3, 4), aweights=L.tensor([1.0, -2, 1, 1])),
    "cov_aweights_dims": lambda L: L.cov(L.zeros(3, 4), aweights=L.tensor([[1.0, 2, 1, 1]])),
    "cov_aweights_numel": lambda L: L.cov(L.zeros(3, 4), aweights=L.tensor([1.0, 2, 1])),
    "cov_weights_zero": lambda L: L.cov(L.zeros(3, 4), fweights=L.tensor([0, 0, 0, 0])),
    "corrcoef_3d": lambda L: L.corrcoef(L.zeros(2, 3, 4)),
    "quantile_q_range": lambda L: L.quantile(L.zeros(3, 4), 1.3),
    "quantile_q_negative": lambda L: L.quantile(L.zeros(3, 4), -0.25),
    "quantile_q_tensor_range": lambda L: L.quantile(L.zeros(3, 4), L.tensor([0.3, 1.1])),
    "quantile_q_2d": lambda L: L.quantile(L.zeros(3, 4), L.tensor([[0.3]])),
    "quantile_q_dtype": lambda L: L.quantile(L.zeros(3, 4), L.tensor([0.3], dtype=L.float64)),
    "quantile_int": lambda L: L.quantile(L.zeros(3, 4, dtype=L.int64), 0.3),
    "quantile_empty": lambda L: L.quantile(L.zeros(0), 0.3),
    "quantile_empty_dim": lambda L: L.quantile(L.zeros(0, 3), 0.3, dim=1),
    "quantile_interpolation": lambda L: L.quantile(L.zeros(3, 4), 0.3, interpolation="foo"),
    "quantile_dim": lambda L: L.quantile(L.zeros(3, 4), 0.3, dim=2),
    "nanquantile_q_range": lambda L: L.nanquantile(L.zeros(3, 4), 2.0),
    "nanmedian_empty_dim": lambda L: L.nanmedian(L.zeros(3, 0), 1),
    "nanmedian_dim_range": lambda L: L.nanmedian(L.zeros(3, 2), 2),
    "histc_min_max": lambda L: L.histc(L.zeros(3), 4, 3, 0),
    "histc_bins": lambda L: L.histc(L.zeros(3), 0),
    "histc_negative_bins": lambda L: L.histc(L.zeros(3), -1),
    "histc_int": lambda L: L.histc(L.zeros(3, dtype=L.int64), 4),
    "histc_inf": lambda L: L.histc(L.tensor([1.0, float("inf")]), 4),
    "histc_nan_min": lambda L: L.histc(L.zeros(3), 4, float("nan"), 3),
    "histc_inf_max": lambda L: L.histc(L.zeros(3), 4, 1, float("inf")),
    "histc_float_bins": lambda L: L.histc(L.zeros(3), 4.5),
    "histogram_range": lambda L: L.histogram(L.zeros(3), 4, range=(3.0, 0.0)),
    "histogram_bins": lambda L: L.histogram(L.zeros(3), 0),
    "histogram_one_edge": lambda L: L.histogram(L.zeros(3), L.tensor([0.0])),
    "histogram_int": lambda L: L.histogram(L.zeros(3, dtype=L.int64), 2),
    "histogram_edges_dtype": lambda L: L.histogram(L.zeros(3), L.tensor([0.0, 1.0], dtype=L.float64)),
    "histogram_edges_dims": lambda L: L.histogram(L.zeros(3), L.tensor([[0.0, 1.0]])),
    "histogram_weight_shape": lambda L: L.histogram(L.zeros(5), 2, weight=L.zeros(2)),
    "histogram_weight_dtype": lambda L: L.histogram(L.zeros(5), 2, weight=L.zeros(5, dtype=L.int64)),
    "histogram_inf": lambda L: L.histogram(L.tensor([1.0, float("inf")]), 2),
    "bincount_float": lambda L: L.bincount(L.tensor([1.0, 3.0])),
    "bincount_bool": lambda L: L.bincount(L.tensor([True, False])),
    "bincount_minlength": lambda L: L.bincount(L.tensor([1, 3]), minlength=-1),
    "bincount_negative": lambda L: L.bincount(L.tensor([1, -3, 1])),
    "bincount_2d": lambda L: L.bincount(L.tensor([[1, 3, 1]])),
    "bincount_weights": lambda L: L.bincount(L.tensor([1, 3, 1]), L.tensor([1.0, 2.0])),
    "bincount_weights_2d": lambda L: L.tensor([1, 3, 1]).bincount(L.tensor([[1.0, 2.0, 3.0]])),
    "trapezoid_x_size": lambda L: L.trapezoid(L.zeros(3, 4), L.tensor([0.0, 1, 3])),
    "trapezoid_bool": lambda L: L.trapezoid(L.zeros(3, 4, dtype=L.bool)),
    "trapezoid_bool_x": lambda L: L.trapezoid(L.zeros(3, 4), L.zeros(4, dtype=L.bool)),
    "trapezoid_0d": lambda L: L.trapezoid(L.tensor(2.0)),
    "trapezoid_dim": lambda L: L.trapezoid(L.zeros(3, 4), dim=3),
    "trapezoid_x_broadcast": lambda L: L.trapezoid(L.zeros(3, 4), L.tensor(2.0)),
    "trapezoid_dx_bool": lambda L: L.trapezoid(L.zeros(3, 4), dx=True),
    "cumulative_trapezoid_x_size": lambda L: L.cumulative_trapezoid(L.zeros(3, 4), L.tensor([0.0, 1, 3])),
    "cumulative_trapezoid_0d": lambda L: L.cumulative_trapezoid(L.tensor(2.0)),
    "cumulative_trapezoid_bool": lambda L: L.cumulative_trapezoid(L.zeros(3, dtype=L.bool)),
}

# messages that print a torch.* type (``expand(torch.FloatTensor{...})``, ``torch.float32``) name npgrad's
_TYPE_PREFIX = re.compile(r"(?<=expand\()torch\.|\btorch\.(?=float|int|bool|uint)")


def _error(lib, call):
    return error_of(lib, call, lambda message: _TYPE_PREFIX.sub("npgrad.", message))


@pytest.mark.parametrize("key", list(ERRORS))
def test_errors_match_torch(key):
    expected = golden.json(f"error/{key}", lambda: _error(__import__("torch"), ERRORS[key]))
    assert expected[0] != "no error"
    assert _error(npgrad, ERRORS[key]) == expected


def test_errors_torch_words_differently():
    """Messages that print a tensor or a Python signature: the type and the start match torch's."""
    with pytest.raises(RuntimeError, match=r"^torch\.meshgrid: Expected 0D or 1D tensor in the tensor list but got"):
        npgrad.meshgrid(npgrad.zeros(1, 2), indexing="ij")
    with pytest.raises(TypeError, match=r"^isin\(\) received an invalid combination of arguments - got \(int, int\)"):
        npgrad.isin(2, 3)
    with pytest.raises(TypeError, match=r"^trapezoid\(\) received an invalid combination of arguments - got "
                                        r"\(Tensor, float\)"):
        npgrad.trapezoid(npgrad.zeros(3), 2.0)
    with pytest.raises(TypeError, match=r"^histogram\(\) received an invalid combination of arguments"):
        npgrad.histogram(npgrad.zeros(3), npgrad.tensor([0.0, 1.0]), range=(0.0, 1.0))
    with pytest.raises(RuntimeError, match=r"^self tensor does not match matmul output shape$"):
        npgrad.zeros(1, 3).addbmm_(npgrad.zeros(2, 2, 4), npgrad.zeros(2, 4, 3))


# --------------------------------------------------------------------------- warnings

# PyTorch warns once per process for these, every call for the others
WARN_ONCE = {
    "chain_matmul": "L.chain_matmul(L.ones(2, 3), L.ones(3, 2))",
    "cross": "L.cross(L.ones(3, 2), L.ones(3, 2))",
    "meshgrid": "L.meshgrid(L.ones(2), L.ones(3))",
    "index_reduce": "L.ones(2).index_reduce(0, L.tensor([0, 0]), L.ones(2), 'amax')",
}
WARN_ALWAYS = {
    "range": "L.range(1, 3)",
    "cov": "L.cov(L.ones(2, 3), correction=3)",
}
_TORCH_WARNINGS = """
import json, warnings, torch as L
out = {}
for key, code in json.loads(%r).items():
    counts = []
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            eval(code)
        counts.append([[w.category.__name__, str(w.message).split(" (Triggered internally")[0]] for w in caught])
    out[key] = counts
print(json.dumps(out))
"""


def _torch_warnings():
    """The warnings of each call, twice, in a fresh torch process (its warn-once state untouched)."""
    code = _TORCH_WARNINGS % json.dumps({**WARN_ONCE, **WARN_ALWAYS})
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                     check=True).stdout)


def test_warnings_match_torch():
    expected = golden.json("warnings", _torch_warnings)
    products._WARNED.clear()
    L = npgrad  # noqa: N806 - the name the calls use
    for key, code in {**WARN_ONCE, **WARN_ALWAYS}.items():
        counts = []
        for _ in range(2):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                eval(code, {"L": L})
            counts.append([[w.category.__name__, str(w.message)] for w in caught])
        assert counts == expected[key], key
        if key in WARN_ONCE:
            assert counts[0] and not counts[1]
        else:
            assert counts[0] and counts[1]


# --------------------------------------------------------------------------- API surface


FUNCTION_NAMES = products.__all__ + ["scatter_reduce", "index_put", "index_put_", "swapdims", "hstack", "vstack",
                                     "column_stack", "row_stack"]
METHOD_NAMES = ["addmm", "addmm_", "addmv", "addmv_", "addr", "addr_", "baddbmm", "baddbmm_", "addbmm", "addbmm_",
                "kron", "inner", "vdot", "ger", "cross", "dist", "renorm", "renorm_", "diag", "diag_embed",
                "diagflat", "diagonal_scatter", "select_scatter", "slice_scatter", "rot90", "trace",
                "masked_scatter", "masked_scatter_", "index_reduce", "index_reduce_", "put", "put_", "vsplit",
                "hsplit", "dsplit", "split_with_sizes", "unsafe_chunk", "unsafe_split", "sum_to_size", "ravel",
                "narrow_copy", "msort", "unique_consecutive", "cov", "corrcoef", "quantile", "nanquantile",
                "nanmedian", "histc", "histogram", "bincount", "swapdims"]


def test_the_names_torch_has():
    ref = golden.json("names", lambda: {
        "functions": [n for n in FUNCTION_NAMES if hasattr(__import__("torch"), n)],
        "methods": [n for n in METHOD_NAMES if hasattr(__import__("torch").Tensor, n)]})
    assert ref["functions"] == FUNCTION_NAMES and ref["methods"] == METHOD_NAMES
    for name in ref["functions"]:
        assert callable(getattr(npgrad, name)), name
    for name in ref["methods"]:
        assert callable(getattr(npgrad.Tensor, name)), name
    assert "range" in npgrad.functions.__all__ and npgrad.range is products.inclusive_range


def test_return_types():
    h = npgrad.histogram(npgrad.tensor([1.0, 2.0]), 2)
    assert type(h).__name__ == "histogram" and h.hist is h[0] and h.bin_edges is h[1]
    m = npgrad.tensor([[1.0, float("nan")]]).nanmedian(1)
    assert type(m).__name__ == "nanmedian" and m.values is m[0] and m.indices.dtype == npgrad.int64
    assert npgrad.empty_strided((2, 3), (1, 2)).stride() == (1, 2)
    assert npgrad.empty_strided((2, 0), (1, 2), dtype=npgrad.int64).dtype == npgrad.int64
    grids = npgrad.meshgrid(npgrad.tensor([1.0, 2.0]), npgrad.tensor([3.0, 4.0, 5.0]), indexing="ij")
    assert grids[0].stride() == (1, 0)  # expanded views, as in PyTorch


def test_range_values_and_dtypes():
    def run(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs = [L.range(1, 4), L.range(1, 4, 0.5), L.range(1, 4, dtype=L.int64), L.range(4, 1, -1),
                    L.range(0, 1, 0.1), L.range(0, 1, 0.1, dtype=L.float64), L.range(-1.5, 2, 0.7)]
        return [[str(o.dtype).split(".")[-1], o.tolist()] for o in outs]
    assert run(npgrad) == golden.json("range", lambda: run(__import__("torch")))


def test_all_nan_row_index_points_at_a_nan():
    """PyTorch's index for a slice of NaN only depends on its selection algorithm; npgrad gives a NaN's."""
    x = npgrad.tensor([[1.0, float("nan"), 0.5], [float("nan")] * 3])
    values, indices = x.nanmedian(1)
    np.testing.assert_array_equal(values.numpy(), [0.5, np.nan])
    assert np.isnan(x.numpy()[1, indices[1].item()]) and indices[0].item() == 2


def test_quantile_gradient_reaches_q():
    """The linear interpolation weight depends on q: its gradient is the gap between the neighbours."""
    x = npgrad.tensor([0.0, 1.0, 3.0, 6.0], dtype=npgrad.float64)
    q = npgrad.tensor([0.5, 0.9], dtype=npgrad.float64, requires_grad=True)
    npgrad.quantile(x, q).sum().backward()
    np.testing.assert_allclose(q.grad.numpy(), [3 * 2.0, 3 * 3.0])

