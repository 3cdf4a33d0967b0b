"""output_dirs on plain folders (no TensorFlow): what may be replaced, staging, run status."""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
import textwrap

import pytest

from seqzoo.tasks.common import output_dirs
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.output_dirs import (
    FINISHED,
    MARKER,
    UNFINISHED,
    check_finished,
    check_inputs,
    check_out,
    check_out_file,
    input_paths,
    output_kind,
    run_status,
    set_run_status,
    staged_output,
)


def _tree(folder):
    """Every file under `folder` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden_siblings(folder):
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}."))


def _seqzoo_run(folder, model="first"):
    with staged_output(folder, "run") as output:
        (output.path / "model.keras").write_text(model)
        (output.path / "config.json").write_text("{}")
    return folder


def test_the_module_doctests_run():
    assert doctest.testmod(output_dirs, optionflags=doctest.ELLIPSIS).failed == 0


def test_importing_it_imports_no_tensorflow():
    code = "import sys, seqzoo.tasks.common.output_dirs; print([m for m in ('tensorflow', 'keras') if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


# ----------------------------------------------------------------------------- inputs
@pytest.mark.parametrize("relation, out", [("is", "data/reviews.csv"), ("holds", "data"), ("holds", "."),
                                           ("lies inside", "images/run")])
def test_an_out_that_overlaps_an_input_is_refused_in_one_sentence(tmp_path, relation, out):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reviews.csv").write_text("text,label\n")
    (tmp_path / "images").mkdir()
    inputs = input_paths({"data": str(tmp_path / "data" / "reviews.csv"), "images": str(tmp_path / "images")})
    with pytest.raises(UsageError) as error:
        check_out(tmp_path / out, "run", inputs=inputs, overwrite=True)
    message = str(error.value)
    assert message.startswith(f"--out {tmp_path / out} {relation} ") and message.count(". ") == 0, message
    assert message.endswith("choose another --out.")


def test_symlinks_are_resolved(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reviews.csv").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "data")
    with pytest.raises(UsageError, match="holds --data"):
        check_inputs(tmp_path / "link", input_paths({"data": str(tmp_path / "data" / "reviews.csv")}))


def test_input_paths_finds_what_is_on_disk_in_every_path_field(tmp_path):
    for name in ("src.txt", "tgt.txt", "vectors.txt", "train.txt", "valid.txt", "test.txt"):
        (tmp_path / name).write_text("x")
    config = {"data": f"{tmp_path}/src.txt:{tmp_path}/tgt.txt", "test": "cldr-dates",
              "source_word_vectors": str(tmp_path / "vectors.txt"),
              "split_files": f"{tmp_path}/train.txt:{tmp_path}/valid.txt:{tmp_path}/test.txt",
              "encoder_weights": "imagenet"}
    found = input_paths(config, extra=[("the run directory", tmp_path / "run-that-is-not-there")])
    assert [(label, path.name) for label, path in found] == [
        ("--data", "src.txt"), ("--data", "tgt.txt"), ("--split-files", "train.txt"),
        ("--split-files", "valid.txt"), ("--split-files", "test.txt"), ("--source-word-vectors", "vectors.txt")]


# ----------------------------------------------------------------------------- what --overwrite may replace
def test_a_folder_seqzoo_did_not_make_is_never_replaced(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(UsageError, match="already exists and is not empty; pass --overwrite"):
        check_out(mine, "run")
    with pytest.raises(UsageError, match=f"not a run directory that seqzoo made .it has no {MARKER}."):
        with staged_output(mine, "run", overwrite=True):
            raise AssertionError("never reached")
    assert _tree(mine) == {"thesis.tex": b"years of work"} and _hidden_siblings(mine) == []


def test_another_kind_of_seqzoo_output_is_not_replaced(tmp_path):
    run = _seqzoo_run(tmp_path / "run")
    with pytest.raises(UsageError, match="is a seqzoo run directory, not a SavedModel export"):
        check_out(run, "export", overwrite=True)


def test_a_seqzoo_output_holding_a_stranger_is_not_replaced(tmp_path):
    run = _seqzoo_run(tmp_path / "run")
    (run / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="holds notes.txt, which seqzoo did not write there"):
        check_out(run, "run", overwrite=True)
    (run / "notes.txt").unlink()
    (run / ".DS_Store").write_text("")  # a file browser's; no reason to refuse
    assert check_out(run, "run", overwrite=True) == run.resolve()


@pytest.mark.parametrize("kind, files", [
    ("run", {"run.json": '{"task": "sentiment"}', "config.json": "{}", "model.keras": "", "logs/x": ""}),
    ("export", {"saved_model.pb": "", "variables/v": "", "assets.extra/model_card.json": "{}", "MODEL_CARD.md": ""}),
    ("comparison", {"results.json": '{"runs": []}', "report.md": "", "runs/gru/run.json": "{}"}),
    ("diagnose-report", {"gradients.json": "[]", "gradients.png": "", "gradients.csv": ""}),
])
def test_outputs_made_before_markers_are_recognised_by_their_layout(tmp_path, kind, files):
    folder = tmp_path / "old"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    assert output_kind(folder) == kind
    assert check_out(folder, kind, overwrite=True) == folder.resolve()
    (folder / "my-data.csv").write_text("x")  # something seqzoo never wrote there
    assert output_kind(folder) == kind
    with pytest.raises(UsageError, match="holds my-data.csv"):
        check_out(folder, kind, overwrite=True)


def test_a_file_or_a_place_that_cannot_be_written_is_one_sentence(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="exists and is not a directory; choose another --out"):
        check_out(tmp_path / "file", "run", overwrite=True)
    with pytest.raises(UsageError, match=r"cannot write there \(Not a directory\); choose another --out"):
        with staged_output(tmp_path / "file" / "run", "run"):
            pass
    assert (tmp_path / "file").read_text() == "x"


# ----------------------------------------------------------------------------- staging
@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failed_replacement_leaves_the_old_output_byte_identical(tmp_path, failure):
    run = _seqzoo_run(tmp_path / "run")
    before = _tree(run)
    with pytest.raises(type(failure)):
        with staged_output(run, "run", overwrite=True) as output:
            assert output.staged and output.path.parent == run.parent and output.path.name.startswith(".run.")
            (output.path / "model.keras").write_text("half-trained")
            raise failure
    assert _tree(run) == before and run_status(run) == FINISHED
    assert _hidden_siblings(run) == []


def test_a_failed_new_output_is_removed_with_the_folders_it_made(tmp_path):
    with pytest.raises(RuntimeError):
        with staged_output(tmp_path / "runs" / "new", "run") as output:
            assert not output.staged and output.path == (tmp_path / "runs" / "new").resolve()
            assert run_status(output.path) == UNFINISHED
            raise RuntimeError("bad value")
    assert list(tmp_path.iterdir()) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RuntimeError):
        with staged_output(empty, "run") as output:
            (output.path / "model.keras").write_text("x")
            raise RuntimeError("bad value")
    assert empty.is_dir() and list(empty.iterdir()) == []  # the user's empty folder stays


def test_keep_on_failure_keeps_a_new_output_marked_unfinished(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with staged_output(tmp_path / "report", "comparison", keep_on_failure=True) as output:
            (output.path / "results.json").write_text('{"runs": []}')
            raise KeyboardInterrupt
    marker = json.loads((tmp_path / "report" / MARKER).read_text())
    assert marker["kind"] == "comparison" and marker["complete"] is False


def test_a_replacement_swaps_in_only_when_complete(tmp_path):
    run = _seqzoo_run(tmp_path / "run")
    with staged_output(run, "run", overwrite=True) as output:
        (output.path / "model.keras").write_text("second")
        assert (run / "model.keras").read_text() == "first"  # the old one is served meanwhile
    assert (run / "model.keras").read_text() == "second" and not (run / "config.json").exists()
    assert run_status(run) == FINISHED and _hidden_siblings(run) == []
    marker = json.loads((run / MARKER).read_text())
    assert marker["complete"] and marker["files"] == ["model.keras", "run.json"]


def test_a_symlinked_out_is_replaced_where_it_points(tmp_path):
    run = _seqzoo_run(tmp_path / "run")
    (tmp_path / "link").symlink_to(run)
    with staged_output(tmp_path / "link", "run", overwrite=True) as output:
        (output.path / "model.keras").write_text("second")
    assert (tmp_path / "link").is_symlink() and (run / "model.keras").read_text() == "second"


def test_what_a_killed_process_left_is_cleared_by_the_next_write(tmp_path):
    run = _seqzoo_run(tmp_path / "run")
    # A process that is gone: its staging folder, and an old output renamed aside.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (tmp_path / f".run.seqzoo-staging-{pid}-abc").mkdir()
    (tmp_path / f".run.seqzoo-staging-{pid}-abc" / "model.keras").write_text("half")
    os.rename(run, tmp_path / "aside")
    (tmp_path / f".run.seqzoo-old-{pid}-def").mkdir()
    os.rename(tmp_path / "aside", tmp_path / f".run.seqzoo-old-{pid}-def" / "old")
    # And a live one's staging folder, which must be left alone.
    (tmp_path / f".run.seqzoo-staging-{os.getppid()}-ghi").mkdir()
    output_dirs.clear_leftovers(run)
    assert (run / "model.keras").read_text() == "first"  # the kill fell between the renames: put back
    assert _hidden_siblings(run) == [f".run.seqzoo-staging-{os.getppid()}-ghi"]


def test_sigint_during_the_swap_waits_for_it(tmp_path):
    """The swap's two renames run with Ctrl-C held off: a SIGINT sent meanwhile cannot
    leave the old output renamed aside and the new one not yet in."""
    script = textwrap.dedent(f"""
        import os, signal
        from seqzoo.tasks.common import output_dirs
        real_rename = os.rename
        def rename(a, b):
            real_rename(a, b)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after each rename
        with output_dirs.staged_output({str(tmp_path / 'run')!r}, "run") as output:
            open(output.path / "model.keras", "w").write("first")
        with output_dirs.staged_output({str(tmp_path / 'run')!r}, "run", overwrite=True) as output:
            open(output.path / "model.keras", "w").write("second")
            os.rename = rename
        os.rename = real_rename
        print(open({str(tmp_path / 'run' / 'model.keras')!r}).read())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "second" and _hidden_siblings(tmp_path / "run") == []


# ----------------------------------------------------------------------------- run status
def test_run_status_and_its_refusal(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"task": "sentiment", "format_version": 1}))
    assert run_status(run) == FINISHED  # made before statuses by `task.save` from Python: no training trace
    (run / "history.csv").write_text("epoch,loss\n0,0.7\n")
    assert run_status(run) == UNFINISHED  # made before statuses by a `seqzoo train` killed before its metrics
    with pytest.raises(UsageError) as error:
        check_finished(run)
    message = str(error.value)
    assert message == (f"{run} is an unfinished run: its training did not finish (it was interrupted or failed), "
                       "so seqzoo will not use its model; continue it with the same `seqzoo train` command and "
                       "--resume, or train it again.")
    (run / "metrics.json").write_text("{}")
    assert run_status(run) == FINISHED  # made before statuses, finished
    set_run_status(run, UNFINISHED)
    assert run_status(run) == UNFINISHED and json.loads((run / "run.json").read_text())["task"] == "sentiment"
    assert [p.name for p in run.iterdir() if p.name.startswith(".")] == []  # written atomically


# ----------------------------------------------------------------------------- single-file plots
def test_a_plot_path_replaces_only_a_plot(tmp_path):
    from seqzoo.tasks.common.plots import pyplot, save_figure

    figure, axis = pyplot().subplots()
    axis.plot([1, 2])
    save_figure(figure, tmp_path / "gates.png")
    assert check_out_file(tmp_path / "gates.png") == (tmp_path / "gates.png").resolve()
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n not a plot")
    with pytest.raises(UsageError, match="--plot .*photo.png exists and is not a plot that seqzoo made"):
        check_out_file(tmp_path / "photo.png", flag="--plot")
    run = _seqzoo_run(tmp_path / "run")
    inputs = [("the run directory", run)]
    assert check_out_file(run / "map.png", inputs)  # a new file beside the run it shows
    save_figure(*pyplot().subplots()[:1], run / "learning_curves.png")
    with pytest.raises(UsageError, match="lies inside the run directory"):
        check_out_file(run / "learning_curves.png", inputs)  # but never one of the run's own files
    with pytest.raises(UsageError, match="is the run directory"):
        check_out_file(run, inputs)
    with pytest.raises(UsageError, match="is a folder"):
        check_out_file(tmp_path)


def test_a_run_stopped_before_its_first_save_is_refused_and_still_inspectable(tmp_path):
    from seqzoo.tasks.common.run_directory import read_run_info

    run = tmp_path / "run"
    staged_output(run, "run").__enter__()  # then killed: no __exit__, no save
    assert json.loads((run / "run.json").read_text()) == {"status": UNFINISHED}
    with pytest.raises(UsageError, match="is an unfinished run"):
        read_run_info(run)
    assert read_run_info(run, require_finished=False) == {"status": UNFINISHED}
    assert output_kind(run) == "run" and check_out(run, "run", overwrite=True) == run.resolve()


def test_a_plugin_config_declares_its_own_input_paths(tmp_path):
    import dataclasses

    from seqzoo.tasks.common.config import JSONConfig, config_field

    @dataclasses.dataclass
    class LexiconConfig(JSONConfig):
        lexicon: str | None = config_field(None, "a lexicon file", path=True)

    lexicon = tmp_path / "words" / "lexicon.txt"
    lexicon.parent.mkdir()
    lexicon.write_text("good\n")
    inputs = input_paths(LexiconConfig(lexicon=str(lexicon)))
    assert inputs == [("--lexicon", lexicon.resolve())] or [label for label, _ in inputs] == ["--lexicon"]
    with pytest.raises(UsageError, match="--lexicon"):
        check_inputs(tmp_path / "words", inputs)
