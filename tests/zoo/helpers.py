"""Helpers shared by the zoo tests: tiny padded batches, round trips, a fresh Python."""

import copy
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np

VOCABULARY_SIZE = 10

# Rows of different lengths, none containing the padding id 0.
ROWS = [[4, 7, 2, 9, 3], [5, 1, 8]]


def pad(rows, length):
    """Right-pads token id rows with 0 to `length`, as int32 [batch, length]."""
    ids = np.zeros((len(rows), length), dtype="int32")
    for index, row in enumerate(rows):
        ids[index, : len(row)] = row
    return ids


def as_numpy(structure):
    """Converts a tensor, or a (nested) list / tuple of tensors, to NumPy."""
    if isinstance(structure, (list, tuple)):
        return [as_numpy(item) for item in structure]
    return keras.ops.convert_to_numpy(structure)


def assert_nested_close(actual, expected, atol=1e-5):
    actual, expected = as_numpy(actual), as_numpy(expected)
    if isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected)
        for actual_item, expected_item in zip(actual, expected):
            assert_nested_close(actual_item, expected_item, atol)
    else:
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=0)


def assert_config_round_trip(layer, *call_args, **call_kwargs):
    """from_config(get_config()) rebuilds the same config and, with the weights
    copied over, the same outputs. `layer` must already be built."""
    config = layer.get_config()
    # Some Keras from_config (keras.layers.RNN) pop keys from their argument.
    clone = type(layer).from_config(copy.deepcopy(config))
    assert clone.get_config() == config
    expected = layer(*call_args, **call_kwargs)
    clone(*call_args, **call_kwargs)  # builds the clone's weights
    clone.set_weights(layer.get_weights())
    assert_nested_close(clone(*call_args, **call_kwargs), expected)
    return clone


def assert_keras_file_round_trip(model, inputs, tmp_path):
    """model.save(.keras) then keras.saving.load_model gives the same outputs."""
    path = tmp_path / "m.keras"
    expected = model(inputs)
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert_nested_close(loaded(inputs), expected)
    return loaded


def wrap_in_model(layer, input_shape, dtype="float32", **call_kwargs):
    """A functional model around one layer, so the layer can be saved as .keras."""
    inputs = keras.Input(shape=input_shape, dtype=dtype)
    return keras.Model(inputs, layer(inputs, **call_kwargs))


def run_fresh_python(code, cwd, timeout=120):
    """Runs `code` in a new interpreter started in `cwd`; returns its stdout.

    The code ends by checking that nothing of seqzoo was imported, as in a
    serving process that has TensorFlow only.
    """
    code = textwrap.dedent(code) + textwrap.dedent(
        """
        import sys as _sys
        assert not any(name.startswith("seqzoo") for name in _sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
