"""Recurrent layers traced as unrolled steps of their cells, for graphs without loops.

A Keras recurrent layer (LSTM, GRU, `keras.layers.RNN` over an Elman or IRNN cell)
runs its cell in a `tf.while_loop` over a `TensorList`: TensorFlow Lite has no built-in
op for those (only Flex ops). Traced with `unroll=True` over a sequence of known length
(the fixed `max_length` of a portable export, or the one token of a decoder step), Keras
writes out every step of the same cell with the same mask handling instead, which needs
only built-in ops. The weights and the results stay those of the layer (at padded steps,
a backward layer's outputs repeat its last output rather than being zero; see below).

Examples:

>>> import keras, numpy as np
>>> from seqzoo.zoo import RecurrentEncoder
>>> encoder = RecurrentEncoder(10, embedding_dim=4, cell="gru", units=3)
>>> ids = np.array([[5, 6, 7, 0, 0]], "int32")
>>> looped = encoder(ids)[0]
>>> with unrolled_recurrence(encoder):
...     unrolled = encoder(ids)[0]
>>> bool(np.allclose(looped, unrolled, atol=1e-6)), encoder.recurrent_layers[0].unroll
(True, False)
"""

from __future__ import annotations

from contextlib import contextmanager

import keras


def recurrent_layers(layer) -> list:
    """Every Keras recurrent layer inside `layer` (both directions of a bidirectional one)."""
    inside = layer._flatten_layers(include_self=True, recursive=True)
    return [sublayer for sublayer in inside if isinstance(sublayer, keras.layers.RNN)]


@contextmanager
def unrolled_recurrence(layer):
    """Within the block, every recurrent layer of `layer` unrolls its steps when traced
    (see the module docstring); afterwards each is as it was."""
    layers = recurrent_layers(layer)
    before = [(sublayer.unroll, sublayer.zero_output_for_mask) for sublayer in layers]
    try:
        for sublayer in layers:
            sublayer.unroll = True
            if sublayer.go_backwards:
                # Keras's unrolled loop zeroes a backward layer's masked outputs in
                # processing order, not in the sequence's, which zeroes real steps; kept,
                # padded steps repeat the last output instead (`RecurrentEncoder` zeroes
                # them itself, and a next layer skips them).
                sublayer.zero_output_for_mask = False
        yield layers
    finally:
        for sublayer, (unroll, zero_output_for_mask) in zip(layers, before):
            sublayer.unroll = unroll
            sublayer.zero_output_for_mask = zero_output_for_mask
