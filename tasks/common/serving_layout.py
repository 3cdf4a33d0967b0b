"""TensorFlow Serving's layout of a model's exports: a base folder of numbered versions.

TensorFlow Serving serves a model from a base path whose numbered subfolders are the
versions (`exported/mine/1/saved_model.pb`, `exported/mine/2/...`) and loads the highest
one by default. `seqzoo export RUN --out exported/mine` writes the next version there.
Exports of older seqzoo releases are one flat SavedModel folder; everything seqzoo reads
(`seqzoo inspect`, `resolve_export_dir`) takes those too. Nothing here imports TensorFlow.

Examples:

>>> import tempfile
>>> from pathlib import Path
>>> base = Path(tempfile.mkdtemp()) / "mine"
>>> version_folder(base).name          # a new base folder: version 1
'1'
>>> (base / "1").mkdir(parents=True); (base / "1" / "saved_model.pb").write_bytes(b"")
0
>>> version_folder(base).name, export_versions(base)
('2', [1])
>>> resolve_export_dir(base) == base / "1"
True
"""

from __future__ import annotations

from pathlib import Path

from seqzoo.tasks.common.errors import UsageError

SAVED_MODEL_FILE = "saved_model.pb"


def export_versions(base: str | Path) -> list[int]:
    """The version numbers under `base` that hold a SavedModel, in increasing order (the
    folders TensorFlow Serving would consider; hidden staging folders are not numbers)."""
    base = Path(base)
    if not base.is_dir():
        return []
    return sorted(int(child.name) for child in base.iterdir()
                  if child.name.isdigit() and (child / SAVED_MODEL_FILE).is_file())


def is_flat_export(path: str | Path) -> bool:
    """Whether `path` is itself a SavedModel folder (the layout before version folders)."""
    return (Path(path) / SAVED_MODEL_FILE).is_file()


def resolve_export_dir(path: str | Path) -> Path | None:
    """The SavedModel folder that `path` names: `path` itself when it holds
    `saved_model.pb` (a version folder, or a flat export of an older seqzoo), else the
    highest version under it, as TensorFlow Serving would serve; None when neither."""
    path = Path(path)
    if is_flat_export(path):
        return path
    versions = export_versions(path)
    return path / str(versions[-1]) if versions else None


def version_folder(base: str | Path, version: int | None = None, overwrite: bool = False) -> Path:
    """The folder `seqzoo export --out base [--version N]` writes: `base/N`, or the next
    free number (1 in a new base). Refused in one sentence: a base that is a flat export,
    a run directory or a folder holding anything but versions (hidden names aside), a
    version below 1, and an existing version without `overwrite`
    (`check_export_dir` then applies the rules of replacing seqzoo's own output)."""
    base = Path(base)
    if is_flat_export(base):
        raise UsageError(f"{base} is a SavedModel in the flat layout of an older seqzoo, not a base folder of "
                         "versions; export to a new --out (TF Serving needs --out/1/, --out/2/ ...), or move "
                         f"its files into {base / '1'}.")
    if (base / "run.json").is_file():
        raise UsageError(f"--out {base} is a run directory; an export's base folder must be a folder of its own.")
    others = sorted(child.name for child in base.iterdir()
                    if not (child.name.isdigit() or child.name.startswith("."))) if base.is_dir() else []
    if others:
        listed = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise UsageError(f"--out {base} holds {listed}, which is not a version folder; an export's base folder holds "
                         "only its versions 1/, 2/ ... (as TF Serving reads it): choose another --out.")
    if version is not None and version < 1:
        raise UsageError(f"--version {version}: TensorFlow Serving's versions are whole numbers from 1.")
    if version is None:
        # Past every numbered folder, a SavedModel or not, so a stray "3/" is never written into.
        taken = [int(child.name) for child in base.iterdir() if child.name.isdigit()] if base.is_dir() else []
        return base / str(max(taken, default=0) + 1)
    target = base / str(version)
    if target.exists() and not overwrite:
        raise UsageError(f"{target} (version {version} of {base}) already exists; pass --overwrite to replace "
                         "it, or leave out --version to write the next one.")
    return target
