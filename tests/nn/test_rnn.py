"""RNN / GRU / LSTM and their cells against torch.nn (float64), fused and composed paths.

Weights and inputs come from NumPy generators, are copied into both libraries, and
outputs, final states and the gradients of the input, the initial states and every
parameter are compared with torch's (golden values without torch).
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npgrad
from npgrad.autograd import gradcheck
from npgrad.nn.layers.rnn import RNNBase

from harness import _seed
from oracle import Golden, torch

golden = Golden("rnn")
RTOL, ATOL = 1e-9, 1e-11
T, B, I, H = 3, 2, 3, 4


def _module(lib, mode, *args, **kwargs):
    if mode in ("RNN_TANH", "RNN_RELU"):
        kwargs["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
        return lib.nn.RNN(*args, **kwargs)
    return {"GRU": lib.nn.GRU, "LSTM": lib.nn.LSTM}[mode](*args, **kwargs)


def _arrays(name, module):
    """Parameters (by name), input, states and output-gradient weights for a case."""
    rng = np.random.default_rng(_seed(name))
    params = {k: rng.uniform(-0.6, 0.6, tuple(p.shape)) for k, p in module.named_parameters()}
    return params, rng


def _run(lib, module, params, x, hx, weights):
    """Forward, weighted-sum backward; returns outputs and gradients as arrays."""
    if lib is torch:
        module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
    else:
        for k, p in module.named_parameters():
            p._data[...] = params[k]
    xt = lib.tensor(x, requires_grad=True)
    states = None if hx is None else [lib.tensor(h, requires_grad=True) for h in hx]
    if states is None:
        out, hidden = module(xt)
    else:
        out, hidden = module(xt, states[0] if len(states) == 1 else tuple(states))
    hidden = list(hidden) if isinstance(hidden, tuple) else [hidden]
    results = [out] + hidden
    loss = sum((r * lib.tensor(w)).sum() for r, w in zip(results, weights))
    loss.backward()
    found = {"out": [r.detach().numpy() for r in results], "x": xt.grad.numpy()}
    if states is not None:
        found["hx"] = [s.grad.numpy() for s in states]
    found["params"] = {k: p.grad.numpy() for k, p in module.named_parameters()}
    return found


def _compare(got, ref, name):
    assert len(got["out"]) == len(ref["out"])
    for g, r in zip(got["out"], ref["out"]):
        assert g.shape == r.shape, name
        np.testing.assert_allclose(g, r, rtol=RTOL, atol=ATOL, err_msg=f"{name} output")
    np.testing.assert_allclose(got["x"], ref["x"], rtol=RTOL, atol=ATOL, err_msg=f"{name} input grad")
    for g, r in zip(got.get("hx", []), ref.get("hx", [])):
        np.testing.assert_allclose(g, r, rtol=RTOL, atol=ATOL, err_msg=f"{name} state grad")
    assert sorted(got["params"]) == sorted(ref["params"])
    for k in ref["params"]:
        np.testing.assert_allclose(got["params"][k], ref["params"][k], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} grad of {k}")


def _case_data(name, mode, layers, bias, batch_first, bidirectional, with_h0, proj, unbatched=False,
               dropout=0.0):
    kwargs = dict(num_layers=layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional,
                  dropout=dropout, dtype=npgrad.float64)
    if proj:
        kwargs["proj_size"] = proj
    module = _module(npgrad, mode, I, H, **kwargs)
    params, rng = _arrays(name, module)
    shape = (T, I) if unbatched else ((B, T, I) if batch_first else (T, B, I))
    x = rng.standard_normal(shape)
    directions = 2 if bidirectional else 1
    real = proj or H
    state_shape = (layers * directions,) + (() if unbatched else (B,))
    hx = None
    if with_h0:
        hx = [rng.standard_normal(state_shape + (real,))]
        if mode == "LSTM":
            hx.append(rng.standard_normal(state_shape + (H,)))
    out_len = (T,) if unbatched else ((B, T) if batch_first else (T, B))
    weights = [rng.standard_normal(out_len + (directions * real,)), rng.standard_normal(state_shape + (real,))]
    if mode == "LSTM":
        weights.append(rng.standard_normal(state_shape + (H,)))
    torch_kwargs = dict(kwargs, dtype=torch.float64 if torch is not None else None)
    return module, params, x, hx, weights, torch_kwargs


MODES = ["RNN_TANH", "RNN_RELU", "GRU", "LSTM"]
GRID = [(mode, layers, bias, bf, bi, h0, 0)
        for mode, layers, bias, bf, bi, h0 in itertools.product(MODES, [1, 2], [True, False], [False, True],
                                                                 [False, True], [False, True])]
GRID += [("LSTM", layers, bias, bf, bi, h0, 2)
         for layers, bias, bf, bi, h0 in itertools.product([1, 2], [True, False], [False, True],
                                                           [False, True], [False, True])]


def _grid_id(case):
    mode, layers, bias, bf, bi, h0, proj = case
    return f"{mode}-L{layers}-bias{int(bias)}-bf{int(bf)}-bi{int(bi)}-h0{int(h0)}-proj{proj}"


@pytest.mark.parametrize("case", GRID, ids=_grid_id)
def test_matches_torch_for_every_option(case):
    name = _grid_id(case)
    mode, layers, bias, bf, bi, h0, proj = case
    module, params, x, hx, weights, torch_kwargs = _case_data(name, mode, layers, bias, bf, bi, h0, proj)

    def reference():
        return _run(torch, _module(torch, mode, I, H, **torch_kwargs), params, x, hx, weights)

    ref = golden(name, reference)
    _compare(_run(npgrad, module, params, x, hx, weights), ref, name + " fused")
    try:
        RNNBase.fused = False
        module.zero_grad()
        _compare(_run(npgrad, module, params, x, hx, weights), ref, name + " composed")
    finally:
        RNNBase.fused = True


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_h0", [False, True])
def test_unbatched_input(mode, with_h0):
    name = f"unbatched-{mode}-h0{int(with_h0)}"
    module, params, x, hx, weights, torch_kwargs = _case_data(name, mode, 2, True, False, True, with_h0, 0,
                                                              unbatched=True)
    ref = golden(name, lambda: _run(torch, _module(torch, mode, I, H, **torch_kwargs), params, x, hx, weights))
    _compare(_run(npgrad, module, params, x, hx, weights), ref, name)


@pytest.mark.parametrize("mode", ["GRU", "LSTM"])
def test_dropout_between_layers(mode):
    # p = 1 zeroes the first layer's output: deterministic, so torch can be matched exactly
    name = f"dropout1-{mode}"
    module, params, x, hx, weights, torch_kwargs = _case_data(name, mode, 2, True, False, True, True, 0,
                                                              dropout=1.0)
    ref = golden(name, lambda: _run(torch, _module(torch, mode, I, H, **torch_kwargs), params, x, hx, weights))
    _compare(_run(npgrad, module, params, x, hx, weights), ref, name)
    # evaluation mode: dropout is off, as in torch
    module.eval()
    module.zero_grad()
    eval_ref = golden(name + "/eval", lambda: _run(
        torch, _module(torch, mode, I, H, **torch_kwargs).eval(), params, x, hx, weights))
    _compare(_run(npgrad, module, params, x, hx, weights), eval_ref, name + " eval")
    # dropout 0.5 in training: some first-layer outputs are zeroed, the result differs from eval
    module.train()
    module.dropout = 0.5
    npgrad.manual_seed(0)
    x_t = npgrad.tensor(x)
    states = [npgrad.tensor(h) for h in hx]
    train_out = module(x_t, states[0] if len(states) == 1 else tuple(states))[0].detach().numpy()
    assert not np.allclose(train_out, eval_ref["out"][0])


# --------------------------------------------------------------------------- packed sequences
PACKED = [("GRU", 0), ("LSTM", 0), ("LSTM", 2), ("RNN_TANH", 0), ("RNN_RELU", 0)]


def _run_packed(lib, module, params, x, lengths, hx, weights, enforce_sorted):
    utils = lib.nn.utils.rnn
    if lib is torch:
        module.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
    else:
        for k, p in module.named_parameters():
            p._data[...] = params[k]
    xt = lib.tensor(x, requires_grad=True)
    states = [lib.tensor(h, requires_grad=True) for h in hx]
    packed = utils.pack_padded_sequence(xt, lib.tensor(lengths), batch_first=True,
                                        enforce_sorted=enforce_sorted)
    out, hidden = module(packed, states[0] if len(states) == 1 else tuple(states))
    padded, out_lengths = utils.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    hidden = list(hidden) if isinstance(hidden, tuple) else [hidden]
    results = [padded] + hidden
    loss = sum((r * lib.tensor(w)).sum() for r, w in zip(results, weights))
    loss.backward()
    return {"out": [r.detach().numpy() for r in results], "lengths": out_lengths.numpy(),
            "x": xt.grad.numpy(), "hx": [s.grad.numpy() for s in states],
            "params": {k: p.grad.numpy() for k, p in module.named_parameters()}}


@pytest.mark.parametrize("enforce_sorted", [False, True])
@pytest.mark.parametrize("mode,proj", PACKED)
def test_packed_sequence_matches_torch(mode, proj, enforce_sorted):
    name = f"packed-{mode}-proj{proj}-sorted{int(enforce_sorted)}"
    batch, steps = 4, 5
    lengths = np.array([5, 4, 2, 1]) if enforce_sorted else np.array([2, 5, 1, 4])
    kwargs = dict(num_layers=2, batch_first=True, bidirectional=True, dtype=npgrad.float64)
    if proj:
        kwargs["proj_size"] = proj
    module = _module(npgrad, mode, I, H, **kwargs)
    params, rng = _arrays(name, module)
    x = rng.standard_normal((batch, steps, I))
    real = proj or H
    hx = [rng.standard_normal((4, batch, real))] + ([rng.standard_normal((4, batch, H))] if mode == "LSTM" else [])
    weights = [rng.standard_normal((batch, steps, 2 * real)), rng.standard_normal((4, batch, real))]
    if mode == "LSTM":
        weights.append(rng.standard_normal((4, batch, H)))
    torch_kwargs = dict(kwargs, dtype=torch.float64 if torch is not None else None)
    ref = golden(name, lambda: _run_packed(torch, _module(torch, mode, I, H, **torch_kwargs), params, x,
                                           lengths, hx, weights, enforce_sorted))
    got = _run_packed(npgrad, module, params, x, lengths, hx, weights, enforce_sorted)
    np.testing.assert_array_equal(got["lengths"], ref["lengths"])
    _compare(got, ref, name)
    # the padding positions of the input get no gradient
    for b, n in enumerate(lengths):
        assert np.all(got["x"][b, n:] == 0)


# --------------------------------------------------------------------------- cells
CELLS = [("RNNCell", "tanh"), ("RNNCell", "relu"), ("GRUCell", None), ("LSTMCell", None)]


def _run_cell(lib, kind, nonlinearity, bias, params, x, hx, weights):
    kwargs = dict(bias=bias, dtype=lib.float64)
    if nonlinearity:
        kwargs["nonlinearity"] = nonlinearity
    cell = getattr(lib.nn, kind)(I, H, **kwargs)
    if lib is torch:
        cell.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
    else:
        for k, p in cell.named_parameters():
            p._data[...] = params[k]
    xt = lib.tensor(x, requires_grad=True)
    states = None if hx is None else [lib.tensor(h, requires_grad=True) for h in hx]
    if states is None:
        out = cell(xt)
    else:
        out = cell(xt, states[0] if len(states) == 1 else tuple(states))
    results = list(out) if isinstance(out, tuple) else [out]
    loss = sum((r * lib.tensor(w)).sum() for r, w in zip(results, weights))
    loss.backward()
    found = {"out": [r.detach().numpy() for r in results], "x": xt.grad.numpy(),
             "params": {k: p.grad.numpy() for k, p in cell.named_parameters()}}
    if states is not None:
        found["hx"] = [s.grad.numpy() for s in states]
    return found


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind,nonlinearity", CELLS)
def test_cells_match_torch(kind, nonlinearity, bias, with_h0, batched):
    name = f"cell-{kind}-{nonlinearity}-bias{int(bias)}-h0{int(with_h0)}-batched{int(batched)}"
    gates = {"RNNCell": 1, "GRUCell": 3, "LSTMCell": 4}[kind]
    rng = np.random.default_rng(_seed(name))
    params = {"weight_ih": rng.uniform(-0.6, 0.6, (gates * H, I)),
              "weight_hh": rng.uniform(-0.6, 0.6, (gates * H, H))}
    if bias:
        params["bias_ih"] = rng.uniform(-0.6, 0.6, gates * H)
        params["bias_hh"] = rng.uniform(-0.6, 0.6, gates * H)
    lead = (B,) if batched else ()
    x = rng.standard_normal(lead + (I,))
    count = 2 if kind == "LSTMCell" else 1
    hx = [rng.standard_normal(lead + (H,)) for _ in range(count)] if with_h0 else None
    weights = [rng.standard_normal(lead + (H,)) for _ in range(count)]
    ref = golden(name, lambda: _run_cell(torch, kind, nonlinearity, bias, params, x, hx, weights))
    _compare(_run_cell(npgrad, kind, nonlinearity, bias, params, x, hx, weights), ref, name)


# --------------------------------------------------------------------------- kernels and gradients
@pytest.mark.parametrize("mode,proj", [(mode, 0) for mode in MODES] + [("LSTM", 2)])
def test_numba_kernels_match_numpy_reference(mode, proj):
    from npgrad.kernels.rnn import sequence_backward, sequence_forward

    rng = np.random.default_rng(_seed(f"kernel-{mode}-{proj}"))
    gates = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}[mode]
    real = proj or H
    batch_sizes = np.array([3, 3, 2, 1])
    x = rng.standard_normal((batch_sizes.sum(), I))
    h0, c0 = rng.standard_normal((3, real)), rng.standard_normal((3, H))
    w_ih, w_hh = rng.standard_normal((gates * H, I)), rng.standard_normal((gates * H, real))
    b_ih, b_hh = rng.standard_normal(gates * H), rng.standard_normal(gates * H)
    w_hr = rng.standard_normal((proj, H)) if proj else None
    dy, dh, dc = rng.standard_normal((len(x), real)), rng.standard_normal((3, real)), rng.standard_normal((3, H))
    for dtype, tol in [(np.float64, 1e-12), (np.float32, 1e-4)]:
        cast = [a if a is None else a.astype(dtype) for a in (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)]
        for reverse in (False, True):
            results = []
            for backend in ("numba", "numpy"):
                state = sequence_forward(mode, cast[0], batch_sizes, cast[1], cast[2] if mode == "LSTM" else None,
                                         *cast[3:], reverse, backend=backend)
                grads = sequence_backward(state, dy.astype(dtype), dh.astype(dtype),
                                          dc.astype(dtype) if mode == "LSTM" else None)
                assert state.y.dtype == dtype
                results.append([state.y, state.h_n] + [g for g in grads.values() if g is not None])
            for a, b in zip(*results):
                np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_fused_sequence(mode):
    """Input and initial-state gradients by central differences (float64, tiny sizes)."""
    npgrad.manual_seed(0)
    kwargs = dict(num_layers=2, bidirectional=True, dtype=npgrad.float64)
    if mode == "LSTM":
        kwargs["proj_size"] = 2
    module = _module(npgrad, mode, 2, 3, **kwargs)
    real = 2 if mode == "LSTM" else 3
    x = npgrad.randn(3, 2, 2, dtype=npgrad.float64, requires_grad=True)
    h0 = npgrad.randn(4, 2, real, dtype=npgrad.float64, requires_grad=True)
    c0 = npgrad.randn(4, 2, 3, dtype=npgrad.float64, requires_grad=True)

    def total(x, h0, *c0):
        out, hidden = module(x, (h0, c0[0]) if c0 else h0)
        hidden = hidden if isinstance(hidden, tuple) else (hidden,)
        return out.pow(2).sum() + sum(h.sum() for h in hidden)

    inputs = (x, h0, c0) if mode == "LSTM" else (x, h0)
    assert gradcheck(total, inputs, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_gradcheck_weights():
    """Parameter gradients by central differences on a tiny bidirectional LSTM with projection."""
    npgrad.manual_seed(1)
    module = npgrad.nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2, dtype=npgrad.float64)
    x = npgrad.randn(3, 2, 2, dtype=npgrad.float64)
    out, (h_n, c_n) = module(x)
    (out.pow(2).sum() + h_n.sum() + c_n.sum()).backward()
    for name, p in module.named_parameters():
        numeric = np.zeros(p.shape)
        flat = p._data.reshape(-1)
        for i in range(flat.size):
            values = []
            for step in (1e-6, -1e-6):
                flat[i] += step
                with npgrad.no_grad():
                    o, (h, c) = module(x)
                    values.append((o.pow(2).sum() + h.sum() + c.sum()).item())
                flat[i] -= step
            numeric.reshape(-1)[i] = (values[0] - values[1]) / 2e-6
        np.testing.assert_allclose(p.grad.numpy(), numeric, rtol=1e-4, atol=1e-6, err_msg=name)


def test_long_sequence_backpropagates():
    """10,000 steps: one autograd node per layer-direction, so no recursion limit is hit."""
    steps = 10_000
    rng = np.random.default_rng(7)
    module = npgrad.nn.GRU(2, 3, dtype=npgrad.float64)
    params = {k: rng.uniform(-0.5, 0.5, tuple(p.shape)) for k, p in module.named_parameters()}
    x = rng.standard_normal((steps, 1, 2))
    weights = [rng.standard_normal((steps, 1, 3)), rng.standard_normal((1, 1, 3))]

    def reference():
        ref = _run(torch, torch.nn.GRU(2, 3, dtype=torch.float64), params, x, None, weights)
        return {"h_n": ref["out"][1], "x_head": ref["x"][:5], "params": ref["params"]}

    ref = golden("long-sequence", reference)
    got = _run(npgrad, module, params, x, None, weights)
    np.testing.assert_allclose(got["out"][1], ref["h_n"], rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(got["x"][:5], ref["x_head"], rtol=1e-8, atol=1e-11)
    for k in ref["params"]:
        np.testing.assert_allclose(got["params"][k], ref["params"][k], rtol=1e-8, atol=1e-10, err_msg=k)


# --------------------------------------------------------------------------- API surface
def test_parameter_names_shapes_and_init_bound():
    module = npgrad.nn.LSTM(5, 8, num_layers=2, bidirectional=True, proj_size=3)
    ref = golden("names-lstm", lambda: {k: np.array(v.shape) for k, v in torch.nn.LSTM(
        5, 8, num_layers=2, bidirectional=True, proj_size=3).state_dict().items()})
    got = module.state_dict()
    assert sorted(got) == sorted(ref)
    assert list(got) == list(golden("names-lstm-order", lambda: np.array(list(torch.nn.LSTM(
        5, 8, num_layers=2, bidirectional=True, proj_size=3).state_dict()))))
    for k, v in got.items():
        assert tuple(v.shape) == tuple(ref[k]), k
        assert v.dtype == npgrad.float32
        assert np.abs(v.numpy()).max() <= 1 / np.sqrt(8)
        assert np.abs(v.numpy()).max() > 0.5 / np.sqrt(8)   # spread over the whole range
    assert repr(module) == str(golden("repr-lstm", lambda: np.array(repr(torch.nn.LSTM(
        5, 8, num_layers=2, bidirectional=True, proj_size=3)))))


def test_torch_state_dict_loads_and_float32_matches():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    module = npgrad.nn.GRU(3, 5, num_layers=2, bidirectional=True)
    state = {k: rng.uniform(-0.4, 0.4, tuple(v.shape)).astype(np.float32) for k, v in module.state_dict().items()}
    module.load_state_dict({k: npgrad.from_numpy(v) for k, v in state.items()})

    def reference():
        t = torch.nn.GRU(3, 5, num_layers=2, bidirectional=True)
        t.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
        out, h = t(torch.from_numpy(x))
        return out.detach().numpy(), h.detach().numpy()

    out_ref, h_ref = golden("float32-gru", reference)
    out, h = module(npgrad.from_numpy(x))
    assert out.dtype == npgrad.float32
    np.testing.assert_allclose(out.detach().numpy(), out_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h.detach().numpy(), h_ref, rtol=1e-5, atol=1e-6)


def test_errors_match_torch():
    gru = npgrad.nn.GRU(3, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
        gru(npgrad.randn(2, 1, 5))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 4D instead"):
        gru(npgrad.randn(2, 1, 1, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
        gru(npgrad.randn(5, 2, 3), npgrad.zeros(1, 3, 4))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"):
        gru(npgrad.randn(5, 2, 3), npgrad.zeros(1, 4))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D"):
        gru(npgrad.randn(5, 3), npgrad.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="RNN input dtype"):
        gru(npgrad.randn(5, 2, 3, dtype=npgrad.float64))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        npgrad.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        npgrad.nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        npgrad.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        npgrad.nn.LSTM(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        npgrad.nn.GRU(3, 4, dropout=0.2)
    lstm = npgrad.nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 2, 3\]"):
        lstm(npgrad.randn(5, 2, 3), (npgrad.zeros(1, 2, 4), npgrad.zeros(1, 2, 3)))
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        npgrad.nn.LSTMCell(3, 4)(npgrad.randn(1, 2, 3))


@pytest.mark.parametrize("mode", MODES)
def test_nan_propagates_like_torch(mode):
    rng = np.random.default_rng(11)
    npgrad.manual_seed(11)
    module = _module(npgrad, mode, I, H, dtype=npgrad.float64)
    x = rng.standard_normal((T, B, I))
    x[1, 0, 0] = np.nan
    x[0, 1, 2] = np.inf

    def reference():
        t = _module(torch, mode, I, H, dtype=torch.float64)
        t.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in module.state_dict().items()})
        return np.isnan(t(torch.from_numpy(x))[0].detach().numpy())

    expected = golden(f"nan-{mode}", reference)
    got = np.isnan(module(npgrad.from_numpy(x))[0].detach().numpy())
    assert expected.any()
    np.testing.assert_array_equal(got, expected)


def test_bigru_attention_model_matches_torch_composition():
    """The sequence classifier equals the same layers written in torch, gradients included."""
    from npgrad.train.seq_models import BiGRUAttention

    model = BiGRUAttention(n_features=4, seq_len=3, hidden=5, n_classes=3).double()
    rng = np.random.default_rng(12)
    params = {k: rng.uniform(-0.5, 0.5, tuple(v.shape)) for k, v in model.state_dict().items()}
    model.load_state_dict({k: npgrad.from_numpy(v.copy()) for k, v in params.items()})
    x = rng.standard_normal((2, 12))

    def reference():
        nn = torch.nn
        layers = nn.ModuleDict(dict(gru=nn.GRU(4, 5, batch_first=True, bidirectional=True),
                                    attention=nn.Linear(10, 5), score=nn.Linear(5, 1, bias=False),
                                    classifier=nn.Linear(10, 3))).double()
        layers.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
        outputs, _ = layers["gru"](torch.from_numpy(x).reshape(2, 3, 4))
        alpha = torch.softmax(layers["score"](torch.tanh(layers["attention"](outputs))).squeeze(-1), dim=1)
        logits = layers["classifier"]((alpha.unsqueeze(-1) * outputs).sum(dim=1))
        logits.pow(2).sum().backward()
        return {"logits": logits.detach().numpy(), "alpha": alpha.detach().numpy(),
                "grads": {k: p.grad.numpy() for k, p in layers.named_parameters()}}

    ref = golden("bigru-attention", reference)
    logits = model(npgrad.from_numpy(x))
    logits.pow(2).sum().backward()
    np.testing.assert_allclose(logits.detach().numpy(), ref["logits"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(model.last_attention.numpy(), ref["alpha"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(model.last_attention.numpy().sum(axis=1), 1.0, rtol=1e-12)
    grads = dict(model.named_parameters())
    assert sorted(grads) == sorted(ref["grads"])
    for k, g in ref["grads"].items():
        np.testing.assert_allclose(grads[k].grad.numpy(), g, rtol=RTOL, atol=ATOL, err_msg=k)


def test_kernel_exp_matches_numpy():
    from npgrad.kernels.rnn import _exp

    values = np.concatenate([np.linspace(-700, 700, 101), np.linspace(-1, 1, 41), [1e-300, -1e-300]])
    got = np.array([_exp(v) for v in values])
    np.testing.assert_allclose(got, np.exp(values), rtol=4e-16, atol=0)
    assert np.isnan(_exp(np.nan))


@settings(max_examples=20, deadline=None)
@given(mode=st.sampled_from(MODES + ["LSTM-proj"]), bidirectional=st.booleans(),
       lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4), seed=st.integers(0, 2 ** 16))
def test_fused_matches_composed_on_random_packed_batches(mode, bidirectional, lengths, seed):
    """Fused sequence op against the loop of composed cells, on random variable-length batches."""
    from npgrad.nn.utils.rnn import pack_sequence, pad_packed_sequence

    proj = 2 if mode == "LSTM-proj" else 0
    mode = "LSTM" if proj else mode
    rng = np.random.default_rng(seed)
    kwargs = dict(num_layers=2, bidirectional=bidirectional, dtype=npgrad.float64)
    if proj:
        kwargs["proj_size"] = proj
    module = _module(npgrad, mode, I, H, **kwargs)
    sequences = [rng.standard_normal((n, I)) for n in lengths]
    results = []
    for fused in (True, False):
        RNNBase.fused = fused
        try:
            module.zero_grad()
            inputs = [npgrad.tensor(s, requires_grad=True) for s in sequences]
            out, hidden = module(pack_sequence(inputs, enforce_sorted=False))
            padded, _ = pad_packed_sequence(out)
            hidden = hidden if isinstance(hidden, tuple) else (hidden,)
            (padded.pow(2).sum() + sum(h.sum() for h in hidden)).backward()
            results.append([padded.detach().numpy()] + [h.detach().numpy() for h in hidden]
                           + [t.grad.numpy() for t in inputs] + [p.grad.numpy() for p in module.parameters()])
        finally:
            RNNBase.fused = True
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
