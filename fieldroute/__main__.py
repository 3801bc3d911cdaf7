"""``python -m fieldroute``: the same as the ``fieldroute`` command."""

from fieldroute.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
