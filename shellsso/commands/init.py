"""`shellsso init [bash|zsh|fish]`: print the hook for the rc file's one line.

The hook files are real shell files (shells/shellsso.bash ...), shipped as
package `shellsso.shell.hooks` and linted as they are; init puts the sources
they share in place of their `#include` lines (Shell.hook_source) and
replaces their `'::KEY::'` placeholders with quoted values: the interpreter
and the folder holding the `shellsso` package (so that awsuse starts Python
without site-packages, its fast path), the static completion lists, the
default AWS commands and the shell's name.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, List

from shellsso.awsconfig.regions import REGIONS
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.shell import syntax

PROFILES = "@profiles"  # in the completion spec: "complete profile names here"
PROFILE_OPTIONS = ("--profile", "-p")
AWS_COMMANDS = ("aws", "terraform", "tofu", "terragrunt", "cdk", "sam", "pulumi", "eksctl",
                "kubectl", "helm")
"""The commands before which the hooks offer a login (SHELLSSO_AWS_COMMANDS's default)."""


def detect_shell() -> str:
    """The name of the shell running us (shellingham), or a ShellssoError saying what to do."""
    import shellingham

    try:
        name, _path = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        name = ""
    name = os.path.basename(str(name)).lower()
    if name not in syntax.NAMES:
        found = f" (found {name!r})" if name else ""
        raise ShellssoError(
            f"cannot detect a supported shell{found}; name it: "
            f"shellsso init {'|'.join(syntax.NAMES)}",
            ExitStatus.USAGE,
        )
    return name


def hook_template(hook_file: str) -> str:
    """A file of the hooks from the installed package, or from the checkout's `shells/`."""
    from importlib.resources import files

    try:
        return str((files("shellsso.shell.hooks") / hook_file).read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        with open(os.path.join(os.path.dirname(package), "shells", hook_file),
                  encoding="utf-8") as f:
            return f.read()


def completion_spec() -> str:
    """`shellsso`'s words for the hooks' static completion, one line per context.

    Line `shellsso W...`: the subcommands and global options; line `CMD W...`:
    CMD's options (and positional choices); line `CMD/OPT W...`: the values of
    an option, `@profiles` meaning profile names.
    """
    import argparse

    from shellsso.commands.arguments import build_parser

    def nested(parser: argparse.ArgumentParser) -> List[argparse.ArgumentParser]:
        """The parser and those of its actions (`team add`, `keys retire`), flattened:
        static completion offers a command's actions and all their options at once."""
        found = [parser]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in dict(action.choices).values():
                    found += nested(child)
        return found

    def options(parser: argparse.ArgumentParser, top: bool = False) -> List[str]:
        words: List[str] = []
        for part in [parser] if top else nested(parser):
            for action in part._actions:
                if isinstance(action, argparse._SubParsersAction):
                    words += [] if top else [w for w in action.choices if w not in words]
                    continue
                words += [o for o in action.option_strings
                          if o.startswith("--") and o not in words]
                if not action.option_strings and action.choices:
                    words += list(action.choices)
        return words

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands: Dict[str, argparse.ArgumentParser] = dict(sub.choices)
    lines = [" ".join(["shellsso", *commands, *options(parser, top=True)])]
    for name, command in commands.items():
        lines.append(" ".join([name, *options(command)]))
        done: List[str] = []
        for action in (a for part in nested(command) for a in part._actions):
            long = [o for o in action.option_strings if o.startswith("--")]
            if not long or long[0] in done:
                continue
            done.append(long[0])
            if set(action.option_strings) & set(PROFILE_OPTIONS) or action.metavar in (
                    "PROFILE", "SSO_PROFILE"):
                lines.append(f"{name}/{long[0]} {PROFILES}")
            elif action.choices:
                lines.append(" ".join([f"{name}/{long[0]}", *map(str, action.choices)]))
    return "\n".join(lines)


def render(shell_name: str) -> str:
    """The hook for one shell, ready to eval."""
    shell = syntax.get(shell_name)
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(syntax.__file__)))
    return shell.render(shell.hook_source(hook_template), {
        "SHELL": shell.name,
        "PYTHON": sys.executable,
        "PKGDIR": os.path.dirname(package_dir),
        "CLI": completion_spec(),
        "REGIONS": " ".join(REGIONS),
        "AWS_COMMANDS": " ".join(AWS_COMMANDS),
    })


def run(args: object) -> int:
    """`shellsso init [SHELL]` (args: the argparse Namespace, with `shell`)."""
    name = getattr(args, "shell", None) or detect_shell()
    sys.stdout.write(render(name))
    return ExitStatus.OK
