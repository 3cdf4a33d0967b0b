"""AttentionDecoder: one step at a time equals teacher forcing; padding changes nothing."""

import numpy as np
import pytest

from seqzoo.zoo import AttentionDecoder

from .helpers import assert_config_round_trip, pad


@pytest.mark.parametrize("cell,attention", [("lstm", "bahdanau"), ("gru", "luong")])
def test_steps_equal_teacher_forcing(cell, attention):
    rng = np.random.default_rng(0)
    decoder = AttentionDecoder(10, embedding_dim=4, cell=cell, units=6, attention=attention)
    values = rng.normal(size=(2, 5, 6)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    states = [rng.normal(size=(2, 6)).astype("float32") for _ in range(2 if cell == "lstm" else 1)]
    ids = pad([[2, 4, 7, 9], [2, 5, 8, 3]], 4)
    logits, weights = decoder(ids, values, encoder_mask=mask, initial_state=states, return_attention=True)
    state = decoder.get_initial_state(values, mask, initial_state=states)
    for t in range(4):
        step_logits, state, step_weights = decoder.step(ids[:, t], state, return_attention=True)
        np.testing.assert_allclose(np.asarray(step_logits), np.asarray(logits)[:, t], atol=1e-5)
        np.testing.assert_allclose(np.asarray(step_weights), np.asarray(weights)[:, t], atol=1e-5)
    assert np.asarray(weights)[0, :, 3:].max() == 0.0  # no weight on padded source


def test_target_padding_changes_nothing_at_real_positions():
    rng = np.random.default_rng(1)
    decoder = AttentionDecoder(10, embedding_dim=4, cell="gru", units=6)
    values = rng.normal(size=(2, 5, 6)).astype("float32")
    short = decoder(pad([[2, 4, 7], [2, 5]], 3), values)
    long = decoder(pad([[2, 4, 7], [2, 5]], 6), values)
    np.testing.assert_allclose(np.asarray(long)[0, :3], np.asarray(short)[0], atol=1e-5)
    np.testing.assert_allclose(np.asarray(long)[1, :2], np.asarray(short)[1, :2], atol=1e-5)


def test_config_round_trip():
    decoder = AttentionDecoder(10, embedding_dim=4, cell="gru", units=6, attention="luong")
    ids, values = pad([[2, 4], [2]], 2), np.ones((2, 3, 6), "float32")
    decoder(ids, values)
    assert_config_round_trip(decoder, ids, values)
