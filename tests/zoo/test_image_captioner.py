"""ImageCaptioner: every decoder, steps against teacher forcing, features path, .keras round trip."""

import numpy as np
import pytest

from seqzoo.zoo import AttentionDecoder, ImageCaptioner, RecurrentDecoder, SmallCNNEncoder, TransformerDecoder

from .helpers import assert_keras_file_round_trip, pad

TARGET = [[2, 4, 5, 6], [2, 7, 8]]
KINDS = ["show-and-tell", "show-attend-tell", "transformer"]


def build(kind):
    if kind == "show-and-tell":
        decoder = RecurrentDecoder(9, 4, cell="lstm", units=6)
    elif kind == "show-attend-tell":
        decoder = AttentionDecoder(9, 4, cell="gru", units=6)
    else:
        decoder = TransformerDecoder(9, 8, num_layers=1, num_heads=2, intermediate_dim=8, max_length=8,
                                     dropout=0.0, cross_attention=True)
    feature_dim = 8 if kind == "transformer" else 6
    return ImageCaptioner(SmallCNNEncoder((3, 5)), decoder, image_height=8, image_width=12, feature_dim=feature_dim)


def images(seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(2, 8, 12, 3)).astype("float32")


@pytest.mark.parametrize("kind", KINDS)
def test_steps_equal_teacher_forcing_and_padding_changes_nothing(kind):
    model = build(kind)
    target = pad(TARGET, 4)
    logits = np.asarray(model({"images": images(), "target_ids": target}))
    longer = np.asarray(model({"images": images(), "target_ids": pad(TARGET, 6)}))
    np.testing.assert_allclose(longer[0, :4], logits[0], atol=1e-5)
    np.testing.assert_allclose(longer[1, :3], logits[1, :3], atol=1e-5)
    state = model.encode(images(), max_new_tokens=4)
    for t in range(3):
        step_logits, state = model.step(target[:, t], state)
        np.testing.assert_allclose(np.asarray(step_logits), logits[:, t], atol=1e-4)


@pytest.mark.parametrize("kind", KINDS)
def test_cached_features_give_the_same_logits_as_images(kind):
    model = build(kind)
    target = pad(TARGET, 4)
    from_images = np.asarray(model({"images": images(1), "target_ids": target}))
    features = model.encode_images(images(1), training=False)
    assert tuple(features.shape) == (2, 2 * 3, 5)
    from_features = np.asarray(model({"features": features, "target_ids": target}))
    np.testing.assert_allclose(from_features, from_images, atol=1e-5)


def test_the_image_changes_the_caption_logits():
    model = build("show-and-tell")
    target = pad(TARGET, 4)
    a = np.asarray(model({"images": images(0), "target_ids": target}))
    b = np.asarray(model({"images": images(5), "target_ids": target}))
    assert np.abs(a - b).max() > 1e-4


@pytest.mark.parametrize("kind", ["show-attend-tell", "transformer"])
def test_attention_weights_cover_the_region_grid(kind):
    model = build(kind)
    assert model.has_attention and model.grid_shape() == (2, 3)
    state = model.encode(images(), max_new_tokens=3)
    _, _, weights = model.step(np.array([2, 2], "int32"), state, return_attention=True)
    weights = np.asarray(weights)
    assert weights.shape == (2, 6)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)


def test_show_and_tell_has_no_attention():
    model = build("show-and-tell")
    assert not model.has_attention
    with pytest.raises(ValueError, match="no attention"):
        model.step(np.array([2, 2], "int32"), model.encode(images()), return_attention=True)


@pytest.mark.parametrize("kind", KINDS)
def test_keras_file_round_trip(kind, tmp_path):
    model = build(kind)
    inputs = {"images": images(), "target_ids": pad(TARGET, 4)}
    model(inputs)
    assert_keras_file_round_trip(model, inputs, tmp_path)
