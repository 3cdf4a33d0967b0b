"""The model card an export carries, and the signature contract read from a SavedModel.

An export directory holds, beside the SavedModel, `assets.extra/model_card.json`
(TensorFlow Serving ignores `assets.extra/`) and a human-readable `MODEL_CARD.md`:
task, architecture, training data, test metrics, vocabulary size(s), labels, the
signatures with their input and output names, dtypes and shapes, how the model was
trained (its config), and the seqzoo, TensorFlow and Keras versions.

`read_model_card` needs no TensorFlow; `signature_contract` parses `saved_model.pb`
with TensorFlow's protobuf classes and runs nothing from the graph.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

CARD_JSON = Path("assets.extra") / "model_card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
CARD_FORMAT_VERSION = 1

def example_request(spec, signature: str = "serving_default") -> dict[str, Any] | None:
    """A TensorFlow Serving REST request body for a signature of a task (its `TaskSpec`,
    whose `example_requests` give the instances), or None.

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> example_request(get_task("translation"))["instances"][0]
    {'text': 'Monday, March 5, 2021'}
    """
    instances = spec.example_requests.get(signature)
    if instances is None:
        return None
    return {"signature_name": signature, "instances": instances}


def model_card(
    spec,
    config,
    architecture: str,
    vocabulary_sizes: dict[str, int],
    run_dir: str | Path | None = None,
    labels: list[str] | None = None,
) -> dict[str, Any]:
    """What an export says about itself (the signatures are added by `save_servable`).

    Args:
        spec: the task's `TaskSpec` (its name, built-in data set and example requests).
        config: the run's config dataclass (with `to_dict`).
        architecture: one line describing the architecture.
        vocabulary_sizes: size of each vocabulary, by name (`{"source": 812, ...}`).
        run_dir: the run directory the model was loaded from, for its metrics and the
            versions it was trained with; None for a model that was never saved.
        labels: class names in output order (classifiers).
    """
    import keras
    import tensorflow as tf

    from seqzoo.tasks.common.versions import seqzoo_version

    task = spec.name
    settings = config.to_dict()
    card: dict[str, Any] = {
        "card_format_version": CARD_FORMAT_VERSION,
        "task": task,
        "architecture": {"name": settings.get("arch"), "description": architecture},
        "data": settings.get("data") or (f"{spec.builtin_dataset} (built-in)" if spec.builtin_dataset
                                         else "the task's own generated data"),
        "vocabulary_sizes": {name: int(size) for name, size in vocabulary_sizes.items()},
        "metrics": {},
        "training_config": settings,
        "exported_with": {
            "seqzoo": seqzoo_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if labels is not None:
        card["labels"] = list(labels)
    requests = {name: example_request(spec, name) for name in spec.example_requests}
    if requests:
        card["example_requests"] = requests
    if run_dir is not None:
        run_dir = Path(run_dir)
        card["run_directory"] = str(run_dir)
        card["metrics"] = scalar_metrics(_json_or_none(run_dir / "metrics.json") or {})
        info = _json_or_none(run_dir / "run.json") or {}
        card["trained_with"] = {
            key.removesuffix("_version"): info[key]
            for key in ("seqzoo_version", "tensorflow_version", "keras_version")
            if key in info
        }
        finetuned = finetune_summary(run_dir)
        if finetuned:
            card["finetuned_from"] = finetuned
    card["training_config"] = card.pop("training_config")  # the long part, last
    return card


def finetune_summary(run_dir: str | Path) -> str | None:
    """One line on where a fine-tuned run came from (its `finetune.json`), or None for a
    run trained from scratch.

    Examples:

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> run = Path(tempfile.mkdtemp())
    >>> finetune_summary(run) is None
    True
    >>> record = {"source": "runs/lstm", "new_labels": False, "vocabularies": {"text": {
    ...     "policy": "extend", "old_size": 50, "new_size": 80, "added": ["superb"]}}}
    >>> _ = (run / "finetune.json").write_text(json.dumps(record))
    >>> finetune_summary(run)
    'runs/lstm (text vocabulary extend: 50 -> 80 tokens)'
    """
    record = _json_or_none(Path(run_dir) / "finetune.json")
    if not record:
        return None
    parts = [
        f"{name} vocabulary {v.get('policy', '?')}: {v.get('old_size', '?')} -> {v.get('new_size', '?')} tokens"
        for name, v in (record.get("vocabularies") or {}).items()
    ]
    if record.get("new_labels"):
        parts.append("new classification head")
    return f"{record.get('source', '?')}" + (f" ({'; '.join(parts)})" if parts else "")


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The numbers of a `metrics.json` (and its split and data), without the samples,
    confusion matrices and per-bucket tables."""
    keep = {}
    for name, value in metrics.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)) or (name in ("split", "data") and isinstance(value, str)):
            keep[name] = value
    return keep


def _json_or_none(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_model_card(export_dir: str | Path, card: dict[str, Any]) -> None:
    """Write the card into an export directory (called on the staging folder, before
    it is renamed into place, so the export appears whole or not at all)."""
    export_dir = Path(export_dir)
    path = export_dir / CARD_JSON
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keys in the card's own order (task first, training config last), not sorted.
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (export_dir / CARD_MARKDOWN).write_text(format_model_card(card), encoding="utf-8")


def read_model_card(export_dir: str | Path) -> dict[str, Any] | None:
    """The card of an export, or None when it has none (an export made elsewhere)."""
    path = Path(export_dir) / CARD_JSON
    if not path.is_file():
        return None
    from seqzoo.tasks.common.errors import UsageError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise UsageError(f"{path}: not valid JSON ({error}).") from None


# ----------------------------------------------------------------------------- signatures
def signature_contract(export_dir: str | Path) -> dict[str, dict[str, dict[str, dict]]]:
    """`{signature: {"inputs": {name: {"dtype", "shape"}}, "outputs": {...}}}` from
    `saved_model.pb`; a shape is a list with None for a dimension of any size.

    The protobuf is parsed, nothing in the graph runs, and tensorflow_text need not
    be imported.
    """
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    from seqzoo.tasks.common.errors import UsageError

    path = Path(export_dir) / "saved_model.pb"
    saved_model = saved_model_pb2.SavedModel()
    try:
        saved_model.ParseFromString(path.read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{export_dir} holds no saved_model.pb; is it an export made by `seqzoo export`?") from None
    except Exception:  # a DecodeError from protobuf
        raise UsageError(f"{path} is not a readable SavedModel protobuf.") from None

    def tensors(infos):
        described = {}
        for name in sorted(infos):
            info = infos[name]
            shape = None
            if not info.tensor_shape.unknown_rank:
                shape = [None if d.size < 0 else int(d.size) for d in info.tensor_shape.dim]
            described[name] = {"dtype": tf.dtypes.as_dtype(info.dtype).name, "shape": shape}
        return described

    contract = {}
    for graph in saved_model.meta_graphs:
        for name, signature in graph.signature_def.items():
            if name.startswith("__"):  # __saved_model_init_op
                continue
            contract[name] = {"inputs": tensors(signature.inputs), "outputs": tensors(signature.outputs)}
    return dict(sorted(contract.items(), key=lambda item: (item[0] != "serving_default", item[0])))


def format_shape(shape) -> str:
    """`[None, 2]` -> `[batch, 2]` (the first dimension is the batch); None -> `unknown`."""
    if shape is None:
        return "unknown"
    dims = ["batch" if i == 0 and d is None else "?" if d is None else str(d) for i, d in enumerate(shape)]
    return "[" + ", ".join(dims) + "]"


def format_signatures(contract: dict) -> list[str]:
    lines = []
    for name, signature in contract.items():
        lines.append(f"signature {name}")
        for side in ("inputs", "outputs"):
            for tensor, spec in signature[side].items():
                lines.append(f"  {side[:-1]:<6} {tensor}: {spec['dtype']} {format_shape(spec['shape'])}")
    return lines


# ----------------------------------------------------------------------------- text
def format_model_card(card: dict[str, Any]) -> str:
    """The card as Markdown (`MODEL_CARD.md`, and what `seqzoo inspect` prints)."""
    architecture = card.get("architecture") or {}
    lines = [
        f"# {card.get('task', '?')} / {architecture.get('name', '?')}",
        "",
        f"- task: {card.get('task', '?')}",
        f"- architecture: {architecture.get('name', '?')} ({architecture.get('description', '')})",
        f"- data: {card.get('data', '?')}",
        f"- vocabulary size: {format_vocabulary_sizes(card.get('vocabulary_sizes') or {})}",
    ]
    if "labels" in card:
        lines.append(f"- labels ({len(card['labels'])}): {', '.join(card['labels'])}")
    metrics = card.get("metrics") or {}
    if metrics:
        lines.append(f"- metrics: {format_metrics(metrics)}")
    else:
        lines.append("- metrics: none recorded (the model was not exported from a run directory with metrics.json)")
    exported = card.get("exported_with") or {}
    lines.append(
        "- exported with: " + ", ".join(f"{k} {v}" for k, v in exported.items())
        + (f", at {card['exported_at']}" if "exported_at" in card else "")
    )
    if card.get("trained_with"):
        lines.append("- trained with: " + ", ".join(f"{k} {v}" for k, v in card["trained_with"].items()))
    if card.get("run_directory"):
        lines.append(f"- run directory: {card['run_directory']}")
    if card.get("finetuned_from"):
        lines.append(f"- fine-tuned from: {card['finetuned_from']}")
    if card.get("signatures"):
        lines += ["", "## Signatures", "", "```"] + format_signatures(card["signatures"]) + ["```"]
    for name, body in (card.get("example_requests") or {}).items():
        lines += ["", f"## Request ({name}, TensorFlow Serving REST)", "", "```",
                  f"curl -d '{json.dumps(body)}' \\",
                  "    http://localhost:8501/v1/models/MODEL_NAME:predict", "```"]
    lines += format_training_config(card.get("training_config") or {})
    return "\n".join(lines) + "\n"


def format_vocabulary_sizes(sizes: dict[str, int]) -> str:
    """`{"vocabulary": 380}` -> `380`; `{"source": 812, "target": 900}` -> `source 812, target 900`."""
    if list(sizes) == ["vocabulary"]:
        return f"{sizes['vocabulary']:,}"
    return ", ".join(f"{name} {size:,}" for name, size in sizes.items()) or "?"


def format_metrics(metrics: dict[str, Any]) -> str:
    """`accuracy 0.53, macro_f1 0.5187, ...`: names sorted, floats to 4 significant digits."""
    return ", ".join(f"{name} {f'{value:.4g}' if isinstance(value, float) else value}"
                     for name, value in sorted(metrics.items()))


def format_training_config(settings: dict[str, Any]) -> list[str]:
    """The "How it was trained" section: one `name = JSON value` line per setting (none
    without settings)."""
    if not settings:
        return []
    return (["", "## How it was trained", "", "```"]
            + [f"{name} = {json.dumps(value)}" for name, value in sorted(settings.items())] + ["```"])
