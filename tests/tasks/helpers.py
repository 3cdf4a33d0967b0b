"""Plain helpers shared by the task tests (fixtures are in conftest.py): tiny data a
model learns quickly, and checks of what a command prints or a process serves."""

from __future__ import annotations

import csv
import hashlib
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

from seqzoo.data.parallel import ParallelTexts

FILLER = "the a film movie plot story was is and it this that with of".split()


def toy_reviews(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """Texts whose label is given by one keyword ("great" / "awful") among filler words."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        label = "pos" if i % 2 == 0 else "neg"
        words = rng.choices(FILLER, k=rng.randint(2, 8))
        words.insert(rng.randint(0, len(words)), "great" if label == "pos" else "awful")
        rows.append((" ".join(words), label))
    return rows


def write_csv(path: Path, rows, header=("text", "label"), delimiter=",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


LETTERS = "a b c d e f g h".split()


def reversal_pairs(count: int, seed: int = 0, lengths=(3, 7)) -> ParallelTexts:
    """Letter sequences and their reversal in capitals: the alignment is anti-diagonal."""
    rng = random.Random(seed)
    sources, targets = [], []
    for _ in range(count):
        words = rng.choices(LETTERS, k=rng.randint(*lengths))
        sources.append(" ".join(words))
        targets.append(" ".join(w.upper() for w in reversed(words)))
    return ParallelTexts(sources, targets, f"reversal (seed={seed})")


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def fails(capsys, argv, *phrases):
    from seqzoo.tasks.cli import main

    """The command exits with 2 and prints one line naming the problem, no traceback."""
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("seqzoo: error:"), error
    assert "Traceback" not in error and len(error.splitlines()) == 1, error
    for phrase in phrases:
        assert phrase in error, (phrase, error)
    return error


def caption_in_fresh_process(export_dir, files):
    """Captions of `files` from the SavedModel in a process that imports only tensorflow
    and tensorflow_text, in one batch and in batches of one."""
    script = textwrap.dedent(
        f"""
        import json, sys
        import tensorflow as tf, tensorflow_text
        serve = tf.saved_model.load({str(export_dir)!r}).signatures["serving_default"]
        images = [open(f, "rb").read() for f in {files!r}]
        results = []
        for size in (len(images), 1):
            out = []
            for start in range(0, len(images), size):
                result = serve(image=tf.constant(images[start:start + size]))
                assert result["caption"].dtype == tf.string
                out += [x.decode() for x in result["caption"].numpy()]
            results.append(out)
        empty = serve(image=tf.constant([], tf.string))
        assert empty["caption"].shape == (0,) and empty["score"].shape == (0,)
        assert not any(m.startswith("seqzoo") for m in sys.modules)
        print(json.dumps(results))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def tiny_untrained_tasks() -> dict:
    """One tiny untrained task per built-in template (task name -> task), and the captioned
    images the captioner was built on ("images"), for export and serving tests."""
    from seqzoo.data.builtin_digit_captions import load_digit_strings
    from seqzoo.data.readers import LabelledTexts
    from seqzoo.tasks import SentimentConfig, SentimentTask
    from seqzoo.tasks.captioning.config import CaptioningConfig
    from seqzoo.tasks.captioning.task import CaptioningTask
    from seqzoo.tasks.language_model.config import LanguageModelConfig
    from seqzoo.tasks.language_model.task import LanguageModelTask
    from seqzoo.tasks.translation.config import TranslationConfig
    from seqzoo.tasks.translation.task import TranslationTask

    reviews = LabelledTexts(["good film", "bad film", "a good one", "so bad"] * 4,
                            ["pos", "neg", "pos", "neg"] * 4, source="toy")
    pairs = ParallelTexts(["a b", "b a", "a a", "b b"] * 4, ["B A", "A B", "A A", "B B"] * 4, "toy")
    images = load_digit_strings(size=8)
    return {
        "sentiment": SentimentTask.build(SentimentConfig(arch="gru", units=8, embedding_dim=8), reviews),
        "language-model": LanguageModelTask.build(
            LanguageModelConfig(arch="gru", units=8, embedding_dim=8, window=10, batch_size=4), "abcab cab\n" * 10),
        "translation": TranslationTask.build(
            TranslationConfig(arch="luong", units=8, embedding_dim=8, beam_size=2), pairs),
        "captioning": CaptioningTask.build(
            CaptioningConfig(arch="show-attend-tell", units=8, embedding_dim=8, cnn_filters="4,8",
                             image_size="16x48", beam_size=2), images),
        "images": images,
    }


# ----------------------------------------------------------------------------- seqzoo processes
def seqzoo_process(*argv: str) -> subprocess.Popen:
    """`seqzoo ARGV` in a process (and session) of its own, stderr captured, so a test can
    wait for what it writes and kill it (with its whole process group) where it likes."""
    import os

    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, "-m", "seqzoo.tasks.cli", *argv], env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def wait_until(process: subprocess.Popen, ready, what: str, timeout: float = 180, poll: float = 0.02) -> None:
    """Wait until `ready()`; fail (killing the process) if it ends or times out first."""
    import os
    import signal
    import time

    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"seqzoo ended ({process.returncode}) before {what}: "
                                 + process.stderr.read().decode()[-2000:])
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            raise AssertionError(f"seqzoo never reached {what}")
        time.sleep(poll)


def stop_process(process: subprocess.Popen, sig=None) -> int:
    """Send `sig` (default SIGKILL, to the whole process group) and wait; the exit code."""
    import os
    import signal

    sig = signal.SIGKILL if sig is None else sig
    if sig == signal.SIGKILL:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:  # it had ended already
            pass
    else:
        process.send_signal(sig)
    process.wait(timeout=120)
    return process.returncode
