"""``nn.modules.conv._ConvTransposeNd`` subclassed as PyTorch scripts do: ``_ConvNd``'s positional arguments
(``in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding, groups, bias,
padding_mode``), a ``forward`` of the script's own using ``_output_padding``. Outputs, input and parameter gradients
(float64 and float32), repr, state_dict keys, signatures and errors against torch."""
import importlib
import inspect
import re

import numpy as np
import pytest

import npgrad
from oracle import Golden

golden = Golden("conv_transpose_base")


def _script_classes(lib):
    """The transposed convolutions a script defines on top of ``lib.nn.modules.conv._ConvTransposeNd``."""
    conv = importlib.import_module(f"{lib.__name__}.nn.modules.conv")
    utils = importlib.import_module(f"{lib.__name__}.nn.modules.utils")
    F = lib.nn.functional

    class ScaledConvTranspose2d(conv._ConvTransposeNd):
        """A transposed convolution whose output is multiplied by a learnt scale."""

        def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                     bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
            kernel_size, stride, padding = utils._pair(kernel_size), utils._pair(stride), utils._pair(padding)
            dilation, output_padding = utils._pair(dilation), utils._pair(output_padding)
            super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True,
                             output_padding, groups, bias, padding_mode, device, dtype)
            self.scale = lib.nn.Parameter(lib.ones(1, dtype=dtype))

        def forward(self, input, output_size=None):
            output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size, 2,
                                                  self.dilation)
            return self.scale * F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                                   output_padding, self.groups, self.dilation)

    class PlainConvTranspose1d(conv._ConvTransposeNd):
        """Keyword arguments to the base, no bias by default."""

        def __init__(self, in_channels, out_channels, kernel_size, stride=1, bias=False, **factory_kwargs):
            super().__init__(in_channels, out_channels, utils._single(kernel_size), utils._single(stride),
                             utils._single(0), utils._single(1), transposed=True, output_padding=utils._single(0),
                             groups=1, bias=bias, padding_mode="zeros", **factory_kwargs)

        def forward(self, input, output_size=None):
            output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size, 1,
                                                  self.dilation)
            return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, output_padding)

    class Deconv3d(conv._ConvTransposeNd):
        """All arguments positional, ``_ConvTransposeNd.__init__`` called by name."""

        def __init__(self, in_channels, out_channels):
            conv._ConvTransposeNd.__init__(self, in_channels, out_channels, (2, 1, 2), (2, 1, 1), (0, 0, 1),
                                           (1, 1, 1), True, (1, 0, 0), 1, True, "zeros")

        def forward(self, input):
            return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding,
                                      self.output_padding, self.groups, self.dilation)

    return {"ScaledConvTranspose2d": ScaledConvTranspose2d, "PlainConvTranspose1d": PlainConvTranspose1d,
            "Deconv3d": Deconv3d}


# (id, class, args, kwargs, input shape, forward kwargs)
CASES = [
    ("scaled2d", "ScaledConvTranspose2d", (4, 6, 3), {}, (2, 4, 5, 5), {}),
    ("scaled2d_strided", "ScaledConvTranspose2d", (4, 6, (3, 2)), {"stride": 2, "padding": (1, 0),
                                                                   "output_padding": 1}, (2, 4, 4, 3), {}),
    ("scaled2d_groups_dilation", "ScaledConvTranspose2d", (4, 6, 2), {"groups": 2, "dilation": 2, "bias": False},
     (1, 4, 3, 4), {}),
    ("scaled2d_output_size", "ScaledConvTranspose2d", (3, 2, 3), {"stride": 2, "padding": 1}, (2, 3, 4, 4),
     {"output_size": [8, 8]}),
    ("scaled2d_unbatched", "ScaledConvTranspose2d", (3, 2, 2), {"stride": (1, 2)}, (3, 3, 3), {}),
    ("plain1d", "PlainConvTranspose1d", (3, 5, 4), {}, (2, 3, 7), {}),
    ("plain1d_bias_strided", "PlainConvTranspose1d", (3, 5, 3), {"stride": 3, "bias": True}, (2, 3, 4),
     {"output_size": [12]}),
    ("deconv3d", "Deconv3d", (2, 3), {}, (1, 2, 3, 2, 3), {}),
]


def _data(case_id, shape):
    rng = np.random.default_rng(sum(map(ord, case_id)))
    return rng, rng.standard_normal(shape)


def _run(lib, case, dtype_name):
    case_id, name, args, kwargs, shape, forward_kwargs = case
    dtype = getattr(lib, dtype_name)
    rng, x_value = _data(case_id, shape)
    mod = _script_classes(lib)[name](*args, **kwargs).to(dtype)
    params = dict(mod.named_parameters())
    for pname in sorted(params):
        value = rng.standard_normal(tuple(params[pname].shape))
        with lib.no_grad():
            params[pname].copy_(lib.tensor(value, dtype=dtype))
    x = lib.tensor(x_value, dtype=dtype, requires_grad=True)
    y = mod(x, **forward_kwargs)
    w = rng.standard_normal(tuple(y.shape))
    (y * lib.tensor(w, dtype=dtype)).sum().backward()
    return {"out": y.detach().numpy(), "grad": x.grad.numpy(),
            "pgrads": {k: p.grad.numpy() for k, p in params.items()}}


def _close(actual, expected, key, rtol, atol):
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected), key
        for k in expected:
            _close(actual[k], expected[k], f"{key}/{k}", rtol, atol)
    else:
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, key
        assert actual.dtype == expected.dtype, key
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=key)


@pytest.mark.parametrize("dtype_name, rtol, atol", [("float64", 1e-10, 1e-12), ("float32", 1e-5, 1e-5)])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_subclass_matches_torch(case, dtype_name, rtol, atol):
    def ref():
        import torch

        return _run(torch, case, dtype_name)

    _close(_run(npgrad, case, dtype_name), golden(f"{case[0]}/{dtype_name}", ref), case[0], rtol, atol)


def _describe(lib, case):
    _, name, args, kwargs, _, _ = case
    mod = _script_classes(lib)[name](*args, **kwargs)
    conv = importlib.import_module(f"{lib.__name__}.nn.modules.conv")
    return {"repr": repr(mod), "keys": list(mod.state_dict().keys()),
            "shapes": {k: list(v.shape) for k, v in mod.state_dict().items()},
            "attrs": [list(mod.kernel_size), list(mod.stride), list(mod.padding), list(mod.dilation),
                      list(mod.output_padding), mod.transposed, mod.groups, mod.padding_mode],
            "isinstance": [isinstance(mod, conv._ConvNd), isinstance(mod, lib.nn.ConvTranspose2d)]}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_repr_state_dict_and_attributes_match_torch(case):
    def ref():
        import torch

        return _describe(torch, case)

    assert _describe(npgrad, case) == golden.json(f"describe/{case[0]}", ref)


def _signature(fn):
    return [[p.name, None if p.default is inspect.Parameter.empty else repr(p.default), str(p.kind)]
            for p in inspect.signature(fn).parameters.values()]


SIGNATURES = ["nn.modules.conv._ConvTransposeNd", "nn.modules.conv._ConvNd", "nn.ConvTranspose1d",
              "nn.ConvTranspose2d", "nn.ConvTranspose3d", "nn.LazyConvTranspose2d"]


@pytest.mark.parametrize("path", SIGNATURES)
def test_init_signature_matches_torch(path):
    def get(lib):
        module, name = path.rsplit(".", 1)
        return getattr(importlib.import_module(f"{lib.__name__}.{module}"), name).__init__

    def ref():
        import torch

        return _signature(get(torch))

    assert _signature(get(npgrad)) == golden.json(f"signature/{path}", ref)


def _error(lib, build):
    try:
        build(lib)
    except Exception as e:  # noqa: BLE001  (the type and message are compared)
        return [type(e).__name__, re.sub(r"\btorch\b", "npgrad", str(e))]
    return None


ERRORS = {
    "padding_mode": lambda L: _script_classes(L)["ScaledConvTranspose2d"](2, 2, 3, padding_mode="reflect"),
    "groups": lambda L: _script_classes(L)["ScaledConvTranspose2d"](3, 2, 3, groups=2),
    "output_size": lambda L: _script_classes(L)["ScaledConvTranspose2d"](2, 2, 3, stride=2)(
        L.zeros(1, 2, 3, 3), output_size=[9, 9]),
    "output_size_len": lambda L: _script_classes(L)["PlainConvTranspose1d"](2, 2, 3)(L.zeros(1, 2, 3),
                                                                                    output_size=[1, 2, 3, 4]),
    "base_padding_mode": lambda L: importlib.import_module(f"{L.__name__}.nn.modules.conv")._ConvTransposeNd(
        2, 2, (3,), (1,), (0,), (1,), True, (0,), 1, True, "circular"),
    "no_forward": lambda L: importlib.import_module(f"{L.__name__}.nn.modules.conv")._ConvTransposeNd(
        2, 2, (3,), (1,), (0,), (1,), True, (0,), 1, True, "zeros")(L.zeros(1, 2, 3)),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    def ref():
        import torch

        return _error(torch, ERRORS[name])

    expected = golden.json(f"error/{name}", ref)
    assert expected is not None
    assert _error(npgrad, ERRORS[name]) == expected


def test_base_called_directly_builds_torch_shapes():
    # the base is a plain transposed _ConvNd: (in, out // groups, *kernel) weight, ``transposed`` kept
    conv = importlib.import_module("npgrad.nn.modules.conv")
    m = conv._ConvTransposeNd(4, 6, (3, 2), (1, 1), (0, 0), (1, 1), True, (0, 0), 2, False, "zeros",
                              dtype=npgrad.float64)
    assert m.weight.shape == (4, 3, 3, 2) and m.weight.dtype == npgrad.float64 and m.bias is None
    assert m.transposed and m.groups == 2 and list(m.state_dict()) == ["weight"]


def test_deprecated_mixin_still_takes_the_same_arguments():
    conv = importlib.import_module("npgrad.nn.modules.conv")
    with pytest.warns(FutureWarning, match="`_ConvTransposeMixin` is a deprecated internal class"):
        m = conv._ConvTransposeMixin(2, 4, (3,), (1,), (0,), (1,), True, (0,), 1, True, "zeros")
    assert isinstance(m, conv._ConvTransposeNd) and m.weight.shape == (2, 4, 3)


def test_the_public_layers_still_work_positionally():
    # ConvTranspose2d keeps its own argument order: (in, out, kernel, stride, padding, output_padding, groups, ...)
    m = npgrad.nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2, False, 1)
    assert (m.stride, m.padding, m.output_padding, m.groups, m.bias) == ((2, 2), (1, 1), (1, 1), 2, None)
    assert m(npgrad.zeros(1, 4, 3, 3)).shape == (1, 6, 6, 6)
    lazy = npgrad.nn.LazyConvTranspose1d(3, 2, 2)
    assert lazy(npgrad.zeros(1, 5, 4)).shape == (1, 3, 8) and type(lazy) is npgrad.nn.ConvTranspose1d

