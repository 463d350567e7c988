"""Fused recurrent kernels: one layer-direction of RNN / GRU / LSTM over a whole sequence.

The sequence is given in *packed* layout, the layout of
``torch.nn.utils.rnn.PackedSequence``: ``x`` has shape ``(N, I)``, and time step
``t`` owns the ``batch_sizes[t]`` consecutive rows starting at
``offsets[t] = sum(batch_sizes[:t])``.  Batch sizes never increase, so the rows
active at step ``t`` are the first ``batch_sizes[t]`` rows of the hidden state;
the others keep their value, which gives every sequence its own final state and
lets the reverse direction start each sequence from ``h0``.  A padded batch
``(T, B, I)`` is the special case ``batch_sizes = [B] * T``.

Forward:
  * the input projections of all steps are one matmul, :math:`G_i = X W_{ih}^T + b_{ih}`;
  * each step does one BLAS matmul :math:`G_h = h W_{hh}^T` and one fused
    elementwise kernel for the gates.

Backward (back-propagation through time) walks the steps in the opposite order
with one fused elementwise kernel and one matmul :math:`dh \\mathrel{+}= dG_h W_{hh}`
per step; the weight gradients are single matmuls over all steps at the end.

Gate equations (PyTorch's, gate order as in its weight layout):

* RNN: :math:`h' = \\tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})` (or ReLU)
* GRU (r, z, n): :math:`r = \\sigma(\\cdot)`, :math:`z = \\sigma(\\cdot)`,
  :math:`n = \\tanh(W_{in} x + b_{in} + r \\odot (W_{hn} h + b_{hn}))`,
  :math:`h' = (1 - z) \\odot n + z \\odot h`
* LSTM (i, f, g, o): :math:`c' = f \\odot c + i \\odot g`,
  :math:`h' = o \\odot \\tanh(c')`, then :math:`h' \\leftarrow W_{hr} h'` with ``proj_size``.

Every elementwise step kernel exists twice: compiled by Numba (``backend="numba"``)
and as plain NumPy (``backend="numpy"``), the reference the tests compare with.

References: K. Cho et al., *Learning Phrase Representations using RNN
Encoder-Decoder for Statistical Machine Translation*, 2014; S. Hochreiter and
J. Schmidhuber, *Long Short-Term Memory*, 1997; H. Sak et al., *Long Short-Term
Memory Based Recurrent Neural Network Architectures for Large Vocabulary Speech
Recognition*, 2014 (projection).

Example::

    import numpy as np
    from npgrad.kernels.rnn import sequence_forward, sequence_backward
    T, B, I, H = 5, 2, 3, 4
    x = np.random.randn(T * B, I)
    w_ih, w_hh = np.random.randn(3 * H, I), np.random.randn(3 * H, H)
    out = sequence_forward("GRU", x, np.full(T, B), np.zeros((B, H)), None,
                           w_ih, w_hh, None, None, None, reverse=False)
    y, h_n = out.y, out.h_n          # (T*B, H), (B, H)
"""
import numpy as np
from numba import njit

from ._fastmath import fast_exp

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}

# no "reassoc": fast_exp's rounding trick must not be folded away
_FASTMATH = {"nsz", "arcp", "contract", "afn"}
_JIT = dict(cache=True, fastmath=_FASTMATH, error_model="numpy")


# --------------------------------------------------------------------------- scalar helpers
@njit(inline="always", fastmath=_FASTMATH, error_model="numpy")
def _exp(x):
    """:math:`e^x` in float64 by the vectorising polynomial of ``npgrad.kernels._fastmath``."""
    return fast_exp(np.float64(x))


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy")
def _sigmoid(x):
    return 1.0 / (1.0 + _exp(-x))


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy")
def _tanh(x):
    # 1 - 2 / (e^{2x} + 1): limits +-1 for large |x|, absolute error ~1e-16 near 0
    return 1.0 - 2.0 / (_exp(2.0 * x) + 1.0)


def _sigmoid_np(x):
    return 1.0 / (1.0 + np.exp(-x))


# --------------------------------------------------------------------------- RNN steps
@njit(**_JIT)
def _rnn_fwd_numba(gi, gh, b_hh, relu, h_out):
    # one short loop per row and pass: simple loops over few arrays vectorise
    rows, hidden = h_out.shape
    for i in range(rows):
        gi_row, gh_row, h_row = gi[i], gh[i], h_out[i]
        if relu:
            for j in range(hidden):
                h_row[j] = max(gi_row[j] + gh_row[j] + b_hh[j], 0.0)
        else:
            for j in range(hidden):
                h_row[j] = _tanh(gi_row[j] + gh_row[j] + b_hh[j])


@njit(**_JIT)
def _rnn_bwd_numba(dh, dy, h, relu, dpre):
    rows, hidden = h.shape
    for i in range(rows):
        for j in range(hidden):
            d = dh[i, j] + dy[i, j]
            if relu:
                dpre[i, j] = d if h[i, j] > 0.0 else 0.0
            else:
                dpre[i, j] = d * (1.0 - h[i, j] * h[i, j])


def _rnn_fwd_numpy(gi, gh, b_hh, relu, h_out):
    a = gi + gh + b_hh
    h_out[...] = np.maximum(a, 0.0) if relu else np.tanh(a)


def _rnn_bwd_numpy(dh, dy, h, relu, dpre):
    d = dh + dy
    dpre[...] = d * (h > 0.0) if relu else d * (1.0 - h * h)


# --------------------------------------------------------------------------- GRU steps
@njit(**_JIT)
def _gru_fwd_numba(gi, gh, b_hh, h_prev, h_out, gates, ghn):
    rows, hidden = h_out.shape
    for i in range(rows):
        gi_row, gh_row, gate_row = gi[i], gh[i], gates[i]
        hp_row, h_row, ghn_row = h_prev[i], h_out[i], ghn[i]
        r, z, n = gate_row[:hidden], gate_row[hidden:2 * hidden], gate_row[2 * hidden:]
        for j in range(2 * hidden):                   # r and z together
            gate_row[j] = _sigmoid(gi_row[j] + gh_row[j] + b_hh[j])
        for j in range(hidden):
            ghn_row[j] = gh_row[2 * hidden + j] + b_hh[2 * hidden + j]
        for j in range(hidden):
            n[j] = _tanh(gi_row[2 * hidden + j] + r[j] * ghn_row[j])
        for j in range(hidden):
            h_row[j] = n[j] + z[j] * (hp_row[j] - n[j])


@njit(**_JIT)
def _gru_bwd_numba(dh, dy, gates, ghn, h_prev, dgi, dgh):
    """Writes the gate gradients; leaves ``dh * z`` (the direct path) in ``dh``."""
    rows, hidden = dh.shape
    for i in range(rows):
        for j in range(hidden):
            d = dh[i, j] + dy[i, j]
            r = gates[i, j]
            z = gates[i, hidden + j]
            n = gates[i, 2 * hidden + j]
            dpre_n = d * (1.0 - z) * (1.0 - n * n)
            dpre_r = dpre_n * ghn[i, j] * r * (1.0 - r)
            dpre_z = d * (h_prev[i, j] - n) * z * (1.0 - z)
            dgi[i, j] = dpre_r
            dgi[i, hidden + j] = dpre_z
            dgi[i, 2 * hidden + j] = dpre_n
            dgh[i, j] = dpre_r
            dgh[i, hidden + j] = dpre_z
            dgh[i, 2 * hidden + j] = dpre_n * r
            dh[i, j] = d * z


def _gru_fwd_numpy(gi, gh, b_hh, h_prev, h_out, gates, ghn):
    hidden = h_out.shape[1]
    a = gh + b_hh
    r = _sigmoid_np(gi[:, :hidden] + a[:, :hidden])
    z = _sigmoid_np(gi[:, hidden:2 * hidden] + a[:, hidden:2 * hidden])
    hn = a[:, 2 * hidden:]
    n = np.tanh(gi[:, 2 * hidden:] + r * hn)
    h_out[...] = n + z * (h_prev - n)
    gates[:, :hidden], gates[:, hidden:2 * hidden], gates[:, 2 * hidden:] = r, z, n
    ghn[...] = hn


def _gru_bwd_numpy(dh, dy, gates, ghn, h_prev, dgi, dgh):
    hidden = dh.shape[1]
    d = dh + dy
    r, z, n = gates[:, :hidden], gates[:, hidden:2 * hidden], gates[:, 2 * hidden:]
    dpre_n = d * (1.0 - z) * (1.0 - n * n)
    dpre_r = dpre_n * ghn * r * (1.0 - r)
    dpre_z = d * (h_prev - n) * z * (1.0 - z)
    dgi[:, :hidden], dgi[:, hidden:2 * hidden], dgi[:, 2 * hidden:] = dpre_r, dpre_z, dpre_n
    dgh[:, :hidden], dgh[:, hidden:2 * hidden], dgh[:, 2 * hidden:] = dpre_r, dpre_z, dpre_n * r
    dh[...] = d * z


# --------------------------------------------------------------------------- LSTM steps
@njit(**_JIT)
def _lstm_fwd_numba(gi, gh, b_hh, c_prev, c_out, m_out, gates, tanh_c):
    rows, hidden = c_out.shape
    for i in range(rows):
        gi_row, gh_row, gate_row = gi[i], gh[i], gates[i]
        ig, fg = gate_row[:hidden], gate_row[hidden:2 * hidden]
        gg, og = gate_row[2 * hidden:3 * hidden], gate_row[3 * hidden:]
        cp_row, c_row, m_row, tc_row = c_prev[i], c_out[i], m_out[i], tanh_c[i]
        for j in range(2 * hidden):                   # i and f together
            gate_row[j] = _sigmoid(gi_row[j] + gh_row[j] + b_hh[j])
        for j in range(2 * hidden, 3 * hidden):
            gate_row[j] = _tanh(gi_row[j] + gh_row[j] + b_hh[j])
        for j in range(3 * hidden, 4 * hidden):
            gate_row[j] = _sigmoid(gi_row[j] + gh_row[j] + b_hh[j])
        for j in range(hidden):
            c_row[j] = fg[j] * cp_row[j] + ig[j] * gg[j]
        for j in range(hidden):
            tc_row[j] = _tanh(c_row[j])
        for j in range(hidden):
            m_row[j] = og[j] * tc_row[j]


@njit(**_JIT)
def _lstm_bwd_numba(dm, dc, gates, tanh_c, c_prev, dg):
    """``dc`` holds the incoming cell gradient and is overwritten by ``dc * f``."""
    rows, hidden = dm.shape
    for i in range(rows):
        for j in range(hidden):
            ig = gates[i, j]
            fg = gates[i, hidden + j]
            gg = gates[i, 2 * hidden + j]
            og = gates[i, 3 * hidden + j]
            tc = tanh_c[i, j]
            dct = dc[i, j] + dm[i, j] * og * (1.0 - tc * tc)
            dg[i, j] = dct * gg * ig * (1.0 - ig)
            dg[i, hidden + j] = dct * c_prev[i, j] * fg * (1.0 - fg)
            dg[i, 2 * hidden + j] = dct * ig * (1.0 - gg * gg)
            dg[i, 3 * hidden + j] = dm[i, j] * tc * og * (1.0 - og)
            dc[i, j] = dct * fg


def _lstm_fwd_numpy(gi, gh, b_hh, c_prev, c_out, m_out, gates, tanh_c):
    hidden = c_out.shape[1]
    a = gi + gh + b_hh
    ig = _sigmoid_np(a[:, :hidden])
    fg = _sigmoid_np(a[:, hidden:2 * hidden])
    gg = np.tanh(a[:, 2 * hidden:3 * hidden])
    og = _sigmoid_np(a[:, 3 * hidden:])
    c = fg * c_prev + ig * gg
    tc = np.tanh(c)
    c_out[...] = c
    m_out[...] = og * tc
    tanh_c[...] = tc
    gates[...] = np.concatenate([ig, fg, gg, og], axis=1)


def _lstm_bwd_numpy(dm, dc, gates, tanh_c, c_prev, dg):
    hidden = dm.shape[1]
    ig, fg = gates[:, :hidden], gates[:, hidden:2 * hidden]
    gg, og = gates[:, 2 * hidden:3 * hidden], gates[:, 3 * hidden:]
    dct = dc + dm * og * (1.0 - tanh_c * tanh_c)
    dg[...] = np.concatenate([dct * gg * ig * (1.0 - ig),
                              dct * c_prev * fg * (1.0 - fg),
                              dct * ig * (1.0 - gg * gg),
                              dm * tanh_c * og * (1.0 - og)], axis=1)
    dc[...] = dct * fg


BACKENDS = {
    "numba": dict(rnn=(_rnn_fwd_numba, _rnn_bwd_numba), gru=(_gru_fwd_numba, _gru_bwd_numba),
                  lstm=(_lstm_fwd_numba, _lstm_bwd_numba)),
    "numpy": dict(rnn=(_rnn_fwd_numpy, _rnn_bwd_numpy), gru=(_gru_fwd_numpy, _gru_bwd_numpy),
                  lstm=(_lstm_fwd_numpy, _lstm_bwd_numpy)),
}


# --------------------------------------------------------------------------- sequence driver
class SequenceState:
    """Outputs of :func:`sequence_forward` and what its backward needs."""

    def __init__(self, **fields):
        self.__dict__.update(fields)


def _offsets(batch_sizes):
    offsets = np.zeros(len(batch_sizes), dtype=np.int64)
    np.cumsum(batch_sizes[:-1], out=offsets[1:])
    return offsets


def sequence_forward(mode, x, batch_sizes, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                     reverse, backend="numba"):
    """Run one layer-direction over the packed sequence ``x``; see the module docstring.

    Returns a :class:`SequenceState` with ``y`` ``(N, P)``, ``h_n`` ``(B, P)``,
    ``c_n`` (LSTM) and the saved activations for :func:`sequence_backward`.
    """
    kind = "gru" if mode == "GRU" else "lstm" if mode == "LSTM" else "rnn"
    step_forward = BACKENDS[backend][kind][0]
    dtype = x.dtype
    batch_sizes = np.asarray(batch_sizes, dtype=np.int64)
    offsets = _offsets(batch_sizes)
    n_rows = x.shape[0]
    width = w_hh.shape[0]
    hidden = width // GATES[mode]
    gi = x @ w_ih.T
    if b_ih is not None:
        gi += b_ih
    gi = np.ascontiguousarray(gi)
    b_hh = np.zeros(width, dtype) if b_hh is None else np.ascontiguousarray(b_hh)
    w_hh_t = w_hh.T
    h = np.array(h0, dtype=dtype, order="C", copy=True)
    y = np.empty((n_rows, h.shape[1]), dtype)
    h_prev = np.empty_like(y)
    gh_buffer = np.empty((h.shape[0], width), dtype)
    state = SequenceState(mode=mode, kind=kind, backend=backend, x=x, batch_sizes=batch_sizes,
                          offsets=offsets, reverse=reverse, w_ih=w_ih, w_hh=w_hh, w_hr=w_hr,
                          y=y, h_prev=h_prev, hidden=hidden)
    relu = mode == "RNN_RELU"
    if kind == "gru":
        state.gates = np.empty((n_rows, width), dtype)
        state.ghn = np.empty((n_rows, hidden), dtype)
    elif kind == "lstm":
        c = np.array(c0, dtype=dtype, order="C", copy=True)
        state.gates = np.empty((n_rows, width), dtype)
        state.tanh_c = np.empty((n_rows, hidden), dtype)
        state.c_prev = np.empty((n_rows, hidden), dtype)
        state.m = np.empty((n_rows, hidden), dtype) if w_hr is not None else y
    steps = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    for t in steps:
        start, rows = offsets[t], batch_sizes[t]
        stop = start + rows
        hp = h[:rows]
        h_prev[start:stop] = hp
        gh = gh_buffer[:rows]
        np.matmul(hp, w_hh_t, out=gh)
        if kind == "rnn":
            step_forward(gi[start:stop], gh, b_hh, relu, y[start:stop])
        elif kind == "gru":
            step_forward(gi[start:stop], gh, b_hh, hp, y[start:stop],
                         state.gates[start:stop], state.ghn[start:stop])
        else:
            cp = c[:rows]
            state.c_prev[start:stop] = cp
            step_forward(gi[start:stop], gh, b_hh, state.c_prev[start:stop], cp,
                         state.m[start:stop], state.gates[start:stop], state.tanh_c[start:stop])
            if w_hr is not None:
                np.matmul(state.m[start:stop], w_hr.T, out=y[start:stop])
        h[:rows] = y[start:stop]
    state.h_n = h
    state.c_n = c if kind == "lstm" else None
    return state


def sequence_backward(state, dy, dh_n, dc_n):
    """Back-propagation through time for :func:`sequence_forward`.

    ``dy`` ``(N, P)``, ``dh_n`` ``(B, P)``, ``dc_n`` ``(B, H)``; any may be ``None``
    (zero).  Returns ``dict(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)`` of gradients.
    """
    kind, hidden = state.kind, state.hidden
    step_backward = BACKENDS[state.backend][kind][1]
    y, h_prev, offsets, batch_sizes = state.y, state.h_prev, state.offsets, state.batch_sizes
    dtype = y.dtype
    n_rows, width = y.shape[0], state.w_hh.shape[0]
    batch = state.h_n.shape[0]
    dy = np.zeros_like(y) if dy is None else np.ascontiguousarray(dy, dtype=dtype)
    dh = np.zeros_like(state.h_n) if dh_n is None else np.array(dh_n, dtype=dtype, order="C")
    dgi = np.empty((n_rows, width), dtype)
    dgh = np.empty((n_rows, width), dtype) if kind == "gru" else dgi
    relu = state.mode == "RNN_RELU"
    if kind == "lstm":
        dc = np.zeros((batch, hidden), dtype) if dc_n is None else np.array(dc_n, dtype=dtype, order="C")
        projected = state.w_hr is not None
        if projected:
            dh_total = np.empty_like(y)       # gradient at each step's projected output
            dm_buffer = np.empty((batch, hidden), dtype)
    steps = range(len(batch_sizes)) if state.reverse else range(len(batch_sizes) - 1, -1, -1)
    for t in steps:
        start, rows = offsets[t], batch_sizes[t]
        stop = start + rows
        dh_rows = dh[:rows]
        if kind == "rnn":
            step_backward(dh_rows, dy[start:stop], y[start:stop], relu, dgi[start:stop])
            np.matmul(dgi[start:stop], state.w_hh, out=dh_rows)
        elif kind == "gru":
            step_backward(dh_rows, dy[start:stop], state.gates[start:stop], state.ghn[start:stop],
                          h_prev[start:stop], dgi[start:stop], dgh[start:stop])
            dh_rows += dgh[start:stop] @ state.w_hh
        else:
            if projected:
                np.add(dh_rows, dy[start:stop], out=dh_total[start:stop])
                dm = dm_buffer[:rows]
                np.matmul(dh_total[start:stop], state.w_hr, out=dm)
            else:
                dm = dh_rows + dy[start:stop]
            step_backward(dm, dc[:rows], state.gates[start:stop], state.tanh_c[start:stop],
                          state.c_prev[start:stop], dgi[start:stop])
            np.matmul(dgi[start:stop], state.w_hh, out=dh_rows)
    grads = dict(x=dgi @ state.w_ih, h0=dh, c0=dc if kind == "lstm" else None,
                 w_ih=dgi.T @ state.x, w_hh=dgh.T @ h_prev,
                 b_ih=dgi.sum(axis=0), b_hh=dgh.sum(axis=0), w_hr=None)
    if kind == "lstm" and projected:
        grads["w_hr"] = dh_total.T @ state.m
    return grads
