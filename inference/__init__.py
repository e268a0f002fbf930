"""VAU-R1 inference: video sampling, prompts, model loading, generation, parsing.

Importing this package is cheap: torch and transformers load only when the modules that
need them (`model`, `engine`, `tiny`) are imported.
"""
