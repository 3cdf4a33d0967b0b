"""One Transformer encoder block: self-attention and a feed-forward network."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqzoo")
class TransformerEncoderBlock(keras.layers.Layer):
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

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="relu",
        norm_first=False,
        layer_norm_epsilon=1e-5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout
        self.activation = keras.activations.get(activation)
        self.norm_first = norm_first
        self.layer_norm_epsilon = layer_norm_epsilon
        # The Keras mask of the inputs is the mask of the outputs.
        self.supports_masking = True

    def build(self, inputs_shape):
        feature_size = inputs_shape[-1]
        if feature_size % self.num_heads:
            raise ValueError(
                f"The feature size {feature_size} must be divisible by "
                f"num_heads={self.num_heads}."
            )
        self.attention = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads,
            key_dim=feature_size // self.num_heads,
            dropout=self.dropout,
            dtype=self.dtype_policy,
            name="self_attention",
        )
        self.attention.build(inputs_shape, inputs_shape)
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="attention_norm",
        )
        self.attention_norm.build(inputs_shape)
        self.attention_dropout = keras.layers.Dropout(self.dropout)
        self.intermediate_dense = keras.layers.Dense(
            self.intermediate_dim,
            activation=self.activation,
            dtype=self.dtype_policy,
            name="intermediate_dense",
        )
        self.intermediate_dense.build(inputs_shape)
        self.output_dense = keras.layers.Dense(
            feature_size, dtype=self.dtype_policy, name="output_dense"
        )
        self.output_dense.build(
            tuple(inputs_shape[:-1]) + (self.intermediate_dim,)
        )
        self.feedforward_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="feedforward_norm",
        )
        self.feedforward_norm.build(inputs_shape)
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

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "dropout": self.dropout,
                "activation": keras.activations.serialize(self.activation),
                "norm_first": self.norm_first,
                "layer_norm_epsilon": self.layer_norm_epsilon,
            }
        )
        return config
