"""Training examples with their batching, so that any epoch can be rebuilt on its own.

A `tf.data` shuffle that reshuffles at every pass gives epoch k the k-th order of its
seed generator: a new process cannot start at epoch k with epoch k's order. `EpochData`
keeps the examples and the batching apart, and shuffles epoch k with a seed made of the
run's seed and k alone, so a resumed run sees exactly the batches an uninterrupted one
would (`seqzoo train --resume`).
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

_SEED_MODULUS = 2**31 - 1


def epoch_seed(seed: int, epoch: int) -> int:
    """The shuffle seed of `epoch` in a run seeded with `seed`.

    Examples:

    >>> epoch_seed(0, 0) != epoch_seed(0, 1), epoch_seed(3, 2) == epoch_seed(3, 2)
    (True, True)
    """
    return (int(seed) * 1_000_003 + int(epoch) * 7_919 + 1) % _SEED_MODULUS


def _shuffled(examples: tf.data.Dataset, buffer: int, seed: int) -> tf.data.Dataset:
    """`examples` shuffled once, in an order given by `seed` alone.

    A `tf.data` shuffle draws its order from the op seed and TensorFlow's global seed
    (`tf.random.set_seed`), whatever that is when the dataset is made. Made inside a
    function, whose graph has a seed of its own, the order no longer depends on the
    process (what it seeded globally before), and the global seed is left untouched."""

    @tf.function(autograph=False)
    def build(dataset):
        tf.random.set_seed(0)  # in a function: the seed of this function's graph only
        return dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=False)

    # One trace per epoch is the point here, so TensorFlow's "triggered tf.function
    # retracing" advice (it counts traces of this code) is noise in the training log.
    logger = tf.get_logger()
    logger.addFilter(_drop_retracing_warning)
    try:
        return build(examples)
    finally:
        logger.removeFilter(_drop_retracing_warning)


def _drop_retracing_warning(record) -> bool:
    return "triggered tf.function retracing" not in record.getMessage()


class EpochData:
    """Examples and how one epoch of them becomes batches.

    Args:
        examples: a `tf.data.Dataset` of single examples, in the data's order.
        size: how many examples it holds (a full shuffle's buffer).
        batch: a function from a dataset of examples to a dataset of batches (it may
            bucket, pad and map batches; it must not shuffle).
        seed: the run's seed; epoch k is shuffled with `epoch_seed(seed, k)`.
        shuffle: False for data whose order matters (truncated BPTT's rows).

    Examples:

    >>> data = EpochData(tf.data.Dataset.range(6), 6, lambda d: d.batch(3), seed=0)
    >>> first = [b.numpy().tolist() for b in data.epoch(1)]
    >>> [b.numpy().tolist() for b in data.epoch(1, skip_batches=1)] == first[1:]
    True
    >>> sorted(sum(first, []))
    [0, 1, 2, 3, 4, 5]
    >>> [b.numpy().tolist() for b in data.batches()]
    [[0, 1, 2], [3, 4, 5]]
    """

    def __init__(self, examples: tf.data.Dataset, size: int, batch: Callable, seed: int = 0, shuffle: bool = True):
        self.examples = examples
        self.size = int(size)
        self.batch = batch
        self.seed = int(seed)
        self.shuffle = bool(shuffle)

    def epoch(self, number: int, skip_batches: int = 0) -> tf.data.Dataset:
        """The batches of epoch `number` (from 0), without its first `skip_batches`."""
        examples = self.examples
        if self.shuffle:
            examples = _shuffled(examples, max(self.size, 1), epoch_seed(self.seed, number))
        batches = self.batch(examples)
        if skip_batches:
            batches = batches.skip(int(skip_batches))
        return batches.prefetch(tf.data.AUTOTUNE)

    def batches(self) -> tf.data.Dataset:
        """All the batches in the data's order (evaluation, prediction)."""
        return self.batch(self.examples).prefetch(tf.data.AUTOTUNE)

    def dataset(self, shuffle: bool = False) -> tf.data.Dataset:
        """One dataset for many passes: shuffled anew at each pass when `shuffle` (the
        seed fixes the first pass), else in order."""
        if not (shuffle and self.shuffle):
            return self.batches()
        examples = self.examples.shuffle(max(self.size, 1), seed=self.seed, reshuffle_each_iteration=True)
        return self.batch(examples).prefetch(tf.data.AUTOTUNE)

    def with_lengths_rounded(self, multiple: int) -> "EpochData":
        """The same epochs with every id sequence in a batch padded (with 0) to a length
        that is a multiple of `multiple`, so that batch shapes repeat: XLA compiles a
        step once per shape, and a bucketed epoch would otherwise bring new ones.

        Examples:

        >>> data = EpochData(tf.data.Dataset.from_tensor_slices([[1, 2, 3]]), 1, lambda d: d.batch(1))
        >>> next(iter(data.with_lengths_rounded(4).batches())).numpy().tolist()
        [[1, 2, 3, 0]]
        """
        batch = self.batch

        def pad(tensor):
            if tensor.dtype.is_integer and tensor.shape.rank == 2:
                length = tf.shape(tensor)[1]
                extra = (-length) % multiple
                return tf.pad(tensor, [[0, 0], [0, extra]])
            return tensor

        def padded(examples):
            return batch(examples).map(lambda *parts: tf.nest.map_structure(pad, parts if len(parts) > 1 else parts[0]))

        return EpochData(self.examples, self.size, padded, seed=self.seed, shuffle=self.shuffle)
