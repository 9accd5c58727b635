"""The accounts and roles an SSO token reaches: every page, many accounts at once.

ListAccounts and ListAccountRoles are paginated, and the portal answers
TooManyRequestsException when called too fast (large organisations hit it,
docs/protocol.md §5.2). Role lists are fetched by a bounded pool of threads sharing
one client (botocore clients are thread-safe); a throttled call is retried
with capped exponential backoff and full jitter, as botocore's standard retry
mode does, but without its retry quota, which a burst of throttles exhausts.

Import this module only where the network is needed: it imports boto3.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from shellsso.awsconfig.model import SsoTarget
from shellsso.core.errors import LoginRequired, ShellssoError

T = TypeVar("T")

POOL_SIZE = 8
MAX_ATTEMPTS = 10
BASE_DELAY = 0.2
MAX_DELAY = 10.0
MAX_PAGES = 10_000
"""Pages of one listing: 10,000 pages are hundreds of thousands of accounts, far more
than any organisation has; a portal that sends more is looping."""
SHOWN_SKIPPED = 3  # the odd values a note quotes; the rest are counted
# Whole strings of ASCII (re.ASCII: `\d` and `\w` would take any script's digits and
# letters, and `$` a trailing newline): what AWS issues, what botocore reads back.
_ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
_ROLE_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}", re.ASCII)  # IAM's role-name rule
_RETRIED = frozenset({"TooManyRequestsException", "ThrottlingException",
                      "InternalServerException", "ServiceUnavailableException"})


class Account:
    """One account the token reaches, its name and e-mail fit for a terminal line."""

    __slots__ = ("account_id", "name", "email")

    def __init__(self, account_id: str, name: str, email: str) -> None:
        self.account_id = account_id
        self.name = name
        self.email = email

    def __repr__(self) -> str:
        return f"Account({self.account_id!r}, {self.name!r})"


def portal_text(value: object) -> str:
    """A name or address as the portal sent it, made one line of plain text.

    Whitespace runs (line breaks included) become one space; control and
    line-reordering characters become `?` and remembered secrets `<hidden>`
    (safety.shown), so that configure's list, populate's lines and the
    config file show what a terminal cannot act on.
    """
    from shellsso.core.safety import shown

    return shown(" ".join(str(value if value is not None else "").split()))


def _note_skipped(values: List[object], what: str) -> None:
    """One note on stderr for values the portal sent that are not what AWS issues.

    The first few are quoted as Python escapes them (`'1111\\n'`), so that
    what makes them odd shows, and nothing of them acts on the terminal.
    """
    if not values:
        return
    from shellsso.core.output import warn

    quoted = ", ".join(repr(v)[:40] for v in values[:SHOWN_SKIPPED])
    more = f" and {len(values) - SHOWN_SKIPPED} more" if len(values) > SHOWN_SKIPPED else ""
    warn(f"ignoring {len(values)} {what}: {quoted}{more}")


class _Stopped(Exception):
    """Another listing of the same run failed: this one stops before its next call."""


class Portal:
    """ListAccounts / ListAccountRoles for one token, retried and paginated."""

    def __init__(self, target: SsoTarget, access_token: str, pool_size: int = POOL_SIZE,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        from botocore.config import Config

        from shellsso.core import timeouts
        self.target = target
        self.token = access_token
        self.pool_size = pool_size
        self.sleep = sleep
        self.throttled = 0
        self._count_lock = threading.Lock()
        self._stop = threading.Event()  # set when one listing of all_roles has failed
        # One try each (retried here, below), with the timeouts of every client.
        config = timeouts.client_config(target.region, 1, unsigned=True).merge(
            Config(max_pool_connections=max(pool_size, 10)))
        from shellsso.sso import oidc
        self.client = oidc.make_client("sso", target, config=config)

    def _call(self, operation: str, func: Callable[[], T]) -> T:
        import botocore.exceptions

        from shellsso.sso import oidc
        attempt = 0
        while True:
            attempt += 1
            try:
                return func()
            except botocore.exceptions.ClientError as exc:
                code = oidc.error_code(exc)
                if code in _RETRIED and attempt < MAX_ATTEMPTS:
                    with self._count_lock:
                        self.throttled += 1
                    self.sleep(random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2 ** attempt)))
                    continue
                if code == "UnauthorizedException":
                    raise LoginRequired(
                        f"the portal rejected the token of {self.target.label}; log in "
                        f"again: {self.target.login_command}") from None
                raise oidc.translate(exc, self.client, operation, self.target,
                                     "SSO portal") from None
            except botocore.exceptions.BotoCoreError as exc:
                raise oidc.translate(exc, self.client, operation, self.target,
                                     "SSO portal") from None

    def _pages(self, operation: str, method: Callable[..., Dict[str, Any]], result_key: str,
               **kwargs: Any) -> List[object]:
        """Every item of every page, up to MAX_PAGES; a page token met twice is refused.

        A portal that pages for ever would take memory and time without end:
        both stop with one line rather than a partial list (populate --prune
        would remove the profiles of the accounts it missed).
        """
        items: List[object] = []
        token: Optional[str] = None
        seen = set()
        for _ in range(MAX_PAGES):
            if self._stop.is_set():
                raise _Stopped()
            call_args = dict(kwargs, accessToken=self.token)
            if token:
                call_args["nextToken"] = token
            page = self._call(operation, functools.partial(method, **call_args))
            found = page.get(result_key)
            if isinstance(found, list):
                items.extend(found)
            token = page.get("nextToken")
            if not token:
                return items
            if not isinstance(token, str):
                raise ShellssoError(f"the SSO portal sent a {operation} page token that is not "
                                    "text; stopped listing")
            digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
            if digest in seen:
                raise ShellssoError(f"the SSO portal sent the same {operation} page token "
                                    "twice: its list would never end; stopped listing")
            seen.add(digest)
        raise ShellssoError(f"the SSO portal sent more than {MAX_PAGES:,} pages of {operation} "
                            "(a list that never ends); stopped listing")

    def accounts(self) -> List[Account]:
        """Every account, all pages, once each, sorted by name then id.

        What the portal sends ends up in the config file: an id that is not
        twelve ASCII digits is left out with a note rather than written.
        """
        raw = self._pages("ListAccounts", self.client.list_accounts, "accountList")
        accounts: Dict[str, Account] = {}
        odd: List[object] = []
        for item in raw:
            account_id = item.get("accountId") if isinstance(item, dict) else item
            if not isinstance(account_id, str) or not _ACCOUNT_ID.fullmatch(account_id):
                odd.append(account_id)
            elif account_id not in accounts:
                assert isinstance(item, dict)
                accounts[account_id] = Account(account_id, portal_text(item.get("accountName")),
                                               portal_text(item.get("emailAddress")))
        _note_skipped(odd, "account(s) whose id the portal sent malformed (not 12 digits 0-9)")
        return sorted(accounts.values(), key=lambda a: (a.name.lower(), a.account_id))

    def roles(self, account_id: str) -> List[str]:
        """The role names of one account, all pages, sorted; names IAM would refuse are left
        out with a note."""
        raw = self._pages("ListAccountRoles", self.client.list_account_roles, "roleList",
                          accountId=account_id)
        names, odd = set(), []
        for item in raw:
            name = item.get("roleName") if isinstance(item, dict) else item
            if isinstance(name, str) and _ROLE_NAME.fullmatch(name):
                names.add(name)
            else:
                odd.append(name)
        _note_skipped(odd, f"malformed role name(s) in account {account_id} (IAM takes 1-64 "
                      "of A-Z a-z 0-9 +=,.@_-)")
        return sorted(names)

    def all_roles(self, accounts: List[Account],
                  progress: Optional[Callable[[int, int], None]] = None,
                  ) -> List[Tuple[Account, List[str]]]:
        """Roles of every account, fetched `pool_size` at a time, in the accounts' order.

        The first listing that fails stops the others before their next call,
        and its error is the one raised.
        """
        done = [0]
        lock = threading.Lock()

        def one(account: Account) -> List[str]:
            try:
                roles = self.roles(account.account_id)
            except BaseException:
                self._stop.set()
                raise
            if progress is not None:
                with lock:
                    done[0] += 1
                    progress(done[0], len(accounts))
            return roles

        if not accounts:
            return []
        with ThreadPoolExecutor(max_workers=min(self.pool_size, len(accounts))) as pool:
            futures = [pool.submit(one, account) for account in accounts]
            try:
                wait(futures)
            except BaseException:  # Ctrl-C: the listings still queued need not run
                self._stop.set()
                raise
        failures = [f.exception() for f in futures if f.exception() is not None]
        first = next((e for e in failures if not isinstance(e, _Stopped)), None)
        if first is not None:
            raise first
        return [(account, f.result()) for account, f in zip(accounts, futures)]
