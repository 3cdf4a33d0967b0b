"""`seqzoo train|evaluate|caption|export` for captioning, end to end on tiny Flickr8k-style data."""

from __future__ import annotations

import json
import warnings

import pytest
import tensorflow as tf

from seqzoo.data.builtin_digit_captions import load_digit_strings
from seqzoo.data.image_files import SkippedImagesWarning
from seqzoo.tasks.cli import main

from tests.tasks.helpers import caption_in_fresh_process
from tests.tasks.helpers import fails as _fails


def write_flickr(tmp_path, count=60, seed=0):
    """Images as PNG (and every third one as JPEG) in Flicker8k_Dataset/, the token file
    with two captions per image, and the three split files; plus one caption whose image
    is missing and one whose JPEG is corrupt."""
    data = load_digit_strings(seed=seed, size=count)
    folder = tmp_path / "Flicker8k_Dataset"
    folder.mkdir()
    names, lines = [], []
    for index, (contents, captions) in enumerate(zip(data.contents, data.captions)):
        if index % 3 == 0:
            name = f"{index:04d}.jpg"
            pixels = tf.io.decode_png(contents, channels=3)
            (folder / name).write_bytes(tf.io.encode_jpeg(pixels, quality=95).numpy())
        else:
            name = f"{index:04d}.png"
            (folder / name).write_bytes(contents)
        names.append(name)
        lines += [f"{name}#{k}\t{caption}" for k, caption in enumerate(captions)]
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00garbage" * 50)
    lines += ["missing.jpg#0\tone two", "corrupt.jpg#0\tthree four"]
    (tmp_path / "Flickr8k.token.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    splits = {"train.txt": names[:40] + ["missing.jpg"], "dev.txt": names[40:50], "test.txt": names[50:] + ["corrupt.jpg"]}
    for file, listed in splits.items():
        (tmp_path / file).write_text("\n".join(listed) + "\n")
    return folder, names


def test_wrong_layout_is_one_line_naming_the_file(capsys, tmp_path):
    (tmp_path / "captions.txt").write_text("image,caption\na.jpg,a dog\n")
    _fails(capsys, ["train", "captioning", "--data", str(tmp_path / "captions.txt"), "--out", str(tmp_path / "r")],
           "captions.txt, line 1", "Flickr8k layout")
    assert not (tmp_path / "r").exists()


def test_no_usable_image_is_one_line_naming_the_folder(capsys, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_text("not a picture")
    (tmp_path / "captions.csv").write_text("image,caption\na.jpg,a dog\nb.jpg,a cat\n")
    _fails(capsys, ["train", "captioning", "--data", str(tmp_path / "captions.csv"), "--images",
                    str(tmp_path / "photos"), "--out", str(tmp_path / "r")], str(tmp_path / "photos"), "none of the 2")


def test_unknown_architecture_and_encoder_list_the_known_ones(capsys, tmp_path):
    _fails(capsys, ["train", "captioning", "--arch", "show-tell", "--out", str(tmp_path / "r")],
           "show-and-tell", "show-attend-tell", "transformer")
    _fails(capsys, ["train", "captioning", "--encoder", "AlexNet", "--out", str(tmp_path / "r")],
           "small-cnn", "MobileNetV3Small", "EfficientNetB0")


def test_archs_lists_every_captioning_architecture(capsys):
    assert main(["archs", "captioning"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("show-and-tell", "show-attend-tell", "transformer"):
        row = next(line for line in lines if line.split()[0] == name)
        assert int(row.split()[1].replace(",", "")) > 1000, row


@pytest.mark.slow
def test_train_evaluate_caption_export_end_to_end(capsys, tmp_path):
    folder, names = write_flickr(tmp_path)
    run = tmp_path / "runs" / "cap"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["train", "captioning", "--arch", "show-attend-tell", "--data",
                     str(tmp_path / "Flickr8k.token.txt"), "--images", str(folder), "--split-files",
                     ":".join(str(tmp_path / f) for f in ("train.txt", "dev.txt", "test.txt")),
                     "--image-size", "24x84", "--cnn-filters", "8,16", "--units", "16", "--embedding-dim", "16",
                     "--epochs", "1", "--batch-size", "16", "--beam-size", "2", "--out", str(run), "--quiet"]) == 0
    skipped = [w for w in caught if issubclass(w.category, SkippedImagesWarning)]
    assert len(skipped) == 1 and "2 of 62 images" in str(skipped[0].message), [str(w.message) for w in caught]
    for name in ("config.json", "run.json", "captions/vocabulary.txt", "model.keras", "metrics.json",
                 "history.csv", "learning_curves.png", "attention_example.png"):
        assert (run / name).exists(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"bleu1", "bleu2", "bleu3", "bleu4"} <= set(metrics) and metrics["examples"] == 10
    assert metrics["references"] == 20  # both captions of each test image
    capsys.readouterr()

    assert main(["evaluate", str(run), "--beam-size", "3", "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["beam_size"] == 3 and evaluated["examples"] == 10

    files = [str(folder / name) for name in names[50:54]]
    plot = tmp_path / "photo_attention.png"
    assert main(["caption", str(run), files[0], "--beam-size", "3", "--attention-plot", str(plot)]) == 0
    assert capsys.readouterr().out.strip() and plot.stat().st_size > 1000
    assert main(["caption", str(run), *files, "--json"]) == 0  # the run's beam size, as the export
    captions = [json.loads(line)["caption"] for line in capsys.readouterr().out.splitlines()]
    assert len(captions) == 4

    exported = tmp_path / "exported" / "cap"
    assert main(["export", str(run), "--out", str(exported)]) == 0
    capsys.readouterr()
    assert caption_in_fresh_process(exported / "1", files) == [captions, captions]  # version 1; two batch sizes

    _fails(capsys, ["caption", str(run), str(folder / "corrupt.jpg")], "corrupt.jpg", "unreadable")
