"""LSTM gate activations, recomputed in NumPy from a Keras LSTM's weights.

Keras keeps an LSTM cell's weights as `kernel [input, 4 units]`, `recurrent_kernel
[units, 4 units]` and `bias [4 units]`, the four blocks in the order input gate `i`,
forget gate `f`, candidate `g` (written `c` in Keras' code) and output gate `o`:

    i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i)      f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f)
    g_t = tanh(x_t W_g + h_{t-1} U_g + b_g)         o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o)
    c_t = f_t * c_{t-1} + i_t * g_t                 h_t = o_t * tanh(c_t)

Keras' fused kernels never expose the gates, so they are recomputed here step by step;
`h_t` from this recomputation equals the Keras layer's output, which checks the order.
"""

from __future__ import annotations

import numpy as np

GATES = ("input", "forget", "output")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_gate_activations(inputs, kernel, recurrent_kernel, bias=None) -> dict[str, np.ndarray]:
    """Gates, cell and hidden state of an LSTM over one sequence, from a zero state.

    Args:
        inputs: `[time, input_dim]`, the vectors the LSTM reads (its embedded tokens).
        kernel, recurrent_kernel, bias: the Keras `LSTMCell` weights (bias may be None).

    Returns:
        `{"input", "forget", "output", "candidate", "cell", "hidden"}`, each `[time, units]`.

    Examples:

    >>> import numpy as np
    >>> units, dim = 2, 3
    >>> bias = np.zeros(4 * units); bias[units:2 * units] = 1.0   # Keras' forget bias
    >>> gates = lstm_gate_activations(np.zeros((4, dim)), np.zeros((dim, 4 * units)),
    ...                               np.zeros((units, 4 * units)), bias)
    >>> round(float(gates["forget"][0, 0]), 4), float(gates["input"][0, 0])
    (0.7311, 0.5)
    """
    inputs = np.asarray(inputs, np.float64)
    kernel = np.asarray(kernel, np.float64)
    recurrent_kernel = np.asarray(recurrent_kernel, np.float64)
    units = recurrent_kernel.shape[0]
    bias = np.zeros(4 * units) if bias is None else np.asarray(bias, np.float64)
    h = np.zeros(units)
    c = np.zeros(units)
    names = ("input", "forget", "output", "candidate", "cell", "hidden")
    out = {name: np.zeros((len(inputs), units)) for name in names}
    for t, x in enumerate(inputs):
        z = x @ kernel + h @ recurrent_kernel + bias
        i = _sigmoid(z[:units])
        f = _sigmoid(z[units : 2 * units])
        g = np.tanh(z[2 * units : 3 * units])
        o = _sigmoid(z[3 * units :])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(names, (i, f, o, g, c, h)):
            out[name][t] = value
    return out


def plot_gates(gates: dict[str, np.ndarray], tokens: list[str], path, max_units: int = 32, title: str = "") -> None:
    """Heat maps units x time of the input, forget and output gates, tokens along the x axis."""
    from seqzoo.tasks.common.plots import pyplot, save_figure

    plt = pyplot()
    steps = len(tokens)
    units = min(max_units, gates["forget"].shape[1])
    width = min(24.0, 3.0 + 0.35 * steps)
    # Shared x axis, tokens under the last panel only: under every panel the long ones
    # ran into the next panel and were cut.
    figure, axes = plt.subplots(len(GATES), 1, figsize=(width, 1.2 + 0.9 * len(GATES) + 0.08 * units * len(GATES)),
                                squeeze=False, sharex=True)
    for axis, name in zip(axes[:, 0], GATES):
        image = axis.imshow(gates[name][:, :units].T, aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0,
                            interpolation="nearest")
        axis.set_ylabel(f"{name} gate\nunit")
        figure.colorbar(image, ax=axis, fraction=0.02, pad=0.01)
    labels = ["␣" if t == " " else repr(t)[1:-1] for t in tokens]  # a space (character level) shows
    axes[-1, 0].set_xticks(range(steps), labels, rotation=90, fontsize=7)
    if title:
        axes[0, 0].set_title(title)
    save_figure(figure, path)
