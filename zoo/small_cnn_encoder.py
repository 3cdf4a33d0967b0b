"""A small convolutional image encoder trained from scratch, giving a grid of features."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqzoo")
class SmallCNNEncoder(keras.layers.Layer):
    """Images `[batch, height, width, 3]` (pixel values 0..255) -> a spatial feature grid
    `[batch, grid_height * grid_width, filters[-1]]`, row by row.

    Each block is a 3x3 convolution, batch normalisation, ReLU and a 2x2 max pooling
    ("same" padding, so a side of n pixels becomes ceil(n / 2)); the grid therefore has
    `ceil(height / 2**blocks)` rows. Each grid cell describes one image region, which a
    captioning decoder can attend to (Xu et al. 2015) or average (Vinyals et al. 2015).
    Needs no pretrained weights, so it works offline.

    Args:
        filters: tuple of ints, the channels of each block (one block per entry).
        kernel_size: int. Side of the square convolution kernels.
        dropout: float. Spatial dropout after the last block, in training.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> import numpy as np
    >>> encoder = SmallCNNEncoder(filters=(4, 8))
    >>> images = np.zeros((2, 12, 20, 3), "float32")
    >>> tuple(encoder(images).shape), encoder.grid_shape(12, 20)
    ((2, 15, 8), (3, 5))

    References:
        - [Xu et al., 2015. Show, Attend and Tell: Neural Image Caption Generation
          with Visual Attention](https://arxiv.org/abs/1502.03044)
    """

    def __init__(self, filters=(32, 64, 128), kernel_size=3, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        filters = tuple(int(f) for f in filters)
        if not filters:
            raise ValueError("filters needs at least one block.")

        # === Layers ===
        self.convolutions = [
            keras.layers.Conv2D(f, kernel_size, padding="same", use_bias=False, name=f"conv_{i}")
            for i, f in enumerate(filters)
        ]
        self.normalizations = [
            keras.layers.BatchNormalization(momentum=0.9, name=f"batch_norm_{i}") for i in range(len(filters))
        ]
        self.pooling = keras.layers.MaxPooling2D(2, padding="same", name="pool")
        self.spatial_dropout = keras.layers.SpatialDropout2D(dropout, name="spatial_dropout")

        # === Config ===
        self.filters = filters
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.output_dim = filters[-1]

    def build(self, images_shape):
        shape = tuple(images_shape)
        for convolution, normalization in zip(self.convolutions, self.normalizations):
            convolution.build(shape)
            shape = shape[:-1] + (convolution.filters,)
            normalization.build(shape)

    def grid_shape(self, height, width):
        """(rows, columns) of the feature grid for images of `height` x `width`."""
        for _ in self.filters:
            height, width = -(-height // 2), -(-width // 2)
        return int(height), int(width)

    def feature_map(self, images, training=None):
        """The grid as `[batch, rows, columns, channels]`."""
        x = ops.cast(images, self.compute_dtype) / 255.0
        for convolution, normalization in zip(self.convolutions, self.normalizations):
            x = ops.relu(normalization(convolution(x), training=training))
            x = self.pooling(x)
        return self.spatial_dropout(x, training=training)

    def call(self, images, training=None):
        x = self.feature_map(images, training=training)
        shape = ops.shape(x)
        return ops.reshape(x, (shape[0], shape[1] * shape[2], self.output_dim))

    def compute_output_shape(self, images_shape):
        rows, columns = (None, None)
        if images_shape[1] is not None and images_shape[2] is not None:
            rows, columns = self.grid_shape(images_shape[1], images_shape[2])
        size = None if rows is None else rows * columns
        return (images_shape[0], size, self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": list(self.filters), "kernel_size": self.kernel_size, "dropout": self.dropout})
        return config
