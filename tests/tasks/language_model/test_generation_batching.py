"""Batched generation: one sampler runs the whole batch, and each request still gets the
text it gets alone (its own seed, prompt length, settings and number of tokens)."""

from __future__ import annotations

import pytest
import tensorflow as tf

from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.language_model.task import LanguageModelTask

PROSE = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was "
    "the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.\n"
)
LONG_PROMPT = PROSE[:90]  # longer than the Transformer's context of 32 characters

# (prompt, max_tokens, temperature, top_k, top_p, seed): the request under test ...
MINE = ("it was", 20, 1.0, 0, 0.9, 7)
# ... and neighbours with other prompt lengths (empty, long, longer than the context),
# settings, seeds and numbers of tokens; the last one is MINE with another seed.
NEIGHBOURS = [
    ("", 25, 1.0, 0, 1.0, 1),
    (LONG_PROMPT, 3, 1.2, 0, 1.0, 2),
    ("the age of wisdom, it", 12, 0.0, 0, 1.0, 3),
    ("it was", 20, 1.0, 0, 0.9, 7),
    ("e", 30, 0.8, 5, 1.0, 4),
    ("it was the epoch", 1, 1.5, 0, 0.5, 5),
    ("it was", 20, 1.0, 0, 0.9, 8),
]


@pytest.fixture(scope="module")
def untrained_tasks():
    """Untrained models (near-uniform predictions, so that every draw matters)."""
    config = dict(units=16, embedding_dim=8, window=12, batch_size=4, epochs=1,
                  context_length=32, num_heads=2)
    return {arch: LanguageModelTask.build(LanguageModelConfig(arch=arch, **config), PROSE)
            for arch in ("gru", "transformer")}


def generate(task, requests):
    """`generate` with one setting per request; texts, in order."""
    prompt, max_tokens, temperature, top_k, top_p, seed = zip(*requests)
    out = task.generator.generate(
        tf.constant(prompt), tf.constant(max_tokens, tf.int32),
        tf.constant(temperature, tf.float32), tf.constant(top_k, tf.int32),
        tf.constant(top_p, tf.float32), tf.constant(seed, tf.int32),
    )
    return [text.decode("utf-8") for text in out["text"].numpy()]


@pytest.mark.parametrize("arch", ["gru", "transformer"])
def test_a_request_gives_its_text_alone_and_in_any_position_of_a_batch(untrained_tasks, arch):
    task = untrained_tasks[arch]
    alone = generate(task, [MINE])[0]
    first = generate(task, [MINE] + NEIGHBOURS)
    sixth = generate(task, NEIGHBOURS[:5] + [MINE] + NEIGHBOURS[5:])
    assert first[0] == sixth[5] == alone
    # The same request elsewhere in the batch, and each neighbour, as they come alone
    # (the long prompt with 3 tokens shares its batch with rows that want up to 30).
    assert first[4] == sixth[3] == alone
    for index, request in enumerate(NEIGHBOURS):
        assert first[index + 1] == generate(task, [request])[0], request
    # Another seed, another text.
    assert first[7] != alone


def test_one_seed_for_a_request_gives_its_equal_prompts_equal_texts(untrained_tasks):
    # A [1] seed applies to every prompt of the request, wherever each sits.
    task = untrained_tasks["gru"]
    texts = task.generate(["it was", "the", "it was"], max_tokens=15, seed=4)
    assert texts[0] == texts[2] == task.generate(["it was"], max_tokens=15, seed=4)[0]
    assert task.generate(["it was"], max_tokens=15, seed=5)[0] != texts[0]
