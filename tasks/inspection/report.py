"""`seqzoo inspect`: what an export or a run directory holds, without running the model.

An export directory (a SavedModel) is described by its model card (task,
architecture, data, metrics, vocabulary sizes, versions, how it was trained) and by
its signatures as `saved_model.pb` declares them: input and output names, dtypes
and shapes. A run directory is described by its `run.json`, `config.json`,
vocabularies, labels and `metrics.json`.

Examples:

>>> import tempfile
>>> inspect_path(tempfile.mkdtemp())
Traceback (most recent call last):
...
seqzoo.tasks.common.errors.UsageError: ... is neither a seqzoo export (no saved_model.pb, nor version folders 1/, 2/ ... holding one) nor a run directory (no run.json).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.serving_layout import export_versions

PORTABLE_MANIFEST = "portable.json"  # written by `seqzoo.tasks.common.portable_export` (TensorFlow-free here)
from seqzoo.tasks.common.model_card import (
    finetune_summary,
    format_metrics,
    format_model_card,
    format_signatures,
    format_training_config,
    format_vocabulary_sizes,
    read_model_card,
    scalar_metrics,
    signature_contract,
)


def inspect_path(path: str | Path) -> dict[str, Any]:
    """Describe an export or a run directory as a JSON-ready dict with a `kind`."""
    path = Path(path)
    if not path.is_dir():
        raise UsageError(f"{path}: no such directory.")
    if (path / "saved_model.pb").is_file():
        return inspect_export(path)
    if (path / "run.json").is_file():
        return inspect_run(path)
    if (path / PORTABLE_MANIFEST).is_file():
        return inspect_portable_export(path)
    versions = export_versions(path)
    if versions:  # a base folder in TF Serving's layout: the version it would serve
        return {**inspect_export(path / str(versions[-1])), "base": str(path), "versions": versions}
    raise UsageError(
        f"{path} is neither a seqzoo export (no saved_model.pb, nor version folders 1/, 2/ ... holding one) "
        "nor a run directory (no run.json)."
    )


def inspect_export(export_dir: str | Path) -> dict[str, Any]:
    """`{"kind": "export", "path", "card" (None if it has none), "signatures"}`."""
    export_dir = Path(export_dir)
    return {
        "kind": "export",
        "path": str(export_dir),
        "card": read_model_card(export_dir),
        "signatures": signature_contract(export_dir),
    }


def inspect_portable_export(export_dir: str | Path) -> dict[str, Any]:
    """`{"kind": "portable-export", "path", "card", "manifest"}` of a `seqzoo export
    --format litert|onnx` folder: its model card and `portable.json` (graphs, inputs,
    outputs, fixed lengths, special ids), read without running anything."""
    from seqzoo.tasks.common.run_directory import read_json

    export_dir = Path(export_dir)
    return {"kind": "portable-export", "path": str(export_dir), "card": read_model_card(export_dir),
            "manifest": read_json(export_dir / PORTABLE_MANIFEST)}


def format_portable_graphs(manifest: dict[str, Any]) -> list[str]:
    """The graphs of a portable export, one block each: file, inputs and outputs."""
    lines = [f"## {manifest.get('format', '?')} graphs", ""]
    for name, graph in (manifest.get("graphs") or {}).items():
        lines.append(f"- `{graph.get('file', name)}`")
        for side in ("inputs", "outputs"):
            for tensor in graph.get(side) or []:
                shape = "[" + ", ".join("?" if d is None else str(d) for d in tensor.get("shape") or []) + "]"
                lines.append(f"  - {side[:-1]} `{tensor.get('name')}`: {tensor.get('dtype')} {shape}")
    return lines + ["", ""]


def inspect_run(run_dir: str | Path) -> dict[str, Any]:
    """`{"kind": "run", "path", "run", "config", "vocabulary_sizes", "labels", "metrics", "files"}`.

    A run written by a newer, incompatible seqzoo is refused with the versions named; an
    unfinished one is described (its `status` says so), not refused.
    """
    from seqzoo.tasks.common.output_dirs import run_status
    from seqzoo.tasks.common.run_directory import read_json, read_run_info

    run_dir = Path(run_dir)
    info = read_run_info(run_dir, require_finished=False)
    config = read_json(run_dir / "config.json") if (run_dir / "config.json").is_file() else {}
    sizes = {}
    for vocabulary in sorted(run_dir.glob("*vocabulary.txt")) + sorted(run_dir.glob("*/vocabulary.txt")):
        name = vocabulary.parent.name if vocabulary.parent != run_dir else "vocabulary"
        with open(vocabulary, encoding="utf-8") as file:
            sizes[name] = sum(1 for _ in file)
    labels_file = run_dir / "labels.txt"
    labels = labels_file.read_text(encoding="utf-8").splitlines() if labels_file.is_file() else None
    metrics_file = run_dir / "metrics.json"
    metrics = scalar_metrics(read_json(metrics_file)) if metrics_file.is_file() else {}
    return {
        "kind": "run",
        "path": str(run_dir),
        "run": info,
        "status": run_status(run_dir, info),
        "config": config,
        "vocabulary_sizes": sizes,
        "labels": labels,
        "metrics": metrics,
        "finetuned_from": finetune_summary(run_dir),
        "files": sorted(p.name + ("/" if p.is_dir() else "") for p in run_dir.iterdir() if not p.name.startswith(".")),
    }


def format_inspection(report: dict[str, Any]) -> str:
    """What `seqzoo inspect` prints."""
    if report["kind"] == "portable-export":
        lines = [f"{report['manifest'].get('format', 'portable')} export {report['path']}", ""]
        lines += format_portable_graphs(report["manifest"])
        card = report["card"]
        return "\n".join(lines) + (format_model_card(card) if card is not None else "")
    if report["kind"] == "export":
        lines = [f"export {report['path']}", ""]
        if report.get("versions"):
            lines[1:1] = [f"(version {report['versions'][-1]}, the one TensorFlow Serving serves, of base folder "
                          f"{report['base']}: versions {', '.join(map(str, report['versions']))})"]
        if report["card"] is None:
            lines += ["no model card (assets.extra/model_card.json): not exported by seqzoo, or by an older one", ""]
            lines += format_signatures(report["signatures"])
            return "\n".join(lines) + "\n"
        # The signatures come from saved_model.pb itself, not from the card's copy.
        card = {**report["card"], "signatures": report["signatures"]}
        return "\n".join(lines) + format_model_card(card)

    info, config = report["run"], report["config"]
    lines = [
        f"run directory {report['path']}",
        "",
        f"- task: {info.get('task', '?')}",
        f"- status: {_status_line(report.get('status'), report['path'])}",
        f"- architecture: {config.get('arch', '?')}",
        f"- data: {config.get('data') or _builtin_data(info.get('task')) + ' (built-in)'}",
        f"- vocabulary size: {format_vocabulary_sizes(report['vocabulary_sizes'])}",
    ]
    if report["labels"] is not None:
        lines.append(f"- labels ({len(report['labels'])}): {', '.join(report['labels'])}")
    lines.append(f"- metrics: {format_metrics(report['metrics']) or 'none yet (no metrics.json)'}")
    lines.append(
        f"- written by: seqzoo {info.get('seqzoo_version', '?')}, tensorflow {info.get('tensorflow_version', '?')}, "
        f"keras {info.get('keras_version', '?')} (run format {info.get('format_version', '?')})"
    )
    if report.get("finetuned_from"):
        lines.append(f"- fine-tuned from: {report['finetuned_from']}")
    lines.append(f"- files: {', '.join(report['files'])}")
    lines += format_training_config(config)
    return "\n".join(lines) + "\n"


def _status_line(status: str | None, run_dir=None) -> str:
    if status == "unfinished":
        from seqzoo.tasks.common.training_state import read_record, state_path

        record = read_record(state_path(run_dir)) if run_dir is not None else None
        saved = (f"its training state was saved at epoch {record['epoch'] + 1}, step {record['step']}"
                 if record else "it saved no training state yet")
        return (f"unfinished (training did not finish; commands that use its model refuse it; {saved}: continue "
                "it with the same `seqzoo train` command and --resume, or train it again)")
    return status or "?"


def _builtin_data(task: str | None) -> str:
    """The built-in data set of a task (what a run without --data trained on)."""
    from seqzoo.tasks.registry import get_task, task_names

    return (get_task(task).builtin_dataset if task in task_names() else None) or "?"
