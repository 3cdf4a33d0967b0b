"""Word vectors: both text formats, coverage, random and zero rows, errors with lines."""

import gzip

import numpy as np
import pytest

from seqzoo.data.errors import DataError
from seqzoo.data.vocabulary import Vocabulary
from seqzoo.data.word_vectors import WordVectorCoverage, load_word_vectors

from .conftest import RESERVED

VOCABULARY = Vocabulary(RESERVED + ["the", "film", "good", "zzz", "qqq"])


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_word2vec_text_with_header(tmp_path):
    path = write(tmp_path / "w2v.txt", "4 3\nfilm 1 2 3 \nthe 0.5 -1 2e-1\nother 9 9 9\ngood 0 0 1\n")
    matrix, coverage = load_word_vectors(path, VOCABULARY)
    assert matrix.dtype == np.float32 and matrix.shape == (9, 3)
    assert matrix[0].tolist() == [0, 0, 0]
    np.testing.assert_allclose(matrix[4], [0.5, -1, 0.2])
    np.testing.assert_allclose(matrix[5], [1, 2, 3])
    np.testing.assert_allclose(matrix[6], [0, 0, 1])
    assert coverage == WordVectorCoverage(found=3, missing=2, missing_examples=["zzz", "qqq"])
    assert str(coverage) == (
        "3 of 5 vocabulary tokens have a pretrained vector (60.0%); missing e.g. 'zzz', 'qqq'"
    )


def test_glove_text_without_header_and_words_with_spaces(tmp_path):
    path = write(tmp_path / "glove.txt", "the 1 1\n. . . 7 7\nat home 3 4\nfilm 2 2\n")
    matrix, coverage = load_word_vectors(path, RESERVED + ["the", "film", ". . ."])
    np.testing.assert_allclose(matrix[4:], [[1, 1], [2, 2], [7, 7]])
    assert (coverage.found, coverage.missing) == (3, 0)


def test_exact_word_wins_over_a_case_folded_one(tmp_path):
    path = write(tmp_path / "v.txt", "The 1 1\nFILM 2 2\nthe 3 3\nGood 4 4\ngood 5 5\n")
    matrix, coverage = load_word_vectors(path, VOCABULARY)
    np.testing.assert_allclose(matrix[4:7], [[3, 3], [2, 2], [5, 5]])
    assert coverage.found == 3


def test_missing_rows_are_random_at_the_found_scale_and_seeded(tmp_path):
    vocabulary = Vocabulary(RESERVED + ["a", "b"] + [f"w{i}" for i in range(300)])
    path = write(tmp_path / "v.txt", "a 2 -2 2 -2\nb -2 2 -2 2\n")  # std of found values: 2
    matrix, coverage = load_word_vectors(path, vocabulary, seed=1)
    assert (coverage.found, coverage.missing) == (2, 300)
    assert coverage.missing_examples == [f"w{i}" for i in range(10)]
    assert matrix[0].tolist() == [0, 0, 0, 0]
    random_rows = np.concatenate([matrix[1:4], matrix[6:]])
    assert 1.8 < random_rows.std() < 2.2
    assert abs(random_rows.mean()) < 0.2
    again, _ = load_word_vectors(path, vocabulary, seed=1)
    other, _ = load_word_vectors(path, vocabulary, seed=2)
    np.testing.assert_array_equal(matrix, again)
    assert not np.allclose(matrix[6:], other[6:])
    np.testing.assert_array_equal(matrix[4:6], other[4:6])


def test_gzip_and_other_encodings(tmp_path):
    path = tmp_path / "v.txt.gz"
    with gzip.open(path, "wb") as file:
        file.write("film 1 2\ncaf\u00e9 3 4\n".encode("cp1252"))
    matrix, coverage = load_word_vectors(path, RESERVED + ["film", "caf\u00e9"], encoding="cp1252")
    np.testing.assert_allclose(matrix[4:], [[1, 2], [3, 4]])
    with pytest.raises(DataError) as info:
        load_word_vectors(path, RESERVED + ["film"])
    assert str(info.value) == (
        f"{path}, line 2: not valid UTF-8 (byte 0xe9); pass --encoding, e.g. --encoding cp1252"
    )


def error(tmp_path, text, vocabulary=VOCABULARY) -> str:
    path = write(tmp_path / "v.txt", text)
    with pytest.raises(DataError) as info:
        load_word_vectors(path, vocabulary)
    message = str(info.value)
    assert "\n" not in message
    return message.replace(str(path), "FILE")


def test_bad_lines_name_file_and_line(tmp_path):
    assert error(tmp_path, "3 2\nthe 1 2\nfilm 1\n") == (
        "FILE, line 3: expected a word and 2 numbers, found 1 number"
    )
    assert error(tmp_path, "the 1 2\nfilm 1 2 3\n") == (
        "FILE, line 2: expected a word and 2 numbers, found 3 numbers"
    )
    assert error(tmp_path, "the 1 2\n\nfilm 1 x\n") == "FILE, line 3: 'x' is not a number"
    assert error(tmp_path, "\n\n") == "FILE: the file is empty"
    assert error(tmp_path, "other 1 2\n") == (
        "FILE: none of the 5 vocabulary tokens has a vector in the file "
        "(e.g. 'the', 'film', 'good'); check its language and case"
    )


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_word_vectors(tmp_path / "absent.txt", VOCABULARY)
    with pytest.raises(DataError, match="only text vector files are read"):
        load_word_vectors(tmp_path / "GoogleNews.bin", VOCABULARY)
