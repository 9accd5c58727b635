"""What `shellsso doctor` reports: findings, and the state its checks share.

A finding has a stable `id` for scripts (`area.problem`), a level, one line
saying what is wrong and one saying how to fix it. Levels:

- error: a command using this profile fails now, uses other credentials than
  the profile's, or secrets are open to other users. Exit status 1.
- warning: works now but breaks some tools or soon (no region for SDKs, the
  CLI v1 first on PATH, a token about to expire). Exit status 0.
- info: worth knowing, nothing to do (a token that renews itself).
- ok: a check that passed.

Messages and fixes name files, profiles and variables, never a value that
could be a secret (and pass through safety.shown, which hides any that an
endpoint's answer quotes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:
    from shellsso.awsconfig.model import AwsConfig, Section, SsoTarget
    from shellsso.sso.token_cache import Token

class Finding:
    """One result of one check (a plain class: `dataclasses` costs 8 ms to import)."""

    __slots__ = ("id", "level", "message", "fix")

    def __init__(self, ident: str, level: str, message: str, fix: Optional[str] = None) -> None:
        from shellsso.core.safety import shown

        self.id = ident
        self.level = level
        # Messages quote files and endpoints: shown() once here serves text and --json.
        self.message = shown(message)
        self.fix = shown(fix) if fix is not None else None

    def __repr__(self) -> str:
        return f"Finding({self.id!r}, {self.level!r}, {self.message!r}, {self.fix!r})"

    def to_json(self) -> Dict[str, Any]:
        return {"id": self.id, "level": self.level, "message": self.message, "fix": self.fix}


def ok(ident: str, message: str) -> Finding:
    return Finding(ident, "ok", message)


def info(ident: str, message: str, fix: Optional[str] = None) -> Finding:
    return Finding(ident, "info", message, fix)


def warning(ident: str, message: str, fix: str) -> Finding:
    return Finding(ident, "warning", message, fix)


def error(ident: str, message: str, fix: str) -> Finding:
    return Finding(ident, "error", message, fix)


class Context:
    """What the checks learn, in order: each later check builds on the earlier ones."""

    def __init__(self, profile: str, selected_by: str, now: float) -> None:
        self.profile = profile  # the profile a command would use
        self.selected_by = selected_by  # --profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, default
        self.now = now
        self.env_credentials = False  # complete keys in the environment
        self.config: Optional[AwsConfig] = None  # None when a file does not parse
        self.values: Optional[Section] = None  # the profile's keys; None when it does not exist
        self.base: Optional[str] = None  # the profile whose own credentials start the chain
        self.target: Optional[SsoTarget] = None  # the SSO role behind `base`, if any
        self.token: Optional[Token] = None
        self.token_usable = False  # a valid token, or one refreshed by the portal check

    @property
    def login_hint(self) -> str:
        """The login command for the session behind the profile."""
        if self.target is not None and self.target.session_name is not None:
            return f"shellsso login --sso-session {self.target.session_name}"
        return f"shellsso login --profile {self.base or self.profile}"
