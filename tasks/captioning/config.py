"""The configuration of an image-captioning run (TensorFlow-free), saved as `config.json`."""

from __future__ import annotations

from dataclasses import dataclass

from seqzoo.tasks.common.config import RATE, FRACTION, MIN_VOCABULARY, DecoderModelConfig, JSONConfig, RuntimeConfig, TrainConfig, config_field

DEFAULT_DATASET = "digit-strings"


@dataclass
class DataConfig:
    """Where the captioned images come from and how they become model inputs."""

    data: str | None = config_field(
        None, "captions: a Flickr8k token file (image#n<TAB>caption), COCO captions .json, "
        ".csv/.tsv/.jsonl with image and caption columns, or a built-in data set "
        f"(default: {DEFAULT_DATASET})"
    )
    images: str | None = config_field(None, "folder holding the images (default: the caption file's folder)")
    split_files: str | None = config_field(
        None, "TRAIN:VALID:TEST files listing image names one per line (Flickr8k split files); "
        "otherwise images are split at random"
    )
    image_column: str = config_field("image", "column (or JSON key) holding the image file name")
    caption_column: str = config_field("caption", "column (or JSON key) holding the caption")
    encoding: str = config_field("utf-8", "text encoding of the caption files")
    valid_fraction: float = config_field(0.1, "fraction of images held out for validation", **FRACTION)
    test_fraction: float = config_field(0.1, "fraction of images held out for testing", **FRACTION)
    max_images: int | None = config_field(None, "use at most this many images (a seeded random subsample)", minimum=1)
    image_size: str | None = config_field(
        None, "HEIGHTxWIDTH the images are resized to (default: 32x112 for the built-in set, "
        "128x128 for small-cnn, 224x224 for a pretrained backbone)"
    )
    lowercase: bool = config_field(True, "fold case before tokenising")
    max_vocabulary: int = config_field(10000, "largest vocabulary, reserved tokens included", minimum=MIN_VOCABULARY)
    min_frequency: int = config_field(1, "drop words seen fewer times than this", minimum=1)
    max_length: int = config_field(30, "longest caption in tokens; longer ones are truncated (counted)", minimum=1)


@dataclass
class ModelConfig(DecoderModelConfig):
    """The image encoder and the caption decoder."""

    arch: str = config_field("show-attend-tell", "decoder architecture (see `seqzoo archs captioning`)")
    encoder: str = config_field(
        "small-cnn", "image encoder: small-cnn (trained from scratch) or a keras.applications "
        "backbone, e.g. MobileNetV3Small, EfficientNetB0"
    )
    encoder_weights: str | None = config_field(
        None, "backbone weights: a local weights file (no top), or imagenet (downloaded once "
        "into ~/.keras/models/); default: random"
    )
    fine_tune_encoder: bool = config_field(False, "train the backbone too (default: frozen; small-cnn always trains)")
    cache_features: bool = config_field(
        False, "run a frozen encoder once per image and train the decoder on the stored features"
    )
    cnn_filters: str = config_field("16,32,64", "channels of the small-cnn blocks (one 2x2 pooling each)")
    units: int = config_field(128, "recurrent units (Transformer: half the feed-forward width)", minimum=1)
    num_layers: int = config_field(2, "Transformer decoder blocks", minimum=1)
    dropout: float = config_field(0.1, "dropout on words, image regions and decoder outputs", **RATE)
    word_vectors: str | None = config_field(
        None, "word2vec/GloVe text file to initialise the decoder's word embedding from (its "
        "width must be --embedding-dim)"
    )


@dataclass
class CaptioningConfig(JSONConfig, RuntimeConfig, TrainConfig, ModelConfig, DataConfig):
    """Everything an image-captioning run needs, saved as `config.json`.

    Examples:

    >>> config = CaptioningConfig(arch="transformer", epochs=2)
    >>> CaptioningConfig.from_dict(config.to_dict()) == config
    True
    """

    epochs: int = config_field(8, "maximum number of passes over the training captions", minimum=1)
    batch_size: int = config_field(32, "captions per batch", minimum=1)
    learning_rate: float = config_field(2e-3, "Adam learning rate", above=0)
    patience: int = config_field(3, "stop after this many epochs without a better validation loss", minimum=0)
    label_smoothing: float = config_field(0.0, "label smoothing of the per-word cross-entropy", **RATE)
    beam_size: int = config_field(3, "beam size of evaluation, `seqzoo caption` and the export (1: greedy)", minimum=1)
    length_penalty: float = config_field(0.6, "GNMT length penalty alpha of beam search", minimum=0)
    task: str = "captioning"
