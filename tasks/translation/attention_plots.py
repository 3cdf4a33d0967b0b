"""Attention heat maps: which input positions each output token attended to.

Shared by the generating templates (translation now, captioning later): a matrix
`weights [output_tokens, input_positions]` becomes a PNG with the output tokens down
the side and the input tokens (or image regions) along the top.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def plot_attention(
    weights, input_tokens: Sequence[str], output_tokens: Sequence[str], path, title: str = ""
) -> None:
    """Write a heat map of `weights [len(output_tokens), len(input_tokens)]` to `path`.

    Args:
        weights: array-like; row `i` is the attention of output token `i` over the inputs.
        input_tokens: labels of the columns (source tokens).
        output_tokens: labels of the rows (generated tokens).
        path: the PNG to write (atomically).
        title: optional title.

    Examples:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "attention.png")
    >>> plot_attention([[0.9, 0.1], [0.2, 0.8]], ["le", "chat"], ["the", "cat"], path)
    >>> os.path.getsize(path) > 0
    True
    """
    from seqzoo.tasks.common.plots import pyplot, save_figure

    weights = np.asarray(weights, dtype=np.float32)
    if weights.shape != (len(output_tokens), len(input_tokens)):
        raise ValueError(
            f"weights of shape {weights.shape} do not match {len(output_tokens)} output and "
            f"{len(input_tokens)} input tokens"
        )
    plt = pyplot()
    width = max(3.0, 0.45 * len(input_tokens) + 1.5)
    height = max(2.5, 0.4 * len(output_tokens) + 1.0)
    figure, axis = plt.subplots(figsize=(width, height))
    image = axis.imshow(weights, cmap="viridis", vmin=0.0, vmax=max(1e-6, float(weights.max())), aspect="auto")
    axis.set_xticks(range(len(input_tokens)), list(input_tokens), rotation=60, ha="right")
    axis.set_yticks(range(len(output_tokens)), list(output_tokens))
    axis.xaxis.tick_top()
    axis.tick_params(bottom=False)
    plt.setp(axis.get_xticklabels(), rotation=60, ha="left")
    axis.xaxis.set_label_position("top")
    axis.set_xlabel("input")
    axis.set_ylabel("output")
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04)
    if title:
        # Below the map: the input tokens take the space above it.
        axis.annotate(title, xy=(0.5, 0.0), xycoords="axes fraction", xytext=(0, -6),
                      textcoords="offset points", ha="center", va="top", fontsize=9)
    save_figure(figure, path)


def plot_attention_heads(
    weights, input_tokens: Sequence[str], output_tokens: Sequence[str], path, title: str = ""
) -> None:
    """One heat map per attention head, side by side, in one PNG.

    Args:
        weights: `[heads, len(output_tokens), len(input_tokens)]`.
        input_tokens, output_tokens, path, title: as for `plot_attention`.

    Examples:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "heads.png")
    >>> plot_attention_heads([[[1.0, 0.0]], [[0.5, 0.5]]], ["le", "chat"], ["the"], path)
    >>> os.path.getsize(path) > 0
    True
    """
    from seqzoo.tasks.common.plots import pyplot, save_figure

    weights = np.asarray(weights, dtype=np.float32)
    if weights.ndim != 3 or weights.shape[1:] != (len(output_tokens), len(input_tokens)):
        raise ValueError(
            f"weights of shape {weights.shape} do not match [heads, {len(output_tokens)}, "
            f"{len(input_tokens)}]"
        )
    plt = pyplot()
    heads = weights.shape[0]
    width = max(2.5, 0.4 * len(input_tokens) + 1.0)
    height = max(2.5, 0.4 * len(output_tokens) + 1.0)
    figure, axes = plt.subplots(1, heads, figsize=(width * heads, height), squeeze=False)
    for head, axis in enumerate(axes[0]):
        axis.imshow(weights[head], cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        axis.set_xticks(range(len(input_tokens)), list(input_tokens))
        axis.xaxis.tick_top()
        axis.tick_params(bottom=False)
        plt.setp(axis.get_xticklabels(), rotation=60, ha="left")
        axis.set_yticks(range(len(output_tokens)), list(output_tokens) if head == 0 else [])
        axis.annotate(f"head {head + 1}", xy=(0.5, 0.0), xycoords="axes fraction", xytext=(0, -6),
                      textcoords="offset points", ha="center", va="top", fontsize=9)
    if title:
        figure.text(0.5, -0.02, title, ha="center", va="top", fontsize=10)
    save_figure(figure, path)
