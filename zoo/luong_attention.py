"""Multiplicative attention (Luong et al. 2015)."""

import keras
from keras import ops

from seqzoo.zoo.attention_readout import attend

SCORES = ("general", "dot")


@keras.saving.register_keras_serializable(package="seqzoo")
class LuongAttention(keras.layers.Layer):
    """Multiplicative attention: `score(q, k_s) = q^T W_a k_s` ("general") or `q^T k_s`
    ("dot").

    The weights are `softmax_s(score)` over the real source positions and the context
    is `sum_s weight_s * value_s`. `project_keys(values)` computes `W_a k_s` once per
    source, so a decoder step costs one dot product per position.

    Args:
        score: `"general"` (a learned `W_a [query_dim, value_dim]`) or `"dot"` (the
            query and the values must be equally wide).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Call arguments:
        query: `[batch, query_dim]` or `[batch, time, query_dim]`.
        values: `[batch, source_time, value_dim]`.
        source_mask: `[batch, source_time]` boolean, True at real positions, or None.
        keys: `project_keys(values)`, or None to compute it here.

    Returns:
        `(context [batch, (time,) value_dim], weights [batch, (time,) source_time])`.

    Examples:

    >>> import numpy as np
    >>> attention = LuongAttention()
    >>> query = np.ones((2, 3), "float32")
    >>> values = np.random.default_rng(0).normal(size=(2, 5, 6)).astype("float32")
    >>> context, weights = attention(query, values)
    >>> tuple(context.shape), np.allclose(np.asarray(weights).sum(-1), 1.0)
    ((2, 6), True)

    References:
        - [Luong et al., 2015. Effective Approaches to Attention-based Neural
          Machine Translation](https://arxiv.org/abs/1508.04025)
    """

    def __init__(self, score="general", **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # queries from masked RNN outputs are welcome
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}.")
        self.score = score

    def build(self, query_shape, values_shape=None, source_mask_shape=None, keys_shape=None):
        value_dim = values_shape[-1] if values_shape is not None else query_shape[-1]
        if self.score == "general":
            self.W_a = self.add_weight(
                shape=(query_shape[-1], value_dim), initializer="glorot_uniform", name="W_a"
            )
        elif value_dim != query_shape[-1]:
            raise ValueError(
                f"The dot score needs equally wide query and values, got {query_shape[-1]} "
                f"and {value_dim}."
            )

    def project_keys(self, values):
        """`W_a k_s` for every source position: `[batch, source_time, query_dim]`."""
        if self.score == "dot":
            return values
        return ops.matmul(values, ops.transpose(ops.cast(self.W_a, values.dtype)))

    def call(self, query, values, source_mask=None, keys=None):
        if keys is None:
            keys = self.project_keys(values)
        return attend(self._scores, query, keys, values, source_mask)

    def _scores(self, query, keys):
        return ops.cast(ops.einsum("btq,bsq->bts", query, keys), "float32")

    def compute_mask(self, *args, **kwargs):
        # The source mask is an argument; outputs carry no Keras mask.
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"score": self.score})
        return config
