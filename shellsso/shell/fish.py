"""fish (3.x): its own quoting and `set -gx` / `set -e`; the hook is shells/shellsso.fish."""

from __future__ import annotations

from shellsso.shell.base import Shell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

# The scripted tour's steps (see Shell.tour_lines). fish completes without a terminal:
# `complete -C LINE` prints what TAB would offer (a tab and the description after
# some candidates).
_TOUR = r"""function __demo_prompt
    set -l p
    functions -q shellsso_prompt_info; and set p (shellsso_prompt_info)
    if test -n "$p"; printf '%s $ ' "$p"; else; printf '$ '; end
end
function __demo_step
    test -n "$argv[1]"; and printf '\n# %s\n' $argv[1]
    __demo_prompt; printf '%s\n' $argv[2]
    eval $argv[2] 2>&1
    set -l st $status
    if test $st -ne 0
        printf 'shellsso demo: step failed (exit %s): %s\n' $st $argv[2] >&2
        exit 1
    end
end
function __demo_complete
    test -n "$argv[1]"; and printf '\n# %s\n' $argv[1]
    __demo_prompt; printf '%s<TAB>\n' $argv[2]
    set -l found (complete -C $argv[2] | string replace -r '\t.*' '')
    if test (count $found) -eq 0
        printf 'shellsso demo: step failed (no completions): %s<TAB>\n' $argv[2] >&2
        exit 1
    end
    string join '  ' -- $found
end"""


class Fish(Shell):
    name = "fish"
    builtin = "builtin"
    script_options = ("--no-config",)

    def quote_word(self, value: str) -> str:
        """fish single quotes: only `\\` and `'` are special inside, each escaped with `\\`."""
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def export_quoted(self, name: str, word: str) -> str:
        return self.plain_export(name, word)

    def plain_export(self, name: str, word: str) -> str:
        return f"set -gx {name} {word}"

    def unset(self, names: Iterable[str]) -> str:
        listed = " ".join(names)
        return f"set -e {listed}" if listed else ""

    def init_line(self, command: str) -> str:
        return f"{command} | source"

    def demo_rc(self, init_line: str) -> str:
        return (
            "# shellsso demo: read instead of your config.fish\n"
            "set -g fish_greeting ''\n"
            "function fish_prompt\n"
            "    set_color --bold; printf demo; set_color normal\n"
            "    printf ' %s > ' (prompt_pwd)\n"
            "end\n"
            f"{init_line}\n"
        )

    def demo_rc_path(self, home: Path) -> Path:
        # With this folder present, fish's first start does not spawn a background job
        # that fills it from the man pages (and races the removal of the temp HOME).
        (home / ".local" / "share" / "fish" / "generated_completions").mkdir(parents=True)
        return home / "demo.fish"

    def interactive_argv(self, executable: str, rc: Path) -> list[str]:
        # Not --no-config: that would also skip fish's own share/config.fish (key
        # bindings). The user's config.fish is not read anyway: XDG_CONFIG_HOME is in
        # the temporary HOME.
        return [executable, "-i", "--init-command", f"source {self.quote(str(rc))}"]

    def tour_lines(self, init_command: str) -> list[str]:
        return [
            f"{init_command} >$HOME/.demo-hook.fish",
            "or begin",
            "    printf 'shellsso demo: step failed: shellsso init fish\\n' >&2; exit 1",
            "end",
            "source $HOME/.demo-hook.fish",
            _TOUR,
        ]
