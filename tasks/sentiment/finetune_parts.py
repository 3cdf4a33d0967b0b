"""What `seqzoo finetune` needs to know about the sentiment template: its vocabularies, how
to assemble a task from new parts, and what `--freeze encoder` freezes: the sequence
encoder (embedding and recurrent or Transformer layers); the pooling and the
classification head train.
"""

from __future__ import annotations

from pathlib import Path

from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.finetune_parts import TaskParts, VocabularySlot


class SentimentParts(TaskParts):
    """What fine-tuning needs of the sentiment template: one vocabulary feeding the
    encoder, and the label set (`--new-labels` trains a new head).

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> parts = get_task("sentiment").jobs().finetune_parts()
    >>> [slot.name for slot in parts.slots(None)]
    ['text']
    """

    def slots(self, task) -> list[VocabularySlot]:
        return [VocabularySlot("text", "preprocessor", ("encoder",), lambda data: data.texts)]

    def labels(self, task, splits, new_labels: bool):
        from seqzoo.tasks.sentiment.task import sorted_label_names

        seen = sorted_label_names([label for split in splits.values() for label in split.labels])
        if new_labels:
            names = sorted_label_names(splits["train"].labels)
            missing = sorted(set(seen) - set(names))
            if missing:
                raise UsageError(
                    f"labels {', '.join(map(repr, missing))} of the validation or test data are not in the "
                    f"training data {splits['train'].source}."
                )
            return names, len(names), "output_dense"
        unseen = [label for label in seen if label not in task.label_names]
        if unseen:
            raise UsageError(
                f"the new data has labels the model never saw: {', '.join(map(repr, unseen[:10]))} (it knows "
                f"{', '.join(map(repr, task.label_names))}); pass --new-labels to train a new "
                "classification head on the new label set (the encoder is kept)."
            )
        return task.label_names, None, None

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.sentiment.task import SentimentTask

        return SentimentTask(config, preprocessors["text"], model, label_names)

    def from_files(self, config, folder: Path, model):
        from seqzoo.tasks.sentiment.task import SentimentTask

        labels = folder / "labels.txt"
        names = (
            labels.read_text(encoding="utf-8").splitlines() if labels.is_file()
            else [str(i) for i in range(model.num_classes)]
        )
        return SentimentTask(config, TextPreprocessor.load(folder), model, names)
