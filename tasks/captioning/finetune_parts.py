"""What `seqzoo finetune` needs to know about the captioning template: its vocabularies,
how to assemble a task from new parts, and what `--freeze encoder` freezes: everything
on the image side (backbone, projection, region positions, initial-state layers); the
caption decoder trains.
"""

from __future__ import annotations

from pathlib import Path

from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.tasks.common.finetune_parts import TaskParts, VocabularySlot, sublayers


def _flat_captions(data) -> list[str]:
    return [caption for captions in data.captions for caption in captions]


class CaptioningParts(TaskParts):
    def slots(self, task) -> list[VocabularySlot]:
        return [VocabularySlot("caption", "preprocessor", ("decoder",), _flat_captions)]

    def encoder_layers(self, model) -> list:
        return [layer for layer in sublayers(model) if layer is not model.decoder]

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.captioning.task import CaptioningTask

        return CaptioningTask(config, preprocessors["caption"], model)

    def from_files(self, config, folder: Path, model):
        from seqzoo.tasks.captioning.task import CaptioningTask

        return CaptioningTask(config, TextPreprocessor.load(folder / "captions"), model)
