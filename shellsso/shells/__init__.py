"""The supported shells, in one place: `get("bash")` returns its syntax object.

Everything else (init, awsuse, tests) goes through this registry and never
branches on a shell's name.
"""

from __future__ import annotations

from shellsso.shells.base import Shell
from shellsso.shells.bash import Bash
from shellsso.shells.fish import Fish
from shellsso.shells.zsh import Zsh

SHELLS: dict[str, Shell] = {shell.name: shell for shell in (Bash(), Zsh(), Fish())}


def get(name: str) -> Shell:
    """The shell called `name`, or ShellssoError listing the supported ones."""
    try:
        return SHELLS[name]
    except KeyError:
        from shellsso.errors import ExitStatus, ShellssoError

        raise ShellssoError(
            f"unsupported shell {name!r} (supported: {', '.join(SHELLS)})", ExitStatus.USAGE
        ) from None


__all__ = ["SHELLS", "Shell", "get"]
