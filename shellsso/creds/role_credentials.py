"""Temporary credentials for a profile, shared with the AWS CLI v2 cache (`~/.aws/cli/cache`).

The key and JSON of SSO role credentials are the CLI's own (docs/protocol.md §6), so
credentials fetched by either tool serve the other, and `aws sso logout`
sweeps ours too. A cached entry with 15 minutes or more left is used without
touching the network or importing boto3: that is `shellsso export`'s hot path.

Which credentials a profile has follows botocore's provider order (docs/protocol.md
§8): `role_arn` (assume.py), then SSO, then the credentials file's static keys, then
`credential_process`, then the config file's static keys.
"""

from __future__ import annotations

import os
import time

from shellsso.awsconfig.model import (
    AwsConfig,
    SsoTarget,
    profile_from_files,
    profile_in_each_file,
    setting,
)
from shellsso.core import cache_folder, paths
from shellsso.core.clock import format_timestamp, parse_timestamp
from shellsso.core.errors import ConfigError, LoginRequired, NetworkError, ShellssoError
from shellsso.core.fast_stdlib import Record, json_dumps_flat, sha1_hex
from shellsso.core.safety import check_credential_fields, credential_problem
from shellsso.core.secrets import remember

TYPE_CHECKING = False

if TYPE_CHECKING:  # `typing` costs start-up time: annotations only
    from typing import Any, Dict, List, Optional, Tuple

    from shellsso.awsconfig.model import Section

EXPIRY_WINDOW = 15 * 60  # the CLI's CachedCredentialFetcher reuse margin
PROFILE_CHAIN_VAR = "_AWS_CLI_PROFILE_CHAIN"  # the CLI's credential_process recursion guard
MAX_PROCESS_DEPTH = 4
CACHE_FILE = "credential cache file"
NO_CREDENTIALS = "has no usable Credentials"  # an entry of the CLI cache without them


class Credentials(Record):
    """Temporary (or static) AWS credentials; repr never shows the secrets.

    A plain class rather than a dataclass: importing `dataclasses` alone costs
    a fifth of Python's start-up, and `shellsso export` from the cache is a
    hot path.
    """

    __slots__ = ("access_key_id", "secret_access_key", "session_token", "expiration",
                 "account_id")

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: Optional[str] = None,
        expiration: Optional[float] = None,  # epoch seconds; None for static keys
        account_id: Optional[str] = None,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        self.expiration = expiration
        self.account_id = account_id
        remember(secret_access_key, session_token)

    def __repr__(self) -> str:
        from shellsso.core.safety import masked_key_id

        shown = masked_key_id(self.access_key_id)
        return (
            f"Credentials(access_key_id='{shown}', secret_access_key=<hidden>, "
            f"session_token={'<hidden>' if self.session_token else None}, "
            f"expiration={self.expiration!r}, account_id={self.account_id!r})"
        )

    def fields(self) -> List[Tuple[str, Optional[str]]]:
        """The secret fields under their AWS names, for safety's checks."""
        return [("AccessKeyId", self.access_key_id), ("SecretAccessKey", self.secret_access_key),
                ("SessionToken", self.session_token)]

    def checked(self, source: str) -> Credentials:
        """These credentials, once every field is what AWS issues (else one refusal line)."""
        check_credential_fields(self.fields(), source)
        return self

    def fresh(self, now: Optional[float] = None, window: float = EXPIRY_WINDOW) -> bool:
        """True for static keys, or while at least `window` seconds remain."""
        if self.expiration is None:
            return True
        return self.expiration - (time.time() if now is None else now) >= window


# --- the CLI cache ---------------------------------------------------------------------


def role_cache_key(target: SsoTarget) -> str:
    """sha1 of the compact, sorted JSON the CLI hashes for an SSO role."""
    args = {"roleName": target.role_name, "accountId": target.account_id}
    if target.session_name is not None:
        args["sessionName"] = target.session_name
    else:
        args["startUrl"] = target.start_url
    return sha1_hex(json_dumps_flat(args, sort_keys=True, compact=True).encode("utf-8"))


def role_cache_path(target: SsoTarget) -> str:
    """`~/.aws/cli/cache/<key>.json` for the target's account and role."""
    return os.path.join(paths.cli_cache_dir(), role_cache_key(target) + ".json")


def cache_lock(key: str, profile: str = "") -> Any:
    """Context manager serialising the fetch of one cache entry across processes.

    The lock file lives in shellsso's own cache, not in the CLI's folder, which
    `aws sso logout` sweeps. Twenty processes that miss the cache at once fetch
    once: the others find the first one's entry when they get the lock. It is
    held for the fetch only, never while a person is asked: a waiter says so
    after two seconds and gives up after a bound.
    """
    from shellsso.core.locks import locked
    from shellsso.core.timeouts import lock_wait
    from shellsso.sso.token_cache import QUIET_WAIT

    what = f"another shellsso process fetching credentials for profile '{profile}'" if (
        profile) else "another shellsso process fetching the same credentials"
    return locked(cache_folder.lock_file(f"cred-{key}"), what, timeout=lock_wait(),
                  quiet_for=QUIET_WAIT)


def credentials_from_entry(data: Dict[str, Any]) -> Optional[Credentials]:
    """Credentials from a CLI cache entry (SSO or assume-role), None when malformed."""
    body = data.get("Credentials")
    if not isinstance(body, dict):
        return None
    key, secret, token = body.get("AccessKeyId"), body.get("SecretAccessKey"), body.get(
        "SessionToken"
    )
    raw_expiration = body.get("Expiration")
    stamp = getattr(raw_expiration, "timestamp", None)  # a datetime from a fresh STS response
    expiration = float(stamp()) if callable(stamp) else parse_timestamp(raw_expiration)
    if not (isinstance(key, str) and key and isinstance(secret, str) and secret):
        return None
    if expiration is None or not (token is None or isinstance(token, str)):
        return None
    account = body.get("AccountId")
    return Credentials(key, secret, token or None, expiration,
                       account if isinstance(account, str) else None)


def load_cached(path: str, *, quiet: bool = False) -> Optional[Credentials]:
    """The credentials cached in `path`, fresh or not; a corrupt entry counts as none."""
    from shellsso.core.files import read_json_object

    data, problem = read_json_object(path, CACHE_FILE)
    problem = problem and f"it {problem}"
    creds = credentials_from_entry(data) if data is not None else None
    if data is not None and creds is None:
        problem = f"it {NO_CREDENTIALS}"
    if creds is not None:
        problem = credential_problem(creds.fields())  # never evaluated, never passed on
        creds = None if problem else creds
    if problem and not quiet:
        from shellsso.core.output import warn

        warn(f"ignoring credential cache file {path}: {problem}; it will be replaced")
    return creds


def sso_cache_entry(creds: Credentials) -> Dict[str, Any]:
    """The dict the CLI's SSOCredentialFetcher caches, fields in its order."""
    assert creds.expiration is not None
    return {
        "ProviderType": "sso",
        "Credentials": {
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "SessionToken": creds.session_token,
            "Expiration": format_timestamp(creds.expiration),
            "AccountId": creds.account_id,
        },
    }


# --- SSO role credentials --------------------------------------------------------------


def get_sso_credentials(target: SsoTarget, *, interactive: Optional[bool] = None) -> Credentials:
    """Cached role credentials with >= 15 minutes left, else GetRoleCredentials.

    The token comes first, with no lock held: getting it may ask the user or
    wait for a browser, and other processes must not queue behind that.
    """
    path = role_cache_path(target)
    cached = load_cached(path)
    if cached is not None and cached.fresh():
        return cached
    from shellsso.sso import session
    token = session.ensure_token(target, interactive=interactive)
    creds = _fetch_and_cache(target, path, token.access_token)
    if creds is not None:
        return creds
    token = _login_again(target, interactive)
    creds = _fetch_and_cache(target, path, token.access_token)
    if creds is not None:
        return creds
    raise LoginRequired(
        f"the portal rejected the new token for {target.label} as well; "
        f"run `shellsso login --profile {target.profile}`"
    )


class _Unauthorized(Exception):
    """The portal rejected the access token: signed out or revoked."""


def _fetch_and_cache(target: SsoTarget, path: str, access_token: str) -> Optional[Credentials]:
    """GetRoleCredentials under the entry's lock, cached; None when the token is rejected."""
    with cache_lock(role_cache_key(target), target.profile) as lock:
        cached = load_cached(path, quiet=True)
        if cached is not None and cached.fresh():
            return cached  # another process fetched while we waited
        lock.raise_failure_since_wait()
        try:
            creds = fetch_role_credentials(target, access_token)
        except _Unauthorized:
            return None
        from shellsso.core.files import write_json

        write_json(path, sso_cache_entry(creds))
    return creds


def _login_again(target: SsoTarget, interactive: Optional[bool]) -> Any:
    """The portal rejected a token that looked valid (signed out, revoked): log in again,
    as SHELLSSO_AUTO_LOGIN says (session.may_log_in); otherwise a LoginRequired line."""
    from shellsso.sso import session

    question = f"The token of {target.label} is no longer accepted. Log in again now?"
    if not session.may_log_in(question, interactive):
        raise LoginRequired(
            f"the portal no longer accepts the token of {target.label} (signed out or "
            f"revoked); run: shellsso login --profile {target.profile}"
        )
    return session.login(target, force=True)


def fetch_role_credentials(target: SsoTarget, access_token: str) -> Credentials:
    """GetRoleCredentials through boto3's `sso` client, unsigned, in the SSO region.

    The session is a plain boto3 one for the target's profile, so
    AWS_ENDPOINT_URL_SSO and the profile's endpoint settings apply as in botocore.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from shellsso.core.timeouts import client_config
    from shellsso.sso import oidc

    assert target.account_id is not None and target.role_name is not None
    where = f"account {target.account_id} role {target.role_name}"
    client: Any = None
    try:
        boto = boto3.session.Session(profile_name=target.profile or None)
        client = oidc.watch(boto.client("sso", region_name=target.region,
                                        config=client_config(target.region, unsigned=True)))
        response = client.get_role_credentials(
            roleName=target.role_name, accountId=target.account_id, accessToken=access_token
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        if code == "UnauthorizedException":
            raise _Unauthorized() from None
        message = error.get("Message") or str(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        detail = f"{code} (HTTP {status})" if status else code
        raise ShellssoError(
            f"the SSO portal refused credentials for {where}: {detail}: {message}"
        ) from None
    except BotoCoreError as exc:
        if oidc.is_network_error(exc):
            raise NetworkError(f"cannot get credentials for {where} from the SSO portal "
                               f"{oidc.endpoint_of(client)}: {oidc.short(exc)}") from None
        raise ShellssoError(f"cannot get credentials for {where} from the SSO portal: {exc}"
                            ) from None
    role = response.get("roleCredentials") or {}
    try:
        creds = Credentials(
            access_key_id=role["accessKeyId"],
            secret_access_key=role["secretAccessKey"],
            session_token=role.get("sessionToken") or None,
            expiration=float(role["expiration"]) / 1000.0,
            account_id=target.account_id,
        )
    except (KeyError, TypeError, ValueError):
        raise ShellssoError(f"the SSO portal sent incomplete credentials for {where}") from None
    return creds.checked(f"the SSO portal's answer for {where}")  # before it is cached


# --- static keys and credential_process --------------------------------------------------

_STATIC_ID, _STATIC_SECRET = "aws_access_key_id", "aws_secret_access_key"


def has_static_keys(values: Dict[str, str]) -> bool:
    """botocore's test: either static key present."""
    return _STATIC_ID in values or _STATIC_SECRET in values


def static_credentials(profile_name: str, values: Optional[Section] = None
                       ) -> Optional[Credentials]:
    """The static keys of a profile, read from the files themselves.

    The config index holds "(hidden)" for secrets, so the files are parsed
    again here: `values` is what one of them holds, by default both merged
    (credentials-file keys win, as in botocore).
    """
    values = profile_from_files(profile_name) if values is None else values
    where = f"profile '{profile_name}'"
    key, secret = setting(values, _STATIC_ID, where), setting(values, _STATIC_SECRET, where)
    if not key and not secret:
        return None
    if not key or not secret:
        missing = _STATIC_ID if not key else _STATIC_SECRET
        raise ConfigError(f"profile '{profile_name}' has static keys but no {missing}")
    token = (setting(values, "aws_session_token", where)
             or setting(values, "aws_security_token", where) or None)
    account = setting(values, "aws_account_id", where) or None
    return Credentials(key, secret, token, None, account).checked(
        f"the static keys of profile '{profile_name}'")


def _static_in(profile_name: str, values: Section) -> Optional[Credentials]:
    """The static keys one file holds for the profile, None when it holds none."""
    return static_credentials(profile_name, values) if has_static_keys(values) else None


def _process_command(profile_name: str, values: Section) -> Optional[str]:
    """The profile's `credential_process` command line, None when it has none."""
    command = values.get("credential_process")
    if command is not None and not isinstance(command, str):
        raise ConfigError(f"profile '{profile_name}' has 'credential_process' as a nested "
                          "block of indented lines; it takes one command line")
    return command or None


def enter_profile_chain(profile_name: str) -> str:
    """The `_AWS_CLI_PROFILE_CHAIN` value for a child, after the CLI's loop checks."""
    current = os.environ.get(PROFILE_CHAIN_VAR, "")
    chain: List[str] = [p for p in current.split(",") if p]
    if profile_name in chain:
        cycle = " -> ".join([*chain[chain.index(profile_name):], profile_name])
        raise ConfigError(
            f"Credential process resolution detected an infinite loop, profile cycle: {cycle}"
        )
    if len(chain) >= MAX_PROCESS_DEPTH:
        raise ConfigError(
            f"Maximum recursive credential process resolution reached ({MAX_PROCESS_DEPTH})."
        )
    return ",".join([*chain, profile_name])


def process_credentials(profile_name: str, command: str) -> Credentials:
    """Run a profile's `credential_process` as botocore does (no shell) and parse it."""
    import shlex
    import subprocess

    env = dict(os.environ)
    env[PROFILE_CHAIN_VAR] = enter_profile_chain(profile_name)
    what = f"credential_process of profile '{profile_name}'"
    try:
        argv = shlex.split(command)
        result = subprocess.run(argv, capture_output=True, env=env, check=False)
    except (OSError, ValueError) as exc:
        raise ShellssoError(f"{what} failed: {exc}") from None
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise ShellssoError(f"{what} failed: {reason}")
    try:
        import json

        doc = json.loads(result.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ShellssoError(f"{what} printed no JSON") from None
    if not isinstance(doc, dict) or doc.get("Version") != 1:
        raise ShellssoError(f"{what} printed an unsupported document (Version must be 1)")
    key, secret = doc.get("AccessKeyId"), doc.get("SecretAccessKey")
    if not isinstance(key, str) or not isinstance(secret, str):
        raise ShellssoError(f"{what} printed no AccessKeyId/SecretAccessKey")
    expiration = doc.get("Expiration")
    expires = parse_timestamp(expiration) if expiration is not None else None
    if expiration is not None and expires is None:
        raise ShellssoError(f"{what} printed an unreadable Expiration")
    token = doc.get("SessionToken")
    account = doc.get("AccountId")
    return Credentials(key, secret, token if isinstance(token, str) and token else None,
                       expires, account if isinstance(account, str) else None).checked(what)


# --- the entry point -----------------------------------------------------------------------


def _sso_target(config: AwsConfig, profile_name: str) -> Optional[SsoTarget]:
    """The profile's own SSO role (no chain), or None; half a role is a ConfigError."""
    # The profile's own SSO keys only: sso_target() would follow role_arn links.
    target = config._direct_sso_target(profile_name, config.get(profile_name))
    if target is None:
        return None
    if target.account_id and target.role_name:
        return target
    if target.account_id or target.role_name:
        missing = "sso_role_name" if target.account_id else "sso_account_id"
        raise ConfigError(
            f"profile '{profile_name}' is configured to use SSO but is missing {missing}"
        )
    return None


def base_credentials(
    config: AwsConfig, profile_name: str, *, interactive: Optional[bool] = None
) -> Credentials:
    """Credentials of a profile without following `role_arn`: SSO, else static keys and
    `credential_process` in botocore's order."""
    values = config.get(profile_name)
    target = _sso_target(config, profile_name)
    if target is not None:
        return get_sso_credentials(target, interactive=interactive)
    if has_static_keys(values) or "credential_process" in values:
        # Read from the files themselves, never from the index (which hides secrets), in
        # botocore's order: the credentials file's keys, credential_process, the config's keys.
        in_config, in_credentials = profile_in_each_file(profile_name)
        found = _static_in(profile_name, in_credentials)
        if found is None:
            command = _process_command(profile_name, {**in_config, **in_credentials})
            found = process_credentials(profile_name, command) if command else _static_in(
                profile_name, in_config)
        if found is not None:
            return found
    hint = ""
    if "sso_session" in values or "sso_start_url" in values:
        hint = " (it names an SSO session but no sso_account_id and sso_role_name)"
    raise ConfigError(f"profile '{profile_name}' has no SSO, role or static credentials{hint}")

