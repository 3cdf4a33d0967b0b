"""The language-model template: learning, evaluation, generation and persistence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tensorflow as tf

from seqzoo.data.language_model_windows import stream_rows
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.language_model.architectures import LANGUAGE_MODEL_ARCHITECTURES
from seqzoo.tasks.language_model.task import LanguageModelTask, get_architecture
from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.common.samplers import sample

PATTERN = "abcdefg\n"
PROSE = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was "
    "the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.\n"
)


def log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def small_config(**overrides) -> LanguageModelConfig:
    values = dict(arch="lstm", units=16, embedding_dim=8, window=12, batch_size=4, epochs=1,
                  context_length=32, num_heads=2)
    values.update(overrides)
    return LanguageModelConfig(**values)


@pytest.fixture(scope="module")
def pattern_task():
    """An LSTM that has learned a repeating pattern of characters."""
    text = PATTERN * 120
    config = small_config(units=24, learning_rate=0.02, batch_size=8, window=16, epochs=12, patience=12)
    task = LanguageModelTask.build(config, text)
    task.fit(text, PATTERN * 20, verbose=0)
    return task


@pytest.fixture(scope="module")
def untrained_tasks():
    """Untrained models (near-uniform predictions, so that seeds matter), one per kind."""
    return {
        arch: LanguageModelTask.build(small_config(arch=arch), PROSE)
        for arch in ("lstm", "transformer")
    }


# ---------------------------------------------------------------------- learning


def test_a_repeating_pattern_is_learned_to_a_perplexity_near_one(pattern_task):
    metrics = pattern_task.evaluate(PATTERN * 30)
    assert metrics["perplexity"] < 1.1, metrics
    assert metrics["bits_per_char"] == pytest.approx(metrics["loss"] / math.log(2))
    assert metrics["tokens"] == len(PATTERN * 30) - 1
    assert pattern_task.generate(["abc"], max_tokens=12, temperature=0.0) == ["defg\nabcdefg"]


def test_evaluation_with_carried_state_equals_one_long_pass(pattern_task):
    text = "abcdefg\nabcdeg\nabdefg\n" * 9  # some surprises, so that the loss is not ~0
    ids = pattern_task.encode(text)
    rows = min(pattern_task.config.batch_size, (len(ids) - 1) // pattern_task.config.window)
    inputs, targets = stream_rows(ids, rows)
    logits, _ = pattern_task.model.decoder(inputs)
    log_probs = log_softmax(np.asarray(logits, np.float64))
    picked = np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
    expected = -picked[targets != 0].mean()
    assert pattern_task.evaluate(text)["loss"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.slow
def test_word_and_subword_levels_train_and_generate_words():
    for level in ("word", "subword"):
        config = small_config(level=level, arch="gru", max_vocabulary=80, window=8)
        task = LanguageModelTask.build(config, PROSE * 3)
        history = task.fit(PROSE * 3, PROSE, epochs=1, verbose=0)
        assert set(history) >= {"loss", "perplexity", "val_loss", "val_perplexity"}
        metrics = task.evaluate(PROSE)
        assert "bits_per_char" not in metrics and metrics["perplexity"] > 1
        text = task.generate(["it was"], max_tokens=6, seed=2)[0]
        assert 1 <= len(text.split()) <= 6


# ---------------------------------------------------------------------- generation


def test_the_same_seed_gives_the_same_text_and_another_seed_another(untrained_tasks):
    task = untrained_tasks["lstm"]
    first = task.generate(["it was", ""], max_tokens=30, seed=5)
    assert task.generate(["it was", ""], max_tokens=30, seed=5) == first
    assert task.generate(["it was", ""], max_tokens=30, seed=6) != first


def test_a_request_gives_the_same_text_whatever_shares_its_batch(untrained_tasks):
    for task in untrained_tasks.values():
        together = task.generate(["it was", "", "the age of"], max_tokens=15, seed=3, top_p=0.9)
        alone = [task.generate([prompt], max_tokens=15, seed=3, top_p=0.9)[0]
                 for prompt in ["it was", "", "the age of"]]
        assert together == alone


def test_top_k_one_is_greedy(untrained_tasks):
    for task in untrained_tasks.values():
        greedy = task.generate(["it w"], max_tokens=20, temperature=0.0)
        assert task.generate(["it w"], max_tokens=20, temperature=1.5, top_k=1, seed=9) == greedy


def recomputing_step_fn(decoder, logit_bias):
    """A step function without cache: the decoder reads the whole prefix every step."""

    def step_fn(token_ids, state):
        position = state["length"]
        prefix = tf.tensor_scatter_nd_update(
            state["prefix"], tf.stack([tf.range(tf.shape(position)[0]), position], axis=1), token_ids
        )
        outputs = decoder(prefix)
        logits = outputs[0] if isinstance(outputs, tuple) else outputs
        logits = tf.gather(logits, position, axis=1, batch_dims=1)
        return logits + logit_bias, {"prefix": prefix, "length": position + 1}

    return step_fn


@pytest.mark.parametrize("arch", ["lstm", "transformer"])
@pytest.mark.parametrize("settings", [dict(temperature=0.0), dict(temperature=1.0, top_k=5, seed=4)])
def test_generation_with_the_cache_equals_recomputing_the_prefix(untrained_tasks, arch, settings):
    task = untrained_tasks[arch]
    generator, max_tokens = task.generator, 12
    cached = task.generate_ids(["it was the"], max_tokens=max_tokens, **settings)["token_ids"]
    prompt = [generator.boundary_id] + task.preprocessor(tf.constant(["it was the"]))[0].numpy().tolist()
    buffer = np.zeros([1, len(prompt) + max_tokens], np.int32)
    buffer[0, : len(prompt)] = prompt
    state = {"prefix": tf.constant(buffer), "length": tf.constant([len(prompt) - 1])}
    recomputed = sample(
        recomputing_step_fn(task.model.decoder, generator.logit_bias), state,
        tf.constant([prompt[-1]]), max_tokens, end_id=None,
        temperature=settings["temperature"], top_k=settings.get("top_k", 0),
        top_p=1.0, seed=settings.get("seed", 0),
    )
    np.testing.assert_array_equal(cached.numpy(), recomputed.numpy())


def test_a_transformer_keeps_the_end_of_a_long_prompt_within_its_context(untrained_tasks):
    task = untrained_tasks["transformer"]  # context_length 32
    long_prompt = PROSE[:100]
    out = task.generate_ids([long_prompt, "it"], max_tokens=50, temperature=0.0)
    assert out["token_ids"].shape[1] == 31  # at most context - 1 new tokens
    # Only the last tokens of the prompt matter.
    tail = task.generate([long_prompt[-60:]], max_tokens=50, temperature=0.0)
    assert task.generate([long_prompt], max_tokens=50, temperature=0.0) == tail


def test_bad_generation_settings_are_refused(untrained_tasks):
    task = untrained_tasks["lstm"]
    for settings, flag in ((dict(max_tokens=-1), "--max-tokens"), (dict(top_p=0.0), "--top-p"),
                           (dict(top_k=-2), "--top-k")):
        with pytest.raises(UsageError, match=flag):
            task.generate(["a"], **settings)
    assert task.generate(["a"], max_tokens=0) == [""]


# ---------------------------------------------------------------------- persistence


def test_save_and_load_give_the_same_generation_and_loss(pattern_task, tmp_path):
    pattern_task.save(tmp_path / "run")
    loaded = LanguageModelTask.load(tmp_path / "run")
    assert loaded.config == pattern_task.config
    assert loaded.model.carry_state
    text = "abcdefg\nabd\n" * 4
    assert loaded.evaluate(text)["loss"] == pytest.approx(pattern_task.evaluate(text)["loss"], rel=1e-6)
    assert loaded.generate(["ab"], max_tokens=20, seed=1) == pattern_task.generate(["ab"], max_tokens=20, seed=1)


@pytest.mark.slow
def test_every_architecture_builds_and_takes_a_training_step():
    for name in LANGUAGE_MODEL_ARCHITECTURES:
        config = small_config(arch=name, tie_weights=True, units=8, embedding_dim=8, window=6)
        task = LanguageModelTask.build(config, PROSE)
        history = task.fit(PROSE, PROSE, epochs=1, verbose=0)
        assert np.isfinite(history["loss"][0]), name
    assert get_architecture("stacked-lstm").build(small_config(num_layers=1), 10).num_layers == 2
    with pytest.raises(UsageError, match="lsmt.*stacked-lstm"):
        get_architecture("lsmt")
    with pytest.raises(UsageError, match="--window"):
        LanguageModelTask.build(small_config(arch="transformer", window=64, context_length=32), PROSE)


@pytest.mark.parametrize("module_name", ["language_model.config", "language_model.generator", "language_model.task",
                                         "language_model.architectures", "language_model.jobs"])
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    module = importlib.import_module(f"seqzoo.tasks.{module_name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_the_irnn_restarts_every_window_at_a_lower_learning_rate():
    # ReLU states with identity recurrence grow without bound over a stream and explode.
    config = small_config(arch="irnn")
    assert config.tbptt and not LanguageModelTask.carries_state(config)
    assert LanguageModelTask.carries_state(small_config(arch="rnn"))
    assert LanguageModelTask.learning_rate(config) == 3e-4
    assert LanguageModelTask.learning_rate(small_config(arch="lstm")) == 3e-3
    assert LanguageModelTask.learning_rate(small_config(arch="irnn", learning_rate=0.01)) == 0.01


def test_an_empty_batch_of_prompts_gives_no_texts(untrained_tasks):
    for task in untrained_tasks.values():
        assert task.generate([], max_tokens=5) == []
        empty = tf.constant([], tf.int32)
        out = task.generator.generate(tf.constant([], tf.string), empty, tf.constant([], tf.float32),
                                      empty, tf.constant([], tf.float32), empty)
        assert out["text"].shape == [0]
