"""The command line end to end on a tiny file, and every bad input named in the issue."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from seqzoo.tasks.cli import main

from tests.tasks.helpers import toy_reviews, write_csv
from tests.tasks.helpers import fails as _fails

SUBCOMMANDS = [[], ["train"], ["train", "sentiment"], ["evaluate"], ["predict"], ["export"], ["archs"], ["datasets"],
               ["inspect"], ["compare"], ["compare", "translation"]]
SUBCOMMANDS += [["diagnose"], ["diagnose", "gradients"], ["diagnose", "gates"], ["embeddings"]]
SUBCOMMANDS += [["finetune"]]


def test_every_help_answers_without_importing_tensorflow():
    script = textwrap.dedent(
        f"""
        import contextlib, io, sys
        from seqzoo.tasks.cli import main
        for words in {SUBCOMMANDS!r}:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                try:
                    main(words + ["--help"])
                except SystemExit as stop:
                    assert stop.code == 0, words
            assert "usage: seqzoo" in out.getvalue(), words
        heavy = [m for m in ("tensorflow", "keras", "sklearn") if m in sys.modules]
        assert not heavy, heavy
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_missing_file(capsys, tmp_path):
    _fails(capsys, ["train", "sentiment", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r")], "nope.csv")


def test_unknown_column_lists_the_columns_found(capsys, toy_csv, tmp_path):
    _fails(capsys, ["train", "sentiment", "--data", str(toy_csv), "--out", str(tmp_path / "r")],
           "'text'", "review", "stars")


def test_empty_file(capsys, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _fails(capsys, ["train", "sentiment", "--data", str(empty), "--out", str(tmp_path / "r")], "empty.csv", "empty")


def test_file_that_is_not_utf8_names_the_line_and_accepts_encoding(capsys, tmp_path):
    rows = toy_reviews(40)
    path = tmp_path / "latin.tsv"
    lines = ["text\tlabel"] + [f"{text}\t{label}" for text, label in rows]
    lines[7] = "caf\u00e9 great\u2026 film\tpos"
    path.write_bytes("\n".join(lines).encode("cp1252"))
    _fails(capsys, ["train", "sentiment", "--data", str(path), "--out", str(tmp_path / "r")],
           "latin.tsv", "line 8", "--encoding")
    assert not (tmp_path / "r").exists()


def test_one_class_only(capsys, tmp_path):
    path = write_csv(tmp_path / "one.csv", [(f"text {i}", "pos") for i in range(20)])
    _fails(capsys, ["train", "sentiment", "--data", str(path), "--out", str(tmp_path / "r")], "one class")


def test_unknown_architecture_lists_the_known_ones(capsys, toy_csv, tmp_path):
    _fails(capsys, ["train", "sentiment", "--arch", "lsmt", "--data", str(toy_csv), "--out", str(tmp_path / "r")],
           "lsmt", "lstm", "bigru", "transformer")


def test_existing_run_directory_is_kept(capsys, toy_csv, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    _fails(capsys, ["train", "sentiment", "--data", str(toy_csv), "--text-column", "review",
                    "--label-column", "stars", "--out", str(run)], "--overwrite")
    assert (run / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_train_evaluate_predict_export_end_to_end(capsys, tmp_path):
    train = write_csv(tmp_path / "train.tsv", toy_reviews(160, seed=1), header=("review", "stars"), delimiter="\t")
    valid = write_csv(tmp_path / "valid.tsv", toy_reviews(40, seed=2), header=("review", "stars"), delimiter="\t")
    test = write_csv(tmp_path / "test.tsv", toy_reviews(40, seed=3), header=("review", "stars"), delimiter="\t")
    run = tmp_path / "runs" / "gru"
    common = ["--text-column", "review", "--label-column", "stars"]
    assert main(["train", "sentiment", "--arch", "gru", "--data", str(train), "--valid", str(valid),
                 "--test", str(test), *common, "--units", "16", "--embedding-dim", "16",
                 "--epochs", "25", "--patience", "25", "--learning-rate", "0.01",
                 "--out", str(run), "--quiet"]) == 0
    for name in ("config.json", "run.json", "vocabulary.txt", "labels.txt", "model.keras", "metrics.json",
                 "history.csv", "learning_curves.png", "checkpoints/best.weights.h5"):
        assert (run / name).exists(), name
    assert (run / "logs").is_dir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.9 and "macro_f1" in metrics
    capsys.readouterr()

    assert main(["evaluate", str(run), "--data", str(test), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["accuracy"] == metrics["accuracy"]

    texts = ["a great film", "awful", "the plot was awful and the film was awful too", "great great"]
    assert main(["predict", str(run), *texts, "--json"]) == 0
    predictions = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["label"] for p in predictions] == ["pos", "neg", "neg", "pos"]

    exported = tmp_path / "exported"
    assert main(["export", str(run), "--out", str(exported)]) == 0
    capsys.readouterr()
    served = serve_in_fresh_process(exported / "1", texts)  # TF Serving's version 1
    expected = [[p["probabilities"][name] for name in ("neg", "pos")] for p in predictions]
    for batch in served:  # two batch sizes
        assert batch["labels"] == ["pos", "neg", "neg", "pos"]
        np.testing.assert_allclose(batch["probabilities"], expected, atol=1e-5)


def serve_in_fresh_process(export_dir, texts):
    """Load the SavedModel where only tensorflow and tensorflow_text are imported, as
    TensorFlow Serving would, and serve `texts` in one batch and in batches of one."""
    script = textwrap.dedent(
        f"""
        import json, sys
        import tensorflow as tf, tensorflow_text
        serve = tf.saved_model.load({str(export_dir)!r}).signatures["serving_default"]
        texts = {texts!r}
        results = []
        for size in (len(texts), 1):
            labels, probabilities = [], []
            for start in range(0, len(texts), size):
                out = serve(text=tf.constant(texts[start:start + size]))
                labels += [x.decode() for x in out["label"].numpy()]
                probabilities += out["probabilities"].numpy().tolist()
            results.append({{"labels": labels, "probabilities": probabilities}})
        assert not any(m.startswith("seqzoo") for m in sys.modules)
        print(json.dumps(results))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_archs_lists_every_architecture_with_a_parameter_count(capsys):
    assert main(["archs", "sentiment"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("rnn", "irnn", "lstm", "gru", "bilstm", "bigru", "stacked-lstm", "transformer"):
        row = next(line for line in lines if line.split()[0] == name)
        assert int(row.split()[1].replace(",", "")) > 1000, row


def test_datasets_lists_the_builtin_sentiment_data(capsys):
    assert main(["datasets"]) == 0
    assert "negation-reviews" in capsys.readouterr().out


def test_an_unexpected_error_is_one_line_and_a_hint_and_debug_shows_the_traceback(capsys, monkeypatch):
    from seqzoo.tasks import cli

    def broken(args):
        raise ZeroDivisionError("division by zero\nmore detail")

    monkeypatch.setitem(cli.COMMANDS, "datasets", broken)
    assert main(["datasets"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "seqzoo: error: ZeroDivisionError: division by zero" and "--debug" in lines[1]
    assert len(lines) == 2 and not any("Traceback" in line for line in lines)
    with pytest.raises(ZeroDivisionError):
        main(["datasets", "--debug"])
