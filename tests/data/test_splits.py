"""Splits: stratified, seeded, every example in exactly one split, tiny classes survive."""

import subprocess
import sys
import warnings
from collections import Counter

import pytest

from seqzoo.data.errors import DataError
from seqzoo.data.readers import LabelledTexts
from seqzoo.data.splits import SplitWarning, check_labels, split_labelled


def labelled(counts: dict[str, int], source="r.csv") -> LabelledTexts:
    texts, labels = [], []
    for label, count in counts.items():
        for i in range(count):
            texts.append(f"{label} text {i}")
            labels.append(label)
    return LabelledTexts(texts, labels, source)


def test_three_classes_keep_their_shares_in_every_split():
    data = labelled({"a": 100, "b": 50, "c": 50})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning on healthy data
        splits = split_labelled(data, valid_fraction=0.1, test_fraction=0.1, seed=3)
    assert Counter(splits["test"].labels) == {"a": 10, "b": 5, "c": 5}
    assert Counter(splits["valid"].labels) == {"a": 10, "b": 5, "c": 5}
    assert Counter(splits["train"].labels) == {"a": 80, "b": 40, "c": 40}
    for split in splits.values():
        assert split.source == "r.csv"
        for text, label in zip(split.texts, split.labels):
            assert text.startswith(label + " ")  # texts stay with their labels


def test_every_example_in_exactly_one_split_in_file_order():
    data = labelled({"pos": 13, "neg": 8})
    splits = split_labelled(data, valid_fraction=0.2, test_fraction=0.15, seed=0)
    assert [len(splits[n]) for n in ("train", "valid", "test")] == [14, 4, 3]
    everything = splits["train"].texts + splits["valid"].texts + splits["test"].texts
    assert sorted(everything) == sorted(data.texts)
    for split in splits.values():
        positions = [data.texts.index(text) for text in split.texts]
        assert positions == sorted(positions)


def test_same_seed_same_split_other_seed_other_split():
    data = labelled({"pos": 30, "neg": 30})
    first = split_labelled(data, seed=1)
    again = split_labelled(data, seed=1)
    other = split_labelled(data, seed=2)
    assert first["test"].texts == again["test"].texts
    assert first["valid"].texts == again["valid"].texts
    assert first["test"].texts != other["test"].texts


def test_zero_fractions_give_empty_splits():
    data = labelled({"pos": 5, "neg": 5})
    splits = split_labelled(data, valid_fraction=0, test_fraction=0.2)
    assert len(splits["valid"]) == 0 and splits["valid"].source == "r.csv"
    assert Counter(splits["test"].labels) == {"pos": 1, "neg": 1}
    assert len(splits["train"]) == 8


def test_tiny_class_falls_back_to_random_split_with_a_warning():
    data = labelled({"a": 10, "b": 10, "rare": 1})
    with pytest.warns(SplitWarning) as caught:
        splits = split_labelled(data, seed=0)
    assert len(caught) == 1
    assert str(caught[0].message) == (
        "r.csv: cannot stratify the split (class 'rare' has 1 example only); "
        "splitting at random instead"
    )
    everything = splits["train"].texts + splits["valid"].texts + splits["test"].texts
    assert sorted(everything) == sorted(data.texts)


def test_more_classes_than_a_split_can_hold_warns():
    data = labelled({str(i): 2 for i in range(6)})  # test split of 1 for 6 classes
    with pytest.warns(SplitWarning, match="cannot hold all 6 classes"):
        splits = split_labelled(data, valid_fraction=0.1, test_fraction=0.1)
    assert [len(splits[n]) for n in ("train", "valid", "test")] == [10, 1, 1]


def test_one_class_only():
    data = labelled({"pos": 4})
    with pytest.raises(DataError) as info:
        split_labelled(data)
    assert str(info.value) == (
        "r.csv: the label column 'label' has one class only ('pos'); "
        "a classifier needs at least two"
    )
    with pytest.raises(DataError, match="column 'stars' has one class only"):
        check_labels(data, label_column="stars")


def test_one_class_folder_only(tmp_path):
    data = labelled({"pos": 4}, source=str(tmp_path))
    with pytest.raises(DataError) as info:
        check_labels(data)
    assert str(info.value) == (
        f"{tmp_path}: found one class folder only ('pos'); a classifier needs at least two"
    )


def test_too_few_examples_and_bad_fractions():
    with pytest.raises(DataError, match="r.csv: 2 examples are too few to split"):
        split_labelled(labelled({"a": 1, "b": 1}))
    with pytest.raises(DataError, match="there are no examples"):
        check_labels(LabelledTexts([], [], "r.csv"))
    data = labelled({"a": 5, "b": 5})
    with pytest.raises(ValueError, match="leaves no training examples"):
        split_labelled(data, valid_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="must be in"):
        split_labelled(data, valid_fraction=-0.1)


def test_light_modules_import_neither_tensorflow_nor_sklearn():
    code = (
        "import sys, seqzoo.data.readers, seqzoo.data.splits, seqzoo.data.errors; "
        "print(sorted(m for m in ('tensorflow', 'sklearn', 'keras') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
