"""`SentimentClassifier`: the sentiment template under scikit-learn's estimator contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score

from seqzoo.tasks.sentiment.config import SentimentConfig
from seqzoo.tasks.sentiment.estimator import CONFIG_PARAMETERS, SentimentClassifier

from tests.tasks.helpers import toy_reviews

ROWS = toy_reviews(64)
TEXTS = [text for text, _ in ROWS]
LABELS = np.array([1 if label == "pos" else 0 for _, label in ROWS])  # integer labels this time

# Tiny and fast: mean pooling finds the keyword ("great" / "awful") in a few epochs.
TINY = dict(arch="gru", units=8, embedding_dim=8, pooling="mean", epochs=10, learning_rate=0.05,
            batch_size=16, dropout=0.0, bucketing=False)


def test_parameters_follow_the_sklearn_contract():
    model = SentimentClassifier(**TINY)
    params = model.get_params()
    assert set(CONFIG_PARAMETERS) | {"validation_fraction", "verbose"} == set(params)
    defaults = SentimentClassifier().get_params()
    assert all(defaults[name] == getattr(SentimentConfig(), name) for name in CONFIG_PARAMETERS)
    twin = clone(model)  # clone checks that __init__ stores every argument unchanged
    assert twin is not model and twin.get_params() == params
    assert model.set_params(units=4) is model and model.units == 4 and model.config().units == 4
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(unit=4)


@pytest.mark.parametrize("check", ["check_no_attributes_set_in_init", "check_parameters_default_constructible",
                                   "check_get_params_invariance", "check_set_params"])
def test_sklearns_own_parameter_checks(check):
    from sklearn.utils import estimator_checks

    getattr(estimator_checks, check)("SentimentClassifier", SentimentClassifier(**TINY))


def test_fit_predict_proba_and_score_keep_the_label_values():
    labels = np.where(LABELS == 1, "positive", "negative")
    model = SentimentClassifier(**TINY).fit(TEXTS, labels)
    assert model.classes_.tolist() == ["negative", "positive"]
    probabilities = model.predict_proba(["the film was great", "an awful plot", "a film"])
    assert probabilities.shape == (3, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert model.predict(np.array(["great film", "awful film"])).tolist() == ["positive", "negative"]
    assert model.score(TEXTS, labels) >= 0.9  # ClassifierMixin: accuracy (measured 1.0)
    with pytest.raises(ValueError, match="one class"):
        SentimentClassifier(**TINY).fit(TEXTS[:4], ["a"] * 4)


def test_a_fitted_estimator_pickles_and_predicts_the_same_in_a_fresh_process(tmp_path):
    import json
    import pickle
    import subprocess
    import sys

    model = SentimentClassifier(**TINY).fit(TEXTS, np.where(LABELS == 1, "pos", "neg"))
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    assert "_task_files" not in SentimentClassifier(**TINY).__getstate__()  # unfitted: parameters only
    probe = ["the film was great", "an awful plot"]
    script = ("import json, pickle, sys; model = pickle.loads(open(sys.argv[1], 'rb').read()); "
              "print(json.dumps([model.classes_.tolist(), model.predict_proba(json.loads(sys.argv[2])).tolist()]))")
    done = subprocess.run([sys.executable, "-c", script, str(path), json.dumps(probe)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    classes, probabilities = json.loads(done.stdout.strip().splitlines()[-1])
    assert classes == ["neg", "pos"]
    np.testing.assert_allclose(probabilities, model.predict_proba(probe), rtol=1e-5, atol=1e-6)


def test_grid_search_picks_the_learning_rate_that_learns():
    """2 learning rates x 2 folds (32 texts each): 0.05 learns the keyword task, 1e-5 cannot."""
    search = GridSearchCV(SentimentClassifier(**TINY), {"learning_rate": [1e-5, 0.05]}, cv=2, n_jobs=1,
                          refit=False)
    search.fit(TEXTS, LABELS)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {"learning_rate": 0.05}
    assert scores[1] > scores[0] + 0.2


@pytest.mark.slow
def test_cross_val_score_runs_on_it():
    folds = cross_val_score(SentimentClassifier(**TINY), TEXTS, LABELS, cv=2)
    assert folds.shape == (2,) and folds.min() >= 0.75  # measured about 0.9


@pytest.mark.slow
def test_docstring_examples_run():
    import doctest

    from seqzoo.tasks.sentiment import estimator as sentiment_estimator
    assert doctest.testmod(sentiment_estimator).failed == 0


def test_a_class_too_rare_to_stratify_is_kept_for_training():
    """One example of a class: the random split (stratifying is impossible) may put it in
    the validation part; seed 1 did, and fit failed with "labels '0' were not in the
    training data", a class name the caller never gave."""
    texts = [f"good film {i}" for i in range(9)] + ["bad film"]
    model = SentimentClassifier(arch="gru", units=4, embedding_dim=4, epochs=1, seed=1, validation_fraction=0.3)
    with pytest.warns(UserWarning, match="cannot stratify"):
        model.fit(texts, ["pos"] * 9 + ["neg"])
    assert model.classes_.tolist() == ["neg", "pos"] and model.predict_proba(["bad film"]).shape == (1, 2)


def test_every_class_in_train_moves_back_only_the_missing_classes():
    from seqzoo.data.readers import LabelledTexts
    from seqzoo.tasks.sentiment.estimator import _every_class_in_train

    train = LabelledTexts(["a", "b"], ["0", "0"], "train")
    train_after, valid_after = _every_class_in_train(train, LabelledTexts(["c", "d"], ["1", "0"], "valid"))
    assert train_after.texts == ["a", "b", "c"] and valid_after.texts == ["d"]
    train_after, valid_after = _every_class_in_train(train, LabelledTexts(["c"], ["1"], "valid"))
    assert train_after.labels == ["0", "0", "1"] and valid_after is train_after
