"""Task templates, training recipes, export and the `seqzoo` command line.

Names are imported on first use (PEP 562), so that `seqzoo --help` does not pay for
importing TensorFlow.

Examples:

>>> from seqzoo.tasks import SentimentConfig, SentimentTask, train_sentiment  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

from seqzoo.tasks import legacy_paths

legacy_paths.install()  # seqzoo 0.1's flat module paths (seqzoo.tasks.sentiment_job, ...) still import

# public name -> module that defines it
_EXPORTS = {
    "SentimentConfig": "seqzoo.tasks.sentiment.config",
    "SentimentTask": "seqzoo.tasks.sentiment.task",
    "SENTIMENT_ARCHITECTURES": "seqzoo.tasks.sentiment.architectures",
    "train_sentiment": ("seqzoo.tasks.sentiment.jobs", "train_run"),
    "evaluate_sentiment": ("seqzoo.tasks.sentiment.jobs", "evaluate_run"),
    "UsageError": "seqzoo.tasks.common.errors",
    "inspect_path": "seqzoo.tasks.inspection.report",
    "format_inspection": "seqzoo.tasks.inspection.report",
    "read_model_card": "seqzoo.tasks.common.model_card",
    "load_keras_model": "seqzoo.tasks.common.model_files",
    "initialise_embedding": "seqzoo.tasks.common.word_vector_init",
    "SentimentClassifier": "seqzoo.tasks.sentiment.estimator",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'seqzoo.tasks' has no attribute {name!r}")
    target = _EXPORTS[name]
    module_name, attribute = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(module_name), attribute)
