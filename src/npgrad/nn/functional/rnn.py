"""The math of the recurrent layers: cells from Tensor ops, and fused whole-sequence ops.

Two ways to run a recurrent layer over a sequence, which the tests compare:

* **composed**: a Python loop over time calling :func:`rnn_tanh_cell`,
  :func:`gru_cell` or :func:`lstm_cell`, each built from ordinary Tensor ops (one
  autograd node per op per step) -- the readable reference;
* **fused** (the default): each layer-direction is one autograd Function,
  :class:`RecurrentSequence`, whose forward loops over time and whose backward
  runs back-propagation through time (``npgrad.kernels.rnn``).

Gate equations, in PyTorch's gate order and weight layout
(``weight_ih`` = :math:`[W_{i\\cdot}]` stacked by gate, shape ``(gates*H, I)``):

.. math::

    \\text{RNN:}\\quad & h' = \\tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh}) \\\\
    \\text{GRU:}\\quad & r = \\sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}),\\;
                       z = \\sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\\\
                     & n = \\tanh(W_{in} x + b_{in} + r \\odot (W_{hn} h + b_{hn})),\\;
                       h' = (1 - z) \\odot n + z \\odot h \\\\
    \\text{LSTM:}\\quad & (i, f, g, o) = (\\sigma, \\sigma, \\tanh, \\sigma)(W_{ih} x + b_{ih} + W_{hh} h + b_{hh}) \\\\
                      & c' = f \\odot c + i \\odot g,\\; h' = o \\odot \\tanh(c')
                        \\;(\\text{then } h' \\leftarrow W_{hr} h' \\text{ with proj\\_size})

References: Cho et al. 2014 (GRU, arXiv:1406.1078); Hochreiter & Schmidhuber 1997
(LSTM); Sak et al. 2014 (LSTM projection, arXiv:1402.1128).

Example::

    import npgrad
    from npgrad.nn.functional.rnn import gru_cell
    x, h = npgrad.randn(2, 3), npgrad.zeros(2, 4)
    w_ih, w_hh = npgrad.randn(12, 3), npgrad.randn(12, 4)
    h1 = gru_cell(x, h, w_ih, w_hh)          # (2, 4)
"""
from __future__ import annotations

import numpy as np

import npgrad
from npgrad.autograd.function import ArrayFunction as Function

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "gru_cell", "lstm_cell", "RecurrentSequence",
           "recurrent_layers"]


# --------------------------------------------------------------------------- cells (composed)
def _linear(x, weight, bias):
    out = x.matmul(weight.t())
    return out if bias is None else out + bias


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step, :math:`h' = \\tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`."""
    return npgrad.tanh(_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh))


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step with ReLU, :math:`h' = \\max(0, W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`."""
    return npgrad.relu(_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh))


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gate order r, z, n), from Tensor ops; see the module docstring."""
    i_r, i_z, i_n = _linear(input, w_ih, b_ih).chunk(3, 1)
    h_r, h_z, h_n = _linear(hx, w_hh, b_hh).chunk(3, 1)
    r = npgrad.sigmoid(i_r + h_r)
    z = npgrad.sigmoid(i_z + h_z)
    n = npgrad.tanh(i_n + r * h_n)
    return (1 - z) * n + z * hx


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None):
    """One LSTM step (gate order i, f, g, o); ``hx = (h, c)``; returns ``(h', c')``."""
    h, c = hx
    gates = _linear(input, w_ih, b_ih) + _linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c_new = npgrad.sigmoid(f) * c + npgrad.sigmoid(i) * npgrad.tanh(g)
    h_new = npgrad.sigmoid(o) * npgrad.tanh(c_new)
    if w_hr is not None:
        h_new = h_new.matmul(w_hr.t())
    return h_new, c_new


_CELLS = {"RNN_TANH": rnn_tanh_cell, "RNN_RELU": rnn_relu_cell, "GRU": gru_cell}


def _sequence_composed(mode, x, batch_sizes, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse):
    """One layer-direction over the packed rows ``x`` by a loop of composed cells."""
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(int)
    batch = h0.shape[0]
    h, c = h0, c0
    outputs = [None] * len(batch_sizes)
    steps = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
    for t in steps:
        start, rows = int(offsets[t]), int(batch_sizes[t])
        x_t = x[start:start + rows]
        if mode == "LSTM":
            h_t, c_t = lstm_cell(x_t, (h[:rows], c[:rows]), w_ih, w_hh, b_ih, b_hh, w_hr)
            c = c_t if rows == batch else npgrad.cat([c_t, c[rows:]], 0)
        else:
            h_t = _CELLS[mode](x_t, h[:rows], w_ih, w_hh, b_ih, b_hh)
        h = h_t if rows == batch else npgrad.cat([h_t, h[rows:]], 0)
        outputs[t] = h_t
    y = npgrad.cat(outputs, 0)
    return (y, h, c) if mode == "LSTM" else (y, h)


# --------------------------------------------------------------------------- fused sequence
class RecurrentSequence(Function):
    """One layer-direction over a whole packed sequence as a single autograd node.

    Inputs: ``x`` ``(N, I)`` packed rows, ``h0`` ``(B, P)``, ``c0`` ``(B, H)`` (LSTM,
    else ``None``), the weights (``None`` where absent), then ``mode``,
    ``batch_sizes`` (int array) and ``reverse``.  Outputs ``y`` ``(N, P)``,
    ``h_n`` and, for the LSTM, ``c_n``.  Forward and back-propagation through
    time run in ``npgrad.kernels.rnn``; the class attribute ``backend`` picks its
    fused Numba gate kernels (``"numba"``, default) or their NumPy reference
    (``"numpy"``).

    Example::

        import numpy as np, npgrad
        from npgrad.nn.functional.rnn import RecurrentSequence
        x = npgrad.randn(6, 3, requires_grad=True)          # 3 steps of a batch of 2
        h0 = npgrad.zeros(2, 4)
        w_ih, w_hh = npgrad.randn(12, 3), npgrad.randn(12, 4)
        y, h_n = RecurrentSequence.apply(x, h0, None, w_ih, w_hh, None, None, None,
                                         "GRU", np.array([2, 2, 2]), False)
        y.sum().backward()                                   # one node, BPTT inside
    """

    backend = "numba"

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, batch_sizes, reverse):
        from npgrad.kernels.rnn import sequence_forward

        with np.errstate(all="ignore"):        # inf and NaN flow through silently, as in torch
            state = sequence_forward(mode, x, batch_sizes, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                                     reverse, backend=RecurrentSequence.backend)
        if any(ctx.needs_input_grad):
            ctx.state = state
            ctx.inputs = (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)     # for a recorded backward (create_graph)
            ctx.mode, ctx.batch_sizes, ctx.reverse = mode, batch_sizes, reverse
        if mode == "LSTM":
            return state.y, state.h_n, state.c_n
        return state.y, state.h_n

    @staticmethod
    def backward(ctx, dy, dh_n, dc_n=None):
        from npgrad.kernels.rnn import sequence_backward

        with np.errstate(all="ignore"):
            grads = sequence_backward(ctx.state, dy, dh_n, dc_n)
        names = ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh", "w_hr")
        needs = ctx.needs_input_grad
        return tuple(grads[name] if needs[i] else None for i, name in enumerate(names)) \
            + (None, None, None)

    @staticmethod
    def graph_backward(ctx, saved, dy, dh_n, dc_n=None):
        """Recorded (``create_graph``): the composed cells (:func:`_sequence_composed`) differentiated at the
        same inputs; the fused kernels stay the first-order path."""
        inputs = [None if a is None else saved.input(k, a) for k, a in enumerate(ctx.inputs)]

        def composed(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
            return _sequence_composed(ctx.mode, x, ctx.batch_sizes, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                                      ctx.reverse)

        grads = saved.vjp(composed, inputs, (dy, dh_n, dc_n))
        return (*grads, None, None, None)


def recurrent_layers(mode, x, batch_sizes, hx, cx, weights, num_layers, bidirectional,
                     dropout=0.0, training=False, fused=True):
    """A stack of recurrent layers over packed rows, as ``torch._VF.rnn_tanh/gru/lstm``.

    ``x`` ``(N, I)`` in packed layout (a padded batch ``(T, B, I)`` reshaped to
    ``(T*B, I)`` with ``batch_sizes = [B] * T``); ``hx`` ``(L*D, B, P)``; ``cx``
    ``(L*D, B, H)`` for the LSTM; ``weights[l*D + d] = (w_ih, w_hh, b_ih, b_hh, w_hr)``.
    Dropout with probability ``dropout`` is applied to the outputs of every layer but
    the last while ``training``.  Returns ``(y, h_n)`` or ``(y, h_n, c_n)``.
    """
    directions = 2 if bidirectional else 1
    batch_sizes = np.asarray(batch_sizes, dtype=np.int64)
    h_finals, c_finals = [], []
    layer_input = x
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            index = layer * directions + direction
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[index]
            h0 = hx[index]
            c0 = cx[index] if mode == "LSTM" else None
            reverse = direction == 1
            if fused:
                result = RecurrentSequence.apply(layer_input, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr,
                                                 mode, batch_sizes, reverse)
            else:
                result = _sequence_composed(mode, layer_input, batch_sizes, h0, c0, w_ih, w_hh,
                                            b_ih, b_hh, w_hr, reverse)
            outputs.append(result[0])
            h_finals.append(result[1])
            if mode == "LSTM":
                c_finals.append(result[2])
        layer_input = outputs[0] if directions == 1 else npgrad.cat(outputs, 1)
        if dropout > 0 and training and layer < num_layers - 1:
            from .basic import dropout as _dropout

            layer_input = _dropout(layer_input, p=dropout, training=True)
    h_n = npgrad.stack(h_finals, 0)
    if mode == "LSTM":
        return layer_input, h_n, npgrad.stack(c_finals, 0)
    return layer_input, h_n
