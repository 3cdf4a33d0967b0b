"""Fine-tuning: vocabulary policies, new labels, freezing, the source run left alone, and a
shifted toy distribution learned while the extended model first predicts as before."""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from seqzoo.tasks.cli import main
from seqzoo.tasks.config import SentimentConfig
from seqzoo.tasks.errors import UsageError
from seqzoo.tasks.finetune import finetune, load_source
from seqzoo.tasks.sentiment import SentimentTask
from seqzoo.tasks.sentiment_job import train_run

from .conftest import toy_reviews, write_csv

NEW_FILLER = "la una pelicula historia fue es y esto con de".split()


def shifted_reviews(count: int, seed: int = 1, positive="superb", negative="dreadful", labels=("pos", "neg")):
    """Reviews in words the source run never saw; the label follows a new keyword."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = labels[i % len(labels)]
        words = rng.choices(NEW_FILLER, k=rng.randint(2, 8))
        keyword = {labels[0]: positive, labels[1]: negative}.get(label, label + "word")
        words.insert(rng.randint(0, len(words)), keyword)
        rows.append((" ".join(words), label))
    return rows


def tiny(**overrides) -> SentimentConfig:
    values = dict(arch="gru", units=16, embedding_dim=16, epochs=12, batch_size=16, learning_rate=0.02,
                  patience=12, dropout=0.0, seed=0)
    values.update(overrides)
    return SentimentConfig(**values)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


@pytest.fixture(scope="module")
def source_run(tmp_path_factory):
    """A GRU classifier trained on the "great"/"awful" reviews, and the new data files."""
    folder = tmp_path_factory.mktemp("finetune")
    old = write_csv(folder / "old.csv", toy_reviews(200))
    new = write_csv(folder / "new.csv", shifted_reviews(200))
    run = folder / "source"
    train_run(tiny(data=str(old)), run, verbose=0)
    return folder, run, old, new


def accuracy(task, rows) -> float:
    predictions = task.predict([text for text, _ in rows])
    return float(np.mean([p["label"] == label for p, (_, label) in zip(predictions, rows)]))


def test_extend_keeps_old_predictions_then_learns_the_shifted_data(source_run, capsys):
    folder, run, old, new = source_run
    before_hashes = tree_hashes(run)
    source = SentimentTask.load(run)
    old_rows, new_rows = toy_reviews(60, seed=5), shifted_reviews(60, seed=6)
    task, metrics = finetune(run, folder / "extended", data=str(new), vocab="extend", epochs=8,
                             learning_rate=0.01, verbose=0)
    printed = capsys.readouterr().out
    assert "vocabulary (extend)" in printed and "superb" in printed and "learning rate 0.01 (given)" in printed
    assert tree_hashes(run) == before_hashes  # the source run is only read
    old_size = source.preprocessor.vocabulary_size
    assert task.preprocessor.vocabulary.tokens[:old_size] == source.preprocessor.vocabulary.tokens
    assert {"superb", "dreadful"} <= set(task.preprocessor.vocabulary.tokens[old_size:])
    # The shifted data is learned: the source model sees [UNK] where the keyword is.
    assert accuracy(source, new_rows) <= 0.7
    assert accuracy(task, new_rows) >= 0.95
    assert metrics["before_finetuning"]["accuracy"] < metrics["accuracy"]
    # The fine-tuned run reads like any run.
    reloaded = SentimentTask.load(folder / "extended")
    assert accuracy(reloaded, new_rows) == accuracy(task, new_rows)


def test_the_extended_model_gives_the_old_logits_before_training(source_run):
    folder, run, old, new = source_run
    source = SentimentTask.load(run)
    # No epochs is not allowed, so build the extended task as finetune does and compare.
    from seqzoo.tasks.finetune_vocabulary import apply_policy
    from seqzoo.tasks.weight_transfer import VocabularyResize, transfer

    texts = [text for text, _ in shifted_reviews(100)]
    preprocessor, mapping, report = apply_policy("text", source.preprocessor, texts, "extend")
    assert report.new_size > report.old_size
    model = transfer(source.model, [VocabularyResize(("encoder",), mapping)])
    extended = SentimentTask(source.config, preprocessor, model, source.label_names)
    old_texts = [text for text, _ in toy_reviews(40, seed=9)]
    np.testing.assert_array_equal(extended.predict_probabilities(old_texts), source.predict_probabilities(old_texts))
    old_rows = source.model.get_weights()[0]
    np.testing.assert_array_equal(model.get_weights()[0][: len(old_rows)], old_rows)
