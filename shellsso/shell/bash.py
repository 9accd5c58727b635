"""bash (4.4 or newer): POSIX quoting; the hook is shells/shellsso.bash."""

from __future__ import annotations

from shellsso.shell.base import PosixShell


class Bash(PosixShell):
    name = "bash"
