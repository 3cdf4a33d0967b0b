"""Text generation for a language model as one compiled TensorFlow function.

`LanguageModelGenerator` holds a preprocessor and a decoder; its `generate`
tokenises the prompts, primes the decoder on them in one pass, samples with
`seqzoo.tasks.common.samplers.sample` from the primed state (recurrent state or
key/value cache, so each new token costs one step) and detokenises, all in
the graph. `seqzoo generate` calls this function, and the exported SavedModel
is this module, so both give the same text for the same seed.

Details a user sees:

- Every prompt is preceded by a boundary token: a newline at character level
  (when the vocabulary has one), [START] at word and subword level (the
  training stream puts [START] before every paragraph). An empty prompt
  therefore starts a new paragraph.
- The seed is per request: the batch is sampled in one loop, but row `i`
  draws its random numbers from the stateless seed `seed[i]` alone, so a
  request gives the same text whatever else shares its batch and wherever it
  sits in it.
- Settings (`max_tokens`, `temperature`, `top_k`, `top_p`, `seed`) are
  vectors `[batch]` or one-element vectors applied to every row.
  `temperature` 0 decodes greedily.
- Requests are validated in the graph: `max_tokens` in 0..`MAX_TOKENS_LIMIT`,
  `temperature` finite and >= 0, `top_k` >= 0, `top_p` in (0, 1], and each
  setting one value or one per prompt. A bad request fails with an
  InvalidArgumentError naming the input before anything is generated.
- A Transformer sees at most `context_length` positions: `max_tokens` is cut
  to `context_length - 1` and a longer prompt keeps its last tokens.
- [PAD] and [END] are never generated (never targets in training), nor
  [START] at character level.
- `text` is the continuation only, without the prompt.
"""

from __future__ import annotations

import tensorflow as tf

from seqzoo.data.vocabulary import END_ID, PAD_ID, START_ID
from seqzoo.tasks.common.samplers import sample

_SUPPRESSED = -1e9

# The most tokens one request may ask for (a served request must not run for hours).
MAX_TOKENS_LIMIT = 10_000


def _spec(dtype, name):
    return tf.TensorSpec([None], dtype, name=name)


class LanguageModelGenerator(tf.Module):
    """Prompts in, generated text out, in one graph (exportable as a SavedModel).

    Args:
        preprocessor: the run's `TextPreprocessor`.
        decoder: a `RecurrentDecoder` or `TransformerDecoder`.
        default_top_k: top-k of the `serve` signature (0 keeps all tokens).
        default_top_p: top-p of the `serve` signature (1.0 keeps all tokens).

    Examples:

    >>> from seqzoo.data.text_preprocessor import TextPreprocessor
    >>> from seqzoo.zoo import RecurrentDecoder
    >>> preprocessor = TextPreprocessor.adapt(["abc\\n"], level="char")
    >>> decoder = RecurrentDecoder(preprocessor.vocabulary_size, 4, "gru", units=4)
    >>> generator = LanguageModelGenerator(preprocessor, decoder)
    >>> out = generator.generate(tf.constant(["ab", ""]), tf.constant([5]),
    ...                          tf.constant([0.0]), tf.constant([0]),
    ...                          tf.constant([1.0]), tf.constant([1]))
    >>> out["token_ids"].shape.as_list(), out["text"].shape.as_list()
    ([2, 5], [2])
    """

    def __init__(self, preprocessor, decoder, default_top_k: int = 0, default_top_p: float = 1.0,
                 max_tokens_limit: int = MAX_TOKENS_LIMIT):
        super().__init__(name="seqzoo_language_model")
        self.max_tokens_limit = int(max_tokens_limit)
        self.preprocessor = preprocessor
        self.decoder = decoder
        self.default_top_k = int(default_top_k)
        self.default_top_p = float(default_top_p)
        vocabulary = preprocessor.vocabulary
        self.boundary_id = START_ID
        if preprocessor.level == "char" and "\n" in vocabulary.tokens:
            self.boundary_id = vocabulary.id_of("\n")
        suppressed = [PAD_ID, END_ID] + ([START_ID] if preprocessor.level == "char" else [])
        bias = [0.0] * preprocessor.vocabulary_size
        for index in suppressed:
            bias[index] = _SUPPRESSED
        self.logit_bias = tf.constant(bias, tf.float32)
        self.context_length = getattr(decoder, "max_length", None)

    # ------------------------------------------------------------- graph
    def step(self, token_ids, state):
        """One decoder step, `(token_ids [batch], state) -> (logits, state)`, with the
        generator's logit bias ([PAD] and [END] never chosen): the step the samplers
        drive here, and the portable export's `decoder_step`."""
        return self._step(token_ids, state)

    def _step(self, token_ids, state):
        logits, state = self.decoder.step(token_ids, state)
        return logits + self.logit_bias, state

    def _sampling_step(self, token_ids, state):
        """`_step` for a batch whose rows ask for different numbers of tokens.

        The batch runs as long as its longest request, so a Transformer row past its own
        `max_tokens` (its tokens are dropped) would step past the end of its cache: it
        keeps writing the cache's last position instead. Rows within their own
        `max_tokens` never reach it (the prompt is cut, and the cache sized, to leave
        them room).
        """
        if isinstance(state, dict) and "index" in state and "key_value" in state:
            last = tf.shape(state["key_value"])[3] - 1
            state = dict(state, index=tf.minimum(state["index"], last))
        return self._step(token_ids, state)

    def _prompt_ids(self, prompt, max_tokens):
        """Boundary token + prompt ids, right-padded; `max_tokens` cut to fit a context."""
        ids = self.preprocessor(prompt)
        boundary = tf.fill([ids.nrows(), 1], tf.constant(self.boundary_id, tf.int32))
        ids = tf.concat([boundary, ids], axis=1)
        if self.context_length is not None:
            max_tokens = tf.minimum(max_tokens, self.context_length - 1)
            lengths = tf.cast(ids.row_lengths(), tf.int32)
            keep = tf.minimum(lengths, self.context_length - max_tokens)
            starts = tf.cast(ids.row_starts(), tf.int32) + lengths - keep
            positions = tf.ragged.range(starts, starts + keep)
            ids = tf.RaggedTensor.from_row_lengths(
                tf.gather(ids.flat_values, positions.flat_values), keep
            )
        return ids.to_tensor(default_value=PAD_ID), max_tokens

    def _prime(self, ids, longest):
        if self.context_length is not None:
            # The cache holds the batch's widest prompt and its longest request, not
            # the whole context: a step copies the cache once, so a short request
            # over a long context would pay for positions it never reaches.
            needed = tf.shape(ids)[1] + longest
            return self.decoder.prime(ids, max_length=tf.minimum(needed, self.context_length))
        return self.decoder.prime(ids)

    def _checked(self, prompt, max_tokens, temperature, top_k, top_p, seed):
        """The request, validated in the graph before any of it is used.

        A bad request (a setting out of range, NaN or infinite, or a settings vector
        whose length is neither 1 nor the batch of `prompt`) fails with an
        InvalidArgumentError whose message names the input; nothing downstream runs.
        An empty settings vector still means the default (1), as before.
        """
        requests = tf.shape(prompt)[0]
        settings = {"max_tokens": max_tokens, "temperature": temperature, "top_k": top_k,
                    "top_p": top_p, "seed": seed}
        checks = []
        for name, value in settings.items():
            size = tf.size(value)
            checks.append(tf.debugging.assert_equal(
                (size <= 1) | tf.equal(size, requests), True,
                message=f"{name} must have one value or one per prompt (the batch of prompt)",
            ))
        ranges = (
            ((max_tokens >= 0) & (max_tokens <= self.max_tokens_limit),
             f"max_tokens must be between 0 and {self.max_tokens_limit}"),
            (tf.math.is_finite(temperature) & (temperature >= 0.0),
             "temperature must be a finite number >= 0 (0 is greedy)"),
            (top_k >= 0, "top_k must be >= 0 (0 keeps every token)"),
            ((top_p > 0.0) & (top_p <= 1.0), "top_p must be in (0, 1] (1 keeps every token)"),
        )
        for valid, message in ranges:
            checks.append(tf.debugging.assert_equal(tf.reduce_all(valid), True, message=message))
        # Everything below reads the inputs through these identities, so it runs only
        # once every check has passed.
        with tf.control_dependencies([check for check in checks if check is not None]):
            return tuple(tf.identity(value) for value in
                         (prompt, max_tokens, temperature, top_k, top_p, seed))

    def _generate(self, prompt, max_tokens, temperature, top_k, top_p, seed):
        prompt, max_tokens, temperature, top_k, top_p, seed = self._checked(
            prompt, max_tokens, temperature, top_k, top_p, seed
        )
        # An empty batch (TensorFlow Serving may send one) runs one empty prompt and
        # returns no rows.
        requests = tf.shape(prompt)[0]
        prompt = tf.concat([prompt, [""]], 0)[: tf.maximum(requests, 1)]
        batch = tf.shape(prompt)[0]

        def per_row(value, dtype):
            # One value (an empty vector means 1) or one per prompt, as `_checked` ensured.
            value = tf.cast(value, dtype)
            value = tf.concat([value, tf.ones([1], dtype)], 0)[: tf.maximum(tf.size(value), 1)]
            return tf.broadcast_to(value, [batch])

        max_tokens = tf.maximum(per_row(max_tokens, tf.int32), 0)
        ids, max_tokens = self._prompt_ids(prompt, max_tokens)
        longest = tf.maximum(tf.reduce_max(tf.concat([max_tokens, [1]], 0)), 1)
        logits, state = self._prime(ids, longest)
        logits = logits + self.logit_bias
        # One sampler over the whole batch, for as many tokens as its longest row wants;
        # each row draws from its own seed's stream only (see `sample`), and its tokens
        # past its own max_tokens are dropped.
        tokens = sample(
            self._sampling_step, state, None, longest, end_id=None,
            temperature=per_row(temperature, tf.float32), top_k=per_row(top_k, tf.int32),
            top_p=per_row(top_p, tf.float32), seed=per_row(seed, tf.int32),
            initial_logits=logits,
        )
        tokens = tokens * tf.cast(tf.range(longest)[None, :] < max_tokens[:, None], tf.int32)
        tokens = tf.reshape(tokens, [batch, longest])[:requests]
        return {"text": self.preprocessor.detokenize(tokens), "token_ids": tokens}

    @tf.function(input_signature=[
        _spec(tf.string, "prompt"), _spec(tf.int32, "max_tokens"),
        _spec(tf.float32, "temperature"), _spec(tf.int32, "top_k"),
        _spec(tf.float32, "top_p"), _spec(tf.int32, "seed"),
    ])
    def generate(self, prompt, max_tokens, temperature, top_k, top_p, seed):
        """Generated text for each prompt, with every sampling setting.

        Args:
            prompt: string `[batch]`.
            max_tokens: int32 `[batch]` or `[1]`, tokens to generate.
            temperature: float32 `[batch]` or `[1]`, finite and >= 0; 0 is greedy.
            top_k: int32 `[batch]` or `[1]`; 0 keeps every token.
            top_p: float32 `[batch]` or `[1]`; 1.0 keeps every token.
            seed: int32 `[batch]` or `[1]`.

        Returns:
            `{"text": string [batch], "token_ids": int32 [batch, max(max_tokens)]}`
            (ids past a row's `max_tokens` are 0).
        """
        return self._generate(prompt, max_tokens, temperature, top_k, top_p, seed)

    @tf.function(input_signature=[
        _spec(tf.string, "prompt"), _spec(tf.int32, "max_tokens"),
        _spec(tf.float32, "temperature"), _spec(tf.int32, "seed"),
    ])
    def serve(self, prompt, max_tokens, temperature, seed):
        """The `serving_default` signature: `generate` with the export's top-k and top-p."""
        outputs = self._generate(
            prompt, max_tokens, temperature,
            tf.constant([self.default_top_k], tf.int32),
            tf.constant([self.default_top_p], tf.float32), seed,
        )
        return {"text": outputs["text"]}
