"""Backpropagation through time made visible: how far back does the loss reach?

`classifier_state_gradients` and `language_model_state_gradients` differentiate a loss
taken at the last time step with respect to the recurrent state of the first recurrent
layer at every step `t` (`h_t`; `h_t` and `c_t` together for an LSTM), by unrolling the
model's own Keras cell one step at a time under a `tf.GradientTape`. The norm of
`dL/dh_t`, averaged over a batch, shows how far back the loss reaches. What it shows
depends on the weights, and is measured rather than assumed: at Keras' initialisation the
orthogonal Elman RNN keeps its gradient while the LSTM and GRU lose it at their gates'
rates (forget gate ~ sigmoid(1) = 0.73, update gate 0.5 per step); after training, the
Elman RNN's gradient vanishes while the LSTM's gates have learned to hold it, and an
IRNN's may explode, which gradient clipping caps.

It works on a `SequenceClassifier` (sentiment: the classifier's loss) and on a
`LanguageModel` (the cross-entropy of the next token after the last step), fresh or
trained. This is a diagnostic, not a training loop: a Python loop over time is fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from seqzoo.tasks.common.errors import UsageError

# Distances from the loss reported in the table (0 = the last step).
REPORTED_DISTANCES = (0, 10, 50)


@dataclass
class GradientProfile:
    """The gradient norms of one model.

    Attributes:
        name: the architecture (or run) name.
        norms: `||dL/dh_t||` for t = 1..T, averaged over the batch (float64 [T]); for an
            LSTM, the norm of the gradient with respect to (h_t, c_t).
        parameter_norm: the global norm of the loss gradient over all trainable weights.
        clipnorm: the template's clipping norm (None: no clipping).
        recurrent_scale: the factor the recurrent weights were multiplied by (1: as built).
        notes: remarks written into `gradients.json` with the profile (e.g. the scaling).

    Examples:

    >>> profile = GradientProfile("rnn", np.array([1e-6, 1e-3, 0.1]), parameter_norm=40.0, clipnorm=1.0)
    >>> f"{profile.ratio:.0e}", profile.norm_at_distance(1), profile.clipped_norm
    ('1e-05', 0.001, 1.0)
    """

    name: str
    norms: np.ndarray
    parameter_norm: float
    clipnorm: float | None
    recurrent_scale: float = 1.0
    notes: list[str] = field(default_factory=list)

    @property
    def clipped_norm(self) -> float:
        """The global norm after clipping, as the optimizer applies it."""
        if not self.clipnorm:
            return self.parameter_norm
        return min(self.parameter_norm, self.clipnorm)

    def norm_at_distance(self, distance: int) -> float | None:
        """The norm `distance` steps before the last (None beyond the first step)."""
        if distance >= len(self.norms):
            return None
        return float(self.norms[len(self.norms) - 1 - distance])

    @property
    def ratio(self) -> float:
        """`||dL/dh_1|| / ||dL/dh_T||`: how much of the gradient reaches the first step."""
        last = float(self.norms[-1])
        return float(self.norms[0]) / last if last > 0 else float("nan")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "norms": [float(n) for n in self.norms],
            "ratio_first_to_last": self.ratio,
            "parameter_gradient_norm": self.parameter_norm,
            "clipnorm": self.clipnorm,
            "clipped_parameter_gradient_norm": self.clipped_norm,
            "recurrent_scale": self.recurrent_scale,
            "notes": list(self.notes),
        }


class TwoWayLayerError(UsageError):
    """The first recurrent layer is bidirectional: no single distance from the loss."""


def _first_recurrent_layer(encoder) -> keras.layers.Layer:
    layers = getattr(encoder, "recurrent_layers", None)
    if not layers:
        raise UsageError(
            f"{type(encoder).__name__} has no recurrent state (a Transformer attends to every "
            "position at once), so there is no gradient through time to measure."
        )
    layer = layers[0]
    if isinstance(layer, keras.layers.Bidirectional):
        raise TwoWayLayerError(
            "a bidirectional layer reads the sequence both ways, so the distance from the loss "
            "is not defined; diagnose the one-directional architecture (lstm, gru, rnn, irnn)."
        )
    return layer


def scale_recurrent_weights(encoder, scale: float) -> None:
    """Multiply the recurrent weights of the first layer by `scale` (W_hh of an Elman or
    IRNN cell, `recurrent_kernel` of an LSTM or GRU): above about 1 the Elman RNN's and
    IRNN's gradients explode instead of vanishing, the case clipping exists for."""
    cell = _first_recurrent_layer(encoder).cell
    weight = getattr(cell, "W_hh", None)
    if weight is None:
        weight = cell.recurrent_kernel
    weight.assign(weight * scale)


def _unroll(layer, embedded, training=False):
    """Run `layer.cell` over `embedded [batch, time, dim]` from a zero state, one step at a
    time. Returns the per-step outputs (h_t) and the per-step states (`[h_t]`, or
    `[h_t, c_t]` for an LSTM, whose memory lives mostly in c)."""
    cell = layer.cell
    batch = tf.shape(embedded)[0]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    states = [tf.zeros([batch, size], embedded.dtype) for size in sizes]
    outputs, all_states = [], []
    for t in range(embedded.shape[1]):
        output, states = cell(embedded[:, t], states, training=training)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        outputs.append(output)
        all_states.append(states)
    return outputs, all_states


def _rest_of_stack(encoder, sequence, training=False):
    """The layers after the first one, run as Keras runs them (the gradient through them
    is part of dL/dh_t of the first layer)."""
    for dropout, layer in zip(encoder.dropout_layers[1:], encoder.recurrent_layers[1:]):
        sequence = dropout(sequence, training=training)
        sequence, *_ = layer(sequence, training=training)
    return sequence


def classifier_state_gradients(model, token_ids, labels) -> tuple[np.ndarray, float]:
    """`||dL/dh_t||` per step for a `SequenceClassifier` with a recurrent encoder, and the
    global norm of the loss gradient over its weights.

    `token_ids [batch, time]` must hold no padding (every step real), `labels [batch]`
    the class ids; L is the mean cross-entropy of the classifier.
    """
    encoder = model.encoder
    layer = _first_recurrent_layer(encoder)
    token_ids = tf.convert_to_tensor(token_ids, tf.int32)
    _check_no_padding(token_ids)
    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape(persistent=True) as tape:
        outputs, states = _unroll(layer, encoder.embedding(token_ids))
        sequence = _rest_of_stack(encoder, tf.stack(outputs, axis=1))
        if model.pooling_layer is None:  # "last": the final state
            pooled = sequence[:, -1]
        else:
            pooled = model.pooling_layer(sequence, mask=tf.ones(tf.shape(token_ids), tf.bool))
        logits = model.output_dense(pooled)
        loss = loss_function(labels, logits)
    return _norms(tape, loss, states, model.trainable_variables)


def language_model_state_gradients(decoder, token_ids, next_ids) -> tuple[np.ndarray, float]:
    """`||dL_T/dh_t||` per step for a recurrent language-model decoder, where L_T is the
    cross-entropy of the token after the last step (`next_ids [batch]`), and the global
    norm of dL_T over the decoder's weights."""
    layer = _first_recurrent_layer(decoder)
    token_ids = tf.convert_to_tensor(token_ids, tf.int32)
    _check_no_padding(token_ids)
    if not decoder.built:
        decoder(token_ids[:1, :1])  # its layers are used one by one below
    with tf.GradientTape(persistent=True) as tape:
        outputs, states = _unroll(layer, decoder.embedding(token_ids))
        sequence = _rest_of_stack(decoder, tf.stack(outputs, axis=1))
        # The decoder's own output layer (projection, or the tied embedding).
        logits = decoder._logits(sequence[:, -1])
        loss = tf.reduce_mean(
            tf.keras.losses.sparse_categorical_crossentropy(next_ids, logits, from_logits=True)
        )
    return _norms(tape, loss, states, decoder.trainable_variables)


def _check_no_padding(token_ids) -> None:
    if bool(tf.reduce_any(tf.equal(token_ids, 0))):
        raise ValueError("the gradient diagnostic unrolls every step: token_ids must hold no padding (0).")


def _norms(tape, loss, states, variables) -> tuple[np.ndarray, float]:
    # The whole recurrent state at each step: for an LSTM both h_t and c_t (the total
    # derivative through every later step; c_T may feed nothing, hence ZERO).
    gradients = tape.gradient(loss, states, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    # Squared in float64: a float32 gradient of 1e-20 squares to below float32's range.
    per_step = [
        np.sqrt(sum(np.sum(np.square(g.numpy().astype(np.float64)), axis=-1) for g in step))
        for step in gradients
    ]
    # Per example, then averaged: one long example must not hide the others.
    norms = np.stack(per_step, axis=1).mean(axis=0)
    parameter_gradients = [g for g in tape.gradient(loss, variables) if g is not None]
    del tape
    return norms.astype(np.float64), float(tf.linalg.global_norm(parameter_gradients))


def format_table(profiles: list[GradientProfile]) -> str:
    """The norms at the last step, 10 and 50 steps before it, and at the first step, with
    the ratio first / last, and the parameter gradient norm before and after clipping."""
    header = ["arch", "t=T", "t=T-10", "t=T-50", "t=1", "first/last", "|grad W|", "clipped"]
    rows = []
    for profile in profiles:
        cells = [profile.name]
        for distance in REPORTED_DISTANCES:
            value = profile.norm_at_distance(distance)
            cells.append("-" if value is None else f"{value:.2e}")
        cells.append(f"{float(profile.norms[0]):.2e}")
        cells.append(f"{profile.ratio:.1e}")
        cells.append(f"{profile.parameter_norm:.3g}")
        cells.append(f"{profile.clipped_norm:.3g}" if profile.clipnorm else "no clip")
        rows.append(cells)
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).rjust(width) for cell, width in zip(row, widths)) for row in [header] + rows]
    return "\n".join(lines)


def plot_gradient_profiles(profiles: list[GradientProfile], path, title: str = "") -> None:
    """Log-scale `||dL/dh_t||` against the distance from the loss, one line per model,
    beside the parameter gradient's global norm before and after clipping."""
    from seqzoo.tasks.common.plots import pyplot, save_figure

    plt = pyplot()
    figure, (curves, bars) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [2.2, 1]})
    for profile in profiles:
        distance = np.arange(len(profile.norms))[::-1]  # the last step is at distance 0
        # A norm below float32's range is exactly 0; the line stops there rather than
        # dragging the log axis down to the smallest float64.
        norms = np.where(profile.norms > 0, profile.norms, np.nan)
        label = f"{profile.name}: first/last {profile.ratio:.1e}"
        underflow = profile.norms <= 0
        if underflow.any():
            label += f" (0 from {len(norms) - 1 - int(np.flatnonzero(underflow).max())} steps back)"
        curves.semilogy(distance, norms, label=label, linestyle="--" if "fresh" in profile.name else "-")
    curves.invert_xaxis()
    curves.set_xlabel("steps before the loss (T - t)")
    curves.set_ylabel("||dL / dh_t||  (LSTM: of (h_t, c_t)), batch mean")
    curves.grid(alpha=0.3, which="both")
    curves.legend(fontsize=8)
    curves.set_title("gradient reaching the hidden state through time")

    positions = np.arange(len(profiles))
    before = [max(p.parameter_norm, 1e-12) for p in profiles]
    after = [max(p.clipped_norm, 1e-12) for p in profiles]
    bars.bar(positions - 0.2, before, width=0.4, label="before clipping")
    bars.bar(positions + 0.2, after, width=0.4, label="after clipping")
    bars.set_yscale("log")
    bars.set_xticks(positions, [p.name for p in profiles], rotation=30, ha="right", fontsize=8)
    bars.set_ylabel("global norm of dL/dW")
    bars.set_title("clipping (the template's clipnorm)")
    bars.legend(fontsize=8)
    if title:
        figure.suptitle(title)
    save_figure(figure, path)
