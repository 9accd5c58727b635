"""bash (4.4 or newer): POSIX quoting; the hook is shells/shellsso.bash."""

from __future__ import annotations

from shellsso.shell.base import PosixShell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# The demo's TAB without a terminal: what readline does. Split the line into
# COMP_WORDS, set COMP_LINE, COMP_POINT, COMP_CWORD, and call the function
# `complete -p` registered with the command, the word being completed and the word
# before it; COMPREPLY holds the answer.
_DEMO_COMPLETION = r"""__demo_complete() {
    [ -n "$1" ] && printf '\n# %s\n' "$1"
    __demo_prompt; printf '%s<TAB>\n' "$2"
    local spec fn COMP_LINE="$2" COMP_POINT=${#2} COMP_TYPE=9 COMP_KEY=9 COMP_CWORD
    local -a COMP_WORDS COMPREPLY
    spec=$(complete -p "${2%% *}" 2>/dev/null)
    case $spec in
        *' -F '*) fn=${spec##* -F }; fn=${fn%% *} ;;
        *) printf 'shellsso demo: step failed (no completion function): %s\n' "${2%% *}" >&2
           exit 1 ;;
    esac
    read -ra COMP_WORDS <<<"$2"
    [[ $2 == *' ' ]] && COMP_WORDS+=('')
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    "$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>&1
    __demo_candidates "$2" "${COMPREPLY[@]}"
}"""


class Bash(PosixShell):
    name = "bash"
    demo_completion = _DEMO_COMPLETION
    script_options = ("--noprofile", "--norc")

    def demo_rc(self, init_line: str) -> str:
        return (
            "# shellsso demo: read instead of your ~/.bashrc\n"
            "PS1='\\[\\e[1m\\]demo\\[\\e[0m\\] \\W \\$ '\n"
            f"{init_line}\n"
        )

    def demo_rc_path(self, home: Path) -> Path:
        return home / ".bashrc"

    def interactive_argv(self, executable: str, rc: Path) -> list[str]:
        return [executable, "--noprofile", "--rcfile", str(rc), "-i"]
