"""The organisation the emulator serves: the small demo one, or a generated one.

Kept as plain data so tests, the CLI's sample config and the portal handlers
all agree on the same accounts and roles. `generate` makes an organisation of
any size (`shellsso emulator --accounts 500 --roles 3`) for populate and the
pickers; tests may change one while the emulator runs (an account removed).
"""

from __future__ import annotations

from dataclasses import dataclass

START_URL = "https://d-1234567890.awsapps.com/start"
"""AWS-owned-looking start URL: CLI >= 2.35.13 refuses to resolve anything else offline."""

REGION = "us-east-1"

REFRESH_SCOPE = "sso:account:access"
"""Clients registered with this scope get refresh tokens (docs/protocol.md §4.8)."""


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


ROLE_NAMES = ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "ViewOnlyAccess",
              "Billing", "SecurityAudit", "DatabaseAdministrator", "NetworkAdministrator")
_TEAMS = ("payments", "search", "identity", "data-platform", "ml", "web", "mobile", "billing",
          "logistics", "Shared Services", "security", "networking", "analytics", "platform")
_STAGES = ("dev", "staging", "prod", "sandbox", "qa")


class Organisation:
    """Accounts and their roles; a lock-free snapshot swap keeps readers consistent."""

    def __init__(self, accounts: tuple[Account, ...] | list[Account] = ACCOUNTS) -> None:
        self.accounts: tuple[Account, ...] = tuple(accounts)

    def find(self, account_id: str) -> Account | None:
        """The account with this id, or None when the user is not assigned to it."""
        for account in self.accounts:
            if account.account_id == account_id:
                return account
        return None

    def remove(self, account_id: str) -> None:
        """Unassign the user from an account (as an administrator would)."""
        self.accounts = tuple(a for a in self.accounts if a.account_id != account_id)

    def add(self, account: Account) -> None:
        self.accounts = (*self.accounts, account)


def generate(accounts: int, roles: int) -> Organisation:
    """A deterministic organisation: names like `payments-prod-007`, ids from 100000000000.

    A few names have capitals and spaces (`Shared Services-dev-010`), as real
    account names do, so that profile-name cleaning is exercised.
    """
    roles = max(1, min(roles, len(ROLE_NAMES)))
    made = []
    for i in range(accounts):
        team = _TEAMS[i % len(_TEAMS)]
        stage = _STAGES[(i // len(_TEAMS)) % len(_STAGES)]
        name = f"{team}-{stage}-{i:03d}"
        slug = name.lower().replace(" ", "-")
        made.append(Account(f"{100000000000 + i:012d}", name, f"aws+{slug}@example.com",
                            ROLE_NAMES[:roles]))
    return Organisation(made)


DEMO = Organisation(ACCOUNTS)


def find_account(account_id: str) -> Account | None:
    """The demo organisation's account with this id, or None."""
    return DEMO.find(account_id)
