"""Task templates, training recipes, export and the `seqzoo` command line.

Names are imported on first use (PEP 562), so that `seqzoo --help` does not pay for
importing TensorFlow.

Examples:

>>> from seqzoo.tasks import SentimentConfig, SentimentTask, train_sentiment  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

# public name -> module that defines it
_EXPORTS = {
    "SentimentConfig": "seqzoo.tasks.config",
    "SentimentTask": "seqzoo.tasks.sentiment",
    "SENTIMENT_ARCHITECTURES": "seqzoo.tasks.sentiment",
    "train_sentiment": ("seqzoo.tasks.sentiment_job", "train_run"),
    "evaluate_sentiment": ("seqzoo.tasks.sentiment_job", "evaluate_run"),
    "UsageError": "seqzoo.tasks.errors",
    "inspect_path": "seqzoo.tasks.inspection",
    "format_inspection": "seqzoo.tasks.inspection",
    "read_model_card": "seqzoo.tasks.model_card",
    "load_keras_model": "seqzoo.tasks.model_files",
    "initialise_embedding": "seqzoo.tasks.word_vector_init",
    "SentimentClassifier": "seqzoo.tasks.sentiment_estimator",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'seqzoo.tasks' has no attribute {name!r}")
    target = _EXPORTS[name]
    module_name, attribute = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(module_name), attribute)
