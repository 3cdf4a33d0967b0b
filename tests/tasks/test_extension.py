"""Extending seqzoo from outside (issue 12, item 3): a plug-in package, found through its
entry points, adds a whole task and an architecture for the built-in sentiment task.

The plug-in is written into a temporary folder as a package (`seqzoo_toy_plugin/`) and
an installed distribution's metadata (`seqzoo_toy_plugin-0.1.dist-info/`, with
`entry_points.txt`), which `importlib.metadata` finds when the folder is on PYTHONPATH,
just as it finds a `pip install`ed package. Its task, "toy-majority", classifies
sequences of the tokens `a` and `b` by the more frequent one; its task class subclasses
`seqzoo.tasks.common.task.Task`, which saves, loads, fits and exports it. The commands
run in subprocesses, as a user would run them. `docs/adding-a-task.md` and
`docs/adding-an-architecture.md` walk through the same files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from seqzoo.tasks import registry
from seqzoo.tasks.common.config import DataConfig, JSONConfig, ModelConfig, TrainConfig
from seqzoo.tasks.common.contract import Architecture, TaskSpec
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.model_card import read_model_card
from seqzoo.tasks.common.output_dirs import MARKER, output_kind

PLUGIN = "seqzoo_toy_plugin"
TASK = "toy-majority"
SENTIMENT_ARCH = "toy-conv"

# ----------------------------------------------------------------------------- the plug-in
PLUGIN_FILES = {
    "seqzoo_toy_plugin-0.1.dist-info/METADATA": """\
        Metadata-Version: 2.1
        Name: seqzoo-toy-plugin
        Version: 0.1
        """,
    # What `[project.entry-points."seqzoo.tasks"]` and `[project.entry-points."seqzoo.architectures"]`
    # in the plug-in's pyproject.toml become when it is installed.
    "seqzoo_toy_plugin-0.1.dist-info/entry_points.txt": """\
        [seqzoo.tasks]
        toy-majority = seqzoo_toy_plugin:SPEC

        [seqzoo.architectures]
        sentiment.toy-conv = seqzoo_toy_plugin.architectures:SENTIMENT_CONV
        """,
    "seqzoo_toy_plugin/__init__.py": '''\
        """A toy task for seqzoo: which token, a or b, is in the majority? No TensorFlow here."""

        from seqzoo.tasks.common.contract import MetricColumn, TaskSpec
        from seqzoo_toy_plugin import cli
        from seqzoo_toy_plugin.architectures import TOY_ARCHITECTURES
        from seqzoo_toy_plugin.config import MajorityConfig


        def _jobs():
            from seqzoo_toy_plugin.jobs import JOBS  # imports TensorFlow: only when a command runs

            return JOBS


        SPEC = TaskSpec(
            name="toy-majority",
            title="toy majority",
            config_class=MajorityConfig,
            architectures=TOY_ARCHITECTURES,
            jobs=_jobs,
            cli=cli,
            metrics=(MetricColumn("accuracy", "accuracy", 4),),
        )
        ''',
    "seqzoo_toy_plugin/config.py": '''\
        from __future__ import annotations  # the CLI reads the field types as strings

        from dataclasses import dataclass, field

        from seqzoo.tasks.common.config import DataConfig, JSONConfig, ModelConfig, TrainConfig


        @dataclass
        class MajorityConfig(JSONConfig, TrainConfig, ModelConfig, DataConfig):
            """Toy task: the majority token of a sequence of a/b tokens."""

            # Other defaults than the shared ones: a tiny model.
            arch: str = field(default="conv", metadata={"help": "architecture (see `seqzoo archs toy-majority`)"})
            embedding_dim: int = field(default=8, metadata={"help": "embedding width"})
            units: int = field(default=16, metadata={"help": "GRU units or convolution filters"})
            pooling: str = field(default="mean", metadata={"help": "how the sequence becomes one vector",
                                                           "choices": ("last", "attention", "mean")})
            dropout: float = field(default=0.0, metadata={"help": "dropout before the classifier"})
            epochs: int = field(default=10, metadata={"help": "maximum number of passes over the training data"})
            batch_size: int = field(default=32, metadata={"help": "examples per batch"})
            learning_rate: float = field(default=1e-2, metadata={"help": "Adam learning rate"})
            # The task's own settings.
            text_column: str = field(default="text", metadata={"help": "column holding the text"})
            label_column: str = field(default="label", metadata={"help": "column holding the label"})
            examples: int = field(default=800, metadata={"help": "generated examples when no --data is given"})
            max_tokens: int = field(default=11, metadata={"help": "longest generated sequence"})
            task: str = "toy-majority"
        ''',
    "seqzoo_toy_plugin/architectures.py": '''\
        """Architecture tables: build(config, vocabulary_size) -> an encoder for SequenceClassifier.
        No TensorFlow at import: the builders import it when they run."""

        from seqzoo.tasks.common.contract import Architecture


        def _gru(config, vocabulary_size):
            from seqzoo.zoo import RecurrentEncoder

            return RecurrentEncoder(vocabulary_size, embedding_dim=config.embedding_dim, cell="gru",
                                    units=config.units)


        def _conv(config, vocabulary_size):
            from seqzoo_toy_plugin.layers import ConvEncoder

            return ConvEncoder(vocabulary_size, embedding_dim=config.embedding_dim, units=config.units)


        TOY_ARCHITECTURES = {
            "conv": Architecture("the plug-in's ConvEncoder: embedding, Conv1D, masked mean", _conv,
                                 recurrent=False, modules=("seqzoo_toy_plugin.layers",)),
            "gru": Architecture("GRU from seqzoo.zoo", _gru),
        }

        # For the built-in sentiment task (entry point "sentiment.toy-conv"): the same
        # signature as sentiment's own table, build(config, vocabulary_size) -> encoder.
        SENTIMENT_CONV = Architecture("Conv1D encoder from seqzoo_toy_plugin", _conv, recurrent=False,
                                      modules=("seqzoo_toy_plugin.layers",))  # imported before a run loads
        ''',
    "seqzoo_toy_plugin/layers.py": '''\
        import keras
        from keras import ops

        from seqzoo.zoo import TokenEmbedding
        from seqzoo.zoo.masked_mean_pooling import masked_mean


        @keras.saving.register_keras_serializable(package="seqzoo_toy_plugin")
        class ConvEncoder(keras.layers.Layer):
            """token_ids [batch, time] -> (outputs [batch, time, units], [masked mean of outputs]),
            the (outputs, states) pair that seqzoo.zoo.SequenceClassifier expects of an encoder."""

            def __init__(self, vocabulary_size, embedding_dim=8, units=16, kernel_size=3, **kwargs):
                super().__init__(**kwargs)
                self.vocabulary_size = vocabulary_size
                self.embedding_dim = embedding_dim
                self.units = units
                self.kernel_size = kernel_size
                self.embedding = TokenEmbedding(vocabulary_size, embedding_dim, name="embedding")
                self.conv = keras.layers.Conv1D(units, kernel_size, padding="same", activation="relu", name="conv")

            def build(self, token_ids_shape):
                self.embedding.build(token_ids_shape)
                self.conv.build((None, None, self.embedding_dim))

            def call(self, token_ids):
                real = ops.expand_dims(ops.cast(ops.not_equal(token_ids, 0), self.compute_dtype), -1)
                outputs = self.conv(self.embedding(token_ids) * real) * real  # zero at padding
                return outputs, [masked_mean(outputs, ops.not_equal(token_ids, 0))]

            def get_config(self):
                return {**super().get_config(), "vocabulary_size": self.vocabulary_size,
                        "embedding_dim": self.embedding_dim, "units": self.units, "kernel_size": self.kernel_size}
        ''',
    "seqzoo_toy_plugin/data.py": '''\
        import random

        from seqzoo.data.readers import LabelledTexts

        VOCABULARY = ["<pad>", "<unk>", "a", "b"]  # id 0 is padding
        LABELS = ["a", "b"]


        def generate(count, seed, max_tokens):
            """`count` sequences of a/b tokens of odd length (no ties), labelled by the majority token."""
            rng = random.Random(seed)
            texts, labels = [], []
            for _ in range(count):
                tokens = rng.choices(LABELS, k=rng.randrange(1, max_tokens + 1, 2))
                texts.append(" ".join(tokens))
                labels.append(max(LABELS, key=tokens.count))
            return LabelledTexts(texts, labels, source=f"generated a/b sequences (seed {seed})")


        def token_ids(text):
            index = {token: i for i, token in enumerate(VOCABULARY)}
            return [index.get(token, 1) for token in text.lower().split()]
        ''',
    "seqzoo_toy_plugin/task.py": '''\
        import keras
        import numpy as np
        import tensorflow as tf

        from seqzoo.tasks.common.task import Task
        from seqzoo.zoo import SequenceClassifier
        from seqzoo_toy_plugin import SPEC
        from seqzoo_toy_plugin.data import LABELS, VOCABULARY, token_ids


        class MajorityTask(Task):
            """The toy's model and data; `Task` saves, loads, compiles, fits and exports it."""

            spec = SPEC
            preprocessor_folders = {}  # a fixed vocabulary (data.py): nothing learned, nothing to save

            @classmethod
            def build(cls, config, train):
                keras.utils.set_random_seed(config.seed)
                encoder = SPEC.architecture(config.arch).build(config, len(VOCABULARY))
                return cls(config, SequenceClassifier(encoder, num_classes=len(LABELS), pooling=config.pooling,
                                                      dropout=config.dropout))

            def encode(self, texts):
                rows = [token_ids(text)[: self.config.max_length] for text in texts]
                ids = np.zeros((len(rows), max([1] + [len(row) for row in rows])), np.int32)
                for i, row in enumerate(rows):
                    ids[i, : len(row)] = row
                return ids

            def dataset(self, data, shuffle=False):
                labels = np.asarray([LABELS.index(label) for label in data.labels], np.int32)
                dataset = tf.data.Dataset.from_tensor_slices((self.encode(data.texts), labels))
                if shuffle:
                    dataset = dataset.shuffle(len(labels), seed=self.config.seed)
                return dataset.batch(self.config.batch_size)

            def compile_options(self):
                return {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "metrics": ["accuracy"]}

            def predict_probabilities(self, texts):
                return tf.nn.softmax(self.model(self.encode(texts), training=False)).numpy()

            def predict(self, texts):
                return [{"text": text, "label": LABELS[int(np.argmax(row))],
                         "probabilities": dict(zip(LABELS, map(float, row)))}
                        for text, row in zip(texts, self.predict_probabilities(list(texts)))]

            def evaluate(self, data):
                predicted = np.argmax(self.predict_probabilities(data.texts), axis=-1)
                correct = [LABELS[p] == label for p, label in zip(predicted, data.labels)]
                return {"accuracy": round(sum(correct) / len(correct), 4), "examples": len(correct)}

            def servable(self):
                server = MajorityServer(self.model, self.config.max_length)
                return server, {"serving_default": server.serve}

            # For the model card (without them it lists no vocabulary and no labels).
            def vocabulary_sizes(self):
                return {"vocabulary": len(VOCABULARY)}

            def card_labels(self):
                return list(LABELS)


        class MajorityServer(tf.Module):
            """Strings of a/b tokens in; `label` and `probabilities` out. Plain TensorFlow ops only."""

            def __init__(self, model, max_length):
                super().__init__(name="toy_majority")
                self.model = model
                self.max_length = int(max_length)
                self.table = tf.lookup.StaticHashTable(
                    tf.lookup.KeyValueTensorInitializer(VOCABULARY[2:], tf.range(2, len(VOCABULARY), dtype=tf.int64)),
                    default_value=1,
                )
                self.labels = tf.Variable(LABELS, trainable=False, name="labels")

            @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
            def serve(self, text):
                tokens = tf.strings.split(tf.strings.lower(text))
                ids = tf.ragged.map_flat_values(self.table.lookup, tokens)[:, : self.max_length]
                ids = tf.cast(ids.to_tensor(0), tf.int32)
                ids = tf.pad(ids, [[0, 0], [0, tf.maximum(0, 1 - tf.shape(ids)[1])]])
                probabilities = tf.nn.softmax(self.model(ids, training=False), axis=-1)
                return {"label": tf.gather(self.labels, tf.argmax(probabilities, axis=-1)),
                        "probabilities": probabilities}
        ''',
    "seqzoo_toy_plugin/jobs.py": '''\
        import numpy as np

        from seqzoo.data.readers import read_labelled_texts
        from seqzoo.data.splits import split_labelled
        from seqzoo.tasks.common.jobs import Splits, TaskJobs
        from seqzoo_toy_plugin import SPEC
        from seqzoo_toy_plugin.data import LABELS, VOCABULARY, generate
        from seqzoo_toy_plugin.task import MajorityTask


        class MajorityJobs(TaskJobs):
            task_class = MajorityTask
            evaluate_overrides = ("text_column", "label_column", "encoding")

            def read_data(self, path, config, args=None):
                return read_labelled_texts(path, text_column=config.text_column, label_column=config.label_column,
                                           encoding=config.encoding)

            def load_splits(self, config):
                data = self.read_data(config.data, config) if config.data else \\
                    generate(config.examples, config.seed, config.max_tokens)
                splits = split_labelled(data, config.valid_fraction, config.test_fraction, seed=config.seed)
                return Splits(splits, source=data.source)

            def describe(self, task, splits, run_dir):
                return (f"toy-majority/{task.config.arch}: {len(splits['train'])} training, {len(splits['valid'])} "
                        f"validation, {len(splits['test'])} test examples; {task.model.count_params():,} parameters; "
                        f"run directory {run_dir}")

            def print_metrics(self, metrics):
                print(f"{metrics.get('split', 'evaluation')}: accuracy {metrics['accuracy']:.4f} "
                      f"on {metrics['examples']} examples")

            def example_model(self, config, architecture):
                from seqzoo.zoo import SequenceClassifier

                model = SequenceClassifier(architecture.build(config, len(VOCABULARY)), num_classes=len(LABELS),
                                           pooling=config.pooling)
                model(np.ones((1, 4), np.int32))
                return model

            def measure(self, task, config, splits):
                return len(splits["train"]), "examples", {name: len(split) for name, split in splits.items()}, {}


        JOBS = MajorityJobs(SPEC)
        ''',
    "seqzoo_toy_plugin/cli.py": '''\
        """The toy's own command, `seqzoo predict-majority RUN TEXT...`. No TensorFlow at import."""

        import json


        def add_evaluate_flags(parser):
            pass  # `seqzoo evaluate` needs no toy-specific flags


        def add_commands(commands):
            predict = commands.add_parser("predict-majority", help="predict the majority token with a toy-majority run")
            predict.add_argument("run_dir")
            predict.add_argument("texts", nargs="+")
            predict.set_defaults(handler=command_predict)


        def command_predict(args):
            from seqzoo_toy_plugin.task import MajorityTask

            for prediction in MajorityTask.load(args.run_dir).predict(args.texts):
                print(json.dumps(prediction))
            return 0
        ''',
}


def write_plugin(root: Path, files: dict[str, str] = PLUGIN_FILES) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def plugin_env(*folders: Path) -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = os.pathsep.join([str(folder) for folder in folders] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    return write_plugin(tmp_path_factory.mktemp("plugin"))


def seqzoo(plugin: Path, *args, cwd: Path, timeout: int = 300, ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "seqzoo.tasks.cli", *map(str, args)], cwd=cwd,
                            env=plugin_env(plugin), capture_output=True, text=True, timeout=timeout)
    if ok:
        assert result.returncode == 0, f"seqzoo {' '.join(map(str, args))}:\n{result.stdout}\n{result.stderr}"
    return result


# ----------------------------------------------------------------------------- fast tests
def test_entry_points_are_found_without_importing_tensorflow(plugin, tmp_path):
    """The registry finds the plug-in's task and architecture through importlib.metadata, and
    listing them (and building the whole command line) imports no TensorFlow."""
    script = textwrap.dedent(f"""
        import sys
        from seqzoo.tasks import registry
        from seqzoo.tasks.cli import build_parser
        assert {TASK!r} in registry.task_names(), registry.task_names()
        assert registry.get_task({TASK!r}).architecture("gru").description == "GRU from seqzoo.zoo"
        assert {SENTIMENT_ARCH!r} in registry.get_task("sentiment").architectures
        args = build_parser().parse_args(["train", {TASK!r}, "--arch", "gru", "--examples", "10"])
        assert (args.task, args.arch, args.examples) == ({TASK!r}, "gru", 10)
        heavy = [m for m in ("tensorflow", "keras") if m in sys.modules]
        assert not heavy, heavy
        print("ok")
        """)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=plugin_env(plugin),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert result.stderr.strip() == ""


def test_a_broken_plugin_is_reported_and_skipped(plugin, tmp_path):
    """Entry points that cannot be imported, name no TASK.NAME, name an unknown task or
    hold the wrong type are each one line on stderr; the good plug-in still loads."""
    broken = write_plugin(tmp_path / "broken", {
        "broken_plugin-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n",
        "broken_plugin-0.1.dist-info/entry_points.txt": textwrap.dedent("""\
            [seqzoo.tasks]
            missing = broken_plugin.nowhere:SPEC
            not-a-spec = broken_plugin:NOT_A_SPEC

            [seqzoo.architectures]
            nodot = broken_plugin:ARCH
            tagging.cnn = broken_plugin:ARCH
            sentiment.not-an-arch = broken_plugin:NOT_A_SPEC
            """),
        "broken_plugin/__init__.py": textwrap.dedent("""\
            from seqzoo.tasks.common.contract import Architecture
            NOT_A_SPEC = {"name": "oops"}
            ARCH = Architecture("an architecture", build=lambda config, size: None)
            """),
    })
    script = "from seqzoo.tasks import registry; print(' '.join(registry.task_names()))"
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=plugin_env(plugin, broken),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sentiment", "language-model", "translation", "captioning", TASK]
    errors = result.stderr
    assert "could not load entry point missing = broken_plugin.nowhere:SPEC" in errors, errors
    assert "not-a-spec" in errors and "register_task takes a seqzoo.tasks.common.contract.TaskSpec, got dict" in errors
    assert "'nodot'" in errors and "TASK.NAME" in errors
    assert "tagging.cnn" in errors and "unknown task 'tagging'" in errors
    assert "sentiment.not-an-arch" in errors and "got dict" in errors
    assert len(errors.strip().splitlines()) == 5, errors


def test_a_plugin_whose_commands_clash_is_skipped_with_one_line(plugin, tmp_path):
    """A plug-in task whose `add_commands` fails (here: a `predict` command, which is
    sentiment's) loses its commands, with one line on stderr; every other command stays."""
    clash = write_plugin(tmp_path / "clash", {
        "clash_plugin-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: clash-plugin\nVersion: 0.1\n",
        "clash_plugin-0.1.dist-info/entry_points.txt": "[seqzoo.tasks]\ntoy-clash = clash_plugin:SPEC\n",
        "clash_plugin/__init__.py": textwrap.dedent("""\
            from __future__ import annotations

            from dataclasses import dataclass

            from seqzoo.tasks.common.config import DataConfig, JSONConfig, ModelConfig, TrainConfig
            from seqzoo.tasks.common.contract import Architecture, TaskSpec
            from clash_plugin import cli


            @dataclass
            class ClashConfig(JSONConfig, TrainConfig, ModelConfig, DataConfig):
                \"\"\"A task whose command clashes with sentiment's.\"\"\"

                arch: str = "gru"
                task: str = "toy-clash"


            SPEC = TaskSpec(name="toy-clash", config_class=ClashConfig,
                            architectures={"gru": Architecture("a GRU", build=print)}, jobs=lambda: None, cli=cli)
            """),
        "clash_plugin/cli.py": textwrap.dedent("""\
            def add_evaluate_flags(parser):
                pass


            def add_commands(commands):
                commands.add_parser("predict", help="clashes with sentiment's predict")
            """),
    })
    result = subprocess.run([sys.executable, "-m", "seqzoo.tasks.cli", "--help"], cwd=tmp_path,
                            env=plugin_env(plugin, clash), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ("seqzoo: skipped the commands of task 'toy-clash' (a plug-in): "
                                     "argument COMMAND: conflicting subparser: predict"), result.stderr
    commands = result.stdout
    assert "classify texts with a sentiment run directory" in commands  # sentiment's predict, untouched
    assert "clashes with sentiment's predict" not in commands
    assert "predict-majority" in commands and "export" in commands  # the other plug-in's and seqzoo's own


@dataclass
class _FastConfig(JSONConfig, TrainConfig, ModelConfig, DataConfig):
    """A task registered from Python."""

    task: str = "toy-python"


def test_register_task_and_architecture_from_python(request):
    """`register_task` and `register_architecture` (the alternative to entry points), and
    their errors for duplicates and wrong types."""
    spec = TaskSpec(name="toy-python", title="toy", config_class=_FastConfig,
                    architectures={"gru": Architecture("a GRU", build=lambda config, size: None)}, jobs=lambda: None)
    assert registry.register_task(spec) is spec
    request.addfinalizer(lambda: registry.unregister_task("toy-python"))
    assert registry.get_task("toy-python") is spec and registry.task_names()[-1] == "toy-python"
    registry.register_task(spec)  # the same spec again is no error
    twin = TaskSpec(name="toy-python", title="twin", config_class=_FastConfig, architectures={}, jobs=lambda: None)
    with pytest.raises(ValueError, match="a task named 'toy-python' is already registered"):
        registry.register_task(twin)
    assert registry.register_task(twin, replace=True) is twin and registry.get_task("toy-python") is twin
    with pytest.raises(TypeError, match="register_task takes a seqzoo.tasks.common.contract.TaskSpec, got dict"):
        registry.register_task({"name": "toy"})

    cnn = Architecture("a CNN", build=lambda config, size: None, recurrent=False)
    registry.register_architecture("toy-python", "cnn", cnn)
    assert list(registry.get_task("toy-python").architectures) == ["cnn"]
    with pytest.raises(ValueError, match="toy-python already has an architecture named 'cnn'"):
        registry.register_architecture("toy-python", "cnn", Architecture("another", build=print))
    with pytest.raises(TypeError, match="register_architecture takes a seqzoo.tasks.common.contract.Architecture, "
                                        "got function"):
        registry.register_architecture("toy-python", "rnn", lambda config, size: None)
    with pytest.raises(UsageError, match="unknown task 'tagging'"):
        registry.register_architecture("tagging", "cnn", cnn)
    with pytest.raises(ValueError, match="sentiment already has an architecture named 'gru'"):
        registry.register_architecture("sentiment", "gru", cnn)

    table = registry.get_task("sentiment").architectures
    try:
        registry.register_architecture("sentiment", "toy-cnn", cnn)
        assert table["toy-cnn"] is cnn and list(table)[-1] == "toy-cnn"
        assert registry.get_task("sentiment").architecture("toy-cnn") is cnn
        from seqzoo.tasks.cli import build_parser

        args = build_parser().parse_args(["train", "sentiment", "--arch", "toy-cnn"])
        assert args.arch == "toy-cnn"
        assert build_parser().parse_args(["archs", "toy-python"]).task == "toy-python"
    finally:
        registry.unregister_architecture("sentiment", "toy-cnn")
    assert "toy-cnn" not in table
    with pytest.raises(TypeError, match="language-model architectures are .*LanguageModelArchitecture objects"):
        registry.register_architecture("language-model", "cnn", cnn)


# ----------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_plugin_task_trains_evaluates_predicts_exports_and_compares(plugin, tmp_path):
    archs = seqzoo(plugin, "archs", TASK, cwd=tmp_path).stdout
    assert "conv" in archs and "the plug-in's ConvEncoder" in archs and "GRU from seqzoo.zoo" in archs

    run = tmp_path / "run"
    train = seqzoo(plugin, "train", TASK, "--epochs", 5, "--quiet", "--out", run, cwd=tmp_path).stdout
    assert f"{TASK}/conv: 640 training, 80 validation, 80 test examples" in train
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.85, metrics  # chance is 0.5
    assert (run / "learning_curves.png").is_file() and (run / "history.csv").is_file()

    evaluated = json.loads(seqzoo(plugin, "evaluate", run, "--json", cwd=tmp_path).stdout)
    assert evaluated["accuracy"] == metrics["accuracy"] and evaluated["examples"] == 80

    lines = seqzoo(plugin, "predict-majority", run, "a a b a a", "b b a b b b a", cwd=tmp_path).stdout.splitlines()
    assert [json.loads(line)["label"] for line in lines] == ["a", "b"]

    base = tmp_path / "export"
    export = base / "1"  # TF Serving's version folder
    seqzoo(plugin, "export", run, "--out", base, cwd=tmp_path)
    # `Task.export` saved it through save_servable: marked as seqzoo's, with a model card.
    assert (run / MARKER).is_file() and output_kind(run) == "run"
    assert (export / MARKER).is_file() and output_kind(export) == "export"
    card = read_model_card(export)
    assert (card["task"], card["architecture"]["name"], card["labels"]) == (TASK, "conv", ["a", "b"]), card
    assert card["vocabulary_sizes"] == {"vocabulary": 4} and card["metrics"]["accuracy"] == metrics["accuracy"]
    assert (export / "MODEL_CARD.md").is_file()
    refused = seqzoo(plugin, "export", run, "--out", base, "--version", "1", cwd=tmp_path, ok=False)
    assert refused.returncode == 2 and "already exists; pass --overwrite to replace it" in refused.stderr
    before = export.stat().st_ino
    seqzoo(plugin, "export", run, "--out", base, "--version", "1", "--overwrite", cwd=tmp_path)
    assert export.stat().st_ino != before and output_kind(export) == "export"  # a new folder swapped in
    assert sorted(p.name for p in base.iterdir()) == ["1"]  # no staging left
    serve = textwrap.dedent(f"""
        import json, sys
        import tensorflow as tf
        serve = tf.saved_model.load({str(export)!r}).signatures["serving_default"]
        out = serve(text=tf.constant(["a a a b", "b a b b b", "b"]))
        assert not [m for m in sys.modules if m.startswith("seqzoo")]
        print(json.dumps({{"labels": [l.decode() for l in out["label"].numpy()],
                          "shape": list(out["probabilities"].shape)}}))
        """)
    served = subprocess.run([sys.executable, "-c", serve], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout.strip().splitlines()[-1]) == {"labels": ["a", "b", "b"], "shape": [3, 2]}

    report = tmp_path / "report"
    seqzoo(plugin, "compare", TASK, "--archs", "gru,conv", "--epochs", 1, "--quiet", "--out", report, cwd=tmp_path)
    results = json.loads((report / "results.json").read_text())
    assert results["task"] == TASK
    assert [(r["name"], r["status"]) for r in results["runs"]] == [("gru", "ok"), ("conv", "ok")], results["runs"]
    assert all(0.0 <= r["metrics"]["accuracy"] <= 1.0 for r in results["runs"])
    assert (report / "report.md").is_file()


@pytest.fixture(scope="module")
def sentiment_run(plugin, tmp_path_factory) -> tuple[Path, str]:
    """A sentiment run of the plug-in's architecture, and what `seqzoo archs sentiment` printed."""
    folder = tmp_path_factory.mktemp("sentiment")
    archs = seqzoo(plugin, "archs", "sentiment", cwd=folder).stdout
    run = folder / "run"
    seqzoo(plugin, "train", "sentiment", "--arch", SENTIMENT_ARCH, "--epochs", 1, "--units", 4, "--embedding-dim", 4,
           "--quiet", "--out", run, cwd=folder)
    return run, archs


@pytest.mark.slow
def test_plugin_architecture_trains_for_the_sentiment_task(sentiment_run):
    run, archs = sentiment_run
    assert SENTIMENT_ARCH in archs and "Conv1D encoder from seqzoo_toy_plugin" in archs
    assert "bilstm" in archs  # the built-in lines are still there
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["epochs"] == 1
    assert json.loads((run / "config.json").read_text())["arch"] == SENTIMENT_ARCH


@pytest.mark.slow
def test_plugin_architecture_run_of_sentiment_loads_back(plugin, sentiment_run):
    """The architecture's `modules` (the plug-in's layers) are imported before a built-in
    task loads its run, so the plug-in's `ConvEncoder` is known when `model.keras` loads."""
    run, _ = sentiment_run
    result = seqzoo(plugin, "evaluate", run, "--json", cwd=run.parent)
    assert 0.0 <= json.loads(result.stdout)["accuracy"] <= 1.0
