"""SavedModel export: raw input in, raw output out, tokenisation inside the graph.

The exported directory loads with `tf.saved_model.load` in a process that imports only
`tensorflow` and `tensorflow_text` (TensorFlow Serving has tf-text's ops built in), never
seqzoo.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from seqzoo.tasks.common.output_dirs import check_inputs, check_out, input_paths, staged_output


def check_export_dir(export_dir: str | Path, overwrite: bool = False, run_dir: str | Path | None = None) -> Path:
    """Refuse, before any work, an export folder that overlaps the run it comes from, or
    that exists and is not to be replaced (see `seqzoo.tasks.common.output_dirs`)."""
    return check_out(export_dir, "export", inputs=export_inputs(run_dir), overwrite=overwrite,
                     exists_message=exists_message(export_dir))


def check_export_base(base: str | Path, run_dir: str | Path | None = None) -> Path:
    """Refuse a base folder of versions (`seqzoo export --out`) that is, holds or lies in
    the run it comes from, before a version folder is chosen inside it."""
    return check_inputs(base, export_inputs(run_dir))


def export_inputs(run_dir) -> list:
    """The inputs an export must not overlap: the run directory it comes from (if any)."""
    return input_paths(extra=[("the run directory", run_dir)]) if run_dir is not None else []


def exists_message(export_dir) -> str:
    return f"{export_dir} already exists; pass --overwrite to replace it."


def save_servable(
    module: tf.Module, signatures: dict, export_dir: str | Path, overwrite: bool, card: dict | None = None
) -> Path:
    """`tf.saved_model.save` into a temporary folder beside `export_dir`, then rename, so
    an existing export is replaced only when asked, only when it is one seqzoo made, and
    never left half-written; the run it was loaded from (`card["run_directory"]`) is
    never written over.

    `card` (from `seqzoo.tasks.common.model_card.model_card`) is completed with the signature
    contract read back from the saved graph and written into the same temporary folder
    (`assets.extra/model_card.json`, `MODEL_CARD.md`), so it always matches the export;
    the card's example requests become TensorFlow Serving's warm-up requests
    (`assets.extra/tf_serving_warmup_requests`, `seqzoo.tasks.common.serving_warmup`)."""
    export_dir = Path(export_dir)
    run_dir = (card or {}).get("run_directory")
    with staged_output(export_dir, "export", inputs=export_inputs(run_dir), overwrite=overwrite,
                       exists_message=exists_message(export_dir), always_stage=True) as output:
        tf.saved_model.save(module, str(output.path), signatures=signatures)
        if card is not None:
            from seqzoo.tasks.common.model_card import signature_contract, write_model_card
            from seqzoo.tasks.common.serving_warmup import write_warmup_requests

            contract = signature_contract(output.path)
            write_model_card(output.path, {**card, "signatures": contract})
            write_warmup_requests(output.path, card.get("example_requests") or {}, contract)
    return export_dir

