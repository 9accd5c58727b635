"""fish (3.x): its own quoting and `set -gx` / `set -e`; the hook is shells/shellsso.fish."""

from __future__ import annotations

from shellsso.shells.base import Shell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


class Fish(Shell):
    name = "fish"

    def quote(self, value: str) -> str:
        """fish single quotes: only `\\` and `'` are special inside, each escaped with `\\`."""
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def export(self, name: str, value: str) -> str:
        return f"set -gx {name} {self.quote(value)}"

    def unset(self, names: Iterable[str]) -> str:
        listed = " ".join(names)
        return f"set -e {listed}" if listed else ""

    def print_lines(self, lines: Iterable[str]) -> str:
        words = " ".join(self.quote(line) for line in lines)
        return f"builtin printf '%s\\n' {words}" if words else ""
