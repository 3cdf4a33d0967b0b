"""What every task template shares: the task contract (base task, architecture table),
the config base classes, the training recipe, samplers, export, run directories, model
cards and model-file loading. Nothing here names a task."""
