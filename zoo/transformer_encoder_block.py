"""One Transformer encoder block: self-attention and a feed-forward network."""

import keras
from keras import ops

from seqzoo.zoo.transformer_block import TransformerBlock


@keras.saving.register_keras_serializable(package="seqzoo")
class TransformerEncoderBlock(TransformerBlock):
    """Self-attention then a position-wise feed-forward network.

    Each of the two sublayers has a residual connection and layer
    normalisation, either after the residual sum (post-norm, as in Vaswani et
    al. 2017) or at the sublayer's input (pre-norm, Xiong et al. 2020, which
    trains more stably without learning-rate warm-up):

        post-norm: x = norm(x + sublayer(x))
        pre-norm:  x = x + sublayer(norm(x))

    Padded positions are never attended to, so they change nothing at the
    real positions.

    Args:
        num_heads: int. Number of attention heads; the feature size of the
            inputs must be divisible by it.
        intermediate_dim: int. Hidden size of the feed-forward network.
        dropout: float. Dropout on the attention weights and on each
            sublayer's output, during training.
        activation: activation of the feed-forward network.
        norm_first: bool. True for pre-norm, False for post-norm.
        layer_norm_epsilon: float. Epsilon of the layer normalisations.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: `[batch, time, dim]` float tensor.
        padding_mask: `[batch, time]` boolean, True at real tokens. When None,
            the Keras mask attached to `inputs` is used, if any.
        training: bool, whether dropout is active.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import TransformerEncoderBlock
    >>> block = TransformerEncoderBlock(num_heads=2, intermediate_dim=8)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    >>> mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    >>> tuple(block(x, padding_mask=mask).shape)
    (2, 5, 4)

    References:
        - [Vaswani et al., 2017. Attention Is All You Need](
          https://arxiv.org/abs/1706.03762)
        - [Xiong et al., 2020. On Layer Normalization in the Transformer
          Architecture](https://arxiv.org/abs/2002.04745)
    """

    def build(self, inputs_shape):
        feature_size = self._feature_size(inputs_shape)
        self.attention = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads,
            key_dim=feature_size // self.num_heads,
            dropout=self.dropout,
            dtype=self.dtype_policy,
            name="self_attention",
        )
        self.attention.build(inputs_shape, inputs_shape)
        self.attention_norm = self._norm("attention_norm", inputs_shape)
        self.attention_dropout = keras.layers.Dropout(self.dropout)
        self._build_feedforward(inputs_shape)
        self.feedforward_dropout = keras.layers.Dropout(self.dropout)

    def call(self, inputs, padding_mask=None, training=None, mask=None):
        if padding_mask is None:
            padding_mask = mask
        attention_mask = None
        if padding_mask is not None:
            padding_mask = ops.cast(padding_mask, "bool")
            # [batch, query, key]: every query sees the real keys only.
            attention_mask = ops.logical_and(
                ops.expand_dims(ops.ones_like(padding_mask), 2),
                ops.expand_dims(padding_mask, 1),
            )

        x = inputs
        residual = x
        if self.norm_first:
            x = self.attention_norm(x)
        x = self.attention(
            x, x, attention_mask=attention_mask, training=training
        )
        x = residual + self.attention_dropout(x, training=training)
        if not self.norm_first:
            x = self.attention_norm(x)

        residual = x
        if self.norm_first:
            x = self.feedforward_norm(x)
        x = self.output_dense(self.intermediate_dense(x))
        x = residual + self.feedforward_dropout(x, training=training)
        if not self.norm_first:
            x = self.feedforward_norm(x)
        return x

    def compute_mask(self, inputs, previous_mask=None):
        # The Keras mask of the inputs is the mask of the outputs (defining this
        # also makes Keras treat the block as supporting masks).
        return previous_mask

    def compute_output_shape(self, inputs_shape):
        return inputs_shape
