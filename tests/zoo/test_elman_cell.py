import keras
import numpy as np
import pytest

from seqzoo.zoo import ElmanCell
from tests.zoo.helpers import (
    assert_config_round_trip,
    assert_keras_file_round_trip,
    wrap_in_model,
)


def elman_numpy(x, mask, W_hx, W_hh, b_h, W_hy=None):
    """The textbook equations, one step at a time; masked steps keep h."""
    batch, time, _ = x.shape
    h = np.zeros((batch, W_hh.shape[0]))
    hs, ys = [], []
    for t in range(time):
        h_new = np.tanh(x[:, t] @ W_hx + h @ W_hh + b_h)
        h = np.where(mask[:, t : t + 1], h_new, h)
        hs.append(h)
        ys.append(h if W_hy is None else h @ W_hy)
    return np.stack(ys, axis=1), h


def weights_by_name(cell):
    return {weight.name: weight.numpy() for weight in cell.weights}


def random_inputs(batch=2, time=5, features=3):
    return np.random.default_rng(1).normal(size=(batch, time, features)).astype("float32")


def test_weights_carry_the_textbook_names_and_shapes():
    cell = ElmanCell(4, output_units=2)
    keras.layers.RNN(cell)(random_inputs())
    assert [weight.name for weight in cell.weights] == ["W_hx", "W_hh", "b_h", "W_hy"]
    assert all(weight.path.endswith(weight.name) for weight in cell.weights)
    shapes = {weight.name: tuple(weight.shape) for weight in cell.weights}
    assert shapes == {"W_hx": (3, 4), "W_hh": (4, 4), "b_h": (4,), "W_hy": (4, 2)}
    assert cell.state_size == 4 and cell.output_size == 2


def test_without_bias_or_output_units_there_is_no_b_h_or_W_hy():
    cell = ElmanCell(4, use_bias=False)
    keras.layers.RNN(cell)(random_inputs())
    assert [weight.name for weight in cell.weights] == ["W_hx", "W_hh"]
    assert cell.output_size == 4


def test_golden_hidden_states_match_the_equations():
    cell = ElmanCell(4, bias_initializer="random_normal")
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    x = random_inputs()
    outputs, final_h = layer(x)
    w = weights_by_name(cell)
    expected_outputs, expected_h = elman_numpy(
        x, np.ones((2, 5), bool), w["W_hx"], w["W_hh"], w["b_h"]
    )
    np.testing.assert_allclose(outputs, expected_outputs, atol=1e-5)
    np.testing.assert_allclose(final_h, expected_h, atol=1e-5)


def test_golden_outputs_y_t_match_the_equations():
    cell = ElmanCell(4, output_units=2, bias_initializer="random_normal")
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    x = random_inputs()
    outputs, final_h = layer(x)
    w = weights_by_name(cell)
    expected_outputs, expected_h = elman_numpy(
        x, np.ones((2, 5), bool), w["W_hx"], w["W_hh"], w["b_h"], w["W_hy"]
    )
    assert outputs.shape == (2, 5, 2)
    np.testing.assert_allclose(outputs, expected_outputs, atol=1e-5)
    np.testing.assert_allclose(final_h, expected_h, atol=1e-5)


def test_golden_with_a_mask_the_state_is_kept_over_padded_steps():
    cell = ElmanCell(4)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    x = random_inputs()
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], dtype=bool)
    outputs, final_h = layer(x, mask=mask)
    w = weights_by_name(cell)
    expected_outputs, expected_h = elman_numpy(x, mask, w["W_hx"], w["W_hh"], w["b_h"])
    np.testing.assert_allclose(final_h, expected_h, atol=1e-5)
    np.testing.assert_allclose(outputs[mask], expected_outputs[mask], atol=1e-5)


def test_activation_is_configurable():
    cell = ElmanCell(4, activation="relu")
    outputs = keras.layers.RNN(cell, return_sequences=True)(random_inputs())
    assert np.min(outputs) >= 0.0


def test_rejects_non_positive_units():
    with pytest.raises(ValueError, match="units"):
        ElmanCell(0)


def test_config_round_trip():
    cell = ElmanCell(4, output_units=2, activation="relu", use_bias=False)
    config = cell.get_config()
    assert ElmanCell.from_config(config).get_config() == config
    layer = keras.layers.RNN(cell, return_sequences=True)
    assert_config_round_trip(layer, random_inputs())


def test_keras_file_round_trip(tmp_path):
    layer = keras.layers.RNN(ElmanCell(4, output_units=2), return_sequences=True)
    model = wrap_in_model(layer, (None, 3))
    loaded = assert_keras_file_round_trip(model, random_inputs(), tmp_path)
    assert isinstance(loaded.layers[-1].cell, ElmanCell)
