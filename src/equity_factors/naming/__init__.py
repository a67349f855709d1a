"""Factor naming: evidence, the offline rule-based namer and the LLM namer."""
