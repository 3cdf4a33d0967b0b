"""The translation template: reordering is learned, decoding loops agree with references."""

from __future__ import annotations


import numpy as np
import pytest
import tensorflow as tf

from seqzoo.data.vocabulary import END_ID, START_ID
from seqzoo.tasks.translation.task import TranslationTask, decode_ids
from seqzoo.tasks.translation.config import TranslationConfig
from tests.tasks.helpers import reversal_pairs

def tiny_task(arch="bahdanau", **overrides) -> TranslationTask:
    options = dict(arch=arch, units=16, embedding_dim=16, num_heads=2, dropout=0.0, batch_size=32,
                   max_length=12, label_smoothing=0.0, learning_rate=0.01, seed=0)
    options.update(overrides)
    return TranslationTask.build(TranslationConfig(**options), reversal_pairs(64))


@pytest.mark.slow
@pytest.mark.parametrize("arch,epochs,learning_rate", [
    ("bahdanau", 12, 0.01), ("luong", 12, 0.01), ("transformer", 12, 0.003),
])
def test_attention_models_learn_to_reverse(arch, epochs, learning_rate):
    train, valid = reversal_pairs(1000, seed=1), reversal_pairs(100, seed=2)
    task = tiny_task(arch, units=32, embedding_dim=32, patience=epochs, learning_rate=learning_rate)
    task.fit(train, valid, epochs=epochs, verbose=0)
    metrics = task.evaluate(reversal_pairs(100, seed=3), beam_size=3)
    assert metrics["exact_match"] >= 0.8, metrics
    # The attention of the first output token falls on the last source token.
    result = task.translate(["a b c d e"], beam_size=1, return_attention=True)[0]
    if arch != "transformer":  # a Transformer's last-block average need not be this sharp
        assert int(np.argmax(result["attention"][0])) == 4, result


@pytest.mark.parametrize("arch", ["seq2seq", "bahdanau", "transformer"])
def test_beam_size_one_equals_greedy(arch):
    task = tiny_task(arch)
    texts = reversal_pairs(6, seed=5).sources
    greedy = task.translate(texts, greedy=True)
    beam = task.translate(texts, beam_size=1)
    assert [r["translation"] for r in greedy] == [r["translation"] for r in beam]


@pytest.mark.parametrize("arch", ["luong", "transformer"])
def test_compiled_decoder_equals_a_step_by_step_reference(arch):
    task = tiny_task(arch)
    source_ids = task.encode_sources(reversal_pairs(3, seed=6).sources).to_tensor()
    source_ids = tf.cast(source_ids, tf.int32)
    compiled, _, attention = decode_ids(task.model, source_ids, 8, greedy=True, return_attention=True)
    # Reference: one eager model call per token, in a Python loop.
    state = task.model.encode(source_ids, 8)
    token = tf.fill([3], START_ID)
    done = np.zeros(3, bool)
    expected, weights = [], []
    for _ in range(8):
        logits, state, step_weights = task.model.step(token, state, return_attention=True)
        token = tf.argmax(logits, -1, output_type=tf.int32)
        expected.append(np.where(done, 0, token.numpy()))
        weights.append(np.where(done[:, None], 0.0, step_weights.numpy()))
        done |= token.numpy() == END_ID
    np.testing.assert_array_equal(compiled.numpy()[:, 0], np.stack(expected, 1))
    np.testing.assert_allclose(attention.numpy()[:, 0], np.stack(weights, 1), atol=1e-5)


def test_a_sentence_translates_the_same_alone_and_in_a_padded_batch():
    task = tiny_task("bahdanau")
    texts = ["a b", "a b c d e f g h a b", "c"]
    together = [r["translation"] for r in task.translate(texts, beam_size=3)]
    alone = [task.translate([text], beam_size=3)[0]["translation"] for text in texts]
    assert together == alone


def test_n_best_and_attention_arrays():
    task = tiny_task("bahdanau")
    result = task.translate(["a b c"], beam_size=3, n_best=3, return_attention=True)[0]
    assert len(result["translations"]) == 3
    scores = [score for _, score in result["translations"]]
    assert scores == sorted(scores, reverse=True)
    attention = result["attention"]
    assert attention.shape == (len(result["output_tokens"]), 3)
    np.testing.assert_allclose(attention.sum(axis=1), 1.0, atol=1e-5)


def test_shared_subword_vocabulary_is_one_preprocessor():
    task = tiny_task("luong", level="subword", shared_vocabulary=True)
    assert task.source_preprocessor is task.target_preprocessor
    assert task.translate(["a b"], beam_size=2)[0]["translation"] is not None


@pytest.mark.slow
def test_docstring_examples_run():
    import doctest

    from seqzoo.tasks.common import sequence_loss
    from seqzoo.tasks.translation import attention_plots
    from seqzoo.tasks.translation import config as translation_config
    from seqzoo.tasks.translation import metrics as translation_metrics
    from seqzoo.tasks.translation import task as translation

    for module in (translation, translation_config, translation_metrics, attention_plots, sequence_loss):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_transformer_attention_per_head(tmp_path):
    from seqzoo.tasks.translation.attention_plots import plot_attention_heads

    task = tiny_task("transformer")
    averaged = task.translate(["a b c"], beam_size=2, return_attention=True)[0]
    heads = task.translate(["a b c"], beam_size=2, return_attention=True, per_head=True)[0]
    assert heads["attention"].shape == (2,) + averaged["attention"].shape
    np.testing.assert_allclose(heads["attention"].mean(axis=0), averaged["attention"], atol=1e-6)
    plot_attention_heads(heads["attention"], heads["source_tokens"], heads["output_tokens"], tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 0
