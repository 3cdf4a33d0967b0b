"""The model card an export carries, and the signature contract read from a SavedModel.

An export directory holds, beside the SavedModel, `assets.extra/model_card.json`
(TensorFlow Serving ignores `assets.extra/`) and a human-readable `MODEL_CARD.md`:
task, architecture, training data, test metrics, vocabulary size(s), labels, the
signatures with their input and output names, dtypes and shapes, how the model was
trained (its config), and the seqzoo, TensorFlow and Keras versions.

`MODEL_CARD.md` is a Hugging Face Hub model card: YAML front matter (`library_name`,
`license`, `tags`, `datasets`, `metrics`, `pipeline_tag`, `model-index`) and Markdown
with intended use, limitations, training data and how to use it. Both are derived from
the JSON card alone (`model_card_document`), so a card written by an older seqzoo,
without the newer keys, is still shown. The YAML is written here, quoted as JSON-style
double-quoted strings, so exporting needs no YAML library.

`read_model_card` needs no TensorFlow; `signature_contract` parses `saved_model.pb`
with TensorFlow's protobuf classes and runs nothing from the graph.

Examples:

>>> card = {"task": "toy", "architecture": {"name": "gru", "description": "a GRU"},
...         "data": "reviews: 2024.csv", "vocabulary_sizes": {"vocabulary": 12},
...         "license": "mit", "metrics": {"accuracy": 0.5, "examples": 8, "split": "test"}}
>>> print(model_card_document(card).split("---")[1].strip())  # doctest: +ELLIPSIS
library_name: "keras"
license: "mit"
tags:
  - "seqzoo"
  - "toy"
  - "gru"
  - "rnn"
  - "keras"
  - "tensorflow"
datasets:
  - "reviews: 2024.csv"
metrics:
  - "accuracy"
model-index:
  - name: "seqzoo-toy-gru"
    results:
      - task:
...
"""

from __future__ import annotations

import datetime
import json
import math
import re
from pathlib import Path
from typing import Any

from seqzoo.tasks.common.export_formats import DEFAULT_LICENSE

CARD_JSON = Path("assets.extra") / "model_card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
CARD_FORMAT_VERSION = 1
# The Hub's name for Keras 3; an export also loads in plain Keras through TFSMLayer
# (docs/reference/interop.md says why this and not "tf-keras", Keras 2's).
LIBRARY_NAME = "keras"

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
    license: str = DEFAULT_LICENSE,
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
        license: the Hub license identifier of the card's front matter (`seqzoo export
            --license`), e.g. "apache-2.0", "mit", "cc-by-4.0", "other".

    Examples:

    >>> from seqzoo.tasks.registry import get_task
    >>> spec = get_task("translation")
    >>> card = model_card(spec, spec.config_class(arch="luong"), "Luong attention",
    ...                   {"source": 40, "target": 50}, license="mit")
    >>> card["task"], card["license"], card["data"]
    ('translation', 'mit', 'cldr-dates (built-in)')
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
        "license": str(license),
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
    pipeline_tag = getattr(spec, "pipeline_tag", None)  # the Hub's task for this template
    if pipeline_tag:
        card["pipeline_tag"] = pipeline_tag
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
    """Write the card into an export directory: `assets.extra/model_card.json` and
    `MODEL_CARD.md` (`model_card_document`). Called on the staging folder, before it is
    renamed into place, so the export appears whole or not at all."""
    export_dir = Path(export_dir)
    path = export_dir / CARD_JSON
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keys in the card's own order (task first, training config last), not sorted.
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    (export_dir / CARD_MARKDOWN).write_text(model_card_document(card), encoding="utf-8")


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


# ----------------------------------------------------------------------------- Hub front matter
# Counts and settings that metrics.json keeps beside the scores: not evaluation results.
NOT_SCORES = frozenset({"examples", "tokens", "references", "beam_size", "epochs", "parameters",
                        "training_seconds"})
# Hub metric ids (hf.co/metrics) where seqzoo's metric name differs; `name` keeps seqzoo's.
HUB_METRIC_TYPES = {"macro_f1": "f1", "bleu1": "bleu", "bleu2": "bleu", "bleu3": "bleu", "bleu4": "bleu"}
# Words of an architecture's name, description and cell that become Hub tags.
ARCHITECTURE_TAGS = ("lstm", "gru", "rnn", "transformer", "attention", "bidirectional", "cnn")
RECURRENT_CELLS = ("rnn", "irnn", "lstm", "gru")


def model_card_document(card: dict[str, Any]) -> str:
    """`MODEL_CARD.md`: the Hub's YAML front matter (`hub_metadata`) and the Markdown card
    (`format_model_card`).

    Examples:

    >>> text = model_card_document({"task": "toy", "architecture": {"name": "gru"}})
    >>> text.splitlines()[:3]
    ['---', 'library_name: "keras"', 'tags:']
    """
    return yaml_front_matter(hub_metadata(card)) + "\n" + format_model_card(card)


def hub_metadata(card: dict[str, Any]) -> dict[str, Any]:
    """The front matter of a card, in the Hub's keys: `library_name`, `license` (when the
    card names one), `pipeline_tag` (when the task declares one), `tags`, `datasets`,
    `metrics` (metric ids) and `model-index` (the test results).

    Examples:

    >>> card = {"task": "toy", "architecture": {"name": "bilstm", "description": "bidirectional LSTM"},
    ...         "data": "/home/me/data/reviews.csv", "metrics": {"macro_f1": 0.5, "epochs": 3}}
    >>> meta = hub_metadata(card)
    >>> meta["tags"], meta["datasets"], meta["metrics"]
    (['seqzoo', 'toy', 'bilstm', 'lstm', 'rnn', 'bidirectional', 'keras', 'tensorflow'], ['reviews.csv'], ['f1'])
    """
    task = str(card.get("task") or "?")
    architecture = str((card.get("architecture") or {}).get("name") or "?")
    metadata: dict[str, Any] = {"library_name": card.get("library_name") or LIBRARY_NAME}
    if card.get("license"):
        metadata["license"] = str(card["license"])
    if card.get("pipeline_tag"):
        metadata["pipeline_tag"] = str(card["pipeline_tag"])
    portable = (card.get("portable") or {}).get("format")  # a LiteRT or ONNX export
    metadata["tags"] = _unique(["seqzoo", task, architecture, *architecture_tags(card), "keras", "tensorflow"]
                               + ([str(portable)] if portable else []))
    datasets = [name for name in [dataset_name(card.get("data"))] if name]
    if datasets:
        metadata["datasets"] = datasets
    scores = hub_scores(card.get("metrics") or {})
    if scores:
        metadata["metrics"] = _unique([HUB_METRIC_TYPES.get(name, name) for name in scores])
        metrics = card.get("metrics") or {}
        evaluated_on = dataset_name(metrics.get("data")) or (datasets[0] if datasets else "?")
        dataset = {"name": evaluated_on, "type": evaluated_on}
        if isinstance(metrics.get("split"), str):
            dataset["split"] = metrics["split"]
        metadata["model-index"] = [{
            "name": f"seqzoo-{task}-{architecture}",
            "results": [{
                "task": {"type": metadata.get("pipeline_tag", task)},
                "dataset": dataset,
                "metrics": [{"type": HUB_METRIC_TYPES.get(name, name), "name": name, "value": value}
                            for name, value in scores.items()],
            }],
        }]
    return metadata


def architecture_tags(card: dict[str, Any]) -> list[str]:
    """Family tags of the card's architecture (`lstm`, `gru`, `rnn`, `transformer`,
    `attention`, `bidirectional`, `cnn`) from its name, description and configured cell.

    Examples:

    >>> architecture_tags({"architecture": {"name": "show-attend-tell",
    ...     "description": "LSTM/GRU with additive attention"}, "training_config": {"cell": "gru"}})
    ['gru', 'rnn', 'attention']
    """
    architecture = card.get("architecture") or {}
    settings = card.get("training_config") or {}
    text = " ".join(str(part) for part in (architecture.get("name"), architecture.get("description"),
                                           settings.get("encoder")) if part)
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    cell = settings.get("cell")
    if cell in RECURRENT_CELLS:  # the configured cell, not every cell the description allows
        words = (words - set(RECURRENT_CELLS)) | {cell}
    if words & {"lstm", "gru", "irnn"}:
        words.add("rnn")
    if "transformer" in words:
        words.add("attention")
    return [tag for tag in ARCHITECTURE_TAGS if tag in words]


def dataset_name(data: Any) -> str | None:
    """What the front matter's `datasets` says: a built-in data set's name, or a data file's
    name without its folders (a local path means nothing on the Hub and shows where a
    user keeps their files; the Markdown keeps the full one).

    Examples:

    >>> dataset_name("cldr-dates (built-in)"), dataset_name("/home/me/pairs.tsv"), dataset_name(None)
    ('cldr-dates', 'pairs.tsv', None)
    """
    if not data or not isinstance(data, str) or data == "the task's own generated data":
        return None
    if data.endswith(" (built-in)"):
        return data.removesuffix(" (built-in)")
    return Path(data).name or data


def hub_scores(metrics: dict[str, Any]) -> dict[str, float]:
    """The evaluation results among a card's metrics: numbers, without counts and settings.

    Examples:

    >>> hub_scores({"accuracy": 0.75, "examples": 40, "split": "test", "word_vector_coverage": 0.9})
    {'accuracy': 0.75}
    """
    return {name: value for name, value in metrics.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            and name not in NOT_SCORES and not name.endswith("_coverage")}


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ----------------------------------------------------------------------------- YAML
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Words YAML 1.1 (PyYAML) reads as booleans or null when unquoted.
_YAML_WORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null"})


def yaml_front_matter(metadata: dict[str, Any]) -> str:
    """`metadata` as a YAML block between `---` lines, in block style, every string
    double-quoted (JSON-style escapes are valid YAML), written without a YAML library.

    Examples:

    >>> print(yaml_front_matter({"license": "mit", "tags": ["a: b", "#c"], "model-index": []}), end="")
    ---
    license: "mit"
    tags:
      - "a: b"
      - "#c"
    model-index: []
    ---
    """
    return "---\n" + "\n".join(_yaml_lines(metadata, 0)) + "\n---\n"


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_yaml_key(str(key))}:"
            if isinstance(item, (dict, list)) and item:
                lines += [head] + _yaml_lines(item, indent + 2)
            else:
                lines.append(f"{head} {yaml_scalar(item)}")
        return lines
    for item in value:  # a list: "- item", a nested block's first line after the dash
        if isinstance(item, (dict, list)) and item:
            inner = _yaml_lines(item, indent + 2)
            lines += [f"{pad}- {inner[0][indent + 2:]}"] + inner[1:]
        else:
            lines.append(f"{pad}- {yaml_scalar(item)}")
    return lines


def _yaml_key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS else yaml_string(key)


def yaml_scalar(value: Any) -> str:
    """One YAML scalar: null, true/false, an int, a float YAML 1.1 reads as a float (with
    a dot before any exponent), `.nan`/`.inf`, or a double-quoted string.

    Examples:

    >>> [yaml_scalar(v) for v in (None, True, 3, 0.25, 1e-05, float("inf"), [], "x")]
    ['null', 'true', '3', '0.25', '1.0e-05', '.inf', '[]', '"x"']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        if exponent and "." not in mantissa:  # PyYAML reads 1e-05 as a string, 1.0e-05 as a float
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, (list, tuple)) and not value:
        return "[]"
    if isinstance(value, dict) and not value:
        return "{}"
    return yaml_string(str(value))


def yaml_string(text: str) -> str:
    """`text` as a YAML double-quoted string: quotes, backslashes, line breaks, control
    and non-printable characters escaped; other Unicode kept as it is.

    Examples:

    >>> print(yaml_string('a "b" \\\\ c\\nd: é'))
    "a \\"b\\" \\\\ c\\nd: é"
    """
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _YAML_ESCAPES:
            out.append(_YAML_ESCAPES[char])
        elif _yaml_printable(code):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02X}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            out.append(f"\\U{code:08X}")
    out.append('"')
    return "".join(out)


_YAML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _yaml_printable(code: int) -> bool:
    # YAML's printable set, less the characters it reads as line breaks (NEL, LS, PS) and
    # the byte-order mark, which are escaped instead.
    return (0x20 <= code <= 0x7E or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029))
            or (0xE000 <= code <= 0xFFFD and code != 0xFEFF) or 0x10000 <= code <= 0x10FFFF)


# ----------------------------------------------------------------------------- text
def format_model_card(card: dict[str, Any]) -> str:
    """The card as Markdown (the body of `MODEL_CARD.md`, and what `seqzoo inspect`
    prints): the facts, intended use, limitations, training data, how to use it, the
    signatures and how it was trained. A card without some keys (an older one) shows
    what it has.

    Examples:

    >>> text = format_model_card({"task": "toy", "architecture": {"name": "gru"}, "data": "toy.csv"})
    >>> [line for line in text.splitlines() if line.startswith("## ")]
    ['## Intended use', '## Limitations', '## Training data', '## How to use']
    """
    architecture = card.get("architecture") or {}
    lines = [
        f"# {_inline(card.get('task', '?'))} / {_inline(architecture.get('name', '?'))}",
        "",
        f"- task: {_inline(card.get('task', '?'))}",
        f"- architecture: {_inline(architecture.get('name', '?'))} ({_inline(architecture.get('description', ''))})",
        f"- data: {_inline(card.get('data', '?'))}",
    ]
    if card.get("license"):
        lines.append(f"- license: {_inline(card['license'])}")
    lines.append(f"- vocabulary size: {format_vocabulary_sizes(card.get('vocabulary_sizes') or {})}")
    if "labels" in card:
        lines.append(f"- labels ({len(card['labels'])}): {', '.join(_inline(label) for label in card['labels'])}")
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
        lines.append(f"- run directory: {_inline(card['run_directory'])}")
    if card.get("finetuned_from"):
        lines.append(f"- fine-tuned from: {_inline(card['finetuned_from'])}")
    lines += format_intended_use(card) + format_limitations(card) + format_training_data(card)
    lines += format_how_to_use(card)
    if card.get("signatures"):
        lines += ["", "## Signatures", "", "```"] + format_signatures(card["signatures"]) + ["```"]
    lines += format_training_config(card.get("training_config") or {})
    return "\n".join(lines) + "\n"


def format_intended_use(card: dict[str, Any]) -> list[str]:
    """The "Intended use" section."""
    task = _inline(card.get("task", "?"))
    data = _inline(card.get("data", "its training data"))
    return [
        "", "## Intended use", "",
        f"- The `{task}` task" + (f" ({_inline(card['pipeline_tag'])})" if card.get("pipeline_tag") else "")
        + f", through the signatures below, on inputs like its training data ({data}): the same language, "
        "domain, vocabulary and lengths.",
        "- Research, teaching and comparing sequence architectures on the same data and budget "
        "(`seqzoo compare`), and a starting point for fine-tuning on your own data (`seqzoo finetune`).",
        "- Out of scope: decisions about people, or any use where a wrong output causes harm, without "
        "first evaluating it on data from that use; it has not been evaluated for bias or fairness.",
    ]


def format_limitations(card: dict[str, Any]) -> list[str]:
    """The "Limitations" section: how it was trained (from scratch or fine-tuned), its
    vocabulary and what happens outside it, its maximum lengths, its labels and scores."""
    settings = card.get("training_config") or {}
    data = _inline(card.get("data", "?"))
    pretrained = [f"`{name}` {_inline(value)}" for name, value in settings.items()
                  if value and (name.endswith("word_vectors") or name.endswith("_weights"))]
    if card.get("finetuned_from"):
        origin = (f"- Fine-tuned from {_inline(card['finetuned_from'])} on {data}; the model it started "
                  "from was itself trained by seqzoo, so it knows only what those data sets hold.")
    else:
        origin = (f"- Trained from scratch on {data} only, with no pretrained language model behind it: it "
                  "knows only what that data holds.")
    if pretrained:
        origin += " Pretrained parts: " + ", ".join(pretrained) + "."
    lines = ["", "## Limitations", "", origin]

    sizes = card.get("vocabulary_sizes") or {}
    level = settings.get("level")
    how = ", ".join(part for part in (f"{level} level" if level else "",
                                      "lowercased" if settings.get("lowercase") else "") if part)
    bounds = ", ".join(part for part in (
        f"at most {settings['max_vocabulary']:,} tokens" if isinstance(settings.get("max_vocabulary"), int) else "",
        f"tokens seen at least {settings['min_frequency']} times" if isinstance(settings.get("min_frequency"), int)
        and settings["min_frequency"] > 1 else "") if part)
    lines.append(
        f"- Vocabulary: {format_vocabulary_sizes(sizes)} tokens" + (f" ({how})" if how else "")
        + (f", learned from the training data ({bounds})" if bounds else ", learned from the training data")
        + ". A token outside it (one the training data never showed, or too rare to be kept: a new word, "
        "name or spelling) is read as the out-of-vocabulary token `[UNK]` (id 1), so what it meant is lost, "
        "and it is never produced."
    )
    lengths = []
    if isinstance(settings.get("max_length"), int):
        lengths.append(f"sequences of at most {settings['max_length']} tokens (`max_length`; longer ones are "
                       "truncated, so text beyond it is not seen)")
    if isinstance(settings.get("window"), int):
        lengths.append(f"windows of {settings['window']} tokens (`window`)")
    if isinstance(settings.get("context_length"), int) and "transformer" in architecture_tags(card):
        lengths.append(f"at most {settings['context_length']} positions, prompt and generated tokens "
                       "together (`context_length`)")
    if lengths:
        lines.append("- Maximum length: trained on " + "; ".join(lengths) + ".")
    if card.get("labels"):
        lines.append(f"- It predicts only its {len(card['labels'])} labels; any other class is "
                     "forced onto one of them.")
    metrics = card.get("metrics") or {}
    if hub_scores(metrics):
        split = metrics.get("split") if isinstance(metrics.get("split"), str) else "held-out"
        lines.append(f"- The scores above were measured on the {_inline(split)} split of "
                     f"{_inline(metrics.get('data') or card.get('data', '?'))}; on other data expect them to be lower.")
    else:
        lines.append("- No test scores were recorded: it may be untrained. Evaluate it (`seqzoo evaluate RUN`) "
                     "before relying on it.")
    return lines


def format_training_data(card: dict[str, Any]) -> list[str]:
    """The "Training data" section: the source, how it was split, and the sizes that the
    run's metrics record."""
    settings = card.get("training_config") or {}
    data = card.get("data", "?")
    builtin = isinstance(data, str) and data.endswith(" (built-in)")
    lines = ["", "## Training data", "",
             f"- Source: {_inline(data)}" + (" (a data set that ships with seqzoo; no download)" if builtin else "")]
    held_out, files = [], []
    for side, label in (("valid", "validation"), ("test", "test")):
        if settings.get(side):  # a file of its own
            files.append(f"{label} from {_inline(settings[side])}")
        elif isinstance(settings.get(f"{side}_fraction"), (int, float)):
            held_out.append(f"{settings[f'{side}_fraction']:.0%} {label}")
    if held_out or files:
        lines.append("- Split: " + "; ".join(([f"held out from the source: {', '.join(held_out)}"] if held_out
                                              else []) + files))
    for name, value in settings.items():
        if name.startswith("max_") and name not in ("max_length", "max_vocabulary") and value:
            lines.append(f"- Subsample: at most {value:,} items (`{name}`, seeded)" if isinstance(value, int)
                         else f"- `{name}`: {_inline(value)}")
    metrics = card.get("metrics") or {}
    sizes = [f"{metrics[name]:,} {label}" for name, label in (
        ("examples", "test examples"), ("references", "reference texts"), ("tokens", "test tokens"))
        if isinstance(metrics.get(name), int)]
    if sizes:
        lines.append("- Evaluated on: " + ", ".join(sizes))
    epochs, seconds, parameters = (metrics.get(name) for name in ("epochs", "training_seconds", "parameters"))
    trained = [f"{epochs} epoch{'' if epochs == 1 else 's'}" if isinstance(epochs, int) else "",
               f"{seconds:g} s" if isinstance(seconds, (int, float)) else "",
               f"{parameters:,} parameters" if isinstance(parameters, int) else ""]
    if any(trained):
        lines.append("- Training: " + ", ".join(part for part in trained if part))
    return lines


_PORTABLE_NAMES = {"litert": "A LiteRT (TensorFlow Lite)", "onnx": "An ONNX"}


def format_how_to_use(card: dict[str, Any]) -> list[str]:
    """The "How to use" section: a Python snippet in plain Keras (`keras.layers.TFSMLayer`)
    or TensorFlow, and TensorFlow Serving REST requests (`example_request`)."""
    portable = (card.get("portable") or {}).get("format")
    if portable:  # no SavedModel: the folder's own client runs the graphs
        return ["", "## How to use", "",
                f"{_PORTABLE_NAMES.get(portable, portable)} export: `portable.json` describes its graphs and "
                "vocabularies, and the "
                "reference client beside it runs them with numpy and the runtime only (no seqzoo, no "
                "TensorFlow), e.g. `python EXPORT_DIR/client.py EXPORT_DIR \"some input\"`."]
    requests = card.get("example_requests") or {}
    signatures = card.get("signatures") or {}
    lines = ["", "## How to use", "",
             "The export is a TensorFlow SavedModel that takes raw input and returns raw output; it "
             "needs only `tensorflow` and `tensorflow_text`, not seqzoo. `EXPORT_DIR` is the folder "
             "holding this card."]
    name = next(iter(requests), None) or next(iter(signatures), None)
    if name is not None:
        lines += ["", "```python"] + python_snippet(name, requests.get(name), signatures.get(name)) + ["```"]
    if requests:
        lines += ["", "TensorFlow Serving serves it as version 1 of a model, e.g. `docker run -p 8501:8501 -v "
                  "\"$PWD/EXPORT_DIR:/models/MODEL_NAME/1\" -e MODEL_NAME=MODEL_NAME tensorflow/serving`."]
    for name, body in requests.items():
        lines += ["", f"### Request ({name}, TensorFlow Serving REST)", "", "```",
                  f"curl -d '{json.dumps(body)}' \\",
                  "    http://localhost:8501/v1/models/MODEL_NAME:predict", "```"]
    return lines


def python_snippet(signature: str, request: dict | None, contract: dict | None) -> list[str]:
    """Code that calls one signature of an export: through `keras.layers.TFSMLayer` when
    the signature takes one input (the layer passes a single tensor), otherwise through
    `tf.saved_model.load` with each input as a keyword.

    Examples:

    >>> request = {"instances": [{"text": "good"}, {"text": "bad"}]}
    >>> print("\\n".join(python_snippet("serving_default", request, None)))
    import keras
    import tensorflow as tf
    import tensorflow_text  # registers the text ops the graph uses
    <BLANKLINE>
    model = keras.layers.TFSMLayer("EXPORT_DIR", call_endpoint="serving_default")
    print(model(tf.constant(["good", "bad"])))
    """
    instances = (request or {}).get("instances") or []
    names = list((contract or {}).get("inputs") or (instances[0] if instances else {}))

    def column(input_name: str) -> str:
        values = [row.get(input_name) for row in instances if isinstance(row, dict)]
        if any(isinstance(value, dict) and "b64" in value for value in values):  # binary input: a file's bytes
            return '[open("photo.jpg", "rb").read()]'
        return json.dumps(values) if values else "[...]"

    imports = ["import tensorflow as tf", "import tensorflow_text  # registers the text ops the graph uses", ""]
    if len(names) == 1:
        return (["import keras"] + imports
                + [f'model = keras.layers.TFSMLayer("EXPORT_DIR", call_endpoint={json.dumps(signature)})',
                   f"print(model(tf.constant({column(names[0])})))"])
    arguments = ", ".join(f"{name}=tf.constant({column(name)})" for name in names)
    return (imports
            + ["# keras.layers.TFSMLayer passes one input tensor; this signature takes several, as keywords.",
               f'serve = tf.saved_model.load("EXPORT_DIR").signatures[{json.dumps(signature)}]',
               f"print(serve({arguments}))"])


def _inline(value: Any) -> str:
    """A value on one Markdown line: its line breaks shown as `\\n`."""
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


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
