"""A recurrent decoder that attends to the encoder outputs at every step."""

import keras
from keras import ops

from seqzoo.zoo.bahdanau_attention import BahdanauAttention
from seqzoo.zoo.cell_registry import recurrent_layer
from seqzoo.zoo.luong_attention import LuongAttention
from seqzoo.zoo.recurrent_token_layer import RecurrentTokenLayer

ATTENTIONS = ("bahdanau", "luong")


@keras.saving.register_keras_serializable(package="seqzoo")
class AttentionDecoder(RecurrentTokenLayer):
    """Predicts the next target token from a recurrent state and attention over the source.

    At target position `t` the recurrent layer reads the previous token, giving `h_t`;
    the attention layer scores every encoder output against `h_t` (additive for
    `"bahdanau"`, multiplicative "general" for `"luong"`) and returns the context
    `c_t`; the attentional state `h~_t = tanh(W_c [c_t; h_t])` gives the logits
    `W_o h~_t + b_o` (Luong et al. 2015, eq. 5-6). The query is the current state
    `h_t` in both cases, which keeps the recurrent layer a plain (cuDNN-eligible) LSTM or
    GRU run over the whole target at once during training; Bahdanau et al. 2015 query
    with `h_{t-1}` and feed `c_t` into the recurrence instead.

    Two faces share every weight:

    - `call(token_ids [batch, time], encoder_outputs, encoder_mask, initial_state)`:
      logits `[batch, time, vocabulary_size]` (teacher forcing), and with
      `return_attention=True` the weights `[batch, time, source_time]`;
    - `step(token_ids [batch], state)`: `(logits [batch, vocabulary_size], new_state)`
      and with `return_attention=True` the weights `[batch, source_time]`: the step
      function of `seqzoo.tasks.samplers`. `state` comes from `get_initial_state` and
      is a dict of batch-first tensors: `"states"` (the recurrent states), `"values"`
      (the encoder outputs), `"keys"` (their projection, computed once) and `"mask"`.

    Args:
        vocabulary_size: int. Number of target token ids, padding included.
        embedding_dim: int. Size of the target token vectors.
        cell: `"lstm"` or `"gru"` (cuDNN-eligible Keras layers), `"rnn"` or `"irnn"`.
        units: int. Recurrent state size (equal to the encoder's state size when the
            encoder's final state initialises the decoder).
        attention: `"bahdanau"` (additive) or `"luong"` (multiplicative, general).
        attention_units: int. Hidden size of the additive score (default `units`).
        dropout: float. Dropout on the embeddings and the attentional state, in training.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> import numpy as np
    >>> decoder = AttentionDecoder(10, embedding_dim=4, cell="gru", units=6)
    >>> source = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
    >>> ids = np.array([[2, 5, 6, 0], [2, 7, 0, 0]], dtype="int32")
    >>> tuple(decoder(ids, source).shape)
    (2, 4, 10)
    >>> state = decoder.get_initial_state(source)
    >>> logits, state, weights = decoder.step(ids[:, 0], state, return_attention=True)
    >>> tuple(logits.shape), tuple(weights.shape)
    ((2, 10), (2, 5))

    References:
        - [Bahdanau et al., 2015. Neural Machine Translation by Jointly Learning
          to Align and Translate](https://arxiv.org/abs/1409.0473)
        - [Luong et al., 2015. Effective Approaches to Attention-based Neural
          Machine Translation](https://arxiv.org/abs/1508.04025)
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=128,
        cell="lstm",
        units=256,
        attention="bahdanau",
        attention_units=None,
        dropout=0.0,
        **kwargs,
    ):
        # === Layers (RecurrentTokenLayer makes the embedding and keeps the shared config) ===
        super().__init__(vocabulary_size, embedding_dim, cell, units, **kwargs)
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {attention!r}.")
        self.recurrent_layer = recurrent_layer(cell, units, name=cell)
        if attention == "bahdanau":
            self.attention = BahdanauAttention(attention_units or units, name="attention")
        else:
            self.attention = LuongAttention("general", name="attention")
        self.attentional = keras.layers.Dense(
            units, activation="tanh", use_bias=False, dtype=self.dtype_policy, name="attentional"
        )
        self.embedding_dropout = keras.layers.Dropout(dropout, name="embedding_dropout")
        self.output_dropout = keras.layers.Dropout(dropout, name="output_dropout")
        self.output_projection = keras.layers.Dense(
            vocabulary_size, dtype=self.dtype_policy, name="output_projection"
        )

        # === Config (beyond RecurrentTokenLayer's) ===
        self.attention_type = attention
        self.attention_units = attention_units
        self.dropout = dropout
        self.encoder_dim = None

    def build(self, token_ids_shape, encoder_outputs_shape=None, *args, **kwargs):
        self.encoder_dim = encoder_outputs_shape[-1] if encoder_outputs_shape else self.units
        self.embedding.build((None, None))
        self.recurrent_layer.build((None, None, self.embedding_dim))
        self.attention.build((None, None, self.units), (None, None, self.encoder_dim))
        self.attentional.build((None, None, self.units + self.encoder_dim))
        self.output_projection.build((None, None, self.units))

    def _build_once(self, encoder_outputs):
        if not self.built:
            self.build((None, None), tuple(encoder_outputs.shape))
            self.built = True

    def get_build_config(self):
        if not self.built:
            return None
        return {"shapes_dict": {"token_ids_shape": (None, None),
                                "encoder_outputs_shape": (None, None, self.encoder_dim)}}

    def _logits(self, outputs, values, keys, mask, training):
        context, weights = self.attention(outputs, values, source_mask=mask, keys=keys)
        hidden = self.attentional(ops.concatenate([context, outputs], axis=-1))
        hidden = self.output_dropout(hidden, training=training)
        return ops.cast(self.output_projection(hidden), "float32"), weights

    # --- teacher forcing -------------------------------------------------

    def call(
        self,
        token_ids,
        encoder_outputs,
        encoder_mask=None,
        initial_state=None,
        training=None,
        return_attention=False,
    ):
        token_ids = ops.cast(token_ids, "int32")
        mask = self._recurrent_mask(token_ids)
        x = self.embedding_dropout(self.embedding(token_ids), training=training)
        outputs, *_ = self.recurrent_layer(
            x, mask=mask, initial_state=self._check_state(initial_state), training=training
        )
        logits, weights = self._logits(outputs, encoder_outputs, None, encoder_mask, training)
        return (logits, weights) if return_attention else logits

    def _check_state(self, states):
        if states is not None and len(states) != self.states_per_layer:
            raise ValueError(
                f"Expected {self.states_per_layer} initial state tensors for a {self.cell} "
                f"decoder, got {len(states)}."
            )
        return None if states is None else list(states)

    # --- one step --------------------------------------------------------

    def get_initial_state(self, encoder_outputs, encoder_mask=None, initial_state=None):
        """The `step` state: recurrent states (zeros, or e.g. the encoder's final
        states), the encoder outputs, their attention keys and the source mask."""
        self._build_once(encoder_outputs)
        batch = ops.shape(encoder_outputs)[0]
        if initial_state is None:
            initial_state = [
                ops.zeros((batch, self.units), dtype=self.compute_dtype)
                for _ in range(self.states_per_layer)
            ]
        if encoder_mask is None:
            encoder_mask = ops.ones(ops.shape(encoder_outputs)[:2], dtype="bool")
        return {
            "states": self._check_state(initial_state),
            "values": encoder_outputs,
            "keys": self.attention.project_keys(encoder_outputs),
            "mask": ops.cast(encoder_mask, "bool"),
        }

    def step(self, token_ids, state, return_attention=False):
        """One token per row: `(token_ids [batch], state) -> (logits, new_state)`
        (and the attention weights `[batch, source_time]` with `return_attention`)."""
        self._build_once(state["values"])
        token_ids = ops.expand_dims(ops.cast(token_ids, "int32"), 1)
        x = self.embedding(token_ids)
        # Every fed token is a real step: an all-false mask would leave cuDNN.
        outputs, *states = self.recurrent_layer(
            x, mask=ops.ones_like(token_ids, dtype="bool"), initial_state=list(state["states"])
        )
        logits, weights = self._logits(outputs[:, 0], state["values"], state["keys"], state["mask"], False)
        new_state = dict(state)
        new_state["states"] = states
        return (logits, new_state, weights) if return_attention else (logits, new_state)

    def compute_mask(self, token_ids, *args, **kwargs):
        return ops.not_equal(token_ids, 0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "attention": self.attention_type,
                "attention_units": self.attention_units,
                "dropout": self.dropout,
            }
        )
        return config
