"""The example scripts (one per task) compile, and each says how to run it.

Running them trains models for about a minute each, too long for the suite; their
run times are measured by hand (see the README's Examples section).
"""

from __future__ import annotations

import ast
import py_compile
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TASK_SCRIPTS = ["sentiment.py", "language_model.py", "translation.py", "captioning.py"]


@pytest.mark.parametrize("name", TASK_SCRIPTS + ["_common.py"])
def test_example_compiles(name, tmp_path):
    py_compile.compile(str(EXAMPLES / name), cfile=str(tmp_path / "compiled.pyc"), doraise=True)


@pytest.mark.parametrize("name", TASK_SCRIPTS)
def test_example_docstring_says_how_to_run_it_and_it_exports_and_serves(name):
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring and f"python examples/{name}" in docstring, name
    for step in (".fit(", ".evaluate(", ".export(", "load_servable("):
        assert step in source, (name, step)


def test_readme_lists_every_example():
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    for name in TASK_SCRIPTS:
        assert f"examples/{name}" in readme, name
