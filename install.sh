#!/bin/sh
# Install shellsso for this user and add its one init line to the shell rc files.
#
#   ./install.sh                 from this checkout (or from PyPI when run elsewhere)
#   ./install.sh --uninstall     remove the install, the rc lines and ~/.cache/shellsso
#
# POSIX sh on purpose: it runs before the user's shell is set up, on any system.
# Environment (mostly for tests and packagers):
#   SHELLSSO_PYTHON              interpreter for the venv (default: python3)
#   SHELLSSO_INSTALL_SOURCE      what pip installs (default: this checkout, else `shellsso`)
#   SHELLSSO_INSTALL_PIP_ARGS    extra pip arguments, e.g. "--no-deps"
#   SHELLSSO_INSTALL_VENV_ARGS   extra `python -m venv` arguments, e.g. "--system-site-packages"
#   SHELLSSO_INSTALL_NO_PIPX=1   use the private venv even where pipx exists
set -eu

BEGIN_MARK='# >>> shellsso >>>'
END_MARK='# <<< shellsso <<<'

DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/shellsso"
VENV_DIR="$DATA_DIR/venv"
BIN_DIR="$HOME/.local/bin"
LINK="$BIN_DIR/shellsso"
FISH_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/fish"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/shellsso"

usage() {
    cat <<'EOF'
Usage: install.sh [--shell NAME]... [--no-modify-rc] [--uninstall] [--help]

Install shellsso for this user: with pipx where it is present, else in a
private venv under ${XDG_DATA_HOME:-~/.local/share}/shellsso/venv linked as
~/.local/bin/shellsso. Then add the init line to the rc file of each shell,
inside a marked block that a second run replaces and --uninstall removes:
  bash  ~/.bashrc                            eval "$(shellsso init bash)"
  zsh   ${ZDOTDIR:-~}/.zshrc                 eval "$(shellsso init zsh)"
  fish  ~/.config/fish/conf.d/shellsso.fish  shellsso init fish | source

Options:
  --shell NAME     bash, zsh or fish (repeatable; default: $SHELL and every
                   installed shell that already has an rc file)
  --no-modify-rc   install only; print the line to add instead
  --uninstall      remove the install, the rc blocks and ~/.cache/shellsso
                   (~/.aws, shared with the AWS CLI, is left as it is)
  -h, --help       this help
EOF
}

say() { printf 'shellsso install: %s\n' "$*"; }
die() { printf 'shellsso install: error: %s\n' "$*" >&2; exit 1; }

# --- arguments -------------------------------------------------------------------

shells=""
modify_rc=1
uninstall=0

add_shell() {
    case "$1" in
        bash|zsh|fish) shells="$shells $1" ;;
        *) die "unsupported shell: '$1' (bash, zsh or fish)" ;;
    esac
}

while [ $# -gt 0 ]; do
    case "$1" in
        --shell)
            [ $# -ge 2 ] || die "--shell needs a value (bash, zsh or fish)"
            add_shell "$2"
            shift
            ;;
        --shell=*) add_shell "${1#--shell=}" ;;
        --no-modify-rc) modify_rc=0 ;;
        --uninstall) uninstall=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
done

# --- where from ----------------------------------------------------------------------

script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
if [ -n "${SHELLSSO_INSTALL_SOURCE:-}" ]; then
    source_spec="$SHELLSSO_INSTALL_SOURCE"
elif [ -f "$script_dir/pyproject.toml" ] && [ -f "$script_dir/shellsso/__init__.py" ]; then
    source_spec="$script_dir"
else
    source_spec="shellsso"
fi

use_pipx() {
    [ "${SHELLSSO_INSTALL_NO_PIPX:-}" != 1 ] && command -v pipx >/dev/null 2>&1
}

# --- rc files ------------------------------------------------------------------------

rc_file() {
    case "$1" in
        bash) printf '%s\n' "$HOME/.bashrc" ;;
        zsh) printf '%s\n' "${ZDOTDIR:-$HOME}/.zshrc" ;;
        fish) printf '%s\n' "$FISH_DIR/conf.d/shellsso.fish" ;;
    esac
}

# The folder of the installed `shellsso`, spelled for the rc file: "$HOME/..." when
# it is under HOME (rc files shared between machines), else single-quoted (the
# same in sh and fish when there is no quote or backslash in it); nothing when it
# cannot be spelled safely.
bin_word() {
    case "$BIN_DIR" in
        "$HOME"/*)
            rest=${BIN_DIR#"$HOME"/}
            case "$rest" in
                *[!A-Za-z0-9._/-]*) ;;
                *)  # shellcheck disable=SC2016 # for the shell that reads the rc file
                    printf '"$HOME/%s"\n' "$rest"; return 0 ;;
            esac
            ;;
    esac
    case "$BIN_DIR" in
        *"'"*|*\\*) return 0 ;;
    esac
    printf "'%s'\n" "$BIN_DIR"
}

# Put the program's folder on PATH in every new shell: a fresh ~/.local/bin is
# often not on PATH yet (Debian's ~/.profile adds it only if it existed at login).
path_line() {
    word=$(bin_word)
    [ -n "$word" ] || return 0
    case "$1" in
        bash|zsh)
            # shellcheck disable=SC2016 # expanded by the shell that reads the rc file
            printf 'case ":$PATH:" in *:%s:*) ;; *) export PATH=%s:"$PATH" ;; esac\n' \
                "$word" "$word"
            ;;
        fish)  # shellcheck disable=SC2016 # expanded by fish
            printf 'contains -- %s $PATH; or set -gx PATH %s $PATH\n' "$word" "$word" ;;
    esac
}

init_line() {
    # Guarded, so that a shell still starts cleanly if shellsso is removed by hand.
    case "$1" in
        bash|zsh)
            # shellcheck disable=SC2016 # expanded by the shell that reads the rc file
            printf 'if command -v shellsso >/dev/null 2>&1; then eval "$(shellsso init %s)"; fi\n' "$1"
            ;;
        fish) printf 'if type -q shellsso; shellsso init fish | source; end\n' ;;
    esac
}

# In the block of an rc file that install.sh created: --uninstall removes the file
# too when nothing else is left in it.
CREATED_MARK="# install.sh created this file; --uninstall removes it if nothing else is in it."

block() {
    printf '%s\n' "$BEGIN_MARK"
    printf '%s\n' "# Added by shellsso's install.sh; \`install.sh --uninstall\` removes this block."
    [ "$2" = 1 ] && printf '%s\n' "$CREATED_MARK"
    path_line "$1"
    init_line "$1"
    printf '%s\n' "$END_MARK"
}

# Print FILE without the marked block (every copy of it).
strip_block() {
    awk -v b="$BEGIN_MARK" -v e="$END_MARK" '
        $0 == b { skip = 1; next }
        skip && $0 == e { skip = 0; next }
        !skip { print }
    ' "$1"
}

# Print FILE with the marked block replaced by the content of NEWBLOCK (a file).
replace_block() {
    awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v nb="$2" '
        $0 == b { if (!done) { while ((getline line < nb) > 0) print line; done = 1 }
                  skip = 1; next }
        skip && $0 == e { skip = 0; next }
        !skip { print }
    ' "$1"
}

has_block() {
    [ -f "$1" ] && grep -qxF "$BEGIN_MARK" "$1"
}

# Overwrite FILE with the content of TMP through the existing file, so that a
# symlinked rc file (dotfile managers) stays a symlink and keeps its mode.
write_through() {
    cat "$2" >"$1"
    rm -f "$2"
}

add_block() {
    shell="$1"
    rc=$(rc_file "$shell")
    created=0
    if { [ ! -e "$rc" ] && [ ! -L "$rc" ]; } || { has_block "$rc" && grep -qxF "$CREATED_MARK" "$rc"; }; then
        created=1
    fi
    mkdir -p "$(dirname "$rc")"
    new=$(mktemp "${TMPDIR:-/tmp}/shellsso-block.XXXXXX")
    block "$shell" "$created" >"$new"
    if has_block "$rc"; then
        out=$(mktemp "${TMPDIR:-/tmp}/shellsso-rc.XXXXXX")
        replace_block "$rc" "$new" >"$out"
        rm -f "$new"
        if cmp -s "$out" "$rc"; then
            rm -f "$out"
            say "$rc already loads shellsso"
        else
            write_through "$rc" "$out"
            say "updated the shellsso block in $rc"
        fi
        return 0
    fi
    # End an unterminated last line before appending.
    if [ -s "$rc" ] && [ -n "$(tail -c 1 "$rc")" ]; then
        printf '\n' >>"$rc"
    fi
    cat "$new" >>"$rc"
    rm -f "$new"
    say "added the shellsso line to $rc"
}

remove_block() {
    rc="$1"
    has_block "$rc" || return 0
    out=$(mktemp "${TMPDIR:-/tmp}/shellsso-rc.XXXXXX")
    strip_block "$rc" >"$out"
    # The fish conf.d file is shellsso's own and goes when it held only the block;
    # an rc file is the user's and stays, empty if it held nothing else, unless
    # install.sh created it.
    if [ "$rc" = "$FISH_DIR/conf.d/shellsso.fish" ] && [ ! -L "$rc" ] \
        && ! grep -q '[^[:space:]]' "$out"; then
        rm -f "$out" "$rc"
        say "removed $rc"
        return 0
    fi
    if grep -qxF "$CREATED_MARK" "$rc" && [ ! -L "$rc" ] && ! grep -q '[^[:space:]]' "$out"; then
        rm -f "$out" "$rc"
        say "removed $rc (install.sh created it)"
        return 0
    fi
    write_through "$rc" "$out"
    say "removed the shellsso block from $rc"
}

detect_shells() {
    found=""
    login_shell=$(basename -- "${SHELL:-}")
    case "$login_shell" in bash|zsh|fish) found="$login_shell" ;; esac
    for s in bash zsh fish; do
        case " $found " in *" $s "*) continue ;; esac
        command -v "$s" >/dev/null 2>&1 || continue
        case "$s" in
            bash) [ -f "$HOME/.bashrc" ] || continue ;;
            zsh) [ -f "${ZDOTDIR:-$HOME}/.zshrc" ] || continue ;;
            fish) [ -d "$FISH_DIR" ] || continue ;;
        esac
        found="$found $s"
    done
    printf '%s\n' "$found"
}

# --- install / uninstall ---------------------------------------------------------

find_python() {
    py="${SHELLSSO_PYTHON:-python3}"
    command -v "$py" >/dev/null 2>&1 || die "$py not found: install Python 3.9 or later"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
        || die "$py is older than 3.9: set SHELLSSO_PYTHON to a newer one"
    printf '%s\n' "$py"
}

install_pipx() {
    say "installing with pipx from $source_spec"
    # shellcheck disable=SC2086 # word splitting of the extra pip arguments is wanted
    pipx install --force ${SHELLSSO_INSTALL_PIP_ARGS:+--pip-args="$SHELLSSO_INSTALL_PIP_ARGS"} \
        "$source_spec"
    BIN_DIR=$(pipx environment --value PIPX_BIN_DIR 2>/dev/null) || BIN_DIR="$HOME/.local/bin"
}

# Can the venv build the checkout's wheel by itself (no network)? It needs
# setuptools 64 or later, and either 70.1 or later or the `wheel` package. A venv
# made from a system or base interpreter often has neither (and from Python 3.12
# no setuptools at all), whichever Python install.sh was started from: then pip
# builds in an isolated environment, with a build backend from the index.
venv_can_build() {
    "$VENV_DIR/bin/python" -c '
import sys
from importlib.metadata import version
from importlib.util import find_spec
try:
    v = tuple(int(x) for x in version("setuptools").split(".")[:2])
except Exception:
    sys.exit(1)
sys.exit(not (v >= (64, 0) and (v >= (70, 1) or find_spec("wheel") is not None)))
' 2>/dev/null
}

install_venv() {
    py=$(find_python)
    say "installing into $VENV_DIR from $source_spec"
    mkdir -p "$DATA_DIR"
    if [ ! -x "$VENV_DIR/bin/python" ]; then
        # shellcheck disable=SC2086 # word splitting of the extra venv arguments is wanted
        "$py" -m venv ${SHELLSSO_INSTALL_VENV_ARGS:-} "$VENV_DIR" \
            || die "could not create a venv (Debian/Ubuntu: apt install python3-venv)"
    fi
    build_args=""
    if [ -d "$source_spec" ] && venv_can_build; then
        build_args="--no-build-isolation"
    fi
    # shellcheck disable=SC2086 # word splitting of the extra pip arguments is wanted
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
        $build_args ${SHELLSSO_INSTALL_PIP_ARGS:-} "$source_spec" \
        || die "pip could not install $source_spec"
    [ -x "$VENV_DIR/bin/shellsso" ] || die "the venv has no shellsso script"
    mkdir -p "$BIN_DIR"
    if [ -e "$LINK" ] && [ ! -L "$LINK" ]; then
        die "$LINK exists and is not a link: remove it and run again"
    fi
    ln -sf "$VENV_DIR/bin/shellsso" "$LINK"
    say "linked $LINK"
}

path_note() {
    case ":${PATH:-}:" in
        *":$BIN_DIR:"*) return 0 ;;
    esac
    if [ "$modify_rc" = 1 ] && [ -n "$(bin_word)" ]; then
        say "note: $BIN_DIR is not on this shell's PATH; the rc block adds it in new shells"
    else
        say "note: $BIN_DIR is not on your PATH; add it in your rc file"
    fi
}

uninstall_all() {
    removed=0
    if [ -L "$LINK" ]; then
        case "$(readlink "$LINK")" in
            "$VENV_DIR"/*) rm -f "$LINK"; say "removed $LINK"; removed=1 ;;
        esac
    fi
    if [ -d "$VENV_DIR" ]; then
        rm -rf "$VENV_DIR"
        rmdir "$DATA_DIR" 2>/dev/null || true
        say "removed $VENV_DIR"
        removed=1
    fi
    if [ "${SHELLSSO_INSTALL_NO_PIPX:-}" != 1 ] && command -v pipx >/dev/null 2>&1 \
        && pipx list --short 2>/dev/null | grep -q '^shellsso '; then
        pipx uninstall shellsso
        removed=1
    fi
    for s in bash zsh fish; do
        remove_block "$(rc_file "$s")"
    done
    # An older install may have used config.fish.
    remove_block "$FISH_DIR/config.fish"
    # shellsso's own caches (config index, completion names, locks); the token and
    # credential caches in ~/.aws are shared with the AWS CLI and stay.
    if [ -d "$CACHE_DIR" ]; then
        rm -rf "$CACHE_DIR"
        say "removed $CACHE_DIR (shellsso's caches; ~/.aws is left as it is)"
    fi
    [ "$removed" = 1 ] || say "no shellsso install found (rc files checked)"
    say "done"
}

if [ "$uninstall" = 1 ]; then
    uninstall_all
    exit 0
fi

if use_pipx; then
    install_pipx
else
    install_venv
fi
path_note

[ -n "$shells" ] || shells=$(detect_shells)
[ -n "$shells" ] || shells="bash"
if [ "$modify_rc" = 1 ]; then
    for s in $shells; do
        add_block "$s"
    done
    say "done: open a new terminal (or source the rc file), then try \`awsuse\`"
else
    say "done; add to your rc file:"
    for s in $shells; do
        printf '  %s:\n' "$(rc_file "$s")"
        { path_line "$s"; init_line "$s"; } | while IFS= read -r line; do
            printf '    %s\n' "$line"
        done
    done
fi
