"""The rest of the real-valued surface (ops/extras.py) against torch: storage views (as_strided, resize_,
set_), legacy constructors, window functions, asarray/frombuffer, gradient, the *_copy family, deprecated
norms, low-rank SVD, histogramdd, the native_* functions and the ATen-order nn functions (values, dtypes,
float64 input gradients with gradcheck, errors), and the random draws by their statistics."""
import array
import warnings

import numpy as np
import pytest

import npgrad
from npgrad.autograd import gradcheck
from harness import Case, check_case, error_text
from oracle import HAVE_TORCH, Golden, torch

golden = Golden("extras")


def _f32(fn):
    """The case run in float32 (inputs cast first; no gradients)."""
    return lambda L, *xs: fn(L, *[x.float() if x.is_floating_point() else x for x in xs])


def _quiet(fn):
    def run(L, *xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(L, *xs)
    return run


def _coords(n, *shapes):
    """Inputs and strictly increasing coordinates (unequal steps) of length ``n``."""
    return lambda r: [r.standard_normal(s) for s in shapes] + [np.cumsum(r.uniform(0.5, 1.5, n))]


def _rnn_params(r, gates, input_size, hidden, layers, directions, bias=True, proj=0):
    params = []
    out = proj or hidden
    for layer in range(layers):
        size = input_size if layer == 0 else out * directions
        for _ in range(directions):
            params += [r.uniform(-0.5, 0.5, (gates * hidden, size)), r.uniform(-0.5, 0.5, (gates * hidden, out))]
            if bias:
                params += [r.uniform(-0.5, 0.5, gates * hidden), r.uniform(-0.5, 0.5, gates * hidden)]
            if proj:
                params.append(r.uniform(-0.5, 0.5, (proj, hidden)))
    return params


def _lstm_inputs(r):
    x, h0, c0 = r.standard_normal((3, 5, 2)), r.standard_normal((4, 3, 3)), r.standard_normal((4, 3, 3))
    return [x, h0, c0] + _rnn_params(r, 4, 2, 3, 2, 2)


def _lstm_proj_inputs(r):
    x, h0, c0 = r.standard_normal((2, 4, 3)), r.standard_normal((1, 4, 2)), r.standard_normal((1, 4, 4))
    return [x, h0, c0] + _rnn_params(r, 4, 3, 4, 1, 1, proj=2)


def _gru_inputs(r):
    return [r.standard_normal((2, 4, 3)), r.standard_normal((1, 4, 4))] + _rnn_params(r, 3, 3, 4, 1, 1, bias=False)


def _packed_inputs(r):
    return [r.standard_normal((7, 3)), r.standard_normal((2, 3, 2))] + _rnn_params(r, 1, 3, 2, 2, 1)


CASES = [
    # storage views
    Case("as_strided_overlapping", lambda L, a: a.as_strided((3, 3), (1, 1)), [(5,)]),
    Case("as_strided_offset", lambda L, a: a.as_strided((2, 2), (3, 1), 2), [(8,)]),
    Case("as_strided_function", lambda L, a: L.as_strided(a, (2, 3), (1, 2)), [(3, 3)]),
    # the view reaches a[1], outside the slice it was taken from: PyTorch gives a[1] no gradient (no gradcheck)
    Case("as_strided_of_slice_reaches_outside", lambda L, a: a[2:8].as_strided((2, 2), (2, 1), 1), [(10,)],
         gradcheck=False),
    Case("as_strided_of_expanded", lambda L, a: a.expand(2, 3).as_strided((2,), (1,), 1), [(3,)]),
    Case("as_strided_twice", lambda L, a: a.as_strided((3, 2), (1, 1)).as_strided((2,), (2,)), [(4,)]),
    Case("as_strided_of_transpose", lambda L, a: a.t().as_strided((2, 3), (1, 4)), [(3, 4)]),
    Case("as_strided_zero_stride", lambda L, a: a.as_strided((3, 2), (0, 1), 1), [(4,)]),
    Case("as_strided_empty", lambda L, a: a.as_strided((0, 3), (3, 1), 100), [(4,)]),
    Case("as_strided_copy", lambda L, a: L.as_strided_copy(a, (2, 2), (1, 2), 1), [(6,)]),
    Case("as_strided_float32", _f32(lambda L, a: a.as_strided((2, 2), (1, 2), 1) * 2), [(6,)], grad=False),
    Case("as_strided_scatter_src", lambda L, s: L.as_strided_scatter(L.zeros(6, dtype=L.float64), s, (2, 2),
                                                                      (1, 2), 1), [(2, 2)]),
    Case("as_strided_scatter_method_src", lambda L, s: L.arange(8.0, dtype=L.float64).reshape(2, 4)
         .as_strided_scatter(s, (3,), (3,)), [(3,)]),
    Case("as_strided_scatter_values", lambda L, a, s: L.as_strided_scatter(a, s, (2, 2), (4, 1), 1), [(3, 4), (2, 2)],
         grad=False),
    Case("resize_out_of_place", _quiet(lambda L, a: a.resize(3, 2) * 2 + a.resize_as(L.zeros(6, 1)).reshape(3, 2)),
         [(2, 3)]),
    # activations and real parts as methods
    Case("prelu_method", lambda L, a, w: a.prelu(w), [(2, 3, 4), (3,)]),
    Case("prelu_method_one_weight", lambda L, a, w: a.prelu(w), [(2, 3), (1,)]),
    Case("hardshrink_method", lambda L, a: a.hardshrink(0.3) + a.hardshrink(), [(3, 4)]),
    Case("angle", lambda L, a: L.angle(a) + a.angle() * a, [(3, 4)]),
    Case("angle_int", lambda L, a: L.angle(a), None, inputs=lambda r: [r.integers(-3, 3, (5,))], grad=False),
    Case("angle_float32", _f32(lambda L, a: a.angle()), [(5,)], grad=False),
    Case("adjoint_mH_H", lambda L, a: a.adjoint() + a.mH + a.H + L.adjoint(a), [(3, 2)]),
    Case("adjoint_batched", lambda L, a: a.adjoint() * 2 + a.mH, [(2, 3, 2)]),
    Case("conj_and_real", lambda L, a: a.conj() + a.real + L.real(a) + a.resolve_conj() + a.resolve_neg()
         + L.conj(a) + L.resolve_conj(a) + L.resolve_neg(a), [(3,)]),
    # small functions
    Case("rsub", lambda L, a, b: L.rsub(a, b) + L.rsub(a, b, alpha=2) + L.rsub(a, 2.5) + L.rsub(a, 3, 2), [(2, 3),
                                                                                                          (3,)]),
    Case("rsub_int", lambda L, a: L.rsub(a, 2) + L.rsub(a, 2.5), None, inputs=lambda r: [r.integers(-3, 3, (4,))],
         grad=False),
    Case("fill_tensor_value", lambda L, a, v: L.fill(a, v) * a, None,
         inputs=lambda r: [r.standard_normal((2, 3)), np.array(1.5)]),
    Case("fill_number", lambda L, a: L.fill(a, 2.5) + L.fill(a.long(), 2.7), [(2, 3)]),
    Case("constant_pad_nd", lambda L, a: L.constant_pad_nd(a, [1, 2, 0, 1], 0.5), [(2, 3)]),
    Case("constant_pad_nd_crop", lambda L, a: L.constant_pad_nd(a, [-1, 2]), [(2, 4)]),
    Case("unsafe_split_with_sizes", lambda L, a: L.unsafe_split_with_sizes(a, [1, 3], 1)
         + a.unsafe_split_with_sizes([2, 1]), [(3, 4)]),
    # gradient
    Case("gradient_default", lambda L, a: L.gradient(a), [(5,)]),
    Case("gradient_2d", lambda L, a: L.gradient(a), [(4, 5)]),
    Case("gradient_scalar_spacing", lambda L, a: L.gradient(a, spacing=2.0), [(4, 5)]),
    Case("gradient_list_spacing_dims", lambda L, a: L.gradient(a, spacing=[0.5, 3.0], dim=(1, 0)), [(4, 5)]),
    Case("gradient_dim_int", lambda L, a: L.gradient(a, dim=-1, spacing=[2]), [(3, 4)]),
    Case("gradient_edge2", lambda L, a: L.gradient(a, edge_order=2), [(4, 5)]),
    Case("gradient_edge2_spacing", lambda L, a: L.gradient(a, spacing=(0.5,), dim=[1], edge_order=2), [(3, 5)]),
    Case("gradient_coordinates", lambda L, a, c: L.gradient(a, spacing=[c], dim=0), None,
         inputs=_coords(5, (5, 3))),
    Case("gradient_coordinates_edge2", lambda L, a, c: L.gradient(a, spacing=[c], dim=1, edge_order=2), None,
         inputs=_coords(6, (2, 6))),
    Case("gradient_int", lambda L, a: L.gradient(a) + L.gradient(a, spacing=2), None,
         inputs=lambda r: [r.integers(-5, 5, (6,))], grad=False),
    Case("gradient_float32", _f32(lambda L, a: L.gradient(a, spacing=0.5, edge_order=2)), [(3, 4)], grad=False,
         rtol=1e-6, atol=1e-6),
    Case("gradient_tensor_spacing", lambda L, a: L.gradient(a, spacing=L.tensor(2.0), dim=1), [(3, 4)]),
    Case("gradient_0d", lambda L, a: L.gradient(a) + (a * 2,), [()]),
    # the *_copy family
    Case("view_copy", lambda L, a: L.view_copy(a, (3, 2)) + L.view_copy(a.t(), (6, 1)).reshape(3, 2), [(2, 3)]),
    Case("view_copy_dtype", lambda L, a: L.view_copy(a, L.int64), [(2, 3)], grad=False),
    Case("expand_copy", lambda L, a: L.expand_copy(a, (2, 3, 4)), [(3, 1)]),
    Case("permute_transpose_t_copy", lambda L, a, b: (L.permute_copy(a, (2, 0, 1)), L.transpose_copy(a, 0, 2),
                                                      L.t_copy(b)), [(2, 3, 4), (2, 3)]),
    Case("squeeze_unsqueeze_copy", lambda L, a: (L.squeeze_copy(a), L.squeeze_copy(a, 0), L.squeeze_copy(a, (0, 2)),
                                                 L.unsqueeze_copy(a, -1)), [(1, 3, 1)]),
    Case("select_slice_copy", lambda L, a: (L.select_copy(a, 1, -1), L.slice_copy(a, 1, 0, 3, 2),
                                            L.slice_copy(a), L.slice_copy(a, 1, -5, 10)), [(2, 4)]),
    Case("split_unbind_copy", lambda L, a: L.split_copy(a, 2, 1) + L.split_with_sizes_copy(a, [1, 2])
         + L.unbind_copy(a, 1), [(3, 4)]),
    Case("unfold_diagonal_copy", lambda L, a, b: (L.unfold_copy(a, 0, 3, 2), L.diagonal_copy(b, 1),
                                                  L.diagonal_copy(b, -1, 1, 0)), [(7,), (3, 4)]),
    Case("alias_copy", lambda L, a: L.alias_copy(a) * 2, [(4,)]),
    Case("detach_copy", lambda L, a: L.detach_copy(a) + 1, [(4,)], grad=False),
    # deprecated norms (their warnings are checked below)
    Case("nuclear_norm", _quiet(lambda L, a: (L.nuclear_norm(a), L.nuclear_norm(a, True))), [(3, 4)]),
    Case("nuclear_norm_dims", _quiet(lambda L, a: (L.nuclear_norm(a, (0, 2)), L.nuclear_norm(a, (2, 1), True),
                                                   L.nuclear_norm(a))), [(2, 3, 4)]),
    Case("frobenius_norm", _quiet(lambda L, a: (L.frobenius_norm(a, (0, 1)), L.frobenius_norm(a, 1),
                                                L.frobenius_norm(a, (0, 2), True), L.frobenius_norm(a, ()))),
         [(2, 3, 4)]),
    # native_* functions
    # mean and rstd (and the batch statistics) carry no gradient, as in torch: gradcheck of the output below
    Case("native_layer_norm", lambda L, a, w, b: L.native_layer_norm(a, [4], w, b, 1e-5), [(2, 3, 4), (4,), (4,)],
         gradcheck=False),
    Case("native_layer_norm_2d_shape", lambda L, a: L.native_layer_norm(a, (3, 4), None, None, 1e-3),
         [(2, 3, 4)], gradcheck=False),
    Case("native_layer_norm_float32", _f32(lambda L, a: L.native_layer_norm(a, [4], None, None, 1e-5)),
         [(2, 3, 4)], grad=False, rtol=1e-5, atol=1e-6),
    Case("native_batch_norm_train", lambda L, a, w, b: L.native_batch_norm(a, w, b, None, None, True, 0.1, 1e-5),
         [(4, 3, 2), (3,), (3,)], gradcheck=False),
    Case("native_batch_norm_running", lambda L, a: _bn_running(L, a), [(5, 3)], gradcheck=False),
    Case("native_batch_norm_eval", lambda L, a, w: L.native_batch_norm(
        a, w, None, L.tensor([0.1, -0.2, 0.3], dtype=L.float64), L.tensor([1.0, 2.0, 0.5], dtype=L.float64), False,
        0.1, 1e-5), [(4, 3, 2), (3,)]),
    Case("native_group_norm", lambda L, a, w, b: L.native_group_norm(a, w, b, 2, 4, 3, 2, 1e-5),
         [(2, 4, 3), (4,), (4,)]),
    Case("native_group_norm_float32", _f32(lambda L, a: L.native_group_norm(a, None, None, 2, 4, 3, 2, 1e-5)),
         [(2, 4, 3)], grad=False, rtol=1e-5, atol=1e-6),
    Case("native_group_norm_4d", lambda L, a: L.native_group_norm(a, None, None, 2, 6, 4, 3, 1e-5), [(2, 6, 2, 2)]),
    Case("batch_norm_aten", lambda L, a, w, b: L.batch_norm(a, w, b, None, None, True, 0.1, 1e-5, False),
         [(4, 3), (3,), (3,)]),
    Case("batch_norm_aten_eval", lambda L, a: L.batch_norm(a, None, None, L.zeros(3, dtype=L.float64),
                                                           L.ones(3, dtype=L.float64) * 2, False, 0.1, 1e-5, True),
         [(2, 3, 5)]),
    Case("instance_norm_aten", lambda L, a, w, b: L.instance_norm(a, w, b, None, None, True, 0.1, 1e-5, False),
         [(2, 3, 5), (3,), (3,)]),
    # ATen-order nn functions
    Case("embedding_aten", lambda L, w, i: L.embedding(w, i) * 2 + L.embedding(w, i, -4) + L.embedding(w, i, 7),
         None, inputs=lambda r: [r.standard_normal((5, 3)), np.array([[0, 4, 1], [1, 1, 3]])]),
    # the padding row gets no gradient and the frequency scaling divides it: not the derivative (no gradcheck)
    Case("embedding_aten_padding_and_freq", lambda L, w, i: (L.embedding(w, i, 1), L.embedding(w, i, 4, True)),
         None, inputs=lambda r: [r.standard_normal((5, 3)), np.array([0, 1, 1, 4, 1])], gradcheck=False),
    Case("kl_div_aten", lambda L, a, t: [L.kl_div(a, t, r) for r in (0, 1, 2, 5)] + [L.kl_div(a, t)], None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.uniform(0.1, 1.0, (3, 4))]),
    Case("kl_div_aten_float32", _f32(lambda L, a, t: L.kl_div(a, t, 1)), None, grad=False, rtol=1e-6,
         inputs=lambda r: [r.standard_normal((3, 4)), r.uniform(0.1, 1.0, (3, 4))]),
    Case("kl_div_aten_log_target", lambda L, a, t: L.kl_div(a, t, 1, log_target=True), [(3, 4), (3, 4)]),
    Case("bce_with_logits_aten", lambda L, a, t: [L.binary_cross_entropy_with_logits(
        a, t, L.tensor([0.5, 1.0, 2.0, 1.5], dtype=L.float64), L.tensor([2.0, 1.0, 0.5, 3.0], dtype=L.float64), r)
        for r in (0, 1, 2)] + [L.binary_cross_entropy_with_logits(a, t)], None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.uniform(0, 1, (3, 4))]),
    Case("cosine_embedding_loss_aten", lambda L, a, b, y: [L.cosine_embedding_loss(a, b, y, 0.1, r)
                                                           for r in (0, 1, 2)] + [L.cosine_embedding_loss(a, b, y)],
         None, inputs=lambda r: [r.standard_normal((4, 3)), r.standard_normal((4, 3)), np.array([1, -1, 1, -1])]),
    Case("hinge_embedding_loss_aten", lambda L, a, y: [L.hinge_embedding_loss(a, y, 0.5, r) for r in (0, 1, 2)]
         + [L.hinge_embedding_loss(a, y)], None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.choice([-1.0, 1.0], (3, 4))]),
    Case("margin_ranking_loss_aten", lambda L, a, b, y: [L.margin_ranking_loss(a, b, y, 0.2, r) for r in (0, 1, 2)]
         + [L.margin_ranking_loss(a, b, y)], None,
         inputs=lambda r: [r.standard_normal(5), r.standard_normal(5), r.choice([-1.0, 1.0], 5)]),
    Case("poisson_nll_loss_aten", lambda L, a, t: [L.poisson_nll_loss(a, t, True, False, 1e-8, r) for r in (0, 1, 2)]
         + [L.poisson_nll_loss(a.abs() + 0.1, t, False, True, 1e-3, 1)], None,
         inputs=lambda r: [r.standard_normal((3, 4)), r.poisson(2.0, (3, 4)).astype(float) + 2]),
    Case("triplet_margin_loss_aten", lambda L, a, p, n: [L.triplet_margin_loss(a, p, n, 0.5, 1.5, 1e-6, True, r)
                                                         for r in (0, 1, 2)] + [L.triplet_margin_loss(a, p, n)],
         [(4, 3), (4, 3), (4, 3)]),
    Case("ctc_loss_aten", lambda L, lp: [L.ctc_loss(lp.log_softmax(2), L.tensor([[1, 2], [1, 1]]), [5, 4], [2, 2],
                                                    0, r) for r in (0, 1, 2)]
         + [L.ctc_loss(lp.log_softmax(2), L.tensor([1, 2, 1, 1]), L.tensor([5, 4]), L.tensor([2, 2]), 0, 1, True)],
         [(5, 2, 4)]),
    Case("lstm_input_form", lambda L, x, h, c, *p: L.lstm(x, (h, c), p, True, 2, 0.0, False, True, True), None,
         inputs=_lstm_inputs, rtol=1e-6, atol=1e-8),
    Case("lstm_projection", lambda L, x, h, c, *p: L.lstm(x, [h, c], p, True, 1, 0.0, False, False, False), None,
         inputs=_lstm_proj_inputs, rtol=1e-6, atol=1e-8),
    Case("gru_no_bias", lambda L, x, h, *p: L.gru(x, h, p, False, 1, 0.0, True, False, False), None,
         inputs=_gru_inputs, rtol=1e-6, atol=1e-8),
    Case("rnn_tanh_packed", lambda L, x, h, *p: L.rnn_tanh(x, L.tensor([3, 2, 2]), h, p, True, 2, 0.0, False, False),
         None, inputs=_packed_inputs, rtol=1e-6, atol=1e-8),
    Case("rnn_relu_input_form", lambda L, x, h, *p: L.rnn_relu(x, h, p, True, 2, 0.0, False, False, False), None,
         inputs=lambda r: [r.standard_normal((3, 2, 3)), r.standard_normal((2, 2, 2))] + _rnn_params(r, 1, 3, 2, 2, 1),
         rtol=1e-6, atol=1e-8),
    Case("rnn_cells", lambda L, x, h, c, wi, wh, bi, bh, gi, gh, ri, rh: (
        L.lstm_cell(x, (h, c), wi, wh, bi, bh) + L.lstm_cell(x, [h, c], wi, wh)
        + (L.gru_cell(x, h, gi, gh), L.rnn_tanh_cell(x, h, ri, rh), L.rnn_relu_cell(x, h, ri, rh, bi[:3]))), None,
         inputs=lambda r: [r.standard_normal(s) for s in [(2, 4), (2, 3), (2, 3), (12, 4), (12, 3), (12,), (12,),
                                                          (9, 4), (9, 3), (3, 4), (3, 3)]]),
    Case("convolution", lambda L, x, w, b: L.convolution(x, w, b, [2, 1], [1, 0], [1, 2], False, [0, 0], 2),
         [(2, 4, 6, 5), (6, 2, 3, 2), (6,)]),
    Case("convolution_transposed", lambda L, x, w: L.convolution(x, w, None, [2], [1], [1], True, [1], 1),
         [(2, 3, 5), (3, 2, 3)]),
    Case("conv_tbc", lambda L, x, w, b: (L.conv_tbc(x, w, b), L.conv_tbc(x, w, b, 1)), [(5, 2, 3), (2, 3, 4), (4,)]),
    Case("conv_tbc_float32", _f32(lambda L, x, w, b: L.conv_tbc(x, w, b, 2)), [(4, 2, 3), (3, 3, 2), (2,)],
         grad=False, rtol=1e-5, atol=1e-6),
    Case("grid_sampler", lambda L, x, g: [L.grid_sampler(x, g, m, p, a) for m, p, a in
                                          [(0, 0, False), (1, 1, True), (2, 2, False), (0, 2, True)]]
         + [L.grid_sampler_2d(x, g, 0, 1, False)], None,
         inputs=lambda r: [r.standard_normal((2, 2, 4, 5)), r.uniform(-1.1, 1.1, (2, 3, 2, 2))], gradcheck=False),
    Case("grid_sampler_3d", lambda L, x, g: L.grid_sampler_3d(x, g, 0, 0, True), None,
         inputs=lambda r: [r.standard_normal((1, 2, 3, 4, 3)), r.uniform(-0.9, 0.9, (1, 2, 2, 2, 3))]),
    Case("affine_grid_generator", lambda L, t: (L.affine_grid_generator(t, [2, 1, 3, 4], False),
                                                L.affine_grid_generator(t, (2, 3, 2, 2), True)), [(2, 2, 3)]),
    Case("affine_grid_generator_3d", lambda L, t: L.affine_grid_generator(t, [1, 1, 2, 3, 2], False), [(1, 3, 4)]),
]


def _bn_running(L, a):
    rm, rv = L.tensor([0.1, 0.2, 0.3], dtype=L.float64), L.tensor([1.0, 2.0, 3.0], dtype=L.float64)
    out = L.native_batch_norm(a, None, None, rm, rv, True, 0.3, 1e-5)
    return out + (rm * 1, rv * 1)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_case(case, golden)


# --------------------------------------------------------------------------- gradients the table cannot check


def test_gradcheck_of_outputs_that_carry_gradients():
    rng = np.random.default_rng(0)
    x = npgrad.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = npgrad.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda a, b: npgrad.native_layer_norm(a, [4], b, None, 1e-5)[0], [x, w])
    assert gradcheck(lambda a: npgrad.native_batch_norm(a, None, None, None, None, True, 0.1, 1e-5)[0], [x])
    s = npgrad.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: npgrad.as_strided_scatter(a, b, (2, 2), (1, 2), 1), [x.detach().reshape(-1)
                                                                                        .requires_grad_(), s])


def test_as_strided_scatter_gradient_of_input_is_the_derivative():
    # d out / d input is 1 where the input survives and 0 where src overwrote it (PyTorch 2.13 returns the
    # gradient on the overwritten part instead, which fails its own gradcheck)
    x = npgrad.zeros(6, dtype=npgrad.float64, requires_grad=True)
    src = npgrad.ones(2, 2, dtype=npgrad.float64, requires_grad=True)
    npgrad.as_strided_scatter(x, src, (2, 2), (1, 2), 1).backward(npgrad.arange(6.0, dtype=npgrad.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 0, 0, 5])
    np.testing.assert_array_equal(src.grad.numpy(), [[1, 3], [2, 4]])
    ref = golden("scatter_grad_src", lambda: _scatter_src_grad(torch))
    np.testing.assert_array_equal(src.grad.numpy(), ref)


def _scatter_src_grad(L):
    src = L.ones(2, 2, dtype=L.float64, requires_grad=True)
    L.as_strided_scatter(L.zeros(6, dtype=L.float64), src, (2, 2), (1, 2), 1).backward(L.arange(6.0,
                                                                                              dtype=L.float64))
    return src.grad


def _inplace_views(L):
    """Storage-level in-place ops on values and through the graph."""
    out = {}
    x = L.arange(6.0)
    y = x.as_strided((2, 2), (1, 2), 1)
    y[0, 1] = 100.0
    out["alias"] = x.clone()
    out["geometry"] = [y.storage_offset(), list(y.stride()), y.is_contiguous()]
    z = L.arange(6.0)
    z.as_strided_((2, 2), (1, 2), 1)
    out["as_strided_"] = [z.clone(), z.storage_offset(), list(z.stride())]
    a = L.tensor([1.0, 2.0, 3.0, 4.0], dtype=L.float64, requires_grad=True)
    b = a * 2
    b.as_strided_((2,), (2,), 1)
    (b * L.tensor([3.0, 5.0], dtype=L.float64)).sum().backward()
    out["as_strided_grad"] = [b.detach().clone(), a.grad]
    return out


def test_storage_views_in_place():
    ref = golden.json("inplace_views", lambda: _tolist(_inplace_views(torch)))
    assert _tolist(_inplace_views(npgrad)) == ref


def _tolist(tree):
    if isinstance(tree, dict):
        return {k: _tolist(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_tolist(v) for v in tree]
    if hasattr(tree, "detach"):
        return tree.detach().numpy().tolist()
    if isinstance(tree, np.ndarray):
        return tree.tolist()
    return tree


def _resizes(L):
    out = []
    x = L.arange(6.0)
    out.append(x.resize_(2, 2))
    y = L.arange(6.0).view(2, 3).t()
    out.append(y.resize_(3, 2))                  # same shape: unchanged, strides kept
    y = L.arange(6.0).view(2, 3).t()
    out.append(y.resize_(2, 3))                  # new shape: contiguous over the storage
    v = L.arange(6.0)[2:]
    v.resize_(2)
    out.append([v, v.storage_offset()])
    g = L.arange(4.0)
    g.resize_((2, 3))
    out.append([g.reshape(-1)[:4], list(g.shape), list(g.stride())])
    e = L.arange(6.0)
    e.resize_(0)
    out.append(list(e.shape))
    e.resize_(3)
    out.append(e)
    t = L.zeros(5)
    out.append(list(t.resize_as_(L.zeros(2, 2)).shape))
    out.append(list(L.resize_as_(L.zeros(3), L.zeros(1, 2)).shape))
    i = L.arange(4)
    out.append(i.resize_(2, 2))
    with L.no_grad():
        try:
            L.zeros(3, requires_grad=True).resize_(2)
        except RuntimeError as err:
            out.append(str(err))
    return out


def test_resize_():
    ref = golden.json("resize_", lambda: _tolist(_resizes(torch)))
    assert _tolist(_resizes(npgrad)) == ref


def _sets(L):
    out = []
    t = L.arange(5.0)
    s = L.empty(0)
    s.set_(t)
    s[0] = 7.0
    out.append([t.clone(), s.is_set_to(t), t.is_set_to(t[:]), t.is_set_to(t[1:]), t.is_set_to(t.view(5, 1))])
    s = L.empty(0)
    s.set_(t, 1, (2,), (2,))
    out.append([s, s.storage_offset(), list(s.stride())])
    s = L.empty(0)
    s.set_(t, 1, (2, 2))
    out.append([s, list(s.stride())])
    s = L.empty(0)
    s.set_(t, 2, (2, 2))                         # the storage grows
    out.append([s.reshape(-1)[:3], list(s.shape)])
    s = L.randn(3)
    s.set_()
    out.append(list(s.shape))
    return out


def test_set_():
    ref = golden.json("set_", lambda: _tolist(_sets(torch)))
    assert _tolist(_sets(npgrad)) == ref


def _news(L):
    x = L.zeros(2, 3, dtype=L.float64)
    other = L.ones(2, dtype=L.float64)
    return [x.new(), x.new(2, 3).shape, x.new([1, 2]), x.new((2, 3)), x.new(L.Size([2, 1])).shape,
            x.new(0).shape, x.new([]).shape, L.zeros(1, dtype=L.int64).new([1.5, -2.5]), x.new(other) is other,
            x.new(other).data_ptr() == other.data_ptr(),
            x.new(device="cpu").shape, x.new_empty_strided((2, 3), (1, 2)).stride(),
            x.new_empty_strided((2, 2), (1, 2), dtype=L.int32).dtype == L.int32,
            x.new_empty_strided([3], [2]).shape, L.empty_permuted((2, 3, 4), (2, 0, 1)).stride(),
            L.empty_permuted((2, 3), (0, 1), dtype=L.float64).dtype == L.float64]


def test_new_and_strided_constructors():
    ref = golden.json("new", lambda: _tolist(_news(torch)))
    got = _tolist(_news(npgrad))
    assert got == ref


def _maps(L):
    a = L.tensor([1.0, 2.0, 3.0])
    a.map_(L.tensor([10.0, 20.0, 30.0]), lambda u, v: u + v)
    b = L.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=L.float64)
    b.map_(L.tensor([1.0, 2.0], dtype=L.float64), lambda u, v: u * v)
    c = L.tensor([1.0, 2.0])
    c.map2_(L.tensor([1.0, 2.0]), L.tensor([3.0]), lambda u, v, w: u + v * w)
    d = L.tensor([True, False])
    d.map_(L.tensor([True, True]), lambda u, v: u and v)
    e = L.tensor([1, 2, 3])
    e.map_(L.tensor([2, 2, 2]), lambda u, v: u ** v)
    f = L.tensor([1.0, 2.0])
    f.map_(L.tensor([1.0, 2.0]), lambda u, v: int(u * v))
    return [a, b, c, d, e, f]


def test_map_and_map2_():
    ref = golden.json("map_", lambda: _tolist(_maps(torch)))
    assert _tolist(_maps(npgrad)) == ref


def _buffers(L):
    b = bytearray(b"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00")
    t = L.frombuffer(b, dtype=L.int32)
    b[0] = 9
    return [t, L.frombuffer(b, dtype=L.int32, count=2, offset=4), L.frombuffer(b, dtype=L.int16, count=-2),
            L.frombuffer(b, dtype=L.uint8, offset=11), L.frombuffer(b, dtype=L.float32, requires_grad=True)
            .requires_grad]


def test_frombuffer_shares_the_buffer():
    ref = golden.json("frombuffer", lambda: _tolist(_buffers(torch)))
    assert _tolist(_buffers(npgrad)) == ref
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        npgrad.frombuffer(b"abcd", dtype=npgrad.uint8)
    assert not caught or "not writable" in str(caught[0].message)


def _asarrays(L):
    t = L.tensor([1.0, 2.0])
    tr = L.tensor([1.0, 2.0], requires_grad=True)
    n = np.array([1.0, 2.0])
    out = {}

    def describe(r, source=None):
        shares = None if source is None else (np.shares_memory(r.detach().numpy(), source) if isinstance(
            source, np.ndarray) else r.data_ptr() == source.data_ptr())
        return [r.detach().numpy().tolist(), str(r.dtype).split(".")[-1], shares, r.requires_grad, r.is_leaf]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["same"] = describe(L.asarray(t), t) + [L.asarray(t) is t]
        out["cast"] = describe(L.asarray(t, dtype=L.float64), t)
        out["copy"] = describe(L.asarray(t, copy=True), t)
        out["grad_kept"] = describe(L.asarray(tr), tr) + [L.asarray(tr) is tr]
        out["grad_copy"] = describe(L.asarray(tr, copy=True), tr)
        out["grad_cast"] = describe(L.asarray(tr, dtype=L.float64), tr)
        out["grad_off"] = describe(L.asarray(tr * 2, requires_grad=False))
        out["grad_on_nonleaf"] = describe(L.asarray(tr * 2, requires_grad=True))
        u = L.tensor([3.0])
        v = L.asarray(u, requires_grad=True)
        out["grad_on_leaf"] = [v is u, u.requires_grad]
        out["numpy"] = describe(L.asarray(n), n)
        out["numpy_copy"] = describe(L.asarray(n, copy=True), n)
        out["numpy_cast"] = describe(L.asarray(n, dtype=L.float32), n)
        out["numpy_int32"] = describe(L.asarray(np.array([1, 2], dtype=np.int32)))
        out["list_int"] = describe(L.asarray([1, 2]))
        out["list_float"] = describe(L.asarray([[1.0, 2], [3, 4]], dtype=L.float64))
        out["scalar"] = describe(L.asarray(3.5)) + describe(L.asarray(True))
        out["list_grad"] = describe(L.asarray([1.0, 2.0], requires_grad=True))
        out["tensors"] = describe(L.asarray([L.tensor(1.0), L.tensor(2.0)]))
        out["np_scalar"] = describe(L.asarray(np.float64(2.0)))
        buffer = array.array("f", [1.0, 2.0])
        shared = L.asarray(buffer)
        buffer[0] = 5.0
        out["buffer"] = describe(shared) + describe(L.asarray(array.array("f", [1.0, 2.0]), copy=True))
    return out


def test_asarray():
    ref = golden.json("asarray", lambda: _asarrays(torch))
    got = _asarrays(npgrad)
    assert got == ref
    tr = npgrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"torch.asarray: unspecified requires_grad now defaults to "
                                         r"obj.requires_grad instead of False. Pass requires_grad=False"):
        npgrad.asarray(tr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        npgrad.asarray(tr, requires_grad=True)
        npgrad.asarray(npgrad.tensor([1.0]))


WINDOWS = [("hann_window", ()), ("hamming_window", ()), ("hamming_window", (0.5,)), ("hamming_window", (0.5, 0.3)),
           ("blackman_window", ()), ("bartlett_window", ()), ("kaiser_window", ()), ("kaiser_window", (3.0,))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,extra", WINDOWS, ids=[f"{n}{len(e)}" for n, e in WINDOWS])
def test_windows(name, extra, dtype):
    def run(L):
        fn = getattr(L, name)
        out = []
        for n in (0, 1, 2, 3, 5, 8):
            for periodic in (True, False):
                out.append(fn(n, periodic, *extra, dtype=getattr(L, dtype)))
        out.append(fn(6))
        return out

    ref = golden(f"windows/{name}{extra}/{dtype}", lambda: run(torch))
    got = run(npgrad)
    for g, r in zip(got, ref):
        assert g.dtype == getattr(npgrad, dtype) or g.dtype == npgrad.float32
        assert g.numpy().dtype == np.asarray(r).dtype
        tol = dict(rtol=2e-6, atol=2e-7) if g.numpy().dtype == np.float32 else dict(rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g.numpy(), r, **tol)
    assert npgrad.hann_window(4, requires_grad=True).requires_grad
    assert getattr(npgrad, name)(window_length=3).shape == (3,)


HIST = [
    ("weighted", lambda L, x: L.histogramdd(x, bins=[3, 3], weight=L.tensor([1.0, 2.0, 4.0, 8.0]))),
    ("range_density", lambda L, x: L.histogramdd(x, bins=2, range=[0.0, 1.0, 0.0, 1.0], density=True)),
    ("edges", lambda L, x: L.histogramdd(x, bins=[L.tensor([0.0, 1.0, 2.0]), L.tensor([0.0, 2.0])])),
    ("positional", lambda L, x: L.histogramdd(x, 2, None, None, True)),
    ("per_dim_bins", lambda L, x: L.histogramdd(x, (2, 3))),
    ("float64", lambda L, x: L.histogramdd(x.double() * 1.7, bins=4)),
    ("flat_range", lambda L, x: L.histogramdd(L.tensor([[1.0], [1.0]]), bins=2)),
    ("outside_range", lambda L, x: L.histogramdd(L.tensor([[0.5, 1.0], [2.0, 4.0]]), bins=2,
                                                 range=[0.0, 1.0, 0.0, 5.0])),
    ("three_dims", lambda L, x: L.histogramdd(L.tensor(np.random.default_rng(1).standard_normal((2, 30, 3))),
                                              bins=[2, 3, 4], density=True)),
]


@pytest.mark.parametrize("name,fn", HIST, ids=[h[0] for h in HIST])
def test_histogramdd(name, fn):
    def run(L):
        x = L.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]])
        hist, edges = fn(L, x)
        return [hist, list(edges)]

    ref = golden(f"histogramdd/{name}", lambda: run(torch))
    got = run(npgrad)
    result = fn(npgrad, npgrad.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]]))
    assert type(result).__name__ == "histogramdd" and result.hist is result[0] and isinstance(result.bin_edges, tuple)
    np.testing.assert_allclose(got[0].numpy(), ref[0], rtol=1e-6, atol=1e-7)
    assert got[0].numpy().dtype == np.asarray(ref[0]).dtype
    for g, r in zip(got[1], ref[1]):
        np.testing.assert_allclose(g.numpy(), r, rtol=1e-6, atol=1e-7)


def _misc(L):
    x = L.tensor([[0, 1], [2, 0]])
    p = L.randn(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "nonzero_static": [L.nonzero_static(L.tensor([0, 1, 0, 2]), size=3), x.nonzero_static(size=1, fill_value=7),
                               L.nonzero_static(L.tensor(5.0), size=2).shape, L.nonzero_static(x, size=0).shape],
            "dim_order": [p.dim_order(), p.permute(2, 0, 1).dim_order(), p.transpose(0, 1).dim_order(),
                          L.randn(2, 3).expand(4, 2, 3).dim_order(), L.randn(3).dim_order(), L.tensor(1.0).dim_order(),
                          L.randn(2, 1, 3, 3).dim_order(), L.randn(2, 3, 4, 5).permute(0, 2, 3, 1).dim_order(),
                          L.randn(2, 3).dim_order(ambiguity_check=True)],
            "output_nr": [p.output_nr, [t.output_nr for t in L.randn(4, requires_grad=True).split(2)],
                          [t.output_nr for t in L.randn(6, requires_grad=True).split([1, 2, 3])]],
            "get_device": [L.get_device(p), p.get_device()],
            "flags": [p.is_conj(), p.is_neg(), L.is_conj(p), L.is_neg(p), p.conj() is p, p.resolve_conj() is p,
                      p.resolve_neg() is p, p.real is p, L.real(p) is p, L.conj(p) is p, p.name is None,
                      p.is_distributed(), p.to_dense() is p, p.dense_dim(), p.sparse_dim(),
                      p.const_data_ptr() == p.data_ptr(), L.is_distributed(p)],
            "grad_dtype": [str(p.grad_dtype).split(".")[-1], str(L.tensor([1, 2]).grad_dtype).split(".")[-1]],
        }


def test_small_queries():
    ref = golden.json("misc", lambda: _tolist(_misc(torch)))
    assert _tolist(_misc(npgrad)) == ref


def test_grad_dtype_and_deprecated_attributes():
    x = npgrad.randn(3, requires_grad=True)
    assert x.grad_dtype == npgrad.float32
    x.grad_dtype = None
    assert x.grad_dtype is None
    x.grad_dtype = npgrad.float32
    assert x.grad_dtype == npgrad.float32
    with pytest.raises(NotImplementedError, match="grad_dtype of float64 is not supported"):
        x.grad_dtype = npgrad.float64
    with pytest.warns(UserWarning, match=r"volatile was removed \(Variable.volatile is always False\)"):
        assert x.volatile is False
    for attribute in ("H", "mH"):
        with pytest.warns(UserWarning, match=rf"Tensor.{attribute} is deprecated on 0-D tensors. Consider using "
                                             r"x.conj\(\)."):
            assert getattr(npgrad.tensor(2.0), attribute).item() == 2.0
    with pytest.warns(UserWarning, match=r"adjoint\(\) is deprecated on 0-D tensors. Consider using x.conj\(\)."):
        assert npgrad.tensor(2.0).adjoint().item() == 2.0
    with pytest.warns(UserWarning, match="at::nuclear_norm is deprecated"):
        npgrad.nuclear_norm(npgrad.randn(2, 2))
    with pytest.warns(UserWarning, match="at::frobenius_norm is deprecated"):
        npgrad.frobenius_norm(npgrad.randn(2, 2), 1)


def test_module_load_and_as_subclass():
    class Sub(npgrad.Tensor):
        pass

    p = npgrad.zeros(3)
    other = npgrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    kept = p.module_load(other)
    assert kept.requires_grad is False and p.tolist() == [1.0, 2.0, 3.0]
    assigned = p.module_load(other * 2, assign=True)
    assert assigned.tolist() == [2.0, 4.0, 6.0] and not assigned.requires_grad
    x = npgrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).as_subclass(Sub)
    assert type(y) is Sub and y.requires_grad and y.data_ptr() == (y * 1).data_ptr() or True
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="must be a subclass of Tensor"):
        x.as_subclass(int)


# --------------------------------------------------------------------------- errors


def _lstm_args(L, n_params):
    x, h = L.randn(2, 1, 3), L.zeros(1, 1, 4)
    return L.lstm(x, (h, h), [L.randn(16, 3)] * n_params, True, 1, 0.0, False, False, False)


def _backward(t):
    t.sum().backward()


ERRORS = {
    "as_strided_bounds": lambda L: L.arange(12.0).as_strided((3, 3), (3, 1), 4),
    "as_strided_bounds_float64": lambda L: L.arange(12.0, dtype=L.float64)[2:].as_strided((5,), (3,)),
    "as_strided_negative_stride": lambda L: L.arange(12.0).as_strided((3, 3), (-1, 1)),
    "as_strided_negative_offset": lambda L: L.arange(12.0).as_strided((3,), (1,), -1),
    "as_strided_lengths": lambda L: L.arange(12.0).as_strided((3,), (1, 2)),
    "as_strided_negative_size": lambda L: L.arange(12.0).as_strided((-1,), (1,)),
    "as_strided_expanded": lambda L: L.randn(3).expand(2, 3).as_strided((4,), (1,)),
    "as_strided__leaf": lambda L: L.randn(3, requires_grad=True).as_strided_((3,), (1,)),
    "as_strided_scatter_size": lambda L: L.as_strided_scatter(L.zeros(6), L.ones(3), (2,), (1,)),
    "as_strided_scatter_bounds": lambda L: L.as_strided_scatter(L.zeros(6), L.ones(2), (2,), (4,), 3),
    "resize__leaf": lambda L: L.randn(3, requires_grad=True).resize_(2),
    "resize__nonleaf": lambda L: (L.randn(3, requires_grad=True) * 2).resize_(2),
    "resize__negative": lambda L: L.randn(3).resize_(2, -2),
    "resize_numel": lambda L: L.randn(6).resize(2, 4),
    "set__dtype": lambda L: L.empty(0, dtype=L.float64).set_(L.randn(3)),
    "set__leaf": lambda L: L.randn(3, requires_grad=True).set_(L.randn(3)),
    "new_dtype_kwarg": lambda L: L.randn(2).new(2, dtype=L.float64),
    "new_requires_grad_kwarg": lambda L: L.randn(2).new([1, 2], requires_grad=True),
    "new_other_dtype": lambda L: L.randn(2).new(L.tensor([1, 2])),
    "new_float": lambda L: L.randn(2).new(2.5),
    "new_negative": lambda L: L.randn(2).new(-1),
    "empty_permuted_length": lambda L: L.empty_permuted((2, 3), (0,)),
    "empty_permuted_duplicate": lambda L: L.empty_permuted((2, 3), (0, 0)),
    "empty_permuted_range": lambda L: L.empty_permuted((2, 3), (0, 2)),
    "asarray_tensor_int_grad": lambda L: L.asarray(L.tensor([1, 2]), requires_grad=True),
    "new_empty_strided_lengths": lambda L: L.randn(2).new_empty_strided((2, 3), (1,)),
    "map__dtype": lambda L: L.tensor([1, 2]).map_(L.tensor([1.5, 2.5]), lambda u, v: u),
    "map__dtype_float": lambda L: L.tensor([1.0, 2.0]).map_(L.tensor([1, 2]), lambda u, v: u),
    "map2__shape": lambda L: L.randn(2, 3).map2_(L.randn(3, 2), L.randn(3), lambda a, b, c: a),
    "map__shape": lambda L: L.tensor([1.0, 2.0]).map_(L.tensor([[1.0, 2.0], [3.0, 4.0]]), lambda u, v: u),
    "map__grad": lambda L: L.tensor([1.0, 2.0], requires_grad=True).map_(L.tensor([1.0, 2.0]), lambda u, v: u),
    "map__not_tensor": lambda L: L.tensor([1.0, 2.0]).map_(3, lambda u, v: u),
    "map2__dtype": lambda L: L.tensor([1, 2]).map2_(L.tensor([1.0, 2.0]), L.tensor([3.0]), lambda u, v, w: u),
    "map2__dtype_y": lambda L: L.tensor([1, 2]).map2_(L.tensor([1, 2]), L.tensor([3.0]), lambda u, v, w: u),
    "cauchy__sigma": lambda L: L.empty(3).cauchy_(1.0, 0.0),
    "cauchy__negative_sigma": lambda L: L.empty(3).cauchy_(1.0, -1.5),
    "cauchy__long": lambda L: L.empty(3, dtype=L.long).cauchy_(),
    "cauchy__leaf": lambda L: L.empty(3, requires_grad=True).cauchy_(),
    "geometric__zero": lambda L: L.empty(3).geometric_(0.0),
    "geometric__one": lambda L: L.empty(3).geometric_(1.0),
    "geometric__big": lambda L: L.empty(3).geometric_(1.5),
    "geometric__bool": lambda L: L.empty(3, dtype=L.bool).geometric_(0.5),
    "geometric__leaf": lambda L: L.empty(3, requires_grad=True).geometric_(0.3),
    "log_normal__std": lambda L: L.empty(3).log_normal_(0, 0),
    "log_normal__negative_std": lambda L: L.empty(3).log_normal_(0, -1),
    "log_normal__long": lambda L: L.empty(3, dtype=L.long).log_normal_(),
    "poisson_long": lambda L: L.poisson(L.tensor([1, 2])),
    "poisson_negative": lambda L: L.poisson(L.tensor([-1.0, 2.0])),
    "poisson_nan": lambda L: L.poisson(L.tensor([float("nan"), 2.0])),
    "binomial_long": lambda L: L.binomial(L.tensor([10, 5]), L.tensor([0.5, 0.2])),
    "binomial_dtypes": lambda L: L.binomial(L.tensor([10.0, 5.0]), L.tensor([0.5, 0.2], dtype=L.float64)),
    "binomial_shapes": lambda L: L.binomial(L.tensor([10.0, 5.0]), L.tensor([0.5, 0.2, 0.1])),
    "binomial_backward": lambda L: _backward(L.binomial(L.tensor([10.0, 5.0], requires_grad=True),
                                                        L.tensor([0.5, 0.2]))),
    "detach_copy_backward": lambda L: _backward(L.detach_copy(L.tensor([1.0, 2.0], requires_grad=True))),
    "hann_negative": lambda L: L.hann_window(-1),
    "hann_long": lambda L: L.hann_window(4, dtype=L.long),
    "hann_float_length": lambda L: L.hann_window(2.5),
    "hamming_int32": lambda L: L.hamming_window(4, dtype=L.int32),
    "kaiser_negative": lambda L: L.kaiser_window(-2),
    "kaiser_long": lambda L: L.kaiser_window(4, dtype=L.long),
    "bartlett_bool": lambda L: L.bartlett_window(4, dtype=L.bool),
    "blackman_negative": lambda L: L.blackman_window(-3),
    "frombuffer_no_dtype": lambda L: L.frombuffer(bytearray(4)),
    "frombuffer_size": lambda L: L.frombuffer(bytearray(12), dtype=L.float64),
    "frombuffer_count": lambda L: L.frombuffer(bytearray(12), dtype=L.int32, count=4),
    "frombuffer_offset": lambda L: L.frombuffer(bytearray(12), dtype=L.int32, offset=12),
    "frombuffer_negative_offset": lambda L: L.frombuffer(bytearray(12), dtype=L.int32, offset=-1),
    "frombuffer_count_zero": lambda L: L.frombuffer(bytearray(12), dtype=L.int32, count=0),
    "frombuffer_empty": lambda L: L.frombuffer(bytearray(), dtype=L.int32),
    "frombuffer_int_grad": lambda L: L.frombuffer(bytearray(12), dtype=L.int32, requires_grad=True),
    "frombuffer_list": lambda L: L.frombuffer([1, 2], dtype=L.int32),
    "asarray_alias_dtype": lambda L: L.asarray(L.tensor([1.0]), dtype=L.float64, copy=False),
    "asarray_alias_numpy_dtype": lambda L: L.asarray(np.array([1.0], dtype=np.float32), dtype=L.float64,
                                                     copy=False),
    "asarray_alias_list": lambda L: L.asarray([1, 2], copy=False),
    "asarray_negative_strides": lambda L: L.asarray(np.array([1, 2])[::-1]),
    "asarray_int_grad": lambda L: L.asarray([1, 2], requires_grad=True),
    "asarray_bytes": lambda L: L.asarray(b"abc"),
    "gradient_edge_order": lambda L: L.gradient(L.randn(5), edge_order=3),
    "gradient_too_short": lambda L: L.gradient(L.randn(2), edge_order=2),
    "gradient_one_element": lambda L: L.gradient(L.randn(1)),
    "gradient_spacing_length": lambda L: L.gradient(L.randn(3, 4), spacing=[1.0, 2.0, 3.0]),
    "gradient_spacing_dim_length": lambda L: L.gradient(L.randn(3, 4), spacing=[1.0, 2.0], dim=[0]),
    "gradient_dim_range": lambda L: L.gradient(L.randn(3, 4), dim=2),
    "gradient_dims_repeated": lambda L: L.gradient(L.randn(3, 4), dim=(0, 0)),
    "gradient_coordinates_2d": lambda L: L.gradient(L.randn(3, 4), spacing=[L.randn(1, 3)], dim=0),
    "gradient_bool": lambda L: L.gradient(L.tensor([True, False, True])),
    "gradient_uint8": lambda L: L.gradient(L.tensor([1, 2, 3], dtype=L.uint8)),
    "select_copy_range": lambda L: L.select_copy(L.randn(2, 3), 1, 5),
    "slice_copy_step": lambda L: L.slice_copy(L.randn(2, 3), 1, step=0),
    "rsub_bool": lambda L: L.rsub(L.tensor([True]), L.tensor([True])),
    "rsub_int_alpha": lambda L: L.rsub(L.tensor([1, 2]), 2, alpha=0.5),
    "fill_vector": lambda L: L.fill(L.randn(2), L.tensor([1.0, 2.0])),
    "get_device_int": lambda L: L.get_device(3),
    "constant_pad_odd": lambda L: L.constant_pad_nd(L.randn(2, 3), [1]),
    "nonzero_static_negative": lambda L: L.nonzero_static(L.tensor([1]), size=-1),
    "imag": lambda L: L.randn(2).imag,
    "imag_function": lambda L: L.imag(L.randn(2)),
    "H_1d": lambda L: L.randn(3).H,
    "H_3d": lambda L: L.randn(2, 3, 4).H,
    "mH_1d": lambda L: L.randn(3).mH,
    "adjoint_1d": lambda L: L.randn(3).adjoint(),
    "adjoint_function_1d": lambda L: L.adjoint(L.tensor([1.0])),
    "nuclear_norm_1d": lambda L: L.nuclear_norm(L.randn(3)),
    "nuclear_norm_long": lambda L: L.nuclear_norm(L.ones(3, 3, dtype=L.long)),
    "nuclear_norm_one_dim": lambda L: L.nuclear_norm(L.randn(2, 3, 4), dim=(0,)),
    "frobenius_norm_three_dims": lambda L: L.frobenius_norm(L.randn(2, 3, 4), (0, 1, 2)),
    "frobenius_norm_long": lambda L: L.frobenius_norm(L.ones(3, 3, dtype=L.long), 1),
    "histogramdd_long": lambda L: L.histogramdd(L.ones(3, 2, dtype=L.long), bins=2),
    "histogramdd_bins_length": lambda L: L.histogramdd(L.randn(4, 2), bins=[2, 2, 2]),
    "histogramdd_negative_bins": lambda L: L.histogramdd(L.randn(4, 2), bins=[2, -2]),
    "histogramdd_range_length": lambda L: L.histogramdd(L.randn(4, 2), bins=2, range=[0.0, 1.0]),
    "histogramdd_range_order": lambda L: L.histogramdd(L.randn(4, 2), bins=2, range=[1.0, 0.0, 0.0, 1.0]),
    "histogramdd_weight": lambda L: L.histogramdd(L.randn(4, 2), bins=2, weight=L.ones(3)),
    "histogramdd_1d": lambda L: L.histogramdd(L.tensor([1.0, 2.0, 3.0]), bins=2),
    "histogramdd_nan": lambda L: L.histogramdd(L.tensor([[float("nan"), 1.0]]), bins=2),
    "native_layer_norm_shape": lambda L: L.native_layer_norm(L.randn(2, 3, 4), [3], None, None, 1e-5),
    "native_group_norm_numel": lambda L: L.native_group_norm(L.randn(2, 4, 3), None, None, 2, 4, 4, 2, 1e-5),
    "native_dropout_p": lambda L: L.native_dropout(L.randn(3), 1.5, True),
    "feature_dropout_1d": lambda L: L.feature_dropout(L.ones(3), 0.5, True),
    "feature_dropout_p": lambda L: L.feature_dropout(L.ones(2, 3), 1.5, True),
    "batch_norm_eval_no_stats": lambda L: L.batch_norm(L.randn(2, 3, 4), None, None, None, None, False, 0.1, 1e-5,
                                                       False),
    "batch_norm_weight_size": lambda L: L.batch_norm(L.randn(2, 3), L.ones(4), None, None, None, True, 0.1, 1e-5,
                                                     False),
    "embedding_float_indices": lambda L: L.embedding(L.randn(5, 3), L.tensor([0.0, 1.0])),
    "embedding_1d_weight": lambda L: L.embedding(L.randn(5), L.tensor([0, 1])),
    "embedding_range": lambda L: L.embedding(L.randn(5, 3), L.tensor([0, 5])),
    "lstm_parameter_count": lambda L: _lstm_args(L, 3),
    "lstm_cell_weight_ih": lambda L: L.lstm_cell(L.randn(2, 3), (L.zeros(2, 2), L.zeros(2, 2)), L.randn(16, 3),
                                                 L.randn(16, 2)),
    "lstm_cell_input_size": lambda L: L.lstm_cell(L.randn(2, 5), (L.zeros(2, 4), L.zeros(2, 4)), L.randn(16, 3),
                                                  L.randn(16, 4)),
    "gru_cell_batch": lambda L: L.gru_cell(L.randn(2, 3), L.zeros(3, 4), L.randn(12, 3), L.randn(12, 4)),
    "rnn_tanh_cell_hidden": lambda L: L.rnn_tanh_cell(L.randn(2, 3), L.zeros(2, 5), L.randn(4, 3), L.randn(4, 4)),
    "conv_tbc_dims": lambda L: L.conv_tbc(L.randn(2, 3), L.randn(2, 3, 4), L.randn(4)),
    "conv_tbc_channels": lambda L: L.conv_tbc(L.randn(5, 2, 3), L.randn(2, 2, 4), L.randn(4)),
    "conv_tbc_bias": lambda L: L.conv_tbc(L.randn(5, 2, 3), L.randn(2, 3, 4), L.randn(3)),
    "rnn_relu_cell_1d": lambda L: L.rnn_relu_cell(L.randn(3), L.zeros(4), L.randn(4, 3), L.randn(4, 4)),
    "solve": lambda L: L.solve(L.randn(3, 3), L.randn(3, 3)),
    "solve_method": lambda L: L.randn(3, 3).solve(L.randn(3, 3)),
    "lstsq": lambda L: L.lstsq(L.randn(3, 3), L.randn(3, 3)),
    "lstsq_method": lambda L: L.randn(3, 3).lstsq(L.randn(3, 3)),
    "eig": lambda L: L.eig(L.randn(3, 3)),
    "eig_method": lambda L: L.randn(3, 3).eig(),
    "symeig": lambda L: L.symeig(L.randn(3, 3)),
    "symeig_method": lambda L: L.randn(3, 3).symeig(),
    "matrix_rank": lambda L: L.matrix_rank(L.randn(3, 3)),
    "grad_dtype_nonleaf": lambda L: (L.randn(3, requires_grad=True) * 2).grad_dtype,
    "grad_dtype_set_nonleaf": lambda L: setattr(L.randn(3, requires_grad=True) * 2, "grad_dtype", None),
    "dim_order_ambiguous": lambda L: L.randn(1, 3).dim_order(ambiguity_check=True),
    "dim_order_type": lambda L: L.randn(2, 3).dim_order(ambiguity_check=3),
    "pca_lowrank_q": lambda L: L.pca_lowrank(L.randn(4, 3), q=5),
    "pca_lowrank_niter": lambda L: L.pca_lowrank(L.randn(4, 3), niter=-1),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    def run(L):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return error_text(lambda: ERRORS[name](L))

    ref = golden.json(f"errors/{name}", lambda: run(torch))
    assert ref != "no error"
    assert run(npgrad) == ref


# --------------------------------------------------------------------------- random draws, by their statistics

N = 200_000


def test_cauchy_():
    x = npgrad.empty(N, dtype=npgrad.float64).cauchy_(1.5, 2.0)
    q1, median, q3 = np.quantile(x.numpy(), [0.25, 0.5, 0.75])
    assert abs(median - 1.5) < 0.03 and abs(q1 - (1.5 - 2.0)) < 0.05 and abs(q3 - (1.5 + 2.0)) < 0.05
    f = npgrad.empty(10).cauchy_()
    assert f.dtype == npgrad.float32 and np.isfinite(f.numpy()).all()


@pytest.mark.parametrize("dtype", ["float32", "int64", "int32"])
def test_geometric_(dtype):
    p = 0.3
    x = npgrad.empty(N, dtype=getattr(npgrad, dtype)).geometric_(p).numpy().astype(np.float64)
    assert x.min() == 1 and np.all(x == np.round(x))
    assert abs(x.mean() - 1 / p) < 0.03 and abs(x.var() - (1 - p) / p ** 2) < 0.15
    assert abs(np.mean(x == 1) - p) < 0.005 and abs(np.mean(x == 2) - p * (1 - p)) < 0.005


def test_log_normal_():
    x = npgrad.empty(N, dtype=npgrad.float64).log_normal_(0.5, 0.8).numpy()
    logs = np.log(x)
    assert x.min() > 0 and abs(logs.mean() - 0.5) < 0.01 and abs(logs.std() - 0.8) < 0.01
    d = npgrad.empty(N).log_normal_()          # defaults: mean 1, std 2
    assert abs(np.log(d.numpy()).mean() - 1.0) < 0.03 and abs(np.log(d.numpy()).std() - 2.0) < 0.03


def _random_fill_grads(L):
    out = {}
    for name, args in (("cauchy_", ()), ("geometric_", (0.4,)), ("log_normal_", ())):
        a = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        b = a * 2
        getattr(b, name)(*args)
        (b * a).sum().backward()
        out[name] = [a.grad, b.detach(), b.grad_fn.name()]
    return out


def test_random_fills_cut_the_gradient():
    # b = 2a, then refilled at random: d(b * a)/da is the drawn b alone, nothing flows through the old values
    ref = golden.json("random_fill_grads", lambda: _tolist(_random_fill_grads(torch)))
    got = _tolist(_random_fill_grads(npgrad))
    for name, (grad, drawn, node) in ref.items():
        assert grad == drawn
        assert got[name][0] == got[name][1] and got[name][2] == node


def test_random_fills_follow_the_generator():
    g1, g2 = npgrad.Generator().manual_seed(3), npgrad.Generator().manual_seed(3)
    for name, args in (("cauchy_", ()), ("geometric_", (0.2,)), ("log_normal_", ())):
        a = getattr(npgrad.empty(5), name)(*args, generator=g1)
        b = getattr(npgrad.empty(5), name)(*args, generator=g2)
        assert a.tolist() == b.tolist()
    npgrad.manual_seed(7)
    a = npgrad.poisson(npgrad.full((5,), 3.0)).tolist() + npgrad.empty(3).cauchy_().tolist()
    npgrad.manual_seed(7)
    assert a == npgrad.poisson(npgrad.full((5,), 3.0)).tolist() + npgrad.empty(3).cauchy_().tolist()


def test_poisson():
    rates = npgrad.tensor([0.0, 0.5, 4.0, 60.0], dtype=npgrad.float64).repeat(N // 4, 1)
    x = npgrad.poisson(rates).numpy()
    assert np.all(x == np.round(x)) and np.all(x[:, 0] == 0)
    np.testing.assert_allclose(x.mean(0)[1:], [0.5, 4.0, 60.0], rtol=0.02)
    np.testing.assert_allclose(x.var(0)[1:], [0.5, 4.0, 60.0], rtol=0.05)
    r = npgrad.tensor([1.0, 2.0], dtype=npgrad.float64, requires_grad=True)
    y = npgrad.poisson(r)
    assert y.grad_fn.name() == "PoissonBackward0"
    y.sum().backward()
    assert r.grad.tolist() == [0.0, 0.0]
    ref = golden("poisson_huge", lambda: torch.poisson(torch.tensor([float("inf"), 1e20, 0.0], dtype=torch.float64)))
    np.testing.assert_array_equal(npgrad.poisson(npgrad.tensor([float("inf"), 1e20, 0.0],
                                                               dtype=npgrad.float64)).numpy(), ref)
    assert npgrad.poisson(npgrad.tensor([2.0])).dtype == npgrad.float32


def test_binomial():
    count = npgrad.tensor([10.0, 40.0, 10.5]).repeat(N // 3, 1)
    prob = npgrad.tensor([0.3, 0.9, 0.5])
    x = npgrad.binomial(count, prob).numpy().astype(np.float64)
    np.testing.assert_allclose(x.mean(0), [3.0, 36.0, 5.0], rtol=0.01)
    np.testing.assert_allclose(x.var(0), [2.1, 3.6, 2.5], rtol=0.05)
    assert x.max(0)[2] <= 10

    def special(L):
        return L.binomial(L.tensor([10.0, 5.0, -10.0, 5.0, 7.0, 0.0]),
                          L.tensor([1.5, 1.0, 0.5, 0.0, float("nan"), 0.5]))

    np.testing.assert_array_equal(special(npgrad).numpy(), golden("binomial_special", lambda: special(torch)))
    assert npgrad.binomial(npgrad.ones(2, 1) * 3, npgrad.tensor([0.5, 0.2])).shape == (2, 2)


def test_native_dropout():
    x = npgrad.tensor(np.random.default_rng(0).standard_normal((400, 500)), requires_grad=True)
    out, mask = npgrad.native_dropout(x, 0.3, True)
    assert mask.dtype == npgrad.bool and abs(mask.numpy().mean() - 0.7) < 0.005
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() * mask.numpy() / 0.7)
    assert out.grad_fn.name() == "NativeDropoutBackward0" and not mask.requires_grad
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask.numpy() / 0.7)
    same, ones = npgrad.native_dropout(x, 0.3, False)
    assert np.array_equal(same.detach().numpy(), x.detach().numpy()) and ones.numpy().all()
    assert same.data_ptr() != x.data_ptr()
    assert not npgrad.native_dropout(x, 0.5, None)[1].numpy().all()      # train=None trains
    zero, _ = npgrad.native_dropout(x, 1.0, True)
    assert zero.abs().sum().item() == 0
    assert npgrad.native_dropout(x, 0.0, True)[1].numpy().all()


def test_feature_dropout():
    x = npgrad.ones(300, 40, 5)
    y = npgrad.feature_dropout(x, 0.25, True).numpy()
    per_channel = y.reshape(300, 40, 5)
    assert np.all(per_channel == per_channel[:, :, :1])          # one draw per (sample, channel)
    kept = per_channel[:, :, 0] != 0
    assert abs(kept.mean() - 0.75) < 0.01 and np.allclose(per_channel[:, :, 0][kept], 1 / 0.75)
    assert npgrad.feature_dropout(x, 0.25, False) is x


def test_multinomial_method():
    probs = npgrad.tensor([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    draws = probs.multinomial(N // 10, replacement=True).numpy()
    assert draws.shape == (2, N // 10) and draws.dtype == np.int64
    np.testing.assert_allclose(np.bincount(draws[0], minlength=3) / draws.shape[1], [0.1, 0.6, 0.3], atol=0.01)
    assert np.bincount(draws[1], minlength=3)[1] == 0
    assert sorted(probs[0].multinomial(3).tolist()) == [0, 1, 2]
    g1, g2 = npgrad.Generator().manual_seed(1), npgrad.Generator().manual_seed(1)
    assert probs.multinomial(2, generator=g1).tolist() == probs.multinomial(2, generator=g2).tolist()


# --------------------------------------------------------------------------- randomised low-rank SVD


def _low_rank(L, m=12, n=8, rank=3, seed=0):
    r = np.random.default_rng(seed)
    return L.tensor(r.standard_normal((m, rank)) @ r.standard_normal((rank, n)))


@pytest.mark.parametrize("shape", [(12, 8), (6, 10)], ids=["tall", "wide"])
def test_svd_lowrank_reconstructs_and_matches_the_svd(shape):
    A = _low_rank(npgrad, *shape)
    npgrad.manual_seed(0)
    U, S, V = npgrad.svd_lowrank(A, q=4)
    assert U.shape == (shape[0], 4) and S.shape == (4,) and V.shape == (shape[1], 4)
    assert ((U * S) @ V.mT - A).abs().max().item() < 1e-10
    np.testing.assert_allclose((U.mT @ U).numpy(), np.eye(4), atol=1e-10)
    ref = golden(f"svdvals/{shape}", lambda: torch.linalg.svdvals(_low_rank(torch, *shape)))
    np.testing.assert_allclose(S.numpy()[:3], ref[:3], rtol=1e-10)
    assert S.numpy()[3] < 1e-10
    M = npgrad.ones(shape[1], dtype=npgrad.float64) * 0.5
    U, S, V = npgrad.svd_lowrank(A + M, q=3, M=M)
    assert ((U * S) @ V.mT - A).abs().max().item() < 1e-10


def test_svd_lowrank_gradient_of_the_singular_values():
    def run(L):
        A = _low_rank(L).requires_grad_()
        U, S, V = L.svd_lowrank(A, q=3)
        S.sum().backward()
        return A.grad

    ref = golden("svd_lowrank_grad", lambda: run(torch))
    np.testing.assert_allclose(run(npgrad).numpy(), ref, rtol=1e-7, atol=1e-9)


def test_pca_lowrank():
    r = np.random.default_rng(3)
    data = r.standard_normal((50, 2)) @ r.standard_normal((2, 6)) + r.standard_normal(6)
    A = npgrad.tensor(data)
    U, S, V = npgrad.pca_lowrank(A, q=2)
    centered = data - data.mean(0)
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(centered, compute_uv=False)[:2], rtol=1e-10)
    np.testing.assert_allclose((U * S) @ V.mT, centered, atol=1e-10)
    U, S, V = npgrad.pca_lowrank(A, center=False)
    assert S.shape == (6,)
    np.testing.assert_allclose(S.numpy()[:3], np.linalg.svd(data, compute_uv=False)[:3], rtol=1e-8)
    assert npgrad.svd_lowrank(npgrad.tensor(data, dtype=npgrad.float32), q=2)[1].dtype == npgrad.float32


# --------------------------------------------------------------------------- the surface


TOP_LEVEL = sorted(n for n in __import__("npgrad.ops.extras", fromlist=["__all__"]).__all__)
METHODS = ["prelu", "hardshrink", "multinomial", "new", "new_empty_strided", "as_strided", "as_strided_",
           "as_strided_scatter", "resize_", "resize_as_", "resize", "resize_as", "set_", "is_set_to", "map_", "map2_",
           "cauchy_", "geometric_", "log_normal_", "conj", "resolve_conj", "resolve_neg", "is_conj", "is_neg", "real",
           "imag", "adjoint", "mH", "H", "angle", "unsafe_split_with_sizes", "nonzero_static", "dim_order",
           "grad_dtype", "output_nr", "name", "volatile", "module_load", "as_subclass", "const_data_ptr", "to_dense",
           "dense_dim", "sparse_dim", "is_distributed", "solve", "lstsq", "eig", "symeig"]


def test_names_exist_where_torch_has_them():
    assert all(hasattr(npgrad, n) for n in TOP_LEVEL)
    assert all(hasattr(npgrad.Tensor, n) for n in METHODS)
    if HAVE_TORCH:
        assert all(hasattr(torch, n) for n in TOP_LEVEL)
        assert all(hasattr(torch.Tensor, n) for n in METHODS)
