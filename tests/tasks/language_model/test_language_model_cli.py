"""`seqzoo train|evaluate|generate|export` for the language model, end to end, and bad inputs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import pytest

from seqzoo.tasks.cli import main

CORPUS = (
    "To be, or not to be, that is the question:\n"
    "Whether 'tis nobler in the mind to suffer\n"
    "The slings and arrows of outrageous fortune,\n"
    "Or to take arms against a sea of troubles\n"
)


def _fails(capsys, argv, *phrases):
    """The command exits with 2 and prints one line naming the problem, no traceback."""
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("seqzoo: error:"), error
    assert "Traceback" not in error and len(error.splitlines()) == 1, error
    for phrase in phrases:
        assert phrase in error, (phrase, error)
    return error


def test_help_of_the_language_model_commands_needs_no_tensorflow():
    script = textwrap.dedent(
        """
        import contextlib, io, sys
        from seqzoo.tasks.cli import main
        for words in (["train", "language-model"], ["generate"]):
            with contextlib.redirect_stdout(io.StringIO()) as out:
                try:
                    main(words + ["--help"])
                except SystemExit as stop:
                    assert stop.code == 0, words
            assert "--tbptt" in out.getvalue() or "--top-k" in out.getvalue(), words
        assert not [m for m in ("tensorflow", "keras") if m in sys.modules]
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_missing_corpus_file(capsys, tmp_path):
    _fails(capsys, ["train", "language-model", "--data", str(tmp_path / "nope.txt"),
                    "--out", str(tmp_path / "r")], "nope.txt", "no such file")
    assert not (tmp_path / "r").exists()


def test_empty_corpus(capsys, tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n")
    _fails(capsys, ["train", "language-model", "--data", str(tmp_path / "empty.txt"),
                    "--out", str(tmp_path / "r")], "empty.txt", "empty")
    (tmp_path / "folder").mkdir()
    _fails(capsys, ["train", "language-model", "--data", str(tmp_path / "folder"),
                    "--out", str(tmp_path / "r")], "folder", "no .txt files")


def test_corpus_that_is_not_utf8_names_the_line_and_the_encoding_flag(capsys, tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(("line one\nline two\ncaf\u00e9 au lait\n" * 3).encode("cp1252"))
    _fails(capsys, ["train", "language-model", "--data", str(path), "--out", str(tmp_path / "r")],
           "latin.txt", "line 3", "--encoding")


def test_evaluating_a_missing_run_directory(capsys, tmp_path):
    _fails(capsys, ["evaluate", str(tmp_path / "no-run"), "--data", "x.txt"], "no-run")


def test_unknown_architecture_lists_the_known_ones(capsys, tmp_path):
    _fails(capsys, ["train", "language-model", "--arch", "lsmt", "--out", str(tmp_path / "r")],
           "lsmt", "lstm", "stacked-lstm", "transformer")


def test_archs_lists_every_architecture(capsys):
    assert main(["archs", "language-model"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("rnn", "irnn", "lstm", "gru", "stacked-lstm", "transformer"):
        row = next(line for line in lines if line.split()[0] == name)
        assert int(row.split()[1].replace(",", "")) > 1000, row


@pytest.mark.slow
def test_train_evaluate_generate_export_end_to_end(capsys, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS * 12)
    heldout = tmp_path / "heldout.txt"
    heldout.write_text(CORPUS * 2)
    run = tmp_path / "runs" / "lm"
    assert main(["train", "language-model", "--arch", "lstm", "--data", str(corpus), "--level", "char",
                 "--units", "32", "--embedding-dim", "16", "--window", "20", "--batch-size", "8",
                 "--epochs", "25", "--patience", "25", "--learning-rate", "0.01", "--valid-fraction", "0.1",
                 "--test-fraction", "0.1", "--out", str(run), "--quiet"]) == 0
    for name in ("config.json", "run.json", "vocabulary.txt", "preprocessor.json", "model.keras",
                 "metrics.json", "history.csv", "learning_curves.png", "sample.txt",
                 "checkpoints/best.weights.h5"):
        assert (run / name).exists(), name
    assert (run / "logs").is_dir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["bits_per_char"] == pytest.approx(metrics["loss"] / math.log(2))
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["loss"]), rel=1e-5)
    capsys.readouterr()

    assert main(["evaluate", str(run), "--data", str(heldout), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["tokens"] == len(CORPUS * 2) - 1
    assert evaluated["perplexity"] < 8  # 40-odd characters: uniform guessing would be above 30
    assert evaluated["bits_per_char"] == pytest.approx(evaluated["loss"] / math.log(2))

    prompts = ["To be, or not", "", "The slings"]
    expected = {}
    for settings in (["--temperature", "0.8", "--seed", "1"], ["--temperature", "0"]):
        assert main(["generate", str(run), *sum((["--prompt", p] for p in prompts), []),
                     "--max-tokens", "40", *settings, "--json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line["prompt"] for line in lines] == prompts
        assert all(len(line["text"]) == 40 for line in lines)
        expected[settings[1]] = [line["text"] for line in lines]
    assert expected["0"][0].startswith(" to be")  # greedy decoding continues the verse
    assert main(["generate", str(run), "--prompt", "To be, or not", "--max-tokens", "40",
                 "--temperature", "0.8", "--seed", "1"]) == 0
    assert capsys.readouterr().out == "To be, or not" + expected["0.8"][0] + "\n"

    exported = tmp_path / "exported" / "lm"
    assert main(["export", str(run), "--out", str(exported)]) == 0
    capsys.readouterr()
    served = serve_in_fresh_process(exported / "1", prompts)  # TF Serving's version 1
    for batch in served:  # two batch sizes, settings as scalars (one-element lists) or per request
        assert batch["sampled"] == expected["0.8"]
        assert batch["greedy"] == expected["0"]
        assert batch["mixed"] == [expected["0.8"][0], expected["0"][1], expected["0.8"][2][:10]]


def serve_in_fresh_process(export_dir, prompts):
    """Serve the SavedModel where only tensorflow and tensorflow_text are imported, in one
    batch and in batches of one."""
    script = textwrap.dedent(
        f"""
        import json, sys
        import tensorflow as tf, tensorflow_text
        serve = tf.saved_model.load({str(export_dir)!r}).signatures["serving_default"]
        prompts = {prompts!r}
        def run(part, max_tokens, temperature, seed):
            out = serve(prompt=tf.constant(part), max_tokens=tf.constant(max_tokens, tf.int32),
                        temperature=tf.constant(temperature, tf.float32),
                        seed=tf.constant(seed, tf.int32))
            return [text.decode("utf-8") for text in out["text"].numpy()]
        results = []
        for size in (len(prompts), 1):
            batch = {{"sampled": [], "greedy": [], "mixed": []}}
            for start in range(0, len(prompts), size):
                part, rows = prompts[start:start + size], range(start, start + size)
                batch["sampled"] += run(part, [40], [0.8], [1])
                batch["greedy"] += run(part, [40], [0.0], [7])
                batch["mixed"] += run(part, [[40, 40, 10][i] for i in rows],
                                      [[0.8, 0.0, 0.8][i] for i in rows], [1] * len(part))
            results.append(batch)
        assert not any(m.startswith("seqzoo") for m in sys.modules)
        print(json.dumps(results))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
