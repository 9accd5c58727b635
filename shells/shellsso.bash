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

# Filled in by `shellsso init` (quoted): the interpreter, the folder holding the
# `shellsso` package, and static completion words.
_SHELLSSO_PYTHON='::PYTHON::'
_SHELLSSO_PKGDIR='::PKGDIR::'
_SHELLSSO_CLI='::CLI::'
_SHELLSSO_REGIONS='::REGIONS::'

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
_SHELLSSO_STAMP=${XDG_CACHE_HOME:-$HOME/.cache}/shellsso/stamps/$$
\builtin export _SHELLSSO_STAMP

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
    \builtin local __shellsso_code
    __shellsso_code=$(__shellsso_run main bash "$@") || \builtin return
    \builtin eval "$__shellsso_code"
    \builtin return 0
}

# The clock, without a process: EPOCHSECONDS (bash 5), else printf %()T (bash 4.2).
__shellsso_now() {
    _SHELLSSO_NOW=${EPOCHSECONDS-}
    [[ -n $_SHELLSSO_NOW ]] || \builtin printf -v _SHELLSSO_NOW '%(%s)T' -1
}

# Epoch seconds of a UTC date and time, $1..$6 = year month day hour minute
# second (as digits), into _SHELLSSO_EPOCH, by days-from-civil arithmetic
# (H. Hinnant), all in the shell. 10# because bash reads 08 as a bad octal number.
__shellsso_epoch() {
    \builtin local y m d era yoe doy doe
    ((y = 10#$1, m = 10#$2, d = 10#$3,
        y -= m <= 2, era = y / 400, yoe = y - era * 400,
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1,
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy,
        _SHELLSSO_EPOCH = (era * 146097 + doe - 719468) * 86400 + 10#$4 * 3600
            + 10#$5 * 60 + 10#$6))
}

# Re-reads the token file: another terminal may have logged in, or botocore
# refreshed the token and rewrote the file. The file is one JSON line (UTC
# timestamps, as the AWS CLI writes them). Sets _SHELLSSO_EXPIRES to expiresAt,
# and _SHELLSSO_REFRESH as `shellsso.shell.awsuse` does, by the rule of Token.can_refresh:
# an sso-session profile, refreshToken, clientId and clientSecret present, and
# then registrationExpiresAt (the prompt compares it with the clock), else
# empty. A missing or unreadable file is no session: expiry 0.
__shellsso_reread() {
    \builtin local data re key
    \builtin local ts='[[:space:]]*:[[:space:]]*"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})'
    _SHELLSSO_EXPIRES=0 _SHELLSSO_REFRESH=
    # A regular file only: a FIFO or a device in its place would hang the prompt.
    [[ -n ${_SHELLSSO_TOKEN-} && -f $_SHELLSSO_TOKEN && -r $_SHELLSSO_TOKEN ]] ||
        \builtin return 0
    # Only this shell's own state goes with its stamp: not that of a $(...)
    # subshell (a theme's shellsso_prompt_info), whose reading is lost.
    if [[ ${BASHPID-$$} == "$$" && -n ${_SHELLSSO_STAMPS_OK-} && ! -L $_SHELLSSO_STAMPS_OK/$$ ]]
    then
        : 2>/dev/null >|"$_SHELLSSO_STAMPS_OK/$$"
    fi
    IFS= \builtin read -r -d '' data <"$_SHELLSSO_TOKEN" || :
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
# _SHELLSSO_STAMP). A stamp that could not be written, or no folder checked
# for it, means a read every time.
__shellsso_changed() {
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
    [[ -n ${_SHELLSSO_CREDS_EXPIRES-} && $_SHELLSSO_CREDS_EXPIRES != *[![:digit:]]* &&
        -n ${AWS_ACCESS_KEY_ID-} && $AWS_ACCESS_KEY_ID == "${_SHELLSSO_CREDS_KEY-}" &&
        ${AWS_PROFILE-} == "${_SHELLSSO_PROFILE-}" ]]
}

# Appends (LABELexpired) or (LABEL12m) for expiry $1 to _SHELLSSO_INFO and sets
# _SHELLSSO_LEVEL: expired, ending (under 15 minutes) or ok. Needs _SHELLSSO_NOW.
__shellsso_until() {
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
# value such as a[$(cmd)]).
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
# ($ ` \ % ! and the like) is shown as '?', so the text is inert in PS1.
__shellsso_state() {
    _SHELLSSO_INFO='' _SHELLSSO_LEVEL=ok
    __shellsso_sane
    [[ -n ${AWS_PROFILE-} ]] || { __shellsso_exec_state; \builtin return 0; }
    _SHELLSSO_INFO="aws:${AWS_PROFILE//[!-[:alnum:]._@:\/+=,]/?}"
    if [[ " ${_SHELLSSO_SET-} " == *" AWS_REGION "* && -n ${AWS_REGION-} ]]; then
        _SHELLSSO_INFO+="@${AWS_REGION//[!-[:alnum:]]/?}"
    fi
    if __shellsso_creds_mode; then
        __shellsso_now
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
    __shellsso_now
    ((_SHELLSSO_NOW >= _SHELLSSO_EXPIRES - 900)) || \builtin return 0
    [[ -z $_SHELLSSO_REFRESH ]] || ((_SHELLSSO_NOW >= _SHELLSSO_REFRESH)) || \builtin return 0
    __shellsso_until "$_SHELLSSO_EXPIRES" ''
}

# In a shell started by `shellsso exec` (SHELLSSO_EXEC_PROFILE set, no AWS_PROFILE):
# aws:PROFILE while AWS_ACCESS_KEY_ID is still the key exec set, and (creds 42m)
# from the expiry exec put in the environment (none for long-term keys). The
# expiry must be digits.
__shellsso_exec_state() {
    [[ -n ${SHELLSSO_EXEC_PROFILE-} && -n ${AWS_ACCESS_KEY_ID-} &&
        $AWS_ACCESS_KEY_ID == "${_SHELLSSO_EXEC_KEY-}" &&
        ${_SHELLSSO_EXEC_EXPIRES-} != *[![:digit:]]* ]] || \builtin return 0
    _SHELLSSO_INFO="aws:${SHELLSSO_EXEC_PROFILE//[!-[:alnum:]._@:\/+=,]/?}"
    [[ -n ${_SHELLSSO_EXEC_EXPIRES-} ]] || \builtin return 0
    __shellsso_now
    __shellsso_until "$_SHELLSSO_EXEC_EXPIRES" 'creds '
}

# For themes that draw their own prompt (see THEMES.md). In $(...) it forks,
# as every command substitution does; the hook itself never calls it.
shellsso_prompt_info() {
    __shellsso_state
    [[ -z $_SHELLSSO_INFO ]] || \builtin printf '%s\n' "$_SHELLSSO_INFO"
}

# Runs before each prompt (last in PROMPT_COMMAND, or from bash-preexec's
# precmd_functions). Takes off the segment it added last time, if PS1 still
# starts with it (the user or a theme may have rebuilt PS1), and puts the new one
# in front: the user's PS1 is never otherwise touched. Keeps $? for PS1.
# _SHELLSSO_INFO is exported for prompts drawn by another process (starship).
__shellsso_prompt() {
    \builtin local __shellsso_rc=$? color=
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
    \builtin return "$__shellsso_rc"
}

# The command word of the command line $1, into the caller's `word`: leading
# NAME=value words are skipped, and so are the wrappers sudo, env, command,
# time, nice, exec and nohup with their options (-u USER, -n 5 and the like take
# the next word along); a path counts by its last part (/usr/bin/aws is aws).
# Words are split at blanks, quotes are not parsed: it only has to find `aws`.
__shellsso_command_word() {
    \builtin local line="$1" wrapper='' skip=''
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
            word=${word##*/}
            case $word in
            sudo | env | command | time | nice | exec | nohup) wrapper=$word ;;
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
    __shellsso_sane
    [[ -n ${_SHELLSSO_EXPIRES-}${_SHELLSSO_CREDS_EXPIRES-} ]] || \builtin return 0
    [[ ${AWS_PROFILE-} == "${_SHELLSSO_PROFILE-}" ]] || \builtin return 0
    \builtin local word code
    __shellsso_command_word "$1"
    [[ -n $word && " ${SHELLSSO_AWS_COMMANDS:-aws terraform tofu terragrunt cdk sam pulumi eksctl kubectl helm} " == *" $word "* ]] || \builtin return 0
    __shellsso_now
    if __shellsso_creds_mode; then
        ((_SHELLSSO_NOW >= _SHELLSSO_CREDS_EXPIRES - 300)) || \builtin return 0
        [[ ${_SHELLSSO_OFFERED-} != "creds:$_SHELLSSO_CREDS_EXPIRES" ]] || \builtin return 0
        _SHELLSSO_OFFERED=creds:$_SHELLSSO_CREDS_EXPIRES
    else
        [[ -n ${_SHELLSSO_EXPIRES-} && ${SHELLSSO_AUTO_LOGIN-} != never ]] || \builtin return 0
        ! __shellsso_changed || __shellsso_reread
        ((_SHELLSSO_NOW >= _SHELLSSO_EXPIRES)) || \builtin return 0
        [[ ${_SHELLSSO_OFFERED-} != "$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES" ]] || \builtin return 0
        _SHELLSSO_OFFERED=$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES
    fi
    code=$(__shellsso_run preexec_main bash) && \builtin eval "$code"
    \builtin return 0
}

# The DEBUG trap runs before every simple command, so the cheap test comes
# first. "$_" as our last argument leaves $_ as it was for the trap we chain to.
# With extdebug a non-zero status from the trap would skip the command, so the
# old $? is handed back only when another trap runs after us.
__shellsso_debug() {
    \builtin local __shellsso_rc=$?
    if [[ -n ${_SHELLSSO_EXPIRES-}${_SHELLSSO_CREDS_EXPIRES-} && -z ${COMP_LINE-} ]]; then
        __shellsso_preexec "$BASH_COMMAND"
    fi
    [[ -z ${_SHELLSSO_DEBUG_TRAP-} ]] || \builtin return "$__shellsso_rc"
    \builtin return 0
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
        __shellsso_run names_main bash "$key" || \builtin return 1
    fi
    \builtin mapfile -t _SHELLSSO_NAMES <"$file" || \builtin return 1
    if [[ ${_SHELLSSO_NAMES[0]-} != "$key" ]]; then
        __shellsso_run names_main bash "$key" || \builtin return 1
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

# `shellsso` subcommands and options from the static spec made by `shellsso init`:
# a line "shellsso WORDS", one "CMD WORDS" per subcommand, "CMD/--OPT VALUES"
# for option values (@profiles: profile names).
__shellsso_complete_shellsso() {
    \builtin local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD - 1]}"
    \builtin local cmd="${COMP_WORDS[1]-}" key line words='' IFS=$'\n'
    COMPREPLY=()
    key=$cmd
    ((COMP_CWORD > 1)) || key=shellsso
    [[ $prev != --* || $'\n'$_SHELLSSO_CLI != *$'\n'"$cmd/$prev "* ]] || key=$cmd/$prev
    for line in $_SHELLSSO_CLI; do
        [[ ${line%% *} != "$key" ]] || words=${line#* }
    done
    IFS=$' \t\n'
    if [[ $words == @profiles ]]; then
        __shellsso_reply_profiles
    else
        __shellsso_reply_words "$cur" "$words"
    fi
}

\builtin complete -F __shellsso_complete_awsuse awsuse
\builtin complete -F __shellsso_complete_shellsso shellsso

# Hooks, added once. With bash-preexec loaded, its precmd_functions and
# preexec_functions (it owns PROMPT_COMMAND and the DEBUG trap). Otherwise our
# prompt function goes last in PROMPT_COMMAND (an array since bash 5.1, a
# string before), so that a theme that rebuilds PS1 runs before it; the DEBUG
# trap keeps any trap already set and runs it after ours.
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
    # shellcheck disable=SC2317 # called through eval
    __shellsso_trap_body() { _SHELLSSO_DEBUG_TRAP=${3-}; }
    _SHELLSSO_DEBUG_TRAP=
    \builtin eval "__shellsso_trap_body $(\builtin trap -p DEBUG)"
    \builtin unset -f __shellsso_trap_body
    # shellcheck disable=SC2016 # $_ is expanded when the trap runs
    if [[ $_SHELLSSO_DEBUG_TRAP == '__shellsso_debug "$_"'* ]]; then
        _SHELLSSO_DEBUG_TRAP=${_SHELLSSO_DEBUG_TRAP#'__shellsso_debug "$_"'}
        _SHELLSSO_DEBUG_TRAP=${_SHELLSSO_DEBUG_TRAP#$'\n'}
    else
        \builtin trap -- '__shellsso_debug "$_"'"${_SHELLSSO_DEBUG_TRAP:+$'\n'$_SHELLSSO_DEBUG_TRAP}" DEBUG
    fi
fi
