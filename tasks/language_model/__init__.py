"""The language-model template: predict the next token of a running text (many-to-many).

`config.py` (LanguageModelConfig), `architectures.py` (the table), `task.py`
(LanguageModelTask), `generator.py` (the compiled generator it exports), `jobs.py`
(train and evaluate a run directory), `cli.py` (`seqzoo generate`). This file holds the
task's `TaskSpec` and imports no TensorFlow.
"""

from seqzoo.tasks.common.contract import MetricColumn, TaskSpec, TokenSide
from seqzoo.tasks.legacy_paths import forward_names
from seqzoo.tasks.language_model import cli
from seqzoo.tasks.language_model.architectures import LANGUAGE_MODEL_ARCHITECTURES, LanguageModelArchitecture
from seqzoo.tasks.language_model.config import LanguageModelConfig


# Bits per character only at character level, where a token is a character.
METRICS = (MetricColumn("perplexity", "perplexity", 3), MetricColumn("bits_per_char", "bits/char", 4),
           MetricColumn("loss", "nats/token", 4))


def _jobs():
    from seqzoo.tasks.language_model.jobs import JOBS

    return JOBS


SPEC = TaskSpec(
    name="language-model",
    config_class=LanguageModelConfig,
    architectures=LANGUAGE_MODEL_ARCHITECTURES,
    jobs=_jobs,
    cli=cli,
    metrics=METRICS,
    builtin_dataset="pydoc-topics",
    example_requests={
        "serving_default": [{"prompt": "To be, or not", "max_tokens": 40, "temperature": 0.8, "seed": 1}],
        "generate": [{"prompt": "To be, or not", "max_tokens": 40, "temperature": 0.8, "top_k": 40,
                      "top_p": 0.95, "seed": 1}],
    },
    model_class="LanguageModel",
    token_sides={"source": TokenSide("decoder", "preprocessor")},
    gradient_probe="next-token",
    architecture_type=LanguageModelArchitecture,  # also says `stateful` and the learning rate
    pipeline_tag="text-generation",
)

# seqzoo 0.1's module `seqzoo.tasks.language_model` held these names.
__getattr__ = forward_names(__name__, {
    "LanguageModelTask": "task", "TASK": "task",
    "Architecture": ("architectures", "LanguageModelArchitecture"),
    "LanguageModelArchitecture": "architectures", "get_architecture": "architectures",
})
