"""Hand-built step functions for the sampler tests, and a NumPy brute-force decoder.

A trigram model: the logits for the next token depend on the token fed in *and* on the
token before it, which lives in the decoder state. A sampler that fed the wrong token or
reordered the state wrongly (beam search) therefore produces different sequences than
the brute-force enumeration, which knows nothing of the samplers.
"""

from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def random_trigram_table(vocabulary_size: int, seed: int, scale: float = 2.0) -> np.ndarray:
    """Logits table [previous-previous token, previous token, next token]."""
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(vocabulary_size,) * 3) * scale).astype(np.float32)


def trigram_step_fn(table: np.ndarray, with_extras: bool = False):
    """step_fn(token_ids, state) with state = {"before": the token fed one step earlier}.

    With extras, each step also returns the one-hot of the token fed in, so the collected
    extras of a hypothesis can be checked against its own tokens.
    """
    table = tf.constant(table)
    vocabulary_size = table.shape[-1]

    def step_fn(token_ids, state):
        logits = tf.gather_nd(table, tf.stack([state["before"], token_ids], axis=-1))
        new_state = {"before": token_ids}
        if with_extras:
            return logits, new_state, tf.one_hot(token_ids, vocabulary_size)
        return logits, new_state

    return step_fn


def initial_state(before) -> dict:
    return {"before": tf.constant(before, tf.int32)}


def bigram_step_fn(probabilities: np.ndarray):
    """step_fn over a bigram probability table [previous token, next token]; no state."""
    logits = tf.constant(np.log(probabilities).astype(np.float32))

    def step_fn(token_ids, state):
        return tf.gather(logits, token_ids), state

    return step_fn


def length_penalty(length: int, alpha: float) -> float:
    return ((5.0 + length) / 6.0) ** alpha


def enumerate_hypotheses(table, before, start, max_new_tokens, end_id, alpha):
    """Every finished hypothesis of the trigram model with its GNMT-normalised score.

    A hypothesis ends at its first end_id (kept) or at max_new_tokens. Returns a list of
    (score, tokens padded with 0 to max_new_tokens), best first.
    """
    vocabulary_size = table.shape[-1]
    log_probs = log_softmax(table.astype(np.float64))
    results = []
    for length in range(1, max_new_tokens + 1):
        for tokens in itertools.product(range(vocabulary_size), repeat=length):
            if end_id in tokens[:-1]:
                continue
            if length < max_new_tokens and tokens[-1] != end_id:
                continue
            total, previous, current = 0.0, before, start
            for token in tokens:
                total += log_probs[previous, current, token]
                previous, current = current, token
            padded = list(tokens) + [0] * (max_new_tokens - length)
            results.append((total / length_penalty(length, alpha), padded))
    results.sort(key=lambda item: -item[0])
    return results


def greedy_numpy(table, before, start, max_new_tokens, end_id):
    """Greedy decoding of the trigram model in NumPy (argmax at each step, stop at END)."""
    tokens, previous, current = [], before, start
    for _ in range(max_new_tokens):
        token = int(np.argmax(table[previous, current]))
        tokens.append(token)
        if token == end_id:
            break
        previous, current = current, token
    return tokens + [0] * (max_new_tokens - len(tokens))


def truncated_distribution(logits: np.ndarray, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    """The distribution top-k then top-p sampling draws from, in float64.

    Ties are ranked lower id first; top-k keeps the k best, renormalised; top-p keeps the
    smallest prefix of those whose mass reaches p (the first token always).
    """
    logits = np.asarray(logits, np.float64)
    order = np.argsort(-logits, kind="stable")
    kept = order[: top_k if top_k > 0 else len(order)]
    probabilities = np.exp(logits[kept] - logits[kept].max())
    probabilities /= probabilities.sum()
    mass_before = np.cumsum(probabilities) - probabilities
    in_nucleus = (mass_before < top_p) | (np.arange(len(kept)) == 0)
    result = np.zeros(len(logits))
    result[kept[in_nucleus]] = probabilities[in_nucleus]
    return result / result.sum()


def beam_search_numpy(table, before, start, max_new_tokens, end_id, beam_size, alpha, n_best):
    """Beam search over the trigram model, step by step in NumPy, to max_new_tokens.

    The textbook loop the compiled one must match: each step keeps the beam_size best
    continuations (ties: lower beam, then lower token first); those ending in end_id join
    a pool of the beam_size best finished hypotheses (score log P / GNMT penalty); live
    ones at the end are hypotheses too. Returns [(score, tokens padded with 0)], best first.
    """
    log_probs = log_softmax(table.astype(np.float64))
    vocabulary_size = table.shape[-1]
    beams = [(0.0, [], before, start)] + [(-np.inf, [], before, start)] * (beam_size - 1)
    finished = []
    for step in range(max_new_tokens):
        candidates = []
        for index, (logp, tokens, previous, current) in enumerate(beams):
            for token in range(vocabulary_size):
                candidates.append((logp + log_probs[previous, current, token],
                                   index * vocabulary_size + token, tokens + [token], current))
        candidates.sort(key=lambda item: (-item[0], item[1]))
        beams = []
        for logp, _, tokens, previous in candidates[:beam_size]:
            if tokens[-1] == end_id and np.isfinite(logp):
                finished.append((logp / length_penalty(step + 1, alpha), tokens))
                beams.append((-np.inf, tokens, previous, tokens[-1]))
            else:
                beams.append((logp, tokens, previous, tokens[-1]))
        finished = sorted(finished, key=lambda item: -item[0])[:beam_size]
    final = finished + [(logp / length_penalty(max_new_tokens, alpha), tokens)
                        for logp, tokens, _, _ in beams if np.isfinite(logp)]
    final.sort(key=lambda item: -item[0])
    return [(score, tokens + [0] * (max_new_tokens - len(tokens))) for score, tokens in final[:n_best]]
