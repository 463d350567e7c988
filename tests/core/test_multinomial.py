"""npgrad.multinomial: PyTorch's checks, messages and the zero-weight rule (random bits are NumPy's)."""
import numpy as np
import pytest

import npgrad
from oracle import HAVE_TORCH

BAD = "probability tensor contains either `inf`, `nan` or element < 0"
NEG = "invalid multinomial distribution (encountering probability entry < 0)"
INF = "invalid multinomial distribution (encountering probability entry = infinity or NaN)"
ZERO_SUM = "invalid multinomial distribution (sum of probabilities <= 0)"
NONPOS = "cannot sample n_sample <= 0 samples"
TOO_MANY = "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
nan, inf = float("nan"), float("inf")

# (weights, num_samples, replacement) -> torch's error message, or None when it samples
CASES = [
    ([-1.0, 1.0], 1, True, BAD), ([-1.0, 1.0], 2, True, NEG), ([1.0, inf], 1, True, BAD),
    ([1.0, inf], 2, True, INF), ([1.0, nan], 1, True, BAD), ([1.0, nan], 2, True, NEG),
    ([0.0, 0.0], 2, True, ZERO_SUM), ([1.0, 2.0], 0, True, NONPOS), ([1.0, 2.0], 5, True, None),
    ([-1.0, 1.0], 1, False, BAD), ([1.0, inf], 2, False, BAD), ([1.0, nan], 1, False, BAD),
    ([0.0, 0.0], 1, False, ZERO_SUM), ([1.0, 2.0], 0, False, NONPOS), ([1.0, 2.0], 3, False, TOO_MANY),
    ([0.0, 1.0, 2.0, 0.0], 4, False, None), ([1.0, -0.0], 2, False, None),
]


def _outcome(lib, weights, n, replacement):
    try:
        return lib.multinomial(lib.tensor(weights), n, replacement=replacement).tolist()
    except RuntimeError as e:
        return str(e)


@pytest.mark.parametrize("weights,n,replacement,message", CASES)
def test_multinomial_checks_match_torch(weights, n, replacement, message):
    outcomes = [_outcome(npgrad, weights, n, replacement)]
    if HAVE_TORCH:
        import torch

        outcomes.append(_outcome(torch, weights, n, replacement))
    for out in outcomes:
        if message is None:
            assert isinstance(out, list) and len(out) == n
            assert all(0 <= k < len(weights) for k in out)
        else:
            assert out == message


def test_without_replacement_zero_weights_come_last_and_draws_are_distinct():
    npgrad.manual_seed(0)
    for _ in range(50):
        out = npgrad.multinomial(npgrad.tensor([[0.0, 1.0, 2.0, 0.0], [3.0, 0.0, 1.0, 1.0]]), 4).tolist()
        assert sorted(out[0][:2]) == [1, 2] and sorted(out[0][2:]) == [0, 3]
        assert sorted(out[1][:3]) == [0, 2, 3] and out[1][3] == 1


def test_without_replacement_draws_follow_successive_sampling():
    # first draw ~ p; second draw ~ p restricted to the rest, renormalised
    npgrad.manual_seed(1)
    p = np.array([0.5, 0.3, 0.2])
    draws = np.array([npgrad.multinomial(npgrad.tensor(p), 2).tolist() for _ in range(6000)])
    first = np.bincount(draws[:, 0], minlength=3) / len(draws)
    np.testing.assert_allclose(first, p, atol=0.03)
    second_after_0 = np.bincount(draws[draws[:, 0] == 0, 1], minlength=3) / np.sum(draws[:, 0] == 0)
    np.testing.assert_allclose(second_after_0, [0.0, 0.6, 0.4], atol=0.04)
