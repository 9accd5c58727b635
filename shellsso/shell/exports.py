"""Credentials rendered for a shell or a program, as `aws configure export-credentials`.

Pure functions, no I/O. The variable names, their order and the timestamp
form are the AWS CLI v2's (docs/protocol.md §7.1); unlike the CLI, every value is quoted
for the shell that will evaluate it (each shell's module in shellsso.shell writes its
lines), so even a hostile value stays a value.
"""

from __future__ import annotations

from shellsso.core.clock import format_isoformat
from shellsso.core.errors import ShellssoError
from shellsso.core.fast_stdlib import json_dumps_flat
from shellsso.shell.base import PosixShell
from shellsso.shell.fish import Fish
from shellsso.shell.powershell import PowerShell

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` costs start-up time: annotations only
    from typing import Callable, Dict, List, Tuple

    from shellsso.creds.role_credentials import Credentials

FORMATS = ("env", "env-no-export", "fish", "powershell", "json", "process")


def env_pairs(creds: Credentials) -> List[Tuple[str, str]]:
    """(NAME, value) in the CLI's order; token and expiration only when present."""
    pairs = [
        ("AWS_ACCESS_KEY_ID", creds.access_key_id),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key),
    ]
    if creds.session_token:
        pairs.append(("AWS_SESSION_TOKEN", creds.session_token))
    if creds.expiration is not None:
        pairs.append(("AWS_CREDENTIAL_EXPIRATION", format_isoformat(creds.expiration)))
    return pairs


def _lines(line: Callable[[str, str], str]) -> Callable[[Credentials], str]:
    """A format of one line a variable; `line` checks each value (safety.check_value)."""

    def render(creds: Credentials) -> str:
        return "".join(line(name, value) + "\n" for name, value in env_pairs(creds))

    return render


def credential_process_json(creds: Credentials) -> str:
    """The `credential_process` document: Version int 1, indent 2, trailing newline."""
    doc: Dict[str, str | int] = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
    }
    if creds.session_token:
        doc["SessionToken"] = creds.session_token
    if creds.expiration is not None:
        doc["Expiration"] = format_isoformat(creds.expiration)
    return json_dumps_flat(doc, indent=2) + "\n"


def env_json(creds: Credentials) -> str:
    """The environment variables as one JSON object (for scripts and `jq`)."""
    return json_dumps_flat(dict(env_pairs(creds)), indent=2) + "\n"


_RENDERERS: Dict[str, Callable[[Credentials], str]] = {
    # "env" is POSIX sh, whichever shell sources it.
    "env": _lines(PosixShell().export_line),
    "env-no-export": _lines(PosixShell().assignment_line),
    "fish": _lines(Fish().export_line),
    "powershell": _lines(PowerShell().export_line),
    "json": env_json,
    "process": credential_process_json,
}


def format_credentials(creds: Credentials, fmt: str) -> str:
    """The text to print for `fmt` (one of FORMATS)."""
    try:
        render = _RENDERERS[fmt]
    except KeyError:
        raise ShellssoError(
            f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})"
        ) from None
    return render(creds)
