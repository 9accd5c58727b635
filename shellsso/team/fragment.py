"""A team's shared config fragment, read as botocore would read it, and held to what a team
may set in a member's config.

A shared fragment is a path into every member's shell: whoever can change it
changes what `aws --profile X` runs and where it sends requests. So only the
keys that choose sessions, accounts, roles and regions are taken; anything
that runs a command (`credential_process`), sends requests elsewhere
(`endpoint_url`, `[services]`), holds a secret (static keys), reads a file
(`web_identity_token_file`) or is unknown is refused with one line naming the
key and the section, and nothing is written. The fragment is split into
lines and sections by awsconfig.ini (botocore's own line model), so a value
that hides a line break botocore does not see (U+2028, a form feed) is one
value, and refused for its characters, never a section nobody reviewed.

Comments are not taken: the block is rendered again from the values.
"""

from __future__ import annotations

import re

from shellsso.awsconfig.edit import check_parses
from shellsso.awsconfig.ini import BAD, COMMENT, HEADER, KEY, MORE, scan, split_lines
from shellsso.awsconfig.regions import REGION_NAME
from shellsso.core.errors import ShellssoError
from shellsso.core.safety import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Optional

    Refuse = Callable[[int, str], ShellssoError]

MAX_BYTES = 256 * 1024
"""A fragment larger than this is no team's config (and a hostile one costs nothing to refuse)."""

NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
"""The profile and sso-session names a fragment may use: one shell word, one INI header word."""

_ARN_PARTITION = r"arn:aws(?:-[a-z]+)*"
_IAM_NAME = r"[\w+=,.@-]{1,64}"

SESSION_KEYS: Dict[str, str] = {
    "sso_start_url": r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[\w./~%#-]*)?",
    "sso_region": REGION_NAME,
    "sso_registration_scopes": r"[\w:./-]+(?:\s*,\s*[\w:./-]+)*",
}
"""The keys of an `[sso-session X]` and the shape of their values (matched whole)."""

PROFILE_KEYS: Dict[str, str] = {
    "sso_session": NAME,
    "sso_account_id": r"[0-9]{12}",
    "sso_role_name": _IAM_NAME,
    "sso_start_url": SESSION_KEYS["sso_start_url"],
    "sso_region": REGION_NAME,
    "sso_account_name": r"[^\[\]]{1,128}",
    "region": REGION_NAME,
    "output": r"json|text|table|yaml|yaml-stream|off",
    "role_arn": _ARN_PARTITION + r":iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*" + _IAM_NAME,
    "source_profile": NAME,
    "role_session_name": r"[\w+=,.@-]{2,64}",
    "duration_seconds": r"[0-9]{3,5}",
    "mfa_serial": (r"(?:" + _ARN_PARTITION + r":iam::[0-9]{12}:mfa/[\w+=,.@/-]{1,256}"
                   r"|[\w+=/:,.@-]{9,256})"),
    "external_id": r"[\w+=,.@:/-]{2,1224}",
    "credential_source": r"Environment|Ec2InstanceMetadata|EcsContainer",
}
"""The keys of a `[profile X]` and the shape of their values (matched whole).

`credential_source` names where botocore finds the credentials a role is
assumed with; its three values are providers, none is a command.
"""

REFUSED: Dict[str, str] = {
    "credential_process": "it runs a command",
    "aws_access_key_id": "a secret has no place in a shared file",
    "aws_secret_access_key": "a secret has no place in a shared file",
    "aws_session_token": "a secret has no place in a shared file",
    "endpoint_url": "it sends requests to another endpoint",
    "services": "it sends requests to other endpoints",
    "ignore_configured_endpoint_urls": "it changes which endpoints are used",
    "web_identity_token_file": "it reads a file of the member's machine",
    "ca_bundle": "it changes which certificates are trusted",
}
"""Keys refused with their reason; any other key not listed above is refused as unknown."""


class Fragment:
    """The sessions and profiles of a fragment, in file order, values as botocore reads them."""

    def __init__(self) -> None:
        self.sessions: Dict[str, Dict[str, str]] = {}
        self.profiles: Dict[str, Dict[str, str]] = {}


def check_name(name: str, what: str) -> Optional[str]:
    """Why `name` is no name a fragment may use for `what` (None when it is one)."""
    if not re.fullmatch(NAME, name):
        return (f"{what} name {visible(name)!r} has characters a team name may not have "
                "(letters, digits, '.', '_' and '-' only, at most 64)")
    if name.lower() == "default":
        return f"{what} 'default' is the member's own default: a team does not set it"
    return None


def parse(text: str, label: str) -> Fragment:
    """The fragment's sessions and profiles; ShellssoError for the first thing refused."""
    def refuse(number: int, why: str) -> ShellssoError:
        return ShellssoError(f"{label}, line {number}: {why}; nothing was written")

    if len(text.encode("utf-8", "surrogateescape")) > MAX_BYTES:
        raise ShellssoError(f"{label}: larger than {MAX_BYTES >> 10} KB, which no team's config "
                            "is; nothing was written")
    check_parses(text, label)  # what botocore refuses: one line, with the line number
    lines = split_lines(text)
    fragment = Fragment()
    section: Optional[Dict[str, str]] = None
    where = ""
    keys: Dict[str, str] = {}
    for number, (line, (kind, _, name, value)) in enumerate(zip(lines, scan(lines)), 1):
        if kind == COMMENT:
            if re.match(r"[#;]+\s*shellsso\b", line.strip(), re.IGNORECASE):
                raise refuse(number, "a shellsso marker comment; a fragment holds no markers")
        elif kind == HEADER:
            section, where, keys = _section(fragment, name, number, refuse)
        elif kind == MORE:
            raise refuse(number, f"{where}: a value on more than one line (a nested block or "
                                 "continuation), which a team does not set")
        elif kind == BAD or (kind == KEY and section is None):
            raise refuse(number, "expected 'key = value' in a [section]")
        elif kind == KEY and section is not None:
            _check_key(name, value, keys, where, number, refuse)
            section[name] = value
    for name, values in fragment.profiles.items():
        for key, targets, what in (("sso_session", fragment.sessions, "sso-session"),
                                   ("source_profile", fragment.profiles, "profile")):
            target = values.get(key)
            if target is not None and (target not in targets or target == name):
                raise ShellssoError(
                    f"{label}: [profile {name}] {key} = {target}: the fragment has no other "
                    f"{what} of that name (a team's profiles refer only to the fragment's "
                    "own); nothing was written")
    if not fragment.profiles and not fragment.sessions:
        raise ShellssoError(f"{label}: no [profile X] or [sso-session X] in it; nothing was "
                            "written")
    return fragment


def _section(fragment: Fragment, header: str, number: int, refuse: Refuse) -> tuple[
        Dict[str, str], str, Dict[str, str]]:
    """The dict a header's keys go to, its label and the keys allowed in it."""
    match = re.fullmatch(r"(profile|sso-session) (\S+)", header)
    shown = visible(header)
    if match is None:
        why = ("a team does not set the member's default profile" if header == "default"
               else "a team's fragment holds only [profile X] and [sso-session X]")
        raise refuse(number, f"section [{shown}] refused: {why}")
    kind, name = match.groups()
    problem = check_name(name, kind)
    if problem is not None:
        raise refuse(number, problem)
    target = fragment.profiles if kind == "profile" else fragment.sessions
    target[name] = {}
    return target[name], f"[{kind} {name}]", PROFILE_KEYS if kind == "profile" else SESSION_KEYS


def _check_key(key: str, value: str, allowed: Dict[str, str], where: str, number: int,
               refuse: Refuse) -> None:
    if key in REFUSED:
        raise refuse(number, f"{where} key '{key}' refused: {REFUSED[key]}")
    if key not in allowed:
        known = (", ".join(sorted(allowed)))
        raise refuse(number, f"{where} key '{visible(key)}' refused: not one a team may set "
                             f"here ({known})")
    if not value:
        raise refuse(number, f"{where} key '{key}' has no value (a nested block or an empty "
                             "setting), which a team does not set")
    if not value.isprintable() or not re.fullmatch(allowed[key], value):
        # The value is not shown: it may be anything, a secret or terminal escapes.
        raise refuse(number, f"{where} key '{key}': the value is not a valid {key}")


def render(fragment: Fragment, skip: List[str]) -> List[tuple[str, Dict[str, str]]]:
    """(header, keys) of each session and profile to write, sessions first; `skip`: names
    left out (as `sso-session X` or `profile X`)."""
    sections = [(f"sso-session {n}", v) for n, v in fragment.sessions.items()]
    sections += [(f"profile {n}", v) for n, v in fragment.profiles.items()]
    return [(header, values) for header, values in sections if header not in skip]
