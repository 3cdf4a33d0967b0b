"""What every score-based attention does after scoring: mask, softmax, weighted sum.

`BahdanauAttention` (additive) and `LuongAttention` (dot, general) differ only in how a
query scores each source position; this is the part they share.
"""

from keras import ops

# Added to the scores of padded source positions: exp() of it underflows to 0 in float32,
# and being finite, a row without any real position gets uniform weights rather than NaN.
MASKED_SCORE = -1e9


def read_out(scores, values, source_mask=None):
    """Attention weights over the source and the context vectors they give.

    Args:
        scores: float32 `[batch, queries, source]` (computed in float32 even under mixed
            precision, so the softmax is stable).
        values: `[batch, source, dim]`, what is averaged.
        source_mask: optional `[batch, source]`, True (or 1) for real positions; padded
            positions get weight 0.

    Returns:
        `(context [batch, queries, dim], weights [batch, queries, source])`.

    Examples:

    >>> import numpy as np
    >>> scores = np.zeros((1, 1, 3), "float32")
    >>> values = np.arange(6, dtype="float32").reshape(1, 3, 2)
    >>> context, weights = read_out(scores, values, source_mask=np.array([[1, 1, 0]]))
    >>> np.round(np.asarray(weights), 3).tolist(), np.asarray(context).tolist()
    ([[[0.5, 0.5, 0.0]]], [[[1.0, 2.0]]])
    """
    if source_mask is not None:
        scores = ops.where(ops.expand_dims(ops.cast(source_mask, "bool"), 1), scores, MASKED_SCORE)
    weights = ops.softmax(scores, axis=-1)
    context = ops.einsum("bts,bsd->btd", ops.cast(weights, values.dtype), values)
    return context, weights
