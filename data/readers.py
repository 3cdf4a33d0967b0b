"""Readers for users' text files: labelled texts, plain lines and corpora.

Pure Python on purpose (no TensorFlow), so the command line can check a
user's file in a fraction of a second. Every problem with a file is a
`DataError` whose message is one sentence naming the file and, where there
is one, the line.

Lines are split on "\\n" only, never with `str.splitlines()`: real files such
as the Windows-1252 movie reviews hold bytes like 0x85 inside a line, and
`splitlines()` would cut lines at the characters such bytes can decode to.
"""

import codecs
import csv
import dataclasses
import json
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from seqzoo.data.errors import DataError
from seqzoo.data.progress import PhaseProgress

# Rows between two looks at the clock for a progress line: negligible next to parsing.
_ROWS_PER_CHECK = 1000

_CSV_SUFFIXES = (".csv",)
_TSV_SUFFIXES = (".tsv", ".tab")
_JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")

# How spreadsheets, pandas and databases write a missing value (compared lowercased).
MISSING_VALUE_SPELLINGS = frozenset({"nan", "-nan", "n/a", "na", "#n/a", "<na>", "none", "null", "nil"})


class MissingLabelWarning(UserWarning):
    """Labels are spelled like a missing value (`NaN`, `N/A`, `None`, `null`): they are
    read as a class of that name, which may be a real class or a gap in the file.

    Args:
        message: one sentence naming the file, the first such line and the count.

    Examples:

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn(MissingLabelWarning("r.csv, line 3: 2 labels read 'NaN'"))
    >>> caught[0].category.__name__
    'MissingLabelWarning'
    """


def allow_long_csv_fields() -> None:
    """Lifts Python's csv field limit (131072 characters), so a long text is read from
    CSV and TSV files as it is from JSON Lines; `sys.maxsize` overflows a C long on
    some platforms, so the largest limit they accept is used there."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


@dataclasses.dataclass
class LabelledTexts:
    """Texts with one label each, and where they came from.

    Args:
        texts: the texts, one string each.
        labels: one label per text, always a string (integer labels in a
            file become "0", "1", ...).
        source: the file or folder they were read from, used in messages.

    Examples:

    >>> data = LabelledTexts(["good film", "dull film"], ["pos", "neg"], "x.csv")
    >>> len(data), data.classes
    (2, ['neg', 'pos'])
    """

    texts: list[str]
    labels: list[str]
    source: str

    def __post_init__(self):
        if len(self.texts) != len(self.labels):
            raise ValueError(
                f"{len(self.texts)} texts but {len(self.labels)} labels"
            )

    def __len__(self):
        return len(self.texts)

    @property
    def classes(self) -> list[str]:
        """The distinct labels, sorted."""
        return sorted(set(self.labels))


def read_labelled_texts(
    path,
    text_column: str = "text",
    label_column: str = "label",
    encoding: str = "utf-8",
    class_names: Sequence[str] | None = None,
) -> LabelledTexts:
    """Reads texts with labels from a CSV, TSV or JSON Lines file or a folder.

    The kind of file follows its name: `.csv` (comma separated, quotes as in
    Excel), `.tsv` / `.tab` (tab separated, quote characters are plain text),
    `.jsonl` / `.ndjson` / `.json` (one JSON object a line; a `.json` file
    holding one array of objects works too). The first row of a CSV or TSV
    file names the columns. A folder holds one subfolder per class (the
    aclImdb layout, `train/pos/*.txt`, `train/neg/*.txt`): each `.txt` file
    in it is one text, the subfolder's name is its label, and files beside
    the subfolders (a README) are ignored.

    Args:
        path: the file or folder.
        text_column: the column (or JSON field) holding the text.
        label_column: the column (or JSON field) holding the label; labels
            may be strings or integers and come back as strings.
        encoding: the files' text encoding, e.g. "cp1252" for files saved
            by old Windows programs.
        class_names: for a folder only: the subfolders to read, when it
            holds others too (aclImdb's `train/unsup`); by default every
            subfolder is a class.

    Returns:
        a `LabelledTexts`, in file order (a folder: classes and files in
        sorted order).

    Raises:
        DataError: naming the file (and line) for any problem in the data.

    Examples:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "reviews.tsv"
    >>> _ = path.write_text('text\\tlabel\\na "great" film\\t1\\ndull\\t0\\n')
    >>> data = read_labelled_texts(path)
    >>> data.texts, data.labels
    (['a "great" film', 'dull'], ['1', '0'])
    """
    path = Path(path)
    if path.is_dir():
        return _read_class_folders(path, encoding, class_names)
    if class_names is not None:
        raise ValueError("class_names applies to a folder of class subfolders only")
    suffix = path.suffix.lower()
    if suffix not in _CSV_SUFFIXES + _TSV_SUFFIXES + _JSON_SUFFIXES:
        read_file_bytes(path)  # a missing file is the clearer message
        raise DataError(
            f"{path}: unknown file type '{path.suffix}'; expected .csv, .tsv, "
            ".jsonl or a folder with one subfolder per class"
        )
    text = decode_text(read_file_bytes(path), path, encoding)
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    if suffix in _JSON_SUFFIXES:
        return _read_json(text, path, text_column, label_column)
    return _read_delimited(text, path, text_column, label_column, tsv=suffix in _TSV_SUFFIXES)


def read_texts(path, encoding: str = "utf-8") -> list[str]:
    """Reads a plain text file with one text a line.

    Lines are split on "\\n" only; a trailing "\\r" (Windows line ends) is
    removed, and blank lines are dropped.

    Args:
        path: the file.
        encoding: its text encoding.

    Returns:
        the non-blank lines.

    Raises:
        DataError: missing, unreadable, undecodable or empty file.

    Examples:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "texts.txt"
    >>> _ = path.write_bytes(b"first\\r\\n\\nsecond\\n")
    >>> read_texts(path)
    ['first', 'second']
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a text file with one text a line")
    text = decode_text(read_file_bytes(path), path, encoding)
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise DataError(f"{path}: the file is empty")
    return lines


def read_corpus(path, encoding: str = "utf-8") -> str:
    """Reads the whole text of a file, or of every `.txt` file in a folder.

    Meant for language models. Windows line ends become "\\n". The files of
    a folder (searched recursively, in sorted order) are joined, each ending
    with a newline.

    Args:
        path: a text file, or a folder of `.txt` files.
        encoding: the files' text encoding.

    Returns:
        the text.

    Raises:
        DataError: missing, undecodable or empty file; folder without text.

    Examples:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "corpus.txt"
    >>> _ = path.write_bytes(b"To be,\\r\\nor not.\\n")
    >>> read_corpus(path)
    'To be,\\nor not.\\n'
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(f for f in path.rglob("*.txt") if f.is_file())
        if not files:
            raise DataError(f"{path}: the folder holds no .txt files")
        parts = []
        progress = PhaseProgress(f"reading {path}", "files", total=len(files), check_every=100)
        for file in files:
            part = decode_text(read_file_bytes(file), file, encoding).replace("\r\n", "\n")
            parts.append(part if part.endswith("\n") or not part else part + "\n")
            progress.advance()
        progress.close()
        text = "".join(parts)
    else:
        text = decode_text(read_file_bytes(path), path, encoding).replace("\r\n", "\n")
    if not text.strip():
        raise DataError(f"{path}: the {'folder' if path.is_dir() else 'file'} is empty")
    return text


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file or folder") from None
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror})") from None


def decode_text(raw: bytes, path: Path, encoding: str) -> str:
    # A UTF-8 byte order mark is never text, whatever encoding was named.
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise DataError(f"{path}: unknown encoding '{encoding}'") from None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise undecodable_error(path, line, raw[error.start], encoding) from None
    return text.removeprefix("\ufeff")


def undecodable_error(path, line: int, byte: int, encoding: str) -> DataError:
    if codecs.lookup(encoding).name == "utf-8":
        problem, hint = "UTF-8", "pass --encoding, e.g. --encoding cp1252"
    else:
        problem, hint = encoding, "pass the file's encoding with --encoding"
    return DataError(f"{path}, line {line}: not valid {problem} (byte 0x{byte:02x}); {hint}")


def lines_with_ends(text: str) -> Iterator[str]:
    # csv.reader needs the "\n" to keep newlines inside quoted fields.
    for line in text.split("\n"):
        yield line + "\n"


def _quoted_list(names) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _read_delimited(text, path, text_column, label_column, tsv) -> LabelledTexts:
    allow_long_csv_fields()
    if tsv:
        reader = csv.reader(lines_with_ends(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(lines_with_ends(text), strict=True)
    header, rows = None, []
    progress = PhaseProgress(f"reading {path.name}", "rows", check_every=_ROWS_PER_CHECK)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise DataError(
                    f"{path}, line {start}: a quote character opened in this row is never "
                    "closed before the end of the file"
                ) from None
            raise DataError(f"{path}, line {start}: malformed row ({error})") from None
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if header is None:
            header = [name.strip() for name in row]
            continue
        rows.append((start, reader.line_num, row))
        progress.advance()
    progress.close()
    if header is None:
        raise DataError(f"{path}: the file is empty")
    for column in (text_column, label_column):
        if column not in header:
            raise DataError(
                f"{path}: there is no column '{column}'; the columns found are "
                f"{_quoted_list(header)}"
            )
    if not rows:
        raise DataError(f"{path}: the file has a header ({_quoted_list(header)}) but no rows")
    text_index, label_index = header.index(text_column), header.index(label_column)
    texts, labels = [], []
    for line, end, row in rows:
        if len(row) != len(header) and end > line:
            raise DataError(
                f"{path}, line {line}: a quoted field that starts here runs on to line "
                f"{end}; check for a quote character that is never closed"
            )
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {line}: expected {len(header)} fields "
                f"({_quoted_list(header)}) but found {len(row)}"
            )
        texts.append(_check_text(row[text_index], path, line, text_column))
        labels.append(_check_label(row[label_index], path, line, label_column))
    warn_missing_value_labels(labels, [f"line {line}" for line, _, _ in rows], path, label_column)
    return LabelledTexts(texts, labels, str(path))


def _read_json(text, path, text_column, label_column) -> LabelledTexts:
    if text.lstrip().startswith("["):
        # A .json file holding one array: positions are records, not lines.
        try:
            records = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(
                f"{path}, line {error.lineno}: not valid JSON ({error.msg}, column {error.colno})"
            ) from None
        numbered = [(f"record {i}", record) for i, record in enumerate(records, 1)]
    else:
        numbered = []
        progress = PhaseProgress(f"reading {path.name}", "records", check_every=_ROWS_PER_CHECK)
        for number, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            progress.advance()
            try:
                numbered.append((f"line {number}", json.loads(line)))
            except json.JSONDecodeError as error:
                raise DataError(
                    f"{path}, line {number}: not valid JSON ({error.msg}, column {error.colno})"
                ) from None
        progress.close()
    if not numbered:
        raise DataError(f"{path}: the file is empty")
    texts, labels = [], []
    for position, record in numbered:
        if not isinstance(record, dict):
            raise DataError(
                f"{path}, {position}: expected a JSON object with fields "
                f"'{text_column}' and '{label_column}'"
            )
        for column in (text_column, label_column):
            if column not in record:
                if not texts:  # the first record shows the file's columns
                    raise DataError(
                        f"{path}: there is no column '{column}'; the columns found "
                        f"are {_quoted_list(record)}"
                    )
                raise DataError(f"{path}, {position}: the field '{column}' is missing")
        text, label = record[text_column], record[label_column]
        if label is None:
            raise DataError(f"{path}, {position}: the label in column '{label_column}' is empty (null)")
        if not isinstance(text, str):
            raise DataError(
                f"{path}, {position}: the text in '{text_column}' must be a string, "
                f"found {json.dumps(text)}"
            )
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise DataError(
                f"{path}, {position}: the label in '{label_column}' must be a string "
                f"or an integer, found {json.dumps(label)}"
            )
        texts.append(_check_text(text, path, position, text_column))
        labels.append(_check_label(str(label), path, position, label_column))
    warn_missing_value_labels(labels, [position for position, _ in numbered], path, label_column)
    return LabelledTexts(texts, labels, str(path))


def _check_text(text: str, path, line, column) -> str:
    if not text.strip():
        where = line if isinstance(line, str) else f"line {line}"
        raise DataError(f"{path}, {where}: the text in column '{column}' is empty")
    return text


def _check_label(label: str, path, line, column) -> str:
    label = label.strip()
    if not label:
        where = line if isinstance(line, str) else f"line {line}"
        raise DataError(f"{path}, {where}: the label in column '{column}' is empty")
    return label


def warn_missing_value_labels(labels, positions, path, label_column) -> None:
    """One `MissingLabelWarning` for the labels spelled like a missing value, naming
    the file, the first such line (or record) and how many there are."""
    found = [i for i, label in enumerate(labels) if label.lower() in MISSING_VALUE_SPELLINGS]
    if not found:
        return
    spellings = _quoted_list(dict.fromkeys(labels[i] for i in found))
    warnings.warn(
        MissingLabelWarning(
            f"{path}, {positions[found[0]]}: {len(found)} label{'s' if len(found) > 1 else ''} in "
            f"column '{label_column}' read {spellings}, which is how a missing value is often "
            "written; they are kept as a class of that name, so fill in or remove those rows "
            "if the labels are missing"
        ),
        stacklevel=3,
    )


def _read_class_folders(path: Path, encoding, class_names) -> LabelledTexts:
    folders = sorted(
        entry for entry in path.iterdir() if entry.is_dir() and not entry.name.startswith(".")
    )
    if class_names is not None:
        found = {folder.name: folder for folder in folders}
        for name in class_names:
            if name not in found:
                raise DataError(
                    f"{path}: there is no subfolder for class '{name}'; the subfolders "
                    f"found are {_quoted_list(sorted(found))}"
                )
        folders = [found[name] for name in class_names]
    if not folders:
        raise DataError(
            f"{path}: the folder has no class subfolders; put each class's .txt files "
            "in a subfolder named after the class (e.g. pos/ and neg/)"
        )
    texts, labels = [], []
    progress = PhaseProgress(f"reading {path}", "files", check_every=100)
    for folder in folders:
        files = sorted(f for f in folder.glob("*.txt") if f.is_file())
        if not files:
            raise DataError(f"{folder}: the class folder holds no .txt files")
        for file in files:
            text = decode_text(read_file_bytes(file), file, encoding).strip()
            if not text:
                raise DataError(f"{file}: the file is empty")
            texts.append(text)
            labels.append(folder.name)
            progress.advance()
    progress.close()
    return LabelledTexts(texts, labels, str(path))
