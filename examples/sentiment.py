"""Sentiment from Python: train, evaluate, predict, export, inspect and serve the export.

Run from the repository root (about a minute on two CPU cores):

    python examples/sentiment.py            # writes runs/example-sentiment and exported/example-sentiment

A small bidirectional LSTM on the 6,000 examples of the built-in `negation-reviews` data, a few epochs.
"""

from _common import load_servable, output_folders, print_json, save_run, show_export

from seqzoo.data.builtin import load_builtin
from seqzoo.data.splits import split_labelled
from seqzoo.tasks import SentimentConfig, SentimentTask

run_dir, export_dir = output_folders("sentiment")

# Data: the built-in generated reviews, split into train / validation / test.
splits = split_labelled(load_builtin("negation-reviews", seed=0, size=6000), seed=0)

# Train and evaluate.
config = SentimentConfig(arch="bilstm", units=32, embedding_dim=32, epochs=5, learning_rate=5e-3, max_length=80)
task = SentimentTask.build(config, splits["train"])
task.fit(splits["train"], splits["valid"], verbose=2)
metrics = task.evaluate(splits["test"])
print(f"test accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}")

# Predict.
texts = ["the film was not good , and the plot drags", "a wonderful , moving film"]
for prediction in task.predict(texts):
    print(f"{prediction['label']:>5}  {prediction['text']}")

# Save a run directory, then export from it (the model card picks up its metrics).
save_run(task, run_dir, metrics)
SentimentTask.load(run_dir).export(export_dir)
show_export(export_dir)

# Serve the export as TensorFlow Serving would: raw strings in, labels out.
import tensorflow as tf  # noqa: E402

serve = load_servable(export_dir)
outputs = serve(text=tf.constant(texts))
print_json([{"label": label.decode(), "probabilities": [round(p, 4) for p in row]}
            for label, row in zip(outputs["label"].numpy(), outputs["probabilities"].numpy().tolist())])
