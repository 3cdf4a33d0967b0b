"""What seqzoo writes, and what it may replace: markers, input checks, staging, run status.

Two rules hold for every command that writes (train, finetune, export, compare,
diagnose, embeddings and the other plots):

1. Only seqzoo's own output is ever deleted, and only after its replacement exists.
   A folder that seqzoo made carries a marker file (`MARKER`) naming its kind (run,
   export, comparison, diagnose report) and, once complete, the names seqzoo wrote at
   its top level. `--overwrite` replaces only a folder of the same kind that holds
   nothing else; folders made before markers existed are recognised by their layout
   (`LEGACY_LAYOUTS`). An `--out` that is, holds, or lies inside an input of the
   command (a data file, `--images`, word vectors, the source run...) is refused,
   symlinks resolved. A replacement is built in a hidden sibling folder
   (`.NAME.seqzoo-staging-PID-*`) and swapped in only when complete: the old folder is
   renamed aside, the new one renamed in, the old one removed. A failure or Ctrl-C
   removes the staging folder and leaves the old output as it was; a process killed
   outright leaves only hidden folders, which the next write to the same `--out`
   clears away (restoring the old output if the kill fell between the two renames).
2. A run that has not finished is never served. `run.json` holds a `status`,
   "unfinished" from the moment the folder exists until training and evaluation are
   done, then "finished" (written atomically). Loading a run for evaluate, predict,
   generate, translate, caption, export, finetune, embeddings or diagnose refuses an
   unfinished one in one sentence (`check_finished`); `seqzoo inspect` shows it.
   A run made before statuses existed counts as finished when it has `metrics.json`.

Nothing here imports TensorFlow.

Examples:

>>> import json, tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> data = root / "mydata" / "reviews.csv"
>>> data.parent.mkdir(); _ = data.write_text("text,label\\n")
>>> check_out(root / "mydata", "run", inputs=[("--data", data)], overwrite=True)
Traceback (most recent call last):
...
seqzoo.tasks.common.errors.UsageError: --out .../mydata holds --data .../mydata/reviews.csv, an input of this command; choose another --out.
>>> with staged_output(root / "run", "run") as output:
...     _ = (output.path / "model.keras").write_text("first")
...     run_status(output.path)
'unfinished'
>>> run_status(root / "run"), output_kind(root / "run")
('finished', 'run')
>>> with staged_output(root / "run", "run", overwrite=True) as output:
...     _ = (output.path / "model.keras").write_text("second")
...     raise RuntimeError("training failed")
Traceback (most recent call last):
...
RuntimeError: training failed
>>> (root / "run" / "model.keras").read_text(), sorted(p.name for p in root.iterdir())
('first', ['mydata', 'run'])
>>> with staged_output(root / "run", "run", overwrite=True) as output:
...     _ = (output.path / "model.keras").write_text("second")
>>> (root / "run" / "model.keras").read_text()
'second'
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterable, Sequence

from seqzoo.tasks.common.errors import UsageError

MARKER = ".seqzoo-output.json"

# Kind -> how messages name it.
KINDS = {
    "run": "run directory",
    "export": "SavedModel export",
    "comparison": "comparison report",
    "diagnose-report": "diagnose report",
}

FINISHED, UNFINISHED = "finished", "unfinished"

# Folders written before markers existed: a kind is recognised by the files that show
# it, and only when every top-level name is one that seqzoo wrote for that kind.
LEGACY_LAYOUTS: dict[str, dict[str, Any]] = {
    "run": {
        "shows": ("run.json", "config.json"),
        "names": {
            "run.json", "config.json", "vocabulary.txt", "preprocessor.json", "labels.txt", "model.keras",
            "metrics.json", "history.csv", "history-frozen.csv", "learning_curves.png", "logs",
            "checkpoints", "sample.txt", "bleu_by_length.png", "attention_example.png", "source", "target",
            "captions", "finetune.json",
        },
    },
    "export": {
        "shows": ("saved_model.pb", "assets.extra/model_card.json"),
        "names": {"saved_model.pb", "keras_metadata.pb", "fingerprint.pb", "variables", "assets",
                  "assets.extra", "MODEL_CARD.md"},
    },
    "comparison": {
        "shows": ("results.json",),
        "names": {"results.json", "report.md", "report.html", "learning_curves.png", "by_length.png",
                  "runs", "workers"},
    },
    "diagnose-report": {
        "shows": ("gradients.json", "gradients.png"),
        "names": {"gradients.json", "gradients.png", "gradients.csv"},
    },
}

# Left by the operating system's file browsers; never a reason to refuse.
_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_STAGING, _ASIDE = "seqzoo-staging", "seqzoo-old"

# Path-valued fields of the task and fine-tuning configs: the inputs of a run.
PATH_FIELDS = (
    "data", "valid", "test", "images", "split_files", "word_vectors", "source_word_vectors",
    "target_word_vectors", "encoder_weights", "vocabulary", "forgetting",
)


# ----------------------------------------------------------------------------- markers
def write_marker(folder: str | os.PathLike, kind: str, complete: bool = False) -> None:
    """Say that `folder` is seqzoo's output of `kind`; a complete one also lists the
    top-level names seqzoo wrote, so that `--overwrite` can tell what else is there."""
    from seqzoo.tasks.common.atomic_files import atomic_write_json
    from seqzoo.tasks.common.versions import seqzoo_version

    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; known: {', '.join(KINDS)}")
    folder = Path(folder)
    marker: dict[str, Any] = {"kind": kind, "complete": complete, "seqzoo_version": seqzoo_version()}
    if complete:
        marker["files"] = sorted(p.name for p in folder.iterdir() if p.name != MARKER)
    atomic_write_json(folder / MARKER, marker)


def read_marker(folder: str | os.PathLike) -> dict | None:
    """The marker of `folder`, or None when it has none (or an unreadable one)."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("kind") in KINDS else None


def _is_seqzoo_temporary(name: str) -> bool:
    # atomic_write_text's `.NAME.XXXX.tmp`, task.save's `.model.keras.tmp.keras`.
    return name.startswith(".") and ".tmp" in name


def _strangers(folder: Path, known: Iterable[str]) -> list[str]:
    known = set(known) | {MARKER}
    return sorted(p.name for p in folder.iterdir()
                  if p.name not in known and p.name not in _IGNORED_NAMES and not _is_seqzoo_temporary(p.name))


def _legacy_kind(folder: Path) -> str | None:
    for kind, layout in LEGACY_LAYOUTS.items():
        if all((folder / name).exists() for name in layout["shows"]):
            if kind == "run" and not _json_has(folder / "run.json", "task"):
                continue
            if kind == "comparison" and not _json_has(folder / "results.json", "runs"):
                continue
            return kind
    # A run that a comparison made before markers existed, killed before it wrote its run.json.
    parent = folder.parent
    if parent.name == "runs" and _legacy_kind_or_marker(parent.parent) == "comparison":
        return "run"
    return None


def _legacy_kind_or_marker(folder: Path) -> str | None:
    marker = read_marker(folder)
    if marker is not None:
        return marker["kind"]
    if (folder / "results.json").is_file() and _json_has(folder / "results.json", "runs"):
        return "comparison"
    return None


def _json_has(path: Path, key: str) -> bool:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(value, dict) and key in value


def output_kind(folder: str | os.PathLike) -> str | None:
    """The kind of seqzoo output `folder` is ("run", "export", "comparison",
    "diagnose-report"), from its marker or, for folders made before markers, its
    layout; None for anything else."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    marker = read_marker(folder)
    return marker["kind"] if marker is not None else _legacy_kind(folder)


def _not_seqzoo_names(folder: Path, kind: str) -> list[str]:
    """Top-level names in a seqzoo output of `kind` that seqzoo did not write there."""
    marker = read_marker(folder)
    if marker is None:
        if kind == "run" and not (folder / "run.json").exists():
            return []  # a comparison's run killed early (see _legacy_kind)
        return _strangers(folder, LEGACY_LAYOUTS[kind]["names"])
    if not marker.get("complete") or not isinstance(marker.get("files"), list):
        return []  # made by seqzoo and never completed: everything in it is seqzoo's
    return _strangers(folder, marker["files"])


# ----------------------------------------------------------------------------- inputs
def _existing(label: str, value) -> list[tuple[str, Path]]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in _existing(label, item)]
    path = Path(os.path.expanduser(str(value)))
    if os.path.lexists(path):
        return [(label, path)]
    if ":" in str(value):  # SOURCE:TARGET pairs, TRAIN:VALID:TEST split files
        return [(label, Path(os.path.expanduser(part))) for part in str(value).split(":")
                if part and os.path.lexists(os.path.expanduser(part))]
    return []  # a built-in data set's name, "imagenet": nothing on disk to protect


def input_paths(config=None, extra: Iterable[tuple[str, Any]] = ()) -> list[tuple[str, Path]]:
    """`(label, path)` of every file or folder on disk that `config`'s path fields
    (`PATH_FIELDS`: --data, --valid, --test, --images, --word-vectors...) and `extra`
    (`(label, path)` pairs, such as `("the run directory", run_dir)`) name.

    Examples:

    >>> import tempfile, pathlib
    >>> data = pathlib.Path(tempfile.mkdtemp()) / "reviews.csv"
    >>> _ = data.write_text("text,label\\n")
    >>> [label for label, _ in input_paths({"data": str(data), "test": "negation-reviews"})]
    ['--data']
    """
    if config is None:
        values = {}
    elif hasattr(config, "to_dict"):
        values = config.to_dict()
    else:
        values = dict(config)
    # A plug-in's own path fields say so in their metadata (`config_field(..., path=True)`).
    declared = [f.name for f in dataclasses.fields(config) if f.metadata.get("path")] \
        if dataclasses.is_dataclass(config) else []
    found = []
    for name in dict.fromkeys([*PATH_FIELDS, *declared]):
        found += _existing("--" + name.replace("_", "-"), values.get(name))
    for label, value in extra:
        found += _existing(label, value)
    return found


def _resolved(path: str | os.PathLike) -> Path:
    return Path(os.path.expanduser(str(path))).resolve()


def check_inputs(out: str | os.PathLike, inputs: Sequence[tuple[str, Any]] = (), flag: str = "--out") -> Path:
    """Refuse an `out` that is, holds, or lies inside one of `inputs` (`(label, path)`
    pairs, symlinks resolved); returns `out` resolved."""
    resolved = _resolved(out)
    for label, path in inputs:
        if path is None:
            continue
        target = _resolved(path)
        if target == resolved:
            relation = "is"
        elif target.is_relative_to(resolved):
            relation = "holds"
        elif resolved.is_relative_to(target):
            relation = "lies inside"
        else:
            continue
        raise UsageError(f"{flag} {out} {relation} {label} {path}, an input of this command; choose another {flag}.")
    return resolved


def check_out(
    out: str | os.PathLike,
    kind: str,
    inputs: Sequence[tuple[str, Any]] = (),
    overwrite: bool = False,
    flag: str = "--out",
    exists_message: str | None = None,
    overwrite_flag: str | None = "--overwrite",
) -> Path:
    """Refuse an `out` that the command must not write: one that overlaps an input
    (`check_inputs`); a file; a non-empty folder without `overwrite` (`exists_message`,
    or today's message); with `overwrite`, a folder that is not seqzoo's output of
    `kind` or that holds anything seqzoo did not write there. Returns `out` resolved.

    `overwrite_flag` names the flag in messages; None for a command that replaces its
    own output without one (diagnose gradients)."""
    resolved = check_inputs(out, inputs, flag)
    if resolved.exists() and not resolved.is_dir():
        raise UsageError(f"{out} exists and is not a directory; choose another {flag}.")
    if not resolved.is_dir() or not any(resolved.iterdir()):
        return resolved
    if not overwrite:
        raise UsageError(exists_message or f"{out} already exists and is not empty; pass --overwrite to replace "
                         f"it or choose another {flag}.")
    replaces = f"{overwrite_flag} replaces" if overwrite_flag else "seqzoo replaces"
    found = output_kind(resolved)
    if found is None:
        raise UsageError(f"{flag} {out} is not a {KINDS[kind]} that seqzoo made (it has no {MARKER}), and "
                         f"{replaces} only seqzoo's own output; choose another {flag}.")
    if found != kind:
        raise UsageError(f"{flag} {out} is a seqzoo {KINDS[found]}, not a {KINDS[kind]}, and {replaces} "
                         f"an output only with one of its kind; choose another {flag}.")
    strangers = _not_seqzoo_names(resolved, kind)
    if strangers:
        listed = ", ".join(strangers[:3]) + (f" and {len(strangers) - 3} more" if len(strangers) > 3 else "")
        raise UsageError(f"{flag} {out} holds {listed}, which seqzoo did not write there, and {replaces} only "
                         f"seqzoo's own output; move it away or choose another {flag}.")
    return resolved


# ----------------------------------------------------------------------------- single files
def is_seqzoo_plot(path: str | os.PathLike) -> bool:
    """Whether `path` is an image seqzoo's plots wrote: its metadata names seqzoo, or
    Matplotlib (plots made before seqzoo named itself there)."""
    try:
        with open(path, "rb") as file:
            head = file.read(16384)
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - 16384))
            tail = file.read()
    except OSError:
        return False
    text = (head + tail).lower()
    return b"seqzoo" in text or b"matplotlib" in text


def check_out_file(out: str | os.PathLike, inputs: Sequence[tuple[str, Any]] = (), flag: str = "--out") -> Path:
    """Refuse a plot path that is an input or a file inside an input folder, that is a
    folder, or that is a file but not a plot seqzoo made (plots are written to a temporary
    file and renamed over it, so an existing one is replaced whole or not at all). A new
    file may go into an input folder (a map beside the run it shows). Returns it resolved."""
    resolved = _resolved(out)
    if os.path.lexists(resolved) or resolved.is_dir():
        check_inputs(out, inputs, flag)
    else:
        check_inputs(out, [(label, path) for label, path in inputs if _resolved(path) == resolved], flag)
    if resolved.is_dir():
        raise UsageError(f"{flag} {out} is a folder; give the name of the image file to write.")
    if resolved.exists() and not is_seqzoo_plot(resolved):
        raise UsageError(f"{flag} {out} exists and is not a plot that seqzoo made, and seqzoo replaces only its "
                         f"own output; choose another {flag}.")
    return resolved


# ----------------------------------------------------------------------------- run status
def _raw_run_info(run_dir: Path) -> dict:
    try:
        info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def run_status(run_dir: str | os.PathLike, info: dict | None = None) -> str:
    """FINISHED or UNFINISHED: `run.json`'s status. A run made before statuses existed
    is FINISHED when it has `metrics.json`, or when it holds no trace of a training job
    at all (a model saved from Python with `task.save`); a `seqzoo train` that was killed
    left its TensorBoard logs, history or checkpoints but no metrics, and is UNFINISHED."""
    run_dir = Path(run_dir)
    info = _raw_run_info(run_dir) if info is None else info
    if "status" in info:
        return FINISHED if info["status"] == FINISHED else UNFINISHED
    if (run_dir / "metrics.json").is_file():
        return FINISHED
    trained_here = any((run_dir / name).exists() for name in ("logs", "history.csv", "checkpoints"))
    return UNFINISHED if trained_here or info.get("format_version") is None else FINISHED


def set_run_status(run_dir: str | os.PathLike, status: str) -> None:
    """Write `status` into `run.json` (atomically), keeping the rest of it."""
    from seqzoo.tasks.common.atomic_files import atomic_write_json

    if status not in (FINISHED, UNFINISHED):
        raise ValueError(f"status must be {FINISHED!r} or {UNFINISHED!r}, got {status!r}")
    run_dir = Path(run_dir)
    atomic_write_json(run_dir / "run.json", {**_raw_run_info(run_dir), "status": status})


def check_finished(run_dir: str | os.PathLike, info: dict | None = None) -> None:
    """Refuse, in one sentence, a run whose training did not finish."""
    if run_status(run_dir, info) != FINISHED:
        raise UsageError(f"{run_dir} is an unfinished run: its training did not finish (it was interrupted or "
                         "failed), so seqzoo will not use its model; continue it with the same `seqzoo train` "
                         "command and --resume, or train it again.")


# ----------------------------------------------------------------------------- staging
def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(final: Path, what: str) -> list[Path]:
    """Hidden siblings of `final` left by a seqzoo process that no longer runs."""
    prefix = f".{final.name}.{what}-"
    found = []
    try:
        siblings = list(final.parent.iterdir())
    except OSError:
        return []
    for sibling in siblings:
        if not sibling.name.startswith(prefix):
            continue
        pid = sibling.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            found.append(sibling)
    return found


def clear_leftovers(final: str | os.PathLike) -> None:
    """Remove the staging folders of killed seqzoo processes beside `final`, and put
    back an old output that a kill left renamed aside (between the swap's renames)."""
    final = _resolved(final)
    for staging in _leftovers(final, _STAGING):
        shutil.rmtree(staging, ignore_errors=True)
    for aside in sorted(_leftovers(final, _ASIDE), key=lambda p: p.stat().st_mtime, reverse=True):
        if not os.path.lexists(final) and os.path.lexists(aside / "old"):
            os.rename(aside / "old", final)  # the kill fell between the swap's two renames
        shutil.rmtree(aside, ignore_errors=True)


def resumable_output(out: str | os.PathLike, has_state) -> Path | None:
    """The unfinished run `--resume` continues: `out` itself when it is an unfinished
    seqzoo run, else the newest staging folder that a killed or interrupted
    `--overwrite` of it left (`has_state(folder)` true), renamed to this process so no
    other seqzoo command clears it meanwhile; None when there is neither."""
    final = _resolved(out)
    if final.is_dir() and output_kind(final) == "run" and run_status(final) == UNFINISHED:
        return final
    candidates = [folder for folder in _leftovers(final, _STAGING) if has_state(folder)]
    if not candidates:
        return None
    newest = max(candidates, key=lambda folder: folder.stat().st_mtime)
    adopted = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.{_STAGING}-{os.getpid()}-"))
    os.rmdir(adopted)
    os.rename(newest, adopted)
    return adopted


def resumed_output(out: str | os.PathLike, path: Path, inputs=(), keep_on_failure=True) -> "StagedOutput":
    """The output of a resumed run: written in `path` (the unfinished run itself, or the
    staging folder `resumable_output` adopted), committed as `staged_output` commits."""
    output = StagedOutput(out, "run", inputs=inputs, overwrite=True, keep_on_failure=keep_on_failure)
    output.path, output.staged, output.adopted = path, path != output.final, True
    return output


def _umask_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


class _SigintDeferred:
    """Ctrl-C waits until the swap's two renames are done."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


class StagedOutput:
    """Where a command writes its output folder; see `staged_output`.

    Attributes:
        final: the output folder the user asked for (resolved).
        path: the folder to write into: `final` itself when it did not exist (or was
            empty), else a hidden staging folder beside it, swapped in on success.
        staged: whether `path` is a staging folder.
    """

    def __init__(self, out, kind: str, inputs=(), overwrite: bool = False, flag: str = "--out",
                 exists_message: str | None = None, overwrite_flag: str | None = "--overwrite",
                 always_stage: bool = False, keep_on_failure: bool = False):
        if kind not in KINDS:
            raise ValueError(f"unknown output kind {kind!r}; known: {', '.join(KINDS)}")
        self.out, self.kind, self.flag = out, kind, flag
        self.inputs, self.overwrite = list(inputs), overwrite
        self.exists_message, self.overwrite_flag = exists_message, overwrite_flag
        self.always_stage, self.keep_on_failure = always_stage, keep_on_failure
        self.final = _resolved(out)
        self.path = self.final
        self.staged = False
        self._created: list[Path] = []  # folders this output made, innermost last
        self._emptied = False
        self.adopted = False  # an unfinished run that `--resume` continues (`resumed_output`)

    def __enter__(self) -> "StagedOutput":
        check_inputs(self.out, self.inputs, self.flag)  # before anything is touched
        if self.adopted:
            return self
        clear_leftovers(self.final)
        check_out(self.out, self.kind, self.inputs, self.overwrite, self.flag, self.exists_message,
                  self.overwrite_flag)
        try:
            self._make()
            if self.kind == "run":
                set_run_status(self.path, UNFINISHED)
            write_marker(self.path, self.kind, complete=False)
        except BaseException as error:
            self._discard()
            if isinstance(error, OSError):
                raise UsageError(f"{self.flag} {self.out}: cannot write there ({error.strerror or error}); "
                                 f"choose another {self.flag}.") from None
            raise
        return self

    def _make(self) -> None:
        final = self.final
        replacing = final.is_dir() and any(final.iterdir())
        missing = []
        for folder in [final, *final.parents]:
            if os.path.lexists(folder):
                break
            missing.append(folder)
        if replacing or self.always_stage:
            final.parent.mkdir(parents=True, exist_ok=True)
            self._created = list(reversed(missing[1:]))
            staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.{_STAGING}-{os.getpid()}-"))
            staging.chmod(_umask_mode())  # mkdtemp makes it private; outputs are read by others
            self.path, self.staged = staging, True
        else:
            self._emptied = final.is_dir()
            final.mkdir(parents=True, exist_ok=True)
            self._created = list(reversed(missing))

    def __exit__(self, kind, error, traceback) -> bool:
        if error is not None:
            keep = self.keep_on_failure(self.path) if callable(self.keep_on_failure) else \
                (self.keep_on_failure and not self.staged)
            if not keep:
                self._discard()
            return False
        try:
            self.commit()
        except BaseException:
            self._discard()
            raise
        return False

    def commit(self) -> None:
        """Mark the output complete (a run finished) and, when staged, swap it in."""
        if self.kind == "run":
            set_run_status(self.path, FINISHED)
        write_marker(self.path, self.kind, complete=True)
        if not self.staged:
            return
        final = self.final
        with _SigintDeferred():
            if os.path.lexists(final):
                aside = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.{_ASIDE}-{os.getpid()}-"))
                os.rename(final, aside / "old")
                try:
                    os.rename(self.path, final)
                except BaseException:
                    os.rename(aside / "old", final)
                    raise
                self.path, self.staged = final, False
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.rename(self.path, final)
                self.path, self.staged = final, False

    def _discard(self) -> None:
        """Remove what this output wrote: the staging folder, or the folder it made."""
        if self.staged:
            shutil.rmtree(self.path, ignore_errors=True)
        elif self._emptied:
            for child in list(self.path.iterdir()) if self.path.is_dir() else []:
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() and not child.is_symlink() \
                    else child.unlink(missing_ok=True)
        elif self._created and self.path.is_dir():
            shutil.rmtree(self.path, ignore_errors=True)
        for folder in reversed(self._created):
            if folder != self.path:
                try:
                    folder.rmdir()  # only when empty: another command may be writing beside us
                except OSError:
                    break


def staged_output(
    out: str | os.PathLike,
    kind: str,
    inputs: Sequence[tuple[str, Any]] = (),
    overwrite: bool = False,
    flag: str = "--out",
    exists_message: str | None = None,
    overwrite_flag: str | None = "--overwrite",
    always_stage: bool = False,
    keep_on_failure: bool = False,
) -> StagedOutput:
    """A context manager for writing the output folder `out` of `kind`.

    On entry, `out` is checked (`check_out`): an input overlap, a file, a non-empty
    folder without `overwrite`, or with it a folder that is not seqzoo's output of this
    kind, is refused before anything is written. A new (or empty) `out` is written
    directly and marked unfinished until the block ends; an existing output is replaced
    through a hidden staging folder beside it (`always_stage` stages even a new one, for
    exports that a server may be watching). A run (`kind="run"`) gets status
    "unfinished" in its `run.json` at once and "finished" when the block completes.

    When the block raises (Ctrl-C included), the staging folder, or the folder made
    for a new output, is removed, and an old output is left exactly as it was;
    `keep_on_failure=True` keeps a directly written one (marked unfinished), for a
    comparison that `--resume` continues; a function of the output's path keeps it,
    staged or not, when it says so (a run with a training state to resume).

    Examples:

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_output(root / "report", "diagnose-report") as output:
    ...     _ = (output.path / "gradients.json").write_text("[]")
    >>> output_kind(root / "report"), output.path == output.final
    ('diagnose-report', True)
    """
    return StagedOutput(out, kind, inputs, overwrite, flag, exists_message, overwrite_flag, always_stage,
                        keep_on_failure)
