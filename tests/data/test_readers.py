"""Readers: every supported layout reads, every bad file gets one clear sentence."""

import json

import pytest

from seqzoo.data.errors import DataError
from seqzoo.data.readers import LabelledTexts, read_corpus, read_labelled_texts, read_texts


def write(path, content: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def error_of(function, *args, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        function(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message  # one sentence, printable without a traceback
    return message


# --- formats -------------------------------------------------------------------------


def test_csv_with_quotes_commas_newlines_and_integer_labels(tmp_path):
    path = write(
        tmp_path / "reviews.csv",
        'id,text,label\n1,"good, really ""good""",1\n2,"two\nlines",0\n\n3,meh,2\n',
    )
    data = read_labelled_texts(path)
    assert data.texts == ['good, really "good"', "two\nlines", "meh"]
    assert data.labels == ["1", "0", "2"]
    assert data.source == str(path)
    assert data.classes == ["0", "1", "2"]


def test_csv_with_windows_line_ends_and_other_column_names(tmp_path):
    path = write(tmp_path / "r.csv", "review,sentiment\r\ngreat,positive\r\nbad,negative\r\n")
    data = read_labelled_texts(path, text_column="review", label_column="sentiment")
    assert data.texts == ["great", "bad"]
    assert data.labels == ["positive", "negative"]


def test_tsv_treats_quote_characters_as_text(tmp_path):
    path = write(tmp_path / "r.tsv", 'text\tlabel\nhe said "wow\tpos\n"quoted" start\tneg\n')
    data = read_labelled_texts(path)
    assert data.texts == ['he said "wow', '"quoted" start']
    assert data.labels == ["pos", "neg"]


def test_utf8_byte_order_mark_is_stripped(tmp_path):
    path = write(tmp_path / "r.csv", b"\xef\xbb\xbftext,label\nfine,a\n")
    assert read_labelled_texts(path).texts == ["fine"]


def test_json_lines_with_string_and_integer_labels_and_many_classes(tmp_path):
    records = [
        {"text": "a", "label": 0},
        {"text": "b", "label": "sport", "extra": 1},
        {"text": "c", "label": 7},
    ]
    path = write(tmp_path / "r.jsonl", "\n".join(json.dumps(r) for r in records) + "\n\n")
    data = read_labelled_texts(path)
    assert data.texts == ["a", "b", "c"]
    assert data.labels == ["0", "sport", "7"]


def test_json_array_file(tmp_path):
    path = write(tmp_path / "r.json", '[{"text": "x", "label": 1}, {"text": "y", "label": 2}]')
    data = read_labelled_texts(path)
    assert (data.texts, data.labels) == (["x", "y"], ["1", "2"])


def test_folder_with_one_subfolder_per_class(tmp_path):
    root = tmp_path / "train"
    write(root / "pos" / "1_10.txt", "Loved it.\n")
    write(root / "pos" / "0_9.txt", "Great<br />film")
    write(root / "neg" / "2_1.txt", "Awful.")
    write(root / "neg" / "notes.md", "not a text")
    write(root / "unsup" / "3_0.txt", "no label")
    write(root / "README", "about the data")
    write(root / "urls_pos.txt", "http://example.com")
    data = read_labelled_texts(root)
    assert data.labels == ["neg", "pos", "pos", "unsup"]
    assert data.texts == ["Awful.", "Great<br />film", "Loved it.", "no label"]
    chosen = read_labelled_texts(root, class_names=["pos", "neg"])
    assert chosen.labels == ["pos", "pos", "neg"]
    assert chosen.texts == ["Great<br />film", "Loved it.", "Awful."]


def test_read_texts_splits_on_newline_only(tmp_path):
    # 0x85 is "..." in Windows-1252 and NEL in Latin-1, which str.splitlines splits at.
    raw = b"so good\x85 really\r\n\n  \nbad\x85\n"
    path = write(tmp_path / "lines.txt", raw)
    assert read_texts(path, encoding="cp1252") == ["so good\u2026 really", "bad\u2026"]
    assert read_texts(path, encoding="latin-1") == ["so good\x85 really", "bad\x85"]


def test_read_corpus_of_file_and_folder(tmp_path):
    assert read_corpus(write(tmp_path / "c.txt", "a\r\nb")) == "a\nb"
    write(tmp_path / "books" / "b.txt", "second\n")
    write(tmp_path / "books" / "a.txt", "first")
    write(tmp_path / "books" / "sub" / "c.txt", "third\n")
    write(tmp_path / "books" / "skip.md", "not text")
    assert read_corpus(tmp_path / "books") == "first\nsecond\nthird\n"


def test_labelled_texts_checks_lengths():
    with pytest.raises(ValueError):
        LabelledTexts(["a", "b"], ["x"], "here")


# --- encodings -----------------------------------------------------------------------


def test_windows_1252_file_names_line_and_byte_and_reads_with_encoding(tmp_path):
    raw = b"text\tlabel\nfine\tpos\nwait for it\x85 nothing\tneg\n"
    path = write(tmp_path / "rt.tsv", raw)
    message = error_of(read_labelled_texts, path)
    assert message == (
        f"{path}, line 3: not valid UTF-8 (byte 0x85); pass --encoding, e.g. --encoding cp1252"
    )
    data = read_labelled_texts(path, encoding="cp1252")
    assert data.texts == ["fine", "wait for it\u2026 nothing"]
    assert data.labels == ["pos", "neg"]


def test_undecodable_file_in_class_folder_names_the_file(tmp_path):
    bad = write(tmp_path / "d" / "pos" / "a.txt", b"ok\nbad \x85\n")
    write(tmp_path / "d" / "neg" / "b.txt", "fine")
    message = error_of(read_labelled_texts, tmp_path / "d")
    assert message.startswith(f"{bad}, line 2: not valid UTF-8 (byte 0x85)")
    assert read_labelled_texts(tmp_path / "d", encoding="cp1252").texts[1] == "ok\nbad \u2026"


def test_unknown_encoding(tmp_path):
    path = write(tmp_path / "a.txt", "x\n")
    assert error_of(read_texts, path, encoding="nope") == f"{path}: unknown encoding 'nope'"


# --- errors --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "absent.csv"
    assert error_of(read_labelled_texts, path) == f"{path}: no such file or folder"
    assert error_of(read_texts, path) == f"{path}: no such file or folder"
    assert error_of(read_corpus, path) == f"{path}: no such file or folder"


def test_unknown_column_lists_the_columns_found(tmp_path):
    path = write(tmp_path / "r.csv", "review,label\nx,1\n")
    assert error_of(read_labelled_texts, path) == (
        f"{path}: there is no column 'text'; the columns found are 'review', 'label'"
    )
    path = write(tmp_path / "r.jsonl", '{"text": "x", "stars": 1}\n')
    assert error_of(read_labelled_texts, path) == (
        f"{path}: there is no column 'label'; the columns found are 'text', 'stars'"
    )


@pytest.mark.parametrize("name", ["e.csv", "e.tsv", "e.jsonl"])
def test_empty_file(tmp_path, name):
    path = write(tmp_path / name, "\n  \n")
    assert error_of(read_labelled_texts, path) == f"{path}: the file is empty"


def test_empty_plain_text_and_corpus(tmp_path):
    path = write(tmp_path / "e.txt", "\n\n")
    assert error_of(read_texts, path) == f"{path}: the file is empty"
    assert error_of(read_corpus, path) == f"{path}: the file is empty"
    (tmp_path / "nothing").mkdir()
    assert error_of(read_corpus, tmp_path / "nothing") == (
        f"{tmp_path / 'nothing'}: the folder holds no .txt files"
    )


def test_header_without_rows(tmp_path):
    path = write(tmp_path / "h.csv", "text,label\n")
    assert error_of(read_labelled_texts, path) == (
        f"{path}: the file has a header ('text', 'label') but no rows"
    )


def test_row_with_a_missing_field(tmp_path):
    path = write(tmp_path / "m.tsv", "text\tlabel\nfine\tpos\nno label here\n")
    assert error_of(read_labelled_texts, path) == (
        f"{path}, line 3: expected 2 fields ('text', 'label') but found 1"
    )


def test_json_line_with_a_missing_field(tmp_path):
    path = write(tmp_path / "m.jsonl", '{"text": "a", "label": 1}\n\n{"text": "b"}\n')
    assert error_of(read_labelled_texts, path) == f"{path}, line 3: the field 'label' is missing"


def test_malformed_json_line(tmp_path):
    path = write(tmp_path / "b.jsonl", '{"text": "a", "label": 1}\n{"text": "b", label: 2}\n')
    message = error_of(read_labelled_texts, path)
    assert message.startswith(f"{path}, line 2: not valid JSON (")


def test_json_line_that_is_not_an_object_or_has_a_bad_label(tmp_path):
    path = write(tmp_path / "b.jsonl", '{"text": "a", "label": 1}\n["b", 2]\n')
    assert error_of(read_labelled_texts, path).startswith(
        f"{path}, line 2: expected a JSON object"
    )
    path = write(tmp_path / "c.jsonl", '{"text": "a", "label": 1.5}\n')
    assert error_of(read_labelled_texts, path) == (
        f"{path}, line 1: the label in 'label' must be a string or an integer, found 1.5"
    )


def test_empty_text_and_empty_label(tmp_path):
    path = write(tmp_path / "t.csv", 'text,label\nfine,1\n"  ",0\n')
    assert error_of(read_labelled_texts, path) == (
        f"{path}, line 3: the text in column 'text' is empty"
    )
    path = write(tmp_path / "l.csv", "text,label\nfine,\n")
    assert error_of(read_labelled_texts, path) == (
        f"{path}, line 2: the label in column 'label' is empty"
    )
    path = write(tmp_path / "t.jsonl", '{"text": "", "label": 1}\n')
    assert error_of(read_labelled_texts, path) == (
        f"{path}, line 1: the text in column 'text' is empty"
    )


def test_unclosed_quote_in_csv_names_the_line_it_opens(tmp_path):
    path = write(tmp_path / "q.csv", 'text,label\nfine,1\n"never closed,0\nmore,1\n')
    assert error_of(read_labelled_texts, path) == (
        f"{path}, line 3: a quote character opened in this row is never closed before the "
        "end of the file"
    )
    # Closed much later: the row swallows lines and comes out short of fields.
    path = write(tmp_path / "s.csv", 'text,label\n"opens\nmore,1\nends"\nlast,1\n')
    assert error_of(read_labelled_texts, path) == (
        f"{path}, line 2: a quoted field that starts here runs on to line 4; check for a "
        "quote character that is never closed"
    )
    path = write(tmp_path / "g.csv", 'text,label\n"closed"garbage,0\n')
    assert error_of(read_labelled_texts, path).startswith(f"{path}, line 2: malformed row (")


def test_unknown_file_type(tmp_path):
    path = write(tmp_path / "r.xlsx", "binary")
    assert error_of(read_labelled_texts, path) == (
        f"{path}: unknown file type '.xlsx'; expected .csv, .tsv, .jsonl or a folder "
        "with one subfolder per class"
    )


def test_folder_problems(tmp_path):
    write(tmp_path / "flat" / "a.txt", "text")
    assert error_of(read_labelled_texts, tmp_path / "flat").startswith(
        f"{tmp_path / 'flat'}: the folder has no class subfolders"
    )
    write(tmp_path / "d" / "pos" / "a.txt", "text")
    (tmp_path / "d" / "neg").mkdir()
    assert error_of(read_labelled_texts, tmp_path / "d") == (
        f"{tmp_path / 'd' / 'neg'}: the class folder holds no .txt files"
    )
    assert error_of(read_labelled_texts, tmp_path / "d", class_names=["pos", "mixed"]) == (
        f"{tmp_path / 'd'}: there is no subfolder for class 'mixed'; the subfolders found "
        "are 'neg', 'pos'"
    )
    write(tmp_path / "d" / "neg" / "b.txt", " \n")
    assert error_of(read_labelled_texts, tmp_path / "d") == (
        f"{tmp_path / 'd' / 'neg' / 'b.txt'}: the file is empty"
    )

