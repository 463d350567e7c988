"""Recurrent layers with PyTorch's parameters, layouts and gate equations.

``RNN``, ``GRU`` and ``LSTM`` run each layer-direction over the whole sequence as
one fused autograd node (``npgrad.nn.functional.rnn.RecurrentSequence``); the
``*Cell`` modules are single steps composed from Tensor ops.  Parameter names
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l0`` ...) and shapes are
PyTorch's, so a ``state_dict`` from ``torch.nn.GRU`` loads unchanged.  Every
parameter starts as :math:`\\mathcal U(-1/\\sqrt{H}, 1/\\sqrt{H})`.

Example::

    import npgrad
    gru = npgrad.nn.GRU(8, 16, num_layers=2, batch_first=True, bidirectional=True)
    out, h_n = gru(npgrad.randn(4, 10, 8))       # (4, 10, 32), (4, 4, 16)
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

import npgrad
from npgrad.nn.module import Module, Parameter
from npgrad.nn.functional import rnn as F_rnn
from npgrad.nn.utils.rnn import PackedSequence
from ...tensor import check_device

__all__ = ["RNNBase", "RNN", "GRU", "LSTM", "RNNCellBase", "RNNCell", "GRUCell", "LSTMCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _uniform_(parameter, bound):
    from npgrad.nn import init

    init.uniform_(parameter, -bound, bound)


class RNNBase(Module):
    """Base of :class:`RNN`, :class:`GRU` and :class:`LSTM` (PyTorch's ``nn.RNNBase``).

    ``fused`` (class attribute, default ``True``) selects the fused sequence op;
    ``False`` runs the composed cells step by step (the reference).
    """

    fused = True

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        check_device(device)
        super().__init__()
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        dtype = npgrad.get_default_dtype() if dtype is None else dtype
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    setattr(self, base + suffix, Parameter(npgrad.empty(*shape, dtype=dtype)))
                    names.append(base + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self):
        """No-op, as on PyTorch's CPU backend."""

    def reset_parameters(self):
        """Every parameter :math:`\\sim \\mathcal U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            _uniform_(parameter, bound)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ----------------------------------------------------------------- forward helpers
    def _layer_weights(self):
        per_direction = []
        for names in self._all_weights:
            found = {name.split("_l")[0]: getattr(self, name) for name in names}
            per_direction.append((found["weight_ih"], found["weight_hh"], found.get("bias_ih"),
                                  found.get("bias_hh"), found.get("weight_hr")))
        return per_direction

    def _check_input(self, input, batch_sizes):
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight_dtype}). Convert input: input.to({weight_dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.dim()}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _expected_hidden_size(self, input, batch_sizes, size):
        if batch_sizes is not None:
            batch = int(batch_sizes[0])
        else:
            batch = input.shape[0] if self.batch_first else input.shape[1]
        directions = 2 if self.bidirectional else 1
        return (self.num_layers * directions, batch, size)

    @staticmethod
    def _check_hidden_size(hx, expected, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected:
            raise RuntimeError(msg.format(expected, list(hx.shape)))

    def _run(self, input, hx):
        """Shared forward of RNN/GRU/LSTM; ``hx`` is a Tensor, a pair (LSTM) or ``None``."""
        is_lstm = self.mode == "LSTM"
        directions = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        packed = isinstance(input, PackedSequence)
        is_batched = True
        if packed:
            data, batch_sizes_t, sorted_indices, unsorted_indices = input
            batch_sizes = batch_sizes_t._data.astype(np.int64)
            batch = int(batch_sizes[0])
        else:
            data = input
            batch_sizes, sorted_indices, unsorted_indices = None, None, None
            if input.dim() not in (2, 3):
                name = "RNN" if self.mode.startswith("RNN") else self.mode
                tail = " tensor instead" if name == "RNN" else " instead"
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
            is_batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not is_batched:
                data = data.unsqueeze(batch_dim)
                if hx is not None:
                    if is_lstm:
                        if hx[0].dim() != 2 or hx[1].dim() != 2:
                            raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D "
                                               f"but got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                        hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
                    else:
                        if hx.dim() != 2:
                            raise RuntimeError("For unbatched 2-D input, hx should also be 2-D but "
                                               f"got {hx.dim()}-D tensor")
                        hx = hx.unsqueeze(1)
            elif hx is not None:
                if is_lstm and (hx[0].dim() != 3 or hx[1].dim() != 3):
                    raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                       f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                if not is_lstm and hx.dim() != 3:
                    raise RuntimeError("For batched 3-D input, hx should also be 3-D but got "
                                       f"{hx.dim()}-D tensor")
            batch = data.shape[0] if self.batch_first else data.shape[1]
        self._check_input(data, batch_sizes)
        count = self.num_layers * directions
        if hx is None:
            h0 = npgrad.zeros(count, batch, real_hidden, dtype=data.dtype)
            c0 = npgrad.zeros(count, batch, self.hidden_size, dtype=data.dtype) if is_lstm else None
        elif is_lstm:
            h0, c0 = hx
            self._check_hidden_size(h0, self._expected_hidden_size(data, batch_sizes, real_hidden),
                                    "Expected hidden[0] size {}, got {}")
            self._check_hidden_size(c0, self._expected_hidden_size(data, batch_sizes, self.hidden_size),
                                    "Expected hidden[1] size {}, got {}")
        else:
            h0, c0 = hx, None
            self._check_hidden_size(h0, self._expected_hidden_size(data, batch_sizes, real_hidden))
        if sorted_indices is not None:
            h0 = h0.index_select(1, sorted_indices)
            if is_lstm:
                c0 = c0.index_select(1, sorted_indices)

        if packed:
            rows = data
        else:
            time_major = data.transpose(0, 1) if self.batch_first else data
            steps = time_major.shape[0]
            rows = time_major.reshape(steps * batch, self.input_size)
            batch_sizes = np.full(steps, batch, dtype=np.int64)
        result = F_rnn.recurrent_layers(self.mode, rows, batch_sizes, h0, c0, self._layer_weights(),
                                        self.num_layers, self.bidirectional, self.dropout,
                                        self.training, fused=type(self).fused)
        output, hidden = result[0], result[1:]
        if unsorted_indices is not None:
            hidden = tuple(h.index_select(1, unsorted_indices) for h in hidden)
        if packed:
            output = PackedSequence(output, batch_sizes_t, sorted_indices, unsorted_indices)
        else:
            output = output.reshape(steps, batch, output.shape[-1])
            if self.batch_first:
                output = output.transpose(0, 1)
            if not is_batched:
                output = output.squeeze(0 if self.batch_first else 1)
                hidden = tuple(h.squeeze(1) for h in hidden)
        return output, (hidden if is_lstm else hidden[0])


class RNN(RNNBase):
    """Elman RNN, :math:`h_t = \\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})` (or ReLU).

    Arguments as ``torch.nn.RNN(input_size, hidden_size, num_layers=1,
    nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``.  ``forward(input, hx=None)`` returns ``(output, h_n)``.
    Reference: J. L. Elman, *Finding Structure in Time*, 1990.

    Example::

        import npgrad
        out, h_n = npgrad.nn.RNN(3, 5)(npgrad.randn(7, 2, 3))   # (7, 2, 5), (1, 2, 5)
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._run(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit; gate order (r, z, n) as in PyTorch.

    .. math::

        r_t = \\sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}),\\quad
        z_t = \\sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\\\
        n_t = \\tanh(W_{in} x_t + b_{in} + r_t \\odot (W_{hn} h_{t-1} + b_{hn})),\\quad
        h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}

    Reference: K. Cho et al., 2014, arXiv:1406.1078.

    Example::

        import npgrad
        gru = npgrad.nn.GRU(3, 5, bidirectional=True)
        out, h_n = gru(npgrad.randn(7, 2, 3))                 # (7, 2, 10), (2, 2, 5)
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._run(input, hx)


class LSTM(RNNBase):
    """Long short-term memory; gate order (i, f, g, o), optional projection ``proj_size``.

    .. math::

        (i_t, f_t, g_t, o_t) = (\\sigma, \\sigma, \\tanh, \\sigma)(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \\\\
        c_t = f_t \\odot c_{t-1} + i_t \\odot g_t,\\quad h_t = o_t \\odot \\tanh(c_t)
        \\;(h_t \\leftarrow W_{hr} h_t \\text{ if proj\\_size} > 0)

    ``forward(input, (h0, c0)=None)`` returns ``(output, (h_n, c_n))``.
    References: Hochreiter & Schmidhuber, 1997; Sak et al., 2014, arXiv:1402.1128.

    Example::

        import npgrad
        lstm = npgrad.nn.LSTM(3, 5, proj_size=2)
        out, (h_n, c_n) = lstm(npgrad.randn(7, 2, 3))         # (7, 2, 2), (1, 2, 2), (1, 2, 5)
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._run(input, hx)


# --------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Base of the single-step cells: ``weight_ih`` ``(gates*H, I)``, ``weight_hh``, biases."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        check_device(device)
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dtype = npgrad.get_default_dtype() if dtype is None else dtype
        self.weight_ih = Parameter(npgrad.empty(num_chunks * hidden_size, input_size, dtype=dtype))
        self.weight_hh = Parameter(npgrad.empty(num_chunks * hidden_size, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(npgrad.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(npgrad.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        """Every parameter :math:`\\sim \\mathcal U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for parameter in self.parameters():
            _uniform_(parameter, bound)

    def _batched(self, input, hx, name, hx_label="hidden"):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {hx_label} to be 1D or 2D, got {hx.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = npgrad.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        return input, hx, is_batched


class RNNCell(RNNCellBase):
    """One Elman step, :math:`h' = \\tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})` (or ReLU).

    Example::

        import npgrad
        h = npgrad.nn.RNNCell(3, 5)(npgrad.randn(2, 3))         # (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        check_device(device)
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, is_batched = self._batched(input, hx, "RNNCell")
        if self.nonlinearity == "tanh":
            cell = F_rnn.rnn_tanh_cell
        elif self.nonlinearity == "relu":
            cell = F_rnn.rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        out = cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if is_batched else out.squeeze(0)


class GRUCell(RNNCellBase):
    """One GRU step (gate order r, z, n); see :class:`GRU` for the equations.

    Example::

        import npgrad
        h = npgrad.nn.GRUCell(3, 5)(npgrad.randn(2, 3))         # (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        check_device(device)
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, is_batched = self._batched(input, hx, "GRUCell")
        out = F_rnn.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if is_batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gate order i, f, g, o); ``forward(input, (h, c))`` returns ``(h', c')``.

    Example::

        import npgrad
        h, c = npgrad.nn.LSTMCell(3, 5)(npgrad.randn(2, 3))     # (2, 5), (2, 5)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        check_device(device)
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for index, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{index}] to be 1D or 2D, "
                                     f"got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = npgrad.zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = F_rnn.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if not is_batched:
            h, c = h.squeeze(0), c.squeeze(0)
        return h, c
