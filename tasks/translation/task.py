"""The translation template: sequence to sequence (many-to-many, not aligned).

A `TranslationTask` owns a source and a target preprocessor (two vocabularies, or one
shared subword vocabulary), an `EncoderDecoderModel` from the zoo and the recipe:
teacher forcing with a masked per-token cross-entropy (label smoothing optional),
gradient clipping for the recurrent architectures, greedy or beam-search decoding in
compiled loops (`seqzoo.tasks.common.samplers`), and a SavedModel that translates raw strings.
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from seqzoo.data.batching import encode_texts
from seqzoo.data.epoch_data import EpochData
from seqzoo.data.parallel import ParallelTexts
from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.data.vocabulary import END_ID, START_ID
from seqzoo.tasks.common.detokenization import tidy_text
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.samplers import beam_search, sample
from seqzoo.tasks.common.sequence_loss import MaskedSequenceLoss, masked_accuracy
from seqzoo.tasks.common.task import Task
from seqzoo.tasks.common.word_vector_init import initialise_embedding
from seqzoo.tasks.translation import SPEC
from seqzoo.tasks.translation.architectures import get_architecture
from seqzoo.tasks.translation.config import TranslationConfig
from seqzoo.tasks.translation.metrics import translation_metrics


def decode_ids(model, source_ids, max_new_tokens, beam_size=1, length_penalty=0.6, n_best=1,
               greedy=False, return_attention=False, per_head=False):
    """Translate padded source ids in one compiled loop (graph code; no Python per token).

    Returns `(ids [batch, n_best, max_new_tokens], scores [batch, n_best])` and, with
    `return_attention`, the weights `[batch, n_best, max_new_tokens, source_time]`
    (`[..., heads, source_time]` with `per_head`).
    Greedy decoding gives one hypothesis per row, with score 0 (not computed).
    """
    state = model.encode(source_ids, max_new_tokens)
    start = tf.fill([tf.shape(source_ids)[0]], START_ID)

    def step(ids, state):
        if return_attention:
            return model.step(ids, state, return_attention=True, per_head=per_head)
        return model.step(ids, state)

    if greedy:
        result = sample(step, state, start, max_new_tokens, END_ID, greedy=True,
                        collect_extras=return_attention)
        ids, extras = result if return_attention else (result, None)
        scores = tf.zeros([tf.shape(ids)[0], 1])
        ids = ids[:, None]
        return (ids, scores, extras[:, None]) if return_attention else (ids, scores)
    return beam_search(step, state, start, max_new_tokens, END_ID, beam_size=beam_size,
                       length_penalty=length_penalty, n_best=n_best, collect_extras=return_attention)


class TranslationTask(Task):
    """A translator: preprocessors, zoo model and recipe, with fit / evaluate / translate /
    save / load / export.

    Args:
        config: the run's `TranslationConfig`.
        source_preprocessor, target_preprocessor: `seqzoo.data.TextPreprocessor`s (the
            same object when the vocabulary is shared).
        model: a `seqzoo.zoo.EncoderDecoderModel`.

    Examples:

    >>> pairs = ParallelTexts(["a b", "b a", "a a", "b b"] * 8, ["B A", "A B", "A A", "B B"] * 8, "toy")
    >>> task = TranslationTask.build(TranslationConfig(arch="luong", units=8, embedding_dim=8), pairs)
    >>> _ = task.fit(pairs, pairs, epochs=1, verbose=0)
    >>> [sorted(result) for result in task.translate(["a b"], beam_size=2)][0]
    ['score', 'source', 'translation']
    """

    spec = SPEC
    preprocessor_folders = {"source_preprocessor": "source", "target_preprocessor": "target"}

    def __init__(self, config, source_preprocessor, target_preprocessor, model):
        super().__init__(config, model, source_preprocessor=source_preprocessor,
                         target_preprocessor=target_preprocessor)
        self._decoders = {}

    # ----------------------------------------------------------------- building
    @classmethod
    def build(cls, config: TranslationConfig, train: ParallelTexts) -> "TranslationTask":
        """Learn the vocabularies from `train` and build the model."""
        architecture = get_architecture(config.arch)
        keras.utils.set_random_seed(config.seed)
        options = dict(level=config.level, max_vocabulary=config.max_vocabulary,
                       min_frequency=config.min_frequency, lowercase=config.lowercase)
        if config.shared_vocabulary:
            source = target = TextPreprocessor.adapt(list(train.sources) + list(train.targets), **options)
        else:
            source = TextPreprocessor.adapt(list(train.sources), **options)
            target = TextPreprocessor.adapt(list(train.targets), **options)
        model = architecture.build(config, source.vocabulary_size, target.vocabulary_size)
        ids = np.ones((1, 2), np.int32)
        model({"source_ids": ids, "target_ids": ids})
        coverage = {}
        for side, path, embedding, preprocessor in (
            ("source", config.source_word_vectors, model.encoder.embedding, source),
            ("target", config.target_word_vectors, model.decoder.embedding, target),
        ):
            found = initialise_embedding(embedding, path, preprocessor.vocabulary, encoding=config.encoding,
                                         seed=config.seed, freeze=config.freeze_embeddings,
                                         flag=f"--{side}-word-vectors")
            if found is not None:
                coverage[side] = found
        task = cls(config, source, target, model)
        task.word_vector_coverage = coverage  # {"source"/"target": coverage}, printed by the job
        return task

    def learning_rate(self) -> float:
        if self.config.learning_rate is not None:
            return self.config.learning_rate
        return 5e-3 if get_architecture(self.config.arch).recurrent else 2e-3

    @property
    def max_new_tokens(self) -> int:
        return self.config.max_length + 1  # the sentence and its end token

    # ----------------------------------------------------------------- data
    def encode_sources(self, texts: Sequence[str]) -> tf.RaggedTensor:
        ids, _ = encode_texts(self.source_preprocessor, list(texts), max_length=self.config.max_length)
        return ids

    def epoch_data(self, data: ParallelTexts) -> EpochData:
        """The pairs as (source, [START] + target, target + [END]) examples, batched by
        source length (see `dataset`)."""
        sources = self.encode_sources(data.sources)
        targets, _ = encode_texts(self.target_preprocessor, list(data.targets),
                                  max_length=self.config.max_length)
        shape = tf.stack([targets.nrows(), 1])
        start = tf.RaggedTensor.from_tensor(tf.fill(shape, START_ID))
        end = tf.RaggedTensor.from_tensor(tf.fill(shape, END_ID))
        target_in = tf.concat([start, tf.cast(targets, tf.int32)], axis=1)
        target_out = tf.concat([tf.cast(targets, tf.int32), end], axis=1)
        # Dense rows, cut back to their length (ids are never 0 inside a sentence), so
        # that tf.data can bucket and pad them.
        columns = [tf.cast(x, tf.int32).to_tensor() for x in (sources, target_in, target_out)]
        examples = tf.data.Dataset.from_tensor_slices(tuple(columns)).map(
            lambda *row: tuple(x[: tf.math.count_nonzero(x, dtype=tf.int32)] for x in row)
        )
        batch_size, bucketing = self.config.batch_size, self.config.bucketing

        def batch(dataset):
            if bucketing:
                # Similar lengths together: less padding, less work per batch.
                dataset = dataset.bucket_by_sequence_length(
                    lambda s, t, o: tf.shape(s)[0], bucket_boundaries=[8, 16, 32, 64],
                    bucket_batch_sizes=[batch_size] * 5, pad_to_bucket_boundary=False,
                )
            else:
                dataset = dataset.padded_batch(batch_size)
            return dataset.map(lambda s, t, o: ({"source_ids": s, "target_ids": t}, o))

        return EpochData(examples, len(data), batch, seed=self.config.seed)

    def dataset(self, data: ParallelTexts, shuffle: bool = False) -> tf.data.Dataset:
        """Batches of ({"source_ids", "target_ids": [START] + target}, target + [END])."""
        return self.epoch_data(data).dataset(shuffle)

    # ----------------------------------------------------------------- training
    def optimizer_learning_rate(self) -> float:
        return self.learning_rate()

    def compile_options(self) -> dict:
        # Teacher forcing: a masked per-token cross-entropy over [START] + target -> target + [END].
        return {"loss": MaskedSequenceLoss(self.config.label_smoothing), "metrics": [masked_accuracy]}

    def after_fit(self) -> None:
        self._decoders = {}

    # ----------------------------------------------------------------- decoding
    def _decoder(self, beam_size, length_penalty, n_best, greedy, return_attention, per_head=False):
        key = (beam_size, float(length_penalty), n_best, greedy, return_attention, per_head)
        if key not in self._decoders:
            model, max_new_tokens = self.model, self.max_new_tokens

            @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
            def decode(source_ids):
                return decode_ids(model, source_ids, max_new_tokens, beam_size, length_penalty,
                                  n_best, greedy, return_attention, per_head)

            self._decoders[key] = decode
        return self._decoders[key]

    def detokenize(self, ids) -> list[str]:
        return [t.decode("utf-8") for t in tidy_text(self.target_preprocessor.detokenize(ids)).numpy()]

    def normalise_references(self, texts: Sequence[str]) -> list[str]:
        """References as the model's output looks: case-folded and tokenised like the
        target side, then detokenised the same way (unknown words kept)."""
        tokens = self.target_preprocessor.tokenize(tf.constant(list(texts)))
        if self.config.level == "char":
            joined = tf.strings.reduce_join(tokens, axis=-1)
        else:
            joined = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
            joined = tf.strings.regex_replace(joined, " ##", "")
        return [t.decode("utf-8") for t in tidy_text(joined).numpy()]

    def translate(self, texts: Sequence[str], beam_size: int | None = None, length_penalty: float | None = None,
                  n_best: int = 1, greedy: bool = False, return_attention: bool = False,
                  per_head: bool = False) -> list[dict]:
        """Translate texts in batches with beam search (or greedy decoding).

        Returns one dict per text: `source`, `translation`, `score` (the length-normalised
        log-probability of beam search; 0 for greedy), with `n_best > 1` also
        `translations` [(text, score), ...], and with `return_attention` the
        `attention` array `[output_tokens, source_tokens]` (for the Transformer the
        last block's cross-attention averaged over heads; with `per_head`, one map per
        head, `[heads, output_tokens, source_tokens]`) with `source_tokens` and
        `output_tokens` (END included).
        """
        beam_size = self.config.beam_size if beam_size is None else int(beam_size)
        length_penalty = self.config.length_penalty if length_penalty is None else length_penalty
        if beam_size < 1 or not 1 <= n_best <= max(beam_size, 1):
            raise UsageError(f"--n-best must be between 1 and --beam-size ({beam_size}).")
        if greedy and n_best > 1:
            raise UsageError("greedy decoding gives one translation; use --beam-size for --n-best.")
        if return_attention and not self.model.has_attention:
            raise UsageError(f"the {self.config.arch} architecture has no attention to show.")
        texts = list(texts)
        decode = self._decoder(beam_size, length_penalty, n_best, greedy, return_attention, per_head)
        results = []
        for begin in range(0, len(texts), self.config.batch_size):
            chunk = texts[begin:begin + self.config.batch_size]
            source_ids = self.encode_sources(chunk).to_tensor()
            source_ids = tf.pad(source_ids, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(source_ids)[1])]])
            output = decode(tf.cast(source_ids, tf.int32))
            ids, scores = output[0].numpy(), output[1].numpy()
            words = [self.detokenize(ids[:, k]) for k in range(n_best)]
            for row, text in enumerate(chunk):
                result = {"source": text, "translation": words[0][row], "score": float(scores[row, 0])}
                if n_best > 1:
                    result["translations"] = [(words[k][row], float(scores[row, k])) for k in range(n_best)]
                if return_attention:
                    result.update(self._attention(text, ids[row, 0], output[2].numpy()[row, 0],
                                                  int(np.count_nonzero(source_ids[row]))))
                results.append(result)
        return results

    def _attention(self, text, ids, weights, source_length) -> dict:
        ids = list(ids)
        length = ids.index(END_ID) + 1 if END_ID in ids else len(ids)
        vocabulary = self.target_preprocessor.vocabulary
        source_tokens = [t.decode("utf-8") for t in self.source_preprocessor.tokenize([text]).to_list()[0]]
        source_tokens = source_tokens[: self.config.max_length]
        weights = np.asarray(weights[:length, ..., :source_length], np.float32)
        if weights.ndim == 3:  # [output, heads, source] -> [heads, output, source]
            weights = weights.transpose(1, 0, 2)
        return {
            "attention": weights,
            "source_tokens": source_tokens[:source_length],
            "output_tokens": [vocabulary.token_of(int(i)) for i in ids[:length]],
        }

    def evaluate(self, data: ParallelTexts, beam_size: int | None = None,
                 length_penalty: float | None = None) -> dict:
        """BLEU, chrF, exact match and BLEU by source length on `data`, plus a few samples."""
        results = self.translate(data.sources, beam_size=beam_size, length_penalty=length_penalty)
        hypotheses = [r["translation"] for r in results]
        references = self.normalise_references(data.targets)
        lengths = [int(n) for n in self.encode_sources(data.sources).row_lengths().numpy()]
        metrics = translation_metrics(hypotheses, references, lengths)
        metrics["beam_size"] = self.config.beam_size if beam_size is None else int(beam_size)
        metrics["samples"] = [
            {"source": s, "reference": r, "translation": h}
            for s, r, h in list(zip(data.sources, references, hypotheses))[:5]
        ]
        return metrics

    # ----------------------------------------------------------------- persistence
    @classmethod
    def load_preprocessors(cls, run_dir, config) -> dict:
        source = TextPreprocessor.load(run_dir / "source")
        target = source if config.shared_vocabulary else TextPreprocessor.load(run_dir / "target")
        return {"source_preprocessor": source, "target_preprocessor": target}

    @classmethod
    def from_files(cls, config, run_dir, model, preprocessors) -> "TranslationTask":
        return cls(config, preprocessors["source_preprocessor"], preprocessors["target_preprocessor"], model)

    def portable_graphs(self):
        """`encoder`: `source_ids` int32 [batch, max_length] (0-padded) -> `state_*`;
        `decoder_step`: (`token_ids` int32 [batch], `state_*`) -> (`logits`, `state_*`)."""
        from seqzoo.tasks.common.portable_graphs import decoder_graphs

        source_ids = tf.TensorSpec([None, self.config.max_length], tf.int32, name="source_ids")
        return decoder_graphs(source_ids, self._portable_encode, self.model.step,
                              self._portable_encode(tf.ones([1, self.config.max_length], tf.int32)))

    def _portable_encode(self, source_ids):
        return self.model.encode(source_ids, self.max_new_tokens)

    def portable_manifest(self) -> dict:
        from seqzoo.tasks.common.portable_graphs import describe_state

        state = self._portable_encode(tf.ones([1, self.config.max_length], tf.int32))
        return {"kind": "text-to-text", "max_length": int(self.config.max_length),
                "max_new_tokens": int(self.max_new_tokens), "decoding": "greedy", "state": describe_state(state)}

    def servable(self):
        """`text` (string [batch]) in, `translation` (string [batch]) and `score` out, with
        tokenisation, beam search (the run's beam size and length penalty) and
        detokenisation inside the graph."""
        server = TranslationServer(self)
        return server, {"serving_default": server.serve}


class TranslationServer(tf.Module):
    """The servable of a `TranslationTask`: raw strings in, translations out.

    Args:
        task: the `TranslationTask` to serve (its beam size and length penalty are used).

    Examples:

    >>> pairs = ParallelTexts(["a b", "b a"] * 4, ["B A", "A B"] * 4, "toy")
    >>> config = TranslationConfig(arch="luong", units=4, embedding_dim=4, beam_size=2)
    >>> server = TranslationServer(TranslationTask.build(config, pairs))
    >>> sorted(server.serve(tf.constant(["a b", "b"])))
    ['score', 'translation']
    """

    def __init__(self, task: TranslationTask):
        super().__init__(name="seqzoo_translator")
        self.source_preprocessor = task.source_preprocessor
        self.target_preprocessor = task.target_preprocessor
        self.model = task.model
        self.max_length = int(task.config.max_length)
        self.max_new_tokens = task.max_new_tokens
        self.beam_size = int(task.config.beam_size)
        self.length_penalty = float(task.config.length_penalty)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def serve(self, text):
        ids = tf.cast(self.source_preprocessor(text)[:, : self.max_length].to_tensor(), tf.int32)
        ids = tf.pad(ids, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(ids)[1])]])
        output, scores = decode_ids(self.model, ids, self.max_new_tokens, self.beam_size, self.length_penalty)
        translation = tidy_text(self.target_preprocessor.detokenize(output[:, 0]))
        return {"translation": translation, "score": scores[:, 0]}
