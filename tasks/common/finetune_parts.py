"""What `seqzoo finetune` asks of every task, as part of the task contract.

A task's `finetune_parts.py` subclasses `TaskParts` to say where its vocabularies are,
which sub-models each feeds, how to assemble a task object from new parts, and what
"encoder" means for `--freeze` (see each subclass). The fine-tuning tool
(`seqzoo.tasks.finetune`) reaches them through `spec.jobs().finetune_parts()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras

from seqzoo.tasks.common.errors import UsageError


@dataclass(frozen=True)
class VocabularySlot:
    """One vocabulary of a task: its name, the task attribute holding its preprocessor,
    the model's sub-models it feeds and how to get its texts from a split.

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> [(slot.name, slot.model_attributes) for slot in get_task("sentiment").jobs().finetune_parts().slots(None)]
    [('text', ('encoder',))]
    """

    name: str
    preprocessor_attribute: str
    model_attributes: tuple[str, ...]
    texts: Callable


class TaskParts:
    """What fine-tuning needs from one task; the defaults suit the tasks whose model has
    one `encoder` to freeze. Each task subclasses it in its `finetune_parts.py`, and its
    jobs' `finetune_parts()` returns one.

    Args:
        jobs: the task's `TaskJobs`.

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> parts = get_task("translation").jobs().finetune_parts()
    >>> parts.name, parts.config_class().__name__
    ('translation', 'TranslationConfig')
    """

    def __init__(self, jobs):
        self.jobs = jobs
        self.name = jobs.name

    def config_class(self) -> type:
        return self.jobs.spec.config_class

    def load_splits(self, config) -> dict:
        return self.jobs.load_splits(config)

    def evaluate(self, task, split):
        return self.jobs.evaluate(task, split)

    def learning_rate(self, task) -> float:
        return float(task.optimizer_learning_rate())

    def encoder_layers(self, model) -> list:
        return [model.encoder]

    def from_files(self, config, folder, model):
        """The task object of a bare `.keras` model and the folder holding its
        vocabularies (laid out as in a run directory)."""
        task_class = self.jobs.task_class
        return task_class.from_files(config, folder, model, task_class.load_preprocessors(folder, config))

    def labels(self, task, splits, new_labels: bool):
        """(label names, new number of classes or None, attribute of a fresh head or None)."""
        if new_labels:
            raise UsageError(f"--new-labels is for classifiers (tasks with labels); this is a {self.name} run.")
        return None, None, None


def sublayers(layer) -> list[keras.layers.Layer]:
    """The direct sublayers of a layer (what `--freeze encoder` may freeze one by one)."""
    return list(layer._flatten_layers(include_self=False, recursive=False))
