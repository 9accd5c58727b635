"""The picker's model: one row per profile, the matcher and the order.

Pure functions over the parsed config and the recency history; the terminal
(picker.tui) and fzf (picker.fzf) only draw what this module decides, so both
match and order alike.

Matching: every space-separated word of the query must be a case-insensitive
substring of one field of a row: the profile name, account id, account name,
role or region (so `prod admin`, `3333`, `readonly eu` all work). A word
never spans two fields. Order: most recently switched to first, then by name.
"""

from __future__ import annotations

from shellsso.awsconfig.model import setting_text
from shellsso.core.safety import visible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any

    from shellsso.awsconfig.model import AwsConfig

# Fields joined with a character no query word holds (words are split at whitespace).
_SEP = "\t"


class Entry:
    """One profile as the picker shows it (a plain class: this runs at 10,000 profiles)."""

    __slots__ = ("name", "account", "account_name", "role", "region", "active", "haystack")

    def __init__(self, name: str, account: str, account_name: str, role: str, region: str,
                 active: bool = False, haystack: str = "") -> None:
        self.name = name
        self.account = account
        self.account_name = account_name
        self.role = role
        self.region = region
        self.active = active
        self.haystack = haystack or _SEP.join((name, account, account_name, role, region)).lower()

    def fields(self) -> tuple[str, str, str, str, str, str]:
        """What the rows cache keeps: the five fields and the haystack."""
        return (self.name, self.account, self.account_name, self.role, self.region,
                self.haystack)

    def cells(self) -> list[str]:
        """The columns as shown, control characters replaced."""
        return [visible(self.name), visible(self.account), visible(self.account_name),
                visible(self.role), visible(self.region)]

    def __repr__(self) -> str:
        return f"Entry({self.name!r})"


def from_role_arn(arn: str) -> tuple[str, str]:
    """(account id, role name) of `arn:aws:iam::123456789012:role/path/Name`; blanks otherwise."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or not parts[5].startswith("role/"):
        return "", ""
    return parts[4], parts[5].rsplit("/", 1)[-1]


def entry_for(name: str, values: Mapping[str, object], active: bool = False) -> Entry:
    """A profile's row: SSO keys first, else what its role_arn names."""
    # Inline lookups rather than a helper per key: this runs for every profile on opening.
    account = values.get("sso_account_id", "")
    role = values.get("sso_role_name", "")
    account_name = values.get("sso_account_name", "")
    region = values.get("region", "")
    if not (account and role) and "role_arn" in values:
        arn_account, arn_role = from_role_arn(setting_text(values, "role_arn") or "")
        account = account or arn_account
        role = role or arn_role
    # A nested value (`s3 =` and indented lines) where text belongs shows as nothing.
    return Entry(name, account if isinstance(account, str) else "",
                 account_name if isinstance(account_name, str) else "",
                 role if isinstance(role, str) else "",
                 region if isinstance(region, str) else "", active)


def sections(profiles: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, object]]]:
    """(name, keys) of every profile, in file order.

    Behind the config index, items() reads the whole table in one go (its
    full copy), not one lookup per profile.
    """
    yield from profiles.items()


def config_rows(config: AwsConfig) -> list[Entry]:
    """Every profile of the config, in file order."""
    return [entry_for(name, values) for name, values in sections(config.profiles)]


def entries(config: AwsConfig, active: str, recency: Mapping[str, int]) -> list[Entry]:
    """Every profile of the config, in the picker's order, the active one marked."""
    return arranged(config_rows(config), active, recency)


def arranged(rows: list[Entry], active: str, recency: Mapping[str, int]) -> list[Entry]:
    """`rows` in the picker's order with the active profile marked."""
    for row in rows:
        if row.name == active:
            row.active = True
    return ordered(rows, recency)


def ordered(rows: list[Entry], recency: Mapping[str, int]) -> list[Entry]:
    """Most recently used first (rank 0 is the latest), the others by name."""
    unused = len(recency)
    return sorted(rows, key=lambda e: (recency.get(e.name, unused), e.name))


def words(query: str) -> list[str]:
    """The query's words, lower-cased; blanks only separate."""
    return query.lower().split()


def matches(entry: Entry, query_words: Sequence[str]) -> bool:
    """True when every word is a substring of one of the entry's fields."""
    haystack = entry.haystack
    return all(word in haystack for word in query_words)


def filter_entries(rows: Sequence[Entry], query: str) -> list[Entry]:
    """The rows matching every word of `query`, order kept."""
    wanted = words(query)
    if not wanted:
        return list(rows)
    result = list(rows)
    # One word at a time over a shrinking list: the first word does most of the work.
    for word in wanted:
        result = [e for e in result if word in e.haystack]
    return result


class Filter:
    """filter_entries with memory: typing on narrows the last result instead of all rows.

    When the new query extends the last one, every old word is a substring of
    a new word, so the new matches are among the old ones.
    """

    def __init__(self, rows: Sequence[Entry]) -> None:
        self.rows = rows
        self.query = ""
        self.result: list[Entry] = list(rows)

    def __call__(self, query: str) -> list[Entry]:
        if query == self.query:
            return self.result
        base = self.result if query.startswith(self.query) else self.rows
        self.query = query
        self.result = filter_entries(base, query)
        return self.result
