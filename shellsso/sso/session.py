"""A usable SSO token for a target: cached, silently refreshed, or a fresh login.

The cheap part (token_state, and get_token while more than 15 minutes are
left) reads one file and never imports boto3: it sits on the `awsuse` path.
Refresh follows botocore (docs/protocol.md §2.5) so that a token either tool wrote
keeps working in the other, but under the session lock and re-reading the
file first, so twenty shells refresh once, not twenty times.
"""

from __future__ import annotations

import os
import sys

from shellsso.core.errors import LoginRequired, NetworkError, ShellssoError
from shellsso.sso import token_cache
from shellsso.sso.token_cache import REFRESH_WINDOW, Token, load_token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional, Tuple

    from shellsso.awsconfig.model import SsoTarget

WRITTEN_SINCE_MARGIN = 60  # a token another process just wrote must have this much left
ASK_PROMPT = "Log in to {label} now?"


def token_state(target: SsoTarget, now: Optional[float] = None) -> Tuple[str, Optional[Token]]:
    """("valid"|"expiring"|"refreshable"|"expired"|"none", token) from the cache file alone.

    valid: more than 15 minutes left. refreshable: less (or none) left, but a
    silent refresh is possible. expiring: still valid, under 15 minutes, not
    refreshable. expired: past its expiry and not refreshable.
    """
    token = load_token(target)
    if token is None:
        return "none", None
    remaining = token.remaining(now)
    if remaining > REFRESH_WINDOW:
        return "valid", token
    if target.session_name is not None and token.can_refresh(now):
        return "refreshable", token
    return ("expiring" if remaining > 0 else "expired"), token


def get_token(target: SsoTarget) -> Optional[Token]:
    """A usable token: cached (> 15 min left), else refreshed, else still-valid, else None.

    Raises NetworkError when a refresh was needed, the endpoint did not answer
    and the old token has expired: one line that says why, not a login offer.
    """
    token = load_token(target)
    if token is not None and token.is_valid(margin=REFRESH_WINDOW):
        return token
    if token is not None and target.session_name is not None and token.can_refresh():
        token = refresh(target, seen=token)
    if token is not None and token.is_valid():
        return token
    return None


def _written_since(current: Token, seen: Optional[Token]) -> bool:
    """Did another process write a new, usable token after we read `seen`?

    With tokens shorter-lived than the 15-minute refresh window, a token just
    refreshed still looks due: without this, thirty shells refresh thirty times.
    """
    if seen is None or not current.is_valid(margin=WRITTEN_SINCE_MARGIN):
        return False
    return (current.access_token, current.expires_at) != (seen.access_token, seen.expires_at)


# CreateToken answers meaning "this refresh token will never work again".
_DEAD_REFRESH = frozenset(
    {"InvalidGrantException", "InvalidClientException", "UnauthorizedClientException",
     "ExpiredTokenException", "AccessDeniedException"}
)


def refresh(target: SsoTarget, seen: Optional[Token] = None) -> Optional[Token]:
    """Refresh under the session lock; returns the best token there is afterwards.

    Another process may have refreshed while we waited for the lock: then its
    token is used (`seen` is the token we found before waiting). A refresh
    token the service rejects is dropped from the file (nothing can use it),
    so later calls do not try again. A network failure only warns while the
    old token is still valid, and is a NetworkError once it is not; processes
    waiting for the lock meanwhile meet the same line at once.
    """
    with token_cache.session_lock(target) as lock:
        current = load_token(target)
        if current is None or current.is_valid(margin=REFRESH_WINDOW):
            return current
        if _written_since(current, seen):
            return current
        if target.session_name is None or not current.can_refresh():
            return current
        failure = lock.failure_since_wait()
        if failure is None:
            try:
                token = _create_token(target, current)
            except ShellssoError as err:
                from shellsso.sso import oidc
                if oidc.cause_code(err) in _DEAD_REFRESH:
                    current = current.replace(refresh_token=None)
                    token_cache.save_token(target, current)
                    return current
                failure = f"cannot refresh {target.label}: {err.message}"
                if not isinstance(err, NetworkError):
                    from shellsso.core.output import warn

                    warn(failure)
                    return current
                lock.note_failure(failure)
            else:
                token_cache.save_token(target, token)
                return token
        if current.is_valid():
            from shellsso.core.output import warn

            warn(failure)
            return current
        raise NetworkError(failure)


def _create_token(target: SsoTarget, current: Token) -> Token:
    """CreateToken with the refresh token (one attempt: a refresh is never awaited long)."""
    from shellsso.sso import oidc
    assert current.client_id and current.client_secret and current.refresh_token
    client = oidc.make_client("sso-oidc", target, attempts=1)
    client_id, secret, refresh_token = (
        current.client_id, current.client_secret, current.refresh_token)
    response = oidc.call(client, "CreateToken", target, lambda: client.create_token(
        grantType="refresh_token", clientId=client_id, clientSecret=secret,
        refreshToken=refresh_token))
    return oidc.created_token(target, response, client_id, secret,
                              current.registration_expires_at)


def login(
    target: SsoTarget, *, use_device_code: bool = False, no_browser: bool = False,
    force: bool = False,
) -> Token:
    """The interactive OIDC login (see shellsso.sso.login.login)."""
    from shellsso.sso.login import login as _login

    return _login(target, use_device_code=use_device_code, no_browser=no_browser, force=force)


def login_required_message(target: SsoTarget) -> str:
    """`SSO session 'corp' has expired; run: shellsso login --profile dev`."""
    state, _ = token_state(target)
    what = f"no token for {target.label}" if state == "none" else f"{target.label} has expired"
    return f"{what}; run: {target.login_command}"


def may_log_in(question: str, interactive: Optional[bool]) -> bool:
    """Whether a login may start now, as SHELLSSO_AUTO_LOGIN says.

    `always`: yes; `never`: no; `ask` (the default): the user's answer to
    `question` (Enter means yes), asked only when someone is at a terminal
    (`interactive`, or stdin and stderr both terminals).
    """
    mode = (os.environ.get("SHELLSSO_AUTO_LOGIN") or "ask").strip().lower()
    if mode in ("always", "never"):
        return mode == "always"
    from shellsso.core.output import terminal_at
    from shellsso.core.questions import ask_yes

    can_ask = terminal_at(sys.stdin, sys.stderr) if interactive is None else interactive
    return can_ask and ask_yes(question, default=True)


def ensure_token(target: SsoTarget, *, interactive: Optional[bool] = None) -> Token:
    """get_token, else a login as SHELLSSO_AUTO_LOGIN says (ask, always or never)."""
    seen = token_cache.token_mtime(target)
    token = get_token(target)
    if token is not None:
        return token
    if not may_log_in(ASK_PROMPT.format(label=target.label), interactive):
        raise LoginRequired(login_required_message(target))
    return _login_since(target, seen)


def _login_since(target: SsoTarget, seen: Optional[float]) -> Token:
    """Log in, unless another terminal logs in after the token file looked like `seen`."""
    from shellsso.sso.login import login as _login

    # No file then: any token file found under the lock is one written since (-1 never
    # equals an mtime, and the token must still be valid to be used).
    return _login(target, baseline=seen if seen is not None else -1.0)
