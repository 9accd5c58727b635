# shellsso for fish (3.4 or newer, for `string match --groups-only`): awsuse,
# the prompt segment, a login offer before AWS commands, and TAB completion
# (shells/completions.fish, put in place of the #include line at the end).
#
# Printed by `shellsso init fish`; load it from ~/.config/fish/config.fish with
#     shellsso init fish | source
# Public: the functions `awsuse` and `shellsso_prompt_info`. Private: functions
# __shellsso_*, state _SHELLSSO_*; settings are SHELLSSO_* (see the README).
# Loading it twice is harmless: functions are redefined, hooks added once.
#
# Cost rules: fish has no clock builtin, so a prompt runs at most one small
# external command (`date +%s`), and only while awsuse has set an SSO profile;
# everything else is builtins (`read`, `string`, `math`, `path`). A TAB reads a
# names file with builtins; only awsuse and a login offer start Python.

# Filled in by `shellsso init` (quoted): the interpreter, the package's folder,
# static completion words, SHELLSSO_AWS_COMMANDS's default, the shell's name.
set -g _SHELLSSO_PYTHON '::PYTHON::'
set -g _SHELLSSO_PKGDIR '::PKGDIR::'
set -g _SHELLSSO_CLI '::CLI::'
set -g _SHELLSSO_REGIONS '::REGIONS::'
set -g _SHELLSSO_AWS_COMMANDS '::AWS_COMMANDS::'

# This shell's stamp, as for bash and zsh (shells/common.bash says why): an
# empty file written just before the token file is read, by the back end or by
# __shellsso_reread. The token file has changed since if it is not older than
# the stamp, or is gone when a token was there (builtin tests, no process).
# $_SHELLSSO_STAMPS_OK/$fish_pid only, once the back end has found that folder
# to be the user's alone, and never written through a symlink.
set -g _SHELLSSO_STAMPS $XDG_CACHE_HOME
test -n "$_SHELLSSO_STAMPS"; or set _SHELLSSO_STAMPS $HOME/.cache
set _SHELLSSO_STAMPS $_SHELLSSO_STAMPS/shellsso/stamps
set -gx _SHELLSSO_STAMP $_SHELLSSO_STAMPS/$fish_pid
# What a zsh that started this shell said about its completion (for the doctor).
set -e _SHELLSSO_ZSH_COMPSYS

# Runs an entry point of shellsso.shell.awsuse: FUNCTION SHELL ARGS...
# -S skips site (most of Python's start-up; shellsso.shell.awsuse brings it back when it
# needs boto3), -E ignores PYTHON* variables (PYTHONDONTWRITEBYTECODE would make
# every call recompile shellsso), and sys.path[0], the current folder under -c,
# becomes the package folder: nothing in the current folder can be imported.
function __shellsso_run
    command $_SHELLSSO_PYTHON -E -S -c 'import sys;sys.path[0]=sys.argv.pop(1);import shellsso.shell.awsuse as u;sys.exit(getattr(u,sys.argv.pop(1))(sys.argv[1:]))' $_SHELLSSO_PKGDIR $argv
end

# Python parses, checks and quotes; the shell only evaluates what it printed,
# and only when it succeeded (an unknown profile leaves the shell untouched).
# The status is Python's: the code's last command says nothing (`set -e` of a
# variable that is not there returns 4).
function awsuse --description 'Switch the AWS profile of this shell (shellsso)'
    set -l code (__shellsso_run main '::SHELL::' $argv)
    or return
    string join \n -- $code | source
    return 0
end

# Prints the epoch seconds of a UTC date and time, $argv = year month day hour
# minute second (as digits), by days-from-civil arithmetic (H. Hinnant) with
# `math`, a builtin (a function in (...) starts no process).
function __shellsso_epoch
    set -l t $argv
    set -l m (math $t[2])
    set -l y (math $t[1] - (test $m -le 2; and echo 1; or echo 0))
    set -l era (math "floor($y / 400)")
    set -l yoe (math $y - $era \* 400)
    set -l mp (test $m -gt 2; and math $m - 3; or math $m + 9)
    set -l doy (math "floor((153 * $mp + 2) / 5) + $t[3] - 1")
    set -l doe (math "$yoe * 365 + floor($yoe / 4) - floor($yoe / 100) + $doy")
    math "($era * 146097 + $doe - 719468) * 86400 + $t[4] * 3600 + $t[5] * 60 + $t[6]"
end

# Re-reads the token file (another terminal may have logged in, or botocore
# refreshed the token; UTC timestamps, as the AWS CLI writes them): sets
# _SHELLSSO_EXPIRES from expiresAt, and _SHELLSSO_REFRESH as the back end does
# (awsuse.token_times, Token.can_refresh): registrationExpiresAt for an
# sso-session profile whose token has refreshToken, clientId and clientSecret,
# else empty. A missing or unreadable file is no session: expiry 0.
function __shellsso_reread
    set -gx _SHELLSSO_EXPIRES 0
    set -gx _SHELLSSO_REFRESH ''
    # A regular file only: a FIFO or a device in its place would hang the prompt.
    test -n "$_SHELLSSO_TOKEN" -a -f "$_SHELLSSO_TOKEN" -a -r "$_SHELLSSO_TOKEN"; or return 0
    # fish reports a failed redirection whatever 2> says: test the folder first.
    set -l stamp $_SHELLSSO_STAMPS_OK/$fish_pid
    test -n "$_SHELLSSO_STAMPS_OK" -a -d "$_SHELLSSO_STAMPS_OK"; and not test -L $stamp
    and true >$stamp
    read -z -l data <$_SHELLSSO_TOKEN
    set -l ts '\s*:\s*"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)'
    set -l t (string match -rg '"expiresAt"'$ts -- $data)
    or return 0
    set -gx _SHELLSSO_EXPIRES (__shellsso_epoch $t)
    test -n "$_SHELLSSO_SSO_SESSION"; or return 0
    for key in refreshToken clientId clientSecret
        string match -qr '"'$key'"\s*:\s*"[^"]' -- $data; or return 0
    end
    set t (string match -rg '"registrationExpiresAt"'$ts -- $data)
    or return 0
    set -gx _SHELLSSO_REFRESH (__shellsso_epoch $t)
end

# True when the token file changed or went away since it was last read (see the
# stamp); no stamp written, or no folder checked for it, means a read every time.
function __shellsso_changed
    test -n "$_SHELLSSO_TOKEN"; or return 1
    if test -e "$_SHELLSSO_TOKEN"
        test -z "$_SHELLSSO_STAMPS_OK"; or not test "$_SHELLSSO_STAMPS_OK/$fish_pid" -nt "$_SHELLSSO_TOKEN"
    else
        test "$_SHELLSSO_EXPIRES" != 0
    end
end

# True while the credentials `awsuse --export` put in the environment are there:
# the profile is the one awsuse set, AWS_ACCESS_KEY_ID still the key it exported
# (else the mode ends), the expiry digits (\z: `$` lets a final newline through).
function __shellsso_creds_mode
    string match -qr '^[0-9]+\z' -- "$_SHELLSSO_CREDS_EXPIRES"
    and test -n "$AWS_ACCESS_KEY_ID" -a "$AWS_ACCESS_KEY_ID" = "$_SHELLSSO_CREDS_KEY"
    and test "$AWS_PROFILE" = "$_SHELLSSO_PROFILE"
end

# Appends (LABELexpired) or (LABEL12m) to _SHELLSSO_INFO for expiry $argv[1] at
# time $argv[2] (label $argv[3]) and sets _SHELLSSO_LEVEL: expired, ending
# (under 15 minutes) or ok.
function __shellsso_until
    set -l expires $argv[1]
    set -l now $argv[2]
    if test $now -ge $expires
        set _SHELLSSO_INFO "$_SHELLSSO_INFO($argv[3]expired)"
        set _SHELLSSO_LEVEL expired
    else
        set _SHELLSSO_INFO "$_SHELLSSO_INFO($argv[3]"(math "floor(($expires - $now + 59) / 60)")"m)"
        test $now -lt (math $expires - 900); or set _SHELLSSO_LEVEL ending
    end
end

# Sets _SHELLSSO_INFO to the prompt text: aws:PROFILE, @REGION when awsuse set
# one, then (expired) or (12m) when the SSO session has ended or is ending and
# cannot be refreshed silently (no refresh token, or the client registration
# has expired too), (no session) when there is no token at all (never logged
# in, or logged out in another terminal); _SHELLSSO_LEVEL to ok, ending or
# expired. The token file is read again only when it changed.
# With credentials exported by `awsuse --export`, always their expiry instead,
# (creds 42m) or (creds expired): keys in the environment never refresh.
# A profile name comes from a config file: control and other odd characters
# are shown as '?'.
function __shellsso_state
    set -g _SHELLSSO_LEVEL ok
    set -gx _SHELLSSO_INFO ''
    test -n "$AWS_PROFILE"; or begin
        __shellsso_exec_state
        return 0
    end
    set -gx _SHELLSSO_INFO aws:(string replace -ra '[^-\p{L}\p{N}._@:/+=,]' '?' -- "$AWS_PROFILE")
    if contains AWS_REGION (string split ' ' -- "$_SHELLSSO_SET"); and test -n "$AWS_REGION"
        set _SHELLSSO_INFO "$_SHELLSSO_INFO@"(string replace -ra '[^-a-z0-9]' '?' -- "$AWS_REGION")
    end
    if __shellsso_creds_mode
        __shellsso_until $_SHELLSSO_CREDS_EXPIRES (command date +%s) 'creds '
        return 0
    end
    # The token state describes the profile awsuse set, not one exported by hand.
    test "$AWS_PROFILE" = "$_SHELLSSO_PROFILE" -a -n "$_SHELLSSO_EXPIRES"; or return 0
    __shellsso_changed; and __shellsso_reread
    if test "$_SHELLSSO_EXPIRES" = 0
        set _SHELLSSO_INFO "$_SHELLSSO_INFO(no session)"
        set _SHELLSSO_LEVEL expired
        return 0
    end
    set -l now (command date +%s)
    test $now -ge (math $_SHELLSSO_EXPIRES - 900); or return 0
    test -z "$_SHELLSSO_REFRESH"; or test $now -ge $_SHELLSSO_REFRESH; or return 0
    __shellsso_until $_SHELLSSO_EXPIRES $now ''
end

# In a shell started by `shellsso exec` (SHELLSSO_EXEC_PROFILE set, no AWS_PROFILE):
# aws:PROFILE while the credentials exec gave are still there, and (creds 42m)
# from the expiry exec put in the environment (none for long-term keys, nor
# for `exec --server`, whose endpoint refreshes them). exec names them in
# _SHELLSSO_EXEC_KEY: AWS_ACCESS_KEY_ID, or with --server the endpoint's
# AWS_CONTAINER_CREDENTIALS_FULL_URI (keys win when both are set, as they do in
# botocore); changed or unset by hand, the mode ends. The expiry must be digits.
function __shellsso_exec_state
    set -l key $AWS_ACCESS_KEY_ID
    test -n "$key"; or set key $AWS_CONTAINER_CREDENTIALS_FULL_URI
    test -n "$SHELLSSO_EXEC_PROFILE" -a -n "$key"; or return 0
    test "$key" = "$_SHELLSSO_EXEC_KEY"; or return 0
    string match -qr '^[0-9]*\z' -- "$_SHELLSSO_EXEC_EXPIRES"; or return 0
    set -gx _SHELLSSO_INFO aws:(string replace -ra '[^-\p{L}\p{N}._@:/+=,]' '?' -- "$SHELLSSO_EXEC_PROFILE")
    test -n "$_SHELLSSO_EXEC_EXPIRES"; or return 0
    __shellsso_until $_SHELLSSO_EXEC_EXPIRES (command date +%s) 'creds '
end

# For themes that draw their own prompt (see THEMES.md).
function shellsso_prompt_info --description 'The shellsso prompt text (aws:PROFILE...)'
    __shellsso_state
    test -z "$_SHELLSSO_INFO"; or printf '%s\n' $_SHELLSSO_INFO
end

# The state is brought up to date on the fish_prompt event, which fires before
# any fish_prompt is drawn, ours or a theme's (starship, tide): _SHELLSSO_INFO
# is exported for prompts drawn by another process.
function __shellsso_on_prompt --on-event fish_prompt
    __shellsso_state
end

# Prints our segment (coloured unless NO_COLOR) in front of the user's prompt.
function __shellsso_segment
    test -n "$_SHELLSSO_INFO" -a "$SHELLSSO_PROMPT" != off; or return 0
    set -l pattern $SHELLSSO_PROD_PATTERN
    test -n "$pattern"; or set pattern '*prod*'
    set -l color
    if test -z "$NO_COLOR"
        set -l shown $AWS_PROFILE
        test -n "$shown"; or set shown $SHELLSSO_EXEC_PROFILE
        if string match -q -- $pattern "$shown"
            set color red
        else if test $_SHELLSSO_LEVEL != ok
            set color yellow
        end
    end
    test -z "$color"; or set_color $color
    printf '%s' $_SHELLSSO_INFO
    test -z "$color"; or set_color normal
    printf ' '
end

function __shellsso_status
    return $argv[1]
end

# The user's fish_prompt is kept as __shellsso_orig_prompt and called after our
# segment, with $status as it was. Copied once: loading the hook again must not
# copy our wrapper over the original. A theme that defines fish_prompt after
# this hook replaces the wrapper (use shellsso_prompt_info there, THEMES.md).
if not functions -q __shellsso_orig_prompt
    if functions -q fish_prompt
        functions -c fish_prompt __shellsso_orig_prompt
    else
        function __shellsso_orig_prompt
        end
    end
end
function fish_prompt
    set -l rc $status
    __shellsso_segment
    __shellsso_status $rc
    __shellsso_orig_prompt
end

# The command word of the command line $argv[1], printed: leading NAME=value
# words are skipped, and so are the wrappers sudo, env, command, time, nice,
# exec and nohup with their options (-u USER, -n 5 and the like take the next
# word along); a path counts by its last part (/usr/bin/aws is aws). Words are
# split at blanks, quotes are not parsed: it only has to find `aws`. A second
# line: the first word that is not NAME=value, as typed (a wrapper, a path).
function __shellsso_command_word
    set -l wrapper
    set -l skip
    set -l first
    for word in (string match -ar -- '\S+' $argv[1])
        if test -n "$skip"
            set skip
        else if test -n "$wrapper"; and string match -q -- '-*' $word
            string match -qr -- '^(sudo-[ugpCDhrtTU]|env-[uCS]|nice-n|exec-a)$' $wrapper$word
            and set skip 1
        else if not string match -qr -- '^[[:alpha:]_]\w*=' $word
            test -n "$first"; or set first $word
            set word (string replace -r -- '.*/' '' $word)
            if not contains -- $word sudo env command time nice exec nohup
                printf '%s\n' $word $first
                return
            end
            set wrapper $word
        end
    end
end

# Before a command runs ($argv[1]: its text), when its command word is an AWS
# tool: with exported credentials that have under 5 minutes left, re-export
# fresh ones (whatever SHELLSSO_AUTO_LOGIN says: the SSO session may well be
# valid); otherwise, when the session has expired or has no token (the token
# file is read again first if it changed: a logout, a login or a refresh in
# another terminal), offer the login. Once per expiry either way: shellsso
# _preexec refreshes silently when it can, asks or warns otherwise, and prints
# the new state.
function __shellsso_preexec --on-event fish_preexec
    test -n "$_SHELLSSO_EXPIRES$_SHELLSSO_CREDS_EXPIRES"; or return 0
    test "$AWS_PROFILE" = "$_SHELLSSO_PROFILE"; or return 0
    set -l commands $SHELLSSO_AWS_COMMANDS
    test -n "$commands"; or set commands $_SHELLSSO_AWS_COMMANDS
    set -l words (__shellsso_command_word $argv[1])
    set -l word $words[1]
    test -n "$word"; and contains -- $word (string split -n ' ' -- "$commands"); or return 0
    set -l now (command date +%s)
    if __shellsso_creds_mode
        test $now -ge (math $_SHELLSSO_CREDS_EXPIRES - 300); or return 0
        test "$_SHELLSSO_OFFERED" != "creds:$_SHELLSSO_CREDS_EXPIRES"; or return 0
        set -g _SHELLSSO_OFFERED "creds:$_SHELLSSO_CREDS_EXPIRES"
    else
        test -n "$_SHELLSSO_EXPIRES" -a "$SHELLSSO_AUTO_LOGIN" != never; or return 0
        __shellsso_changed; and __shellsso_reread
        test $now -ge $_SHELLSSO_EXPIRES; or return 0
        test "$_SHELLSSO_OFFERED" != "$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES"; or return 0
        set -g _SHELLSSO_OFFERED "$_SHELLSSO_TOKEN:$_SHELLSSO_EXPIRES"
    end
    # A Ctrl-C at the question ends this function where it is: the stand-ins
    # go in first, and out again unless the answer was Ctrl-C.
    __shellsso_cancel $words
    set -l code (__shellsso_run preexec_main '::SHELL::')
    set -l rc $status
    test $rc = 130; or __shellsso_uncancel
    test $rc = 0; and string join \n -- $code | source
    return 0
end

# Ctrl-C at the login offer before a command line, whose command word and
# first word are $argv, cancels the line (status 130), as in bash and zsh.
# fish_preexec cannot stop the command: until it has run, functions of those
# names stand in for them; the first one the line runs puts back the user's
# own functions of those names, if any, and sends fish SIGINT, which ends the
# line there, as Ctrl-C does. (fish takes no function named as a keyword,
# `command` `exec` `time`, or with a `/`: `time aws` meets the stand-in for
# aws, `command aws`, `exec aws` and `/usr/bin/aws` none.)
function __shellsso_cancel
    set -g _SHELLSSO_CANCELLED
    for name in $argv
        contains -- $name $_SHELLSSO_CANCELLED command exec time; and continue
        string match -q -- '*/*' $name; and continue
        set -a _SHELLSSO_CANCELLED $name
        functions -e __shellsso_cancelled_$name
        functions -q -- $name; and functions -c -- $name __shellsso_cancelled_$name
        function $name
            __shellsso_uncancel
            command kill -INT $fish_pid
            return 130
        end
    end
end

function __shellsso_uncancel --on-event fish_postexec
    set -q _SHELLSSO_CANCELLED; or return 0
    for name in $_SHELLSSO_CANCELLED
        functions -e -- $name
        if functions -q __shellsso_cancelled_$name
            functions -c __shellsso_cancelled_$name $name
            functions -e __shellsso_cancelled_$name
        end
    end
    set -e _SHELLSSO_CANCELLED
end

#include completions.fish
