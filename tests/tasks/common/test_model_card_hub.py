"""MODEL_CARD.md as a Hugging Face Hub model card: YAML front matter that a YAML parser
reads back (library, license, tags, data sets, metrics with their values, pipeline tag),
Markdown with intended use, limitations, training data and how to use it, for every task,
for an old card without the new keys, and for strings that YAML would misread unquoted.

The cards are made from each task's spec and default config and from the old runs in
tests/tasks/fixtures (their metrics.json), without building or exporting a model."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from seqzoo.tasks.common.export_formats import DEFAULT_LICENSE
from seqzoo.tasks.common.model_card import (
    CARD_MARKDOWN,
    model_card,
    read_model_card,
    write_model_card,
    yaml_front_matter,
)
from seqzoo.tasks.registry import all_tasks, get_task

yaml = pytest.importorskip("yaml")

OLD = Path(__file__).resolve().parents[1] / "fixtures" / "seqzoo-0.1"
OLD_RUNS = {"sentiment": "s", "language-model": "lm", "translation": "tr", "captioning": "cap"}
# The Hub's pipeline tags (hf.co/tasks) for the templates, as the issue asks.
PIPELINE_TAGS = {"sentiment": "text-classification", "language-model": "text-generation",
                 "translation": "translation", "captioning": "image-to-text"}
SECTIONS = ("## Intended use", "## Limitations", "## Training data", "## How to use")


def split_card(text: str) -> tuple[dict, str]:
    """(front matter as YAML reads it, Markdown body) of a MODEL_CARD.md, checking the
    shape the Hub expects: `---` first, a closing `---`, then Markdown."""
    lines = text.split("\n")
    assert lines[0] == "---", lines[:2]
    end = lines.index("---", 1)
    return yaml.safe_load("\n".join(lines[1:end])), "\n".join(lines[end + 1:])


def markdown_headings(body: str) -> list[str]:
    """The headings of a Markdown body outside code blocks, checking every fence closes."""
    headings, fenced = [], False
    for line in body.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            headings.append(line)
    assert not fenced, "a code block is never closed"
    return headings


def card_for(task_name: str, folder: Path, run_dir=None, **config_fields) -> tuple[dict, dict, str]:
    spec = get_task(task_name)
    config = spec.config_class(**config_fields)
    card = model_card(spec, config, spec.architecture(config.arch).description, {"vocabulary": 123},
                      run_dir=run_dir, labels=["neg", "pos"] if task_name == "sentiment" else None,
                      license="cc-by-4.0")
    write_model_card(folder, card)
    front, body = split_card((folder / CARD_MARKDOWN).read_text(encoding="utf-8"))
    return card, front, body


@pytest.mark.parametrize("task_name", [spec.name for spec in all_tasks()])
def test_every_task_card_has_hub_front_matter_and_the_sections(task_name, tmp_path):
    run_dir = OLD / OLD_RUNS[task_name]
    card, front, body = card_for(task_name, tmp_path, run_dir=run_dir)
    spec = get_task(task_name)
    config = card["training_config"]

    assert front["library_name"] == "keras" and front["license"] == "cc-by-4.0"
    assert front["pipeline_tag"] == PIPELINE_TAGS[task_name]
    assert {"seqzoo", task_name, config["arch"], "keras", "tensorflow"} <= set(front["tags"])
    assert front["datasets"] == [spec.builtin_dataset]

    # Every score the task reports, with the value of the run's own metrics.json.
    recorded = json.loads((run_dir / "metrics.json").read_text())
    (result,) = front["model-index"][0]["results"]
    assert result["task"]["type"] == PIPELINE_TAGS[task_name]
    assert result["dataset"]["split"] == recorded["split"] == "test"
    values = {metric["name"]: metric["value"] for metric in result["metrics"]}
    for column in spec.metrics:
        if column.key in recorded:
            assert values[column.key] == pytest.approx(recorded[column.key], rel=1e-12), column.key
    assert "examples" not in values and "epochs" not in values  # counts, not results
    assert set(front["metrics"]) <= {metric["type"] for metric in result["metrics"]}

    headings = markdown_headings(body)
    assert headings[0] == f"# {task_name} / {config['arch']}"
    for section in SECTIONS:
        assert section in headings, (section, headings)
    limitations = body.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    assert "Trained from scratch" in limitations and "[UNK]" in limitations
    assert f"{123} tokens" in limitations
    length_field = "window" if "window" in config else "max_length"
    assert f"{config[length_field]} tokens (`{length_field}`" in limitations
    training_data = body.split("## Training data", 1)[1].split("\n## ", 1)[0]
    assert spec.builtin_dataset in training_data
    examples = recorded.get("examples", recorded.get("tokens"))
    assert f"{examples:,} test" in training_data
    assert "TFSMLayer" in body or "tf.saved_model.load" in body


def test_the_license_defaults_and_a_fine_tuned_run_says_where_it_came_from(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(OLD / "s", run)
    (run / "finetune.json").write_text(json.dumps({"source": "runs/base", "new_labels": True}))
    spec = get_task("sentiment")
    card = model_card(spec, spec.config_class(arch="gru"), "GRU", {"vocabulary": 9}, run_dir=run)
    write_model_card(tmp_path / "export", card)
    front, body = split_card((tmp_path / "export" / CARD_MARKDOWN).read_text(encoding="utf-8"))
    assert front["license"] == DEFAULT_LICENSE == card["license"]
    limitations = body.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    assert "Fine-tuned from runs/base" in limitations and "from scratch" not in limitations


def test_an_old_card_without_the_new_keys_still_makes_a_valid_card(tmp_path):
    card = read_model_card(OLD / "s-exp")
    assert "license" not in card and "pipeline_tag" not in card
    write_model_card(tmp_path, card)
    front, body = split_card((tmp_path / CARD_MARKDOWN).read_text(encoding="utf-8"))
    assert "license" not in front  # the old export never chose one: none is invented
    assert front["library_name"] == "keras" and front["datasets"] == ["negation-reviews"]
    assert {m["name"]: m["value"] for m in front["model-index"][0]["results"][0]["metrics"]}["accuracy"] \
        == card["metrics"]["accuracy"]
    assert set(SECTIONS) <= set(markdown_headings(body))
    assert json.loads((tmp_path / "assets.extra" / "model_card.json").read_text()) == card


TRICKY = ["a: b", "#c", "x # y", '"quoted"', "it's", "new\nline", "two\n\nbreaks", "tab\there", "\r\n",
          "ünïcødé — 日本語 😀", "nel\x85line", "ls\u2028ps\u2029", "\ufeffbom", "ctl\x00\x07\x1b\x7f",
          "yes", "No", "null", "~", "true", "1e-05", "0x1F", "1:30", "- dash", "[x]", "{y: 1}", "*ref",
          "&anchor", "!tag", "%pct", "@at", "`tick`", "|", ">", "", " lead", "trail ", "back\\slash\\",
          "---", "...", "=", "?", "\ud800"]


def test_strings_yaml_would_misread_parse_back_to_the_same_values():
    metadata = {"tags": TRICKY, "nested": [{"name": s, "value": i} for i, s in enumerate(TRICKY)],
                "numbers": [0.0, -0.0, 1e-05, 1.5e-300, 1e20, 123456789.125, 2**40, -7, 0.1 + 0.2],
                "flags": [True, False, None], "empty": [], "nothing": {}, "yes": "the key is quoted"}
    text = yaml_front_matter(metadata)
    assert text.startswith("---\n") and text.endswith("\n---\n")
    parsed = yaml.safe_load(text.removeprefix("---\n").removesuffix("---\n"))
    assert parsed == metadata
    assert all(isinstance(x, float) for x in parsed["numbers"][:6])  # not strings like "1e-05"
    odd = yaml.safe_load(yaml_front_matter({"v": [math.nan, math.inf, -math.inf]})[4:-4])["v"]
    assert math.isnan(odd[0]) and odd[1:] == [math.inf, -math.inf]


def test_a_data_path_license_and_labels_with_odd_characters_round_trip(tmp_path):
    data = str(tmp_path / "we:ird #dir" / 'reviews "2024": ünï\ncode 😀.csv')
    spec = get_task("sentiment")
    labels = ["pos: good", "#neg", "it's \"ok\"", "naïve\nnew"]
    card = model_card(spec, spec.config_class(arch="lstm", data=data), "LSTM", {"vocabulary": 9},
                      labels=labels, license="other: see #LICENSE \"file\"")
    write_model_card(tmp_path, card)
    front, body = split_card((tmp_path / CARD_MARKDOWN).read_text(encoding="utf-8"))
    assert front["datasets"] == ['reviews "2024": ünï\ncode 😀.csv']  # the file's name, not the path
    assert str(tmp_path) not in "\n".join(front["tags"] + front["datasets"])
    assert front["license"] == "other: see #LICENSE \"file\""
    assert "- data: " + data.replace("\n", "\\n") in body  # the full path, on one line
    assert "naïve\\nnew" in body and set(SECTIONS) <= set(markdown_headings(body))
    assert read_model_card(tmp_path)["labels"] == labels


def test_a_portable_export_card_says_how_its_own_client_runs_it(tmp_path):
    card = {**read_model_card(OLD / "s-exp"), "license": "mit", "portable": {"format": "onnx", "graphs": {}}}
    write_model_card(tmp_path, card)
    front, body = split_card((tmp_path / CARD_MARKDOWN).read_text(encoding="utf-8"))
    assert "onnx" in front["tags"] and front["license"] == "mit"
    how_to = body.split("## How to use", 1)[1].split("\n## ", 1)[0]
    assert "client.py" in how_to and "portable.json" in how_to
    assert "TFSMLayer" not in how_to and "curl" not in how_to  # no SavedModel, no TF Serving
