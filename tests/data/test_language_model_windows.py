"""Token streams and their windows for language models, block splits, the built-in corpus."""

import doctest

import numpy as np
import pytest

from seqzoo.data import builtin_corpus, corpus_split, language_model_windows
from seqzoo.data.builtin import BUILTIN_DATASETS, list_builtin_datasets
from seqzoo.data.builtin_corpus import load_corpus_builtin, load_pydoc_topics
from seqzoo.data.corpus_split import split_corpus
from seqzoo.data.errors import DataError
from seqzoo.data.language_model_windows import (
    encode_corpus,
    independent_windows,
    stateful_windows,
    stream_rows,
)
from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.data.vocabulary import START_ID


def batches_of(dataset):
    return [(inputs.numpy(), targets.numpy()) for inputs, targets in dataset]


@pytest.mark.parametrize("length, batch_size, window", [(101, 4, 5), (37, 3, 4), (12, 8, 5), (2, 4, 3)])
def test_row_i_of_the_next_batch_continues_row_i(length, batch_size, window):
    stream = np.arange(10, 10 + length, dtype=np.int32)
    batches = batches_of(stateful_windows(stream, batch_size, window))
    rows = {inputs.shape[0] for inputs, _ in batches}
    assert len(rows) == 1  # every batch the same number of rows, so states fit
    # Reading row i across the batches gives one contiguous stretch of the stream.
    row_texts = [np.concatenate([inputs[i] for inputs, _ in batches]) for i in range(rows.pop())]
    for row in row_texts:
        real = row[row != 0]
        assert np.all(np.diff(real) == 1)
        assert np.all(row[len(real):] == 0)  # padding only at the end
    # The rows in order are the stream without its last token.
    np.testing.assert_array_equal(np.concatenate([r[r != 0] for r in row_texts]), stream[:-1])


@pytest.mark.parametrize("layout", ["stateful", "independent"])
def test_every_token_but_the_first_is_a_target_once_and_follows_its_input(layout):
    rng = np.random.default_rng(0)
    stream = rng.integers(1, 50, size=203).astype(np.int32)
    if layout == "stateful":
        dataset = stateful_windows(stream, batch_size=4, window=7)
    else:
        dataset = independent_windows(stream, window=7, batch_size=5, shuffle=True, seed=3)
    pairs = []
    for inputs, targets in batches_of(dataset):
        assert inputs.dtype == np.int32 and inputs.shape == targets.shape and inputs.shape[1] == 7
        assert np.all((inputs == 0) == (targets == 0))
        pairs += [(a, b) for a, b in zip(inputs.ravel(), targets.ravel()) if b != 0]
    assert len(pairs) == len(stream) - 1
    assert sorted(pairs) == sorted(zip(stream[:-1], stream[1:]))


def test_shuffled_windows_are_reproducible_and_shuffled():
    stream = np.arange(1, 400, dtype=np.int32)
    first = [b[0] for b in batches_of(independent_windows(stream, 5, 8, shuffle=True, seed=1))]
    again = [b[0] for b in batches_of(independent_windows(stream, 5, 8, shuffle=True, seed=1))]
    ordered = [b[0] for b in batches_of(independent_windows(stream, 5, 8))]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    assert not np.array_equal(np.concatenate(first), np.concatenate(ordered))


def test_stream_rows_pads_only_the_tail():
    inputs, targets = stream_rows(np.arange(1, 11), rows=3)
    assert inputs.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert targets.tolist() == [[2, 3, 4], [5, 6, 7], [8, 9, 10]]
    with pytest.raises(ValueError):
        stream_rows(np.array([5]), rows=2)


def test_encode_corpus_keeps_every_character_and_marks_paragraphs_with_start():
    text = "To be, or not to be.\nThat is\n\nthe question.\n"
    chars = TextPreprocessor.adapt([text], level="char", lowercase=False)
    ids = encode_corpus(chars, text)
    assert ids.dtype == np.int32
    assert "".join(chars.vocabulary.token_of(int(i)) for i in ids) == text
    words = TextPreprocessor.adapt([text], level="word")
    ids = encode_corpus(words, text)
    assert ids.tolist().count(START_ID) == 2 and ids[0] == START_ID
    tokens = [words.vocabulary.token_of(int(i)) for i in ids]
    assert tokens[tokens.index("is") + 1] == "[START]"
    subwords = TextPreprocessor.adapt([text] * 3, level="subword", max_vocabulary=60)
    assert encode_corpus(subwords, text)[0] == START_ID


def test_a_text_without_two_tokens_is_refused_by_name():
    chars = TextPreprocessor.adapt(["ab"], level="char")
    with pytest.raises(DataError, match="tiny.txt.*fewer than two tokens"):
        encode_corpus(chars, "a", source="tiny.txt")


def test_split_corpus_holds_out_contiguous_blocks_and_loses_nothing():
    lines = [f"line {i}" for i in range(1000)]
    text = "".join(line + "\n" for line in lines)
    splits = split_corpus(text, 0.1, 0.05, num_blocks=20, seed=4)
    assert splits == split_corpus(text, 0.1, 0.05, num_blocks=20, seed=4)
    assert splits != split_corpus(text, 0.1, 0.05, num_blocks=20, seed=5)
    held = {name: [int(l.split()[1]) for l in splits[name].splitlines()] for name in splits}
    assert sorted(held["train"] + held["valid"] + held["test"]) == list(range(1000))
    # Two blocks of 50 lines for validation, one for test: a few runs of consecutive lines.
    for name, blocks in (("valid", 2), ("test", 1)):
        numbers = held[name]
        assert abs(len(numbers) - 50 * blocks) <= 2
        assert sum(np.diff(numbers) != 1) <= blocks - 1
    assert split_corpus(text, 0.0, 0.1, num_blocks=10)["valid"] == ""


def test_a_text_on_one_line_is_cut_between_words():
    words = [f"w{i % 97}x" for i in range(3000)]
    text = " ".join(words)  # no newline at all
    splits = split_corpus(text, 0.1, 0.1, num_blocks=20, seed=0)
    vocabulary = set(words)
    for name, part in splits.items():
        assert set(part.split()) <= vocabulary, name  # no word glued from two cut halves
    assert sum(len(part.split()) for part in splits.values()) == len(words)


def test_a_text_too_short_for_the_held_out_blocks_is_refused():
    with pytest.raises(DataError, match="short.txt.*too short"):
        split_corpus("ab", 0.3, 0.3, source="short.txt")


def test_the_pydoc_topics_corpus_is_registered_and_loads_offline():
    dataset = BUILTIN_DATASETS["pydoc-topics"]
    assert dataset.task == "language-model" and "pydoc_data" in dataset.origin
    assert dataset in list_builtin_datasets(task="language-model")
    text = load_pydoc_topics()
    assert len(text) > 200_000 and "The \"with\" statement" in text
    assert load_corpus_builtin("pydoc-topics") == text
    with pytest.raises(ValueError, match="pydoc-topics"):
        load_corpus_builtin("wikitext")


@pytest.mark.parametrize("module", [language_model_windows, corpus_split, builtin_corpus])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
