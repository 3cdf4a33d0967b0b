"""What `seqzoo finetune` needs to know about the language model template: its
vocabularies, how to assemble a task from new parts, and what `--freeze encoder`
freezes: the decoder's embedding and recurrent or Transformer layers; the output layer
(and its bias) trains. With tied weights the output matrix is the embedding, so it is
frozen with it.
"""

from __future__ import annotations

from seqzoo.tasks.common.finetune_parts import TaskParts, VocabularySlot, sublayers


class LanguageModelParts(TaskParts):
    """What fine-tuning needs of the language-model template: the decoder's vocabulary;
    `--freeze encoder` freezes all but the output layer.

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> parts = get_task("language-model").jobs().finetune_parts()
    >>> [slot.name for slot in parts.slots(None)]
    ['text']
    """

    def slots(self, task) -> list[VocabularySlot]:
        return [VocabularySlot("text", "preprocessor", ("decoder",), lambda text: text.splitlines(True))]

    def encoder_layers(self, model) -> list:
        decoder = model.decoder
        output = {id(getattr(decoder, n, None)) for n in ("output_projection", "tied_projection")}
        return [layer for layer in sublayers(decoder) if id(layer) not in output]

    def make(self, old, config, preprocessors, model, label_names):
        from seqzoo.tasks.language_model.task import LanguageModelTask

        return LanguageModelTask(config, preprocessors["text"], model)
