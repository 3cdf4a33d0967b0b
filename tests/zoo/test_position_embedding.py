import keras
import numpy as np
import pytest

from seqzoo.zoo import PositionEmbedding
from tests.zoo.helpers import (
    assert_config_round_trip,
    assert_keras_file_round_trip,
    wrap_in_model,
)


def zeros(batch=2, time=5, features=4):
    return np.zeros((batch, time, features), dtype="float32")


def test_returns_the_first_rows_of_the_table_for_every_sequence():
    layer = PositionEmbedding(max_length=8)
    positions = np.asarray(layer(zeros()))
    table = layer.position_embeddings.numpy()
    assert table.shape == (8, 4)
    np.testing.assert_array_equal(positions[0], table[:5])
    np.testing.assert_array_equal(positions[1], table[:5])


def test_shorter_input_reuses_the_same_leading_rows():
    layer = PositionEmbedding(max_length=8)
    long = np.asarray(layer(zeros(time=6)))
    short = np.asarray(layer(zeros(time=3)))
    np.testing.assert_array_equal(short, long[:, :3])


def test_positions_are_trained():
    layer = PositionEmbedding(max_length=8)
    layer(zeros())
    assert layer.trainable_weights == [layer.position_embeddings]


def test_too_long_input_names_max_length():
    layer = PositionEmbedding(max_length=4)
    with pytest.raises(ValueError, match="max_length=4"):
        layer(zeros(time=5))


def test_keeps_the_keras_mask():
    inputs = keras.Input((None, 4))
    masked = keras.layers.Masking(0.0)(inputs)
    assert PositionEmbedding(8)(masked)._keras_mask is not None


def test_config_round_trip():
    layer = PositionEmbedding(8, initializer="random_normal")
    layer(zeros())
    assert_config_round_trip(layer, zeros())


def test_keras_file_round_trip(tmp_path):
    model = wrap_in_model(PositionEmbedding(8), (None, 4))
    assert_keras_file_round_trip(model, zeros(), tmp_path)
