"""Pretrained word vectors (word2vec or GloVe text files) for a vocabulary.

NumPy only: the result is a matrix to hand to an embedding layer.
"""

import codecs
import dataclasses
import gzip
from collections import defaultdict
from pathlib import Path

import numpy as np

from seqzoo.data.errors import DataError
from seqzoo.data.readers import undecodable_error
from seqzoo.data.vocabulary import PAD_ID, RESERVED_TOKENS, Vocabulary


@dataclasses.dataclass
class WordVectorCoverage:
    """How many vocabulary tokens found a pretrained vector.

    The four reserved tokens are not counted: they never have one.

    Args:
        found: tokens with a vector from the file.
        missing: tokens without one (their rows are random).
        missing_examples: a few missing tokens, most frequent first.

    Examples:

    >>> coverage = WordVectorCoverage(found=3, missing=1, missing_examples=["zzz"])
    >>> print(coverage)
    3 of 4 vocabulary tokens have a pretrained vector (75.0%); missing e.g. 'zzz'
    """

    found: int
    missing: int
    missing_examples: list[str]

    @property
    def fraction(self) -> float:
        """The share of tokens found, 0 to 1."""
        total = self.found + self.missing
        return self.found / total if total else 1.0

    def __str__(self) -> str:
        text = (
            f"{self.found} of {self.found + self.missing} vocabulary tokens have a pretrained "
            f"vector ({100 * self.fraction:.1f}%)"
        )
        if self.missing_examples:
            text += "; missing e.g. " + ", ".join(f"'{t}'" for t in self.missing_examples)
        return text


def load_word_vectors(path, vocabulary, encoding: str = "utf-8", seed: int = 0):
    """Reads pretrained vectors for the tokens of a vocabulary.

    The file is text, one word a line followed by its numbers, separated
    by spaces: word2vec's text format (a first line "count dim") or
    GloVe's (no such line); a `.gz` file is read compressed. A token takes
    the vector of the same word or, failing that, of the first word that
    equals it after case folding ("The" for "the"). Words with spaces (as
    in GloVe 840B) are read; numbers are parsed only for vocabulary words.

    Row 0 (`[PAD]`) is zeros. Rows without a vector (the other reserved
    tokens included) are drawn from a normal distribution with the found
    vectors' standard deviation, so they sit at the same scale.

    Args:
        path: the vector file.
        vocabulary: a `Vocabulary`, or its list of tokens.
        encoding: the file's text encoding.
        seed: seed for the random rows.

    Returns:
        `(matrix, coverage)`: float32 [len(vocabulary), dim] and a
        `WordVectorCoverage`.

    Raises:
        DataError: naming the file and line: a row with the wrong number
            of numbers, a value that is not a number, undecodable text; an
            empty file; no vocabulary token found at all.

    Examples:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "vectors.txt"
    >>> _ = path.write_text("2 3\\nfilm 1 2 3\\nThe 4 5 6\\n")
    >>> tokens = ["[PAD]", "[UNK]", "[START]", "[END]", "the", "film", "zzz"]
    >>> matrix, coverage = load_word_vectors(path, tokens)
    >>> matrix.shape, matrix[0].tolist(), matrix[4].tolist(), matrix[5].tolist()
    ((7, 3), [0.0, 0.0, 0.0], [4.0, 5.0, 6.0], [1.0, 2.0, 3.0])
    >>> coverage
    WordVectorCoverage(found=2, missing=1, missing_examples=['zzz'])
    """
    path = Path(path)
    if not isinstance(vocabulary, Vocabulary):
        vocabulary = Vocabulary(vocabulary)
    if path.suffix.lower() in (".bin", ".zip"):
        raise DataError(
            f"{path}: only text vector files are read (word2vec text or GloVe, optionally "
            ".gz); convert or unpack this file to text first"
        )
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise DataError(f"{path}: unknown encoding '{encoding}'") from None

    tokens = vocabulary.tokens
    exact = {token: i for i, token in enumerate(tokens) if i >= len(RESERVED_TOKENS)}
    folded = defaultdict(list)
    for token, i in exact.items():
        folded[token.casefold()].append(i)
    # 0: no vector yet, 1: from a case-folded match, 2: from the exact word.
    match = np.zeros(len(tokens), np.int8)
    matrix, dim = None, None

    for number, line in _lines(path, encoding):
        parts = line.rstrip().split(" ")
        if dim is None:
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = int(parts[1])  # the word2vec header "count dim"
                matrix = np.zeros((len(tokens), dim), np.float32)
                continue
            dim = len(parts) - 1
            if dim < 1:
                raise DataError(f"{path}, line {number}: expected a word followed by its numbers")
            matrix = np.zeros((len(tokens), dim), np.float32)
        word = _word(parts, dim, path, number)
        i = exact.get(word)
        if i is not None and match[i] < 2:
            matrix[i] = _numbers(parts, dim, path, number)
            match[i] = 2
            continue
        targets = [j for j in folded.get(word.casefold(), ()) if match[j] == 0]
        if targets:
            matrix[targets] = _numbers(parts, dim, path, number)
            match[targets] = 1

    if dim is None:
        raise DataError(f"{path}: the file is empty")
    words = np.arange(len(tokens)) >= len(RESERVED_TOKENS)
    found = words & (match > 0)
    if words.any() and not found.any():
        raise DataError(
            f"{path}: none of the {int(words.sum())} vocabulary tokens has a vector in the "
            f"file (e.g. {', '.join(repr(t) for t in tokens[4:7])}); check its language and case"
        )
    scale = float(matrix[found].std()) if found.any() else 1.0
    random_rows = np.flatnonzero(match == 0)
    random_rows = random_rows[random_rows != PAD_ID]
    rng = np.random.default_rng(seed)
    matrix[random_rows] = rng.normal(0.0, scale, size=(len(random_rows), dim))
    matrix[PAD_ID] = 0.0
    missing = np.flatnonzero(words & (match == 0))
    coverage = WordVectorCoverage(
        found=int(found.sum()),
        missing=len(missing),
        missing_examples=[tokens[i] for i in missing[:10]],
    )
    return matrix, coverage


def _lines(path: Path, encoding: str):
    """(line number, text) of each non-blank line, split on "\\n" only."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        file = opener(path, "rb")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file or folder") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror})") from None
    with file:
        for number, raw in enumerate(file, 1):
            if number == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as error:
                raise undecodable_error(path, number, raw[error.start], encoding) from None
            if line.strip():
                yield number, line


def _word(parts: list[str], dim: int, path, number: int) -> str:
    if len(parts) - 1 == dim:
        return parts[0]
    if len(parts) - 1 > dim and not all(_is_number(p) for p in parts[1:-dim]):
        return " ".join(parts[:-dim])  # a word with spaces in it
    found = len(parts) - 1
    raise DataError(
        f"{path}, line {number}: expected a word and {dim} numbers, found {found} "
        f"number{'' if found == 1 else 's'}"
    )


def _numbers(parts: list[str], dim: int, path, number: int) -> np.ndarray:
    try:
        return np.asarray(parts[-dim:], dtype=np.float32)
    except ValueError:
        bad = next(p for p in parts[-dim:] if not _is_number(p))
        raise DataError(f"{path}, line {number}: '{bad}' is not a number") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
