"""`seqzoo diagnose gradients|gates` and `seqzoo embeddings`: look inside trained models.

`cli.py` and `embeddings_cli.py` (the commands, no TensorFlow), `jobs.py` (gradient
profiles and gate plots), `gradients.py` (||dL/dh_t|| by unrolling a model's own cell),
`lstm_gates.py`, `embedding_map.py` (neighbours and maps of token embeddings),
`reading_stack.py` (the token-reading layers of any task, through the task contract).
"""
