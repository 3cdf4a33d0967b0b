"""seqzoo's reference client for a LiteRT or ONNX export: tokenise, run, decode.

`seqzoo export RUN --format litert|onnx --out DIR` copies this file into DIR as
`client.py`. It needs only numpy, the Python standard library, the runtime
(`ai_edge_litert`, else `tflite_runtime`, else `tensorflow.lite`; or `onnxruntime`) and,
to caption images, Pillow: no seqzoo, no TensorFlow. It reads DIR's `portable.json`,
tokenises text as seqzoo's `TextPreprocessor` does (case folding, Unicode normalisation,
word / character / WordPiece splitting, the vocabulary's reserved ids), runs the graphs,
and decodes: the classifier's probabilities, or a greedy one-step loop for the
generating tasks (the SavedModel decodes with beam search or sampling; this client shows
the contract, kept short and readable rather than fast).

    python client.py DIR "what a wonderful film" "a dull mess"      # sentiment
    python client.py DIR "To be, or not" --max-tokens 40            # language model
    python client.py DIR "Monday, March 5, 2021"                    # translation
    python client.py DIR --image photo.png                          # captioning

Each prints one JSON object per input.

Examples:

>>> vocabulary = ["[PAD]", "[UNK]", "[START]", "[END]", "film", "##s", ",", "don", "'", "t"]
>>> tokens(vocabulary, {"level": "subword", "lowercase": True, "normalization": "NFKC"}, "Films, don't!")
['film', '##s', ',', 'don', "'", 't', '[UNK]']
>>> tokens(["[PAD]"], {"level": "word", "lowercase": True, "normalization": "NFKC"}, "Don't 'quote' me")
["don't", "'", 'quote', "'", 'me']
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np

PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3
RESERVED = ("[PAD]", "[UNK]", "[START]", "[END]")
UNK = "[UNK]"
JOINER = "##"
MAX_BYTES_PER_WORD = 100  # tensorflow-text's WordpieceTokenizer: longer words are [UNK]

# ----------------------------------------------------------------------------- tokenising
# seqzoo's RE2 patterns, over character classes: "w" a letter, digit or mark (\p{L}\p{N}\p{M})
# outside Han, "h" a Han character, "s" RE2's \s ([\t\n\f\r ]), "'" the apostrophe, "p" the rest.
_SPACE = set("\t\n\f\r ")
_TYPOGRAPHIC_APOSTROPHES = re.compile("[\u2019\u02bc]")
# The Han script's blocks (Unicode Scripts.txt), as RE2's \p{Han} reads them.
_HAN = ((0x2E80, 0x2E99), (0x2E9B, 0x2EF3), (0x2F00, 0x2FD5), (0x3005, 0x3005), (0x3007, 0x3007),
        (0x3021, 0x3029), (0x3038, 0x303B), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFA6D),
        (0xFA70, 0xFAD9), (0x16FE2, 0x16FE3), (0x16FF0, 0x16FF1), (0x20000, 0x2A6DF), (0x2A700, 0x2EBE0),
        (0x2F800, 0x2FA1D), (0x30000, 0x323AF))


def _is_han(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _HAN)


def _char_class(char: str) -> str:
    if char in _SPACE:
        return "s"
    if char == "'":
        return "'"
    if _is_han(char):
        return "h"
    return "w" if unicodedata.category(char)[0] in "LNM" else "p"


def _classes(text: str) -> str:
    return "".join(_char_class(char) for char in text)


def _replace(text: str, pattern: str, replacement) -> str:
    """`re.sub` of a pattern over `_classes(text)`, the replacement built from `text`'s
    own characters (`replacement(match, text) -> str`)."""
    pieces, position = [], 0
    for match in re.finditer(pattern, _classes(text)):
        pieces += [text[position:match.start()], replacement(match, text)]
        position = match.end()
    return "".join(pieces) + text[position:]


def _normalise(text: str, settings: dict) -> str:
    if settings["lowercase"]:
        text = text.casefold()  # full Unicode case folding, as tensorflow-text's case_fold_utf8
    if settings["normalization"]:
        text = unicodedata.normalize(settings["normalization"], text)
    return text


def _words(text: str, level: str) -> list[str]:
    """Words and punctuation marks, as `TextPreprocessor._words` splits them."""
    text = _TYPOGRAPHIC_APOSTROPHES.sub("'", text)
    delimiter = "s+|[ph']" if level == "subword" else "s+|[ph]"
    if level != "subword":
        # An apostrophe at a word's edge becomes a token of its own.
        text = _replace(text, "(^|[^wh])'", lambda m, t: t[m.start(1):m.end(1)] + " ' ")
        text = _replace(text, "'([^wh]|$)", lambda m, t: " ' " + t[m.start(1):m.end(1)])
    words, position = [], 0
    for match in re.finditer(delimiter, _classes(text)):
        if match.start() > position:
            words.append(text[position:match.start()])
        if not text[match.start()] in _SPACE:  # punctuation is kept, whitespace dropped
            words.append(text[match.start():match.end()])
        position = match.end()
    if position < len(text):
        words.append(text[position:])
    return words


def _wordpiece(word: str, vocabulary: set) -> list[str]:
    """Greedy longest-match-first WordPiece; a word with an unknown piece is [UNK]."""
    if len(word.encode("utf-8")) > MAX_BYTES_PER_WORD:
        return [UNK]
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = (JOINER if start else "") + word[start:end]
            if piece in vocabulary:
                break
            end -= 1
        if end == start:
            return [UNK]
        pieces.append(piece)
        start = end
    return pieces


def tokens(vocabulary: list[str], settings: dict, text: str) -> list[str]:
    """The tokens of `text` under a preprocessor's settings (`preprocessor.json`)."""
    text = _normalise(text, settings)
    if settings["level"] == "char":
        return list(text)
    words = _words(text, settings["level"])
    if settings["level"] == "word":
        return words
    known = set(vocabulary)
    return [piece for word in words for piece in _wordpiece(word, known)]


def _unescape(line: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "t": "\t"}.get(m[1], m[1]), line)


class Preprocessor:
    """A folder's `vocabulary.txt` (one token a line, `\\n`-style escapes) and
    `preprocessor.json`: text to ids and ids back to text."""

    def __init__(self, folder: Path):
        lines = (folder / "vocabulary.txt").read_text(encoding="utf-8").split("\n")
        self.vocabulary = [_unescape(line.removesuffix("\r")) for line in lines if line != ""]
        if tuple(self.vocabulary[:4]) != RESERVED:
            raise ValueError(f"{folder / 'vocabulary.txt'}: the first four tokens must be {list(RESERVED)}.")
        self.ids = {token: index for index, token in enumerate(self.vocabulary)}
        self.settings = json.loads((folder / "preprocessor.json").read_text(encoding="utf-8"))

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(token, UNK_ID) for token in tokens(self.vocabulary, self.settings, text)]

    def decode(self, ids) -> str:
        """Tokens up to the first [END], without [PAD] and [START], joined as seqzoo does."""
        words = []
        for token_id in ids:
            token_id = int(token_id)
            if token_id == END_ID:
                break
            if token_id not in (PAD_ID, START_ID):
                words.append(self.vocabulary[token_id] if token_id < len(self.vocabulary) else UNK)
        if self.settings["level"] == "char":
            return "".join(words)
        text = " ".join(words)
        return text.replace(" " + JOINER, "") if self.settings["level"] == "subword" else text


def tidy(text: str) -> str:
    """No space before closing punctuation, no space at the ends (seqzoo's `tidy_text`)."""
    return re.sub(r" ([.,!?;:%)\]}])", r"\1", text).strip(" \t\n\r\f\v")


def padded(rows: list[list[int]], length: int) -> np.ndarray:
    """Rows cut to `length` ids and padded with 0 to it: the graphs' fixed length."""
    ids = np.zeros((len(rows), length), np.int32)
    for index, row in enumerate(rows):
        row = row[:length]
        ids[index, :len(row)] = row
    return ids


# ----------------------------------------------------------------------------- images
def _resize_matrix(size: int, new_size: int) -> np.ndarray:
    """Antialiased bilinear (triangle-kernel) resampling weights [new_size, size], as
    TensorFlow's `tf.image.resize(..., antialias=True)` computes them."""
    inverse_scale = size / new_size
    kernel_scale = max(inverse_scale, 1.0)  # widened when shrinking: the antialiasing
    centres = (np.arange(new_size) + 0.5) * inverse_scale
    offsets = (np.arange(size)[None, :] + 0.5 - centres[:, None]) / kernel_scale
    weights = np.maximum(0.0, 1.0 - np.abs(offsets))
    return weights / weights.sum(axis=1, keepdims=True)


def load_image(contents: bytes, height: int, width: int) -> np.ndarray:
    """JPEG or PNG bytes -> float32 [height, width, 3] in 0..255, as the SavedModel reads it."""
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(contents)).convert("RGB"), np.float64)
    rows, columns = _resize_matrix(pixels.shape[0], height), _resize_matrix(pixels.shape[1], width)
    resized = np.einsum("ij,jkc,lk->ilc", rows, pixels, columns)
    return np.clip(resized, 0.0, 255.0).astype(np.float32)


# ----------------------------------------------------------------------------- runtimes
class LiteRTGraph:
    """A `.tflite` graph called with named inputs, returning named outputs."""

    def __init__(self, path: Path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            try:
                from tflite_runtime.interpreter import Interpreter
            except ImportError:
                from tensorflow.lite import Interpreter
        self.runner = Interpreter(model_path=str(path)).get_signature_runner()

    def __call__(self, **inputs) -> dict:
        return {name: np.asarray(value) for name, value in self.runner(**inputs).items()}


class ONNXGraph:
    """An `.onnx` graph called with named inputs, returning named outputs."""

    def __init__(self, path: Path):
        import onnxruntime

        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.names = [output.name for output in self.session.get_outputs()]

    def __call__(self, **inputs) -> dict:
        return dict(zip(self.names, self.session.run(None, inputs)))


RUNTIMES = {"litert": LiteRTGraph, "onnx": ONNXGraph}


# ----------------------------------------------------------------------------- the client
class PortableModel:
    """A portable export, ready to run.

    Args:
        folder: the export folder (with `portable.json`).

    `run(inputs)` takes texts (encoded images for an image-to-text export) and returns one
    dict per input: `{"label", "probabilities"}` for a classifier, `{"text"}` otherwise.
    The manifest's `kind` says which: "classifier" (ids -> probabilities), "text-generator"
    (a one-step decoder from a zero state, primed with the prompt), "text-to-text" and
    "image-to-text" (an encoder, then greedy one-step decoding).
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.manifest = json.loads((self.folder / "portable.json").read_text(encoding="utf-8"))
        runtime = RUNTIMES[self.manifest["format"]]
        self.graphs = {name: runtime(self.folder / graph["file"]) for name, graph in self.manifest["graphs"].items()}
        self.preprocessors = {name: Preprocessor(self.folder / sub)
                              for name, sub in self.manifest["preprocessors"].items()}

    def run(self, inputs, max_tokens: int | None = None) -> list[dict]:
        kind = self.manifest["kind"]
        if kind == "classifier":
            return self.classify(inputs)
        if kind == "text-generator":
            return [{"text": text} for text in self.generate(inputs, max_tokens or self.manifest["max_tokens"])]
        return [{"text": text} for text in self.transduce(inputs)]

    def classify(self, texts: list[str]) -> list[dict]:
        preprocessor = self.preprocessors["preprocessor"]
        ids = padded([preprocessor.encode(text) for text in texts], self.manifest["max_length"])
        probabilities = self.graphs["classifier"](token_ids=ids)["probabilities"]
        labels = self.manifest["labels"]
        return [{"label": labels[int(np.argmax(row))], "probabilities": dict(zip(labels, map(float, row)))}
                for row in probabilities]

    def step(self, token_ids: np.ndarray, state: dict) -> tuple[np.ndarray, dict]:
        outputs = self.graphs["decoder_step"](token_ids=token_ids.astype(np.int32), **state)
        logits = outputs.pop("logits")
        # A step returns `new_state_<i>` for each part of the state it changes.
        return logits, {**state, **{name.removeprefix("new_"): value for name, value in outputs.items()}}

    def _greedy(self, state: dict, rows: int, max_new_tokens: int) -> list[list[int]]:
        """Greedy decoding from [START] until every row has produced [END]."""
        token_ids = np.full([rows], START_ID, np.int32)
        output, finished = [], np.zeros([rows], bool)
        for _ in range(max_new_tokens):
            logits, state = self.step(token_ids, state)
            token_ids = np.argmax(logits, axis=-1).astype(np.int32)
            output.append(np.where(finished, PAD_ID, token_ids))
            finished |= token_ids == END_ID
            if finished.all():
                break
        return np.stack(output, axis=1).tolist()

    def transduce(self, inputs) -> list[str]:
        """Translations of texts, or captions of encoded images."""
        manifest = self.manifest
        if manifest["kind"] == "text-to-text":
            source = self.preprocessors["source_preprocessor"]
            encoder_input = padded([source.encode(text) for text in inputs], manifest["max_length"])
            target = self.preprocessors["target_preprocessor"]
        else:
            height, width = manifest["image_size"]
            encoder_input = np.stack([load_image(contents, height, width) for contents in inputs])
            target = self.preprocessors["preprocessor"]
        name = manifest["graphs"]["encoder"]["inputs"][0]["name"]
        state = self.graphs["encoder"](**{name: encoder_input})
        return [tidy(target.decode(row)) for row in self._greedy(state, len(inputs), manifest["max_new_tokens"])]

    def generate(self, prompts: list[str], max_tokens: int) -> list[str]:
        """Greedy continuations: the boundary token and the prompt are read one step at a
        time from a zero state, then `max_tokens` tokens are generated."""
        manifest, preprocessor = self.manifest, self.preprocessors["preprocessor"]
        context = manifest.get("context_length")
        if context is not None:
            max_tokens = min(max_tokens, context - 1)
        texts = []
        for prompt in prompts:
            ids = [manifest["boundary_id"]] + preprocessor.encode(prompt)
            if context is not None:
                ids = ids[len(ids) - min(len(ids), context - max_tokens):]  # the prompt's last tokens
            state = {spec["name"]: np.zeros([1] + spec["shape"][1:], spec["dtype"]) for spec in manifest["state"]}
            logits, generated = None, []
            for token_id in ids:
                logits, state = self.step(np.array([token_id]), state)
            for index in range(max_tokens):
                generated.append(int(np.argmax(logits[0])))
                if index + 1 < max_tokens:
                    logits, state = self.step(np.array(generated[-1:]), state)
            texts.append(preprocessor.decode(generated))
        return texts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run a seqzoo LiteRT or ONNX export (reference client).")
    parser.add_argument("folder", help="the export folder (with portable.json)")
    parser.add_argument("texts", nargs="*", help="texts to classify, continue or translate")
    parser.add_argument("--image", action="append", default=[], help="an image file to caption (repeatable)")
    parser.add_argument("--max-tokens", type=int, help="tokens to generate (language model)")
    args = parser.parse_args(argv)
    model = PortableModel(args.folder)
    inputs = [Path(path).read_bytes() for path in args.image] if model.manifest["kind"] == "image-to-text" \
        else args.texts
    for result in model.run(inputs, max_tokens=args.max_tokens):
        print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
