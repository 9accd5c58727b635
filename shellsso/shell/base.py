"""What every shell needs from Python: quoting, export/unset syntax, the hook file.

`shellsso init` and the awsuse back end print code that the shell evaluates;
every value in it goes through `quote` of the shell at hand, and nothing else
in shellsso knows a shell's syntax.
"""

from __future__ import annotations

from shellsso.core.safety import CREDENTIAL_VARS, check_value, is_control

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def check_printable(value: str, what: str) -> None:
    """Reject text no prompt, list or completion could show safely (control characters).

    Quoting would make such a value harmless to `eval`, but a newline or an
    escape sequence in a profile name would still corrupt the screen, the
    completion cache (one name a line) and every prompt.
    """
    for char in value:
        if is_control(char):
            from shellsso.core.errors import ShellssoError

            raise ShellssoError(
                f"{what} {value!r} contains control characters or invalid UTF-8; "
                "rename it in the config file"
            )


class Shell:
    """One shell's syntax. Subclasses set `name` and override what differs."""

    name = ""

    @property
    def hook_file(self) -> str:
        """The hook's file name in `shells/` (package `shellsso.shell.hooks`)."""
        return f"shellsso.{self.name}"

    def quote(self, value: str) -> str:
        """`value` as one literal word of this shell (a NUL byte is refused: none can hold it)."""
        check_value("a value for the shell", value)
        return self.quote_word(value)

    def quote_word(self, value: str) -> str:
        """The shell's own quoting of a value already checked by `quote`."""
        raise NotImplementedError

    def export(self, name: str, value: str) -> str:
        """Set and export an environment variable (`name` is a fixed identifier).

        The value passes safety.check_value first (credentials: printable ASCII
        only), so a refusal names the variable rather than "a value".
        """
        check_value(name, value, credential=name in CREDENTIAL_VARS)
        return self.export_quoted(name, self.quote_word(value))

    def export_quoted(self, name: str, word: str) -> str:
        """The shell's code setting and exporting `name` to the quoted `word`."""
        raise NotImplementedError

    def unset(self, names: Iterable[str]) -> str:
        """Remove variables from the shell and the environment (empty: no code)."""
        raise NotImplementedError

    def completion_word(self, name: str) -> str:
        """A profile name as the completion cache stores it (one a line) for this shell."""
        return name

    def print_lines(self, lines: Iterable[str]) -> str:
        """Code that prints `lines` on the shell's stdout (so `awsuse | less` works)."""
        words = " ".join(self.quote(line) for line in lines)
        return f"\\builtin printf '%s\\n' {words}" if words else ""

    def render(self, template: str, values: Mapping[str, str]) -> str:
        """The hook text with each `'::KEY::'` placeholder replaced by the quoted value."""
        for key, value in values.items():
            placeholder = f"'::{key}::'"
            if placeholder not in template:
                raise ValueError(f"{self.hook_file} has no placeholder {placeholder}")
            template = template.replace(placeholder, self.quote(value))
        return template


class PosixShell(Shell):
    """bash and zsh: single quotes, `export`, `unset`."""

    def quote_word(self, value: str) -> str:
        """Single quotes, each `'` written as `'\\''`: nothing inside is special."""
        return "'" + value.replace("'", "'\\''") + "'"

    def export_quoted(self, name: str, word: str) -> str:
        return f"\\builtin export {name}={word}"

    def unset(self, names: Iterable[str]) -> str:
        listed = " ".join(names)
        return f"\\builtin unset {listed}" if listed else ""
