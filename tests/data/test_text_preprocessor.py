"""TextPreprocessor: exact tokens and ids per level, round trips, and the SavedModel contract."""

import json
import subprocess
import sys

import pytest
import tensorflow as tf

from seqzoo.data.errors import DataError
from seqzoo.data.text_preprocessor import TextPreprocessor
from seqzoo.data.vocabulary import UNK_ID, Vocabulary

from .conftest import RESERVED, TEXTS


def strings(ragged) -> list[list[str]]:
    return [[token.decode("utf-8") for token in row] for row in ragged.to_list()]


# --- tokenisation --------------------------------------------------------------------


def test_word_level_splits_punctuation_and_keeps_apostrophes_inside_words():
    preprocessor = TextPreprocessor(RESERVED)
    tokens = strings(preprocessor.tokenize([TEXTS[0], "Café-goers (5) \u201cloved\u201d it"]))
    assert tokens == [
        ["the", "film", ",", "it's", "'", "great", "'", "!", "don't", "go", ".", ".", "."],
        ["café", "-", "goers", "(", "5", ")", "\u201c", "loved", "\u201d", "it"],
    ]


def test_case_and_normalisation_settings():
    text = ["The \ufb01lm"]  # "ﬁ" is one ligature character; NFKC unfolds it
    assert strings(TextPreprocessor(RESERVED).tokenize(text)) == [["the", "film"]]
    assert strings(TextPreprocessor(RESERVED, lowercase=False).tokenize(text)) == [["The", "film"]]
    raw = TextPreprocessor(RESERVED, lowercase=False, normalization=None)
    assert strings(raw.tokenize(text)) == [["The", "\ufb01lm"]]


def test_char_level_keeps_spaces_and_newlines():
    preprocessor = TextPreprocessor(RESERVED, level="char")
    assert strings(preprocessor.tokenize(["Hé\nyo u", ""])) == [
        ["h", "é", "\n", "y", "o", " ", "u"],
        [],
    ]


def test_subword_level_uses_wordpiece_pieces_and_splits_apostrophes():
    vocabulary = RESERVED + ["walk", "##ing", "##ed", "the", ",", "talk", "don", "'", "t"]
    preprocessor = TextPreprocessor(vocabulary, level="subword")
    texts = ["The walking, talked zzz", "don't"]
    assert strings(preprocessor.tokenize(texts)) == [
        ["the", "walk", "##ing", ",", "talk", "##ed", "[UNK]"],
        ["don", "'", "t"],
    ]
    ids = preprocessor(texts)
    assert ids.to_list() == [[7, 4, 5, 8, 9, 6, UNK_ID], [10, 11, 12]]
    assert preprocessor.detokenize(ids).numpy().tolist() == [
        b"the walking , talked [UNK]",
        b"don ' t",
    ]


def test_ids_are_int32_with_unknown_tokens_as_unk():
    preprocessor = TextPreprocessor(RESERVED + ["film", "the", ","])
    ids = preprocessor(["The film, the plot"])
    assert ids.dtype == tf.int32
    assert ids.to_list() == [[5, 4, 6, 5, UNK_ID]]


def test_detokenize_stops_at_end_and_drops_reserved_ids():
    preprocessor = TextPreprocessor(RESERVED + ["good", "film", "a"])
    dense = tf.constant([[2, 6, 4, 5, 3, 4], [6, 5, 0, 0, 0, 0], [3, 4, 0, 0, 0, 0]])
    assert preprocessor.detokenize(dense).numpy().tolist() == [b"a good film", b"a film", b""]
    ragged = tf.ragged.constant([[6, 99], [2, 5]], dtype=tf.int64)
    assert preprocessor.detokenize(ragged).numpy().tolist() == [b"a [UNK]", b"film"]
    chars = TextPreprocessor(RESERVED + ["h", "i", " "], level="char")
    assert chars.detokenize(tf.constant([[4, 5, 6, 4, 3, 5]])).numpy().tolist() == [b"hi h"]


def test_runs_inside_a_dataset_map():
    preprocessor = TextPreprocessor(RESERVED + ["good", "film"])
    dataset = tf.data.Dataset.from_tensor_slices(["good film", "film"]).batch(2)
    dataset = dataset.map(lambda texts: preprocessor(texts).to_tensor())
    assert next(iter(dataset)).numpy().tolist() == [[4, 5], [5, 0]]


def test_bad_settings():
    with pytest.raises(ValueError, match="level='words'"):
        TextPreprocessor(RESERVED, level="words")
    with pytest.raises(ValueError, match="normalization='NFX'"):
        TextPreprocessor(RESERVED, normalization="NFX")
    with pytest.raises(ValueError, match="reserved tokens"):
        TextPreprocessor(["a", "b"])


# --- adapt ---------------------------------------------------------------------------


def test_adapt_word_vocabulary_by_frequency_with_limits():
    texts = ["The film, the end.", "A film!"]
    assert TextPreprocessor.adapt(texts).vocabulary.tokens == RESERVED + [
        "film", "the", "!", ",", ".", "a", "end",
    ]
    assert TextPreprocessor.adapt(texts, min_frequency=2).vocabulary.tokens == RESERVED + [
        "film", "the",
    ]
    assert TextPreprocessor.adapt(texts, max_vocabulary=5).vocabulary.tokens == RESERVED + ["film"]
    cased = TextPreprocessor.adapt(texts, lowercase=False)
    assert {"The", "the", "A"} <= set(cased.vocabulary.tokens)


def test_adapt_char_vocabulary():
    preprocessor = TextPreprocessor.adapt(["aab\n", "b a"], level="char")
    assert preprocessor.vocabulary.tokens == RESERVED + ["a", "b", "\n", " "]
    assert preprocessor(["ab c"]).to_list() == [[4, 5, 7, UNK_ID]]


@pytest.fixture(scope="module")
def subword():
    return TextPreprocessor.adapt(TEXTS, level="subword", max_vocabulary=40)


def test_adapt_subword_learns_pieces_that_cover_the_training_texts(subword):
    tokens = subword.vocabulary.tokens
    assert tokens[:4] == RESERVED
    assert any(token.startswith("##") for token in tokens)
    ids = subword(TEXTS)
    assert UNK_ID not in ids.flat_values.numpy().tolist()
    pieces = strings(subword.tokenize(TEXTS))
    assert any(piece.startswith("##") for row in pieces for piece in row)
    # Pieces glue back into the words: the text as split at every punctuation mark.
    assert subword.detokenize(ids).numpy()[0].decode() == (
        "the film , it ' s ' great ' ! don ' t go . . ."
    )


def test_adapt_subword_keeps_to_max_vocabulary_without_losing_characters():
    # For these texts the learner's own search returns 74 tokens for a target of 70.
    preprocessor = TextPreprocessor.adapt(TEXTS, level="subword", max_vocabulary=70)
    tokens = preprocessor.vocabulary.tokens
    assert len(tokens) == 70
    characters = set("".join(TEXTS).lower().replace("\ufb01", "fi").replace("\u2019", "'"))
    characters -= set(" \n")
    assert characters <= set(tokens)
    assert {"##" + c for c in characters} <= set(tokens)
    assert UNK_ID not in preprocessor(TEXTS).flat_values.numpy().tolist()


# --- saving --------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path, subword):
    subword.save(tmp_path / "pre")
    assert sorted(p.name for p in (tmp_path / "pre").iterdir()) == [
        "preprocessor.json", "vocabulary.txt",
    ]
    assert json.loads((tmp_path / "pre" / "preprocessor.json").read_text()) == {
        "level": "subword", "lowercase": True, "normalization": "NFKC",
    }
    loaded = TextPreprocessor.load(tmp_path / "pre")
    assert loaded.vocabulary == subword.vocabulary
    assert loaded.get_config() == subword.get_config()
    assert loaded(TEXTS).to_list() == subword(TEXTS).to_list()


def test_config_round_trip():
    preprocessor = TextPreprocessor(RESERVED + ["x"], level="char", lowercase=False,
                                    normalization=None)
    again = TextPreprocessor(preprocessor.vocabulary, **preprocessor.get_config())
    assert again.get_config() == {"level": "char", "lowercase": False, "normalization": None}
    assert again.vocabulary_size == 5


def test_load_errors_name_the_file(tmp_path):
    TextPreprocessor(RESERVED + ["x"]).save(tmp_path)
    config = tmp_path / "preprocessor.json"
    config.write_text('{"level": "word", ')
    with pytest.raises(DataError, match=f"^{config}: not a valid preprocessor file"):
        TextPreprocessor.load(tmp_path)
    config.write_text('{"level": "words", "lowercase": true, "normalization": null}')
    with pytest.raises(DataError, match=f"^{config}: level='words'"):
        TextPreprocessor.load(tmp_path)
    config.write_text('{"level": "word"}')
    with pytest.raises(DataError, match="expected the settings"):
        TextPreprocessor.load(tmp_path)
    (tmp_path / "vocabulary.txt").write_text("[PAD]\nx\n")
    config.write_text('{"level": "word", "lowercase": true, "normalization": null}')
    with pytest.raises(DataError, match="vocabulary.txt, line 2: expected the reserved token"):
        TextPreprocessor.load(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        TextPreprocessor.load(tmp_path / "absent")


# --- the export contract -------------------------------------------------------------


class Serving(tf.Module):
    """What a task's export does: raw strings in, ids out, and ids back to text."""

    def __init__(self, preprocessor):
        super().__init__()
        self.preprocessor = preprocessor

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def ids(self, texts):
        return self.preprocessor(texts).to_tensor()

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def text(self, ids):
        return self.preprocessor.detokenize(ids)


FRESH_PROCESS = """
import json, sys
import tensorflow as tf, tensorflow_text
root, batches = sys.argv[1], json.loads(sys.argv[2])
result = {}
for level in ("word", "char", "subword"):
    model = tf.saved_model.load(f"{root}/{level}")
    result[level] = []
    for batch in batches:
        ids = model.ids(tf.constant(batch))
        result[level].append([ids.numpy().tolist(), [t.decode() for t in model.text(ids).numpy()]])
result["seqzoo imported"] = any(name.startswith("seqzoo") for name in sys.modules)
print(json.dumps(result))
"""


def test_saved_model_runs_in_a_fresh_process_with_only_tensorflow_text(tmp_path, subword):
    preprocessors = {
        "word": TextPreprocessor.adapt(TEXTS),
        "char": TextPreprocessor.adapt(TEXTS, level="char"),
        "subword": subword,
    }
    batches = [["The film, unseen words!"], TEXTS + ["zzz \u00e9t\u00e9 \u4e2d\u6587 x"]]
    expected = {}
    for level, preprocessor in preprocessors.items():
        tf.saved_model.save(Serving(preprocessor), str(tmp_path / level))
        expected[level] = []
        for batch in batches:
            ids = preprocessor(batch).to_tensor()
            text = [t.decode() for t in preprocessor.detokenize(ids).numpy()]
            expected[level].append([ids.numpy().tolist(), text])
    assert expected["char"][0][1] == ["the film, unseen words!"]
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(tmp_path), json.dumps(batches)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded.pop("seqzoo imported") is False
    assert loaded == expected
