"""`shellsso logout`: portal sign-out, then the local token and role credentials go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.commands.test_status import write_role_credentials
from tests.conftest import START_URL, AwsEnv, run_shellsso, write_token
from tests.sso.test_login import control, read_token, registration_files, token_path


def portal_accepts(env: AwsEnv, access_token: str) -> bool:
    """Does the portal still take this token (ListAccounts)?"""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    client = boto3.session.Session().client(
        "sso", region_name="us-east-1", endpoint_url=env.url,
        config=Config(signature_version=UNSIGNED))
    try:
        client.list_accounts(accessToken=access_token)
    except client.exceptions.UnauthorizedException:
        return False
    return True


def test_logout_of_one_session(aws_env: AwsEnv) -> None:
    assert run_shellsso("login", "--profile", "dev").returncode == 0
    assert run_shellsso("login", "--profile", "legacy").returncode == 0
    access = read_token(aws_env.home)["accessToken"]
    creds = [write_role_credentials(aws_env.home, p, 3600) for p in ("dev", "staging", "prod")]
    legacy_creds = write_role_credentials(aws_env.home, "legacy", 3600)
    result = run_shellsso("logout", "--profile", "staging")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "Logged out of SSO session 'corp': signed out at the portal, removed its token and "
        "3 cached role credentials\n")
    assert not token_path(aws_env.home).exists()
    assert not any(p.exists() for p in creds)
    assert legacy_creds.exists() and token_path(aws_env.home, START_URL).exists()
    assert len(registration_files(aws_env.home)) == 2  # registrations stay
    assert aws_env.counters()["Logout"] == 1
    assert not portal_accepts(aws_env, access)


def test_logout_by_sso_session_name(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", -60)  # expired: no portal call needed
    result = run_shellsso("logout", "--sso-session", "corp")
    assert result.returncode == 0
    assert result.stderr == ("Logged out of SSO session 'corp': removed its token "
                             "(no cached role credentials)\n")
    assert "Logout" not in aws_env.counters()


def test_logout_without_a_token(aws_env: AwsEnv) -> None:
    result = run_shellsso("logout", "--profile", "dev")
    assert result.returncode == 0
    assert result.stderr == ("No cached token or role credentials for SSO session 'corp': "
                             "nothing to remove\n")
    write_role_credentials(aws_env.home, "dev", 3600)
    again = run_shellsso("logout", "--profile", "dev")
    assert again.stderr == ("No cached token for SSO session 'corp'; removed 1 cached role "
                            "credential\n")
    nothing = run_shellsso("logout", "--all")
    assert nothing.stderr == "Nothing to log out of: no SSO tokens or cached role credentials\n"
    write_token(aws_env.home, "corp", -60)
    one = run_shellsso("logout", "--all")
    assert one.stderr == "Logged out: removed 1 SSO token (no cached role credentials)\n"


def test_portal_failure_is_a_warning(aws_env: AwsEnv) -> None:
    write_token(aws_env.home, "corp", 3600)  # a token the portal does not know
    control(aws_env, "fail", {"operation": "Logout", "status": 500, "count": 10})
    result = run_shellsso("logout", "--profile", "dev")
    assert result.returncode == 0
    warning, done = result.stderr.splitlines()
    assert warning == (
        "shellsso: warning: could not sign out at the portal (the SSO service answered HTTP "
        "500 (InternalServerException) to Logout; try again in a moment); removing the local "
        "token")
    assert done.startswith("Logged out of SSO session 'corp': removed its token")
    assert not token_path(aws_env.home).exists()


def test_unreachable_portal_is_a_warning(aws_env: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:1")
    write_token(aws_env.home, "corp", 3600)
    result = run_shellsso("logout", "--profile", "dev")
    assert result.returncode == 0
    assert result.stderr.splitlines()[0] == (
        "shellsso: warning: could not sign out at the portal (cannot reach the SSO portal "
        "endpoint http://127.0.0.1:1: Connection refused); removing the local token")
    assert not token_path(aws_env.home).exists()


def test_logout_all_like_aws_sso_logout(aws_env: AwsEnv) -> None:
    assert run_shellsso("login", "--profile", "dev").returncode == 0
    write_token(aws_env.home, START_URL, 3600)
    other_tool = write_token(aws_env.home, "someone-elses-session", 3600)
    cache = aws_env.home / ".aws" / "sso" / "cache"
    (cache / "notes.json").write_text("not json")
    cli_cache = aws_env.home / ".aws" / "cli" / "cache"
    sso_creds = write_role_credentials(aws_env.home, "dev", 3600)
    assume_role: Any = cli_cache / "assume-role-entry.json"
    assume_role.write_text(json.dumps({"Credentials": {"AccessKeyId": "ASIA"}}))
    result = run_shellsso("logout", "--all")
    assert result.returncode == 0
    assert result.stderr.splitlines()[-1] == (
        "Logged out: removed 3 SSO tokens and 1 cached role credential")
    assert not token_path(aws_env.home).exists() and not other_tool.exists()
    assert not token_path(aws_env.home, START_URL).exists()
    assert not sso_creds.exists() and assume_role.exists()
    assert (cache / "notes.json").exists()
    assert len(registration_files_safe(cache)) == 1
    assert aws_env.counters()["Logout"] == 3


def registration_files_safe(cache: Path) -> list:  # type: ignore[type-arg]
    found = []
    for path in cache.glob("*.json"):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        if "clientId" in data and "accessToken" not in data:
            found.append(data)
    return found
