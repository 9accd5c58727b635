"""The demo organisation the emulator serves.

Kept as plain data so tests, the CLI's sample config and the portal handlers
all agree on the same accounts and roles.
"""

from __future__ import annotations

from dataclasses import dataclass

START_URL = "https://d-1234567890.awsapps.com/start"
"""AWS-owned-looking start URL: CLI >= 2.35.13 refuses to resolve anything else offline."""

REGION = "us-east-1"

REFRESH_SCOPE = "sso:account:access"
"""Clients registered with this scope get refresh tokens (PROTOCOL §8.3)."""


@dataclass(frozen=True)
class Account:
    """One AWS account and the permission sets (roles) the demo user holds in it."""

    account_id: str
    name: str
    email: str
    roles: tuple[str, ...]


ACCOUNTS: tuple[Account, ...] = (
    Account("111111111111", "dev", "dev@example.com", ("AdministratorAccess", "ReadOnlyAccess")),
    Account(
        "222222222222", "staging", "staging@example.com", ("AdministratorAccess", "ReadOnlyAccess")
    ),
    Account("333333333333", "prod", "prod@example.com", ("ReadOnlyAccess", "AdministratorAccess")),
    Account("444444444444", "sandbox", "sandbox@example.com", ("AdministratorAccess",)),
)


def find_account(account_id: str) -> Account | None:
    """Return the account with this id, or None when the user is not assigned to it."""
    for account in ACCOUNTS:
        if account.account_id == account_id:
            return account
    return None
