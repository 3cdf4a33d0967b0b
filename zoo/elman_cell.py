"""The Elman recurrent cell, written from the textbook equations."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqzoo")
class ElmanCell(keras.layers.Layer):
    """One time step of an Elman (simple) recurrent network.

    The cell computes, for an input row vector `x_t` and the previous hidden
    state `h_{t-1}`:

        h_t = activation(x_t W_hx + h_{t-1} W_hh + b_h)
        y_t = h_t W_hy                      (only when `output_units` is set)

    which, in the column-vector notation of the textbooks, reads
    `h_t = tanh(W_hh^T h_{t-1} + W_hx^T x_t)` and `y_t = W_hy^T h_t`. The
    weights carry exactly those names, so `cell.W_hx` is `W_hx`. Run it over
    time with `keras.layers.RNN`, which also handles masks: a masked step
    keeps the previous state.

    Args:
        units: int. Size of the hidden state `h_t`.
        output_units: int or None. When set, the cell emits `y_t = h_t W_hy`
            of this size; when None it emits `h_t` itself (no `W_hy`).
        activation: activation of the hidden state, `"tanh"` by default.
        use_bias: bool. Whether to add the bias `b_h`.
        kernel_initializer: initializer of the input weights `W_hx` and of
            the output weights `W_hy`.
        recurrent_initializer: initializer of the recurrent weights `W_hh`.
        bias_initializer: initializer of the bias `b_h`.
        **kwargs: other keyword arguments of `keras.layers.Layer` (`name`,
            `dtype`, ...).

    Examples:

    >>> import numpy as np
    >>> import keras
    >>> from seqzoo.zoo import ElmanCell
    >>> layer = keras.layers.RNN(
    ...     ElmanCell(4, output_units=3), return_sequences=True
    ... )
    >>> y = layer(np.zeros((2, 5, 6), dtype="float32"))
    >>> tuple(y.shape)
    (2, 5, 3)
    >>> [weight.name for weight in layer.cell.weights]
    ['W_hx', 'W_hh', 'b_h', 'W_hy']

    References:
        - [Elman, 1990. Finding Structure in Time. Cognitive Science 14(2)](
          https://doi.org/10.1207/s15516709cog1402_1)
    """

    def __init__(
        self,
        units,
        output_units=None,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if units <= 0:
            raise ValueError(f"units must be positive, got {units}.")
        if output_units is not None and output_units <= 0:
            raise ValueError(
                f"output_units must be positive or None, got {output_units}."
            )
        self.units = units
        self.output_units = output_units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        # keras.layers.RNN reads these two to allocate states and outputs.
        self.state_size = units
        self.output_size = output_units or units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.W_hx = self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            name="W_hx",
        )
        self.W_hh = self.add_weight(
            shape=(self.units, self.units),
            initializer=self.recurrent_initializer,
            name="W_hh",
        )
        self.b_h = None
        if self.use_bias:
            self.b_h = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                name="b_h",
            )
        self.W_hy = None
        if self.output_units is not None:
            self.W_hy = self.add_weight(
                shape=(self.units, self.output_units),
                initializer=self.kernel_initializer,
                name="W_hy",
            )

    def call(self, inputs, states, training=None):
        # keras.layers.RNN passes the states as a list; a direct caller may
        # pass the one state tensor alone.
        states_are_list = isinstance(states, (list, tuple))
        h_previous = states[0] if states_are_list else states
        pre_activation = ops.matmul(inputs, self.W_hx) + ops.matmul(
            h_previous, self.W_hh
        )
        if self.b_h is not None:
            pre_activation = pre_activation + self.b_h
        h = self.activation(pre_activation)
        y = h if self.W_hy is None else ops.matmul(h, self.W_hy)
        return y, ([h] if states_are_list else h)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "output_units": self.output_units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(
                    self.kernel_initializer
                ),
                "recurrent_initializer": keras.initializers.serialize(
                    self.recurrent_initializer
                ),
                "bias_initializer": keras.initializers.serialize(
                    self.bias_initializer
                ),
            }
        )
        return config
