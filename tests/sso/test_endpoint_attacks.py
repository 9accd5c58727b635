"""Endpoints that repeat the secrets of a request in their error messages.

A rogue or broken SSO/OIDC endpoint answers an error whose message quotes the
request it got: headers (the portal's bearer token), path and body (refresh
token, client secret, device code, authorization code, code verifier). Every
command that can meet such an answer runs for real against the emulator, and
none may print a secret: `<hidden>` stands in its place.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import List

import pytest

from shellsso.emulator import Emulator
from tests.conftest import (
    AwsEnv,
    run_shellsso,
    sha1,
    write_token,
)
from tests.shell.harness import ShellSession

ECHO = {"message": "request refused; you sent: {{request}}"}
# The names the secrets travel under: JSON body fields and the portal's bearer header.
_FIELD = re.compile(r'"(accessToken|refreshToken|clientSecret|deviceCode|code|codeVerifier)"'
                    r'\s*:\s*"([^"]*)"')
_BEARER = re.compile(r"x-amz-sso_bearer_token:\s*([^\s?]+)", re.I)


def echo(emulator: Emulator, operation: str, count: int = 1,
         error_type: str = "InvalidRequestException") -> None:
    """Arm `operation` to answer HTTP 400 quoting the whole request back."""
    emulator.script(operation, ECHO, status=400, count=count,
                    headers={"x-amzn-ErrorType": error_type,
                             "Content-Type": "application/json"})


def quoted_values(text: str) -> List[str]:
    """The values the output shows for secret fields of an echoed request."""
    return [value for _, value in _FIELD.findall(text)] + _BEARER.findall(text)


def assert_hidden(text: str, secrets: List[str], *, echoed: bool = True) -> None:
    """No secret in `text`; where the request was quoted, `<hidden>` in its place."""
    for secret in secrets:
        assert secret not in text, f"{secret[:8]}... printed in:\n{text}"
    assert "Traceback" not in text
    if echoed:
        shown = quoted_values(text)
        assert shown, f"the echoed request is not in the output:\n{text}"
        assert set(shown) == {"<hidden>"}, text


def token_file(home: Path, key: str = "corp") -> Path:
    return home / ".aws" / "sso" / "cache" / f"{sha1(key)}.json"


def cached_secrets(home: Path) -> List[str]:
    """The access token, refresh token and client secret of the corp session's token file."""
    data = json.loads(token_file(home).read_text())
    return [data[k] for k in ("accessToken", "refreshToken", "clientSecret") if data.get(k)]


def expire(home: Path) -> None:
    """Make the cached token expired but refreshable (as after a night)."""
    path = token_file(home)
    data = json.loads(path.read_text())
    data["expiresAt"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    path.write_text(json.dumps(data))


@pytest.fixture
def logged_in(aws_env: AwsEnv) -> AwsEnv:
    """The demo config, a real PKCE login to the emulator: real tokens in the cache."""
    out = run_shellsso("login", "--sso-session", "corp")
    assert out.returncode == 0, out.stderr
    return aws_env


def both(out: subprocess.CompletedProcess[str]) -> str:
    return out.stdout + out.stderr


# --- doctor ----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_doctor_hides_the_token_a_portal_echoes(aws_env: AwsEnv, as_json: bool) -> None:
    secret = "doctor-access-token-0123456789abcdef"
    write_token(aws_env.home, "corp", 3600, access_token=secret)
    echo(aws_env.emulator, "GetRoleCredentials")  # type: ignore[arg-type]
    out = run_shellsso("doctor", "--profile", "dev", *(["--json"] if as_json else []))
    assert out.returncode == 1
    text = both(out)
    if as_json:
        findings = {f["id"]: f for f in json.loads(out.stdout)["findings"]}
        text = findings["portal.refused"]["message"]
    assert_hidden(text, [secret])


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_doctor_hides_the_refresh_secrets_an_oidc_endpoint_echoes(
        logged_in: AwsEnv, as_json: bool) -> None:
    secrets = cached_secrets(logged_in.home)
    expire(logged_in.home)
    echo(logged_in.emulator, "CreateToken")  # type: ignore[arg-type]
    out = run_shellsso("doctor", "--profile", "dev", *(["--json"] if as_json else []))
    assert out.returncode == 1
    assert "CreateToken failed" in out.stderr
    assert_hidden(both(out), secrets)


# --- populate, configure, logout ---------------------------------------------------------------


@pytest.mark.parametrize("operation", ["ListAccounts", "ListAccountRoles"])
def test_populate_hides_the_token_a_portal_echoes(logged_in: AwsEnv, operation: str) -> None:
    secrets = cached_secrets(logged_in.home)
    echo(logged_in.emulator, operation, count=-1)  # type: ignore[arg-type]
    out = run_shellsso("populate", "--sso-session", "corp", "--dry-run")
    assert out.returncode == 1
    assert f"{operation} failed" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert_hidden(both(out), secrets)


@pytest.mark.parametrize("operation", ["ListAccounts", "ListAccountRoles"])
def test_configure_hides_the_token_a_portal_echoes(logged_in: AwsEnv, operation: str) -> None:
    secrets = cached_secrets(logged_in.home)
    before = logged_in.config.read_bytes()
    echo(logged_in.emulator, operation, count=-1)  # type: ignore[arg-type]
    out = run_shellsso("configure", "--sso-session", "corp", input="1\n")
    assert out.returncode == 1
    assert f"{operation} failed" in out.stderr
    assert_hidden(both(out), secrets)
    assert logged_in.config.read_bytes() == before


def test_logout_hides_the_token_a_portal_echoes(logged_in: AwsEnv) -> None:
    secrets = cached_secrets(logged_in.home)
    echo(logged_in.emulator, "Logout")  # type: ignore[arg-type]
    out = run_shellsso("logout", "--sso-session", "corp")
    assert out.returncode == 0
    assert "could not sign out at the portal" in out.stderr
    assert_hidden(both(out), secrets)
    assert not token_file(logged_in.home).exists()


# --- the silent refresh ------------------------------------------------------------------------


def test_export_hides_the_refresh_secrets_an_oidc_endpoint_echoes(logged_in: AwsEnv) -> None:
    secrets = cached_secrets(logged_in.home)
    expire(logged_in.home)
    echo(logged_in.emulator, "CreateToken")  # type: ignore[arg-type]
    out = run_shellsso("export", "--profile", "dev")
    assert out.returncode != 0
    assert "cannot refresh" in out.stderr
    assert_hidden(both(out), secrets)


def test_awsuse_hides_the_refresh_secrets_an_oidc_endpoint_echoes(logged_in: AwsEnv) -> None:
    secrets = cached_secrets(logged_in.home)
    expire(logged_in.home)
    echo(logged_in.emulator, "CreateToken", count=-1)  # type: ignore[arg-type]
    env = dict(os.environ, SHELLSSO_AUTO_LOGIN="never")
    with ShellSession("bash", logged_in.home, env=env, timeout=30) as sh:
        out = sh.run("awsuse dev --export")
    assert "cannot refresh" in out
    assert_hidden(out, secrets)


# --- login: what the OIDC service is sent while signing in -------------------------------------


@pytest.mark.parametrize(("operation", "device", "fields"), [
    ("StartDeviceAuthorization", True, {"clientSecret"}),
    ("CreateToken", True, {"clientSecret", "deviceCode"}),
    ("CreateToken", False, {"clientSecret", "code", "codeVerifier"}),
], ids=["device-start", "device-token", "pkce-token"])
def test_login_hides_what_the_oidc_service_echoes(
        aws_env: AwsEnv, operation: str, device: bool, fields: set[str]) -> None:
    echo(aws_env.emulator, operation, count=-1)  # type: ignore[arg-type]
    out = run_shellsso("login", "--sso-session", "corp",
                       *(["--use-device-code"] if device else []))
    assert out.returncode != 0
    text = both(out)
    assert {name for name, _ in _FIELD.findall(text)} >= fields, text
    assert_hidden(text, [])


def test_register_client_echo_is_one_line(aws_env: AwsEnv) -> None:
    """RegisterClient carries no secret; its echo still reaches the user as one clean line."""
    write_token(aws_env.home, "corp", 3600, access_token="cached-access-token-0123456789",
                client_secret="cached-client-secret-0123456789")
    echo(aws_env.emulator, "RegisterClient", count=-1)  # type: ignore[arg-type]
    out = run_shellsso("login", "--sso-session", "corp", "--force")
    assert out.returncode != 0
    assert "RegisterClient failed" in out.stderr
    assert_hidden(both(out), ["cached-access-token-0123456789",
                              "cached-client-secret-0123456789"], echoed=False)
