# shellsso for bash (4.4 or newer): awsuse, the prompt segment, a login offer
# before AWS commands, and TAB completion.
#
# Printed by `shellsso init bash`; load it from ~/.bashrc with
#     eval "$(shellsso init bash)"
# Public: the functions `awsuse` and `shellsso_prompt_info`. Private: functions
# __shellsso_*, state _SHELLSSO_*; settings are SHELLSSO_* (see the README).
# Loading it twice is harmless: functions are redefined, hooks added once.
#
# Cost rules: a prompt starts no process (no $(...), no external command: the
# clock is EPOCHSECONDS or printf '%(%s)T', files are read with `read`); a TAB
# reads a names file with mapfile; only awsuse and a login offer start Python.
# Builtins are called as \builtin so that aliases cannot change them; bash then
# no longer sees `local` as a declaration, so its assignments are all quoted.

# Filled in by `shellsso init` (quoted): the interpreter, the package's folder,
# static completion words, SHELLSSO_AWS_COMMANDS's default, the shell's name.
_SHELLSSO_PYTHON='::PYTHON::'
_SHELLSSO_PKGDIR='::PKGDIR::'
_SHELLSSO_CLI='::CLI::'
_SHELLSSO_REGIONS='::REGIONS::'
_SHELLSSO_AWS_COMMANDS='::AWS_COMMANDS::'

# This shell's stamp (see common.bash: the functions bash and zsh share,
# written once, which `shellsso init` puts in place of the #include line).
_SHELLSSO_STAMP=${XDG_CACHE_HOME:-$HOME/.cache}/shellsso/stamps/$$
\builtin export _SHELLSSO_STAMP
# What a zsh that started this shell said about its completion (for the doctor).
\builtin unset _SHELLSSO_ZSH_COMPSYS

#include common.bash

# The clock, without a process: EPOCHSECONDS (bash 5), else printf %()T (bash 4.2).
__shellsso_now() {
    _SHELLSSO_NOW=${EPOCHSECONDS-}
    [[ -n $_SHELLSSO_NOW ]] || \builtin printf -v _SHELLSSO_NOW '%(%s)T' -1
}

# Reads the token file into the caller's `data`, after writing this shell's
# stamp; not from a $(...) subshell (a theme's shellsso_prompt_info), whose
# reading is lost.
__shellsso_read_token() {
    if [[ ${BASHPID-$$} == "$$" && -n ${_SHELLSSO_STAMPS_OK-} && ! -L $_SHELLSSO_STAMPS_OK/$$ ]]
    then
        : 2>/dev/null >|"$_SHELLSSO_STAMPS_OK/$$"
    fi
    # shellcheck disable=SC2034 # `data` is __shellsso_reread's
    IFS= \builtin read -r -d '' data <"$_SHELLSSO_TOKEN" || :
}

# Runs before each prompt (last in PROMPT_COMMAND, or from bash-preexec's
# precmd_functions), with $? as it was. It has the trace attribute (declare -ft
# below): bash takes the DEBUG trap away while an untraced function runs, so
# this is the one place where a trap that replaced ours can be read. Its single
# command expands `trap -p DEBUG` (a fork) only when our trap did not fire for
# this prompt and __shellsso_debug_check will put it back (the same tests);
# otherwise nothing starts.
__shellsso_prompt() {
    __shellsso_prompt_now "$?" "${_SHELLSSO_DEBUG_FIRED:-${_SHELLSSO_DEBUG_LOST:-${FUNCNAME[1]:-${bash_preexec_imported:-${__bp_imported:-$(\builtin trap -p DEBUG)}}}}}"
}
\builtin declare -ft __shellsso_prompt

# The prompt: $1 is the status to keep, $2 what __shellsso_prompt read of the
# DEBUG trap. Takes off the segment it added last time, if PS1 still starts
# with it (the user or a theme may have rebuilt PS1), and puts the new one in
# front: the user's PS1 is never otherwise touched. Returns $1, for PS1 and the
# next PROMPT_COMMAND. _SHELLSSO_INFO is exported for prompts drawn by another
# process (starship).
__shellsso_prompt_now() {
    \builtin local __shellsso_rc="$1" color=
    __shellsso_state
    \builtin export _SHELLSSO_INFO
    if [[ -n ${_SHELLSSO_PS1-} && $PS1 == "$_SHELLSSO_PS1"* ]]; then
        PS1=${PS1#"$_SHELLSSO_PS1"}
    fi
    _SHELLSSO_PS1=
    if [[ -n $_SHELLSSO_INFO && ${SHELLSSO_PROMPT-} != off ]]; then
        if [[ -z ${NO_COLOR-} ]]; then
            # shellcheck disable=SC2053 # the pattern is a glob on purpose
            if [[ ${AWS_PROFILE:-${SHELLSSO_EXEC_PROFILE-}} == ${SHELLSSO_PROD_PATTERN:-*prod*} ]]; then
                color='\[\e[31m\]'
            elif [[ $_SHELLSSO_LEVEL != ok ]]; then
                color='\[\e[33m\]'
            fi
        fi
        _SHELLSSO_PS1="$color$_SHELLSSO_INFO${color:+\\[\\e[0m\\]} "
        PS1=$_SHELLSSO_PS1$PS1
    fi
    # Last: a trap put back fires for the commands that follow it here.
    __shellsso_debug_check "$2"
    \builtin return "$__shellsso_rc"
}

# The DEBUG trap runs before every simple command, so the cheap test comes
# first. "$_" as our last argument leaves $_ as it was for the trap we chain to.
# With extdebug a non-zero status from the trap would skip the command, so the
# old $? is handed back only when another trap runs after us.
# Fired for the prompt function itself (PROMPT_COMMAND's commands are traced
# too), it tells __shellsso_prompt that this trap is still the shell's.
__shellsso_debug() {
    \builtin local __shellsso_rc=$?
    [[ $BASH_COMMAND != __shellsso_prompt ]] || _SHELLSSO_DEBUG_FIRED=1
    if [[ -n ${_SHELLSSO_EXPIRES-}${_SHELLSSO_CREDS_EXPIRES-} && -z ${COMP_LINE-} ]]; then
        __shellsso_preexec "$BASH_COMMAND"
    fi
    [[ -z ${_SHELLSSO_DEBUG_TRAP-} ]] || \builtin return "$__shellsso_rc"
    \builtin return 0
}

# Puts our DEBUG trap first, and then the trap that was set, if any: $1 is
# `trap -p DEBUG` (`trap -- 'TEXT' DEBUG`, TEXT single-quoted), read without
# eval; its TEXT is kept in _SHELLSSO_DEBUG_TRAP, without ours when it already
# starts with it (the hook loaded twice). Anything else is left alone: a trap
# that printed while it was read, say.
__shellsso_install_debug() {
    # shellcheck disable=SC2016 # $_ is expanded when the trap runs
    \builtin local text="$1" ours='__shellsso_debug "$_"'
    if [[ $text == "trap -- '"*"' DEBUG" ]]; then
        text=${text#"trap -- '"} text=${text%"' DEBUG"}
        text=${text//"'\\''"/"'"}
    elif [[ -n $text ]]; then
        \builtin return 0
    fi
    if [[ $text == "$ours"* ]]; then
        text=${text#"$ours"}
        _SHELLSSO_DEBUG_TRAP=${text#$'\n'}
    else
        _SHELLSSO_DEBUG_TRAP=$text
        \builtin trap -- "$ours${text:+$'\n'$text}" DEBUG
    fi
}

# Before each prompt, with $1 what __shellsso_prompt read of the DEBUG trap.
# Our trap fired just before the prompt function, as before every command of
# PROMPT_COMMAND, unless a trap set since (the user's, liquidprompt's, `trap -
# DEBUG`) replaced it: then ours goes back in front of the new one, which keeps
# running. Only when PROMPT_COMMAND itself called the prompt function (in
# another function the trap is away) and without bash-preexec (which has the
# trap); and once per replacement: if ours is gone again at the next prompt,
# something sets its trap at every prompt, and putting ours back each time
# would fork at each prompt. Ours then stays off until it is seen firing.
__shellsso_debug_check() {
    if [[ -n ${_SHELLSSO_DEBUG_FIRED-} ]]; then
        _SHELLSSO_DEBUG_FIRED='' _SHELLSSO_DEBUG_LOST=''
    elif [[ -z ${_SHELLSSO_DEBUG_LOST-} && -z ${FUNCNAME[3]-} &&
        -z ${bash_preexec_imported-}${__bp_imported-} ]]; then
        _SHELLSSO_DEBUG_LOST=1
        __shellsso_install_debug "$1"
    fi
}

# Completion. Profile names come from the cache file that `shellsso _names`
# writes (first line: the files it was made from), remade only when a config
# file is newer; mapfile reads it and the shell filters it. The names are kept
# as they are: the word typed is unquoted to compare with them, and what goes
# on the line is quoted (see __shellsso_reply_profiles). Not compgen -W: it
# would expand $(...) inside the words.
__shellsso_load_names() {
    \builtin local config="${AWS_CONFIG_FILE:-$HOME/.aws/config}"
    \builtin local creds="${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}"
    \builtin local file="${XDG_CACHE_HOME:-$HOME/.cache}/shellsso/names.bash"
    # The leading 2: names kept as they are (0.1.0 kept them quoted), so that an
    # older cache is made again.
    \builtin local key="2:$config:$creds"
    # Not the user's own file (-O): planted there; the back end refuses the
    # folder, or replaces the file.
    if [[ ! -f $file || ! -O $file || $config -nt $file || $creds -nt $file ]]; then
        __shellsso_run names_main '::SHELL::' "$key" || \builtin return 1
    fi
    \builtin mapfile -t _SHELLSSO_NAMES <"$file" || \builtin return 1
    if [[ ${_SHELLSSO_NAMES[0]-} != "$key" ]]; then
        __shellsso_run names_main '::SHELL::' "$key" || \builtin return 1
        \builtin mapfile -t _SHELLSSO_NAMES <"$file" || \builtin return 1
    fi
    \builtin unset '_SHELLSSO_NAMES[0]'
}

# Adds the words of $2 (space-separated, static and safe) that start with $1.
__shellsso_reply_words() {
    \builtin local word
    for word in $2; do
        [[ $word != "$1"* ]] || COMPREPLY+=("$word")
    done
}

# The word being completed, from COMP_LINE up to the cursor (COMP_WORDS is cut
# at COMP_WORDBREAKS, `:` `=` `@` among them), unquoted: quotes and backslashes
# removed, into _SHELLSSO_TYPED. Readline replaces only its own word, which
# starts after the last unquoted COMP_WORDBREAKS character or after a quote
# still open: _SHELLSSO_CUT is how much of the unquoted word lies before it,
# _SHELLSSO_QUOTE the open quote (or empty). Quote characters never break a
# word (bash counts them as quoted); blanks and <> start a new one, ;&|() a new
# command. The words of the command before it, unquoted too, go into
# _SHELLSSO_WORDS. Bytes (C locale): every character that matters is ASCII.
__shellsso_typed() {
    \builtin local LC_ALL=C line="${COMP_LINE:0:COMP_POINT}" c i=0 cut=0 word=''
    _SHELLSSO_TYPED='' _SHELLSSO_QUOTE='' _SHELLSSO_WORDS=()
    while ((i < ${#line})); do
        c=${line:i:1}
        i=$((i + 1))
        if [[ $_SHELLSSO_QUOTE == "'" ]]; then
            if [[ $c == "'" ]]; then _SHELLSSO_QUOTE=''; else _SHELLSSO_TYPED+=$c; fi
        elif [[ -n $_SHELLSSO_QUOTE ]]; then
            if [[ $c == '"' ]]; then
                _SHELLSSO_QUOTE=''
            elif [[ $c == "\\" && ${line:i:1} == [\\\"\$\`] ]]; then
                _SHELLSSO_TYPED+=${line:i:1}
                i=$((i + 1))
            else
                _SHELLSSO_TYPED+=$c
            fi
        elif [[ $c == "\\" ]]; then
            _SHELLSSO_TYPED+=${line:i:1}
            i=$((i + 1))
        elif [[ $c == [\"\'] ]]; then
            _SHELLSSO_QUOTE=$c word=1
            _SHELLSSO_CUT=${#_SHELLSSO_TYPED}
        elif [[ $c == [[:space:]\<\>] ]]; then
            [[ -z $word ]] || _SHELLSSO_WORDS+=("$_SHELLSSO_TYPED")
            _SHELLSSO_TYPED='' cut=0 word=''
            continue
        elif [[ $c == [\;\&\|\(\)] ]]; then
            _SHELLSSO_TYPED='' cut=0 word='' _SHELLSSO_WORDS=()
            continue
        else
            _SHELLSSO_TYPED+=$c
            [[ $COMP_WORDBREAKS != *"$c"* ]] || cut=${#_SHELLSSO_TYPED}
        fi
        word=1
    done
    [[ -n $_SHELLSSO_QUOTE ]] || _SHELLSSO_CUT=$cut
}

# Adds the profile names that start with the word typed (see __shellsso_typed),
# each without the part before readline's own word. The cache is sorted
# bytewise, and in the C locale [[ < ]] compares bytes too: a binary search
# finds the first match, a second one the end of the run of matches, and one
# slice copies them. A TAB costs the same at 10,000 profiles as at 10.
# Quoting is left to readline (-o filenames), which takes the common prefix of
# the names themselves and quotes it as it does for file names (`evil$(x)` and
# `evil y` give `evil`, not `evil\`), within an open quote too. A single match
# is quoted here instead, for the quote it is typed in: readline would add a
# `/` to a name that is also a folder here, and in double quotes it mangles a
# name holding `!` (which only a backslash outside the quotes can protect).
__shellsso_reply_profiles() {
    \builtin local LC_ALL=C lo hi mid first cut
    __shellsso_load_names || \builtin return 0
    __shellsso_typed
    # The names sit at indices 1..n (index 0, the key line, was removed).
    lo=1 hi=$((${#_SHELLSSO_NAMES[@]} + 1))
    if [[ -n $_SHELLSSO_TYPED ]]; then
        while ((lo < hi)); do
            mid=$(((lo + hi) / 2))
            if [[ ${_SHELLSSO_NAMES[mid]} < "$_SHELLSSO_TYPED" ]]; then lo=$((mid + 1)); else hi=$mid; fi
        done
        first=$lo hi=$((${#_SHELLSSO_NAMES[@]} + 1))
        while ((lo < hi)); do
            mid=$(((lo + hi) / 2))
            if [[ ${_SHELLSSO_NAMES[mid]} == "$_SHELLSSO_TYPED"* ]]; then lo=$((mid + 1)); else hi=$mid; fi
        done
    else
        first=$lo lo=$hi
    fi
    ((lo > first)) || \builtin return 0
    cut=${_SHELLSSO_TYPED:0:_SHELLSSO_CUT}
    if ((lo - first == 1)); then
        cut=${_SHELLSSO_NAMES[first]#"$cut"}
        # Readline then closes an open quote, unless the text already ends with
        # that character: then it is closed here.
        if [[ $_SHELLSSO_QUOTE == "'" ]]; then
            cut=${cut//"'"/"'\\''"}
            [[ $cut != *"'" ]] || cut+="'"
        elif [[ -n $_SHELLSSO_QUOTE ]]; then
            cut=${cut//\\/\\\\} cut=${cut//\"/\\\"} cut=${cut//\$/\\\$} cut=${cut//\`/\\\`}
            cut=${cut//!/\"\\!\"}
            [[ $cut != *\" ]] || cut+=\"
        else
            \builtin local LC_ALL=
            \builtin printf -v cut %q "$cut"
        fi
        COMPREPLY+=("$cut")
    else
        # (Quiet: a script may call this outside a completion, as the demo does.)
        \builtin compopt -o filenames 2>/dev/null
        COMPREPLY+=("${_SHELLSSO_NAMES[@]:first:lo-first}")
        [[ -z $cut ]] || COMPREPLY=("${COMPREPLY[@]#"$cut"}")
    fi
}

# awsuse takes one profile (or `-`), or --unset alone: once one of them is on
# the line, only the options that go with a profile are offered, or nothing.
# The words are the shell's (__shellsso_typed), not COMP_WORDS, which cuts
# acct:dev in three.
__shellsso_complete_awsuse() {
    \builtin local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD - 1]}"
    \builtin local i word given=''
    COMPREPLY=()
    __shellsso_typed
    for ((i = 1; i < ${#_SHELLSSO_WORDS[@]}; i++)); do
        word=${_SHELLSSO_WORDS[i]}
        if [[ $word == --unset ]]; then
            \builtin return 0
        elif [[ $word == - || ($word != -* && ${_SHELLSSO_WORDS[i - 1]} != --region) ]]; then
            given=1
        fi
    done
    if [[ $prev == --region ]]; then
        __shellsso_reply_words "$cur" "$_SHELLSSO_REGIONS"
    elif [[ -n $given ]]; then
        [[ $cur != -* ]] || __shellsso_reply_words "$cur" "--region --export"
    elif [[ $cur == -* ]]; then
        __shellsso_reply_words "$cur" "- --unset --export --region --interactive --help"
    else
        __shellsso_reply_profiles
    fi
}

# `shellsso` subcommands and options (see __shellsso_spec_words).
__shellsso_complete_shellsso() {
    \builtin local key=shellsso IFS=$' \t\n'
    COMPREPLY=()
    ((COMP_CWORD < 2)) || key=${COMP_WORDS[1]-}
    __shellsso_spec_words "$key" "${COMP_WORDS[COMP_CWORD - 1]}"
    if [[ $_SHELLSSO_SPEC == @profiles ]]; then
        __shellsso_reply_profiles
    else
        __shellsso_reply_words "${COMP_WORDS[COMP_CWORD]}" "$_SHELLSSO_SPEC"
    fi
}

\builtin complete -F __shellsso_complete_awsuse awsuse
\builtin complete -F __shellsso_complete_shellsso shellsso

# Hooks, added once. With bash-preexec loaded, its precmd_functions and
# preexec_functions (it owns PROMPT_COMMAND and the DEBUG trap). Otherwise our
# prompt function goes last in PROMPT_COMMAND (an array since bash 5.1, a
# string before), so that a theme that rebuilds PS1 runs before it; the DEBUG
# trap keeps any trap already set and runs it after ours (and one set later is
# put behind ours at the next prompt: __shellsso_debug_check).
if [[ -n ${bash_preexec_imported-}${__bp_imported-} ]]; then
    [[ " ${precmd_functions[*]-} " == *" __shellsso_prompt "* ]] || precmd_functions+=(__shellsso_prompt)
    [[ " ${preexec_functions[*]-} " == *" __shellsso_preexec "* ]] || preexec_functions+=(__shellsso_preexec)
else
    if [[ ${PROMPT_COMMAND@a} == *a* ]]; then
        [[ " ${PROMPT_COMMAND[*]} " == *" __shellsso_prompt "* ]] || PROMPT_COMMAND+=(__shellsso_prompt)
    elif [[ ${PROMPT_COMMAND-} != *__shellsso_prompt* ]]; then
        # shellcheck disable=SC2128,SC2178 # a string here, not an array
        PROMPT_COMMAND=${PROMPT_COMMAND:+$PROMPT_COMMAND$'\n'}__shellsso_prompt
    fi
    __shellsso_install_debug "$(\builtin trap -p DEBUG)"
fi
