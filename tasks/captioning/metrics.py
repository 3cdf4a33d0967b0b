"""Caption quality with sacrebleu: BLEU-1 to BLEU-4 against every reference of an image.

BLEU-n is the cumulative corpus BLEU up to n-grams (geometric mean of the 1..n-gram
precisions times the brevity penalty), as in the COCO caption evaluation, computed by
`sacrebleu.metrics.BLEU(max_ngram_order=n)` with one reference stream per reference
position (an image with fewer references leaves its later streams empty). Hypotheses and
references are compared after the same normalisation (the caption preprocessor's case
folding and word splitting); sacrebleu then applies its "13a" tokenisation to both.
"""

from __future__ import annotations

from typing import Sequence


def caption_metrics(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> dict:
    """`bleu1` .. `bleu4` (0-100), the number of images and references, and the length
    ratio (hypothesis words / closest reference words, over the corpus).

    Args:
        hypotheses: one caption per image.
        references: the reference captions of each image (at least one each).

    Examples:

    >>> metrics = caption_metrics(["a dog runs home"], [["a dog runs home", "the dog is running"]])
    >>> [round(metrics[f"bleu{n}"], 1) for n in (1, 2, 3, 4)]
    [100.0, 100.0, 100.0, 100.0]
    >>> round(caption_metrics(["a cat"], [["a dog runs", "one dog"]])["bleu1"], 1)
    50.0
    """
    from sacrebleu.metrics import BLEU

    hypotheses = [str(h) for h in hypotheses]
    references = [list(r) for r in references]
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError("need one list of references per hypothesis, at least one image")
    if any(not r for r in references):
        raise ValueError("every image needs at least one reference caption")
    depth = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(depth)]
    metrics = {}
    for order in (1, 2, 3, 4):
        score = BLEU(max_ngram_order=order).corpus_score(hypotheses, streams)
        metrics[f"bleu{order}"] = round(score.score, 2)
    metrics.update(
        examples=len(hypotheses),
        references=sum(len(r) for r in references),
        length_ratio=round(score.sys_len / max(score.ref_len, 1), 4),
        bleu_details=score.format(),
    )
    return metrics
