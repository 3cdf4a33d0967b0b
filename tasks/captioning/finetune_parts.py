"""What `seqzoo finetune` needs to know about the captioning template: its vocabularies,
how to assemble a task from new parts, and what `--freeze encoder` freezes: everything
on the image side (backbone, projection, region positions, initial-state layers); the
caption decoder trains.
"""

from __future__ import annotations

from seqzoo.tasks.common.finetune_parts import TaskParts, VocabularySlot, sublayers


def _flat_captions(data) -> list[str]:
    return [caption for captions in data.captions for caption in captions]


class CaptioningParts(TaskParts):
    """What fine-tuning needs of the captioning template: the caption decoder's vocabulary;
    `--freeze encoder` freezes the image side.

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> parts = get_task("captioning").jobs().finetune_parts()
    >>> [slot.name for slot in parts.slots(None)]
    ['caption']
    """

    def slots(self, task) -> list[VocabularySlot]:
        return [VocabularySlot("caption", "preprocessor", ("decoder",), _flat_captions)]

    def encoder_layers(self, model) -> list:
        return [layer for layer in sublayers(model) if layer is not model.decoder]

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.captioning.task import CaptioningTask

        return CaptioningTask(config, preprocessors["caption"], model)
