"""tf.data batching of token ids: small transforms for `dataset.apply`.

Batches are `int32` ids `[batch, time]` padded with 0 (`PAD_ID`), so a
model's mask is `ids != 0`. Each transform does one thing, in the style of
OpenNMT-tf: `make_dataset` chains them for the common case.
"""

import warnings

import numpy as np
import tensorflow as tf

_ENCODE_CHUNK = 4096  # texts per preprocessor call, to bound memory
_BUCKET_QUANTILES = np.linspace(0.1, 0.9, 9)


class TruncationWarning(UserWarning):
    """Some texts were longer than `max_length` tokens and were cut.

    Args:
        message: how many texts of how many, and the limit.

    Examples:

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn(TruncationWarning("2 of 9 texts were longer than ..."))
    >>> caught[0].category is TruncationWarning
    True
    """


def encode_texts(preprocessor, texts, max_length: int | None = None):
    """Token ids of many texts, cut to `max_length` tokens.

    When texts are cut, one `TruncationWarning` says how many: "N of M
    texts were longer than max_length=K tokens and were truncated".

    Args:
        preprocessor: a `TextPreprocessor` (any callable from a string
            tensor [batch] to a ragged int32 tensor works).
        texts: a list of strings.
        max_length: the most tokens kept per text (the first ones); None
            keeps all.

    Returns:
        `(ids, n_truncated)`: a `tf.RaggedTensor` int32 [len(texts), (tokens)]
        and the number of texts that were cut.

    Examples:

    >>> from seqzoo.data.text_preprocessor import TextPreprocessor
    >>> preprocessor = TextPreprocessor.adapt(["a good film", "a film"])
    >>> ids, n_truncated = encode_texts(preprocessor, ["a good film", "film"], max_length=5)
    >>> ids.to_list(), n_truncated
    ([[4, 6, 5], [5]], 0)
    """
    if max_length is not None and max_length < 1:
        raise ValueError(f"max_length={max_length} must be at least 1")
    texts = list(texts)
    chunks = [
        preprocessor(tf.constant(texts[start : start + _ENCODE_CHUNK], tf.string))
        for start in range(0, len(texts), _ENCODE_CHUNK)
    ]
    if chunks:
        ids = tf.concat(chunks, axis=0) if len(chunks) > 1 else chunks[0]
    else:
        ids = tf.RaggedTensor.from_row_lengths(tf.zeros([0], tf.int32), tf.zeros([0], tf.int64))
    n_truncated = 0
    if max_length is not None:
        n_truncated = int(tf.reduce_sum(tf.cast(ids.row_lengths() > max_length, tf.int32)))
        if n_truncated:
            ids = ids[:, :max_length]
            warnings.warn(
                TruncationWarning(
                    f"{n_truncated} of {len(texts)} texts were longer than "
                    f"max_length={max_length} tokens and were truncated"
                ),
                stacklevel=2,
            )
    return ids, n_truncated


def shuffle_examples(buffer_size: int, seed: int):
    """A transform that shuffles examples, reproducibly.

    The same seed gives the same order on a dataset's first pass; each new
    pass (epoch) is shuffled again.

    Args:
        buffer_size: examples held for shuffling; the dataset size gives a
            full shuffle.
        seed: the shuffle's seed.

    Returns:
        a function for `dataset.apply`.

    Examples:

    >>> dataset = tf.data.Dataset.range(5).apply(shuffle_examples(5, seed=0))
    >>> sorted(int(x) for x in dataset)
    [0, 1, 2, 3, 4]
    """

    def transform(dataset):
        return dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)

    return transform


def bucket_by_length(batch_size: int, boundaries):
    """A transform that batches examples of similar length together.

    Examples are 1-D id tensors, or tuples whose first item is one. An
    example of length L goes to the first bucket whose boundary is above L
    (`tf.data.Dataset.bucket_by_sequence_length`); each batch is padded
    with 0 to its longest example, so less padding is computed.

    Args:
        batch_size: examples per batch (the last batch of a bucket may be
            smaller).
        boundaries: increasing lengths that separate the buckets.

    Returns:
        a function for `dataset.apply`.

    Examples:

    >>> ids = tf.ragged.constant([[4], [5, 6, 7], [8], [9, 4, 5]])
    >>> dataset = tf.data.Dataset.from_tensor_slices(ids).map(lambda x: x)
    >>> [b.numpy().tolist() for b in dataset.apply(bucket_by_length(2, [2]))]
    [[[4], [8]], [[5, 6, 7], [9, 4, 5]]]
    """
    boundaries = [int(b) for b in boundaries]

    def transform(dataset):
        return dataset.bucket_by_sequence_length(
            element_length_func=lambda *example: tf.shape(example[0])[0],
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
            padding_values=_zeros_like_spec(dataset.element_spec),
        )

    return transform


def pad_batches(batch_size: int):
    """A transform that batches examples in order, padding with 0.

    Args:
        batch_size: examples per batch (the last may be smaller).

    Returns:
        a function for `dataset.apply`.

    Examples:

    >>> ids = tf.ragged.constant([[4], [5, 6, 7]])
    >>> dataset = tf.data.Dataset.from_tensor_slices(ids).map(lambda x: x)
    >>> [b.numpy().tolist() for b in dataset.apply(pad_batches(2))]
    [[[4, 0, 0], [5, 6, 7]]]
    """

    def transform(dataset):
        return dataset.padded_batch(
            batch_size, padding_values=_zeros_like_spec(dataset.element_spec)
        )

    return transform


def make_dataset(
    ids: tf.RaggedTensor,
    targets=None,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    bucketing: bool = True,
) -> tf.data.Dataset:
    """A batched, padded, prefetched dataset of token ids (and targets).

    Bucketing changes the order of the examples (batches hold examples of
    similar length), so pass `bucketing=False` where outputs must line up
    with inputs, as in prediction.

    Args:
        ids: token ids, `tf.RaggedTensor` int32 [examples, (tokens)].
        targets: one target per example: a NumPy array (labels), a ragged
            tensor (token sequences, padded with 0 like the ids), or None.
        batch_size: examples per batch.
        shuffle: shuffle the examples (again at every epoch).
        seed: the shuffle's seed; the same seed gives the same first epoch.
        bucketing: batch examples of similar length together, with
            boundaries at the deciles of the lengths.

    Returns:
        a `tf.data.Dataset` of `(ids, targets)` batches, or of `ids` alone
        when `targets` is None, ids int32 [batch, time] padded with 0.

    Examples:

    >>> ids = tf.ragged.constant([[4, 5], [6], [7, 8, 9]], dtype=tf.int32)
    >>> dataset = make_dataset(ids, np.array([1, 0, 1]), batch_size=3, bucketing=False)
    >>> batch_ids, labels = next(iter(dataset))
    >>> batch_ids.numpy().tolist(), labels.numpy().tolist()
    ([[4, 5, 0], [6, 0, 0], [7, 8, 9]], [1, 0, 1])
    """
    data = make_epoch_data(ids, targets, batch_size, seed, bucketing)
    return data.dataset(shuffle)


def make_epoch_data(ids: tf.RaggedTensor, targets=None, batch_size: int = 32, seed: int = 0,
                    bucketing: bool = True):
    """`make_dataset`'s examples and batching as an `EpochData`, whose epochs can each
    be rebuilt on their own (so a resumed run sees the same batches).

    Examples:

    >>> ids = tf.ragged.constant([[4, 5], [6], [7, 8, 9]], dtype=tf.int32)
    >>> data = make_epoch_data(ids, np.array([1, 0, 1]), batch_size=3, bucketing=False)
    >>> [labels.numpy().tolist() for _, labels in data.batches()]
    [[1, 0, 1]]
    """
    from seqzoo.data.epoch_data import EpochData

    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be at least 1")
    if not isinstance(ids, tf.RaggedTensor):
        ids = tf.RaggedTensor.from_tensor(tf.convert_to_tensor(ids))
    ids = tf.cast(ids, tf.int32)
    n = int(ids.nrows())
    if targets is None:
        dataset = tf.data.Dataset.from_tensor_slices(ids)
    else:
        if not isinstance(targets, (tf.RaggedTensor, tf.Tensor)):
            targets = np.asarray(targets)
        n_targets = int(targets.nrows()) if isinstance(targets, tf.RaggedTensor) else len(targets)
        if n_targets != n:
            raise ValueError(f"{n} examples of ids but {n_targets} targets")
        dataset = tf.data.Dataset.from_tensor_slices((ids, targets))
    # Slices of a ragged tensor are ragged specs; an identity map makes them
    # plain 1-D tensors, which padded batching needs.
    dataset = dataset.map(lambda *example: example if len(example) > 1 else example[0])
    boundaries = _length_boundaries(ids.row_lengths().numpy()) if bucketing else []
    batch = bucket_by_length(batch_size, boundaries) if boundaries else pad_batches(batch_size)
    return EpochData(dataset, n, batch, seed=seed)


def _length_boundaries(lengths: np.ndarray) -> list[int]:
    """Bucket boundaries at the deciles of the lengths (none for one length)."""
    if len(lengths) == 0:
        return []
    edges = np.unique(np.ceil(np.quantile(lengths, _BUCKET_QUANTILES)).astype(int) + 1)
    return [int(edge) for edge in edges if lengths.min() < edge <= lengths.max()]


def _zeros_like_spec(element_spec):
    return tf.nest.map_structure(lambda spec: tf.zeros([], spec.dtype), element_spec)
