"""Profiles with `role_arn`: chains of STS AssumeRole calls, cached as the AWS CLI does.

The chain is resolved with botocore's rules (docs/protocol.md §1.8, §8.3): a profile
uses `source_profile` or `credential_source`, never both; a source profile
with static keys (or without `role_arn`) supplies its own credentials, which may
be SSO; a profile may name itself as source when it holds static keys; any
other revisit is a cycle. Each AssumeRole result is cached in `~/.aws/cli/cache`
under the CLI's key with the raw STS response (docs/protocol.md §6), reused while 15
minutes or more remain.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from shellsso.awsconfig.model import AwsConfig
from shellsso.core import paths
from shellsso.core.errors import ConfigError, NetworkError, ShellssoError
from shellsso.core.output import terminal_at
from shellsso.creds.role_credentials import (
    Credentials,
    base_credentials,
    cache_lock,
    credentials_from_entry,
    has_static_keys,
    load_cached,
    static_credentials,
)

CREDENTIAL_SOURCES = ("Environment", "Ec2InstanceMetadata", "EcsContainer")


@dataclass(frozen=True)
class RoleChain:
    """`roles` top first (each has role_arn); where the first credentials come from."""

    roles: List[str]
    source_kind: str  # "profile", "self" (static keys of roles[-1]) or "credential_source"
    source: str  # profile name or credential_source value


class BrokenChain(ConfigError):
    """A role chain botocore cannot follow; `kind` says why, for a caller that says it its way.

    kind: `web-identity`, `both` (source_profile and credential_source),
    `credential_source` (not one botocore knows: `value`), `neither`, `missing`
    (the source_profile `value` does not exist), `cycle` (back to `value`).
    `profile` is where the chain breaks, `roles` the profiles walked until then.
    """

    def __init__(self, message: str, kind: str, profile: str, roles: List[str],
                 value: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.profile = profile
        self.roles = list(roles)
        self.value = value


def resolve_chain(config: AwsConfig, profile_name: str) -> RoleChain:
    """Follow `source_profile` links to the first credentials, refusing cycles (BrokenChain)."""
    roles: List[str] = []
    current = profile_name
    while True:
        values = config.get(current)
        roles.append(current)
        if values.get("web_identity_token_file"):
            raise BrokenChain(
                f"profile '{current}' assumes its role with a web identity token "
                "(web_identity_token_file), which shellsso does not fetch",
                "web-identity", current, roles)
        source = config.text(current, "source_profile")
        credential_source = config.text(current, "credential_source")
        if source and credential_source:
            raise BrokenChain(f"profile '{current}' has both source_profile and "
                              "credential_source", "both", current, roles)
        if credential_source:
            if credential_source not in CREDENTIAL_SOURCES:
                raise BrokenChain(
                    f"profile '{current}' has credential_source '{credential_source}', "
                    f"which is not one of {', '.join(CREDENTIAL_SOURCES)}",
                    "credential_source", current, roles, credential_source)
            return RoleChain(roles, "credential_source", credential_source)
        if not source:
            raise BrokenChain(f"profile '{current}' has role_arn but neither source_profile "
                              "nor credential_source", "neither", current, roles)
        if source not in config.profiles:
            raise BrokenChain(f"source_profile '{source}' of profile '{current}' does not "
                              f"exist in {config.source}", "missing", current, roles, source)
        if source == current and has_static_keys(values):
            return RoleChain(roles, "self", current)
        if source in roles:
            cycle = " -> ".join([*roles, source])
            raise BrokenChain(f"profile chain has a cycle: {cycle}", "cycle", current, roles,
                              source)
        source_values = config.get(source)
        if has_static_keys(source_values) or "role_arn" not in source_values:
            return RoleChain(roles, "profile", source)
        current = source


def assume_role_credentials(
    config: AwsConfig, profile_name: str, *, interactive: Optional[bool] = None
) -> Credentials:
    """Credentials of a role profile: source credentials, then AssumeRole down the chain."""
    chain = resolve_chain(config, profile_name)
    if chain.source_kind == "credential_source":
        creds = _from_credential_source(chain.source, chain.roles[-1])
    elif chain.source_kind == "self":
        found = static_credentials(chain.source)
        if found is None:
            raise ConfigError(f"profile '{chain.source}' has no static keys to source itself")
        creds = found
    else:
        creds = base_credentials(config, chain.source, interactive=interactive)
    for name in reversed(chain.roles):
        creds = assume_one(config, name, creds, interactive=interactive)
    return creds


def _from_credential_source(source: str, profile_name: str) -> Credentials:
    if source != "Environment":
        raise ConfigError(
            f"profile '{profile_name}' uses credential_source {source}, which shellsso "
            "does not fetch; use the AWS CLI or an SDK on that host instead"
        )
    key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        raise ConfigError(
            f"profile '{profile_name}' uses credential_source Environment, but "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"
        )
    token = os.environ.get("AWS_SECURITY_TOKEN") or os.environ.get("AWS_SESSION_TOKEN") or None
    return Credentials(key, secret, token, None, os.environ.get("AWS_ACCOUNT_ID") or None)


ASSUME_KEYS = ("role_arn", "role_session_name", "external_id", "mfa_serial", "duration_seconds",
               "region")


def assume_role_kwargs(values: Dict[str, str]) -> Dict[str, Any]:
    """The AssumeRole arguments the profile configures (no generated session name)."""
    kwargs: Dict[str, Any] = {}
    if values.get("role_session_name"):
        kwargs["RoleSessionName"] = values["role_session_name"]
    if values.get("external_id"):
        kwargs["ExternalId"] = values["external_id"]
    if values.get("mfa_serial"):
        kwargs["SerialNumber"] = values["mfa_serial"]
    if values.get("duration_seconds"):
        try:
            kwargs["DurationSeconds"] = int(values["duration_seconds"])
        except ValueError:
            pass  # botocore ignores a non-integer duration too
    kwargs["RoleArn"] = values["role_arn"]
    return kwargs


def assume_cache_key(kwargs: Dict[str, Any]) -> str:
    """The CLI's key: sha1 of json.dumps(kwargs, sort_keys=True), default separators."""
    digest = hashlib.sha1(json.dumps(kwargs, sort_keys=True).encode("utf-8")).hexdigest()
    return digest.replace(":", "_").replace(os.sep, "_").replace("/", "_")


def assume_cache_path(kwargs: Dict[str, Any]) -> str:
    return os.path.join(paths.cli_cache_dir(), assume_cache_key(kwargs) + ".json")


def assume_one(
    config: AwsConfig, profile_name: str, source: Credentials, *, interactive: Optional[bool]
) -> Credentials:
    """One AssumeRole step for `profile_name` with `source` credentials, through the cache."""
    values = config.get(profile_name)
    for name in ASSUME_KEYS:  # a nested block here is the config's error, not an STS call's
        config.text(profile_name, name)
    if not values.get("role_arn"):
        raise ConfigError(f"profile '{profile_name}' in {config.source} has an empty role_arn")
    kwargs = assume_role_kwargs(values)
    key = assume_cache_key(kwargs)
    path = assume_cache_path(kwargs)
    cached = load_cached(path)
    if cached is not None and cached.fresh():
        return cached
    call = dict(kwargs)
    if "RoleSessionName" not in call:
        call["RoleSessionName"] = f"shellsso-{int(time.time())}"
    if "SerialNumber" in call:  # asked before the lock: nobody queues behind a person
        call["TokenCode"] = _ask_mfa_code(profile_name, call["SerialNumber"], interactive)
    with cache_lock(key, profile_name) as lock:
        cached = load_cached(path, quiet=True)
        if cached is not None and cached.fresh():
            return cached
        lock.raise_failure_since_wait()
        response = _call_assume_role(profile_name, values, source, call)
        creds = credentials_from_entry(response)
        if creds is None:
            raise ShellssoError(f"STS sent incomplete credentials for profile '{profile_name}'")
        creds.checked(f"STS's answer for profile '{profile_name}'")  # before it is cached
        from shellsso.core.files import write_json

        write_json(path, response, dumps=_dumps_like_cli)
    return creds


def _ask_mfa_code(profile_name: str, serial: str, interactive: Optional[bool]) -> str:
    """The MFA code from the terminal (getpass reads /dev/tty), never guessed."""
    if interactive is False or not terminal_at(sys.stdin):
        raise ShellssoError(
            f"profile '{profile_name}' needs an MFA code for {serial}, but there is no "
            f"terminal to ask for it; run `shellsso export --profile {profile_name}` in a "
            "terminal first (the credentials are then cached)"
        )
    import getpass

    code = getpass.getpass(f"Enter MFA code for {serial}: ").strip()
    if not code:
        raise ShellssoError("no MFA code entered")
    return code


def _call_assume_role(
    profile_name: str, values: Dict[str, str], source: Credentials, kwargs: Dict[str, Any]
) -> Dict[str, Any]:
    """STS AssumeRole as botocore makes it (AWS_ENDPOINT_URL_STS honoured by botocore)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from shellsso.core.timeouts import client_config

    role_arn = kwargs["RoleArn"]
    client: Any = None
    try:
        boto = boto3.session.Session(
            aws_access_key_id=source.access_key_id,
            aws_secret_access_key=source.secret_access_key,
            aws_session_token=source.session_token,
            profile_name=profile_name,
        )
        region = boto.region_name or values.get("region") or "us-east-1"
        client = boto.client("sts", region_name=region, config=client_config(region))
        response: Dict[str, Any] = client.assume_role(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise ShellssoError(
            f"AssumeRole {role_arn} for profile '{profile_name}' failed: "
            f"{error.get('Code', '')}: {error.get('Message') or exc}"
        ) from None
    except BotoCoreError as exc:
        from shellsso.sso import oidc
        if oidc.is_network_error(exc):
            raise NetworkError(f"AssumeRole {role_arn} for profile '{profile_name}' failed: "
                               f"cannot reach {oidc.endpoint_of(client)}: {oidc.short(exc)}"
                               ) from None
        raise ShellssoError(
            f"AssumeRole {role_arn} for profile '{profile_name}' failed: {exc}"
        ) from None
    arn = response.get("AssumedRoleUser", {}).get("Arn", "")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) >= 6 and parts[0] == "arn" and parts[4]:
        response.setdefault("Credentials", {})["AccountId"] = parts[4]
    return response


def _serialize(value: Any) -> Any:
    """What botocore's JSONFileCache does with a datetime: `%Y-%m-%dT%H:%M:%S%Z` (...UTC)."""
    strftime = getattr(value, "strftime", None)
    if strftime is not None:
        return strftime("%Y-%m-%dT%H:%M:%S%Z")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _dumps_like_cli(obj: Any) -> str:
    return json.dumps(obj, default=_serialize)
