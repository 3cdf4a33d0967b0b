"""Generation speed of the language model: cached steps against recomputing the prefix.

    python benchmarks/language_model_generation.py [--archs lstm,transformer] [--tokens 200]
                                                   [--batch-sizes 1,8] [--repeats 3]

seqzoo generates with `LanguageModelGenerator.generate` (the function `seqzoo generate`
and the SavedModel run; row `generator`): the prompt is read once, then each new token is
one step of the decoder from its recurrent state or key/value cache, inside the compiled
sampler, one sampler over the batch (each row draws from its own seed). Row `decoder` is
the same cached decoder driven by one greedy sampler over the whole batch (`decoder.prime`
with a cache of the whole context, then `sample` over the generator's step, as translation
and captioning decode): the cost of the decoder's step itself. The
reference generates the same tokens the textbook way: at every step the decoder reads the
whole prefix again (`decoder(prefix)`), driven by the same compiled sampler, so its cost per
token grows with the length. Both run on the same untrained models (speed does not depend
on the weights) at the default sizes for a character vocabulary of the built-in corpus.
Greedy decoding, so both produce the same tokens (checked). Prints seconds per run
(median of --repeats, after one untimed run that traces the graphs), tokens per second,
the ratio reference / cached (above 1: the cache is faster), and the machine; then the
same figures as `BENCHMARK-RESULT` lines for `python -m benchmarks`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from seqzoo.data.builtin_corpus import load_pydoc_topics  # noqa: E402
from seqzoo.tasks.language_model.task import LanguageModelTask  # noqa: E402
from seqzoo.tasks.language_model.config import LanguageModelConfig  # noqa: E402
from seqzoo.tasks.common.samplers import sample  # noqa: E402

PROMPT = "The \"with\" statement is used to wrap the execution of a block"


def recomputing_step_fn(decoder, logit_bias):
    """The reference step: the decoder reads the whole prefix buffer every step."""

    def step_fn(token_ids, state):
        position = state["length"]
        rows = tf.range(tf.shape(position)[0])
        prefix = tf.tensor_scatter_nd_update(state["prefix"], tf.stack([rows, position], 1), token_ids)
        outputs = decoder(prefix[:, : tf.reduce_max(position) + 1])
        logits = outputs[0] if isinstance(outputs, tuple) else outputs
        logits = tf.gather(logits, position, axis=1, batch_dims=1)
        return logits + logit_bias, {"prefix": prefix, "length": position + 1}

    return step_fn


def timed(function, repeats):
    function()  # traces
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archs", default="lstm,transformer")
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    text = load_pydoc_topics()[:50_000]
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs visible, TensorFlow {tf.__version__}, "
          f"devices {[d.device_type for d in tf.config.list_logical_devices()]}")
    print(f"{'arch':<12} {'path':<9} {'batch':>5} {'cached s':>9} {'recompute s':>12} "
          f"{'cached tok/s':>13} {'recompute tok/s':>16} {'ratio':>6}")
    for arch in args.archs.split(","):
        config = LanguageModelConfig(arch=arch, dropout=0.0)
        task = LanguageModelTask.build(config, text)
        generator = task.generator
        prompt_ids = [generator.boundary_id] + task.preprocessor(tf.constant([PROMPT]))[0].numpy().tolist()
        if generator.context_length is not None:  # the generator keeps the prompt's end
            prompt_ids = prompt_ids[-(generator.context_length - args.tokens):]
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            prompts = tf.constant([PROMPT] * batch)
            settings = [tf.constant([v]) for v in (args.tokens, 0.0)]

            def cached():
                return generator.generate(prompts, settings[0], settings[1], tf.constant([0]),
                                          tf.constant([1.0]), tf.constant([0]))["token_ids"]

            buffer = np.zeros([batch, len(prompt_ids) + args.tokens], np.int32)
            buffer[:, : len(prompt_ids)] = prompt_ids
            state = {"prefix": tf.constant(buffer), "length": tf.fill([batch], len(prompt_ids) - 1)}
            step_fn = recomputing_step_fn(task.model.decoder, generator.logit_bias)

            @tf.function
            def recompute():
                return sample(step_fn, state, tf.fill([batch], prompt_ids[-1]), args.tokens,
                              end_id=None, greedy=True)

            prompt_batch = tf.constant([prompt_ids] * batch)

            @tf.function
            def decoder_cached():
                decoder = task.model.decoder
                if generator.context_length is None:
                    logits, cache = decoder.prime(prompt_batch)
                else:
                    logits, cache = decoder.prime(prompt_batch, max_length=generator.context_length)
                return sample(generator.step, cache, None, args.tokens, end_id=None, greedy=True,
                              initial_logits=logits + generator.logit_bias)

            recompute_seconds, recomputed_ids = timed(recompute, args.repeats)
            tokens = batch * args.tokens
            for path, function in (("generator", cached), ("decoder", decoder_cached)):
                cached_seconds, cached_ids = timed(function, args.repeats)
                same = np.array_equal(cached_ids.numpy(), recomputed_ids.numpy())
                print(f"{arch:<12} {path:<9} {batch:>5} {cached_seconds:>9.3f} "
                      f"{recompute_seconds:>12.3f} {tokens / cached_seconds:>13.1f} "
                      f"{tokens / recompute_seconds:>16.1f} {recompute_seconds / cached_seconds:>6.2f}"
                      + ("" if same else "  TOKENS DIFFER"))
                print("BENCHMARK-RESULT " + json.dumps({
                    "benchmark": "language_model_generation",
                    "case": f"{arch} {path} batch {batch}, {args.tokens} tokens (cached vs recomputed)"
                            + ("" if same else " TOKENS DIFFER"),
                    "seqzoo": round(tokens / cached_seconds, 1),
                    "reference": round(tokens / recompute_seconds, 1),
                    "ratio": round(recompute_seconds / cached_seconds, 3), "unit": "tokens/s"}))


if __name__ == "__main__":
    main()
