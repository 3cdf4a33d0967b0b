"""The jobs behind `seqzoo diagnose gradients` and `seqzoo diagnose gates`.

Fresh models are built the way their template builds them (`spec.jobs().build_task`,
with the vocabulary of the task's data), trained ones are read from run directories; both are measured on the same kind of inputs: windows of real token
ids cut from the data's token stream.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from seqzoo.tasks.common.errors import UsageError
from seqzoo.tasks.common.output_dirs import check_out, check_out_file, input_paths, staged_output
from seqzoo.tasks.diagnose.gradients import (
    GradientProfile,
    TwoWayLayerError,
    classifier_state_gradients,
    format_table,
    language_model_state_gradients,
    plot_gradient_profiles,
    scale_recurrent_weights,
)
from seqzoo.tasks.diagnose.reading_stack import load_task, reading_stack
from seqzoo.tasks.registry import all_tasks, get_task



def diagnosed_tasks() -> list[str]:
    """The tasks whose models `seqzoo diagnose gradients` reads (their spec names a
    `gradient_probe`)."""
    return [spec.name for spec in all_tasks() if spec.gradient_probe]


# ----------------------------------------------------------------------------- inputs
def _cut(stream, companion, length: int, batch: int, seed: int, what: str):
    """`batch` seeded windows of `length` ids from `stream`, the companion array (labels
    or next tokens, aligned with the stream) and each window's start."""
    keep = stream != 0  # never padding: every unrolled step must be real
    stream, companion = stream[keep], companion[keep]
    starts = len(stream) - length
    if starts < 1:
        raise UsageError(f"{what} hold {len(stream)} tokens, fewer than --length {length} + 1.")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(starts, size=batch, replace=starts < batch)
    windows = np.stack([stream[s : s + length] for s in chosen]).astype(np.int32)
    return windows, companion, chosen


def _text_windows(task, data, length: int, batch: int, seed: int):
    """`batch` windows of `length` ids that each end where a text ends, with that text's
    label: the classifier reads the text last, as in training, and texts before it in the
    stream stand in for a longer past when `length` exceeds the text."""
    ids = task.encode(data.texts)
    stream = ids.flat_values.numpy()
    ends = np.cumsum(ids.row_lengths().numpy())
    labels = task.label_ids(data)
    usable = np.flatnonzero((ends >= length) & (ids.row_lengths().numpy() > 0))
    if len(usable) == 0:
        raise UsageError(f"the texts hold {len(stream)} tokens, fewer than --length {length}.")
    chosen = np.random.default_rng(seed).choice(usable, size=batch, replace=len(usable) < batch)
    windows = np.stack([stream[ends[i] - length : ends[i]] for i in chosen]).astype(np.int32)
    return windows, labels[chosen]


def _measure(task_name: str, task, inputs_source, args, name: str, recurrent_scale: float) -> GradientProfile:
    stack = reading_stack(task_name, task)
    notes = []
    if recurrent_scale != 1.0:
        scale_recurrent_weights(stack.layer, recurrent_scale)
        notes.append(f"recurrent weights x {recurrent_scale}")
    if get_task(task_name).gradient_probe == "classifier":
        windows, labels = _text_windows(task, inputs_source, args.length, args.batch, args.seed)
        norms, parameter_norm = classifier_state_gradients(task.model, windows, labels)
        clipnorm = task.clipnorm()
    else:
        stream = task.encode(inputs_source, "the text")
        windows, following, starts = _cut(stream[:-1], stream[1:], args.length, args.batch, args.seed, "the text")
        norms, parameter_norm = language_model_state_gradients(
            task.model.decoder, windows, following[starts + args.length - 1]
        )
        clipnorm = task.config.clipnorm or None
    return GradientProfile(name, norms, parameter_norm, clipnorm, recurrent_scale, notes)


def _short_training(task_name: str, task, train, steps: int) -> None:
    """`steps` optimizer steps with the template's own recipe (optimizer, learning rate,
    clipping, data pipeline), enough to see what training does to the gradient's reach."""
    print(f"{task_name}/{task.config.arch}: training {steps} steps before measuring "
          "(--train-steps 0 measures it as initialised) ...", flush=True)
    started = time.perf_counter()
    task.compile()
    # The batches come in the template's own order (stateful rows under TBPTT).
    batches = get_task(task_name).jobs().training_batches(task, train)
    history = task.model.fit(batches.repeat().take(steps), epochs=1, verbose=0, shuffle=False)
    print(f"{task_name}/{task.config.arch}: {steps} steps in {time.perf_counter() - started:.0f} s, "
          f"training loss {history.history['loss'][-1]:.3f}", flush=True)


def _fresh_task(task_name: str, arch: str, args):
    """A freshly initialised task (seeded), built on its template's data, and the data the
    windows are cut from; with --train-steps, trained that many steps first."""
    spec = get_task(task_name)
    jobs = spec.jobs()
    overrides = {name: getattr(args, name) for name in ("units", "embedding_dim") if getattr(args, name, None)}
    config = spec.config_class(arch=arch, data=args.data, seed=args.seed, **overrides)
    splits = jobs.load_splits(config)
    task = jobs.build_task(config, splits["train"])
    if getattr(args, "train_steps", 0):
        _short_training(task_name, task, splits["train"], args.train_steps)
    return task, splits["test"]


def _run_inputs(task_name: str, task, args):
    """The run's own held-out data (or --data) to cut windows from."""
    data, _ = get_task(task_name).jobs().evaluation_data(task.config, args.data)
    return data


def gradient_profiles(args) -> list[GradientProfile]:
    """One profile per `--archs` entry (fresh) and per `--run` (trained)."""
    profiles = []
    archs = [a.strip() for a in (args.archs or "").split(",") if a.strip()]
    if archs and args.task not in diagnosed_tasks():
        raise UsageError(f"--task must be one of {', '.join(diagnosed_tasks())} with --archs.")
    architectures = _architectures(args.task) if archs else {}
    unknown = [arch for arch in archs if arch not in architectures]
    if unknown:  # before any model is built or trained
        raise UsageError(f"unknown architecture(s) {', '.join(map(repr, unknown))} for {args.task}; "
                         f"known: {', '.join(architectures)}.")
    for arch in archs:
        if not architectures[arch].recurrent:
            print(f"{arch}: skipped, it has no recurrent state to backpropagate through (attention reaches "
                  "every position in one step).")
            continue
        task, source = _fresh_task(args.task, arch, args)
        state = f"{args.train_steps} steps" if args.train_steps else "fresh"
        try:
            profiles.append(_measure(args.task, task, source, args, f"{arch} ({state})", args.recurrent_scale))
        except TwoWayLayerError as error:  # skipped like the Transformer, the others still measured
            print(f"{arch}: skipped, {error}")
    for run_dir in args.run or []:
        task_name, task = load_task(run_dir)
        if task_name not in diagnosed_tasks():
            raise UsageError(f"{run_dir} is a {task_name} run; diagnose gradients reads {', '.join(diagnosed_tasks())} runs.")
        if not _architectures(task_name)[task.config.arch].recurrent:
            print(f"{run_dir}: skipped, a {task.config.arch} has no recurrent state.")
            continue
        base = Path(run_dir).resolve().name
        name = f"{base} (trained)" if base == task.config.arch else f"{base} ({task.config.arch}, trained)"
        try:
            profiles.append(_measure(task_name, task, _run_inputs(task_name, task, args), args, name,
                                     args.recurrent_scale))
        except TwoWayLayerError as error:
            print(f"{run_dir}: skipped, {error}")
    return profiles


def _architectures(task_name: str) -> dict:
    return get_task(task_name).architectures


def write_gradient_report(profiles: list[GradientProfile], out: str | Path, title: str = "", inputs=()) -> Path:
    """`gradients.png`, `gradients.json` and `gradients.csv` (one column per model) in `out`.

    An existing `out` is replaced only when it is a report seqzoo made, and only once the
    new one is complete; `inputs` (`(label, path)` pairs) are never written over."""
    out = Path(out)
    with staged_output(out, "diagnose-report", inputs=inputs, overwrite=True, overwrite_flag=None) as output:
        folder = output.path
        plot_gradient_profiles(profiles, folder / "gradients.png", title=title)
        (folder / "gradients.json").write_text(json.dumps([p.to_dict() for p in profiles], indent=2) + "\n")
        length = max(len(p.norms) for p in profiles)
        with open(folder / "gradients.csv", "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["step", "steps_before_loss"] + [p.name for p in profiles])
            for t in range(length):
                row = [t + 1, length - 1 - t]
                row += [f"{p.norms[t]:.6e}" if t < len(p.norms) else "" for p in profiles]
                writer.writerow(row)
    return out


def command_gradients(args) -> int:
    if not args.archs and not args.run:
        raise UsageError("give --archs (fresh models of --task) and/or --run RUN_DIR (trained models).")
    if args.train_steps < 0:
        raise UsageError(f"--train-steps must be 0 or more, got {args.train_steps}.")
    if args.length < 2:
        raise UsageError(f"--length must be at least 2, got {args.length}.")
    if args.batch < 1:
        raise UsageError(f"--batch must be at least 1, got {args.batch}.")
    inputs = input_paths(extra=[("--run", args.run), ("--data", args.data)])
    check_out(args.out, "diagnose-report", inputs=inputs, overwrite=True, overwrite_flag=None)  # before any work
    profiles = gradient_profiles(args)
    if not profiles:
        raise UsageError("none of the models has a recurrent state to diagnose.")
    title = f"{args.task if args.archs else 'runs'}: loss at step T = {args.length}, batch of {args.batch}"
    out = write_gradient_report(profiles, args.out, title, inputs=inputs)
    print(f"||dL/dh_t|| of the first recurrent layer's state (LSTM: h_t and c_t), mean over {args.batch} "
          f"windows of {args.length} tokens; |grad W| is the global norm of dL/dW, then clipped")
    print(format_table(profiles))
    print(f"wrote {out / 'gradients.png'}, gradients.json, gradients.csv")
    return 0


# ----------------------------------------------------------------------------- gates
def command_gates(args) -> int:
    import keras

    from seqzoo.data.vocabulary import UNK_ID
    from seqzoo.tasks.diagnose.lstm_gates import lstm_gate_activations, plot_gates

    if args.max_units < 1:
        raise UsageError(f"--max-units must be at least 1, got {args.max_units}.")
    check_out_file(args.out, input_paths(extra=[("the run directory", args.run_dir), ("--data", args.data)]))
    if args.run_dir:
        task_name, task = load_task(args.run_dir)
        base = Path(args.run_dir).resolve().name
        label = base if base == task.config.arch else f"{base} ({task.config.arch})"
    else:
        if args.task not in diagnosed_tasks():
            raise UsageError(f"give a run directory, or --task {' or --task '.join(diagnosed_tasks())} for a fresh LSTM.")
        task_name = args.task
        task, _ = _fresh_task(task_name, "lstm", args)
        label = f"fresh {task_name} lstm"
    # The reading side only: a translation or captioning decoder starts from the encoder's
    # state, not from the zero state the gates are recomputed from.
    stack = reading_stack(task_name, task, "source")
    layers = getattr(stack.layer, "recurrent_layers", None) or []
    layer = layers[0] if layers else None
    direction = ""
    if isinstance(layer, keras.layers.Bidirectional):
        layer, direction = layer.forward_layer, ", forward direction"
    if not isinstance(layer, keras.layers.LSTM):
        kind = type(layer).__name__ if layer is not None else type(stack.layer).__name__
        raise UsageError(f"{label} reads with {kind}, not an LSTM: only an LSTM has forget, input and output gates.")
    preprocessor = stack.preprocessor
    tokens = [t.decode("utf-8") for t in preprocessor.tokenize([args.text]).to_list()[0]]
    ids = np.asarray(preprocessor([args.text]).to_list()[0], np.int32)
    if len(ids) == 0:
        raise UsageError("--text holds no tokens.")
    if len(tokens) == len(ids):  # say which tokens the model read as out-of-vocabulary
        tokens = [f"{token} [UNK]" if i == UNK_ID else token for token, i in zip(tokens, ids)]
    embedded = np.asarray(stack.layer.embedding(ids[None]))[0]
    cell = layer.cell
    bias = cell.bias.numpy() if cell.use_bias else None
    gates = lstm_gate_activations(embedded, cell.kernel.numpy(), cell.recurrent_kernel.numpy(), bias)
    plot_gates(gates, tokens, args.out, max_units=args.max_units,
               title=f"LSTM gates, {label}{direction}, first layer")
    print(f"{label}{direction}: mean gate activation over {len(tokens)} tokens and {gates['forget'].shape[1]} units")
    for name in ("input", "forget", "output"):
        print(f"  {name:<7} {gates[name].mean():.3f}")
    print(f"wrote {args.out}")
    return 0
