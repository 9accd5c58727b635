"""What STS and IAM say of a long-lived key, asked with the key itself.

Three questions, each answered or "could not learn X: why": the account and
IAM user (sts:GetCallerIdentity, which no policy can deny), the key's age and
status (iam:ListAccessKeys without a user name: the caller's own keys) and its
last use (iam:GetAccessKeyLastUsed). The last two need IAM permissions that
many users lack: AccessDenied is an answer to report, not a failure. All the
calls of all the keys are made at once, each with shellsso's short timeouts
(core/timeouts.py), and an endpoint found unreachable is not asked again: twenty
keys cost about one round trip, and a silent network two timeouts.
AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS apply, as in botocore. Also
here: the two calls that retire a key (UpdateAccessKey, DeleteAccessKey).
"""

from __future__ import annotations

import os

from shellsso.core.clock import parse_timestamp
from shellsso.core.secrets import remember

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional, Tuple

    from shellsso.keys.inventory import Key

ACCOUNT, AGE, LAST_USE = "account", "age", "last use"
"""What the listing may fail to learn (the `what` of `Facts.unknown`)."""

DEFAULT_REGION = "us-east-1"
MAX_WORKERS = 64  # each call mostly waits: all of twenty keys' sixty calls at once


class Facts:
    """What the services said of one key; each unanswered question is in `unknown`."""

    __slots__ = ("account", "arn", "user", "created", "status", "last_used", "last_region",
                 "last_service", "unknown")

    def __init__(self) -> None:
        self.account: Optional[str] = None
        self.arn: Optional[str] = None
        self.user: Optional[str] = None  # the IAM user's name, `root` for the root user
        self.created: Optional[float] = None  # epoch seconds
        self.status: Optional[str] = None  # Active or Inactive
        self.last_used: Optional[float] = None  # None with last_service "N/A": never used
        self.last_region: Optional[str] = None
        self.last_service: Optional[str] = None
        self.unknown: List[Tuple[str, str]] = []  # (what, why)

    def why_unknown(self, what: str) -> Optional[str]:
        return next((why for name, why in self.unknown if name == what), None)


SHORT, ARN_LIMIT = 128, 2048
"""The longest user name, status, region or service name kept (IAM's are under 128), and
the longest ARN (IAM's limit): an endpoint's megabyte of text is not a fact."""


def _text(value: Any, limit: int = SHORT) -> Optional[str]:
    text = str(value or "")
    return (text if len(text) <= limit else text[:limit] + "...") or None


def user_of(arn: str) -> Optional[str]:
    """The IAM user an ARN names (`arn:aws:iam::1:user/path/alice` -> alice; root -> root)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam":
        return None
    resource = parts[5]
    if resource == "root":
        return "root"
    if resource.startswith("user/"):
        return _text(resource.rsplit("/", 1)[-1])
    return None


def reason(exc: BaseException, client: Any = None) -> str:
    """Why a call failed, in a few words: the service's code and message, or the network's."""
    from botocore.exceptions import BotoCoreError, ClientError

    from shellsso.sso import oidc

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "error")
        message = " ".join(str(error.get("Message") or "").split())[:200]
        return f"{code}: {message}" if message else code
    if isinstance(exc, BotoCoreError) and oidc.is_network_error(exc):
        where = oidc.endpoint_of(client) if client is not None else "the endpoint"
        return f"cannot reach {where}: {oidc.short(exc)}"
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def regions_of_profiles() -> Dict[str, str]:
    """{profile: region} as botocore reads both files (read once for every key)."""
    from shellsso.awsconfig.model import load_config, setting_text
    from shellsso.core.errors import ConfigError

    try:
        config = load_config()
    except ConfigError:
        return {}
    found = {}
    for name, values in config.profiles.items():
        region = setting_text(values, "region")
        if region:
            found[name] = region
    return found


def region_for(key: Key, regions: Dict[str, str]) -> str:
    """The region the STS call goes to: the profile's, the environment's, else us-east-1.

    IAM is global; STS answers in every region of the key's partition.
    """
    region = regions.get(key.profile) if key.profile is not None else None
    return region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") \
        or DEFAULT_REGION


def session() -> Any:
    """A boto3 session that selects no profile, whatever AWS_PROFILE says.

    The keys are given to each client; the session only brings botocore's
    models and the endpoint variables. One session serves every client, so
    that twenty keys load the models once.
    """
    import boto3
    import botocore.session

    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return boto3.session.Session(botocore_session=core)


def client(boto: Any, service: str, region: str,
           creds: Tuple[str, str, Optional[str]]) -> Any:
    """A client for STS or IAM signed with `creds` (key id, secret, token), with short timeouts."""
    from shellsso.core.timeouts import client_config
    from shellsso.sso import oidc

    remember(*creds)  # the key id too: shown masked, never whole, even when an endpoint quotes it
    return oidc.watch(boto.client(service, region_name=region, config=client_config(region),
                                  aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                                  aws_session_token=creds[2]))


def _ask(call: Callable[[], Any], client_: Any, dead: Dict[str, str]) -> Tuple[Any,
                                                                           Optional[str]]:
    """(answer, None) or (None, why).

    An endpoint that could not be reached is not asked again in this run
    (`dead`: {endpoint: why}): the calls still queued for it fail at once
    with the same reason, so a black-holed network costs one timeout, not
    one per key.
    """
    from botocore.exceptions import BotoCoreError

    from shellsso.sso import oidc

    endpoint = str(getattr(getattr(client_, "meta", None), "endpoint_url", ""))
    if endpoint in dead:
        return None, dead[endpoint]
    try:
        return call(), None
    except Exception as exc:  # noqa: BLE001 - every failure is a reason to report
        why = reason(exc, client_)
        if isinstance(exc, BotoCoreError) and oidc.is_network_error(exc):
            dead[endpoint] = why
        return None, why


def deadline(calls: int) -> float:
    """Seconds all these calls may take, however an endpoint answers.

    A call is given what its tries may take (core/timeouts.answer_deadline) and one
    second; the calls beyond MAX_WORKERS wait their turn.
    """
    from shellsso.core.timeouts import answer_deadline

    rounds = -(-calls // MAX_WORKERS)
    return rounds * (answer_deadline() + 1)


class _Job:
    """One question of one key, answered into private Facts merged once it is done."""

    __slots__ = ("ask", "facts", "what", "where", "done")

    def __init__(self, ask: Callable[[Facts], None], what: str, where: str) -> None:
        self.ask = ask
        self.facts = Facts()
        self.what = what  # ACCOUNT, AGE or LAST_USE
        self.where = where  # the endpoint, for "did not answer"
        self.done = False

    def run(self) -> None:
        try:
            self.ask(self.facts)
        except Exception as exc:  # noqa: BLE001 - a reason to report, never a traceback
            self.facts.unknown.append((self.what, reason(exc)))
        self.done = True


def run_within(jobs: List[_Job], seconds: float) -> None:
    """Run the jobs at once (at most MAX_WORKERS at a time) for at most `seconds`.

    The threads are daemons: one stuck in an endless answer is left behind
    rather than waited for, at the deadline and at exit.
    """
    import threading

    queue = list(reversed(jobs))
    lock = threading.Lock()
    finished = threading.Semaphore(0)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            job.run()
            finished.release()

    for _ in range(min(MAX_WORKERS, len(jobs))):
        threading.Thread(target=worker, daemon=True).start()
    import time

    end = time.monotonic() + seconds
    for _ in jobs:
        if not finished.acquire(timeout=max(0.0, end - time.monotonic())):
            return


def _late(job: _Job, seconds: float) -> str:
    return f"{job.where} did not answer within {seconds:.0f} s"


def _caller(facts: Facts, sts: Any, dead: Dict[str, str]) -> None:
    answer, why = _ask(sts.get_caller_identity, sts, dead)
    if why is not None:
        facts.unknown.append((ACCOUNT, why))
        return
    account, arn = str(answer.get("Account") or ""), str(answer.get("Arn") or "")
    parts = arn.split(":", 5)
    if not (len(account) == 12 and account.isascii() and account.isdigit()) \
            or len(parts) != 6 or parts[4] != account:
        # retire picks the SSO profile by this account: one STS cannot vouch for is no account
        facts.unknown.append((ACCOUNT, f"STS answered account '{account[:40]}' for ARN "
                                       f"'{arn[:200]}'"))
        return
    facts.account, facts.arn, facts.user = account, _text(arn, ARN_LIMIT), user_of(arn)


def _age(facts: Facts, iam: Any, key_id: str, dead: Dict[str, str]) -> None:
    answer, why = _ask(iam.list_access_keys, iam, dead)
    if why is not None:
        facts.unknown.append((AGE, why))
        return
    for item in answer.get("AccessKeyMetadata") or []:
        if item.get("AccessKeyId") == key_id:
            created = item.get("CreateDate")
            stamp = getattr(created, "timestamp", None)
            facts.created = float(stamp()) if callable(stamp) else parse_timestamp(created)
            facts.status = _text(item.get("Status"))
            if facts.user is None and item.get("UserName"):
                facts.user = _text(item["UserName"])
            return
    facts.unknown.append((AGE, "ListAccessKeys does not list this key"))


def _last_use(facts: Facts, iam: Any, key_id: str, dead: Dict[str, str]) -> None:
    answer, why = _ask(lambda: iam.get_access_key_last_used(AccessKeyId=key_id), iam, dead)
    if why is not None:
        facts.unknown.append((LAST_USE, why))
        return
    used = answer.get("AccessKeyLastUsed") or {}
    date = used.get("LastUsedDate")
    stamp = getattr(date, "timestamp", None)
    facts.last_used = float(stamp()) if callable(stamp) else parse_timestamp(date)
    facts.last_region = _text(used.get("Region"))
    facts.last_service = _text(used.get("ServiceName"))


def learn_all(keys: List[Key]) -> List[Facts]:
    """The facts of each key (same order), asking STS and IAM concurrently."""
    facts = [Facts() for _ in keys]
    jobs: List[Tuple[Facts, _Job]] = []
    boto: Any = None
    dead: Dict[str, str] = {}
    regions = regions_of_profiles() if any(key.profile for key in keys) else {}
    for key, found in zip(keys, facts):
        if not key.secret:
            why = f"there is no {'AWS_SECRET_ACCESS_KEY' if key.profile is None else 'aws_secret_access_key'} beside the key id"  # noqa: E501
            found.unknown += [(ACCOUNT, why), (AGE, why), (LAST_USE, why)]
            continue
        creds = (key.key_id, key.secret, None)
        try:
            boto = boto or session()
            sts = client(boto, "sts", region_for(key, regions), creds)
            iam = client(boto, "iam", DEFAULT_REGION, creds)
        except Exception as exc:  # noqa: BLE001 - a key id botocore refuses, a broken config
            why = reason(exc)
            found.unknown += [(ACCOUNT, why), (AGE, why), (LAST_USE, why)]
            continue
        from shellsso.sso import oidc

        jobs += [(found, _Job(_bind(_caller, sts, dead), ACCOUNT, oidc.endpoint_of(sts))),
                 (found, _Job(_bind(_age, iam, key.key_id, dead), AGE, oidc.endpoint_of(iam))),
                 (found, _Job(_bind(_last_use, iam, key.key_id, dead), LAST_USE,
                              oidc.endpoint_of(iam)))]
    limit = deadline(len(jobs))
    run_within([job for _, job in jobs], limit)
    for found, job in jobs:  # the caller's answer first: its user wins over ListAccessKeys'
        _merge(found, job.facts if job.done else None, job, limit)
    for found in facts:  # the order of `unknown` is the order of the questions
        order = (ACCOUNT, AGE, LAST_USE)
        found.unknown.sort(key=lambda item: order.index(item[0]))
    return facts


def _bind(function: Callable[..., None], *args: Any) -> Callable[[Facts], None]:
    return lambda facts: function(facts, *args)


def _merge(facts: Facts, answer: Optional[Facts], job: _Job, limit: float) -> None:
    """A finished job's answer into the key's facts; an unfinished one's: no answer in time."""
    if answer is None:
        facts.unknown.append((job.what, _late(job, limit)))
        return
    for name in Facts.__slots__:
        if name == "unknown":
            facts.unknown += answer.unknown
        elif getattr(facts, name) is None:
            setattr(facts, name, getattr(answer, name))


# --- retiring ----------------------------------------------------------------------------


def account_of_key(creds: Tuple[str, str, Optional[str]], key_id: str, region: str
                   ) -> Tuple[Optional[str], Optional[str]]:
    """(the account a key id belongs to, None) or (None, why), asked with other credentials.

    sts:GetAccessKeyInfo answers any caller for any key id: retire asks it
    with the SSO role's credentials when the key itself cannot say (it was
    deactivated or deleted), so that no profile moves to another account.
    """
    from shellsso.sso import oidc

    sts = client(session(), "sts", region, creds)

    def ask(facts: Facts) -> None:
        facts.account = str(sts.get_access_key_info(AccessKeyId=key_id).get("Account") or "")

    job = _Job(ask, ACCOUNT, oidc.endpoint_of(sts))
    limit = deadline(1)
    run_within([job], limit)
    if not job.done:
        return None, _late(job, limit)
    if job.facts.unknown:
        return None, job.facts.unknown[0][1]
    account = job.facts.account or ""
    if not (len(account) == 12 and account.isascii() and account.isdigit()):
        return None, f"STS answered account '{account[:40]}'"
    return account, None


def change_key(creds: Tuple[str, str, Optional[str]], key_id: str, user: Optional[str],
               delete: bool) -> None:
    """Set the key Inactive, or delete it; raises ShellssoError with the reason.

    `user` is needed when `creds` are not the key's own (an SSO role's).
    """
    from shellsso.core.errors import ShellssoError
    from shellsso.sso import oidc

    iam = client(session(), "iam", DEFAULT_REGION, creds)
    extra: Dict[str, str] = {"UserName": user} if user else {}

    def change(facts: Facts) -> None:
        try:
            if delete:
                iam.delete_access_key(AccessKeyId=key_id, **extra)
            else:
                iam.update_access_key(AccessKeyId=key_id, Status="Inactive", **extra)
        except Exception as exc:  # noqa: BLE001 - the reason is the message
            facts.unknown.append(("", reason(exc, iam)))

    job = _Job(change, "", oidc.endpoint_of(iam))
    limit = deadline(1)
    run_within([job], limit)
    if not job.done:
        raise ShellssoError(_late(job, limit))
    if job.facts.unknown:
        raise ShellssoError(job.facts.unknown[0][1])
