import keras
import numpy as np
import pytest

from seqzoo.zoo.transformer_decoder import TransformerDecoder
from seqzoo.zoo.transformer_decoder_block import TransformerDecoderBlock
from tests.zoo.helpers import (
    ROWS,
    VOCABULARY_SIZE,
    assert_config_round_trip,
    assert_keras_file_round_trip,
    as_numpy,
    pad,
)

CONFIGURATIONS = {
    "post_norm": dict(),
    "pre_norm_tied": dict(norm_first=True, tie_weights=True),
    "cross_attention": dict(cross_attention=True),
}
# Encoder outputs 6 wide (the decoder is 8 wide); the first row has 3 real positions.
ENCODER_MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=bool)


def encoder_outputs(seed=1):
    return np.random.default_rng(seed).normal(size=(2, 4, 6)).astype("float32")


def make_decoder(**overrides):
    config = dict(embedding_dim=8, num_layers=2, num_heads=2, intermediate_dim=16,
                  max_length=12, dropout=0.0)
    config.update(overrides)
    return TransformerDecoder(VOCABULARY_SIZE, **config)


def encoder_kwargs(decoder):
    if decoder.cross_attention:
        return dict(encoder_outputs=encoder_outputs(), encoder_mask=ENCODER_MASK)
    return {}


IDS = np.array([[2, 4, 7, 9, 3, 5], [2, 5, 1, 8, 6, 6]], dtype="int32")


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_cached_steps_give_the_teacher_forced_logits(name):
    decoder = make_decoder(**CONFIGURATIONS[name])
    source = encoder_kwargs(decoder)
    logits = as_numpy(decoder(IDS, **source))
    cache = decoder.get_initial_cache(2, max_length=8, **source)
    stepped = []
    for column in IDS.T:
        step_logits, cache = decoder.step(column, cache)
        stepped.append(as_numpy(step_logits))
    assert logits.shape == (2, 6, VOCABULARY_SIZE) and logits.dtype == np.float32
    np.testing.assert_allclose(np.stack(stepped, axis=1), logits, atol=1e-4)
    assert as_numpy(cache["index"]).tolist() == [6, 6]


def test_the_cache_keeps_the_batch_first_and_the_documented_layout():
    decoder = make_decoder(cross_attention=True)
    cache = decoder.get_initial_cache(2, max_length=7, **encoder_kwargs(decoder))
    shapes = {key: tuple(value.shape) for key, value in cache.items()}
    assert shapes == {
        "key_value": (2, 2, 2, 7, 2, 4),
        "index": (2,),
        "cross_key_value": (2, 2, 2, 4, 2, 4),
        "encoder_mask": (2, 4),
    }
    # after a step, position 0 holds the first block's key of the token fed
    _, cache = decoder.step(np.array([2, 5], "int32"), cache)
    block = decoder.blocks[0]
    x = as_numpy(decoder.embedding(np.array([[2], [5]], "int32")))
    x = x + as_numpy(decoder.position_embedding.position_embeddings)[:1]
    np.testing.assert_allclose(
        as_numpy(cache["key_value"])[:, 0, 0, 0], as_numpy(block.self_key(x))[:, 0], atol=1e-5
    )
    np.testing.assert_array_equal(as_numpy(cache["key_value"])[:, :, :, 1:], 0.0)


def test_recomputed_cross_attention_equals_the_cached_one():
    decoder = make_decoder(cross_attention=True)
    source = encoder_kwargs(decoder)
    cached = decoder.get_initial_cache(2, max_length=4, **source)
    bare = decoder.get_initial_cache(2, max_length=4)
    assert "cross_key_value" not in bare
    for column in IDS.T[:3]:
        cached_logits, cached = decoder.step(column, cached)
        bare_logits, bare = decoder.step(column, bare, **source)
        np.testing.assert_allclose(as_numpy(bare_logits), as_numpy(cached_logits), atol=1e-5)


@pytest.mark.parametrize("name", ["post_norm", "cross_attention"])
def test_prime_continues_prompts_of_different_lengths(name):
    decoder = make_decoder(**CONFIGURATIONS[name])
    source = encoder_kwargs(decoder)
    prompts = [[2, 4, 7], [2, 5, 1, 8, 6]]
    continuation = [np.array([9, 3], "int32"), np.array([1, 4], "int32")]
    last_logits, cache = decoder.prime(pad(prompts, 5), max_length=9, **source)
    stepped = [as_numpy(last_logits)]
    for column in continuation:
        logits, cache = decoder.step(column, cache)
        stepped.append(as_numpy(logits))
    full = pad([prompt + [int(c[row]) for c in continuation]
                for row, prompt in enumerate(prompts)], 7)
    expected = as_numpy(decoder(full, **source))
    for row, prompt in enumerate(prompts):
        for offset, logits in enumerate(stepped):
            np.testing.assert_allclose(
                logits[row], expected[row, len(prompt) - 1 + offset], atol=1e-4
            )


def test_greedy_generation_with_the_cache_equals_recomputing_the_prefix():
    decoder = make_decoder(cross_attention=True, norm_first=True)
    source = encoder_kwargs(decoder)
    prompts = [[2, 4], [2, 5, 1, 8]]
    logits, cache = decoder.prime(pad(prompts, 4), max_length=10, **source)
    generated = []
    for _ in range(5):
        token = np.argmax(as_numpy(logits), axis=-1).astype("int32")
        generated.append(token)
        logits, cache = decoder.step(token, cache)
    generated = np.stack(generated, axis=1)

    sequences = [list(prompt) for prompt in prompts]
    for _ in range(5):
        logits = as_numpy(decoder(pad(sequences, 10), **source))
        for row, sequence in enumerate(sequences):
            sequence.append(int(np.argmax(logits[row, len(sequence) - 1])))
    for row, prompt in enumerate(prompts):
        assert sequences[row][len(prompt):] == generated[row].tolist()


def test_a_future_token_never_changes_earlier_logits():
    decoder = make_decoder(cross_attention=True)
    source = encoder_kwargs(decoder)
    changed = IDS.copy()
    changed[:, 3] = [1, 9]
    before, after = as_numpy(decoder(IDS, **source)), as_numpy(decoder(changed, **source))
    np.testing.assert_allclose(after[:, :3], before[:, :3], atol=1e-6)
    assert not np.allclose(after[:, 3:], before[:, 3:], atol=1e-3)


def test_padding_changes_nothing_at_real_positions():
    decoder = make_decoder(cross_attention=True)
    short = as_numpy(decoder(pad(ROWS, 5), **encoder_kwargs(decoder)))
    long = as_numpy(decoder(pad(ROWS, 9), **encoder_kwargs(decoder)))
    for row, tokens in enumerate(ROWS):
        np.testing.assert_allclose(long[row, : len(tokens)], short[row, : len(tokens)], atol=1e-5)


def test_masked_encoder_positions_are_never_attended_to():
    decoder = make_decoder(cross_attention=True)
    noisy = encoder_outputs()
    noisy[0, 3] = 100.0  # masked in row 0
    clean = as_numpy(decoder(IDS, encoder_outputs=encoder_outputs(), encoder_mask=ENCODER_MASK))
    other = as_numpy(decoder(IDS, encoder_outputs=noisy, encoder_mask=ENCODER_MASK))
    np.testing.assert_allclose(other, clean, atol=1e-5)
    cache = decoder.get_initial_cache(2, 3, encoder_outputs=noisy, encoder_mask=ENCODER_MASK)
    _, _, weights = decoder.step(IDS[:, 0], cache, return_cross_attention=True)
    weights = as_numpy(weights)
    assert weights.shape == (2, 4)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
    assert weights[0, 3] == 0.0 and weights[1, 3] > 0.0


def test_tied_weights_share_the_embedding_matrix():
    decoder = make_decoder(tie_weights=True)
    decoder(IDS)
    matrices = [w for w in decoder.weights if tuple(w.shape) == (VOCABULARY_SIZE, 8)]
    assert matrices == [decoder.embedding.embeddings]
    assert decoder.output_projection is None
    untied = make_decoder()
    untied(IDS)
    assert len(untied.weights) == len(decoder.weights) + 1  # a kernel, its bias vs one bias


def test_stepping_past_the_end_of_the_cache_raises():
    decoder = make_decoder()
    cache = decoder.get_initial_cache(2, max_length=2)
    for column in IDS.T[:2]:
        _, cache = decoder.step(column, cache)
    with pytest.raises(Exception, match="cache is full"):
        decoder.step(IDS[:, 2], cache)
    with pytest.raises(ValueError, match="max_length=12"):
        decoder.get_initial_cache(2, max_length=13)


def test_a_cross_attention_decoder_needs_encoder_outputs():
    decoder = make_decoder(cross_attention=True)
    with pytest.raises(ValueError, match="encoder_outputs"):
        decoder(IDS)
    with pytest.raises(ValueError, match="cross_attention=False"):
        make_decoder()(IDS, encoder_outputs=encoder_outputs())


@pytest.mark.parametrize("name", CONFIGURATIONS)
def test_config_round_trip(name):
    decoder = make_decoder(dropout=0.1, **CONFIGURATIONS[name])
    decoder(IDS, **encoder_kwargs(decoder))
    assert_config_round_trip(decoder, IDS, **encoder_kwargs(decoder))


def test_block_config_round_trip():
    block = TransformerDecoderBlock(2, 8, dropout=0.1, norm_first=True, cross_attention=True)
    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    block(x, encoder_outputs=encoder_outputs())
    assert_config_round_trip(block, x, encoder_outputs=encoder_outputs())


def test_keras_file_round_trip_with_cross_attention(tmp_path):
    decoder = make_decoder(cross_attention=True, tie_weights=True)
    token_ids = keras.Input((None,), dtype="int32")
    source = keras.Input((None, 6))
    model = keras.Model([token_ids, source], decoder(token_ids, encoder_outputs=source))
    loaded = assert_keras_file_round_trip(model, [IDS, encoder_outputs()], tmp_path)
    loaded_decoder = next(l for l in loaded.layers if isinstance(l, TransformerDecoder))
    stepped = []
    for layer in (decoder, loaded_decoder):
        cache = layer.get_initial_cache(2, 3, encoder_outputs=encoder_outputs())
        stepped.append(as_numpy(layer.step(IDS[:, 0], cache)[0]))
    np.testing.assert_allclose(stepped[1], stepped[0], atol=1e-6)


def test_a_decoder_first_used_by_step_saves_and_loads(tmp_path):
    decoder = make_decoder(cross_attention=True)
    cache = decoder.get_initial_cache(2, 3, encoder_outputs=encoder_outputs())
    expected = as_numpy(decoder.step(IDS[:, 0], cache)[0])
    token_ids, source = keras.Input((None,), dtype="int32"), keras.Input((None, 6))
    model = keras.Model([token_ids, source], decoder(token_ids, encoder_outputs=source))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    loaded_decoder = next(l for l in loaded.layers if isinstance(l, TransformerDecoder))
    np.testing.assert_allclose(
        as_numpy(loaded_decoder.step(IDS[:, 0], cache)[0]), expected, atol=1e-6
    )


# --- the compiled cached step (issue 15: a step costs one position) -------------


def compiled_greedy(decoder, prompts, steps, cache_length, source):
    """Greedy decoding from `prime` in one `tf.function` with a `tf.while_loop`, as
    the samplers run it: (ids [batch, steps], logits [batch, steps, vocabulary])."""
    import tensorflow as tf

    @tf.function
    def run(prompts):
        logits, cache = decoder.prime(prompts, max_length=cache_length, **source)

        def body(step, logits, cache, ids, all_logits):
            token = tf.argmax(logits, axis=-1, output_type=tf.int32)
            ids, all_logits = ids.write(step, token), all_logits.write(step, logits)
            logits, cache = decoder.step(token, cache)
            return step + 1, logits, cache, ids, all_logits

        arrays = (tf.TensorArray(tf.int32, steps), tf.TensorArray(tf.float32, steps))
        _, _, _, ids, all_logits = tf.while_loop(
            lambda step, *_: step < steps, body, (0, logits, cache, *arrays)
        )
        return tf.transpose(ids.stack()), tf.transpose(all_logits.stack(), (1, 0, 2))

    ids, logits = run(prompts)
    return as_numpy(ids), as_numpy(logits)


@pytest.mark.parametrize("name", ["pre_norm_tied", "cross_attention"])
def test_compiled_cached_greedy_decoding_equals_recomputing_the_prefix(name):
    decoder = make_decoder(max_length=16, **CONFIGURATIONS[name])
    source = encoder_kwargs(decoder)
    prompts = [[2, 4, 7], [2, 5, 1, 8, 6]]  # rows at different positions
    steps = 8
    ids, logits = compiled_greedy(decoder, pad(prompts, 5), steps, 14, source)
    # Uncached: the whole sequence through the teacher-forced call, one token at a time.
    sequences = [list(prompt) for prompt in prompts]
    expected_logits = [[] for _ in prompts]
    for _ in range(steps):
        full = as_numpy(decoder(pad(sequences, 14), **source))
        for row, sequence in enumerate(sequences):
            expected_logits[row].append(full[row, len(sequence) - 1])
            sequence.append(int(np.argmax(full[row, len(sequence) - 1])))
    for row, prompt in enumerate(prompts):
        assert ids[row].tolist() == sequences[row][len(prompt):]
        np.testing.assert_allclose(logits[row], np.stack(expected_logits[row]), atol=1e-5, rtol=0)


def test_a_compiled_step_touches_the_whole_cache_once():
    # Regression guard for recomputing work over the whole cache at every step: in
    # the step's graph, one op (the write of every block's new key and value) makes a
    # tensor of the cache's size, and none makes a block's whole key or value cache.
    import tensorflow as tf

    decoder = make_decoder(cross_attention=True, max_length=12)
    cache = decoder.get_initial_cache(2, max_length=11, **encoder_kwargs(decoder))
    spec = tf.nest.map_structure(lambda t: tf.TensorSpec([None, *t.shape[1:]], t.dtype), cache)
    step = tf.function(decoder.step).get_concrete_function(tf.TensorSpec([None], tf.int32), spec)
    whole_cache, block_cache = [], []
    for operation in step.graph.get_operations():
        if operation.type in ("Placeholder", "Identity"):
            continue
        for output in operation.outputs:
            dims = output.shape.as_list() if output.shape.rank is not None else []
            if dims[1:] == [2, 2, 11, 2, 4]:
                whole_cache.append(operation.type)
            if dims[1:] == [11, 2, 4]:
                block_cache.append(operation.type)
    assert whole_cache == ["TensorScatterUpdate"]
    assert block_cache == []


def test_the_block_step_writes_its_cache_at_each_rows_index():
    decoder = make_decoder()
    decoder(IDS)  # builds the blocks
    block = decoder.blocks[0]
    rng = np.random.default_rng(3)
    keys, values = (rng.normal(size=(2, 5, 2, 4)).astype("float32") for _ in range(2))
    x = rng.normal(size=(2, 1, 8)).astype("float32")
    index = np.array([1, 3], "int32")
    outputs, new_keys, new_values = block.step(x, keys, values, index)
    new_keys, new_values = as_numpy(new_keys), as_numpy(new_values)
    for row, position in enumerate(index):
        np.testing.assert_allclose(new_keys[row, position], as_numpy(block.self_key(x))[row, 0], atol=1e-6)
        np.testing.assert_allclose(new_values[row, position], as_numpy(block.self_value(x))[row, 0], atol=1e-6)
        others = np.arange(5) != position
        np.testing.assert_array_equal(new_keys[row, others], keys[row, others])
        np.testing.assert_array_equal(new_values[row, others], values[row, others])
    # The same outputs as attending over the written cache, positions <= index only.
    visible = np.arange(5)[None, :] <= index[:, None]
    expected = block._attend(
        block.self_query(x), new_keys, new_values, visible[:, None, :], False
    )[0]
    attended = as_numpy(block.self_output(expected)) + x  # post-norm residual
    np.testing.assert_allclose(
        as_numpy(outputs),
        as_numpy(block._feedforward(block.self_attention_norm(attended), False)),
        atol=1e-5,
    )


def test_a_cache_length_known_only_at_run_time_gives_the_same_steps():
    # The language model sizes its cache to a batch's prompt plus its request, a
    # length the graph learns only when it runs; the steps must not change.
    import tensorflow as tf

    decoder = make_decoder()
    prompts = pad([[2, 4, 7], [2, 5, 1, 8, 6]], 5)
    columns = [np.array([9, 3], "int32"), np.array([1, 4], "int32")]

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def run(length):
        logits, cache = decoder.prime(prompts, max_length=length)
        outputs = [logits]
        for column in columns:
            logits, cache = decoder.step(column, cache)
            outputs.append(logits)
        return tf.stack(outputs), tf.shape(cache["key_value"])[3]

    expected, _ = run(tf.constant(12))
    for length, cache_length in ((7, 7), (100, 12), (3, 3)):
        if length == 3:
            # Shorter than the prompts: the cache still holds them, then is full.
            with pytest.raises(tf.errors.InvalidArgumentError, match="cache is full"):
                run(tf.constant(length))
            continue
        stepped, held = run(tf.constant(length))
        assert int(held) == cache_length
        np.testing.assert_allclose(as_numpy(stepped), as_numpy(expected), atol=1e-5)
