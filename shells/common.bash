# shellsso for bash and zsh: the functions both hooks share, written once.
#
# `shellsso init bash` and `shellsso init zsh` print this file in place of the
# `#include common.bash` line of shells/shellsso.bash and shells/shellsso.zsh.
# It is bash that zsh runs too; a line `#zsh: CODE` becomes CODE in the zsh
# hook and is left out of the bash one, and `#bash: CODE` the other way round.
# zsh functions start with `emulate -L zsh`, so that the user's options
# (KSH_ARRAYS, SH_WORD_SPLIT...) cannot change them. The shell's name, which
# the back end needs, is a placeholder as in the hook files. The clock is
# _SHELLSSO_NOW in arithmetic: bash sets it (__shellsso_now), and in zsh it
# names EPOCHSECONDS, which arithmetic then reads at each use (no call at all).
# Each hook defines the rest: its clock, __shellsso_read_token, the prompt
# hook, completion, and the hooks themselves.
#
# The stamp: an empty file written just before the token file is read (by the
# awsuse back end, or by __shellsso_reread). The token file has changed since
# if it is not older than the stamp (a write in the same clock tick counts as a
# change), or is gone when a token was there: a stat or two, no process.
# _SHELLSSO_STAMP, exported, tells the back end where this shell wants it; the
# back end writes it only there, and names the folder in _SHELLSSO_STAMPS_OK
# once it has found it to be the user's alone. The hooks use the stamp
# $_SHELLSSO_STAMPS_OK/$$ only (no such folder: no stamp, the token file is
# read at each prompt) and never write through a symlink: another user able to
# write the folder could plant one to any of the user's files.

# Runs an entry point of shellsso.shell.awsuse: FUNCTION SHELL ARGS...
# -S skips site (most of Python's start-up; shellsso.shell.awsuse brings it back when it
# needs boto3), -E ignores PYTHON* variables (PYTHONDONTWRITEBYTECODE would make
# every call recompile shellsso), and sys.path[0], the current folder under -c,
# becomes the package folder: nothing in the current folder can be imported.
_SHELLSSO_ENTRY='import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;sys.exit(getattr(u,sys.argv.pop(1))(sys.argv[1:]))'
__shellsso_run() {
    \command "$_SHELLSSO_PYTHON" -E -S -c "$_SHELLSSO_ENTRY" "$_SHELLSSO_PKGDIR" "$@"
}

# The same as the one command of a $(...), whose output is the code to
# evaluate: Python takes the subshell's place (exec), where zsh would fork once
# more to run it from a function (0.4 ms of every awsuse).
__shellsso_capture() {
    \builtin exec "$_SHELLSSO_PYTHON" -E -S -c "$_SHELLSSO_ENTRY" "$_SHELLSSO_PKGDIR" "$@"
}

# Python parses, checks and quotes; the shell only evaluates what it printed,
# and only when it succeeded (an unknown profile leaves the shell untouched).
# The status is Python's, not that of the code's last command.
awsuse() {
    #zsh: \builtin emulate -L zsh
    \builtin local __shellsso_code
    __shellsso_code=$(__shellsso_capture main '::SHELL::' "$@") || \builtin return
    \builtin eval "$__shellsso_code"
    \builtin return 0
}

# Epoch seconds of a UTC date and time, $1..$6 = year month day hour minute
# second (as digits), into _SHELLSSO_EPOCH, by days-from-civil arithmetic
# (H. Hinnant), all in the shell. 10# because bash reads 08 as a bad octal number.
__shellsso_epoch() {
    #zsh: \builtin emulate -L zsh
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
# A missing or unreadable file is no session: expiry 0. (zsh sets BASH_REMATCH
# as bash does under its option bash_rematch, and ${a[@]:1:6} counts from 0.)
__shellsso_reread() {
    #zsh: \builtin emulate -L zsh -o bash_rematch
    \builtin local data re key
    \builtin local ts='[[:space:]]*:[[:space:]]*"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})'
    _SHELLSSO_EXPIRES=0 _SHELLSSO_REFRESH=''
    # A regular file only: a FIFO or a device in its place would hang the prompt.
    [[ -n ${_SHELLSSO_TOKEN-} && -f $_SHELLSSO_TOKEN && -r $_SHELLSSO_TOKEN ]] ||
        \builtin return 0
    __shellsso_read_token
    re="\"expiresAt\"$ts"
    [[ $data =~ $re ]] || \builtin return 0
    __shellsso_epoch "${BASH_REMATCH[@]:1:6}"
    _SHELLSSO_EXPIRES=$_SHELLSSO_EPOCH
    [[ -n ${_SHELLSSO_SSO_SESSION-} ]] || \builtin return 0
    for key in refreshToken clientId clientSecret; do
        re="\"$key\"[[:space:]]*:[[:space:]]*\"[^\"]"
        [[ $data =~ $re ]] || \builtin return 0
    done
    re="\"registrationExpiresAt\"$ts"
    [[ $data =~ $re ]] || \builtin return 0
    __shellsso_epoch "${BASH_REMATCH[@]:1:6}"
    _SHELLSSO_REFRESH=$_SHELLSSO_EPOCH
}

# True when the token file changed or went away since it was last read (see
# the stamp above). A stamp that could not be written, or no folder checked
# for it, means a read every time.
__shellsso_changed() {
    #zsh: \builtin emulate -L zsh
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
    #zsh: \builtin emulate -L zsh
    [[ -n ${_SHELLSSO_CREDS_EXPIRES-} && $_SHELLSSO_CREDS_EXPIRES != *[![:digit:]]* &&
        -n ${AWS_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID == "${_SHELLSSO_CREDS_KEY-}" &&
        ${AWS_PROFILE-} == "${_SHELLSSO_PROFILE-}" ]]
}

# Appends (LABELexpired) or (LABEL12m) for expiry $1 to _SHELLSSO_INFO and sets
# _SHELLSSO_LEVEL: expired, ending (under 15 minutes) or ok. Needs _SHELLSSO_NOW.
__shellsso_until() {
    #zsh: \builtin emulate -L zsh
    if ((_SHELLSSO_NOW >= $1)); then
        _SHELLSSO_INFO+="(${2}expired)" _SHELLSSO_LEVEL=expired
    else
        _SHELLSSO_INFO+="($2$((($1 - _SHELLSSO_NOW + 59) / 60))m)"
        ((_SHELLSSO_NOW < $1 - 900)) || _SHELLSSO_LEVEL=ending
    fi
}

# The state variables come from the environment, which a parent process may
# have set: they are only ever digits, and anything else is dropped here,
# before arithmetic could evaluate it (bash arithmetic runs the $(...) in a
# value such as a[$(cmd)], and zsh's expands it).
__shellsso_sane() {
    [[ ${_SHELLSSO_EXPIRES-} != *[![:digit:]]* ]] || _SHELLSSO_EXPIRES=
    [[ ${_SHELLSSO_REFRESH-} != *[![:digit:]]* ]] || _SHELLSSO_REFRESH=
    [[ ${_SHELLSSO_CREDS_EXPIRES-} != *[![:digit:]]* ]] || _SHELLSSO_CREDS_EXPIRES=
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
# ($ ` \ % ! and the like) is shown as '?', so the text is inert in PS1 and in
# zsh's PROMPT, with or without PROMPT_SUBST.
__shellsso_state() {
    #zsh: \builtin emulate -L zsh
    _SHELLSSO_INFO='' _SHELLSSO_LEVEL=ok
    __shellsso_sane
    [[ -n ${AWS_PROFILE-} ]] || { __shellsso_exec_state; \builtin return 0; }
    _SHELLSSO_INFO="aws:${AWS_PROFILE//[!-[:alnum:]._@:\/+=,]/?}"
    if [[ " ${_SHELLSSO_SET-} " == *" AWS_REGION "* && -n ${AWS_REGION-} ]]; then
        _SHELLSSO_INFO+="@${AWS_REGION//[!-[:alnum:]]/?}"
    fi
    if __shellsso_creds_mode; then
        #bash: __shellsso_now
        __shellsso_until "$_SHELLSSO_CREDS_EXPIRES" 'creds '
        \builtin return 0
    fi
    # The token state describes the profile awsuse set, not one exported by hand.
    [[ $AWS_PROFILE == "${_SHELLSSO_PROFILE-}" && -n ${_SHELLSSO_EXPIRES-} ]] || \builtin return 0
    ! __shellsso_changed || __shellsso_reread
    if ((_SHELLSSO_EXPIRES == 0)); then
        _SHELLSSO_INFO+='(no session)' _SHELLSSO_LEVEL=expired
        \builtin return 0
    fi
    #bash: __shellsso_now
    ((_SHELLSSO_NOW >= _SHELLSSO_EXPIRES - 900)) || \builtin return 0
    [[ -z $_SHELLSSO_REFRESH ]] || ((_SHELLSSO_NOW >= _SHELLSSO_REFRESH)) || \builtin return 0
    __shellsso_until "$_SHELLSSO_EXPIRES" ''
}

# In a shell started by `shellsso exec` (SHELLSSO_EXEC_PROFILE set, no AWS_PROFILE):
# aws:PROFILE while the credentials exec gave are still there, and (creds 42m)
# from the expiry exec put in the environment (none for long-term keys, nor
# for `exec --server`, whose endpoint refreshes them). exec names them in
# _SHELLSSO_EXEC_KEY: AWS_ACCESS_KEY_ID, or with --server the endpoint's
# AWS_CONTAINER_CREDENTIALS_FULL_URI (keys win when both are set, as they do in
# botocore); changed or unset by hand, the mode ends. The expiry must be digits.
__shellsso_exec_state() {
    #zsh: \builtin emulate -L zsh
    \builtin local key="${AWS_ACCESS_KEY_ID:-${AWS_CONTAINER_CREDENTIALS_FULL_URI-}}"
    [[ -n ${SHELLSSO_EXEC_PROFILE-} && -n $key && $key == "${_SHELLSSO_EXEC_KEY-}" &&
        ${_SHELLSSO_EXEC_EXPIRES-} != *[![:digit:]]* ]] || \builtin return 0
    _SHELLSSO_INFO="aws:${SHELLSSO_EXEC_PROFILE//[!-[:alnum:]._@:\/+=,]/?}"
    [[ -n ${_SHELLSSO_EXEC_EXPIRES-} ]] || \builtin return 0
    #bash: __shellsso_now
    __shellsso_until "$_SHELLSSO_EXEC_EXPIRES" 'creds '
}

# For themes that draw their own prompt (see THEMES.md). In $(...) it forks,
# as every command substitution does; the hook itself never calls it.
shellsso_prompt_info() {
    __shellsso_state
    [[ -z $_SHELLSSO_INFO ]] || \builtin printf '%s\n' "$_SHELLSSO_INFO"
}

# The command word of the command line $1, into the caller's `word`: leading
# NAME=value words are skipped, and so are the wrappers sudo, env, command,
# time, nice, exec and nohup (and zsh's noglob) with their options (-u USER,
# -n 5 and the like take the next word along); a path counts by its last part
# (/usr/bin/aws is aws). Words are split at blanks, quotes are not parsed: it
# only has to find `aws`. The first word that is not NAME=value, as typed (a
# wrapper, or the command's path), goes into the caller's `first`.
__shellsso_command_word() {
    #zsh: \builtin emulate -L zsh
    \builtin local line="$1" wrapper='' skip=''
    first=''
    while :; do
        line=${line#"${line%%[![:space:]]*}"}
        word=${line%%[[:space:]]*}
        line=${line#"$word"}
        if [[ -n $skip ]]; then
            skip=''
        elif [[ -n $wrapper && $word == -* ]]; then
            case $wrapper$word in
            sudo-[ugpCDhrtTU] | env-[uCS] | nice-n | exec-a) skip=1 ;;
            esac
        elif [[ $word != [[:alpha:]_]*=* || ${word%%=*} == *[![:alnum:]_]* ]]; then
            first=${first:-$word}
            word=${word##*/}
            case $word in
            sudo | env | command | time | nice | exec | nohup) wrapper=$word ;;
            #zsh: noglob) wrapper=$word ;;
            *) \builtin return 0 ;;
            esac
        fi
    done
}

# Before a command runs ($1: its text), when its command word is an AWS tool:
# with exported credentials that have under 5 minutes left, re-export fresh
# ones (whatever SHELLSSO_AUTO_LOGIN says: the SSO session may well be valid);
# otherwise, when the session has expired or has no token (the token file is
# read again first if it changed: a logout, a login or a refresh in another
# terminal), offer the login. Once per expiry either way: shellsso _preexec
# refreshes silently when it can, asks or warns otherwise, and prints the new
# state. Everything up to it is builtins.
__shellsso_preexec() {
    #zsh: \builtin emulate -L zsh
    __shellsso_sane
    [[ -n ${_SHELLSSO_EXPIRES-}${_SHELLSSO_CREDS_EXPIRES-} ]] || \builtin return 0
    [[ ${AWS_PROFILE-} == "${_SHELLSSO_PROFILE-}" ]] || \builtin return 0
    \builtin local word first code
    __shellsso_command_word "$1"
    [[ -n $word && " ${SHELLSSO_AWS_COMMANDS:-$_SHELLSSO_AWS_COMMANDS} " == *" $word "* ]] || \builtin return 0
    #bash: __shellsso_now
    if __shellsso_creds_mode; then
        ((_SHELLSSO_NOW >= _SHELLSSO_CREDS_EXPIRES - 300)) || \builtin return 0
        [[ ${_SHELLSSO_OFFERED-} != "creds:$_SHELLSSO_CREDS_EXPIRES" ]] || \builtin return 0
        _SHELLSSO_OFFERED="creds:$_SHELLSSO_CREDS_EXPIRES"
    else
        [[ -n ${_SHELLSSO_EXPIRES-} && ${SHELLSSO_AUTO_LOGIN-} != never ]] || \builtin return 0
        ! __shellsso_changed || __shellsso_reread
        ((_SHELLSSO_NOW >= _SHELLSSO_EXPIRES)) || \builtin return 0
        [[ ${_SHELLSSO_OFFERED-} != "$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES" ]] || \builtin return 0
        _SHELLSSO_OFFERED="$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES"
    fi
    # Ctrl-C at the question cancels the command line (status 130). bash does
    # so itself: the signal aborts the line. zsh would skip the line with
    # status 0, so TRAPINT keeps zsh going, and the line is cancelled as in
    # fish (__shellsso_cancel), whatever its form: `aws`, `command aws`,
    # `env aws`, `/usr/bin/aws`, `time aws`.
    #zsh: TRAPINT() { \builtin return 0; }
    code=$(__shellsso_capture preexec_main '::SHELL::')
    case $? in
    0) \builtin eval "$code" ;;
    #zsh: 130) __shellsso_cancel "$first" "$word" ;;
    esac
    \builtin return 0
}

# The words `shellsso` takes next, into _SHELLSSO_SPEC, from the static spec
# made by `shellsso init` (_SHELLSSO_CLI): a line "shellsso WORDS", one "CMD
# WORDS" per subcommand, "CMD/--OPT VALUES" for option values (@profiles:
# profile names). $1: the subcommand, or `shellsso` while it is typed; $2: the
# word before the one completed. Two expansions, no loop over the lines.
__shellsso_spec_words() {
    #zsh: \builtin emulate -L zsh
    \builtin local spec=$'\n'"$_SHELLSSO_CLI"$'\n' key="$1"
    [[ $2 != --* || $spec != *$'\n'"$1/$2 "* ]] || key=$1/$2
    _SHELLSSO_SPEC=${spec#*$'\n'"$key "}
    _SHELLSSO_SPEC=${_SHELLSSO_SPEC%%$'\n'*}
}
