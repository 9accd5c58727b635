"""fish (3.x): its own quoting and `set -gx` / `set -e`; the hook is shells/shellsso.fish."""

from __future__ import annotations

from shellsso.shell.base import Shell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


class Fish(Shell):
    name = "fish"

    def quote_word(self, value: str) -> str:
        """fish single quotes: only `\\` and `'` are special inside, each escaped with `\\`."""
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def export_quoted(self, name: str, word: str) -> str:
        return f"set -gx {name} {word}"

    def unset(self, names: Iterable[str]) -> str:
        listed = " ".join(names)
        return f"set -e {listed}" if listed else ""

    def print_lines(self, lines: Iterable[str]) -> str:
        words = " ".join(self.quote(line) for line in lines)
        return f"builtin printf '%s\\n' {words}" if words else ""
