"""The token vocabulary, its reserved ids, and its plain-text file format.

Pure Python: the vocabulary is a list of strings, and the file is one token
a line (never pickle), so a person can read it and any program can load it.
"""

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from seqzoo.data.errors import DataError
from seqzoo.data.readers import read_file_bytes

PAD, UNK, START, END = "[PAD]", "[UNK]", "[START]", "[END]"
PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3
RESERVED_TOKENS = (PAD, UNK, START, END)

# Backslash first, so escaping never re-escapes what it wrote.
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


class Vocabulary:
    """An ordered list of distinct tokens; a token's id is its position.

    The first four tokens are always `[PAD]` (id 0), `[UNK]` (1), `[START]`
    (2) and `[END]` (3): padding is 0 so masks are `ids != 0`, and tokens
    not in the vocabulary map to `[UNK]`.

    Args:
        tokens: all tokens, the four reserved ones first; no duplicates,
            no empty strings.

    Examples:

    >>> vocabulary = Vocabulary.build([["the", "film", "the"], ["a", "film"]])
    >>> vocabulary.tokens
    ['[PAD]', '[UNK]', '[START]', '[END]', 'film', 'the', 'a']
    >>> vocabulary.id_of("the"), vocabulary.id_of("unseen"), vocabulary.token_of(6)
    (5, 1, 'a')
    >>> len(vocabulary)
    7
    """

    def __init__(self, tokens: Iterable[str]):
        tokens = list(tokens)
        if tuple(tokens[:4]) != RESERVED_TOKENS:
            raise ValueError(
                f"a vocabulary starts with the reserved tokens {list(RESERVED_TOKENS)}, "
                f"not {tokens[:4]}"
            )
        ids = {}
        for index, token in enumerate(tokens):
            if not isinstance(token, str) or not token:
                raise ValueError(f"token {index} is {token!r}; tokens are non-empty strings")
            if token in ids:
                raise ValueError(f"the token {token!r} appears twice (ids {ids[token]} and {index})")
            ids[token] = index
        self._tokens = tokens
        self._ids = ids

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token) -> bool:
        return token in self._ids

    def __iter__(self):
        return iter(self._tokens)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens)"

    def id_of(self, token: str) -> int:
        """The id of `token`, or `UNK_ID` when it is not in the vocabulary."""
        return self._ids.get(token, UNK_ID)

    def token_of(self, token_id: int) -> str:
        """The token with id `token_id`; an `IndexError` outside [0, len)."""
        if not 0 <= token_id < len(self._tokens):
            raise IndexError(f"token id {token_id} is outside [0, {len(self._tokens)})")
        return self._tokens[token_id]

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Iterable[str]],
        max_size: int | None = None,
        min_frequency: int = 1,
    ) -> "Vocabulary":
        """Builds a vocabulary from tokenised texts, most frequent tokens first.

        Ties are broken by the token itself, so the same texts always give
        the same vocabulary. Reserved tokens found in the texts are not
        counted twice.

        Args:
            token_lists: one list of tokens per text.
            max_size: the most tokens kept, the four reserved ones included;
                None keeps all.
            min_frequency: tokens seen fewer times are left out (they will
                map to `[UNK]`).

        Returns:
            the vocabulary.
        """
        counts = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        return cls.from_counts(counts, max_size, min_frequency)

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        max_size: int | None = None,
        min_frequency: int = 1,
    ) -> "Vocabulary":
        """Builds a vocabulary from token counts, as `build` does.

        Args:
            counts: how often each token was seen.
            max_size: the most tokens kept, the four reserved ones included.
            min_frequency: tokens seen fewer times are left out.

        Returns:
            the vocabulary.
        """
        if max_size is not None and max_size < len(RESERVED_TOKENS):
            raise ValueError(f"max_size={max_size} leaves no room for the 4 reserved tokens")
        if min_frequency < 1:
            raise ValueError(f"min_frequency={min_frequency} must be at least 1")
        counts = {t: c for t, c in counts.items() if t and t not in RESERVED_TOKENS}
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept = [token for token, count in ranked if count >= min_frequency]
        if max_size is not None:
            kept = kept[: max_size - len(RESERVED_TOKENS)]
        return cls(list(RESERVED_TOKENS) + kept)

    def save(self, path) -> None:
        """Writes the vocabulary as UTF-8 text, one token a line, atomically.

        Backslash, newline, carriage return and tab inside a token are
        written as `\\\\`, `\\n`, `\\r` and `\\t`, so every token stays on
        its line. The file is written beside its final name and moved into
        place, so a crash never leaves half a vocabulary.

        Args:
            path: the file to write; its folder is created if needed.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join(_escape(token) + "\n" for token in self._tokens)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(text.encode("utf-8"))
        os.replace(temporary, path)

    @classmethod
    def load(cls, path) -> "Vocabulary":
        """Reads a vocabulary written by `save`, checking it on the way.

        Args:
            path: the vocabulary file.

        Returns:
            the vocabulary.

        Raises:
            DataError: naming the file and line: a missing reserved token on
                lines 1-4, a duplicate or empty token, an unknown escape.
        """
        path = Path(path)
        raw = read_file_bytes(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            raise DataError(
                f"{path}, line {line}: not valid UTF-8 (byte 0x{raw[error.start]:02x}); "
                "a vocabulary file is UTF-8 text"
            ) from None
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the newline that ends the last token
        if not lines:
            raise DataError(f"{path}: the vocabulary file is empty")
        tokens, first_line = [], {}
        for number, line in enumerate(lines, 1):
            token = _unescape(line.removesuffix("\r"), path, number)
            if number <= len(RESERVED_TOKENS) and token != RESERVED_TOKENS[number - 1]:
                raise DataError(
                    f"{path}, line {number}: expected the reserved token "
                    f"'{RESERVED_TOKENS[number - 1]}' but found '{line}'"
                )
            if not token:
                raise DataError(f"{path}, line {number}: the line is empty; each line holds one token")
            if token in first_line:
                raise DataError(
                    f"{path}, line {number}: the token '{line}' appears twice "
                    f"(first on line {first_line[token]})"
                )
            first_line[token] = number
            tokens.append(token)
        if len(tokens) < len(RESERVED_TOKENS):
            raise DataError(
                f"{path}, line {len(tokens) + 1}: expected the reserved token "
                f"'{RESERVED_TOKENS[len(tokens)]}' but the file ends"
            )
        return cls(tokens)


def _escape(token: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in token)


def _unescape(line: str, path, number: int) -> str:
    if "\\" not in line:
        return line
    chars, position = [], 0
    while position < len(line):
        char = line[position]
        if char == "\\":
            code = line[position + 1 : position + 2]
            if code not in _UNESCAPES:
                raise DataError(
                    f"{path}, line {number}: unknown escape '\\{code}'; a backslash in a "
                    "token is written '\\\\'"
                )
            chars.append(_UNESCAPES[code])
            position += 2
        else:
            chars.append(char)
            position += 1
    return "".join(chars)
