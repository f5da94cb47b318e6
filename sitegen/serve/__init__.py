"""Serve: the local preview server and its rebuild loop (``sitegen serve``).

``server`` serves files and reload events and knows nothing of the stages;
``preview`` is the builder it calls on every change.
"""
