"""Captioned images: caption files in the common layouts -> images with their references.

Layouts (chosen by the file, not by a flag):

- Flickr8k / Flickr30k token files (`Flickr8k.token.txt`): `image#n<TAB>caption`, one
  caption a line, several lines per image; a list of image names one per line
  (`Flickr_8k.trainImages.txt`) selects a split (`read_image_list`).
- COCO captions JSON (`captions_train2014.json`): `{"images": [{"id", "file_name"}...],
  "annotations": [{"image_id", "caption"}...]}`.
- CSV / TSV with a header, or JSON Lines: an `image` and a `caption` column (the names
  can be changed); one row per caption, so an image may appear on several rows.

Every reader groups the captions by image, in the order images first appear, and returns
a `CaptionedImages`. Image files are only named here (no decoding, pure Python);
`seqzoo.data.image_files.usable_images` checks that they can be read.

Examples:

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "Flickr8k.token.txt")
>>> with open(path, "w") as file:
...     _ = file.write("a.jpg#0\\tA dog runs .\\na.jpg#1\\tA brown dog .\\nb.jpg#0\\tTwo cats .\\n")
>>> data = read_captions(path, images=folder)
>>> data.images, data.captions
(['a.jpg', 'b.jpg'], [['A dog runs .', 'A brown dog .'], ['Two cats .']])
>>> data.num_captions
3
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from seqzoo.data.errors import DataError
from seqzoo.data.readers import allow_long_csv_fields

__all__ = ["CaptionedImages", "read_captions", "read_image_list", "select_images"]


@dataclass
class CaptionedImages:
    """Images and their reference captions.

    Args:
        images: image names as the caption file gives them (relative to `folder`), or
            labels of in-memory images.
        captions: the reference captions of each image (at least one each).
        source: where the data came from (file name or built-in name), for messages.
        folder: the folder the image names are relative to (None for in-memory images).
        contents: the encoded images (JPEG or PNG bytes) when they live in memory
            (built-in data), else None.

    Examples:

    >>> data = CaptionedImages(["a.png", "b.png"], [["one"], ["two", "a two"]], "toy")
    >>> len(data), data.num_captions, data.subset([1]).captions
    (2, 3, [['two', 'a two']])
    """

    images: list[str]
    captions: list[list[str]]
    source: str
    folder: str | None = None
    contents: list[bytes] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def num_captions(self) -> int:
        return sum(len(c) for c in self.captions)

    def paths(self) -> list[str]:
        """The image files (folder joined with each name)."""
        folder = self.folder or ""
        return [os.path.join(folder, name) for name in self.images]

    def subset(self, indices: Sequence[int]) -> "CaptionedImages":
        return CaptionedImages(
            [self.images[i] for i in indices],
            [list(self.captions[i]) for i in indices],
            self.source,
            self.folder,
            None if self.contents is None else [self.contents[i] for i in indices],
        )


def _group(rows: list[tuple[str, str, int]], path: str, folder) -> CaptionedImages:
    """(image, caption, line) rows -> CaptionedImages; an empty caption is an error."""
    order: dict[str, list[str]] = {}
    for image, caption, line in rows:
        caption = " ".join(caption.split())
        if not caption:
            raise DataError(f"{path}, line {line}: the caption is empty.")
        if not image:
            raise DataError(f"{path}, line {line}: the image name is empty.")
        order.setdefault(image, []).append(caption)
    if not order:
        raise DataError(f"{path}: no captions found.")
    return CaptionedImages(list(order), list(order.values()), str(path), None if folder is None else str(folder))


def _read_text(path: Path, encoding: str) -> str:
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; pass the caption file (and the images with --images).") from None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise DataError(
            f"{path}, line {line}: not valid {encoding} (byte 0x{error.object[error.start]:02x}); "
            f"pass --encoding, e.g. --encoding cp1252"
        ) from None
    except LookupError:
        raise DataError(f"{path}: {encoding!r} is not a text encoding Python knows; pass --encoding, "
                        "e.g. --encoding utf-8") from None
    except UnicodeError as error:  # e.g. UTF-16 without a byte-order mark
        raise DataError(f"{path}: not valid {encoding} ({error}); pass --encoding, e.g. --encoding utf-8") from None


def _read_flickr(path: Path, text: str, folder) -> CaptionedImages:
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        name, tab, caption = line.partition("\t")
        if not tab or "#" not in name:
            raise DataError(
                f"{path}, line {number}: expected the Flickr8k layout 'image.jpg#0<TAB>caption' "
                f"(or use a .csv/.jsonl file with image and caption columns, or COCO captions .json)."
            )
        rows.append((name.rsplit("#", 1)[0].strip(), caption, number))
    return _group(rows, str(path), folder)


def _read_coco(path: Path, text: str, folder) -> CaptionedImages:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{path}, line {error.lineno}: not valid JSON ({error.msg}).") from None
    if not isinstance(document, dict) or "images" not in document or "annotations" not in document:
        raise DataError(
            f"{path}: expected the COCO captions layout, an object with 'images' and "
            f"'annotations' (use .jsonl for one JSON object per caption)."
        )
    try:
        names = {image["id"]: image["file_name"] for image in document["images"]}
        rows = []
        for number, annotation in enumerate(document["annotations"], start=1):
            if annotation["image_id"] not in names:
                raise DataError(f"{path}: annotation {number} names image id {annotation['image_id']}, "
                                f"which is not among the images.")
            rows.append((names[annotation["image_id"]], str(annotation["caption"]), number))
    except (KeyError, TypeError) as error:
        raise DataError(f"{path}: a COCO image lacks 'id'/'file_name' or an annotation lacks "
                        f"'image_id'/'caption' ({error!r}).") from None
    # "line" is the annotation number in a COCO file.
    try:
        return _group(rows, str(path), folder)
    except DataError as error:
        raise DataError(str(error).replace(", line ", ", annotation ")) from None


def _read_jsonl(path: Path, text: str, folder, image_column, caption_column) -> CaptionedImages:
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}, line {number}: not valid JSON ({error.msg}).") from None
        if not isinstance(record, dict) or image_column not in record or caption_column not in record:
            found = ", ".join(record) if isinstance(record, dict) else type(record).__name__
            raise DataError(f"{path}, line {number}: expected keys {image_column!r} and {caption_column!r}; "
                            f"found {found}.")
        rows.append((str(record[image_column]).strip(), str(record[caption_column]), number))
    return _group(rows, str(path), folder)


def _read_table(path: Path, text: str, folder, image_column, caption_column, delimiter) -> CaptionedImages:
    allow_long_csv_fields()
    reader = csv.reader(text.split("\n"), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise DataError(f"{path}: the file is empty.")
    header = [h.strip() for h in header]
    missing = [c for c in (image_column, caption_column) if c not in header]
    if missing:
        raise DataError(f"{path}, line 1: no column {missing[0]!r}; the columns are: {', '.join(header)} "
                        f"(pass --image-column / --caption-column).")
    image_at, caption_at = header.index(image_column), header.index(caption_column)
    rows = []
    for number, row in enumerate(reader, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}, line {number}: {len(row)} fields, the header has {len(header)}.")
        rows.append((row[image_at].strip(), row[caption_at], number))
    return _group(rows, str(path), folder)


def read_captions(
    path,
    images=None,
    image_column: str = "image",
    caption_column: str = "caption",
    encoding: str = "utf-8",
) -> CaptionedImages:
    """Read a caption file (Flickr8k token file, COCO captions JSON, CSV/TSV, JSON Lines).

    Args:
        path: the caption file.
        images: the folder that holds the images (default: the caption file's folder).
        image_column, caption_column: column names (keys) of CSV, TSV and JSON Lines.
        encoding: text encoding of the file.

    Returns:
        `CaptionedImages` with the captions grouped by image.

    Raises:
        DataError: missing file, wrong layout (naming the layouts understood), empty
            caption (naming the line), unknown columns.
    """
    path = Path(path)
    text = _read_text(path, encoding).lstrip("\ufeff")
    folder = Path(images) if images is not None else path.parent
    if images is not None and not folder.is_dir():
        raise DataError(f"{folder}: no such image folder.")
    suffix = path.suffix.lower()
    if not text.strip():
        raise DataError(f"{path}: the file is empty.")
    if suffix == ".json":
        return _read_coco(path, text, folder)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, text, folder, image_column, caption_column)
    if suffix == ".csv":
        return _read_table(path, text, folder, image_column, caption_column, ",")
    if suffix == ".tsv":
        return _read_table(path, text, folder, image_column, caption_column, "\t")
    return _read_flickr(path, text, folder)


def read_image_list(path, encoding: str = "utf-8") -> list[str]:
    """Image names, one per line (the Flickr8k split files); blank lines dropped.

    Examples:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "train.txt")
    >>> with open(path, "w") as file:
    ...     _ = file.write("a.jpg\\n\\nb.jpg\\n")
    >>> read_image_list(path)
    ['a.jpg', 'b.jpg']
    """
    names = [line.strip() for line in _read_text(Path(path), encoding).split("\n")]
    names = [name for name in names if name]
    if not names:
        raise DataError(f"{path}: lists no image names.")
    return names


def select_images(data: CaptionedImages, names: Sequence[str], list_path: str) -> CaptionedImages:
    """The images of `data` named in `names` (in their order in `data`); a list that names
    none of them is an error naming `list_path`."""
    wanted = set(names)
    indices = [i for i, name in enumerate(data.images) if name in wanted]
    if not indices:
        raise DataError(f"{list_path}: none of its {len(wanted)} image names has captions in {data.source}.")
    return data.subset(indices)
