# shellsso for zsh (5.0 or newer): awsuse, the prompt segment, a login offer
# before AWS commands, and TAB completion.
#
# Printed by `shellsso init zsh`; load it from ~/.zshrc (before or after
# compinit: completion registers at the first prompt) with
#     eval "$(shellsso init zsh)"
# Public: the functions `awsuse` and `shellsso_prompt_info`. Private: functions
# __shellsso_*, state _SHELLSSO_*; settings are SHELLSSO_* (see the README).
# Loading it twice is harmless: functions are redefined, hooks added once.
#
# Cost rules: a prompt starts no process (no $(...), no external command: the
# clock is zsh/datetime's EPOCHSECONDS, files are read with `read`); a TAB reads
# a names file with builtins; only awsuse and a login offer start Python.
# Functions start with `emulate -L zsh` so that the user's options (KSH_ARRAYS,
# SH_WORD_SPLIT...) cannot change them; builtins are called as \builtin.

# Filled in by `shellsso init` (quoted): the interpreter, the package's folder,
# static completion words, SHELLSSO_AWS_COMMANDS's default, the shell's name.
typeset -g _SHELLSSO_PYTHON='::PYTHON::'
typeset -g _SHELLSSO_PKGDIR='::PKGDIR::'
typeset -g _SHELLSSO_CLI='::CLI::'
typeset -g _SHELLSSO_REGIONS='::REGIONS::'
typeset -g _SHELLSSO_AWS_COMMANDS='::AWS_COMMANDS::'

# This shell's stamp (see common.bash: the functions bash and zsh share,
# written once, which `shellsso init` puts in place of the #include line).
typeset -gx _SHELLSSO_STAMP=${XDG_CACHE_HOME:-$HOME/.cache}/shellsso/stamps/$$

\builtin zmodload -F zsh/datetime p:EPOCHSECONDS
# $mapfile[FILE] reads a file in one go; zsh's `read -d ''` goes byte by byte.
\builtin zmodload -F zsh/mapfile p:mapfile

#include common.bash

# The clock, without a process or a call: arithmetic reads the value of the
# parameter _SHELLSSO_NOW names, zsh/datetime's EPOCHSECONDS.
typeset -g _SHELLSSO_NOW=EPOCHSECONDS

# Reads the token file into the caller's `data`, after writing this shell's
# stamp; not from a $(...) subshell (a theme's shellsso_prompt_info), whose
# reading is lost.
__shellsso_read_token() {
    (( ZSH_SUBSHELL )) || [[ -z ${_SHELLSSO_STAMPS_OK-} || -L $_SHELLSSO_STAMPS_OK/$$ ]] ||
        : 2>/dev/null >|$_SHELLSSO_STAMPS_OK/$$
    data=$mapfile[$_SHELLSSO_TOKEN]
}

# A precmd function. Takes off the segment it added last time, if PROMPT still
# starts with it (the user or a theme may have rebuilt PROMPT), and puts the new
# one in front: the rest of PROMPT is never touched. Keeps $?.
# _SHELLSSO_INFO is exported for prompts drawn by another process (starship).
__shellsso_prompt() {
    \builtin local __shellsso_rc=$?
    \builtin emulate -L zsh
    \builtin local color=''
    __shellsso_compdef
    (( ! ${#_SHELLSSO_CANCELLED} )) || __shellsso_uncancel
    __shellsso_state
    \builtin export _SHELLSSO_INFO
    if [[ -n ${_SHELLSSO_PS1-} && $PROMPT == "$_SHELLSSO_PS1"* ]]; then
        PROMPT=${PROMPT#"$_SHELLSSO_PS1"}
    fi
    typeset -g _SHELLSSO_PS1=''
    if [[ -n $_SHELLSSO_INFO && ${SHELLSSO_PROMPT-} != off ]]; then
        if [[ -z ${NO_COLOR-} ]]; then
            if [[ ${AWS_PROFILE:-${SHELLSSO_EXEC_PROFILE-}} == ${~SHELLSSO_PROD_PATTERN:-*prod*} ]]; then
                color=red
            elif [[ $_SHELLSSO_LEVEL != ok ]]; then
                color=yellow
            fi
        fi
        if [[ -n $color ]]; then
            _SHELLSSO_PS1="%F{$color}$_SHELLSSO_INFO%f "
        else
            _SHELLSSO_PS1="$_SHELLSSO_INFO "
        fi
        PROMPT=$_SHELLSSO_PS1$PROMPT
    fi
    \builtin return $__shellsso_rc
}

# Completion. Profile names come from the cache file that `shellsso _names`
# writes (first line: the files it was made from), remade only when a config
# file is newer; $mapfile loads it and compadd filters and quotes the names.
__shellsso_load_names() {
    \builtin emulate -L zsh
    \builtin local config=${AWS_CONFIG_FILE:-$HOME/.aws/config}
    \builtin local creds=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
    \builtin local file=${XDG_CACHE_HOME:-$HOME/.cache}/shellsso/names.zsh data
    \builtin local key=$config:$creds
    # Not the user's own file (-O): planted there; the back end refuses the
    # folder, or replaces the file.
    if [[ ! -f $file || ! -O $file || $config -nt $file || $creds -nt $file ]]; then
        __shellsso_run names_main '::SHELL::' "$key" || \builtin return 1
    fi
    data=$mapfile[$file]
    if [[ ${data%%$'\n'*} != "$key" ]]; then
        __shellsso_run names_main '::SHELL::' "$key" || \builtin return 1
        data=$mapfile[$file]
    fi
    data=${data#*$'\n'}
    typeset -ga _SHELLSSO_NAMES
    _SHELLSSO_NAMES=("${(@f)${data%$'\n'}}")
}

# Adds the profile names that start with the word typed so far. compadd alone
# would take the common prefix of the quoted names (`evil$(x)` and `evil y`
# give `evil\`, a line that Enter continues), so the names are filtered and
# their common prefix found here, on the names themselves (the word typed is
# unquoted first), and compadd only quotes what goes on the line: the common
# prefix when it adds something, else the names to list, with the quoted
# prefix not inserted.
__shellsso_add_profiles() {
    \builtin emulate -L zsh
    \builtin local typed=${(Q)PREFIX} common first last
    \builtin integer i=0
    \builtin local -a found
    __shellsso_load_names || \builtin return 0
    found=(${(M)_SHELLSSO_NAMES:#${(b)typed}*})
    if (( $#found > 1 )); then
        # The cache is sorted by bytes: the prefix the first and the last match
        # share is the one every match shares (no loop over 10,000 names).
        first=$found[1] last=$found[-1]
        while (( i < $#first )) && [[ $first[i+1] == $last[i+1] ]]; do (( i++ )); done
        common=$first[1,i]
        if (( $#common > $#typed )); then
            compadd -U -S '' -- $common
            \builtin return 0
        fi
        compadd -U -a found
        # (compstate exists only in a completion widget, not in a script such as the demo.)
        [[ ${(t)compstate} != association* || $compstate[insert] != *unambiguous ]] ||
            compstate[insert]=''
    elif (( $#found )); then
        compadd -U -a found
    fi
}

# awsuse takes one profile (or `-`), or --unset alone: once one of them is on
# the line, only the options that go with a profile are offered, or nothing.
__shellsso_complete_awsuse() {
    \builtin emulate -L zsh
    \builtin local i given=''
    for ((i = 2; i < CURRENT; i++)); do
        if [[ $words[i] == --unset ]]; then
            \builtin return 0
        elif [[ $words[i] == - || ($words[i] != -* && $words[i-1] != --region) ]]; then
            given=1
        fi
    done
    if [[ ${words[CURRENT-1]} == --region ]]; then
        compadd -- ${=_SHELLSSO_REGIONS}
    elif [[ -n $given ]]; then
        [[ $PREFIX != -* ]] || compadd -- --region --export
    elif [[ $PREFIX == -* ]]; then
        compadd -- - --unset --export --region --interactive --help
    else
        __shellsso_add_profiles
    fi
}

# `shellsso` subcommands and options (see __shellsso_spec_words).
__shellsso_complete_shellsso() {
    \builtin emulate -L zsh
    \builtin local key=shellsso
    \builtin local -a found
    ((CURRENT < 3)) || key=${words[2]-}
    __shellsso_spec_words "$key" "${words[CURRENT-1]}"
    found=(${=_SHELLSSO_SPEC})
    if [[ $found == @profiles ]]; then
        __shellsso_add_profiles
    else
        compadd -a found
    fi
}

# Ctrl-C at the login offer before a command line whose first word is $1 and
# command word $2 (see __shellsso_preexec): until the next prompt, functions of
# those names stand in for them (zsh looks functions up first, for a path such
# as /usr/bin/aws and the modifiers command and exec too; `time` is a reserved
# word, which runs the command word). The first one the line runs sends the
# shell SIGINT, which ends the line there with status 130, as Ctrl-C does (in
# a subshell, a pipeline's, it returns 130). It first puts back the user's own
# functions of those names, if any, so that no hook run before the next prompt
# meets a stand-in; the prompt does it otherwise (a subshell's is lost).
__shellsso_cancel() {
    \builtin emulate -L zsh
    \builtin local name
    typeset -ga _SHELLSSO_CANCELLED
    typeset -gA _SHELLSSO_CANCELLED_BODY
    _SHELLSSO_CANCELLED=(${(u)@}) _SHELLSSO_CANCELLED_BODY=()
    for name in $_SHELLSSO_CANCELLED; do
        (( ! $+functions[$name] )) || _SHELLSSO_CANCELLED_BODY[$name]=$functions[$name]
        functions[$name]='__shellsso_uncancel; (( ZSH_SUBSHELL )) || \builtin kill -INT $$; \builtin return 130'
    done
}

__shellsso_uncancel() {
    \builtin emulate -L zsh
    \builtin local name
    for name in $_SHELLSSO_CANCELLED; do
        if (( $+_SHELLSSO_CANCELLED_BODY[$name] )); then
            functions[$name]=$_SHELLSSO_CANCELLED_BODY[$name]
        else
            \builtin unfunction -- "$name" 2>/dev/null
        fi
    done
    \builtin unset _SHELLSSO_CANCELLED _SHELLSSO_CANCELLED_BODY
}

# Completion registers through compinit's compdef, which a ~/.zshrc may define
# after this hook's line, or never. So this runs now and at every prompt (a
# lookup, no process): it registers once compdef exists and awsuse is not
# registered (a second compinit forgets it), and exports _SHELLSSO_ZSH_COMPSYS
# for `shellsso doctor`: on, or off while zsh has no completion system.
__shellsso_compdef() {
    if (( $+functions[compdef] )); then
        if [[ ${_comps[awsuse]-} != __shellsso_complete_awsuse ]]; then
            compdef __shellsso_complete_awsuse awsuse
            compdef __shellsso_complete_shellsso shellsso
        fi
        [[ ${_SHELLSSO_ZSH_COMPSYS-} == on ]] || \builtin export _SHELLSSO_ZSH_COMPSYS=on
    else
        [[ ${_SHELLSSO_ZSH_COMPSYS-} == off ]] || \builtin export _SHELLSSO_ZSH_COMPSYS=off
    fi
}
__shellsso_compdef

# Hooks, added once, last, so that a theme's precmd that rebuilds PROMPT runs first.
typeset -ga precmd_functions preexec_functions
(( ${precmd_functions[(Ie)__shellsso_prompt]} )) || precmd_functions+=(__shellsso_prompt)
(( ${preexec_functions[(Ie)__shellsso_preexec]} )) || preexec_functions+=(__shellsso_preexec)