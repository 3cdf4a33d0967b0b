"""Built-in data sets that need no network, and the generator behind them.

Every task template has a data set that works offline. They are listed in one
explicit dictionary, `BUILTIN_DATASETS` (name -> `BuiltinDataset`), and loaded
with `load_builtin(name, seed=0)`.

Sentiment: "negation-reviews"
=============================

A generated set of movie-review-like texts labelled "positive" or "negative",
built so that the choice of architecture matters:

* the label depends on word order (negation and contrast), so a bag of words
  cannot solve it: a unigram bag-of-words logistic regression trained on
  6000 examples scores about 52% on 2000 others (chance is 50%; with bigrams
  about 60%), while the scoping rule below labels every example correctly;
* the decisive words sit far from the end: neutral filler sentences follow the
  decisive clause, so a model must carry the sentiment over up to ~70 tokens,
  which an Elman RNN does worse than an LSTM or GRU;
* the length varies from 5 to 80 tokens, so accuracy can be plotted against
  length or against the distance of the decisive clause from the end.

  A first check (Keras, 32-dim embedding, 64 units, Adam, trained on 6000
  examples, tested on 2000 of another seed, CPU): an LSTM reaches ~97% in 12
  epochs at every length, a SimpleRNN stays near 52% even after 30 epochs;
  trained on short examples only (<= 15 tokens) the SimpleRNN learns those
  perfectly, so it is the long examples that defeat it.

How it is made (everything is drawn from `random.Random(seed)`, so a seed
always gives the same texts, and the default 6000 examples take about a
tenth of a second):

1. Labels. Exactly half of the examples are "positive" (one more "negative"
   when the size is odd), in a random order. The label is drawn first and the
   text is built to have it.

2. Clauses. A clause has one sentiment word and an optional negation. Its
   polarity is the polarity of the word, flipped once if it is negated. To
   build a clause of polarity p, it is negated with probability 0.4
   (`NEGATION_PROBABILITY`) and the word is drawn from the lexicon of polarity
   p (not negated) or -p (negated). Three clause shapes (weights 6:2:2):

   - adjective: ``SUBJECT was|is [NEGATOR] [INTENSIFIER] ADJECTIVE``
     or ``i found SUBJECT [NEGATOR] [INTENSIFIER] ADJECTIVE``,
     e.g. "the plot was never boring", "i found the script not very clever";
     negators "not", "never", "hardly", "not at all", "far from", "by no
     means"; an intensifier ("very", "really", ...) with probability 0.4 where
     it reads naturally (no negator, "not" or "never");
   - noun: ``FILM was|is [NEGATOR] a|an [MODIFIER] NOUN``,
     e.g. "the film was hardly a masterpiece", "it is a complete mess";
   - verb: ``SUBJECT PAST-VERB me`` or negated
     ``SUBJECT did not BASE-VERB me`` / ``SUBJECT never|hardly PAST-VERB me``,
     e.g. "the ending did not move me", "the pacing never bored me".

   The lexicon (`POSITIVE_WORDS`, `NEGATIVE_WORDS`) has 30 adjectives, 9
   nouns and 7 verbs of each polarity; subjects are neutral nouns ("the
   acting", "the plot", "the soundtrack", ...).

3. Constructions. With label polarity s, the decisive part of a text is one
   of (weights in brackets):

   - simple (0.35): ``C(s) .``
   - and (0.10): ``C(s) , and C(s) .``  (both clauses agree)
   - but (0.20): ``C(-s) , but|yet C(s) .``  (the clause after "but" wins)
   - however (0.10): ``C(-s) . however , C(s) .``
   - although-first (0.125): ``although|though|even though C(-s) , C(s) .``
     (the main clause wins)
   - although-last (0.125): ``C(s) , although|though|even though C(-s) .``
     (the main clause wins, and here it comes first)

   In the contrast constructions the two clauses have opposite polarities and
   the same word lists, so the counts of positive words, negative words and
   negators have the same distribution under both labels: only the order
   tells which clause decides.

4. Filler and length. A target length is drawn uniformly from 5 to 80 tokens
   (`MIN_LENGTH`, `MAX_LENGTH`); neutral sentences about the setting, cast,
   running time, release, ... (`FILLER_TEMPLATES`, 6 to 13 tokens, no
   sentiment word, negator or connective) are appended AFTER the decisive part
   while they fit. No example is longer than 80 tokens; about half are longer
   than 40, and in those the decisive clause ends on average ~50 tokens
   before the end.

5. Text form. Lower case, one space between tokens, punctuation ("," and ".")
   as separate tokens, e.g. "the plot was dull , but the acting was superb .
   it runs for about 95 minutes ." The vocabulary has about 380 words.

`rule_label(text)` applies the scoping rule to a text (it parses the text, it
does not see how it was generated) and agrees with every generated label.
`load_builtin("negation-reviews", with_metadata=True)` also returns one
`ExampleInfo` per example (construction, negation, length, distance of the
decisive clause from the end) for plots.

Examples:

>>> from seqzoo.data.builtin import list_builtin_datasets, load_builtin
>>> [dataset.name for dataset in list_builtin_datasets(task="sentiment")]
['negation-reviews']
>>> data = load_builtin("negation-reviews", seed=0, size=4)
>>> len(data.texts), sorted(data.labels)
(4, ['negative', 'negative', 'positive', 'positive'])
>>> rule_label("the plot was dull , but the acting was superb .")
'positive'
>>> rule_label("although the acting was superb , the plot was dull .")
'negative'
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from seqzoo.data.readers import LabelledTexts

__all__ = [
    "BUILTIN_DATASETS",
    "BuiltinDataset",
    "ExampleInfo",
    "list_builtin_datasets",
    "load_builtin",
    "rule_label",
]

@dataclass(frozen=True)
class BuiltinDataset:
    """A data set that ships with seqzoo or is generated by it.

    Args:
        name: the name to pass to `load_builtin`, e.g. "negation-reviews".
        task: the name of the task template it serves.
        description: one sentence for `seqzoo --help` and listings.
        origin: where the data comes from (generated, or the package it ships in).

    Examples:

    >>> dataset = BUILTIN_DATASETS["negation-reviews"]
    >>> dataset.task
    'sentiment'
    """

    name: str
    task: str
    description: str
    origin: str


@dataclass(frozen=True)
class ExampleInfo:
    """What the generator knows about one "negation-reviews" example.

    Args:
        construction: "simple", "and", "but", "however", "although-first"
            or "although-last" (see the module docstring).
        negated: whether the clause that decides the label is negated.
        length: number of tokens (words and punctuation).
        distance_to_end: number of tokens after the last word of the clause
            that decides the label (1 when only the final "." follows).

    Examples:

    >>> _, infos = load_builtin("negation-reviews", size=2, with_metadata=True)
    >>> all(1 <= info.distance_to_end < info.length for info in infos)
    True
    """

    construction: str
    negated: bool
    length: int
    distance_to_end: int


BUILTIN_DATASETS: dict[str, BuiltinDataset] = {
    "negation-reviews": BuiltinDataset(
        name="negation-reviews",
        task="sentiment",
        description=(
            "Generated movie-review sentences (positive / negative) whose label "
            "depends on negation and on contrast clauses tens of tokens before the end."
        ),
        origin="generated by seqzoo.data.builtin (no download)",
    ),
    "cldr-dates": BuiltinDataset(
        name="cldr-dates",
        task="translation",
        description=(
            "English dates and their German rendering by the CLDR locale data in Babel "
            "(day and month swap places); loaded by seqzoo.data.builtin_parallel."
        ),
        origin="written by babel.dates.format_date (no download)",
    ),
    "pydoc-topics": BuiltinDataset(
        name="pydoc-topics",
        task="language-model",
        description=(
            "The Python documentation's topic pages (help('if') ...), about 465,000 "
            "characters of English prose; loaded by seqzoo.data.builtin_corpus."
        ),
        origin="the standard library module pydoc_data.topics (ships with Python, PSF licence)",
    ),
    "digit-strings": BuiltinDataset(
        name="digit-strings",
        task="captioning",
        description=(
            "2-4 handwritten digits side by side (scikit-learn's load_digits scans), captioned "
            "'three one four' and 'a three , a one and a four'; loaded by seqzoo.data.builtin_digit_captions."
        ),
        origin="sklearn.datasets.load_digits (ships with scikit-learn, UCI optdigits), composed by seqzoo",
    ),
}


def list_builtin_datasets(task: str | None = None) -> list[BuiltinDataset]:
    """Return the built-in data sets, all of them or those of one task.

    Args:
        task: a task name ("sentiment", "language-model", "translation",
            "captioning") or None for all.

    Examples:

    >>> [dataset.name for dataset in list_builtin_datasets()]
    ['negation-reviews', 'cldr-dates', 'pydoc-topics', 'digit-strings']
    >>> [dataset.name for dataset in list_builtin_datasets(task="translation")]
    ['cldr-dates']
    """
    served = list(dict.fromkeys(d.task for d in BUILTIN_DATASETS.values()))
    if task is not None and task not in served:
        raise ValueError(f"Unknown task {task!r}; the tasks are: {', '.join(served)}.")
    return [d for d in BUILTIN_DATASETS.values() if task is None or d.task == task]


def load_builtin(
    name: str,
    seed: int = 0,
    size: int | None = None,
    with_metadata: bool = False,
) -> LabelledTexts | tuple[LabelledTexts, list[ExampleInfo]]:
    """Load (generate) a built-in sentiment data set.

    Args:
        name: a key of `BUILTIN_DATASETS`, e.g. "negation-reviews".
        seed: the same seed always gives the same examples.
        size: number of examples; None for the default (6000).
        with_metadata: also return one `ExampleInfo` per example.

    Returns:
        `LabelledTexts`, or `(LabelledTexts, list[ExampleInfo])` when
        `with_metadata` is true.

    Examples:

    >>> data = load_builtin("negation-reviews", seed=1, size=10)
    >>> len(data.texts), data.labels.count("positive")
    (10, 5)
    >>> load_builtin("imdb")
    Traceback (most recent call last):
    ...
    ValueError: Unknown built-in data set 'imdb'; the built-in data sets are: cldr-dates, digit-strings, negation-reviews, pydoc-topics.
    """
    generators = {"negation-reviews": _generate_negation_reviews}
    if name not in BUILTIN_DATASETS or name not in generators:
        raise ValueError(
            f"Unknown built-in data set {name!r}; the built-in data sets are: "
            f"{', '.join(sorted(BUILTIN_DATASETS))}."
        )
    if size is None:
        size = DEFAULT_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}.")
    texts, labels, infos = generators[name](size=size, seed=seed)
    data = LabelledTexts(texts=texts, labels=labels, source=f"{name} (built-in, seed={seed}, size={size})")
    return (data, infos) if with_metadata else data


# ---------------------------------------------------------------------------
# "negation-reviews": building blocks. Module constants so that tests and
# readers can see exactly what the texts are made of.

DEFAULT_SIZE = 6000
MIN_LENGTH = 5
MAX_LENGTH = 80
NEGATION_PROBABILITY = 0.4
INTENSIFIER_PROBABILITY = 0.4

POSITIVE_ADJECTIVES = (
    "good", "great", "superb", "excellent", "wonderful", "brilliant", "gripping",
    "moving", "charming", "clever", "delightful", "engaging", "fresh", "funny",
    "beautiful", "memorable", "stunning", "powerful", "touching", "witty",
    "inventive", "thrilling", "compelling", "enjoyable", "solid", "impressive",
    "elegant", "heartfelt", "sharp", "entertaining",
)
NEGATIVE_ADJECTIVES = (
    "bad", "awful", "dull", "boring", "terrible", "weak", "clumsy", "tedious",
    "bland", "predictable", "forgettable", "lifeless", "messy", "shallow",
    "painful", "silly", "flat", "stale", "tiresome", "awkward", "lazy",
    "pointless", "confusing", "dreary", "mediocre", "uneven", "overlong",
    "wooden", "hollow", "cheap",
)
POSITIVE_NOUNS = (
    "masterpiece", "triumph", "gem", "delight", "joy", "treat", "success",
    "pleasure", "revelation",
)
NEGATIVE_NOUNS = (
    "disaster", "mess", "failure", "bore", "letdown", "chore", "slog",
    "disappointment", "embarrassment",
)
# (base form, past form): "did not impress me", "never impressed me".
POSITIVE_VERBS = (
    ("impress", "impressed"), ("move", "moved"), ("delight", "delighted"),
    ("amaze", "amazed"), ("charm", "charmed"), ("thrill", "thrilled"),
    ("touch", "touched"),
)
NEGATIVE_VERBS = (
    ("bore", "bored"), ("disappoint", "disappointed"), ("annoy", "annoyed"),
    ("irritate", "irritated"), ("frustrate", "frustrated"),
    ("exhaust", "exhausted"), ("bother", "bothered"),
)

POSITIVE_WORDS = frozenset(
    POSITIVE_ADJECTIVES + POSITIVE_NOUNS + tuple(w for pair in POSITIVE_VERBS for w in pair)
)
NEGATIVE_WORDS = frozenset(
    NEGATIVE_ADJECTIVES + NEGATIVE_NOUNS + tuple(w for pair in NEGATIVE_VERBS for w in pair)
)

ADJECTIVE_NEGATORS = ("not", "never", "hardly", "not at all", "far from", "by no means")
NOUN_NEGATORS = ("not", "never", "hardly", "far from", "by no means")
VERB_NEGATORS = ("did not", "never", "hardly")  # "did not" takes the base form
# Tokens that mark a negated clause ("far from", "by no means" via "far", "no").
NEGATION_TOKENS = frozenset({"not", "never", "hardly", "far", "no"})

# Intensifiers that read naturally after each negator (None: no negator).
INTENSIFIERS = {
    None: ("very", "really", "quite", "truly", "remarkably", "extremely", "genuinely", "so", "rather"),
    "not": ("very", "really", "particularly", "that", "especially", "quite"),
    "never": ("truly", "really"),
}
NOUN_MODIFIERS = ("real", "complete", "total", "genuine", "true", "absolute")

ASPECTS = (
    "the film", "the movie", "the acting", "the plot", "the script", "the story",
    "the dialogue", "the ending", "the soundtrack", "the cinematography",
    "the direction", "the pacing", "the cast", "the lead performance", "the humour",
    "the editing", "the visual effects", "the screenplay", "the second half",
    "the opening scene", "the score", "the camera work",
)
FILM_SUBJECTS = ("the film", "the movie", "this film", "the whole thing", "it")

ALTHOUGH = ("although", "though", "even though")
CONSTRUCTIONS = ("simple", "and", "but", "however", "although-first", "although-last")
CONSTRUCTION_WEIGHTS = (0.35, 0.10, 0.20, 0.10, 0.125, 0.125)

# Neutral sentences (no sentiment word, negator or connective); {slots} are
# filled from FILLER_SLOTS. The final "." is added by the generator.
FILLER_TEMPLATES = (
    "the story is set in {place} in the {decade}",
    "it runs for about {minutes} minutes",
    "the film was shot in {place} over {count} weeks",
    "the cast includes {name} and {name}",
    "{name} plays a {role} who works in {place}",
    "the director previously made {count} films",
    "it was released in {month} after a festival premiere in {place}",
    "the music was written by {name}",
    "most of the scenes take place at night in a {building}",
    "the screenplay is based on a {source} by {name}",
    "the dialogue is in {language} with subtitles",
    "it is the {ordinal} film in a series about a {role}",
    "the {role} in the story has a {relative} who lives in {place}",
    "i watched it on a {day} evening with my {relative}",
    "the trailer came out {count} months before the film",
    "the running time is {minutes} minutes including the credits",
    "there is a short scene after the credits",
    "the story follows a {role} and a {role} over {count} years",
    "{name} also appears as the {role}",
    "the first scene takes place in a {building} in {place}",
    "the film was produced by a studio in {place}",
    "it opens with a long shot of a {building}",
    "the characters speak {language} for most of the film",
    "i saw it in a cinema in {place} in {month}",
)
FILLER_SLOTS = {
    "place": (
        "paris", "lisbon", "chicago", "tokyo", "berlin", "cairo", "dublin",
        "mumbai", "oslo", "lima", "seoul", "naples", "montreal", "a small town",
        "the mountains", "the north", "a coastal village", "the desert",
    ),
    "decade": ("1920s", "1950s", "1960s", "1970s", "1980s", "1990s"),
    "minutes": tuple(str(m) for m in range(85, 155, 5)),
    "count": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve"),
    "name": (
        "anna", "marco", "lena", "david", "sofia", "tom", "maya", "omar", "clara",
        "hugo", "nina", "james", "ines", "paul", "yuki", "samuel", "eva", "leo",
    ),
    "role": (
        "teacher", "detective", "nurse", "farmer", "pilot", "journalist", "lawyer",
        "soldier", "chef", "painter", "sailor", "doctor", "student", "mechanic",
    ),
    "month": (
        "january", "february", "march", "april", "may", "june", "july",
        "august", "september", "october", "november", "december",
    ),
    "building": ("hotel", "hospital", "train station", "farmhouse", "factory", "school", "lighthouse"),
    "source": ("novel", "play", "short story", "true story", "comic book"),
    "language": ("french", "spanish", "japanese", "german", "italian", "korean", "arabic"),
    "ordinal": ("second", "third", "fourth", "fifth"),
    "relative": ("sister", "brother", "mother", "father", "cousin", "grandmother", "friend"),
    "day": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
}


def _parse_template(template: str) -> list[tuple[str, ...] | str]:
    """Split a filler template into fixed tokens and slot choices, once."""
    parts: list[tuple[str, ...] | str] = []
    for word in template.split():
        if word.startswith("{"):
            parts.append(FILLER_SLOTS[word[1:-1]])
        else:
            parts.append(word)
    return parts


_FILLER_PARTS = [_parse_template(t) for t in FILLER_TEMPLATES]


def _filler(rng: random.Random) -> list[str]:
    tokens: list[str] = []
    for part in rng.choice(_FILLER_PARTS):
        tokens.extend(part.split() if isinstance(part, str) else rng.choice(part).split())
    tokens.append(".")
    return tokens


def _clause(rng: random.Random, polarity: int) -> tuple[list[str], bool]:
    """One clause with the given polarity (+1 / -1), and whether it is negated."""
    negated = rng.random() < NEGATION_PROBABILITY
    positive_word = (polarity > 0) != negated
    shape = rng.choices(("adjective", "noun", "verb"), weights=(6, 2, 2))[0]
    if shape == "adjective":
        negator = rng.choice(ADJECTIVE_NEGATORS) if negated else None
        adjective = rng.choice(POSITIVE_ADJECTIVES if positive_word else NEGATIVE_ADJECTIVES)
        words = [negator] if negator else []
        if negator in INTENSIFIERS and rng.random() < INTENSIFIER_PROBABILITY:
            words.append(rng.choice(INTENSIFIERS[negator]))
        words.append(adjective)
        if rng.random() < 0.2:
            start = ["i", "found", rng.choice(ASPECTS)]
        else:
            start = [rng.choice(ASPECTS), rng.choice(("was", "is"))]
    elif shape == "noun":
        words = [rng.choice(NOUN_NEGATORS)] if negated else []
        noun_phrase = [rng.choice(POSITIVE_NOUNS if positive_word else NEGATIVE_NOUNS)]
        if rng.random() < INTENSIFIER_PROBABILITY:
            noun_phrase.insert(0, rng.choice(NOUN_MODIFIERS))
        article = "an" if noun_phrase[0][0] in "aeiou" else "a"
        words += [article] + noun_phrase
        start = [rng.choice(FILM_SUBJECTS), rng.choice(("was", "is"))]
    else:
        base, past = rng.choice(POSITIVE_VERBS if positive_word else NEGATIVE_VERBS)
        if negated:
            negator = rng.choice(VERB_NEGATORS)
            words = [negator, base if negator == "did not" else past, "me"]
        else:
            words = [past, "me"]
        start = [rng.choice(ASPECTS)]
    # Multi-word entries ("the lead performance", "not at all") become tokens here.
    return " ".join(start + words).split(), negated


def _decisive_part(rng: random.Random, construction: str, s: int) -> tuple[list[str], bool, int]:
    """Tokens of the part that decides the label, whether the deciding clause
    is negated, and the index just past that clause's last word."""
    if construction == "simple":
        clause, negated = _clause(rng, s)
        return clause + ["."], negated, len(clause)
    if construction == "and":
        first, _ = _clause(rng, s)
        second, negated = _clause(rng, s)
        tokens = first + [",", "and"] + second
        return tokens + ["."], negated, len(tokens)
    other, _ = _clause(rng, -s)
    decisive, negated = _clause(rng, s)
    if construction == "but":
        tokens = other + [",", rng.choice(("but", "yet"))] + decisive
        return tokens + ["."], negated, len(tokens)
    if construction == "however":
        tokens = other + [".", "however", ","] + decisive
        return tokens + ["."], negated, len(tokens)
    connective = rng.choice(ALTHOUGH).split()
    if construction == "although-first":
        tokens = connective + other + [","] + decisive
        return tokens + ["."], negated, len(tokens)
    # although-last: the main clause decides and comes first.
    return decisive + [","] + connective + other + ["."], negated, len(decisive)


def _generate_negation_reviews(size: int, seed: int) -> tuple[list[str], list[str], list[ExampleInfo]]:
    rng = random.Random(seed)
    signs = [1] * (size // 2) + [-1] * (size - size // 2)
    rng.shuffle(signs)
    constructions = rng.choices(CONSTRUCTIONS, weights=CONSTRUCTION_WEIGHTS, k=size)
    shortest_filler = min(sum(len(p.split()) if isinstance(p, str) else 1 for p in parts) + 1
                          for parts in _FILLER_PARTS)
    texts, labels, infos = [], [], []
    for s, construction in zip(signs, constructions):
        tokens, negated, decisive_end = _decisive_part(rng, construction, s)
        room = rng.randint(MIN_LENGTH, MAX_LENGTH) - len(tokens)
        attempts = 0
        # A drawn sentence that does not fit is redrawn a few times, so long
        # targets are filled closely without looping for ever.
        while room >= shortest_filler and attempts < 6:
            sentence = _filler(rng)
            if len(sentence) <= room:
                tokens += sentence
                room -= len(sentence)
            else:
                attempts += 1
        texts.append(" ".join(tokens))
        labels.append("positive" if s > 0 else "negative")
        infos.append(ExampleInfo(construction, negated, len(tokens), len(tokens) - decisive_end))
    return texts, labels, infos


# ---------------------------------------------------------------------------
# The scoping rule, read off a text.


def _clause_polarity(tokens: list[str]) -> int:
    polar = [(1 if t in POSITIVE_WORDS else -1) for t in tokens if t in POSITIVE_WORDS or t in NEGATIVE_WORDS]
    if len(polar) != 1:
        raise ValueError(f"Expected one sentiment word in the clause {' '.join(tokens)!r}.")
    negated = any(t in NEGATION_TOKENS for t in tokens)
    return -polar[0] if negated else polar[0]


def _is_sentimental(tokens: list[str]) -> bool:
    return any(t in POSITIVE_WORDS or t in NEGATIVE_WORDS for t in tokens)


def rule_label(text: str) -> str:
    """Label a "negation-reviews" text with the scoping rule, from its words alone.

    A clause's polarity is that of its sentiment word, flipped by a negator
    ("not", "never", "hardly", "far from", "by no means"). The clause after
    "but" / "yet" / "however ," decides; with "although" / "though" /
    "even though" the main clause (the other one) decides; sentences without
    a sentiment word are ignored.

    Args:
        text: a text in the form the generator writes (tokens separated by
            single spaces).

    Returns:
        "positive" or "negative". Raises ValueError for a text outside the
        grammar.

    Examples:

    >>> rule_label("the film was hardly a masterpiece . it runs for about 95 minutes .")
    'negative'
    >>> rule_label("the plot never bored me , although the acting was not good .")
    'positive'
    """
    tokens = text.split(" ")
    sentences, current = [], []
    for token in tokens:
        current.append(token)
        if token == ".":
            sentences.append(current[:-1])
            current = []
    if current:
        sentences.append(current)
    decisive = [sentence for sentence in sentences if _is_sentimental(sentence)]
    if len(decisive) == 2 and decisive[1][:2] == ["however", ","]:
        clause = decisive[1][2:]
    elif len(decisive) == 1:
        sentence = decisive[0]
        if sentence[0] in ALTHOUGH or sentence[:2] == ["even", "though"]:
            clause = sentence[sentence.index(",") + 1:]
        elif "," in sentence:
            comma = sentence.index(",")
            after = sentence[comma + 1]
            if after in ("but", "yet", "and"):
                # With "and" both clauses agree, so the second one is as good.
                clause = sentence[comma + 2:]
            elif after in ALTHOUGH or after == "even":
                clause = sentence[:comma]
            else:
                raise ValueError(f"Unknown connective {after!r} in {text!r}.")
        else:
            clause = sentence
    else:
        raise ValueError(f"{text!r} is not a negation-reviews text.")
    return "positive" if _clause_polarity(clause) > 0 else "negative"
