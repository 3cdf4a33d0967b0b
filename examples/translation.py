"""Translation from Python: train, evaluate, translate, export, inspect and serve the export.

Run from the repository root (about a minute on two CPU cores):

    python examples/translation.py          # writes runs/example-translation and exported/example-translation

A Luong-attention GRU encoder-decoder on 3,000 pairs of the built-in `cldr-dates` corpus
(English dates and their German renderings from Babel's CLDR data).
"""

from _common import load_servable, output_folders, print_json, save_run, show_export

from seqzoo.tasks.translation.task import TranslationTask
from seqzoo.tasks.translation.config import TranslationConfig
from seqzoo.tasks.translation.jobs import load_splits

run_dir, export_dir = output_folders("translation")

# Data: the built-in corpus, split so that no source sentence is on two sides.
config = TranslationConfig(arch="luong", cell="gru", units=64, embedding_dim=32, epochs=16, max_examples=3000,
                           beam_size=3)
splits = load_splits(config)

# Train and evaluate (BLEU and chrF by sacrebleu, exact match).
task = TranslationTask.build(config, splits["train"])
task.fit(splits["train"], splits["valid"], verbose=2)
metrics = task.evaluate(splits["test"])
print(f"test BLEU {metrics['bleu']:.1f}, chrF {metrics['chrf']:.1f}, exact match {metrics['exact_match']:.3f}")

# Translate with beam search.
texts = ["Monday, March 5, 2021", "Jan 2, 1999"]
for result in task.translate(texts):
    print(f"{result['source']}  ->  {result['translation']}   ({result['score']:.3f})")

# Save a run directory, then export from it (the model card picks up its metrics).
save_run(task, run_dir, {k: v for k, v in metrics.items() if k != "samples"})
TranslationTask.load(run_dir).export(export_dir)
show_export(export_dir)

# Serve the export as TensorFlow Serving would: raw text in, translations out.
import tensorflow as tf  # noqa: E402

serve = load_servable(export_dir)
outputs = serve(text=tf.constant(texts))
print_json([t.decode() for t in outputs["translation"].numpy()])
