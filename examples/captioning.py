"""Image captioning from Python: train, evaluate, caption, export, inspect and serve the export.

Run from the repository root (about a minute on two CPU cores):

    python examples/captioning.py           # writes runs/example-captioning and exported/example-captioning

Show, Attend and Tell with a small CNN on 1,200 images of the built-in `digit-strings`
data (scikit-learn's handwritten digits laid side by side, captioned "three one four").
"""

import base64

from _common import load_servable, output_folders, print_json, save_run, show_export

from seqzoo.data.builtin_digit_captions import load_digit_strings
from seqzoo.tasks.captioning.task import CaptioningTask
from seqzoo.tasks.captioning.config import CaptioningConfig

run_dir, export_dir = output_folders("captioning")

# Data: generated images, each with two reference captions; split by image.
data = load_digit_strings(seed=0, size=1300)
train, valid, test = data.subset(range(1100)), data.subset(range(1100, 1200)), data.subset(range(1200, 1300))

# Train and evaluate (BLEU-1..4 against all references of each image).
config = CaptioningConfig(arch="show-attend-tell", cnn_filters="8,16,32", units=48, embedding_dim=32,
                          learning_rate=1e-2, epochs=8, batch_size=32, dropout=0.0, beam_size=2)
task = CaptioningTask.build(config, train)
task.fit(train, valid, verbose=2)
metrics = task.evaluate(test)
print(f"test BLEU-1 {metrics['bleu1']:.1f}, BLEU-4 {metrics['bleu4']:.1f}")

# Caption a few test images.
for result, references in zip(task.caption(test.subset([0, 1, 2])), test.captions):
    print(f"{result['caption']!r}   (references: {' | '.join(references)})")

# Save a run directory, then export from it (the model card picks up its metrics).
save_run(task, run_dir, {k: v for k, v in metrics.items() if k != "samples"})
CaptioningTask.load(run_dir).export(export_dir)
show_export(export_dir)

# Serve the export as TensorFlow Serving would: encoded PNG/JPEG bytes in, captions out.
# (Over REST the bytes travel base64-encoded: {"instances": [{"image": {"b64": ...}}]}.)
import tensorflow as tf  # noqa: E402

images = [test.contents[i] for i in range(3)]
print("REST body:", {"instances": [{"image": {"b64": base64.b64encode(images[0]).decode()[:24] + "..."}}]})
serve = load_servable(export_dir)
outputs = serve(image=tf.constant(images))
print_json([c.decode() for c in outputs["caption"].numpy()])
