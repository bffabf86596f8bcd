"""Learning from eval/train.jsonl: the items, the query adapter each build trains, the fitted span
weights and abstainer, the full fine-tune. Imports config, files, reading, plan, index, answering."""
