"""PowerShell: the `$Env:NAME="value"` lines of `shellsso export --format powershell`.

No hook (awsuse supports bash, zsh and fish): only the syntax of the export lines.
"""

from __future__ import annotations

from shellsso.shell.base import Shell

# PowerShell treats the typographic quotes like `"`, and the backtick as escape.
_SPECIAL = frozenset('`"$\u201c\u201d\u201e')


class PowerShell(Shell):
    name = "powershell"

    def quote_word(self, value: str) -> str:
        """A double-quoted PowerShell string: backtick-escape `, ", $ and smart quotes."""
        return '"' + "".join("`" + ch if ch in _SPECIAL else ch for ch in value) + '"'

    def plain_export(self, name: str, word: str) -> str:
        return f"$Env:{name}={word}"
