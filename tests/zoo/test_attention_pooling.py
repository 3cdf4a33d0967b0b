import keras
import numpy as np

from seqzoo.zoo import AttentionPooling, TokenEmbedding
from tests.zoo.helpers import (
    ROWS,
    VOCABULARY_SIZE,
    assert_config_round_trip,
    assert_keras_file_round_trip,
    pad,
    wrap_in_model,
)

MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=bool)


def random_inputs():
    return np.random.default_rng(5).normal(size=(2, 5, 4)).astype("float32")


def attention_numpy(x, mask, W, b, v):
    scores = np.tanh(x @ W + b) @ v[:, 0]
    scores = np.where(mask, scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return (weights[..., None] * x).sum(axis=1), weights


def test_golden_values_match_additive_attention():
    pool = AttentionPooling(units=3)
    x = random_inputs()
    pool(x, mask=MASK)
    for weight in pool.weights:  # non-zero bias, so the check covers it
        weight.assign(np.random.default_rng(6).normal(size=weight.shape))
    pooled, weights = pool(x, mask=MASK, return_attention_scores=True)
    expected_pooled, expected_weights = attention_numpy(
        x, MASK, pool.hidden.kernel.numpy(), pool.hidden.bias.numpy(), pool.score.kernel.numpy()
    )
    np.testing.assert_allclose(weights, expected_weights, atol=1e-5)
    np.testing.assert_allclose(pooled, expected_pooled, atol=1e-5)


def test_weights_sum_to_one_over_real_steps_and_are_zero_on_padding():
    _, weights = AttentionPooling(3)(random_inputs(), mask=MASK, return_attention_scores=True)
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(axis=1), [1.0, 1.0], atol=1e-6)
    np.testing.assert_array_equal(weights[~MASK], 0.0)


def test_values_at_padded_steps_change_nothing():
    pool = AttentionPooling(3)
    x = random_inputs()
    garbage = x.copy()
    garbage[~MASK] = 1000.0
    np.testing.assert_allclose(pool(garbage, mask=MASK), pool(x, mask=MASK), atol=1e-6)


def test_row_without_real_steps_gives_zeros():
    mask = np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    pooled = AttentionPooling(3)(random_inputs(), mask=mask)
    np.testing.assert_array_equal(pooled[1], np.zeros(4))


def test_uses_the_keras_mask_of_its_inputs():
    inputs = keras.Input((None,), dtype="int32")
    pooled = AttentionPooling(3)(TokenEmbedding(VOCABULARY_SIZE, 4)(inputs))
    model = keras.Model(inputs, pooled)
    np.testing.assert_allclose(model(pad(ROWS, 5)), model(pad(ROWS, 9)), atol=1e-6)


def test_config_round_trip():
    pool = AttentionPooling(3)
    x = random_inputs()
    pool(x, mask=MASK)
    assert_config_round_trip(pool, x, mask=MASK)


def test_keras_file_round_trip(tmp_path):
    model = wrap_in_model(AttentionPooling(3), (None, 4))
    assert_keras_file_round_trip(model, random_inputs(), tmp_path)
