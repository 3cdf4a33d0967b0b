"""What `--resume` checks before it continues a run: the same settings, the same data,
the same vocabulary, and nobody else training it.

A resumed run must end as the uninterrupted one would, so anything that changes the
model or the data is refused, naming the difference. Only the settings of how long and
where training runs may change (`RESUMABLE_FIELDS`).

Examples:

>>> from seqzoo.tasks.sentiment.config import SentimentConfig
>>> config_changes(SentimentConfig(units=8), SentimentConfig(units=16, epochs=40))
['--units 8 -> 16']
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

from seqzoo.tasks.common.config import flag_name
from seqzoo.tasks.common.errors import UsageError

# Settings a resumed run may change: how long it trains, how often it saves, on what.
RESUMABLE_FIELDS = ("epochs", "patience", "time_budget", "checkpoint_every", "distribute", "devices",
                    "jit_compile")
_WHOLE_FILE_LIMIT = 1 << 30  # larger inputs are fingerprinted by size and modification time


def config_changes(saved, requested) -> list[str]:
    """`--flag old -> new` for each setting that differs, but those a resume may change."""
    old, new = saved.to_dict(), requested.to_dict()
    return [f"{flag_name(name)} {_shown(old.get(name))} -> {_shown(new.get(name))}"
            for name in new if name not in RESUMABLE_FIELDS and old.get(name) != new.get(name)]


def _shown(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "unset"
    return str(value)


def fingerprint(path: Path) -> str:
    """A digest of a data file (SHA-256 of its bytes; size and time beyond 1 GiB) or of
    a folder (its files' names, sizes and times)."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = child.stat()
            digest.update(f"{child.relative_to(path)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return "folder:" + digest.hexdigest()
    stat = path.stat()
    if stat.st_size > _WHOLE_FILE_LIMIT:
        return f"stat:{stat.st_size}:{stat.st_mtime_ns}"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def data_fingerprints(inputs) -> dict[str, str]:
    """`{flag: fingerprint}` of a command's input files (`output_dirs.input_paths`)."""
    return {f"{label} {path}": fingerprint(path) for label, path in inputs}


def record_training_start(run_dir: Path, inputs) -> None:
    """Write into `run.json` the fingerprints of the data and who is training the run."""
    from seqzoo.tasks.common.atomic_files import atomic_write_json

    path = Path(run_dir) / "run.json"
    info = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    info["data_fingerprints"] = data_fingerprints(inputs)
    info["trainer"] = {"host": socket.gethostname(), "pid": os.getpid()}
    atomic_write_json(path, info)


def check_resumable(run_dir: Path, inputs, flag: str = "--out") -> None:
    """Refuse, in one sentence, to resume a run whose data changed since it started or
    that a live process on this machine is still training."""
    path = Path(run_dir) / "run.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    trainer = info.get("trainer") or {}
    if trainer.get("host") == socket.gethostname() and trainer.get("pid") not in (None, os.getpid()):
        try:
            os.kill(int(trainer["pid"]), 0)
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
        if alive:
            raise UsageError(f"{flag} {run_dir} is being trained by process {trainer['pid']}; wait for it or stop it "
                             "before --resume.")
    recorded = info.get("data_fingerprints")
    if recorded is None:
        return
    now = data_fingerprints(inputs)
    for name in sorted(set(recorded) | set(now)):
        if recorded.get(name) != now.get(name):
            what = "was not an input" if name not in recorded else ("is gone" if name not in now else "changed")
            raise UsageError(f"--resume: {name} {what} since {run_dir} started training; resume with the same data, "
                             "or train a new run.")


def check_same_vocabulary(task, run_dir: Path) -> None:
    """Refuse to resume when the vocabulary learnt again from the data differs from the
    one the run saved (the same data and settings always learn the same one)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for name, folder in task.preprocessor_folders.items():
            getattr(task, name).save(scratch / folder if folder else scratch)
        for file_name, text in task.extra_files().items():
            (scratch / file_name).write_text(text, encoding="utf-8")
        for name in task.model_input_files():
            saved, again = Path(run_dir) / name, scratch / name
            if saved.is_file() and again.is_file() and saved.read_bytes() != again.read_bytes():
                raise UsageError(f"--resume: {saved} differs from the vocabulary the data gives now; resume with "
                                 "the data the run started with, or train a new run.")
