"""Inputs: the listings people collect -> pages in content/ (``sitegen convert``).

One module per listing format (``daily_text``: the text of a Daily Papers page),
each a pure parser from text to entries; ``convert`` is the shell that merges
entries into pages and never overwrites an edit. A new input format goes here.
"""
