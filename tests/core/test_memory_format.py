"""Memory formats: ``contiguous_format``, ``channels_last``, ``channels_last_3d`` and ``preserve_format``.

Each case is a program written once against a library ``L`` (npgrad or torch) that returns strides, flags and
values; npgrad's must equal torch's (from the golden file when torch is missing). Covered: the format of
``contiguous``/``clone``/``to``/``empty``/the ``*_like`` factories, ``is_contiguous`` per format, the layout a
module's ``to(memory_format=...)`` gives its weights, the gradient layout contract of leaves, the layout
convolution, pooling, interpolation, padding, ``cat``, the norms and pixel shuffles give their output, and a
seeded channels-last CNN with dropout that must give torch's masks and losses.
"""
from __future__ import annotations

import contextlib
import pickle

import numpy as np
import pytest

import npgrad
from oracle import Golden, torch

golden = Golden("memory_format")


def _check(key, program):
    expected = golden(key, lambda: program(torch))
    actual = program(npgrad)
    assert len(actual) == len(expected), key
    for i, (a, e) in enumerate(zip(actual, expected)):
        a, e = np.asarray(a), np.asarray(e)
        if e.dtype.kind == "f":         # values of float32 layers: their sums may differ in the last bit
            np.testing.assert_allclose(a, e, rtol=2e-5, atol=1e-6, err_msg=f"{key}[{i}]")
        else:
            np.testing.assert_array_equal(a, e, err_msg=f"{key}[{i}]")


def _strides(L):
    x = L.zeros(2, 3, 4, 5)
    cl = x.contiguous(memory_format=L.channels_last)
    t = L.zeros(4, 6).t()
    sliced = t[::2]                                   # neither contiguous nor dense
    v = L.zeros(2, 3, 4, 5, 6)
    out = [cl.stride(), x.to(memory_format=L.channels_last).stride(), x.clone(memory_format=L.channels_last).stride(),
           cl.contiguous().stride(), cl.clone().stride(), cl.clone(memory_format=L.contiguous_format).stride(),
           L.empty(2, 3, 4, 5, memory_format=L.channels_last).stride(),
           v.contiguous(memory_format=L.channels_last_3d).stride(),
           L.zeros(2, 3, 1, 1).contiguous(memory_format=L.channels_last).stride(),
           t.clone().stride(), sliced.clone().stride(), t.double().stride(), t.to(L.float64).stride(),
           t.to(L.float64, memory_format=L.contiguous_format).stride(), t.to(memory_format=L.preserve_format).stride(),
           t.contiguous().stride(), x.contiguous(memory_format=L.preserve_format).stride(),
           L.zeros(3, 1, 4).transpose(0, 2).clone().stride()]
    for like in (L.empty_like, L.zeros_like, L.ones_like, L.rand_like, L.randn_like):
        out += [like(t).stride(), like(sliced).stride(), like(cl).stride(),
                like(cl, memory_format=L.contiguous_format).stride(), like(x, memory_format=L.channels_last).stride()]
    out += [L.full_like(t, 2.0).stride(), L.randint_like(cl, 5).stride(), L.ones_like(t, dtype=L.int64).stride(),
            x.new_empty(x.shape).stride(), cl.new_zeros(cl.shape).stride()]
    return out


def test_strides_of_each_format_as_torch():
    _check("strides", _strides)


def _flags(L):
    x = L.zeros(2, 3, 4, 5)
    cl = x.contiguous(memory_format=L.channels_last)
    v = L.zeros(2, 3, 4, 5, 6).contiguous(memory_format=L.channels_last_3d)
    out = []
    for a in (x, cl, v, L.zeros(2, 3), L.zeros(4, 6).t(), L.zeros(2, 3, 1, 1), L.zeros(1, 3, 1, 4).transpose(1, 3),
              cl[:, :, ::2], L.zeros(0, 3, 2, 2)):
        out.append([a.is_contiguous(), a.is_contiguous(memory_format=L.contiguous_format),
                    a.is_contiguous(memory_format=L.channels_last), a.is_contiguous(memory_format=L.channels_last_3d),
                    a.is_contiguous(memory_format=L.preserve_format)])
    return out


def test_is_contiguous_per_format_as_torch():
    _check("flags", _flags)


def _views(L):
    """A copy keeps its input's layout, so views need what they need on the input itself."""
    out = []
    for make, shape in ((lambda: L.zeros(3, 4).t().clone(), (-1,)), (lambda: L.zeros(3, 4).t().clone(), (4, 3)),
                        (lambda: L.zeros(2, 3, 4, 5).clone(memory_format=L.channels_last), (2, 3, 20)),
                        (lambda: L.zeros(2, 3, 4, 5).clone(memory_format=L.channels_last), (2, 3, 4, 5)),
                        (lambda: L.zeros(2, 3, 4, 5).contiguous(memory_format=L.channels_last).contiguous(), (2, -1))):
        try:
            out.append(list(make().view(*shape).shape))
        except RuntimeError as e:
            out.append(str(e))
    return out


def test_views_of_copies_as_torch():
    _check("views", _views)


def _module_and_grads(L):
    L.manual_seed(0)
    m = L.nn.Sequential(L.nn.Conv2d(3, 4, 3), L.nn.BatchNorm2d(4), L.nn.Linear(5, 2))
    m.to(memory_format=L.channels_last)
    out = [p.stride() for p in m.parameters()]
    m.to(L.float64, memory_format=L.contiguous_format)
    out += [p.stride() for p in m.parameters()]
    p = L.nn.Parameter(L.randn(4, 3).t())
    (p * 2).sum().backward()
    q = L.nn.Parameter(L.randn(4, 6).t()[::2])            # not dense: a C-contiguous gradient
    (q * 3).sum().backward()
    w = L.nn.Parameter(L.randn(4, 3, 2, 2).contiguous(memory_format=L.channels_last))
    L.nn.functional.conv2d(L.randn(2, 3, 5, 5), w).square().sum().backward()
    return out + [p.grad.stride(), q.grad.stride(), w.grad.stride(), w.grad, p.grad]


def test_module_to_memory_format_and_gradient_layout_as_torch():
    _check("module_and_grads", _module_and_grads)


def _layers(L):
    F = L.nn.functional
    L.manual_seed(1)
    x = L.randn(2, 3, 8, 8).contiguous(memory_format=L.channels_last)
    y = L.randn(2, 3, 4, 4, 4).contiguous(memory_format=L.channels_last_3d)
    results = [F.conv2d(x, L.randn(4, 3, 3, 3)), F.conv2d(x.contiguous(), L.randn(4, 3, 3, 3).contiguous(
               memory_format=L.channels_last)), F.conv_transpose2d(x, L.randn(3, 2, 2, 2), stride=2),
               F.conv3d(y, L.randn(2, 3, 2, 2, 2)), F.max_pool2d(x, 2), F.max_pool2d(x, 3, 2, 1, return_indices=True)[1],
               F.avg_pool2d(x, 2), F.adaptive_avg_pool2d(x, 3), F.adaptive_max_pool2d(x, 3), F.max_pool3d(y, 2),
               F.interpolate(x, scale_factor=2), F.interpolate(x, scale_factor=1.5, mode="bilinear"),
               F.pad(x, (1, 1, 2, 0)), L.cat([x, x], 1), L.cat([x, x.contiguous()], 1), F.relu(x), F.gelu(x),
               F.layer_norm(x, (8,)), L.nn.GroupNorm(1, 3)(x), L.nn.InstanceNorm2d(3)(x), L.nn.BatchNorm2d(3)(x),
               F.pixel_shuffle(L.randn(2, 8, 3, 3).contiguous(memory_format=L.channels_last), 2),
               F.pixel_unshuffle(x, 2), x * 2, x + x.contiguous()]
    return [r.stride() for r in results] + [r.contiguous() for r in results]


def test_layers_keep_channels_last_as_torch():
    _check("layers", _layers)


def _elementwise(L):
    """The result of elementwise arithmetic is laid out like its first operand of full shape (TensorIterator),
    for small results and for large ones (which come from reused memory)."""
    out = []
    for n in (2, 64):
        a = L.randn(2, 3, n, n).contiguous(memory_format=L.channels_last)
        b, c = L.randn(2, 3, n, n), L.randn(1, 3, 1, 1)
        t = L.randn(n, 2 * n).t()
        out += [r.stride() for r in (a + b, b + a, a * c, c * a, a - 1, a / b, L.relu(a), a.sigmoid(), a * a,
                                     L.nn.functional.batch_norm(a, None, None, training=True),
                                     t + 1, t + t.contiguous(), t.contiguous() + t, t * 2)]
    return out


def test_elementwise_results_laid_out_as_torch():
    _check("elementwise", _elementwise)


def _cnn(L):
    """A seeded channels-last CNN with dropout on the feature maps: its masks (drawn in the layout of the
    features) and so its losses are torch's."""
    nn = L.nn
    L.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.3),
                      nn.Conv2d(8, 8, 3, stride=2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
    m = m.to(memory_format=L.channels_last)
    x = L.randn(4, 3, 16, 16).to(memory_format=L.channels_last)
    opt = L.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(m(x), L.tensor([0, 1, 2, 0]))
        loss.backward()
        opt.step()
        losses.append(round(loss.item(), 4))
    masks = [nn.functional.dropout(L.ones(2, 3, 4, 5).contiguous(memory_format=L.channels_last), 0.5),
             L.rand_like(x[:1]), L.randn_like(x[:1]), L.empty_like(x[:1]).normal_()]
    return [losses, m[0].weight.grad.stride()] + masks


def test_seeded_channels_last_cnn_as_torch():
    _check("cnn", _cnn)


def _errors(L):
    out = []
    for call in (lambda: L.zeros(2, 3).contiguous(memory_format=L.channels_last),
                 lambda: L.zeros(2, 3, 4, 5).contiguous(memory_format=L.channels_last_3d),
                 lambda: L.zeros(2, 3).clone(memory_format=L.channels_last),
                 lambda: L.zeros_like(L.zeros(2, 3), memory_format=L.channels_last),
                 lambda: L.empty(2, 3, memory_format=L.preserve_format),
                 lambda: L.empty(2, 3, 4, memory_format=L.channels_last),
                 lambda: L.nn.Conv3d(1, 1, 1).to(memory_format=L.channels_last),
                 lambda: L.zeros(2).is_contiguous(memory_format="channels_last"),
                 lambda: L.zeros(3, 2).t().contiguous(memory_format=L.preserve_format)):
        try:
            call()
            out.append("no error")
        except (RuntimeError, TypeError) as e:
            out.append(f"{type(e).__name__}: {e}")
    return out


def test_errors_as_torch():
    _check("errors", _errors)


def test_format_objects():
    for fmt in (npgrad.contiguous_format, npgrad.channels_last, npgrad.channels_last_3d, npgrad.preserve_format):
        assert isinstance(fmt, npgrad.memory_format)
        assert pickle.loads(pickle.dumps(fmt)) is fmt
    assert repr(npgrad.channels_last) == "npgrad.channels_last"
    assert npgrad.channels_last != npgrad.contiguous_format


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_optimizers_update_channels_last_weights_in_place(name):
    """A channels-last weight, its gradient and the optimizer's state all have a layout other than C order;
    the step must still land in the weight the model holds."""
    npgrad.manual_seed(0)
    conv = npgrad.nn.Conv2d(2, 3, 3).to(memory_format=npgrad.channels_last)
    reference = npgrad.nn.Conv2d(2, 3, 3)
    reference.load_state_dict(conv.state_dict())
    x = npgrad.randn(2, 2, 6, 6)
    for model in (conv, reference):
        opt = getattr(npgrad.optim, name)(model.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            model(x).square().mean().backward()
            opt.step()
    assert conv.weight.is_contiguous(memory_format=npgrad.channels_last)
    np.testing.assert_allclose(conv.weight.detach().numpy(), reference.weight.detach().numpy(), rtol=1e-6, atol=1e-7)


def _optimizer_state_layouts(L):
    """The strides of every state buffer of a few optimizers, for a channels-last and a transposed weight."""
    out = []
    for name, options in (("SGD", dict(momentum=0.9)), ("Adam", dict(amsgrad=True)), ("Adagrad", {}),
                          ("RMSprop", dict(centered=True, momentum=0.5)), ("Rprop", {}), ("Adadelta", {})):
        w4 = L.zeros(3, 2, 3, 3).contiguous(memory_format=L.channels_last).requires_grad_()
        wt = L.zeros(5, 4).t().requires_grad_()
        for w in (w4, wt):
            w.grad = L.ones(w.shape).contiguous(memory_format=L.channels_last) if w.ndim == 4 else L.ones(4, 5)
        opt = getattr(L.optim, name)([w4, wt], lr=0.1, **options)
        opt.step()
        for w in (w4, wt):
            for key, value in sorted(opt.state[w].items()):
                if value.ndim:
                    out.append(np.array(value.stride()))
    return out


def test_optimizer_state_is_laid_out_as_its_parameter():
    _check("optimizer_state_layouts", _optimizer_state_layouts)


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop"])
def test_fused_pass_runs_on_channels_last_and_transposed_weights(name, monkeypatch):
    """A parameter laid out other than C order, with state laid out as it, takes the fused pass (over memory
    in order) and gives what the NumPy reference gives."""
    from npgrad.kernels import optim as kernels

    calls = []
    run_all = kernels.run_all
    monkeypatch.setattr(kernels, "run_all", lambda jobs: (calls.append(len(jobs)), run_all(jobs)))
    results = []
    for fused in (True, False):
        npgrad.manual_seed(0)
        w4 = npgrad.randn(3, 2, 3, 3).contiguous(memory_format=npgrad.channels_last).requires_grad_()
        wt = npgrad.randn(5, 4).t().requires_grad_()
        options = dict(momentum=0.9) if name in ("SGD", "RMSprop") else {}
        opt = getattr(npgrad.optim, name)([w4, wt], lr=0.1, **options)
        with contextlib.nullcontext() if fused else npgrad.optim.optimizer.numpy_reference():
            for step in range(3):
                opt.zero_grad()
                ((w4 * w4.detach().cos()).sum() + (wt.exp() * (step + 1)).sum()).backward()
                opt.step()
        results.append([w4.detach().numpy().copy(), wt.detach().numpy().copy()])
        assert w4.is_contiguous(memory_format=npgrad.channels_last) and wt.t().is_contiguous()
    assert sum(calls) == 6                                # three fused steps of two parameters
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_large_optimizer_state_is_64_byte_aligned():
    w = npgrad.nn.Parameter(npgrad.from_numpy(np.ones(100_001, np.float32)[1:]))   # 4 bytes past alignment
    w.grad = npgrad.ones(100_000)
    opt = npgrad.optim.AdamW([w])
    opt.step()
    for key in ("exp_avg", "exp_avg_sq"):
        assert opt.state[w][key].numpy().ctypes.data % 64 == 0
