"""The sentiment template as a scikit-learn classifier, for grid searches and cross-validation.

`SentimentClassifier` follows scikit-learn's estimator contract: `__init__` stores its
keyword arguments unchanged (so `get_params`, `set_params` and `clone` work), and all the
work happens in `fit`, which builds and trains a `SentimentTask` in memory (no run
directory) with early stopping on a stratified validation split held out of the training
data. `GridSearchCV` and `cross_val_score` then tune and score it like any classifier.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from seqzoo.tasks.sentiment.config import SentimentConfig

# The SentimentConfig fields the estimator exposes; the data-file fields (data, valid,
# columns, encoding...) have no meaning for in-memory texts.
CONFIG_PARAMETERS = (
    "arch", "level", "lowercase", "max_vocabulary", "min_frequency", "max_length",
    "embedding", "embedding_dim", "units", "num_layers", "num_heads", "pooling", "dropout",
    "epochs", "batch_size", "learning_rate", "clipnorm", "patience", "seed", "bucketing",
)
_DEFAULTS = SentimentConfig()


class SentimentClassifier(ClassifierMixin, BaseEstimator):
    """A seqzoo sentiment model with scikit-learn's `fit` / `predict` / `predict_proba` /
    `score` (accuracy).

    `X` is a sequence of texts (strings), `y` their labels (any hashable values: strings or
    integers; `classes_` holds them sorted). Every parameter is a `SentimentConfig` field
    with the same default, plus `validation_fraction` and `verbose`.

    Args:
        arch, level, lowercase, max_vocabulary, min_frequency, max_length, embedding,
        embedding_dim, units, num_layers, num_heads, pooling, dropout, epochs, batch_size,
        learning_rate, clipnorm, patience, seed, bucketing: as in `SentimentConfig`
            (`seqzoo train sentiment --help`).
        validation_fraction: float. Share of the training texts held out (stratified, by
            `seed`) for early stopping; 0 trains on all of them and stops on the
            training loss.
        verbose: Keras' progress output during `fit` (0: silent).

    Attributes:
        classes_: the labels, sorted, in the column order of `predict_proba`.
        task_: the trained `SentimentTask` (save it with `task_.save(run_dir)`; a fitted
            estimator also pickles, carrying the files `save` writes).

    Examples:

    >>> from sklearn.model_selection import cross_val_score
    >>> texts = ["good film", "bad film", "a good one", "so bad"] * 6
    >>> labels = [1, 0, 1, 0] * 6
    >>> model = SentimentClassifier(arch="gru", units=8, embedding_dim=8, epochs=2)
    >>> model.get_params()["units"]
    8
    >>> scores = cross_val_score(model, texts, labels, cv=2)  # doctest: +SKIP
    >>> _ = model.fit(texts, labels)
    >>> model.predict(["good film"]).shape, model.predict_proba(["good film"]).shape
    ((1,), (1, 2))
    >>> import pickle
    >>> copy = pickle.loads(pickle.dumps(model))
    >>> bool((copy.predict_proba(texts) == model.predict_proba(texts)).all())
    True
    """

    def __init__(
        self,
        arch=_DEFAULTS.arch,
        level=_DEFAULTS.level,
        lowercase=_DEFAULTS.lowercase,
        max_vocabulary=_DEFAULTS.max_vocabulary,
        min_frequency=_DEFAULTS.min_frequency,
        max_length=_DEFAULTS.max_length,
        embedding=_DEFAULTS.embedding,
        embedding_dim=_DEFAULTS.embedding_dim,
        units=_DEFAULTS.units,
        num_layers=_DEFAULTS.num_layers,
        num_heads=_DEFAULTS.num_heads,
        pooling=_DEFAULTS.pooling,
        dropout=_DEFAULTS.dropout,
        epochs=_DEFAULTS.epochs,
        batch_size=_DEFAULTS.batch_size,
        learning_rate=_DEFAULTS.learning_rate,
        clipnorm=_DEFAULTS.clipnorm,
        patience=_DEFAULTS.patience,
        seed=_DEFAULTS.seed,
        bucketing=_DEFAULTS.bucketing,
        validation_fraction=0.1,
        verbose=0,
    ):
        # scikit-learn's rule: store the arguments as given, check them in `fit`.
        self.arch = arch
        self.level = level
        self.lowercase = lowercase
        self.max_vocabulary = max_vocabulary
        self.min_frequency = min_frequency
        self.max_length = max_length
        self.embedding = embedding
        self.embedding_dim = embedding_dim
        self.units = units
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.pooling = pooling
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.clipnorm = clipnorm
        self.patience = patience
        self.seed = seed
        self.bucketing = bucketing
        self.validation_fraction = validation_fraction
        self.verbose = verbose

    def config(self) -> SentimentConfig:
        """The `SentimentConfig` these parameters describe."""
        return SentimentConfig(**{name: getattr(self, name) for name in CONFIG_PARAMETERS})

    def fit(self, X, y):
        """Learn the vocabulary from `X`, build the model and train it (early stopping on
        the held-out validation split). Returns self."""
        from seqzoo.data.readers import LabelledTexts
        from seqzoo.data.splits import split_labelled
        from seqzoo.tasks.sentiment.task import SentimentTask

        texts = _texts(X)
        y = np.asarray(y)
        if len(texts) != len(y):
            raise ValueError(f"X has {len(texts)} texts but y has {len(y)} labels.")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must lie in [0, 1), got {self.validation_fraction}.")
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds one class only ({self.classes_[0]!r}); a classifier needs two or more.")
        # Class positions as label names: SentimentTask orders integer names numerically,
        # so its output columns follow classes_.
        data = LabelledTexts(texts, [str(i) for i in encoded], source="the texts given to fit")
        train = valid = data
        if self.validation_fraction > 0:
            splits = split_labelled(data, self.validation_fraction, 0.0, seed=self.seed)
            train, valid = _every_class_in_train(splits["train"], splits["valid"])
        self.task_ = SentimentTask.build(self.config(), train)
        self.task_.fit(train, valid, run_dir=None, verbose=self.verbose)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities `[n, len(classes_)]`, columns in the order of `classes_`."""
        check_is_fitted(self, "task_")
        return self.task_.predict_probabilities(_texts(X)).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        """The most probable label of each text (values from `classes_`)."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __getstate__(self) -> dict:
        # A Keras model does not pickle: a fitted estimator carries its run directory's
        # files instead (config, vocabulary, labels, model.keras), so pickle, joblib.dump
        # and parallel scikit-learn jobs work on it.
        state = dict(self.__dict__)
        task = state.pop("task_", None)
        if task is not None:
            with tempfile.TemporaryDirectory() as folder:
                task.save(folder)
                state["_task_files"] = {
                    path.name: path.read_bytes() for path in Path(folder).iterdir() if path.is_file()
                }
        return state

    def __setstate__(self, state: dict) -> None:
        files = state.pop("_task_files", None)
        self.__dict__.update(state)
        if files is not None:
            from seqzoo.tasks.sentiment.task import SentimentTask

            with tempfile.TemporaryDirectory() as folder:
                for name, content in files.items():
                    (Path(folder) / name).write_bytes(content)
                if b'"status"' not in files.get("run.json", b""):
                    from seqzoo.tasks.common.output_dirs import FINISHED, set_run_status

                    # Pickled by a seqzoo before run statuses, from a fitted estimator: complete.
                    set_run_status(folder, FINISHED)
                self.task_ = SentimentTask.load(folder)
            self.task_.run_dir = None  # the temporary folder is gone

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.non_deterministic = True  # TensorFlow's CPU kernels are not bitwise reproducible
        return tags


def _every_class_in_train(train, valid):
    """A class too rare to stratify can land wholly in the validation split, and the
    model, whose classes are those of its training data, would then lack its column:
    such examples go back to training (and validation falls back to the training data
    if nothing is left)."""
    from seqzoo.data.readers import LabelledTexts

    missing = set(valid.labels) - set(train.labels)
    if not missing:
        return train, valid
    back = [i for i, label in enumerate(valid.labels) if label in missing]
    kept = [i for i, label in enumerate(valid.labels) if label not in missing]
    train = LabelledTexts(train.texts + [valid.texts[i] for i in back],
                          train.labels + [valid.labels[i] for i in back], train.source)
    if not kept:
        return train, train
    return train, LabelledTexts([valid.texts[i] for i in kept], [valid.labels[i] for i in kept], valid.source)


def _texts(X) -> list[str]:
    if isinstance(X, str):
        raise ValueError("X must be a sequence of texts, not one string.")
    texts = [str(text) for text in (X.tolist() if hasattr(X, "tolist") else X)]
    return texts
