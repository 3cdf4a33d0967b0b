"""Run directories: one folder holds everything a run made.

Layout (see docs/reference/run-directory.md): `config.json`, `run.json` (versions), `vocabulary.txt` and
`preprocessor.json`, `labels.txt`, `model.keras`, `metrics.json`, `history.csv`,
`learning_curves.png`, `logs/` (TensorBoard) and `checkpoints/`.

Files are written atomically and durably by `seqzoo.tasks.common.atomic_files` (whose
`atomic_write_text`, `atomic_write_json` and `read_json` are importable from here too),
so an interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Sequence

from seqzoo.tasks.common.atomic_files import atomic_write_json, atomic_write_text, read_json
from seqzoo.tasks.common.errors import UsageError

__all__ = [
    "RUN_FORMAT_VERSION", "atomic_write_json", "atomic_write_text", "create_run_directory", "default_run_directory",
    "read_config", "read_json", "read_run_info", "write_run_info", "record_model_inputs", "check_model_inputs",
]

# Bumped when a run directory written by this version cannot be read by older ones.
RUN_FORMAT_VERSION = 1


def create_run_directory(
    path: str | os.PathLike, overwrite: bool = False, inputs: Sequence[tuple[str, Any]] = ()
) -> Path:
    """Make an empty run directory, refusing to replace a non-empty one unless asked.

    Kept for the Python API: it replaces (with `overwrite`) only a run directory that
    seqzoo made and that holds nothing else, and never one that holds or lies inside one
    of `inputs` (`(label, path)` pairs). The commands use
    `seqzoo.tasks.common.output_dirs.staged_output` instead, which also keeps the old
    run until the new one is complete.
    """
    from seqzoo.tasks.common.output_dirs import check_out, write_marker

    path = Path(path)
    resolved = check_out(path, "run", inputs=inputs, overwrite=overwrite)
    if resolved.is_dir() and any(resolved.iterdir()):
        shutil.rmtree(resolved)
    path.mkdir(parents=True, exist_ok=True)
    write_marker(path, "run")
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
    """`run.json`: the task, the run format and the versions that wrote it. Its
    `status` is kept: a run being trained stays "unfinished" (see
    `seqzoo.tasks.common.output_dirs`) until its training ends; a model saved into a new
    folder from Python is "finished"."""
    import keras
    import tensorflow as tf

    from seqzoo.tasks.common.output_dirs import FINISHED
    from seqzoo.tasks.common.versions import seqzoo_version

    path = Path(run_dir) / "run.json"
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    status = previous.get("status", FINISHED) if isinstance(previous, dict) else FINISHED
    atomic_write_json(
        path,
        {
            "task": task,
            "format_version": RUN_FORMAT_VERSION,
            "seqzoo_version": seqzoo_version(),
            "tensorflow_version": tf.__version__,
            "keras_version": keras.__version__,
            "status": status,
        },
    )


def record_model_inputs(run_dir: str | os.PathLike, names: list[str]) -> None:
    """Write into `run.json` the SHA-256 and size of each file the model reads its inputs
    through (vocabularies, labels), so that a file changed after training is caught on
    load (`check_model_inputs`) instead of giving wrong predictions."""
    import hashlib

    run_dir = Path(run_dir)
    info = read_json(run_dir / "run.json")
    info["model_inputs"] = {
        name: {"sha256": hashlib.sha256((run_dir / name).read_bytes()).hexdigest(),
               "bytes": (run_dir / name).stat().st_size}
        for name in names if (run_dir / name).is_file()
    }
    atomic_write_json(run_dir / "run.json", info)


def check_model_inputs(run_dir: str | os.PathLike, info: dict) -> None:
    """Refuse, in one sentence, a run whose vocabulary or label file is not the one its
    model was trained with (runs made before seqzoo recorded them are not checked)."""
    import hashlib

    run_dir = Path(run_dir)
    for name, recorded in (info.get("model_inputs") or {}).items():
        path = run_dir / name
        if not path.is_file():
            raise UsageError(f"{path} is missing: the model of {run_dir} reads its inputs through it; "
                             "restore it or train again.")
        if hashlib.sha256(path.read_bytes()).hexdigest() != recorded.get("sha256"):
            raise UsageError(f"{path} changed after training ({path.stat().st_size} bytes, trained with "
                             f"{recorded.get('bytes')}): the model would read wrong token ids or labels; "
                             "restore the file or train again.")


def read_run_info(
    run_dir: str | os.PathLike, task: str | None = None, require_finished: bool = True
) -> dict[str, Any]:
    """Check that `run_dir` is a run directory this version can read, for `task`, and
    (unless `require_finished` is False, as for `seqzoo inspect`) that its training
    finished: every command that uses a run's model reads it through here."""
    from seqzoo.tasks.common.output_dirs import UNFINISHED, check_finished, run_status

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such run directory.")
    info = read_json(run_dir / "run.json")
    if not isinstance(info, dict):
        raise UsageError(f"{run_dir / 'run.json'}: not a seqzoo run description (a JSON object).")
    version = info.get("format_version")
    if version is None and run_status(run_dir, info) == UNFINISHED:
        # Created, then stopped before its first save: only its status is known.
        if require_finished:
            check_finished(run_dir, info)
        return info
    if not isinstance(version, int) or version > RUN_FORMAT_VERSION:
        raise UsageError(
            f"{run_dir} was written by seqzoo {info.get('seqzoo_version', '?')} (run format "
            f"{version}), which this seqzoo (format {RUN_FORMAT_VERSION}) cannot read; upgrade seqzoo."
        )
    if task is not None and info.get("task") != task:
        raise UsageError(f"{run_dir} holds a {info.get('task')} run, not a {task} run.")
    if require_finished:
        check_finished(run_dir, info)
    return info


def read_config(run_dir: str | os.PathLike, config_class: type):
    """`config.json` of a run as `config_class`. Settings this seqzoo does not know (a
    run made by a newer seqzoo) are refused naming them and the version that wrote them."""
    run_dir = Path(run_dir)
    path = run_dir / "config.json"
    values = read_json(path)
    try:
        return config_class.from_dict(values)
    except UsageError as error:  # a value out of its range (the config's own check)
        raise UsageError(f"{path}: {str(error).rstrip('.')} (correct the file or train the run again).") from None
    except (TypeError, ValueError) as error:
        from seqzoo.tasks.common.versions import seqzoo_version

        info = read_json(run_dir / "run.json") if (run_dir / "run.json").is_file() else {}
        raise UsageError(
            f"{path}: {error}; the run was written by seqzoo {info.get('seqzoo_version', '?')} and this is "
            f"seqzoo {seqzoo_version()}: upgrade seqzoo to read it."
        ) from None
