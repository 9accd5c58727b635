"""The sso-oidc operations: RegisterClient, StartDeviceAuthorization, CreateToken,
plus the browser-facing /authorize and device-verification steps.

Functions take the shared State and a parsed request and return the response
members, raising ServiceError for modelled failures.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from .errors import oidc_error
from .org import REFRESH_SCOPE
from .state import (
    AccessToken,
    AuthCode,
    Client,
    DeviceAuthorization,
    RefreshToken,
    Settings,
    State,
)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CODE_GRANT = "authorization_code"
REFRESH_GRANT = "refresh_token"
GRANT_TYPES = (DEVICE_GRANT, CODE_GRANT, REFRESH_GRANT)
AUTH_CODE_TTL = 300
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
"""Consonants only: user codes are read aloud and must not spell words."""
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "[::1]", "localhost")


def _str(body: dict[str, Any], name: str, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise oidc_error("InvalidRequestException", f"Missing or invalid parameter: {name}")
    return value


def _str_list(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise oidc_error("InvalidRequestException", f"Invalid parameter: {name}")
    return list(value)


def _same(a: str, b: str) -> bool:
    """Constant-time comparison that tolerates non-ASCII input (str compare_digest does not)."""
    return secrets.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _client(state: State, body: dict[str, Any]) -> Client:
    """Authenticate the client id/secret pair (InvalidClientException, HTTP 401)."""
    client_id = _str(body, "clientId")
    secret = _str(body, "clientSecret")
    client = state.clients.get(client_id)
    if (
        client is None
        or not _same(client.client_secret, secret)
        or client.expires_at <= time.time()
    ):
        raise oidc_error("InvalidClientException", "Invalid client provided")
    return client


def register_client(state: State, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    """RegisterClient: remember scopes, grant types and redirect URIs for later checks."""
    name = _str(body, "clientName")
    _str(body, "clientType")
    scopes = _str_list(body, "scopes")
    grant_types = _str_list(body, "grantTypes")
    redirect_uris = _str_list(body, "redirectUris")
    for grant in grant_types:
        if grant not in GRANT_TYPES:
            raise oidc_error("UnsupportedGrantTypeException", f"Unsupported grant type: {grant}")
    for uri in redirect_uris:
        if urlsplit(uri).scheme not in ("http", "https") or not urlsplit(uri).hostname:
            raise oidc_error("InvalidRedirectUriException", "Invalid redirect URI provided")
    if CODE_GRANT in grant_types and not redirect_uris:
        raise oidc_error("InvalidRedirectUriException", "Redirect URIs are required")
    now = int(time.time())
    client = Client(
        client_id=secrets.token_urlsafe(16),
        client_secret=secrets.token_urlsafe(48),
        client_name=name,
        issued_at=now,
        expires_at=now + settings.registration_ttl,
        scopes=scopes,
        grant_types=grant_types,
        redirect_uris=redirect_uris,
    )
    with state.mutate():
        state.clients[client.client_id] = client
    return {
        "clientId": client.client_id,
        "clientSecret": client.client_secret,
        "clientIdIssuedAt": client.issued_at,
        "clientSecretExpiresAt": client.expires_at,
    }


def _user_code() -> str:
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def start_device_authorization(
    state: State, settings: Settings, base_url: str, body: dict[str, Any]
) -> dict[str, Any]:
    """StartDeviceAuthorization: the verification URL approves the code when visited."""
    with state.lock:
        client = _client(state, body)
    _str(body, "startUrl")
    with state.mutate():
        taken = {d.user_code for d in state.devices.values()}
        user_code = _user_code()
        while user_code in taken:
            user_code = _user_code()
        device = DeviceAuthorization(
            device_code=secrets.token_urlsafe(32),
            user_code=user_code,
            client_id=client.client_id,
            expires_at=time.time() + settings.device_code_ttl,
            status="approved" if settings.auto_approve else "pending",
        )
        state.devices[device.device_code] = device
    return {
        "deviceCode": device.device_code,
        "userCode": device.user_code,
        "verificationUri": f"{base_url}/device",
        "verificationUriComplete": f"{base_url}/device?{urlencode({'user_code': user_code})}",
        "expiresIn": settings.device_code_ttl,
        "interval": settings.interval,
    }


def _issue(state: State, settings: Settings, client: Client, session_id: str,
           force_refresh: bool = False) -> dict[str, Any]:
    """Issue an access token (and a refresh token for scoped clients); caller holds mutate()."""
    access = AccessToken(
        token="aoa" + secrets.token_urlsafe(48),
        client_id=client.client_id,
        session_id=session_id,
        expires_at=time.time() + settings.token_ttl,
    )
    state.access_tokens[access.token] = access
    result: dict[str, Any] = {
        "accessToken": access.token,
        "tokenType": "Bearer",
        "expiresIn": settings.token_ttl,
    }
    if force_refresh or REFRESH_SCOPE in client.scopes:
        refresh = RefreshToken(
            token="aor" + secrets.token_urlsafe(48),
            client_id=client.client_id,
            session_id=session_id,
        )
        state.refresh_tokens[refresh.token] = refresh
        result["refreshToken"] = refresh.token
    return result


def create_token(state: State, settings: Settings, body: dict[str, Any]) -> dict[str, Any]:
    """CreateToken for the device-code, authorization-code and refresh-token grants."""
    with state.mutate():
        client = _client(state, body)
        grant = _str(body, "grantType")
        if grant not in GRANT_TYPES:
            raise oidc_error("UnsupportedGrantTypeException", f"Unsupported grant type: {grant}")
        if client.grant_types and grant not in client.grant_types:
            raise oidc_error(
                "UnauthorizedClientException", "Client is not authorized to use this grant type"
            )
        if grant == DEVICE_GRANT:
            return _device_grant(state, settings, client, _str(body, "deviceCode"))
        if grant == CODE_GRANT:
            return _code_grant(state, settings, client, body)
        return _refresh_grant(state, settings, client, _str(body, "refreshToken"))


def _device_grant(state: State, settings: Settings, client: Client,
                  device_code: str) -> dict[str, Any]:
    """Poll a device code.

    Slow-down rule: a poll is too fast when it comes less than interval/2 seconds
    after the poll before the previous one (three polls inside interval/2). The
    CLI's pattern (pre-check, immediate first poll, then one poll per interval)
    never trips it; a client hammering the endpoint does.
    """
    device = state.devices.get(device_code)
    if device is None or device.client_id != client.client_id:
        raise oidc_error("InvalidGrantException", "Invalid device code provided")
    now = time.time()
    if device.status == "consumed":
        raise oidc_error("InvalidGrantException", "Device code has already been used")
    if now >= device.expires_at:
        raise oidc_error("ExpiredTokenException", "Device code has expired")
    if device.status == "denied":
        raise oidc_error("AccessDeniedException", "Authorization request was denied")
    if device.status == "pending":
        too_fast = len(device.polls) >= 2 and now - device.polls[-2] < settings.interval / 2
        device.polls = (device.polls + [now])[-2:]
        if too_fast:
            raise oidc_error("SlowDownException", "Client is polling too quickly")
        raise oidc_error("AuthorizationPendingException", "Authorization is still pending")
    device.status = "consumed"
    return _issue(state, settings, client, secrets.token_hex(8))


def pkce_challenge(verifier: str) -> str:
    """S256 code challenge: base64url(sha256(verifier)) without '=' padding."""
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _code_grant(state: State, settings: Settings, client: Client,
                body: dict[str, Any]) -> dict[str, Any]:
    code = state.codes.get(_str(body, "code"))
    redirect_uri = _str(body, "redirectUri")
    verifier = _str(body, "codeVerifier")
    if code is None or code.client_id != client.client_id or code.used:
        raise oidc_error("InvalidGrantException", "Invalid authorization code provided")
    if time.time() >= code.expires_at:
        raise oidc_error("ExpiredTokenException", "Authorization code has expired")
    if redirect_uri != code.redirect_uri:
        raise oidc_error("InvalidGrantException", "Redirect URI does not match the authorization")
    if not _same(pkce_challenge(verifier), code.code_challenge):
        raise oidc_error("InvalidGrantException", "Invalid code verifier provided")
    code.used = True
    return _issue(state, settings, client, secrets.token_hex(8))


def _refresh_grant(state: State, settings: Settings, client: Client,
                   token: str) -> dict[str, Any]:
    """Rotate: the old refresh token dies, a new access + refresh token pair is issued."""
    refresh = state.refresh_tokens.get(token)
    if refresh is None or refresh.revoked or refresh.client_id != client.client_id:
        raise oidc_error("InvalidGrantException", "Invalid refresh token provided")
    refresh.revoked = True
    return _issue(state, settings, client, refresh.session_id, force_refresh=True)


def redirect_matches(registered: str, requested: str) -> bool:
    """RFC 8252 §7.3: loopback redirect URIs match on everything but the port."""
    if registered == requested:
        return True
    reg, req = urlsplit(registered), urlsplit(requested)
    if reg.hostname is None or reg.hostname not in LOOPBACK_HOSTS:
        return False
    try:
        req.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return (reg.scheme, reg.hostname, reg.path or "/", reg.query) == (
        req.scheme, req.hostname, req.path or "/", req.query
    )


@dataclass
class AuthorizeOutcome:
    """Either a redirect `location` or an error page (`status`, `message`)."""

    location: str | None = None
    status: int = 302
    message: str = ""


def _with_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def authorize(state: State, query: dict[str, str]) -> AuthorizeOutcome:
    """GET /authorize: sign the demo user in and redirect the code to the loopback."""
    client = state.clients.get(query.get("client_id", ""))
    redirect_uri = query.get("redirect_uri", "")
    if client is None or client.expires_at <= time.time():
        return AuthorizeOutcome(status=400, message="Invalid client provided.")
    if not any(redirect_matches(r, redirect_uri) for r in client.redirect_uris):
        return AuthorizeOutcome(status=400, message="Invalid redirect URI provided.")
    state_param = query.get("state", "")
    back: dict[str, str] = {"state": state_param} if state_param else {}
    if query.get("response_type") != "code":
        error = {"error": "unsupported_response_type", **back}
        return AuthorizeOutcome(_with_query(redirect_uri, error))
    challenge = query.get("code_challenge", "")
    if query.get("code_challenge_method") != "S256" or not challenge:
        return AuthorizeOutcome(_with_query(redirect_uri, {"error": "invalid_request", **back}))
    with state.mutate():
        if state.deny_next:
            state.deny_next = False
            return AuthorizeOutcome(_with_query(redirect_uri, {"error": "access_denied", **back}))
        code = AuthCode(
            code=secrets.token_urlsafe(32),
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            scopes=query.get("scopes", "").split(),
            expires_at=time.time() + AUTH_CODE_TTL,
        )
        state.codes[code.code] = code
    return AuthorizeOutcome(_with_query(redirect_uri, {"code": code.code, **back}))


def normalise_user_code(raw: str) -> str:
    """Accept 'abcd efgh', 'ABCDEFGH' or 'ABCD-EFGH'."""
    letters = "".join(ch for ch in raw.upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else raw.strip().upper()


def verify_device(state: State, raw_user_code: str) -> str:
    """Approve (or deny, if armed) a pending device code; returns the outcome word."""
    user_code = normalise_user_code(raw_user_code)
    with state.mutate():
        for device in state.devices.values():
            if device.user_code != user_code or device.status == "consumed":
                continue
            if time.time() >= device.expires_at:
                return "expired"
            if device.status == "pending":
                device.status = "denied" if state.deny_next else "approved"
                state.deny_next = False
            return device.status
    return "unknown"


def approve_all(state: State) -> int:
    """Approve every pending, unexpired device code (the demo's 'yes to everything')."""
    now = time.time()
    with state.mutate():
        pending = [d for d in state.devices.values()
                   if d.status == "pending" and d.expires_at > now]
        for device in pending:
            device.status = "approved"
    return len(pending)


def expire_tokens(state: State) -> int:
    """Make every live access token expired server-side (refresh tokens still work)."""
    now = time.time()
    with state.mutate():
        live = [t for t in state.access_tokens.values() if t.expires_at > now]
        for token in live:
            token.expires_at = now - 1
    return len(live)
