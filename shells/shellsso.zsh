# shellsso for zsh (5.0 or newer): awsuse, the prompt segment, a login offer
# before AWS commands, and TAB completion.
#
# Printed by `shellsso init zsh`; load it from ~/.zshrc (after compinit, so that
# completion can register) with
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

# Filled in by `shellsso init` (quoted): the interpreter, the folder holding the
# `shellsso` package, and static completion words.
typeset -g _SHELLSSO_PYTHON='::PYTHON::'
typeset -g _SHELLSSO_PKGDIR='::PKGDIR::'
typeset -g _SHELLSSO_CLI='::CLI::'
typeset -g _SHELLSSO_REGIONS='::REGIONS::'

# This shell's stamp: an empty file written just before the token file is read
# (by the awsuse back end, or by __shellsso_reread). The token file has changed
# since if it is not older than the stamp (a write in the same clock tick counts
# as a change), or is gone when a token was there: a stat or two, no process.
# _SHELLSSO_STAMP, exported, tells the back end where this shell wants it; the
# back end writes it only there, and names the folder in _SHELLSSO_STAMPS_OK
# once it has found it to be the user's alone. The hooks use the stamp
# $_SHELLSSO_STAMPS_OK/$$ only (no such folder: no stamp, the token file is
# read at each prompt) and never write through a symlink: another user able to
# write the folder could plant one to any of the user's files.
typeset -gx _SHELLSSO_STAMP=${XDG_CACHE_HOME:-$HOME/.cache}/shellsso/stamps/$$

\builtin zmodload -F zsh/datetime p:EPOCHSECONDS
# $mapfile[FILE] reads a file in one go; zsh's `read -d ''` goes byte by byte.
\builtin zmodload -F zsh/mapfile p:mapfile

# Runs an entry point of shellsso.shell.awsuse: FUNCTION SHELL ARGS...
# -S skips site (most of Python's start-up; shellsso.shell.awsuse brings it back when it
# needs boto3), -E ignores PYTHON* variables (PYTHONDONTWRITEBYTECODE would make
# every call recompile shellsso), and sys.path[0], the current folder under -c,
# becomes the package folder: nothing in the current folder can be imported.
__shellsso_run() {
    \command "$_SHELLSSO_PYTHON" -E -S -c 'import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;sys.exit(getattr(u,sys.argv.pop(1))(sys.argv[1:]))' "$_SHELLSSO_PKGDIR" "$@"
}

# Python parses, checks and quotes; the shell only evaluates what it printed,
# and only when it succeeded (an unknown profile leaves the shell untouched).
# The status is Python's, not that of the code's last command.
awsuse() {
    \builtin emulate -L zsh
    \builtin local __shellsso_code
    __shellsso_code=$(__shellsso_run main zsh "$@") || \builtin return
    \builtin eval "$__shellsso_code"
    \builtin return 0
}

# Epoch seconds of a UTC date and time, $1..$6 = year month day hour minute
# second (as digits), into _SHELLSSO_EPOCH, by days-from-civil arithmetic
# (H. Hinnant), all in the shell.
__shellsso_epoch() {
    \builtin emulate -L zsh
    \builtin local y m d era yoe doy doe
    ((y = 10#$1, m = 10#$2, d = 10#$3,
        y -= m <= 2, era = y / 400, yoe = y - era * 400,
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1,
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy,
        _SHELLSSO_EPOCH = (era * 146097 + doe - 719468) * 86400 + 10#$4 * 3600
            + 10#$5 * 60 + 10#$6))
}

# Re-reads the token file: another terminal may have logged in, or botocore
# refreshed the token and rewrote the file (UTC timestamps, as the AWS CLI
# writes them). Sets _SHELLSSO_EXPIRES to expiresAt, and _SHELLSSO_REFRESH as
# `shellsso.shell.awsuse` does, by the rule of Token.can_refresh: an sso-session
# profile, refreshToken, clientId and clientSecret present, and then
# registrationExpiresAt (the prompt compares it with the clock), else empty.
# A missing or unreadable file is no session: expiry 0.
__shellsso_reread() {
    \builtin emulate -L zsh
    \builtin local data re key
    \builtin local ts='[[:space:]]*:[[:space:]]*"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})'
    _SHELLSSO_EXPIRES=0 _SHELLSSO_REFRESH=''
    # A regular file only: a FIFO or a device in its place would hang the prompt.
    [[ -n ${_SHELLSSO_TOKEN-} && -f $_SHELLSSO_TOKEN && -r $_SHELLSSO_TOKEN ]] ||
        \builtin return 0
    # Only this shell's own state goes with its stamp: not that of a $(...)
    # subshell (a theme's shellsso_prompt_info), whose reading is lost.
    (( ZSH_SUBSHELL )) || [[ -z ${_SHELLSSO_STAMPS_OK-} || -L $_SHELLSSO_STAMPS_OK/$$ ]] ||
        : 2>/dev/null >|$_SHELLSSO_STAMPS_OK/$$
    data=$mapfile[$_SHELLSSO_TOKEN]
    re="\"expiresAt\"$ts"
    [[ $data =~ $re ]] || \builtin return 0
    __shellsso_epoch $match[1,6]
    _SHELLSSO_EXPIRES=$_SHELLSSO_EPOCH
    [[ -n ${_SHELLSSO_SSO_SESSION-} ]] || \builtin return 0
    for key in refreshToken clientId clientSecret; do
        re="\"$key\"[[:space:]]*:[[:space:]]*\"[^\"]"
        [[ $data =~ $re ]] || \builtin return 0
    done
    re="\"registrationExpiresAt\"$ts"
    [[ $data =~ $re ]] || \builtin return 0
    __shellsso_epoch $match[1,6]
    _SHELLSSO_REFRESH=$_SHELLSSO_EPOCH
}

# True when the token file changed or went away since it was last read (see
# _SHELLSSO_STAMP). A stamp that could not be written, or no folder checked
# for it, means a read every time.
__shellsso_changed() {
    \builtin emulate -L zsh
    [[ -n ${_SHELLSSO_TOKEN-} ]] || \builtin return 1
    if [[ -e $_SHELLSSO_TOKEN ]]; then
        [[ ! ${_SHELLSSO_STAMPS_OK:+$_SHELLSSO_STAMPS_OK/$$} -nt $_SHELLSSO_TOKEN ]]
    else
        [[ ${_SHELLSSO_EXPIRES-} != 0 ]]
    fi
}

# True while the credentials `awsuse --export` put in the environment are there:
# the profile is the one awsuse set and AWS_ACCESS_KEY_ID is still the key it
# exported (changed or unset by hand, the mode ends). The expiry must be digits:
# it comes from the environment and goes into arithmetic.
__shellsso_creds_mode() {
    \builtin emulate -L zsh
    [[ -n ${_SHELLSSO_CREDS_EXPIRES-} && $_SHELLSSO_CREDS_EXPIRES != *[^[:digit:]]* &&
        -n ${AWS_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID == "${_SHELLSSO_CREDS_KEY-}" &&
        ${AWS_PROFILE-} == "${_SHELLSSO_PROFILE-}" ]]
}

# Appends (LABELexpired) or (LABEL12m) for expiry $1 to _SHELLSSO_INFO and sets
# _SHELLSSO_LEVEL: expired, ending (under 15 minutes) or ok.
__shellsso_until() {
    \builtin emulate -L zsh
    if ((EPOCHSECONDS >= $1)); then
        _SHELLSSO_INFO+="(${2}expired)" _SHELLSSO_LEVEL=expired
    else
        _SHELLSSO_INFO+="($2$((($1 - EPOCHSECONDS + 59) / 60))m)"
        ((EPOCHSECONDS < $1 - 900)) || _SHELLSSO_LEVEL=ending
    fi
}

# The state variables come from the environment, which a parent process may
# have set: they are only ever digits, and anything else is dropped here,
# before arithmetic could evaluate it (zsh arithmetic expands a value such as
# a[$(cmd)]).
__shellsso_sane() {
    [[ ${_SHELLSSO_EXPIRES-} != *[^0-9]* ]] || _SHELLSSO_EXPIRES=
    [[ ${_SHELLSSO_REFRESH-} != *[^0-9]* ]] || _SHELLSSO_REFRESH=
    [[ ${_SHELLSSO_CREDS_EXPIRES-} != *[^0-9]* ]] || _SHELLSSO_CREDS_EXPIRES=
}

# Sets _SHELLSSO_INFO to the prompt text: aws:PROFILE, @REGION when awsuse set
# one, then (expired) or (12m) when the SSO session has ended or is ending and
# cannot be refreshed silently (no refresh token, or the client registration
# has expired too), (no session) when there is no token at all (never logged
# in, or logged out in another terminal); _SHELLSSO_LEVEL to ok, ending or
# expired. The token file is read again only when it changed.
# With credentials exported by `awsuse --export`, always their expiry instead,
# (creds 42m) or (creds expired): keys in the environment never refresh.
# A profile name comes from a config file: anything a prompt could expand
# ($ ` \ % ! and the like) is shown as '?', so the text is inert in PROMPT,
# with or without PROMPT_SUBST.
__shellsso_state() {
    \builtin emulate -L zsh
    typeset -g _SHELLSSO_INFO='' _SHELLSSO_LEVEL=ok
    __shellsso_sane
    [[ -n ${AWS_PROFILE-} ]] || { __shellsso_exec_state; \builtin return 0; }
    _SHELLSSO_INFO="aws:${AWS_PROFILE//[^-[:alnum:]._@:\/+=,]/?}"
    if [[ " ${_SHELLSSO_SET-} " == *" AWS_REGION "* && -n ${AWS_REGION-} ]]; then
        _SHELLSSO_INFO+="@${AWS_REGION//[^-[:alnum:]]/?}"
    fi
    if __shellsso_creds_mode; then
        __shellsso_until $_SHELLSSO_CREDS_EXPIRES 'creds '
        \builtin return 0
    fi
    # The token state describes the profile awsuse set, not one exported by hand.
    [[ $AWS_PROFILE == "${_SHELLSSO_PROFILE-}" && -n ${_SHELLSSO_EXPIRES-} ]] || \builtin return 0
    ! __shellsso_changed || __shellsso_reread
    if ((_SHELLSSO_EXPIRES == 0)); then
        _SHELLSSO_INFO+='(no session)' _SHELLSSO_LEVEL=expired
        \builtin return 0
    fi
    ((EPOCHSECONDS >= _SHELLSSO_EXPIRES - 900)) || \builtin return 0
    [[ -z $_SHELLSSO_REFRESH ]] || ((EPOCHSECONDS >= _SHELLSSO_REFRESH)) || \builtin return 0
    __shellsso_until $_SHELLSSO_EXPIRES ''
}

# In a shell started by `shellsso exec` (SHELLSSO_EXEC_PROFILE set, no AWS_PROFILE):
# aws:PROFILE while AWS_ACCESS_KEY_ID is still the key exec set, and (creds 42m)
# from the expiry exec put in the environment (none for long-term keys). The
# expiry must be digits.
__shellsso_exec_state() {
    \builtin emulate -L zsh
    [[ -n ${SHELLSSO_EXEC_PROFILE-} && -n ${AWS_ACCESS_KEY_ID-} &&
        $AWS_ACCESS_KEY_ID == "${_SHELLSSO_EXEC_KEY-}" &&
        ${_SHELLSSO_EXEC_EXPIRES-} != *[^0-9]* ]] || \builtin return 0
    _SHELLSSO_INFO="aws:${SHELLSSO_EXEC_PROFILE//[^-[:alnum:]._@:\/+=,]/?}"
    [[ -n ${_SHELLSSO_EXEC_EXPIRES-} ]] || \builtin return 0
    __shellsso_until $_SHELLSSO_EXEC_EXPIRES 'creds '
}

# For themes that draw their own prompt (see THEMES.md). In $(...) it forks,
# as every command substitution does; the hook itself never calls it.
shellsso_prompt_info() {
    __shellsso_state
    [[ -z $_SHELLSSO_INFO ]] || \builtin print -r -- "$_SHELLSSO_INFO"
}

# A precmd function. Takes off the segment it added last time, if PROMPT still
# starts with it (the user or a theme may have rebuilt PROMPT), and puts the new
# one in front: the rest of PROMPT is never touched. Keeps $?.
# _SHELLSSO_INFO is exported for prompts drawn by another process (starship).
__shellsso_prompt() {
    \builtin local __shellsso_rc=$?
    \builtin emulate -L zsh
    \builtin local color=''
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

# The command word of the command line $1, into the caller's `word`: leading
# NAME=value words are skipped, and so are the wrappers sudo, env, command,
# time, nice, exec, nohup and noglob with their options (-u USER, -n 5 and the
# like take the next word along); a path counts by its last part (/usr/bin/aws
# is aws). Words are split at blanks, quotes are not parsed: it only has to
# find `aws`.
__shellsso_command_word() {
    \builtin emulate -L zsh
    \builtin local line=$1 wrapper= skip=
    while :; do
        line=${line#"${line%%[![:space:]]*}"}
        word=${line%%[[:space:]]*}
        line=${line#"$word"}
        if [[ -n $skip ]]; then
            skip=
        elif [[ -n $wrapper && $word == -* ]]; then
            case $wrapper$word in
            (sudo-[ugpCDhrtTU] | env-[uCS] | nice-n | exec-a) skip=1 ;;
            esac
        elif [[ $word != [[:alpha:]_]*=* || ${word%%=*} == *[^[:alnum:]_]* ]]; then
            word=${word##*/}
            case $word in
            (sudo | env | command | time | nice | exec | nohup | noglob) wrapper=$word ;;
            (*) \builtin return 0 ;;
            esac
        fi
    done
}

# A preexec function ($1: the command line), when its command word is an AWS
# tool: with exported credentials that have under 5 minutes left, re-export
# fresh ones (whatever SHELLSSO_AUTO_LOGIN says: the SSO session may well be
# valid); otherwise, when the session has expired or has no token (the token
# file is read again first if it changed: a logout, a login or a refresh in
# another terminal), offer the login. Once per expiry either way: shellsso
# _preexec refreshes silently when it can, asks or warns otherwise, and prints
# the new state. Everything up to it is builtins.
__shellsso_preexec() {
    \builtin emulate -L zsh
    __shellsso_sane
    [[ -n ${_SHELLSSO_EXPIRES-}${_SHELLSSO_CREDS_EXPIRES-} ]] || \builtin return 0
    [[ ${AWS_PROFILE-} == "${_SHELLSSO_PROFILE-}" ]] || \builtin return 0
    \builtin local word code
    __shellsso_command_word "$1"
    [[ -n $word && " ${SHELLSSO_AWS_COMMANDS:-aws terraform tofu terragrunt cdk sam pulumi eksctl kubectl helm} " == *" $word "* ]] || \builtin return 0
    if __shellsso_creds_mode; then
        ((EPOCHSECONDS >= _SHELLSSO_CREDS_EXPIRES - 300)) || \builtin return 0
        [[ ${_SHELLSSO_OFFERED-} != "creds:$_SHELLSSO_CREDS_EXPIRES" ]] || \builtin return 0
        typeset -g _SHELLSSO_OFFERED="creds:$_SHELLSSO_CREDS_EXPIRES"
    else
        [[ -n ${_SHELLSSO_EXPIRES-} && ${SHELLSSO_AUTO_LOGIN-} != never ]] || \builtin return 0
        ! __shellsso_changed || __shellsso_reread
        ((EPOCHSECONDS >= _SHELLSSO_EXPIRES)) || \builtin return 0
        [[ ${_SHELLSSO_OFFERED-} != "$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES" ]] || \builtin return 0
        typeset -g _SHELLSSO_OFFERED="$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES"
    fi
    code=$(__shellsso_run preexec_main zsh) && \builtin eval "$code"
    \builtin return 0
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
        __shellsso_run names_main zsh "$key" || \builtin return 1
    fi
    data=$mapfile[$file]
    if [[ ${data%%$'\n'*} != "$key" ]]; then
        __shellsso_run names_main zsh "$key" || \builtin return 1
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

# `shellsso` subcommands and options from the static spec made by `shellsso init`:
# a line "shellsso WORDS", one "CMD WORDS" per subcommand, "CMD/--OPT VALUES"
# for option values (@profiles: profile names).
__shellsso_complete_shellsso() {
    \builtin emulate -L zsh
    \builtin local cmd=${words[2]-} prev=${words[CURRENT-1]} key line
    \builtin local -a found
    key=$cmd
    ((CURRENT > 2)) || key=shellsso
    [[ $prev != --* || $'\n'$_SHELLSSO_CLI != *$'\n'"$cmd/$prev "* ]] || key=$cmd/$prev
    for line in "${(@f)_SHELLSSO_CLI}"; do
        [[ ${line%% *} != "$key" ]] || found=(${=line#* })
    done
    if [[ $found == @profiles ]]; then
        __shellsso_add_profiles
    else
        compadd -a found
    fi
}

# compdef exists once compinit has run (load this after compinit).
if (( $+functions[compdef] )); then
    compdef __shellsso_complete_awsuse awsuse
    compdef __shellsso_complete_shellsso shellsso
fi

# Hooks, added once, last, so that a theme's precmd that rebuilds PROMPT runs first.
typeset -ga precmd_functions preexec_functions
(( ${precmd_functions[(Ie)__shellsso_prompt]} )) || precmd_functions+=(__shellsso_prompt)
(( ${preexec_functions[(Ie)__shellsso_preexec]} )) || preexec_functions+=(__shellsso_preexec)
