"""Average of the outputs at real (unpadded) positions."""

import keras
from keras import ops


def masked_mean(inputs, mask):
    """Mean of `inputs [batch, time, dim]` over the steps where `mask` is True.

    A row without any True step gives zeros rather than a division by zero.
    """
    if mask is None:
        return ops.mean(inputs, axis=1)
    weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
    total = ops.sum(inputs * weights, axis=1)
    count = ops.maximum(ops.sum(weights, axis=1), 1.0)
    return total / count


@keras.saving.register_keras_serializable(package="seqzoo")
class MaskedMeanPooling(keras.layers.Layer):
    """Pools `[batch, time, dim]` to `[batch, dim]` by a masked mean.

    Padded steps are left out of both the sum and the count, so padding a
    sequence further never changes the result. The mask is the `mask` call
    argument or, when None, the Keras mask attached to the inputs (e.g. by
    `TokenEmbedding` or `RecurrentEncoder`); without any mask, every step
    counts.

    Args:
        **kwargs: keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import MaskedMeanPooling
    >>> x = np.array([[[1.0], [3.0], [100.0]]], dtype="float32")
    >>> mask = np.array([[True, True, False]])
    >>> np.asarray(MaskedMeanPooling()(x, mask=mask)).tolist()
    [[2.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return masked_mean(inputs, mask)

    def compute_mask(self, inputs, mask=None):
        # The time axis is gone, and its mask with it.
        return None

    def compute_output_shape(self, inputs_shape):
        return (inputs_shape[0], inputs_shape[-1])
