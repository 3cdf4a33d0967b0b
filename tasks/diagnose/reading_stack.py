"""The token-reading half of any run's model, found the same way for every template.

The diagnostics (`seqzoo diagnose`, `seqzoo embeddings`) look inside a trained model: its
`TokenEmbedding`, its recurrent layers, and the preprocessor that turns text into the ids
that model reads. Each template keeps them in its own place; this module is the one map.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.registry import get_task, task_of_run

SIDES = ("source", "target")


@dataclass
class ReadingStack:
    """A layer that embeds token ids and (usually) runs recurrent layers over them.

    Attributes:
        task_name: the template ("sentiment", "language-model", ...).
        layer: a `RecurrentEncoder`, `RecurrentDecoder`, `TransformerEncoder`, ... with an
            `embedding` attribute (a `TokenEmbedding`).
        preprocessor: the `TextPreprocessor` whose ids `layer` reads.
        task: the loaded task object.

    Examples:

    >>> from seqzoo.data.readers import LabelledTexts
    >>> from seqzoo.tasks.sentiment.config import SentimentConfig
    >>> from seqzoo.tasks.sentiment.task import SentimentTask
    >>> data = LabelledTexts(["good film", "bad film"] * 4, ["pos", "neg"] * 4, source="toy")
    >>> task = SentimentTask.build(SentimentConfig(arch="lstm", units=4, embedding_dim=4), data)
    >>> stack = reading_stack("sentiment", task)
    >>> type(stack.layer).__name__, stack.preprocessor is task.preprocessor
    ('RecurrentEncoder', True)
    """

    task_name: str
    layer: object
    preprocessor: object
    task: object


def load_task(run_dir: str | Path):
    """`(task name, task object)` of a run directory, as `seqzoo evaluate` loads it."""
    if not Path(run_dir).is_dir():
        raise UsageError(f"{run_dir} is not a directory; give a run directory made by `seqzoo train`.")
    spec = task_of_run(run_dir)
    return spec.name, spec.jobs().load_task(run_dir)


def default_side(task_name: str) -> str:
    """The side whose tokens a task's model reads first (its spec's first token side)."""
    return next(iter(get_task(task_name).token_sides), "source")


def reading_stack(task_name: str, task, side: str = "source") -> ReadingStack:
    """The embedding-and-recurrence part of a loaded task, as its spec's `token_sides`
    name it: sentiment reads with its encoder, the language model and captioning with
    their decoder; translation has both, chosen by `side` ("source": encoder,
    "target": decoder). A task with one side reads with it whatever `side` says.
    """
    if side not in SIDES:
        raise UsageError(f"--side must be one of {', '.join(SIDES)}, got {side!r}.")
    sides = get_task(task_name).token_sides
    if not sides:
        raise UsageError(f"{task_name} runs have no token embedding this command knows of.")
    found = sides.get(side) if side in sides or len(sides) > 1 else next(iter(sides.values()))
    if isinstance(found, str):
        raise UsageError(found)
    return ReadingStack(task_name, getattr(task.model, found.model_attribute),
                        getattr(task, found.preprocessor_attribute), task)
