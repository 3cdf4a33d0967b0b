"""BahdanauAttention against NumPy: v^T tanh(W_query^T q + W_key^T k_s), softmax, sum."""

import numpy as np

from seqzoo.zoo import BahdanauAttention

from .helpers import assert_config_round_trip


def numpy_additive(query, values, mask, W_query, W_key, v):
    scores = np.tanh(query[:, None, :] @ W_query + values @ W_key) @ v  # [b, s]
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    return (weights[:, :, None] * values).sum(1), weights


def test_golden_values_against_numpy():
    rng = np.random.default_rng(0)
    query = rng.normal(size=(2, 3)).astype("float32")
    values = rng.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    attention = BahdanauAttention(units=6)
    context, weights = attention(query, values, source_mask=mask)
    expected_context, expected_weights = numpy_additive(
        query, values, mask, *(np.asarray(w) for w in (attention.W_query, attention.W_key, attention.v))
    )
    np.testing.assert_allclose(np.asarray(weights), expected_weights, atol=1e-6)
    np.testing.assert_allclose(np.asarray(context), expected_context, atol=1e-6)
    # Many queries at once give the rows of single queries; precomputed keys too.
    many_context, many_weights = attention(np.stack([query, 2 * query], 1), values, source_mask=mask,
                                           keys=attention.project_keys(values))
    np.testing.assert_allclose(np.asarray(many_weights)[:, 0], expected_weights, atol=1e-6)
    np.testing.assert_allclose(np.asarray(many_context)[:, 0], expected_context, atol=1e-6)


def test_padding_values_change_nothing():
    rng = np.random.default_rng(1)
    attention = BahdanauAttention(units=3)
    query = rng.normal(size=(1, 2)).astype("float32")
    values = rng.normal(size=(1, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0]], bool)
    first = attention(query, values, source_mask=mask)
    values[:, 2:] = 100.0
    second = attention(query, values, source_mask=mask)
    for a, b in zip(first, second):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_config_round_trip():
    attention = BahdanauAttention(units=3)
    query, values = np.ones((2, 2), "float32"), np.ones((2, 4, 5), "float32")
    attention(query, values)
    assert_config_round_trip(attention, query, values)
