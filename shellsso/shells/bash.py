"""bash (4.4 or newer): POSIX quoting; the hook is shells/shellsso.bash."""

from __future__ import annotations

from shellsso.shells.base import PosixShell

_PLAIN = frozenset("._-+=,/:@")


class Bash(PosixShell):
    name = "bash"

    def completion_word(self, name: str) -> str:
        """The name with a backslash before each special character, as `printf %q` writes it.

        bash's completion inserts words as they are, so they must already be
        quoted; stored that way, the hook compares them with what was typed
        and needs no quoting per TAB (at 10,000 names that is most of the time).
        """
        return "".join(ch if ch.isalnum() or ch in _PLAIN else "\\" + ch for ch in name)
