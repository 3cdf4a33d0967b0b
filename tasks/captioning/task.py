"""The image-captioning template: one image in, a sentence out (one-to-many).

A `CaptioningTask` owns a word-level preprocessor for the captions, an `ImageCaptioner`
from the zoo (an image encoder giving a grid of region features, and a decoder) and the
recipe: teacher forcing with a masked per-word cross-entropy over every (image,
reference caption) pair, gradient clipping for the recurrent decoders, greedy or
beam-search decoding in compiled loops (`seqzoo.tasks.common.samplers`), BLEU-1..4 against all
references of each image, attention maps over image regions, and a SavedModel that
captions encoded JPEG / PNG bytes.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from seqzoo.data.batching import encode_texts
from seqzoo.data.caption_readers import CaptionedImages
from seqzoo.data.epoch_data import EpochData
from seqzoo.data.image_files import decode_image
from seqzoo.data.progress import track
from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.data.vocabulary import END_ID, START_ID
from seqzoo.tasks.captioning import SPEC
from seqzoo.tasks.captioning.architectures import get_architecture
from seqzoo.tasks.captioning.config import DEFAULT_DATASET, CaptioningConfig
from seqzoo.tasks.captioning.metrics import caption_metrics
from seqzoo.tasks.common.detokenization import tidy_text
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.samplers import beam_search, sample
from seqzoo.tasks.common.sequence_loss import MaskedSequenceLoss, masked_accuracy
from seqzoo.tasks.common.task import Task
from seqzoo.tasks.common.word_vector_init import initialise_embedding
from seqzoo.zoo import ImageCaptioner, PretrainedImageEncoder, SmallCNNEncoder, TransformerDecoder
from seqzoo.zoo.pretrained_image_encoder import BACKBONES


def check_encoder(name: str) -> None:
    if name != "small-cnn" and name not in BACKBONES:
        raise UsageError(f"unknown image encoder {name!r}; known: small-cnn, {', '.join(BACKBONES)}.")


def image_size(config: CaptioningConfig) -> tuple[int, int]:
    """(height, width) from `--image-size HxW`, or the default for the data and encoder."""
    if config.image_size:
        match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", config.image_size)
        if not match or min(int(match[1]), int(match[2])) < 8:
            raise UsageError(f"--image-size {config.image_size!r}: give HEIGHTxWIDTH, e.g. 224x224 (at least 8).")
        return int(match[1]), int(match[2])
    if config.encoder != "small-cnn":
        return 224, 224
    if (config.data or DEFAULT_DATASET) == DEFAULT_DATASET:
        from seqzoo.data.builtin_digit_captions import IMAGE_HEIGHT, IMAGE_WIDTH

        return IMAGE_HEIGHT, IMAGE_WIDTH
    return 128, 128


def build_encoder(config: CaptioningConfig, height: int, width: int):
    """The image encoder; a failed ImageNet download says where to put the file."""
    check_encoder(config.encoder)
    if config.encoder == "small-cnn":
        try:
            filters = tuple(int(f) for f in config.cnn_filters.split(","))
        except ValueError:
            raise UsageError(f"--cnn-filters {config.cnn_filters!r}: give channels per block, e.g. 32,64,128.") from None
        return SmallCNNEncoder(filters, dropout=0.0)
    weights = config.encoder_weights
    if weights not in (None, "imagenet") and not Path(weights).is_file():
        raise UsageError(f"--encoder-weights {weights}: no such file (give a weights file of {config.encoder} "
                         f"without its top, or imagenet).")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*input_shape.*")  # weights of 224x224 fit any size
            return PretrainedImageEncoder(config.encoder, height, width, weights=weights,
                                          trainable=config.fine_tune_encoder)
    except Exception as error:
        if weights != "imagenet":
            raise UsageError(f"--encoder-weights {weights}: could not load it into {config.encoder} "
                             f"({str(error).splitlines()[0][:200]}).") from None
        url = re.search(r"https?://\S+?\.h5", str(error))
        file = url[0].rsplit("/", 1)[-1] if url else f"the {config.encoder} no-top weights file"
        raise UsageError(
            f"could not download the ImageNet weights of {config.encoder} (offline?): fetch "
            f"{url[0] if url else file} on a machine with network access and either put {file} in "
            f"~/.keras/models/ or pass --encoder-weights PATH/{file}."
        ) from None


def normalise_captions(preprocessor: TextPreprocessor, texts: Sequence[str]) -> list[str]:
    """Captions as the model writes them: case-folded and split like the training text,
    words joined by spaces, no space before closing punctuation."""
    if not texts:
        return []
    tokens = preprocessor.tokenize(tf.constant(list(texts)))
    joined = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
    return [t.decode("utf-8") for t in tidy_text(joined).numpy()]


def decode_images(model, images, max_new_tokens, beam_size=1, length_penalty=0.6, greedy=False,
                  return_attention=False):
    """Caption a batch of images in one compiled loop (graph code; no Python per word).

    Returns `(ids [batch, 1, max_new_tokens], scores [batch, 1])` and, with
    `return_attention`, the weights over the regions `[batch, 1, max_new_tokens, regions]`.
    Greedy decoding scores 0.
    """
    state = model.encode(images, max_new_tokens)
    start = tf.fill([tf.shape(images)[0]], START_ID)

    def step(ids, state):
        return model.step(ids, state, return_attention=return_attention)

    if greedy:
        result = sample(step, state, start, max_new_tokens, END_ID, greedy=True, collect_extras=return_attention)
        ids, extras = result if return_attention else (result, None)
        scores = tf.zeros([tf.shape(ids)[0], 1])
        return (ids[:, None], scores, extras[:, None]) if return_attention else (ids[:, None], scores)
    return beam_search(step, state, start, max_new_tokens, END_ID, beam_size=beam_size,
                       length_penalty=length_penalty, n_best=1, collect_extras=return_attention)


class CaptioningTask(Task):
    """An image captioner: preprocessor, zoo model and recipe, with fit / evaluate /
    caption / save / load / export.

    Args:
        config: the run's `CaptioningConfig` (its `image_size` resolved).
        preprocessor: a word-level `seqzoo.data.TextPreprocessor` for the captions.
        model: a `seqzoo.zoo.ImageCaptioner`.

    Examples:

    >>> from seqzoo.data.builtin_digit_captions import load_digit_strings
    >>> data = load_digit_strings(size=16)
    >>> config = CaptioningConfig(arch="show-and-tell", units=8, embedding_dim=8, cnn_filters="4,8")
    >>> task = CaptioningTask.build(config, data)
    >>> _ = task.fit(data, data, epochs=1, verbose=0)
    >>> sorted(task.caption(data.subset([0]), beam_size=2)[0])
    ['caption', 'image', 'score']
    """

    spec = SPEC
    preprocessor_folders = {"preprocessor": "captions"}

    def __init__(self, config: CaptioningConfig, preprocessor: TextPreprocessor, model: ImageCaptioner):
        super().__init__(config, model, preprocessor=preprocessor)
        self._decoders = {}

    # ----------------------------------------------------------------- building
    @classmethod
    def build(cls, config: CaptioningConfig, train: CaptionedImages) -> "CaptioningTask":
        """Learn the vocabulary from the training captions and build the model."""
        architecture = get_architecture(config.arch)
        height, width = image_size(config)
        config.image_size = f"{height}x{width}"
        keras.utils.set_random_seed(config.seed)
        preprocessor = TextPreprocessor.adapt(
            [caption for captions in train.captions for caption in captions], level="word",
            max_vocabulary=config.max_vocabulary, min_frequency=config.min_frequency, lowercase=config.lowercase,
        )
        encoder = build_encoder(config, height, width)
        decoder = architecture.build(config, preprocessor.vocabulary_size)
        feature_dim = config.embedding_dim if isinstance(decoder, TransformerDecoder) else config.units
        model = ImageCaptioner(encoder, decoder, image_height=height, image_width=width, feature_dim=feature_dim,
                               dropout=config.dropout)
        model.build_from_config({})
        coverage = initialise_embedding(decoder.embedding, config.word_vectors, preprocessor.vocabulary,
                                        encoding=config.encoding, seed=config.seed, freeze=config.freeze_embeddings)
        task = cls(config, preprocessor, model)
        task.word_vector_coverage = coverage  # printed by the training job
        return task

    @property
    def image_shape(self) -> tuple[int, int]:
        return self.model.image_height, self.model.image_width

    @property
    def max_new_tokens(self) -> int:
        return self.config.max_length + 1  # the caption and its end token

    @property
    def frozen_encoder(self) -> bool:
        return isinstance(self.model.encoder, PretrainedImageEncoder) and not self.model.encoder.trainable

    # ----------------------------------------------------------------- data
    def _image_source(self, data: CaptionedImages):
        """(string tensor of encoded images or of paths, whether they are paths)."""
        if data.contents is not None:
            return tf.constant(data.contents), False
        return tf.constant(data.paths()), True

    def images_dataset(self, data: CaptionedImages, batch_size: int | None = None) -> tf.data.Dataset:
        """Batches of decoded, resized images `[batch, height, width, 3]`, in order."""
        source, are_paths = self._image_source(data)
        height, width = self.image_shape

        def load(index):
            contents = tf.gather(source, index)
            if are_paths:
                contents = tf.io.read_file(contents)
            return decode_image(contents, height, width)

        return (tf.data.Dataset.range(len(data)).map(load, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(batch_size or self.config.batch_size).prefetch(tf.data.AUTOTUNE))

    def encoder_features(self, data: CaptionedImages) -> np.ndarray:
        """The encoder's region features of every image, computed once (inference mode)."""
        encode = tf.function(lambda images: self.model.encode_images(images, training=False), reduce_retracing=True)
        batches = track(self.images_dataset(data), "caching image features", "images", size=len, total=len(data))
        return np.concatenate([encode(batch).numpy() for batch in batches], axis=0)

    def dataset(self, data: CaptionedImages, shuffle: bool = False, features: np.ndarray | None = None):
        """Batches of ({"images" or "features", "target_ids": [START] + caption}, caption + [END]),
        one example per (image, reference caption) pair."""
        return self.epoch_data(data, features).dataset(shuffle)

    def epoch_data(self, data: CaptionedImages, features: np.ndarray | None = None) -> EpochData:
        """`dataset`'s (image index, caption) examples and their batching (images are
        read per batch)."""
        image_index = np.array([i for i, captions in enumerate(data.captions) for _ in captions], np.int64)
        texts = [caption for captions in data.captions for caption in captions]
        ids, _ = encode_texts(self.preprocessor, texts, max_length=self.config.max_length)
        ids = tf.cast(ids, tf.int32)
        shape = tf.stack([ids.nrows(), 1])
        target_in = tf.concat([tf.RaggedTensor.from_tensor(tf.fill(shape, START_ID)), ids], axis=1).to_tensor()
        target_out = tf.concat([ids, tf.RaggedTensor.from_tensor(tf.fill(shape, END_ID))], axis=1).to_tensor()
        examples = tf.data.Dataset.from_tensor_slices((image_index, target_in, target_out))
        batch_size = self.config.batch_size
        height, width = self.image_shape
        if features is not None:
            feature_table = tf.constant(features)

            def inputs(index):
                return {"features": tf.gather(feature_table, index)}
        else:
            source, are_paths = self._image_source(data)

            def load(index):
                contents = tf.gather(source, index)
                if are_paths:
                    contents = tf.io.read_file(contents)
                return decode_image(contents, height, width)

            def inputs(index):
                return {"images": tf.map_fn(load, index, fn_output_signature=tf.TensorSpec([height, width, 3]))}

        def to_example(index, target_in, target_out):
            # Cut the batch back to its longest caption (ids are never 0 inside one).
            length = tf.reduce_max(tf.math.count_nonzero(target_in, axis=1, dtype=tf.int32))
            example = inputs(index)
            example["target_ids"] = target_in[:, :length]
            return example, target_out[:, :length]

        def batch(dataset):
            return dataset.batch(batch_size).map(to_example, num_parallel_calls=tf.data.AUTOTUNE)

        return EpochData(examples, len(image_index), batch, seed=self.config.seed)

    # ----------------------------------------------------------------- training
    def compile_options(self) -> dict:
        return {"loss": MaskedSequenceLoss(self.config.label_smoothing), "metrics": [masked_accuracy]}

    def training_datasets(self, train: CaptionedImages, valid: CaptionedImages):
        """Teacher-forced batches. With `cache_features` and a frozen encoder, the encoder
        runs once per image first."""
        train_features = valid_features = None
        if self.config.cache_features:
            if not self.frozen_encoder:
                raise UsageError("--cache-features needs a frozen pretrained encoder (--encoder NAME, "
                                 "without --fine-tune-encoder).")
            train_features, valid_features = self.encoder_features(train), self.encoder_features(valid)
        return (self.epoch_data(train, features=train_features),
                self.dataset(valid, features=valid_features))

    def after_fit(self) -> None:
        self._decoders = {}

    # ----------------------------------------------------------------- decoding
    def _decoder(self, beam_size, length_penalty, greedy, return_attention):
        key = (beam_size, float(length_penalty), greedy, return_attention)
        if key not in self._decoders:
            model, max_new_tokens = self.model, self.max_new_tokens
            height, width = self.image_shape

            @tf.function(input_signature=[tf.TensorSpec([None, height, width, 3], tf.float32)])
            def decode(images):
                return decode_images(model, images, max_new_tokens, beam_size, length_penalty, greedy,
                                     return_attention)

            self._decoders[key] = decode
        return self._decoders[key]

    def detokenize(self, ids) -> list[str]:
        return [t.decode("utf-8") for t in tidy_text(self.preprocessor.detokenize(ids)).numpy()]

    def caption(self, data: CaptionedImages, beam_size: int | None = None, length_penalty: float | None = None,
                greedy: bool = False, return_attention: bool = False) -> list[dict]:
        """Caption every image of `data` with beam search (or greedy decoding).

        Returns one dict per image: `image` (its name), `caption`, `score` (the
        length-normalised log-probability of beam search; 0 for greedy), and with
        `return_attention` the `attention` array `[words, rows, columns]` over the
        region grid (the Transformer: last block, mean over heads), the `words` (END
        included) and the resized `pixels` (uint8 `[height, width, 3]`) it was computed on.
        """
        beam_size = self.config.beam_size if beam_size is None else int(beam_size)
        length_penalty = self.config.length_penalty if length_penalty is None else length_penalty
        if beam_size < 1:
            raise UsageError("--beam-size must be at least 1.")
        if return_attention and not self.model.has_attention:
            raise UsageError(f"the {self.config.arch} architecture has no attention to show.")
        decode = self._decoder(beam_size, length_penalty, greedy or beam_size == 1, return_attention)
        rows, columns = self.model.grid_shape()
        vocabulary = self.preprocessor.vocabulary
        results = []
        for images in self.images_dataset(data):
            output = decode(images)
            ids, scores = output[0].numpy()[:, 0], output[1].numpy()[:, 0]
            texts = self.detokenize(ids)
            for row in range(len(texts)):
                result = {"image": data.images[len(results)], "caption": texts[row], "score": float(scores[row])}
                if return_attention:
                    tokens = list(ids[row])
                    length = tokens.index(END_ID) + 1 if END_ID in tokens else len(tokens)
                    weights = output[2].numpy()[row, 0, :length]
                    result.update(
                        attention=weights.reshape(length, rows, columns).astype(np.float32),
                        words=[vocabulary.token_of(int(i)) for i in tokens[:length]],
                        pixels=np.asarray(images[row]).round().astype(np.uint8),
                    )
                results.append(result)
        return results

    def evaluate(self, data: CaptionedImages, beam_size: int | None = None, length_penalty: float | None = None) -> dict:
        """BLEU-1..4 against all reference captions of each image, plus a few samples."""
        results = self.caption(data, beam_size=beam_size, length_penalty=length_penalty)
        hypotheses = [r["caption"] for r in results]
        flat = normalise_captions(self.preprocessor, [c for captions in data.captions for c in captions])
        references, start = [], 0
        for captions in data.captions:
            references.append(flat[start:start + len(captions)])
            start += len(captions)
        metrics = caption_metrics(hypotheses, references)
        metrics["beam_size"] = self.config.beam_size if beam_size is None else int(beam_size)
        metrics["samples"] = [
            {"image": image, "caption": hypothesis, "references": refs}
            for image, hypothesis, refs in list(zip(data.images, hypotheses, references))[:5]
        ]
        return metrics

    # ----------------------------------------------------------------- persistence
    @classmethod
    def from_files(cls, config, run_dir, model, preprocessors) -> "CaptioningTask":
        return cls(config, preprocessors["preprocessor"], model)

    def architecture_description(self) -> str:
        return f"{super().architecture_description()}; image encoder {self.config.encoder}"

    def portable_graphs(self):
        """`encoder`: `images` float32 [batch, height, width, 3] (0..255, resized as the
        SavedModel resizes them) -> `state_*`; `decoder_step`: (`token_ids` int32 [batch],
        `state_*`) -> (`logits`, `state_*`)."""
        from seqzoo.tasks.common.portable_graphs import decoder_graphs

        images = tf.TensorSpec([None, *self.image_shape, 3], tf.float32, name="images")
        return decoder_graphs(images, self._portable_encode, self.model.step,
                              self._portable_encode(tf.zeros([1, *self.image_shape, 3])))

    def _portable_encode(self, images):
        return self.model.encode(images, self.max_new_tokens)

    def portable_manifest(self) -> dict:
        from seqzoo.tasks.common.portable_graphs import describe_state

        state = self._portable_encode(tf.zeros([1, *self.image_shape, 3]))
        return {"kind": "image-to-text", "image_size": list(self.image_shape),
                "max_new_tokens": int(self.max_new_tokens), "decoding": "greedy", "state": describe_state(state)}

    def servable(self):
        """`image` (string [batch], JPEG or PNG bytes) in, `caption` (string [batch]) and
        `score` out, with decoding, resizing, beam search (the run's beam size and length
        penalty) and detokenisation inside the graph."""
        server = CaptioningServer(self)
        return server, {"serving_default": server.serve}


class CaptioningServer(tf.Module):
    """The servable of a `CaptioningTask`: encoded images in, captions out.

    Args:
        task: the `CaptioningTask` to serve (its beam size and length penalty are used).
    """

    def __init__(self, task: CaptioningTask):
        super().__init__(name="seqzoo_captioner")
        self.preprocessor = task.preprocessor
        self.model = task.model
        self.height, self.width = task.image_shape
        self.max_new_tokens = task.max_new_tokens
        self.beam_size = int(task.config.beam_size)
        self.length_penalty = float(task.config.length_penalty)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="image")])
    def serve(self, image):
        pixels = tf.map_fn(lambda contents: decode_image(contents, self.height, self.width), image,
                           fn_output_signature=tf.TensorSpec([self.height, self.width, 3], tf.float32))
        # An empty request decodes one black image, and returns nothing of it.
        count = tf.shape(image)[0]
        pixels = tf.cond(count > 0, lambda: pixels, lambda: tf.zeros([1, self.height, self.width, 3]))
        output, scores = decode_images(self.model, pixels, self.max_new_tokens, self.beam_size,
                                       self.length_penalty, greedy=self.beam_size == 1)
        caption = tidy_text(self.preprocessor.detokenize(output[:, 0]))
        return {"caption": caption[:count], "score": scores[:count, 0]}
