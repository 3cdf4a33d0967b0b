"""The jobs behind `seqzoo train|evaluate captioning`: captioned images in, run directory out."""

from __future__ import annotations

import random
import time
from pathlib import Path

from seqzoo.data.builtin import BUILTIN_DATASETS
from seqzoo.data.caption_readers import CaptionedImages, read_captions, read_image_list, select_images
from seqzoo.data.errors import DataError
from seqzoo.tasks.captioning.config import DEFAULT_DATASET, CaptioningConfig
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.plots import plot_learning_curves
from seqzoo.tasks.common.run_directory import atomic_write_json, create_run_directory
from seqzoo.tasks.common.word_vector_init import coverage_message, coverage_metrics


def _builtin_loaders():
    from seqzoo.data.builtin_digit_captions import load_digit_strings

    return {"digit-strings": load_digit_strings}


def read_captioned_images(path: str, config: CaptioningConfig, images: str | None = None,
                          check: bool = True) -> CaptionedImages:
    """A built-in data set by name, or a caption file with its image folder; images that
    cannot be read are dropped with one warning (`check`)."""
    loaders = _builtin_loaders()
    if path in loaders and not Path(path).exists():
        assert BUILTIN_DATASETS[path].task == "captioning"
        return loaders[path](seed=config.seed)
    data = read_captions(path, images if images is not None else config.images, config.image_column,
                         config.caption_column, config.encoding)
    if check:
        from seqzoo.data.image_files import drop_unusable_images

        data = drop_unusable_images(data)
    return data


def _subsample(data: CaptionedImages, count: int | None, seed: int) -> CaptionedImages:
    if not count or count >= len(data):
        return data
    return data.subset(sorted(random.Random(seed).sample(range(len(data)), count)))


def load_splits(config: CaptioningConfig) -> dict[str, CaptionedImages]:
    """Train / validation / test images: the split files, or a seeded random split by image
    (all captions of an image fall on one side)."""
    data = read_captioned_images(config.data or DEFAULT_DATASET, config, check=False)
    data = _subsample(data, config.max_images, config.seed)
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
    return splits


def train_run(config: CaptioningConfig, run_dir, overwrite: bool = False, verbose="auto"):
    """Read the captioned images, train, evaluate on the test split and fill the run directory."""
    from seqzoo.tasks.captioning.task import CaptioningTask, check_encoder, get_architecture, image_size

    get_architecture(config.arch)  # fail before reading data when a name is wrong
    check_encoder(config.encoder)
    image_size(config)
    splits = load_splits(config)
    # Built first: a backbone's weights may fail to download, and then no run directory is left behind.
    task = CaptioningTask.build(config, splits["train"])
    if task.word_vector_coverage is not None:
        print(coverage_message(config.word_vectors, task.word_vector_coverage))
    run_dir = create_run_directory(run_dir, overwrite=overwrite)
    print(
        f"captioning/{config.arch} ({config.encoder} encoder, images {config.image_size}): "
        f"{len(splits['train'])} training images ({splits['train'].num_captions} captions), "
        f"{len(splits['valid'])} validation, {len(splits['test'])} test; vocabulary "
        f"{task.preprocessor.vocabulary_size}; {task.model.count_params():,} parameters; run directory {run_dir}"
    )
    task.save(run_dir)
    started = time.perf_counter()
    history = task.fit(splits["train"], splits["valid"], run_dir=run_dir, verbose=verbose)
    seconds = time.perf_counter() - started
    task.save(run_dir)
    plot_learning_curves(history, run_dir / "learning_curves.png", title=f"captioning / {config.arch}")
    metrics = task.evaluate(splits["test"])
    metrics.update(split="test", training_seconds=round(seconds, 2), epochs=len(history.get("loss", [])),
                   parameters=int(task.model.count_params()))
    metrics.update(coverage_metrics(task.word_vector_coverage))
    atomic_write_json(run_dir / "metrics.json", metrics)
    if task.model.has_attention:
        from seqzoo.tasks.captioning.attention_plots import plot_caption_attention

        example = task.caption(splits["test"].subset([0]), return_attention=True)[0]
        plot_caption_attention(example["pixels"], example["attention"], example["words"],
                               run_dir / "attention_example.png", title=example["caption"])
    print_metrics(metrics)
    return task, metrics


def evaluate_run(run_dir, args=None) -> dict:
    """Evaluate a saved run on `args.data` (a caption file, with `args.images`), or on its
    own test split. `args` may override the columns and encoding, and set `beam_size`
    and `length_penalty`."""
    task = load_task(run_dir)
    config = task.config
    for name in ("image_column", "caption_column", "encoding"):
        if getattr(args, name, None):
            setattr(config, name, getattr(args, name))
    data_path = getattr(args, "data", None)
    if data_path:
        data = read_captioned_images(data_path, config, images=getattr(args, "images", None))
    else:
        data = load_splits(config)["test"]
    metrics = task.evaluate(data, beam_size=getattr(args, "beam_size", None),
                            length_penalty=getattr(args, "length_penalty", None))
    metrics["data"] = data.source
    return metrics


def load_task(run_dir):
    from seqzoo.tasks.captioning.task import CaptioningTask

    return CaptioningTask.load(run_dir)


def architecture_rows(vocabulary_size: int = 5000) -> list[tuple[str, int, str]]:
    """(name, parameters at the default size with the small-cnn encoder at 128x128,
    description) for `seqzoo archs captioning`."""
    from seqzoo.tasks.captioning.task import CAPTIONING_ARCHITECTURES, build_encoder
    from seqzoo.zoo import ImageCaptioner, TransformerDecoder

    config = CaptioningConfig()
    rows = []
    for name, architecture in CAPTIONING_ARCHITECTURES.items():
        decoder = architecture.build(config, vocabulary_size)
        feature_dim = config.embedding_dim if isinstance(decoder, TransformerDecoder) else config.units
        model = ImageCaptioner(build_encoder(config, 128, 128), decoder, 128, 128, feature_dim)
        model.build_from_config({})
        rows.append((name, int(model.count_params()), architecture.description))
    return rows


def print_metrics(metrics: dict) -> None:
    print(
        f"{metrics.get('split', 'evaluation')}: BLEU-1 {metrics['bleu1']:.2f}, BLEU-2 {metrics['bleu2']:.2f}, "
        f"BLEU-3 {metrics['bleu3']:.2f}, BLEU-4 {metrics['bleu4']:.2f} on {metrics['examples']} images "
        f"({metrics['references']} references; beam size {metrics.get('beam_size')})"
    )
    for sample in metrics.get("samples", [])[:3]:
        print(f"  {sample['image']}: {sample['caption']}   (reference: {sample['references'][0]})")
