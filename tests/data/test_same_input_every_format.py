"""The same input is treated the same way in every format (issue 14, rule 4): long
texts, missing labels and one-line corpora, read from real files."""

import csv
import json
import random
import warnings

import pytest

from seqzoo.data.caption_readers import read_captions
from seqzoo.data.corpus_split import split_corpus
from seqzoo.data.errors import DataError
from seqzoo.data.parallel import read_parallel
from seqzoo.data.readers import MissingLabelWarning, read_labelled_texts

LONG = " ".join(["word"] * 40_000)  # 200k characters, over csv's 131072 default


def _write_table(path, header, rows, delimiter):
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE,
                            escapechar=None)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _write_jsonl(path, records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["r.csv", "r.tsv", "r.jsonl"])
def test_a_200k_character_text_reads_from_every_labelled_format(tmp_path, name):
    rows = [(LONG, "pos"), ("short one", "neg")]
    if name.endswith(".jsonl"):
        path = _write_jsonl(tmp_path / name, [{"text": t, "label": l} for t, l in rows])
    else:
        path = _write_table(tmp_path / name, ["text", "label"], rows, "," if name.endswith(".csv") else "\t")
    data = read_labelled_texts(path)
    assert data.texts == [LONG, "short one"] and data.labels == ["pos", "neg"]


@pytest.mark.parametrize("name", ["p.csv", "p.tsv", "p.jsonl"])
def test_a_200k_character_sentence_reads_from_every_parallel_format(tmp_path, name):
    rows = [(LONG, "un mot"), ("a cat", "un chat")]
    if name.endswith(".jsonl"):
        path = _write_jsonl(tmp_path / name, [{"source": s, "target": t} for s, t in rows])
    else:
        path = _write_table(tmp_path / name, ["source", "target"], rows, "," if name.endswith(".csv") else "\t")
    assert read_parallel(str(path)).sources == [LONG, "a cat"]


@pytest.mark.parametrize("name", ["c.csv", "c.tsv", "c.jsonl"])
def test_a_200k_character_caption_reads_from_every_caption_format(tmp_path, name):
    rows = [("a.jpg", LONG), ("b.jpg", "two cats")]
    if name.endswith(".jsonl"):
        path = _write_jsonl(tmp_path / name, [{"image": i, "caption": c} for i, c in rows])
    else:
        path = _write_table(tmp_path / name, ["image", "caption"], rows, "," if name.endswith(".csv") else "\t")
    assert read_captions(path).captions == [[LONG], ["two cats"]]


@pytest.mark.parametrize("name, content, line", [
    ("r.csv", "text,label\ngood,pos\nbad,\n", 3),
    ("r.csv", 'text,label\ngood,pos\nbad,"  "\n', 3),
    ("r.tsv", "text\tlabel\ngood\tpos\nbad\t\n", 3),
    ("r.jsonl", '{"text": "good", "label": "pos"}\n{"text": "bad", "label": null}\n', 2),
    ("r.jsonl", '{"text": "good", "label": "pos"}\n{"text": "bad", "label": ""}\n', 2),
])
def test_an_empty_or_null_label_is_refused_naming_the_file_and_line(tmp_path, name, content, line):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_labelled_texts(path)
    message = str(error.value)
    assert message.startswith(f"{path}, line {line}: the label in column 'label' is empty")
    assert "\n" not in message


@pytest.mark.parametrize("name", ["r.csv", "r.tsv", "r.jsonl"])
@pytest.mark.parametrize("spelling", ["NaN", "nan", "N/A", "None", "null"])
def test_a_label_spelled_like_a_missing_value_warns_once_with_file_first_line_and_count(
    tmp_path, name, spelling
):
    rows = [("good", "pos"), ("meh", spelling), ("bad", "neg"), ("so so", spelling)]
    if name.endswith(".jsonl"):
        path = _write_jsonl(tmp_path / name, [{"text": t, "label": l} for t, l in rows])
    else:
        path = _write_table(tmp_path / name, ["text", "label"], rows, "," if name.endswith(".csv") else "\t")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_labelled_texts(path)
    # It may be a real class, so it is kept...
    assert data.labels == ["pos", spelling, "neg", spelling]
    # ...and said once: file, first line (the header is line 1 of a table) and count.
    found = [w for w in caught if issubclass(w.category, MissingLabelWarning)]
    assert len(found) == 1
    message = str(found[0].message)
    first = 2 if name.endswith(".jsonl") else 3
    assert message.startswith(f"{path}, line {first}: 2 labels in column 'label' read '{spelling}'")


def test_the_missing_value_warning_is_printed_once_for_repeated_reads(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\na,pos\nb,NaN\nc,neg\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # Python's own filter: each message once
        read_labelled_texts(path)
        read_labelled_texts(path)
    assert len([w for w in caught if issubclass(w.category, MissingLabelWarning)]) == 1


def test_ordinary_labels_give_no_warning(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,label\na,pos\nb,neg\nc,nana\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingLabelWarning)
        assert read_labelled_texts(path).labels == ["pos", "neg", "nana"]


def _words(seed, count):
    rng = random.Random(seed)
    return ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 12))) for _ in range(count)]


@pytest.mark.parametrize("count", [20, 60, 150, 2000])
def test_a_one_line_corpus_is_never_split_mid_word(tmp_path, count):
    """A one-line file: no newline to cut at, so every block must end at a space."""
    words = _words(count, count)
    path = tmp_path / "one_line.txt"
    path.write_text(" ".join(words) + "\n", encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    splits = split_corpus(text, 0.1, 0.1, seed=0, source=str(path))
    assert splits["valid"] and splits["test"]
    # Every word of every split is a word of the file, and every word is in exactly one.
    assert sorted(w for part in splits.values() for w in part.split()) == sorted(words)
    # Each split, read as the word-level model reads it, holds no merged or cut words.
    for part in splits.values():
        assert set(part.split()) <= set(words)


def test_a_corpus_without_white_space_is_still_split_into_blocks():
    text = "あいうえお" * 200  # written without spaces: character cuts are the only ones
    splits = split_corpus(text, 0.1, 0.1, num_blocks=20, seed=0)
    assert splits["valid"] and splits["test"]
    assert sum(len(part) for part in splits.values()) == len(text)
