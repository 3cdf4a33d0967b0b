"""LanguageModel: the per-step masked loss, state carried across batches, round trips."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqzoo.zoo import LanguageModel, RecurrentDecoder, TransformerDecoder


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def numpy_masked_loss(logits, targets):
    """Mean negative log-likelihood of the non-zero targets, written out with NumPy."""
    log_probs = log_softmax(np.asarray(logits, np.float64))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    real = targets != 0
    return -picked[real].mean()


def stream_batches(stream, rows, window):
    """Rows of the stream cut into windows, row i of batch k+1 continuing row i of batch k."""
    length = (len(stream) - 1) // rows
    inputs = stream[: rows * length].reshape(rows, length)
    targets = stream[1 : rows * length + 1].reshape(rows, length)
    return [
        (inputs[:, start : start + window], targets[:, start : start + window])
        for start in range(0, length, window)
    ], inputs, targets


def recurrent_model(carry_state, cell="lstm", num_layers=2):
    keras.utils.set_random_seed(1)
    model = LanguageModel(
        RecurrentDecoder(12, embedding_dim=4, cell=cell, units=6, num_layers=num_layers),
        carry_state=carry_state,
    )
    model.compile(optimizer="adam", jit_compile=False)
    return model


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_carried_state_over_windows_gives_the_loss_of_one_long_pass(cell):
    stream = np.random.default_rng(0).integers(1, 12, size=61).astype(np.int32)
    batches, inputs, targets = stream_batches(stream, rows=3, window=4)
    model = recurrent_model(carry_state=True, cell=cell)
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.stack([b[0] for b in batches]), np.stack([b[1] for b in batches]))
    )
    carried = model.evaluate(dataset, verbose=0, return_dict=True)["loss"]
    whole, _ = model.decoder(inputs)  # one forward pass over each row, no windows
    np.testing.assert_allclose(carried, numpy_masked_loss(whole, targets), rtol=1e-5)
    # Without carrying, each window starts from zeros: another number, that of the
    # windows read one by one.
    reset = recurrent_model(carry_state=False, cell=cell)
    reset(inputs)
    reset.set_weights(model.get_weights())
    windowed = reset.evaluate(dataset, verbose=0, return_dict=True)["loss"]
    logits = np.concatenate([model.decoder(b[0])[0] for b in batches], axis=1)
    np.testing.assert_allclose(windowed, numpy_masked_loss(logits, targets), rtol=1e-5)
    assert abs(windowed - carried) > 1e-6
    # Evaluating again starts from zero states again: the same number.
    np.testing.assert_allclose(model.evaluate(dataset, verbose=0, return_dict=True)["loss"], carried, rtol=1e-6)


def test_the_loss_is_averaged_over_real_targets_only():
    model = recurrent_model(carry_state=False, num_layers=1)
    inputs = np.array([[4, 5, 6, 7], [8, 9, 0, 0]], np.int32)
    targets = np.array([[5, 6, 7, 8], [9, 10, 0, 0]], np.int32)
    loss = model.evaluate(inputs, targets, batch_size=2, verbose=0, return_dict=True)
    expected = numpy_masked_loss(model(inputs), targets)
    np.testing.assert_allclose(loss["loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(loss["perplexity"], np.exp(expected), rtol=1e-5)
    # Batches are weighted by their number of targets, not averaged per batch.
    by_batch = model.evaluate(inputs, targets, batch_size=1, verbose=0, return_dict=True)
    np.testing.assert_allclose(by_batch["loss"], expected, rtol=1e-5)


def test_a_repeating_sequence_is_learned_with_carried_state():
    pattern = np.array([4, 5, 6, 7, 8, 9], np.int32)
    stream = np.tile(pattern, 60)
    batches, _, _ = stream_batches(stream, rows=4, window=5)
    inputs = np.concatenate([b[0] for b in batches if b[0].shape[1] == 5])
    targets = np.concatenate([b[1] for b in batches if b[1].shape[1] == 5])
    model = recurrent_model(carry_state=True, num_layers=1)
    model.optimizer.learning_rate.assign(0.05)
    history = model.fit(inputs, targets, batch_size=4, epochs=30, shuffle=False, verbose=0)
    assert history.history["perplexity"][-1] < 1.1


def test_a_transformer_decoder_trains_without_state():
    keras.utils.set_random_seed(0)
    model = LanguageModel(
        TransformerDecoder(12, embedding_dim=8, num_layers=1, num_heads=2, intermediate_dim=16,
                           max_length=8, dropout=0.0),
        carry_state=True,  # ignored: a Transformer has no state to carry
    )
    model.compile(optimizer=keras.optimizers.Adam(0.02), jit_compile=False)
    inputs = np.tile(np.array([[4, 5, 6, 7, 4, 5]], np.int32), (8, 1))
    targets = np.tile(np.array([[5, 6, 7, 4, 5, 6]], np.int32), (8, 1))
    history = model.fit(inputs, targets, batch_size=4, epochs=25, verbose=0)
    assert not model.carries_state
    assert history.history["perplexity"][-1] < 1.2


def test_config_round_trip():
    model = LanguageModel(RecurrentDecoder(10, 2, units=3), carry_state=True, name="lm")
    clone = LanguageModel.from_config(model.get_config())
    assert clone.carry_state and clone.name == "lm"
    assert clone.decoder.get_config() == model.decoder.get_config()


def test_keras_file_round_trip_keeps_outputs_and_no_carried_state(tmp_path):
    model = recurrent_model(carry_state=True)
    inputs = np.array([[4, 5, 6], [7, 8, 0]], np.int32)
    model.fit(inputs, np.roll(inputs, -1, axis=1), batch_size=2, epochs=1, verbose=0)
    # The carried states are not weights: nothing of them is saved.
    assert len(model.weights) == len(model.decoder.weights)
    model.save(tmp_path / "lm.keras")
    loaded = keras.saving.load_model(tmp_path / "lm.keras")
    assert isinstance(loaded, LanguageModel) and loaded.carry_state
    np.testing.assert_allclose(loaded(inputs), model(inputs), atol=1e-6)
