"""Exports reject bad requests cleanly (issue 14, rule 6).

Tiny untrained exports of the language model, translation, captioning and sentiment
are served from one fresh process that imports only tensorflow and tensorflow_text.
Every request ends in a result or an InvalidArgumentError; for the language model a
bad setting (NaN, infinite, out of range, or a settings vector of the wrong length)
is refused with a message naming the input, before anything reaches an index out of
range, and a valid request gives the task's own output. A hypothesis property test
over random settings checks that each request is refused exactly when it is invalid.
"""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from tests.tasks.helpers import tiny_untrained_tasks

pytestmark = pytest.mark.slow  # builds and exports four tiny models (about a minute)

MAX_TOKENS_LIMIT = 10_000  # seqzoo.tasks.language_model.generator.MAX_TOKENS_LIMIT
INT32 = (-(2**31), 2**31 - 1)

# The server: only tensorflow and tensorflow_text. Each case is
# [export name, signature, {input: list of values}], strings base64-encoded; the
# answer per case is {"outputs": ...} or {"error": exception class, "message": ...}.
SERVER = textwrap.dedent(
    """
    import base64, json, sys
    import tensorflow as tf, tensorflow_text

    exports, cases = json.load(open(sys.argv[1]))
    models = {name: tf.saved_model.load(path) for name, path in exports.items()}

    def plain(value):
        return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value

    answers = []
    for name, signature_name, inputs in cases:
        signature = models[name].signatures[signature_name]
        specs = signature.structured_input_signature[1]
        tensors = {}
        for key, values in inputs.items():
            if specs[key].dtype == tf.string:
                values = [base64.b64decode(v) for v in values]
            tensors[key] = tf.constant(values, specs[key].dtype, shape=[len(values)])
        try:
            outputs = signature(**tensors)
            answers.append({"outputs": {k: [plain(v) for v in t.numpy().tolist()]
                                        for k, t in outputs.items()}})
        except Exception as error:
            answers.append({"error": type(error).__name__,
                            "message": getattr(error, "message", str(error))})
    assert not any(m.startswith("seqzoo") for m in sys.modules)
    print(json.dumps(answers))
    """
)


def encode(value):
    """A request value for SERVER: strings and bytes go base64-encoded."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def case(name, signature, **inputs):
    return [name, signature, {k: [encode(v) for v in values] for k, values in inputs.items()}]


def lm_request(prompt=("ab",), max_tokens=(5,), temperature=(0.8,), top_k=(0,), top_p=(1.0,),
               seed=(1,), signature="generate"):
    inputs = dict(prompt=list(prompt), max_tokens=list(max_tokens), temperature=list(temperature),
                  seed=list(seed))
    if signature == "generate":
        inputs.update(top_k=list(top_k), top_p=list(top_p))
    return case("language-model", signature, **inputs)


def valid_setting(max_tokens, temperature, top_k, top_p) -> bool:
    """What the export accepts, computed in float32 as the graph sees it."""
    temperature, top_p = np.float32(temperature), np.float32(top_p)
    return (0 <= max_tokens <= MAX_TOKENS_LIMIT and bool(np.isfinite(temperature)) and temperature >= 0
            and top_k >= 0 and 0 < top_p <= 1)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def tasks():
    return tiny_untrained_tasks()


@pytest.fixture(scope="module")
def serve(tasks, tmp_path_factory):
    """serve(cases) -> one answer per case, all from one fresh process per call."""
    root = tmp_path_factory.mktemp("exports")
    exports = {name: str(tasks[name].export(root / name))
               for name in ("language-model", "translation", "captioning", "sentiment")}

    def run(cases):
        request = root / "cases.json"
        request.write_text(json.dumps([exports, cases]))
        done = subprocess.run([sys.executable, "-c", SERVER, str(request)], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        answers = json.loads(done.stdout.strip().splitlines()[-1])
        assert len(answers) == len(cases)
        return answers

    return run


def assert_refused(answer, name):
    assert answer.get("error") == "InvalidArgumentError", answer
    assert name in answer["message"], answer["message"]
    assert "not in [" not in answer["message"], answer["message"]  # no gather out of range


# ----------------------------------------------------------------------------- tests
BAD_LM_REQUESTS = [
    (dict(temperature=[math.nan]), "temperature"),
    (dict(temperature=[math.inf]), "temperature"),
    (dict(temperature=[-math.inf]), "temperature"),
    (dict(temperature=[-1.0]), "temperature"),
    (dict(top_p=[0.0]), "top_p"),
    (dict(top_p=[1.5]), "top_p"),
    (dict(top_p=[math.nan]), "top_p"),
    (dict(top_k=[-1]), "top_k"),
    (dict(max_tokens=[-1]), "max_tokens"),
    (dict(max_tokens=[10**9]), "max_tokens"),
    (dict(max_tokens=[INT32[1]]), "max_tokens"),
    (dict(prompt=["ab", "b", "c"], temperature=[0.5, 0.5]), "temperature"),
    (dict(prompt=["ab", "b", "c"], max_tokens=[3, 3]), "max_tokens"),
    (dict(prompt=["ab", "b", "c"], seed=[1, 2, 3, 4]), "seed"),
    (dict(prompt=["ab", "b", "c"], top_k=[1, 2]), "top_k"),
    (dict(prompt=["ab", "b", "c"], top_p=[0.5, 0.5]), "top_p"),
    (dict(prompt=[], temperature=[0.5, 0.5]), "temperature"),
    # one bad row among good ones
    (dict(prompt=["ab", "b"], temperature=[0.5, math.nan]), "temperature"),
]

VALID_LM_REQUESTS = [
    dict(prompt=["ab", "", "cab ca"], max_tokens=[6], temperature=[0.8], seed=[3]),
    dict(prompt=["ab", "b"], max_tokens=[4], temperature=[0.0], top_k=[2], top_p=[0.9], seed=[0]),
    dict(prompt=["ab"], max_tokens=[0], temperature=[1.0], top_k=[1000], top_p=[1e-6], seed=[5]),
    dict(prompt=["ab"], max_tokens=[3], temperature=[1e-40], seed=[2]),  # overflows logits / t
    dict(prompt=["ab"], max_tokens=[3], temperature=[3e38], seed=[2]),
]


def test_language_model_bad_and_good_requests(serve, tasks):
    model = tasks["language-model"]
    cases, expected = [], []
    for change, name in BAD_LM_REQUESTS:
        cases.append(lm_request(**change))
        expected.append(name)
        if "top_k" not in change and "top_p" not in change:
            cases.append(lm_request(signature="serving_default", **change))
            expected.append(name)
    valid_from = len(cases)
    for request in VALID_LM_REQUESTS:
        cases.append(lm_request(**request))
    cases.append(lm_request(prompt=[], max_tokens=[4]))  # an empty batch
    cases.append(lm_request(prompt=[], signature="serving_default"))
    cases.append(lm_request(prompt=[""], max_tokens=[], temperature=[], seed=[], top_k=[], top_p=[]))

    answers = serve(cases)
    for answer, name in zip(answers[:valid_from], expected):
        assert_refused(answer, name)
    for answer, request in zip(answers[valid_from:], VALID_LM_REQUESTS):
        request = dict(request)
        prompts = request.pop("prompt")
        ids = model.generate_ids(prompts, **{k: v[0] for k, v in request.items()})
        assert answer["outputs"]["token_ids"] == ids["token_ids"].numpy().tolist(), request
        texts = [base64.b64decode(t) for t in answer["outputs"]["text"]]
        assert texts == ids["text"].numpy().tolist(), request
    for answer in answers[valid_from + len(VALID_LM_REQUESTS):][:2]:
        assert answer["outputs"]["text"] == [], answer
    assert len(answers[-1]["outputs"]["text"]) == 1, answers[-1]


SETTINGS = st.fixed_dictionaries({
    "max_tokens": st.one_of(st.integers(-3, 12), st.integers(*INT32)),
    "temperature": st.floats(width=32),
    "top_k": st.one_of(st.integers(-3, 40), st.integers(*INT32)),
    "top_p": st.one_of(st.floats(width=32), st.floats(0.0, 1.0, width=32)),
    "seed": st.integers(*INT32),
    "rows": st.integers(0, 3),
    "per_row": st.booleans(),
})


def test_language_model_random_settings_end_in_a_result_or_a_refusal(serve):
    drawn = []

    @settings(max_examples=120, database=None, derandomize=True, deadline=None)
    @given(SETTINGS)
    def collect(values):
        drawn.append(values)

    collect()
    cases = []
    for values in drawn:
        rows = values["rows"]
        width = rows if values["per_row"] and rows else 1
        cases.append(lm_request(
            prompt=["ab c"] * rows, **{k: [values[k]] * width
                                      for k in ("max_tokens", "temperature", "top_k", "top_p", "seed")}))
    answers = serve(cases)
    for values, answer in zip(drawn, answers):
        if valid_setting(values["max_tokens"], values["temperature"], values["top_k"], values["top_p"]):
            assert "outputs" in answer, (values, answer)
            assert len(answer["outputs"]["text"]) == values["rows"]
        else:
            assert answer.get("error") == "InvalidArgumentError", (values, answer)
            assert any(n in answer["message"] for n in ("max_tokens", "temperature", "top_k", "top_p")), answer
            assert "not in [" not in answer["message"], answer


def test_text_and_image_exports_take_empty_and_hostile_input(serve, tasks):
    digits = tasks["images"].contents[0]
    odd_texts = ["", " ", "a b", "\u00e9\u00e8 \U0001F600", "a " * 500]
    cases = [case("translation", "serving_default", text=odd_texts),
             case("translation", "serving_default", text=[]),
             case("translation", "serving_default", text=[b"\xff\xfe a"]),
             case("sentiment", "serving_default", text=odd_texts),
             case("sentiment", "serving_default", text=[]),
             case("sentiment", "serving_default", text=[b"\xff\xfe a"]),
             case("captioning", "serving_default", image=[digits]),
             case("captioning", "serving_default", image=[])]
    bad_images = [b"", b"hello", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, b"\xff\xd8\xff" + b"\0" * 20,
                  digits[: len(digits) // 2]]
    cases += [case("captioning", "serving_default", image=[image]) for image in bad_images]
    cases.append(case("captioning", "serving_default", image=[digits, b"hello"]))
    answers = serve(cases)
    assert len(answers[0]["outputs"]["translation"]) == len(odd_texts)
    assert answers[1]["outputs"]["translation"] == []
    assert len(answers[3]["outputs"]["label"]) == len(odd_texts)
    assert answers[4]["outputs"]["label"] == []
    assert len(answers[6]["outputs"]["caption"]) == 1
    assert answers[7]["outputs"]["caption"] == []
    for answer in answers[2:3] + answers[5:6] + answers[8:]:
        assert "outputs" in answer or answer.get("error") == "InvalidArgumentError", answer
    for answer in answers[8:10]:  # not an image at all: refused, naming the problem
        assert answer.get("error") == "InvalidArgumentError", answer
        assert "image" in answer["message"].lower() or "empty" in answer["message"].lower(), answer


def test_text_and_image_signatures_fuzzed_end_in_a_result_or_a_refusal(serve):
    """Random batches of text (any Unicode, or raw bytes that need not be UTF-8) for the
    translation and sentiment exports, and of bytes for the captioning export: each request
    is answered row for row, or refused with an InvalidArgumentError; nothing else."""
    drawn = []

    @settings(max_examples=40, database=None, derandomize=True, deadline=None)
    @given(texts=st.lists(st.one_of(st.text(max_size=40), st.binary(max_size=40)), max_size=4),
           images=st.lists(st.binary(max_size=120), max_size=3))
    def collect(texts, images):
        drawn.append((texts, images))

    collect()
    cases, rows = [], []
    for texts, images in drawn:
        cases += [case("translation", "serving_default", text=texts),
                  case("sentiment", "serving_default", text=texts),
                  case("captioning", "serving_default", image=images)]
        rows += [len(texts), len(texts), len(images)]
    answers = serve(cases)
    assert len(answers) == len(cases)
    for answer, count in zip(answers, rows):
        if "outputs" in answer:
            assert all(len(values) == count for values in answer["outputs"].values()
                       if isinstance(values, list)), answer
        else:
            assert answer.get("error") == "InvalidArgumentError", answer
