"""What the examples share: where they write, and serving an export the way a client would."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def output_folders(task: str) -> tuple[Path, Path]:
    """`runs/example-TASK` and `exported/example-TASK` (or under `--root`), emptied first."""
    parser = argparse.ArgumentParser(description=f"seqzoo {task} example")
    parser.add_argument("--root", default=".", help="folder to write runs/ and exported/ under (default: .)")
    root = Path(parser.parse_args().root)
    run_dir, export_dir = root / "runs" / f"example-{task}", root / "exported" / f"example-{task}"
    for folder in (run_dir, export_dir):
        shutil.rmtree(folder, ignore_errors=True)
    return run_dir, export_dir


def save_run(task, run_dir: Path, metrics: dict) -> None:
    """The run directory as `seqzoo train` leaves it: model, vocabulary, config, metrics."""
    from seqzoo.tasks.common.run_directory import atomic_write_json

    task.save(run_dir)
    atomic_write_json(run_dir / "metrics.json", metrics)


def show_export(export_dir: Path) -> None:
    """What `seqzoo inspect EXPORT` prints (the model card and the signatures)."""
    from seqzoo.tasks.inspection.report import format_inspection, inspect_path

    print(format_inspection(inspect_path(export_dir)).split("## How it was trained")[0])


def load_servable(export_dir: Path, signature: str = "serving_default"):
    """The exported signature as TensorFlow Serving loads it: tensorflow and
    tensorflow_text only (tensorflow_text registers the tokenizer ops)."""
    import tensorflow as tf
    import tensorflow_text  # noqa: F401

    return tf.saved_model.load(str(export_dir)).signatures[signature]


def print_json(value) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))
