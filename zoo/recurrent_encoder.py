"""Token ids to per-step outputs and final states with recurrent layers."""

import keras
from keras import ops

# `RECURRENT_LAYERS` lives in `seqzoo.zoo.cell_registry`; it stays importable from here,
# where it used to be defined.
from seqzoo.zoo.cell_registry import RECURRENT_LAYERS  # noqa: F401 (re-export)
from seqzoo.zoo.cell_registry import recurrent_layer
from seqzoo.zoo.recurrent_token_layer import RecurrentTokenLayer


@keras.saving.register_keras_serializable(package="seqzoo")
class RecurrentEncoder(RecurrentTokenLayer):
    """Encodes token ids with a stack of (bidirectional) recurrent layers.

    `token_ids [batch, time]` (int, 0 = padding) become an embedding, then
    `num_layers` recurrent layers, each reading the previous one's outputs.
    The call returns `(outputs, states)`:

    - `outputs [batch, time, units]` (`2 * units` when bidirectional): the
      last layer's output at every step, zero at padded steps;
    - `states`: the last layer's final states, `[h, c]` for an LSTM and
      `[h]` otherwise, taken at each row's last real token. Bidirectional:
      the forward state (after the last real token) and the backward state
      (after the first token, the backward pass having started at the last
      real token) concatenated on the last axis.

    Padding never changes a result at a real position: every recurrent layer
    gets the mask `token_ids != 0` and keeps its state across padded steps.
    The outputs carry that mask for Keras layers called after this one.

    Args:
        vocabulary_size: int. Number of token ids, padding included.
        embedding_dim: int. Size of the token vectors.
        cell: `"lstm"`, `"gru"` (`keras.layers.LSTM` / `keras.layers.GRU`,
            cuDNN-eligible), `"rnn"` (`ElmanCell`) or `"irnn"` (`IRNNCell`).
        units: int. State size of each recurrent layer (per direction).
        num_layers: int. Number of stacked recurrent layers.
        bidirectional: bool. Wrap each layer in `keras.layers.Bidirectional`
            (outputs of the two directions concatenated).
        dropout: float. Dropout rate on the input of every recurrent layer
            (the embedding and the outputs between layers), during training.
        embedding: `"learned"` or `"one-hot"` (see `TokenEmbedding`).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Attributes:
        embedding: the `TokenEmbedding`, e.g. for `load_vectors`.
        recurrent_layers: the Keras recurrent layers, first to last.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import RecurrentEncoder
    >>> encoder = RecurrentEncoder(
    ...     vocabulary_size=10, embedding_dim=4, cell="lstm", units=3,
    ...     num_layers=2, bidirectional=True,
    ... )
    >>> ids = np.array([[5, 6, 7, 0, 0], [8, 9, 0, 0, 0]], dtype="int32")
    >>> outputs, states = encoder(ids)
    >>> tuple(outputs.shape), [tuple(state.shape) for state in states]
    ((2, 5, 6), [(2, 6), (2, 6)])
    >>> float(np.abs(np.asarray(outputs)[1, 2:]).max())  # padding is zero
    0.0

    References:
        - [Elman, 1990. Finding Structure in Time](
          https://doi.org/10.1207/s15516709cog1402_1)
        - [Le et al., 2015. A Simple Way to Initialize Recurrent Networks of
          Rectified Linear Units](https://arxiv.org/abs/1504.00941)
        - [Hochreiter and Schmidhuber, 1997. Long Short-Term Memory](
          https://doi.org/10.1162/neco.1997.9.8.1735)
        - [Cho et al., 2014. Learning Phrase Representations using RNN
          Encoder-Decoder for Statistical Machine Translation (GRU)](
          https://arxiv.org/abs/1406.1078)
        - [Schuster and Paliwal, 1997. Bidirectional Recurrent Neural
          Networks](https://doi.org/10.1109/78.650093)
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=128,
        cell="lstm",
        units=128,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        embedding="learned",
        **kwargs,
    ):
        # === Layers (RecurrentTokenLayer makes the embedding and keeps the shared config) ===
        super().__init__(
            vocabulary_size, embedding_dim, cell, units, embedding_mode=embedding, **kwargs
        )
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}.")
        self.dropout_layers = []
        self.recurrent_layers = []
        for index in range(num_layers):
            self.dropout_layers.append(
                keras.layers.Dropout(dropout, name=f"dropout_{index}")
            )
            layer = recurrent_layer(cell, units, name=f"{cell}_{index}")
            if bidirectional:
                layer = keras.layers.Bidirectional(
                    layer, name=f"bidirectional_{cell}_{index}"
                )
            self.recurrent_layers.append(layer)

        # === Config (beyond RecurrentTokenLayer's) ===
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_mode = embedding

    @property
    def output_dim(self):
        """Number of features per step in `outputs` (and in each state)."""
        return self.units * (2 if self.bidirectional else 1)

    def build(self, token_ids_shape):
        self.embedding.build(token_ids_shape)
        shape = self.embedding.compute_output_shape(token_ids_shape)
        for layer in self.recurrent_layers:
            layer.build(shape)
            shape = tuple(shape[:-1]) + (self.output_dim,)

    def call(self, token_ids, training=None):
        real = ops.not_equal(token_ids, 0)
        mask = self._recurrent_mask(token_ids)
        x = self.embedding(token_ids)
        for dropout, layer in zip(self.dropout_layers, self.recurrent_layers):
            x = dropout(x, training=training)
            x, *states = layer(x, mask=mask, training=training)
        if self.bidirectional:
            # Keras lists forward states then backward states.
            half = len(states) // 2
            states = [
                ops.concatenate([forward, backward], axis=-1)
                for forward, backward in zip(states[:half], states[half:])
            ]
        # Keras leaves the last output in place at masked steps (cuDNN leaves
        # zeros); zero them so padded steps read the same on every device.
        outputs = x * ops.expand_dims(ops.cast(real, x.dtype), -1)
        return outputs, list(states)

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, 0), [None] * self.states_per_layer

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_layers": self.num_layers,
                "bidirectional": self.bidirectional,
                "dropout": self.dropout,
                "embedding": self.embedding_mode,
            }
        )
        return config
