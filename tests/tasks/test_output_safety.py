"""Issue 14, rules 1 and 2, through the command line: seqzoo deletes only its own output,
replaces it only with a complete one, and never serves a run that did not finish.

Tiny real runs (a GRU of 4 units, one epoch on 120 short texts); the commands run in
this process except where a process is killed."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
from pathlib import Path

import keras
import pytest

from seqzoo.tasks.cli import main
from seqzoo.tasks.common import recipe
from seqzoo.tasks.common.output_dirs import MARKER, UNFINISHED, run_status

from tests.tasks.helpers import seqzoo_process, stop_process, toy_reviews, wait_until, write_csv

TINY = ["--arch", "gru", "--units", "4", "--embedding-dim", "4", "--epochs", "1", "--quiet"]


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, hidden ones included."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden_siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def _train(data: Path, out: Path, *extra: str) -> int:
    return main(["train", "sentiment", "--data", str(data), *TINY, "--out", str(out), *extra])


def _refused(capsys, argv, *phrases) -> str:
    """The command exits with 2 and prints one sentence naming the problem, no traceback."""
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("seqzoo: error:") and len(error.splitlines()) == 1, error
    assert "Traceback" not in error
    for phrase in phrases:
        assert phrase in error, (phrase, error)
    return error


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(data file, a finished run) made once; tests work on copies of the run."""
    folder = tmp_path_factory.mktemp("trained")
    data = write_csv(folder / "reviews.csv", toy_reviews(120))
    assert _train(data, folder / "run") == 0
    return data, folder / "run"


@pytest.fixture
def run(trained, tmp_path):
    copy = tmp_path / "runs" / "gru"
    shutil.copytree(trained[1], copy)
    return copy


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "mydata"
    folder.mkdir()
    return write_csv(folder / "reviews.csv", toy_reviews(120))


# ----------------------------------------------------------------------------- rule 1: inputs
def test_train_overwrite_never_touches_the_data_file_or_its_parents(capsys, data, tmp_path):
    before = _hashes(tmp_path)
    for out in (data.parent, tmp_path, data):
        _refused(capsys, ["train", "sentiment", "--data", str(data), *TINY, "--out", str(out), "--overwrite"],
                 f"--out {out}", f"--data {data}", "choose another --out")
    assert _hashes(tmp_path) == before
    assert data.read_text().startswith("text,label")


def test_export_into_its_own_run_is_refused_and_the_run_survives(capsys, run):
    before = _hashes(run)
    _refused(capsys, ["export", str(run), "--out", str(run), "--overwrite"], f"--out {run} is the run directory")
    _refused(capsys, ["export", str(run), "--out", str(run.parent), "--overwrite"], "holds the run directory")
    _refused(capsys, ["export", str(run), "--out", str(run / "export")], "lies inside the run directory")
    assert _hashes(run) == before and _hidden_siblings(run) == []


def test_finetune_compare_and_diagnose_refuse_an_out_over_their_inputs(capsys, run, data):
    before = _hashes(data.parent)
    _refused(capsys, ["compare", "sentiment", "--archs", "gru", "--data", str(data), "--epochs", "1",
                      "--out", str(data.parent), "--overwrite"], "holds --data")
    _refused(capsys, ["diagnose", "gradients", "--task", "sentiment", "--archs", "gru", "--data", str(data),
                      "--out", str(data.parent)], "holds --data")
    _refused(capsys, ["diagnose", "gates", "--task", "sentiment", "--data", str(data), "--text", "good",
                      "--out", str(data)], f"--out {data} is --data")
    _refused(capsys, ["embeddings", str(run), "--words", "good", "--plot", str(run / "learning_curves.png")],
             "lies inside the run directory")
    _refused(capsys, ["finetune", str(run), "--data", str(data), "--epochs", "1", "--out", str(data.parent),
                      "--overwrite"], "holds --data")
    assert _hashes(data.parent) == before


# ----------------------------------------------------------------------------- rule 1: --overwrite
def test_overwrite_is_refused_on_a_folder_seqzoo_did_not_make(capsys, data, tmp_path, run):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("years of work")
    before = _hashes(mine)
    _refused(capsys, ["train", "sentiment", "--data", str(data), *TINY, "--out", str(mine), "--overwrite"],
             f"--out {mine} is not a run directory that seqzoo made", "choose another --out")
    _refused(capsys, ["export", str(run), "--out", str(mine), "--overwrite"],
             "holds chapter1.tex, which is not a version folder")
    assert _hashes(mine) == before
    # Nor a seqzoo run that now holds a file of the user's, nor an output of another kind.
    (run / "my-notes.txt").write_text("mine")
    before = _hashes(run)
    _refused(capsys, ["train", "sentiment", "--data", str(data), *TINY, "--out", str(run), "--overwrite"],
             "holds my-notes.txt, which seqzoo did not write there")
    assert _hashes(run) == before


def test_export_overwrite_replaces_only_an_export(capsys, run, tmp_path):
    base = tmp_path / "exported"
    exported = base / "1"  # TF Serving's version folder
    assert main(["export", str(run), "--out", str(base)]) == 0
    _refused(capsys, ["export", str(run), "--out", str(base), "--version", "1"], "already exists; pass --overwrite")
    assert main(["export", str(run), "--out", str(base), "--version", "1", "--overwrite"]) == 0
    assert (exported / "saved_model.pb").is_file() and json.loads((exported / MARKER).read_text())["kind"] == "export"
    assert _hidden_siblings(exported) == [] and sorted(p.name for p in base.iterdir()) == ["1"]
    before = _hashes(run)
    _refused(capsys, ["train", "sentiment", *TINY, "--out", str(exported), "--overwrite"],
             "is a seqzoo SavedModel export, not a run directory")
    assert _hashes(run) == before


# ----------------------------------------------------------------------------- rule 1: staging
def test_a_failing_train_overwrite_leaves_the_old_run_byte_identical(run, data):
    before = _hashes(run)
    try:
        code = _train(data, run, "--overwrite", "--batch-size", "0")
    except Exception:  # until bad values are refused up front (issue 14, rule 3), it raises
        code = None
    assert code != 0
    assert _hashes(run) == before and _hidden_siblings(run) == []
    assert main(["evaluate", str(run)]) == 0


class _FailAtEpochEnd(keras.callbacks.Callback):
    """Training really runs an epoch (checkpoint, history, logs written), then fails."""

    def __init__(self, failure):
        super().__init__()
        self.failure = failure

    def on_epoch_end(self, epoch, logs=None):
        raise self.failure


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failure_mid_training_leaves_the_old_run_and_no_staging(monkeypatch, capsys, run, data, failure):
    before = _hashes(run)
    seen = []
    real = recipe.training_callbacks

    def failing_callbacks(run_dir, patience, **options):
        seen.append(Path(run_dir))
        callbacks, rest = real(run_dir, patience, **options)
        return callbacks + [_FailAtEpochEnd(failure)], rest

    monkeypatch.setattr(recipe, "training_callbacks", failing_callbacks)
    if isinstance(failure, KeyboardInterrupt):
        assert _train(data, run, "--overwrite", "--epochs", "2") == 130
    else:  # an unexpected error: one line and a hint (exit 1)
        assert _train(data, run, "--overwrite", "--epochs", "2") == 1
        assert "RuntimeError: disk full" in capsys.readouterr().err
    # It trained in a hidden staging folder beside the run, which is gone again.
    assert seen and seen[0].parent == run.resolve().parent and seen[0].name.startswith(".gru.seqzoo-staging-")
    assert not seen[0].exists()
    assert _hashes(run) == before and _hidden_siblings(run) == []
    # A new --out that fails the same way is removed: nothing half-written is left.
    new = run.parent / "new"
    if isinstance(failure, KeyboardInterrupt):
        assert _train(data, new, "--epochs", "2") == 130
    else:
        assert _train(data, new, "--epochs", "2") == 1
    assert not new.exists() and _hidden_siblings(new) == []
    monkeypatch.undo()
    capsys.readouterr()
    assert _train(data, run, "--overwrite") == 0  # and a good one replaces the old run
    assert _hashes(run) != before and _hidden_siblings(run) == []
    assert main(["evaluate", str(run)]) == 0


# ----------------------------------------------------------------------------- rule 2: status
def test_a_run_made_before_statuses_loads_when_it_has_metrics_and_is_refused_without(capsys, run):
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished"
    del info["status"]
    (run / "run.json").write_text(json.dumps(info))
    (run / MARKER).unlink()
    assert main(["evaluate", str(run), "--json"]) == 0
    capsys.readouterr()
    (run / "metrics.json").unlink()
    _refused(capsys, ["evaluate", str(run)], f"{run} is an unfinished run", "train it again")
    assert main(["inspect", str(run)]) == 0
    assert "- status: unfinished" in capsys.readouterr().out


def _refuses_unfinished(capsys, run: Path, tmp_path: Path) -> None:
    for argv in (["evaluate", str(run)], ["predict", str(run), "a great film"],
                 ["export", str(run), "--out", str(tmp_path / "exported")],
                 ["finetune", str(run), "--data", "negation-reviews", "--out", str(tmp_path / "tuned")],
                 ["embeddings", str(run), "--words", "great"]):
        _refused(capsys, argv, f"{run} is an unfinished run", "did not finish", "--resume", "train it again")
    assert not (tmp_path / "exported").exists() and not (tmp_path / "tuned").exists()
    assert main(["inspect", str(run)]) == 0
    assert "- status: unfinished" in capsys.readouterr().out


def test_an_unfinished_run_is_refused_by_every_command_that_uses_its_model(capsys, run, tmp_path):
    from seqzoo.tasks.common.output_dirs import set_run_status

    set_run_status(run, UNFINISHED)
    _refuses_unfinished(capsys, run, tmp_path)


# ----------------------------------------------------------------------------- kill -9
_seqzoo_process = seqzoo_process


def _kill_when(process: subprocess.Popen, ready, timeout: float = 240) -> None:
    """SIGKILL `process` once `ready()` (training has written an epoch's checkpoint)."""
    wait_until(process, ready, "its first checkpoint", timeout=timeout, poll=0.2)
    assert stop_process(process, signal.SIGKILL) == -signal.SIGKILL


LONG = ["--arch", "gru", "--units", "4", "--embedding-dim", "4", "--epochs", "1000", "--patience", "1000",
        "--quiet"]


@pytest.mark.slow
def test_a_run_killed_mid_training_is_marked_unfinished_and_refused(capsys, data, tmp_path):
    run = tmp_path / "runs" / "killed"
    process = _seqzoo_process("train", "sentiment", "--data", str(data), *LONG, "--out", str(run))
    _kill_when(process, lambda: (run / "checkpoints" / "best.weights.h5").is_file())
    assert not (run / "model.keras").exists()  # the model file is written once training has ended
    assert run_status(run) == UNFINISHED
    _refuses_unfinished(capsys, run, tmp_path)
    # It is seqzoo's own output: without --overwrite it is kept, with it replaced.
    _refused(capsys, ["train", "sentiment", "--data", str(data), *TINY, "--out", str(run)], "--overwrite")
    assert _train(data, run, "--overwrite") == 0
    assert run_status(run) == "finished" and main(["evaluate", str(run)]) == 0


@pytest.mark.slow
def test_a_killed_train_overwrite_leaves_the_previous_run_intact(capsys, run, data):
    before = _hashes(run)
    process = _seqzoo_process("train", "sentiment", "--data", str(data), *LONG, "--out", str(run), "--overwrite")
    _kill_when(process, lambda: any(run.parent.glob(".gru.seqzoo-staging-*/checkpoints/best.weights.h5")))
    assert _hashes(run) == before
    assert main(["evaluate", str(run)]) == 0  # still the finished run, served as before
    assert len(_hidden_siblings(run)) == 1  # the dead process's staging folder...
    capsys.readouterr()
    assert _train(data, run, "--overwrite") == 0
    assert _hidden_siblings(run) == []  # ...is cleared by the next write to the same --out


# ----------------------------------------------------------------------------- compare
def test_compare_overwrite_replaces_a_report_only_with_a_complete_one(monkeypatch, capsys, data, tmp_path):
    from seqzoo.tasks.compare.runner import Comparison

    def stand_in(failure=None):
        def train(self, name, config):  # stands in for the worker process
            if failure is not None:
                raise failure
            return {"name": name, "arch": config.arch, "seed": config.seed, "status": "failed",
                    "reason": "stand-in", "wall_seconds": 0.0}
        return train

    # Every run "fails" (exit code 1): what is checked is the report folder, not the runs.

    out = tmp_path / "report"
    argv = ["compare", "sentiment", "--archs", "gru,lstm", "--data", str(data), "--epochs", "1", "--out", str(out)]
    monkeypatch.setattr(Comparison, "_run_one", stand_in())
    assert main(argv) == 1
    assert json.loads((out / MARKER).read_text())["kind"] == "comparison"
    before = _hashes(out)
    capsys.readouterr()
    monkeypatch.setattr(Comparison, "_run_one", stand_in(KeyboardInterrupt()))
    assert main(argv + ["--overwrite"]) == 130
    assert "is left as it was" in capsys.readouterr().err
    assert _hashes(out) == before and _hidden_siblings(out) == []
    monkeypatch.setattr(Comparison, "_run_one", stand_in(RuntimeError("no space left on device")))
    assert main(argv + ["--overwrite"]) == 1  # an unexpected error: one line and a hint
    assert "RuntimeError: no space left on device" in capsys.readouterr().err
    with pytest.raises(RuntimeError):
        main(argv + ["--overwrite", "--debug"])
    assert _hashes(out) == before and _hidden_siblings(out) == []
    monkeypatch.setattr(Comparison, "_run_one", stand_in())
    assert main(argv + ["--overwrite", "--epochs", "2"]) == 1
    assert _hidden_siblings(out) == []
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "finished" and results["config"]["epochs"] == 2
