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

PATIENCE = 1.5
"""How long a request waits for a running fetch, in seconds: less than botocore's 2-second
timeout, so that the client reads why rather than timing out."""
STUCK = 5.0
"""After this many seconds a fetch is taken to hang: requests are answered at once."""
HANGS = "a credential_process that does not end?"

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


class CredentialsPending(ShellssoError):
    """The fetch has not ended within the wait a request is given: the answer is 504 now,
    not after a client's own timeout, and says what is probably running."""


class ProfileFetch:
    """The fetch of a profile's credentials, reading the config afresh each time (an edit
    of ~/.aws/config applies at the next fetch; the config index keeps this cheap)."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.what = f"credentials for profile '{profile}'"

    def __call__(self) -> Credentials:
        from shellsso.awsconfig.model import load_config
        from shellsso.creds.resolve import get_role_credentials

        return require_temporary(get_role_credentials(load_config(), self.profile,
                                                      interactive=False), self.profile)

    def stamp(self) -> object:
        """What changes when the config or credentials file is edited (or replaced)."""
        from shellsso.awsconfig.index import source_identity
        from shellsso.core.paths import config_file, credentials_file

        return (source_identity(config_file()), source_identity(credentials_file()))


def fetch_for(profile: str) -> ProfileFetch:
    """The fetch of `profile`'s credentials (see ProfileFetch)."""
    return ProfileFetch(profile)


class _Run:
    """One fetch, on a thread of its own; its outcome once `done`."""

    __slots__ = ("started", "stamp", "done", "result", "error", "stuck")

    def __init__(self, stamp: object) -> None:
        self.started = time.monotonic()
        self.stamp = stamp
        self.done = False
        self.result: Optional[Credentials] = None
        self.error: Optional[ShellssoError] = None
        self.stuck = False
        """Whether the terminal was told that this fetch does not end."""


class Provider:
    """Single-flight credentials: callers that arrive while a fetch runs share its outcome.

    Fifty SDK clients starting at once on a cold cache cause one GetRoleCredentials: those
    that arrive during it share its answer, those after read the cache it filled. The
    callbacks say when the session ends and when it is back, once each.

    A fetch may not end (a `credential_process` that hangs is run without a timeout, as
    botocore runs it). So it runs on a thread of its own, never on the caller's, and a
    caller waits for it at most `patience` seconds, and not at all once it has run `stuck`
    seconds: it gets CredentialsPending, the terminal is told once (`on_stuck`), and
    the fetch goes on. Serving resumes when it ends, or at once when the config or
    credentials file is edited: the next request starts a new fetch, and the old one, when
    it ends, answers only the requests that were waiting for it (none, once it was stuck).
    Nothing is kept between fetches, so nothing stale is ever served.
    """

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        *,
        on_ended: Optional[Callable[[str], None]] = None,
        on_back: Optional[Callable[[], None]] = None,
        on_stuck: Optional[Callable[[str], None]] = None,
        patience: float = PATIENCE,
        stuck: float = STUCK,
    ) -> None:
        self._fetch = fetch
        self._what = fetch.what if isinstance(fetch, ProfileFetch) else "credentials"
        self._stamp: Callable[[], object] = (fetch.stamp if isinstance(fetch, ProfileFetch)
                                             else lambda: None)
        self._on_ended = on_ended
        self._on_back = on_back
        self.on_stuck = on_stuck
        """Told once per fetch that has run `stuck` seconds (the Endpoint sets it when unset)."""
        self.patience = patience
        self.stuck = stuck
        self._cond = threading.Condition()
        self._current: Optional[_Run] = None
        self._was_stuck = False
        self.ended: Optional[str] = None
        """The LoginRequired message while the session has ended; None otherwise."""

    def get(self) -> Credentials:
        """Credentials fit to serve, or the ShellssoError that says why there are none.

        Nothing is kept between fetches (a logout must be seen by the next request), but
        a fetch is cheap once the shared cache holds credentials: reading one file.
        """
        say: Optional[str] = None
        pending: Optional[CredentialsPending] = None
        with self._cond:
            run = self._current
            if run is None:
                run = self._start(self._stamp())
            else:
                stamp = self._stamp()
                if stamp != run.stamp:  # the config was edited: it may fix what hangs
                    run = self._start(stamp)
            deadline = min(time.monotonic() + self.patience, run.started + self.stuck)
            while not run.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if not run.done:
                age = time.monotonic() - run.started
                if age >= self.stuck and not run.stuck:
                    run.stuck = self._was_stuck = True
                    say = (f"fetching {self._what} has taken {age:.0f} s and goes on: "
                           f"{HANGS} (until it ends, or the config is edited, every request "
                           "for credentials gets 504)")
                pending = CredentialsPending(
                    f"{self._what} are still being fetched ({age:.0f} s so far): {HANGS} "
                    "The endpoint answers once the fetch ends or the config is edited")
        if say is not None and self.on_stuck is not None:
            self.on_stuck(say)
        if pending is not None:
            raise pending
        return self._outcome(run.result, run.error)

    def _start(self, stamp: object) -> _Run:
        """A new fetch, now the current one (called with the lock held)."""
        run = _Run(stamp)
        self._current = run
        threading.Thread(target=self._run, args=(run,), name="shellsso-fetch",
                         daemon=True).start()
        return run

    def _run(self, run: _Run) -> None:
        result: Optional[Credentials] = None
        error: Optional[ShellssoError] = None
        try:
            result = self._fetch()
        except ShellssoError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a server thread must answer, not die
            error = ShellssoError(f"cannot get credentials: {type(exc).__name__}: {exc}")
        with self._cond:
            run.result, run.error, run.done = result, error, True
            self._cond.notify_all()  # its waiters, who asked before it was given up, if it was
            if self._current is run:  # not given up for a newer fetch: its outcome counts
                self._current = None
                self._report(error)

    @staticmethod
    def _outcome(result: Optional[Credentials], error: Optional[ShellssoError]) -> Credentials:
        if error is not None:
            raise error
        assert result is not None
        return result

    def _report(self, error: Optional[ShellssoError]) -> None:
        """Tell the callbacks of a change of state only: one line per session end, and one
        when credentials are served again after it or after a fetch that did not end."""
        if isinstance(error, LoginRequired):
            if self.ended is None and self._on_ended is not None:
                self._on_ended(error.message)
            self.ended = error.message
        elif error is None and (self.ended is not None or self._was_stuck):
            self.ended = None
            if self._on_back is not None:
                self._on_back()
        if error is None or isinstance(error, LoginRequired):
            self._was_stuck = False
