"""`shellsso doctor` checks that reach outside: the portal's clock, the portal, the AWS CLI.

Each asks once, with a short timeout, and turns every failure into a finding:
the doctor is what people run when nothing works.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from typing import Any, List, Optional, Tuple

from shellsso.core.clock import describe_remaining, until_text
from shellsso.doctor.findings import Context, Finding, error, info, ok, warning

TIMEOUT = 5.0  # seconds for one request or one `aws --version`
SKEW_WARNING = 5 * 60  # beyond a few minutes, role-credential expiry is misjudged
SKEW_ERROR = 15 * 60  # beyond SigV4's window, signed AWS calls fail
SSO_SESSION_BOTOCORE = (1, 29, 10)  # botocore reads [sso-session] sections from this version on
PKCE_SINCE = (2, 22, 0)  # AWS CLI v2 logs in with PKCE from this version on


def portal_endpoint(region: str) -> str:
    """The portal URL botocore uses: AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, or AWS's own."""
    for name in ("AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL"):
        value = os.environ.get(name)
        if value:
            return value.rstrip("/")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://portal.sso.{region}.{suffix}"


# --- the clock -------------------------------------------------------------------------


def check_clock(ctx: Context) -> List[Finding]:
    """Compare this clock with the `Date` header of the portal (one small GET)."""
    if ctx.target is None:
        return []
    endpoint = portal_endpoint(ctx.target.region)
    server, local = server_time(endpoint)
    if server is None:
        return [info("clock.unchecked", f"could not read the time of {endpoint} (no answer "
                     "with a Date header)")]
    skew = local - server
    direction = "ahead of" if skew > 0 else "behind"
    amount = describe_remaining(abs(skew))
    if abs(skew) <= SKEW_WARNING:
        return [ok("clock.ok", f"this clock agrees with the portal's (within {amount})")]
    effect = "look expired before they are" if skew > 0 else "look valid after AWS rejects them"
    message = f"this clock is {amount} {direction} the portal's: role credentials {effect}"
    fix = "synchronise the clock (e.g. `sudo timedatectl set-ntp true`)"
    if abs(skew) > SKEW_ERROR:
        return [error("clock.skew", message + "; signed AWS requests fail beyond 15 minutes", fix)]
    return [warning("clock.skew", message, fix)]


def server_time(url: str) -> Tuple[Optional[float], float]:
    """(the server's Date as epoch seconds or None, our clock halfway through the request)."""
    import urllib.error
    import urllib.request
    from email.utils import parsedate_to_datetime

    started = time.time()
    headers: Any = None
    try:
        with urllib.request.urlopen(url + "/", timeout=TIMEOUT) as response:  # noqa: S310
            headers = response.headers
    except urllib.error.HTTPError as exc:
        headers = exc.headers
    except (OSError, ValueError):
        headers = None
    local = (started + time.time()) / 2
    date = headers.get("Date") if headers is not None else None
    if not date:
        return None, local
    try:
        return parsedate_to_datetime(date).timestamp(), local
    except (TypeError, ValueError, IndexError):
        return None, local


# --- the portal ------------------------------------------------------------------------


def check_portal(ctx: Context) -> List[Finding]:
    """Can the role credentials be had now: from the CLI cache, or one GetRoleCredentials."""
    target = ctx.target
    if target is None or not target.account_id or not target.role_name:
        return []
    from shellsso.core.files import read_json_object
    from shellsso.creds.role_credentials import (
        CACHE_FILE,
        NO_CREDENTIALS,
        credentials_from_entry,
        role_cache_path,
    )

    where = f"account {target.account_id}, role {target.role_name}"
    path = role_cache_path(target)
    entry, problem = read_json_object(path, CACHE_FILE)
    cached = credentials_from_entry(entry) if entry is not None else None
    if entry is not None and cached is None:
        problem = NO_CREDENTIALS
    if cached is not None and cached.fresh(ctx.now) and cached.expiration is not None:
        return [ok("portal.ok", f"role credentials for {where} are cached until "
                   f"{until_text(cached.expiration, ctx.now)}: no call needed")]
    token = _usable_token(ctx)
    found = [token] if isinstance(token, Finding) else [] if token is None else [
        _get_role_credentials(ctx, token.access_token, where)]
    if problem:
        found.insert(0, _corrupt_cache(path, problem, bool(found) and found[0].level == "ok"))
    return found


def _corrupt_cache(path: str, problem: str, replaced: bool) -> Finding:
    what = f"the role-credential cache file {path} {problem}"
    if replaced:
        return info("cache.corrupt", f"{what}; replaced with the credentials just fetched")
    return warning("cache.corrupt", f"{what}: the AWS CLI fails on it until it is deleted",
                   f"rm {shlex.quote(path)}")


def _usable_token(ctx: Context) -> Any:
    """The token to call with: valid, or refreshed now as the next AWS command would."""
    if ctx.token_usable:
        return ctx.token
    token, target = ctx.token, ctx.target
    if token is None or target is None or target.session_name is None \
            or not token.can_refresh(ctx.now):
        return None
    from shellsso.core.errors import ShellssoError
    from shellsso.sso.session import get_token

    try:
        fresh = get_token(target)
    except ShellssoError as exc:  # a dead network or a lock given up on: a finding, as any
        return error("portal.refresh-failed", exc.message, "check the network, a proxy "
                     "(HTTPS_PROXY) or AWS_ENDPOINT_URL_SSO_OIDC; or " + ctx.login_hint)
    if fresh is None:
        return error("portal.refresh-failed",
                     f"the silent refresh of {target.label} failed (the service refused the "
                     "refresh token, or could not be reached)", ctx.login_hint)
    ctx.token, ctx.token_usable = fresh, True
    return fresh


def _get_role_credentials(ctx: Context, access_token: str, where: str) -> Finding:
    """One GetRoleCredentials; the result goes into the CLI cache, as any fetch would."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    target = ctx.target
    assert target is not None
    endpoint = portal_endpoint(target.region)
    config = Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1},
                    connect_timeout=TIMEOUT, read_timeout=TIMEOUT)
    try:
        from shellsso.sso.oidc import watch

        client = watch(boto3.session.Session(profile_name=target.profile).client(
            "sso", region_name=target.region, config=config))
        response = client.get_role_credentials(
            roleName=target.role_name, accountId=target.account_id, accessToken=access_token)
    except ClientError as exc:
        return _refusal(ctx, exc.response, where)
    except ValueError as exc:  # botocore's "Invalid endpoint: ..."
        return error("portal.endpoint", f"the SSO portal endpoint is unusable: {exc}",
                     "correct AWS_ENDPOINT_URL_SSO (or AWS_ENDPOINT_URL), or unset it")
    except (BotoConnectionError, HTTPClientError) as exc:
        return error("portal.unreachable", f"cannot reach the SSO portal {endpoint}: {exc}",
                     "check the network, a proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL_SSO")
    except BotoCoreError as exc:
        return error("portal.config", f"botocore cannot call the SSO portal: {exc}",
                     f"correct the setting it names for profile '{target.profile}'")
    role = response.get("roleCredentials") or {}
    expiration = role.get("expiration")
    if not role.get("accessKeyId") or not role.get("secretAccessKey") or expiration is None:
        return error("portal.refused", f"the SSO portal sent incomplete credentials for {where}",
                     "try again later")
    _store(ctx, role)
    left = float(expiration) / 1000 - time.time()
    return ok("portal.ok", f"GetRoleCredentials for {where} works (credentials for "
              f"{describe_remaining(left)})")


def _refusal(ctx: Context, response: Any, where: str) -> Finding:
    err = response.get("Error", {})
    code, message = err.get("Code", ""), err.get("Message", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    said = f"{code} (HTTP {status}): {message}" if status else f"{code}: {message}"
    if code == "UnauthorizedException":
        return error("portal.unauthorized",
                     f"the SSO portal rejected the token ({said}): signed out, revoked, or the "
                     "session ended early", ctx.login_hint)
    if code in ("ForbiddenException", "ResourceNotFoundException"):
        return error("portal.forbidden", f"the SSO portal refused {where}: {said}",
                     "check that this account and role are still assigned to you "
                     "(the access portal lists them)")
    return error("portal.refused", f"the SSO portal refused credentials for {where}: {said}",
                 "try again; if it persists, check the portal's status")


def _store(ctx: Context, role: Any) -> None:
    """Best effort: cache what was fetched, as `shellsso export` would."""
    from shellsso.core.files import write_json
    from shellsso.creds.role_credentials import Credentials, role_cache_path, sso_cache_entry

    target = ctx.target
    assert target is not None
    creds = Credentials(role["accessKeyId"], role["secretAccessKey"],
                        role.get("sessionToken") or None, float(role["expiration"]) / 1000,
                        target.account_id)
    try:
        write_json(role_cache_path(target), sso_cache_entry(creds))
    except OSError:
        pass


# --- the tools -------------------------------------------------------------------------


def parse_aws_version(text: str) -> Optional[Tuple[int, int, int]]:
    """`aws-cli/2.15.0 Python/3.11 ...` -> (2, 15, 0); None when it is not that."""
    match = re.search(r"aws-cli/([0-9]+)\.([0-9]+)\.([0-9]+)", text)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def check_tools(ctx: Context) -> List[Finding]:
    """The first `aws` on PATH: a v1 has no `aws sso login` (and reads sso-session profiles
    only with botocore 1.29.10 or newer), a v2 before 2.22 has no PKCE."""
    path = shutil.which("aws")
    if path is None:
        return [ok("tools.ok", "no AWS CLI on PATH (shellsso does not need one)")]
    try:
        result = subprocess.run([path, "--version"], capture_output=True, timeout=TIMEOUT,
                                stdin=subprocess.DEVNULL, check=False)
        output = (result.stdout + result.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return [info("tools.aws-cli-unknown",
                     f"`{path} --version` did not answer within {TIMEOUT:.0f} s")]
    except OSError as exc:
        return [info("tools.aws-cli-unknown", f"cannot run {path}: {exc.strerror}")]
    version = parse_aws_version(output)
    if version is None:
        return [info("tools.aws-cli-unknown", f"{path} is not an AWS CLI that shellsso knows "
                     "(`aws --version` printed no aws-cli/X.Y.Z)")]
    text = ".".join(str(part) for part in version)
    if version[0] < 2:
        return [_check_cli_v1(ctx, path, text, output)]
    if version < PKCE_SINCE:
        return [warning("tools.aws-cli-old",
                        f"the AWS CLI on PATH ({path}) is {text}, older than 2.22: `aws sso "
                        "login` uses the device code, not PKCE in the browser",
                        "update the AWS CLI v2")]
    return [ok("tools.ok", f"AWS CLI {text} ({path})")]


def _check_cli_v1(ctx: Context, path: str, text: str, output: str) -> Finding:
    """The AWS CLI v1 reads SSO profiles from the token cache shellsso writes, but cannot
    log in (it has `aws sso logout` only); botocore before 1.29.10 does not know
    sso-session profiles at all. Said as a warning only when the profile needs it."""
    match = re.search(r"botocore/([0-9]+)\.([0-9]+)\.([0-9]+)", output)
    uses_session = ctx.target is not None and ctx.target.session_name is not None
    uses_sso = ctx.target is not None
    if match is None:
        return info("tools.aws-cli-v1-unknown",
                    f"the first `aws` on PATH ({path}) is the AWS CLI v1 ({text}), botocore "
                    "version unknown: it reads sso-session profiles from botocore 1.29.10 on, "
                    "and has no `aws sso login`", f"log in with {ctx.login_hint}")
    botocore = tuple(int(part) for part in match.groups())
    botocore_text = ".".join(match.groups())
    if botocore < SSO_SESSION_BOTOCORE:
        message = (f"the first `aws` on PATH ({path}) is the AWS CLI v1 ({text}, botocore "
                   f"{botocore_text}): it cannot read sso-session profiles (botocore 1.29.10 "
                   "or newer can)")
        fix = ("pip install --upgrade awscli, or install the AWS CLI v2 and put it ahead on "
               "PATH")
        if uses_session:
            return warning("tools.aws-cli-v1",
                           f"{message}; `aws --profile {ctx.profile}` fails there", fix)
        return info("tools.aws-cli-v1", message, fix)
    message = (f"the first `aws` on PATH ({path}) is the AWS CLI v1 ({text}, botocore "
               f"{botocore_text}): it reads sso-session profiles from the cached token, but has "
               "no `aws sso login`")
    if uses_sso:
        return info("tools.aws-cli-v1-login", message, f"log in with {ctx.login_hint}")
    return ok("tools.ok", f"AWS CLI {text} (v1, botocore {botocore_text}; {path})")
