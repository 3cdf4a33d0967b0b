"""Interop, as docs/reference/interop.md documents it, each in a fresh Python process:

- an export loads in plain Keras (`keras.layers.TFSMLayer`), in a process that imports
  keras, tensorflow and tensorflow_text and never seqzoo, and predicts what the task
  predicts; the "How to use" code of its MODEL_CARD.md runs there as written;
- a run's `model.keras` loads with `keras.saving.load_model` once `seqzoo.zoo` is
  imported, giving the same outputs; without it, Keras' error names the class and the
  module (what the page quotes), and seqzoo's own loader names the import to add;
- `load_keras_model` loads a trained translation model compiled with seqzoo's loss, and
  names the missing, uninstalled or too-new module of a class it cannot find.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.model_card import CARD_MARKDOWN, read_model_card
from seqzoo.tasks.common.model_files import load_keras_model
from tests.tasks.helpers import tiny_untrained_tasks

OLD_TRANSLATION_RUN = Path(__file__).resolve().parent / "fixtures" / "seqzoo-0.1" / "tr"
TEXTS = {"sentiment": ["good film", "so bad", "a good one", ""], "translation": ["a b", "b a a", "b"]}
# Token ids for the raw Keras models (vocabularies of the tiny tasks hold more than 6 ids).
SENTIMENT_IDS = [[4, 5, 6, 0], [5, 1, 0, 0]]
TRANSLATION_IDS = {"source_ids": [[4, 5, 0], [5, 5, 4]], "target_ids": [[2, 4, 5], [2, 5, 0]]}
PLUGIN_MODULE = "interop_plugin_layers"
PLUGIN_SOURCE = '''
import keras

@keras.saving.register_keras_serializable(package="interop_plugin")
class Doubling(keras.layers.Layer):
    """A layer from a package of the user's own: doubles its input."""

    def call(self, x):
        return 2 * x
'''


def fresh_python(script: str, *args: str) -> dict:
    """Run `script` in a new interpreter; the JSON it prints last."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], capture_output=True,
                            text=True, timeout=300, env={**__import__("os").environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """The tiny sentiment and translation tasks, their run directories, their exports, and
    a plug-in layer's module and `.keras` file."""
    root = tmp_path_factory.mktemp("interop")
    tasks = tiny_untrained_tasks()
    made = {"root": root, "tasks": {}, "runs": {}, "exports": {}}
    for name in ("sentiment", "translation"):
        task = tasks[name]
        task.save(root / f"{name}-run")
        made["tasks"][name] = task
        made["runs"][name] = root / f"{name}-run"
        made["exports"][name] = task.export(root / f"{name}-export", license="mit")

    (root / "plugins").mkdir()
    (root / "plugins" / f"{PLUGIN_MODULE}.py").write_text(PLUGIN_SOURCE)
    spec = importlib.util.spec_from_file_location(PLUGIN_MODULE, root / "plugins" / f"{PLUGIN_MODULE}.py")
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)  # registers "interop_plugin>Doubling" here; the fresh processes never do
    import keras

    inputs = keras.Input((3,))
    keras.Model(inputs, plugin.Doubling()(inputs)).save(root / "plugin.keras")
    return made


def card_snippet(export_dir: Path) -> str:
    """The Python code of the export's MODEL_CARD.md "How to use", pointed at the export."""
    text = (Path(export_dir) / CARD_MARKDOWN).read_text(encoding="utf-8")
    how_to = text.split("## How to use", 1)[1]
    code = re.search(r"```python\n(.*?)\n```", how_to, re.S).group(1)
    return code.replace('"EXPORT_DIR"', json.dumps(str(export_dir)))


def test_an_export_loads_in_plain_keras_with_tfsmlayer_and_predicts_like_the_task(made):
    sentiment, translation = made["tasks"]["sentiment"], made["tasks"]["translation"]
    snippets = [card_snippet(made["exports"][name]) for name in ("sentiment", "translation")]
    assert all("keras.layers.TFSMLayer" in code for code in snippets)
    served = fresh_python(
        """
        import contextlib, io, json, sys
        import keras, tensorflow as tf, tensorflow_text

        exports, texts, snippets = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
        out = {}
        layer = keras.layers.TFSMLayer(exports["sentiment"], call_endpoint="serving_default")
        result = layer(tf.constant(texts["sentiment"]))
        out["label"] = [x.decode() for x in result["label"].numpy()]
        out["probabilities"] = result["probabilities"].numpy().tolist()
        layer = keras.layers.TFSMLayer(exports["translation"], call_endpoint="serving_default")
        out["translation"] = [x.decode() for x in layer(tf.constant(texts["translation"]))["translation"].numpy()]
        out["snippets"] = []
        for code in snippets:  # the model card's own example, as a user would paste it
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(code, {})
            out["snippets"].append(printed.getvalue())
        out["seqzoo_modules"] = sorted(m for m in sys.modules if m.startswith("seqzoo"))
        print(json.dumps(out))
        """,
        json.dumps({name: str(path) for name, path in made["exports"].items()}), json.dumps(TEXTS),
        json.dumps(snippets),
    )
    assert served["seqzoo_modules"] == []
    expected = sentiment.predict(TEXTS["sentiment"])
    assert served["label"] == [row["label"] for row in expected]
    for got, row in zip(served["probabilities"], expected):
        assert got == pytest.approx([row["probabilities"][name] for name in sentiment.label_names], abs=1e-5)
    assert served["translation"] == [row["translation"] for row in translation.translate(TEXTS["translation"])]
    assert "'label'" in served["snippets"][0] and "'translation'" in served["snippets"][1]
    assert read_model_card(made["exports"]["sentiment"])["license"] == "mit"  # Task.export(license=...)


def test_model_keras_loads_where_seqzoo_is_installed_and_without_seqzoo_zoo_the_error_names_it(made):
    sentiment, translation = made["tasks"]["sentiment"], made["tasks"]["translation"]
    loaded = fresh_python(
        """
        import json, sys
        import keras, numpy as np

        runs, sentiment_ids, translation_ids = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
        out = {"seqzoo_before": sorted(m for m in sys.modules if m.startswith("seqzoo"))}
        try:  # what a user sees who forgot the import
            keras.saving.load_model(runs["sentiment"] + "/model.keras")
        except TypeError as error:
            out["plain_error"] = str(error)
        import seqzoo.zoo

        model = keras.saving.load_model(runs["sentiment"] + "/model.keras")
        out["sentiment"] = np.asarray(model(np.array(sentiment_ids), training=False)).tolist()
        model = keras.saving.load_model(runs["translation"] + "/model.keras")
        inputs = {k: np.array(v) for k, v in translation_ids.items()}
        out["translation"] = np.asarray(model(inputs, training=False)).tolist()
        print(json.dumps(out))
        """,
        json.dumps({name: str(path) for name, path in made["runs"].items()}), json.dumps(SENTIMENT_IDS),
        json.dumps(TRANSLATION_IDS),
    )
    assert loaded["seqzoo_before"] == []
    # Keras' own message (docs/reference/interop.md quotes it): the class, its module, its registered name.
    error = loaded["plain_error"]
    assert "Could not locate class 'SequenceClassifier'" in error
    assert "'module': 'seqzoo.zoo.sequence_classifier'" in error
    assert "'registered_name': 'seqzoo>SequenceClassifier'" in error

    expected = np.asarray(sentiment.model(np.array(SENTIMENT_IDS), training=False))
    assert np.allclose(loaded["sentiment"], expected, atol=1e-5)
    inputs = {k: np.array(v) for k, v in TRANSLATION_IDS.items()}
    assert np.allclose(loaded["translation"], np.asarray(translation.model(inputs, training=False)), atol=1e-5)


def test_seqzoo_loader_loads_a_compiled_model_and_names_the_import_a_plugin_class_needs(made):
    result = fresh_python(
        """
        import json, sys
        import numpy as np
        from seqzoo.tasks.common.errors import UsageError
        from seqzoo.tasks.common.model_files import load_keras_model

        trained, plugin_dir, plugin_file = sys.argv[1:4]
        out = {"loss_imported_before": "seqzoo.tasks.common.sequence_loss" in sys.modules}
        model = load_keras_model(trained)  # compiled with seqzoo's masked loss: compile=True
        out["loss"] = type(model.loss).__name__
        sys.path.insert(0, plugin_dir)
        try:
            load_keras_model(plugin_file)
        except UsageError as error:
            out["plugin_error"] = str(error)
        import interop_plugin_layers

        model = load_keras_model(plugin_file)
        out["doubled"] = np.asarray(model(np.array([[1.0, 2.0, 3.0]]))).tolist()
        print(json.dumps(out))
        """,
        str(OLD_TRANSLATION_RUN / "model.keras"), str(made["root"] / "plugins"), str(made["root"] / "plugin.keras"),
    )
    assert result["loss_imported_before"] is False and result["loss"] == "MaskedSequenceLoss"
    error = result["plugin_error"]
    assert "'Doubling'" in error and "interop_plugin>Doubling" in error, error
    assert f"run `import {PLUGIN_MODULE}` before loading it" in error and "newer" not in error, error
    assert result["doubled"] == [[2.0, 4.0, 6.0]]


def _rewritten(source: Path, target: Path, **replacements: str) -> Path:
    """A copy of a .keras archive whose config.json has some strings replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "config.json":
                text = data.decode()
                for before, after in replacements.items():
                    assert before in text, before
                    text = text.replace(before, after)
                data = text.encode()
            new.writestr(item, data)
    return target


def test_a_class_from_a_package_that_is_not_installed_or_too_new_is_named(made, tmp_path):
    plugin = made["root"] / "plugin.keras"
    missing = _rewritten(plugin, tmp_path / "missing.keras", **{
        f'"module": "{PLUGIN_MODULE}"': '"module": "no_such_package_xyz.layers"',
        "interop_plugin>Doubling": "no_such>Doubling"})
    with pytest.raises(UsageError, match=r"module no_such_package_xyz\.layers, whose package "
                                         r"no_such_package_xyz is not installed: install"):
        load_keras_model(missing)

    future = _rewritten(plugin, tmp_path / "future.keras", **{
        f'"module": "{PLUGIN_MODULE}"': '"module": "seqzoo.zoo.layers_of_tomorrow"',
        '"class_name": "Doubling"': '"class_name": "Tomorrow"', "interop_plugin>Doubling": "seqzoo>Tomorrow"})
    with pytest.raises(UsageError, match=r"'Tomorrow' \(registered as 'seqzoo>Tomorrow'\) from the module "
                                         r"seqzoo\.zoo\.layers_of_tomorrow, which this seqzoo does not have: "
                                         r"the file was saved by a newer seqzoo"):
        load_keras_model(future)
