"""A running text as one stream of token ids, cut into windows for a language model.

A language model reads the stream `x_0 x_1 ... x_n` and predicts each next
token: the input window `x_t ... x_{t+w-1}` has the targets
`x_{t+1} ... x_{t+w}`. Two layouts:

- `independent_windows`: consecutive windows, each a training example of its
  own (shuffled for training). A model starts every window from scratch.
- `stateful_windows`: the stream is first laid out as `rows` long rows
  (row `i` holds the `i`-th contiguous stretch of the text), then cut into
  windows column by column, so **row i of batch k+1 continues row i of
  batch k**. A recurrent model that carries its final state from one batch
  to the next then reads each row as one long sequence while gradients flow
  back only through one window (truncated backpropagation through time,
  Williams & Peng 1990; the layout of Zaremba et al. 2014). Every batch has
  the same number of rows, so carried states always fit.

Every token but the first is a target exactly once in either layout; the
last window is padded with id 0, which is never a target (`targets != 0`
masks the loss). Batches are `(inputs, targets)`, both int32
`[rows, window]`.

`encode_corpus` turns a text into that stream with a `TextPreprocessor`.

References:
    - Williams & Peng 1990, "An efficient gradient-based algorithm for on-line
      training of recurrent network trajectories", Neural Computation 2(4).
    - Zaremba et al. 2014, "Recurrent Neural Network Regularization",
      https://arxiv.org/abs/1409.2329
"""

from __future__ import annotations

import re

import numpy as np
import tensorflow as tf
from seqzoo.data.errors import DataError
from seqzoo.data.vocabulary import START_ID

__all__ = ["encode_corpus", "stream_rows", "stateful_windows", "independent_windows"]

_CHUNK_CHARACTERS = 1 << 16
_PARAGRAPHS_PER_CALL = 4096


def _char_chunks(text: str) -> list[str]:
    """Pieces of about `_CHUNK_CHARACTERS`, cut after newlines (normalisation never
    spans a newline, so the pieces tokenise as the whole text would)."""
    chunks, start = [], 0
    while start < len(text):
        end = text.find("\n", start + _CHUNK_CHARACTERS)
        end = len(text) if end == -1 else end + 1
        chunks.append(text[start:end])
        start = end
    return chunks


def encode_corpus(preprocessor, text: str, source: str = "the corpus") -> np.ndarray:
    """The token ids of a whole text, as one int32 stream.

    At character level every character counts, newlines included. At word
    and subword level newlines are white space, so the paragraph breaks
    (blank lines) would vanish: each paragraph is instead preceded by the
    [START] id, which the model learns as "a paragraph begins here" (and
    from which generation can start).

    Args:
        preprocessor: a `TextPreprocessor`.
        text: the text.
        source: the file or data set name, for error messages.

    Returns:
        int32 array `[tokens]`.

    Raises:
        DataError: the text holds fewer than two tokens.

    Examples:

    >>> from seqzoo.data.text_preprocessor import TextPreprocessor
    >>> text = "A cat.\\n\\nA dog."
    >>> words = TextPreprocessor.adapt([text], level="word")
    >>> encode_corpus(words, text).tolist()
    [2, 5, 6, 4, 2, 5, 7, 4]
    >>> chars = TextPreprocessor.adapt([text], level="char")
    >>> len(encode_corpus(chars, text)) == len(text)
    True
    """
    if preprocessor.level == "char":
        pieces = [preprocessor(tf.constant(_char_chunks(text))).flat_values.numpy()]
    else:
        paragraphs = [p for p in re.split(r"\n[ \t\r\f\v]*\n", text) if p.strip()]
        pieces = []
        for start in range(0, len(paragraphs), _PARAGRAPHS_PER_CALL):
            ids = preprocessor(tf.constant(paragraphs[start : start + _PARAGRAPHS_PER_CALL]))
            starts = tf.fill([ids.nrows(), 1], START_ID)
            pieces.append(tf.concat([starts, ids], axis=1).flat_values.numpy())
    ids = np.concatenate(pieces).astype(np.int32) if pieces else np.zeros([0], np.int32)
    if len(ids) < 2:
        raise DataError(f"{source}: the text holds fewer than two tokens, too few to model")
    return ids


def stream_rows(ids, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The stream as `rows` contiguous rows of inputs and next-token targets.

    Args:
        ids: int array `[tokens]` (at least 2).
        rows: number of rows; row `i` holds the `i`-th stretch of the text.

    Returns:
        `(inputs, targets)`, int32 `[rows, length]`, zero-padded at the end
        of the last rows; `targets[i, t]` is the token after `inputs[i, t]`.

    Examples:

    >>> inputs, targets = stream_rows(np.arange(1, 9), rows=2)
    >>> inputs.tolist(), targets.tolist()
    ([[1, 2, 3, 4], [5, 6, 7, 0]], [[2, 3, 4, 5], [6, 7, 8, 0]])
    """
    ids = np.asarray(ids, np.int32)
    if len(ids) < 2:
        raise ValueError("a stream needs at least two tokens")
    rows = max(1, min(int(rows), len(ids) - 1))
    length = -(-(len(ids) - 1) // rows)
    padding = rows * length - (len(ids) - 1)
    inputs = np.pad(ids[:-1], (0, padding)).reshape(rows, length)
    targets = np.pad(ids[1:], (0, padding)).reshape(rows, length)
    return inputs, targets


def _pad_columns(array: np.ndarray, multiple: int) -> np.ndarray:
    missing = -array.shape[1] % multiple
    return np.pad(array, [(0, 0), (0, missing)])


def stateful_windows(ids, batch_size: int, window: int) -> tf.data.Dataset:
    """Batches in which row i of batch k+1 continues row i of batch k.

    Args:
        ids: int array `[tokens]`.
        batch_size: rows per batch; fewer when the stream is too short to give
            every row a full window (every batch has the same number).
        window: tokens per row and batch (the truncation length of BPTT).

    Returns:
        A `tf.data.Dataset` of `(inputs, targets)` int32 `[rows, window]`, in
        stream order (never shuffle it).

    Examples:

    >>> batches = list(stateful_windows(np.arange(1, 14), batch_size=2, window=3))
    >>> [inputs.numpy().tolist() for inputs, _ in batches]
    [[[1, 2, 3], [7, 8, 9]], [[4, 5, 6], [10, 11, 12]]]
    """
    return stateful_windows_epoch_data(ids, batch_size, window).batches()


def stateful_windows_epoch_data(ids, batch_size: int, window: int):
    """`stateful_windows` as an `EpochData` (never shuffled: row i continues row i)."""
    from seqzoo.data.epoch_data import EpochData

    rows = max(1, min(int(batch_size), (len(ids) - 1) // int(window)))
    inputs, targets = stream_rows(ids, rows)
    inputs, targets = _pad_columns(inputs, window), _pad_columns(targets, window)
    steps = inputs.shape[1] // window
    # [rows, steps * window] -> [steps, rows, window]: batch k is column block k.
    inputs = inputs.reshape(rows, steps, window).transpose(1, 0, 2)
    targets = targets.reshape(rows, steps, window).transpose(1, 0, 2)
    return EpochData(tf.data.Dataset.from_tensor_slices((inputs, targets)), steps, lambda d: d, shuffle=False)


def independent_windows_epoch_data(ids, window: int, batch_size: int, seed: int = 0):
    """`independent_windows` as an `EpochData`, each epoch shuffled on its own."""
    from seqzoo.data.epoch_data import EpochData

    ids = np.asarray(ids, np.int32)
    inputs = _pad_columns(ids[None, :-1], window).reshape(-1, window)
    targets = _pad_columns(ids[None, 1:], window).reshape(-1, window)
    return EpochData(tf.data.Dataset.from_tensor_slices((inputs, targets)), len(inputs),
                     lambda d: d.batch(batch_size), seed=seed)


def independent_windows(
    ids, window: int, batch_size: int, shuffle: bool = False, seed: int = 0
) -> tf.data.Dataset:
    """Consecutive windows of the stream as independent examples.

    Args:
        ids: int array `[tokens]`.
        window: tokens per example.
        batch_size: examples per batch (the last batch may be smaller).
        shuffle: shuffle the windows (anew each epoch, reproducibly from `seed`).
        seed: shuffling seed.

    Returns:
        A `tf.data.Dataset` of `(inputs, targets)` int32 `[batch, window]`.

    Examples:

    >>> batches = list(independent_windows(np.arange(1, 9), window=3, batch_size=4))
    >>> batches[0][0].numpy().tolist(), batches[0][1].numpy().tolist()
    ([[1, 2, 3], [4, 5, 6], [7, 0, 0]], [[2, 3, 4], [5, 6, 7], [8, 0, 0]])
    """
    return independent_windows_epoch_data(ids, window, batch_size, seed).dataset(shuffle)
