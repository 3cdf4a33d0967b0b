"""Parallel corpora: the layouts of the issue, their errors, and leakage-free splits."""

from __future__ import annotations

import doctest
import json

import pytest

from seqzoo.data import builtin_parallel, parallel
from seqzoo.data.builtin import BUILTIN_DATASETS
from seqzoo.data.builtin_parallel import load_cldr_dates
from seqzoo.data.errors import DataError
from seqzoo.data.parallel import ParallelTexts, read_parallel, split_parallel


def test_anki_layout_without_header_is_read_by_position(tmp_path):
    path = tmp_path / "fra.txt"
    path.write_text("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n"
                    "Run!\tCours !\tCC-BY 2.0\nRun!\tCourez !\tCC-BY 2.0\n", encoding="utf-8")
    data = read_parallel(str(path), source_column="en", target_column="fr")
    assert data.sources == ["Go.", "Run!", "Run!"]
    assert data.targets == ["Va !", "Cours !", "Courez !"]


def test_tsv_with_a_header_uses_the_named_columns(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("id\tfr\ten\n1\tun chat\ta cat\n2\tun chien\ta dog\n", encoding="utf-8")
    data = read_parallel(str(path), source_column="en", target_column="fr")
    assert data.sources == ["a cat", "a dog"] and data.targets == ["un chat", "un chien"]


def test_csv_and_jsonl(tmp_path):
    csv_path = tmp_path / "pairs.csv"
    csv_path.write_text('en,fr\n"a cat, black",un chat noir\n', encoding="utf-8")
    assert read_parallel(str(csv_path), "en", "fr").sources == ["a cat, black"]
    jsonl = tmp_path / "pairs.jsonl"
    jsonl.write_text("\n".join(json.dumps({"en": s, "fr": t}) for s, t in [("hi", "salut"), ("yes", "oui")]))
    assert read_parallel(str(jsonl), "en", "fr").targets == ["salut", "oui"]


def test_csv_without_the_columns_names_them(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("english,french\na,b\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"pairs.csv.*'en'.*'english', 'french'"):
        read_parallel(str(path), "en", "fr")


def test_row_with_one_field_names_the_line(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("a\tb\nc\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"pairs.tsv, line 2"):
        read_parallel(str(path))


def test_line_aligned_files(tmp_path):
    (tmp_path / "train.de").write_text("ein Hund\neine Katze\n", encoding="utf-8")
    (tmp_path / "train.en").write_text("a dog\na cat\n", encoding="utf-8")
    data = read_parallel(f"{tmp_path / 'train.de'}:{tmp_path / 'train.en'}")
    assert data.sources == ["ein Hund", "eine Katze"] and data.targets == ["a dog", "a cat"]


def test_line_count_mismatch_says_both_counts(tmp_path):
    (tmp_path / "val.de").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "val.en").write_text("x\ny\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_parallel(f"{tmp_path / 'val.de'}:{tmp_path / 'val.en'}")
    message = str(error.value)
    assert "val.de has 3 lines" in message and "val.en has 2" in message


def test_missing_file_of_a_pair_is_named(tmp_path):
    (tmp_path / "a.de").write_text("a\n", encoding="utf-8")
    with pytest.raises(DataError, match="b.en"):
        read_parallel(f"{tmp_path / 'a.de'}:{tmp_path / 'b.en'}")


def test_split_keeps_every_translation_of_a_source_on_one_side():
    sources, targets = [], []
    for i in range(60):
        for j in range(1 + i % 3):  # up to three translations of one sentence
            sources.append(f"Sentence {i}" if j else f"sentence  {i}")  # case and spaces differ
            targets.append(f"phrase {i} v{j}")
    data = ParallelTexts(sources, targets, "example")
    splits = split_parallel(data, 0.2, 0.2, seed=3)
    key = lambda s: " ".join(s.lower().split())  # noqa: E731
    sides = {name: {key(s) for s in part.sources} for name, part in splits.items()}
    assert not sides["train"] & sides["test"] and not sides["train"] & sides["valid"]
    assert not sides["valid"] & sides["test"]
    assert sum(len(part) for part in splits.values()) == len(data)
    assert all(len(part) > 0 for part in splits.values())
    assert split_parallel(data, 0.2, 0.2, seed=3)["test"].sources == splits["test"].sources


def test_cldr_dates_are_babel_renderings_with_reordering():
    data = load_cldr_dates(seed=1, size=200)
    assert len(set(data.sources)) == 200
    # A German "long" date puts the day first: "5. März 2021" for "March 5, 2021".
    longs = [(s, t) for s, t in zip(data.sources, data.targets)
             if len(s.split()) == 3 and len(t.split()) == 3]
    assert longs
    for source, target in longs:
        month, day, year = source.replace(",", "").split()
        assert target.split()[0] == f"{day}." and target.split()[2] == year
    assert load_cldr_dates(seed=1, size=200).targets == data.targets
    assert BUILTIN_DATASETS["cldr-dates"].task == "translation"


def test_doctests():
    for module in (parallel, builtin_parallel):
        assert doctest.testmod(module).failed == 0


def test_cldr_dates_write_may_in_one_style():
    # English "May 5, 2021" is both the long and the medium format; German differs
    # ("5. Mai 2021", "05.05.2021"), so the corpus keeps the long one for May.
    data = load_cldr_dates(seed=0)
    may = [t for s, t in zip(data.sources, data.targets) if s.startswith("May ")]
    assert may and all("Mai" in t for t in may)
