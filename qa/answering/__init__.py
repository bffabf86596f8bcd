"""Answering: span features by name, the span choice, the one decision to answer or abstain (with
its reason), citations, and the answer forms (span, overview points, parts). Imports qa.config,
qa.reading, qa.plan and qa.search; never the index builder, learning, evaluation or serving."""
