"""In-graph detokenisation touches shared by the templates that generate text."""

from __future__ import annotations

import tensorflow as tf

# Detokenisation: no space before closing punctuation ("5 . märz" -> "5. märz"). RE2
# syntax, run inside the graph (also in the SavedModel).
_SPACE_BEFORE_PUNCTUATION = r" ([.,!?;:%)\]}])"


def tidy_text(texts: tf.Tensor) -> tf.Tensor:
    """In-graph detokenisation touch: no space before closing punctuation."""
    return tf.strings.strip(tf.strings.regex_replace(texts, _SPACE_BEFORE_PUNCTUATION, r"\1"))
