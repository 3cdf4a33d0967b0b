"""The built-in captioning data set: "digit-strings", handwritten digits side by side.

Made from real images that ship with scikit-learn (a dependency): the 1,797 scanned
handwritten digits of `sklearn.datasets.load_digits` (8x8 pixels, 16 grey levels, from
the UCI "Optical Recognition of Handwritten Digits" set). Nothing is downloaded.

How an image is made (`random.Random(seed)`, so the same seed gives the same set):

1. draw 2 to 4 digits (each one of the 1,797 scans, uniformly);
2. scale each scan to 0..255 and upscale it 3x (24x24 pixels, nearest neighbour);
3. place them left to right on a black 32x112 canvas, with random gaps between them
   (the free width is split at random) and a random vertical offset of 0 to 8 pixels;
4. encode the canvas as a greyscale PNG (in memory, pure Python `zlib`).

Each image has two reference captions, which name the digits in reading order:

    "three one four"   and   "a three , a one and a four"

("an eight" where the digit is an 8, so the article already depends on the digit that
follows it), so a caption's word order follows the image from left to right, and a model that
attends to image regions has something to find (the attention of the word "four" should
sit on the last digit). The vocabulary has 14 words; a caption that ignores the image
cannot do better than guessing digits (see docs/tasks/captioning.md for the BLEU
of the most frequent caption).

Examples:

>>> data = load_digit_strings(seed=0, size=3)
>>> len(data), data.contents[0][:4], len(data.captions[0])
(3, b'\\x89PNG', 2)
>>> words = data.captions[0][0].split()
>>> 2 <= len(words) <= 4 and data.captions[0][1].startswith(("a ", "an "))
True
"""

from __future__ import annotations

import random
import struct
import zlib

import numpy as np

from seqzoo.data.caption_readers import CaptionedImages

__all__ = ["load_digit_strings", "encode_png", "DEFAULT_SIZE", "IMAGE_HEIGHT", "IMAGE_WIDTH", "DIGIT_WORDS", "digit_accuracy"]

DEFAULT_SIZE = 3000
IMAGE_HEIGHT, IMAGE_WIDTH = 32, 112
SCALE = 3
MIN_DIGITS, MAX_DIGITS = 2, 4
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def encode_png(pixels: np.ndarray) -> bytes:
    """A greyscale uint8 array `[height, width]` as PNG bytes (no dependency but zlib).

    Examples:

    >>> import numpy as np
    >>> encode_png(np.zeros((2, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))  # filter type 0 per row
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


def _captions(digits: list[int]) -> list[str]:
    words = [DIGIT_WORDS[d] for d in digits]
    listed = [f"{'an' if word == 'eight' else 'a'} {word}" for word in words]
    spoken = " , ".join(listed[:-1]) + " and " + listed[-1]
    return [" ".join(words), spoken]


def load_digit_strings(seed: int = 0, size: int | None = None) -> CaptionedImages:
    """Generate the "digit-strings" captioned images (see the module docstring).

    Args:
        seed: the same seed always gives the same images and captions.
        size: number of images (default 3000; a few seconds).

    Returns:
        `CaptionedImages` with the PNG bytes in `contents` and two captions per image.
    """
    from sklearn.datasets import load_digits

    size = DEFAULT_SIZE if size is None else size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}.")
    digits = load_digits()
    scans = (digits.images * (255.0 / 16.0)).round().astype(np.uint8)
    labels = digits.target.astype(int)
    rng = random.Random(seed)
    side = 8 * SCALE
    names, captions, contents = [], [], []
    for index in range(size):
        count = rng.randint(MIN_DIGITS, MAX_DIGITS)
        chosen = [rng.randrange(len(scans)) for _ in range(count)]
        free = IMAGE_WIDTH - count * side
        cuts = sorted(rng.randint(0, free) for _ in range(count))
        canvas = np.zeros((IMAGE_HEIGHT, IMAGE_WIDTH), np.uint8)
        left = 0
        for position, scan_index in enumerate(chosen):
            x = left + cuts[position] - (cuts[position - 1] if position else 0)
            y = rng.randint(0, IMAGE_HEIGHT - side)
            canvas[y:y + side, x:x + side] = np.kron(scans[scan_index], np.ones((SCALE, SCALE), np.uint8))
            left = x + side
        digits_here = [int(labels[i]) for i in chosen]
        names.append(f"digits-{index:05d}-{''.join(map(str, digits_here))}.png")
        captions.append(_captions(digits_here))
        contents.append(encode_png(canvas))
    return CaptionedImages(names, captions, f"digit-strings (built-in, seed={seed}, size={size})",
                           folder=None, contents=contents)


def digit_accuracy(captions: list[str], references: list[list[str]]) -> float:
    """The fraction of digits named right, position by position (chance: 0.1).

    BLEU rewards the caption template ("a", "and", ",") and the right number of digits
    even when every digit is wrong; this counts only the digits: the k-th digit word of a
    caption against the k-th digit of the image (from its first reference), over all
    digits of all images. Missing digits count as wrong, extra ones are ignored.

    Examples:

    >>> digit_accuracy(["a three, a one and a nine"], [["three one four"]])
    0.6666666666666666
    """
    import re

    names = set(DIGIT_WORDS)
    right = total = 0
    for caption, refs in zip(captions, references):
        # Words only: a detokenised caption attaches commas ("a three, a one").
        said = [word for word in re.findall(r"[a-z]+", caption.lower()) if word in names]
        truth = [word for word in re.findall(r"[a-z]+", refs[0].lower()) if word in names]
        right += sum(a == b for a, b in zip(said, truth))
        total += len(truth)
    return right / max(total, 1)
