"""What `seqzoo finetune` needs to know about the translation template: its vocabularies,
how to assemble a task from new parts, and what `--freeze encoder` freezes: the source-
side encoder; the whole decoder trains.
"""

from __future__ import annotations

from seqzoo.tasks.common.finetune_parts import TaskParts, VocabularySlot


class TranslationParts(TaskParts):
    """What fine-tuning needs of the translation template: a source and a target vocabulary
    (or one shared); `--freeze encoder` freezes the encoder.

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> parts = get_task("translation").jobs().finetune_parts()
    >>> type(parts).__name__
    'TranslationParts'
    """

    def slots(self, task) -> list[VocabularySlot]:
        if task.config.shared_vocabulary:  # source_preprocessor is target_preprocessor
            return [VocabularySlot("shared", "source_preprocessor", ("encoder", "decoder"),
                                   lambda data: list(data.sources) + list(data.targets))]
        return [
            VocabularySlot("source", "source_preprocessor", ("encoder",), lambda data: list(data.sources)),
            VocabularySlot("target", "target_preprocessor", ("decoder",), lambda data: list(data.targets)),
        ]

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.translation.task import TranslationTask

        source = preprocessors.get("source", preprocessors.get("shared"))
        target = preprocessors.get("target", preprocessors.get("shared"))
        return TranslationTask(config, source, target, model)
