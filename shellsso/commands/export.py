"""`shellsso export [--profile P] [--format F]`: credentials on stdout.

It and `credential-process` read the CLI cache first, so with fresh cached credentials neither
touches the network nor imports boto3. Errors are one line on stderr with a
non-zero exit (botocore shows a credential process's stderr to its user).
"""

from __future__ import annotations

import sys

from shellsso.awsconfig.model import active_profile_name, load_config
from shellsso.core.errors import ExitStatus, ProfileNotFound
from shellsso.creds.resolve import get_role_credentials
from shellsso.shell.exports import format_credentials

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def say_no_profile(source: str, profile: str, named: bool) -> None:
    """Say why there is nothing to export and what to do: as `status` says it."""
    import os

    from shellsso.awsconfig.first_run import require_config

    require_config(f"no profile '{profile}'")
    if not named and not (os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")):
        raise ProfileNotFound(
            f"no profile selected (AWS_PROFILE is not set) and no [default] profile in "
            f"{source}; try: shellsso export --profile PROFILE"
        )


def run(args: argparse.Namespace) -> int:
    """`shellsso export [--profile P] [--format F]`; may offer a login on a terminal."""
    profile = args.profile or active_profile_name()
    config = load_config()
    if profile not in config.profiles:
        say_no_profile(config.source, profile, bool(args.profile))
    creds = get_role_credentials(config, profile, interactive=None)
    write_out(format_credentials(creds, args.format))
    return ExitStatus.OK
