# PYTHON_ARGCOMPLETE_OK
"""The `shellsso` command line: the entry point, dispatching to the modules that work.

Each subcommand is a (module, function) pair imported only when it runs, so
`shellsso status` never pays for boto3 and `shellsso --help` stays instant.
The hooks run the awsuse back end (shell/awsuse.py) themselves, without this module;
`shellsso _use` reaches it here for tests and debugging, and skips argparse too.
"""

from __future__ import annotations

import os
import sys

from shellsso.core.errors import ExitStatus

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs milliseconds at start-up: annotations only
    from typing import Callable, List, Optional

# Hidden commands used by the shell hooks, dispatched without argparse for speed.
HIDDEN = {
    "_use": ("shellsso.shell.awsuse", "main"),
    "_names": ("shellsso.shell.awsuse", "names_main"),
    "_preexec": ("shellsso.shell.awsuse", "preexec_main"),
}


def _call(spec: tuple, *args: object) -> int:  # type: ignore[type-arg]
    module = __import__(spec[0], fromlist=[spec[1]])  # importlib itself costs start-up time
    func: Callable[..., Optional[int]] = getattr(module, spec[1])
    return func(*args) or 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the `shellsso` script and `python -m shellsso`."""
    from shellsso.core.output import guarded

    args_list = sys.argv[1:] if argv is None else argv
    if args_list and args_list[0] in HIDDEN:
        return _call(HIDDEN[args_list[0]], args_list[1:])
    end = own_words(args_list)
    debug = "--debug" in args_list[:end]
    args_list = [arg for arg in args_list[:end] if arg != "--debug"] + args_list[end:]
    from shellsso.commands.quick import namespace

    quick = namespace(args_list) if "_ARGCOMPLETE" not in os.environ else None
    if quick is not None:  # no argparse for what SDKs and prompts run once per process
        return guarded(lambda: _call(quick.handler, quick), debug, "run with --debug for details")
    return guarded(lambda: _run(args_list), debug, "run with --debug for details")


# The options of `exec` that take a value: the word after them is not its COMMAND.
_EXEC_VALUED = ("--profile", "-p")


def own_words(args: List[str]) -> int:
    """How many leading words are shellsso's: --debug counts only among them.

    --debug is accepted before or after the subcommand, but not after `--`
    nor after the COMMAND of `exec`: from there on, words are the command's
    own (`shellsso exec --profile dev terraform plan --debug`).
    """
    end = args.index("--") if "--" in args else len(args)
    command = next((i for i, word in enumerate(args[:end]) if not word.startswith("-")), end)
    if command == end or args[command] != "exec":
        return end
    at = command + 1
    while at < end:  # past exec's own options, to its COMMAND
        if not args[at].startswith("-"):
            return at
        at += 2 if args[at] in _EXEC_VALUED else 1
    return end


def _run(args_list: List[str]) -> int:
    from shellsso.commands.arguments import build_parser

    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return ExitStatus.OK
    return _call(args.handler, args)
