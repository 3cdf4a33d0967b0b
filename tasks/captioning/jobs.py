"""The jobs behind `seqzoo train|evaluate captioning`: captioned images in, run directory out."""

from __future__ import annotations

import random
from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS
from seqzoo.data.caption_readers import CaptionedImages, read_captions, read_image_list, select_images
from seqzoo.data.errors import DataError
from seqzoo.tasks.captioning import SPEC
from seqzoo.tasks.captioning.config import DEFAULT_DATASET, CaptioningConfig
from seqzoo.tasks.captioning.task import CaptioningTask, check_encoder, image_size
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.jobs import Splits, TaskJobs, subsample


def _builtin_loaders():
    from seqzoo.data.builtin_digit_captions import load_digit_strings

    return {"digit-strings": load_digit_strings}


def read_captioned_images(path: str, config: CaptioningConfig, images: str | None = None,
                          check: bool = True) -> CaptionedImages:
    """A built-in data set by name, or a caption file with its image folder; images that
    cannot be read are dropped with one warning (`check`)."""
    loaders = _builtin_loaders()
    if path in loaders and not Path(path).exists():
        assert BUILTIN_DATASETS[path].task == SPEC.name
        return loaders[path](seed=config.seed)
    data = read_captions(path, images if images is not None else config.images, config.image_column,
                         config.caption_column, config.encoding)
    if check:
        from seqzoo.data.image_files import drop_unusable_images

        data = drop_unusable_images(data)
    return data


class CaptioningJobs(TaskJobs):
    """Train, evaluate and measure captioning runs. A split is a `CaptionedImages`.

    Examples:

    >>> splits = JOBS.load_splits(CaptioningConfig(max_images=60))
    >>> sum(len(split) for split in splits.values())
    60
    """

    task_class = CaptioningTask
    evaluate_overrides = ("image_column", "caption_column", "encoding")

    def check(self, config) -> None:
        super().check(config)
        check_encoder(config.encoder)
        image_size(config)

    def read_data(self, path: str, config: CaptioningConfig, args=None) -> CaptionedImages:
        return read_captioned_images(path, config, images=getattr(args, "images", None))

    def load_splits(self, config: CaptioningConfig) -> Splits:
        """Train / validation / test images: the split files, or a seeded random split by image
        (all captions of an image fall on one side)."""
        data = read_captioned_images(config.data or DEFAULT_DATASET, config, check=False)
        data = subsample(data, config.max_images, config.seed)
        if data.contents is None:
            from seqzoo.data.image_files import drop_unusable_images

            data = drop_unusable_images(data)  # one warning for the whole data set
        if config.split_files:
            files = config.split_files.split(":")
            if len(files) != 3:
                raise UsageError(f"--split-files {config.split_files!r}: give TRAIN:VALID:TEST, three files.")
            splits = {name: select_images(data, read_image_list(file, config.encoding), file)
                      for name, file in zip(("train", "valid", "test"), files)}
        else:
            order = list(range(len(data)))
            random.Random(config.seed).shuffle(order)
            n_valid = max(1, round(config.valid_fraction * len(data)))
            n_test = max(1, round(config.test_fraction * len(data)))
            if n_valid + n_test >= len(data):
                raise DataError(f"{data.source}: {len(data)} images are too few to hold out validation and test images.")
            splits = {"valid": data.subset(sorted(order[:n_valid])),
                      "test": data.subset(sorted(order[n_valid:n_valid + n_test])),
                      "train": data.subset(sorted(order[n_valid + n_test:]))}
        for name in ("train", "valid", "test"):
            if not len(splits[name]):
                raise DataError(f"{data.source}: no usable image left for the {name} split.")
        return Splits(splits, source=data.source)

    def describe(self, task, splits, run_dir) -> str:
        config = task.config
        return (
            f"captioning/{config.arch} ({config.encoder} encoder, images {config.image_size}): "
            f"{len(splits['train'])} training images ({splits['train'].num_captions} captions), "
            f"{len(splits['valid'])} validation, {len(splits['test'])} test; vocabulary "
            f"{task.preprocessor.vocabulary_size}; {task.model.count_params():,} parameters; run directory {run_dir}"
        )

    def evaluate(self, task, data, args=None) -> dict:
        return task.evaluate(data, beam_size=getattr(args, "beam_size", None),
                             length_penalty=getattr(args, "length_penalty", None))

    def after_training(self, task, splits, metrics, run_dir) -> None:
        if task.model.has_attention:
            from seqzoo.tasks.captioning.attention_plots import plot_caption_attention

            example = task.caption(splits["test"].subset([0]), return_attention=True)[0]
            plot_caption_attention(example["pixels"], example["attention"], example["words"],
                                   run_dir / "attention_example.png", title=example["caption"])

    def example_model(self, config, architecture):
        """The captioner for a 5,000-word vocabulary, the small-cnn encoder at 128x128."""
        from seqzoo.tasks.captioning.task import build_encoder
        from seqzoo.zoo import ImageCaptioner, TransformerDecoder

        decoder = architecture.build(config, 5000)
        feature_dim = config.embedding_dim if isinstance(decoder, TransformerDecoder) else config.units
        model = ImageCaptioner(build_encoder(config, 128, 128), decoder, 128, 128, feature_dim)
        model.build_from_config({})
        return model

    def print_metrics(self, metrics: dict) -> None:
        print(
            f"{metrics.get('split', 'evaluation')}: BLEU-1 {metrics['bleu1']:.2f}, BLEU-2 {metrics['bleu2']:.2f}, "
            f"BLEU-3 {metrics['bleu3']:.2f}, BLEU-4 {metrics['bleu4']:.2f} on {metrics['examples']} images "
            f"({metrics['references']} references; beam size {metrics.get('beam_size')})"
        )
        for sample in metrics.get("samples", [])[:3]:
            print(f"  {sample['image']}: {sample['caption']}   (reference: {sample['references'][0]})")

    def measure(self, task, config, splits):
        sizes = {name: len(split) for name, split in splits.items()}
        return int(splits["train"].num_captions), "captions", sizes, {}

    def finetune_parts(self):
        from seqzoo.tasks.captioning.finetune_parts import CaptioningParts

        return CaptioningParts(self)


JOBS = CaptioningJobs(SPEC)

# The module-level names of seqzoo 0.1.
train_run = JOBS.train_run
evaluate_run = JOBS.evaluate_run
load_task = JOBS.load_task
load_splits = JOBS.load_splits
architecture_rows = JOBS.architecture_rows
print_metrics = JOBS.print_metrics
