"""Server state of the emulator, guarded by one lock and optionally persisted.

Persistence exists because a restarted Identity Center that forgets clients and
refresh tokens breaks cached CLI registrations (docs/protocol.md §3.4); tests and the
demo need to restart the emulator without that failure mode.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

log = logging.getLogger("shellsso.emulator")

STATE_VERSION = 1
PRUNE_AFTER = 3600.0
"""Expired device codes and auth codes are kept this long (for clear errors), then dropped."""


@dataclass
class Client:
    """A RegisterClient result; the scopes decide whether refresh tokens are issued."""

    client_id: str
    client_secret: str
    client_name: str
    issued_at: int
    expires_at: int
    scopes: list[str] = field(default_factory=list)
    grant_types: list[str] = field(default_factory=list)
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class DeviceAuthorization:
    """A StartDeviceAuthorization result; status is pending/approved/denied/consumed."""

    device_code: str
    user_code: str
    client_id: str
    expires_at: float
    status: str = "pending"
    polls: list[float] = field(default_factory=list)


@dataclass
class AuthCode:
    """An authorization code handed to a loopback redirect, bound to its PKCE challenge."""

    code: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    scopes: list[str]
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    """A bearer token for the portal; session_id ties it to its login for Logout."""

    token: str
    client_id: str
    session_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    """A single-use refresh token (rotated on every refresh)."""

    token: str
    client_id: str
    session_id: str
    revoked: bool = False


@dataclass
class IssuedCredentials:
    """Role credentials handed out (GetRoleCredentials or AssumeRole), for STS and federation.

    `chained` marks AssumeRole results obtained with temporary credentials:
    the federation endpoint refuses a SessionDuration for those.
    """

    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float
    account_id: str
    role_name: str
    chained: bool = False


@dataclass
class SigninToken:
    """A console sign-in token from getSigninToken: single use, 15 minutes."""

    token: str
    access_key_id: str
    expires_at: float
    session_duration: int | None
    used: bool = False


@dataclass
class Scripted:
    """An answer a test scripts for the next `count` calls of an operation (a rogue
    portal): status, headers and body exactly as given. In the body, `{{request}}`
    becomes the request's headers and body as one JSON string without its quotes,
    the way an endpoint that echoes its input would repeat them. A callable body is
    called for each answer (a page token that is new every time)."""

    status: int
    headers: dict[str, str]
    body: bytes | Callable[[], bytes]
    count: int


@dataclass
class Failure:
    """An injected failure: the next `count` calls of an operation fail with `status`."""

    status: int
    count: int
    shape: str


Armed = TypeVar("Armed", Failure, Scripted)


class State:
    """All mutable emulator data. Hold `lock` to read; use `mutate()` to change."""

    def __init__(self, path: str | None = None) -> None:
        self.lock = threading.RLock()
        self.path = path
        self.clients: dict[str, Client] = {}
        self.devices: dict[str, DeviceAuthorization] = {}
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.credentials: dict[str, IssuedCredentials] = {}
        self.signin_tokens: dict[str, SigninToken] = {}
        # Not persisted: they describe this run, not the identity provider.
        self.counters: dict[str, int] = {}
        self.failures: dict[str, Failure] = {}
        self.scripted: dict[str, Scripted] = {}
        self.deny_next = False
        self.issued_access_key_ids: list[str] = []
        # Fields GetRoleCredentials answers with instead of fresh ones (a rogue portal).
        self.credential_overrides: dict[str, str] = {}
        if path is not None:
            self._load(path)

    @contextmanager
    def mutate(self) -> Iterator[None]:
        """Hold the lock for a change and persist the result afterwards."""
        with self.lock:
            yield
            self._prune()
            self.save()

    def count(self, operation: str) -> None:
        """Count one request for `operation` (counters are not persisted)."""
        with self.lock:
            self.counters[operation] = self.counters.get(operation, 0) + 1

    def take_failure(self, operation: str) -> Failure | None:
        """Consume one injected failure for `operation`, if any is armed."""
        return self._take(self.failures, operation)

    def take_scripted(self, operation: str) -> Scripted | None:
        """Consume one scripted answer for `operation`, if any is armed (count < 0: for ever)."""
        return self._take(self.scripted, operation)

    def _take(self, armed: dict[str, Armed], operation: str) -> Armed | None:
        """One use of what is armed for `operation`; gone after its last (a count below
        zero never reaches it)."""
        with self.lock:
            found = armed.get(operation)
            if found is None:
                return None
            found.count -= 1
            if found.count == 0:
                del armed[operation]
            return found

    def save(self) -> None:
        """Write the state file atomically (temp file + os.replace), mode 0600."""
        if self.path is None:
            return
        with self.lock:
            data = {
                "version": STATE_VERSION,
                "clients": [asdict(c) for c in self.clients.values()],
                "devices": [asdict(d) for d in self.devices.values()],
                "codes": [asdict(c) for c in self.codes.values()],
                "access_tokens": [asdict(t) for t in self.access_tokens.values()],
                "refresh_tokens": [asdict(t) for t in self.refresh_tokens.values()],
                "credentials": [asdict(c) for c in self.credentials.values()],
            }
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".emulator-state-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o600)
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise

    def _load(self, path: str) -> None:
        """Load a state file; a missing file is a fresh start, a corrupt one is ignored."""
        try:
            with open(path, encoding="utf-8") as fh:
                data: Any = json.load(fh)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable emulator state file %s: %s", path, exc)
            return
        try:
            if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
                raise ValueError("unsupported state file version")
            clients = [Client(**c) for c in data.get("clients", [])]
            devices = [DeviceAuthorization(**d) for d in data.get("devices", [])]
            codes = [AuthCode(**c) for c in data.get("codes", [])]
            access = [AccessToken(**t) for t in data.get("access_tokens", [])]
            refresh = [RefreshToken(**t) for t in data.get("refresh_tokens", [])]
            issued = [IssuedCredentials(**c) for c in data.get("credentials", [])]
        except (TypeError, ValueError) as exc:
            log.warning("ignoring malformed emulator state file %s: %s", path, exc)
            return
        self.clients = {c.client_id: c for c in clients}
        self.devices = {d.device_code: d for d in devices}
        self.codes = {c.code: c for c in codes}
        self.access_tokens = {t.token: t for t in access}
        self.refresh_tokens = {t.token: t for t in refresh}
        self.credentials = {c.access_key_id: c for c in issued}

    def _prune(self) -> None:
        """Drop dead grants so the state file stays small.

        A revoked or unknown token gets the same answer, so revoked ones can go at once.
        """
        cutoff = time.time() - PRUNE_AFTER
        self.devices = {k: d for k, d in self.devices.items() if d.expires_at > cutoff}
        self.codes = {k: c for k, c in self.codes.items() if c.expires_at > cutoff}
        self.access_tokens = {
            k: t for k, t in self.access_tokens.items() if t.expires_at > cutoff and not t.revoked
        }
        self.refresh_tokens = {k: t for k, t in self.refresh_tokens.items() if not t.revoked}
        self.credentials = {k: c for k, c in self.credentials.items() if c.expires_at > cutoff}
        self.signin_tokens = {
            k: t for k, t in self.signin_tokens.items() if t.expires_at > cutoff and not t.used
        }


@dataclass
class Settings:
    """Lifetimes and switches chosen when the emulator is constructed."""

    token_ttl: int = 3600
    credential_ttl: int = 3600
    registration_ttl: int = 90 * 86400
    device_code_ttl: int = 600
    interval: int = 1
    auto_approve: bool = False
