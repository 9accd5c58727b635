"""The SSO token and client-registration cache, in the AWS CLI v2 format.

`~/.aws/sso/cache/<sha1>.json`: the key is sha1 of the sso-session name (or
of the legacy start URL); the token file holds the eight fields the CLI writes,
timestamps as `...Z`, `refreshToken` only when one was issued. Registrations
live in the same folder under the CLI's key (docs/protocol.md §3), so a login by
either tool serves the other.
"""

from __future__ import annotations

import os
import time

from shellsso.core import cache_folder, paths
from shellsso.core.clock import format_timestamp, parse_timestamp
from shellsso.core.fast_stdlib import Record, sha1_hex
from shellsso.core.files import read_json, remove, write_json
from shellsso.core.safety import printable_ascii
from shellsso.core.secrets import remember

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Sequence

    from shellsso.awsconfig.model import SsoTarget
    from shellsso.core.locks import locked

QUIET_WAIT = 2.0  # a refresh takes less: waiting behind one is worth a line only after this
REFRESH_WINDOW = 15 * 60  # botocore refreshes a token with less than this left
REGISTRATION_MARGIN = 15 * 60  # the CLI re-registers a client this close to expiry


class Token(Record):
    """A cached SSO access token with what is needed to refresh it.

    A plain class, not a dataclass: `dataclasses` costs more to import than
    the rest of the `awsuse` hot path. Its repr never shows a secret.
    """

    __slots__ = ("start_url", "region", "access_token", "expires_at", "client_id",
                 "client_secret", "registration_expires_at", "refresh_token")

    def __init__(
        self,
        start_url: str,
        region: str,
        access_token: str,
        expires_at: float,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        registration_expires_at: Optional[float] = None,
        refresh_token: Optional[str] = None,
    ) -> None:
        self.start_url = start_url
        self.region = region
        self.access_token = access_token
        self.expires_at = expires_at
        self.client_id = client_id
        self.client_secret = client_secret
        self.registration_expires_at = registration_expires_at
        self.refresh_token = refresh_token
        remember(access_token, client_secret, refresh_token)  # hidden should a service echo it

    def __repr__(self) -> str:
        return (f"Token(start_url={self.start_url!r}, region={self.region!r}, "
                f"expires_at={format_timestamp(self.expires_at)!r}, "
                f"refreshable={bool(self.refresh_token)})")

    def remaining(self, now: Optional[float] = None) -> float:
        """Seconds until the access token expires (negative once expired)."""
        return self.expires_at - (time.time() if now is None else now)

    def is_valid(self, now: Optional[float] = None, margin: float = 0) -> bool:
        """True while the token has more than `margin` seconds left."""
        return self.remaining(now) > margin

    def can_refresh(self, now: Optional[float] = None) -> bool:
        """True when botocore's refresh conditions hold (docs/protocol.md §2.5)."""
        current = time.time() if now is None else now
        return bool(
            self.refresh_token
            and self.client_id
            and self.client_secret
            and self.registration_expires_at is not None
            and self.registration_expires_at > current
        )

    def to_json(self) -> Dict[str, Any]:
        """The dict the AWS CLI writes, fields in its order."""
        data: Dict[str, Any] = {
            "startUrl": self.start_url,
            "region": self.region,
            "accessToken": self.access_token,
            "expiresAt": format_timestamp(self.expires_at),
        }
        if self.client_id is not None:
            data["clientId"] = self.client_id
        if self.client_secret is not None:
            data["clientSecret"] = self.client_secret
        if self.registration_expires_at is not None:
            data["registrationExpiresAt"] = format_timestamp(self.registration_expires_at)
        if self.refresh_token:
            data["refreshToken"] = self.refresh_token
        return data


def token_from_json(data: Dict[str, Any]) -> Optional[Token]:
    """A Token from a cache dict, or None when required fields are missing or mistyped."""
    access_token = data.get("accessToken")
    expires_at = parse_timestamp(data.get("expiresAt"))
    if not isinstance(access_token, str) or not access_token or expires_at is None:
        return None
    if not printable_ascii(access_token):  # it would travel in a header, and into errors
        return None

    def text(key: str) -> Optional[str]:
        value = data.get(key)
        return value if isinstance(value, str) and value and printable_ascii(value) else None

    return Token(
        start_url=text("startUrl") or "",
        region=text("region") or "",
        access_token=access_token,
        expires_at=expires_at,
        client_id=text("clientId"),
        client_secret=text("clientSecret"),
        registration_expires_at=parse_timestamp(data.get("registrationExpiresAt")),
        refresh_token=text("refreshToken"),
    )


def token_path(target: SsoTarget) -> str:
    """`~/.aws/sso/cache/<sha1>.json` for the target's session or start URL."""
    return os.path.join(paths.sso_cache_dir(), target.cache_key + ".json")


def lock_path(target: SsoTarget) -> str:
    """The advisory lock serialising refresh, token writes and logout of one SSO session.

    In shellsso's own cache: the AWS CLI's folder keeps only what the CLI writes.
    It is held for a refresh or a write, never while a person is asked or a
    browser awaited: a login takes login_lock for that.
    """
    return cache_folder.lock_file("sso-" + target.cache_key)


def session_lock(target: SsoTarget) -> locked:
    """Context manager: hold the session's lock; a waiter says so after two seconds."""
    from shellsso.core.locks import locked
    from shellsso.core.timeouts import lock_wait

    return locked(lock_path(target), f"another shellsso process to finish with {target.label}",
                  timeout=lock_wait(), quiet_for=QUIET_WAIT)


def login_lock(target: SsoTarget) -> locked:
    """Context manager: one login flow per SSO session at a time, across terminals.

    Only logins take it, so a refresh or a `credential-process` never waits
    for someone's browser; a second login says at once that it waits.
    """
    from shellsso.core.locks import locked
    from shellsso.core.timeouts import LOGIN_WAIT

    return locked(cache_folder.lock_file("login-" + target.cache_key),
                  f"the login to {target.label} running in another terminal",
                  timeout=LOGIN_WAIT)


def load_token(target: SsoTarget) -> Optional[Token]:
    """The cached token for a target; None when absent or unusable (with a warning)."""
    path = token_path(target)
    data = read_json(path, "SSO token cache file")
    if data is None:
        return None
    token = token_from_json(data)
    if token is None:
        from shellsso.core.output import warn

        access = data.get("accessToken")
        why = ("its accessToken holds characters no token has" if isinstance(access, str)
               and access and not printable_ascii(access) else "no accessToken/expiresAt")
        warn(f"ignoring SSO token cache file {path}: {why}")
    return token


def save_token(target: SsoTarget, token: Token) -> None:
    """Write the token file atomically (0600), as the AWS CLI v2 writes it."""
    write_json(token_path(target), token.to_json())


def delete_token(target: SsoTarget) -> bool:
    """Remove the cached token; True when there was one."""
    return remove(token_path(target))


def token_mtime(target: SsoTarget) -> Optional[float]:
    """When the token file was last written (to notice another terminal's login)."""
    try:
        return os.stat(token_path(target)).st_mtime
    except OSError:
        return None


# --- client registrations (AWS CLI v2 key and fields) ---------------------------------


class Registration(Record):
    """An OIDC client registration, reusable across logins for ~90 days."""

    __slots__ = ("client_id", "client_secret", "expires_at", "scopes", "grant_types")

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        expires_at: float,
        scopes: Optional[Sequence[str]] = None,
        grant_types: Optional[Sequence[str]] = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.expires_at = expires_at
        self.scopes = scopes
        self.grant_types = grant_types
        remember(client_secret)

    def __repr__(self) -> str:
        return f"Registration(expires_at={format_timestamp(self.expires_at)!r})"

    def usable(self, auth_code: bool, now: Optional[float] = None) -> bool:
        """The CLI's reuse rule: 15 minutes of margin and the same flow (PKCE or device)."""
        current = time.time() if now is None else now
        if self.expires_at - current <= REGISTRATION_MARGIN:
            return False
        is_auth_code = "authorization_code" in (self.grant_types or ())
        return is_auth_code == auth_code

    def to_json(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "expiresAt": format_timestamp(self.expires_at),
        }
        if self.scopes is not None:
            data["scopes"] = list(self.scopes)
        if self.grant_types is not None:
            data["grantTypes"] = list(self.grant_types)
        return data


def registration_key(target: SsoTarget) -> str:
    """sha1 of the CLI's registration descriptor (default json separators, sorted keys)."""
    descriptor = {
        "tool": "botocore",
        "startUrl": target.start_url,
        "region": target.region,
        "scopes": list(target.scopes) if target.scopes is not None else None,
        "session_name": target.session_name,
    }
    import json

    return sha1_hex(json.dumps(descriptor, sort_keys=True).encode("utf-8"))


def registration_path(target: SsoTarget) -> str:
    return os.path.join(paths.sso_cache_dir(), registration_key(target) + ".json")


def load_registration(target: SsoTarget) -> Optional[Registration]:
    """The cached client registration for a target, or None."""
    data = read_json(registration_path(target), "SSO client registration file")
    if data is None:
        return None
    client_id, client_secret = data.get("clientId"), data.get("clientSecret")
    expires_at = parse_timestamp(data.get("expiresAt"))
    if not isinstance(client_id, str) or not isinstance(client_secret, str) or expires_at is None:
        return None
    scopes = data.get("scopes")
    grants = data.get("grantTypes")
    return Registration(
        client_id=client_id,
        client_secret=client_secret,
        expires_at=expires_at,
        scopes=scopes if isinstance(scopes, list) else None,
        grant_types=grants if isinstance(grants, list) else None,
    )


def save_registration(target: SsoTarget, registration: Registration) -> None:
    write_json(registration_path(target), registration.to_json())
