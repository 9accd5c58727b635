"""Role credentials the emulator issues, and the checks that recognise them again.

GetRoleCredentials and AssumeRole both issue through here, so STS and the
console federation endpoint accept exactly the keys this emulator handed out,
refuse unknown or expired ones, and know which account and role they belong to.
"""

from __future__ import annotations

import secrets
import string
import time

from .state import IssuedCredentials, State

KEY_ALPHABET = string.ascii_uppercase + "234567"


def issue(
    state: State, account_id: str, role_name: str, ttl: float, *, chained: bool = False
) -> IssuedCredentials:
    """Fresh ASIA keys for `role_name` in `account_id`, remembered until they expire."""
    creds = IssuedCredentials(
        access_key_id="ASIA" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(16)),
        secret_access_key=secrets.token_urlsafe(30)[:40],
        session_token="IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(96),
        expires_at=time.time() + ttl,
        account_id=account_id,
        role_name=role_name,
        chained=chained,
    )
    with state.mutate():
        state.credentials[creds.access_key_id] = creds
        state.issued_access_key_ids.append(creds.access_key_id)
    return creds


def find(state: State, access_key_id: str) -> IssuedCredentials | None:
    """The live credentials with this key id, or None (unknown or expired)."""
    with state.lock:
        creds = state.credentials.get(access_key_id)
    if creds is None or creds.expires_at <= time.time():
        return None
    return creds


def check(
    state: State, access_key_id: str, secret_access_key: str | None, session_token: str | None
) -> IssuedCredentials | None:
    """find(), and the secret (when given) and session token must match too."""
    creds = find(state, access_key_id)
    if creds is None:
        return None
    if secret_access_key is not None and not secrets.compare_digest(
        creds.secret_access_key, secret_access_key
    ):
        return None
    if not secrets.compare_digest(creds.session_token, session_token or ""):
        return None
    return creds
