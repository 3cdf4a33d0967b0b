"""The LiteRT and ONNX cores against the Keras model they came from: conversion time, the
largest output difference on built-in inputs, and the time of one call (the classifier
on a batch, or one decoder step), with the ratio to TensorFlow's.

    python benchmarks/portable_latency.py [--units 128] [--repeats 50]

Each task is built at its default architecture with `--units` units (untrained: speed and
parity do not depend on training) on a small sample of its built-in data, then exported in
both formats. TensorFlow runs the same token-id graph as a `tf.function` (what the
SavedModel runs inside), with the same fixed lengths.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from seqzoo.tasks.common.portable_client import PortableModel, padded
from seqzoo.tasks.common.portable_export import export_portable
from seqzoo.tasks.common.unrolled_recurrence import unrolled_recurrence


def build_tasks(units: int) -> dict:
    from seqzoo.data.builtin import load_builtin
    from seqzoo.data.builtin_corpus import load_pydoc_topics
    from seqzoo.data.builtin_digit_captions import load_digit_strings
    from seqzoo.data.builtin_parallel import load_cldr_dates
    from seqzoo.tasks.captioning.config import CaptioningConfig
    from seqzoo.tasks.captioning.task import CaptioningTask
    from seqzoo.tasks.language_model.config import LanguageModelConfig
    from seqzoo.tasks.language_model.task import LanguageModelTask
    from seqzoo.tasks.sentiment.config import SentimentConfig
    from seqzoo.tasks.sentiment.task import SentimentTask
    from seqzoo.tasks.translation.config import TranslationConfig
    from seqzoo.tasks.translation.task import TranslationTask

    sizes = dict(units=units, embedding_dim=units)
    images = load_digit_strings(size=32)
    return {
        "sentiment": (SentimentTask.build(SentimentConfig(**sizes), load_builtin("negation-reviews", size=300)),
                      load_builtin("negation-reviews", seed=1, size=8).texts),
        "language-model": (LanguageModelTask.build(LanguageModelConfig(**sizes), load_pydoc_topics()[:20000]), None),
        "translation": (TranslationTask.build(TranslationConfig(**sizes), load_cldr_dates(size=300)),
                        load_cldr_dates(seed=1, size=8).sources),
        "captioning": (CaptioningTask.build(CaptioningConfig(**sizes), images), images),
    }


def timed(call, repeats: int) -> float:
    call()  # warm up (traces, allocates)
    started = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - started) / repeats


def graph_inputs(name: str, task, sample, model: PortableModel) -> tuple[str, dict]:
    """(the graph to time, its inputs): the classifier on the sample, else one decoder step
    from the encoded sample (a zero state for the language model)."""
    manifest = model.manifest
    if name == "sentiment":
        preprocessor = model.preprocessors["preprocessor"]
        return "classifier", {"token_ids": padded([preprocessor.encode(t) for t in sample], manifest["max_length"])}
    if name == "language-model":
        state = {s["name"]: np.zeros([8] + s["shape"][1:], s["dtype"]) for s in manifest["state"]}
    elif name == "translation":
        source = model.preprocessors["source_preprocessor"]
        state = model.graphs["encoder"](source_ids=padded([source.encode(t) for t in sample],
                                                           manifest["max_length"]))
    else:
        images = np.concatenate([batch.numpy() for batch in task.images_dataset(sample.subset(list(range(8))))])
        state = model.graphs["encoder"](images=images)
    return "decoder_step", {"token_ids": np.full([8], 2, np.int32), **state}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs; tensorflow {tf.__version__}; "
          f"default architectures, {args.units} units, batch 8")
    # convert s: the whole export's conversion (every graph); the rest: the timed graph.
    print(f"{'task':<15} {'graph':<13} {'format':<7} {'convert s':>9} {'max diff':>9} "
          f"{'TF ms':>8} {'portable ms':>11} {'ratio':>6}")
    for name, (task, sample) in build_tasks(args.units).items():
        graphs = {graph.name: graph for graph in task.portable_graphs()}
        for export_format in ("litert", "onnx"):
            folder = export_portable(task, root / f"{name}-{export_format}", export_format)
            model = PortableModel(folder)
            graph_name, inputs = graph_inputs(name, task, sample, model)
            graph = graphs[graph_name]
            with unrolled_recurrence(task.model):  # the same graph as converted
                reference = graph.concrete_function()
            tensors = [tf.constant(inputs[spec.name]) for spec in graph.inputs]
            expected = {key: value.numpy() for key, value in reference(*tensors).items()}
            got = model.graphs[graph_name](**inputs)
            difference = max(float(np.abs(got[key].astype(np.float32) - expected[key].astype(np.float32)).max())
                             for key in expected)
            tf_seconds = timed(lambda: reference(*tensors), args.repeats)
            portable_seconds = timed(lambda: model.graphs[graph_name](**inputs), args.repeats)
            converted = sum(graph["conversion_seconds"] for graph in model.manifest["graphs"].values())
            print(f"{name:<15} {graph_name:<13} {export_format:<7} {converted:>9.1f} {difference:>9.1e} "
                  f"{tf_seconds * 1e3:>8.2f} {portable_seconds * 1e3:>11.2f} {tf_seconds / portable_seconds:>6.1f}")
            print("BENCHMARK-RESULT " + json.dumps({
                "benchmark": "portable_latency", "case": f"{name} {graph_name} {export_format} (vs TF graph)",
                "seqzoo": round(portable_seconds * 1e3, 3), "reference": round(tf_seconds * 1e3, 3),
                "ratio": round(tf_seconds / portable_seconds, 3), "unit": "ms"}), flush=True)


if __name__ == "__main__":
    main()
