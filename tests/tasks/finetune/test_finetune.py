"""Fine-tuning: vocabulary policies, new labels, freezing, the source run left alone, and a
shifted toy distribution learned while the extended model first predicts as before."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

from seqzoo.tasks.cli import main
from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.finetune.transfer import finetune, plan_finetuning, run_plan
from seqzoo.tasks.sentiment.task import SentimentTask
from seqzoo.tasks.sentiment.jobs import train_run

from tests.tasks.helpers import toy_reviews, write_csv
from tests.tasks.helpers import fails as _fails
from tests.tasks.helpers import tree_hashes

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
                             learning_rate=0.01, forgetting="source", verbose=0)
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
    # Forgetting is measured on the source's own test split, by both models.
    assert "forgetting, on the source's test split:" in printed
    forgetting = metrics["forgetting"]
    assert forgetting["source_model"]["accuracy"] >= 0.9
    assert forgetting["fine_tuned"]["examples"] == forgetting["source_model"]["examples"]
    assert json.loads((folder / "extended" / "metrics.json").read_text())["forgetting"] == forgetting
    # The fine-tuned run reads like any run.
    reloaded = SentimentTask.load(folder / "extended")
    assert accuracy(reloaded, new_rows) == accuracy(task, new_rows)


def test_the_extended_model_gives_the_old_logits_before_training(source_run):
    folder, run, old, new = source_run
    plan = plan_finetuning(run, folder / "unused", data=str(new), vocab="extend", min_frequency=1)
    source, extended = plan.source_task, plan.task
    assert extended.preprocessor.vocabulary_size > source.preprocessor.vocabulary_size
    old_texts = [text for text, _ in toy_reviews(40, seed=9)]
    np.testing.assert_array_equal(extended.predict_probabilities(old_texts), source.predict_probabilities(old_texts))
    old_rows = source.model.get_weights()[0]
    np.testing.assert_array_equal(plan.task.model.get_weights()[0][: len(old_rows)], old_rows)
    assert not (folder / "unused").exists()  # planning writes nothing


def test_keep_counts_and_reports_the_out_of_vocabulary_tokens(source_run, capsys):
    folder, run, old, new = source_run
    plan = plan_finetuning(run, folder / "kept", data=str(new))
    report = plan.reports[0]
    assert plan.task.preprocessor is plan.source_task.preprocessor
    assert report.tokens > 0 and report.out_of_vocabulary == report.tokens  # every word is new
    assert set(report.examples) == set(NEW_FILLER) | {"superb", "dreadful"}
    line = report.line()
    assert f"{report.out_of_vocabulary} of {report.tokens} tokens (100.0%)" in line and "e.g." in line


def test_an_unseen_label_under_keep_is_one_line_suggesting_new_labels(source_run, capsys):
    folder, run, old, new = source_run
    topics = write_csv(folder / "topics.csv", shifted_reviews(60, labels=("sport", "music", "pos")))
    _fails(capsys, ["finetune", str(run), "--data", str(topics), "--out", str(folder / "topics-run")],
           "--new-labels", "'music'", "'sport'")
    assert not (folder / "topics-run").exists()


def test_new_labels_get_a_new_head_on_the_frozen_encoder(source_run):
    folder, run, old, new = source_run
    topics = write_csv(folder / "topics3.csv", shifted_reviews(150, labels=("sport", "music", "news")))
    task, metrics = finetune(run, folder / "topics", data=str(topics), new_labels=True, freeze="encoder",
                             vocab="extend", epochs=2, learning_rate=0.02, evaluate_before=False, verbose=0)
    source = SentimentTask.load(run)
    assert task.label_names == ["music", "news", "sport"]
    assert task.model.output_dense.kernel.shape[-1] == 3
    old_size = source.preprocessor.vocabulary_size
    for old_weight, new_weight in zip(source.model.encoder.get_weights(), task.model.encoder.get_weights()):
        if old_weight.shape == new_weight.shape:
            np.testing.assert_array_equal(old_weight, new_weight)  # frozen through training
        else:
            np.testing.assert_array_equal(old_weight, new_weight[:old_size])
    reloaded = SentimentTask.load(folder / "topics")
    assert reloaded.label_names == task.label_names
    assert all(layer.trainable for layer in reloaded.model.encoder._flatten_layers())  # saved unfrozen


def test_a_keras_file_and_its_vocabulary_fine_tune_from_the_command_line(source_run, capsys):
    folder, run, old, new = source_run
    bare = folder / "bare"
    bare.mkdir(exist_ok=True)
    shutil.copy(run / "model.keras", bare / "classifier.keras")
    for name in ("vocabulary.txt", "preprocessor.json", "labels.txt"):
        shutil.copy(run / name, bare / name)
    out = folder / "from-keras"
    code = main(["finetune", str(bare / "classifier.keras"), "--vocabulary", str(bare), "--data", str(new),
                 "--vocab", "extend", "--freeze", "embeddings", "--unfreeze-after", "1", "--epochs", "2",
                 "--no-evaluate-before", "--out", str(out), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "freeze embeddings, all trained after 1 epochs" in printed and "/ 10)" in printed
    assert "no config.json" in printed
    record = json.loads((out / "finetune.json").read_text())
    assert record["vocabularies"]["text"]["added"] >= 2 and record["options"]["vocab"] == "extend"
    assert len((out / "history.csv").read_text().strip().splitlines()) == 3  # header and two epochs
    assert main(["evaluate", str(out), "--json"]) == 0  # the new run reads like any run


def test_the_source_is_never_the_output(source_run, capsys):
    folder, run, old, new = source_run
    _fails(capsys, ["finetune", str(run), "--data", str(new), "--out", str(run), "--overwrite"], "never changes")
    assert (run / "model.keras").is_file()


def test_freezing_the_embeddings_keeps_them_while_the_rest_trains(source_run):
    folder, run, old, new = source_run
    task, _ = finetune(run, folder / "frozen-embeddings", data=str(new), freeze="embeddings", epochs=1,
                       learning_rate=0.01, evaluate_before=False, verbose=0)
    source = SentimentTask.load(run)
    np.testing.assert_array_equal(task.model.encoder.embedding.embeddings.numpy(),
                                  source.model.encoder.embedding.embeddings.numpy())
    assert not np.array_equal(task.model.output_dense.kernel.numpy(), source.model.output_dense.kernel.numpy())


def test_extend_with_a_frozen_encoder_trains_only_the_added_tokens_rows(source_run, capsys):
    """The issue's `--vocab extend --freeze encoder`: the old rows and the recurrent
    weights stay exactly as they were, the new words' rows and the head learn."""
    folder, run, old, new = source_run
    plan = plan_finetuning(run, folder / "extend-frozen-encoder", data=str(new), vocab="extend", freeze="encoder",
                           epochs=2, learning_rate=0.02, evaluate_before=False)
    initial = plan.task.model.encoder.embedding.embeddings.numpy().copy()
    task, _ = run_plan(plan, verbose=0)
    assert "added tokens' embedding rows train" in capsys.readouterr().out
    source = SentimentTask.load(run)
    old_table = source.model.encoder.embedding.embeddings.numpy()
    new_table = task.model.encoder.embedding.embeddings.numpy()
    assert new_table.shape[0] > old_table.shape[0]
    np.testing.assert_array_equal(new_table[: len(old_table)], old_table)
    # The new keywords' rows moved away from their initial values (before this change
    # they stayed there: a frozen variable trains no row).
    keywords = [task.preprocessor.vocabulary.id_of(word) for word in ("superb", "dreadful")]
    assert min(keywords) >= len(old_table)
    assert np.abs(new_table[keywords] - initial[keywords]).max() > 1e-3
    fresh = SentimentTask.load(folder / "extend-frozen-encoder")
    np.testing.assert_array_equal(fresh.model.encoder.embedding.embeddings.numpy(), new_table)
    old_recurrent = [w.numpy() for w in source.model.encoder.recurrent_layers[0].weights]
    for before, after in zip(old_recurrent, task.model.encoder.recurrent_layers[0].weights):
        np.testing.assert_array_equal(after.numpy(), before)
    assert not np.array_equal(task.model.output_dense.kernel.numpy(), source.model.output_dense.kernel.numpy())
    # Training again afterwards reaches every row: the row freezing is not saved.
    assert fresh.model.encoder.embedding._trainable_rows is None


def test_added_tokens_of_a_shared_vocabulary_are_counted_once_and_frozen_sources_reported():
    from types import SimpleNamespace

    from seqzoo.tasks.finetune.task_parts import added_tokens_under_freezing, grown_embeddings, open_grown_embeddings
    from seqzoo.tasks.finetune.weight_transfer import VocabularyResize
    from seqzoo.zoo import TokenEmbedding

    source_side, target_side = TokenEmbedding(6, 2), TokenEmbedding(6, 2)
    for embedding in (source_side, target_side):
        embedding.build()
    model = SimpleNamespace(encoder=source_side, decoder=target_side)
    shared = [VocabularyResize(("encoder", "decoder"), np.array([0, 1, 2, 3, 4, -1]))]
    frozen = [source_side, target_side]  # --freeze embeddings
    opened, rows = open_grown_embeddings(frozen, grown_embeddings(model, shared))
    assert opened == [] and len(rows) == 2
    assert added_tokens_under_freezing(frozen, rows, model, shared) == (1, 0)  # one vocabulary, one token
    target_side.trainable = False  # as a source run that froze it
    opened, rows = open_grown_embeddings(frozen, grown_embeddings(model, shared))
    assert [embedding for embedding, _ in rows] == [source_side] and opened == [target_side]
    assert added_tokens_under_freezing(frozen, rows, model, shared) == (0, 1)
    # A one-hot input's rows are the recurrent kernel's: they train unless the encoder is frozen.
    one_hot = SimpleNamespace(encoder=TokenEmbedding(6, mode="one-hot"))
    resize = [VocabularyResize(("encoder",), np.array([0, 1, 2, 3, 4, -1]))]
    assert added_tokens_under_freezing([], [], one_hot, resize) == (0, 0)
    assert added_tokens_under_freezing([one_hot.encoder], [], one_hot, resize) == (0, 1)


def test_extend_on_a_source_with_frozen_embeddings_says_the_added_rows_stay(source_run, capsys):
    folder, run, old, new = source_run
    frozen_run = folder / "source-frozen-for-extend"
    train_run(tiny(data=str(old), freeze_embeddings=True, epochs=1), frozen_run, verbose=0)
    capsys.readouterr()
    plan = plan_finetuning(frozen_run, folder / "frozen-extended", data=str(new), vocab="extend", freeze="encoder",
                           epochs=1, evaluate_before=False)
    initial = plan.task.model.encoder.embedding.embeddings.numpy().copy()
    task, _ = run_plan(plan, verbose=0)
    printed = capsys.readouterr().out
    assert "rows train" not in printed and "added tokens keep their initial rows" in printed
    np.testing.assert_array_equal(task.model.encoder.embedding.embeddings.numpy(), initial)


def test_what_the_source_froze_stays_frozen(source_run):
    folder, run, old, new = source_run
    frozen_run = folder / "source-frozen-embeddings"
    train_run(tiny(data=str(old), freeze_embeddings=True, epochs=1), frozen_run, verbose=0)
    source = SentimentTask.load(frozen_run)
    # --freeze encoder sets the whole encoder trainable again afterwards, but not its embedding.
    # Under --vocab keep every new word reads as [UNK], whose row would train if it could.
    task, _ = finetune(frozen_run, folder / "still-frozen", data=str(new), freeze="encoder", unfreeze_after=1,
                       epochs=2, learning_rate=0.05, evaluate_before=False, verbose=0)
    old_rows = source.model.encoder.embedding.embeddings.numpy()
    np.testing.assert_array_equal(task.model.encoder.embedding.embeddings.numpy(), old_rows)
    assert not task.model.encoder.embedding.trainable and task.model.encoder.trainable


def test_rebuilt_vocabulary_moves_each_known_row_to_its_new_id():
    from seqzoo.tasks.finetune.weight_transfer import VocabularyResize, transfer
    from seqzoo.zoo import RecurrentEncoder, SequenceClassifier

    model = SequenceClassifier(RecurrentEncoder(10, embedding_dim=4, cell="gru", units=4), num_classes=2)
    old_rows = model.encoder.embedding.embeddings.numpy()
    for mapping in ([0, 1, 2, 3, 9, 8, 7, 6, 5, 4], [0, 1, 2, 3, 7, -1, 5, -1]):  # same size, smaller
        mapping = np.asarray(mapping)
        new = transfer(model, [VocabularyResize(("encoder",), mapping)])
        rows = new.encoder.embedding.embeddings.numpy()
        assert rows.shape == (len(mapping), 4)
        known = mapping >= 0
        np.testing.assert_array_equal(rows[known], old_rows[mapping[known]])
        np.testing.assert_array_equal(new.output_dense.kernel.numpy(), model.output_dense.kernel.numpy())


@pytest.mark.parametrize("module", ["finetune.config", "finetune.vocabulary", "finetune.weight_transfer",
                                    "finetune.task_parts", "common.finetune_parts"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"seqzoo.tasks.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_option_mistakes_are_one_line_errors(source_run, capsys):
    folder, run, old, new = source_run
    out = str(folder / "never")
    _fails(capsys, ["finetune", str(run), "--data", str(new), "--unfreeze-after", "1", "--out", out], "--freeze")
    _fails(capsys, ["finetune", str(run), "--data", str(new), "--source-column", "de", "--out", out],
           "--source-column", "sentiment")
    _fails(capsys, ["finetune", str(run), "--out", out], "--data")
    _fails(capsys, ["finetune", str(run / "model.keras"), "--data", str(new), "--out", out], "--vocabulary")
    assert not (folder / "never").exists()


def test_extend_refuses_a_subword_vocabulary_and_names_the_alternatives():
    from seqzoo.data.text_preprocessor import TextPreprocessor
    from seqzoo.tasks.finetune.vocabulary import apply_policy

    letters = list("abcdefghijklmnopqrstuvwxyz")
    pieces = ["[PAD]", "[UNK]", "[START]", "[END]", "film", "great"] + letters + ["##" + c for c in letters]
    subword = TextPreprocessor(pieces, level="subword")
    with pytest.raises(UsageError, match="--vocab keep, or --vocab rebuild"):
        apply_policy("text", subword, ["superb gripping"], "extend")
    _, _, report = apply_policy("text", subword, ["great films 42"], "keep")
    # Pieces are counted; a word no piece spells ("42") is one [UNK].
    assert (report.tokens, report.out_of_vocabulary) == (4, 1)


@pytest.mark.slow
def test_a_fine_tuned_run_predicts_exports_and_fine_tunes_again(source_run, capsys, tmp_path):
    folder, run, old, new = source_run
    first = folder / "extended"
    if not first.exists():
        finetune(run, first, data=str(new), vocab="extend", epochs=1, evaluate_before=False, verbose=0)
    assert main(["predict", str(first), "una pelicula superb"]) == 0
    assert main(["export", str(first), "--out", str(tmp_path / "export")]) == 0
    assert (tmp_path / "export" / "1" / "saved_model.pb").is_file()
    capsys.readouterr()
    for inspected in (first, tmp_path / "export"):  # the run and its export say where it came from
        assert main(["inspect", str(inspected)]) == 0
        assert f"fine-tuned from: {run.resolve()} (text vocabulary extend:" in capsys.readouterr().out
    assert main(["finetune", str(first), "--data", str(new), "--epochs", "1", "--no-evaluate-before",
                 "--out", str(tmp_path / "again"), "--quiet"]) == 0
    record = json.loads((tmp_path / "again" / "finetune.json").read_text())
    assert record["source"] == str(first.resolve()) and record["vocabularies"]["text"]["out_of_vocabulary"] == 0
