"""What to tell a user who has no AWS config file yet.

Without one, "no profiles" or "profile 'dev' not found" is true but leads
nowhere: the message names the file (AWS_CONFIG_FILE honoured) and the
commands that create it. Cheap on purpose: awsuse's hot path may import it.
"""

from __future__ import annotations

import os

from shellsso.core import paths

SETUP = ("create it with `shellsso configure` (or `aws configure sso`), then "
         "`shellsso populate --sso-session NAME` adds a profile for every account and role")


def missing_config() -> str | None:
    """`PATH does not exist; create it with ...`, or None when the config file exists."""
    path = paths.config_file()
    if os.path.exists(path):
        return None
    named = " (AWS_CONFIG_FILE)" if os.environ.get("AWS_CONFIG_FILE") else ""
    if os.path.islink(path):  # "create it" would be wrong advice: the link is what is broken
        return f"{path}{named} is a symlink to a file that does not exist; fix or remove the link"
    return f"{path}{named} does not exist; {SETUP}"


def require_config(what: str) -> None:
    """Stop a command that needs the config when there is none: `WHAT: PATH does not
    exist; create it with ...`, as `status`, `export` and `list` say it. WHAT names what
    was asked for (`no profile 'dev'`, `no profiles`, `no sso-session 'corp'`)."""
    missing = missing_config()
    if missing:
        from shellsso.core.errors import ProfileNotFound

        raise ProfileNotFound(f"{what}: {missing}")
