"""One Transformer decoder block: causal self-attention, cross-attention, feed-forward."""

import math

import keras
from keras import ops

from seqzoo.zoo.attention_readout import MASKED_SCORE
from seqzoo.zoo.transformer_block import TransformerBlock


def write_cache(cache, keys_values, index):
    """Writes one new position per row into a stacked key/value cache.

    Args:
        cache: `[batch, num_layers, 2, cache_length, heads, head_dim]`.
        keys_values: `[batch, num_layers, 2, heads, head_dim]`, the new
            position's key (`[:, :, 0]`) and value (`[:, :, 1]`) in every layer.
        index: int `[batch]`, where each row's new position goes.

    Returns:
        The cache with `cache[row, :, :, index[row]] = keys_values[row]`, made
        with one scatter: one copy of the cache, with nothing computed again.
    """
    index = ops.cast(index, "int32")
    batch, layers = ops.shape(index)[0], cache.shape[1]
    # [batch, layers, 2, 3]: (row, layer, key or value) of each write, then index.
    grid = ops.stack(
        ops.meshgrid(ops.arange(batch, dtype="int32"), ops.arange(layers, dtype="int32"),
                     ops.arange(2, dtype="int32"), indexing="ij"),
        axis=-1,
    )
    where = ops.concatenate(
        [grid, ops.broadcast_to(ops.reshape(index, (-1, 1, 1, 1)), (batch, layers, 2, 1))],
        axis=-1,
    )
    return ops.scatter_update(cache, where, keys_values)


@keras.saving.register_keras_serializable(package="seqzoo")
class TransformerDecoderBlock(TransformerBlock):
    """Causal self-attention, optional cross-attention, then a feed-forward network.

    Each sublayer has a residual connection and layer normalisation, after
    the residual sum (post-norm, Vaswani et al. 2017) or at the sublayer's
    input (pre-norm, Xiong et al. 2020), as in `TransformerEncoderBlock`.
    Position `i` attends to positions `<= i` only (and, with
    `cross_attention`, to the real positions of the encoder outputs).

    Two ways to run it:

    - `call(inputs [batch, time, dim], ...)`: every position at once
      (training). With `return_key_value=True` it also returns the
      self-attention keys and values `[batch, time, heads, head_dim]`, which
      fill a decoding cache.
    - `step(inputs [batch, 1, dim], key_cache, value_cache, index, ...)`: one
      new position per row at `index [batch]`; its key and value are written
      into the caches `[batch, cache_length, heads, head_dim]` and it attends
      to the cached positions `<= index`. The cost of a step is one position.

    The attention is written out here (rather than with
    `keras.layers.MultiHeadAttention`) because the cached step needs the
    query, key and value projections separately.

    Args:
        num_heads: int. Number of attention heads; the feature size of the
            inputs must be divisible by it.
        intermediate_dim: int. Hidden size of the feed-forward network.
        dropout: float. Dropout on the attention weights and on each
            sublayer's output, during training.
        activation: activation of the feed-forward network.
        norm_first: bool. True for pre-norm, False for post-norm.
        layer_norm_epsilon: float. Epsilon of the layer normalisations.
        cross_attention: bool. Add attention over encoder outputs (for
            translation and captioning).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: `[batch, time, dim]` float tensor.
        padding_mask: `[batch, time]` boolean, True at real tokens, or None.
        encoder_outputs: `[batch, source_time, encoder_dim]`; required with
            `cross_attention`.
        encoder_mask: `[batch, source_time]` boolean, True at real source
            positions; None when all are real.
        training: bool, whether dropout is active.
        return_key_value: bool. Also return `(keys, values)`.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo.transformer_decoder_block import TransformerDecoderBlock
    >>> block = TransformerDecoderBlock(num_heads=2, intermediate_dim=8,
    ...                                 cross_attention=True)
    >>> x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
    >>> source = np.ones((2, 3, 6), dtype="float32")
    >>> tuple(block(x, encoder_outputs=source).shape)
    (2, 5, 4)

    References:
        - [Vaswani et al., 2017. Attention Is All You Need](
          https://arxiv.org/abs/1706.03762)
        - [Xiong et al., 2020. On Layer Normalization in the Transformer
          Architecture](https://arxiv.org/abs/2002.04745)
    """

    def __init__(
        self,
        num_heads,
        intermediate_dim,
        dropout=0.0,
        activation="relu",
        norm_first=False,
        layer_norm_epsilon=1e-5,
        cross_attention=False,
        **kwargs,
    ):
        super().__init__(
            num_heads,
            intermediate_dim,
            dropout=dropout,
            activation=activation,
            norm_first=norm_first,
            layer_norm_epsilon=layer_norm_epsilon,
            **kwargs,
        )
        self.cross_attention = cross_attention

    def _heads_dense(self, name, head_dim):
        # [batch, time, features] -> [batch, time, heads, head_dim]
        return keras.layers.EinsumDense(
            "btf,fnh->btnh",
            output_shape=(None, self.num_heads, head_dim),
            bias_axes="nh",
            dtype=self.dtype_policy,
            name=name,
        )

    def _merge_dense(self, name, feature_size):
        # [batch, time, heads, head_dim] -> [batch, time, features]
        return keras.layers.EinsumDense(
            "btnh,nhf->btf",
            output_shape=(None, feature_size),
            bias_axes="f",
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, inputs_shape, encoder_outputs_shape=None):
        inputs_shape = tuple(inputs_shape)
        feature_size = self._feature_size(inputs_shape)
        head_dim = feature_size // self.num_heads
        self.head_dim = head_dim
        heads_shape = inputs_shape[:-1] + (self.num_heads, head_dim)

        self.self_query = self._heads_dense("self_query", head_dim)
        self.self_key = self._heads_dense("self_key", head_dim)
        self.self_value = self._heads_dense("self_value", head_dim)
        self.self_output = self._merge_dense("self_output", feature_size)
        for layer in (self.self_query, self.self_key, self.self_value):
            layer.build(inputs_shape)
        self.self_output.build(heads_shape)
        self.self_attention_norm = self._norm("self_attention_norm", inputs_shape)

        if self.cross_attention:
            # Without a known encoder shape (e.g. built by `step`), the encoder
            # is assumed as wide as the decoder.
            encoder_shape = tuple(encoder_outputs_shape or inputs_shape)
            self.cross_query = self._heads_dense("cross_query", head_dim)
            self.cross_key = self._heads_dense("cross_key", head_dim)
            self.cross_value = self._heads_dense("cross_value", head_dim)
            self.cross_output = self._merge_dense("cross_output", feature_size)
            self.cross_query.build(inputs_shape)
            self.cross_key.build(encoder_shape)
            self.cross_value.build(encoder_shape)
            self.cross_output.build(heads_shape)
            self.cross_attention_norm = self._norm("cross_attention_norm", inputs_shape)

        self._build_feedforward(inputs_shape)

        self.attention_dropout = keras.layers.Dropout(self.dropout)
        self.sublayer_dropout = keras.layers.Dropout(self.dropout)

    # --- attention -------------------------------------------------------

    def _attend(self, query, key, value, mask, training):
        """query [b, t, n, h], key/value [b, s, n, h], mask [b, t, s] -> [b, t, n, h]."""
        scores = ops.einsum("btnh,bsnh->bnts", query, key)
        # Softmax in float32: stable under mixed precision.
        scores = ops.cast(scores, "float32") / math.sqrt(self.head_dim)
        if mask is not None:
            scores = ops.where(ops.expand_dims(mask, 1), scores, MASKED_SCORE)
        weights = ops.cast(ops.softmax(scores, axis=-1), query.dtype)
        weights = self.attention_dropout(weights, training=training)
        return ops.einsum("bnts,bsnh->btnh", weights, value), weights

    def _residual(self, x, sublayer, norm, training):
        """x + sublayer(x) with the block's normalisation and dropout."""
        y = sublayer(norm(x) if self.norm_first else x)
        x = x + self.sublayer_dropout(y, training=training)
        return x if self.norm_first else norm(x)

    def _feedforward(self, x, training):
        return self._residual(
            x,
            lambda y: self.output_dense(self.intermediate_dense(y)),
            self.feedforward_norm,
            training,
        )

    def _cross_attend(self, x, cross_key, cross_value, encoder_mask, training):
        """Cross-attention sublayer; returns (x, weights [batch, heads, t, source])."""
        if cross_key is None:
            raise ValueError(
                "This block has cross_attention=True: pass encoder_outputs."
            )
        mask = None
        if encoder_mask is not None:
            mask = ops.expand_dims(ops.cast(encoder_mask, "bool"), 1)
        weights = []

        def sublayer(y):
            attended, attention = self._attend(
                self.cross_query(y), cross_key, cross_value, mask, training
            )
            weights.append(attention)
            return self.cross_output(attended)

        x = self._residual(x, sublayer, self.cross_attention_norm, training)
        return x, weights[0]

    def cross_key_value(self, encoder_outputs):
        """Keys and values `[batch, source_time, heads, head_dim]` of the encoder
        outputs, computed once per source and reused at every decoding step."""
        return self.cross_key(encoder_outputs), self.cross_value(encoder_outputs)

    # --- the two ways to run the block -----------------------------------

    def call(
        self,
        inputs,
        padding_mask=None,
        encoder_outputs=None,
        encoder_mask=None,
        training=None,
        return_key_value=False,
    ):
        length = ops.shape(inputs)[1]
        positions = ops.arange(length)
        # [1, query, key]: position i sees positions <= i.
        mask = ops.expand_dims(
            ops.greater_equal(ops.expand_dims(positions, 1), ops.expand_dims(positions, 0)),
            0,
        )
        if padding_mask is not None:
            mask = ops.logical_and(
                mask, ops.expand_dims(ops.cast(padding_mask, "bool"), 1)
            )
        key_value = []

        def self_attention(y):
            key, value = self.self_key(y), self.self_value(y)
            key_value.extend([key, value])
            attended, _ = self._attend(self.self_query(y), key, value, mask, training)
            return self.self_output(attended)

        x = self._residual(inputs, self_attention, self.self_attention_norm, training)
        if self.cross_attention:
            cross_key = cross_value = None
            if encoder_outputs is not None:
                cross_key, cross_value = self.cross_key_value(encoder_outputs)
            x, _ = self._cross_attend(
                x, cross_key, cross_value, encoder_mask, training
            )
        x = self._feedforward(x, training)
        if return_key_value:
            return x, tuple(key_value)
        return x

    def step(
        self,
        inputs,
        key_cache,
        value_cache,
        index,
        cross_key_value=None,
        encoder_mask=None,
        return_cross_attention=False,
    ):
        """Runs one new position per row against the cached ones.

        The block's own caches, one tensor each. `TransformerDecoder` runs
        `cached_step` instead, over its stacked cache, and writes every
        block's new key and value at once with `write_cache`.

        Args:
            inputs: `[batch, 1, dim]`, the new position's input.
            key_cache, value_cache: `[batch, cache_length, heads, head_dim]`,
                keys and values of this block's earlier positions.
            index: int `[batch]`, the new position of each row (< cache_length).
            cross_key_value: `(keys, values)` from `cross_key_value`, with
                cross-attention.
            encoder_mask: `[batch, source_time]` boolean or None.
            return_cross_attention: bool. Also return the cross-attention
                weights `[batch, heads, 1, source_time]`.

        Returns:
            `(outputs [batch, 1, dim], key_cache, value_cache)` with the new
            position's key and value written at `index` (and the weights).
        """
        cache = ops.expand_dims(ops.stack([key_cache, value_cache], axis=1), 1)
        x, key, value, *weights = self.cached_step(
            inputs, cache, 0, index, cross_key_value, encoder_mask, return_cross_attention
        )
        cache = write_cache(cache, ops.stack([key, value], axis=1)[:, None], index)
        return (x, cache[:, 0, 0], cache[:, 0, 1], *weights)

    def cached_step(
        self,
        inputs,
        cache,
        layer,
        index,
        cross_key_value=None,
        encoder_mask=None,
        return_cross_attention=False,
    ):
        """One new position per row, reading a decoder's stacked cache.

        The step of `TransformerDecoder`: the new position attends to its own
        key and value and to this block's cached ones before `index`, read
        only up to the furthest row's `index`. Its key and value are returned
        rather than written, so that the decoder writes every block's at once
        (`write_cache`): one update of the cache per step, which TensorFlow
        does by copying it. Every dense layer is one 2-D matmul on `[batch,
        dim]` rows.

        Args:
            inputs: `[batch, 1, dim]`, the new position's input.
            cache: `[batch, num_layers, 2, cache_length, heads, head_dim]`,
                the keys (`[:, :, 0]`) and values (`[:, :, 1]`) of every
                block of a decoder (`TransformerDecoder`'s `"key_value"`).
            layer: int, this block's place in `cache`'s second axis.
            index: int `[batch]`, the new position of each row (< cache_length).
            cross_key_value, encoder_mask, return_cross_attention: as for `step`.

        Returns:
            `(outputs [batch, 1, dim], key, value)`, the new position's key and
            value `[batch, heads, head_dim]` (and the weights).
        """
        index = ops.cast(index, "int32")
        # Positions from the furthest row's index on hold nothing yet.
        length = ops.max(index)
        # [batch, length]: each row sees its cached positions < index.
        visible = ops.less(ops.arange(length, dtype="int32"), ops.expand_dims(index, 1))
        key_value = []
        x = ops.reshape(inputs, (-1, inputs.shape[-1]))

        def self_attention(y):
            query = self._project_one(self.self_query, y)
            key = self._project_one(self.self_key, y)
            value = self._project_one(self.self_value, y)
            key_value.extend([key, value])
            attended, _ = self._attend_one(
                query,
                cache[:, layer, 0, :length],
                cache[:, layer, 1, :length],
                visible,
                (key, value),
            )
            return self._project_one(self.self_output, attended)

        x = self._residual(x, self_attention, self.self_attention_norm, False)
        weights = []
        if self.cross_attention:
            cross_key, cross_value = cross_key_value or (None, None)
            if cross_key is None:
                raise ValueError(
                    "This block has cross_attention=True: pass encoder_outputs."
                )

            def cross_attention(y):
                attended, attention = self._attend_one(
                    self._project_one(self.cross_query, y), cross_key, cross_value,
                    encoder_mask,
                )
                weights.append(attention)
                return self._project_one(self.cross_output, attended)

            x = self._residual(x, cross_attention, self.cross_attention_norm, False)
        elif return_cross_attention:
            raise ValueError("return_cross_attention needs cross_attention=True.")
        x = ops.expand_dims(self._feedforward(x, False), 1)
        if return_cross_attention:
            # [batch, source, heads] -> [batch, heads, 1 query, source]
            weights = ops.expand_dims(ops.transpose(weights[0], (0, 2, 1)), 2)
            return x, key_value[0], key_value[1], weights
        return x, key_value[0], key_value[1]

    # --- one position: plain matrix products, no transposes ---------------
    # On CPU, a batched matmul or a transpose of small tensors (and of a
    # different shape at every step, as the attended prefix grows) costs far
    # more than its arithmetic; one position needs neither.

    def _project_one(self, layer, inputs):
        """An `EinsumDense` of this block applied to one position as a 2-D matmul.

        `[batch, features] -> [batch, heads, head_dim]` for the query, key
        and value layers (kernel `[features, heads, head_dim]`), `[batch,
        heads, head_dim] -> [batch, features]` for the output layers
        (kernel `[heads, head_dim, features]`); the weights of `layer(inputs)`.
        """
        kernel = ops.cast(layer.kernel, self.compute_dtype)
        merges = len(layer.bias.shape) == 1  # an output layer: bias [features]
        fan_in = math.prod(kernel.shape[:2]) if merges else kernel.shape[0]
        flat = ops.matmul(
            ops.reshape(inputs, (-1, fan_in)), ops.reshape(kernel, (fan_in, -1))
        )
        flat = flat + ops.reshape(ops.cast(layer.bias, self.compute_dtype), (-1,))
        if merges:
            return flat
        return ops.reshape(flat, (-1, self.num_heads, self.head_dim))

    def _attend_one(self, query, keys, values, mask, own=None):
        """One query position per row.

        query `[batch, heads, head_dim]`, keys / values `[batch, source, heads,
        head_dim]`, mask `[batch, source]` boolean or None, and `own`: the
        query position's own `(key, value)` `[batch, heads, head_dim]`, always
        attended to, or None -> `(attended [batch, heads, head_dim], weights
        [batch, source, heads])` (the weights of `keys` only). The scores and
        softmax (in float32) of `_attend`, as elementwise products and sums
        over the source axis.
        """
        scale = math.sqrt(self.head_dim)
        scores = ops.cast(ops.sum(keys * ops.expand_dims(query, 1), axis=-1), "float32") / scale
        if mask is not None:
            scores = ops.where(
                ops.expand_dims(ops.cast(mask, "bool"), -1), scores, MASKED_SCORE
            )
        if own is not None:
            own_score = ops.cast(ops.sum(own[0] * query, axis=-1), "float32") / scale
            scores = ops.concatenate([scores, ops.expand_dims(own_score, 1)], axis=1)
        scores = ops.exp(scores - ops.max(scores, axis=1, keepdims=True))
        weights = ops.cast(scores / ops.sum(scores, axis=1, keepdims=True), query.dtype)
        if own is None:
            return ops.sum(ops.expand_dims(weights, -1) * values, axis=1), weights
        weights, own_weight = weights[:, :-1], weights[:, -1:]
        attended = ops.sum(ops.expand_dims(weights, -1) * values, axis=1)
        return attended + ops.expand_dims(own_weight[:, 0], -1) * own[1], weights

    def get_config(self):
        config = super().get_config()
        config.update({"cross_attention": self.cross_attention})
        return config
