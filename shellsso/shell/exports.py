"""Credentials rendered for a shell or a program, as `aws configure export-credentials`.

Pure functions, no I/O. The variable names, their order and the timestamp
form are the AWS CLI v2's (docs/protocol.md §7.1); unlike the CLI, every value is quoted
for the shell that will evaluate it, so even a hostile value stays a value.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Callable, Dict, List, Tuple

from shellsso.core.clock import format_isoformat
from shellsso.core.errors import ShellssoError
from shellsso.core.safety import check_value
from shellsso.shell import syntax

if TYPE_CHECKING:
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


# Quoting for the shells comes from the shell registry, the one place that knows it.
quote_posix = syntax.get("bash").quote
quote_fish = syntax.get("fish").quote

# PowerShell treats the typographic quotes like `"` and the backtick as escape.
_PS_SPECIAL = frozenset('`"$\u201c\u201d\u201e')


def quote_powershell(value: str) -> str:
    """A double-quoted PowerShell string: backtick-escape `, ", $ and smart quotes."""
    return '"' + "".join("`" + ch if ch in _PS_SPECIAL else ch for ch in value) + '"'


def _check(pairs: List[Tuple[str, str]]) -> None:
    """The check every evaluated value passes (safety.check_value): refuse, never truncate."""
    for name, value in pairs:
        check_value(name, value, credential=True)


def _lines(template: Callable[[str, str], str]) -> Callable[[Credentials], str]:
    def render(creds: Credentials) -> str:
        pairs = env_pairs(creds)
        _check(pairs)
        return "".join(template(name, value) + "\n" for name, value in pairs)

    return render


def credential_process_json(creds: Credentials) -> str:
    """The `credential_process` document: Version int 1, indent 2, trailing newline."""
    doc: Dict[str, object] = {
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
    }
    if creds.session_token:
        doc["SessionToken"] = creds.session_token
    if creds.expiration is not None:
        doc["Expiration"] = format_isoformat(creds.expiration)
    return json.dumps(doc, indent=2) + "\n"


def env_json(creds: Credentials) -> str:
    """The environment variables as one JSON object (for scripts and `jq`)."""
    return json.dumps(dict(env_pairs(creds)), indent=2) + "\n"


_RENDERERS: Dict[str, Callable[[Credentials], str]] = {
    "env": _lines(lambda n, v: f"export {n}={quote_posix(v)}"),
    "env-no-export": _lines(lambda n, v: f"{n}={quote_posix(v)}"),
    "fish": _lines(lambda n, v: f"set -gx {n} {quote_fish(v)}"),
    "powershell": _lines(lambda n, v: f"$Env:{n}={quote_powershell(v)}"),
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
