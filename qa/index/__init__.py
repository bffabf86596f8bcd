"""The index: the model folder rebuilt offline (e5_weights), the encoders (embedding, encoder), and
the store of passage and span vectors on disk. Imports qa.config, qa.files, qa.reading, qa.plan."""
