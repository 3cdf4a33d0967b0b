"""The package: light imports, every public name reachable, docstrings whose examples run."""

import doctest
import importlib
import inspect
import subprocess
import sys

import pytest

import seqzoo.data

MODULES = [
    "errors",
    "readers",
    "splits",
    "vocabulary",
    "text_preprocessor",
    "batching",
    "word_vectors",
]


def test_package_import_is_light_and_lazy_names_resolve():
    code = (
        "import sys, seqzoo.data as d; "
        "heavy = sorted(m for m in ('tensorflow', 'sklearn', 'keras', 'numpy') if m in sys.modules); "
        "from seqzoo.data import read_labelled_texts, split_labelled, Vocabulary, DataError; "
        "print(heavy, 'tensorflow' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] False"


@pytest.mark.parametrize("name", [n for n in seqzoo.data.__all__ if n in seqzoo.data._LAZY])
def test_lazy_names_come_from_their_modules(name):
    if seqzoo.data._LAZY[name].endswith("builtin"):
        pytest.importorskip("seqzoo.data.builtin")
    value = getattr(seqzoo.data, name)
    assert value is getattr(importlib.import_module(seqzoo.data._LAZY[name]), name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        seqzoo.data.Nope  # noqa: B018


@pytest.mark.parametrize("module_name", MODULES)
def test_public_classes_have_args_and_examples(module_name):
    module = importlib.import_module(f"seqzoo.data.{module_name}")
    classes = [
        value
        for name, value in vars(module).items()
        if inspect.isclass(value) and value.__module__ == module.__name__ and not name.startswith("_")
    ]
    assert classes or module_name not in ("errors", "readers", "vocabulary", "text_preprocessor")
    for cls in classes:
        assert "Args:" in cls.__doc__ and "Examples:" in cls.__doc__, cls.__name__


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(f"seqzoo.data.{module_name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
