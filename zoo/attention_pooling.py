"""Masked additive attention pooling."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqzoo")
class AttentionPooling(keras.layers.Layer):
    """Pools `[batch, time, dim]` to `[batch, dim]` with learned attention.

    Each step `h_t` gets a score `s_t = v^T tanh(W h_t + b)`; the weights
    `a = softmax(s)` over the real steps average the steps:
    `pooled = sum_t a_t h_t`. Padded steps get weight exactly zero, so
    padding never changes the result. The mask is the `mask` call argument
    or, when None, the Keras mask attached to the inputs.

    Args:
        units: int. Size of the hidden layer `W` of the scoring network.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: `[batch, time, dim]` float tensor.
        mask: `[batch, time]` boolean, True at real steps.
        return_attention_scores: bool. Also return the weights
            `[batch, time]`.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import AttentionPooling
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    >>> mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    >>> pooled, weights = AttentionPooling(units=3)(
    ...     x, mask=mask, return_attention_scores=True
    ... )
    >>> tuple(pooled.shape), tuple(weights.shape)
    ((2, 4), (2, 5))
    >>> np.asarray(weights)[0, 3:].tolist()
    [0.0, 0.0]

    References:
        - [Yang et al., 2016. Hierarchical Attention Networks for Document
          Classification](https://aclanthology.org/N16-1174/)
        - [Lin et al., 2017. A Structured Self-attentive Sentence Embedding](
          https://arxiv.org/abs/1703.03130)
        - [Bahdanau et al., 2015. Neural Machine Translation by Jointly
          Learning to Align and Translate](https://arxiv.org/abs/1409.0473)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, inputs_shape):
        self.hidden = keras.layers.Dense(
            self.units,
            activation="tanh",
            dtype=self.dtype_policy,
            name="attention_hidden",
        )
        self.hidden.build(inputs_shape)
        self.score = keras.layers.Dense(
            1, use_bias=False, dtype=self.dtype_policy, name="attention_score"
        )
        self.score.build(tuple(inputs_shape[:-1]) + (self.units,))

    def call(self, inputs, mask=None, return_attention_scores=False):
        # Softmax in float32: a float16 large negative would overflow.
        scores = ops.cast(
            ops.squeeze(self.score(self.hidden(inputs)), -1), "float32"
        )
        if mask is not None:
            mask = ops.cast(mask, "bool")
            scores = ops.where(mask, scores, -1e9)
        weights = ops.softmax(scores, axis=-1)
        if mask is not None:
            # A row without any real step would spread its weight over the
            # padding; give it zero weight everywhere instead.
            weights = weights * ops.cast(mask, weights.dtype)
        weights = ops.cast(weights, inputs.dtype)
        pooled = ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)
        if return_attention_scores:
            return pooled, weights
        return pooled

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config
