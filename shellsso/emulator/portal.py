"""The sso portal operations: ListAccounts, ListAccountRoles, GetRoleCredentials, Logout.

Every call is authorised by the bearer access token in `x-amz-sso_bearer_token`.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from . import creds
from .errors import portal_error
from .org import DEMO, Organisation
from .state import AccessToken, Settings, State

DEFAULT_PAGE_SIZE = 20
"""Items per page when the caller sends no max_result, as the portal does (max 100)."""


def authenticate(state: State, token: str | None) -> AccessToken:
    """Resolve a live access token or fail like the portal (401 UnauthorizedException)."""
    with state.lock:
        access = state.access_tokens.get(token or "")
        if access is None or access.revoked or access.expires_at <= time.time():
            raise portal_error("UnauthorizedException", "Session token not found or invalid")
        return access


def _page(items: list[dict[str, str]], query: dict[str, str]) -> tuple[list[dict[str, str]], str]:
    """Slice one page; next tokens are opaque base64 offsets."""
    size = DEFAULT_PAGE_SIZE
    if "max_result" in query:
        try:
            size = int(query["max_result"])
        except ValueError:
            size = 0
        if not 1 <= size <= 100:
            raise portal_error("InvalidRequestException", "max_result must be between 1 and 100")
    start = 0
    if query.get("next_token"):
        try:
            start = int(base64.urlsafe_b64decode(query["next_token"].encode()).decode())
        except ValueError:
            start = -1
        if not 0 <= start <= len(items):
            raise portal_error("InvalidRequestException", "Invalid next token")
    end = start + size
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else ""
    return items[start:end], token


def _paged(key: str, items: list[dict[str, str]], query: dict[str, str]) -> dict[str, Any]:
    page, token = _page(items, query)
    result: dict[str, Any] = {key: page}
    if token:
        result["nextToken"] = token
    return result


def list_accounts(query: dict[str, str], org: Organisation = DEMO) -> dict[str, Any]:
    """ListAccounts over the organisation."""
    items = [
        {"accountId": a.account_id, "accountName": a.name, "emailAddress": a.email}
        for a in org.accounts
    ]
    return _paged("accountList", items, query)


def _require(query: dict[str, str], name: str) -> str:
    value = query.get(name, "")
    if not value:
        raise portal_error("InvalidRequestException", f"Missing required parameter: {name}")
    return value


def list_account_roles(query: dict[str, str], org: Organisation = DEMO) -> dict[str, Any]:
    """ListAccountRoles; an account the user is not assigned to is a 404."""
    account = org.find(_require(query, "account_id"))
    if account is None:
        raise portal_error("ResourceNotFoundException", "No access")
    items = [{"roleName": r, "accountId": account.account_id} for r in account.roles]
    return _paged("roleList", items, query)


def get_role_credentials(state: State, settings: Settings, query: dict[str, str],
                         org: Organisation = DEMO) -> dict[str, Any]:
    """GetRoleCredentials: fresh ASIA keys, expiration in epoch milliseconds."""
    role = _require(query, "role_name")
    account = org.find(_require(query, "account_id"))
    if account is None or role not in account.roles:
        raise portal_error("ResourceNotFoundException", "No access")
    issued = creds.issue(state, account.account_id, role, settings.credential_ttl)
    with state.lock:
        overrides = dict(state.credential_overrides)
    credentials: dict[str, Any] = {
        "accessKeyId": issued.access_key_id,
        "secretAccessKey": issued.secret_access_key,
        "sessionToken": issued.session_token,
        "expiration": int(issued.expires_at * 1000),
    }
    credentials.update(overrides)
    return {"roleCredentials": credentials}


def logout(state: State, access: AccessToken) -> None:
    """Logout ends the whole sign-in session: its access and refresh tokens all die."""
    with state.mutate():
        for token in state.access_tokens.values():
            if token.session_id == access.session_id:
                token.revoked = True
        for refresh in state.refresh_tokens.values():
            if refresh.session_id == access.session_id:
                refresh.revoked = True
