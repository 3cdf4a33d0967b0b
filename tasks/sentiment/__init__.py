"""The sentiment template: text classification (many-to-one), any number of classes.

`config.py` (SentimentConfig), `architectures.py` (the table), `task.py`
(SentimentTask: build, fit, evaluate, predict, save, load, export), `jobs.py` (train and
evaluate a run directory), `cli.py` (`seqzoo predict`), `metrics.py`, `estimator.py`
(the scikit-learn estimator). This file holds the task's `TaskSpec` and imports no
TensorFlow.
"""

from seqzoo.tasks.common.contract import ByLength, MetricColumn, TaskSpec, TokenSide
from seqzoo.tasks.legacy_paths import forward_names
from seqzoo.tasks.sentiment import cli
from seqzoo.tasks.sentiment.architectures import SENTIMENT_ARCHITECTURES
from seqzoo.tasks.sentiment.config import SentimentConfig


def _jobs():
    from seqzoo.tasks.sentiment.jobs import JOBS

    return JOBS


SPEC = TaskSpec(
    name="sentiment",
    config_class=SentimentConfig,
    architectures=SENTIMENT_ARCHITECTURES,
    jobs=_jobs,
    cli=cli,
    metrics=(MetricColumn("accuracy", "accuracy", 4), MetricColumn("macro_f1", "macro-F1", 4)),
    by_length=ByLength("accuracy by input length (test)", "input length (tokens)", "accuracy",
                       rows_key="by_length", score_key="accuracy"),
    builtin_dataset="negation-reviews",
    example_requests={
        "serving_default": [{"text": "what a wonderful film"}, {"text": "a dull, lifeless mess"}],
    },
    model_class="SequenceClassifier",
    token_sides={"source": TokenSide("encoder", "preprocessor")},
    gradient_probe="classifier",
    pipeline_tag="text-classification",
)

# seqzoo 0.1's module `seqzoo.tasks.sentiment` held these names.
__getattr__ = forward_names(__name__, {
    "SentimentTask": "task", "sorted_label_names": "task",
    "Architecture": "architectures", "get_architecture": "architectures",
})
