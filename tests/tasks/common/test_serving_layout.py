"""TensorFlow Serving's layout: `seqzoo export --out BASE` writes BASE/1, BASE/2 ...; the
version rules, `--version`, `--overwrite` of one version, `seqzoo inspect` on a base or a
version folder, and the flat layout of older exports still read.

TF Serving's rule, which the checks below restate: under a model's base path, the
children whose names are whole numbers are its versions, the highest is served, and any
other name (our hidden staging folders) is ignored.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seqzoo.tasks.cli import main
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.serving_layout import export_versions, resolve_export_dir, version_folder
from seqzoo.tasks.inspection.report import inspect_path
from tests.tasks.helpers import fails, tree_hashes


def saved_model_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "saved_model.pb").write_bytes(b"")
    return path


def served_versions(base: Path) -> list[int]:
    """What TF Serving would see as versions: numeric child names (it ignores the rest)."""
    return sorted(int(child.name) for child in base.iterdir() if child.name.isdigit())


# ----------------------------------------------------------------------------- the rules, without a model
def test_versions_count_up_from_one_past_every_numbered_folder(tmp_path):
    base = tmp_path / "mine"
    assert version_folder(base) == base / "1"
    saved_model_folder(base / "1")
    assert version_folder(base) == base / "2"
    (base / "7").mkdir()  # a stray numbered folder without a SavedModel is never written into
    (base / ".7.seqzoo-staging-1-x").mkdir()  # staging folders are not versions
    assert version_folder(base) == base / "8"
    assert export_versions(base) == [1]
    assert version_folder(base, 5) == base / "5"


@pytest.mark.parametrize("setup, version, phrase", [
    ("version-1", 1, "already exists; pass --overwrite"),
    ("none", 0, "--version 0"),
    ("flat", None, "flat layout of an older seqzoo"),
    ("run", None, "is a run directory"),
])
def test_bad_bases_and_versions_are_refused_in_one_sentence(tmp_path, setup, version, phrase):
    base = tmp_path / "mine"
    if setup == "version-1":
        saved_model_folder(base / "1")
    elif setup == "flat":
        saved_model_folder(base)
    elif setup == "run":
        base.mkdir()
        (base / "run.json").write_text("{}")
    with pytest.raises(UsageError, match=phrase) as error:
        version_folder(base, version)
    assert "\n" not in str(error.value)


def test_an_existing_version_is_taken_with_overwrite(tmp_path):
    saved_model_folder(tmp_path / "mine" / "1")
    assert version_folder(tmp_path / "mine", 1, overwrite=True) == tmp_path / "mine" / "1"


def test_resolve_takes_a_version_folder_a_base_and_a_flat_export(tmp_path):
    flat = saved_model_folder(tmp_path / "flat")
    saved_model_folder(tmp_path / "base" / "1")
    saved_model_folder(tmp_path / "base" / "10")  # numbers, not strings: 10 > 9 > 1
    saved_model_folder(tmp_path / "base" / "9")
    assert resolve_export_dir(flat) == flat
    assert resolve_export_dir(tmp_path / "base") == tmp_path / "base" / "10"
    assert resolve_export_dir(tmp_path / "base" / "9") == tmp_path / "base" / "9"
    assert resolve_export_dir(tmp_path / "nothing") is None


# ----------------------------------------------------------------------------- `seqzoo export` of a run
@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from tests.tasks.helpers import tiny_untrained_tasks

    run = tmp_path_factory.mktemp("layout") / "run"
    tiny_untrained_tasks()["sentiment"].save(run)  # saved from Python: a finished run
    return run


def test_export_writes_numbered_versions_that_inspect_and_tf_serving_read(run_dir, tmp_path, capsys):
    base = tmp_path / "exported" / "mine"
    assert main(["export", str(run_dir), "--out", str(base)]) == 0
    assert "exported SavedModel to " + str(base / "1") in capsys.readouterr().out
    assert main(["export", str(run_dir), "--out", str(base)]) == 0
    assert served_versions(base) == [1, 2] and export_versions(base) == [1, 2]
    assert sorted(p.name for p in base.iterdir()) == ["1", "2"]  # nothing else beside the versions

    # --version 1 --overwrite replaces version 1 alone; version 2 stays byte for byte.
    version_2 = tree_hashes(base / "2")
    fails(capsys, ["export", str(run_dir), "--out", str(base), "--version", "1"], "already exists", "--overwrite")
    assert main(["export", str(run_dir), "--out", str(base), "--version", "1", "--overwrite"]) == 0
    assert tree_hashes(base / "2") == version_2 and served_versions(base) == [1, 2]

    report = inspect_path(base)  # the base folder: the version TF Serving serves
    assert report["kind"] == "export" and report["versions"] == [1, 2]
    assert Path(report["path"]) == base / "2" and report["card"]["task"] == "sentiment"
    assert inspect_path(base / "1")["path"] == str(base / "1")
    assert main(["inspect", str(base)]) == 0
    printed = capsys.readouterr().out
    assert f"export {base / '2'}" in printed and "versions 1, 2" in printed

    # Served as TF Serving would: the highest version, from a process without seqzoo, with the
    # REST body of the docs.
    script = textwrap.dedent(f"""
        import json, os, sys
        import tensorflow as tf, tensorflow_text  # noqa: F401
        base = {str(base)!r}
        version = max(int(name) for name in os.listdir(base) if name.isdigit())
        serve = tf.saved_model.load(os.path.join(base, str(version))).signatures["serving_default"]
        out = serve(text=tf.constant(["a good film"]))
        assert "seqzoo" not in sys.modules
        print(json.dumps({{"version": version, "label": out["label"].numpy()[0].decode()}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["version"] == 2 and served["label"] in {"neg", "pos"}


def test_python_export_writes_flat_or_versioned_and_a_flat_export_still_inspects(run_dir, tmp_path):
    from seqzoo.tasks.sentiment.task import SentimentTask

    task = SentimentTask.load(run_dir)
    flat = task.export(tmp_path / "flat")  # the Python API's layout of older releases
    assert (flat / "saved_model.pb").is_file()
    assert inspect_path(flat)["path"] == str(flat) and "versions" not in inspect_path(flat)
    assert task.export(tmp_path / "base", version="next") == tmp_path / "base" / "1"
    assert task.export(tmp_path / "base", version=3) == tmp_path / "base" / "3"
    assert export_versions(tmp_path / "base") == [1, 3]


def test_export_refusals_name_the_flag(run_dir, tmp_path, capsys):
    fails(capsys, ["export", str(run_dir), "--out", str(run_dir)], "run directory")
    fails(capsys, ["export", str(run_dir), "--out", str(tmp_path / "x"), "--format", "onnx", "--version", "2"],
          "--version applies to --format savedmodel only")
    fails(capsys, ["export", str(run_dir), "--out", str(tmp_path / "x"), "--version", "0"], "--version 0")


def test_a_folder_of_the_users_is_never_a_base(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("years of work")
    (mine / ".git").mkdir()  # hidden names are not counted
    with pytest.raises(UsageError, match=r"holds chapter1.tex, which is not a version folder"):
        version_folder(mine)
