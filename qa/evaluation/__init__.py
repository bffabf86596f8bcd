"""Evaluation: the harness over the Q&A sets (metrics, paired comparison, gate), their checks, the
report, the ablation and the speed benchmark. Imports the assistant and the rooms below; not serving."""
