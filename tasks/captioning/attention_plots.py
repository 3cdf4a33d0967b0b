"""Where a captioner looked: the image with each word's attention over its regions.

`plot_caption_attention` draws a grid of panels, the image alone first and then one
panel per generated word, each with that word's attention weights over the region grid
upsampled onto the image (bright where the decoder attended).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def plot_caption_attention(pixels, attention, words: Sequence[str], path, title: str = "",
                           columns: int = 4) -> None:
    """Write the attention panels of one caption to `path` (PNG, atomically).

    Args:
        pixels: the image the model read, `[height, width, 3]` (uint8 or 0..255 floats).
        attention: `[len(words), rows, columns]` weights over the region grid.
        words: the generated words (END included), one panel each.
        path: the PNG to write.
        title: shown above the first panel (e.g. the caption).
        columns: panels per row of the figure.

    Examples:

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "attention.png")
    >>> weights = np.array([[[0.9, 0.1]], [[0.2, 0.8]]])
    >>> plot_caption_attention(np.zeros((8, 16, 3), np.uint8), weights, ["one", "two"], path)
    >>> os.path.getsize(path) > 0
    True
    """
    from seqzoo.tasks.common.plots import pyplot, save_figure

    pixels = np.clip(np.asarray(pixels, np.float32), 0, 255).astype(np.uint8)
    attention = np.asarray(attention, np.float32)
    if attention.ndim != 3 or attention.shape[0] != len(words):
        raise ValueError(f"attention of shape {attention.shape} does not match {len(words)} words")
    height, width = pixels.shape[:2]
    panels = len(words) + 1
    columns = max(1, min(columns, panels))
    rows = math.ceil(panels / columns)
    scale = 2.6 / max(height, width) * 1.4
    figure, axes = pyplot().subplots(rows, columns, figsize=(columns * width * scale + 0.4,
                                                              rows * (height * scale + 0.45)), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    grey = pixels.mean(axis=-1) if np.allclose(pixels[..., 0], pixels[..., 1]) else None
    for index in range(panels):
        axis = axes.flat[index]
        axis.imshow(pixels if grey is None else grey, cmap=None if grey is None else "gray", vmin=0, vmax=255)
        if index == 0:
            axis.set_title(title or "image", fontsize=8)
            continue
        weights = attention[index - 1]
        # The region grid spans the whole image: stretch it over the pixels.
        axis.imshow(weights, cmap="inferno", alpha=0.55, extent=(0, width, height, 0),
                    interpolation="bilinear", vmin=0.0, vmax=max(1e-6, float(weights.max())))
        axis.set_title(words[index - 1], fontsize=9)
    save_figure(figure, path)
