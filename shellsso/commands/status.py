"""`shellsso status` and `shellsso list`: what profiles resolve to, from files alone.

Neither command touches the network or imports boto3: they read the config,
one token file per SSO session and (status only) the cached role credentials.
A profile that does not use SSO is described by its kind, never an error.
"""

from __future__ import annotations

import os
import sys
import time

from shellsso.awsconfig.model import (
    AwsConfig,
    SsoTarget,
    active_profile_name,
    load_config,
    setting_text,
)
from shellsso.core.clock import describe_remaining, format_timestamp, parse_timestamp, until_text
from shellsso.core.errors import ConfigError, ProfileNotFound
from shellsso.core.safety import visible
from shellsso.picker.rows import from_role_arn
from shellsso.sso.session import token_state

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` and argparse cost start-up time: annotations only
    import argparse
    from typing import Any, Dict, List, Optional

    from shellsso.awsconfig.model import Section


def profile_kind(values: Section) -> str:
    """How botocore would get credentials for the profile (docs/protocol.md §8 order)."""
    if "role_arn" in values:
        return "web-identity" if "web_identity_token_file" in values else "assume-role"
    if "sso_session" in values or "sso_account_id" in values or "sso_role_name" in values:
        return "sso" if "sso_session" in values else "sso-legacy"
    if "aws_access_key_id" in values:
        return "static-keys"
    if "credential_process" in values:
        return "credential-process"
    return "none"


def program_of(command: str) -> tuple[str, bool]:
    """(the program a `credential_process` runs, whether it has arguments), split as botocore does.

    Only the program is ever shown: the arguments can hold a token or a password.
    """
    import shlex

    try:
        words = shlex.split(command)
    except ValueError:  # an open quote: botocore cannot run it either
        words = command.split()
    return (words[0], len(words) > 1) if words else ("", False)


def role_of_arn_setting(values: Section) -> tuple[Optional[str], Optional[str]]:
    """(account, role name) that the profile's role_arn names, None for what it lacks."""
    account, role = from_role_arn(setting_text(values, "role_arn") or "")
    return account or None, role or None


def _region(name: str, values: Section) -> Optional[str]:
    """The region a tool would use: the environment's for the active profile, else the profile's."""
    if name == active_profile_name():
        env = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if env:
            return env
    return setting_text(values, "region")


def _token_info(target: SsoTarget, now: float) -> Dict[str, Any]:
    state, token = token_state(target, now)
    return {
        "state": state,
        "expiresAt": format_timestamp(token.expires_at) if token else None,
        "remainingSeconds": int(token.remaining(now)) if token else None,
    }


def _credentials_info(target: SsoTarget, now: float) -> Optional[Dict[str, Any]]:
    """Expiry of the role credentials cached in ~/.aws/cli/cache, if any."""
    if not target.account_id or not target.role_name:
        return None
    from shellsso.core.files import read_json
    from shellsso.creds.role_credentials import role_cache_path

    data = read_json(role_cache_path(target), "role credential cache file")
    creds = data.get("Credentials") if data else None
    expires = parse_timestamp(creds.get("Expiration")) if isinstance(creds, dict) else None
    if expires is None:
        return None
    return {"expiresAt": format_timestamp(expires), "remainingSeconds": int(expires - now)}


def describe_profile(config: AwsConfig, name: str, now: Optional[float] = None) -> Dict[str, Any]:
    """Everything `status` shows, as the dict `--json` prints."""
    current = time.time() if now is None else now
    values = config.get(name)
    kind = profile_kind(values)
    info: Dict[str, Any] = {
        "profile": name,
        "active": name == active_profile_name(),
        "kind": kind,
        "accountId": setting_text(values, "sso_account_id"),
        "roleName": setting_text(values, "sso_role_name"),
        "region": _region(name, values),
    }
    if "role_arn" in values:
        account, role = role_of_arn_setting(values)
        info.update(accountId=account, roleName=role, roleArn=setting_text(values, "role_arn"),
                    sourceProfile=setting_text(values, "source_profile"),
                    credentialSource=setting_text(values, "credential_source"))
    if kind == "credential-process":
        program, arguments = program_of(setting_text(values, "credential_process") or "")
        info.update(credentialProgram=program, credentialArguments=arguments)
    try:
        target = config.sso_target(name)
    except ConfigError as exc:
        info["configError"] = exc.message
        target = None
    if target is not None:
        info.update(ssoSession=target.session_name, startUrl=target.start_url,
                    ssoRegion=target.region, token=_token_info(target, current))
        if target.profile != name:
            info["ssoProfile"] = target.profile
        info["credentials"] = _credentials_info(target, current)
    return info


def _token_line(token: Dict[str, Any], hint: str) -> str:
    state, expires, left = token["state"], token["expiresAt"], token["remainingSeconds"]
    if state == "none":
        return f"none (log in: {hint})"
    at = until_text(parse_timestamp(expires) or 0)
    if state == "valid":
        return f"valid until {at} ({describe_remaining(left)} left)"
    if state == "refreshable":
        when = f"expires at {at} ({describe_remaining(left)} left)" if left > 0 \
            else f"expired at {at}"
        return f"{when}; refreshed silently on next use"
    if state == "expiring":
        return f"expiring at {at} ({describe_remaining(left)} left, not refreshable; {hint})"
    return f"expired at {at} (log in: {hint})"


KIND_TEXT = {
    "sso": "IAM Identity Center (sso-session)",
    "sso-legacy": "IAM Identity Center (legacy start URL, no refresh)",
    "assume-role": "assume role",
    "web-identity": "web identity",
    "static-keys": "static access keys",
    "credential-process": "credential_process",
    "none": "no credentials configured",
}


def format_status(info: Dict[str, Any]) -> str:
    """The human view of describe_profile()."""
    rows: List[tuple[str, str]] = [
        ("Profile", info["profile"] + ("  (active)" if info["active"] else "")),
        ("Kind", KIND_TEXT.get(info["kind"], info["kind"])),
    ]
    if info.get("roleArn"):
        source = info.get("sourceProfile") or info.get("credentialSource") or "?"
        rows.append(("Role ARN", f"{info['roleArn']} (from {source})"))
    if info.get("credentialProgram"):
        hidden = " (arguments not shown)" if info.get("credentialArguments") else ""
        rows.append(("Program", info["credentialProgram"] + hidden))
    for label, key in (("Account", "accountId"), ("Role", "roleName"), ("Region", "region")):
        if info.get(key):
            rows.append((label, info[key]))
    if info.get("configError"):
        rows.append(("Config", info["configError"]))
    if "token" in info:
        where = f"{info['startUrl']}, {info['ssoRegion']}"
        if info.get("ssoSession"):
            rows.append(("SSO session", f"{info['ssoSession']} ({where})"))
        else:
            rows.append(("SSO start URL", where))
        if info.get("ssoProfile"):
            rows.append(("SSO via", f"profile {info['ssoProfile']}"))
        hint = (f"shellsso login --profile {info.get('ssoProfile') or info['profile']}")
        rows.append(("Token", _token_line(info["token"], hint)))
        creds = info.get("credentials")
        if creds is None:
            rows.append(("Credentials", "not cached"))
        else:
            at = until_text(parse_timestamp(creds["expiresAt"]) or 0)
            left = creds["remainingSeconds"]
            rows.append(("Credentials", f"cached until {at} ({describe_remaining(left)} left)"
                         if left > 0 else f"cached, expired at {at}"))
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"{label + ':':<{width}}{visible(value)}" for label, value in rows)


def run(args: argparse.Namespace) -> int:
    """`shellsso status [--profile P] [--json]`."""
    config = load_config()
    name = getattr(args, "profile", None) or active_profile_name()
    if name not in config.profiles:
        from shellsso.awsconfig.first_run import require_config

        require_config(f"no profile '{name}'")
    if name not in config.profiles and not getattr(args, "profile", None):
        raise ProfileNotFound(
            f"no profile selected (AWS_PROFILE is not set) and no [default] profile in "
            f"{config.source}; try: shellsso status --profile PROFILE"
        )
    info = describe_profile(config, name)
    if getattr(args, "json", False):
        import json

        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    else:
        sys.stdout.write(format_status(info) + "\n")
    return 0
