"""Token ids to contextual vectors with a stack of Transformer blocks."""

import keras
from keras import ops

from seqzoo.zoo.masked_mean_pooling import masked_mean
from seqzoo.zoo.position_embedding import PositionEmbedding
from seqzoo.zoo.token_embedding import TokenEmbedding
from seqzoo.zoo.transformer_encoder_block import TransformerEncoderBlock


@keras.saving.register_keras_serializable(package="seqzoo")
class TransformerEncoder(keras.layers.Layer):
    """Encodes token ids with self-attention (the encoder of Vaswani et al.).

    Token vectors plus learned position vectors pass through `num_layers`
    `TransformerEncoderBlock`s. The padding mask `token_ids != 0` keeps every
    query from attending to padding, so padding never changes a result at a
    real position. The call returns `(outputs, [mean])`, the same shape of
    result as `RecurrentEncoder`:

    - `outputs [batch, time, embedding_dim]`, zero at padded steps (and
      carrying the padding mask as their Keras mask);
    - `[mean]`: the average of `outputs` over the real steps, `[batch,
      embedding_dim]`, which plays the part of a final state.

    Args:
        vocabulary_size: int. Number of token ids, padding included.
        embedding_dim: int. Model width `d`; divisible by `num_heads`.
        num_layers: int. Number of Transformer blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. Hidden size of each feed-forward network.
        max_length: int. Longest sequence accepted (one learned position
            vector each).
        dropout: float. Dropout on the embeddings and inside the blocks,
            during training.
        norm_first: bool. Pre-norm blocks (True, with a final layer norm) or
            post-norm blocks (False, the original Transformer).
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Attributes:
        embedding: the `TokenEmbedding`, e.g. for `load_vectors`.
        blocks: the `TransformerEncoderBlock`s, first to last.

    Examples:

    >>> import numpy as np
    >>> from seqzoo.zoo import TransformerEncoder
    >>> encoder = TransformerEncoder(
    ...     vocabulary_size=10, embedding_dim=8, num_layers=1, num_heads=2,
    ...     intermediate_dim=16, max_length=5,
    ... )
    >>> ids = np.array([[5, 6, 7, 0, 0], [8, 9, 4, 4, 1]], dtype="int32")
    >>> outputs, states = encoder(ids)
    >>> tuple(outputs.shape), [tuple(state.shape) for state in states]
    ((2, 5, 8), [(2, 8)])

    References:
        - [Vaswani et al., 2017. Attention Is All You Need](
          https://arxiv.org/abs/1706.03762)
        - [Xiong et al., 2020. On Layer Normalization in the Transformer
          Architecture](https://arxiv.org/abs/2002.04745)
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
        norm_first=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if embedding_dim % num_heads:
            raise ValueError(
                f"embedding_dim={embedding_dim} must be divisible by "
                f"num_heads={num_heads}."
            )
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}.")

        # === Layers ===
        self.embedding = TokenEmbedding(
            vocabulary_size,
            embedding_dim,
            dtype=self.dtype_policy,
            name="token_embedding",
        )
        self.position_embedding = PositionEmbedding(
            max_length, dtype=self.dtype_policy, name="position_embedding"
        )
        self.embedding_dropout = keras.layers.Dropout(
            dropout, name="embedding_dropout"
        )
        self.blocks = [
            TransformerEncoderBlock(
                num_heads,
                intermediate_dim,
                dropout=dropout,
                norm_first=norm_first,
                dtype=self.dtype_policy,
                name=f"transformer_block_{index}",
            )
            for index in range(num_layers)
        ]
        # Pre-norm blocks leave their residual stream unnormalised.
        self.final_norm = None
        if norm_first:
            self.final_norm = keras.layers.LayerNormalization(
                epsilon=1e-5, dtype=self.dtype_policy, name="final_norm"
            )

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.max_length = max_length
        self.dropout = dropout
        self.norm_first = norm_first

    @property
    def output_dim(self):
        """Number of features per step in `outputs` (and in the mean)."""
        return self.embedding_dim

    def build(self, token_ids_shape):
        self.embedding.build(token_ids_shape)
        shape = self.embedding.compute_output_shape(token_ids_shape)
        self.position_embedding.build(shape)
        for block in self.blocks:
            block.build(shape)
        if self.final_norm is not None:
            self.final_norm.build(shape)

    def call(self, token_ids, training=None):
        padding_mask = ops.not_equal(token_ids, 0)
        x = self.embedding(token_ids)
        x = x + self.position_embedding(x)
        x = self.embedding_dropout(x, training=training)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        if self.final_norm is not None:
            x = self.final_norm(x)
        # Padded steps hold meaningless values; zero them as RecurrentEncoder.
        outputs = x * ops.expand_dims(ops.cast(padding_mask, x.dtype), -1)
        return outputs, [masked_mean(outputs, padding_mask)]

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, 0), [None]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "num_layers": self.num_layers,
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
                "max_length": self.max_length,
                "dropout": self.dropout,
                "norm_first": self.norm_first,
            }
        )
        return config
