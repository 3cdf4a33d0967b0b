"""Tests for the built-in data sets (seqzoo.data.builtin)."""

import doctest
import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from seqzoo.data import builtin
from seqzoo.data.builtin import (
    BUILTIN_DATASETS,
    BuiltinDataset,
    ExampleInfo,
    list_builtin_datasets,
    load_builtin,
    rule_label,
)


@pytest.fixture(scope="module")
def reviews():
    return load_builtin("negation-reviews", seed=0, with_metadata=True)


def test_registry_lists_negation_reviews_for_sentiment():
    assert "negation-reviews" in BUILTIN_DATASETS  # other tasks register theirs too
    dataset = BUILTIN_DATASETS["negation-reviews"]
    assert isinstance(dataset, BuiltinDataset)
    assert (dataset.name, dataset.task) == ("negation-reviews", "sentiment")
    assert dataset.description and dataset.origin
    assert dataset in list_builtin_datasets()
    assert list_builtin_datasets(task="sentiment") == [dataset]
    assert dataset not in list_builtin_datasets(task="captioning")


def test_unknown_task_and_name_give_clear_errors():
    with pytest.raises(ValueError, match="sentiment"):
        list_builtin_datasets(task="sentiments")
    with pytest.raises(ValueError, match=r"'imdb'.*negation-reviews"):
        load_builtin("imdb")


@pytest.mark.parametrize("size", [0, -3, 2.5, "10", True])
def test_bad_size_is_rejected(size):
    with pytest.raises(ValueError, match="size"):
        load_builtin("negation-reviews", size=size)


def test_default_size_and_source(reviews):
    data, infos = reviews
    assert len(data.texts) == len(data.labels) == len(infos) == 6000
    assert "negation-reviews" in data.source
    assert all(isinstance(info, ExampleInfo) for info in infos)


def test_same_seed_same_examples_other_seed_other_examples(reviews):
    data, _ = reviews
    again = load_builtin("negation-reviews", seed=0)
    assert again.texts == data.texts and again.labels == data.labels
    other = load_builtin("negation-reviews", seed=1)
    same_text = sum(a == b for a, b in zip(data.texts, other.texts))
    assert same_text < 60  # a few short texts may coincide by chance


def test_without_metadata_returns_the_texts_alone():
    plain = load_builtin("negation-reviews", seed=0, size=50)
    assert not isinstance(plain, tuple)
    assert len(plain.texts) == len(plain.labels) == 50
    with_metadata = load_builtin("negation-reviews", seed=0, size=50, with_metadata=True)
    assert with_metadata[0].texts == plain.texts and len(with_metadata[1]) == 50


@pytest.mark.parametrize("size", [6000, 101, 1])
def test_labels_are_balanced(size):
    labels = load_builtin("negation-reviews", seed=3, size=size).labels
    assert set(labels) <= {"positive", "negative"}
    assert abs(labels.count("positive") - labels.count("negative")) <= 1
    if size >= 100:
        assert 0.45 <= labels.count("positive") / size <= 0.55


def test_labels_are_balanced_within_each_construction(reviews):
    data, infos = reviews
    for construction in builtin.CONSTRUCTIONS:
        labels = [y for y, info in zip(data.labels, infos) if info.construction == construction]
        assert len(labels) > 300, construction
        assert 0.40 <= labels.count("positive") / len(labels) <= 0.60, construction


def test_text_form_is_lower_case_tokens_separated_by_single_spaces(reviews):
    data, infos = reviews
    token = re.compile(r"[a-z0-9]+|[,.]")
    for text, info in zip(data.texts, infos):
        tokens = text.split(" ")
        assert all(token.fullmatch(t) for t in tokens), text
        assert tokens[-1] == "."
        assert info.length == len(tokens)
    vocabulary = {t for text in data.texts for t in text.split(" ")}
    assert 200 <= len(vocabulary) <= 600


def test_lengths_range_from_short_to_long(reviews):
    _, infos = reviews
    lengths = np.array([info.length for info in infos])
    assert lengths.min() <= 6
    assert 75 <= lengths.max() <= 80
    assert (lengths <= 12).mean() > 0.05
    assert (lengths > 40).mean() > 0.3


def test_decisive_words_sit_far_before_the_end(reviews):
    data, infos = reviews
    decisive_words = builtin.POSITIVE_WORDS | builtin.NEGATIVE_WORDS | builtin.NEGATION_TOKENS
    for text, info in zip(data.texts, infos):
        tail = text.split(" ")[-info.distance_to_end:]
        if info.construction == "although-last":
            # The overruled "although" clause follows the deciding main clause.
            assert tail[:2] in ([",", "although"], [",", "though"], [",", "even"]), text
            tail = tail[tail.index(".") :]
        # The filler after the decisive part carries no sentiment or negation.
        assert not decisive_words & set(tail), text
    distances = np.array([info.distance_to_end for info in infos if info.length > 40])
    assert np.median(distances) >= 20


def test_every_construction_and_negation_occurs(reviews):
    data, infos = reviews
    assert {info.construction for info in infos} == set(builtin.CONSTRUCTIONS)
    negated = np.mean([info.negated for info in infos])
    assert 0.3 < negated < 0.5
    for phrase in (" not ", " never ", " hardly ", " far from ", " by no means ", " did not "):
        assert any(phrase in text for text in data.texts), phrase


@pytest.mark.parametrize(
    "text, label",
    [
        ("the film was good .", "positive"),
        ("the film was not good .", "negative"),
        ("the plot was never boring .", "positive"),
        ("the movie was hardly a masterpiece .", "negative"),
        ("it is far from a disaster .", "positive"),
        ("the ending did not move me .", "negative"),
        ("the pacing never bored me .", "positive"),
        ("i found the script not very clever .", "negative"),
        ("the acting was by no means awful .", "positive"),
        ("the plot was dull , but the acting was superb .", "positive"),
        ("the plot was superb , yet the acting was dull .", "negative"),
        ("the plot was not dull , but the acting was not superb .", "negative"),
        ("the plot was dull . however , the acting was superb .", "positive"),
        ("although the acting was superb , the plot was dull .", "negative"),
        ("even though the acting was not superb , the plot was not dull .", "positive"),
        ("the plot was dull , although the acting was superb .", "negative"),
        ("the plot was good , and the acting was superb .", "positive"),
        (
            "the plot was dull , but the acting was superb . "
            "the story is set in paris in the 1960s . it runs for about 95 minutes .",
            "positive",
        ),
    ],
)
def test_rule_label_on_hand_written_examples(text, label):
    assert rule_label(text) == label


def test_rule_label_rejects_text_outside_the_grammar():
    with pytest.raises(ValueError):
        rule_label("it runs for about 95 minutes .")


def test_generated_labels_follow_the_scoping_rule(reviews):
    data, _ = reviews
    assert [rule_label(text) for text in data.texts] == data.labels


def test_clause_after_but_decides_checked_with_independent_word_lists(reviews):
    # A second, deliberately small check that does not use the module's lexicon
    # or rule: "..., but SUBJECT was|is [not] ADJECTIVE ." for a few adjectives.
    positive = {"good", "great", "superb", "excellent", "wonderful", "funny"}
    negative = {"bad", "awful", "dull", "boring", "terrible", "tedious"}
    pattern = re.compile(r", but [a-z ]+? (?:was|is) (not )?(\w+) \.")
    data, _ = reviews
    checked = 0
    for text, label in zip(data.texts, data.labels):
        match = pattern.search(text)
        if not match or match.group(2) not in positive | negative:
            continue
        polarity = 1 if match.group(2) in positive else -1
        if match.group(1):
            polarity = -polarity
        assert label == ("positive" if polarity > 0 else "negative"), text
        checked += 1
    assert checked > 20


def test_bag_of_words_cannot_solve_it_but_the_rule_can():
    train = load_builtin("negation-reviews", seed=0, size=6000)
    test = load_builtin("negation-reviews", seed=1, size=2000)
    vectorizer = CountVectorizer(token_pattern=r"[^ ]+")
    model = LogisticRegression(max_iter=2000)
    model.fit(vectorizer.fit_transform(train.texts), train.labels)
    bag_of_words = model.score(vectorizer.transform(test.texts), test.labels)
    assert bag_of_words < 0.70
    rule = np.mean([rule_label(text) == label for text, label in zip(test.texts, test.labels)])
    assert rule == 1.0


def test_docstring_examples_run():
    result = doctest.testmod(builtin)
    assert result.attempted > 5 and result.failed == 0
