"""Answering: span features by name, the span choice, the one answer-or-abstain decision with its
reason, citations, overview points. Imports qa.config, qa.reading and qa.plan; nothing above."""
