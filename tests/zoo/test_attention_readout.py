"""`read_out`: the mask, softmax and weighted sum that Bahdanau and Luong attention share."""

import numpy as np

from seqzoo.zoo.attention_readout import read_out


def test_padded_positions_get_no_weight_and_the_context_is_the_weighted_sum():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(2, 3, 4)).astype("float32")
    values = rng.normal(size=(2, 4, 5)).astype("float32")
    mask = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], bool)
    context, weights = read_out(scores, values, mask)
    weights, context = np.asarray(weights), np.asarray(context)
    expected = np.where(mask[:, None, :], np.exp(scores), 0.0)
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(context, np.einsum("bts,bsd->btd", expected, values), rtol=1e-5, atol=1e-6)


def test_a_row_without_any_real_position_gets_uniform_weights_not_nan():
    _, weights = read_out(np.zeros((1, 1, 3), "float32"), np.ones((1, 3, 2), "float32"), np.zeros((1, 3), bool))
    np.testing.assert_allclose(np.asarray(weights), np.full((1, 1, 3), 1 / 3), rtol=1e-6)
