"""`shellsso keys`: every long-lived key, what STS and IAM say of it, as text or JSON.

The JSON fields (documented in docs/keys.md) are stable; each value is
shown as a terminal shows text (core/safety.shown: secrets hidden, control
characters as `?`), so a hostile key id or profile name reaches no terminal
raw, and the secret of a key never appears: only `Key.masked` ids are output.
"""

from __future__ import annotations

import time

from shellsso.core.safety import shown
from shellsso.keys import iam, inventory

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    from shellsso.keys.inventory import Key

SSO_PROFILES = "SSO profiles"
DAY = 86400


def _iso(when: Optional[float]) -> Optional[str]:
    return None if when is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _day(when: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(when))


def _na(value: Optional[str]) -> Optional[str]:
    """IAM's `N/A` (a key never used) as no value."""
    return None if value in (None, "", "N/A") else value


class Entry:
    """One key, its facts and the SSO profiles of its account: a row of the listing."""

    def __init__(self, key: Key, facts: iam.Facts, sso: Optional[List[str]],
                 sso_why: Optional[str], hint: str) -> None:
        self.key = key
        self.facts = facts
        self.sso = sso  # None: unknown (why in sso_why); []: none reaches the account
        self.sso_why = sso_why
        self.hint = hint  # what to run when no SSO profile reaches the account

    @property
    def account(self) -> Optional[str]:
        return self.facts.account or self.key.account_id

    def unknown(self) -> List[Dict[str, str]]:
        found = [{"what": what, "why": why} for what, why in self.facts.unknown]
        if self.sso is None and self.sso_why is not None:
            found.append({"what": SSO_PROFILES, "why": self.sso_why})
        return found

    def to_json(self, now: float) -> Dict[str, Any]:
        facts, key = self.facts, self.key
        age = None if facts.created is None else max(0, int((now - facts.created) // DAY))
        used: Optional[Dict[str, Optional[str]]] = None
        if facts.why_unknown(iam.LAST_USE) is None:
            used = {"date": _iso(facts.last_used), "region": _na(facts.last_region),
                    "service": _na(facts.last_service)}
        document: Dict[str, Any] = {
            "source": key.source,
            "file": key.path,
            "profile": key.profile,
            "variable": inventory.ENV_KEY_ID if key.source == inventory.ENVIRONMENT else None,
            "keyId": key.masked,
            "account": self.account,
            "arn": facts.arn,
            "user": facts.user,
            "created": _iso(facts.created),
            "ageDays": age,
            "status": facts.status,
            "lastUsed": used,
            "ssoProfiles": self.sso,
            "retire": self.retire_command(),
            "unknown": self.unknown(),
        }
        cleaned: Dict[str, Any] = _clean(document)
        return cleaned

    def retire_command(self) -> Optional[str]:
        if self.key.profile is None:
            return None
        return inventory.retire_command(self.key.profile)

    def lines(self, now: float) -> List[str]:
        facts, key = self.facts, self.key
        out = [f"{key.where}: {key.masked}"]
        if self.account or facts.user:
            who = [f"account {self.account}" if self.account else "",
                   f"IAM user {facts.user}" if facts.user else ""]
            out.append("  " + ", ".join(part for part in who if part))
        if facts.created is not None:
            days = max(0, int((now - facts.created) // DAY))
            status = f", {facts.status}" if facts.status else ""
            out.append(f"  created {_day(facts.created)} ({days} days ago){status}")
        if facts.why_unknown(iam.LAST_USE) is None:
            if facts.last_used is None:
                out.append("  never used")
            else:
                where = f" in {_na(facts.last_region)}" if _na(facts.last_region) else ""
                what = f" by {_na(facts.last_service)}" if _na(facts.last_service) else ""
                out.append(f"  last used {_day(facts.last_used)}{where}{what}")
        if self.sso:
            out.append(f"  SSO profiles for this account: {', '.join(self.sso)}")
        elif self.sso is not None:
            out.append(f"  SSO profiles for this account: none: {self.hint}")
        out += [f"  could not learn {item['what']}: {item['why']}" for item in self.unknown()]
        retire = self.retire_command()
        if retire is not None:
            out.append(f"  to retire it: {retire}")
        else:
            out.append("  to retire it: unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY, then "
                       "`awsuse PROFILE` with an SSO profile")
        return [shown(line) for line in out]


def _clean(value: Any) -> Any:
    """Every string of a JSON document as `shown` makes it."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def gather() -> Tuple[List[Entry], List[str]]:
    """Every key with what could be learnt of it, and the files that could not be read."""
    problems: List[str] = []
    keys = inventory.find_keys(problems)
    facts = iam.learn_all(keys)
    sso, sso_why, hint = _sso_map()
    entries = []
    for key, found in zip(keys, facts):
        account = found.account or key.account_id
        if sso is None:
            reach, why = None, sso_why
        elif account is None:
            reach, why = None, "the key's account is unknown"
        else:
            reach, why = sso.get(account, []), None
        entries.append(Entry(key, found, reach, why, hint))
    from shellsso.keys import known

    known.remember_created({key.key_id: found.created for key, found in zip(keys, facts)
                            if found.created is not None})
    return entries, problems


def _sso_map() -> Tuple[Optional[Dict[str, List[str]]], Optional[str], str]:
    """({account: SSO profiles}, why it is unknown, what to run when none reaches one)."""
    from shellsso.awsconfig.model import load_config
    from shellsso.core.errors import ConfigError

    try:
        config = load_config()
    except ConfigError as exc:
        return None, exc.message, ""
    hint = ("run `shellsso populate` to write a profile for every account and role"
            if len(config.sessions) else "run `shellsso configure` to set up Identity Center")
    return inventory.sso_profiles_by_account(config), None, hint
