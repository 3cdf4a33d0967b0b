"""Images in tf.data: JPEG / PNG bytes decoded and resized in the graph, and a check
that drops the captioned images that cannot be read.

`decode_image` is the one decoding function of the captioning template: the training
pipeline maps it over file contents, and the exported SavedModel runs it on the image
bytes it is sent, so both see the same pixels.

Examples:

>>> import tensorflow as tf
>>> png = tf.io.encode_png(tf.fill([4, 6, 1], tf.constant(200, tf.uint8)))
>>> image = decode_image(png, 8, 12)
>>> image.shape.as_list(), float(image[0, 0, 0])
([8, 12, 3], 200.0)
"""

from __future__ import annotations

import os
import warnings
from typing import Sequence

import numpy as np
import tensorflow as tf

from seqzoo.data.caption_readers import CaptionedImages
from seqzoo.data.errors import DataError
from seqzoo.data.progress import track

__all__ = ["decode_image", "image_format", "usable_images", "drop_unusable_images", "SkippedImagesWarning"]

_MAGIC = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}


class SkippedImagesWarning(UserWarning):
    """Some captioned images were missing or unreadable and were left out."""


def decode_image(contents, height: int, width: int) -> tf.Tensor:
    """JPEG or PNG bytes (scalar string tensor) -> float32 `[height, width, 3]` in 0..255.

    Grey images get three equal channels, an alpha channel is dropped; the image is
    resized (bilinear, with antialiasing when shrinking) to `height` x `width`
    without keeping its aspect ratio.
    """
    image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    image = tf.image.resize(tf.cast(image, tf.float32), [height, width], antialias=True)
    return tf.clip_by_value(image, 0.0, 255.0)


def image_format(header: bytes) -> str | None:
    """"jpeg" or "png" from a file's first bytes, else None (GIF, BMP, text...).

    Examples:

    >>> image_format(b"\\x89PNG\\r\\n\\x1a\\n..."), image_format(b"GIF89a"), image_format(b"hello")
    ('png', None, None)
    """
    for magic, name in _MAGIC.items():
        if header.startswith(magic):
            return name
    return None


def usable_images(paths: Sequence[str] = (), contents: Sequence[bytes] | None = None) -> list[str | None]:
    """For each image, None when it decodes as JPEG or PNG, else why not: "missing",
    "not JPEG or PNG" or "unreadable" (the decoder failed). Decoding runs in parallel in
    one tf.data pass."""
    count = len(contents) if contents is not None else len(paths)
    problems: list[str | None] = [None] * count
    candidates = []
    for index in range(count):
        if contents is not None:
            header = contents[index][:8]
        else:
            try:
                with open(paths[index], "rb") as file:
                    header = file.read(8)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                problems[index] = "missing"
                continue
            except OSError:
                problems[index] = "unreadable"
                continue
        if image_format(header) is None:
            problems[index] = "not JPEG or PNG"
        else:
            candidates.append(index)
    if not candidates:
        return problems

    def check(index):
        data = tf.gather(source, index) if contents is not None else tf.io.read_file(tf.gather(source, index))
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        return index, tf.shape(image)[0] * tf.shape(image)[1]

    source = tf.constant(list(contents) if contents is not None else list(paths))
    dataset = tf.data.Dataset.from_tensor_slices(np.array(candidates, np.int64)).map(
        check, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False
    ).ignore_errors()
    decoding = track(dataset.as_numpy_iterator(), "decoding images", "images", total=len(candidates), check_every=64)
    decoded = {int(index): int(pixels) for index, pixels in decoding}
    for index in candidates:
        if decoded.get(index, 0) <= 0:
            problems[index] = "unreadable"
    return problems


def drop_unusable_images(data: CaptionedImages) -> CaptionedImages:
    """The images of `data` that can be decoded; the others (missing, unreadable, not JPEG
    or PNG) are counted in one `SkippedImagesWarning`. No usable image at all is a
    `DataError` naming the image folder."""
    problems = usable_images(data.paths() if data.contents is None else (), data.contents)
    keep = [i for i, problem in enumerate(problems) if problem is None]
    where = data.folder or data.source
    if not keep:
        reasons = sorted({p for p in problems if p})
        raise DataError(f"{where}: none of the {len(data)} images named in {data.source} could be read "
                        f"({', '.join(reasons)}); check --images.")
    if len(keep) < len(data):
        skipped = [i for i, problem in enumerate(problems) if problem is not None]
        kinds = {}
        for i in skipped:
            kinds[problems[i]] = kinds.get(problems[i], 0) + 1
        detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        examples = ", ".join(os.path.basename(data.images[i]) for i in skipped[:3])
        captions = sum(len(data.captions[i]) for i in skipped)
        warnings.warn(
            f"{len(skipped)} of {len(data)} images in {where} ({captions} captions) were skipped: "
            f"{detail} (e.g. {examples}).",
            SkippedImagesWarning,
            stacklevel=2,
        )
    return data.subset(keep)
