"""npgrad.nn.utils.rnn (packing and padding) against torch.nn.utils.rnn."""
import numpy as np
import pytest

import npgrad
from npgrad.nn.utils import rnn as utils

from oracle import Golden, torch

golden = Golden("rnn_utils")


def _sequences(seed, lengths, feature=(2,)):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n, *feature)) for n in lengths], rng


def _pad_run(lib, arrays, weights, batch_first, padding_value, padding_side):
    seqs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = lib.nn.utils.rnn.pad_sequence(seqs, batch_first=batch_first, padding_value=padding_value,
                                        padding_side=padding_side)
    (out * lib.tensor(weights)).sum().backward()
    return {"out": out.detach().numpy(), "grads": [s.grad.numpy() for s in seqs]}


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence(batch_first, padding_side):
    name = f"pad-bf{int(batch_first)}-{padding_side}"
    arrays, rng = _sequences(1, [3, 5, 1])
    shape = (3, 5, 2) if batch_first else (5, 3, 2)
    weights = rng.standard_normal(shape)
    ref = golden(name, lambda: _pad_run(torch, arrays, weights, batch_first, -1.5, padding_side))
    got = _pad_run(npgrad, arrays, weights, batch_first, -1.5, padding_side)
    np.testing.assert_array_equal(got["out"], ref["out"])
    for g, r in zip(got["grads"], ref["grads"]):
        np.testing.assert_array_equal(g, r)


def _pack_run(lib, x, lengths, weights, batch_first, enforce_sorted, total_length, padding_value):
    r = lib.nn.utils.rnn
    xt = lib.tensor(x, requires_grad=True)
    packed = r.pack_padded_sequence(xt, lib.tensor(lengths), batch_first=batch_first,
                                    enforce_sorted=enforce_sorted)
    padded, out_lengths = r.pad_packed_sequence(packed, batch_first=batch_first, padding_value=padding_value,
                                                total_length=total_length)
    (padded * lib.tensor(weights)).sum().backward()
    found = {"data": packed.data.detach().numpy(), "batch_sizes": packed.batch_sizes.numpy(),
             "padded": padded.detach().numpy(), "lengths": out_lengths.numpy(), "grad": xt.grad.numpy()}
    if packed.sorted_indices is not None:
        found["sorted"] = packed.sorted_indices.numpy()
        found["unsorted"] = packed.unsorted_indices.numpy()
    return found


@pytest.mark.parametrize("total_length", [None, 6])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_and_pad_round_trip(enforce_sorted, batch_first, total_length):
    name = f"pack-sorted{int(enforce_sorted)}-bf{int(batch_first)}-total{total_length}"
    lengths = np.array([4, 3, 1]) if enforce_sorted else np.array([1, 4, 3])
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 2) if batch_first else (4, 3, 2))
    steps = total_length or 4
    weights = rng.standard_normal((3, steps, 2) if batch_first else (steps, 3, 2))
    ref = golden(name, lambda: _pack_run(torch, x, lengths, weights, batch_first, enforce_sorted,
                                         total_length, 9.0))
    got = _pack_run(npgrad, x, lengths, weights, batch_first, enforce_sorted, total_length, 9.0)
    assert sorted(got) == sorted(ref)
    for key in ref:
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    assert got["batch_sizes"].dtype == np.int64 and got["lengths"].dtype == np.int64


def test_pack_sequence_and_unpack():
    arrays, _ = _sequences(2, [2, 4, 3], feature=())

    def run(lib):
        seqs = [lib.tensor(a) for a in arrays]
        packed = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=False)
        back = lib.nn.utils.rnn.unpack_sequence(packed)
        padded = lib.nn.utils.rnn.pad_sequence(seqs)
        unpadded = lib.nn.utils.rnn.unpad_sequence(padded, lib.tensor([2, 4, 3]))
        return {"data": packed.data.numpy(), "batch_sizes": packed.batch_sizes.numpy(),
                "back": [b.numpy() for b in back], "unpadded": [u.numpy() for u in unpadded]}

    ref = golden("pack-sequence", lambda: run(torch))
    got = run(npgrad)
    np.testing.assert_array_equal(got["data"], ref["data"])
    np.testing.assert_array_equal(got["batch_sizes"], ref["batch_sizes"])
    for key in ("back", "unpadded"):
        assert len(got[key]) == len(ref[key])
        for g, r in zip(got[key], ref[key]):
            np.testing.assert_array_equal(g, r)


def test_packed_sequence_is_a_named_tuple():
    packed = utils.pack_sequence([npgrad.ones(3, 2), npgrad.ones(1, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data.shape == (4, 2) and sorted_indices is None and unsorted_indices is None
    assert batch_sizes.tolist() == [2, 1, 1]
    assert packed.double().data.dtype == npgrad.float64
    assert isinstance(packed.to(npgrad.float64), utils.PackedSequence)
    assert utils.invert_permutation(npgrad.tensor([2, 0, 1])).tolist() == [1, 2, 0]


def test_errors_match_torch():
    x = npgrad.randn(3, 2, 1)
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order when "
                                           "`enforce_sorted` is True"):
        utils.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        utils.pack_padded_sequence(x, [3, 0])
    packed = utils.pack_padded_sequence(x, [3, 2])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest "
                                         "sequence in input, but got total_length=2 and max sequence "
                                         "length being 3"):
        utils.pad_packed_sequence(packed, total_length=2)
