"""Content: the page format of content/papers/ and what a page is made of.

Front matter <-> Paper, slugs, and the tag vocabulary. Everything else reads and
writes pages through this package; it imports no other stage.
"""
