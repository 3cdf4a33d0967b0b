"""`seqzoo export --format litert|onnx`: every task's token-id graphs converted, run with
the LiteRT interpreter and onnxruntime, and compared with the Keras model and the
SavedModel on built-in data; the reference client, in this process and in a fresh one."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from seqzoo.data.builtin import load_builtin
from seqzoo.data.builtin_parallel import load_cldr_dates
from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.tasks.common import portable_client
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.portable_export import MANIFEST, export_portable
from seqzoo.tasks.common.unrolled_recurrence import recurrent_layers, unrolled_recurrence
from tests.tasks.helpers import tiny_untrained_tasks

FORMATS = ("litert", "onnx")
GENERATING = ("language-model", "translation", "captioning")
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def tasks():
    tasks = tiny_untrained_tasks()
    # Short fixed lengths keep the unrolled graphs, and their conversion, small.
    tasks["sentiment"].config.max_length = 12
    tasks["translation"].config.max_length = 10
    tasks["captioning"].config.max_length = 6
    return tasks


@pytest.fixture(scope="module")
def exports(tasks, tmp_path_factory):
    root = tmp_path_factory.mktemp("portable")
    return {(name, export_format): export_portable(tasks[name], root / f"{name}-{export_format}", export_format)
            for name in ("sentiment", *GENERATING) for export_format in FORMATS}


@pytest.fixture(scope="module")
def reviews():
    return load_builtin("negation-reviews", size=16).texts + ["", "Good, GOOD film!", "l’été «très» bien"]


@pytest.fixture(scope="module")
def sources():
    return load_cldr_dates(size=6).sources + ["a b a", "b"]


def manifest(folder) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- conversion
@pytest.mark.parametrize("name", ["sentiment", *GENERATING])
def test_litert_graphs_need_only_builtin_ops(exports, name):
    from ai_edge_litert.interpreter import Interpreter

    folder = exports[(name, "litert")]
    for graph in manifest(folder)["graphs"].values():
        assert not [op for op in graph["operators"] if op.startswith("Flex")], graph["operators"]
        # The stock interpreter has no Flex delegate: it refuses a graph that needs one.
        Interpreter(model_path=str(folder / graph["file"])).allocate_tensors()


def test_the_folder_holds_graphs_vocabularies_manifest_client_and_card(exports):
    folder = exports[("translation", "onnx")]
    names = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
    assert {"encoder.onnx", "decoder_step.onnx", "portable.json", "client.py", "MODEL_CARD.md",
            "source/vocabulary.txt", "source/preprocessor.json", "target/vocabulary.txt"} <= names
    settings = manifest(folder)
    assert settings["special_ids"] == {"pad": 0, "unk": 1, "start": 2, "end": 3}
    step = settings["graphs"]["decoder_step"]
    assert [tensor["name"] for tensor in step["inputs"]][:1] == ["token_ids"]
    assert {tensor["name"] for tensor in step["outputs"]} >= {"logits"}
    assert settings["graphs"]["encoder"]["inputs"][0]["shape"] == [None, settings["max_length"]]


@pytest.mark.parametrize("arch", ["transformer", "bahdanau"])
def test_other_translation_architectures_convert_with_builtin_ops_and_decode_alike(sources, tmp_path, arch):
    from seqzoo.tasks.translation.config import TranslationConfig
    from seqzoo.tasks.translation.task import TranslationTask

    pairs = tiny_pairs()
    # bahdanau: a bidirectional GRU encoder, whose every output the attention reads.
    task = TranslationTask.build(TranslationConfig(arch=arch, cell="gru", units=8, embedding_dim=8, num_heads=2,
                                                   max_length=10), pairs)
    folder = export_portable(task, tmp_path / arch, "litert")
    for graph in manifest(folder)["graphs"].values():
        assert not [op for op in graph["operators"] if op.startswith("Flex")], graph["operators"]
    expected = [result["translation"] for result in task.translate(sources, greedy=True)]
    assert [result["text"] for result in portable_client.PortableModel(folder).run(sources)] == expected


def tiny_pairs():
    from seqzoo.data.parallel import ParallelTexts

    return ParallelTexts(["a b", "b a", "a a", "b b"] * 4, ["B A", "A B", "A A", "B B"] * 4, "toy")


# ----------------------------------------------------------------------------- parity
@pytest.fixture(scope="module")
def sentiment_savedmodel(tasks, tmp_path_factory):
    folder = tasks["sentiment"].export(tmp_path_factory.mktemp("savedmodel") / "clf")
    return tf.saved_model.load(str(folder)).signatures["serving_default"]


@pytest.mark.parametrize("export_format", FORMATS)
def test_classifier_equals_the_savedmodel_on_builtin_reviews(exports, sentiment_savedmodel, reviews, export_format):
    expected = sentiment_savedmodel(text=tf.constant(reviews))
    results = portable_client.PortableModel(exports[("sentiment", export_format)]).run(reviews)
    probabilities = np.array([list(result["probabilities"].values()) for result in results])
    assert np.abs(probabilities - expected["probabilities"].numpy()).max() <= TOLERANCE
    assert [result["label"] for result in results] == [label.decode() for label in expected["label"].numpy()]


def _graph_inputs(tasks, name, sources):
    """Real encoder inputs (built-in dates, built-in digit images) and the Keras state."""
    task = tasks[name]
    if name == "translation":
        ids = portable_client.padded([task.source_preprocessor(tf.constant([s]))[0].numpy().tolist()
                                      for s in sources], task.config.max_length)
        return {"source_ids": ids}, task.model.encode(tf.constant(ids), task.max_new_tokens)
    if name == "captioning":
        images = np.concatenate([batch.numpy() for batch in task.images_dataset(tasks["images"])])
        return {"images": images}, task.model.encode(tf.constant(images), task.max_new_tokens)
    return None, task._zero_state()


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("name", GENERATING)
def test_encoder_and_decoder_step_equal_the_keras_model(tasks, exports, sources, name, export_format):
    task, model = tasks[name], portable_client.PortableModel(exports[(name, export_format)])
    inputs, state = _graph_inputs(tasks, name, sources)
    expected_state = tf.nest.flatten(state)
    if inputs is None:  # the language model starts from zeros, with one row per prompt
        state = tf.nest.map_structure(lambda tensor: tf.repeat(tensor, 3, axis=0), state)
        expected_state = tf.nest.flatten(state)
        flat = {f"state_{i}": tensor.numpy() for i, tensor in enumerate(expected_state)}
    else:
        flat = model.graphs["encoder"](**inputs)
        for index, tensor in enumerate(expected_state):
            assert np.abs(flat[f"state_{index}"].astype(np.float32) - np.asarray(tensor, np.float32)).max() \
                <= TOLERANCE
    rows = expected_state[0].shape[0]
    token_ids = np.resize(np.array([2, 4, 5], np.int32), rows)
    step = task.generator.step if name == "language-model" else task.model.step
    expected_logits, expected_next = step(tf.constant(token_ids), state)
    logits, next_state = model.step(token_ids, flat)
    assert np.abs(logits - expected_logits.numpy()).max() <= TOLERANCE
    for index, tensor in enumerate(tf.nest.flatten(expected_next)):
        assert np.abs(next_state[f"state_{index}"].astype(np.float32) - np.asarray(tensor, np.float32)).max() \
            <= TOLERANCE


@pytest.mark.parametrize("export_format", FORMATS)
def test_client_translations_equal_the_task_greedy_decoding(tasks, exports, sources, export_format):
    client = portable_client.PortableModel(exports[("translation", export_format)])
    expected = [result["translation"] for result in tasks["translation"].translate(sources, greedy=True)]
    assert [result["text"] for result in client.run(sources)] == expected


@pytest.mark.parametrize("export_format", FORMATS)
def test_client_captions_equal_the_task_greedy_decoding(tasks, exports, export_format):
    images = tasks["images"]
    client = portable_client.PortableModel(exports[("captioning", export_format)])
    expected = [result["caption"] for result in tasks["captioning"].caption(images, greedy=True)]
    assert [result["text"] for result in client.run(list(images.contents))] == expected


@pytest.mark.parametrize("export_format", FORMATS)
def test_client_continuations_equal_the_savedmodel_generator_at_temperature_0(tasks, exports, export_format):
    prompts = ["abc", "", "cab ab"]
    client = portable_client.PortableModel(exports[("language-model", export_format)])
    expected = tasks["language-model"].generate(prompts, max_tokens=12, temperature=0.0)
    assert [result["text"] for result in client.run(prompts, max_tokens=12)] == expected


def test_client_resizes_images_as_the_savedmodel(tasks):
    import io

    from PIL import Image

    from seqzoo.data.image_files import decode_image

    pixels = np.random.default_rng(0).integers(0, 256, (21, 37, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    png = buffer.getvalue()
    for height, width in ((16, 48), (40, 20)):  # shrinking and enlarging
        expected = decode_image(tf.constant(png), height, width).numpy()
        assert np.abs(portable_client.load_image(png, height, width) - expected).max() <= 1e-3


# ----------------------------------------------------------------------------- tokenising
TRICKY = ["Don't 'quote' me, O'Brien!", "l’été «très» naïve café", "STRASSE Straße İstanbul",
          "東京タワーは高い。", "tab\there\u00a0nbsp  ﬁne ½", "'''", "a--b ... ''x'' y'", "", "  "]


@pytest.mark.parametrize("level", ["word", "char", "subword"])
def test_client_tokenises_as_the_preprocessor(tmp_path, level):
    corpus = TRICKY + ["the quotes don't matter, the cafés do"] * 3
    preprocessor = TextPreprocessor.adapt(corpus, level=level, max_vocabulary=60)
    preprocessor.save(tmp_path)
    client = portable_client.Preprocessor(tmp_path)
    expected = preprocessor(tf.constant(TRICKY)).to_list()
    assert [client.encode(text) for text in TRICKY] == expected
    assert [client.decode(ids) for ids in expected] == \
        [text.decode() for text in preprocessor.detokenize(tf.ragged.constant(expected)).numpy()]


# ----------------------------------------------------------------------------- unrolling
def test_the_unrolled_encoder_equals_the_keras_loop_and_ignores_padding():
    from seqzoo.zoo import RecurrentEncoder

    encoder = RecurrentEncoder(12, embedding_dim=4, cell="lstm", units=3, num_layers=2, bidirectional=True)
    ids = np.array([[5, 6, 7, 0], [8, 0, 0, 0], [0, 0, 0, 0]], np.int32)
    looped_outputs, looped_states = encoder(ids)
    for length in (6, 9):  # the same rows, padded to two fixed lengths
        padded = np.pad(ids, [[0, 0], [0, length - ids.shape[1]]])
        with unrolled_recurrence(encoder):
            outputs, states = tf.function(encoder)(tf.constant(padded))
        assert np.abs(outputs[:, :4] - looped_outputs).max() <= 1e-6
        assert np.abs(outputs[:, 4:]).max() == 0.0
        for state, looped in zip(states, looped_states):
            assert np.abs(state - looped).max() <= 1e-6
    assert not any(layer.unroll for layer in recurrent_layers(encoder))  # as they were


# ----------------------------------------------------------------------------- the client, the CLI
def test_client_cli_in_a_fresh_process_equals_the_savedmodel(exports, sentiment_savedmodel, reviews):
    folder = exports[("sentiment", "litert")]
    script = textwrap.dedent(f"""
        import runpy, sys
        sys.argv = ["client.py", {str(folder)!r}, *{reviews[:5]!r}]
        try:
            runpy.run_path({str(folder / "client.py")!r}, run_name="__main__")
        except SystemExit as exit:
            assert not exit.code
        assert not any(m.startswith(("seqzoo", "tensorflow.")) for m in sys.modules), "TensorFlow imported"
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    expected = sentiment_savedmodel(text=tf.constant(reviews[:5]))["probabilities"].numpy()
    assert np.abs(np.array([list(row["probabilities"].values()) for row in printed]) - expected).max() <= TOLERANCE


def test_client_translates_in_a_fresh_process(tasks, exports, sources):
    folder = exports[("translation", "onnx")]
    result = subprocess.run([sys.executable, str(folder / "client.py"), str(folder), *sources],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = [result["translation"] for result in tasks["translation"].translate(sources, greedy=True)]
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == expected


def test_seqzoo_export_format_onnx_of_a_run(tasks, tmp_path, capsys):
    from seqzoo.tasks.cli import main
    from seqzoo.tasks.common.output_dirs import set_run_status

    run = tmp_path / "run"
    tasks["sentiment"].save(run)
    set_run_status(run, "finished")
    assert main(["export", str(run), "--format", "onnx", "--out", str(tmp_path / "onnx"), "--license", "mit"]) == 0
    assert "exported onnx model" in capsys.readouterr().out
    card = json.loads((tmp_path / "onnx" / "assets.extra" / "model_card.json").read_text(encoding="utf-8"))
    assert card["license"] == "mit" and card["portable"]["format"] == "onnx"
    settings = manifest(tmp_path / "onnx")
    assert settings["format"] == "onnx" and settings["labels"] == tasks["sentiment"].label_names
    assert (tmp_path / "onnx" / "classifier.onnx").is_file()
    assert main(["export", str(run), "--format", "onnx", "--out", str(tmp_path / "onnx")]) == 2  # no --overwrite
    assert "--overwrite" in capsys.readouterr().err
    # `seqzoo inspect`, which the export's last line suggests, describes the folder from its files.
    assert main(["inspect", str(tmp_path / "onnx")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"onnx export {tmp_path / 'onnx'}") and "`classifier.onnx`" in printed
    assert "input `token_ids`: int32 [?, " in printed and "- license: mit" in printed
    assert "An ONNX export: `portable.json` describes its graphs" in printed


def test_missing_converter_names_the_extra(tasks, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as if not installed: importing it fails
    with pytest.raises(UsageError, match=r'pip install "seqzoo\[onnx\]"'):
        export_portable(tasks["sentiment"], tmp_path / "onnx", "onnx")
    assert not (tmp_path / "onnx").exists()


@pytest.mark.parametrize("module", ["portable_client", "portable_export", "portable_graphs", "unrolled_recurrence"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"seqzoo.tasks.common.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
