import keras
import numpy as np

from seqzoo.zoo import MaskedMeanPooling, TokenEmbedding
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
    return np.random.default_rng(4).normal(size=(2, 5, 3)).astype("float32")


def test_mean_over_real_steps_only():
    x = random_inputs()
    pooled = MaskedMeanPooling()(x, mask=MASK)
    np.testing.assert_allclose(pooled[0], x[0].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(pooled[1], x[1, :3].mean(axis=0), atol=1e-6)


def test_values_at_padded_steps_change_nothing():
    x = random_inputs()
    garbage = x.copy()
    garbage[~MASK] = 1000.0
    pool = MaskedMeanPooling()
    np.testing.assert_allclose(pool(garbage, mask=MASK), pool(x, mask=MASK), atol=1e-6)


def test_row_without_real_steps_gives_zeros():
    mask = np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    pooled = MaskedMeanPooling()(random_inputs(), mask=mask)
    np.testing.assert_array_equal(pooled[1], np.zeros(3))


def test_without_a_mask_every_step_counts():
    x = random_inputs()
    np.testing.assert_allclose(MaskedMeanPooling()(x), x.mean(axis=1), atol=1e-6)


def test_uses_the_keras_mask_of_its_inputs():
    inputs = keras.Input((None,), dtype="int32")
    pooled = MaskedMeanPooling()(TokenEmbedding(VOCABULARY_SIZE, 3)(inputs))
    model = keras.Model(inputs, pooled)
    np.testing.assert_allclose(model(pad(ROWS, 5)), model(pad(ROWS, 9)), atol=1e-6)


def test_config_round_trip():
    pool = MaskedMeanPooling(name="pool")
    assert_config_round_trip(pool, random_inputs(), mask=MASK)


def test_keras_file_round_trip(tmp_path):
    model = wrap_in_model(MaskedMeanPooling(), (None, 3))
    assert_keras_file_round_trip(model, random_inputs(), tmp_path)
