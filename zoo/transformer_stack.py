"""What the Transformer encoder and decoder share: embeddings, blocks, final norm."""

import keras

from seqzoo.zoo.position_embedding import PositionEmbedding
from seqzoo.zoo.token_embedding import TokenEmbedding


class TransformerStack(keras.layers.Layer):
    """Token and position embeddings, a stack of Transformer blocks, a final norm.

    The common base of `TransformerEncoder` and `TransformerDecoder`, which
    differ in their blocks and in what they do with the result. It checks and
    keeps the arguments they share (and returns them from `get_config`), and
    makes, in this order, the layers they share:

    - `embedding`: the `TokenEmbedding` (`"token_embedding"`);
    - `position_embedding`: the learned `PositionEmbedding`, added to it;
    - `embedding_dropout`: dropout on their sum;
    - `blocks`: `num_layers` blocks of `block_class`, named
      `f"{block_name}_{index}"`;
    - `final_norm`: a layer normalisation after the last pre-norm block
      (None with post-norm blocks, which end normalised).

    It is never saved under its own name (its subclasses are), so it is not
    registered for serialization.

    Args:
        vocabulary_size: int. Number of token ids, padding included.
        embedding_dim: int. Model width `d`; divisible by `num_heads`.
        num_layers: int. Number of blocks.
        num_heads: int. Attention heads per block.
        intermediate_dim: int. Hidden size of each feed-forward network.
        max_length: int. Longest sequence (one learned position vector each).
        dropout: float. Dropout on the embeddings and inside the blocks,
            during training.
        norm_first: bool. Pre-norm blocks with a final layer norm (True) or
            post-norm blocks (False).
        block_class: the block layer, called as `block_class(num_heads,
            intermediate_dim, dropout=..., norm_first=..., **block_options,
            dtype=..., name=...)`.
        block_name: str. Prefix of the blocks' names.
        block_options: dict. Further keyword arguments of every block.
        **kwargs: other keyword arguments of `keras.layers.Layer`.

    Examples:

    >>> from seqzoo.zoo import TransformerDecoder, TransformerEncoder
    >>> from seqzoo.zoo.transformer_encoder_block import TransformerEncoderBlock
    >>> stack = TransformerStack(
    ...     10, embedding_dim=8, num_layers=2, num_heads=2, intermediate_dim=16,
    ...     max_length=5, dropout=0.0, norm_first=True,
    ...     block_class=TransformerEncoderBlock, block_name="block",
    ... )
    >>> [block.name for block in stack.blocks], stack.final_norm.name
    (['block_0', 'block_1'], 'final_norm')
    >>> stack.get_config()["norm_first"]
    True
    >>> issubclass(TransformerEncoder, TransformerStack)
    True
    >>> issubclass(TransformerDecoder, TransformerStack)
    True
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        num_layers,
        num_heads,
        intermediate_dim,
        max_length,
        dropout,
        norm_first,
        block_class,
        block_name,
        block_options=None,
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
            block_class(
                num_heads,
                intermediate_dim,
                dropout=dropout,
                norm_first=norm_first,
                **(block_options or {}),
                dtype=self.dtype_policy,
                name=f"{block_name}_{index}",
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

    def _build_stack(self, token_ids_shape, *block_shapes):
        """Builds the shared layers; returns the shape of the blocks' inputs.

        Args:
            token_ids_shape: `(batch, time)`.
            *block_shapes: further shapes each block's `build` takes after its
                inputs' shape (e.g. the encoder outputs' shape).
        """
        token_ids_shape = tuple(token_ids_shape)
        self.embedding.build(token_ids_shape)
        shape = token_ids_shape + (self.embedding_dim,)
        self.position_embedding.build(shape)
        for block in self.blocks:
            block.build(shape, *block_shapes)
        if self.final_norm is not None:
            self.final_norm.build(shape)
        return shape

    def _embed(self, token_ids, training=None):
        """Token plus position vectors, after dropout: the first block's input."""
        x = self.embedding(token_ids)
        x = x + self.position_embedding(x)
        return self.embedding_dropout(x, training=training)

    def _apply_final_norm(self, x):
        """The last block's output as the stack returns it."""
        if self.final_norm is not None:
            x = self.final_norm(x)
        return x

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
