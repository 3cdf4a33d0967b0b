"""Batched sampling of the language model: one sampler over the batch against one per row.

    python benchmarks/batched_sampling.py [--archs gru,transformer] [--tokens 100]
                                          [--batch-sizes 1,8,32] [--repeats 3]
                                          [--temperature 1.0] [--top-k 0] [--top-p 0.9]

seqzoo (`LanguageModelGenerator.generate`, what `seqzoo generate` and the SavedModel run)
primes the decoder on the batch of prompts and samples the whole batch in one compiled
loop; each row draws its random numbers from its own seed. The reference is the previous
design, kept here: the same priming, then `tf.map_fn` over the rows, one sampler each
(batch 1 inside), which is how per-row seeds used to be kept apart. Both run the same
untrained model (speed does not depend on the weights) at the default sizes for the
character vocabulary of the built-in corpus, on the same prompts (of different lengths)
with one seed per row, and give the same text (checked: a row's draws depend on its seed
only, so the two paths must agree). Prints seconds per call (median of --repeats after
one untimed call that traces the graph), generated tokens per second, the ratio reference
time / seqzoo time (above 1: batching is faster), seqzoo's tokens/s at each batch over
its tokens/s at the first batch size, and the machine; then the same figures as
`BENCHMARK-RESULT` lines for `python -m benchmarks`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

from seqzoo.data.builtin_corpus import load_pydoc_topics  # noqa: E402
from seqzoo.tasks.common.samplers import sample  # noqa: E402
from seqzoo.tasks.language_model.config import LanguageModelConfig  # noqa: E402
from seqzoo.tasks.language_model.generator import LanguageModelGenerator  # noqa: E402
from seqzoo.tasks.language_model.task import LanguageModelTask  # noqa: E402

PROMPTS = ["The \"with\" statement is used to wrap the execution of a block", "", "class",
           "A function definition defines a user-defined function object"]


class PerRowGenerator(LanguageModelGenerator):
    """The reference: the previous `_generate`, one sampler per row under `tf.map_fn`."""

    def _generate(self, prompt, max_tokens, temperature, top_k, top_p, seed):
        prompt, max_tokens, temperature, top_k, top_p, seed = self._checked(
            prompt, max_tokens, temperature, top_k, top_p, seed
        )
        batch = tf.shape(prompt)[0]

        def per_row(value, dtype):
            return tf.broadcast_to(tf.cast(value, dtype), [batch])

        ids, max_tokens = self._prompt_ids(prompt, per_row(max_tokens, tf.int32))
        longest = tf.maximum(tf.reduce_max(max_tokens), 1)
        logits, state = self._prime(ids, longest)
        logits = logits + self.logit_bias

        def one_row(row):
            row_logits, row_state, length, row_temperature, row_k, row_p, row_seed = row
            row_state = tf.nest.map_structure(lambda tensor: tensor[None], row_state)
            tokens = sample(
                self._step, row_state, None, tf.maximum(length, 1), end_id=None,
                temperature=row_temperature, top_k=row_k, top_p=row_p, seed=row_seed,
                initial_logits=row_logits[None],
            )[0]
            tokens = tokens * tf.cast(tf.range(tf.shape(tokens)[0]) < length, tf.int32)
            return tf.pad(tokens, [[0, longest - tf.shape(tokens)[0]]])

        tokens = tf.map_fn(
            one_row,
            (logits, state, max_tokens, per_row(temperature, tf.float32),
             per_row(top_k, tf.int32), per_row(top_p, tf.float32), per_row(seed, tf.int32)),
            fn_output_signature=tf.TensorSpec([None], tf.int32),
        )
        return {"text": self.preprocessor.detokenize(tokens), "token_ids": tokens}


def timed(function, repeats):
    result = function()  # traces
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", default="gru,transformer")
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-k", type=int, default=0)
    parser.add_argument("--top-p", type=float, default=0.9)
    args = parser.parse_args()

    text = load_pydoc_topics()[:50_000]
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs visible, TensorFlow {tf.__version__}, "
          f"devices {[d.device_type for d in tf.config.list_logical_devices()]}")
    print(f"{args.tokens} new tokens per row, temperature {args.temperature}, top-k {args.top_k}, "
          f"top-p {args.top_p}, one seed per row; median of {args.repeats} calls after a warm-up")
    print(f"{'arch':<12} {'batch':>5} {'seqzoo s':>9} {'per-row s':>10} {'seqzoo tok/s':>13} "
          f"{'per-row tok/s':>14} {'ratio':>6} {'vs first':>11}")
    for arch in args.archs.split(","):
        task = LanguageModelTask.build(LanguageModelConfig(arch=arch, dropout=0.0), text)
        batched = task.generator
        per_row = PerRowGenerator(task.preprocessor, task.model.decoder)
        first_rate = None
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            inputs = (
                tf.constant([PROMPTS[i % len(PROMPTS)] for i in range(batch)]),
                tf.constant([args.tokens]), tf.constant([args.temperature]),
                tf.constant([args.top_k]), tf.constant([args.top_p]),
                tf.range(batch, dtype=tf.int32) * 17 + 1,
            )
            ours, our_ids = timed(lambda: batched.generate(*inputs)["token_ids"], args.repeats)
            theirs, their_ids = timed(lambda: per_row.generate(*inputs)["token_ids"], args.repeats)
            same = our_ids.shape == their_ids.shape and bool(tf.reduce_all(our_ids == their_ids))
            tokens = batch * args.tokens
            rate = tokens / ours
            first_rate = first_rate or rate
            print(f"{arch:<12} {batch:>5} {ours:>9.3f} {theirs:>10.3f} {rate:>13.1f} "
                  f"{tokens / theirs:>14.1f} {theirs / ours:>5.2f}x {rate / first_rate:>10.2f}x"
                  + ("" if same else "  TOKENS DIFFER"), flush=True)
            results = [(f"{arch} batch {batch} (vs one sampler per row)", tokens / theirs)]
            if batch != 1 and first_rate != rate:
                results.append((f"{arch} batch {batch} (vs seqzoo at the first batch size)", first_rate))
            for case, reference in results:
                print("BENCHMARK-RESULT " + json.dumps({
                    "benchmark": "batched_sampling", "case": case + ("" if same else ", TOKENS DIFFER"),
                    "seqzoo": round(rate, 1), "reference": round(reference, 1),
                    "ratio": round(rate / reference, 3), "unit": "tokens/s"}))


if __name__ == "__main__":
    main()
