"""Profile names made from what the portal says: `{account_name}-{role_name}`, cleaned to
one safe word, with the account id appended where a name is taken or shared.

populate names every profile this way and configure suggests a name the same way.
"""

from __future__ import annotations

import re
import string
from typing import Container

from shellsso.core.errors import ExitStatus, ShellssoError
from shellsso.core.safety import is_control

DEFAULT_TEMPLATE = "{account_name}-{role_name}"
FIELDS = ("account_name", "account_id", "role_name", "session")
_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def check_template(template: str) -> None:
    """Refuse a template with unknown fields or broken braces (a usage error)."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ShellssoError(f"--naming {template!r}: {exc}", ExitStatus.USAGE) from None
    if any(is_control(ch) for ch in template):
        raise ShellssoError("--naming must not contain control characters", ExitStatus.USAGE)
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        known = ", ".join("{" + f + "}" for f in FIELDS)
        raise ShellssoError(f"--naming: unknown field {{{unknown[0]}}}; use {known}",
                            ExitStatus.USAGE)
    if not fields:
        raise ShellssoError("--naming must use at least one field, e.g. "
                            f"{DEFAULT_TEMPLATE}", ExitStatus.USAGE)


def clean_name(text: str) -> str:
    """Lower case; spaces and odd characters to `-`; no leading/trailing punctuation."""
    name = _UNSAFE.sub("-", text.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-.")
    return name


def make_name(template: str, session: str, account_id: str, account_name: str,
              role_name: str) -> str:
    name = clean_name(template.format(account_name=account_name, account_id=account_id,
                                      role_name=role_name, session=session))
    return name or clean_name(f"{account_id}-{role_name}")


def free_name(name: str, account_id: str, taken: Container[str], shared: bool = False) -> str:
    """`name`; or `name-ACCOUNT` (then -2, -3...) when it is taken, `default`, or `shared`
    by several accounts or roles (none of them gets the bare name)."""
    if not shared and name not in taken and name != "default":
        return name
    name = base = clean_name(f"{name}-{account_id}")
    number = 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    return name
