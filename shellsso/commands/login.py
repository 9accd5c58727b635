"""`shellsso login [--profile P | --sso-session S] [--no-browser] [--use-device-code]`.

The flow itself is sso/login.py's; here the session to log in to is chosen
(`--sso-session`, else `--profile`, else the active profile) and Ctrl-C is
said as one line, the token cache untouched.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional

from shellsso.awsconfig.first_run import require_config
from shellsso.awsconfig.model import SsoTarget, active_profile_name, load_config
from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.sso.login import Countdown, login


def resolve_target(profile: Optional[str], sso_session: Optional[str]) -> SsoTarget:
    """The SSO login behind `--profile`/`--sso-session` (default: the active profile)."""
    name = profile or active_profile_name()
    require_config(f"no sso-session '{sso_session}'" if sso_session else f"no profile '{name}'")
    config = load_config()
    if sso_session:
        return config.session_target(sso_session)
    if name not in config.profiles and not profile:
        raise ShellssoError(
            f"no profile selected and no [default] profile in {config.source}; "
            "use --profile PROFILE or --sso-session NAME"
        )
    target = config.sso_target(name)
    if target is None:
        raise ShellssoError(f"profile '{name}' does not use IAM Identity Center (SSO)")
    return target


def run(args: argparse.Namespace) -> int:
    """Log in to the chosen session; 130 after Ctrl-C."""
    target = resolve_target(getattr(args, "profile", None), getattr(args, "sso_session", None))
    try:
        login(
            target,
            use_device_code=bool(getattr(args, "use_device_code", False)),
            no_browser=bool(getattr(args, "no_browser", False)),
            force=bool(getattr(args, "force", False)),
        )
    except KeyboardInterrupt:
        if Countdown(sys.stderr).tty:  # wipe the echoed ^C (and any countdown) first
            sys.stderr.write("\r\033[K")
        sys.stderr.write("shellsso: login cancelled; the token cache is unchanged\n")
        sys.stderr.flush()
        return ExitStatus.INTERRUPTED
    return ExitStatus.OK
