"""A Transformer decoder: teacher-forced over sequences, or one cached step."""

import keras
import tensorflow as tf
from keras import ops

from seqzoo.zoo.transformer_decoder_block import TransformerDecoderBlock, write_cache
from seqzoo.zoo.transformer_stack import TransformerStack


@keras.saving.register_keras_serializable(package="seqzoo")
class TransformerDecoder(TransformerStack):
    """Predicts the next token with causal self-attention (the decoder of Vaswani et al.).

    Token vectors plus learned position vectors pass through `num_layers`
    `TransformerDecoderBlock`s; with `cross_attention` each block also
    attends to encoder outputs (translation, captioning). Two faces share
    every weight:

    - `call(token_ids [batch, time], encoder_outputs=None, encoder_mask=None)`
      returns `logits [batch, time, vocabulary_size]` for every position at
      once (teacher forcing). Position `i` sees tokens `<= i` that are not
      padding, so padding changes nothing at real positions.
    - `step(token_ids [batch], cache)` returns `(logits [batch,
      vocabulary_size], new_cache)` for one new token per row: the step
      function of `seqzoo.tasks.samplers`. Earlier positions' keys and values
      come from the cache, so a step costs one position, not the prefix.

    The cache is a dict of tensors, each with the batch first (beam search
    reorders it with `tf.gather` on that axis):

    - `"key_value"`: `[batch, num_layers, 2, cache_length, num_heads,
      head_dim]`, self-attention keys (`[:, :, 0]`) and values (`[:, :, 1]`)
      of the positions read so far, preallocated to `cache_length`;
    - `"index"`: int32 `[batch]`, the position the next token takes (rows of
      a primed batch sit at different positions);
    - with cross-attention, `"cross_key_value"`: `[batch, num_layers, 2,
      source_time, num_heads, head_dim]` (computed once from the encoder
      outputs) and `"encoder_mask"`: bool `[batch, source_time]`.

    `get_initial_cache(batch_size, ...)` gives an empty cache;
    `prime(token_ids, ...)` fills one from prompts in a single teacher-forced
    pass. Prompts are right-padded (each row's tokens first, then 0s), and
    every prompt has at least one token (e.g. the start token). A cache holds
    at most `cache_length <= max_length` positions; stepping beyond raises.

    Weight tying (Press and Wolf 2017) computes the logits with the
    transposed embedding matrix, `logits = x E^T + b`.

    Args:
        vocabulary_size: int. Number of token ids, padding included.
        embedding_dim: int. Model width `d`; divisible by `num_heads`.
        num_layers: int. Number of decoder blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. Hidden size of each feed-forward network.
        max_length: int. Longest sequence (one learned position vector each).
        dropout: float. Dropout on the embeddings and inside the blocks,
            during training.
        cross_attention: bool. Attend to encoder outputs in every block.
        tie_weights: bool. Share the embedding matrix with the output layer.
        norm_first: bool. Pre-norm blocks with a final layer norm (True) or
            post-norm blocks (False, as `TransformerEncoder`'s default).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Attributes:
        embedding: the `TokenEmbedding`.
        blocks: the `TransformerDecoderBlock`s, first to last.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo.transformer_decoder import TransformerDecoder
    >>> decoder = TransformerDecoder(10, embedding_dim=8, num_layers=1,
    ...                              num_heads=2, intermediate_dim=16,
    ...                              max_length=6)
    >>> ids = np.array([[2, 5, 6, 0], [2, 7, 0, 0]], dtype="int32")
    >>> tuple(decoder(ids).shape)
    (2, 4, 10)
    >>> last_logits, cache = decoder.prime(ids)   # continue after each prompt
    >>> cache["index"].numpy().tolist()
    [3, 2]
    >>> next_logits, cache = decoder.step(np.array([3, 4], "int32"), cache)
    >>> tuple(next_logits.shape), tuple(cache["key_value"].shape)
    ((2, 10), (2, 1, 2, 6, 2, 4))

    References:
        - [Vaswani et al., 2017. Attention Is All You Need](
          https://arxiv.org/abs/1706.03762)
        - [Radford et al., 2019. Language Models are Unsupervised Multitask
          Learners (GPT-2)](https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf)
        - [Press and Wolf, 2017. Using the Output Embedding to Improve
          Language Models](https://arxiv.org/abs/1608.05859)
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=128,
        num_layers=2,
        num_heads=4,
        intermediate_dim=256,
        max_length=512,
        dropout=0.1,
        cross_attention=False,
        tie_weights=False,
        norm_first=False,
        **kwargs,
    ):
        # === Layers (TransformerStack makes those before the output layer) ===
        super().__init__(
            vocabulary_size, embedding_dim, num_layers, num_heads, intermediate_dim,
            max_length, dropout, norm_first,
            block_class=TransformerDecoderBlock, block_name="decoder_block",
            block_options={"cross_attention": cross_attention}, **kwargs,
        )
        self.output_projection = None
        if not tie_weights:
            self.output_projection = keras.layers.Dense(
                vocabulary_size, dtype=self.dtype_policy, name="output_projection"
            )

        # === Config (beyond TransformerStack's) ===
        self.cross_attention = cross_attention
        self.tie_weights = tie_weights

    @property
    def head_dim(self):
        return self.embedding_dim // self.num_heads

    def build(self, token_ids_shape, encoder_outputs_shape=None, encoder_mask_shape=None):
        self.encoder_dim = None
        if self.cross_attention:
            # The width of the encoder outputs sizes the cross-attention keys.
            self.encoder_dim = (
                encoder_outputs_shape[-1] if encoder_outputs_shape else self.embedding_dim
            )
            encoder_outputs_shape = (None, None, self.encoder_dim)
        shape = self._build_stack(token_ids_shape, encoder_outputs_shape)
        if self.output_projection is not None:
            self.output_projection.build(shape)
        else:
            self.output_bias = self.add_weight(
                shape=(self.vocabulary_size,), initializer="zeros", name="output_bias"
            )

    def _build_once(self, encoder_outputs=None):
        # `step` and `prime` bypass `__call__`, which would build the layer.
        if not self.built:
            encoder_shape = None if encoder_outputs is None else tuple(encoder_outputs.shape)
            self.build((None, None), encoder_shape)
            self.built = True

    def get_build_config(self):
        # Only the encoder width matters to the weights; Keras records no
        # shape when `step` or `prime` built the layer.
        if not self.built:
            return None
        shapes = {"token_ids_shape": (None, None)}
        if self.cross_attention:
            shapes["encoder_outputs_shape"] = (None, None, self.encoder_dim)
        return {"shapes_dict": shapes}

    # --- teacher forcing -------------------------------------------------

    def _hidden(self, token_ids, encoder_outputs, encoder_mask, training, return_key_value):
        token_ids = ops.cast(token_ids, "int32")
        padding_mask = ops.not_equal(token_ids, 0)
        x = self._embed(token_ids, training)
        key_values = []
        for block in self.blocks:
            x = block(
                x,
                padding_mask=padding_mask,
                encoder_outputs=encoder_outputs,
                encoder_mask=encoder_mask,
                training=training,
                return_key_value=return_key_value,
            )
            if return_key_value:
                x, key_value = x
                key_values.append(key_value)
        return self._apply_final_norm(x), key_values

    def call(self, token_ids, encoder_outputs=None, encoder_mask=None, training=None):
        self._check_encoder(encoder_outputs)
        x, _ = self._hidden(token_ids, encoder_outputs, encoder_mask, training, False)
        return self._logits(x)

    def _logits(self, x):
        if self.output_projection is not None:
            logits = self.output_projection(x)
        else:
            embeddings = ops.cast(self.embedding.table(), x.dtype)
            logits = ops.matmul(x, ops.transpose(embeddings))
            logits = logits + ops.cast(self.output_bias, logits.dtype)
        # float32 logits keep the softmax and the samplers stable under
        # mixed precision.
        return ops.cast(logits, "float32")

    def _check_encoder(self, encoder_outputs):
        if self.cross_attention and encoder_outputs is None:
            raise ValueError("This decoder has cross_attention=True: pass encoder_outputs.")
        if not self.cross_attention and encoder_outputs is not None:
            raise ValueError(
                "encoder_outputs given to a decoder built with cross_attention=False."
            )

    # --- the cache -------------------------------------------------------

    def _cache_length(self, max_length):
        if max_length is not None and not isinstance(max_length, int):
            static = tf.get_static_value(max_length)
            if static is None:
                # A length known only when the graph runs (a batch's prompt plus
                # the tokens it asks for): kept within [1, max_length] there.
                return ops.clip(ops.cast(max_length, "int32"), 1, self.max_length)
            max_length = int(static)
        length = self.max_length if max_length is None else int(max_length)
        if not 1 <= length <= self.max_length:
            raise ValueError(
                f"A cache of {length} positions does not fit max_length="
                f"{self.max_length}."
            )
        return length

    def _cross_cache(self, encoder_outputs, encoder_mask):
        keys_values = [
            ops.stack(block.cross_key_value(encoder_outputs), axis=1)
            for block in self.blocks
        ]
        if encoder_mask is None:
            encoder_mask = ops.ones(ops.shape(encoder_outputs)[:2], dtype="bool")
        return {
            "cross_key_value": ops.stack(keys_values, axis=1),
            "encoder_mask": ops.cast(encoder_mask, "bool"),
        }

    def get_initial_cache(
        self, batch_size, max_length=None, encoder_outputs=None, encoder_mask=None
    ):
        """An empty cache for `batch_size` rows.

        Args:
            batch_size: int or scalar tensor.
            max_length: number of positions the cache holds (default and at
                most the decoder's `max_length`); an int, or a scalar tensor
                (clipped to `[1, max_length]`) when it is known only at run time.
            encoder_outputs: `[batch, source_time, encoder_dim]`, with
                cross-attention: their keys and values go into the cache, so
                that the samplers (beam search included) carry them along.
            encoder_mask: `[batch, source_time]` boolean, True at real source
                positions (all real when None).

        Returns:
            The cache dict described in the class docstring, `index` 0.
        """
        if encoder_outputs is not None:
            self._check_encoder(encoder_outputs)
        self._build_once(encoder_outputs)
        length = self._cache_length(max_length)
        cache = {
            "key_value": ops.zeros(
                (batch_size, self.num_layers, 2, length, self.num_heads, self.head_dim),
                dtype=self.compute_dtype,
            ),
            "index": ops.zeros((batch_size,), dtype="int32"),
        }
        if encoder_outputs is not None:
            cache.update(self._cross_cache(encoder_outputs, encoder_mask))
        return cache

    def prime(self, token_ids, max_length=None, encoder_outputs=None, encoder_mask=None):
        """Reads right-padded prompts in one pass and fills a cache with them.

        Args:
            token_ids: int `[batch, time]`, each row a prompt of at least one
                token, padded with 0 on the right.
            max_length: positions the cache holds (prompt plus the tokens to
                come; default and at most the decoder's `max_length`): an int,
                or a scalar tensor, clipped to `[token_ids' width, max_length]`.
                A step copies the cache once, so a cache no longer than the
                batch needs makes every step cheaper.
            encoder_outputs, encoder_mask: as for `get_initial_cache`.

        Returns:
            `(last_logits float32 [batch, vocabulary_size], cache)`: the
            logits after each row's last real token (those of the first new
            token), and the cache with `index` = each prompt's length.
        """
        self._check_encoder(encoder_outputs)
        self._build_once(encoder_outputs)
        length = self._cache_length(max_length)
        token_ids = ops.cast(token_ids, "int32")
        x, key_values = self._hidden(token_ids, encoder_outputs, encoder_mask, False, True)
        lengths = ops.sum(ops.cast(ops.not_equal(token_ids, 0), "int32"), axis=1)
        last = ops.reshape(ops.maximum(lengths - 1, 0), (-1, 1, 1))
        last_logits = self._logits(ops.take_along_axis(x, last, axis=1)[:, 0])

        missing = ops.maximum(length - ops.shape(token_ids)[1], 0)
        padding = [[0, 0], [0, missing], [0, 0], [0, 0]]
        key_value = ops.stack(
            [
                ops.stack([ops.pad(key, padding), ops.pad(value, padding)], axis=1)
                for key, value in key_values
            ],
            axis=1,
        )
        cache = {"key_value": key_value, "index": lengths}
        if encoder_outputs is not None:
            cache.update(self._cross_cache(encoder_outputs, encoder_mask))
        return last_logits, cache

    def step(
        self,
        token_ids,
        cache,
        encoder_outputs=None,
        encoder_mask=None,
        return_cross_attention=False,
        average_heads=True,
    ):
        """One token per row: `(token_ids [batch], cache) -> (logits, new_cache)`.

        Args:
            token_ids: int `[batch]`, the previous token of each row; it takes
                position `cache["index"]`.
            cache: from `get_initial_cache`, `prime` or an earlier `step`.
            encoder_outputs, encoder_mask: with cross-attention, when the
                cache holds no `"cross_key_value"`; their keys and values are
                then recomputed at every step (pass them to
                `get_initial_cache` instead, which beam search needs).
            return_cross_attention: bool. Also return the last block's
                cross-attention weights averaged over heads, `[batch,
                source_time]` (extras for an attention map).
            average_heads: bool. With `return_cross_attention`, False returns
                the weights of every head, `[batch, num_heads, source_time]`.

        Returns:
            `(logits float32 [batch, vocabulary_size], new_cache)`, and the
            weights with `return_cross_attention`.
        """
        self._build_once(encoder_outputs)
        index = ops.cast(cache["index"], "int32")
        key_value = cache["key_value"]
        cache_length = key_value.shape[3]
        if cache_length is None:
            cache_length = ops.shape(key_value)[3]
        tf.debugging.assert_less(
            index,
            cache_length,
            message="TransformerDecoder.step: the cache is full; "
            "make it longer (max_length of get_initial_cache / prime)",
        )
        cross = None
        if encoder_outputs is not None:
            self._check_encoder(encoder_outputs)
            cross = self._cross_cache(encoder_outputs, encoder_mask)
        elif "cross_key_value" in cache:
            cross = cache
        if self.cross_attention and cross is None:
            raise ValueError(
                "This decoder has cross_attention=True: pass encoder_outputs to "
                "get_initial_cache, prime or step."
            )

        token_ids = ops.expand_dims(ops.cast(token_ids, "int32"), 1)
        positions = ops.take(self.position_embedding.position_embeddings, index, axis=0)
        x = self.embedding(token_ids) + ops.cast(
            ops.expand_dims(positions, 1), self.compute_dtype
        )
        weights = None
        new_key_values = []
        for layer, block in enumerate(self.blocks):
            cross_key_value, mask = None, None
            if cross is not None:
                cross_key_value = (
                    cross["cross_key_value"][:, layer, 0],
                    cross["cross_key_value"][:, layer, 1],
                )
                mask = cross["encoder_mask"]
            x, key, value, *rest = block.cached_step(
                x,
                key_value,
                layer,
                index,
                cross_key_value=cross_key_value,
                encoder_mask=mask,
                return_cross_attention=return_cross_attention,
            )
            weights = rest[0] if rest else None
            new_key_values.append(ops.stack([key, value], axis=1))
        logits = self._logits(self._apply_final_norm(x)[:, 0])

        new_cache = dict(cache)
        # Every block's new key and value in one write: the step's only
        # operation on the whole cache.
        new_cache["key_value"] = write_cache(
            key_value, ops.stack(new_key_values, axis=1), index
        )
        new_cache["index"] = index + 1
        if return_cross_attention:
            # [batch, heads, 1, source] -> [batch, source] (or [batch, heads, source])
            weights = weights[:, :, 0]
            return logits, new_cache, ops.mean(weights, axis=1) if average_heads else weights
        return logits, new_cache

    def compute_mask(self, token_ids, encoder_outputs=None, encoder_mask=None, mask=None):
        return ops.not_equal(token_ids, 0)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"cross_attention": self.cross_attention, "tie_weights": self.tie_weights}
        )
        # Keys in the order of the configs this decoder saved before it shared
        # TransformerStack's: norm_first last.
        config["norm_first"] = config.pop("norm_first")
        return config
