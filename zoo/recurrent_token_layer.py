"""What the recurrent layers that read token ids share: the embedding, the cell, the mask."""

import keras
from keras import ops

from seqzoo.zoo.token_embedding import TokenEmbedding


class RecurrentTokenLayer(keras.layers.Layer):
    """The common base of `RecurrentEncoder`, `RecurrentDecoder` and `AttentionDecoder`.

    Each of them embeds token ids and runs recurrent layers of one cell of
    `seqzoo.zoo.cell_registry` over the vectors. This base keeps the settings
    they share (and returns them from `get_config`), makes their
    `TokenEmbedding` (`embedding`, named `"token_embedding"`), says how many
    state tensors a layer of the cell carries (`states_per_layer`), and
    computes the mask that the recurrent layers get (`_recurrent_mask`). Each
    subclass makes its recurrent layers (with
    `seqzoo.zoo.cell_registry.recurrent_layer`) and whatever comes after them.

    It is never saved under its own name (its subclasses are), so it is not
    registered for serialization.

    Args:
        vocabulary_size: int. Number of token ids, padding included.
        embedding_dim: int. Size of the token vectors.
        cell: a name of `seqzoo.zoo.cell_registry.CELL_NAMES`.
        units: int. State size of each recurrent layer (per direction).
        embedding_mode: `"learned"` or `"one-hot"` (see `TokenEmbedding`).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> from seqzoo.zoo import AttentionDecoder, RecurrentDecoder, RecurrentEncoder
    >>> all(issubclass(cls, RecurrentTokenLayer)
    ...     for cls in (RecurrentEncoder, RecurrentDecoder, AttentionDecoder))
    True
    >>> layer = RecurrentTokenLayer(10, embedding_dim=4, cell="lstm", units=3)
    >>> layer.states_per_layer, layer.embedding.name
    (2, 'token_embedding')
    >>> layer.get_config()["cell"], layer.get_config()["units"]
    ('lstm', 3)
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        cell,
        units,
        embedding_mode="learned",
        **kwargs,
    ):
        super().__init__(**kwargs)

        # === Layers ===
        self.embedding = TokenEmbedding(
            vocabulary_size,
            embedding_dim,
            mode=embedding_mode,
            dtype=self.dtype_policy,
            name="token_embedding",
        )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.cell = cell
        self.units = units

    @property
    def states_per_layer(self):
        """2 for an LSTM (h and c), 1 otherwise."""
        return 2 if self.cell == "lstm" else 1

    @staticmethod
    def _recurrent_mask(token_ids):
        """The mask the recurrent layers get: `token_ids != 0`, except that a row
        without any real token keeps its first (padding) step.

        cuDNN rejects a row without any real step (e.g. an empty text); the
        other rows are unchanged, and so is every result at a real position.
        """
        real = ops.not_equal(token_ids, 0)
        empty_rows = ops.logical_not(ops.any(real, axis=1, keepdims=True))
        first_step = ops.expand_dims(
            ops.equal(ops.arange(ops.shape(token_ids)[1]), 0), 0
        )
        return ops.logical_or(real, ops.logical_and(empty_rows, first_step))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "cell": self.cell,
                "units": self.units,
            }
        )
        return config
