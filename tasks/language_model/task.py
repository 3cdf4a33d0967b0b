"""The language-model template: predict the next token of a running text (many-to-many).

A `LanguageModelTask` owns a preprocessor (char / word / WordPiece subword
tokens), a `seqzoo.zoo.LanguageModel` around a decoder from the zoo, and the
recipe (Adam, gradient clipping, early stopping on the validation loss). It
trains on fixed-length windows of the token stream, with truncated
backpropagation through time for recurrent models (`--tbptt`), reports
perplexity (and bits per character at character level), generates text with
`seqzoo.tasks.common.samplers` through `LanguageModelGenerator`, and exports that
generator as a SavedModel.
"""

from __future__ import annotations

import math
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from seqzoo.data.language_model_windows import (
    encode_corpus,
    independent_windows_epoch_data,
    stateful_windows_epoch_data,
)
from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.tasks.language_model import SPEC
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.task import Task
from seqzoo.tasks.common.word_vector_init import initialise_embedding
from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.language_model.generator import LanguageModelGenerator
from seqzoo.tasks.language_model.architectures import get_architecture
from seqzoo.zoo import LanguageModel

TASK = SPEC.name
PORTABLE_MAX_TOKENS = 40  # what the portable export's client generates unless told


def _chunks(text: str, size: int = 1 << 14) -> list[str]:
    """A text in pieces that keep their newlines (for learning a vocabulary)."""
    return [text[start : start + size] for start in range(0, len(text), size)]


class LanguageModelTask(Task):
    """A next-token language model: preprocessor, zoo model and recipe, with fit /
    evaluate / generate / save / load / export.

    Args:
        config: the run's `LanguageModelConfig`.
        preprocessor: a `seqzoo.data.TextPreprocessor`.
        model: a `seqzoo.zoo.LanguageModel`.

    Examples:

    >>> text = "abcabcabcabc\\n" * 20
    >>> config = LanguageModelConfig(arch="gru", units=16, embedding_dim=8, window=10,
    ...                              batch_size=4)
    >>> task = LanguageModelTask.build(config, text)
    >>> _ = task.fit(text, text, epochs=1, verbose=0)
    >>> sorted(task.evaluate(text))
    ['bits_per_char', 'loss', 'perplexity', 'tokens']
    >>> len(task.generate(["abc"], max_tokens=5, temperature=0.0)[0])  # greedy: 5 characters
    5
    """

    spec = SPEC

    def __init__(self, config: LanguageModelConfig, preprocessor: TextPreprocessor, model: LanguageModel):
        super().__init__(config, model, preprocessor=preprocessor)
        self._generator = None

    # ----------------------------------------------------------------- building
    @classmethod
    def build(cls, config: LanguageModelConfig, train_text: str) -> "LanguageModelTask":
        """Learn the vocabulary from `train_text` and build the model."""
        architecture = get_architecture(config.arch)
        keras.utils.set_random_seed(config.seed)
        texts = _chunks(train_text) if config.level == "char" else train_text.split("\n")
        texts = [text for text in texts if text.strip()] or [train_text]
        preprocessor = TextPreprocessor.adapt(
            texts,
            level=config.level,
            max_vocabulary=config.max_vocabulary,
            min_frequency=config.min_frequency,
            lowercase=config.lowercase,
        )
        decoder = architecture.build(config, preprocessor.vocabulary_size)
        model = LanguageModel(decoder, carry_state=cls.carries_state(config))
        model.build((None, None))
        coverage = initialise_embedding(decoder.embedding, config.word_vectors, preprocessor.vocabulary,
                                        encoding=config.encoding, seed=config.seed, freeze=config.freeze_embeddings)
        task = cls(config, preprocessor, model)
        task.word_vector_coverage = coverage  # printed by the training job
        return task

    @staticmethod
    def carries_state(config: LanguageModelConfig) -> bool:
        architecture = get_architecture(config.arch)
        return bool(config.tbptt) and architecture.recurrent and architecture.stateful

    @staticmethod
    def learning_rate(config: LanguageModelConfig) -> float:
        if config.learning_rate is not None:
            return config.learning_rate
        return get_architecture(config.arch).learning_rate

    # ----------------------------------------------------------------- data
    def encode(self, text: str, source: str = "the text") -> np.ndarray:
        """The token stream of a text (see `seqzoo.data.language_model_windows`)."""
        return encode_corpus(self.preprocessor, text, source=source)

    def epoch_data(self, ids: np.ndarray):
        """Windows of the stream: stateful rows with TBPTT, independent windows otherwise."""
        if self.carries_state(self.config):
            return stateful_windows_epoch_data(ids, self.config.batch_size, self.config.window)
        return independent_windows_epoch_data(ids, self.config.window, self.config.batch_size, seed=self.config.seed)

    def dataset(self, ids: np.ndarray, shuffle: bool = False) -> tf.data.Dataset:
        return self.epoch_data(ids).dataset(shuffle)

    # ----------------------------------------------------------------- training
    def optimizer_learning_rate(self) -> float:
        return self.learning_rate(self.config)

    def clipnorm(self) -> float | None:
        return self.config.clipnorm or None

    def compile_options(self) -> dict:
        # The model computes its own loss. Carried states live in variables whose batch
        # size may change: no XLA for them.
        from seqzoo.tasks.common.runtime import jit_compile_for

        recurrent = get_architecture(self.config.arch).recurrent
        return {"jit_compile": jit_compile_for(self.config, recurrent, stateful=self.carries_state(self.config))}

    def training_datasets(self, train_text: str, valid_text: str):
        return (self.epoch_data(self.encode(train_text, "the training text")),
                self.dataset(self.encode(valid_text, "the validation text")))

    # ----------------------------------------------------------------- evaluation
    def evaluate(self, text: str, source: str = "the text") -> dict:
        """Per-token loss (nats) and perplexity on `text`; bits per character at char level.

        The text is read as the model was trained: one stream in windows, with
        the state carried across windows under TBPTT. Every token but the
        first is predicted once.
        """
        ids = self.encode(text, source)
        if not self.model.compiled:  # keep a trained optimizer (its step count, its state)
            self.compile()
        loss = float(self.model.evaluate(self.dataset(ids), verbose=0, return_dict=True)["loss"])
        metrics = {"loss": loss, "perplexity": math.exp(min(loss, 700.0)), "tokens": int(len(ids) - 1)}
        if self.config.level == "char":
            # A token is a character here, so nats per token / ln 2 = bits per character.
            metrics["bits_per_char"] = loss / math.log(2)
        return metrics

    # ----------------------------------------------------------------- generation
    @property
    def generator(self) -> LanguageModelGenerator:
        """The compiled generation function (the same one `export` saves)."""
        if self._generator is None:
            self._generator = LanguageModelGenerator(self.preprocessor, self.model.decoder)
        return self._generator

    def generate(
        self,
        prompts: Sequence[str],
        max_tokens: int = 200,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int = 0,
    ) -> list[str]:
        """The continuation of each prompt (without the prompt).

        Args:
            prompts: strings, possibly empty (generation then starts a new paragraph).
            max_tokens: tokens to generate per prompt.
            temperature: softmax temperature; 0 is greedy decoding.
            top_k: sample among the k most likely tokens (0: all).
            top_p: sample among the most likely tokens holding this much
                probability (1.0: all).
            seed: the same seed gives the same text, whatever the batch.
        """
        return [text.decode("utf-8") for text in self.generate_ids(
            prompts, max_tokens, temperature, top_k, top_p, seed
        )["text"].numpy()]

    def generate_ids(self, prompts, max_tokens=200, temperature=1.0, top_k=0, top_p=1.0, seed=0) -> dict:
        """`generate`, also returning the token ids (`{"text", "token_ids"}` tensors)."""
        if max_tokens < 0:
            raise UsageError(f"--max-tokens must be 0 or more, got {max_tokens}.")
        if not 0.0 < top_p <= 1.0:
            raise UsageError(f"--top-p must lie in (0, 1], got {top_p}.")
        if top_k < 0:
            raise UsageError(f"--top-k must be 0 (off) or more, got {top_k}.")
        return self.generator.generate(
            tf.constant(list(prompts), tf.string),
            tf.constant([max_tokens], tf.int32),
            tf.constant([temperature], tf.float32),
            tf.constant([top_k], tf.int32),
            tf.constant([top_p], tf.float32),
            tf.constant([seed], tf.int32),
        )

    # ----------------------------------------------------------------- persistence
    @classmethod
    def from_files(cls, config, run_dir, model, preprocessors) -> "LanguageModelTask":
        return cls(config, preprocessors["preprocessor"], model)

    def portable_graphs(self):
        """`decoder_step`: (`token_ids` int32 [batch], `state_*`) -> (`logits` with the
        generator's bias, `state_*`); the state starts as zeros (see `portable_manifest`)."""
        from seqzoo.tasks.common.portable_graphs import decoder_graphs

        return decoder_graphs(None, None, self.generator.step, self._zero_state())

    def portable_manifest(self) -> dict:
        from seqzoo.tasks.common.portable_graphs import describe_state

        generator = self.generator
        return {"kind": "text-generator", "boundary_id": int(generator.boundary_id),
                "context_length": generator.context_length, "max_tokens": PORTABLE_MAX_TOKENS,
                "state": describe_state(self._zero_state())}

    def _zero_state(self):
        """The state before any token, batch 1: zero recurrent states, or an empty cache."""
        decoder = self.model.decoder
        if hasattr(decoder, "get_initial_state"):
            return decoder.get_initial_state(1)
        return decoder.get_initial_cache(1)

    def servable(self):
        """Signatures: `serving_default` (`prompt` string [batch], `max_tokens` int32,
        `temperature` float32, `seed` int32, each [batch] or [1]) -> `text` string
        [batch]; `generate` adds `top_k` int32 and `top_p` float32 and also returns
        `token_ids`. Tokenisation and sampling are inside the graph."""
        generator = self.generator
        return generator, {"serving_default": generator.serve, "generate": generator.generate}
