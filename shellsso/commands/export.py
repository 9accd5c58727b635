"""`shellsso export` and `shellsso credential-process`: credentials on stdout.

Both read the CLI cache first, so with fresh cached credentials neither
touches the network nor imports boto3. Errors are one line on stderr with a
non-zero exit (botocore shows a credential process's stderr to its user).
"""

from __future__ import annotations

import argparse
import sys

from shellsso.awsconfig.model import active_profile_name, load_config
from shellsso.core.errors import ExitStatus, ProfileNotFound
from shellsso.creds.resolve import get_role_credentials
from shellsso.creds.role_credentials import enter_profile_chain
from shellsso.shell.exports import format_credentials


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _no_profile(source: str, profile: str, named: bool) -> None:
    """Say why there is nothing to export and what to do: as `status` says it."""
    import os

    from shellsso.awsconfig.first_run import missing_config

    missing = missing_config()
    if missing:
        raise ProfileNotFound(f"no profile '{profile}': {missing}")
    if not named and not (os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")):
        raise ProfileNotFound(
            f"no profile selected (AWS_PROFILE is not set) and no [default] profile in "
            f"{source}; try: shellsso export --profile PROFILE"
        )


def run_export(args: argparse.Namespace) -> int:
    """`shellsso export [--profile P] [--format F]`; may offer a login on a terminal."""
    profile = args.profile or active_profile_name()
    config = load_config()
    if profile not in config.profiles:
        _no_profile(config.source, profile, bool(args.profile))
    creds = get_role_credentials(config, profile, interactive=None)
    _write(format_credentials(creds, args.format))
    return ExitStatus.OK


def run_credential_process(args: argparse.Namespace) -> int:
    """`shellsso credential-process --profile P`: the Version 1 JSON for botocore.

    SDKs run it with stderr captured, so the session module never prompts
    here; an expired session that cannot be refreshed is a LoginRequired line.
    """
    enter_profile_chain(args.profile)  # refuses a loop through credential_process
    config = load_config()
    if args.profile not in config.profiles:
        _no_profile(config.source, args.profile, True)
    creds = get_role_credentials(config, args.profile, interactive=None)
    _write(format_credentials(creds, "process"))
    return ExitStatus.OK
