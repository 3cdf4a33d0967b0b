"""Logs that read well: one line per epoch when stdout is not a terminal, `--verbose` and
`--quiet`, and progress lines for the long phases before training."""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from seqzoo.data import progress as progress_module
from seqzoo.data.progress import QUIET_ENV, PhaseProgress, track
from seqzoo.tasks.cli import main
from seqzoo.tasks.common.cli_support import auto_verbosity, fit_verbosity, output_settings
from tests.tasks.helpers import toy_reviews, write_csv

EPOCHS = 2
EPOCH_LINE = re.compile(r"^\d+/\d+ - .*loss: ")  # Keras verbose=2: "7/7 - 1s - 16ms/step - ... loss: ..."


def train_argv(folder) -> list[str]:
    """A tiny sentiment run of EPOCHS epochs, several batches each, into `folder`/run."""
    data = write_csv(folder / "reviews.csv", toy_reviews(60), header=("review", "stars"))
    return ["train", "sentiment", "--data", str(data), "--text-column", "review", "--label-column", "stars",
            "--arch", "gru", "--units", "4", "--embedding-dim", "4", "--epochs", str(EPOCHS),
            "--batch-size", "8", "--patience", "5", "--out", str(folder / "run")]


@pytest.fixture(scope="module")
def train_output(tmp_path_factory):
    """`seqzoo train sentiment ... FLAGS` in a fresh process, stdout a pipe (not a
    terminal): (stdout, stderr) by flags, each run once for the module."""
    outputs = {}

    def run(*flags: str) -> tuple[str, str]:
        if flags not in outputs:
            argv = [*train_argv(tmp_path_factory.mktemp("logs")), *flags]
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
            env.pop(QUIET_ENV, None)
            # Bytes, decoded here: text mode would turn the bar's "\r" into "\n".
            result = subprocess.run([sys.executable, "-m", "seqzoo.tasks.cli", *argv], capture_output=True,
                                    env=env, timeout=300)
            out, err = (stream.decode("utf-8", "replace") for stream in (result.stdout, result.stderr))
            assert result.returncode == 0, err[-2000:]
            outputs[flags] = out, err
        return outputs[flags]

    return run


def test_training_into_a_pipe_prints_one_line_per_epoch_and_no_bar_redraws(train_output):
    out, _ = train_output()
    assert "\r" not in out and "\b" not in out and "━" not in out
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("Epoch ")] == [f"Epoch {n}/{EPOCHS}" for n in range(1, EPOCHS + 1)]
    assert sum(bool(EPOCH_LINE.match(line)) for line in lines) == EPOCHS
    assert any(line.startswith("test: accuracy") for line in lines) and lines[-1].startswith("run directory: ")


def test_verbose_keeps_the_progress_bar_when_not_a_terminal(train_output):
    out, _ = train_output("--verbose")
    assert "━" in out and "\r" in out


def test_quiet_prints_no_keras_progress_only_the_summary_and_the_results(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv(QUIET_ENV, raising=False)
    assert main([*train_argv(tmp_path), "--quiet"]) == 0  # in this process: TensorFlow is loaded already
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert not [line for line in lines if line.startswith("Epoch ") or EPOCH_LINE.match(line)]
    assert lines[0].startswith("sentiment/gru: 48 training, 6 validation, 6 test examples")
    assert any(line.startswith("test: accuracy") for line in lines) and lines[-1].startswith("run directory: ")


def test_quiet_and_verbose_together_are_refused(capsys, tmp_path):
    with pytest.raises(SystemExit) as stopped:
        main(["train", "sentiment", "--quiet", "--verbose", "--out", str(tmp_path / "run")])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        "error: argument --verbose: not allowed with argument --quiet")
    assert not (tmp_path / "run").exists()


def test_the_default_is_the_bar_in_a_terminal_and_a_line_per_epoch_elsewhere(tmp_path):
    leader, follower = os.openpty()
    try:
        with open(follower, "w", closefd=False) as terminal:
            assert auto_verbosity(terminal) == 1
            neither = argparse.Namespace(quiet=False, verbose=False)
            assert fit_verbosity(neither, terminal) == 1
    finally:
        os.close(leader)
        os.close(follower)
    with open(tmp_path / "log.txt", "w") as log:
        assert auto_verbosity(log) == 2
        assert fit_verbosity(argparse.Namespace(quiet=False, verbose=True), log) == 1
        assert fit_verbosity(argparse.Namespace(quiet=True, verbose=False), log) == 0


def test_quiet_silences_phase_progress_only_while_the_command_runs(monkeypatch):
    monkeypatch.delenv(QUIET_ENV, raising=False)
    with output_settings(argparse.Namespace(quiet=True, verbose=False)) as verbose:
        assert verbose == 0 and os.environ[QUIET_ENV] == "1"
        assert PhaseProgress("reading x", "rows").stream is None
    assert QUIET_ENV not in os.environ
    assert PhaseProgress("reading x", "rows").stream is sys.stderr


class FakeClock:
    """Seconds that move only when a test says so; counts how often it is read."""

    def __init__(self):
        self.now, self.reads = 100.0, 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


def test_a_short_phase_prints_nothing():
    clock, out = FakeClock(), io.StringIO()
    with PhaseProgress("reading short.csv", "rows", stream=out, clock=clock) as progress:
        for _ in range(50):
            clock.now += 0.05  # 2.5 s in all: under the 3 s threshold
            progress.advance()
    assert out.getvalue() == ""


def test_a_long_phase_prints_a_line_every_few_seconds_and_a_closing_one():
    clock, out = FakeClock(), io.StringIO()
    with PhaseProgress("reading big.csv", "rows", total=80, after=3, every=5, stream=out, clock=clock) as progress:
        for _ in range(80):
            clock.now += 0.25  # 4 rows a second, 20 s in all
            progress.advance()
    lines = out.getvalue().splitlines()
    # Lines at 3 s (12 rows), 8 s, 13 s, 18 s, then the closing one at 20 s.
    assert lines[0] == "reading big.csv: 12/80 (15%) rows (4 rows/s, 3.0 s)"
    assert [line.split(":")[1].split()[0] for line in lines[:-1]] == ["12/80", "32/80", "52/80", "72/80"]
    assert lines[-1] == "reading big.csv: done, 80 rows in 20.0 s (4 rows/s)"


def test_the_clock_is_read_only_every_check_every_items():
    clock = FakeClock()
    progress = PhaseProgress("reading", "rows", check_every=1000, stream=io.StringIO(), clock=clock)
    for _ in range(10_000):
        progress.advance()
    progress.close()
    assert clock.reads == 1 + 10 + 1  # start, every thousandth row, close


def test_quiet_environment_prints_nothing_however_long(monkeypatch):
    monkeypatch.setenv(QUIET_ENV, "1")
    clock = FakeClock()
    progress = PhaseProgress("reading", "rows", clock=clock)
    clock.now += 60
    progress.advance(10)
    progress.close()
    assert progress.stream is None and progress.done == 10 and progress.lines == 0


def test_track_counts_the_items_it_passes_on():
    clock, out = FakeClock(), io.StringIO()
    batches = [[0] * 3, [0] * 4]

    def slow(items):
        for item in items:
            clock.now += 4
            yield item

    assert list(track(slow(batches), "caching", "images", size=len, stream=out, clock=clock)) == batches
    assert out.getvalue().splitlines()[-1] == "caching: done, 7 images in 8.0 s (1 images/s)"


@pytest.fixture
def every_phase_shown(monkeypatch):
    """Thresholds of zero: each hooked phase prints its closing line, however quick."""
    monkeypatch.delenv(QUIET_ENV, raising=False)
    monkeypatch.setattr(progress_module, "SHOW_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(progress_module, "LINE_EVERY_SECONDS", 0.0)


def _done_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if ": done, " in line]


def test_reading_vocabulary_and_image_decoding_report_progress(capsys, tmp_path, every_phase_shown):
    import tensorflow as tf

    from seqzoo.data.image_files import usable_images
    from seqzoo.data.readers import read_corpus, read_labelled_texts
    from seqzoo.data.text_preprocessor import TextPreprocessor

    rows = toy_reviews(37)
    data = read_labelled_texts(write_csv(tmp_path / "reviews.csv", rows))
    assert _done_lines(capsys)[0].startswith("reading reviews.csv: done, 37 rows in ")

    TextPreprocessor.adapt(data.texts)
    assert _done_lines(capsys)[0].startswith("building the vocabulary: done, 37 texts in ")

    (tmp_path / "corpus").mkdir()
    for name in "abc":
        (tmp_path / "corpus" / f"{name}.txt").write_text("some text\n")
    read_corpus(tmp_path / "corpus")
    assert _done_lines(capsys)[0].startswith(f"reading {tmp_path / 'corpus'}: done, 3 files in ")

    png = tf.io.encode_png(np.zeros((4, 4, 3), np.uint8)).numpy()
    assert usable_images(contents=[png, png, b"not an image"]) == [None, None, "not JPEG or PNG"]
    assert _done_lines(capsys)[0].startswith("decoding images: done, 2 images in ")


def test_caching_image_features_reports_progress(capsys, every_phase_shown):
    from seqzoo.data.builtin_digit_captions import load_digit_strings
    from seqzoo.tasks.captioning.config import CaptioningConfig
    from seqzoo.tasks.captioning.task import CaptioningTask

    images = load_digit_strings(size=6)
    task = CaptioningTask.build(CaptioningConfig(arch="show-and-tell", units=4, embedding_dim=4, cnn_filters="4",
                                                 image_size="16x16", batch_size=4), images)
    capsys.readouterr()
    features = task.encoder_features(images)
    assert len(features) == len(images) == 6
    assert [line.split(" in ")[0] for line in _done_lines(capsys)] == ["caching image features: done, 6 images"]
