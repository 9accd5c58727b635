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


def _lines(fmt: str) -> Callable[[Credentials], str]:
    """A format of one line a variable; each line checks its value (safety.check_value)."""

    def render(creds: Credentials) -> str:
        return format_variables(env_pairs(creds), fmt)

    return render


VARIABLE_FORMATS = ("env", "env-no-export", "fish", "powershell", "json")
"""The formats of FORMATS that print variables (`process` is a credential_process document)."""


def format_variables(pairs: List[Tuple[str, str]], fmt: str) -> str:
    """Any (NAME, value) pairs in one of VARIABLE_FORMATS, quoted as export quotes keys."""
    if fmt == "json":
        return json_dumps_flat(dict(pairs), indent=2) + "\n"
    line = _LINE_WRITERS[fmt]
    return "".join(line(name, value) + "\n" for name, value in pairs)


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
    return format_variables(env_pairs(creds), "json")


_LINE_WRITERS: Dict[str, Callable[[str, str], str]] = {
    # "env" is POSIX sh, whichever shell sources it.
    "env": PosixShell().export_line,
    "env-no-export": PosixShell().assignment_line,
    "fish": Fish().export_line,
    "powershell": PowerShell().export_line,
}

_RENDERERS: Dict[str, Callable[[Credentials], str]] = {
    **{fmt: _lines(fmt) for fmt in _LINE_WRITERS},
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
