"""The accounts and roles an SSO token reaches: every page, many accounts at once.

ListAccounts and ListAccountRoles are paginated, and the portal answers
TooManyRequestsException when called too fast (large organisations hit it,
PROTOCOL §9.4). Role lists are fetched by a bounded pool of threads sharing
one client (botocore clients are thread-safe); a throttled call is retried
with capped exponential backoff and full jitter, as botocore's standard retry
mode does, but without its retry quota, which a burst of throttles exhausts.

Import this module only where the network is needed: it imports boto3.
"""

from __future__ import annotations

import functools
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from shellsso.config import SsoTarget
from shellsso.errors import LoginRequired

T = TypeVar("T")

POOL_SIZE = 8
MAX_ATTEMPTS = 10
BASE_DELAY = 0.2
MAX_DELAY = 10.0
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
_RETRIED = frozenset({"TooManyRequestsException", "ThrottlingException",
                      "InternalServerException", "ServiceUnavailableException"})


class Account:
    """One account the token reaches."""

    __slots__ = ("account_id", "name", "email")

    def __init__(self, account_id: str, name: str, email: str) -> None:
        self.account_id = account_id
        self.name = name
        self.email = email

    def __repr__(self) -> str:
        return f"Account({self.account_id!r}, {self.name!r})"


class Portal:
    """ListAccounts / ListAccountRoles for one token, retried and paginated."""

    def __init__(self, target: SsoTarget, access_token: str, pool_size: int = POOL_SIZE,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        from botocore.config import Config

        from shellsso import netconf

        self.target = target
        self.token = access_token
        self.pool_size = pool_size
        self.sleep = sleep
        self.throttled = 0
        self._count_lock = threading.Lock()
        # One try each (retried here, below), with the timeouts of every client.
        config = netconf.client_config(target.region, 1, unsigned=True).merge(
            Config(max_pool_connections=max(pool_size, 10)))
        from shellsso import oidc

        self.client = oidc.make_client("sso", target, config=config)

    def _call(self, operation: str, func: Callable[[], T]) -> T:
        import botocore.exceptions

        from shellsso import oidc

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
                        f"again: {oidc.login_hint(self.target)}") from None
                raise oidc.translate(exc, self.client, operation, self.target,
                                     "SSO portal") from None
            except botocore.exceptions.BotoCoreError as exc:
                raise oidc.translate(exc, self.client, operation, self.target,
                                     "SSO portal") from None

    def _pages(self, operation: str, method: Callable[..., Dict[str, Any]], result_key: str,
               **kwargs: Any) -> List[Dict[str, Any]]:
        items: List[Dict[str, Any]] = []
        token: Optional[str] = None
        seen = set()
        while True:
            call_args = dict(kwargs, accessToken=self.token)
            if token:
                call_args["nextToken"] = token
            page = self._call(operation, functools.partial(method, **call_args))
            items.extend(page.get(result_key) or [])
            token = page.get("nextToken")
            if not token or token in seen:
                return items
            seen.add(token)

    def accounts(self) -> List[Account]:
        """Every account, all pages, sorted by name then id.

        What the portal sends ends up in the config file: an id that is not
        twelve digits is dropped with a warning rather than written.
        """
        raw = self._pages("ListAccounts", self.client.list_accounts, "accountList")
        accounts = [Account(str(a.get("accountId", "")), " ".join(
                            str(a.get("accountName") or "").split()),
                            str(a.get("emailAddress") or "")) for a in raw]
        good = [a for a in accounts if _ACCOUNT_ID.match(a.account_id)]
        if len(good) != len(accounts):
            from shellsso.output import warn

            warn(f"ignoring {len(accounts) - len(good)} account(s) whose id the portal sent "
                 "malformed")
        good.sort(key=lambda a: (a.name.lower(), a.account_id))
        return good

    def roles(self, account_id: str) -> List[str]:
        """The role names of one account, all pages, sorted (malformed names dropped)."""
        raw = self._pages("ListAccountRoles", self.client.list_account_roles, "roleList",
                          accountId=account_id)
        names = {str(r.get("roleName")) for r in raw if r.get("roleName")}
        good = {n for n in names if _ROLE_NAME.match(n)}
        if len(good) != len(names):
            from shellsso.output import warn

            warn(f"ignoring {len(names) - len(good)} malformed role name(s) in account "
                 f"{account_id}")
        return sorted(good)

    def all_roles(self, accounts: List[Account],
                  progress: Optional[Callable[[int, int], None]] = None,
                  ) -> List[Tuple[Account, List[str]]]:
        """Roles of every account, fetched `pool_size` at a time, in the accounts' order."""
        done = [0]
        lock = threading.Lock()

        def one(account: Account) -> List[str]:
            roles = self.roles(account.account_id)
            if progress is not None:
                with lock:
                    done[0] += 1
                    progress(done[0], len(accounts))
            return roles

        if not accounts:
            return []
        with ThreadPoolExecutor(max_workers=min(self.pool_size, len(accounts))) as pool:
            results = list(pool.map(one, accounts))
        return list(zip(accounts, results))
