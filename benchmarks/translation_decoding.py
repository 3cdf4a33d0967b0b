"""Decoding speed: seqzoo's compiled greedy / beam-search loops against a Python loop
that calls the model once per token (the reference), on the same model and sources.

    python benchmarks/translation_decoding.py [--arch bahdanau] [--batch 64] [--beam-size 4]

The model is trained for one epoch on the built-in cldr-dates corpus so that its
translations end with the end token like a real model's. Both sides decode the same
sources with the same weights and stop once every row has ended; the reference does
the per-token bookkeeping in NumPy, as a hand-written loop would. The greedy outputs of
the two are checked to be identical. Prints the absolute times, the ratio and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqzoo.data.builtin_parallel import load_cldr_dates  # noqa: E402
from seqzoo.data.vocabulary import END_ID, START_ID  # noqa: E402
from seqzoo.tasks.translation.task import TranslationTask, decode_ids  # noqa: E402
from seqzoo.tasks.translation.config import TranslationConfig  # noqa: E402


def reference_greedy(model, source_ids, max_new_tokens):
    """One eager model.step call per token, in Python."""
    state = model.encode(source_ids, max_new_tokens)
    token = tf.fill([source_ids.shape[0]], START_ID)
    done = np.zeros(source_ids.shape[0], bool)
    out = []
    for _ in range(max_new_tokens):
        logits, state = model.step(token, state)
        token = tf.argmax(logits, -1, output_type=tf.int32)
        out.append(np.where(done, 0, token.numpy()))
        done |= out[-1] == END_ID
        if done.all():
            break
    return np.stack(out, 1)


def reference_beam(model, source_ids, max_new_tokens, k, alpha):
    """Beam search with one eager model.step call per token; NumPy bookkeeping."""
    batch = source_ids.shape[0]
    state = model.encode(source_ids, max_new_tokens)
    state = tf.nest.map_structure(lambda s: tf.repeat(s, k, axis=0), state)
    logp = np.tile(np.array([0.0] + [-np.inf] * (k - 1)), (batch, 1))
    token = np.full(batch * k, START_ID, np.int32)
    hyps = np.zeros((batch, k, 0), np.int32)
    finished = [[] for _ in range(batch)]
    for step in range(max_new_tokens):
        logits, state = model.step(tf.constant(token), state)
        scores = logp[:, :, None] + tf.nn.log_softmax(logits).numpy().reshape(batch, k, -1)
        flat = scores.reshape(batch, -1)
        top = np.argsort(-flat, axis=1)[:, :k]
        source, token = top // scores.shape[2], (top % scores.shape[2]).astype(np.int32)
        logp = np.take_along_axis(flat, top, 1)
        hyps = np.concatenate([np.take_along_axis(hyps, source[:, :, None], 1), token[:, :, None]], 2)
        penalty = ((5.0 + step + 1) / 6.0) ** alpha
        for b in range(batch):
            for j in range(k):
                if token[b, j] == END_ID and np.isfinite(logp[b, j]):
                    finished[b].append((logp[b, j] / penalty, hyps[b, j].copy()))
        logp = np.where(token == END_ID, -np.inf, logp)
        rows = (np.arange(batch)[:, None] * k + source).reshape(-1)
        state = tf.nest.map_structure(lambda s: tf.gather(s, rows), state)
        token = token.reshape(-1)
        if all(len(f) >= 1 for f in finished) and np.isneginf(logp).all():
            break
        if all(f and max(s for s, _ in f) > logp[b].max() / (((5.0 + max_new_tokens) / 6.0) ** alpha)
               for b, f in enumerate(finished)):
            break
    return [max(f, key=lambda x: x[0])[1] if f else hyps[b, 0] for b, f in enumerate(finished)]


def timed(fn, repeats):
    fn()  # warm-up (tracing, first-call allocation)
    started = time.perf_counter()
    for _ in range(repeats):
        result = fn()
    return (time.perf_counter() - started) / repeats, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="bahdanau")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    pairs = load_cldr_dates(seed=0, size=3000)
    config = TranslationConfig(arch=args.arch, epochs=1, max_length=20)
    task = TranslationTask.build(config, pairs)
    task.fit(pairs, pairs.subset(range(200)), epochs=1, verbose=0)
    source_ids = tf.cast(task.encode_sources(pairs.sources[: args.batch]).to_tensor(), tf.int32)
    model, steps = task.model, task.max_new_tokens

    greedy = tf.function(lambda ids: decode_ids(model, ids, steps, greedy=True)[0],
                         input_signature=[tf.TensorSpec([None, None], tf.int32)])
    beam = tf.function(lambda ids: decode_ids(model, ids, steps, beam_size=args.beam_size)[0],
                       input_signature=[tf.TensorSpec([None, None], tf.int32)])

    rows = []
    compiled_greedy, ids = timed(lambda: greedy(source_ids).numpy(), args.repeats)
    python_greedy, reference_ids = timed(lambda: reference_greedy(model, source_ids, steps), args.repeats)
    width = reference_ids.shape[1]
    assert np.array_equal(ids[:, 0, :width], reference_ids), "greedy outputs differ"
    rows.append(("greedy", compiled_greedy, python_greedy))
    compiled_beam, _ = timed(lambda: beam(source_ids).numpy(), args.repeats)
    python_beam, _ = timed(lambda: reference_beam(model, source_ids, steps, args.beam_size, 0.6), args.repeats)
    rows.append((f"beam {args.beam_size}", compiled_beam, python_beam))

    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs visible, TensorFlow {tf.__version__} devices {devices}")
    print(f"model: {args.arch} ({model.count_params():,} parameters), batch {args.batch}, "
          f"up to {steps} new tokens; mean of {args.repeats} runs after a warm-up")
    print(f"{'decoding':<10} {'seqzoo compiled':>16} {'python loop':>12} {'speed-up':>9}")
    for name, fast, slow in rows:
        print(f"{name:<10} {fast * 1000:13.1f} ms {slow * 1000:9.1f} ms {slow / fast:8.2f}x")
        print("BENCHMARK-RESULT " + json.dumps({"benchmark": "translation_decoding",
                                                "case": f"{args.arch} {name}, batch {args.batch} (vs Python loop)",
                                                "seqzoo": round(fast * 1000, 2), "reference": round(slow * 1000, 2),
                                                "ratio": round(slow / fast, 3), "unit": "ms"}))


if __name__ == "__main__":
    main()
