"""Train / validation / test splits of labelled texts, stratified and seeded.

scikit-learn is imported inside the function, so the command line can import
this module (to check a user's labels) without paying for it.
"""

import os
import warnings
from collections import Counter

from seqzoo.data.errors import DataError
from seqzoo.data.readers import LabelledTexts


class SplitWarning(UserWarning):
    """A split could not be stratified and fell back to a plain random split.

    Args:
        message: what happened, naming the data's source.

    Examples:

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn(SplitWarning("r.csv: class 'b' has 1 example"))
    >>> caught[0].category.__name__
    'SplitWarning'
    """


def check_labels(data: LabelledTexts, label_column: str = "label") -> None:
    """Raises a `DataError` unless the data has examples of two classes at least.

    Args:
        data: the labelled texts.
        label_column: the column the labels came from, named in the message.

    Raises:
        DataError: no examples, or one class only.

    Examples:

    >>> check_labels(LabelledTexts(["a", "b"], ["pos", "pos"], "r.csv"))
    Traceback (most recent call last):
    ...
    seqzoo.data.errors.DataError: r.csv: the label column 'label' has one class only ('pos'); a classifier needs at least two
    """
    if len(data) == 0:
        raise DataError(f"{data.source}: there are no examples")
    classes = sorted(set(data.labels))
    if len(classes) == 1:
        if os.path.isdir(data.source):
            raise DataError(
                f"{data.source}: found one class folder only ('{classes[0]}'); a classifier "
                "needs at least two"
            )
        raise DataError(
            f"{data.source}: the label column '{label_column}' has one class only "
            f"('{classes[0]}'); a classifier needs at least two"
        )


def split_labelled(
    data: LabelledTexts,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    label_column: str = "label",
) -> dict[str, LabelledTexts]:
    """Splits labelled texts into train, valid and test sets, class by class.

    Each class keeps its share in every split (stratified, with
    `sklearn.model_selection.train_test_split`), for any number of classes.
    When a class is too small for that (fewer members than splits), the
    split falls back to a plain random one and says so with a
    `SplitWarning`. Split sizes are `round(fraction * len(data))` (at
    least one example for a fraction above zero). Within each split the
    examples keep their order in the file.

    Args:
        data: the labelled texts.
        valid_fraction: share of the examples for validation, 0 for none.
        test_fraction: share of the examples for the test, 0 for none.
        seed: the same seed gives the same split.
        label_column: named in the message when there is one class only.

    Returns:
        `{"train": ..., "valid": ..., "test": ...}`, each a `LabelledTexts`
        with the same source (an empty one for a fraction of 0).

    Raises:
        DataError: one class only, or too few examples to split.
        ValueError: fractions outside [0, 1) or adding up to 1 or more.

    Examples:

    >>> data = LabelledTexts([f"text {i}" for i in range(10)], ["a", "b"] * 5, "r.csv")
    >>> splits = split_labelled(data, valid_fraction=0.2, test_fraction=0.2)
    >>> [len(splits[name]) for name in ("train", "valid", "test")]
    [6, 2, 2]
    >>> sorted(splits["test"].labels)
    ['a', 'b']
    """
    if not (0 <= valid_fraction < 1 and 0 <= test_fraction < 1):
        raise ValueError(
            f"valid_fraction={valid_fraction} and test_fraction={test_fraction} must be in [0, 1)"
        )
    if valid_fraction + test_fraction >= 1:
        raise ValueError(
            f"valid_fraction + test_fraction = {valid_fraction + test_fraction} leaves no "
            "training examples"
        )
    check_labels(data, label_column)
    n = len(data)
    n_test = _size(test_fraction, n)
    n_valid = _size(valid_fraction, n)
    if n - n_test - n_valid < 1:
        raise DataError(
            f"{data.source}: {n} examples are too few to split into train, valid and test sets"
        )
    problems = []
    rest, test = _split(list(range(n)), data.labels, n_test, seed, problems)
    train, valid = _split(rest, data.labels, n_valid, seed, problems)
    if problems:
        warnings.warn(SplitWarning(f"{data.source}: {problems[0]}"), stacklevel=2)

    def subset(indices):
        indices = sorted(indices)
        return LabelledTexts(
            [data.texts[i] for i in indices], [data.labels[i] for i in indices], data.source
        )

    return {"train": subset(train), "valid": subset(valid), "test": subset(test)}


def _size(fraction: float, n: int) -> int:
    if fraction == 0:
        return 0
    return max(1, round(fraction * n))


def _split(indices, labels, n_out, seed, problems):
    """Splits `indices` into (kept, n_out taken out), stratified when it can."""
    if n_out == 0:
        return list(indices), []
    from sklearn.model_selection import train_test_split

    strata = [labels[i] for i in indices]
    try:
        kept, out = train_test_split(indices, test_size=n_out, random_state=seed, stratify=strata)
    except ValueError:
        # Some class, or some split, is too small for each split to get its share.
        counts = Counter(strata)
        smallest = min(counts, key=lambda label: (counts[label], label))
        if counts[smallest] < 2:
            reason = f"class '{smallest}' has {counts[smallest]} example only"
        else:
            size = min(n_out, len(indices) - n_out)
            reason = f"a split of {size} examples cannot hold all {len(counts)} classes"
        problems.append(f"cannot stratify the split ({reason}); splitting at random instead")
        kept, out = train_test_split(indices, test_size=n_out, random_state=seed)
    return list(kept), list(out)
