"""Fine-tuning the generating tasks (language model, translation, captioning): the run is
made, and before training the extended model gives the old tokens' logits unchanged."""

from __future__ import annotations

import csv
import random
import shutil

import numpy as np
import pytest

from seqzoo.data.builtin_digit_captions import load_digit_strings
from seqzoo.tasks.captioning.task import CaptioningTask
from seqzoo.tasks.captioning.config import CaptioningConfig
from seqzoo.tasks.finetune.transfer import plan_finetuning, run_plan
from seqzoo.tasks.language_model.task import LanguageModelTask
from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.translation.task import TranslationTask
from seqzoo.tasks.translation.config import TranslationConfig

from tests.tasks.helpers import tree_hashes
from tests.tasks.helpers import reversal_pairs


def old_token_logits_agree(old_logits, new_logits):
    """Logits of the old tokens equal (to float32 rounding of a wider matrix product);
    the new tokens only add columns."""
    old_logits, new_logits = np.asarray(old_logits), np.asarray(new_logits)
    assert new_logits.shape[-1] > old_logits.shape[-1]
    np.testing.assert_allclose(new_logits[..., : old_logits.shape[-1]], old_logits, rtol=1e-5, atol=1e-5)
    assert np.array_equal(new_logits[..., : old_logits.shape[-1]].argmax(-1), old_logits.argmax(-1))


def sentences(words, count, seed):
    rng = random.Random(seed)
    return "".join(" ".join(rng.choices(words, k=rng.randint(3, 8))) + " .\n" for _ in range(count))


def test_language_model_extend_keeps_old_logits_then_learns_new_words(tmp_path):
    old_words, new_words = "the cat sat on a mat and".split(), "el gato duerme en una casa y".split()
    config = LanguageModelConfig(arch="lstm", level="word", units=16, embedding_dim=8, window=8, batch_size=8,
                                 epochs=1, learning_rate=0.01, seed=0)
    task = LanguageModelTask.build(config, sentences(old_words, 60, 0))
    task.fit(sentences(old_words, 60, 0), sentences(old_words, 10, 1), verbose=0)
    task.save(tmp_path / "source")
    (tmp_path / "new.txt").write_text(sentences(old_words + new_words, 200, 2), encoding="utf-8")

    plan = plan_finetuning(tmp_path / "source", tmp_path / "out", data=str(tmp_path / "new.txt"), vocab="extend",
                           epochs=2, learning_rate=0.01)
    ids = task.encode(sentences(old_words, 2, 3))[None, :20]
    old_token_logits_agree(task.model(ids), plan.task.model(ids))
    # The same from the bare model file and its vocabulary folder.
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("model.keras", "vocabulary.txt", "preprocessor.json", "config.json"):
        shutil.copy(tmp_path / "source" / name, bare / name)
    from_file = plan_finetuning(bare / "model.keras", tmp_path / "out2", data=str(tmp_path / "new.txt"),
                                vocabulary=str(bare), vocab="extend")
    np.testing.assert_array_equal(np.asarray(from_file.task.model(ids)), np.asarray(plan.task.model(ids)))
    before_hashes = tree_hashes(tmp_path / "source")
    fine, metrics = run_plan(plan, verbose=0)
    assert tree_hashes(tmp_path / "source") == before_hashes  # the source run is only read
    assert metrics["loss"] < metrics["before_finetuning"]["loss"]
    assert set(new_words) <= set(fine.preprocessor.vocabulary.tokens)
    assert LanguageModelTask.load(tmp_path / "out").preprocessor.vocabulary == fine.preprocessor.vocabulary


def letter_pairs(letters, count, seed):
    """Letter sequences and their reversal in capitals, as `reversal_pairs` with other letters."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        words = rng.choices(letters, k=rng.randint(3, 7))
        rows.append((" ".join(words), " ".join(w.upper() for w in reversed(words))))
    return rows


@pytest.mark.slow
def test_translation_extend_of_both_languages_keeps_old_logits(tmp_path):
    config = TranslationConfig(arch="luong", units=16, embedding_dim=16, dropout=0.0, batch_size=32, max_length=12,
                               label_smoothing=0.0, learning_rate=0.01, epochs=1, beam_size=1, seed=0)
    source_data = reversal_pairs(64)
    task = TranslationTask.build(config, source_data)
    task.fit(source_data, reversal_pairs(16, seed=1), verbose=0)
    task.save(tmp_path / "source")
    with open(tmp_path / "legal.tsv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter="\t")
        writer.writerow(["de", "en"])
        writer.writerows(letter_pairs("a b c d e f g h i j k l".split(), 120, 2))

    plan = plan_finetuning(tmp_path / "source", tmp_path / "out", data=str(tmp_path / "legal.tsv"),
                           source_column="de", target_column="en", vocab="extend", epochs=1, evaluate_before=False)
    assert {"i", "j"} <= set(plan.task.source_preprocessor.vocabulary.tokens)
    assert {"I", "J"} <= {t.upper() for t in plan.task.target_preprocessor.vocabulary.tokens}
    batch = next(iter(task.dataset(reversal_pairs(8, seed=3))))[0]
    old_token_logits_agree(task.model(batch), plan.task.model(batch))
    fine, metrics = run_plan(plan, verbose=0)
    assert "bleu" in metrics and (tmp_path / "out" / "target" / "vocabulary.txt").is_file()
    assert TranslationTask.load(tmp_path / "out").config.source_column == "de"


FRENCH = dict(zero="zéro", one="un", two="deux", three="trois", four="quatre", five="cinq", six="six",
              seven="sept", eight="huit", nine="neuf")


def test_captioning_extend_keeps_old_logits_and_freezes_the_image_side(tmp_path):
    tiny = dict(image_size="24x84", cnn_filters="8,16", units=16, embedding_dim=16, num_layers=1, batch_size=32,
                dropout=0.0, beam_size=1, arch="show-attend-tell", learning_rate=0.01, epochs=1, seed=0)
    data = load_digit_strings(seed=0, size=60)
    data.captions = [captions[:1] for captions in data.captions]
    task = CaptioningTask.build(CaptioningConfig(**tiny), data.subset(range(40)))
    task.fit(data.subset(range(40)), data.subset(range(40, 50)), verbose=0)
    task.save(tmp_path / "source")
    # The same images captioned in French: words the decoder never saw.
    images = tmp_path / "images"
    images.mkdir()
    with open(tmp_path / "french.csv", "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["image", "caption"])
        for index, (contents, captions) in enumerate(zip(data.contents, data.captions)):
            (images / f"{index}.png").write_bytes(contents)
            writer.writerow([f"{index}.png", " ".join(FRENCH.get(w, w) for w in captions[0].split())])

    plan = plan_finetuning(tmp_path / "source", tmp_path / "out", data=str(tmp_path / "french.csv"),
                           images=str(images), vocab="extend", freeze="encoder", epochs=1, evaluate_before=False)
    assert "quatre" in plan.task.preprocessor.vocabulary.tokens
    batch = next(iter(task.dataset(data.subset(range(8)))))[0]
    old_token_logits_agree(task.model(batch), plan.task.model(batch))
    image_side = [w.numpy().copy() for w in plan.task.model.encoder.weights]
    fine, metrics = run_plan(plan, verbose=0)
    for before, after in zip(image_side, fine.model.encoder.weights):
        np.testing.assert_array_equal(before, after.numpy())
    assert CaptioningTask.load(tmp_path / "out").preprocessor.vocabulary_size == fine.preprocessor.vocabulary_size
