"""Summaries of English text: abstractive (a seq2seq model) or extractive (no weights)."""
