import keras
import numpy as np
import pytest

from seqzoo.zoo import TransformerEncoderBlock
from tests.zoo.helpers import (
    assert_config_round_trip,
    assert_keras_file_round_trip,
    wrap_in_model,
)

MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=bool)


def random_inputs():
    return np.random.default_rng(7).normal(size=(2, 5, 4)).astype("float32")


def make_block(norm_first, dropout=0.0):
    return TransformerEncoderBlock(
        num_heads=2, intermediate_dim=8, dropout=dropout, norm_first=norm_first
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_values_at_padded_steps_change_nothing_at_real_steps(norm_first):
    block = make_block(norm_first)
    x = random_inputs()
    garbage = x.copy()
    garbage[~MASK] = 50.0
    clean = np.asarray(block(x, padding_mask=MASK))
    dirty = np.asarray(block(garbage, padding_mask=MASK))
    np.testing.assert_allclose(dirty[MASK], clean[MASK], atol=1e-5)
    # Without the mask, the padding does leak into the real steps.
    unmasked = np.asarray(block(garbage))
    assert not np.allclose(unmasked[MASK], clean[MASK], atol=1e-3)


@pytest.mark.parametrize("norm_first", [False, True])
def test_residuals_and_norms_are_in_the_stated_order(norm_first):
    block = make_block(norm_first)
    x = random_inputs()
    outputs = block(x, padding_mask=MASK)
    attention_mask = MASK[:, None, :] & np.ones((2, 5, 1), dtype=bool)

    def attend(h):
        return block.attention(h, h, attention_mask=attention_mask)

    def feedforward(h):
        return block.output_dense(block.intermediate_dense(h))

    if norm_first:
        h = x + attend(block.attention_norm(x))
        expected = h + feedforward(block.feedforward_norm(h))
    else:
        h = block.attention_norm(x + attend(x))
        expected = block.feedforward_norm(h + feedforward(h))
    np.testing.assert_allclose(outputs, expected, atol=1e-5)


def test_post_norm_outputs_are_normalised_per_step():
    outputs = np.asarray(make_block(norm_first=False)(random_inputs()))
    np.testing.assert_allclose(outputs.mean(axis=-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(outputs.std(axis=-1), 1.0, atol=1e-2)


def test_keras_mask_of_the_inputs_is_used_when_no_padding_mask_is_given():
    inputs = keras.Input((None, 4))
    masked = keras.layers.Masking(mask_value=50.0)(inputs)
    model = keras.Model(inputs, make_block(False)(masked))
    x = random_inputs()
    padded = x.copy()
    padded[~MASK] = 50.0
    block = model.layers[-1]
    np.testing.assert_allclose(
        np.asarray(model(padded))[MASK],
        np.asarray(block(padded, padding_mask=MASK))[MASK],
        atol=1e-5,
    )


def test_outputs_carry_the_keras_mask_of_the_inputs():
    inputs = keras.Input((None, 4))
    masked = keras.layers.Masking(mask_value=50.0)(inputs)
    model = keras.Model(inputs, make_block(False)(masked)._keras_mask)
    padded = random_inputs()
    padded[~MASK] = 50.0
    np.testing.assert_array_equal(np.asarray(model(padded)), MASK)


def test_dropout_acts_in_training_only():
    block = make_block(False, dropout=0.5)
    x = random_inputs()
    inference = np.asarray(block(x))
    np.testing.assert_array_equal(np.asarray(block(x, training=False)), inference)
    assert not np.allclose(np.asarray(block(x, training=True)), inference)


def test_feature_size_must_be_divisible_by_heads():
    with pytest.raises(ValueError, match="divisible"):
        TransformerEncoderBlock(num_heads=3, intermediate_dim=8)(random_inputs())


def test_config_round_trip():
    block = TransformerEncoderBlock(
        2, 8, dropout=0.1, activation="gelu", norm_first=True, layer_norm_epsilon=1e-6
    )
    x = random_inputs()
    block(x)
    assert_config_round_trip(block, x, padding_mask=MASK)


def test_keras_file_round_trip(tmp_path):
    model = wrap_in_model(make_block(True), (None, 4))
    assert_keras_file_round_trip(model, random_inputs(), tmp_path)
