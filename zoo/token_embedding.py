"""Token ids to vectors, with the padding mask attached."""

import keras
import numpy as np
from keras import ops

EMBEDDING_MODES = ("learned", "one-hot")


@keras.saving.register_keras_serializable(package="seqzoo")
class TokenEmbedding(keras.layers.Layer):
    """Maps int token ids `[batch, time]` to vectors `[batch, time, dim]`.

    Id 0 is padding: `compute_mask` returns `token_ids != 0`, so Keras layers
    called after this one (RNNs, pooling) see the mask.

    Args:
        vocabulary_size: int. Number of token ids, padding and the other
            reserved ids included.
        embedding_dim: int. Size of a learned vector. Unused in `"one-hot"`
            mode, where a token becomes a one-hot vector of
            `vocabulary_size` features (see `output_dim`).
        mode: `"learned"` (a trainable lookup table, the usual choice) or
            `"one-hot"` (no weights; the first recurrent layer's input
            weights then play the role of the embedding).
        trainable_embeddings: bool. False freezes the lookup table, e.g.
            after `load_vectors` with pretrained word vectors.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import TokenEmbedding
    >>> embedding = TokenEmbedding(vocabulary_size=10, embedding_dim=4)
    >>> ids = np.array([[5, 6, 0], [7, 0, 0]], dtype="int32")
    >>> tuple(embedding(ids).shape)
    (2, 3, 4)
    >>> np.asarray(embedding.compute_mask(ids)).tolist()
    [[True, True, False], [True, False, False]]
    >>> embedding.load_vectors(np.ones((10, 4), dtype="float32"))
    >>> np.asarray(embedding(ids))[0, 0].tolist()
    [1.0, 1.0, 1.0, 1.0]

    References:
        - [Bengio et al., 2003. A Neural Probabilistic Language Model. JMLR 3](
          https://www.jmlr.org/papers/v3/bengio03a.html)
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=None,
        mode="learned",
        trainable_embeddings=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if mode not in EMBEDDING_MODES:
            raise ValueError(
                f"mode must be one of {EMBEDDING_MODES}, got {mode!r}."
            )
        if mode == "learned" and not embedding_dim:
            raise ValueError("mode='learned' needs a positive embedding_dim.")
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.mode = mode
        self.trainable_embeddings = trainable_embeddings
        # Rows the gradient may reach (bool [vocabulary_size]); None: all of them.
        # Not saved, like `trainable`: see `train_only_rows`.
        self._trainable_rows = None

    @property
    def output_dim(self):
        """Number of features per token in the output."""
        if self.mode == "one-hot":
            return self.vocabulary_size
        return self.embedding_dim

    def build(self, input_shape=None):
        self.embeddings = None
        if self.mode == "learned":
            self.embeddings = self.add_weight(
                shape=(self.vocabulary_size, self.embedding_dim),
                initializer="uniform",
                trainable=self.trainable_embeddings,
                name="embeddings",
            )

    def call(self, token_ids):
        token_ids = ops.cast(token_ids, "int32")
        if self.mode == "one-hot":
            return ops.one_hot(
                token_ids, self.vocabulary_size, dtype=self.compute_dtype
            )
        return ops.cast(
            ops.take(self.table(), token_ids, axis=0), self.compute_dtype
        )

    def table(self):
        """The embedding matrix as the model should use it (the lookup, and a tied
        output layer): `embeddings`, with the gradient stopped at the rows that
        `train_only_rows` keeps fixed."""
        if self._trainable_rows is None:
            return self.embeddings
        return ops.where(
            ops.expand_dims(self._trainable_rows, 1),
            self.embeddings,
            ops.stop_gradient(self.embeddings),
        )

    def train_only_rows(self, rows=None):
        """Let training change only the rows where `rows` (bool `[vocabulary_size]`) is
        True; `None` trains every row again.

        A variable is trainable as a whole, so a vocabulary grown for fine-tuning would
        otherwise have to train every old row or freeze its new ones at their initial
        values. With the gradient stopped at the old rows they get exactly zero
        gradient, so Adam or SGD leave them as they were while the new tokens learn.
        Like `trainable`, this is not saved; compile (or recompile) after calling it.
        """
        if rows is not None:
            rows = np.asarray(rows, bool)
            if rows.shape != (self.vocabulary_size,):
                raise ValueError(
                    f"rows must be a bool mask of shape ({self.vocabulary_size},), "
                    f"got {rows.shape}."
                )
            rows = ops.convert_to_tensor(rows)
        self._trainable_rows = rows

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def load_vectors(self, matrix):
        """Copies pretrained vectors `[vocabulary_size, embedding_dim]` in.

        Row `i` becomes the vector of token id `i`.
        """
        if self.mode != "learned":
            raise ValueError(
                "load_vectors needs mode='learned'; a one-hot embedding has "
                "no vectors to replace."
            )
        matrix = np.asarray(matrix)
        expected = (self.vocabulary_size, self.embedding_dim)
        if matrix.shape != expected:
            raise ValueError(
                f"Expected vectors of shape {expected} (vocabulary_size, "
                f"embedding_dim), got {matrix.shape}."
            )
        if not self.built:
            self.build()
        self.embeddings.assign(matrix.astype(self.embeddings.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "mode": self.mode,
                "trainable_embeddings": self.trainable_embeddings,
            }
        )
        return config
