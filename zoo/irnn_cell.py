"""The IRNN cell: an Elman cell with ReLU and identity recurrent weights."""

import keras

from seqzoo.zoo.elman_cell import ElmanCell


@keras.saving.register_keras_serializable(package="seqzoo")
class IRNNCell(ElmanCell):
    """An Elman cell with ReLU, identity recurrent weights and zero bias.

    Le et al. (2015) showed that a plain recurrent network learns long-range
    dependencies about as well as an LSTM when its activation is ReLU, its
    recurrent weights `W_hh` start as the identity (so at initialisation the
    state is carried over unchanged) and its bias starts at zero. The
    equations are those of `ElmanCell` with `activation="relu"`:

        h_t = relu(x_t W_hx + h_{t-1} W_hh + b_h),   W_hh = gain * I at init

    Args:
        units: int. Size of the hidden state.
        output_units: int or None. When set, the cell emits `y_t = h_t W_hy`.
        identity_gain: float. `W_hh` starts as `identity_gain * I`; 1 keeps
            the state unchanged at initialisation, a smaller value makes it
            decay.
        use_bias: bool. Whether to add the bias `b_h` (starts at zero).
        kernel_initializer: initializer of `W_hx` and `W_hy`.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> import numpy as np
    >>> import keras
    >>> from seqzoo.zoo import IRNNCell
    >>> cell = IRNNCell(4)
    >>> layer = keras.layers.RNN(cell, return_sequences=True)
    >>> tuple(layer(np.ones((2, 5, 3), dtype="float32")).shape)
    (2, 5, 4)
    >>> bool(np.array_equal(cell.W_hh.numpy(), np.eye(4)))
    True

    References:
        - [Le, Jaitly and Hinton, 2015. A Simple Way to Initialize Recurrent
          Networks of Rectified Linear Units](https://arxiv.org/abs/1504.00941)
    """

    def __init__(
        self,
        units,
        output_units=None,
        identity_gain=1.0,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(
            units,
            output_units=output_units,
            activation="relu",
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            recurrent_initializer=keras.initializers.Identity(
                gain=identity_gain
            ),
            bias_initializer="zeros",
            **kwargs,
        )
        self.identity_gain = identity_gain

    def get_config(self):
        config = super().get_config()
        # Fixed by the IRNN recipe, so not constructor arguments here.
        for fixed in ("activation", "recurrent_initializer", "bias_initializer"):
            del config[fixed]
        config["identity_gain"] = self.identity_gain
        return config
