"""`seqzoo embeddings`: cosine neighbours and 2-D maps of a run's learned embedding."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqzoo.data.readers import LabelledTexts
from seqzoo.tasks.cli import main
from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.diagnose.embedding_map import nearest_neighbours, project_2d
from seqzoo.tasks.sentiment.task import SentimentTask

WORDS = ["good", "great", "fine", "bad", "awful", "poor", "film", "movie", "plot"]
TEXTS = [f"{a} {b}" for a in WORDS for b in WORDS]  # every word equally frequent


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A sentiment run whose vectors put good/great/fine, bad/awful/poor and film/movie/plot
    in three tight groups, and a one-hot run."""
    root = tmp_path_factory.mktemp("embedding_runs")
    data = LabelledTexts(TEXTS, ["p", "n"] * (len(TEXTS) // 2) + ["p"] * (len(TEXTS) % 2), "toy")
    task = SentimentTask.build(SentimentConfig(arch="gru", units=4, embedding_dim=3), data)
    vocabulary = task.preprocessor.vocabulary
    matrix = np.random.RandomState(0).normal(scale=0.01, size=(len(vocabulary), 3))
    groups = {"good": 0, "great": 0, "fine": 0, "bad": 1, "awful": 1, "poor": 1, "film": 2, "movie": 2, "plot": 2}
    for word, group in groups.items():
        matrix[vocabulary.id_of(word), group] += 1.0 + 0.1 * vocabulary.id_of(word)
    matrix[vocabulary.id_of("great")] += [0.0, 0.0, 0.05]  # great is good's nearest, fine second
    task.model.encoder.embedding.load_vectors(matrix.astype("float32"))
    task.save(root / "learned")
    SentimentTask.build(SentimentConfig(arch="gru", units=4, embedding="one-hot"), data).save(root / "onehot")
    return root


def test_neighbours_are_ranked_by_cosine_similarity():
    tokens = ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b", "c", "d"]
    matrix = np.array([[9, 9]] * 4 + [[1, 0], [10, 1], [0, 1], [-1, 0]], float)
    found = nearest_neighbours(matrix, tokens, "a", k=3)
    assert [n.token for n in found] == ["b", "c", "d"]  # reserved rows never appear
    assert found[0].similarity == pytest.approx(10 / np.sqrt(101))
    assert found[2].similarity == pytest.approx(-1.0)


def test_embeddings_command_lists_neighbours_and_draws_both_maps(runs, tmp_path, capsys):
    run = str(runs / "learned")
    assert main(["embeddings", run, "--words", "good,bad,film", "--top-k", "2", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert {n["token"] for n in found["good"]} == {"great", "fine"}
    assert {n["token"] for n in found["bad"]} == {"awful", "poor"}
    assert {n["token"] for n in found["film"]} == {"movie", "plot"}
    for method in ("pca", "tsne"):
        png = tmp_path / f"{method}.png"
        assert main(["embeddings", run, "--words", "good", "--plot", str(png), "--method", method,
                     "--frequent", "20"]) == 0
        assert png.stat().st_size > 0
        assert f"({len(WORDS)} tokens, {method})" in capsys.readouterr().out  # 9 words, no reserved ids


def test_unknown_words_and_one_hot_runs_are_clear_errors(runs, capsys):
    assert main(["embeddings", str(runs / "learned"), "--words", "good,goood,zebra"]) == 2
    error = capsys.readouterr().err
    assert "'goood' (close: good" in error and "'zebra'" in error
    assert "'good';" not in error and "'good' (" not in error  # the known word is not listed
    assert main(["embeddings", str(runs / "onehot"), "--words", "good"]) == 2
    assert "one-hot" in capsys.readouterr().err


def test_pca_keeps_groups_apart():
    rng = np.random.RandomState(0)
    vectors = np.concatenate([rng.normal(0, 0.1, (10, 6)) + 5, rng.normal(0, 0.1, (10, 6)) - 5])
    points = project_2d(vectors, "pca")
    assert np.sign(points[:10, 0]).tolist() == [np.sign(points[0, 0])] * 10
    assert np.sign(points[10:, 0]).tolist() == [-np.sign(points[0, 0])] * 10


def test_docstring_examples_run():
    import doctest

    from seqzoo.tasks.diagnose import embedding_map
    assert doctest.testmod(embedding_map).failed == 0
