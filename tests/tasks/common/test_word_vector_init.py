"""Pretrained word vectors in every template: the language model's input embedding, the
translator's source and target embeddings, the captioner's word embedding; coverage
printed; a width that differs from the embedding's is refused naming the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqzoo.data.parallel import ParallelTexts
from seqzoo.tasks.cli import main
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.language_model.task import LanguageModelTask
from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.common.model_card import read_model_card
from seqzoo.tasks.translation.task import TranslationTask
from seqzoo.tasks.translation.config import TranslationConfig

CORPUS = "the cat sat on the mat .\nthe dog sat on the log .\n" * 20


def write_vectors(path, words, dim, header=False):
    """One vector per word; the vector of the i-th word is i + 1 in every place (exact in float32)."""
    lines = [f"{len(words)} {dim}"] if header else []
    lines += [word + " " + " ".join([str(i + 1)] * dim) for i, word in enumerate(words)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows(embedding, vocabulary, words):
    return {w: embedding.embeddings.numpy()[vocabulary.tokens.index(w)].tolist() for w in words}


def test_language_model_input_embedding_starts_from_the_vectors_and_can_stay_frozen(tmp_path):
    vectors = write_vectors(tmp_path / "glove.txt", ["cat", "dog", "Mat", "zebra"], 4)
    config = LanguageModelConfig(arch="gru", level="word", units=8, embedding_dim=4, window=6, batch_size=2,
                                 word_vectors=str(vectors), freeze_embeddings=True)
    task = LanguageModelTask.build(config, CORPUS)
    embedding = task.model.decoder.embedding
    vocabulary = task.preprocessor.vocabulary
    # "mat" takes "Mat"'s vector by case folding; "zebra" is not in the vocabulary.
    assert rows(embedding, vocabulary, ["cat", "dog", "mat"]) == {"cat": [1.0] * 4, "dog": [2.0] * 4,
                                                                  "mat": [3.0] * 4}
    coverage = task.word_vector_coverage
    assert coverage.found == 3 and coverage.missing == len(vocabulary.tokens) - 4 - 3
    before = embedding.embeddings.numpy().copy()
    task.fit(CORPUS, CORPUS, epochs=1, verbose=0)
    np.testing.assert_array_equal(embedding.embeddings.numpy(), before)
    # Still frozen when the run is loaded again (to train on, or fine-tune).
    task.save(tmp_path / "run")
    loaded = LanguageModelTask.load(tmp_path / "run")
    assert not loaded.model.decoder.embedding.trainable
    np.testing.assert_array_equal(loaded.model.decoder.embedding.embeddings.numpy(), before)


def test_translation_initialises_source_and_target_embeddings_from_their_own_files(tmp_path):
    pairs = ParallelTexts(["the cat", "a dog"] * 4, ["die katze", "ein hund"] * 4, "toy")
    source = write_vectors(tmp_path / "en.vec", ["cat", "dog"], 6, header=True)
    target = write_vectors(tmp_path / "de.vec", ["hund"], 6)
    config = TranslationConfig(arch="transformer", units=8, embedding_dim=6, num_heads=2,
                               source_word_vectors=str(source), target_word_vectors=str(target))
    task = TranslationTask.build(config, pairs)
    assert rows(task.model.encoder.embedding, task.source_preprocessor.vocabulary, ["cat", "dog"]) == {
        "cat": [1.0] * 6, "dog": [2.0] * 6}
    assert rows(task.model.decoder.embedding, task.target_preprocessor.vocabulary, ["hund"]) == {"hund": [1.0] * 6}
    assert task.word_vector_coverage["source"].found == 2 and task.word_vector_coverage["target"].found == 1
    assert task.model.encoder.embedding.trainable and task.model.decoder.embedding.trainable


def test_captioning_decoder_word_embedding_starts_from_the_vectors(tmp_path):
    from seqzoo.data.builtin_digit_captions import load_digit_strings
    from seqzoo.tasks.captioning.task import CaptioningTask
    from seqzoo.tasks.captioning.config import CaptioningConfig

    vectors = write_vectors(tmp_path / "vectors.txt", ["one", "two", "three"], 8)
    config = CaptioningConfig(arch="transformer", units=8, embedding_dim=8, num_layers=1, num_heads=2,
                              cnn_filters="4", image_size="16x48", word_vectors=str(vectors),
                              freeze_embeddings=True)
    task = CaptioningTask.build(config, load_digit_strings(size=30))
    embedding = task.model.decoder.embedding
    assert rows(embedding, task.preprocessor.vocabulary, ["one", "three"]) == {"one": [1.0] * 8, "three": [3.0] * 8}
    assert not embedding.trainable
    assert not any(w is embedding.embeddings for w in task.model.trainable_weights)


def test_vectors_of_another_width_are_refused_naming_the_file_and_the_flag(tmp_path):
    vectors = write_vectors(tmp_path / "wide.txt", ["cat", "katze"], 5)
    config = LanguageModelConfig(arch="gru", level="word", units=8, embedding_dim=4, word_vectors=str(vectors))
    with pytest.raises(UsageError, match=r"wide\.txt holds 5-dimensional vectors but the embedding is 4 wide; "
                                         r"pass --embedding-dim 5 with --word-vectors"):
        LanguageModelTask.build(config, CORPUS)
    pairs = ParallelTexts(["the cat"] * 4, ["die katze"] * 4, "toy")
    with pytest.raises(UsageError, match="--target-word-vectors"):
        TranslationTask.build(TranslationConfig(arch="luong", units=4, embedding_dim=4,
                                                target_word_vectors=str(vectors)), pairs)


def test_train_prints_the_coverage(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS * 3, encoding="utf-8")
    vectors = write_vectors(tmp_path / "vectors.txt", ["cat", "dog", "sat"], 4)
    assert main(["train", "language-model", "--data", str(corpus), "--level", "word", "--arch", "gru",
                 "--units", "8", "--embedding-dim", "4", "--window", "8", "--batch-size", "4", "--epochs", "1",
                 "--word-vectors", str(vectors), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"word vectors {vectors}: 3 of " in out and "have a pretrained vector" in out
    # Kept in metrics.json, and so in the model card of the export.
    words = len((tmp_path / "run" / "vocabulary.txt").read_text(encoding="utf-8").splitlines()) - 4
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["word_vector_coverage"] == round(3 / words, 4)
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "exported")]) == 0
    card = read_model_card(tmp_path / "exported" / "1")
    assert card["metrics"]["word_vector_coverage"] == metrics["word_vector_coverage"]
    assert card["training_config"]["word_vectors"] == str(vectors)


def test_doctests_of_the_helper_run():
    import doctest

    from seqzoo.tasks.common import word_vector_init
    result = doctest.testmod(word_vector_init, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
