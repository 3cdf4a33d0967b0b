import numpy as np
import pytest
import tensorflow as tf

from seqzoo.tasks.common.samplers import beam_search, gnmt_length_penalty, sample
from tests.tasks.common.sampler_helpers import (
    beam_search_numpy,
    bigram_step_fn,
    enumerate_hypotheses,
    greedy_numpy,
    initial_state,
    length_penalty,
    log_softmax,
    random_trigram_table,
    trigram_step_fn,
    truncated_distribution,
)

END = 3


def test_greedy_follows_the_argmax_of_the_trigram_model_and_stops_at_end():
    table = random_trigram_table(6, seed=1)
    before, start = [4, 5, 1], [2, 0, 5]
    ids = sample(trigram_step_fn(table), initial_state(before), start, 7, END, greedy=True)
    expected = [greedy_numpy(table, b, s, 7, END) for b, s in zip(before, start)]
    assert ids.dtype == tf.int32
    assert ids.numpy().tolist() == expected


def test_tokens_after_end_are_padding_and_the_loop_stops_when_every_row_ended():
    # Every row goes START(2) -> 1 -> END; a counter records how often the step runs.
    probabilities = np.full((5, 5), 0.01)
    probabilities[2, 1] = probabilities[1, END] = probabilities[END, 4] = 0.96
    calls = tf.Variable(0)
    step = bigram_step_fn(probabilities)

    def counting_step(token_ids, state):
        calls.assign_add(1)
        return step(token_ids, state)

    ids = sample(counting_step, tf.zeros([2, 1]), [2, 2], 8, END, greedy=True)
    assert ids.numpy().tolist() == [[1, END, 0, 0, 0, 0, 0, 0]] * 2
    assert int(calls.numpy()) == 2  # the first token and the END token, nothing more


def test_top_k_one_is_greedy_whatever_the_seed():
    table = random_trigram_table(8, seed=2, scale=0.5)
    state, start = initial_state([0, 1]), [5, 6]
    greedy = sample(trigram_step_fn(table), state, start, 6, END, greedy=True)
    for seed in (0, 1):
        sampled = sample(trigram_step_fn(table), state, start, 6, END, top_k=1, seed=seed)
        np.testing.assert_array_equal(sampled.numpy(), greedy.numpy())


def test_a_tiny_top_p_is_greedy():
    table = random_trigram_table(8, seed=3, scale=0.5)
    state, start = initial_state([0, 1]), [5, 6]
    greedy = sample(trigram_step_fn(table), state, start, 6, END, greedy=True)
    sampled = sample(trigram_step_fn(table), state, start, 6, END, top_p=1e-6, seed=7)
    np.testing.assert_array_equal(sampled.numpy(), greedy.numpy())


def test_the_same_seed_gives_the_same_tokens_and_another_seed_other_tokens():
    table = random_trigram_table(10, seed=4, scale=0.1)  # nearly uniform
    state, start = initial_state([0, 1]), [5, 6]
    runs = [
        sample(trigram_step_fn(table), state, start, 12, None, seed=seed).numpy()
        for seed in (11, 11, 12)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_top_k_and_top_p_only_ever_pick_from_the_allowed_tokens():
    # Bigram model, so the allowed set of each step depends on the previous token only.
    rng = np.random.default_rng(5)
    probabilities = rng.dirichlet(np.ones(6) * 0.7, size=6)
    rows = 64
    start = np.arange(rows) % 6
    top_k_ids = sample(bigram_step_fn(probabilities), tf.zeros([rows, 1]), start, 5, None,
                       top_k=2, seed=1).numpy()
    top_p_ids = sample(bigram_step_fn(probabilities), tf.zeros([rows, 1]), start, 5, None,
                       top_p=0.6, seed=1).numpy()
    order = np.argsort(-probabilities, axis=1)
    cumulative = np.cumsum(np.take_along_axis(probabilities, order, 1), axis=1)
    nucleus_size = 1 + (cumulative < 0.6).sum(axis=1)  # smallest prefix reaching 0.6
    for ids, allowed in ((top_k_ids, [set(o[:2]) for o in order]),
                         (top_p_ids, [set(o[:n]) for o, n in zip(order, nucleus_size)])):
        previous = np.concatenate([start[:, None], ids[:, :-1]], axis=1)
        assert all(ids[r, t] in allowed[previous[r, t]] for r in range(rows) for t in range(5))
    # and sampling did not collapse to a single token per context
    assert len({(p, t) for p, t in zip(start, top_k_ids[:, 0])}) > 6


def test_settings_per_row_apply_to_their_own_row():
    table = random_trigram_table(10, seed=6, scale=0.1)
    state, start = initial_state([0, 0, 0]), [5, 5, 5]
    greedy = sample(trigram_step_fn(table), state, start, 10, None, greedy=True).numpy()
    ids = sample(trigram_step_fn(table), state, start, 10, None,
                 temperature=tf.constant([0.0, 1.0, 1.0]), top_k=tf.constant([0, 0, 1]),
                 seed=3).numpy()
    np.testing.assert_array_equal(ids[0], greedy[0])  # temperature 0: greedy
    np.testing.assert_array_equal(ids[2], greedy[2])  # top-k 1: greedy
    assert not np.array_equal(ids[1], greedy[1])


def one_step_draws(logits, rows, seed=0, **settings):
    """`rows` draws of the first token from the same logits (one row each, one call)."""
    logits = tf.constant(np.tile(np.asarray(logits, np.float32), (rows, 1)))
    return sample(lambda ids, state: (logits, state), tf.zeros([rows, 1]), None, 1, None,
                  seed=seed, initial_logits=logits, **settings).numpy()[:, 0]


def assert_draws_follow(draws, expected):
    """Only allowed ids appear, every one expected 10 times or more does, and at
    frequencies within 5 standard errors."""
    frequencies = np.bincount(draws, minlength=len(expected)) / len(draws)
    assert set(np.flatnonzero(frequencies)) <= set(np.flatnonzero(expected))
    assert set(np.flatnonzero(expected * len(draws) >= 10)) <= set(np.flatnonzero(frequencies))
    bound = 5 * np.sqrt(expected * (1 - expected) / len(draws)) + 1 / len(draws)
    assert np.all(np.abs(frequencies - expected) <= bound), np.abs(frequencies - expected).max()


ROWS = 20_000


@pytest.mark.parametrize("top_k, top_p", [(4, 1.0), (0, 0.8), (8, 0.6), (1, 1.0), (0, 1e-6)])
def test_top_k_and_top_p_draw_from_the_truncated_softmax(top_k, top_p):
    rng = np.random.default_rng(12)
    logits = rng.normal(size=30) * 1.5
    expected = truncated_distribution(logits, top_k, top_p)
    assert_draws_follow(one_step_draws(logits, ROWS, top_k=top_k, top_p=top_p), expected)


def test_ties_at_the_top_k_boundary_keep_exactly_k_tokens_lowest_ids_first():
    logits = np.array([0.0, 2.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0])
    draws = one_step_draws(logits, ROWS, top_k=3)
    assert set(draws) == {1, 2, 3}
    assert_draws_follow(draws, truncated_distribution(logits, 3))


def test_a_peaked_top_p_over_a_large_vocabulary_keeps_the_exact_nucleus():
    # A Zipf-like distribution: the nucleus is cut from the top of 2,000 tokens without
    # sorting them all; a flat one holds most of the vocabulary and needs the full sort.
    rng = np.random.default_rng(13)
    vocabulary_size = 2000
    peaked = -2.0 * np.log(rng.permutation(vocabulary_size) + 1.0)
    flat = rng.normal(size=vocabulary_size) * 0.05
    for logits, top_p in ((peaked, 0.9), (flat, 0.5)):
        expected = truncated_distribution(logits, 0, top_p)
        draws = one_step_draws(logits, 6_000, seed=1, top_p=top_p)
        assert set(draws) <= set(np.flatnonzero(expected))
        if expected.max() > 0.01:
            assert_draws_follow(draws, expected)
        else:  # too many ids for frequencies: the nucleus is still reached to its edge
            nucleus = np.flatnonzero(expected)
            edge = nucleus[np.argsort(expected[nucleus])[:100]]  # its least likely ids
            assert np.isin(edge, draws).sum() >= 30


def test_rows_with_different_settings_each_follow_their_own_distribution():
    rng = np.random.default_rng(14)
    logits = rng.normal(size=25) * 1.5
    settings = [(1.0, 0, 1.0), (1.0, 5, 1.0), (1.0, 0, 0.7), (0.5, 6, 0.8), (0.0, 3, 0.5)]
    rows = 8_000
    temperature, top_k, top_p = (np.repeat(np.array(column), rows) for column in zip(*settings))
    draws = one_step_draws(logits, rows * len(settings), seed=2,
                           temperature=tf.constant(temperature, tf.float32),
                           top_k=tf.constant(top_k, tf.int32),
                           top_p=tf.constant(top_p, tf.float32))
    for index, (t, k, p) in enumerate(settings):
        part = draws[index * rows: (index + 1) * rows]
        if t == 0.0:
            assert set(part) == {int(np.argmax(logits))}
        else:
            assert_draws_follow(part, truncated_distribution(logits / t, k, p))


def test_a_row_seed_gives_the_same_tokens_alone_and_anywhere_in_a_batch():
    # The trigram model's logits are table lookups, so every difference would come from
    # the draws. Row "mine" is sampled alone, then at position 0 and at position 5 of a
    # batch of 8 beside other contexts, seeds and settings, for more steps.
    table = random_trigram_table(12, seed=16, scale=0.3)
    step = trigram_step_fn(table)
    mine = dict(before=4, start=7, seed=21, temperature=1.3, top_k=6, top_p=0.9)
    others = [dict(before=b, start=s, seed=100 + s, temperature=t, top_k=k, top_p=p)
              for b, s, t, k, p in [(0, 1, 1.0, 0, 1.0), (2, 7, 0.0, 0, 1.0), (4, 7, 0.7, 3, 1.0),
                                    (1, 9, 1.0, 0, 0.5), (3, 3, 2.0, 10, 0.8), (5, 2, 1.0, 1, 1.0),
                                    (4, 7, 1.3, 6, 0.9)]]

    vector = lambda dtype: tf.TensorSpec([None], dtype)  # noqa: E731

    @tf.function(input_signature=[vector(tf.int32)] * 2 + [vector(tf.float32), vector(tf.int32),
                                                           vector(tf.float32), vector(tf.int32),
                                                           tf.TensorSpec([], tf.int32)])
    def compiled(before, start, temperature, top_k, top_p, seed, length):
        return sample(step, {"before": before}, start, length, None, temperature=temperature,
                      top_k=top_k, top_p=top_p, seed=seed)

    def run(rows, length):
        columns = [tf.constant([row[key] for row in rows], dtype) for key, dtype in (
            ("before", tf.int32), ("start", tf.int32), ("temperature", tf.float32),
            ("top_k", tf.int32), ("top_p", tf.float32), ("seed", tf.int32))]
        return compiled(*columns, tf.constant(length)).numpy()

    alone = run([mine], 10)[0]
    first = run([mine] + others, 16)
    fifth = run(others[:5] + [mine] + others[5:], 16)
    np.testing.assert_array_equal(first[0, :10], alone)
    np.testing.assert_array_equal(fifth[5, :10], alone)
    np.testing.assert_array_equal(first[0], fifth[5])
    # Row 7 of the first batch has the same context, settings and tokens but another seed.
    assert not np.array_equal(first[7], first[0])


def test_rows_with_their_own_seeds_draw_from_the_truncated_softmax():
    rng = np.random.default_rng(17)
    logits = rng.normal(size=30) * 1.5
    for top_k, top_p in ((0, 1.0), (5, 0.9)):
        draws = one_step_draws(logits, ROWS, seed=tf.range(ROWS), top_k=top_k, top_p=top_p)
        assert_draws_follow(draws, truncated_distribution(logits, top_k, top_p))


def test_the_steps_of_a_row_are_independent_draws():
    # Two steps of a bigram model: the pair frequencies over rows with their own seeds
    # follow p(a) p(b | a), which a stream correlated from one step to the next breaks.
    rng = np.random.default_rng(18)
    probabilities = rng.dirichlet(np.ones(4), size=4)
    rows = 12_000
    ids = sample(bigram_step_fn(probabilities), tf.zeros([rows, 1]), tf.zeros([rows], tf.int32),
                 2, None, seed=tf.range(rows) * 7 + 3).numpy()
    expected = (probabilities[0][:, None] * probabilities).reshape(-1)
    assert_draws_follow(ids[:, 0] * 4 + ids[:, 1], expected)


def test_beam_search_matches_a_step_by_step_numpy_beam_search():
    table = random_trigram_table(7, seed=15, scale=1.5)
    before, start = [1, 4, 6], [0, 2, 5]
    for beam_size, alpha, n_best in ((3, 0.6, 2), (4, 0.0, 4), (2, 1.2, 1)):
        ids, scores = beam_search(trigram_step_fn(table), initial_state(before), start, 6, END,
                                  beam_size=beam_size, length_penalty=alpha, n_best=n_best)
        for row, (b, s) in enumerate(zip(before, start)):
            expected = beam_search_numpy(table, b, s, 6, END, beam_size, alpha, n_best)
            assert ids.numpy()[row].tolist() == [tokens for _, tokens in expected]
            np.testing.assert_allclose(scores.numpy()[row], [score for score, _ in expected],
                                       rtol=1e-5)


def test_beam_search_finds_the_best_hypotheses_of_an_exhaustive_search():
    table = random_trigram_table(4, seed=7)
    before, start, steps = [1, 2], [0, 1], 4
    # 27 beams keep every prefix that has not ended, so beam search is exact here.
    for alpha in (0.0, 0.6, 1.5):
        ids, scores = beam_search(trigram_step_fn(table), initial_state(before), start, steps,
                                  END, beam_size=27, length_penalty=alpha, n_best=3)
        for row, (b, s) in enumerate(zip(before, start)):
            expected = enumerate_hypotheses(table, b, s, steps, END, alpha)[:3]
            assert ids.numpy()[row].tolist() == [tokens for _, tokens in expected]
            np.testing.assert_allclose(scores.numpy()[row], [score for score, _ in expected],
                                       rtol=1e-5)


def test_beam_search_beats_a_myopic_greedy_choice():
    # From START(2): 1 is likelier than 0, but after 1 every token is unlikely,
    # while 0 is followed by END with probability 0.95.
    probabilities = np.array([
        [0.02, 0.01, 0.02, 0.95],
        [0.30, 0.25, 0.20, 0.25],
        [0.45, 0.55, 1e-6, 1e-6],
        [0.25, 0.25, 0.25, 0.25],
    ])
    step = bigram_step_fn(probabilities / probabilities.sum(1, keepdims=True))
    greedy = sample(step, tf.zeros([1, 1]), [2], 5, END, greedy=True)
    ids, scores = beam_search(step, tf.zeros([1, 1]), [2], 5, END, beam_size=2,
                              length_penalty=0.0)
    assert greedy.numpy().tolist() == [[1, 0, END, 0, 0]]
    assert ids.numpy().tolist() == [[[0, END, 0, 0, 0]]]
    np.testing.assert_allclose(scores.numpy(), [[np.log(0.45 * 0.95)]], rtol=1e-5)


def test_one_beam_without_length_penalty_is_greedy():
    table = random_trigram_table(6, seed=8)
    before, start = [4, 5, 1], [2, 0, 5]
    ids, scores = beam_search(trigram_step_fn(table), initial_state(before), start, 6, END,
                              beam_size=1, length_penalty=0.0)
    log_probs = log_softmax(table.astype(np.float64))
    for row, (b, s) in enumerate(zip(before, start)):
        tokens = greedy_numpy(table, b, s, 6, END)
        assert ids.numpy()[row, 0].tolist() == tokens
        total, previous, current = 0.0, b, s
        for token in tokens[: (tokens.index(END) + 1) if END in tokens else 6]:
            total += log_probs[previous, current, token]
            previous, current = current, token
        np.testing.assert_allclose(scores.numpy()[row, 0], total, rtol=1e-5)


def test_length_penalty_is_the_gnmt_formula():
    np.testing.assert_allclose(gnmt_length_penalty(7, 0.6).numpy(), length_penalty(7, 0.6))


def test_primed_logits_give_the_same_result_as_the_first_step():
    table = random_trigram_table(6, seed=9)
    step = trigram_step_fn(table)
    state, start = initial_state([4, 5]), tf.constant([2, 0])
    first_logits, after_first = step(start, state)
    for run in (
        lambda **kw: sample(step, seed=3, temperature=0.7, **kw),
        lambda **kw: beam_search(step, beam_size=3, n_best=2, **kw)[0],
    ):
        from_start = run(initial_state=state, start_ids=start, max_new_tokens=5, end_id=END)
        from_logits = run(initial_state=after_first, start_ids=None, max_new_tokens=5,
                          end_id=END, initial_logits=first_logits)
        np.testing.assert_array_equal(from_start.numpy(), from_logits.numpy())


def test_extras_are_collected_along_each_hypothesis():
    table = random_trigram_table(6, seed=10)
    step = trigram_step_fn(table, with_extras=True)
    state, start = initial_state([4, 5]), np.array([2, 0])

    def ended_before(ids):  # True at positions after the hypothesis' END
        shifted = np.concatenate([np.zeros_like(ids[..., :1]), ids[..., :-1] == END], -1)
        return np.cumsum(shifted, axis=-1) > 0

    ids, extras = sample(step, state, start, 6, END, seed=1, collect_extras=True)
    ids = ids.numpy()
    assert extras.shape == (2, 6, 6)
    previous = np.concatenate([start[:, None], ids[:, :-1]], axis=1)
    expected = np.where(ended_before(ids)[..., None], 0.0, np.eye(6)[previous])
    np.testing.assert_array_equal(extras.numpy(), expected)

    ids, _, extras = beam_search(step, state, start, 6, END, beam_size=3, n_best=3,
                                 collect_extras=True)
    ids = ids.numpy()
    assert extras.shape == (2, 3, 6, 6)
    previous = np.concatenate([np.repeat(start[:, None, None], 3, 1), ids[..., :-1]], axis=2)
    expected = np.where(ended_before(ids)[..., None], 0.0, np.eye(6)[previous])
    np.testing.assert_array_equal(extras.numpy(), expected)


def test_samplers_work_in_a_function_with_an_unknown_batch_size():
    table = random_trigram_table(6, seed=11)
    step = trigram_step_fn(table)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32),
                                  tf.TensorSpec([None], tf.int32),
                                  tf.TensorSpec([None], tf.float32),
                                  tf.TensorSpec([], tf.int32)])
    def generate(before, start, temperature, max_new_tokens):
        state = {"before": before}
        sampled = sample(step, state, start, max_new_tokens, END, temperature=temperature,
                         top_p=0.9, seed=5)
        ids, scores = beam_search(step, state, start, max_new_tokens, END, beam_size=3,
                                  n_best=2)
        return sampled, ids, scores

    for before, start in (([4, 5], [2, 0]), ([4, 5, 1], [2, 0, 5])):
        sampled, ids, scores = generate(tf.constant(before), tf.constant(start),
                                        tf.fill([len(start)], 0.8), tf.constant(5))
        assert sampled.shape == (len(start), 5) and ids.shape == (len(start), 2, 5)
        eager_ids, eager_scores = beam_search(step, initial_state(before), start, 5, END,
                                              beam_size=3, n_best=2)
        np.testing.assert_array_equal(ids.numpy(), eager_ids.numpy())
        np.testing.assert_allclose(scores.numpy(), eager_scores.numpy(), rtol=1e-6)
        eager_sampled = sample(step, initial_state(before), start, 5, END,
                               temperature=tf.fill([len(start)], 0.8), top_p=0.9, seed=5)
        np.testing.assert_array_equal(sampled.numpy(), eager_sampled.numpy())
    assert generate.experimental_get_tracing_count() == 1


def test_bad_arguments_are_refused_with_a_message():
    step = trigram_step_fn(random_trigram_table(4, seed=0))
    with pytest.raises(ValueError, match="n_best"):
        beam_search(step, initial_state([0]), [1], 3, END, beam_size=2, n_best=3)
    with pytest.raises(ValueError, match="max_new_tokens"):
        sample(step, initial_state([0]), [1], 0, END)
    with pytest.raises(ValueError, match="collect_extras"):
        sample(step, initial_state([0]), [1], 3, END, collect_extras=True)


# --- the samplers driving the zoo's decoders -------------------------------------


def recomputing_step_fn(logits_of, **encoder):
    """A step function that rereads the whole prefix with `logits_of(ids, **encoder)`,
    a decoder's teacher-forced call.

    Its state (prefix buffer, length, encoder outputs) keeps the batch first, so
    beam search reorders it like the decoders' own caches.
    """

    def step_fn(token_ids, state):
        prefix, length = state["prefix"], state["length"]
        positions = tf.range(tf.shape(prefix)[1])[None, :]
        prefix = tf.where(positions == length[:, None], token_ids[:, None], prefix)
        kwargs = {name: state[name] for name in encoder}
        logits = logits_of(prefix, **kwargs)
        logits = tf.gather(logits, length, axis=1, batch_dims=1)
        return logits, dict(state, prefix=prefix, length=length + 1)

    def initial(batch_size, max_length):
        state = {"prefix": tf.zeros([batch_size, max_length], tf.int32),
                 "length": tf.zeros([batch_size], tf.int32)}
        state.update({name: tf.convert_to_tensor(value) for name, value in encoder.items()})
        return state

    return step_fn, initial


def test_the_transformer_cache_gives_the_recomputed_beams_and_samples():
    import keras

    from seqzoo.zoo.transformer_decoder import TransformerDecoder

    keras.utils.set_random_seed(0)
    decoder = TransformerDecoder(12, embedding_dim=8, num_layers=2, num_heads=2,
                                 intermediate_dim=16, max_length=8, dropout=0.0,
                                 cross_attention=True)
    rng = np.random.default_rng(0)
    encoder = dict(encoder_outputs=rng.normal(size=(2, 3, 6)).astype("float32"),
                   encoder_mask=np.array([[True, True, False], [True, True, True]]))
    decoder(np.array([[2, 4]], "int32"), encoder_outputs=encoder["encoder_outputs"][:1])
    start = tf.constant([2, 2])
    cache = decoder.get_initial_cache(2, 6, **encoder)
    step_fn, initial = recomputing_step_fn(decoder, **encoder)  # the call returns logits
    for run in (
        lambda step, state: beam_search(step, state, start, 6, END, beam_size=3, n_best=2),
        lambda step, state: (sample(step, state, start, 6, END, seed=4, temperature=2.0),),
    ):
        cached, recomputed = run(decoder.step, cache), run(step_fn, initial(2, 7))
        for a, b in zip(cached, recomputed):
            np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-4)


def test_a_primed_recurrent_decoder_samples_what_recomputation_samples():
    import keras

    from seqzoo.zoo.recurrent_decoder import RecurrentDecoder

    keras.utils.set_random_seed(0)
    decoder = RecurrentDecoder(12, embedding_dim=6, cell="lstm", units=8, num_layers=2)
    prompts = np.array([[2, 5, 7, 0], [2, 9, 4, 6]], "int32")
    logits, states = decoder.prime(prompts)
    cached = sample(decoder.step, states, None, 5, END, seed=9, temperature=3.0,
                    initial_logits=logits)

    # The recurrent call returns (logits, states); the prefix restarts at each prompt's
    # last token, which the first step rewrites in place.
    step_fn, _ = recomputing_step_fn(lambda ids: decoder(ids)[0])
    lengths = (prompts != 0).sum(axis=1)
    state = {"prefix": tf.constant(np.pad(prompts, [[0, 0], [0, 5]])),
             "length": tf.constant(lengths - 1, tf.int32)}
    last_prompt_tokens = tf.constant(prompts[np.arange(2), lengths - 1])
    recomputed = sample(step_fn, state, last_prompt_tokens, 5, END, seed=9, temperature=3.0)
    np.testing.assert_array_equal(cached.numpy(), recomputed.numpy())


def test_decoding_exports_as_a_saved_model_that_runs_without_seqzoo(tmp_path):
    import json
    import subprocess
    import sys

    import keras

    from seqzoo.zoo.transformer_decoder import TransformerDecoder

    keras.utils.set_random_seed(0)
    decoder = TransformerDecoder(12, embedding_dim=8, num_layers=1, num_heads=2,
                                 intermediate_dim=16, max_length=10, dropout=0.0,
                                 tie_weights=True)

    class Generator(tf.Module):
        def __init__(self):
            super().__init__()
            self.decoder = decoder

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="prompt"),
                                      tf.TensorSpec([None], tf.float32, name="temperature")])
        def generate(self, prompt, temperature):
            logits, cache = self.decoder.prime(prompt)
            sampled = sample(self.decoder.step, cache, None, 4, END, seed=1,
                             temperature=temperature, top_k=5, initial_logits=logits)
            beams, scores = beam_search(self.decoder.step, cache, None, 4, END, beam_size=3,
                                        n_best=2, initial_logits=logits)
            return {"sampled": sampled, "beams": beams, "scores": scores}

    generator = Generator()
    tf.saved_model.save(generator, str(tmp_path / "generator"))
    prompts = {2: [[2, 5, 7, 0], [2, 9, 4, 6]], 3: [[2, 5, 0], [2, 9, 4], [2, 0, 0]]}
    expected = {}
    for batch, prompt in prompts.items():
        outputs = generator.generate(tf.constant(prompt), tf.fill([batch], 2.0))
        expected[batch] = {name: value.numpy().tolist() for name, value in outputs.items()}

    code = f"""
import json, sys
import tensorflow as tf
generator = tf.saved_model.load({str(tmp_path / "generator")!r})
results = {{}}
for batch, prompt in {prompts!r}.items():
    outputs = generator.generate(tf.constant(prompt), tf.fill([batch], 2.0))
    results[batch] = {{name: value.numpy().tolist() for name, value in outputs.items()}}
assert not any(name.startswith("seqzoo") for name in sys.modules)
print(json.dumps(results))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""})
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    for batch in prompts:
        got = loaded[str(batch)]
        assert got["sampled"] == expected[batch]["sampled"]
        assert got["beams"] == expected[batch]["beams"]
        np.testing.assert_allclose(got["scores"], expected[batch]["scores"], rtol=1e-5)
