"""Fresh credentials for the endpoint's one profile, fetched once however many ask at once.

Every answer comes from `creds.resolve.get_role_credentials` (never from a copy kept
here): it reads the AWS CLI's shared cache, fetches again when 15 minutes or less
remain, refreshes the SSO token silently when it can, and follows `role_arn` chains. So
a logout anywhere (which removes the token and the cached role credentials) is seen by
the very next request, and no credential outlives the session that issued it. It never
asks for a login: a server has nobody at its keyboard; the terminal it was started
from is told once, and the next request after a login elsewhere works again.
"""

from __future__ import annotations

import threading
import time

from shellsso.core.clock import format_timestamp
from shellsso.core.errors import LoginRequired, ShellssoError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, Optional

    from shellsso.creds.role_credentials import Credentials

STATIC_LIFETIME = 3600
"""Temporary credentials without an expiry (a `credential_process` may give them) still
need one in the container format: an hour, after which an SDK asks again."""


def require_temporary(creds: Credentials, profile: str) -> Credentials:
    """`creds`, unless they are long-term keys (no session token), which are not served.

    Whoever holds the token gets what the endpoint serves; the token may leak (a
    container's configuration, a remote machine's forwarded port), and it must then be
    worth credentials that expire within the hour, not keys that never do.
    """
    if not creds.session_token:
        raise ShellssoError(
            f"profile '{profile}' has long-term access keys: the endpoint serves only "
            "temporary credentials; serve an SSO profile, or a role_arn profile whose "
            "source_profile holds the keys")
    return creds


def document(creds: Credentials, now: Optional[float] = None) -> Dict[str, str]:
    """The container provider's answer (docs/protocol.md §8.4), as ECS sends it.

    Expiration is ISO 8601 UTC with `Z`, which botocore, the JS SDK and Go parse. Token is
    always a string: the JS SDK refuses an answer without one (long-term keys have none).
    """
    now = time.time() if now is None else now
    expiration = creds.expiration if creds.expiration is not None else now + STATIC_LIFETIME
    doc = {
        "Code": "Success",
        "Type": "AWS-HMAC",
        "LastUpdated": format_timestamp(now),
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token or "",
        "Expiration": format_timestamp(expiration),
    }
    if creds.account_id:
        doc["AccountId"] = creds.account_id
    return doc


def fetch_for(profile: str) -> Callable[[], Credentials]:
    """The fetch of `profile`'s credentials, reading the config afresh each time (an edit
    of ~/.aws/config applies at the next fetch; the config index keeps this cheap)."""

    def fetch() -> Credentials:
        from shellsso.awsconfig.model import load_config
        from shellsso.creds.resolve import get_role_credentials

        return require_temporary(get_role_credentials(load_config(), profile,
                                                      interactive=False), profile)

    return fetch


class Provider:
    """Single-flight credentials: callers that arrive while a fetch runs share its outcome.

    Fifty SDK clients starting at once on a cold cache cause one GetRoleCredentials: those
    that arrive during it share its answer, those after read the cache it filled. The
    callbacks say when the session ends and when it is back, once each.
    """

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        *,
        on_ended: Optional[Callable[[str], None]] = None,
        on_back: Optional[Callable[[], None]] = None,
    ) -> None:
        self._fetch = fetch
        self._on_ended = on_ended
        self._on_back = on_back
        self._cond = threading.Condition()
        self._running = False
        self._round = 0
        self._result: Optional[Credentials] = None
        self._error: Optional[ShellssoError] = None
        self.ended: Optional[str] = None
        """The LoginRequired message while the session has ended; None otherwise."""

    def get(self) -> Credentials:
        """Credentials fit to serve, or the ShellssoError that says why there are none.

        Nothing is kept between fetches (a logout must be seen by the next request), but
        a fetch is cheap once the shared cache holds credentials: reading one file.
        """
        with self._cond:
            if self._running:
                joined = self._round
                while self._round == joined:
                    self._cond.wait()
                return self._outcome(self._result, self._error)
            self._running = True
        result: Optional[Credentials] = None
        error: Optional[ShellssoError] = None
        try:
            result = self._fetch()
        except ShellssoError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a server thread must answer, not die
            error = ShellssoError(f"cannot get credentials: {type(exc).__name__}: {exc}")
        finally:
            with self._cond:
                self._result, self._error = result, error
                self._running = False
                self._round += 1
                self._report(error)
                self._cond.notify_all()
        return self._outcome(result, error)

    @staticmethod
    def _outcome(result: Optional[Credentials], error: Optional[ShellssoError]) -> Credentials:
        if error is not None:
            raise error
        assert result is not None
        return result

    def _report(self, error: Optional[ShellssoError]) -> None:
        """Tell the callbacks of a change of state only: one line per session end."""
        if isinstance(error, LoginRequired):
            if self.ended is None and self._on_ended is not None:
                self._on_ended(error.message)
            self.ended = error.message
        elif error is None and self.ended is not None:
            self.ended = None
            if self._on_back is not None:
                self._on_back()
