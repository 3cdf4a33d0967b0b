"""Run directories and exports made by seqzoo 0.1 (before the one-folder-per-task layout,
run statuses and output markers) still load, evaluate, export and inspect, each in a fresh
process as a user's next command would.

The fixtures in `tests/tasks/fixtures/seqzoo-0.1/` were made with seqzoo 0.1 (commit
2ff9fdf): `seqzoo train TASK` on the built-in data with tiny sizes, and `seqzoo export`
of the sentiment run (checkpoints, TensorBoard logs and plots left out).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "seqzoo-0.1"
RUNS = {"s": "sentiment", "lm": "language-model", "tr": "translation", "cap": "captioning"}


def seqzoo(*args, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "seqzoo.tasks.cli", *map(str, args)], cwd=cwd,
                            capture_output=True, text=True, timeout=300)
    if ok:
        assert result.returncode == 0, f"seqzoo {' '.join(map(str, args))}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def old(tmp_path) -> Path:
    copy = tmp_path / "old"
    shutil.copytree(FIXTURES, copy)
    return copy


def test_the_fixtures_are_seqzoo_0_1_runs():
    for name, task in RUNS.items():
        info = json.loads((FIXTURES / name / "run.json").read_text())
        assert info["task"] == task and info["seqzoo_version"] == "0.1.0" and "status" not in info
        assert not (FIXTURES / name / ".seqzoo-output.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_an_old_run_evaluates_and_exports_in_a_fresh_process(old, name):
    run = old / name
    before = json.loads((run / "metrics.json").read_text())
    metrics = json.loads(seqzoo("evaluate", run, "--json", cwd=old).stdout)
    # The same model on the same (regenerated, seeded) test split gives the same score.
    key = {"s": "accuracy", "lm": "loss", "tr": "bleu", "cap": "bleu1"}[name]
    assert metrics[key] == pytest.approx(before[key], rel=1e-4, abs=1e-4), (metrics, before)
    seqzoo("export", run, "--out", old / f"{name}-new-export", cwd=old)
    assert (old / f"{name}-new-export" / "1" / "saved_model.pb").is_file()
    # The old run is left as it was, and still counts as seqzoo's own output.
    assert not (run / ".seqzoo-output.json").exists() or json.loads(
        (run / ".seqzoo-output.json").read_text())["kind"] == "run"


@pytest.mark.slow
def test_an_old_export_inspects_and_an_old_run_is_replaced_by_overwrite(old):
    inspected = seqzoo("inspect", old / "s-exp", cwd=old).stdout
    assert "sentiment / gru" in inspected
    # --overwrite recognises a 0.1 run as seqzoo's (no marker) and replaces it once the new one is complete.
    seqzoo("train", "sentiment", "--arch", "gru", "--units", 4, "--embedding-dim", 4, "--epochs", 1, "--quiet",
           "--out", old / "s", "--overwrite", cwd=old)
    assert json.loads((old / "s" / "run.json").read_text())["status"] == "finished"


def test_old_runs_without_metrics_are_told_apart(old):
    """A 0.1 run without metrics.json was either saved from Python (`task.save`, served)
    or killed during `seqzoo train` (it left training logs or history: refused)."""
    from seqzoo.tasks.common.output_dirs import FINISHED, UNFINISHED, run_status

    saved = old / "s"
    (saved / "metrics.json").unlink()
    (saved / "history.csv").unlink()
    assert run_status(saved) == FINISHED
    killed = old / "tr"
    (killed / "metrics.json").unlink()
    assert (killed / "history.csv").is_file() and run_status(killed) == UNFINISHED
