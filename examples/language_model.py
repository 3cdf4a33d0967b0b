"""Language model from Python: train, evaluate, generate, export, inspect and serve the export.

Run from the repository root (about a minute on two CPU cores):

    python examples/language_model.py       # writes runs/example-language-model and exported/example-language-model

A character-level GRU on the first 150,000 characters of the built-in `pydoc-topics`
corpus (Python's own documentation), with truncated backpropagation through time.
"""

from _common import load_servable, output_folders, print_json, save_run, show_export

from seqzoo.tasks.language_model.task import LanguageModelTask
from seqzoo.tasks.language_model.config import LanguageModelConfig
from seqzoo.tasks.language_model.jobs import load_splits

run_dir, export_dir = output_folders("language-model")

# Data: the built-in corpus, cut into contiguous training / validation / test blocks.
config = LanguageModelConfig(arch="gru", level="char", units=128, embedding_dim=32, window=64, batch_size=32,
                             epochs=5)
splits, source = load_splits(config)
train, valid, test = splits["train"][:150_000], splits["valid"][:10_000], splits["test"][:10_000]

# Train and evaluate.
task = LanguageModelTask.build(config, train)
task.fit(train, valid, verbose=2)
metrics = task.evaluate(test, "the test text")
print(f"test: {metrics['bits_per_char']:.3f} bits per character, perplexity {metrics['perplexity']:.2f}")

# Generate (the same seed gives the same text).
for text in task.generate(["The ", "def "], max_tokens=80, temperature=0.7, seed=1):
    print(repr(text))

# Save a run directory, then export from it (the model card picks up its metrics).
save_run(task, run_dir, metrics)
LanguageModelTask.load(run_dir).export(export_dir)
show_export(export_dir)

# Serve the export as TensorFlow Serving would: prompts and settings in, text out.
import tensorflow as tf  # noqa: E402

serve = load_servable(export_dir)
outputs = serve(prompt=tf.constant(["The ", "def "]), max_tokens=tf.constant([80]),
                temperature=tf.constant([0.7]), seed=tf.constant([1]))
print_json([text.decode() for text in outputs["text"].numpy()])
