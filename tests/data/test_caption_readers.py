"""Caption files in each layout, image checks, and the built-in digit-strings set."""

from __future__ import annotations

import doctest
import importlib
import json
import warnings

import numpy as np
import pytest
import tensorflow as tf

from seqzoo.data.builtin import BUILTIN_DATASETS, list_builtin_datasets
from seqzoo.data.builtin_digit_captions import DIGIT_WORDS, IMAGE_HEIGHT, IMAGE_WIDTH, load_digit_strings
from seqzoo.data.caption_readers import read_captions, read_image_list, select_images
from seqzoo.data.errors import DataError
from seqzoo.data.image_files import SkippedImagesWarning, decode_image, drop_unusable_images, usable_images


def write_image(path, kind="jpeg", value=128, size=(10, 14)):
    pixels = tf.fill([*size, 3], tf.constant(value, tf.uint8))
    data = tf.io.encode_jpeg(pixels) if kind == "jpeg" else tf.io.encode_png(pixels)
    path.write_bytes(data.numpy())
    return path


@pytest.fixture
def folder(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    write_image(images / "a.jpg", "jpeg", 30)
    write_image(images / "b.png", "png", 200)
    write_image(images / "c.jpg", "jpeg", 90)
    return images


def test_flickr8k_layout_groups_references_and_split_files_select_images(tmp_path, folder):
    tokens = tmp_path / "Flickr8k.token.txt"
    tokens.write_text("a.jpg#0\tA dog runs .\na.jpg#1\tA brown dog runs\nb.png#0\tTwo  cats\n"
                      "c.jpg#0\tA car\nb.png#1\tCats sleep\n", encoding="utf-8")
    data = read_captions(tokens, images=folder)
    assert data.images == ["a.jpg", "b.png", "c.jpg"]
    assert data.captions == [["A dog runs .", "A brown dog runs"], ["Two cats", "Cats sleep"], ["A car"]]
    assert data.num_captions == 5 and data.paths()[1] == str(folder / "b.png")
    (tmp_path / "test.txt").write_text("c.jpg\nmissing.jpg\n\n")
    test = select_images(data, read_image_list(tmp_path / "test.txt"), "test.txt")
    assert test.images == ["c.jpg"] and test.captions == [["A car"]]
    (tmp_path / "other.txt").write_text("zzz.jpg\n")
    with pytest.raises(DataError, match="other.txt"):
        select_images(data, read_image_list(tmp_path / "other.txt"), "other.txt")


def test_coco_json_layout(tmp_path, folder):
    path = tmp_path / "captions_train.json"
    path.write_text(json.dumps({
        "images": [{"id": 7, "file_name": "a.jpg"}, {"id": 9, "file_name": "b.png"}],
        "annotations": [{"image_id": 9, "caption": "cats"}, {"image_id": 7, "caption": "a dog"},
                        {"image_id": 9, "caption": "two cats"}],
    }))
    data = read_captions(path, images=folder)
    assert data.images == ["b.png", "a.jpg"] and data.captions == [["cats", "two cats"], ["a dog"]]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_csv_and_jsonl_with_image_and_caption_columns(tmp_path, folder, suffix):
    rows = [("a.jpg", "a dog"), ("b.png", "a cat"), ("a.jpg", "one dog")]
    path = tmp_path / f"captions{suffix}"
    if suffix == ".csv":
        path.write_text("image,caption\n" + "".join(f"{i},{c}\n" for i, c in rows))
    else:
        path.write_text("".join(json.dumps({"image": i, "caption": c}) + "\n" for i, c in rows))
    data = read_captions(path, images=folder)
    assert data.images == ["a.jpg", "b.png"] and data.captions == [["a dog", "one dog"], ["a cat"]]


def test_empty_caption_names_the_file_and_line(tmp_path, folder):
    path = tmp_path / "captions.csv"
    path.write_text("image,caption\na.jpg,a dog\nb.png,  \n")
    with pytest.raises(DataError, match=r"captions.csv, line 3: the caption is empty"):
        read_captions(path, images=folder)


@pytest.mark.parametrize("name, text, message", [
    ("captions.txt", "image,caption\na.jpg,a dog\n", r"captions.txt, line 1: expected the Flickr8k layout"),
    ("captions.json", json.dumps([{"image": "a.jpg", "caption": "x"}]), r"captions.json: expected the COCO"),
    ("captions.csv", "file,text\na.jpg,a dog\n", r"captions.csv, line 1: no column 'image'.*file, text"),
])
def test_wrong_layout_is_one_data_error_naming_the_file(tmp_path, folder, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_captions(path, images=folder)


def test_missing_corrupt_and_unsupported_images_are_skipped_with_one_warning(tmp_path, folder):
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (folder / "text.jpg").write_text("not an image at all")
    (folder / "anim.gif").write_bytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    path = tmp_path / "captions.csv"
    names = ["a.jpg", "missing.jpg", "corrupt.jpg", "text.jpg", "anim.gif", "b.png"]
    path.write_text("image,caption\n" + "".join(f"{n},caption of {n}\n" for n in names))
    data = read_captions(path, images=folder)
    assert usable_images(data.paths()) == [None, "missing", "unreadable", "not JPEG or PNG", "not JPEG or PNG", None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = drop_unusable_images(data)
    assert kept.images == ["a.jpg", "b.png"]
    assert len(caught) == 1 and issubclass(caught[0].category, SkippedImagesWarning)
    message = str(caught[0].message)
    assert "4 of 6 images" in message and "1 missing" in message and "2 not JPEG or PNG" in message
    assert "1 unreadable" in message and str(folder) in message


def test_no_usable_image_is_a_data_error_naming_the_folder(tmp_path, folder):
    path = tmp_path / "captions.csv"
    path.write_text("image,caption\nnope.jpg,a dog\nnone.png,a cat\n")
    with pytest.raises(DataError, match=f"{folder}: none of the 2 images"):
        drop_unusable_images(read_captions(path, images=folder))


def test_jpeg_and_png_decode_to_three_channels_at_the_asked_size(folder):
    for name, value in (("a.jpg", 30), ("b.png", 200)):
        image = decode_image(tf.io.read_file(str(folder / name)), 6, 9).numpy()
        assert image.shape == (6, 9, 3) and image.dtype == np.float32
        assert abs(float(image.mean()) - value) < 3


def test_digit_strings_captions_name_the_digits_left_to_right():
    data = load_digit_strings(seed=3, size=40)
    assert len(data) == 40 and all(len(c) == 2 for c in data.captions)
    assert BUILTIN_DATASETS["digit-strings"] in list_builtin_datasets(task="captioning")
    for name, (plain, spoken), contents in zip(data.images, data.captions, data.contents):
        digits = name.split("-")[2].split(".")[0]
        assert plain.split() == [DIGIT_WORDS[int(d)] for d in digits]
        assert spoken.replace(" ,", "").replace(" and", "").split()[1::2] == plain.split()
        image = decode_image(contents, IMAGE_HEIGHT, IMAGE_WIDTH).numpy()[..., 0]
        # Ink sits in as many separate column runs as there are digits, or fewer when
        # two digits touch; never more.
        inked = image.max(axis=0) > 60
        runs = int(inked[0]) + int(np.sum(inked[1:] & ~inked[:-1]))
        assert 1 <= runs <= len(digits) + 1
    again = load_digit_strings(seed=3, size=40)
    assert again.captions == data.captions and again.contents == data.contents


@pytest.mark.parametrize("module", ["caption_readers", "image_files", "builtin_digit_captions"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"seqzoo.data.{module}"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
