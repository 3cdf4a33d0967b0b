"""The recurrent cells of seqzoo, by name: the one table the recurrent layers build from.

`RECURRENT_LAYERS` maps each cell name to a factory `(units, name=None)` of a Keras
recurrent layer that reads a sequence and returns `(outputs, *states)`: every step's
output (`return_sequences=True`) and the final states (`[h, c]` for an LSTM, `[h]`
otherwise). `CELL_NAMES` lists the names in a fixed order, and `recurrent_layer` builds
a layer by name, refusing an unknown name in one sentence.

- `"rnn"`: `ElmanCell` (Elman 1990) in `keras.layers.RNN`;
- `"irnn"`: `IRNNCell` (Le et al. 2015) in `keras.layers.RNN`;
- `"lstm"`, `"gru"`: `keras.layers.LSTM` / `keras.layers.GRU`, set up so that they
  run on the fused cuDNN kernel on a GPU.

`RecurrentEncoder`, `RecurrentDecoder` and `AttentionDecoder` take their `cell`
argument from this table.

Examples:

>>> import numpy as np
>>> from seqzoo.zoo.cell_registry import CELL_NAMES, recurrent_layer
>>> CELL_NAMES
('rnn', 'irnn', 'lstm', 'gru')
>>> layer = recurrent_layer("lstm", 3, name="lstm_0")
>>> type(layer).__name__, layer.name
('LSTM', 'lstm_0')
>>> outputs, h, c = layer(np.ones((2, 5, 4), "float32"))
>>> tuple(outputs.shape), tuple(h.shape), tuple(c.shape)
((2, 5, 3), (2, 3), (2, 3))
>>> recurrent_layer("transformer", 3)
Traceback (most recent call last):
    ...
ValueError: cell must be one of 'rnn', 'irnn', 'lstm', 'gru', got 'transformer'.
"""

import keras

from seqzoo.zoo.elman_cell import ElmanCell
from seqzoo.zoo.irnn_cell import IRNNCell

# Every factory's layer returns every step's output and the final states.
_SEQUENCES_AND_STATES = dict(return_sequences=True, return_state=True)

# Keras runs LSTM and GRU on the fused cuDNN kernel only with these settings:
# activation tanh, recurrent_activation sigmoid, use_bias True, recurrent_dropout 0,
# unroll False (and, for GRU, reset_after True). Any other value silently falls back to
# a loop several times slower on a GPU. cuDNN also needs right-padded masks with at
# least one real step per row, which `RecurrentTokenLayer._recurrent_mask` gives.
_CUDNN_SETTINGS = dict(
    activation="tanh",
    recurrent_activation="sigmoid",
    use_bias=True,
    recurrent_dropout=0.0,
    unroll=False,
)


def _elman(units, name=None):
    return keras.layers.RNN(ElmanCell(units), **_SEQUENCES_AND_STATES, name=name)


def _irnn(units, name=None):
    return keras.layers.RNN(IRNNCell(units), **_SEQUENCES_AND_STATES, name=name)


def _lstm(units, name=None):
    return keras.layers.LSTM(units, **_CUDNN_SETTINGS, **_SEQUENCES_AND_STATES, name=name)


def _gru(units, name=None):
    return keras.layers.GRU(
        units, **_CUDNN_SETTINGS, reset_after=True, **_SEQUENCES_AND_STATES, name=name
    )


# Cell name -> factory of a Keras recurrent layer (sequence -> (outputs, *states)).
RECURRENT_LAYERS = {"rnn": _elman, "irnn": _irnn, "lstm": _lstm, "gru": _gru}

CELL_NAMES = tuple(RECURRENT_LAYERS)


def recurrent_layer(cell, units, **kwargs):
    """A new Keras recurrent layer of `units` units for the cell named `cell`.

    Args:
        cell: one of `CELL_NAMES`.
        units: int. State size.
        **kwargs: passed to the factory; `name` names the layer (and so its weights).

    Returns:
        A Keras layer that maps `[batch, time, features]` to `(outputs [batch, time,
        units], *states)`.

    Raises:
        ValueError: for a name not in the table, naming the cells there are.
    """
    if cell not in RECURRENT_LAYERS:
        known = ", ".join(repr(name) for name in RECURRENT_LAYERS)
        raise ValueError(f"cell must be one of {known}, got {cell!r}.")
    return RECURRENT_LAYERS[cell](units, **kwargs)
