"""Issue 14, rule 3, for the flags that are not config fields (those are covered by
tests/tasks/common/test_config_validation.py): every numeric and path flag of every
command, given an out-of-range value, is refused with exit code 2 and one error line that
names the flag, before any model is loaded or trained, and without a traceback.

One tiny sentiment run is trained once for the module and stands for RUN; loading a model
or training one is made to fail the test, so each refusal is shown to come first."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import pytest

from seqzoo.tasks.cli import main

from tests.tasks.helpers import toy_reviews, write_csv

TINY = ["--arch", "gru", "--units", "4", "--embedding-dim", "4", "--epochs", "1", "--quiet"]
ERROR_LINE = re.compile(r"^seqzoo( [\w-]+)*: error: ")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """RUN (a finished tiny run), DATA (its data), FILE (a regular file), MISSING."""
    folder = tmp_path_factory.mktemp("flags")
    data = write_csv(folder / "reviews.csv", toy_reviews(80))
    run = folder / "run"
    assert main(["train", "sentiment", "--data", str(data), *TINY, "--out", str(run)]) == 0
    regular = folder / "notes.txt"
    regular.write_text("a file of the user's\n")
    image = folder / "photo.png"
    image.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478"
        "9c63f8cfc00000030101 00c9fe92ef0000000049454e44ae426082".replace(" ", "")))
    return {"RUN": str(run), "DATA": str(data), "FILE": str(regular), "MISSING": str(folder / "no-such"),
            "IMAGE": str(image), "ROOT": folder}


@pytest.fixture
def no_model_work(monkeypatch):
    """Loading a model or training one fails the test: refusals must come first."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a model was loaded or trained before the bad flag was refused")

    monkeypatch.setattr(keras.saving, "load_model", forbidden)
    monkeypatch.setattr(keras.Model, "fit", forbidden)


def _refused(capsys, argv, flag):
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's refusal
        code = exit.code
    error = capsys.readouterr().err
    assert "Traceback" not in error, error
    lines = error.strip().splitlines()
    assert code == 2, (code, error)
    assert lines and ERROR_LINE.match(lines[-1]), error
    # argparse prints its usage lines first; nothing else may come before the error
    assert all(line.startswith(("usage:", " ")) for line in lines[:-1]), error
    assert flag in lines[-1], (flag, lines[-1])
    return lines[-1]


# (argv with RUN, DATA, FILE, MISSING, IMAGE placeholders, the flag (or word) the error names)
CASES = [
    # predict
    (["predict", "RUN", ""], "text is empty"),
    (["predict", "RUN", "fine", "  "], "text 2 is empty"),
    (["predict", "RUN"], "--file"),
    (["predict", "RUN", "--file", "MISSING"], "no-such"),
    # generate
    (["generate", "RUN", "--max-tokens", "-1"], "--max-tokens"),
    (["generate", "RUN", "--max-tokens", "0"], "--max-tokens"),
    (["generate", "RUN", "--max-tokens", "ten"], "--max-tokens"),
    (["generate", "RUN", "--temperature", "-1"], "--temperature"),
    (["generate", "RUN", "--temperature", "nan"], "--temperature"),
    (["generate", "RUN", "--temperature", "inf"], "--temperature"),
    (["generate", "RUN", "--top-k", "-1"], "--top-k"),
    (["generate", "RUN", "--top-p", "0"], "--top-p"),
    (["generate", "RUN", "--top-p", "1.5"], "--top-p"),
    (["generate", "RUN", "--top-p", "nan"], "--top-p"),
    (["generate", "RUN", "--seed", "-1"], "--seed"),
    (["generate", "RUN", "--seed", str(2**31)], "--seed"),
    # translate
    (["translate", "RUN", "a b", "--beam-size", "0"], "--beam-size"),
    (["translate", "RUN", "a b", "--n-best", "0"], "--n-best"),
    (["translate", "RUN", "a b", "--beam-size", "2", "--n-best", "3"], "--n-best"),
    (["translate", "RUN", "a b", "--greedy", "--n-best", "2"], "--n-best"),
    (["translate", "RUN", "a b", "--length-penalty", "-1"], "--length-penalty"),
    (["translate", "RUN", "a b", "--length-penalty", "nan"], "--length-penalty"),
    (["translate", "RUN", ""], "text is empty"),
    (["translate", "RUN"], "--file"),
    (["translate", "RUN", "--file", "MISSING"], "no-such"),
    (["translate", "RUN", "a b", "--attention-plot", "FILE/plot.png"], "--attention-plot"),
    # caption
    (["caption", "RUN", "IMAGE", "--beam-size", "0"], "--beam-size"),
    (["caption", "RUN", "IMAGE", "--length-penalty", "-1"], "--length-penalty"),
    (["caption", "RUN", "MISSING"], "no-such"),
    (["caption", "RUN", "FILE"], "notes.txt"),
    (["caption", "RUN", "IMAGE", "--attention-plot", "FILE/plot.png"], "--attention-plot"),
    # evaluate (the task flags it takes)
    (["evaluate", "RUN", "--beam-size", "0"], "--beam-size"),
    (["evaluate", "RUN", "--length-penalty", "-0.5"], "--length-penalty"),
    # compare
    (["compare", "sentiment", "--data", "DATA", "--repeats", "0"], "--repeats"),
    (["compare", "sentiment", "--data", "DATA", "--budget", "0"], "--budget"),
    (["compare", "sentiment", "--data", "DATA", "--budget", "soon"], "--budget"),
    (["compare", "sentiment", "--data", "DATA", "--out", "FILE/report"], "--out"),
    # diagnose
    (["diagnose", "gradients", "--length", "1"], "--length"),
    (["diagnose", "gradients", "--batch", "0"], "--batch"),
    (["diagnose", "gradients", "--train-steps", "-1"], "--train-steps"),
    (["diagnose", "gradients", "--units", "0"], "--units"),
    (["diagnose", "gradients", "--embedding-dim", "0"], "--embedding-dim"),
    (["diagnose", "gradients", "--recurrent-scale", "nan"], "--recurrent-scale"),
    (["diagnose", "gradients", "--seed", "-3"], "--seed"),
    (["diagnose", "gradients", "--data", "MISSING/x.txt"], "--data"),
    (["diagnose", "gradients", "--run", "MISSING"], "--run"),
    (["diagnose", "gradients", "--run", "RUN", "--out", "FILE/report"], "--out"),
    (["diagnose", "gates", "--text", ""], "--text"),
    (["diagnose", "gates", "--text", "a b", "--max-units", "0"], "--max-units"),
    (["diagnose", "gates", "MISSING", "--text", "a b"], "no-such"),
    (["diagnose", "gates", "RUN", "--text", "a b", "--out", "FILE/gates.png"], "--out"),
    # embeddings
    (["embeddings", "RUN", "--top-k", "0"], "--top-k"),
    (["embeddings", "RUN", "--frequent", "-1"], "--frequent"),
    (["embeddings", "RUN", "--seed", "-1"], "--seed"),
    (["embeddings", "RUN", "--plot", "FILE/map.png"], "--plot"),
    # finetune
    (["finetune", "RUN", "--data", "DATA", "--out", "FILE/new"], "--out"),
    # train and export paths
    (["train", "sentiment", "--data", "MISSING/reviews.csv", *TINY], "no-such"),
    (["train", "sentiment", "--data", "DATA", *TINY, "--out", "FILE/run"], "--out"),
    # inspect
    (["inspect", "MISSING"], "no-such"),
]


# Refused in one line, but only after the run's model is loaded: `seqzoo evaluate` and
# `seqzoo export` (tasks/cli.py) load the run before they look at --data and --out.
LATE = [
    (["evaluate", "RUN", "--data", "MISSING"], "no-such"),
    (["export", "RUN", "--out", "FILE/export"], "--out"),
]
CASES += LATE  # checked before the run's model loads


def _ids():
    seen = {}
    for case in CASES:
        argv = case.values[0] if hasattr(case, "values") else case[0]
        name = "-".join(a for a in argv[:4] if a not in ("RUN", "DATA"))[:40]
        seen[name] = seen.get(name, 0) + 1
        yield name if seen[name] == 1 else f"{name}#{seen[name]}"


@pytest.mark.parametrize("argv, flag", CASES, ids=list(_ids()))
def test_a_bad_flag_is_refused_in_one_line_before_any_work(capsys, files, no_model_work, argv, flag):
    def fill(arg):
        for key in ("RUN", "DATA", "FILE", "MISSING", "IMAGE"):
            arg = arg.replace(key, files[key]) if arg == key or arg.startswith(key + "/") else arg
        return arg

    before = sorted(p.name for p in Path(files["ROOT"]).iterdir())
    _refused(capsys, [fill(a) for a in argv], flag)
    assert sorted(p.name for p in Path(files["ROOT"]).iterdir()) == before  # nothing written
    assert Path(files["FILE"]).read_text() == "a file of the user's\n"


@pytest.mark.parametrize("argv, flag", LATE, ids=["evaluate-data", "export-out"])
def test_late_refusals_are_still_one_line(capsys, files, argv, flag):
    def fill(arg):
        for key in ("RUN", "FILE", "MISSING"):
            arg = arg.replace(key, files[key]) if arg == key or arg.startswith(key + "/") else arg
        return arg

    _refused(capsys, [fill(a) for a in argv], flag)
    assert Path(files["FILE"]).read_text() == "a file of the user's\n"


def test_good_values_at_the_edges_of_the_ranges_still_parse():
    from seqzoo.tasks.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["generate", "r", "--max-tokens", "1", "--temperature", "0", "--top-k", "0",
                              "--top-p", "1", "--seed", "0"])
    assert (args.max_tokens, args.temperature, args.top_k, args.top_p, args.seed) == (1, 0.0, 0, 1.0, 0)
    args = parser.parse_args(["translate", "r", "x", "--beam-size", "1", "--n-best", "1", "--length-penalty", "0"])
    assert (args.beam_size, args.n_best, args.length_penalty) == (1, 1, 0.0)
    args = parser.parse_args(["diagnose", "gradients", "--length", "2", "--batch", "1", "--train-steps", "0"])
    assert (args.length, args.batch, args.train_steps) == (2, 1, 0)
    assert parser.parse_args(["embeddings", "r", "--top-k", "1"]).top_k == 1
    assert parser.parse_args(["compare", "sentiment", "--repeats", "1"]).repeats == 1
