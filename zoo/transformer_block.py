"""What every Transformer block shares: its settings and the feed-forward sublayer."""

import keras


class TransformerBlock(keras.layers.Layer):
    """The common base of `TransformerEncoderBlock` and `TransformerDecoderBlock`.

    It keeps the settings both blocks take (and returns them from
    `get_config`), checks that the inputs' feature size splits into
    `num_heads` heads, and makes the layers both blocks build the same way:
    their layer normalisations and the position-wise feed-forward network
    `output_dense(intermediate_dense(x))` with its `feedforward_norm`. The
    attention sublayers, and how the residual connections use these layers,
    are each block's own.

    It is never saved under its own name (its subclasses are), so it is not
    registered for serialization.

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

    Examples:

    >>> from seqzoo.zoo import TransformerDecoderBlock, TransformerEncoderBlock
    >>> issubclass(TransformerEncoderBlock, TransformerBlock)
    True
    >>> issubclass(TransformerDecoderBlock, TransformerBlock)
    True
    >>> block = TransformerEncoderBlock(num_heads=2, intermediate_dim=8)
    >>> block.build((2, 5, 4))
    >>> tuple(block.intermediate_dense.kernel.shape), tuple(block.output_dense.kernel.shape)
    ((4, 8), (8, 4))
    >>> TransformerEncoderBlock(num_heads=3, intermediate_dim=8).build((2, 5, 4))
    Traceback (most recent call last):
        ...
    ValueError: The feature size 4 must be divisible by num_heads=3.
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

    def _feature_size(self, inputs_shape):
        """The inputs' feature size, once checked to split into the heads."""
        feature_size = inputs_shape[-1]
        if feature_size % self.num_heads:
            raise ValueError(
                f"The feature size {feature_size} must be divisible by "
                f"num_heads={self.num_heads}."
            )
        return feature_size

    def _norm(self, name, shape):
        """A new layer normalisation of the block, built for `shape`."""
        layer = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name=name
        )
        layer.build(shape)
        return layer

    def _build_feedforward(self, inputs_shape):
        """Makes and builds `intermediate_dense`, `output_dense`, `feedforward_norm`."""
        inputs_shape = tuple(inputs_shape)
        self.intermediate_dense = keras.layers.Dense(
            self.intermediate_dim,
            activation=self.activation,
            dtype=self.dtype_policy,
            name="intermediate_dense",
        )
        self.intermediate_dense.build(inputs_shape)
        self.output_dense = keras.layers.Dense(
            inputs_shape[-1], dtype=self.dtype_policy, name="output_dense"
        )
        self.output_dense.build(inputs_shape[:-1] + (self.intermediate_dim,))
        self.feedforward_norm = self._norm("feedforward_norm", inputs_shape)

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
