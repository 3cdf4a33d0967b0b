"""`seqzoo export --format litert|onnx`: the model core on token ids, for other runtimes.

The SavedModel export takes raw text and needs tensorflow-text's ops, which TensorFlow
Lite's interpreter and ONNX Runtime lack. A portable export instead holds the task's
token-id graphs (`Task.portable_graphs`: the classifier, or an encoder and a one-step
decoder), each converted to `<graph>.tflite` (TensorFlow Lite built-in ops only; the
recurrent layers are traced unrolled, see `seqzoo.tasks.common.unrolled_recurrence`)
or `<graph>.onnx` (tf2onnx), beside what a client needs to tokenise and decode: the
vocabulary and preprocessor settings, `portable.json` (the manifest: graphs with their
inputs and outputs, fixed lengths, special ids, labels, decoding settings), `client.py`
(`seqzoo.tasks.common.portable_client`, a pure-Python reference client) and the model
card. The folder is written staged and swapped in whole, as the SavedModel export is.

Examples:

>>> import tempfile
>>> from seqzoo.data.readers import LabelledTexts
>>> from seqzoo.tasks.sentiment.config import SentimentConfig
>>> from seqzoo.tasks.sentiment.task import SentimentTask
>>> data = LabelledTexts(["good film", "bad film"] * 4, ["pos", "neg"] * 4, source="toy")
>>> task = SentimentTask.build(SentimentConfig(arch="gru", units=4, embedding_dim=4, max_length=6), data)
>>> folder = export_portable(task, tempfile.mkdtemp() + "/clf", "litert")
>>> sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))
['MODEL_CARD.md', 'assets.extra', 'classifier.tflite', 'client.py', 'portable.json', 'preprocessor.json', 'vocabulary.txt']
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
import warnings
from pathlib import Path

import tensorflow as tf

from seqzoo.data.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID
from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.export import exists_message, export_inputs
from seqzoo.tasks.common.output_dirs import staged_output
from seqzoo.tasks.common.unrolled_recurrence import unrolled_recurrence

MANIFEST = "portable.json"
CLIENT = "client.py"
MANIFEST_FORMAT_VERSION = 1
SUFFIXES = {"litert": ".tflite", "onnx": ".onnx"}
ONNX_OPSET = 17  # supported by every onnxruntime of the last years


def export_portable(task, export_dir: str | Path, export_format: str, overwrite: bool = False,
                    license: str | None = None) -> Path:
    """Convert `task`'s token-id graphs to `export_format` ("litert" or "onnx") and write
    them with the vocabularies, the manifest, the client and the model card into
    `export_dir` (staged beside it, swapped in when complete; an existing folder is
    replaced only with `overwrite`, and only when seqzoo made it)."""
    if export_format not in SUFFIXES:
        raise UsageError(f"--format {export_format}: a portable export is litert or onnx.")
    convert = _converter(export_format)
    export_dir = Path(export_dir)
    with staged_output(export_dir, "export", inputs=export_inputs(task.run_dir), overwrite=overwrite,
                       always_stage=True, exists_message=exists_message(export_dir)) as output:
        graphs = {}
        for graph in task.portable_graphs():
            started = time.perf_counter()
            with unrolled_recurrence(task.model):
                concrete = graph.concrete_function()
            content, details = convert(graph, concrete)
            path = output.path / f"{graph.name}{SUFFIXES[export_format]}"
            path.write_bytes(content)
            graphs[graph.name] = {"file": path.name, **details,
                                  "conversion_seconds": round(time.perf_counter() - started, 2)}
        # Each preprocessor's vocabulary.txt and preprocessor.json, in its run-directory folder.
        preprocessors = {}
        for attribute, folder in task.preprocessor_folders.items():
            getattr(task, attribute).save(output.path / folder if folder else output.path)
            preprocessors[attribute] = folder or "."
        manifest = {"format_version": MANIFEST_FORMAT_VERSION, "format": export_format, "task": task.spec.name,
                    "architecture": task.config.arch, "preprocessors": preprocessors,
                    "special_ids": {"pad": PAD_ID, "unk": UNK_ID, "start": START_ID, "end": END_ID},
                    **task.portable_manifest(), "graphs": graphs}
        (output.path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(Path(__file__).with_name("portable_client.py"), output.path / CLIENT)
        _write_card(task, output.path, manifest, license)
    return export_dir


def _write_card(task, folder: Path, manifest: dict, license: str | None) -> None:
    from seqzoo.tasks.common.model_card import model_card, write_model_card

    options = {} if license is None else {"license": license}  # None: the card's default
    card = model_card(task.spec, task.config, task.architecture_description(), task.vocabulary_sizes(),
                      task.run_dir, labels=task.card_labels(), **options)
    card["portable"] = {key: manifest[key] for key in ("format", "graphs")}
    write_model_card(folder, card)


def _tensors(specs) -> list[dict]:
    return [{"name": spec.name, "dtype": spec.dtype.name, "shape": spec.shape.as_list()} for spec in specs]


def _outputs(concrete) -> list[dict]:
    # tf.nest orders a dict's values by key: the order of the graph's outputs.
    structured = concrete.structured_outputs
    return [{"name": name, "dtype": structured[name].dtype.name, "shape": structured[name].shape.as_list()}
            for name in sorted(structured)]


# ----------------------------------------------------------------------------- LiteRT
def _converter(export_format: str):
    if export_format == "litert":
        return _to_litert
    try:
        import tf2onnx  # noqa: F401 (checked here, before any work)
    except ImportError:
        raise UsageError('--format onnx needs tf2onnx and onnxruntime: pip install "seqzoo[onnx]".') from None
    return _to_onnx


def _frozen(graph, concrete):
    """The graph with its variables and captured tensors as constants, outputs named.

    Given the model's variables, the LiteRT converter keeps some as resource variables
    that its interpreter never initialises (every output NaN), and tf2onnx makes a
    captured tensor (the language model's logit bias) an input. A frozen function loses
    its output names: the wrapper gives them back."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    frozen = convert_variables_to_constants_v2(concrete)
    names = [output["name"] for output in _outputs(concrete)]
    return tf.function(lambda *inputs: dict(zip(names, frozen(*inputs))), input_signature=list(graph.inputs))


def _to_litert(graph, concrete) -> tuple[bytes, dict]:
    named = _frozen(graph, concrete)
    holder = tf.Module()
    holder.function = named  # a signature is written only for a function a module holds
    converter = tf.lite.TFLiteConverter.from_concrete_functions([named.get_concrete_function()], holder)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        content = converter.convert()
    except Exception as error:  # ConverterError: its message lists the unsupported ops
        ops = sorted(set(re.findall(r"\btf\.(\w+)", str(error))))
        raise UsageError(f"the {graph.name} graph needs TensorFlow ops that TensorFlow Lite has no built-in "
                         f"for ({', '.join(ops) or str(error).splitlines()[0][:200]}); use --format onnx "
                         "or the SavedModel.") from None
    return content, {"inputs": _tensors(graph.inputs), "outputs": _outputs(concrete),
                     "operators": litert_operators(content)}


def litert_operators(content: bytes) -> list[str]:
    """The distinct operators of a .tflite model (a Flex op would read `FlexName`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(
            model_content=content,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    return sorted({op["op_name"] for op in interpreter._get_ops_details()})


# ----------------------------------------------------------------------------- ONNX
def _to_onnx(graph, concrete) -> tuple[bytes, dict]:
    import tf2onnx

    # tf2onnx logs every step, and a traceback when one of its optional optimisers skips a graph.
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        model, _ = tf2onnx.convert.from_function(_frozen(graph, concrete), input_signature=list(graph.inputs),
                                                 opset=ONNX_OPSET)
    finally:
        logger.setLevel(level)
    outputs = _outputs(concrete)
    _rename_io(model, [spec.name for spec in graph.inputs], [output["name"] for output in outputs])
    return model.SerializeToString(), {"inputs": _tensors(graph.inputs), "outputs": outputs,
                                       "opset": ONNX_OPSET}


def _rename_io(model, input_names: list[str], output_names: list[str]) -> None:
    """Give the ONNX graph's inputs and outputs the manifest's names (tf2onnx keeps
    TensorFlow's, e.g. `token_ids:0` and `Identity_1:0`), in their order."""
    renames = {}
    for value in model.graph.input:
        name = value.name.split(":")[0]
        if name in input_names:
            renames[value.name] = value.name = name
    for value, name in zip(model.graph.output, output_names):
        renames[value.name] = value.name = name
    for node in model.graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
