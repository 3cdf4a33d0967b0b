"""The teacher-forced training loss shared by the sequence-generating templates
(translation, captioning): cross-entropy per target token, padding left out."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="seqzoo")
class MaskedSequenceLoss(keras.losses.Loss):
    """Cross-entropy per target token, zero at padding (target id 0).

    `call` returns the per-token losses `[batch, time]`. In `fit`, the logits of an
    `EncoderDecoderModel` carry the Keras mask `target_ids != 0`, and Keras then
    averages over the real tokens only (`keras.losses.Loss` reweights masked values),
    so a batch with much padding weighs the same as one without.

    Args:
        label_smoothing: mass spread uniformly over the vocabulary (Szegedy et al. 2016).
        name: the loss name.

    Examples:

    >>> import numpy as np
    >>> loss = MaskedSequenceLoss()
    >>> logits = np.log(np.array([[[0.5, 0.5], [0.9, 0.1]]], "float32"))
    >>> [round(float(v), 4) for v in np.asarray(loss.call(np.array([[1, 0]]), logits))[0]]
    [0.6931, 0.0]
    """

    def __init__(self, label_smoothing=0.0, name="masked_sequence_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        y_true = tf.cast(y_true, tf.int32)
        logits = tf.cast(y_pred, tf.float32)
        targets = tf.one_hot(y_true, tf.shape(logits)[-1])
        if self.label_smoothing:
            size = tf.cast(tf.shape(logits)[-1], tf.float32)
            targets = targets * (1.0 - self.label_smoothing) + self.label_smoothing / size
        losses = tf.nn.softmax_cross_entropy_with_logits(targets, logits)
        return losses * tf.cast(tf.not_equal(y_true, 0), tf.float32)

    def get_config(self):
        return {"name": self.name, "label_smoothing": self.label_smoothing}


@keras.saving.register_keras_serializable(package="seqzoo")
def masked_accuracy(y_true, y_pred):
    """Per target token, 1.0 where the teacher-forced prediction is right (Keras' mask
    from `target_ids != 0` leaves padding out of the mean)."""
    right = tf.equal(tf.argmax(y_pred, -1, output_type=tf.int32), tf.cast(y_true, tf.int32))
    return tf.cast(right, tf.float32)
