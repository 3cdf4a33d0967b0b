"""What every score-based attention does around scoring: mask, softmax, weighted sum.

`BahdanauAttention` (additive) and `LuongAttention` (dot, general) differ only in how a
query scores each source position; this is the part they share: `read_out` turns scores
into weights and a context, and `attend` runs a score function for one query per row or
for a sequence of them.
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


def attend(score, query, keys, values, source_mask=None):
    """Scores `query` against `keys` with `score` and reads the context out of `values`.

    Args:
        score: `score(query [batch, time, query_dim], keys) -> float32 scores [batch,
            time, source]`, the attention's own part.
        query: `[batch, query_dim]` (one decoder step) or `[batch, time, query_dim]`
            (every target position at once).
        keys: what `score` compares the queries with, one per source position.
        values: `[batch, source, dim]`, what is averaged.
        source_mask: optional `[batch, source]`, True (or 1) for real positions.

    Returns:
        `(context [batch, (time,) dim], weights [batch, (time,) source])`, without the
        time axis for a `[batch, query_dim]` query.

    Examples:

    >>> import numpy as np
    >>> from keras import ops
    >>> def dot(query, keys):
    ...     return ops.einsum("btq,bsq->bts", query, keys)
    >>> values = np.arange(6, dtype="float32").reshape(1, 3, 2)
    >>> query = np.zeros((1, 2), "float32")  # one step: no time axis
    >>> context, weights = attend(dot, query, values, values, np.array([[1, 1, 0]]))
    >>> np.asarray(weights).tolist(), np.asarray(context).tolist()
    ([[0.5, 0.5, 0.0]], [[1.0, 2.0]])
    """
    single = len(query.shape) == 2
    if single:
        query = ops.expand_dims(query, 1)
    context, weights = read_out(score(query, keys), values, source_mask)
    if single:
        return context[:, 0], weights[:, 0]
    return context, weights
