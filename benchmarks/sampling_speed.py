"""Top-k / top-p sampling speed: seqzoo's `sample` against keras-hub's `TopKSampler` and
`TopPSampler` (the reference), driving the same toy GRU decoder over the same steps.

    pip install -e ".[bench]"   # keras-hub, for this benchmark only
    python benchmarks/sampling_speed.py [--quick] [--repeats 5]

The decoder is an embedding, a GRU cell and a dense layer over the vocabulary (5,000,
20,000 and 50,000 tokens), at batch 1 and 32, generating 64 new tokens with no end token.
Two output distributions: "flat" (random weights: nearly uniform, so the top-p nucleus
holds most of the vocabulary) and "zipf" (an output bias of -log(rank), like a trained
language model's unigram prior, so the nucleus is small). Both sides are compiled:
seqzoo's loop in a `tf.function`, keras-hub's sampler call in a `tf.function` with and
without XLA (`jit_compile`, its default for generation); the faster keras-hub figure is
the reference. Prints the median of the timed runs after a warm-up, tokens per second,
the ratio (reference time / seqzoo time: above 1 means seqzoo is faster) and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqzoo.tasks.common.samplers import sample  # noqa: E402

NEW_TOKENS = 64


class ToyDecoder(keras.Model):
    """Embedding -> GRU cell -> logits: the one-step call both samplers drive."""

    def __init__(self, vocabulary_size, distribution, units=128):
        super().__init__()
        self.embedding = keras.layers.Embedding(vocabulary_size, 32)
        self.cell = keras.layers.GRUCell(units)
        self.output_layer = keras.layers.Dense(vocabulary_size)
        self.units = units
        self.build_step(vocabulary_size, distribution)

    def build_step(self, vocabulary_size, distribution):
        self.step(tf.zeros([1], tf.int32), tf.zeros([1, self.units]))
        if distribution == "zipf":
            kernel, bias = self.output_layer.get_weights()
            ranks = np.arange(1, vocabulary_size + 1)
            self.output_layer.set_weights([kernel, -np.log(ranks).astype("float32")])

    def step(self, token_ids, state):
        output, new_state = self.cell(self.embedding(token_ids), [state])
        return self.output_layer(output), new_state[0]


def seqzoo_run(decoder, batch, top_k, top_p):
    @tf.function
    def run(start, state):
        return sample(decoder.step, state, start, NEW_TOKENS, end_id=None,
                      top_k=top_k, top_p=top_p, seed=1)

    start = tf.ones([batch], tf.int32)
    state = tf.zeros([batch, decoder.units])
    return lambda: run(start, state).numpy()


def keras_hub_run(decoder, batch, sampler, jit_compile):
    def next_fn(prompt, cache, index):
        logits, cache = decoder.step(prompt[:, index - 1], cache)
        return logits, None, cache

    @tf.function(jit_compile=jit_compile)
    def run(prompt, state):
        return sampler(next_fn, prompt, cache=state, index=1)

    prompt = tf.concat([tf.ones([batch, 1], tf.int32),
                        tf.zeros([batch, NEW_TOKENS], tf.int32)], 1)
    state = tf.zeros([batch, decoder.units])
    return lambda: run(prompt, state).numpy()


def median_time(fn, repeats):
    fn()  # warm-up: tracing and compilation
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="vocabulary 5,000 only, 2 runs")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--top-p", type=float, default=0.9)
    parser.add_argument("--vocabularies", type=int, nargs="+", default=[5000, 20000, 50000])
    parser.add_argument("--no-jit-reference", action="store_true",
                        help="skip the XLA-compiled keras-hub variant")
    args = parser.parse_args()
    import keras_hub  # noqa: E402  (benchmark-only dependency: pip install -e ".[bench]")

    vocabularies, repeats = ([5000], 2) if args.quick else (args.vocabularies, args.repeats)
    devices = [d.device_type for d in tf.config.list_physical_devices()]
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs visible, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"keras-hub {keras_hub.__version__}, devices {devices}")
    print(f"{NEW_TOKENS} new tokens per row; median of {repeats} runs after a warm-up; "
          f"ratio = keras-hub / seqzoo (above 1: seqzoo is faster)")
    header = (f"{'sampler':<11} {'dist':<5} {'vocab':>6} {'batch':>5} {'seqzoo':>10} "
              f"{'tok/s':>8} {'keras-hub':>10} {'tok/s':>8} {'(mode)':>7} {'ratio':>6}")
    print(header)
    for vocabulary_size in vocabularies:
        for distribution in ("flat", "zipf"):
            keras.utils.set_random_seed(0)
            decoder = ToyDecoder(vocabulary_size, distribution)
            for batch in (1, 32):
                settings = (
                    (f"top-k {args.top_k}", dict(top_k=args.top_k),
                     lambda: keras_hub.samplers.TopKSampler(k=args.top_k, seed=1)),
                    (f"top-p {args.top_p}", dict(top_p=args.top_p),
                     lambda: keras_hub.samplers.TopPSampler(p=args.top_p, seed=1)),
                )
                for name, seqzoo_settings, make_sampler in settings:
                    if distribution == "zipf" and name.startswith("top-k"):
                        continue  # top-k cost does not depend on the distribution
                    ours = median_time(seqzoo_run(decoder, batch, **{"top_k": 0, "top_p": 1.0,
                                                                     **seqzoo_settings}), repeats)
                    references = {}
                    for jit in ((False,) if args.no_jit_reference else (False, True)):
                        run = keras_hub_run(decoder, batch, make_sampler(), jit)
                        references["xla" if jit else "graph"] = median_time(run, repeats)
                    mode, theirs = min(references.items(), key=lambda item: item[1])
                    tokens = batch * NEW_TOKENS
                    print(f"{name:<11} {distribution:<5} {vocabulary_size:>6} {batch:>5} "
                          f"{ours * 1000:7.1f} ms {tokens / ours:8.0f} "
                          f"{theirs * 1000:7.1f} ms {tokens / theirs:8.0f} {mode:>7} "
                          f"{theirs / ours:5.2f}x", flush=True)
                    print("BENCHMARK-RESULT " + json.dumps({
                        "benchmark": "sampling_speed", "case": f"{name} {distribution} vocab {vocabulary_size} "
                        f"batch {batch} (vs keras-hub {mode})", "seqzoo": round(ours * 1000, 2),
                        "reference": round(theirs * 1000, 2), "ratio": round(theirs / ours, 3), "unit": "ms"}))


if __name__ == "__main__":
    main()
