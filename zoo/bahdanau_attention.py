"""Additive attention (Bahdanau et al. 2015)."""

import keras
from keras import ops

from seqzoo.zoo.attention_readout import attend


@keras.saving.register_keras_serializable(package="seqzoo")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: `score(q, k_s) = v^T tanh(W_query^T q + W_key^T k_s)`.

    The weights over the source positions are `softmax_s(score)` (masked positions
    get none) and the context is `sum_s weight_s * value_s`. The keys are the values
    projected by `W_key`; `project_keys(values)` computes them once per source so that
    a decoder step costs one query projection.

    Args:
        units: int. Size of the hidden layer of the score (`W_query`, `W_key`, `v`).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Call arguments:
        query: `[batch, query_dim]` (one decoder step) or `[batch, time, query_dim]`
            (every target position at once).
        values: `[batch, source_time, value_dim]` (the encoder outputs).
        source_mask: `[batch, source_time]` boolean, True at real positions, or None.
        keys: `project_keys(values)`, or None to compute it here.

    Returns:
        `(context [batch, (time,) value_dim], weights [batch, (time,) source_time])`.

    Examples:

    >>> import numpy as np
    >>> attention = BahdanauAttention(units=4)
    >>> query = np.ones((2, 3), "float32")
    >>> values = np.random.default_rng(0).normal(size=(2, 5, 6)).astype("float32")
    >>> mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    >>> context, weights = attention(query, values, source_mask=mask)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 6), (2, 5))
    >>> float(np.asarray(weights)[0, 3:].sum())
    0.0

    References:
        - [Bahdanau et al., 2015. Neural Machine Translation by Jointly Learning
          to Align and Translate](https://arxiv.org/abs/1409.0473)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # queries from masked RNN outputs are welcome
        self.units = units

    def build(self, query_shape, values_shape=None, source_mask_shape=None, keys_shape=None):
        value_dim = values_shape[-1] if values_shape is not None else query_shape[-1]
        self.W_query = self.add_weight(
            shape=(query_shape[-1], self.units), initializer="glorot_uniform", name="W_query"
        )
        self.W_key = self.add_weight(
            shape=(value_dim, self.units), initializer="glorot_uniform", name="W_key"
        )
        self.v = self.add_weight(shape=(self.units,), initializer="glorot_uniform", name="v")

    def project_keys(self, values):
        """`W_key^T k_s` for every source position: `[batch, source_time, units]`."""
        return ops.matmul(values, ops.cast(self.W_key, values.dtype))

    def call(self, query, values, source_mask=None, keys=None):
        if keys is None:
            keys = self.project_keys(values)
        return attend(self._scores, query, keys, values, source_mask)

    def _scores(self, query, keys):
        projected = ops.matmul(query, ops.cast(self.W_query, query.dtype))  # [b, t, units]
        hidden = ops.tanh(ops.expand_dims(projected, 2) + ops.expand_dims(keys, 1))
        return ops.cast(ops.einsum("btsu,u->bts", hidden, ops.cast(self.v, hidden.dtype)), "float32")

    def compute_mask(self, *args, **kwargs):
        # The source mask is an argument; outputs carry no Keras mask.
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config
