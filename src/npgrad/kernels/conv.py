"""Compiled data movement of the convolutions, and matrix products on strided views of it.

``npgrad.nn.functional.conv`` runs a convolution in one of three ways (and keeps a NumPy reference of
the first two); the kernels here move the data each needs, every array with 3 spatial dims (1-d and 2-d geometry
gets leading dims of size 1):

* **the grid** (:func:`to_grid`, :func:`from_grid`): the images of a block one after the other along
  the rows of a ``(C, columns)`` matrix, each in a cell a little larger than the padded image, so that a
  tap of every window is the same matrix shifted by a constant number of columns; a stride splits the
  padded image into its phases, one grid each. The convolution is then one product per tap on shifted,
  overlapping views (:func:`gemm`), with no columns at all (implicit GEMM).
* **the columns** (:func:`im2col`, :func:`col2im`): row ``c * taps + tap`` of the ``(C k, nb L)``
  matrix holds :math:`x[b, c, q s + t d - p]` for the windows :math:`q` of the images of the block side
  by side (zero outside the input, the padding never materialised), and its adjoint sums each
  ``(b, c)`` plane from its ``taps`` rows in one pass, with the bias as starting value. Used where the
  grid would waste too much work or the channels are too few for the products of the grid;
  :func:`small_product` replaces BLAS where ``C k`` is tiny.
* **Winograd's tiles** (:func:`winograd_in`, :func:`winograd_out`, :func:`winograd_filters`): a stride-1
  3x3 convolution as 16 products over 2x2 output tiles, the input and output tiles transformed here.

The kernels run on the calling thread (but :func:`small_product`). The BLAS threads spin for about a
tenth of a second after every product and hold the other cores meanwhile, so that a second thread here
gains nothing on a convolution between two products (measured: it loses a few per cent on two cores).
Winograd's tiles are the exception: their blocks are shared between two threads, each running its own
transforms and its own (small) products, with BLAS kept to one thread (:class:`one_blas_thread`).

Example::

    >>> import numpy as np
    >>> from npgrad.kernels.conv import im2col
    >>> x = np.arange(9.0).reshape(1, 1, 1, 3, 3)
    >>> cols = np.empty((4, 4))            # 2x2 kernel, 2x2 windows
    >>> im2col(x, cols, 0, 1, (1, 2, 2), (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 2, 2))
    >>> cols[0]                            # the top-left tap of each window
    array([0., 1., 3., 4.])
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

__all__ = ["to_grid", "from_grid", "gemm", "im2col", "col2im", "small_product", "winograd_in", "winograd_out",
           "winograd_filters", "winograd_grad_out", "winograd_weight_grad", "one_blas_thread"]

_JIT = dict(cache=True, nogil=True, error_model="numpy")


# --------------------------------------------------------------------------- helpers
# Arrays are read and written through flat views at unsigned offsets: an unsigned index needs no
# wrap-around test for negative values, which would keep LLVM from vectorising the row loops.

_U = np.uint64


@numba.njit(inline="always", **_JIT)
def _span(k, dilation, pad, stride, size, windows):
    """The windows ``[lo, hi)`` whose tap ``k`` lands inside ``[0, size)``: ``0 <= q s + k d - p < size``,
    and the offset ``k d - p``."""
    offset = k * dilation - pad
    lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    last = size - 1 - offset
    hi = 0 if last < 0 else min(windows, last // stride + 1)
    return offset, min(lo, hi), hi


@numba.njit(inline="always", **_JIT)
def _fill(a, start, count, value):
    at = _U(start)
    for q in range(count):
        a[at + _U(q)] = value


@numba.njit(inline="always", **_JIT)
def _add(dst, d, src, s, count):
    """``dst[d:d + count] += src[s:s + count]``."""
    to, at = _U(d), _U(s)
    for q in range(count):
        dst[to + _U(q)] += src[at + _U(q)]


@numba.njit(inline="always", **_JIT)
def _tap(t, kernel):
    kh, kw = kernel[1], kernel[2]
    return t // (kh * kw), (t // kw) % kh, t % kw


# --------------------------------------------------------------------------- the grid
# A convolution needs no columns at all when the images of a block lie one after the other along the
# rows of a matrix, each in a cell a little larger than the padded image: tap ``t`` of every window is
# then the same matrix shifted by a constant number of columns, and the convolution is one product per
# tap (``npgrad.nn.functional.conv._Implicit``). A stride ``s`` splits the padded image into its ``s``
# phases along each dim (positions ``u s + f``), each on a grid of its own, so that a tap reads or
# writes one phase, again at one constant shift. These kernels move arrays on and off the grids.


@numba.njit(**_JIT)
def _to_grid(src, strides, shape, out, b0, nb, lo, stride, grid, sums):
    sb, sc, sz, sy, sq = strides
    channels, depth, height, width = shape
    gd, gh, gw = grid
    sd, sh, sw = stride
    cells = gd * gh * gw
    n = out.shape[2]
    dst = out.ravel()
    partial = np.zeros(width if sums.size else 0, np.float64)  # per-lane sums: the loop still vectorises
    # ``out`` is zero already: only the image rows are copied, phase by phase (no division in the loops)
    for f in range(sd * sh * sw):
        fz, fy, fx = f // (sh * sw), (f // sw) % sh, f % sw
        first = (fx - lo[2]) % sw  # the first x of this phase, at u = (first + lo) // sw
        start = (first + lo[2]) // sw
        count = max(0, (width - first + sw - 1) // sw)
        step = sw * sq
        for c in range(channels):
            for b in range(nb):
                for uz in range(gd):
                    z = uz * sd + fz - lo[0]
                    if z < 0 or z >= depth:
                        continue
                    for uy in range(gh):
                        y = uy * sh + fy - lo[1]
                        if y < 0 or y >= height:
                            continue
                        to = _U((f * channels + c) * n + b * cells + (uz * gh + uy) * gw + start)
                        row = _U((b0 + b) * sb + c * sc + z * sz + y * sy + first * sq)
                        if sums.size and step == 1:
                            for j in range(count):
                                value = src[row + _U(j)]
                                dst[to + _U(j)] = value
                                partial[j] += value
                        elif sums.size:
                            for j in range(count):
                                value = src[row + _U(j * step)]
                                dst[to + _U(j)] = value
                                partial[j] += value
                        elif step == 1:
                            for j in range(count):
                                dst[to + _U(j)] = src[row + _U(j)]
                        else:
                            for j in range(count):
                                dst[to + _U(j)] = src[row + _U(j * step)]
            if sums.size:
                total = 0.0
                for j in range(count):
                    total += partial[j]
                    partial[j] = 0.0
                sums[c] += total


def to_grid(a, out, b0, nb, lo, stride, grid, sums=None):
    """The images ``b0 .. b0 + nb`` of ``a`` (``(B, C, D, H, W)``, any strides) put on the grids ``out``
    (``(phases, C, columns)``, zero where nothing is put): element ``i`` of image ``b`` sits at padded
    position ``p = lo + i``, that is on the grid of phase ``p % stride`` at position ``p // stride`` of
    cell ``b`` (cells of ``grid`` size, one after the other from column 0). With ``sums`` (float64, one
    per channel), each channel's values are added to it on the way."""
    flat, strides = _flat(a)
    out.fill(0)
    _to_grid(flat, strides, _t(a.shape[1:]), out, b0, nb, _t(lo), _t(stride), _t(grid),
             _no_sums() if sums is None else sums)


@numba.njit(**_JIT)
def _from_grid(src, out, b0, nb, lo, stride, grid, bias):
    _, channels, depth, height, width = out.shape
    gd, gh, gw = grid
    sd, sh, sw = stride
    cells = gd * gh * gw
    n = src.shape[2]
    flat = src.ravel()
    dst = out.ravel()
    if sw == 2:  # the common stride: both phases of a row at once, contiguous stores
        _from_grid_pairs(flat, dst, channels, depth, height, width, b0, nb, lo, stride, grid, cells, n, bias)
        return
    # phase by phase, as to_grid: no division in the loops over rows
    for f in range(sd * sh * sw):
        fz, fy, fx = f // (sh * sw), (f // sw) % sh, f % sw
        first = (fx - lo[2]) % sw
        start = (first + lo[2]) // sw
        count = max(0, (width - first + sw - 1) // sw)
        for b in range(nb):
            for c in range(channels):
                v = dst.dtype.type(bias[c]) if bias.size else dst.dtype.type(0)
                plane = ((b0 + b) * channels + c) * depth
                for uz in range(gd):
                    z = uz * sd + fz - lo[0]
                    if z < 0 or z >= depth:
                        continue
                    for uy in range(gh):
                        y = uy * sh + fy - lo[1]
                        if y < 0 or y >= height:
                            continue
                        at = _U((f * channels + c) * n + b * cells + (uz * gh + uy) * gw + start)
                        to = _U(((plane + z) * height + y) * width + first)
                        if sw == 1:
                            for j in range(count):
                                dst[to + _U(j)] = flat[at + _U(j)] + v
                        else:
                            for j in range(count):
                                dst[to + _U(j * sw)] = flat[at + _U(j)] + v


@numba.njit(**_JIT)
def _from_grid_pairs(flat, dst, channels, depth, height, width, b0, nb, lo, stride, grid, cells, n, bias):
    """:func:`_from_grid` for a stride of 2 along the width: ``x = 2 j`` comes from the phase holding the
    even positions (``e``), ``x = 2 j + 1`` from the other (``o``)."""
    gd, gh, gw = grid
    sd, sh, _ = stride
    e, o = lo[2] % 2, 1 - lo[2] % 2
    start_e, start_o = lo[2] // 2, (1 + lo[2]) // 2
    pairs = width // 2
    for f in range(sd * sh):
        fz, fy = f // sh, f % sh
        for b in range(nb):
            for c in range(channels):
                v = dst.dtype.type(bias[c]) if bias.size else dst.dtype.type(0)
                plane = ((b0 + b) * channels + c) * depth
                for uz in range(gd):
                    z = uz * sd + fz - lo[0]
                    if z < 0 or z >= depth:
                        continue
                    for uy in range(gh):
                        y = uy * sh + fy - lo[1]
                        if y < 0 or y >= height:
                            continue
                        row = b * cells + (uz * gh + uy) * gw
                        at_e = _U(((2 * f + e) * channels + c) * n + row + start_e)
                        at_o = _U(((2 * f + o) * channels + c) * n + row + start_o)
                        to = _U(((plane + z) * height + y) * width)
                        for j in range(pairs):
                            dst[to + _U(2 * j)] = flat[at_e + _U(j)] + v
                            dst[to + _U(2 * j + 1)] = flat[at_o + _U(j)] + v
                        if width % 2:
                            dst[to + _U(width - 1)] = flat[at_e + _U(pairs)] + v


def from_grid(src, out, b0, nb, lo, stride, grid, bias=None):
    """The images read off the grids, the inverse of :func:`to_grid`: ``out[b0 + b, c, i]``
    (``(B, C, D, H, W)``, C-contiguous) from padded position ``lo + i`` of cell ``b``, plus ``bias[c]``."""
    _from_grid(src, out, b0, nb, _t(lo), _t(stride), _t(grid), _no_bias(src.dtype) if bias is None else bias)


# --------------------------------------------------------------------------- products


BLAS = True  # False: every product on np.matmul (the tests compare the two)


def gemm(m, n, k, a, b, c, beta, trans_a=False, trans_b=False):
    """``C = op(A) op(B) + beta C`` for ``m x n`` ``C`` and inner size ``k``, each matrix given as
    ``(flat array, offset, leading dimension)`` of row-major storage (``op`` transposes where asked): the
    shifted, overlapping views of the grid that NumPy cannot name as arrays. Runs on the BLAS that NumPy
    ships (``cblas_?gemm``), or on ``np.matmul`` over strided views where that library is not found."""
    dtype = c[0].dtype
    stored = [(a, (k, m) if trans_a else (m, k)), (b, (n, k) if trans_b else (k, n)), (c, (m, n))]
    for (flat, offset, ld), (rows, cols) in stored:  # never hand BLAS a pointer outside an array
        if offset < 0 or cols > ld or offset + (rows - 1) * ld + cols > flat.size or flat.dtype != dtype:
            raise ValueError("gemm: a matrix runs outside its array")
    blas = _gemm_function(dtype) if BLAS else None
    if blas is not None:
        size = dtype.itemsize
        blas(101, 112 if trans_a else 111, 112 if trans_b else 111, m, n, k, 1.0,
             a[0].ctypes.data + a[1] * size, a[2], b[0].ctypes.data + b[1] * size, b[2], float(beta),
             c[0].ctypes.data + c[1] * size, c[2])
        return
    left = _view(a, k, m).T if trans_a else _view(a, m, k)
    right = _view(b, n, k).T if trans_b else _view(b, k, n)
    out = _view(c, m, n, writeable=True)
    if beta == 0:
        np.matmul(left, right, out=out)
        return
    if beta != 1:
        out *= beta
    out += np.matmul(left, right)


def _view(matrix, rows, cols, writeable=False):
    flat, offset, ld = matrix
    size = flat.itemsize
    return np.lib.stride_tricks.as_strided(flat[offset:], (rows, cols), (ld * size, size), writeable=writeable)


def _gemm_function(dtype):
    from .cross_entropy import _blas_gemm

    return _blas_gemm(dtype.type)


@numba.njit(**_JIT)
def _small_product(p0, p1, w, cols, out, b0, bias):
    channels, depth = w.shape
    length = out.shape[2]
    n = cols.shape[1]
    src = cols.ravel()
    dst = out.ravel()
    acc = np.empty(length, out.dtype)  # one output plane, in L1
    for p in range(p0, p1):  # planes p = b * C_out + o
        b = p // channels
        o = p - b * channels
        start = acc.dtype.type(bias[o]) if bias.size else acc.dtype.type(0)
        for q in range(length):
            acc[q] = start
        k = 0
        while k + 3 <= depth:  # three rows of columns per pass over the plane
            w0, w1, w2 = w[o, k], w[o, k + 1], w[o, k + 2]
            r0 = _U(k * n + b * length)
            r1, r2 = r0 + _U(n), r0 + _U(2 * n)
            for q in range(length):
                acc[q] += w0 * src[r0 + _U(q)] + w1 * src[r1 + _U(q)] + w2 * src[r2 + _U(q)]
            k += 3
        for k in range(k, depth):
            wk = w[o, k]
            row = _U(k * n + b * length)
            for q in range(length):
                acc[q] += wk * src[row + _U(q)]
        at = _U(((b0 + b) * channels + o) * length)
        for q in range(length):
            dst[at + _U(q)] = acc[q]


def small_product(w, cols, out, b0, nb, bias=None):
    """``out[b0 + b] = w @ cols[:, b L:(b + 1) L] + bias`` for ``nb`` images: ``w`` ``(C_out, K)``, ``out``
    ``(B, C_out, L)``; for a small ``K``, where BLAS would run far below its peak.

    The only kernel here that runs on two threads (the output planes split between them): no product
    runs around it, so where none ran in the last tenth of a second the second core is free and it takes
    half the time; right after a product, while the BLAS threads still spin, it loses a few per cent."""
    bias = _no_bias(cols.dtype) if bias is None else bias
    planes = nb * w.shape[0]
    if planes < 2 or planes * out.shape[2] < _MIN_SPLIT or _one_thread():
        _small_product(0, planes, w, cols, out, b0, bias)
        return
    half = planes // 2
    other = _pool().submit(_small_product, half, planes, w, cols, out, b0, bias)
    _small_product(0, half, w, cols, out, b0, bias)
    other.result()


_MIN_SPLIT = 1 << 16  # output elements below which a second thread costs more than it saves


def _one_thread():
    """Whether ``npgrad.set_num_threads(1)`` asked for one thread."""
    from npgrad.functions import get_num_threads

    return get_num_threads() < 2
_POOL = []


def _pool():
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="npgrad-conv"))
    return _POOL[0]


# --------------------------------------------------------------------------- im2col
# A stride along the width would make every row a strided gather; each plane of the input is first
# split into its ``s`` phases along the width (``phase[f, z, y, u] = x[z, y, u s + f]``), so that every
# tap reads a contiguous run of one phase.


@numba.njit(**_JIT)
def _split_phases(src, start, depth, height, width, sw, wp, phases):
    """One plane of ``src`` (from ``start``) into ``phases[f, z, y, u] = plane[z, y, u sw + f]``."""
    for z in range(depth):
        for y in range(height):
            row = start + (z * height + y) * width
            for f in range(sw):
                to = _U(((f * depth + z) * height + y) * wp)
                count = (width - f + sw - 1) // sw
                at = _U(row + f)
                for u in range(count):
                    phases[to + _U(u)] = src[at + _U(u * sw)]


@numba.njit(**_JIT)
def _im2col(x, cols, b0, nb, kernel, stride, dilation, pad, windows):
    _, channels, depth, height, width = x.shape
    od, oh, ow = windows
    sd, sh, sw = stride
    taps = kernel[0] * kernel[1] * kernel[2]
    length = od * oh * ow
    plane = depth * height * width
    n = cols.shape[1]
    src = x.ravel()
    dst = cols.ravel()
    zero = cols.dtype.type(0)
    wp = (width + sw - 1) // sw
    split = sw * depth * height * wp  # one plane in phases
    phases = np.empty(nb * split if sw > 1 else 0, x.dtype)
    for c in range(channels):
        if sw > 1:
            for b in range(nb):
                _split_phases(src, ((b0 + b) * channels + c) * plane, depth, height, width, sw, wp,
                              phases[b * split:(b + 1) * split])
        for t in range(taps):
            i, j, k = _tap(t, kernel)
            off_w, lo, hi = _span(k, dilation[2], pad[2], sw, width, ow)
            f = off_w % sw
            shift = (off_w - f) // sw  # tap k of window q reads phase f at q + shift
            for b in range(nb):
                image = ((b0 + b) * channels + c) * plane
                out = (c * taps + t) * n + b * length
                for a in range(od):
                    z = a * sd + i * dilation[0] - pad[0]
                    for e in range(oh):
                        y = e * sh + j * dilation[1] - pad[1]
                        row = _U(out + (a * oh + e) * ow)
                        if z < 0 or z >= depth or y < 0 or y >= height:
                            for q in range(ow):
                                dst[row + _U(q)] = zero
                            continue
                        for q in range(lo):
                            dst[row + _U(q)] = zero
                        if sw == 1:
                            at = _U(image + (z * height + y) * width + off_w)
                            for q in range(lo, hi):
                                dst[row + _U(q)] = src[at + _U(q)]
                        else:
                            at = _U(b * split + ((f * depth + z) * height + y) * wp + shift)
                            for q in range(lo, hi):
                                dst[row + _U(q)] = phases[at + _U(q)]
                        for q in range(hi, ow):
                            dst[row + _U(q)] = zero


def im2col(x, cols, b0, nb, kernel, stride, dilation, pad, windows):
    """``cols[c * taps + tap, b * L + q] = x[b0 + b, c, q s + tap d - pad]`` (zero outside ``x``), for the
    ``nb`` images from ``b0``; ``x`` is ``(B, C, D, H, W)``, ``cols`` ``(C * taps, nb * L)`` (rows beyond
    ``C * taps`` are left alone), both C-contiguous."""
    _im2col(x, cols, b0, nb, _t(kernel), _t(stride), _t(dilation), _t(pad), _t(windows))


# --------------------------------------------------------------------------- col2im
# With a stride along the width the sums go into the phases of the plane (as in im2col), each tap
# adding contiguous runs, and the phases are interleaved into the output once at the end.


@numba.njit(**_JIT)
def _col2im(cols, out, b0, nb, kernel, stride, dilation, pad, windows, bias):
    _, channels, depth, height, width = out.shape
    od, oh, ow = windows
    sd, sh, sw = stride
    taps = kernel[0] * kernel[1] * kernel[2]
    length = od * oh * ow
    plane = depth * height * width
    n = cols.shape[1]
    src = cols.ravel()
    dst = out.ravel()
    wp = (width + sw - 1) // sw
    phases = np.empty(sw * depth * height * wp if sw > 1 else 0, out.dtype)
    for p in range(nb * channels):
        b = p // channels
        c = p - b * channels
        image = ((b0 + b) * channels + c) * plane
        start = dst.dtype.type(bias[c]) if bias.size else dst.dtype.type(0)
        if sw == 1:
            _fill(dst, image, plane, start)
        else:
            _fill(phases, 0, phases.size, dst.dtype.type(0))
        for t in range(taps):
            i, j, k = _tap(t, kernel)
            off_w, lo, hi = _span(k, dilation[2], pad[2], sw, width, ow)
            if hi <= lo:
                continue
            f = off_w % sw
            shift = (off_w - f) // sw
            rows = (c * taps + t) * n + b * length
            for a in range(od):
                z = a * sd + i * dilation[0] - pad[0]
                if z < 0 or z >= depth:
                    continue
                for e in range(oh):
                    y = e * sh + j * dilation[1] - pad[1]
                    if y < 0 or y >= height:
                        continue
                    row = rows + (a * oh + e) * ow + lo
                    if sw == 1:
                        _add(dst, image + (z * height + y) * width + off_w + lo, src, row, hi - lo)
                    else:
                        _add(phases, ((f * depth + z) * height + y) * wp + shift + lo, src, row, hi - lo)
        if sw > 1:
            for z in range(depth):
                for y in range(height):
                    at = image + (z * height + y) * width
                    for f in range(sw):
                        frm = _U(((f * depth + z) * height + y) * wp)
                        to = _U(at + f)
                        for u in range((width - f + sw - 1) // sw):
                            dst[to + _U(u * sw)] = phases[frm + _U(u)] + start


def col2im(cols, out, b0, nb, kernel, stride, dilation, pad, windows, bias=None):
    """Adjoint of :func:`im2col`: ``out[b0 + b, c] = bias[c] + sum over taps of the rows of cols``, each
    window position added at ``q s + tap d - pad`` when that lies inside ``out`` (``(B, C, D, H, W)``,
    C-contiguous)."""
    _col2im(cols, out, b0, nb, _t(kernel), _t(stride), _t(dilation), _t(pad), _t(windows),
            _no_bias(cols.dtype) if bias is None else bias)


# --------------------------------------------------------------------------- small things

_EMPTY = {}


def _no_bias(dtype):
    """An empty array of ``dtype``: "no bias" (and "no sums") to the compiled loops."""
    dtype = np.dtype(dtype)
    if dtype not in _EMPTY:
        _EMPTY[dtype] = np.zeros(0, dtype)
    return _EMPTY[dtype]


def _no_sums():
    return _no_bias(np.float64)


def _flat(a):
    """A 1-d array over the memory of ``a`` and the strides of ``a`` in elements, so that
    ``a[i] = flat[sum(i * strides)]`` (a C-contiguous copy where the strides do not allow it)."""
    size = a.itemsize
    if a.size == 0 or any(s < 0 or s % size for s in a.strides):
        a = np.ascontiguousarray(a)
    strides = tuple(s // size for s in a.strides)
    span = 1 + sum((n - 1) * s for n, s in zip(a.shape, strides)) if a.size else 0
    flat = np.lib.stride_tricks.as_strided(a, (span,), (size,), writeable=False)
    return flat, strides


def _t(values):
    return tuple(int(v) for v in values)


# --------------------------------------------------------------------------- Winograd F(2x2, 3x3)
# A stride-1 3x3 convolution in 2x2 output tiles (Lavin & Gray): the 4x4 input tile ``d`` of each output
# tile becomes ``U = B^T d B``, each 3x3 filter ``g`` becomes ``V = G g G^T`` (16 values each), the 16
# products ``M[k] = V[k] U[k]`` (``C_out x C_in`` by ``C_in x tiles``) run on BLAS, and the tile is
# ``Y = A^T M A``. The transforms are adds and subtracts only:
#
#     B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],   A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]
#
# Each row of tiles has one tile more than the output needs (``tw + 1`` per row, the last one's values
# dropped): the tiles of a whole image are then evenly spaced in the padded image, split into its even
# and its odd rows, and every loop runs over all the tiles of an image at once (loops over the ~14
# tiles of one row cost more in overhead than in arithmetic).


@numba.njit(**_JIT)
def _winograd_in(x, u, b0, nb, c0, c1, lo_h, lo_w, th, tw):
    _, channels, height, width = x.shape
    src = x.ravel()
    dst = u.ravel()
    n = u.shape[2]
    tr = tw + 1  # tiles per row
    wp = 2 * tr  # padded row
    half = (th + 1) * wp  # the even (or the odd) rows of the padded image
    count = (th + 1) * tr  # 4-column windows of each half, two apart
    tiles = th * tr
    padded = np.zeros(2 * half + wp, x.dtype)  # the padding stays zero, only the image is copied in;
    cols = np.empty(8 * count, x.dtype)  # the windows at the very end read the last row of zeros
    step = _U(channels * n)
    for c in range(c0, c1):
        for b in range(nb):
            at = ((b0 + b) * channels + c) * height * width
            for y in range(height):
                p = lo_h + y
                to = _U((p % 2) * half + (p // 2) * wp + lo_w)
                row = _U(at + y * width)
                for q in range(width):
                    padded[to + _U(q)] = src[row + _U(q)]
            for h in range(2):  # d B: the columns of every 4-wide window, in each half
                frm, to = _U(h * half), _U(4 * h * count)
                for f in range(count):
                    s = frm + _U(2 * f)
                    a0, a1, a2, a3 = padded[s], padded[s + _U(1)], padded[s + _U(2)], padded[s + _U(3)]
                    cols[to + _U(f)] = a0 - a2
                    cols[to + _U(count + f)] = a1 + a2
                    cols[to + _U(2 * count + f)] = a2 - a1
                    cols[to + _U(3 * count + f)] = a1 - a3
            # B^T (d B): rows 2 i .. 2 i + 3 of tile (i, j) are the even, odd, even, odd rows i, i, i + 1, i + 1
            k0 = _U(c * n + b * tiles)
            for col in range(4):
                even, odd = _U(col * count), _U((4 + col) * count)
                out = k0 + _U(col) * step
                for t in range(tiles):
                    q = _U(t)
                    d0, d1, d2, d3 = cols[even + q], cols[odd + q], cols[even + _U(tr) + q], cols[odd + _U(tr) + q]
                    dst[out + q] = d0 - d2
                    dst[out + _U(4) * step + q] = d1 + d2
                    dst[out + _U(8) * step + q] = d2 - d1
                    dst[out + _U(12) * step + q] = d1 - d3


def winograd_in(x, u, b0, nb, lo, tiles, channels=None):
    """The input tiles of images ``b0 .. b0 + nb`` of ``x`` (``(B, C, H, W)``, C-contiguous), transformed:
    with ``tiles = (th, tw)``, ``u[k, c, (b th + i) (tw + 1) + j]`` (``u`` of shape ``(16, C, nb th (tw + 1))``)
    is entry ``k`` of :math:`B^T d B` for the 4x4 tile ``d`` at padded position ``(2 i, 2 j)``, the image
    lying at offset ``lo`` in zeros (``j = tw``: a tile that no output needs). Only the channels
    ``channels = (c0, c1)`` (all by default) are written."""
    c0, c1 = channels or (0, x.shape[1])
    _winograd_in(x, u, b0, nb, c0, c1, int(lo[0]), int(lo[1]), int(tiles[0]), int(tiles[1]))


@numba.njit(**_JIT)
def _winograd_out(m, y, b0, nb, o0, o1, th, tw, bias):
    _, channels, height, width = y.shape
    src = m.ravel()
    dst = y.ravel()
    n = m.shape[2]
    step = _U(channels * n)
    tr = tw + 1
    tiles = th * tr
    pairs, odd = width // 2, width % 2
    corners = np.empty(4 * tiles, y.dtype)  # the four outputs of each tile of an image
    for o in range(o0, o1):
        v = y.dtype.type(bias[o]) if bias.size else y.dtype.type(0)
        for b in range(nb):
            k0 = _U(o * n + b * tiles)
            k1, k2, k3 = k0 + step, k0 + _U(2) * step, k0 + _U(3) * step
            k4, k5, k6, k7 = k3 + step, k3 + _U(2) * step, k3 + _U(3) * step, k3 + _U(4) * step
            k8, k9, k10, k11 = k7 + step, k7 + _U(2) * step, k7 + _U(3) * step, k7 + _U(4) * step
            k12, k13, k14, k15 = k11 + step, k11 + _U(2) * step, k11 + _U(3) * step, k11 + _U(4) * step
            for t in range(tiles):
                q = _U(t)
                # A^T M: two rows of four
                s0 = src[k0 + q] + src[k4 + q] + src[k8 + q]
                s1 = src[k1 + q] + src[k5 + q] + src[k9 + q]
                s2 = src[k2 + q] + src[k6 + q] + src[k10 + q]
                s3 = src[k3 + q] + src[k7 + q] + src[k11 + q]
                t0 = src[k4 + q] - src[k8 + q] - src[k12 + q]
                t1 = src[k5 + q] - src[k9 + q] - src[k13 + q]
                t2 = src[k6 + q] - src[k10 + q] - src[k14 + q]
                t3 = src[k7 + q] - src[k11 + q] - src[k15 + q]
                # (A^T M) A
                corners[q] = s0 + s1 + s2 + v
                corners[_U(tiles) + q] = s1 - s2 - s3 + v
                corners[_U(2 * tiles) + q] = t0 + t1 + t2 + v
                corners[_U(3 * tiles) + q] = t1 - t2 - t3 + v
            plane = _U(((b0 + b) * channels + o) * height * width)
            for r in range(height):  # output row r = 2 i + a: corners 2 a and 2 a + 1 of the tiles of row i
                i, a = r // 2, r % 2
                to = plane + _U(r * width)
                left, right = _U(2 * a * tiles + i * tr), _U((2 * a + 1) * tiles + i * tr)
                for j in range(pairs):
                    dst[to + _U(2 * j)] = corners[left + _U(j)]
                    dst[to + _U(2 * j + 1)] = corners[right + _U(j)]
                if odd:
                    dst[to + _U(width - 1)] = corners[left + _U(pairs)]


def winograd_out(m, y, b0, nb, tiles, bias=None, channels=None):
    """The output tiles :math:`A^T M A` (``m`` as ``(16, C, nb th (tw + 1))``, laid out as in
    :func:`winograd_in`) written, cropped, into images ``b0 .. b0 + nb`` of ``y`` (``(B, C, H, W)``,
    C-contiguous), plus ``bias[c]``; only the channels ``channels = (o0, o1)`` (all by default)."""
    o0, o1 = channels or (0, y.shape[1])
    _winograd_out(m, y, b0, nb, o0, o1, int(tiles[0]), int(tiles[1]),
                  _no_bias(y.dtype) if bias is None else bias)


@numba.njit(**_JIT)
def _winograd_grad_out(gy, t, b0, nb, th, tw, sums):
    _, channels, height, width = gy.shape
    src = gy.ravel()
    dst = t.ravel()
    n = t.shape[2]
    step = _U(channels * n)
    tr = tw + 1
    tiles = th * tr
    pairs, odd = width // 2, width % 2
    # the four values of each tile of an image; the ones outside the image (the extra tile of each row,
    # the missing last row or column of an odd size) are never written and stay zero
    corners = np.zeros(4 * tiles, gy.dtype)
    partial = np.zeros(width if sums.size else 0, np.float64)  # per-lane sums: the loop still vectorises
    for o in range(channels):
        for b in range(nb):
            plane = _U(((b0 + b) * channels + o) * height * width)
            for r in range(height):  # row r = 2 i + a into corners 2 a and 2 a + 1 of the tiles of row i
                i, a = r // 2, r % 2
                at = plane + _U(r * width)
                left, right = _U(2 * a * tiles + i * tr), _U((2 * a + 1) * tiles + i * tr)
                for j in range(pairs):
                    corners[left + _U(j)] = src[at + _U(2 * j)]
                    corners[right + _U(j)] = src[at + _U(2 * j + 1)]
                if odd:
                    corners[left + _U(pairs)] = src[at + _U(width - 1)]
                if sums.size:
                    for j in range(width):
                        partial[j] += src[at + _U(j)]
            # A g: rows g0., g0. + g1., g0. - g1., -g1.; each row (p, s) times A^T: p, p + s, p - s, -s. One loop
            # per row of four outputs: with all sixteen in one loop, LLVM would not vectorise it
            c0, c1, c2, c3 = _U(0), _U(tiles), _U(2 * tiles), _U(3 * tiles)
            for row in range(4):
                out = _U(o * n + b * tiles) + _U(4 * row) * step
                out1, out2, out3 = out + step, out + _U(2) * step, out + _U(3) * step
                if row == 0:
                    for q in range(tiles):
                        u = _U(q)
                        p, s = corners[c0 + u], corners[c1 + u]
                        dst[out + u], dst[out1 + u], dst[out2 + u], dst[out3 + u] = p, p + s, p - s, -s
                elif row == 1:
                    for q in range(tiles):
                        u = _U(q)
                        p, s = corners[c0 + u] + corners[c2 + u], corners[c1 + u] + corners[c3 + u]
                        dst[out + u], dst[out1 + u], dst[out2 + u], dst[out3 + u] = p, p + s, p - s, -s
                elif row == 2:
                    for q in range(tiles):
                        u = _U(q)
                        p, s = corners[c0 + u] - corners[c2 + u], corners[c1 + u] - corners[c3 + u]
                        dst[out + u], dst[out1 + u], dst[out2 + u], dst[out3 + u] = p, p + s, p - s, -s
                else:
                    for q in range(tiles):
                        u = _U(q)
                        p, s = -corners[c2 + u], -corners[c3 + u]
                        dst[out + u], dst[out1 + u], dst[out2 + u], dst[out3 + u] = p, p + s, p - s, -s
        if sums.size:
            total = 0.0
            for j in range(width):
                total += partial[j]
                partial[j] = 0.0
            sums[o] += total


def winograd_grad_out(gy, t, b0, nb, tiles, sums=None):
    """The output-gradient tiles of images ``b0 .. b0 + nb`` of ``gy`` (``(B, C, H, W)``, C-contiguous),
    transformed for the weight gradient: ``t[k]`` is entry ``k`` of :math:`A\\, g\\, A^\\top` for each 2x2
    tile ``g`` (zero outside the image), ``t`` of shape ``(16, C, nb th (tw + 1))`` laid out as in
    :func:`winograd_in`, with ``A = [[1, 0], [1, 1], [1, -1], [0, -1]]``. Adds each channel's sum of ``gy``
    over the images to ``sums`` (float64) when given."""
    _winograd_grad_out(gy, t, b0, nb, int(tiles[0]), int(tiles[1]), _no_sums() if sums is None else sums)


def winograd_weight_grad(m):
    """The weight gradient :math:`G^\\top M G` (``(C_out, C_in, 3, 3)``) of the summed tile products ``m``
    (``(16, C_out, C_in)``): the transposed algorithm of :func:`winograd_filters`."""
    g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=m.dtype)
    gw = np.einsum("ai,aboc,bj->ocij", g, m.reshape(4, 4, *m.shape[1:]), g, optimize=True)
    return np.ascontiguousarray(gw)


class one_blas_thread:
    """A context in which NumPy's OpenBLAS runs each product on the calling thread alone (its thread count
    set to 1 and restored after): for two threads of our own that each run small products, which BLAS's
    own threads would otherwise share out again, four threads on two cores. Does nothing where that
    library is not found."""

    _lock = threading.Lock()
    _depth = 0          # contexts open now, in any thread: the first sets the count, the last restores it
    _saved = 1

    def __enter__(self):
        lib = _openblas()
        if lib is None:
            return self
        with one_blas_thread._lock:
            if one_blas_thread._depth == 0:
                one_blas_thread._saved = lib.scipy_openblas_get_num_threads64_()
                if one_blas_thread._saved > 1:
                    lib.scipy_openblas_set_num_threads64_(1)
            one_blas_thread._depth += 1
        return self

    def __exit__(self, *exc):
        lib = _openblas()
        if lib is None:
            return
        with one_blas_thread._lock:
            one_blas_thread._depth -= 1
            if one_blas_thread._depth == 0 and one_blas_thread._saved > 1:
                lib.scipy_openblas_set_num_threads64_(one_blas_thread._saved)


_OPENBLAS = []


def _openblas():
    """The OpenBLAS library NumPy ships (with its thread count functions), or ``None``."""
    if not _OPENBLAS:
        lib = None
        try:
            import ctypes
            import glob
            import os

            libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
            paths = glob.glob(os.path.join(libdir, "libscipy_openblas64_*.so*"))
            if paths:
                lib = ctypes.CDLL(paths[0])
                lib.scipy_openblas_get_num_threads64_.restype = ctypes.c_int
                lib.scipy_openblas_set_num_threads64_.argtypes = [ctypes.c_int]
        except (OSError, AttributeError):
            lib = None
        _OPENBLAS.append(lib)
    return _OPENBLAS[0]


def winograd_filters(w):
    """The filters :math:`V = G g G^T` of ``w`` (``(C_out, C_in, 3, 3)``) as ``(16, C_out, C_in)``, with
    ``G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]``."""
    g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=w.dtype)
    v = np.einsum("ai,ocij,bj->aboc", g, w, g, optimize=True)
    return np.ascontiguousarray(v.reshape(16, w.shape[0], w.shape[1]))
