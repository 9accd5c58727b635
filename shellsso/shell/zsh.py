"""zsh (5.x): POSIX quoting; the hook is shells/shellsso.zsh."""

from __future__ import annotations

from shellsso.shell.base import PosixShell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

# The demo runs compinit first, as a user's ~/.zshrc does, so that the hook's compdef
# registers its completion.
_COMPINIT = 'autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"'

# zsh runs completion widgets only inside its line editor, on a terminal. The demo's
# tour calls the function registered for the command itself, with words/CURRENT/PREFIX
# set as the editor sets them and compadd replaced by a stand-in that keeps what
# compadd would list (the words that start with PREFIX); the transcript says so.
_DEMO_COMPLETION = r"""__demo_complete() {
    [ -n "$1" ] && printf '\n# %s\n# %s\n' "$1" \
        "(zsh's TAB needs a terminal: this runs the hook's completion with a stand-in compadd)"
    __demo_prompt; printf '%s<TAB>\n' "$2"
    local -a words __demo_found
    words=(${(z)2})
    [[ $2 == *' ' ]] && words+=('')
    local CURRENT=${#words} PREFIX=${words[-1]} fn=${_comps[${words[1]}]-}
    if [[ -z $fn ]]; then
        printf 'shellsso demo: step failed (no completion function): %s\n' "${words[1]}" >&2
        exit 1
    fi
    compadd() {
        local -a given
        while (( $# )); do
            case $1 in
                -a) shift; given+=("${(@P)1}") ;;
                --) shift; given+=("$@"); break ;;
            esac
            shift
        done
        __demo_found+=(${(M)given:#$PREFIX*})
    }
    "$fn" 2>&1
    unfunction compadd
    __demo_candidates "$2" "${__demo_found[@]}"
}"""


class Zsh(PosixShell):
    name = "zsh"
    demo_completion = _DEMO_COMPLETION
    demo_setup = (_COMPINIT,)
    script_options = ("-f",)

    def demo_rc(self, init_line: str) -> str:
        return (
            "# shellsso demo: read instead of your ~/.zshrc\n"
            f"{_COMPINIT}\n"
            "PROMPT='%Bdemo%b %1~ %# '\n"
            f"{init_line}\n"
        )

    def demo_rc_path(self, home: Path) -> Path:
        return home / ".zshrc"

    def demo_env(self, home: Path) -> dict[str, str]:
        return {"ZDOTDIR": str(home)}  # zsh reads $ZDOTDIR/.zshrc

    def interactive_argv(self, executable: str, rc: Path) -> list[str]:
        return [executable, "-i"]
