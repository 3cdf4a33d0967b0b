"""SmallCNNEncoder: grid shape, row-by-row regions, config round trip."""

import numpy as np
import pytest

from seqzoo.zoo import SmallCNNEncoder

from .helpers import assert_config_round_trip


@pytest.mark.parametrize("height, width, filters", [(8, 12, (2, 3)), (9, 13, (2, 3, 4)), (32, 112, (2,))])
def test_grid_shape_matches_the_output(height, width, filters):
    encoder = SmallCNNEncoder(filters)
    outputs = np.asarray(encoder(np.zeros((2, height, width, 3), "float32")))
    rows, columns = encoder.grid_shape(height, width)
    assert outputs.shape == (2, rows * columns, filters[-1])
    assert encoder.compute_output_shape((2, height, width, 3)) == (2, rows * columns, filters[-1])


def test_regions_are_read_row_by_row_from_the_image():
    encoder = SmallCNNEncoder((4,), kernel_size=1)
    images = np.zeros((1, 4, 6, 3), "float32")
    encoder(images)
    # Only the bottom-right 2x2 block differs: it is the last region of the 2x3 grid.
    changed = images.copy()
    changed[0, 2:, 4:] = 255.0
    difference = np.abs(np.asarray(encoder(changed)) - np.asarray(encoder(images))).sum(axis=-1)[0]
    assert difference[-1] > 0 and np.all(difference[:-1] == 0)


def test_config_round_trip():
    encoder = SmallCNNEncoder((3, 5), kernel_size=3, dropout=0.1)
    images = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    encoder(images)
    assert_config_round_trip(encoder, images)
