"""A learned vector per position, added to token vectors by the caller."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqzoo")
class PositionEmbedding(keras.layers.Layer):
    """Learned position embeddings for inputs `[batch, time, dim]`.

    Returns the embeddings of positions `0 .. time - 1`, broadcast to the
    shape of the inputs, so that `x + PositionEmbedding(...)(x)` gives the
    token vectors their order (keras-hub convention).

    Args:
        max_length: int. Longest sequence the layer accepts; one vector is
            learned per position.
        initializer: initializer of the position vectors.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import PositionEmbedding
    >>> layer = PositionEmbedding(max_length=8)
    >>> positions = layer(np.zeros((2, 5, 4), dtype="float32"))
    >>> tuple(positions.shape)
    (2, 5, 4)
    >>> bool(np.array_equal(positions[0], positions[1]))
    True

    References:
        - [Gehring et al., 2017. Convolutional Sequence to Sequence Learning](
          https://arxiv.org/abs/1705.03122)
        - [Devlin et al., 2018. BERT](https://arxiv.org/abs/1810.04805)
    """

    def __init__(self, max_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if max_length < 1:
            raise ValueError(f"max_length must be positive, got {max_length}.")
        self.max_length = max_length
        self.initializer = keras.initializers.get(initializer)
        # The positions line up with the inputs, and so does their mask.
        self.supports_masking = True

    def build(self, inputs_shape):
        feature_size = inputs_shape[-1]
        self.position_embeddings = self.add_weight(
            shape=(self.max_length, feature_size),
            initializer=self.initializer,
            name="position_embeddings",
        )

    def call(self, inputs):
        length = inputs.shape[-2]
        if length is not None and length > self.max_length:
            raise ValueError(
                f"Sequences of length {length} exceed max_length="
                f"{self.max_length} of {self.name}; truncate them or build "
                f"the model with a larger max_length."
            )
        shape = ops.shape(inputs)
        positions = ops.slice(
            self.position_embeddings, (0, 0), (shape[-2], shape[-1])
        )
        return ops.broadcast_to(ops.cast(positions, self.compute_dtype), shape)

    def compute_output_shape(self, inputs_shape):
        return inputs_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_length": self.max_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config
