"""What every shell needs from Python: quoting, export/unset syntax, the hook, the demo.

`shellsso init` and the awsuse back end print code that the shell evaluates;
every value in it goes through `quote` of the shell at hand. Each shell's
syntax lives in its own module (bash.py, zsh.py, fish.py, on the classes
here), next to its hook in `shells/`: nothing else in shellsso knows a
shell's syntax or branches on a shell's name.

The awsuse back end imports this module on its fast path: standard library
cores only (no pathlib, no shlex), and the demo's texts are plain constants.
"""

from __future__ import annotations

from shellsso.core.safety import CREDENTIAL_VARS, check_value, is_control

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path

INCLUDE = "#include "
"""A hook line naming a source in `shells/` that several shells share (see hook_source)."""


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
    # How code printed for eval calls a builtin, so that no alias or function can stand in.
    builtin = "\\builtin"
    # The options that keep the shell from reading any startup file when it runs a script.
    script_options: tuple[str, ...] = ()

    @property
    def hook_file(self) -> str:
        """The hook's file name in `shells/` (package `shellsso.shell.hooks`)."""
        return f"shellsso.{self.name}"

    # --- values and variables --------------------------------------------------------

    def quote(self, value: str) -> str:
        """`value` as one literal word of this shell (a NUL byte is refused: none can hold it)."""
        check_value("a value for the shell", value)
        return self.quote_word(value)

    def quote_word(self, value: str) -> str:
        """The shell's own quoting of a value already checked by `quote`."""
        raise NotImplementedError

    def export(self, name: str, value: str) -> str:
        """Code for the hook's eval: set and export `name` (a fixed identifier).

        The value passes safety.check_value first (credentials: printable ASCII
        only), so a refusal names the variable rather than "a value".
        """
        return self.export_quoted(name, self.quoted_value(name, value))

    def quoted_value(self, name: str, value: str) -> str:
        """The value of variable `name`, checked as every value a shell evaluates, quoted."""
        check_value(name, value, credential=name in CREDENTIAL_VARS)
        return self.quote_word(value)

    def export_quoted(self, name: str, word: str) -> str:
        """The eval'd code setting and exporting `name` to the quoted `word`."""
        return f"{self.builtin} {self.plain_export(name, word)}"

    def export_line(self, name: str, value: str) -> str:
        """What `shellsso export` prints for one variable: the plain form a user pastes.

        Checked as `export` checks (`shellsso export | source` evaluates it too).
        """
        return self.plain_export(name, self.quoted_value(name, value))

    def plain_export(self, name: str, word: str) -> str:
        """The shell's statement setting and exporting `name` to the quoted `word`."""
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
        return f"{self.builtin} printf '%s\\n' {words}" if words else ""

    # --- the hook ----------------------------------------------------------------------

    def hook_source(self, read: Callable[[str], str]) -> str:
        """The hook file (`read` gives a file of `shells/` by name), with each line
        `#include FILE` replaced by the lines of FILE this shell takes (`own_lines`)."""
        lines: list[str] = []
        for line in read(self.hook_file).splitlines(keepends=True):
            if line.startswith(INCLUDE):
                lines += self.own_lines(read(line[len(INCLUDE):].strip()))
            else:
                lines.append(line)
        return "".join(lines)

    def own_lines(self, source: str) -> list[str]:
        """The lines of a source that several shells share, as this shell takes them:
        a line `#NAME: CODE` is CODE in shell NAME's hook and left out of the others."""
        lines = []
        for line in source.splitlines(keepends=True):
            code = line.lstrip()
            shell, marked, rest = code[1:].partition(": ")
            if not (code.startswith("#") and marked and shell.isalpha() and shell.islower()):
                lines.append(line)
            elif shell == self.name:
                lines.append(line[:len(line) - len(code)] + rest)
        return lines

    def render(self, template: str, values: Mapping[str, str]) -> str:
        """The hook text with each `'::KEY::'` placeholder replaced by the quoted value."""
        for key, value in values.items():
            placeholder = f"'::{key}::'"
            if placeholder not in template:
                raise ValueError(f"{self.hook_file} has no placeholder {placeholder}")
            template = template.replace(placeholder, self.quote(value))
        return template

    def command_line(self, words: Sequence[str]) -> str:
        """`words` as one command line of this shell, each quoted."""
        return " ".join(self.quote(word) for word in words)

    def init_line(self, command: str) -> str:
        """The rc file's line that loads the hook `command` prints."""
        raise NotImplementedError

    # --- what `shellsso demo` needs ------------------------------------------------------

    def demo_rc(self, init_line: str) -> str:
        """The demo shell's rc file: a plain prompt, then the hook."""
        raise NotImplementedError

    def demo_rc_path(self, home: Path) -> Path:
        """Where the demo shell reads its rc file, with what it needs there made."""
        raise NotImplementedError

    def demo_env(self, home: Path) -> dict[str, str]:
        """Variables the interactive demo shell needs to find its rc file in `home`."""
        return {}

    def interactive_argv(self, executable: str, rc: Path) -> list[str]:
        """How to start the shell interactively with the demo rc file and nothing else."""
        raise NotImplementedError

    def script_argv(self, executable: str, script: Path) -> list[str]:
        """How to run a script in the shell without reading any startup file."""
        return [executable, *self.script_options, str(script)]

    def tour_lines(self, init_command: str) -> list[str]:
        """The scripted tour's set-up: load the hook, define __demo_prompt,
        __demo_step NARRATION COMMAND and __demo_complete NARRATION LINE, each of
        which prints the transcript and stops the tour at the first failure."""
        raise NotImplementedError


# The scripted tour's steps in bash and zsh (see Shell.tour_lines).
_POSIX_TOUR = r"""__demo_prompt() {
    local p=
    if typeset -f shellsso_prompt_info >/dev/null 2>&1; then
        p=$(shellsso_prompt_info)
    fi
    if [ -n "$p" ]; then printf '%s $ ' "$p"; else printf '$ '; fi
}
__demo_step() {
    [ -n "$1" ] && printf '\n# %s\n' "$1"
    __demo_prompt; printf '%s\n' "$2"
    eval "$2" 2>&1
    local st=$?
    if [ "$st" -ne 0 ]; then
        printf 'shellsso demo: step failed (exit %s): %s\n' "$st" "$2" >&2
        exit 1
    fi
}
__demo_candidates() {
    local line=$1 out='' c
    shift
    if [ "$#" -eq 0 ]; then
        printf 'shellsso demo: step failed (no completions): %s<TAB>\n' "$line" >&2
        exit 1
    fi
    for c in "$@"; do out="$out${out:+  }$c"; done
    printf '%s\n' "$out"
}"""


class PosixShell(Shell):
    """bash and zsh: single quotes, `export`, `unset`, `eval "$(...)"`."""

    # The demo: its completion driver `__demo_complete NARRATION LINE`, which hands the
    # candidates to __demo_candidates, and what its rc file and tour run first.
    demo_completion = ""
    demo_setup: tuple[str, ...] = ()

    def quote_word(self, value: str) -> str:
        """Single quotes, each `'` written as `'\\''`: nothing inside is special."""
        return "'" + value.replace("'", "'\\''") + "'"

    def plain_export(self, name: str, word: str) -> str:
        return f"export {name}={word}"

    def assignment_line(self, name: str, value: str) -> str:
        """`NAME='value'` without export (`shellsso export --format env-no-export`)."""
        return f"{name}={self.quoted_value(name, value)}"

    def unset(self, names: Iterable[str]) -> str:
        listed = " ".join(names)
        return f"{self.builtin} unset {listed}" if listed else ""

    def init_line(self, command: str) -> str:
        return f'eval "$({command})"'

    def tour_lines(self, init_command: str) -> list[str]:
        return [
            *self.demo_setup,
            f"__demo_hook=$({init_command}) || {{",
            f"    printf 'shellsso demo: step failed: shellsso init {self.name}\\n' >&2; exit 1",
            "}",
            'eval "$__demo_hook"',
            _POSIX_TOUR,
            self.demo_completion,
        ]
