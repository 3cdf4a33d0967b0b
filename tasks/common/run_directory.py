"""Run directories: one folder holds everything a run made.

Layout (see README): `config.json`, `run.json` (versions), `vocabulary.txt` and
`preprocessor.json`, `labels.txt`, `model.keras`, `metrics.json`, `history.csv`,
`learning_curves.png`, `logs/` (TensorBoard) and `checkpoints/`.

Files are written atomically (a temporary file in the same folder, then
`os.replace`), so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from seqzoo.tasks.common.errors import UsageError

# Bumped when a run directory written by this version cannot be read by older ones.
RUN_FORMAT_VERSION = 1


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_json(path: str | os.PathLike, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    # NumPy scalars and arrays in metrics.
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; is {path.parent} a seqzoo run directory?") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}, line {error.lineno}: not valid JSON ({error.msg}).") from None


def create_run_directory(path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Make an empty run directory, refusing to replace a non-empty one unless asked."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} exists and is not a directory; choose another --out.")
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise UsageError(
                f"{path} already exists and is not empty; pass --overwrite to replace it "
                "or choose another --out."
            )
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_run_directory(task: str, arch: str, root: str | os.PathLike = "runs") -> Path:
    """`runs/TASK-ARCH`, or the first free `runs/TASK-ARCH-N`, so no run is overwritten."""
    root = Path(root)
    candidate = root / f"{task}-{arch}"
    number = 2
    while candidate.exists() and any(candidate.iterdir()):
        candidate = root / f"{task}-{arch}-{number}"
        number += 1
    return candidate


def write_run_info(run_dir: str | os.PathLike, task: str) -> None:
    import keras
    import tensorflow as tf

    from seqzoo.tasks.common.versions import seqzoo_version

    atomic_write_json(
        Path(run_dir) / "run.json",
        {
            "task": task,
            "format_version": RUN_FORMAT_VERSION,
            "seqzoo_version": seqzoo_version(),
            "tensorflow_version": tf.__version__,
            "keras_version": keras.__version__,
        },
    )


def read_run_info(run_dir: str | os.PathLike, task: str | None = None) -> dict[str, Any]:
    """Check that `run_dir` is a run directory this version can read, for `task`."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such run directory.")
    info = read_json(run_dir / "run.json")
    version = info.get("format_version")
    if not isinstance(version, int) or version > RUN_FORMAT_VERSION:
        raise UsageError(
            f"{run_dir} was written by seqzoo {info.get('seqzoo_version', '?')} (run format "
            f"{version}), which this seqzoo (format {RUN_FORMAT_VERSION}) cannot read; upgrade seqzoo."
        )
    if task is not None and info.get("task") != task:
        raise UsageError(f"{run_dir} holds a {info.get('task')} run, not a {task} run.")
    return info


def read_config(run_dir: str | os.PathLike, config_class: type):
    """`config.json` of a run as `config_class`. Settings this seqzoo does not know (a
    run made by a newer seqzoo) are refused naming them and the version that wrote them."""
    run_dir = Path(run_dir)
    path = run_dir / "config.json"
    values = read_json(path)
    try:
        return config_class.from_dict(values)
    except (TypeError, ValueError) as error:
        from seqzoo.tasks.common.versions import seqzoo_version

        info = read_json(run_dir / "run.json") if (run_dir / "run.json").is_file() else {}
        raise UsageError(
            f"{path}: {error}; the run was written by seqzoo {info.get('seqzoo_version', '?')} and this is "
            f"seqzoo {seqzoo_version()}: upgrade seqzoo to read it."
        ) from None
