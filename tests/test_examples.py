"""The example scripts (one per task) compile, say how to run them, and run: each is
run as a user runs it, in a process of its own (half a minute to a minute each on two
CPU cores, so marked slow), and must finish, export and serve its export."""

from __future__ import annotations

import ast
import os
import py_compile
import subprocess
import sys
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


def test_docs_list_every_example():
    page = (EXAMPLES.parent / "docs" / "examples.md").read_text(encoding="utf-8")
    for name in TASK_SCRIPTS:
        assert f"examples/{name}" in page, name


@pytest.mark.slow
@pytest.mark.parametrize("name", TASK_SCRIPTS)
def test_example_runs_to_the_end_and_serves_its_export(name, tmp_path):
    task = name.removesuffix(".py").replace("_", "-")
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--root", str(tmp_path)], cwd=tmp_path,
                          env=environment, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert (tmp_path / "runs" / f"example-{task}" / "metrics.json").exists()
    assert (tmp_path / "exported" / f"example-{task}" / "saved_model.pb").exists()
    assert "## Signatures" in done.stdout  # what `seqzoo inspect` shows
