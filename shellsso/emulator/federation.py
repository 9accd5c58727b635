"""The console federation endpoint (`/federation`): getSigninToken and login.

getSigninToken takes the session JSON of credentials this emulator issued
and refuses unknown or expired ones, a malformed SessionDuration, and any
SessionDuration for role-chained credentials, as the service does (docs/protocol.md
§9.1). `login` spends the single-use sign-in token and, where the real
endpoint would redirect to the console, answers with a landing page that
names the account, the role and the destination.
"""

from __future__ import annotations

import html
import json
import secrets
import time
from urllib.parse import urlsplit

from . import creds
from .errors import Rendered
from .org import find_account
from .state import SigninToken, State

SIGNIN_TOKEN_TTL = 900
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"


class FederationError(Exception):
    """A refused federation request: HTTP 400 with a one-line message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _session(raw: str) -> tuple[str, str, str]:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise FederationError("Session must be a JSON object")
    fields = tuple(data.get(k) for k in ("sessionId", "sessionKey", "sessionToken"))
    if not all(isinstance(v, str) and v for v in fields):
        raise FederationError("Session needs sessionId, sessionKey and sessionToken")
    return fields  # type: ignore[return-value]


def get_signin_token(state: State, params: dict[str, str]) -> Rendered:
    """getSigninToken: a SigninToken for live, issued credentials."""
    key, secret, token = _session(params.get("Session", ""))
    issued = creds.check(state, key, secret, token)
    if issued is None:
        raise FederationError("The credentials in the session are invalid or have expired")
    duration: int | None = None
    raw = params.get("SessionDuration")
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or not 900 <= int(raw) <= 43200:
            raise FederationError("SessionDuration must be between 900 and 43200 seconds")
        if issued.chained:
            raise FederationError(
                "SessionDuration is not allowed for credentials obtained by role chaining"
            )
        duration = int(raw)
    signin = SigninToken(
        token=secrets.token_urlsafe(48), access_key_id=issued.access_key_id,
        expires_at=time.time() + SIGNIN_TOKEN_TTL, session_duration=duration,
    )
    with state.mutate():
        state.signin_tokens[signin.token] = signin
    return 200, {"Content-Type": JSON_TYPE}, json.dumps({"SigninToken": signin.token}).encode()


def login(state: State, params: dict[str, str]) -> Rendered:
    """login: spend the sign-in token, show where the console would have opened."""
    destination = params.get("Destination", "")
    parts = urlsplit(destination)
    if parts.scheme != "https" or not parts.hostname:
        raise FederationError("Destination must be an https URL")
    with state.mutate():
        signin = state.signin_tokens.get(params.get("SigninToken", ""))
        if signin is None or signin.used or signin.expires_at <= time.time():
            raise FederationError("The sign-in token is invalid, used or expired")
        signin.used = True
    issued = creds.find(state, signin.access_key_id)
    if issued is None:
        raise FederationError("The credentials behind the sign-in token have expired")
    account = find_account(issued.account_id)
    name = f" ({account.name})" if account is not None else ""
    rows = [
        ("Account", f"{issued.account_id}{name}"),
        ("Role", issued.role_name),
        ("Destination", destination),
        ("Issuer", params.get("Issuer", "")),
        ("Session", f"{signin.session_duration} seconds" if signin.session_duration
         else "default length"),
    ]
    table = "".join(
        f"<tr><th>{html.escape(k)}</th><td id='{k.lower()}'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    doc = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<title>AWS console (emulated)</title></head><body>"
        f"<h1>Signed in as {html.escape(issued.role_name)} in account "
        f"{html.escape(issued.account_id)}</h1>"
        f"<p>The real console would open <a href='{html.escape(destination)}'>"
        f"{html.escape(destination)}</a>.</p><table>{table}</table></body></html>"
    )
    return 200, {"Content-Type": HTML_TYPE}, doc.encode()


def handle(state: State, params: dict[str, str]) -> Rendered:
    """One /federation request by its Action; a refusal is a 400 with a message."""
    action = params.get("Action", "")
    try:
        if action == "getSigninToken":
            state.count("GetSigninToken")
            return get_signin_token(state, params)
        if action == "login":
            state.count("ConsoleLogin")
            return login(state, params)
        raise FederationError(f"Unknown Action {action!r}")
    except FederationError as err:
        if action == "login":
            page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sign-in failed"
                    f"</title></head><body><h1>Sign-in failed</h1><p>{html.escape(err.message)}"
                    "</p></body></html>")
            return err.status, {"Content-Type": HTML_TYPE}, page.encode()
        body = json.dumps({"message": err.message}).encode()
        return err.status, {"Content-Type": JSON_TYPE}, body
