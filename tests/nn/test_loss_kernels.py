"""The fused cross-entropy kernel and the polynomial exp/log against their NumPy references."""
import numpy as np
import pytest

from npgrad.kernels._fastmath import exp_reference, log_reference
from npgrad.kernels.cross_entropy import cross_entropy_forward_backward, cross_entropy_reference


@pytest.mark.parametrize("dtype,lo,hi", [(np.float32, -110.0, 95.0), (np.float64, -760.0, 720.0)])
def test_fast_exp_within_one_ulp(dtype, lo, hi):
    x = np.linspace(lo, hi, 200_001).astype(dtype)
    out = np.empty_like(x)
    exp_reference(x, out)
    with np.errstate(over="ignore"):
        ref = np.exp(x.astype(np.float64))
    info = np.finfo(dtype)
    normal = (ref > info.tiny) & (ref < info.max)
    rel = np.abs(out[normal] - ref[normal]) / ref[normal]
    assert rel.max() <= 1.0 * info.eps
    assert np.all(np.isinf(out[ref > info.max]))
    sub = ref <= info.tiny
    assert np.abs(out[sub] - ref[sub].astype(dtype)).max() <= info.smallest_subnormal
    special = np.array([np.inf, -np.inf, np.nan, 0.0], dtype)
    got = np.empty_like(special)
    exp_reference(special, got)
    np.testing.assert_array_equal(got, np.array([np.inf, 0.0, np.nan, 1.0], dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_log_within_one_ulp(dtype):
    info = np.finfo(dtype)
    x = np.concatenate([np.geomspace(float(info.smallest_subnormal), float(info.max) / 4, 200_001).astype(dtype),
                        np.linspace(0.5, 2.0, 10_001).astype(dtype)])
    x = x[np.isfinite(x) & (x > 0)]
    out = np.empty_like(x)
    log_reference(x, out)
    ref = np.log(x.astype(np.float64))
    err = np.abs(out - ref) / np.maximum(np.abs(ref), 1.0)
    assert err.max() <= 1.5 * info.eps
    special = np.array([0.0, -1.0, np.inf, np.nan], dtype)
    got = np.empty_like(special)
    log_reference(special, got)
    np.testing.assert_array_equal(got, np.array([-np.inf, np.nan, np.inf, np.nan], dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_kernel_matches_numpy_reference(dtype, reduction):
    rng = np.random.default_rng(0)
    x = (4 * rng.standard_normal((37, 23))).astype(dtype)
    t = rng.integers(0, 23, 37)
    t[[3, 9]] = -100
    w = rng.uniform(0.1, 2, 23)
    tol = dict(rtol=3e-5, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for weight in (None, w):
        for ls in (0.0, 0.2):
            loss, grad, total = cross_entropy_forward_backward(
                x, t, None if weight is None else weight.astype(dtype), -100, ls, reduction)
            ref_loss, ref_grad, ref_total = cross_entropy_reference(x, t, weight, -100, ls, reduction)
            np.testing.assert_allclose(loss, ref_loss, **tol)
            np.testing.assert_allclose(grad, ref_grad, **tol)
            np.testing.assert_allclose(total, ref_total, rtol=1e-6)
            assert loss.dtype == dtype and grad.dtype == dtype


def test_kernel_spatial_layout_matches_rows():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6, 300))        # more positions than one block of lanes
    t = rng.integers(0, 6, (3, 300))
    t[0, :5] = -100
    w = rng.uniform(0.5, 1.5, 6)
    loss, grad, _ = cross_entropy_forward_backward(x, t, w, -100, 0.1, "none")
    rows = np.ascontiguousarray(np.moveaxis(x, 1, 2).reshape(-1, 6))
    ref_loss, ref_grad, _ = cross_entropy_reference(rows, t.reshape(-1), w, -100, 0.1, "none")
    np.testing.assert_allclose(loss.reshape(-1), ref_loss, rtol=1e-12)
    np.testing.assert_allclose(np.moveaxis(grad, 1, 2).reshape(-1, 6), ref_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [9, 300])     # the calling thread alone, and the threaded path
@pytest.mark.parametrize("weighted", [False, True])
def test_kernel_gradient_may_overwrite_logits(dtype, rows, weighted):
    rng = np.random.default_rng(2)
    n_classes = 11 if rows == 9 else 1031
    x = (3 * rng.standard_normal((rows, n_classes))).astype(dtype)
    t = rng.integers(0, n_classes, rows)
    t[1] = -100
    w = rng.uniform(0.5, 2, n_classes).astype(dtype) if weighted else None
    for ls in (0.0, 0.3):
        expect_loss, expect_grad, _ = cross_entropy_forward_backward(x.copy(), t, w, -100, ls, "sum")
        buffer = x.copy()
        loss, grad, _ = cross_entropy_forward_backward(buffer, t, w, -100, ls, "sum", grad_out=buffer)
        assert grad is buffer
        tol = dict(rtol=1e-6, atol=1e-9) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(loss, expect_loss, **tol)
        np.testing.assert_allclose(grad, expect_grad, **tol)
        assert np.all(grad[1] == 0)


def test_kernel_forward_only_and_empty_mean():
    x = np.random.default_rng(3).standard_normal((4, 5))
    t = np.array([1, 2, 0, 4])
    loss, grad, _ = cross_entropy_forward_backward(x, t, want_grad=False)
    assert grad is None
    np.testing.assert_allclose(loss, cross_entropy_reference(x, t)[0], rtol=1e-13)
    loss, grad, total = cross_entropy_forward_backward(x, np.full(4, -100))
    assert np.isnan(loss) and total == 0.0 and not grad.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accumulate_at_b(dtype):
    from npgrad.kernels.cross_entropy import accumulate_at_b

    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((7, 11)).astype(dtype), rng.standard_normal((7, 5)).astype(dtype)
    c = rng.standard_normal((11, 5)).astype(dtype)
    expected = c + a.T @ b
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(accumulate_at_b(c.copy(), a, b), expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(accumulate_at_b(c.copy(), a, np.asfortranarray(b), block_rows=3), expected,
                               rtol=tol, atol=tol)
