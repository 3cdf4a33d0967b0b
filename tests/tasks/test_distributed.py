"""Training under tf.distribute, for every task: `--distribute mirrored` on two logical CPU
devices, and `--distribute multi-worker` with two worker processes on localhost ports
(TF_CONFIG), against the same training on one device.

Two replicas each take half of the global batch, and their gradients are summed, so
the step is the same computation in another order of floating-point sums: the losses
agree closely, not bit for bit: a few hundred Adam steps amplify the rounding, to a
relative 3e-3 of the validation loss at most here (tolerance 5e-3; accuracies 0.02).
At a learning rate of 1e-7 the language model's losses agree to 5e-7, so the replicas
compute the same function, carried states included.
Dropout is off, so that no per-replica random stream enters the comparison."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from seqzoo.tasks.cli import main
from tests.tasks.helpers import toy_reviews, write_csv

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

TASKS = {
    "sentiment": ["--arch", "gru", "--units", "8", "--embedding-dim", "8", "--dropout", "0", "--epochs", "1",
                  "--batch-size", "64"],
    # The carried state of truncated BPTT: each replica keeps the rows of its half of the batch.
    "language-model": ["--arch", "gru", "--units", "16", "--embedding-dim", "8", "--dropout", "0",
                       "--epochs", "1", "--window", "20", "--batch-size", "16"],
    "translation": ["--arch", "transformer", "--units", "16", "--embedding-dim", "16", "--dropout", "0",
                    "--epochs", "1", "--max-examples", "300", "--batch-size", "32"],
    "captioning": ["--units", "8", "--embedding-dim", "8", "--dropout", "0", "--epochs", "1", "--max-images", "160",
                   "--batch-size", "16"],
}
RELATIVE = 5e-3
ACCURACY = 0.02  # one example of a 64-example validation split may flip


def _seqzoo(*argv, env=None, check=True) -> subprocess.CompletedProcess:
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    result = subprocess.run([sys.executable, "-m", "seqzoo.tasks.cli", *argv], env=environment,
                            capture_output=True, text=True, timeout=500)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def _history(run: Path) -> dict[str, list[float]]:
    with open(run / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in rows[0] if key not in ("epoch", "train_seconds")}


def _close(a: dict, b: dict) -> None:
    """Losses within RELATIVE; accuracies within ACCURACY (an example near the decision
    boundary may flip under another order of sums)."""
    assert a.keys() == b.keys()
    for key in a:
        assert len(a[key]) == len(b[key]), key
        for x, y in zip(a[key], b[key]):
            tolerance = RELATIVE * max(1.0, abs(x)) if "loss" in key or "perplexity" in key else ACCURACY
            assert abs(x - y) <= tolerance, (key, a[key], b[key])


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module", autouse=True)
def sentiment_data(tmp_path_factory):
    """A small review file for sentiment (its built-in set is larger than these tests need)."""
    path = write_csv(tmp_path_factory.mktemp("data") / "reviews.csv", toy_reviews(640))
    TASKS["sentiment"] = [*TASKS["sentiment"], "--data", str(path)]
    yield path
    TASKS["sentiment"] = TASKS["sentiment"][:-2]


@pytest.fixture(scope="module")
def single(tmp_path_factory, sentiment_data):
    """Each task trained on one device: the reference."""
    root = tmp_path_factory.mktemp("single")
    runs = {}
    for task, flags in TASKS.items():  # in this process: no strategy, no new TensorFlow to start
        assert main(["train", task, *flags, "--quiet", "--out", str(root / task)]) == 0
        runs[task] = root / task
    return runs


@pytest.mark.parametrize("task", list(TASKS))
def test_mirrored_on_two_devices_trains_as_one_device_and_its_run_serves(single, tmp_path, task):
    run = tmp_path / "run"
    result = _seqzoo("train", task, *TASKS[task], "--quiet", "--out", str(run),
                     "--distribute", "mirrored", "--devices", "CPU:0,CPU:1")
    assert "training on 2 replicas" in result.stdout
    assert "--batch-size" in result.stdout and "is the global batch" in result.stdout
    _close(_history(single[task]), _history(run))
    # Saved, loaded and exported as any run: the model knows nothing of the strategy.
    assert main(["evaluate", str(run)]) == 0
    assert main(["export", str(run), "--out", str(tmp_path / "export")]) == 0
    assert (tmp_path / "export" / "1" / "saved_model.pb").is_file()


@pytest.mark.parametrize("task", list(TASKS))
def test_two_workers_on_localhost_train_one_run_as_one_device(single, tmp_path, task):
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    run = tmp_path / "run"
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    workers = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "seqzoo.tasks.cli", "train", task, *TASKS[task], "--quiet", "--out", str(run),
             "--distribute", "multi-worker"], env=dict(environment, TF_CONFIG=tf_config),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [worker.communicate(timeout=500) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr[-3000:]
    # One run directory, written by the chief (worker 0); worker 1 wrote a scratch folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert (run / "metrics.json").is_file() and (run / "model.keras").is_file()
    assert "seqzoo-worker-" in outputs[1][0]
    _close(_history(single[task]), _history(run))
    assert main(["evaluate", str(run)]) == 0
