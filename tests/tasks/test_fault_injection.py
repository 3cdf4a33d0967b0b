"""Issue 14, fault injection: commands killed with SIGKILL at several points, interrupted
with a real Ctrl-C (SIGINT), or running out of disk space, never lose a user's file or an
old output, and never leave a half-written file where a command would read it.

tests/tasks/test_output_safety.py already covers SIGKILL of `seqzoo train` (new run and
--overwrite) and in-process KeyboardInterrupt; this file covers export, finetune, compare,
a real SIGINT to a training process, and a full disk. Tiny real models throughout."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqzoo.tasks.cli import main
from seqzoo.tasks.common import atomic_files
from seqzoo.tasks.common.output_dirs import FINISHED, UNFINISHED, run_status

from tests.tasks.helpers import stop_process, toy_reviews, tree_hashes, wait_until, write_csv

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

MODEL = ["--arch", "gru", "--units", "4", "--embedding-dim", "4", "--quiet"]
TINY = [*MODEL, "--epochs", "1"]
LONG = [*MODEL, "--epochs", "1000", "--patience", "1000"]


def _hashes(folder: Path) -> dict[str, str]:
    return tree_hashes(folder) if folder.exists() else {}


def _hidden_siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def _temporaries(folder: Path) -> list[str]:
    """Half-written files that a reader of `folder` could see (seqzoo's temporaries)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp" in p.name)


def _process(*argv: str) -> subprocess.Popen:
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    # A session of its own, so that the whole process group (compare's workers) can be killed.
    return subprocess.Popen([sys.executable, "-m", "seqzoo.tasks.cli", *argv], env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


_wait_for = wait_until  # (the process's own helpers, shared with the other process tests)
_kill = stop_process


def _refused(capsys, argv, *phrases) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("seqzoo: error:") and len(error.splitlines()) == 1, error
    for phrase in phrases:
        assert phrase in error, (phrase, error)
    return error


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(data file, a finished run, an export of it), made once; tests work on copies."""
    folder = tmp_path_factory.mktemp("faults")
    data = write_csv(folder / "reviews.csv", toy_reviews(120))
    run = folder / "run"
    assert main(["train", "sentiment", "--data", str(data), *MODEL, "--epochs", "1", "--patience", "1000",
                 "--out", str(run)]) == 0
    assert main(["export", str(run), "--out", str(folder / "export")]) == 0
    return data, run, folder / "export"


@pytest.fixture
def copies(trained, tmp_path):
    data, run, export = trained
    mine = tmp_path / "mydata"
    mine.mkdir()
    shutil.copy(data, mine / "reviews.csv")
    shutil.copytree(run, tmp_path / "runs" / "gru")
    shutil.copytree(export, tmp_path / "exports" / "gru")
    return mine / "reviews.csv", tmp_path / "runs" / "gru", tmp_path / "exports" / "gru" / "1"  # version 1


def _is_complete_export(folder: Path) -> bool:
    return (folder / "saved_model.pb").is_file() and (folder / "assets.extra" / "model_card.json").is_file()


# ----------------------------------------------------------------------------- export
def _export_points(export: Path):
    staging = f".{export.name}.seqzoo-staging-*"
    return {
        "at-start": lambda: True,
        "staging-made": lambda: any(export.parent.glob(staging)),
        "variables-written": lambda: any(export.parent.glob(f"{staging}/variables/*")),
    }


@pytest.mark.parametrize("point", ["at-start", "staging-made", "variables-written"])
def test_a_killed_export_overwrite_leaves_the_old_export_whole_or_the_new_one(capsys, copies, point):
    data, run, export = copies
    before, run_before = _hashes(export), _hashes(run)
    process = _process("export", str(run), "--out", str(export.parent), "--version", "1", "--overwrite")
    if point == "at-start":
        time.sleep(1.0)
    ready, deadline = _export_points(export)[point], time.monotonic() + 180
    while not ready() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    _kill(process)  # an export that finished first must have replaced the old one whole
    assert process.returncode in (-signal.SIGKILL, 0), process.stderr.read().decode()[-2000:]
    assert _hashes(run) == run_before
    after = _hashes(export)
    assert after == before or _is_complete_export(export), sorted(after)
    assert _temporaries(export) == []
    assert main(["inspect", str(export)]) == 0
    # The next export to the same --out clears what the killed one left behind.
    assert main(["export", str(run), "--out", str(export.parent), "--version", "1", "--overwrite"]) == 0
    assert _is_complete_export(export) and _hidden_siblings(export) == []
    assert sorted(p.name for p in export.parent.iterdir()) == ["1"]


# ----------------------------------------------------------------------------- finetune
def test_a_killed_finetune_leaves_the_source_intact_and_its_run_refused(capsys, copies, tmp_path):
    data, run, _ = copies
    source_before, data_before = _hashes(run), data.read_bytes()
    new = tmp_path / "runs" / "tuned"
    process = _process("finetune", str(run), "--data", str(data), "--epochs", "1000", "--out", str(new), "--quiet")
    _wait_for(process, lambda: (new / "checkpoints" / "best.weights.h5").is_file(), "a fine-tuning checkpoint")
    _kill(process)
    assert _hashes(run) == source_before and data.read_bytes() == data_before
    assert run_status(new) == UNFINISHED
    _refused(capsys, ["evaluate", str(new)], "unfinished")
    _refused(capsys, ["predict", str(new), "a great film"], "unfinished")
    _refused(capsys, ["export", str(new), "--out", str(tmp_path / "exp")], "unfinished")
    assert not (tmp_path / "exp").exists()
    # seqzoo's own unfinished output: replaced with --overwrite.
    assert main(["finetune", str(run), "--data", str(data), "--epochs", "1", "--out", str(new), "--overwrite",
                 "--quiet"]) == 0
    assert run_status(new) == FINISHED and _hashes(run) == source_before


# ----------------------------------------------------------------------------- compare
def test_a_killed_compare_resumes_and_keeps_its_finished_runs(capsys, copies, tmp_path):
    data, _, _ = copies
    out = tmp_path / "report"
    argv = ["compare", "sentiment", "--archs", "gru,lstm", "--data", str(data), "--units", "4",
            "--embedding-dim", "4", "--epochs", "1", "--out", str(out), "--quiet"]

    def one_run_done():
        try:
            results = json.loads((out / "results.json").read_text())
        except (OSError, ValueError):
            return False
        return any(r.get("status") == "ok" for r in results.get("runs", []))

    process = _process(*argv)
    _wait_for(process, one_run_done, "its first finished run", timeout=240)
    _kill(process)  # the parent and its worker
    results = json.loads((out / "results.json").read_text())  # whole: written atomically
    finished = [r for r in results["runs"] if r["status"] == "ok"]
    assert len(finished) == 1
    kept = out / finished[0]["run_dir"]
    kept_before = _hashes(kept)
    assert run_status(kept) == FINISHED
    capsys.readouterr()
    assert main(argv + ["--resume"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "finished"
    assert sorted(r["status"] for r in results["runs"]) == ["ok", "ok"]
    assert _hashes(kept) == kept_before  # the finished run was kept, not retrained
    assert _temporaries(out) == []


# ----------------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_mid_epoch_of_train_overwrite_leaves_the_old_run_byte_identical(capsys, copies):
    data, run, _ = copies
    before, data_before = _hashes(run), data.read_bytes()
    process = _process("train", "sentiment", "--data", str(data), *LONG, "--out", str(run), "--overwrite")
    _wait_for(process, lambda: any(run.parent.glob(".gru.seqzoo-staging-*/checkpoints/training-state.npz")),
              "its first training state")
    time.sleep(0.3)  # into the next epoch
    code = _kill(process, signal.SIGINT)
    stderr = process.stderr.read().decode()
    assert code == 130, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-2000:]
    assert _hashes(run) == before and data.read_bytes() == data_before
    assert run_status(run) == FINISHED
    # Ctrl-C after the first training state keeps the staging folder, unfinished, for
    # `--resume` (tests/tasks/test_resume.py); it is never where a command reads.
    staging = _hidden_siblings(run)
    assert len(staging) == 1 and staging[0].startswith(".gru.seqzoo-staging-"), staging
    kept = run.parent / staging[0]
    assert (kept / "checkpoints" / "training-state.npz").is_file() and run_status(kept) == UNFINISHED
    assert _temporaries(kept) == []
    assert main(["evaluate", str(run)]) == 0


# ----------------------------------------------------------------------------- disk full
def _count_writes(monkeypatch):
    calls = []
    real = atomic_files.atomic_write_bytes

    def counting(path, data):
        calls.append(str(path))
        return real(path, data)

    monkeypatch.setattr(atomic_files, "atomic_write_bytes", counting)
    return calls


@pytest.fixture(scope="module")
def writes_per_train(trained, tmp_path_factory):
    """How many files one `train --overwrite` writes through the atomic writer."""
    data, run, _ = trained
    copy = tmp_path_factory.mktemp("count") / "gru"
    shutil.copytree(run, copy)
    patch = pytest.MonkeyPatch()
    try:
        calls = _count_writes(patch)
        assert main(["train", "sentiment", "--data", str(data), *TINY, "--out", str(copy), "--overwrite"]) == 0
    finally:
        patch.undo()
    assert len(calls) >= 3, calls
    return len(calls)


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("old_run", [True, False], ids=["overwrite", "new-out"])
def test_a_full_disk_during_train_loses_nothing_and_ends_in_one_error(monkeypatch, capsys, copies, tmp_path,
                                                                      writes_per_train, where, old_run):
    data, run, _ = copies
    out = run if old_run else tmp_path / "runs" / "new"
    fail_at = {"first": 0, "middle": writes_per_train // 2, "last": writes_per_train - 1}[where]
    before, data_before = _hashes(out), data.read_bytes()
    real, calls = atomic_files.atomic_write_bytes, []

    def filling(path, contents):
        calls.append(str(path))
        if len(calls) > fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, contents)

    monkeypatch.setattr(atomic_files, "atomic_write_bytes", filling)
    argv = ["train", "sentiment", "--data", str(data), *TINY, "--out", str(out)] + (["--overwrite"] if old_run else [])
    capsys.readouterr()
    try:
        code = main(argv)
    except OSError as error:  # not a user's mistake: the exception itself, unchanged
        assert error.errno == errno.ENOSPC, error
    else:
        error = capsys.readouterr().err.strip()
        assert code == 2 and len(error.splitlines()) == 1 and "No space" in error, (code, error)
    monkeypatch.undo()
    assert data.read_bytes() == data_before
    assert _hidden_siblings(out) == []
    if old_run:
        assert _hashes(out) == before
        assert run_status(out) == FINISHED and main(["evaluate", str(out)]) == 0
    elif out.exists():  # what is left of a new run is seqzoo's, marked and refused
        assert _temporaries(out) == []
        assert run_status(out) == UNFINISHED
        _refused(capsys, ["evaluate", str(out)], "unfinished")
