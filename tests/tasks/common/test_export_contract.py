"""The export contract of all four tasks: the signatures docs/reference/export-contract.md
documents, served from a fresh process the way TensorFlow Serving's REST API would be asked,
the model card, and `seqzoo inspect` on each export and on a run directory.

The models are tiny and untrained: the contract is about names, dtypes, shapes and the
served outputs equalling the task's own, not about quality.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seqzoo.tasks.cli import main
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.inspection.report import inspect_path
from seqzoo.tasks.common.model_card import example_request, read_model_card, signature_contract
from seqzoo.tasks.registry import all_tasks, get_task
from tests.tasks.helpers import tiny_untrained_tasks

REPOSITORY = next(folder for folder in Path(__file__).resolve().parents if (folder / "pyproject.toml").exists())
CONTRACT_PAGE = REPOSITORY / "docs" / "reference" / "export-contract.md"

# The documented contract, which the table of CONTRACT_PAGE repeats row by row.
# (task, signature) -> (inputs, outputs); each tensor (name, dtype, shape), where
# "batch" is the batch dimension and other words are sizes that depend on the run.
CONTRACT = {
    ("sentiment", "serving_default"): (
        [("text", "string", ["batch"])],
        [("label", "string", ["batch"]), ("probabilities", "float32", ["batch", "classes"])],
    ),
    ("language-model", "serving_default"): (
        [("max_tokens", "int32", ["batch"]), ("prompt", "string", ["batch"]),
         ("seed", "int32", ["batch"]), ("temperature", "float32", ["batch"])],
        [("text", "string", ["batch"])],
    ),
    ("language-model", "generate"): (
        [("max_tokens", "int32", ["batch"]), ("prompt", "string", ["batch"]), ("seed", "int32", ["batch"]),
         ("temperature", "float32", ["batch"]), ("top_k", "int32", ["batch"]), ("top_p", "float32", ["batch"])],
        [("text", "string", ["batch"]), ("token_ids", "int32", ["batch", "tokens"])],
    ),
    ("translation", "serving_default"): (
        [("text", "string", ["batch"])],
        [("score", "float32", ["batch"]), ("translation", "string", ["batch"])],
    ),
    ("captioning", "serving_default"): (
        [("image", "string", ["batch"])],
        [("caption", "string", ["batch"]), ("score", "float32", ["batch"])],
    ),
}


def contract_row(task, signature) -> str:
    """The row of one signature in the table of CONTRACT_PAGE."""
    inputs, outputs = CONTRACT[task, signature]

    def cell(tensors):
        return "<br>".join(f"`{name}` {dtype} `[{', '.join(shape)}]`" for name, dtype, shape in tensors)

    return f"| {task} | `{signature}` | {cell(inputs)} | {cell(outputs)} |"


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def tasks():
    """One tiny untrained task per template, with what to compare its export against."""
    built = tiny_untrained_tasks()
    return {name: built[name] for name in ("sentiment", "language-model", "translation")} | {
        "captioning": (built["captioning"], built["images"])}


@pytest.fixture(scope="module")
def exports(tasks, tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    exported = {}
    for name, task in tasks.items():
        task = task[0] if isinstance(task, tuple) else task
        exported[name] = task.export(root / name)
    return exported


def rest_requests(tasks):
    """(task, request body, expected predictions) in TensorFlow Serving's REST formats (row and columnar)."""
    from seqzoo.data.caption_readers import CaptionedImages

    sentiment = tasks["sentiment"]
    texts = [i["text"] for i in get_task("sentiment").example_requests["serving_default"]]
    yield "sentiment", example_request(get_task("sentiment")), [
        {"label": p["label"], "probabilities": [p["probabilities"][n] for n in sentiment.label_names]}
        for p in sentiment.predict(texts)
    ]

    model = tasks["language-model"]
    prompts = ["ab", "", "cab ca"]
    body = {"signature_name": "serving_default",
            "instances": [{"prompt": p, "max_tokens": 6, "temperature": 0.8, "seed": 3} for p in prompts]}
    expected = [{"text": t} for t in model.generate(prompts, max_tokens=6, temperature=0.8, seed=3)]
    yield "language-model", body, expected
    # The columnar format sends one setting for the whole batch as a one-element list.
    body = {"signature_name": "serving_default",
            "inputs": {"prompt": prompts, "max_tokens": [6], "temperature": [0.8], "seed": [3]}}
    yield "language-model", body, expected
    body = {"signature_name": "generate",
            "instances": [{"prompt": p, "max_tokens": 4, "temperature": 0.0, "top_k": 2, "top_p": 0.9, "seed": 0}
                          for p in prompts]}
    ids = model.generate_ids(prompts, max_tokens=4, temperature=0.0, top_k=2, top_p=0.9, seed=0)
    yield "language-model", body, [
        {"text": t.decode(), "token_ids": i} for t, i in zip(ids["text"].numpy(), ids["token_ids"].numpy().tolist())
    ]

    translator = tasks["translation"]
    texts = ["a b", "b b a", ""] + [i["text"] for i in get_task("translation").example_requests["serving_default"]]
    body = {"signature_name": "serving_default", "instances": [{"text": t} for t in texts]}
    yield "translation", body, [{"translation": r["translation"]} for r in translator.translate(texts)]

    captioner, images = tasks["captioning"]
    subset = images.subset([0, 1, 2])
    body = {"signature_name": "serving_default",
            "instances": [{"image": {"b64": base64.b64encode(c).decode("ascii")}} for c in subset.contents]}
    expected = captioner.caption(CaptionedImages(subset.images, subset.captions, "t", folder="",
                                                 contents=subset.contents))
    yield "captioning", body, [{"caption": r["caption"]} for r in expected]


# The server side: only tensorflow and tensorflow_text, decoding the JSON body the way
# TensorFlow Serving's REST API does (row format: one value per input per instance,
# stacked into a batch; {"b64": ...} is binary), one response per request, and each
# request again one instance at a time.
SERVER = textwrap.dedent(
    """
    import base64, json, sys
    import tensorflow as tf, tensorflow_text

    def value(v):
        return base64.b64decode(v["b64"]) if isinstance(v, dict) and list(v) == ["b64"] else v

    def predict(model, body):
        signature = model.signatures[body.get("signature_name", "serving_default")]
        specs = signature.structured_input_signature[1]
        if "inputs" in body:  # the columnar format: one list per input, each its own length
            inputs = {n: tf.constant(body["inputs"][n], s.dtype) for n, s in specs.items()}
            outputs = signature(**inputs)
            return {n: [v.decode() if isinstance(v, bytes) else v for v in t.numpy().tolist()]
                    for n, t in outputs.items()}
        instances = body["instances"]
        missing = [n for n in specs if any(n not in i for i in instances)]
        assert not missing, f"instances lack {missing}"
        inputs = {n: tf.constant([value(i[n]) for i in instances], s.dtype) for n, s in specs.items()}
        columns = {n: t.numpy().tolist() for n, t in signature(**inputs).items()}
        rows = [{n: c[k] for n, c in columns.items()} for k in range(len(instances))]
        return [{n: v.decode() if isinstance(v, bytes) else v for n, v in row.items()} for row in rows]

    responses = []
    for export_dir, body in json.load(open(sys.argv[1])):
        model = tf.saved_model.load(export_dir)
        if "inputs" in body:
            responses.append({"outputs": predict(model, body)})
            continue
        batched = predict(model, body)
        single = [predict(model, {**body, "instances": [i]})[0] for i in body["instances"]]
        responses.append({"predictions": batched, "one_at_a_time": single})
    assert not any(m.startswith("seqzoo") for m in sys.modules)
    print(json.dumps(responses))
    """
)


# ----------------------------------------------------------------------------- tests
def test_every_export_has_the_documented_signatures(exports, tasks):
    for task, export_dir in exports.items():
        found = signature_contract(export_dir)
        expected_names = sorted(s for t, s in CONTRACT if t == task)
        assert sorted(found) == expected_names, task
        for signature, (inputs, outputs) in ((s, CONTRACT[task, s]) for s in expected_names):
            for side, tensors in (("inputs", inputs), ("outputs", outputs)):
                assert sorted(found[signature][side]) == [name for name, _, _ in tensors], (task, signature, side)
                for name, dtype, shape in tensors:
                    spec = found[signature][side][name]
                    assert spec["dtype"] == dtype, (task, name, spec)
                    assert len(spec["shape"]) == len(shape) and spec["shape"][0] is None, (task, name, spec)
    classes = len(tasks["sentiment"].label_names)
    assert signature_contract(exports["sentiment"])["serving_default"]["outputs"]["probabilities"]["shape"] == [None, classes]


def test_docs_document_the_contract_and_a_request_for_each_task():
    page = CONTRACT_PAGE.read_text(encoding="utf-8")
    for task, signature in CONTRACT:
        assert contract_row(task, signature) in page, contract_row(task, signature)
    for spec in all_tasks():
        for signature in spec.example_requests:
            assert json.dumps(example_request(spec, signature)) in page, (spec.name, signature)


def test_rest_requests_are_served_from_a_fresh_process_like_the_task_predicts(exports, tasks, tmp_path):
    cases = list(rest_requests(tasks))
    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps([[str(exports[task]), body] for task, body, _ in cases]))
    result = subprocess.run([sys.executable, "-c", SERVER, str(requests)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    responses = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(responses) == len(cases) == 6
    for (task, body, expected), response in zip(cases, responses):
        if "outputs" in response:  # columnar request, columnar reply
            assert response["outputs"]["text"] == [row["text"] for row in expected]
            continue
        for predictions in (response["predictions"], response["one_at_a_time"]):
            assert len(predictions) == len(expected), task
            for got, want in zip(predictions, expected):
                for name, value in want.items():
                    if name == "probabilities":
                        assert got[name] == pytest.approx(value, abs=1e-5), task
                    else:
                        assert got[name] == value, (task, body.get("signature_name"), name)


def test_every_export_carries_a_model_card(exports, tasks):
    sizes = {"sentiment": {"vocabulary"}, "language-model": {"vocabulary"},
             "translation": {"source", "target"}, "captioning": {"captions"}}
    for task, export_dir in exports.items():
        card = read_model_card(export_dir)
        assert card["task"] == task
        assert set(card["vocabulary_sizes"]) == sizes[task] and all(v > 4 for v in card["vocabulary_sizes"].values())
        assert {"seqzoo", "tensorflow", "keras"} <= set(card["exported_with"])
        assert card["signatures"] == signature_contract(export_dir)
        assert card["architecture"]["name"] == card["training_config"]["arch"]
        text = (Path(export_dir) / "MODEL_CARD.md").read_text()
        assert text.startswith("---\nlibrary_name: ") and f"\n---\n\n# {task} / " in text  # front matter, then Markdown
    assert read_model_card(exports["sentiment"])["labels"] == tasks["sentiment"].label_names


def test_inspect_prints_each_export(exports, capsys):
    for task, export_dir in exports.items():
        assert main(["inspect", str(export_dir)]) == 0
        out = capsys.readouterr().out
        assert f"- task: {task}" in out and "- vocabulary size:" in out and "tensorflow" in out
        for (t, signature), (inputs, outputs) in CONTRACT.items():
            if t == task:
                assert f"signature {signature}" in out
                for name, dtype, _ in inputs:
                    assert f"input  {name}: {dtype} [batch" in out, (task, name)
                for name, dtype, _ in outputs:
                    assert f"output {name}: {dtype} [batch" in out, (task, name)
        assert main(["inspect", "--json", str(export_dir)]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["kind"] == "export" and report["card"]["task"] == task


def test_export_of_a_run_directory_carries_its_metrics_and_inspect_reads_the_run(tasks, tmp_path, capsys):
    from seqzoo.tasks import SentimentTask
    from seqzoo.tasks.common.run_directory import atomic_write_json

    run = tmp_path / "run"
    tasks["sentiment"].save(run)
    atomic_write_json(run / "metrics.json", {"accuracy": 0.75, "macro_f1": 0.5, "split": "test",
                                             "confusion_matrix": [[1, 0], [0, 1]]})
    assert main(["inspect", str(run)]) == 0
    out = capsys.readouterr().out
    assert "- task: sentiment" in out and "accuracy 0.75" in out and "labels (2): neg, pos" in out
    report = inspect_path(run)
    assert report["vocabulary_sizes"] == {"vocabulary": tasks["sentiment"].preprocessor.vocabulary_size}

    assert main(["export", str(run), "--out", str(tmp_path / "exported")]) == 0
    card = read_model_card(tmp_path / "exported" / "1")
    assert card["metrics"] == {"accuracy": 0.75, "macro_f1": 0.5, "split": "test"}
    assert card["run_directory"] == str(run) and "tensorflow" in card["trained_with"]
    assert SentimentTask.load(run).label_names == ["neg", "pos"]


def test_inspect_refuses_a_folder_that_is_neither(tmp_path):
    with pytest.raises(UsageError, match="neither a seqzoo export"):
        inspect_path(tmp_path)


def test_inspect_describes_a_savedmodel_made_elsewhere_from_its_signatures(tmp_path, capsys):
    import tensorflow as tf

    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def double(self, x):
            return {"y": 2 * x}

    module = Doubler()
    tf.saved_model.save(module, str(tmp_path / "other"), signatures={"serving_default": module.double})
    assert main(["inspect", str(tmp_path / "other")]) == 0
    out = capsys.readouterr().out
    assert "no model card" in out and "input  x: float32 [batch, 3]" in out and "output y: float32 [batch, 3]" in out


def test_doctests_of_inspection_run():
    import doctest

    from seqzoo.tasks.inspection import report as inspection
    result = doctest.testmod(inspection, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
