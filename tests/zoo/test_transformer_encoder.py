import keras
import numpy as np
import pytest

from seqzoo.zoo import TokenEmbedding, TransformerEncoder, TransformerEncoderBlock
from tests.zoo.helpers import (
    ROWS,
    VOCABULARY_SIZE,
    as_numpy,
    assert_config_round_trip,
    assert_keras_file_round_trip,
    pad,
    wrap_in_model,
)


def make_encoder(**overrides):
    config = dict(
        embedding_dim=8, num_layers=2, num_heads=2, intermediate_dim=8, max_length=12
    )
    config.update(overrides)
    return TransformerEncoder(VOCABULARY_SIZE, **config)


@pytest.mark.parametrize("norm_first", [False, True])
def test_more_padding_changes_nothing_at_real_positions_nor_final_states(norm_first):
    encoder = make_encoder(norm_first=norm_first)
    short_outputs, short_states = as_numpy(encoder(pad(ROWS, 5)))
    long_outputs, long_states = as_numpy(encoder(pad(ROWS, 9)))
    for row, tokens in enumerate(ROWS):
        real = len(tokens)
        np.testing.assert_allclose(
            long_outputs[row, :real], short_outputs[row, :real], atol=1e-5
        )
        np.testing.assert_array_equal(long_outputs[row, real:], 0.0)
    np.testing.assert_allclose(long_states[0], short_states[0], atol=1e-5)


def test_each_row_alone_unpadded_gives_the_batched_result():
    encoder = make_encoder()
    outputs, states = as_numpy(encoder(pad(ROWS, 7)))
    for row, tokens in enumerate(ROWS):
        alone_outputs, alone_states = as_numpy(encoder(np.array([tokens], dtype="int32")))
        np.testing.assert_allclose(outputs[row, : len(tokens)], alone_outputs[0], atol=1e-5)
        np.testing.assert_allclose(states[0][row], alone_states[0][0], atol=1e-5)


def test_state_is_the_mean_of_the_outputs_over_real_tokens():
    outputs, states = as_numpy(make_encoder()(pad(ROWS, 7)))
    for row, tokens in enumerate(ROWS):
        expected = outputs[row, : len(tokens)].mean(axis=0)
        np.testing.assert_allclose(states[0][row], expected, atol=1e-5)


def test_order_matters_through_the_position_embedding():
    outputs = as_numpy(make_encoder()(np.array([[4, 7], [7, 4]], dtype="int32"))[0])
    # Same tokens, swapped: without positions the outputs would just swap.
    assert not np.allclose(outputs[0, 0], outputs[1, 1], atol=1e-3)


def test_layers_and_norm_placement():
    post = make_encoder(norm_first=False)
    pre = make_encoder(norm_first=True, num_layers=3)
    assert isinstance(post.embedding, TokenEmbedding)
    assert len(pre.blocks) == 3 and all(isinstance(b, TransformerEncoderBlock) for b in pre.blocks)
    assert post.final_norm is None and pre.final_norm is not None
    pre(pad(ROWS, 5))
    assert isinstance(pre.blocks[0].attention, keras.layers.MultiHeadAttention)
    assert all(block.norm_first for block in pre.blocks)


def test_too_long_input_is_refused():
    with pytest.raises(ValueError, match="max_length=4"):
        make_encoder(max_length=4)(pad(ROWS, 5))


def test_width_must_be_divisible_by_heads():
    with pytest.raises(ValueError, match="divisible"):
        make_encoder(embedding_dim=6, num_heads=4)


def test_dropout_acts_in_training_only():
    encoder = make_encoder(dropout=0.5)
    ids = pad(ROWS, 5)
    inference = as_numpy(encoder(ids)[0])
    np.testing.assert_array_equal(as_numpy(encoder(ids, training=False)[0]), inference)
    assert not np.allclose(as_numpy(encoder(ids, training=True)[0]), inference)


@pytest.mark.parametrize("norm_first", [False, True])
def test_config_round_trip(norm_first):
    encoder = make_encoder(norm_first=norm_first, dropout=0.2)
    ids = pad(ROWS, 5)
    encoder(ids)
    assert_config_round_trip(encoder, ids)


@pytest.mark.parametrize("norm_first", [False, True])
def test_keras_file_round_trip(norm_first, tmp_path):
    model = wrap_in_model(make_encoder(norm_first=norm_first), (None,), dtype="int32")
    loaded = assert_keras_file_round_trip(model, pad(ROWS, 5), tmp_path)
    assert isinstance(loaded.layers[-1], TransformerEncoder)
