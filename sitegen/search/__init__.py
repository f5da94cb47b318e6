"""Search: the prebuilt Lunr index and the files the search page loads.

``lunr_index`` ports lunr.js's text pipeline and writes its index byte for
byte; ``shards`` splits it into the files the browser adds one by one;
``files`` decides, build after build, whether they must be made again and
makes them in a second process (``worker``).
"""
