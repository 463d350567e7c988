"""Convolutions against torch: F.conv1d/2d/3d, F.conv_transpose1d/2d/3d, F.unfold and F.fold over a table of
option combinations (values, input/weight/bias gradients in float64, float64 gradcheck, float32 runs), the
Conv*/ConvTranspose*/LazyConv*/Fold/Unfold modules (padding modes, output_size, repr, state_dict keys,
initialisation) and PyTorch's messages for bad arguments."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import npgrad
from harness import Case, _seed, make_inputs
from npgrad.autograd import gradcheck
from oracle import HAVE_TORCH, Golden

golden = Golden("conv")


def F(lib):
    return lib.nn.functional


# --------------------------------------------------------------------------- the functional table
CASES: list[Case] = []


def add(name, fn, shapes, **kw):
    CASES.append(Case(name=name, fn=fn, shapes=list(shapes), **kw))


def conv(n, **kw):
    return lambda L, x, w, b=None: getattr(F(L), f"conv{n}d")(x, w, b, **kw)


def conv_t(n, **kw):
    return lambda L, x, w, b=None: getattr(F(L), f"conv_transpose{n}d")(x, w, b, **kw)


# conv1d
add("c1/basic", conv(1), [(2, 3, 9), (4, 3, 3), (4,)])
add("c1/stride_pad_dil", conv(1, stride=2, padding=2, dilation=2), [(2, 3, 11), (4, 3, 3), (4,)])
add("c1/groups", conv(1, groups=2), [(2, 4, 8), (6, 2, 3), (6,)])
add("c1/depthwise", conv(1, groups=3, padding=1), [(2, 3, 7), (6, 1, 3)])
add("c1/same_even", conv(1, padding="same"), [(2, 3, 7), (5, 3, 4), (5,)])
add("c1/same_dilated", conv(1, padding="same", dilation=2), [(2, 3, 7), (5, 3, 3)])
add("c1/valid", conv(1, padding="valid", stride=3), [(2, 3, 10), (2, 3, 2)])
add("c1/unbatched", conv(1, padding=(1,)), [(3, 7), (4, 3, 3), (4,)])
add("c1/stride_tuple", conv(1, stride=(3,), padding=[2]), [(1, 2, 9), (2, 2, 4)])
# conv2d
add("c2/basic", conv(2), [(2, 3, 6, 5), (4, 3, 3, 3), (4,)])
add("c2/stride_pad", conv(2, stride=(2, 1), padding=(1, 2)), [(2, 3, 7, 6), (4, 3, 3, 2), (4,)])
add("c2/dilation", conv(2, dilation=(2, 1), padding=1), [(2, 2, 7, 6), (3, 2, 3, 3), (3,)])
add("c2/groups_stride", conv(2, groups=2, stride=2, padding=1), [(2, 4, 7, 7), (6, 2, 3, 3), (6,)])
add("c2/depthwise", conv(2, groups=3), [(2, 3, 5, 5), (3, 1, 2, 3)])
add("c2/all", conv(2, stride=(2, 3), padding=(2, 1), dilation=(1, 2), groups=2), [(2, 4, 8, 9), (4, 2, 3, 2), (4,)])
add("c2/same_odd", conv(2, padding="same"), [(2, 3, 5, 6), (4, 3, 3, 3), (4,)])
add("c2/same_even", conv(2, padding="same"), [(2, 3, 5, 6), (4, 3, 2, 4), (4,)])
add("c2/same_even_dilated", conv(2, padding="same", dilation=(2, 3)), [(2, 2, 6, 7), (3, 2, 2, 2)])
add("c2/valid", conv(2, padding="valid"), [(2, 3, 5, 4), (2, 3, 2, 3)])
add("c2/unbatched", conv(2, padding=1), [(3, 5, 4), (4, 3, 3, 3), (4,)])
add("c2/unbatched_same", conv(2, padding="same"), [(2, 4, 4), (3, 2, 2, 2)])
add("c2/kernel_1x1", conv(2), [(2, 5, 4, 3), (3, 5, 1, 1), (3,)])
add("c2/kernel_1x1_stride", conv(2, stride=2), [(2, 5, 5, 4), (3, 5, 1, 1)])
add("c2/kernel_covers_input", conv(2, padding=1), [(2, 3, 3, 2), (2, 3, 5, 4), (2,)])
add("c2/stride_gt_kernel", conv(2, stride=3), [(2, 2, 8, 7), (3, 2, 2, 2), (3,)])
add("c2/padding_single", conv(2, padding=(1,), stride=(2,)), [(2, 2, 5, 5), (3, 2, 3, 3)])
add("c2/noncontiguous", lambda L, x, w, b: F(L).conv2d(x.transpose(2, 3), w.transpose(2, 3), b, padding=1),
    [(2, 3, 5, 6), (4, 3, 2, 3), (4,)])
add("c2/empty_batch", conv(2, padding=1), [(0, 3, 4, 4), (2, 3, 3, 3), (2,)], gradcheck=False)
add("c2/empty_channels", conv(2, padding=1), [(2, 0, 4, 4), (2, 0, 3, 3), (2,)], gradcheck=False)
add("t2/empty_batch", conv_t(2, stride=2), [(0, 3, 2, 2), (3, 2, 3, 3), (2,)], gradcheck=False)
# conv3d
add("c3/basic", conv(3), [(2, 2, 4, 5, 3), (3, 2, 2, 3, 2), (3,)])
add("c3/all", conv(3, stride=(1, 2, 2), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2),
    [(2, 4, 5, 5, 4), (4, 2, 2, 2, 3), (4,)])
add("c3/same_even", conv(3, padding="same"), [(1, 2, 3, 4, 4), (2, 2, 2, 3, 2)])
add("c3/unbatched", conv(3, padding=1, stride=2), [(2, 3, 4, 3), (3, 2, 3, 2, 2), (3,)])
# conv_transpose1d
add("t1/basic", conv_t(1), [(2, 3, 5), (3, 4, 3), (4,)])
add("t1/stride_pad_op", conv_t(1, stride=3, padding=1, output_padding=2), [(2, 3, 5), (3, 2, 4), (2,)])
add("t1/dilation_op", conv_t(1, dilation=2, output_padding=1, padding=2), [(2, 3, 5), (3, 2, 3)])
add("t1/groups", conv_t(1, groups=2, stride=2), [(2, 4, 4), (4, 3, 3), (6,)])
add("t1/op_beyond_padding", conv_t(1, stride=2, output_padding=1), [(2, 2, 4), (2, 3, 3), (3,)])
add("t1/unbatched", conv_t(1, stride=2, padding=1), [(3, 5), (3, 2, 3), (2,)])
# conv_transpose2d
add("t2/basic", conv_t(2), [(2, 3, 4, 3), (3, 4, 3, 2), (4,)])
add("t2/stride_pad_op", conv_t(2, stride=2, padding=1, output_padding=1), [(2, 3, 4, 4), (3, 2, 3, 3), (2,)])
add("t2/asymmetric", conv_t(2, stride=(2, 3), padding=(0, 1), output_padding=(1, 2)), [(2, 2, 3, 3), (2, 3, 2, 3)])
add("t2/groups_dilation", conv_t(2, groups=2, dilation=(2, 1), padding=1), [(2, 4, 4, 3), (4, 3, 3, 2), (6,)])
add("t2/kernel_1x1_stride", conv_t(2, stride=2), [(2, 3, 3, 3), (3, 2, 1, 1), (2,)])
add("t2/unbatched", conv_t(2, stride=2, padding=1, output_padding=1), [(3, 3, 4), (3, 2, 3, 3), (2,)])
add("t2/depthwise", conv_t(2, groups=3, stride=2), [(2, 3, 3, 3), (3, 1, 2, 2)])
add("t2/noncontiguous", lambda L, x, w: F(L).conv_transpose2d(x.transpose(2, 3), w, stride=2),
    [(2, 3, 4, 3), (3, 2, 2, 2)])
# conv_transpose3d
add("t3/basic", conv_t(3), [(2, 2, 3, 2, 3), (2, 3, 2, 2, 2), (3,)])
add("t3/all", conv_t(3, stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 1), groups=2, dilation=(1, 2, 1)),
    [(2, 4, 3, 3, 2), (4, 1, 3, 2, 2), (2,)])
add("t3/unbatched", conv_t(3, stride=2), [(2, 2, 2, 3), (2, 2, 2, 2, 2)])
# unfold and fold
add("unfold/basic", lambda L, x: F(L).unfold(x, 2), [(2, 3, 5, 4)])
add("unfold/all", lambda L, x: F(L).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), [(2, 3, 6, 7)])
add("unfold/unbatched", lambda L, x: F(L).unfold(x, [3, 2], padding=(1, 0), stride=2), [(2, 5, 4)])
add("unfold/kernel_1", lambda L, x: F(L).unfold(x, 1, stride=2), [(2, 2, 3, 4)])
add("fold/basic", lambda L, x: F(L).fold(x, (5, 4), 2), [(2, 12, 12)])
add("fold/all", lambda L, x: F(L).fold(x, (6, 7), (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), [(2, 18, 24)])
add("fold/unbatched", lambda L, x: F(L).fold(x, 4, 3, padding=1, stride=2), [(18, 4)])
add("fold/gaps", lambda L, x: F(L).fold(x, (7, 7), 2, stride=3), [(1, 8, 4)])

# integer convolutions (torch computes them; no gradient)
CASES.append(Case("c2/int64", lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1), None, grad=False,
                  inputs=lambda rng: [rng.integers(-5, 5, s) for s in [(2, 3, 4, 4), (2, 3, 3, 3), (2,)]]))
CASES.append(Case("t2/int64", lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2), None, grad=False,
                  inputs=lambda rng: [rng.integers(-5, 5, s) for s in [(2, 3, 3, 3), (3, 2, 2, 2)]]))


def _float(a):
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _run(lib, case, arrays):
    """Output and the gradients of every floating input for a random output gradient."""
    ts = [lib.tensor(a, requires_grad=case.grad and _float(a)) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel warns, in both libraries
        out = case.fn(lib, *ts)
    result = {"out": out.detach().numpy()}
    if case.grad:
        g = np.random.default_rng(_seed(case.name) + 1).standard_normal(tuple(out.shape)).astype(result["out"].dtype)
        (out * lib.tensor(g)).sum().backward()
        result["grads"] = [t.grad.numpy() for t in ts if t.requires_grad]
    return result


def _compare(got, ref, name, rtol, atol):
    assert got["out"].shape == ref["out"].shape, f"{name}: shape {got['out'].shape} != {ref['out'].shape}"
    assert got["out"].dtype == ref["out"].dtype, f"{name}: dtype {got['out'].dtype} != {ref['out'].dtype}"
    np.testing.assert_allclose(got["out"], ref["out"], rtol=rtol, atol=atol, err_msg=f"{name} forward")
    for k, (g, r) in enumerate(zip(got.get("grads", []), ref.get("grads", []))):
        assert g.shape == r.shape and g.dtype == r.dtype, f"{name}: gradient {k} is {g.shape} {g.dtype}"
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol, err_msg=f"{name} grad of input {k}")
    assert len(got.get("grads", [])) == len(ref.get("grads", []))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_functional_matches_torch_float64(case):
    arrays = make_inputs(case)
    ref = golden(case.name, lambda: _run(__import__("torch"), case, arrays))
    _compare(_run(npgrad, case, arrays), ref, case.name, rtol=1e-10, atol=1e-12)


GRADCHECK = [c for c in CASES if c.grad and c.gradcheck]


@pytest.mark.parametrize("case", GRADCHECK, ids=[c.name for c in GRADCHECK])
def test_functional_gradcheck(case):
    inputs = [npgrad.tensor(a, requires_grad=True) for a in make_inputs(case)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda *xs: case.fn(npgrad, *xs), inputs, eps=1e-6, atol=1e-7, rtol=1e-5)


FLOAT32 = [c for c in CASES if c.name in ("c1/groups", "c1/same_even", "c2/all", "c2/same_even", "c2/kernel_1x1",
                                          "c3/all", "t1/stride_pad_op", "t2/groups_dilation", "t3/all", "unfold/all",
                                          "fold/all")]


@pytest.mark.parametrize("case", FLOAT32, ids=[c.name for c in FLOAT32])
def test_functional_float32_stays_float32(case):
    arrays = [a.astype(np.float32) for a in make_inputs(case)]
    ref = golden(f"f32/{case.name}", lambda: _run(__import__("torch"), case, arrays))
    got = _run(npgrad, case, arrays)
    assert got["out"].dtype == np.float32 and all(g.dtype == np.float32 for g in got["grads"])
    _compare(got, ref, case.name, rtol=2e-5, atol=2e-5)


BLOCKED = [c for c in CASES if c.name in ("c1/groups", "c2/all", "c2/same_even", "c3/all", "t1/groups",
                                          "t2/stride_pad_op", "t3/all", "c2/int64")]


@pytest.mark.parametrize("case", BLOCKED, ids=[c.name for c in BLOCKED])
def test_batch_processed_in_blocks(case, monkeypatch):
    """Blocks of one image (the columns of a large batch are made block by block) give the same numbers."""
    import npgrad.nn.functional.conv as conv_module

    monkeypatch.setattr(conv_module, "_BLOCK_BYTES", 1)
    arrays = make_inputs(case)
    assert arrays[0].shape[0] >= 2
    ref = golden(case.name, lambda: _run(__import__("torch"), case, arrays))
    _compare(_run(npgrad, case, arrays), ref, case.name, rtol=1e-10, atol=1e-12)


def test_both_column_layouts_are_exercised():
    """Stride-1 convolutions with many columns per output channel lay their windows on whole rows (the
    'wide' grid); the table above runs both layouts."""
    from npgrad.nn.functional.conv import _Shape

    wide = _Shape((2, 3, 6, 5), (4, 3, 3, 3), [1, 1], [(0, 0), (0, 0)], [1, 1], False, [0, 0], 1)   # c2/basic
    assert wide.grid == [4, 5] and wide.big == [7, 5] and wide.inner == [4, 3]
    narrow = _Shape((2, 3, 7, 6), (4, 3, 3, 2), [2, 1], [(1, 1), (2, 2)], [1, 1], False, [0, 0], 1)  # strided
    assert narrow.grid == narrow.inner == [4, 9]
    few_columns = _Shape((64, 1, 28, 28), (32, 1, 3, 3), [1, 1], [(1, 1), (1, 1)], [1, 1], False, [0, 0], 1)
    assert few_columns.grid == few_columns.inner == [28, 28]
    transposed = _Shape((2, 4, 4, 3), (4, 3, 3, 2), [1, 1], [1, 0], [2, 1], True, [0, 0], 2)  # t2/groups_dilation
    assert transposed.grid == [4, 4] and transposed.inner == [4, 3] and transposed.big == [9, 4]


def test_unbatched_equals_batched_of_one():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 6, 5)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    args = [npgrad.tensor(a) for a in (x, w, b)]
    one = F(npgrad).conv2d(args[0], *args[1:], stride=(2, 1), padding=1)
    batch = F(npgrad).conv2d(args[0].unsqueeze(0), *args[1:], stride=(2, 1), padding=1)
    np.testing.assert_array_equal(one.numpy(), batch.numpy()[0])


def test_transposed_is_the_adjoint_of_convolution():
    """<conv(x, w), y> == <x, conv_transpose(y, w)> with the same stride, padding, dilation and groups."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 2, 3, 2))
    opts = dict(stride=(2, 3), padding=(1, 1), dilation=(2, 1), groups=2)
    y = F(npgrad).conv2d(npgrad.tensor(x), npgrad.tensor(w), **opts).numpy()
    r = rng.standard_normal(y.shape)
    back = F(npgrad).conv_transpose2d(npgrad.tensor(r), npgrad.tensor(w), output_padding=(0, 2), **opts).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(y, r), np.vdot(x, back), rtol=1e-12)


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 6))
    opts = dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))
    cols = F(npgrad).unfold(npgrad.tensor(x), **opts).numpy()
    r = rng.standard_normal(cols.shape)
    back = F(npgrad).fold(npgrad.tensor(r), (7, 6), **opts).numpy()
    np.testing.assert_allclose(np.vdot(cols, r), np.vdot(x, back), rtol=1e-12)


def test_grad_fn_names():
    def names(lib):
        x = lib.ones(1, 2, 4, 4, dtype=lib.float64, requires_grad=True)
        w = lib.ones(2, 2, 2, 2, dtype=lib.float64)
        cols = lib.ones(1, 8, 9, dtype=lib.float64, requires_grad=True)
        return [F(lib).conv2d(x, w).grad_fn.name(), F(lib).conv_transpose2d(x, w).grad_fn.name(),
                F(lib).unfold(x, 2).grad_fn.name(), F(lib).fold(cols, 4, 2).grad_fn.name()]

    assert names(npgrad) == golden.json("grad_fn_names", lambda: names(__import__("torch")))


def test_same_padding_with_an_even_kernel_warns():
    x, w = npgrad.zeros(1, 2, 5, 5), npgrad.zeros(3, 2, 2, 3)
    with pytest.warns(UserWarning, match="Using padding='same' with even kernel lengths and odd dilation may require "
                                         "a zero-padded copy of the input be created"):
        assert F(npgrad).conv2d(x, w, padding="same").shape == (1, 3, 5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F(npgrad).conv2d(x, npgrad.zeros(3, 2, 3, 3), padding="same")  # symmetric: silent


def test_no_gradient_no_saved_columns():
    """Under no_grad the forward keeps nothing for backward; weights alone requiring grad still work."""
    x, w = npgrad.randn(2, 3, 6, 6), npgrad.randn(4, 3, 3, 3, requires_grad=True)
    with npgrad.no_grad():
        y = F(npgrad).conv2d(x, w)
    assert y.grad_fn is None and not y.requires_grad
    F(npgrad).conv2d(x, w).sum().backward()
    assert w.grad.shape == w.shape and x.grad is None


# --------------------------------------------------------------------------- errors


def _z(lib, *shape, dtype=None):
    return lib.zeros(*shape, dtype=dtype or lib.float64)


def _x(L):
    return _z(L, 2, 3, 5, 5)


def _w(L):
    return _z(L, 8, 3, 3, 3)


def _wt(L):
    return _z(L, 3, 4, 3, 3)


ERRORS = {
    # conv: input and weight dims
    "conv2d_input_2d": lambda L: F(L).conv2d(_z(L, 2, 3), _w(L)),
    "conv2d_input_5d": lambda L: F(L).conv2d(_z(L, 2, 3, 5, 5, 5), _w(L)),
    "conv1d_input_4d": lambda L: F(L).conv1d(_x(L), _z(L, 8, 3, 3)),
    "conv3d_input_3d": lambda L: F(L).conv3d(_z(L, 2, 3, 4), _z(L, 8, 3, 3, 3, 3)),
    "weight_3d_in_conv2d": lambda L: F(L).conv2d(_x(L), _z(L, 8, 3, 3)),
    "weight_5d_in_conv2d": lambda L: F(L).conv2d(_x(L), _z(L, 8, 3, 3, 3, 3)),
    "weight_5d_stride3": lambda L: F(L).conv2d(_x(L), _z(L, 8, 3, 3, 3, 3), stride=(1, 1, 1)),
    "weight_2d": lambda L: F(L).conv1d(_z(L, 2, 3, 5), _z(L, 3, 3)),
    # channels, groups, bias
    "channels": lambda L: F(L).conv2d(_z(L, 2, 4, 5, 5), _w(L)),
    "channels_unbatched": lambda L: F(L).conv2d(_z(L, 4, 5, 5), _w(L)),
    "channels_groups": lambda L: F(L).conv2d(_x(L), _z(L, 4, 2, 3, 3), groups=2),
    "weight_not_divisible_by_groups": lambda L: F(L).conv2d(_z(L, 2, 4, 5, 5), _z(L, 3, 2, 3, 3), groups=2),
    "weight_fewer_than_groups": lambda L: F(L).conv2d(_x(L), _z(L, 0, 3, 3, 3)),
    "groups_zero": lambda L: F(L).conv2d(_x(L), _w(L), groups=0),
    "bias_size": lambda L: F(L).conv2d(_x(L), _w(L), _z(L, 4)),
    "bias_2d": lambda L: F(L).conv2d(_x(L), _w(L), _z(L, 8, 1)),
    # sizes
    "kernel_too_big": lambda L: F(L).conv2d(_z(L, 2, 3, 2, 2), _w(L)),
    "kernel_too_big_1d": lambda L: F(L).conv1d(_z(L, 2, 3, 2), _z(L, 8, 3, 3)),
    "kernel_too_big_3d": lambda L: F(L).conv3d(_z(L, 2, 3, 2, 5, 5), _z(L, 8, 3, 3, 3, 3)),
    "kernel_too_big_dilated": lambda L: F(L).conv2d(_z(L, 2, 3, 4, 4), _w(L), dilation=2, padding=(1, 0)),
    "empty_spatial": lambda L: F(L).conv2d(_z(L, 2, 3, 0, 5), _w(L)),
    "empty_spatial_padded": lambda L: F(L).conv2d(_z(L, 2, 3, 0, 2), _z(L, 8, 3, 1, 1), padding=1),
    "kernel_zero": lambda L: F(L).conv2d(_x(L), _z(L, 8, 3, 0, 3)),
    "kernel_zero_1d": lambda L: F(L).conv1d(_z(L, 2, 3, 5), _z(L, 8, 3, 0)),
    "kernel_zero_3d": lambda L: F(L).conv3d(_z(L, 1, 3, 4, 4, 4), _z(L, 8, 3, 0, 1, 2)),
    # stride, padding, dilation
    "stride_zero": lambda L: F(L).conv2d(_x(L), _w(L), stride=0),
    "stride_negative": lambda L: F(L).conv2d(_x(L), _w(L), stride=(1, -1)),
    "padding_negative": lambda L: F(L).conv2d(_x(L), _w(L), padding=-1),
    "padding_before_stride": lambda L: F(L).conv2d(_x(L), _w(L), stride=0, padding=-1),
    "dilation_negative": lambda L: F(L).conv2d(_x(L), _w(L), dilation=-1),
    "dilation_zero": lambda L: F(L).conv2d(_x(L), _w(L), dilation=(1, 0)),
    "dilation_zero_1d": lambda L: F(L).conv1d(_z(L, 2, 3, 5), _z(L, 8, 3, 3), dilation=0),
    "dilation_zero_3d": lambda L: F(L).conv3d(_z(L, 1, 2, 5, 5, 5), _z(L, 8, 2, 3, 3, 3), dilation=0),
    "stride_len": lambda L: F(L).conv2d(_x(L), _w(L), stride=(1, 1, 1)),
    "padding_len": lambda L: F(L).conv2d(_x(L), _w(L), padding=(1, 1, 1)),
    "dilation_len": lambda L: F(L).conv2d(_x(L), _w(L), dilation=(1, 1, 1)),
    "padding_empty": lambda L: F(L).conv2d(_x(L), _w(L), padding=()),
    "padding_string": lambda L: F(L).conv2d(_x(L), _w(L), padding="foo"),
    "same_strided": lambda L: F(L).conv2d(_x(L), _w(L), padding="same", stride=2),
    "same_strided_tuple": lambda L: F(L).conv2d(_x(L), _w(L), padding="same", stride=(1, 2)),
    "same_stride_len": lambda L: F(L).conv2d(_x(L), _w(L), padding="same", stride=(1, 1, 1)),
    "same_dilation_len": lambda L: F(L).conv2d(_x(L), _w(L), padding="same", dilation=(1, 1, 1)),
    "same_weight_3d": lambda L: F(L).conv2d(_x(L), _z(L, 8, 3, 3), padding="same"),
    "same_groups_zero": lambda L: F(L).conv2d(_x(L), _w(L), padding="same", groups=0),
    "same_channels_after_padding": lambda L: F(L).conv2d(_z(L, 2, 4, 5, 5), _z(L, 3, 3, 2, 2), padding="same"),
    # dtypes
    "weight_dtype_double_input": lambda L: F(L).conv2d(_x(L), _z(L, 8, 3, 3, 3, dtype=L.float32)),
    "weight_dtype_float_input": lambda L: F(L).conv2d(_z(L, 2, 3, 5, 5, dtype=L.float32), _w(L)),
    "bias_dtype": lambda L: F(L).conv2d(_x(L), _w(L), _z(L, 8, dtype=L.float32)),
    "bias_dtype_float_input": lambda L: F(L).conv2d(_z(L, 2, 3, 5, 5, dtype=L.float32), _w(L), _z(L, 8)),
    "bias_and_weight_dtype": lambda L: F(L).conv2d(_x(L), _z(L, 8, 3, 3, 3, dtype=L.float32),
                                                   _z(L, 8, dtype=L.float32)),
    "int_input_float_weight": lambda L: F(L).conv2d(_z(L, 1, 3, 5, 5, dtype=L.int64), _w(L)),
    "bool_input": lambda L: F(L).conv2d(_z(L, 1, 3, 5, 5, dtype=L.bool), _z(L, 8, 3, 3, 3, dtype=L.bool)),
    # transposed
    "t_output_padding": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), output_padding=1),
    "t_output_padding_stride": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), stride=2, output_padding=2),
    "t_output_padding_1d": lambda L: F(L).conv_transpose1d(_z(L, 2, 3, 5), _z(L, 3, 4, 3), output_padding=1),
    "t_output_padding_1d_dilated": lambda L: F(L).conv_transpose1d(_z(L, 2, 3, 5), _z(L, 3, 4, 3), dilation=2,
                                                                   output_padding=2),
    "t_output_padding_3d": lambda L: F(L).conv_transpose3d(_z(L, 2, 3, 5, 5, 5), _z(L, 3, 4, 3, 3, 3),
                                                           output_padding=1),
    "t_output_padding_negative": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), output_padding=-1, stride=2),
    "t_output_padding_len": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), output_padding=(0, 0, 0)),
    "t_padding_negative": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), padding=-1),
    "t_stride_zero": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), stride=0),
    "t_dilation_zero": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), dilation=(1, 0)),
    "t_dilation_zero_1d": lambda L: F(L).conv_transpose1d(_z(L, 2, 3, 5), _z(L, 3, 8, 3), dilation=0),
    "t_dilation_zero_3d": lambda L: F(L).conv_transpose3d(_z(L, 1, 2, 3, 3, 3), _z(L, 2, 8, 3, 3, 3), dilation=0),
    "t_channels": lambda L: F(L).conv_transpose2d(_z(L, 2, 4, 5, 5), _wt(L)),
    "t_channels_unbatched": lambda L: F(L).conv_transpose2d(_z(L, 4, 2, 2), _wt(L)),
    "t_bias": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), _z(L, 3)),
    "t_groups": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), groups=2),
    "t_output_too_small": lambda L: F(L).conv_transpose2d(_z(L, 2, 3, 1, 1), _wt(L), padding=2),
    "t_output_too_small_1d": lambda L: F(L).conv_transpose1d(_z(L, 2, 3, 1), _z(L, 3, 4, 3), padding=2),
    "t_output_too_small_3d": lambda L: F(L).conv_transpose3d(_z(L, 2, 3, 1, 1, 1), _z(L, 3, 4, 3, 3, 3), padding=2),
    "t_kernel_zero": lambda L: F(L).conv_transpose2d(_z(L, 1, 2, 3, 5), _z(L, 2, 8, 0, 3)),
    "t_weight_empty": lambda L: F(L).conv_transpose2d(_x(L), _z(L, 3, 0, 3, 3)),
    "t_empty_spatial": lambda L: F(L).conv_transpose2d(_z(L, 2, 3, 0, 2), _wt(L)),
    "t_input_2d": lambda L: F(L).conv_transpose2d(_z(L, 3, 5), _wt(L)),
    "t_weight_3d": lambda L: F(L).conv_transpose2d(_x(L), _z(L, 3, 4, 3)),
    "t_padding_string": lambda L: F(L).conv_transpose2d(_x(L), _wt(L), padding="same"),
    "t_dtype_double_input": lambda L: F(L).conv_transpose2d(_x(L), _z(L, 3, 4, 3, 3, dtype=L.float32)),
    "t_dtype_float_input": lambda L: F(L).conv_transpose2d(_z(L, 2, 3, 5, 5, dtype=L.float32), _wt(L)),
    # unfold
    "unfold_2d": lambda L: F(L).unfold(_z(L, 5, 5), 2),
    "unfold_1d": lambda L: F(L).unfold(_z(L, 5), 2),
    "unfold_5d": lambda L: F(L).unfold(_z(L, 1, 2, 3, 5, 5), 2),
    "unfold_too_big": lambda L: F(L).unfold(_x(L), 6),
    "unfold_too_big_dilated": lambda L: F(L).unfold(_x(L), 3, dilation=3),
    "unfold_kernel_zero": lambda L: F(L).unfold(_x(L), 0),
    "unfold_stride_zero": lambda L: F(L).unfold(_x(L), 2, stride=0),
    "unfold_dilation_zero": lambda L: F(L).unfold(_x(L), 2, dilation=0),
    "unfold_padding_negative": lambda L: F(L).unfold(_x(L), 2, padding=-1),
    "unfold_order": lambda L: F(L).unfold(_x(L), 2, padding=-1, stride=0, dilation=0),
    "unfold_empty_spatial": lambda L: F(L).unfold(_z(L, 2, 3, 0, 5), 2),
    "unfold_empty_channels": lambda L: F(L).unfold(_z(L, 2, 0, 5, 5), 2),
    "unfold_kernel_len": lambda L: F(L).unfold(_x(L), (2, 2, 2)),
    "unfold_int": lambda L: F(L).unfold(_z(L, 2, 3, 5, 5, dtype=L.int64), 2),
    # fold
    "fold_4d": lambda L: F(L).fold(_z(L, 1, 2, 12, 16), (5, 5), 2),
    "fold_1d": lambda L: F(L).fold(_z(L, 16), (5, 5), 2),
    "fold_not_divisible": lambda L: F(L).fold(_z(L, 2, 13, 16), (5, 5), 2),
    "fold_not_divisible_unbatched": lambda L: F(L).fold(_z(L, 13, 16), (5, 5), 2),
    "fold_blocks": lambda L: F(L).fold(_z(L, 2, 12, 15), (5, 5), 2),
    "fold_blocks_unbatched": lambda L: F(L).fold(_z(L, 12, 15), (5, 5), 2),
    "fold_blocks_all": lambda L: F(L).fold(_z(L, 2, 12, 10), 5, 2, dilation=2, padding=1, stride=(1, 2)),
    "fold_output_small": lambda L: F(L).fold(_z(L, 2, 12, 16), (1, 1), 2),
    "fold_output_zero": lambda L: F(L).fold(_z(L, 2, 12, 16), (0, 5), 2),
    "fold_kernel_zero": lambda L: F(L).fold(_z(L, 2, 12, 16), (5, 5), 0),
    "fold_stride_zero": lambda L: F(L).fold(_z(L, 2, 12, 16), (5, 5), 2, stride=0),
    "fold_dilation_zero": lambda L: F(L).fold(_z(L, 2, 12, 16), (5, 5), 2, dilation=0),
    "fold_padding_negative": lambda L: F(L).fold(_z(L, 2, 12, 16), (5, 5), 2, padding=-1),
    "fold_order": lambda L: F(L).fold(_z(L, 2, 12, 16), (5, 5), 2, padding=-1, stride=0, dilation=0),
    "fold_empty_channels": lambda L: F(L).fold(_z(L, 2, 0, 16), (5, 5), 2),
    "fold_empty_blocks": lambda L: F(L).fold(_z(L, 2, 12, 0), (1, 1), 2),
    "fold_output_size_len": lambda L: F(L).fold(_z(L, 2, 12, 16), (5, 5, 5), 2),
    "fold_stride_len": lambda L: F(L).fold(_z(L, 2, 12, 16), 5, 2, stride=(1, 1, 1)),
    "fold_int": lambda L: F(L).fold(_z(L, 2, 12, 16, dtype=L.int64), (5, 5), 2),
    # modules
    "module_groups_zero": lambda L: L.nn.Conv2d(4, 4, 3, groups=0),
    "module_in_channels_groups": lambda L: L.nn.Conv2d(3, 4, 3, groups=2),
    "module_out_channels_groups": lambda L: L.nn.Conv1d(4, 3, 3, groups=2),
    "module_same_strided": lambda L: L.nn.Conv2d(4, 4, 3, padding="same", stride=(1, 2)),
    "module_transposed_padding_mode": lambda L: L.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
    "module_output_size_range": lambda L: L.nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)(
        _z(L, 1, 2, 6, 6), output_size=[14, 14]),
    "module_output_size_len": lambda L: L.nn.ConvTranspose2d(2, 2, 3, stride=2)(_z(L, 1, 2, 6, 6),
                                                                                output_size=(1, 13)),
    "module_output_size_len_unbatched": lambda L: L.nn.ConvTranspose1d(2, 2, 3)(_z(L, 2, 6), output_size=(1, 1, 8)),
    "module_input_dims": lambda L: L.nn.Conv2d(3, 4, 3)(_z(L, 3, 5, dtype=L.float32)),
    "module_dtype": lambda L: L.nn.Conv2d(3, 4, 3)(_z(L, 1, 3, 5, 5)),
    "module_reflect_too_much": lambda L: L.nn.Conv1d(2, 2, 3, padding=4, padding_mode="reflect")(_z(L, 1, 2, 4)),
    "lazy_groups": lambda L: L.nn.LazyConv2d(4, 3, groups=2)(_z(L, 1, 3, 5, 5, dtype=L.float32)),
}

# set literals in messages print in hash order; compare them sorted
_SET = re.compile(r"\{('[^{}]*')\}")


def _normalise(message):
    message = message.replace("torch.", "npgrad.")
    return _SET.sub(lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


def _error(lib, call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return [type(e).__name__, _normalise(str(e))]
    return ["no error", ""]


@pytest.mark.parametrize("key", list(ERRORS))
def test_errors_match_torch(key):
    expected = golden.json(f"error/{key}", lambda: _error(__import__("torch"), ERRORS[key]))
    assert expected[0] != "no error"
    assert _error(npgrad, ERRORS[key]) == expected


def test_padding_mode_message_lists_the_modes():
    with pytest.raises(ValueError, match=r"padding_mode must be one of \{.*'circular'.*\}, but got "
                                         r"padding_mode='foo'"):
        npgrad.nn.Conv2d(3, 4, 3, padding_mode="foo")
    with pytest.raises(ValueError, match=r"Invalid padding string 'full', should be one of \{.*'same'.*\}"):
        npgrad.nn.Conv2d(3, 4, 3, padding="full")


# --------------------------------------------------------------------------- modules

# (id, class name, args, kwargs, input shape, forward kwargs)
MODULES = [
    ("conv1d", "Conv1d", (4, 6, 3), {"stride": 2, "padding": 1}, (2, 4, 9), {}),
    ("conv1d_reflect_groups", "Conv1d", (4, 6, 3), {"padding": 2, "padding_mode": "reflect", "groups": 2},
     (2, 4, 9), {}),
    ("conv1d_circular_same_unbatched", "Conv1d", (3, 2, 4), {"padding": "same", "padding_mode": "circular"},
     (3, 7), {}),
    ("conv2d", "Conv2d", (3, 8, 3), {}, (2, 3, 6, 6), {}),
    ("conv2d_all", "Conv2d", (4, 6, (3, 2)), {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2,
                                               "bias": False}, (2, 4, 7, 6), {}),
    ("conv2d_replicate", "Conv2d", (3, 4, 3), {"padding": 1, "padding_mode": "replicate"}, (2, 3, 5, 5), {}),
    ("conv2d_reflect_same_even", "Conv2d", (2, 3, (2, 4)), {"padding": "same", "padding_mode": "reflect"},
     (2, 2, 5, 6), {}),
    ("conv2d_circular_strided", "Conv2d", (2, 3, 3), {"padding": (1, 2), "padding_mode": "circular", "stride": 2},
     (2, 2, 5, 6), {}),
    ("conv2d_zeros_same_even", "Conv2d", (2, 3, 2), {"padding": "same", "dilation": (1, 2)}, (2, 2, 5, 6), {}),
    ("conv2d_valid_unbatched", "Conv2d", (2, 3, 2), {"padding": "valid"}, (2, 4, 4), {}),
    ("conv3d", "Conv3d", (2, 4, (2, 3, 2)), {"padding": 1, "stride": (1, 2, 1)}, (2, 2, 4, 5, 4), {}),
    ("conv3d_replicate", "Conv3d", (2, 2, 3), {"padding": 1, "padding_mode": "replicate"}, (1, 2, 3, 4, 3), {}),
    ("conv3d_circular_unbatched", "Conv3d", (2, 2, 2), {"padding": (1, 0, 1), "padding_mode": "circular"},
     (2, 3, 3, 3), {}),
    ("convT1d", "ConvTranspose1d", (4, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
     (2, 4, 5), {}),
    ("convT1d_output_size", "ConvTranspose1d", (2, 3, 3), {"stride": 3}, (2, 2, 4), {"output_size": [2, 3, 14]}),
    ("convT2d_output_size", "ConvTranspose2d", (3, 4, 3), {"stride": 2, "padding": 1}, (2, 3, 4, 4),
     {"output_size": [8, 8]}),
    ("convT2d_dilation_unbatched", "ConvTranspose2d", (2, 4, (2, 3)), {"dilation": (2, 1), "bias": False,
                                                                       "groups": 2}, (2, 3, 3), {}),
    ("convT3d", "ConvTranspose3d", (2, 3, 2), {"stride": (2, 1, 2), "output_padding": (1, 0, 0)}, (1, 2, 2, 3, 2),
     {}),
    ("convT3d_output_size_unbatched", "ConvTranspose3d", (2, 1, 2), {"stride": 2}, (2, 2, 2, 2),
     {"output_size": (1, 5, 4, 5)}),
    ("fold", "Fold", ((4, 5), 2), {}, (2, 8, 12), {}),
    ("fold_all", "Fold", ((5, 6), (2, 3)), {"dilation": (1, 2), "padding": 1, "stride": 2}, (2, 12, 6), {}),
    ("unfold", "Unfold", ((2, 3),), {"padding": 1, "stride": 2}, (2, 3, 5, 5), {}),
]


def _module_run(lib, case):
    case_id, name, args, kwargs, shape, fkwargs = case
    rng = np.random.default_rng(_seed(case_id))
    x = rng.standard_normal(shape)
    mod = getattr(lib.nn, name)(*args, **kwargs).double()
    params = dict(mod.named_parameters())
    for pname in sorted(params):
        with lib.no_grad():
            params[pname].copy_(lib.tensor(rng.standard_normal(tuple(params[pname].shape))))
    xt = lib.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel warns, in both libraries
        y = mod(xt, **fkwargs)
    (y * lib.tensor(rng.standard_normal(tuple(y.shape)))).sum().backward()
    return {"out": y.detach().numpy(), "grad": xt.grad.numpy(),
            "pgrads": {k: p.grad.numpy() for k, p in params.items()}}


def _close(actual, expected, key):
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected), key
        for k in expected:
            _close(actual[k], expected[k], f"{key}/{k}")
    else:
        expected = np.asarray(expected)
        assert actual.shape == expected.shape and actual.dtype == expected.dtype, key
        np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("case", MODULES, ids=[c[0] for c in MODULES])
def test_module_matches_torch(case):
    _close(_module_run(npgrad, case), golden(f"module/{case[0]}", lambda: _module_run(__import__("torch"), case)),
           case[0])


def _describe(lib, name, args, kwargs):
    mod = getattr(lib.nn, name)(*args, **kwargs)
    attrs = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
             "output_padding", "groups", "padding_mode", "_reversed_padding_repeated_twice", "output_size")
    out = {"repr": repr(mod), "attrs": {a: (list(v) if isinstance(v, tuple) else v) for a in attrs
                                        if (v := getattr(mod, a, "-")) != "-"}}
    if not name.startswith("Lazy"):  # PyTorch lists its uninitialised parameters; npgrad registers none yet
        out.update({"keys": list(mod.state_dict().keys()),
                    "shapes": {k: list(p.shape) for k, p in mod.named_parameters()},
                    "dtypes": {k: str(p.dtype).split(".")[-1] for k, p in mod.named_parameters()}})
    return out


DESCRIBE = [(c[0], c[1], c[2], c[3]) for c in MODULES] + [
    ("conv2d_default", "Conv2d", (3, 8, 3), {}),
    ("conv1d_float64", "Conv1d", (2, 4, 5), {"dtype": "float64"}),
    ("conv2d_padding_int", "Conv2d", (3, 8, 3), {"padding": 0, "dilation": 1, "bias": True}),
    ("conv2d_same", "Conv2d", (3, 8, (3, 4)), {"padding": "same", "dilation": (2, 1)}),
    ("conv3d_reflect", "Conv3d", (2, 2, 3), {"padding": (1, 0, 2), "padding_mode": "reflect", "groups": 2}),
    ("convT2d_all", "ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2,
                                                  "bias": False, "dilation": 2}),
    ("lazy_conv2d", "LazyConv2d", (8, 3), {"padding": 1}),
    ("lazy_conv1d_nobias", "LazyConv1d", (8, 3), {"bias": False, "groups": 2}),
    ("lazy_convT3d", "LazyConvTranspose3d", (4, 2), {"stride": 2, "output_padding": 1}),
    ("fold_tuple", "Fold", ((4, 5), (2, 2)), {"stride": (1, 2)}),
    ("unfold_int", "Unfold", (3,), {}),
]


@pytest.mark.parametrize("case", DESCRIBE, ids=[c[0] for c in DESCRIBE])
def test_repr_state_dict_and_attributes_match_torch(case):
    case_id, name, args, kwargs = case

    def describe(lib):
        kw = dict(kwargs)
        if "dtype" in kw:
            kw["dtype"] = getattr(lib, kw["dtype"])
        return _describe(lib, name, args, kw)

    assert describe(npgrad) == golden.json(f"describe/{case_id}", lambda: describe(__import__("torch")))


LAZY = [
    ("lazy_conv2d", "LazyConv2d", (6, 3), {"padding": 1, "stride": 2}, (2, 4, 7, 7), {}),
    ("lazy_conv1d_unbatched_groups", "LazyConv1d", (4, 3), {"groups": 2, "bias": False}, (6, 9), {}),
    ("lazy_conv3d_reflect", "LazyConv3d", (2, 2), {"padding": 1, "padding_mode": "reflect"}, (1, 3, 3, 3, 3), {}),
    ("lazy_convT1d_output_size", "LazyConvTranspose1d", (3, 3), {"stride": 2}, (2, 4, 5), {"output_size": [12]}),
    ("lazy_convT2d", "LazyConvTranspose2d", (3, 2), {"stride": 2, "groups": 3}, (2, 6, 3, 3), {}),
    ("lazy_convT3d_unbatched", "LazyConvTranspose3d", (2, 2), {"dilation": 2}, (3, 2, 2, 2), {}),
]


@pytest.mark.parametrize("case", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_modules_become_their_layer(case):
    case_id, name, args, kwargs, shape, fkwargs = case

    def run(lib):
        rng = np.random.default_rng(_seed(case_id))
        mod = getattr(lib.nn, name)(*args, **kwargs)
        x = lib.tensor(rng.standard_normal(shape).astype(np.float32))
        first = mod(x, **fkwargs)
        info = {"class": type(mod).__name__, "repr": repr(mod), "in_channels": mod.in_channels,
                "params": {k: [list(p.shape), str(p.dtype).split(".")[-1]] for k, p in mod.named_parameters()},
                "keys": list(mod.state_dict()), "first_shape": list(first.shape)}
        for pname, p in sorted(mod.named_parameters()):
            with lib.no_grad():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        return info, mod(x, **fkwargs).detach().numpy()

    info, out = run(npgrad)
    ref_info = golden.json(f"lazy/{case_id}", lambda: run(__import__("torch"))[0])
    assert info == ref_info
    ref_out = golden(f"lazy/{case_id}/out", lambda: run(__import__("torch"))[1])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref_out, rtol=1e-5, atol=1e-5)


def test_lazy_module_input_dims():
    for lib in (npgrad, __import__("torch")) if HAVE_TORCH else (npgrad,):
        with pytest.raises(RuntimeError, match=r"^Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, "
                                               r"but got input of size: torch.Size\(\[3, 5\]\)$"):
            lib.nn.LazyConv2d(4, 3)(lib.zeros(3, 5))


def test_parameters_must_be_ints():
    x, w = npgrad.zeros(1, 2, 5, 5), npgrad.zeros(3, 2, 3, 3)
    with pytest.raises(TypeError, match="conv2d"):
        F(npgrad).conv2d(x, w, stride=1.0)
    with pytest.raises(TypeError, match="conv2d"):
        F(npgrad).conv2d(x, w, padding=(1.0, 1))
    if HAVE_TORCH:
        import torch

        with pytest.raises(TypeError, match="conv2d"):
            torch.nn.functional.conv2d(torch.zeros(1, 2, 5, 5), torch.zeros(3, 2, 3, 3), stride=1.0)


@pytest.mark.parametrize("name,args,fan_in", [("Conv2d", (16, 32, 3), 144), ("Conv1d", (16, 48, 5, 1, 0, 1, 4), 20),
                                              ("ConvTranspose2d", (24, 16, 3, 1, 0, 0, 2), 72),
                                              ("Conv3d", (4, 64, 3), 108)])
def test_default_init_is_uniform_within_one_over_sqrt_fan_in(name, args, fan_in):
    npgrad.manual_seed(0)
    m = getattr(npgrad.nn, name)(*args)
    bound = 1 / np.sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    np.testing.assert_allclose(w.std(), bound / np.sqrt(3), rtol=0.05)
    assert np.abs(w.mean()) < 0.1 * bound
    assert np.abs(b).max() <= bound and len(np.unique(b)) == len(b)
    if HAVE_TORCH:
        import torch

        tm = getattr(torch.nn, name)(*args)
        top = float(tm.weight.detach().abs().max())
        assert 0.95 * bound < top <= bound


def test_module_float32_forward_backward_stay_float32():
    m = npgrad.nn.Conv2d(3, 4, 3, padding=1)
    x = npgrad.randn(2, 3, 5, 5, requires_grad=True)
    y = m(x)
    y.sum().backward()
    assert y.dtype == npgrad.float32 and x.grad.dtype == npgrad.float32
    assert m.weight.grad.dtype == npgrad.float32 and m.bias.grad.dtype == npgrad.float32
    t = npgrad.nn.ConvTranspose2d(4, 3, 3, stride=2)
    assert t(y).dtype == npgrad.float32


def test_state_dict_round_trip_between_layers():
    a, b = npgrad.nn.Conv2d(3, 4, 3, groups=1), npgrad.nn.Conv2d(3, 4, 3)
    b.load_state_dict(a.state_dict())
    x = npgrad.randn(1, 3, 6, 6)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


# --------------------------------------------------------------------------- the compiled paths
# Floating convolutions run on compiled kernels (npgrad.kernels.conv): the implicit product on the grid
# where the channels are many and the padding of the grid costs little, the columns otherwise. Each
# path must give the numbers of the NumPy reference (conv.KERNELS = False), values and gradients, in
# float64 and float32, through the BLAS products and through their np.matmul stand-in.

import math  # noqa: E402

from npgrad import memory  # noqa: E402
from npgrad.kernels import conv as conv_kernels  # noqa: E402
from npgrad.nn.functional import conv as conv_fn  # noqa: E402

PATHS = {
    "reference": dict(KERNELS=False),
    "columns": dict(WASTE=0.0),
    "implicit": dict(WASTE=float("inf"), MIN_CHANNELS=1),
    "implicit_numpy": dict(WASTE=float("inf"), MIN_CHANNELS=1, BLAS=False),
}


def _use_path(monkeypatch, path):
    settings = PATHS[path]
    monkeypatch.setattr(conv_fn, "KERNELS", settings.get("KERNELS", True))
    monkeypatch.setattr(conv_fn._Implicit, "WASTE", settings.get("WASTE", conv_fn._Implicit.WASTE))
    monkeypatch.setattr(conv_fn._Implicit, "MIN_CHANNELS", settings.get("MIN_CHANNELS", 8))
    monkeypatch.setattr(conv_kernels, "BLAS", settings.get("BLAS", True))


# name, function, input shape, weight shape, options: channels of 8 and more take the grid by default
GEOMETRIES = [
    ("c2/pad", "conv2d", (3, 8, 9, 7), (12, 8, 3, 3), dict(padding=1)),
    ("c2/valid_dilated", "conv2d", (2, 9, 10, 9), (8, 9, 3, 2), dict(dilation=(2, 1))),
    ("c2/same_even", "conv2d", (2, 8, 7, 8), (8, 8, 2, 4), dict(padding="same")),
    ("c2/stride2", "conv2d", (2, 8, 11, 10), (10, 8, 3, 3), dict(stride=2, padding=1)),
    ("c2/stride_mixed", "conv2d", (2, 8, 9, 12), (8, 8, 3, 2), dict(stride=(3, 2), padding=(2, 1), dilation=(1, 2))),
    ("c2/groups", "conv2d", (2, 16, 8, 8), (24, 8, 3, 3), dict(padding=1, groups=2)),
    ("c2/big_padding", "conv2d", (2, 8, 5, 6), (8, 8, 2, 2), dict(padding=3)),
    ("c2/few_channels", "conv2d", (3, 2, 9, 9), (5, 2, 3, 3), dict(padding=1)),
    ("c2/one_channel", "conv2d", (3, 1, 9, 9), (6, 1, 3, 3), dict(padding=1)),
    ("c2/pointwise", "conv2d", (2, 8, 6, 5), (16, 8, 1, 1), {}),
    ("c1/pad", "conv1d", (3, 8, 30), (8, 8, 5), dict(padding=2)),
    ("c1/stride_dilation", "conv1d", (2, 12, 31), (8, 12, 3), dict(stride=2, dilation=3, padding=1)),
    ("c3/pad", "conv3d", (2, 8, 5, 6, 4), (8, 8, 3, 3, 2), dict(padding=(1, 1, 0))),
    ("c3/stride", "conv3d", (2, 8, 7, 6, 6), (8, 8, 3, 2, 3), dict(stride=(2, 1, 2), padding=1)),
    ("t2/stride2", "conv_transpose2d", (2, 8, 7, 6), (8, 12, 4, 4), dict(stride=2, padding=1)),
    ("t2/stride1", "conv_transpose2d", (2, 8, 6, 7), (8, 8, 3, 3), dict(padding=1)),
    ("t2/output_padding", "conv_transpose2d", (2, 8, 5, 5), (8, 8, 3, 3),
     dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2))),
    ("t2/groups_dilation", "conv_transpose2d", (2, 16, 5, 4), (16, 8, 3, 2),
     dict(groups=2, dilation=(2, 1), padding=1)),
    ("t2/stride_beyond_kernel", "conv_transpose2d", (2, 8, 4, 4), (8, 8, 2, 2), dict(stride=3)),
    ("t1/stride_op", "conv_transpose1d", (2, 8, 9), (8, 8, 4), dict(stride=3, padding=1, output_padding=2)),
    ("t1/dilation_op", "conv_transpose1d", (2, 8, 9), (8, 8, 3), dict(dilation=2, output_padding=1)),
    ("t3/stride", "conv_transpose3d", (2, 8, 3, 4, 3), (8, 8, 2, 3, 2), dict(stride=2, padding=(0, 1, 0))),
]


def _conv_run(name, x, w, b, options, dtype, broadcast_gradient=False):
    """Output and the gradients of x, w and b under the current path, for a random output gradient (or
    the broadcast ones of ``y.sum().backward()``)."""
    x, w, b = (npgrad.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(F(npgrad), name)(x, w, b, **options)
    if broadcast_gradient:
        y.sum().backward()
    else:
        g = np.random.default_rng(7).standard_normal(tuple(y.shape)).astype(dtype)
        (y * npgrad.tensor(g)).sum().backward()
    return [y.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]


def _geometry_arrays(geometry):
    key, name, x_shape, w_shape, options = geometry
    rng = np.random.default_rng(_seed(key))
    out_channels = w_shape[1] * options.get("groups", 1) if name.startswith("conv_t") else w_shape[0]
    return rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(out_channels)


@pytest.mark.parametrize("path", ["columns", "implicit", "implicit_numpy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=[g[0] for g in GEOMETRIES])
def test_compiled_paths_match_the_numpy_reference(geometry, dtype, path, monkeypatch):
    key, name, _, _, options = geometry
    arrays = _geometry_arrays(geometry)
    _use_path(monkeypatch, "reference")
    ref = _conv_run(name, *arrays, options, dtype)
    _use_path(monkeypatch, path)
    got = _conv_run(name, *arrays, options, dtype)
    tol = dict(rtol=1e-10, atol=1e-11) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-4)
    for what, g, r in zip(("out", "grad x", "grad w", "grad b"), got, ref):
        assert g.dtype == dtype and g.shape == r.shape, f"{key} {what}"
        np.testing.assert_allclose(g, r, **tol, err_msg=f"{key} {what} ({path})")


@pytest.mark.parametrize("path", ["columns", "implicit"])
def test_compiled_paths_in_blocks_of_one_image(path, monkeypatch):
    for geometry in (GEOMETRIES[0], GEOMETRIES[3], GEOMETRIES[14]):
        key, name, _, _, options = geometry
        arrays = _geometry_arrays(geometry)
        _use_path(monkeypatch, "reference")
        ref = _conv_run(name, *arrays, options, np.float64)
        _use_path(monkeypatch, path)
        monkeypatch.setattr(conv_fn, "_BLOCK_BYTES", 1)
        assert len(conv_fn._compiled_path(_shape_of(name, arrays, options)).blocks(np.float64)) == arrays[0].shape[0]
        got = _conv_run(name, *arrays, options, np.float64)
        monkeypatch.setattr(conv_fn, "_BLOCK_BYTES", 4 << 20)
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-11, err_msg=key)


def _shape_of(name, arrays, options):
    """The _Shape the functional form builds for these arrays and options (no 'same', no unbatched)."""
    x, w, _ = arrays
    n = w.ndim - 2
    transposed = name.startswith("conv_t")
    pad = conv_fn._expand("padding", conv_fn._int_list(name, "padding", options.get("padding", 0), n), n)
    stride = conv_fn._expand("stride", conv_fn._int_list(name, "stride", options.get("stride", 1), n), n)
    dilation = conv_fn._expand("dilation", conv_fn._int_list(name, "dilation", options.get("dilation", 1), n), n)
    op = conv_fn._expand("output_padding", conv_fn._int_list(name, "op", options.get("output_padding", 0), n), n)
    padding = pad if transposed else [(p, p) for p in pad]
    return conv_fn._Shape(x.shape, w.shape, stride, padding, dilation, transposed, op, options.get("groups", 1))


def test_the_broadcast_gradient_of_a_sum_is_read_in_place(monkeypatch):
    """``y.sum().backward()`` hands the convolution a gradient of zero strides; every path reads it
    as it is and gets the reference's numbers (the bias gradient included)."""
    for geometry in (GEOMETRIES[0], GEOMETRIES[3], GEOMETRIES[7], GEOMETRIES[14], GEOMETRIES[15]):
        key, name, _, _, options = geometry
        arrays = _geometry_arrays(geometry)
        _use_path(monkeypatch, "reference")
        ref = _conv_run(name, *arrays, options, np.float64, broadcast_gradient=True)
        for path in ("columns", "implicit"):
            _use_path(monkeypatch, path)
            got = _conv_run(name, *arrays, options, np.float64, broadcast_gradient=True)
            for g, r in zip(got, ref):
                np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-11, err_msg=f"{key} {path}")


def test_default_path_choice():
    """The grid where the channels are many and its padding costs little; the columns for the first layer
    of a network (one channel), for few channels, and where the grid would mostly compute padding."""
    def path(name, x_shape, w_shape, **options):
        arrays = (np.zeros(x_shape), np.zeros(w_shape), None)
        return type(conv_fn._compiled_path(_shape_of(name, arrays, options))).__name__

    assert path("conv2d", (64, 32, 28, 28), (64, 32, 3, 3), padding=1) == "_Implicit"
    assert path("conv1d", (32, 64, 512), (64, 64, 5), padding=2) == "_Implicit"
    assert path("conv_transpose2d", (64, 64, 14, 14), (64, 32, 4, 4), stride=2, padding=1) == "_Implicit"
    assert path("conv2d", (64, 64, 28, 28), (128, 64, 3, 3), stride=2, padding=1) == "_Implicit"
    assert path("conv2d", (64, 1, 28, 28), (32, 1, 3, 3), padding=1) == "_Columns"
    assert path("conv2d", (8, 4, 28, 28), (8, 4, 3, 3), padding=1) == "_Columns"
    assert path("conv2d", (8, 32, 6, 6), (32, 32, 5, 5)) == "_Columns"        # 2x2 windows on a 6x6 cell
    wide = conv_fn._Implicit(_shape_of("conv2d", (np.zeros((64, 32, 28, 28)), np.zeros((64, 32, 3, 3)), None),
                                       dict(padding=1)))
    assert wide.grid == (1, 29, 29) and wide.phases == 1    # the padding after one image is before the next


@pytest.mark.parametrize("lo,stride,grid", [((0, 2, 1), (1, 2, 3), (1, 4, 3)),     # 3 phases along the width
                                             ((0, 1, 1), (1, 2, 2), (1, 4, 4)),     # stride 2: the pairs
                                             ((0, 0, 2), (1, 1, 2), (1, 5, 5)),
                                             ((0, 1, 0), (1, 1, 1), (1, 7, 8))])    # stride 1
def test_grid_cells_hold_the_padded_images(lo, stride, grid):
    """to_grid puts image b at padded position p = lo + i of cell b, on the grid of phase p % stride at
    p // stride, zeros elsewhere; from_grid reads it back (odd and even widths, both parities of lo)."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 2, 1, 5, 7))
    cells, phases = math.prod(grid), math.prod(stride)
    out = np.full((phases, 2, 2 * cells + 5), np.nan)
    sums = np.zeros(2)
    conv_kernels.to_grid(a, out, 1, 2, lo, stride, grid, sums)
    expected = np.zeros_like(out)
    for b in range(2):
        for c in range(2):
            for y in range(5):
                for x in range(7):
                    py, px = y + lo[1], x + lo[2]
                    phase = (py % stride[1]) * stride[2] + px % stride[2]
                    expected[phase, c, b * cells + (py // stride[1]) * grid[2] + px // stride[2]] = a[1 + b, c, 0, y, x]
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(sums, a[1:3].sum((0, 2, 3, 4)))
    back = np.zeros_like(a)
    conv_kernels.from_grid(out, back, 1, 2, lo, stride, grid, np.array([0.5, -1.0]))
    np.testing.assert_array_equal(back[1:3], a[1:3] + np.array([0.5, -1.0]).reshape(1, 2, 1, 1, 1))
    np.testing.assert_array_equal(back[0], 0)
    narrow = np.zeros((3, 2, 1, 5, 6))  # an even width too
    conv_kernels.from_grid(out, narrow, 1, 2, lo, stride, grid)
    np.testing.assert_array_equal(narrow[1:3], a[1:3, :, :, :, :6])


def test_kernel_columns_match_the_strided_views():
    """im2col / col2im of npgrad.kernels.conv against the NumPy reference _im2col / _col2im."""
    rng = np.random.default_rng(4)
    for kernel, stride, dilation, pad, size in [((1, 3, 3), (1, 1, 1), (1, 1, 1), (0, 1, 1), (1, 7, 6)),
                                                ((2, 2, 3), (1, 2, 3), (2, 1, 1), (1, 0, 2), (5, 6, 9)),
                                                ((1, 4, 4), (1, 2, 2), (1, 1, 1), (0, 1, 1), (1, 8, 8))]:
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal((3, 2, *size)).astype(dtype)
            big = [size[i] + 2 * pad[i] for i in range(3)]
            windows = [(big[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
            ref = conv_fn._im2col(conv_fn._place(x, pad, big), kernel, stride, dilation, windows)
            cols = np.empty((2 * math.prod(kernel), 2 * math.prod(windows)), dtype)
            conv_kernels.im2col(x, cols, 1, 2, kernel, stride, dilation, pad, windows)
            per_image = cols.reshape(cols.shape[0], 2, -1).transpose(1, 0, 2)
            np.testing.assert_array_equal(per_image, ref[1:3])
            r = rng.standard_normal(cols.shape).astype(dtype)
            back = np.zeros_like(x)
            conv_kernels.col2im(r, back, 1, 2, kernel, stride, dilation, pad, windows)
            reference_back = conv_fn._col2im(r.reshape(2 * math.prod(kernel), 2, -1).transpose(1, 0, 2)
                                             .reshape(2, 2, *kernel, *windows), big, kernel, stride, dilation,
                                             windows)
            np.testing.assert_allclose(back[1:3], conv_fn._crop(reference_back, pad, size), rtol=1e-5)


def test_gemm_on_shifted_views_with_and_without_blas(monkeypatch):
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal(200).astype(dtype)
        b = rng.standard_normal(300).astype(dtype)
        results = []
        for blas in (True, False):
            monkeypatch.setattr(conv_kernels, "BLAS", blas)
            c = np.ones(120, dtype)
            conv_kernels.gemm(4, 5, 6, (a, 3, 7), (b, 11, 9), (c, 2, 8), 0.5)          # 4x6 @ 6x5
            conv_kernels.gemm(4, 5, 6, (a, 1, 4), (b, 0, 6), (c, 50, 5), 0.0, trans_a=True, trans_b=True)
            results.append(c)
        view = lambda flat, offset, rows, cols, ld: np.lib.stride_tricks.as_strided(  # noqa: E731
            flat[offset:], (rows, cols), (ld * flat.itemsize, flat.itemsize))
        expected = np.ones(120, dtype)
        block = view(expected, 2, 4, 5, 8)
        block[:] = view(a, 3, 4, 6, 7) @ view(b, 11, 6, 5, 9) + 0.5 * block
        view(expected, 50, 4, 5, 5)[:] = view(a, 1, 6, 4, 4).T @ view(b, 0, 5, 6, 6).T
        tol = 1e-5 if dtype == np.float32 else 1e-12
        for c in results:
            np.testing.assert_allclose(c, expected, rtol=tol, atol=tol)
    c = np.zeros(120)
    for bad in [dict(c=(c, 100, 8)), dict(c=(c, -1, 8)), dict(a=(np.zeros(20), 0, 7)), dict(b=(np.zeros(300), 0, 4)),
                dict(a=(np.zeros(200, np.float32), 3, 7))]:
        args = {**dict(a=(np.zeros(200), 3, 7), b=(np.zeros(300), 11, 9), c=(c, 2, 8)), **bad}
        with pytest.raises(ValueError, match="outside its array"):
            conv_kernels.gemm(4, 5, 6, args["a"], args["b"], args["c"], 0.0)


def test_small_product_matches_matmul():
    rng = np.random.default_rng(6)
    for depth in (9, 11, 2):  # whole passes of three rows, and the rows left over
        w, cols, bias = rng.standard_normal((5, depth)), rng.standard_normal((depth, 3 * 10)), rng.standard_normal(5)
        out = np.zeros((4, 5, 10))
        conv_kernels.small_product(w, cols, out, 1, 3, bias)
        expected = np.matmul(w, cols.reshape(depth, 3, 10).transpose(1, 0, 2)) + bias.reshape(1, 5, 1)
        np.testing.assert_allclose(out[1:], expected, rtol=1e-12)
        assert not out[0].any()
    # enough planes for the second thread (it takes the second half of the planes)
    w, cols = rng.standard_normal((32, 9)).astype(np.float32), rng.standard_normal((9, 40 * 64)).astype(np.float32)
    out = np.zeros((40, 32, 64), np.float32)
    assert out.size >= conv_kernels._MIN_SPLIT
    conv_kernels.small_product(w, cols, out, 0, 40)
    np.testing.assert_allclose(out, np.matmul(w, cols.reshape(9, 40, 64).transpose(1, 0, 2)), rtol=1e-5, atol=1e-5)


def test_a_warm_convolution_step_takes_no_fresh_memory():
    """Activations, gradients, grids and columns come from npgrad.memory: once warm, a training step of
    convolutions allocates no new large block."""
    memory.empty_cache()
    rng = np.random.default_rng(8)
    x = npgrad.tensor(rng.standard_normal((16, 3, 20, 20)).astype(np.float32))
    layers = [npgrad.nn.Conv2d(3, 16, 3, padding=1), npgrad.nn.Conv2d(16, 16, 3, padding=1),
              npgrad.nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)]

    def step():
        h = x
        for layer in layers:
            h = F(npgrad).relu(layer(h))
        h.sum().backward()
        for layer in layers:
            for p in layer.parameters():
                p.grad = None

    step()
    step()
    before = memory.stats()["fresh"]
    step()
    assert memory.stats()["fresh"] == before
