"""Build: the shell of ``sitegen build``: read, call the stages, write only what changed, keep caches.

``build`` is the one function that touches the disk; ``output`` writes the
tree, ``cache`` and ``fingerprint`` decide what need not be parsed or
rendered again.
"""
