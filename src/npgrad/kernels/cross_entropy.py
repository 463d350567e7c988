"""Fused cross-entropy: the loss and its gradient with respect to the logits, together.

For a row of logits :math:`x \\in \\mathbb{R}^C` with class-index target :math:`t`,
class weights :math:`w` (all ones without ``weight``), label smoothing
:math:`\\varepsilon` and :math:`W = \\sum_c w_c`:

.. math::

    m = \\max_c x_c, \\qquad s = \\sum_c e^{x_c - m}, \\qquad
    \\mathrm{lse} = m + \\log s

    \\ell = (1 - \\varepsilon)\\, w_t (\\mathrm{lse} - x_t)
          + \\frac{\\varepsilon}{C} \\sum_c w_c (\\mathrm{lse} - x_c)

    \\frac{\\partial \\ell}{\\partial x_c}
        = \\Big((1 - \\varepsilon) w_t + \\frac{\\varepsilon}{C} W\\Big) \\frac{e^{x_c - m}}{s}
          - \\frac{\\varepsilon}{C} w_c - (1 - \\varepsilon) w_t [c = t]

Rows whose target equals ``ignore_index`` get loss 0 and gradient 0.  Each row
is read from memory once: a max pass brings it into cache, one sweep sums the
exponentials and stores them into the gradient row, and a last in-cache pass
turns them into the gradient, multiplied by ``grad_scale`` (``1 / total weight``
for 'mean').  The gradient is the only array of the size of the logits; it may
even be the logits' own buffer.  ``exp`` is the vectorising polynomial of
``npgrad.kernels._fastmath``; rows are split into one contiguous chunk per
thread, and small problems run on the calling thread.

Two layouts are handled: rows ``(R, C)`` (the class axis is contiguous) and
``(N, C, D)`` for spatial inputs ``(N, C, d1, ..., dk)`` (the class axis has
stride ``D``; the loop runs over ``c`` with the ``D`` positions as the lanes).

``cross_entropy_reference`` is the same formula in NumPy; tests compare the
kernels with it and with the composed autograd form in ``npgrad.nn.functional``.

Reference: the softmax cross-entropy gradient :math:`p - y` as in
C. M. Bishop, *Pattern Recognition and Machine Learning*, 2006, section 4.3.4;
label smoothing from C. Szegedy et al., *Rethinking the Inception Architecture
for Computer Vision*, CVPR 2016.

Example::

    import numpy as np
    from npgrad.kernels.cross_entropy import cross_entropy_forward_backward
    x = np.random.randn(4, 10).astype(np.float32)
    t = np.array([1, 0, 9, 3])
    loss, grad, total = cross_entropy_forward_backward(x, t, reduction="mean")
"""
import math

import numba
import numpy as np
from numba import njit, prange

from ._fastmath import FASTMATH, fast_exp

__all__ = ["cross_entropy_forward_backward", "cross_entropy_reference", "scale_rows"]

# below this many logits the kernels run on the calling thread
PARALLEL_MIN_SIZE = 1 << 17


# --------------------------------------------------------------------------- rows (R, C)
# Each loop is its own small function so that its accumulator keeps the row's
# dtype and LLVM vectorises it on its own.
@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _row_max(row):
    m = row[0]
    for c in range(1, row.shape[0]):
        v = row[c]
        m = v if v > m else m
    return m


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _row_sum_exp(row, m):
    s = row.dtype.type(0.0)
    for c in range(row.shape[0]):
        s += fast_exp(row[c] - m)
    return s


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _row_sum_exp_store(row, m, out):
    s = row.dtype.type(0.0)
    for c in range(row.shape[0]):
        e = fast_exp(row[c] - m)
        out[c] = e
        s += e
    return s


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _row_sum_exp_inplace(row, m):
    """``_row_sum_exp_store(row, m, row)`` written on one array: with two names
    for one buffer LLVM's overlap check fails and the loop runs unvectorised."""
    s = row.dtype.type(0.0)
    for c in range(row.shape[0]):
        e = fast_exp(row[c] - m)
        row[c] = e
        s += e
    return s


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _row_sum_gap(row, m, weight, use_weight):
    """sum_c w_c (m - x_c)."""
    acc = row.dtype.type(0.0)
    if use_weight:
        for c in range(row.shape[0]):
            acc += weight[c] * (m - row[c])
    else:
        for c in range(row.shape[0]):
            acc += m - row[c]
    return acc


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _row_finish_grad(g, coef, shift, weight, use_weight):
    """g_c <- g_c * coef - shift * w_c."""
    if shift == 0.0:
        for c in range(g.shape[0]):
            g[c] = g[c] * coef
    elif use_weight:
        for c in range(g.shape[0]):
            g[c] = g[c] * coef - shift * weight[c]
    else:
        for c in range(g.shape[0]):
            g[c] = g[c] * coef - shift


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _rows_chunk(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
                grad_scale, want_grad, loss, grad, inplace, start, stop):
    n_classes = x.shape[1]
    real = x.dtype.type
    keep = 1.0 - smoothing
    spread = smoothing / n_classes
    for r in range(start, stop):
        row = x[r]
        t = target[r]
        if t == ignore_index:
            loss[r] = 0.0
            if want_grad:
                grad[r, :] = 0.0
            continue
        w_t = float(weight[t]) if use_weight else 1.0
        m = _row_max(row)
        # everything read from the row happens before the exponentials are
        # stored, so the gradient may overwrite the logits in place
        value = keep * w_t * (m - row[t])
        if smoothing != 0.0:
            gap = _row_sum_gap(row, m, weight, use_weight)
        if want_grad and inplace:
            s = _row_sum_exp_inplace(row, m)
        elif want_grad:
            s = _row_sum_exp_store(row, m, grad[r])
        else:
            s = _row_sum_exp(row, m)
        log_s = math.log(s)
        value += keep * w_t * log_s
        if smoothing != 0.0:
            # sum_c w_c (lse - x_c) = sum_c w_c (m - x_c) + W log s
            value += spread * (gap + weight_total * log_s)
        loss[r] = value
        if want_grad:
            if smoothing != 0.0:
                coef = real((keep * w_t + spread * weight_total) * grad_scale / s)
                shift = real(spread * grad_scale)
            else:       # no 0 * inf (a total weight of 0) nor 0 * NaN (a NaN weight of another class)
                coef = real(w_t * grad_scale / s)
                shift = real(0.0)
            _row_finish_grad(grad[r], coef, shift, weight, use_weight)
            grad[r, t] -= real(keep * w_t * grad_scale)


@njit(parallel=True, cache=True)
def _rows(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
          grad_scale, want_grad, loss, grad, inplace, n_chunks):
    n_rows = x.shape[0]
    per = (n_rows + n_chunks - 1) // n_chunks
    for k in prange(n_chunks):
        start = k * per
        stop = min(n_rows, start + per)
        _rows_chunk(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
                    grad_scale, want_grad, loss, grad, inplace, start, stop)


# --------------------------------------------------------------------------- spatial (N, C, D)
@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def _spatial_item(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
                  grad_scale, want_grad, loss, grad, n, d0, d1, m, s, acc):
    n_classes = x.shape[1]
    zero = x.dtype.type(0.0)
    keep = 1.0 - smoothing
    spread = smoothing / n_classes
    width = d1 - d0
    xs = x[n, :, d0:d1]
    for j in range(width):
        m[j] = xs[0, j]
        s[j] = zero
        acc[j] = zero
    for c in range(1, n_classes):
        for j in range(width):
            v = xs[c, j]
            m[j] = v if v > m[j] else m[j]
    for c in range(n_classes):
        for j in range(width):
            e = fast_exp(xs[c, j] - m[j])
            s[j] += e
            if want_grad:
                grad[n, c, d0 + j] = e
    if smoothing != 0.0:
        for c in range(n_classes):
            w_c = weight[c] if use_weight else x.dtype.type(1.0)
            for j in range(width):
                acc[j] += w_c * (m[j] - xs[c, j])
    for j in range(width):
        t = target[n, d0 + j]
        if t == ignore_index:
            loss[n, d0 + j] = zero
            s[j] = zero            # marks the position as ignored for the gradient pass
            continue
        w_t = weight[t] if use_weight else 1.0
        log_s = math.log(s[j])
        value = keep * w_t * ((m[j] - xs[t, j]) + log_s)
        # reuse m and acc to hold the per-position gradient coefficients
        if smoothing != 0.0:
            loss[n, d0 + j] = value + spread * (acc[j] + weight_total * log_s)
            m[j] = (keep * w_t + spread * weight_total) * grad_scale / s[j]
        else:           # as in the rows: no 0 * inf nor 0 * NaN term
            loss[n, d0 + j] = value
            m[j] = w_t * grad_scale / s[j]
        acc[j] = keep * w_t * grad_scale
    if want_grad:
        for c in range(n_classes):
            if smoothing != 0.0:
                offset = spread * grad_scale * (weight[c] if use_weight else 1.0)
            else:
                offset = 0.0
            for j in range(width):
                if s[j] == zero:
                    grad[n, c, d0 + j] = zero
                else:
                    grad[n, c, d0 + j] = grad[n, c, d0 + j] * m[j] - offset
        for j in range(width):
            t = target[n, d0 + j]
            if s[j] != zero:
                grad[n, t, d0 + j] -= acc[j]


@njit(cache=True)
def _spatial_blocks(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
                    grad_scale, want_grad, loss, grad, block, k_start, k_stop):
    depth = x.shape[2]
    n_blocks = (depth + block - 1) // block
    m = np.empty(block, x.dtype)
    s = np.empty(block, x.dtype)
    acc = np.empty(block, x.dtype)
    for k in range(k_start, k_stop):
        n = k // n_blocks
        d0 = (k % n_blocks) * block
        d1 = min(depth, d0 + block)
        _spatial_item(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
                      grad_scale, want_grad, loss, grad, n, d0, d1, m, s, acc)


@njit(parallel=True, cache=True)
def _spatial(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
             grad_scale, want_grad, loss, grad, block, n_chunks):
    depth = x.shape[2]
    n_items = x.shape[0] * ((depth + block - 1) // block)
    per = (n_items + n_chunks - 1) // n_chunks
    for k in prange(n_chunks):
        start = k * per
        stop = min(n_items, start + per)
        _spatial_blocks(x, target, weight, use_weight, weight_total, ignore_index, smoothing,
                        grad_scale, want_grad, loss, grad, block, start, stop)


# --------------------------------------------------------------------------- entry points
def _prepare(x, target, weight, ignore_index, reduction):
    """Total weight of the non-ignored targets (the 'mean' denominator)."""
    valid = target != ignore_index
    if weight is None:
        return float(np.count_nonzero(valid))
    return float(weight[target[valid]].sum(dtype=np.float64))


def cross_entropy_forward_backward(x, target, weight=None, ignore_index=-100,
                                   label_smoothing=0.0, reduction="mean", want_grad=True, grad_out=None,
                                   grad_scale=None):
    """Loss and gradient of cross-entropy for class-index targets, in one fused kernel.

    ``x`` is ``(R, C)`` or ``(N, C, D)``, C-contiguous, float32 or float64;
    ``target`` is int64 of shape ``(R,)`` or ``(N, D)`` with every entry in
    ``[0, C)`` or equal to ``ignore_index`` (checked by the caller).  Returns
    ``(loss, grad, total_weight)``: ``loss`` is per position for
    ``reduction='none'`` and a 0-d array otherwise (NaN for a 'mean' over
    nothing), ``grad`` is the gradient of that loss for an upstream gradient of
    1 (``None`` when ``want_grad`` is false).  ``grad_out`` is where the gradient
    is written; for ``(R, C)`` rows it may be ``x`` itself (the logits are then
    overwritten by their gradient).  ``grad_scale`` replaces the factor the
    gradient is multiplied by (by default ``1 / total_weight`` for 'mean', else 1).
    """
    dtype = x.dtype
    target = np.ascontiguousarray(target, dtype=np.int64)
    n_classes = x.shape[1]
    use_weight = weight is not None
    w = np.ascontiguousarray(weight, dtype=dtype) if use_weight else np.ones(1, dtype)
    weight_total = float(w.sum(dtype=np.float64)) if use_weight else float(n_classes)
    total = _prepare(x, target, w if use_weight else None, ignore_index, reduction)
    if grad_scale is None:
        if reduction == "mean":
            grad_scale = 1.0 / total if total != 0.0 else math.inf
        else:
            grad_scale = 1.0
    loss = np.empty(target.shape, dtype)
    if not want_grad:
        grad = np.empty((1,) * x.ndim, dtype)
    elif grad_out is not None:
        grad = grad_out
    else:
        grad = np.empty(x.shape, dtype)
    # waking the worker threads costs more than a small problem takes on one
    threads = numba.get_num_threads() if x.size >= PARALLEL_MIN_SIZE else 1
    args = (x, target, w, use_weight, weight_total, int(ignore_index), float(label_smoothing),
            grad_scale, want_grad, loss, grad)
    if x.ndim == 2:
        n_chunks = max(1, min(threads, x.shape[0]))
        inplace = want_grad and grad is x
        if n_chunks == 1:
            _rows_chunk(*args, inplace, 0, x.shape[0])
        else:
            _rows(*args, inplace, n_chunks)
    else:
        block = 256
        n_items = x.shape[0] * ((x.shape[2] + block - 1) // block)
        n_chunks = max(1, min(threads, n_items))
        if n_chunks == 1:
            _spatial_blocks(*args, block, 0, n_items)
        else:
            _spatial(*args, block, n_chunks)
    if reduction == "none":
        out = loss
    else:
        value = loss.sum(dtype=np.float64)
        if reduction == "mean":         # over nothing: 0/0 = NaN; a total weight of 0 otherwise: +-inf
            with np.errstate(divide="ignore", invalid="ignore"):
                value = value / np.float64(total)
        out = np.asarray(value, dtype=dtype)
    return out, (grad if want_grad else None), total


@njit(fastmath=FASTMATH, cache=True)
def _scale_rows_serial(grad, factor):
    for r in range(grad.shape[0]):
        f = factor[r]
        row = grad[r]
        for c in range(row.shape[0]):
            row[c] = row[c] * f


@njit(parallel=True, fastmath=FASTMATH, cache=True)
def _scale_rows(grad, factor):
    n_rows = grad.shape[0]
    for r in prange(n_rows):
        f = factor[r]
        row = grad[r]
        for c in range(row.shape[0]):
            row[c] = row[c] * f


def scale_rows(grad, factor):
    """``grad *= factor[:, None]`` in place over ``(R, C)`` rows, in parallel."""
    factor = np.ascontiguousarray(factor, dtype=grad.dtype)
    if grad.size >= PARALLEL_MIN_SIZE:
        _scale_rows(grad, factor)
    else:
        _scale_rows_serial(grad, factor)
    return grad


def cross_entropy_reference(x, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                            reduction="mean"):
    """The kernel's formula in NumPy on ``(R, C)`` rows: ``(loss, grad, total_weight)``."""
    x64 = x.astype(np.float64)
    n_rows, n_classes = x.shape
    w = np.ones(n_classes) if weight is None else weight.astype(np.float64)
    valid = target != ignore_index
    safe_t = np.where(valid, target, 0)
    lse = x64.max(1) + np.log(np.exp(x64 - x64.max(1, keepdims=True)).sum(1))
    logp = x64 - lse[:, None]
    w_t = w[safe_t] * valid
    eps = label_smoothing
    loss = -(1 - eps) * w_t * logp[np.arange(n_rows), safe_t] - eps / n_classes * (w * logp).sum(1) * valid
    total = w_t.sum()
    p = np.exp(logp)
    onehot = np.zeros_like(x64)
    onehot[np.arange(n_rows), safe_t] = 1.0
    grad = ((1 - eps) * w_t[:, None] * (p - onehot)
            + eps / n_classes * (w.sum() * p - w[None, :])) * valid[:, None]
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return loss.sum() / total, grad / total, total
    if reduction == "sum":
        return loss.sum(), grad, total
    return loss, grad, total


# --------------------------------------------------------------------------- c += a^T b
_GEMM = {}


def _blas_gemm(dtype):
    """``cblas_?gemm`` of the OpenBLAS that NumPy ships, or ``None`` where it is not found."""
    if dtype not in _GEMM:
        _GEMM[dtype] = None
        try:
            import ctypes
            import glob
            import os

            libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
            paths = glob.glob(os.path.join(libdir, "libscipy_openblas64_*.so*"))
            if paths:
                lib = ctypes.CDLL(paths[0])
                name = "scipy_cblas_sgemm64_" if dtype == np.float32 else "scipy_cblas_dgemm64_"
                fn = getattr(lib, name)
                real = ctypes.c_float if dtype == np.float32 else ctypes.c_double
                i64, enum, ptr = ctypes.c_int64, ctypes.c_int, ctypes.c_void_p
                fn.argtypes = [enum, enum, enum, i64, i64, i64, real, ptr, i64, ptr, i64, real, ptr, i64]
                fn.restype = None
                _GEMM[dtype] = fn
        except (OSError, AttributeError):
            _GEMM[dtype] = None
    return _GEMM[dtype]


def accumulate_at_b(c, a, b, block_rows=4096):
    """``c += a.T @ b`` without a temporary of ``c``'s size.

    Uses the GEMM of NumPy's OpenBLAS with ``beta = 1`` when it can be found;
    otherwise multiplies block by block of ``c``'s rows through a small scratch.
    All three arrays are C-contiguous and of one floating dtype.
    """
    dtype = c.dtype.type
    gemm = _blas_gemm(dtype) if (c.flags.c_contiguous and a.flags.c_contiguous and b.flags.c_contiguous) \
        else None
    k, m = a.shape
    n = b.shape[1]
    if gemm is not None and k > 0:
        row_major, no_trans, trans = 101, 111, 112
        gemm(row_major, trans, no_trans, m, n, k, 1.0, a.ctypes.data, m, b.ctypes.data, n, 1.0,
             c.ctypes.data, n)
        return c
    scratch = np.empty((min(block_rows, m), n), c.dtype)
    for r0 in range(0, m, block_rows):
        r1 = min(m, r0 + block_rows)
        part = scratch[:r1 - r0]
        np.matmul(a[:, r0:r1].T, b, out=part)
        c[r0:r1] += part
    return c
