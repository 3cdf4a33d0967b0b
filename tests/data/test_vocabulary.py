"""Vocabulary: reserved ids, frequency order, plain-text round trip, clear load errors."""

import pytest

from seqzoo.data.errors import DataError
from seqzoo.data.vocabulary import (
    END,
    END_ID,
    PAD,
    PAD_ID,
    START,
    START_ID,
    UNK,
    UNK_ID,
    Vocabulary,
)

RESERVED = ["[PAD]", "[UNK]", "[START]", "[END]"]


def test_reserved_ids_are_fixed():
    assert [PAD_ID, UNK_ID, START_ID, END_ID] == [0, 1, 2, 3]
    assert [PAD, UNK, START, END] == RESERVED


def test_build_orders_by_frequency_then_token_and_applies_limits():
    texts = [["b", "a", "c", "a"], ["c", "d", "a", "[UNK]"], ["b", "e"]]
    # counts: a 3, b 2, c 2, d 1, e 1; the reserved token in the text is not added again
    assert Vocabulary.build(texts).tokens == RESERVED + ["a", "b", "c", "d", "e"]
    assert Vocabulary.build(texts, min_frequency=2).tokens == RESERVED + ["a", "b", "c"]
    assert Vocabulary.build(texts, max_size=6).tokens == RESERVED + ["a", "b"]
    assert Vocabulary.build([], max_size=4).tokens == RESERVED
    with pytest.raises(ValueError, match="no room"):
        Vocabulary.build(texts, max_size=3)


def test_lookups():
    vocabulary = Vocabulary(RESERVED + ["film", "good"])
    assert vocabulary.id_of("good") == 5
    assert vocabulary.id_of("bad") == UNK_ID
    assert vocabulary.token_of(4) == "film"
    assert vocabulary.token_of(0) == "[PAD]"
    assert len(vocabulary) == 6 and "film" in vocabulary and "bad" not in vocabulary
    with pytest.raises(IndexError):
        vocabulary.token_of(6)
    with pytest.raises(IndexError):
        vocabulary.token_of(-1)


@pytest.mark.parametrize(
    "tokens, match",
    [
        (["[UNK]", "[PAD]", "[START]", "[END]"], "starts with the reserved tokens"),
        (RESERVED[:3], "starts with the reserved tokens"),
        (RESERVED + ["a", "a"], "appears twice"),
        (RESERVED + [""], "non-empty strings"),
    ],
)
def test_constructor_validates(tokens, match):
    with pytest.raises(ValueError, match=match):
        Vocabulary(tokens)


def test_save_is_plain_text_with_escapes_and_loads_back(tmp_path):
    tokens = RESERVED + ["a\\b", "line\nbreak", "cr\r", "\t", " ", "é", "\\n"]
    path = tmp_path / "sub" / "vocabulary.txt"
    Vocabulary(tokens).save(path)
    raw = path.read_bytes()
    assert raw == (
        b"[PAD]\n[UNK]\n[START]\n[END]\n"
        b"a\\\\b\nline\\nbreak\ncr\\r\n\\t\n \n\xc3\xa9\n\\\\n\n"
    )
    assert Vocabulary.load(path).tokens == tokens
    assert sorted(p.name for p in path.parent.iterdir()) == ["vocabulary.txt"]  # no temp left


def test_load_accepts_windows_line_ends(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"[PAD]\r\n[UNK]\r\n[START]\r\n[END]\r\nword\r\n")
    assert Vocabulary.load(path).tokens == RESERVED + ["word"]


def load_error(tmp_path, content: bytes) -> str:
    path = tmp_path / "vocabulary.txt"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        Vocabulary.load(path)
    return str(info.value).replace(str(path), "FILE")


def test_load_errors_name_file_and_line(tmp_path):
    head = b"[PAD]\n[UNK]\n[START]\n[END]\n"
    assert load_error(tmp_path, b"[PAD]\nthe\n[START]\n[END]\n") == (
        "FILE, line 2: expected the reserved token '[UNK]' but found 'the'"
    )
    assert load_error(tmp_path, b"[PAD]\n[UNK]\n") == (
        "FILE, line 3: expected the reserved token '[START]' but the file ends"
    )
    assert load_error(tmp_path, head + b"a\nb\na\n") == (
        "FILE, line 7: the token 'a' appears twice (first on line 5)"
    )
    assert load_error(tmp_path, head + b"a\n\nb\n") == (
        "FILE, line 6: the line is empty; each line holds one token"
    )
    assert load_error(tmp_path, head + b"a\\qb\n") == (
        "FILE, line 5: unknown escape '\\q'; a backslash in a token is written '\\\\'"
    )
    assert load_error(tmp_path, head + b"ok\nbad\x85\n") == (
        "FILE, line 6: not valid UTF-8 (byte 0x85); a vocabulary file is UTF-8 text"
    )
    assert load_error(tmp_path, b"") == "FILE: the vocabulary file is empty"
    with pytest.raises(DataError, match="no such file"):
        Vocabulary.load(tmp_path / "absent.txt")
