"""Lets `python -m sitegen` behave exactly like the `sitegen` command."""

from sitegen.cli import main

raise SystemExit(main())
