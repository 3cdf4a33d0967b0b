import keras
import numpy as np
import pytest

from seqzoo.zoo import RecurrentEncoder, TokenEmbedding
from tests.zoo.helpers import (
    ROWS,
    VOCABULARY_SIZE,
    assert_config_round_trip,
    assert_keras_file_round_trip,
    as_numpy,
    pad,
    wrap_in_model,
)

UNITS = 4

CONFIGURATIONS = {
    "rnn": dict(cell="rnn"),
    "irnn": dict(cell="irnn"),
    "lstm": dict(cell="lstm"),
    "gru": dict(cell="gru"),
    "bidirectional_lstm": dict(cell="lstm", bidirectional=True),
    "bidirectional_gru": dict(cell="gru", bidirectional=True),
    "stacked_lstm": dict(cell="lstm", num_layers=2),
    "stacked_bidirectional_rnn": dict(cell="rnn", num_layers=2, bidirectional=True),
}
BIDIRECTIONAL = [name for name, config in CONFIGURATIONS.items() if config.get("bidirectional")]


def make_encoder(configuration, **overrides):
    config = dict(CONFIGURATIONS[configuration], **overrides)
    return RecurrentEncoder(VOCABULARY_SIZE, embedding_dim=5, units=UNITS, **config)


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_more_padding_changes_nothing_at_real_positions_nor_final_states(name):
    encoder = make_encoder(name)
    short_outputs, short_states = as_numpy(encoder(pad(ROWS, 5)))
    long_outputs, long_states = as_numpy(encoder(pad(ROWS, 9)))
    for row, tokens in enumerate(ROWS):
        real = len(tokens)
        np.testing.assert_allclose(
            long_outputs[row, :real], short_outputs[row, :real], atol=1e-5
        )
        np.testing.assert_array_equal(long_outputs[row, real:], 0.0)
    assert len(long_states) == len(short_states) == (2 if "lstm" in name else 1)
    for long_state, short_state in zip(long_states, short_states):
        np.testing.assert_allclose(long_state, short_state, atol=1e-5)


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_each_row_alone_unpadded_gives_the_batched_result(name):
    encoder = make_encoder(name)
    outputs, states = as_numpy(encoder(pad(ROWS, 7)))
    for row, tokens in enumerate(ROWS):
        alone_outputs, alone_states = as_numpy(encoder(np.array([tokens], dtype="int32")))
        np.testing.assert_allclose(outputs[row, : len(tokens)], alone_outputs[0], atol=1e-5)
        for state, alone_state in zip(states, alone_states):
            np.testing.assert_allclose(state[row], alone_state[0], atol=1e-5)


@pytest.mark.parametrize("name", BIDIRECTIONAL)
def test_backward_direction_starts_at_the_last_real_token(name):
    # At its first step from a zero state, the backward pass has read only
    # the last real token. Two rows ending with the same token, of different
    # lengths and padding, must give the same backward output there; a
    # backward pass that started at the padding would not.
    encoder = make_encoder(name, num_layers=1)
    ids = pad([[4, 7, 2, 9], [6, 9]], 6)
    outputs = as_numpy(encoder(ids))[0]
    backward = outputs[..., UNITS:]
    np.testing.assert_allclose(backward[0, 3], backward[1, 1], atol=1e-6)
    assert not np.allclose(backward[0, 2], backward[1, 0], atol=1e-3)


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_final_h_is_the_output_at_the_last_real_token(name):
    encoder = make_encoder(name)
    outputs, states = as_numpy(encoder(pad(ROWS, 7)))
    h = states[0]
    forward_last = np.stack(
        [outputs[row, len(tokens) - 1, :UNITS] for row, tokens in enumerate(ROWS)]
    )
    np.testing.assert_allclose(h[:, :UNITS], forward_last, atol=1e-6)
    if CONFIGURATIONS[name].get("bidirectional"):
        # The backward pass ends at the first token.
        np.testing.assert_allclose(h[:, UNITS:], outputs[:, 0, UNITS:], atol=1e-6)
        assert h.shape == (2, 2 * UNITS)


@pytest.mark.parametrize("name", ["lstm", "bidirectional_gru"])
def test_row_without_real_tokens_is_finite_and_leaves_other_rows_alone(name):
    encoder = make_encoder(name)
    outputs, states = as_numpy(encoder(pad(ROWS + [[]], 6)))
    reference_outputs, reference_states = as_numpy(encoder(pad(ROWS, 6)))
    assert all(np.isfinite(state).all() for state in states)
    np.testing.assert_array_equal(outputs[2], 0.0)
    np.testing.assert_allclose(outputs[:2], reference_outputs, atol=1e-5)
    for state, reference in zip(states, reference_states):
        np.testing.assert_allclose(state[:2], reference, atol=1e-5)


def test_lstm_and_gru_are_the_keras_layers_with_cudnn_eligible_settings():
    lstm = make_encoder("bidirectional_lstm").recurrent_layers[0].forward_layer
    gru = make_encoder("gru").recurrent_layers[0]
    assert type(lstm) is keras.layers.LSTM and type(gru) is keras.layers.GRU
    for layer in (lstm, gru):
        cell = layer.cell
        assert cell.activation is keras.activations.tanh
        assert cell.recurrent_activation is keras.activations.sigmoid
        assert cell.use_bias and cell.recurrent_dropout == 0.0
        assert not layer.unroll and layer.use_cudnn == "auto"
    assert gru.cell.reset_after


def test_stacked_layers_and_bidirectional_wrappers():
    encoder = make_encoder("stacked_bidirectional_rnn", num_layers=3)
    assert len(encoder.recurrent_layers) == 3
    assert all(isinstance(layer, keras.layers.Bidirectional) for layer in encoder.recurrent_layers)
    outputs, states = encoder(pad(ROWS, 5))
    assert tuple(outputs.shape) == (2, 5, 2 * UNITS) and encoder.output_dim == 2 * UNITS
    # The second layer reads the first one's two directions.
    assert tuple(encoder.recurrent_layers[1].forward_layer.cell.W_hx.shape) == (2 * UNITS, UNITS)


def test_embedding_attribute_and_one_hot_inputs():
    encoder = make_encoder("gru", embedding="one-hot")
    encoder(pad(ROWS, 5))
    assert isinstance(encoder.embedding, TokenEmbedding)
    assert encoder.embedding.mode == "one-hot"
    kernel = encoder.recurrent_layers[0].cell.kernel
    assert kernel.shape[0] == VOCABULARY_SIZE


def test_dropout_acts_in_training_only():
    encoder = make_encoder("lstm", num_layers=2, dropout=0.5)
    ids = pad(ROWS, 5)
    inference = as_numpy(encoder(ids)[0])
    np.testing.assert_array_equal(as_numpy(encoder(ids, training=False)[0]), inference)
    assert not np.allclose(as_numpy(encoder(ids, training=True)[0]), inference)


def test_outputs_carry_the_padding_mask():
    inputs = keras.Input((None,), dtype="int32")
    outputs, states = make_encoder("lstm")(inputs)
    model = keras.Model(inputs, outputs._keras_mask)
    np.testing.assert_array_equal(model(pad(ROWS, 6)), pad(ROWS, 6) != 0)


def test_rejects_unknown_cell_and_zero_layers():
    with pytest.raises(ValueError, match="cell"):
        RecurrentEncoder(VOCABULARY_SIZE, cell="transformer")
    with pytest.raises(ValueError, match="num_layers"):
        RecurrentEncoder(VOCABULARY_SIZE, num_layers=0)


@pytest.mark.parametrize("name", ["rnn", "irnn", "stacked_lstm", "bidirectional_gru"])
def test_config_round_trip(name):
    encoder = make_encoder(name, dropout=0.25, name=f"encoder_{name}")
    ids = pad(ROWS, 5)
    encoder(ids)
    clone = assert_config_round_trip(encoder, ids)
    assert clone.get_config()["cell"] == CONFIGURATIONS[name]["cell"]


@pytest.mark.parametrize("name", ["rnn", "irnn", "lstm", "stacked_bidirectional_rnn"])
def test_keras_file_round_trip(name, tmp_path):
    model = wrap_in_model(make_encoder(name), (None,), dtype="int32")
    loaded = assert_keras_file_round_trip(model, pad(ROWS, 5), tmp_path)
    assert isinstance(loaded.layers[-1], RecurrentEncoder)
