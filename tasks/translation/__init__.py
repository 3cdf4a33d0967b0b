"""The translation template: sequence to sequence (many-to-many, not aligned).

`config.py` (TranslationConfig), `architectures.py` (the table), `task.py`
(TranslationTask and its compiled decoding), `jobs.py` (train and evaluate a run
directory), `cli.py` (`seqzoo translate`), `metrics.py` (BLEU, chrF, by length),
`attention_plots.py`. This file holds the task's `TaskSpec` and imports no TensorFlow.
"""

from seqzoo.tasks.common.contract import ByLength, MetricColumn, TaskSpec, TokenSide
from seqzoo.tasks.legacy_paths import forward_names
from seqzoo.tasks.translation import cli
from seqzoo.tasks.translation.architectures import TRANSLATION_ARCHITECTURES
from seqzoo.tasks.translation.config import TranslationConfig


def _jobs():
    from seqzoo.tasks.translation.jobs import JOBS

    return JOBS


SPEC = TaskSpec(
    name="translation",
    config_class=TranslationConfig,
    architectures=TRANSLATION_ARCHITECTURES,
    jobs=_jobs,
    cli=cli,
    metrics=(MetricColumn("bleu", "BLEU", 2), MetricColumn("chrf", "chrF", 2),
             MetricColumn("exact_match", "exact match", 4)),
    by_length=ByLength("BLEU by source length (test)", "source length (tokens)", "BLEU",
                       rows_key="bleu_by_length", score_key="bleu"),
    builtin_dataset="cldr-dates",
    example_requests={
        "serving_default": [{"text": "Monday, March 5, 2021"}, {"text": "Jan 2, 1999"}],
    },
    model_class="EncoderDecoderModel",
    token_sides={"source": TokenSide("encoder", "source_preprocessor"),
                 "target": TokenSide("decoder", "target_preprocessor")},
    pipeline_tag="translation",
)

# seqzoo 0.1's module `seqzoo.tasks.translation` held these names.
__getattr__ = forward_names(__name__, {
    "TranslationTask": "task", "TranslationServer": "task", "decode_ids": "task",
    "Architecture": "architectures", "get_architecture": "architectures",
})
