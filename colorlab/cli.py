"""The ``colorlab`` command line. It only parses arguments and calls the package.

Each subcommand lives in a ``_add_<name>`` function that registers its parser and sets
``func``; user mistakes (:class:`colorlab.io.ColorlabError`) are printed as one line on stderr
with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from colorlab import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="colorlab", description="Automatic image colorization, a teaching kit.")
    parser.add_argument("--version", action="version", version=f"colorlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


_SUBCOMMANDS: list = []


def main(argv: Sequence[str] | None = None) -> int:
    from colorlab.io import ColorlabError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ColorlabError as error:
        print(f"colorlab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("colorlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
