"""Parallel corpora (source sentence, its translation): readers and leakage-free splits.

Two layouts are read:

- one file with two columns, `.tsv`/`.txt` (tab-separated, no quoting), `.csv` or
  `.jsonl`/`.json` lines. A `.tsv`/`.txt` file whose first row does not name both
  columns has no header and is read by position: column 1 is the source, column 2 the
  target, further columns (the attribution of the Anki/Tatoeba `fra.txt` layout) are
  ignored. A `.csv` or JSON file must name its columns;
- two line-aligned plain-text files written `SOURCE_FILE:TARGET_FILE` (the Multi30k
  layout, e.g. `train.de:train.en`); line `i` of one is the translation of line `i` of
  the other, and the two must have the same number of lines.

Pure Python: no TensorFlow is imported here.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from seqzoo.data.errors import DataError
from seqzoo.data.readers import allow_long_csv_fields, decode_text, lines_with_ends, read_file_bytes

__all__ = ["ParallelTexts", "read_parallel", "split_parallel", "is_line_aligned_pair"]


@dataclass
class ParallelTexts:
    """Source sentences and their translations, aligned by position.

    Args:
        sources: the source sentences.
        targets: `targets[i]` translates `sources[i]`.
        source: where they came from (a file name), for messages.

    Examples:

    >>> pairs = ParallelTexts(["a cat", "a dog"], ["un chat", "un chien"], "example")
    >>> len(pairs), pairs.subset([1]).targets
    (2, ['un chien'])
    """

    sources: list[str]
    targets: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.sources)

    def subset(self, indices) -> "ParallelTexts":
        indices = list(indices)
        return ParallelTexts(
            [self.sources[i] for i in indices], [self.targets[i] for i in indices], self.source
        )


def is_line_aligned_pair(path: str) -> bool:
    """True when `path` is written `SOURCE:TARGET` rather than naming one file.

    Examples:

    >>> is_line_aligned_pair("train.de:train.en")
    True
    >>> is_line_aligned_pair("pairs.tsv")
    False
    """
    path = str(path)
    if Path(path).exists() or ":" not in path:
        return False
    left, _, right = path.rpartition(":")
    # "C:\\x.tsv" style drive letters are not pairs.
    return bool(left) and bool(right) and not (len(left) == 1 and right.startswith(("\\", "/")))


def read_parallel(
    path: str,
    source_column: str = "source",
    target_column: str = "target",
    encoding: str = "utf-8",
) -> ParallelTexts:
    """Read a parallel corpus (see the module docstring for the layouts).

    Args:
        path: a `.tsv`/`.txt`/`.csv`/`.jsonl` file, or `SOURCE_FILE:TARGET_FILE`.
        source_column, target_column: column (or JSON key) names.
        encoding: text encoding of the file(s).

    Raises:
        DataError: one sentence naming the file (and line): missing file, unknown
            column, a row with fewer than two fields, an empty sentence, line-aligned
            files of different lengths.

    Examples:

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "fra.txt"), "w") as f:
    ...     _ = f.write("Go.\\tVa !\\tCC-BY 2.0 (France)\\nRun!\\tCours !\\tCC-BY\\n")
    >>> read_parallel(os.path.join(folder, "fra.txt")).targets
    ['Va !', 'Cours !']
    """
    if is_line_aligned_pair(path):
        left, _, right = str(path).rpartition(":")
        return _read_line_aligned(Path(left), Path(right), encoding)
    path = Path(path)
    text = decode_text(read_file_bytes(path), path, encoding)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        return _read_json_lines(text, path, source_column, target_column)
    if suffix == ".csv":
        return _read_delimited(text, path, source_column, target_column, tsv=False)
    return _read_delimited(text, path, source_column, target_column, tsv=True)


def _sentence(value, path, line, column) -> str:
    if not isinstance(value, str):
        raise DataError(f"{path}, line {line}: '{column}' is not a string")
    if not value.strip():
        raise DataError(f"{path}, line {line}: the {column} sentence is empty")
    return value.strip()


def _read_delimited(text, path, source_column, target_column, tsv) -> ParallelTexts:
    allow_long_csv_fields()
    if tsv:
        reader = csv.reader(lines_with_ends(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(lines_with_ends(text), strict=True)
    rows = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise DataError(f"{path}, line {reader.line_num}: malformed row ({error})") from None
    if not rows:
        raise DataError(f"{path}: the file is empty")
    header = [name.strip() for name in rows[0][1]]
    if source_column in header and target_column in header:
        source_index, target_index = header.index(source_column), header.index(target_column)
        rows = rows[1:]
        if not rows:
            raise DataError(f"{path}: the file has a header but no rows")
    elif tsv:
        source_index, target_index = 0, 1  # headerless (Anki/Tatoeba): by position
    else:
        found = ", ".join(f"'{name}'" for name in header)
        missing = source_column if source_column not in header else target_column
        raise DataError(
            f"{path}: there is no column '{missing}'; the columns found are {found} "
            "(pass --source-column and --target-column)"
        )
    sources, targets = [], []
    needed = max(source_index, target_index) + 1
    for line, row in rows:
        if len(row) < needed:
            raise DataError(
                f"{path}, line {line}: expected at least {needed} fields (source and target) "
                f"but found {len(row)}"
            )
        sources.append(_sentence(row[source_index], path, line, "source"))
        targets.append(_sentence(row[target_index], path, line, "target"))
    return ParallelTexts(sources, targets, str(path))


def _read_json_lines(text, path, source_column, target_column) -> ParallelTexts:
    sources, targets = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}, line {number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}, line {number}: expected a JSON object")
        for column in (source_column, target_column):
            if column not in record:
                found = ", ".join(f"'{key}'" for key in record)
                raise DataError(
                    f"{path}, line {number}: there is no key '{column}'; the keys found are {found}"
                )
        sources.append(_sentence(record[source_column], path, number, "source"))
        targets.append(_sentence(record[target_column], path, number, "target"))
    return ParallelTexts(sources, targets, str(path))


def _read_lines(path: Path, encoding: str) -> list[str]:
    text = decode_text(read_file_bytes(path), path, encoding)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line.rstrip("\r") for line in lines]


def _read_line_aligned(source_path: Path, target_path: Path, encoding: str) -> ParallelTexts:
    sources = _read_lines(source_path, encoding)
    targets = _read_lines(target_path, encoding)
    if len(sources) != len(targets):
        raise DataError(
            f"{source_path} has {len(sources)} lines but {target_path} has {len(targets)}; "
            "line-aligned files must have one translation per line"
        )
    if not sources:
        raise DataError(f"{source_path}: the file is empty")
    for number, (source, target) in enumerate(zip(sources, targets), start=1):
        _sentence(source, source_path, number, "source")
        _sentence(target, target_path, number, "target")
    return ParallelTexts(
        [s.strip() for s in sources], [t.strip() for t in targets], f"{source_path}:{target_path}"
    )


def split_parallel(
    data: ParallelTexts, valid_fraction: float = 0.1, test_fraction: float = 0.1, seed: int = 0
) -> dict[str, ParallelTexts]:
    """Train / valid / test splits that keep every translation of a source sentence on one
    side (grouped by the case- and space-normalised source, sklearn `GroupShuffleSplit`).

    Corpora such as Tatoeba hold several translations of one sentence ("Run!" ->
    "Cours !", "Courez !"); a random split would put one in training and another in the
    test set, and the test score would reward memorising.

    Args:
        data: the corpus.
        valid_fraction, test_fraction: fractions of the *source sentences* held out
            (0 gives an empty split).
        seed: the same seed gives the same splits.

    Returns:
        `{"train": ..., "valid": ..., "test": ...}`.

    Examples:

    >>> data = ParallelTexts(["a", "a", "b", "c", "d", "e"] * 2, ["x"] * 12, "example")
    >>> splits = split_parallel(data, 0.2, 0.2, seed=0)
    >>> train = set(splits["train"].sources)
    >>> train & set(splits["test"].sources), train & set(splits["valid"].sources)
    (set(), set())
    """
    import numpy as np
    from sklearn.model_selection import GroupShuffleSplit

    groups = np.asarray([" ".join(s.lower().split()) for s in data.sources])
    indices = np.arange(len(data))
    distinct = len(set(groups.tolist()))
    held_out = valid_fraction + test_fraction
    if held_out >= 1.0:
        raise ValueError("valid_fraction + test_fraction must be below 1")
    splits = {"train": indices, "valid": indices[:0], "test": indices[:0]}
    if held_out > 0:
        if distinct < 3:
            raise DataError(f"{data.source}: too few distinct source sentences ({distinct}) to split")
        outer = GroupShuffleSplit(n_splits=1, test_size=held_out, random_state=seed)
        train, rest = next(outer.split(indices, groups=groups))
        splits["train"] = train
        if valid_fraction > 0 and test_fraction > 0:
            inner = GroupShuffleSplit(
                n_splits=1, test_size=test_fraction / held_out, random_state=seed + 1
            )
            valid, test = next(inner.split(rest, groups=groups[rest]))
            splits["valid"], splits["test"] = rest[valid], rest[test]
        elif valid_fraction > 0:
            splits["valid"] = rest
        else:
            splits["test"] = rest
    return {name: data.subset(sorted(part.tolist())) for name, part in splits.items()}
