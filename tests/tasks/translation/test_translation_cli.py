"""`seqzoo train|evaluate|translate|export` for translation, end to end on a tiny corpus."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from seqzoo.tasks.cli import main

from tests.tasks.helpers import fails as _fails
from tests.tasks.helpers import reversal_pairs


def write_anki(path, pairs):
    """The Tatoeba/Anki layout: source, target, attribution; no header."""
    path.write_text("".join(f"{s}\t{t}\tCC-BY 2.0 (France) #{i}\n"
                            for i, (s, t) in enumerate(zip(pairs.sources, pairs.targets))), encoding="utf-8")
    return path


def test_line_count_mismatch_is_one_line_naming_both_counts(capsys, tmp_path):
    (tmp_path / "train.de").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "train.en").write_text("x\ny\n", encoding="utf-8")
    _fails(capsys, ["train", "translation", "--data", f"{tmp_path / 'train.de'}:{tmp_path / 'train.en'}",
                    "--out", str(tmp_path / "r")], "train.de has 3 lines", "train.en has 2")
    assert not (tmp_path / "r").exists()


def test_unknown_architecture_lists_the_known_ones(capsys, tmp_path):
    _fails(capsys, ["train", "translation", "--arch", "bahdanu", "--out", str(tmp_path / "r")],
           "bahdanu", "seq2seq", "luong", "transformer")


@pytest.mark.slow
def test_archs_lists_every_translation_architecture(capsys):
    assert main(["archs", "translation"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("seq2seq", "bahdanau", "luong", "transformer"):
        row = next(line for line in lines if line.split()[0] == name)
        assert int(row.split()[1].replace(",", "")) > 1000, row


@pytest.mark.slow
def test_train_evaluate_translate_export_end_to_end(capsys, tmp_path):
    train = write_anki(tmp_path / "fra.txt", reversal_pairs(600, seed=1))
    test_pairs = reversal_pairs(40, seed=3)
    (tmp_path / "test.src").write_text("\n".join(test_pairs.sources) + "\n", encoding="utf-8")
    (tmp_path / "test.tgt").write_text("\n".join(test_pairs.targets) + "\n", encoding="utf-8")
    run = tmp_path / "runs" / "mt"
    assert main(["train", "translation", "--arch", "luong", "--cell", "gru", "--data", str(train),
                 "--source-column", "en", "--target-column", "fr", "--units", "32", "--embedding-dim", "32",
                 "--epochs", "12", "--patience", "12", "--learning-rate", "0.01", "--label-smoothing", "0",
                 "--max-length", "12", "--out", str(run), "--quiet"]) == 0
    for name in ("config.json", "run.json", "source/vocabulary.txt", "target/vocabulary.txt", "model.keras",
                 "metrics.json", "history.csv", "learning_curves.png", "bleu_by_length.png",
                 "attention_example.png"):
        assert (run / name).exists(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"bleu", "chrf", "exact_match"} <= set(metrics)
    capsys.readouterr()

    assert main(["evaluate", str(run), "--data", f"{tmp_path / 'test.src'}:{tmp_path / 'test.tgt'}",
                 "--beam-size", "3", "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["bleu"] > 50 and evaluated["beam_size"] == 3, evaluated

    texts = ["a b c", "h g f e d", "c"]
    plot = tmp_path / "cat.png"
    assert main(["translate", str(run), texts[0], "--beam-size", "3", "--attention-plot", str(plot)]) == 0
    assert capsys.readouterr().out.strip() and plot.stat().st_size > 0
    assert main(["translate", str(run), *texts, "--json"]) == 0  # the run's beam size, as the export
    translated = [json.loads(line)["translation"] for line in capsys.readouterr().out.splitlines()]

    exported = tmp_path / "exported"
    assert main(["export", str(run), "--out", str(exported)]) == 0
    capsys.readouterr()
    for batch in translate_in_fresh_process(exported / "1", texts):  # two batch sizes
        assert batch == translated


def translate_in_fresh_process(export_dir, texts):
    """Load the SavedModel where only tensorflow and tensorflow_text are imported and
    translate `texts` in one batch and in batches of one."""
    script = textwrap.dedent(
        f"""
        import json, sys
        import tensorflow as tf, tensorflow_text
        serve = tf.saved_model.load({str(export_dir)!r}).signatures["serving_default"]
        texts = {texts!r}
        results = []
        for size in (len(texts), 1):
            out = []
            for start in range(0, len(texts), size):
                result = serve(text=tf.constant(texts[start:start + size]))
                assert result["translation"].dtype == tf.string
                out += [x.decode() for x in result["translation"].numpy()]
            results.append(out)
        assert not any(m.startswith("seqzoo") for m in sys.modules)
        print(json.dumps(results))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_translation_help_answers_without_importing_tensorflow():
    script = textwrap.dedent(
        """
        import contextlib, io, sys
        from seqzoo.tasks.cli import main
        for words in (["train", "translation"], ["translate"], ["evaluate"]):
            with contextlib.redirect_stdout(io.StringIO()) as out:
                try:
                    main(words + ["--help"])
                except SystemExit as stop:
                    assert stop.code == 0, words
            assert "usage: seqzoo" in out.getvalue(), words
        heavy = [m for m in ("tensorflow", "keras", "sklearn", "babel") if m in sys.modules]
        assert not heavy, heavy
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
