"""Batching: every example once, padded with 0, bucketed, truncated with one warning, seeded."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

from seqzoo.data.batching import (
    TruncationWarning,
    bucket_by_length,
    encode_texts,
    make_dataset,
    pad_batches,
    shuffle_examples,
)
from seqzoo.data.text_preprocessor import TextPreprocessor

from .conftest import RESERVED

RNG = np.random.default_rng(0)
# 40 examples of lengths 1..12 with ids 4..9 (never 0), so padding is visible.
ROWS = [list(RNG.integers(4, 10, size=RNG.integers(1, 13))) for _ in range(40)]


def ragged(rows):
    return tf.ragged.constant(rows, dtype=tf.int32)


def collect(dataset):
    """(rows without padding, targets) in the order the batches give them."""
    rows, targets = [], []
    for ids, target in dataset:
        assert ids.dtype == tf.int32
        for row, t in zip(ids.numpy(), target.numpy()):
            length = len(ROWS[t])
            # Padded with 0 after the tokens and nowhere else: the mask ids != 0 is the length.
            assert (row != 0).tolist() == [True] * length + [False] * (len(row) - length)
            rows.append(row[:length].tolist())
            targets.append(int(t))
    return rows, targets


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("bucketing", [False, True])
def test_every_example_comes_out_exactly_once_padded_with_zero(shuffle, bucketing):
    dataset = make_dataset(ragged(ROWS), np.arange(40), batch_size=6, shuffle=shuffle,
                           bucketing=bucketing, seed=3)
    rows, targets = collect(dataset)
    assert sorted(targets) == list(range(40))
    assert rows == [ROWS[t] for t in targets]
    if not shuffle and not bucketing:
        assert targets == list(range(40))
    sizes = [int(ids.shape[0]) for ids, _ in dataset]
    assert max(sizes) == 6 and sum(sizes) == 40


def test_bucketing_pads_less_than_plain_batching():
    def padding(dataset):
        return sum(int(tf.reduce_sum(tf.cast(ids == 0, tf.int32))) for ids, _ in dataset)

    bucketed = make_dataset(ragged(ROWS), np.arange(40), batch_size=4, bucketing=True)
    plain = make_dataset(ragged(ROWS), np.arange(40), batch_size=4, bucketing=False)
    assert padding(bucketed) < padding(plain)


def test_bucket_by_length_keeps_each_batch_inside_one_bucket():
    lengths = [1, 5, 2, 9, 3, 6, 4, 8, 7, 2]
    rows = [[4] * n for n in lengths]
    dataset = tf.data.Dataset.from_tensor_slices(ragged(rows)).map(lambda x: x)
    batches = [b.numpy() for b in dataset.apply(bucket_by_length(2, [3, 6]))]
    seen = []
    for batch in batches:
        batch_lengths = (batch != 0).sum(axis=1).tolist()
        buckets = {0 if n < 3 else 1 if n < 6 else 2 for n in batch_lengths}
        assert len(buckets) == 1
        assert batch.shape[1] == max(batch_lengths)
        seen += batch_lengths
    assert sorted(seen) == sorted(lengths)


def test_pad_batches_pads_ids_and_sequence_targets_with_zero():
    ids = ragged([[4, 5, 6], [7]])
    targets = tf.ragged.constant([[5, 6, 3], [3]], dtype=tf.int32)
    dataset = tf.data.Dataset.from_tensor_slices((ids, targets)).map(lambda x, y: (x, y))
    x, y = next(iter(dataset.apply(pad_batches(2))))
    assert x.numpy().tolist() == [[4, 5, 6], [7, 0, 0]]
    assert y.numpy().tolist() == [[5, 6, 3], [3, 0, 0]]
    x, y = next(iter(make_dataset(ids, targets, batch_size=2, bucketing=False)))
    assert y.numpy().tolist() == [[5, 6, 3], [3, 0, 0]]


def test_ids_alone_when_there_are_no_targets():
    dataset = make_dataset(ragged([[4, 5], [6]]), batch_size=2, bucketing=False)
    assert next(iter(dataset)).numpy().tolist() == [[4, 5], [6, 0]]


def test_same_seed_same_order_other_seed_other_order():
    def order(seed):
        dataset = make_dataset(ragged(ROWS), np.arange(40), batch_size=5, shuffle=True,
                               seed=seed, bucketing=False)
        return collect(dataset)[1]

    assert order(1) == order(1)
    assert order(1) != order(2)
    assert order(1) != list(range(40))
    # A new epoch of the same dataset is shuffled again.
    dataset = tf.data.Dataset.range(30).apply(shuffle_examples(30, seed=1))
    assert [int(x) for x in dataset] != [int(x) for x in dataset]


def test_make_dataset_is_prefetched_and_checks_lengths():
    dataset = make_dataset(ragged(ROWS), np.arange(40))
    assert "Prefetch" in type(dataset).__name__
    with pytest.raises(ValueError, match="40 examples of ids but 3 targets"):
        make_dataset(ragged(ROWS), np.arange(3))


@pytest.fixture(scope="module")
def preprocessor():
    return TextPreprocessor(RESERVED + ["a", "film", "good", "very"])


def test_encode_texts_truncates_with_one_counted_warning(preprocessor):
    texts = ["a very very good film", "a film", "good film , very good", "film"]
    with pytest.warns(TruncationWarning) as caught:
        ids, n_truncated = encode_texts(preprocessor, texts, max_length=3)
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "2 of 4 texts were longer than max_length=3 tokens and were truncated"
    )
    assert n_truncated == 2
    assert ids.dtype == tf.int32
    assert ids.to_list() == [[4, 7, 7], [4, 5], [6, 5, 1], [5]]


def test_encode_texts_without_truncation_is_silent(preprocessor):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ids, n_truncated = encode_texts(preprocessor, ["a good film", "film"], max_length=3)
        assert (ids.to_list(), n_truncated) == ([[4, 6, 5], [5]], 0)
        ids, n_truncated = encode_texts(preprocessor, ["a good film"])
        assert (ids.to_list(), n_truncated) == ([[4, 6, 5]], 0)
        ids, _ = encode_texts(preprocessor, [])
        assert ids.shape[0] == 0
