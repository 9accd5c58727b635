"""Command-line front of the emulator (`python -m shellsso.emulator`, `shellsso emulator`)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from .options import add_arguments
from .org import ACCOUNTS, REFRESH_SCOPE, REGION, START_URL, Organisation, generate

SESSION_NAME = "demo"


def sample_config(org: Organisation | None = None) -> str:
    """An ~/.aws/config block for the demo organisation (first role of each account).

    A generated organisation gets the session only: `shellsso populate` writes the rest.
    """
    lines = [
        f"[sso-session {SESSION_NAME}]",
        f"sso_start_url = {START_URL}",
        f"sso_region = {REGION}",
        f"sso_registration_scopes = {REFRESH_SCOPE}",
    ]
    if org is not None:
        return "\n".join([*lines, "", f"# then: shellsso populate --sso-session {SESSION_NAME}"])
    for account in ACCOUNTS:
        lines += [
            "",
            f"[profile {account.name}]",
            f"sso_session = {SESSION_NAME}",
            f"sso_account_id = {account.account_id}",
            f"sso_role_name = {account.roles[0]}",
            f"region = {REGION}",
        ]
    return "\n".join(lines)


def banner(url: str, org: Organisation | None = None) -> str:
    """What `run` prints: the URL first, then how to point AWS clients at it."""
    return "\n".join([
        f"shellsso Identity Center emulator listening on {url}  (Ctrl-C to stop)",
        "",
        "Point AWS clients at it:",
        f"  export AWS_ENDPOINT_URL_SSO_OIDC={url}",
        f"  export AWS_ENDPOINT_URL_SSO={url}",
        f"  export AWS_ENDPOINT_URL_STS={url}",
        f"  export SHELLSSO_SIGNIN_URL={url}/federation",
        "",
        "Sample ~/.aws/config:",
        "",
        sample_config(org),
        "",
        f"Approve a device code by visiting {url}/device",
    ])


def bind_reason(err: BaseException) -> str:
    """Why bind() failed, in words: the OS message when there is one (OSError's str
    carries an "[Errno 98]" prefix), else the exception's own text."""
    reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
    return str(reason).rstrip(".")


def run(args: Any) -> int:
    """Serve in the foreground until Ctrl-C or SIGTERM; exit 0 without a traceback."""
    from .server import Emulator

    accounts = getattr(args, "accounts", None)
    roles = getattr(args, "roles", None)
    org = None
    if accounts is None and roles is not None:  # silently serving the demo org misleads
        print("shellsso emulator: --roles sets the roles of a generated organisation: "
              "add --accounts N", file=sys.stderr)
        return 2
    if accounts is not None:
        roles = 3 if roles is None else roles
        if accounts < 0 or not 1 <= roles <= 8:
            print("shellsso emulator: --accounts must be 0 or more and --roles 1-8",
                  file=sys.stderr)
            return 2
        org = generate(accounts, roles)
    emulator = Emulator(
        org=org,
        throttle=getattr(args, "throttle", 0.0) or 0.0,
        port=args.port,
        token_ttl=args.token_ttl,
        credential_ttl=args.credential_ttl,
        interval=getattr(args, "interval", 1),
        state_file=args.state,
        auto_approve=args.auto_approve,
        verbose=not args.quiet,
        clock_skew=getattr(args, "clock_skew", 0),
    )
    try:
        emulator.start()
    except (OSError, OverflowError, ValueError) as err:
        # Port in use, a privileged port, or a port that slipped past the option check
        # (a caller building its own Namespace): one line, no traceback.
        print(f"shellsso emulator: cannot listen on 127.0.0.1:{args.port}: {bind_reason(err)}",
              file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        print(banner(emulator.url, org), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        emulator.stop()
    print("shellsso emulator stopped.", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m shellsso.emulator` entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m shellsso.emulator",
        description="Local AWS IAM Identity Center emulator (sso-oidc + portal) on 127.0.0.1.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
