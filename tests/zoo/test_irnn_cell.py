import keras
import numpy as np

from seqzoo.zoo import ElmanCell, IRNNCell
from tests.zoo.helpers import (
    assert_config_round_trip,
    assert_keras_file_round_trip,
    wrap_in_model,
)


def random_inputs():
    return np.random.default_rng(2).normal(size=(2, 5, 3)).astype("float32")


def irnn_numpy(x, W_hx, W_hh, b_h):
    h = np.zeros((x.shape[0], W_hh.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        h = np.maximum(x[:, t] @ W_hx + h @ W_hh + b_h, 0.0)
        outputs.append(h)
    return np.stack(outputs, axis=1)


def test_recurrent_weights_start_as_identity_and_bias_as_zero():
    cell = IRNNCell(4)
    keras.layers.RNN(cell)(random_inputs())
    np.testing.assert_array_equal(cell.W_hh.numpy(), np.eye(4))
    np.testing.assert_array_equal(cell.b_h.numpy(), np.zeros(4))
    assert isinstance(cell, ElmanCell)


def test_identity_gain_scales_the_identity():
    cell = IRNNCell(4, identity_gain=0.5)
    keras.layers.RNN(cell)(random_inputs())
    np.testing.assert_allclose(cell.W_hh.numpy(), 0.5 * np.eye(4))


def test_golden_outputs_match_relu_equations():
    cell = IRNNCell(4)
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = random_inputs()
    outputs = layer(x)
    # Perturb the weights away from their initial values, so the check
    # covers a general W_hh and b_h, not only the identity and zeros.
    rng = np.random.default_rng(3)
    for weight in cell.weights:
        weight.assign(weight.numpy() + 0.1 * rng.normal(size=weight.shape))
    outputs = layer(x)
    expected = irnn_numpy(x, cell.W_hx.numpy(), cell.W_hh.numpy(), cell.b_h.numpy())
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
    assert np.min(outputs) >= 0.0


def test_at_initialisation_the_state_accumulates_relu_inputs():
    # With W_hh = I and b_h = 0, h_t = relu(h_{t-1} + x_t W_hx); for inputs
    # whose projection is positive, h_t is the running sum of projections.
    cell = IRNNCell(2, kernel_initializer="ones")
    x = np.ones((1, 3, 1), dtype="float32")
    outputs = keras.layers.RNN(cell, return_sequences=True)(x)
    np.testing.assert_allclose(outputs[0], [[1, 1], [2, 2], [3, 3]])


def test_config_round_trip():
    cell = IRNNCell(4, output_units=2, identity_gain=0.1)
    config = cell.get_config()
    assert config["identity_gain"] == 0.1
    assert "activation" not in config and "recurrent_initializer" not in config
    assert IRNNCell.from_config(config).get_config() == config
    assert_config_round_trip(keras.layers.RNN(cell, return_sequences=True), random_inputs())


def test_keras_file_round_trip(tmp_path):
    model = wrap_in_model(keras.layers.RNN(IRNNCell(4), return_sequences=True), (None, 3))
    loaded = assert_keras_file_round_trip(model, random_inputs(), tmp_path)
    assert isinstance(loaded.layers[-1].cell, IRNNCell)
