"""``torch.conv2d``, ``torch.max_pool2d``, ``torch.layer_norm`` ...: the nn.functional math at the top level, called
with torch's top-level argument lists (positional, as ATen declares them), against torch."""
import numpy as np
import pytest

import npgrad
from npgrad.functions import _SAME_AS_FUNCTIONAL
from oracle import Golden

golden = Golden("toplevel_functional")


def _inputs(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


# name: (call(lib, *tensors), input shapes); every call uses the top-level function of ``lib``
CASES = {
    "conv1d": (lambda L, x, w, b: L.conv1d(x, w, b, 2, 1, 1, 1), [(2, 4, 9), (6, 4, 3), (6,)]),
    "conv2d": (lambda L, x, w, b: L.conv2d(x, w, b, 1, 1, 2, 2), [(2, 4, 7, 7), (6, 2, 3, 3), (6,)]),
    "conv3d": (lambda L, x, w: L.conv3d(x, w, None, 1, 0), [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2)]),
    "conv_transpose1d": (lambda L, x, w: L.conv_transpose1d(x, w, None, 2, 1, 1), [(2, 3, 5), (3, 4, 3)]),
    "conv_transpose2d": (lambda L, x, w, b: L.conv_transpose2d(x, w, b, 2, 0, 0, 1, 1), [(1, 2, 3, 3), (2, 3, 2, 2),
                                                                                          (3,)]),
    "conv_transpose3d": (lambda L, x, w: L.conv_transpose3d(x, w, None, 1), [(1, 2, 2, 2, 2), (2, 2, 2, 2, 2)]),
    "max_pool1d": (lambda L, x: L.max_pool1d(x, 3, 2, 1, 1, True), [(2, 3, 10)]),
    "max_pool2d": (lambda L, x: L.max_pool2d(x, 2, 2, 0, 1, False), [(2, 3, 6, 6)]),
    "max_pool3d": (lambda L, x: L.max_pool3d(x, 2), [(1, 2, 4, 4, 4)]),
    "max_pool1d_with_indices": (lambda L, x: L.max_pool1d_with_indices(x, 2), [(2, 3, 8)]),
    "avg_pool1d": (lambda L, x: L.avg_pool1d(x, 3, 2, 1, False, False), [(2, 3, 9)]),
    "adaptive_avg_pool1d": (lambda L, x: L.adaptive_avg_pool1d(x, 4), [(2, 3, 10)]),
    "adaptive_max_pool1d": (lambda L, x: L.adaptive_max_pool1d(x, 3), [(2, 3, 10)]),   # values and indices
    "pixel_shuffle": (lambda L, x: L.pixel_shuffle(x, 2), [(1, 8, 2, 3)]),
    "pixel_unshuffle": (lambda L, x: L.pixel_unshuffle(x, 2), [(1, 2, 4, 6)]),
    "channel_shuffle": (lambda L, x: L.channel_shuffle(x, 2), [(1, 4, 2, 2)]),
    "native_channel_shuffle": (lambda L, x: L.native_channel_shuffle(x, 2), [(1, 4, 2, 2)]),
    "cosine_similarity": (lambda L, a, b: L.cosine_similarity(a, b, 1, 1e-8), [(3, 5), (3, 5)]),
    "pairwise_distance": (lambda L, a, b: L.pairwise_distance(a, b, 1.5, 1e-6, True), [(3, 5), (3, 5)]),
    "pdist": (lambda L, a: L.pdist(a, 2), [(4, 3)]),
    "bilinear": (lambda L, a, b, w, c: L.bilinear(a, b, w, c), [(3, 4), (3, 5), (2, 4, 5), (2,)]),
    "prelu": (lambda L, x, w: L.prelu(x, w), [(2, 3, 4), (3,)]),
    "selu": (lambda L, x: L.selu(x), [(3, 4)]),
    "selu_": (lambda L, x: L.selu_(x.clone()), [(3, 4)]),
    "celu": (lambda L, x: L.celu(x, 0.5), [(3, 4)]),
    "celu_": (lambda L, x: L.celu_(x.clone(), 2.0), [(3, 4)]),
    "rrelu": (lambda L, x: L.rrelu(x, 0.1, 0.3), [(3, 4)]),                 # training=False: fixed slope
    "rrelu_": (lambda L, x: L.rrelu_(x.clone(), 0.2, 0.2), [(3, 4)]),
    "hardshrink": (lambda L, x: L.hardshrink(x, 0.7), [(3, 4)]),
    "threshold": (lambda L, x: L.threshold(x, 0.1, -2.0), [(3, 4)]),
    "threshold_": (lambda L, x: L.threshold_(x.clone(), 0.1, -2.0), [(3, 4)]),
    "relu_": (lambda L, x: L.relu_(x.clone()), [(3, 4)]),
    "dropout": (lambda L, x: L.dropout(x, 0.4, False), [(3, 4)]),
    "alpha_dropout": (lambda L, x: L.alpha_dropout(x, 0.4, False), [(3, 4)]),
    "feature_alpha_dropout": (lambda L, x: L.feature_alpha_dropout(x, 0.4, False), [(2, 3, 4)]),
    "rms_norm": (lambda L, x, w: L.rms_norm(x, (4,), w, 1e-6), [(3, 4), (4,)]),
    "layer_norm": (lambda L, x, w, b: L.layer_norm(x, (4,), w, b, 1e-5, False), [(3, 4), (4,), (4,)]),
    "group_norm": (lambda L, x, w, b: L.group_norm(x, 2, w, b, 1e-5, False), [(2, 4, 3), (4,), (4,)]),
}


def test_every_alias_is_in_the_table():
    assert set(_SAME_AS_FUNCTIONAL) | {"layer_norm", "group_norm"} == set(CASES)


def _arrays(out):
    out = out if isinstance(out, tuple) else (out,)
    return [o.detach().numpy() for o in out]


@pytest.mark.parametrize("name", sorted(CASES))
def test_top_level_function_matches_torch(name):
    call, shapes = CASES[name]
    arrays = _inputs(sum(map(ord, name)), *shapes)

    def reference():
        import torch

        return _arrays(call(torch, *[torch.tensor(a) for a in arrays]))

    expected = golden(name, reference)
    got = _arrays(call(npgrad, *[npgrad.tensor(a) for a in arrays]))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
