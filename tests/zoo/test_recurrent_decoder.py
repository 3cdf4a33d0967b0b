import keras
import numpy as np
import pytest

from seqzoo.zoo.recurrent_decoder import RecurrentDecoder
from tests.zoo.helpers import (
    ROWS,
    VOCABULARY_SIZE,
    assert_config_round_trip,
    assert_keras_file_round_trip,
    as_numpy,
    pad,
)

CELLS = ["lstm", "gru", "rnn", "irnn"]


def make_decoder(cell="lstm", **overrides):
    config = dict(embedding_dim=5, cell=cell, units=4, num_layers=2)
    config.update(overrides)
    return RecurrentDecoder(VOCABULARY_SIZE, **config)


def step_through(decoder, ids, states=None):
    """Feeds `ids [batch, time]` one column at a time; returns [batch, time, V]."""
    if states is None:
        states = decoder.get_initial_state(ids.shape[0])
    all_logits = []
    for column in ids.T:
        logits, states = decoder.step(column, states)
        all_logits.append(as_numpy(logits))
    return np.stack(all_logits, axis=1), states


@pytest.mark.parametrize("cell", CELLS)
def test_step_by_step_gives_the_teacher_forced_logits_and_states(cell):
    decoder = make_decoder(cell)
    ids = np.array([[2, 4, 7, 9, 3], [2, 5, 1, 8, 6]], dtype="int32")
    logits, states = decoder(ids)
    stepped, stepped_states = step_through(decoder, ids)
    assert logits.shape == (2, 5, VOCABULARY_SIZE) and logits.dtype == "float32"
    assert len(states) == 2 * (2 if cell == "lstm" else 1)
    np.testing.assert_allclose(stepped, as_numpy(logits), atol=1e-4)
    for state, stepped_state in zip(as_numpy(states), as_numpy(stepped_states)):
        np.testing.assert_allclose(stepped_state, state, atol=1e-4)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_more_padding_changes_nothing_at_real_positions_nor_final_states(cell):
    decoder = make_decoder(cell)
    short_logits, short_states = as_numpy(decoder(pad(ROWS, 5)))
    long_logits, long_states = as_numpy(decoder(pad(ROWS, 8)))
    for row, tokens in enumerate(ROWS):
        np.testing.assert_allclose(
            long_logits[row, : len(tokens)], short_logits[row, : len(tokens)], atol=1e-5
        )
    for long_state, short_state in zip(long_states, short_states):
        np.testing.assert_allclose(long_state, short_state, atol=1e-5)


def test_carrying_the_states_across_windows_equals_reading_the_whole_sequence():
    # What truncated backpropagation through time relies on.
    decoder = make_decoder("gru")
    ids = np.array([[2, 4, 7, 9, 3, 5], [2, 5, 1, 8, 6, 6]], dtype="int32")
    whole, whole_states = as_numpy(decoder(ids))
    first, states = decoder(ids[:, :3])
    second, second_states = decoder(ids[:, 3:], initial_state=states)
    np.testing.assert_allclose(
        np.concatenate([as_numpy(first), as_numpy(second)], axis=1), whole, atol=1e-5
    )
    for state, whole_state in zip(as_numpy(second_states), whole_states):
        np.testing.assert_allclose(state, whole_state, atol=1e-5)


def test_the_zero_initial_state_is_the_default():
    decoder = make_decoder("lstm")
    ids = pad(ROWS, 5)
    default, _ = decoder(ids)
    explicit, _ = decoder(ids, initial_state=decoder.get_initial_state(2))
    np.testing.assert_allclose(as_numpy(explicit), as_numpy(default), atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "irnn"])
def test_prime_continues_prompts_of_different_lengths(cell):
    decoder = make_decoder(cell)
    prompts = [[2, 4, 7], [2, 5, 1, 8, 6]]
    continuation = np.array([9, 3], dtype="int32")
    last_logits, states = decoder.prime(pad(prompts, 6))
    next_logits, _ = decoder.step(continuation, states)
    for row, prompt in enumerate(prompts):
        full = np.array([prompt + [int(continuation[row])]], dtype="int32")
        expected = as_numpy(decoder(full)[0])[0]
        np.testing.assert_allclose(as_numpy(last_logits)[row], expected[-2], atol=1e-4)
        np.testing.assert_allclose(as_numpy(next_logits)[row], expected[-1], atol=1e-4)


def test_greedy_generation_with_states_equals_recomputing_the_prefix():
    decoder = make_decoder("lstm", embedding_dim=6, units=8)
    prompts = [[2, 4], [2, 5, 1, 8]]
    logits, states = decoder.prime(pad(prompts, 4))
    generated = []
    for _ in range(5):
        token = np.argmax(as_numpy(logits), axis=-1).astype("int32")
        generated.append(token)
        logits, states = decoder.step(token, states)
    generated = np.stack(generated, axis=1)

    for row, prompt in enumerate(prompts):
        sequence = list(prompt)
        for _ in range(5):
            logits = as_numpy(decoder(np.array([sequence], dtype="int32"))[0])
            sequence.append(int(np.argmax(logits[0, -1])))
        assert sequence[len(prompt):] == generated[row].tolist()


def test_tied_weights_share_the_embedding_matrix():
    decoder = make_decoder("lstm", units=5, num_layers=1, tie_weights=True)
    ids = np.array([[2, 4, 7]], dtype="int32")
    logits, _ = decoder(ids)
    matrices = [w for w in decoder.weights if tuple(w.shape) == (VOCABULARY_SIZE, 5)]
    assert matrices == [decoder.embedding.embeddings]
    assert decoder.output_projection is None and decoder.tied_projection is None
    # logits = h E^T + b, with h the LSTM output
    h = as_numpy(decoder.recurrent_layers[0](decoder.embedding(ids))[0])
    expected = h @ as_numpy(decoder.embedding.embeddings).T + as_numpy(decoder.output_bias)
    np.testing.assert_allclose(as_numpy(logits), expected, atol=1e-5)


def test_tied_weights_with_other_units_go_through_a_projection():
    decoder = make_decoder("gru", units=7, num_layers=1, tie_weights=True)
    decoder(np.array([[2, 4, 7]], dtype="int32"))
    assert tuple(decoder.tied_projection.kernel.shape) == (7, 5)
    assert [w for w in decoder.weights if tuple(w.shape) == (VOCABULARY_SIZE, 5)] == [
        decoder.embedding.embeddings
    ]


@pytest.mark.parametrize("tie_weights", [False, True])
def test_config_round_trip(tie_weights):
    decoder = make_decoder("rnn", tie_weights=tie_weights, dropout=0.1)
    ids = pad(ROWS, 5)
    decoder(ids)
    clone = assert_config_round_trip(decoder, ids)
    assert clone.get_config()["tie_weights"] is tie_weights


def test_keras_file_round_trip(tmp_path):
    decoder = make_decoder("lstm", tie_weights=True)
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, decoder(inputs)[0])
    loaded = assert_keras_file_round_trip(model, pad(ROWS, 5), tmp_path)
    loaded_decoder = next(
        layer for layer in loaded.layers if isinstance(layer, RecurrentDecoder)
    )
    states = decoder.get_initial_state(2)
    np.testing.assert_allclose(
        as_numpy(loaded_decoder.step(np.array([2, 3], "int32"), states)[0]),
        as_numpy(decoder.step(np.array([2, 3], "int32"), states)[0]),
        atol=1e-6,
    )


def test_bad_configurations_are_refused():
    with pytest.raises(ValueError, match="cell"):
        RecurrentDecoder(10, cell="transformer")
    decoder = make_decoder("lstm")
    with pytest.raises(ValueError, match="4 state tensors"):
        decoder.step(np.array([2], "int32"), decoder.get_initial_state(1)[:2])


def test_a_decoder_first_used_by_step_saves_and_loads(tmp_path):
    decoder = make_decoder("gru")
    states = decoder.get_initial_state(2)
    expected = as_numpy(decoder.step(np.array([2, 3], "int32"), states)[0])
    inputs = keras.Input((None,), dtype="int32")
    keras.Model(inputs, decoder(inputs)[0]).save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    loaded_decoder = next(l for l in loaded.layers if isinstance(l, RecurrentDecoder))
    np.testing.assert_allclose(
        as_numpy(loaded_decoder.step(np.array([2, 3], "int32"), states)[0]), expected,
        atol=1e-6,
    )
