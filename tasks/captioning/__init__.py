"""The image-captioning template: one image in, a sentence out (one-to-many).

`config.py` (CaptioningConfig), `architectures.py` (the caption decoders), `task.py`
(CaptioningTask, image encoders and compiled decoding), `jobs.py` (train and evaluate a
run directory), `cli.py` (`seqzoo caption`), `metrics.py` (BLEU-1..4),
`attention_plots.py`. This file holds the task's `TaskSpec` and imports no TensorFlow.
"""

from seqzoo.tasks.captioning import cli
from seqzoo.tasks.captioning.architectures import CAPTIONING_ARCHITECTURES
from seqzoo.tasks.captioning.config import CaptioningConfig
from seqzoo.tasks.common.contract import MetricColumn, TaskSpec, TokenSide
from seqzoo.tasks.legacy_paths import forward_names


def _jobs():
    from seqzoo.tasks.captioning.jobs import JOBS

    return JOBS


SPEC = TaskSpec(
    name="captioning",
    config_class=CaptioningConfig,
    architectures=CAPTIONING_ARCHITECTURES,
    jobs=_jobs,
    cli=cli,
    metrics=(MetricColumn("bleu1", "BLEU-1", 2), MetricColumn("bleu4", "BLEU-4", 2)),
    builtin_dataset="digit-strings",
    example_requests={
        "serving_default": [{"image": {"b64": "<base64 of a JPEG or PNG file>"}}],
    },
    model_class="ImageCaptioner",
    # The decoder reads the caption tokens; the image side has no token embedding.
    token_sides={"target": TokenSide("decoder", "preprocessor"),
                 "source": "a captioning model reads images, not tokens, on its source side; use --side target."},
    pipeline_tag="image-to-text",
)

# seqzoo 0.1's module `seqzoo.tasks.captioning` held these names.
__getattr__ = forward_names(__name__, {
    name: "task" for name in ("CaptioningTask", "CaptioningServer", "check_encoder", "image_size",
                              "build_encoder", "normalise_captions", "decode_images")
} | {"Architecture": "architectures", "get_architecture": "architectures"})
