# shellsso for fish: TAB completion of awsuse and shellsso, as fish keeps
# completions in their own file. `shellsso init fish` puts this file in place
# of the `#include completions.fish` line of shells/shellsso.fish.

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
        __shellsso_run names_main '::SHELL::' $key; or return 0
    end
    read -z -l data <$file
    if test (string split -m1 \n -- $data)[1] != "$key"
        __shellsso_run names_main '::SHELL::' $key; or return 0
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
