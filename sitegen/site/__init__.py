"""Site: papers -> the pages of the site, rendered (pure, no I/O).

``collect`` orders and groups papers into a Site, ``pages`` plans every output
page (template, path, context), ``render`` holds the safe Jinja2 and
markdown-it set-up. A new kind of page or a new export goes here.
"""
