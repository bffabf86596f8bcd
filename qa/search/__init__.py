"""Search: BM25, dense similarity and their fusion over the index's passages, giving ranked hits.
Imports qa.config, qa.reading and qa.plan (a hit's chunk); never answering or anything above."""
