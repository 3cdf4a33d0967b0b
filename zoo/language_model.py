"""A next-token language model around a decoder, with state carried across batches."""

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="seqzoo")
class LanguageModel(keras.Model):
    """Trains a decoder to predict the next token at every position.

    `call(token_ids [batch, time])` returns the decoder's teacher-forced
    logits `[batch, time, vocabulary_size]`. Training and evaluation take
    batches `(inputs, targets)` of the same shape, where `targets[:, t]` is
    the token after `inputs[:, t]`; the loss is the cross-entropy at every
    time step, averaged over the real targets (`targets != 0`), and the
    epoch's loss is the exact per-token average over all its batches
    (batches are weighted by their number of real targets). The logs hold
    `loss` (nats per token) and `perplexity` (`exp(loss)`).

    With `carry_state=True` and a recurrent decoder (one whose call takes
    `initial_state` and returns `(logits, states)`, such as
    `RecurrentDecoder`), the final states of a batch are the initial states
    of the next one: truncated backpropagation through time over batches
    laid out so that row `i` of batch `k+1` continues row `i` of batch `k`
    (gradients stop at the batch edge). The states live in non-trainable
    variables outside the model's weights; they are zeroed at the start of
    every epoch and of every evaluation (Keras calls `reset_metrics` then),
    and whenever a batch has another number of rows than the last one.

    Compile it with an optimizer only (`model.compile(optimizer=...)`); the
    loss is built in.

    Args:
        decoder: a `RecurrentDecoder` or `TransformerDecoder` (without
            cross-attention), or any layer mapping token ids to logits.
        carry_state: bool. Carry recurrent states across batches (ignored
            for a decoder without states).
        **kwargs: other keyword arguments of `keras.Model`.

    Examples:

    >>> import numpy as np, keras
    >>> from seqzoo.zoo.recurrent_decoder import RecurrentDecoder
    >>> model = LanguageModel(RecurrentDecoder(10, embedding_dim=4, units=8),
    ...                       carry_state=True)
    >>> model.compile(optimizer="adam")
    >>> inputs = np.array([[4, 5, 6], [7, 8, 9]], "int32")
    >>> targets = np.array([[5, 6, 7], [8, 9, 0]], "int32")
    >>> logs = model.fit(inputs, targets, batch_size=2, epochs=1, verbose=0)
    >>> sorted(logs.history)
    ['loss', 'perplexity']
    >>> tuple(model(inputs).shape)
    (2, 3, 10)

    References:
        - [Williams and Peng, 1990. An Efficient Gradient-Based Algorithm for
          On-Line Training of Recurrent Network Trajectories](
          https://doi.org/10.1162/neco.1990.2.4.490)
        - [Zaremba et al., 2014. Recurrent Neural Network Regularization](
          https://arxiv.org/abs/1409.2329)
    """

    def __init__(self, decoder, carry_state=False, **kwargs):
        super().__init__(**kwargs)
        # === Layers ===
        self.decoder = decoder
        self.loss_tracker = keras.metrics.Mean(name="loss")

        # === Config ===
        self.carry_state = bool(carry_state)
        self._carried = None

    @property
    def recurrent(self):
        """Whether the decoder has states (it offers `get_initial_state`)."""
        return hasattr(self.decoder, "get_initial_state")

    @property
    def carries_state(self):
        return self.carry_state and self.recurrent

    def build(self, token_ids_shape=(None, None)):
        if not self.decoder.built:
            self.decoder.build(tuple(token_ids_shape))
        self._make_carried()

    def _make_carried(self):
        # Also called from the steps: Keras may build the model symbolically,
        # through `call`, without calling `build`.
        if self.carries_state and self._carried is None:
            template = self.decoder.get_initial_state(1)
            # Plain tf.Variables with an open batch dimension: not weights (never
            # saved, never trained), and free to change batch size.
            # Under a tf.distribute strategy each replica carries the states of its own
            # rows: a variable synchronised on read keeps one copy per replica.
            sync = {}
            if tf.distribute.has_strategy():
                sync = {"synchronization": tf.VariableSynchronization.ON_READ,
                        "aggregation": tf.VariableAggregation.ONLY_FIRST_REPLICA}
            with tf.init_scope():
                self._carried = [
                    tf.Variable(
                        tf.zeros([0, state.shape[-1]], state.dtype),
                        shape=tf.TensorShape([None, state.shape[-1]]),
                        trainable=False,
                        name=f"carried_state_{index}",
                        **sync,
                    )
                    for index, state in enumerate(template)
                ]

    def call(self, token_ids, training=None):
        logits, _ = self._forward(token_ids, training, carried=False)
        return logits

    # --- carried states ----------------------------------------------------

    def resume_variables(self):
        """The carried states, which a resumed run needs besides the weights."""
        self._make_carried()
        return list(self._carried or [])

    def reset_states(self):
        """Forget the carried states (the next batch starts from zeros)."""
        for variable in self._carried or []:
            variable.assign(tf.zeros([0, variable.shape[-1]], variable.dtype))

    def reset_metrics(self):
        super().reset_metrics()
        self.reset_states()

    def _initial_state(self, batch_size):
        zeros = self.decoder.get_initial_state(batch_size)
        return [
            tf.cond(
                tf.equal(tf.shape(variable)[0], batch_size),
                lambda variable=variable: tf.identity(variable),
                lambda zero=zero: zero,
            )
            for variable, zero in zip(self._carried, zeros)
        ]

    def _forward(self, token_ids, training, carried):
        if not self.recurrent:
            return self.decoder(token_ids, training=training), None
        initial_state = None
        if carried and self.carries_state:
            self._make_carried()
            initial_state = self._initial_state(ops.shape(token_ids)[0])
        logits, states = self.decoder(token_ids, initial_state=initial_state, training=training)
        return logits, states

    def _store(self, states):
        if self.carries_state:
            for variable, state in zip(self._carried, states):
                variable.assign(tf.stop_gradient(state))

    # --- loss and steps --------------------------------------------------

    @staticmethod
    def masked_loss(targets, logits):
        """Mean cross-entropy over the real targets, and their number.

        Args:
            targets: int `[batch, time]`, 0 where there is no target.
            logits: `[batch, time, vocabulary_size]`.

        Returns:
            `(mean_loss, count)`, float32 scalars (the mean is 0 when there
            are no targets).
        """
        targets = ops.cast(targets, "int32")
        mask = ops.cast(ops.not_equal(targets, 0), "float32")
        losses = ops.sparse_categorical_crossentropy(
            targets, ops.cast(logits, "float32"), from_logits=True
        )
        count = ops.sum(mask)
        return ops.sum(losses * mask) / ops.maximum(count, 1.0), count

    def _logs(self):
        loss = self.loss_tracker.result()
        return {"loss": loss, "perplexity": ops.exp(loss)}

    def train_step(self, data):
        inputs, targets = data[0], data[1]
        with tf.GradientTape() as tape:
            logits, states = self._forward(inputs, True, carried=True)
            loss, count = self.masked_loss(targets, logits)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self._store(states)
        self.loss_tracker.update_state(loss, sample_weight=count)
        return self._logs()

    def test_step(self, data):
        inputs, targets = data[0], data[1]
        logits, states = self._forward(inputs, False, carried=True)
        loss, count = self.masked_loss(targets, logits)
        self._store(states)
        self.loss_tracker.update_state(loss, sample_weight=count)
        return self._logs()

    @property
    def metrics(self):
        return [self.loss_tracker]

    # --- config ----------------------------------------------------------

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "carry_state": self.carry_state,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)
