"""Token ids to contextual vectors with a stack of Transformer blocks."""

import keras
from keras import ops

from seqzoo.zoo.masked_mean_pooling import masked_mean
from seqzoo.zoo.transformer_encoder_block import TransformerEncoderBlock
from seqzoo.zoo.transformer_stack import TransformerStack


@keras.saving.register_keras_serializable(package="seqzoo")
class TransformerEncoder(TransformerStack):
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
        # === Layers and config (all TransformerStack's, shared with TransformerDecoder) ===
        super().__init__(
            vocabulary_size, embedding_dim, num_layers, num_heads, intermediate_dim,
            max_length, dropout, norm_first,
            block_class=TransformerEncoderBlock, block_name="transformer_block", **kwargs,
        )

    @property
    def output_dim(self):
        """Number of features per step in `outputs` (and in the mean)."""
        return self.embedding_dim

    def build(self, token_ids_shape):
        self._build_stack(token_ids_shape)

    def call(self, token_ids, training=None):
        padding_mask = ops.not_equal(token_ids, 0)
        x = self._embed(token_ids, training)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        x = self._apply_final_norm(x)
        # Padded steps hold meaningless values; zero them as RecurrentEncoder.
        outputs = x * ops.expand_dims(ops.cast(padding_mask, x.dtype), -1)
        return outputs, [masked_mean(outputs, padding_mask)]

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, 0), [None]
