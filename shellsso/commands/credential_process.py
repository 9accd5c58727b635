"""`shellsso credential-process --profile P`: the `credential_process` JSON (Version 1)
for SDKs and tools that do not speak SSO; from the CLI cache when it can, as export."""

from __future__ import annotations

from shellsso.awsconfig.model import load_config
from shellsso.commands.export import say_no_profile, write_out
from shellsso.core.errors import ExitStatus
from shellsso.creds.resolve import get_role_credentials
from shellsso.creds.role_credentials import enter_profile_chain
from shellsso.shell.exports import format_credentials

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def run(args: argparse.Namespace) -> int:
    """The Version 1 JSON for botocore.

    SDKs run it with stderr captured, so the session module never prompts
    here; an expired session that cannot be refreshed is a LoginRequired line.
    """
    enter_profile_chain(args.profile)  # refuses a loop through credential_process
    config = load_config()
    if args.profile not in config.profiles:
        say_no_profile(config.source, args.profile, True)
    creds = get_role_credentials(config, args.profile, interactive=None)
    write_out(format_credentials(creds, "process"))
    return ExitStatus.OK
