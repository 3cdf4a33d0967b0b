"""Decoding loops written once over a decoder's one-step call.

Every generating template (language model, translation, captioning) drives its decoder
through the same two functions:

- `sample`: greedy decoding and temperature / top-k / top-p (nucleus) sampling;
- `beam_search`: beam search with the GNMT length penalty and n-best lists.

Both take a *step function*

    step_fn(token_ids: int32 [batch], state) -> (logits float32 [batch, vocab], new_state)

where `state` is any nested structure of tensors whose first dimension is the batch (beam
search tiles it to `batch * beam_size` rows and reorders it with `tf.gather` on that
axis, so nothing else may sit in front). With `collect_extras=True` the step function
returns a third value, a tensor `[batch, ...]` such as attention weights, which is
collected per generated token.

The loops are `tf.while_loop`s: inside a `tf.function` (for example a SavedModel
serving function with an unknown batch size) they become part of that graph; called
eagerly they are wrapped in a `tf.function` here, so no Python code runs per token
(each eager call traces anew: wrap repeated generation in your own `tf.function`).
The step function is traced once, for an unknown batch size, so it must not rely on
the static batch size of its inputs.
Generation stops early once every row has produced `end_id`; tokens after `end_id` are
0 (padding).

A decoder that has already read a prompt (e.g. `decoder.prime(prompt)`) hands over the
logits for the first new token as `initial_logits`; otherwise the first step function
call reads `start_ids` (typically the start token).

Examples:

>>> import tensorflow as tf
>>> table = tf.math.log(tf.constant([[0.1, 0.1, 0.1, 0.7],
...                                  [0.1, 0.1, 0.7, 0.1],
...                                  [0.1, 0.1, 0.1, 0.7],
...                                  [0.1, 0.1, 0.7, 0.1]]))
>>> def step_fn(token_ids, state):  # a bigram model: logits depend on the last token
...     return tf.gather(table, token_ids), state
>>> state = tf.zeros([2, 1])
>>> sample(step_fn, state, tf.constant([2, 3]), 4, end_id=1, greedy=True).numpy().tolist()
[[3, 2, 3, 2], [2, 3, 2, 3]]
>>> ids, scores = beam_search(step_fn, state, tf.constant([2, 3]), 4, end_id=1, beam_size=2)
>>> ids.shape.as_list(), scores.shape.as_list()
([2, 1, 4], [2, 1])

References:
    - Holtzman et al. 2019, "The Curious Case of Neural Text Degeneration" (top-p),
      https://arxiv.org/abs/1904.09751
    - Wu et al. 2016, "Google's Neural Machine Translation System" (length penalty),
      https://arxiv.org/abs/1609.08144
    - Graves 2013, "Generating Sequences With Recurrent Neural Networks",
      https://arxiv.org/abs/1308.0850
"""

from __future__ import annotations

from typing import Any, Callable

import tensorflow as tf

__all__ = ["sample", "beam_search", "gnmt_length_penalty"]

StepFn = Callable[..., tuple]

_NEG_INF = float("-inf")
_FLOAT_MAX = 3.4028234663852886e38  # the largest finite float32
_FLOAT_MIN = 1.1754943508222875e-38  # the smallest normal float32
# Top-p without top-k: logits are bucketed this many nats apart below the row maximum
# to bound the nucleus size before sorting (the last bucket takes the rest).
_BUCKET_NATS = 0.5
_BUCKETS = 64
_MASS_MARGIN = 1e-4
# The categorical draw walks the CDF in blocks of this many tokens (fixed positions, so a
# row's sums do not depend on the width its batch was cut to).
_DRAW_BLOCK = 128


def gnmt_length_penalty(length, alpha):
    """GNMT length penalty `((5 + length) / 6) ** alpha` (Wu et al. 2016, eq. 14).

    Args:
        length: number of generated tokens (END included), a number or tensor.
        alpha: strength; 0 gives 1 (raw log-probabilities are compared).

    Examples:

    >>> float(gnmt_length_penalty(1, 0.6))
    1.0
    """
    length = tf.cast(length, tf.float32)
    return tf.pow((5.0 + length) / 6.0, tf.cast(alpha, tf.float32))


# ---------------------------------------------------------------------------
# helpers


def _call_step(step_fn, token_ids, state, collect_extras):
    """Calls step_fn and normalises its result to (float32 logits, state, extras|None)."""
    result = step_fn(token_ids, state)
    if collect_extras:
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise ValueError(
                "with collect_extras=True, step_fn must return (logits, new_state, extras)"
            )
        logits, new_state, extras = result
        extras = tf.convert_to_tensor(extras)
    else:
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError(
                "step_fn must return (logits, new_state); pass collect_extras=True when it "
                "also returns extras"
            )
        logits, new_state = result
        extras = None
    return tf.cast(logits, tf.float32), new_state, extras


def _relaxed_shape(tensor):
    """Shape invariant with an unknown batch: beam search changes batch to batch*beam."""
    shape = tensor.shape
    if shape.rank is None or shape.rank == 0:
        return shape
    return tf.TensorShape([None]).concatenate(shape[1:])


def _per_row(value, batch_size, dtype):
    """A scalar or [batch] value as a [batch] tensor (per-request settings when serving)."""
    value = tf.cast(value, dtype)
    if value.shape.rank == 0:
        return tf.fill([batch_size], value)
    return tf.broadcast_to(tf.reshape(value, [-1]), [batch_size])


def _traced_once(step_fn, initial_state):
    """step_fn as a tf.function traced once for any batch size.

    The samplers call the step function before their loop and inside it (and beam
    search with `batch` rows, then `batch * beam_size`); a relaxed signature lets
    both calls share one trace, which halves the tracing time of a Keras decoder.
    """
    state_spec = tf.nest.map_structure(
        lambda t: tf.TensorSpec(_relaxed_shape(t), t.dtype), initial_state
    )
    return tf.function(step_fn, input_signature=[tf.TensorSpec([None], tf.int32), state_spec])


def _first_logits(step_fn, initial_state, start_ids, initial_logits, collect_extras):
    """Logits for the first new token: from a primed decoder, or one step from start_ids."""
    if initial_logits is not None:
        if collect_extras:
            raise ValueError(
                "collect_extras needs the step function to produce the first token's "
                "extras; pass start_ids instead of initial_logits"
            )
        return tf.cast(initial_logits, tf.float32), initial_state, None
    if start_ids is None:
        raise ValueError("pass start_ids (the first input token) or initial_logits")
    start_ids = tf.cast(tf.convert_to_tensor(start_ids), tf.int32)
    return _call_step(step_fn, start_ids, initial_state, collect_extras)


def _run_compiled(fn):
    """Runs fn as a graph: inline under tf.function, wrapped in one when eager."""
    if tf.executing_eagerly():
        return tf.function(fn)()
    return fn()


def _pad_time(tensor, length, axis):
    """Zero-pads `tensor` along `axis` up to `length` (early stopping leaves it shorter)."""
    missing = length - tf.shape(tensor)[axis]
    paddings = tf.one_hot(axis, tensor.shape.rank, dtype=tf.int32)[:, None] * [[0, 1]]
    return tf.pad(tensor, paddings * missing)


def _unknown_dims(tensor):
    """Shape invariant keeping only the rank (beam buffers change no shape, but their
    static dimensions may be lost through the first expansion)."""
    return tf.TensorShape([None] * tensor.shape.rank)


# ---------------------------------------------------------------------------
# sampling


def _row_uniforms(seed, rows, length):
    """Random numbers in (0, 1], float32 `[rows, length]`: column `i` is step `i`'s.

    Row `r` reads its own stateless stream only: seed `(seed[r], 0)` for a `[rows]` seed,
    `(seed, r)` for a scalar one (rows of one call then differ), a drawn scalar for None.
    Element `i` of a Philox stream does not depend on the stream's length, so a row gets
    the same numbers in a short call as in a long one, alone or in any batch position.
    Drawn once per call, row by row (the stateless ops take one seed each), never per step.
    """
    if seed is None:
        seed = tf.random.uniform([], 0, 2**31 - 1, dtype=tf.int64)
    seed = tf.cast(seed, tf.int64)
    if seed.shape.rank == 0:
        keys = tf.stack([tf.fill([rows], seed), tf.range(rows, dtype=tf.int64)], axis=1)
    else:
        seed = tf.broadcast_to(tf.reshape(seed, [-1]), [rows])
        keys = tf.stack([seed, tf.zeros([rows], tf.int64)], axis=1)
    # 1 - u: never 0, so the categorical draw's threshold is above 0.
    return 1.0 - tf.map_fn(
        lambda key: tf.random.stateless_uniform([length], key),
        keys, fn_output_signature=tf.TensorSpec([None], tf.float32),
    )


def _categorical(logits, uniform):
    """One id per row drawn from softmax(logits), the row's CDF inverted at `uniform`.

    `tf.random.stateless_categorical` draws every row from one seed, so a row's token
    depends on its position in the batch; here row `r` uses `uniform[r]` (in (0, 1])
    only. The CDF is walked in blocks at fixed positions: sums per block, a running sum
    over the blocks to find the one that holds the threshold, then a running sum inside
    it (two passes over the vocabulary; `tf.math.cumsum` over all of it is several times
    slower on CPU). Fixed blocks keep a row's sums the same whatever width its batch was
    cut to, as padding adds only zeros.
    """
    width = logits.shape[-1]
    if width is None:
        width = tf.shape(logits)[-1]
    blocks = (width + _DRAW_BLOCK - 1) // _DRAW_BLOCK
    weights = tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True))
    weights = tf.pad(weights, [[0, 0], [0, blocks * _DRAW_BLOCK - width]])
    weights = tf.reshape(weights, [-1, blocks, _DRAW_BLOCK])
    block_sums = tf.reduce_sum(weights, axis=-1)
    ends = tf.math.cumsum(block_sums, axis=-1)
    starts = tf.math.cumsum(block_sums, axis=-1, exclusive=True)
    threshold = uniform[:, None] * ends[:, -1:]  # in (0, total]
    # The first block, then the first token, whose running sum reaches the threshold.
    block = tf.searchsorted(ends, threshold, out_type=tf.int32)
    inside = tf.math.cumsum(tf.gather(weights, block[:, 0], batch_dims=1), axis=-1)
    # Kept within (0, the block's running total] against rounding, so that the token
    # found has a weight above 0.
    rest = tf.clip_by_value(
        threshold - tf.gather(starts, block, batch_dims=1), _FLOAT_MIN, inside[:, -1:]
    )
    offset = tf.searchsorted(inside, rest, out_type=tf.int32)
    return (block * _DRAW_BLOCK + offset)[:, 0]


def _nucleus_bound(scaled, log_normalizer, top_p):
    """An upper bound on each row's nucleus size, from one pass over the vocabulary.

    Tokens fall into buckets of `_BUCKET_NATS` below the row's largest logit; the tokens
    of the first buckets whose mass reaches p (plus a margin for rounding) contain the
    nucleus, so a `top_k` cut to their count needs no full sort when the distribution
    is peaked. A flat distribution gives the whole vocabulary.
    """
    batch_size, vocabulary_size = tf.shape(scaled)[0], tf.shape(scaled)[1]
    below_max = tf.reduce_max(scaled, axis=-1, keepdims=True) - scaled
    bucket = tf.cast(tf.minimum(below_max / _BUCKET_NATS, _BUCKETS - 1), tf.int32)
    segments = bucket + tf.range(batch_size)[:, None] * _BUCKETS
    probabilities = tf.exp(scaled - log_normalizer[:, None])
    mass = tf.math.unsorted_segment_sum(probabilities, segments, batch_size * _BUCKETS)
    count = tf.math.unsorted_segment_sum(
        tf.ones_like(segments), segments, batch_size * _BUCKETS
    )
    mass = tf.math.cumsum(tf.reshape(mass, [batch_size, _BUCKETS]), axis=-1)
    count = tf.math.cumsum(tf.reshape(count, [batch_size, _BUCKETS]), axis=-1)
    enough = mass >= tf.minimum(top_p[:, None] + _MASS_MARGIN, 1.0)
    first = tf.argmax(tf.cast(enough, tf.int32), axis=-1, output_type=tf.int32)
    bound = tf.where(
        tf.reduce_any(enough, axis=-1), tf.gather(count, first, batch_dims=1), vocabulary_size
    )
    return tf.minimum(bound, vocabulary_size)


def _filter_and_sample(logits, temperature, top_k, top_p, filtered, uniform):
    """One token per row: greedy where temperature <= 0, else sampling as configured.

    Only the top of the vocabulary is sorted: `tf.math.top_k` cuts every row to the
    largest top-k of the batch (or to a bound on the nucleus of rows with top-p alone),
    so no step pays for a full sort unless a flat distribution's nucleus needs one.
    `uniform` `[batch]` holds each row's random number for this step.
    """
    greedy_rows = temperature <= 0.0
    greedy_ids = tf.cond(
        tf.reduce_any(greedy_rows),
        lambda: tf.argmax(logits, axis=-1, output_type=tf.int32),
        lambda: tf.zeros([tf.shape(logits)[0]], tf.int32),
    )
    scaled = logits / tf.where(greedy_rows, 1.0, temperature)[:, None]
    # A tiny temperature can overflow the scaled logits to +-inf, whose categorical
    # draw is garbage (an id past the vocabulary); finite values pass unchanged.
    scaled = tf.clip_by_value(scaled, -_FLOAT_MAX, _FLOAT_MAX)
    if not filtered:
        return tf.where(greedy_rows, greedy_ids, _categorical(scaled, uniform))
    vocabulary_size = tf.shape(scaled)[-1]
    top_k_rows = ~greedy_rows & (top_k > 0)
    nucleus_only_rows = ~greedy_rows & (top_k <= 0) & (top_p < 1.0)
    plain_rows = ~greedy_rows & (top_k <= 0) & (top_p >= 1.0)

    def plain_draw():
        return _categorical(scaled, uniform)

    def filtered_draw():
        # Rows without top-k renormalise over the whole vocabulary, so the nucleus of
        # those needs the full log-normaliser (one pass, no sort).
        log_normalizer = tf.cond(
            tf.reduce_any(nucleus_only_rows),
            lambda: tf.reduce_logsumexp(scaled, axis=-1),
            lambda: tf.zeros([tf.shape(scaled)[0]]),
        )
        k = tf.where(top_k_rows, tf.minimum(top_k, vocabulary_size), 0)
        nucleus_bound = tf.cond(
            tf.reduce_any(nucleus_only_rows),
            lambda: _nucleus_bound(scaled, log_normalizer, top_p),
            lambda: tf.zeros_like(k),
        )
        # Cut every row to the largest size any row needs; only that part is sorted.
        cut = tf.maximum(
            tf.reduce_max(tf.where(nucleus_only_rows, nucleus_bound, k)), 1
        )

        def sorted_part(size):
            return tf.math.top_k(scaled, k=size)

        def keep_mask(sorted_logits):
            # Filter in sorted order (ties keep the lower id first, like top_k): the
            # boundary then keeps exactly k tokens, and top-k=1 is greedy decoding.
            ranks = tf.range(tf.shape(sorted_logits)[-1])[None, :]
            keep = ranks < tf.where(top_k_rows, k, vocabulary_size)[:, None]
            kept = tf.where(keep, sorted_logits, _NEG_INF)
            normalizer = tf.where(
                top_k_rows, tf.reduce_logsumexp(kept, axis=-1), log_normalizer
            )
            probabilities = tf.exp(kept - normalizer[:, None])
            # Nucleus: the smallest prefix whose mass reaches p (Holtzman et al. 2019).
            mass_before = tf.math.cumsum(probabilities, axis=-1, exclusive=True)
            keep = keep & ((mass_before < top_p[:, None]) | (ranks == 0))
            return keep, mass_before[:, -1] + probabilities[:, -1]

        sorted_logits, sorted_ids = sorted_part(cut)
        keep, cut_mass = keep_mask(sorted_logits)
        # The bound is computed in another summation order than the sorted prefix: a
        # nucleus that rounding pushed past the cut is redone over the full sort.
        short = nucleus_only_rows & (cut_mass < top_p) & (cut < vocabulary_size)

        def full_sort():
            sorted_logits, sorted_ids = sorted_part(vocabulary_size)
            return keep_mask(sorted_logits)[0], sorted_logits, sorted_ids

        keep, sorted_logits, sorted_ids = tf.cond(
            tf.reduce_any(short),
            full_sort,
            lambda: (keep, sorted_logits, sorted_ids),
        )
        choice = _categorical(tf.where(keep, sorted_logits, _NEG_INF), uniform)
        return tf.gather(sorted_ids, choice, batch_dims=1)

    batch_size = tf.shape(scaled)[0]
    no_draw = lambda: tf.zeros([batch_size], tf.int32)  # noqa: E731
    sampled = tf.cond(tf.reduce_any(plain_rows), plain_draw, no_draw)
    sampled = tf.where(
        plain_rows, sampled,
        tf.cond(tf.reduce_any(top_k_rows | nucleus_only_rows), filtered_draw, no_draw),
    )
    return tf.where(greedy_rows, greedy_ids, sampled)


def sample(
    step_fn: StepFn,
    initial_state: Any,
    start_ids,
    max_new_tokens,
    end_id,
    temperature=1.0,
    top_k=0,
    top_p=1.0,
    seed=None,
    greedy: bool = False,
    collect_extras: bool = False,
    initial_logits=None,
):
    """Generates tokens one at a time: greedy, or temperature / top-k / top-p sampling.

    Args:
        step_fn: `(token_ids int32 [batch], state) -> (logits [batch, vocab], new_state)`,
            or `(logits, new_state, extras)` with `collect_extras=True`.
        initial_state: nested structure of tensors with the batch as first dimension.
        start_ids: int32 `[batch]`, the first input token (e.g. the start token); may be
            None when `initial_logits` is given.
        max_new_tokens: number of tokens to generate (int or scalar tensor).
        end_id: token that ends a row (it is kept in the output; later tokens are 0).
            None never ends early.
        temperature: divides the logits; scalar or `[batch]`. A row with
            temperature <= 0 is decoded greedily.
        top_k: keep the k most likely tokens (0 keeps all); scalar or `[batch]` int.
        top_p: keep the smallest set of most likely tokens whose probability reaches p
            (1.0 keeps all; the most likely token is always kept); scalar or `[batch]`.
            Applied after temperature and top-k.
        seed: int, scalar int tensor, or int `[batch]` tensor (one seed per row). Row `r`
            draws from its own stateless stream, `(seed[r], 0)` for a `[batch]` seed and
            `(seed, r)` for a scalar, step `i` taking element `i`: a row with the same
            seed, logits and settings gives the same tokens at any batch size, in any
            position and beside any other rows. None draws a fresh seed per call.
        greedy: take the argmax at every step (ignores the sampling settings).
        collect_extras: step_fn returns a third value `[batch, ...]` per step,
            collected into `[batch, max_new_tokens, ...]` (zeros after a row ended).
        initial_logits: `[batch, vocab]` logits for the first new token, from a decoder
            that has read a prompt; then `initial_state` is the state after the prompt
            and no step is run for the first token.

    Returns:
        ids: int32 `[batch, max_new_tokens]`; with `collect_extras`, `(ids, extras)`.

    Examples:

    >>> import tensorflow as tf
    >>> step_fn = lambda ids, state: (tf.one_hot((ids + 1) % 5, 5) * 5.0, state)
    >>> sample(step_fn, tf.zeros([1, 1]), tf.constant([0]), 6, end_id=3,
    ...        greedy=True).numpy().tolist()
    [[1, 2, 3, 0, 0, 0]]

    References:
        Holtzman et al. 2019, https://arxiv.org/abs/1904.09751 (top-p sampling).
    """
    static_unfiltered = (
        isinstance(top_k, int) and top_k == 0
        and isinstance(top_p, (int, float)) and top_p >= 1.0
    )

    def run():
        state = tf.nest.map_structure(tf.convert_to_tensor, initial_state)
        traced_step = _traced_once(step_fn, state)
        logits, state, extras = _first_logits(
            traced_step, state, start_ids, initial_logits, collect_extras
        )
        batch_size = tf.shape(logits)[0]
        length = tf.cast(max_new_tokens, tf.int32)
        temperatures = _per_row(temperature, batch_size, tf.float32)
        top_ks = _per_row(top_k, batch_size, tf.int32)
        top_ps = _per_row(top_p, batch_size, tf.float32)
        uniforms = None if greedy else _row_uniforms(seed, batch_size, length)

        def choose(step, logits):
            if greedy:
                return tf.argmax(logits, axis=-1, output_type=tf.int32)
            return _filter_and_sample(
                logits, temperatures, top_ks, top_ps, not static_unfiltered,
                tf.gather(uniforms, step, axis=1),
            )

        def emit(step, logits, extras, finished, ids_array, extras_array):
            token = tf.where(finished, 0, choose(step, logits))
            ids_array = ids_array.write(step, token)
            if collect_extras:
                mask = tf.reshape(finished, [-1] + [1] * (extras.shape.rank - 1))
                extras_array = extras_array.write(
                    step, tf.where(mask, tf.zeros_like(extras), extras)
                )
            if end_id is not None:
                finished = finished | tf.equal(token, end_id)
            return token, finished, ids_array, extras_array

        ids_array = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
        extras_array = (
            tf.TensorArray(extras.dtype, size=0, dynamic_size=True) if collect_extras else ()
        )
        finished = tf.zeros([batch_size], tf.bool)
        token, finished, ids_array, extras_array = emit(
            0, logits, extras, finished, ids_array, extras_array
        )

        def cond(step, token, state, finished, ids_array, extras_array):
            return (step < length) & ~tf.reduce_all(finished)

        def body(step, token, state, finished, ids_array, extras_array):
            logits, state, extras = _call_step(traced_step, token, state, collect_extras)
            token, finished, ids_array, extras_array = emit(
                step, logits, extras, finished, ids_array, extras_array
            )
            return step + 1, token, state, finished, ids_array, extras_array

        loop_vars = (tf.constant(1), token, state, finished, ids_array, extras_array)
        invariants = (
            tf.TensorShape([]), tf.TensorShape([None]),
            tf.nest.map_structure(_relaxed_shape, state), tf.TensorShape([None]),
            tf.TensorShape(None), () if not collect_extras else tf.TensorShape(None),
        )
        # An unknown batch in the invariants keeps the loop valid for step functions
        # that lose static batch information.
        _, _, _, _, ids_array, extras_array = tf.while_loop(
            cond, body, loop_vars, shape_invariants=invariants
        )
        ids = _pad_time(tf.transpose(ids_array.stack()), length, axis=1)
        if isinstance(max_new_tokens, int):
            ids.set_shape([None, max_new_tokens])
        if not collect_extras:
            return ids
        stacked = extras_array.stack()
        perm = [1, 0] + list(range(2, stacked.shape.rank))
        collected = _pad_time(tf.transpose(stacked, perm), length, axis=1)
        return ids, collected

    if isinstance(max_new_tokens, int) and max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    return _run_compiled(run)


# ---------------------------------------------------------------------------
# beam search


def _gather_beams(tensor, beam_ids):
    """tensor [batch, beams, ...], beam_ids [batch, n] -> [batch, n, ...]."""
    return tf.gather(tensor, beam_ids, axis=1, batch_dims=1)


def _write_time(buffer, step, values):
    """buffer [batch, beams, time, ...] with values [batch, beams, ...] written at `step`."""
    length = tf.shape(buffer)[2]
    at_step = tf.equal(tf.range(length), step)
    at_step = tf.reshape(at_step, [1, 1, -1] + [1] * (buffer.shape.rank - 3))
    return tf.where(at_step, tf.expand_dims(values, 2), buffer)


def beam_search(
    step_fn: StepFn,
    initial_state: Any,
    start_ids,
    max_new_tokens,
    end_id,
    beam_size: int = 4,
    length_penalty: float = 0.6,
    n_best: int = 1,
    collect_extras: bool = False,
    initial_logits=None,
):
    """Beam search with the GNMT length penalty, returning the n best hypotheses.

    Each step extends the live hypotheses by every token and keeps the `beam_size`
    most probable continuations. A continuation that emits `end_id` (kept, counted in its
    length) leaves the beam as a finished hypothesis and stops growing; so do the live
    ones when they reach `max_new_tokens`. Finished hypotheses are ranked by
    `log P(Y) / ((5 + |Y|) / 6) ** length_penalty`, and the search stops once no live
    hypothesis can beat the `n_best`-th finished one. With `beam_size=1` this is greedy
    decoding.
    The decoder state is tiled to `batch * beam_size` rows (row `b * beam_size + j` is
    beam `j` of example `b`) and reordered with `tf.gather` every step.

    Args:
        step_fn: `(token_ids int32 [rows], state) -> (logits [rows, vocab], new_state)`,
            or with a third value `extras [rows, ...]` when `collect_extras=True`.
        initial_state: nested structure of tensors with the batch as first dimension.
        start_ids: int32 `[batch]` first input token; may be None with `initial_logits`.
        max_new_tokens: maximum length of a hypothesis (int or scalar tensor).
        end_id: token that finishes a hypothesis; None lets every beam run to the end.
        beam_size: number of live hypotheses per example (Python int).
        length_penalty: alpha of the GNMT penalty; 0 compares raw log-probabilities.
        n_best: how many hypotheses to return per example, best first (<= beam_size).
        collect_extras: also return the step function's extras along each hypothesis,
            `[batch, n_best, max_new_tokens, ...]`.
        initial_logits: `[batch, vocab]` logits for the first token from a primed
            decoder (then `initial_state` is the state after the prompt).

    Returns:
        `(ids int32 [batch, n_best, max_new_tokens], scores float32 [batch, n_best])`,
        scores being length-normalised log-probabilities (-inf where fewer than n_best
        hypotheses exist); with `collect_extras`, `(ids, scores, extras)`.

    Examples:

    >>> import tensorflow as tf
    >>> step_fn = lambda ids, state: (tf.one_hot((ids + 1) % 5, 5) * 5.0, state)
    >>> ids, scores = beam_search(step_fn, tf.zeros([1, 1]), tf.constant([0]), 6,
    ...                           end_id=3, beam_size=2, n_best=2)
    >>> ids[0, 0].numpy().tolist()
    [1, 2, 3, 0, 0, 0]

    References:
        Wu et al. 2016, https://arxiv.org/abs/1609.08144 (length penalty, eq. 14).
    """
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    if not isinstance(n_best, int) or not 1 <= n_best <= beam_size:
        raise ValueError(f"n_best must be an int between 1 and beam_size, got {n_best!r}")
    if isinstance(max_new_tokens, int) and max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
    k = beam_size

    def run():
        state = tf.nest.map_structure(tf.convert_to_tensor, initial_state)
        traced_step = _traced_once(step_fn, state)
        logits, state, extras = _first_logits(
            traced_step, state, start_ids, initial_logits, collect_extras
        )
        batch_size = tf.shape(logits)[0]
        vocabulary_size = tf.shape(logits)[1]
        length = tf.cast(max_new_tokens, tf.int32)
        max_penalty = tf.maximum(
            gnmt_length_penalty(1, length_penalty), gnmt_length_penalty(length, length_penalty)
        )

        # The first step expands beam 0 only: the other k-1 start at -inf.
        alive_logp = tf.tile(
            tf.concat([[0.0], tf.fill([k - 1], _NEG_INF)], 0)[None, :], [batch_size, 1]
        )
        alive_ids = tf.zeros([batch_size, k, length], tf.int32)
        finished_ids = tf.zeros([batch_size, k, length], tf.int32)
        finished_scores = tf.fill([batch_size, k], _NEG_INF)
        # State rows: example b, beam j -> b * k + j (every beam starts as the same row).
        state = tf.nest.map_structure(lambda s: tf.repeat(s, k, axis=0), state)
        log_probs = tf.tile(tf.nn.log_softmax(logits)[:, None, :], [1, k, 1])
        if collect_extras:
            extras = tf.tile(extras[:, None], [1, k] + [1] * (extras.shape.rank - 1))
            buffer_shape = tf.concat(
                [[batch_size, k, length], tf.shape(extras)[2:]], 0
            )
            alive_extras = tf.zeros(buffer_shape, extras.dtype)
            finished_extras = tf.zeros(buffer_shape, extras.dtype)
        else:
            alive_extras = finished_extras = ()

        def expand(step, log_probs, extras, alive):
            """Keeps the best k live and k finished hypotheses after one more token."""
            (alive_ids, alive_logp, alive_extras, state,
             finished_ids, finished_scores, finished_extras) = alive
            candidates = tf.reshape(alive_logp[:, :, None] + log_probs, [batch_size, -1])
            top_logp, top_index = tf.math.top_k(candidates, k=k)
            source = top_index // vocabulary_size
            token = top_index % vocabulary_size
            top_ids = _write_time(_gather_beams(alive_ids, source), step, token)
            if collect_extras:
                top_extras = _write_time(
                    _gather_beams(alive_extras, source), step, _gather_beams(extras, source)
                )
            ended = (
                tf.equal(token, end_id) if end_id is not None
                else tf.zeros_like(token, tf.bool)
            )

            # Continuations that ended leave the beam; their slots stay empty this step.
            alive_logp = tf.where(ended, _NEG_INF, top_logp)
            alive_ids = top_ids
            rows = tf.range(batch_size)[:, None] * k + source
            state = tf.nest.map_structure(
                lambda s: tf.gather(s, tf.reshape(rows, [-1])), state
            )
            next_tokens = tf.reshape(token, [-1])
            if collect_extras:
                alive_extras = top_extras

            # Finished pool: the k best of the old pool and the continuations that ended.
            new_scores = tf.where(
                ended, top_logp / gnmt_length_penalty(step + 1, length_penalty), _NEG_INF
            )
            finished_scores, keep = tf.math.top_k(
                tf.concat([finished_scores, new_scores], 1), k=k
            )
            finished_ids = _gather_beams(tf.concat([finished_ids, top_ids], 1), keep)
            if collect_extras:
                finished_extras = _gather_beams(
                    tf.concat([finished_extras, top_extras], 1), keep
                )
            alive = (alive_ids, alive_logp, alive_extras, state,
                     finished_ids, finished_scores, finished_extras)
            return next_tokens, alive

        alive = (alive_ids, alive_logp, alive_extras, state,
                 finished_ids, finished_scores, finished_extras)
        tokens, alive = expand(0, log_probs, extras, alive)

        def cond(step, tokens, alive):
            alive_logp, finished_scores = alive[1], alive[5]
            # Log-probabilities only fall, so the best any live beam can still reach is
            # its current log-probability under the largest penalty ahead.
            best_alive = tf.reduce_max(alive_logp, axis=1)
            settled = (best_alive / max_penalty < finished_scores[:, n_best - 1]) | (
                best_alive == _NEG_INF
            )
            return (step < length) & ~tf.reduce_all(settled)

        def body(step, tokens, alive):
            logits, state, extras = _call_step(traced_step, tokens, alive[3], collect_extras)
            log_probs = tf.reshape(tf.nn.log_softmax(logits), [batch_size, k, -1])
            if collect_extras:
                extras = tf.reshape(
                    extras, tf.concat([[batch_size, k], tf.shape(extras)[1:]], 0)
                )
            alive = alive[:3] + (state,) + alive[4:]
            tokens, alive = expand(step, log_probs, extras, alive)
            return step + 1, tokens, alive

        alive_invariants = tuple(
            tf.nest.map_structure(_relaxed_shape, part) if index == 3
            else tf.nest.map_structure(_unknown_dims, part)
            for index, part in enumerate(alive)
        )
        steps, _, alive = tf.while_loop(
            cond, body, (tf.constant(1), tokens, alive),
            shape_invariants=(tf.TensorShape([]), tf.TensorShape([None]), alive_invariants),
        )
        (alive_ids, alive_logp, alive_extras, _,
         finished_ids, finished_scores, finished_extras) = alive

        # Live beams that reached max_new_tokens are hypotheses too.
        alive_scores = alive_logp / gnmt_length_penalty(steps, length_penalty)
        scores, best = tf.math.top_k(tf.concat([finished_scores, alive_scores], 1), k=n_best)
        ids = _gather_beams(tf.concat([finished_ids, alive_ids], 1), best)
        ids = tf.reshape(ids, [batch_size, n_best, length])
        scores = tf.reshape(scores, [batch_size, n_best])
        if isinstance(max_new_tokens, int):
            ids.set_shape([None, n_best, max_new_tokens])
        if not collect_extras:
            return ids, scores
        collected = _gather_beams(tf.concat([finished_extras, alive_extras], 1), best)
        return ids, scores, collected

    return _run_compiled(run)
