"""`seqzoo finetune`: continue training a run on new data, keeping, extending or rebuilding
its vocabulary.

`cli.py` (the command, no TensorFlow), `config.py` (FinetuneConfig), `transfer.py` (the
plan and the job), `vocabulary.py` (keep / extend / rebuild), `weight_transfer.py`
(copying weights into a model of another vocabulary size), `task_parts.py` (what
fine-tuning asks of every task, through the task contract).
"""

from seqzoo.tasks.legacy_paths import forward_names

# seqzoo 0.1's module `seqzoo.tasks.finetune` held these names; `finetune(...)` is the Python API.
__getattr__ = forward_names(__name__, {
    name: "transfer" for name in ("FINETUNE_FILE", "load_source", "default_out", "old_test_split", "FinetunePlan",
                                  "plan_finetuning", "finetune", "run_plan", "read_finetune_record")
})
