"""The sentiment template from Python: learning, persistence and labels."""

from __future__ import annotations

import numpy as np
import pytest

from seqzoo.data.errors import DataError
from seqzoo.data.readers import LabelledTexts
from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.sentiment.architectures import SENTIMENT_ARCHITECTURES
from seqzoo.tasks.sentiment.task import SentimentTask, sorted_label_names

from tests.tasks.helpers import toy_reviews

REQUIRED = {"rnn", "irnn", "lstm", "gru", "bilstm", "bigru", "stacked-lstm", "transformer"}


def _data(count, seed, source="toy"):
    rows = toy_reviews(count, seed=seed)
    return LabelledTexts([t for t, _ in rows], [l for _, l in rows], source=source)


def _small(arch, **overrides):
    values = dict(arch=arch, units=16, embedding_dim=16, num_heads=2, epochs=20, patience=20,
                  learning_rate=0.01, batch_size=16, dropout=0.0)
    values.update(overrides)
    return SentimentConfig(**values)


def test_the_required_architectures_are_offered():
    assert REQUIRED <= set(SENTIMENT_ARCHITECTURES)


def test_integer_labels_sort_numerically():
    assert sorted_label_names(["10", "2", "1", "2"]) == ["1", "2", "10"]
    assert sorted_label_names(["pos", "neg"]) == ["neg", "pos"]


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["rnn", "bilstm", "transformer"])
def test_a_keyword_task_is_learned_and_survives_save_and_load(arch, tmp_path):
    train, valid, test = _data(200, 1), _data(40, 2), _data(60, 3)
    task = SentimentTask.build(_small(arch), train)
    task.fit(train, valid, verbose=0)
    metrics = task.evaluate(test)
    assert metrics["accuracy"] >= 0.9, metrics

    task.save(tmp_path / "run")
    loaded = SentimentTask.load(tmp_path / "run")
    assert loaded.label_names == ["neg", "pos"]
    np.testing.assert_allclose(
        loaded.predict_probabilities(test.texts), task.predict_probabilities(test.texts), atol=1e-6
    )


def test_labels_unseen_in_training_are_an_error_naming_them():
    train = _data(20, 1)
    task = SentimentTask.build(_small("gru"), train)
    other = LabelledTexts(["fine"], ["neutral"], source="test.csv")
    with pytest.raises(DataError, match="test.csv.*'neutral'"):
        task.evaluate(other)


def test_three_classes_work(tmp_path):
    texts = [f"{word} film" for word in ("good", "bad", "meh") for _ in range(10)]
    labels = [label for label in ("pos", "neg", "mid") for _ in range(10)]
    data = LabelledTexts(texts, labels, source="three")
    task = SentimentTask.build(_small("gru", epochs=1), data)
    task.fit(data, data, verbose=0)
    probabilities = task.predict_probabilities(["good film", "meh"])
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_word_vectors_initialise_the_embedding_and_report_coverage(tmp_path):
    vectors = tmp_path / "glove.txt"
    vectors.write_text("great 0.5 0.25 -1.0\nawful -0.5 0.75 2.0\nunrelated 1 1 1\n", encoding="utf-8")
    train = _data(20, 1)
    task = SentimentTask.build(_small("lstm", word_vectors=str(vectors), freeze_embeddings=True), train)
    assert task.config.embedding_dim == 3
    assert task.word_vector_coverage.found == 2
    matrix = task.model.encoder.embedding.embeddings.numpy()
    vocabulary = task.preprocessor.vocabulary
    np.testing.assert_allclose(matrix[vocabulary.id_of("great")], [0.5, 0.25, -1.0])
    np.testing.assert_allclose(matrix[vocabulary.id_of("awful")], [-0.5, 0.75, 2.0])
    assert not task.model.encoder.embedding.trainable


def test_a_separate_validation_file_leaves_the_test_split_to_the_training_file(tmp_path):
    from seqzoo.tasks.sentiment.jobs import load_splits

    from tests.tasks.helpers import write_csv

    train = write_csv(tmp_path / "train.csv", toy_reviews(100, seed=1))
    valid = write_csv(tmp_path / "valid.csv", toy_reviews(10, seed=2))
    splits = load_splits(SentimentConfig(data=str(train), valid=str(valid), test_fraction=0.2))
    assert len(splits["valid"].texts) == 10
    assert len(splits["test"].texts) == 20 and len(splits["train"].texts) == 80
