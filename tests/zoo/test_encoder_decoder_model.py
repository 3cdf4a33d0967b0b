"""EncoderDecoderModel: every pairing, padding on both sides, steps, .keras round trip."""

import numpy as np
import pytest

from seqzoo.zoo import (
    AttentionDecoder,
    EncoderDecoderModel,
    RecurrentDecoder,
    RecurrentEncoder,
    TransformerDecoder,
    TransformerEncoder,
)

from .helpers import assert_keras_file_round_trip, pad

SOURCE = [[4, 7, 5, 9, 3], [5, 6, 8]]
TARGET = [[2, 4, 5, 6], [2, 7, 8]]


def build(kind):
    if kind == "seq2seq":
        return EncoderDecoderModel(RecurrentEncoder(10, 4, cell="lstm", units=6),
                                   RecurrentDecoder(9, 4, cell="lstm", units=6))
    if kind == "bahdanau":
        return EncoderDecoderModel(RecurrentEncoder(10, 4, cell="gru", units=3, bidirectional=True),
                                   AttentionDecoder(9, 4, cell="gru", units=6))
    if kind == "luong":
        return EncoderDecoderModel(RecurrentEncoder(10, 4, cell="lstm", units=6),
                                   AttentionDecoder(9, 4, cell="lstm", units=6, attention="luong"))
    return EncoderDecoderModel(
        TransformerEncoder(10, 8, num_layers=1, num_heads=2, intermediate_dim=8, max_length=8, dropout=0.0),
        TransformerDecoder(9, 8, num_layers=1, num_heads=2, intermediate_dim=8, max_length=8, dropout=0.0,
                           cross_attention=True))


KINDS = ["seq2seq", "bahdanau", "luong", "transformer"]


@pytest.mark.parametrize("kind", KINDS)
def test_padding_on_either_side_changes_nothing(kind):
    model = build(kind)
    logits = np.asarray(model({"source_ids": pad(SOURCE, 5), "target_ids": pad(TARGET, 4)}))
    longer = np.asarray(model({"source_ids": pad(SOURCE, 7), "target_ids": pad(TARGET, 6)}))
    np.testing.assert_allclose(longer[0, :4], logits[0], atol=1e-5)
    np.testing.assert_allclose(longer[1, :3], logits[1, :3], atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_steps_equal_teacher_forcing(kind):
    model = build(kind)
    source, target = pad(SOURCE, 5), pad(TARGET, 4)
    logits = np.asarray(model({"source_ids": source, "target_ids": target}))
    state = model.encode(source, max_new_tokens=4)
    for t in range(3):
        step_logits, state = model.step(target[:, t], state)
        np.testing.assert_allclose(np.asarray(step_logits), logits[:, t], atol=1e-4)


def test_plain_seq2seq_has_no_attention():
    model = build("seq2seq")
    model({"source_ids": pad(SOURCE, 5), "target_ids": pad(TARGET, 4)})
    assert not model.has_attention
    with pytest.raises(ValueError, match="no attention"):
        model.step(np.array([2, 2], "int32"), model.encode(pad(SOURCE, 5)), return_attention=True)


@pytest.mark.parametrize("kind", ["bahdanau", "transformer"])
def test_keras_file_round_trip(kind, tmp_path):
    model = build(kind)
    inputs = {"source_ids": pad(SOURCE, 5), "target_ids": pad(TARGET, 4)}
    model(inputs)
    assert_keras_file_round_trip(model, inputs, tmp_path)


@pytest.mark.parametrize("kind", ["luong", "transformer"])
def test_per_head_attention_averages_to_the_attention(kind):
    model = build(kind)
    source = pad(SOURCE, 5)
    model({"source_ids": source, "target_ids": pad(TARGET, 4)})
    state = model.encode(source, max_new_tokens=4)
    _, _, averaged = model.step(np.array([2, 2], "int32"), state, return_attention=True)
    _, _, heads = model.step(np.array([2, 2], "int32"), state, return_attention=True, per_head=True)
    heads = np.asarray(heads)
    assert heads.shape == (2, model.attention_heads, 5)
    np.testing.assert_allclose(heads.mean(axis=1), np.asarray(averaged), atol=1e-6)
    np.testing.assert_allclose(heads.sum(axis=-1), 1.0, atol=1e-5)
    assert heads[1, :, 3:].max() == 0.0  # no weight on padding
