"""One writer for every file seqzoo writes: atomic, flushed to disk, with the permissions
an ordinary file gets.

A file is written to a temporary file in the same folder, flushed and fsynced, given the
mode `open()` would give it (0666 less the umask: `mkstemp` alone makes 0600 files), and
renamed over the old one, so a reader sees the old file or the new one, never half, even
after a power cut.

Examples:

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "metrics.json")
>>> atomic_write_json(path, {"accuracy": 0.5})
>>> read_json(path)
{'accuracy': 0.5}
>>> oct(os.stat(path).st_mode & 0o777) == oct(ordinary_file_mode())
True
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqzoo.tasks.common.errors import UsageError


def file_umask() -> int:
    """The process's umask (read without changing it for longer than a call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def ordinary_file_mode() -> int:
    """The mode `open()` gives a new file (0666 less the umask), which every file seqzoo
    writes gets, whoever wrote it (`mkstemp` alone makes 0600 files)."""
    return 0o666 & ~file_umask()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically and durably (see the module docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, ordinary_file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside `path` for a library that writes files itself (h5py,
    matplotlib): what is written there is fsynced, given the ordinary mode and renamed
    to `path` when the block ends without an exception; otherwise it is removed and
    `path` is left as it was.

    Args:
        path: the file to write.
        suffix: the end of the temporary name, for libraries that choose the format
            by it (`".tmp.weights.h5"` for `model.save_weights`); the name starts with
            "." and holds ".tmp", as every seqzoo temporary does.

    Examples:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with atomic_path(path) as temporary:
    ...     _ = temporary.write_text("hello")
    >>> open(path).read(), os.listdir(os.path.dirname(path))
    ('hello', ['notes.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.chmod(temporary, ordinary_file_mode())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(path.parent)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` (UTF-8) to `path` so that readers see the old file or the new one, never half."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    # NumPy scalars and arrays in metrics.
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is; not every system allows it.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_json(path: str | os.PathLike) -> Any:
    """A JSON file, or one sentence naming the file (and line) that is missing or broken."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; is {path.parent} a seqzoo run directory?") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}, line {error.lineno}: not valid JSON ({error.msg}).") from None
