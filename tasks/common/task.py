"""The base of every task template: save and load a run directory, compile and fit, and
export with a model card, written once.

A task class (`SentimentTask`, `LanguageModelTask`, ...) subclasses `Task`, sets `spec`
(its `TaskSpec`) and `preprocessor_folders`, and fills in what differs: its data
(`dataset`, `training_datasets`), its loss (`compile_options`), how it is assembled from
a run's files (`from_files`), and what it serves (`servable`).

Examples:

>>> from seqzoo.data.readers import LabelledTexts
>>> from seqzoo.tasks.sentiment.config import SentimentConfig
>>> from seqzoo.tasks.sentiment.task import SentimentTask
>>> import tempfile
>>> data = LabelledTexts(["good film", "bad film"] * 4, ["pos", "neg"] * 4, source="toy")
>>> task = SentimentTask.build(SentimentConfig(arch="gru", units=4, embedding_dim=4), data)
>>> isinstance(task, Task), task.spec.name
(True, 'sentiment')
>>> run_dir = tempfile.mkdtemp()
>>> task.save(run_dir)
>>> SentimentTask.load(run_dir, require_finished=False).label_names
['neg', 'pos']
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from seqzoo.tasks.common import recipe
from seqzoo.tasks.common.atomic_files import atomic_path
from seqzoo.tasks.common.contract import TaskSpec, TokenSide
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.export_formats import DEFAULT_LICENSE
from seqzoo.tasks.common.model_files import load_keras_model
from seqzoo.tasks.common.run_directory import (
    atomic_write_text,
    check_model_inputs,
    read_config,
    read_run_info,
    record_model_inputs,
    write_run_info,
)

XLA_LENGTH_MULTIPLE = 16  # id lengths of batches under XLA are rounded up to this


class Task:
    """A task template's model with everything around it: config, preprocessors, the
    zoo model, and fit / evaluate / save / load / export.

    Subclasses set:
        spec: the task's `TaskSpec`.
        preprocessor_folders: where each preprocessor is saved in a run directory, by
            attribute name (`{"preprocessor": ""}` saves it in the run directory itself).

    and implement `build`, `dataset`, `compile_options`, `evaluate` and `servable`.

    Args:
        config: the run's config dataclass.
        model: the Keras model from the zoo.
        **preprocessors: the task's preprocessors by attribute name (as
            `preprocessor_folders` names them).
    """

    spec: TaskSpec
    preprocessor_folders: dict[str, str] = {"preprocessor": ""}

    def __init__(self, config, model, **preprocessors):
        self.config = config
        self.model = model
        for name, preprocessor in preprocessors.items():
            setattr(self, name, preprocessor)
        self.word_vector_coverage = None  # set by `build` when word vectors are given
        self.run_dir = None  # the run directory it was loaded from (the model card reads its metrics)

    # ------------------------------------------------------------------ what differs
    @classmethod
    def build(cls, config, train) -> "Task":
        """Learn the vocabulary from `train` and build the model."""
        raise NotImplementedError

    def dataset(self, data, shuffle: bool = False):
        """Batches of (inputs, targets) for Keras."""
        raise NotImplementedError

    def compile_options(self) -> dict[str, Any]:
        """`model.compile` arguments besides the optimizer (loss, metrics, ...)."""
        raise NotImplementedError

    def servable(self):
        """`(tf.Module, {signature name: concrete function})` that `export` saves."""
        raise NotImplementedError

    def epoch_data(self, data):
        """`data`'s examples and their batching as a `seqzoo.data.epoch_data.EpochData`,
        so that each epoch can be rebuilt on its own (a resumed run sees the batches an
        uninterrupted one would). None: `fit` trains on `dataset(data, shuffle=True)`,
        whose epochs are its passes (a resumed run then sees other orders)."""
        return None

    def training_datasets(self, train, valid):
        """The training data (an `EpochData` or a dataset) and validation batches `fit` uses."""
        epochs = self.epoch_data(train)
        return (epochs if epochs is not None else self.dataset(train, shuffle=True)), self.dataset(valid)

    def after_fit(self) -> None:
        """Forget what the new weights make stale (compiled decoders)."""

    def extra_files(self) -> dict[str, str]:
        """Files besides config, vocabularies and model that `save` writes (name -> text)."""
        return {}

    @classmethod
    def from_files(cls, config, run_dir: Path, model, preprocessors: dict) -> "Task":
        """The task object from a run's config, model and preprocessors (and any other
        file of `run_dir`)."""
        return cls(config, model, **preprocessors)

    @classmethod
    def load_preprocessors(cls, run_dir: Path, config) -> dict:
        from seqzoo.data.text_preprocessor import TextPreprocessor

        return {name: TextPreprocessor.load(run_dir / folder if folder else run_dir)
                for name, folder in cls.preprocessor_folders.items()}

    def vocabulary_sizes(self) -> dict[str, int]:
        """For the model card: each vocabulary's size by name."""
        return {folder or "vocabulary": getattr(self, name).vocabulary_size
                for name, folder in self.preprocessor_folders.items()}

    def architecture_description(self) -> str:
        return self.spec.architecture(self.config.arch).description

    def card_labels(self) -> list[str] | None:
        return None

    def optimizer_learning_rate(self) -> float:
        return self.config.learning_rate

    def clipnorm(self) -> float | None:
        """`--clipnorm`; by default 1.0 for recurrent models and off for the others."""
        if self.config.clipnorm is not None:
            return self.config.clipnorm or None
        return 1.0 if self.spec.architecture(self.config.arch).recurrent else None

    # ------------------------------------------------------------------ written once
    def compile(self) -> None:
        """Compile with Adam (`recipe.make_optimizer`), the task's loss and metrics, and
        `--jit-compile` resolved for this architecture (`runtime.jit_compile_for`);
        under float16 Keras wraps the optimizer in a `LossScaleOptimizer`."""
        from seqzoo.tasks.common.runtime import jit_compile_for

        options = dict(self.compile_options())
        if "jit_compile" not in options:
            recurrent = self.spec.architecture(self.config.arch).recurrent \
                if self.config.arch in self.spec.architectures else True
            options["jit_compile"] = jit_compile_for(self.config, recurrent=recurrent)
        self.model.compile(
            optimizer=recipe.make_optimizer(self.optimizer_learning_rate(), self.clipnorm()), **options,
        )

    def fit(self, train, valid, run_dir: str | Path | None = None, epochs: int | None = None,
            verbose: int | str = "auto", resume: bool = False) -> dict[str, list[float]]:
        """Train with early stopping on the validation loss; returns the history (every
        epoch's, those before a resume included).

        With a `run_dir`, checkpoints (the best weights and the training state),
        `history.csv` and TensorBoard logs go there; `resume` continues from the training
        state saved there (`seqzoo.tasks.common.training_loop`).
        """
        from seqzoo.tasks.common.runtime import build_for_distributed_fit

        self.compile()
        train_batches, valid_batches = self.training_datasets(train, valid)
        if self.model.jit_compile:
            train_batches, valid_batches = self._repeating_shapes(train_batches, valid, valid_batches)
        build_for_distributed_fit(self.model, train_batches)
        history = recipe.fit_datasets(
            self.model, train_batches, valid_batches, run_dir, self.config.patience,
            epochs or self.config.epochs, verbose, self.config.time_budget,
            checkpoint_every=getattr(self.config, "checkpoint_every", None), resume=resume,
        )
        self.after_fit()
        return history

    def _repeating_shapes(self, train_batches, valid, valid_batches):
        """Under XLA, batches whose id lengths are rounded up to a multiple of 16, so a
        bucketed epoch repeats a few shapes and the step compiles once per shape."""
        from seqzoo.data.epoch_data import EpochData

        if isinstance(train_batches, EpochData):
            train_batches = train_batches.with_lengths_rounded(XLA_LENGTH_MULTIPLE)
        valid_epochs = self.epoch_data(valid) if type(self).training_datasets is Task.training_datasets else None
        if isinstance(valid_epochs, EpochData):
            valid_batches = valid_epochs.with_lengths_rounded(XLA_LENGTH_MULTIPLE).batches()
        return train_batches, valid_batches

    def save(self, run_dir: str | Path, include_model: bool = True) -> None:
        """Write `run.json`, `config.json`, the vocabularies, the task's own files and the
        `.keras` model (unless `include_model` is False) into `run_dir`, each atomically."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_run_info(run_dir, self.spec.name)
        atomic_write_text(run_dir / "config.json", self.config.to_json() + "\n")
        for name, folder in self.preprocessor_folders.items():
            getattr(self, name).save(run_dir / folder if folder else run_dir)
        for file_name, text in self.extra_files().items():
            atomic_write_text(run_dir / file_name, text)
        record_model_inputs(run_dir, self.model_input_files())
        if include_model:
            with atomic_path(run_dir / "model.keras", suffix=".tmp.keras") as temporary:
                self.model.save(temporary)

    @classmethod
    def load(cls, run_dir: str | Path, require_finished: bool = True) -> "Task":
        """Read a run directory written by `save` (the model in Keras safe mode).

        A run whose training has not finished is refused (one sentence) unless
        `require_finished` is False.
        """
        run_dir = Path(run_dir)
        info = read_run_info(run_dir, cls.spec.name, require_finished=require_finished)
        check_model_inputs(run_dir, info)
        config = read_config(run_dir, cls.spec.config_class)
        preprocessors = cls.load_preprocessors(run_dir, config)
        if config.arch in cls.spec.architectures:  # a plug-in's layers register with Keras on import
            for module in cls.spec.architecture(config.arch).modules:
                importlib.import_module(module)
        # Not compiled: `fit` compiles after the freezing below, so the saved optimizer never
        # meets a different set of trainable weights (and predicting needs none).
        model = load_keras_model(run_dir / "model.keras", compile=False)
        # A nested layer's `trainable` is not saved in .keras files: freeze again as configured.
        if getattr(config, "freeze_embeddings", False):
            for side in cls.spec.token_sides.values():
                embedding = getattr(getattr(model, side.model_attribute, None), "embedding", None) \
                    if isinstance(side, TokenSide) else None
                if embedding is not None:
                    embedding.trainable = False
        task = cls.from_files(config, run_dir, model, preprocessors)
        task.check_vocabulary_sizes(run_dir)
        task.run_dir = run_dir
        return task

    def model_input_files(self) -> list[str]:
        """The files (relative to the run directory) the model reads its inputs through."""
        names = [f"{folder}/{name}" if folder else name for folder in self.preprocessor_folders.values()
                 for name in ("vocabulary.txt", "preprocessor.json")]
        return names + list(self.extra_files())

    def check_vocabulary_sizes(self, run_dir: Path) -> None:
        """Each token embedding is as large as the vocabulary that feeds it (a vocabulary
        file cut short, even in a run made before checksums were recorded, is refused)."""
        for side in self.spec.token_sides.values():
            if not isinstance(side, TokenSide):
                continue
            embedding = getattr(getattr(self.model, side.model_attribute, None), "embedding", None)
            preprocessor = getattr(self, side.preprocessor_attribute, None)
            expected = getattr(embedding, "vocabulary_size", None)
            if expected is not None and preprocessor is not None and preprocessor.vocabulary_size != expected:
                raise UsageError(f"{run_dir}: the vocabulary holds {preprocessor.vocabulary_size} tokens but the "
                                 f"model's {side.model_attribute} reads {expected}; the vocabulary file was "
                                 "changed after training: restore it or train again.")

    def export(self, export_dir: str | Path, overwrite: bool = False, version: int | str | None = None,
               license: str = DEFAULT_LICENSE) -> Path:
        """A SavedModel of `servable()` with its model card (its front matter names
        `license`), staged beside its folder and swapped in when complete; returns that folder.

        With `version` None the SavedModel is `export_dir` itself. With a number, or
        "next", `export_dir` is a base folder in TensorFlow Serving's layout and the
        SavedModel goes into `export_dir/N` (`seqzoo.tasks.common.serving_layout`), as
        `seqzoo export` writes it."""
        from seqzoo.tasks.common.export import save_servable
        from seqzoo.tasks.common.model_card import model_card
        from seqzoo.tasks.common.serving_layout import version_folder

        if version is not None:
            export_dir = version_folder(export_dir, None if version == "next" else int(version), overwrite=overwrite)
        module, signatures = self.servable()
        card = model_card(self.spec, self.config, self.architecture_description(), self.vocabulary_sizes(),
                          self.run_dir, labels=self.card_labels(), license=license)
        return save_servable(module, signatures, export_dir, overwrite, card=card)

    # ------------------------------------------------------------------ portable export
    def portable_graphs(self) -> list:
        """The model core on token ids as `seqzoo.tasks.common.portable_graphs.PortableGraph`s
        (the classifier, or an encoder and a one-step decoder), for `seqzoo export --format
        litert|onnx` (`seqzoo.tasks.common.portable_export`)."""
        raise UsageError(f"the {self.spec.name} task has no LiteRT or ONNX export; use --format savedmodel.")

    def portable_manifest(self) -> dict[str, Any]:
        """What a portable export's client needs besides the graphs and vocabularies, for
        `portable.json`: fixed lengths, special ids, labels, decoding settings."""
        raise UsageError(f"the {self.spec.name} task has no LiteRT or ONNX export; use --format savedmodel.")
