"""A recurrent language-model decoder: teacher-forced over sequences, or one step."""

import keras
from keras import ops

from seqzoo.zoo.cell_registry import recurrent_layer
from seqzoo.zoo.recurrent_token_layer import RecurrentTokenLayer


@keras.saving.register_keras_serializable(package="seqzoo")
class RecurrentDecoder(RecurrentTokenLayer):
    """Predicts the next token with a stack of recurrent layers.

    The decoder has two faces that share every weight:

    - `call(token_ids [batch, time], initial_state=None)` reads whole
      sequences (teacher forcing) and returns `(logits [batch, time,
      vocabulary_size], final_states)`. The mask `token_ids != 0` keeps the
      state across padding, so `final_states` are those after each row's last
      real token; passing them back as `initial_state` for the next window
      carries the state across windows (truncated backpropagation through
      time).
    - `step(token_ids [batch], states)` reads one token per row and returns
      `(logits [batch, vocabulary_size], new_states)`: the step function of
      `seqzoo.tasks.samplers`.

    `prime(token_ids)` reads right-padded prompts of different lengths in one
    teacher-forced pass and returns the logits of the first new token and the
    states to continue from. States are a flat list over layers, first to
    last: `[h, c]` per layer for an LSTM, `[h]` per layer otherwise, each
    `[batch, units]` (batch first, as beam search needs).

    Weight tying (Press and Wolf 2017; Inan et al. 2017) computes the logits
    with the transposed embedding matrix, `logits = h E^T + b`. When `units`
    differs from `embedding_dim`, a linear projection (no bias) from `units` to
    `embedding_dim` is inserted before it.

    Dropout (during training) applies to the input of every recurrent layer
    and to the last layer's output, as in Zaremba et al. 2014; never between
    time steps, which keeps LSTM and GRU on the cuDNN kernel.

    Args:
        vocabulary_size: int. Number of token ids, padding included.
        embedding_dim: int. Size of the token vectors.
        cell: `"lstm"`, `"gru"` (`keras.layers.LSTM` / `keras.layers.GRU`,
            cuDNN-eligible), `"rnn"` (`ElmanCell`) or `"irnn"` (`IRNNCell`).
        units: int. State size of each recurrent layer.
        num_layers: int. Number of stacked recurrent layers.
        dropout: float. Dropout rate (see above).
        tie_weights: bool. Share the embedding matrix with the output layer.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Attributes:
        embedding: the `TokenEmbedding`.
        recurrent_layers: the Keras recurrent layers, first to last.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo.recurrent_decoder import RecurrentDecoder
    >>> decoder = RecurrentDecoder(10, embedding_dim=4, cell="gru", units=6,
    ...                            num_layers=2)
    >>> ids = np.array([[2, 5, 6, 0], [2, 7, 0, 0]], dtype="int32")
    >>> logits, states = decoder(ids)
    >>> tuple(logits.shape), [tuple(s.shape) for s in states]
    ((2, 4, 10), [(2, 6), (2, 6)])
    >>> last_logits, states = decoder.prime(ids)   # continue after each prompt
    >>> next_logits, states = decoder.step(np.array([3, 4], "int32"), states)
    >>> tuple(next_logits.shape)
    (2, 10)

    References:
        - [Graves, 2013. Generating Sequences With Recurrent Neural Networks](
          https://arxiv.org/abs/1308.0850)
        - [Zaremba et al., 2014. Recurrent Neural Network Regularization](
          https://arxiv.org/abs/1409.2329)
        - [Press and Wolf, 2017. Using the Output Embedding to Improve
          Language Models](https://arxiv.org/abs/1608.05859)
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=128,
        cell="lstm",
        units=256,
        num_layers=1,
        dropout=0.0,
        tie_weights=False,
        **kwargs,
    ):
        # === Layers (RecurrentTokenLayer makes the embedding and keeps the shared config) ===
        super().__init__(vocabulary_size, embedding_dim, cell, units, **kwargs)
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}.")
        self.dropout_layers = [
            keras.layers.Dropout(dropout, name=f"dropout_{index}")
            for index in range(num_layers + 1)
        ]
        self.recurrent_layers = [
            recurrent_layer(cell, units, name=f"{cell}_{index}")
            for index in range(num_layers)
        ]
        self.tied_projection = None
        self.output_projection = None
        if tie_weights and units != embedding_dim:
            self.tied_projection = keras.layers.Dense(
                embedding_dim,
                use_bias=False,
                dtype=self.dtype_policy,
                name="tied_projection",
            )
        if not tie_weights:
            self.output_projection = keras.layers.Dense(
                vocabulary_size, dtype=self.dtype_policy, name="output_projection"
            )

        # === Config (beyond RecurrentTokenLayer's) ===
        self.num_layers = num_layers
        self.dropout = dropout
        self.tie_weights = tie_weights

    def build(self, token_ids_shape):
        token_ids_shape = tuple(token_ids_shape)
        self.embedding.build(token_ids_shape)
        shape = token_ids_shape + (self.embedding_dim,)
        for layer in self.recurrent_layers:
            layer.build(shape)
            shape = token_ids_shape + (self.units,)
        if self.tied_projection is not None:
            self.tied_projection.build(shape)
        if self.output_projection is not None:
            self.output_projection.build(shape)
        else:
            self.output_bias = self.add_weight(
                shape=(self.vocabulary_size,), initializer="zeros", name="output_bias"
            )

    # --- the two faces ---------------------------------------------------

    def call(self, token_ids, initial_state=None, training=None):
        token_ids = ops.cast(token_ids, "int32")
        mask = self._recurrent_mask(token_ids)
        outputs, states = self._recur(token_ids, mask, initial_state, training)
        return self._logits(outputs), states

    def step(self, token_ids, states):
        """One token per row: `(token_ids [batch], states) -> (logits, states)`.

        Args:
            token_ids: int `[batch]`, the previous token of each row.
            states: the flat state list of `call`, `prime`, `step` or
                `get_initial_state`.

        Returns:
            `(logits float32 [batch, vocabulary_size], new_states)`.
        """
        token_ids = ops.expand_dims(ops.cast(token_ids, "int32"), 1)
        self._build_once((None, 1))
        # Every fed token is a real step (also padding fed after the end of a
        # row): an all-false mask would take LSTM/GRU off cuDNN.
        mask = ops.ones_like(token_ids, dtype="bool")
        outputs, states = self._recur(token_ids, mask, list(states), False)
        return self._logits(outputs[:, 0]), states

    def prime(self, token_ids, initial_state=None):
        """Reads right-padded prompts, returns what generation continues from.

        Args:
            token_ids: int `[batch, time]`, each row a prompt of at least one
                token (e.g. the start token), padded with 0 on the right.
            initial_state: optional states to start from (zeros when None).

        Returns:
            `(last_logits float32 [batch, vocabulary_size], states)`: the
            logits after each row's last real token (those of the first new
            token) and the states after it.
        """
        token_ids = ops.cast(token_ids, "int32")
        self._build_once((None, None))
        mask = self._recurrent_mask(token_ids)
        outputs, states = self._recur(token_ids, mask, initial_state, False)
        last = ops.maximum(ops.sum(ops.cast(mask, "int32"), axis=1) - 1, 0)
        last_outputs = ops.take_along_axis(
            outputs, ops.reshape(last, (-1, 1, 1)), axis=1
        )[:, 0]
        return self._logits(last_outputs), states

    def get_initial_state(self, batch_size):
        """Zero states `[batch_size, units]`, the flat list that `step` takes."""
        return [
            ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
            for _ in range(self.num_layers * self.states_per_layer)
        ]

    # --- shared by the faces ---------------------------------------------

    def _build_once(self, token_ids_shape):
        # `step` and `prime` bypass `__call__`, which would build the layer.
        if not self.built:
            self.build(token_ids_shape)
            self.built = True

    def _recur(self, token_ids, mask, initial_state, training):
        if initial_state is not None and (
            len(initial_state) != self.num_layers * self.states_per_layer
        ):
            raise ValueError(
                f"Expected {self.num_layers * self.states_per_layer} state "
                f"tensors ({self.states_per_layer} per layer), got "
                f"{len(initial_state)}."
            )
        x = self.embedding(token_ids)
        final_states = []
        for index, layer in enumerate(self.recurrent_layers):
            x = self.dropout_layers[index](x, training=training)
            layer_state = None
            if initial_state is not None:
                first = index * self.states_per_layer
                layer_state = list(initial_state[first : first + self.states_per_layer])
            x, *states = layer(
                x, mask=mask, initial_state=layer_state, training=training
            )
            final_states.extend(states)
        x = self.dropout_layers[-1](x, training=training)
        return x, final_states

    def _logits(self, outputs):
        if self.output_projection is not None:
            logits = self.output_projection(outputs)
        else:
            if self.tied_projection is not None:
                outputs = self.tied_projection(outputs)
            embeddings = ops.cast(self.embedding.table(), outputs.dtype)
            logits = ops.matmul(outputs, ops.transpose(embeddings))
            logits = logits + ops.cast(self.output_bias, logits.dtype)
        # float32 logits keep the softmax and the samplers stable under
        # mixed precision.
        return ops.cast(logits, "float32")

    def get_build_config(self):
        # The weights depend on no input dimension, and Keras records none
        # when `step` or `prime` built the layer.
        return {"input_shape": (None, None)} if self.built else None

    def compute_mask(self, token_ids, initial_state=None, mask=None):
        return ops.not_equal(token_ids, 0), [None] * (
            self.num_layers * self.states_per_layer
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_layers": self.num_layers,
                "dropout": self.dropout,
                "tie_weights": self.tie_weights,
            }
        )
        return config
