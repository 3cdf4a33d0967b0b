"""Translation quality with sacrebleu: corpus BLEU, chrF, exact match, BLEU by length.

Hypotheses and references are compared as detokenised text (sacrebleu applies its own
standard "13a" tokenisation to both), after the same normalisation (case folding when
the run lowercases), so the scores are comparable with published sacrebleu figures on
the same normalised text.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from seqzoo.tasks.common.length_buckets import length_buckets


def translation_metrics(
    hypotheses: Sequence[str], references: Sequence[str], source_lengths: Sequence[int]
) -> dict:
    """Corpus BLEU and chrF (sacrebleu, 0-100), exact match (0-1) and BLEU per
    source-length bucket.

    Examples:

    >>> metrics = translation_metrics(["the cat sat on the mat"], ["the cat sat on the mat"], [6])
    >>> round(metrics["bleu"], 1), round(metrics["chrf"], 1), metrics["exact_match"]
    (100.0, 100.0, 1.0)
    """
    import sacrebleu

    hypotheses, references = list(hypotheses), list(references)
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError("need as many hypotheses as references, at least one")
    bleu = sacrebleu.corpus_bleu(hypotheses, [references])
    chrf = sacrebleu.corpus_chrf(hypotheses, [references])
    exact = float(np.mean([h.split() == r.split() for h, r in zip(hypotheses, references)]))
    by_length = []
    for low, high in length_buckets(source_lengths):
        rows = [i for i, n in enumerate(source_lengths) if low <= n <= high]
        if rows:
            score = sacrebleu.corpus_bleu([hypotheses[i] for i in rows], [[references[i] for i in rows]])
            by_length.append({"lengths": [low, high], "examples": len(rows), "bleu": round(score.score, 2)})
    return {
        "bleu": round(bleu.score, 2),
        "chrf": round(chrf.score, 2),
        "exact_match": round(exact, 4),
        "examples": len(hypotheses),
        "bleu_details": bleu.format(),
        "bleu_by_length": by_length,
        "length_ratio": round(bleu.sys_len / max(bleu.ref_len, 1), 4),
    }


def plot_bleu_by_length(metrics: dict, path, title: str = "") -> None:
    """Bar chart of BLEU per source-length bucket, with the example count on each bar.

    Examples:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "bleu.png")
    >>> plot_bleu_by_length({"bleu_by_length": [{"lengths": [1, 5], "examples": 3, "bleu": 40.0}]}, path)
    >>> os.path.getsize(path) > 0
    True
    """
    from seqzoo.tasks.common.plots import pyplot, save_figure

    plt = pyplot()
    rows = metrics["bleu_by_length"]
    labels = [f"{r['lengths'][0]}" if r["lengths"][0] == r["lengths"][1] else f"{r['lengths'][0]}-{r['lengths'][1]}"
              for r in rows]
    figure, axis = plt.subplots(figsize=(max(4.0, 0.9 * len(rows) + 2), 3.5))
    bars = axis.bar(labels, [r["bleu"] for r in rows], color="tab:blue")
    for bar, row in zip(bars, rows):
        axis.annotate(f"n={row['examples']}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=8)
    axis.set_xlabel("source length (tokens)")
    axis.set_ylabel("BLEU")
    axis.set_ylim(0, 105)
    axis.grid(axis="y", alpha=0.3)
    if title:
        axis.set_title(title)
    save_figure(figure, path)
