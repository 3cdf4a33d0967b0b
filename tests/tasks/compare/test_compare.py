"""`seqzoo compare`: every architecture on the same data, a report whose figures are the
runs' own, failures reported with their reason, Ctrl-C keeping the finished runs."""

from __future__ import annotations

import base64
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from seqzoo.tasks.cli import main
from seqzoo.tasks.compare.budget import parse_budget
from seqzoo.tasks.compare.report import format_number, metric_columns
from seqzoo.tasks.common.errors import UsageError

from tests.tasks.helpers import toy_reviews, write_csv

TINY = ["--epochs", "1", "--units", "4", "--embedding-dim", "4", "--batch-size", "16", "--quiet"]


def _compare(out, data, archs, *extra) -> int:
    return main(["compare", "sentiment", "--archs", archs, "--data", str(data), "--out", str(out), *TINY, *extra])


def _table(report_md: str) -> dict[str, dict[str, str]]:
    """The per-run table of report.md as {run: {column: cell}}."""
    lines = report_md.split("## Runs\n", 1)[1].strip().splitlines()
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines if line.startswith("|")]
    header, rows = cells[0], cells[2:]
    return {row[0]: dict(zip(header, row)) for row in rows}


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """rnn and gru train; the transformer refuses the one-hot embedding (a bad config for
    that architecture only), and the comparison goes on."""
    root = tmp_path_factory.mktemp("compare")
    data = write_csv(root / "reviews.csv", toy_reviews(120))
    out = root / "report"
    code = _compare(out, data, "rnn,transformer,gru", "--embedding", "one-hot")
    return code, out, data


def test_budget_parsing():
    assert parse_budget("10m") == 600 and parse_budget("90s") == 90 and parse_budget("1h") == 3600
    assert parse_budget("1h30m") == 5400 and parse_budget("45") == 45 and parse_budget("2.5min") == 150
    for bad in ("", "soon", "10x", "0s", "m"):
        with pytest.raises(UsageError):
            parse_budget(bad)


def test_bad_budget_and_unknown_arch_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", "sentiment", "--budget", "ten minutes", "--out", str(tmp_path / "r")])
    assert stop.value.code == 2 and "give a duration" in capsys.readouterr().err
    assert main(["compare", "sentiment", "--archs", "lstm,lstn", "--out", str(tmp_path / "r")]) == 2
    assert "unknown architecture(s) lstn" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_an_existing_report_directory_is_never_overwritten(tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "results.json").write_text("earlier work")
    assert main(["compare", "sentiment", "--archs", "rnn", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "results.json").read_text() == "earlier work"


def test_compare_reports_every_run_with_the_figures_of_its_metrics_json(compared):
    code, out, _ = compared
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "finished"
    assert [(run["name"], run["status"]) for run in results["runs"]] == [
        ("rnn", "ok"), ("transformer", "failed"), ("gru", "ok")]
    table = _table((out / "report.md").read_text())
    assert table["transformer"]["status"] == "failed"
    assert "needs --embedding learned" in table["transformer"]["stopped by / reason"]
    for name in ("rnn", "gru"):
        metrics = json.loads((out / "runs" / name / "metrics.json").read_text())
        row = table[name]
        for key, title, decimals in metric_columns("sentiment"):
            assert row[title] == format_number(metrics[key], decimals)
        assert row["parameters"] == format_number(metrics["parameters"], 0)
        assert row["training s"] == format_number(metrics["training_seconds"], 2)
        run = next(r for r in results["runs"] if r["name"] == name)
        # 96 training examples, one epoch.
        assert run["throughput"]["items_per_epoch"] == 96 and run["epochs_trained"] == 1
        # Throughput counts the training batches' time only (history.csv's train_seconds),
        # which leaves out the validation pass, so it is below the whole fit's time.
        batch_seconds = sum(run["history"]["train_seconds"])
        assert 0 < batch_seconds < metrics["training_seconds"]
        assert math.isclose(run["throughput"]["value"], 96 / batch_seconds, rel_tol=0.01)
        assert run["memory"]["bytes"] > 10 * 2**20
        assert sum(row["examples"] for row in run["by_length"]) == metrics["examples"]
        assert (out / "runs" / name / "model.keras").exists()  # kept, so it can be exported
    rnn, _, gru = results["runs"]
    assert rnn["fingerprints"] == gru["fingerprints"] and rnn["splits"] == gru["splits"]
    assert "Warning" not in (out / "report.md").read_text()


def test_html_report_holds_its_plots_inline(compared):
    _, out, _ = compared
    page = (out / "report.html").read_text()
    images = page.split('src="data:image/png;base64,')[1:]
    assert len(images) == 2  # learning curves, accuracy by input length
    for image in images:
        assert base64.b64decode(image.split('"', 1)[0]).startswith(b"\x89PNG")
    assert "needs --embedding learned" in page


@pytest.mark.slow
def test_resume_keeps_the_finished_runs_and_trains_the_rest(compared, tmp_path, capsys):
    import shutil

    _, out, data = compared
    copy = tmp_path / "report"
    shutil.copytree(out, copy)
    results = json.loads((copy / "results.json").read_text())
    rnn = results["runs"][0]
    results["runs"] = results["runs"][:2]  # as if Ctrl-C had stopped it during gru
    results["status"] = "interrupted"
    (copy / "results.json").write_text(json.dumps(results))
    shutil.rmtree(copy / "runs" / "gru")
    (copy / "runs" / "gru").mkdir()  # what an interrupted run leaves behind
    capsys.readouterr()
    assert _compare(copy, data, "rnn,transformer,gru", "--embedding", "one-hot", "--resume") == 0
    printed = capsys.readouterr().out
    assert "sentiment/rnn: kept from the earlier comparison (ok)" in printed
    resumed = json.loads((copy / "results.json").read_text())
    assert [(r["name"], r["status"]) for r in resumed["runs"]] == [("rnn", "ok"), ("transformer", "failed"),
                                                                  ("gru", "ok")]
    assert resumed["runs"][0] == rnn and resumed["resumed_runs"] == ["rnn"] and resumed["status"] == "finished"
    assert (copy / "runs" / "gru" / "model.keras").exists()
    assert "gru" in _table((copy / "report.md").read_text())
    # Other settings would not compare like with like: refused, nothing touched.
    before = (copy / "results.json").read_text()
    assert _compare(copy, data, "rnn,gru", "--embedding", "learned", "--resume") == 2
    assert "embedding: 'one-hot' -> 'learned'" in capsys.readouterr().err
    assert _compare(copy, data, "rnn,gru", "--embedding", "one-hot", "--resume") == 2  # would drop a run
    assert "archs: ['rnn', 'transformer', 'gru'] -> ['rnn', 'gru']" in capsys.readouterr().err
    assert (copy / "results.json").read_text() == before
    # A kept run whose run directory lost its metrics is trained again.
    (copy / "runs" / "gru" / "metrics.json").unlink()
    assert _compare(copy, data, "rnn,transformer,gru", "--embedding", "one-hot", "--resume") == 0
    again = json.loads((copy / "results.json").read_text())
    assert again["resumed_runs"] == ["rnn"] and (copy / "runs" / "gru" / "metrics.json").is_file()
    assert again["started"] == results["started"]  # the comparison's own start, not the resume's
    assert _compare(tmp_path / "nothing", data, "rnn", "--resume") == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_resumed_comparison_writes_its_kept_runs_before_training_the_next(compared, tmp_path, monkeypatch):
    import shutil

    from seqzoo.tasks.compare.runner import Comparison

    _, out, data = compared
    copy = tmp_path / "report"
    shutil.copytree(out, copy)
    results = json.loads((copy / "results.json").read_text())
    results["runs"] = results["runs"][:1]  # rnn finished, the rest not
    (copy / "results.json").write_text(json.dumps(results))
    on_disk = []

    def train(self, name, config):  # stands in for the worker; a kill here must lose nothing
        on_disk.append([run["name"] for run in json.loads((copy / "results.json").read_text())["runs"]])
        return {"name": name, "arch": config.arch, "seed": config.seed, "status": "failed", "reason": "test",
                "wall_seconds": 0.0}

    monkeypatch.setattr(Comparison, "_run_one", train)
    assert _compare(copy, data, "rnn,transformer,gru", "--embedding", "one-hot", "--resume") == 0
    assert on_disk[0] == ["rnn"]
    assert [r["name"] for r in json.loads((copy / "results.json").read_text())["runs"]] == [
        "rnn", "transformer", "gru"]


def test_the_same_seed_gives_the_same_numbers(compared, tmp_path):
    _, out, data = compared
    assert _compare(tmp_path / "again", data, "rnn", "--embedding", "one-hot") == 0
    first = json.loads((out / "runs" / "rnn" / "metrics.json").read_text())
    second = json.loads((tmp_path / "again" / "runs" / "rnn" / "metrics.json").read_text())
    for key in ("accuracy", "macro_f1", "confusion_matrix", "parameters"):
        assert first[key] == second[key]
    histories = [json.loads((root / "results.json").read_text())["runs"][0]["history"]
                 for root in (out, tmp_path / "again")]
    for history in histories:  # the clock is the one column that may differ
        assert history.pop("train_seconds")
    assert histories[0] == histories[1]


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_runs_and_their_report(tmp_path):
    data = write_csv(tmp_path / "reviews.csv", toy_reviews(120))
    out = tmp_path / "report"
    command = [sys.executable, "-m", "seqzoo.tasks.cli", "compare", "sentiment", "--archs", "rnn,gru,lstm",
               "--data", str(data), "--out", str(out), *TINY, "--epochs", "1000", "--patience", "1000",
               "--budget", "3s"]  # no early stopping: the budget ends each run
    # A job started in the background of a shell inherits an ignored SIGINT: restore it,
    # as an interactive terminal has it.
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    results_path = out / "results.json"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and parent.poll() is None:
        if results_path.exists() and json.loads(results_path.read_text())["runs"]:
            break
        time.sleep(0.5)
    time.sleep(2)  # into the second run
    parent.send_signal(signal.SIGINT)
    output, _ = parent.communicate(timeout=120)
    assert parent.returncode == 130, output
    results = json.loads(results_path.read_text())
    assert results["status"] == "interrupted"
    first = results["runs"][0]
    assert first["name"] == "rnn" and first["status"] == "ok"
    # The budget keeps back the next batch and the validation pass, so it may stop short of 3 s.
    assert first["stopped_by"] == "time budget" and first["metrics"]["training_seconds"] > 1
    assert 0 < first["epochs_trained"]
    assert [run["status"] for run in results["runs"][1:]] in ([], ["interrupted"])
    assert "| rnn | ok |" in (out / "report.md").read_text()
    assert "report of the 1 finished run(s)" in output
    assert not any(run["name"] == "lstm" for run in results["runs"])


def _run(name, arch, seed, accuracy, vocabulary="aaaa", **extra):
    return {"name": name, "arch": arch, "seed": seed, "run_dir": f"runs/{name}", "status": "ok",
            "metrics": {"accuracy": accuracy, "macro_f1": accuracy, "parameters": 10, "training_seconds": 2.0},
            "fingerprints": {"vocabulary.txt": vocabulary}, "splits": {"train": 8, "valid": 1, "test": 1}, **extra}


def test_repeated_seeds_are_summarised_and_unequal_vocabularies_flagged(tmp_path):
    from seqzoo.tasks.compare.report import mismatches, summary_rows

    results = {"task": "sentiment", "archs": ["lstm", "gru"], "seeds": [0, 1], "runs": [
        _run("lstm-seed0", "lstm", 0, 0.5), _run("gru-seed0", "gru", 0, 0.9, vocabulary="bbbb"),
        _run("lstm-seed1", "lstm", 1, 0.7), {"name": "gru-seed1", "arch": "gru", "seed": 1, "status": "failed",
                                            "run_dir": "runs/gru-seed1", "reason": "out of memory"}]}
    header, rows = summary_rows(tmp_path, results)
    lstm, gru = (dict(zip(header, row)) for row in rows)
    assert lstm["accuracy"] == "0.6000 ± 0.1414 (n=2)" and lstm["runs scored"] == "2 of 2"
    assert gru["accuracy"] == "0.9000" and gru["runs scored"] == "1 of 2"
    problems = mismatches(results)
    assert len(problems) == 1 and problems[0].startswith("seed 0: the vocabulary") and "gru-seed0" in problems[0]


def test_a_loss_that_turned_nan_marks_the_run_diverged_with_the_epoch():
    from seqzoo.tasks.compare.worker import _divergence_reason, _stopped_by
    from seqzoo.tasks.sentiment.config import SentimentConfig

    config = SentimentConfig(epochs=5)
    history = {"loss": [0.7, 0.6, float("nan")], "val_loss": [0.7, 0.65, float("nan")]}
    assert _stopped_by(history, config) == "divergence"
    assert "epoch 3" in _divergence_reason(history) and "after epoch 2" in _divergence_reason(history)
    assert _stopped_by({"loss": [0.7, 0.6]}, config) == "early stopping"
    config.time_budget = 2.0
    assert _stopped_by({"loss": [0.7, 0.6]}, config, budget_reached=True) == "time budget"


def test_time_budget_ends_training_within_the_first_epoch():
    import numpy as np

    import keras
    from seqzoo.tasks.common.recipe import fit_datasets
    import tensorflow as tf

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    data = tf.data.Dataset.from_tensor_slices((np.ones((64, 2)), np.ones((64, 1)))).batch(4)
    history = fit_datasets(model, data, data.take(1), None, patience=5, epochs=50, verbose=0, time_budget=1e-9)
    assert len(history["loss"]) == 1 and len(history["val_loss"]) == 1
    assert int(model.optimizer.iterations.numpy()) == 1  # stopped after the first batch
    assert model.time_budget_reached  # what compare reports as "time budget"


def test_doctests_of_the_compare_modules():
    import doctest
    import importlib

    for name in ("compare.budget", "compare.runner", "compare.report", "compare.worker"):
        result = doctest.testmod(importlib.import_module(f"seqzoo.tasks.{name}"), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, name


@pytest.mark.slow
@pytest.mark.parametrize("task, arch, flags, unit, plots", [
    ("language-model", "gru", ["--window", "16", "--context-length", "16"], "tokens/s", 1),
    ("translation", "seq2seq", ["--max-examples", "120", "--beam-size", "1"], "target tokens/s", 2),
    ("captioning", "show-and-tell", ["--max-images", "40", "--cnn-filters", "4", "--beam-size", "1"], "captions/s", 1),
])
def test_compare_works_for_every_task(tmp_path, task, arch, flags, unit, plots):
    if task == "language-model":
        from pydoc_data.topics import topics

        corpus = tmp_path / "corpus.txt"
        corpus.write_text("".join(topics[name] for name in sorted(topics)[:4]), encoding="utf-8")
        flags = flags + ["--data", str(corpus)]
    out = tmp_path / "report"
    assert main(["compare", task, "--archs", arch, "--out", str(out), *TINY, *flags]) == 0
    run = json.loads((out / "results.json").read_text())["runs"][0]
    assert run["status"] == "ok" and run["throughput"]["unit"] == unit and run["throughput"]["value"] > 0
    metrics = json.loads((out / "runs" / arch / "metrics.json").read_text())
    row = _table((out / "report.md").read_text())[arch]
    for key, title, decimals in metric_columns(task):
        if key in metrics:
            assert row[title] == format_number(metrics[key], decimals)
    assert (out / "report.html").read_text().count("data:image/png;base64,") == plots


@pytest.mark.slow
def test_a_worker_killed_as_by_the_out_of_memory_killer_is_reported_and_the_next_run_goes_on(tmp_path):
    data = write_csv(tmp_path / "reviews.csv", toy_reviews(120))
    out = tmp_path / "report"
    command = [sys.executable, "-m", "seqzoo.tasks.cli", "compare", "sentiment", "--archs", "rnn,gru",
               "--data", str(data), "--out", str(out), *TINY]
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    children = f"/proc/{parent.pid}/task/{parent.pid}/children"
    deadline = time.monotonic() + 120
    worker = None
    while worker is None and time.monotonic() < deadline and parent.poll() is None:
        pids = open(children).read().split() if os.path.exists(children) else []
        worker = int(pids[0]) if pids else None
        time.sleep(0.2)
    assert worker is not None
    time.sleep(1)
    os.kill(worker, signal.SIGKILL)  # what the kernel does to a process that runs out of memory
    output, _ = parent.communicate(timeout=240)
    assert parent.returncode == 0, output
    rnn, gru = json.loads((out / "results.json").read_text())["runs"]
    assert rnn["status"] == "failed" and "SIGKILL" in rnn["reason"] and "out-of-memory" in rnn["reason"]
    assert gru["status"] == "ok"
    assert "SIGKILL" in _table((out / "report.md").read_text())["rnn"]["stopped by / reason"]


def test_architecture_names_are_read_without_importing_tensorflow(tmp_path):
    from seqzoo.tasks.compare.runner import architecture_names
    from seqzoo.tasks.registry import all_tasks

    for spec in all_tasks():
        assert architecture_names(spec.name) == list(spec.architectures), spec.name
    # The parent of the workers never imports TensorFlow (the workers do), so it does not
    # hold most of a gigabyte while they train.
    script = (
        "import sys\nfrom seqzoo.tasks.cli import main\n"
        f"code = main(['compare', 'sentiment', '--archs', 'lstm,lstn', '--out', {str(tmp_path / 'r')!r}])\n"
        "print(code, [m for m in ('tensorflow', 'keras') if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.split("\n")[0] == "2 []", result.stderr
