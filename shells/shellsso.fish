# shellsso for fish (3.4 or newer): awsuse, the prompt segment, a login offer
# before AWS commands, and TAB completion.
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
# fish 3.4 is the floor: `string match --groups-only`.

# Filled in by `shellsso init` (quoted): the interpreter, the folder holding the
# `shellsso` package, and static completion words.
set -g _SHELLSSO_PYTHON '::PYTHON::'
set -g _SHELLSSO_PKGDIR '::PKGDIR::'
set -g _SHELLSSO_CLI '::CLI::'
set -g _SHELLSSO_REGIONS '::REGIONS::'

# This shell's stamp: an empty file written just before the token file is read
# (by the awsuse back end, or by __shellsso_reread). The token file has changed
# since if it is not older than the stamp (a write in the same clock tick counts
# as a change), or is gone when a token was there: builtin tests, no process.
# _SHELLSSO_STAMP, exported, tells the back end where this shell wants it; the
# back end writes it only there, and names the folder in _SHELLSSO_STAMPS_OK
# once it has found it to be the user's alone. The hooks use the stamp
# $_SHELLSSO_STAMPS_OK/$fish_pid only (no such folder: no stamp, the token file is
# read at each prompt) and never write through a symlink: another user able to
# write the folder could plant one to any of the user's files.
set -g _SHELLSSO_STAMPS $XDG_CACHE_HOME
test -n "$_SHELLSSO_STAMPS"; or set _SHELLSSO_STAMPS $HOME/.cache
set _SHELLSSO_STAMPS $_SHELLSSO_STAMPS/shellsso/stamps
set -gx _SHELLSSO_STAMP $_SHELLSSO_STAMPS/$fish_pid

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
    set -l code (__shellsso_run main fish $argv)
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

# Re-reads the token file: another terminal may have logged in, or botocore
# refreshed the token and rewrote the file (UTC timestamps, as the AWS CLI
# writes them). Sets _SHELLSSO_EXPIRES to expiresAt, and _SHELLSSO_REFRESH as
# `shellsso.shell.awsuse` does, by the rule of Token.can_refresh: an sso-session
# profile, refreshToken, clientId and clientSecret present, and then
# registrationExpiresAt (the prompt compares it with the clock), else empty.
# A missing or unreadable file is no session: expiry 0.
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

# True when the token file changed or went away since it was last read (see
# _SHELLSSO_STAMP). A stamp that could not be written, or no folder checked
# for it, means a read every time.
function __shellsso_changed
    test -n "$_SHELLSSO_TOKEN"; or return 1
    if test -e "$_SHELLSSO_TOKEN"
        test -z "$_SHELLSSO_STAMPS_OK"; or not test "$_SHELLSSO_STAMPS_OK/$fish_pid" -nt "$_SHELLSSO_TOKEN"
    else
        test "$_SHELLSSO_EXPIRES" != 0
    end
end

# True while the credentials `awsuse --export` put in the environment are there:
# the profile is the one awsuse set and AWS_ACCESS_KEY_ID is still the key it
# exported (changed or unset by hand, the mode ends). The expiry must be digits.
function __shellsso_creds_mode
    string match -qr '^[0-9]+$' -- "$_SHELLSSO_CREDS_EXPIRES"
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
# aws:PROFILE while AWS_ACCESS_KEY_ID is still the key exec set, and (creds 42m)
# from the expiry exec put in the environment (none for long-term keys). The
# expiry must be digits.
function __shellsso_exec_state
    test -n "$SHELLSSO_EXEC_PROFILE" -a -n "$AWS_ACCESS_KEY_ID"; or return 0
    test "$AWS_ACCESS_KEY_ID" = "$_SHELLSSO_EXEC_KEY"; or return 0
    string match -qr '^[0-9]*$' -- "$_SHELLSSO_EXEC_EXPIRES"; or return 0
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
# split at blanks, quotes are not parsed: it only has to find `aws`.
function __shellsso_command_word
    set -l wrapper
    set -l skip
    for word in (string match -ar -- '\S+' $argv[1])
        if test -n "$skip"
            set skip
        else if test -n "$wrapper"; and string match -q -- '-*' $word
            string match -qr -- '^(sudo-[ugpCDhrtTU]|env-[uCS]|nice-n|exec-a)$' $wrapper$word
            and set skip 1
        else if not string match -qr -- '^[[:alpha:]_]\w*=' $word
            set word (string replace -r -- '.*/' '' $word)
            if not contains -- $word sudo env command time nice exec nohup
                printf '%s\n' $word
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
    set -l commands (string split -n ' ' -- "$SHELLSSO_AWS_COMMANDS")
    test -n "$SHELLSSO_AWS_COMMANDS"
    or set commands aws terraform tofu terragrunt cdk sam pulumi eksctl kubectl helm
    set -l word (__shellsso_command_word $argv[1])
    test -n "$word"; and contains -- $word $commands; or return 0
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
    set -l code (__shellsso_run preexec_main fish)
    and string join \n -- $code | source
    return 0
end

# Completion. Profile names come from the cache file that `shellsso _names`
# writes (first line: the files it was made from), remade only when a config
# file is newer; fish filters and escapes them itself.
function __shellsso_profiles
    set -l config $AWS_CONFIG_FILE
    test -n "$config"; or set config $HOME/.aws/config
    set -l creds $AWS_SHARED_CREDENTIALS_FILE
    test -n "$creds"; or set creds $HOME/.aws/credentials
    set -l cache $XDG_CACHE_HOME
    test -n "$cache"; or set cache $HOME/.cache
    set -l file $cache/shellsso/names.fish
    set -l key "$config:$creds"
    # Not the user's own file (-O): planted there; the back end refuses the
    # folder, or replaces the file.
    if not test -f $file -a -O $file; or test $config -nt $file; or test $creds -nt $file
        __shellsso_run names_main fish $key; or return 0
    end
    read -z -l data <$file
    if test (string split -m1 \n -- $data)[1] != "$key"
        __shellsso_run names_main fish $key; or return 0
        read -z data <$file
    end
    # The names go through pipes as one string, less the key line: a list
    # variable of 10,000 names would cost more than everything else here.
    # A plain prefix (no quote, backslash or wildcard), given as $argv[1], narrows
    # them here in one builtin call, so that fish matches a few names, not
    # 10,000. When no name starts with it, all of them, for fish's fuzzy match.
    if set -q argv[1]; and string match -qr '^[[:alnum:]._@:+=,/-]+$' -- $argv[1]
        set -l found (string replace -r '^[^\n]*\n' '' -- $data | string match -- "$argv[1]*")
        if set -q found[1]
            printf '%s\n' $found
            return 0
        end
    end
    string replace -r '^[^\n]*\n' '' -- $data | string split -n \n
end

# `shellsso` subcommands and options from the static spec made by `shellsso init`:
# a line "shellsso WORDS", one "CMD WORDS" per subcommand, "CMD/--OPT VALUES"
# for option values (@profiles: profile names).
function __shellsso_cli_words
    set -l tokens (commandline -opc)
    set -l keys shellsso
    if test (count $tokens) -gt 1
        set keys $tokens[2]/$tokens[-1] $tokens[2]
    end
    set -l lines (string split \n -- $_SHELLSSO_CLI)
    for key in $keys
        for line in $lines
            set -l words (string split ' ' -- $line)
            test "$words[1]" = "$key"; or continue
            set -e words[1]
            if test "$words" = @profiles
                __shellsso_profiles
            else
                printf '%s\n' $words
            end
            return 0
        end
    end
end

# awsuse takes one profile (or `-`), or --unset alone: prints `unset` once
# --unset is on the line, `profile` once a profile or `-` is, else nothing.
# Profiles, `-`, --unset and --help are offered only before either; --region
# and --export until --unset.
function __shellsso_awsuse_given
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l prev
    set -l given
    for word in $tokens
        if test "$word" = --unset
            echo unset
            return
        else if test "$word" = -; or not string match -q -- '-*' $word; and test "$prev" != --region
            set given profile
        end
        set prev $word
    end
    printf '%s\n' $given
end

complete -c awsuse -e
complete -c awsuse -f
complete -c awsuse -n 'test -z "$(__shellsso_awsuse_given)"' -a '(__shellsso_profiles (commandline -ct))'
complete -c awsuse -n 'test -z "$(__shellsso_awsuse_given)"' -a - -d 'the previous profile'
complete -c awsuse -n 'test "$(__shellsso_awsuse_given)" != unset' -l region -x -a '(string split " " -- $_SHELLSSO_REGIONS)' -d 'also set AWS_REGION and AWS_DEFAULT_REGION'
complete -c awsuse -n 'test "$(__shellsso_awsuse_given)" != unset' -l export -d 'also export temporary credentials'
complete -c awsuse -n 'test -z "$(__shellsso_awsuse_given)"' -l unset -d 'clear what awsuse set'
complete -c awsuse -n 'test -z "$(__shellsso_awsuse_given)"' -s i -l interactive -d 'pick the profile interactively'
complete -c awsuse -n 'test -z "$(__shellsso_awsuse_given)"' -l help -d 'show help'
complete -c shellsso -e
complete -c shellsso -f -a '(__shellsso_cli_words)'
