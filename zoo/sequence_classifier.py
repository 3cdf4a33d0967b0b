"""A sequence encoder with a pooling and a classification head."""

import keras
from keras import ops

from seqzoo.zoo.attention_pooling import AttentionPooling
from seqzoo.zoo.masked_mean_pooling import MaskedMeanPooling

POOLINGS = ("last", "attention", "mean")


@keras.saving.register_keras_serializable(package="seqzoo")
class SequenceClassifier(keras.Model):
    """Classifies token id sequences: encoder, pooling, dropout, logits.

    A functional `keras.Model` with one input `token_ids [batch, time]`
    (int32, 0 = padding) and one output, the logits `[batch, num_classes]`
    (float32; apply a softmax for probabilities, or train with
    `from_logits=True`). The pooling turns the encoder's per-step outputs
    into one vector per sequence:

    - `"last"`: the encoder's first final state (`h` of an RNN, taken at the
      last real token; forward and backward `h` for a bidirectional one; the
      masked mean for `TransformerEncoder`);
    - `"attention"`: `AttentionPooling` over the real steps;
    - `"mean"`: `MaskedMeanPooling` over the real steps.

    Args:
        encoder: a layer `token_ids -> (outputs [batch, time, dim], states)`,
            e.g. `RecurrentEncoder` or `TransformerEncoder`.
        num_classes: int. Number of classes.
        pooling: `"last"`, `"attention"` or `"mean"`.
        dropout: float. Dropout rate on the pooled vector, during training.
        **kwargs: other keyword arguments of `keras.Model` (`name`, ...).

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import RecurrentEncoder, SequenceClassifier
    >>> encoder = RecurrentEncoder(
    ...     vocabulary_size=10, embedding_dim=4, cell="gru", units=4
    ... )
    >>> model = SequenceClassifier(encoder, num_classes=3, pooling="attention")
    >>> ids = np.array([[5, 6, 7, 0, 0], [8, 9, 0, 0, 0]], dtype="int32")
    >>> tuple(model(ids).shape)
    (2, 3)
    >>> model.input.name, model.input.dtype
    ('token_ids', 'int32')

    References:
        - [Yang et al., 2016. Hierarchical Attention Networks for Document
          Classification](https://aclanthology.org/N16-1174/)
        - [Lin et al., 2017. A Structured Self-attentive Sentence Embedding](
          https://arxiv.org/abs/1703.03130)
    """

    def __init__(self, encoder, num_classes, pooling="last", dropout=0.0, **kwargs):
        if pooling not in POOLINGS:
            raise ValueError(
                f"pooling must be one of {POOLINGS}, got {pooling!r}."
            )

        # === Layers ===
        self.encoder = encoder
        self.pooling_layer = None  # "attention" needs the encoder's width, below
        if pooling == "mean":
            self.pooling_layer = MaskedMeanPooling(name="mean_pooling")
        self.output_dropout = keras.layers.Dropout(dropout, name="dropout")
        # float32 logits even under a mixed-precision policy, for a stable loss.
        self.output_dense = keras.layers.Dense(
            num_classes, dtype="float32", name="logits"
        )

        # === Functional model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        outputs, states = encoder(token_ids)
        if pooling == "attention":
            self.pooling_layer = AttentionPooling(
                outputs.shape[-1], name="attention_pooling"
            )
        if self.pooling_layer is None:
            pooled = states[0]
        else:
            pooled = self.pooling_layer(
                outputs, mask=ops.not_equal(token_ids, 0)
            )
        logits = self.output_dense(self.output_dropout(pooled))
        super().__init__(inputs=token_ids, outputs=logits, **kwargs)

        # === Config ===
        self.num_classes = num_classes
        self.pooling = pooling
        self.dropout = dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "num_classes": self.num_classes,
            "pooling": self.pooling,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(
            config["encoder"]
        )
        return cls(**config)
