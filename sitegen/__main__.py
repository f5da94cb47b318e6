"""Lets `python -m sitegen` behave exactly like the `sitegen` command."""

from sitegen.cli import main

if __name__ == "__main__":  # not when a worker process re-imports this module
    raise SystemExit(main())
