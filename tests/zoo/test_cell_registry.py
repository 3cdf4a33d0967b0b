import keras
import numpy as np
import pytest

from seqzoo.zoo import AttentionDecoder, ElmanCell, IRNNCell, RecurrentDecoder, RecurrentEncoder
from seqzoo.zoo import cell_registry, recurrent_encoder
from seqzoo.zoo.cell_registry import CELL_NAMES, RECURRENT_LAYERS, recurrent_layer
from tests.zoo.helpers import VOCABULARY_SIZE, as_numpy

UNITS = 3

# Cell name -> (Keras layer class, class of its cell, number of state tensors).
EXPECTED = {
    "rnn": (keras.layers.RNN, ElmanCell, 1),
    "irnn": (keras.layers.RNN, IRNNCell, 1),
    "lstm": (keras.layers.LSTM, keras.layers.LSTMCell, 2),
    "gru": (keras.layers.GRU, keras.layers.GRUCell, 1),
}
UNKNOWN_CELL_MESSAGE = "cell must be one of 'rnn', 'irnn', 'lstm', 'gru', got 'transformer'."


def test_cell_names_are_the_table_in_a_fixed_order():
    assert CELL_NAMES == ("rnn", "irnn", "lstm", "gru")
    assert tuple(RECURRENT_LAYERS) == CELL_NAMES
    assert set(EXPECTED) == set(CELL_NAMES)


@pytest.mark.parametrize("cell", CELL_NAMES)
def test_each_cell_builds_its_layer_class_returning_outputs_and_states(cell):
    layer_class, cell_class, num_states = EXPECTED[cell]
    layer = recurrent_layer(cell, UNITS, name=f"{cell}_0")
    # Exact classes: an IRNN is not an Elman cell in disguise, nor the reverse.
    assert type(layer) is layer_class and type(layer.cell) is cell_class
    assert layer.name == f"{cell}_0"
    assert layer.return_sequences and layer.return_state
    outputs, *states = as_numpy(layer(np.ones((2, 5, 4), "float32")))
    assert outputs.shape == (2, 5, UNITS)
    assert [state.shape for state in states] == [(2, UNITS)] * num_states
    # The last output is the final h.
    np.testing.assert_allclose(outputs[:, -1], states[0], atol=1e-6)


def test_lstm_and_gru_keep_the_cudnn_eligible_settings():
    for cell in ("lstm", "gru"):
        layer = recurrent_layer(cell, UNITS)
        assert layer.cell.activation is keras.activations.tanh
        assert layer.cell.recurrent_activation is keras.activations.sigmoid
        assert layer.cell.use_bias and layer.cell.recurrent_dropout == 0.0
        assert not layer.unroll and layer.use_cudnn == "auto"
    assert recurrent_layer("gru", UNITS).cell.reset_after


def test_unknown_cell_is_one_sentence_naming_the_known_cells():
    with pytest.raises(ValueError) as error:
        recurrent_layer("transformer", UNITS)
    assert str(error.value) == UNKNOWN_CELL_MESSAGE
    assert str(error.value).count(".") == 1 and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RecurrentEncoder(VOCABULARY_SIZE, cell="transformer"),
        lambda: RecurrentDecoder(VOCABULARY_SIZE, cell="transformer"),
        lambda: AttentionDecoder(VOCABULARY_SIZE, cell="transformer"),
    ],
    ids=["RecurrentEncoder", "RecurrentDecoder", "AttentionDecoder"],
)
def test_zoo_layers_refuse_an_unknown_cell_with_the_registry_error(make):
    with pytest.raises(ValueError) as error:
        make()
    assert str(error.value) == UNKNOWN_CELL_MESSAGE


def test_recurrent_layers_still_importable_from_recurrent_encoder():
    assert recurrent_encoder.RECURRENT_LAYERS is cell_registry.RECURRENT_LAYERS
