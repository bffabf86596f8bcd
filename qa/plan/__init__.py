"""The plan: its page and repairs read into a clean text with a section tree (document), cut into
passages and answer spans (chunking), and its quantitative commitments. Imports qa.config, qa.files."""
