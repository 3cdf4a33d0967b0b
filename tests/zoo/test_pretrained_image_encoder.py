"""PretrainedImageEncoder: a keras.applications backbone as a region grid, frozen or not,
weights from a local file, never re-read when a saved model is loaded."""

import keras
import numpy as np
import pytest

from seqzoo.zoo import PretrainedImageEncoder


def test_frozen_backbone_gives_a_region_grid_and_trains_nothing():
    encoder = PretrainedImageEncoder("MobileNetV3Small", 64, 64)
    outputs = np.asarray(encoder(np.zeros((2, 64, 64, 3), "float32")))
    rows, columns = encoder.grid_shape()
    assert outputs.shape == (2, rows * columns, encoder.output_dim) == (2, 4, 576)
    assert encoder.trainable_weights == []


def test_fine_tuned_backbone_has_trainable_weights():
    encoder = PretrainedImageEncoder("MobileNetV3Small", 32, 32, trainable=True)
    assert len(encoder.trainable_weights) > 10


def test_local_weights_file_is_loaded_and_from_config_does_not_read_it_again(tmp_path):
    source = keras.applications.MobileNetV3Small(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "mobilenet_v3_small_no_top.weights.h5"
    source.save_weights(path)
    encoder = PretrainedImageEncoder("MobileNetV3Small", 32, 32, weights=str(path))
    for expected, actual in zip(source.get_weights(), encoder.backbone.get_weights()):
        np.testing.assert_array_equal(actual, expected)
    path.unlink()  # the config still names it; a saved model must not need it
    clone = PretrainedImageEncoder.from_config(encoder.get_config())
    assert clone.get_config()["backbone"] == "MobileNetV3Small"


def test_unknown_backbone_lists_the_known_ones():
    with pytest.raises(ValueError, match="MobileNetV3Small"):
        PretrainedImageEncoder("AlexNet", 32, 32)
