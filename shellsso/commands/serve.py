"""`shellsso serve [--profile P] [--port N] [--format F]`: a local credentials endpoint.

Every AWS SDK and the AWS CLI can fetch (and fetch again, before expiry) credentials from
a container-credentials endpoint (docs/protocol.md §8.4): a process that runs for hours
keeps working where exported keys would expire after one. The endpoint listens on
127.0.0.1 only and requires a random token; the two variables a client needs are printed
first, quoted for the shell of `--format`, then it serves until Ctrl-C, SIGTERM, or the
exit of the shell that started it. The serving itself is shellsso.endpoint's.
"""

from __future__ import annotations

import argparse
import os
import sys

from shellsso.core.errors import ExitStatus

TYPE_CHECKING = False
if TYPE_CHECKING:
    from shellsso.awsconfig.model import AwsConfig


def check_profile(profile: str) -> AwsConfig:
    """The config, once `profile` is known to exist (else the line export says, with
    close names), with a warning when `[default]` would stand in front of the endpoint."""
    from shellsso.awsconfig.first_run import require_config
    from shellsso.awsconfig.model import load_config
    from shellsso.endpoint.shadow import warn_if_shadowed

    require_config(f"no profile '{profile}'")
    config = load_config()
    config.get(profile)  # ProfileNotFound, with "did you mean"
    warn_if_shadowed(config, profile)
    return config


def run(args: argparse.Namespace) -> int:
    """Check the profile and its credentials (a login may be offered on a terminal), listen,
    print the variables, serve."""
    from shellsso.awsconfig.model import active_profile_name
    from shellsso.creds.resolve import get_role_credentials
    from shellsso.endpoint.provider import require_temporary
    from shellsso.endpoint.serving import Service
    from shellsso.endpoint.watch import Watched, parent_to_watch
    from shellsso.shell.exports import format_variables

    profile = args.profile or active_profile_name()
    config = check_profile(profile)
    require_temporary(get_role_credentials(config, profile, interactive=None), profile)
    service = Service(profile, args.port)
    service.handle_signals()
    readable = readable_stdout()
    if readable:
        from shellsso.core.output import warn

        warn(readable)
    sys.stdout.write(format_variables(service.variables(), args.format))
    sys.stdout.flush()
    release_stdout()
    parent = parent_to_watch()
    service.run(Watched(parent) if parent is not None else None, parent=True)
    # Stopped: a worker may still wait on the portal; nothing of it is needed any more.
    sys.stderr.flush()
    os._exit(ExitStatus.OK)


def readable_stdout() -> str:
    """The warning to give when stdout is a file (or a named pipe) that other users can read:
    the token written there gives them the profile's credentials while the server runs.
    The file is the user's: it is told, not changed."""
    import stat

    try:
        info = os.fstat(1)
    except OSError:
        return ""
    mode = stat.S_IMODE(info.st_mode)
    kind = stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)
    if not kind or not mode & 0o044:  # an anonymous pipe is 0600
        return ""
    try:
        name = os.readlink("/proc/self/fd/1")
    except OSError:
        name = "a file"
    return (f"standard output is {name}, which other users can read (mode {mode:04o}): the "
            "token written there gives them this profile's credentials while the server "
            "runs; write it where only you can read (umask 077, or a pipe)")


def release_stdout() -> None:
    """Nothing more goes to stdout: a reader waiting for its end (`serve --format json | jq`,
    a pipe into a script) gets it now rather than when the server stops."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
