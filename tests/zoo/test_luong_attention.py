"""LuongAttention against NumPy: q^T W_a k_s (general) or q^T k_s (dot), softmax, sum."""

import numpy as np
import pytest

from seqzoo.zoo import LuongAttention

from .helpers import assert_config_round_trip


def numpy_multiplicative(query, values, mask, W_a=None):
    keys = values if W_a is None else values @ W_a.T
    scores = np.einsum("bq,bsq->bs", query, keys)
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return (weights[:, :, None] * values).sum(1), weights


@pytest.mark.parametrize("score", ["general", "dot"])
def test_golden_values_against_numpy(score):
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 4)).astype("float32")
    values = rng.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    attention = LuongAttention(score)
    context, weights = attention(query, values, source_mask=mask)
    W_a = np.asarray(attention.W_a) if score == "general" else None
    expected_context, expected_weights = numpy_multiplicative(query, values, mask, W_a)
    np.testing.assert_allclose(np.asarray(weights), expected_weights, atol=1e-5)
    np.testing.assert_allclose(np.asarray(context), expected_context, atol=1e-5)


def test_dot_needs_equal_widths():
    with pytest.raises(ValueError, match="equally wide"):
        LuongAttention("dot")(np.ones((1, 3), "float32"), np.ones((1, 2, 4), "float32"))


def test_config_round_trip():
    attention = LuongAttention()
    query, values = np.ones((2, 3), "float32"), np.ones((2, 4, 5), "float32")
    attention(query, values)
    assert_config_round_trip(attention, query, values)
