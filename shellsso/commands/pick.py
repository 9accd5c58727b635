"""`shellsso pick`: the picker for scripts. Prints the chosen name, the code that
`awsuse NAME` would evaluate (--switch SHELL), or the matching names (--filter)."""

from __future__ import annotations

import argparse
import os
import sys

from shellsso.core.errors import ExitStatus
from shellsso.picker.choose import choose, load_entries


def run(args: argparse.Namespace) -> int:
    """`shellsso pick`: print the chosen name, the code to switch to it, or the matches."""
    from shellsso.core.safety import visible

    query = " ".join(args.query)
    if args.filter:
        from shellsso.picker.rows import filter_entries

        # Names are text for people (a name from the config may hold escape sequences).
        names = [visible(entry.name) for entry in filter_entries(load_entries(os.environ), query)]
        sys.stdout.write("".join(name + "\n" for name in names))
        return ExitStatus.OK if names else ExitStatus.ERROR
    name = choose(os.environ, query)
    if args.switch:
        from shellsso.shell import syntax
        from shellsso.shell.awsuse import Request, switch

        request = Request()
        request.profile = name
        # Code for eval: exact, every value quoted by shellsso.shell.syntax.
        code = switch(syntax.get(args.switch), request, os.environ)
        text = "".join(line + "\n" for line in code if line)
    else:
        text = visible(name) + "\n"
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    return ExitStatus.OK
