"""Where the long-lived access keys are: the credentials file, the config file, the environment.

A long-lived key is an `aws_access_key_id` (or `AWS_ACCESS_KEY_ID`) with no
session token beside it: an IAM user's key, valid until someone deactivates
it. Temporary keys (with `aws_session_token`/`aws_security_token`, or
`AWS_SESSION_TOKEN`/`AWS_SECURITY_TOKEN`) expire by themselves and are not
listed. The files are read as botocore reads them (shellsso.awsconfig.ini),
each on its own: a profile with keys in both files is two keys. No network
here, and nothing printed: the secrets read are remembered (core/secrets.py)
so that any message that would quote one hides it.
"""

from __future__ import annotations

import os

from shellsso.awsconfig import ini
from shellsso.awsconfig.model import setting_text
from shellsso.core import paths
from shellsso.core.safety import masked_key_id
from shellsso.core.secrets import remember

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, List, Optional

    from shellsso.awsconfig.model import AwsConfig, Section

CREDENTIALS, CONFIG, ENVIRONMENT = "credentials", "config", "environment"
KEY_ID, SECRET = "aws_access_key_id", "aws_secret_access_key"
TOKENS = ("aws_session_token", "aws_security_token")
ENV_KEY_ID, ENV_SECRET = "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"
ENV_TOKENS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


mask = masked_key_id  # the one rule, in core/safety.py


def retire_command(profile: str) -> str:
    """`shellsso keys retire PROFILE`, the profile one shell word however it is named: users
    paste these commands, and a name may hold `$(...)`, a pipe or a glob."""
    import shlex

    return f"shellsso keys retire {shlex.quote(profile)}"


class Key:
    """One long-lived key where it was found. `key_id` and `secret` never reach output raw."""

    __slots__ = ("source", "path", "profile", "key_id", "secret", "account_id")

    def __init__(self, source: str, path: Optional[str], profile: Optional[str], key_id: str,
                 secret: Optional[str], account_id: Optional[str] = None) -> None:
        self.source = source  # CREDENTIALS, CONFIG or ENVIRONMENT
        self.path = path  # the file, None for the environment
        self.profile = profile  # the profile, None for the environment
        self.key_id = key_id
        self.secret = secret  # None: no secret beside the id (botocore refuses such a profile)
        self.account_id = account_id  # `aws_account_id` beside the key, when the file says
        remember(secret)

    def __repr__(self) -> str:
        return f"Key({self.source!r}, {self.profile!r}, {self.masked!r})"

    @property
    def masked(self) -> str:
        return mask(self.key_id)

    @property
    def where(self) -> str:
        """How the listing names the place: `credentials file PATH, profile 'p'` or the variable."""
        if self.source == ENVIRONMENT:
            return f"environment variable {ENV_KEY_ID}"
        return f"{self.source} file {self.path}, profile '{self.profile}'"


def _long_lived(values: Section) -> bool:
    return bool(setting_text(values, KEY_ID)) and not any(setting_text(values, t)
                                                          for t in TOKENS)


def _from_file(source: str, path: str) -> List[Key]:
    """The long-lived keys of one file, in file order (a file botocore refuses: ConfigError)."""
    text = ini.read_text(path)
    return from_text(source, path, text) if text else []


def from_text(source: str, path: str, text: str) -> List[Key]:
    """The long-lived keys of a file's text (CREDENTIALS or CONFIG), as botocore reads it:
    a `[DEFAULT]` section's key is every section's."""
    found = []
    for header, values in ini.parse_ini(text, path):
        name = header if source == CREDENTIALS else ini.profile_name(header)
        if name is None or not _long_lived(values):
            continue
        found.append(Key(source, path, name, setting_text(values, KEY_ID) or "",
                         setting_text(values, SECRET), setting_text(values, "aws_account_id")))
    return found


def from_environment() -> List[Key]:
    """AWS_ACCESS_KEY_ID without a session token: a long-lived key every tool uses first."""
    key_id = os.environ.get(ENV_KEY_ID)
    if not key_id or any(os.environ.get(name) for name in ENV_TOKENS):
        return []
    return [Key(ENVIRONMENT, None, None, key_id, os.environ.get(ENV_SECRET) or None,
                os.environ.get("AWS_ACCOUNT_ID") or None)]


def find_keys(problems: Optional[List[str]] = None) -> List[Key]:
    """Every long-lived key: the credentials file's, the config's, then the environment's.

    The files are `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE` (or
    their defaults), as botocore resolves them. A file botocore cannot read
    is a ConfigError, or with `problems` one line there and no keys from it.
    """
    from shellsso.core.errors import ConfigError

    found: List[Key] = []
    for source, path in ((CREDENTIALS, paths.credentials_file()),
                         (CONFIG, paths.config_file())):
        try:
            found += _from_file(source, path)
        except ConfigError as exc:
            if problems is None:
                raise
            problems.append(exc.message)
    return [*found, *from_environment()]


def keys_of_profile(name: str) -> List[Key]:
    """The long-lived keys a profile holds, in either file (empty when it holds none)."""
    return [key for key in find_keys() if key.source != ENVIRONMENT and key.profile == name]


def sso_profiles_by_account(config: AwsConfig) -> Dict[str, List[str]]:
    """{account id: [profiles]} of the profiles that log in with SSO straight to a role.

    A profile is counted for its own sso_account_id and sso_role_name (not a
    role_arn chain beyond it): those are the profiles `keys retire` can copy.
    """
    from shellsso.core.errors import ConfigError

    found: Dict[str, List[str]] = {}
    for name in config.names():
        try:
            target = config.sso_target(name)
        except ConfigError:
            continue
        if target is None or target.profile != name or not target.account_id \
                or not target.role_name:
            continue
        found.setdefault(target.account_id, []).append(name)
    return found
