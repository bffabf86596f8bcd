"""Learning from eval/train.jsonl: the training items, the query adapter every index build trains,
the fitted span weights and abstainer (qa fit), and the full fine-tune kept for comparison.
Imports the rooms below it (config, reading, plan, index, search, answering); never the assistant."""
