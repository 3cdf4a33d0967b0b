"""What a model was built with is recorded in its run and checked on load: a vocabulary or
label file changed after training is one clear sentence, never a silently wrong prediction."""

from __future__ import annotations

import json

import pytest

from seqzoo.data.readers import LabelledTexts
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.sentiment.task import SentimentTask
from seqzoo.tasks.translation.config import TranslationConfig
from seqzoo.tasks.translation.task import TranslationTask
from tests.tasks.helpers import reversal_pairs, toy_reviews


@pytest.fixture
def run(tmp_path):
    texts, labels = zip(*toy_reviews(40))
    data = LabelledTexts(list(texts), list(labels), source="toy")
    task = SentimentTask.build(SentimentConfig(arch="gru", units=4, embedding_dim=4), data)
    task.save(tmp_path / "run")
    return tmp_path / "run"


def _drop_last_line(path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


def test_the_run_records_what_its_model_reads(run):
    recorded = json.loads((run / "run.json").read_text())["model_inputs"]
    assert set(recorded) == {"vocabulary.txt", "preprocessor.json", "labels.txt"}
    assert all(len(entry["sha256"]) == 64 and entry["bytes"] > 0 for entry in recorded.values())
    assert SentimentTask.load(run, require_finished=False).label_names == ["neg", "pos"]


def test_a_vocabulary_cut_short_is_refused_in_one_sentence(run):
    _drop_last_line(run / "vocabulary.txt")
    with pytest.raises(UsageError, match=r"vocabulary.txt changed after training .*restore the file or train again"):
        SentimentTask.load(run, require_finished=False)


def test_a_vocabulary_cut_short_in_a_run_without_checksums_is_refused_by_its_size(run):
    info = json.loads((run / "run.json").read_text())
    del info["model_inputs"]  # as in a run made before they were recorded
    (run / "run.json").write_text(json.dumps(info))
    _drop_last_line(run / "vocabulary.txt")
    with pytest.raises(UsageError, match=r"the vocabulary holds \d+ tokens but the model's encoder reads \d+"):
        SentimentTask.load(run, require_finished=False)


def test_labels_that_do_not_match_the_outputs_are_refused(run):
    info = json.loads((run / "run.json").read_text())
    del info["model_inputs"]
    (run / "run.json").write_text(json.dumps(info))
    (run / "labels.txt").write_text("neg\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"labels.txt names 1 labels but the model has 2 outputs"):
        SentimentTask.load(run, require_finished=False)
    (run / "labels.txt").unlink()
    with pytest.raises(UsageError, match=r"labels.txt: no such file"):
        SentimentTask.load(run, require_finished=False)


def test_both_vocabularies_of_a_translation_run_are_checked(tmp_path):
    task = TranslationTask.build(TranslationConfig(arch="seq2seq", units=4, embedding_dim=4), reversal_pairs(32))
    task.save(tmp_path / "run")
    assert {"source/vocabulary.txt", "target/vocabulary.txt"} <= set(
        json.loads((tmp_path / "run" / "run.json").read_text())["model_inputs"])
    _drop_last_line(tmp_path / "run" / "target" / "vocabulary.txt")
    with pytest.raises(UsageError, match=r"target/vocabulary.txt changed after training"):
        TranslationTask.load(tmp_path / "run", require_finished=False)
