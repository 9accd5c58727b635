"""zsh (5.x): POSIX quoting; the hook is shells/shellsso.zsh."""

from __future__ import annotations

from shellsso.shell.base import PosixShell


class Zsh(PosixShell):
    name = "zsh"
