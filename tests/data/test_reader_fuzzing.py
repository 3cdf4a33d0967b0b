"""Issue 14, fuzzing: every reader of a user's file ends in a result or one `DataError` naming
the file, never another exception, a hang or a crash of the process.

Each reader gets arbitrary bytes and structured but hostile files built from fragments that
break parsers (quotes, delimiters, CR, NUL, BOMs, invalid UTF-8, very long lines, huge
field counts), read with several encodings. Examples are few (50 per reader) so the file
runs in well under a minute."""

from __future__ import annotations

import codecs
import json
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqzoo.data.caption_readers import read_captions
from seqzoo.data.errors import DataError
from seqzoo.data.parallel import read_parallel
from seqzoo.data.readers import read_corpus, read_labelled_texts, read_texts

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]

FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                database=None)

ENCODINGS = st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-16", "ascii", "utf-8-sig", "no-such-codec"])

# Pieces that break parsers, mixed with ordinary words and column names.
_FRAGMENTS = [
    b"text", b"label", b"source", b"target", b"image", b"caption", b"pos", b"neg", b"0", b"1",
    b"good film", b"a.jpg#0", b"x.png",
    b",", b"\t", b'"', b'""', b"'", b"\n", b"\r\n", b"\r", b"\x00", b" ", b"#", b":",
    codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
    b"\xff", b"\xfe", b"\xc3", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\x85", b"\x81", b"\x9d",
    "caf\u00e9".encode(), "\u2028".encode(), "\u00e9".encode("cp1252"),
    b"{", b"}", b"[", b"]", b'{"text": ', b'"label": ', b'{"source": "a", "target": "b"}',
    b'{"image": "a.jpg", "caption": "a dog"}', b"null", b"NaN", b"1e999", b"true", b"-0",
    b"x" * 200_000,  # longer than csv's default field limit
    b"," * 20_000, b"\t" * 20_000,  # huge field counts
    b'"' + b"y" * 5_000,  # an unbalanced quote before a long tail
]

FRAGMENTED = st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map(b"".join)
CONTENTS = st.one_of(st.binary(max_size=2_000), FRAGMENTED)


def _headed(header: bytes, separator: bytes):
    """A header line, then rows of fragments: missing, extra and hostile columns."""
    row = st.lists(st.sampled_from(_FRAGMENTS[:30]), max_size=6).map(separator.join)
    return st.tuples(st.sampled_from([b"", codecs.BOM_UTF8]), st.lists(row, max_size=8),
                     st.sampled_from([b"\n", b"\r\n", b"\r"])).map(
        lambda parts: parts[0] + header + parts[2] + parts[2].join(parts[1]))


def _ends_cleanly(read, *paths: Path):
    """`read()` returns, or raises a DataError whose message names one of `paths`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read()
    except DataError as error:
        message = str(error)
        assert message and "\n" not in message.strip(), message
        assert any(p.name in message for p in paths), (message, paths)
        return None


def _write(folder: str, name: str, contents: bytes) -> Path:
    path = Path(folder) / name
    path.write_bytes(contents)
    return path


# ----------------------------------------------------------------------------- labelled texts
@FUZZ
@given(contents=st.one_of(CONTENTS, _headed(b"text,label", b","), _headed(b"text\tlabel", b"\t")),
       suffix=st.sampled_from([".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json", ".txt"]),
       encoding=ENCODINGS)
def test_read_labelled_texts_from_a_file(contents, suffix, encoding):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "reviews" + suffix, contents)
        data = _ends_cleanly(lambda: read_labelled_texts(path, encoding=encoding), path)
        if data is not None:
            assert len(data.texts) == len(data.labels) > 0
            assert all(isinstance(t, str) and isinstance(l, str) for t, l in zip(data.texts, data.labels))


@FUZZ
@given(rows=st.lists(st.fixed_dictionaries({}, optional={
    "text": st.one_of(st.text(max_size=30), st.integers(), st.none(), st.floats(), st.lists(st.integers(), max_size=2)),
    "label": st.one_of(st.text(max_size=5), st.integers(), st.none(), st.booleans(), st.floats()),
    "other": st.text(max_size=5)}), max_size=6),
    as_array=st.booleans(), suffix=st.sampled_from([".jsonl", ".json"]))
def test_read_labelled_texts_from_hostile_json(rows, as_array, suffix):
    contents = json.dumps(rows) if as_array else "\n".join(json.dumps(row) for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "reviews" + suffix, contents.encode())
        _ends_cleanly(lambda: read_labelled_texts(path), path)


@FUZZ
@given(classes=st.dictionaries(st.sampled_from(["pos", "neg", ".hidden", "unsup", "x y"]),
                               st.lists(CONTENTS, max_size=3), max_size=3),
       loose=st.booleans(), encoding=ENCODINGS)
def test_read_labelled_texts_from_class_folders(classes, loose, encoding):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "train"
        root.mkdir()
        if loose:
            (root / "README.txt").write_bytes(b"\xff\x00 not a class")
        for name, files in classes.items():
            (root / name).mkdir()
            for index, contents in enumerate(files):
                (root / name / f"{index}.txt").write_bytes(contents)
        data = _ends_cleanly(lambda: read_labelled_texts(root, encoding=encoding), root)
        if data is not None:
            assert len(data) > 0 and set(data.labels) <= set(classes)


# ----------------------------------------------------------------------------- plain text
@FUZZ
@given(contents=CONTENTS, encoding=ENCODINGS, as_folder=st.booleans())
def test_read_texts_and_read_corpus(contents, encoding, as_folder):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "corpus.txt", contents)
        texts = _ends_cleanly(lambda: read_texts(path, encoding=encoding), path)
        if texts is not None:
            assert all(isinstance(t, str) for t in texts)
        target = Path(folder) if as_folder else path
        corpus = _ends_cleanly(lambda: read_corpus(target, encoding=encoding), path, Path(folder))
        if corpus is not None:
            assert isinstance(corpus, str) and corpus.strip() and "\r\n" not in corpus


def test_missing_plain_text_files_are_data_errors(tmp_path):
    for read in (read_texts, read_corpus, read_labelled_texts, read_parallel, read_captions):
        with pytest.raises(DataError, match="nothing.csv"):
            read(str(tmp_path / "nothing.csv"))


# ----------------------------------------------------------------------------- parallel texts
@FUZZ
@given(contents=st.one_of(CONTENTS, _headed(b"source\ttarget", b"\t"), _headed(b"source,target", b",")),
       suffix=st.sampled_from([".tsv", ".txt", ".csv", ".jsonl", ".json", ""]), encoding=ENCODINGS)
def test_read_parallel_from_one_file(contents, suffix, encoding):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "pairs" + suffix, contents)
        data = _ends_cleanly(lambda: read_parallel(str(path), encoding=encoding), path)
        if data is not None:
            assert len(data.sources) == len(data.targets) > 0


@FUZZ
@given(source=CONTENTS, target=CONTENTS, encoding=ENCODINGS, missing=st.sampled_from([None, "source", "target"]))
def test_read_parallel_from_source_target_files(source, target, encoding, missing):
    with tempfile.TemporaryDirectory() as folder:
        left, right = Path(folder) / "train.de", Path(folder) / "train.en"
        if missing != "source":
            left.write_bytes(source)
        if missing != "target":
            right.write_bytes(target)
        data = _ends_cleanly(lambda: read_parallel(f"{left}:{right}", encoding=encoding), left, right)
        if data is not None:
            assert len(data.sources) == len(data.targets)


# ----------------------------------------------------------------------------- captions
@FUZZ
@given(contents=st.one_of(CONTENTS, _headed(b"image,caption", b","), _headed(b"image\tcaption", b"\t")),
       suffix=st.sampled_from([".txt", ".token", ".csv", ".tsv", ".jsonl", ".ndjson", ".json"]),
       encoding=ENCODINGS)
def test_read_captions_from_caption_files(contents, suffix, encoding):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "captions" + suffix, contents)
        data = _ends_cleanly(lambda: read_captions(path, encoding=encoding), path)
        if data is not None:
            assert len(data.images) == len(data.captions) > 0


@pytest.mark.parametrize("encoding, contents", [("no-such-codec", b"a.jpg#0\ta dog\n"),
                                                ("utf-16", b"a.jpg#0\ta dog\n")], ids=["unknown", "utf16-no-bom"])
def test_read_captions_with_a_bad_encoding_is_a_data_error(tmp_path, encoding, contents):
    path = _write(str(tmp_path), "captions.txt", contents)
    with pytest.raises(DataError, match="captions.txt"):
        read_captions(path, encoding=encoding)


_JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8)


@FUZZ
@given(images=st.one_of(_JSON_VALUE, st.lists(st.fixed_dictionaries({}, optional={
           "id": st.one_of(st.integers(0, 3), _JSON_VALUE), "file_name": st.one_of(st.text(max_size=6), _JSON_VALUE)}),
           max_size=4)),
       annotations=st.one_of(_JSON_VALUE, st.lists(st.fixed_dictionaries({}, optional={
           "image_id": st.one_of(st.integers(0, 3), _JSON_VALUE), "caption": st.one_of(st.text(max_size=10), _JSON_VALUE)}),
           max_size=4)),
       drop=st.sampled_from([None, "images", "annotations"]))
def test_read_captions_from_hostile_coco_json(images, annotations, drop):
    document = {"images": images, "annotations": annotations}
    document.pop(drop, None)
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, "captions_train.json", json.dumps(document).encode())
        _ends_cleanly(lambda: read_captions(path), path)


# ----------------------------------------------------------------------------- images
_PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS"
        b"\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00"
        b"\x00\x00IEND\xaeB`\x82")


@FUZZ
@given(files=st.lists(st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda tail: b"\xff\xd8\xff" + tail),
    st.binary(max_size=300).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
    st.integers(8, len(_PNG) - 1).map(lambda cut: _PNG[:cut]),  # a PNG cut short
    st.just(_PNG)), min_size=1, max_size=4))
def test_image_checks_say_why_an_image_is_unusable_and_never_raise(files):
    from seqzoo.data.image_files import usable_images

    problems = usable_images(contents=files)
    assert len(problems) == len(files)
    assert set(problems) <= {None, "missing", "not JPEG or PNG", "unreadable"}
    with tempfile.TemporaryDirectory() as folder:
        paths = [str(_write(folder, f"{i}.jpg", contents)) for i, contents in enumerate(files)]
        assert usable_images(paths + [str(Path(folder) / "gone.jpg"), folder]) == problems + ["missing", "missing"]
    for contents, problem in zip(files, problems):
        if contents == _PNG:
            assert problem is None


def test_decode_image_of_a_usable_image_has_the_asked_shape():
    from seqzoo.data.image_files import decode_image

    assert tuple(decode_image(_PNG, 5, 7).shape) == (5, 7, 3)
